/* Track initiation from a measurement no track took: position and range-bearing starts,
 * bearing-only starts by two-sensor pairing or along a single ray, and the re-start of an
 * identified track whose own measurement failed its gate (see tracker.h). */
#include <math.h>
#include <string.h>

#include "tracker_int.h"

int trk_new(tracker *q, const sg_measurement *m, double t, const double pos[3],
                     const double Ppos[9], const double vel[3], const double Pvel[9])
{
    if (q->n_trk >= (size_t)q->cfg.max_tracks) {
        q->st.init_dropped_full++;
        return -1;
    }
    if (trk_reserve(q, q->n_trk + 1) ||
        trk_out_reserve(q, q->n_trk + 1) || trk_cold_reserve(q, q->n_trk + 1)) {
        q->st.init_dropped_full++;
        return -1;
    }
    trk *tr = trk_at(q, q->n_trk);
    memset(tr, 0, q->trk_esz);
    tr->pub = &q->out[q->n_trk];
    memset(tr->pub, 0, sizeof *tr->pub);
    tr->cold = &q->cold[q->n_trk];
    tr->hist = q->hist + q->n_trk * TRK_HIST * q->hist_esz;
    kf_init(&q->kp, &tr->kf, t, pos, Ppos, vel, Pvel);
    tr->pub->id = q->next_id++;
    tr->pub->status = SG_TRACK_TENTATIVE;
    tr->tent = true;
    tr->pub->hits = 1;
    tr->pub->t_first = tr->pub->t_last = t;
    tr->pub->lat = tr->pub->lon = tr->pub->alt = NAN;
    tr->pub->operator_lat = tr->pub->operator_lon = tr->pub->operator_alt = NAN;
    trk_absorb_attrs(tr->pub, m);
    tr->opp = 1;
    trk_confirm_rule(q, tr, m);
    tr->mhits = 1;
    tr->full_obs = m->type != SG_MEAS_BEARING;
    tr->born_group = tr->hit_group = q->group_seq;
    trk_note_hit(tr, m);
    trk_hist_push(q, tr, m);
    q->st.tracks_created++;
    return (int)q->n_trk++;
}

void trk_vel_prior(const tracker *q, const sg_measurement *m, double vel[3], double Pvel[9])
{
    memset(Pvel, 0, 9 * sizeof(double));
    double sd = m->has_vel ? q->cfg.reported_vel_sd : q->cfg.init_vel_sd;
    for (int i = 0; i < 3; i++) {
        vel[i] = m->has_vel ? m->vel_enu[i] : 0;
        Pvel[i * 4] = sd * sd;
    }
}

static void unit_vec(double az, double el, double u[3])
{
    u[0] = sin(az) * cos(el);
    u[1] = cos(az) * cos(el);
    u[2] = sin(el);
}

/* Position and covariance of a range/az/el measurement (first-order propagation). */
void trk_rb_to_enu(const sg_measurement *m, double pos[3], double Ppos[9])
{
    double r = m->z[0], az = m->z[1], el = m->z[2];
    double u[3];
    unit_vec(az, el, u);
    double J[9] = {
        u[0], r * cos(az) * cos(el), -r * sin(az) * sin(el),
        u[1], -r * sin(az) * cos(el), -r * cos(az) * sin(el),
        u[2], 0, r * cos(el),
    };
    for (int i = 0; i < 3; i++)
        pos[i] = m->sensor_enu[i] + r * u[i];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            double s = 0;
            for (int a = 0; a < 3; a++)
                for (int b = 0; b < 3; b++)
                    s += J[i * 3 + a] * m->R[a * 3 + b] * J[j * 3 + b];
            Ppos[i * 3 + j] = s;
        }
    /* keep it PD when the measurement is degenerate in one direction */
    for (int i = 0; i < 3; i++)
        Ppos[i * 4] += 1e-6;
}

/* Lateral 1-sigma angle of a bearing (rad): the larger of the az (scaled) and el sd. */
static double bearing_sigma(const sg_measurement *m)
{
    double ce = cos(m->z[1]);
    return sqrt(fmax(m->R[0] * ce * ce, m->R[3]));
}

static int init_from_ray(tracker *q, const sg_measurement *m)
{
    double u[3], pos[3], P[9], vel[3], Pv[9];
    unit_vec(m->z[0], m->z[1], u);
    double r0 = q->cfg.bearing_nominal_range, sr = q->cfg.bearing_range_sd;
    double sl = r0 * bearing_sigma(m);
    for (int i = 0; i < 3; i++) {
        pos[i] = m->sensor_enu[i] + r0 * u[i];
        for (int j = 0; j < 3; j++)
            P[i * 3 + j] = sr * sr * u[i] * u[j] + sl * sl * ((i == j) - u[i] * u[j]);
    }
    trk_vel_prior(q, m, vel, Pv);
    return trk_new(q, m, m->t, pos, P, vel, Pv);
}

/* See tracker_int.h. */
void trk_feat_of(trk_feat *f, const sg_measurement *m)
{
    f->t = m->t;
    memcpy(f->cls, m->cls, sizeof f->cls);
    f->fc_hz = m->fc_hz;
    f->bw_hz = m->bw_hz;
    f->n_bursts = m->n_bursts < SG_MEAS_BURSTS ? m->n_bursts : SG_MEAS_BURSTS;
    memcpy(f->burst_t, m->burst_t, f->n_bursts * sizeof f->burst_t[0]);
    memcpy(f->burst_fc, m->burst_fc, f->n_bursts * sizeof f->burst_fc[0]);
}

bool trk_feat_match(const trk_feat *a, const trk_feat *b, double tol)
{
    if (a->cls[0] && b->cls[0] && strcmp(a->cls, b->cls) != 0)
        return false;
    double bw = fmax(a->bw_hz, b->bw_hz);
    if (a->n_bursts && b->n_bursts) {
        unsigned na = a->n_bursts < SG_MEAS_BURSTS ? a->n_bursts : SG_MEAS_BURSTS;
        unsigned nb = b->n_bursts < SG_MEAS_BURSTS ? b->n_bursts : SG_MEAS_BURSTS;
        double lo = INFINITY, hi = -INFINITY;
        for (unsigned i = 0; i < na; i++) {
            lo = fmin(lo, a->burst_t[i]);
            hi = fmax(hi, a->burst_t[i]);
        }
        unsigned comparable = 0, matched = 0;
        for (unsigned j = 0; j < nb; j++) {
            double t = b->burst_t[j];
            if (t < lo - tol || t > hi + tol)
                continue;
            comparable++;
            for (unsigned i = 0; i < na; i++)
                if (fabs(a->burst_t[i] - t) <= tol &&
                    (!(bw > 0) || fabs(a->burst_fc[i] - b->burst_fc[j]) <= 0.5 * bw)) {
                    matched++;
                    break;
                }
        }
        /* windows that do not overlap: timing cannot decide, and a hopper's mean
         * frequency differs between windows, so neither can the band */
        return !comparable || (matched >= 1 && 2 * matched >= comparable);
    }
    if (a->fc_hz > 0 && b->fc_hz > 0)
        return fabs(a->fc_hz - b->fc_hz) <= 0.5 * (a->bw_hz + b->bw_hz);
    return true;
}

/* See tracker.h. */
bool tracker_features_match(const sg_measurement *a, const sg_measurement *b, double tol)
{
    trk_feat fa, fb;
    trk_feat_of(&fa, a);
    trk_feat_of(&fb, b);
    return trk_feat_match(&fa, &fb, tol);
}

/* Intersects bearing b with the best pending partner from another sensor; on success
 * starts a track and returns its index, else -1 (b is then pended by the caller). */
static int try_pair(tracker *q, const sg_measurement *b)
{
    int best = -1;
    double best_q = INFINITY, bs = 0, bt = 0;
    double ub[3];
    unit_vec(b->z[0], b->z[1], ub);
    trk_feat fb; /* b's features, taken once for every pending partner */
    if (q->cfg.bearing_pair_features)
        trk_feat_of(&fb, b);
    for (size_t k = 0; k < q->n_pend; k++) {
        const sg_measurement *a = &q->pend[k];
        if (a->sensor == b->sensor || fabs(a->t - b->t) > q->cfg.bearing_pair_window_s)
            continue;
        if (a->identity[0] && b->identity[0] && strcmp(a->identity, b->identity) != 0)
            continue;
        if (q->cfg.bearing_pair_features) {
            trk_feat fa;
            trk_feat_of(&fa, a);
            if (!trk_feat_match(&fa, &fb, q->cfg.bearing_pair_time_tol_s)) {
                q->st.bearing_pair_mismatch++;
                continue;
            }
        }
        double ua[3], w0[3];
        unit_vec(a->z[0], a->z[1], ua);
        for (int i = 0; i < 3; i++)
            w0[i] = a->sensor_enu[i] - b->sensor_enu[i];
        double c = ua[0] * ub[0] + ua[1] * ub[1] + ua[2] * ub[2];
        double d = ua[0] * w0[0] + ua[1] * w0[1] + ua[2] * w0[2];
        double e = ub[0] * w0[0] + ub[1] * w0[1] + ub[2] * w0[2];
        double den = 1 - c * c;
        if (den < q->min_sin2)
            continue;
        double s = (c * e - d) / den, t = (e - c * d) / den; /* ranges along a and b */
        /* in front of both sensors and not beyond the useful range (nearly parallel rays
         * "meet" far away with a huge along-ray uncertainty and feed on clutter) */
        if (!(s > 0) || !(t > 0) || s > q->cfg.bearing_max_range ||
            t > q->cfg.bearing_max_range)
            continue;
        double miss2 = 0;
        for (int i = 0; i < 3; i++) {
            double di = (a->sensor_enu[i] + s * ua[i]) - (b->sensor_enu[i] + t * ub[i]);
            miss2 += di * di;
        }
        double la = s * bearing_sigma(a), lb = t * bearing_sigma(b);
        double nq = miss2 / (la * la + lb * lb + 1e-6);
        if (nq <= q->pair_gate && nq < best_q) {
            best_q = nq;
            best = (int)k;
            bs = s;
            bt = t;
        }
    }
    if (best < 0)
        return -1;
    sg_measurement a = q->pend[best];
    /* older first so the filter runs forward in time */
    const sg_measurement *m1 = a.t <= b->t ? &a : b, *m2 = a.t <= b->t ? b : &a;
    double ua[3], pos[3], P[9] = {0}, vel[3], Pv[9];
    unit_vec(a.z[0], a.z[1], ua);
    double sin_ang = sqrt(1 - pow(ua[0] * ub[0] + ua[1] * ub[1] + ua[2] * ub[2], 2));
    double la = bs * bearing_sigma(&a), lb = bt * bearing_sigma(b);
    for (int i = 0; i < 3; i++)
        pos[i] = 0.5 * ((a.sensor_enu[i] + bs * ua[i]) + (b->sensor_enu[i] + bt * ub[i]));
    /* a wide isotropic prior at the intersection; the two bearing updates then shape the
     * covariance by the actual geometry */
    double sd0 = 3 * fmax(la, lb) / sin_ang + 1;
    for (int i = 0; i < 3; i++)
        P[i * 4] = sd0 * sd0;
    trk_vel_prior(q, m1->has_vel ? m1 : m2, vel, Pv);
    int ti = trk_new(q, m1, m1->t, pos, P, vel, Pv);
    if (ti < 0)
        return -2;
    trk *tr = trk_at(q, ti);
    /* the prior is centred on the intersection, so re-applying m1 only shapes P */
    if (kf_update(&q->kp, &tr->kf, m1, NULL) == SG_OK)
        kf_pack(&trk_hist_at(q, tr, 0)->post, &tr->kf);
    kf_predict(&q->kp, &tr->kf, m2->t);
    if (kf_update(&q->kp, &tr->kf, m2, NULL) == SG_OK) {
        /* the pair is one detection for M-of-N: confirmation needs fresh hits */
        tr->pub->hits++;
        tr->pub->t_last = m2->t;
        trk_absorb_attrs(tr->pub, m2);
        trk_note_hit(tr, m2);
        trk_hist_push(q, tr, m2);
    }
    q->n_pend--;
    memmove(&q->pend[best], &q->pend[best + 1], (q->n_pend - (size_t)best) * sizeof q->pend[0]);
    q->st.bearing_paired++;
    return ti;
}

/* Starts a track (or pends a bearing) from an unassigned measurement. */
void trk_initiate(tracker *q, const sg_measurement *m)
{
    double pos[3], P[9], vel[3], Pv[9];
    int ti;
    switch (m->type) {
    case SG_MEAS_POS_ENU:
        memcpy(pos, m->z, sizeof pos);
        memcpy(P, m->R, sizeof P);
        trk_vel_prior(q, m, vel, Pv);
        ti = trk_new(q, m, m->t, pos, P, vel, Pv);
        break;
    case SG_MEAS_RANGE_BEARING:
        trk_rb_to_enu(m, pos, P);
        trk_vel_prior(q, m, vel, Pv);
        ti = trk_new(q, m, m->t, pos, P, vel, Pv);
        break;
    default: /* bearing */
        if (q->cfg.bearing_init == TRACKER_BEARING_INIT_RAY) {
            ti = init_from_ray(q, m);
        } else if (q->cfg.bearing_init == TRACKER_BEARING_INIT_PAIR) {
            ti = try_pair(q, m);
            if (ti == -1) {
                if (q->n_pend == PEND_CAP) {
                    q->n_pend--;
                    memmove(&q->pend[0], &q->pend[1], q->n_pend * sizeof q->pend[0]);
                    q->st.bearing_expired++;
                }
                q->pend[q->n_pend++] = *m;
                q->st.pended++;
                return;
            }
        } else {
            q->st.unused++;
            return;
        }
        break;
    }
    if (ti >= 0)
        q->st.initiated++;
    /* else counted in init_dropped_full by new_track */
}

/* An identified measurement failed its own track's gate: restart that track's state at
 * the measurement (same id, same identity) instead of letting it pull another track. */
void trk_reinit_identity(tracker *q, trk *tr, const sg_measurement *m)
{
    double pos[3], P[9], vel[3], Pv[9];
    if (m->type == SG_MEAS_POS_ENU) {
        memcpy(pos, m->z, sizeof pos);
        memcpy(P, m->R, sizeof P);
    } else {
        trk_rb_to_enu(m, pos, P);
    }
    trk_vel_prior(q, m, vel, Pv);
    kf_init(&q->kp, &tr->kf, m->t, pos, P, vel, Pv);
    tr->hist_n = tr->hist_head = 0;
    tr->pub->hits++;
    tr->pub->misses = 0;
    tr->miss_scans = 0;
    tr->pub->t_last = m->t;
    trk_absorb_attrs(tr->pub, m);
    tr->hit_group = q->group_seq;
    trk_note_hit(tr, m);
    trk_hist_push(q, tr, m);
    q->st.used++;
    q->st.identity_reinit++;
}
