/* Fuzz-style robustness of every Remote ID parser: fixed-seed truncations, bit flips,
 * length-field lies and random bytes over thousands of frames for the Wi-Fi parser
 * (radiotap + beacon / NAN), the BLE advertising PDU parser, the F3411 codec, and
 * corrupted bits through the BLE receiver. Each input lives in a heap buffer of its
 * exact length so AddressSanitizer (SG_SANITIZE=ON) catches any over-read. Every
 * input must be rejected with an error code or decoded into values that respect
 * their documented ranges. */
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

#include "ble_ll.h"
#include "ble_rx.h"
#include "ble_tx.h"
#include "odid.h"
#include "rid_wifi.h"

#define SEED 0x5EEDF00Du

static uint64_t rng_s;
static uint64_t rnd(void)
{
    rng_s ^= rng_s << 13;
    rng_s ^= rng_s >> 7;
    rng_s ^= rng_s << 17;
    return rng_s;
}

static bool known_error(int rc)
{
    return rc == SG_ETRUNC || rc == SG_EFORMAT || rc == SG_ERANGE || rc == SG_ENOTSUP ||
           rc == SG_ENOTFOUND || rc == SG_ECRC || rc == SG_EOVERFLOW;
}

static void check_message(const odid_message *m)
{
    assert_true(m->type <= ODID_MT_OPERATOR_ID);
    assert_true(m->proto_version <= 15);
    assert_true(m->proto_version <= ODID_PROTO_MAX || m->warnings > 0);
    switch (m->type) {
    case ODID_MT_BASIC_ID:
        assert_true(strlen(m->u.basic_id.uas_id) <= 2 * ODID_ID_LEN);
        break;
    case ODID_MT_LOCATION: {
        const odid_location *L = &m->u.location;
        assert_true(isnan(L->lat_deg) || fabs(L->lat_deg) <= 90);
        assert_true(isnan(L->lon_deg) || fabs(L->lon_deg) <= 180);
        assert_true(isnan(L->lat_deg) == isnan(L->lon_deg));
        assert_true(isnan(L->direction_deg) || (L->direction_deg >= 0 && L->direction_deg < 360));
        assert_true(isnan(L->speed_h) || (L->speed_h >= 0 && L->speed_h <= 254.25));
        assert_true(isnan(L->speed_v) || fabs(L->speed_v) <= 62);
        assert_true(isnan(L->alt_geo) || (L->alt_geo >= -999.5 && L->alt_geo <= 31767.5));
        assert_true(isnan(L->timestamp_s) || (L->timestamp_s >= 0 && L->timestamp_s <= 3600));
        break;
    }
    case ODID_MT_AUTH:
        assert_true(m->u.auth.page < ODID_AUTH_MAX_PAGES);
        assert_true(m->u.auth.data_len <= ODID_STR_LEN);
        break;
    case ODID_MT_SELF_ID:
        assert_true(strlen(m->u.self_id.text) <= ODID_STR_LEN);
        break;
    case ODID_MT_SYSTEM:
        assert_true(isnan(m->u.system.op_lat_deg) || fabs(m->u.system.op_lat_deg) <= 90);
        assert_true(m->u.system.op_loc_type <= 2 || m->u.system.op_loc_type == ODID_RESERVED);
        break;
    case ODID_MT_OPERATOR_ID:
        assert_true(strlen(m->u.operator_id.op_id) <= ODID_ID_LEN);
        break;
    default:
        fail();
    }
}

/* A random but valid pack of 1..9 messages. */
static size_t random_pack(uint8_t *out, size_t cap)
{
    odid_message m[ODID_PACK_MAX];
    int n = 1 + (int)(rnd() % ODID_PACK_MAX);
    for (int i = 0; i < n; i++) {
        int t = (int)(rnd() % 6);
        odid_message_init(&m[i], (odid_msg_type)t);
        if (t == ODID_MT_LOCATION) {
            m[i].u.location.lat_deg = -80 + (double)(rnd() % 16000) / 100.0;
            m[i].u.location.lon_deg = -170 + (double)(rnd() % 34000) / 100.0;
            m[i].u.location.speed_h = (double)(rnd() % 200);
            m[i].u.location.direction_deg = (double)(rnd() % 360);
        } else if (t == ODID_MT_BASIC_ID) {
            m[i].u.basic_id.id_type = 1;
            strcpy(m[i].u.basic_id.uas_id, "FUZZ0123456789");
        }
    }
    size_t len;
    assert_int_equal(odid_encode_pack(m, n, out, cap, &len), 0);
    return len;
}

/* Copies into an exact-size heap buffer, runs the Wi-Fi parser, checks the result. */
static int wifi_once(const uint8_t *d, size_t n, bool radiotap, int *ok)
{
    uint8_t *b = malloc(n ? n : 1);
    assert_non_null(b);
    memcpy(b, d, n);
    rid_wifi_frame f;
    rid_wifi_reason why = RID_WIFI_REASONS_;
    int rc = radiotap ? rid_wifi_parse_radiotap(b, n, &f, &why)
                      : rid_wifi_parse_80211(b, n, false, &f, &why);
    free(b);
    if (rc == SG_OK) {
        assert_true(f.n_msgs >= 1 && f.n_msgs <= ODID_PACK_MAX);
        assert_true(strlen(f.ssid) <= 32);
        for (int i = 0; i < f.n_msgs; i++)
            check_message(&f.msgs[i]);
        (*ok)++;
    } else {
        assert_true(known_error(rc));
        assert_true(why < RID_WIFI_REASONS_);
    }
    return rc;
}

static void test_wifi_fuzz(void **state)
{
    (void)state;
    rng_s = SEED;
    int ok = 0, rejected = 0, total = 0;
    for (int it = 0; it < 4000; it++) {
        uint8_t pack[300], fr[400], rt[420];
        size_t plen = random_pack(pack, sizeof pack), flen;
        const uint8_t mac[6] = {2, 3, 4, 5, 6, (uint8_t)it};
        bool nan = it & 1;
        if (nan)
            assert_int_equal(rid_wifi_build_nan(mac, (uint8_t)it, pack, plen, fr, sizeof fr, &flen), 0);
        else
            assert_int_equal(rid_wifi_build_beacon(mac, "FUZZ", (uint8_t)it, pack, plen, fr,
                                                   sizeof fr, &flen), 0);
        /* radiotap with flags, channel, signal */
        const uint8_t rth[16] = {0, 0, 16, 0, 0x2a, 0, 0, 0, 0, 0, 0x85, 0x09, 0xa0, 0, 0xd0, 0};
        memcpy(rt, rth, 16);
        memcpy(rt + 16, fr, flen);
        size_t rlen = 16 + flen;

        /* intact frames decode */
        assert_int_equal(wifi_once(rt, rlen, true, &ok), 0);
        total++;
        /* every truncation is rejected */
        size_t cut = rnd() % rlen;
        int rc = wifi_once(rt, cut, true, &ok);
        assert_int_not_equal(rc, SG_OK);
        rejected++;
        total++;
        /* bit flips anywhere (header, elements, pack) */
        uint8_t mut[420];
        memcpy(mut, rt, rlen);
        int flips = 1 + (int)(rnd() % 8);
        for (int k = 0; k < flips; k++)
            mut[rnd() % rlen] ^= (uint8_t)(1u << (rnd() % 8));
        rejected += wifi_once(mut, rlen, true, &ok) != SG_OK;
        total++;
        /* length-field lies: radiotap length, element / attribute length, pack count */
        memcpy(mut, rt, rlen);
        size_t at;
        switch (rnd() % 4) {
        case 0: at = 2; break;
        case 1: at = nan ? 16 + 24 + 6 + 1 : 16 + 24 + 12 + 6 + 1; break; /* attr/IE length */
        case 2: at = nan ? 16 + 24 + 6 + 3 + 9 : 16 + 24 + 12 + 6 + 1; break; /* svc info len */
        default: at = nan ? 16 + 24 + 6 + 3 + 10 + 1 + 2 : 16 + 24 + 12 + 6 + 2 + 5 + 2; break;
        }
        mut[at] = (uint8_t)rnd();
        rejected += wifi_once(mut, rlen, true, &ok) != SG_OK;
        total++;
        /* bare 802.11 parser on the same mutated bytes, and pure random bytes */
        wifi_once(mut + 16, rlen - 16, false, &ok);
        size_t rn = rnd() % 300;
        for (size_t i = 0; i < rn; i++)
            mut[i] = (uint8_t)rnd();
        wifi_once(mut, rn, (rnd() & 1) != 0, &ok);
        total += 2;
    }
    print_message("wifi: %d frames, %d decoded, %d of the corrupted rejected\n", total, ok, rejected);
    assert_true(ok >= 4000);
}

static void test_odid_fuzz(void **state)
{
    (void)state;
    rng_s = SEED + 1;
    int ok = 0;
    for (int it = 0; it < 20000; it++) {
        uint8_t b[ODID_PACK_HDR + ODID_PACK_MAX * ODID_MSG_SIZE];
        size_t n = rnd() % sizeof b;
        for (size_t i = 0; i < n; i++)
            b[i] = (uint8_t)rnd();
        if (n && (rnd() & 1))
            b[0] = (uint8_t)((b[0] & 0xF0) | (rnd() % 3)); /* valid version more often */
        uint8_t *h = malloc(n ? n : 1);
        assert_non_null(h);
        memcpy(h, b, n);
        odid_message m[ODID_PACK_MAX];
        int cnt = 0, rc = odid_decode_message(h, n, &m[0]);
        if (rc == SG_OK) {
            check_message(&m[0]);
            /* what decodes without warnings re-encodes, and decodes to the same position */
            uint8_t e[ODID_MSG_SIZE];
            odid_message m2;
            if (m[0].warnings) {
                ok++;
                goto pack;
            }
            assert_int_equal(odid_encode_message(&m[0], e), 0);
            assert_int_equal(odid_decode_message(e, sizeof e, &m2), 0);
            if (m[0].type == ODID_MT_LOCATION) {
                assert_true(isnan(m2.u.location.lat_deg) == isnan(m[0].u.location.lat_deg));
                if (!isnan(m2.u.location.lat_deg))
                    assert_true(fabs(m2.u.location.lat_deg - m[0].u.location.lat_deg) < 1e-9);
            }
            ok++;
        } else {
            assert_true(known_error(rc));
        }
    pack:
        if (n >= 3 && (rnd() & 1)) {
            h[0] = 0xF2;
            h[1] = ODID_MSG_SIZE;
            h[2] = (uint8_t)(rnd() % 12);
        }
        odid_pack_info pi;
        rc = odid_decode_pack(h, n, m, ODID_PACK_MAX, &cnt, &pi);
        if (rc == SG_OK) {
            assert_true(cnt >= 1 && cnt <= ODID_PACK_MAX);
            assert_true((size_t)ODID_PACK_HDR + (size_t)cnt * ODID_MSG_SIZE <= n);
            assert_int_equal(cnt + pi.unknown_type + pi.duplicates, pi.count);
            for (int i = 0; i < cnt; i++)
                check_message(&m[i]);
        } else {
            assert_true(known_error(rc));
            assert_int_equal(cnt, 0);
        }
        free(h);
    }
    print_message("odid: 20000 random messages, %d decoded\n", ok);
    assert_true(ok > 100);
}

static void test_ble_pdu_fuzz(void **state)
{
    (void)state;
    rng_s = SEED + 2;
    int ok = 0, odid = 0;
    for (int it = 0; it < 20000; it++) {
        uint8_t pdu[BLE_PDU_MAX + 8], msg[25];
        for (int i = 0; i < 25; i++)
            msg[i] = (uint8_t)rnd();
        size_t len;
        const uint8_t adva[6] = {1, 2, 3, 4, 5, 6};
        assert_int_equal(ble_adv_build_odid(adva, 1, msg, 1 + rnd() % 25, pdu, sizeof pdu, &len), 0);
        switch (rnd() % 4) {
        case 0: len = rnd() % (len + 1); break;                   /* truncation */
        case 1: pdu[rnd() % len] ^= (uint8_t)(1u << (rnd() % 8)); break; /* bit flip */
        case 2: pdu[rnd() % 2 ? 1 : 8] = (uint8_t)rnd(); break;   /* length lies */
        default:                                                   /* random bytes */
            len = rnd() % sizeof pdu;
            for (size_t i = 0; i < len; i++)
                pdu[i] = (uint8_t)rnd();
        }
        uint8_t *h = malloc(len ? len : 1);
        assert_non_null(h);
        memcpy(h, pdu, len);
        ble_adv a;
        int rc = ble_adv_parse(h, len, &a);
        if (rc == SG_OK) {
            assert_true(a.adv_data_len <= 31);
            assert_true(a.adv_data + a.adv_data_len <= h + len);
            if (a.has_odid) {
                assert_true(a.odid_len >= 1 && a.odid + a.odid_len <= h + len);
                odid_message m;
                int r2 = odid_decode_message(a.odid, a.odid_len, &m);
                assert_true(r2 == SG_OK || known_error(r2));
                odid++;
            }
            ok++;
        } else {
            assert_true(known_error(rc));
        }
        free(h);
    }
    print_message("ble pdu: 20000 mutated PDUs, %d parsed, %d with Remote ID\n", ok, odid);
    assert_true(ok > 1000);
}

typedef struct {
    int delivered;
} ble_ctx;

static void on_pkt(void *user, const ble_rx_packet *p)
{
    (void)p;
    ((ble_ctx *)user)->delivered++;
}

/* Packets with 1..3 corrupted bits after whitening (what a collision or fade does)
 * must never pass the receiver; the same packets intact all pass. */
static void test_ble_corrupted_bits(void **state)
{
    (void)state;
    rng_s = SEED + 3;
    const double fs = 4e6;
    const int npk = 300;
    const size_t slot = 2000;
    size_t n = (size_t)npk * slot;
    float complex *x = calloc(n, sizeof *x), *y = calloc(n, sizeof *y);
    assert_non_null(x);
    assert_non_null(y);
    ble_tx_cfg tc;
    ble_tx_cfg_default(&tc);
    tc.sample_rate = fs;
    const uint8_t adva[6] = {7, 7, 7, 7, 7, 0xC7};
    for (int k = 0; k < npk; k++) {
        uint8_t msg[25], pdu[BLE_PDU_MAX], bits[BLE_PKT_MAX_BITS];
        for (int i = 0; i < 25; i++)
            msg[i] = (uint8_t)rnd();
        size_t plen, nb, w;
        assert_int_equal(ble_adv_build_odid(adva, (uint8_t)k, msg, 25, pdu, sizeof pdu, &plen), 0);
        assert_int_equal(ble_packet_bits(pdu, plen, 37, bits, sizeof bits, &nb), 0);
        assert_int_equal(ble_tx_modulate(&tc, bits, nb, x + (size_t)k * slot + 100, slot - 100, &w,
                                         NULL), 0);
        int flips = 1 + (int)(rnd() % 3);
        for (int f = 0; f < flips; f++)
            bits[40 + rnd() % (nb - 40)] ^= 1; /* PDU or CRC, never the sync */
        assert_int_equal(ble_tx_modulate(&tc, bits, nb, y + (size_t)k * slot + 100, slot - 100, &w,
                                         NULL), 0);
    }
    ble_rx_cfg rc;
    ble_rx_cfg_default(&rc);
    rc.sample_rate = fs;
    for (int pass = 0; pass < 2; pass++) {
        ble_rx *q = ble_rx_create(&rc, NULL);
        assert_non_null(q);
        ble_ctx c = {0};
        sg_iq_block b = {.x = pass ? y : x, .n = n, .sample_rate = fs};
        assert_int_equal(ble_rx_execute(q, &b, on_pkt, &c, NULL), 0);
        assert_int_equal(ble_rx_flush(q, on_pkt, &c), 0);
        ble_rx_stats st;
        ble_rx_get_stats(q, &st);
        if (pass == 0) {
            assert_int_equal(c.delivered, npk);
        } else {
            print_message("ble rx: %d corrupted packets: %llu CRC failures, %llu bad lengths, "
                          "%d delivered\n", npk, (unsigned long long)st.crc_fail,
                          (unsigned long long)st.bad_length, c.delivered);
            assert_int_equal(c.delivered, 0);
            assert_true(st.crc_fail + st.bad_length >= (uint64_t)npk);
        }
        ble_rx_destroy(q);
    }
    free(x);
    free(y);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wifi_fuzz),
        cmocka_unit_test(test_odid_fuzz),
        cmocka_unit_test(test_ble_pdu_fuzz),
        cmocka_unit_test(test_ble_corrupted_bits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
