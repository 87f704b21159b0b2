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
        free(z->when);
        free(z->idx);
        free(z->utoff);
        z->when = w.when;
        z->idx = w.idx;
        z->utoff = w.utoff;
        z->n = w.n;
        z->ntypes = w.ntypes;
        z->off_before = w.off_before;
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
        return z->n == 0 ? z->utoff[0] : z->off_before;
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
