#!/usr/bin/env python3
"""A candidate recipe's grouped k-fold result against the reference's, by rule 3 of
cam-all (docs/camera-history.md, "Issue 14, cam-all" and "cam-rec").

    kfold_compare.py [--sensor V|IR] REF_WORK_DIR CAND_WORK_DIR
    kfold_compare.py --seeds REF_DIR,REF_DIR,... CAND_DIR,CAND_DIR,...


Both work dirs come from `ALL=1 OOF=DIR tools/train-camera.sh` (tools/oof_camera.py --all
--score) with the same fold deal: their kfold.json (pooled and per-fold counts) and
scoreK.txt (the sg_camscore output of held-out fold K, read with oof_camera.parse_score).
Prints per fold and pooled recall / precision / false drone reports per frame of both, the
candidate's pooled confusion, the false drone reports of every drone-free clip, the first
drone report times, and rule 3's verdict (oof_camera.adopt). Exit 0 whatever the verdict;
2 if the two runs did not deal the same clips into the same folds.

--seeds: one work dir (or OOF_RESCORE output dir) per model seed on each side; prints each
run's pooled figures and shortfall and stop 33's verdict (oof_camera.adopt_seeds;
docs/camera-history.md, "stop 33")."""
import argparse
import json
import os
import sys

from cv_camera import clip_class
from oof_camera import adopt, adopt_seeds, frame_figures, parse_score, shortfall

KEYS = ("recall", "precision", "false_frame")
CLASSES = ("drone", "bird", "airplane", "helicopter", "clutter")


def load(work, sensor):
    """kfold.json of work and the per-clip lines of its fold scores: (kfold, clip -> fold,
    clip -> per-clip counts)."""
    path = os.path.join(work, "kfold.json")
    try:
        with open(path) as f:
            kf = json.load(f)
    except (OSError, ValueError) as e:
        sys.exit(f"kfold_compare: {path}: {e}")
    fold_of, clips = {}, {}
    for pf in kf["folds"]:
        sp = os.path.join(work, f"score{pf['fold']}.txt")
        try:
            with open(sp) as f:
                s = parse_score(f.read(), sensor)
        except OSError as e:
            sys.exit(f"kfold_compare: {sp}: {e}")
        for c, v in s["clips"].items():
            fold_of[c] = pf["fold"]
            clips[c] = v
    return kf, fold_of, clips


def pooled(work):
    """The pooled counts of work's kfold.json."""
    path = os.path.join(work, "kfold.json")
    try:
        with open(path) as f:
            return json.load(f)["pooled"]
    except (OSError, ValueError, KeyError) as e:
        sys.exit(f"kfold_compare: {path}: {e}")


def seeds(ref, cand):
    """--seeds: stop 33's rule over the runs of each side."""
    figs = {}
    for name, dirs in (("ref", ref), ("cand", cand)):
        figs[name] = []
        for d in dirs.split(","):
            p = pooled(d)
            f = frame_figures(p)
            figs[name].append(f)
            print(f"{name} {d}: {fig(f)} ({p['drone_hits']}/{p['drone_frames']} drone frames, "
                  f"{p['reports_ok']}/{p['reports']} reports, {p['free_false']} in "
                  f"{p['free_frames']}); shortfall {shortfall(f):.4f}; first drone report "
                  f"mean {f['first_drone_mean']:.2f} / max {f['first_drone_max']:.2f} s, "
                  f"{f['never']} never")
    _, why = adopt_seeds(figs["ref"], figs["cand"])
    print("stop 33's rule:")
    for w in why:
        print("  " + w)
    return 0


def fig(d):
    return " / ".join(f"{d[k]:.3f}" for k in KEYS)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ref")
    ap.add_argument("cand")
    ap.add_argument("--sensor", choices=("V", "IR"), default="IR")
    ap.add_argument("--seeds", action="store_true",
                    help="REF and CAND are comma-separated work dirs, one per model seed")
    a = ap.parse_args()
    if a.seeds:
        return seeds(a.ref, a.cand)
    rk, rfold, rclips = load(a.ref, a.sensor)
    ck, cfold, cclips = load(a.cand, a.sensor)
    if rfold != cfold:
        print("kfold_compare: the two runs' folds differ (not the same deal)", file=sys.stderr)
        return 2
    print("per fold (recall / precision / false per frame; nested class_smooth / "
          "drone_min_conf):")
    for rf, cf in zip(rk["folds"], ck["folds"]):
        rc, cc = rf["choice"], cf["choice"]
        print(f"  fold {rf['fold']}: ref {fig(rf)} ({rc['smooth']} / {rc['conf']})  cand "
              f"{fig(cf)} ({cc['smooth']} / {cc['conf']})")
    rp, cp = rk["pooled"], ck["pooled"]
    print(f"pooled: ref {fig(rp)} ({rp['reports_ok']}/{rp['reports']} reports, "
          f"{rp['drone_hits']}/{rp['drone_frames']} drone frames, {rp['free_false']} in "
          f"{rp['free_frames']})")
    print(f"pooled: cand {fig(cp)} ({cp['reports_ok']}/{cp['reports']} reports, "
          f"{cp['drone_hits']}/{cp['drone_frames']} drone frames, {cp['free_false']} in "
          f"{cp['free_frames']})")
    for name, p in (("ref", rp), ("cand", cp)):
        print(f"first drone report {name}: mean {p['first_drone_mean']:.2f} / max "
              f"{p['first_drone_max']:.2f} s, {p['drone_clips'] - p['never']} of "
              f"{p['drone_clips']} drone clips")
    print("candidate pooled confusion (rows truth; columns published drone bird airplane "
          "helicopter clutter uncertain):")
    for name, row in zip(CLASSES, cp["confusion"]):
        print(f"  {name:<10}" + "".join(f" {v:7d}" for v in row))
    free = sorted((c for c in rclips if clip_class(c) != "drone"),
                  key=lambda c: (-cclips[c]["drone_reports"], -rclips[c]["drone_reports"], c))
    rsum = sum(rclips[c]["drone_reports"] for c in free)
    csum = sum(cclips[c]["drone_reports"] for c in free)
    print(f"false drone reports by drone-free clip (ref -> cand; total {rsum} -> {csum}):")
    for c in free:
        if rclips[c]["drone_reports"] or cclips[c]["drone_reports"]:
            print(f"  {c} (fold {rfold[c]}): {rclips[c]['drone_reports']} -> "
                  f"{cclips[c]['drone_reports']}")
    never = [c for c in cclips if clip_class(c) == "drone" and cclips[c]["first_drone_s"] < 0]
    print(f"drone clips never reported as drone (cand): {sorted(never) or 'none'}")
    ok, why = adopt(rp, cp)
    print("rule 3:")
    for w in why:
        print("  " + w)
    return 0


if __name__ == "__main__":
    sys.exit(main())
