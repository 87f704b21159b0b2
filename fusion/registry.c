/* Sensor registry and measurement mapping into the site frame (see registry.h). The
 * daemon calls registry_map on every measurement before the tracker, and
 * registry_rf_attach / registry_rf_picture after each tracker step. */
#include "registry.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sg_json.h"

#define PI 3.14159265358979323846

struct registry {
    geo_frame f;
    fusion_sensor *s;
    double (*enu)[3];
    double (*body)[9]; /* body (forward, right, down) -> ENU rotation per sensor */
    size_t n;
    rf_presence pres[REGISTRY_MAX_PRESENCE];
    size_t npres;
    uint32_t next_pres_id;
    registry_stats st;
};

static const char *const kind_names[] = {"rf", "camera", "radar", "remoteid", "acoustic", "other"};

void fusion_sensor_default(fusion_sensor *s, fusion_sensor_kind kind)
{
    memset(s, 0, sizeof *s);
    s->kind = kind;
    s->pos_sd_h = 10;
    s->pos_sd_v = 15;
    s->bearing_sd = 1.0 * GEO_DEG;
    s->range_sd = 5;
    s->rf_range_m = 3000;
    s->stale_s = 10;
    if (kind == FUSION_SENSOR_CAMERA) {
        s->bearing_sd = 0.1 * GEO_DEG;
        s->body_bearings = true;
    }
}

int fusion_sensor_from_json(const cJSON *obj, const char *where, const char *const *extra_keys,
                            fusion_sensor *s, sg_errinfo *e)
{
    static const char *const keys[] = {"id", "kind", "lat", "lon", "alt_m", "yaw_deg", "pitch_deg",
                                       "roll_deg", "hfov_deg", "vfov_deg", "body_bearings",
                                       "pos_sd_m", "pos_sd_v_m", "bearing_sd_deg", "range_sd_m",
                                       "rf_range_m", "stale_s"};
    const size_t nk = sizeof keys / sizeof keys[0];
    const char *allowed[64];
    size_t na = 0;
    for (size_t i = 0; i < nk; i++)
        allowed[na++] = keys[i];
    for (size_t i = 0; extra_keys && extra_keys[i] && na < 63; i++)
        allowed[na++] = extra_keys[i];
    allowed[na] = NULL;
    if (!cJSON_IsObject(obj))
        return sg_err_set(e, SG_EINVAL, "%s: must be an object", where);
    int kind, rc;
    char w[320];
    if ((rc = sgj_check_keys(obj, where, allowed, e)) ||
        (rc = sgj_enum(obj, where, "kind", true, 0, kind_names, 6, &kind, e)))
        return rc;
    fusion_sensor_default(s, (fusion_sensor_kind)kind);
    double lat, lon, yaw, pitch, roll, hfov, vfov, bsd;
    if ((rc = sgj_string(obj, where, "id", true, NULL, s->id, sizeof s->id, e)))
        return rc;
    snprintf(w, sizeof w, "%s (id \"%s\")", where, s->id);
    if ((rc = sgj_number(obj, w, "lat", true, 0, -90, 90, &lat, e)) ||
        (rc = sgj_number(obj, w, "lon", true, 0, -180, 180, &lon, e)) ||
        (rc = sgj_number(obj, w, "alt_m", false, 0, -1000, 1e5, &s->alt, e)) ||
        (rc = sgj_number(obj, w, "yaw_deg", false, 0, -360, 360, &yaw, e)) ||
        (rc = sgj_number(obj, w, "pitch_deg", false, 0, -90, 90, &pitch, e)) ||
        (rc = sgj_number(obj, w, "roll_deg", false, 0, -180, 180, &roll, e)) ||
        (rc = sgj_number(obj, w, "hfov_deg", false, 0, 0, 360, &hfov, e)) ||
        (rc = sgj_number(obj, w, "vfov_deg", false, 0, 0, 180, &vfov, e)) ||
        (rc = sgj_bool(obj, w, "body_bearings", false, s->body_bearings, &s->body_bearings, e)) ||
        (rc = sgj_number(obj, w, "pos_sd_m", false, s->pos_sd_h, 1e-3, 1e5, &s->pos_sd_h, e)) ||
        (rc = sgj_number(obj, w, "pos_sd_v_m", false, s->pos_sd_v, 1e-3, 1e5, &s->pos_sd_v, e)) ||
        (rc = sgj_number(obj, w, "bearing_sd_deg", false, s->bearing_sd / GEO_DEG, 1e-4, 90, &bsd, e)) ||
        (rc = sgj_number(obj, w, "range_sd_m", false, s->range_sd, 1e-3, 1e5, &s->range_sd, e)) ||
        (rc = sgj_number(obj, w, "rf_range_m", false, s->rf_range_m, 0, 1e6, &s->rf_range_m, e)) ||
        (rc = sgj_number(obj, w, "stale_s", false, s->stale_s, 1e-3, 86400, &s->stale_s, e)))
        return rc;
    s->lat = lat * GEO_DEG;
    s->lon = lon * GEO_DEG;
    s->yaw = yaw * GEO_DEG;
    s->pitch = pitch * GEO_DEG;
    s->roll = roll * GEO_DEG;
    s->hfov = hfov * GEO_DEG;
    s->vfov = vfov * GEO_DEG;
    s->bearing_sd = bsd * GEO_DEG;
    return SG_OK;
}

static int check_sensor(const fusion_sensor *s, size_t i, sg_errinfo *e)
{
    char w[160];
    snprintf(w, sizeof w, "sensors[%zu] (id \"%.*s\")", i, SG_ID_LEN, s->id);
    if (!s->id[0] || memchr(s->id, 0, SG_ID_LEN) == NULL)
        return sg_err_set(e, SG_EINVAL, "sensors[%zu]: id: must be a non-empty string", i);
    if ((int)s->kind < 0 || (int)s->kind > FUSION_SENSOR_OTHER)
        return sg_err_set(e, SG_EINVAL, "%s: kind: unknown (%d)", w, (int)s->kind);
#define CHECK(cond, key, fmt, val)                                                            \
    if (!(cond))                                                                               \
        return sg_err_set(e, SG_ERANGE, "%s: " key ": " fmt, w, val);
    CHECK(isfinite(s->lat) && fabs(s->lat) <= PI / 2, "lat", "must be in [-90, 90] deg, got %g", s->lat / GEO_DEG)
    CHECK(isfinite(s->lon) && fabs(s->lon) <= PI, "lon", "must be in [-180, 180] deg, got %g", s->lon / GEO_DEG)
    CHECK(isfinite(s->alt) && s->alt >= -1000 && s->alt <= 1e5, "alt_m", "must be in [-1000, 100000] m, got %g", s->alt)
    CHECK(isfinite(s->yaw) && fabs(s->yaw) <= 2 * PI, "yaw_deg", "must be in [-360, 360], got %g", s->yaw / GEO_DEG)
    CHECK(isfinite(s->pitch) && fabs(s->pitch) <= PI / 2, "pitch_deg", "must be in [-90, 90], got %g", s->pitch / GEO_DEG)
    CHECK(isfinite(s->roll) && fabs(s->roll) <= PI, "roll_deg", "must be in [-180, 180], got %g", s->roll / GEO_DEG)
    CHECK(isfinite(s->hfov) && s->hfov >= 0 && s->hfov <= 2 * PI, "hfov_deg", "must be in [0, 360], got %g", s->hfov / GEO_DEG)
    CHECK(isfinite(s->vfov) && s->vfov >= 0 && s->vfov <= PI, "vfov_deg", "must be in [0, 180], got %g", s->vfov / GEO_DEG)
    CHECK(isfinite(s->pos_sd_h) && s->pos_sd_h > 0, "pos_sd_m", "must be > 0, got %g", s->pos_sd_h)
    CHECK(isfinite(s->pos_sd_v) && s->pos_sd_v > 0, "pos_sd_v_m", "must be > 0, got %g", s->pos_sd_v)
    CHECK(isfinite(s->bearing_sd) && s->bearing_sd > 0, "bearing_sd_deg", "must be > 0, got %g", s->bearing_sd / GEO_DEG)
    CHECK(isfinite(s->range_sd) && s->range_sd > 0, "range_sd_m", "must be > 0, got %g", s->range_sd)
    CHECK(isfinite(s->rf_range_m) && s->rf_range_m >= 0, "rf_range_m", "must be >= 0, got %g", s->rf_range_m)
    CHECK(isfinite(s->stale_s) && s->stale_s > 0, "stale_s", "must be > 0, got %g", s->stale_s)
#undef CHECK
    return SG_OK;
}

/* Body (forward, right, down) -> ENU for yaw/pitch/roll (aerospace Z-Y-X order). */
static void body_to_enu(double yaw, double pitch, double roll, double m[9])
{
    double cy = cos(yaw), sy = sin(yaw), cp = cos(pitch), sp = sin(pitch), cr = cos(roll),
           sr = sin(roll);
    /* Body -> NED. */
    double ned[9] = {cp * cy, sr * sp * cy - cr * sy, cr * sp * cy + sr * sy,
                     cp * sy, sr * sp * sy + cr * cy, cr * sp * sy - sr * cy,
                     -sp,     sr * cp,                cr * cp};
    /* NED -> ENU: e = n_e, n = n_n, u = -n_d. */
    for (int j = 0; j < 3; j++) {
        m[j] = ned[3 + j];
        m[3 + j] = ned[j];
        m[6 + j] = -ned[6 + j];
    }
}

registry *registry_create(const geo_frame *f, const fusion_sensor *s, size_t n, sg_errinfo *e)
{
    if (!f || (n && !s)) {
        sg_err_set(e, SG_EINVAL, "sensors: frame and sensor list are required");
        return NULL;
    }
    if (n > REGISTRY_MAX_SENSORS) {
        sg_err_set(e, SG_ERANGE, "sensors: more than %d sensors", REGISTRY_MAX_SENSORS);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        if (check_sensor(&s[i], i, e))
            return NULL;
        for (size_t j = 0; j < i; j++)
            if (strcmp(s[i].id, s[j].id) == 0) {
                sg_err_set(e, SG_EINVAL, "sensors[%zu] (id \"%s\"): id: duplicates sensors[%zu]",
                           i, s[i].id, j);
                return NULL;
            }
    }
    registry *r = calloc(1, sizeof *r);
    size_t m = n ? n : 1;
    if (!r || !(r->s = malloc(m * sizeof *r->s)) || !(r->enu = malloc(m * sizeof *r->enu)) ||
        !(r->body = malloc(m * sizeof *r->body))) {
        registry_destroy(r);
        sg_err_set(e, SG_ENOMEM, "sensors: out of memory");
        return NULL;
    }
    r->f = *f;
    r->n = n;
    r->next_pres_id = 1;
    if (n)
        memcpy(r->s, s, n * sizeof *s);
    for (size_t i = 0; i < n; i++) {
        geo_frame_to_enu(f, s[i].lat, s[i].lon, s[i].alt, r->enu[i]);
        /* Attitude is given in the sensor's own local level frame; the site frame's
         * axes differ by the Earth's curvature (~1 mrad per 6 km), so compose with
         * the local -> site rotation. */
        double b[9], c[9];
        body_to_enu(s[i].yaw, s[i].pitch, s[i].roll, b);
        geo_frame_rot_from_local(f, s[i].lat, s[i].lon, c);
        for (int a = 0; a < 3; a++)
            for (int k = 0; k < 3; k++)
                r->body[i][3 * a + k] = c[3 * a] * b[k] + c[3 * a + 1] * b[3 + k] + c[3 * a + 2] * b[6 + k];
    }
    return r;
}

void registry_destroy(registry *r)
{
    if (!r)
        return;
    free(r->s);
    free(r->enu);
    free(r->body);
    free(r);
}

size_t registry_count(const registry *r) { return r->n; }

const fusion_sensor *registry_sensor(const registry *r, size_t i)
{
    return i < r->n ? &r->s[i] : NULL;
}

int registry_find(const registry *r, const char *id)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->s[i].id, id) == 0)
            return (int)i;
    return SG_ENOTFOUND;
}

void registry_sensor_enu(const registry *r, size_t i, double enu[3])
{
    memcpy(enu, r->enu[i], sizeof r->enu[i]);
}

/* Body-frame (az right of boresight, el up) -> true az/el in the site frame. */
static void body_dir(const registry *r, size_t si, double azb, double elb, double *az, double *el)
{
    double v[3] = {cos(elb) * cos(azb), cos(elb) * sin(azb), -sin(elb)}, d[3], rng;
    const double *m = r->body[si];
    for (int i = 0; i < 3; i++)
        d[i] = m[3 * i] * v[0] + m[3 * i + 1] * v[1] + m[3 * i + 2] * v[2];
    geo_enu_to_aer(d, az, el, &rng);
}

static bool all_zero(const double *R, int n)
{
    for (int i = 0; i < n * n; i++)
        if (R[i] != 0)
            return false;
    return true;
}

static bool all_finite(const double *x, int n)
{
    for (int i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return false;
    return true;
}

/* out = J R J^T for n x n. */
static void congruence(const double *J, const double *R, double *out, int n)
{
    double tmp[9];
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            double s = 0;
            for (int k = 0; k < n; k++)
                s += J[i * n + k] * R[k * n + j];
            tmp[i * n + j] = s;
        }
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            double s = 0;
            for (int k = 0; k < n; k++)
                s += tmp[i * n + k] * J[j * n + k];
            out[i * n + j] = s;
        }
}

static int reject(registry *r, sg_errinfo *e, int code, const sg_measurement *in, const char *fmt,
                  double v)
{
    r->st.rejected++;
    char what[160];
    snprintf(what, sizeof what, fmt, v);
    if (in->sensor >= 0 && (size_t)in->sensor < r->n)
        return sg_err_set(e, code, "measurement from sensor \"%s\" at t=%.3f: %s",
                          r->s[in->sensor].id, in->t, what);
    return sg_err_set(e, code, "measurement from sensor %d at t=%.3f: %s", in->sensor, in->t, what);
}

static void record_presence(registry *r, const sg_measurement *m)
{
    const fusion_sensor *s = &r->s[m->sensor];
    rf_presence *p = NULL;
    for (size_t i = 0; i < r->npres && !p; i++) {
        rf_presence *q = &r->pres[i];
        if (q->sensor != m->sensor)
            continue;
        if (m->identity[0] ? strcmp(q->identity, m->identity) == 0
                           : (!q->identity[0] && strcmp(q->cls, m->cls) == 0))
            p = q;
    }
    if (!p) {
        if (r->npres == REGISTRY_MAX_PRESENCE) {
            size_t old = 0;
            for (size_t i = 1; i < r->npres; i++)
                if (r->pres[i].last_seen < r->pres[old].last_seen)
                    old = i;
            r->pres[old] = r->pres[--r->npres];
            r->st.rf_evicted++;
        }
        p = &r->pres[r->npres++];
        memset(p, 0, sizeof *p);
        p->id = r->next_pres_id++;
        p->sensor = m->sensor;
        memcpy(p->sensor_id, s->id, sizeof p->sensor_id);
        memcpy(p->identity, m->identity, sizeof p->identity);
        p->identity[SG_ID_LEN - 1] = 0;
        p->first_seen = m->t;
    }
    if (m->cls[0] && (m->cls_conf >= p->cls_conf || !p->cls[0])) {
        memcpy(p->cls, m->cls, sizeof p->cls);
        p->cls[SG_CLASS_LEN - 1] = 0;
        p->cls_conf = m->cls_conf;
    }
    if (m->t > p->last_seen)
        p->last_seen = m->t;
    if (m->fc_hz > 0 && isfinite(m->fc_hz)) {
        p->fc_hz = m->fc_hz;
        p->bw_hz = m->bw_hz > 0 && isfinite(m->bw_hz) ? m->bw_hz : 0;
    }
    p->expires = p->last_seen + s->stale_s;
    p->hits++;
    r->st.rf_presence++;
}

int registry_map(registry *r, const sg_measurement *in, sg_measurement *out, sg_errinfo *e)
{
    if (!r || !in || !out)
        return sg_err_set(e, SG_EINVAL, "registry_map: NULL argument");
    if (!isfinite(in->t))
        return reject(r, e, SG_EINVAL, in, "time is not finite (%g)", in->t);
    bool has_sensor = in->sensor >= 0 && (size_t)in->sensor < r->n;
    if (in->sensor != -1 && !has_sensor)
        return reject(r, e, SG_ENOTFOUND, in, "unknown sensor index (%g registered)", (double)r->n);
    int dim = sg_meas_dim(in->type);
    if ((int)in->type < 0 || in->type > SG_MEAS_RF_PRESENCE)
        return reject(r, e, SG_EINVAL, in, "unknown measurement type %g", (double)in->type);
    if (!all_finite(in->z, dim) || !all_finite(in->R, dim * dim))
        return reject(r, e, SG_EINVAL, in, "value or covariance is not finite", 0);
    if (in->has_vel && !all_finite(in->vel_enu, 3))
        return reject(r, e, SG_EINVAL, in, "velocity is not finite", 0);
    if (!(in->cls_conf >= 0 && in->cls_conf <= 1))
        return reject(r, e, SG_ERANGE, in, "cls_conf must be in [0, 1], got %g", in->cls_conf);
    if (in->type != SG_MEAS_POS_WGS84 && in->type != SG_MEAS_POS_ENU && !has_sensor)
        return reject(r, e, SG_EINVAL, in, "bearing / presence measurements need a sensor", 0);
    const fusion_sensor *s = has_sensor ? &r->s[in->sensor] : NULL;
    for (int i = 0; i < dim; i++)
        if (in->R[i * dim + i] < 0)
            return reject(r, e, SG_ERANGE, in, "negative variance %g", in->R[i * dim + i]);

    sg_measurement m = *in;
    switch (in->type) {
    case SG_MEAS_POS_WGS84: {
        double lat = in->z[0], lon = in->z[1], h = in->z[2];
        if (fabs(lat) > PI / 2 || fabs(lon) > 2 * PI)
            return reject(r, e, SG_ERANGE, in, "lat/lon out of range (lat %g deg)", lat / GEO_DEG);
        if (h < -1000 || h > 1e5)
            return reject(r, e, SG_ERANGE, in, "altitude %g m out of range", h);
        double R[9];
        if (all_zero(in->R, 3)) {
            if (!s)
                return reject(r, e, SG_EINVAL, in, "no covariance and no sensor default", 0);
            memset(R, 0, sizeof R);
            R[0] = R[4] = s->pos_sd_h * s->pos_sd_h;
            R[8] = s->pos_sd_v * s->pos_sd_v;
        } else {
            memcpy(R, in->R, sizeof R);
        }
        double c[9];
        geo_frame_rot_from_local(&r->f, lat, lon, c);
        geo_frame_to_enu(&r->f, lat, lon, h, m.z);
        congruence(c, R, m.R, 3);
        if (in->has_vel)
            for (int i = 0; i < 3; i++)
                m.vel_enu[i] = c[3 * i] * in->vel_enu[0] + c[3 * i + 1] * in->vel_enu[1] +
                               c[3 * i + 2] * in->vel_enu[2];
        m.type = SG_MEAS_POS_ENU;
        break;
    }
    case SG_MEAS_POS_ENU:
        if (all_zero(in->R, 3)) {
            if (!s)
                return reject(r, e, SG_EINVAL, in, "no covariance and no sensor default", 0);
            memset(m.R, 0, sizeof m.R);
            m.R[0] = m.R[4] = s->pos_sd_h * s->pos_sd_h;
            m.R[8] = s->pos_sd_v * s->pos_sd_v;
        }
        break;
    case SG_MEAS_BEARING:
    case SG_MEAS_RANGE_BEARING: {
        int off = in->type == SG_MEAS_RANGE_BEARING; /* index of az in z */
        if (off && !(in->z[0] > 0))
            return reject(r, e, SG_ERANGE, in, "range must be > 0, got %g", in->z[0]);
        double az = in->z[off], el = in->z[off + 1];
        if (fabs(el) > PI / 2 || fabs(az) > 2 * PI)
            return reject(r, e, SG_ERANGE, in, "az/el out of range (el %g deg)", el / GEO_DEG);
        double R[9] = {0};
        if (all_zero(in->R, dim)) {
            if (off) {
                R[0] = s->range_sd * s->range_sd;
                R[4] = R[8] = s->bearing_sd * s->bearing_sd;
            } else {
                R[0] = R[3] = s->bearing_sd * s->bearing_sd;
            }
        } else {
            memcpy(R, in->R, (size_t)(dim * dim) * sizeof R[0]);
        }
        memcpy(m.sensor_enu, r->enu[in->sensor], sizeof m.sensor_enu);
        memcpy(m.R, R, sizeof m.R);
        if (s->body_bearings) {
            /* A little slack over the half-FOV for detections at the image edge. */
            if (s->hfov > 0 && fabs(remainder(az, 2 * PI)) > 0.5 * s->hfov * 1.05)
                return reject(r, e, SG_ERANGE, in, "azimuth %g deg outside the camera's field of view",
                              remainder(az, 2 * PI) / GEO_DEG);
            if (s->vfov > 0 && fabs(el) > 0.5 * s->vfov * 1.05)
                return reject(r, e, SG_ERANGE, in,
                              "elevation %g deg outside the camera's field of view", el / GEO_DEG);
            double taz, tel;
            body_dir(r, (size_t)in->sensor, az, el, &taz, &tel);
            /* Covariance through the rotation's Jacobian (numerical, central
             * differences); near the zenith azimuth is ill-conditioned and its
             * variance grows as it should. */
            const double h = 1e-6;
            double J2[4];
            for (int k = 0; k < 2; k++) {
                double a1, e1, a2, e2;
                body_dir(r, (size_t)in->sensor, az + (k == 0 ? h : 0), el + (k == 1 ? h : 0), &a1, &e1);
                body_dir(r, (size_t)in->sensor, az - (k == 0 ? h : 0), el - (k == 1 ? h : 0), &a2, &e2);
                J2[k] = remainder(a1 - a2, 2 * PI) / (2 * h);
                J2[2 + k] = (e1 - e2) / (2 * h);
            }
            if (off) {
                double J3[9] = {1, 0, 0, 0, J2[0], J2[1], 0, J2[2], J2[3]};
                congruence(J3, R, m.R, 3);
            } else {
                congruence(J2, R, m.R, 2);
            }
            m.z[off] = taz;
            m.z[off + 1] = tel;
        }
        break;
    }
    case SG_MEAS_RF_PRESENCE:
        record_presence(r, in);
        break;
    }
    r->st.mapped++;
    *out = m;
    return SG_OK;
}

static void expire(registry *r, double t)
{
    for (size_t i = 0; i < r->npres;) {
        if (t > r->pres[i].expires) {
            r->pres[i] = r->pres[--r->npres];
            r->st.rf_expired++;
        } else {
            i++;
        }
    }
}

static void bind(registry *r, rf_presence *p, sg_track *tr)
{
    p->attached = true;
    p->track_id = tr->id;
    if (!tr->identity[0] && p->identity[0])
        memcpy(tr->identity, p->identity, sizeof tr->identity);
    if (p->cls[0] && (!tr->cls[0] || p->cls_conf > tr->cls_conf)) {
        memcpy(tr->cls, p->cls, sizeof tr->cls);
        tr->cls_conf = p->cls_conf;
    }
    bool have = false;
    for (int k = 0; k < tr->n_sensors && k < SG_MAX_TRACK_SENSORS; k++)
        have = have || tr->sensors[k] == p->sensor;
    if (!have && tr->n_sensors >= 0 && tr->n_sensors < SG_MAX_TRACK_SENSORS)
        tr->sensors[tr->n_sensors++] = p->sensor;
    (void)r;
}

size_t registry_rf_attach(registry *r, double t, sg_track *tracks, size_t n)
{
    expire(r, t);
    size_t attached = 0;
    for (size_t i = 0; i < r->npres; i++) {
        rf_presence *p = &r->pres[i];
        p->attached = false;
        sg_track *match = NULL;
        if (p->identity[0])
            for (size_t k = 0; k < n && !match; k++)
                if (tracks[k].status != SG_TRACK_DELETED && strcmp(tracks[k].identity, p->identity) == 0)
                    match = &tracks[k];
        if (!match) {
            /* The only plausible track within hearing range that lacks what we know. */
            const fusion_sensor *s = &r->s[p->sensor];
            size_t cands = 0;
            sg_track *cand = NULL;
            for (size_t k = 0; k < n; k++) {
                sg_track *tr = &tracks[k];
                if (tr->status == SG_TRACK_DELETED)
                    continue;
                if (p->identity[0] ? tr->identity[0] != 0 : tr->cls[0] != 0)
                    continue;
                double d[3] = {tr->x[0] - r->enu[p->sensor][0], tr->x[1] - r->enu[p->sensor][1],
                               tr->x[2] - r->enu[p->sensor][2]};
                double dist = sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
                if (s->rf_range_m > 0 && !(dist <= s->rf_range_m))
                    continue;
                cands++;
                cand = tr;
            }
            if (cands == 1)
                match = cand;
        }
        if (match) {
            bind(r, p, match);
            attached++;
        }
    }
    return attached;
}

size_t registry_rf_picture(const registry *r, double t, bool with_attached, rf_presence *out,
                           size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < r->npres; i++) {
        const rf_presence *p = &r->pres[i];
        if ((p->attached && !with_attached) || t > p->expires)
            continue;
        if (n < cap)
            out[n] = *p;
        n++;
    }
    return n;
}

void registry_get_stats(const registry *r, registry_stats *s)
{
    *s = r->st;
}
