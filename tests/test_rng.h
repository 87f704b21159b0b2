/* The tests' seeded noise: one xorshift64 generator per test program, its state `rng`
 * starting at the program's SEED (define SEED, a nonzero 64-bit constant, before including
 * this; a test may reset `rng` to rerun a case), with uniform (0, 1) and standard normal
 * draws. Seeds are printed on failure by the tests that use it. */
#ifndef SG_TEST_RNG_H
#define SG_TEST_RNG_H

#include <math.h>
#include <stdint.h>

static uint64_t rng = SEED;

static inline double urand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return ((double)(rng >> 11) + 0.5) / 9007199254740992.0;
}

/* Box-Muller, one draw per call (the second is not kept). The first uniform goes to the
 * radius, the second to the angle (spelt out: C leaves the order of a product's operands
 * open). */
static inline double grand(void)
{
    double u = urand();
    return sqrt(-2 * log(u)) * cos(2 * M_PI * urand());
}

#endif
