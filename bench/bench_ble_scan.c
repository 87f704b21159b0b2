/* The daemon's BLE scanner (dsp/ble_scan.c) on one IQ stream, as a ratio to real time
 * on one core: seconds of IQ per CPU-second of this thread (CLOCK_THREAD_CPUTIME_ID;
 * > 1 keeps up). Cases: legacy only (extended off), extended with the defaults (Coded
 * on the secondary channels) and extended with every receiver (coded_primary, and 1M on
 * the secondary channels too), at 4 Msps centred on 2403 MHz (channel 37 + secondary
 * 0) and 8 Msps on 2404 MHz (37 + 0 + 1). Fixed-seed
 * input: 2 s of noise with a Long Range advertisement every 50 ms (ADV_EXT_IND on 37,
 * AUX_ADV_IND with a 2-message Remote ID pack on channel 0, Coded S=8) and a legacy
 * Remote ID packet on 37 every 50 ms; the delivered count is checked so a
 * fast-but-broken scanner does not score. Run: ./bench_ble_scan */
#include <complex.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ble_scan.h"
#include "ble_tx.h"
#include "bench_ble_pkt.h"
#include "bench_rng.h"
#include "sg_clock.h"

static bench_rng rng = {0x5CA4B3u};

static int got;
static void on_rid(void *user, const ble_scan_rid *r)
{
    (void)user;
    (void)r;
    got++;
}

static int add(float complex *x, size_t n, size_t at, const ble_tx_cfg *tc, int ch, int s,
               const uint8_t *pdu, size_t len, float complex *tmp, size_t cap)
{
    size_t m;
    sg_errinfo e;
    int rc = s ? ble_tx_coded(tc, pdu, len, ch, s, tmp, cap, &m, &e)
               : ble_tx_pdu(tc, pdu, len, ch, tmp, cap, &m, &e);
    if (rc)
        return rc;
    for (size_t i = 0; i < m && at + i < n; i++)
        x[at + i] += tmp[i];
    return 0;
}

static int run(double fs, double fc, int mode, int *sent, double *ratio)
{
    const double dur = 2.0;
    size_t n = (size_t)(fs * dur), cap = (size_t)(fs * 0.02);
    float complex *x = calloc(n, sizeof *x), *tmp = malloc(cap * sizeof *tmp);
    if (!x || !tmp)
        return -1;
    ble_tx_cfg tc;
    ble_tx_cfg_default(&tc);
    tc.sample_rate = fs;
    tc.amplitude = 0.3;
    bench_ble_pkt k;
    uint8_t ad[80], pdu[BLE_EXT_PDU_MAX];
    size_t len;
    if (bench_ble_pkt_make(&k, "BENCH-LR-0001"))
        return -1;
    *sent = 0;
    for (size_t at = (size_t)(fs * 0.001); at + cap < n; at += (size_t)(fs * 0.05)) {
        ble_ext_adv p = {.has_adi = true, .did = 1, .sid = 1, .has_aux = true, .aux_channel = 0,
                         .aux_phy = BLE_PHY_CODED, .aux_offset_us = 3000};
        ble_ext_adv a = {.tx_random = true, .has_adva = true, .has_adi = true, .did = 1,
                         .sid = 1, .adv_data = ad,
                         .adv_data_len = ble_ad_odid(0, k.pack, k.plen, ad)};
        memcpy(a.adva, k.adva, 6);
        tc.offset_hz = ble_channel_freq(37) - fc;
        if (ble_ext_build(&p, pdu, sizeof pdu, &len) ||
            add(x, n, at, &tc, 37, 8, pdu, len, tmp, cap) ||
            add(x, n, at + (size_t)(fs * 0.03), &tc, 37, 0, k.leg, k.ll, tmp, cap))
            return -1;
        tc.offset_hz = ble_channel_freq(0) - fc;
        if (ble_ext_build(&a, pdu, sizeof pdu, &len) ||
            add(x, n, at + (size_t)(fs * 0.003), &tc, 0, 8, pdu, len, tmp, cap))
            return -1;
        *sent += mode ? 2 : 1;
    }
    double sd = 0.3 / sqrt(2 * pow(10, 2.0)); /* 20 dB SNR per sample at 1 MHz bandwidth-ish */
    for (size_t i = 0; i < n; i++)
        x[i] += (float)(sd * bench_gauss(&rng)) + I * (float)(sd * bench_gauss(&rng));
    ble_scan_cfg c;
    ble_scan_cfg_default(&c);
    c.legacy.sample_rate = fs;
    c.legacy.offsets_hz[0] = NAN;
    c.extended = mode > 0;
    c.coded_primary = c.sec_1m = mode == 2;
    sg_errinfo e;
    ble_scan *q = ble_scan_create(&c, &e);
    if (!q)
        return -1;
    got = 0;
    const size_t blk = 16384;
    double t0 = sg_clock_s(CLOCK_THREAD_CPUTIME_ID);
    for (size_t off = 0; off < n; off += blk) {
        sg_iq_block b = {.x = x + off, .n = off + blk <= n ? blk : n - off, .sample_index = off,
                         .sample_rate = fs, .center_freq = fc};
        if (ble_scan_execute(q, &b, on_rid, NULL, &e))
            return -1;
    }
    ble_scan_flush(q, on_rid, NULL);
    double cpu = sg_clock_s(CLOCK_THREAD_CPUTIME_ID) - t0;
    ble_scan_destroy(q);
    free(x);
    free(tmp);
    *ratio = dur / cpu;
    if (got < *sent * 9 / 10) {
        fprintf(stderr, "bench_ble_scan: only %d of %d advertisements decoded\n", got, *sent);
        return -1;
    }
    return 0;
}

int main(void)
{
    const double rates[] = {4e6, 8e6}, centres[] = {2403e6, 2404e6};
    printf("BLE scanner (legacy 1M + Coded extended advertising), ratio to real time per core\n");
    static const char *const modes[] = {"extended off", "extended (defaults)",
                                        "extended + coded_primary + 1M secondary"};
    for (int i = 0; i < 2; i++)
        for (int mode = 0; mode < 3; mode++) {
            int sent;
            double r;
            if (run(rates[i], centres[i], mode, &sent, &r))
                return 1;
            printf("  %.0f Msps, %s: %.2fx real time (%d/%d advertisements)\n", rates[i] / 1e6,
                   modes[mode], r, got, sent);
        }
    return 0;
}
