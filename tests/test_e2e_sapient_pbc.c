/* End to end: a third-party SAPIENT sensor feeding the tracker. The daemon runs a venue
 * whose only sensor is of kind "sapient"; a radar-like SAPIENT node written here with
 * protobuf-c registers over TCP and reports a target flying a straight line (locations with
 * 3 m Gaussian noise, fixed seed, and that 1-sigma stated; timestamps on the wall clock), plus one frame that is not protobuf. A feed
 * subscriber must see one confirmed track following the line, credited to the SAPIENT
 * sensor, and status counting the registration, every report and the rejected frame; the
 * daemon's log explains the rejection; the recorded feed keeps docs/feed-schema.json. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "daemon_harness.h"
#include "geo.h"
#include "sapient.pb-c.h"
#include "sapient_wire.h"
#include "sg_clock.h"

#define LOG_PATH SG_BINARY_DIR "/test_e2e_sapient.log"
#define VENUE SG_BINARY_DIR "/test_e2e_sapient.json"
#define RECORD SG_BINARY_DIR "/test_e2e_sapient.jsonl"
#define NODE "5b0c3a52-9d1e-4c6f-8a27-3e51f0d4b9a1"
#define LAT0 51.5560
#define LON0 -0.2796
#define ALT0 87.0
#define N_REPORTS 16
#define PERIOD_S 0.2

typedef SapientMsg__BsiFlex335V20__SapientMessage smsg;

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t sl = sizeof sa;
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
    close(fd);
    return ntohs(sa.sin_port);
}

static void send_msg(int fd, smsg *m, double t)
{
    SapientMsg__BsiFlex335V20__Timestamp ts;
    m->node_id = NODE;
    uint8_t buf[1024];
    size_t n = sapient_frame(m, &ts, t, buf, sizeof buf);
    assert_true(n > 4);
    assert_int_equal(send(fd, buf, n, MSG_NOSIGNAL), (ssize_t)n);
}

/* The target's true ENU position k reports after the first: east at 10 m/s, 100 m up. */
static void truth(int k, double p[3])
{
    p[0] = -300 + 10.0 * PERIOD_S * k;
    p[1] = 200;
    p[2] = 100;
}

/* Gaussian noise, fixed seed (printed with the result): the reports' stated 3 m 1-sigma. */
#define SEED 20261201u
#include "test_rng.h"

static void drain(void *sub, msglist *all, double for_s)
{
    static char buf[65536];
    double end = sg_clock_s(CLOCK_MONOTONIC) + for_s;
    while (sg_clock_s(CLOCK_MONOTONIC) < end) {
        zmq_pollitem_t it = {sub, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&it, 1, 20) <= 0)
            continue;
        int len = zmq_recv(sub, buf, sizeof buf - 1, 0);
        assert_true(len > 0);
        buf[len] = '\0';
        char *sp = strchr(buf, ' ');
        assert_non_null(sp);
        *sp = '\0';
        cJSON *j = cJSON_Parse(sp + 1);
        assert_non_null(j);
        msglist_add(all, buf, j);
    }
}

static void test_sapient_sensor_feeds_tracker(void **state)
{
    (void)state;
    int port = free_port();
    FILE *f = fopen(VENUE, "w");
    assert_non_null(f);
    fprintf(f, "{\"version\": 1, \"site\": {\"name\": \"SAPIENT test\", \"origin\": {\"lat_deg\": "
               "%.4f, \"lon_deg\": %.4f, \"alt_m\": %.1f}},\n \"geoid_undulation_m\": 46,\n"
               " \"zones\": \"" SG_SOURCE_DIR "/testdata/zones/stadium.geojson\",\n"
               " \"signatures\": \"" SG_SOURCE_DIR "/config/signatures.json\",\n"
               " \"sensors\": [{\"id\": \"radar-east\", \"kind\": \"sapient\", \"position\": "
               "{\"lat_deg\": 51.5565, \"lon_deg\": -0.2790, \"alt_m\": 95},\n"
               "   \"adapter\": {\"type\": \"sapient\", \"port\": %d, \"node_ids\": [\"" NODE "\"],"
               " \"max_age_s\": 1}}],\n"
               " \"outputs\": {\"feed\": {\"status_period_s\": 0.5}}}\n",
            LAT0, LON0, ALT0, port);
    fclose(f);
    static const char *const args[] = {"-c", VENUE, "--record-out", RECORD, NULL};
    char ep[256];
    pid_t pid = harness_start(LOG_PATH, args, ep, sizeof ep);
    void *ctx = zmq_ctx_new();
    void *sub = zmq_socket(ctx, ZMQ_SUB);
    assert_int_equal(zmq_connect(sub, ep), 0);
    assert_int_equal(zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "", 0), 0);
    msglist all = {0};
    drain(sub, &all, 0.3);

    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    SapientMsg__BsiFlex335V20__Registration r = SAPIENT_MSG__BSI_FLEX_335_V2_0__REGISTRATION__INIT;
    r.icd_version = "BSI Flex 335 v2.0";
    r.name = "third-party radar";
    smsg m = SAPIENT_MSG__BSI_FLEX_335_V2_0__SAPIENT_MESSAGE__INIT;
    m.content_case = SAPIENT_MSG__BSI_FLEX_335_V2_0__SAPIENT_MESSAGE__CONTENT_REGISTRATION;
    m.registration = &r;
    send_msg(fd, &m, sg_clock_s(CLOCK_REALTIME));
    uint8_t ack[512];
    struct pollfd pf = {.fd = fd, .events = POLLIN};
    assert_int_equal(poll(&pf, 1, 5000), 1);
    ssize_t got = recv(fd, ack, sizeof ack, 0);
    assert_true(got > 4);
    smsg *a = sapient_msg__bsi_flex_335_v2_0__sapient_message__unpack(NULL, (size_t)got - 4, ack + 4);
    assert_non_null(a);
    assert_true(a->registration_ack && a->registration_ack->acceptance);
    sapient_msg__bsi_flex_335_v2_0__sapient_message__free_unpacked(a, NULL);

    geo_frame fr;
    assert_int_equal(geo_frame_init(&fr, LAT0 * GEO_DEG, LON0 * GEO_DEG, ALT0, NULL), SG_OK);
    for (int k = 0; k < N_REPORTS; k++) {
        double p[3], lat, lon, h;
        truth(k, p);
        for (int i = 0; i < 3; i++)
            p[i] += 3.0 * grand();
        geo_frame_from_enu(&fr, p, &lat, &lon, &h);
        SapientMsg__BsiFlex335V20__Location l = SAPIENT_MSG__BSI_FLEX_335_V2_0__LOCATION__INIT;
        l.has_x = l.has_y = l.has_z = l.has_coordinate_system = l.has_datum = 1;
        l.has_x_error = l.has_y_error = l.has_z_error = 1;
        l.x = lon / GEO_DEG;
        l.y = lat / GEO_DEG;
        l.z = h;
        l.y_error = 3.0 / 111200.0; /* ~3 m */
        l.x_error = 3.0 / (111200.0 * cos(lat));
        l.z_error = 3;
        l.coordinate_system = SAPIENT_MSG__BSI_FLEX_335_V2_0__LOCATION_COORDINATE_SYSTEM__LOCATION_COORDINATE_SYSTEM_LAT_LNG_DEG_M;
        l.datum = SAPIENT_MSG__BSI_FLEX_335_V2_0__LOCATION_DATUM__LOCATION_DATUM_WGS84_E;
        SapientMsg__BsiFlex335V20__DetectionReport d =
            SAPIENT_MSG__BSI_FLEX_335_V2_0__DETECTION_REPORT__INIT;
        d.report_id = "01J00000000000000000000000";
        d.object_id = "01J0000000000000000000000X";
        d.location_oneof_case =
            SAPIENT_MSG__BSI_FLEX_335_V2_0__DETECTION_REPORT__LOCATION_ONEOF_LOCATION;
        d.location = &l;
        d.has_detection_confidence = 1;
        d.detection_confidence = 0.9f;
        smsg dm = SAPIENT_MSG__BSI_FLEX_335_V2_0__SAPIENT_MESSAGE__INIT;
        dm.content_case = SAPIENT_MSG__BSI_FLEX_335_V2_0__SAPIENT_MESSAGE__CONTENT_DETECTION_REPORT;
        dm.detection_report = &d;
        send_msg(fd, &dm, sg_clock_s(CLOCK_REALTIME));
        if (k == 3) {
            static const uint8_t junk[] = {3, 0, 0, 0, 0xff, 0xff, 0xff};
            assert_int_equal(send(fd, junk, sizeof junk, MSG_NOSIGNAL), (ssize_t)sizeof junk);
        }
        drain(sub, &all, PERIOD_S);
    }
    drain(sub, &all, 2.5); /* the clock (wall - max_age_s) passes the last report */
    close(fd);
    kill(pid, SIGTERM);
    int status = 0;
    harness_collect(sub, pid, &all, &status, NULL, NULL, 0);
    zmq_close(sub);
    zmq_ctx_term(ctx);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("daemon exit status %d (log: %s)", status, LOG_PATH);

    uint32_t id = 0;
    size_t confirmed = 0;
    double worst = 0, last_x = NAN;
    for (size_t i = 0; i < all.n; i++) {
        const cJSON *j = all.msgs[i];
        if (strcmp(jstr(j, "type"), "track") != 0 || strcmp(jstr(j, "status"), "deleted") == 0)
            continue;
        if (!id)
            id = (uint32_t)jnum(j, "id");
        assert_int_equal((uint32_t)jnum(j, "id"), id); /* one target, one track */
        const cJSON *sens = cJSON_GetObjectItem(j, "sensors");
        assert_true(cJSON_GetArraySize(sens) == 1);
        assert_string_equal(cJSON_GetArrayItem(sens, 0)->valuestring, "radar-east");
        confirmed += strcmp(jstr(j, "status"), "confirmed") == 0;
        const cJSON *enu = cJSON_GetObjectItem(j, "enu_m");
        double x = cJSON_GetArrayItem(enu, 0)->valuedouble, y = cJSON_GetArrayItem(enu, 1)->valuedouble;
        /* on the line y = 200, between its first and last report */
        worst = fmax(worst, fabs(y - 200));
        assert_true(x > -320 && x < -300 + 10.0 * PERIOD_S * N_REPORTS + 20);
        last_x = x;
    }
    print_message("sapient e2e (seed %u, 3 m noise): %zu messages, track %u, %zu confirmed "
                  "updates, worst cross-track %.1f m, last x %.1f m\n", SEED, all.n, id,
                  confirmed, worst, last_x);
    assert_true(id != 0);
    assert_true(confirmed > 0);
    assert_true(worst < 10);
    const cJSON *st = msglist_last(&all, "status");
    assert_non_null(st);
    const cJSON *s0 = cJSON_GetArrayItem(cJSON_GetObjectItem(st, "sensors"), 0);
    assert_string_equal(jstr(s0, "id"), "radar-east");
    assert_int_equal((int)jnum(s0, "sapient_registrations"), 1);
    assert_int_equal((int)jnum(s0, "sapient_detections"), N_REPORTS);
    assert_int_equal((int)jnum(s0, "sapient_rejected"), 1);
    assert_int_equal((int)jnum(s0, "sapient_messages"), N_REPORTS + 2);
    assert_true(log_contains(LOG_PATH, "message rejected (decode)"));
    /* every message, the status with its sapient_* counters included, keeps the schema */
    harness_schema_check(RECORD, "track,alert,status", NULL);
    msglist_free(&all);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sapient_sensor_feeds_tracker),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
