/* Scan reports: a sensor says when it looked and what it covered, so tracks inside the
 * coverage that it did not detect take a miss and tracks outside do not (see tracker.h,
 * tracker_process_scans). */
#include <math.h>
#include <string.h>

#include "tracker_int.h"

bool trk_scanning(const tracker *q, int sensor)
{
    for (size_t i = 0; i < q->n_scan_sensors; i++)
        if (q->scan_sensors[i] == sensor)
            return true;
    return false;
}

int trk_scan_validate(tracker *q, const tracker_scan *s, double batch_t)
{
    bool ok = isfinite(s->t0) && isfinite(s->t1) && s->t0 <= s->t1 &&
              s->t1 <= batch_t + 1e-3 && (s->cover == TRACKER_COVER_ALL ||
                                          s->cover == TRACKER_COVER_SECTOR);
    if (ok && s->cover == TRACKER_COVER_SECTOR) {
        ok = isfinite(s->sensor_enu[0]) && isfinite(s->sensor_enu[1]) &&
             isfinite(s->sensor_enu[2]) && isfinite(s->az_center) &&
             fabs(s->az_center) <= 4 * M_PI && s->az_half >= 0 && s->az_half <= M_PI &&
             s->el_min >= -M_PI / 2 && s->el_max <= M_PI / 2 && s->el_min <= s->el_max &&
             s->range_max > 0 && isfinite(s->range_max);
    }
    if (!ok) {
        q->st.scan_rej_invalid++;
        return SG_EINVAL;
    }
    if (s->t1 < q->t_now - q->cfg.oosm_window_s) {
        q->st.scan_rej_too_old++;
        return SG_ERANGE;
    }
    return SG_OK;
}

static bool covered(const tracker_scan *s, const double p[3])
{
    if (s->cover == TRACKER_COVER_ALL)
        return true;
    double dx = p[0] - s->sensor_enu[0], dy = p[1] - s->sensor_enu[1];
    double dz = p[2] - s->sensor_enu[2], rho = hypot(dx, dy);
    if (rho * rho + dz * dz > s->range_max * s->range_max)
        return false;
    if (rho < 1e-6)
        return true; /* at the apex: no direction to test */
    double el = atan2(dz, rho);
    return fabs(kf_wrap_pi(atan2(dx, dy) - s->az_center)) <= s->az_half && el >= s->el_min &&
           el <= s->el_max;
}

/* 1: the scan's sensor updated the track within the scan or after it (a report that comes
 * after later measurements of its sensor, such as a DF scan closed behind the bearings of
 * windows still open), 0: it has updated the track, but before the scan, -1: never. */
static int hit_in(const trk *tr, const tracker_scan *s)
{
    for (int i = 0; i < tr->n_last; i++)
        if (tr->last_hit[i].sensor == s->sensor)
            return tr->last_hit[i].t >= s->t0 - TRK_SCAN_TOL_S;
    return -1;
}

int trk_scan_begin(tracker *q, const tracker_scan *s)
{
    if (!trk_scanning(q, s->sensor)) {
        if (trk_grow((void **)&q->scan_sensors, &q->cap_scan_sensors, q->n_scan_sensors + 1,
                     sizeof(int)))
            return SG_ENOMEM;
        q->scan_sensors[q->n_scan_sensors++] = s->sensor;
    }
    q->st.scans_used++;
    return SG_OK;
}

void trk_scan_track(tracker *q, trk *tr, const tracker_scan *s)
{
    /* born in this scan: the initiating hit is already its first opportunity */
    if (tr->pub->t_first >= s->t0 - TRK_SCAN_TOL_S)
        return;
    int h = hit_in(tr, s);
    if (h < 0 && s->detected_only)
        return; /* a target this sensor has never seen: not in its coverage */
    bool hit = h > 0;
    if (!hit) {
        kf_predict(&q->kp, &tr->kf, s->t1);
        double x[3] = {0, 0, 0}; /* combined position: sum_k mu_k x_k */
        for (int k = 0; k < tr->kf.nmodes; k++)
            for (int a = 0; a < 3; a++)
                x[a] += tr->kf.mu[k] * tr->kf.x[k][a];
        if (!covered(s, x))
            return;
        tr->pub->misses++;
        q->st.scan_misses++;
        /* the scan time this run of misses covers (the max_miss_s rule) */
        if (tr->miss_scans++ == 0) {
            tr->miss_t0 = s->t0;
            tr->miss_t1 = s->t1;
        } else {
            tr->miss_t0 = fmin(tr->miss_t0, s->t0);
            tr->miss_t1 = fmax(tr->miss_t1, s->t1);
        }
    }
    if (tr->tent && tr->opp < tr->n_req) {
        tr->opp++;
        tr->mhits += hit;
    }
}

int trk_apply_scan(tracker *q, const tracker_scan *s)
{
    int rc = trk_scan_begin(q, s);
    if (rc)
        return rc;
    for (size_t i = 0; i < q->n_trk; i++) {
        if (i + TRK_AHEAD < q->n_trk)
            trk_prefetch(q, i + TRK_AHEAD);
        trk_scan_track(q, trk_at(q, i), s);
    }
    return SG_OK;
}
