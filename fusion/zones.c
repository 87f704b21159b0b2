/* GeoJSON zones: loading, validation, point-in-zone, distance and entry time (see
 * zones.h). Loaded by the daemon from the GeoJSON named in the site config; queried
 * by the alert engine for every (track, zone) pair after each tracker step. */
#include "zones.h"

#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zones_impl.h"

/* ---- small helpers ---------------------------------------------------------------- */

void zi_zone_free(zone *z)
{
    for (size_t i = 0; i < z->npolys; i++) {
        for (size_t j = 0; j < z->polys[i].nrings; j++)
            free(z->polys[i].rings[j].xy);
        free(z->polys[i].rings);
    }
    free(z->polys);
    free(z->sched);
}

void zones_destroy(zone_set *zs)
{
    if (!zs)
        return;
    for (size_t i = 0; i < zs->n; i++)
        zi_zone_free(&zs->z[i]);
    free(zs->z);
    for (size_t i = 0; i < zs->ntz; i++)
        tz_destroy(zs->tz[i]);
    free(zs);
}

const tz_info *zi_tz_get(zone_set *zs, const char *name, const char *where, sg_errinfo *e)
{
    for (size_t i = 0; i < zs->ntz; i++)
        if (strcmp(tz_name(zs->tz[i]), name) == 0)
            return zs->tz[i];
    if (zs->ntz == MAX_TZ) {
        sg_err_set(e, SG_ERANGE, "%s: more than %d distinct time zones", where, MAX_TZ);
        return NULL;
    }
    sg_errinfo te;
    tz_info *t = tz_load(NULL, name, &te);
    if (!t) {
        sg_err_set(e, te.code, "%s: %s", where, te.msg);
        return NULL;
    }
    zs->tz[zs->ntz++] = t;
    return t;
}

/* Parses "YYYY-MM-DDTHH:MM[:SS[.fff]][Z|+HH:MM|-HH:MM|+HHMM|+HH]". *secs is seconds
 * since 1970 in the time scale of the string (UTC if *has_off, local otherwise). */
bool zi_parse_iso(const char *s, double *secs, bool *has_off)
{
    int y, mo, d, h, mi, n = 0;
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d%n", &y, &mo, &d, &h, &mi, &n) != 5 || n != 16)
        return false;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || h < 0 || mi < 0)
        return false;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > mdays[mo - 1] || (mo == 2 && d == 29 && !leap))
        return false;
    const char *p = s + n;
    double sec = 0;
    if (*p == ':') {
        if (!isdigit((unsigned char)p[1]) || !isdigit((unsigned char)p[2]))
            return false;
        sec = (p[1] - '0') * 10 + (p[2] - '0');
        if (sec > 59)
            return false;
        p += 3;
        if (*p == '.') {
            double scale = 0.1;
            p++;
            if (!isdigit((unsigned char)*p))
                return false;
            while (isdigit((unsigned char)*p)) {
                sec += (*p++ - '0') * scale;
                scale /= 10;
            }
        }
    }
    double off = 0;
    *has_off = false;
    if (*p == 'Z') {
        *has_off = true;
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p == '-' ? -1 : 1, oh, om = 0;
        p++;
        if (!isdigit((unsigned char)p[0]) || !isdigit((unsigned char)p[1]))
            return false;
        oh = (p[0] - '0') * 10 + (p[1] - '0');
        p += 2;
        if (*p == ':')
            p++;
        if (isdigit((unsigned char)p[0]) && isdigit((unsigned char)p[1])) {
            om = (p[0] - '0') * 10 + (p[1] - '0');
            p += 2;
        }
        if (oh > 18 || om > 59)
            return false;
        off = sign * (oh * 3600.0 + om * 60.0);
        *has_off = true;
    }
    if (*p)
        return false;
    *secs = (double)tz_days_from_civil(y, mo, d) * 86400.0 + h * 3600.0 + mi * 60.0 + sec - off;
    return true;
}

bool zi_parse_hhmm(const char *s, int32_t *sod)
{
    int h, m, sec = 0, n = 0;
    if (sscanf(s, "%2d:%2d%n", &h, &m, &n) != 2 || n != 5)
        return false;
    if (s[n] == ':') {
        int n2 = 0;
        if (sscanf(s + n + 1, "%2d%n", &sec, &n2) != 1 || n2 != 2 || s[n + 3])
            return false;
    } else if (s[n]) {
        return false;
    }
    /* "24:00" is allowed as the end of a day. */
    if (h < 0 || h > 24 || m < 0 || m > 59 || sec < 0 || sec > 59 || (h == 24 && (m || sec)))
        return false;
    *sod = h * 3600 + m * 60 + sec;
    return true;
}

static int parse_schedule(zone_set *zs, zone *z, const cJSON *arr, const char *where,
                          const char *feature_tz, sg_errinfo *e)
{
    static const char *const ev_keys[] = {"start", "end", "tz", "days", NULL};
    static const char *const dnames[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
    size_t n = (size_t)cJSON_GetArraySize(arr);
    if (n == 0)
        return sg_err_set(e, SG_EINVAL, "%s.properties.schedule: empty (omit it for always active)",
                          where);
    if (n > MAX_SCHED)
        return sg_err_set(e, SG_ERANGE, "%s.properties.schedule: more than %d entries", where,
                          MAX_SCHED);
    z->sched = calloc(n, sizeof *z->sched);
    if (!z->sched)
        return sg_err_set(e, SG_ENOMEM, "%s: out of memory", where);
    for (size_t i = 0; i < n; i++) {
        const cJSON *it = cJSON_GetArrayItem(arr, (int)i);
        char w[400];
        snprintf(w, sizeof w, "%s.properties.schedule[%zu]", where, i);
        if (!cJSON_IsObject(it))
            return sg_err_set(e, SG_EINVAL, "%s: must be an object", w);
        int rc = sgj_check_keys(it, w, ev_keys, e);
        char start[64], end[64], tzn[64];
        if (!rc)
            rc = sgj_string(it, w, "start", true, NULL, start, sizeof start, e);
        if (!rc)
            rc = sgj_string(it, w, "end", true, NULL, end, sizeof end, e);
        if (!rc)
            rc = sgj_string(it, w, "tz", false, feature_tz, tzn, sizeof tzn, e);
        if (rc)
            return rc;
        sched *s = &z->sched[z->nsched++];
        const cJSON *days;
        if ((rc = sgj_array(it, w, "days", false, &days, e)))
            return rc;
        const tz_info *tz = NULL;
        if (tzn[0]) {
            char tw[420];
            snprintf(tw, sizeof tw, "%s.tz", w);
            if (!(tz = zi_tz_get(zs, tzn, tw, e)))
                return e ? e->code : SG_EINVAL;
        }
        if (days) {
            s->weekly = true;
            s->start = -INFINITY;
            s->end = INFINITY;
            if (!tz)
                return sg_err_set(e, SG_EINVAL, "%s.tz: weekly windows need a time zone", w);
            s->tz = tz;
            int nd = cJSON_GetArraySize(days);
            if (nd == 0)
                return sg_err_set(e, SG_EINVAL, "%s.days: empty", w);
            for (int k = 0; k < nd; k++) {
                const cJSON *d = cJSON_GetArrayItem(days, k);
                int found = -1;
                for (int j = 0; j < 7 && cJSON_IsString(d); j++)
                    if (strcmp(d->valuestring, dnames[j]) == 0)
                        found = j;
                if (found < 0)
                    return sg_err_set(e, SG_EINVAL, "%s.days[%d]: must be one of mon..sun", w, k);
                s->days |= (uint8_t)(1u << found);
            }
            if (!zi_parse_hhmm(start, &s->sod_start) || s->sod_start >= 86400)
                return sg_err_set(e, SG_EFORMAT, "%s.start: \"%s\" is not a time of day HH:MM[:SS]",
                                  w, start);
            if (!zi_parse_hhmm(end, &s->sod_end))
                return sg_err_set(e, SG_EFORMAT, "%s.end: \"%s\" is not a time of day HH:MM[:SS]", w,
                                  end);
            if (s->sod_end == s->sod_start)
                return sg_err_set(e, SG_EINVAL, "%s: start and end are equal", w);
            continue;
        }
        bool off_s, off_e;
        double ts, te;
        if (!zi_parse_iso(start, &ts, &off_s))
            return sg_err_set(e, SG_EFORMAT,
                              "%s.start: \"%s\" is not an ISO 8601 time YYYY-MM-DDTHH:MM[:SS][Z|+HH:MM]",
                              w, start);
        if (!zi_parse_iso(end, &te, &off_e))
            return sg_err_set(e, SG_EFORMAT,
                              "%s.end: \"%s\" is not an ISO 8601 time YYYY-MM-DDTHH:MM[:SS][Z|+HH:MM]",
                              w, end);
        if ((!off_s || !off_e) && !tz)
            return sg_err_set(e, SG_EINVAL,
                              "%s: local times (no Z or offset) need a time zone (\"tz\")", w);
        /* Local wall-clock -> UTC through the zone's own rules (DST-aware). */
        if (!off_s) {
            double fr = ts - floor(ts);
            ts = (double)tz_local_to_utc(tz, (int64_t)floor(ts)) + fr;
        }
        if (!off_e) {
            double fr = te - floor(te);
            te = (double)tz_local_to_utc(tz, (int64_t)floor(te)) + fr;
        }
        if (!(te > ts))
            return sg_err_set(e, SG_EINVAL, "%s: end (%s) is not after start (%s)", w, end, start);
        s->start = ts;
        s->end = te;
    }
    return SG_OK;
}

typedef struct {
    double lon, lat;
    size_t i;
} vtx;

static int vtx_cmp(const void *a, const void *b)
{
    const vtx *x = a, *y = b;
    if (x->lon != y->lon)
        return x->lon < y->lon ? -1 : 1;
    if (x->lat != y->lat)
        return x->lat < y->lat ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

static int parse_ring(const zone_set *zs, const cJSON *arr, const char *w, ring *out,
                      size_t *budget, sg_errinfo *e)
{
    if (!cJSON_IsArray(arr))
        return sg_err_set(e, SG_EFORMAT, "%s: a linear ring must be an array of positions", w);
    size_t n = (size_t)cJSON_GetArraySize(arr);
    if (n < 4)
        return sg_err_set(e, SG_EFORMAT, "%s: a linear ring needs at least 4 positions, got %zu",
                          w, n);
    if (n > *budget)
        return sg_err_set(e, SG_ERANGE, "%s: more than %d vertices in the file", w,
                          (int)ZONES_MAX_VERTICES);
    *budget -= n;
    vtx *v = malloc(n * sizeof *v);
    out->xy = malloc(2 * (n - 1) * sizeof *out->xy);
    if (!v || !out->xy) {
        free(v);
        return sg_err_set(e, SG_ENOMEM, "%s: out of memory", w);
    }
    out->n = n - 1;
    int rc = SG_OK;
    for (size_t i = 0; i < n && !rc; i++) {
        const cJSON *p = cJSON_GetArrayItem(arr, (int)i);
        int np = cJSON_IsArray(p) ? cJSON_GetArraySize(p) : 0;
        const cJSON *lo = np >= 2 ? cJSON_GetArrayItem(p, 0) : NULL;
        const cJSON *la = np >= 2 ? cJSON_GetArrayItem(p, 1) : NULL;
        if (np < 2 || np > 3 || !cJSON_IsNumber(lo) || !cJSON_IsNumber(la)) {
            rc = sg_err_set(e, SG_EFORMAT, "%s[%zu]: a position must be [lon, lat] or [lon, lat, alt] numbers",
                            w, i);
            break;
        }
        double lon = lo->valuedouble, lat = la->valuedouble;
        if (!isfinite(lon) || !isfinite(lat) || fabs(lon) > 180 || fabs(lat) > 90) {
            rc = sg_err_set(e, SG_ERANGE, "%s[%zu]: [%g, %g] is not a valid [lon, lat] in degrees",
                            w, i, lon, lat);
            break;
        }
        v[i] = (vtx){lon, lat, i};
    }
    if (!rc && (v[0].lon != v[n - 1].lon || v[0].lat != v[n - 1].lat))
        rc = sg_err_set(e, SG_EFORMAT, "%s: ring is not closed (first and last positions differ)", w);
    if (!rc) {
        for (size_t i = 0; i + 1 < n; i++) {
            double enu[3];
            geo_frame_to_enu(&zs->f, v[i].lat * GEO_DEG, v[i].lon * GEO_DEG, zs->f.h0, enu);
            if (hypot(enu[0], enu[1]) > ZONES_MAX_RANGE_M) {
                rc = sg_err_set(e, SG_ERANGE, "%s[%zu]: vertex is %.1f km from the site origin (max %.0f km)",
                                w, i, hypot(enu[0], enu[1]) / 1000, ZONES_MAX_RANGE_M / 1000);
                break;
            }
            out->xy[2 * i] = enu[0];
            out->xy[2 * i + 1] = enu[1];
        }
    }
    if (!rc) {
        /* A repeated vertex (other than the closing one) makes a degenerate or
         * self-touching ring: refuse it rather than guess. */
        qsort(v, n - 1, sizeof *v, vtx_cmp);
        for (size_t i = 1; i + 1 < n; i++)
            if (v[i].lon == v[i - 1].lon && v[i].lat == v[i - 1].lat) {
                rc = sg_err_set(e, SG_EFORMAT, "%s[%zu]: repeats the vertex at position %zu", w,
                                v[i].i, v[i - 1].i);
                break;
            }
    }
    free(v);
    return rc;
}

static bool ring_inside(const ring *r, double x, double y);
static double ring_dist(const ring *r, double x, double y);

static double orient(const double *a, const double *b, const double *c)
{
    return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]);
}

static bool on_seg(const double *a, const double *b, const double *p)
{
    return fmin(a[0], b[0]) <= p[0] && p[0] <= fmax(a[0], b[0]) && fmin(a[1], b[1]) <= p[1] &&
           p[1] <= fmax(a[1], b[1]);
}

static bool segs_cross(const double *a, const double *b, const double *c, const double *d)
{
    double o1 = orient(a, b, c), o2 = orient(a, b, d), o3 = orient(c, d, a), o4 = orient(c, d, b);
    if (((o1 > 0 && o2 < 0) || (o1 < 0 && o2 > 0)) && ((o3 > 0 && o4 < 0) || (o3 < 0 && o4 > 0)))
        return true;
    return (o1 == 0 && on_seg(a, b, c)) || (o2 == 0 && on_seg(a, b, d)) ||
           (o3 == 0 && on_seg(c, d, a)) || (o4 == 0 && on_seg(c, d, b));
}

/* O(n^2) check for crossing non-adjacent edges; rings above the limit are not checked
 * (the load-time cost would be seconds) and behave as even-odd regions. */
#define SELF_CHECK_MAX 4096
static bool ring_self_cross(const ring *r, size_t *ei, size_t *ej)
{
    if (r->n > SELF_CHECK_MAX)
        return false;
    for (size_t i = 0; i < r->n; i++) {
        const double *a = &r->xy[2 * i], *b = &r->xy[2 * ((i + 1) % r->n)];
        for (size_t j = i + 2; j < r->n; j++) {
            if (i == 0 && j == r->n - 1)
                continue; /* adjacent through the closing vertex */
            const double *c = &r->xy[2 * j], *d = &r->xy[2 * ((j + 1) % r->n)];
            if (segs_cross(a, b, c, d)) {
                *ei = i;
                *ej = j;
                return true;
            }
        }
    }
    return false;
}

int zi_parse_polygon(const zone_set *zs, const cJSON *rings, const char *w, poly *out,
                     size_t *budget, sg_errinfo *e)
{
    if (!cJSON_IsArray(rings) || cJSON_GetArraySize(rings) < 1)
        return sg_err_set(e, SG_EFORMAT, "%s: a polygon must be a non-empty array of rings", w);
    size_t n = (size_t)cJSON_GetArraySize(rings);
    out->rings = calloc(n, sizeof *out->rings);
    if (!out->rings)
        return sg_err_set(e, SG_ENOMEM, "%s: out of memory", w);
    for (size_t i = 0; i < n; i++) {
        char rw[420];
        snprintf(rw, sizeof rw, "%s[%zu]", w, i);
        out->nrings = i + 1;
        int rc = parse_ring(zs, cJSON_GetArrayItem(rings, (int)i), rw, &out->rings[i], budget, e);
        if (rc)
            return rc;
        size_t ei, ej;
        if (ring_self_cross(&out->rings[i], &ei, &ej))
            return sg_err_set(e, SG_EFORMAT, "%s: edges %zu and %zu cross (self-intersecting ring)",
                              rw, ei, ej);
        if (i == 0)
            continue;
        /* A hole must lie within its outer ring (touching the boundary is allowed). */
        const ring *outer = &out->rings[0], *h = &out->rings[i];
        for (size_t k = 0; k < h->n; k++) {
            double x = h->xy[2 * k], y = h->xy[2 * k + 1];
            if (!ring_inside(outer, x, y) && ring_dist(outer, x, y) > ON_EDGE_M)
                return sg_err_set(e, SG_EFORMAT, "%s[%zu]: hole vertex lies outside the outer ring",
                                  rw, k);
        }
    }
    return SG_OK;
}

static int parse_geometry(const zone_set *zs, zone *z, const cJSON *feat, const cJSON *props,
                          const char *where, size_t *budget, sg_errinfo *e)
{
    static const char *const types[] = {"Polygon", "MultiPolygon", "Point"};
    char gw[400];
    snprintf(gw, sizeof gw, "%s.geometry", where);
    const cJSON *g, *coords;
    int type, rc;
    if ((rc = sgj_object(feat, where, "geometry", true, &g, e)) ||
        (rc = sgj_enum(g, gw, "type", true, 0, types, 3, &type, e)) ||
        (rc = sgj_array(g, gw, "coordinates", true, &coords, e)))
        return rc;
    char cw[420];
    snprintf(cw, sizeof cw, "%s.coordinates", gw);
    if (type == 2) {
        char pw[400];
        snprintf(pw, sizeof pw, "%s.properties", where);
        double radius;
        if ((rc = sgj_number(props, pw, "radius_m", true, 0, 0, ZONES_MAX_RANGE_M, &radius, e)))
            return rc;
        if (!(radius > 0))
            return sg_err_set(e, SG_ERANGE, "%s.radius_m: must be > 0", pw);
        int np = cJSON_GetArraySize(coords);
        const cJSON *lo = cJSON_GetArrayItem(coords, 0), *la = cJSON_GetArrayItem(coords, 1);
        if (np < 2 || np > 3 || !cJSON_IsNumber(lo) || !cJSON_IsNumber(la) ||
            fabs(lo->valuedouble) > 180 || fabs(la->valuedouble) > 90)
            return sg_err_set(e, SG_EFORMAT, "%s: a circle centre must be [lon, lat] in degrees", cw);
        double enu[3];
        geo_frame_to_enu(&zs->f, la->valuedouble * GEO_DEG, lo->valuedouble * GEO_DEG, zs->f.h0, enu);
        if (hypot(enu[0], enu[1]) > ZONES_MAX_RANGE_M)
            return sg_err_set(e, SG_ERANGE, "%s: centre is %.1f km from the site origin (max %.0f km)",
                              cw, hypot(enu[0], enu[1]) / 1000, ZONES_MAX_RANGE_M / 1000);
        z->circle = true;
        z->cx = enu[0];
        z->cy = enu[1];
        z->r = radius;
        return SG_OK;
    }
    if (props && cJSON_GetObjectItemCaseSensitive(props, "radius_m"))
        return sg_err_set(e, SG_EINVAL, "%s.properties.radius_m: only valid for Point (circle) zones",
                          where);
    size_t np = type == 0 ? 1 : (size_t)cJSON_GetArraySize(coords);
    if (np == 0)
        return sg_err_set(e, SG_EFORMAT, "%s: a MultiPolygon needs at least one polygon", cw);
    z->polys = calloc(np, sizeof *z->polys);
    if (!z->polys)
        return sg_err_set(e, SG_ENOMEM, "%s: out of memory", where);
    for (size_t i = 0; i < np; i++) {
        char pw[440];
        const cJSON *rings = type == 0 ? coords : cJSON_GetArrayItem(coords, (int)i);
        if (type == 0)
            snprintf(pw, sizeof pw, "%s", cw);
        else
            snprintf(pw, sizeof pw, "%s[%zu]", cw, i);
        z->npolys = i + 1;
        if ((rc = zi_parse_polygon(zs, rings, pw, &z->polys[i], budget, e)))
            return rc;
    }
    return SG_OK;
}

static void zone_bbox(zone *z)
{
    if (z->circle) {
        z->bbox[0] = z->cx - z->r;
        z->bbox[1] = z->cy - z->r;
        z->bbox[2] = z->cx + z->r;
        z->bbox[3] = z->cy + z->r;
        return;
    }
    z->bbox[0] = z->bbox[1] = INFINITY;
    z->bbox[2] = z->bbox[3] = -INFINITY;
    for (size_t i = 0; i < z->npolys; i++) {
        const ring *r = &z->polys[i].rings[0];
        for (size_t k = 0; k < r->n; k++) {
            z->bbox[0] = fmin(z->bbox[0], r->xy[2 * k]);
            z->bbox[1] = fmin(z->bbox[1], r->xy[2 * k + 1]);
            z->bbox[2] = fmax(z->bbox[2], r->xy[2 * k]);
            z->bbox[3] = fmax(z->bbox[3], r->xy[2 * k + 1]);
        }
    }
}

void zi_finish_zone(zone_set *zs, zone *z)
{
    z->f = &zs->f;
    z->earth_r = sqrt(zs->f.n0 * zs->f.m0);
    zone_bbox(z);
}

static int parse_feature(zone_set *zs, zone *z, const cJSON *feat, const char *name, size_t idx,
                         double geoid_n, double ground_def, size_t *budget, sg_errinfo *e)
{
    static const char *const layers[] = {"warning", "alert", "critical"};
    static const char *const refs[] = {"AMSL", "AGL"};
    char where[300], pw[360];
    snprintf(where, sizeof where, "%s: features[%zu]", name, idx);
    if (!cJSON_IsObject(feat))
        return sg_err_set(e, SG_EFORMAT, "%s: must be an object", where);
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(feat, "type");
    if (!cJSON_IsString(type) || strcmp(type->valuestring, "Feature") != 0)
        return sg_err_set(e, SG_EFORMAT, "%s.type: must be \"Feature\"", where);
    const cJSON *props;
    int rc = sgj_object(feat, where, "properties", true, &props, e);
    if (rc)
        return rc;
    /* id: the GeoJSON feature member, else properties.id (string or number). */
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(feat, "id");
    if (!id)
        id = cJSON_GetObjectItemCaseSensitive(props, "id");
    if (cJSON_IsString(id) && id->valuestring[0] && strlen(id->valuestring) < SG_ID_LEN)
        snprintf(z->id, sizeof z->id, "%s", id->valuestring);
    else if (cJSON_IsNumber(id) && id->valuedouble == floor(id->valuedouble) &&
             fabs(id->valuedouble) < 1e15)
        snprintf(z->id, sizeof z->id, "%.0f", id->valuedouble);
    else
        return sg_err_set(e, SG_EINVAL, "%s.id: required: a non-empty string (< %d chars) or integer",
                          where, SG_ID_LEN);
    for (size_t i = 0; i < zs->n; i++)
        if (strcmp(zs->z[i].id, z->id) == 0)
            return sg_err_set(e, SG_EINVAL, "%s.id: \"%s\" duplicates features[%zu]", where, z->id, i);
    snprintf(where, sizeof where, "%s: features[%zu] (id \"%s\")", name, idx, z->id);
    snprintf(pw, sizeof pw, "%s.properties", where);

    int layer, ref;
    double floor_m, ceil_m, ground;
    char tzn[64];
    if ((rc = sgj_string(props, pw, "name", false, z->id, z->name, sizeof z->name, e)) ||
        (rc = sgj_enum(props, pw, "layer", true, 0, layers, 3, &layer, e)) ||
        (rc = sgj_enum(props, pw, "altitude_ref", false, 0, refs, 2, &ref, e)) ||
        (rc = sgj_number(props, pw, "floor_m", false, -INFINITY, -1000, 1e5, &floor_m, e)) ||
        (rc = sgj_number(props, pw, "ceiling_m", false, INFINITY, -1000, 1e5, &ceil_m, e)) ||
        (rc = sgj_number(props, pw, "ground_amsl_m", false, ground_def, -1000, 9000, &ground, e)) ||
        (rc = sgj_string(props, pw, "tz", false, "", tzn, sizeof tzn, e)))
        return rc;
    /* sgj_number's default bypasses the range check, which is what lets -INF/INF through. */
    if (floor_m > ceil_m)
        return sg_err_set(e, SG_EINVAL, "%s.floor_m: floor (%g m) is above ceiling_m (%g m)", pw,
                          floor_m, ceil_m);
    if (ref == ZONE_REF_AGL && isnan(ground) && (isfinite(floor_m) || isfinite(ceil_m)))
        return sg_err_set(e, SG_EINVAL,
                          "%s.ground_amsl_m: required for altitude_ref AGL (or set it on the collection)",
                          pw);
    z->layer = (zone_layer)layer;
    double base = geoid_n + (ref == ZONE_REF_AGL ? ground : 0.0);
    z->floor_hae = isfinite(floor_m) ? floor_m + base : -INFINITY;
    z->ceil_hae = isfinite(ceil_m) ? ceil_m + base : INFINITY;
    if ((rc = parse_geometry(zs, z, feat, props, where, budget, e)))
        return rc;
    const cJSON *sch;
    if ((rc = sgj_array(props, pw, "schedule", false, &sch, e)))
        return rc;
    if (sch && (rc = parse_schedule(zs, z, sch, where, tzn, e)))
        return rc;
    if (!sch && tzn[0]) {
        /* A tz without a schedule is harmless but validate it: a typo should not wait
         * until someone adds a schedule. */
        char tw[400];
        snprintf(tw, sizeof tw, "%s.tz", pw);
        if (!zi_tz_get(zs, tzn, tw, e))
            return e ? e->code : SG_EINVAL;
    }
    zi_finish_zone(zs, z);
    return SG_OK;
}

zone_set *zones_from_json(const char *name, const cJSON *root, const geo_frame *f, sg_errinfo *e)
{
    static const char *const top_keys[] = {"type", "features", "name", "crs", "bbox",
                                           "geoid_undulation_m", "ground_amsl_m", NULL};
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(root, "type");
    if (!cJSON_IsObject(root) || !cJSON_IsString(type) ||
        strcmp(type->valuestring, "FeatureCollection") != 0) {
        sg_err_set(e, SG_EFORMAT, "%s: type: must be a GeoJSON \"FeatureCollection\"", name);
        return NULL;
    }
    const cJSON *feats;
    double geoid_n, ground_def;
    if (sgj_check_keys(root, name, top_keys, e) ||
        sgj_array(root, name, "features", true, &feats, e) ||
        sgj_number(root, name, "geoid_undulation_m", false, 0, -120, 120, &geoid_n, e) ||
        sgj_number(root, name, "ground_amsl_m", false, NAN, -1000, 9000, &ground_def, e))
        return NULL;
    size_t n = (size_t)cJSON_GetArraySize(feats);
    if (n > ZONES_MAX_ZONES) {
        sg_err_set(e, SG_ERANGE, "%s: features: more than %d zones", name, ZONES_MAX_ZONES);
        return NULL;
    }
    zone_set *zs = calloc(1, sizeof *zs);
    if (!zs || !(zs->z = calloc(n ? n : 1, sizeof *zs->z))) {
        free(zs);
        sg_err_set(e, SG_ENOMEM, "%s: out of memory", name);
        return NULL;
    }
    zs->f = *f;
    size_t budget = ZONES_MAX_VERTICES;
    for (size_t i = 0; i < n; i++) {
        zone *z = &zs->z[i];
        int rc = parse_feature(zs, z, cJSON_GetArrayItem(feats, (int)i), name, i, geoid_n,
                               ground_def, &budget, e);
        if (rc) {
            zi_zone_free(z);
            zones_destroy(zs);
            return NULL;
        }
        zs->n = i + 1;
    }
    return zs;
}

zone_set *zones_parse(const char *name, const char *text, size_t len, const geo_frame *f,
                      sg_errinfo *e)
{
    cJSON *root = sgj_parse(name, text, len, e);
    if (!root)
        return NULL;
    zone_set *zs = zones_from_json(name, root, f, e);
    cJSON_Delete(root);
    return zs;
}

zone_set *zones_load(const char *path, const geo_frame *f, sg_errinfo *e)
{
    cJSON *root = sgj_parse_file(path, e);
    if (!root)
        return NULL;
    zone_set *zs = zones_from_json(path, root, f, e);
    cJSON_Delete(root);
    return zs;
}

size_t zones_count(const zone_set *zs)
{
    return zs->n;
}

const zone *zones_at(const zone_set *zs, size_t i)
{
    return i < zs->n ? &zs->z[i] : NULL;
}

int zones_find(const zone_set *zs, const char *id)
{
    for (size_t i = 0; i < zs->n; i++)
        if (strcmp(zs->z[i].id, id) == 0)
            return (int)i;
    return SG_ENOTFOUND;
}

const char *zone_id(const zone *z) { return z->id; }
const char *zone_name(const zone *z) { return z->name; }
zone_layer zone_get_layer(const zone *z) { return z->layer; }
sg_severity zone_severity(const zone *z) { return (sg_severity)(SG_SEV_WARNING + (int)z->layer); }

void zone_band_hae(const zone *z, double *floor_hae, double *ceiling_hae)
{
    *floor_hae = z->floor_hae;
    *ceiling_hae = z->ceil_hae;
}

/* ---- schedule ----------------------------------------------------------------------- */

bool zone_active(const zone *z, double t)
{
    if (z->nsched == 0)
        return true;
    for (size_t i = 0; i < z->nsched; i++) {
        const sched *s = &z->sched[i];
        if (!s->weekly) {
            if (t >= s->start && t < s->end)
                return true;
            continue;
        }
        if (t < s->start || t >= s->end)
            continue;
        int64_t ts = (int64_t)floor(t);
        int64_t local = ts + tz_offset(s->tz, ts);
        int64_t day = local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
        double sod = (double)(local - day * 86400) + (t - (double)ts);
        int dow = (int)(((day % 7) + 7 + 3) % 7); /* 1970-01-01 was a Thursday: Monday = 0 */
        int prev = (dow + 6) % 7;
        bool today = s->days & (1u << dow), yday = s->days & (1u << prev);
        if (s->sod_end > s->sod_start) {
            if (today && sod >= s->sod_start && sod < s->sod_end)
                return true;
        } else { /* crosses midnight: evening part today, morning part from yesterday's */
            if ((today && sod >= s->sod_start) || (yday && sod < s->sod_end))
                return true;
        }
    }
    return false;
}

/* ---- geometry ----------------------------------------------------------------------- */

static double seg_dist(double px, double py, double ax, double ay, double bx, double by)
{
    double dx = bx - ax, dy = by - ay;
    double l2 = dx * dx + dy * dy;
    double u = l2 > 0 ? ((px - ax) * dx + (py - ay) * dy) / l2 : 0;
    u = u < 0 ? 0 : u > 1 ? 1 : u;
    return hypot(px - ax - u * dx, py - ay - u * dy);
}

/* Crossing number: independent of winding. */
static bool ring_inside(const ring *r, double x, double y)
{
    bool in = false;
    for (size_t i = 0, j = r->n - 1; i < r->n; j = i++) {
        double xi = r->xy[2 * i], yi = r->xy[2 * i + 1], xj = r->xy[2 * j], yj = r->xy[2 * j + 1];
        if ((yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi)
            in = !in;
    }
    return in;
}

static double ring_dist(const ring *r, double x, double y)
{
    double d = INFINITY;
    for (size_t i = 0, j = r->n - 1; i < r->n; j = i++)
        d = fmin(d, seg_dist(x, y, r->xy[2 * j], r->xy[2 * j + 1], r->xy[2 * i], r->xy[2 * i + 1]));
    return d;
}

/* Horizontal position compared at the vertices' height (see zones.h). */
static void footprint(const zone *z, const double p[3], double h, double *x, double *y)
{
    double s = (z->earth_r + z->f->h0) / (z->earth_r + h);
    *x = p[0] * s;
    *y = p[1] * s;
}

/* Signed horizontal distance: negative inside the area. */
static double area_signed(const zone *z, double x, double y)
{
    if (z->circle)
        return hypot(x - z->cx, y - z->cy) - z->r;
    double d = INFINITY;
    bool in = false;
    for (size_t i = 0; i < z->npolys; i++) {
        const poly *p = &z->polys[i];
        bool in_p = ring_inside(&p->rings[0], x, y);
        for (size_t k = 0; k < p->nrings; k++) {
            d = fmin(d, ring_dist(&p->rings[k], x, y));
            if (k > 0 && in_p && ring_inside(&p->rings[k], x, y))
                in_p = false;
        }
        in = in || in_p;
    }
    return in ? -d : d;
}

static bool area_contains(const zone *z, double x, double y)
{
    if (x < z->bbox[0] - ON_EDGE_M || x > z->bbox[2] + ON_EDGE_M || y < z->bbox[1] - ON_EDGE_M ||
        y > z->bbox[3] + ON_EDGE_M)
        return false;
    return area_signed(z, x, y) <= ON_EDGE_M;
}

bool zone_contains(const zone *z, const double p[3])
{
    double h = geo_frame_height_approx(z->f, p);
    if (h < z->floor_hae || h > z->ceil_hae)
        return false;
    double x, y;
    footprint(z, p, h, &x, &y);
    return area_contains(z, x, y);
}

double zone_distance(const zone *z, const double p[3])
{
    double h = geo_frame_height_approx(z->f, p);
    double x, y;
    footprint(z, p, h, &x, &y);
    double dh = area_signed(z, x, y);
    double below = z->floor_hae - h, above = h - z->ceil_hae; /* > 0 outside the band */
    double dv = fmax(below, above);
    if (dh <= 0 && dv <= 0)
        return fmax(dh, dv); /* both negative: the nearest face */
    return hypot(fmax(dh, 0), fmax(dv, 0));
}

typedef struct {
    double t;
    double n[3];
} brk;

static int brk_cmp(const void *a, const void *b)
{
    double x = ((const brk *)a)->t, y = ((const brk *)b)->t;
    return x < y ? -1 : x > y;
}

static void edge_brks(const ring *r, const double p[3], const double v[3], double horizon,
                      brk *b, size_t *n)
{
    for (size_t i = 0, j = r->n - 1; i < r->n; j = i++) {
        double ax = r->xy[2 * j], ay = r->xy[2 * j + 1];
        double ex = r->xy[2 * i] - ax, ey = r->xy[2 * i + 1] - ay;
        double den = v[0] * ey - v[1] * ex;
        if (fabs(den) < 1e-12)
            continue;
        double wx = ax - p[0], wy = ay - p[1];
        double t = (wx * ey - wy * ex) / den;
        double s = (wx * v[1] - wy * v[0]) / den;
        if (t < 0 || t > horizon || s < -1e-12 || s > 1 + 1e-12)
            continue;
        /* Edge normal oriented against the motion: the face we cross when entering. */
        double l = hypot(ex, ey), nx = ey / l, ny = -ex / l;
        if (nx * v[0] + ny * v[1] > 0) {
            nx = -nx;
            ny = -ny;
        }
        b[(*n)++] = (brk){t, {nx, ny, 0}};
    }
}

bool zone_entry(const zone *z, const double p[3], const double v[3], double horizon,
                double *t_entry, double normal[3])
{
    normal[0] = normal[1] = normal[2] = 0;
    if (zone_contains(z, p)) {
        *t_entry = 0;
        return true;
    }
    if (!(horizon > 0) || (v[0] == 0 && v[1] == 0 && v[2] == 0))
        return false;
    /* At most one breakpoint per edge plus floor, ceiling and two circle roots: size
     * the buffer once; the common (small polygon) case stays allocation-free. */
    size_t need = 4;
    for (size_t i = 0; i < z->npolys; i++)
        for (size_t k = 0; k < z->polys[i].nrings; k++)
            need += z->polys[i].rings[k].n;
    brk stack[128], *b = stack, *hb = NULL;
    if (need > sizeof stack / sizeof stack[0]) {
        if (!(hb = malloc(need * sizeof *hb)))
            return false; /* cannot happen in practice; "no predicted entry" is the safe side */
        b = hb;
    }
    size_t n = 0;
    double h = geo_frame_height_approx(z->f, p);
    if (v[2] != 0) {
        double tf = (z->floor_hae - h) / v[2], tc = (z->ceil_hae - h) / v[2];
        if (isfinite(tf) && tf >= 0 && tf <= horizon)
            b[n++] = (brk){tf, {0, 0, -1}};
        if (isfinite(tc) && tc >= 0 && tc <= horizon)
            b[n++] = (brk){tc, {0, 0, 1}};
    }
    if (z->circle) {
        double dx = p[0] - z->cx, dy = p[1] - z->cy;
        double a = v[0] * v[0] + v[1] * v[1], bq = 2 * (dx * v[0] + dy * v[1]);
        double c = dx * dx + dy * dy - z->r * z->r, disc = bq * bq - 4 * a * c;
        if (a > 0 && disc >= 0) {
            double sq = sqrt(disc);
            double ts[2] = {(-bq - sq) / (2 * a), (-bq + sq) / (2 * a)};
            for (int k = 0; k < 2; k++)
                if (ts[k] >= 0 && ts[k] <= horizon) {
                    double ex = dx + v[0] * ts[k], ey = dy + v[1] * ts[k];
                    double l = hypot(ex, ey);
                    b[n++] = (brk){ts[k], {ex / l, ey / l, 0}};
                }
        }
    } else {
        for (size_t i = 0; i < z->npolys; i++)
            for (size_t k = 0; k < z->polys[i].nrings; k++)
                edge_brks(&z->polys[i].rings[k], p, v, horizon, b, &n);
    }
    bool found = false;
    {
        qsort(b, n, sizeof *b, brk_cmp);
        for (size_t i = 0; i < n && !found; i++) {
            double t0 = b[i].t, t1 = horizon;
            for (size_t j = i + 1; j < n; j++)
                if (b[j].t > t0) {
                    t1 = b[j].t;
                    break;
                }
            double tm = t1 > t0 ? 0.5 * (t0 + t1) : t0;
            double q[3] = {p[0] + v[0] * tm, p[1] + v[1] * tm, p[2] + v[2] * tm};
            if (zone_contains(z, q)) {
                *t_entry = t0;
                memcpy(normal, b[i].n, sizeof b[i].n);
                found = true;
            }
        }
    }
    free(hb);
    return found;
}

/* ---- geometry accessors (drawing the zones, e.g. the operator map) --------------- */

bool zone_circle(const zone *z, double *cx, double *cy, double *r)
{
    if (!z->circle)
        return false;
    *cx = z->cx;
    *cy = z->cy;
    *r = z->r;
    return true;
}

size_t zone_poly_count(const zone *z)
{
    return z->circle ? 0 : z->npolys;
}

size_t zone_ring_count(const zone *z, size_t poly)
{
    return poly < zone_poly_count(z) ? z->polys[poly].nrings : 0;
}

const double *zone_ring(const zone *z, size_t poly, size_t ring, size_t *n)
{
    if (ring >= zone_ring_count(z, poly)) {
        *n = 0;
        return NULL;
    }
    *n = z->polys[poly].rings[ring].n;
    return z->polys[poly].rings[ring].xy;
}
