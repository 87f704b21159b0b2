/* Assignment tests: dense rectangular solutions against brute force over all injections on
 * random small matrices (both orientations, fixed seeds), sparse partial assignment
 * against brute force over all partial matchings, degenerate inputs. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "assign.h"
#include "scenario.h"
#include "sg_error.h"

/* fixed seeds through the project's generator (scenario.h) */
static uint64_t rng_s;
static double urand(void)
{
    return scen_urand(&rng_s);
}

/* Brute force: minimum over injections of the smaller side into the larger. */
static double brute_dense(const double *c, int nr, int nc, int row, unsigned used)
{
    if (nr <= nc) {
        if (row == nr)
            return 0;
        double best = INFINITY;
        for (int j = 0; j < nc; j++)
            if (!(used & (1u << j))) {
                double v = c[row * nc + j] + brute_dense(c, nr, nc, row + 1, used | (1u << j));
                if (v < best)
                    best = v;
            }
        return best;
    }
    /* transpose */
    double t[64];
    for (int i = 0; i < nr; i++)
        for (int j = 0; j < nc; j++)
            t[j * nr + i] = c[i * nc + j];
    return brute_dense(t, nc, nr, row, used);
}

static void test_dense_vs_brute(void **state)
{
    (void)state;
    assign_ws *w = assign_ws_create();
    assert_non_null(w);
    rng_s = 0xC0FFEEULL;
    for (int trial = 0; trial < 3000; trial++) {
        int nr = 1 + (int)(urand() * 6), nc = 1 + (int)(urand() * 6);
        double c[64];
        bool ints = trial % 2; /* integer costs create ties */
        for (int k = 0; k < nr * nc; k++)
            c[k] = ints ? floor(urand() * 5) : urand() * 100 - 30;
        int r2c[8];
        double total;
        assert_int_equal(assign_dense(w, c, nr, nc, r2c, &total), 0);
        double want = brute_dense(c, nr, nc, 0, 0);
        /* a valid matching of the right size with the optimal cost */
        unsigned used = 0;
        int n_as = 0;
        double sum = 0;
        for (int i = 0; i < nr; i++) {
            if (r2c[i] < 0)
                continue;
            assert_true(r2c[i] < nc);
            assert_false(used & (1u << r2c[i]));
            used |= 1u << r2c[i];
            sum += c[i * nc + r2c[i]];
            n_as++;
        }
        assert_int_equal(n_as, nr < nc ? nr : nc);
        if (fabs(sum - want) > 1e-9 || fabs(total - want) > 1e-9)
            fail_msg("trial %d (%dx%d, seed 0xC0FFEE): cost %g, brute force %g", trial, nr, nc,
                     sum, want);
    }
    assign_ws_destroy(w);
}

/* Brute force over partial matchings using only listed edges. */
static double brute_sparse(const double *c, const bool *ok, int nr, int nc, int row,
                           unsigned used)
{
    if (row == nr)
        return 0;
    double best = brute_sparse(c, ok, nr, nc, row + 1, used); /* row unassigned */
    for (int j = 0; j < nc; j++)
        if (ok[row * nc + j] && !(used & (1u << j))) {
            double v = c[row * nc + j] + brute_sparse(c, ok, nr, nc, row + 1, used | (1u << j));
            if (v < best)
                best = v;
        }
    return best;
}

static void test_sparse_vs_brute(void **state)
{
    (void)state;
    assign_ws *w = assign_ws_create();
    assert_non_null(w);
    rng_s = 0xBEEF5ULL;
    for (int trial = 0; trial < 3000; trial++) {
        int nr = 1 + (int)(urand() * 7), nc = 1 + (int)(urand() * 7);
        double c[64];
        bool ok[64];
        assign_edge e[64];
        size_t ne = 0;
        for (int i = 0; i < nr; i++)
            for (int j = 0; j < nc; j++) {
                int k = i * nc + j;
                ok[k] = urand() < 0.45;
                c[k] = urand() * 20 - 15; /* mostly negative, some positive (never taken) */
                if (ok[k])
                    e[ne++] = (assign_edge){i, j, c[k]};
            }
        int r2c[8], c2r[8];
        double total;
        assert_int_equal(assign_sparse(w, nr, nc, e, ne, r2c, c2r, &total), 0);
        double want = brute_sparse(c, ok, nr, nc, 0, 0);
        double sum = 0;
        for (int i = 0; i < nr; i++) {
            if (r2c[i] < 0)
                continue;
            assert_true(ok[i * nc + r2c[i]]);
            assert_int_equal(c2r[r2c[i]], i);
            sum += c[i * nc + r2c[i]];
        }
        for (int j = 0; j < nc; j++)
            if (c2r[j] >= 0)
                assert_int_equal(r2c[c2r[j]], j);
        if (fabs(sum - want) > 1e-9 || fabs(total - want) > 1e-9)
            fail_msg("trial %d (%dx%d, %zu edges, seed 0xBEEF5): cost %g, brute force %g", trial,
                     nr, nc, ne, sum, want);
    }
    assign_ws_destroy(w);
}

/* The classic case where greedy nearest neighbour is wrong. */
static void test_greedy_trap(void **state)
{
    (void)state;
    assign_ws *w = assign_ws_create();
    double c[4] = {1, 2, 2, 100};
    int r2c[2];
    double total;
    assert_int_equal(assign_dense(w, c, 2, 2, r2c, &total), 0);
    assert_int_equal(r2c[0], 1);
    assert_int_equal(r2c[1], 0);
    assert_true(fabs(total - 4) < 1e-12);
    assign_ws_destroy(w);
}

static void test_degenerate_inputs(void **state)
{
    (void)state;
    assign_ws *w = assign_ws_create();
    int r2c[3] = {7, 7, 7};
    assert_int_equal(assign_dense(w, NULL, 3, 0, r2c, NULL), 0);
    assert_int_equal(r2c[0], -1);
    assert_int_equal(r2c[2], -1);
    double bad[2] = {1, NAN};
    assert_int_equal(assign_dense(w, bad, 1, 2, r2c, NULL), SG_EINVAL);
    assert_int_equal(assign_dense(w, bad, -1, 2, r2c, NULL), SG_EINVAL);
    assign_edge e = {0, 5, -1};
    assert_int_equal(assign_sparse(w, 1, 2, &e, 1, r2c, NULL, NULL), SG_EINVAL);
    e = (assign_edge){0, 1, INFINITY};
    assert_int_equal(assign_sparse(w, 1, 2, &e, 1, r2c, NULL, NULL), SG_EINVAL);
    assert_int_equal(assign_sparse(w, 0, 0, NULL, 0, NULL, NULL, NULL), 0);
    /* a large sparse diagonal problem: every row gets its own column */
    enum { N = 2000 };
    assign_edge *big = malloc(2 * N * sizeof *big);
    int *rc = malloc(N * sizeof *rc);
    assert_non_null(big);
    assert_non_null(rc);
    for (int i = 0; i < N; i++) {
        big[2 * i] = (assign_edge){i, i, -2};
        big[2 * i + 1] = (assign_edge){i, (i + 1) % N, -1};
    }
    double total;
    assert_int_equal(assign_sparse(w, N, N, big, 2 * N, rc, NULL, &total), 0);
    for (int i = 0; i < N; i++)
        assert_int_equal(rc[i], i);
    assert_true(fabs(total + 2 * N) < 1e-9);
    free(big);
    free(rc);
    assign_ws_destroy(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dense_vs_brute),
        cmocka_unit_test(test_sparse_vs_brute),
        cmocka_unit_test(test_greedy_trap),
        cmocka_unit_test(test_degenerate_inputs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
