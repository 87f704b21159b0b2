/* Multi-target tracker (see tracker.h for the design). Tracks live in one array (swap-
 * removed on deletion); every scratch buffer grows on demand and is reused, so a steady
 * scene runs without allocation. Measurement batches are split into (time, sensor, type)
 * groups and processed in time order; late groups go through the out-of-sequence path. */
#include "tracker.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "assign.h"
#include "sg_json.h"

#define TRK_HIST 6    /* per-track updates kept for out-of-sequence re-filtering */
#define PEND_CAP 256  /* bearings waiting for a partner */

typedef struct {
    sg_measurement m;
    kf_state post;    /* filter state right after m was applied */
} hist_entry;

typedef struct {
    sg_track pub;
    kf_state kf;
    hist_entry hist[TRK_HIST]; /* ring, oldest at hist_head */
    int hist_n, hist_head;
    uint32_t opp, mhits;       /* M-of-N: batches seen / hits among them */
    bool full_obs;             /* has had a position or range-bearing hit */
    uint8_t post_sensors;      /* bit per pub.sensors slot: bearing hits after birth */
    uint64_t born_group, hit_group;
} trk;

/* A valid measurement of the current call with its sort key. */
typedef struct {
    const sg_measurement *m;
    size_t i;
} mref;

typedef struct {
    double key;
    int j;
} gkey;

struct tracker {
    tracker_cfg cfg;
    kf_params kp;
    double gate[4];       /* chi-square gate by measurement dimension */
    double pair_gate;     /* 1-dof gate for bearing ray miss distance */
    double min_sin2;      /* sin^2 of the smallest pairing angle */
    trk *trk;
    size_t n_trk, cap_trk;
    sg_track *out;
    size_t n_out, cap_out;
    sg_track *dead;
    size_t n_dead, cap_dead;
    sg_measurement pend[PEND_CAP];
    size_t n_pend;
    uint32_t next_id;
    double t_now;         /* newest batch time, -inf before the first */
    uint64_t group_seq;
    tracker_counts st;
    assign_ws *ws;
    /* scratch */
    mref *refs;
    size_t cap_refs;
    const sg_measurement **gm;
    size_t cap_gm;
    kf_pred *pred;
    unsigned char *pred_ok;
    kf_state *retro;
    size_t cap_pred, cap_retro;
    gkey *keys;
    unsigned char *mflag;
    int *c2r, *held;
    size_t cap_group;
    int *r2c;
    size_t cap_r2c;
    assign_edge *edges;
    size_t cap_edges;
};

enum { MF_OPEN = 0, MF_GATED = 1, MF_DONE = 2 };

/* ---- configuration --------------------------------------------------------------- */

typedef struct {
    const char *key;
    size_t off;
    bool is_int;
    double def, min, max;
} num_key;

static const num_key NUM_KEYS[] = {
    {"q_accel", offsetof(tracker_cfg, q_accel), false, 1.0, 0.001, 100},
    {"q_jerk", offsetof(tracker_cfg, q_jerk), false, 5.0, 0.001, 1000},
    {"imm_sojourn_s", offsetof(tracker_cfg, imm_sojourn_s), false, 5.0, 0.1, 1000},
    {"gate_prob", offsetof(tracker_cfg, gate_prob), false, 0.999, 0.5, 0.999999},
    {"confirm_m", offsetof(tracker_cfg, confirm_m), true, 3, 1, 32},
    {"confirm_n", offsetof(tracker_cfg, confirm_n), true, 5, 1, 32},
    {"max_misses", offsetof(tracker_cfg, max_misses), true, 10, 1, 10000},
    {"max_coast_s", offsetof(tracker_cfg, max_coast_s), false, 5.0, 0.01, 3600},
    {"coast_after_s", offsetof(tracker_cfg, coast_after_s), false, 2.0, 0, 3600},
    {"max_pos_sd", offsetof(tracker_cfg, max_pos_sd), false, 1000, 1, 1e6},
    {"oosm_window_s", offsetof(tracker_cfg, oosm_window_s), false, 2.0, 0, 60},
    {"init_vel_sd", offsetof(tracker_cfg, init_vel_sd), false, 20, 0.1, 1000},
    {"init_acc_sd", offsetof(tracker_cfg, init_acc_sd), false, 5, 0, 100},
    {"reported_vel_sd", offsetof(tracker_cfg, reported_vel_sd), false, 2, 0.01, 100},
    {"bearing_pair_window_s", offsetof(tracker_cfg, bearing_pair_window_s), false, 0.5, 0, 10},
    {"bearing_min_angle_deg", offsetof(tracker_cfg, bearing_min_angle_deg), false, 2, 0.1, 90},
    {"bearing_nominal_range", offsetof(tracker_cfg, bearing_nominal_range), false, 300, 1, 1e5},
    {"bearing_range_sd", offsetof(tracker_cfg, bearing_range_sd), false, 150, 1, 1e5},
    {"bearing_max_range", offsetof(tracker_cfg, bearing_max_range), false, 3000, 10, 1e5},
    {"max_tracks", offsetof(tracker_cfg, max_tracks), true, 4096, 1, 1000000},
};
#define N_NUM_KEYS (sizeof NUM_KEYS / sizeof NUM_KEYS[0])

static const char *const MODEL_NAMES[] = {"ncv", "ca", "imm"};
static const char *const BINIT_NAMES[] = {"pair", "ray", "off"};

static double *num_ptr(tracker_cfg *c, const num_key *k)
{
    return (double *)((char *)c + k->off);
}
static int *int_ptr(tracker_cfg *c, const num_key *k)
{
    return (int *)((char *)c + k->off);
}

void tracker_cfg_default(tracker_cfg *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    for (size_t i = 0; i < N_NUM_KEYS; i++) {
        if (NUM_KEYS[i].is_int)
            *int_ptr(cfg, &NUM_KEYS[i]) = (int)NUM_KEYS[i].def;
        else
            *num_ptr(cfg, &NUM_KEYS[i]) = NUM_KEYS[i].def;
    }
    cfg->model = KF_MODEL_NCV;
    cfg->bearing_init = TRACKER_BEARING_INIT_PAIR;
    cfg->identity_confirms = true;
}

static int cfg_check(const tracker_cfg *cfg, const char *where, sg_errinfo *e)
{
    tracker_cfg *c = (tracker_cfg *)cfg; /* read only through the helpers */
    for (size_t i = 0; i < N_NUM_KEYS; i++) {
        const num_key *k = &NUM_KEYS[i];
        double v = k->is_int ? (double)*int_ptr(c, k) : *num_ptr(c, k);
        if (!isfinite(v) || v < k->min || v > k->max)
            return sg_err_set(e, SG_ERANGE, "%s.%s: must be in [%g, %g], got %g", where, k->key,
                              k->min, k->max, v);
    }
    if (cfg->confirm_m > cfg->confirm_n)
        return sg_err_set(e, SG_ERANGE, "%s.confirm_m: must be <= confirm_n (%d), got %d",
                          where, cfg->confirm_n, cfg->confirm_m);
    if ((int)cfg->model < 0 || cfg->model > KF_MODEL_IMM)
        return sg_err_set(e, SG_EINVAL, "%s.model: must be one of: ncv, ca, imm", where);
    if ((int)cfg->bearing_init < 0 || cfg->bearing_init > TRACKER_BEARING_INIT_OFF)
        return sg_err_set(e, SG_EINVAL, "%s.bearing_init: must be one of: pair, ray, off",
                          where);
    return SG_OK;
}

int tracker_cfg_from_json(tracker_cfg *cfg, const cJSON *obj, const char *where,
                          sg_errinfo *e)
{
    if (!cfg)
        return sg_err_set(e, SG_EINVAL, "tracker_cfg_from_json: cfg is NULL");
    if (!where)
        where = "tracker";
    tracker_cfg c;
    tracker_cfg_default(&c);
    if (obj) {
        if (!cJSON_IsObject(obj))
            return sg_err_set(e, SG_EINVAL, "%s: must be an object", where);
        const char *allowed[N_NUM_KEYS + 4];
        size_t na = 0;
        for (size_t i = 0; i < N_NUM_KEYS; i++)
            allowed[na++] = NUM_KEYS[i].key;
        allowed[na++] = "model";
        allowed[na++] = "bearing_init";
        allowed[na++] = "identity_confirms";
        allowed[na] = NULL;
        int rc = sgj_check_keys(obj, where, allowed, e);
        if (rc)
            return rc;
        for (size_t i = 0; i < N_NUM_KEYS; i++) {
            const num_key *k = &NUM_KEYS[i];
            if (k->is_int) {
                long v;
                rc = sgj_int(obj, where, k->key, false, (long)k->def, (long)k->min,
                             (long)k->max, &v, e);
                if (rc)
                    return rc;
                *int_ptr(&c, k) = (int)v;
            } else {
                rc = sgj_number(obj, where, k->key, false, k->def, k->min, k->max,
                                num_ptr(&c, k), e);
                if (rc)
                    return rc;
            }
        }
        int v;
        rc = sgj_enum(obj, where, "model", false, KF_MODEL_NCV, MODEL_NAMES, 3, &v, e);
        if (rc)
            return rc;
        c.model = (kf_model)v;
        rc = sgj_enum(obj, where, "bearing_init", false, TRACKER_BEARING_INIT_PAIR, BINIT_NAMES,
                      3, &v, e);
        if (rc)
            return rc;
        c.bearing_init = (tracker_bearing_init)v;
        rc = sgj_bool(obj, where, "identity_confirms", false, true, &c.identity_confirms, e);
        if (rc)
            return rc;
    }
    int rc = cfg_check(&c, where, e);
    if (rc)
        return rc;
    *cfg = c;
    return SG_OK;
}

/* ---- lifecycle -------------------------------------------------------------------- */

tracker *tracker_create(const tracker_cfg *cfg, sg_errinfo *e)
{
    tracker_cfg def;
    if (!cfg) {
        tracker_cfg_default(&def);
        cfg = &def;
    }
    if (cfg_check(cfg, "tracker", e))
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
    q->kp.init_acc_sd = cfg->init_acc_sd;
    q->kp.vel_sd = cfg->reported_vel_sd;
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
    free(q->trk);
    free(q->out);
    free(q->dead);
    free(q->refs);
    free(q->gm);
    free(q->pred);
    free(q->pred_ok);
    free(q->retro);
    free(q->keys);
    free(q->mflag);
    free(q->c2r);
    free(q->held);
    free(q->r2c);
    free(q->edges);
    free(q);
}

/* Grows *p (elements of sz bytes) to hold at least need; doubles to amortise. */
static int grow(void **p, size_t *cap, size_t need, size_t sz)
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
    if (grow((void **)&q->pred, &c1, n, sizeof(kf_pred)) ||
        grow((void **)&q->pred_ok, &c2, n, 1) || grow((void **)&q->r2c, &c3, n, sizeof(int)))
        return SG_ENOMEM;
    q->cap_pred = c1 < c2 ? c1 : c2;
    q->cap_r2c = c3;
    return SG_OK;
}

static int reserve_group_scratch(tracker *q, size_t n)
{
    size_t c1 = q->cap_group, c2 = q->cap_group, c3 = q->cap_group, c4 = q->cap_group;
    if (grow((void **)&q->keys, &c1, n, sizeof(gkey)) || grow((void **)&q->mflag, &c2, n, 1) ||
        grow((void **)&q->c2r, &c3, n, sizeof(int)) || grow((void **)&q->held, &c4, n, sizeof(int)))
        return SG_ENOMEM;
    size_t m = c1;
    if (c2 < m)
        m = c2;
    if (c3 < m)
        m = c3;
    if (c4 < m)
        m = c4;
    q->cap_group = m;
    return SG_OK;
}

/* ---- track helpers --------------------------------------------------------------- */

static void add_sensor(sg_track *t, int s)
{
    for (int i = 0; i < t->n_sensors; i++)
        if (t->sensors[i] == s)
            return;
    if (t->n_sensors < SG_MAX_TRACK_SENSORS)
        t->sensors[t->n_sensors++] = s;
}

static bool has_sensor(const sg_track *t, int s)
{
    for (int i = 0; i < t->n_sensors; i++)
        if (t->sensors[i] == s)
            return true;
    return false;
}

/* Copies the per-measurement attributes (class, identity, operator, Remote ID details)
 * into the track. */
static void absorb_attrs(sg_track *t, const sg_measurement *m)
{
    add_sensor(t, m->sensor);
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
}

static hist_entry *hist_at(trk *t, int k)
{
    return &t->hist[(t->hist_head + k) % TRK_HIST];
}

static void hist_push(trk *t, const sg_measurement *m)
{
    hist_entry *h;
    if (t->hist_n < TRK_HIST) {
        h = hist_at(t, t->hist_n);
        t->hist_n++;
    } else {
        h = &t->hist[t->hist_head];
        t->hist_head = (t->hist_head + 1) % TRK_HIST;
    }
    h->m = *m;
    h->post = t->kf;
}

static int find_identity(const tracker *q, const char *id)
{
    for (size_t i = 0; i < q->n_trk; i++)
        if (q->trk[i].pub.identity[0] && strcmp(q->trk[i].pub.identity, id) == 0)
            return (int)i;
    return -1;
}

static void fill_pub(trk *t)
{
    double x[KF_NMAX], P[KF_NMAX * KF_NMAX];
    kf_combined(&t->kf, x, P);
    int n = t->kf.n;
    for (int i = 0; i < 6; i++) {
        t->pub.x[i] = x[i];
        for (int j = 0; j < 6; j++)
            t->pub.P[i * 6 + j] = P[i * n + j];
    }
    t->pub.t = t->kf.t;
}

static double pos_sd(const trk *t)
{
    double x[KF_NMAX], P[KF_NMAX * KF_NMAX];
    kf_combined(&t->kf, x, P);
    int n = t->kf.n;
    return sqrt(fmax(P[0], fmax(P[n + 1], P[2 * n + 2])));
}

/* Starts a tentative track from a state; returns its index or -1 (table full / no memory). */
static int new_track(tracker *q, const sg_measurement *m, double t, const double pos[3],
                     const double Ppos[9], const double vel[3], const double Pvel[9])
{
    if (q->n_trk >= (size_t)q->cfg.max_tracks) {
        q->st.init_dropped_full++;
        return -1;
    }
    if (grow((void **)&q->trk, &q->cap_trk, q->n_trk + 1, sizeof(trk))) {
        q->st.init_dropped_full++;
        return -1;
    }
    trk *tr = &q->trk[q->n_trk];
    memset(tr, 0, sizeof *tr);
    kf_init(&q->kp, &tr->kf, t, pos, Ppos, vel, Pvel);
    tr->pub.id = q->next_id++;
    tr->pub.status = SG_TRACK_TENTATIVE;
    tr->pub.hits = 1;
    tr->pub.t_first = tr->pub.t_last = t;
    tr->pub.lat = tr->pub.lon = tr->pub.alt = NAN;
    tr->pub.operator_lat = tr->pub.operator_lon = tr->pub.operator_alt = NAN;
    absorb_attrs(&tr->pub, m);
    tr->opp = 1;
    tr->mhits = 1;
    tr->full_obs = m->type != SG_MEAS_BEARING;
    tr->born_group = tr->hit_group = q->group_seq;
    hist_push(tr, m);
    q->st.tracks_created++;
    return (int)q->n_trk++;
}

static void vel_prior(const tracker *q, const sg_measurement *m, double vel[3], double Pvel[9])
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
static void rb_to_enu(const sg_measurement *m, double pos[3], double Ppos[9])
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
    vel_prior(q, m, vel, Pv);
    return new_track(q, m, m->t, pos, P, vel, Pv);
}

/* Intersects bearing b with the best pending partner from another sensor; on success
 * starts a track and returns its index, else -1 (b is then pended by the caller). */
static int try_pair(tracker *q, const sg_measurement *b)
{
    int best = -1;
    double best_q = INFINITY, bs = 0, bt = 0;
    double ub[3];
    unit_vec(b->z[0], b->z[1], ub);
    for (size_t k = 0; k < q->n_pend; k++) {
        const sg_measurement *a = &q->pend[k];
        if (a->sensor == b->sensor || fabs(a->t - b->t) > q->cfg.bearing_pair_window_s)
            continue;
        if (a->identity[0] && b->identity[0] && strcmp(a->identity, b->identity) != 0)
            continue;
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
    vel_prior(q, m1->has_vel ? m1 : m2, vel, Pv);
    int ti = new_track(q, m1, m1->t, pos, P, vel, Pv);
    if (ti < 0)
        return -2;
    trk *tr = &q->trk[ti];
    /* the prior is centred on the intersection, so re-applying m1 only shapes P */
    if (kf_update(&q->kp, &tr->kf, m1, NULL) == SG_OK)
        hist_at(tr, 0)->post = tr->kf;
    kf_predict(&q->kp, &tr->kf, m2->t);
    if (kf_update(&q->kp, &tr->kf, m2, NULL) == SG_OK) {
        /* the pair is one detection for M-of-N: confirmation needs fresh hits */
        tr->pub.hits++;
        tr->pub.t_last = m2->t;
        absorb_attrs(&tr->pub, m2);
        hist_push(tr, m2);
    }
    q->n_pend--;
    memmove(&q->pend[best], &q->pend[best + 1], (q->n_pend - (size_t)best) * sizeof q->pend[0]);
    q->st.bearing_paired++;
    return ti;
}

/* Starts a track (or pends a bearing) from an unassigned measurement. */
static void initiate(tracker *q, const sg_measurement *m)
{
    double pos[3], P[9], vel[3], Pv[9];
    int ti;
    switch (m->type) {
    case SG_MEAS_POS_ENU:
        memcpy(pos, m->z, sizeof pos);
        memcpy(P, m->R, sizeof P);
        vel_prior(q, m, vel, Pv);
        ti = new_track(q, m, m->t, pos, P, vel, Pv);
        break;
    case SG_MEAS_RANGE_BEARING:
        rb_to_enu(m, pos, P);
        vel_prior(q, m, vel, Pv);
        ti = new_track(q, m, m->t, pos, P, vel, Pv);
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

/* Applies an in-sequence update (the track is already predicted to m->t). */
static void apply_update(tracker *q, trk *tr, const sg_measurement *m)
{
    if (kf_update(&q->kp, &tr->kf, m, NULL) != SG_OK) {
        q->st.update_failed++;
        return;
    }
    tr->pub.hits++;
    tr->pub.misses = 0;
    if (m->t > tr->pub.t_last)
        tr->pub.t_last = m->t;
    absorb_attrs(&tr->pub, m);
    if (m->type != SG_MEAS_BEARING)
        tr->full_obs = true;
    for (int i = 0; i < tr->pub.n_sensors; i++)
        if (tr->pub.sensors[i] == m->sensor)
            tr->post_sensors |= (uint8_t)(1u << i);
    tr->hit_group = q->group_seq;
    hist_push(tr, m);
    q->st.used++;
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

/* An identified measurement failed its own track's gate: restart that track's state at
 * the measurement (same id, same identity) instead of letting it pull another track. */
static void reinit_identity(tracker *q, trk *tr, const sg_measurement *m)
{
    double pos[3], P[9], vel[3], Pv[9];
    if (m->type == SG_MEAS_POS_ENU) {
        memcpy(pos, m->z, sizeof pos);
        memcpy(P, m->R, sizeof P);
    } else {
        rb_to_enu(m, pos, P);
    }
    vel_prior(q, m, vel, Pv);
    kf_init(&q->kp, &tr->kf, m->t, pos, P, vel, Pv);
    tr->hist_n = tr->hist_head = 0;
    tr->pub.hits++;
    tr->pub.misses = 0;
    tr->pub.t_last = m->t;
    absorb_attrs(&tr->pub, m);
    tr->hit_group = q->group_seq;
    hist_push(tr, m);
    q->st.used++;
    q->st.identity_reinit++;
}

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

enum { SEL_ALL = 0, SEL_ESTABLISHED, SEL_TENTATIVE };

/* Gated edges between tracks with pred_ok and the open measurements of a group.
 * skip_group != 0 excludes tracks already hit in that group; sel picks tracks by status. */
static int gate_edges(tracker *q, const sg_measurement *const *gm, int ng, uint64_t skip_group,
                      int sel, size_t *ne_out)
{
    sg_meas_type type = gm[0]->type;
    int kc = key_comp(type), dim = sg_meas_dim(type);
    double gate = q->gate[dim];
    int nk = 0;
    double rmax = 0;
    for (int j = 0; j < ng; j++) {
        if (q->mflag[j] == MF_DONE)
            continue;
        q->keys[nk].key = gm[j]->z[kc];
        q->keys[nk].j = j;
        nk++;
        rmax = fmax(rmax, gm[j]->R[kc * dim + kc]);
    }
    qsort(q->keys, (size_t)nk, sizeof(gkey), cmp_gkey);
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
            if (grow((void **)&q->edges, &q->cap_edges, ne + 1, sizeof(assign_edge)))
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
static int gate_assign(tracker *q, const sg_measurement *const *gm, int ng, uint64_t skip_group,
                       int sel)
{
    size_t ne;
    int rc = gate_edges(q, gm, ng, skip_group, sel, &ne);
    if (rc)
        return rc;
    return assign_sparse(q->ws, (int)q->n_trk, ng, q->edges, ne, q->r2c, q->c2r, NULL);
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
    for (size_t i = 0; i < q->n_trk; i++) {
        kf_predict(&q->kp, &q->trk[i].kf, tg);
        q->pred_ok[i] =
            kf_predict_meas(&q->trk[i].kf, type, gm[0]->sensor_enu, &q->pred[i]) == SG_OK;
    }
    /* identity pre-pass: an identity already held goes to its track only */
    for (int j = 0; j < ng; j++) {
        const sg_measurement *m = gm[j];
        q->mflag[j] = MF_OPEN;
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
        int ti = find_identity(q, m->identity);
        if (ti < 0)
            continue;
        trk *tr = &q->trk[ti];
        q->mflag[j] = MF_DONE;
        double d2;
        if (q->pred_ok[ti] &&
            kf_mahalanobis(&q->pred[ti], type, m->z, m->R, &d2) == SG_OK &&
            d2 < q->gate[sg_meas_dim(type)])
            apply_update(q, tr, m);
        else if (type != SG_MEAS_BEARING)
            reinit_identity(q, tr, m);
        else
            q->st.unused++; /* a bearing alone cannot re-place a track */
    }
    /* two stages: established tracks choose first, so a tentative track born from an
     * outlier next to a confirmed track cannot steal that track's measurements */
    for (int stage = SEL_ESTABLISHED; stage <= SEL_TENTATIVE; stage++) {
        int rc = gate_assign(q, gm, ng, g, stage);
        if (rc)
            return rc;
        for (int j = 0; j < ng; j++) {
            if (q->mflag[j] != MF_DONE && q->c2r[j] >= 0) {
                apply_update(q, &q->trk[q->c2r[j]], gm[j]);
                q->mflag[j] = MF_DONE;
            }
        }
    }
    for (int j = 0; j < ng; j++) {
        if (q->mflag[j] == MF_DONE)
            continue;
        if (q->mflag[j] == MF_GATED && !gm[j]->identity[0]) {
            q->st.unused++; /* near a track that took a better measurement */
            continue;
        }
        initiate(q, gm[j]);
    }
    /* A batch of self-reported positions (DroneID, Remote ID: every measurement carries
     * its transmitter's identity) is not a scan of the sky: one drone's message says
     * nothing about the others, so it is neither a miss nor an opportunity for them. */
    bool self_reports = ng > 0;
    for (int j = 0; j < ng; j++)
        self_reports = self_reports && gm[j]->identity[0] != '\0';
    /* M-of-N and consecutive misses, counted over batches of the track's own sensors */
    for (size_t i = 0; i < q->n_trk; i++) {
        trk *tr = &q->trk[i];
        if (tr->born_group >= g || !has_sensor(&tr->pub, sensor))
            continue;
        bool hit = tr->hit_group == g;
        if (!hit && self_reports)
            continue;
        if (!hit)
            tr->pub.misses++;
        if (tr->pub.status == SG_TRACK_TENTATIVE && tr->opp < (uint32_t)q->cfg.confirm_n) {
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
        tmp[i] = *hist_at(tr, i);
        if (tmp[i].m.t <= m->t)
            k = i;
    }
    if (k < 0) {
        q->st.oosm_dropped++;
        return;
    }
    kf_state s = tmp[k].post;
    kf_predict(&q->kp, &s, m->t);
    if (kf_update(&q->kp, &s, m, NULL) != SG_OK) {
        q->st.update_failed++;
        return;
    }
    memmove(&tmp[k + 2], &tmp[k + 1], (size_t)(n - k - 1) * sizeof tmp[0]);
    tmp[k + 1].m = *m;
    tmp[k + 1].post = s;
    n++;
    for (int i = k + 2; i < n; i++) {
        kf_predict(&q->kp, &s, tmp[i].m.t);
        kf_update(&q->kp, &s, &tmp[i].m, NULL); /* succeeded before; keep going if not */
        tmp[i].post = s;
    }
    kf_predict(&q->kp, &s, tr->kf.t);
    tr->kf = s;
    int first = n > TRK_HIST ? n - TRK_HIST : 0;
    tr->hist_head = 0;
    tr->hist_n = n - first;
    for (int i = first; i < n; i++)
        tr->hist[i - first] = tmp[i];
    tr->pub.hits++;
    if (m->t > tr->pub.t_last)
        tr->pub.t_last = m->t;
    absorb_attrs(&tr->pub, m);
    q->st.used++;
    q->st.oosm_used++;
}

static int process_oosm_group(tracker *q, const sg_measurement *const *gm, int ng, double tg)
{
    sg_meas_type type = gm[0]->type;
    if (reserve_tracks_scratch(q, q->n_trk + 1) || reserve_group_scratch(q, (size_t)ng) ||
        grow((void **)&q->retro, &q->cap_retro, q->n_trk + 1, sizeof(kf_state)))
        return SG_ENOMEM;
    for (size_t i = 0; i < q->n_trk; i++) {
        trk *tr = &q->trk[i];
        int k = -1;
        for (int h = 0; h < tr->hist_n; h++)
            if (hist_at(tr, h)->m.t <= tg)
                k = h;
        q->pred_ok[i] = 0;
        if (k < 0)
            continue;
        q->retro[i] = hist_at(tr, k)->post;
        kf_predict(&q->kp, &q->retro[i], tg);
        q->pred_ok[i] =
            kf_predict_meas(&q->retro[i], type, gm[0]->sensor_enu, &q->pred[i]) == SG_OK;
    }
    for (int j = 0; j < ng; j++) {
        q->mflag[j] = MF_OPEN;
        q->held[j] = gm[j]->identity[0] ? find_identity(q, gm[j]->identity) : -1;
    }
    int rc = gate_assign(q, gm, ng, 0, SEL_ALL);
    if (rc)
        return rc;
    for (int j = 0; j < ng; j++) {
        if (q->c2r[j] >= 0)
            refilter(q, &q->trk[q->c2r[j]], gm[j]);
        else
            q->st.oosm_dropped++;
    }
    return SG_OK;
}

/* ---- maintenance ------------------------------------------------------------------- */

static int kill_track(tracker *q, size_t i)
{
    trk *tr = &q->trk[i];
    if (grow((void **)&q->dead, &q->cap_dead, q->n_dead + 1, sizeof(sg_track)))
        return SG_ENOMEM; /* retried on the next call */
    fill_pub(tr);
    q->dead[q->n_dead] = tr->pub;
    q->dead[q->n_dead].status = SG_TRACK_DELETED;
    q->n_dead++;
    q->st.tracks_deleted++;
    q->n_trk--;
    if (i != q->n_trk)
        memcpy(tr, &q->trk[q->n_trk], sizeof *tr);
    return SG_OK;
}

static int maintain(tracker *q)
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
    for (size_t i = 0; i < q->n_trk;) {
        trk *tr = &q->trk[i];
        kf_predict(&q->kp, &tr->kf, q->t_now);
        sg_track *p = &tr->pub;
        if (p->status == SG_TRACK_TENTATIVE &&
            ((tr->mhits >= (uint32_t)c->confirm_m && observable(q, tr)) ||
             (c->identity_confirms && p->identity[0]))) {
            p->status = SG_TRACK_CONFIRMED;
            q->st.tracks_confirmed++;
        }
        bool del = false;
        if (p->status == SG_TRACK_TENTATIVE)
            del = tr->mhits + ((uint32_t)c->confirm_n - tr->opp) < (uint32_t)c->confirm_m;
        double idle = q->t_now - p->t_last;
        del = del || idle > c->max_coast_s || p->misses >= (uint32_t)c->max_misses ||
              pos_sd(tr) > c->max_pos_sd;
        if (del) {
            int r = kill_track(q, i);
            if (r == SG_OK)
                continue; /* slot i now holds another track */
            rc = r;
        } else if (p->status != SG_TRACK_TENTATIVE) {
            p->status = (p->misses > 0 || idle > c->coast_after_s) ? SG_TRACK_COASTING
                                                                   : SG_TRACK_CONFIRMED;
        }
        i++;
    }
    if (grow((void **)&q->out, &q->cap_out, q->n_trk + q->n_dead + 1, sizeof(sg_track)))
        return SG_ENOMEM;
    q->n_out = 0;
    for (size_t i = 0; i < q->n_trk; i++) {
        fill_pub(&q->trk[i]);
        q->out[q->n_out++] = q->trk[i].pub;
    }
    if (q->n_dead)
        memcpy(q->out + q->n_out, q->dead, q->n_dead * sizeof(sg_track));
    q->n_out += q->n_dead;
    q->st.tracks_active = (uint32_t)q->n_trk;
    return rc;
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

int tracker_process(tracker *q, double t, const sg_measurement *m, size_t n)
{
    if (!q || !isfinite(t) || (n && !m)) {
        if (q) {
            q->st.meas_in += n;
            q->st.rej_invalid += n;
        }
        return SG_EINVAL;
    }
    q->n_dead = 0;
    q->st.meas_in += n;
    int ret = SG_OK;
    if (grow((void **)&q->refs, &q->cap_refs, n + 1, sizeof(mref)) ||
        grow((void **)&q->gm, &q->cap_gm, n + 1, sizeof(*q->gm))) {
        q->st.init_dropped_full += n; /* nothing processed; state untouched */
        return SG_ENOMEM;
    }
    size_t nv = 0;
    for (size_t i = 0; i < n; i++) {
        int rc = validate(q, &m[i], t);
        if (rc) {
            if (ret == SG_OK || (ret == SG_ERANGE && rc == SG_EINVAL))
                ret = rc;
            continue;
        }
        q->refs[nv++] = (mref){&m[i], i};
    }
    qsort(q->refs, nv, sizeof(mref), cmp_mref);
    const sg_measurement **gm = q->gm;
    for (size_t a = 0; a < nv;) {
        size_t b = a + 1;
        while (b < nv && same_group(q->refs[a].m, q->refs[b].m))
            b++;
        int ng = (int)(b - a);
        for (int k = 0; k < ng; k++)
            gm[k] = q->refs[a + (size_t)k].m;
        double tg = gm[0]->t;
        int rc;
        if (tg >= q->t_now) {
            q->t_now = tg;
            rc = process_group(q, gm, ng, tg);
        } else {
            rc = process_oosm_group(q, gm, ng, tg);
        }
        if (rc) {
            /* out of memory: count the rest of the batch as dropped, keep state valid */
            q->st.init_dropped_full += nv - a;
            ret = rc;
            break;
        }
        a = b;
    }
    if (t > q->t_now)
        q->t_now = t;
    int rc = maintain(q);
    return rc ? rc : ret;
}

int tracker_predict(tracker *q, double t)
{
    if (!q || !isfinite(t))
        return SG_EINVAL;
    q->n_dead = 0;
    if (t > q->t_now)
        q->t_now = t;
    return maintain(q);
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
