/* End to end, the feed keeping its own contract (docs/feed-schema.md; issue 22): the
 * daemon replays the bundled demo capture and every message is checked for what the
 * schema promises beyond its shape: RF presence reaches the feed (one rf. message per
 * RF report the daemon logs, attached to a track or not) with its centre frequency and
 * occupied bandwidth, and the track that explains it when there is one; every "time" names the millisecond of "t" (never 1 ms behind);
 * a late joiner's snapshot includes the daemon's status. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sg_assert.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <zmq.h>

#include "daemon_harness.h"
#include "sg_error.h"
#include "sg_jsonw.h"

#define LOG_PATH SG_BINARY_DIR "/test_e2e_feed_contract.log"

static size_t log_count(const char *path, const char *text)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    static char line[4096];
    size_t n = 0;
    while (fgets(line, sizeof line, f))
        n += strstr(line, text) != NULL;
    fclose(f);
    return n;
}

static void test_demo_feed_contract(void **state)
{
    (void)state;
    static const char *const args[] = {"-c", SG_SOURCE_DIR "/config/default-venue.json",
                                       "--linger", "1.5", NULL};
    char ep[256];
    pid_t pid = harness_start(LOG_PATH, args, ep, sizeof ep);
    void *ctx = zmq_ctx_new();
    void *sub = zmq_socket(ctx, ZMQ_SUB), *late = zmq_socket(ctx, ZMQ_SUB);
    int hwm = 100000;
    zmq_setsockopt(sub, ZMQ_RCVHWM, &hwm, sizeof hwm);
    assert_int_equal(zmq_connect(sub, ep), 0);
    assert_int_equal(zmq_connect(late, ep), 0);
    assert_int_equal(zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "", 0), 0);
    msglist all = {0}, late_msgs = {0};
    int status = 0;
    harness_collect(sub, pid, &all, &status, late, &late_msgs, 60);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("daemon exit status %d (log: %s)", status, LOG_PATH);

    /* RF presence: every logged report is on the feed, with frequency and bandwidth */
    size_t rf = 0, rf_reports = log_count(LOG_PATH, " RF    ");
    assert_true(rf_reports > 10);
    for (size_t i = 0; i < all.n; i++) {
        const cJSON *j = all.msgs[i];
        if (strcmp(jstr(j, "type"), "rf") != 0)
            continue;
        rf++;
        double fc = jnum(j, "fc_hz"), bw = jnum(j, "bw_hz");
        /* the demo's drone: DroneID at 2444.5 MHz, ~9 MHz occupied */
        if (!(fabs(fc - 2444.5e6) < 1e6) || !(bw > 5e6 && bw < 11e6))
            fail_msg("%s: fc_hz %.0f bw_hz %.0f", all.topics[i], fc, bw);
        assert_true(jnum(j, "first_t") <= jnum(j, "last_t"));
    }
    print_message("e2e feed: %zu rf messages for %zu RF reports\n", rf, rf_reports);
    assert_true(rf >= rf_reports);
    /* a report the fusion explains by a track names it: the intruder's decoded DroneID */
    double intruder = NAN;
    size_t explained = 0;
    for (size_t i = 0; i < all.n; i++)
        if (!strcmp(jstr(all.msgs[i], "type"), "track") &&
            !strcmp(jstr(all.msgs[i], "identity"), "1581F5FJB23A0417"))
            intruder = jnum(all.msgs[i], "id");
    assert_false(isnan(intruder));
    for (size_t i = 0; i < all.n; i++) {
        const cJSON *j = all.msgs[i];
        if (strcmp(jstr(j, "type"), "rf") != 0 || isnan(jnum(j, "track_id")))
            continue;
        explained++;
        assert_near(jnum(j, "track_id"), intruder, 0);
        assert_string_equal(jstr(j, "identity"), "1581F5FJB23A0417");
    }
    assert_true(explained >= 1);

    /* "time" is the millisecond t falls in: never later, never 1 ms behind */
    for (size_t i = 0; i < all.n; i++) {
        const cJSON *j = all.msgs[i];
        double t = jnum(j, "t"), tt;
        const char *iso = jstr(j, "time");
        if (sg_time_parse_iso8601(iso, &tt) != SG_OK)
            fail_msg("%s: bad time \"%s\"", all.topics[i], iso);
        if (!(tt <= t + 1e-6 && t - tt < 1e-3 - 1e-6))
            fail_msg("%s: time %s for t %.6f (%.3f ms apart)", all.topics[i], iso, t,
                     (t - tt) * 1e3);
    }

    /* the late joiner's snapshot has tracks and the status */
    bool late_status = false, late_track = false;
    for (size_t i = 0; i < late_msgs.n; i++) {
        const cJSON *j = late_msgs.msgs[i];
        if (!jflag(j, "snapshot"))
            continue;
        late_status = late_status || strcmp(jstr(j, "type"), "status") == 0;
        late_track = late_track || strcmp(jstr(j, "type"), "track") == 0;
    }
    assert_true(late_track);
    assert_true(late_status);
    msglist_free(&all);
    msglist_free(&late_msgs);
    zmq_close(sub);
    zmq_close(late);
    zmq_ctx_term(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_demo_feed_contract)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
