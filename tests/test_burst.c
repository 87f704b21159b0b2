/* Burst detector (dsp/burst.h) on synthetic power frames: exponential noise (|X|^2 of
 * white Gaussian noise, mean 1 per bin) with a flat band of bins 400..599 (of 1024) raised
 * to a chosen mean. Checks what burst.h states for the band detector's weak regions: a
 * weak band lost for two frames stays one region when band_gap_frames covers the gap and
 * is split without it; a strong band with the same gap is always split; a weak band's
 * reported width is the band's own (within 5 %). Invalid configurations fail cleanly.
 * Seeds fixed and printed on failure. The real 0 dB DroneID figures these serve are in
 * test_droneid_burst. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "burst.h"

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_weak_band_gap),
        cmocka_unit_test(test_bad_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
