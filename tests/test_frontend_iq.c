/* RF front end: the IQ it hands out with each burst (frontend.h), on synthetic busy scenes
 * (dsp/siggen.h; test_frontend.c checks the detection itself).
 *   - threads > 1 give what one thread gives, bit for bit: bursts, their IQ, the execute
 *     call that delivered them, the counters (gaps, retunes, limited samples too);
 *   - iq_max_s: bursts up to it get the same IQ as without it, longer ones none (counted);
 *   - windows kept in the ring past the callback (frontend_set_ring_wait,
 *     frontend_iq_in_ring) stay intact until the front end asks for them back, and it asks
 *     only for what it overwrites.
 * Fixed seeds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "frontend.h"
#include "siggen.h"
#include "sg_lsan.h"

SG_LSAN_SUPPRESS(SG_LSAN_LIQUID)

#define FS 15.36e6
#define FC 2.4415e9
#define T0 1800000000.0
#define NOISE 1e-4

/* FNV-1a over the bytes of n samples */
static uint64_t fnv(const float complex *p, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    const unsigned char *b = (const unsigned char *)p;
    for (size_t i = 0; i < n * sizeof *p; i++)
        h = (h ^ b[i]) * 1099511628211ull;
    return h;
}

/* Several threads (cfg.threads) must give exactly what one thread gives: the same bursts,
 * bit for bit, with the same IQ, in the same order and in the same execute call, and the
 * same counters. Busy scene (DroneID, FrSky, ELRS, Wi-Fi, BLE) with a gap and a retune in
 * the middle, over configurations that move the batch and ring boundaries: block sizes
 * that are not multiples of anything, overlap, a small batch, a big FFT. */
typedef struct {
    sg_burst b[4096];
    uint64_t iq_hash[4096];
    unsigned call[4096]; /* execute call that delivered it */
    size_t n;
    unsigned calls;
} trace;

static void on_trace(void *user, const sg_burst *b, const float complex *iq, size_t n_iq)
{
    trace *t = user;
    assert_true(t->n < 4096);
    t->b[t->n] = *b;
    t->iq_hash[t->n] = fnv(iq, iq ? n_iq : 0) ^ n_iq;
    t->call[t->n++] = t->calls;
}

static void run_trace(const frontend_cfg *cfg, const float complex *x, uint64_t len, size_t block,
                      trace *t, frontend_stats_t *st)
{
    sg_errinfo e = {0};
    frontend *fe = frontend_create(cfg, &e);
    if (!fe)
        fail_msg("frontend_create (threads %u): %s", cfg->threads, e.msg);
    memset(t, 0, sizeof *t);
    const uint64_t gap_at = len / 3, gap = 5000, retune_at = 2 * len / 3;
    for (uint64_t i = 0; i < len;) {
        size_t n = len - i < block ? (size_t)(len - i) : block;
        bool disc = false;
        if (i < gap_at && i + n > gap_at) /* cut the block at the gap, then skip */
            n = (size_t)(gap_at - i);
        if (i == gap_at) {
            i += gap;
            disc = true;
            continue;
        }
        sg_iq_block blk = {.x = x + i, .n = n, .sample_index = i, .sample_rate = FS,
                           .center_freq = i >= retune_at ? FC + 1e6 : FC, .t0 = T0,
                           .discontinuity = disc};
        assert_int_equal(frontend_execute(fe, &blk, on_trace, t), 0);
        t->calls++;
        i += n;
    }
    assert_int_equal(frontend_flush(fe, on_trace, t), 0);
    frontend_stats(fe, st);
    frontend_destroy(fe);
}

/* DroneID-, FrSky-, ELRS- and Wi-Fi-like bursts (and BLE-like when ble) at 15.36 Msps:
 * dur s of samples, *len of them */
static float complex *busy_scene(unsigned seed, double dur, bool ble, uint64_t *len)
{
    sg_errinfo e = {0};
    siggen *g = siggen_create(FS, dur, FC, NOISE, seed, &e);
    assert_non_null(g);
    siggen_signal sig[] = {
        {.kind = SIGGEN_DRONEID, .snr_db = 15, .freq_offset = 2e6, .t_start = 0.01, .period = 0.03},
        {.kind = SIGGEN_FRSKY, .snr_db = 12},
        {.kind = SIGGEN_ELRS, .snr_db = 10},
        {.kind = SIGGEN_WIFI, .snr_db = 10, .period = 0.011},
        {.kind = SIGGEN_BLE, .snr_db = 14, .freq_offset = 15e6},
    };
    for (size_t i = 0; i < sizeof sig / sizeof sig[0] - !ble; i++)
        assert_int_equal(siggen_add(g, &sig[i], &e), 0);
    *len = siggen_length(g);
    float complex *x = malloc(*len * sizeof *x);
    assert_non_null(x);
    assert_int_equal(siggen_generate(g, x, *len, &e), 0);
    siggen_destroy(g);
    return x;
}

static void test_threads_identical(void **state)
{
    (void)state;
    sg_errinfo e = {0};
    const unsigned seed = 31;
    uint64_t len;
    float complex *x = busy_scene(seed, 0.15, true, &len);
    for (uint64_t i = len / 2; i < len / 2 + 3000; i += 7)
        x[i] = NAN; /* limited samples count the same way too */
    static const struct {
        unsigned nfft, batch;
        double overlap;
        size_t block;
        bool deliver_iq;
        double band_hz;      /* 0: the default */
        unsigned noise_decim; /* 0: the default */
    } cases[] = {
        {1024, 16, 0, 65536, true, 0, 0},
        {1024, 16, 0, 10007, true, 0, 0},
        {1024, 4, 0.5, 3001, true, 0, 0},
        {512, 1, 0.75, 65536, true, 0, 0},
        {4096, 8, 0.25, 100003, false, 0, 0},
        /* a 40-bin band window (tried at every bin, as 8 MHz at 200 Msps) and a floor
         * updated on every frame (a floor of its own for each frame of a batch) */
        {1024, 16, 0, 65536, true, 0.6e6, 1},
    };
    static trace ref, got;
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        frontend_cfg cfg;
        frontend_cfg_default(&cfg);
        cfg.nfft = cases[c].nfft;
        cfg.batch = cases[c].batch;
        cfg.overlap = cases[c].overlap;
        cfg.deliver_iq = cases[c].deliver_iq;
        if (cases[c].band_hz > 0)
            cfg.band_hz = cases[c].band_hz;
        if (cases[c].noise_decim)
            cfg.noise_decim = cases[c].noise_decim;
        cfg.threads = 1;
        frontend_stats_t st1, stn;
        run_trace(&cfg, x, len, cases[c].block, &ref, &st1);
        assert_true(ref.n >= 10);
        for (unsigned th = 2; th <= 3; th++) {
            cfg.threads = th;
            run_trace(&cfg, x, len, cases[c].block, &got, &stn);
            print_message("case %zu (nfft %u, batch %u, overlap %.2f, block %zu): %zu bursts, "
                          "threads %u: %zu\n", c, cfg.nfft, cfg.batch, cfg.overlap,
                          cases[c].block, ref.n, th, got.n);
            if (got.n != ref.n)
                fail_msg("seed %u case %zu threads %u: %zu bursts, one thread %zu", seed, c, th,
                         got.n, ref.n);
            for (size_t i = 0; i < ref.n; i++) {
                const sg_burst *a = &ref.b[i], *b = &got.b[i];
                if (a->sample_start != b->sample_start || a->sample_count != b->sample_count ||
                    a->t_start != b->t_start || a->fc != b->fc || a->bandwidth != b->bandwidth ||
                    a->peak_snr_db != b->peak_snr_db || a->mean_snr_db != b->mean_snr_db ||
                    a->flags != b->flags || ref.iq_hash[i] != got.iq_hash[i] ||
                    ref.call[i] != got.call[i])
                    fail_msg("seed %u case %zu threads %u: burst %zu differs (start %llu/%llu, "
                             "fc %.1f/%.1f, call %u/%u)", seed, c, th, i,
                             (unsigned long long)a->sample_start,
                             (unsigned long long)b->sample_start, a->fc, b->fc, ref.call[i],
                             got.call[i]);
            }
            assert_int_equal(stn.frames, st1.frames);
            assert_int_equal(stn.hot_cells, st1.hot_cells);
            assert_int_equal(stn.bursts_small, st1.bursts_small);
            assert_int_equal(stn.bursts_weak, st1.bursts_weak);
            assert_int_equal(stn.iq_limited, st1.iq_limited);
            assert_int_equal(stn.iq_clipped, st1.iq_clipped);
            assert_int_equal(stn.discontinuities, st1.discontinuities);
            assert_int_equal(stn.discontinuities, 2);
            assert_true(stn.iq_limited > 0);
        }
    }
    /* out of range thread counts are refused */
    frontend_cfg cfg;
    frontend_cfg_default(&cfg);
    cfg.threads = 0;
    assert_null(frontend_create(&cfg, &e));
    assert_non_null(strstr(e.msg, "threads"));
    cfg.threads = FRONTEND_MAX_THREADS + 1;
    assert_null(frontend_create(&cfg, &e));
    free(x);
}

/* iq_max_s: bursts up to that length get the same IQ as without it (from a ring sized
 * for them), longer ones none (counted); the bursts themselves do not change. */
static void test_iq_max(void **state)
{
    (void)state;
    sg_errinfo e = {0};
    const unsigned seed = 37;
    uint64_t len;
    float complex *x = busy_scene(seed, 0.12, false, &len);
    const double iq_max_s = 1e-3;
    const uint64_t iq_max_n = (uint64_t)ceil(iq_max_s * FS);
    static trace ref, got;
    frontend_cfg cfg;
    frontend_cfg_default(&cfg);
    cfg.nfft = 256; /* short frames, batch 1: the ring is little more than iq_max_s */
    cfg.batch = 1;
    frontend_stats_t st0, st;
    run_trace(&cfg, x, len, 65536, &ref, &st0);
    for (unsigned th = 1; th <= 2; th++) {
        cfg.threads = th;
        cfg.iq_max_s = iq_max_s;
        run_trace(&cfg, x, len, 65536, &got, &st);
        size_t shorter = 0, longer = 0;
        if (got.n != ref.n)
            fail_msg("seed %u threads %u: %zu bursts, without iq_max_s %zu", seed, th, got.n,
                     ref.n);
        for (size_t i = 0; i < ref.n; i++) {
            const sg_burst *a = &ref.b[i], *b = &got.b[i];
            bool has_iq = b->sample_count <= iq_max_n;
            uint64_t none = 1469598103934665603ull; /* FNV-1a of nothing, ^ n_iq 0 */
            if (a->sample_start != b->sample_start || a->sample_count != b->sample_count ||
                a->fc != b->fc || a->flags != b->flags || ref.call[i] != got.call[i] ||
                got.iq_hash[i] != (has_iq ? ref.iq_hash[i] : none))
                fail_msg("seed %u threads %u: burst %zu (%llu samples) differs", seed, th, i,
                         (unsigned long long)b->sample_count);
            shorter += has_iq;
            longer += !has_iq;
        }
        print_message("threads %u: %zu bursts, %zu with IQ, %zu longer than %.0f us without\n",
                      th, got.n, shorter, longer, iq_max_s * 1e6);
        assert_true(shorter >= 4 && longer >= 4); /* both kinds are exercised */
        assert_int_equal(st.iq_withheld, longer);
        assert_int_equal(st0.iq_withheld, 0);
        assert_int_equal(st.iq_clipped, st0.iq_clipped);
    }
    /* out of range: refused, naming the key */
    const double bad[] = {5e-5, -1, 11, NAN};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        frontend_cfg_default(&cfg);
        cfg.iq_max_s = bad[i];
        assert_null(frontend_create(&cfg, &e));
        assert_non_null(strstr(e.msg, "iq_max_s"));
    }
    free(x);
}

/* ---------------------------------------------------------------- windows kept in the ring */

#define HOLD_MAX 4096

/* A caller that keeps every window handed out in the ring (frontend_iq_in_ring) until the
 * front end's ring wait asks for it back, as the daemon's burst thread does. */
typedef struct {
    frontend *fe;
    const float complex *x; /* the input: stream index j is x[j - x_base] */
    uint64_t x_base;
    uint64_t margin;
    struct {
        const float complex *p;
        uint64_t first, hash;
        size_t n;
    } held[HOLD_MAX];
    size_t n_held;
    size_t in_ring, copied, waits, waits_all, survived, released, broken;
} holder;

/* Every held window still as it was handed out (the front end wrote nothing over it). */
static void held_check(holder *h)
{
    for (size_t i = 0; i < h->n_held; i++)
        if (fnv(h->held[i].p, h->held[i].n) != h->held[i].hash)
            h->broken++;
}

static void on_hold(void *user, const sg_burst *b, const float complex *iq, size_t n_iq)
{
    holder *h = user;
    uint64_t first = 0;
    if (!frontend_iq_in_ring(h->fe, iq, &first)) {
        h->copied += iq != NULL;
        return;
    }
    /* in the ring: the window of the burst, the input's samples (none limited here) */
    assert_true(first + h->margin == b->sample_start);
    assert_int_equal(n_iq, b->sample_count + 2 * h->margin);
    assert_true(first >= h->x_base);
    assert_memory_equal(iq, h->x + (first - h->x_base), n_iq * sizeof *iq);
    assert_true(h->n_held < HOLD_MAX);
    h->held[h->n_held].p = iq;
    h->held[h->n_held].first = first;
    h->held[h->n_held].n = n_iq;
    h->held[h->n_held++].hash = fnv(iq, n_iq);
    h->in_ring++;
}

static void on_ring_wait(void *user, uint64_t below)
{
    holder *h = user;
    held_check(h);
    h->waits++;
    h->waits_all += below == UINT64_MAX;
    size_t k = 0;
    for (size_t i = 0; i < h->n_held; i++) {
        if (h->held[i].first < below) {
            h->released++;
            continue;
        }
        h->held[k++] = h->held[i];
    }
    h->survived += k;
    h->n_held = k;
}

/* Windows handed out in the ring stay intact while held, through many wraps of a small
 * ring (iq_max_s 1 ms), with one and two threads and blocks smaller and larger than a
 * chunk: the front end asks for a window back (ring wait with below > its first index)
 * before it writes over it, and only then. A stream that goes back to index 0 (a new
 * segment, at an index behind the old one) and a new sample rate (the ring re-allocated) ask for every window. Without a
 * ring wait the same windows are overwritten (the check can fail). */
static void test_ring_wait(void **state)
{
    (void)state;
    const unsigned seed = 43;
    uint64_t len;
    float complex *x = busy_scene(seed, 0.12, false, &len);
    static holder h;
    static const size_t blocks[] = {65536, 10007};
    for (int wait_on = 1; wait_on >= 0; wait_on--)
        for (unsigned th = 1; th <= 2; th++)
            for (size_t bi = 0; bi < 2; bi++) {
                frontend_cfg cfg;
                frontend_cfg_default(&cfg);
                cfg.nfft = 256;
                cfg.batch = 1;
                cfg.iq_max_s = 1e-3;
                cfg.threads = th;
                sg_errinfo e = {0};
                memset(&h, 0, sizeof h);
                h.fe = frontend_create(&cfg, &e);
                assert_non_null(h.fe);
                h.x = x;
                h.margin = (uint64_t)llround(cfg.margin_s * FS);
                if (wait_on)
                    frontend_set_ring_wait(h.fe, on_ring_wait, &h);
                /* two segments: indices 0..len/2 of x, then the rest from index 1000 (a new
                   stream, behind the first one's end); then one block at another rate */
                const uint64_t half = len / 2;
                for (int seg = 0; seg < 2; seg++) {
                    h.x = x + (seg ? half : 0);
                    h.x_base = seg ? 1000 : 0;
                    uint64_t n_seg = seg ? len - half : half;
                    size_t waits_before = h.waits_all;
                    for (uint64_t i = 0; i < n_seg; i += blocks[bi]) {
                        size_t n = n_seg - i < blocks[bi] ? (size_t)(n_seg - i) : blocks[bi];
                        sg_iq_block blk = {.x = h.x + i, .n = n, .sample_index = h.x_base + i,
                                           .sample_rate = FS, .center_freq = FC, .t0 = T0,
                                           .discontinuity = seg && i == 0};
                        assert_int_equal(frontend_execute(h.fe, &blk, on_hold, &h), 0);
                    }
                    if (wait_on && seg)
                        assert_true(h.waits_all > waits_before); /* the stream went back */
                }
                held_check(&h);
                size_t broken_stream = h.broken;
                size_t all_before = h.waits_all;
                sg_iq_block blk = {.x = x, .n = 4096, .sample_index = len, .sample_rate = FS / 2,
                                   .center_freq = FC, .t0 = T0};
                assert_int_equal(frontend_execute(h.fe, &blk, on_hold, &h), 0);
                if (wait_on)
                    assert_true(h.waits_all > all_before); /* the ring re-allocated */
                print_message("wait %d threads %u block %zu: %zu in the ring, %zu copied, "
                              "%zu waits (%zu all), %zu released, %zu kept over a wait, "
                              "%zu overwritten while held\n",
                              wait_on, th, blocks[bi], h.in_ring, h.copied, h.waits, h.waits_all,
                              h.released, h.survived, broken_stream);
                frontend_destroy(h.fe);
                assert_true(h.in_ring >= 10);
                if (wait_on) {
                    assert_int_equal(broken_stream, 0);
                    assert_true(h.released >= 20);
                    assert_true(h.survived > 0); /* a wait asks only for what it overwrites */
                } else {
                    assert_true(broken_stream > 0); /* the check sees an overwrite */
                    assert_int_equal(h.waits, 0);
                }
            }
    free(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_threads_identical),
        cmocka_unit_test(test_iq_max),
        cmocka_unit_test(test_ring_wait),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
