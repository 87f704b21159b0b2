/* Camera model against hand-computed geometry: the centre pixel looks along the
 * mounting's yaw/pitch; image corners sit at the half fields of view; roll turns the
 * image the documented way; pixel -> bearing -> pixel round-trips (with distortion);
 * covariance follows the pixel size; bad configurations fail naming the key. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "camgeom.h"
#include "sg_json.h"

#define DEG (M_PI / 180.0)

static double angdiff(double a, double b)
{
    double d = fmod(a - b, 2 * M_PI);
    if (d > M_PI)
        d -= 2 * M_PI;
    if (d < -M_PI)
        d += 2 * M_PI;
    return fabs(d);
}

static camgeom make(double hfov_deg, double yaw, double pitch, double roll, int w, int h)
{
    camgeom_cfg c;
    camgeom_cfg_default(&c);
    c.hfov = hfov_deg * DEG;
    c.yaw = yaw * DEG;
    c.pitch = pitch * DEG;
    c.roll = roll * DEG;
    camgeom g;
    sg_errinfo e = {0};
    if (camgeom_init(&g, &c, w, h, &e))
        fail_msg("camgeom_init: %s", e.msg);
    return g;
}

static void test_boresight(void **state)
{
    (void)state;
    static const double cases[][3] = {
        /* yaw, pitch, roll (deg) */
        {0, 0, 0}, {90, 0, 0}, {180, 10, 0}, {270, 45, 30}, {359, -20, -90},
        {45, 89, 0}, {123.4, 5.5, 180}, {-30, 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        camgeom g = make(60, cases[i][0], cases[i][1], cases[i][2], 640, 512);
        double az, el;
        assert_int_equal(camgeom_pixel_to_bearing(&g, 319.5, 255.5, &az, &el, NULL), SG_OK);
        double want_az = fmod(cases[i][0] + 360.0, 360.0) * DEG;
        if (fabs(cases[i][1]) < 89.0 && angdiff(az, want_az) > 1e-9)
            fail_msg("case %zu: az %.9f deg, want %.9f", i, az / DEG, want_az / DEG);
        if (fabs(el - cases[i][1] * DEG) > 1e-9)
            fail_msg("case %zu: el %.9f deg, want %.9f", i, el / DEG, cases[i][1]);
        assert_true(az >= 0 && az < 2 * M_PI);
    }
}

static void test_edges_and_roll(void **state)
{
    (void)state;
    /* level camera looking east, hfov 60: the right edge (u = w - 0.5) is 30 deg right */
    camgeom g = make(60, 90, 0, 0, 640, 480);
    double az, el;
    assert_int_equal(camgeom_pixel_to_bearing(&g, 639.5, 239.5, &az, &el, NULL), SG_OK);
    assert_true(angdiff(az, 120 * DEG) < 1e-9 && fabs(el) < 1e-9);
    assert_int_equal(camgeom_pixel_to_bearing(&g, -0.5, 239.5, &az, &el, NULL), SG_OK);
    assert_true(angdiff(az, 60 * DEG) < 1e-9);
    /* top edge: square pixels, so the half vertical fov is atan(240/fx) */
    double fx = 320.0 / tan(30 * DEG);
    assert_int_equal(camgeom_pixel_to_bearing(&g, 319.5, -0.5, &az, &el, NULL), SG_OK);
    assert_true(fabs(el - atan(240.0 / fx)) < 1e-9 && angdiff(az, 90 * DEG) < 1e-9);
    /* corner: up-right; azimuth less than 30 deg off because the ray is raised */
    assert_int_equal(camgeom_pixel_to_bearing(&g, 639.5, -0.5, &az, &el, NULL), SG_OK);
    double want_el = atan2(240.0 / fx, hypot(1.0, 320.0 / fx));
    assert_true(fabs(el - want_el) < 1e-9 && angdiff(az, 120 * DEG) < 1e-9);

    /* roll +90 (clockwise from behind): the image top now points right (south for
     * an east-looking camera), so a pixel above the centre looks south of boresight */
    g = make(60, 90, 0, 90, 640, 480);
    assert_int_equal(camgeom_pixel_to_bearing(&g, 319.5, 100, &az, &el, NULL), SG_OK);
    assert_true(az > 90 * DEG + 1e-3 && fabs(el) < 1e-9);
    /* and a pixel right of the centre looks down */
    assert_int_equal(camgeom_pixel_to_bearing(&g, 500, 239.5, &az, &el, NULL), SG_OK);
    assert_true(el < -1e-3 && angdiff(az, 90 * DEG) < 1e-9);
    /* pitch: a camera tilted up 20 deg sees its top edge higher than a level one */
    g = make(60, 0, 20, 0, 640, 480);
    assert_int_equal(camgeom_pixel_to_bearing(&g, 319.5, -0.5, &az, &el, NULL), SG_OK);
    assert_true(fabs(el - (20 * DEG + atan(240.0 / fx))) < 1e-9);
}

static void test_round_trip(void **state)
{
    (void)state;
    static const double cases[][5] = {
        /* hfov, yaw, pitch, roll, k1 */
        {60, 0, 0, 0, 0}, {90, 200, 30, 10, 0}, {20, 77, 60, -45, 0}, {60, 300, 5, 0, -0.1},
        {40, 10, 15, 3, 0.15}, {100, 180, -10, 170, -0.05},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        camgeom_cfg c;
        camgeom_cfg_default(&c);
        c.hfov = cases[i][0] * DEG;
        c.yaw = cases[i][1] * DEG;
        c.pitch = cases[i][2] * DEG;
        c.roll = cases[i][3] * DEG;
        c.k1 = cases[i][4];
        camgeom g;
        assert_int_equal(camgeom_init(&g, &c, 1920, 1080, NULL), SG_OK);
        for (double u = 0; u < 1920; u += 191.3)
            for (double v = 0; v < 1080; v += 107.7) {
                double az, el, u2, v2;
                bool in;
                assert_int_equal(camgeom_pixel_to_bearing(&g, u, v, &az, &el, NULL), SG_OK);
                assert_int_equal(camgeom_bearing_to_pixel(&g, az, el, &u2, &v2, &in), SG_OK);
                if (fabs(u2 - u) > 1e-6 || fabs(v2 - v) > 1e-6 || !in)
                    fail_msg("case %zu: (%.2f, %.2f) -> (%.6f, %.6f)", i, u, v, u2, v2);
            }
        /* the opposite direction is behind the camera and has no pixel */
        double az, el, u2, v2;
        assert_int_equal(camgeom_pixel_to_bearing(&g, 960, 540, &az, &el, NULL), SG_OK);
        assert_int_equal(camgeom_bearing_to_pixel(&g, az + M_PI, -el, &u2, &v2, NULL), SG_ERANGE);
    }
}

/* Aerospace Z-Y-X body (forward, right, down) -> ENU, written out independently: the
 * convention of the fusion registry, which rotates boresight-relative camera bearings. */
static void zyx_body_to_enu(double yaw, double pitch, double roll, const double b[3], double enu[3])
{
    double cy = cos(yaw), sy = sin(yaw), cp = cos(pitch), sp = sin(pitch), cr = cos(roll),
           sr = sin(roll);
    double ned[3][3] = {{cp * cy, sr * sp * cy - cr * sy, cr * sp * cy + sr * sy},
                        {cp * sy, sr * sp * sy + cr * cy, cr * sp * sy - sr * cy},
                        {-sp, sr * cp, cr * cp}};
    double n[3];
    for (int i = 0; i < 3; i++)
        n[i] = ned[i][0] * b[0] + ned[i][1] * b[1] + ned[i][2] * b[2];
    enu[0] = n[1];
    enu[1] = n[0];
    enu[2] = -n[2];
}

static void test_same_convention_as_zyx_body(void **state)
{
    (void)state;
    /* boresight-relative az/el (camgeom with zero mounting) rotated by Z-Y-X yaw, pitch,
     * roll must equal camgeom's own ENU answer: the two ways of applying the mounting
     * (here, or in the fusion registry with body_bearings) agree */
    static const double cases[][3] = {{0, 0, 0}, {30, 10, 0}, {250, 15, 5}, {90, -20, 40},
                                      {180, 60, -120}, {10, 85, 170}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        camgeom g = make(70, cases[i][0], cases[i][1], cases[i][2], 640, 480);
        camgeom b = make(70, 0, 0, 0, 640, 480);
        for (double u = 0; u < 640; u += 97)
            for (double v = 0; v < 480; v += 83) {
                double az, el, azb, elb;
                assert_int_equal(camgeom_pixel_to_bearing(&g, u, v, &az, &el, NULL), SG_OK);
                assert_int_equal(camgeom_pixel_to_bearing(&b, u, v, &azb, &elb, NULL), SG_OK);
                double body[3] = {cos(elb) * cos(azb), cos(elb) * sin(azb), -sin(elb)}, d[3];
                zyx_body_to_enu(cases[i][0] * DEG, cases[i][1] * DEG, cases[i][2] * DEG, body, d);
                double az2 = atan2(d[0], d[1]), el2 = atan2(d[2], hypot(d[0], d[1]));
                if (fabs(el2 - el) > 1e-9 || (fabs(el) < 89.9 * DEG && angdiff(az2, az) > 1e-9))
                    fail_msg("case %zu pixel (%g, %g): camgeom %.9f/%.9f, Z-Y-X %.9f/%.9f deg", i,
                             u, v, az / DEG, el / DEG, az2 / DEG, el2 / DEG);
            }
    }
}

static void test_covariance(void **state)
{
    (void)state;
    /* at the centre one pixel subtends 1/fx rad in both axes */
    camgeom_cfg c;
    camgeom_cfg_default(&c);
    c.pixel_sd = 2.0;
    camgeom g;
    assert_int_equal(camgeom_init(&g, &c, 640, 512, NULL), SG_OK);
    double az, el, R[4];
    assert_int_equal(camgeom_pixel_to_bearing(&g, 319.5, 255.5, &az, &el, R), SG_OK);
    double s = 2.0 / g.fx;
    assert_true(fabs(R[0] - s * s) / (s * s) < 1e-6);
    assert_true(fabs(R[3] - s * s) / (s * s) < 1e-6);
    assert_true(fabs(R[1]) < 1e-12 && R[1] == R[2]);
    /* pitched up 60 deg: azimuth spreads by 1/cos(el) */
    c.pitch = 60 * DEG;
    c.mount_sd = 0.1 * DEG;
    assert_int_equal(camgeom_init(&g, &c, 640, 512, NULL), SG_OK);
    assert_int_equal(camgeom_pixel_to_bearing(&g, 319.5, 255.5, &az, &el, R), SG_OK);
    double m2 = 0.1 * DEG * 0.1 * DEG;
    assert_true(fabs(R[0] - (s * s + m2) / 0.25) / R[0] < 1e-5);
    assert_true(fabs(R[3] - (s * s + m2)) / R[3] < 1e-5);
    assert_int_equal(camgeom_pixel_to_bearing(&g, NAN, 1, &az, &el, R), SG_EINVAL);
}

static void test_config(void **state)
{
    (void)state;
    camgeom_cfg c;
    camgeom g;
    sg_errinfo e = {0};
    camgeom_cfg_default(&c);
    c.hfov = 0;
    assert_int_equal(camgeom_init(&g, &c, 640, 512, &e), SG_ERANGE);
    assert_non_null(strstr(e.msg, "hfov"));
    camgeom_cfg_default(&c);
    assert_int_equal(camgeom_init(&g, &c, 0, 512, &e), SG_ERANGE);
    c.pitch = 100 * DEG;
    assert_int_equal(camgeom_init(&g, &c, 640, 512, &e), SG_ERANGE);
    camgeom_cfg_default(&c);
    c.pixel_sd = 0;
    assert_int_equal(camgeom_init(&g, &c, 640, 512, &e), SG_ERANGE);

    cJSON *ad = cJSON_Parse("{\"hfov_deg\": 50, \"k1\": -0.02, \"pixel_sd\": 0.7}");
    cJSON *ori = cJSON_Parse("{\"yaw_deg\": 10, \"pitch_deg\": 12, \"roll_deg\": -3}");
    camgeom_cfg_default(&c);
    assert_int_equal(camgeom_cfg_from_json(&c, ad, "s.adapter", ori, "s.orientation", &e), SG_OK);
    assert_true(fabs(c.hfov - 50 * DEG) < 1e-12 && fabs(c.pitch - 12 * DEG) < 1e-12 &&
                fabs(c.roll + 3 * DEG) < 1e-12 && c.k1 == -0.02 && c.pixel_sd == 0.7);
    cJSON_Delete(ad);
    cJSON_Delete(ori);
    const char *bad[][3] = {
        {"{\"hfov_deg\": 190}", "{}", "s.adapter.hfov_deg"},
        {"{\"hfov_deg\": 60, \"k1\": 3}", "{}", "s.adapter.k1"},
        {"{\"hfov_deg\": 60}", "{\"pitch_deg\": 95}", "s.orientation.pitch_deg"},
        {"{\"hfov_deg\": 60}", "{\"yaw_deg\": \"north\"}", "s.orientation.yaw_deg"},
        {"{\"hfov_deg\": 60, \"vfov_deg\": 0.01}", "{}", "s.adapter.vfov_deg"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ad = cJSON_Parse(bad[i][0]);
        ori = cJSON_Parse(bad[i][1]);
        camgeom_cfg_default(&c);
        e = (sg_errinfo){0};
        assert_int_not_equal(camgeom_cfg_from_json(&c, ad, "s.adapter", ori, "s.orientation", &e),
                             SG_OK);
        if (!strstr(e.msg, bad[i][2]))
            fail_msg("case %zu: '%s' does not name %s", i, e.msg, bad[i][2]);
        cJSON_Delete(ad);
        cJSON_Delete(ori);
    }
    /* fx given: no hfov needed */
    ad = cJSON_Parse("{\"fx\": 800, \"fy\": 810, \"cx\": 300, \"cy\": 250}");
    camgeom_cfg_default(&c);
    assert_int_equal(camgeom_cfg_from_json(&c, ad, "a", NULL, "o", &e), SG_OK);
    assert_int_equal(camgeom_init(&g, &c, 640, 512, &e), SG_OK);
    assert_true(g.fx == 800 && g.fy == 810 && g.cx == 300 && g.cy == 250);
    cJSON_Delete(ad);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_boresight),     cmocka_unit_test(test_edges_and_roll),
        cmocka_unit_test(test_round_trip),    cmocka_unit_test(test_covariance),
        cmocka_unit_test(test_same_convention_as_zyx_body),
        cmocka_unit_test(test_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
