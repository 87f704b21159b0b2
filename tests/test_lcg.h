/* The seeded noise of the tests whose figures were measured with it (test_droneid,
 * test_emitter): the 32-bit linear congruential generator with Numerical Recipes'
 * constants, state `rng` (each test sets it to its fixed seed before use), 24-bit uniform
 * (0, 1) and standard normal draws. New tests use test_rng.h (xorshift64); these keep the
 * generator their thresholds were set with. */
#ifndef SG_TEST_LCG_H
#define SG_TEST_LCG_H

#include <math.h>
#include <stdint.h>

static uint32_t rng;

static inline uint32_t rnd(void)
{
    rng = rng * 1664525u + 1013904223u;
    return rng >> 8;
}

static inline double urand(void)
{
    return ((rnd() & 0xFFFFFF) + 0.5) / 16777216.0;
}

/* Box-Muller, one draw per call: the first uniform to the radius, the second to the angle. */
static inline double gauss(void)
{
    double u = urand();
    return sqrt(-2 * log(u)) * cos(2 * M_PI * urand());
}

#endif
