/* SigMF formats and metadata reader (see sigmf.h): the datatypes, the sample codec
 * (decode to cf32, encode with clipping counted), datetimes, and the .sigmf-meta parser.
 * The recording writer is in sigmf_writer.c. */
#include "sigmf.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "sg_json.h"
#include "sg_simd.h" /* SG_AVX2_CLONES */
#include "sg_types.h" /* CMPLXF */

static const char *const type_names[SIGMF_TYPE_COUNT_] = {"cf32_le", "cf32_be", "ci16_le",
                                                          "ci16_be", "ci8",     "cu8"};
static const size_t type_bytes[SIGMF_TYPE_COUNT_] = {8, 8, 4, 4, 2, 2};

int sigmf_datatype_parse(const char *name, sigmf_datatype *out)
{
    for (int i = 0; i < SIGMF_TYPE_COUNT_; i++) {
        if (name && strcmp(name, type_names[i]) == 0) {
            *out = (sigmf_datatype)i;
            return SG_OK;
        }
    }
    return SG_ENOTSUP;
}

const char *sigmf_datatype_name(sigmf_datatype t)
{
    return (unsigned)t < SIGMF_TYPE_COUNT_ ? type_names[t] : "?";
}

size_t sigmf_sample_bytes(sigmf_datatype t)
{
    return (unsigned)t < SIGMF_TYPE_COUNT_ ? type_bytes[t] : 0;
}

static void f32_put(unsigned char *p, float f, bool be)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    for (int i = 0; i < 4; i++)
        p[be ? 3 - i : i] = (unsigned char)(u >> (8 * i));
}

/* The loops below are branch-free and index-linear so the compiler vectorises them (no
 * per-sample test of the byte order or of the value). Integer scales are exact powers of
 * two (ci16, ci8); cu8 divides by 127.5 as the format's midpoint convention says. */
static inline uint32_t u32_at(const unsigned char *s, bool be)
{
#if defined(__BYTE_ORDER__) && defined(__GNUC__)
    uint32_t u;
    memcpy(&u, s, sizeof u);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return be ? __builtin_bswap32(u) : u;
#else
    return be ? u : __builtin_bswap32(u);
#endif
#else
    return be ? (uint32_t)s[0] << 24 | (uint32_t)s[1] << 16 | (uint32_t)s[2] << 8 | s[3]
              : (uint32_t)s[3] << 24 | (uint32_t)s[2] << 16 | (uint32_t)s[1] << 8 | s[0];
#endif
}

/* A 16-bit sample component: one 2-byte load (and a byte swap for the other order), which
 * the vectorised loop turns into one widening load; the two byte loads and the shift-or
 * it replaces took twice as long per sample (bench/README.md, branch p-sens). */
static inline int16_t i16_at(const unsigned char *s, bool be)
{
#if defined(__BYTE_ORDER__) && defined(__GNUC__)
    uint16_t u;
    memcpy(&u, s, sizeof u);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return (int16_t)(be ? __builtin_bswap16(u) : u);
#else
    return (int16_t)(be ? u : __builtin_bswap16(u));
#endif
#else
    return (int16_t)(uint16_t)(be ? s[0] << 8 | s[1] : s[1] << 8 | s[0]);
#endif
}

/* be is a constant in each caller (inlined), so the loop has no test of it. One pass
 * copies the components and notes whether any is Inf/NaN (exponent all ones); only then
 * a second pass zeroes those samples (both components) and counts them. */
static inline __attribute__((always_inline)) size_t
decode_cf32(const unsigned char *restrict p, size_t n, bool be, uint32_t *restrict o)
{
    uint32_t any = 0;
    size_t k = 0;
    for (; k + 16 <= 2 * n; k += 16) /* a loop of known length: vectorised at -O2 */
        for (size_t j = 0; j < 16; j++) {
            uint32_t v = u32_at(p + 4 * (k + j), be);
            o[k + j] = v;
            any |= (v & 0x7fffffffu) >= 0x7f800000u;
        }
    for (; k < 2 * n; k++) {
        uint32_t v = u32_at(p + 4 * k, be);
        o[k] = v;
        any |= (v & 0x7fffffffu) >= 0x7f800000u;
    }
    if (!any)
        return 0;
    size_t bad = 0;
    for (size_t i = 0; i < n; i++)
        if ((o[2 * i] & 0x7fffffffu) >= 0x7f800000u || (o[2 * i + 1] & 0x7fffffffu) >= 0x7f800000u) {
            o[2 * i] = o[2 * i + 1] = 0;
            bad++;
        }
    return bad;
}

/* not inlined: inside sigmf_decode the restrict promise is lost and the loop stays scalar.
 * Built for AVX2 too (sg_simd.h): a copy with a byte swap gives the same bits in either
 * width, and the AVX2 byte shuffle makes cf32_be ~2.5x faster; the integer formats stay
 * SSE2 only (their AVX2 copies were no faster, ci16 slower: bench/README.md, p-sens). */
SG_AVX2_CLONES __attribute__((noinline)) static size_t decode_cf32_le(const unsigned char *restrict p, size_t n, uint32_t *restrict o)
{
    return decode_cf32(p, n, false, o);
}

SG_AVX2_CLONES __attribute__((noinline)) static size_t decode_cf32_be(const unsigned char *restrict p, size_t n, uint32_t *restrict o)
{
    return decode_cf32(p, n, true, o);
}

/* out[k] = CONV(k) for k < m: blocks of a fixed 16 (a loop of known length, which the
 * compiler vectorises at -O2), then the tail */
#define DECODE_LOOP(m, CONV)                        \
    do {                                            \
        size_t k = 0;                               \
        for (; k + 16 <= (m); k += 16)              \
            for (size_t j_ = 0; j_ < 16; j_++)      \
                o[k + j_] = CONV(k + j_);           \
        for (; k < (m); k++)                        \
            o[k] = CONV(k);                         \
    } while (0)

#define CI16_LE(k) ((float)i16_at(p + 2 * (k), false) * (1.0f / 32768.0f))
#define CI16_BE(k) ((float)i16_at(p + 2 * (k), true) * (1.0f / 32768.0f))
#define CI8(k) ((float)(int8_t)p[k] * (1.0f / 128.0f))
#define CU8(k) (((float)p[k] - 127.5f) / 127.5f)

static void decode_ci16_le(const unsigned char *restrict p, size_t m, float *restrict o)
{
    DECODE_LOOP(m, CI16_LE);
}

static void decode_ci16_be(const unsigned char *restrict p, size_t m, float *restrict o)
{
    DECODE_LOOP(m, CI16_BE);
}

static void decode_ci8(const unsigned char *restrict p, size_t m, float *restrict o)
{
    DECODE_LOOP(m, CI8);
}

static void decode_cu8(const unsigned char *restrict p, size_t m, float *restrict o)
{
    DECODE_LOOP(m, CU8);
}

size_t sigmf_decode(sigmf_datatype t, const void *raw, size_t n, float complex *out)
{
    const unsigned char *p = raw;
    float *o = (float *)(void *)out; /* interleaved re, im (C11 6.2.5: complex = float[2]) */
    switch (t) {
    case SIGMF_CF32_LE:
        return decode_cf32_le(p, n, (uint32_t *)(void *)out);
    case SIGMF_CF32_BE:
        return decode_cf32_be(p, n, (uint32_t *)(void *)out);
    case SIGMF_CI16_LE:
        decode_ci16_le(p, 2 * n, o);
        return 0;
    case SIGMF_CI16_BE:
        decode_ci16_be(p, 2 * n, o);
        return 0;
    case SIGMF_CI8:
        decode_ci8(p, 2 * n, o);
        return 0;
    case SIGMF_CU8:
        decode_cu8(p, 2 * n, o);
        return 0;
    default:
        memset(out, 0, n * sizeof *out);
        return n;
    }
}

static long quant(float v, float scale, long lo, long hi, size_t *clip)
{
    if (!isfinite(v))
        v = 0;
    float x = v * scale;
    long q = lrintf(x);
    if (q < lo) { q = lo; (*clip)++; }
    if (q > hi) { q = hi; (*clip)++; }
    return q;
}

size_t sigmf_encode(sigmf_datatype t, const float complex *in, size_t n, void *raw)
{
    unsigned char *p = raw;
    size_t clip = 0;
    for (size_t i = 0; i < n; i++) {
        float re = crealf(in[i]), im = cimagf(in[i]);
        switch (t) {
        case SIGMF_CF32_LE:
        case SIGMF_CF32_BE:
            f32_put(p + 8 * i, re, t == SIGMF_CF32_BE);
            f32_put(p + 8 * i + 4, im, t == SIGMF_CF32_BE);
            break;
        case SIGMF_CI16_LE:
        case SIGMF_CI16_BE: {
            long a = quant(re, 32768.0f, -32768, 32767, &clip);
            long b = quant(im, 32768.0f, -32768, 32767, &clip);
            unsigned char *s = p + 4 * i;
            uint16_t ua = (uint16_t)(int16_t)a, ub = (uint16_t)(int16_t)b;
            if (t == SIGMF_CI16_BE) {
                s[0] = (unsigned char)(ua >> 8); s[1] = (unsigned char)ua;
                s[2] = (unsigned char)(ub >> 8); s[3] = (unsigned char)ub;
            } else {
                s[0] = (unsigned char)ua; s[1] = (unsigned char)(ua >> 8);
                s[2] = (unsigned char)ub; s[3] = (unsigned char)(ub >> 8);
            }
            break;
        }
        case SIGMF_CI8:
            p[2 * i] = (unsigned char)(int8_t)quant(re, 128.0f, -128, 127, &clip);
            p[2 * i + 1] = (unsigned char)(int8_t)quant(im, 128.0f, -128, 127, &clip);
            break;
        case SIGMF_CU8:
            p[2 * i] = (unsigned char)(quant(re, 127.5f, -128, 127, &clip) + 128);
            p[2 * i + 1] = (unsigned char)(quant(im, 127.5f, -128, 127, &clip) + 128);
            break;
        default:
            break;
        }
    }
    return clip;
}

/* The n decimal digits at s as a number, or -1 (no sign, no blanks: fixed-width fields
 * cannot overflow an int, which scanf's %d on "-2147483648-..." did in tm_year). */
static int digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* 0000-01-01T00:00:00Z and 10000-01-01T00:00:00Z: the times a 4-digit year can show */
#define DT_MIN (-62167219200.0)
#define DT_END 253402300800.0

int sigmf_parse_datetime(const char *s, double *t)
{
    if (!s || strlen(s) < 20)
        return SG_EFORMAT;
    int Y = digits(s, 4), M = digits(s + 5, 2), D = digits(s + 8, 2), h = digits(s + 11, 2),
        m = digits(s + 14, 2);
    if (Y < 0 || s[4] != '-' || M < 1 || M > 12 || s[7] != '-' || D < 1 || D > 31 ||
        s[10] != 'T' || h < 0 || h > 23 || s[13] != ':' || m < 0 || m > 59 || s[16] != ':' ||
        digits(s + 17, 2) < 0)
        return SG_EFORMAT;
    const char *end = s + 19; /* SS[.frac]Z: no exponent, no hex */
    if (*end == '.')
        for (end++; *end >= '0' && *end <= '9'; end++)
            ;
    double sec = strtod(s + 17, NULL);
    if (end[0] != 'Z' || end[1] || !(sec >= 0 && sec < 61))
        return SG_EFORMAT;
    struct tm tm = {0};
    tm.tm_year = Y - 1900;
    tm.tm_mon = M - 1;
    tm.tm_mday = D;
    tm.tm_hour = h;
    tm.tm_min = m;
    tm.tm_sec = 0;
    time_t base = timegm(&tm);
    *t = (double)base + sec;
    return SG_OK;
}

void sigmf_format_datetime(double t, char *out, size_t cap)
{
    if (cap)
        out[0] = '\0';
    if (!(t >= DT_MIN && t < DT_END)) /* NaN too; the cast below would be undefined */
        return;
    double fl = floor(t);
    time_t s = (time_t)fl;
    long us = lround((t - fl) * 1e6);
    if (us >= 1000000) {
        s++;
        us -= 1000000;
    }
    struct tm tm;
    if ((double)s >= DT_END || !gmtime_r(&s, &tm))
        return;
    snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, us);
}

void sigmf_meta_free(sigmf_meta *m)
{
    if (!m)
        return;
    free(m->captures);
    free(m->annotations);
    m->captures = NULL;
    m->annotations = NULL;
    m->n_captures = m->n_annotations = 0;
}

static int parse_meta(const char *name, const cJSON *root, double rate_override, sigmf_meta *m,
                      sg_errinfo *e)
{
    char where[600];
    const cJSON *global, *caps, *anns;
    int rc;
    if (!cJSON_IsObject(root))
        return sg_err_set(e, SG_EFORMAT, "%s: top level must be an object", name);
    snprintf(where, sizeof where, "%s", name);
    if ((rc = sgj_object(root, where, "global", true, &global, e)))
        return rc;
    snprintf(where, sizeof where, "%s: global", name);
    char dt[32];
    if ((rc = sgj_string(global, where, "core:datatype", true, "", dt, sizeof dt, e)))
        return rc;
    if (sigmf_datatype_parse(dt, &m->type))
        return sg_err_set(e, SG_ENOTSUP,
                          "%s.core:datatype: \"%s\" is not supported (cf32_le, cf32_be, ci16_le, "
                          "ci16_be, ci8, cu8)",
                          where, dt);
    if (rate_override > 0) {
        m->sample_rate = rate_override;
    } else {
        const cJSON *r = cJSON_GetObjectItemCaseSensitive(global, "core:sample_rate");
        if (!r)
            return sg_err_set(e, SG_EINVAL,
                              "%s.core:sample_rate: missing; give the sample rate on the command "
                              "line (option \"sample_rate\")",
                              where);
        if ((rc = sgj_number(global, where, "core:sample_rate", true, 0, 1, 1e11,
                             &m->sample_rate, e)))
            return rc;
    }
    long nch; /* multi-channel recordings: channels interleaved sample by sample */
    if ((rc = sgj_int(global, where, "core:num_channels", false, 1, 1, 64, &nch, e)))
        return rc;
    m->num_channels = (unsigned)nch;
    if ((rc = sgj_string(global, where, "core:description", false, "", m->description,
                         sizeof m->description, e)) == SG_ERANGE)
        m->description[0] = 0, rc = 0;
    if (rc)
        return rc;
    if ((rc = sgj_array(root, name, "captures", false, &caps, e)) ||
        (rc = sgj_array(root, name, "annotations", false, &anns, e)))
        return rc;
    size_t nc = caps ? (size_t)cJSON_GetArraySize(caps) : 0;
    size_t na = anns ? (size_t)cJSON_GetArraySize(anns) : 0;
    m->captures = calloc(nc ? nc : 1, sizeof *m->captures);
    m->annotations = calloc(na ? na : 1, sizeof *m->annotations);
    if (!m->captures || !m->annotations)
        return sg_err_set(e, SG_ENOMEM, "%s: out of memory", name);
    if (!nc) {
        m->n_captures = 1;
        m->captures[0].t0 = NAN;
    }
    /* lists are walked, never indexed: cJSON_GetArrayItem(i) is O(i) */
    const cJSON *c = caps ? caps->child : NULL;
    for (size_t i = 0; i < nc; i++, c = c->next) {
        sigmf_capture *k = &m->captures[i];
        double ss, f;
        snprintf(where, sizeof where, "%s: captures[%zu]", name, i);
        if (!cJSON_IsObject(c))
            return sg_err_set(e, SG_EFORMAT, "%s: must be an object", where);
        if ((rc = sgj_number(c, where, "core:sample_start", false, 0, 0, 9.0e15, &ss, e)) ||
            (rc = sgj_number(c, where, "core:frequency", false, 0, -1e12, 1e12, &f, e)) ||
            (rc = sgj_string(c, where, "core:datetime", false, "", k->datetime,
                             sizeof k->datetime, e)))
            return rc;
        k->sample_start = (uint64_t)ss;
        k->frequency = f;
        k->t0 = NAN;
        if (k->datetime[0] && sigmf_parse_datetime(k->datetime, &k->t0))
            return sg_err_set(e, SG_EFORMAT,
                              "%s.core:datetime: \"%s\" is not ISO 8601 UTC "
                              "(YYYY-MM-DDTHH:MM:SS.sssZ)",
                              where, k->datetime);
        if (i && k->sample_start <= m->captures[i - 1].sample_start)
            return sg_err_set(e, SG_EFORMAT, "%s.core:sample_start: captures must be in "
                                             "increasing sample order", where);
        m->n_captures++;
    }
    const cJSON *a = anns ? anns->child : NULL;
    for (size_t i = 0; i < na; i++, a = a->next) {
        sigmf_annotation *k = &m->annotations[i];
        double ss, sc, lo, hi;
        snprintf(where, sizeof where, "%s: annotations[%zu]", name, i);
        if (!cJSON_IsObject(a))
            return sg_err_set(e, SG_EFORMAT, "%s: must be an object", where);
        if ((rc = sgj_number(a, where, "core:sample_start", true, 0, 0, 9.0e15, &ss, e)) ||
            (rc = sgj_number(a, where, "core:sample_count", false, 0, 0, 9.0e15, &sc, e)) ||
            (rc = sgj_number(a, where, "core:freq_lower_edge", false, NAN, -1e12, 1e12, &lo, e)) ||
            (rc = sgj_number(a, where, "core:freq_upper_edge", false, NAN, -1e12, 1e12, &hi, e)) ||
            (rc = sgj_string(a, where, "core:label", false, "", k->label, sizeof k->label, e)) ||
            (rc = sgj_string(a, where, "core:comment", false, "", k->comment, sizeof k->comment, e)))
            return rc;
        k->sample_start = (uint64_t)ss;
        k->sample_count = (uint64_t)sc;
        k->freq_lo = lo;
        k->freq_hi = hi;
        m->n_annotations++;
    }
    return SG_OK;
}

static int meta_from(const char *name, cJSON *root, double rate_override, sigmf_meta *out,
                     sg_errinfo *e)
{
    if (!root)
        return e ? e->code : SG_EFORMAT;
    int rc = parse_meta(name, root, rate_override, out, e);
    cJSON_Delete(root);
    if (rc)
        sigmf_meta_free(out);
    return rc;
}

int sigmf_meta_load(const char *meta_path, double rate_override, sigmf_meta *out, sg_errinfo *e)
{
    memset(out, 0, sizeof *out);
    return meta_from(meta_path, sgj_parse_file(meta_path, e), rate_override, out, e);
}

int sigmf_meta_parse(const char *name, const char *text, size_t len, double rate_override,
                     sigmf_meta *out, sg_errinfo *e)
{
    memset(out, 0, sizeof *out);
    return meta_from(name, sgj_parse(name, text, len, e), rate_override, out, e);
}
