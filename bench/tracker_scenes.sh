# Sourced by tracker_heldout.sh and tracker_tracks_diff.sh (POSIX sh): the held-out scene
# classes. tracker_scene CLASS sets a (sg_scenario gen arguments) and imm (1: the class
# runs with {"model": "imm_ct"}, else 0); returns 1 for an unknown class.
# shellcheck shell=sh disable=SC2034
TRACKER_CLASSES="random rangebearing emptysky formation split clutter manoeuvre crossing"
tracker_scene() {
    imm=0
    case $1 in
    random) a="--kind random --targets 20 --duration 20 --clutter 10" ;;
    rangebearing) a="--kind random --sensor range_bearing --targets 10 --duration 20 --clutter 5" ;;
    emptysky) a="--kind random --targets 10 --duration 15 --leave 8 --clutter 0" ;;
    formation) a="--kind formation --targets 4 --join 2 --duration 12 --clutter 5" ;;
    split) a="--kind random --targets 10 --duration 20 --split 0.7" ;;
    clutter) a="--kind random --targets 10 --region 500 --clutter 100 --duration 20" ;;
    manoeuvre) a="--kind manoeuvre --targets 3 --duration 40 --clutter 2"; imm=1 ;;
    crossing) a="--kind crossing --targets 2 --duration 12 --clutter 10 --cross-angle 60" ;;
    bearings) a="--kind random --sensor bearing2 --targets 3 --duration 15 --clutter 2" ;;
    *) return 1 ;;
    esac
}
