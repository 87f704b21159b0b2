/* Tracker behaviour against the spec: crossing targets keep their ids, clutter at stated
 * densities does not make confirmed tracks, two-sensor bearing triangulation converges,
 * out-of-sequence measurements match in-order processing, identity binding / non-merge /
 * re-initialisation, deleted tracks reported once, coasting. (Invalid measurements and
 * configuration: test_tracker_input.c.) All data comes from the project's scenario
 * generator or is built here, with fixed seeds. */
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

static size_t count_status(tracker *q, sg_track_status st)
{
    const sg_track *t;
    size_t n, k = 0;
    tracker_tracks(q, &t, &n);
    for (size_t i = 0; i < n; i++)
        k += t[i].status == st;
    return k;
}

/* ---- crossing ------------------------------------------------------------------------ */

/* Two targets at the same altitude, 12.5 m/s, passing through the same point at the same
 * time at 60 and 90 degrees; 5 m position noise, Pd 0.9, 10 clutter/scan, 10 Hz, 20 s. */
static void test_crossing_keeps_ids(void **state)
{
    (void)state;
    const double angles[] = {60, 90};
    for (size_t a = 0; a < 2; a++)
        for (uint64_t seed = 1; seed <= 5; seed++) {
            scen_cfg c;
            scen_cfg_default(&c);
            c.kind = SCEN_CROSSING;
            c.n_targets = 2;
            c.cross_angle_deg = angles[a];
            c.seed = seed;
            scenario s;
            scen_result r;
            tracker *q = run_scenario(&c, NULL, &s, &r);
            if (r.id_switches || r.confirmed_ids != 2 || r.false_confirmed || r.mean_ospa > 6)
                fail_msg("crossing %g deg seed %llu: %zu id switches, %zu confirmed ids, %zu "
                         "false, mean OSPA %.2f m",
                         angles[a], (unsigned long long)seed, r.id_switches, r.confirmed_ids,
                         r.false_confirmed, r.mean_ospa);
            tracker_destroy(q);
            scen_free(&s);
        }
}

/* ---- clutter ----------------------------------------------------------------------- */

typedef struct {
    double per_scan, region, expect_max;
    const char *cfg;
} clutter_case;

/* Clutter only (Pd = 0), uniform in a box of (2 region)^2 x 270 m, 10 Hz for 60 s.
 * Case 1: 10/scan over 4 km x 4 km (2.3e-9 /m^3/scan): a new track's gate (~1e5 m^3) holds
 * a clutter point with probability ~2.5e-4 per scan, so 3-of-5 confirms ~4e-7 of clutter
 * starts: none allowed. Case 2: 100/scan over 1 km x 1 km (3.7e-7 /m^3/scan): ~0.04 per gate
 * per scan, 2 more hits in 4 scans ~1e-2: at most 1e-2 confirmed per clutter point.
 * Case 3: the same density with 5-of-7 confirmation (~1e-5 expected): none allowed.
 * (Fixed M-of-N: the clutter-adaptive rule is tested in test_tracker_scenes.c.) */
static void test_clutter_rates(void **state)
{
    (void)state;
    const clutter_case cases[] = {{10, 2000, 0, NULL},
                                  {100, 500, 0.01, "{\"confirm_adapt\": false}"},
                                  {100, 500, 0, "{\"confirm_m\": 5, \"confirm_n\": 7, "
                                                "\"confirm_adapt\": false}"}};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        scen_cfg c;
        scen_cfg_default(&c);
        c.n_targets = 1;
        c.pd = 0;
        c.duration_s = 60;
        c.clutter_per_scan = cases[k].per_scan;
        c.region_m = cases[k].region;
        c.seed = 77 + k;
        scenario s;
        scen_result r;
        tracker *q = run_scenario(&c, cases[k].cfg, &s, &r);
        tracker_counts st;
        tracker_stats(q, &st);
        double rate = (double)st.tracks_confirmed / (double)s.n_clutter;
        print_message("clutter %.0f/scan over %.0f m square: %zu clutter points, %llu tentative "
                      "tracks, %llu confirmed (%.2e per clutter point), %u active at end\n",
                      cases[k].per_scan, 2 * cases[k].region, s.n_clutter,
                      (unsigned long long)st.tracks_created,
                      (unsigned long long)st.tracks_confirmed, rate, st.tracks_active);
        if (cases[k].expect_max == 0)
            assert_int_equal(st.tracks_confirmed, 0);
        else
            assert_true(rate <= cases[k].expect_max);
        /* tentative clutter tracks die: the table does not grow with time */
        assert_true(st.tracks_active < 6 * cases[k].per_scan);
        tracker_destroy(q);
        scen_free(&s);
    }
}

/* ---- bearings ----------------------------------------------------------------------- */

/* Two cameras 600 m apart, 2 mrad bearing noise, one target 600-1100 m away, Pd 1,
 * one clutter bearing per sensor per scan: a single confirmed track within 10 m. */
static void test_bearing_triangulation(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 3; seed++) {
        scen_cfg c;
        scen_cfg_default(&c);
        c.sensor = SCEN_SENSOR_BEARING2;
        c.n_targets = 1;
        c.region_m = 500;
        c.pd = 1;
        c.clutter_per_scan = 1;
        c.ang_sd = 0.002;
        c.duration_s = 15;
        c.seed = seed;
        scenario s;
        scen_result r;
        tracker *q = run_scenario(&c, NULL, &s, &r);
        /* final error of the confirmed track */
        const sg_track *t;
        size_t n;
        tracker_tracks(q, &t, &n);
        const scen_truth *tr = &s.truth[s.n_truth - 1];
        double best = INFINITY;
        for (size_t i = 0; i < n; i++) {
            if (t[i].status != SG_TRACK_CONFIRMED)
                continue;
            double d = sqrt(pow(t[i].x[0] - tr->p[0], 2) + pow(t[i].x[1] - tr->p[1], 2) +
                            pow(t[i].x[2] - tr->p[2], 2));
            if (d < best)
                best = d;
        }
        tracker_counts st;
        tracker_stats(q, &st);
        print_message("bearing seed %llu: final error %.2f m, mean OSPA %.2f m, paired %llu\n",
                      (unsigned long long)seed, best, r.mean_ospa,
                      (unsigned long long)st.bearing_paired);
        if (!(best < 10) || r.id_switches || r.false_confirmed || r.confirmed_ids != 1)
            fail_msg("bearing-only seed %llu: error %.2f m, %zu switches, %zu false, %zu ids",
                     (unsigned long long)seed, best, r.id_switches, r.false_confirmed,
                     r.confirmed_ids);
        tracker_destroy(q);
        scen_free(&s);
    }
}

/* Three and five targets seen by the same two cameras for 30 s: every target gets one
 * confirmed track and no ghost (a true bearing crossed by another target's or a clutter
 * bearing) is confirmed, because a pair-initiated track needs fresh hits from two sensors. */
static void test_bearing_multi_target_no_ghosts(void **state)
{
    (void)state;
    static const struct {
        int n;
        uint64_t seed;
        double clutter, pd, ang_sd;
        const char *cfg;
    } cases[] = {
        {3, 5, 1, 0.9, 0.002, NULL},
        {3, 6, 1, 0.9, 0.002, NULL},
        {5, 5, 1, 0.9, 0.002, NULL},
        {5, 6, 1, 0.9, 0.002, NULL},
        /* heavy clutter: 10 bearings per camera per frame inside the watched volume needs
         * 4-of-6 (3-of-5 confirms 10 short-lived clutter tracks in 30 s here) */
        {3, 2, 10, 0.9, 0.003, "{\"confirm_m\": 4, \"confirm_n\": 6}"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        scen_cfg c;
        scen_cfg_default(&c);
        c.sensor = SCEN_SENSOR_BEARING2;
        c.n_targets = cases[k].n;
        c.region_m = 500;
        c.clutter_per_scan = cases[k].clutter;
        c.pd = cases[k].pd;
        c.ang_sd = cases[k].ang_sd;
        c.duration_s = 30;
        c.seed = cases[k].seed;
        scenario s;
        scen_result r;
        tracker *q = run_scenario(&c, cases[k].cfg, &s, &r);
        print_message("bearing %d targets seed %llu: mean OSPA %.2f m, %zu ids, %zu false\n",
                      cases[k].n, (unsigned long long)cases[k].seed, r.mean_ospa,
                      r.confirmed_ids, r.false_confirmed);
        if (r.false_confirmed || r.confirmed_ids != (size_t)cases[k].n || r.id_switches ||
            r.mean_ospa > 5)
            fail_msg("%d targets seed %llu: %zu ids, %zu false, %zu switches, OSPA %.2f m",
                     cases[k].n, (unsigned long long)cases[k].seed, r.confirmed_ids,
                     r.false_confirmed, r.id_switches, r.mean_ospa);
        tracker_destroy(q);
        scen_free(&s);
    }
}

/* A single camera with "ray" initiation: a tentative track on the ray at the nominal range. */
static void test_bearing_ray_init(void **state)
{
    (void)state;
    tracker *q = mk_tracker("{\"bearing_init\": \"ray\", \"bearing_nominal_range\": 400}");
    sg_measurement m;
    memset(&m, 0, sizeof m);
    m.t = 100;
    m.type = SG_MEAS_BEARING;
    m.sensor = 3;
    m.sensor_enu[0] = 10;
    m.z[0] = M_PI / 2; /* due east */
    m.z[1] = 0;
    m.R[0] = m.R[3] = 1e-4;
    assert_int_equal(tracker_process(q, 100, &m, 1), 0);
    const sg_track *t;
    size_t n;
    tracker_tracks(q, &t, &n);
    assert_int_equal(n, 1);
    assert_true(fabs(t[0].x[0] - 410) < 1e-6 && fabs(t[0].x[1]) < 1e-6);
    /* along-ray (east) variance is the configured range sd^2, across it is tiny */
    assert_true(fabs(t[0].P[0] - 150.0 * 150.0) < 1);
    assert_true(t[0].P[7] < 100);
    tracker_destroy(q);
}

/* ---- out-of-sequence ------------------------------------------------------------------- */

/* Two position sensors observe two targets every 0.1 s; sensor 1's batch arrives one scan
 * late. The final states must equal in-order processing. */
static void run_two_sensor(tracker *q, bool late, int scans)
{
    uint64_t rng = 5;
    sg_measurement b0[2], b1[2], prev1[2];
    bool have_prev = false;
    for (int k = 0; k <= scans; k++) {
        double t = 1000 + 0.1 * k;
        for (int i = 0; i < 2; i++) {
            double x = -50 + 10 * 0.1 * k, y = i * 200 + 3 * 0.1 * k;
            b0[i] = mk_pos(t, 0, x + 3 * scen_nrand(&rng), y + 3 * scen_nrand(&rng),
                           100 + 3 * scen_nrand(&rng), 3, NULL);
            b1[i] = mk_pos(t, 1, x + 4 * scen_nrand(&rng), y + 4 * scen_nrand(&rng),
                           100 + 4 * scen_nrand(&rng), 4, NULL);
        }
        if (!late) {
            sg_measurement all[4] = {b0[0], b0[1], b1[0], b1[1]};
            assert_true(tracker_process(q, t, all, 4) == 0);
        } else {
            assert_true(tracker_process(q, t, b0, 2) == 0);
            if (have_prev)
                assert_true(tracker_process(q, t, prev1, 2) == 0);
            memcpy(prev1, b1, sizeof prev1);
            have_prev = true;
        }
    }
    if (late) /* the last late batch */
        assert_true(tracker_process(q, 1000 + 0.1 * scans, prev1, 2) == 0);
}

static void test_oosm_matches_in_order(void **state)
{
    (void)state;
    /* every model: each has its own history entry size (hist_esz) */
    const char *models[] = {"{\"model\": \"ncv\"}", "{\"model\": \"ca\"}", "{\"model\": \"imm\"}",
                            "{\"model\": \"ct\"}", "{\"model\": \"imm_ct\"}"};
    for (int mo = 0; mo < 5; mo++) {
        tracker *a = mk_tracker(models[mo]), *b = mk_tracker(models[mo]);
        run_two_sensor(a, false, 50);
        run_two_sensor(b, true, 50);
        const sg_track *ta, *tb;
        size_t na, nb;
        tracker_tracks(a, &ta, &na);
        tracker_tracks(b, &tb, &nb);
        assert_int_equal(na, 2);
        assert_int_equal(nb, 2);
        tracker_counts sb;
        tracker_stats(b, &sb);
        assert_true(sb.oosm_used >= 98);
        /* exact for the linear models; IMM mixes per prediction step and CT's covariance is
         * predicted through a Jacobian, so nearly */
        double tol = mo >= 2 ? 0.5 : 1e-6;
        for (size_t i = 0; i < 2; i++) {
            const sg_track *x = &ta[i], *y = find_id(b, ta[i].id);
            assert_non_null(y);
            assert_true(x->t == y->t);
            for (int k = 0; k < 6; k++)
                if (fabs(x->x[k] - y->x[k]) > tol)
                    fail_msg("model %s track %u x[%d]: in order %.9f, late %.9f", models[mo],
                             x->id, k, x->x[k], y->x[k]);
            assert_int_equal(x->hits, y->hits);
        }
        check_accounting(a);
        check_accounting(b);
        tracker_destroy(a);
        tracker_destroy(b);
    }
}

static void test_oosm_outside_window(void **state)
{
    (void)state;
    tracker *q = mk_tracker("{\"oosm_window_s\": 0.5}");
    feed_straight(q, 21, 10, 0, 1, 2);
    const sg_track *t;
    size_t n;
    tracker_tracks(q, &t, &n);
    assert_int_equal(n, 1);
    sg_track before = t[0];
    /* 1 s late with a 0.5 s window: dropped, counted, state untouched */
    sg_measurement old = mk_pos(11.0, 1, 10, 0, 50, 2, NULL);
    assert_int_equal(tracker_process(q, 12.0, &old, 1), SG_ERANGE);
    tracker_counts st;
    tracker_stats(q, &st);
    assert_int_equal(st.rej_too_old, 1);
    tracker_tracks(q, &t, &n);
    assert_int_equal(n, 1);
    assert_int_equal(t[0].hits, before.hits);
    assert_true(memcmp(t[0].x, before.x, sizeof before.x) == 0);
    check_accounting(q);
    tracker_destroy(q);
}

/* Measurements arriving one at a time from two unsynchronised sensors. */
static void test_async_single_measurements(void **state)
{
    (void)state;
    tracker *q = mk_tracker(NULL);
    uint64_t rng = 11;
    for (int k = 0; k < 100; k++) {
        double t = 50 + 0.1 * k;
        sg_measurement m = mk_pos(t, 0, 5 * t + 2 * scen_nrand(&rng), 2 * scen_nrand(&rng),
                                  80 + 2 * scen_nrand(&rng), 2, NULL);
        assert_int_equal(tracker_process(q, t, &m, 1), 0);
        double t2 = t + 0.037;
        m = mk_pos(t2, 1, 5 * t2 + 4 * scen_nrand(&rng), 4 * scen_nrand(&rng),
                   80 + 4 * scen_nrand(&rng), 4, NULL);
        assert_int_equal(tracker_process(q, t2, &m, 1), 0);
    }
    const sg_track *t;
    size_t n;
    tracker_tracks(q, &t, &n);
    assert_int_equal(n, 1);
    assert_int_equal(t[0].status, SG_TRACK_CONFIRMED);
    assert_int_equal(t[0].n_sensors, 2);
    assert_int_equal(t[0].hits, 200);
    assert_true(fabs(t[0].x[3] - 5) < 1.0);
    tracker_destroy(q);
}

/* ---- identity ----------------------------------------------------------------------- */

/* Two identified drones flying 3 m apart in formation, then crossing: each identified
 * measurement updates its own track only and identities never move. */
static void test_identity_never_merges(void **state)
{
    (void)state;
    tracker *q = mk_tracker(NULL);
    uint64_t rng = 3;
    uint32_t id_a = 0, id_b = 0;
    for (int k = 0; k < 100; k++) {
        double t = 0.1 * k;
        sg_measurement m[2] = {
            mk_pos(t, 0, 10 * t + 3 * scen_nrand(&rng), 3 * scen_nrand(&rng), 60, 3, "SN-A"),
            mk_pos(t, 0, 10 * t + 3 * scen_nrand(&rng), 3 + 3 * scen_nrand(&rng), 60, 3, "SN-B"),
        };
        assert_int_equal(tracker_process(q, t, m, 2), 0);
        const sg_track *tr;
        size_t n;
        tracker_tracks(q, &tr, &n);
        assert_int_equal(n, 2);
        for (size_t i = 0; i < n; i++) {
            uint32_t *slot = strcmp(tr[i].identity, "SN-A") == 0 ? &id_a : &id_b;
            if (!*slot)
                *slot = tr[i].id;
            assert_int_equal(*slot, tr[i].id); /* identity stays on its track */
            assert_int_equal(tr[i].hits, (uint32_t)k + 1);
            assert_int_equal(tr[i].status, SG_TRACK_CONFIRMED); /* identity confirms */
        }
    }
    assert_int_not_equal(id_a, id_b);
    tracker_destroy(q);
}

/* A radar-like unidentified track is adopted by the first identified measurement on it,
 * and unidentified measurements keep updating the identified track. */
static void test_identity_binds_existing_track(void **state)
{
    (void)state;
    tracker *q = mk_tracker(NULL);
    feed_straight(q, 10, 0, 2, 1, 3);
    sg_measurement r = mk_pos(1.0, 5, 10, 1, 50, 5, "RID-1");
    assert_int_equal(tracker_process(q, 1.0, &r, 1), 0);
    const sg_track *t;
    size_t n;
    tracker_tracks(q, &t, &n);
    assert_int_equal(n, 1);
    assert_string_equal(t[0].identity, "RID-1");
    uint32_t hits = t[0].hits;
    sg_measurement u = mk_pos(1.1, 2, 11, 0, 50, 3, NULL);
    assert_int_equal(tracker_process(q, 1.1, &u, 1), 0);
    tracker_tracks(q, &t, &n);
    assert_int_equal(n, 1);
    assert_int_equal(t[0].hits, hits + 1);
    tracker_destroy(q);
}

/* An identified measurement that fails its own track's gate re-initialises that track at
 * the measurement; an unidentified track sitting at the new place is not touched. */
static void test_identity_gate_failure_reinitialises(void **state)
{
    (void)state;
    tracker *q = mk_tracker(NULL);
    for (int k = 0; k < 10; k++) {
        double t = 0.1 * k;
        sg_measurement m[2] = {mk_pos(t, 0, 0, 0, 50, 3, "SN-X"), mk_pos(t, 1, 500, 0, 50, 3, NULL)};
        tracker_process(q, t, m, 2);
    }
    const sg_track *t;
    size_t n;
    tracker_tracks(q, &t, &n);
    assert_int_equal(n, 2);
    uint32_t idx = 0, other = 0;
    sg_track other_before;
    for (size_t i = 0; i < n; i++) {
        if (t[i].identity[0])
            idx = t[i].id;
        else {
            other = t[i].id;
            other_before = t[i];
        }
    }
    /* SN-X suddenly reported 500 m away, right on the other track */
    sg_measurement jump = mk_pos(1.0, 0, 498, 2, 50, 3, "SN-X");
    assert_int_equal(tracker_process(q, 1.0, &jump, 1), 0);
    tracker_counts st;
    tracker_stats(q, &st);
    assert_int_equal(st.identity_reinit, 1);
    const sg_track *x = find_id(q, idx), *o = find_id(q, other);
    assert_non_null(x);
    assert_non_null(o);
    assert_true(fabs(x->x[0] - 498) < 1e-9);
    assert_string_equal(x->identity, "SN-X");
    assert_int_equal(o->hits, other_before.hits);
    assert_true(fabs(o->x[0] - 500) < 2);
    assert_string_equal(o->identity, "");
    tracker_destroy(q);
}

/* A radar-like sensor (10 Hz, 8 m noise, Pd 0.9) sees two drones; a Remote ID receiver
 * (1 Hz, 3 m, identity + reported velocity) hears only one of them. Over 30 s: two
 * confirmed tracks with stable ids, the cooperative one carries the identity and both
 * sensors, and the Remote ID batches never count as misses for the silent drone's track. */
static void test_mixed_radar_and_remote_id(void **state)
{
    (void)state;
    tracker *q = mk_tracker(NULL);
    uint64_t rng = 0x51D;
    uint32_t ids[2] = {0, 0};
    for (int k = 0; k <= 300; k++) {
        double t = 500 + 0.1 * k, tt = 0.1 * k;
        double p[2][3] = {{-200 + 8 * tt, 100, 80}, {300, -150 + 6 * tt, 120}};
        double v[2][3] = {{8, 0, 0}, {0, 6, 0}};
        sg_measurement m[3];
        size_t n = 0;
        for (int i = 0; i < 2; i++)
            if (scen_urand(&rng) < 0.9)
                m[n++] = mk_pos(t, 0, p[i][0] + 8 * scen_nrand(&rng),
                                p[i][1] + 8 * scen_nrand(&rng), p[i][2] + 8 * scen_nrand(&rng), 8,
                                NULL);
        assert_int_equal(tracker_process(q, t, m, n), 0);
        if (k % 10 == 5) {
            sg_measurement r = mk_pos(t + 0.02, 1, p[0][0] + 3 * scen_nrand(&rng),
                                      p[0][1] + 3 * scen_nrand(&rng), p[0][2], 3, "1581F4XD");
            r.has_vel = true;
            memcpy(r.vel_enu, v[0], sizeof r.vel_enu);
            snprintf(r.cls, sizeof r.cls, "remote_id");
            r.cls_conf = 1;
            assert_int_equal(tracker_process(q, r.t, &r, 1), 0);
        }
        if (k < 20)
            continue;
        const sg_track *tr;
        size_t nt;
        tracker_tracks(q, &tr, &nt);
        size_t nconf = 0;
        for (size_t i = 0; i < nt; i++) {
            if (tr[i].status == SG_TRACK_TENTATIVE || tr[i].status == SG_TRACK_DELETED)
                continue;
            nconf++;
            int which = fabs(tr[i].x[2] - 80) < fabs(tr[i].x[2] - 120) ? 0 : 1;
            if (!ids[which])
                ids[which] = tr[i].id;
            if (ids[which] != tr[i].id)
                fail_msg("t=%.1f: drone %d changed track %u -> %u", tt, which, ids[which],
                         tr[i].id);
            if (which == 1)
                assert_true(tr[i].misses <= 3); /* radar misses only, never Remote ID */
        }
        assert_int_equal(nconf, 2);
    }
    const sg_track *a = find_id(q, ids[0]), *b = find_id(q, ids[1]);
    assert_non_null(a);
    assert_non_null(b);
    assert_string_equal(a->identity, "1581F4XD");
    assert_string_equal(a->cls, "remote_id");
    assert_int_equal(a->n_sensors, 2);
    assert_string_equal(b->identity, "");
    assert_int_equal(b->n_sensors, 1);
    tracker_counts st;
    tracker_stats(q, &st);
    assert_int_equal(st.identity_reinit, 0);
    check_accounting(q);
    tracker_destroy(q);
}

/* ---- lifecycle ---------------------------------------------------------------------- */

static void test_coast_delete_report_once(void **state)
{
    (void)state;
    tracker *q = mk_tracker("{\"max_coast_s\": 1.0, \"max_misses\": 100}");
    feed_straight(q, 10, 0, 0, 2, 2);
    assert_int_equal(count_status(q, SG_TRACK_CONFIRMED), 1);
    const sg_track *t;
    size_t n;
    tracker_tracks(q, &t, &n);
    uint32_t id = t[0].id;
    /* an empty batch from the same sensor is a miss -> coasting */
    sg_measurement far = mk_pos(1.0, 0, 5000, 5000, 50, 2, NULL);
    tracker_process(q, 1.0, &far, 1);
    assert_int_equal(find_id(q, id)->status, SG_TRACK_COASTING);
    assert_int_equal(find_id(q, id)->misses, 1);
    /* updated again -> confirmed */
    sg_measurement back = mk_pos(1.1, 0, 22, 0, 50, 2, NULL);
    tracker_process(q, 1.1, &back, 1);
    assert_int_equal(find_id(q, id)->status, SG_TRACK_CONFIRMED);
    /* silence beyond max_coast_s: deleted, reported once */
    assert_int_equal(tracker_predict(q, 2.0), 0);
    assert_int_equal(find_id(q, id)->status, SG_TRACK_CONFIRMED);
    assert_int_equal(tracker_predict(q, 2.2), 0);
    assert_non_null(find_id(q, id));
    assert_int_equal(find_id(q, id)->status, SG_TRACK_DELETED);
    assert_int_equal(tracker_predict(q, 2.3), 0);
    assert_null(find_id(q, id));
    /* ids are never reused */
    sg_measurement m = mk_pos(2.4, 0, 0, 0, 50, 2, NULL);
    tracker_process(q, 2.4, &m, 1);
    tracker_tracks(q, &t, &n);
    for (size_t i = 0; i < n; i++)
        assert_true(t[i].id > id);
    tracker_destroy(q);
}

/* The track table is bounded: initiations beyond max_tracks are counted, existing tracks
 * keep updating. */
static void test_max_tracks(void **state)
{
    (void)state;
    tracker *q = mk_tracker("{\"max_tracks\": 3}");
    for (int k = 0; k < 5; k++) {
        sg_measurement m[5];
        for (int i = 0; i < 5; i++)
            m[i] = mk_pos(0.1 * k, 0, 1000.0 * i + k, 0, 50, 2, NULL);
        tracker_process(q, 0.1 * k, m, 5);
    }
    tracker_counts st;
    tracker_stats(q, &st);
    assert_int_equal(st.tracks_active, 3);
    assert_int_equal(st.init_dropped_full, 2 * 5);
    assert_int_equal(st.used, 3 * 4);
    assert_int_equal(count_status(q, SG_TRACK_CONFIRMED), 3);
    /* time never runs backwards: an earlier predict is a no-op */
    const sg_track *t;
    size_t n;
    tracker_tracks(q, &t, &n);
    double t0 = t[0].t;
    assert_int_equal(tracker_predict(q, 0.0), 0);
    tracker_tracks(q, &t, &n);
    assert_true(t[0].t == t0);
    check_accounting(q);
    tracker_destroy(q);
}

/* Random scenes through each sensor model and filter: tracks are held. */
static void test_scenarios_hold_tracks(void **state)
{
    (void)state;
    static const struct {
        scen_kind kind;
        scen_sensor sensor;
        const char *cfg;
        double max_mean_ospa;
    } cases[] = {
        {SCEN_RANDOM, SCEN_SENSOR_POS, NULL, 8},
        {SCEN_RANDOM, SCEN_SENSOR_RANGE_BEARING, NULL, 10},
        {SCEN_MANOEUVRE, SCEN_SENSOR_POS, "{\"model\": \"imm\", \"q_jerk\": 5}", 8},
        {SCEN_MANOEUVRE, SCEN_SENSOR_POS, "{\"model\": \"ca\"}", 8},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        scen_cfg c;
        scen_cfg_default(&c);
        c.kind = cases[k].kind;
        c.sensor = cases[k].sensor;
        c.n_targets = c.kind == SCEN_RANDOM ? 20 : 2;
        c.duration_s = 40;
        c.seed = 1000 + k;
        if (c.sensor == SCEN_SENSOR_RANGE_BEARING)
            c.ang_sd = 0.002;
        scenario s;
        scen_result r;
        tracker *q = run_scenario(&c, cases[k].cfg, &s, &r);
        print_message("case %zu: mean OSPA %.2f m, GOSPA %.2f m, %zu ids, %zu false, %zu switches\n",
                      k, r.mean_ospa, r.mean_gospa, r.confirmed_ids, r.false_confirmed,
                      r.id_switches);
        if (r.mean_ospa > cases[k].max_mean_ospa || r.false_confirmed > 0)
            fail_msg("case %zu: mean OSPA %.2f m (bound %.1f), %zu false tracks", k,
                     r.mean_ospa, cases[k].max_mean_ospa, r.false_confirmed);
        tracker_destroy(q);
        scen_free(&s);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crossing_keeps_ids),
        cmocka_unit_test(test_clutter_rates),
        cmocka_unit_test(test_bearing_triangulation),
        cmocka_unit_test(test_bearing_multi_target_no_ghosts),
        cmocka_unit_test(test_bearing_ray_init),
        cmocka_unit_test(test_oosm_matches_in_order),
        cmocka_unit_test(test_oosm_outside_window),
        cmocka_unit_test(test_async_single_measurements),
        cmocka_unit_test(test_identity_never_merges),
        cmocka_unit_test(test_identity_binds_existing_track),
        cmocka_unit_test(test_identity_gate_failure_reinitialises),
        cmocka_unit_test(test_mixed_radar_and_remote_id),
        cmocka_unit_test(test_coast_delete_report_once),
        cmocka_unit_test(test_max_tracks),
        cmocka_unit_test(test_scenarios_hold_tracks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}