#!/usr/bin/env python3
"""Train the camera object classifier (dsp/camcls) from sg_camscore feature dumps.

    train_camera.py TRAIN.csv CALIB.csv OUT.json [--seed 1] [--per-class 20000] [--nfeat N]
                    [--crops TRAIN.f32 CALIB.f32 [--vectors TESTVEC.json]]

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

With --crops (the rows' appearance crops from `sg_camscore --crops`, CAMCROP_N float32
each): the model gets an appearance branch, trained end to end with python3-torch on
one thread with fixed seeds: 2x16x16 crops (--channels 3: 3x16x16, also the 8x window)
-> conv3x3 8 -> pool -> conv3x3 16 -> pool -> dense 16 (the embedding), joined to the
standardised features -> dense --hidden -> 5.
Each epoch draws --per-class rows per class with replacement (seeded) and flips half of
the crops left-right. Recipe options (defaults reproduce the earlier models exactly):
--augment (scale jitter of the crop box, contrast, brightness and noise on the crops,
noise on the features), --early-stop [--patience N] (keep the epoch whose calibrated
NLL on CALIB is lowest), --weight-decay, --lr, --drone-weight (drone rows' loss
weight), --focal G (focal loss), --conv A,B and --embed N (CNN widths), --hard-neg F
(hard-negative mining: from epoch --hard-neg-from on, a fraction F of the bird, airplane
and helicopter rows of each epoch is drawn in proportion to the network's P(drone)),
--hard-pos F (hard positives: a fraction F of the drone rows in proportion to
1 - P(drone), from the same epoch), --polarity-flip F (a fraction F of each epoch's rows
with the contrast inverted: the crops negated and the signed features POLARITY_SIGNED
negated, so bright objects are also learnt from dark ones and back). The same
calibration follows, unless --calibration T,D1..D5 gives it (a temperature and the five
class offsets fitted elsewhere, e.g. on out-of-fold probabilities by
tools/oof_camera.py; "1,0,0,0,0,0" exports the network's own softmax). --vectors writes a few calib rows
(features, crops) with the probabilities the exported (rounded) weights give in torch,
for tests/test_camcls.c.
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


def clip_names(path):
    """The clip column of a dump, one entry per row (as load's rows)."""
    with open(path, newline="") as f:
        r = csv.reader(f)
        next(r)
        return [row[0] for row in r]


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


def fold_calibration(b, t, d):
    """The last layer's bias b with the calibration (temperature t, class offsets d) folded
    in, as the exported file carries it: softmax(z / t + d) = softmax((z + t d) / t)."""
    return np.asarray(b, dtype=np.float64) + t * np.asarray(d, dtype=np.float64)


def nll(z, y, t, d):
    p = softmax(z / t + d)
    return -np.mean(np.log(p[np.arange(len(y)), y] + 1e-12))


def calibrate(z, y, steps=3000):
    """Temperature and class offsets by gradient descent on the mean NLL."""
    lt, d = 0.0, np.zeros(z.shape[1])
    onehot = np.eye(z.shape[1])[y]
    lr = 0.05
    for _ in range(steps):
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


# the features whose sign follows the object's polarity (dsp/camfeat.c: polarity and the
# box-minus-ring contrasts); the others are unchanged when the image is inverted
POLARITY_SIGNED = ("polarity", "ring2_diff", "ring4_diff", "ring8_diff")

CROP_PX, CROP_SCALES = 16, 3   # camfeat_crops: windows of 2, 4, 8 x the box, in that order
CROP_N = CROP_PX * CROP_PX * CROP_SCALES


def load_crops(path, n, channels):
    """The rows' crops, keeping the first `channels` windows (the model's input)."""
    c = np.fromfile(path, dtype=np.float32)
    if c.size != n * CROP_N:
        sys.exit(f"train_camera: {path}: {c.size} floats, expected {n} rows x {CROP_N}")
    return np.ascontiguousarray(c.reshape(n, CROP_SCALES, CROP_PX, CROP_PX)[:, :channels])


def write_json(path, doc):
    """Compact JSON and a newline, as the committed model and vector files are."""
    with open(path, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")
    print("wrote", path)


def r6(v):
    return float(f"{float(v):.6g}")


def augment(torch, c, z, a):
    """Seeded (torch's generator) augmentation of a batch: crop scale jitter (the crop box
    zoomed by 1 +- a.scale_jitter, shifted by up to 1 cell), contrast x (1 +- 0.2),
    brightness +- 0.2 (crops are in window sd units), cell noise of sd 0.1, and noise of
    sd a.feat_noise on the standardised features."""
    n = c.shape[0]
    s = 1.0 + a.scale_jitter * (2 * torch.rand(n) - 1)
    sh = (2 * torch.rand(n, 2) - 1) * (2.0 / CROP_PX)
    th = torch.zeros(n, 2, 3)
    th[:, 0, 0] = s
    th[:, 1, 1] = s
    th[:, :, 2] = sh
    with torch.no_grad():
        g = torch.nn.functional.affine_grid(th, list(c.shape), align_corners=False)
        c = torch.nn.functional.grid_sample(c, g, mode="bilinear", padding_mode="border",
                                            align_corners=False)
        c = c * (1 + 0.2 * (2 * torch.rand(n, 1, 1, 1) - 1)) + 0.2 * (2 * torch.rand(n, 1, 1, 1) - 1)
        c = torch.clamp(c + 0.1 * torch.randn(c.shape), -8, 8)
        z = z + a.feat_noise * torch.randn(z.shape)
    return c, z


def loss_fn(torch, logit, y, cw, gamma):
    """Cross entropy with class weights cw (drone-vs-rest weighting); gamma > 0: focal
    loss (1 - p_true)^gamma x CE."""
    lp = torch.log_softmax(logit, 1)
    lt = lp.gather(1, y[:, None])[:, 0]
    w = cw[y]
    if gamma > 0:
        w = w * (1 - lt.exp()) ** gamma
    return -(w * lt).sum() / cw[y].sum()


def hard_rows(torch, net, zt, ct, ik, a, rng, frac, positive):
    """Hard-example mining for one class: of its a.per_class rows this epoch, a fraction
    frac is drawn with probability proportional to the current network's P(drone)
    (positive False: hard negatives of a non-drone class, --hard-neg) or to 1 - P(drone)
    (positive True: the drone rows it misses, --hard-pos); uncalibrated softmax, + 1e-3
    so every row can be drawn; the rest uniformly; both with replacement from the rng
    (seeded), so a retrain is identical."""
    net.eval()
    pd = []
    with torch.no_grad():
        for b in range(0, len(ik), 2048):
            ib = torch.tensor(ik[b:b + 2048])
            pd.append(torch.softmax(net(zt[ib], ct[ib]), 1)[:, 0].double().numpy())
    pd = np.concatenate(pd)
    w = (1 - pd if positive else pd) + 1e-3
    nh = int(round(frac * a.per_class))
    return np.concatenate([rng.choice(ik, nh, replace=True, p=w / w.sum()),
                           rng.choice(ik, a.per_class - nh, replace=True)])


def fit_cnn(a, names, x, y, xc, yc, ctr, ccal, mean, scale, hidden, clips):
    import torch
    from torch import nn
    torch.manual_seed(a.seed)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)

    class Net(nn.Module):
        def __init__(self, nf):
            super().__init__()
            self.c1 = nn.Conv2d(a.channels, a.conv[0], 3, padding=1)
            self.c2 = nn.Conv2d(a.conv[0], a.conv[1], 3, padding=1)
            self.emb = nn.Linear(a.conv[1] * (CROP_PX // 4) ** 2, a.embed)
            dims = [nf + a.embed] + list(hidden) + [len(CLASSES)]
            self.mlp = nn.ModuleList(nn.Linear(i, o) for i, o in zip(dims[:-1], dims[1:]))

        def forward(self, f, c):
            c = torch.max_pool2d(torch.relu(self.c1(c)), 2)
            c = torch.max_pool2d(torch.relu(self.c2(c)), 2)
            h = torch.cat([f, torch.relu(self.emb(c.flatten(1)))], 1)
            for i, l in enumerate(self.mlp):
                h = l(h)
                if i + 1 < len(self.mlp):
                    h = torch.relu(h)
            return h

    for k, c in enumerate(CLASSES):
        if not (y == k).any():
            sys.exit(f"train_camera: no training rows of class {c}")
    net = Net(len(names))
    zt = torch.tensor((x - mean) / scale, dtype=torch.float32)
    ct = torch.tensor(ctr)
    if a.polarity_flip:
        # the same rows with the image inverted (the crops are negated per batch)
        xi = x.copy()
        for j, n in enumerate(names):
            if n in POLARITY_SIGNED:
                xi[:, j] = -xi[:, j]
        zt_inv = torch.tensor((xi - mean) / scale, dtype=torch.float32)
    yt = torch.tensor(y)
    opt = torch.optim.Adam(net.parameters(), lr=a.lr, weight_decay=a.weight_decay)
    rng = np.random.default_rng(a.seed)
    cw = torch.ones(len(CLASSES), dtype=torch.float32)
    cw[0] = a.drone_weight
    zcal = torch.tensor((xc - mean) / scale, dtype=torch.float32)
    ccal_t = torch.tensor(ccal)
    best = (np.inf, 0, None)
    hard = [CLASSES.index(c) for c in a.hard_neg_classes.split(",")] if a.hard_neg else []
    cb_w = None
    if a.clip_balance:
        # each clip of a class draws about equally often: a row's weight is 1 / (rows of
        # its clip with that truth), so a long clip does not stand for its class
        _, cl_inv, cl_n = np.unique([f"{c}/{t}" for c, t in zip(clips, y)], return_inverse=True,
                                    return_counts=True)
        cb_w = 1.0 / cl_n[cl_inv]
    for ep in range(a.epochs):
        draws = []
        for k in range(len(CLASSES)):
            ik = np.flatnonzero(y == k)
            if k in hard and ep + 1 >= a.hard_neg_from:
                draws.append(hard_rows(torch, net, zt, ct, ik, a, rng, a.hard_neg, False))
            elif k == 0 and a.hard_pos and ep + 1 >= a.hard_neg_from:
                draws.append(hard_rows(torch, net, zt, ct, ik, a, rng, a.hard_pos, True))
            elif a.clip_balance:
                draws.append(rng.choice(ik, a.per_class, replace=True, p=cb_w[ik] / cb_w[ik].sum()))
            else:
                draws.append(rng.choice(ik, a.per_class, replace=True))
        idx = np.concatenate(draws)
        rng.shuffle(idx)
        flip = rng.random(len(idx)) < 0.5
        inv = rng.random(len(idx)) < a.polarity_flip if a.polarity_flip else None
        net.train()
        tot = 0.0
        for b in range(0, len(idx), 256):
            ib = torch.tensor(idx[b:b + 256])
            cb = ct[ib]
            fb = torch.tensor(flip[b:b + 256])
            cb = torch.where(fb[:, None, None, None], torch.flip(cb, [3]), cb)
            zb = zt[ib]
            if inv is not None:
                pb = torch.tensor(inv[b:b + 256])
                cb = torch.where(pb[:, None, None, None], -cb, cb)
                zb = torch.where(pb[:, None], zt_inv[ib], zb)
            if a.augment:
                cb, zb = augment(torch, cb, zb, a)
            opt.zero_grad()
            loss = loss_fn(torch, net(zb, cb), yt[ib], cw, a.focal)
            loss.backward()
            opt.step()
            tot += float(loss) * len(ib)
        msg = f"epoch {ep + 1}/{a.epochs}: train loss {tot / len(idx):.4f}"
        if a.early_stop:
            # calibrated NLL of the calib rows after this epoch: the kept epoch is the best
            net.eval()
            with torch.no_grad():
                zce = net(zcal, ccal_t).double().numpy()
            t_ep, d_ep = calibrate(zce, yc, 600)
            v = nll(zce, yc, t_ep, d_ep)
            msg += f", calib NLL {v:.4f}"
            if v < best[0]:
                best = (v, ep + 1, {k: t.clone() for k, t in net.state_dict().items()})
        print(msg, flush=True)
        if a.early_stop and a.patience and ep + 1 - best[1] >= a.patience:
            break
    if a.early_stop:
        print(f"early stop: epoch {best[1]} (calib NLL {best[0]:.4f})", flush=True)
        net.load_state_dict(best[2])
    best_epoch = best[1] if a.early_stop else a.epochs
    # export with rounded weights, then reload them so the vectors match the file
    sd = {k: torch.tensor(np.vectorize(r6)(v.detach().numpy()), dtype=torch.float32)
          for k, v in net.state_dict().items()}
    net.load_state_dict(sd)
    net.eval()
    with torch.no_grad():
        zc = net(torch.tensor((xc - mean) / scale, dtype=torch.float32),
                 torch.tensor(ccal)).double().numpy()
    cnn = {"size": CROP_PX, "channels": a.channels,
           "conv": [{"W": sd[f"c{i}.weight"].reshape(sd[f"c{i}.weight"].shape[0], -1).tolist(),
                     "b": sd[f"c{i}.bias"].tolist()} for i in (1, 2)],
           "embed": {"W": sd["emb.weight"].tolist(), "b": sd["emb.bias"].tolist()}}
    layers = [{"W": sd[f"mlp.{i}.weight"].tolist(), "b": sd[f"mlp.{i}.bias"].tolist()}
              for i in range(len(net.mlp))]
    return zc, cnn, layers, net, torch, best_epoch


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
    ap.add_argument("--clip-balance", action="store_true",
                    help="with --crops: within each class draw rows so that every clip "
                         "contributes about equally (not every row)")
    ap.add_argument("--drop-features", default="",
                    help="feature names (comma separated) the model does not read (its "
                         "features list is the rest, in the extractor's order)")
    ap.add_argument("--crops", nargs=2, metavar=("TRAIN.f32", "CALIB.f32"),
                    help="appearance crops of the rows: train a CNN branch (python3-torch)")
    ap.add_argument("--vectors", help="with --crops: write test vectors here")
    ap.add_argument("--lr", type=float, default=2e-3, help="with --crops: Adam step size")
    ap.add_argument("--weight-decay", type=float, default=1e-4, help="with --crops: Adam's")
    ap.add_argument("--drone-weight", type=float, default=1.0,
                    help="with --crops: loss weight of the drone rows (others 1)")
    ap.add_argument("--focal", type=float, default=0.0,
                    help="with --crops: focal loss exponent gamma (0 = cross entropy)")
    ap.add_argument("--augment", action="store_true",
                    help="with --crops: scale jitter, contrast, brightness, noise (besides flips)")
    ap.add_argument("--scale-jitter", type=float, default=0.15)
    ap.add_argument("--feat-noise", type=float, default=0.1)
    ap.add_argument("--conv", default="8,16", help="with --crops: the two conv layers' channels")
    ap.add_argument("--embed", type=int, default=16, help="with --crops: embedding width")
    ap.add_argument("--channels", type=int, default=2,
                    help="with --crops: crop windows the CNN reads (2: 2x and 4x the box; "
                         "3: also 8x)")
    ap.add_argument("--hard-neg", type=float, default=0.0,
                    help="with --crops: fraction of each --hard-neg-classes class's draw "
                         "taken in proportion to the current P(drone) (0 = off)")
    ap.add_argument("--hard-pos", type=float, default=0.0,
                    help="with --crops: fraction of the drone class's draw taken in proportion "
                         "to the current 1 - P(drone) (hard positives; 0 = off; from "
                         "--hard-neg-from)")
    ap.add_argument("--polarity-flip", type=float, default=0.0,
                    help="with --crops: fraction of each epoch's rows drawn with the contrast "
                         "inverted (crops and the POLARITY_SIGNED features negated; 0 = off)")
    ap.add_argument("--calibration", default=None,
                    help="T,D1,D2,D3,D4,D5: use this temperature and these class offsets "
                         "instead of fitting them on CALIB (CALIB is then only reported on)")
    ap.add_argument("--hard-neg-classes", default="bird,airplane,helicopter",
                    help="with --hard-neg: the mined classes, comma separated")
    ap.add_argument("--hard-neg-from", type=int, default=3,
                    help="with --hard-neg: the first epoch (1-based) that mines")
    ap.add_argument("--drone-min-conf", type=float, default=None,
                    help="write this operating point (P(drone) needed to publish drone, chosen "
                         "on the calib clips with sg_camscore --sweep) into the model file")
    ap.add_argument("--early-stop", action="store_true",
                    help="with --crops: keep the epoch with the best calibrated calib NLL")
    ap.add_argument("--patience", type=int, default=0,
                    help="with --early-stop: stop after this many epochs without a better one "
                         "(0 = run all --epochs)")
    a = ap.parse_args()
    a.conv = [int(v) for v in a.conv.split(",")]
    if len(a.conv) != 2:
        sys.exit("train_camera: --conv: two channel counts, e.g. 8,16")
    if not 1 <= a.channels <= CROP_SCALES:
        sys.exit(f"train_camera: --channels: 1..{CROP_SCALES}, got {a.channels}")
    if a.drone_min_conf is not None and not 0 <= a.drone_min_conf <= 1:
        sys.exit(f"train_camera: --drone-min-conf: a probability in [0, 1], got {a.drone_min_conf}")
    fixed_cal = None
    if a.calibration is not None:
        try:
            fixed_cal = [float(v) for v in a.calibration.split(",")]
        except ValueError:
            fixed_cal = []
        if len(fixed_cal) != 1 + len(CLASSES) or not fixed_cal[0] > 0 or \
                not all(np.isfinite(fixed_cal)):
            sys.exit(f"train_camera: --calibration: T > 0 and {len(CLASSES)} finite class "
                     f"offsets, comma separated, got {a.calibration!r}")
    for opt, v in (("--hard-neg", a.hard_neg), ("--hard-pos", a.hard_pos),
                   ("--polarity-flip", a.polarity_flip)):
        if not 0 <= v <= 1:
            sys.exit(f"train_camera: {opt}: a fraction in [0, 1], got {v}")
    for c in a.hard_neg_classes.split(","):
        if c not in CLASSES[1:]:
            sys.exit(f"train_camera: --hard-neg-classes: {c!r} is not one of {CLASSES[1:]}")

    names, x, y = load(a.train)
    cnames, xc, yc = load(a.calib)
    if cnames != names:
        sys.exit("train_camera: train and calib feature columns differ")
    if a.nfeat:
        names, x, xc = names[:a.nfeat], x[:, :a.nfeat], xc[:, :a.nfeat]
    if a.drop_features:
        drop = a.drop_features.split(",")
        for n in drop:
            if n not in names:
                sys.exit(f"train_camera: --drop-features: {n!r} is not a feature of {a.train}")
        keep = [i for i, n in enumerate(names) if n not in drop]
        names, x, xc = [names[i] for i in keep], x[:, keep], xc[:, keep]
    print("train rows per class:", {c: int((y == k).sum()) for k, c in enumerate(CLASSES)})
    print("calib rows per class:", {c: int((yc == k).sum()) for k, c in enumerate(CLASSES)})
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-6] = 1.0
    hidden = tuple(int(v) for v in str(a.hidden).split(","))
    cnn = None
    if a.crops:
        ctr, ccal = (load_crops(a.crops[0], len(y), a.channels),
                      load_crops(a.crops[1], len(yc), a.channels))
        zc, cnn, cl, net, torch, best_epoch = fit_cnn(a, names, x, y, xc, yc, ctr, ccal, mean,
                                                      scale, hidden, clip_names(a.train))
    else:
        mlp = fit_member((x, y, mean, scale, a.per_class, hidden, a.epochs, a.seed))
        zc = logits(mlp, (xc - mean) / scale)
        cl = [{"W": w.T.tolist(), "b": b.tolist()} for w, b in zip(mlp.coefs_, mlp.intercepts_)]
    if fixed_cal is None:
        t, d = calibrate(zc, yc)
    else:
        t, d = fixed_cal[0], np.asarray(fixed_cal[1:])
        print(f"calibration given (--calibration), not fitted: T {t}, offsets {d.tolist()}")
    p0, p1 = softmax(zc), softmax(zc / t + d)
    print(f"calib: NLL {nll(zc, yc, 1.0, 0):.3f} -> {nll(zc, yc, t, d):.3f}, "
          f"ECE {ece(p0, yc):.3f} -> {ece(p1, yc):.3f}, accuracy {np.mean(p1.argmax(1) == yc):.3f}, "
          f"T {t:.3f}, offsets {np.round(d, 3).tolist()}")
    cm = np.zeros((len(CLASSES), len(CLASSES)), dtype=int)
    for tr, pr in zip(yc, p1.argmax(1)):
        cm[tr, pr] += 1
    print("calib confusion (rows truth, columns argmax):", cm.tolist())
    layers = []
    for i, L in enumerate(cl):
        b = np.asarray(L["b"], dtype=np.float64)
        if i + 1 == len(cl):
            b = fold_calibration(b, t, d)
        layers.append({"W": [[r6(v) for v in row] for row in L["W"]], "b": [r6(v) for v in b]})
    trained = {"seed": a.seed, "rows": int(len(y)), "per_class": a.per_class,
               "hidden": list(hidden), "epochs": a.epochs}
    if a.drop_features:
        trained["drop_features"] = a.drop_features
    if cnn:
        trained.update({"torch": torch.__version__, "lr": a.lr, "weight_decay": a.weight_decay,
                        "conv": a.conv, "embed": a.embed})
        if a.channels != 2:
            trained["channels"] = a.channels
        if a.drone_weight != 1:
            trained["drone_weight"] = a.drone_weight
        if a.focal:
            trained["focal"] = a.focal
        if a.augment:
            trained["augment"] = {"scale_jitter": a.scale_jitter, "feat_noise": a.feat_noise}
        if a.early_stop:
            trained["early_stop_epoch"] = best_epoch
        if a.clip_balance:
            trained["clip_balance"] = True
        if a.hard_neg:
            trained["hard_neg"] = {"fraction": a.hard_neg, "classes": a.hard_neg_classes,
                                   "from_epoch": a.hard_neg_from}
        if a.hard_pos:
            trained["hard_pos"] = {"fraction": a.hard_pos, "from_epoch": a.hard_neg_from}
        if a.polarity_flip:
            trained["polarity_flip"] = a.polarity_flip
    else:
        trained.update({"sklearn": sklearn.__version__, "iterations": int(mlp.n_iter_)})
    if fixed_cal is not None:
        trained["calibration"] = "given: " + a.calibration
    doc = {"format": "skyguard-camcls", "version": 2 if cnn else 1, "features": names,
           "classes": CLASSES, "mean": [r6(v) for v in mean], "scale": [r6(v) for v in scale],
           "layers": layers, "temperature": r6(t), "trained": trained}
    if cnn:
        doc["cnn"] = cnn
    if a.drone_min_conf is not None:
        doc["drone_min_conf"] = a.drone_min_conf
    if cnn and a.vectors:
        # the exported file's exact numbers (bias with the folded offsets, rounded T)
        last = net.mlp[len(net.mlp) - 1]
        with torch.no_grad():
            last.bias.copy_(torch.tensor(layers[-1]["b"], dtype=torch.float32))
        rows = np.random.default_rng(a.seed).choice(len(yc), 8, replace=False)
        with torch.no_grad():
            zv = net(torch.tensor((xc[rows] - mean) / scale, dtype=torch.float32),
                     torch.tensor(ccal[rows])).double().numpy()
        pv = softmax(zv / r6(t))
        vec = {"model": "the camcls file trained with these vectors",
               "rows": [{"features": {n: r6(v) for n, v in zip(names, xc[i])},
                         "crop": [r6(v) for v in ccal[i].ravel()],
                         "p": [r6(v) for v in pv[j]]} for j, i in enumerate(rows)]}
        write_json(a.vectors, vec)
    write_json(a.out, doc)


if __name__ == "__main__":
    main()
