/* Benchmark (issue 21, a model, not the daemon): what decoding an integer-format replay
 * straight into the front end's IQ ring would save on the sensor thread. The paths use
 * the project's own steps on a ring of the size dsp/frontend.c picks for the daemon
 * (iq_max_s DRONEID_REGION_MAX_S: four 4 ms windows): 2^22 samples (32 MB) at 200 Msps,
 * 2^20 (8 MB) at 50 Msps, both written with streaming stores today; blocks of
 * 65 536 samples as adapters/iq_file.c reads them, chunks of 16 384 (nfft 1024 x batch 16):
 *   today: sigmf_decode into the block buffer, then per chunk fe_copy_limited into the ring
 *          (the NaN / SG_IQ_MAX_MAG check, streaming stores) and spectro_execute on the
 *          block (still in the cache);
 *   fused: per chunk sigmf_decode straight into the ring (ordinary stores) and
 *          spectro_execute on the ring;
 *   dual (ci8 only): per chunk one pass decodes into the block buffer (ordinary stores,
 *          for the spectrogram) and into the ring (streaming stores), then spectro_execute
 *          on the block: today's path without the copy's re-read of the block.
 * The file read, the detector, the ring wait and everything after the spectrogram are left
 * out: the difference per sample is what each design saves in the model, not a daemon figure.
 * Checked: 16 blocks through each path leave the same bits in the ring as today's (else
 * exit 1).
 * Per format (ci8, ci16_le, cu8): ns per sample (thread CPU time) of each path, `pairs`
 * runs alternated, the per-pair ratio to today and its median. The daemon is not this
 * model: see bench/README.md "decoding integer replays into the IQ ring,
 * measured and not built (branch p-conv)" for why.
 * Usage: bench_ring_decode [seconds_per_run] [pairs] [log2 ring samples, 20..24; 22 = 200 Msps,
 * 20 = 50 Msps] */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "frontend_int.h" /* fe_copy_limited */
#include "sigmf.h"
#include "spectro.h"
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define BLK 65536u
#define CHUNK 16384u
#define NBLK 16u /* raw blocks cycled through (2 MB of ci8, as fresh file data would be) */
#define MAXP 64

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

/* ci8 as sigmf_decode does it (v * 2^-7, exact), written to o (ordinary stores) and to r
 * (streaming stores, r 16-byte aligned; ordinary stores without SSE2); m components, a
 * multiple of 16. */
static void decode_ci8_dual(const unsigned char *p, size_t m, float *o, float *r)
{
#if !defined(__SSE2__)
    for (size_t i = 0; i < m; i++)
        o[i] = r[i] = (float)(int8_t)p[i] * (1.0f / 128);
#else
    const __m128 k = _mm_set1_ps(1.0f / 128);
    for (size_t i = 0; i < m; i += 16) {
        __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
        __m128i lo = _mm_unpacklo_epi8(b, b), hi = _mm_unpackhi_epi8(b, b);
        __m128i a[4] = {_mm_srai_epi32(_mm_unpacklo_epi16(lo, lo), 24),
                        _mm_srai_epi32(_mm_unpackhi_epi16(lo, lo), 24),
                        _mm_srai_epi32(_mm_unpacklo_epi16(hi, hi), 24),
                        _mm_srai_epi32(_mm_unpackhi_epi16(hi, hi), 24)};
        for (int j = 0; j < 4; j++) {
            __m128 v = _mm_mul_ps(_mm_cvtepi32_ps(a[j]), k);
            _mm_storeu_ps(o + i + 4 * j, v);
            _mm_stream_ps(r + i + 4 * j, v);
        }
    }
    _mm_sfence();
#endif
}

static void on_frame(void *user, const float *power, uint64_t start)
{
    (void)start;
    *(float *)user += power[1]; /* keeps the frames alive */
}

typedef struct {
    sigmf_datatype type;
    const unsigned char *raw; /* NBLK blocks */
    size_t sb;                /* bytes per sample */
    float complex *blk, *ring;
    spectro *sp;
    float sink;
} bench_t;

/* Runs blocks through one path for at least secs CPU seconds; returns ns per sample. */
static size_t ring_n = (size_t)1 << 22; /* ring samples (main sets it from its argument) */

static double run(bench_t *b, int mode, double secs)
{
    uint64_t idx = 0;
    size_t nb = 0;
    double t0 = now(), el;
    do {
        for (unsigned k = 0; k < 32; k++, nb++) {
            const unsigned char *raw = b->raw + (nb % NBLK) * BLK * b->sb;
            if (mode == 0)
                sigmf_decode(b->type, raw, BLK, b->blk);
            for (size_t c = 0; c < BLK; c += CHUNK, idx += CHUNK) {
                float complex *r = b->ring + (idx & (ring_n - 1)); /* chunks never wrap */
                if (mode == 1) {
                    sigmf_decode(b->type, raw + c * b->sb, CHUNK, r);
                    spectro_execute(b->sp, r, CHUNK, idx, on_frame, &b->sink);
                } else if (mode == 2) {
                    decode_ci8_dual(raw + c * b->sb, 2 * CHUNK, (float *)(void *)b->blk,
                                    (float *)(void *)r);
                    spectro_execute(b->sp, b->blk, CHUNK, idx, on_frame, &b->sink);
                } else {
                    fe_copy_limited(r, b->blk + c, CHUNK, true);
                    spectro_execute(b->sp, b->blk + c, CHUNK, idx, on_frame, &b->sink);
                }
            }
        }
        el = now() - t0;
    } while (el < secs);
    return el * 1e9 / ((double)nb * BLK);
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 0.5;
    int pairs = argc > 2 ? atoi(argv[2]) : 5;
    int lg = argc > 3 ? atoi(argv[3]) : 22;
    if (!(secs > 0) || pairs < 1 || pairs > MAXP || lg < 20 || lg > 24) {
        fprintf(stderr,
                "usage: bench_ring_decode [seconds_per_run > 0] [pairs 1..%d] [log2 ring 20..24]\n",
                MAXP);
        return 2;
    }
    ring_n = (size_t)1 << lg;
    const sigmf_datatype types[] = {SIGMF_CI8, SIGMF_CI16_LE, SIGMF_CU8};
    unsigned char *raw = malloc((size_t)NBLK * BLK * 4);
    float complex *blk = aligned_alloc(64, BLK * sizeof *blk);
    float complex *ring = aligned_alloc(64, (size_t)ring_n * sizeof *ring);
    float complex *ring2 = aligned_alloc(64, (size_t)ring_n * sizeof *ring2);
    spectro_cfg sc;
    spectro_cfg_default(&sc);
    sg_errinfo e = {0};
    spectro *sp = spectro_create(&sc, &e);
    if (!raw || !blk || !ring || !ring2 || !sp) {
        fprintf(stderr, "bench_ring_decode: set-up failed: %s\n", sp ? "out of memory" : e.msg);
        return 1;
    }
    uint64_t s = 0x9e3779b97f4a7c15ull;
    for (size_t i = 0; i < (size_t)NBLK * BLK * 4; i++) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        raw[i] = (unsigned char)(s >> 32);
    }
    memset(ring, 0, (size_t)ring_n * sizeof *ring);
    memset(ring2, 0, (size_t)ring_n * sizeof *ring2);
    printf("bench_ring_decode: ring %zu samples, blocks %u, chunks %u, %.2f s per run\n", ring_n,
           BLK, CHUNK, secs);
    static const char *const names[3] = {"today", "fused", "dual"};
    int fail = 0;
    for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
        bench_t b = {.type = types[t], .raw = raw, .sb = sigmf_sample_bytes(types[t]),
                     .blk = blk, .sp = sp};
        const char *tn = sigmf_datatype_name(types[t]);
        const int modes = types[t] == SIGMF_CI8 ? 3 : 2;
        double ratio[3][MAXP];
        for (int p = 0; p < pairs; p++) {
            double ns[3];
            for (int m = 0; m < modes; m++) {
                b.ring = m ? ring2 : ring;
                ns[m] = run(&b, m, secs);
            }
            printf("%-8s pair %d: today %.3f ns/sample", tn, p + 1, ns[0]);
            for (int m = 1; m < modes; m++) {
                ratio[m][p] = ns[m] / ns[0];
                printf(", %s %.3f (/ today %.3f)", names[m], ns[m], ratio[m][p]);
            }
            printf("\n");
        }
        for (int m = 1; m < modes; m++) {
            /* bit check: NBLK blocks from index 0 through today's path and through this one */
            for (size_t nb = 0; nb < NBLK; nb++) {
                const unsigned char *rw = raw + nb * BLK * b.sb;
                sigmf_decode(b.type, rw, BLK, blk);
                fe_copy_limited(ring + nb * BLK, blk, BLK, true);
                for (size_t c = 0; c < BLK; c += CHUNK) {
                    float complex *dst = ring2 + nb * BLK + c;
                    if (m == 1)
                        sigmf_decode(b.type, rw + c * b.sb, CHUNK, dst);
                    else
                        decode_ci8_dual(rw + c * b.sb, 2 * CHUNK, (float *)(void *)blk,
                                        (float *)(void *)dst);
                }
            }
            if (memcmp(ring, ring2, (size_t)NBLK * BLK * sizeof *ring)) {
                fprintf(stderr, "bench_ring_decode: %s, %s: the rings differ\n", tn, names[m]);
                fail = 1;
            }
            qsort(ratio[m], (size_t)pairs, sizeof ratio[m][0], cmp_d);
            printf("%-8s %s / today: median %.3f (range %.3f-%.3f)\n", tn, names[m],
                   ratio[m][pairs / 2], ratio[m][0], ratio[m][pairs - 1]);
        }
        printf("%-8s (frames' sum %g)\n", tn, (double)b.sink);
    }
    spectro_destroy(sp);
    free(raw);
    free(blk);
    free(ring);
    free(ring2);
    return fail;
}
