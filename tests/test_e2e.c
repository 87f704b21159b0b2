/* End to end: the daemon replays the bundled capture of the demo scene
 * (testdata/demo-scenario.json) with the default venue; a subscriber on the feed
 * must see the intruder tracked with its DroneID identity where the scene put it,
 * a critical alert raised before it enters the stadium bowl and cleared once after
 * it leaves, the allow-listed venue drone reported but never alarmed, and status
 * counting every sample with no drop. A late joiner must get a snapshot. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <zmq.h>

#include "geo.h"
#include "zones.h"

#define INTRUDER "1581F5FJB23A0417"
#define VENUE_DRONE "1581F4QDE2270001"
#define SCENE_START 1784572200.0 /* 2026-07-20T18:30:00Z */
#define LOG_PATH SG_BINARY_DIR "/test_e2e_daemon.log"

typedef struct {
    cJSON **msgs;
    size_t n, cap;
} msglist;

static void add(msglist *l, cJSON *j)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 256;
        l->msgs = realloc(l->msgs, l->cap * sizeof *l->msgs);
        assert_non_null(l->msgs);
    }
    l->msgs[l->n++] = j;
}

static const char *str(const cJSON *j, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, k);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static double num(const cJSON *j, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, k);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static bool flag(const cJSON *j, const char *k)
{
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, k));
}

/* Starts the daemon on an ephemeral loopback port; returns its pid and endpoint. */
static pid_t start_daemon(char *endpoint, size_t cap)
{
    unlink(LOG_PATH);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        FILE *f = freopen(LOG_PATH, "w", stdout);
        if (!f)
            _exit(120);
        execl(SG_BINARY_DIR "/skyguardd", "skyguardd", "-c",
              SG_SOURCE_DIR "/config/default-venue.json", "-e", "tcp://127.0.0.1:*",
              "--wait-subscriber", "20", "--linger", "1.5", (char *)NULL);
        _exit(121);
    }
    /* The first log line names the bound endpoint. */
    for (int i = 0; i < 1000; i++) {
        FILE *f = fopen(LOG_PATH, "r");
        char line[512];
        if (f && fgets(line, sizeof line, f)) {
            char *p = strstr(line, "feed on ");
            if (p && strchr(p, '\n')) {
                snprintf(endpoint, cap, "%s", p + 8);
                endpoint[strcspn(endpoint, "\n")] = '\0';
                fclose(f);
                return pid;
            }
        }
        if (f)
            fclose(f);
        usleep(10000);
    }
    kill(pid, SIGKILL);
    fail_msg("daemon did not report its endpoint (see %s)", LOG_PATH);
    return -1;
}

/* Receives until the daemon exits and the socket is quiet. */
static void collect(void *sub, pid_t pid, msglist *out, int *status, void *late, msglist *late_out)
{
    char buf[65536];
    bool exited = false;
    int quiet = 0;
    size_t late_at = 40; /* the late joiner subscribes after this many messages */
    bool late_on = false;
    while (!exited || quiet < 20) {
        zmq_pollitem_t it[2] = {{sub, 0, ZMQ_POLLIN, 0}, {late, 0, ZMQ_POLLIN, 0}};
        int n = zmq_poll(it, late_on ? 2 : 1, 50);
        assert_true(n >= 0);
        for (int s = 0; s < (late_on ? 2 : 1); s++) {
            if (!(it[s].revents & ZMQ_POLLIN))
                continue;
            int len = zmq_recv(it[s].socket, buf, sizeof buf - 1, 0);
            assert_true(len > 0);
            buf[len] = '\0';
            char *sp = strchr(buf, ' ');
            assert_non_null(sp);
            cJSON *j = cJSON_Parse(sp + 1);
            if (!j)
                fail_msg("feed sent invalid JSON: %s", buf);
            assert_int_equal((int)num(j, "v"), 1);
            add(s == 0 ? out : late_out, j);
        }
        if (!late_on && out->n >= late_at) {
            assert_int_equal(zmq_setsockopt(late, ZMQ_SUBSCRIBE, "", 0), 0);
            late_on = true;
        }
        if (!exited && waitpid(pid, status, WNOHANG) == pid)
            exited = true;
        quiet = n == 0 ? quiet + 1 : 0;
    }
}

/* The intruder's true ENU position at scene time ts (the scene's straight line). */
static void intruder_truth(double ts, double p[2])
{
    double a = fmin(fmax(ts / 85.0, 0), 1);
    p[0] = -750 + a * 1200;
    p[1] = 750 - a * 1200;
}

static void test_replay_end_to_end(void **state)
{
    (void)state;
    if (access(SG_SOURCE_DIR "/testdata/demo-stadium.sigmf-data", R_OK) != 0)
        fail_msg("bundled capture testdata/demo-stadium.sigmf-data is missing");
    char ep[256];
    pid_t pid = start_daemon(ep, sizeof ep);
    void *ctx = zmq_ctx_new();
    void *sub = zmq_socket(ctx, ZMQ_SUB), *late = zmq_socket(ctx, ZMQ_SUB);
    int hwm = 100000;
    zmq_setsockopt(sub, ZMQ_RCVHWM, &hwm, sizeof hwm);
    assert_int_equal(zmq_connect(sub, ep), 0);
    assert_int_equal(zmq_connect(late, ep), 0);
    assert_int_equal(zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "", 0), 0);
    msglist all = {0}, late_msgs = {0};
    int status = 0;
    collect(sub, pid, &all, &status, late, &late_msgs);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("daemon exit status %d (log: %s)", status, LOG_PATH);

    uint32_t intruder_id = 0, venue_id = 0;
    size_t n_tracks = 0, near = 0, confirmed = 0;
    double worst = 0;
    for (size_t i = 0; i < all.n; i++) {
        const cJSON *j = all.msgs[i];
        if (strcmp(str(j, "type"), "track") != 0)
            continue;
        n_tracks++;
        if (strcmp(str(j, "identity"), INTRUDER) == 0) {
            assert_string_equal(str(j, "class"), "dji_droneid");
            if (intruder_id == 0)
                intruder_id = (uint32_t)num(j, "id");
            assert_int_equal((uint32_t)num(j, "id"), intruder_id); /* one track, stable id */
            confirmed += strcmp(str(j, "status"), "confirmed") == 0;
            /* position against the scene truth at the message time */
            const cJSON *enu = cJSON_GetObjectItem(j, "enu_m");
            double truth[2];
            intruder_truth(num(j, "t") - SCENE_START - 0.0, truth);
            double err = hypot(cJSON_GetArrayItem(enu, 0)->valuedouble - truth[0],
                               cJSON_GetArrayItem(enu, 1)->valuedouble - truth[1]);
            worst = fmax(worst, err);
            near += err < 30;
            assert_float_equal(num(j, "speed_mps"), 20.0, 8.0);
        } else if (strcmp(str(j, "identity"), VENUE_DRONE) == 0) {
            if (venue_id == 0)
                venue_id = (uint32_t)num(j, "id");
        }
    }
    print_message("e2e: %zu messages, %zu track messages, worst intruder error %.1f m\n", all.n,
                  n_tracks, worst);
    assert_true(intruder_id != 0);
    assert_true(venue_id != 0 && venue_id != intruder_id);
    assert_true(confirmed > 0);
    assert_true(worst < 60);

    /* Alerts: critical raised for the intruder before it enters, cleared once. */
    int raised_before_inside = 0, crit_raised = 0, crit_cleared = 0, venue_alarms = 0,
        venue_reports = 0;
    double ttb_first = NAN, t_raise = NAN;
    for (size_t i = 0; i < all.n; i++) {
        const cJSON *j = all.msgs[i];
        if (strcmp(str(j, "type"), "alert") != 0 || flag(j, "snapshot"))
            continue;
        uint32_t tid = (uint32_t)num(j, "track_id");
        if (tid == venue_id) {
            venue_reports++;
            if (!flag(j, "allow_listed") || strcmp(str(j, "severity"), "info") != 0)
                venue_alarms++;
            continue;
        }
        if (tid != intruder_id || strcmp(str(j, "zone"), "stadium-critical") != 0)
            continue;
        if (strcmp(str(j, "state"), "raised") == 0) {
            crit_raised++;
            assert_string_equal(str(j, "severity"), "critical");
            if (!flag(j, "inside")) {
                raised_before_inside++;
                ttb_first = num(j, "ttb_s");
                t_raise = num(j, "t");
            }
        } else if (strcmp(str(j, "state"), "cleared") == 0) {
            crit_cleared++;
        }
    }
    assert_int_equal(crit_raised, 1);
    assert_int_equal(raised_before_inside, 1);
    assert_int_equal(crit_cleared, 1);
    assert_true(venue_reports > 0);
    assert_int_equal(venue_alarms, 0);
    /* When the intruder really entered the bowl: walk its true line through the zone. */
    double entry_t = NAN;
    {
        geo_frame f;
        assert_int_equal(geo_frame_init(&f, 51.5560 * GEO_DEG, -0.2796 * GEO_DEG, 87.0, NULL), 0);
        zone_set *zs = zones_load(SG_SOURCE_DIR "/testdata/zones/stadium.geojson", &f, NULL);
        assert_non_null(zs);
        const zone *bowl = zones_at(zs, (size_t)zones_find(zs, "stadium-critical"));
        for (double ts = 0; ts < 85 && isnan(entry_t); ts += 0.01) {
            double p[3] = {0, 0, 100};
            intruder_truth(ts, p);
            if (zone_contains(bowl, p))
                entry_t = SCENE_START + ts;
        }
        zones_destroy(zs);
    }
    assert_false(isnan(entry_t));
    print_message("e2e: critical raised %.1f s before entry, predicted %.1f s\n",
                  entry_t - t_raise, ttb_first);
    assert_true(t_raise < entry_t);
    assert_float_equal(t_raise + ttb_first, entry_t, 2.0);

    /* Status: every sample processed, nothing dropped. */
    const cJSON *last_status = NULL;
    for (size_t i = 0; i < all.n; i++)
        if (strcmp(str(all.msgs[i], "type"), "status") == 0)
            last_status = all.msgs[i];
    assert_non_null(last_status);
    assert_int_equal((long long)num(last_status, "samples_processed"), 1717248);
    assert_int_equal((long long)num(last_status, "samples_dropped"), 0);
    assert_int_equal((long long)num(last_status, "publish_dropped"), 0);
    assert_true(num(last_status, "measurements") >= 80);

    /* The late joiner got a snapshot of the tracks. */
    size_t snaps = 0;
    for (size_t i = 0; i < late_msgs.n; i++)
        snaps += flag(late_msgs.msgs[i], "snapshot") &&
                 strcmp(str(late_msgs.msgs[i], "type"), "track") == 0;
    assert_true(snaps >= 1);

    for (size_t i = 0; i < all.n; i++)
        cJSON_Delete(all.msgs[i]);
    for (size_t i = 0; i < late_msgs.n; i++)
        cJSON_Delete(late_msgs.msgs[i]);
    free(all.msgs);
    free(late_msgs.msgs);
    zmq_close(sub);
    zmq_close(late);
    zmq_ctx_term(ctx);
}

static void test_bad_config_exit_code(void **state)
{
    (void)state;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        FILE *f = freopen("/dev/null", "w", stderr);
        (void)f;
        execl(SG_BINARY_DIR "/skyguardd", "skyguardd", "-c", SG_BINARY_DIR "/no-such-venue.json",
              (char *)NULL);
        _exit(121);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_replay_end_to_end),
        cmocka_unit_test(test_bad_config_exit_code),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
