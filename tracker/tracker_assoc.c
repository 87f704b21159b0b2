/* Gating and assignment for one measurement group: a sorted 1-D pre-gate on one
 * measurement component, chi-square gate, and global nearest neighbour over the gated
 * pairs (assign_sparse). */
#include <math.h>
#include <stdlib.h>

#include "tracker_int.h"

/* ---- gating ---------------------------------------------------------------------- */

static int cmp_gkey(const void *a, const void *b)
{
    const gkey *x = a, *y = b;
    return (x->key > y->key) - (x->key < y->key);
}

/* Key component used for the sorted pre-gate: no wrap-around (x or range or elevation). */
static int key_comp(sg_meas_type t)
{
    return t == SG_MEAS_BEARING ? 1 : 0;
}


/* Gated edges between tracks with pred_ok and the open measurements of a group.
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
    qsort(q->keys, (size_t)nk, sizeof(gkey), cmp_gkey);
    q->n_keys = nk;
    for (int k = 0; k < nk; k++)
        q->kinv[q->keys[k].j] = k;
    size_t ne = 0;
    for (size_t i = 0; i < q->n_trk; i++) {
        trk *tr = &q->trk[i];
        if (!q->pred_ok[i] || (skip_group && tr->hit_group == skip_group))
            continue;
        bool tent = tr->pub.status == SG_TRACK_TENTATIVE;
        if ((sel == SEL_ESTABLISHED && tent) || (sel == SEL_TENTATIVE && !tent))
            continue;
        const kf_pred *pr = &q->pred[i];
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
            int j = q->keys[k].j;
            const sg_measurement *m = gm[j];
            if (m->identity[0]) {
                /* an identity held by a track pairs with that track only; an unheld one
                 * only with unidentified tracks */
                if (q->held[j] >= 0 ? q->held[j] != (int)i : tr->pub.identity[0] != 0)
                    continue;
            }
            double d2;
            if (kf_mahalanobis(pr, type, m->z, m->R, &d2) != SG_OK || !(d2 < gate))
                continue;
            if (trk_grow((void **)&q->edges, &q->cap_edges, ne + 1, sizeof(assign_edge)))
                return SG_ENOMEM;
            q->edges[ne++] = (assign_edge){(int)i, j, d2 - gate};
            q->mflag[j] = MF_GATED;
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
        const trk *tr = &q->trk[ed->row];
        bool tent = tr->pub.status == SG_TRACK_TENTATIVE;
        /* a track already updated in this group (identity pre-pass) takes nothing more */
        if (q->mflag[ed->col] == MF_DONE || tr->hit_group == q->group_seq ||
            (sel == SEL_ESTABLISHED && tent) ||
            (sel == SEL_TENTATIVE && !tent))
            continue;
        q->edges_sel[ns++] = *ed;
    }
    return assign_sparse(q->ws, (int)q->n_trk, ng, q->edges_sel, ns, q->r2c, q->c2r, NULL);
}
