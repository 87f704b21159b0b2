#!/usr/bin/env bash
# Rebuilds the bundled demo capture (testdata/demo-stadium.sigmf-*) from its scene
# description with the project's own generator. Usage: tools/make-demo-capture.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
cmake --build "$build" --target sg_democap
"$build/sg_democap" testdata/demo-scenario.json testdata/demo-stadium
