/* BLE Remote ID receiver throughput: input mega-samples per second on one core, for
 * several sample rates and channel counts. Fixed-seed input: one Remote ID packet
 * per millisecond on each listened channel at Eb/N0 20 dB; the decoded count is
 * verified so a fast-but-broken receiver does not score. Rates are per CPU-second of
 * this thread (CLOCK_THREAD_CPUTIME_ID). Also times the Wi-Fi
 * Remote ID frame parser (frames/s). Run: ./bench_ble_rx */
#include <complex.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ble_rx.h"
#include "ble_tx.h"
#include "odid.h"
#include "rid_wifi.h"

static uint64_t rng_s = 0xBE7C4u;
static double gauss(void)
{
    rng_s ^= rng_s << 13;
    rng_s ^= rng_s >> 7;
    rng_s ^= rng_s << 17;
    double u = ((rng_s >> 11) + 1.0) / 9007199254740993.0;
    rng_s ^= rng_s << 13;
    rng_s ^= rng_s >> 7;
    rng_s ^= rng_s << 17;
    double v = (rng_s >> 11) / 9007199254740992.0;
    return sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}

static double now(void)
{
    struct timespec ts;
    /* thread CPU time: the 2 cores are shared with other builds, so wall time would
     * measure the neighbours; CPU time measures this code (cache effects remain) */
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void count_pkt(void *user, const ble_rx_packet *p)
{
    if (!p->adv_rc && p->adv.has_odid)
        (*(int *)user)++;
}

static int bench(double fs, double fc, const int *chans, int nch)
{
    const double dur = 0.25; /* s of signal per pass */
    size_t n = (size_t)(fs * dur);
    float complex *x = calloc(n, sizeof *x), *tmp = calloc(n, sizeof *tmp);
    if (!x || !tmp)
        return 1;
    ble_tx_cfg tc;
    ble_tx_cfg_default(&tc);
    tc.sample_rate = fs;
    tc.amplitude = 0.3;
    uint8_t msg[25] = {0x12};
    const uint8_t adva[6] = {1, 2, 3, 4, 5, 0xC0};
    int sent = 0;
    for (int c = 0; c < nch; c++) {
        tc.offset_hz = ble_channel_freq(chans[c]) - fc;
        for (size_t at = (size_t)(fs * 1e-4) * (size_t)(c + 1); at + (size_t)(fs * 5e-4) < n;
             at += (size_t)(fs * 1e-3)) {
            size_t w;
            if (ble_tx_odid(&tc, adva, (uint8_t)sent, msg, chans[c], tmp, n - at, &w, NULL))
                return 1;
            for (size_t i = 0; i < w; i++)
                x[at + i] += tmp[i];
            sent++;
        }
    }
    double s = sqrt(0.09 * fs / 1e6 / pow(10, 2.0) / 2);
    for (size_t i = 0; i < n; i++)
        x[i] += (float)(s * gauss()) + I * (float)(s * gauss());
    ble_rx_cfg rc;
    ble_rx_cfg_default(&rc);
    rc.sample_rate = fs;
    rc.n_channels = nch;
    for (int c = 0; c < nch; c++) {
        rc.channels[c] = chans[c];
        rc.offsets_hz[c] = NAN;
    }
    sg_errinfo e;
    double best = 0;
    int got = 0;
    for (int rep = 0; rep < 3; rep++) {
        ble_rx *q = ble_rx_create(&rc, &e);
        if (!q) {
            fprintf(stderr, "%s\n", e.msg);
            return 1;
        }
        got = 0;
        double t0 = now();
        for (size_t i = 0; i < n; i += 65536) {
            size_t len = n - i < 65536 ? n - i : 65536;
            sg_iq_block b = {.x = x + i, .n = len, .sample_index = i, .sample_rate = fs,
                             .center_freq = fc};
            if (ble_rx_execute(q, &b, count_pkt, &got, &e)) {
                fprintf(stderr, "%s\n", e.msg);
                return 1;
            }
        }
        ble_rx_flush(q, count_pkt, &got);
        double dt = now() - t0;
        ble_rx_destroy(q);
        double msps = n / dt / 1e6;
        if (msps > best)
            best = msps;
    }
    printf("ble_rx fs %4.0f MHz, %d channel(s): %7.1f MS/s per core (%.1fx real time), "
           "decoded %d/%d\n", fs / 1e6, nch, best, best * 1e6 / fs, got, sent);
    free(x);
    free(tmp);
    return got >= sent * 99 / 100 ? 0 : 1;
}

static int bench_wifi(void)
{
    odid_message m[5];
    odid_message_init(&m[0], ODID_MT_BASIC_ID);
    odid_message_init(&m[1], ODID_MT_LOCATION);
    m[1].u.location.lat_deg = 1;
    m[1].u.location.lon_deg = 1;
    odid_message_init(&m[2], ODID_MT_SELF_ID);
    odid_message_init(&m[3], ODID_MT_SYSTEM);
    odid_message_init(&m[4], ODID_MT_OPERATOR_ID);
    uint8_t pack[200], fr[300], rt[320] = {0, 0, 8, 0};
    size_t pl, fl;
    const uint8_t mac[6] = {2, 0, 0, 0, 0, 1};
    if (odid_encode_pack(m, 5, pack, sizeof pack, &pl) ||
        rid_wifi_build_beacon(mac, "BENCH", 1, pack, pl, fr, sizeof fr, &fl))
        return 1;
    memcpy(rt + 8, fr, fl);
    const int N = 1000000;
    int ok = 0;
    double t0 = now();
    for (int i = 0; i < N; i++) {
        rid_wifi_frame f;
        rt[8 + 22] = (uint8_t)i; /* keep the compiler honest */
        ok += rid_wifi_parse_radiotap(rt, 8 + fl, &f, NULL) == 0 && f.n_msgs == 5;
    }
    double dt = now() - t0;
    printf("rid_wifi_parse_radiotap (5-message beacon): %.2f M frames/s per core, ok %d/%d\n",
           N / dt / 1e6, ok, N);
    return ok == N ? 0 : 1;
}

int main(void)
{
    int rc = 0;
    const int c37[1] = {37}, c3738[2] = {37, 38};
    rc |= bench(4e6, 2402e6, c37, 1);
    rc |= bench(8e6, 2402e6, c37, 1);
    rc |= bench(32e6, 2414e6, c3738, 2);
    rc |= bench_wifi();
    return rc;
}
