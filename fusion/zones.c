/* GeoJSON zones (see zones.h): loading and validation of the zone set (features,
 * polygons with holes, circles, height bands) and its accessors. Loaded by the daemon
 * from the GeoJSON named in the site config; queried by the alert engine for every
 * (track, zone) pair after each tracker step: the geometry queries are in
 * zones_geom.c, the schedules in zones_sched.c, the ED-269 import in zones_ed269.c. */
#include "zones.h"

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
            if (!zi_ring_inside(outer, x, y) && zi_ring_dist(outer, x, y) > ON_EDGE_M)
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
    if (sch && (rc = zi_parse_schedule(zs, z, sch, where, tzn, e)))
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
