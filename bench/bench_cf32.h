/* The benchmarks' reader of a raw cf32 capture (interleaved float I/Q, no header), such as
 * the real DroneID fixture: the whole file in one allocation, or NULL (missing or short
 * file, no memory). */
#ifndef SG_BENCH_CF32_H
#define SG_BENCH_CF32_H

#include <complex.h>
#include <stdio.h>
#include <stdlib.h>

static inline float complex *bench_load_cf32(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f) / sizeof(float complex);
    fseek(f, 0, SEEK_SET);
    float complex *x = malloc(*n * sizeof *x);
    if (x && fread(x, sizeof *x, *n, f) != *n) {
        free(x);
        x = NULL;
    }
    fclose(f);
    return x;
}

#endif
