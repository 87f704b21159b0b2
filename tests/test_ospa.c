/* OSPA / GOSPA on small cases worked out by hand (the expected values are written as the
 * arithmetic that produces them). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ospa.h"
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
        cmocka_unit_test(test_invalid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
