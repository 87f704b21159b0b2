/* Bearing-pair initiation with emitter features (tracker_features_match): two sites and
 * two drones in a symmetric formation, where each site's two bearings also cross the
 * other drone's bearing from the other site at a consistent 3-D point (a ghost). With
 * the features (the bursts behind each bearing: start time and frequency, as a DF
 * sensor sends them) only the true pairs start tracks; with geometry alone the ghost
 * pairs start tracks too. And the match rule itself on hand-made features. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "scenario.h"
#include "tracker.h"

#define SD (1.5 * M_PI / 180)
#define FC 2.4409e9

static const double site[2][3] = {{0, 145, 48}, {0, -145, 48}};

static void target_at(int k, double t, double p[3])
{
    p[0] = -150 + 15 * t;
    p[1] = k ? -50 : 50;
    p[2] = 90;
}

/* The bearing of target k from site s at t, with noise, carrying target k's bursts of the
 * window ending at tw (burst times are the emitter's: the same at both sites). */
static sg_measurement bearing(int s, int k, double t, double tw, uint64_t *rng, bool features)
{
    sg_measurement m;
    memset(&m, 0, sizeof m);
    double p[3];
    target_at(k, t - 1000, p);
    double dx = p[0] - site[s][0], dy = p[1] - site[s][1], dz = p[2] - site[s][2];
    m.type = SG_MEAS_BEARING;
    m.t = t;
    m.sensor = s;
    m.z[0] = fmod(atan2(dx, dy) + SD * scen_nrand(rng) + 2 * M_PI, 2 * M_PI);
    m.z[1] = atan2(dz, hypot(dx, dy)) + SD * scen_nrand(rng);
    m.R[0] = m.R[3] = SD * SD;
    memcpy(m.sensor_enu, site[s], sizeof m.sensor_enu);
    snprintf(m.cls, sizeof m.cls, "elrs_2g4");
    m.cls_conf = 0.9;
    if (features) {
        m.fc_hz = FC;
        m.bw_hz = 0.5e6;
        m.n_bursts = 3;
        for (unsigned i = 0; i < 3; i++) { /* the two links' bursts interleave in time */
            m.burst_t[i] = tw - 0.2 + 0.07 * i + (k ? 0.013 : 0) + 2e-6 * s;
            m.burst_fc[i] = FC + (i % 2 ? 1e6 : -1e6);
        }
    }
    return m;
}

/* Runs 12 windows of 0.25 s; returns the confirmed tracks more than 20 m from both
 * drones (ghosts) and counts in *found the drones with a confirmed track within 20 m. */
static size_t run(bool use_features, bool send_features, uint64_t seed, int *found)
{
    tracker_cfg c;
    sg_errinfo e = {0};
    cJSON *o = cJSON_Parse(use_features ? "{}" : "{\"bearing_pair_features\": false}");
    assert_int_equal(tracker_cfg_from_json(&c, o, "test", &e), 0);
    cJSON_Delete(o);
    tracker *q = tracker_create(&c, &e);
    assert_non_null(q);
    uint64_t rng = seed;
    for (int w = 0; w < 12; w++) {
        double t = 1000 + 0.25 * w;
        /* north sees both first, then south: each south bearing can pair either */
        sg_measurement b[4] = {bearing(0, 0, t, t, &rng, send_features),
                               bearing(0, 1, t, t, &rng, send_features),
                               bearing(1, 1, t + 0.01, t, &rng, send_features),
                               bearing(1, 0, t + 0.01, t, &rng, send_features)};
        for (int i = 0; i < 4; i++)
            assert_int_equal(tracker_process(q, b[i].t, &b[i], 1), 0);
    }
    const sg_track *tr;
    size_t n, ghosts = 0;
    bool seen[2] = {false, false};
    tracker_tracks(q, &tr, &n);
    for (size_t i = 0; i < n; i++) {
        if (tr[i].status != SG_TRACK_CONFIRMED && tr[i].status != SG_TRACK_COASTING)
            continue;
        bool near = false;
        for (int k = 0; k < 2; k++) {
            double p[3];
            target_at(k, tr[i].t - 1000, p);
            if (hypot(tr[i].x[0] - p[0], tr[i].x[1] - p[1]) < 20)
                near = seen[k] = true;
        }
        ghosts += !near;
    }
    *found = seen[0] + seen[1];
    tracker_counts st;
    tracker_stats(q, &st);
    if (use_features && send_features)
        assert_true(st.bearing_pair_mismatch > 0);
    tracker_destroy(q);
    return ghosts;
}

static void test_formation(void **state)
{
    (void)state;
    size_t ghosts_off = 0, ghosts_on = 0;
    for (uint64_t seed = 1; seed <= 6; seed++) {
        int f_on, f_off, f_none;
        size_t g_on = run(true, true, seed, &f_on);
        size_t g_off = run(false, true, seed, &f_off);
        size_t g_none = run(true, false, seed, &f_none); /* bearings without features */
        print_message("seed %llu: geometry only %zu ghost track(s), %d/2 drones; with features "
                      "%zu ghosts, %d/2; features on but none sent %zu ghosts, %d/2\n",
                      (unsigned long long)seed, g_off, f_off, g_on, f_on, g_none, f_none);
        if (g_on || f_on != 2)
            fail_msg("seed %llu: with features %zu ghosts, %d of 2 drones tracked",
                     (unsigned long long)seed, g_on, f_on);
        assert_int_equal(g_none, g_off); /* without features the rule is geometry alone */
        ghosts_off += g_off;
        ghosts_on += g_on;
    }
    assert_true(ghosts_off > 0); /* the scene does make ghosts by geometry alone */
    assert_int_equal(ghosts_on, 0);
}

static sg_measurement feat(double t0, double dt, unsigned n, double fc, const char *cls)
{
    sg_measurement m;
    memset(&m, 0, sizeof m);
    snprintf(m.cls, sizeof m.cls, "%s", cls);
    m.fc_hz = fc;
    m.bw_hz = 1e6;
    m.n_bursts = n;
    for (unsigned i = 0; i < n; i++) {
        m.burst_t[i] = t0 + dt * i;
        m.burst_fc[i] = fc;
    }
    return m;
}

static void test_match_rule(void **state)
{
    (void)state;
    const double tol = 5e-4;
    sg_measurement a = feat(10.0, 0.05, 4, FC, "elrs_2g4");
    sg_measurement b = feat(10.0001, 0.05, 4, FC, "elrs_2g4");
    assert_true(tracker_features_match(&a, &b, tol));
    b = feat(10.1001, 0.05, 4, FC, "elrs_2g4"); /* overlaps half: 2 of its 4 inside a's span */
    assert_true(tracker_features_match(&a, &b, tol));
    b = feat(10.02, 0.05, 4, FC, "elrs_2g4");   /* another emitter's timing */
    assert_false(tracker_features_match(&a, &b, tol));
    b = feat(10.0001, 0.05, 4, FC + 5e6, "elrs_2g4"); /* same times, other frequency */
    assert_false(tracker_features_match(&a, &b, tol));
    b = feat(10.0001, 0.05, 4, FC, "frsky");    /* another class */
    assert_false(tracker_features_match(&a, &b, tol));
    b = feat(12.0, 0.05, 4, FC + 3e6, "");      /* no comparable bursts (a hopper's next */
    assert_true(tracker_features_match(&a, &b, tol)); /* window): timing cannot decide */
    b.n_bursts = 0;                              /* no bursts on one side: the bands decide */
    assert_false(tracker_features_match(&a, &b, tol));
    b.fc_hz = FC + 0.5e6;
    assert_true(tracker_features_match(&a, &b, tol));
    sg_measurement cam;                         /* a camera bearing: no features */
    memset(&cam, 0, sizeof cam);
    assert_true(tracker_features_match(&a, &cam, tol));
    assert_true(tracker_features_match(&cam, &a, tol));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_match_rule),
        cmocka_unit_test(test_formation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
