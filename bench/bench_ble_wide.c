/* BLE Remote ID on a wideband sensor stream: cost of the scanner (dsp/ble_scan.c: FFT
 * channeliser + squelch + receivers, defaults) as a fraction of one core (CPU s of this thread per s of
 * signal, CLOCK_THREAD_CPUTIME_ID), at 20, 50 and 61.44 Msps, extended advertising off
 * and on, next to the bare FFT rate measured in the same run (1024-point, batch 16,
 * FFTW_ESTIMATE over the same samples, as bench_frontend): the ratio says how many FFT
 * passes over the input the BLE receiver costs.
 * Input (fixed seed): 0.2 s of noise, replayed `reps` times as one continuous stream,
 * centred on 2441.3 MHz; the three primary channels 37/38/39 at configured offsets
 * across the band (-0.3, +0.05, +0.33 of the rate, off the FFT bins), a legacy Remote ID
 * packet on each every 10 ms; with extended, also an ADV_EXT_IND (Coded S=8) on 37 every
 * 20 ms and its AUX_ADV_IND with a 2-message pack (S=8) on channel 17 (the secondary
 * channel nearest the centre, found by "auto" with max_secondary 4). Packets are made at
 * 8 Msps by ble_tx and placed at the stream's rate by ble_tx_place. The delivered count
 * is checked (all of them) so a fast but broken receiver does not score.
 * Run: ./bench_ble_wide [reps (default 3)] */
#include <complex.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <fftw3.h>

#include "ble_scan.h"
#include "ble_tx.h"
#include "bench_ble_pkt.h"
#include "bench_rng.h"
#include "fftchan.h"
#include "sg_clock.h"

#define FC 2441.3e6
#define DUR 0.2
#define SRC_FS 8e6

static int got;
static void on_rid(void *user, const ble_scan_rid *r)
{
    (void)user;
    (void)r;
    got++;
}

static const double rel_off[3] = {-0.3, 0.05, 0.33};

static int put(float complex *x, size_t n, double fs, double t, double off, int ch, int s,
               const uint8_t *pdu, size_t len, float complex *tmp, size_t cap)
{
    ble_tx_cfg tc;
    ble_tx_cfg_default(&tc);
    tc.sample_rate = SRC_FS;
    tc.amplitude = 0.3;
    size_t m;
    sg_errinfo e;
    int rc = s ? ble_tx_coded(&tc, pdu, len, ch, s, tmp, cap, &m, &e)
               : ble_tx_pdu(&tc, pdu, len, ch, tmp, cap, &m, &e);
    return rc ? rc : ble_tx_place(tmp, m, SRC_FS, x, n, fs, t, off);
}

/* The capture; *sent = advertisements per pass for (extended off, on). */
static float complex *make(double fs, size_t n, int sent[2])
{
    float complex *x = fftwf_alloc_complex(n);
    size_t cap = (size_t)(SRC_FS * 0.02);
    float complex *tmp = malloc(cap * sizeof *tmp);
    if (!x || !tmp)
        return NULL;
    bench_rng rng = {0xB1E3u};
    double sd = 0.3 / sqrt(2 * pow(10, 2.0)) * sqrt(fs / 4e6); /* ~20 dB SNR in a channel */
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(sd * bench_gauss(&rng)) + I * (float)(sd * bench_gauss(&rng));
    bench_ble_pkt k;
    uint8_t ad[80], pdu[BLE_EXT_PDU_MAX];
    size_t len;
    if (bench_ble_pkt_make(&k, "BENCH-WIDE-01"))
        return NULL;
    sent[0] = sent[1] = 0;
    for (double t = 0.001; t + 0.01 < DUR; t += 0.01)
        for (int c = 0; c < 3; c++) {
            if (put(x, n, fs, t + 0.002 * c, rel_off[c] * fs, 37 + c, 0, k.leg, k.ll, tmp, cap))
                return NULL;
            sent[0]++;
        }
    sent[1] = sent[0];
    for (double t = 0.004; t + 0.02 < DUR; t += 0.02) {
        ble_ext_adv p = {.has_adi = true, .did = 1, .sid = 1, .has_aux = true,
                         .aux_channel = 17, .aux_phy = BLE_PHY_CODED, .aux_offset_us = 3000};
        ble_ext_adv a = {.tx_random = true, .has_adva = true, .has_adi = true, .did = 1,
                         .sid = 1, .adv_data = ad,
                         .adv_data_len = ble_ad_odid(0, k.pack, k.plen, ad)};
        memcpy(a.adva, k.adva, 6);
        if (ble_ext_build(&p, pdu, sizeof pdu, &len) ||
            put(x, n, fs, t, rel_off[0] * fs, 37, 8, pdu, len, tmp, cap) ||
            ble_ext_build(&a, pdu, sizeof pdu, &len) ||
            put(x, n, fs, t + 0.0035, ble_channel_freq(17) - FC, 17, 8, pdu, len, tmp, cap))
            return NULL;
        sent[1]++;
    }
    free(tmp);
    return x;
}

static double fft_only(float complex *x, size_t n, int reps)
{
    enum { NFFT = 1024, BATCH = 16 };
    fftwf_complex *out = fftwf_alloc_complex((size_t)NFFT * BATCH);
    int dims[1] = {NFFT};
    fftwf_plan p = fftwf_plan_many_dft(1, dims, BATCH, x, NULL, 1, NFFT, out, NULL, 1, NFFT,
                                       FFTW_FORWARD, FFTW_ESTIMATE);
    double t0 = sg_clock_s(CLOCK_THREAD_CPUTIME_ID);
    for (int r = 0; r < reps; r++)
        for (size_t i = 0; i + NFFT * BATCH <= n; i += NFFT * BATCH)
            fftwf_execute_dft(p, x + i, out);
    double cpu = sg_clock_s(CLOCK_THREAD_CPUTIME_ID) - t0;
    fftwf_destroy_plan(p);
    fftwf_free(out);
    return cpu;
}

static void no_out(void *user, int ch, const sg_iq_block *b)
{
    (void)user;
    (void)ch;
    (void)b;
}

/* The channeliser alone, with the scanner's 3 primary channels (its mask, no receivers, no
 * squelch: every block of every channel transformed back). */
static double chan_only(float complex *x, size_t n, double fs, int reps)
{
    fftchan_cfg c;
    fftchan_cfg_default(&c);
    c.sample_rate = fs;
    c.n_channels = 3;
    for (int i = 0; i < 3; i++)
        c.offsets_hz[i] = rel_off[i] * fs;
    sg_errinfo e = {0};
    fftchan *q = fftchan_create(&c, &e);
    if (!q)
        return -1;
    const size_t blk = 65536;
    double t0 = sg_clock_s(CLOCK_THREAD_CPUTIME_ID);
    for (int r = 0; r < reps; r++)
        for (size_t off = 0; off < n; off += blk) {
            sg_iq_block b = {.x = x + off, .n = off + blk <= n ? blk : n - off,
                             .sample_index = (uint64_t)r * n + off, .sample_rate = fs};
            fftchan_execute(q, &b, no_out, NULL, &e);
        }
    double cpu = sg_clock_s(CLOCK_THREAD_CPUTIME_ID) - t0;
    fftchan_destroy(q);
    return cpu;
}

static int scan(float complex *x, size_t n, double fs, bool ext, int reps, double *cpu,
                ble_scan_stats *st)
{
    ble_scan_cfg c;
    ble_scan_cfg_default(&c);
    c.legacy.sample_rate = fs;
    c.legacy.n_channels = 3;
    for (int i = 0; i < 3; i++) {
        c.legacy.channels[i] = 37 + i;
        c.legacy.offsets_hz[i] = rel_off[i] * fs;
    }
    c.extended = ext;
    sg_errinfo e = {0};
    ble_scan *q = ble_scan_create(&c, &e);
    if (!q) {
        fprintf(stderr, "bench_ble_wide: %s\n", e.msg);
        return -1;
    }
    got = 0;
    const size_t blk = 65536;
    double t0 = sg_clock_s(CLOCK_THREAD_CPUTIME_ID);
    for (int r = 0; r < reps; r++)
        for (size_t off = 0; off < n; off += blk) {
            sg_iq_block b = {.x = x + off, .n = off + blk <= n ? blk : n - off,
                             .sample_index = (uint64_t)r * n + off, .sample_rate = fs,
                             .center_freq = FC};
            if (ble_scan_execute(q, &b, on_rid, NULL, &e)) {
                fprintf(stderr, "bench_ble_wide: %s\n", e.msg);
                return -1;
            }
        }
    ble_scan_flush(q, on_rid, NULL);
    *cpu = sg_clock_s(CLOCK_THREAD_CPUTIME_ID) - t0;
    ble_scan_get_stats(q, st);
    ble_scan_destroy(q);
    return 0;
}

int main(int argc, char **argv)
{
    int reps = argc > 1 ? atoi(argv[1]) : 3;
    if (reps < 1 || reps > 100) {
        fprintf(stderr, "usage: bench_ble_wide [reps 1..100]\n");
        return 2;
    }
    const double rates[] = {20e6, 50e6, 61.44e6};
    printf("BLE scanner on a wideband stream (3 primary channels; extended: + 4 secondary), "
           "fraction of one core (CPU s per s of signal), %d x %.1f s\n", reps, DUR);
    int bad = 0;
    for (int i = 0; i < 3; i++) {
        double fs = rates[i];
        size_t n = (size_t)(fs * DUR);
        int sent[2];
        float complex *x = make(fs, n, sent);
        if (!x) {
            fprintf(stderr, "bench_ble_wide: cannot make the capture\n");
            return 1;
        }
        double sig = DUR * reps, fft = fft_only(x, n, reps) / sig;
        double ch = chan_only(x, n, fs, reps) / sig;
        printf("  %5.2f Msps, channeliser alone (3 channels, no squelch): %.3f core, FFT-only "
               "%.3f core, ratio %.2f\n", fs / 1e6, ch, fft, ch / fft);
        for (int ext = 0; ext < 2; ext++) {
            double cpu;
            ble_scan_stats st;
            if (scan(x, n, fs, ext, reps, &cpu, &st))
                return 1;
            cpu /= sig;
            int want = sent[ext] * reps;
            printf("  %5.2f Msps, extended %-3s: BLE %.3f core, FFT-only %.3f core, BLE / FFT "
                   "%.2f (%d/%d advertisements; squelch skipped %.0f%% of the 1M blocks, the "
                   "forward FFT %.0f%% of the blocks)\n",
                   fs / 1e6, ext ? "on" : "off", cpu, fft, cpu / fft, got, want,
                   100.0 * (double)st.squelch_skipped / (double)(st.squelch_blocks + !st.squelch_blocks),
                   100.0 * (double)st.fft_skipped / (double)(st.fft_blocks + !st.fft_blocks));
            if (got != want)
                bad = 1;
        }
        fftwf_free(x);
    }
    if (bad)
        fprintf(stderr, "bench_ble_wide: advertisements missed\n");
    return bad;
}
