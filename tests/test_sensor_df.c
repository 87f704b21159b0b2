/* A DF sensor's bearing combination (apps/node/sensor_df.h): every burst with a DoA is
 * counted under exactly one outcome; ambiguous, multi-peak, incoherent and low-SNR
 * bursts and failed DoAs never reach a bearing; the combined bearing of the clean
 * bursts is their CRB-weighted circular mean plus the stated floor, in compass terms. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sensor_df.h"
#include "sg_assert.h"

#define D2R (M_PI / 180)

static void test_outcomes(void **state)
{
    (void)state;
    sg_sensor_cfg c;
    memset(&c, 0, sizeof c);
    snprintf(c.where, sizeof c.where, "venue.json: sensors[0]");
    c.yaw_deg = 90; /* body forward = east */
    cJSON *arr = cJSON_Parse("{\"geometry\": \"uca\", \"elements\": 5, \"radius_m\": 0.052}");
    assert_non_null(arr);
    c.array = arr;
    frontend_cfg fc;
    frontend_cfg_default(&fc);
    sg_errinfo e = {0};
    sensor_df *q = sensor_df_create(&c, &fc, &e);
    if (!q)
        fail_msg("create: %s", e.msg);
    sg_burst b = {.t_start = 100.0, .duration = 1e-3};
    const double var = pow(2 * D2R, 2);
    doa_result clean = {.az = 10 * D2R, .el = 0.2, .var_az = var, .var_el = var};
    static const struct {
        uint32_t flags;
        int rc;
        double var;
    } bad[] = {
        {DOA_AMB_FRONT_BACK, 0, 1}, {DOA_AMB_GRATING | DOA_AMB_MULTI, 0, 1},
        {DOA_AMB_MULTI, 0, 1},      {DOA_FLAG_NOT_RANK1, 0, 1},
        {DOA_FLAG_LOW_SNR, 0, 1},   {DOA_FLAG_NOT_RANK1 | DOA_FLAG_LOW_SNR, 0, 1},
        {0, SG_EFORMAT, 1},         {0, 0, NAN},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        doa_result r = clean;
        r.az = 200 * D2R; /* would pull the mean far off if it were used */
        r.flags = bad[i].flags;
        r.var_az = var * bad[i].var;
        sensor_df_add(q, 7, "elrs_2g4", 0.9, &b, &r, bad[i].rc);
    }
    sensor_df_not_drone(q);
    /* two clean bursts, 10 and 14 deg, the second with 3x the weight */
    sensor_df_add(q, 7, "elrs_2g4", 0.9, &b, &clean, 0);
    doa_result r2 = clean;
    r2.az = 14 * D2R;
    r2.var_az = var / 3;
    b.t_start += 0.1;
    sensor_df_add(q, 7, "elrs_2g4", 0.9, &b, &r2, 0);
    sensor_df_stats st;
    sensor_df_stats_get(q, &st);
    assert_int_equal(st.ambiguous, 2);   /* front/back, grating (+ multi) */
    assert_int_equal(st.multi_peak, 1);
    assert_int_equal(st.incoherent, 2);  /* NOT_RANK1 (+ low SNR) */
    assert_int_equal(st.low_snr, 1);
    assert_int_equal(st.failed, 2);      /* rc, no finite variance */
    assert_int_equal(st.not_drone, 1);
    assert_int_equal(st.used, 2);
    sg_measurement m;
    assert_false(sensor_df_due(q, 100.2, &m)); /* window not yet closed */
    assert_true(sensor_df_due(q, 100.3, &m));
    assert_false(sensor_df_due(q, 100.3, &m));
    assert_int_equal(m.type, SG_MEAS_BEARING);
    /* weighted circular mean of 10 and 14 deg (weights 1:3) = ~13.0 deg, + yaw 90 */
    double mean = atan2(sin(10 * D2R) + 3 * sin(14 * D2R), cos(10 * D2R) + 3 * cos(14 * D2R));
    assert_near(m.z[0], mean + 90 * D2R, 1e-9);
    assert_near(m.R[0], var / 4 + pow(SENSOR_DF_SD_FLOOR_DEG * D2R, 2), 1e-12);
    assert_string_equal(m.cls, "elrs_2g4");
    sensor_df_stats_get(q, &st);
    assert_int_equal(st.bearings, 1);
    sensor_df_destroy(q);
    cJSON_Delete(arr);
}

/* Two drones one emitter id (the classifier merged them), 20 deg apart: two bearings,
 * each with its own bursts; a fifth direction is crowded out and counted. */
static void test_directions(void **state)
{
    (void)state;
    sg_sensor_cfg c;
    memset(&c, 0, sizeof c);
    snprintf(c.where, sizeof c.where, "venue.json: sensors[0]");
    cJSON *arr = cJSON_Parse("{\"geometry\": \"uca\", \"elements\": 5, \"radius_m\": 0.052}");
    c.array = arr;
    frontend_cfg fc;
    frontend_cfg_default(&fc);
    sg_errinfo e = {0};
    sensor_df *q = sensor_df_create(&c, &fc, &e);
    assert_non_null(q);
    const double var = pow(0.5 * D2R, 2);
    for (int i = 0; i < 6; i++) {
        int k = i % 2;
        sg_burst b = {.t_start = 100.0 + 0.03 * i, .duration = 1e-3, .fc = 2.44e9 + 1e6 * k,
                      .bandwidth = 0.5e6};
        doa_result r = {.az = (k ? 50 : 30) * D2R + 0.002 * (i - 2), .var_az = var};
        sensor_df_add(q, 3, "elrs_2g4", 0.9, &b, &r, 0);
    }
    for (int d = 0; d < 3; d++) { /* three more directions: two fit, one is crowded out */
        sg_burst b = {.t_start = 100.2, .duration = 1e-3, .fc = 2.44e9, .bandwidth = 0.5e6};
        doa_result r = {.az = (100 + 60 * d) * D2R, .var_az = var};
        sensor_df_add(q, 3, "elrs_2g4", 0.9, &b, &r, 0);
    }
    sensor_df_stats st;
    sensor_df_stats_get(q, &st);
    assert_int_equal(st.used, 8);
    assert_int_equal(st.crowded, 1);
    sg_measurement m;
    int seen = 0;
    while (sensor_df_due(q, 101, &m)) {
        double az = m.z[0] / D2R;
        if (fabs(az - 30) < 1) {
            seen |= 1;
            assert_int_equal(m.n_bursts, 3);
            assert_near(m.burst_t[1], 100.06, 1e-9);
            assert_near(m.fc_hz, 2.44e9, 1);
        } else if (fabs(az - 50) < 1) {
            seen |= 2;
            assert_int_equal(m.n_bursts, 3);
            assert_near(m.burst_t[0], 100.03, 1e-9);
            assert_near(m.burst_fc[2], 2.441e9, 1);
            assert_near(m.bw_hz, 0.5e6, 1);
        } else {
            seen |= 4;
            assert_int_equal(m.n_bursts, 1);
        }
    }
    assert_int_equal(seen, 7);
    sensor_df_stats_get(q, &st);
    assert_int_equal(st.bearings, 4);
    sensor_df_destroy(q);
    cJSON_Delete(arr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_outcomes),
        cmocka_unit_test(test_directions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
