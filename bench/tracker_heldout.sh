#!/bin/sh
# Tracker accuracy on held-out seeds (never used to choose a default or tune a kernel): mean
# OSPA / GOSPA (c = 50 m, p = 2) and id switches per scenario class, summed over seeds 301-305.
# Used to show that a speed change does not move accuracy: run it with the sg_scenario of the
# old and of the new build and compare (bench/README.md, "Tracker at 10 000 targets").
#   sh bench/tracker_heldout.sh [path/to/sg_scenario]    (default: build/sg_scenario)
set -eu
# shellcheck source=bench/tracker_scenes.sh
. "$(dirname "$0")/tracker_scenes.sh"
SC=${1:-build/sg_scenario}
D=$(mktemp -d)
trap 'rm -rf "$D"' EXIT
printf '{"model": "imm_ct"}\n' > "$D/imm.json"
printf '%-14s %9s %10s %8s\n' class OSPA GOSPA switches
for class in $TRACKER_CLASSES; do
    o=0 g=0 sw=0
    for seed in 301 302 303 304 305; do
        tracker_scene "$class"
        cfg=""
        [ "$imm" = 1 ] && cfg="--config $D/imm.json"
        # shellcheck disable=SC2086
        "$SC" gen $a --seed $seed --truth "$D/t.csv" --meas "$D/m.csv" --scans "$D/s.csv" > /dev/null
        # shellcheck disable=SC2086
        out=$("$SC" run --truth "$D/t.csv" --meas "$D/m.csv" --scans "$D/s.csv" $cfg --quiet)
        o=$(echo "$out" | sed -n 's/.*mean_ospa=\([0-9.]*\).*/\1/p' | awk -v s="$o" '{print s + $1}')
        g=$(echo "$out" | sed -n 's/.*mean_gospa=\([0-9.]*\).*/\1/p' | awk -v s="$g" '{print s + $1}')
        sw=$(echo "$out" | sed -n 's/.*id_switches=\([0-9]*\).*/\1/p' | awk -v s="$sw" '{print s + $1}')
    done
    echo "$class $o $g $sw" | awk '{printf "%-14s %9.3f %10.3f %8d\n", $1, $2 / 5, $3 / 5, $4}'
done
