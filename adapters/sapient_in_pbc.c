/* SAPIENT input (see sapient_in.h): a TCP listener for third-party SAPIENT sensor nodes,
 * the registration handshake, and DetectionReports mapped onto measurements of one venue
 * sensor. One poll loop on the run thread owns every socket; counters are atomics. */
#define _GNU_SOURCE /* accept4 */
#include "sapient_in.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "geo.h"
#include "sapient.pb-c.h"
#include "sapient_wire.h"
#include "sg_clock.h"
#include "sg_json.h"

#define MAX_CLIENTS 64
#define MAX_NODE_IDS 32
#define FUTURE_S 1.0  /* s a timestamp may be ahead of our clock (clock offsets) */
#define POLL_MS 100

typedef SapientMsg__BsiFlex335V20__SapientMessage smsg;
typedef SapientMsg__BsiFlex335V20__DetectionReport sdet;
typedef SapientMsg__BsiFlex335V20__Location sloc;
typedef SapientMsg__BsiFlex335V20__RangeBearing srb;

const char *const sapient_reject_names[SAPIENT_REJ_COUNT_] = {
    "decode", "oversize", "unregistered", "registration", "no_location",
    "unsupported", "bad_value", "time", "confidence", "other"};

typedef struct {
    int fd;                    /* -1 = free */
    uint8_t *buf;              /* 4 + max_message_bytes */
    size_t have;               /* bytes in buf */
    bool registered;
    char node[40];             /* its registered node id */
} client;

struct sapient_in {
    char where[160];
    sapient_in_geom g;
    char sensor_id[SG_ID_LEN];
    char node_id[40];          /* ours, in acks */
    char allowed[MAX_NODE_IDS][40];
    int n_allowed;
    long max_clients, max_msg;
    double max_age_s, min_conf;
    int lfd, port;
    int stop;                  /* atomic */
    client cl[MAX_CLIENTS];
    sapient_in_stats st;       /* atomics */
    bool noted[SAPIENT_REJ_COUNT_];
};

static void bump(uint64_t *c, uint64_t n)
{
    __atomic_add_fetch(c, n, __ATOMIC_RELAXED);
}

bool sapient_uuid_ok(const char *s)
{
    if (!s || strlen(s) != 36)
        return false;
    for (int i = 0; i < 36; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        char c = s[i];
        if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
                                (c >= 'A' && c <= 'F')))
            return false;
    }
    return true;
}

/* ---------------------------------------------------------------- configuration */

static int parse(sapient_in *s, const cJSON *a, const char *where, sg_errinfo *e)
{
    static const char *const keys[] = {"type", "host", "port", "node_ids", "node_id",
                                       "max_clients", "max_message_bytes", "max_age_s",
                                       "min_confidence", "comment", NULL};
    char host[64];
    long port;
    const cJSON *ids;
    int rc;
    if ((rc = sgj_check_keys(a, where, keys, e)) ||
        (rc = sgj_string(a, where, "host", false, "127.0.0.1", host, sizeof host, e)) ||
        (rc = sgj_int(a, where, "port", false, 5020, 0, 65535, &port, e)) ||
        (rc = sgj_array(a, where, "node_ids", false, &ids, e)) ||
        (rc = sgj_string(a, where, "node_id", false, "", s->node_id, sizeof s->node_id, e)) ||
        (rc = sgj_int(a, where, "max_clients", false, 4, 1, MAX_CLIENTS, &s->max_clients, e)) ||
        (rc = sgj_int(a, where, "max_message_bytes", false, 65536, 64, 1 << 20, &s->max_msg,
                      e)) ||
        (rc = sgj_number(a, where, "max_age_s", false, 5, 0.1, 60, &s->max_age_s, e)) ||
        (rc = sgj_number(a, where, "min_confidence", false, 0, 0, 1, &s->min_conf, e)))
        return rc;
    const cJSON *it;
    cJSON_ArrayForEach(it, ids)
    {
        if (!cJSON_IsString(it) || !sapient_uuid_ok(it->valuestring))
            return sg_err_set(e, SG_EINVAL, "%s.node_ids[%d]: must be a UUID string "
                              "(8-4-4-4-12 hex digits)", where, s->n_allowed);
        if (s->n_allowed == MAX_NODE_IDS)
            return sg_err_set(e, SG_ERANGE, "%s.node_ids: more than %d", where, MAX_NODE_IDS);
        snprintf(s->allowed[s->n_allowed++], sizeof s->allowed[0], "%s", it->valuestring);
    }
    if (s->node_id[0] && !sapient_uuid_ok(s->node_id))
        return sg_err_set(e, SG_EINVAL, "%s.node_id: \"%s\" is not a UUID", where, s->node_id);
    if (!s->node_id[0]) { /* stable from the sensor id (UUID layout, version 8 "custom") */
        uint64_t h = 1469598103934665603ull, h2;
        for (const char *p = s->sensor_id; *p; p++)
            h = (h ^ (unsigned char)*p) * 1099511628211ull;
        h2 = (h ^ 0x9e3779b97f4a7c15ull) * 1099511628211ull;
        snprintf(s->node_id, sizeof s->node_id, "%08x-%04x-8%03x-%04x-%012llx",
                 (unsigned)(h >> 32), (unsigned)(h >> 16) & 0xffff, (unsigned)h & 0xfff,
                 0x8000 | ((unsigned)(h2 >> 48) & 0x3fff),
                 (unsigned long long)(h2 & 0xffffffffffffull));
    }
    struct in_addr ia;
    if (inet_pton(AF_INET, host, &ia) != 1)
        return sg_err_set(e, SG_EINVAL, "%s.host: \"%s\" is not an IPv4 address", where, host);
    bool loopback = (ntohl(ia.s_addr) >> 24) == 127;
    if (!loopback && s->n_allowed == 0)
        return sg_err_set(e, SG_EINVAL, "%s: listening on %s (not loopback) needs \"node_ids\", "
                          "the SAPIENT nodes allowed to report", where, host);
    s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s->lfd < 0)
        return sg_err_set(e, SG_EIO, "%s: socket: %s", where, strerror(errno));
    int one = 1;
    setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                             .sin_addr = ia};
    socklen_t sl = sizeof sa;
    if (bind(s->lfd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(s->lfd, 8) != 0 ||
        getsockname(s->lfd, (struct sockaddr *)&sa, &sl) != 0)
        return sg_err_set(e, SG_EIO, "%s: cannot listen on %s:%ld: %s", where, host, port,
                          strerror(errno));
    s->port = ntohs(sa.sin_port);
    return SG_OK;
}

sapient_in *sapient_in_create(const cJSON *adapter, const char *where, const sapient_in_geom *g,
                              sg_errinfo *e)
{
    sapient_in *s = calloc(1, sizeof *s);
    if (!s) {
        sg_err_set(e, SG_ENOMEM, "%s: out of memory", where);
        return NULL;
    }
    s->lfd = -1;
    for (int i = 0; i < MAX_CLIENTS; i++)
        s->cl[i].fd = -1;
    s->g = *g;
    snprintf(s->where, sizeof s->where, "%s", where);
    snprintf(s->sensor_id, sizeof s->sensor_id, "%s", g->sensor_id ? g->sensor_id : "sapient");
    s->g.sensor_id = s->sensor_id;
    if (parse(s, adapter, where, e) != SG_OK) {
        sapient_in_destroy(s);
        return NULL;
    }
    return s;
}

int sapient_in_port(const sapient_in *s) { return s->port; }

void sapient_in_stop(sapient_in *s) { __atomic_store_n(&s->stop, 1, __ATOMIC_RELAXED); }

void sapient_in_get_stats(const sapient_in *s, sapient_in_stats *out)
{
    const uint64_t *src = (const uint64_t *)&s->st;
    uint64_t *dst = (uint64_t *)out;
    for (size_t i = 0; i < sizeof *out / sizeof(uint64_t); i++)
        dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}

static void drop_client(client *c)
{
    if (c->fd >= 0)
        close(c->fd);
    free(c->buf);
    memset(c, 0, sizeof *c);
    c->fd = -1;
}

void sapient_in_destroy(sapient_in *s)
{
    if (!s)
        return;
    for (int i = 0; i < MAX_CLIENTS; i++)
        drop_client(&s->cl[i]);
    if (s->lfd >= 0)
        close(s->lfd);
    free(s);
}

/* ---------------------------------------------------------------- detections */

typedef struct {
    sapient_in_meas_fn meas;
    sapient_in_note_fn note;
    void *user;
} sinks;

static sapient_reject reject(sapient_in *s, const sinks *k, sapient_reject why, const client *c,
                             const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static sapient_reject reject(sapient_in *s, const sinks *k, sapient_reject why, const client *c,
                             const char *fmt, ...)
{
    bump(&s->st.by_reason[why], 1);
    bump(&s->st.rejected, 1);
    if (k->note && !s->noted[why]) { /* the first of each reason is explained */
        char msg[200], line[400];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        snprintf(line, sizeof line, "SAPIENT node %s: message rejected (%s): %s (further "
                 "rejections only counted)", c && c->node[0] ? c->node : "(unregistered)",
                 sapient_reject_names[why], msg);
        s->noted[why] = true;
        k->note(k->user, line);
    }
    return why;
}

static bool fin(double v) { return isfinite(v); }

/* Copies printable ASCII of src (at most cap - 1), the rest replaced by '_'. */
static void clean(char *dst, size_t cap, const char *src)
{
    size_t n = 0;
    for (; src && *src && n + 1 < cap; src++)
        dst[n++] = (*src > ' ' && *src < 127) ? *src : '_';
    dst[n] = '\0';
}

static int from_location(sapient_in *s, const sinks *k, const client *c, const sloc *l,
                         sg_measurement *m)
{
    if (!l->has_x || !l->has_y || !l->has_z)
        return reject(s, k, SAPIENT_REJ_NO_LOCATION, c, "location without x, y and z");
    double scale;
    switch (l->has_coordinate_system ? l->coordinate_system : 0) {
    case SAPIENT_MSG__BSI_FLEX_335_V2_0__LOCATION_COORDINATE_SYSTEM__LOCATION_COORDINATE_SYSTEM_LAT_LNG_DEG_M:
        scale = GEO_DEG;
        break;
    case SAPIENT_MSG__BSI_FLEX_335_V2_0__LOCATION_COORDINATE_SYSTEM__LOCATION_COORDINATE_SYSTEM_LAT_LNG_RAD_M:
        scale = 1;
        break;
    default:
        return reject(s, k, SAPIENT_REJ_UNSUPPORTED, c, "location coordinate system %d (only "
                      "lat/lng in degrees or radians)", (int)l->coordinate_system);
    }
    double lat = l->y * scale, lon = l->x * scale, h = l->z;
    if (!fin(lat) || !fin(lon) || !fin(h) || fabs(lat) > M_PI / 2 || fabs(lon) > M_PI ||
        h < -1000 || h > 1e5)
        return reject(s, k, SAPIENT_REJ_BAD_VALUE, c, "location %g, %g, %g m out of range",
                      l->y, l->x, l->z);
    int datum = l->has_datum ? (int)l->datum : 0;
    if (datum == SAPIENT_MSG__BSI_FLEX_335_V2_0__LOCATION_DATUM__LOCATION_DATUM_WGS84_G) {
        if (!fin(s->g.geoid_n_m))
            return reject(s, k, SAPIENT_REJ_UNSUPPORTED, c, "height above the geoid, and the "
                          "venue's geoid undulation is unknown");
        h += s->g.geoid_n_m;
    } else if (datum != SAPIENT_MSG__BSI_FLEX_335_V2_0__LOCATION_DATUM__LOCATION_DATUM_WGS84_E) {
        return reject(s, k, SAPIENT_REJ_UNSUPPORTED, c, "location datum %d (only WGS84 "
                      "ellipsoid or geoid)", datum);
    }
    double ex = l->has_x_error ? l->x_error : 0, ey = l->has_y_error ? l->y_error : 0;
    double ez = l->has_z_error ? l->z_error : 0;
    if (!fin(ex) || !fin(ey) || !fin(ez) || ex < 0 || ey < 0 || ez < 0)
        return reject(s, k, SAPIENT_REJ_BAD_VALUE, c, "location errors must be >= 0");
    m->type = SG_MEAS_POS_WGS84;
    m->z[0] = lat;
    m->z[1] = lon;
    m->z[2] = h;
    if (ex > 0 && ey > 0 && ez > 0) { /* 1-sigma in the local east/north/up axes, m^2 */
        double n = geo_radius_prime_vertical(lat), mer = geo_radius_meridian(lat);
        double se = ex * scale * (n + h) * cos(lat), sn = ey * scale * (mer + h);
        m->R[0] = se * se;
        m->R[4] = sn * sn;
        m->R[8] = ez * ez;
    } /* else R all zero: the registry's default for the sensor */
    return SG_OK;
}

static int from_range_bearing(sapient_in *s, const sinks *k, const client *c, const srb *b,
                              sg_measurement *m)
{
    if (!b->has_azimuth || !b->has_elevation)
        return reject(s, k, SAPIENT_REJ_NO_LOCATION, c, "range_bearing without azimuth and "
                      "elevation");
    double ang, dist;
    switch (b->has_coordinate_system ? (int)b->coordinate_system : 0) {
    case SAPIENT_MSG__BSI_FLEX_335_V2_0__RANGE_BEARING_COORDINATE_SYSTEM__RANGE_BEARING_COORDINATE_SYSTEM_DEGREES_M:
        ang = GEO_DEG, dist = 1;
        break;
    case SAPIENT_MSG__BSI_FLEX_335_V2_0__RANGE_BEARING_COORDINATE_SYSTEM__RANGE_BEARING_COORDINATE_SYSTEM_RADIANS_M:
        ang = 1, dist = 1;
        break;
    case SAPIENT_MSG__BSI_FLEX_335_V2_0__RANGE_BEARING_COORDINATE_SYSTEM__RANGE_BEARING_COORDINATE_SYSTEM_DEGREES_KM:
        ang = GEO_DEG, dist = 1000;
        break;
    case SAPIENT_MSG__BSI_FLEX_335_V2_0__RANGE_BEARING_COORDINATE_SYSTEM__RANGE_BEARING_COORDINATE_SYSTEM_RADIANS_KM:
        ang = 1, dist = 1000;
        break;
    default:
        return reject(s, k, SAPIENT_REJ_UNSUPPORTED, c, "range_bearing coordinate system %d",
                      (int)b->coordinate_system);
    }
    double north = 0;
    int datum = b->has_datum ? (int)b->datum : 0;
    if (datum == SAPIENT_MSG__BSI_FLEX_335_V2_0__RANGE_BEARING_DATUM__RANGE_BEARING_DATUM_PLATFORM)
        north = s->g.yaw; /* the platform's heading: the sensor's configured yaw */
    else if (datum != SAPIENT_MSG__BSI_FLEX_335_V2_0__RANGE_BEARING_DATUM__RANGE_BEARING_DATUM_TRUE)
        return reject(s, k, SAPIENT_REJ_UNSUPPORTED, c, "range_bearing datum %d (only true "
                      "north or the platform's heading)", datum);
    double az = b->azimuth * ang + north, el = b->elevation * ang;
    double eaz = b->has_azimuth_error ? b->azimuth_error * ang : 0;
    double eel = b->has_elevation_error ? b->elevation_error * ang : 0;
    double r = b->has_range ? b->range * dist : NAN;
    double er = b->has_range_error ? b->range_error * dist : 0;
    if (!fin(az) || !fin(el) || fabs(el) > M_PI / 2 || !fin(eaz) || !fin(eel) || eaz < 0 ||
        eel < 0 || (b->has_range && (!fin(r) || r <= 0 || !fin(er) || er < 0)))
        return reject(s, k, SAPIENT_REJ_BAD_VALUE, c, "range_bearing az %g el %g range %g out "
                      "of range", b->azimuth, b->elevation, b->has_range ? b->range : 0);
    az = remainder(az, 2 * M_PI);
    if (az < 0)
        az += 2 * M_PI;
    bool both = eaz > 0 && eel > 0;
    if (b->has_range) {
        m->type = SG_MEAS_RANGE_BEARING;
        m->z[0] = r;
        m->z[1] = az;
        m->z[2] = el;
        if (both && er > 0) {
            m->R[0] = er * er;
            m->R[4] = eaz * eaz;
            m->R[8] = eel * eel;
        }
    } else {
        m->type = SG_MEAS_BEARING;
        m->z[0] = az;
        m->z[1] = el;
        if (both) {
            m->R[0] = eaz * eaz;
            m->R[3] = eel * eel;
        }
    }
    return SG_OK;
}

/* A detection report of registered client c, received at now (s UTC). */
static void on_detection(sapient_in *s, const sinks *k, const client *c, const smsg *msg,
                         double now)
{
    const sdet *d = msg->detection_report;
    if (!c->registered || !msg->node_id || strcmp(msg->node_id, c->node) != 0) {
        reject(s, k, SAPIENT_REJ_UNREGISTERED, c, "detection report from node \"%.40s\" %s",
               msg->node_id ? msg->node_id : "", c->registered ? "on another node's connection"
                                                               : "before its registration");
        return;
    }
    if (d->state && strcmp(d->state, "lost") == 0) {
        bump(&s->st.lost, 1); /* the object is gone: nothing to measure */
        return;
    }
    const SapientMsg__BsiFlex335V20__Timestamp *ts = msg->timestamp;
    double t = ts && ts->has_seconds ? (double)ts->seconds + (ts->has_nanos ? ts->nanos : 0) * 1e-9
                                     : NAN;
    if (!fin(t) || t < now - s->max_age_s || t > now + FUTURE_S)
        return (void)reject(s, k, SAPIENT_REJ_TIME, c, "timestamp %.3f is %s (received at "
                            "%.3f, max_age_s %g)", t, !fin(t) ? "missing" : t > now ? "in the future"
                            : "too old", now, s->max_age_s);
    float conf = d->has_detection_confidence ? d->detection_confidence : 1.0f;
    if (!(conf >= 0 && conf <= 1) || conf < s->min_conf)
        return (void)reject(s, k, SAPIENT_REJ_CONFIDENCE, c, "detection_confidence %g (must be "
                            "in [%g, 1])", (double)conf, s->min_conf);
    sg_measurement m;
    memset(&m, 0, sizeof m);
    m.t = t;
    m.sensor = s->g.sensor;
    m.cls_conf = conf;
    int rc;
    if (d->location_oneof_case ==
        SAPIENT_MSG__BSI_FLEX_335_V2_0__DETECTION_REPORT__LOCATION_ONEOF_LOCATION)
        rc = from_location(s, k, c, d->location, &m);
    else if (d->location_oneof_case ==
             SAPIENT_MSG__BSI_FLEX_335_V2_0__DETECTION_REPORT__LOCATION_ONEOF_RANGE_BEARING)
        rc = from_range_bearing(s, k, c, d->range_bearing, &m);
    else
        rc = reject(s, k, SAPIENT_REJ_NO_LOCATION, c, "detection report without a location or "
                    "range_bearing");
    if (rc != SG_OK)
        return;
    const SapientMsg__BsiFlex335V20__DetectionReport__DetectionReportClassification *best = NULL;
    for (size_t i = 0; i < d->n_classification; i++) {
        const SapientMsg__BsiFlex335V20__DetectionReport__DetectionReportClassification *q =
            d->classification[i];
        if (q->type && q->type[0] && (!best || (q->has_confidence && q->confidence > best->confidence)))
            best = q;
    }
    if (best) { /* the sensor's own class name, kept as it said it (printable) */
        clean(m.cls, sizeof m.cls, best->type);
        if (best->has_confidence && best->confidence >= 0 && best->confidence <= 1)
            m.cls_conf = conf * best->confidence;
    }
    if (d->id && d->id[0])
        clean(m.identity, sizeof m.identity, d->id);
    bump(&s->st.detections, 1);
    k->meas(k->user, &m);
}

/* ---------------------------------------------------------------- connections */

size_t sapient_frame(smsg *m, SapientMsg__BsiFlex335V20__Timestamp *ts, double now, uint8_t *buf,
                     size_t cap)
{
    sapient_msg__bsi_flex_335_v2_0__timestamp__init(ts);
    ts->has_seconds = ts->has_nanos = 1;
    ts->seconds = (int64_t)floor(now);
    ts->nanos = (int32_t)((now - floor(now)) * 1e9);
    m->timestamp = ts;
    size_t n = sapient_msg__bsi_flex_335_v2_0__sapient_message__get_packed_size(m);
    if (cap < 4 || n > cap - 4)
        return 0;
    for (int i = 0; i < 4; i++)
        buf[i] = (uint8_t)(n >> (8 * i));
    sapient_msg__bsi_flex_335_v2_0__sapient_message__pack(m, buf + 4);
    return n + 4;
}

static bool send_frame(int fd, smsg *m, double now)
{
    SapientMsg__BsiFlex335V20__Timestamp ts;
    uint8_t buf[1024];
    size_t n = sapient_frame(m, &ts, now, buf, sizeof buf);
    return n && send(fd, buf, n, MSG_NOSIGNAL | MSG_DONTWAIT) == (ssize_t)n;
}

/* Registration: accepted if the node id is a UUID on the allow-list (if any). The ack goes
 * back either way; a refused node's connection is closed by the caller (false). */
static bool on_registration(sapient_in *s, const sinks *k, client *c, const smsg *msg, double now)
{
    const char *id = msg->node_id ? msg->node_id : "";
    char why[160] = "";
    bool ok = sapient_uuid_ok(id);
    if (!ok)
        snprintf(why, sizeof why, "node_id \"%.40s\" is not a UUID", id);
    for (int i = 0; ok && s->n_allowed && i <= s->n_allowed; i++) {
        if (i == s->n_allowed) {
            ok = false;
            snprintf(why, sizeof why, "node %s is not in node_ids", id);
        } else if (strcasecmp(s->allowed[i], id) == 0) {
            break;
        }
    }
    SapientMsg__BsiFlex335V20__RegistrationAck ack =
        SAPIENT_MSG__BSI_FLEX_335_V2_0__REGISTRATION_ACK__INIT;
    ack.has_acceptance = 1;
    ack.acceptance = ok;
    char *reasons[] = {why};
    if (!ok) {
        ack.n_ack_response_reason = 1;
        ack.ack_response_reason = reasons;
    }
    smsg m = SAPIENT_MSG__BSI_FLEX_335_V2_0__SAPIENT_MESSAGE__INIT;
    m.node_id = s->node_id;
    char dest[40];
    clean(dest, sizeof dest, id);
    m.destination_id = dest;
    m.content_case = SAPIENT_MSG__BSI_FLEX_335_V2_0__SAPIENT_MESSAGE__CONTENT_REGISTRATION_ACK;
    m.registration_ack = &ack;
    bool sent = c->fd < 0 || send_frame(c->fd, &m, now); /* fd < 0: sapient_in_feed */
    if (!ok) {
        reject(s, k, SAPIENT_REJ_REGISTRATION, c, "%s", why);
        return false;
    }
    c->registered = true;
    snprintf(c->node, sizeof c->node, "%s", id);
    bump(&s->st.registrations, 1);
    return sent;
}

/* One complete frame of client c. False: close the connection. */
static bool on_frame(sapient_in *s, const sinks *k, client *c, const uint8_t *p, size_t n,
                     double now)
{
    bump(&s->st.messages, 1);
    smsg *m = sapient_msg__bsi_flex_335_v2_0__sapient_message__unpack(NULL, n, p);
    if (!m) {
        reject(s, k, SAPIENT_REJ_DECODE, c, "%zu bytes that are not a SapientMessage", n);
        return true;
    }
    bool keep = true;
    switch (m->content_case) {
    case SAPIENT_MSG__BSI_FLEX_335_V2_0__SAPIENT_MESSAGE__CONTENT_REGISTRATION:
        keep = on_registration(s, k, c, m, now);
        break;
    case SAPIENT_MSG__BSI_FLEX_335_V2_0__SAPIENT_MESSAGE__CONTENT_DETECTION_REPORT:
        on_detection(s, k, c, m, now);
        break;
    case SAPIENT_MSG__BSI_FLEX_335_V2_0__SAPIENT_MESSAGE__CONTENT_STATUS_REPORT:
        break; /* the node's health: counted as a message */
    default:
        reject(s, k, SAPIENT_REJ_OTHER, c, "message content %d is not for a fusion node",
               (int)m->content_case);
    }
    sapient_msg__bsi_flex_335_v2_0__sapient_message__free_unpacked(m, NULL);
    return keep;
}

/* Handles the complete frames in c's buffer; false when the connection is to be closed. */
static bool consume(sapient_in *s, const sinks *k, client *c, double now)
{
    size_t off = 0;
    while (c->have - off >= 4) {
        const uint8_t *p = c->buf + off;
        uint32_t len = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                       (uint32_t)p[3] << 24;
        if (len > (uint32_t)s->max_msg) {
            bump(&s->st.messages, 1);
            reject(s, k, SAPIENT_REJ_OVERSIZE, c, "length prefix %u above max_message_bytes %ld: "
                   "connection closed", len, s->max_msg);
            return false;
        }
        if (c->have - off < 4 + (size_t)len)
            break;
        if (!on_frame(s, k, c, p + 4, len, now))
            return false;
        off += 4 + len;
    }
    memmove(c->buf, c->buf + off, c->have - off);
    c->have -= off;
    return true;
}

/* Reads what client c sent; false when it is to be closed. */
static bool on_readable(sapient_in *s, const sinks *k, client *c)
{
    size_t cap = 4 + (size_t)s->max_msg;
    ssize_t r = recv(c->fd, c->buf + c->have, cap - c->have, 0);
    if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR))
        return false;
    if (r < 0)
        return true;
    c->have += (size_t)r;
    return consume(s, k, c, sg_clock_s(CLOCK_REALTIME));
}

int sapient_in_feed(sapient_in *s, const uint8_t *bytes, size_t n, double now,
                    sapient_in_meas_fn meas, sapient_in_note_fn note, void *user)
{
    sinks k = {meas, note, user};
    size_t cap = 4 + (size_t)s->max_msg;
    client c = {.fd = -1, .buf = malloc(cap)};
    if (!c.buf)
        return SG_ENOMEM;
    bool open = true;
    while (open && n > 0) { /* as recv would deliver it: at most the buffer's room */
        size_t take = n < cap - c.have ? n : cap - c.have;
        memcpy(c.buf + c.have, bytes, take);
        c.have += take;
        bytes += take;
        n -= take;
        open = consume(s, &k, &c, now);
    }
    free(c.buf);
    return open ? SG_OK : SG_EEOF;
}

static void on_accept(sapient_in *s)
{
    int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
        return;
    int used = 0, slot = -1;
    for (int i = 0; i < MAX_CLIENTS; i++) {
        if (s->cl[i].fd >= 0)
            used++;
        else if (slot < 0)
            slot = i;
    }
    uint8_t *buf = used < s->max_clients ? malloc(4 + (size_t)s->max_msg) : NULL;
    if (!buf || slot < 0) {
        close(fd);
        bump(&s->st.refused, 1);
        return;
    }
    s->cl[slot] = (client){.fd = fd, .buf = buf};
    bump(&s->st.connections, 1);
}

int sapient_in_run(sapient_in *s, sapient_in_meas_fn meas, sapient_in_note_fn note,
                   void (*tick)(void *user, double t), void *user, sg_errinfo *e)
{
    sinks k = {meas, note, user};
    struct pollfd pf[MAX_CLIENTS + 1];
    int who[MAX_CLIENTS + 1];
    while (!__atomic_load_n(&s->stop, __ATOMIC_RELAXED)) {
        int n = 0;
        pf[n++] = (struct pollfd){.fd = s->lfd, .events = POLLIN};
        for (int i = 0; i < MAX_CLIENTS; i++)
            if (s->cl[i].fd >= 0) {
                who[n] = i;
                pf[n++] = (struct pollfd){.fd = s->cl[i].fd, .events = POLLIN};
            }
        int r = poll(pf, (nfds_t)n, POLL_MS);
        if (r < 0 && errno != EINTR)
            return sg_err_set(e, SG_EIO, "%s: poll: %s", s->where, strerror(errno));
        for (int j = 1; r > 0 && j < n; j++)
            if (pf[j].revents && !on_readable(s, &k, &s->cl[who[j]]))
                drop_client(&s->cl[who[j]]);
        if (r > 0 && (pf[0].revents & POLLIN))
            on_accept(s);
        if (tick)
            tick(user, sg_clock_s(CLOCK_REALTIME) - s->max_age_s);
    }
    return SG_OK;
}
