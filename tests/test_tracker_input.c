/* Tracker input checks against the spec: invalid measurements are rejected and counted
 * without touching any track, random garbage (NaN, infinities, wrong types, covariances
 * that are not positive definite) never crashes or corrupts state, and every invalid
 * configuration key is rejected with a message naming it. Measurements are built here
 * with fixed seeds. The tracking behaviour itself is in test_tracker.c. */
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

/* ---- invalid input --------------------------------------------------------------------- */

static void test_invalid_measurements(void **state)
{
    (void)state;
    tracker *q = mk_tracker(NULL);
    feed_straight(q, 5, 0, 0, 1, 3);
    const sg_track *t;
    size_t n;
    tracker_tracks(q, &t, &n);
    assert_int_equal(n, 1);
    sg_track before = t[0];

    sg_measurement bad[9];
    bad[0] = mk_pos(0.5, 0, NAN, 0, 50, 3, NULL);
    bad[1] = mk_pos(0.5, 0, 5, INFINITY, 50, 3, NULL);
    bad[2] = mk_pos(0.5, 0, 5, 0, 50, 3, NULL);
    bad[2].R[4] = -1; /* not PD */
    bad[3] = mk_pos(0.5, 0, 5, 0, 50, 3, NULL);
    bad[3].R[1] = 5; /* not symmetric */
    bad[4] = mk_pos(0.5, 0, 5, 0, 50, 3, NULL);
    bad[4].type = SG_MEAS_POS_WGS84;
    bad[5] = mk_pos(0.5, 0, 5, 0, 50, 3, NULL);
    bad[5].type = SG_MEAS_RF_PRESENCE;
    bad[6] = mk_pos(NAN, 0, 5, 0, 50, 3, NULL);
    bad[7] = mk_pos(0.5, 0, 5, 0, 50, 3, NULL);
    bad[7].type = SG_MEAS_RANGE_BEARING;
    bad[7].z[0] = -3; /* negative range */
    bad[8] = mk_pos(1e9, 0, 5, 0, 50, 3, NULL); /* stamped far after its batch */
    assert_int_equal(tracker_process(q, 0.5, bad, 9), SG_EINVAL);
    tracker_counts st;
    tracker_stats(q, &st);
    assert_int_equal(st.rej_invalid, 5);
    assert_int_equal(st.rej_cov, 2);
    assert_int_equal(st.rej_type, 2);
    tracker_tracks(q, &t, &n);
    assert_int_equal(n, 1);
    assert_int_equal(t[0].hits, before.hits);
    for (int i = 0; i < 6; i++)
        assert_true(isfinite(t[0].x[i]));

    /* a valid measurement in the same batch as a bad one is still used */
    sg_measurement mix[2] = {mk_pos(0.6, 0, 6, 0, 50, 3, NULL), mk_pos(0.6, 0, NAN, 0, 0, 3, NULL)};
    assert_int_equal(tracker_process(q, 0.6, mix, 2), SG_EINVAL);
    tracker_tracks(q, &t, &n);
    assert_int_equal(t[0].hits, before.hits + 1);
    /* a bad batch time processes nothing */
    assert_int_equal(tracker_process(q, NAN, mix, 1), SG_EINVAL);
    assert_int_equal(tracker_predict(q, INFINITY), SG_EINVAL);
    check_accounting(q);
    tracker_destroy(q);
}

/* Hostile input: random types, values (NaN, Inf, huge, tiny), covariances, times and
 * strings in batches. Nothing crashes, every measurement is accounted for, and every track
 * state stays finite. */
static void test_random_garbage(void **state)
{
    (void)state;
    uint64_t rng = 0xBAD5EEDULL;
    static const double specials[] = {NAN, INFINITY, -INFINITY, 1e300, -1e300, 1e-300, 0, 1e8};
    tracker *q = mk_tracker("{\"bearing_init\": \"ray\"}");
    tracker *q2 = mk_tracker(NULL);
    double t = 1000;
    for (int it = 0; it < 3000; it++) {
        sg_measurement m[6];
        int n = 1 + (int)(scen_urand(&rng) * 6);
        for (int i = 0; i < n; i++) {
            memset(&m[i], 0, sizeof m[i]);
            double u = scen_urand(&rng);
            m[i].type = (sg_meas_type)(int)(scen_urand(&rng) * 6); /* 5 is not a type */
            m[i].t = u < 0.05 ? specials[it % 8] : t - scen_urand(&rng) * 3;
            m[i].sensor = (int)(scen_urand(&rng) * 4);
            for (int k = 0; k < 3; k++) {
                double v = (scen_urand(&rng) - 0.5) * 2000;
                m[i].z[k] = scen_urand(&rng) < 0.05 ? specials[(it + k) % 8] : v;
                m[i].sensor_enu[k] = scen_urand(&rng) < 0.02 ? specials[(it + k) % 8] : v / 10;
            }
            if (m[i].type == SG_MEAS_BEARING || m[i].type == SG_MEAS_RANGE_BEARING) {
                int a = m[i].type == SG_MEAS_BEARING ? 0 : 1;
                m[i].z[a] = (scen_urand(&rng) - 0.5) * 7;
                m[i].z[a + 1] = (scen_urand(&rng) - 0.5) * 3.3;
                if (a)
                    m[i].z[0] = fabs(m[i].z[0]);
            }
            int d = sg_meas_dim(m[i].type) ? sg_meas_dim(m[i].type) : 3;
            double sd = m[i].type == SG_MEAS_POS_ENU ? 5 : 0.01;
            for (int k = 0; k < d; k++)
                m[i].R[k * d + k] = sd * sd;
            if (scen_urand(&rng) < 0.05)
                m[i].R[(it % d) * (d + 1)] = specials[it % 8];
            if (scen_urand(&rng) < 0.05)
                memset(m[i].identity, 'A' + it % 3, sizeof m[i].identity); /* no NUL */
            else if (scen_urand(&rng) < 0.1)
                snprintf(m[i].identity, sizeof m[i].identity, "ID-%d", it % 3);
            m[i].has_vel = scen_urand(&rng) < 0.1;
            m[i].vel_enu[0] = specials[it % 8];
        }
        tracker_process(q, t, m, (size_t)n);
        tracker_process(q2, t, m, (size_t)n);
        t += 0.05;
    }
    tracker *qs[2] = {q, q2};
    for (int k = 0; k < 2; k++) {
        check_accounting(qs[k]);
        const sg_track *tr;
        size_t n;
        tracker_tracks(qs[k], &tr, &n);
        for (size_t i = 0; i < n; i++) {
            for (int j = 0; j < 6; j++)
                assert_true(isfinite(tr[i].x[j]));
            for (int j = 0; j < 36; j++)
                assert_true(isfinite(tr[i].P[j]));
        }
        tracker_counts st;
        tracker_stats(qs[k], &st);
        assert_true(st.rej_type > 0 && st.rej_invalid > 0 && st.rej_cov > 0 && st.rej_too_old > 0);
        assert_true(st.tracks_created > 0);
        tracker_destroy(qs[k]);
    }
}

/* ---- configuration ------------------------------------------------------------------- */

static void expect_cfg_error(const char *json, const char *needle)
{
    cJSON *o = cJSON_Parse(json);
    assert_non_null(o);
    tracker_cfg c;
    sg_errinfo e = {0};
    int rc = tracker_cfg_from_json(&c, o, "site.json: tracker", &e);
    cJSON_Delete(o);
    if (rc == 0)
        fail_msg("config %s was accepted", json);
    if (!strstr(e.msg, needle) || !strstr(e.msg, "site.json: tracker"))
        fail_msg("config %s: error \"%s\" does not name \"%s\"", json, e.msg, needle);
}

static void test_config_invalid_keys(void **state)
{
    (void)state;
    static const struct {
        const char *key, *low, *high;
    } num[] = {
        {"q_accel", "0", "101"},
        {"q_jerk", "0", "1001"},
        {"imm_sojourn_s", "0.01", "2000"},
        {"gate_prob", "0.4", "1"},
        {"confirm_m", "0", "33"},
        {"confirm_n", "0", "33"},
        {"max_misses", "0", "10001"},
        {"max_miss_s", "-0.1", "3601"},
        {"min_misses", "0", "10001"},
        {"max_coast_s", "0", "4000"},
        {"coast_after_s", "-1", "4000"},
        {"max_pos_sd", "0.5", "2e6"},
        {"oosm_window_s", "-0.1", "61"},
        {"init_vel_sd", "0", "1001"},
        {"init_acc_sd", "-1", "101"},
        {"reported_vel_sd", "0", "101"},
        {"bearing_pair_window_s", "-1", "11"},
        {"bearing_min_angle_deg", "0", "91"},
        {"bearing_nominal_range", "0", "2e5"},
        {"bearing_range_sd", "0", "2e5"},
        {"bearing_max_range", "5", "2e5"},
        {"bearing_pair_time_tol_s", "0", "0.2"},
        {"max_tracks", "0", "2000000"},
        {"dup_scans", "-1", "101"},
        {"dup_gate_prob", "0.4", "1"},
        {"split_radius_m", "-1", "1001"},
        {"confirm_false_prob", "0", "0.6"},
        {"jpda_pd", "0.01", "1"},
        {"jpda_clutter", "0", "2"},
        {"q_turn", "0", "11"},
        {"init_turn_sd", "-1", "11"},
    };
    char buf[256];
    for (size_t i = 0; i < sizeof num / sizeof num[0]; i++) {
        snprintf(buf, sizeof buf, "{\"%s\": %s}", num[i].key, num[i].low);
        expect_cfg_error(buf, num[i].key);
        snprintf(buf, sizeof buf, "{\"%s\": %s}", num[i].key, num[i].high);
        expect_cfg_error(buf, num[i].key);
        snprintf(buf, sizeof buf, "{\"%s\": \"3\"}", num[i].key);
        expect_cfg_error(buf, num[i].key);
    }
    expect_cfg_error("{\"confirm_m\": 2.5}", "confirm_m");
    expect_cfg_error("{\"confirm_m\": 4, \"confirm_n\": 3}", "confirm_m");
    expect_cfg_error("{\"model\": \"kalman\"}", "model");
    expect_cfg_error("{\"model\": 1}", "model");
    expect_cfg_error("{\"bearing_init\": \"triangulate\"}", "bearing_init");
    expect_cfg_error("{\"identity_confirms\": 1}", "identity_confirms");
    expect_cfg_error("{\"init_in_gate\": \"yes\"}", "init_in_gate");
    expect_cfg_error("{\"confirm_adapt\": 0}", "confirm_adapt");
    expect_cfg_error("{\"bearing_pair_features\": \"on\"}", "bearing_pair_features");
    expect_cfg_error("{\"model\": \"singer\"}", "model");
    expect_cfg_error("{\"association\": \"mht\"}", "association");
    expect_cfg_error("{\"gate_probability\": 0.99}", "gate_probability");
    expect_cfg_error("[1, 2]", "object");

    /* NULL -> defaults; a full valid config round-trips */
    tracker_cfg c, d;
    sg_errinfo e = {0};
    assert_int_equal(tracker_cfg_from_json(&c, NULL, "x", &e), 0);
    tracker_cfg_default(&d);
    assert_memory_equal(&c, &d, sizeof c);
    cJSON *o = cJSON_Parse("{\"model\": \"imm\", \"q_accel\": 2, \"q_jerk\": 8, "
                           "\"imm_sojourn_s\": 4, \"gate_prob\": 0.99, \"confirm_m\": 2, "
                           "\"confirm_n\": 3, \"max_misses\": 5, \"max_coast_s\": 3, "
                           "\"coast_after_s\": 0.5, \"max_pos_sd\": 200, \"oosm_window_s\": 1, "
                           "\"init_vel_sd\": 15, \"init_acc_sd\": 2, \"reported_vel_sd\": 1, "
                           "\"bearing_init\": \"ray\", \"bearing_pair_window_s\": 0.2, "
                           "\"bearing_min_angle_deg\": 5, \"bearing_nominal_range\": 250, "
                           "\"bearing_range_sd\": 100, \"bearing_max_range\": 2000, \"max_tracks\": 500, "
                           "\"identity_confirms\": false}");
    assert_int_equal(tracker_cfg_from_json(&c, o, "x", &e), 0);
    cJSON_Delete(o);
    assert_int_equal(c.model, KF_MODEL_IMM);
    assert_int_equal(c.confirm_n, 3);
    assert_int_equal(c.bearing_init, TRACKER_BEARING_INIT_RAY);
    assert_false(c.identity_confirms);
    assert_true(c.max_pos_sd == 200);

    /* programmatic configs are checked by create too */
    tracker_cfg_default(&c);
    c.gate_prob = 1.5;
    assert_null(tracker_create(&c, &e));
    assert_non_null(strstr(e.msg, "gate_prob"));
    tracker_cfg_default(&c);
    c.model = (kf_model)7;
    assert_null(tracker_create(&c, &e));
    assert_non_null(strstr(e.msg, "model"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_invalid_measurements),
        cmocka_unit_test(test_random_garbage),
        cmocka_unit_test(test_config_invalid_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
