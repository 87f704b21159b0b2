/* ASTM F3411 Remote ID message codec (see odid.h).
 *
 * Field encodings follow F3411-22a: little-endian integers, lat/lon int32 in 1e-7 deg
 * (0,0 = unknown), altitudes uint16 in 0.5 m steps offset by -1000 m (0 = unknown),
 * ground speed in 0.25 m/s steps, or with the multiplier bit 0.75 m/s steps above
 * 63.75 m/s (255 with the multiplier = 255 m/s = unknown), direction 0..179 plus an
 * east/west bit (361 = unknown), vertical speed int8 in 0.5 m/s (63 m/s = unknown),
 * timestamps in 0.1 s after the hour (0xFFFF = unknown).
 * Decoding is tolerant: a value the standard reserves, or outside its range, makes
 * that field unknown and counts one warning (see odid.h). Lengths stay strict. */
#include "odid.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sg_bytes.h"

#define SPEED_STEP0 0.25  /* m/s per step without the multiplier */
#define SPEED_STEP1 0.75  /* m/s per step with the multiplier */
#define SPEED_KNEE 63.75  /* m/s: 255 * SPEED_STEP0, offset of the multiplied range */
#define SPEED_MAX 254.25  /* m/s: highest known speed (raw 254, multiplier 1) */
#define DIR_UNKNOWN 361
#define VS_UNKNOWN 126    /* raw: 63 m/s */
#define VS_MAX_RAW 124    /* raw: 62 m/s */
#define TS_UNKNOWN 0xFFFF
#define TS_MAX 36000      /* tenths of a second in an hour */


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

/* lat/lon: unknown only when both are 0 (a fix on the equator or on the Greenwich
 * meridian is valid). Out of range: both unknown, one warning. */
static void dec_latlon(uint32_t rlat, uint32_t rlon, double *lat, double *lon, uint8_t *warn)
{
    int32_t la = (int32_t)rlat, lo = (int32_t)rlon;
    *lat = *lon = NAN;
    if (la == 0 && lo == 0)
        return;
    double a = la * 1e-7, o = lo * 1e-7;
    if (fabs(a) > 90.0 || fabs(o) > 180.0) {
        (*warn)++;
        return;
    }
    *lat = a;
    *lon = o;
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
    if (*rlat == 0 && *rlon == 0) /* would read back as unknown */
        return SG_ERANGE;
    return SG_OK;
}

static double dec_ts32(uint32_t v) { return v ? ODID_EPOCH_2019 + v : NAN; }

static int enc_ts32(double t, uint8_t *p)
{
    uint32_t v = 0;
    if (!isnan(t)) {
        double d = round(t - ODID_EPOCH_2019);
        if (!(d >= 1.0 && d <= 4294967295.0))
            return SG_ERANGE;
        v = (uint32_t)d;
    }
    sg_wr32le(p, v);
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

/* A reserved enumeration value: ODID_RESERVED and one warning; else the value. */
static uint8_t enum_or_reserved(unsigned v, bool reserved, uint8_t *warn)
{
    if (reserved) {
        (*warn)++;
        return ODID_RESERVED;
    }
    return (uint8_t)v;
}

/* Copies a fixed-width, NUL-padded text field; stops at the first NUL. Non-printable
 * bytes are replaced by '?' (one warning) so downstream JSON/log output stays clean. */
static void get_text(char *dst, const uint8_t *src, size_t n, uint8_t *warn)
{
    size_t i = 0;
    bool bad = false;
    for (; i < n && src[i]; i++) {
        bool ok = src[i] >= 0x20 && src[i] < 0x7f;
        dst[i] = ok ? (char)src[i] : '?';
        bad |= !ok;
    }
    dst[i] = '\0';
    if (bad)
        (*warn)++;
}

static void put_text(uint8_t *dst, const char *src, size_t n)
{
    size_t l = strnlen(src, n);
    memcpy(dst, src, l);
    memset(dst + l, 0, n - l);
}

/* ---- UAS ID rendering ------------------------------------------------------------ */

static void hex_text(char *dst, const uint8_t *src, size_t n)
{
    static const char hx[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        dst[2 * i] = hx[src[i] >> 4];
        dst[2 * i + 1] = hx[src[i] & 15];
    }
    dst[2 * n] = '\0';
}

static int hex_val(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Parses n hex digit pairs; -1 on a non-hex character. */
static int hex_bytes(const char *s, uint8_t *dst, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int hi = hex_val(s[2 * i]), lo = hi < 0 ? -1 : hex_val(s[2 * i + 1]);
        if (lo < 0)
            return -1;
        dst[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

static const int uuid_dash[] = {4, 6, 8, 10}; /* byte indices preceded by '-' */

static void uuid_text(char *dst, const uint8_t *b)
{
    char *q = dst;
    for (int i = 0, k = 0; i < 16; i++) {
        if (k < 4 && i == uuid_dash[k]) {
            *q++ = '-';
            k++;
        }
        hex_text(q, b + i, 1);
        q += 2;
    }
    *q = '\0';
}

static int uuid_parse(const char *s, uint8_t *b)
{
    if (strlen(s) != 36)
        return -1;
    for (int i = 0, k = 0; i < 16; i++) {
        if (k < 4 && i == uuid_dash[k]) {
            if (*s++ != '-')
                return -1;
            k++;
        }
        if (hex_bytes(s, b + i, 1))
            return -1;
        s += 2;
    }
    return 0;
}

static size_t used_len(const uint8_t *b, size_t n)
{
    while (n > 0 && b[n - 1] == 0)
        n--;
    return n;
}

static void render_uas_id(odid_basic_id *B, uint8_t *warn)
{
    const uint8_t *r = B->raw;
    size_t used = used_len(r, ODID_ID_LEN);
    switch (B->id_type) {
    case ODID_IDT_NONE:
    case ODID_IDT_SERIAL:
    case ODID_IDT_CAA_REG: {
        bool text = true;
        for (size_t i = 0; i < used; i++)
            text &= r[i] >= 0x20 && r[i] < 0x7f;
        if (text) {
            memcpy(B->uas_id, r, used);
            B->uas_id[used] = '\0';
        } else { /* binary in a text ID: hex keeps two such IDs apart */
            (*warn)++;
            hex_text(B->uas_id, r, ODID_ID_LEN);
        }
        return;
    }
    case ODID_IDT_UTM_UUID:
        if (used > 16)
            (*warn)++;
        uuid_text(B->uas_id, r);
        return;
    default: /* session ID, reserved types */
        hex_text(B->uas_id, r, used);
        return;
    }
}

static int enc_uas_id(const odid_basic_id *B, uint8_t *dst)
{
    memset(dst, 0, ODID_ID_LEN);
    const char *s = B->uas_id;
    size_t l = strnlen(s, sizeof B->uas_id);
    if (l >= sizeof B->uas_id)
        return SG_EINVAL;
    switch (B->id_type) {
    case ODID_IDT_NONE:
    case ODID_IDT_SERIAL:
    case ODID_IDT_CAA_REG:
        if (l > ODID_ID_LEN)
            return SG_EINVAL;
        memcpy(dst, s, l);
        return SG_OK;
    case ODID_IDT_UTM_UUID:
        return l == 0 ? SG_OK : uuid_parse(s, dst) ? SG_EINVAL : SG_OK;
    default:
        if (l % 2 || l > 2 * ODID_ID_LEN || hex_bytes(s, dst, l / 2))
            return SG_EINVAL;
        return SG_OK;
    }
}

/* ---- decode --------------------------------------------------------------------- */

static void dec_location(const uint8_t *b, odid_location *L, uint8_t *w)
{
    L->status = enum_or_reserved(b[1] >> 4, (b[1] >> 4) > ODID_STATUS_SYSTEM_FAILURE, w);
    L->height_type = (b[1] >> 2) & 1;
    int ew = (b[1] >> 1) & 1, mult = b[1] & 1;
    int dir = b[2] + (ew ? 180 : 0);
    L->direction_deg = NAN;
    if (b[2] < 180)
        L->direction_deg = dir;
    else if (dir != DIR_UNKNOWN)
        (*w)++;
    if (mult)
        L->speed_h = b[3] == 255 ? NAN : b[3] * SPEED_STEP1 + SPEED_KNEE;
    else
        L->speed_h = b[3] * SPEED_STEP0;
    int8_t vs = (int8_t)b[4];
    L->speed_v = NAN;
    if (vs >= -VS_MAX_RAW && vs <= VS_MAX_RAW)
        L->speed_v = vs * 0.5;
    else if (vs != VS_UNKNOWN)
        (*w)++;
    dec_latlon(sg_rd32le(b + 5), sg_rd32le(b + 9), &L->lat_deg, &L->lon_deg, w);
    L->alt_baro = dec_alt(sg_rd16le(b + 13));
    L->alt_geo = dec_alt(sg_rd16le(b + 15));
    L->height = dec_alt(sg_rd16le(b + 17));
    uint8_t va = b[19] >> 4, ha = b[19] & 15, ba = b[20] >> 4, sa = b[20] & 15;
    /* reserved accuracy codes read as 0 (unknown) */
    L->v_acc = va < 7 ? va : ((*w)++, 0);
    L->h_acc = ha < 13 ? ha : ((*w)++, 0);
    L->baro_acc = ba < 7 ? ba : ((*w)++, 0);
    L->speed_acc = sa < 5 ? sa : ((*w)++, 0);
    uint16_t ts = sg_rd16le(b + 21);
    L->timestamp_s = NAN;
    if (ts <= TS_MAX)
        L->timestamp_s = ts * 0.1;
    else if (ts != TS_UNKNOWN)
        (*w)++;
    int tsa = b[23] & 15;
    L->timestamp_acc_s = tsa ? tsa * 0.1 : NAN;
}

static void dec_auth(const uint8_t *b, odid_auth *A, uint8_t *w)
{
    unsigned at = b[1] >> 4;
    A->auth_type = enum_or_reserved(at, at >= 6 && at <= 9, w);
    A->page = b[1] & 15;
    if (A->page == 0) {
        A->last_page = b[2];
        if (A->last_page >= ODID_AUTH_MAX_PAGES) {
            (*w)++;
            A->last_page = ODID_AUTH_MAX_PAGES - 1;
        }
        int room = ODID_AUTH_PAGE0_DATA + ODID_AUTH_PAGEN_DATA * A->last_page;
        A->length = b[3];
        if (A->length > room) { /* more than the announced pages hold */
            (*w)++;
            A->length = (uint8_t)(room < 255 ? room : 255);
        }
        A->timestamp = dec_ts32(sg_rd32le(b + 4));
        A->data_len = ODID_AUTH_PAGE0_DATA;
        memcpy(A->data, b + 8, ODID_AUTH_PAGE0_DATA);
    } else {
        A->last_page = 0;
        A->length = 0;
        A->timestamp = NAN;
        A->data_len = ODID_AUTH_PAGEN_DATA;
        memcpy(A->data, b + 2, ODID_AUTH_PAGEN_DATA);
    }
}

static void dec_system(const uint8_t *b, odid_system *S, uint8_t *w)
{
    S->op_loc_type = enum_or_reserved(b[1] & 3, (b[1] & 3) > 2, w);
    unsigned ct = (b[1] >> 2) & 7;
    S->class_type = enum_or_reserved(ct, ct > 1, w);
    dec_latlon(sg_rd32le(b + 2), sg_rd32le(b + 6), &S->op_lat_deg, &S->op_lon_deg, w);
    S->area_count = sg_rd16le(b + 10);
    S->area_radius_m = b[12] * 10.0;
    S->area_ceiling = dec_alt(sg_rd16le(b + 13));
    S->area_floor = dec_alt(sg_rd16le(b + 15));
    unsigned cat = b[17] >> 4, cls = b[17] & 15;
    bool eu = S->class_type == 1;
    S->category_eu = enum_or_reserved(cat, eu && cat > 3, w);
    S->class_eu = enum_or_reserved(cls, eu && cls > 7, w);
    S->op_alt_geo = dec_alt(sg_rd16le(b + 18));
    S->timestamp = dec_ts32(sg_rd32le(b + 20));
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
    uint8_t *w = &m->warnings;
    if (m->proto_version > ODID_PROTO_MAX) /* newer revision: same layout, flagged */
        (*w)++;
    switch (m->type) {
    case ODID_MT_BASIC_ID: {
        odid_basic_id *B = &m->u.basic_id;
        B->id_type_raw = b[1] >> 4;
        B->id_type = enum_or_reserved(B->id_type_raw, B->id_type_raw > ODID_IDT_SESSION, w);
        B->ua_type = b[1] & 15;
        memcpy(B->raw, b + 2, ODID_ID_LEN);
        render_uas_id(B, w);
        return SG_OK;
    }
    case ODID_MT_LOCATION:
        dec_location(b, &m->u.location, w);
        return SG_OK;
    case ODID_MT_AUTH:
        dec_auth(b, &m->u.auth, w);
        return SG_OK;
    case ODID_MT_SELF_ID:
        m->u.self_id.desc_type = enum_or_reserved(b[1], b[1] >= 3 && b[1] <= 200, w);
        get_text(m->u.self_id.text, b + 2, ODID_STR_LEN, w);
        return SG_OK;
    case ODID_MT_SYSTEM:
        dec_system(b, &m->u.system, w);
        return SG_OK;
    case ODID_MT_OPERATOR_ID:
        m->u.operator_id.op_id_type = enum_or_reserved(b[1], b[1] >= 1 && b[1] <= 200, w);
        get_text(m->u.operator_id.op_id, b + 2, ODID_ID_LEN, w);
        return SG_OK;
    default:
        return SG_ENOTSUP; /* a pack here is handled by odid_decode_pack */
    }
}

/* Applies the duplicate rule of odid_decode_pack to a decoded message. */
static bool pack_keeps(const odid_message *kept, int n, const odid_message *m)
{
    int basic = 0;
    for (int i = 0; i < n; i++) {
        const odid_message *k = &kept[i];
        if (k->type != m->type)
            continue;
        if (m->type == ODID_MT_BASIC_ID) {
            basic++;
            if (basic >= 2 || k->u.basic_id.id_type_raw == m->u.basic_id.id_type_raw)
                return false;
        } else if (m->type == ODID_MT_AUTH) {
            if (k->u.auth.page == m->u.auth.page)
                return false;
        } else {
            return false;
        }
    }
    return true;
}

int odid_decode_pack(const uint8_t *b, size_t len, odid_message *out, int cap, int *n,
                     odid_pack_info *info)
{
    odid_pack_info dummy;
    if (!info)
        info = &dummy;
    memset(info, 0, sizeof *info);
    if (!b || !n || (cap > 0 && !out))
        return SG_EINVAL;
    *n = 0;
    if (len < ODID_PACK_HDR)
        return SG_ETRUNC;
    if ((b[0] >> 4) != ODID_MT_PACK)
        return SG_EFORMAT;
    if (b[1] != ODID_MSG_SIZE)
        return SG_EFORMAT;
    int count = b[2];
    if (count < 1 || count > ODID_PACK_MAX)
        return SG_EFORMAT;
    if (len < ODID_PACK_HDR + (size_t)count * ODID_MSG_SIZE)
        return SG_ETRUNC;
    if (count > cap)
        return SG_EOVERFLOW;
    info->count = count;
    if ((b[0] & 15) > ODID_PROTO_MAX)
        info->warnings++;
    int kept = 0;
    for (int i = 0; i < count; i++) {
        const uint8_t *p = b + ODID_PACK_HDR + (size_t)i * ODID_MSG_SIZE;
        if (odid_decode_message(p, ODID_MSG_SIZE, &out[kept]) != SG_OK) {
            info->unknown_type++; /* type 6..14 or a nested pack */
            continue;
        }
        if (!pack_keeps(out, kept, &out[kept])) {
            info->duplicates++;
            continue;
        }
        info->warnings += out[kept].warnings;
        kept++;
    }
    *n = kept;
    return kept ? SG_OK : SG_EFORMAT;
}

int odid_decode_payload(const uint8_t *b, size_t len, odid_message *out, int cap, int *n,
                        odid_pack_info *info)
{
    if (!b || !n || (cap > 0 && !out))
        return SG_EINVAL;
    *n = 0;
    if (info)
        memset(info, 0, sizeof *info);
    if (len >= 1 && (b[0] >> 4) == ODID_MT_PACK)
        return odid_decode_pack(b, len, out, cap, n, info);
    if (cap < 1)
        return SG_EOVERFLOW;
    int rc = odid_decode_message(b, len, out);
    if (rc == SG_OK) {
        *n = 1;
        if (info) {
            info->count = 1;
            info->warnings = out->warnings;
        }
    }
    return rc;
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

static int enc_speed(double s, int *mult, int *raw)
{
    *mult = 1;
    *raw = 255; /* unknown: 255 with the multiplier */
    if (isnan(s))
        return SG_OK;
    if (!(s >= 0.0 && s < 255.0))
        return SG_ERANGE;
    if (s <= SPEED_KNEE) {
        *mult = 0;
        *raw = (int)lround(s / SPEED_STEP0);
        return SG_OK;
    }
    long v = lround((s - SPEED_KNEE) / SPEED_STEP1);
    *raw = (int)(v > 254 ? 254 : v);
    return SG_OK;
}

static int enc_location(const odid_location *L, uint8_t *b)
{
    int rc;
    if (L->status > 15 || L->height_type > 1)
        return SG_ERANGE;
    int ew = 1, dir = DIR_UNKNOWN - 180;
    if (!isnan(L->direction_deg)) {
        if (!(L->direction_deg >= 0.0 && L->direction_deg < 360.0))
            return SG_ERANGE;
        dir = (int)lround(L->direction_deg) % 360;
        ew = dir >= 180;
        dir -= ew ? 180 : 0;
    }
    int mult, sp;
    if ((rc = enc_speed(L->speed_h, &mult, &sp)))
        return rc;
    int vs = VS_UNKNOWN;
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
    sg_wr32le(b + 5, la);
    sg_wr32le(b + 9, lo);
    sg_wr16le(b + 13, ab);
    sg_wr16le(b + 15, ag);
    sg_wr16le(b + 17, h);
    if (L->h_acc > 15 || L->v_acc > 15 || L->baro_acc > 15 || L->speed_acc > 15)
        return SG_ERANGE;
    b[19] = (uint8_t)((L->v_acc << 4) | L->h_acc);
    b[20] = (uint8_t)((L->baro_acc << 4) | L->speed_acc);
    uint16_t ts = TS_UNKNOWN;
    if (!isnan(L->timestamp_s)) {
        if (!(L->timestamp_s >= 0.0 && L->timestamp_s <= 3600.0))
            return SG_ERANGE;
        ts = (uint16_t)lround(L->timestamp_s * 10.0);
    }
    sg_wr16le(b + 21, ts);
    int tsa = 0;
    if (!isnan(L->timestamp_acc_s)) {
        tsa = (int)lround(L->timestamp_acc_s * 10.0);
        if (tsa < 1 || tsa > 15)
            return SG_ERANGE;
    }
    b[23] = (uint8_t)tsa;
    return SG_OK;
}

static int enc_system(const odid_system *S, uint8_t *b)
{
    int rc;
    if (S->op_loc_type > 3 || S->class_type > 7 || S->category_eu > 15 || S->class_eu > 15)
        return SG_ERANGE;
    b[1] = (uint8_t)((S->class_type << 2) | S->op_loc_type);
    uint32_t la, lo;
    if ((rc = enc_latlon(S->op_lat_deg, S->op_lon_deg, &la, &lo)))
        return rc;
    sg_wr32le(b + 2, la);
    sg_wr32le(b + 6, lo);
    sg_wr16le(b + 10, S->area_count);
    double r = round(S->area_radius_m / 10.0);
    if (!(r >= 0.0 && r <= 255.0))
        return SG_ERANGE;
    b[12] = (uint8_t)r;
    uint16_t c, f, a;
    if ((rc = enc_alt(S->area_ceiling, &c)) || (rc = enc_alt(S->area_floor, &f)) ||
        (rc = enc_alt(S->op_alt_geo, &a)))
        return rc;
    sg_wr16le(b + 13, c);
    sg_wr16le(b + 15, f);
    b[17] = (uint8_t)((S->category_eu << 4) | S->class_eu);
    sg_wr16le(b + 18, a);
    return enc_ts32(S->timestamp, b + 20);
}

static int enc_auth(const odid_auth *A, uint8_t *b)
{
    if (A->auth_type > 15 || A->page >= ODID_AUTH_MAX_PAGES)
        return SG_ERANGE;
    b[1] = (uint8_t)((A->auth_type << 4) | A->page);
    if (A->page == 0) {
        if (A->last_page >= ODID_AUTH_MAX_PAGES ||
            A->length > ODID_AUTH_PAGE0_DATA + ODID_AUTH_PAGEN_DATA * A->last_page ||
            A->data_len > ODID_AUTH_PAGE0_DATA)
            return SG_ERANGE;
        b[2] = A->last_page;
        b[3] = A->length;
        int rc = enc_ts32(A->timestamp, b + 4);
        if (rc)
            return rc;
        memcpy(b + 8, A->data, A->data_len);
    } else {
        if (A->data_len > ODID_AUTH_PAGEN_DATA)
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
        return enc_uas_id(&m->u.basic_id, out + 2);
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
