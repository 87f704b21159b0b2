/* EGM96 geoid undulation (fusion/geoid.c, geoid_proj.c) against the test points NGA
 * publishes with its EGM96 interpolation program (geoid heights at six points on four
 * continents and both hemispheres), the HAE -> AMSL -> AGL chain, and refusals (bad
 * coordinates, a grid that does not exist). Skips (77) when proj-data's grid is absent. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "geoid.h"
#include "sg_assert.h"

static sg_geoid *g;

static void test_nga_points(void **st)
{
    (void)st;
    /* lat, lon (0..360 as NGA gives them), N in metres */
    const double pts[][3] = {
        {38.6281550, 269.7791550, -31.628}, {-14.6212170, 305.0211140, -2.969},
        {46.8743190, 102.4487290, -43.575}, {-23.6174460, 133.8747120, 15.871},
        {38.6254730, 359.9995000, 50.066},  {-0.4667440, 0.0023000, 17.329},
    };
    double worst = 0;
    for (size_t i = 0; i < sizeof pts / sizeof pts[0]; i++) {
        double n;
        assert_int_equal(geoid_undulation(g, pts[i][0], pts[i][1], &n), SG_OK);
        double err = fabs(n - pts[i][2]);
        if (err > worst)
            worst = err;
        if (err > 0.10)
            fail_msg("point %zu (%.4f, %.4f): N = %.3f m, NGA %.3f m", i, pts[i][0], pts[i][1],
                     n, pts[i][2]);
    }
    print_message("EGM96 15' grid vs NGA test points: worst |error| %.3f m\n", worst);
    /* the same point with longitude -180..180 */
    double a, b;
    assert_int_equal(geoid_undulation(g, 38.6281550, 269.7791550, &a), SG_OK);
    assert_int_equal(geoid_undulation(g, 38.6281550, 269.7791550 - 360, &b), SG_OK);
    assert_near(a, b, 1e-9);
}

static void test_heights(void **st)
{
    (void)st;
    double n, amsl, agl;
    /* a drone 152.5 m above the ellipsoid over a London stadium whose ground is 41 m AMSL */
    assert_int_equal(geoid_undulation(g, 51.556, -0.2796, &n), SG_OK);
    assert_true(n > 44 && n < 48); /* ~46 m in London */
    geoid_heights(g, 51.556, -0.2796, 152.5, 41.0, &amsl, &agl);
    assert_near(amsl, 152.5 - n, 1e-9);
    assert_near(agl, 152.5 - n - 41.0, 1e-9);
    geoid_heights(g, 51.556, -0.2796, 152.5, NAN, &amsl, &agl);
    assert_true(isfinite(amsl) && isnan(agl));
    geoid_heights(NULL, 51.556, -0.2796, 152.5, 41.0, &amsl, &agl);
    assert_true(isnan(amsl) && isnan(agl));
}

static void test_refusals(void **st)
{
    (void)st;
    double n;
    assert_int_equal(geoid_undulation(g, 91, 0, &n), SG_ERANGE);
    assert_true(isnan(n));
    assert_int_equal(geoid_undulation(g, NAN, 0, &n), SG_ERANGE);
    assert_int_equal(geoid_undulation(g, 0, 400, &n), SG_ERANGE);
    sg_errinfo e = {0};
    assert_null(geoid_open("no_such_geoid_grid.gtx", &e));
    assert_non_null(strstr(e.msg, "no_such_geoid_grid.gtx"));
}

int main(void)
{
    sg_errinfo e = {0};
    if (!(g = geoid_open(NULL, &e))) {
        fprintf(stderr, "skipped: %s\n", e.msg);
        return 77;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nga_points),
        cmocka_unit_test(test_heights),
        cmocka_unit_test(test_refusals),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    geoid_close(g);
    return rc;
}
