/* Bluetooth LE Coded PHY receiver cost per channel (dsp/ble_coded.c) at 4 and 8 Msps,
 * as a ratio to real time on one core: seconds of IQ processed per CPU-second of this
 * thread (CLOCK_THREAD_CPUTIME_ID; > 1 keeps up). Fixed-seed input: 2 s of noise with
 * one 62-byte advertising PDU every 20 ms, alternating S=8 and S=2, Eb/N0 15 dB for S=2 (21 dB for S=8); the
 * delivered count is checked so a fast-but-broken receiver does not score. Also the
 * noise-only rate (the detector's floor cost). Run: ./bench_ble_coded */
#include <complex.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ble_coded.h"
#include "ble_tx.h"
#include "bench_rng.h"
#include "sg_clock.h"

static bench_rng rng = {0xC0DEB3u};

static int got;
static void on_pkt(void *user, const ble_coded_packet *p)
{
    (void)user;
    (void)p;
    got++;
}

static int run(double fs, bool packets, double *ratio)
{
    const double dur = 2.0;
    size_t n = (size_t)(fs * dur);
    float complex *x = calloc(n, sizeof *x);
    if (!x)
        return -1;
    int sent = 0;
    if (packets) {
        ble_tx_cfg tc;
        ble_tx_cfg_default(&tc);
        tc.sample_rate = fs;
        tc.amplitude = 0.3;
        size_t cap = (size_t)(fs * 0.02);
        float complex *tmp = malloc(cap * sizeof *tmp);
        uint8_t pdu[62] = {0x47, 60}, sym[BLE_CODED_MAX_SYMBOLS];
        for (size_t at = (size_t)(fs * 0.001); at + cap < n; at += cap) {
            for (int i = 2; i < 62; i++)
                pdu[i] = (uint8_t)(bench_urand(&rng) * 256);
            size_t ns, m;
            sg_errinfo e;
            int s = sent % 2 ? 2 : 8;
            if (ble_coded_symbols(pdu, sizeof pdu, 37, s, sym, sizeof sym, &ns) ||
                ble_tx_modulate(&tc, sym, ns, tmp, cap, &m, &e))
                return -1;
            memcpy(x + at, tmp, m * sizeof *tmp);
            sent++;
        }
        free(tmp);
    }
    double es = 0.09 * fs / 1e6, sd = sqrt(es * 2 / pow(10, 1.5) / 2); /* 15 dB at S=2 */
    for (size_t i = 0; i < n; i++)
        x[i] += (float)(sd * bench_gauss(&rng)) + I * (float)(sd * bench_gauss(&rng));
    ble_coded_cfg c;
    ble_coded_cfg_default(&c);
    c.sample_rate = fs;
    sg_errinfo e;
    ble_coded_rx *rx = ble_coded_create(&c, &e);
    if (!rx)
        return -1;
    got = 0;
    const size_t blk = 16384;
    double t0 = sg_clock_s(CLOCK_THREAD_CPUTIME_ID);
    for (size_t off = 0; off < n; off += blk) {
        sg_iq_block b = {.x = x + off, .n = off + blk <= n ? blk : n - off, .sample_index = off,
                         .sample_rate = fs};
        ble_coded_execute(rx, &b, on_pkt, NULL, &e);
    }
    ble_coded_flush(rx, on_pkt, NULL);
    double cpu = sg_clock_s(CLOCK_THREAD_CPUTIME_ID) - t0;
    ble_coded_destroy(rx);
    free(x);
    *ratio = dur / cpu;
    if (packets && got < sent * 9 / 10) {
        fprintf(stderr, "bench_ble_coded: only %d of %d packets decoded\n", got, sent);
        return -1;
    }
    return sent;
}

int main(void)
{
    const double rates[] = {4e6, 8e6};
    printf("BLE Coded PHY receiver, one channel, ratio to real time per core (CPU time)\n");
    for (int i = 0; i < 2; i++) {
        double r_pk, r_noise;
        int sent = run(rates[i], true, &r_pk), decoded = got;
        if (sent < 0 || run(rates[i], false, &r_noise) < 0)
            return 1;
        printf("  %.0f Msps: %.2fx real time with a packet every 20 ms (%d/%d decoded), %.2fx "
               "on noise only\n",
               rates[i] / 1e6, r_pk, decoded, sent, r_noise);
    }
    return 0;
}
