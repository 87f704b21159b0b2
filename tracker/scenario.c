/* Scenario generation and scored runs (see scenario.h; CSV I/O in scenario_csv.c).
 * Generation is fully determined by the config and its seed; truth is sampled at every
 * scan time. */
#include "scenario.h"
#include "scenario_int.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SCEN_T0 1.7e9 /* s UTC epoch of the first scan: realistic magnitudes for time */

double scen_urand(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return (double)((x * 0x2545F4914F6CDD1DULL) >> 11) * (1.0 / 9007199254740992.0) +
           (0.5 / 9007199254740992.0);
}

double scen_nrand(uint64_t *s)
{
    double u = scen_urand(s), v = scen_urand(s);
    return sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}

static int poisson(uint64_t *s, double lam)
{
    if (lam <= 0)
        return 0;
    if (lam > 50) {
        double v = lam + sqrt(lam) * scen_nrand(s);
        return v < 0 ? 0 : (int)lround(v);
    }
    double l = exp(-lam), p = 1;
    int k = 0;
    do {
        k++;
        p *= scen_urand(s);
    } while (p > l);
    return k - 1;
}

void scen_cfg_default(scen_cfg *c)
{
    memset(c, 0, sizeof *c);
    c->kind = SCEN_RANDOM;
    c->sensor = SCEN_SENSOR_POS;
    c->n_targets = 10;
    c->duration_s = 20;
    c->rate_hz = 10;
    c->pd = 0.9;
    c->clutter_per_scan = 10;
    c->region_m = 2000;
    c->alt_min = 30;
    c->alt_max = 300;
    c->speed_min = 5;
    c->speed_max = 20;
    c->cross_angle_deg = 30;
    c->turn_accel = 6;
    c->pos_sd = 5;
    c->range_sd = 5;
    c->ang_sd = 0.003;
    c->spacing_m = 15;
    c->split_sd = 1;
    c->seed = 1;
}

void scen_free(scenario *s)
{
    free(s->truth);
    free(s->meas);
    free(s->clutter);
    free(s->scans);
    memset(s, 0, sizeof *s);
}

int scen_push_truth(scenario *s, double t, int id, const double p[3])
{
    if (s->n_truth == s->cap_truth) {
        size_t n = s->cap_truth ? 2 * s->cap_truth : 256;
        scen_truth *q = realloc(s->truth, n * sizeof *q);
        if (!q)
            return SG_ENOMEM;
        s->truth = q;
        s->cap_truth = n;
    }
    s->truth[s->n_truth++] = (scen_truth){t, id, {p[0], p[1], p[2]}};
    if (id > s->max_id)
        s->max_id = id;
    return SG_OK;
}

int scen_push_scan(scenario *s, const tracker_scan *sc)
{
    if (s->n_scans == s->cap_scans) {
        size_t n = s->cap_scans ? 2 * s->cap_scans : 256;
        tracker_scan *q = realloc(s->scans, n * sizeof *q);
        if (!q)
            return SG_ENOMEM;
        s->scans = q;
        s->cap_scans = n;
    }
    s->scans[s->n_scans++] = *sc;
    return SG_OK;
}

int scen_push_meas(scenario *s, const sg_measurement *m, bool clutter)
{
    if (s->n_meas == s->cap_meas) {
        size_t n = s->cap_meas ? 2 * s->cap_meas : 256;
        sg_measurement *q = realloc(s->meas, n * sizeof *q);
        if (!q)
            return SG_ENOMEM;
        s->meas = q;
        bool *c = realloc(s->clutter, n * sizeof *c);
        if (!c)
            return SG_ENOMEM;
        s->clutter = c;
        s->cap_meas = n;
    }
    s->clutter[s->n_meas] = clutter;
    s->meas[s->n_meas++] = *m;
    s->n_clutter += clutter;
    return SG_OK;
}

/* Sensor positions for each sensor layout (m). */
static int sensor_layout(const scen_cfg *c, double sp[2][3])
{
    double r = c->region_m;
    switch (c->sensor) {
    case SCEN_SENSOR_BEARING2:
        sp[0][0] = -0.6 * r, sp[0][1] = -1.2 * r, sp[0][2] = 10;
        sp[1][0] = 0.6 * r, sp[1][1] = -1.2 * r, sp[1][2] = 10;
        return 2;
    case SCEN_SENSOR_RANGE_BEARING:
        sp[0][0] = 0, sp[0][1] = -1.2 * r, sp[0][2] = 10;
        return 1;
    default:
        sp[0][0] = sp[0][1] = sp[0][2] = 0;
        return 1;
    }
}

/* Measurement of point p by sensor k (noise added when noisy). */
static void observe(const scen_cfg *c, uint64_t *rng, int k, const double sp[3],
                    const double p[3], double t, sg_measurement *m)
{
    memset(m, 0, sizeof *m);
    m->t = t;
    m->sensor = k;
    memcpy(m->sensor_enu, sp, 3 * sizeof(double));
    double dx = p[0] - sp[0], dy = p[1] - sp[1], dz = p[2] - sp[2];
    switch (c->sensor) {
    case SCEN_SENSOR_POS:
        m->type = SG_MEAS_POS_ENU;
        memset(m->sensor_enu, 0, sizeof m->sensor_enu);
        for (int i = 0; i < 3; i++) {
            m->z[i] = p[i] + c->pos_sd * scen_nrand(rng);
            m->R[i * 4] = c->pos_sd * c->pos_sd;
        }
        break;
    case SCEN_SENSOR_RANGE_BEARING:
        m->type = SG_MEAS_RANGE_BEARING;
        m->z[0] = sqrt(dx * dx + dy * dy + dz * dz) + c->range_sd * scen_nrand(rng);
        if (m->z[0] < 1)
            m->z[0] = 1;
        m->z[1] = atan2(dx, dy) + c->ang_sd * scen_nrand(rng);
        m->z[2] = atan2(dz, hypot(dx, dy)) + c->ang_sd * scen_nrand(rng);
        m->R[0] = c->range_sd * c->range_sd;
        m->R[4] = m->R[8] = c->ang_sd * c->ang_sd;
        break;
    case SCEN_SENSOR_BEARING2:
        m->type = SG_MEAS_BEARING;
        m->z[0] = atan2(dx, dy) + c->ang_sd * scen_nrand(rng);
        m->z[1] = atan2(dz, hypot(dx, dy)) + c->ang_sd * scen_nrand(rng);
        m->R[0] = m->R[3] = c->ang_sd * c->ang_sd;
        break;
    }
    if (m->type != SG_MEAS_POS_ENU && fabs(m->z[m->type == SG_MEAS_BEARING ? 1 : 2]) > M_PI / 2)
        m->z[m->type == SG_MEAS_BEARING ? 1 : 2] = copysign(M_PI / 2, m->z[1]);
}

/* Whether target i exists at tr s after the start (formation arrivals, leaving). */
static bool present(const scen_cfg *c, int i, double tr)
{
    double birth = c->kind == SCEN_FORMATION ? i * c->join_s : 0;
    return tr >= birth - 1e-9 && (c->leave_s <= 0 || tr < c->leave_s - 1e-9);
}

int scen_generate(const scen_cfg *c, scenario *s, sg_errinfo *e)
{
    const struct {
        bool bad;
        const char *what;
    } checks[] = {
        {c->n_targets < 1 || c->n_targets > 1000000, "targets must be in [1, 1e6]"},
        {!(c->duration_s > 0) || !(c->rate_hz > 0) || c->duration_s * c->rate_hz > 1e6,
         "duration and rate must be > 0 with at most 1e6 scans"},
        {!(c->pd >= 0 && c->pd <= 1), "pd must be in [0, 1]"},
        {!(c->clutter_per_scan >= 0 && c->clutter_per_scan <= 1e5), "clutter must be in [0, 1e5]"},
        {!(c->region_m > 0) || !isfinite(c->region_m), "region must be > 0"},
        {!(c->alt_max >= c->alt_min), "alt_max must be >= alt_min"},
        {!(c->speed_min >= 0) || !(c->speed_max >= c->speed_min), "speeds must be 0 <= min <= max"},
        {!(c->pos_sd > 0) || !(c->range_sd > 0) || !(c->ang_sd > 0), "noise sds must be > 0"},
        {!isfinite(c->cross_angle_deg) || !isfinite(c->turn_accel), "angles must be finite"},
        {!c->seed, "seed must be non-zero"},
        {!(c->spacing_m > 0) || !isfinite(c->spacing_m) || !(c->join_s >= 0) ||
             !isfinite(c->join_s) || !isfinite(c->leave_s),
         "spacing must be > 0, join >= 0, leave finite"},
        {!(c->split_prob >= 0 && c->split_prob <= 1) || !(c->split_sd >= 0) ||
             !isfinite(c->split_sd),
         "split probability must be in [0, 1], split sd >= 0"},
    };
    for (size_t k = 0; k < sizeof checks / sizeof checks[0]; k++)
        if (checks[k].bad)
            return sg_err_set(e, SG_EINVAL, "scenario: %s", checks[k].what);
    uint64_t rng = c->seed;
    int n = c->n_targets;
    double (*pos)[3] = malloc((size_t)n * sizeof *pos), (*vel)[3] = malloc((size_t)n * sizeof *vel);
    if (!pos || !vel) {
        free(pos);
        free(vel);
        return sg_err_set(e, SG_ENOMEM, "scenario: out of memory");
    }
    double r = c->region_m, vmid = 0.5 * (c->speed_min + c->speed_max);
    double amid = 0.5 * (c->alt_min + c->alt_max), dur = c->duration_s;
    for (int i = 0; i < n; i++) {
        double hd, sp;
        switch (c->kind) {
        case SCEN_CROSSING:
            /* all targets pass the centre at mid-time */
            hd = i * c->cross_angle_deg * M_PI / 180;
            vel[i][0] = vmid * sin(hd);
            vel[i][1] = vmid * cos(hd);
            vel[i][2] = 0;
            for (int k = 0; k < 3; k++)
                pos[i][k] = (k == 2 ? amid : 0) - vel[i][k] * dur / 2;
            break;
        case SCEN_FORMATION:
            /* side by side, flying north; target i arrives at i * join_s */
            pos[i][0] = -0.5 * r + c->spacing_m * i;
            pos[i][1] = -0.5 * r;
            pos[i][2] = amid;
            vel[i][0] = vel[i][2] = 0;
            vel[i][1] = vmid;
            break;
        case SCEN_MANOEUVRE:
            pos[i][0] = -0.5 * r + 150.0 * i;
            pos[i][1] = -0.5 * r;
            pos[i][2] = amid;
            vel[i][0] = 0;
            vel[i][1] = vmid;
            vel[i][2] = 0;
            break;
        default:
            pos[i][0] = (2 * scen_urand(&rng) - 1) * r;
            pos[i][1] = (2 * scen_urand(&rng) - 1) * r;
            pos[i][2] = c->alt_min + (c->alt_max - c->alt_min) * scen_urand(&rng);
            hd = 2 * M_PI * scen_urand(&rng);
            sp = c->speed_min + (c->speed_max - c->speed_min) * scen_urand(&rng);
            vel[i][0] = sp * sin(hd);
            vel[i][1] = sp * cos(hd);
            vel[i][2] = 0;
            break;
        }
    }
    double sp[2][3];
    int ns = sensor_layout(c, sp);
    long nscan = lround(floor(dur * c->rate_hz)) + 1;
    double dt = 1 / c->rate_hz;
    int rc = SG_OK;
    for (long k = 0; k < nscan && rc == SG_OK; k++) {
        double t = SCEN_T0 + (double)k * dt, tr = (double)k * dt;
        if (k > 0) {
            /* advance in 10 sub-steps (turns are integrated, straight legs exact) */
            for (int sub = 0; sub < 10; sub++) {
                double h = dt / 10, ts = tr - dt + (sub + 0.5) * h;
                for (int i = 0; i < n; i++) {
                    if (c->kind == SCEN_MANOEUVRE) {
                        double ph = fmod(ts, 20.0), spd = hypot(vel[i][0], vel[i][1]);
                        double w = (ph >= 5 && ph < 9) ? c->turn_accel / spd
                                   : (ph >= 14 && ph < 18) ? -c->turn_accel / spd : 0;
                        double ca = cos(w * h), sa = sin(w * h);
                        double vx = vel[i][0] * ca - vel[i][1] * sa;
                        double vy = vel[i][0] * sa + vel[i][1] * ca;
                        pos[i][0] += 0.5 * (vel[i][0] + vx) * h;
                        pos[i][1] += 0.5 * (vel[i][1] + vy) * h;
                        vel[i][0] = vx;
                        vel[i][1] = vy;
                        double vz = 2 * sin(2 * M_PI * ts / 30);
                        pos[i][2] += vz * h;
                    } else {
                        for (int a = 0; a < 3; a++)
                            pos[i][a] += vel[i][a] * h;
                    }
                }
            }
        }
        int alive = 0;
        for (int i = 0; i < n && rc == SG_OK; i++)
            if (present(c, i, tr)) {
                rc = scen_push_truth(s, t, i, pos[i]);
                alive++;
            }
        if (!alive && rc == SG_OK)
            rc = scen_push_truth(s, t, -1, pos[0]); /* a scored scan of empty sky */
        for (int sn = 0; sn < ns && rc == SG_OK; sn++) {
            sg_measurement m;
            for (int i = 0; i < n && rc == SG_OK; i++) {
                if (!present(c, i, tr) || scen_urand(&rng) >= c->pd)
                    continue;
                observe(c, &rng, sn, sp[sn], pos[i], t, &m);
                rc = scen_push_meas(s, &m, false);
                if (rc == SG_OK && c->split_prob > 0 && scen_urand(&rng) < c->split_prob) {
                    /* a second return of the same look: the first one offset by split_sd
                     * (m; angles by split_sd / range) */
                    double rng_m = 0;
                    for (int a = 0; a < 3; a++)
                        rng_m += (pos[i][a] - sp[sn][a]) * (pos[i][a] - sp[sn][a]);
                    double ang = c->split_sd / fmax(sqrt(rng_m), 1);
                    int d = sg_meas_dim(m.type);
                    for (int a = 0; a < d; a++) {
                        bool is_ang = m.type == SG_MEAS_BEARING ||
                                      (m.type == SG_MEAS_RANGE_BEARING && a > 0);
                        m.z[a] += (is_ang ? ang : c->split_sd) * scen_nrand(&rng);
                    }
                    rc = scen_push_meas(s, &m, false);
                }
            }
            if (c->scan_reports && rc == SG_OK) {
                tracker_scan sc = {.sensor = sn, .t0 = t, .t1 = t};
                if (c->sensor != SCEN_SENSOR_POS) {
                    sc.cover = TRACKER_COVER_SECTOR;
                    memcpy(sc.sensor_enu, sp[sn], sizeof sc.sensor_enu);
                    sc.az_center = atan2(-sp[sn][0], -sp[sn][1]);
                    sc.az_half = M_PI / 2;
                    sc.el_min = -M_PI / 2;
                    sc.el_max = M_PI / 2;
                    sc.range_max = 4 * r;
                }
                rc = scen_push_scan(s, &sc);
            }
            int nc = poisson(&rng, c->clutter_per_scan);
            for (int j = 0; j < nc && rc == SG_OK; j++) {
                double p[3] = {(2 * scen_urand(&rng) - 1) * r, (2 * scen_urand(&rng) - 1) * r,
                               c->alt_min + (c->alt_max - c->alt_min) * scen_urand(&rng)};
                observe(c, &rng, sn, sp[sn], p, t, &m);
                rc = scen_push_meas(s, &m, true);
            }
        }
    }
    free(pos);
    free(vel);
    if (rc)
        return sg_err_set(e, rc, "scenario: out of memory");
    return SG_OK;
}

/* ---- scored run ---------------------------------------------------------------------- */

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int scen_run(tracker *q, const scenario *s, double c, double p, scen_scan_fn fn, void *ctx,
             scen_result *r, sg_errinfo *e)
{
    memset(r, 0, sizeof *r);
    for (size_t i = 1; i < s->n_truth; i++)
        if (s->truth[i].t < s->truth[i - 1].t)
            return sg_err_set(e, SG_EFORMAT, "scenario: truth rows must be in time order");
    assign_ws *w = assign_ws_create();
    size_t cap = 1024;
    double (*est)[3] = malloc(cap * sizeof *est), (*tru)[3] = NULL;
    uint32_t *est_id = malloc(cap * sizeof *est_id);
    int *t2e = NULL;
    uint32_t *last = calloc((size_t)s->max_id + 1, sizeof *last);
    int *tids = malloc(((size_t)s->max_id + 2) * sizeof *tids);
    double *birth = malloc(((size_t)s->max_id + 1) * sizeof *birth);
    double *conf = malloc(((size_t)s->max_id + 1) * sizeof *conf);
    unsigned char *seen = NULL; /* per track id: 1 confirmed, 2 matched to a truth */
    size_t *at = NULL;          /* per track id: 1 + its index in est in scan at_scan */
    size_t *at_scan = NULL;
    size_t cap_seen = 0;
    int rc = SG_OK;
    if (!w || !est || !est_id || !last || !tids || !birth || !conf)
        rc = SG_ENOMEM;
    for (int k = 0; rc == SG_OK && k <= s->max_id; k++)
        birth[k] = conf[k] = NAN;
    size_t mi = 0, ti = 0, si = 0;
    double sum_o = 0, sum_g = 0;
    while (rc == SG_OK && ti < s->n_truth) {
        double t = s->truth[ti].t;
        size_t tj = ti;
        while (tj < s->n_truth && s->truth[tj].t == t)
            tj++;
        size_t mj = mi;
        while (mj < s->n_meas && s->meas[mj].t <= t)
            mj++;
        size_t sj = si;
        while (sj < s->n_scans && s->scans[sj].t1 <= t)
            sj++;
        double c0 = cpu_now();
        int prc = tracker_process_scans(q, t, s->meas + mi, mj - mi, s->scans + si, sj - si);
        si = sj;
        double dt = cpu_now() - c0;
        r->process_s += dt;
        if (dt > r->max_scan_s)
            r->max_scan_s = dt;
        if (prc == SG_ENOMEM) {
            rc = prc;
            break;
        }
        mi = mj;
        const sg_track *tr;
        size_t nt, ne = 0;
        tracker_tracks(q, &tr, &nt);
        if (nt > cap) {
            cap = 2 * nt;
            double (*e2)[3] = realloc(est, cap * sizeof *est);
            if (e2)
                est = e2;
            uint32_t *i2 = realloc(est_id, cap * sizeof *est_id);
            if (i2)
                est_id = i2;
            if (!e2 || !i2) {
                rc = SG_ENOMEM;
                break;
            }
        }
        for (size_t k = 0; k < nt; k++) {
            if (tr[k].status != SG_TRACK_CONFIRMED && tr[k].status != SG_TRACK_COASTING)
                continue;
            memcpy(est[ne], tr[k].x, sizeof est[ne]);
            est_id[ne++] = tr[k].id;
            if (tr[k].id >= cap_seen) {
                size_t nc = 2 * (size_t)tr[k].id + 64;
                unsigned char *s2 = realloc(seen, nc);
                if (s2)
                    seen = s2;
                size_t *a2 = realloc(at, nc * sizeof *at), *a3 = realloc(at_scan, nc * sizeof *at_scan);
                if (a2)
                    at = a2;
                if (a3)
                    at_scan = a3;
                if (!s2 || !a2 || !a3) {
                    rc = SG_ENOMEM;
                    break;
                }
                memset(s2 + cap_seen, 0, nc - cap_seen);
                memset(at + cap_seen, 0, (nc - cap_seen) * sizeof *at);
                memset(at_scan + cap_seen, 0, (nc - cap_seen) * sizeof *at_scan);
                cap_seen = nc;
            }
            if (!seen[tr[k].id]) {
                seen[tr[k].id] = 1;
                r->confirmed_ids++;
            }
            at[tr[k].id] = ne; /* ne was already incremented: 1 + index */
            at_scan[tr[k].id] = r->scans + 1;
        }
        if (rc)
            break;
        size_t m = 0;
        double (*t2)[3] = realloc(tru, (tj - ti + 1) * sizeof *tru);
        int *a2 = t2 ? realloc(t2e, (tj - ti + 1) * sizeof *t2e) : NULL;
        if (t2)
            tru = t2;
        if (a2)
            t2e = a2;
        if (!t2 || !a2) {
            rc = SG_ENOMEM;
            break;
        }
        for (size_t k = ti; k < tj; k++) {
            int id = s->truth[k].id;
            if (id < 0 || m > (size_t)s->max_id)
                continue; /* an empty-scan marker (or a repeated id) */
            memcpy(tru[m], s->truth[k].p, sizeof tru[m]);
            tids[m++] = id;
            if (isnan(birth[id]))
                birth[id] = t;
        }
        ospa_result sc;
        rc = ospa_compute(w, (const double (*)[3])tru, m, (const double (*)[3])est, ne, c, p, &sc,
                          t2e);
        if (rc)
            break;
        for (size_t k = 0; k < m; k++) {
            int tid = tids[k];
            if (t2e[k] >= 0 && isnan(conf[tid]))
                conf[tid] = t;
            /* CLEAR-MOT rule: a truth keeps its previous track while that track is still
             * within c, so two targets passing through one point are not counted as a
             * swap just because the optimal pairing is ambiguous at that instant */
            bool kept = false;
            uint32_t lt = last[tid];
            if (lt && lt < cap_seen && at_scan[lt] == r->scans + 1) {
                size_t j = at[lt] - 1;
                double d2 = 0;
                for (int a = 0; a < 3; a++)
                    d2 += (est[j][a] - tru[k][a]) * (est[j][a] - tru[k][a]);
                kept = d2 < c * c;
            }
            if (kept || t2e[k] < 0)
                continue;
            uint32_t id = est_id[t2e[k]];
            if (last[tid] && last[tid] != id)
                r->id_switches++;
            last[tid] = id;
            seen[id] = 2;
        }
        sum_o += sc.ospa;
        sum_g += sc.gospa;
        if (sc.ospa > r->max_ospa)
            r->max_ospa = sc.ospa;
        r->scans++;
        if (fn)
            fn(ctx, t, tr, nt, &sc);
        ti = tj;
    }
    if (rc == SG_OK && r->scans) {
        r->mean_ospa = sum_o / (double)r->scans;
        r->mean_gospa = sum_g / (double)r->scans;
        for (size_t k = 0; k < cap_seen; k++)
            r->false_confirmed += seen[k] == 1;
        size_t nd = 0;
        double sd = 0;
        for (int k = 0; k <= s->max_id; k++) {
            if (isnan(birth[k]))
                continue;
            if (isnan(conf[k])) {
                r->never_confirmed++;
                continue;
            }
            double d = conf[k] - birth[k];
            sd += d;
            nd++;
            if (d > r->confirm_delay_max_s)
                r->confirm_delay_max_s = d;
        }
        r->confirm_delay_mean_s = nd ? sd / (double)nd : 0;
    }
    assign_ws_destroy(w);
    free(est);
    free(est_id);
    free(tru);
    free(t2e);
    free(last);
    free(tids);
    free(birth);
    free(conf);
    free(seen);
    free(at);
    free(at_scan);
    if (rc)
        return sg_err_set(e, rc, "scenario run: %s", sg_strerror(rc));
    return SG_OK;
}
