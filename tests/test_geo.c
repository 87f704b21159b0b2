/* WGS84 geodesy against published/independent references.
 *
 * Reference values were produced with GeographicLib 2.1.2 (Debian geographiclib-tools:
 * CartConvert / GeodSolve, -p 6), an implementation independent of ours; the two
 * CartConvert examples (Mt Everest, 33.3 44.4 6000) are the ones in its manual and the
 * Flinders Peak -> Buninyong geodesic is Vincenty's (1975) published test line. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "geo.h"

#define D GEO_DEG

typedef struct {
    double lat, lon, h; /* deg, deg, m */
    double x, y, z;     /* m ECEF from GeographicLib */
} ecef_case;

static const ecef_case ecef_cases[] = {
    {27.99, 86.93, 8820, 302271.432714, 5635928.367499, 2979666.134903},
    {33.3, 44.4, 6000, 3816209.604493, 3737108.550254, 3485109.572568},
    {0, 0, 0, 6378137.0, 0, 0},
    {90, 0, 0, 0, 0, 6356752.314245},
    {-90, 0, 0, 0, 0, -6356752.314245},
    {-33.8688, 151.2093, 58, -4646093.477288, 2553229.535817, -3534404.710910},
    {51.5560, -0.2795, 70, 3973766.861021, -19384.964430, 4972293.456827},
    {89.9999, 45, 100, 7.898080, 7.898080, 6356852.314235},
};

static void test_ellipsoid_constants(void **state)
{
    (void)state;
    assert_true(fabs(GEO_WGS84_B - 6356752.314245) < 1e-6);
    assert_true(fabs(GEO_WGS84_E2 - 0.00669437999014) < 1e-14);
}

static void test_ecef_reference_points(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof ecef_cases / sizeof ecef_cases[0]; i++) {
        const ecef_case *c = &ecef_cases[i];
        double x[3];
        geo_to_ecef(c->lat * D, c->lon * D, c->h, x);
        double err = fabs(x[0] - c->x) + fabs(x[1] - c->y) + fabs(x[2] - c->z);
        if (err > 1e-5)
            fail_msg("case %zu: forward error %g m", i, err);
        double ref[3] = {c->x, c->y, c->z}, lat, lon, h;
        geo_from_ecef(ref, &lat, &lon, &h);
        /* 1e-10 rad ~ 0.6 mm on the ground; longitude only meaningful off the poles. */
        if (fabs(lat - c->lat * D) > 1e-10 || fabs(h - c->h) > 1e-4)
            fail_msg("case %zu: inverse lat %.12f h %.6f", i, lat / D, h);
        if (fabs(c->lat) < 90 && fabs(lon - c->lon * D) > 1e-10)
            fail_msg("case %zu: inverse lon %.12f", i, lon / D);
    }
}

static void test_ecef_round_trip_grid(void **state)
{
    (void)state;
    double worst_h = 0, worst_ang = 0;
    for (double lat = -90; lat <= 90; lat += 7.5)
        for (double lon = -180; lon < 180; lon += 37)
            for (double h = -400; h < 2e5; h += 23456.7) {
                double x[3], la, lo, hh;
                geo_to_ecef(lat * D, lon * D, h, x);
                geo_from_ecef(x, &la, &lo, &hh);
                worst_h = fmax(worst_h, fabs(hh - h));
                worst_ang = fmax(worst_ang, fabs(la - lat * D));
                if (fabs(lat) < 89.9) {
                    double dl = remainder(lo - lon * D, 2 * M_PI);
                    worst_ang = fmax(worst_ang, fabs(dl) * cos(lat * D));
                }
            }
    if (worst_h > 1e-6 || worst_ang > 1e-13)
        fail_msg("round trip worst h %g m, angle %g rad", worst_h, worst_ang);
}

static void test_enu_reference(void **state)
{
    (void)state;
    geo_frame f;
    assert_int_equal(geo_frame_init(&f, 51.5560 * D, -0.2795 * D, 70, NULL), SG_OK);
    /* CartConvert -l 51.5560 -0.2795 70 */
    const struct {
        double lat, lon, h, e, n, u;
    } c[] = {
        {51.9, 0.4, 300, 46771.723054, 38492.984244, -57.345079},
        {51.5, -0.9, -20, -43086.863497, -6047.713803, -238.106773},
        {51.6, -0.2795, 70, 0.0, 4895.463408, -1.879725},
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        double enu[3];
        geo_frame_to_enu(&f, c[i].lat * D, c[i].lon * D, c[i].h, enu);
        double err = fabs(enu[0] - c[i].e) + fabs(enu[1] - c[i].n) + fabs(enu[2] - c[i].u);
        if (err > 1e-4)
            fail_msg("enu case %zu error %g m", i, err);
        /* Round trip back to geodetic: centimetre requirement, we get far better. */
        double la, lo, hh, back[3];
        geo_frame_from_enu(&f, enu, &la, &lo, &hh);
        geo_frame_to_enu(&f, la, lo, hh, back);
        double rt = fabs(back[0] - enu[0]) + fabs(back[1] - enu[1]) + fabs(back[2] - enu[2]);
        if (rt > 1e-6 || fabs(hh - c[i].h) > 1e-6)
            fail_msg("enu round trip case %zu: %g m", i, rt);
    }
}

/* A 50 km ring of points around several origins (incl. a pole and the antimeridian)
 * converted ENU -> WGS84 -> ENU must agree to well under a centimetre. */
static void test_enu_round_trip_50km(void **state)
{
    (void)state;
    const double origins[][3] = {{51.556, -0.2795, 70}, {-33.87, 151.21, 20},
                                 {89.999, 10, 0}, {-90, 0, 2800}, {0.01, 179.99, 5}};
    for (size_t o = 0; o < 5; o++) {
        geo_frame f;
        assert_int_equal(geo_frame_init(&f, origins[o][0] * D, origins[o][1] * D,
                                        origins[o][2], NULL), SG_OK);
        for (int k = 0; k < 36; k++) {
            double a = k * 10 * D;
            double enu[3] = {50000 * sin(a), 50000 * cos(a), 300.0 - 10 * k}, la, lo, h, b[3];
            geo_frame_from_enu(&f, enu, &la, &lo, &h);
            geo_frame_to_enu(&f, la, lo, h, b);
            double err = hypot(hypot(b[0] - enu[0], b[1] - enu[1]), b[2] - enu[2]);
            if (err > 1e-4)
                fail_msg("origin %zu bearing %d: %g m", o, k * 10, err);
        }
    }
}

static void test_height_approx(void **state)
{
    (void)state;
    geo_frame f;
    assert_int_equal(geo_frame_init(&f, 51.556 * D, -0.2795 * D, 70, NULL), SG_OK);
    for (int k = 0; k < 16; k++) {
        double a = k * 22.5 * D;
        double enu[3] = {10000 * sin(a), 10000 * cos(a), 1500}, la, lo, h;
        geo_frame_from_enu(&f, enu, &la, &lo, &h);
        double ha = geo_frame_height_approx(&f, enu);
        if (fabs(ha - h) > 0.01)
            fail_msg("bearing %g: approx %f exact %f", k * 22.5, ha, h);
    }
}

static void test_rot_from_local(void **state)
{
    (void)state;
    geo_frame f;
    assert_int_equal(geo_frame_init(&f, 51.556 * D, -0.2795 * D, 70, NULL), SG_OK);
    /* Local "up" 40 km east must tilt toward +east in the site frame by ~40/6390 rad. */
    double lat = 51.556 * D, lon = -0.2795 * D + 40000 / (6390000 * cos(lat));
    double c[9];
    geo_frame_rot_from_local(&f, lat, lon, c);
    double tilt = atan2(c[2], c[8]); /* up column's east component */
    assert_true(fabs(tilt - 40000.0 / 6390000.0) < 2e-4);
    /* Orthonormal. */
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            double s = 0;
            for (int k = 0; k < 3; k++)
                s += c[3 * i + k] * c[3 * j + k];
            assert_true(fabs(s - (i == j)) < 1e-12);
        }
}

static void test_inverse_vincenty(void **state)
{
    (void)state;
    double d, a1, a2;
    /* Flinders Peak -> Buninyong (Vincenty 1975): 54972.271 m, az 306 52 05.37. */
    int rc = geo_inverse(-(37 + 57 / 60.0 + 3.72030 / 3600) * D, (144 + 25 / 60.0 + 29.52440 / 3600) * D,
                         -(37 + 39 / 60.0 + 10.15610 / 3600) * D, (143 + 55 / 60.0 + 35.38390 / 3600) * D,
                         &d, &a1, &a2);
    assert_int_equal(rc, SG_OK);
    assert_true(fabs(d - 54972.271) < 1e-3);
    assert_true(fabs(a1 / D - (306 + 52 / 60.0 + 5.37 / 3600)) < 1e-5);
    assert_true(fabs(a2 / D - (360 - 52.82636936831)) < 1e-7);
    /* GeodSolve -i 51.5560 -0.2795 51.9 0.4 */
    assert_int_equal(geo_inverse(51.556 * D, -0.2795 * D, 51.9 * D, 0.4 * D, &d, &a1, &a2), SG_OK);
    assert_true(fabs(d - 60572.842080) < 1e-3);
    assert_true(fabs(a1 / D - 50.54572695500) < 1e-7);
    /* Nearly antipodal: flagged, finite fallback. */
    rc = geo_inverse(0, 0, 0.5 * D, 179.7 * D, &d, &a1, &a2);
    assert_true(isfinite(d) && d > 1.9e7);
    (void)rc;
    assert_int_equal(geo_inverse(0.3, 0.2, 0.3, 0.2, &d, &a1, &a2), SG_OK);
    assert_true(d == 0);
}

static void test_aer(void **state)
{
    (void)state;
    const double c[][3] = {{0, 0, 100}, {90, 0, 50}, {225, 30, 10}, {359, -10, 1}};
    for (size_t i = 0; i < 4; i++) {
        double v[3], az, el, r;
        geo_aer_to_enu(c[i][0] * D, c[i][1] * D, c[i][2], v);
        geo_enu_to_aer(v, &az, &el, &r);
        assert_true(fabs(az - c[i][0] * D) < 1e-12 && fabs(el - c[i][1] * D) < 1e-12 &&
                    fabs(r - c[i][2]) < 1e-9);
    }
    double up[3] = {0, 0, 5}, az, el, r;
    geo_enu_to_aer(up, &az, &el, &r);
    assert_true(az == 0 && fabs(el - M_PI / 2) < 1e-15);
}

static void test_frame_invalid(void **state)
{
    (void)state;
    geo_frame f;
    sg_errinfo e = {0};
    assert_int_equal(geo_frame_init(&f, 91 * D, 0, 0, &e), SG_ERANGE);
    assert_non_null(strstr(e.msg, "latitude"));
    assert_int_equal(geo_frame_init(&f, NAN, 0, 0, &e), SG_ERANGE);
    assert_int_equal(geo_frame_init(&f, 0, INFINITY, 0, &e), SG_ERANGE);
    assert_non_null(strstr(e.msg, "longitude"));
    assert_int_equal(geo_frame_init(&f, 0, 0, 2e5, &e), SG_ERANGE);
    assert_non_null(strstr(e.msg, "height"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ellipsoid_constants), cmocka_unit_test(test_ecef_reference_points),
        cmocka_unit_test(test_ecef_round_trip_grid), cmocka_unit_test(test_enu_reference),
        cmocka_unit_test(test_enu_round_trip_50km),  cmocka_unit_test(test_height_approx),
        cmocka_unit_test(test_rot_from_local),       cmocka_unit_test(test_inverse_vincenty),
        cmocka_unit_test(test_aer),                  cmocka_unit_test(test_frame_invalid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
