/* DroneID through the daemon's path: RF front end bursts -> droneid_burst_decode().
 *
 * Synthetic part (always): the shape gate, two bursts merged into one front-end
 * region both decoded, a centre hint off by 600 kHz still decoded, bad arguments.
 * Real part (skipped when ../shared/fixtures is absent): each full burst of the real
 * Mavic Air 2 capture (50 Msps) is moved to a frequency offset of -500, 0 or +500 kHz,
 * resampled to 15.36, 20, 30.72, 50 and 61.44 Msps, buried in white noise at 0 dB
 * -1, -2, -3 and 3 dB in-band SNR (signal power in the burst over noise power in its 9 MHz) after 5 ms of
 * noise for the front end's floor, and run through the front end and the daemon's
 * decoding policy. The figures are printed; seeds are fixed and printed. SG_TEST_SEED=<n>
 * runs another seed, SG_TEST_PRETEST=off the receiver without its pre-test before
 * resampling (droneid_pre.h), for the with/without figures in docs/droneid-and-signatures.md.
 * The pre-test's own verdicts: a tone and a narrow OFDM burst refused, a 600-carrier one
 * passed with its timing. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "file_helpers.h"

#include "droneid.h"
#include "droneid_burst.h"
#include "droneid_enc.h"
#include "droneid_phy.h"
#include "droneid_pre.h"
#include "frontend.h"

#define FIXTURE SG_FIXTURES_DIR "/rf/dji_mavic_air_2_droneid.cf32"
#define FIX_FS 50e6
#define T0 1700000000.0

/* ---- noise ------------------------------------------------------------------------ */

#define SEED 0x5eed0001u /* each test sets rng to its own seed before use */
#include "test_rng.h"
static float complex cnoise(double sd)
{
    double r = sqrt(-2 * log(urand())) * sd / M_SQRT2, a = 2 * M_PI * urand();
    return (float complex)(r * cos(a) + I * r * sin(a));
}

/* ---- front end + decoding policy ---------------------------------------------------- */

typedef struct {
    droneid_rx *rx;
    double fc;                 /* Hz, centre of the stream */
    droneid_msg msgs[16];
    double t[16];
    size_t n;
    droneid_burst_stats st;
    double hint_error_hz;      /* added to each burst's centre (a worse front end) */
} sink;

static void on_burst(void *user, const sg_burst *b, const float complex *iq, size_t n_iq)
{
    sink *s = user;
    sg_burst bb = *b;
    bb.fc += s->hint_error_hz;
    droneid_msg m[DRONEID_BURST_MAX];
    double t[DRONEID_BURST_MAX];
    size_t nm = 0;
    if (droneid_burst_decode(s->rx, &bb, iq, n_iq, s->fc, m, t, DRONEID_BURST_MAX, &nm,
                             &s->st) != SG_OK)
        return;
    for (size_t i = 0; i < nm && s->n < 16; i++, s->n++) {
        s->msgs[s->n] = m[i];
        s->t[s->n] = t[i];
    }
}

static void run_frontend(const float complex *x, size_t n, double fs, double fc, sink *s)
{
    frontend_cfg cfg;
    frontend_cfg_default(&cfg);
    cfg.sample_rate = fs;
    sg_errinfo e = {0};
    frontend *fe = frontend_create(&cfg, &e);
    assert_non_null(fe);
    size_t blk = 65536;
    for (size_t a = 0; a < n; a += blk) {
        sg_iq_block b = {.x = x + a, .n = n - a < blk ? n - a : blk, .sample_index = a,
                         .sample_rate = fs, .center_freq = fc, .t0 = T0};
        assert_int_equal(frontend_execute(fe, &b, on_burst, s), SG_OK);
    }
    assert_int_equal(frontend_flush(fe, on_burst, s), SG_OK);
    frontend_destroy(fe);
}

/* ---- synthetic ------------------------------------------------------------------------ */

static void make_msg(droneid_msg *m, uint16_t seq)
{
    droneid_msg_init(m);
    m->seq = seq;
    snprintf(m->serial, sizeof m->serial, "SYNTH%011u", (unsigned)seq);
    m->lat_deg = 51.5;
    m->lon_deg = -0.3;
    m->altitude_m = 120;
    uint8_t raw[DRONEID_PAYLOAD_LEN];
    assert_int_equal(droneid_pack(m, raw), SG_OK);
}

static void test_candidate_gate(void **st)
{
    (void)st;
    struct {
        double dur, bw;
        bool ok;
    } tab[] = {
        {647e-6, 9e6, true},   {0.49e-3, 9e6, false}, {0.8e-3, 10.5e6, true},
        {0.8e-3, 11e6, false}, {1.4e-3, 9.5e6, true}, {1.4e-3, 20e6, true},
        {4e-3, 9e6, true},     {4.1e-3, 9e6, false},  {647e-6, 6.4e6, false},
        {647e-6, 6.6e6, true},
        {NAN, 9e6, false},     {647e-6, NAN, false},
    };
    for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++) {
        sg_burst b = {.duration = tab[i].dur, .bandwidth = tab[i].bw};
        if (droneid_burst_candidate(&b) != tab[i].ok)
            fail_msg("row %zu: %.2f ms %.2f MHz should be %s", i, tab[i].dur * 1e3,
                     tab[i].bw / 1e6, tab[i].ok ? "a candidate" : "refused");
    }
    assert_false(droneid_burst_candidate(NULL));
}

/* Two bursts 150 us apart in one region (as the front end gives them at low rates), and
 * a centre hint 600 kHz off: both messages, in time order, with their times. */
static void test_merged_region_and_offset_hint(void **st)
{
    (void)st;
    const double fs = 20e6, gap = 150e-6;
    size_t nb = droneid_mod_len(fs, 9), ngap = (size_t)(gap * fs), pad = 400;
    size_t n = pad + nb + ngap + nb + pad;
    float complex *x = calloc(n, sizeof *x), *y = malloc(nb * sizeof *y);
    assert_non_null(x);
    assert_non_null(y);
    rng = 0x5eed0001u;
    droneid_msg m1, m2;
    make_msg(&m1, 7);
    make_msg(&m2, 8);
    size_t got;
    assert_int_equal(droneid_modulate(&m1, fs, 1.0e6, y, nb, &got), SG_OK);
    for (size_t k = 0; k < got; k++)
        x[pad + k] += y[k];
    assert_int_equal(droneid_modulate(&m2, fs, 1.0e6, y, nb, &got), SG_OK);
    for (size_t k = 0; k < got; k++)
        x[pad + nb + ngap + k] += y[k];
    for (size_t k = 0; k < n; k++)
        x[k] += cnoise(0.01);
    sg_errinfo e = {0};
    droneid_rx *rx = droneid_rx_create(fs, &e);
    assert_non_null(rx);
    size_t margin = pad / 2;
    sg_burst b = {.t_start = T0 + (double)margin / fs, .duration = (double)(n - 2 * margin) / fs,
                  .fc = 2.4e9 + 1.0e6 + 600e3, /* the hint is 600 kHz off */
                  .bandwidth = 9.2e6, .sample_count = n - 2 * margin};
    droneid_msg out[DRONEID_BURST_MAX];
    double t[DRONEID_BURST_MAX];
    size_t nm = 0;
    droneid_burst_stats bs = {0};
    assert_int_equal(droneid_burst_decode(rx, &b, x, n, 2.4e9, out, t, DRONEID_BURST_MAX, &nm,
                                          &bs),
                     SG_OK);
    assert_int_equal(nm, 2);
    assert_string_equal(out[0].serial, m1.serial);
    assert_string_equal(out[1].serial, m2.serial);
    assert_true(fabs(t[0] - (T0 + pad / fs)) < 10e-6);
    assert_true(fabs(t[1] - (T0 + (pad + nb + ngap) / fs)) < 10e-6);
    assert_int_equal(bs.split, 1);
    assert_int_equal(bs.decoded, 2);
    /* a region shorter than one burst: nothing, cleanly */
    sg_burst shortb = b;
    shortb.duration = 0.3e-3;
    assert_int_equal(droneid_burst_decode(rx, &shortb, x, n, 2.4e9, out, t, 4, &nm, NULL),
                     SG_ENOTFOUND);
    assert_int_equal(nm, 0);
    /* noise only: no message */
    for (size_t k = 0; k < n; k++)
        x[k] = cnoise(0.05);
    assert_int_equal(droneid_burst_decode(rx, &b, x, n, 2.4e9, out, t, 4, &nm, NULL),
                     SG_ENOTFOUND);
    /* bad arguments */
    assert_int_equal(droneid_burst_decode(NULL, &b, x, n, 2.4e9, out, t, 4, &nm, NULL),
                     SG_EINVAL);
    assert_int_equal(droneid_burst_decode(rx, &b, x, n, NAN, out, t, 4, &nm, NULL), SG_EINVAL);
    droneid_rx_destroy(rx);
    free(x);
    free(y);
}

/* The band-occupancy test (droneid.h): a strong carrier in a wide region passes the CP
 * metric (a tone repeats at every lag) but holds its band's energy in a few bins: it is
 * refused before the ZC search and counted; with the test off it goes on to the ZC
 * search. A DroneID burst (600 equal carriers) is far under the threshold and decodes.
 * The pre-test (droneid_pre.h) refuses the tone before all of that: it correlates about as
 * much half a symbol away from the prefixes as in them (CP contrast < 0.2), and what is
 * left fails its occupancy. */
static void test_occupancy_rejects_narrow(void **st)
{
    (void)st;
    const double fs = 20e6, f_tone = 1.2e6;
    size_t n = (size_t)(1.2e-3 * fs);
    float complex *x = malloc(n * sizeof *x);
    assert_non_null(x);
    rng = 0x0cc0001u;
    for (size_t k = 0; k < n; k++)
        x[k] = (float complex)cexp(2.0 * M_PI * I * f_tone * (double)k / fs) + cnoise(0.03);
    sg_errinfo e = {0};
    droneid_rx *rx = droneid_rx_create(fs, &e);
    assert_non_null(rx);
    droneid_msg m;
    droneid_diag d;
    /* the pre-test at the capture rate refuses it on its occupancy, before resampling */
    assert_int_equal(droneid_rx_decode(rx, x, n, f_tone, &m, &d), SG_ENOTFOUND);
    if (!(d.rejected && d.stage == DRONEID_STAGE_NONE && d.pre_cp_metric < 0.2 &&
          (d.pre_verdict == DRONEID_PRE_CP ||
           (d.pre_verdict == DRONEID_PRE_OCC && d.pre_occupancy > 0.9))))
        fail_msg("tone, pre-test: rejected %d, verdict %d, CP metric %.3f, occupancy %.3f "
                 "(seed %#x)", d.rejected, d.pre_verdict, d.pre_cp_metric, d.pre_occupancy,
                 0x0cc0001u);
    /* the pre-test off: the receiver's own occupancy test refuses it after resampling */
    assert_int_equal(droneid_rx_set_pretest(rx, 0, 1), SG_OK);
    assert_int_equal(droneid_rx_decode(rx, x, n, f_tone, &m, &d), SG_ENOTFOUND);
    if (!(d.rejected && d.pre_verdict == DRONEID_PRE_PASS && d.cp_metric >= 0.2 &&
          d.occupancy > 0.9))
        fail_msg("tone: rejected %d, CP metric %.3f, occupancy %.3f (seed %#x)", d.rejected,
                 d.cp_metric, d.occupancy, 0x0cc0001u);
    assert_int_equal(droneid_rx_set_pretest(rx, DRONEID_PRE_CP_MIN, DRONEID_PRE_OCC_MAX), SG_OK);
    /* through the decoding policy: every receiver call counted as rejected */
    sg_burst b = {.t_start = T0, .duration = 1e-3, .fc = 2.4e9 + f_tone, .bandwidth = 9e6,
                  .sample_count = (uint64_t)(1e-3 * fs)};
    droneid_msg out[DRONEID_BURST_MAX];
    size_t nm = 0;
    droneid_burst_stats bs = {0};
    assert_int_equal(droneid_burst_decode(rx, &b, x, n, 2.4e9, out, NULL, DRONEID_BURST_MAX,
                                          &nm, &bs),
                     SG_ENOTFOUND);
    assert_true(bs.attempts >= 1);
    assert_int_equal(bs.rejected, bs.attempts);
    assert_int_equal(bs.failed, 1);
    /* both tests off: the same region goes past them */
    assert_int_equal(droneid_rx_set_occupancy_max(rx, 1), SG_OK);
    assert_int_equal(droneid_rx_set_pretest(rx, 0, 1), SG_OK);
    droneid_rx_decode(rx, x, n, f_tone, &m, &d);
    assert_false(d.rejected);
    assert_true(d.stage >= DRONEID_STAGE_SYNC && d.occupancy > 0.9);
    /* bad thresholds */
    assert_int_equal(droneid_rx_set_occupancy_max(rx, NAN), SG_EINVAL);
    assert_int_equal(droneid_rx_set_occupancy_max(rx, 0.1), SG_EINVAL);
    assert_int_equal(droneid_rx_set_occupancy_max(rx, 1.01), SG_EINVAL);
    assert_int_equal(droneid_rx_set_occupancy_max(NULL, 0.4), SG_EINVAL);
    assert_int_equal(droneid_rx_set_occupancy_max(rx, 0.4), SG_OK);
    assert_int_equal(droneid_rx_set_pretest(rx, NAN, 0.5), SG_EINVAL);
    assert_int_equal(droneid_rx_set_pretest(rx, -0.1, 0.5), SG_EINVAL);
    assert_int_equal(droneid_rx_set_pretest(rx, 1.1, 0.5), SG_EINVAL);
    assert_int_equal(droneid_rx_set_pretest(rx, 0.1, 0.1), SG_EINVAL);
    assert_int_equal(droneid_rx_set_pretest(rx, 0.1, NAN), SG_EINVAL);
    assert_int_equal(droneid_rx_set_pretest(NULL, 0.1, 0.5), SG_EINVAL);
    assert_int_equal(droneid_rx_set_pretest(rx, DRONEID_PRE_CP_MIN, DRONEID_PRE_OCC_MAX), SG_OK);
    /* a DroneID burst at ~15 dB: even occupancy, decoded */
    droneid_msg ref;
    make_msg(&ref, 11);
    size_t nb = droneid_mod_len(fs, 9), got = 0;
    float complex *y = calloc(nb + 800, sizeof *y);
    assert_non_null(y);
    assert_int_equal(droneid_modulate(&ref, fs, -0.8e6, y + 400, nb, &got), SG_OK);
    for (size_t k = 0; k < nb + 800; k++)
        y[k] += cnoise(0.02);
    assert_int_equal(droneid_rx_decode(rx, y, nb + 800, -0.8e6, &m, &d), SG_OK);
    assert_string_equal(m.serial, ref.serial);
    if (!(d.occupancy > 0.125 && d.occupancy < 0.25) || d.rejected)
        fail_msg("DroneID burst: occupancy %.3f, rejected %d", d.occupancy, d.rejected);
    droneid_rx_destroy(rx);
    free(x);
    free(y);
}

/* The pre-test's other verdict: an OFDM burst with the DroneID numerology (1024-point FFT
 * at 15.36 Msps, prefixes of 80/72 samples) but only 60 carriers (900 kHz) has the CP
 * structure and is refused on its occupancy, before the receiver's own tests; a real-
 * layout burst of 600 carriers passes them with a pre-test timing within 2 us. */
static void ofdm_burst(float complex *x, int ncarr, int nsym)
{
    float complex tw[DRONEID_NFFT / 2], X[DRONEID_NFFT];
    droneid_fft_twiddles(tw);
    const droneid_layout *l = droneid_layout_get(nsym);
    for (int i = 0; i < nsym; i++) {
        memset(X, 0, sizeof X);
        for (int j = 0; j < ncarr; j++) {
            int bin = j < ncarr / 2 ? j - ncarr / 2 : j - ncarr / 2 + 1;
            X[(bin + DRONEID_NFFT) % DRONEID_NFFT] =
                (urand() < 0.5 ? 1.0f : -1.0f) + I * (urand() < 0.5 ? 1.0f : -1.0f);
        }
        droneid_fft(X, tw, 1);
        float complex *o = x + l->start[i];
        for (int k = 0; k < l->cp[i]; k++)
            o[k] = X[DRONEID_NFFT - l->cp[i] + k] / 32.0f;
        for (int k = 0; k < DRONEID_NFFT; k++)
            o[l->cp[i] + k] = X[k] / 32.0f;
    }
}

static void test_pretest_narrow_ofdm(void **st)
{
    (void)st;
    const int lead = 3000;
    const size_t n = (size_t)droneid_layout_get(9)->len + 2 * lead;
    float complex *x = calloc(n, sizeof *x);
    assert_non_null(x);
    sg_errinfo e = {0};
    droneid_rx *rx = droneid_rx_create(DRONEID_FS, &e);
    assert_non_null(rx);
    const int ncarr[2] = {60, 600};
    for (int c = 0; c < 2; c++) {
        rng = 0x9e7e0001u + (uint64_t)c;
        memset(x, 0, n * sizeof *x);
        ofdm_burst(x + lead, ncarr[c], 9);
        for (size_t k = 0; k < n; k++)
            x[k] += cnoise(0.02);
        droneid_msg m;
        droneid_diag d;
        droneid_rx_decode(rx, x, n, 0, &m, &d);
        if (c == 0 && !(d.rejected && d.pre_verdict == DRONEID_PRE_OCC &&
                        d.pre_cp_metric >= 0.5 && d.pre_occupancy > DRONEID_PRE_OCC_MAX))
            fail_msg("60 carriers: rejected %d, verdict %d, CP metric %.3f, occupancy %.3f "
                     "(seed %#llx)", d.rejected, d.pre_verdict, d.pre_cp_metric,
                     d.pre_occupancy, (unsigned long long)rng);
        /* 600 random carriers: past the pre-test and the receiver's CP and occupancy tests
         * (its ZC search then fails: no ZC symbols) */
        if (c == 1 && !(!d.rejected && d.pre_verdict == DRONEID_PRE_PASS &&
                        d.pre_occupancy < 0.3 && d.stage >= DRONEID_STAGE_SYNC &&
                        fabs(d.start_s - lead / DRONEID_FS) < 2e-6))
            fail_msg("600 carriers: rejected %d, verdict %d, occupancy %.3f, stage %d, start "
                     "%.2f us (seed %#llx)", d.rejected, d.pre_verdict, d.pre_occupancy,
                     d.stage, d.start_s * 1e6, (unsigned long long)rng);
    }
    droneid_rx_destroy(rx);
    /* the pre-test's own refusals: rates out of range, bad arguments; a piece shorter than
     * the 8-symbol layout passes untested (the receiver refuses it as truncated) */
    assert_null(droneid_pre_create(15e6, &e));
    assert_int_equal(e.code, SG_EINVAL);
    assert_null(droneid_pre_create(201e6, NULL));
    assert_null(droneid_pre_create(NAN, NULL));
    droneid_pre *p = droneid_pre_create(DRONEID_FS, &e);
    assert_non_null(p);
    droneid_pre_result r;
    assert_int_equal(droneid_pre_run(NULL, x, n, 0, 0.12, 0.5, &r), SG_EINVAL);
    assert_int_equal(droneid_pre_run(p, NULL, n, 0, 0.12, 0.5, &r), SG_EINVAL);
    assert_int_equal(droneid_pre_run(p, x, n, NAN, 0.12, 0.5, &r), SG_EINVAL);
    assert_int_equal(droneid_pre_run(p, x, n, 8e6, 0.12, 0.5, &r), SG_EINVAL);
    assert_int_equal(droneid_pre_run(p, x, n, 0, 1.5, 0.5, &r), SG_EINVAL);
    assert_int_equal(droneid_pre_run(p, x, n, 0, 0.12, 0.1, &r), SG_EINVAL);
    assert_int_equal(droneid_pre_run(p, x, n, 0, 0.12, 0.5, NULL), SG_EINVAL);
    assert_int_equal(droneid_pre_run(p, x, 4000, 0, 0.12, 0.5, &r), SG_OK);
    assert_int_equal(r.verdict, DRONEID_PRE_PASS);
    assert_int_equal(r.nsym, 0);
    droneid_pre_destroy(p);
    droneid_pre_destroy(NULL);
    free(x);
}

/* ---- the real capture ----------------------------------------------------------------- */


/* One real burst moved to `offset` Hz, resampled to fs, after 5 ms and before 1 ms of
 * noise, at snr_db in its band; returns the decoded count (0 or 1) and checks the serial. */
static int real_trial(const float complex *x, const droneid_span *sp, double fs, double offset,
                      double snr_db, double hint_error_hz, const char *serial, sink *s)
{
    const double lead = 5e-3, tail = 1e-3, fc = 2.44e9;
    size_t a = sp->start, len = sp->len; /* span padded by 20 us on each side */
    sg_errinfo e = {0};
    double cut = fmin(0.45 * fs, 0.45 * FIX_FS);
    droneid_resamp *rs = droneid_resamp_create(FIX_FS, fs, cut, &e);
    assert_non_null(rs);
    size_t ny = droneid_resamp_out_len(rs, len), got = 0;
    size_t nl = (size_t)(lead * fs), nt = (size_t)(tail * fs), n = nl + ny + nt;
    float complex *y = calloc(n, sizeof *y);
    assert_non_null(y);
    droneid_resamp_run(rs, x + a, len, sp->freq_offset_hz - offset, y + nl, ny, &got);
    droneid_resamp_destroy(rs);
    /* signal power over the burst (the span less its 20 us pads); the capture's own
     * floor is ~30 dB under it and negligible next to the noise added */
    size_t p0 = nl + (size_t)(20e-6 * fs), p1 = nl + got - (size_t)(20e-6 * fs);
    double S = 0;
    for (size_t k = p0; k < p1; k++)
        S += crealf(y[k] * conjf(y[k]));
    S /= (double)(p1 - p0);
    double nin = S / pow(10, snr_db / 10); /* noise power in 9 MHz */
    double sd = sqrt(nin * fs / 9e6);
    for (size_t k = 0; k < n; k++)
        y[k] += cnoise(sd);
    s->n = 0;
    s->fc = fc;
    s->hint_error_hz = hint_error_hz;
    run_frontend(y, n, fs, fc, s);
    free(y);
    int ok = 0;
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->msgs[i].serial, serial) == 0)
            ok = 1;
        else
            fail_msg("decoded a wrong serial %s", s->msgs[i].serial);
    assert_true(s->n <= 1);
    return ok;
}

static void test_real_degraded(void **st)
{
    (void)st;
    size_t n = 0;
    float complex *x = load_cf32(FIXTURE, &n);
    if (!x) {
        printf("fixture %s absent: skipped\n", FIXTURE);
        skip();
    }
    droneid_span all[32], sp[8];
    size_t na = 0, ns = 0;
    assert_int_equal(droneid_scan(x, n, FIX_FS, all, 32, &na), SG_OK);
    /* the DroneID bursts and the serial, from the clean capture */
    sg_errinfo e = {0};
    droneid_rx *rx50 = droneid_rx_create(FIX_FS, &e);
    assert_non_null(rx50);
    droneid_msg ref;
    for (size_t i = 0; i < na && ns < 8; i++)
        if (!all[i].truncated && droneid_rx_decode(rx50, x + all[i].start, all[i].len,
                                                   all[i].freq_offset_hz, &ref, NULL) == SG_OK)
            sp[ns++] = all[i];
    assert_int_equal(ns, 3);
    droneid_rx_destroy(rx50);

    const double rates[] = {15.36e6, 20e6, 30.72e6, 50e6, 61.44e6};
    const double offs[] = {-500e3, 0, 500e3};
    const double snrs[] = {3, 0, -1, -2, -3};
    enum { NSNR = sizeof snrs / sizeof snrs[0] };
    /* the band detector's thresholds were set on this seed; SG_TEST_SEED=<n> runs others
     * (the validation figures in docs/rf-frontend.md) */
    uint64_t seed = 0x0d1d0001u;
    const char *es = getenv("SG_TEST_SEED");
    if (es && *es)
        seed = strtoull(es, NULL, 0);
    /* SG_TEST_PRETEST=off: the receiver's pre-test off (the same figures must come out) */
    const char *ep = getenv("SG_TEST_PRETEST");
    bool pre_off = ep && strcmp(ep, "off") == 0;
    int decoded[NSNR] = {0}, total = 0;
    for (size_t q = 0; q < NSNR; q++) {
        printf("real capture, %.0f dB in-band SNR, seed %#llx, pre-test %s: decoded / full "
               "bursts\n", snrs[q], (unsigned long long)seed, pre_off ? "off" : "on");
        total = 0;
        for (size_t r = 0; r < sizeof rates / sizeof rates[0]; r++) {
            sink s = {0};
            s.rx = droneid_rx_create(rates[r], &e);
            assert_non_null(s.rx);
            if (pre_off)
                assert_int_equal(droneid_rx_set_pretest(s.rx, 0, 1), SG_OK);
            int rt = 0, rd = 0;
            for (size_t o = 0; o < sizeof offs / sizeof offs[0]; o++)
                for (size_t i = 0; i < ns; i++) {
                    if (sp[i].truncated)
                        continue;
                    rng = seed + 1000 * r + 10 * o + i;
                    rd += real_trial(x, &sp[i], rates[r], offs[o], snrs[q], 0, ref.serial, &s);
                    rt++;
                }
            printf("  %6.2f Msps: %d / %d (front-end regions tried %llu, receiver calls %llu, "
                   "stopped by its cheap tests %llu)\n",
                   rates[r] / 1e6, rd, rt, (unsigned long long)s.st.regions,
                   (unsigned long long)s.st.attempts, (unsigned long long)s.st.rejected);
            total += rt;
            decoded[q] += rd;
            droneid_rx_destroy(s.rx);
        }
        printf("  all: %d / %d\n", decoded[q], total);
    }
    /* stated (docs/droneid-and-signatures.md): at 3 dB and 0 dB in-band SNR at least 44 of
     * the 45 bursts (every rate from 15.36 to 61.44 Msps, offsets +-500 kHz; 45 on this
     * seed and on five seeds not used for tuning); at -2 dB at least 40 (44 on this seed, 42-44
     * on the five others).
     * -1 and -3 dB are reported, not asserted. */
    assert_int_equal(total, 45);
    assert_true(decoded[0] >= total - 1);
    assert_true(decoded[1] >= total - 1);
    assert_true(decoded[3] >= 40);
    free(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_candidate_gate),
        cmocka_unit_test(test_merged_region_and_offset_hint),
        cmocka_unit_test(test_occupancy_rejects_narrow),
        cmocka_unit_test(test_pretest_narrow_ofdm),
        cmocka_unit_test(test_real_degraded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
