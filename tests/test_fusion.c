/* Fusion glue: track WGS84 fill round-trips through the site frame, and the snapshot
 * clock gives the configured rate on a grid, with gaps producing one snapshot. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "fusion.h"

static void test_fill_wgs84(void **state)
{
    (void)state;
    geo_frame f;
    assert_int_equal(geo_frame_init(&f, 51.5560 * GEO_DEG, -0.2795 * GEO_DEG, 70, NULL), SG_OK);
    sg_track tr[2];
    memset(tr, 0, sizeof tr);
    tr[0].x[1] = 4895.463408; /* GeographicLib: lat 51.6, lon -0.2795, h 70 */
    tr[0].x[2] = -1.879725;
    tr[1].x[0] = 1234;
    tr[1].x[2] = 120;
    fusion_fill_tracks_wgs84(&f, tr, 2);
    assert_true(fabs(tr[0].lat / GEO_DEG - 51.6) < 1e-9);
    assert_true(fabs(tr[0].lon / GEO_DEG + 0.2795) < 1e-9);
    assert_true(fabs(tr[0].alt - 70) < 1e-4);
    double back[3];
    geo_frame_to_enu(&f, tr[1].lat, tr[1].lon, tr[1].alt, back);
    assert_true(fabs(back[0] - 1234) < 1e-6 && fabs(back[1]) < 1e-6 && fabs(back[2] - 120) < 1e-6);
}

static void test_snapshot_rate(void **state)
{
    (void)state;
    snapshot_sched s;
    sg_errinfo e;
    assert_int_equal(snapshot_sched_init(&s, 0, &e), SG_ERANGE);
    assert_int_equal(snapshot_sched_init(&s, NAN, &e), SG_ERANGE);
    /* the whole documented snapshot_period_s range (0.01..3600 s) is accepted */
    assert_int_equal(snapshot_sched_init(&s, 1.0 / 3600, &e), SG_OK);
    assert_int_equal(snapshot_sched_init(&s, 1.0 / 1000, &e), SG_OK);
    assert_int_equal(snapshot_sched_init(&s, 1.0 / 3601, &e), SG_ERANGE);
    assert_int_equal(snapshot_sched_init(&s, 2, &e), SG_OK);
    /* Tracker steps every 0.1 s for 10 s from an odd start: 2 Hz -> 20 or 21 snapshots,
     * each on the 0.5 s grid (except the first). */
    int n = 0;
    double t0 = 1700000000.23;
    for (int k = 0; k < 100; k++) {
        double t = t0 + k * 0.1;
        if (snapshot_due(&s, t)) {
            n++;
            if (n > 1) {
                double frac = fmod(t, 0.5);
                assert_true(frac < 0.1 + 1e-6 || frac > 0.5 - 1e-6);
            }
        }
    }
    assert_true(n == 20 || n == 21);
    /* A 60 s gap: one snapshot, 119 grid instants counted as skipped. */
    assert_true(snapshot_due(&s, t0 + 70));
    assert_false(snapshot_due(&s, t0 + 70.05));
    assert_true(s.skipped >= 118 && s.skipped <= 121);
    assert_false(snapshot_due(&s, NAN));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fill_wgs84),
        cmocka_unit_test(test_snapshot_rate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
