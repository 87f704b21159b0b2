/* OSPA / GOSPA on small cases worked out by hand (the expected values are written as the
 * arithmetic that produces them). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ospa.h"
#include "scenario.h"
#include "sg_error.h"

typedef struct {
    const char *name;
    int m, n;
    double truth[3][3], est[3][3];
    double c, p;
    double ospa, gospa;
    size_t missed, false_;
} ospa_case;

static void test_hand_cases(void **state)
{
    (void)state;
    static const ospa_case cases[] = {
        {"both empty", 0, 0, {{0}}, {{0}}, 10, 1, 0, 0, 0, 0},
        /* one missed truth: OSPA = c; GOSPA = (c^p / 2)^(1/p) */
        {"missed only", 1, 0, {{0, 0, 0}}, {{0}}, 10, 2, 10, 7.0710678118654755, 1, 0},
        {"false only", 0, 2, {{0}}, {{1, 1, 1}, {5, 5, 5}}, 4, 1, 4, 4, 0, 2},
        /* 3-4-5 triangle */
        {"one pair", 1, 1, {{0, 0, 0}}, {{3, 4, 0}}, 10, 1, 5, 5, 0, 0},
        /* pair beyond c: OSPA caps at c; GOSPA leaves both unassigned: 5 + 5 */
        {"beyond c", 1, 1, {{0, 0, 0}}, {{20, 0, 0}}, 10, 1, 10, 10, 1, 1},
        /* two truths, one estimate 1 m away, c=5, p=2:
         * OSPA = sqrt((1 + 25) / 2) = sqrt(13); GOSPA = sqrt(1 + 25/2) = sqrt(13.5) */
        {"card error", 2, 1, {{0, 0, 0}, {10, 0, 0}}, {{1, 0, 0}}, 5, 2, 3.605551275463989,
         3.6742346141747673, 1, 0},
        /* optimal pairing (0<->0.1, 2<->1.9) beats greedy-by-index: sum 0.2, p=1 */
        {"optimal pairing", 2, 2, {{0, 0, 0}, {2, 0, 0}}, {{1.9, 0, 0}, {0.1, 0, 0}}, 10, 1, 0.1,
         0.2, 0, 0},
        /* mixed: 3 truths, 2 estimates; pairs at 1 and 2 m; c=4, p=1:
         * OSPA = (1 + 2 + 4) / 3 = 7/3; GOSPA = 1 + 2 + 4/2 = 5 */
        {"mixed", 3, 2, {{0, 0, 0}, {100, 0, 0}, {0, 100, 0}}, {{0, 1, 0}, {100, 0, 2}}, 4, 1,
         2.3333333333333335, 5, 1, 0},
    };
    assign_ws *w = assign_ws_create();
    assert_non_null(w);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const ospa_case *k = &cases[i];
        ospa_result r;
        assert_int_equal(ospa_compute(w, k->truth, (size_t)k->m, k->est, (size_t)k->n, k->c,
                                      k->p, &r, NULL),
                         0);
        if (fabs(r.ospa - k->ospa) > 1e-9 || fabs(r.gospa - k->gospa) > 1e-9 ||
            r.n_missed != k->missed || r.n_false != k->false_)
            fail_msg("%s: OSPA %g (want %g), GOSPA %g (want %g), missed %zu false %zu", k->name,
                     r.ospa, k->ospa, r.gospa, k->gospa, r.n_missed, r.n_false);
    }
    assign_ws_destroy(w);
}

/* Brute force over partial matchings: the sum of d^p over matched pairs (any distance)
 * plus cut-off costs; OSPA and GOSPA written straight from their definitions. */
static double dist(const double *a, const double *b)
{
    return sqrt((a[0] - b[0]) * (a[0] - b[0]) + (a[1] - b[1]) * (a[1] - b[1]) +
                (a[2] - b[2]) * (a[2] - b[2]));
}

/* min over injections of the smaller set: sum min(d, c)^p */
static double brute_ospa_sum(const double (*x)[3], size_t m, const double (*y)[3], size_t n,
                             double c, double p, size_t i, unsigned used)
{
    if (i == m)
        return 0;
    double best = INFINITY;
    for (size_t j = 0; j < n; j++)
        if (!(used & (1u << j))) {
            double v = pow(fmin(dist(x[i], y[j]), c), p) +
                       brute_ospa_sum(x, m, y, n, c, p, i + 1, used | (1u << j));
            best = fmin(best, v);
        }
    return best;
}

/* min over partial matchings: sum d^p + c^p/2 per unmatched element of either set */
static double brute_gospa_sum(const double (*x)[3], size_t m, const double (*y)[3], size_t n,
                              double c, double p, size_t i, unsigned used)
{
    if (i == m) {
        size_t un = 0;
        for (size_t j = 0; j < n; j++)
            un += !(used & (1u << j));
        return pow(c, p) / 2 * (double)un;
    }
    double best = pow(c, p) / 2 + brute_gospa_sum(x, m, y, n, c, p, i + 1, used);
    for (size_t j = 0; j < n; j++)
        if (!(used & (1u << j))) {
            double v = pow(dist(x[i], y[j]), p) +
                       brute_gospa_sum(x, m, y, n, c, p, i + 1, used | (1u << j));
            best = fmin(best, v);
        }
    return best;
}

static void test_random_vs_brute(void **state)
{
    (void)state;
    uint64_t rng = 0x05BA;
    assign_ws *w = assign_ws_create();
    for (int trial = 0; trial < 2000; trial++) {
        size_t m = (size_t)(scen_urand(&rng) * 6), n = (size_t)(scen_urand(&rng) * 6);
        double x[6][3], y[6][3];
        for (size_t i = 0; i < 6; i++)
            for (int k = 0; k < 3; k++) {
                x[i][k] = scen_urand(&rng) * 40;
                y[i][k] = scen_urand(&rng) * 40;
            }
        double c = 5 + scen_urand(&rng) * 30, p = 1 + (trial % 3);
        ospa_result r;
        assert_int_equal(ospa_compute(w, x, m, y, n, c, p, &r, NULL), 0);
        double want_o, want_g = pow(brute_gospa_sum(x, m, y, n, c, p, 0, 0), 1 / p);
        size_t mx = m > n ? m : n;
        if (mx == 0)
            want_o = 0;
        else if (m <= n)
            want_o = pow((brute_ospa_sum(x, m, y, n, c, p, 0, 0) + pow(c, p) * (double)(n - m)) /
                             (double)mx, 1 / p);
        else
            want_o = pow((brute_ospa_sum(y, n, x, m, c, p, 0, 0) + pow(c, p) * (double)(m - n)) /
                             (double)mx, 1 / p);
        if (fabs(r.ospa - want_o) > 1e-9 || fabs(r.gospa - want_g) > 1e-9)
            fail_msg("trial %d (m=%zu n=%zu c=%g p=%g, seed 0x05BA): OSPA %g vs %g, GOSPA %g vs %g",
                     trial, m, n, c, p, r.ospa, want_o, r.gospa, want_g);
    }
    assign_ws_destroy(w);
}

static void test_invalid(void **state)
{
    (void)state;
    assign_ws *w = assign_ws_create();
    double a[1][3] = {{0, 0, 0}}, b[1][3] = {{NAN, 0, 0}};
    ospa_result r;
    assert_int_equal(ospa_compute(w, a, 1, a, 1, 0, 1, &r, NULL), SG_EINVAL);
    assert_int_equal(ospa_compute(w, a, 1, a, 1, 10, 0.5, &r, NULL), SG_EINVAL);
    assert_int_equal(ospa_compute(w, a, 1, b, 1, 10, 1, &r, NULL), SG_EINVAL);
    assert_int_equal(ospa_compute(w, a, 1, a, 1, 10, 1, NULL, NULL), SG_EINVAL);
    assign_ws_destroy(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_cases),
        cmocka_unit_test(test_random_vs_brute),
        cmocka_unit_test(test_invalid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
