/* Cameras through the daemon: a GStreamer source becomes bearing measurements and a
 * bearing-only track on the feed, with frame counts in status.
 *   - videotestsrc's moving ball (always available) with a single camera and the
 *     tracker's single-sensor "ray" initiation;
 *   - the real drone clip V_DRONE_001 (skipped when the fixtures are absent): the
 *     drone gives bearings in most frames;
 *   - scan reports: the ball for 2 s, then black frames (the drone landed or left); with
 *     the camera's scan_range_m each frame is a scan of its view, so the ball's track is
 *     deleted within 1 s, and without it (no scan reports) it is not. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon_harness.h"

#define B SG_BINARY_DIR "/test_cam_e2e"
#define CLIP SG_FIXTURES_DIR "/video/V_DRONE_001.mp4"

static void write_venue_scan(const char *path, const char *adapter, const char *tracker,
                             const char *scan)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f,
            "{\"version\": 1, \"site\": {\"name\": \"camera test\", \"origin\": {\"lat_deg\": "
            "51.556, \"lon_deg\": -0.2796, \"alt_m\": 87}},\n"
            " \"zones\": \"%s/testdata/zones/stadium.geojson\",\n"
            " \"signatures\": \"%s/config/signatures.json\",\n"
            " \"sensors\": [{\"id\": \"cam-1\", \"kind\": \"camera\",%s \"position\": {\"lat_deg\": "
            "51.556, \"lon_deg\": -0.2796, \"alt_m\": 120},\n"
            "   \"orientation\": {\"yaw_deg\": 45, \"pitch_deg\": 20, \"roll_deg\": 0},\n"
            "   \"adapter\": %s}],\n"
            " \"tracker\": %s}\n",
            SG_SOURCE_DIR, SG_SOURCE_DIR, scan, adapter, tracker);
    fclose(f);
}

static void write_venue(const char *path, const char *adapter, const char *tracker)
{
    write_venue_scan(path, adapter, tracker, "");
}

static int setup(void **state)
{
    (void)state;
    return system("rm -rf " B " && mkdir -p " B);
}

static const cJSON *cam_status(const msglist *l)
{
    const cJSON *st = msglist_last(l, "status");
    assert_non_null(st);
    return cJSON_GetArrayItem(cJSON_GetObjectItem(st, "sensors"), 0);
}

static void test_ball_bearing_track(void **state)
{
    (void)state;
    write_venue(B "/ball.json",
                "{\"type\": \"gstreamer\", \"pipeline\": \"videotestsrc pattern=ball "
                "num-buffers=150 ! video/x-raw,format=I420,width=320,height=240,framerate=30/1\","
                " \"hfov_deg\": 50, \"t0\": 1784572200,"
                " \"detector\": {\"radius\": 25, \"border\": 2, \"polarity\": \"bright\"}}",
                "{\"bearing_init\": \"ray\", \"bearing_nominal_range\": 300}");
    msglist l = {0};
    static const char *const args[] = {"-c", B "/ball.json", "--record-out", B "/ball.jsonl",
                                       NULL};
    int status = harness_run(B "/ball.log", args, &l);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    harness_schema_check(B "/ball.jsonl", "track,status", NULL); /* camera counters, class */
    size_t tracks = 0;
    for (size_t i = 0; i < l.n; i++) {
        const cJSON *j = l.msgs[i];
        if (strcmp(jstr(j, "type"), "track") != 0)
            continue;
        tracks++;
        assert_string_equal(jstr(j, "class"), "camera_object");
        assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "sensors"), 0)->valuestring,
                            "cam-1");
    }
    const cJSON *s0 = cam_status(&l);
    print_message("ball: %g frames, %g bearings, %zu track messages\n", jnum(s0, "frames"),
                  jnum(s0, "bearings"), tracks);
    assert_int_equal((int)jnum(s0, "frames"), 150);
    /* detector overflow counters are reported (zero: one ball) */
    assert_non_null(cJSON_GetObjectItem(s0, "blobs_dropped"));
    assert_int_equal((int)jnum(s0, "blobs_dropped"), 0);
    assert_int_equal((int)jnum(s0, "tracklets_dropped"), 0);
    assert_true(jnum(s0, "bearings") >= 100);
    assert_true(tracks >= 1);
    msglist_free(&l);
}

static void test_real_drone_clip(void **state)
{
    (void)state;
    if (access(CLIP, R_OK) != 0) {
        print_message("skipped: %s absent\n", CLIP);
        skip();
    }
    char adapter[1024];
    snprintf(adapter, sizeof adapter,
             "{\"type\": \"gstreamer\", \"file\": \"%s\", \"hfov_deg\": 40, \"t0\": 1784572200,"
             " \"max_seconds\": 4}", CLIP);
    write_venue(B "/clip.json", adapter, "{\"bearing_init\": \"ray\"}");
    msglist l = {0};
    static const char *const args[] = {"-c", B "/clip.json", NULL};
    int status = harness_run(B "/clip.log", args, &l);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    const cJSON *s0 = cam_status(&l);
    print_message("V_DRONE_001 (4 s): %g frames, %g detections, %g bearings\n",
                  jnum(s0, "frames"), jnum(s0, "detections"), jnum(s0, "bearings"));
    assert_true(jnum(s0, "frames") >= 100);
    /* the drone is in every frame; tree-line clutter adds more (docs/camera.md) */
    assert_true(jnum(s0, "bearings") >= 90);
    msglist_free(&l);
}

#define BALL_T0 1784572200.0
#define BALL_LAST (BALL_T0 + 59 / 30.0) /* the ball's last frame (60 at 30 fps) */

/* The ball for 60 frames, then 90 black frames: tracks deleted within 1 s of the ball's
 * last frame (returned), and whether a track left alive at the end is inside the view
 * (camera at ENU (0, 0, 33) m looking at az 45, el 20 deg, +-25 deg wide); *scans gets the
 * status's count of scans the tracker applied. */
static int ball_vanishes(const char *name, const char *scan, bool *alive_in_view, double *scans)
{
    char venue[300], out[300], log[300];
    snprintf(venue, sizeof venue, B "/%s.json", name);
    snprintf(out, sizeof out, B "/%s.jsonl", name);
    snprintf(log, sizeof log, B "/%s.log", name);
    const char *caps = "video/x-raw,format=I420,width=320,height=240,framerate=30/1";
    char adapter[1024];
    snprintf(adapter, sizeof adapter,
             "{\"type\": \"gstreamer\", \"pipeline\": \"videotestsrc pattern=ball num-buffers=60"
             " ! %s ! c. videotestsrc pattern=black num-buffers=90 ! %s ! c. concat name=c\","
             " \"hfov_deg\": 50, \"t0\": %.0f,"
             " \"detector\": {\"radius\": 25, \"border\": 2, \"polarity\": \"bright\"}}",
             caps, caps, BALL_T0);
    write_venue_scan(venue, adapter, "{\"bearing_init\": \"ray\", \"bearing_nominal_range\": 300}",
                     scan);
    msglist l = {0};
    const char *const args[] = {"-c", venue, "--record-out", out, NULL};
    int status = harness_run(log, args, &l);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    harness_schema_check(out, "track,status", NULL);
    int deleted = 0;
    uint32_t last_id[64] = {0};
    const cJSON *last[64] = {NULL};
    for (size_t i = 0; i < l.n; i++) {
        const cJSON *j = l.msgs[i];
        if (strcmp(jstr(j, "type"), "track") != 0)
            continue;
        uint32_t id = (uint32_t)jnum(j, "id");
        double t = jnum(j, "t");
        if (strcmp(jstr(j, "status"), "deleted") == 0 && t > BALL_LAST && t < BALL_LAST + 1.0)
            deleted++;
        last_id[id % 64] = id;
        last[id % 64] = j;
    }
    /* the status counts the scans the tracker applied (one per frame) and refused */
    const cJSON *st = msglist_last(&l, "status");
    assert_non_null(st);
    *scans = jnum(st, "scans");
    assert_true(jnum(st, "scans_rejected") == 0);
    *alive_in_view = false;
    for (int k = 0; k < 64; k++) {
        if (!last[k] || strcmp(jstr(last[k], "status"), "deleted") == 0)
            continue;
        const cJSON *enu = cJSON_GetObjectItem(last[k], "enu_m");
        double dx = cJSON_GetArrayItem(enu, 0)->valuedouble;
        double dy = cJSON_GetArrayItem(enu, 1)->valuedouble;
        double dz = cJSON_GetArrayItem(enu, 2)->valuedouble - 33;
        double az = atan2(dx, dy) * 180 / M_PI, el = atan2(dz, hypot(dx, dy)) * 180 / M_PI;
        bool in = fabs(az - 45) < 25 && fabs(el - 20) < 19 && sqrt(dx * dx + dy * dy + dz * dz) > 1;
        print_message("%s: track %u alive at the end, az %.0f el %.0f deg: %s the view\n", name,
                      last_id[k], az, el, in ? "in" : "outside");
        *alive_in_view = *alive_in_view || in;
    }
    msglist_free(&l);
    return deleted;
}

static void test_ball_vanishes_scan_reports(void **state)
{
    (void)state;
    bool in_view;
    double scans;
    int with = ball_vanishes("scan", " \"scan_range_m\": 2000,", &in_view, &scans);
    print_message("with scan reports: %d tracks deleted within 1 s of the ball's last frame\n",
                  with);
    assert_true(with >= 1);
    assert_false(in_view);
    print_message("status: %.0f scans applied (150 frames)\n", scans);
    assert_true(scans >= 100 && scans <= 150);
    int without = ball_vanishes("noscan", "", &in_view, &scans);
    print_message("without: %d tracks deleted within 1 s\n", without);
    assert_int_equal(without, 0);
    assert_true(scans == 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ball_bearing_track),
        cmocka_unit_test(test_real_drone_clip),
        cmocka_unit_test(test_ball_vanishes_scan_reports),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
