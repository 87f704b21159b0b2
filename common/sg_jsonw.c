/* Allocation-free JSON writer and ISO 8601 time helpers (see sg_jsonw.h). */
#include "sg_jsonw.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sg_error.h"

void sgjw_init(sgjw *w, char *buf, size_t cap)
{
    w->buf = buf;
    w->cap = cap;
    w->len = 0;
    w->overflow = cap == 0;
    w->need_comma = false;
    if (cap)
        buf[0] = '\0';
}

static void put(sgjw *w, const char *s, size_t n)
{
    if (w->overflow)
        return;
    if (w->len + n + 1 > w->cap) {
        w->overflow = true;
        return;
    }
    memcpy(w->buf + w->len, s, n);
    w->len += n;
    w->buf[w->len] = '\0';
}

static void putf(sgjw *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(sgjw *w, const char *fmt, ...)
{
    char tmp[64];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof tmp) {
        w->overflow = true;
        return;
    }
    put(w, tmp, (size_t)n);
}

void sgjw_raw(sgjw *w, const char *s) { put(w, s, strlen(s)); }

static void escaped(sgjw *w, const char *s)
{
    put(w, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') {
            char e[2] = {'\\', (char)*p};
            put(w, e, 2);
        } else if (*p < 0x20 || *p == 0x7f) {
            putf(w, "\\u%04x", *p);
        } else {
            put(w, (const char *)p, 1);
        }
    }
    put(w, "\"", 1);
}

static void key(sgjw *w, const char *k)
{
    if (w->need_comma)
        put(w, ",", 1);
    w->need_comma = true;
    if (k) {
        escaped(w, k);
        put(w, ":", 1);
    }
}

void sgjw_obj_begin(sgjw *w)
{
    if (w->need_comma)
        put(w, ",", 1);
    put(w, "{", 1);
    w->need_comma = false;
}

void sgjw_obj_end(sgjw *w)
{
    put(w, "}", 1);
    w->need_comma = true;
}

void sgjw_key_obj(sgjw *w, const char *k)
{
    key(w, k);
    put(w, "{", 1);
    w->need_comma = false;
}

void sgjw_arr_begin(sgjw *w, const char *k)
{
    key(w, k);
    put(w, "[", 1);
    w->need_comma = false;
}

void sgjw_arr_end(sgjw *w)
{
    put(w, "]", 1);
    w->need_comma = true;
}

void sgjw_str(sgjw *w, const char *k, const char *v)
{
    key(w, k);
    escaped(w, v ? v : "");
}

void sgjw_num(sgjw *w, const char *k, double v, int digits)
{
    key(w, k);
    if (isfinite(v))
        putf(w, "%.*g", digits, v);
    else
        put(w, "null", 4);
}

void sgjw_fix(sgjw *w, const char *k, double v, int decimals)
{
    key(w, k);
    if (isfinite(v) && fabs(v) < 1e15)
        putf(w, "%.*f", decimals, v);
    else
        put(w, "null", 4);
}

void sgjw_int(sgjw *w, const char *k, long long v)
{
    key(w, k);
    putf(w, "%lld", v);
}

void sgjw_uint(sgjw *w, const char *k, unsigned long long v)
{
    key(w, k);
    putf(w, "%llu", v);
}

void sgjw_bool(sgjw *w, const char *k, bool v)
{
    key(w, k);
    put(w, v ? "true" : "false", v ? 4 : 5);
}

void sgjw_null(sgjw *w, const char *k)
{
    key(w, k);
    put(w, "null", 4);
}

void sg_time_iso8601(double t, char *out, size_t cap)
{
    if (!isfinite(t) || fabs(t) > 1e11) {
        snprintf(out, cap, "unknown");
        return;
    }
    /* the time exactly as the feed writes "t" (%.6f), truncated to the millisecond (a
     * time is never shown later than it is). Going through the printed digits absorbs
     * binary representation error (x.300 is stored as x.2999999523; at Unix times one
     * ulp of t x 1000 is ~2e-4, so no bias on t x 1000 can) and agrees with "t" even
     * at half-microsecond ties. */
    char dig[48];
    snprintf(dig, sizeof dig, "%.6f", t);
    const char *dot = strchr(dig, '.');
    long long whole = strtoll(dig, NULL, 10), frac = dot ? strtoll(dot + 1, NULL, 10) : 0;
    long long tus = dig[0] == '-' ? whole * 1000000 - frac : whole * 1000000 + frac;
    long long tms = tus >= 0 ? tus / 1000 : -((-tus + 999) / 1000);
    long long sec = tms >= 0 ? tms / 1000 : -((-tms + 999) / 1000);
    int ms = (int)(tms - sec * 1000);
    time_t s = (time_t)sec;
    struct tm tm;
    gmtime_r(&s, &tm);
    snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static long days_from_civil(long y, unsigned m, unsigned d)
{
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (long)doe - 719468;
}

int sg_time_parse_iso8601(const char *s, double *t)
{
    int y, mo, d, h = 0, mi = 0, n = 0;
    double sec = 0;
    if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
        return SG_EFORMAT;
    const char *p = s + n;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        int m = 0;
        if (sscanf(p + 1, "%2d:%2d:%lf%n", &h, &mi, &sec, &m) != 3)
            return SG_EFORMAT;
        p += 1 + m;
    }
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec < 0 || sec >= 61)
        return SG_EFORMAT;
    double off = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        /* +hh, +hhmm or +hh:mm */
        const char *q = p + 1;
        int dg[4], nd = 0;
        while (nd < 4 && *q) {
            if (*q >= '0' && *q <= '9')
                dg[nd++] = *q - '0';
            else if (!(*q == ':' && nd == 2))
                break;
            q++;
        }
        if (nd != 2 && nd != 4)
            return SG_EFORMAT;
        int oh = dg[0] * 10 + dg[1], om = nd == 4 ? dg[2] * 10 + dg[3] : 0;
        if (oh > 23 || om > 59)
            return SG_EFORMAT;
        off = (*p == '-' ? -1 : 1) * (oh * 3600.0 + om * 60.0);
        p = q;
    } else if (*p) {
        return SG_EFORMAT;
    }
    if (*p)
        return SG_EFORMAT;
    *t = (double)days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400.0 + h * 3600.0 +
         mi * 60.0 + sec - off;
    return SG_OK;
}
