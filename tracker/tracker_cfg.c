/* Tracker configuration: defaults, JSON keys and ranges (see tracker.h, docs/tracker.md). */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "sg_json.h"
#include "tracker_int.h"

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
    {"q_turn", offsetof(tracker_cfg, q_turn), false, 0.2, 1e-4, 10},
    {"init_turn_sd", offsetof(tracker_cfg, init_turn_sd), false, 0.3, 0, 10},
    {"gate_prob", offsetof(tracker_cfg, gate_prob), false, 0.999, 0.5, 0.999999},
    {"confirm_m", offsetof(tracker_cfg, confirm_m), true, 3, 1, 32},
    {"confirm_n", offsetof(tracker_cfg, confirm_n), true, 5, 1, 32},
    {"max_misses", offsetof(tracker_cfg, max_misses), true, 10, 1, 10000},
    {"max_miss_s", offsetof(tracker_cfg, max_miss_s), false, 0.5, 0, 3600},
    {"min_misses", offsetof(tracker_cfg, min_misses), true, 3, 1, 10000},
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
    {"bearing_pair_time_tol_s", offsetof(tracker_cfg, bearing_pair_time_tol_s), false, 5e-4, 1e-6,
     0.1},
    {"max_tracks", offsetof(tracker_cfg, max_tracks), true, 4096, 1, 1000000},
    {"dup_scans", offsetof(tracker_cfg, dup_scans), true, 4, 0, 100},
    {"dup_gate_prob", offsetof(tracker_cfg, dup_gate_prob), false, 0.95, 0.5, 0.999999},
    {"confirm_false_prob", offsetof(tracker_cfg, confirm_false_prob), false, 1e-5, 1e-12, 0.5},
    {"jpda_pd", offsetof(tracker_cfg, jpda_pd), false, 0.9, 0.05, 0.999},
    {"jpda_clutter", offsetof(tracker_cfg, jpda_clutter), false, 1e-9, 1e-15, 1},
    {"split_radius_m", offsetof(tracker_cfg, split_radius_m), false, 5, 0, 1000},
};
#define N_NUM_KEYS (sizeof NUM_KEYS / sizeof NUM_KEYS[0])

static const char *const MODEL_NAMES[] = {"ncv", "ca", "imm", "ct", "imm_ct"};
static const char *const BINIT_NAMES[] = {"pair", "ray", "off"};
static const char *const ASSOC_NAMES[] = {"gnn", "jpda"};

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
    cfg->init_in_gate = true;
    cfg->confirm_adapt = true;
    cfg->bearing_pair_features = true;
}

int trk_cfg_check(const tracker_cfg *cfg, const char *where, sg_errinfo *e)
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
    if ((int)cfg->model < 0 || cfg->model > KF_MODEL_IMM_CT)
        return sg_err_set(e, SG_EINVAL, "%s.model: must be one of: ncv, ca, imm, ct, imm_ct",
                          where);
    if ((int)cfg->association < 0 || cfg->association > TRACKER_ASSOC_JPDA)
        return sg_err_set(e, SG_EINVAL, "%s.association: must be one of: gnn, jpda", where);
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
        const char *allowed[N_NUM_KEYS + 8];
        size_t na = 0;
        for (size_t i = 0; i < N_NUM_KEYS; i++)
            allowed[na++] = NUM_KEYS[i].key;
        allowed[na++] = "model";
        allowed[na++] = "bearing_init";
        allowed[na++] = "identity_confirms";
        allowed[na++] = "init_in_gate";
        allowed[na++] = "confirm_adapt";
        allowed[na++] = "association";
        allowed[na++] = "bearing_pair_features";
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
        rc = sgj_enum(obj, where, "model", false, KF_MODEL_NCV, MODEL_NAMES, 5, &v, e);
        if (rc)
            return rc;
        c.model = (kf_model)v;
        rc = sgj_enum(obj, where, "association", false, TRACKER_ASSOC_GNN, ASSOC_NAMES, 2, &v, e);
        if (rc)
            return rc;
        c.association = (tracker_assoc)v;
        rc = sgj_enum(obj, where, "bearing_init", false, TRACKER_BEARING_INIT_PAIR, BINIT_NAMES,
                      3, &v, e);
        if (rc)
            return rc;
        c.bearing_init = (tracker_bearing_init)v;
        rc = sgj_bool(obj, where, "identity_confirms", false, true, &c.identity_confirms, e);
        if (rc)
            return rc;
        rc = sgj_bool(obj, where, "init_in_gate", false, true, &c.init_in_gate, e);
        if (rc)
            return rc;
        rc = sgj_bool(obj, where, "confirm_adapt", false, true, &c.confirm_adapt, e);
        if (rc)
            return rc;
        rc = sgj_bool(obj, where, "bearing_pair_features", false, true, &c.bearing_pair_features,
                      e);
        if (rc)
            return rc;
    }
    int rc = trk_cfg_check(&c, where, e);
    if (rc)
        return rc;
    *cfg = c;
    return SG_OK;
}
