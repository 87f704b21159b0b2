/* SAPIENT input (adapters/sapient_in.h) against a third-party-style SAPIENT sensor written
 * here with protobuf-c: over loopback TCP with 4-byte little-endian length prefixes, the
 * node registers (an unlisted or malformed node id is refused by a RegistrationAck with
 * acceptance false and the connection closed; a listed one accepted), then sends detection
 * reports: a location in degrees on the ellipsoid and one on the geoid, a range-bearing in
 * degrees and km from true north, a bearing from the platform's heading, which must come
 * out as measurements with the geometry and 1-sigma covariances they state. Hostile and
 * malformed frames (not protobuf, oversize prefix, NaN, UTM, stale time, confidence > 1,
 * before registration) are rejected and counted by reason; connections over max_clients are
 * closed and counted; every invalid adapter block fails with its key named. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "geo.h"
#include "sapient.pb-c.h"
#include "sapient_wire.h"
#include "sapient_in.h"
#include "sg_clock.h"

#define NODE_A "5b0c3a52-9d1e-4c6f-8a27-3e51f0d4b9a1"
#define NODE_B "0f9e8d7c-6b5a-4321-9fed-cba987654321"
#define LAT 51.5573
#define LON -0.2796
#define YAW 30.0

typedef SapientMsg__BsiFlex335V20__SapientMessage smsg;

typedef struct {
    pthread_mutex_t mu;
    sg_measurement m[32];
    int n;
    char notes[SAPIENT_REJ_COUNT_ + 4][400];
    int n_notes;
    double last_tick;
} got;

static void on_meas(void *user, const sg_measurement *m)
{
    got *g = user;
    pthread_mutex_lock(&g->mu);
    if (g->n < 32)
        g->m[g->n++] = *m;
    pthread_mutex_unlock(&g->mu);
}

static void on_note(void *user, const char *line)
{
    got *g = user;
    pthread_mutex_lock(&g->mu);
    if (g->n_notes < (int)(sizeof g->notes / sizeof g->notes[0]))
        snprintf(g->notes[g->n_notes++], sizeof g->notes[0], "%s", line);
    pthread_mutex_unlock(&g->mu);
}

static void on_tick(void *user, double t)
{
    got *g = user;
    pthread_mutex_lock(&g->mu);
    g->last_tick = t;
    pthread_mutex_unlock(&g->mu);
}

typedef struct {
    sapient_in *s;
    got *g;
    int rc;
} runarg;

static void *run_thread(void *arg)
{
    runarg *a = arg;
    sg_errinfo e = {0};
    a->rc = sapient_in_run(a->s, on_meas, on_note, on_tick, a->g, &e);
    return NULL;
}

static int connect_to(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    return fd;
}

static void send_raw(int fd, const void *p, size_t n)
{
    assert_int_equal(send(fd, p, n, MSG_NOSIGNAL), (ssize_t)n);
}

static void send_msg(int fd, smsg *m, double t, const char *node)
{
    SapientMsg__BsiFlex335V20__Timestamp ts;
    m->node_id = (char *)node;
    uint8_t buf[2048];
    size_t n = sapient_frame(m, &ts, t, buf, sizeof buf);
    assert_true(n > 4);
    send_raw(fd, buf, n);
}

/* Reads one framed reply within 3 s; NULL when the peer closed. Free with free_unpacked. */
static smsg *recv_msg(int fd)
{
    uint8_t buf[4096];
    size_t have = 0;
    for (;;) {
        struct pollfd pf = {.fd = fd, .events = POLLIN};
        if (poll(&pf, 1, 3000) != 1)
            fail_msg("no reply within 3 s");
        ssize_t r = recv(fd, buf + have, sizeof buf - have, 0);
        if (r <= 0)
            return NULL;
        have += (size_t)r;
        if (have >= 4) {
            uint32_t len = (uint32_t)buf[0] | (uint32_t)buf[1] << 8 | (uint32_t)buf[2] << 16 |
                           (uint32_t)buf[3] << 24;
            assert_true(len < sizeof buf - 4);
            if (have >= 4 + len) {
                smsg *m = sapient_msg__bsi_flex_335_v2_0__sapient_message__unpack(NULL, len,
                                                                                   buf + 4);
                assert_non_null(m);
                return m;
            }
        }
    }
}

/* True when the peer closed the connection within 3 s. */
static bool closed_by_peer(int fd)
{
    struct pollfd pf = {.fd = fd, .events = POLLIN};
    char c;
    return poll(&pf, 1, 3000) == 1 && recv(fd, &c, 1, 0) == 0;
}

/* A framed Registration of node at t into buf[cap]; its length. */
static size_t reg_frame(const char *node, double t, uint8_t *buf, size_t cap)
{
    SapientMsg__BsiFlex335V20__Registration r = SAPIENT_MSG__BSI_FLEX_335_V2_0__REGISTRATION__INIT;
    r.icd_version = "BSI Flex 335 v2.0";
    r.name = "test radar";
    smsg m = SAPIENT_MSG__BSI_FLEX_335_V2_0__SAPIENT_MESSAGE__INIT;
    m.node_id = (char *)node;
    m.content_case = SAPIENT_MSG__BSI_FLEX_335_V2_0__SAPIENT_MESSAGE__CONTENT_REGISTRATION;
    m.registration = &r;
    SapientMsg__BsiFlex335V20__Timestamp ts;
    size_t n = sapient_frame(&m, &ts, t, buf, cap);
    assert_true(n > 4);
    return n;
}

static smsg *registration(int fd, const char *node)
{
    uint8_t buf[512];
    send_raw(fd, buf, reg_frame(node, sg_clock_s(CLOCK_REALTIME), buf, sizeof buf));
    return recv_msg(fd);
}

static void det_location(int fd, const char *node, double t, double lat, double lon, double h,
                         int datum, int cs, double err_deg, float conf)
{
    SapientMsg__BsiFlex335V20__Location l = SAPIENT_MSG__BSI_FLEX_335_V2_0__LOCATION__INIT;
    l.has_x = l.has_y = l.has_z = l.has_coordinate_system = l.has_datum = 1;
    l.x = lon;
    l.y = lat;
    l.z = h;
    l.coordinate_system = cs;
    l.datum = datum;
    if (err_deg > 0) {
        l.has_x_error = l.has_y_error = l.has_z_error = 1;
        l.x_error = l.y_error = err_deg;
        l.z_error = 4;
    }
    SapientMsg__BsiFlex335V20__DetectionReport__DetectionReportClassification c =
        SAPIENT_MSG__BSI_FLEX_335_V2_0__DETECTION_REPORT__DETECTION_REPORT_CLASSIFICATION__INIT;
    c.type = "UAV rotary";
    c.has_confidence = 1;
    c.confidence = 0.5f;
    SapientMsg__BsiFlex335V20__DetectionReport__DetectionReportClassification *cs1[] = {&c};
    SapientMsg__BsiFlex335V20__DetectionReport d =
        SAPIENT_MSG__BSI_FLEX_335_V2_0__DETECTION_REPORT__INIT;
    d.report_id = "01J0000000000000000000000A";
    d.object_id = "01J0000000000000000000000B";
    d.location_oneof_case = SAPIENT_MSG__BSI_FLEX_335_V2_0__DETECTION_REPORT__LOCATION_ONEOF_LOCATION;
    d.location = &l;
    d.has_detection_confidence = 1;
    d.detection_confidence = conf;
    d.n_classification = 1;
    d.classification = cs1;
    d.id = "TAIL 42";
    smsg m = SAPIENT_MSG__BSI_FLEX_335_V2_0__SAPIENT_MESSAGE__INIT;
    m.content_case = SAPIENT_MSG__BSI_FLEX_335_V2_0__SAPIENT_MESSAGE__CONTENT_DETECTION_REPORT;
    m.detection_report = &d;
    send_msg(fd, &m, t, node);
}

/* A framed range-bearing report into buf[cap]: errors `err` (angle unit) and range/60 when
 * err > 0, none else; no range when range <= 0. Its length. */
static size_t rb_frame(const char *node, double t, double az, double el, double range, int cs,
                       int datum, double err, uint8_t *buf, size_t cap)
{
    SapientMsg__BsiFlex335V20__RangeBearing b = SAPIENT_MSG__BSI_FLEX_335_V2_0__RANGE_BEARING__INIT;
    b.has_azimuth = b.has_elevation = b.has_coordinate_system = b.has_datum = 1;
    b.azimuth = az;
    b.elevation = el;
    b.coordinate_system = cs;
    b.datum = datum;
    b.has_azimuth_error = b.has_elevation_error = b.has_range_error = err > 0;
    b.azimuth_error = b.elevation_error = err;
    b.range_error = range / 60;
    if (range > 0) {
        b.has_range = 1;
        b.range = range;
    } else {
        b.has_range_error = 0;
    }
    SapientMsg__BsiFlex335V20__DetectionReport d =
        SAPIENT_MSG__BSI_FLEX_335_V2_0__DETECTION_REPORT__INIT;
    d.location_oneof_case =
        SAPIENT_MSG__BSI_FLEX_335_V2_0__DETECTION_REPORT__LOCATION_ONEOF_RANGE_BEARING;
    d.range_bearing = &b;
    smsg m = SAPIENT_MSG__BSI_FLEX_335_V2_0__SAPIENT_MESSAGE__INIT;
    m.node_id = (char *)node;
    m.content_case = SAPIENT_MSG__BSI_FLEX_335_V2_0__SAPIENT_MESSAGE__CONTENT_DETECTION_REPORT;
    m.detection_report = &d;
    SapientMsg__BsiFlex335V20__Timestamp ts;
    size_t n = sapient_frame(&m, &ts, t, buf, cap);
    assert_true(n > 4);
    return n;
}

static void det_rb(int fd, const char *node, double t, double az, double el, double range,
                   int cs, int datum)
{
    uint8_t buf[512]; /* errors 2 in the message's angle unit, range/60 */
    send_raw(fd, buf, rb_frame(node, t, az, el, range, cs, datum, 2, buf, sizeof buf));
}

/* Waits until the listener counted `n` messages in total (it processes in order). */
static void wait_messages(sapient_in *s, uint64_t n)
{
    sapient_in_stats st;
    for (int i = 0; i < 300; i++) {
        sapient_in_get_stats(s, &st);
        if (st.messages >= n)
            return;
        usleep(10000);
    }
    fail_msg("listener saw %llu of %llu messages", (unsigned long long)st.messages,
             (unsigned long long)n);
}

static sapient_in *make(const char *json, double geoid_n, sg_errinfo *e)
{
    cJSON *a = cJSON_Parse(json);
    assert_non_null(a);
    sapient_in_geom g = {.sensor_id = "radar-1", .sensor = 3, .lat = LAT * GEO_DEG,
                         .lon = LON * GEO_DEG, .alt = 60, .yaw = YAW * GEO_DEG,
                         .geoid_n_m = geoid_n};
    sapient_in *s = sapient_in_create(a, "venue.json: sensors[3].adapter", &g, e);
    cJSON_Delete(a);
    return s;
}

static void test_sensor_reports(void **state)
{
    (void)state;
    sg_errinfo e = {0};
    sapient_in *s = make("{\"type\": \"sapient\", \"port\": 0, \"node_ids\": [\"" NODE_A "\"], "
                         "\"max_clients\": 2, \"max_message_bytes\": 1024, \"max_age_s\": 5}",
                         47.0, &e);
    if (!s)
        fail_msg("%s", e.msg);
    static got g;
    memset(&g, 0, sizeof g);
    pthread_mutex_init(&g.mu, NULL);
    runarg ra = {s, &g, -1};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, run_thread, &ra), 0);
    int port = sapient_in_port(s);
    assert_true(port > 0);
    uint64_t sent = 0;

    /* an unlisted node is refused (with the reason) and disconnected */
    int fb = connect_to(port);
    smsg *ack = registration(fb, NODE_B);
    sent++;
    assert_non_null(ack);
    assert_int_equal(ack->content_case,
                     SAPIENT_MSG__BSI_FLEX_335_V2_0__SAPIENT_MESSAGE__CONTENT_REGISTRATION_ACK);
    assert_false(ack->registration_ack->acceptance);
    assert_int_equal(ack->registration_ack->n_ack_response_reason, 1);
    assert_non_null(strstr(ack->registration_ack->ack_response_reason[0], "not in node_ids"));
    sapient_msg__bsi_flex_335_v2_0__sapient_message__free_unpacked(ack, NULL);
    assert_true(closed_by_peer(fb));
    close(fb);

    int fd = connect_to(port);
    double now = sg_clock_s(CLOCK_REALTIME);
    /* a report before registering is not taken */
    det_location(fd, NODE_A, now, 51.56, -0.28, 150, 1, 1, 0, 0.9f);
    sent++;
    ack = registration(fd, NODE_A);
    sent++;
    assert_non_null(ack);
    assert_true(ack->registration_ack->has_acceptance && ack->registration_ack->acceptance);
    assert_string_equal(ack->destination_id, NODE_A);
    assert_true(sapient_uuid_ok(ack->node_id));
    assert_true(ack->timestamp && fabs((double)ack->timestamp->seconds - now) < 5);
    sapient_msg__bsi_flex_335_v2_0__sapient_message__free_unpacked(ack, NULL);

    /* good reports: WGS84 ellipsoid in degrees, geoid in radians, range-bearing deg/km from
     * true north, a bearing (no range) in radians from the platform's heading */
    now = sg_clock_s(CLOCK_REALTIME);
    det_location(fd, NODE_A, now - 0.5, 51.5601, -0.2801, 150.0, 1, 1, 1e-4, 0.9f);
    det_location(fd, NODE_A, now - 0.4, 51.5602 * GEO_DEG, -0.2802 * GEO_DEG, 100.0, 2, 2, 0,
                 0.8f);
    det_rb(fd, NODE_A, now - 0.3, 45.0, 10.0, 1.2, 3, 1);
    det_rb(fd, NODE_A, now - 0.2, 0.5, 0.1, 0, 2, 4);
    sent += 4;
    /* hostile or malformed, each counted by reason, the connection kept */
    det_location(fd, NODE_A, now, NAN, -0.28, 150, 1, 1, 0, 0.9f);        /* bad_value */
    det_location(fd, NODE_A, now, 51.56, -0.28, 150, 3, 1, 0, 0.9f);      /* UTM: unsupported */
    det_location(fd, NODE_A, now - 60, 51.56, -0.28, 150, 1, 1, 0, 0.9f); /* stale: time */
    det_location(fd, NODE_A, now + 30, 51.56, -0.28, 150, 1, 1, 0, 0.9f); /* future: time */
    det_location(fd, NODE_A, now, 51.56, -0.28, 150, 1, 1, 0, 1.5f);      /* confidence */
    det_location(fd, NODE_B, now, 51.56, -0.28, 150, 1, 1, 0, 0.9f);      /* another node */
    det_rb(fd, NODE_A, now, 45.0, 10.0, 1.2, 3, 2);                       /* magnetic north */
    det_rb(fd, NODE_A, now, 45.0, 95.0, 1.2, 3, 1);                       /* el > 90: bad */
    static const uint8_t junk[] = {5, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff};
    send_raw(fd, junk, sizeof junk); /* not protobuf: decode */
    sent += 9;
    wait_messages(s, sent);

    /* a third connection while two are open (max_clients 2) is closed at once */
    int f2 = connect_to(port), f3 = connect_to(port);
    assert_true(closed_by_peer(f3));
    close(f3);
    close(f2);

    /* an oversize length prefix closes the connection (no resync is possible) */
    static const uint8_t big[] = {0, 0, 1, 0}; /* 65536 > max_message_bytes 1024 */
    send_raw(fd, big, sizeof big);
    sent++;
    assert_true(closed_by_peer(fd));
    close(fd);
    wait_messages(s, sent);

    sapient_in_stop(s);
    pthread_join(th, NULL);
    assert_int_equal(ra.rc, SG_OK);
    sapient_in_stats st;
    sapient_in_get_stats(s, &st);
    assert_int_equal(st.registrations, 1);
    assert_int_equal(st.detections, 4);
    assert_int_equal(st.refused, 1);
    assert_int_equal(st.connections, 3);
    assert_int_equal(st.by_reason[SAPIENT_REJ_REGISTRATION], 1);
    assert_int_equal(st.by_reason[SAPIENT_REJ_UNREGISTERED], 2);
    assert_int_equal(st.by_reason[SAPIENT_REJ_BAD_VALUE], 2);
    assert_int_equal(st.by_reason[SAPIENT_REJ_UNSUPPORTED], 2);
    assert_int_equal(st.by_reason[SAPIENT_REJ_TIME], 2);
    assert_int_equal(st.by_reason[SAPIENT_REJ_CONFIDENCE], 1);
    assert_int_equal(st.by_reason[SAPIENT_REJ_DECODE], 1);
    assert_int_equal(st.by_reason[SAPIENT_REJ_OVERSIZE], 1);
    assert_int_equal(st.rejected, 12);
    assert_int_equal(st.messages, sent);
    /* the first of each reason explained, naming the node and the reason */
    bool saw_time = false;
    for (int i = 0; i < g.n_notes; i++)
        saw_time = saw_time || (strstr(g.notes[i], "(time)") && strstr(g.notes[i], "too old"));
    assert_true(saw_time);
    assert_int_equal(g.n_notes, 8); /* one per reason seen */
    assert_true(g.last_tick > now - 5.5 && g.last_tick < now);

    assert_int_equal(g.n, 4);
    const sg_measurement *m = &g.m[0];
    assert_int_equal(m->type, SG_MEAS_POS_WGS84);
    assert_int_equal(m->sensor, 3);
    assert_float_equal(m->t, now - 0.5, 1e-6);
    assert_float_equal(m->z[0], 51.5601 * GEO_DEG, 1e-12);
    assert_float_equal(m->z[1], -0.2801 * GEO_DEG, 1e-12);
    assert_float_equal(m->z[2], 150.0, 1e-9);
    double lat = 51.5601 * GEO_DEG;
    double sn = 1e-4 * GEO_DEG * (geo_radius_meridian(lat) + 150);
    double se = 1e-4 * GEO_DEG * (geo_radius_prime_vertical(lat) + 150) * cos(lat);
    assert_float_equal(sqrt(m->R[4]), sn, 1e-6); /* ~11.1 m north */
    assert_float_equal(sqrt(m->R[0]), se, 1e-6); /* ~6.9 m east at 51.6 deg */
    assert_float_equal(sqrt(m->R[8]), 4, 1e-9);
    assert_string_equal(m->cls, "UAV_rotary");
    assert_float_equal(m->cls_conf, 0.9 * 0.5, 1e-6);
    assert_string_equal(m->identity, "TAIL_42");
    m = &g.m[1]; /* above the geoid: + N (47 m); no errors: R left to the registry */
    assert_int_equal(m->type, SG_MEAS_POS_WGS84);
    assert_float_equal(m->z[0], 51.5602 * GEO_DEG, 1e-12);
    assert_float_equal(m->z[2], 147.0, 1e-9);
    for (int i = 0; i < 9; i++)
        assert_true(m->R[i] == 0);
    m = &g.m[2];
    assert_int_equal(m->type, SG_MEAS_RANGE_BEARING);
    assert_float_equal(m->z[0], 1200, 1e-9);
    assert_float_equal(m->z[1], 45 * GEO_DEG, 1e-12);
    assert_float_equal(m->z[2], 10 * GEO_DEG, 1e-12);
    assert_float_equal(m->R[0], 20.0 * 20.0, 1e-6);
    assert_float_equal(m->R[4], pow(2 * GEO_DEG, 2), 1e-15);
    m = &g.m[3]; /* platform heading = the sensor's yaw */
    assert_int_equal(m->type, SG_MEAS_BEARING);
    assert_float_equal(m->z[0], 0.5 + YAW * GEO_DEG, 1e-12);
    assert_float_equal(m->z[1], 0.1, 1e-12);
    assert_float_equal(m->R[0], 4.0, 1e-12);
    assert_float_equal(m->R[3], 4.0, 1e-12);
    sapient_in_destroy(s);
    pthread_mutex_destroy(&g.mu);
}

static void test_bad_config(void **state)
{
    (void)state;
    static const struct {
        const char *json, *expect;
    } bad[] = {
        {"{\"type\": \"sapient\", \"prot\": 1}", "prot"},
        {"{\"type\": \"sapient\", \"port\": 70000}", "port"},
        {"{\"type\": \"sapient\", \"host\": \"radar.local\"}", "host"},
        {"{\"type\": \"sapient\", \"host\": \"0.0.0.0\", \"port\": 0}", "needs \"node_ids\""},
        {"{\"type\": \"sapient\", \"node_ids\": [\"not-a-uuid\"]}", "node_ids[0]"},
        {"{\"type\": \"sapient\", \"node_ids\": [7]}", "node_ids[0]"},
        {"{\"type\": \"sapient\", \"node_id\": \"x\"}", "node_id"},
        {"{\"type\": \"sapient\", \"max_clients\": 0}", "max_clients"},
        {"{\"type\": \"sapient\", \"max_message_bytes\": 10}", "max_message_bytes"},
        {"{\"type\": \"sapient\", \"max_age_s\": -1}", "max_age_s"},
        {"{\"type\": \"sapient\", \"min_confidence\": 2}", "min_confidence"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sg_errinfo e = {0};
        sapient_in *s = make(bad[i].json, NAN, &e);
        if (s)
            fail_msg("accepted %s", bad[i].json);
        if (!strstr(e.msg, "sensors[3].adapter") || !strstr(e.msg, bad[i].expect))
            fail_msg("%s: error \"%s\" lacks \"%s\"", bad[i].json, e.msg, bad[i].expect);
    }
    /* a busy port */
    sg_errinfo e = {0};
    sapient_in *a = make("{\"type\": \"sapient\", \"port\": 0}", NAN, &e);
    assert_non_null(a);
    char j[96];
    snprintf(j, sizeof j, "{\"type\": \"sapient\", \"port\": %d}", sapient_in_port(a));
    assert_null(make(j, NAN, &e));
    assert_non_null(strstr(e.msg, "cannot listen"));
    sapient_in_destroy(a);
}

/* Geoid heights with no known undulation are refused, not guessed. */
static void test_geoid_unknown(void **state)
{
    (void)state;
    sg_errinfo e = {0};
    sapient_in *s = make("{\"type\": \"sapient\", \"port\": 0}", NAN, &e);
    assert_non_null(s);
    static got g;
    memset(&g, 0, sizeof g);
    pthread_mutex_init(&g.mu, NULL);
    runarg ra = {s, &g, -1};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, run_thread, &ra), 0);
    int fd = connect_to(sapient_in_port(s));
    smsg *ack = registration(fd, NODE_B);
    assert_true(ack && ack->registration_ack->acceptance); /* no allow-list: any UUID */
    sapient_msg__bsi_flex_335_v2_0__sapient_message__free_unpacked(ack, NULL);
    det_location(fd, NODE_B, sg_clock_s(CLOCK_REALTIME), 51.56, -0.28, 100, 2, 1, 0, 0.9f);
    wait_messages(s, 2);
    close(fd);
    sapient_in_stop(s);
    pthread_join(th, NULL);
    sapient_in_stats st;
    sapient_in_get_stats(s, &st);
    assert_int_equal(st.detections, 0);
    assert_int_equal(st.by_reason[SAPIENT_REJ_UNSUPPORTED], 1);
    assert_int_equal(g.n, 0);
    sapient_in_destroy(s);
    pthread_mutex_destroy(&g.mu);
}

/* The same handling without a socket (sapient_in_feed, the fuzz target's entry): a
 * registration and a report in one byte stream, split anywhere; a refused registration
 * ends the stream. */
static void test_feed_bytes(void **state)
{
    (void)state;
    sg_errinfo e = {0};
    sapient_in *s = make("{\"type\": \"sapient\", \"port\": 0, \"node_ids\": [\"" NODE_A "\"]}",
                         NAN, &e);
    assert_non_null(s);
    double now = 1795386600.0;
    uint8_t stream[1024];
    size_t n = reg_frame(NODE_A, now, stream, sizeof stream);
    n += rb_frame(NODE_A, now - 1, 90, 5, 0, 1, 1, 0, stream + n, sizeof stream - n);
    static got g;
    memset(&g, 0, sizeof g);
    pthread_mutex_init(&g.mu, NULL);
    assert_int_equal(sapient_in_feed(s, stream, n, now, on_meas, on_note, &g), SG_OK);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.m[0].type, SG_MEAS_BEARING);
    assert_float_equal(g.m[0].z[0], 90 * GEO_DEG, 1e-12);
    for (int i = 0; i < 4; i++)
        assert_true(g.m[0].R[i] == 0); /* no errors given: the registry's radar default */
    /* an unlisted node: refused, the stream ends there */
    n = reg_frame(NODE_B, now, stream, sizeof stream);
    n += rb_frame(NODE_B, now - 1, 90, 5, 0, 1, 1, 0, stream + n, sizeof stream - n);
    assert_int_equal(sapient_in_feed(s, stream, n, now, on_meas, on_note, &g), SG_EEOF);
    assert_int_equal(g.n, 1);
    sapient_in_stats st;
    sapient_in_get_stats(s, &st);
    assert_int_equal(st.messages, 3);
    assert_int_equal(st.by_reason[SAPIENT_REJ_REGISTRATION], 1);
    sapient_in_destroy(s);
    pthread_mutex_destroy(&g.mu);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sensor_reports),
        cmocka_unit_test(test_bad_config),
        cmocka_unit_test(test_geoid_unknown),
        cmocka_unit_test(test_feed_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
