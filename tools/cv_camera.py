#!/usr/bin/env python3
"""Clip-level cross-validation of a camera classifier recipe over the train + calib dumps.

    cv_camera.py [--folds 3] [--seed 1] [--jobs 3] [--smooth 10] [--model-seed 1] [--reuse]
                 DUMP_DIR WORK_DIR -- TRAIN_CAMERA_ARGS...

(its own options before DUMP_DIR: everything after WORK_DIR goes to train_camera.py)

DUMP_DIR holds the `tools/train-camera.sh` dumps (train.csv / train.f32 and calib.csv /
calib.f32, or the per-modality train.IR.* / calib.IR.*). The clips of both splits are
pooled and dealt into --folds folds, stratified by the clip's class (name-sorted, then a
random.Random(--seed) shuffle per class, dealt round-robin), so every fold holds drone,
bird, airplane and helicopter clips. For each fold, tools/train_camera.py is run with the
other folds as TRAIN and the fold itself as CALIB (its early stopping and calibration
see the held-out fold: the same for every recipe compared, so the figures rank recipes;
they are not held-out accuracies). The val split is never read (the dumps hold none).

The held-out rows are then scored with the exported model (tools/camcls_ensemble.py's
numpy forward pass, the arithmetic of dsp/camcls.c) and the camera's track-level decision
is mimicked on the rows: per track, the running mean of log(max(p, 0.01)) over --smooth
rows (rows are every 3rd frame, so 10 rows ~ the camera's 30 detections), published drone when
drone is the most probable smoothed class and P(drone) >= --drone-min-conf. Printed:
drone-row recall (drone rows published drone / drone rows), precision of drone
publications, false drone rows per row on clips whose class is not drone, and the clips
with the most false drone rows. Row figures, not frame figures: they compare recipes.
"""
import argparse
import concurrent.futures
import csv
import json
import os
import random
import subprocess
import sys

import numpy as np

from camcls_ensemble import forward
from train_camera import CLASSES, CROP_N


def read_dump(path):
    with open(path, newline="") as f:
        r = csv.reader(f)
        head = next(r)
        rows = list(r)
    return head, rows


def pick(dump, split):
    for name in (f"{split}.csv", f"{split}.IR.csv", f"{split}.V.csv"):
        if os.path.exists(os.path.join(dump, name)):
            return os.path.join(dump, name)
    sys.exit(f"cv_camera: {dump}: no {split}.csv dump")


def clip_class(clip):
    for c in CLASSES[:4]:
        if f"_{c.upper()}_" in clip:
            return c
    sys.exit(f"cv_camera: {clip}: no class in the clip name")


def deal(clips, k, seed, stratum, order, carry=False):
    """Clip -> fold in 0..k-1: the clips of each stratum (stratum(clip), the strata in
    `order`), name-sorted, shuffled by one random.Random(seed) and dealt round-robin.
    carry: each stratum's deal starts where the previous one stopped (the fold sizes
    stay within one clip of each other over many small strata); else at fold 0."""
    rng = random.Random(seed)
    fold, nxt = {}, 0
    for st in order:
        names = sorted(n for n in clips if stratum(n) == st)
        rng.shuffle(names)
        start = nxt if carry else 0
        for i, n in enumerate(names):
            fold[n] = (start + i) % k
        nxt = (start + len(names)) % k
    missing = set(clips) - set(fold)
    if missing:
        sys.exit(f"cv_camera: clips in no stratum: {sorted(missing)[:5]}")
    return fold


def folds_of(clips, k, seed):
    return deal(clips, k, seed, clip_class, CLASSES[:4])


def load_pooled(dump, splits=("train", "calib")):
    """The dumps of splits (default train and calib) joined: (header, rows, crops [rows x
    CROP_N])."""
    head, rows, crops = None, [], []
    for split in splits:
        p = pick(dump, split)
        h, r = read_dump(p)
        if head and h != head:
            sys.exit(f"cv_camera: {p}: columns differ from the {splits[0]} dump's")
        head = h
        c = np.fromfile(p[:-4] + ".f32", dtype=np.float32)
        if c.size != len(r) * CROP_N:
            sys.exit(f"cv_camera: {p}: {c.size} crop floats for {len(r)} rows")
        rows += r
        crops.append(c.reshape(len(r), CROP_N))
    return head, rows, np.concatenate(crops)


def write_rows(work, name, head, rows, crops, keep):
    """WORK/name.csv and name.f32: the kept rows (a boolean mask) in the dump format."""
    with open(os.path.join(work, name + ".csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(head)
        w.writerows(r for r, k in zip(rows, keep) if k)
    crops[keep].tofile(os.path.join(work, name + ".f32"))


def write_folds(work, head, rows, crops, fid, k):
    """trainK (every fold but K) and holdK (fold K) for K in 0..k-1."""
    for j in range(k):
        write_rows(work, f"train{j}", head, rows, crops, fid != j)
        write_rows(work, f"hold{j}", head, rows, crops, fid == j)


def row_figures(clips, truth, pub):
    """Drone-row recall, precision of drone publications, false drone publications per row
    of drone-free clips, with their counts."""
    dclip = np.array([clip_class(c) == "drone" for c in clips])
    nd = int((truth == 0).sum())
    hit = int((pub & (truth == 0)).sum())
    npub = int(pub.sum())
    nfalse = int((pub & ~dclip).sum())
    nfree = int((~dclip).sum())
    return {"recall": hit / max(nd, 1), "precision": hit / max(npub, 1),
            "false": nfalse / max(nfree, 1), "hit": hit, "drone_rows": nd, "published": npub,
            "false_rows": nfalse, "free_rows": nfree}


def track_decision(meta, p, smooth, min_conf):
    """Published drone per row: the camera's running mean of floored log-probabilities per
    track, rows in frame order."""
    order = sorted(range(len(meta)), key=lambda i: (meta[i][0], int(meta[i][2]), int(meta[i][1])))
    state, out = {}, np.zeros(len(meta), dtype=bool)
    for i in order:
        key = (meta[i][0], meta[i][2])
        st, n = state.get(key, (np.zeros(len(CLASSES)), 0))
        n += 1
        a = 1.0 / min(n, smooth)
        st = st + a * (np.log(np.maximum(p[i], 0.01)) - st)
        state[key] = (st, n)
        q = np.exp(st - st.max())
        q /= q.sum()
        out[i] = q.argmax() == 0 and q[0] >= min_conf
    return out


def figures_line(f):
    return (f"drone-row recall {f['recall']:.3f} ({f['hit']}/{f['drone_rows']})  precision "
            f"{f['precision']:.3f} ({f['hit']}/{f['published']})  false drone rows per row, "
            f"drone-free clips {f['false']:.4f} ({f['false_rows']} in {f['free_rows']})")


def run_fold(job):
    k, work, py, here, args, seed, reuse = job
    tr, ho = os.path.join(work, f"train{k}"), os.path.join(work, f"hold{k}")
    model = os.path.join(work, f"model{k}.json")
    if reuse and os.path.exists(model):
        return k, model
    cmd = [py, os.path.join(here, "train_camera.py"), "--seed", str(seed), "--crops",
           tr + ".f32", ho + ".f32", "--per-class", "8000"] + args
    cmd += [tr + ".csv", ho + ".csv", model]
    with open(os.path.join(work, f"fold{k}.log"), "w") as log:
        subprocess.run(cmd, check=True, stdout=log, stderr=subprocess.STDOUT)
    return k, model


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dump")
    ap.add_argument("work")
    ap.add_argument("--folds", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1, help="fold assignment seed")
    ap.add_argument("--model-seed", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=3)
    ap.add_argument("--smooth", type=int, default=10)
    ap.add_argument("--drone-min-conf", type=float, default=0.5)
    ap.add_argument("--reuse", action="store_true",
                    help="score the fold models already in WORK_DIR instead of refitting")
    ap.add_argument("train_args", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    targs = [t for t in a.train_args if t != "--"]
    os.makedirs(a.work, exist_ok=True)
    head, rows, crops = load_pooled(a.dump)
    fold = folds_of({r[0] for r in rows}, a.folds, a.seed)
    fid = np.array([fold[r[0]] for r in rows])
    write_folds(a.work, head, rows, crops, fid, a.folds)
    here = os.path.dirname(os.path.abspath(__file__))
    jobs = [(k, a.work, sys.executable, here, targs, a.model_seed, a.reuse)
            for k in range(a.folds)]
    with concurrent.futures.ThreadPoolExecutor(a.jobs) as ex:
        models = dict(ex.map(run_fold, jobs))
    x = np.nan_to_num(np.array([[float(v) for v in r[6:]] for r in rows]))
    names = head[6:]
    truth = np.array([CLASSES.index(r[5]) for r in rows])
    pub = np.zeros(len(rows), dtype=bool)
    for k in range(a.folds):
        m = json.load(open(models[k]))
        idx = np.flatnonzero(fid == k)
        nc = m["cnn"]["channels"] * m["cnn"]["size"] ** 2 if "cnn" in m else 0
        p = np.array([forward(m, dict(zip(names, x[i])), crops[i][:nc]) for i in idx])
        meta = [(rows[i][0], rows[i][3], rows[i][4]) for i in idx]
        pub[idx] = track_decision(meta, p, a.smooth, a.drone_min_conf)
    clips = np.array([r[0] for r in rows])
    dclip = np.array([clip_class(c) == "drone" for c in clips])
    false_rows = pub & ~dclip
    print(f"recipe: {' '.join(targs)}")
    print(f"folds {a.folds} (seed {a.seed}), model seed {a.model_seed}, rows {len(rows)}, "
          f"clips {len(fold)}")
    print(figures_line(row_figures(clips, truth, pub)))
    by = {}
    for c, f in zip(clips, false_rows):
        if f:
            by[c] = by.get(c, 0) + 1
    cls = {c: sum(v for n, v in by.items() if clip_class(n) == c) for c in CLASSES[1:4]}
    print("false drone rows by clip class:", cls)
    print("clips with false drone rows:", sorted(by.items(), key=lambda t: -t[1]))
    miss = {}
    for c, t, p_ in zip(clips, truth, pub):
        if t == 0 and not p_:
            miss[c] = miss.get(c, 0) + 1
    print("missed drone rows by clip (top 10):", sorted(miss.items(), key=lambda t: -t[1])[:10])


if __name__ == "__main__":
    main()
