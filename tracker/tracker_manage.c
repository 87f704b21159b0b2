/* Track management: per-track helpers, in-sequence updates, M-of-N confirmation,
 * coasting and deletion, and the list tracker_tracks returns. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tracker_int.h"

/* ---- track helpers --------------------------------------------------------------- */

void trk_add_sensor(sg_track *t, int s)
{
    for (int i = 0; i < t->n_sensors; i++)
        if (t->sensors[i] == s)
            return;
    if (t->n_sensors < SG_MAX_TRACK_SENSORS)
        t->sensors[t->n_sensors++] = s;
}

bool trk_has_sensor(const sg_track *t, int s)
{
    for (int i = 0; i < t->n_sensors; i++)
        if (t->sensors[i] == s)
            return true;
    return false;
}

/* Copies the per-measurement attributes (class, identity, operator, Remote ID and
 * DroneID details)
 * into the track. */
void trk_absorb_attrs(sg_track *t, const sg_measurement *m)
{
    trk_add_sensor(t, m->sensor);
    if (m->cls[0] && (!t->cls[0] || m->cls_conf >= t->cls_conf)) {
        memcpy(t->cls, m->cls, sizeof t->cls);
        t->cls_conf = m->cls_conf;
    }
    if (m->identity[0] && !t->identity[0])
        memcpy(t->identity, m->identity, sizeof t->identity);
    if (m->has_operator) {
        t->has_operator = true;
        t->operator_lat = m->operator_lat;
        t->operator_lon = m->operator_lon;
        t->operator_alt = m->operator_alt;
    }
    if (m->rid.valid)
        t->rid = m->rid;
    if (m->droneid.valid)
        t->droneid = m->droneid;
}

void trk_hist_push(const tracker *q, trk *t, const sg_measurement *m)
{
    hist_entry *h;
    if (t->hist_n < TRK_HIST) {
        h = trk_hist_at(q, t, t->hist_n);
        t->hist_n++;
    } else {
        h = trk_hist_at(q, t, 0);
        t->hist_head = (t->hist_head + 1) % TRK_HIST;
    }
    trk_hist_meas(&h->m, m);
    kf_pack(&h->post, &t->kf);
}

/* The kinematic fields both ways (one list, so the two directions cannot drift apart);
 * inlined with a constant direction, so each call is a few straight copies. */
static inline __attribute__((always_inline)) void hist_fields(hist_meas *h, sg_measurement *m,
                                                              bool to_meas)
{
#define HIST_FIELD(f)                                                                        \
    do {                                                                                     \
        if (to_meas)                                                                         \
            memcpy(&m->f, &h->f, sizeof h->f);                                               \
        else                                                                                 \
            memcpy(&h->f, &m->f, sizeof h->f);                                               \
    } while (0)
    HIST_FIELD(t);
    HIST_FIELD(sensor);
    HIST_FIELD(type);
    HIST_FIELD(has_vel);
    HIST_FIELD(z);
    HIST_FIELD(R);
    HIST_FIELD(sensor_enu);
    HIST_FIELD(vel_enu);
#undef HIST_FIELD
}

void trk_hist_meas(hist_meas *h, const sg_measurement *m)
{
    hist_fields(h, (sg_measurement *)m, false); /* read only in this direction */
}

void trk_hist_unpack(const hist_meas *h, sg_measurement *m)
{
    memset(m, 0, sizeof *m);
    hist_fields((hist_meas *)h, m, true); /* read only in this direction */
}

int trk_find_identity(const tracker *q, const char *id)
{
    for (size_t i = 0; i < q->n_trk; i++)
        if (trk_at(q, i)->pub->identity[0] && strcmp(trk_at(q, i)->pub->identity, id) == 0)
            return (int)i;
    return -1;
}

int trk_reserve(tracker *q, size_t need)
{
    if (need <= q->cap_trk)
        return SG_OK;
    size_t n = q->cap_trk ? q->cap_trk : 16;
    while (n < need)
        n *= 2;
    /* realloc (a large block moves by remapping its pages, no copy and no page faults),
     * then aligned to a cache line within the block, so a record's lines are its own: the
     * records move only if the block's alignment changed */
    size_t off = q->trks_mem ? (size_t)(q->trks - q->trks_mem) : 0;
    unsigned char *r = realloc(q->trks_mem, n * q->trk_esz + 63);
    if (!r)
        return SG_ENOMEM;
    unsigned char *a = (unsigned char *)(((uintptr_t)r + 63) & ~(uintptr_t)63);
    if (q->n_trk && (size_t)(a - r) != off)
        memmove(a, r + off, q->n_trk * q->trk_esz);
    q->trks_mem = r;
    q->trks = a;
    q->cap_trk = n;
    return SG_OK;
}

int trk_out_reserve(tracker *q, size_t need)
{
    sg_track *old = q->out;
    if (trk_grow((void **)&q->out, &q->cap_out, need, sizeof(sg_track)))
        return SG_ENOMEM;
    if (q->out != old)
        for (size_t i = 0; i < q->n_trk; i++)
            trk_at(q, i)->pub = &q->out[i];
    return SG_OK;
}

int trk_cold_reserve(tracker *q, size_t need)
{
    trk_cold *old = q->cold;
    unsigned char *old_hist = q->hist;
    size_t ring = TRK_HIST * q->hist_esz;
    int rc = trk_grow((void **)&q->cold, &q->cap_cold, need, sizeof(trk_cold));
    if (rc == SG_OK)
        rc = trk_grow((void **)&q->hist, &q->cap_hist, need, ring);
    /* re-pointed whatever moved, even when the second grow failed */
    if (q->cold != old || q->hist != old_hist)
        for (size_t i = 0; i < q->n_trk; i++) {
            trk_at(q, i)->cold = &q->cold[i];
            trk_at(q, i)->hist = q->hist + i * ring;
        }
    return rc ? SG_ENOMEM : SG_OK;
}

void trk_fill_pub(trk *t)
{
    if (t->kf.nmodes > 1) { /* the combined estimate's leading 6 states, in place */
        kf_combined_lead(&t->kf, 6, t->pub->x, t->pub->P);
        t->pub->t = t->kf.t;
        return;
    }
    const double *x = t->kf.x[0], *P = t->kf.P[0]; /* one mode: no copy */
    int n = t->kf.n;
    memcpy(t->pub->x, x, 6 * sizeof(double));
    if (n == 6) { /* NCV: the public P is the whole state's */
        memcpy(t->pub->P, P, 36 * sizeof(double));
    } else {
        for (int i = 0; i < 6; i++)
            memcpy(&t->pub->P[i * 6], &P[i * n], 6 * sizeof(double));
    }
    t->pub->t = t->kf.t;
}

double trk_pos_sd(const trk *t)
{
    /* the public P is the combined estimate's leading 6 x 6 (an IMM's position block is
     * the same numbers as kf_combined_lead's 3 x 3: no second combination) */
    const double *P = t->pub->P;
    return sqrt(fmax(P[0], fmax(P[7], P[14])));
}

/* Starts a tentative track from a state; returns its index or -1 (table full / no memory). */

/* Applies an in-sequence update (the track is already predicted to m->t). */
/* Remembers when m's sensor last updated the track (for scan reports). */
void trk_note_hit(trk *tr, const sg_measurement *m)
{
    int k = 0;
    for (; k < tr->n_last; k++)
        if (tr->last_hit[k].sensor == m->sensor)
            break;
    if (k == tr->n_last) {
        if (tr->n_last < SG_MAX_TRACK_SENSORS) {
            tr->n_last++;
        } else {
            k = 0;
            for (int i = 1; i < tr->n_last; i++)
                if (tr->last_hit[i].t < tr->last_hit[k].t)
                    k = i;
        }
        tr->last_hit[k].sensor = m->sensor;
        tr->last_hit[k].t = m->t;
        tr->last_hit[k].has_feat = false;
    } else if (m->t > tr->last_hit[k].t) {
        tr->last_hit[k].t = m->t;
    } else {
        return;
    }
    if (m->type == SG_MEAS_BEARING && (m->n_bursts || m->fc_hz > 0 || m->cls[0])) {
        tr->last_hit[k].has_feat = true;
        trk_feat_of(&tr->cold->feat[k], m);
    }
}

bool trk_features_ok(const tracker *q, const trk *tr, const sg_measurement *m)
{
    if (m->type != SG_MEAS_BEARING || !q->cfg.bearing_pair_features)
        return true;
    trk_feat fm;
    bool have_fm = false;
    for (int k = 0; k < tr->n_last; k++) {
        const trk_feat *f = &tr->cold->feat[k];
        if (!tr->last_hit[k].has_feat || tr->last_hit[k].sensor == m->sensor ||
            fabs(f->t - m->t) > q->cfg.bearing_pair_window_s)
            continue;
        if (!have_fm) {
            trk_feat_of(&fm, m);
            have_fm = true;
        }
        if (!trk_feat_match(f, &fm, q->cfg.bearing_pair_time_tol_s))
            return false;
    }
    return true;
}

void trk_apply_update(tracker *q, trk *tr, const sg_measurement *m)
{
    if (kf_update(&q->kp, &tr->kf, m, NULL) != SG_OK) {
        q->st.update_failed++;
        return;
    }
    trk_record_hit(q, tr, m);
    q->st.used++;
}

void trk_record_hit(tracker *q, trk *tr, const sg_measurement *m)
{
    tr->pub->hits++;
    tr->pub->misses = 0;
    tr->miss_scans = 0;
    if (m->t > tr->pub->t_last)
        tr->pub->t_last = m->t;
    trk_absorb_attrs(tr->pub, m);
    if (m->type != SG_MEAS_BEARING)
        tr->full_obs = true;
    for (int i = 0; i < tr->pub->n_sensors; i++)
        if (tr->pub->sensors[i] == m->sensor)
            tr->post_sensors |= (uint8_t)(1u << i);
    tr->hit_group = q->group_seq;
    trk_note_hit(tr, m);
    trk_hist_push(q, tr, m);
}

/* A bearing-only track from a two-sensor pair must be seen again by two sensors before it
 * is confirmed: a ghost (one true bearing crossed by a clutter bearing) is then fed by one
 * sensor only and never confirms. */
static bool observable(const tracker *q, const trk *tr)
{
    if (tr->full_obs || q->cfg.bearing_init != TRACKER_BEARING_INIT_PAIR)
        return true;
    return __builtin_popcount(tr->post_sensors) >= 2;
}

/* ---- maintenance ------------------------------------------------------------------- */

/* The time rule of consecutive misses: the scan reports that missed the track since its
 * last hit span max_miss_s of scan time (and the run has min_misses misses), so a sensor
 * that looks 4 times a second deletes as soon as one that looks 30 times. */
static bool trk_miss_time_up(const tracker_cfg *c, const trk *tr)
{
    return c->max_miss_s > 0 && tr->miss_scans > 0 && tr->pub->misses >= (uint32_t)c->min_misses &&
           tr->miss_t1 - tr->miss_t0 >= c->max_miss_s - TRK_SCAN_TOL_S;
}

int trk_kill(tracker *q, size_t i)
{
    trk *tr = trk_at(q, i);
    if (trk_grow((void **)&q->dead, &q->cap_dead, q->n_dead + 1, sizeof(sg_track)))
        return SG_ENOMEM; /* retried on the next call */
    trk_fill_pub(tr);
    q->dead[q->n_dead] = *tr->pub;
    q->dead[q->n_dead].status = SG_TRACK_DELETED;
    q->n_dead++;
    q->st.tracks_deleted++;
    q->n_trk--;
    if (i != q->n_trk) {
        trk *last = trk_at(q, q->n_trk);
        memcpy(tr, last, q->trk_esz);
        q->out[i] = q->out[q->n_trk];
        tr->pub = &q->out[i];
        tr->cold = &q->cold[i];
        tr->hist = q->hist + i * TRK_HIST * q->hist_esz;
        for (int k = 0; k < last->hist_n; k++) /* the used part of the history */
            memcpy(tr->hist + (size_t)k * q->hist_esz, trk_hist_at(q, last, k), q->hist_esz);
        tr->hist_head = 0;
        for (int k = 0; k < last->n_last; k++)
            if (last->last_hit[k].has_feat)
                tr->cold->feat[k] = last->cold->feat[k];
    }
    return SG_OK;
}

int trk_maintain(tracker *q) { return trk_maintain_scans(q, NULL, 0); }

int trk_maintain_scans(tracker *q, const tracker_scan *scans, size_t ns)
{
    int rc = SG_OK;
    const tracker_cfg *c = &q->cfg;
    /* pending bearings that can no longer find a partner */
    size_t w = 0;
    for (size_t k = 0; k < q->n_pend; k++) {
        if (q->t_now - q->pend[k].t > c->bearing_pair_window_s)
            q->st.bearing_expired++;
        else
            q->pend[w++] = q->pend[k];
    }
    q->n_pend = w;
    /* the output list: live tracks in out[0, n_trk), filled in this pass, then the deleted
     * ones (n_trk + n_dead does not change as tracks die) */
    if (trk_out_reserve(q, q->n_trk + q->n_dead + 1))
        return SG_ENOMEM;
    for (size_t i = 0; i < q->n_trk;) {
        trk *tr = trk_at(q, i);
        if (i + TRK_AHEAD < q->n_trk) /* with the last hits trk_scan_track reads */
            trk_prefetch(q, i + TRK_AHEAD);
        for (size_t k = 0; k < ns; k++) /* slot i after a deletion holds an unscanned track */
            trk_scan_track(q, tr, &scans[k]);
        kf_predict(&q->kp, &tr->kf, q->t_now);
        trk_fill_pub(tr); /* before the deletion test, which reads its position sd */
        sg_track *p = tr->pub;
        /* a tentative track coinciding with another is held back until the duplicate test
         * has decided */
        if (p->status == SG_TRACK_TENTATIVE &&
            ((tr->mhits >= tr->m_req && observable(q, tr) && tr->dup_count == 0) ||
             (c->identity_confirms && p->identity[0]))) {
            p->status = SG_TRACK_CONFIRMED;
            tr->tent = false;
            q->st.tracks_confirmed++;
        }
        bool del = false;
        if (p->status == SG_TRACK_TENTATIVE)
            del = tr->mhits + (tr->n_req - tr->opp) < tr->m_req;
        double idle = q->t_now - p->t_last;
        del = del || idle > c->max_coast_s || p->misses >= (uint32_t)c->max_misses ||
              trk_pos_sd(tr) > c->max_pos_sd || trk_miss_time_up(c, tr);
        if (del) {
            int r = trk_kill(q, i);
            if (r == SG_OK)
                continue; /* slot i now holds another track */
            rc = r;
        } else if (p->status != SG_TRACK_TENTATIVE) {
            p->status = (p->misses > 0 || idle > c->coast_after_s) ? SG_TRACK_COASTING
                                                                   : SG_TRACK_CONFIRMED;
        }
        i++;
    }
    if (q->n_dead)
        memcpy(q->out + q->n_trk, q->dead, q->n_dead * sizeof(sg_track));
    q->n_out = q->n_trk + q->n_dead;
    q->st.tracks_active = (uint32_t)q->n_trk;
    return rc;
}
