/* Burst detector (dsp/burst.h) on synthetic power frames: exponential noise (|X|^2 of
 * white Gaussian noise, mean 1 per bin) with a flat band of bins 400..599 (of 1024) raised
 * to a chosen mean. Checks what burst.h states for the band detector's weak regions: a
 * weak band lost for two frames stays one region when band_gap_frames covers the gap and
 * is split without it; a strong band with the same gap is always split; a weak band's
 * reported width is the band's own (within 5 %). Invalid configurations fail cleanly.
 * The detector's per-frame arithmetic (dsp/burst_int.h: r = p/floor, the smoothed sums, the
 * wide detector's groups, the band detector's block sums) and the floor seeded by the
 * warm-up are compared bit for bit with the plain scalar formulas, on random frames with
 * NaN, Inf, zeros, huge and subnormal powers: the vectorised code must give the same
 * numbers, so the same bursts. The band detector at a 1-bin stride (its vector prefix sums
 * where exact) is compared whole with a one-window-at-a-time scalar version of burst.h's
 * rules: raised sums, marks and sums bit for bit.
 * Seeds fixed and printed on failure. The real 0 dB DroneID figures these serve are in
 * test_droneid_burst. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "burst.h"
#include "burst_int.h" /* the detector's state: its per-frame cells, checked bit for bit */

#define N 1024
#define LO 400
#define HI 599

#define SEED 1 /* each case sets rng to its own seed */
#include "test_rng.h"

typedef struct {
    burstdet_region r[8];
    size_t n;
} got;

static void on_region(void *user, const burstdet_region *r)
{
    got *g = user;
    if (g->n < 8)
        g->r[g->n] = *r;
    g->n++;
}

/* 64 noise frames (warm-up), 12 frames with the band at mean `level`, `gap` noise frames,
 * 12 band frames, 20 noise frames; regions into g. */
static void run(unsigned band_gap, double level, unsigned gap, uint64_t seed, got *g)
{
    burstdet_cfg c;
    burstdet_cfg_default(&c, N, N);
    c.band_bins = 128;
    c.band_gap_frames = band_gap;
    sg_errinfo e = {0};
    burstdet *q = burstdet_create(&c, &e);
    assert_non_null(q);
    rng = seed;
    float p[N];
    const unsigned seg[] = {64, 12, gap, 12, 20};
    uint64_t f = 0;
    for (unsigned s = 0; s < 5; s++)
        for (unsigned i = 0; i < seg[s]; i++, f++) {
            bool on = s == 1 || s == 3;
            for (unsigned k = 0; k < N; k++)
                p[k] = (float)(-log(urand()) * (on && k >= LO && k <= HI ? level : 1.0));
            burstdet_execute(q, p, f * N, on_region, g);
        }
    burstdet_flush(q, on_region, g);
    burstdet_destroy(q);
}

static void test_weak_band_gap(void **st)
{
    (void)st;
    for (uint64_t seed = 0xb0a5d001; seed < 0xb0a5d001 + 5; seed++) {
        /* a weak band (mean 2.5: excess 1.5 per bin, under 3) lost for 2 frames */
        got split = {0}, joined = {0};
        run(0, 2.5, 2, seed, &split);
        run(3, 2.5, 2, seed, &joined);
        if (split.n != 2 || joined.n != 1)
            fail_msg("seed %#llx: weak band with a 2-frame gap: %zu regions without bridging "
                     "(want 2), %zu with band_gap_frames 3 (want 1)",
                     (unsigned long long)seed, split.n, joined.n);
        assert_int_equal(joined.r[0].frames, 26);
        /* its width is the band's (200 bins), within 5 % */
        double w = joined.r[0].bin_hi - joined.r[0].bin_lo + 1;
        if (fabs(w - (HI - LO + 1)) > 10)
            fail_msg("seed %#llx: weak band reported %.0f bins wide (%.0f..%.0f), want 200",
                     (unsigned long long)seed, w, joined.r[0].bin_lo, joined.r[0].bin_hi);
        /* a gap longer than band_gap_frames still splits */
        got far = {0};
        run(3, 2.5, 5, seed, &far);
        if (far.n != 2)
            fail_msg("seed %#llx: 5-frame gap gave %zu regions, want 2",
                     (unsigned long long)seed, far.n);
        /* a strong band (mean 20, 13 dB) with the same 2-frame gap stays two bursts */
        got strong = {0};
        run(3, 20.0, 2, seed, &strong);
        if (strong.n != 2)
            fail_msg("seed %#llx: strong band with a 2-frame gap gave %zu regions, want 2",
                     (unsigned long long)seed, strong.n);
    }
}

static void test_bad_config(void **st)
{
    (void)st;
    burstdet_cfg c;
    sg_errinfo e = {0};
    burstdet_cfg_default(&c, N, N);
    c.band_bins = 128;
    c.band_gap_frames = 65;
    assert_null(burstdet_create(&c, &e));
    assert_int_equal(e.code, SG_EINVAL);
    burstdet_cfg_default(&c, N, N);
    c.gap_frames = 65;
    e.code = 0;
    assert_null(burstdet_create(&c, &e));
    assert_int_equal(e.code, SG_EINVAL);
    burstdet_cfg_default(&c, N, N);
    c.band_bins = 130; /* not a multiple of 4 */
    e.code = 0;
    assert_null(burstdet_create(&c, &e));
    assert_int_equal(e.code, SG_EINVAL);
    burstdet_cfg_default(&c, N, N);
    c.band_bins = 128;
    c.band_gap_frames = 64;
    burstdet *q = burstdet_create(&c, &e);
    assert_non_null(q);
    burstdet_destroy(q);
}

/* a and b hold the same bits, or are both NaN */
static bool same_f(float a, float b)
{
    return (isnan(a) && isnan(b)) || !memcmp(&a, &b, sizeof a);
}

/* One frame of powers: exponential noise on segments of random level (bands for the
 * smoothing, the wide and the band detectors), and 1 % of the values a broken input could
 * bring (NaN, +Inf, 0, 1e30, subnormal). */
static void rand_frame(float *p, unsigned n)
{
    static const double lv[] = {1, 1, 1.6, 2.5, 6, 40, 1e4};
    double level = 1;
    unsigned left = 0;
    for (unsigned k = 0; k < n; k++) {
        if (!left) {
            left = 4 + (unsigned)(urand() * n / 4);
            level = lv[(unsigned)(urand() * 7)];
        }
        left--;
        double u = urand();
        p[k] = u < 0.002   ? NAN
               : u < 0.004 ? INFINITY
               : u < 0.006 ? 0.0f
               : u < 0.008 ? 1e30f
               : u < 0.010 ? 1e-40f
                           : (float)(-log(urand()) * level);
    }
}

/* The cells before the floor update as the scalar loops compute them: r, s (edges 0), the
 * group sums gs and 3-group means gm (wide detector on), the wide raise of s; returns the
 * hot count. */
static unsigned ref_cells(const burstdet *q, const float *p, const float *inv, float *r,
                          float *s, float *gs, float *gm)
{
    const unsigned n = q->cfg.nfft, m = q->cfg.smooth_bins, G = q->cfg.wide_bins;
    const float thr_s = q->thr * (float)(2 * m + 1);
    unsigned hot = 0;
    for (unsigned k = 0; k < n; k++) {
        r[k] = p[k] * inv[k];
        s[k] = 0;
    }
    for (unsigned k = m; k < n - m; k++) {
        float acc;
        if (m == 2) {
            acc = r[k - 2] + r[k - 1] + r[k] + r[k + 1] + r[k + 2];
        } else {
            acc = 0;
            for (unsigned j = 0; j <= 2 * m; j++)
                acc += r[k - m + j];
        }
        s[k] = acc;
        hot += acc >= thr_s;
    }
    if (!G)
        return hot;
    const unsigned ng = n / G;
    for (unsigned j = 0; j < ng; j++) {
        const float *x = r + j * G;
        if (G == 8) {
            gs[j] = ((x[0] + x[1]) + (x[2] + x[3])) + ((x[4] + x[5]) + (x[6] + x[7]));
        } else {
            float acc = 0;
            for (unsigned i = 0; i < G; i++)
                acc += x[i];
            gs[j] = acc;
        }
    }
    gm[0] = gm[ng - 1] = 0;
    unsigned whot = 0;
    for (unsigned j = 1; j + 1 < ng; j++) {
        gm[j] = (gs[j - 1] + gs[j] + gs[j + 1]) * (1.0f / (float)(3 * G));
        whot += gm[j] >= q->wthr;
    }
    for (unsigned j = 1; whot && j + 1 < ng; j++) /* a NaN mean raises too, when any is hot */
        if (!(gm[j] < q->wthr))
            for (unsigned k = j * G; k < (j + 1) * G; k++)
                if (k >= m && k < n - m && s[k] < thr_s)
                    s[k] = thr_s;
    return hot + whot;
}

/* The band detector's prefix sums over blocks of S bins (S a multiple of 4) as the scalar
 * loop adds them: 4 lanes, lane l bins l, l + 4, ..., (l0 + l1) + (l2 + l3). */
static void ref_band(const burstband *b, const float *r, const float *s, double *P, uint32_t *C)
{
    const unsigned S = b->stride, nb = b->n / S;
    const float muf = (float)b->mu;
    P[0] = 0;
    C[0] = 0;
    for (unsigned j = 0; j < nb; j++) {
        float a[4] = {0, 0, 0, 0};
        uint32_t c[4] = {0, 0, 0, 0};
        for (unsigned k = j * S; k < (j + 1) * S; k += 4)
            for (unsigned l = 0; l < 4; l++) {
                float x = r[k + l] < 3.0f ? r[k + l] : 3.0f;
                bool st = s[k + l] >= b->strong;
                a[l] += st ? muf : x;
                c[l] += st;
            }
        P[j + 1] = P[j] + ((a[0] + a[1]) + (a[2] + a[3]));
        C[j + 1] = C[j] + ((c[0] + c[1]) + (c[2] + c[3]));
    }
}

static void test_cells_exact(void **st)
{
    (void)st;
    static const struct {
        unsigned n, m, G, band;
    } cs[] = {
        {1024, 2, 8, 0},  {1024, 2, 8, 512}, {1024, 2, 8, 256}, {1024, 2, 8, 160},
        {1024, 1, 16, 0}, {1024, 3, 0, 0},   {2048, 2, 8, 1024}, {64, 2, 8, 0},
        {16, 2, 2, 0},    {256, 0, 4, 0},
    };
    enum { NMAX = 2048 };
    static float p[NMAX], inv[NMAX], r[NMAX], s[NMAX], gs[NMAX], gm[NMAX];
    static double P[NMAX + 1];
    static uint32_t C[NMAX + 1];
    for (unsigned c = 0; c < sizeof cs / sizeof cs[0]; c++) {
        const unsigned n = cs[c].n;
        burstdet_cfg cfg;
        burstdet_cfg_default(&cfg, n, n);
        cfg.smooth_bins = cs[c].m;
        cfg.wide_bins = cs[c].G;
        cfg.band_bins = cs[c].band;
        cfg.warmup_frames = 8;
        cfg.noise_decim = 3;
        sg_errinfo e = {0};
        burstdet *q = burstdet_create(&cfg, &e);
        assert_non_null(q);
        rng = 0xce115000 + c;
        got g = {0};
        for (unsigned f = 0; f < 48; f++) {
            rand_frame(p, n);
            memcpy(inv, q->inv, n * sizeof *inv); /* the floor this frame's cells read */
            uint64_t hot0 = q->st.hot_cells;
            burstdet_execute(q, p, (uint64_t)f * n, on_region, &g);
            if (f < 8)
                continue; /* the warm-up: frames kept, no cells yet */
            unsigned hot = ref_cells(q, p, inv, r, s, gs, gm);
            const float thr_s = q->thr * (float)(2 * cs[c].m + 1);
            for (unsigned k = 0; k < n; k++)
                if (!same_f(q->r[k], r[k]) || (!cs[c].band && !same_f(q->s[k], s[k])))
                    fail_msg("case %u frame %u bin %u: r %a (want %a), s %a (want %a)", c, f, k,
                             q->r[k], r[k], q->s[k], s[k]);
            for (unsigned j = 0; cs[c].G && j < n / cs[c].G; j++)
                if (!same_f(q->grp[j], gs[j]) || !same_f(q->grp[n / cs[c].G + j], gm[j]))
                    fail_msg("case %u frame %u group %u: %a %a (want %a %a)", c, f, j, q->grp[j],
                             q->grp[n / cs[c].G + j], gs[j], gm[j]);
            if (!cs[c].band) { /* the hot cells counted are those of s, if any was hot */
                uint64_t want = 0;
                for (unsigned k = cs[c].m; k < n - cs[c].m; k++)
                    want += s[k] >= thr_s;
                assert_true(hot || !want);
                if (q->st.hot_cells - hot0 != want)
                    fail_msg("case %u frame %u: %llu hot cells, want %llu", c, f,
                             (unsigned long long)(q->st.hot_cells - hot0),
                             (unsigned long long)want);
            } else {
                ref_band(&q->band, r, s, P, C);
                const unsigned nb = n / q->band.stride;
                assert_true(q->band.stride % 4 == 0);
                if (memcmp(P, q->band.pre, (nb + 1) * sizeof *P) ||
                    memcmp(C, q->band.cnt, (nb + 1) * sizeof *C))
                    fail_msg("case %u frame %u: band block sums differ (stride %u)", c, f,
                             q->band.stride);
            }
        }
        burstdet_destroy(q);
    }
}

/* burstband_detect at a 1-bin stride as burst.h states it, one window at a time in the plain
 * scalar arithmetic: clipped bins (strong cells as the noise mean) summed in one double
 * chain, the window and quarter tests, runs closed into marks. s raised in place, pk[n] the
 * marks; returns the cells made hot. P and C the prefix sums, onw[n - W] the windows on. */
static unsigned ref_band1(const burstband *b, const float *r, float *s, float thr_s, float *pk,
                          double *P, uint32_t *C, uint8_t *onw)
{
    const unsigned n = b->n, W = b->W, h = W / 2, Q = W / 4, m = b->m;
    const float muf = (float)b->mu;
    P[0] = 0;
    C[0] = 0;
    for (unsigned k = 0; k < n; k++) {
        float x = r[k] < 3.0f ? r[k] : 3.0f; /* NaN: 3 */
        bool st = s[k] >= b->strong;
        P[k + 1] = P[k] + (double)(st ? muf : x);
        C[k + 1] = C[k] + st;
    }
    memset(pk, 0, n * sizeof *pk);
    const double mu = b->mu, t = b->thr - mu;
    unsigned added = 0;
    long run = -1;
    double peak = 0;
    for (unsigned i = 0; i + W <= n; i++) {
        bool on = false;
        if (i + W < n) { /* the last window only closes a run */
            double full = P[i + W] - P[i], g = 0.1 * (full - mu * W);
            double need = (g > 0.5 * t * Q ? g : 0.5 * t * Q) + mu * Q;
            on = full >= b->thr * W && C[i + W] - C[i] <= W / 10;
            for (unsigned j = 0; j < 4; j++)
                on = on && P[i + (j + 1) * Q] - P[i + j * Q] >= need;
            onw[i] = on;
        }
        double mean = (P[i + W] - P[i]) / W;
        if (on) {
            if (run < 0) {
                run = i + h;
                peak = mean;
            } else if (mean > peak) {
                peak = mean;
            }
            continue;
        }
        if (run < 0)
            continue;
        long first = run, last = (long)(i + h) - 1;
        run = -1;
        if (last + 1 - first < (long)(W / 16))
            continue;
        double rho = t / (peak - mu);
        rho = rho > 1 ? 1 : rho;
        double off = fmax(W * rho - h, Q + fmax(Q * rho / 2, W * (0.75 * 0.4 / (4 - 0.4))));
        long a = lround(first - off), z = lround(last + off);
        a = a < (long)m ? (long)m : a;
        z = z > (long)(n - m) - 1 ? (long)(n - m) - 1 : z;
        for (long k = a; k <= z; k++) {
            if (s[k] < thr_s) {
                s[k] = thr_s;
                added++;
            }
            if ((float)peak > pk[k])
                pk[k] = (float)peak;
        }
    }
    return added;
}

/* The band detector at a 1-bin stride (the 200 Msps case: 40-bin windows at 1024 bins)
 * against ref_band1 bit for bit: raised sums, marks, hot count, the windows on, and the prefix
 * sums and strong-cell counts it computed, on random spectra with flat bands (some at the band edges of the
 * spectrum, some exactly at the threshold), NaN bins, strong cells, and frames with a bin
 * off the exact grid (tiny, -0, negative, -Inf: the scalar chain). */
static void test_band_stride1(void **st)
{
    (void)st;
    static const struct {
        unsigned n, W;
    } cs[] = {{1024, 40}, {1024, 44}, {64, 16}, {2048, 60}};
    enum { NMAX = 2048 };
    static float r[NMAX], s[NMAX], s_ref[NMAX], pk_ref[NMAX];
    static double P[NMAX + 1];
    static uint32_t C[NMAX + 1];
    static uint8_t on_ref[NMAX];
    for (unsigned c = 0; c < sizeof cs / sizeof cs[0]; c++) {
        const unsigned n = cs[c].n, W = cs[c].W;
        burstdet_cfg cfg;
        burstdet_cfg_default(&cfg, n, n);
        cfg.band_bins = W;
        burstband b = {0};
        assert_int_equal(burstband_init(&b, &cfg), SG_OK);
        assert_int_equal(b.stride, 1);
        assert_true(b.grid1); /* the vector path runs */
        rng = 0xba5d1000 + c;
        const float thr_s = 8.0f;
        unsigned marked = 0, hot = 0, psums = 0, csums = 0, ons = 0;
        const uint64_t unset = 0x7ff4000000dead00u; /* a NaN no sum of bins gives */
        for (unsigned f = 0; f < 400; f++) {
            /* 1-3 flat bands of random width and level, anywhere (edges included) */
            double lvl[NMAX];
            for (unsigned k = 0; k < n; k++)
                lvl[k] = 1;
            for (unsigned j = 0, nbands = 1 + (unsigned)(urand() * 3); j < nbands; j++) {
                unsigned w = W / 2 + (unsigned)(urand() * 3 * W);
                long a = (long)(urand() * (n + w)) - (long)w;
                double l = 1.2 + urand() * 3;
                for (long k = a < 0 ? 0 : a; k < a + (long)w && k < (long)n; k++)
                    lvl[k] = l;
            }
            const unsigned odd = f % 8; /* frame kinds: 0-3 plain, 4-7 one special value */
            for (unsigned k = 0; k < n; k++) {
                double u = urand();
                r[k] = (float)(-log(urand()) * lvl[k]);
                if (r[k] < 1e-4f && odd < 4)
                    r[k] = 1e-4f; /* on the grid: the vector path */
                r[k] = u < 0.003 ? NAN : u < 0.005 ? 0.0f : r[k];
                s[k] = (float)(urand() * 2 * thr_s);
                if (urand() < (f % 3 ? 0.004 : 0.05)) /* strong cells, a tenth of a window */
                    s[k] = b.strong * (urand() < 0.5f ? 1.0f : 4.0f);
            }
            static const float special[] = {1e-9f, -0.0f, -1.0f, -INFINITY};
            if (odd >= 4)
                r[(unsigned)(urand() * n)] = special[odd - 4];
            if (odd == 1 || odd == 2) { /* a band at the threshold: its windows' sums are
                                         * the least float mean >= thr (1) or the one below;
                                         * 2 W wide, or W between zeros (one window) */
                float x = (float)b.thr;
                while ((double)x * W < b.thr * W)
                    x = nextafterf(x, 4.0f);
                x = odd == 1 ? x : nextafterf(x, 0.0f);
                const unsigned w = f / 8 % 2 ? W : 2 * W;
                const unsigned a = 8 + (unsigned)(urand() * (n - w - 16));
                for (unsigned k = a - 8; k < a + w + 8; k++) {
                    r[k] = k < a || k >= a + w ? 0.0f : x;
                    s[k] = 0;
                }
            }
            for (unsigned k = 0; k <= n; k++) { /* unset: where no window needs them */
                memcpy(&b.pre[k], &unset, sizeof unset);
                b.cnt[k] = UINT32_MAX;
            }
            memcpy(s_ref, s, n * sizeof *s);
            unsigned want = ref_band1(&b, r, s_ref, thr_s, pk_ref, P, C, on_ref);
            unsigned got = burstband_detect(&b, r, s, thr_s);
            const uint8_t *on = (const uint8_t *)b.val; /* burst_band.c: the window bytes */
            for (unsigned i = 0; i < n - W; i++) {
                if (on[i] != on_ref[i])
                    fail_msg("case %u frame %u window %u: on %u, want %u", c, f, i, on[i],
                             on_ref[i]);
                ons += on[i];
            }
            if (got != want || memcmp(s, s_ref, n * sizeof *s))
                fail_msg("case %u frame %u: %u cells raised, want %u (or different ones)", c, f,
                         got, want);
            for (unsigned k = 0; k < n; k++)
                if (!same_f(b.pk[k], pk_ref[k]))
                    fail_msg("case %u frame %u bin %u: mark %a, want %a", c, f, k, b.pk[k],
                             pk_ref[k]);
            for (unsigned k = 0; k <= n; k++) {
                if (b.cnt[k] != UINT32_MAX && C[k] != b.cnt[k])
                    fail_msg("case %u frame %u: strong cells before bin %u: %u, want %u", c, f,
                             k, b.cnt[k], C[k]);
                csums += b.cnt[k] != UINT32_MAX;
                if (!memcmp(&b.pre[k], &unset, sizeof unset))
                    continue;
                psums++;
                if (memcmp(&P[k], &b.pre[k], sizeof P[k]))
                    fail_msg("case %u frame %u: prefix sum %u: %a, want %a", c, f, k, b.pre[k],
                             P[k]);
            }
            bool any = false;
            for (unsigned k = 0; k < n; k++)
                any = any || pk_ref[k] > 0;
            marked += any;
            hot += want;
        }
        /* the frames exercised the detector: bands found, cells raised */
        assert_true(marked > 40);
        assert_true(hot > 100 && ons > 1000);
        assert_true(psums > 100 * n && csums > 100 * n); /* and the sums they needed */
        burstband_free(&b);
    }
}

static int cmp_f(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* The floor the warm-up seeds (burst.h): per bin the 25th percentile (the ((w - 1) / 4)-th
 * smallest of w frames) / 0.2877, then the 5-bin mean, against a sort. The frames have ties
 * (values on a grid of 1/16) and lie in [0.25, 4], where noise_alpha 1e-9 leaves the floor's
 * updates on the warm-up frames below half a float step: the floor read back is the seed.
 * Ranks on both sides of the 8-bin selection's limit (w 128 and 129), and a short warm-up
 * ended by a flush. */
static void test_warmup_floor(void **st)
{
    (void)st;
    static const unsigned ws[][2] = {{8, 8},     {9, 9},     {64, 64},  {127, 127},
                                     {128, 128}, {129, 129}, {200, 200}, {64, 37}};
    enum { NF = 1024, WMAX = 200 };
    static float frames[WMAX][NF], col[WMAX], seed[NF];
    for (unsigned c = 0; c < sizeof ws / sizeof ws[0]; c++)
        for (unsigned n = 64; n <= NF; n *= 16) {
            const unsigned w = ws[c][1];
            burstdet_cfg cfg;
            burstdet_cfg_default(&cfg, n, n);
            cfg.warmup_frames = ws[c][0];
            cfg.noise_alpha = 1e-9;
            cfg.noise_alpha_busy = 0;
            sg_errinfo e = {0};
            burstdet *q = burstdet_create(&cfg, &e);
            assert_non_null(q);
            rng = 0xf1002000 + c * 7 + n;
            got g = {0};
            for (unsigned i = 0; i < w; i++) {
                for (unsigned k = 0; k < n; k++)
                    frames[i][k] = (float)(4 + (int)(urand() * 60)) / 16.0f;
                burstdet_execute(q, frames[i], (uint64_t)i * n, on_region, &g);
            }
            if (w < ws[c][0])
                burstdet_flush(q, on_region, &g);
            for (unsigned k = 0; k < n; k++) {
                for (unsigned i = 0; i < w; i++)
                    col[i] = frames[i][k];
                qsort(col, w, sizeof *col, cmp_f);
                seed[k] = (float)(col[(w - 1) / 4] * (1.0 / -log(0.75)));
            }
            for (unsigned k = 0; k < n; k++) {
                unsigned a = k >= 2 ? k - 2 : 0, b = k + 2 < n ? k + 2 : n - 1;
                double acc = 0;
                for (unsigned j = a; j <= b; j++)
                    acc += seed[j];
                float want = (float)(acc / (b - a + 1));
                want = want > 1e-30f ? want : 1e-30f;
                if (!same_f(burstdet_floor(q, k), want))
                    fail_msg("warm-up %u of %u frames, nfft %u, bin %u: floor %a, want %a", w,
                             ws[c][0], n, k, burstdet_floor(q, k), want);
            }
            burstdet_destroy(q);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_weak_band_gap),
        cmocka_unit_test(test_bad_config),
        cmocka_unit_test(test_cells_exact),
        cmocka_unit_test(test_band_stride1),
        cmocka_unit_test(test_warmup_floor),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
