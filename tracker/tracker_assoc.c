/* Gating and assignment for one measurement group: a spatial pre-gate (hash grid over
 * east/north for position and range-bearing groups, a sorted 1-D key otherwise), the
 * chi-square gate, and global nearest neighbour over the gated pairs (assign_sparse). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tracker_int.h"

/* ---- gating ---------------------------------------------------------------------- */

static int cmp_gkey(const void *a, const void *b)
{
    const gkey *x = a, *y = b;
    return (x->key > y->key) - (x->key < y->key);
}

/* A double's bits as an unsigned integer in the same order (finite keys; -0 as +0). */
static inline uint64_t key_bits(double v)
{
    v += 0.0;
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    return (u >> 63) ? ~u : u | (1ull << 63);
}

/* Sorts a[0, n) by key, stable (the order qsort's merge sort gave), with tmp of n: LSD
 * radix over bytes, skipping bytes all keys share (a group's keys share their high bytes).
 * A scan of 10 000 measurements sorts in a few passes instead of ~130 000 compares. */
static void sort_keys(gkey *a, gkey *tmp, int n)
{
    if (n < 64) {
        qsort(a, (size_t)n, sizeof(gkey), cmp_gkey);
        return;
    }
    gkey *src = a, *dst = tmp;
    for (int shift = 0; shift < 64; shift += 8) {
        size_t count[256] = {0};
        for (int i = 0; i < n; i++)
            count[(key_bits(src[i].key) >> shift) & 0xff]++;
        if (count[(key_bits(src[0].key) >> shift) & 0xff] == (size_t)n)
            continue; /* every key has this byte */
        size_t sum = 0;
        for (int b = 0; b < 256; b++) {
            size_t c = count[b];
            count[b] = sum;
            sum += c;
        }
        for (int i = 0; i < n; i++)
            dst[count[(key_bits(src[i].key) >> shift) & 0xff]++] = src[i];
        gkey *t = src;
        src = dst;
        dst = t;
    }
    if (src != a)
        memcpy(a, src, (size_t)n * sizeof(gkey));
}

/* Key component used for the sorted pre-gate: no wrap-around (x or range or elevation). */
static int key_comp(sg_meas_type t)
{
    return t == SG_MEAS_BEARING ? 1 : 0;
}


/* ---- spatial index ------------------------------------------------------------------ */

/* Position and range-bearing groups of at least GRID_MIN_MEAS open measurements are gated
 * through a hash grid over east/north: each track visits only the cells its gate box
 * covers (up to GRID_MAX_CELLS, else the 1-D slab scan), so the cost per track does not grow
 * with the number of targets in the slab. */
#define GRID_MIN_MEAS 64
#define GRID_MAX_CELLS 256

static int cell_hash(long x, long y, int mask)
{
    uint64_t h = (uint64_t)x * 0x9E3779B97F4A7C15ULL ^ (uint64_t)y * 0xC2B2AE3D27D4EB4FULL;
    return (int)((h ^ (h >> 29)) & (uint64_t)mask);
}

/* East/north of a measurement and the largest east/north sd it implies (m). */
static void meas_en(const sg_measurement *m, double *x, double *y, double *sd)
{
    if (m->type == SG_MEAS_POS_ENU) {
        *x = m->z[0];
        *y = m->z[1];
        *sd = sqrt(fmax(m->R[0], m->R[4]));
        return;
    }
    double r = m->z[0], az = m->z[1], el = m->z[2];
    *x = m->sensor_enu[0] + r * sin(az) * cos(el);
    *y = m->sensor_enu[1] + r * cos(az) * cos(el);
    *sd = sqrt(fmax(m->R[0], r * r * fmax(m->R[4], m->R[8])));
}

static void gate_box(const kf_pred *pr, sg_meas_type type, const double sp[3], double gate,
                     double rmax, double *cx, double *cy, double *hx, double *hy)
{
    if (type == SG_MEAS_POS_ENU) {
        *cx = pr->zhat[0];
        *cy = pr->zhat[1];
        *hx = sqrt(gate * (pr->HPHt[0] + rmax * rmax));
        *hy = sqrt(gate * (pr->HPHt[4] + rmax * rmax));
        return;
    }
    double r = pr->zhat[0], az = pr->zhat[1], el = pr->zhat[2];
    *cx = sp[0] + r * sin(az) * cos(el);
    *cy = sp[1] + r * cos(az) * cos(el);
    /* a radius bounding the range and cross-range extents of the gate */
    double v = pr->HPHt[0] + r * r * (pr->HPHt[4] + pr->HPHt[8]) + 3 * rmax * rmax;
    *hx = *hy = sqrt(gate * v);
}

static int grid_build(tracker *q, const sg_measurement *const *gm, int nk, double *cell)
{
    size_t h = 1;
    while (h < 2 * (size_t)nk)
        h *= 2;
    if (trk_grow((void **)&q->grid_head, &q->cap_grid_head, h, sizeof(int)) ||
        trk_grow((void **)&q->grid_next, &q->cap_grid_next, (size_t)nk, sizeof(int)) ||
        trk_grow((void **)&q->grid_cx, &q->cap_grid_cx, (size_t)nk, sizeof(long)) ||
        trk_grow((void **)&q->grid_cy, &q->cap_grid_cy, (size_t)nk, sizeof(long)) ||
        trk_grow((void **)&q->grid_en, &q->cap_grid_en, 2 * (size_t)nk, sizeof(double)))
        return SG_ENOMEM;
    q->grid_mask = (int)h - 1;
    double rmax = 0, *en = q->grid_en;
    for (int k = 0; k < nk; k++) { /* east/north once per measurement (trigonometry) */
        double sd;
        meas_en(gm[q->keys[k].j], &en[2 * k], &en[2 * k + 1], &sd);
        rmax = fmax(rmax, sd);
    }
    q->grid_rmax = rmax;
    /* a cell about the width of a settled track's gate */
    *cell = fmax(1.0, 2 * sqrt(q->gate[3]) * rmax);
    for (size_t i = 0; i < h; i++)
        q->grid_head[i] = -1;
    for (int k = 0; k < nk; k++) {
        double x = en[2 * k], y = en[2 * k + 1];
        long cx = (long)floor(x / *cell), cy = (long)floor(y / *cell);
        int b = cell_hash(cx, cy, q->grid_mask);
        q->grid_cx[k] = cx;
        q->grid_cy[k] = cy;
        q->grid_next[k] = q->grid_head[b];
        q->grid_head[b] = k;
    }
    return SG_OK;
}

/* Gates measurement j against track i and appends the edge. */
static int try_edge(tracker *q, const sg_measurement *const *gm, int j, size_t i,
                    const kf_pred *pr, sg_meas_type type, double gate, size_t *ne)
{
    const sg_measurement *m = gm[j];
    const trk *tr = trk_at(q, i);
    if (m->identity[0]) {
        /* an identity held by a track pairs with that track only; an unheld one only with
         * unidentified tracks */
        if (q->held[j] >= 0 ? q->held[j] != (int)i : tr->pub->identity[0] != 0)
            return SG_OK;
    }
    double d2;
    if (kf_mahalanobis(pr, type, m->z, m->R, &d2) != SG_OK || !(d2 < gate))
        return SG_OK;
    if (!trk_features_ok(q, tr, m)) {
        q->st.bearing_feature_gated++; /* another emitter's bearing through this track */
        return SG_OK;
    }
    if (trk_grow((void **)&q->edges, &q->cap_edges, *ne + 1, sizeof(assign_edge)))
        return SG_ENOMEM;
    q->edges[(*ne)++] = (assign_edge){(int)i, j, d2 - gate};
    q->mflag[j] = MF_GATED;
    return SG_OK;
}

/* Gated edges between tracks with pred_ok and the open measurements of a group (a track
 * still PRED_TODO is predicted to the group's time first, gated or not).
 * skip_group != 0 excludes tracks already hit in that group; sel picks tracks by status. */
int trk_gate(tracker *q, const sg_measurement *const *gm, int ng, uint64_t skip_group, int sel,
             size_t *ne_out)
{
    sg_meas_type type = gm[0]->type;
    int kc = key_comp(type), dim = sg_meas_dim(type);
    double gate = q->gate[dim];
    int nk = 0;
    double rmax = 0;
    for (int j = 0; j < ng; j++) {
        q->kinv[j] = -1;
        if (q->mflag[j] == MF_DONE)
            continue;
        q->keys[nk].key = gm[j]->z[kc];
        q->keys[nk].j = j;
        nk++;
        rmax = fmax(rmax, gm[j]->R[kc * dim + kc]);
    }
    if (trk_grow((void **)&q->keys_tmp, &q->cap_keys_tmp, (size_t)nk + 1, sizeof(gkey)))
        return SG_ENOMEM;
    sort_keys(q->keys, q->keys_tmp, nk);
    q->n_keys = nk;
    for (int k = 0; k < nk; k++)
        q->kinv[q->keys[k].j] = k;
    bool grid = type != SG_MEAS_BEARING && nk >= GRID_MIN_MEAS;
    double cell = 0;
    if (grid) {
        int rc = grid_build(q, gm, nk, &cell);
        if (rc)
            return rc;
    }
    size_t ne = 0;
    for (size_t i = 0; i < q->n_trk; i++) {
        trk *tr = trk_at(q, i);
        if (i + TRK_AHEAD < q->n_trk)
            trk_prefetch(q, i + TRK_AHEAD);
        trk_predict_once(q, i, gm[0]); /* in-sequence groups: the prediction pass too */
        if (!q->pred_ok[i] || (skip_group && tr->hit_group == skip_group))
            continue;
        bool tent = tr->tent;
        if ((sel == SEL_ESTABLISHED && tent) || (sel == SEL_TENTATIVE && !tent))
            continue;
        const kf_pred *pr = &q->pred[i];
        if (grid) {
            /* the track's gate as an east/north box: centre and half-widths in m */
            double cx, cy, hx, hy;
            gate_box(pr, type, gm[0]->sensor_enu, gate, q->grid_rmax, &cx, &cy, &hx, &hy);
            long x0 = (long)floor((cx - hx) / cell), x1 = (long)floor((cx + hx) / cell);
            long y0 = (long)floor((cy - hy) / cell), y1 = (long)floor((cy + hy) / cell);
            if ((x1 - x0 + 1) * (y1 - y0 + 1) <= GRID_MAX_CELLS) {
                for (long gx = x0; gx <= x1; gx++)
                    for (long gy = y0; gy <= y1; gy++)
                        for (int k = q->grid_head[cell_hash(gx, gy, q->grid_mask)]; k >= 0;
                             k = q->grid_next[k]) {
                            if (q->grid_cx[k] != gx || q->grid_cy[k] != gy)
                                continue;
                            int rc = try_edge(q, gm, q->keys[k].j, i, pr, type, gate, &ne);
                            if (rc)
                                return rc;
                        }
                continue;
            }
            /* a huge gate: the slab scan below is cheaper than its cells */
        }
        double c = pr->zhat[kc];
        double hw = sqrt(gate * (pr->HPHt[kc * dim + kc] + rmax));
        /* first key >= c - hw */
        int lo = 0, hi = nk;
        while (lo < hi) {
            int mid = (lo + hi) / 2;
            if (q->keys[mid].key < c - hw)
                lo = mid + 1;
            else
                hi = mid;
        }
        for (int k = lo; k < nk && q->keys[k].key <= c + hw; k++) {
            int rc = try_edge(q, gm, q->keys[k].j, i, pr, type, gate, &ne);
            if (rc)
                return rc;
        }
    }
    *ne_out = ne;
    return SG_OK;
}

/* Gates the open measurements of a group against the selected tracks and solves the
 * assignment; q->c2r[j] receives the track of measurement j or -1. */
int trk_gate_assign(tracker *q, const sg_measurement *const *gm, int ng, uint64_t skip_group,
                       int sel)
{
    size_t ne;
    int rc = trk_gate(q, gm, ng, skip_group, sel, &ne);
    if (rc)
        return rc;
    return assign_sparse(q->ws, (int)q->n_trk, ng, q->edges, ne, q->r2c, q->c2r, NULL);
}

int trk_assign_stage(tracker *q, int ng, size_t ne, int sel)
{
    if (trk_grow((void **)&q->edges_sel, &q->cap_edges_sel, ne + 1, sizeof(assign_edge)))
        return SG_ENOMEM;
    size_t ns = 0;
    for (size_t k = 0; k < ne; k++) {
        const assign_edge *ed = &q->edges[k];
        const trk *tr = trk_at(q, ed->row);
        bool tent = tr->tent;
        /* a track already updated in this group (identity pre-pass) takes nothing more */
        if (q->mflag[ed->col] == MF_DONE || tr->hit_group == q->group_seq ||
            (sel == SEL_ESTABLISHED && tent) ||
            (sel == SEL_TENTATIVE && !tent))
            continue;
        q->edges_sel[ns++] = *ed;
    }
    return assign_sparse(q->ws, (int)q->n_trk, ng, q->edges_sel, ns, q->r2c, q->c2r, NULL);
}
