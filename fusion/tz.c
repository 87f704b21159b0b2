/* TZif reader (RFC 8536) for zone schedules (see tz.h). Only the 64-bit (v2+) data
 * block is used when present; v1-only files fall back to the 32-bit block. */
#include "tz.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sg_json.h"

struct tz_info {
    char name[64];
    int64_t *when;    /* transition instants, s UTC, ascending */
    uint8_t *idx;     /* type index per transition */
    size_t n;
    int32_t *utoff;   /* s east of UTC per type */
    size_t ntypes;
    int32_t off_before; /* offset before the first transition */
    /* POSIX-TZ footer rule for instants after the last transition (RFC 8536 3.3). */
    bool has_rule, rule_dst;
    int32_t std_off, dst_off;         /* s east of UTC */
    struct tz_rule_date {
        char kind;                    /* 'M', 'J' or 'n' */
        int m, w, d;                  /* Mm.w.d; J/n use d */
        int32_t secs;                 /* s after local midnight */
    } start, end;
};

static bool name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n >= 64 || s[0] == '/' || strstr(s, ".."))
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '/' || c == '_' || c == '+' || c == '-'))
            return false;
    }
    return true;
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
    return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

void tz_destroy(tz_info *z)
{
    if (!z)
        return;
    free(z->when);
    free(z->idx);
    free(z->utoff);
    free(z);
}

const char *tz_name(const tz_info *z)
{
    return z->name;
}

/* Parses one data block starting at p (header included); 8-byte times if wide. */
static int parse_block(tz_info *z, const unsigned char *p, size_t len, bool wide, size_t *used)
{
    if (len < 44 || memcmp(p, "TZif", 4) != 0)
        return SG_EFORMAT;
    size_t isut = be32(p + 20), isstd = be32(p + 24), leap = be32(p + 28);
    size_t timecnt = be32(p + 32), typecnt = be32(p + 36), charcnt = be32(p + 40);
    size_t tsz = wide ? 8 : 4;
    if (typecnt == 0 || typecnt > 256 || timecnt > 100000 || leap > 10000 || charcnt > 100000 ||
        isut > 256 || isstd > 256)
        return SG_EFORMAT;
    size_t need = 44 + timecnt * tsz + timecnt + typecnt * 6 + charcnt + leap * (tsz + 4) +
                  isstd + isut;
    if (need > len)
        return SG_EFORMAT;
    *used = need;
    const unsigned char *q = p + 44;
    z->n = timecnt;
    z->ntypes = typecnt;
    z->when = malloc((timecnt ? timecnt : 1) * sizeof *z->when);
    z->idx = malloc(timecnt ? timecnt : 1);
    z->utoff = malloc(typecnt * sizeof *z->utoff);
    if (!z->when || !z->idx || !z->utoff)
        return SG_ENOMEM;
    for (size_t i = 0; i < timecnt; i++, q += tsz)
        z->when[i] = wide ? be64(q) : (int64_t)(int32_t)be32(q);
    for (size_t i = 0; i < timecnt; i++, q++) {
        if (*q >= typecnt)
            return SG_EFORMAT;
        z->idx[i] = *q;
    }
    for (size_t i = 0; i < typecnt; i++, q += 6)
        z->utoff[i] = (int32_t)be32(q);
    for (size_t i = 1; i < timecnt; i++)
        if (z->when[i] <= z->when[i - 1])
            return SG_EFORMAT;
    z->off_before = z->utoff[0]; /* RFC 8536: type 0 applies before the first transition */
    return SG_OK;
}

/* "[+-]hh[:mm[:ss]]" -> seconds; advances *p. */
static bool posix_hms(const char **p, int max_h, int32_t *out)
{
    const char *s = *p;
    int sign = 1;
    if (*s == '+' || *s == '-')
        sign = *s++ == '-' ? -1 : 1;
    if (*s < '0' || *s > '9')
        return false;
    int v[3] = {0, 0, 0};
    for (int k = 0; k < 3; k++) {
        if (k && *s != ':')
            break;
        if (k)
            s++;
        int n = 0, digits = 0;
        while (*s >= '0' && *s <= '9' && digits < 3) {
            n = n * 10 + (*s++ - '0');
            digits++;
        }
        if (!digits)
            return false;
        v[k] = n;
    }
    if (v[0] > max_h || v[1] > 59 || v[2] > 59)
        return false;
    *out = sign * (v[0] * 3600 + v[1] * 60 + v[2]);
    *p = s;
    return true;
}

static bool posix_name(const char **p)
{
    const char *s = *p;
    if (*s == '<') {
        while (*s && *s != '>')
            s++;
        if (*s != '>')
            return false;
        *p = s + 1;
        return true;
    }
    int n = 0;
    while ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z')) {
        s++;
        n++;
    }
    *p = s;
    return n >= 3;
}

static bool posix_date(const char **p, struct tz_rule_date *d)
{
    const char *s = *p;
    memset(d, 0, sizeof *d);
    if (*s == 'M') {
        d->kind = 'M';
        if (sscanf(s + 1, "%d.%d.%d", &d->m, &d->w, &d->d) != 3 || d->m < 1 || d->m > 12 ||
            d->w < 1 || d->w > 5 || d->d < 0 || d->d > 6)
            return false;
        s++;
        while ((*s >= '0' && *s <= '9') || *s == '.')
            s++;
    } else {
        d->kind = *s == 'J' ? 'J' : 'n';
        if (*s == 'J')
            s++;
        if (*s < '0' || *s > '9')
            return false;
        while (*s >= '0' && *s <= '9')
            d->d = d->d * 10 + (*s++ - '0');
        if (d->d > 365 || (d->kind == 'J' && d->d < 1))
            return false;
    }
    d->secs = 7200; /* default 02:00 */
    if (*s == '/') {
        s++;
        if (!posix_hms(&s, 167, &d->secs))
            return false;
    }
    *p = s;
    return true;
}

/* Parses e.g. "GMT0BST,M3.5.0/1,M10.5.0" or "<+0330>-3:30". */
static bool parse_footer(tz_info *z, const char *s)
{
    int32_t off;
    if (!posix_name(&s) || !posix_hms(&s, 24, &off))
        return false;
    z->std_off = -off; /* POSIX offsets are west-positive */
    if (!*s) {
        z->has_rule = true;
        return true;
    }
    if (!posix_name(&s))
        return false;
    z->dst_off = z->std_off + 3600;
    if (*s && *s != ',') {
        if (!posix_hms(&s, 24, &off))
            return false;
        z->dst_off = -off;
    }
    if (*s != ',')
        return false; /* DST without rules: unsupported, keep the table's last offset */
    s++;
    if (!posix_date(&s, &z->start) || *s != ',')
        return false;
    s++;
    if (!posix_date(&s, &z->end) || *s)
        return false;
    z->has_rule = z->rule_dst = true;
    return true;
}

static bool is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Local seconds since 1970 of a rule date in year y. */
static int64_t rule_local(const struct tz_rule_date *d, int64_t y)
{
    int64_t day;
    if (d->kind == 'M') {
        static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        int64_t first = tz_days_from_civil(y, d->m, 1);
        int wd = (int)(((first + 4) % 7 + 7) % 7); /* 1970-01-01 was a Thursday; Sunday = 0 */
        int dom = 1 + (d->d - wd + 7) % 7 + 7 * (d->w - 1);
        int dim = mdays[d->m - 1] + (d->m == 2 && is_leap(y));
        while (dom > dim)
            dom -= 7;
        day = first + dom - 1;
    } else if (d->kind == 'J') {
        day = tz_days_from_civil(y, 1, 1) + d->d - 1 + (is_leap(y) && d->d >= 60);
    } else {
        day = tz_days_from_civil(y, 1, 1) + d->d;
    }
    return day * 86400 + d->secs;
}

static int64_t year_of(int64_t t)
{
    /* Civil year of a UTC instant (Hinnant's civil_from_days, year part). */
    int64_t z = (t >= 0 ? t / 86400 : -((-t + 86399) / 86400)) + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    return yoe + era * 400 + (mp >= 10);
}

static int32_t rule_offset(const tz_info *z, int64_t t)
{
    if (!z->rule_dst)
        return z->std_off;
    int64_t y = year_of(t + z->std_off);
    int64_t on = rule_local(&z->start, y) - z->std_off;  /* DST starts (UTC) */
    int64_t off = rule_local(&z->end, y) - z->dst_off;   /* DST ends (UTC) */
    bool dst = on < off ? (t >= on && t < off) : !(t >= off && t < on);
    return dst ? z->dst_off : z->std_off;
}

tz_info *tz_load(const char *dir, const char *name, sg_errinfo *e)
{
    if (!name || !name_ok(name)) {
        sg_err_set(e, SG_EINVAL, "time zone \"%s\": not a valid IANA zone name", name ? name : "");
        return NULL;
    }
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir ? dir : TZ_DEFAULT_DIR, name);
    FILE *f = fopen(path, "rb");
    if (!f) {
        sg_err_set(e, SG_ENOTFOUND, "time zone \"%s\": unknown (no %s; is tzdata installed?)",
                   name, path);
        return NULL;
    }
    fclose(f);
    char *buf;
    size_t len;
    sg_errinfo tmp;
    if (sg_read_file(path, 1u << 20, &buf, &len, &tmp) != SG_OK) {
        sg_err_set(e, tmp.code, "time zone \"%s\": %s", name, tmp.msg);
        return NULL;
    }
    tz_info *z = calloc(1, sizeof *z);
    if (!z) {
        free(buf);
        sg_err_set(e, SG_ENOMEM, "time zone \"%s\": out of memory", name);
        return NULL;
    }
    snprintf(z->name, sizeof z->name, "%s", name);
    const unsigned char *p = (const unsigned char *)buf;
    size_t used = 0;
    int rc = parse_block(z, p, len, false, &used);
    if (rc == SG_OK && len > 4 && p[4] >= '2') {
        /* v2+: the 64-bit block follows the v1 block; prefer it. */
        tz_info w = {0};
        size_t used2;
        rc = parse_block(&w, p + used, len - used, true, &used2);
        /* Footer: "\n<POSIX TZ>\n" right after the 64-bit block. */
        size_t fo = used + used2;
        if (rc == SG_OK && fo + 2 < len && p[fo] == '\n') {
            char tzs[128];
            size_t k = 0;
            while (fo + 1 + k < len && p[fo + 1 + k] != '\n' && k + 1 < sizeof tzs) {
                tzs[k] = (char)p[fo + 1 + k];
                k++;
            }
            tzs[k] = 0;
            if (!parse_footer(&w, tzs))
                w.has_rule = false; /* unknown rule form: fall back to the last offset */
        }
        /* The 64-bit block (and footer) replace the 32-bit one wholesale. */
        free(z->when);
        free(z->idx);
        free(z->utoff);
        memcpy(w.name, z->name, sizeof w.name);
        *z = w;
    }
    free(buf);
    if (rc != SG_OK) {
        sg_err_set(e, rc, "time zone \"%s\": %s is not a valid TZif file", name, path);
        tz_destroy(z);
        return NULL;
    }
    return z;
}

int32_t tz_offset(const tz_info *z, int64_t t)
{
    if (z->n == 0 || t < z->when[0])
        return z->n == 0 ? (z->has_rule ? rule_offset(z, t) : z->utoff[0]) : z->off_before;
    if (t >= z->when[z->n - 1] && z->has_rule)
        return rule_offset(z, t);
    size_t lo = 0, hi = z->n; /* last transition <= t */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (z->when[mid] <= t)
            lo = mid;
        else
            hi = mid;
    }
    return z->utoff[z->idx[lo]];
}

int64_t tz_local_to_utc(const tz_info *z, int64_t local)
{
    /* At most one transition within a day of any instant in real zones: try the
     * offsets in force a day before and a day after. */
    int32_t oa = tz_offset(z, local - 86400), ob = tz_offset(z, local + 86400);
    int64_t ua = local - oa, ub = local - ob;
    bool va = tz_offset(z, ua) == oa, vb = tz_offset(z, ub) == ob;
    if (va && vb)
        return ua < ub ? ua : ub;
    if (va)
        return ua;
    if (vb)
        return ub;
    return ua; /* gap: offset before the change */
}

int64_t tz_days_from_civil(int64_t y, int m, int d)
{
    /* Howard Hinnant's days_from_civil: exact for the proleptic Gregorian calendar. */
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}
