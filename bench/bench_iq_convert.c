/* Benchmark: IQ sample conversion to float (sigmf_decode: cf32_le/be, ci16_le/be, ci8, cu8),
 * the step every SigMF / raw replay runs on each sample before the front end (issue 21).
 * Per format: MS/s per core (thread CPU time, best of `reps` runs over 1 M samples, blocks
 * of 65 536 as adapters/iq_file.c reads them) and the ratio to memcpy of the output bytes
 * (a float complex array of the same length) measured in the same run; then the same
 * decode into one reused 65 536-sample output block, as iq_file.c's slot is (the output
 * stays in L2: what the adapter pays, not the memory's write bandwidth). Checked: a decoded
 * block equals the format's definition (value / 2^15, / 2^7, (u - 127.5) / 127.5; cf32:
 * the value, Inf and NaN as 0 and counted) on random input; otherwise exit 1.
 * Usage: bench_iq_convert [seconds_per_run] [reps] */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sg_types.h" /* CMPLXF */
#include "sigmf.h"

#define N (1u << 20)
#define BLK 65536

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* The definition, one component at a time (independent of the code under test). */
static float ref_component(sigmf_datatype t, const unsigned char *p, size_t k)
{
    switch (t) {
    case SIGMF_CI16_LE: return (float)(int16_t)(p[2 * k] | p[2 * k + 1] << 8) / 32768.0f;
    case SIGMF_CI16_BE: return (float)(int16_t)(p[2 * k] << 8 | p[2 * k + 1]) / 32768.0f;
    case SIGMF_CI8: return (float)(int8_t)p[k] / 128.0f;
    case SIGMF_CU8: return ((float)p[k] - 127.5f) / 127.5f;
    default: return 0;
    }
}

static int check(sigmf_datatype t, unsigned char *raw, float complex *out)
{
    const size_t n = 4096;
    if (t == SIGMF_CF32_LE || t == SIGMF_CF32_BE) {
        bool be = t == SIGMF_CF32_BE;
        float v[2 * 4096];
        size_t want_bad = 0;
        for (size_t i = 0; i < 2 * n; i++)
            v[i] = (float)((double)(next() >> 11) / 9007199254740992.0 - 0.5);
        for (size_t i = 0; i < n; i += 97) {
            v[2 * i + (i & 1)] = (i & 2) ? NAN : -INFINITY;
            want_bad++;
        }
        for (size_t i = 0; i < 2 * n; i++) {
            uint32_t u;
            memcpy(&u, &v[i], 4);
            for (int b = 0; b < 4; b++)
                raw[4 * i + (be ? 3 - b : b)] = (unsigned char)(u >> (8 * b));
        }
        if (sigmf_decode(t, raw, n, out) != want_bad)
            return 1;
        for (size_t i = 0; i < n; i++) {
            bool bad = !isfinite(v[2 * i]) || !isfinite(v[2 * i + 1]);
            float re = bad ? 0 : v[2 * i], im = bad ? 0 : v[2 * i + 1];
            if (memcmp(&out[i], &(float complex){CMPLXF(re, im)}, sizeof *out) != 0)
                return 1;
        }
        return 0;
    }
    for (size_t i = 0; i < n * sigmf_sample_bytes(t); i++)
        raw[i] = (unsigned char)next();
    if (sigmf_decode(t, raw, n, out) != 0)
        return 1;
    const float *o = (const float *)out;
    for (size_t k = 0; k < 2 * n; k++)
        if (o[k] != ref_component(t, raw, k))
            return 1;
    return 0;
}

/* One timed pass over N samples: sigmf_decode of `type`, or memcpy of the output (type < 0). */
typedef struct {
    int type;
    const unsigned char *raw;
    const float complex *src;
    float complex *out;
    bool hot;            /* every block into out[0..BLK): one reused block */
    size_t bad;
} pass_t;

static void one_pass(pass_t *p)
{
    const size_t sb = p->type < 0 ? 0 : sigmf_sample_bytes((sigmf_datatype)p->type);
    for (size_t i = 0; i < N; i += BLK) {
        if (p->type < 0)
            memcpy(p->out + i, p->src + i, BLK * sizeof *p->out);
        else
            p->bad += sigmf_decode((sigmf_datatype)p->type, p->raw + i * sb, BLK,
                                   p->out + (p->hot ? 0 : i));
    }
}

/* Best MS/s per core over `reps` runs of at least `secs` CPU seconds each. */
static double best_rate(pass_t *p, double secs, int reps)
{
    double best = 0;
    for (int r = 0; r < reps; r++) {
        double t0 = now(), el;
        size_t done = 0;
        do {
            one_pass(p);
            done += N;
            el = now() - t0;
        } while (el < secs);
        if (done / el / 1e6 > best)
            best = done / el / 1e6;
    }
    return best;
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 0.5;
    int reps = argc > 2 ? atoi(argv[2]) : 3;
    unsigned char *raw = malloc((size_t)N * 8);
    float complex *out = malloc((size_t)N * sizeof *out), *src = malloc((size_t)N * sizeof *src);
    if (!raw || !out || !src)
        return 1;
    for (size_t i = 0; i < (size_t)N * 8; i++)
        raw[i] = (unsigned char)next();
    for (size_t i = 0; i < N; i++) /* finite cf32 input for the timing runs */
        src[i] = CMPLXF((float)(i % 977) * 1e-3f, -(float)(i % 331) * 1e-3f);
    pass_t mc = {.type = -1, .src = src, .out = out};
    double best_mc = best_rate(&mc, secs, reps);
    printf("memcpy of the output (8 bytes per sample): %8.1f MS/s per core\n", best_mc);
    int fail = 0;
    for (int t = 0; t < SIGMF_TYPE_COUNT_; t++) {
        if (check((sigmf_datatype)t, raw, out)) {
            fprintf(stderr, "bench_iq_convert: FAILED: %s does not decode to its definition\n",
                    sigmf_datatype_name((sigmf_datatype)t));
            fail = 1;
        }
        if (t == SIGMF_CF32_LE || t == SIGMF_CF32_BE) /* finite input for the timing */
            for (size_t i = 0; i < (size_t)N * 2; i++) {
                float f = crealf(src[i / 2]);
                uint32_t u;
                memcpy(&u, &f, 4);
                for (int b = 0; b < 4; b++)
                    raw[4 * i + (t == SIGMF_CF32_BE ? 3 - b : b)] = (unsigned char)(u >> (8 * b));
            }
        pass_t dec = {.type = t, .raw = raw, .out = out};
        double best = best_rate(&dec, secs, reps);
        pass_t hot = {.type = t, .raw = raw, .out = out, .hot = true};
        double best_hot = best_rate(&hot, secs, reps);
        size_t bad = dec.bad + hot.bad;
        if (bad) {
            fprintf(stderr, "bench_iq_convert: FAILED: %zu bad samples on finite input\n", bad);
            fail = 1;
        }
        printf("%-8s %8.1f MS/s per core, %.2f of memcpy; into one reused block %8.1f\n",
               sigmf_datatype_name((sigmf_datatype)t), best, best / best_mc, best_hot);
    }
    free(raw);
    free(out);
    free(src);
    return fail;
}
