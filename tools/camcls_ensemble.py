#!/usr/bin/env python3
"""Join camcls model files (e.g. one per training seed) into one ensemble file.

    camcls_ensemble.py OUT.json MEMBER.json [MEMBER.json ...] [--vectors OUT_VEC.json
                       --member-vectors VEC.json [VEC.json ...]]

OUT.json: {"format": "skyguard-camcls-ensemble", "version": 1, "members": [the member
documents, unchanged], "trained": {...}} (dsp/camcls.h); dsp/camcls.c averages the
members' calibrated class probabilities.

--vectors: test vectors for tests/test_camcls.c. The rows are those of the members'
own vectors (train_camera.py --vectors, one file per member, in member order; each
holds calib rows with the probabilities torch gave for that member). A numpy forward
pass of each member's exported weights is first checked against torch on that member's
rows (within 1e-4), then the ensemble's probabilities (the members' mean) are written
for every row.
"""
import argparse
import json
import sys

import numpy as np

from train_camera import write_json

FORMAT = "skyguard-camcls-ensemble"


def softmax(z):
    z = z - z.max()
    e = np.exp(z)
    return e / e.sum()


def forward(m, feats, crop):
    """One member's calibrated probabilities (the arithmetic of dsp/camcls.c)."""
    x = np.array([feats.get(n, 0.0) for n in m["features"]], dtype=np.float64)
    a = (x - np.asarray(m["mean"])) / np.asarray(m["scale"])
    if "cnn" in m:
        c = m["cnn"]
        side = c["size"]
        img = np.asarray(crop, dtype=np.float64).reshape(c["channels"], side, side)
        for L in c["conv"]:
            w = np.asarray(L["W"]).reshape(len(L["b"]), img.shape[0], 3, 3)
            pad = np.pad(img, ((0, 0), (1, 1), (1, 1)))
            out = np.zeros((w.shape[0], side, side))
            for dy in range(3):
                for dx in range(3):
                    out += np.einsum("oc,cyx->oyx", w[:, :, dy, dx],
                                     pad[:, dy:dy + side, dx:dx + side])
            out += np.asarray(L["b"])[:, None, None]
            h = side // 2
            out = out[:, :2 * h, :2 * h].reshape(w.shape[0], h, 2, h, 2).max(axis=(2, 4))
            img, side = np.maximum(out, 0.0), h
        emb = np.maximum(np.asarray(c["embed"]["W"]) @ img.ravel() + np.asarray(c["embed"]["b"]),
                         0.0)
        a = np.concatenate([a, emb])
    for i, L in enumerate(m["layers"]):
        a = np.asarray(L["W"]) @ a + np.asarray(L["b"])
        if i + 1 < len(m["layers"]):
            a = np.maximum(a, 0.0)
    return softmax(a / m["temperature"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("members", nargs="+")
    ap.add_argument("--vectors")
    ap.add_argument("--member-vectors", nargs="+", default=[])
    a = ap.parse_args()
    if not 1 <= len(a.members) <= 8:
        sys.exit("camcls_ensemble: 1..8 members")
    mem = []
    for p in a.members:
        with open(p) as f:
            d = json.load(f)
        if d.get("format") != "skyguard-camcls":
            sys.exit(f"camcls_ensemble: {p}: not a camcls model file")
        mem.append(d)
    doc = {"format": FORMAT, "version": 1, "members": mem,
           "trained": {"members": len(mem),
                       "seeds": [m.get("trained", {}).get("seed") for m in mem]}}
    if a.vectors:
        if len(a.member_vectors) != len(mem):
            sys.exit("camcls_ensemble: --vectors needs one --member-vectors file per member")
        rows = []
        for k, p in enumerate(a.member_vectors):
            with open(p) as f:
                for r in json.load(f)["rows"]:
                    q = forward(mem[k], r["features"], r["crop"])
                    err = np.max(np.abs(q - np.asarray(r["p"])))
                    if err > 1e-4:
                        sys.exit(f"camcls_ensemble: {p}: numpy and torch differ by {err:g}")
                    rows.append(r)
        out = []
        for r in rows:
            pm = np.mean([forward(m, r["features"], r["crop"]) for m in mem], axis=0)
            out.append({"features": r["features"], "crop": r["crop"],
                        "p": [float(f"{v:.6g}") for v in pm]})
        write_json(a.vectors, {"model": "the camcls ensemble file written with these vectors",
                               "rows": out})
    write_json(a.out, doc)


if __name__ == "__main__":
    main()
