#!/usr/bin/env bash
# Retrains the camera object classifier (config/camcls.json) from the labelled clips.
#   tools/train-camera.sh [DATA_DIR] [BUILD_DIR]
# DATA_DIR: fixtures/video-train layout (default ../shared/fixtures/video-train);
# BUILD_DIR: a configured build tree (default build). Steps: install python3-sklearn /
# numpy if missing (tools/install-deps.sh --train), build sg_camscore, dump the
# features of the train and calib splits (every 3rd frame of each track: the detector
# runs on every frame, rows are subsampled to keep the files small), fit with a fixed
# seed (tools/train_camera.py), write config/camcls.json. The val split is not read.
# Reproducible: same data, seed and package versions give the same file. ~5 min on one core.
# MERGE_FRAC=F: detector merge_frac for the dumps (default: the detector's default, 0);
# NFEAT=N: train on the first N features (default 28, the first-pass set; 0 = all);
# OUT=FILE: the model file (default config/camcls.json). The thermal model:
#   MERGE_FRAC=1 NFEAT=0 OUT=config/camcls_ir.json tools/train-camera.sh
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
data=${1:-$here/../shared/fixtures/video-train}
build=${2:-$here/build}
seed=${SEED:-1}   # model seed; the split seed is sg_camscore's default (1)
out=${OUT:-$here/config/camcls.json}
merge=()
[[ -n "${MERGE_FRAC:-}" ]] && merge=(--merge-frac "$MERGE_FRAC")
py=/usr/bin/python3   # Debian's, where python3-sklearn/numpy live (not a pyenv shim)
"$py" -c 'import sklearn, numpy' 2>/dev/null || bash "$here/tools/install-deps.sh" --train
[[ -f "$data/index.csv" ]] || { echo "train-camera: $data/index.csv: no labelled clips" >&2; exit 1; }
cmake --build "$build" --target sg_camscore -j2 >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for s in train calib; do
  "$build/sg_camscore" --data "$data" --split "$s" --every 3 "${merge[@]}" \
    --features "$tmp/$s.csv" > "$tmp/$s.txt"
done
"$py" "$here/tools/train_camera.py" --seed "$seed" --nfeat "${NFEAT:-28}" "$tmp/train.csv" "$tmp/calib.csv" \
  "$out"
