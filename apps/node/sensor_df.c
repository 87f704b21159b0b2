/* Direction finding on a sensor node (see sensor_df.h). */
#include "sensor_df.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 256 /* per-emitter combination (by id modulo) */

typedef struct {
    uint32_t id;
    bool open;
    double t0;              /* s, first burst of the window */
    double sw, sx, sy;      /* sum of weights, of w sin(az), of w cos(az) */
    double swe, se;         /* the same for elevation */
    double st;              /* sum of w t */
    char cls[SG_CLASS_LEN];
    double cls_conf;
} slot;

struct sensor_df {
    dffe *fe;
    double yaw;             /* rad, body forward */
    bool has_el;
    slot slots[SLOTS];
    sensor_df_stats st;
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

static bool emit(sensor_df *q, slot *sl, sg_measurement *m)
{
    sl->open = false;
    if (!(sl->sw > 0))
        return false;
    double floor2 = pow(SENSOR_DF_SD_FLOOR_DEG * M_PI / 180, 2);
    memset(m, 0, sizeof *m);
    m->type = SG_MEAS_BEARING;
    m->t = sl->st / sl->sw;
    double az = atan2(sl->sx, sl->sy) + q->yaw;
    m->z[0] = remainder(az, 2 * M_PI);
    if (m->z[0] < 0)
        m->z[0] += 2 * M_PI;
    m->R[0] = 1 / sl->sw + floor2;
    if (q->has_el && sl->swe > 0) {
        m->z[1] = sl->se / sl->swe;
        m->R[3] = 1 / sl->swe + floor2;
    } else {
        /* a linear array gives no elevation: a broad prior around the horizon */
        m->z[1] = 0;
        m->R[3] = pow(30 * M_PI / 180, 2);
    }
    snprintf(m->cls, sizeof m->cls, "%s", sl->cls);
    m->cls_conf = sl->cls_conf;
    m->operator_alt = NAN;
    q->st.bearings++;
    return true;
}

void sensor_df_add(sensor_df *q, uint32_t id, const char *cls, double cls_conf,
                   const sg_burst *b, const doa_result *r, int rc)
{
    slot *sl = &q->slots[id % SLOTS];
    if (sl->id != id && sl->open)
        q->st.evicted++; /* another emitter's window in this slot: dropped, counted */
    if (sl->id != id)
        memset(sl, 0, sizeof *sl);
    sl->id = id;
    double t = b->t_start + 0.5 * b->duration;
    if (rc) {
        q->st.failed++;
        return;
    }
    if (!(r->var_az > 0) || !isfinite(r->var_az)) {
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
    if (!sl->open) {
        memset(sl, 0, sizeof *sl);
        sl->id = id;
        sl->open = true;
        sl->t0 = t;
    }
    snprintf(sl->cls, sizeof sl->cls, "%s", cls ? cls : "");
    sl->cls_conf = cls_conf;
    double w = 1 / r->var_az;
    sl->sw += w;
    sl->sx += w * sin(r->az);
    sl->sy += w * cos(r->az);
    sl->st += w * t;
    if (q->has_el && r->var_el > 0 && isfinite(r->var_el)) {
        double we = 1 / r->var_el;
        sl->swe += we;
        sl->se += we * r->el;
    }
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
        if (sl->open && now - sl->t0 >= SENSOR_DF_WINDOW_S && emit(q, sl, m))
            return true;
    }
    return false;
}
