#!/bin/sh
# Compares two sg_scenario builds track by track: the held-out scene classes of
# tracker_heldout.sh plus a two-site bearing scene, seeds 301 and 302, generated once by
# the first build and run by both; every row of `run --tracks` (and its summary, CPU time
# aside) must be byte-identical. For speed changes meant to leave results untouched.
#   sh bench/tracker_tracks_diff.sh OLD/sg_scenario NEW/sg_scenario
# EXTRA_NEW='"key": value' adds tracker keys to the new build's configuration only (e.g. a
# new rule switched off). Exits 1 if any scene differs.
set -u
# shellcheck source=bench/tracker_scenes.sh
. "$(dirname "$0")/tracker_scenes.sh"
A=$1
B=$2
D=$(mktemp -d)
trap 'rm -rf "$D"' EXIT
bad=0
printf '{"model": "imm_ct"}\n' > "$D/immA.json"
printf '{}\n' > "$D/defA.json"
printf '{"model": "imm_ct"%s}\n' "${EXTRA_NEW:+, $EXTRA_NEW}" > "$D/immB.json"
printf '{%s}\n' "${EXTRA_NEW:-}" > "$D/defB.json"
for class in $TRACKER_CLASSES bearings; do
    for seed in 301 302; do
        tracker_scene "$class"
        c=def
        [ "$imm" = 1 ] && c=imm
        # shellcheck disable=SC2086
        "$A" gen $a --seed $seed --truth "$D/t.csv" --meas "$D/m.csv" --scans "$D/s.csv" > /dev/null
        for v in A B; do
            if [ $v = A ]; then sc=$A; else sc=$B; fi
            "$sc" run --truth "$D/t.csv" --meas "$D/m.csv" --scans "$D/s.csv" \
                --config "$D/$c$v.json" --quiet --tracks "$D/$v.csv" |
                sed 's/cpu_in_tracker=[0-9.]*//' > "$D/$v.out"
        done
        if cmp -s "$D/A.csv" "$D/B.csv" && cmp -s "$D/A.out" "$D/B.out"; then
            echo "$class $seed: same ($(wc -l < "$D/A.csv") rows)"
        else
            echo "$class $seed: DIFFERENT"
            bad=1
        fi
    done
done
exit $bad
