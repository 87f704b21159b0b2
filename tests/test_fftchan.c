/* The FFT channeliser (dsp/fftchan.c) against known signals: at 20, 50 and 61.44 Msps a
 * tone 123 kHz above a channel's centre comes out of that channel as a 123 kHz tone of
 * the input's amplitude, phase-continuous over blocks of random length, one output per
 * R inputs with contiguous indices and times; a tone 2.5 MHz from the other channel's
 * centre (outside its mask) is rejected by more than 40 dB; a gap restarts the stream
 * with its discontinuity flag; the squelch: on noise with two tone bursts (10 dB over the
 * noise in the channel) a squelched channel outputs the bursts, the block before each
 * and its hang, sample for sample what the unsquelched channel gives at the same indices,
 * signals each close once, and counts every other block as skipped; a burst 1 dB over the
 * noise opens nothing; the probe (every channel squelched, the forward FFT skipped while all
 * are closed): 80 us bursts at random offsets come out whole and as unsquelched down to
 * the level the full-spectrum squelch needs, the probe never missing more (test_probe);
 * the outputs do not depend on how the input is cut into blocks (read in place or through
 * the channeliser's buffer: one block, pieces of 1..7 samples, random pieces; test_split);
 * bad configurations are refused. Fixed seed printed on failure. */
#include <complex.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sg_assert.h"

#include "fftchan.h"

#define SEED 0xFC4A11ull

#include "test_rng.h"

typedef struct {
    float complex *y[2];
    size_t n[2], cap;
    uint64_t next[2];
    bool contiguous, disc_seen;
    double t0;
} sink;

static void on_out(void *user, int ch, const sg_iq_block *b)
{
    sink *s = user;
    if (b->sample_index != s->next[ch] && !b->discontinuity)
        s->contiguous = false;
    if (b->discontinuity)
        s->disc_seen = true;
    s->next[ch] = b->sample_index + b->n;
    s->t0 = b->t0;
    for (size_t i = 0; i < b->n && s->n[ch] < s->cap; i++)
        s->y[ch][s->n[ch]++] = b->x[i];
}

static void run_rate(double fs)
{
    fftchan_cfg c;
    fftchan_cfg_default(&c);
    c.sample_rate = fs;
    c.n_channels = 2;
    c.offsets_hz[0] = -0.31 * fs;
    c.offsets_hz[1] = 0.173 * fs + 12345.0;
    sg_errinfo e = {0};
    fftchan *q = fftchan_create(&c, &e);
    assert_non_null(q);
    int nn, l, k;
    fftchan_sizes(q, &nn, &l, &k);
    const double R = fs / c.out_rate, f0 = 123e3;
    const size_t n = (size_t)(0.004 * fs);
    float complex *x = malloc(n * sizeof *x);
    assert_non_null(x);
    for (size_t i = 0; i < n; i++)
        x[i] = (float complex)(cexp(I * 2 * M_PI * (c.offsets_hz[0] + f0) * (double)i / fs) +
                               cexp(I * 2 * M_PI * (c.offsets_hz[1] + 2.5e6) * (double)i / fs));
    sink s = {.cap = n, .contiguous = true};
    s.y[0] = malloc(n * sizeof *s.y[0]);
    s.y[1] = malloc(n * sizeof *s.y[1]);
    assert_true(s.y[0] && s.y[1]);
    for (size_t at = 0; at < n;) {
        size_t m = 1 + (size_t)(urand() * 5000);
        if (at + m > n)
            m = n - at;
        sg_iq_block b = {.x = x + at, .n = m, .sample_index = at, .sample_rate = fs, .t0 = 7.0};
        assert_int_equal(fftchan_execute(q, &b, on_out, &s, &e), SG_OK);
        at += m;
    }
    assert_int_equal(fftchan_flush(q, on_out, &s), SG_OK);
    size_t expect = (size_t)floor((double)n / R);
    if (s.n[0] + 1 < expect || s.n[0] > expect + 1)
        fail_msg("seed 0x%llx fs %g: %zu outputs, expected %zu", (unsigned long long)SEED, fs,
                 s.n[0], expect);
    assert_true(s.contiguous);
    assert_near(s.t0, 7.0, 1e-9);
    /* channel 0: the tone, phase continuous (one constant phase fitted) */
    size_t skip = (size_t)(c.overlap_s * c.out_rate) + 4, end = s.n[0] - skip;
    double complex ph = 0;
    for (size_t m = skip; m < end; m++)
        ph += s.y[0][m] * cexp(-I * 2 * M_PI * f0 * (double)m / c.out_rate);
    ph /= cabs(ph);
    double err = 0;
    for (size_t m = skip; m < end; m++) {
        double d = cabs(s.y[0][m] - ph * cexp(I * 2 * M_PI * f0 * (double)m / c.out_rate));
        err = fmax(err, d);
    }
    double p1 = 0;
    for (size_t m = skip; m < end; m++)
        p1 += creal(s.y[1][m] * conj(s.y[1][m]));
    p1 /= (double)(end - skip);
    printf("fs %.2f MHz: N %d L %d K %d, tone error max %.2g, rejection %.1f dB\n", fs / 1e6, nn,
           l, k, err, 10 * log10(p1 + 1e-30));
    if (!(err < 0.02) || !(p1 < 1e-4))
        fail_msg("seed 0x%llx fs %g: tone error %g, leak %g", (unsigned long long)SEED, fs, err,
                 p1);
    fftchan_destroy(q);
    free(x);
    free(s.y[0]);
    free(s.y[1]);
}

static void test_rates(void **state)
{
    (void)state;
    run_rate(20e6);
    run_rate(50e6);
    run_rate(61.44e6);
}

static void test_gap(void **state)
{
    (void)state;
    fftchan_cfg c;
    fftchan_cfg_default(&c);
    c.sample_rate = 20e6;
    c.n_channels = 1;
    sg_errinfo e = {0};
    fftchan *q = fftchan_create(&c, &e);
    assert_non_null(q);
    static float complex x[20000];
    for (size_t i = 0; i < 20000; i++)
        x[i] = 1;
    float complex *buf[2] = {malloc(20000 * sizeof(float complex)),
                             malloc(20000 * sizeof(float complex))};
    sink s = {.y = {buf[0], buf[1]}, .cap = 20000, .contiguous = true};
    sg_iq_block b = {.x = x, .n = 10000, .sample_rate = 20e6};
    assert_int_equal(fftchan_execute(q, &b, on_out, &s, &e), SG_OK);
    assert_false(s.disc_seen);
    b.sample_index = 50000; /* 40000 samples lost */
    assert_int_equal(fftchan_execute(q, &b, on_out, &s, &e), SG_OK);
    /* everything before the gap came out, then the restart flagged */
    assert_true(s.disc_seen);
    assert_int_equal(fftchan_flush(q, on_out, &s), SG_OK);
    assert_int_equal(s.next[0], 50000 / 5 + 10000 / 5);
    assert_true(s.contiguous);
    b.sample_rate = 10e6;
    assert_int_equal(fftchan_execute(q, &b, on_out, &s, &e), SG_EINVAL);
    fftchan_destroy(q);
    free(buf[0]);
    free(buf[1]);
}

typedef struct {
    float complex *y;             /* by output index */
    bool *got;
    size_t cap;
    int closes;
} isink;

static void on_idx(void *user, int ch, const sg_iq_block *b)
{
    isink *s = &((isink *)user)[ch];
    if (!b->n)
        s->closes++;
    for (size_t i = 0; i < b->n && b->sample_index + i < s->cap; i++) {
        s->y[b->sample_index + i] = b->x[i];
        s->got[b->sample_index + i] = true;
    }
}

/* 20 ms at 50 Msps: noise, and a tone burst of amp at [t0, t0 + 0.4 ms) 3 MHz above DC */
static void run_squelch(double amp, int *closes, size_t *out_sq, size_t *mismatch,
                        uint64_t *blocks, uint64_t *skipped, size_t *burst_missing)
{
    const double fs = 50e6, f = 3e6;
    const size_t n = (size_t)(0.02 * fs), m = n / 12 + 16;
    const double t0[2] = {0.0050013, 0.0123457};
    float complex *x = malloc(n * sizeof *x);
    assert_non_null(x);
    rng = SEED;
    double sd = sqrt(fs / 3.2e6 / 2); /* noise power 1 in the ~3.2 MHz mask */
    for (size_t i = 0; i < n; i++) {
        x[i] = (float)(sd * grand()) + I * (float)(sd * grand());
        for (int b = 0; b < 2; b++)
            if (i >= t0[b] * fs && i < (t0[b] + 4e-4) * fs)
                x[i] += (float complex)(amp * cexp(I * 2 * M_PI * (f + 1e5) * (double)i / fs));
    }
    isink s[2];
    for (int k = 0; k < 2; k++) {
        s[k] = (isink){.y = calloc(m, sizeof(float complex)), .got = calloc(m, 1), .cap = m};
        assert_true(s[k].y && s[k].got);
    }
    fftchan_cfg c;
    fftchan_cfg_default(&c);
    c.sample_rate = fs;
    c.n_channels = 2; /* the same channel, squelched and not */
    c.offsets_hz[0] = c.offsets_hz[1] = f;
    c.squelch_db[0] = 3;
    sg_errinfo e = {0};
    fftchan *q = fftchan_create(&c, &e);
    assert_non_null(q);
    for (size_t at = 0; at < n;) {
        size_t k = 1 + (size_t)(urand() * 30000);
        if (at + k > n)
            k = n - at;
        sg_iq_block b = {.x = x + at, .n = k, .sample_index = at, .sample_rate = fs};
        assert_int_equal(fftchan_execute(q, &b, on_idx, s, &e), SG_OK);
        at += k;
    }
    assert_int_equal(fftchan_flush(q, on_idx, s), SG_OK);
    fftchan_squelch_stats(q, 0, blocks, skipped);
    uint64_t b1, s1;
    fftchan_squelch_stats(q, 1, &b1, &s1);
    assert_int_equal(b1 + s1, 0); /* no squelch on channel 1: nothing counted */
    *closes = s[0].closes;
    assert_int_equal(s[1].closes, 0);
    *out_sq = *mismatch = *burst_missing = 0;
    for (size_t i = 0; i < m; i++) {
        if (!s[0].got[i])
            continue;
        (*out_sq)++;
        if (!s[1].got[i] || s[0].y[i] != s[1].y[i])
            (*mismatch)++;
    }
    for (int b = 0; b < 2; b++) /* the burst and 10 us either side came out */
        for (size_t i = (size_t)((t0[b] - 1e-5) * 4e6); i < (size_t)((t0[b] + 4.1e-4) * 4e6); i++)
            *burst_missing += !s[0].got[i];
    fftchan_destroy(q);
    for (int k = 0; k < 2; k++) {
        free(s[k].y);
        free(s[k].got);
    }
    free(x);
}

static void test_squelch(void **state)
{
    (void)state;
    int closes;
    size_t out, mis, miss;
    uint64_t nb, ns;
    run_squelch(sqrt(10.0), &closes, &out, &mis, &nb, &ns, &miss);
    int nn, l, k;
    fftchan_cfg c;
    fftchan_cfg_default(&c);
    c.sample_rate = 50e6;
    c.n_channels = 1;
    fftchan *q = fftchan_create(&c, NULL);
    assert_non_null(q);
    fftchan_sizes(q, &nn, &l, &k);
    fftchan_destroy(q);
    size_t lk = (size_t)l * (size_t)k / (size_t)nn;
    printf("squelch, bursts 10 dB: %zu outputs (%zu differ), %d closes, %llu of %llu blocks "
           "skipped, %zu burst outputs missing\n", out, mis, closes, (unsigned long long)ns,
           (unsigned long long)nb, miss);
    /* output: warm-up, then per burst its blocks + pre-roll + hang (+ 1 for the edges) */
    size_t per_burst = (size_t)ceil(4e-4 * 50e6 / l) + 2 + FFTCHAN_HANG;
    if (mis || miss || closes != 3 || out > (FFTCHAN_WARMUP + 1 + 2 * per_burst) * lk ||
        ns + out / lk != nb)
        fail_msg("seed 0x%llx: squelch output %zu (%zu differ, %zu of the bursts missing), %d "
                 "closes, %llu of %llu skipped", (unsigned long long)SEED, out, mis, miss,
                 closes, (unsigned long long)ns, (unsigned long long)nb);
    run_squelch(sqrt(pow(10, 0.1) - 1), &closes, &out, &mis, &nb, &ns, &miss);
    printf("squelch, bursts 1 dB up: %zu outputs, %llu of %llu blocks skipped\n", out,
           (unsigned long long)ns, (unsigned long long)nb);
    if (mis || out > (FFTCHAN_WARMUP + FFTCHAN_HANG) * lk || ns + out / lk != nb)
        fail_msg("seed 0x%llx: squelch opened on 1 dB: %zu outputs", (unsigned long long)SEED,
                 out);
}

/* The probe (every channel squelched: blocks are forward-transformed only when a channel
 * is open): at fs, nb tone bursts of len_s at snr_db over the noise in the channel's pass
 * band (+-pass_hz), at random times (so at random offsets to the blocks and the probe's
 * windows), into a channeliser with the channel squelched and one without. The squelched
 * one's outputs must be, sample for sample, the other's at the same indices; *missing
 * counts burst outputs (and 10 us either side) it left out, *opened its output blocks,
 * *fft_skip / *blocks its untransformed / all blocks. */
static void run_probe(double fs, double snr_db, int nb, double len_s, bool full, size_t *missing,
                      size_t *mismatch, uint64_t *opened, uint64_t *fft_skip, uint64_t *blocks)
{
    const double f = 0.21 * fs + 77e3, gap = 1e-3;
    const size_t n = (size_t)((nb + 1) * gap * fs), m = (size_t)((nb + 1) * gap * 4e6) + 16;
    double *t0 = malloc(sizeof *t0 * (size_t)nb);
    float complex *x = malloc(n * sizeof *x);
    assert_true(x && t0);
    fftchan_cfg c;
    fftchan_cfg_default(&c);
    c.sample_rate = fs;
    c.n_channels = 1;
    c.offsets_hz[0] = f;
    double sd = sqrt(fs / (2 * c.pass_hz) / 2); /* noise power 1 in the pass band */
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(sd * grand()) + I * (float)(sd * grand());
    double amp = sqrt(pow(10, snr_db / 10));
    for (int b = 0; b < nb; b++) {
        t0[b] = (b + 0.5 + 0.4 * urand()) * gap;
        double ph = 2 * M_PI * urand(), df = (urand() - 0.5) * 0.4e6;
        for (size_t i = (size_t)(t0[b] * fs); i < (size_t)((t0[b] + len_s) * fs); i++)
            x[i] += (float complex)(amp * cexp(I * (2 * M_PI * (f + df) * (double)i / fs + ph)));
    }
    isink s[2];
    fftchan *q[2];
    for (int k = 0; k < 2; k++) {
        s[k] = (isink){.y = calloc(m, sizeof(float complex)), .got = calloc(m, 1), .cap = m};
        assert_true(s[k].y && s[k].got);
        c.squelch_db[0] = k ? 0 : 3;
        c.n_channels = !k && full ? 2 : 1; /* an unsquelched channel 1: no probe */
        c.offsets_hz[1] = -f;
        q[k] = fftchan_create(&c, NULL);
        assert_non_null(q[k]);
    }
    for (size_t at = 0; at < n;) {
        size_t k = 1 + (size_t)(urand() * 30000);
        if (at + k > n)
            k = n - at;
        sg_iq_block b = {.x = x + at, .n = k, .sample_index = at, .sample_rate = fs};
        for (int j = 0; j < 2; j++)
            assert_int_equal(fftchan_execute(q[j], &b, on_idx, &s[j], NULL), SG_OK);
        at += k;
    }
    for (int j = 0; j < 2; j++)
        assert_int_equal(fftchan_flush(q[j], on_idx, &s[j]), SG_OK);
    uint64_t cb, cs;
    fftchan_squelch_stats(q[0], 0, &cb, &cs);
    fftchan_fft_stats(q[0], blocks, fft_skip);
    assert_int_equal(cb, *blocks);
    if (!full)
        assert_int_equal(cs, *fft_skip); /* one channel: its skipped blocks are the FFT's */
    *opened = cb - cs;
    *missing = *mismatch = 0;
    size_t out = 0;
    for (size_t i = 0; i < m; i++) {
        if (!s[0].got[i])
            continue;
        out++;
        if (!s[1].got[i] || s[0].y[i] != s[1].y[i])
            (*mismatch)++;
    }
    int nn, l, k;
    fftchan_sizes(q[0], &nn, &l, &k);
    assert_true(out <= *opened * (uint64_t)((long)l * k / nn));
    for (int b = 0; b < nb; b++)
        for (size_t i = (size_t)((t0[b] - 1e-5) * 4e6); i < (size_t)((t0[b] + len_s + 1e-5) * 4e6);
             i++)
            *missing += !s[0].got[i];
    for (int j = 0; j < 2; j++) {
        fftchan_destroy(q[j]);
        free(s[j].y);
        free(s[j].got);
    }
    free(x);
    free(t0);
}

/* The probe at the squelch's edge: 80 us bursts (the shortest BLE 1M packet) at random
 * offsets to the blocks and the probe's windows, at 20, 50 and 61.44 Msps, from 3 dB over
 * the noise in the pass band up in 1 dB steps to the edge: the lowest level at which the
 * full-spectrum squelch (the one used when a channel is unsquelched; the whole squelch
 * before the probe) outputs every burst. At every level the probe misses no more burst
 * outputs than the full-spectrum squelch, at the edge none; what it outputs is, sample
 * for sample, the unsquelched channel's, with the forward FFT skipped in a third of the blocks
 * or more. On
 * noise alone the channel opens in at most 5 % of the blocks after the warm-up. */
static void test_probe(void **state)
{
    (void)state;
    const double rates[] = {20e6, 50e6, 61.44e6};
    for (int r = 0; r < 3; r++)
        for (double snr = 3; snr <= 12; snr++) {
            bool noise = snr == 12; /* last: noise alone */
            size_t miss[2], mis[2];
            uint64_t op[2], sk[2], nb[2];
            uint64_t seed = rng;
            for (int full = 0; full < 2; full++) {
                rng = seed;
                run_probe(rates[r], noise ? -300 : snr, 40, 80e-6, full, &miss[full],
                          &mis[full], &op[full], &sk[full], &nb[full]);
            }
            printf("%.2f Msps, 40 bursts %s%3.0f dB: probe %5zu burst outputs missing (%zu "
                   "differ), %3llu of %llu blocks output, FFT skipped in %llu; full-spectrum "
                   "squelch %5zu missing, %llu output\n", rates[r] / 1e6, noise ? "(none) " : "",
                   snr, miss[0], mis[0], (unsigned long long)op[0], (unsigned long long)nb[0],
                   (unsigned long long)sk[0], miss[1], (unsigned long long)op[1]);
            bool bad = mis[0] || mis[1] || sk[0] * 3 < nb[0];
            if (noise)
                bad = bad || op[0] > FFTCHAN_WARMUP + nb[0] / 20;
            else
                bad = bad || miss[0] > miss[1] || snr == 11;
            if (bad)
                fail_msg("seed 0x%llx fs %g, bursts %g dB: probe %zu missing, %zu differ, %llu "
                         "of %llu output; full %zu missing", (unsigned long long)seed, rates[r],
                         snr, miss[0], mis[0], (unsigned long long)op[0],
                         (unsigned long long)nb[0], miss[1]);
            if (!noise && !miss[1])
                snr = 11; /* the edge: then noise alone */
        }
}

/* One input (noise, 80 us tone bursts 8 dB over it on channel 0) cut three ways: every
 * output sample, close, squelch and FFT count must be the same. squelched: both channels
 * squelched (the probe) or channel 1 not (the masked bins). */
static void run_split(double fs, bool both)
{
    const double f = -0.27 * fs + 55e3;
    const size_t n = (size_t)(0.01 * fs), m = (size_t)(0.01 * 4e6) + 16;
    float complex *x = malloc(n * sizeof *x);
    assert_non_null(x);
    double sd = sqrt(fs / 1.6e6 / 2);
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(sd * grand()) + I * (float)(sd * grand());
    for (int b = 0; b < 8; b++) {
        size_t i0 = (size_t)((b + 0.3 + 0.5 * urand()) * 1.2e-3 * fs);
        for (size_t i = i0; i < i0 + (size_t)(80e-6 * fs) && i < n; i++)
            x[i] += (float complex)(2.5 * cexp(I * 2 * M_PI * (f + 1e5) * (double)i / fs));
    }
    fftchan_cfg c;
    fftchan_cfg_default(&c);
    c.sample_rate = fs;
    c.n_channels = 2;
    c.offsets_hz[0] = f;
    c.offsets_hz[1] = 0.31 * fs;
    c.squelch_db[0] = 3;
    c.squelch_db[1] = both ? 3 : 0;
    isink s[3][2];
    uint64_t st[3][4];
    for (int way = 0; way < 3; way++) {
        fftchan *q = fftchan_create(&c, NULL);
        assert_non_null(q);
        for (int k = 0; k < 2; k++) {
            s[way][k] = (isink){.y = calloc(m, sizeof(float complex)), .got = calloc(m, 1),
                                .cap = m};
            assert_true(s[way][k].y && s[way][k].got);
        }
        for (size_t at = 0; at < n;) {
            size_t k = way == 0 ? n : way == 1 ? 1 + (size_t)(urand() * 7)
                                               : 1 + (size_t)(urand() * 30000);
            if (at + k > n)
                k = n - at;
            sg_iq_block b = {.x = x + at, .n = k, .sample_index = at, .sample_rate = fs};
            assert_int_equal(fftchan_execute(q, &b, on_idx, s[way], NULL), SG_OK);
            at += k;
        }
        assert_int_equal(fftchan_flush(q, on_idx, s[way]), SG_OK);
        fftchan_squelch_stats(q, 0, &st[way][0], &st[way][1]);
        fftchan_fft_stats(q, &st[way][2], &st[way][3]);
        fftchan_destroy(q);
    }
    size_t out = 0;
    for (size_t i = 0; i < m; i++)
        out += s[0][0].got[i];
    printf("fs %.2f MHz, %s: channel 0 %zu of %zu outputs, %llu of %llu blocks skipped, forward "
           "FFT skipped in %llu\n", fs / 1e6, both ? "probe" : "masked bins", out, m,
           (unsigned long long)st[0][1], (unsigned long long)st[0][0],
           (unsigned long long)st[0][3]);
    assert_true(out > 0 && st[0][1] > 0); /* the squelch opened and closed */
    for (int way = 1; way < 3; way++) {
        for (int k = 0; k < 2; k++) {
            assert_int_equal(s[way][k].closes, s[0][k].closes);
            assert_memory_equal(s[way][k].got, s[0][k].got, m);
            assert_memory_equal(s[way][k].y, s[0][k].y, m * sizeof(float complex));
        }
        assert_memory_equal(st[way], st[0], sizeof st[0]);
    }
    for (int way = 0; way < 3; way++)
        for (int k = 0; k < 2; k++) {
            free(s[way][k].y);
            free(s[way][k].got);
        }
    free(x);
}

static void test_split(void **state)
{
    (void)state;
    rng = SEED;
    const double rates[] = {20e6, 50e6, 61.44e6};
    for (int r = 0; r < 3; r++)
        for (int both = 0; both < 2; both++)
            run_split(rates[r], both);
}

static void test_bad(void **state)
{
    (void)state;
    fftchan_cfg c;
    sg_errinfo e = {0};
    fftchan_cfg_default(&c);
    c.sample_rate = 20e6;
    c.n_channels = 0;
    assert_null(fftchan_create(&c, &e));
    c.n_channels = 1;
    c.offsets_hz[0] = 10.5e6;
    assert_null(fftchan_create(&c, &e));
    assert_int_equal(e.code, SG_ERANGE);
    c.offsets_hz[0] = NAN;
    assert_null(fftchan_create(&c, &e));
    c.offsets_hz[0] = 0;
    c.stop_hz = 2.5e6; /* beyond the output's Nyquist edge */
    assert_null(fftchan_create(&c, &e));
    fftchan_cfg_default(&c);
    c.n_channels = 1;
    c.sample_rate = 4.0001e6; /* no FFT size divides it to 4 MHz exactly */
    assert_null(fftchan_create(&c, &e));
    assert_non_null(strstr(e.msg, "exactly"));
    c.sample_rate = 56e6; /* needs a factor 7: the fallback sizes */
    fftchan *q = fftchan_create(&c, &e);
    assert_non_null(q);
    int nn, l, k;
    fftchan_sizes(q, &nn, &l, &k);
    assert_int_equal(nn % 7, 0);
    assert_int_equal((long)nn * 4, (long)k * 56);
    fftchan_destroy(q);
    c.sample_rate = 2e6; /* out_rate above the input rate */
    assert_null(fftchan_create(&c, &e));
    c.sample_rate = 20e6;
    c.overlap_s = 0;
    assert_null(fftchan_create(&c, &e));
    c.overlap_s = 5e-6;
    const double bad_sq[] = {-1, 30.5, NAN};
    for (int i = 0; i < 3; i++) {
        c.squelch_db[0] = bad_sq[i];
        assert_null(fftchan_create(&c, &e));
        assert_non_null(strstr(e.msg, "squelch"));
    }
    assert_null(fftchan_create(NULL, &e));
    assert_int_equal(fftchan_execute(NULL, NULL, NULL, NULL, &e), SG_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rates),
        cmocka_unit_test(test_gap),
        cmocka_unit_test(test_squelch),
        cmocka_unit_test(test_probe),
        cmocka_unit_test(test_split),
        cmocka_unit_test(test_bad),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
