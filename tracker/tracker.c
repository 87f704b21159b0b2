/* Multi-target tracker (see tracker.h for the design and tracker_int.h for how the source
 * is split). Tracks live in one array (swap-removed on deletion); every scratch buffer grows
 * on demand and is reused, so a steady scene runs without allocation. Measurement batches
 * are split into (time, sensor, type) groups and processed in time order; late groups go
 * through the out-of-sequence path. */
#include "tracker.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "tracker_int.h"

/* ---- lifecycle -------------------------------------------------------------------- */

tracker *tracker_create(const tracker_cfg *cfg, sg_errinfo *e)
{
    tracker_cfg def;
    if (!cfg) {
        tracker_cfg_default(&def);
        cfg = &def;
    }
    if (trk_cfg_check(cfg, "tracker", e))
        return NULL;
    tracker *q = calloc(1, sizeof *q);
    if (!q) {
        sg_err_set(e, SG_ENOMEM, "tracker: out of memory");
        return NULL;
    }
    q->ws = assign_ws_create();
    if (!q->ws) {
        free(q);
        sg_err_set(e, SG_ENOMEM, "tracker: out of memory");
        return NULL;
    }
    q->cfg = *cfg;
    q->kp.model = cfg->model;
    q->kp.q_accel = cfg->q_accel;
    q->kp.q_jerk = cfg->q_jerk;
    q->kp.imm_sojourn_s = cfg->imm_sojourn_s;
    q->kp.q_turn = cfg->q_turn;
    q->kp.init_turn_sd = cfg->init_turn_sd;
    q->kp.init_acc_sd = cfg->init_acc_sd;
    q->kp.vel_sd = cfg->reported_vel_sd;
    /* a history entry holds any state of the model (kf_pack never writes past it) */
    q->hist_esz = (offsetof(hist_entry, post) + kf_packed_size(q->kp.model) + 7) & ~(size_t)7;
    /* a track record holds the model's part of the filter state (kf_state_size) */
    q->trk_esz = (offsetof(trk, kf) + kf_state_size(q->kp.model) + 63) & ~(size_t)63;
    for (int d = 1; d <= 3; d++)
        q->gate[d] = kf_chi2_gate(cfg->gate_prob, d);
    q->pair_gate = q->gate[1];
    double sa = sin(cfg->bearing_min_angle_deg * M_PI / 180);
    q->min_sin2 = sa * sa;
    q->next_id = 1;
    q->t_now = -INFINITY;
    return q;
}

void tracker_destroy(tracker *q)
{
    if (!q)
        return;
    assign_ws_destroy(q->ws);
    free(q->trks_mem);
    free(q->cold);
    free(q->hist);
    free(q->out);
    free(q->dead);
    free(q->refs);
    free(q->gm);
    free(q->pred);
    free(q->pred_ok);
    free(q->retro);
    free(q->keys);
    free(q->keys_tmp);
    free(q->mflag);
    free(q->c2r);
    free(q->held);
    free(q->took);
    free(q->kinv);
    free(q->r2c);
    free(q->edges);
    free(q->edges_sel);
    free(q->victims);
    free(q->uf);
    free(q->grid_head);
    free(q->grid_next);
    free(q->grid_cx);
    free(q->grid_cy);
    free(q->grid_en);
    free(q->jedges);
    free(q->jcost);
    free(q->scan_sensors);
    free(q->scans);
    free(q);
}

/* Grows *p (elements of sz bytes) to hold at least need; doubles to amortise. */
int trk_grow(void **p, size_t *cap, size_t need, size_t sz)
{
    if (need <= *cap)
        return SG_OK;
    size_t n = *cap ? *cap : 16;
    while (n < need)
        n *= 2;
    void *r = realloc(*p, n * sz);
    if (!r)
        return SG_ENOMEM;
    *p = r;
    *cap = n;
    return SG_OK;
}

static int reserve_tracks_scratch(tracker *q, size_t n)
{
    size_t c1 = q->cap_pred, c2 = q->cap_pred, c3 = q->cap_r2c;
    if (trk_grow((void **)&q->pred, &c1, n, sizeof(kf_pred)) ||
        trk_grow((void **)&q->pred_ok, &c2, n, 1) || trk_grow((void **)&q->r2c, &c3, n, sizeof(int)))
        return SG_ENOMEM;
    q->cap_pred = c1 < c2 ? c1 : c2;
    q->cap_r2c = c3;
    return SG_OK;
}

static int reserve_group_scratch(tracker *q, size_t n)
{
    size_t c1 = q->cap_group, c2 = q->cap_group, c3 = q->cap_group, c4 = q->cap_group;
    size_t c5 = q->cap_group, c6 = q->cap_group;
    if (trk_grow((void **)&q->keys, &c1, n, sizeof(gkey)) || trk_grow((void **)&q->mflag, &c2, n, 1) ||
        trk_grow((void **)&q->c2r, &c3, n, sizeof(int)) || trk_grow((void **)&q->held, &c4, n, sizeof(int)) ||
        trk_grow((void **)&q->took, &c5, n, sizeof(int)) ||
        trk_grow((void **)&q->kinv, &c6, n, sizeof(int)))
        return SG_ENOMEM;
    size_t m = c5 < c6 ? c5 : c6;
    if (c1 < m)
        m = c1;
    if (c2 < m)
        m = c2;
    if (c3 < m)
        m = c3;
    if (c4 < m)
        m = c4;
    q->cap_group = m;
    return SG_OK;
}


/* ---- group processing -------------------------------------------------------------- */

static int process_group(tracker *q, const sg_measurement *const *gm, int ng, double tg)
{
    q->group_seq++;
    uint64_t g = q->group_seq;
    sg_meas_type type = gm[0]->type;
    int sensor = gm[0]->sensor;
    if (reserve_tracks_scratch(q, q->n_trk + 1) || reserve_group_scratch(q, (size_t)ng))
        return SG_ENOMEM;
    /* every track is predicted to tg in the gate's pass over the tracks (one pass fewer);
     * the identity pre-pass predicts the few tracks it needs first */
    (void)tg;
    memset(q->pred_ok, PRED_TODO, q->n_trk);
    /* identity pre-pass: an identity already held goes to its track only */
    for (int j = 0; j < ng; j++) {
        const sg_measurement *m = gm[j];
        q->mflag[j] = MF_OPEN;
        q->took[j] = -1;
        q->held[j] = -1;
        if (!m->identity[0])
            continue;
        bool dup = false;
        for (int k = 0; k < j && !dup; k++)
            dup = strcmp(gm[k]->identity, m->identity) == 0;
        if (dup) {
            q->mflag[j] = MF_DONE;
            q->st.unused++;
            continue;
        }
        int ti = trk_find_identity(q, m->identity);
        if (ti < 0)
            continue;
        trk *tr = trk_at(q, ti);
        trk_predict_once(q, (size_t)ti, gm[0]);
        q->mflag[j] = MF_DONE;
        q->took[j] = ti;
        double d2;
        if (q->pred_ok[ti] &&
            kf_mahalanobis(&q->pred[ti], type, m->z, m->R, &d2) == SG_OK &&
            d2 < q->gate[sg_meas_dim(type)])
            trk_apply_update(q, tr, m);
        else if (type != SG_MEAS_BEARING)
            trk_reinit_identity(q, tr, m);
        else
            q->st.unused++; /* a bearing alone cannot re-place a track */
    }
    /* gate once against every track, then assign in two stages: established tracks choose
     * first, so a tentative track born from an outlier next to a confirmed track cannot
     * steal that track's measurements */
    size_t ne;
    int rc = trk_gate(q, gm, ng, 0, SEL_ALL, &ne);
    if (rc)
        return rc;
    for (int stage = SEL_ESTABLISHED; stage <= SEL_TENTATIVE; stage++) {
        if (stage == SEL_ESTABLISHED && q->cfg.association == TRACKER_ASSOC_JPDA &&
            type != SG_MEAS_BEARING) {
            if ((rc = trk_jpda_stage(q, gm, ng, ne)) != SG_OK)
                return rc;
            continue;
        }
        rc = trk_assign_stage(q, ng, ne, stage);
        if (rc)
            return rc;
        /* in track order: the track records are then read in sequence, not at random; a
         * record is asked for 2 * TRK_AHEAD tracks ahead, what it points at (its public
         * record, history entry, measurement) TRK_AHEAD ahead, once it is in cache (asked
         * for together, the pointer loads waited for the record) */
        for (size_t i = 0; i < q->n_trk; i++) {
            size_t a = i + TRK_AHEAD, a2 = i + 2 * TRK_AHEAD;
            if (a2 < q->n_trk && q->r2c[a2] >= 0)
                trk_prefetch(q, a2);
            if (a < q->n_trk && q->r2c[a] >= 0)
                trk_prefetch_update(q, trk_at(q, a), gm[q->r2c[a]]);
            int j = q->r2c[i];
            if (j >= 0 && q->mflag[j] != MF_DONE) {
                trk_apply_update(q, trk_at(q, i), gm[j]);
                q->mflag[j] = MF_DONE;
                q->took[j] = (int)i;
            }
        }
    }
    if ((rc = trk_sort_edges(q, ne, ng)) != SG_OK)
        return rc;
    trk_clutter_update(q, gm, ng);
    /* what no track took starts a track, even inside another track's gate (a drone
     * arriving next to another; not for bearings: a gated bearing pairs into ghosts), unless
     * it is a split return: closer than split_radius_m to a measurement of the group that
     * updated or started a track; the duplicate test below catches what is left of one
     * drone holding two tracks */
    for (int j = 0; j < ng; j++) {
        if (q->mflag[j] == MF_DONE)
            continue;
        if (!gm[j]->identity[0] &&
            ((q->mflag[j] == MF_GATED && (!q->cfg.init_in_gate || type == SG_MEAS_BEARING)) ||
             trk_is_split(q, gm, q->kinv[j]))) {
            q->st.unused++; /* near a track that took a better measurement */
            q->mflag[j] = MF_DONE;
            continue;
        }
        trk_initiate(q, gm[j]);
        q->mflag[j] = MF_INIT;
    }
    if (q->cfg.dup_scans > 0 && (rc = trk_duplicates(q, ne, g)) != SG_OK)
        return rc;
    /* A batch of self-reported positions (DroneID, Remote ID: every measurement carries
     * its transmitter's identity) is not a scan of the sky: one drone's message says
     * nothing about the others, so it is neither a miss nor an opportunity for them. */
    bool self_reports = ng > 0;
    for (int j = 0; j < ng; j++)
        self_reports = self_reports && gm[j]->identity[0] != '\0';
    /* M-of-N and consecutive misses, counted over batches of the track's own sensors
     * (a sensor that sends scan reports is counted by its scans instead) */
    bool scanning = trk_scanning(q, sensor);
    for (size_t i = 0; i < q->n_trk && !scanning; i++) {
        trk *tr = trk_at(q, i);
        if (tr->born_group >= g || !trk_has_sensor(tr->pub, sensor))
            continue;
        bool hit = tr->hit_group == g;
        if (!hit && self_reports)
            continue;
        if (!hit)
            tr->pub->misses++;
        if (tr->tent && tr->opp < tr->n_req) {
            tr->opp++;
            tr->mhits += hit;
        }
    }
    return SG_OK;
}

/* Re-filters a track from the history entry before m (time order kept). */
static void refilter(tracker *q, trk *tr, const sg_measurement *m)
{
    hist_entry tmp[TRK_HIST + 1];
    int n = tr->hist_n, k = -1;
    for (int i = 0; i < n; i++) {
        memcpy(&tmp[i], trk_hist_at(q, tr, i), q->hist_esz);
        if (tmp[i].m.t <= m->t)
            k = i;
    }
    if (k < 0) {
        q->st.oosm_dropped++;
        return;
    }
    kf_state s;
    kf_unpack(&s, &tmp[k].post);
    kf_predict(&q->kp, &s, m->t);
    if (kf_update(&q->kp, &s, m, NULL) != SG_OK) {
        q->st.update_failed++;
        return;
    }
    memmove(&tmp[k + 2], &tmp[k + 1], (size_t)(n - k - 1) * sizeof tmp[0]);
    trk_hist_meas(&tmp[k + 1].m, m);
    kf_pack(&tmp[k + 1].post, &s);
    n++;
    sg_measurement mi;
    for (int i = k + 2; i < n; i++) {
        kf_predict(&q->kp, &s, tmp[i].m.t);
        trk_hist_unpack(&tmp[i].m, &mi);
        kf_update(&q->kp, &s, &mi, NULL); /* succeeded before; keep going if not */
        kf_pack(&tmp[i].post, &s);
    }
    kf_predict(&q->kp, &s, tr->kf.t);
    kf_copy(&tr->kf, &s); /* the record holds the used part only */
    int first = n > TRK_HIST ? n - TRK_HIST : 0;
    tr->hist_head = 0;
    tr->hist_n = n - first;
    for (int i = first; i < n; i++)
        memcpy(tr->hist + (size_t)(i - first) * q->hist_esz, &tmp[i], q->hist_esz);
    tr->pub->hits++;
    if (m->t > tr->pub->t_last)
        tr->pub->t_last = m->t;
    trk_absorb_attrs(tr->pub, m);
    trk_note_hit(tr, m);
    q->st.used++;
    q->st.oosm_used++;
}

static int process_oosm_group(tracker *q, const sg_measurement *const *gm, int ng, double tg)
{
    sg_meas_type type = gm[0]->type;
    if (reserve_tracks_scratch(q, q->n_trk + 1) || reserve_group_scratch(q, (size_t)ng) ||
        trk_grow((void **)&q->retro, &q->cap_retro, q->n_trk + 1, sizeof(kf_state)))
        return SG_ENOMEM;
    for (size_t i = 0; i < q->n_trk; i++) {
        trk *tr = trk_at(q, i);
        int k = -1;
        for (int h = 0; h < tr->hist_n; h++)
            if (trk_hist_at(q, tr, h)->m.t <= tg)
                k = h;
        q->pred_ok[i] = 0;
        if (k < 0)
            continue;
        kf_unpack(&q->retro[i], &trk_hist_at(q, tr, k)->post);
        kf_predict(&q->kp, &q->retro[i], tg);
        q->pred_ok[i] =
            kf_predict_meas(&q->retro[i], type, gm[0]->sensor_enu, &q->pred[i]) == SG_OK;
    }
    for (int j = 0; j < ng; j++) {
        q->mflag[j] = MF_OPEN;
        q->held[j] = gm[j]->identity[0] ? trk_find_identity(q, gm[j]->identity) : -1;
    }
    int rc = trk_gate_assign(q, gm, ng, 0, SEL_ALL);
    if (rc)
        return rc;
    for (int j = 0; j < ng; j++) {
        if (q->c2r[j] >= 0)
            refilter(q, trk_at(q, q->c2r[j]), gm[j]);
        else
            q->st.oosm_dropped++;
    }
    return SG_OK;
}


/* ---- public calls -------------------------------------------------------------------- */

/* Largest magnitude accepted for positions, ranges and velocities: a site frame spans
 * kilometres, so anything beyond 1e7 (m or m/s) is corrupt and would only overflow later. */
#define MAX_ABS 1e7

static bool finite_n(const double *v, int n)
{
    for (int i = 0; i < n; i++)
        if (!isfinite(v[i]) || fabs(v[i]) > MAX_ABS)
            return false;
    return true;
}

/* Measurements may be stamped at most this far after their batch time (s): a corrupt
 * future time stamp would otherwise push the clock ahead and make every later measurement
 * "too old". */
#define FUTURE_TOL_S 1e-3

/* 0 if usable, else the rejection code (and the counter is bumped). */
static int validate(tracker *q, const sg_measurement *m, double batch_t)
{
    if (m->type != SG_MEAS_POS_ENU && m->type != SG_MEAS_BEARING &&
        m->type != SG_MEAS_RANGE_BEARING) {
        q->st.rej_type++;
        return SG_EINVAL;
    }
    int dim = sg_meas_dim(m->type);
    bool ok = isfinite(m->t) && m->t <= batch_t + FUTURE_TOL_S && finite_n(m->z, dim) &&
              memchr(m->identity, 0, SG_ID_LEN) && memchr(m->cls, 0, SG_CLASS_LEN) &&
              (!m->has_vel || finite_n(m->vel_enu, 3));
    if (ok && m->type != SG_MEAS_POS_ENU)
        ok = finite_n(m->sensor_enu, 3);
    if (ok && m->type == SG_MEAS_BEARING)
        ok = fabs(m->z[1]) <= M_PI / 2 && fabs(m->z[0]) <= 4 * M_PI;
    if (ok && m->type == SG_MEAS_RANGE_BEARING)
        ok = m->z[0] > 0 && fabs(m->z[2]) <= M_PI / 2 && fabs(m->z[1]) <= 4 * M_PI;
    if (!ok) {
        q->st.rej_invalid++;
        return SG_EINVAL;
    }
    bool r_ok = kf_is_pd(m->R, dim);
    for (int i = 0; r_ok && i < dim; i++)
        r_ok = m->R[i * dim + i] <= MAX_ABS * MAX_ABS;
    if (!r_ok) {
        q->st.rej_cov++;
        return SG_EINVAL;
    }
    if (m->t < q->t_now - q->cfg.oosm_window_s) {
        q->st.rej_too_old++;
        return SG_ERANGE;
    }
    return SG_OK;
}

static int cmp_mref(const void *a, const void *b)
{
    const sg_measurement *x = ((const mref *)a)->m, *y = ((const mref *)b)->m;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    if (x->sensor != y->sensor)
        return x->sensor < y->sensor ? -1 : 1;
    if (x->type != y->type)
        return x->type < y->type ? -1 : 1;
    for (int i = 0; i < 3; i++)
        if (x->sensor_enu[i] != y->sensor_enu[i])
            return x->sensor_enu[i] < y->sensor_enu[i] ? -1 : 1;
    size_t ia = ((const mref *)a)->i, ib = ((const mref *)b)->i;
    return (ia > ib) - (ia < ib);
}

static bool same_group(const sg_measurement *a, const sg_measurement *b)
{
    return a->t == b->t && a->sensor == b->sensor && a->type == b->type &&
           (a->type == SG_MEAS_POS_ENU || memcmp(a->sensor_enu, b->sensor_enu,
                                                 sizeof a->sensor_enu) == 0);
}

static int cmp_scan(const void *a, const void *b)
{
    double x = ((const tracker_scan *)a)->t1, y = ((const tracker_scan *)b)->t1;
    return (x > y) - (x < y);
}

/* Merges return codes: SG_EINVAL (invalid input) outranks SG_ERANGE (too old). */
static int worse(int ret, int rc)
{
    return (ret == SG_OK || (ret == SG_ERANGE && rc == SG_EINVAL)) ? rc : ret;
}

int tracker_process_scans(tracker *q, double t, const sg_measurement *m, size_t n,
                          const tracker_scan *scans, size_t ns)
{
    if (!q || !isfinite(t) || (n && !m) || (ns && !scans)) {
        if (q) {
            q->st.meas_in += n;
            q->st.rej_invalid += n;
            q->st.scans_in += ns;
            q->st.scan_rej_invalid += ns;
        }
        return SG_EINVAL;
    }
    q->n_dead = 0;
    q->st.meas_in += n;
    q->st.scans_in += ns;
    int ret = SG_OK;
    if (trk_grow((void **)&q->refs, &q->cap_refs, n + 1, sizeof(mref)) ||
        trk_grow((void **)&q->gm, &q->cap_gm, n + 1, sizeof(*q->gm)) ||
        trk_grow((void **)&q->scans, &q->cap_scans, ns + 1, sizeof(tracker_scan))) {
        q->st.init_dropped_full += n; /* nothing processed; state untouched */
        q->st.scan_rej_invalid += ns;
        return SG_ENOMEM;
    }
    size_t nv = 0, nsv = 0, si = 0;
    for (size_t i = 0; i < n; i++) {
        if (i + 4 < n) /* the kinematic and text fields validate reads, a few ahead */
            for (size_t o = 0; o < offsetof(sg_measurement, identity) + SG_ID_LEN; o += 64)
                __builtin_prefetch((const char *)&m[i + 4] + o);
        int rc = validate(q, &m[i], t);
        if (rc) {
            ret = worse(ret, rc);
            continue;
        }
        q->refs[nv++] = (mref){&m[i], i};
    }
    for (size_t k = 0; k < ns; k++) {
        int rc = trk_scan_validate(q, &scans[k], t);
        if (rc)
            ret = worse(ret, rc);
        else
            q->scans[nsv++] = scans[k];
    }
    /* one sensor's scan is usually one group already in order: skip the sort then */
    bool sorted = true;
    for (size_t i = 1; i < nv && sorted; i++)
        sorted = cmp_mref(&q->refs[i - 1], &q->refs[i]) < 0;
    if (!sorted)
        qsort(q->refs, nv, sizeof(mref), cmp_mref);
    qsort(q->scans, nsv, sizeof(tracker_scan), cmp_scan);
    const sg_measurement **gm = q->gm;
    for (size_t a = 0; a < nv;) {
        size_t b = a + 1;
        while (b < nv && same_group(q->refs[a].m, q->refs[b].m))
            b++;
        int ng = (int)(b - a);
        for (int k = 0; k < ng; k++)
            gm[k] = q->refs[a + (size_t)k].m;
        double tg = gm[0]->t;
        int rc = SG_OK;
        /* a scan is judged once every measurement up to its end time has been applied */
        while (si < nsv && q->scans[si].t1 < tg && rc == SG_OK)
            if ((rc = trk_apply_scan(q, &q->scans[si])) == SG_OK)
                si++;
        if (rc == SG_OK) {
            if (tg >= q->t_now) {
                q->t_now = tg;
                rc = process_group(q, gm, ng, tg);
            } else {
                rc = process_oosm_group(q, gm, ng, tg);
            }
        }
        if (rc) {
            /* out of memory: count the rest of the batch as dropped, keep state valid */
            q->st.init_dropped_full += nv - a;
            q->st.scan_rej_invalid += nsv - si;
            si = nsv;
            ret = rc;
            break;
        }
        a = b;
    }
    /* the scans after the last group: judged in the maintenance pass */
    size_t s0 = si;
    for (; si < nsv; si++) {
        int rc = trk_scan_begin(q, &q->scans[si]);
        if (rc) {
            q->st.scan_rej_invalid += nsv - si;
            ret = rc;
            break;
        }
    }
    if (t > q->t_now)
        q->t_now = t;
    int rc = trk_maintain_scans(q, q->scans + s0, si - s0);
    return rc ? rc : ret;
}

int tracker_process(tracker *q, double t, const sg_measurement *m, size_t n)
{
    return tracker_process_scans(q, t, m, n, NULL, 0);
}

int tracker_predict(tracker *q, double t)
{
    if (!q || !isfinite(t))
        return SG_EINVAL;
    q->n_dead = 0;
    if (t > q->t_now)
        q->t_now = t;
    return trk_maintain(q);
}

int tracker_tracks(const tracker *q, const sg_track **tracks, size_t *n)
{
    if (!q || !tracks || !n)
        return SG_EINVAL;
    *tracks = q->out;
    *n = q->n_out;
    return SG_OK;
}

void tracker_stats(const tracker *q, tracker_counts *out)
{
    if (q && out)
        *out = q->st;
}
