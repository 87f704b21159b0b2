/* ASTM F3411 Remote ID codec, aircraft merge and measurement conversion (see odid.h).
 *
 * Field encodings follow F3411-22a: little-endian integers, lat/lon int32 in 1e-7 deg,
 * altitudes uint16 in 0.5 m steps offset by -1000 m (0 = unknown), speed in 0.25 m/s
 * steps with a x3 multiplier above 63.75 m/s (255 = unknown), direction 0..179 plus an
 * east/west bit (361 = unknown), vertical speed int8 in 0.5 m/s (63 m/s = unknown),
 * timestamps in 0.1 s after the hour (0xFFFF = unknown). Decoding checks each value
 * against its range, so corrupt frames are rejected rather than tracked. */
#include "odid.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DEG2RAD (M_PI / 180.0)
#define EARTH_R 6371008.8 /* m, mean radius: small-sigma conversion m -> rad */

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static void wr16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void wr32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* ---- field encodings ------------------------------------------------------------ */

static double dec_alt(uint16_t v) { return v == 0 ? NAN : v * 0.5 - 1000.0; }

static int enc_alt(double m, uint16_t *out)
{
    if (isnan(m)) {
        *out = 0;
        return SG_OK;
    }
    double v = round((m + 1000.0) * 2.0);
    if (!(v >= 1.0 && v <= 65535.0))
        return SG_ERANGE;
    *out = (uint16_t)v;
    return SG_OK;
}

/* lat/lon: 0 on air means unknown; a valid fix is never exactly on both 0 lines. */
static int dec_latlon(uint32_t rlat, uint32_t rlon, double *lat, double *lon)
{
    int32_t la = (int32_t)rlat, lo = (int32_t)rlon;
    if (la == 0 || lo == 0) {
        *lat = *lon = NAN;
        return SG_OK;
    }
    *lat = la * 1e-7;
    *lon = lo * 1e-7;
    if (fabs(*lat) > 90.0 || fabs(*lon) > 180.0)
        return SG_ERANGE;
    return SG_OK;
}

static int enc_latlon(double lat, double lon, uint32_t *rlat, uint32_t *rlon)
{
    if (isnan(lat) || isnan(lon)) {
        *rlat = *rlon = 0;
        return SG_OK;
    }
    if (!(fabs(lat) <= 90.0 && fabs(lon) <= 180.0))
        return SG_ERANGE;
    *rlat = (uint32_t)(int32_t)lround(lat * 1e7);
    *rlon = (uint32_t)(int32_t)lround(lon * 1e7);
    if (*rlat == 0 || *rlon == 0) /* would read back as unknown */
        return SG_ERANGE;
    return SG_OK;
}

static const double h_acc_tab[13] = {NAN, 18520, 7408, 3704, 1852, 926, 555.6, 185.2, 92.6,
                                     30, 10, 3, 1};
static const double v_acc_tab[7] = {NAN, 150, 45, 25, 10, 3, 1};
static const double s_acc_tab[5] = {NAN, 10, 3, 1, 0.3};

double odid_h_acc_m(uint8_t c) { return c < 13 ? h_acc_tab[c] : NAN; }
double odid_v_acc_m(uint8_t c) { return c < 7 ? v_acc_tab[c] : NAN; }
double odid_speed_acc_ms(uint8_t c) { return c < 5 ? s_acc_tab[c] : NAN; }

const char *odid_msg_type_name(int t)
{
    switch (t) {
    case ODID_MT_BASIC_ID: return "basic_id";
    case ODID_MT_LOCATION: return "location";
    case ODID_MT_AUTH: return "auth";
    case ODID_MT_SELF_ID: return "self_id";
    case ODID_MT_SYSTEM: return "system";
    case ODID_MT_OPERATOR_ID: return "operator_id";
    case ODID_MT_PACK: return "pack";
    default: return "unknown";
    }
}

/* Copies a fixed-width, NUL-padded text field; stops at the first NUL. Non-printable
 * bytes are replaced by '?' so downstream JSON/log output stays clean. */
static void get_text(char *dst, const uint8_t *src, size_t n)
{
    size_t i = 0;
    for (; i < n && src[i]; i++)
        dst[i] = (src[i] >= 0x20 && src[i] < 0x7f) ? (char)src[i] : '?';
    dst[i] = '\0';
}

static void put_text(uint8_t *dst, const char *src, size_t n)
{
    size_t l = strnlen(src, n);
    memcpy(dst, src, l);
    memset(dst + l, 0, n - l);
}

/* ---- decode --------------------------------------------------------------------- */

static int dec_location(const uint8_t *b, odid_location *L)
{
    L->status = b[1] >> 4;
    L->height_type = (b[1] >> 2) & 1;
    int ew = (b[1] >> 1) & 1, mult = b[1] & 1;
    int dir = b[2] + (ew ? 180 : 0);
    if (dir == 361)
        L->direction_deg = NAN;
    else if (b[2] < 180)
        L->direction_deg = dir;
    else
        return SG_ERANGE;
    if (b[3] == 255)
        L->speed_h = NAN;
    else
        L->speed_h = mult ? b[3] * 0.75 + 63.75 : b[3] * 0.25;
    int8_t vs = (int8_t)b[4];
    if (vs == 126)
        L->speed_v = NAN;
    else if (vs >= -124 && vs <= 124)
        L->speed_v = vs * 0.5;
    else
        return SG_ERANGE;
    int rc = dec_latlon(rd32(b + 5), rd32(b + 9), &L->lat_deg, &L->lon_deg);
    if (rc)
        return rc;
    L->alt_baro = dec_alt(rd16(b + 13));
    L->alt_geo = dec_alt(rd16(b + 15));
    L->height = dec_alt(rd16(b + 17));
    L->v_acc = b[19] >> 4;
    L->h_acc = b[19] & 15;
    L->baro_acc = b[20] >> 4;
    L->speed_acc = b[20] & 15;
    uint16_t ts = rd16(b + 21);
    if (ts == 0xFFFF)
        L->timestamp_s = NAN;
    else if (ts <= 36000)
        L->timestamp_s = ts * 0.1;
    else
        return SG_ERANGE;
    int tsa = b[23] & 15;
    L->timestamp_acc_s = tsa ? tsa * 0.1 : NAN;
    return SG_OK;
}

static int dec_auth(const uint8_t *b, odid_auth *A)
{
    A->auth_type = b[1] >> 4;
    A->page = b[1] & 15;
    if (A->page == 0) {
        A->last_page = b[2];
        A->length = b[3];
        if (A->last_page >= ODID_AUTH_MAX_PAGES)
            return SG_ERANGE;
        /* total length must fit the announced pages: 17 bytes on page 0, 23 after */
        if (A->length > 17 + 23 * A->last_page)
            return SG_ERANGE;
        uint32_t ts = rd32(b + 4);
        A->timestamp = ts ? ODID_EPOCH_2019 + ts : NAN;
        A->data_len = 17;
        memcpy(A->data, b + 8, 17);
    } else {
        A->last_page = 0;
        A->length = 0;
        A->timestamp = NAN;
        A->data_len = 23;
        memcpy(A->data, b + 2, 23);
    }
    return SG_OK;
}

static int dec_system(const uint8_t *b, odid_system *S)
{
    S->op_loc_type = b[1] & 3;
    S->class_type = (b[1] >> 2) & 7;
    if (S->op_loc_type > 2)
        return SG_ERANGE;
    int rc = dec_latlon(rd32(b + 2), rd32(b + 6), &S->op_lat_deg, &S->op_lon_deg);
    if (rc)
        return rc;
    S->area_count = rd16(b + 10);
    S->area_radius_m = b[12] * 10.0;
    S->area_ceiling = dec_alt(rd16(b + 13));
    S->area_floor = dec_alt(rd16(b + 15));
    S->category_eu = b[17] >> 4;
    S->class_eu = b[17] & 15;
    S->op_alt_geo = dec_alt(rd16(b + 18));
    uint32_t ts = rd32(b + 20);
    S->timestamp = ts ? ODID_EPOCH_2019 + ts : NAN;
    return SG_OK;
}

int odid_decode_message(const uint8_t *b, size_t len, odid_message *m)
{
    if (!b || !m)
        return SG_EINVAL;
    if (len < ODID_MSG_SIZE)
        return SG_ETRUNC;
    memset(m, 0, sizeof *m);
    m->type = b[0] >> 4;
    m->proto_version = b[0] & 15;
    if (m->proto_version > ODID_PROTO_MAX)
        return SG_ENOTSUP;
    switch (m->type) {
    case ODID_MT_BASIC_ID:
        m->u.basic_id.id_type = b[1] >> 4;
        m->u.basic_id.ua_type = b[1] & 15;
        get_text(m->u.basic_id.uas_id, b + 2, ODID_ID_LEN);
        return SG_OK;
    case ODID_MT_LOCATION:
        return dec_location(b, &m->u.location);
    case ODID_MT_AUTH:
        return dec_auth(b, &m->u.auth);
    case ODID_MT_SELF_ID:
        m->u.self_id.desc_type = b[1];
        get_text(m->u.self_id.text, b + 2, ODID_STR_LEN);
        return SG_OK;
    case ODID_MT_SYSTEM:
        return dec_system(b, &m->u.system);
    case ODID_MT_OPERATOR_ID:
        m->u.operator_id.op_id_type = b[1];
        get_text(m->u.operator_id.op_id, b + 2, ODID_ID_LEN);
        return SG_OK;
    default:
        return SG_ENOTSUP; /* a pack here is handled by odid_decode_pack */
    }
}

int odid_decode_pack(const uint8_t *b, size_t len, odid_message *out, int cap, int *n)
{
    if (!b || !n || (cap > 0 && !out))
        return SG_EINVAL;
    *n = 0;
    if (len < ODID_PACK_HDR)
        return SG_ETRUNC;
    if ((b[0] >> 4) != ODID_MT_PACK)
        return SG_EFORMAT;
    if ((b[0] & 15) > ODID_PROTO_MAX)
        return SG_ENOTSUP;
    if (b[1] != ODID_MSG_SIZE)
        return SG_EFORMAT;
    int count = b[2];
    if (count < 1 || count > ODID_PACK_MAX)
        return SG_EFORMAT;
    if (len < ODID_PACK_HDR + (size_t)count * ODID_MSG_SIZE)
        return SG_ETRUNC;
    if (count > cap)
        return SG_EOVERFLOW;
    for (int i = 0; i < count; i++) {
        const uint8_t *p = b + ODID_PACK_HDR + (size_t)i * ODID_MSG_SIZE;
        if ((p[0] >> 4) == ODID_MT_PACK)
            return SG_EFORMAT;
        int rc = odid_decode_message(p, ODID_MSG_SIZE, &out[i]);
        if (rc)
            return rc;
    }
    *n = count;
    return SG_OK;
}

/* ---- encode --------------------------------------------------------------------- */

void odid_message_init(odid_message *m, odid_msg_type type)
{
    memset(m, 0, sizeof *m);
    m->type = (uint8_t)type;
    m->proto_version = ODID_PROTO_MAX;
    if (type == ODID_MT_LOCATION) {
        odid_location *L = &m->u.location;
        L->direction_deg = L->speed_h = L->speed_v = NAN;
        L->lat_deg = L->lon_deg = L->alt_baro = L->alt_geo = L->height = NAN;
        L->timestamp_s = L->timestamp_acc_s = NAN;
    } else if (type == ODID_MT_SYSTEM) {
        odid_system *S = &m->u.system;
        S->op_lat_deg = S->op_lon_deg = S->area_ceiling = S->area_floor = NAN;
        S->op_alt_geo = S->timestamp = NAN;
        S->area_count = 1;
    } else if (type == ODID_MT_AUTH) {
        m->u.auth.timestamp = NAN;
    }
}

static int enc_location(const odid_location *L, uint8_t *b)
{
    int rc;
    if (L->status > 15 || L->height_type > 1)
        return SG_ERANGE;
    int ew = 0, dir = 181; /* 361 = unknown: 181 with the west bit */
    if (isnan(L->direction_deg)) {
        ew = 1;
    } else {
        if (!(L->direction_deg >= 0.0 && L->direction_deg < 360.0))
            return SG_ERANGE;
        dir = (int)lround(L->direction_deg) % 360;
        if (dir >= 180) {
            ew = 1;
            dir -= 180;
        }
    }
    int mult = 0, sp = 255;
    if (!isnan(L->speed_h)) {
        if (!(L->speed_h >= 0.0 && L->speed_h <= 254.25))
            return SG_ERANGE;
        if (L->speed_h <= 63.5) {
            sp = (int)lround(L->speed_h / 0.25);
        } else {
            mult = 1;
            sp = (int)lround((L->speed_h - 63.75) / 0.75);
            if (sp < 0)
                sp = 0;
            if (sp > 254)
                sp = 254;
        }
    }
    int vs = 126;
    if (!isnan(L->speed_v)) {
        if (!(fabs(L->speed_v) <= 62.0))
            return SG_ERANGE;
        vs = (int)lround(L->speed_v * 2.0);
    }
    b[1] = (uint8_t)((L->status << 4) | (L->height_type << 2) | (ew << 1) | mult);
    b[2] = (uint8_t)dir;
    b[3] = (uint8_t)sp;
    b[4] = (uint8_t)(int8_t)vs;
    uint32_t la, lo;
    uint16_t ab, ag, h;
    if ((rc = enc_latlon(L->lat_deg, L->lon_deg, &la, &lo)) || (rc = enc_alt(L->alt_baro, &ab)) ||
        (rc = enc_alt(L->alt_geo, &ag)) || (rc = enc_alt(L->height, &h)))
        return rc;
    wr32(b + 5, la);
    wr32(b + 9, lo);
    wr16(b + 13, ab);
    wr16(b + 15, ag);
    wr16(b + 17, h);
    if (L->h_acc > 15 || L->v_acc > 15 || L->baro_acc > 15 || L->speed_acc > 15)
        return SG_ERANGE;
    b[19] = (uint8_t)((L->v_acc << 4) | L->h_acc);
    b[20] = (uint8_t)((L->baro_acc << 4) | L->speed_acc);
    uint16_t ts = 0xFFFF;
    if (!isnan(L->timestamp_s)) {
        if (!(L->timestamp_s >= 0.0 && L->timestamp_s <= 3600.0))
            return SG_ERANGE;
        ts = (uint16_t)lround(L->timestamp_s * 10.0);
    }
    wr16(b + 21, ts);
    int tsa = 0;
    if (!isnan(L->timestamp_acc_s)) {
        tsa = (int)lround(L->timestamp_acc_s * 10.0);
        if (tsa < 1 || tsa > 15)
            return SG_ERANGE;
    }
    b[23] = (uint8_t)tsa;
    return SG_OK;
}

static int enc_ts32(double t, uint8_t *p)
{
    uint32_t v = 0;
    if (!isnan(t)) {
        double d = round(t - ODID_EPOCH_2019);
        if (!(d >= 1.0 && d <= 4294967295.0))
            return SG_ERANGE;
        v = (uint32_t)d;
    }
    wr32(p, v);
    return SG_OK;
}

static int enc_system(const odid_system *S, uint8_t *b)
{
    int rc;
    if (S->op_loc_type > 2 || S->class_type > 7 || S->category_eu > 15 || S->class_eu > 15)
        return SG_ERANGE;
    b[1] = (uint8_t)((S->class_type << 2) | S->op_loc_type);
    uint32_t la, lo;
    if ((rc = enc_latlon(S->op_lat_deg, S->op_lon_deg, &la, &lo)))
        return rc;
    wr32(b + 2, la);
    wr32(b + 6, lo);
    wr16(b + 10, S->area_count);
    double r = round(S->area_radius_m / 10.0);
    if (!(r >= 0.0 && r <= 255.0))
        return SG_ERANGE;
    b[12] = (uint8_t)r;
    uint16_t c, f, a;
    if ((rc = enc_alt(S->area_ceiling, &c)) || (rc = enc_alt(S->area_floor, &f)) ||
        (rc = enc_alt(S->op_alt_geo, &a)))
        return rc;
    wr16(b + 13, c);
    wr16(b + 15, f);
    b[17] = (uint8_t)((S->category_eu << 4) | S->class_eu);
    wr16(b + 18, a);
    return enc_ts32(S->timestamp, b + 20);
}

static int enc_auth(const odid_auth *A, uint8_t *b)
{
    if (A->auth_type > 15 || A->page >= ODID_AUTH_MAX_PAGES)
        return SG_ERANGE;
    b[1] = (uint8_t)((A->auth_type << 4) | A->page);
    if (A->page == 0) {
        if (A->last_page >= ODID_AUTH_MAX_PAGES || A->length > 17 + 23 * A->last_page ||
            A->data_len > 17)
            return SG_ERANGE;
        b[2] = A->last_page;
        b[3] = A->length;
        int rc = enc_ts32(A->timestamp, b + 4);
        if (rc)
            return rc;
        memcpy(b + 8, A->data, A->data_len);
    } else {
        if (A->data_len > 23)
            return SG_ERANGE;
        memcpy(b + 2, A->data, A->data_len);
    }
    return SG_OK;
}

int odid_encode_message(const odid_message *m, uint8_t out[ODID_MSG_SIZE])
{
    if (!m || !out)
        return SG_EINVAL;
    if (m->proto_version > 15)
        return SG_ERANGE;
    memset(out, 0, ODID_MSG_SIZE);
    out[0] = (uint8_t)((m->type << 4) | m->proto_version);
    switch (m->type) {
    case ODID_MT_BASIC_ID:
        if (m->u.basic_id.id_type > 15 || m->u.basic_id.ua_type > 15)
            return SG_ERANGE;
        out[1] = (uint8_t)((m->u.basic_id.id_type << 4) | m->u.basic_id.ua_type);
        put_text(out + 2, m->u.basic_id.uas_id, ODID_ID_LEN);
        return SG_OK;
    case ODID_MT_LOCATION:
        return enc_location(&m->u.location, out);
    case ODID_MT_AUTH:
        return enc_auth(&m->u.auth, out);
    case ODID_MT_SELF_ID:
        out[1] = m->u.self_id.desc_type;
        put_text(out + 2, m->u.self_id.text, ODID_STR_LEN);
        return SG_OK;
    case ODID_MT_SYSTEM:
        return enc_system(&m->u.system, out);
    case ODID_MT_OPERATOR_ID:
        out[1] = m->u.operator_id.op_id_type;
        put_text(out + 2, m->u.operator_id.op_id, ODID_ID_LEN);
        return SG_OK;
    default:
        return SG_EINVAL;
    }
}

int odid_encode_pack(const odid_message *msgs, int n, uint8_t *out, size_t cap, size_t *len)
{
    if (!msgs || !out || !len || n < 1 || n > ODID_PACK_MAX)
        return SG_EINVAL;
    size_t need = ODID_PACK_HDR + (size_t)n * ODID_MSG_SIZE;
    if (cap < need)
        return SG_EOVERFLOW;
    out[0] = (uint8_t)((ODID_MT_PACK << 4) | ODID_PROTO_MAX);
    out[1] = ODID_MSG_SIZE;
    out[2] = (uint8_t)n;
    for (int i = 0; i < n; i++) {
        int rc = odid_encode_message(&msgs[i], out + ODID_PACK_HDR + (size_t)i * ODID_MSG_SIZE);
        if (rc)
            return rc;
    }
    *len = need;
    return SG_OK;
}

/* ---- aircraft ----------------------------------------------------------------- */

void odid_aircraft_init(odid_aircraft *a, const uint8_t mac[6])
{
    memset(a, 0, sizeof *a);
    if (mac)
        memcpy(a->mac, mac, 6);
    a->t_first = a->t_last = a->t_location = a->t_system = NAN;
    a->rssi_dbm = NAN;
}

int odid_aircraft_update(odid_aircraft *a, const odid_message *m, double t)
{
    if (!a || !m)
        return SG_EINVAL;
    switch (m->type) {
    case ODID_MT_BASIC_ID: {
        /* keep one record per ID type: a second type (e.g. CAA reg next to the
         * serial) takes the second slot; a third replaces the second */
        const odid_basic_id *b = &m->u.basic_id;
        int slot = -1;
        for (int i = 0; i < a->n_basic_id; i++)
            if (a->basic_id[i].id_type == b->id_type)
                slot = i;
        if (slot < 0)
            slot = a->n_basic_id < 2 ? a->n_basic_id++ : 1;
        a->basic_id[slot] = *b;
        break;
    }
    case ODID_MT_LOCATION:
        a->location = m->u.location;
        a->has_location = true;
        a->t_location = t;
        break;
    case ODID_MT_AUTH:
        a->auth_pages |= 1u << (m->u.auth.page & 15);
        break;
    case ODID_MT_SELF_ID:
        a->self_id = m->u.self_id;
        a->has_self_id = true;
        break;
    case ODID_MT_SYSTEM:
        a->system = m->u.system;
        a->has_system = true;
        a->t_system = t;
        break;
    case ODID_MT_OPERATOR_ID:
        a->operator_id = m->u.operator_id;
        a->has_operator_id = true;
        break;
    default:
        return SG_EINVAL;
    }
    if (isnan(a->t_first))
        a->t_first = t;
    a->t_last = t;
    a->n_messages++;
    return SG_OK;
}

const char *odid_aircraft_identity(const odid_aircraft *a)
{
    static const uint8_t pref[] = {ODID_IDT_SERIAL, ODID_IDT_CAA_REG, ODID_IDT_UTM_UUID,
                                   ODID_IDT_SESSION, ODID_IDT_NONE};
    for (size_t k = 0; k < sizeof pref; k++)
        for (int i = 0; i < a->n_basic_id; i++)
            if (a->basic_id[i].id_type == pref[k] && a->basic_id[i].uas_id[0])
                return a->basic_id[i].uas_id;
    return "";
}

int odid_to_measurement(const odid_aircraft *a, int sensor, sg_measurement *out)
{
    if (!a || !out)
        return SG_EINVAL;
    const odid_location *L = &a->location;
    if (!a->has_location || isnan(L->lat_deg) || isnan(L->lon_deg))
        return SG_ENOTFOUND;
    memset(out, 0, sizeof *out);
    out->t = a->t_location;
    out->sensor = sensor;
    out->type = SG_MEAS_POS_WGS84;
    double lat = L->lat_deg * DEG2RAD;
    out->z[0] = lat;
    out->z[1] = L->lon_deg * DEG2RAD;

    double hacc = odid_h_acc_m(L->h_acc);
    if (isnan(hacc))
        hacc = h_acc_tab[1];
    double sh = hacc / 2.45;
    double coslat = fmax(cos(lat), 1e-6);
    out->R[0] = (sh / EARTH_R) * (sh / EARTH_R);
    out->R[4] = (sh / (EARTH_R * coslat)) * (sh / (EARTH_R * coslat));

    double vacc = odid_v_acc_m(L->v_acc), sv;
    if (!isnan(L->alt_geo)) {
        out->z[2] = L->alt_geo;
        sv = (isnan(vacc) ? v_acc_tab[1] : vacc) / 1.96;
    } else if (!isnan(L->alt_baro)) {
        double bacc = odid_v_acc_m(L->baro_acc);
        double sb = (isnan(bacc) ? v_acc_tab[1] : bacc) / 1.96;
        out->z[2] = L->alt_baro;
        sv = sqrt(sb * sb + 30.0 * 30.0);
    } else {
        out->z[2] = 0.0;
        sv = 10000.0;
    }
    out->R[8] = sv * sv;

    if (!isnan(L->speed_h) && !isnan(L->direction_deg)) {
        double d = L->direction_deg * DEG2RAD;
        out->vel_enu[0] = L->speed_h * sin(d);
        out->vel_enu[1] = L->speed_h * cos(d);
        out->vel_enu[2] = isnan(L->speed_v) ? 0.0 : L->speed_v;
        out->has_vel = true;
    }
    strcpy(out->cls, "remote_id");
    out->cls_conf = 1.0;
    const char *id = odid_aircraft_identity(a);
    strncpy(out->identity, id, SG_ID_LEN - 1);
    out->identity[SG_ID_LEN - 1] = '\0';
    if (a->has_system && !isnan(a->system.op_lat_deg)) {
        out->has_operator = true;
        out->operator_lat = a->system.op_lat_deg * DEG2RAD;
        out->operator_lon = a->system.op_lon_deg * DEG2RAD;
        out->operator_alt = a->system.op_alt_geo;
    }
    return SG_OK;
}

/* ---- table ---------------------------------------------------------------------- */

struct odid_table {
    odid_aircraft *ac;
    bool *used;
    int cap;
    double stale_s;
    double t_now;
    uint64_t evictions;
};

odid_table *odid_table_create(int cap, double stale_s, sg_errinfo *e)
{
    if (cap < 1 || cap > 65536) {
        sg_err_set(e, SG_EINVAL, "odid_table: cap must be in [1, 65536], got %d", cap);
        return NULL;
    }
    if (!(stale_s > 0.0) || !isfinite(stale_s)) {
        sg_err_set(e, SG_EINVAL, "odid_table: stale_s must be > 0, got %g", stale_s);
        return NULL;
    }
    odid_table *tb = calloc(1, sizeof *tb);
    if (tb) {
        tb->ac = calloc((size_t)cap, sizeof *tb->ac);
        tb->used = calloc((size_t)cap, sizeof *tb->used);
    }
    if (!tb || !tb->ac || !tb->used) {
        odid_table_destroy(tb);
        sg_err_set(e, SG_ENOMEM, "odid_table: out of memory for %d aircraft", cap);
        return NULL;
    }
    tb->cap = cap;
    tb->stale_s = stale_s;
    tb->t_now = -INFINITY;
    return tb;
}

void odid_table_destroy(odid_table *tb)
{
    if (!tb)
        return;
    free(tb->ac);
    free(tb->used);
    free(tb);
}

int odid_table_update(odid_table *tb, const uint8_t mac[6], const odid_message *m, double t,
                      double rssi_dbm, odid_aircraft **out)
{
    if (!tb || !mac || !m || !isfinite(t))
        return SG_EINVAL;
    if (t > tb->t_now)
        tb->t_now = t;
    int slot = -1, free_slot = -1, oldest = -1;
    for (int i = 0; i < tb->cap; i++) {
        if (!tb->used[i]) {
            if (free_slot < 0)
                free_slot = i;
            continue;
        }
        if (memcmp(tb->ac[i].mac, mac, 6) == 0) {
            slot = i;
            break;
        }
        if (tb->t_now - tb->ac[i].t_last > tb->stale_s) { /* expired: reuse quietly */
            tb->used[i] = false;
            if (free_slot < 0)
                free_slot = i;
            continue;
        }
        if (oldest < 0 || tb->ac[i].t_last < tb->ac[oldest].t_last)
            oldest = i;
    }
    if (slot < 0) {
        if (free_slot < 0) {
            free_slot = oldest;
            tb->evictions++;
        }
        slot = free_slot;
        odid_aircraft_init(&tb->ac[slot], mac);
        tb->used[slot] = true;
    }
    int rc = odid_aircraft_update(&tb->ac[slot], m, t);
    if (rc)
        return rc;
    if (!isnan(rssi_dbm))
        tb->ac[slot].rssi_dbm = rssi_dbm;
    if (out)
        *out = &tb->ac[slot];
    return SG_OK;
}

int odid_table_count(const odid_table *tb)
{
    int n = 0;
    for (int i = 0; i < tb->cap; i++)
        n += tb->used[i] && tb->t_now - tb->ac[i].t_last <= tb->stale_s;
    return n;
}

const odid_aircraft *odid_table_get(const odid_table *tb, int k)
{
    for (int i = 0; i < tb->cap; i++)
        if (tb->used[i] && tb->t_now - tb->ac[i].t_last <= tb->stale_s && k-- == 0)
            return &tb->ac[i];
    return NULL;
}

uint64_t odid_table_evictions(const odid_table *tb) { return tb->evictions; }
