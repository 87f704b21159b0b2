/* The BLE Remote ID scanner (dsp/ble_scan.c) on IQ made with our modulators
 * (ble_tx_odid for legacy 1M, ble_tx_coded for the LE Coded PHY): at 8 Msps centred on
 * 2404 MHz it hears legacy advertising on channel 37 and extended advertising with
 * AuxPtr from 37 to the secondary channels 0 and 1 (the ones the band holds, found
 * automatically), S=8 and S=2, chained AUX_CHAIN_IND; AuxPtrs to a channel outside the
 * band and to the 2M PHY are counted as unheard; messages come out in time order;
 * every bad configuration is refused. Fixed seed printed on failure. */
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

#include "sg_assert.h"

#include "ble_cap.h"
#include "ble_coded.h"
#include "ble_scan.h"
#include "ble_tx.h"
#include "odid.h"
#include "sg_json.h"

#define SEED 0x5CA11ull
#define FS 8e6
#define FC 2404e6

#include "test_rng.h"

static const uint8_t ADVA_EXT[6] = {0x66, 0x55, 0x44, 0x33, 0x22, 0xC1}; /* on air, LSB first */
static const uint8_t ADVA_LEG[6] = {0x01, 0x02, 0x03, 0x04, 0x05, 0xC2};

/* s: Coded PHY S=8 / S=2; 1: the 1M PHY */
static void add_packet(float complex *x, size_t n, double t, int channel, int s,
                       const uint8_t *pdu, size_t len)
{
    ble_tx_cfg tc;
    ble_tx_cfg_default(&tc);
    tc.sample_rate = FS;
    tc.offset_hz = ble_channel_freq(channel) - FC;
    tc.amplitude = 0.2;
    tc.phase0 = 2 * M_PI * urand();
    size_t cap = (size_t)(0.04 * FS), w = 0;
    float complex *pk = malloc(cap * sizeof *pk);
    assert_non_null(pk);
    sg_errinfo e = {0};
    if (s == 1)
        assert_int_equal(ble_tx_pdu(&tc, pdu, len, channel, pk, cap, &w, &e), 0);
    else
        assert_int_equal(ble_tx_coded(&tc, pdu, len, channel, s, pk, cap, &w, &e), 0);
    size_t at = (size_t)(t * FS);
    for (size_t i = 0; i < w && at + i < n; i++)
        x[at + i] += pk[i];
    free(pk);
}

static size_t pack_ad(const char *id, double lat, uint8_t counter, uint8_t *ad)
{
    odid_message m[2];
    odid_message_init(&m[0], ODID_MT_BASIC_ID);
    m[0].u.basic_id.id_type = ODID_IDT_SERIAL;
    snprintf(m[0].u.basic_id.uas_id, sizeof m[0].u.basic_id.uas_id, "%s", id);
    odid_message_init(&m[1], ODID_MT_LOCATION);
    m[1].u.location.lat_deg = lat;
    m[1].u.location.lon_deg = 11.5;
    uint8_t pack[128];
    size_t plen;
    assert_int_equal(odid_encode_pack(m, 2, pack, sizeof pack, &plen), 0);
    return ble_ad_odid(counter, pack, plen, ad);
}

/* ADV_EXT_IND on 37 (Coded S=8, or 1M when s is 1) pointing to (aux_ch, aux_phy). */
static void add_ext_ind(float complex *x, size_t n, double t, int aux_ch, ble_phy aux_phy, int s)
{
    ble_ext_adv p = {.has_adi = true, .did = 5, .sid = 1, .has_aux = true,
                     .aux_channel = (uint8_t)aux_ch, .aux_phy = aux_phy, .aux_offset_us = 3000};
    uint8_t pdu[BLE_EXT_PDU_MAX];
    size_t len;
    assert_int_equal(ble_ext_build(&p, pdu, sizeof pdu, &len), 0);
    add_packet(x, n, t, 37, s, pdu, len);
}

typedef struct {
    int n;
    double t[64];
    ble_phy phy[64];
    int coding[64], channel[64];
    char id[64][24];
    bool ordered;
} got_t;

static void on_rid(void *user, const ble_scan_rid *r)
{
    got_t *g = user;
    if (g->n > 0 && r->t < g->t[g->n - 1])
        g->ordered = false;
    if (g->n == 64)
        return;
    g->t[g->n] = r->t;
    g->phy[g->n] = r->phy;
    g->coding[g->n] = r->coding;
    g->channel[g->n] = r->channel;
    g->id[g->n][0] = '\0';
    for (int i = 0; i < r->n_msgs; i++)
        if (r->msgs[i].type == ODID_MT_BASIC_ID)
            snprintf(g->id[g->n], sizeof g->id[0], "%s", r->msgs[i].u.basic_id.uas_id);
    g->n++;
}

/* x[n] as one block through a scanner made from cfg: what it delivers, its counters */
static void scan_whole(const ble_scan_cfg *cfg, const float complex *x, size_t n, got_t *g,
                       ble_scan_stats *st)
{
    sg_errinfo e = {0};
    ble_scan *q = ble_scan_create(cfg, &e);
    assert_non_null(q);
    *g = (got_t){.ordered = true};
    sg_iq_block b = {.x = x, .n = n, .sample_rate = FS, .center_freq = FC, .t0 = 1000.0};
    assert_int_equal(ble_scan_execute(q, &b, on_rid, g, &e), SG_OK);
    ble_scan_flush(q, on_rid, g);
    ble_scan_get_stats(q, st);
    ble_scan_destroy(q);
}

static void test_scan(void **state)
{
    (void)state;
    const double dur = 0.2;
    size_t n = (size_t)(FS * dur);
    float complex *x = calloc(n, sizeof *x);
    assert_non_null(x);
    uint8_t ad[128], pdu[BLE_EXT_PDU_MAX];
    size_t len;
    /* 1: legacy ADV_NONCONN_IND on 37 (1M) at 10 ms */
    {
        odid_message m;
        odid_message_init(&m, ODID_MT_BASIC_ID);
        m.u.basic_id.id_type = ODID_IDT_SERIAL;
        strcpy(m.u.basic_id.uas_id, "LEGACY-1M-0001");
        uint8_t raw[ODID_MSG_SIZE];
        assert_int_equal(odid_encode_message(&m, raw), 0);
        ble_tx_cfg tc;
        ble_tx_cfg_default(&tc);
        tc.sample_rate = FS;
        tc.offset_hz = ble_channel_freq(37) - FC;
        tc.amplitude = 0.2;
        float complex pk[8000];
        size_t w;
        assert_int_equal(ble_tx_odid(&tc, ADVA_LEG, 1, raw, 37, pk, 8000, &w, NULL), 0);
        for (size_t i = 0; i < w; i++)
            x[(size_t)(0.010 * FS) + i] += pk[i];
    }
    /* 2: ADV_EXT_IND -> AUX_ADV_IND on channel 1, S=8, at 20 / 23 ms */
    add_ext_ind(x, n, 0.020, 1, BLE_PHY_CODED, 8);
    ble_ext_adv a = {.tx_random = true, .has_adva = true, .has_adi = true, .did = 5, .sid = 1};
    memcpy(a.adva, ADVA_EXT, 6);
    a.adv_data = ad;
    a.adv_data_len = pack_ad("CODED-S8-0001", 48.1, 2, ad);
    assert_int_equal(ble_ext_build(&a, pdu, sizeof pdu, &len), 0);
    add_packet(x, n, 0.023, 1, 8, pdu, len);
    /* 3: AuxPtr to channel 5 (2414 MHz, outside 2400..2408) and to channel 0 on 2M */
    add_ext_ind(x, n, 0.050, 5, BLE_PHY_CODED, 8);
    add_ext_ind(x, n, 0.065, 0, BLE_PHY_2M, 8);
    /* 4: ADV_EXT_IND -> AUX_ADV_IND on 0 (S=2, AuxPtr to 0) -> AUX_CHAIN_IND on 0 (S=2) */
    add_ext_ind(x, n, 0.090, 0, BLE_PHY_CODED, 8);
    size_t adl = pack_ad("CODED-S2-CHAIN", 48.2, 3, ad), cut = adl / 2;
    a.has_aux = true;
    a.aux_channel = 0;
    a.aux_phy = BLE_PHY_CODED;
    a.aux_offset_us = 3000;
    a.adv_data_len = cut;
    assert_int_equal(ble_ext_build(&a, pdu, sizeof pdu, &len), 0);
    add_packet(x, n, 0.093, 0, 2, pdu, len);
    ble_ext_adv c = {.has_adi = true, .did = 5, .sid = 1, .adv_data = ad + cut,
                     .adv_data_len = adl - cut};
    assert_int_equal(ble_ext_build(&c, pdu, sizeof pdu, &len), 0);
    add_packet(x, n, 0.098, 0, 2, pdu, len);
    /* 5: the 1M PHY: ADV_EXT_IND on 37 -> AUX_ADV_IND on 1 (a 2-message pack, 98 bytes
     *    of payload: longer than any legacy PDU) */
    add_ext_ind(x, n, 0.110, 1, BLE_PHY_1M, 1);
    a.has_aux = false;
    a.adv_data_len = pack_ad("ONE-M-EXT-0001", 48.3, 5, ad);
    assert_int_equal(ble_ext_build(&a, pdu, sizeof pdu, &len), 0);
    assert_true(len > BLE_PDU_MAX);
    add_packet(x, n, 0.1125, 1, 1, pdu, len);
    /* 6: the S=8 advertisement again on channel 1 */
    a.has_aux = false;
    a.adv_data_len = pack_ad("CODED-S8-0001", 48.1, 4, ad);
    assert_int_equal(ble_ext_build(&a, pdu, sizeof pdu, &len), 0);
    add_packet(x, n, 0.130, 1, 8, pdu, len);
    for (size_t i = 0; i < n; i++)
        x[i] += (float)(0.01 * grand()) + I * (float)(0.01 * grand());

    ble_scan_cfg cfg;
    ble_scan_cfg_default(&cfg);
    cfg.legacy.sample_rate = FS;
    cfg.legacy.offsets_hz[0] = NAN; /* from the centre frequency */
    cfg.extended = true;
    cfg.coded_primary = true;
    cfg.sec_1m = true;
    sg_errinfo e = {0};
    ble_scan *q = ble_scan_create(&cfg, &e);
    assert_non_null(q);
    got_t g = {.ordered = true};
    for (size_t at = 0; at < n;) {
        size_t m = 5000 + (size_t)(urand() * 60000);
        if (m > n - at)
            m = n - at;
        sg_iq_block b = {.x = x + at, .n = m, .sample_index = at, .sample_rate = FS,
                         .center_freq = FC, .t0 = 1000.0};
        assert_int_equal(ble_scan_execute(q, &b, on_rid, &g, &e), SG_OK);
        at += m;
    }
    ble_scan_flush(q, on_rid, &g);
    ble_scan_stats st;
    ble_scan_get_stats(q, &st);
    print_message("seed %#llx: %d adverts; 1M %llu, S=8 %llu, S=2 %llu, aux %llu (unheard %llu), "
                  "secondary %d, chain lost %llu, Coded CRC failures %llu\n", (unsigned long long)SEED, g.n,
                  (unsigned long long)st.packets_1m, (unsigned long long)st.packets_s8,
                  (unsigned long long)st.packets_s2, (unsigned long long)st.aux_ptrs,
                  (unsigned long long)st.aux_unheard, st.n_secondary,
                  (unsigned long long)st.chain_lost, (unsigned long long)st.crc_fail_coded);
    assert_int_equal(st.n_secondary, 2); /* channels 0 and 1 */
    assert_int_equal(g.n, 5);
    assert_true(g.ordered);
    assert_string_equal(g.id[0], "LEGACY-1M-0001");
    assert_int_equal(g.phy[0], BLE_PHY_1M);
    assert_int_equal(g.channel[0], 37);
    assert_string_equal(g.id[1], "CODED-S8-0001");
    assert_int_equal(g.phy[1], BLE_PHY_CODED);
    assert_int_equal(g.coding[1], 8);
    assert_int_equal(g.channel[1], 1);
    assert_near(g.t[1], 1000.023, 2e-6);
    assert_string_equal(g.id[2], "CODED-S2-CHAIN");
    assert_int_equal(g.coding[2], 2);
    assert_int_equal(g.channel[2], 0);
    assert_string_equal(g.id[3], "ONE-M-EXT-0001");
    assert_int_equal(g.phy[3], BLE_PHY_1M);
    assert_int_equal(g.channel[3], 1);
    assert_near(g.t[3], 1000.1125, 2e-6);
    assert_string_equal(g.id[4], "CODED-S8-0001");
    assert_int_equal(st.packets_1m, 3);     /* legacy, ADV_EXT_IND and AUX_ADV_IND on 1M */
    assert_int_equal(st.packets_s8, 4 + 2); /* 4 ADV_EXT_IND, 2 AUX_ADV_IND */
    assert_int_equal(st.packets_s2, 2);
    assert_int_equal(st.aux_ptrs, 6);       /* 5 ADV_EXT_IND + 1 continued AUX_ADV_IND */
    assert_int_equal(st.aux_unheard, 2);
    assert_int_equal(st.rid_adverts, 5);
    assert_int_equal(st.rid_decoded, 5);
    assert_int_equal(st.chain_lost, 0);
    /* crc_fail_coded is not asserted: a strong packet on the adjacent channel (2 MHz
     * away, same access address) can sync a neighbour's receiver and fail its CRC */
    assert_true(ble_scan_hold_s(q) > 0.017 && ble_scan_hold_s(q) < 0.1);
    ble_scan_destroy(q);

    /* the defaults with extended on: Coded on the secondary channels only; the 1M
     * advertisement is missed and its AuxPtr (heard on 1M on channel 37) counted */
    cfg.coded_primary = false;
    cfg.sec_1m = false;
    scan_whole(&cfg, x, n, &g, &st);
    assert_int_equal(g.n, 4);
    assert_string_equal(g.id[3], "CODED-S8-0001");
    assert_int_equal(st.packets_s8, 2);
    assert_int_equal(st.packets_s2, 2);
    assert_int_equal(st.packets_1m, 2);
    assert_int_equal(st.aux_ptrs, 2);
    assert_int_equal(st.aux_unheard, 1);

    /* extended off: the legacy receiver alone, the Coded PHY unheard */
    cfg.extended = false;
    scan_whole(&cfg, x, n, &g, &st);
    assert_int_equal(g.n, 1);
    assert_int_equal(st.packets_s8 + st.packets_s2 + (uint64_t)st.n_secondary, 0);
    free(x);
}

static void test_bad_config(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "{\"extended\": 1}",
        "{\"secondary_channels\": \"all\"}",
        "{\"secondary_channels\": [37]}",
        "{\"secondary_channels\": [1, 1]}",
        "{\"secondary_channels\": [0,1,2,3,4,5,6,7,8]}",
        "{\"secondary_channels\": [1.5]}",
        "{\"max_secondary\": 0}",
        "{\"max_secondary\": 9}",
        "{\"coded_threshold\": 0.1}",
        "{\"channels\": [40]}",
        "{\"extnded\": true}",
        "{\"coded_primary\": 1}",
        "{\"secondary_phys\": []}",
        "{\"secondary_phys\": [\"2m\"]}",
        "{\"secondary_phys\": [\"coded\", \"coded\"]}",
        "{\"secondary_phys\": \"coded\"}",
        "{\"squelch_db\": 0.5}",
        "{\"squelch_db\": 31}",
        "{\"squelch_db\": -1}",
        "{\"squelch_db\": \"3\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cJSON *j = cJSON_Parse(bad[i]);
        assert_non_null(j);
        ble_scan_cfg c;
        ble_scan_cfg_default(&c);
        sg_errinfo e = {0};
        assert_int_not_equal(ble_scan_cfg_from_json(j, "site.json: sensors[0].ble", &c, &e), 0);
        assert_non_null(strstr(e.msg, "sensors[0].ble"));
        cJSON_Delete(j);
    }
    cJSON *j = cJSON_Parse("{\"channels\": [37], \"sample_rate\": 8e6, \"extended\": true, "
                           "\"secondary_channels\": [0, 1], \"max_secondary\": 2, "
                           "\"coded_threshold\": 0.4, \"coded_primary\": true, "
                           "\"secondary_phys\": [\"1m\"], \"squelch_db\": 6}");
    ble_scan_cfg c;
    ble_scan_cfg_default(&c);
    sg_errinfo e = {0};
    assert_int_equal(ble_scan_cfg_from_json(j, "ble", &c, &e), 0);
    cJSON_Delete(j);
    assert_true(c.extended);
    assert_int_equal(c.n_secondary, 2);
    assert_int_equal(c.secondary[1], 1);
    assert_near(c.coded_threshold, 0.4, 0);
    assert_near(c.legacy.sample_rate, 8e6, 0);
    assert_true(c.coded_primary && c.sec_1m && !c.sec_coded);
    assert_near(c.squelch_db, 6, 0);
    /* run-time: a listed secondary channel outside the band; no centre frequency */
    c.secondary[1] = 5;
    ble_scan *q = ble_scan_create(&c, &e);
    assert_non_null(q);
    float complex x[64] = {0};
    sg_iq_block b = {.x = x, .n = 64, .sample_rate = 8e6, .center_freq = FC};
    assert_int_equal(ble_scan_execute(q, &b, NULL, NULL, &e), SG_ERANGE);
    assert_non_null(strstr(e.msg, "secondary channel 5"));
    /* again: the receivers the failed attempt made are not kept twice (ASan: no leak) */
    assert_int_equal(ble_scan_execute(q, &b, NULL, NULL, &e), SG_ERANGE);
    ble_scan_destroy(q);
    c.secondary[1] = 1;
    q = ble_scan_create(&c, &e);
    b.center_freq = 0;
    assert_int_equal(ble_scan_execute(q, &b, NULL, NULL, &e), SG_ERANGE);
    ble_scan_destroy(q);
    /* the Coded PHY needs at least 4 MHz; the channeliser a rate it divides exactly to
     * 4 MHz (6 MHz is one now, 4.0001 MHz is not) */
    c.legacy.sample_rate = 6e6;
    q = ble_scan_create(&c, &e);
    assert_non_null(q);
    ble_scan_destroy(q);
    c.legacy.sample_rate = 2e6;
    assert_null(ble_scan_create(&c, &e));
    assert_int_equal(e.code, SG_EINVAL);
    c.legacy.sample_rate = 4.0001e6;
    assert_null(ble_scan_create(&c, &e));
    assert_int_equal(e.code, SG_EINVAL);
    assert_non_null(strstr(e.msg, "exactly"));
    assert_null(ble_scan_create(NULL, &e));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scan),
        cmocka_unit_test(test_bad_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
