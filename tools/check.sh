#!/usr/bin/env bash
# One command: install what is missing, build, and run the whole test suite (ctest).
# Usage: tools/check.sh [--sanitize]   (--sanitize: Debug build with ASan + UBSan in build-asan/)
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-deps.sh
if [[ "${1:-}" == "--sanitize" ]]; then
  dir=build-asan
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Debug -DSG_SANITIZE=ON
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1
else
  dir=build
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo
fi
cmake --build "$dir" -j"$(nproc)"
cd "$dir"
ctest --output-on-failure -j"$(nproc)"
