#!/usr/bin/env bash
# One command: install what is missing, build, and run the daemon on the bundled
# default (the default venue replaying the bundled capture), printing tracks and
# alerts. Extra arguments go to skyguardd (e.g. --realtime, -q, --record-out f.jsonl).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo > /dev/null
cmake --build build -j"$(nproc)" --target skyguardd sg_watch
exec build/skyguardd -c config/default-venue.json "$@"
