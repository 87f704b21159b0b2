#!/usr/bin/env bash
# Retrains a camera object classifier (config/camcls.json, config/camcls_ir.json) from
# the labelled clips.
#   tools/train-camera.sh [DATA_DIR] [BUILD_DIR]
# DATA_DIR: fixtures/video-train layout (default ../shared/fixtures/video-train);
# BUILD_DIR: a configured build tree (default build). Steps: install python3-sklearn /
# numpy / torch if missing (tools/install-deps.sh --train), build sg_camscore, dump the
# features and appearance crops of the train and calib splits (every 3rd frame of each
# track: the detector runs on every frame, rows are subsampled to keep the files small),
# fit with a fixed seed (tools/train_camera.py), write the model. The val split is not read.
# Reproducible: same data, seed and package versions give the same file (torch runs on
# one thread with deterministic algorithms).
# Environment:
#   SENSOR=V|IR|all  the modality whose clips are dumped (default V; all: both)
#   MERGE_FRAC=F  detector merge_frac for the dumps (default: the detector's, 0)
#   CNN=1         appearance CNN + features (python3-torch; default); CNN=0: features-only
#                 MLP (sklearn)
#   NFEAT=N       train on the first N features (default 0 = all)
#   SEED=N        model seed (default 1; the split seed is sg_camscore's default, 1)
#   SEEDS="1 2 3" an ensemble: one member per seed, trained on the same dumps, joined by
#                 tools/camcls_ensemble.py into OUT (class probabilities averaged in C);
#                 VECTORS then holds the ensemble's vectors
#   DETECTOR=JSON detector keys for the dumps (sg_camscore --detector)
#   IR_DETECTOR=JSON  detector keys for the thermal clips' dumps only, on top of the
#                 thermal camera's detector defaults that sg_camscore applies to IR clips
#                 (sky_mask 3, first_frame_detect, first_frame_max_px 32), e.g.
#                 '{"first_frame_detect": false}' (the fifth pass's dumps); SENSOR=all
#                 dumps each modality separately (V rows first) and joins the rows
#   CALIB_SENSOR=V|IR  calibrate on that modality's calib clips only (default: SENSOR's)
#   DUMP_DIR=DIR  keep the dumps there and reuse them when present (else a temp dir)
#   EPOCHS=N      (default 12 with CNN, 60 without)
#   TRAIN_ARGS="..."  more tools/train_camera.py options (recipe: --augment, --early-stop,
#                 --focal G, --drone-weight W, --weight-decay D, --lr R, --hard-neg F,
#                 --hard-pos F, --channels 3 (the CNN also reads the 8x crop window),
#                 --clip-balance (every clip of a class drawn about equally), --drop-features
#                 A,B (the model does not read those features);
#                 --drone-min-conf P writes the operating point chosen on calib with
#                 `sg_camscore --sweep` into the file; docs/camera.md)
#   OOF=DIR       out-of-fold instead of the calib split (tools/oof_camera.py, work files in
#                 DIR): the train + calib clips pooled, 4 folds by clip stratified by class
#                 and distance bin, the recipe (TRAIN_ARGS, EPOCHS fixed, no early stopping)
#                 fitted per fold, the calibration and the track settings (class_smooth,
#                 drone_min_conf; printed, the latter written into OUT if not 0.5) chosen on
#                 the out-of-fold probabilities, then one refit on all pooled clips with that
#                 calibration; FOLDS=K (default 4), FOLD_SEED=N (default 1), OOF_REUSE=1
#                 (score the fold models already in DIR, refit only), JOBS=N fits at once
#                 (default 2); REFIT=0 (the folds and their scores only: no refit, OUT
#                 and VECTORS untouched; a candidate recipe before it is adopted); CNN only
#   ALL=1         with OOF: every labelled clip of SENSOR (V or IR): the val split is dumped
#                 and pooled too, and each held-out fold is scored by build/sg_camscore
#                 --clip-list with the fold's model and its nested settings (calibration,
#                 class_smooth, drone_min_conf chosen on the other folds only); pooled and
#                 per-fold frame figures printed; the refit uses all clips
#                 (docs/camera-history.md, "cam-all"; FOLDS=5 there). SMOOTH=S,S,... the
#                 class_smooth grid (default 30,45,60,90 visible, 30,90,300,1000 thermal);
#                 the rule's fallback class_smooth is the camera's default for SENSOR, read
#                 from build/sg_camscore --default-class-smooth (adapters/camera.h)
#   OOF_RESCORE=OUT  with ALL=1 OOF=DIR: no dump, no fit, no refit: the held-out folds of
#                 the earlier ALL=1 run in DIR scored again by this build's sg_camscore with
#                 DETECTOR / IR_DETECTOR / MERGE_FRAC as given now, the same fold models
#                 (DIR/nestedK.json) and class_smooth (DIR/kfold.json); scores and pooled
#                 figures in OUT (tools/oof_camera.py --rescore; docs/camera-history.md, "cam-det2")
#   OUT=FILE      the model file (default config/camcls.json);
#   VECTORS=FILE  with CNN: test vectors for tests/test_camcls.c
# The committed models (docs/camera-history.md, "cam-all", "cam-rec" and "stop 33": k-fold over all
# 120 clips, then the refit on all of them):
#   SENSOR=V TRAIN_ARGS="--clip-balance" ALL=1 FOLDS=5 OOF=/tmp/oofV OUT=config/camcls.json \
#     VECTORS=tests/data/camcls_vectors.json tools/train-camera.sh     # visible (recipe B)
#   SENSOR=IR MERGE_FRAC=1 EPOCHS=20 TRAIN_ARGS="--augment --weight-decay 1e-3" ALL=1 FOLDS=5 \
#     OOF=/tmp/oofIR OUT=config/camcls_ir.json VECTORS=tests/data/camcls_ir_vectors.json \
#     tools/train-camera.sh                                            # thermal (recipe A')
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
data=${1:-$here/../shared/fixtures/video-train}
build=${2:-$here/build}
seed=${SEED:-1}
out=${OUT:-$here/config/camcls.json}
sensor=${SENSOR:-V}
cnn=${CNN:-1}
merge=()
[[ -n "${MERGE_FRAC:-}" ]] && merge=(--merge-frac "$MERGE_FRAC")
[[ -n "${DETECTOR:-}" ]] && merge+=(--detector "$DETECTOR")
py=/usr/bin/python3   # Debian's, where python3-sklearn/numpy/torch live (not a pyenv shim)
"$py" -c 'import sklearn, numpy, torch' 2>/dev/null || bash "$here/tools/install-deps.sh" --train
[[ -f "$data/index.csv" ]] || { echo "train-camera: $data/index.csv: no labelled clips" >&2; exit 1; }
cmake --build "$build" --target sg_camscore -j2 >/dev/null
tmp=${DUMP_DIR:-$(mktemp -d)}
[[ -n "${DUMP_DIR:-}" ]] || trap 'rm -rf "$tmp"' EXIT
# dump $1 split to $2.csv / $2.f32 with extra sg_camscore arguments $3...
dump() {
  local s=$1 o=$2
  shift 2
  "$build/sg_camscore" --data "$data" --split "$s" --every 3 "${merge[@]}" "$@" \
    --features "$o.csv" --crops "$o.f32" > "$o.txt"
}
irdet=()
[[ -n "${IR_DETECTOR:-}" ]] && irdet=(--detector "$IR_DETECTOR")
splits=(train calib)
if [[ "${ALL:-0}" == 1 ]]; then
  [[ -n "${OOF:-}" && ( "$sensor" == V || "$sensor" == IR ) ]] ||
    { echo "train-camera: ALL=1 needs OOF=DIR and SENSOR=V or IR" >&2; exit 1; }
  splits+=(val)
  # ALL=1: how the held-out folds are scored (oof_camera.py --all --score)
  sargs=(--all --score "$build/sg_camscore" --sensor "$sensor")
  [[ -n "${MERGE_FRAC:-}" ]] && sargs+=(--merge-frac "$MERGE_FRAC")
  det=${DETECTOR:-}
  [[ "$sensor" == IR && -n "${IR_DETECTOR:-}" ]] && det=$IR_DETECTOR
  [[ -n "$det" ]] && sargs+=(--detector "$det")
  if [[ -n "${OOF_RESCORE:-}" ]]; then
    "$py" "$here/tools/oof_camera.py" --data "$data" "${sargs[@]}" --rescore "$OOF_RESCORE" \
      "$tmp" "$OOF"
    exit 0
  fi
fi
[[ -z "${OOF_RESCORE:-}" ]] || { echo "train-camera: OOF_RESCORE needs ALL=1 and OOF=DIR" >&2; exit 1; }
for s in "${splits[@]}"; do
  [[ -s "$tmp/$s.csv" && -s "$tmp/$s.f32" ]] && continue   # DUMP_DIR: reuse earlier dumps
  mods=("$sensor")
  [[ "$sensor" == all ]] && mods=(V IR)
  [[ "$s" == calib && -n "${CALIB_SENSOR:-}" ]] && mods=("$CALIB_SENSOR")
  : > "$tmp/$s.csv"
  : > "$tmp/$s.f32"
  for m in "${mods[@]}"; do
    extra=()
    [[ "$m" == IR ]] && extra=("${irdet[@]}")
    dump "$s" "$tmp/$s.$m" --sensor "$m" "${extra[@]}"
    if [[ -s "$tmp/$s.csv" ]]; then tail -n +2 "$tmp/$s.$m.csv"; else cat "$tmp/$s.$m.csv"; fi \
      >> "$tmp/$s.csv"
    cat "$tmp/$s.$m.f32" >> "$tmp/$s.f32"
  done
done
# train one member: $1 seed, $2 model file, $3 vectors file ("" = none)
member() {
  local args=(--seed "$1" --nfeat "${NFEAT:-0}")
  # shellcheck disable=SC2206  # TRAIN_ARGS is a list of options, split on purpose
  args+=(${TRAIN_ARGS:-})
  if [[ "$cnn" == 1 ]]; then
    args+=(--crops "$tmp/train.f32" "$tmp/calib.f32" --epochs "${EPOCHS:-12}" --per-class 8000)
    [[ -n "$3" ]] && args+=(--vectors "$3")
  else
    args+=(--epochs "${EPOCHS:-60}")
  fi
  "$py" "$here/tools/train_camera.py" "${args[@]}" "$tmp/train.csv" "$tmp/calib.csv" "$2"
}
if [[ -n "${OOF:-}" ]]; then
  [[ "$cnn" == 1 && -z "${SEEDS:-}" ]] || { echo "train-camera: OOF needs CNN=1, no SEEDS" >&2; exit 1; }
  mkdir -p "$OOF"
  oofargs=(--data "$data" --folds "${FOLDS:-4}" --seed "${FOLD_SEED:-1}" --model-seed "$seed"
           --jobs "${JOBS:-2}"
           --epochs "${EPOCHS:-12}")
  if [[ "${REFIT:-1}" == 1 ]]; then
    oofargs+=(--refit "$out")
    [[ -n "${VECTORS:-}" ]] && oofargs+=(--vectors "$VECTORS")
  fi
  [[ "${OOF_REUSE:-0}" == 1 ]] && oofargs+=(--reuse)   # the fold models already in OOF
  # the rule's fallback: the camera's class_smooth for the modality (SENSOR=all: the
  # visible one), from its one place, adapters/camera.h
  dsm=$("$build/sg_camscore" --default-class-smooth "${sensor/all/V}")
  oofargs+=(--default-smooth "$dsm")
  if [[ "${ALL:-0}" == 1 ]]; then
    oofargs+=("${sargs[@]}")
    if [[ "$sensor" == IR ]]; then
      oofargs+=(--smooth "${SMOOTH:-30,90,300,1000}")
    else
      oofargs+=(--smooth "${SMOOTH:-30,45,60,90}")
    fi
  fi
  # shellcheck disable=SC2206  # TRAIN_ARGS is a list of options, split on purpose
  targs=(${TRAIN_ARGS:-})
  [[ "${NFEAT:-0}" != 0 ]] && targs+=(--nfeat "$NFEAT")
  "$py" "$here/tools/oof_camera.py" "${oofargs[@]}" "$tmp" "$OOF" -- "${targs[@]}"
  exit 0
fi
if [[ -z "${SEEDS:-}" ]]; then
  member "$seed" "$out" "${VECTORS:-}"
  exit 0
fi
files=() vecs=()
for s in $SEEDS; do
  v=""
  [[ "$cnn" == 1 && -n "${VECTORS:-}" ]] && v="$tmp/member_$s.vec.json" && vecs+=("$v")
  member "$s" "$tmp/member_$s.json" "$v"
  files+=("$tmp/member_$s.json")
done
ens=("$out" "${files[@]}")
[[ ${#vecs[@]} -gt 0 ]] && ens+=(--vectors "$VECTORS" --member-vectors "${vecs[@]}")
"$py" "$here/tools/camcls_ensemble.py" "${ens[@]}"
