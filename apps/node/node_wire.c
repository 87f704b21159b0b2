/* The node wire format (see node_wire.h, docs/nodes.md): explicit little-endian
 * packing so the layout does not depend on the compiler or the machine. */
#include "node_wire.h"

#include <math.h>
#include <string.h>

typedef struct {
    uint8_t *p;
    size_t n, cap;
    bool over;
} wbuf;

static void put(wbuf *w, const void *src, size_t len)
{
    if (w->over || w->n + len > w->cap) {
        w->over = true;
        return;
    }
    memcpy(w->p + w->n, src, len);
    w->n += len;
}

static void put_u8(wbuf *w, uint8_t v) { put(w, &v, 1); }

static void put_le(wbuf *w, uint64_t v, int bytes)
{
    uint8_t b[8];
    for (int i = 0; i < bytes; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    put(w, b, (size_t)bytes);
}

static void put_f64(wbuf *w, double v)
{
    uint64_t u;
    memcpy(&u, &v, 8);
    put_le(w, u, 8);
}

static void put_f32(wbuf *w, double v)
{
    float f = (float)v;
    uint32_t u;
    memcpy(&u, &f, 4);
    put_le(w, u, 4);
}

static void put_var(wbuf *w, uint64_t v)
{
    do {
        uint8_t b = v & 0x7f;
        v >>= 7;
        put_u8(w, (uint8_t)(b | (v ? 0x80 : 0)));
    } while (v);
}

static void put_str(wbuf *w, const char *s, size_t maxlen)
{
    size_t n = strnlen(s, maxlen - 1);
    put_u8(w, (uint8_t)n);
    put(w, s, n);
}

typedef struct {
    const uint8_t *p;
    size_t n, at;
    const char *bad;           /* first problem, NULL = fine */
} rbuf;

static const uint8_t *get(rbuf *r, size_t len)
{
    if (r->bad || r->at + len > r->n) {
        if (!r->bad)
            r->bad = "truncated";
        return NULL;
    }
    const uint8_t *q = r->p + r->at;
    r->at += len;
    return q;
}

static uint64_t get_le(rbuf *r, int bytes)
{
    const uint8_t *q = get(r, (size_t)bytes);
    uint64_t v = 0;
    for (int i = 0; q && i < bytes; i++)
        v |= (uint64_t)q[i] << (8 * i);
    return v;
}

static uint8_t get_u8(rbuf *r) { return (uint8_t)get_le(r, 1); }

static double get_f64(rbuf *r)
{
    uint64_t u = get_le(r, 8);
    double v;
    memcpy(&v, &u, 8);
    return v;
}

static double get_f32(rbuf *r)
{
    uint32_t u = (uint32_t)get_le(r, 4);
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static uint64_t get_var(rbuf *r)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        uint8_t b = get_u8(r);
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return v;
    }
    if (!r->bad)
        r->bad = "varint too long";
    return 0;
}

static void get_str(rbuf *r, char *out, size_t cap)
{
    size_t n = get_u8(r);
    const uint8_t *q = get(r, n);
    out[0] = '\0';
    if (!q)
        return;
    if (n >= cap || memchr(q, 0, n)) {
        if (!r->bad)
            r->bad = "bad string";
        return;
    }
    memcpy(out, q, n);
    out[n] = '\0';
}

static void put_header(wbuf *w, const nw_header *h, nw_kind kind)
{
    put_u8(w, NW_MAGIC);
    put_u8(w, NW_VERSION);
    put_u8(w, (uint8_t)kind);
    put_u8(w, h->flags);
    put_le(w, (uint64_t)(h->sensor < 0 ? 0 : h->sensor), 2);
    put_le(w, h->session, 4);
    put_le(w, h->seq, 4);
    put_f64(w, h->t);
    put_f64(w, h->sent);
    put_f32(w, h->age_ms);
}

/* Measurement flags (first body byte after the type). */
enum { MF_VEL = 1, MF_OPERATOR = 2, MF_RF = 4, MF_T = 8, MF_BAND = 16, MF_RID = 32, MF_DJI = 64,
       MF_BURSTS = 128 };

/* Remote ID details (sg_rid_info, version 2): the enumerations as bytes, heights,
 * accuracies and the Location time as float32 (the protocol quantises them far coarser
 * than float32's 24 bits), the System time as float64, Self-ID and operator ID as
 * strings. */
static void put_rid(wbuf *w, const sg_rid_info *r)
{
    const uint8_t b[] = {r->proto_version, r->id_type, r->ua_type, r->status, r->height_type,
                         r->classification, r->category_eu, r->class_eu, r->op_loc_type,
                         r->self_id_type, r->auth, r->auth_type};
    put(w, b, sizeof b);
    const double f[] = {r->height_m, r->alt_baro_m, r->h_acc_m, r->v_acc_m, r->baro_acc_m,
                        r->speed_acc_mps, r->loc_time_s, r->loc_time_acc_s};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        put_f32(w, f[i]);
    put_f64(w, r->system_time);
    put_str(w, r->self_id, sizeof r->self_id);
    put_str(w, r->operator_id, sizeof r->operator_id);
}

static void get_rid(rbuf *r, sg_rid_info *o)
{
    uint8_t *b[] = {&o->proto_version, &o->id_type, &o->ua_type, &o->status, &o->height_type,
                    &o->classification, &o->category_eu, &o->class_eu, &o->op_loc_type,
                    &o->self_id_type, &o->auth, &o->auth_type};
    for (size_t i = 0; i < sizeof b / sizeof b[0]; i++)
        *b[i] = get_u8(r);
    double *f[] = {&o->height_m, &o->alt_baro_m, &o->h_acc_m, &o->v_acc_m, &o->baro_acc_m,
                   &o->speed_acc_mps, &o->loc_time_s, &o->loc_time_acc_s};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        *f[i] = get_f32(r);
    o->system_time = get_f64(r);
    get_str(r, o->self_id, sizeof o->self_id);
    get_str(r, o->operator_id, sizeof o->operator_id);
    if (!r->bad && (o->height_type > 1 || o->auth > SG_RID_AUTH_FAILED))
        r->bad = "remote ID height reference or authentication state out of range";
    o->valid = true;
}

/* DroneID details (sg_droneid_info, version 2): the decoded state bits, has_home and
 * has_pilot in one u16 (DB_*), heights, velocities and yaw as float32 (sent in cm, cm/s
 * and 0.01 degree), home and pilot positions (only when set) and the app time as
 * float64, then UUID, product code and product name. */
enum { DB_COUNT = 14 };

static void dji_bits(sg_droneid_info *d, bool *out[DB_COUNT])
{
    bool *const b[DB_COUNT] = {&d->serial_valid, &d->privacy_on, &d->home_set, &d->uuid_set,
                               &d->motor_on, &d->in_air, &d->gps_valid, &d->alt_valid,
                               &d->height_valid, &d->hvel_valid, &d->vup_valid, &d->att_valid,
                               &d->has_home, &d->has_pilot};
    memcpy(out, b, sizeof b);
}

static void put_dji(wbuf *w, const sg_droneid_info *d)
{
    sg_droneid_info c = *d;
    bool *b[DB_COUNT];
    dji_bits(&c, b);
    uint16_t bits = 0;
    for (int i = 0; i < DB_COUNT; i++)
        bits |= (uint16_t)(*b[i] ? 1u << i : 0);
    put_u8(w, d->msg_type);
    put_u8(w, d->nsym);
    put_u8(w, d->version);
    put_le(w, d->seq, 2);
    put_le(w, d->state, 2);
    put_le(w, bits, 2);
    const double f[] = {d->height_m, d->altitude_m, d->v_east, d->v_north, d->v_up, d->yaw_deg};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        put_f32(w, f[i]);
    if (d->has_home) {
        put_f64(w, d->home_lat);
        put_f64(w, d->home_lon);
    }
    if (d->has_pilot) {
        put_f64(w, d->pilot_lat);
        put_f64(w, d->pilot_lon);
    }
    put_f64(w, d->app_time);
    put_str(w, d->uuid, sizeof d->uuid);
    put_u8(w, d->product);
    put_str(w, d->product_name, sizeof d->product_name);
}

static bool latlon_ok(double lat, double lon)
{
    return fabs(lat) <= M_PI / 2 && fabs(lon) <= M_PI; /* false for NaN */
}

static void get_dji(rbuf *r, sg_droneid_info *d)
{
    d->msg_type = get_u8(r);
    d->nsym = get_u8(r);
    d->version = get_u8(r);
    d->seq = (uint16_t)get_le(r, 2);
    d->state = (uint16_t)get_le(r, 2);
    uint16_t bits = (uint16_t)get_le(r, 2);
    if (!r->bad && bits >> DB_COUNT)
        r->bad = "DroneID flags with undefined bits";
    bool *b[DB_COUNT];
    dji_bits(d, b);
    for (int i = 0; i < DB_COUNT; i++)
        *b[i] = bits >> i & 1;
    double *f[] = {&d->height_m, &d->altitude_m, &d->v_east, &d->v_north, &d->v_up, &d->yaw_deg};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        *f[i] = get_f32(r);
    if (d->has_home) {
        d->home_lat = get_f64(r);
        d->home_lon = get_f64(r);
        if (!r->bad && !latlon_ok(d->home_lat, d->home_lon))
            r->bad = "DroneID home position out of range";
    }
    if (d->has_pilot) {
        d->pilot_lat = get_f64(r);
        d->pilot_lon = get_f64(r);
        if (!r->bad && !latlon_ok(d->pilot_lat, d->pilot_lon))
            r->bad = "DroneID pilot position out of range";
    }
    d->app_time = get_f64(r);
    get_str(r, d->uuid, sizeof d->uuid);
    d->product = get_u8(r);
    get_str(r, d->product_name, sizeof d->product_name);
    d->valid = true;
}

static void put_meas(wbuf *w, const nl_event *ev)
{
    const sg_measurement *m = &ev->m;
    int dim = sg_meas_dim(m->type);
    uint8_t f = (m->has_vel ? MF_VEL : 0) | (m->has_operator ? MF_OPERATOR : 0) |
                (ev->fc != 0 || ev->bw != 0 ? MF_RF : 0) | (m->t != ev->t ? MF_T : 0) |
                (m->fc_hz != 0 || m->bw_hz != 0 ? MF_BAND : 0) | (m->rid.valid ? MF_RID : 0) |
                (m->droneid.valid ? MF_DJI : 0) |
                (m->n_bursts ? MF_BURSTS : 0);
    put_u8(w, (uint8_t)m->type);
    put_u8(w, f);
    if (f & MF_T)
        put_f64(w, m->t);
    for (int i = 0; i < dim; i++)
        put_f64(w, m->z[i]);
    for (int i = 0; i < dim; i++) /* upper triangle of the symmetric covariance */
        for (int j = i; j < dim; j++)
            put_f32(w, m->R[i * dim + j]);
    if (f & MF_VEL)
        for (int i = 0; i < 3; i++)
            put_f32(w, m->vel_enu[i]);
    put_f32(w, m->cls_conf);
    put_str(w, m->cls, sizeof m->cls);
    put_str(w, m->identity, sizeof m->identity);
    if (f & MF_OPERATOR) {
        put_f64(w, m->operator_lat);
        put_f64(w, m->operator_lon);
        put_f32(w, m->operator_alt);
    }
    if (f & MF_RF) {
        put_f64(w, ev->fc);
        put_f64(w, ev->bw);
    }
    if (f & MF_BAND) {
        put_f64(w, m->fc_hz);
        put_f64(w, m->bw_hz);
    }
    if (f & MF_RID)
        put_rid(w, &m->rid);
    if (f & MF_DJI)
        put_dji(w, &m->droneid);
    if (f & MF_BURSTS) {
        unsigned n = m->n_bursts < SG_MEAS_BURSTS ? m->n_bursts : SG_MEAS_BURSTS;
        put_u8(w, (uint8_t)n);
        for (unsigned i = 0; i < n; i++) {
            put_f64(w, m->burst_t[i]);
            put_f64(w, m->burst_fc[i]);
        }
    }
    put_f64(w, ev->first_t);
    put_f32(w, ev->t_end - ev->t);
}

static void get_meas(rbuf *r, nl_event *ev)
{
    sg_measurement *m = &ev->m;
    uint8_t type = get_u8(r), f = get_u8(r);
    if (type > SG_MEAS_RF_PRESENCE) {
        r->bad = "unknown measurement type";
        return;
    }
    m->type = (sg_meas_type)type;
    m->sensor = ev->sensor;
    m->t = (f & MF_T) ? get_f64(r) : ev->t;
    int dim = sg_meas_dim(m->type);
    for (int i = 0; i < dim; i++)
        m->z[i] = get_f64(r);
    for (int i = 0; i < dim; i++)
        for (int j = i; j < dim; j++)
            m->R[i * dim + j] = m->R[j * dim + i] = get_f32(r);
    m->has_vel = f & MF_VEL;
    if (m->has_vel)
        for (int i = 0; i < 3; i++)
            m->vel_enu[i] = get_f32(r);
    m->cls_conf = get_f32(r);
    get_str(r, m->cls, sizeof m->cls);
    get_str(r, m->identity, sizeof m->identity);
    m->has_operator = f & MF_OPERATOR;
    if (m->has_operator) {
        m->operator_lat = get_f64(r);
        m->operator_lon = get_f64(r);
        m->operator_alt = get_f32(r);
    }
    ev->fc = ev->bw = 0;
    if (f & MF_RF) {
        ev->fc = get_f64(r);
        ev->bw = get_f64(r);
    }
    if (f & MF_BAND) {
        m->fc_hz = get_f64(r);
        m->bw_hz = get_f64(r);
    }
    if (f & MF_RID)
        get_rid(r, &m->rid);
    if (f & MF_DJI)
        get_dji(r, &m->droneid);
    m->n_bursts = 0;
    if (f & MF_BURSTS) {
        unsigned n = get_u8(r);
        if (n < 1 || n > SG_MEAS_BURSTS) {
            r->bad = "bad burst count";
            return;
        }
        for (unsigned i = 0; i < n; i++) {
            m->burst_t[i] = get_f64(r);
            m->burst_fc[i] = get_f64(r);
        }
        m->n_bursts = n;
    }
    ev->first_t = get_f64(r);
    ev->t_end = ev->t + get_f32(r);
    bool finite = isfinite(m->t);
    for (int i = 0; i < dim; i++)
        finite = finite && isfinite(m->z[i]);
    for (int i = 0; i < dim * dim; i++)
        finite = finite && isfinite(m->R[i]);
    for (int i = 0; m->has_vel && i < 3; i++)
        finite = finite && isfinite(m->vel_enu[i]);
    if (!r->bad && !finite)
        r->bad = "non-finite time, value, covariance or velocity";
}

static void put_health(wbuf *w, const nl_health *h, double wall_first)
{
    put_var(w, h->groups);
    for (size_t i = 0; i < nl_n_counters; i++) /* node_link.c: the table's order */
        put_var(w, nl_counter_get(h, i));
    put_f32(w, h->fe_p50_ms);
    put_f32(w, h->fe_p99_ms);
    put_f32(w, h->progress);
    put_f64(w, h->t_first);
    put_f64(w, wall_first);
    if (h->groups & NL_H_SCAN) {
        put_var(w, h->scan_channels);
        put_var(w, h->scan_retunes);
        put_var(w, h->samples_settling);
        put_f64(w, h->scan_cycle_s);
        put_f64(w, h->scan_duty_min);
    }
}

static void get_health(rbuf *r, nl_health *h, double *wall_first)
{
    h->groups = (uint32_t)get_var(r);
    for (size_t i = 0; i < nl_n_counters; i++)
        nl_counter_set(h, i, get_var(r));
    h->fe_p50_ms = get_f32(r);
    h->fe_p99_ms = get_f32(r);
    h->progress = get_f32(r);
    h->t_first = get_f64(r);
    *wall_first = get_f64(r);
    if (h->groups & NL_H_SCAN) {
        h->scan_channels = (uint32_t)get_var(r);
        h->scan_retunes = get_var(r);
        h->samples_settling = get_var(r);
        h->scan_cycle_s = get_f64(r);
        h->scan_duty_min = get_f64(r);
    }
}

/* A scan report: t1 is the header's t; the tracker checks the angles again. */
static void put_scan(wbuf *w, const tracker_scan *s)
{
    put_u8(w, (uint8_t)s->cover);
    put_u8(w, s->detected_only ? 1 : 0);
    put_f64(w, s->t0);
    put_f64(w, s->az_center);
    put_f64(w, s->az_half);
    put_f64(w, s->el_min);
    put_f64(w, s->el_max);
    put_f64(w, s->range_max);
}

static void get_scan(rbuf *r, nl_event *ev)
{
    tracker_scan *s = &ev->scan;
    uint8_t cover = get_u8(r), flags = get_u8(r);
    s->t0 = get_f64(r);
    s->t1 = ev->t;
    s->az_center = get_f64(r);
    s->az_half = get_f64(r);
    s->el_min = get_f64(r);
    s->el_max = get_f64(r);
    s->range_max = get_f64(r);
    s->sensor = ev->sensor;
    s->detected_only = flags & 1;
    s->cover = (tracker_cover)cover;
    if (r->bad)
        return;
    if (cover > TRACKER_COVER_SECTOR)
        r->bad = "unknown coverage";
    else if (flags & ~1u)
        r->bad = "undefined scan flags";
    else if (!(s->t0 <= s->t1) || !isfinite(s->t0))
        r->bad = "scan start not finite or after its end";
    else if (cover == TRACKER_COVER_SECTOR &&
             !(fabs(s->az_center) <= 4 * M_PI && s->az_half >= 0 && s->az_half <= M_PI &&
               s->el_min >= -M_PI / 2 && s->el_max <= M_PI / 2 && s->el_min <= s->el_max &&
               s->range_max > 0 && isfinite(s->range_max)))
        r->bad = "scan sector out of range";
}

int nw_encode_event(uint8_t *buf, size_t cap, const nw_header *h, const nl_event *ev,
                    double h_wall_first)
{
    wbuf w = {.p = buf, .cap = cap < NW_MAX ? cap : NW_MAX};
    nw_header hb = *h; /* a batch's continuation is the event's own */
    if (ev->kind == NL_MEAS && ev->batch_more)
        hb.flags |= NW_HF_MORE;
    put_header(&w, &hb, nw_event_kind(ev->kind));
    switch (ev->kind) {
    case NL_MEAS:
        put_meas(&w, ev);
        break;
    case NL_TICK:
        break;
    case NL_DONE:
    case NL_NOTE:
        put_le(&w, (uint32_t)ev->rc, 4);
        put_str(&w, ev->err, sizeof ev->err);
        break;
    case NL_HEALTH:
        put_health(&w, &ev->h, h_wall_first);
        break;
    case NL_SCAN:
        put_scan(&w, &ev->scan);
        break;
    }
    return w.over ? SG_ERANGE : (int)w.n;
}

int nw_encode_ping(uint8_t *buf, size_t cap, const nw_header *h, const nw_ping *p)
{
    wbuf w = {.p = buf, .cap = cap < NW_MAX ? cap : NW_MAX};
    put_header(&w, h, h->kind);
    put_f64(&w, p->t1);
    if (h->kind == NW_PING) {
        put_f64(&w, p->floor);
    } else {
        put_f64(&w, p->t2);
        put_f64(&w, p->t3);
    }
    return w.over ? SG_ERANGE : (int)w.n;
}

int nw_encode_clock(uint8_t *buf, size_t cap, const nw_header *h)
{
    wbuf w = {.p = buf, .cap = cap < NW_MAX ? cap : NW_MAX};
    put_header(&w, h, h->kind == NW_ACK ? NW_ACK : NW_CLOCK);
    return w.over ? SG_ERANGE : (int)w.n;
}

int nw_decode_header(const uint8_t *buf, size_t n, nw_header *h, sg_errinfo *e)
{
    rbuf r = {.p = buf, .n = n};
    if (n < NW_HEADER || n > NW_MAX)
        return sg_err_set(e, SG_EFORMAT, "node message of %zu bytes (%d..%d)", n, NW_HEADER,
                          NW_MAX);
    uint8_t magic = get_u8(&r), ver = get_u8(&r), kind = get_u8(&r), flags = get_u8(&r);
    if (magic != NW_MAGIC)
        return sg_err_set(e, SG_EFORMAT, "not a skyguard node message (magic 0x%02x)", magic);
    if (ver != NW_VERSION)
        return sg_err_set(e, SG_EFORMAT, "node message version %u, this build speaks %d", ver,
                          NW_VERSION);
    if (kind >= NW_KIND_COUNT_)
        return sg_err_set(e, SG_EFORMAT, "unknown node message kind %u", kind);
    if (flags & ~(NW_HF_SYSCLOCK | NW_HF_MORE))
        return sg_err_set(e, SG_EFORMAT, "node message with undefined header flags 0x%02x", flags);
    h->kind = (nw_kind)kind;
    h->flags = flags;
    h->sensor = (int)get_le(&r, 2);
    h->session = (uint32_t)get_le(&r, 4);
    h->seq = (uint32_t)get_le(&r, 4);
    h->t = get_f64(&r);
    h->sent = get_f64(&r);
    h->age_ms = get_f32(&r);
    if (!isfinite(h->sent))
        return sg_err_set(e, SG_EFORMAT, "node message without a send time");
    if ((h->kind == NW_MEAS || h->kind == NW_TICK || h->kind == NW_SCAN) && !isfinite(h->t))
        return sg_err_set(e, SG_EFORMAT, "node event without a finite time");
    if (h->kind == NW_CLOCK && (isnan(h->t) || n != NW_HEADER))
        return sg_err_set(e, SG_EFORMAT, "node clock message malformed");
    if (h->kind == NW_ACK && n != NW_HEADER)
        return sg_err_set(e, SG_EFORMAT, "node ack message malformed");
    return SG_OK;
}

int nw_decode_event(const uint8_t *buf, size_t n, const nw_header *h, nl_event *ev,
                    double *h_wall_first, sg_errinfo *e)
{
    if (h->kind > NW_HEALTH && h->kind != NW_NOTE && h->kind != NW_SCAN)
        return sg_err_set(e, SG_EFORMAT, "node message kind %d is not an event", h->kind);
    memset(ev, 0, sizeof *ev);
    ev->kind = h->kind == NW_NOTE ? NL_NOTE : h->kind == NW_SCAN ? NL_SCAN : (nl_kind)h->kind;
    ev->sensor = h->sensor;
    ev->t = h->t;
    ev->sysclock = h->flags & NW_HF_SYSCLOCK;
    ev->batch_more = h->flags & NW_HF_MORE;
    *h_wall_first = NAN;
    rbuf r = {.p = buf, .n = n, .at = NW_HEADER};
    switch (ev->kind) {
    case NL_MEAS:
        get_meas(&r, ev);
        break;
    case NL_TICK:
        break;
    case NL_DONE:
    case NL_NOTE:
        ev->rc = (int)(int32_t)get_le(&r, 4);
        get_str(&r, ev->err, sizeof ev->err);
        break;
    case NL_HEALTH:
        get_health(&r, &ev->h, h_wall_first);
        break;
    case NL_SCAN:
        get_scan(&r, ev);
        break;
    }
    if (!r.bad && r.at != n)
        r.bad = "trailing bytes";
    if (r.bad)
        return sg_err_set(e, SG_EFORMAT, "node %s message: %s", ev->kind == NL_MEAS ? "measurement"
                          : ev->kind == NL_HEALTH ? "health" : ev->kind == NL_NOTE ? "note"
                          : ev->kind == NL_SCAN ? "scan" : "event", r.bad);
    return SG_OK;
}

int nw_decode_ping(const uint8_t *buf, size_t n, const nw_header *h, nw_ping *p, sg_errinfo *e)
{
    rbuf r = {.p = buf, .n = n, .at = NW_HEADER};
    if (h->kind != NW_PING && h->kind != NW_PONG)
        return sg_err_set(e, SG_EFORMAT, "node message kind %d is not a ping", h->kind);
    memset(p, 0, sizeof *p);
    p->floor = INFINITY;
    p->t1 = get_f64(&r);
    if (h->kind == NW_PING) {
        p->floor = get_f64(&r);
    } else {
        p->t2 = get_f64(&r);
        p->t3 = get_f64(&r);
    }
    if (!r.bad && r.at != n)
        r.bad = "trailing bytes";
    if (!r.bad && !(isfinite(p->t1) && (h->kind == NW_PING || (isfinite(p->t2) && isfinite(p->t3)))))
        r.bad = "non-finite clock";
    if (r.bad)
        return sg_err_set(e, SG_EFORMAT, "node %s: %s", h->kind == NW_PING ? "ping" : "pong", r.bad);
    return SG_OK;
}
