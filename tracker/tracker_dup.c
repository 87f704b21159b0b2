/* Duplicate tracks: one drone held by two tracks (split returns: two detections of one drone
 * in a scan, common for cameras and DF; or a track started from a measurement inside
 * another's gate). Candidates are the pairs of tracks that gated a common measurement of the
 * group; a pair coincides when the difference of their velocity estimates passes a 3-D
 * chi-square gate on P1 + P2 (dup_gate_prob; two drones crossing meet in position but not
 * in velocity) and their positions are closer than split_radius_m or pass the same kind of
 * gate (two tracks on one drone feed on different returns and keep apart by more than
 * their covariances say, so the statistical test alone is weak). After dup_scans coincident groups in a row the
 * younger track is merged into the older: deleted, its sensors and class absorbed; after
 * dup_scans apart in a row the pair is forgotten. A tentative track is not confirmed while
 * its last test found it coincident. The
 * track holding an identity always survives; two identities never merge. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tracker_int.h"

/* Most tracks sharing one measurement that are paired (a cluster larger than this is a
 * dense formation, where every pair would cost quadratic time for nothing). */
#define DUP_MAX_SHARE 8

/* Squared Mahalanobis distance of the difference of two tracks' positions (off = 0) or
 * velocities (off = 3). */
static double diff_d2(const trk *a, const trk *b, int off)
{
    double xa[KF_NMAX], Pa[KF_NMAX * KF_NMAX], xb[KF_NMAX], Pb[KF_NMAX * KF_NMAX];
    kf_combined(&a->kf, xa, Pa);
    kf_combined(&b->kf, xb, Pb);
    int na = a->kf.n, nb = b->kf.n;
    double S[9], d[3];
    for (int i = 0; i < 3; i++) {
        d[i] = xa[off + i] - xb[off + i];
        for (int j = 0; j < 3; j++)
            S[i * 3 + j] = Pa[(off + i) * na + off + j] + Pb[(off + i) * nb + off + j];
    }
    /* 3x3 symmetric inverse by cofactors */
    double c00 = S[4] * S[8] - S[5] * S[7], c01 = S[5] * S[6] - S[3] * S[8],
           c02 = S[3] * S[7] - S[4] * S[6];
    double det = S[0] * c00 + S[1] * c01 + S[2] * c02;
    if (!(det > 0))
        return INFINITY;
    double c11 = S[0] * S[8] - S[2] * S[6], c12 = S[1] * S[6] - S[0] * S[7],
           c22 = S[0] * S[4] - S[1] * S[3];
    double q = d[0] * d[0] * c00 + d[1] * d[1] * c11 + d[2] * d[2] * c22 +
               2 * (d[0] * d[1] * c01 + d[0] * d[2] * c02 + d[1] * d[2] * c12);
    return q / det;
}

/* Distance between two tracks' position estimates (m). */
static double dist(const trk *a, const trk *b)
{
    double d2 = 0;
    for (int i = 0; i < 3; i++)
        d2 += (a->pub->x[i] - b->pub->x[i]) * (a->pub->x[i] - b->pub->x[i]);
    return sqrt(d2);
}

/* true if a survives a merge with b */
static bool survives(const trk *a, const trk *b)
{
    if (a->pub->identity[0] != b->pub->identity[0])
        return a->pub->identity[0] != 0;
    if (a->pub->t_first != b->pub->t_first)
        return a->pub->t_first < b->pub->t_first;
    return a->pub->id < b->pub->id;
}

static void merge_attrs(sg_track *keep, const sg_track *gone)
{
    for (int i = 0; i < gone->n_sensors; i++)
        trk_add_sensor(keep, gone->sensors[i]);
    if (gone->cls[0] && (!keep->cls[0] || gone->cls_conf > keep->cls_conf)) {
        memcpy(keep->cls, gone->cls, sizeof keep->cls);
        keep->cls_conf = gone->cls_conf;
    }
}

static int cmp_size_desc(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x < y) - (x > y);
}

int trk_sort_edges(tracker *q, size_t ne, int ng)
{
    /* counting sort by measurement (edges come track by track, so rows stay in order) */
    if (ne == 0)
        return SG_OK;
    if (trk_grow((void **)&q->edges_sel, &q->cap_edges_sel, ne + 1, sizeof(assign_edge)) ||
        trk_grow((void **)&q->uf, &q->cap_uf, (size_t)ng + 1, sizeof(int)))
        return SG_ENOMEM;
    int *start = q->uf;
    for (int j = 0; j <= ng; j++)
        start[j] = 0;
    for (size_t k = 0; k < ne; k++)
        start[q->edges[k].col + 1]++;
    for (int j = 0; j < ng; j++)
        start[j + 1] += start[j];
    for (size_t k = 0; k < ne; k++)
        q->edges_sel[start[q->edges[k].col]++] = q->edges[k];
    memcpy(q->edges, q->edges_sel, ne * sizeof(assign_edge));
    return SG_OK;
}

static void unit(double az, double el, double u[3])
{
    u[0] = sin(az) * cos(el);
    u[1] = cos(az) * cos(el);
    u[2] = sin(el);
}

/* Distance (m) between two position or range-bearing measurements of one group (same
 * sensor and type). */
static double meas_sep(const sg_measurement *a, const sg_measurement *b)
{
    double ua[3], ub[3], d2 = 0;
    switch (a->type) {
    case SG_MEAS_POS_ENU:
        for (int i = 0; i < 3; i++)
            d2 += (a->z[i] - b->z[i]) * (a->z[i] - b->z[i]);
        return sqrt(d2);
    default:
        unit(a->z[1], a->z[2], ua);
        unit(b->z[1], b->z[2], ub);
        for (int i = 0; i < 3; i++)
            d2 += (a->z[0] * ua[i] - b->z[0] * ub[i]) * (a->z[0] * ua[i] - b->z[0] * ub[i]);
        return sqrt(d2);
    }
}

bool trk_is_split(const tracker *q, const sg_measurement *const *gm, int k)
{
    double r = q->cfg.split_radius_m;
    if (!(r > 0) || k < 0)
        return false;
    const sg_measurement *m = gm[q->keys[k].j];
    if (m->type == SG_MEAS_BEARING)
        return false; /* bearings start nothing alone (pairs, rays) */
    /* the key is x (position) or range (range-bearing): both in m */
    for (int dir = -1; dir <= 1; dir += 2)
        for (int b = k + dir; b >= 0 && b < q->n_keys && fabs(q->keys[k].key - q->keys[b].key) <= r;
             b += dir) {
            int jb = q->keys[b].j;
            if ((q->mflag[jb] == MF_INIT || q->took[jb] >= 0) && meas_sep(m, gm[jb]) < r)
                return true;
        }
    return false;
}

int trk_duplicates(tracker *q, size_t ne, uint64_t g)
{
    double gate = kf_chi2_gate(q->cfg.dup_gate_prob, 3);
    size_t nv = 0;
    for (size_t a = 0; a < ne;) {
        size_t b = a + 1;
        while (b < ne && q->edges[b].col == q->edges[a].col)
            b++;
        size_t end = b - a > DUP_MAX_SHARE ? a + DUP_MAX_SHARE : b;
        for (size_t i = a; i < end; i++)
            for (size_t k = i + 1; k < end; k++) {
                trk *t1 = trk_at(q, q->edges[i].row), *t2 = trk_at(q, q->edges[k].row);
                if (t1->pub->identity[0] && t2->pub->identity[0])
                    continue; /* identities never merge (equal ones cannot coexist) */
                trk *keep = survives(t1, t2) ? t1 : t2, *y = keep == t1 ? t2 : t1;
                if (y->dup_group == g && y->dup_of == keep->pub->id)
                    continue; /* this pair was tested in this group already */
                bool same = (diff_d2(t1, t2, 0) < gate || dist(t1, t2) < q->cfg.split_radius_m) &&
                            diff_d2(t1, t2, 3) < gate;
                if (y->dup_of != keep->pub->id) {
                    if (!same)
                        continue; /* keep the count of a pair still coinciding */
                    y->dup_of = keep->pub->id;
                    y->dup_count = y->dup_apart = 0;
                }
                y->dup_group = g;
                y->dup_count = same ? y->dup_count + 1 : 0;
                y->dup_apart = same ? 0 : y->dup_apart + 1;
                if (y->dup_apart >= (uint32_t)q->cfg.dup_scans)
                    y->dup_of = 0; /* told apart: free to confirm */
                if (y->dup_count == (uint32_t)q->cfg.dup_scans) {
                    if (trk_grow((void **)&q->victims, &q->cap_victims, nv + 1, sizeof(size_t)))
                        return SG_ENOMEM;
                    merge_attrs(keep->pub, y->pub);
                    q->victims[nv++] = (size_t)((unsigned char *)y - q->trks) / q->trk_esz;
                }
            }
        a = b;
    }
    /* delete from the highest index down so swap-removal does not move a victim */
    if (nv > 1)
        qsort(q->victims, nv, sizeof(size_t), cmp_size_desc);
    for (size_t k = 0; k < nv; k++) {
        if (k && q->victims[k] == q->victims[k - 1])
            continue;
        int rc = trk_kill(q, q->victims[k]);
        if (rc)
            return rc;
        q->st.tracks_merged++;
    }
    return SG_OK;
}
