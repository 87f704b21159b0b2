#!/usr/bin/env python3
"""Train the camera object classifier (dsp/camcls) from sg_camscore feature dumps.

    train_camera.py TRAIN.csv CALIB.csv OUT.json [--seed 1] [--per-class 20000] [--nfeat N]

TRAIN.csv / CALIB.csv: `sg_camscore --features` rows (clip,split,sensor,frame,track,
truth,<CAMFEAT_N features>) of the train and calib splits (the split rule lives in
tools/sg_camscore.c). The validation split is never read here.

Model: standardise, then a multilayer perceptron (one hidden ReLU layer of 32) fitted on
TRAIN with classes balanced by resampling (at most --per-class rows per class, the
smaller classes drawn with replacement up to that count, seeded); --hidden 64,32 gives
two hidden layers. Calibration on CALIB
(clips the weights never saw, natural class mix): a temperature T and a per-class
logit offset (the prior shift that balancing introduced) minimising the negative log
likelihood; the offsets are folded into the last layer's bias so the C side only
divides by T. Output: the camcls JSON described in dsp/camcls.h.
"""
import argparse
import csv
import json
import sys

import numpy as np
import sklearn
from sklearn.neural_network import MLPClassifier

CLASSES = ["drone", "bird", "airplane", "helicopter", "clutter"]


def load(path):
    with open(path, newline="") as f:
        r = csv.reader(f)
        head = next(r)
        feats = head[6:]
        xs, ys = [], []
        for row in r:
            xs.append([float(v) for v in row[6:]])
            ys.append(CLASSES.index(row[5]))
    x = np.asarray(xs, dtype=np.float64).reshape(-1, len(feats))
    return feats, np.nan_to_num(x), np.asarray(ys, dtype=np.int64)


def balance(x, y, per_class, rng):
    idx = []
    for k in range(len(CLASSES)):
        ik = np.flatnonzero(y == k)
        if len(ik) == 0:
            continue
        take = rng.choice(ik, size=per_class, replace=len(ik) < per_class)
        idx.append(take)
    idx = np.concatenate(idx)
    rng.shuffle(idx)
    return x[idx], y[idx]


def logits(mlp, z):
    a = z
    for i, (w, b) in enumerate(zip(mlp.coefs_, mlp.intercepts_)):
        a = a @ w + b
        if i + 1 < len(mlp.coefs_):
            a = np.maximum(a, 0)
    return a


def softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def nll(z, y, t, d):
    p = softmax(z / t + d)
    return -np.mean(np.log(p[np.arange(len(y)), y] + 1e-12))


def calibrate(z, y):
    """Temperature and class offsets by gradient descent on the mean NLL."""
    lt, d = 0.0, np.zeros(z.shape[1])
    onehot = np.eye(z.shape[1])[y]
    lr = 0.05
    for _ in range(3000):
        t = np.exp(lt)
        p = softmax(z / t + d)
        g = (p - onehot) / len(y)             # dNLL/d(logit)
        gd = g.sum(axis=0)
        glt = np.sum(g * (-z / t))            # d(z/t)/d(log t) = -z/t
        d -= lr * 10 * gd
        d -= d.mean()
        lt -= lr * glt
    return float(np.exp(lt)), d


def ece(p, y, bins=10):
    conf = p.max(axis=1)
    ok = p.argmax(axis=1) == y
    e = 0.0
    for i in range(bins):
        m = (conf > i / bins) & (conf <= (i + 1) / bins)
        if m.any():
            e += m.mean() * abs(ok[m].mean() - conf[m].mean())
    return e


def fit_member(job):
    """The network: a seeded class-balanced resample, then the seeded fit."""
    x, y, mean, scale, per_class, hidden, epochs, seed = job
    xb, yb = balance(x, y, per_class, np.random.default_rng(seed))
    mlp = MLPClassifier(hidden_layer_sizes=hidden, activation="relu", alpha=1e-3,
                        batch_size=256, learning_rate_init=1e-3, max_iter=epochs,
                        random_state=seed, tol=1e-5, n_iter_no_change=8)
    mlp.fit((xb - mean) / scale, yb)
    if list(mlp.classes_) != list(range(len(CLASSES))):
        sys.exit("train_camera: a class has no training rows")
    return mlp


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("train")
    ap.add_argument("calib")
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--per-class", type=int, default=20000)
    ap.add_argument("--hidden", default="32", help="hidden layer widths, comma separated")
    ap.add_argument("--epochs", type=int, default=60)
    ap.add_argument("--nfeat", type=int, default=0,
                    help="use only the first N feature columns (0 = all)")
    a = ap.parse_args()

    names, x, y = load(a.train)
    cnames, xc, yc = load(a.calib)
    if cnames != names:
        sys.exit("train_camera: train and calib feature columns differ")
    if a.nfeat:
        names, x, xc = names[:a.nfeat], x[:, :a.nfeat], xc[:, :a.nfeat]
    print("train rows per class:", {c: int((y == k).sum()) for k, c in enumerate(CLASSES)})
    print("calib rows per class:", {c: int((yc == k).sum()) for k, c in enumerate(CLASSES)})
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-6] = 1.0
    hidden = tuple(int(v) for v in str(a.hidden).split(","))
    mlp = fit_member((x, y, mean, scale, a.per_class, hidden, a.epochs, a.seed))
    zc = logits(mlp, (xc - mean) / scale)
    t, d = calibrate(zc, yc)
    p0, p1 = softmax(zc), softmax(zc / t + d)
    print(f"calib: NLL {nll(zc, yc, 1.0, 0):.3f} -> {nll(zc, yc, t, d):.3f}, "
          f"ECE {ece(p0, yc):.3f} -> {ece(p1, yc):.3f}, accuracy {np.mean(p1.argmax(1) == yc):.3f}, "
          f"T {t:.3f}, offsets {np.round(d, 3).tolist()}")
    layers = []
    for i, (w, b) in enumerate(zip(mlp.coefs_, mlp.intercepts_)):
        b = b.copy()
        if i + 1 == len(mlp.coefs_):
            b = b + t * d                      # softmax(z/t + d) = softmax((z + t d)/t)
        layers.append({"W": [[float(f"{v:.6g}") for v in row] for row in w.T],
                       "b": [float(f"{v:.6g}") for v in b]})
    doc = {"format": "skyguard-camcls", "version": 1, "features": names, "classes": CLASSES,
           "mean": [float(f"{v:.6g}") for v in mean], "scale": [float(f"{v:.6g}") for v in scale],
           "layers": layers, "temperature": float(f"{t:.6g}"),
           "trained": {"seed": a.seed, "rows": int(len(y)), "per_class": a.per_class,
                       "hidden": list(hidden), "epochs": a.epochs,
                       "sklearn": sklearn.__version__,
                       "iterations": int(mlp.n_iter_)}}
    with open(a.out, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")
    print("wrote", a.out)


if __name__ == "__main__":
    main()
