/* Parser for operator-feed frames (see feed_msg.h and docs/feed-schema.md).
 *
 * Strict about what the contract fixes (topic syntax, version, types, ranges, the
 * topic agreeing with the body) and lenient about what it leaves open (unknown fields
 * are ignored, optional fields may be absent or null), so a v1 consumer keeps working
 * when the producer adds fields. All JSON access goes through the checked getters of
 * sg_json.h so errors read "frame 'track.17'.lat: must be in [-90, 90], got 123". */
#include "feed_msg.h"
#include "sg_jsonw.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "sg_json.h"

static const char *const type_names[FEED_MSG_TYPE_COUNT_] = {"track", "alert", "status", "rf"};
/* as the daemon reports them (docs/feed-schema.md) */
static const char *const sensor_state_names[] = {"ok", "degraded", "down", "waiting", "ended",
                                                 "disabled"};

#define T_MAX 1e11          /* s UTC: beyond year 5000 is corrupt, not the future */
#define COUNTER_MAX 9007199254740992.0 /* 2^53: largest exact integer in a double */

const char *feed_sensor_state_name(feed_sensor_state s)
{
    return (unsigned)s < sizeof sensor_state_names / sizeof *sensor_state_names
               ? sensor_state_names[s]
               : "?";
}

const char *feed_msg_type_name(feed_msg_type t)
{
    return (unsigned)t < FEED_MSG_TYPE_COUNT_ ? type_names[t] : "?";
}

int feed_time_iso(double t, char *out, size_t cap)
{
    if (!isfinite(t) || t < 0 || t > T_MAX || cap < 25)
        return SG_ERANGE;
    sg_time_iso8601(t, out, cap);
    return SG_OK;
}

/* ---- field helpers: null counts as absent for optional fields ------------------ */

static bool is_absent(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return !v || cJSON_IsNull(v);
}

/* Optional number: NAN when absent or null. */
static int opt_num(const cJSON *o, const char *w, const char *key, double min, double max,
                   double *out, sg_errinfo *e)
{
    if (is_absent(o, key)) {
        *out = NAN;
        return SG_OK;
    }
    return sgj_number(o, w, key, true, 0, min, max, out, e);
}

static int opt_str(const cJSON *o, const char *w, const char *key, char *out, size_t cap,
                   sg_errinfo *e)
{
    if (is_absent(o, key)) {
        out[0] = '\0';
        return SG_OK;
    }
    return sgj_string(o, w, key, false, "", out, cap, e);
}

static int opt_bool(const cJSON *o, const char *w, const char *key, bool *out, sg_errinfo *e)
{
    if (is_absent(o, key)) {
        *out = false;
        return SG_OK;
    }
    return sgj_bool(o, w, key, true, false, out, e);
}

static int req_u32(const cJSON *o, const char *w, const char *key, uint32_t *out, sg_errinfo *e)
{
    long v;
    int rc = sgj_int(o, w, key, true, 0, 0, (long)UINT32_MAX, &v, e);
    if (rc == SG_OK)
        *out = (uint32_t)v;
    return rc;
}

/* Fixed-length numeric array (enu_m, vel_mps): NAN-filled when absent or null. */
static int opt_vec(const cJSON *o, const char *w, const char *key, int n, double lim,
                   double *out, sg_errinfo *e)
{
    for (int i = 0; i < n; i++)
        out[i] = NAN;
    if (is_absent(o, key))
        return SG_OK;
    const cJSON *a;
    int rc = sgj_array(o, w, key, true, &a, e);
    if (rc)
        return rc;
    if (cJSON_GetArraySize(a) != n)
        return sg_err_set(e, SG_EINVAL, "%s.%s: must be an array of %d numbers", w, key, n);
    int i = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, a)
    {
        if (!cJSON_IsNumber(it) || !isfinite(it->valuedouble) || fabs(it->valuedouble) > lim)
            return sg_err_set(e, SG_ERANGE, "%s.%s[%d]: must be a number in [%g, %g]", w, key,
                              i, -lim, lim);
        out[i++] = it->valuedouble;
    }
    return SG_OK;
}

/* "sensors": array of strings; keeps the first FEED_MAX_SENSORS. */
static int opt_sensor_names(const cJSON *o, const char *w, int *n_out,
                            char names[][SG_ID_LEN], sg_errinfo *e)
{
    *n_out = 0;
    if (is_absent(o, "sensors"))
        return SG_OK;
    const cJSON *a;
    int rc = sgj_array(o, w, "sensors", true, &a, e);
    if (rc)
        return rc;
    int i = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, a)
    {
        if (!cJSON_IsString(it) || !it->valuestring || strlen(it->valuestring) >= SG_ID_LEN)
            return sg_err_set(e, SG_EINVAL, "%s.sensors[%d]: must be a string of at most %d "
                              "characters", w, i, SG_ID_LEN - 1);
        if (*n_out < FEED_MAX_SENSORS)
            memcpy(names[(*n_out)++], it->valuestring, strlen(it->valuestring) + 1);
        i++;
    }
    return SG_OK;
}

/* ---- per-type bodies ------------------------------------------------------------ */

static int parse_track(const cJSON *o, const char *w, feed_msg_track *tk, sg_errinfo *e)
{
    int st = 0, rc;
    if ((rc = req_u32(o, w, "id", &tk->id, e)) ||
        (rc = sgj_enum(o, w, "status", true, 0, sg_track_status_names, 4, &st, e)) ||
        (rc = sgj_number(o, w, "lat", true, 0, -90, 90, &tk->lat, e)) ||
        (rc = sgj_number(o, w, "lon", true, 0, -180, 180, &tk->lon, e)) ||
        (rc = sgj_number(o, w, "alt_m", true, 0, -1e4, 1e6, &tk->alt_m, e)) ||
        (rc = opt_vec(o, w, "enu_m", 3, 1e8, tk->enu_m, e)) ||
        (rc = opt_vec(o, w, "vel_mps", 3, 1e4, tk->vel_mps, e)) ||
        (rc = opt_num(o, w, "speed_mps", 0, 1e4, &tk->speed_mps, e)) ||
        (rc = opt_num(o, w, "course_deg", 0, 360, &tk->course_deg, e)) ||
        (rc = opt_num(o, w, "climb_mps", -1e4, 1e4, &tk->climb_mps, e)) ||
        (rc = opt_num(o, w, "pos_sd_m", 0, 1e8, &tk->pos_sd_m, e)) ||
        (rc = opt_num(o, w, "pos_sd_h_m", 0, 1e8, &tk->pos_sd_h_m, e)) ||
        (rc = opt_num(o, w, "pos_sd_v_m", 0, 1e8, &tk->pos_sd_v_m, e)) ||
        (rc = opt_str(o, w, "class", tk->cls, sizeof tk->cls, e)) ||
        (rc = opt_num(o, w, "class_conf", 0, 1, &tk->cls_conf, e)) ||
        (rc = opt_str(o, w, "identity", tk->identity, sizeof tk->identity, e)) ||
        (rc = opt_sensor_names(o, w, &tk->n_sensors, tk->sensors, e)) ||
        (rc = opt_num(o, w, "hits", 0, COUNTER_MAX, &tk->hits, e)) ||
        (rc = opt_num(o, w, "t_first", 0, T_MAX, &tk->t_first, e)) ||
        (rc = opt_num(o, w, "t_last", 0, T_MAX, &tk->t_last, e)))
        return rc;
    tk->status = (sg_track_status)st;

    char sub[FEED_TOPIC_LEN + 32];
    tk->has_operator = !is_absent(o, "operator");
    if (tk->has_operator) {
        const cJSON *op;
        snprintf(sub, sizeof sub, "%s.operator", w);
        if ((rc = sgj_object(o, w, "operator", true, &op, e)) ||
            (rc = sgj_number(op, sub, "lat", true, 0, -90, 90, &tk->op_lat, e)) ||
            (rc = sgj_number(op, sub, "lon", true, 0, -180, 180, &tk->op_lon, e)) ||
            (rc = opt_num(op, sub, "alt_m", -1e4, 1e6, &tk->op_alt_m, e)))
            return rc;
    }

    tk->n_zones = tk->n_zones_total = 0;
    if (!is_absent(o, "zones")) {
        const cJSON *zs, *z;
        if ((rc = sgj_array(o, w, "zones", true, &zs, e)))
            return rc;
        cJSON_ArrayForEach(z, zs)
        {
            feed_msg_zone tmp, *zo = tk->n_zones < FEED_MAX_ZONES ? &tk->zones[tk->n_zones]
                                                                     : &tmp;
            int sev = 0;
            snprintf(sub, sizeof sub, "%s.zones[%d]", w, tk->n_zones_total);
            if (!cJSON_IsObject(z))
                return sg_err_set(e, SG_EINVAL, "%s: must be an object", sub);
            if ((rc = sgj_string(z, sub, "id", true, "", zo->id, sizeof zo->id, e)) ||
                (rc = sgj_enum(z, sub, "severity", true, 0, sg_severity_names, 4, &sev, e)) ||
                (rc = opt_bool(z, sub, "inside", &zo->inside, e)) ||
                (rc = opt_num(z, sub, "ttb_s", 0, 1e9, &zo->ttb_s, e)))
                return rc;
            zo->severity = (sg_severity)sev;
            if (tk->n_zones < FEED_MAX_ZONES)
                tk->n_zones++;
            tk->n_zones_total++;
        }
    }
    return SG_OK;
}

static int parse_alert(const cJSON *o, const char *w, feed_msg_alert *al, sg_errinfo *e)
{
    int st = 0, sev = 0, rc;
    if ((rc = req_u32(o, w, "id", &al->id, e)) ||
        (rc = sgj_enum(o, w, "state", true, 0, sg_alert_state_names, 3, &st, e)) ||
        (rc = sgj_enum(o, w, "severity", true, 0, sg_severity_names, 4, &sev, e)) ||
        (rc = req_u32(o, w, "track_id", &al->track_id, e)) ||
        (rc = sgj_string(o, w, "zone", true, "", al->zone, sizeof al->zone, e)) ||
        (rc = opt_bool(o, w, "inside", &al->inside, e)) ||
        (rc = opt_num(o, w, "ttb_s", 0, 1e9, &al->ttb_s, e)) ||
        (rc = opt_num(o, w, "ttb_sd_s", 0, 1e9, &al->ttb_sd_s, e)) ||
        (rc = opt_bool(o, w, "allow_listed", &al->allow_listed, e)) ||
        (rc = opt_str(o, w, "identity", al->identity, sizeof al->identity, e)) ||
        (rc = opt_str(o, w, "class", al->cls, sizeof al->cls, e)) ||
        (rc = opt_sensor_names(o, w, &al->n_sensors, al->sensors, e)))
        return rc;
    al->state = (sg_alert_state)st;
    al->severity = (sg_severity)sev;
    return SG_OK;
}

static int parse_nodes(const cJSON *o, const char *w, feed_msg_status *s, sg_errinfo *e);

static int parse_status(const cJSON *o, const char *w, feed_msg_status *s, sg_errinfo *e)
{
    struct {
        const char *key;
        double *dst;
    } counters[] = {
        {"uptime_s", &s->uptime_s},
        {"samples_processed", &s->samples_processed},
        {"samples_dropped", &s->samples_dropped},
        {"blocks_dropped", &s->blocks_dropped},
        {"bursts", &s->bursts},
        {"measurements", &s->measurements},
        {"measurements_rejected", &s->measurements_rejected},
        {"scans", &s->scans},
        {"scans_rejected", &s->scans_rejected},
        {"published", &s->published},
        {"publish_dropped", &s->publish_dropped},
        {"queue_depth", &s->queue_depth},
        {"queue_capacity", &s->queue_capacity},
        {"tracks", &s->tracks},
        {"alerts_active", &s->alerts_active},
    };
    int rc = sgj_string(o, w, "node", true, "", s->node, sizeof s->node, e);
    if (rc)
        return rc;
    for (size_t i = 0; i < sizeof counters / sizeof counters[0]; i++)
        if ((rc = opt_num(o, w, counters[i].key, 0, COUNTER_MAX, counters[i].dst, e)))
            return rc;

    char sub[FEED_TOPIC_LEN + 32];
    s->n_sensors = 0;
    if (!is_absent(o, "sensors")) {
        const cJSON *a, *it;
        int i = 0;
        if ((rc = sgj_array(o, w, "sensors", true, &a, e)))
            return rc;
        cJSON_ArrayForEach(it, a)
        {
            feed_msg_sensor tmp,
                *h = s->n_sensors < FEED_MAX_SENSORS ? &s->sensors[s->n_sensors] : &tmp;
            int st = 0;
            snprintf(sub, sizeof sub, "%s.sensors[%d]", w, i++);
            if (!cJSON_IsObject(it))
                return sg_err_set(e, SG_EINVAL, "%s: must be an object", sub);
            if ((rc = sgj_string(it, sub, "id", true, "", h->id, sizeof h->id, e)) ||
                (rc = sgj_enum(it, sub, "state", true, 0, sensor_state_names, 6, &st, e)) ||
                (rc = opt_num(it, sub, "last_t", 0, T_MAX, &h->last_t, e)) ||
                (rc = opt_str(it, sub, "node", h->node, sizeof h->node, e)) ||
                (rc = opt_num(it, sub, "link_dropped", 0, COUNTER_MAX, &h->link_dropped, e)))
                return rc;
            h->state = (feed_sensor_state)st;
            if (s->n_sensors < FEED_MAX_SENSORS)
                s->n_sensors++;
        }
    }

    s->frontend_p50_ms = s->frontend_p99_ms = s->pipeline_p50_ms = s->pipeline_p99_ms = NAN;
    if (!is_absent(o, "latency_ms")) {
        const cJSON *l;
        snprintf(sub, sizeof sub, "%s.latency_ms", w);
        if ((rc = sgj_object(o, w, "latency_ms", true, &l, e)) ||
            (rc = opt_num(l, sub, "frontend_p50", 0, 1e9, &s->frontend_p50_ms, e)) ||
            (rc = opt_num(l, sub, "frontend_p99", 0, 1e9, &s->frontend_p99_ms, e)) ||
            (rc = opt_num(l, sub, "pipeline_p50", 0, 1e9, &s->pipeline_p50_ms, e)) ||
            (rc = opt_num(l, sub, "pipeline_p99", 0, 1e9, &s->pipeline_p99_ms, e)))
            return rc;
    }
    return parse_nodes(o, w, s, e);
}

/* A fusion node's "nodes" member (docs/nodes.md): its counters and the first
 * FEED_MAX_NODES sensor nodes. */
static int parse_nodes(const cJSON *o, const char *w, feed_msg_status *s, sg_errinfo *e)
{
    static const char *const node_states[] = {"waiting", "ok", "silent"};
    s->nodes_refused = s->nodes_malformed = s->nodes_lost = s->nodes_late = NAN;
    s->n_nodes = 0;
    s->has_nodes = !is_absent(o, "nodes");
    if (!s->has_nodes)
        return SG_OK;
    const cJSON *n, *a, *it;
    char sub[FEED_TOPIC_LEN + 32], sub2[FEED_TOPIC_LEN + 48];
    snprintf(sub, sizeof sub, "%s.nodes", w);
    int rc;
    if ((rc = sgj_object(o, w, "nodes", true, &n, e)) ||
        (rc = opt_num(n, sub, "refused", 0, COUNTER_MAX, &s->nodes_refused, e)) ||
        (rc = opt_num(n, sub, "malformed", 0, COUNTER_MAX, &s->nodes_malformed, e)) ||
        (rc = opt_num(n, sub, "lost", 0, COUNTER_MAX, &s->nodes_lost, e)) ||
        (rc = opt_num(n, sub, "late", 0, COUNTER_MAX, &s->nodes_late, e)))
        return rc;
    if (is_absent(n, "nodes"))
        return SG_OK;
    if ((rc = sgj_array(n, sub, "nodes", true, &a, e)))
        return rc;
    int i = 0;
    cJSON_ArrayForEach(it, a)
    {
        feed_msg_node tmp, *d = s->n_nodes < FEED_MAX_NODES ? &s->nodes[s->n_nodes] : &tmp;
        snprintf(sub2, sizeof sub2, "%s.nodes[%d]", sub, i++);
        if (!cJSON_IsObject(it))
            return sg_err_set(e, SG_EINVAL, "%s: must be an object", sub2);
        if ((rc = sgj_string(it, sub2, "name", true, "", d->name, sizeof d->name, e)) ||
            (rc = sgj_enum(it, sub2, "state", true, 0, node_states, 3, &d->state, e)) ||
            (rc = opt_num(it, sub2, "silent_s", 0, 1e12, &d->silent_s, e)) ||
            (rc = opt_num(it, sub2, "clock_offset_s", -1e9, 1e9, &d->clock_offset_s, e)) ||
            (rc = opt_num(it, sub2, "link_delay_ms", -1e9, 1e9, &d->link_delay_ms, e)) ||
            (rc = opt_bool(it, sub2, "clock_flagged", &d->clock_flagged, e)) ||
            (rc = opt_num(it, sub2, "lost", 0, COUNTER_MAX, &d->lost, e)))
            return rc;
        if (s->n_nodes < FEED_MAX_NODES)
            s->n_nodes++;
    }
    return SG_OK;
}

static int parse_rf(const cJSON *o, const char *w, feed_msg_rf *r, sg_errinfo *e)
{
    int rc;
    if ((rc = sgj_string(o, w, "sensor", true, "", r->sensor, sizeof r->sensor, e)) ||
        (rc = opt_str(o, w, "class", r->cls, sizeof r->cls, e)) ||
        (rc = opt_num(o, w, "class_conf", 0, 1, &r->cls_conf, e)) ||
        (rc = opt_str(o, w, "identity", r->identity, sizeof r->identity, e)) ||
        (rc = opt_num(o, w, "fc_hz", 0, 1e12, &r->fc_hz, e)) ||
        (rc = opt_num(o, w, "bw_hz", 0, 1e12, &r->bw_hz, e)) ||
        (rc = opt_num(o, w, "azimuth_deg", 0, 360, &r->az_deg, e)) ||
        (rc = opt_num(o, w, "azimuth_sd_deg", 0, 180, &r->az_sd_deg, e)) ||
        (rc = opt_num(o, w, "first_t", 0, T_MAX, &r->first_t, e)) ||
        (rc = opt_num(o, w, "last_t", 0, T_MAX, &r->last_t, e)))
        return rc;
    double tid;
    if ((rc = opt_num(o, w, "track_id", 0, UINT32_MAX, &tid, e)))
        return rc;
    if (!isnan(tid) && tid != floor(tid))
        return sg_err_set(e, SG_EINVAL, "%s.track_id: not an integer", w);
    r->has_track = !isnan(tid);
    r->track_id = r->has_track ? (uint32_t)tid : 0;
    return SG_OK;
}

/* ---- frame level ----------------------------------------------------------------- */

/* "YYYY-MM-DDTHH:MM:SS[.fff...]Z": the form feed_time_iso writes. */
static bool time_ok(const char *s)
{
    static const char pat[] = "dddd-dd-ddTdd:dd:dd";
    size_t i = 0;
    for (; pat[i]; i++) {
        char c = s[i];
        if (pat[i] == 'd' ? (c < '0' || c > '9') : c != pat[i])
            return false;
    }
    if (s[i] == '.') {
        i++;
        if (s[i] < '0' || s[i] > '9')
            return false;
        while (s[i] >= '0' && s[i] <= '9')
            i++;
    }
    return s[i] == 'Z' && s[i + 1] == '\0';
}

/* The topic the body implies; the received topic must equal it. Ids are free text from
 * the site config, so in topics every byte outside printable ASCII (0x21-0x7e) is sent
 * as '_' ("north stand" -> alert.warning.north_stand). */
static int expected_topic(const feed_msg *m, char *out, size_t cap)
{
    int n;
    switch (m->type) {
    case FEED_MSG_TRACK:
        n = snprintf(out, cap, "track.%u", (unsigned)m->u.track.id);
        break;
    case FEED_MSG_ALERT:
        n = snprintf(out, cap, "alert.%s.%s", sg_severity_names[m->u.alert.severity], m->u.alert.zone);
        break;
    case FEED_MSG_STATUS:
        n = snprintf(out, cap, "status.%s", m->u.status.node);
        break;
    default:
        n = snprintf(out, cap, "rf.%s", m->u.rf.sensor);
        break;
    }
    if (n < 0 || (size_t)n >= cap)
        return SG_ERANGE;
    for (char *p = out; *p; p++)
        if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
            *p = '_';
    return SG_OK;
}

void feed_msg_free(feed_msg *m)
{
    if (m && m->json) {
        cJSON_Delete(m->json);
        m->json = NULL;
    }
}

int feed_msg_parse(const char *frame, size_t len, feed_msg *out, sg_errinfo *e)
{
    memset(out, 0, sizeof *out);
    if (!frame)
        return sg_err_set(e, SG_EINVAL, "frame: NULL");
    if (len > FEED_MSG_MAX_FRAME)
        return sg_err_set(e, SG_ERANGE, "frame: %zu bytes, larger than the %u byte limit", len,
                          FEED_MSG_MAX_FRAME);
    const char *sp = memchr(frame, ' ', len);
    if (!sp)
        return sg_err_set(e, SG_EFORMAT, "frame: no \"<topic> <json>\" separator");
    size_t tlen = (size_t)(sp - frame);
    if (tlen == 0 || tlen >= FEED_TOPIC_LEN)
        return sg_err_set(e, SG_EFORMAT, "frame: topic must be 1..%d bytes, got %zu",
                          FEED_TOPIC_LEN - 1, tlen);
    for (size_t i = 0; i < tlen; i++) {
        unsigned char c = (unsigned char)frame[i];
        if (c <= 0x20 || c >= 0x7f)
            return sg_err_set(e, SG_EFORMAT, "frame: topic byte %zu is not printable ASCII", i);
    }
    memcpy(out->topic, frame, tlen);
    out->topic[tlen] = '\0';

    char w[FEED_TOPIC_LEN + 16];
    snprintf(w, sizeof w, "frame '%s'", out->topic);
    const char *body = sp + 1;
    size_t blen = len - tlen - 1;
    /* One frame, one line: embedded NUL or newline means a framing bug or an attack. */
    for (size_t i = 0; i < blen; i++)
        if (body[i] == '\0' || body[i] == '\n' || body[i] == '\r')
            return sg_err_set(e, SG_EFORMAT, "%s: control byte 0x%02x at offset %zu", w,
                              (unsigned)(unsigned char)body[i], tlen + 1 + i);

    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(body, blen, &end, 0);
    if (!root) {
        size_t off = end && end >= body && end <= body + blen ? (size_t)(end - body) : 0;
        return sg_err_set(e, SG_EFORMAT, "%s: JSON syntax error at byte %zu", w, tlen + 1 + off);
    }
    size_t used = (size_t)(end - body);
    while (used < blen && (body[used] == ' ' || body[used] == '\t'))
        used++;
    int rc;
    if (used != blen) {
        rc = sg_err_set(e, SG_EFORMAT, "%s: trailing bytes after the JSON object", w);
        goto fail;
    }
    if (!cJSON_IsObject(root)) {
        rc = sg_err_set(e, SG_EFORMAT, "%s: body must be a JSON object", w);
        goto fail;
    }

    long v;
    if ((rc = sgj_int(root, w, "v", true, 0, 1, 1000000, &v, e)))
        goto fail;
    out->v = (int)v;
    if (v > FEED_SCHEMA_VERSION) {
        rc = sg_err_set(e, SG_ENOTSUP, "%s: schema version %ld is newer than this consumer (%d)",
                        w, v, FEED_SCHEMA_VERSION);
        goto fail;
    }
    char type[16];
    if ((rc = sgj_string(root, w, "type", true, "", type, sizeof type, e))) {
        if (rc == SG_ERANGE) /* too long to be any type we know */
            rc = sg_err_set(e, SG_ENOTSUP, "%s: unknown message type", w);
        goto fail;
    }
    int ti = -1;
    for (int i = 0; i < FEED_MSG_TYPE_COUNT_; i++)
        if (strcmp(type, type_names[i]) == 0)
            ti = i;
    if (ti < 0) {
        rc = sg_err_set(e, SG_ENOTSUP, "%s: unknown message type \"%s\"", w, type);
        goto fail;
    }
    out->type = (feed_msg_type)ti;
    if ((rc = sgj_number(root, w, "t", true, 0, 0, T_MAX, &out->t, e)) ||
        (rc = sgj_string(root, w, "time", true, "", out->time, sizeof out->time, e)) ||
        (rc = opt_bool(root, w, "snapshot", &out->snapshot, e)))
        goto fail;
    if (!time_ok(out->time)) {
        rc = sg_err_set(e, SG_EFORMAT, "%s.time: must be ISO 8601 UTC like "
                        "2026-01-01T12:00:00.000Z", w);
        goto fail;
    }

    switch (out->type) {
    case FEED_MSG_TRACK:
        rc = parse_track(root, w, &out->u.track, e);
        break;
    case FEED_MSG_ALERT:
        rc = parse_alert(root, w, &out->u.alert, e);
        break;
    case FEED_MSG_STATUS:
        rc = parse_status(root, w, &out->u.status, e);
        break;
    default:
        rc = parse_rf(root, w, &out->u.rf, e);
        break;
    }
    if (rc)
        goto fail;

    char want[FEED_TOPIC_LEN];
    if (expected_topic(out, want, sizeof want) != SG_OK || strcmp(want, out->topic) != 0) {
        rc = sg_err_set(e, SG_EFORMAT, "%s: topic does not match the %s body (expected '%s')",
                        w, type_names[out->type], want);
        goto fail;
    }
    out->json = root;
    return SG_OK;
fail:
    cJSON_Delete(root);
    out->json = NULL;
    return rc;
}
