#!/usr/bin/env python3
"""What the classifier sees on chosen clips of a grouped k-fold run, track by track (the
error analysis of docs/camera-history.md, "cam-rec"): no new fit, the out-of-fold
log-probabilities the run already holds.

    kfold_tracks.py [--trace] [--small PX] DUMP_DIR WORK_DIR [CLIP...]

DUMP_DIR: the dumps of the run (train, calib and val; tools/train-camera.sh DUMP_DIR);
WORK_DIR: its OOF work dir (`ALL=1`: oof_logp.npy in the pooled row order, kfold.json
with every fold's nested temperature, offsets and settings). Every row of a clip gets its
fold's nested calibration (softmax(logp / T + d), the held-out model as the C pipeline
runs it) and the row replay of the camera's track decision with that fold's
class_smooth / drone_min_conf (cv_camera.track_decision; rows are every 3rd frame).
Per track: rows and frame span, the truth of its rows, median box size (px), speed
(px/frame and object sizes per frame), straightness, hover fraction, size variation,
periodicity, contrast, the mean calibrated probability of each class, the fraction of
rows whose argmax is drone and the fraction published drone (tracks whose rows are all
clutter and never published drone are only counted). --trace: every row of the
tracks with a published drone row (frame, size, speed, probabilities, published).
--small PX: first, over all rows whose box is at most PX a side, per truth the 10th / 50th /
90th percentiles of speed (px/frame), straightness, hover, turn rate and contrast."""
import argparse
import json
import os
import sys

import numpy as np

from cv_camera import load_pooled, track_decision
from train_camera import CLASSES, softmax


def col(head, rows, name):
    j = head.index(name)
    return np.array([float(r[j]) if r[j] not in ("", "nan") else np.nan for r in rows])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dump")
    ap.add_argument("work")
    ap.add_argument("clips", nargs="*")
    ap.add_argument("--small", type=float, help="per-truth motion percentiles, boxes <= PX")
    ap.add_argument("--trace", action="store_true")
    a = ap.parse_args()
    head, rows, _ = load_pooled(a.dump, ("train", "calib", "val"))
    lp_path = os.path.join(a.work, "oof_logp.npy")
    logp = np.load(lp_path)
    if len(logp) != len(rows):
        sys.exit(f"kfold_tracks: {lp_path}: {len(logp)} rows, the dumps {len(rows)}")
    with open(os.path.join(a.work, "kfold.json")) as f:
        kf = json.load(f)
    fold_of = {}
    for pf in kf["folds"]:
        with open(os.path.join(a.work, f"fold{pf['fold']}.txt")) as f:
            for c in f.read().split():
                fold_of[c] = pf
    clips = np.array([r[0] for r in rows])
    w = 2 ** col(head, rows, "log2_w")
    h = 2 ** col(head, rows, "log2_h")
    speed = np.expm1(col(head, rows, "speed_px"))
    feats = {n: col(head, rows, n) for n in ("speed_sizes", "straightness", "hover", "size_cv",
                                             "periodicity", "vertical")}
    contrast = np.expm1(col(head, rows, "log_contrast"))
    if a.small:
        truth = np.array([r[5] for r in rows])
        turn = col(head, rows, "turn_rate")
        small = np.maximum(w, h) <= a.small
        print(f"rows with a box <= {a.small:g} px a side: 10th / 50th / 90th percentiles")
        for t in CLASSES[:4]:
            m = small & (truth == t)
            if not m.any():
                continue
            q = lambda v: " / ".join(f"{x:.2f}" for x in np.nanpercentile(v[m], [10, 50, 90]))
            print(f"  {t:<10} {int(m.sum()):6d} rows: speed {q(speed)}; straightness "
                  f"{q(feats['straightness'])}; hover {q(feats['hover'])}; turn {q(turn)}; "
                  f"contrast {q(contrast)}")
    for clip in a.clips:
        if clip not in fold_of:
            sys.exit(f"kfold_tracks: {clip}: not in any fold of {a.work}")
        pf = fold_of[clip]
        idx = np.flatnonzero(clips == clip)
        if not len(idx):
            print(f"{clip}: no rows")
            continue
        p = softmax(logp[idx] / pf["temperature"] + np.array(pf["offsets"]))
        meta = [(rows[i][0], rows[i][3], rows[i][4]) for i in idx]
        pub = track_decision(meta, p, max(1, round(pf["choice"]["smooth"] / 3)),
                             pf["choice"]["conf"])
        print(f"{clip} (fold {pf['fold']}, nested T {pf['temperature']:.3f}, class_smooth "
              f"{pf['choice']['smooth']}, drone_min_conf {pf['choice']['conf']}): {len(idx)} rows, "
              f"{int(pub.sum())} published drone (x3 frames)")
        tracks = sorted({m[2] for m in meta}, key=int)
        quiet = 0
        for t in tracks:
            sel = np.array([m[2] == t for m in meta])
            ii = idx[sel]
            fr = [int(rows[i][3]) for i in ii]
            truth = sorted({rows[i][5] for i in ii})
            if truth == ["clutter"] and not pub[sel].any():
                quiet += 1
                continue
            pm = p[sel].mean(0)
            print(f"  track {t}: {sel.sum()} rows, frames {min(fr)}-{max(fr)}, truth {truth}; "
                  f"size {np.median(w[ii]):.1f}x{np.median(h[ii]):.1f} px, speed "
                  f"{np.median(speed[ii]):.2f} px/frame = {np.median(feats['speed_sizes'][ii]):.3f}"
                  f" sizes, straight {np.median(feats['straightness'][ii]):.2f}, hover "
                  f"{np.median(feats['hover'][ii]):.2f}, size_cv {np.median(feats['size_cv'][ii]):.2f}"
                  f", period {np.median(feats['periodicity'][ii]):.2f}, vertical "
                  f"{np.median(feats['vertical'][ii]):.2f}, contrast {np.median(contrast[ii]):.0f}")
            print("    mean p " + " ".join(f"{c} {v:.2f}" for c, v in zip(CLASSES, pm)) +
                  f"; argmax drone {np.mean(p[sel].argmax(1) == 0):.2f}, published drone "
                  f"{np.mean(pub[sel]):.2f}")
            if a.trace and pub[sel].any():
                for k in np.flatnonzero(sel)[np.argsort(fr)]:
                    i = idx[k]
                    print(f"      frame {rows[i][3]:>4} {w[i]:5.1f}x{h[i]:<5.1f} speed "
                          f"{speed[i]:5.2f} " + " ".join(f"{v:.2f}" for v in p[k]) +
                          (" DRONE" if pub[k] else ""))
        if quiet:
            print(f"  ({quiet} clutter tracks without a drone publication not shown)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
