/* Joint probabilistic data association (association "jpda") for established tracks.
 * The gating graph of one group is split into clusters (union-find over tracks and
 * measurements); in each cluster every feasible joint event (each track takes at most one
 * measurement, each measurement at most one track) is enumerated with weight
 *   prod over assigned pairs of Pd N(nu; 0, S) / lambda  x  prod over undetected tracks (1 - Pd),
 * lambda the clutter density in measurement space (the sensor's estimate, tracker_clutter.c,
 * never below jpda_clutter). The marginals beta_ij drive a PDA update of each track
 * (kf_update_pda). A track counts as hit when sum_j beta_ij >= 0.5 (then its history records
 * the most probable measurement, which is what out-of-sequence re-filtering will use); a
 * measurement counts as used when sum_i beta_ij >= 0.5, else it stays for tentative tracks
 * and initiation. A cluster with more than JPDA_MAX_EVENTS events (a dense formation in
 * dense clutter) is solved by GNN instead and counted in jpda_fallback. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tracker_int.h"

#define JPDA_MAX_EVENTS 50000
#define JPDA_MAX_TRACKS 16    /* per cluster */
#define JPDA_MAX_MEAS 64      /* per cluster */

static int uf_find(int *uf, int a)
{
    while (uf[a] != a) {
        uf[a] = uf[uf[a]];
        a = uf[a];
    }
    return a;
}

typedef struct {
    int nt, nm;
    int trk[JPDA_MAX_TRACKS], meas[JPDA_MAX_MEAS];
    /* per local track: its edges (local measurement, weight) */
    int ne[JPDA_MAX_TRACKS];
    int em[JPDA_MAX_TRACKS][JPDA_MAX_MEAS];
    double ew[JPDA_MAX_TRACKS][JPDA_MAX_MEAS];
    double miss;                    /* 1 - Pd */
    bool used[JPDA_MAX_MEAS];
    double total;                   /* sum of event weights */
    double marg[JPDA_MAX_TRACKS][JPDA_MAX_MEAS]; /* sum of weights of events with the edge */
    int pick[JPDA_MAX_TRACKS];      /* current event: edge index per track or -1 */
    long events;
} cluster;

static bool enumerate(cluster *c, int t, double w)
{
    if (++c->events > JPDA_MAX_EVENTS)
        return false;
    if (t == c->nt) {
        c->total += w;
        for (int i = 0; i < c->nt; i++)
            if (c->pick[i] >= 0)
                c->marg[i][c->pick[i]] += w;
        return true;
    }
    c->pick[t] = -1;
    if (!enumerate(c, t + 1, w * c->miss))
        return false;
    for (int e = 0; e < c->ne[t]; e++) {
        int m = c->em[t][e];
        if (c->used[m])
            continue;
        c->used[m] = true;
        c->pick[t] = e;
        bool ok = enumerate(c, t + 1, w * c->ew[t][e]);
        c->used[m] = false;
        if (!ok)
            return false;
    }
    return true;
}

/* Likelihood ratio Pd N / lambda of a gated edge. */
static double edge_weight(const tracker *q, const assign_edge *ed, const sg_measurement *m,
                          double lambda_enu)
{
    const kf_pred *pr = &q->pred[ed->row];
    int dim = pr->dim;
    double S[9];
    for (int i = 0; i < dim * dim; i++)
        S[i] = pr->HPHt[i] + m->R[i];
    double det = dim == 3 ? S[0] * (S[4] * S[8] - S[5] * S[7]) - S[1] * (S[3] * S[8] - S[5] * S[6]) +
                                S[2] * (S[3] * S[7] - S[4] * S[6])
                          : S[0] * S[3] - S[1] * S[2];
    double d2 = ed->cost + q->gate[dim];
    double lambda = lambda_enu;
    if (m->type == SG_MEAS_RANGE_BEARING) /* dV = r^2 cos(el) dr daz del */
        lambda *= m->z[0] * m->z[0] * cos(m->z[2]);
    double n = exp(-0.5 * d2) / sqrt(pow(2 * M_PI, dim) * fmax(det, 1e-300));
    return q->cfg.jpda_pd * n / fmax(lambda, 1e-300);
}

/* GNN for one cluster whose events are too many. */
static int gnn_cluster(tracker *q, const sg_measurement *const *gm, int ng, const assign_edge *e,
                       size_t n)
{
    int rc = assign_sparse(q->ws, (int)q->n_trk, ng, e, n, q->r2c, q->c2r, NULL);
    if (rc)
        return rc;
    for (size_t k = 0; k < n; k++) {
        int j = e[k].col;
        if (q->c2r[j] == e[k].row && q->mflag[j] != MF_DONE) {
            trk_apply_update(q, trk_at(q, e[k].row), gm[j]);
            q->mflag[j] = MF_DONE;
            q->took[j] = e[k].row;
        }
    }
    return SG_OK;
}

typedef struct {
    int root;
    assign_edge e;
} jedge;

static int cmp_root(const void *a, const void *b)
{
    const jedge *x = a, *y = b;
    if (x->root != y->root)
        return x->root < y->root ? -1 : 1;
    if (x->e.row != y->e.row)
        return x->e.row < y->e.row ? -1 : 1;
    return (x->e.col > y->e.col) - (x->e.col < y->e.col);
}

static int solve_cluster(tracker *q, const sg_measurement *const *gm, int ng, assign_edge *e,
                         size_t n, const double *cost, double lambda)
{
    cluster *c = calloc(1, sizeof *c);
    if (!c)
        return SG_ENOMEM;
    c->miss = 1 - q->cfg.jpda_pd;
    bool fits = true;
    for (size_t k = 0; k < n && fits; k++) {
        int ti = -1, mj = -1;
        for (int i = 0; i < c->nt; i++)
            if (c->trk[i] == e[k].row)
                ti = i;
        for (int j = 0; j < c->nm; j++)
            if (c->meas[j] == e[k].col)
                mj = j;
        if (ti < 0) {
            if (c->nt == JPDA_MAX_TRACKS) {
                fits = false;
                break;
            }
            ti = c->nt++;
            c->trk[ti] = e[k].row;
        }
        if (mj < 0) {
            if (c->nm == JPDA_MAX_MEAS) {
                fits = false;
                break;
            }
            mj = c->nm++;
            c->meas[mj] = e[k].col;
        }
        assign_edge ed = {e[k].row, e[k].col, cost[k]};
        c->em[ti][c->ne[ti]] = mj;
        c->ew[ti][c->ne[ti]++] = edge_weight(q, &ed, gm[e[k].col], lambda);
    }
    if (fits)
        fits = enumerate(c, 0, 1.0) && c->total > 0 && isfinite(c->total);
    if (!fits) {
        free(c);
        q->st.jpda_fallback++;
        return gnn_cluster(q, gm, ng, e, n); /* e[k].cost is still the gate cost */
    }
    double mass[JPDA_MAX_MEAS] = {0}; /* sum_i beta_ij */
    int best_t[JPDA_MAX_MEAS];
    double best_b[JPDA_MAX_MEAS];
    for (int j = 0; j < c->nm; j++) {
        best_t[j] = -1;
        best_b[j] = 0;
    }
    int rc = SG_OK;
    for (int i = 0; i < c->nt; i++) {
        const sg_measurement *ms[JPDA_MAX_MEAS];
        double beta[JPDA_MAX_MEAS], bsum = 0, bmax = 0;
        int nb = 0, arg = -1;
        for (int e2 = 0; e2 < c->ne[i]; e2++) {
            double b = c->marg[i][e2] / c->total;
            int mj = c->em[i][e2];
            mass[mj] += b;
            if (b > best_b[mj]) {
                best_b[mj] = b;
                best_t[mj] = c->trk[i];
            }
            if (b < 1e-9)
                continue;
            ms[nb] = gm[c->meas[mj]];
            beta[nb++] = b;
            bsum += b;
            if (b > bmax) {
                bmax = b;
                arg = c->meas[mj];
            }
        }
        if (nb == 0)
            continue;
        trk *tr = trk_at(q, c->trk[i]);
        double lam = lambda;
        if (ms[0]->type == SG_MEAS_RANGE_BEARING)
            lam *= ms[0]->z[0] * ms[0]->z[0] * cos(ms[0]->z[2]);
        if (kf_update_pda(&q->kp, &tr->kf, ms, beta, nb, fmax(0, 1 - bsum), q->cfg.jpda_pd,
                          lam) != SG_OK)
            continue; /* counted with the measurements below */
        if (bsum >= 0.5)
            trk_record_hit(q, tr, gm[arg]);
    }
    for (int j = 0; j < c->nm; j++) {
        int mj = c->meas[j];
        if (mass[j] >= 0.5 && q->mflag[mj] != MF_DONE) {
            q->mflag[mj] = MF_DONE;
            q->took[mj] = best_t[j];
            q->st.used++;
        }
    }
    free(c);
    return rc;
}

int trk_jpda_stage(tracker *q, const sg_measurement *const *gm, int ng, size_t ne)
{
    size_t nn = q->n_trk + (size_t)ng;
    if (trk_grow((void **)&q->edges_sel, &q->cap_edges_sel, ne + 1, sizeof(assign_edge)) ||
        trk_grow((void **)&q->uf, &q->cap_uf, nn + 1, sizeof(int)) ||
        trk_grow(&q->jedges, &q->cap_jedges, ne + 1, sizeof(jedge)) ||
        trk_grow((void **)&q->jcost, &q->cap_jcost, ne + 1, sizeof(double)))
        return SG_ENOMEM;
    for (size_t i = 0; i < nn; i++)
        q->uf[i] = (int)i;
    jedge *je = q->jedges;
    size_t ns = 0;
    for (size_t k = 0; k < ne; k++) {
        const assign_edge *ed = &q->edges[k];
        const trk *tr = trk_at(q, ed->row);
        if (q->mflag[ed->col] == MF_DONE || tr->hit_group == q->group_seq ||
            tr->tent)
            continue;
        je[ns++].e = *ed;
        int a = uf_find(q->uf, ed->row), b = uf_find(q->uf, (int)q->n_trk + ed->col);
        if (a != b)
            q->uf[a] = b;
    }
    for (size_t k = 0; k < ns; k++)
        je[k].root = uf_find(q->uf, je[k].e.row);
    qsort(je, ns, sizeof(jedge), cmp_root);
    for (size_t k = 0; k < ns; k++) {
        q->edges_sel[k] = je[k].e;
        q->jcost[k] = je[k].e.cost;
    }
    double lambda = trk_clutter_density(q, gm[0]->sensor, q->cfg.jpda_clutter);
    int rc = SG_OK;
    for (size_t a = 0; a < ns && rc == SG_OK;) {
        size_t b = a + 1;
        while (b < ns && je[b].root == je[a].root)
            b++;
        rc = solve_cluster(q, gm, ng, q->edges_sel + a, b - a, q->jcost + a, lambda);
        a = b;
    }
    return rc;
}
