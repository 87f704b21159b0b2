/* Band detector of the burst detector (burst_band.h, burst.h "Band detector"). */
#include "burst_band.h"

/* as burst.c: the per-frame loops must vectorise */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O3", "no-trapping-math")
#endif

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sg_error.h"

/* Band detector flatness: every quarter of a window holds at least this fraction of the
 * window's mean excess, so a band narrower than 1 / (2 - FLAT) of the window (0.625 for
 * 0.4) never passes, however strong */
#define BAND_FLAT 0.4
/* A cell this strong (dB over the floor, smoothed) belongs to the other detectors */
#define BAND_STRONG_DB 20.0


int burstband_init(burstband *q, const burstdet_cfg *c)
{
    const unsigned n = c->nfft;
    q->n = n;
    q->W = c->band_bins;
    q->m = c->smooth_bins;
    q->pre = malloc((n + 1) * sizeof(double));
    q->pk = calloc(n, sizeof(float));
    q->cnt = malloc((n + 1) * sizeof(uint32_t));
    q->val = malloc(BURSTBAND_VAL_FLOATS(n) * sizeof(float));
    if (!q->pre || !q->pk || !q->cnt || !q->val)
        return SG_ENOMEM;
    q->stride = 1;
    while (2 * q->stride <= c->band_bins / 32 && (c->band_bins / 4) % (2 * q->stride) == 0)
        q->stride *= 2;
    /* stride 1: partial sums of bins in [0, 3] that are multiples of 2^-f stay below
     * 3 n <= 2^(52 - f), so they are doubles (band_pass1, band_prefix_d); a float is such a multiple
     * from 2^(23 - f) up. Used where noise (|X|^2 / floor exponential(1)) puts a bin below
     * that in under ~1 frame in 20 (nfft up to 2048), else the chain is cheaper. */
    int f = 52 - (int)ceil(log2(3.0 * n));
    float vmin = ldexpf(1.0f, 23 - f);
    memcpy(&q->vmin_bits, &vmin, sizeof vmin);
    q->grid1 = q->stride == 1 && n >= 32 && n * (double)vmin < 0.05;
    q->strong = (float)(pow(10.0, BAND_STRONG_DB / 10.0) * (2 * c->smooth_bins + 1));
    /* |X|^2 / floor of noise is exponential(1); clipped at 3: mean 1 - e^-3, variance
     * 2 - 8 e^-3 - mean^2 (see burst.h) */
    double mu = 1.0 - exp(-3.0), var = 2.0 - 8.0 * exp(-3.0) - mu * mu;
    double sd = sqrt(var * c->band_kappa / c->band_bins);
    q->mu = mu;
    q->thr = mu + c->band_sigma * sd;
    q->qthr = mu + 0.5 * c->band_sigma * sd;
    q->seed = mu + c->band_seed_sigma * sd;
    return SG_OK;
}

void burstband_free(burstband *q)
{
    free(q->pre);
    free(q->pk);
    free(q->cnt);
    free(q->val);
    memset(q, 0, sizeof *q);
}

/* Marks [lo, hi] (clamped to the bins that can be hot) with the run's peak mean pk. */
static unsigned band_mark(burstband *q, float *s, double lo, double hi, float pk, float thr_s)
{
    const unsigned n = q->n, m = q->m;
    long a = lround(lo), b = lround(hi), amin = (long)m, bmax = (long)(n - m) - 1;
    a = a < amin ? amin : a;
    b = b > bmax ? bmax : b;
    unsigned added = 0;
    for (long k = a; k <= b; k++) {
        if (s[k] < thr_s) {
            s[k] = thr_s;
            added++;
        }
        if (pk > q->pk[k])
            q->pk[k] = pk;
    }
    return added;
}

#if defined(__GNUC__)
typedef float band_v4f __attribute__((vector_size(16)));
typedef int32_t band_v4i __attribute__((vector_size(16)));

/* The clip of one vector of bins, any width (the integer vector type I): x (|X|^2 / floor)
 * below 3 is kept, else 3 (NaN: 3); a strong cell (smoothed sum y >= stv; NaN: not strong,
 * as the scalar code) counts as mu. The clipped bins' bits into xi, the strong flags (-1)
 * into st. */
#define BAND_CLIP(I, x, y, three, mu, stv, xi, st)                            \
    do {                                                                      \
        I lt_ = (x) < (three);                                                \
        (st) = (y) >= (stv);                                                  \
        (xi) = ((I)(x) & lt_) | ((I)(three) & ~lt_);                          \
        (xi) = ((xi) & ~(st)) | ((I)(mu) & (st));                             \
    } while (0)

/* One block of S bins (a multiple of 4) from bin k0, clipped: lane l sums bins k0 + l,
 * k0 + l + 4, ... in that order into *acc, strong cells (smoothed sum >= strong_s) count
 * as muf and are counted in *cnt. */
static inline __attribute__((always_inline)) void
band_block(const float *r, const float *s, unsigned k0, unsigned S, band_v4f mu4, band_v4f st4,
           band_v4f *acc, band_v4i *cnt)
{
    const band_v4f three = {3.0f, 3.0f, 3.0f, 3.0f};
    band_v4f a = {0, 0, 0, 0};
    band_v4i c = {0, 0, 0, 0};
    for (unsigned k = k0; k < k0 + S; k += 4) {
        band_v4f x, y;
        memcpy(&x, r + k, sizeof x);
        memcpy(&y, s + k, sizeof y);
        band_v4i xi, st;
        BAND_CLIP(band_v4i, x, y, three, mu4, st4, xi, st);
        a += (band_v4f)xi;
        c -= st;
    }
    *acc = a;
    *cnt = c;
}

#if SG_HAVE_V8
/* band_block for blocks j and j + 1 side by side (lanes 0-3 the block from bin a, lanes 4-7
 * the one from a + S): each lane's adds are band_block's. */
static inline __attribute__((always_inline)) void
band_block2(const float *r, const float *s, unsigned a, unsigned S, float muf, float strong_s,
            sg_v8f *acc, sg_v8i *cnt)
{
    const sg_v8f three = {3.0f, 3.0f, 3.0f, 3.0f, 3.0f, 3.0f, 3.0f, 3.0f};
    const sg_v8f mu8 = {muf, muf, muf, muf, muf, muf, muf, muf};
    const sg_v8f st8 = {strong_s, strong_s, strong_s, strong_s,
                        strong_s, strong_s, strong_s, strong_s};
    sg_v8f ac = {0, 0, 0, 0, 0, 0, 0, 0};
    sg_v8i c = {0, 0, 0, 0, 0, 0, 0, 0};
    for (unsigned k = a; k < a + S; k += 4) {
        band_v4f x0, x1, y0, y1;
        memcpy(&x0, r + k, sizeof x0);
        memcpy(&x1, r + k + S, sizeof x1);
        memcpy(&y0, s + k, sizeof y0);
        memcpy(&y1, s + k + S, sizeof y1);
        sg_v8f x = __builtin_shufflevector(x0, x1, 0, 1, 2, 3, 4, 5, 6, 7);
        sg_v8f y = __builtin_shufflevector(y0, y1, 0, 1, 2, 3, 4, 5, 6, 7);
        sg_v8i xi, st;
        BAND_CLIP(sg_v8i, x, y, three, mu8, st8, xi, st);
        ac += (sg_v8f)xi;
        c -= st;
    }
    *acc = ac;
    *cnt = c;
}

typedef double band_v4d __attribute__((vector_size(32)));

/* Inclusive prefix sums of the 4 lanes of x (any order of the adds: used where exact). */
#define BAND_SCAN4(x, z)                                                      \
    do {                                                                      \
        (x) += __builtin_shufflevector((x), (z), 4, 0, 1, 2);                 \
        (x) += __builtin_shufflevector((x), (z), 4, 5, 0, 1);                 \
    } while (0)

/* dst[0 .. 7] = carry + the inclusive prefix sums of x0, x1 (8 values); carry += their sum
 * (exact sums: any order of the adds). */
#define BAND_SCAN8(x0, x1, carry, z, dst)                                     \
    do {                                                                      \
        BAND_SCAN4(x0, z);                                                    \
        BAND_SCAN4(x1, z);                                                    \
        (x1) += __builtin_shufflevector((x0), (x0), 3, 3, 3, 3);              \
        __typeof__(x0) o0_ = (x0) + (carry), o1_ = (x1) + (carry);            \
        memcpy((dst), &o0_, sizeof o0_);                                      \
        memcpy((dst) + 4, &o1_, sizeof o1_);                                  \
        (carry) += __builtin_shufflevector((x1), (x1), 3, 3, 3, 3);           \
    } while (0)

/* The clipped bins of 4 bins from k (BAND_CLIP) into *v, their strong flags
 * (-1) into *st. */
static inline __attribute__((always_inline)) void
band_clip4(const float *r, const float *s, unsigned k, band_v4f mu4, band_v4f st4,
           band_v4f *v, band_v4i *st)
{
    const band_v4f three = {3.0f, 3.0f, 3.0f, 3.0f};
    band_v4f x, y;
    memcpy(&x, r + k, sizeof x);
    memcpy(&y, s + k, sizeof y);
    band_v4i xi;
    BAND_CLIP(band_v4i, x, y, three, mu4, st4, xi, *st);
    *v = (band_v4f)xi;
}

/* Stride 1 (burstband.grid1), pass 1 over all bins: B[j + 1] - B[j] = the sum of
 * u = trunc(1024 v) + 1 > 1024 v over the clipped bins v of block 4j .. 4j + 3 (prefix sums,
 * exact in int32: upper bounds of the window sums, with which burstband_detect rules windows
 * out). Returns whether every
 * clipped bin is 0 or at least the float of vmin_bits (so a multiple of 2^-f,
 * burstband_init): then every partial sum of the bins is a double, no add of the scalar
 * chain P[j + 1] = P[j] + v[j] rounds, and any order of the adds gives its sums bit for bit
 * (band_prefix_d). False (a bin off that grid, negative, -0 included): B is unused, P and C
 * are computed the scalar way. */
static inline __attribute__((always_inline)) bool
band_pass1(const float *r, const float *s, float muf, float strong_s, int32_t vmin_bits,
           unsigned n, int32_t *restrict B)
{
    const sg_v8f three = {3.0f, 3.0f, 3.0f, 3.0f, 3.0f, 3.0f, 3.0f, 3.0f};
    const sg_v8f mu8 = {muf, muf, muf, muf, muf, muf, muf, muf};
    const sg_v8f st8 = {strong_s, strong_s, strong_s, strong_s,
                        strong_s, strong_s, strong_s, strong_s};
    const sg_v8f sc8 = {1024.0f, 1024.0f, 1024.0f, 1024.0f, 1024.0f, 1024.0f, 1024.0f, 1024.0f};
    const sg_v8i vmin8 = {vmin_bits, vmin_bits, vmin_bits, vmin_bits,
                          vmin_bits, vmin_bits, vmin_bits, vmin_bits};
    const sg_v8i zi = {0, 0, 0, 0, 0, 0, 0, 0}, one = {1, 1, 1, 1, 1, 1, 1, 1};
    sg_v8i off = zi, carry = zi;
    B[0] = 0;
    for (unsigned k = 0; k < n; k += 32) { /* n: a power of two >= 32 */
        sg_v8i u[4];
        for (unsigned b = 0; b < 4; b++) {
            sg_v8f x, y;
            memcpy(&x, r + k + 8 * b, sizeof x);
            memcpy(&y, s + k + 8 * b, sizeof y);
            sg_v8i xi, sv; /* xi: bits of v, < 0 for a negative float */
            BAND_CLIP(sg_v8i, x, y, three, mu8, st8, xi, sv);
            sg_v8i g = xi >= vmin8;
            off |= ~(g | (xi == zi));
            /* v >= 0 on the grid (0 where it is not: B is then unused) */
            u[b] = __builtin_convertvector((sg_v8f)(xi & g) * sc8, sg_v8i) + one;
        }
        /* lane l of h: the 4-bin sums of blocks 2b (l < 4) and 2b + 1 of u[l % 4]; in
         * order, then their prefix sums */
        sg_v8i h = SG_HADD8(SG_HADD8(u[0], u[1]), SG_HADD8(u[2], u[3]));
        h = __builtin_shuffle(h, (sg_v8i){0, 4, 1, 5, 2, 6, 3, 7});
        h += __builtin_shuffle(h, zi, (sg_v8i){8, 0, 1, 2, 3, 4, 5, 6});
        h += __builtin_shuffle(h, zi, (sg_v8i){8, 8, 0, 1, 2, 3, 4, 5});
        h += __builtin_shuffle(h, zi, (sg_v8i){8, 8, 8, 8, 0, 1, 2, 3}) + carry;
        memcpy(B + k / 4 + 1, &h, sizeof h);
        carry = __builtin_shuffle(h, (sg_v8i){7, 7, 7, 7, 7, 7, 7, 7});
    }
    return !(((off[0] | off[1]) | (off[2] | off[3])) | ((off[4] | off[5]) | (off[6] | off[7])));
}

/* cand[g] for the ng groups of 4 windows from 4g: whether blocks g .. g + K - 1 (the bins
 * windows 4g .. 4g + 3 read; prefix sums B of band_pass1) sum to more than ut; g + K is at
 * most nfft / 4 (ng = (nfft - W) / 4, K = W / 4 + 1). The groups' window flags on[4g ..
 * 4g + 3] are cleared in the same loop (a memset of them cost as much as the loop: a call
 * per frame for ~1 KB).
 * Out of line: in burstband_detect its loop would keep its counters on the stack. */
static __attribute__((noinline)) void band_groups(const int32_t *restrict B, unsigned K,
                                                  unsigned ng, int32_t ut,
                                                  uint8_t *restrict cand, uint8_t *restrict on)
{
    const uint32_t z = 0;
    for (unsigned g = 0; g < ng; g++) { /* it vectorises */
        cand[g] = B[g + K] - B[g] > ut;
        memcpy(on + 4 * (size_t)g, &z, sizeof z);
    }
}

/* The prefix sums P[a + 1 .. z] of the clipped bins a .. z - 1 and the strong-cell counts
 * C[a + 1 .. z] (a, z multiples of 8, P[a] and C[a] set), where band_pass1 found the sums
 * exact: in vectors, from P[a] and C[a]. */
static inline __attribute__((always_inline)) void
band_prefix_d(const float *r, const float *s, float muf, float strong_s, unsigned a, unsigned z,
              double *restrict P, uint32_t *restrict C)
{
    const band_v4f mu4 = {muf, muf, muf, muf};
    const band_v4f st4 = {strong_s, strong_s, strong_s, strong_s};
    const band_v4d zd = {0, 0, 0, 0};
    const band_v4i zi = {0, 0, 0, 0};
    band_v4d carry = {P[a], P[a], P[a], P[a]};
    band_v4i ccarry = {(int32_t)C[a], (int32_t)C[a], (int32_t)C[a], (int32_t)C[a]};
    for (unsigned k = a; k < z; k += 8) {
        band_v4f v0, v1;
        band_v4i s0, s1;
        band_clip4(r, s, k, mu4, st4, &v0, &s0);
        band_clip4(r, s, k + 4, mu4, st4, &v1, &s1);
        band_v4d d0 = __builtin_convertvector(v0, band_v4d);
        band_v4d d1 = __builtin_convertvector(v1, band_v4d);
        BAND_SCAN8(d0, d1, carry, zd, P + k + 1);
        band_v4i c0 = -s0, c1 = -s1;
        BAND_SCAN8(c0, c1, ccarry, zi, C + k + 1);
    }
}
#endif

/* band_detect's block sums for S a multiple of 4, fused with the per-bin clip: the block's
 * sum is (lane 0 + lane 1) + (lane 2 + lane 3) of band_block, the scalar loop's adds
 * exactly (same sums, same detections). */
static inline __attribute__((always_inline)) void
band_blocks4(const float *r, const float *s, float muf, float strong_s, unsigned nb, unsigned S,
             double *restrict P, uint32_t *restrict C)
{
    const band_v4f mu4 = {muf, muf, muf, muf};
    const band_v4f st4 = {strong_s, strong_s, strong_s, strong_s};
    /* the running sums stay in registers: through P and C each block would wait for the
     * store of the one before */
    double pj = P[0];
    uint32_t cj = C[0];
    unsigned j = 0;
#if SG_HAVE_V8
    /* eight blocks at a time, two per vector, their lanes reduced together by two rounds of
     * horizontal pair sums (SG_HADD8): lane i of the result is (l0 + l1) + (l2 + l3) of
     * block j + at[i], the same adds as one block at a time */
    static const unsigned lane[8] = {0, 4, 1, 5, 2, 6, 3, 7}; /* of block j + b */
    for (; j + 8 <= nb; j += 8) {
        sg_v8f a0, a1, a2, a3;
        sg_v8i c0, c1, c2, c3;
        band_block2(r, s, j * S, S, muf, strong_s, &a0, &c0);
        band_block2(r, s, (j + 2) * S, S, muf, strong_s, &a1, &c1);
        band_block2(r, s, (j + 4) * S, S, muf, strong_s, &a2, &c2);
        band_block2(r, s, (j + 6) * S, S, muf, strong_s, &a3, &c3);
        sg_v8f sum = SG_HADD8(SG_HADD8(a0, a1), SG_HADD8(a2, a3));
        sg_v8i csum = SG_HADD8(SG_HADD8(c0, c1), SG_HADD8(c2, c3));
        for (unsigned b = 0; b < 8; b++) {
            P[j + b + 1] = pj += sum[lane[b]];
            C[j + b + 1] = cj += (uint32_t)csum[lane[b]];
        }
    }
#endif
    for (; j < nb; j++) {
        band_v4f acc;
        band_v4i cnt;
        band_block(r, s, j * S, S, mu4, st4, &acc, &cnt);
        P[j + 1] = pj += (acc[0] + acc[1]) + (acc[2] + acc[3]);
        C[j + 1] = cj += (uint32_t)((cnt[0] + cnt[1]) + (cnt[2] + cnt[3]));
    }
}
#endif

/* The first of b[i .. end - 1] that is not 0, else end: zeros skipped 8 at a time. */
static inline size_t band_next(const uint8_t *b, size_t i, size_t end)
{
    while (i + 8 <= end) {
        uint64_t word;
        memcpy(&word, b + i, sizeof word);
        if (word)
            break;
        i += 8;
    }
    while (i < end && !b[i])
        i++;
    return i;
}

/* The window test's constants (burstband_detect) */
typedef struct {
    double tw, tq, muW, muQ, gq; /* thr W, t Q / 2, mu W, mu Q, BAND_FLAT / 4 */
    uint32_t cmax;               /* strong cells a window may hold */
    unsigned WB, QB;             /* window and quarter in blocks */
} band_wk;

/* on[i] for windows i0 .. i1 - 1: branch-free (it vectorises; the same comparisons as one
 * window at a time). */
static inline __attribute__((always_inline)) void
band_windows(const double *restrict P, const uint32_t *restrict C, size_t i0, size_t i1,
             const band_wk *k, uint8_t *restrict on)
{
    const double *restrict P1 = P + k->QB, *restrict P2 = P + 2 * k->QB,
                           *restrict P3 = P + 3 * k->QB, *restrict P4 = P + k->WB;
    const uint32_t *restrict C4 = C + k->WB;
    const double tw = k->tw, tq = k->tq, muW = k->muW, muQ = k->muQ, gq = k->gq;
    const uint32_t cmax = k->cmax;
    for (size_t i = i0; i < i1; i++) {
        const double full = P4[i] - P[i], g = gq * (full - muW);
        const double need = (g > tq ? g : tq) + muQ; /* fmax(tq, g), a NaN g too */
        const bool ok = (full >= tw) & (C4[i] - C[i] <= cmax) & (P1[i] - P[i] >= need) &
                        (P2[i] - P1[i] >= need) & (P3[i] - P2[i] >= need) &
                        (P4[i] - P3[i] >= need);
        on[i] = ok;
    }
}

/* Windows are tried every bstride bins (a divisor of the quarter, at most 1/32 of the window):
 * block sums of bstride bins, then prefix sums over the blocks. */
BURST_CLONES unsigned burstband_detect(burstband *q, const float *r_in, float *s_io, float thr_s)
{
    const unsigned n = q->n, W = q->W, h = W / 2, Q = W / 4;
    const unsigned S = q->stride, nb = n / S, WB = W / S, QB = Q / S;
    const float *restrict r = r_in;
    double *restrict P = q->pre;
    if (q->marked) {
        memset(q->pk, 0, n * sizeof *q->pk);
        q->marked = false;
    }
    /* strong cells (the smoothed cell BAND_STRONG_DB over the floor: the other detectors'
     * business) count as noise; a window with more than a tenth of them is not tried */
    uint32_t *restrict C = q->cnt;
    const float strong_s = q->strong;
    const float *restrict s = s_io;
    const float muf = (float)q->mu;
    P[0] = 0;
    C[0] = 0;
#if SG_HAVE_V8
    bool bounded = false; /* band_pass1 ruled windows out: set below */
#endif
#if defined(__GNUC__)
    if (S % 4 == 0) { /* windows of 128 bins and more: one fused pass */
        /* the block sizes of 15.36-61.44 Msps at 1024 bins as constants (loops unrolled) */
        if (S == 16)
            band_blocks4(r, s, muf, strong_s, nb, 16, P, C);
        else if (S == 8)
            band_blocks4(r, s, muf, strong_s, nb, 8, P, C);
        else if (S == 4)
            band_blocks4(r, s, muf, strong_s, nb, 4, P, C);
        else
            band_blocks4(r, s, muf, strong_s, nb, S, P, C);
    }
#if SG_HAVE_V8
    else if (S == 1 && q->grid1 &&
             band_pass1(r, s, muf, strong_s, q->vmin_bits, n, (int32_t *)(void *)(q->val + n))) {
        bounded = true; /* stride 1, every bin on the exact grid: P and C where needed, below */
    }
#endif
    else
#endif
    {
        /* per bin (a loop that vectorises), then block sums on 4 independent lanes (a
         * single running sum would be one long chain of dependent adds) */
        float *restrict v = q->val, *restrict sc = q->val + n;
        for (size_t k = 0; k < n; k++) {
            float x = r[k] < 3.0f ? r[k] : 3.0f;
            bool st = s[k] >= strong_s;
            v[k] = st ? muf : x;
            sc[k] = st ? 1.0f : 0.0f;
        }
        if (S == 1) { /* the block sums are the bins (x + 0 as below): one chain of adds */
            double acc = 0;
            uint32_t cc = 0;
            for (unsigned j = 0; j < nb; j++) {
                acc += (double)v[j];
                cc += sc[j] != 0.0f;
                P[j + 1] = acc;
                C[j + 1] = cc;
            }
        } else {
            for (unsigned j = 0; j < nb; j++) {
                const float *x = v + (size_t)j * S, *y = sc + (size_t)j * S;
                float a0 = 0, a1 = 0, a2 = 0, a3 = 0, c0 = 0, c1 = 0;
                unsigned k = 0;
                for (; k + 4 <= S; k += 4) {
                    a0 += x[k];
                    a1 += x[k + 1];
                    a2 += x[k + 2];
                    a3 += x[k + 3];
                    c0 += y[k] + y[k + 1];
                    c1 += y[k + 2] + y[k + 3];
                }
                for (; k < S; k++) {
                    a0 += x[k];
                    c0 += y[k];
                }
                P[j + 1] = P[j] + ((a0 + a1) + (a2 + a3));
                C[j + 1] = C[j] + (uint32_t)(c0 + c1);
            }
        }
    }
    /* a window is on when its mean exceeds the threshold (excess t over the noise mean)
     * and every quarter's excess is at least t/2 and BAND_FLAT of the window's excess */
    const double mu = q->mu, t = q->thr - mu;
    const band_wk wk = {q->thr * W, 0.5 * t * Q, mu * W, mu * Q, BAND_FLAT / 4, W / 10, WB, QB};
    /* which windows are on, into bytes over the consumed values (the last window,
     * i + WB == nb, only closes a run and is never on) */
    const size_t nw = nb - WB;
    uint8_t *restrict onv = (uint8_t *)(void *)q->val;
#if SG_HAVE_V8
    if (bounded) {
        /* windows 4g .. 4g + 3 read bins 4g .. 4g + W + 2, blocks g .. g + W/4 of band_pass1:
         * if these sum to at most 1024 tw, the windows' sums are below tw, all off. The
         * others are tried, P and C computed as far as they need them. */
        const int32_t *restrict B = (const int32_t *)(const void *)(q->val + n);
        const unsigned ng = (unsigned)((nw + 3) / 4); /* nw / 4: W a multiple of 4 */
        uint8_t *restrict cand = onv + n; /* per group; onv holds 4 nfft bytes, cleared to
                                            * 4 ng <= nw + 3 < nfft by band_groups */
        band_groups(B, W / 4 + 1, ng, (int32_t)floor(wk.tw * 1024.0), cand, onv);
        unsigned pdone = 0; /* P[0 .. pdone], C[0 .. pdone] set */
        for (unsigned g = 0; g < ng; g++) {
            g = (unsigned)band_next(cand, g, ng); /* most groups are ruled out */
            if (g >= ng)
                break;
            const size_t i0 = 4 * (size_t)g, i1 = i0 + 4 < nw ? i0 + 4 : nw;
            const unsigned last = (unsigned)(i1 - 1 + WB); /* the last P these windows read */
            if (last > pdone) {
                const unsigned z = ((last + 7) & ~7u) < n ? (last + 7) & ~7u : n;
                band_prefix_d(r, s, muf, strong_s, pdone, z, P, C);
                pdone = z;
            }
            if (i1 - i0 == 4)
                band_windows(P, C, i0, i0 + 4, &wk, onv);
            else
                band_windows(P, C, i0, i1, &wk, onv);
        }
    } else
#endif
        band_windows(P, C, 0, nw, &wk, onv);
    unsigned added = 0;
    long run = -1; /* first centre (bin) of the current run */
    double pk = 0;
    for (unsigned i = 0; i + WB <= nb; i++) { /* window [i S, i S + W), centre i S + h */
        if (run < 0) { /* most windows are off */
            i = (unsigned)band_next(onv, i, nw);
            if (i >= nw)
                break;
        }
        const bool on = i < nw && onv[i];
        unsigned c = i * S + h;
        if (on) {
            double mean = (P[i + WB] - P[i]) / W;
            if (run < 0) {
                run = c;
                pk = mean;
            } else if (mean > pk) {
                pk = mean;
            }
            continue;
        }
        if (run < 0)
            continue;
        unsigned c_last = c - S;
        long first = run;
        run = -1;
        if (c_last + S - (unsigned)first < W / 16) /* too short for a flat band: a
                                                       shoulder, noise */
            continue;
        /* the flat band [L, R] that explains the windows on from first to c_last with this
         * peak mean (excess e, rho = t / e): a window at the band's edge is on once it
         * overlaps the band by W rho (whole window), its outer quarter by Q rho / 2
         * (quarter threshold) and by W 0.75 FLAT / (4 - FLAT) (flatness) */
        double rho = t / (pk - mu);
        rho = rho > 1 ? 1 : rho;
        double off = fmax(W * rho - h,
                          Q + fmax(Q * rho / 2, W * (0.75 * BAND_FLAT / (4 - BAND_FLAT))));
        added += band_mark(q, s_io, (double)first - off, (double)c_last + off, (float)pk, thr_s);
        q->marked = true;
    }
    return added;
}

