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

#include "sg_assert.h"

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

#include "daemon_harness.h"
#include "geo.h"
#include "sg_json.h"
#include "zones.h"

#define INTRUDER "1581F5FJB23A0417"
#define VENUE_DRONE "1581F4QDE2270001"
#define SCENE_START 1784572200.0 /* 2026-07-20T18:30:00Z */
#define LOG_PATH SG_BINARY_DIR "/test_e2e_daemon.log"

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
    static const char *const args[] = {"-c", SG_SOURCE_DIR "/config/default-venue.json",
                                       "--linger", "1.5", NULL};
    msglist all = {0}, late_msgs = {0};
    int status = harness_run_late(LOG_PATH, args, &all, &late_msgs, 40);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("daemon exit status %d (log: %s)", status, LOG_PATH);

    const cJSON *intr_dj = NULL; /* the DroneID details of the intruder's last message */
    double intr_dj_t = NAN;
    uint32_t intruder_id = 0, venue_id = 0;
    size_t n_tracks = 0, near = 0, confirmed = 0, intruder_msgs = 0;
    double worst = 0, intr_first = NAN, intr_last = NAN;
    for (size_t i = 0; i < all.n; i++) {
        const cJSON *j = all.msgs[i];
        if (strcmp(jstr(j, "type"), "track") != 0)
            continue;
        n_tracks++;
        if (strcmp(jstr(j, "identity"), INTRUDER) == 0) {
            assert_string_equal(jstr(j, "class"), "dji_droneid");
            if (intruder_id == 0)
                intruder_id = (uint32_t)jnum(j, "id");
            assert_int_equal((uint32_t)jnum(j, "id"), intruder_id); /* one track, stable id */
            confirmed += strcmp(jstr(j, "status"), "confirmed") == 0;
            intruder_msgs++;
            if (isnan(intr_first))
                intr_first = jnum(j, "t");
            intr_last = jnum(j, "t");
            /* position against the scene truth at the message time */
            const cJSON *enu = cJSON_GetObjectItem(j, "enu_m");
            double truth[2];
            intruder_truth(jnum(j, "t") - SCENE_START - 0.0, truth);
            double err = hypot(cJSON_GetArrayItem(enu, 0)->valuedouble - truth[0],
                               cJSON_GetArrayItem(enu, 1)->valuedouble - truth[1]);
            worst = fmax(worst, err);
            near += err < 30;
            assert_near(jnum(j, "speed_mps"), 20.0, 8.0);
            if (cJSON_GetObjectItem(j, "droneid")) {
                intr_dj = cJSON_GetObjectItem(j, "droneid");
                intr_dj_t = jnum(j, "t");
            }
        } else if (strcmp(jstr(j, "identity"), VENUE_DRONE) == 0) {
            if (venue_id == 0)
                venue_id = (uint32_t)jnum(j, "id");
        }
    }
    print_message("e2e: %zu messages, %zu track messages, worst intruder error %.1f m\n", all.n,
                  n_tracks, worst);
    assert_true(intruder_id != 0);
    assert_true(venue_id != 0 && venue_id != intruder_id);
    assert_true(confirmed > 0);
    assert_true(worst < 5); /* DroneID positions are GNSS fixes: the track follows them */
    /* The intruder's track carries every DroneID field of the scene's frames: product 58
     * (Mavic Air 2), 9-symbol layout, state 0x1f07 as sg_democap sends it, 100 m above
     * take-off, the pilot (and home, the scene's default) where the scene put them, the
     * app time on the message's clock. */
    assert_non_null(intr_dj);
    assert_int_equal((int)jnum(intr_dj, "msg_type"), 0x10);
    assert_int_equal((int)jnum(intr_dj, "layout_symbols"), 9);
    assert_int_equal((int)jnum(intr_dj, "product"), 58);
    assert_string_equal(jstr(intr_dj, "product_name"), "Mavic Air 2");
    assert_int_equal((int)jnum(intr_dj, "state"), 0x1f07);
    const cJSON *fl = cJSON_GetObjectItem(intr_dj, "flags");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(fl, "serial_valid")));
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(fl, "home_set")));
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(fl, "privacy_on")));
    assert_true(jnum(intr_dj, "seq") > 0);
    assert_near(jnum(intr_dj, "height_m"), 100, 1.0);
    assert_string_equal(jstr(intr_dj, "height_ref"), "takeoff");
    assert_near(jnum(intr_dj, "app_time"), intr_dj_t, 2.0);
    {
        geo_frame f;
        assert_int_equal(geo_frame_init(&f, 51.5560 * GEO_DEG, -0.2796 * GEO_DEG, 87.0, NULL), 0);
        const double pilot[3] = {-1100, 1050, 1.5};
        double plat, plon, ph, d_p, d_h, az1, az2;
        geo_frame_from_enu(&f, pilot, &plat, &plon, &ph);
        const cJSON *pj = cJSON_GetObjectItem(intr_dj, "pilot"),
                    *hj = cJSON_GetObjectItem(intr_dj, "home");
        assert_non_null(pj);
        assert_non_null(hj);
        assert_int_equal(geo_inverse(plat, plon, jnum(pj, "lat") * GEO_DEG,
                                     jnum(pj, "lon") * GEO_DEG, &d_p, &az1, &az2), 0);
        assert_int_equal(geo_inverse(plat, plon, jnum(hj, "lat") * GEO_DEG,
                                     jnum(hj, "lon") * GEO_DEG, &d_h, &az1, &az2), 0);
        print_message("e2e: DroneID pilot %.2f m, home %.2f m from the scene's\n", d_p, d_h);
        assert_true(d_p < 1.0 && d_h < 1.0); /* 1e-7 rad wire quantisation: 0.6 m */
    }
    /* Each update goes out when it happens (docs/feed-schema.md), not on the 1 s snapshot
     * grid alone: more intruder messages than one per second of its life. */
    print_message("e2e: %zu intruder track messages over %.1f s\n", intruder_msgs,
                  intr_last - intr_first);
    assert_true((double)intruder_msgs > 1.3 * (intr_last - intr_first));

    /* Alerts: critical raised for the intruder before it enters, cleared once. */
    int raised_before_inside = 0, crit_raised = 0, crit_cleared = 0, venue_alarms = 0,
        venue_reports = 0;
    double ttb_first = NAN, t_raise = NAN;
    for (size_t i = 0; i < all.n; i++) {
        const cJSON *j = all.msgs[i];
        if (strcmp(jstr(j, "type"), "alert") != 0 || jflag(j, "snapshot"))
            continue;
        uint32_t tid = (uint32_t)jnum(j, "track_id");
        if (tid == venue_id) {
            venue_reports++;
            if (!jflag(j, "allow_listed") || strcmp(jstr(j, "severity"), "info") != 0)
                venue_alarms++;
            continue;
        }
        if (tid != intruder_id || strcmp(jstr(j, "zone"), "stadium-critical") != 0)
            continue;
        if (strcmp(jstr(j, "state"), "raised") == 0) {
            crit_raised++;
            assert_string_equal(jstr(j, "severity"), "critical");
            if (!jflag(j, "inside")) {
                raised_before_inside++;
                ttb_first = jnum(j, "ttb_s");
                t_raise = jnum(j, "t");
            }
        } else if (strcmp(jstr(j, "state"), "cleared") == 0) {
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
    assert_near(t_raise + ttb_first, entry_t, 2.0);

    /* Status: every sample processed, nothing dropped. */
    const cJSON *last_status = msglist_last(&all, "status");
    assert_non_null(last_status);
    assert_int_equal((long long)jnum(last_status, "samples_processed"), 1717248);
    assert_int_equal((long long)jnum(last_status, "samples_dropped"), 0);
    assert_int_equal((long long)jnum(last_status, "publish_dropped"), 0);
    assert_true(jnum(last_status, "measurements") >= 80);
    /* every DroneID burst of the scene (89) was found and decoded */
    const cJSON *s0 = cJSON_GetArrayItem(cJSON_GetObjectItem(last_status, "sensors"), 0);
    assert_int_equal((int)jnum(s0, "droneid_decoded"), 89);
    assert_int_equal((int)jnum(s0, "droneid_failed"), 0);

    /* RF presence: every emitter heard goes out as rf.*, with its band; one bound to a
     * track says which (docs/feed-schema.md) */
    size_t n_rf = 0, rf_bound = 0;
    for (size_t i = 0; i < all.n; i++) {
        const cJSON *j = all.msgs[i];
        if (strcmp(jstr(j, "type"), "rf") != 0)
            continue;
        n_rf++;
        assert_string_equal(jstr(j, "sensor"), "rf-north-roof");
        assert_string_equal(jstr(j, "class"), "dji_droneid");
        /* the scene's DroneID channels are 2414.5..2459.5 MHz, 9 MHz wide */
        assert_true(jnum(j, "fc_hz") > 2.40e9 && jnum(j, "fc_hz") < 2.47e9);
        assert_true(jnum(j, "bw_hz") > 7.5e6 && jnum(j, "bw_hz") < 10.5e6);
        if (cJSON_GetObjectItem(j, "track_id")) {
            uint32_t tid = (uint32_t)jnum(j, "track_id");
            assert_true(tid == intruder_id || tid == venue_id);
            rf_bound++;
        }
    }
    print_message("e2e: %zu rf messages, %zu bound to a track\n", n_rf, rf_bound);
    assert_true(n_rf >= 10);
    assert_true(rf_bound >= 1);

    /* The late joiner got a snapshot of the tracks and the latest status. */
    size_t snaps = 0, snap_status = 0;
    for (size_t i = 0; i < late_msgs.n; i++) {
        bool snap = jflag(late_msgs.msgs[i], "snapshot");
        snaps += snap && strcmp(jstr(late_msgs.msgs[i], "type"), "track") == 0;
        snap_status += snap && strcmp(jstr(late_msgs.msgs[i], "type"), "status") == 0;
    }
    assert_true(snaps >= 1);
    assert_true(snap_status >= 1);

    msglist_free(&all);
    msglist_free(&late_msgs);
}

/* The default venue with its zones imported from a EUROCAE ED-269 file instead. */
static void test_ed269_zones(void **state)
{
    (void)state;
    FILE *f = fopen(SG_SOURCE_DIR "/config/default-venue.json", "r");
    assert_non_null(f);
    static char text[65536];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    cJSON *v = cJSON_Parse(text);
    assert_non_null(v);
    cJSON_ReplaceItemInObject(v, "zones",
                              cJSON_CreateString(SG_SOURCE_DIR "/testdata/zones/stadium.ed269.json"));
    cJSON_AddStringToObject(v, "zones_format", "ed269");
    cJSON_AddNumberToObject(v, "geoid_undulation_m", 46);
    cJSON_ReplaceItemInObject(v, "signatures",
                              cJSON_CreateString(SG_SOURCE_DIR "/config/signatures.json"));
    cJSON *ad = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(v, "sensors"), 0),
                                    "adapter");
    cJSON_ReplaceItemInObject(ad, "path", cJSON_CreateString(SG_SOURCE_DIR
                                                             "/testdata/demo-stadium.sigmf-meta"));
    char *out = cJSON_Print(v);
    f = fopen(SG_BINARY_DIR "/test_e2e_ed269.json", "w");
    assert_non_null(f);
    fputs(out, f);
    fclose(f);
    free(out);
    cJSON_Delete(v);

    msglist l = {0};
    static const char *const args[] = {"-c", SG_BINARY_DIR "/test_e2e_ed269.json", NULL};
    int status = harness_run(SG_BINARY_DIR "/test_e2e_ed269.log", args, &l);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    /* PROHIBITED -> critical, REQ_AUTHORISATION -> alert: the intruder is warned about
     * the outer zone first, then the inner one, each before it enters */
    int ring = 0, core = 0;
    double t_ring = NAN, t_core = NAN;
    for (size_t i = 0; i < l.n; i++) {
        const cJSON *j = l.msgs[i];
        if (strcmp(jstr(j, "type"), "alert") != 0 || strcmp(jstr(j, "state"), "raised") != 0 ||
            strcmp(jstr(j, "identity"), INTRUDER) != 0)
            continue;
        if (strcmp(jstr(j, "zone"), "GBR-STADIUM-2") == 0 && !ring++) {
            assert_string_equal(jstr(j, "severity"), "alert");
            assert_false(jflag(j, "inside"));
            t_ring = jnum(j, "t") + jnum(j, "ttb_s");
        } else if (strcmp(jstr(j, "zone"), "GBR-STADIUM-1") == 0 && !core++) {
            assert_string_equal(jstr(j, "severity"), "critical");
            assert_false(jflag(j, "inside"));
            t_core = jnum(j, "t") + jnum(j, "ttb_s");
        }
    }
    assert_true(ring >= 1 && core == 1);
    /* predicted entries: the 800 m and 250 m circles on the intruder's straight line */
    double d0 = hypot(750, 750);
    assert_near(t_ring - SCENE_START, (d0 - 800) / 20.0, 1.5);
    assert_near(t_core - SCENE_START, (d0 - 250) / 20.0, 1.5);
    msglist_free(&l);
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

/* Progress lines "replay NN%" in text, rising: how many, and the last percentage. */
static int progress_lines(const char *text, int *last)
{
    int n = 0;
    *last = -1;
    for (const char *p = text; (p = strstr(p, "replay ")); p++) {
        int pc;
        if (sscanf(p, "replay %d%%", &pc) != 1)
            continue;
        assert_true(pc > *last && pc <= 100);
        *last = pc;
        n++;
    }
    return n;
}

/* Runs the demo replay with args (NULL-terminated, after the venue), stdout and stderr
 * to files; returns stdout's text (free()) and writes stderr's into err (free()). */
static char *run_capture(const char *const *args, char **err)
{
    const char *out_p = SG_BINARY_DIR "/test_e2e_progress.out";
    const char *err_p = SG_BINARY_DIR "/test_e2e_progress.err";
    const char *argv[16] = {"skyguardd", "-c", SG_SOURCE_DIR "/config/default-venue.json", "-e",
                            "tcp://127.0.0.1:*", "--linger", "0"};
    size_t n = 7;
    for (size_t i = 0; args[i] && n < 15; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (!freopen(out_p, "w", stdout) || !freopen(err_p, "w", stderr))
            _exit(120);
        execv(SG_BINARY_DIR "/skyguardd", (char *const *)argv);
        _exit(121);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("daemon exit status %d (stderr: %s)", status, err_p);
    char *out = NULL;
    sg_errinfo e;
    assert_int_equal(sg_read_file(out_p, 1 << 22, &out, NULL, &e), SG_OK);
    assert_int_equal(sg_read_file(err_p, 1 << 22, err, NULL, &e), SG_OK);
    return out;
}

/* --progress goes to stderr, so stdout stays the machine-readable event log (every line
 * an event "HH:MM:SS.mmm KIND ...", the start line, an end-of-input note or the
 * summary); with -q stdout is empty and the progress is still on stderr. */
static void test_progress_on_stderr(void **state)
{
    (void)state;
    static const char *const a1[] = {"--progress", NULL}, *const a2[] = {"-q", "--progress", NULL};
    char *err = NULL, *out = run_capture(a1, &err);
    size_t events = 0;
    for (char *line = out, *next; *line; line = next) {
        next = strchr(line, '\n');
        assert_non_null(next);
        *next++ = '\0';
        int h, m, s, ms, k = 0;
        if (sscanf(line, "%2d:%2d:%2d.%3d %n", &h, &m, &s, &ms, &k) == 4 && k == 13)
            events++;
        else if (strncmp(line, "skyguardd: venue ", 17) != 0 &&
                 strncmp(line, "summary: ", 9) != 0 && !strstr(line, ": end of input"))
            fail_msg("stdout line is not an event line: \"%s\"", line);
    }
    assert_true(events > 50);
    int last;
    if (progress_lines(err, &last) < 9 || last < 90) /* one line per 10 % of the file */
        fail_msg("no replay progress on stderr: %s", err);
    free(out);
    free(err);
    out = run_capture(a2, &err);
    assert_string_equal(out, "");
    assert_true(progress_lines(err, &last) >= 9 && last >= 90);
    free(out);
    free(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_replay_end_to_end),
        cmocka_unit_test(test_ed269_zones),
        cmocka_unit_test(test_bad_config_exit_code),
        cmocka_unit_test(test_progress_on_stderr),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
