/* Bluetooth LE Coded PHY (dsp/ble_coded.c): the FEC encoder against its generator
 * polynomials bit by bit, the framing lengths; then our own modulator (ble_coded_symbols
 * + ble_tx_modulate, GFSK BT 0.5) through AWGN and a carrier offset into the receiver at
 * 4 and 8 Msps, S=8 and S=2: packet error rate over a grid of Eb/N0 and offsets, random
 * block sizes (packets straddle blocks), timing of the delivered packet; bad
 * configurations refused. Fixed seed printed on failure. */
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

#include "ble_cap.h"
#include "ble_coded.h"
#include "odid.h"
#include "ble_ll.h"
#include "ble_tx.h"

#define SEED 0xC0DEDull

#include "test_rng.h"

static void test_framing(void **state)
{
    (void)state;
    uint8_t pdu[40] = {0x47, 6, 1, 2, 3, 4, 5, 6}, sym[BLE_CODED_MAX_SYMBOLS];
    size_t n8, n2;
    assert_int_equal(ble_coded_symbols(pdu, 8, 11, 8, sym, sizeof sym, &n8), 0);
    assert_int_equal(ble_coded_symbols(pdu, 8, 11, 2, sym, sizeof sym, &n2), 0);
    /* preamble 80 + block 1 (37 bits x 8) + block 2 ((64 + 24 + 3) bits x S) */
    assert_int_equal(n8, 80 + 37 * 8 + 91 * 8);
    assert_int_equal(n2, 80 + 37 * 8 + 91 * 2);
    for (int i = 0; i < 80; i++)
        assert_int_equal(sym[i], (i % 8 >= 2 && i % 8 < 6));
    /* block 1 starts with the AA's first bit (0) through the encoder from state 0:
     * a0 = a1 = 0 -> S=8 patterns 0011 0011 */
    const uint8_t first[8] = {0, 0, 1, 1, 0, 0, 1, 1};
    assert_memory_equal(sym + 80, first, 8);
    /* second AA bit 1 (0x...D6 = 0b..0110): a0 = 1^0, a1 = 1 -> 1100 1100 */
    const uint8_t second[8] = {1, 1, 0, 0, 1, 1, 0, 0};
    assert_memory_equal(sym + 88, second, 8);
    assert_int_equal(ble_coded_symbols(pdu, 8, 11, 4, sym, sizeof sym, &n8), SG_EINVAL);
    assert_int_equal(ble_coded_symbols(pdu, 7, 11, 8, sym, sizeof sym, &n8), SG_EINVAL);
    assert_int_equal(ble_coded_symbols(pdu, 8, 11, 8, sym, 100, &n8), SG_EOVERFLOW);
}

/* Packets sent recently (a packet is delivered once its end is in; a false sync before
 * it can make the receiver wait past the end of the block that carried it). */
#define RING 16
typedef struct {
    uint8_t pdu[RING][64];
    uint64_t start[RING];     /* sample index of the first preamble symbol */
    int level[RING];          /* which Eb/N0 of the condition */
    int coding;
    int got[3];
    int head;
    double fs;
} rx_t;

static void on_pkt(void *user, const ble_coded_packet *p)
{
    rx_t *r = user;
    for (int i = 0; i < RING; i++)
        if (p->pdu_len == 62 && !memcmp(p->pdu, r->pdu[i], 62)) {
            double dt = ((double)p->sample_index - (double)r->start[i]) / r->fs;
            if (fabs(dt) > 1e-6) /* the first preamble symbol within a microsecond */
                fail_msg("packet timing off by %g us (seed 0x%llx)", dt * 1e6,
                         (unsigned long long)SEED);
            if (p->coding != r->coding)
                fail_msg("coding %d decoded as %d", r->coding, p->coding);
            r->got[r->level[i]]++;
            r->pdu[i][0] = 0; /* counted once */
        }
}

/* One packet at Eb/N0 (dB) and carrier offset through the receiver (counted by level
 * in r when it comes out). */
static void one_packet(double fs, int s, double ebn0_db, int level, double cfo, ble_coded_rx *rx,
                       rx_t *r, float complex *buf, size_t cap, uint64_t *idx)
{
    uint8_t pdu[BLE_EXT_PDU_MAX], sym[BLE_CODED_MAX_SYMBOLS];
    size_t plen = 2 + 60;
    pdu[0] = 0x47;
    pdu[1] = (uint8_t)(plen - 2);
    for (size_t i = 2; i < plen; i++)
        pdu[i] = (uint8_t)(urand() * 256);
    size_t ns, n;
    assert_int_equal(ble_coded_symbols(pdu, plen, 12, s, sym, sizeof sym, &ns), 0);
    ble_tx_cfg tc;
    ble_tx_cfg_default(&tc);
    tc.sample_rate = fs;
    tc.offset_hz = cfo;
    tc.amplitude = 0.3;
    tc.phase0 = urand() * 2 * M_PI;
    size_t lead = (size_t)(urand() * 300 * fs / 1e6) + 100;
    memset(buf, 0, cap * sizeof *buf);
    sg_errinfo e;
    assert_int_equal(ble_tx_modulate(&tc, sym, ns, buf + lead, cap - lead - 2000, &n, &e), 0);
    size_t total = lead + n + 2000;
    double sps = fs / 1e6, es = tc.amplitude * tc.amplitude * sps;
    double n0 = es * s / pow(10, ebn0_db / 10); /* Eb = S symbols */
    double sd = sqrt(n0 / 2);
    for (size_t i = 0; i < total; i++)
        buf[i] += (float)(sd * grand()) + I * (float)(sd * grand());
    int slot = r->head++ % RING;
    memcpy(r->pdu[slot], pdu, plen);
    r->start[slot] = *idx + lead + (uint64_t)(fs / 1e6); /* the modulator ramps one symbol in */
    r->level[slot] = level;
    r->coding = s;
    size_t off = 0;
    while (off < total) {
        size_t chunk = 1 + (size_t)(urand() * 20000);
        if (chunk > total - off)
            chunk = total - off;
        sg_iq_block blk = {.x = buf + off, .n = chunk, .sample_index = *idx + off,
                           .sample_rate = fs, .t0 = 0};
        assert_int_equal(ble_coded_execute(rx, &blk, on_pkt, r, &e), 0);
        off += chunk;
    }
    *idx += total;
}

static void test_per_grid(void **state)
{
    (void)state;
    const double fss[] = {4e6, 8e6};
    const int ss[] = {8, 2};
    /* Eb/N0 (dB) at which PER must stay <= 0.1; and a high one where all must pass */
    const double need_db[] = {11.0, 13.0};
    const double cfos[] = {0, 120e3, -150e3};
    size_t cap = (size_t)(8e6 * 0.02);
    float complex *buf = malloc(cap * sizeof *buf);
    assert_non_null(buf);
    for (int fi = 0; fi < 2; fi++)
        for (int si = 0; si < 2; si++) {
            ble_coded_cfg c;
            ble_coded_cfg_default(&c);
            c.sample_rate = fss[fi];
            c.channel = 12;
            sg_errinfo e;
            ble_coded_rx *rx = ble_coded_create(&c, &e);
            assert_non_null(rx);
            uint64_t idx = 0;
            for (int ci = 0; ci < 3; ci++) {
                const int trials = 20;
                rx_t r;
                memset(&r, 0, sizeof r);
                r.fs = fss[fi];
                for (int t = 0; t < trials; t++) {
                    one_packet(fss[fi], ss[si], need_db[si], 0, cfos[ci], rx, &r, buf, cap, &idx);
                    one_packet(fss[fi], ss[si], 20, 1, cfos[ci], rx, &r, buf, cap, &idx);
                    one_packet(fss[fi], ss[si], need_db[si] - 2, 2, cfos[ci], rx, &r, buf, cap,
                               &idx);
                }
                assert_int_equal(ble_coded_flush(rx, on_pkt, &r), 0);
                int ok_need = r.got[0], ok_hi = r.got[1], ok_low = r.got[2];
                print_message("coded S=%d %g Msps cfo %+.0f kHz: PER %.2f at %g dB, %.2f at %g dB, "
                              "%.2f at 20 dB\n",
                              ss[si], fss[fi] / 1e6, cfos[ci] / 1e3, 1 - ok_low / (double)trials,
                              need_db[si] - 2, 1 - ok_need / (double)trials, need_db[si],
                              1 - ok_hi / (double)trials);
                if (ok_hi != trials || ok_need < trials * 9 / 10)
                    fail_msg("S=%d fs %g cfo %g: %d/%d at 20 dB, %d/%d at %g dB (seed 0x%llx)",
                             ss[si], fss[fi], cfos[ci], ok_hi, trials, ok_need, trials,
                             need_db[si], (unsigned long long)SEED);
            }
            ble_coded_stats st;
            ble_coded_get_stats(rx, &st);
            print_message("  syncs %llu, delivered %llu, CRC failures %llu (false syncs in the low-SNR runs)\n", (unsigned long long)st.syncs, (unsigned long long)st.crc_ok, (unsigned long long)st.crc_fail);
            assert_true(st.crc_ok >= 108); /* >= 90 % of the 20 dB and mid-level packets */
            ble_coded_destroy(rx);
        }
    free(buf);
}

/* sg_rid --ble --coded: a raw cf32 recording (4 Msps, channel 12 at DC) with three
 * AUX_ADV_IND packets carrying a Remote ID pack, S=8, S=2, S=8, decodes to the
 * aircraft with its identity. */
static void test_sg_rid_coded(void **state)
{
    (void)state;
    odid_message m[2];
    odid_message_init(&m[0], ODID_MT_BASIC_ID);
    m[0].u.basic_id.id_type = ODID_IDT_SERIAL;
    strcpy(m[0].u.basic_id.uas_id, "LONGRANGE-CODED-1");
    odid_message_init(&m[1], ODID_MT_LOCATION);
    m[1].u.location.lat_deg = 48.1;
    m[1].u.location.lon_deg = 11.5;
    uint8_t pack[64], ad[80], pdu[BLE_EXT_PDU_MAX], sym[BLE_CODED_MAX_SYMBOLS];
    size_t plen, n, ns, m_out;
    assert_int_equal(odid_encode_pack(m, 2, pack, sizeof pack, &plen), 0);
    ble_ad_odid(7, pack, plen, ad);
    ble_ext_adv x = {.tx_random = true, .has_adva = true, .has_adi = true, .did = 1, .sid = 2,
                     .adv_data = ad, .adv_data_len = plen + 6};
    const uint8_t adva[6] = {0x66, 0x55, 0x44, 0x33, 0x22, 0xC1};
    memcpy(x.adva, adva, 6);
    assert_int_equal(ble_ext_build(&x, pdu, sizeof pdu, &n), 0);
    const double fs = 4e6;
    size_t cap = (size_t)(fs * 0.05);
    float complex *buf = calloc(cap, sizeof *buf);
    assert_non_null(buf);
    ble_tx_cfg tc;
    ble_tx_cfg_default(&tc);
    tc.amplitude = 0.3;
    sg_errinfo e;
    size_t at = 4000;
    const int codings[3] = {8, 2, 8};
    for (int k = 0; k < 3; k++) {
        assert_int_equal(ble_coded_symbols(pdu, n, 12, codings[k], sym, sizeof sym, &ns), 0);
        assert_int_equal(ble_tx_modulate(&tc, sym, ns, buf + at, cap - at, &m_out, &e), 0);
        at += m_out + 4000;
    }
    for (size_t i = 0; i < at; i++)
        buf[i] += (float)(0.02 * grand()) + I * (float)(0.02 * grand());
    const char *path = SG_BINARY_DIR "/test_ble_coded.cf32";
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(buf, sizeof *buf, at, f), at);
    fclose(f);
    free(buf);
    FILE *p = popen(SG_BINARY_DIR "/sg_rid --json --ble " SG_BINARY_DIR
                    "/test_ble_coded.cf32 -r 4e6 -o 0 -c 12 --coded 2>/dev/null", "r");
    assert_non_null(p);
    char line[4096];
    int basic = 0, aircraft = 0;
    while (fgets(line, sizeof line, p)) {
        basic += strstr(line, "\"uas_id\":\"LONGRANGE-CODED-1\"") != NULL;
        aircraft += strstr(line, "\"kind\":\"aircraft\"") && strstr(line, "c1:22:33:44:55:66");
    }
    assert_int_equal(pclose(p), 0);
    assert_int_equal(basic, 3);
    assert_int_equal(aircraft, 1);
}

static void test_bad_config(void **state)
{
    (void)state;
    ble_coded_cfg c;
    sg_errinfo e;
    ble_coded_cfg_default(&c);
    c.sample_rate = 6e6;
    assert_null(ble_coded_create(&c, &e));
    assert_int_equal(e.code, SG_EINVAL);
    ble_coded_cfg_default(&c);
    c.offset_hz = 1.5e6;
    assert_null(ble_coded_create(&c, &e));
    assert_int_equal(e.code, SG_ERANGE);
    ble_coded_cfg_default(&c);
    c.channel = 40;
    assert_null(ble_coded_create(&c, &e));
    ble_coded_cfg_default(&c);
    c.sync_threshold = 0.1;
    assert_null(ble_coded_create(&c, &e));
    ble_coded_cfg_default(&c);
    ble_coded_rx *rx = ble_coded_create(&c, &e);
    assert_non_null(rx);
    float complex x[4] = {0};
    sg_iq_block blk = {.x = x, .n = 4, .sample_rate = 8e6};
    assert_int_equal(ble_coded_execute(rx, &blk, NULL, NULL, &e), SG_EINVAL);
    ble_coded_destroy(rx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_framing),
        cmocka_unit_test(test_per_grid),
        cmocka_unit_test(test_sg_rid_coded),
        cmocka_unit_test(test_bad_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
