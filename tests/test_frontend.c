/* RF front end on synthetic captures (dsp/siggen.h) with exact ground truth.
 *
 * Stated thresholds (also in docs/rf-frontend.md), default configuration,
 * 15.36 Msps, nfft 1024 (15 kHz bins, 66.7 us frames), in-band SNR:
 *   - DroneID-like OFDM (9 MHz, 643 us): Pd >= 0.95 at SNR >= 0 dB (measured 1.0 from
 *     0 dB up); at >= 6 dB one report per burst (no fragments);
 *   - FrSky-like GFSK hops (130 kHz, 2.5 ms): Pd >= 0.95 at SNR >= 6 dB, one report
 *     per hop at >= 10 dB;
 *   - ELRS-like LoRa hops (812.5 kHz, 1.75 ms): Pd >= 0.95 at SNR >= 0 dB (chirps may
 *     be reported in fragments: only Pd is checked); LoRa, Wi-Fi: Pd >= 0.95 at 10 dB;
 *   - false alarms on noise only: <= 2 bursts per second of capture;
 *   - parameters at SNR >= 10 dB: start within 1 frame, duration within 1 frame + 5%,
 *     centre within 10% of the bandwidth, bandwidth within 20% + 2 bins.
 * A truth burst is detected when a reported burst overlaps it in time and its centre
 * lies inside the truth band. Fixed seeds; each case prints what it measured. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "frontend.h"
#include "siggen.h"
#include "sg_lsan.h"

SG_LSAN_SUPPRESS(SG_LSAN_LIQUID)

#define FS 15.36e6
#define FC 2.4415e9
#define T0 1800000000.0
#define NOISE 1e-4

typedef struct {
    sg_burst *b;
    size_t n, cap;
    /* IQ check */
    const float complex *ref;
    uint64_t ref_len;
    uint64_t cut, skip; /* a gap [cut, cut + skip) in the input (skip 0: none) */
    int iq_bad;
} bursts;

static void on_burst(void *user, const sg_burst *b, const float complex *iq, size_t n_iq)
{
    bursts *r = user;
    if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 64;
        r->b = realloc(r->b, r->cap * sizeof *r->b);
        assert_non_null(r->b);
    }
    r->b[r->n++] = *b;
    if (r->ref) {
        /* the IQ handed over is the input itself, covering the burst */
        if (!iq || n_iq < b->sample_count)
            r->iq_bad++;
        else {
            uint64_t m = (n_iq - b->sample_count) / 2; /* layout [M][burst][M] */
            /* the whole window, margins too: the input where it exists, else 0 (whether
             * handed out in place in the ring or copied) */
            int64_t lo = 0, hi = (int64_t)r->ref_len; /* the burst's segment */
            if (r->skip && b->sample_start < r->cut)
                hi = (int64_t)r->cut;
            else if (r->skip)
                lo = (int64_t)(r->cut + r->skip);
            for (size_t i = 0; i < n_iq; i += 97) {
                int64_t idx = (int64_t)b->sample_start - (int64_t)m + (int64_t)i;
                float complex want = idx >= lo && idx < hi ? r->ref[idx] : 0;
                if (iq[i] != want) {
                    r->iq_bad++;
                    break;
                }
            }
        }
    }
}

/* Generates the capture and runs it through a front end; keeps the samples when
 * keep != NULL. */
static void run_capture(siggen *g, const frontend_cfg *cfg, size_t block, bursts *out,
                        float complex **keep)
{
    sg_errinfo e = {0};
    frontend *fe = frontend_create(cfg, &e);
    if (!fe)
        fail_msg("frontend_create: %s", e.msg);
    uint64_t len = siggen_length(g);
    float complex *all = keep ? malloc(len * sizeof *all) : NULL;
    float complex *buf = malloc(block * sizeof *buf);
    assert_non_null(buf);
    if (keep) {
        assert_non_null(all);
        out->ref = all;
        out->ref_len = len;
    }
    for (uint64_t i = 0; i < len; i += block) {
        size_t n = len - i < block ? (size_t)(len - i) : block;
        assert_int_equal(siggen_generate(g, buf, n, &e), 0);
        if (all)
            memcpy(all + i, buf, n * sizeof *buf);
        sg_iq_block blk = {.x = buf, .n = n, .sample_index = i, .sample_rate = FS,
                           .center_freq = FC, .t0 = T0};
        assert_int_equal(frontend_execute(fe, &blk, on_burst, out), 0);
    }
    assert_int_equal(frontend_flush(fe, on_burst, out), 0);
    frontend_stats_t st;
    frontend_stats(fe, &st);
    assert_int_equal(st.samples, len);
    assert_int_equal(st.bursts, out->n);
    assert_int_equal(st.bursts_dropped, 0);
    if (keep && cfg->deliver_iq) /* zero-copy: most bursts' IQ comes straight from the ring */
        assert_true(st.iq_referenced > st.bursts / 2 && st.iq_referenced <= st.bursts);
    frontend_destroy(fe);
    free(buf);
    if (keep)
        *keep = all;
}

/* Index of the reported burst matching truth t, or -1. */
static int match(const bursts *r, const siggen_truth *t)
{
    int best = -1;
    double best_ov = 0;
    for (size_t i = 0; i < r->n; i++) {
        const sg_burst *b = &r->b[i];
        double a = b->t_start - T0, z = a + b->duration;
        double ov = fmin(z, t->t_start + t->duration) - fmax(a, t->t_start);
        if (ov <= 0 || fabs(b->fc - t->fc) > t->bandwidth / 2)
            continue;
        if (ov > best_ov) {
            best_ov = ov;
            best = (int)i;
        }
    }
    return best;
}

typedef struct {
    siggen_kind kind;
    double snr;
    double offset;
    double period;
    double seconds;
} scenario;

static size_t last_reports; /* bursts reported by the last pd_of() */

/* Pd of one scenario; checks parameters when check_params. */
static double pd_of(const scenario *sc, uint32_t seed, bool check_params)
{
    sg_errinfo e = {0};
    siggen *g = siggen_create(FS, sc->seconds, FC, NOISE, seed, &e);
    assert_non_null(g);
    siggen_signal s = {.kind = sc->kind, .snr_db = sc->snr, .freq_offset = sc->offset,
                       .t_start = 0.02, .period = sc->period};
    if (siggen_add(g, &s, &e))
        fail_msg("siggen_add: %s", e.msg);
    frontend_cfg cfg;
    frontend_cfg_default(&cfg);
    bursts r = {0};
    float complex *all = NULL;
    run_capture(g, &cfg, 65536, &r, check_params ? &all : NULL);
    size_t nt;
    const siggen_truth *t = siggen_truth_list(g, &nt);
    size_t hit = 0;
    const double frame = 1024 / FS;
    for (size_t i = 0; i < nt; i++) {
        int k = match(&r, &t[i]);
        if (k < 0)
            continue;
        hit++;
        if (!check_params)
            continue;
        const sg_burst *b = &r.b[k];
        double ts = b->t_start - T0;
        if (fabs(ts - t[i].t_start) > frame || fabs(b->duration - t[i].duration) > frame + 0.05 * t[i].duration ||
            fabs(b->fc - t[i].fc) > 0.1 * t[i].bandwidth ||
            fabs(b->bandwidth - t[i].bandwidth) > 0.2 * t[i].bandwidth + 2 * FS / 1024)
            fail_msg("%s snr %.0f burst %zu: start %.1f us (truth %.1f), dur %.1f us (%.1f), "
                     "fc %+.1f kHz (%+.1f), bw %.1f kHz (%.1f)",
                     siggen_kind_name(sc->kind), sc->snr, i, ts * 1e6, t[i].t_start * 1e6,
                     b->duration * 1e6, t[i].duration * 1e6, (b->fc - FC) / 1e3,
                     (t[i].fc - FC) / 1e3, b->bandwidth / 1e3, t[i].bandwidth / 1e3);
        assert_true(b->mean_snr_db > sc->snr - 4 && b->mean_snr_db < sc->snr + 4);
        assert_true(llabs((long long)b->sample_start - (long long)t[i].sample_start) <= 1024);
    }
    if (check_params)
        assert_int_equal(r.iq_bad, 0);
    double pd = nt ? (double)hit / (double)nt : 0;
    last_reports = r.n;
    print_message("%-8s snr %5.1f dB: %zu/%zu detected (Pd %.3f), %zu bursts reported\n",
                  siggen_kind_name(sc->kind), sc->snr, hit, nt, pd, r.n);
    free(r.b);
    free(all);
    siggen_destroy(g);
    return pd;
}

static void test_droneid_pd(void **state)
{
    (void)state;
    const double snr[] = {-3, 0, 3, 6, 10, 20};
    for (size_t i = 0; i < sizeof snr / sizeof snr[0]; i++) {
        scenario sc = {SIGGEN_DRONEID, snr[i], 2e6, 0.02, 0.5};
        double pd = pd_of(&sc, 100 + (uint32_t)i, snr[i] >= 10);
        if (snr[i] >= 0)
            assert_true(pd >= 0.95);
        if (snr[i] >= 6) /* one report per burst, not fragments */
            assert_true(last_reports <= 24 + 2);
    }
}

static void test_fhss_pd(void **state)
{
    (void)state;
    const double snr[] = {0, 3, 6, 10, 20};
    for (size_t i = 0; i < sizeof snr / sizeof snr[0]; i++) {
        scenario fr = {SIGGEN_FRSKY, snr[i], 0, 0, 0.5};
        double pd = pd_of(&fr, 200 + (uint32_t)i, snr[i] >= 10);
        if (snr[i] >= 6)
            assert_true(pd >= 0.95);
        if (snr[i] >= 10)
            assert_true(last_reports <= 12 + 1);
        scenario el = {SIGGEN_ELRS, snr[i], 0, 0, 0.3};
        pd = pd_of(&el, 300 + (uint32_t)i, false); /* chirps fragment: Pd only */
        if (snr[i] >= 0)
            assert_true(pd >= 0.95);
    }
}

/* The DroneID payload hook: a decoder's encoder can replace the built-in OFDM. Here
 * a fast 1 MHz chirp (20 us sweeps) makes the substitution visible in the bandwidth. */
static int two_tone(void *user, unsigned index, double fs, float complex *out, size_t cap,
                    size_t *n)
{
    unsigned *calls = user;
    (*calls)++;
    (void)index;
    double ph = 0;
    for (size_t i = 0; i < cap; i++) {
        double tau = fmod(i / fs, 20e-6) / 20e-6;
        ph += 2 * M_PI * (-0.5e6 + 1e6 * tau) / fs;
        out[i] = cexpf(I * (float)ph);
    }
    *n = cap;
    return 0;
}

static void test_payload_hook(void **state)
{
    (void)state;
    sg_errinfo e = {0};
    unsigned calls = 0;
    siggen *g = siggen_create(FS, 0.2, FC, NOISE, 21, &e);
    assert_non_null(g);
    siggen_signal s = {.kind = SIGGEN_DRONEID, .snr_db = 25, .t_start = 0.02, .period = 0.05,
                       .payload = two_tone, .payload_user = &calls};
    assert_int_equal(siggen_add(g, &s, &e), 0);
    frontend_cfg cfg;
    frontend_cfg_default(&cfg);
    bursts r = {0};
    run_capture(g, &cfg, 65536, &r, NULL);
    assert_int_equal(calls, 4);
    int narrow = 0;
    for (size_t i = 0; i < r.n; i++)
        narrow += r.b[i].bandwidth > 0.9e6 && r.b[i].bandwidth < 1.3e6 &&
                  fabs(r.b[i].duration - 643e-6) < 80e-6;
    assert_int_equal(narrow, 4);
    free(r.b);
    siggen_destroy(g);
}

static void test_other_kinds(void **state)
{
    (void)state;
    scenario lo = {SIGGEN_LORA, 10, -3e6, 0.05, 0.3};
    assert_true(pd_of(&lo, 400, false) >= 0.95);
    scenario wf = {SIGGEN_WIFI, 10, 0, 0.01, 0.3};
    assert_true(pd_of(&wf, 401, false) >= 0.95);
    /* BLE advertising: the plan shifted by +15.5 MHz puts channel 38 (2426 MHz) at the
     * capture centre; 37 and 39 fall outside and are not generated */
    scenario bl = {SIGGEN_BLE, 10, 15.5e6, 0.02, 0.3};
    assert_true(pd_of(&bl, 402, true) >= 0.95);
}

static void test_false_alarms(void **state)
{
    (void)state;
    sg_errinfo e = {0};
    const double secs = 2.0;
    siggen *g = siggen_create(FS, secs, FC, NOISE, 7, &e);
    assert_non_null(g);
    frontend_cfg cfg;
    frontend_cfg_default(&cfg);
    bursts r = {0};
    run_capture(g, &cfg, 100000, &r, NULL);
    print_message("noise only: %zu false bursts in %.1f s (%.2f /s)\n", r.n, secs, r.n / secs);
    assert_true(r.n / secs <= 2.0);
    free(r.b);
    siggen_destroy(g);
}

/* A continuous carrier is reported in max_burst_s pieces, chained by flags. */
static void test_continuous_carrier(void **state)
{
    (void)state;
    sg_errinfo e = {0};
    siggen *g = siggen_create(FS, 0.5, FC, NOISE, 9, &e);
    assert_non_null(g);
    siggen_signal s = {.kind = SIGGEN_FM_VIDEO, .snr_db = 20, .freq_offset = -3e6, .t_start = 0.1};
    assert_int_equal(siggen_add(g, &s, &e), 0);
    frontend_cfg cfg;
    frontend_cfg_default(&cfg);
    cfg.max_burst_s = 0.05;
    bursts r = {0};
    run_capture(g, &cfg, 65536, &r, NULL);
    int pieces = 0, cont = 0;
    double covered = 0;
    for (size_t i = 0; i < r.n; i++) {
        const sg_burst *b = &r.b[i];
        /* the sync-tip line of the FM video splits off as its own narrow region */
        if (b->bandwidth < 2e6)
            continue;
        pieces++;
        covered += b->duration;
        assert_true(b->duration <= 0.05 + 2 * 1024 / FS);
        assert_true(fabs(b->fc - (FC - 3e6)) < 1.5e6);
        if (b->flags & SG_BURST_CONTINUING)
            cont++;
        if (pieces > 1)
            assert_true(b->flags & SG_BURST_TRUNC_START);
    }
    print_message("fm_video 0.4 s: %d pieces, %d CONTINUING, %.3f s covered\n", pieces, cont,
                  covered);
    assert_true(pieces >= 7 && pieces <= 9);
    assert_true(cont >= 7);
    assert_true(covered > 0.34);
    free(r.b);
    siggen_destroy(g);
}

/* A gap in the middle of a burst: first part TRUNC_END, second TRUNC_START; the
 * IQ of a burst never spans the gap. Also checks the IQ copy against the input. */
static void test_discontinuity(void **state)
{
    (void)state;
    sg_errinfo e = {0};
    siggen *g = siggen_create(FS, 0.1, FC, NOISE, 11, &e);
    assert_non_null(g);
    siggen_signal s = {.kind = SIGGEN_DRONEID, .snr_db = 20, .t_start = 0.05};
    assert_int_equal(siggen_add(g, &s, &e), 0);
    uint64_t len = siggen_length(g);
    float complex *x = malloc(len * sizeof *x);
    assert_non_null(x);
    assert_int_equal(siggen_generate(g, x, len, &e), 0);
    frontend_cfg cfg;
    frontend_cfg_default(&cfg);
    frontend *fe = frontend_create(&cfg, &e);
    assert_non_null(fe);
    uint64_t cut = (uint64_t)(0.0503 * FS), skip = 2000;
    bursts r = {.ref = x, .ref_len = len, .cut = cut, .skip = skip};
    sg_iq_block a = {.x = x, .n = cut, .sample_index = 0, .sample_rate = FS, .center_freq = FC, .t0 = T0};
    sg_iq_block b = {.x = x + cut + skip, .n = len - cut - skip, .sample_index = cut + skip,
                     .sample_rate = FS, .center_freq = FC, .t0 = T0, .discontinuity = true};
    assert_int_equal(frontend_execute(fe, &a, on_burst, &r), 0);
    assert_int_equal(frontend_execute(fe, &b, on_burst, &r), 0);
    assert_int_equal(frontend_flush(fe, on_burst, &r), 0);
    frontend_stats_t st;
    frontend_stats(fe, &st);
    assert_int_equal(st.discontinuities, 1);
    int before = 0, after = 0;
    for (size_t i = 0; i < r.n; i++) {
        const sg_burst *q = &r.b[i];
        if (q->bandwidth < 5e6)
            continue;
        if (q->sample_start < cut) {
            before++;
            assert_true(q->flags & SG_BURST_TRUNC_END);
            assert_true(q->sample_start + q->sample_count <= cut + 1024);
        } else {
            after++;
            assert_true(q->flags & SG_BURST_TRUNC_START);
            assert_true(q->sample_start >= cut + skip);
        }
    }
    assert_int_equal(before, 1);
    assert_int_equal(after, 1);
    assert_int_equal(r.iq_bad, 0);
    free(r.b);
    free(x);
    frontend_destroy(fe);
    siggen_destroy(g);
}

static void test_config(void **state)
{
    (void)state;
    frontend_cfg c;
    sg_errinfo e = {0};
    assert_int_equal(frontend_cfg_from_json(&c, NULL, "x", &e), 0);
    assert_int_equal(c.nfft, 1024);
    cJSON *o = cJSON_Parse("{\"nfft\": 2048, \"overlap\": 0.5, \"window\": \"blackman\", "
                           "\"threshold_db\": 9, \"max_burst_s\": 0.2, \"margin_s\": 1e-4, "
                           "\"deliver_iq\": false, \"min_bandwidth_hz\": 1e5}");
    assert_int_equal(frontend_cfg_from_json(&c, o, "site.json: sensors[0].frontend", &e), 0);
    assert_int_equal(c.nfft, 2048);
    assert_true(c.overlap == 0.5 && c.window == SPECTRO_WIN_BLACKMAN && c.threshold_db == 9);
    assert_false(c.deliver_iq);
    cJSON_Delete(o);
    static const struct {
        const char *json, *key;
    } bad[] = {
        {"{\"nfft\": 1000}", "nfft"},          {"{\"nfft\": 32}", "nfft"},
        {"{\"overlap\": 0.9}", "overlap"},     {"{\"window\": \"kaiser\"}", "window"},
        {"{\"threshold_db\": 0}", "threshold_db"}, {"{\"max_burst_s\": 100}", "max_burst_s"},
        {"{\"noise_alpha\": 2}", "noise_alpha"},
        {"{\"noise_alpha\": 0.001, \"noise_alpha_busy\": 0.01}", "noise_alpha_busy"},
        {"{\"batch\": 0}", "batch"},           {"{\"wide_bins\": 6}", "wide_bins"},
        {"{\"wide_threshold_db\": 4, \"wide_seed_db\": 3}", "wide_seed_db"},
        {"{\"threshold_db\": 9, \"seed_db\": 8}", "seed_db"},           {"{\"warmup_frames\": 2}", "warmup_frames"},
        {"{\"thresold_db\": 6}", "thresold_db"}, {"{\"deliver_iq\": 1}", "deliver_iq"},
        {"{\"threads\": 0}", "threads"},        {"{\"threads\": 65}", "threads"},
        {"[1]", "object"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        o = cJSON_Parse(bad[i].json);
        assert_non_null(o);
        int rc = frontend_cfg_from_json(&c, o, "site.json: fe", &e);
        if (rc == 0 || !strstr(e.msg, bad[i].key) || !strstr(e.msg, "site.json: fe"))
            fail_msg("case %zu: rc %d \"%s\"", i, rc, e.msg);
        cJSON_Delete(o);
    }
    /* create refuses what from_json would (a caller filling the struct by hand) */
    frontend_cfg_default(&c);
    c.nfft = 1000;
    assert_null(frontend_create(&c, &e));
    frontend_cfg_default(&c);
    c.nfft = 65536;
    c.batch = 256; /* 16 M-sample FFT batch: refused, not a 256 MB allocation */
    assert_null(frontend_create(&c, &e));
    frontend_cfg_default(&c);
    c.threshold_db = 100;
    assert_null(frontend_create(&c, &e));
    frontend_cfg_default(&c);
    c.max_burst_s = 10;
    c.sample_rate = 1e9; /* ring would be 10 G samples */
    assert_null(frontend_create(&c, &e));
    assert_int_equal(e.code, SG_ERANGE);
    /* a bad block is refused, not crashed on */
    frontend_cfg_default(&c);
    frontend *fe = frontend_create(&c, &e);
    assert_non_null(fe);
    sg_iq_block blk = {.x = NULL, .n = 10, .sample_rate = FS};
    assert_int_equal(frontend_execute(fe, &blk, on_burst, NULL), SG_EINVAL);
    float complex z[16] = {0};
    sg_iq_block blk2 = {.x = z, .n = 16, .sample_rate = 0};
    assert_int_equal(frontend_execute(fe, &blk2, on_burst, NULL), SG_EINVAL);
    assert_non_null(strstr(frontend_error(fe), "bad IQ block"));
    frontend_destroy(fe);
}


/* Samples far beyond full scale (|x| >= 1e19 overflows |X|^2 to Inf, then NaN) and
 * non-finite samples: the front end must keep going (it used to spin forever in the
 * run scan), count what it limited, keep a finite floor, and still detect a burst
 * that follows the garbage. alarm() turns a hang into a failure. */
/* max_burst_s sizes the ring: the default's (8 MB at 15.36 Msps) is written with streaming
 * stores, 0.01 s's (2 MB) with plain ones (frontend_int.h FE_STREAM_BYTES) */
static void huge_samples(double max_burst_s)
{
    alarm(20);
    sg_errinfo e = {0};
    siggen *g = siggen_create(FS, 0.12, FC, NOISE, 21, &e);
    assert_non_null(g);
    siggen_signal s = {.kind = SIGGEN_DRONEID, .snr_db = 15, .freq_offset = 2e6,
                       .t_start = 0.08};
    assert_int_equal(siggen_add(g, &s, &e), 0);
    frontend_cfg cfg;
    frontend_cfg_default(&cfg);
    cfg.max_burst_s = max_burst_s;
    frontend *fe = frontend_create(&cfg, &e);
    assert_non_null(fe);
    const size_t block = 65536;
    uint64_t len = siggen_length(g), planted = 0;
    float complex *buf = malloc(block * sizeof *buf);
    assert_non_null(buf);
    bursts r = {0};
    const float bad[] = {1e19f, -3e19f, 1e30f, 3.4e38f, INFINITY, -INFINITY, NAN};
    for (uint64_t i = 0; i < len; i += block) {
        size_t n = len - i < block ? (size_t)(len - i) : block;
        assert_int_equal(siggen_generate(g, buf, n, &e), 0);
        /* garbage from 5 to 40 ms (after the floor's 4 ms warm-up), a clean burst later */
        if ((double)i / FS > 0.005 && (double)i / FS < 0.04) {
            /* a stretch of samples scaled by 1e19..1e21, then scattered garbage */
            for (size_t k = 0; k < n / 2; k++, planted++)
                buf[k] *= (k / 4096 % 2 ? 1e21f : 1e19f) * 1e2f;
            for (size_t k = n / 2; k < n; k += 61, planted++) {
                float v = bad[(i + k) % (sizeof bad / sizeof bad[0])];
                buf[k] = (k & 1) ? CMPLXF(v, 0.0f) : CMPLXF(0.5f, v);
            }
        }
        sg_iq_block blk = {.x = buf, .n = n, .sample_index = i, .sample_rate = FS,
                           .center_freq = FC, .t0 = T0};
        assert_int_equal(frontend_execute(fe, &blk, on_burst, &r), 0);
    }
    assert_int_equal(frontend_flush(fe, on_burst, &r), 0);
    alarm(0);
    frontend_stats_t st;
    frontend_stats(fe, &st);
    print_message("huge samples (max_burst_s %g): %llu planted, %llu limited, %zu bursts\n",
                  max_burst_s, (unsigned long long)planted, (unsigned long long)st.iq_limited, r.n);
    assert_int_equal(st.samples, len);
    assert_int_equal(st.iq_limited, planted);
    for (unsigned k = 0; k < cfg.nfft; k++)
        assert_true(isfinite(frontend_floor(fe, k)));
    int found = 0;
    for (size_t i = 0; i < r.n; i++) {
        assert_true(isfinite(r.b[i].t_start) && isfinite(r.b[i].fc) &&
                    isfinite(r.b[i].bandwidth) && isfinite(r.b[i].duration));
        if (r.b[i].t_start - T0 > 0.075 && fabs(r.b[i].fc - (FC + 2e6)) < 1e6)
            found++;
    }
    assert_true(found >= 1);
    free(r.b);
    free(buf);
    frontend_destroy(fe);
    siggen_destroy(g);
}

static void test_huge_samples(void **state)
{
    (void)state;
    huge_samples(0.05);
    huge_samples(0.01);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config),
        cmocka_unit_test(test_droneid_pd),
        cmocka_unit_test(test_fhss_pd),
        cmocka_unit_test(test_other_kinds),
        cmocka_unit_test(test_payload_hook),
        cmocka_unit_test(test_false_alarms),
        cmocka_unit_test(test_continuous_carrier),
        cmocka_unit_test(test_discontinuity),
        cmocka_unit_test(test_huge_samples),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
