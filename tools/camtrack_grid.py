#!/usr/bin/python3
"""Offline replay of the camera's track-level class decision (dsp/camtrack.c) over
`sg_camscore --class-smooth 1 --dets OUT.csv` dumps, scored as sg_camscore scores
(recall over drone-labelled frames, precision over drone reports, false drone reports per
frame of drone-free clips; docs/camera-history.md "Issue 14, cam-trk").

    /usr/bin/python3 tools/camtrack_grid.py [--data DIR] DUMP.csv [DUMP.csv ...]

Prints, per dump, the grid of class_smooth x fragment inheritance (15 frames, 16 px +
size). The replay must give sg_camscore's figures to the frame for the same setting (it
did for the committed setting and both candidates of that section). numpy only."""
import argparse
import collections
import csv
import math

import numpy as np

FLOOR = 0.01  # CAMTRACK_P_FLOOR
NCLS = 5


def load_index(data):
    with open(f'{data}/index.csv') as fp:
        return {r['clip']: r for r in csv.DictReader(fp)}


def drone_frames(data, clip, nframes):
    with open(f'{data}/labels/{clip}.csv') as fp:
        return {int(r['frame']) for r in csv.DictReader(fp)
                if r['class'] == 'drone' and int(r['frame']) < nframes}


class Dump:
    """Rows of sg_camscore --dets (per clip, in frame order)."""

    def __init__(self, path, data):
        with open(path) as fp:
            rd = csv.reader(fp)
            hdr = next(rd)
            rows = list(rd)
        assert hdr[12] == 'p_drone', f'{path}: not an sg_camscore --dets file'
        self.n = len(rows)
        self.clip = [r[0] for r in rows]
        self.frame = np.array([int(r[3]) for r in rows])
        self.t = np.array([float(r[4]) for r in rows])
        self.track = np.array([int(r[5]) for r in rows])
        self.truth = np.array([r[6] for r in rows])
        self.xywh = np.array([[float(v) for v in r[8:12]] for r in rows]).reshape(-1, 4)
        self.p = np.array([[float(v) for v in r[12:12 + NCLS]] for r in rows]).reshape(-1, NCLS)
        idx = load_index(data)
        self.rows_of = collections.defaultdict(list)
        for i, c in enumerate(self.clip):
            self.rows_of[c].append(i)
        # a clip without a single published detection is not in the dump (on the calib
        # clips every clip has some; scoring such a split would miss its frames)
        self.clips = sorted(self.rows_of)
        self.info = {c: dict(frames=int(idx[c]['frames']), cls=idx[c]['class'],
                             dfr=drone_frames(data, c, int(idx[c]['frames'])))
                     for c in self.clips}


def score(D, rep):
    td = D.truth == 'drone'
    reports, ok = int(rep.sum()), int((rep & td).sum())
    hitfr = collections.defaultdict(set)
    falc = collections.Counter()
    for i in np.nonzero(rep)[0]:
        if td[i]:
            hitfr[D.clip[i]].add(D.frame[i])
        else:
            falc[D.clip[i]] += 1
    hits = dfr = ff = fal = 0
    for c in D.clips:
        inf = D.info[c]
        dfr += len(inf['dfr'])
        hits += len(hitfr[c] & inf['dfr'])
        if inf['cls'] != 'drone':
            ff += inf['frames']
            fal += falc[c]
    return (hits / max(dfr, 1), ok / max(reports, 1), fal / max(ff, 1)), (hits, dfr, ok, reports, fal, ff)


def first_drone(D, rep):
    td = D.truth == 'drone'
    out = []
    for c in D.clips:
        if D.info[c]['cls'] == 'drone':
            ii = [i for i in D.rows_of[c] if rep[i] and td[i]]
            out.append(D.t[ii[0]] if ii else None)
    return out


def decide(D, smooth, inherit_frames=0, inherit_px=16.0, thr=0.5):
    """camtrack_update + camera_classify: per row, is it published as drone."""
    lp_all = np.log(np.maximum(D.p, FLOOR))
    rep = np.zeros(D.n, bool)
    for c in D.clips:
        present = collections.defaultdict(set)
        for i in D.rows_of[c]:
            present[D.frame[i]].add(D.track[i])
        st, last = {}, {}
        for i in D.rows_of[c]:
            k, fr = D.track[i], D.frame[i]
            if k not in st:
                par = None
                if inherit_frames > 0:
                    bd = math.inf
                    for q, j in last.items():
                        gap = fr - D.frame[j]
                        if gap < 1 or gap > inherit_frames or q in present[fr]:
                            continue
                        sz = max(D.xywh[j, 2], D.xywh[j, 3], D.xywh[i, 2], D.xywh[i, 3])
                        dist = math.hypot(D.xywh[i, 0] - D.xywh[j, 0], D.xywh[i, 1] - D.xywh[j, 1])
                        if dist <= inherit_px + sz and dist < bd:
                            bd, par = dist, q
                if par is not None:
                    st[k] = st.pop(par)
                    last.pop(par)
                else:
                    st[k] = [np.zeros(NCLS), 0]
            s = st[k]
            if smooth > 1:
                s[1] += 1
                a = 1.0 / s[1] if s[1] < smooth else 1.0 / smooth
                s[0] += a * (lp_all[i] - s[0])
                q = np.exp(s[0] - s[0].max())
                q /= q.sum()
            else:
                q = D.p[i]
            last[k] = i
            rep[i] = int(np.argmax(q)) == 0 and q[0] >= thr
    return rep


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--data', default='../shared/fixtures/video-train')
    ap.add_argument('dumps', nargs='+')
    a = ap.parse_args()
    for path in a.dumps:
        D = Dump(path, a.data)
        print(f'== {path}: {D.n} detections, {len(D.clips)} clips')
        for smooth in (1, 30, 45, 60, 90, 120, 200, 1000):
            for inh in ((0,) if smooth == 1 else (0, 15)):
                rep = decide(D, smooth, inh)
                (r, p, f), cnt = score(D, rep)
                fd = [v for v in first_drone(D, rep) if v is not None]
                print(f'class_smooth {smooth:4d} inherit {inh:2d}: recall {r:.3f} precision {p:.3f} '
                      f'false/frame {f:.4f}  first drone report mean {np.mean(fd):.2f} max {max(fd):.2f} s '
                      f'({len(fd)} clips)  counts {cnt}')


if __name__ == '__main__':
    main()
