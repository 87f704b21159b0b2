#!/bin/sh
# Builds the libFuzzer targets in fuzz/ with clang (ASan + UBSan) and runs each for a
# while. CI runs it briefly; a longer run is the same command with more seconds:
#
#   tools/fuzz.sh              30 s per target (all targets)
#   tools/fuzz.sh 600          10 min per target
#   tools/fuzz.sh 60 fuzz_zap  one target
#
# Seeds come from fuzz/corpus/<target>/ (read-only; kept small and project-made); new
# inputs libFuzzer finds go to build-fuzz/fuzz-work/<target>/corpus, crashes to
# build-fuzz/fuzz-work/<target>/crash-*. A dictionary fuzz/<target>.dict is used if
# present. Reproduce a crash: build-fuzz/fuzz/<target> <crash-file>.
# Environment: SG_FUZZ_BUILD (build dir, default build-fuzz), SG_FUZZ_JOBS (default 2).
# Exit status: 0 all clean, 1 a target crashed or failed to build.
set -eu
secs=${1:-30}
[ $# -gt 0 ] && shift
root=$(cd "$(dirname "$0")/.." && pwd)
build=${SG_FUZZ_BUILD:-$root/build-fuzz}
jobs=${SG_FUZZ_JOBS:-2}
command -v clang >/dev/null || { echo "fuzz.sh: clang not found (apt-get install clang)" >&2; exit 1; }

# clang does not know gcc-only -Wno-format-truncation from the top-level flags.
CC=clang cmake -S "$root" -B "$build" -DSG_FUZZ=ON -DSG_BUILD_TESTS=OFF \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_FLAGS=-Wno-unknown-warning-option >/dev/null
if [ $# -gt 0 ]; then
    targets="$*"
else
    targets=$(cd "$root/fuzz" && ls fuzz_*.c | sed 's/\.c$//')
fi
# only the fuzz targets (and the libraries they link), not every app and tool
# shellcheck disable=SC2086
if ! cmake --build "$build" -j"$jobs" --target $targets >"$build/fuzz-build.log" 2>&1; then
    grep -E "error:|\*\*\*" "$build/fuzz-build.log" | head -20 >&2
    echo "fuzz.sh: build failed, see $build/fuzz-build.log" >&2
    exit 1
fi
status=0
for t in $targets; do
    bin="$build/fuzz/$t"
    work="$build/fuzz-work/$t"
    mkdir -p "$work/corpus"
    set -- "$work/corpus"
    [ -d "$root/fuzz/corpus/$t" ] && set -- "$@" "$root/fuzz/corpus/$t"
    dict=""
    [ -f "$root/fuzz/$t.dict" ] && dict="-dict=$root/fuzz/$t.dict"
    echo "== $t: $secs s"
    # -max_len 65600: just over the feed frame limit so the size check is exercised
    if "$bin" $dict -max_total_time="$secs" -max_len=65600 -timeout=10 -rss_limit_mb=1024 \
        -print_final_stats=1 -artifact_prefix="$work/" "$@" >"$work/log.txt" 2>&1; then
        grep -E "^stat::number_of_executed_units|^stat::average_exec_per_sec|^stat::peak_rss_mb" \
            "$work/log.txt" | tr '\n' ' '
        grep -E "cov: [0-9]+" "$work/log.txt" | tail -1 | sed 's/.*\(cov: [0-9]*\).*\(ft: [0-9]*\).*/\1 \2/'
    else
        echo "$t FAILED: see $work/log.txt and $work/crash-*" >&2
        tail -40 "$work/log.txt" >&2
        status=1
    fi
done
exit $status
