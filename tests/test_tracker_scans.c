/* Tracker scan reports against the spec: in an empty sky a sensor's look with no
 * detection is a miss for the tracks it covers, and only for those (all, a sector, or the
 * detected-only rule); the miss-time rule deletes a landed drone after max_miss_s; a track
 * leaving a sensor's view coasts; invalid scan reports are rejected and counted. Scenes
 * come from the project's scenario generator or are built here, with fixed seeds (printed
 * on failure). The other everyday scenes are in test_tracker_scenes.c. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "scenario.h"
#include "sg_json.h"
#include "tracker.h"
#include "tracker_helpers.h"

/* Follows the scene's one drone: *id becomes the id of the only track once it is confirmed;
 * returns that track's current record (NULL before, or once it is gone from the list). */
static const sg_track *follow_one(tracker *q, uint32_t *id)
{
    const sg_track *tr;
    size_t n;
    tracker_tracks(q, &tr, &n);
    if (!*id && n == 1 && tr[0].status == SG_TRACK_CONFIRMED)
        *id = tr[0].id;
    return *id ? find_id(q, *id) : NULL;
}

/* ---- scan reports ------------------------------------------------------------------- */

/* A drone flies 3 s in front of a 10 Hz position sensor and lands (no more detections).
 * With scan reports its track goes once the empty scans span max_miss_s (0.5 s): at the 6th
 * empty scan, 0.6 s after its last detection; with the time rule off (max_miss_s 0) at the
 * 10th (max_misses = 10), 1.0 s after. Without scan reports nothing says the sensor looked,
 * and the track coasts until max_coast_s (5 s). */
static void test_landing_drone_deleted(void **state)
{
    (void)state;
    for (int run = 0; run < 3; run++) {
        bool with_scans = run < 2;
        tracker *q = mk_tracker(run == 1 ? "{\"max_miss_s\": 0}" : NULL);
        uint32_t id = 0;
        double t_del = NAN, t_last = 0;
        for (int k = 0; k < 100 && isnan(t_del); k++) {
            double t = 100 + 0.1 * k;
            bool flying = k < 30;
            sg_measurement m = mk_pos(t, 3, 5.0 * k * 0.1, 20, 40, 2, NULL);
            tracker_scan sc = scan_all(3, t);
            int rc = tracker_process_scans(q, t, &m, flying ? 1 : 0, &sc, with_scans ? 1 : 0);
            assert_int_equal(rc, 0);
            if (flying)
                t_last = t;
            const sg_track *mine = follow_one(q, &id);
            if (mine && mine->status == SG_TRACK_DELETED)
                t_del = t;
        }
        assert_true(id != 0);
        print_message("%s scan reports%s: track deleted %.2f s after the last detection\n",
                      with_scans ? "with" : "without", run == 1 ? ", max_miss_s 0" : "",
                      t_del - t_last);
        if (run == 0)
            assert_true(fabs(t_del - t_last - 0.6) < 1e-6);
        else if (run == 1)
            assert_true(fabs(t_del - t_last - 1.0) < 1e-6);
        else
            assert_true(isnan(t_del) || t_del - t_last > 4.5);
        check_accounting(q);
        tracker_destroy(q);
    }
}

/* The time rule of consecutive misses (max_miss_s 0.5 s, min_misses 3, the defaults) for
 * three kinds of scan-reporting sensor: a 30 Hz camera (instant frames), a 10 Hz radar
 * (instant scans) and two 4 Hz DF-like sensors whose scans are 0.25 s windows. One drone
 * (5 m/s) is detected every look for 3 s except for a gap of `gap` looks in the middle, a
 * normal detection gap it must survive with its id; then it is gone. Deletion after the last
 * detection: camera 10 frames (max_misses, 0.33 s), radar 6 scans (0.6 s), DF 2 windows of
 * both sensors (0.5 s of windows: 0.625 s after a detection stamped mid-window); all < 1 s,
 * where the count rule alone (max_miss_s 0) would take the DF 5 windows of each (1.375 s). */
typedef struct {
    const char *name;
    double hz, window;   /* looks per second, s of each scan (t0 = t1 - window) */
    int n_sensors, gap;  /* sensors looking together, looks without detection mid-way */
    double want_s;       /* s from the last detection to the deletion */
} rate_case;

static double miss_rule_delete_s(const rate_case *rc, const char *json)
{
    tracker *q = mk_tracker(json);
    uint32_t id = 0;
    double t_last = NAN, t_del = NAN;
    int looks = (int)(6 * rc->hz), seen = (int)(3 * rc->hz), gap0 = seen / 2;
    for (int k = 0; k < looks && isnan(t_del); k++) {
        double t = 50 + k / rc->hz;
        bool det = k < seen && (k < gap0 || k >= gap0 + rc->gap);
        double tm = t - rc->window / 2; /* detections stamped mid-window */
        sg_measurement m[2];
        tracker_scan sc[2];
        for (int s = 0; s < rc->n_sensors; s++) {
            m[s] = mk_pos(tm, 4 + s, 5.0 * (tm - 50), 100, 40, 2, NULL);
            sc[s] = (tracker_scan){.sensor = 4 + s, .t0 = t - rc->window, .t1 = t,
                                   .cover = TRACKER_COVER_ALL};
        }
        assert_int_equal(tracker_process_scans(q, t, m, det ? (size_t)rc->n_sensors : 0, sc,
                                               (size_t)rc->n_sensors),
                         0);
        if (det)
            t_last = tm;
        const sg_track *mine = follow_one(q, &id);
        if (id && k < seen && (!mine || mine->status == SG_TRACK_DELETED))
            fail_msg("%s: the track went in a gap of %d looks (%s)", rc->name, rc->gap,
                     json ? json : "defaults");
        if (mine && mine->status == SG_TRACK_DELETED)
            t_del = t;
    }
    assert_true(id != 0);
    check_accounting(q);
    tracker_destroy(q);
    return t_del - t_last;
}

static void test_miss_time_rule(void **state)
{
    (void)state;
    const rate_case cases[] = {
        {"camera 30 Hz", 30, 0, 1, 8, 10 / 30.0},
        {"radar 10 Hz", 10, 0, 1, 5, 0.6},
        {"DF 4 Hz x 2", 4, 0.25, 2, 1, 0.625},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double d = miss_rule_delete_s(&cases[i], NULL);
        double d_count = miss_rule_delete_s(&cases[i], "{\"max_miss_s\": 0}");
        print_message("%s: deleted %.3f s after the last detection (count rule alone: %.3f s)\n",
                      cases[i].name, d, d_count);
        assert_true(fabs(d - cases[i].want_s) < 1e-6);
        assert_true(d < 1.0 && d <= d_count + 1e-9);
    }
    /* the DF case with the count rule alone: 10 misses, 5 windows of each sensor */
    double d_count = miss_rule_delete_s(&cases[2], "{\"max_miss_s\": 0}");
    assert_true(fabs(d_count - 1.375) < 1e-6);
}

/* Two tracks 400 m apart, west (sensor 0, no scan reports) and east (sensor east_sensor),
 * then 30 scans sc at 10 Hz with no detection: the east track takes a miss per scan and
 * goes at the 10th (the count rule alone: max_miss_s 0), the west one takes none. Returns
 * the tracker (one track left). */
static tracker *west_east_scanned(int east_sensor, tracker_scan sc)
{
    tracker *q = mk_tracker("{\"max_misses\": 10, \"max_miss_s\": 0, \"max_coast_s\": 100}");
    for (int k = 0; k < 10; k++) {
        double t = 0.1 * k;
        sg_measurement m[2] = {mk_pos(t, 0, -200, 0, 30, 2, NULL),
                               mk_pos(t, east_sensor, 200, 0, 30, 2, NULL)};
        assert_int_equal(tracker_process(q, t, m, 2), 0);
    }
    assert_int_equal(n_live(q, true), 2);
    for (int k = 10; k < 40; k++) {
        double t = 0.1 * k;
        sc.t0 = sc.t1 = t;
        assert_int_equal(tracker_process_scans(q, t, NULL, 0, &sc, 1), 0);
        const sg_track *tr;
        size_t n;
        tracker_tracks(q, &tr, &n);
        for (size_t i = 0; i < n; i++) {
            bool east = tr[i].x[0] > 0;
            if (east && k < 19)
                assert_int_equal(tr[i].misses, (uint32_t)(k - 9));
            if (!east)
                assert_int_equal(tr[i].misses, 0);
        }
        if (k >= 19)
            assert_int_equal(n_live(q, false), 1); /* the east track went at the 10th scan */
    }
    const sg_track *tr;
    size_t n;
    tracker_tracks(q, &tr, &n);
    assert_true(n == 1 && tr[0].x[0] < 0 && tr[0].status != SG_TRACK_TENTATIVE);
    return q;
}

/* A camera looks east (az 90 deg, +-30 deg, up to 500 m). A track held by a radar (sensor
 * 0, no scan reports) to the west is outside its view and takes no miss from its frames;
 * one to the east, inside the view, takes a miss per frame while the radar is silent. */
static void test_coverage_sector(void **state)
{
    (void)state;
    tracker_scan cam = {.sensor = 5, .cover = TRACKER_COVER_SECTOR, .az_center = M_PI / 2,
                        .az_half = M_PI / 6, .el_min = -0.2, .el_max = 1.2, .range_max = 500};
    tracker *q = west_east_scanned(0, cam);
    tracker_counts st;
    tracker_stats(q, &st);
    assert_int_equal(st.scan_misses, 10);
    check_accounting(q);
    tracker_destroy(q);
}

/* A drone flies east at 30 m/s, 500 m north of a camera, through its view (the camera at
 * the origin looks north, az +-20 deg, up to 800 m: its scan box) and out of it; the camera detects it only
 * inside the box. Once its predicted position is outside the box the frames charge it
 * nothing (no miss, whatever the time rule), so it is not deleted by misses: it coasts and
 * goes by its own rule, max_coast_s (2 s here) after its last detection. */
static void test_track_leaving_view_coasts(void **state)
{
    (void)state;
    tracker *q = mk_tracker("{\"max_coast_s\": 2}");
    tracker_scan cam = {.sensor = 5, .cover = TRACKER_COVER_SECTOR, .az_center = 0,
                        .az_half = 20 * M_PI / 180, .el_min = -0.2, .el_max = 1.2,
                        .range_max = 800};
    uint32_t id = 0;
    double t_last = NAN, t_del = NAN;
    double x_edge = 500 * tan(cam.az_half); /* 182 m */
    for (int k = 0; k < 700 && isnan(t_del); k++) {
        double t = 10 + k / 30.0, x = -250 + 30 * (t - 10), y = 500;
        cam.t0 = cam.t1 = t;
        double az = atan2(x, y);
        bool seen = fabs(az) <= cam.az_half && hypot(x, y) <= cam.range_max;
        sg_measurement m = mk_pos(t, 5, x, y, 30, 2, NULL);
        assert_int_equal(tracker_process_scans(q, t, &m, seen ? 1 : 0, &cam, 1), 0);
        if (seen)
            t_last = t;
        const sg_track *mine = follow_one(q, &id);
        if (mine && mine->status == SG_TRACK_DELETED)
            t_del = t;
        else if (mine && x > x_edge + 20)
            assert_int_equal(mine->misses, 0); /* well out of the box: charged nothing */
    }
    assert_true(id != 0 && !isnan(t_last));
    tracker_counts st;
    tracker_stats(q, &st);
    print_message("left the view: %llu scan misses, deleted %.2f s after the last detection\n",
                  (unsigned long long)st.scan_misses, t_del - t_last);
    assert_true(st.scan_misses <= 3); /* at most the frames while its prediction crossed the edge */
    assert_true(t_del - t_last > 2.0 && t_del - t_last < 2.0 + 0.05);
    check_accounting(q);
    tracker_destroy(q);
}

/* An RF sensor (7) hears only drones that transmit: its scans cover every target it has
 * detected before (detected_only) and no other. A camera-only track (sensor 0, no scan
 * reports) to the west takes no miss from its empty all-round scans; the east track it fed
 * goes at the 10th. */
static void test_coverage_detected_only(void **state)
{
    (void)state;
    tracker_scan rf = {.sensor = 7, .cover = TRACKER_COVER_ALL, .detected_only = true};
    tracker *q = west_east_scanned(7, rf);
    /* the same scans without detected_only cover the camera-only track too */
    rf.detected_only = false;
    rf.t0 = rf.t1 = 4.0;
    assert_int_equal(tracker_process_scans(q, 4.0, NULL, 0, &rf, 1), 0);
    const sg_track *tr;
    size_t n;
    tracker_tracks(q, &tr, &n);
    assert_true(n == 1 && tr[0].misses == 1);
    tracker_counts st;
    tracker_stats(q, &st);
    assert_int_equal(st.scan_misses, 11);
    check_accounting(q);
    tracker_destroy(q);
}

/* Clutter only, scan-reporting position sensor: a tentative track that is not hit again
 * dies as soon as M hits in N scans can no longer be reached (3 empty scans for 3-of-5), and
 * the table stays at the few tracks started in the last scans. */
static void test_tentative_tracks_do_not_linger(void **state)
{
    (void)state;
    tracker *q = mk_tracker(NULL);
    sg_measurement m = mk_pos(10, 1, 100, 100, 50, 3, NULL);
    tracker_scan sc = scan_all(1, 10);
    assert_int_equal(tracker_process_scans(q, 10, &m, 1, &sc, 1), 0);
    assert_int_equal(n_live(q, false), 1);
    for (int k = 1; k <= 3; k++) {
        sc = scan_all(1, 10 + 0.1 * k);
        assert_int_equal(tracker_process_scans(q, sc.t1, NULL, 0, &sc, 1), 0);
        assert_int_equal(n_live(q, false), k < 3 ? 1u : 0u);
    }
    tracker_destroy(q);

    scen_cfg c;
    scen_cfg_default(&c);
    c.pd = 0;
    c.n_targets = 1;
    c.clutter_per_scan = 20;
    c.duration_s = 20;
    c.scan_reports = true;
    c.seed = 41;
    scenario s = {0};
    sg_errinfo e = {0};
    assert_int_equal(scen_generate(&c, &s, &e), 0);
    q = mk_tracker(NULL);
    size_t k0 = 0, worst = 0;
    for (size_t i = 0; i < s.n_scans; i++) {
        size_t k1 = k0;
        while (k1 < s.n_meas && s.meas[k1].t <= s.scans[i].t1)
            k1++;
        tracker_process_scans(q, s.scans[i].t1, s.meas + k0, k1 - k0, &s.scans[i], 1);
        k0 = k1;
        size_t nl = n_live(q, false);
        if (nl > worst)
            worst = nl;
    }
    tracker_counts st;
    tracker_stats(q, &st);
    print_message("clutter 20/scan, seed %llu: %llu tentative tracks, at most %zu alive, "
                  "%llu confirmed\n",
                  (unsigned long long)c.seed, (unsigned long long)st.tracks_created, worst,
                  (unsigned long long)st.tracks_confirmed);
    /* each lives 3 scans unless fed: ~60 alive, never the growing pile of batch counting */
    assert_true(worst < 5 * 20);
    assert_int_equal(st.tracks_confirmed, 0);
    check_accounting(q);
    tracker_destroy(q);
    scen_free(&s);
}

/* Every kind of bad scan report is counted and skipped, the rest of the call goes on. */
static void test_invalid_scans(void **state)
{
    (void)state;
    tracker *q = mk_tracker(NULL);
    sg_measurement m = mk_pos(50, 0, 0, 0, 10, 2, NULL);
    assert_int_equal(tracker_process(q, 50, &m, 1), 0);
    tracker_scan ok = {.sensor = 2, .t0 = 51, .t1 = 51, .cover = TRACKER_COVER_SECTOR,
                       .az_half = 1, .el_min = 0, .el_max = 1, .range_max = 100};
    tracker_scan bad[9];
    for (int i = 0; i < 9; i++)
        bad[i] = ok;
    bad[0].t0 = NAN;
    bad[1].t0 = 52; /* after t1 */
    bad[2].az_half = 4;
    bad[3].el_min = 1.1;
    bad[4].range_max = 0;
    bad[5].cover = (tracker_cover)7;
    bad[6].t0 = bad[6].t1 = 60; /* after the call's time */
    bad[7].sensor_enu[1] = INFINITY;
    bad[8].t0 = bad[8].t1 = 40; /* older than oosm_window_s */
    for (int i = 0; i < 9; i++) {
        int rc = tracker_process_scans(q, 51, NULL, 0, &bad[i], 1);
        assert_int_equal(rc, i == 8 ? SG_ERANGE : SG_EINVAL);
    }
    assert_int_equal(tracker_process_scans(q, 51, NULL, 0, &ok, 1), 0);
    assert_int_equal(tracker_process_scans(q, 51, NULL, 2, NULL, 0), SG_EINVAL);
    assert_int_equal(tracker_process_scans(q, 51, NULL, 0, NULL, 3), SG_EINVAL);
    tracker_counts st;
    tracker_stats(q, &st);
    assert_int_equal(st.scans_in, 13);
    assert_int_equal(st.scans_used, 1);
    assert_int_equal(st.scan_rej_invalid, 11);
    assert_int_equal(st.scan_rej_too_old, 1);
    check_accounting(q);
    tracker_destroy(q);
}

/* Empty sky from the generator: 10 drones fly 8 s and land, the sensor (no clutter: a
 * clean radar picture) keeps scanning for 7 s. Mean OSPA over the whole run (c = 50 m: every lingering track costs the most) is
 * lower with scan reports, and no confirmed track is left 1.1 s after the landing. */
static void test_empty_sky_scenario(void **state)
{
    (void)state;
    double ospa[2];
    for (int k = 0; k < 2; k++) {
        scen_cfg c;
        scen_cfg_default(&c);
        c.n_targets = 10;
        c.duration_s = 15;
        c.leave_s = 8;
        c.clutter_per_scan = 0;
        c.scan_reports = k == 1;
        c.seed = 5150;
        scenario s;
        scen_result r;
        tracker *q = run_scenario(&c, NULL, &s, &r);
        ospa[k] = r.mean_ospa;
        if (k == 1) {
            /* the tracker ran to the end: nothing confirmed is left */
            assert_int_equal(n_live(q, true), 0);
        }
        check_accounting(q);
        tracker_destroy(q);
        scen_free(&s);
    }
    print_message("empty sky (seed 5150): mean OSPA %.2f m without scan reports, %.2f m with\n",
                  ospa[0], ospa[1]);
    assert_true(ospa[1] < 0.6 * ospa[0]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_landing_drone_deleted),
        cmocka_unit_test(test_miss_time_rule),
        cmocka_unit_test(test_coverage_sector),
        cmocka_unit_test(test_track_leaving_view_coasts),
        cmocka_unit_test(test_coverage_detected_only),
        cmocka_unit_test(test_tentative_tracks_do_not_linger),
        cmocka_unit_test(test_invalid_scans),
        cmocka_unit_test(test_empty_sky_scenario),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
