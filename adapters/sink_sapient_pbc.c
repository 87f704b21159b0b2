/* The SAPIENT sink (outputs.sapient): skyguard as a BSI Flex 335 v2.0 sensor node. It
 * connects to a SAPIENT fusion node / middleware over TCP (sink_tcp), registers
 * (Registration: passive-RF node type, ICD version, tracking mode, WGS84 lat/lon/HAE
 * locations), reports status every status_period_s (StatusReport) and sends one
 * DetectionReport per track update: object_id a ULID stable for the track, location lon/lat
 * in degrees and height above the WGS84 ellipsoid with 1-sigma errors from the track
 * covariance, classification and the decoded identity; state "lost" when the track is
 * deleted. Every message is a SapientMessage (adapters/sapient/sapient.proto, protobuf-c)
 * prefixed by its length as a 4-byte little-endian integer. On a clean stop it says goodbye
 * (StatusReport SYSTEM_GOODBYE). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sapient.pb-c.h"
#include "sapient_in.h"
#include "sapient_wire.h"
#include "sg_clock.h"
#include "sg_json.h"
#include "sink.h"
#include "sink_tcp.h"

#define SAPIENT_ICD "BSI Flex 335 v2.0"
#define SAPIENT_MAX_MSG 8192 /* bytes of one encoded message */

typedef SapientMsg__BsiFlex335V20__SapientMessage smsg;

typedef struct {
    sink_tcp tcp;
    char node_id[40], name[128];
    double status_period_s, next_status;
    uint64_t rng;            /* xorshift state for ULID randomness */
    uint64_t node_hash;      /* from node_id: the random part of object ids */
    uint64_t registrations, statuses, detections, not_connected; /* atomics */
} sapient_sink;

static void bump(uint64_t *c)
{
    __atomic_add_fetch(c, 1, __ATOMIC_RELAXED);
}

static uint64_t fnv1a(const char *s, uint64_t h)
{
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static uint64_t xorshift(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* ULID: 48-bit milliseconds then 80 bits, Crockford base32, 26 characters. */
static void ulid(double t_s, uint64_t hi16, uint64_t lo64, char out[27])
{
    static const char b32[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    uint8_t v[16];
    uint64_t ms = t_s > 0 ? (uint64_t)(t_s * 1000) : 0;
    for (int i = 0; i < 6; i++)
        v[i] = (uint8_t)(ms >> (40 - 8 * i));
    v[6] = (uint8_t)(hi16 >> 8);
    v[7] = (uint8_t)hi16;
    for (int i = 0; i < 8; i++)
        v[8 + i] = (uint8_t)(lo64 >> (56 - 8 * i));
    /* 128 bits -> 26 x 5 bits, the first character carrying the top 3 bits */
    for (int i = 0; i < 26; i++) {
        int bit = 125 - 5 * i; /* this group's least significant bit (the first has 3 bits) */
        unsigned val = 0;
        for (int k = 4; k >= 0; k--) {
            int b = bit + k;
            if (b < 0 || b >= 128)
                continue;
            int byte = 15 - b / 8, off = b % 8;
            val |= (unsigned)((v[byte] >> off) & 1) << k;
        }
        out[i] = b32[val];
    }
    out[26] = '\0';
}

static void sapient_close(void *state);

static int sapient_open(void **state, const cJSON *b, const char *where, const sink_env *env,
                        sg_errinfo *e)
{
    static const char *const keys[] = {SINK_TCP_KEYS, "node_id", "name", "status_period_s",
                                       NULL};
    sapient_sink *s = calloc(1, sizeof *s);
    if (!s)
        return sg_err_set(e, SG_ENOMEM, "%s: out of memory", where);
    s->tcp.fd = -1;
    const char *site = env && env->site_name ? env->site_name : "site";
    char defname[128], defid[40];
    snprintf(defname, sizeof defname, "skyguard %s", site);
    /* a stable node id from the site name (UUID layout, version 8 "custom") */
    uint64_t h1 = fnv1a(site, 1469598103934665603ull), h2 = fnv1a(site, h1 ^ 0x5bd1e995u);
    snprintf(defid, sizeof defid, "%08x-%04x-8%03x-%04x-%012llx", (unsigned)(h1 >> 32),
             (unsigned)(h1 >> 16) & 0xffff, (unsigned)h1 & 0xfff,
             0x8000 | ((unsigned)(h2 >> 48) & 0x3fff),
             (unsigned long long)(h2 & 0xffffffffffffull));
    int rc;
    if ((rc = sink_check_keys(b, where, keys, e)) ||
        (rc = sink_tcp_parse(&s->tcp, b, where, 12000, env ? env->venue_path : NULL, e)) ||
        (rc = sgj_string(b, where, "node_id", false, defid, s->node_id, sizeof s->node_id, e)) ||
        (rc = sgj_string(b, where, "name", false, defname, s->name, sizeof s->name, e)) ||
        (rc = sgj_number(b, where, "status_period_s", false, 5, 0.1, 3600, &s->status_period_s,
                         e)))
        goto fail;
    if (!sapient_uuid_ok(s->node_id)) {
        rc = sg_err_set(e, SG_EINVAL, "%s.node_id: \"%s\" is not a UUID "
                        "(xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)", where, s->node_id);
        goto fail;
    }
    s->node_hash = fnv1a(s->node_id, 1469598103934665603ull);
    s->rng = s->node_hash ^ (uint64_t)getpid() ^ (uint64_t)(sg_clock_s(CLOCK_REALTIME) * 1e6);
    if (!s->rng)
        s->rng = 88172645463325252ull;
    *state = s;
    return SG_OK;
fail:
    sapient_close(s);
    return rc;
}

/* Packs m with its 4-byte little-endian length and sends it. */
static int send_msg(sapient_sink *s, smsg *m, double now)
{
    SapientMsg__BsiFlex335V20__Timestamp ts;
    m->node_id = s->node_id;
    uint8_t buf[4 + SAPIENT_MAX_MSG];
    size_t n = sapient_frame(m, &ts, now, buf, sizeof buf);
    if (!n)
        return SG_EOVERFLOW;
    return sink_tcp_send(&s->tcp, buf, n);
}

static void lat_lon_location(SapientMsg__BsiFlex335V20__Location *l)
{
    l->has_coordinate_system = l->has_datum = 1;
    l->coordinate_system = SAPIENT_MSG__BSI_FLEX_335_V2_0__LOCATION_COORDINATE_SYSTEM__LOCATION_COORDINATE_SYSTEM_LAT_LNG_DEG_M;
    l->datum = SAPIENT_MSG__BSI_FLEX_335_V2_0__LOCATION_DATUM__LOCATION_DATUM_WGS84_E;
}

static int send_registration(sapient_sink *s, double now)
{
    SapientMsg__BsiFlex335V20__Registration__NodeDefinition nd =
        SAPIENT_MSG__BSI_FLEX_335_V2_0__REGISTRATION__NODE_DEFINITION__INIT;
    char *subtypes[] = {"skyguard RF, camera and Remote ID fusion"};
    nd.has_node_type = 1;
    nd.node_type = SAPIENT_MSG__BSI_FLEX_335_V2_0__REGISTRATION__NODE_TYPE__NODE_TYPE_PASSIVE_RF;
    nd.n_node_sub_type = 1;
    nd.node_sub_type = subtypes;
    SapientMsg__BsiFlex335V20__Registration__NodeDefinition *nds[] = {&nd};

    SapientMsg__BsiFlex335V20__Registration__Capability cap =
        SAPIENT_MSG__BSI_FLEX_335_V2_0__REGISTRATION__CAPABILITY__INIT;
    cap.category = "Detection";
    cap.type = "Tracking";
    cap.value = "UAS tracks with identity (DJI DroneID, ASTM F3411 Remote ID)";
    SapientMsg__BsiFlex335V20__Registration__Capability *caps[] = {&cap};

    SapientMsg__BsiFlex335V20__Registration__LocationType lt =
        SAPIENT_MSG__BSI_FLEX_335_V2_0__REGISTRATION__LOCATION_TYPE__INIT;
    lt.coordinates_oneof_case =
        SAPIENT_MSG__BSI_FLEX_335_V2_0__REGISTRATION__LOCATION_TYPE__COORDINATES_ONEOF_LOCATION_UNITS;
    lt.location_units = SAPIENT_MSG__BSI_FLEX_335_V2_0__LOCATION_COORDINATE_SYSTEM__LOCATION_COORDINATE_SYSTEM_LAT_LNG_DEG_M;
    lt.datum_oneof_case =
        SAPIENT_MSG__BSI_FLEX_335_V2_0__REGISTRATION__LOCATION_TYPE__DATUM_ONEOF_LOCATION_DATUM;
    lt.location_datum = SAPIENT_MSG__BSI_FLEX_335_V2_0__LOCATION_DATUM__LOCATION_DATUM_WGS84_E;

    SapientMsg__BsiFlex335V20__Registration__Duration interval =
        SAPIENT_MSG__BSI_FLEX_335_V2_0__REGISTRATION__DURATION__INIT;
    interval.has_units = interval.has_value = 1;
    interval.units = SAPIENT_MSG__BSI_FLEX_335_V2_0__REGISTRATION__TIME_UNITS__TIME_UNITS_SECONDS;
    interval.value = (float)s->status_period_s;
    SapientMsg__BsiFlex335V20__Registration__StatusDefinition sd =
        SAPIENT_MSG__BSI_FLEX_335_V2_0__REGISTRATION__STATUS_DEFINITION__INIT;
    sd.status_interval = &interval;
    sd.location_definition = &lt;

    SapientMsg__BsiFlex335V20__Registration__DetectionDefinition dd =
        SAPIENT_MSG__BSI_FLEX_335_V2_0__REGISTRATION__DETECTION_DEFINITION__INIT;
    dd.location_type = &lt;
    SapientMsg__BsiFlex335V20__Registration__DetectionDefinition *dds[] = {&dd};
    SapientMsg__BsiFlex335V20__Registration__Duration settle =
        SAPIENT_MSG__BSI_FLEX_335_V2_0__REGISTRATION__DURATION__INIT;
    settle.has_units = settle.has_value = 1;
    settle.units = SAPIENT_MSG__BSI_FLEX_335_V2_0__REGISTRATION__TIME_UNITS__TIME_UNITS_SECONDS;
    settle.value = 0;
    SapientMsg__BsiFlex335V20__Registration__ModeDefinition md =
        SAPIENT_MSG__BSI_FLEX_335_V2_0__REGISTRATION__MODE_DEFINITION__INIT;
    md.mode_name = "default";
    md.has_mode_type = md.has_tracking_type = 1;
    md.mode_type = SAPIENT_MSG__BSI_FLEX_335_V2_0__REGISTRATION__MODE_TYPE__MODE_TYPE_PERMANENT;
    md.tracking_type = SAPIENT_MSG__BSI_FLEX_335_V2_0__REGISTRATION__TRACKING_TYPE__TRACKING_TYPE_TRACK_WITH_RE_ID;
    md.settle_time = &settle;
    md.n_detection_definition = 1;
    md.detection_definition = dds;
    SapientMsg__BsiFlex335V20__Registration__ModeDefinition *mds[] = {&md};

    SapientMsg__BsiFlex335V20__Registration__ConfigurationData cd =
        SAPIENT_MSG__BSI_FLEX_335_V2_0__REGISTRATION__CONFIGURATION_DATA__INIT;
    cd.manufacturer = "skyguard";
    cd.model = "skyguard counter-UAS pipeline";
    SapientMsg__BsiFlex335V20__Registration__ConfigurationData *cds[] = {&cd};

    SapientMsg__BsiFlex335V20__Registration r = SAPIENT_MSG__BSI_FLEX_335_V2_0__REGISTRATION__INIT;
    r.n_node_definition = 1;
    r.node_definition = nds;
    r.icd_version = SAPIENT_ICD;
    r.name = s->name;
    r.short_name = "skyguard";
    r.n_capabilities = 1;
    r.capabilities = caps;
    r.status_definition = &sd;
    r.n_mode_definition = 1;
    r.mode_definition = mds;
    r.n_config_data = 1;
    r.config_data = cds;
    smsg m = SAPIENT_MSG__BSI_FLEX_335_V2_0__SAPIENT_MESSAGE__INIT;
    m.content_case = SAPIENT_MSG__BSI_FLEX_335_V2_0__SAPIENT_MESSAGE__CONTENT_REGISTRATION;
    m.registration = &r;
    int rc = send_msg(s, &m, now);
    if (rc == SG_OK)
        bump(&s->registrations);
    return rc;
}

static int send_status(sapient_sink *s, double now, bool first, bool goodbye)
{
    char rid[27];
    ulid(now, xorshift(&s->rng), xorshift(&s->rng), rid);
    SapientMsg__BsiFlex335V20__StatusReport st = SAPIENT_MSG__BSI_FLEX_335_V2_0__STATUS_REPORT__INIT;
    st.report_id = rid;
    st.has_system = st.has_info = 1;
    st.system = goodbye ? SAPIENT_MSG__BSI_FLEX_335_V2_0__STATUS_REPORT__SYSTEM__SYSTEM_GOODBYE
                        : SAPIENT_MSG__BSI_FLEX_335_V2_0__STATUS_REPORT__SYSTEM__SYSTEM_OK;
    st.info = first ? SAPIENT_MSG__BSI_FLEX_335_V2_0__STATUS_REPORT__INFO__INFO_NEW
                    : SAPIENT_MSG__BSI_FLEX_335_V2_0__STATUS_REPORT__INFO__INFO_UNCHANGED;
    st.mode = "default";
    smsg m = SAPIENT_MSG__BSI_FLEX_335_V2_0__SAPIENT_MESSAGE__INIT;
    m.content_case = SAPIENT_MSG__BSI_FLEX_335_V2_0__SAPIENT_MESSAGE__CONTENT_STATUS_REPORT;
    m.status_report = &st;
    int rc = send_msg(s, &m, now);
    if (rc == SG_OK)
        bump(&s->statuses);
    return rc;
}

static int sapient_handle(void *state, const sink_event *ev, const int *stop)
{
    (void)stop;
    sapient_sink *s = state;
    if (ev->type != FEED_MSG_TRACK)
        return SG_OK;
    if (s->tcp.fd < 0) {
        bump(&s->not_connected);
        return SG_EAGAIN;
    }
    const feed_msg_track *t = &ev->u.track;
    double now = sg_clock_s(CLOCK_REALTIME);
    char rid[27], oid[27], cls[SG_CLASS_LEN + 8];
    ulid(now, xorshift(&s->rng), xorshift(&s->rng), rid);
    /* the same ULID for every report of a track: its first time and id, and this node */
    ulid(isfinite(t->t_first) ? t->t_first : ev->t, s->node_hash >> 48,
         (s->node_hash << 32) ^ t->id, oid);
    SapientMsg__BsiFlex335V20__Location loc = SAPIENT_MSG__BSI_FLEX_335_V2_0__LOCATION__INIT;
    lat_lon_location(&loc);
    loc.has_x = loc.has_y = loc.has_z = 1;
    loc.x = t->lon;
    loc.y = t->lat;
    loc.z = t->alt_m;
    if (isfinite(t->pos_sd_h_m)) { /* 1-sigma per axis (h is the 2-D root sum), in degrees */
        double sd = t->pos_sd_h_m / M_SQRT2;
        loc.has_x_error = loc.has_y_error = 1;
        loc.y_error = sd / 111320.0;
        loc.x_error = sd / (111320.0 * fmax(cos(t->lat * M_PI / 180), 1e-6));
    }
    if (isfinite(t->pos_sd_v_m)) {
        loc.has_z_error = 1;
        loc.z_error = t->pos_sd_v_m;
    }
    SapientMsg__BsiFlex335V20__DetectionReport__DetectionReportClassification c =
        SAPIENT_MSG__BSI_FLEX_335_V2_0__DETECTION_REPORT__DETECTION_REPORT_CLASSIFICATION__INIT;
    SapientMsg__BsiFlex335V20__DetectionReport__DetectionReportClassification *cs[] = {&c};
    SapientMsg__BsiFlex335V20__DetectionReport d =
        SAPIENT_MSG__BSI_FLEX_335_V2_0__DETECTION_REPORT__INIT;
    d.report_id = rid;
    d.object_id = oid;
    d.location_oneof_case = SAPIENT_MSG__BSI_FLEX_335_V2_0__DETECTION_REPORT__LOCATION_ONEOF_LOCATION;
    d.location = &loc;
    /* SAPIENT's class taxonomy names UAVs "Air Vehicle"/"UAV"; our signature class follows */
    snprintf(cls, sizeof cls, "%s", "UAV");
    c.type = cls;
    if (isfinite(t->cls_conf)) {
        c.has_confidence = 1;
        c.confidence = (float)t->cls_conf;
    }
    d.n_classification = 1;
    d.classification = cs;
    if (t->identity[0])
        d.id = (char *)t->identity;
    if (t->status == SG_TRACK_DELETED)
        d.state = "lost";
    else if (t->status == SG_TRACK_COASTING)
        d.state = "coasting";
    smsg m = SAPIENT_MSG__BSI_FLEX_335_V2_0__SAPIENT_MESSAGE__INIT;
    m.content_case = SAPIENT_MSG__BSI_FLEX_335_V2_0__SAPIENT_MESSAGE__CONTENT_DETECTION_REPORT;
    m.detection_report = &d;
    char info[SG_CLASS_LEN + 32] = "";
    if (t->cls[0]) { /* our own finer class, for operators reading the raw message */
        snprintf(info, sizeof info, "skyguard_class=%s", t->cls);
        m.additional_information = info;
    }
    int rc = send_msg(s, &m, now);
    if (rc == SG_OK)
        bump(&s->detections);
    return rc;
}

static void sapient_tick(void *state, double now)
{
    sapient_sink *s = state;
    if (sink_tcp_tick(&s->tcp, now)) { /* a new connection: register, then the first status */
        if (send_registration(s, now) == SG_OK && send_status(s, now, true, false) == SG_OK)
            s->next_status = now + s->status_period_s;
        return;
    }
    if (s->tcp.fd >= 0 && now >= s->next_status) {
        send_status(s, now, false, false);
        s->next_status = now + s->status_period_s;
    }
}

static void sapient_stats(void *state, sink_stats *out)
{
    sapient_sink *s = state;
    out->connected = __atomic_load_n(&s->tcp.connected, __ATOMIC_RELAXED);
    const struct {
        const char *n;
        uint64_t *v;
    } x[] = {{"registrations", &s->registrations}, {"status_reports", &s->statuses},
             {"detection_reports", &s->detections}, {"not_connected", &s->not_connected},
             {"connects", &s->tcp.connects},       {"stalls", &s->tcp.stalls}};
    for (size_t i = 0; i < sizeof x / sizeof x[0] && i < SINK_MAX_EXTRA; i++) {
        out->extra[i].name = x[i].n;
        out->extra[i].value = __atomic_load_n(x[i].v, __ATOMIC_RELAXED);
    }
}

static void sapient_close(void *state)
{
    sapient_sink *s = state;
    if (s->tcp.fd >= 0)
        send_status(s, sg_clock_s(CLOCK_REALTIME), false, true); /* goodbye */
    sink_tcp_close(&s->tcp);
    free(s);
}

const sink_ops sink_sapient_ops = {"sapient", sapient_open, sapient_handle, sapient_tick,
                                   sapient_stats, sapient_close};
