/* EUROCAE ED-269 (UAS geographical zones) import into the zone model of zones.c (see
 * zones.h for what is read and how limits are referenced), and the choice between
 * the two formats a venue's "zones_format" makes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geoid.h"
#include "zones_impl.h"

/* True if any well-formed position under `arr` (nested arrays of [lon, lat]) lies
 * beyond the venue range; malformed ones are left for parse_ring to report. */
static bool any_far(const zone_set *zs, const cJSON *arr)
{
    if (!cJSON_IsArray(arr))
        return false;
    const cJSON *a = cJSON_GetArrayItem(arr, 0), *b = cJSON_GetArrayItem(arr, 1);
    if (cJSON_IsNumber(a) && cJSON_IsNumber(b)) {
        double lon = a->valuedouble, lat = b->valuedouble, enu[3];
        if (!isfinite(lon) || !isfinite(lat) || fabs(lon) > 180 || fabs(lat) > 90)
            return false;
        geo_frame_to_enu(&zs->f, lat * GEO_DEG, lon * GEO_DEG, zs->f.h0, enu);
        return hypot(enu[0], enu[1]) > ZONES_MAX_RANGE_M;
    }
    const cJSON *it;
    cJSON_ArrayForEach(it, arr) if (any_far(zs, it)) return true;
    return false;
}

static int ed269_limit(const cJSON *g, const char *gw, const char *key, const char *refkey,
                       double scale, const zones_ed269_opts *o, double open, double *hae,
                       sg_errinfo *e)
{
    static const char *const refs[] = {"AGL", "AMSL", "WGS84"};
    double v;
    int ref, rc;
    if ((rc = sgj_number(g, gw, key, false, NAN, -3000, 1e6, &v, e)))
        return rc;
    if (isnan(v)) {
        *hae = open;
        return SG_OK;
    }
    if ((rc = sgj_enum(g, gw, refkey, true, 0, refs, 3, &ref, e)))
        return rc;
    v *= scale;
    if (ref == 0) {
        if (isnan(o->ground_amsl_m))
            return sg_err_set(e, SG_EINVAL,
                              "%s.%s: AGL limits need the venue's ground elevation (ground_amsl_m)",
                              gw, refkey);
        v += o->ground_amsl_m + o->geoid_undulation_m;
    } else if (ref == 1) {
        v += o->geoid_undulation_m;
    }
    *hae = v;
    return SG_OK;
}

/* applicability -> schedule entries (nsched 0 = always). */
static int ed269_applicability(zone_set *zs, const cJSON *feat, const char *where, sched **out,
                               size_t *nout, sg_errinfo *e)
{
    static const char *const dnames[] = {"MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"};
    const cJSON *app;
    int rc;
    *out = NULL;
    *nout = 0;
    if ((rc = sgj_array(feat, where, "applicability", false, &app, e)) || !app)
        return rc;
    size_t cap = 0;
    const cJSON *it;
    size_t i = 0;
    cJSON_ArrayForEach(it, app)
    {
        char w[400], perm[8] = "NO", sd[64], ed[64];
        snprintf(w, sizeof w, "%s.applicability[%zu]", where, i++);
        if (!cJSON_IsObject(it))
            return sg_err_set(e, SG_EINVAL, "%s: must be an object", w);
        if ((rc = sgj_string(it, w, "permanent", false, "NO", perm, sizeof perm, e)) ||
            (rc = sgj_string(it, w, "startDateTime", false, "", sd, sizeof sd, e)) ||
            (rc = sgj_string(it, w, "endDateTime", false, "", ed, sizeof ed, e)))
            return rc;
        if (strcmp(perm, "YES") == 0) {
            free(*out);
            *out = NULL;
            *nout = 0;
            return SG_OK; /* permanent wins over any window */
        }
        if (strcmp(perm, "NO") != 0)
            return sg_err_set(e, SG_EINVAL, "%s.permanent: must be \"YES\" or \"NO\"", w);
        double ts = -INFINITY, te = INFINITY;
        bool off;
        if (sd[0] && !zi_parse_iso(sd, &ts, &off))
            return sg_err_set(e, SG_EFORMAT, "%s.startDateTime: \"%s\" is not an ISO 8601 time", w, sd);
        if (ed[0] && !zi_parse_iso(ed, &te, &off))
            return sg_err_set(e, SG_EFORMAT, "%s.endDateTime: \"%s\" is not an ISO 8601 time", w, ed);
        if (!(te > ts))
            return sg_err_set(e, SG_EINVAL, "%s: endDateTime is not after startDateTime", w);
        const cJSON *sch;
        if ((rc = sgj_array(it, w, "schedule", false, &sch, e)))
            return rc;
        size_t nwin = sch ? (size_t)cJSON_GetArraySize(sch) : 1;
        if (sch && nwin == 0)
            return sg_err_set(e, SG_EINVAL, "%s.schedule: empty", w);
        if (*nout + nwin > MAX_SCHED)
            return sg_err_set(e, SG_ERANGE, "%s: more than %d windows", w, MAX_SCHED);
        if (*nout + nwin > cap) {
            cap = *nout + nwin;
            sched *ns = realloc(*out, cap * sizeof *ns);
            if (!ns)
                return sg_err_set(e, SG_ENOMEM, "%s: out of memory", w);
            *out = ns;
        }
        if (!sch) {
            (*out)[(*nout)++] = (sched){.start = ts, .end = te};
            continue;
        }
        const tz_info *utc = zi_tz_get(zs, "UTC", w, e);
        if (!utc)
            return e ? e->code : SG_ENOTFOUND;
        for (size_t k = 0; k < nwin; k++) {
            const cJSON *d = cJSON_GetArrayItem(sch, (int)k);
            char sw[440], st[16], en[16];
            snprintf(sw, sizeof sw, "%s.schedule[%zu]", w, k);
            const cJSON *days;
            sched s = {.weekly = true, .start = ts, .end = te, .tz = utc};
            if ((rc = sgj_array(d, sw, "day", true, &days, e)) ||
                (rc = sgj_string(d, sw, "startTime", true, NULL, st, sizeof st, e)) ||
                (rc = sgj_string(d, sw, "endTime", true, NULL, en, sizeof en, e)))
                return rc;
            int nd = cJSON_GetArraySize(days);
            for (int j = 0; j < nd; j++) {
                const cJSON *dv = cJSON_GetArrayItem(days, j);
                int found = -1;
                if (cJSON_IsString(dv) && strcmp(dv->valuestring, "ANY") == 0)
                    found = 7;
                for (int q = 0; q < 7 && cJSON_IsString(dv) && found < 0; q++)
                    if (strcmp(dv->valuestring, dnames[q]) == 0)
                        found = q;
                if (found < 0)
                    return sg_err_set(e, SG_EINVAL, "%s.day[%d]: must be one of MON..SUN, ANY", sw, j);
                s.days |= found == 7 ? 0x7f : (uint8_t)(1u << found);
            }
            if (!s.days)
                return sg_err_set(e, SG_EINVAL, "%s.day: empty", sw);
            if (!zi_parse_hhmm(st, &s.sod_start) || s.sod_start >= 86400)
                return sg_err_set(e, SG_EFORMAT, "%s.startTime: \"%s\" is not HH:MM[:SS]", sw, st);
            if (!zi_parse_hhmm(en, &s.sod_end) || s.sod_end == s.sod_start)
                return sg_err_set(e, SG_EFORMAT, "%s.endTime: \"%s\" is not a valid HH:MM[:SS] end", sw, en);
            (*out)[(*nout)++] = s;
        }
    }
    return SG_OK;
}

static int ed269_feature(zone_set *zs, const cJSON *feat, const char *name, size_t idx,
                         const zones_ed269_opts *o, size_t cap, size_t *skipped, size_t *budget,
                         sg_errinfo *e)
{
    static const char *const restr[] = {"PROHIBITED", "REQ_AUTHORISATION", "CONDITIONAL",
                                        "NO_RESTRICTION"};
    static const zone_layer layer_of[] = {ZONE_LAYER_CRITICAL, ZONE_LAYER_ALERT,
                                          ZONE_LAYER_WARNING, ZONE_LAYER_WARNING};
    static const char *const uoms[] = {"M", "FT"};
    char where[300], ident[SG_ID_LEN], zname[64];
    snprintf(where, sizeof where, "%s: features[%zu]", name, idx);
    if (!cJSON_IsObject(feat))
        return sg_err_set(e, SG_EFORMAT, "%s: must be an object", where);
    int rc, r;
    if ((rc = sgj_string(feat, where, "identifier", true, NULL, ident, sizeof ident - 4, e)))
        return rc;
    snprintf(where, sizeof where, "%s: features[%zu] (identifier \"%s\")", name, idx, ident);
    const cJSON *geoms;
    if ((rc = sgj_string(feat, where, "name", false, ident, zname, sizeof zname, e)) ||
        (rc = sgj_enum(feat, where, "restriction", true, 0, restr, 4, &r, e)) ||
        (rc = sgj_array(feat, where, "geometry", true, &geoms, e)))
        return rc;
    size_t ng = (size_t)cJSON_GetArraySize(geoms);
    if (ng == 0)
        return sg_err_set(e, SG_EINVAL, "%s.geometry: empty", where);
    sched *sc;
    size_t nsc;
    if ((rc = ed269_applicability(zs, feat, where, &sc, &nsc, e))) {
        free(sc);
        return rc;
    }
    for (size_t k = 0; k < ng && !rc; k++) {
        const cJSON *g = cJSON_GetArrayItem(geoms, (int)k), *hp;
        char gw[340], hw[380];
        snprintf(gw, sizeof gw, "%s.geometry[%zu]", where, k);
        snprintf(hw, sizeof hw, "%s.horizontalProjection", gw);
        static const char *const types[] = {"Polygon", "Circle"};
        int uom, type;
        if (!cJSON_IsObject(g)) {
            rc = sg_err_set(e, SG_EINVAL, "%s: must be an object", gw);
            break;
        }
        if ((rc = sgj_enum(g, gw, "uomDimensions", true, 0, uoms, 2, &uom, e)) ||
            (rc = sgj_object(g, gw, "horizontalProjection", true, &hp, e)) ||
            (rc = sgj_enum(hp, hw, "type", true, 0, types, 2, &type, e)))
            break;
        double scale = uom == 1 ? 0.3048 : 1.0;
        const cJSON *coords = cJSON_GetObjectItemCaseSensitive(hp, type == 0 ? "coordinates" : "center");
        if (any_far(zs, coords)) {
            (*skipped)++;
            continue;
        }
        if (zs->n == cap) {
            rc = sg_err_set(e, SG_ERANGE, "%s: more than %d zones", name, ZONES_MAX_ZONES);
            break;
        }
        zone *z = &zs->z[zs->n];
        memset(z, 0, sizeof *z);
        if (ng == 1 || k == 0)
            snprintf(z->id, sizeof z->id, "%s", ident);
        else
            snprintf(z->id, sizeof z->id, "%s#%zu", ident, k + 1);
        for (size_t i = 0; i < zs->n && !rc; i++)
            if (strcmp(zs->z[i].id, z->id) == 0)
                rc = sg_err_set(e, SG_EINVAL, "%s.identifier: \"%s\" duplicates another zone", where,
                                z->id);
        snprintf(z->name, sizeof z->name, "%s", zname);
        z->layer = layer_of[r];
        if (!rc)
            rc = ed269_limit(g, gw, "lowerLimit", "lowerVerticalReference", scale, o, -INFINITY,
                             &z->floor_hae, e);
        if (!rc)
            rc = ed269_limit(g, gw, "upperLimit", "upperVerticalReference", scale, o, INFINITY,
                             &z->ceil_hae, e);
        if (!rc && z->floor_hae > z->ceil_hae)
            rc = sg_err_set(e, SG_EINVAL, "%s.lowerLimit: lower limit is above upperLimit", gw);
        if (!rc && type == 0) {
            const cJSON *c;
            char cw[400];
            snprintf(cw, sizeof cw, "%s.coordinates", hw);
            if (!(rc = sgj_array(hp, hw, "coordinates", true, &c, e)) &&
                (z->polys = calloc(1, sizeof *z->polys)) == NULL)
                rc = sg_err_set(e, SG_ENOMEM, "%s: out of memory", gw);
            if (!rc) {
                z->npolys = 1;
                rc = zi_parse_polygon(zs, c, cw, &z->polys[0], budget, e);
            }
        } else if (!rc) {
            double radius;
            const cJSON *c;
            if (!(rc = sgj_array(hp, hw, "center", true, &c, e)) &&
                !(rc = sgj_number(hp, hw, "radius", true, 0, 0, ZONES_MAX_RANGE_M / scale, &radius, e))) {
                const cJSON *lo = cJSON_GetArrayItem(c, 0), *la = cJSON_GetArrayItem(c, 1);
                if (!cJSON_IsNumber(lo) || !cJSON_IsNumber(la) || fabs(lo->valuedouble) > 180 ||
                    fabs(la->valuedouble) > 90)
                    rc = sg_err_set(e, SG_EFORMAT, "%s.center: must be [lon, lat] in degrees", hw);
                else if (!(radius > 0))
                    rc = sg_err_set(e, SG_ERANGE, "%s.radius: must be > 0", hw);
                else {
                    double enu[3];
                    geo_frame_to_enu(&zs->f, la->valuedouble * GEO_DEG, lo->valuedouble * GEO_DEG,
                                     zs->f.h0, enu);
                    z->circle = true;
                    z->cx = enu[0];
                    z->cy = enu[1];
                    z->r = radius * scale;
                }
            }
        }
        if (!rc && nsc) {
            if (!(z->sched = malloc(nsc * sizeof *z->sched)))
                rc = sg_err_set(e, SG_ENOMEM, "%s: out of memory", gw);
            else {
                memcpy(z->sched, sc, nsc * sizeof *sc);
                z->nsched = nsc;
            }
        }
        if (rc) {
            zi_zone_free(z);
            break;
        }
        zi_finish_zone(zs, z);
        zs->n++;
    }
    free(sc);
    return rc;
}

zone_set *zones_parse_ed269(const char *name, const char *text, size_t len, const geo_frame *f,
                            const zones_ed269_opts *o, size_t *skipped, sg_errinfo *e)
{
    size_t skip_local = 0;
    if (!skipped)
        skipped = &skip_local;
    *skipped = 0;
    cJSON *root = sgj_parse(name, text, len, e);
    if (!root)
        return NULL;
    const cJSON *feats;
    zone_set *zs = NULL;
    if (!cJSON_IsObject(root)) {
        sg_err_set(e, SG_EFORMAT, "%s: must be an ED-269 object with \"features\"", name);
        goto out;
    }
    if (sgj_array(root, name, "features", true, &feats, e))
        goto out;
    size_t nf = (size_t)cJSON_GetArraySize(feats), total = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, feats)
    {
        const cJSON *g = cJSON_GetObjectItemCaseSensitive(it, "geometry");
        total += cJSON_IsArray(g) ? (size_t)cJSON_GetArraySize(g) : 0;
    }
    if (total > ZONES_MAX_ZONES)
        total = ZONES_MAX_ZONES;
    zs = calloc(1, sizeof *zs);
    if (!zs || !(zs->z = calloc(total ? total : 1, sizeof *zs->z))) {
        free(zs);
        zs = NULL;
        sg_err_set(e, SG_ENOMEM, "%s: out of memory", name);
        goto out;
    }
    zs->f = *f;
    size_t budget = ZONES_MAX_VERTICES;
    for (size_t i = 0; i < nf; i++)
        if (ed269_feature(zs, cJSON_GetArrayItem(feats, (int)i), name, i, o, total, skipped,
                          &budget, e)) {
            zones_destroy(zs);
            zs = NULL;
            break;
        }
out:
    cJSON_Delete(root);
    return zs;
}

zone_set *zones_load_ed269(const char *path, const geo_frame *f, const zones_ed269_opts *o,
                           size_t *skipped, sg_errinfo *e)
{
    char *text;
    size_t len;
    if (sg_read_file(path, SGJ_MAX_FILE, &text, &len, e) != SG_OK)
        return NULL;
    zone_set *zs = zones_parse_ed269(path, text, len, f, o, skipped, e);
    free(text);
    return zs;
}

zone_set *zones_load_venue(const char *path, bool ed269, const geo_frame *f, double given_n_m,
                           double ground_amsl_m, size_t *skipped, sg_errinfo *e)
{
    *skipped = 0;
    if (!ed269)
        return zones_load(path, f, e);
    zones_ed269_opts o = {.ground_amsl_m = ground_amsl_m};
    if (geoid_venue_n(given_n_m, f->lat0 / GEO_DEG, f->lon0 / GEO_DEG, &o.geoid_undulation_m,
                      e)) {
        char why[sizeof e->msg];
        snprintf(why, sizeof why, "%s", e->msg);
        sg_err_set(e, e->code, "%s: geoid_undulation_m: not set and EGM96 not available (%s): "
                   "set it for ED-269 AMSL limits", path, why);
        return NULL;
    }
    return zones_load_ed269(path, f, &o, skipped, e);
}
