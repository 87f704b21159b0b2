/* Operator feed: messages are one frame "<topic> <json>", valid JSON with the schema
 * fields, hostile strings escaped, late joiners detected, plaintext refused off
 * loopback, and every message recorded to JSONL when asked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sg_assert.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <zmq.h>

#include "feed.h"
#include "sg_jsonw.h"

static const char *const sensors[] = {"rf-north", "cam-east"};

static sg_track sample_track(void)
{
    sg_track tr;
    memset(&tr, 0, sizeof tr);
    tr.id = 42;
    tr.status = SG_TRACK_CONFIRMED;
    tr.t = 1795000000.25;
    tr.x[0] = 100;
    tr.x[1] = -50;
    tr.x[2] = 80;
    tr.x[3] = 3;
    tr.x[4] = 4;
    tr.x[5] = -1;
    tr.P[0] = tr.P[7] = tr.P[14] = 3;
    tr.lat = 51.5 * M_PI / 180;
    tr.lon = -0.1 * M_PI / 180;
    tr.alt = 125.5;
    snprintf(tr.cls, sizeof tr.cls, "dji_droneid");
    tr.cls_conf = 0.9;
    /* Identities come off the air: quotes, backslashes and control bytes must not
     * break the message. */
    snprintf(tr.identity, sizeof tr.identity, "EVIL\"}\n\\x");
    tr.sensors[0] = 0;
    tr.sensors[1] = 1;
    tr.n_sensors = 2;
    tr.hits = 7;
    tr.t_first = tr.t - 3;
    tr.t_last = tr.t;
    return tr;
}

static void test_encode_track(void **state)
{
    (void)state;
    feed_cfg cfg = {.endpoint = "inproc://enc", .node = "n1"};
    sg_errinfo e = {0};
    feed *f = feed_create(&cfg, sensors, 2, &e);
    assert_non_null(f);
    sg_track tr = sample_track();
    feed_zone_ref z = {"stadium-critical", SG_SEV_CRITICAL, false, 12.5};
    char buf[4096];
    int n = feed_encode_track(f, buf, sizeof buf, &tr, &z, 1, true);
    assert_true(n > 0);
    assert_int_equal((size_t)n, strlen(buf));
    assert_null(strchr(buf, '\n')); /* one line, whatever the identity holds */
    assert_memory_equal(buf, "track.42 ", 9);
    cJSON *j = cJSON_Parse(buf + 9);
    assert_non_null(j);
    assert_int_equal(cJSON_GetObjectItem(j, "v")->valueint, 1);
    assert_string_equal(cJSON_GetObjectItem(j, "type")->valuestring, "track");
    assert_string_equal(cJSON_GetObjectItem(j, "status")->valuestring, "confirmed");
    assert_string_equal(cJSON_GetObjectItem(j, "identity")->valuestring, "EVIL\"}\n\\x");
    assert_float_equal(cJSON_GetObjectItem(j, "lat")->valuedouble, 51.5, 1e-7);
    assert_float_equal(cJSON_GetObjectItem(j, "speed_mps")->valuedouble, 5.0, 1e-9);
    /* course of (3 east, 4 north) is atan2(3,4) = 36.87 deg */
    assert_float_equal(cJSON_GetObjectItem(j, "course_deg")->valuedouble, 36.9, 1e-9);
    assert_float_equal(cJSON_GetObjectItem(j, "pos_sd_m")->valuedouble, 3.0, 1e-9);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(j, "snapshot")));
    assert_string_equal(cJSON_GetObjectItem(j, "time")->valuestring, "2026-11-18T11:06:40.250Z");
    cJSON *ss = cJSON_GetObjectItem(j, "sensors");
    assert_int_equal(cJSON_GetArraySize(ss), 2);
    assert_string_equal(cJSON_GetArrayItem(ss, 1)->valuestring, "cam-east");
    cJSON *zz = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "zones"), 0);
    assert_string_equal(cJSON_GetObjectItem(zz, "severity")->valuestring, "critical");
    assert_float_equal(cJSON_GetObjectItem(zz, "ttb_s")->valuedouble, 12.5, 1e-9);
    assert_null(cJSON_GetObjectItem(j, "operator")); /* unknown: omitted, never faked */
    cJSON_Delete(j);
    /* Too small a buffer is an error, never a truncated message. */
    assert_int_equal(feed_encode_track(f, buf, 64, &tr, &z, 1, false), SG_EOVERFLOW);
    feed_destroy(f);
}

static void test_encode_alert_nan(void **state)
{
    (void)state;
    feed_cfg cfg = {.endpoint = "inproc://enc2"};
    feed *f = feed_create(&cfg, sensors, 2, NULL);
    assert_non_null(f);
    sg_alert a;
    memset(&a, 0, sizeof a);
    a.id = 3;
    a.state = SG_ALERT_RAISED;
    a.severity = SG_SEV_ALERT;
    a.t = 1795000000;
    a.track_id = 42;
    snprintf(a.zone_id, sizeof a.zone_id, "inner ring");
    a.time_to_breach = NAN;
    a.time_to_breach_sd = INFINITY;
    char buf[2048];
    int n = feed_encode_alert(f, buf, sizeof buf, &a, false);
    assert_true(n > 0);
    assert_memory_equal(buf, "alert.alert.inner_ring ", 23);
    cJSON *j = cJSON_Parse(strchr(buf, ' ') + 1);
    assert_non_null(j);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(j, "ttb_s")));
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(j, "ttb_sd_s")));
    assert_string_equal(cJSON_GetObjectItem(j, "zone")->valuestring, "inner ring");
    assert_string_equal(cJSON_GetObjectItem(j, "state")->valuestring, "raised");
    cJSON_Delete(j);
    feed_destroy(f);
}

static void test_plaintext_refused_off_loopback(void **state)
{
    (void)state;
    feed_cfg cfg = {.endpoint = "tcp://0.0.0.0:5599", .where = "site.json: outputs.feed"};
    sg_errinfo e = {0};
    assert_null(feed_create(&cfg, sensors, 2, &e));
    assert_int_equal(e.code, SG_EAUTH);
    assert_non_null(strstr(e.msg, "site.json: outputs.feed"));
    assert_non_null(strstr(e.msg, "0.0.0.0"));
}

static void test_pubsub_late_joiner_and_record(void **state)
{
    (void)state;
    char rec[256];
    snprintf(rec, sizeof rec, "%s/test_feed_record.jsonl", SG_BINARY_DIR);
    feed_cfg cfg = {.endpoint = "tcp://127.0.0.1:*", .record_path = rec};
    sg_errinfo e = {0};
    feed *f = feed_create(&cfg, sensors, 2, &e);
    if (!f)
        fail_msg("%s", e.msg);
    assert_non_null(strstr(feed_endpoint(f), "tcp://127.0.0.1:"));

    void *ctx = zmq_ctx_new();
    void *sub = zmq_socket(ctx, ZMQ_SUB);
    assert_int_equal(zmq_connect(sub, feed_endpoint(f)), 0);
    assert_int_equal(zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "track.", 6), 0);
    int fresh = 0;
    for (int i = 0; i < 200 && fresh == 0; i++) {
        fresh = feed_poll(f);
        assert_true(fresh >= 0);
        if (!fresh)
            usleep(10000);
    }
    assert_int_equal(fresh, 1);
    sg_track tr = sample_track();
    assert_int_equal(feed_track(f, &tr, NULL, 0, true), SG_OK);
    sg_alert a = {.id = 1, .severity = SG_SEV_WARNING, .t = 1.0};
    snprintf(a.zone_id, sizeof a.zone_id, "z");
    assert_int_equal(feed_alert(f, &a, false), SG_OK); /* not subscribed: filtered */
    int timeout = 2000;
    zmq_setsockopt(sub, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    char buf[4096];
    int n = zmq_recv(sub, buf, sizeof buf - 1, 0);
    assert_true(n > 0);
    buf[n] = '\0';
    int more = 0;
    size_t ml = sizeof more;
    zmq_getsockopt(sub, ZMQ_RCVMORE, &more, &ml);
    assert_int_equal(more, 0); /* one frame per message */
    assert_memory_equal(buf, "track.42 {", 10);
    feed_stats st;
    feed_get_stats(f, &st);
    assert_int_equal(st.published, 2);
    assert_int_equal(st.subscriptions, 1);
    zmq_close(sub);
    zmq_ctx_term(ctx);
    feed_destroy(f);

    FILE *r = fopen(rec, "r");
    assert_non_null(r);
    char line[4096];
    int lines = 0;
    while (fgets(line, sizeof line, r))
        lines++;
    fclose(r);
    assert_int_equal(lines, 2);
}

static void test_iso8601(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        double t;
    } ok[] = {
        {"1970-01-01T00:00:00Z", 0},
        {"2026-11-22T22:30:00Z", 1795386600},
        {"2026-11-22T23:30:00+01:00", 1795386600},
        {"2026-11-22T22:30:00.5Z", 1795386600.5},
        {"2024-02-29T12:00:00-0330", 1709220600},
        {"2026-11-22", 1795305600},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        double t;
        assert_int_equal(sg_time_parse_iso8601(ok[i].s, &t), SG_OK);
        assert_near(t, ok[i].t, 1e-6);
    }
    static const char *const bad[] = {"", "2026", "2026-13-01T00:00:00Z", "2026-11-22T25:00:00Z",
                                      "2026-11-22T22:30:00Zjunk", "22:30", "2026-11-22T22:30:00+1x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        double t;
        if (sg_time_parse_iso8601(bad[i], &t) == SG_OK)
            fail_msg("accepted \"%s\"", bad[i]);
    }
    char iso[40];
    sg_time_iso8601(1795386600.123, iso, sizeof iso);
    assert_string_equal(iso, "2026-11-22T22:30:00.123Z");
    sg_time_iso8601(NAN, iso, sizeof iso);
    assert_string_equal(iso, "unknown");
    /* "time" agrees with "t" as the feed writes it (%.6f), truncated to the ms: x.3 is
     * stored as x.29999995, and t x 1000 has no room for a bias at Unix times */
    static const struct {
        double t;
        const char *iso;
    } tab[] = {{1784572200.3, "2026-07-20T18:30:00.300Z"},
               {1784572200.2999994, "2026-07-20T18:30:00.299Z"},
               {1784572200.2999996, "2026-07-20T18:30:00.300Z"},
               {1784572200.0, "2026-07-20T18:30:00.000Z"},
               {1784572200.999, "2026-07-20T18:30:00.999Z"},
               {1784572200.9999999, "2026-07-20T18:30:01.000Z"},
               {-0.0005, "1969-12-31T23:59:59.999Z"}};
    for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++) {
        sg_time_iso8601(tab[i].t, iso, sizeof iso);
        char tj[40];
        snprintf(tj, sizeof tj, "%.6f", tab[i].t);
        if (strcmp(iso, tab[i].iso) != 0)
            fail_msg("t %s: %s, expected %s", tj, iso, tab[i].iso);
    }
    /* every ms of a minute at a Unix time: the ms field equals t's printed ms */
    for (int k = 0; k < 60000; k++) {
        double t = 1784572200.0 + k * 1e-3;
        char tj[40];
        snprintf(tj, sizeof tj, "%.6f", t);
        sg_time_iso8601(t, iso, sizeof iso);
        if (strncmp(iso + 20, tj + 11, 3) != 0)
            fail_msg("t %s gives %s", tj, iso);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode_track),
        cmocka_unit_test(test_encode_alert_nan),
        cmocka_unit_test(test_plaintext_refused_off_loopback),
        cmocka_unit_test(test_pubsub_late_joiner_and_record),
        cmocka_unit_test(test_iso8601),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
