/* Venue loading and drawing data for the operator map (see web_venue.h). */
#include "web_venue.h"
#include "geoid.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "geo.h"
#include "sg_json.h"
#include "tz.h"
#include "zones.h"

struct web_venue {
    sg_site *site;
    geo_frame frame;
    zone_set *zones; /* NULL when the venue has none */
    web_cfg cfg;
};

static int path_key(const cJSON *j, const char *site_path, const char *where, const char *key,
                    char *out, bool dir, sg_errinfo *e)
{
    char rel[SG_PATH_LEN];
    int rc = sgj_string(j, where, key, false, "", rel, sizeof rel, e);
    if (rc || !rel[0]) {
        out[0] = '\0';
        return rc;
    }
    if (sg_path_relative_to(site_path, rel, out, SG_PATH_LEN))
        return sg_err_set(e, SG_ERANGE, "%s.%s: path too long", where, key);
    struct stat st;
    if (stat(out, &st) != 0 || (dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode)))
        return sg_err_set(e, SG_ENOTFOUND, "%s.%s: %s \"%s\" not found (resolved to %s)", where,
                          key, dir ? "directory" : "file", rel, out);
    return SG_OK;
}

static bool url_ok(const char *u)
{
    return (!strncmp(u, "https://", 8) || !strncmp(u, "http://", 7)) && strstr(u, "{z}") &&
           strstr(u, "{x}") && strstr(u, "{y}") && !strpbrk(u, " \"'<>\\`");
}

int web_cfg_from_json(web_cfg *c, const cJSON *j, const char *site_path, const char *where,
                      sg_errinfo *e)
{
    static const char *const keys[] = {"listen", "time_zone", "tiles", "tls_cert_file",
                                       "tls_key_file", "token_file", "feed_lost_s", "comment",
                                       NULL};
    static const char *const tkeys[] = {"url", "dir", "attribution", "max_zoom", NULL};
    char twhere[512];
    const cJSON *tiles = NULL;
    int rc;
    memset(c, 0, sizeof *c);
    snprintf(c->listen, sizeof c->listen, "127.0.0.1:8080");
    c->tiles_max_zoom = 19;
    c->feed_lost_s = 12;
    if (!j)
        return SG_OK;
    if ((rc = sgj_check_keys(j, where, keys, e)) ||
        (rc = sgj_string(j, where, "listen", false, "127.0.0.1:8080", c->listen,
                         sizeof c->listen, e)) ||
        (rc = sgj_string(j, where, "time_zone", false, "", c->time_zone,
                         sizeof c->time_zone, e)) ||
        (rc = sgj_object(j, where, "tiles", false, &tiles, e)) ||
        (rc = path_key(j, site_path, where, "tls_cert_file", c->tls_cert_file, false, e)) ||
        (rc = path_key(j, site_path, where, "tls_key_file", c->tls_key_file, false, e)) ||
        (rc = path_key(j, site_path, where, "token_file", c->token_file, false, e)) ||
        (rc = sgj_number(j, where, "feed_lost_s", false, 12, 1, 3600, &c->feed_lost_s, e)))
        return rc;
    tz_info *tz = c->time_zone[0] ? tz_load(NULL, c->time_zone, e) : NULL;
    if (c->time_zone[0] && !tz) {
        int code = e && e->code ? e->code : SG_EINVAL;
        char tw[600];
        snprintf(tw, sizeof tw, "%s.time_zone", where);
        sg_err_prefix(e, tw);
        return code;
    }
    tz_destroy(tz);
    if (tiles) {
        snprintf(twhere, sizeof twhere, "%s.tiles", where);
        if ((rc = sgj_check_keys(tiles, twhere, tkeys, e)) ||
            (rc = sgj_string(tiles, twhere, "url", false, "", c->tiles_url, sizeof c->tiles_url,
                             e)) ||
            (rc = path_key(tiles, site_path, twhere, "dir", c->tiles_dir, true, e)) ||
            (rc = sgj_string(tiles, twhere, "attribution", false, "", c->tiles_attribution,
                             sizeof c->tiles_attribution, e)) ||
            (rc = sgj_int(tiles, twhere, "max_zoom", false, 19, 1, 22, &c->tiles_max_zoom, e)))
            return rc;
        if (c->tiles_url[0] && c->tiles_dir[0])
            return sg_err_set(e, SG_EINVAL, "%s: give \"url\" or \"dir\", not both", twhere);
        if (!c->tiles_url[0] && !c->tiles_dir[0])
            return sg_err_set(e, SG_EINVAL, "%s: needs \"url\" or \"dir\"", twhere);
        if (c->tiles_url[0] && !url_ok(c->tiles_url))
            return sg_err_set(e, SG_EINVAL, "%s.url: \"%s\" must be an http(s) URL template "
                              "with {z}, {x} and {y}", twhere, c->tiles_url);
    }
    return SG_OK;
}

web_venue *web_venue_load(const char *site_path, sg_errinfo *e)
{
    web_venue *v = calloc(1, sizeof *v);
    if (!v) {
        sg_err_set(e, SG_ENOMEM, "%s: out of memory", site_path);
        return NULL;
    }
    char where[SG_PATH_LEN + 32];
    if (!(v->site = site_load(site_path, e)))
        goto fail;
    const sg_site *s = v->site;
    snprintf(where, sizeof where, "%s: outputs.web", s->path);
    if (geo_frame_init(&v->frame, s->origin_lat_deg * GEO_DEG, s->origin_lon_deg * GEO_DEG,
                       s->origin_alt_m, e)) {
        sg_err_prefix(e, s->path);
        goto fail;
    }
    if (web_cfg_from_json(&v->cfg, s->web, s->path, where, e))
        goto fail;
    /* the displays' one rule: the map's own zone if given, else the venue's */
    if (!v->cfg.time_zone[0])
        snprintf(v->cfg.time_zone, sizeof v->cfg.time_zone, "%s", site_time_zone(s, NULL));
    size_t skipped;
    if (s->zones_path[0] &&
        !(v->zones = zones_load_venue(s->zones_path, s->zones_format == SG_ZONES_ED269, &v->frame,
                                      s->geoid_undulation_m, s->ground_amsl_m, &skipped, e))) {
        sg_err_prefix(e, s->path);
        goto fail;
    }
    return v;
fail:
    web_venue_destroy(v);
    return NULL;
}

void web_venue_destroy(web_venue *v)
{
    if (!v)
        return;
    zones_destroy(v->zones);
    site_free(v->site);
    free(v);
}

const sg_site *web_venue_site(const web_venue *v)
{
    return v->site;
}

const web_cfg *web_venue_cfg(const web_venue *v)
{
    return &v->cfg;
}

/* ENU (m, on the tangent plane at the origin height) -> [lon, lat] degrees. */
static cJSON *lonlat(const web_venue *v, double x, double y)
{
    double enu[3] = {x, y, 0}, lat, lon, h;
    geo_frame_from_enu(&v->frame, enu, &lat, &lon, &h);
    double ll[2] = {round(lon / GEO_DEG * 1e7) / 1e7, round(lat / GEO_DEG * 1e7) / 1e7};
    return cJSON_CreateDoubleArray(ll, 2);
}

static cJSON *ring_json(const web_venue *v, const double *xy, size_t n)
{
    cJSON *r = cJSON_CreateArray();
    for (size_t i = 0; r && i <= n; i++) { /* GeoJSON rings repeat the first vertex */
        cJSON *pt = lonlat(v, xy[2 * (i % n)], xy[2 * (i % n) + 1]);
        if (!pt || !cJSON_AddItemToArray(r, pt)) {
            cJSON_Delete(pt);
            cJSON_Delete(r);
            return NULL;
        }
    }
    return r;
}

static cJSON *geometry_json(const web_venue *v, const zone *z)
{
    cJSON *g = cJSON_CreateObject();
    double cx, cy, r;
    if (!g)
        return NULL;
    if (zone_circle(z, &cx, &cy, &r)) {
        cJSON *c = lonlat(v, cx, cy);
        if (!cJSON_AddStringToObject(g, "type", "Point") || !c ||
            !cJSON_AddItemToObject(g, "coordinates", c)) {
            cJSON_Delete(c);
            cJSON_Delete(g);
            return NULL;
        }
        return g;
    }
    cJSON *polys = cJSON_CreateArray();
    bool ok = polys && cJSON_AddStringToObject(g, "type", "MultiPolygon") &&
              cJSON_AddItemToObject(g, "coordinates", polys);
    if (!ok)
        cJSON_Delete(polys);
    for (size_t p = 0; ok && p < zone_poly_count(z); p++) {
        cJSON *rings = cJSON_CreateArray();
        ok = rings && cJSON_AddItemToArray(polys, rings);
        if (!ok)
            cJSON_Delete(rings);
        for (size_t k = 0; ok && k < zone_ring_count(z, p); k++) {
            size_t n;
            const double *xy = zone_ring(z, p, k, &n);
            cJSON *rj = n ? ring_json(v, xy, n) : NULL;
            ok = rj && cJSON_AddItemToArray(rings, rj);
            if (!ok)
                cJSON_Delete(rj);
        }
    }
    if (!ok) {
        cJSON_Delete(g);
        return NULL;
    }
    return g;
}

static bool add_limit(cJSON *o, const char *k, double v)
{
    return isfinite(v) ? cJSON_AddNumberToObject(o, k, v) != NULL
                       : cJSON_AddNullToObject(o, k) != NULL;
}

static cJSON *zones_json(const web_venue *v)
{
    static const char *const layers[] = {"warning", "alert", "critical"};
    cJSON *fc = cJSON_CreateObject(), *feats = cJSON_CreateArray();
    bool ok = fc && feats && cJSON_AddStringToObject(fc, "type", "FeatureCollection") &&
              cJSON_AddItemToObject(fc, "features", feats);
    if (!ok && fc && !cJSON_GetObjectItem(fc, "features"))
        cJSON_Delete(feats);
    size_t n = v->zones ? zones_count(v->zones) : 0;
    for (size_t i = 0; ok && i < n; i++) {
        const zone *z = zones_at(v->zones, i);
        cJSON *f = cJSON_CreateObject(), *pr = cJSON_CreateObject(), *g = geometry_json(v, z);
        double floor, ceil, cx, cy, r;
        zone_band_hae(z, &floor, &ceil);
        ok = f && pr && g && cJSON_AddItemToArray(feats, f);
        if (!ok) {
            cJSON_Delete(f);
            cJSON_Delete(pr);
            cJSON_Delete(g);
            break;
        }
        ok = cJSON_AddStringToObject(f, "type", "Feature") && cJSON_AddItemToObject(f, "properties", pr);
        if (!ok) {
            cJSON_Delete(pr);
            cJSON_Delete(g);
            break;
        }
        ok = cJSON_AddItemToObject(f, "geometry", g);
        if (!ok) {
            cJSON_Delete(g);
            break;
        }
        ok = cJSON_AddStringToObject(pr, "id", zone_id(z)) &&
             cJSON_AddStringToObject(pr, "name", zone_name(z)) &&
             cJSON_AddStringToObject(pr, "layer", layers[zone_get_layer(z)]) &&
             cJSON_AddStringToObject(pr, "severity", sg_severity_name(zone_severity(z))) &&
             add_limit(pr, "floor_hae_m", floor) && add_limit(pr, "ceiling_hae_m", ceil) &&
             (!zone_circle(z, &cx, &cy, &r) || cJSON_AddNumberToObject(pr, "radius_m", r));
    }
    if (!ok) {
        cJSON_Delete(fc);
        return NULL;
    }
    return fc;
}

char *web_venue_json(const web_venue *v, const web_cfg *c)
{
    const sg_site *s = v->site;
    if (!c)
        c = &v->cfg;
    cJSON *o = cJSON_CreateObject(), *org = cJSON_AddObjectToObject(o, "origin");
    cJSON *sens = cJSON_AddArrayToObject(o, "sensors");
    bool ok = o && org && sens && cJSON_AddStringToObject(o, "name", s->name) &&
              cJSON_AddNumberToObject(org, "lat", s->origin_lat_deg) &&
              cJSON_AddNumberToObject(org, "lon", s->origin_lon_deg) &&
              cJSON_AddNumberToObject(org, "alt_m", s->origin_alt_m) &&
              cJSON_AddNumberToObject(o, "ground_amsl_m", s->ground_amsl_m) &&
              cJSON_AddNumberToObject(o, "geoid_undulation_m", s->geoid_undulation_m) &&
              cJSON_AddStringToObject(o, "time_zone", c->time_zone) &&
              cJSON_AddNumberToObject(o, "feed_lost_s", c->feed_lost_s);
    if (ok && (c->tiles_url[0] || c->tiles_dir[0])) {
        cJSON *t = cJSON_AddObjectToObject(o, "tiles");
        ok = t && cJSON_AddStringToObject(t, "url", c->tiles_url[0] ? c->tiles_url
                                                                    : "tiles/{z}/{x}/{y}.png") &&
             cJSON_AddStringToObject(t, "attribution", c->tiles_attribution) &&
             cJSON_AddNumberToObject(t, "max_zoom", (double)c->tiles_max_zoom);
    } else if (ok) {
        ok = cJSON_AddNullToObject(o, "tiles") != NULL;
    }
    for (size_t i = 0; ok && i < s->n_sensors; i++) {
        const sg_sensor_cfg *sc = &s->sensors[i];
        cJSON *j = cJSON_CreateObject();
        ok = j && cJSON_AddItemToArray(sens, j);
        if (!ok) {
            cJSON_Delete(j);
            break;
        }
        ok = cJSON_AddStringToObject(j, "id", sc->id) &&
             cJSON_AddStringToObject(j, "kind", sg_sensor_kind_names[sc->kind]) &&
             cJSON_AddBoolToObject(j, "enabled", sc->enabled) &&
             cJSON_AddNumberToObject(j, "lat", sc->lat_deg) &&
             cJSON_AddNumberToObject(j, "lon", sc->lon_deg) &&
             cJSON_AddNumberToObject(j, "alt_m", sc->alt_m) &&
             cJSON_AddNumberToObject(j, "yaw_deg", sc->yaw_deg);
    }
    cJSON *z = ok ? zones_json(v) : NULL;
    ok = z && cJSON_AddItemToObject(o, "zones", z);
    if (!ok && z && o && !cJSON_GetObjectItem(o, "zones"))
        cJSON_Delete(z);
    char *out = ok ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    return out;
}

cJSON *web_venue_zone_activity(const web_venue *v, double t)
{
    cJSON *o = cJSON_CreateObject();
    size_t n = v->zones ? zones_count(v->zones) : 0;
    for (size_t i = 0; o && i < n; i++) {
        const zone *z = zones_at(v->zones, i);
        if (!cJSON_AddBoolToObject(o, zone_id(z), zone_active(z, t))) {
            cJSON_Delete(o);
            return NULL;
        }
    }
    return o;
}
