/* The live multi-channel RX stream (adapters/iq_rx.h) against a fake device behind
 * iq_rx_ops: every sample the fake delivers encodes its true stream index and channel,
 * so the test checks that blocks interleave the channels, that short reads are
 * accumulated, that the sample clock follows the device's time stamps across gaps
 * (samples dropped counted, discontinuity flagged), that overflows, timeouts, clock
 * jumps, NaN and clipped samples are counted (per channel where they differ), that a
 * slow consumer costs counted drops only, and that a device with fewer channels,
 * channels on different clocks or LOs, a refused setting or a failing read fail
 * cleanly with a message naming the problem. With a channel plan (scan_plan.h): the
 * device is retuned at the planned sample counts, the settling samples are counted and
 * not dropped, every delivered block carries its channel's centre and the first of
 * each dwell is flagged; a refused retune and invalid plans fail naming the problem. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <complex.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "iq_rx.h"

#define RATE 1e6 /* 1 us per sample: device time stamps are exact */

enum { S_DATA, S_TIMEOUT, S_OVERFLOW, S_BACK, S_NAN, S_CLIP, S_FAIL };

typedef struct {
    int op;
    size_t n;  /* S_DATA: samples; S_OVERFLOW: samples lost; S_BACK: clock back by n */
    int ch;    /* S_NAN / S_CLIP: channel of the next data's first sample */
} step;

typedef struct {
    size_t nch;                 /* channels the device has */
    double rate[8], fc[8];      /* read back per channel */
    int refuse;                 /* iq_rx_param refused (-1 none) */
    bool hw_time, setup_fails;
    const step *script;
    size_t n_steps, at, done_in_step;
    uint64_t t;                 /* true stream index of the next sample */
    int nan_ch, clip_ch;
    iq_rx *rx;                  /* stopped when the script ends */
    size_t set_chans[8], n_set; /* what setup() was given */
    bool active, closed;
    char err[64];
    uint64_t retune_at[16];     /* stream index of the next sample at each retune */
    double retune_hz[16];
    size_t n_retune;
    int retune_fails;           /* retune call (0-based) refused, -1 none */
} fake;

static fake *fake_new(size_t nch)
{
    fake *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->nch = nch;
    for (size_t c = 0; c < 8; c++) {
        f->rate[c] = RATE;
        f->fc[c] = 2.44e9;
    }
    f->refuse = -1;
    f->hw_time = true;
    f->nan_ch = f->clip_ch = -1;
    f->retune_fails = -1;
    return f;
}

static size_t f_num(void *d) { return ((fake *)d)->nch; }

static int f_set(void *d, iq_rx_param p, size_t ch, double v, const char *s)
{
    fake *f = d;
    (void)v;
    (void)s;
    assert_true(ch < f->nch);
    if ((int)p == f->refuse) {
        snprintf(f->err, sizeof f->err, "value out of range");
        return -1;
    }
    return 0;
}

static double f_get(void *d, iq_rx_param p, size_t ch)
{
    fake *f = d;
    return p == IQ_RX_RATE ? f->rate[ch] : p == IQ_RX_FREQ ? f->fc[ch] : NAN;
}

static int f_setup(void *d, const size_t *chans, size_t n)
{
    fake *f = d;
    if (f->setup_fails) {
        snprintf(f->err, sizeof f->err, "stream busy");
        return -1;
    }
    memcpy(f->set_chans, chans, n * sizeof *chans);
    f->n_set = n;
    return 0;
}

static int f_activate(void *d) { ((fake *)d)->active = true; return 0; }
static void f_deactivate(void *d) { ((fake *)d)->active = false; }
static const char *f_error(void *d) { return ((fake *)d)->err; }
static void f_close(void *d) { ((fake *)d)->closed = true; }

/* Sample t of channel c: re = t * 1e-7 (< 0.1), im = 0.1 c + 0.05. */
static float complex code(uint64_t t, size_t c)
{
    return CMPLXF((float)((double)t * 1e-7), (float)(0.1 * (double)c + 0.05));
}

static int f_read(void *d, void *const *buffs, size_t n, bool *has_time, long long *tns,
                  long timeout_us)
{
    fake *f = d;
    (void)timeout_us;
    for (;;) {
        if (f->at >= f->n_steps) {
            iq_rx_stop(f->rx);
            return 0; /* nothing more */
        }
        const step *s = &f->script[f->at];
        switch (s->op) {
        case S_TIMEOUT:
            f->at++;
            return IQ_RX_TIMEOUT;
        case S_OVERFLOW:
            f->t += s->n;
            f->at++;
            return IQ_RX_OVERFLOW;
        case S_BACK:
            f->t -= s->n;
            f->at++;
            continue;
        case S_NAN:
            f->nan_ch = s->ch;
            f->at++;
            continue;
        case S_CLIP:
            f->clip_ch = s->ch;
            f->at++;
            continue;
        case S_FAIL:
            snprintf(f->err, sizeof f->err, "device unplugged");
            return IQ_RX_FAILED;
        default:
            break;
        }
        size_t k = s->n - f->done_in_step;
        if (k > n)
            k = n;
        for (size_t c = 0; c < f->n_set; c++) {
            float complex *x = buffs[c];
            for (size_t i = 0; i < k; i++)
                x[i] = code(f->t + i, c);
            if ((int)c == f->nan_ch)
                x[0] = CMPLXF(NAN, 0);
            if ((int)c == f->clip_ch)
                x[0] = CMPLXF(1.0f, 0);
        }
        f->nan_ch = f->clip_ch = -1;
        *has_time = f->hw_time;
        *tns = (long long)f->t * 1000;
        f->t += k;
        if ((f->done_in_step += k) == s->n) {
            f->at++;
            f->done_in_step = 0;
        }
        return (int)k;
    }
}

static int f_retune(void *d, double hz)
{
    fake *f = d;
    if ((int)f->n_retune == f->retune_fails) {
        snprintf(f->err, sizeof f->err, "PLL not locked");
        return -1;
    }
    if (f->n_retune < 16) {
        f->retune_at[f->n_retune] = f->t;
        f->retune_hz[f->n_retune] = hz;
    }
    f->n_retune++;
    return 0;
}

static const iq_rx_ops fake_ops = {
    .num_channels = f_num, .set = f_set, .get = f_get, .setup = f_setup,
    .activate = f_activate, .deactivate = f_deactivate, .read = f_read, .error = f_error,
    .close = f_close, .retune = f_retune,
};

typedef struct {
    size_t nch;
    uint64_t next, samples, bad_codes, gaps, misflagged;
    size_t nblk;
    uint64_t idx[64], len[64];
    bool disc[64];
    double fc[64];
    int sleep_us;
} sink_ctx;

static int sink(void *user, const sg_iq_block *b)
{
    sink_ctx *k = user;
    assert_int_equal(b->channels, k->nch > 1 ? k->nch : 0);
    assert_true(b->sample_index >= k->next);
    bool gap = b->sample_index > k->next;
    k->gaps += gap;
    /* a flagged block without a skipped index is an overflow of unknown length */
    if (gap && !b->discontinuity)
        k->misflagged++;
    if (k->nblk < 64) {
        k->idx[k->nblk] = b->sample_index;
        k->len[k->nblk] = b->n;
        k->disc[k->nblk] = b->discontinuity;
        k->fc[k->nblk] = b->center_freq;
    }
    k->nblk++;
    for (size_t t = 0; t < b->n; t++)
        for (size_t c = 0; c < k->nch; c++) {
            float complex v = b->x[t * k->nch + c];
            if (v == 0 || v == CMPLXF(1.0f, 0))
                continue; /* the injected NaN (now 0) and clipped samples */
            uint64_t tt = (uint64_t)llround(crealf(v) * 1e7);
            if (tt != b->sample_index + t || fabsf(cimagf(v) - (0.1f * c + 0.05f)) > 1e-6f)
                k->bad_codes++;
        }
    k->next = b->sample_index + b->n;
    k->samples += b->n;
    if (k->sleep_us) {
        struct timespec ts = {0, k->sleep_us * 1000L};
        nanosleep(&ts, NULL);
    }
    return 0;
}

static iq_rx *open_plan(const iq_rx_ops *ops, fake *f, const size_t *chans, size_t n,
                        size_t block, unsigned pool, const scan_plan *plan, sg_errinfo *e)
{
    iq_rx_cfg c = {.rate = RATE, .fc = 2.44e9, .gain = 30, .bandwidth = 0, .antenna = "RX2",
                   .chans = chans, .n_chans = n, .pool_blocks = pool, .block_samples = block,
                   .name = "fake", .scan = plan};
    iq_rx *r = iq_rx_open(ops, f, &c, "sensors[1].adapter", e);
    if (r)
        f->rx = r;
    return r;
}

static iq_rx *open_fake(fake *f, const size_t *chans, size_t n, size_t block, unsigned pool,
                        sg_errinfo *e)
{
    return open_plan(&fake_ops, f, chans, n, block, pool, NULL, e);
}

/* 4 channels, short reads, a timeout, two overflows with time stamps, NaN and clipping
 * on one channel each. */
static void test_stream_accounting(void **state)
{
    (void)state;
    static const step script[] = {
        {S_DATA, 100, 0}, {S_DATA, 28, 0},           /* short reads: one block of 128 */
        {S_TIMEOUT, 0, 0}, {S_DATA, 64, 0},          /* a timeout inside a block */
        {S_NAN, 0, 2}, {S_DATA, 64, 0},              /* block 2 complete; NaN on channel 2 */
        {S_DATA, 50, 0}, {S_OVERFLOW, 300, 0},       /* 50 go out early, 300 lost */
        {S_CLIP, 0, 1}, {S_DATA, 128, 0},            /* next block: skips 300; clip on ch 1 */
        {S_DATA, 128, 0}, {S_OVERFLOW, 7, 0}, {S_TIMEOUT, 0, 0}, {S_DATA, 256, 0},
    };
    fake *f = fake_new(4);
    f->script = script;
    f->n_steps = sizeof script / sizeof script[0];
    const size_t chans[] = {0, 1, 2, 3};
    sg_errinfo e = {0};
    iq_rx *r = open_fake(f, chans, 4, 128, 16, &e);
    if (!r)
        fail_msg("open: %s", e.msg);
    assert_int_equal(f->n_set, 4); /* one stream with every channel */
    sink_ctx k = {.nch = 4};
    assert_int_equal(iq_rx_run(r, sink, &k, &e), 0);
    assert_false(f->active);
    sg_adapter_stats st;
    iq_rx_stats(r, &st);
    assert_int_equal(k.bad_codes, 0);
    assert_int_equal(st.channels, 4);
    assert_int_equal(st.overflows, 2);
    assert_int_equal(st.timeouts, 2);
    assert_int_equal(st.samples_dropped, 307);
    assert_int_equal(st.samples, 100 + 28 + 64 + 64 + 50 + 128 + 128 + 256);
    assert_int_equal(st.samples, k.samples);
    assert_int_equal(st.ch_bad_samples[2], 1);
    assert_int_equal(st.ch_bad_samples[0] + st.ch_bad_samples[1] + st.ch_bad_samples[3], 0);
    assert_int_equal(st.bad_samples, 1);
    assert_int_equal(st.ch_clipped[1], 1);
    assert_int_equal(st.ch_clipped[0] + st.ch_clipped[2] + st.ch_clipped[3], 0);
    /* blocks: 128, 128, 50 | gap 300 | 128, 128 | gap 7 | 128, 128 */
    static const uint64_t idx[] = {0, 128, 256, 606, 734, 869, 997};
    static const uint64_t len[] = {128, 128, 50, 128, 128, 128, 128};
    assert_int_equal(k.nblk, 7);
    for (size_t i = 0; i < 7; i++) {
        if (k.idx[i] != idx[i] || k.len[i] != len[i] || k.disc[i] != (i == 3 || i == 5))
            fail_msg("block %zu: index %llu n %llu disc %d, expected %llu %llu %d", i,
                     (unsigned long long)k.idx[i], (unsigned long long)k.len[i], k.disc[i],
                     (unsigned long long)idx[i], (unsigned long long)len[i], i == 3 || i == 5);
    }
    assert_int_equal(k.misflagged, 0);
    iq_rx_close(r);
    assert_true(f->closed);
    free(f);
}

/* Without device time stamps an overflow is a flagged gap of unknown length; a time
 * stamp going back is counted and flagged. */
static void test_clock_without_and_back(void **state)
{
    (void)state;
    static const step script[] = {
        {S_DATA, 64, 0}, {S_OVERFLOW, 1000, 0}, {S_DATA, 64, 0}, {S_DATA, 64, 0},
    };
    fake *f = fake_new(2);
    f->hw_time = false;
    f->script = script;
    f->n_steps = 4;
    const size_t chans[] = {1, 0}; /* any order: block channel c is chans[c] */
    sg_errinfo e = {0};
    iq_rx *r = open_fake(f, chans, 2, 64, 8, &e);
    assert_non_null(r);
    sink_ctx k = {.nch = 2};
    assert_int_equal(iq_rx_run(r, sink, &k, &e), 0);
    sg_adapter_stats st;
    iq_rx_stats(r, &st);
    assert_int_equal(st.overflows, 1);
    assert_int_equal(k.nblk, 3);
    assert_true(k.disc[1]);            /* flagged ... */
    assert_int_equal(k.idx[1], 64);    /* ... but the index cannot know the gap */
    assert_int_equal(k.bad_codes, 64 * 2 * 2); /* the codes carry the true index */
    iq_rx_close(r);
    free(f);

    static const step back[] = {{S_DATA, 64, 0}, {S_BACK, 20, 0}, {S_DATA, 64, 0}};
    f = fake_new(2);
    f->script = back;
    f->n_steps = 3;
    r = open_fake(f, chans, 2, 32, 8, &e);
    assert_non_null(r);
    k = (sink_ctx){.nch = 2};
    assert_int_equal(iq_rx_run(r, sink, &k, &e), 0);
    iq_rx_stats(r, &st);
    assert_int_equal(st.clock_errors, 1);
    assert_int_equal(k.nblk, 4);
    assert_true(k.disc[2]);
    assert_int_equal(st.samples_dropped, 0);
    iq_rx_close(r);
    free(f);
}

/* A consumer slower than the device: drops counted, delivered + dropped = read. */
static void test_slow_consumer(void **state)
{
    (void)state;
    static step script[1] = {{S_DATA, 200 * 256, 0}};
    fake *f = fake_new(3);
    f->script = script;
    f->n_steps = 1;
    const size_t chans[] = {0, 1, 2};
    sg_errinfo e = {0};
    iq_rx *r = open_fake(f, chans, 3, 256, 2, &e);
    assert_non_null(r);
    sink_ctx k = {.nch = 3, .sleep_us = 200};
    assert_int_equal(iq_rx_run(r, sink, &k, &e), 0);
    sg_adapter_stats st;
    iq_rx_stats(r, &st);
    assert_true(st.samples_dropped > 0);
    assert_true(st.blocks_dropped > 0);
    assert_int_equal(st.samples + st.samples_dropped, 200 * 256);
    assert_int_equal(k.bad_codes, 0);
    assert_int_equal(k.misflagged, 0);
    iq_rx_close(r);
    free(f);
}

static void test_bad_device(void **state)
{
    (void)state;
    const size_t four[] = {0, 1, 2, 3}, dup[] = {0, 1, 1};
    sg_errinfo e = {0};
    fake *f = fake_new(2); /* fewer channels than the array */
    assert_null(open_fake(f, four, 4, 128, 4, &e));
    assert_int_equal(e.code, SG_ENODEV);
    assert_non_null(strstr(e.msg, "sensors[1].adapter.channels"));
    assert_non_null(strstr(e.msg, "has 2 RX channels"));
    assert_true(f->closed);
    free(f);

    e = (sg_errinfo){0};
    f = fake_new(4);
    assert_null(open_fake(f, dup, 3, 128, 4, &e));
    assert_non_null(strstr(e.msg, "listed twice"));
    free(f);

    e = (sg_errinfo){0};
    f = fake_new(4);
    f->fc[2] = 2.44e9 + 1e3; /* channel 2 on another LO */
    assert_null(open_fake(f, four, 4, 128, 4, &e));
    assert_int_equal(e.code, SG_ENODEV);
    assert_non_null(strstr(e.msg, "not coherent"));
    assert_non_null(strstr(e.msg, "channel 2"));
    free(f);

    e = (sg_errinfo){0};
    f = fake_new(4);
    f->rate[3] = RATE * 0.5; /* channel 3 on another clock */
    assert_null(open_fake(f, four, 4, 128, 4, &e));
    assert_non_null(strstr(e.msg, "sample clock"));
    free(f);

    e = (sg_errinfo){0};
    f = fake_new(4);
    f->refuse = IQ_RX_GAIN;
    assert_null(open_fake(f, four, 4, 128, 4, &e));
    assert_non_null(strstr(e.msg, "sensors[1].adapter.gain"));
    assert_non_null(strstr(e.msg, "value out of range"));
    free(f);

    e = (sg_errinfo){0};
    f = fake_new(4);
    f->setup_fails = true;
    assert_null(open_fake(f, four, 4, 128, 4, &e));
    assert_non_null(strstr(e.msg, "stream busy"));
    free(f);

    e = (sg_errinfo){0};
    f = fake_new(4);
    assert_null(open_fake(f, four, 0, 128, 4, &e)); /* no channel */
    assert_int_equal(e.code, SG_EINVAL);
    free(f);

    /* a read error stops run() with the device's message; what was delivered stays */
    static const step die[] = {{S_DATA, 256, 0}, {S_FAIL, 0, 0}};
    f = fake_new(4);
    f->script = die;
    f->n_steps = 2;
    e = (sg_errinfo){0};
    iq_rx *r = open_fake(f, four, 4, 128, 4, &e);
    assert_non_null(r);
    sink_ctx k = {.nch = 4};
    assert_int_equal(iq_rx_run(r, sink, &k, &e), SG_ENODEV);
    assert_non_null(strstr(e.msg, "device unplugged"));
    assert_int_equal(k.samples, 256);
    iq_rx_close(r);
    free(f);
}

/* The plan of the scan tests at RATE (1 us per sample): settle 100 samples, dwells of
 * 1000, 2000 and 1000 samples: a cycle of 4300. */
static scan_plan three_channels(void)
{
    scan_plan p = {.n = 3, .settle_s = 1e-4};
    p.ch[0] = (scan_channel){2.40e9, 1e-3};
    p.ch[1] = (scan_channel){2.42e9, 2e-3};
    p.ch[2] = (scan_channel){2.44e9, 1e-3};
    return p;
}

/* Two coherent channels hop over the plan for 5450 samples (1.27 cycles, ending inside
 * a settle). Worked by hand: the stream starts settling on channel 0 (samples 0..99),
 * dwells 100..1099; settle 1100..1199 and dwell 1200..3199 on channel 1; 3200..3299 and
 * 3300..4299 on channel 2; 4300..4399 and 4400..5399 on channel 0; then settling on
 * channel 1 from 5400. */
static void test_scan_plan_hops(void **state)
{
    (void)state;
    static const step script[] = {{S_DATA, 5450, 0}};
    static const struct {
        uint64_t from, to;
        double fc;
    } dwell[] = {{100, 1100, 2.40e9}, {1200, 3200, 2.42e9}, {3300, 4300, 2.44e9},
                 {4400, 5400, 2.40e9}};
    static const uint64_t at[] = {0, 1100, 3200, 4300, 5400};
    static const double hz[] = {2.40e9, 2.42e9, 2.44e9, 2.40e9, 2.42e9};
    fake *f = fake_new(2);
    f->script = script;
    f->n_steps = 1;
    const size_t chans[] = {0, 1};
    scan_plan plan = three_channels();
    sg_errinfo e = {0};
    /* 64 blocks hold the 20 the run delivers: the fake reads faster than any consumer */
    iq_rx *r = open_plan(&fake_ops, f, chans, 2, 256, 64, &plan, &e);
    if (!r)
        fail_msg("open: %s", e.msg);
    sink_ctx k = {.nch = 2};
    assert_int_equal(iq_rx_run(r, sink, &k, &e), 0);
    sg_adapter_stats st;
    iq_rx_stats(r, &st);
    /* retuned at every dwell end, to the next channel's centre */
    assert_int_equal(f->n_retune, 5);
    for (size_t i = 0; i < 5; i++)
        if (f->retune_at[i] != at[i] || f->retune_hz[i] != hz[i])
            fail_msg("retune %zu at sample %llu to %.9g Hz, expected %llu, %.9g Hz", i,
                     (unsigned long long)f->retune_at[i], f->retune_hz[i],
                     (unsigned long long)at[i], hz[i]);
    assert_int_equal(st.retunes, 4); /* the first tune is not a change of centre */
    assert_int_equal(st.samples_settling, 4 * 100 + 50);
    assert_int_equal(st.samples_dropped, 0);
    assert_int_equal(st.samples, 5000);
    assert_int_equal(k.samples, 5000);
    assert_int_equal(k.bad_codes, 0); /* the index skips the settling samples exactly */
    assert_int_equal(k.misflagged, 0);
    assert_int_equal(k.gaps, 4);
    assert_int_equal(st.scan_channels, 3);
    assert_true(fabs(st.scan_cycle_s - 4.3e-3) < 1e-12);
    assert_true(fabs(st.scan_duty_min - 1.0 / 4.3) < 1e-9);
    /* every block inside one dwell with its centre; the first of each flagged */
    assert_true(k.nblk <= 64);
    uint64_t per[4] = {0};
    for (size_t b = 0; b < k.nblk; b++) {
        size_t d = 0;
        while (d < 4 && !(k.idx[b] >= dwell[d].from && k.idx[b] < dwell[d].to))
            d++;
        if (d == 4 || k.idx[b] + k.len[b] > dwell[d].to || k.fc[b] != dwell[d].fc ||
            k.disc[b] != (k.idx[b] == dwell[d].from))
            fail_msg("block %zu: index %llu n %llu centre %.9g disc %d outside the plan", b,
                     (unsigned long long)k.idx[b], (unsigned long long)k.len[b], k.fc[b],
                     k.disc[b]);
        per[d] += k.len[b];
    }
    for (size_t d = 0; d < 4; d++)
        assert_int_equal(per[d], dwell[d].to - dwell[d].from);
    iq_rx_close(r);
    free(f);
}

/* A retune the device refuses stops run() naming the plan channel and frequency; what
 * the earlier dwells received was delivered. */
static void test_scan_retune_fails(void **state)
{
    (void)state;
    static const step script[] = {{S_DATA, 5000, 0}};
    fake *f = fake_new(1);
    f->script = script;
    f->n_steps = 1;
    f->retune_fails = 2; /* the move to channel 2 */
    const size_t chans[] = {0};
    scan_plan plan = three_channels();
    sg_errinfo e = {0};
    iq_rx *r = open_plan(&fake_ops, f, chans, 1, 256, 64, &plan, &e);
    assert_non_null(r);
    sink_ctx k = {.nch = 1};
    assert_int_equal(iq_rx_run(r, sink, &k, &e), SG_ENODEV);
    if (!strstr(e.msg, "scan channel 2") || !strstr(e.msg, "2.44e+09 Hz") ||
        !strstr(e.msg, "PLL not locked") || !strstr(e.msg, "fake"))
        fail_msg("message \"%s\"", e.msg);
    assert_int_equal(k.samples, 1000 + 2000);
    iq_rx_close(r);
    free(f);
}

/* Plans outside scan_plan.h's ranges, and a plan for a device that cannot retune, are
 * refused at open, naming the key; the device is closed. */
static void test_scan_bad_plans(void **state)
{
    (void)state;
    static const struct {
        int what;
        const char *key;
    } cases[] = {
        {0, "scan.settle_s"}, {1, "scan.channels[1].dwell_s"},
        {2, "scan.channels[2].center_freq"}, {3, "scan.channels"},
        {4, "scan.channels[0].center_freq"}, {5, "cannot retune"},
    };
    const size_t chans[] = {0};
    iq_rx_ops no_retune = fake_ops;
    no_retune.retune = NULL;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        scan_plan p = three_channels();
        switch (cases[i].what) {
        case 0: p.settle_s = -1e-3; break;
        case 1: p.ch[1].dwell_s = 0; break;
        case 2: p.ch[2].center_freq = NAN; break;
        case 3: p.n = SCAN_PLAN_MAX + 1; break;
        case 4: p.ch[0].center_freq = 1e12; break;
        default: break;
        }
        fake *f = fake_new(1);
        sg_errinfo e = {0};
        iq_rx *r = open_plan(cases[i].what == 5 ? &no_retune : &fake_ops, f, chans, 1, 256, 4,
                             &p, &e);
        if (r || e.code != SG_EINVAL || !strstr(e.msg, "sensors[1].adapter.") ||
            !strstr(e.msg, cases[i].key) || !f->closed)
            fail_msg("case %zu: opened %d code %d msg \"%s\"", i, r != NULL, e.code, e.msg);
        free(f);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stream_accounting),
        cmocka_unit_test(test_clock_without_and_back),
        cmocka_unit_test(test_slow_consumer),
        cmocka_unit_test(test_bad_device),
        cmocka_unit_test(test_scan_plan_hops),
        cmocka_unit_test(test_scan_retune_fails),
        cmocka_unit_test(test_scan_bad_plans),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
