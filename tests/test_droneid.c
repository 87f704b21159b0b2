/* DJI DroneID: own modulator -> receiver round trips (bit-exact payload and turbo
 * block) over sample-rate, CFO and SNR grids; hostile inputs (noise, corrupted data
 * symbols, truncation, NaN, silence) fail cleanly; payload codec; tracker bridge;
 * burst finder. Fixed seeds. */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "droneid.h"
#include "droneid_burst.h"
#include "droneid_enc.h"
#include "sg_crc.h"
#include "test_lcg.h"


/* A plausible random message (every field exercised). */
static void random_msg(droneid_msg *m)
{
    droneid_msg_init(m);
    m->seq = (uint16_t)rnd();
    m->state_info = (uint16_t)rnd();
    int sl = 10 + (int)(rnd() % 7);
    for (int i = 0; i < sl; i++)
        m->serial[i] = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"[rnd() % 34];
    m->lat_deg = -89 + 178 * urand();
    m->lon_deg = -179 + 358 * urand();
    m->altitude_m = (double)(int)(rnd() % 2000) - 200;
    m->height_m = (double)(int)(rnd() % 500);
    m->v_north = ((int)(rnd() % 4001) - 2000) / 100.0;
    m->v_east = ((int)(rnd() % 4001) - 2000) / 100.0;
    m->v_up = ((int)(rnd() % 1001) - 500) / 100.0;
    m->yaw_deg = ((int)(rnd() % 36001) - 18000) / 100.0;
    m->gps_time_ms = 1700000000000ull + rnd();
    m->pilot_lat_deg = m->lat_deg + 0.01 * (urand() - 0.5);
    m->pilot_lon_deg = m->lon_deg + 0.01 * (urand() - 0.5);
    m->home_lat_deg = m->pilot_lat_deg;
    m->home_lon_deg = m->pilot_lon_deg;
    m->product_type = 58;
    snprintf(m->uuid, sizeof m->uuid, "%019u", (unsigned)rnd());
}

/* Burst at foff + cfo inside pad samples of noise on each side; noise density set so
 * the in-band (9 MHz) SNR is snr_db. Returns malloc'd buffer of *n samples. */
static float complex *make_capture(const droneid_msg *m, int nsym, double fs, double foff,
                                   double cfo, double snr_db, size_t pad, size_t *n)
{
    size_t bl = droneid_mod_len(fs, nsym);
    *n = bl + 2 * pad;
    float complex *x = calloc(*n, sizeof *x);
    assert_non_null(x);
    droneid_mod_cfg cfg = {nsym, 0.1};
    size_t got = 0;
    assert_int_equal(droneid_modulate_cfg(m, &cfg, fs, foff + cfo, x + pad, bl, &got), SG_OK);
    assert_int_equal(got, bl);
    double nsd = sqrt(0.01 * (fs / 9e6) / pow(10, snr_db / 10) / 2);
    for (size_t i = 0; i < *n; i++)
        x[i] += (float)(nsd * gauss()) + I * (float)(nsd * gauss());
    return x;
}

static void test_payload_roundtrip(void **st)
{
    (void)st;
    rng = 7;
    for (int t = 0; t < 50; t++) {
        droneid_msg m, p;
        uint8_t raw[DRONEID_PAYLOAD_LEN];
        random_msg(&m);
        assert_int_equal(droneid_pack(&m, raw), SG_OK);
        assert_int_equal(raw[0], 88);
        assert_int_equal(raw[1], 0x10);
        droneid_parse(raw, &p);
        assert_true(p.crc16_ok);
        assert_string_equal(p.serial, m.serial);
        assert_string_equal(p.uuid, m.uuid);
        /* wire quantisation: 1e-7 rad = 5.7e-6 deg; 0.01 m/s; 1 m */
        assert_true(fabs(p.lat_deg - m.lat_deg) < 6e-6);
        assert_true(fabs(p.lon_deg - m.lon_deg) < 6e-6);
        assert_true(fabs(p.pilot_lat_deg - m.pilot_lat_deg) < 6e-6);
        assert_true(fabs(p.home_lon_deg - m.home_lon_deg) < 6e-6);
        assert_true(fabs(p.altitude_m - m.altitude_m) < 0.5);
        assert_true(fabs(p.v_north - m.v_north) < 0.006);
        assert_true(fabs(p.yaw_deg - m.yaw_deg) < 0.006);
        assert_int_equal(p.gps_time_ms, m.gps_time_ms);
        assert_int_equal(p.seq, m.seq);
        assert_int_equal(p.state_info, m.state_info);
        /* packing the parsed message reproduces the bytes */
        uint8_t raw2[DRONEID_PAYLOAD_LEN];
        assert_int_equal(droneid_pack(&p, raw2), SG_OK);
        assert_memory_equal(raw, raw2, DRONEID_PAYLOAD_LEN);
        /* one flipped bit breaks the CRC-16 */
        raw[10 + t % 70] ^= (uint8_t)(1 << (t % 8));
        droneid_parse(raw, &p);
        assert_false(p.crc16_ok);
    }
    droneid_msg m;
    uint8_t raw[DRONEID_PAYLOAD_LEN];
    droneid_msg_init(&m);
    m.lat_deg = 91;
    assert_int_equal(droneid_pack(&m, raw), SG_ERANGE);
    droneid_msg_init(&m);
    m.altitude_m = 40000;
    assert_int_equal(droneid_pack(&m, raw), SG_ERANGE);
    droneid_msg_init(&m);
    m.v_east = 400; /* 40000 cm/s does not fit int16 */
    assert_int_equal(droneid_pack(&m, raw), SG_ERANGE);
    droneid_msg_init(&m);
    m.lon_deg = NAN;
    assert_int_equal(droneid_pack(&m, raw), SG_ERANGE);
    assert_int_equal(droneid_layout_check(), SG_OK);
    assert_int_equal(droneid_layout_get(9)->len, 9880); /* 643.2 us at 15.36 Msps */
    assert_int_equal(droneid_layout_get(8)->len, 8784); /* 571.9 us */
    assert_null(droneid_layout_get(7));
    assert_string_equal(droneid_product_name(58), "Mavic Air 2");
    assert_string_equal(droneid_product_name(250), "unknown");
}

/* Encoder block structure: payload, 82 zero bytes, CRC-24A; coded bits scrambled. */
static void test_encode_bits(void **st)
{
    (void)st;
    rng = 3;
    droneid_msg m;
    uint8_t raw[DRONEID_PAYLOAD_LEN], block[DRONEID_BLOCK_BYTES], coded[DRONEID_E];
    random_msg(&m);
    assert_int_equal(droneid_pack(&m, raw), SG_OK);
    assert_int_equal(droneid_encode_bits(raw, block, coded), SG_OK);
    assert_memory_equal(block, raw, DRONEID_PAYLOAD_LEN);
    for (int i = DRONEID_PAYLOAD_LEN; i < DRONEID_BLOCK_BYTES - 3; i++)
        assert_int_equal(block[i], 0);
    assert_int_equal(sg_crc(&SG_CRC24A, block, DRONEID_BLOCK_BYTES), 0);
    int ones = 0;
    for (int i = 0; i < DRONEID_E; i++)
        ones += coded[i];
    assert_true(ones > 3300 && ones < 3900); /* scrambled: balanced */
}

typedef struct {
    double fs, foff;
} rate_case;

/* Round trip over rates x CFOs x SNRs: the decoded payload and the whole 176-byte
 * turbo block must equal what was sent, bit for bit. Limits: in-band SNR >= 0 dB,
 * residual CFO within +-200 kHz of the announced offset. */
static void test_roundtrip_grid(void **st)
{
    (void)st;
    const rate_case rates[] = {{15.36e6, 0}, {30.72e6, -4e6}, {50e6, 7.5e6}};
    const double cfos[] = {-200e3, -33e3, -7.4e3, 0, 1.1e3, 7.6e3, 45e3, 200e3};
    const double snrs[] = {30, 10, 3, 0};
    int cases = 0;
    rng = 2024;
    for (size_t r = 0; r < 3; r++) {
        sg_errinfo e;
        droneid_rx *q = droneid_rx_create(rates[r].fs, &e);
        assert_non_null(q);
        for (size_t c = 0; c < 8; c++)
            for (size_t s = 0; s < 4; s++) {
                droneid_msg m, out;
                droneid_diag d;
                uint8_t raw[DRONEID_PAYLOAD_LEN], block[DRONEID_BLOCK_BYTES],
                    coded[DRONEID_E];
                random_msg(&m);
                assert_int_equal(droneid_pack(&m, raw), SG_OK);
                assert_int_equal(droneid_encode_bits(raw, block, coded), SG_OK);
                size_t n, pad = (size_t)(rates[r].fs * (50e-6 + 100e-6 * urand()));
                float complex *x = make_capture(&m, 9, rates[r].fs, rates[r].foff, cfos[c],
                                                snrs[s], pad, &n);
                int rc = droneid_rx_decode(q, x, n, rates[r].foff, &out, &d);
                if (rc != SG_OK || memcmp(out.raw, raw, sizeof raw) != 0 ||
                    memcmp(d.block, block, sizeof block) != 0)
                    fail_msg("fs %g cfo %g snr %g: rc %d stage %d cfo found %.1f zc %.2f "
                             "evm %.1f (seed 2024, case %d)",
                             rates[r].fs, cfos[c], snrs[s], rc, d.stage, d.cfo_hz,
                             d.zc_metric, d.evm_db, cases);
                assert_true(d.crc24_ok && d.crc16_ok && out.crc16_ok);
                assert_int_equal(d.nsym, 9);
                assert_int_equal(out.nsym, 9); /* the layout reaches the message */
                assert_true(fabs(d.cfo_hz - cfos[c]) < 300);
                assert_true(fabs(d.start_s - (double)pad / rates[r].fs) < 0.3e-6);
                /* raw QPSK bit errors in the known symbol: none at 30 dB, a few at 10 */
                if (snrs[s] >= 30)
                    assert_int_equal(d.known_sym_errors, 0);
                else if (snrs[s] >= 10)
                    assert_true(d.known_sym_errors <= 6);
                free(x);
                cases++;
            }
        droneid_rx_destroy(q);
    }
    printf("round trip: %d cases bit-exact\n", cases);
}

/* The receiver's SSE paths (droneid_rx_set_simd) against its scalar loops: the same
 * return code, message and droneid_diag, bit for bit, on bursts that decode (30, 3 dB),
 * that sync but fail the CRC (-5 dB: every turbo iteration runs), 8-symbol ones, noise
 * alone, at 15.36 (no resampler), 50 and 200 Msps. */
static void test_simd_same_result(void **st)
{
    (void)st;
    const rate_case rates[] = {{15.36e6, 0}, {50e6, 7.5e6}, {200e6, -30e6}};
    const double snrs[] = {30, 3, -5, -99}; /* -99: no burst, noise only */
    int cases = 0, decoded = 0;
    rng = 2025;
    for (size_t r = 0; r < 3; r++) {
        sg_errinfo e;
        droneid_rx *q = droneid_rx_create(rates[r].fs, &e);
        assert_non_null(q);
        assert_int_equal(droneid_rx_set_simd(NULL, true), SG_EINVAL);
        for (size_t s = 0; s < 4; s++)
            for (int nsym = 8; nsym <= 9; nsym++) {
                droneid_msg m, out[2];
                droneid_diag d[2];
                random_msg(&m);
                size_t n, pad = (size_t)(rates[r].fs * (50e-6 + 100e-6 * urand()));
                float complex *x = make_capture(&m, nsym, rates[r].fs, rates[r].foff, 3e3,
                                                snrs[s] < -50 ? 30 : snrs[s], pad, &n);
                if (snrs[s] < -50) /* the noise of make_capture alone, at 30 dB's level */
                    for (size_t i = 0; i < n; i++)
                        x[i] = 0.05f * (float)gauss() + I * 0.05f * (float)gauss();
                int rc[2];
                for (int v = 0; v < 2; v++) {
                    int src = droneid_rx_set_simd(q, v == 0);
                    if (src == SG_ENOTSUP)
                        skip(); /* no SSE2 in this build: one path only */
                    assert_int_equal(src, SG_OK);
                    memset(&out[v], 0, sizeof out[v]);
                    memset(&d[v], 0, sizeof d[v]);
                    rc[v] = droneid_rx_decode(q, x, n, rates[r].foff, &out[v], &d[v]);
                }
                if (rc[0] != rc[1] || memcmp(&d[0], &d[1], sizeof d[0]) != 0 ||
                    (rc[0] == SG_OK && memcmp(&out[0], &out[1], sizeof out[0]) != 0))
                    fail_msg("fs %g snr %g nsym %d (seed 2025): SSE rc %d stage %d, scalar rc %d "
                             "stage %d",
                             rates[r].fs, snrs[s], nsym, rc[0], d[0].stage, rc[1], d[1].stage);
                decoded += rc[0] == SG_OK;
                free(x);
                cases++;
            }
        droneid_rx_destroy(q);
    }
    printf("SSE vs scalar receiver: %d cases (%d decoded) bit-identical\n", cases, decoded);
    assert_true(decoded >= 8 && decoded < cases); /* both outcomes exercised */
}

/* Multipath within the cyclic prefix (3 paths up to 2 us, random phases; 4.7 us CP):
 * the ZC channel estimate absorbs it; 20 bursts at 10 dB must all decode bit-exactly. */
static void test_multipath(void **st)
{
    (void)st;
    rng = 31;
    const double fs = 30.72e6;
    sg_errinfo e;
    droneid_rx *q = droneid_rx_create(fs, &e);
    assert_non_null(q);
    for (int t = 0; t < 20; t++) {
        droneid_msg m, out;
        droneid_diag d;
        random_msg(&m);
        size_t n;
        float complex *x = make_capture(&m, 9, fs, 0, 3e3, 200, 2000, &n);
        float complex *y = calloc(n, sizeof *y);
        assert_non_null(y);
        const int delay[3] = {0, 15, 61}; /* samples at 30.72 Msps: 0, 0.49, 1.99 us */
        const double gain[3] = {1.0, 0.6, 0.35};
        for (int p = 0; p < 3; p++) {
            float complex g = (float)gain[p] * (float complex)cexp(2.0 * M_PI * I * urand());
            for (size_t i = (size_t)delay[p]; i < n; i++)
                y[i] += g * x[i - (size_t)delay[p]];
        }
        double nsd = sqrt(0.01 * (fs / 9e6) / 10.0 / 2); /* 10 dB against the direct path */
        for (size_t i = 0; i < n; i++)
            y[i] += (float)(nsd * gauss()) + I * (float)(nsd * gauss());
        int rc = droneid_rx_decode(q, y, n, 0, &out, &d);
        if (rc != SG_OK)
            fail_msg("multipath trial %d: rc %d stage %d evm %.1f", t, rc, d.stage, d.evm_db);
        uint8_t raw[DRONEID_PAYLOAD_LEN];
        assert_int_equal(droneid_pack(&m, raw), SG_OK);
        assert_memory_equal(out.raw, raw, sizeof raw);
        free(x);
        free(y);
    }
    droneid_rx_destroy(q);
}

/* Legacy 8-symbol bursts decode too and are reported as such. */
static void test_legacy_layout(void **st)
{
    (void)st;
    rng = 99;
    sg_errinfo e;
    droneid_rx *q = droneid_rx_create(30.72e6, &e);
    assert_non_null(q);
    droneid_msg m, out;
    droneid_diag d;
    random_msg(&m);
    size_t n;
    float complex *x = make_capture(&m, 8, 30.72e6, 1e6, 2.5e3, 15, 3000, &n);
    int rc = droneid_rx_decode(q, x, n, 1e6, &out, &d);
    if (rc)
        fail_msg("legacy: rc %d stage %d nsym %d zc %.2f known %d evm %.1f", rc, d.stage,
                 d.nsym, d.zc_metric, d.known_sym_errors, d.evm_db);
    assert_int_equal(d.nsym, 8);
    assert_int_equal(out.nsym, 8); /* legacy layout reported with the message */
    assert_memory_equal(out.raw, m.raw, 0); /* m.raw unset by modulate (const) */
    uint8_t raw[DRONEID_PAYLOAD_LEN];
    assert_int_equal(droneid_pack(&m, raw), SG_OK);
    assert_memory_equal(out.raw, raw, sizeof raw);
    free(x);
    droneid_rx_destroy(q);
}

/* Below the decoding limit, on noise, silence, corrupted or truncated bursts: a
 * clean error code, never SG_OK with a wrong message, never a crash. */
static void test_hostile_inputs(void **st)
{
    (void)st;
    rng = 5;
    sg_errinfo e;
    assert_null(droneid_rx_create(1e6, &e));
    assert_int_equal(e.code, SG_EINVAL);
    assert_null(droneid_rx_create(NAN, &e));
    droneid_rx *q = droneid_rx_create(50e6, &e);
    assert_non_null(q);
    droneid_msg m, out;
    droneid_diag d;
    random_msg(&m);
    size_t n;
    float complex *x = make_capture(&m, 9, 50e6, 0, 0, 20, 5000, &n);

    /* data symbols overwritten by noise: sync works, CRC fails */
    const droneid_layout *l = droneid_layout_get(9);
    double r = 50e6 / DRONEID_FS;
    float complex *y = malloc(n * sizeof *y);
    assert_non_null(y);
    memcpy(y, x, n * sizeof *y);
    for (int k = 0; k < 6; k++) {
        int s = l->data_sym[k];
        if (k == 5)
            continue; /* corrupt 5 of the 6 data symbols (the code survives 3) */
        size_t a = 5000 + (size_t)(l->start[s] * r), b = 5000 + (size_t)(l->start[s + 1] * r);
        for (size_t i = a; i < b; i++)
            y[i] = (float)(0.1 * gauss()) + I * (float)(0.1 * gauss());
    }
    assert_int_equal(droneid_rx_decode(q, y, n, 0, &out, &d), SG_ECRC);
    assert_int_equal(d.stage, DRONEID_STAGE_TURBO);
    assert_false(d.crc24_ok);

    /* pure noise and silence */
    for (size_t i = 0; i < n; i++)
        y[i] = (float)(0.1 * gauss()) + I * (float)(0.1 * gauss());
    int rc = droneid_rx_decode(q, y, n, 0, &out, &d);
    assert_true(rc == SG_ENOTFOUND || rc == SG_ECRC);
    memset(y, 0, n * sizeof *y);
    rc = droneid_rx_decode(q, y, n, 0, &out, &d);
    assert_true(rc == SG_ENOTFOUND || rc == SG_ECRC);

    /* far below the limit */
    free(x);
    x = make_capture(&m, 9, 50e6, 0, 0, -12, 5000, &n);
    rc = droneid_rx_decode(q, x, n, 0, &out, &d);
    assert_true(rc == SG_ENOTFOUND || rc == SG_ECRC);

    /* a front end that trims 5 us off both edges of the burst: still decodes */
    free(x);
    x = make_capture(&m, 9, 50e6, 0, 0, 20, 500, &n);
    size_t trim = (size_t)(5e-6 * 50e6);
    rc = droneid_rx_decode(q, x + 500 + trim, droneid_mod_len(50e6, 9) - 2 * trim, 0, &out, &d);
    if (rc != SG_OK)
        fail_msg("trimmed burst: rc %d stage %d", rc, d.stage);
    uint8_t rawm[DRONEID_PAYLOAD_LEN];
    assert_int_equal(droneid_pack(&m, rawm), SG_OK);
    assert_memory_equal(out.raw, rawm, sizeof rawm);
    assert_true(fabs(d.start_s + 5e-6) < 0.3e-6);

    /* truncation: cut in the middle of the burst, tiny, and empty */
    free(x);
    x = make_capture(&m, 9, 50e6, 0, 0, 20, 500, &n);
    size_t cut = 500 + droneid_mod_len(50e6, 9) * 7 / 10;
    rc = droneid_rx_decode(q, x, cut, 0, &out, &d);
    assert_int_not_equal(rc, SG_OK);
    assert_int_equal(droneid_rx_decode(q, x, 100, 0, &out, &d), SG_ETRUNC);
    assert_int_equal(droneid_rx_decode(q, x, 0, 0, &out, &d), SG_ETRUNC);

    /* bad arguments */
    x[1000] = NAN;
    assert_int_equal(droneid_rx_decode(q, x, n, 0, &out, &d), SG_EINVAL);
    assert_int_equal(droneid_rx_decode(q, x, n, NAN, &out, &d), SG_EINVAL);
    assert_int_equal(droneid_rx_decode(q, x, n, 30e6, &out, &d), SG_EINVAL);
    assert_int_equal(droneid_rx_decode(q, NULL, n, 0, &out, &d), SG_EINVAL);
    assert_int_equal(droneid_rx_decode(q, x, (size_t)(50e6 * 0.05), 0, &out, &d), SG_ERANGE);
    free(x);
    free(y);

    /* modulator arguments */
    float complex buf[16];
    size_t got;
    assert_int_equal(droneid_modulate(&m, 50e6, 0, buf, 16, &got), SG_EOVERFLOW);
    assert_int_equal(droneid_modulate(&m, 10e6, 0, buf, 16, &got), SG_ERANGE);
    assert_int_equal(droneid_modulate(&m, 50e6, 21e6, buf, 16, &got), SG_ERANGE);
    droneid_mod_cfg bad = {7, 0.1};
    assert_int_equal(droneid_modulate_cfg(&m, &bad, 50e6, 0, buf, 16, &got), SG_EINVAL);
    assert_int_equal(droneid_mod_len(50e6, 7), 0);
    droneid_rx_destroy(q);
}

static void test_measurement(void **st)
{
    (void)st;
    droneid_msg m;
    droneid_msg_init(&m);
    snprintf(m.serial, sizeof m.serial, "1WNBH3900201N1");
    m.lat_deg = 51.446356, m.lon_deg = 7.267219, m.altitude_m = 141;
    m.v_north = 1.5, m.v_east = -2.0, m.v_up = 0.25;
    m.pilot_lat_deg = 51.44623, m.pilot_lon_deg = 7.267104;
    sg_measurement z;
    assert_int_equal(droneid_to_measurement(&m, 1000.5, 2, &z), SG_OK);
    assert_int_equal(z.type, SG_MEAS_POS_WGS84);
    assert_true(fabs(z.z[0] - 51.446356 * M_PI / 180) < 1e-12);
    assert_true(fabs(z.z[1] - 7.267219 * M_PI / 180) < 1e-12);
    assert_true(fabs(z.z[2] - 141) < 1e-12);
    assert_true(z.R[0] > 0 && z.R[4] > z.R[0] && z.R[8] == 100);
    assert_true(z.has_vel && z.vel_enu[0] == -2.0 && z.vel_enu[1] == 1.5);
    assert_string_equal(z.identity, "1WNBH3900201N1");
    assert_string_equal(z.cls, "dji_droneid");
    assert_true(z.has_operator && fabs(z.operator_lat - 51.44623 * M_PI / 180) < 1e-12);
    assert_true(isnan(z.operator_alt));
    assert_int_equal(z.sensor, 2);
    m.pilot_lat_deg = m.pilot_lon_deg = 0;
    assert_int_equal(droneid_to_measurement(&m, 1, 0, &z), SG_OK);
    assert_false(z.has_operator);
    m.lat_deg = m.lon_deg = 0; /* no GNSS fix yet */
    assert_int_equal(droneid_to_measurement(&m, 1, 0, &z), SG_EINVAL);
    m.lat_deg = 95;
    assert_int_equal(droneid_to_measurement(&m, 1, 0, &z), SG_EINVAL);
    assert_int_equal(droneid_to_measurement(&m, NAN, 0, &z), SG_EINVAL);

    /* the front-end shape gate: tests/test_droneid_burst.c */
}

/* The receiver's 1024-point FFT: the DFT (forward e^-2pi i kn/N, inverse e^+, no
 * scaling) within float rounding, and bit for bit the textbook radix-2 decimation in
 * time with C's complex arithmetic (the form every decoder figure was measured with:
 * its written-out products must not change a single result). Fixed seed 11. */
static void radix2_textbook(float complex *x, const float complex *tw, int inverse)
{
    const int n = DRONEID_NFFT;
    for (int i = 1, j = 0; i < n; i++) {
        int bit = n >> 1;
        for (; j & bit; bit >>= 1)
            j ^= bit;
        j ^= bit;
        if (i < j) {
            float complex t = x[i];
            x[i] = x[j];
            x[j] = t;
        }
    }
    for (int len = 2; len <= n; len <<= 1)
        for (int i = 0; i < n; i += len)
            for (int k = 0; k < len / 2; k++) {
                float complex w = inverse ? conjf(tw[k * (n / len)]) : tw[k * (n / len)];
                float complex u = x[i + k], v = x[i + k + len / 2] * w;
                x[i + k] = u + v;
                x[i + k + len / 2] = u - v;
            }
}

static void test_fft(void **st)
{
    (void)st;
    static float complex tw[DRONEID_NFFT / 2], x[DRONEID_NFFT], a[DRONEID_NFFT],
        b[DRONEID_NFFT];
    droneid_fft_twiddles(tw);
    srand(11);
    for (int t = 0; t < 60; t++) {
        float scale = t % 3 == 0 ? 1e-6f : t % 3 == 1 ? 1.0f : 3e4f;
        for (int i = 0; i < DRONEID_NFFT; i++)
            x[i] = scale * CMPLXF(rand() / (float)RAND_MAX - 0.5f, rand() / (float)RAND_MAX - 0.5f);
        for (int inv = 0; inv < 2; inv++) {
            memcpy(a, x, sizeof x);
            memcpy(b, x, sizeof x);
            droneid_fft(a, tw, inv);
            radix2_textbook(b, tw, inv);
            if (memcmp(a, b, sizeof a) != 0)
                fail_msg("seed 11 trial %d inverse %d: not the textbook radix-2's bits", t, inv);
            if (t % 20 == 1) { /* the DFT itself, in double, at a few bins */
                for (int k = 0; k < DRONEID_NFFT; k += 97) {
                    double complex d = 0;
                    for (int i = 0; i < DRONEID_NFFT; i++)
                        d += x[i] * cexp((inv ? 2 : -2) * M_PI * I * (double)k * i / DRONEID_NFFT);
                    if (cabs(a[k] - d) > 1e-4 * sqrt(DRONEID_NFFT) * scale)
                        fail_msg("seed 11 trial %d inverse %d bin %d: %g off the DFT", t, inv, k,
                                 cabs(a[k] - d));
                }
            }
        }
    }
}

/* Four transforms at once (droneid_fft_lanes): every lane holds droneid_fft's bits. */
static void test_fft_lanes(void **st)
{
    (void)st;
    static float complex tw[DRONEID_NFFT / 2], x[DRONEID_LANES][DRONEID_NFFT];
    static droneid_lanes v[DRONEID_NFFT];
    static int rev[DRONEID_NFFT];
    droneid_fft_twiddles(tw);
    droneid_fft_bitrev(rev);
    srand(12);
    for (int t = 0; t < 20; t++)
        for (int inv = 0; inv < 2; inv++) {
            for (int l = 0; l < DRONEID_LANES; l++) {
                float scale = l == 0 ? 1e-6f : l == 1 ? 1.0f : 3e4f;
                for (int i = 0; i < DRONEID_NFFT; i++) {
                    /* lane 3 mostly zeros, as the unused bins of the receiver's searches */
                    x[l][i] = l == 3 && i % 5 ? 0
                                              : scale * CMPLXF(rand() / (float)RAND_MAX - 0.5f,
                                                               rand() / (float)RAND_MAX - 0.5f);
                    v[rev[i]].re[l] = crealf(x[l][i]);
                    v[rev[i]].im[l] = cimagf(x[l][i]);
                }
                droneid_fft(x[l], tw, inv);
            }
            droneid_fft_lanes(v, tw, inv);
            for (int l = 0; l < DRONEID_LANES; l++)
                for (int k = 0; k < DRONEID_NFFT; k++) {
                    float re = v[k].re[l], im = v[k].im[l];
                    if (memcmp(&re, (float *)&x[l][k], sizeof re) ||
                        memcmp(&im, (float *)&x[l][k] + 1, sizeof im))
                        fail_msg("seed 12 trial %d inverse %d lane %d bin %d: not droneid_fft's bits",
                                 t, inv, l, k);
                }
        }
}

static int desc(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x < y) - (x > y);
}

/* The occupancy's top-bin share (a selection, not a full sort) against the sum of the
 * fully sorted bins, bit for bit, with many ties, every window start and sizes 1..w. */
static void test_top_share(void **st)
{
    (void)st;
    static double P[2 * DRONEID_NFFT + 1], bins[DRONEID_NFFT];
    srand(13);
    for (int t = 0; t < 40; t++) {
        for (int k = 0; k < DRONEID_NFFT; k++) /* t even: 8 distinct values, many ties */
            P[k + 1] = t % 2 ? rand() / (double)RAND_MAX : (double)(rand() % 8) * 0.37;
        droneid_power_prefix(P);
        int a = (t * 97) % DRONEID_NFFT, w = t % 3 ? DRONEID_NZC : 1 + (t * 131) % DRONEID_NFFT;
        const int tops[] = {1, 2, 75, w / 8 + 1, w - 1, w};
        for (size_t j = 0; j < sizeof tops / sizeof tops[0]; j++) {
            int top = tops[j];
            if (top < 1 || top > w)
                continue;
            for (int k = 0; k < w; k++)
                bins[k] = P[a + k + 1] - P[a + k];
            qsort(bins, (size_t)w, sizeof bins[0], desc);
            double sum = 0, all = P[a + w] - P[a];
            for (int k = 0; k < top; k++)
                sum += bins[k];
            double want = all > 0 ? sum / all : 1, got = droneid_top_share(P, a, w, top);
            if (memcmp(&want, &got, sizeof got) != 0)
                fail_msg("seed 13 trial %d a %d w %d top %d: %.17g, the sorted sum gives %.17g", t,
                         a, w, top, got, want);
        }
    }
}

/* Inf or NaN anywhere (real or imaginary part) is found; extreme finite values pass. */
static void test_all_finite(void **st)
{
    (void)st;
    static float complex x[1000];
    const float fin[] = {0.0f, -0.0f, FLT_MAX, -FLT_MAX, FLT_MIN / 4, 1.0f};
    for (size_t i = 0; i < 1000; i++)
        x[i] = CMPLXF(fin[i % 6], fin[(i + 1) % 6]);
    assert_true(droneid_all_finite(x, 1000));
    assert_true(droneid_all_finite(x, 0));
    const float bad[] = {INFINITY, -INFINITY, NAN};
    const size_t at[] = {0, 1, 17, 500, 998, 999};
    for (size_t b = 0; b < 3; b++)
        for (size_t j = 0; j < sizeof at / sizeof at[0]; j++)
            for (int part = 0; part < 2; part++) {
                float complex keep = x[at[j]];
                x[at[j]] = part ? CMPLXF(crealf(keep), bad[b]) : CMPLXF(bad[b], cimagf(keep));
                if (droneid_all_finite(x, 1000))
                    fail_msg("%g at sample %zu (%s part) not found", bad[b], at[j],
                             part ? "imaginary" : "real");
                assert_true(droneid_all_finite(x, at[j])); /* before it: all finite */
                x[at[j]] = keep;
            }
}

/* The resampler's eight-at-a-time SSE path against its scalar loop, bit for bit: 50 and
 * 200 Msps (rational ratios), with and without the mixing, lengths from shorter than the
 * filter to 20 000 samples. */
static void test_resampler_simd(void **st)
{
    (void)st;
    static float complex x[20000], y[2][8000];
    srand(14);
    for (size_t i = 0; i < 20000; i++)
        x[i] = CMPLXF(rand() / (float)RAND_MAX - 0.5f, rand() / (float)RAND_MAX - 0.5f);
    const double rates[] = {50e6, 200e6};
    const size_t lens[] = {5, 90, 333, 4099, 20000};
    sg_errinfo e;
    assert_int_equal(droneid_resamp_set_simd(NULL, true), SG_EINVAL);
    for (int ri = 0; ri < 2; ri++) {
        droneid_resamp *r = droneid_resamp_create(rates[ri], DRONEID_FS, 6.2e6, &e);
        assert_non_null(r);
        for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++)
            for (int sh = 0; sh < 2; sh++) {
                size_t got[2];
                for (int v = 0; v < 2; v++) {
                    int rc = droneid_resamp_set_simd(r, v == 0);
                    if (rc == SG_ENOTSUP)
                        skip();
                    assert_int_equal(rc, SG_OK);
                    droneid_resamp_run(r, x, lens[li], sh ? 3.1e6 : 0, y[v], 8000, &got[v]);
                }
                assert_int_equal(got[0], got[1]);
                if (memcmp(y[0], y[1], got[0] * sizeof y[0][0]) != 0)
                    fail_msg("%g Msps, %zu samples, shift %d: SSE and scalar outputs differ",
                             rates[ri] / 1e6, lens[li], sh);
            }
        droneid_resamp_destroy(r);
    }
}

/* Resampler against its spec: a tone inside the 6.2 MHz passband comes out at the same
 * frequency with unit gain (+-0.1 dB) at 15.36 Msps, a tone that would alias into the
 * DroneID band is suppressed by > 40 dB, and the mixing moves the wanted band to DC. */
static double tone_gain(droneid_resamp *r, double fs_in, double f_in, double shift,
                        double f_out_expect)
{
    size_t n = 70000, cap = 20000, got = 0;
    float complex *x = malloc(n * sizeof *x), *y = malloc(cap * sizeof *y);
    assert_true(x && y);
    for (size_t i = 0; i < n; i++)
        x[i] = (float complex)cexp(2.0 * M_PI * I * f_in * (double)i / fs_in);
    droneid_resamp_run(r, x, n, shift, y, cap, &got);
    assert_int_equal(got, cap);
    /* correlate the middle (away from the edges) with the expected output tone */
    double complex acc = 0;
    size_t a = 2000, b = cap - 2000;
    for (size_t k = a; k < b; k++)
        acc += y[k] * cexp(-2.0 * M_PI * I * f_out_expect * (double)k / DRONEID_FS);
    free(x);
    free(y);
    return cabs(acc) / (double)(b - a);
}

static void test_resampler(void **st)
{
    (void)st;
    sg_errinfo e;
    droneid_resamp *r = droneid_resamp_create(50e6, DRONEID_FS, 6.2e6, &e);
    assert_non_null(r);
    for (double f = -4.5e6; f <= 4.5e6; f += 1.5e6) {
        double g = tone_gain(r, 50e6, f, 0, f);
        if (fabs(20 * log10(g)) > 0.1)
            fail_msg("passband tone %.1f MHz: gain %.3f dB", f / 1e6, 20 * log10(g));
    }
    /* 11 MHz would alias to 11 - 15.36 = -4.36 MHz, inside the DroneID band */
    assert_true(20 * log10(tone_gain(r, 50e6, 11e6, 0, 11e6 - DRONEID_FS)) < -40);
    /* a tone at offset + 1 MHz comes out at 1 MHz after mixing by the offset */
    assert_true(fabs(20 * log10(tone_gain(r, 50e6, 8.5e6, 7.5e6, 1e6))) < 0.1);
    assert_int_equal(droneid_resamp_out_len(r, 0), 0);
    droneid_resamp_destroy(r);
    /* an irrational ratio takes the interpolated-table path: same passband */
    r = droneid_resamp_create(50e6 + 1.234567, DRONEID_FS, 6.2e6, &e);
    assert_non_null(r);
    assert_true(fabs(20 * log10(tone_gain(r, 50e6 + 1.234567, 2e6, 0, 2e6))) < 0.1);
    droneid_resamp_destroy(r);
    assert_null(droneid_resamp_create(50e6, DRONEID_FS, 8e6, &e)); /* above Nyquist */
    assert_int_equal(e.code, SG_EINVAL);
}

/* The stand-alone burst finder locates two bursts at different offsets. */
static void test_scan(void **st)
{
    (void)st;
    rng = 11;
    droneid_msg m;
    random_msg(&m);
    const double fs = 50e6;
    size_t bl = droneid_mod_len(fs, 9), n = 3 * bl + 40000;
    float complex *x = calloc(n, sizeof *x);
    assert_non_null(x);
    size_t got;
    assert_int_equal(droneid_modulate(&m, fs, 2e6, x + 10000, bl, &got), SG_OK);
    assert_int_equal(droneid_modulate(&m, fs, -12.5e6, x + 20000 + 2 * bl, bl, &got), SG_OK);
    for (size_t i = 0; i < n; i++)
        x[i] += (float)(0.003 * gauss()) + I * (float)(0.003 * gauss());
    droneid_span sp[4];
    size_t ns;
    assert_int_equal(droneid_scan(x, n, fs, sp, 4, &ns), SG_OK);
    assert_int_equal(ns, 2);
    assert_true(fabs(sp[0].freq_offset_hz - 2e6) < 150e3);
    assert_true(fabs(sp[1].freq_offset_hz + 12.5e6) < 150e3);
    for (int i = 0; i < 2; i++) {
        assert_true(sp[i].bandwidth_hz > 8e6 && sp[i].bandwidth_hz < 10.5e6);
        assert_true(fabs(sp[i].duration_s - 643e-6) < 30e-6);
        assert_true(fabs((double)sp[i].len / fs - sp[i].duration_s - 40e-6) < 1e-6);
        assert_false(sp[i].truncated);
    }
    assert_true(sp[0].start <= 10000 && sp[0].start + 3000 > 10000);
    assert_int_equal(droneid_scan(NULL, n, fs, sp, 4, &ns), SG_EINVAL);
    free(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_payload_roundtrip), cmocka_unit_test(test_encode_bits),
        cmocka_unit_test(test_roundtrip_grid),    cmocka_unit_test(test_legacy_layout),
        cmocka_unit_test(test_multipath),
        cmocka_unit_test(test_hostile_inputs),    cmocka_unit_test(test_measurement),
        cmocka_unit_test(test_scan),              cmocka_unit_test(test_resampler),
        cmocka_unit_test(test_fft),               cmocka_unit_test(test_fft_lanes),
        cmocka_unit_test(test_top_share),         cmocka_unit_test(test_all_finite),
        cmocka_unit_test(test_resampler_simd),    cmocka_unit_test(test_simd_same_result),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
