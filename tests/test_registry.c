/* Sensor registry: config parsing and validation (errors name the sensor), WGS84
 * measurements into the site frame with rotated covariance/velocity (checked against
 * directions derived independently through geo_frame_to_enu), camera body-frame
 * bearings rotated by yaw/pitch/roll (known geometry), field-of-view rejection,
 * Earth-curvature correction of a remote camera's attitude, RF presence picture
 * elements, attachment to tracks and expiry. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "geo.h"
#include "registry.h"

#define D GEO_DEG

static geo_frame g_f;

static int setup(void **state)
{
    (void)state;
    return geo_frame_init(&g_f, 51.5560 * D, -0.2795 * D, 70.0, NULL);
}

static fusion_sensor sensor(fusion_sensor_kind kind, const char *id, double lat_deg,
                            double lon_deg, double alt)
{
    fusion_sensor s;
    fusion_sensor_default(&s, kind);
    snprintf(s.id, sizeof s.id, "%s", id);
    s.lat = lat_deg * D;
    s.lon = lon_deg * D;
    s.alt = alt;
    return s;
}

static registry *make(fusion_sensor *s, size_t n)
{
    sg_errinfo e = {0};
    registry *r = registry_create(&g_f, s, n, &e);
    if (!r)
        fail_msg("%s", e.msg);
    return r;
}

static void test_sensor_json_and_validation(void **state)
{
    (void)state;
    cJSON *j = cJSON_Parse("{\"id\":\"cam-n\",\"kind\":\"camera\",\"lat\":51.557,\"lon\":-0.28,"
                           "\"alt_m\":95,\"yaw_deg\":10,\"pitch_deg\":5,\"hfov_deg\":60,"
                           "\"vfov_deg\":40,\"site_note\":\"x\"}");
    fusion_sensor s;
    sg_errinfo e = {0};
    const char *extra[] = {"site_note", NULL};
    assert_int_equal(fusion_sensor_from_json(j, "site.json: sensors[0]", extra, &s, &e), SG_OK);
    assert_string_equal(s.id, "cam-n");
    assert_int_equal(s.kind, FUSION_SENSOR_CAMERA);
    assert_true(s.body_bearings);
    assert_true(fabs(s.lat - 51.557 * D) < 1e-15 && fabs(s.yaw - 10 * D) < 1e-15);
    assert_true(fabs(s.hfov - 60 * D) < 1e-15);
    /* Without the extra key allowed, the unknown key is an error. */
    assert_int_not_equal(fusion_sensor_from_json(j, "site.json: sensors[0]", NULL, &s, &e), SG_OK);
    assert_non_null(strstr(e.msg, "site.json: sensors[0].site_note: unknown key"));
    cJSON_Delete(j);
    const struct {
        const char *json, *expect;
    } bad[] = {
        {"{\"id\":\"a\",\"kind\":\"rf\",\"lat\":123,\"lon\":0}", "sensors[0] (id \"a\").lat: must be in [-90, 90]"},
        {"{\"id\":\"a\",\"kind\":\"lidar\",\"lat\":1,\"lon\":0}", "sensors[0].kind: must be one of"},
        {"{\"kind\":\"rf\",\"lat\":1,\"lon\":0}", "sensors[0].id: required key is missing"},
        {"{\"id\":\"a\",\"kind\":\"rf\",\"lon\":0}", "(id \"a\").lat: required key is missing"},
        {"{\"id\":\"a\",\"kind\":\"camera\",\"lat\":1,\"lon\":0,\"pitch_deg\":95}", "(id \"a\").pitch_deg: must be in"},
        {"{\"id\":\"a\",\"kind\":\"rf\",\"lat\":1,\"lon\":0,\"bearing_sd_deg\":0}", "(id \"a\").bearing_sd_deg: must be in"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        j = cJSON_Parse(bad[i].json);
        assert_non_null(j);
        int rc = fusion_sensor_from_json(j, "site.json: sensors[0]", NULL, &s, &e);
        cJSON_Delete(j);
        if (rc == SG_OK || !strstr(e.msg, bad[i].expect))
            fail_msg("case %zu: \"%s\"", i, e.msg);
    }
    /* Struct-level validation in registry_create. */
    fusion_sensor ss[2];
    fusion_sensor_default(&ss[0], FUSION_SENSOR_RF);
    fusion_sensor_default(&ss[1], FUSION_SENSOR_CAMERA);
    snprintf(ss[0].id, sizeof ss[0].id, "rf-1");
    snprintf(ss[1].id, sizeof ss[1].id, "rf-1");
    ss[0].lat = ss[1].lat = 51.556 * D;
    assert_null(registry_create(&g_f, ss, 2, &e));
    assert_non_null(strstr(e.msg, "sensors[1] (id \"rf-1\"): id: duplicates sensors[0]"));
    snprintf(ss[1].id, sizeof ss[1].id, "cam-2");
    ss[1].lat = NAN;
    assert_null(registry_create(&g_f, ss, 2, &e));
    assert_non_null(strstr(e.msg, "sensors[1] (id \"cam-2\"): lat: must be in [-90, 90]"));
    ss[1].lat = 2.0; /* rad: 114.6 deg */
    assert_null(registry_create(&g_f, ss, 2, &e));
    assert_non_null(strstr(e.msg, "lat: must be in"));
    ss[1].lat = 0.9;
    ss[1].range_sd = -1;
    assert_null(registry_create(&g_f, ss, 2, &e));
    assert_non_null(strstr(e.msg, "(id \"cam-2\"): range_sd_m: must be > 0"));
    ss[0].id[0] = 0;
    assert_null(registry_create(&g_f, ss, 1, &e));
    assert_non_null(strstr(e.msg, "sensors[0]: id"));
}

static void test_wgs84_position_mapping(void **state)
{
    (void)state;
    fusion_sensor s = sensor(FUSION_SENSOR_REMOTEID, "rid-1", 51.5560, -0.2795, 70);
    s.pos_sd_h = 10;
    s.pos_sd_v = 15;
    registry *r = make(&s, 1);
    sg_measurement m = {0}, out;
    m.t = 100;
    m.sensor = 0;
    m.type = SG_MEAS_POS_WGS84;
    m.z[0] = 51.6 * D;
    m.z[1] = -0.2795 * D;
    m.z[2] = 70;
    m.has_vel = true;
    m.vel_enu[2] = 5; /* climbing at 5 m/s, local up */
    sg_errinfo e;
    assert_int_equal(registry_map(r, &m, &out, &e), SG_OK);
    assert_true(registry_for_tracker(&out));
    assert_int_equal(out.type, SG_MEAS_POS_ENU);
    /* GeographicLib CartConvert -l 51.5560 -0.2795 70: 0, 4895.463408, -1.879725 */
    assert_true(fabs(out.z[0]) < 1e-6 && fabs(out.z[1] - 4895.463408) < 1e-4 &&
                fabs(out.z[2] + 1.879725) < 1e-4);
    /* The local vertical at the drone, derived independently: ENU(h+1) - ENU(h). */
    double up1[3], up[3];
    geo_frame_to_enu(&g_f, m.z[0], m.z[1], m.z[2] + 1, up1);
    for (int i = 0; i < 3; i++)
        up[i] = up1[i] - out.z[i];
    double var_up = 0, var_tr = out.R[0] + out.R[4] + out.R[8];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            var_up += up[i] * out.R[3 * i + j] * up[j];
    assert_true(fabs(var_up - 225) < 1e-6);
    assert_true(fabs(var_tr - 425) < 1e-9);
    assert_true(fabs(out.R[5] - out.R[7]) < 1e-12 && fabs(out.R[5]) > 1e-3); /* tilted north */
    for (int i = 0; i < 3; i++)
        assert_true(fabs(out.vel_enu[i] - 5 * up[i]) < 1e-6);
    /* Given R is used (and rotated) instead of the default. */
    m.R[0] = m.R[4] = 4;
    m.R[8] = 9;
    assert_int_equal(registry_map(r, &m, &out, &e), SG_OK);
    assert_true(fabs(out.R[0] + out.R[4] + out.R[8] - 17) < 1e-9);
    registry_destroy(r);
}

static fusion_sensor cam(double yaw, double pitch, double roll, double east)
{
    fusion_sensor s;
    fusion_sensor_default(&s, FUSION_SENSOR_CAMERA);
    snprintf(s.id, sizeof s.id, "cam");
    double enu[3] = {east, 0, 0}, lat, lon, h;
    geo_frame_from_enu(&g_f, enu, &lat, &lon, &h);
    s.lat = lat;
    s.lon = lon;
    s.alt = h + 10;
    s.yaw = yaw * D;
    s.pitch = pitch * D;
    s.roll = roll * D;
    s.hfov = 60 * D;
    s.vfov = 40 * D;
    s.bearing_sd = 0.1 * D;
    return s;
}

static void bearing(registry *r, double azb, double elb, const double *R, sg_measurement *out, int *rc,
                    sg_errinfo *e)
{
    sg_measurement m = {0};
    m.t = 5;
    m.sensor = 0;
    m.type = SG_MEAS_BEARING;
    m.z[0] = azb * D;
    m.z[1] = elb * D;
    if (R)
        memcpy(m.R, R, 4 * sizeof R[0]);
    *rc = registry_map(r, &m, out, e);
}

static void test_camera_body_bearings(void **state)
{
    (void)state;
    const struct {
        double yaw, pitch, roll, azb, elb, az, el;
    } c[] = {
        {90, 0, 0, 5, 0, 95, 0},    {0, 0, 0, -10, 3, 350, 3}, {45, 30, 0, 0, 0, 45, 30},
        {0, 0, 90, 0, 5, 5, 0},     /* rolled right: image "up" points east */
        {0, 0, -90, 0, 5, 355, 0},  {180, 20, 0, 0, -20, 180, 0},
        {270, 0, 0, 0, 10, 270, 10},
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        fusion_sensor s = cam(c[i].yaw, c[i].pitch, c[i].roll, 0);
        registry *r = make(&s, 1);
        sg_measurement out;
        sg_errinfo e;
        int rc;
        bearing(r, c[i].azb, c[i].elb, NULL, &out, &rc, &e);
        assert_int_equal(rc, SG_OK);
        double daz = remainder(out.z[0] - c[i].az * D, 2 * M_PI), del = out.z[1] - c[i].el * D;
        /* The camera sits 10 m above the origin: its local level equals the site's. */
        if (fabs(daz) > 1e-6 || fabs(del) > 1e-6)
            fail_msg("case %zu: az %.6f el %.6f", i, out.z[0] / D, out.z[1] / D);
        double pos[3];
        registry_sensor_enu(r, 0, pos);
        assert_true(fabs(out.sensor_enu[2] - 10) < 1e-3 && out.sensor_enu[2] == pos[2]);
        registry_destroy(r);
    }
    /* Covariance: yaw only leaves R alone; a 90 deg roll swaps az and el variances. */
    fusion_sensor s = cam(30, 0, 0, 0);
    registry *r = make(&s, 1);
    double R[4] = {1e-4, 0, 0, 4e-4};
    sg_measurement out;
    sg_errinfo e;
    int rc;
    bearing(r, 0, 0, R, &out, &rc, &e);
    assert_true(fabs(out.R[0] - 1e-4) < 1e-12 && fabs(out.R[3] - 4e-4) < 1e-12);
    registry_destroy(r);
    s = cam(0, 0, 90, 0);
    r = make(&s, 1);
    bearing(r, 0, 0, R, &out, &rc, &e);
    assert_true(fabs(out.R[0] - 4e-4) < 1e-10 && fabs(out.R[3] - 1e-4) < 1e-10);
    /* Default sd when R is zero. */
    bearing(r, 0, 0, NULL, &out, &rc, &e);
    assert_true(fabs(out.R[0] - pow(0.1 * D, 2)) < 1e-12);
    /* Outside the 60 x 40 deg field of view (+5 %). */
    bearing(r, 33, 0, NULL, &out, &rc, &e);
    assert_int_equal(rc, SG_ERANGE);
    assert_non_null(strstr(e.msg, "sensor \"cam\""));
    assert_non_null(strstr(e.msg, "field of view"));
    bearing(r, 0, -22, NULL, &out, &rc, &e);
    assert_int_equal(rc, SG_ERANGE);
    registry_stats st;
    registry_get_stats(r, &st);
    assert_int_equal(st.rejected, 2);
    registry_destroy(r);
}

/* A north-looking camera 6 km east of the origin: its "north" is the local meridian,
 * which converges toward the site's north by dlon * sin(lat). The mapped azimuth must
 * match the direction to a point 1 km up that camera's meridian. */
static void test_camera_attitude_follows_curvature(void **state)
{
    (void)state;
    fusion_sensor s = cam(0, 0, 0, 6000);
    registry *r = make(&s, 1);
    sg_measurement out;
    sg_errinfo e;
    int rc;
    bearing(r, 0, 0, NULL, &out, &rc, &e);
    assert_int_equal(rc, SG_OK);
    double a[3], b[3], d[3], az, el, rng;
    geo_frame_to_enu(&g_f, s.lat, s.lon, s.alt, a);
    geo_frame_to_enu(&g_f, s.lat + 1000 / geo_radius_meridian(s.lat), s.lon, s.alt, b);
    for (int i = 0; i < 3; i++)
        d[i] = b[i] - a[i];
    geo_enu_to_aer(d, &az, &el, &rng);
    /* Horizontal at the camera, so elevation of a chord 1 km long dips 1000/2R. */
    assert_true(fabs(remainder(out.z[0] - az, 2 * M_PI)) < 2e-6);
    if (fabs(out.z[1] - el - 1000 / (2 * geo_radius_meridian(s.lat))) > 2e-6)
        fail_msg("el %g chord el %g", out.z[1], el);
    assert_true(fabs(remainder(out.z[0], 2 * M_PI)) > 1e-3); /* the correction is real */
    registry_destroy(r);
}

static void test_range_bearing_and_invalid(void **state)
{
    (void)state;
    fusion_sensor s = sensor(FUSION_SENSOR_RADAR, "radar-1", 51.5565, -0.2790, 80);
    registry *r = make(&s, 1);
    sg_measurement m = {0}, out;
    m.t = 1;
    m.sensor = 0;
    m.type = SG_MEAS_RANGE_BEARING;
    m.z[0] = 800;
    m.z[1] = 1.0;
    m.z[2] = 0.1;
    sg_errinfo e;
    assert_int_equal(registry_map(r, &m, &out, &e), SG_OK);
    assert_true(out.z[0] == 800 && out.z[1] == 1.0 && out.z[2] == 0.1); /* true az/el: kept */
    double pos[3];
    registry_sensor_enu(r, 0, pos);
    assert_memory_equal(pos, out.sensor_enu, sizeof pos);
    assert_true(out.R[0] == 25 && fabs(out.R[4] - pow(1.0 * D, 2)) < 1e-15);
    /* Invalid measurements: each refused, named, counted. */
    sg_measurement bad = m;
    bad.sensor = 7;
    assert_int_equal(registry_map(r, &bad, &out, &e), SG_ENOTFOUND);
    assert_non_null(strstr(e.msg, "sensor 7"));
    bad = m;
    bad.z[1] = NAN;
    assert_int_equal(registry_map(r, &bad, &out, &e), SG_EINVAL);
    assert_non_null(strstr(e.msg, "sensor \"radar-1\""));
    bad = m;
    bad.z[0] = -5;
    assert_int_equal(registry_map(r, &bad, &out, &e), SG_ERANGE);
    bad = m;
    bad.sensor = -1;
    assert_int_equal(registry_map(r, &bad, &out, &e), SG_EINVAL);
    bad = m;
    bad.type = SG_MEAS_POS_WGS84;
    bad.z[0] = 2.0;
    assert_int_equal(registry_map(r, &bad, &out, &e), SG_ERANGE);
    bad = m;
    bad.R[0] = -1;
    assert_int_equal(registry_map(r, &bad, &out, &e), SG_ERANGE);
    bad = m;
    bad.t = INFINITY;
    assert_int_equal(registry_map(r, &bad, &out, &e), SG_EINVAL);
    bad = m;
    bad.type = SG_MEAS_POS_ENU;
    bad.sensor = -1;
    assert_int_equal(registry_map(r, &bad, &out, &e), SG_EINVAL); /* no R, no sensor default */
    assert_non_null(strstr(e.msg, "no covariance"));
    registry_stats st;
    registry_get_stats(r, &st);
    assert_int_equal(st.rejected, 8);
    assert_int_equal(st.mapped, 1);
    registry_destroy(r);
}

static sg_measurement presence(int sensor, double t, const char *cls, double conf, const char *id)
{
    sg_measurement m = {0};
    m.t = t;
    m.sensor = sensor;
    m.type = SG_MEAS_RF_PRESENCE;
    snprintf(m.cls, sizeof m.cls, "%s", cls);
    m.cls_conf = conf;
    snprintf(m.identity, sizeof m.identity, "%s", id);
    return m;
}

static void test_rf_presence_picture_and_attach(void **state)
{
    (void)state;
    fusion_sensor s[2] = {
        sensor(FUSION_SENSOR_RF, "sdr-west", 51.556, -0.2795, 70),
        sensor(FUSION_SENSOR_RF, "sdr-east", 51.556,
               -0.2795 + 1000 / (6390000 * cos(51.556 * D)) / D, 70), /* ~1 km east */
    };
    s[1].rf_range_m = 800;
    s[0].stale_s = 10;
    registry *r = make(s, 2);
    sg_measurement m = presence(0, 100, "dji_droneid", 0.7, "1581F4XFB00AA"), out;
    sg_errinfo e;
    assert_int_equal(registry_map(r, &m, &out, &e), SG_OK);
    assert_false(registry_for_tracker(&out));
    m = presence(0, 101, "dji_droneid", 0.9, "1581F4XFB00AA");
    assert_int_equal(registry_map(r, &m, &out, &e), SG_OK);
    m = presence(1, 101, "elrs_2g4", 0.6, "");
    m.fc_hz = 2.44e9, m.bw_hz = 0.8125e6; /* the band of the emission behind it */
    assert_int_equal(registry_map(r, &m, &out, &e), SG_OK);
    rf_presence pic[4];
    assert_int_equal(registry_rf_picture(r, 101, false, pic, 4), 2);
    const rf_presence *p = strcmp(pic[0].sensor_id, "sdr-west") == 0 ? &pic[0] : &pic[1];
    assert_string_equal(p->identity, "1581F4XFB00AA");
    assert_int_equal(p->hits, 2);
    assert_true(p->first_seen == 100 && p->last_seen == 101 && p->expires == 111);
    assert_true(p->cls_conf == 0.9);

    /* Tracks: T1 carries the serial; T2, T3 have no class and are both within 800 m of
     * sdr-east -> ambiguous, the ELRS element stays a picture element. */
    sg_track tr[3];
    memset(tr, 0, sizeof tr);
    tr[0].id = 11;
    snprintf(tr[0].identity, sizeof tr[0].identity, "1581F4XFB00AA");
    tr[0].n_sensors = 1;
    tr[0].sensors[0] = 1;
    tr[1].id = 12;
    tr[1].x[0] = 1100;
    tr[2].id = 13;
    tr[2].x[0] = 900;
    tr[2].x[1] = 300;
    tr[0].x[0] = -3000; /* far from both: attached only by identity */
    assert_int_equal(registry_rf_attach(r, 102, tr, 3), 1);
    assert_int_equal(tr[0].n_sensors, 2);
    assert_int_equal(tr[0].sensors[1], 0);
    assert_string_equal(tr[0].cls, "dji_droneid");
    assert_int_equal(registry_rf_picture(r, 102, false, pic, 4), 1);
    assert_string_equal(pic[0].sensor_id, "sdr-east");
    assert_string_equal(pic[0].cls, "elrs_2g4");
    assert_true(pic[0].fc_hz == 2.44e9 && pic[0].bw_hz == 0.8125e6);
    /* with the bound ones too: the DroneID element says which track it is on */
    assert_int_equal(registry_rf_picture(r, 102, true, pic, 4), 2);
    const rf_presence *bound = pic[0].attached ? &pic[0] : &pic[1];
    assert_true(bound->attached);
    assert_int_equal(bound->track_id, 11);
    assert_true(bound->fc_hz == 0); /* never given: unknown, not faked */
    /* T3 moves out of range: now the only candidate is T2, which gets the class. */
    tr[2].x[1] = 2000;
    assert_int_equal(registry_rf_attach(r, 103, tr, 3), 2);
    assert_string_equal(tr[1].cls, "elrs_2g4");
    assert_int_equal(registry_rf_picture(r, 103, false, pic, 4), 0);
    /* Expiry: sdr-west's element expires at 111, sdr-east's (stale 10 s) at 111. */
    assert_int_equal(registry_rf_attach(r, 111.5, NULL, 0), 0);
    assert_int_equal(registry_rf_picture(r, 111.5, false, pic, 4), 0);
    registry_stats st;
    registry_get_stats(r, &st);
    assert_int_equal(st.rf_presence, 3);
    assert_int_equal(st.rf_expired, 2);
    /* Presence needs a sensor. */
    m = presence(-1, 120, "x", 0.5, "");
    assert_int_equal(registry_map(r, &m, &out, &e), SG_EINVAL);
    /* The picture is bounded: the stalest element is evicted and counted. */
    for (int i = 0; i < REGISTRY_MAX_PRESENCE + 5; i++) {
        char id[32];
        snprintf(id, sizeof id, "SER%04d", i);
        m = presence(0, 200 + i * 0.01, "dji_droneid", 0.5, id);
        assert_int_equal(registry_map(r, &m, &out, &e), SG_OK);
    }
    registry_get_stats(r, &st);
    assert_int_equal(st.rf_evicted, 5);
    assert_int_equal(registry_rf_picture(r, 203, false, NULL, 0), REGISTRY_MAX_PRESENCE);
    registry_destroy(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sensor_json_and_validation),
        cmocka_unit_test(test_wgs84_position_mapping),
        cmocka_unit_test(test_camera_body_bearings),
        cmocka_unit_test(test_camera_attitude_follows_curvature),
        cmocka_unit_test(test_range_bearing_and_invalid),
        cmocka_unit_test(test_rf_presence_picture_and_attach),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
