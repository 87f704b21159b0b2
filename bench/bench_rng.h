/* The benchmarks' noise: a seeded xorshift64 generator (fixed seeds, so every run of a
 * benchmark processes the same input) with uniform (0, 1) and standard normal draws. */
#ifndef SG_BENCH_RNG_H
#define SG_BENCH_RNG_H

#include <math.h>
#include <stdint.h>

typedef struct {
    uint64_t s; /* state, nonzero */
} bench_rng;

static inline double bench_urand(bench_rng *r)
{
    r->s ^= r->s << 13;
    r->s ^= r->s >> 7;
    r->s ^= r->s << 17;
    return ((r->s >> 11) + 0.5) / 9007199254740992.0;
}

/* Box-Muller, one draw per call (the second is not kept). */
static inline double bench_gauss(bench_rng *r)
{
    double u = bench_urand(r);
    return sqrt(-2 * log(u)) * cos(2 * M_PI * bench_urand(r));
}

#endif
