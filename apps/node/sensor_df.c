/* Direction finding on a sensor node (see sensor_df.h). */
#include "sensor_df.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 256 /* per-emitter combination (by id modulo) */
#define GROUPS 4  /* directions per emitter and window (emitters the classifier merged) */

/* The bursts of one emitter from one direction within a window. */
typedef struct {
    bool open;
    double t0;              /* s, first burst of the window */
    double sw, sx, sy;      /* sum of weights, of w sin(az), of w cos(az) */
    double swe, se;         /* the same for elevation */
    double st;              /* sum of w t */
    double sfc, sbw;        /* sums of the bursts' centre frequency and bandwidth */
    unsigned nb;            /* bursts */
    double bt[SG_MEAS_BURSTS], bfc[SG_MEAS_BURSTS]; /* the first bursts' start and centre */
} group;

typedef struct {
    uint32_t id;
    char cls[SG_CLASS_LEN];
    double cls_conf;
    group g[GROUPS];
} slot;

struct sensor_df {
    dffe *fe;
    double yaw;             /* rad, body forward */
    bool has_el;
    slot slots[SLOTS];
    sensor_df_stats st;
    double floor2;          /* rad^2, SENSOR_DF_SD_FLOOR_DEG squared */
};
sensor_df *sensor_df_create(const sg_sensor_cfg *c, const frontend_cfg *fc, sg_errinfo *e)
{
    char where[160];
    dffe_cfg cfg;
    dffe_cfg_default(&cfg);
    cfg.fe = *fc;
    snprintf(where, sizeof where, "%s.array", c->where);
    if (doa_array_from_json(&cfg.array, c->array, where, e))
        return NULL;
    cfg.doa.elevation = doa_array_rank(&cfg.array) >= 2;
    sensor_df *q = calloc(1, sizeof *q);
    if (!q) {
        sg_err_set(e, SG_ENOMEM, "%s: out of memory", where);
        return NULL;
    }
    if (!(q->fe = dffe_create(&cfg, e))) {
        sg_err_prefix(e, where);
        free(q);
        return NULL;
    }
    q->yaw = c->yaw_deg * M_PI / 180;
    q->floor2 = pow(SENSOR_DF_SD_FLOOR_DEG * M_PI / 180, 2);
    q->has_el = cfg.doa.elevation;
    return q;
}

void sensor_df_destroy(sensor_df *q)
{
    if (!q)
        return;
    dffe_destroy(q->fe);
    free(q);
}

dffe *sensor_df_fe(sensor_df *q)
{
    return q->fe;
}

void sensor_df_stats_get(const sensor_df *q, sensor_df_stats *out)
{
    *out = q->st;
}

static bool emit(sensor_df *q, const slot *sl, group *g, sg_measurement *m)
{
    g->open = false;
    if (!(g->sw > 0))
        return false;
    memset(m, 0, sizeof *m);
    m->type = SG_MEAS_BEARING;
    m->t = g->st / g->sw;
    double az = atan2(g->sx, g->sy) + q->yaw;
    m->z[0] = remainder(az, 2 * M_PI);
    if (m->z[0] < 0)
        m->z[0] += 2 * M_PI;
    m->R[0] = 1 / g->sw + q->floor2;
    if (q->has_el && g->swe > 0) {
        m->z[1] = g->se / g->swe;
        m->R[3] = 1 / g->swe + q->floor2;
    } else {
        /* a linear array gives no elevation: a broad prior around the horizon */
        m->z[1] = 0;
        m->R[3] = pow(30 * M_PI / 180, 2);
    }
    snprintf(m->cls, sizeof m->cls, "%s", sl->cls);
    m->cls_conf = sl->cls_conf;
    m->operator_alt = NAN;
    /* the emitter's features, for association across sites (tracker_features_match) */
    m->fc_hz = g->sfc / g->nb;
    m->bw_hz = g->sbw / g->nb;
    m->n_bursts = g->nb < SG_MEAS_BURSTS ? g->nb : SG_MEAS_BURSTS;
    memcpy(m->burst_t, g->bt, sizeof m->burst_t);
    memcpy(m->burst_fc, g->bfc, sizeof m->burst_fc);
    q->st.bearings++;
    return true;
}

/* The open group of this direction (within 3 sd of its mean, the floor included), else
 * a free one opened at t; NULL when every group is busy with another direction. */
static group *group_for(sensor_df *q, slot *sl, double az, double var, double t)
{
    group *best = NULL, *free_g = NULL;
    double best_d = INFINITY;
    for (unsigned i = 0; i < GROUPS; i++) {
        group *g = &sl->g[i];
        if (!g->open) {
            if (!free_g)
                free_g = g;
            continue;
        }
        double d = fabs(remainder(az - atan2(g->sx, g->sy), 2 * M_PI));
        double gate = 3 * sqrt(var + 1 / g->sw + 2 * q->floor2);
        if (d <= gate && d < best_d) {
            best_d = d;
            best = g;
        }
    }
    if (best || !free_g)
        return best;
    memset(free_g, 0, sizeof *free_g);
    free_g->open = true;
    free_g->t0 = t;
    return free_g;
}

static bool slot_open(const slot *sl)
{
    for (unsigned i = 0; i < GROUPS; i++)
        if (sl->g[i].open)
            return true;
    return false;
}

void sensor_df_add(sensor_df *q, uint32_t id, const char *cls, double cls_conf,
                   const sg_burst *b, const doa_result *r, int rc)
{
    slot *sl = &q->slots[id % SLOTS];
    if (sl->id != id && slot_open(sl))
        q->st.evicted++; /* another emitter's window in this slot: dropped, counted */
    if (sl->id != id)
        memset(sl, 0, sizeof *sl);
    sl->id = id;
    double t = b->t_start + 0.5 * b->duration;
    if (rc || !(r->var_az > 0) || !isfinite(r->var_az)) {
        q->st.failed++;
        return;
    }
    uint64_t *rej = r->flags & (DOA_AMB_FRONT_BACK | DOA_AMB_GRATING) ? &q->st.ambiguous
                    : r->flags & DOA_AMB_MULTI                        ? &q->st.multi_peak
                    : r->flags & DOA_FLAG_NOT_RANK1                   ? &q->st.incoherent
                    : r->flags & DOA_FLAG_LOW_SNR                     ? &q->st.low_snr
                                                                      : NULL;
    if (rej) {
        (*rej)++;
        return;
    }
    group *g = group_for(q, sl, r->az, r->var_az, t);
    if (!g) {
        q->st.crowded++;
        return;
    }
    snprintf(sl->cls, sizeof sl->cls, "%s", cls ? cls : "");
    sl->cls_conf = cls_conf;
    double w = 1 / r->var_az;
    g->sw += w;
    g->sx += w * sin(r->az);
    g->sy += w * cos(r->az);
    g->st += w * t;
    if (q->has_el && r->var_el > 0 && isfinite(r->var_el)) {
        double we = 1 / r->var_el;
        g->swe += we;
        g->se += we * r->el;
    }
    if (g->nb < SG_MEAS_BURSTS) {
        g->bt[g->nb] = b->t_start;
        g->bfc[g->nb] = b->fc;
    }
    g->sfc += b->fc;
    g->sbw += b->bandwidth;
    g->nb++;
    q->st.used++;
}

void sensor_df_not_drone(sensor_df *q)
{
    q->st.not_drone++;
}

bool sensor_df_due(sensor_df *q, double now, sg_measurement *m)
{
    for (unsigned i = 0; i < SLOTS; i++) {
        slot *sl = &q->slots[i];
        for (unsigned k = 0; k < GROUPS; k++) {
            group *g = &sl->g[k];
            if (g->open && now - g->t0 >= SENSOR_DF_WINDOW_S && emit(q, sl, g, m))
                return true;
        }
    }
    return false;
}
