/* Site configuration loader (see site.h). JSON was chosen over YAML because the
 * zone files (GeoJSON), SigMF metadata and the feed messages are JSON already:
 * one parser (cJSON) and one set of checked getters serve every input. */
#include "site.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sg_json.h"
#include "tz.h"

const char *const sg_sensor_kind_names[SG_SENSOR_KIND_COUNT_] = {"rf", "camera",
                                                                 "remoteid_wifi", "sapient"};

static int file_ref(const sg_site *s, const cJSON *obj, const char *where, const char *key,
                    char *out, sg_errinfo *e)
{
    char rel[SG_PATH_LEN];
    int rc = sgj_string(obj, where, key, false, "", rel, sizeof rel, e);
    if (rc || !rel[0]) {
        out[0] = '\0';
        return rc;
    }
    if (sg_path_relative_to(s->path, rel, out, SG_PATH_LEN))
        return sg_err_set(e, SG_ERANGE, "%s.%s: path too long", where, key);
    struct stat st;
    if (stat(out, &st) != 0 || !S_ISREG(st.st_mode))
        return sg_err_set(e, SG_ENOTFOUND, "%s.%s: file \"%s\" not found (resolved to %s)",
                          where, key, rel, out);
    return SG_OK;
}

static int parse_position(const cJSON *sec, const char *where, double *lat, double *lon,
                          double *alt, sg_errinfo *e)
{
    static const char *const keys[] = {"lat_deg", "lon_deg", "alt_m", NULL};
    int rc;
    if ((rc = sgj_check_keys(sec, where, keys, e)) ||
        (rc = sgj_number(sec, where, "lat_deg", true, 0, -90, 90, lat, e)) ||
        (rc = sgj_number(sec, where, "lon_deg", true, 0, -180, 180, lon, e)) ||
        (rc = sgj_number(sec, where, "alt_m", true, 0, -1000, 20000, alt, e)))
        return rc;
    return SG_OK;
}

/* The antenna array of a DF sensor (docs/df.md): its elements and calibration are
 * parsed by the DF stage (doa_array_from_json); the loader checks what it owns: only
 * rf sensors have one, and the array must be mounted level. */
static int check_array(const sg_sensor_cfg *c, const char *where, sg_errinfo *e)
{
    if (!c->array)
        return SG_OK;
    if (c->kind != SG_SENSOR_RF)
        return sg_err_set(e, SG_EINVAL, "%s.array: only rf sensors have an antenna array", where);
    if (c->pitch_deg != 0 || c->roll_deg != 0)
        return sg_err_set(e, SG_EINVAL,
                          "%s.orientation: a sensor with an antenna array must be level "
                          "(pitch_deg and roll_deg 0)",
                          where);
    return SG_OK;
}

static int parse_sensor(sg_site *s, const cJSON *js, size_t i, sg_sensor_cfg *c, sg_errinfo *e)
{
    static const char *const keys[] = {"id", "kind", "enabled", "position", "orientation",
                                       "stale_after_s", "adapter", "frontend", "ble", "body_bearings",
                                       "array", "scan_range_m", "burst_thread", "comment", NULL};
    static const char *const okeys[] = {"yaw_deg", "pitch_deg", "roll_deg", NULL};
    char where[96], sub[128];
    int rc, kind;
    const cJSON *pos, *ori, *ad, *fe, *ble, *arr, *bt;
    snprintf(where, sizeof where, "%s: sensors[%zu]", s->path, i);
    memcpy(c->where, where, sizeof c->where);
    if (!cJSON_IsObject(js))
        return sg_err_set(e, SG_EINVAL, "%s: must be an object", where);
    if ((rc = sgj_check_keys(js, where, keys, e)) ||
        (rc = sgj_string(js, where, "id", true, NULL, c->id, sizeof c->id, e)) ||
        (rc = sgj_enum(js, where, "kind", true, 0, sg_sensor_kind_names, SG_SENSOR_KIND_COUNT_,
                       &kind, e)) ||
        (rc = sgj_bool(js, where, "enabled", false, true, &c->enabled, e)) ||
        (rc = sgj_object(js, where, "position", true, &pos, e)) ||
        (rc = sgj_object(js, where, "orientation", false, &ori, e)) ||
        (rc = sgj_number(js, where, "stale_after_s", false, 5.0, 1e-3, 86400, &c->stale_after_s,
                         e)) ||
        (rc = sgj_object(js, where, "adapter", c->enabled, &ad, e)) ||
        (rc = sgj_object(js, where, "frontend", false, &fe, e)) ||
        (rc = sgj_object(js, where, "ble", false, &ble, e)) ||
        (rc = sgj_object(js, where, "array", false, &arr, e)) ||
        (rc = sgj_object(js, where, "burst_thread", false, &bt, e)) ||
        (rc = sgj_bool(js, where, "body_bearings", false, true, &c->body_bearings, e)) ||
        (rc = sgj_number(js, where, "scan_range_m", false, 0, 0, 1e5, &c->scan_range_m, e)))
        return rc;
    c->json = js;
    c->kind = (sg_sensor_kind)kind;
    snprintf(sub, sizeof sub, "%s.position", where);
    if ((rc = parse_position(pos, sub, &c->lat_deg, &c->lon_deg, &c->alt_m, e)))
        return rc;
    snprintf(sub, sizeof sub, "%s.orientation", where);
    if ((rc = sgj_check_keys(ori, sub, okeys, e)) ||
        (rc = sgj_number(ori, sub, "yaw_deg", false, 0, -360, 360, &c->yaw_deg, e)) ||
        (rc = sgj_number(ori, sub, "pitch_deg", false, 0, -90, 90, &c->pitch_deg, e)) ||
        (rc = sgj_number(ori, sub, "roll_deg", false, 0, -180, 180, &c->roll_deg, e)))
        return rc;
    c->adapter = ad;
    c->frontend = fe;
    c->ble = ble;
    c->array = arr;
    c->burst_thread = bt;
    c->adapter_type[0] = '\0';
    if (ad) {
        snprintf(sub, sizeof sub, "%s.adapter", where);
        if ((rc = sgj_string(ad, sub, "type", true, NULL, c->adapter_type, sizeof c->adapter_type,
                             e)))
            return rc;
    }
    if (fe && c->kind != SG_SENSOR_RF)
        return sg_err_set(e, SG_EINVAL, "%s.frontend: only rf sensors have a front end", where);
    if (cJSON_HasObjectItem(js, "body_bearings") && c->kind != SG_SENSOR_CAMERA)
        return sg_err_set(e, SG_EINVAL, "%s.body_bearings: only cameras report bearings", where);
    if (cJSON_HasObjectItem(js, "scan_range_m") && c->kind != SG_SENSOR_CAMERA && !arr)
        return sg_err_set(e, SG_EINVAL,
                          "%s.scan_range_m: only cameras and direction-finding sensors (with an "
                          "\"array\") send scan reports", where);
    if ((rc = check_array(c, where, e)))
        return rc;
    if (ble && c->kind != SG_SENSOR_RF)
        return sg_err_set(e, SG_EINVAL, "%s.ble: only rf sensors receive BLE from IQ", where);
    if (bt && c->kind != SG_SENSOR_RF)
        return sg_err_set(e, SG_EINVAL, "%s.burst_thread: only rf sensors have bursts", where);
    return SG_OK;
}

static int parse_outputs(sg_site *s, const cJSON *out, sg_errinfo *e)
{
    /* "bridge" and the sinks are sg_bridge's (adapters/sink.c validates them, keep in step
     * with sink_output_keys there), "web" is sg_web's; the daemon only checks they are
     * objects */
    static const char *const keys[] = {"feed", "record", "web", "bridge", "cot", "mqtt",
                                       "http", "webhook", "exec", "sapient", NULL};
    static const char *const fkeys[] = {"endpoint", "snapshot_period_s", "status_period_s",
                                        "security", "track_update_period_s", NULL};
    char where[SG_PATH_LEN + 32], fwhere[SG_PATH_LEN + 48];
    const cJSON *feed;
    int rc;
    snprintf(where, sizeof where, "%s: outputs", s->path);
    for (size_t i = 2; keys[i]; i++)
        if ((rc = sgj_object(out, where, keys[i], false, &feed, e)))
            return rc;
    s->outputs = out;
    snprintf(fwhere, sizeof fwhere, "%s: outputs.feed", s->path);
    if ((rc = sgj_check_keys(out, where, keys, e)) ||
        (rc = sgj_object(out, where, "feed", false, &feed, e)) ||
        (rc = sgj_object(out, where, "record", false, &s->record, e)) ||
        (rc = sgj_object(out, where, "web", false, &s->web, e)) ||
        (rc = sgj_check_keys(feed, fwhere, fkeys, e)) ||
        (rc = sgj_string(feed, fwhere, "endpoint", false, "tcp://127.0.0.1:5556", s->feed_endpoint,
                         sizeof s->feed_endpoint, e)) ||
        (rc = sgj_number(feed, fwhere, "snapshot_period_s", false, 1.0, 0, 3600,
                         &s->snapshot_period_s, e)) ||
        (rc = sgj_number(feed, fwhere, "status_period_s", false, 1.0, 0.01, 3600,
                         &s->status_period_s, e)) ||
        (rc = sgj_number(feed, fwhere, "track_update_period_s", false, 0.1, 0, 60,
                         &s->track_update_period_s, e)) ||
        (rc = sgj_object(feed, fwhere, "security", false, &s->feed_security, e)))
        return rc;
    if (s->snapshot_period_s > 0 && s->snapshot_period_s < 0.01)
        return sg_err_set(e, SG_ERANGE, "%s.snapshot_period_s: must be 0 (as often as possible) "
                          "or in [0.01, 3600] s, got %g", fwhere, s->snapshot_period_s);
    if (!strstr(s->feed_endpoint, "://"))
        return sg_err_set(e, SG_EINVAL, "%s.endpoint: \"%s\" is not a ZeroMQ endpoint "
                          "(transport://address, e.g. tcp://127.0.0.1:5556)", fwhere,
                          s->feed_endpoint);
    return SG_OK;
}

static int parse_allow(sg_site *s, const cJSON *arr, sg_errinfo *e)
{
    static const char *const keys[] = {"identity", "label", NULL};
    int n = cJSON_GetArraySize(arr);
    if (n == 0)
        return SG_OK;
    s->allow = calloc((size_t)n, sizeof *s->allow);
    if (!s->allow)
        return sg_err_set(e, SG_ENOMEM, "%s: out of memory", s->path);
    const cJSON *it;
    cJSON_ArrayForEach(it, arr)
    {
        char where[SG_PATH_LEN + 32];
        snprintf(where, sizeof where, "%s: allow_list[%zu]", s->path, s->n_allow);
        sg_allow_entry *a = &s->allow[s->n_allow];
        int rc;
        if (!cJSON_IsObject(it))
            return sg_err_set(e, SG_EINVAL, "%s: must be an object", where);
        if ((rc = sgj_check_keys(it, where, keys, e)) ||
            (rc = sgj_string(it, where, "identity", true, NULL, a->identity, sizeof a->identity,
                             e)) ||
            (rc = sgj_string(it, where, "label", false, "", a->label, sizeof a->label, e)))
            return rc;
        for (size_t j = 0; j < s->n_allow; j++)
            if (strcmp(s->allow[j].identity, a->identity) == 0)
                return sg_err_set(e, SG_EINVAL, "%s.identity: \"%s\" listed twice", where,
                                  a->identity);
        s->n_allow++;
    }
    return SG_OK;
}

static int parse_root(sg_site *s, sg_errinfo *e)
{
    static const char *const keys[] = {"version", "site", "sensors", "zones", "zones_format",
                                       "geoid_undulation_m", "signatures", "remote_id_trust",
                                       "allow_list", "tracker", "alerts", "outputs", "comment",
                                       "nodes", NULL};
    static const char *const skeys[] = {"name", "origin", "ground_amsl_m", "time_zone", NULL};
    const cJSON *root = s->doc, *site, *origin, *sensors, *allow, *outputs;
    char where[SG_PATH_LEN + 32];
    static const char *const zones_formats[] = {"geojson", "ed269"};
    long version;
    int rc, zf;
    if (!cJSON_IsObject(root))
        return sg_err_set(e, SG_EINVAL, "%s: top level must be a JSON object", s->path);
    if ((rc = sgj_check_keys(root, s->path, keys, e)) ||
        (rc = sgj_int(root, s->path, "version", true, 1, 1, 1, &version, e)) ||
        (rc = sgj_object(root, s->path, "site", true, &site, e)) ||
        (rc = sgj_array(root, s->path, "sensors", true, &sensors, e)) ||
        (rc = sgj_array(root, s->path, "allow_list", false, &allow, e)) ||
        (rc = sgj_object(root, s->path, "tracker", false, &s->tracker, e)) ||
        (rc = sgj_object(root, s->path, "alerts", false, &s->alerts, e)) ||
        (rc = sgj_object(root, s->path, "nodes", false, &s->nodes, e)) ||
        (rc = sgj_object(root, s->path, "outputs", false, &outputs, e)) ||
        (rc = file_ref(s, root, s->path, "zones", s->zones_path, e)) ||
        (rc = sgj_enum(root, s->path, "zones_format", false, SG_ZONES_GEOJSON, zones_formats, 2,
                       &zf, e)) ||
        (rc = sgj_number(root, s->path, "geoid_undulation_m", false, NAN, -120, 120,
                         &s->geoid_undulation_m, e)) ||
        (rc = file_ref(s, root, s->path, "signatures", s->signatures_path, e)) ||
        (rc = file_ref(s, root, s->path, "remote_id_trust", s->rid_trust_path, e)))
        return rc;
    s->zones_format = (sg_zones_format)zf;
    snprintf(where, sizeof where, "%s: site", s->path);
    if ((rc = sgj_check_keys(site, where, skeys, e)) ||
        (rc = sgj_string(site, where, "name", true, NULL, s->name, sizeof s->name, e)) ||
        (rc = sgj_object(site, where, "origin", true, &origin, e)) ||
        (rc = sgj_number(site, where, "ground_amsl_m", false, NAN, -500, 9000, &s->ground_amsl_m,
                         e)) ||
        (rc = sgj_string(site, where, "time_zone", false, "UTC", s->time_zone,
                         sizeof s->time_zone, e)))
        return rc;
    tz_info *tz = tz_load(NULL, s->time_zone, e); /* an IANA name the tz database knows */
    if (!tz) {
        rc = e && e->code ? e->code : SG_EINVAL;
        snprintf(where, sizeof where, "%s: site.time_zone", s->path);
        sg_err_prefix(e, where);
        return rc;
    }
    tz_destroy(tz);
    if (isnan(s->ground_amsl_m))
        s->ground_amsl_m = 0; /* documented default: origin ground at mean sea level */
    snprintf(where, sizeof where, "%s: site.origin", s->path);
    if ((rc = parse_position(origin, where, &s->origin_lat_deg, &s->origin_lon_deg,
                             &s->origin_alt_m, e)))
        return rc;
    int n = cJSON_GetArraySize(sensors);
    if (n == 0)
        return sg_err_set(e, SG_EINVAL, "%s.sensors: at least one sensor is required", s->path);
    s->sensors = calloc((size_t)n, sizeof *s->sensors);
    if (!s->sensors)
        return sg_err_set(e, SG_ENOMEM, "%s: out of memory", s->path);
    const cJSON *it;
    cJSON_ArrayForEach(it, sensors)
    {
        sg_sensor_cfg *c = &s->sensors[s->n_sensors];
        if ((rc = parse_sensor(s, it, s->n_sensors, c, e)))
            return rc;
        for (size_t j = 0; j < s->n_sensors; j++)
            if (strcmp(s->sensors[j].id, c->id) == 0)
                return sg_err_set(e, SG_EINVAL, "%s.id: \"%s\" is already used by sensors[%zu]",
                                  c->where, c->id, j);
        s->n_sensors++;
    }
    if (allow && (rc = parse_allow(s, allow, e)))
        return rc;
    s->snapshot_period_s = 1.0;
    s->track_update_period_s = 0.1;
    s->status_period_s = 1.0;
    snprintf(s->feed_endpoint, sizeof s->feed_endpoint, "tcp://127.0.0.1:5556");
    if (outputs && (rc = parse_outputs(s, outputs, e)))
        return rc;
    return SG_OK;
}

/* Takes ownership of doc (NULL: the parse already failed and e says why). */
static sg_site *site_from_doc(const char *name, cJSON *doc, sg_errinfo *e)
{
    if (!doc)
        return NULL;
    sg_site *s = calloc(1, sizeof *s);
    if (!s) {
        cJSON_Delete(doc);
        sg_err_set(e, SG_ENOMEM, "%s: out of memory", name);
        return NULL;
    }
    s->doc = doc;
    if (snprintf(s->path, sizeof s->path, "%s", name) >= (int)sizeof s->path) {
        sg_err_set(e, SG_ERANGE, "%s: path too long", name);
        site_free(s);
        return NULL;
    }
    if (parse_root(s, e) != SG_OK) {
        site_free(s);
        return NULL;
    }
    return s;
}

sg_site *site_parse(const char *name, const char *text, size_t len, sg_errinfo *e)
{
    return site_from_doc(name, sgj_parse(name, text, len, e), e);
}

sg_site *site_load(const char *path, sg_errinfo *e)
{
    return site_from_doc(path, sgj_parse_file(path, e), e);
}

void site_free(sg_site *s)
{
    if (!s)
        return;
    cJSON_Delete(s->doc);
    free(s->sensors);
    free(s->allow);
    free(s);
}

int site_sensor_index(const sg_site *s, const char *id)
{
    for (size_t i = 0; i < s->n_sensors; i++)
        if (strcmp(s->sensors[i].id, id) == 0)
            return (int)i;
    return -1;
}

const char *site_time_zone(const sg_site *s, const char *override)
{
    if (override && override[0])
        return override;
    return s && s->time_zone[0] ? s->time_zone : "UTC";
}

bool site_allowed(const sg_site *s, const char *identity, const char **label)
{
    if (!identity || !*identity)
        return false;
    for (size_t i = 0; i < s->n_allow; i++) {
        if (strcmp(s->allow[i].identity, identity) == 0) {
            if (label)
                *label = s->allow[i].label;
            return true;
        }
    }
    return false;
}
