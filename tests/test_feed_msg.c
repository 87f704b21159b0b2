/* Tests for the operator-feed frame parser (adapters/feed_msg.c) against the contract
 * in docs/feed-schema.md: every message type parses into the right typed fields,
 * unknown fields are ignored, and every malformed frame (missing/invalid fields, wrong
 * version, non-JSON, topic mismatch, oversized, embedded NUL/newline) is refused with
 * the right code and a message naming the topic. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "feed_msg.h"

/* cmocka 1.1 has no assert_double_equal */
#define assert_near(a, b, tol) assert_true(fabs((double)(a) - (double)(b)) <= (tol))

#define TRACK_OK                                                                           \
    "track.17 {\"v\":1,\"type\":\"track\",\"id\":17,\"status\":\"confirmed\","            \
    "\"t\":1795386600.25,\"time\":\"2026-11-22T22:30:00.250Z\",\"lat\":51.5561,"           \
    "\"lon\":-0.2796,\"alt_m\":152.5,\"enu_m\":[120.5,-40.25,100.0],"                     \
    "\"vel_mps\":[3.0,4.0,-0.5],\"speed_mps\":5.0,\"course_deg\":36.87,"                  \
    "\"climb_mps\":-0.5,\"pos_sd_m\":7.5,\"class\":\"dji_droneid\",\"class_conf\":0.93,"  \
    "\"identity\":\"1581F5FJD22A00XY\",\"operator\":{\"lat\":51.55,\"lon\":-0.28,"         \
    "\"alt_m\":60.0},\"sensors\":[\"rf-north\",\"cam-east\"],"                            \
    "\"zones\":[{\"id\":\"stadium-critical\",\"severity\":\"critical\",\"inside\":true,"  \
    "\"ttb_s\":null},{\"id\":\"outer\",\"severity\":\"warning\",\"inside\":false,"        \
    "\"ttb_s\":12.5}],\"hits\":12,\"t_first\":1795386590.0,\"t_last\":1795386600.25,"     \
    "\"future_field\":{\"x\":[1,2,3]}}"

#define ALERT_OK                                                                           \
    "alert.critical.stadium-critical {\"v\":1,\"type\":\"alert\",\"id\":3,"               \
    "\"state\":\"raised\",\"severity\":\"critical\",\"t\":1795386601.0,"                  \
    "\"time\":\"2026-11-22T22:30:01.000Z\",\"track_id\":17,\"zone\":\"stadium-critical\"," \
    "\"inside\":false,\"ttb_s\":12.3,\"ttb_sd_s\":1.1,\"allow_listed\":false,"            \
    "\"identity\":\"1581F5FJD22A00XY\",\"class\":\"dji_droneid\",\"sensors\":[\"rf-north\"]," \
    "\"snapshot\":true}"

#define STATUS_OK                                                                          \
    "status.skyguardd {\"v\":1,\"type\":\"status\",\"t\":1795386602.0,"                   \
    "\"time\":\"2026-11-22T22:30:02.000Z\",\"node\":\"skyguardd\",\"uptime_s\":3600.5,"   \
    "\"samples_processed\":123456789012,\"samples_dropped\":4096,\"blocks_dropped\":1,"   \
    "\"bursts\":77,\"measurements\":70,\"measurements_rejected\":2,\"published\":500,"    \
    "\"publish_dropped\":0,\"queue_depth\":3,\"queue_capacity\":64,\"tracks\":2,"         \
    "\"alerts_active\":1,\"sensors\":[{\"id\":\"rf-north\",\"state\":\"ok\","             \
    "\"last_t\":1795386601.9},{\"id\":\"cam-east\",\"state\":\"down\"}],"                 \
    "\"latency_ms\":{\"frontend_p50\":1.5,\"frontend_p99\":4.0,\"pipeline_p50\":8.0,"     \
    "\"pipeline_p99\":20.0}}"

#define RF_OK                                                                              \
    "rf.rf-north {\"v\":1,\"type\":\"rf\",\"sensor\":\"rf-north\",\"class\":\"frsky_d16\"," \
    "\"class_conf\":0.8,\"identity\":\"\",\"fc_hz\":2440000000.0,\"bw_hz\":1500000.0,"    \
    "\"first_t\":1795386599.0,\"last_t\":1795386603.0,\"t\":1795386603.0,"                \
    "\"time\":\"2026-11-22T22:30:03.000Z\"}"

static int parse(const char *s, feed_msg *m, sg_errinfo *e)
{
    return feed_msg_parse(s, strlen(s), m, e);
}

static void test_track(void **state)
{
    (void)state;
    feed_msg m;
    sg_errinfo e = {0};
    int rc = parse(TRACK_OK, &m, &e);
    if (rc)
        print_error("%s\n", e.msg);
    assert_int_equal(rc, SG_OK);
    assert_int_equal(m.type, FEED_MSG_TRACK);
    assert_string_equal(m.topic, "track.17");
    assert_int_equal(m.v, 1);
    assert_false(m.snapshot);
    assert_non_null(m.json);
    const feed_msg_track *t = &m.u.track;
    assert_int_equal(t->id, 17);
    assert_int_equal(t->status, SG_TRACK_CONFIRMED);
    assert_near(t->lat, 51.5561, 1e-12);
    assert_near(t->lon, -0.2796, 1e-12);
    assert_near(t->alt_m, 152.5, 1e-12);
    assert_near(t->enu_m[1], -40.25, 1e-12);
    assert_near(t->vel_mps[2], -0.5, 1e-12);
    assert_near(t->speed_mps, 5.0, 1e-12);
    assert_near(t->course_deg, 36.87, 1e-12);
    assert_string_equal(t->cls, "dji_droneid");
    assert_string_equal(t->identity, "1581F5FJD22A00XY");
    assert_true(t->has_operator);
    assert_near(t->op_alt_m, 60.0, 1e-12);
    assert_int_equal(t->n_sensors, 2);
    assert_string_equal(t->sensors[1], "cam-east");
    assert_int_equal(t->n_zones, 2);
    assert_string_equal(t->zones[0].id, "stadium-critical");
    assert_int_equal(t->zones[0].severity, SG_SEV_CRITICAL);
    assert_true(t->zones[0].inside);
    assert_true(isnan(t->zones[0].ttb_s));
    assert_near(t->zones[1].ttb_s, 12.5, 1e-12);
    assert_near(t->hits, 12, 0);
    /* the whole message is kept: unknown fields stay readable, not rejected */
    assert_non_null(cJSON_GetObjectItemCaseSensitive(m.json, "future_field"));
    feed_msg_free(&m);
    assert_null(m.json);
    feed_msg_free(&m); /* idempotent */
}

static void test_track_minimal(void **state)
{
    (void)state;
    /* only the required fields: everything else reads as unknown (NAN / "") */
    const char *s = "track.5 {\"v\":1,\"type\":\"track\",\"id\":5,\"status\":\"tentative\","
                    "\"t\":10,\"time\":\"1970-01-01T00:00:10Z\",\"lat\":0,\"lon\":0,"
                    "\"alt_m\":0,\"course_deg\":null,\"class\":null}";
    feed_msg m;
    sg_errinfo e = {0};
    assert_int_equal(parse(s, &m, &e), SG_OK);
    assert_true(isnan(m.u.track.speed_mps));
    assert_true(isnan(m.u.track.course_deg));
    assert_true(isnan(m.u.track.enu_m[0]));
    assert_string_equal(m.u.track.cls, "");
    assert_false(m.u.track.has_operator);
    assert_int_equal(m.u.track.n_zones, 0);
    feed_msg_free(&m);
}

static char *patch(const char *base, const char *from, const char *to);

static void test_alert_status_rf(void **state)
{
    (void)state;
    feed_msg m;
    sg_errinfo e = {0};
    assert_int_equal(parse(ALERT_OK, &m, &e), SG_OK);
    assert_int_equal(m.type, FEED_MSG_ALERT);
    assert_true(m.snapshot);
    assert_int_equal(m.u.alert.id, 3);
    assert_int_equal(m.u.alert.state, SG_ALERT_RAISED);
    assert_int_equal(m.u.alert.severity, SG_SEV_CRITICAL);
    assert_int_equal(m.u.alert.track_id, 17);
    assert_string_equal(m.u.alert.zone, "stadium-critical");
    assert_near(m.u.alert.ttb_s, 12.3, 1e-12);
    assert_near(m.u.alert.ttb_sd_s, 1.1, 1e-12);
    feed_msg_free(&m);

    assert_int_equal(parse(STATUS_OK, &m, &e), SG_OK);
    assert_int_equal(m.type, FEED_MSG_STATUS);
    assert_string_equal(m.u.status.node, "skyguardd");
    assert_near(m.u.status.samples_processed, 123456789012.0, 0);
    assert_near(m.u.status.queue_capacity, 64, 0);
    assert_int_equal(m.u.status.n_sensors, 2);
    assert_int_equal(m.u.status.sensors[1].state, FEED_SENSOR_DOWN);
    assert_true(isnan(m.u.status.sensors[1].last_t));
    assert_near(m.u.status.pipeline_p99_ms, 20.0, 0);
    feed_msg_free(&m);

    assert_int_equal(parse(RF_OK, &m, &e), SG_OK);
    assert_int_equal(m.type, FEED_MSG_RF);
    assert_string_equal(m.u.rf.sensor, "rf-north");
    assert_string_equal(m.u.rf.cls, "frsky_d16");
    assert_near(m.u.rf.fc_hz, 2.44e9, 0);
    assert_false(m.u.rf.has_track); /* no "track_id": nothing explains it */
    feed_msg_free(&m);
    char *withtrack = patch(RF_OK, "\"fc_hz\"", "\"track_id\":17,\"fc_hz\"");
    assert_int_equal(parse(withtrack, &m, &e), SG_OK);
    assert_true(m.u.rf.has_track);
    assert_int_equal(m.u.rf.track_id, 17);
    feed_msg_free(&m);
    free(withtrack);
}

/* Replaces the first occurrence of `from` in base by `to`. */
static char *patch(const char *base, const char *from, const char *to)
{
    const char *p = strstr(base, from);
    assert_non_null(p);
    size_t n = strlen(base) - strlen(from) + strlen(to) + 1;
    char *s = malloc(n);
    assert_non_null(s);
    snprintf(s, n, "%.*s%s%s", (int)(p - base), base, to, p + strlen(from));
    return s;
}

static void test_rejects(void **state)
{
    (void)state;
    static const struct {
        const char *base, *from, *to;
        int code;
        const char *msg; /* substring the error must contain */
    } cases[] = {
        {TRACK_OK, "\"v\":1,", "\"v\":2,", SG_ENOTSUP, "newer than this consumer"},
        {TRACK_OK, "\"v\":1,", "\"v\":0,", SG_ERANGE, ".v: must be in"},
        {TRACK_OK, "\"v\":1,", "\"v\":1.5,", SG_EINVAL, ".v: must be a whole number"},
        {TRACK_OK, "\"v\":1,", "", SG_EINVAL, ".v: required key is missing"},
        {TRACK_OK, "\"v\":1,", "\"v\":\"1\",", SG_EINVAL, ".v: must be a number"},
        {TRACK_OK, "\"type\":\"track\"", "\"type\":\"weather\"", SG_ENOTSUP,
         "unknown message type"},
        {TRACK_OK, "\"type\":\"track\",", "", SG_EINVAL, ".type: required key is missing"},
        {TRACK_OK, "\"lat\":51.5561", "\"lat\":123", SG_ERANGE, ".lat: must be in [-90, 90]"},
        {TRACK_OK, "\"lat\":51.5561,", "", SG_EINVAL, ".lat: required key is missing"},
        {TRACK_OK, "\"lon\":-0.2796", "\"lon\":1e999", SG_ERANGE, ".lon: must be in"},
        {TRACK_OK, "\"status\":\"confirmed\"", "\"status\":\"lost\"", SG_EINVAL,
         ".status: must be one of"},
        {TRACK_OK, "\"id\":17", "\"id\":-1", SG_ERANGE, ".id: must be in"},
        {TRACK_OK, "\"id\":17", "\"id\":18", SG_EFORMAT, "topic does not match"},
        {TRACK_OK, "\"enu_m\":[120.5,-40.25,100.0]", "\"enu_m\":[1,2]", SG_EINVAL,
         ".enu_m: must be an array of 3"},
        {TRACK_OK, "\"enu_m\":[120.5,-40.25,100.0]", "\"enu_m\":[1,\"x\",3]", SG_ERANGE,
         ".enu_m[1]"},
        {TRACK_OK, "\"class_conf\":0.93", "\"class_conf\":1.5", SG_ERANGE, ".class_conf"},
        {TRACK_OK, "\"severity\":\"critical\"", "\"severity\":\"doom\"", SG_EINVAL,
         ".zones[0].severity: must be one of"},
        {TRACK_OK, "\"sensors\":[\"rf-north\",", "\"sensors\":[7,", SG_EINVAL,
         ".sensors[0]: must be a string"},
        {TRACK_OK, "\"operator\":{\"lat\":51.55,", "\"operator\":{", SG_EINVAL,
         ".operator.lat: required key is missing"},
        {TRACK_OK, "\"time\":\"2026-11-22T22:30:00.250Z\"", "\"time\":\"yesterday\"",
         SG_EFORMAT, ".time: must be ISO 8601"},
        {TRACK_OK, "\"t\":1795386600.25", "\"t\":-5", SG_ERANGE, ".t: must be in"},
        {TRACK_OK, "track.17 {", "track.17 [", SG_EFORMAT, "JSON syntax error"},
        {TRACK_OK, "track.17 ", "track.17", SG_EFORMAT, "separator"},
        {TRACK_OK, "track.17 ", " ", SG_EFORMAT, "topic must be"},
        {TRACK_OK, "track.17", "track.\x01", SG_EFORMAT, "not printable"},
        {TRACK_OK, "\"future_field\"", "\n\"future_field\"", SG_EFORMAT, "control byte"},
        {TRACK_OK, "\"x\":[1,2,3]}}", "\"x\":[1,2,3]}} {}", SG_EFORMAT, "trailing bytes"},
        {ALERT_OK, "alert.critical.", "alert.warning.", SG_EFORMAT, "topic does not match"},
        {ALERT_OK, "\"zone\":\"stadium-critical\",", "", SG_EINVAL, ".zone: required"},
        {ALERT_OK, "\"state\":\"raised\"", "\"state\":\"raisedd\"", SG_EINVAL,
         ".state: must be one of"},
        {ALERT_OK, "\"ttb_s\":12.3", "\"ttb_s\":\"soon\"", SG_EINVAL, ".ttb_s: must be a number"},
        {ALERT_OK, "\"allow_listed\":false", "\"allow_listed\":0", SG_EINVAL,
         ".allow_listed: must be true or false"},
        {ALERT_OK, "\"snapshot\":true", "\"snapshot\":\"yes\"", SG_EINVAL, ".snapshot"},
        {STATUS_OK, "\"samples_dropped\":4096", "\"samples_dropped\":-1", SG_ERANGE,
         ".samples_dropped: must be in"},
        {STATUS_OK, "\"state\":\"down\"", "\"state\":\"dead\"", SG_EINVAL,
         ".sensors[1].state: must be one of"},
        {STATUS_OK, "\"latency_ms\":{", "\"latency_ms\":[{", SG_EFORMAT, "JSON syntax"},
        {STATUS_OK, "\"node\":\"skyguardd\",", "", SG_EINVAL, ".node: required"},
        {RF_OK, "\"sensor\":\"rf-north\"", "\"sensor\":\"rf-south\"", SG_EFORMAT,
         "topic does not match"},
        {RF_OK, "\"fc_hz\":2440000000.0", "\"fc_hz\":-1", SG_ERANGE, ".fc_hz"},
        {RF_OK, "\"fc_hz\"", "\"track_id\":1.5,\"fc_hz\"", SG_EINVAL, ".track_id"},
        {RF_OK, "\"fc_hz\"", "\"track_id\":-2,\"fc_hz\"", SG_ERANGE, ".track_id"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *s = patch(cases[i].base, cases[i].from, cases[i].to);
        feed_msg m;
        sg_errinfo e = {0};
        int rc = parse(s, &m, &e);
        if (rc != cases[i].code || !strstr(e.msg, cases[i].msg))
            fail_msg("case %zu: got %d (%s), want %d containing '%s'\nframe: %s", i, rc,
                     e.msg, cases[i].code, cases[i].msg, s);
        assert_null(m.json);
        free(s);
    }
}

static void test_frame_level(void **state)
{
    (void)state;
    feed_msg m;
    sg_errinfo e = {0};
    /* embedded NUL inside the declared length */
    char nul[] = "rf.a {\"v\":1}\0xx";
    assert_int_equal(feed_msg_parse(nul, sizeof nul - 1, &m, &e), SG_EFORMAT);
    assert_non_null(strstr(e.msg, "control byte 0x00"));
    /* not JSON at all; empty; only a topic; JSON array; JSON scalar */
    const char *bad[] = {"hello world", "", "track.1", "track.1 ", "track.1 [1,2]",
                         "track.1 42", "track.1 {\"v\":1", "track.1 {\"v\":1,\"type\":\"track\""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = parse(bad[i], &m, &e);
        assert_true(rc == SG_EFORMAT || rc == SG_EINVAL);
        assert_null(m.json);
    }
    /* a frame over the limit is refused before any parsing, even if valid JSON */
    size_t big = FEED_MSG_MAX_FRAME + 1;
    char *huge = malloc(big + 1);
    assert_non_null(huge);
    memset(huge, ' ', big);
    memcpy(huge, "rf.x {", 6);
    huge[big - 1] = '}';
    huge[big] = '\0';
    assert_int_equal(feed_msg_parse(huge, big, &m, &e), SG_ERANGE);
    assert_non_null(strstr(e.msg, "larger than"));
    /* deeply nested JSON: refused by the parser's nesting limit, no stack overflow */
    size_t depth = 5000, n = 0;
    char *deep = malloc(2 * depth + 64);
    assert_non_null(deep);
    n += (size_t)sprintf(deep, "rf.x {\"v\":1,\"a\":");
    for (size_t i = 0; i < depth; i++)
        deep[n++] = '[';
    for (size_t i = 0; i < depth; i++)
        deep[n++] = ']';
    deep[n++] = '}';
    assert_int_equal(feed_msg_parse(deep, n, &m, &e), SG_EFORMAT);
    free(deep);
    free(huge);
    /* NULL frame */
    assert_int_equal(feed_msg_parse(NULL, 0, &m, &e), SG_EINVAL);
}

/* Ids with spaces or non-ASCII bytes appear in topics with each such byte as '_'. */
static void test_topic_sanitised_ids(void **state)
{
    (void)state;
    feed_msg m;
    sg_errinfo e = {0};
    const char *a = "alert.warning.north_stand {\"v\":1,\"type\":\"alert\",\"id\":1,"
                    "\"state\":\"raised\",\"severity\":\"warning\",\"t\":1,"
                    "\"time\":\"1970-01-01T00:00:01.000Z\",\"track_id\":2,"
                    "\"zone\":\"north stand\"}";
    assert_int_equal(parse(a, &m, &e), SG_OK);
    assert_string_equal(m.u.alert.zone, "north stand");
    feed_msg_free(&m);
    const char *b = "status.trib__ne {\"v\":1,\"type\":\"status\",\"t\":1,"
                    "\"time\":\"1970-01-01T00:00:01.000Z\",\"node\":\"trib\u00fcne\"}";
    assert_int_equal(parse(b, &m, &e), SG_OK);
    assert_string_equal(m.u.status.node, "trib\xc3\xbcne");
    feed_msg_free(&m);
    /* the raw id in the topic is not printable ASCII: refused at the topic check */
    const char *c = "status.trib\xc3\xbcne {\"v\":1,\"type\":\"status\",\"t\":1,"
                    "\"time\":\"1970-01-01T00:00:01.000Z\",\"node\":\"trib\u00fcne\"}";
    assert_int_equal(parse(c, &m, &e), SG_EFORMAT);
}

/* A fusion node's status (docs/nodes.md): its sensor nodes and each sensor's node; a
 * malformed nodes member is refused naming the key. */
static void test_status_nodes(void **state)
{
    (void)state;
    feed_msg m;
    sg_errinfo e = {0};
    const char *ok = "status.control {\"v\":1,\"type\":\"status\",\"t\":1,"
                     "\"time\":\"1970-01-01T00:00:01.000Z\",\"node\":\"control\","
                     "\"sensors\":[{\"id\":\"rf-a\",\"state\":\"ok\",\"node\":\"a\","
                     "\"link_dropped\":4}],\"nodes\":{\"refused\":1,\"malformed\":0,\"lost\":2,"
                     "\"late\":5,\"reordered\":9,\"nodes\":[{\"name\":\"a\",\"state\":\"silent\","
                     "\"silent_s\":3.5,\"clock_offset_s\":-2.25,\"link_delay_ms\":null,"
                     "\"clock_flagged\":true,\"lost\":2}]}}";
    assert_int_equal(parse(ok, &m, &e), SG_OK);
    const feed_msg_status *s = &m.u.status;
    assert_true(s->has_nodes);
    assert_int_equal(s->n_nodes, 1);
    assert_string_equal(s->nodes[0].name, "a");
    assert_int_equal(s->nodes[0].state, 2);
    assert_near(s->nodes[0].clock_offset_s, -2.25, 0);
    assert_true(isnan(s->nodes[0].link_delay_ms) && s->nodes[0].clock_flagged);
    assert_near(s->nodes_late, 5, 0);
    assert_near(s->nodes_refused, 1, 0);
    assert_string_equal(s->sensors[0].node, "a");
    assert_near(s->sensors[0].link_dropped, 4, 0);
    feed_msg_free(&m);
    /* a standalone status has none */
    const char *plain = "status.x {\"v\":1,\"type\":\"status\",\"t\":1,"
                        "\"time\":\"1970-01-01T00:00:01.000Z\",\"node\":\"x\"}";
    assert_int_equal(parse(plain, &m, &e), SG_OK);
    assert_false(m.u.status.has_nodes);
    assert_int_equal(m.u.status.n_nodes, 0);
    feed_msg_free(&m);
    static const struct {
        const char *from, *to, *msg;
    } bad[] = {
        {"\"state\":\"silent\"", "\"state\":\"asleep\"", ".nodes.nodes[0].state"},
        {"\"name\":\"a\",", "", ".nodes.nodes[0].name"},
        {"\"lost\":2,\"late\"", "\"lost\":-2,\"late\"", ".nodes.lost"},
        {"\"clock_flagged\":true", "\"clock_flagged\":1", "clock_flagged"},
        {"\"link_dropped\":4", "\"link_dropped\":\"4\"", "link_dropped"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char buf[1024];
        const char *at = strstr(ok, bad[i].from);
        assert_non_null(at);
        snprintf(buf, sizeof buf, "%.*s%s%s", (int)(at - ok), ok, bad[i].to,
                 at + strlen(bad[i].from));
        memset(&e, 0, sizeof e);
        if (parse(buf, &m, &e) == SG_OK)
            fail_msg("case %zu accepted", i);
        if (!strstr(e.msg, bad[i].msg))
            fail_msg("case %zu: \"%s\" does not name %s", i, e.msg, bad[i].msg);
    }
}

static void test_time_and_names(void **state)
{
    (void)state;
    char buf[FEED_TIME_LEN];
    assert_int_equal(feed_time_iso(1795386600.25, buf, sizeof buf), SG_OK);
    assert_string_equal(buf, "2026-11-22T22:30:00.250Z");
    assert_int_equal(feed_time_iso(0.9999, buf, sizeof buf), SG_OK);
    assert_string_equal(buf, "1970-01-01T00:00:00.999Z");
    assert_int_equal(feed_time_iso(NAN, buf, sizeof buf), SG_ERANGE);
    assert_int_equal(feed_time_iso(-1, buf, sizeof buf), SG_ERANGE);
    assert_int_equal(feed_time_iso(1.0, buf, 10), SG_ERANGE);
    for (int s = 0; s < 4; s++)
        assert_int_equal(sg_severity_parse(sg_severity_name((sg_severity)s)), s);
    assert_int_equal(sg_severity_parse("panic"), -1);
    assert_string_equal(sg_track_status_name(SG_TRACK_COASTING), "coasting");
    assert_string_equal(sg_alert_state_name(SG_ALERT_CLEARED), "cleared");
    assert_string_equal(feed_msg_type_name(FEED_MSG_RF), "rf");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_track),          cmocka_unit_test(test_track_minimal),
        cmocka_unit_test(test_alert_status_rf), cmocka_unit_test(test_rejects),
        cmocka_unit_test(test_frame_level),    cmocka_unit_test(test_time_and_names),
        cmocka_unit_test(test_topic_sanitised_ids),
        cmocka_unit_test(test_status_nodes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
