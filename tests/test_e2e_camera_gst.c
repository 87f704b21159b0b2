/* Cameras through the daemon: a GStreamer source becomes bearing measurements and a
 * bearing-only track on the feed, with frame counts in status.
 *   - videotestsrc's moving ball (always available) with a single camera and the
 *     tracker's single-sensor "ray" initiation;
 *   - the real drone clip V_DRONE_001 (skipped when the fixtures are absent): the
 *     drone gives bearings in most frames. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon_harness.h"

#define B SG_BINARY_DIR "/test_cam_e2e"
#define CLIP SG_FIXTURES_DIR "/video/V_DRONE_001.mp4"

static void write_venue(const char *path, const char *adapter, const char *tracker)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f,
            "{\"version\": 1, \"site\": {\"name\": \"camera test\", \"origin\": {\"lat_deg\": "
            "51.556, \"lon_deg\": -0.2796, \"alt_m\": 87}},\n"
            " \"zones\": \"%s/testdata/zones/stadium.geojson\",\n"
            " \"signatures\": \"%s/config/signatures.json\",\n"
            " \"sensors\": [{\"id\": \"cam-1\", \"kind\": \"camera\", \"position\": {\"lat_deg\": "
            "51.556, \"lon_deg\": -0.2796, \"alt_m\": 120},\n"
            "   \"orientation\": {\"yaw_deg\": 45, \"pitch_deg\": 20, \"roll_deg\": 0},\n"
            "   \"adapter\": %s}],\n"
            " \"tracker\": %s}\n",
            SG_SOURCE_DIR, SG_SOURCE_DIR, adapter, tracker);
    fclose(f);
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
    static const char *const args[] = {"-c", B "/ball.json", NULL};
    int status = harness_run(B "/ball.log", args, &l);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ball_bearing_track),
        cmocka_unit_test(test_real_drone_clip),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
