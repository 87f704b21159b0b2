#!/usr/bin/env python3
"""Out-of-fold training and calibration of a camera classifier over the train + calib
clips (docs/camera-history.md, "Issue 14, cam-v: out-of-fold training and calibration").

    oof_camera.py [--data DIR] [--folds 4] [--seed 1] [--model-seed 1] [--epochs 12]
                  [--jobs 2] [--reuse] [--smooth 30,45,60,90] [--conf 0.4,...,0.6]
                  --default-smooth S [--refit OUT.json [--vectors VEC.json]]
                  [--all --score BUILD/sg_camscore --sensor V|IR [--merge-frac F]
                   [--detector JSON] [--rescore OUT]]
                  DUMP_DIR WORK_DIR -- TRAIN_CAMERA_ARGS...

(its own options before DUMP_DIR; everything after WORK_DIR is the recipe, passed to
tools/train_camera.py for every fit)

1. The rows of the train and calib dumps (tools/train-camera.sh, DUMP_DIR) are pooled and
   their clips dealt into --folds folds, stratified by the clip's class and distance bin
   (DATA/index.csv): per (class, bin) stratum the name-sorted clips are shuffled by one
   random.Random(--seed) and dealt round-robin, each stratum continuing where the last
   stopped (tools/cv_camera.py deal). The val split is never read (the dumps hold none).
2. For each fold, train_camera.py fits the recipe on the other folds for exactly --epochs
   epochs (no early stopping: the held-out fold decides nothing in the fit) with the
   calibration fixed to the identity (--calibration 1,0,0,0,0,0), and the held-out
   fold's rows are scored with the exported file (the numpy forward pass of
   tools/camcls_ensemble.py, the arithmetic of dsp/camcls.c): every pooled row gets an
   out-of-fold log-probability vector (the network's logits up to a per-row constant).
3. The calibration (temperature, class offsets; train_camera.calibrate) is fitted on the
   out-of-fold logits of all pooled rows.
4. The camera's track decision is replayed on the calibrated out-of-fold probabilities
   (cv_camera.track_decision: per track, the running mean of floored log-probabilities,
   rows in frame order; the rows are every 3rd frame, so `class_smooth` S detections are
   round(S / 3) rows; fragment inheritance is not replayed) for every --smooth x --conf
   pair, and the pair is chosen by RULE (below). Row figures: drone-row recall, precision
   of drone publications, false drone publications per row of drone-free clips.
5. --refit OUT: the recipe fitted once on all pooled rows with the same --epochs and
   model seed, written with the out-of-fold calibration (--calibration T,D...) and, if
   the chosen drone_min_conf is not the camera's 0.5, that operating point
   (--drone-min-conf); --vectors: its test vectors (rows of the pooled dump).

RULE (the settings' choice): among the --smooth x --conf pairs with out-of-fold precision
>= 0.9 and false drone reports per frame <= 0.05, the one with the highest recall (ties:
the fewer false reports, then the pair nearest the defaults --default-smooth / 0.5); if no
pair qualifies, the defaults --default-smooth / 0.5. False reports per frame, the unit of
the target, are estimated from the rows as 3 x false drone rows / frames of the drone-free
pooled clips (DATA/index.csv): a row stands for the 3 frames of its track it samples. (The
first version compared false drone rows per row, which counts every clutter detection in
the denominator, ~7x looser than the target; docs/camera-history.md.)

WORK_DIR/oof.json holds the folds, the calibration, the whole grid and the choice;
WORK_DIR/oof_logp.npy the out-of-fold log-probabilities (row order of the pooled dump).

--all (docs/camera-history.md, "cam-all"): the val dump is pooled too, so the folds hold every
labelled clip of the modality (train + calib + val), and with --score each held-out fold is
scored by the real C pipeline with nested settings. For outer fold k: the calibration
(step 3) and the track settings (step 4, RULE) are chosen on the out-of-fold rows of the
other folds only (their drone-free frames for the false-report unit); fold k's model is
exported with that calibration (folded into the last bias, as train_camera.py writes it)
and, if not 0.5, that drone_min_conf (WORK_DIR/nestedK.json); fold k's clips
(WORK_DIR/foldK.txt) are run through `sg_camscore --clip-list foldK.txt --sensor S
--model nestedK.json --class-smooth S_k --per-clip` (output WORK_DIR/scoreK.txt). The frame
counts of the held-out folds are summed into pooled frame figures (recall, precision,
false drone reports per frame, confusion, first drone report times from the per-clip
lines), printed with every fold's own figures and written to WORK_DIR/kfold.json. The
settings of the refit (--refit) are those chosen on all folds' out-of-fold rows.
--rescore OUT (docs/camera-history.md, "cam-det2"): an earlier --all --score run's held-out folds
scored again, e.g. with other --detector settings: WORK_DIR's nestedK.json, foldK.txt and
the class_smooth each fold was scored with (WORK_DIR/kfold.json), the new scores and pooled
figures in OUT (scoreK.txt, kfold.json); DUMP_DIR is not read, nothing is fitted or written
in WORK_DIR. The fold models stay those trained on the earlier run's rows.
--default-smooth: the modality's camera class_smooth (camera_class_smooth, adapters/camera.h:
tools/train-camera.sh passes `sg_camscore --default-class-smooth SENSOR`), the RULE's
fallback and tie-break.
"""
import argparse
import concurrent.futures
import csv
import json
import os
import re
import subprocess
import sys

import numpy as np

from camcls_ensemble import forward
from cv_camera import (clip_class, deal, figures_line, load_pooled, row_figures, run_fold,
                       track_decision, write_folds, write_rows)
from train_camera import CLASSES, calibrate, fold_calibration, nll, softmax

BINS = ("close", "medium", "distant")
DEFAULT_CONF = 0.5
IDENTITY = ",".join(["1"] + ["0"] * len(CLASSES))


def read_index(data):
    with open(os.path.join(data, "index.csv"), newline="") as f:
        return {r["clip"]: r for r in csv.DictReader(f)}


def read_bins(data):
    return {c: r["distance_bin"] for c, r in read_index(data).items()}


def oof_folds(clips, k, seed, bins):
    """Clip -> fold, stratified by (class, distance bin)."""
    for c in clips:
        if bins.get(c) not in BINS:
            sys.exit(f"oof_camera: {c}: no distance bin in the index (got {bins.get(c)!r})")
    order = [(c, b) for c in CLASSES[:4] for b in BINS]
    return deal(clips, k, seed, lambda n: (clip_class(n), bins[n]), order, carry=True)


def choose(grid, default_smooth):
    """RULE (module docstring) over grid entries {smooth, conf, recall, precision, false}."""
    ok = [g for g in grid if g["precision"] >= 0.9 and g["false_frame"] <= 0.05]
    if not ok:
        return {"smooth": default_smooth, "conf": DEFAULT_CONF, "qualified": False}
    best = max(ok, key=lambda g: (g["recall"], -g["false_frame"],
                                  -abs(g["smooth"] - default_smooth) / default_smooth
                                  - abs(g["conf"] - DEFAULT_CONF)))
    return {"smooth": best["smooth"], "conf": best["conf"], "qualified": True}


def settings(logp, truth, meta, clips, mask, free_frames, smooths, confs, default_smooth):
    """Steps 3 and 4 on the rows of mask: calibration (T, offsets), the grid and RULE's pick."""
    t, d = calibrate(logp[mask], truth[mask])
    p = softmax(logp[mask] / t + d)
    m_meta = [m for m, k in zip(meta, mask) if k]
    grid = []
    for s in smooths:
        for c in confs:
            f = row_figures(clips[mask], truth[mask],
                            track_decision(m_meta, p, max(1, round(s / 3)), c))
            grid.append({"smooth": s, "conf": c, **f,
                         "false_frame": 3 * f["false_rows"] / max(free_frames, 1)})
    return t, d, grid, choose(grid, default_smooth)


def recalibrated(model, t, d, conf):
    """The identity-calibrated fold model with calibration (t, d) folded in as
    train_camera.py writes it (last bias + t * d, temperature t) and drone_min_conf conf
    (only if not the camera's 0.5)."""
    m = json.loads(json.dumps(model))
    last = m["layers"][-1]
    last["b"] = [round(float(v), 6) for v in fold_calibration(last["b"], t, d)]
    m["temperature"] = round(float(t), 6)
    m.setdefault("trained", {})["calibration"] = "nested: " + ",".join(
        repr(float(v)) for v in [t] + list(d))
    m.pop("drone_min_conf", None)
    if conf != DEFAULT_CONF:
        m["drone_min_conf"] = conf
    return m


# the counts of one sg_camscore figures line, in its order (parse_score), summed over folds
COUNTS = ("drone_hits", "drone_frames", "reports_ok", "reports", "free_false", "free_frames")
SCORE_RE = re.compile(r"recall [\d.]+ \((\d+)/(\d+) drone frames\)  precision [\d.]+ "
                      r"\((\d+)/(\d+) drone reports\)  false_drone_per_frame [\d.]+ "
                      r"\((\d+) in (\d+) drone-free frames\)")
CLIP_RE = re.compile(r"^clip (\S+) \S+ frames (\d+) drone_reports (\d+) on_drone (\d+) "
                     r"first_s (-?[\d.]+) first_drone_s (-?[\d.]+) ")


def parse_score(text, sensor):
    """One modality's counts from sg_camscore's output: drone_hits, drone_frames,
    reports_ok, reports, free_false, free_frames, confusion (5 x 6), per clip its frames,
    drone reports, reports on the drone and first report times (--per-clip lines)."""
    want = "== thermal (IR)" if sensor == "IR" else "== visible (V)"
    lines = text.splitlines()
    try:
        i = next(k for k, ln in enumerate(lines) if ln.startswith(want))
    except StopIteration:
        sys.exit(f"oof_camera: sg_camscore output has no '{want}' section")
    m = SCORE_RE.search(lines[i + 1])
    if not m:
        sys.exit(f"oof_camera: sg_camscore output: cannot read the figures line {lines[i + 1]!r}")
    out = dict(zip(COUNTS, (int(v) for v in m.groups())))
    j = next(k for k in range(i, len(lines)) if lines[k].startswith("confusion"))
    out["confusion"] = [[int(v) for v in lines[j + 2 + r].split()[1:]] for r in range(5)]
    out["clips"] = {}
    for ln in lines:
        c = CLIP_RE.match(ln)
        if c:
            out["clips"][c.group(1)] = {"frames": int(c.group(2)),
                                        "drone_reports": int(c.group(3)),
                                        "on_drone": int(c.group(4)),
                                        "first_s": float(c.group(5)),
                                        "first_drone_s": float(c.group(6))}
    return out


# Rule 3 of cam-all (docs/camera-history.md): the pooled frame figures, their targets, the margin a
# candidate must gain on a figure that misses its target, and how much worse any figure may be
TARGETS = {"recall": (">=", 0.9, 0.02, 0.01), "precision": (">=", 0.9, 0.02, 0.01),
           "false_frame": ("<=", 0.05, 0.01, 0.005)}


def adopt(ref, cand):
    """Rule 3: does the candidate's pooled frame figures (recall, precision, false_frame)
    replace the reference's? Only if it is better by the margin on a figure where the
    reference misses its target, and no figure is worse by more than the tolerance.
    Returns (adopted, reasons): one line per figure."""
    gains, losses, why = [], [], []
    for key, (sense, target, margin, tol) in TARGETS.items():
        r, c = ref[key], cand[key]
        better = c - r if sense == ">=" else r - c  # > 0: the candidate is better
        missed = r < target if sense == ">=" else r > target
        if missed and better >= margin - 1e-12:
            gains.append(key)
        if -better > tol + 1e-12:
            losses.append(key)
        why.append(f"{key}: reference {r:.4f} ({'misses' if missed else 'meets'} {sense} {target}),"
                   f" candidate {c:.4f}, {'better' if better >= 0 else 'worse'} by {abs(better):.4f}"
                   f" (gain needed {margin}, worse allowed {tol})")
    ok = bool(gains) and not losses
    why.append(f"adopted: gains {gains}" if ok else
               f"not adopted: gains {gains or 'none'}, too much worse {losses or 'none'}")
    return ok, why


SEEDS_MARGIN = 0.01  # stop 33's rule: the mean shortfall must be lower by this


def shortfall(f):
    """How far pooled frame figures (recall, precision, false_frame) miss issue 14's targets,
    summed: 0 when all three are met (stop 33's rule, docs/camera-history.md)."""
    return sum(max(0.0, target - f[key]) if sense == ">=" else max(0.0, f[key] - target)
               for key, (sense, target, _margin, _tol) in TARGETS.items())


def adopt_seeds(refs, cands):
    """Stop 33's rule over model seeds (lists of each seed's pooled frame figures): the
    candidate replaces the reference if its mean shortfall is lower by at least SEEDS_MARGIN
    and its worst seed's shortfall is no higher than the reference's worst. Returns
    (adopted, reasons)."""
    if not refs or not cands:
        raise ValueError("adopt_seeds: no runs")
    rs, cs = [shortfall(f) for f in refs], [shortfall(f) for f in cands]
    rm, cm = sum(rs) / len(rs), sum(cs) / len(cs)
    why = [f"reference shortfall per seed {' / '.join(f'{v:.4f}' for v in rs)}: mean {rm:.4f},"
           f" worst {max(rs):.4f}",
           f"candidate shortfall per seed {' / '.join(f'{v:.4f}' for v in cs)}: mean {cm:.4f},"
           f" worst {max(cs):.4f}"]
    lower = rm - cm >= SEEDS_MARGIN - 1e-12
    worst = max(cs) <= max(rs) + 1e-12
    ok = lower and worst
    why.append(f"{'adopted' if ok else 'not adopted'}: mean lower by {rm - cm:.4f} (needed "
               f"{SEEDS_MARGIN}), worst seed {'no higher' if worst else 'higher'}")
    return ok, why


def frame_figures(s):
    """Recall, precision, false per frame and first drone report times of summed counts."""
    first = [v["first_drone_s"] for c, v in s["clips"].items() if clip_class(c) == "drone"]
    seen = [v for v in first if v >= 0]
    return {"recall": s["drone_hits"] / max(s["drone_frames"], 1),
            "precision": s["reports_ok"] / max(s["reports"], 1),
            "false_frame": s["free_false"] / max(s["free_frames"], 1),
            "first_drone_mean": float(np.mean(seen)) if seen else -1.0,
            "first_drone_max": float(max(seen)) if seen else -1.0,
            "drone_clips": len(first), "never": len(first) - len(seen)}


def frame_line(s, f):
    return (f"recall {f['recall']:.3f} ({s['drone_hits']}/{s['drone_frames']})  precision "
            f"{f['precision']:.3f} ({s['reports_ok']}/{s['reports']})  false drone reports per "
            f"frame {f['false_frame']:.4f} ({s['free_false']} in {s['free_frames']})  first drone "
            f"report mean {f['first_drone_mean']:.2f} / max {f['first_drone_max']:.2f} s, "
            f"{f['drone_clips'] - f['never']} of {f['drone_clips']}")


def score_fold(a, k, mpath, lpath, smooth, out):
    """Held-out fold k through the C pipeline: `sg_camscore --clip-list lpath --model mpath
    --class-smooth smooth --per-clip` (a's sensor, merge_frac, detector); the command and its
    output go to out/scoreK.txt; returns the modality's counts (parse_score)."""
    cmd = [a.score, "--data", a.data, "--clip-list", lpath, "--sensor", a.sensor,
           "--model", mpath, "--class-smooth", str(smooth), "--per-clip"]
    if a.merge_frac is not None:
        cmd += ["--merge-frac", str(a.merge_frac)]
    if a.detector:
        cmd += ["--detector", a.detector]
    r = subprocess.run(cmd, check=True, capture_output=True, text=True)
    with open(os.path.join(out, f"score{k}.txt"), "w") as f:
        f.write(" ".join(cmd) + "\n" + r.stdout)
    return parse_score(r.stdout, a.sensor)


def pool_folds(per_fold, out):
    """The held-out folds' counts summed: pooled figures and per-fold spread printed, every
    count written to out/kfold.json."""
    pooled = {key: sum(pf[key] for pf in per_fold) for key in COUNTS}
    pooled["confusion"] = [[sum(col) for col in zip(*rows)]
                           for rows in zip(*(pf["confusion"] for pf in per_fold))]
    pooled["clips"] = {c: v for pf in per_fold for c, v in pf["clips"].items()}
    f = frame_figures(pooled)
    print(f"pooled out-of-fold, {len(pooled['clips'])} clips: {frame_line(pooled, f)}")
    for key in ("recall", "precision", "false_frame"):
        v = [pf[key] for pf in per_fold]
        print(f"  per-fold {key}: {' / '.join(f'{x:.3f}' for x in v)} (min {min(v):.3f}, "
              f"max {max(v):.3f})")
    print("pooled confusion (rows truth drone bird airplane helicopter clutter; columns "
          "published drone bird airplane helicopter clutter uncertain):")
    for name, row in zip(("drone", "bird", "airplane", "helicopter", "clutter"),
                         pooled["confusion"]):
        print(f"  {name:<10}" + "".join(f" {v:7d}" for v in row))
    with open(os.path.join(out, "kfold.json"), "w") as fp:
        json.dump({"pooled": {**pooled, **f}, "folds": per_fold}, fp, indent=1)


def kfold_score(a, models, fold, fid, logp, truth, meta, clips, index, smooths, confs):
    """--score: every outer fold's nested settings, its clips through sg_camscore, pooled."""
    per_fold = []
    for k in range(a.folds):
        mask = fid != k
        free = sum(int(index[c]["frames"]) for c, v in fold.items()
                   if v != k and clip_class(c) != "drone")
        t, d, _, pick = settings(logp, truth, meta, clips, mask, free, smooths, confs,
                                 a.default_smooth)
        with open(models[k]) as f:
            m = recalibrated(json.load(f), t, d, pick["conf"])
        mpath = os.path.join(a.work, f"nested{k}.json")
        with open(mpath, "w") as f:
            json.dump(m, f)
        lpath = os.path.join(a.work, f"fold{k}.txt")
        with open(lpath, "w") as f:
            f.write("".join(c + "\n" for c in sorted(c for c, v in fold.items() if v == k)))
        s = score_fold(a, k, mpath, lpath, pick["smooth"], a.work)
        f = frame_figures(s)
        per_fold.append({"fold": k, "clips": len(s["clips"]), "temperature": t,
                         "offsets": d.tolist(), "choice": pick, **s, **f})
        print(f"fold {k}: {len(s['clips'])} clips, nested T {t:.3f}, class_smooth "
              f"{pick['smooth']}, drone_min_conf {pick['conf']}"
              f"{'' if pick['qualified'] else ' (none qualified: defaults)'}: {frame_line(s, f)}")
    pool_folds(per_fold, a.work)


def rescore(a):
    """--rescore OUT: the held-out folds of an earlier --all --score run in WORK_DIR scored
    again by a.score with a's detector settings, with the same fold models (nestedK.json),
    clip lists (foldK.txt) and class_smooth (WORK_DIR/kfold.json); nothing in WORK_DIR is
    written, no dump is read and nothing is fitted. Output: OUT/scoreK.txt, OUT/kfold.json."""
    if os.path.realpath(a.rescore) == os.path.realpath(a.work):
        sys.exit(f"oof_camera: --rescore {a.rescore}: must not be WORK_DIR (its scores stay)")
    kpath = os.path.join(a.work, "kfold.json")
    try:
        with open(kpath) as f:
            folds = json.load(f)["folds"]
    except (OSError, ValueError, KeyError) as e:
        sys.exit(f"oof_camera: --rescore: {kpath}: no earlier --all --score run ({e})")
    os.makedirs(a.rescore, exist_ok=True)
    per_fold = []
    for pf in folds:
        k = pf["fold"]
        mpath = os.path.join(a.work, f"nested{k}.json")
        lpath = os.path.join(a.work, f"fold{k}.txt")
        for p in (mpath, lpath):
            if not os.path.isfile(p):
                sys.exit(f"oof_camera: --rescore: {p}: missing (fold {k} of {kpath})")
        s = score_fold(a, k, mpath, lpath, pf["choice"]["smooth"], a.rescore)
        f = frame_figures(s)
        per_fold.append({"fold": k, "clips": len(s["clips"]), "choice": pf["choice"], **s, **f})
        print(f"fold {k}: {len(s['clips'])} clips, class_smooth {pf['choice']['smooth']} "
              f"(as scored in {kpath}): {frame_line(s, f)}")
    pool_folds(per_fold, a.rescore)


def oof_logp(models, fid, rows, names, x, crops):
    """Out-of-fold log-probabilities: each row scored by the model of its own fold."""
    out = np.zeros((len(rows), len(CLASSES)))
    for k, path in models.items():
        with open(path) as f:
            m = json.load(f)
        nc = m["cnn"]["channels"] * m["cnn"]["size"] ** 2 if "cnn" in m else 0
        for i in np.flatnonzero(fid == k):
            p = forward(m, dict(zip(names, x[i])), crops[i][:nc])
            out[i] = np.log(np.maximum(p, 1e-300))
    return out


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("dump")
    ap.add_argument("work")
    ap.add_argument("--data", default=os.path.join(here, "..", "..", "shared", "fixtures",
                                                    "video-train"))
    ap.add_argument("--folds", type=int, default=4)
    ap.add_argument("--seed", type=int, default=1, help="fold dealing seed")
    ap.add_argument("--model-seed", type=int, default=1)
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--smooth", default="30,45,60,90",
                    help="class_smooth values (detections) of the grid")
    ap.add_argument("--conf", default="0.4,0.45,0.5,0.55,0.6",
                    help="drone_min_conf values of the grid")
    ap.add_argument("--default-smooth", type=int,
                    help="the modality's camera class_smooth (RULE's fallback, tie-break; "
                    "sg_camscore --default-class-smooth, as tools/train-camera.sh passes it); "
                    "needed unless --rescore")
    ap.add_argument("--reuse", action="store_true",
                    help="score the fold models already in WORK_DIR instead of refitting")
    ap.add_argument("--all", action="store_true",
                    help="pool the val dump too: every labelled clip of the modality")
    ap.add_argument("--score", help="with --all: sg_camscore; score every held-out fold with "
                    "its nested settings (module docstring)")
    ap.add_argument("--sensor", choices=("V", "IR"), help="with --score: the modality")
    ap.add_argument("--merge-frac", type=float, help="with --score: sg_camscore --merge-frac")
    ap.add_argument("--detector", help="with --score: sg_camscore --detector JSON")
    ap.add_argument("--rescore", metavar="OUT",
                    help="with --all --score: score WORK_DIR's saved fold models again "
                    "(detector settings of this run), output to OUT; no dump, no fit")
    ap.add_argument("--refit", help="fit the recipe on all pooled rows, write the model here")
    ap.add_argument("--vectors", help="with --refit: the test vectors")
    ap.add_argument("train_args", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    if a.folds < 2:
        sys.exit(f"oof_camera: --folds: at least 2, got {a.folds}")
    if a.score and not (a.all and a.sensor):
        sys.exit("oof_camera: --score needs --all and --sensor")
    if a.score and not os.access(a.score, os.X_OK):
        sys.exit(f"oof_camera: --score {a.score}: not an executable")
    if a.rescore:
        if not a.score:
            sys.exit("oof_camera: --rescore needs --all --score and --sensor")
        if a.refit or a.reuse:
            sys.exit("oof_camera: --rescore fits nothing: no --refit, no --reuse")
        rescore(a)
        return
    if a.default_smooth is None:
        sys.exit("oof_camera: --default-smooth: the camera's class_smooth for the modality "
                 "(sg_camscore --default-class-smooth V|IR)")
    targs = [t for t in a.train_args if t != "--"]
    for t in ("--early-stop", "--calibration", "--epochs", "--drone-min-conf"):
        if t in targs:
            sys.exit(f"oof_camera: {t} is set by oof_camera itself, not by the recipe")
    os.makedirs(a.work, exist_ok=True)
    head, rows, crops = load_pooled(a.dump, ("train", "calib", "val") if a.all else
                                    ("train", "calib"))
    index = read_index(a.data)
    fold = oof_folds(sorted({r[0] for r in rows}), a.folds, a.seed,
                     {c: r["distance_bin"] for c, r in index.items()})
    free_frames = sum(int(index[c]["frames"]) for c in fold if clip_class(c) != "drone")
    fid = np.array([fold[r[0]] for r in rows])
    write_folds(a.work, head, rows, crops, fid, a.folds)
    fit_args = targs + ["--epochs", str(a.epochs), "--calibration", IDENTITY]
    jobs = [(k, a.work, sys.executable, here, fit_args, a.model_seed, a.reuse)
            for k in range(a.folds)]
    with concurrent.futures.ThreadPoolExecutor(a.jobs) as ex:
        models = dict(ex.map(run_fold, jobs))
    names = head[6:]
    x = np.nan_to_num(np.array([[float(v) for v in r[6:]] for r in rows]))
    truth = np.array([CLASSES.index(r[5]) for r in rows])
    clips = np.array([r[0] for r in rows])
    logp = oof_logp(models, fid, rows, names, x, crops)
    np.save(os.path.join(a.work, "oof_logp.npy"), logp)
    meta = [(r[0], r[3], r[4]) for r in rows]
    smooths = [int(v) for v in a.smooth.split(",")]
    confs = [float(v) for v in a.conf.split(",")]
    t, d, grid, pick = settings(logp, truth, meta, clips, np.ones(len(rows), dtype=bool),
                                free_frames, smooths, confs, a.default_smooth)
    p = softmax(logp / t + d)
    chosen = next(g for g in grid if (g["smooth"], g["conf"]) == (pick["smooth"], pick["conf"]))
    print(f"recipe: {' '.join(targs) or '(committed)'}; {a.epochs} epochs, model seed "
          f"{a.model_seed}")
    print(f"folds {a.folds} (seed {a.seed}), rows {len(rows)}, clips {len(fold)}; clips per "
          f"fold {[sum(1 for v in fold.values() if v == k) for k in range(a.folds)]}")
    print(f"out-of-fold NLL {nll(logp, truth, 1.0, 0):.4f} -> calibrated {nll(logp, truth, t, d):.4f}"
          f" (T {t:.4f}, offsets {np.round(d, 4).tolist()}); per-row argmax accuracy "
          f"{np.mean(p.argmax(1) == truth):.4f}")
    print("grid (class_smooth detections, drone_min_conf: recall / precision / false rows per "
          f"row / false reports per frame, 3 x false rows / {free_frames} drone-free frames):")
    for g in grid:
        print(f"  {g['smooth']:4d} {g['conf']:.2f}: {g['recall']:.3f} / {g['precision']:.3f} / "
              f"{g['false']:.4f} / {g['false_frame']:.4f}")
    print(f"chosen by the rule ({'qualified' if pick['qualified'] else 'none qualified: defaults'}): "
          f"class_smooth {pick['smooth']}, drone_min_conf {pick['conf']}")
    print(figures_line(chosen))
    pub = track_decision(meta, p, max(1, round(pick["smooth"] / 3)), pick["conf"])
    by_f, by_m = {}, {}
    for c, tr, pb in zip(clips, truth, pub):
        if pb and clip_class(c) != "drone":
            by_f[c] = by_f.get(c, 0) + 1
        if tr == 0 and not pb:
            by_m[c] = by_m.get(c, 0) + 1
    print("false drone rows by clip:", sorted(by_f.items(), key=lambda v: -v[1]))
    print("missed drone rows by clip (top 10):", sorted(by_m.items(), key=lambda v: -v[1])[:10])
    summary = {"recipe": targs, "epochs": a.epochs, "model_seed": a.model_seed,
               "fold_seed": a.seed, "folds": {c: int(v) for c, v in sorted(fold.items())},
               "temperature": t, "offsets": d.tolist(), "grid": grid, "choice": pick,
               "false_by_clip": by_f, "missed_by_clip": by_m}
    with open(os.path.join(a.work, "oof.json"), "w") as f:
        json.dump(summary, f, indent=1)
    if a.score:
        kfold_score(a, models, fold, fid, logp, truth, meta, clips, index, smooths, confs)
    if not a.refit:
        return
    allm = np.ones(len(rows), dtype=bool)
    write_rows(a.work, "all", head, rows, crops, allm)
    cal = ",".join(repr(float(v)) for v in [t] + list(d))
    cmd = [sys.executable, os.path.join(here, "train_camera.py"), "--seed", str(a.model_seed),
           "--crops", os.path.join(a.work, "all.f32"), os.path.join(a.work, "all.f32"),
           "--per-class", "8000"] + targs + ["--epochs", str(a.epochs), "--calibration", cal]
    if pick["conf"] != DEFAULT_CONF:
        cmd += ["--drone-min-conf", str(pick["conf"])]
    if a.vectors:
        cmd += ["--vectors", a.vectors]
    cmd += [os.path.join(a.work, "all.csv"), os.path.join(a.work, "all.csv"), a.refit]
    with open(os.path.join(a.work, "refit.log"), "w") as log:
        subprocess.run(cmd, check=True, stdout=log, stderr=subprocess.STDOUT)
    print("refit on all pooled rows:", a.refit)


if __name__ == "__main__":
    main()
