/* Bluetooth LE capture records (dsp/ble_cap.c): extended advertising PDUs against a
 * hand-made byte layout from the Core spec's field order, link-layer records of link
 * types 251/256/272 (CRC cross-checked against the over-the-air framing of
 * ble_packet_bits, RF channel mapping, Coded PHY coding indicator, CRC failures), HCI
 * advertising reports of 187/201/254, chain reassembly (AUX_CHAIN_IND, HCI fragments,
 * orphans, timeouts, restarts), and every truncation plus fixed-seed random mutations
 * of valid records in exact-size heap buffers. */
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
#include "ble_ll.h"
#include "odid.h"

#define SEED 0xB1E5CA9u

static uint64_t rng_s = SEED;
static uint64_t rnd(void)
{
    rng_s ^= rng_s << 13;
    rng_s ^= rng_s >> 7;
    rng_s ^= rng_s << 17;
    return rng_s;
}

static const uint8_t ADVA[6] = {0x11, 0x22, 0x33, 0x44, 0x55, 0xC6};

static void test_ext_layout(void **state)
{
    (void)state;
    /* ADV_EXT_IND, TxAdd random: header 0x47, length; ext header length 12 | mode 0;
     * flags AdvA|ADI|AuxPtr = 0x19; AdvA; ADI: DID 0x123, SID 5 -> 0x5123 LE;
     * AuxPtr: channel 9, 30 us units, offset 20 (600 us), PHY 2 (Coded) */
    const uint8_t pdu[] = {0x47, 13, 12, 0x19, 0x11, 0x22, 0x33, 0x44, 0x55, 0xC6,
                           0x23, 0x51, 0x09, 20, 2 << 5};
    ble_ext_adv x;
    assert_int_equal(ble_ext_parse(pdu, sizeof pdu, &x), 0);
    assert_true(x.tx_random && x.has_adva && x.has_adi && x.has_aux && !x.has_tx_power);
    assert_memory_equal(x.adva, ADVA, 6);
    assert_int_equal(x.did, 0x123);
    assert_int_equal(x.sid, 5);
    assert_int_equal(x.aux_channel, 9);
    assert_int_equal(x.aux_offset_us, 600);
    assert_int_equal(x.aux_phy, BLE_PHY_CODED);
    assert_int_equal(x.adv_data_len, 0);
    /* our builder writes the same bytes */
    uint8_t b[BLE_EXT_PDU_MAX];
    size_t n;
    assert_int_equal(ble_ext_build(&x, b, sizeof b, &n), 0);
    assert_int_equal(n, sizeof pdu);
    assert_memory_equal(b, pdu, n);
    /* every field, 300 us units, TX power, data */
    uint8_t data[200];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)i;
    ble_ext_adv y = {.adv_mode = 2, .has_adva = true, .has_adi = true, .did = 0xFFF, .sid = 15,
                     .has_aux = true, .aux_channel = 36, .aux_phy = BLE_PHY_2M,
                     .aux_offset_us = 300u * 8000u, .has_tx_power = true, .tx_power_dbm = -20,
                     .adv_data = data, .adv_data_len = sizeof data};
    memcpy(y.adva, ADVA, 6);
    assert_int_equal(ble_ext_build(&y, b, sizeof b, &n), 0);
    assert_int_equal(ble_ext_parse(b, n, &x), 0);
    assert_int_equal(x.adv_mode, 2);
    assert_int_equal(x.did, 0xFFF);
    assert_int_equal(x.sid, 15);
    assert_int_equal(x.aux_channel, 36);
    assert_int_equal(x.aux_phy, BLE_PHY_2M);
    assert_int_equal(x.aux_offset_us, 300u * 8000u);
    assert_int_equal(x.tx_power_dbm, -20);
    assert_int_equal(x.adv_data_len, sizeof data);
    assert_memory_equal(x.adv_data, data, sizeof data);
    /* rejects */
    y.adv_data_len = 250; /* payload over 255 */
    assert_int_equal(ble_ext_build(&y, b, sizeof b, &n), SG_EINVAL);
    uint8_t bad[sizeof pdu];
    memcpy(bad, pdu, sizeof pdu);
    bad[2] = 13; /* extended header longer than the payload allows */
    assert_int_equal(ble_ext_parse(bad, sizeof bad, &x), SG_EFORMAT);
    bad[2] = 11; /* flagged fields need 11 + flags byte: one short */
    assert_int_equal(ble_ext_parse(bad, sizeof bad, &x), SG_EFORMAT);
    memcpy(bad, pdu, sizeof pdu);
    bad[14] = 3 << 5; /* AuxPtr PHY 3: reserved */
    assert_int_equal(ble_ext_parse(bad, sizeof bad, &x), SG_EFORMAT);
    bad[0] = 0x42; /* ADV_NONCONN_IND */
    assert_int_equal(ble_ext_parse(bad, sizeof bad, &x), SG_ENOTSUP);
    for (size_t l = 0; l < sizeof pdu; l++)
        assert_int_equal(ble_ext_parse(pdu, l, &x), SG_ETRUNC);
}

/* The CRC bytes a record carries are the dewhitened on-air CRC bits of the framing
 * the IQ modulator uses (ble_packet_bits), packed least significant bit first. */
static void test_ll_records(void **state)
{
    (void)state;
    uint8_t msg[ODID_MSG_SIZE] = {0x12, 0x20}, pdu[BLE_PDU_MAX], rec[BLE_EXT_PDU_MAX + 32];
    size_t n, len;
    assert_int_equal(ble_adv_build_odid(ADVA, 7, msg, sizeof msg, pdu, sizeof pdu, &n), 0);
    uint8_t bits[BLE_PKT_MAX_BITS];
    size_t nb;
    assert_int_equal(ble_packet_bits(pdu, n, 37, bits, sizeof bits, &nb), 0);
    ble_whiten_bits(bits + BLE_SYNC_BITS, nb - BLE_SYNC_BITS, 37);
    uint8_t air_crc[3] = {0};
    for (int i = 0; i < 24; i++)
        air_crc[i / 8] |= (uint8_t)(bits[BLE_SYNC_BITS + 8 * n + i] << (i % 8));

    const int lts[] = {BLE_LT_LL, BLE_LT_LL_PHDR, BLE_LT_NORDIC};
    for (int k = 0; k < 3; k++) {
        ble_ll_rec r;
        assert_int_equal(ble_cap_build_ll(lts[k], 37, BLE_PHY_1M, 0, -57, pdu, n, rec, sizeof rec,
                                          &len), 0);
        assert_memory_equal(rec + len - 3, air_crc, 3);
        assert_int_equal(ble_cap_parse_ll(lts[k], rec, len, &r), 0);
        assert_int_equal(r.pdu_len, n);
        assert_memory_equal(r.pdu, pdu, n);
        assert_int_equal(r.aa, BLE_AA_ADV);
        assert_int_equal(r.phy, BLE_PHY_1M);
        if (lts[k] != BLE_LT_LL) {
            assert_int_equal(r.channel, 37);
            assert_true(fabs(r.rssi_dbm + 57) < 1e-9);
        }
        /* a flipped payload bit: the CRC (ours or the sniffer's flag) says no */
        rec[len - 5] ^= 0x10;
        int want = lts[k] == BLE_LT_LL ? SG_ECRC : SG_OK; /* sniffers checked before */
        assert_int_equal(ble_cap_parse_ll(lts[k], rec, len, &r), want);
        rec[len - 5] ^= 0x10;
        for (size_t l = 0; l < len; l++) {
            uint8_t *h = malloc(l ? l : 1);
            assert_non_null(h);
            memcpy(h, rec, l);
            int rc = ble_cap_parse_ll(lts[k], h, l, &r);
            assert_true(rc == SG_ETRUNC || rc == SG_EFORMAT);
            free(h);
        }
    }
    /* 256: CRC checked by the sniffer and bad; RF channel numbering */
    assert_int_equal(ble_cap_build_ll(BLE_LT_LL_PHDR, 38, BLE_PHY_1M, 0, NAN, pdu, n, rec,
                                      sizeof rec, &len), 0);
    assert_int_equal(rec[0], 12); /* channel 38 = 2426 MHz = RF channel 12 */
    ble_ll_rec r;
    assert_int_equal(ble_cap_parse_ll(BLE_LT_LL_PHDR, rec, len, &r), 0);
    assert_true(isnan(r.rssi_dbm)); /* signal-valid flag clear */
    rec[9] &= (uint8_t)~(0x0800 >> 8);
    assert_int_equal(ble_cap_parse_ll(BLE_LT_LL_PHDR, rec, len, &r), SG_ECRC);
    const int rf_of[][2] = {{37, 0}, {0, 1}, {10, 11}, {38, 12}, {11, 13}, {36, 38}, {39, 39}};
    for (int i = 0; i < 7; i++) {
        assert_int_equal(ble_cap_build_ll(BLE_LT_LL_PHDR, rf_of[i][0], BLE_PHY_1M, 0, NAN, pdu,
                                          n, rec, sizeof rec, &len), 0);
        assert_int_equal(rec[0], rf_of[i][1]);
        assert_int_equal(ble_cap_parse_ll(BLE_LT_LL_PHDR, rec, len, &r), 0);
        assert_int_equal(r.channel, rf_of[i][0]);
    }
    rec[0] = 40;
    assert_int_equal(ble_cap_parse_ll(BLE_LT_LL_PHDR, rec, len, &r), SG_EFORMAT);
    rec[0] = 39;
    rec[8] &= (uint8_t)~1u; /* not dewhitened: not ours to undo */
    assert_int_equal(ble_cap_parse_ll(BLE_LT_LL_PHDR, rec, len, &r), SG_ENOTSUP);
    /* Coded PHY: the coding indicator after the AA */
    for (int cod = 2; cod <= 8; cod += 6) {
        for (int k = 1; k < 3; k++) {
            assert_int_equal(ble_cap_build_ll(lts[k], 20, BLE_PHY_CODED, cod, -90, pdu, n, rec,
                                              sizeof rec, &len), 0);
            assert_int_equal(ble_cap_parse_ll(lts[k], rec, len, &r), 0);
            assert_int_equal(r.phy, BLE_PHY_CODED);
            assert_int_equal(r.coding, cod);
            assert_memory_equal(r.pdu, pdu, n);
        }
    }
    /* data-channel packet (another access address): not advertising */
    assert_int_equal(ble_cap_build_ll(BLE_LT_LL, 37, BLE_PHY_1M, 0, NAN, pdu, n, rec, sizeof rec,
                                      &len), 0);
    rec[0] ^= 1;
    assert_int_equal(ble_cap_parse_ll(BLE_LT_LL, rec, len, &r), SG_ENOTFOUND);
    /* builder rejects */
    assert_int_equal(ble_cap_build_ll(BLE_LT_LL, 37, BLE_PHY_CODED, 8, NAN, pdu, n, rec,
                                      sizeof rec, &len), SG_EINVAL);
    assert_int_equal(ble_cap_build_ll(BLE_LT_LL_PHDR, 37, BLE_PHY_CODED, 4, NAN, pdu, n, rec,
                                      sizeof rec, &len), SG_EINVAL);
    assert_int_equal(ble_cap_build_ll(BLE_LT_LL_PHDR, 40, BLE_PHY_1M, 0, NAN, pdu, n, rec,
                                      sizeof rec, &len), SG_EINVAL);
    assert_int_equal(ble_cap_build_ll(127, 37, BLE_PHY_1M, 0, NAN, pdu, n, rec, sizeof rec, &len),
                     SG_EINVAL);
    assert_int_equal(ble_cap_build_ll(BLE_LT_LL, 37, BLE_PHY_1M, 0, NAN, pdu, n, rec, 10, &len),
                     SG_EOVERFLOW);
    assert_int_equal(ble_cap_parse_ll(127, rec, len, &r), SG_EINVAL);
}

static void test_hci(void **state)
{
    (void)state;
    uint8_t data[229], rec[300];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 3);
    const int lts[] = {BLE_LT_HCI_H4, BLE_LT_HCI_H4_PHDR, BLE_LT_MONITOR};
    for (int k = 0; k < 3; k++)
        for (int ext = 0; ext < 2; ext++) {
            ble_hci_report in = {.addr_random = true, .extended = ext, .rssi_dbm = -71,
                                 .sid = 4, .primary_phy = BLE_PHY_CODED,
                                 .secondary_phy = BLE_PHY_CODED, .data = data,
                                 .data_len = ext ? 229 : 31, .data_status = ext};
            memcpy(in.addr, ADVA, 6);
            size_t len;
            ble_hci_report out[2];
            int n;
            assert_int_equal(ble_cap_build_hci(lts[k], &in, rec, sizeof rec, &len), 0);
            assert_int_equal(ble_cap_parse_hci(lts[k], rec, len, out, 2, &n), 0);
            assert_int_equal(n, 1);
            assert_int_equal(out[0].extended, ext);
            assert_memory_equal(out[0].addr, ADVA, 6);
            assert_true(out[0].addr_random);
            assert_int_equal(out[0].data_len, in.data_len);
            assert_memory_equal(out[0].data, data, in.data_len);
            assert_true(fabs(out[0].rssi_dbm + 71) < 1e-9);
            if (ext) {
                assert_int_equal(out[0].data_status, 1);
                assert_int_equal(out[0].sid, 4);
                assert_int_equal(out[0].secondary_phy, BLE_PHY_CODED);
            }
            assert_int_equal(ble_cap_parse_hci(lts[k], rec, len, out, 0, &n), SG_EOVERFLOW);
            for (size_t l = 0; l < len; l++) {
                uint8_t *h = malloc(l ? l : 1);
                assert_non_null(h);
                memcpy(h, rec, l);
                int rc = ble_cap_parse_hci(lts[k], h, l, out, 2, &n);
                assert_true(rc == SG_ETRUNC || rc == SG_EFORMAT);
                assert_int_equal(n, 0);
                free(h);
            }
            /* another LE subevent, another event, a command packet: not reports */
            size_t pre = lts[k] == BLE_LT_HCI_H4 ? 1 : lts[k] == BLE_LT_HCI_H4_PHDR ? 5 : 4;
            rec[pre + 2] = 0x03;
            assert_int_equal(ble_cap_parse_hci(lts[k], rec, len, out, 2, &n), SG_ENOTFOUND);
            rec[pre] = 0x0E;
            assert_int_equal(ble_cap_parse_hci(lts[k], rec, len, out, 2, &n), SG_ENOTFOUND);
            rec[pre - 1] = 0x01;
            assert_int_equal(ble_cap_parse_hci(lts[k], rec, len, out, 2, &n), SG_ENOTFOUND);
        }
    /* a legacy report longer than 31 bytes is malformed */
    ble_hci_report in = {.data = data, .data_len = 31, .rssi_dbm = NAN};
    size_t len;
    ble_hci_report out[1];
    int n;
    assert_int_equal(ble_cap_build_hci(BLE_LT_HCI_H4, &in, rec, sizeof rec, &len), 0);
    rec[1 + 3 + 8 + 1] = 32;
    assert_int_equal(ble_cap_parse_hci(BLE_LT_HCI_H4, rec, len, out, 1, &n), SG_EFORMAT);
    in.data_len = 32;
    assert_int_equal(ble_cap_build_hci(BLE_LT_HCI_H4, &in, rec, sizeof rec, &len), SG_EINVAL);
    assert_int_equal(ble_cap_build_hci(BLE_LT_LL, &in, rec, sizeof rec, &len), SG_EINVAL);
}

/* record of an extended PDU on a channel */
static void ll_ext(const ble_ext_adv *x, int ch, uint8_t *rec, size_t *len, ble_ll_rec *r)
{
    uint8_t pdu[BLE_EXT_PDU_MAX];
    size_t n;
    assert_int_equal(ble_ext_build(x, pdu, sizeof pdu, &n), 0);
    assert_int_equal(ble_cap_build_ll(BLE_LT_LL_PHDR, ch, BLE_PHY_CODED, 8, -80, pdu, n, rec,
                                      BLE_EXT_PDU_MAX + 32, len), 0);
    assert_int_equal(ble_cap_parse_ll(BLE_LT_LL_PHDR, rec, *len, r), 0);
}

static void test_chain(void **state)
{
    (void)state;
    static ble_chain c;
    ble_chain_init(&c);
    uint8_t data[400], rec[3][BLE_EXT_PDU_MAX + 32];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i ^ 0x5A);
    ble_ll_rec r[3];
    size_t len;
    ble_adv_data d;
    /* ADV_EXT_IND (pointer only) -> AUX_ADV_IND (200 bytes, AuxPtr) -> AUX_CHAIN_IND (200) */
    ble_ext_adv p = {.has_adva = true, .has_adi = true, .did = 7, .sid = 2, .has_aux = true,
                     .aux_channel = 11, .aux_phy = BLE_PHY_CODED, .aux_offset_us = 300};
    memcpy(p.adva, ADVA, 6);
    ll_ext(&p, 37, rec[0], &len, &r[0]);
    assert_int_equal(ble_chain_feed_ll(&c, &r[0], 10.0, &d), SG_ENOTFOUND);
    assert_int_equal(c.st.no_data, 1);
    /* the usual ADV_EXT_IND carries no AdvA (ADI + AuxPtr only): on a primary channel a
     * pointer, not an orphaned AUX_CHAIN_IND */
    ble_ext_adv p0 = p;
    p0.has_adva = false;
    ble_ll_rec r0;
    uint8_t rec0[BLE_EXT_PDU_MAX + 32];
    ll_ext(&p0, 38, rec0, &len, &r0);
    assert_int_equal(ble_chain_feed_ll(&c, &r0, 10.0, &d), SG_ENOTFOUND);
    assert_int_equal(c.st.no_data, 2);
    assert_int_equal(c.st.orphans, 0);
    ble_ext_adv a = p;
    a.adv_data = data;
    a.adv_data_len = 200;
    a.aux_channel = 12;
    ll_ext(&a, 11, rec[1], &len, &r[1]);
    ble_ext_adv ch = {.has_adi = true, .did = 7, .sid = 2, .adv_data = data + 200,
                      .adv_data_len = 200};
    ll_ext(&ch, 12, rec[2], &len, &r[2]);
    assert_int_equal(ble_chain_feed_ll(&c, &r[1], 10.001, &d), SG_EAGAIN);
    assert_int_equal(ble_chain_feed_ll(&c, &r[2], 10.002, &d), SG_OK);
    assert_int_equal(d.adv_data_len, 400);
    assert_memory_equal(d.adv_data, data, 400);
    assert_memory_equal(d.adva, ADVA, 6);
    assert_true(d.extended);
    assert_int_equal(d.phy, BLE_PHY_CODED);
    assert_int_equal(d.coding, 8);
    assert_int_equal(d.channel, 12);
    /* the chain is closed: its continuation again is an orphan */
    assert_int_equal(ble_chain_feed_ll(&c, &r[2], 10.003, &d), SG_ENOTFOUND);
    assert_int_equal(c.st.orphans, 1);
    /* a chain never continued: dropped after the timeout, counted */
    assert_int_equal(ble_chain_feed_ll(&c, &r[1], 11.0, &d), SG_EAGAIN);
    assert_int_equal(ble_chain_feed_ll(&c, &r[0], 11.0 + BLE_CHAIN_TIMEOUT_S + 0.1, &d),
                     SG_ENOTFOUND);
    assert_int_equal(c.st.incomplete, 1);
    /* restarted before its end: counted; then completes */
    assert_int_equal(ble_chain_feed_ll(&c, &r[1], 20.0, &d), SG_EAGAIN);
    assert_int_equal(ble_chain_feed_ll(&c, &r[1], 20.001, &d), SG_EAGAIN);
    assert_int_equal(c.st.incomplete, 2);
    assert_int_equal(ble_chain_feed_ll(&c, &r[2], 20.002, &d), SG_OK);
    assert_int_equal(d.adv_data_len, 400);
    /* more chains at once than slots: the oldest goes, counted */
    for (int i = 0; i <= BLE_CHAIN_SLOTS; i++) {
        a.did = (uint16_t)(100 + i);
        ll_ext(&a, 11, rec[1], &len, &r[1]);
        assert_int_equal(ble_chain_feed_ll(&c, &r[1], 30.0 + 0.001 * i, &d), SG_EAGAIN);
    }
    assert_int_equal(c.st.incomplete, 3);
    /* longer than BLE_ADV_DATA_MAX: overflow counted */
    ble_chain_init(&c);
    a.did = 9;
    ch.did = 9;
    ch.has_aux = true;
    ch.aux_channel = 3;
    ch.aux_phy = BLE_PHY_CODED;
    ll_ext(&a, 11, rec[1], &len, &r[1]);
    ll_ext(&ch, 12, rec[2], &len, &r[2]);
    assert_int_equal(ble_chain_feed_ll(&c, &r[1], 40.0, &d), SG_EAGAIN);
    int rc = SG_EAGAIN, k = 0;
    while (rc == SG_EAGAIN && k++ < 20)
        rc = ble_chain_feed_ll(&c, &r[2], 40.0 + 0.001 * k, &d);
    assert_int_equal(rc, SG_EOVERFLOW);
    assert_int_equal(c.st.overflow, 1);
    assert_int_equal(k, (BLE_ADV_DATA_MAX - 200) / 200 + 1);

    /* HCI: fragments (data status 1) joined per address and SID; truncated counted */
    ble_chain_init(&c);
    ble_hci_report h = {.extended = true, .sid = 1, .secondary_phy = BLE_PHY_2M,
                        .rssi_dbm = -50, .data = data, .data_len = 150, .data_status = 1};
    memcpy(h.addr, ADVA, 6);
    assert_int_equal(ble_chain_feed_hci(&c, &h, 1.0, &d), SG_EAGAIN);
    h.data = data + 150;
    h.data_status = 0;
    assert_int_equal(ble_chain_feed_hci(&c, &h, 1.001, &d), SG_OK);
    assert_int_equal(d.adv_data_len, 300);
    assert_memory_equal(d.adv_data, data, 300);
    assert_int_equal(d.phy, BLE_PHY_2M);
    assert_int_equal(d.channel, -1);
    h.data_status = 1;
    assert_int_equal(ble_chain_feed_hci(&c, &h, 2.0, &d), SG_EAGAIN);
    h.data_status = 2;
    assert_int_equal(ble_chain_feed_hci(&c, &h, 2.001, &d), SG_EFORMAT);
    assert_int_equal(c.st.truncated, 1);
    h.data_status = 0; /* a complete report needs no chain */
    assert_int_equal(ble_chain_feed_hci(&c, &h, 3.0, &d), SG_OK);
    assert_int_equal(d.adv_data_len, 150);
}

/* Random mutations of valid records of every link type: errors or sane output only. */
static void test_mutations(void **state)
{
    (void)state;
    uint8_t msg[ODID_MSG_SIZE] = {0x12}, pdu[BLE_EXT_PDU_MAX], ad[64];
    size_t n;
    assert_int_equal(ble_adv_build_odid(ADVA, 1, msg, sizeof msg, pdu, sizeof pdu, &n), 0);
    uint8_t recs[6][BLE_EXT_PDU_MAX + 32];
    size_t lens[6];
    const int lts[6] = {BLE_LT_LL, BLE_LT_LL_PHDR, BLE_LT_NORDIC, BLE_LT_HCI_H4,
                        BLE_LT_HCI_H4_PHDR, BLE_LT_MONITOR};
    ble_ext_adv x = {.has_adva = true, .has_adi = true, .adv_data = ad, .adv_data_len = 40};
    memset(ad, 0x16, sizeof ad);
    uint8_t xp[BLE_EXT_PDU_MAX];
    size_t xn;
    assert_int_equal(ble_ext_build(&x, xp, sizeof xp, &xn), 0);
    for (int k = 0; k < 3; k++)
        assert_int_equal(ble_cap_build_ll(lts[k], 8, BLE_PHY_1M, 0, -40, k ? xp : pdu, k ? xn : n,
                                          recs[k], sizeof recs[k], &lens[k]), 0);
    for (int k = 3; k < 6; k++) {
        ble_hci_report h = {.extended = k == 4, .data = ad, .data_len = 31, .rssi_dbm = -3};
        assert_int_equal(ble_cap_build_hci(lts[k], &h, recs[k], sizeof recs[k], &lens[k]), 0);
    }
    static ble_chain c;
    ble_chain_init(&c);
    int ok = 0;
    for (int it = 0; it < 30000; it++) {
        int k = (int)(rnd() % 6);
        size_t l = lens[k] + (rnd() % 3 == 0 ? rnd() % 8 : 0);
        if (rnd() % 4 == 0)
            l = rnd() % (lens[k] + 1);
        uint8_t *h = malloc(l ? l : 1);
        assert_non_null(h);
        for (size_t i = 0; i < l; i++)
            h[i] = i < lens[k] ? recs[k][i] : (uint8_t)rnd();
        for (int f = (int)(rnd() % 4); f > 0 && l; f--)
            h[rnd() % l] ^= (uint8_t)(1u << (rnd() % 8));
        ble_adv_data d;
        if (k < 3) {
            ble_ll_rec r;
            if (ble_cap_parse_ll(lts[k], h, l, &r) == SG_OK) {
                assert_true(r.pdu >= h && r.pdu + r.pdu_len + 3 <= h + l);
                int rc = ble_chain_feed_ll(&c, &r, it * 1e-3, &d);
                if (rc == SG_OK) {
                    assert_true(d.adv_data_len <= BLE_ADV_DATA_MAX);
                    ok++;
                }
            }
        } else {
            ble_hci_report rep[4];
            int cnt;
            if (ble_cap_parse_hci(lts[k], h, l, rep, 4, &cnt) == SG_OK)
                for (int i = 0; i < cnt; i++) {
                    assert_true(rep[i].data + rep[i].data_len <= h + l);
                    if (ble_chain_feed_hci(&c, &rep[i], it * 1e-3, &d) == SG_OK)
                        ok++;
                }
        }
        free(h);
    }
    print_message("ble_cap: 30000 mutated records (seed 0x%x), %d advertisements out\n", SEED, ok);
    assert_true(ok > 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ext_layout), cmocka_unit_test(test_ll_records),
        cmocka_unit_test(test_hci),        cmocka_unit_test(test_chain),
        cmocka_unit_test(test_mutations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
