/* Remote ID through the daemon: cooperative drones become tracks with their
 * broadcast identity and operator position, and an allow-listed one does not alarm.
 *   - Wi-Fi: the real beacon capture (../shared/fixtures/remoteid) through a
 *     remoteid_wifi sensor (skipped when the fixture is absent);
 *   - BLE: a SigMF capture made here with the project's BLE modulator, received from
 *     IQ by an RF sensor with a "ble" section;
 *   - Bluetooth 5 Long Range: a SigMF capture made with the Coded PHY modulator
 *     (ADV_EXT_IND on channel 37 -> AUX_ADV_IND on secondary channel 0, S=8 and S=2)
 *     next to a legacy 1M advertiser, received by an RF sensor with "extended". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sg_assert.h"

#include <complex.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ble_cap.h"
#include "ble_tx.h"
#include "daemon_harness.h"
#include "odid.h"
#include "sigmf.h"

#define B SG_BINARY_DIR "/test_rid_e2e"
#define PCAP SG_FIXTURES_DIR "/remoteid/odid_wifi_bcn_sample.pcap"

/* A venue around (lat, lon) with one circular alert zone of radius_m there, and the
 * given sensors and allow-list. */
static void write_venue(const char *name, double lat, double lon, double radius_m,
                        const char *sensors, const char *allow)
{
    char path[512];
    snprintf(path, sizeof path, B "/%s.geojson", name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f,
            "{\"type\": \"FeatureCollection\", \"features\": [{\"type\": \"Feature\", "
            "\"id\": \"field\", \"properties\": {\"layer\": \"alert\", \"radius_m\": %g, "
            "\"floor_m\": 0, \"ceiling_m\": 10000, \"altitude_ref\": \"AMSL\"}, "
            "\"geometry\": {\"type\": \"Point\", \"coordinates\": [%.7f, %.7f]}}]}\n",
            radius_m, lon, lat);
    fclose(f);
    snprintf(path, sizeof path, B "/%s.json", name);
    f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f,
            "{\"version\": 1, \"site\": {\"name\": \"%s\", \"origin\": {\"lat_deg\": %.7f, "
            "\"lon_deg\": %.7f, \"alt_m\": 100}},\n \"zones\": \"%s.geojson\",\n"
            " \"signatures\": \"%s/config/signatures.json\",\n \"sensors\": %s,\n"
            " \"allow_list\": %s}\n",
            name, lat, lon, name, SG_SOURCE_DIR, sensors, allow);
    fclose(f);
}

static int setup(void **state)
{
    (void)state;
    return system("rm -rf " B " && mkdir -p " B);
}

static void test_wifi_beacons(void **state)
{
    (void)state;
    if (!SG_WITH_PCAP || access(PCAP, R_OK) != 0) {
        print_message("skipped: needs libpcap and %s\n", PCAP);
        skip();
    }
    char sensors[1024];
    snprintf(sensors, sizeof sensors,
             "[{\"id\": \"rid-wifi\", \"kind\": \"remoteid_wifi\", \"position\": {\"lat_deg\": "
             "45.546, \"lon_deg\": -122.968, \"alt_m\": 60}, \"adapter\": {\"type\": \"pcap\", "
             "\"file\": \"%s\"}}]",
             PCAP);
    write_venue("wifi", 45.5462, -122.9675, 150, sensors, "[]");
    msglist l = {0};
    static const char *const args[] = {"-c", B "/wifi.json", "--record-out", B "/wifi.jsonl",
                                       NULL};
    int status = harness_run(B "/wifi.log", args, &l);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    harness_schema_check(B "/wifi.jsonl", "track,alert,status", NULL); /* remote_id, operator */
    size_t tracks = 0, with_op = 0, alerts = 0;
    for (size_t i = 0; i < l.n; i++) {
        const cJSON *j = l.msgs[i];
        if (strcmp(jstr(j, "type"), "track") == 0) {
            assert_string_equal(jstr(j, "identity"), "MFG1A0123456789");
            assert_string_equal(jstr(j, "class"), "remote_id");
            const cJSON *rid = cJSON_GetObjectItem(j, "remote_id");
            assert_non_null(rid);
            assert_true(jnum(rid, "protocol_version") >= 0);
            tracks++;
            const cJSON *op = cJSON_GetObjectItem(j, "operator");
            if (op) {
                with_op++;
                assert_near(jnum(op, "lat"), 45.5443876, 1e-6);
                assert_near(jnum(op, "lon"), -122.9726866, 1e-6);
            }
        } else if (strcmp(jstr(j, "type"), "alert") == 0) {
            alerts++;
            assert_string_equal(jstr(j, "zone"), "field");
            assert_false(jflag(j, "allow_listed"));
        }
    }
    const cJSON *st = msglist_last(&l, "status");
    assert_non_null(st);
    const cJSON *s0 = cJSON_GetArrayItem(cJSON_GetObjectItem(st, "sensors"), 0);
    print_message("wifi: %zu track messages (%zu with operator), %zu alerts, %g frames, "
                  "%g positions\n", tracks, with_op, alerts, jnum(s0, "wifi_rid_frames"),
                  jnum(s0, "remote_id_positions"));
    assert_int_equal((int)jnum(s0, "wifi_rid_frames"), 21);
    assert_true(jnum(s0, "remote_id_positions") >= 10);
    assert_true(tracks > 0 && with_op > 0);
    assert_true(alerts >= 1);
    msglist_free(&l);
}

/* A Bluetooth 5 sniffer capture (Nordic link type, Coded PHY S=8, chained extended
 * advertising) written by sg_blecap, read by a remoteid_wifi sensor's pcap adapter: the
 * daemon tracks it with every Remote ID field in the feed. */
static void test_ble_capture_file(void **state)
{
    (void)state;
    if (!SG_WITH_PCAP) {
        print_message("skipped: needs libpcap\n");
        skip();
    }
    assert_int_equal(system(SG_BINARY_DIR "/sg_blecap -l 272 --ext --chain --phy coded8 -n 15 "
                            "--lat 45.546 --lon -122.968 --t0 1780000000 -o " B "/bt5.pcap"),
                     0);
    const char *sensors =
        "[{\"id\": \"rid-bt\", \"kind\": \"remoteid_wifi\", \"position\": {\"lat_deg\": "
        "45.546, \"lon_deg\": -122.968, \"alt_m\": 60}, \"adapter\": {\"type\": \"pcap\", "
        "\"file\": \"" B "/bt5.pcap\"}}]";
    write_venue("bt5", 45.5462, -122.9675, 150, sensors, "[]");
    msglist l = {0};
    static const char *const args[] = {"-c", B "/bt5.json", NULL};
    int status = harness_run(B "/bt5.log", args, &l);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    size_t tracks = 0, full = 0;
    for (size_t i = 0; i < l.n; i++) {
        const cJSON *j = l.msgs[i];
        if (strcmp(jstr(j, "type"), "track") != 0)
            continue;
        assert_string_equal(jstr(j, "identity"), "1596F35GR1234567");
        const cJSON *rid = cJSON_GetObjectItem(j, "remote_id");
        assert_non_null(rid);
        tracks++;
        /* the first pack's Location comes before its Self-ID / Operator ID messages:
         * the details are complete from the second fix on */
        if (jnum(j, "hits") < 2)
            continue;
        full++;
        assert_string_equal(jstr(rid, "self_id"), "sg_blecap test flight");
        assert_string_equal(jstr(rid, "operator_id"), "FIN87astrdge12k8");
        assert_string_equal(jstr(rid, "auth"), "unsigned");
        assert_string_equal(jstr(rid, "height_ref"), "takeoff");
        assert_near(jnum(rid, "height_m"), 100.0, 1e-9);
        assert_near(jnum(rid, "h_acc_m"), 10.0, 1e-9);
        assert_near(jnum(rid, "status"), 2, 0);
        assert_near(jnum(j, "alt_m"), 150.0, 5.0);
    }
    print_message("bt5 capture: %zu track messages, %zu after the first fix\n", tracks, full);
    assert_true(full >= 3);
    msglist_free(&l);
}

/* n samples of weak uniform noise (fixed seed): the floor of a synthetic capture */
static float complex *noise_capture(size_t n, unsigned s)
{
    float complex *x = calloc(n, sizeof *x);
    assert_non_null(x);
    for (size_t i = 0; i < n; i++) {
        s = s * 1103515245u + 12345u;
        float a = ((float)(s >> 16 & 0x7fff) / 32768.0f - 0.5f) * 0.004f;
        s = s * 1103515245u + 12345u;
        float b = ((float)(s >> 16 & 0x7fff) / 32768.0f - 0.5f) * 0.004f;
        x[i] = a + I * b;
    }
    return x;
}

/* adds w samples of pk at sample `at` (cut at n) */
static void add_iq(float complex *x, size_t n, size_t at, const float complex *pk, size_t w)
{
    for (size_t i = 0; i < w && at + i < n; i++)
        x[at + i] += pk[i];
}

/* writes x[n] as a SigMF recording base.sigmf-meta/-data and frees x */
static void write_sigmf(const char *base, sigmf_datatype fmt, double fs, double fc, double t0,
                        float complex *x, size_t n)
{
    sg_errinfo e = {0};
    sigmf_writer *wr = sigmf_writer_create(base, fmt, fs, fc, t0, "BLE Remote ID test", &e);
    assert_non_null(wr);
    assert_int_equal(sigmf_writer_write(wr, x, n, &e), 0);
    assert_int_equal(sigmf_writer_close(wr, &e), 0);
    free(x);
}

/* BLE capture: one advertiser alternating Basic ID, Location and System messages. */
static void write_ble_capture(const char *base, double t0)
{
    const double fs = 4e6, dur = 4.0;
    size_t n = (size_t)(fs * dur);
    float complex *x = noise_capture(n, 7);
    ble_tx_cfg tc;
    ble_tx_cfg_default(&tc);
    tc.sample_rate = fs;
    tc.offset_hz = 0;
    tc.amplitude = 0.3;
    const uint8_t adva[6] = {0xC0, 0x11, 0x22, 0x33, 0x44, 0x55};
    for (int k = 0; k < 60; k++) {
        double tk = 0.05 + k * 0.065;
        odid_message m;
        switch (k % 3) {
        case 0:
            odid_message_init(&m, ODID_MT_BASIC_ID);
            m.u.basic_id.id_type = ODID_IDT_SERIAL;
            m.u.basic_id.ua_type = 2;
            snprintf(m.u.basic_id.uas_id, sizeof m.u.basic_id.uas_id, "1596ABLETEST0001");
            break;
        case 1:
            odid_message_init(&m, ODID_MT_LOCATION);
            m.u.location.status = ODID_STATUS_AIRBORNE;
            m.u.location.direction_deg = 90;
            m.u.location.speed_h = 10;
            m.u.location.speed_v = 0;
            m.u.location.lat_deg = 48.8584;
            /* 10 m/s east at this latitude */
            m.u.location.lon_deg = 2.2945 + tk * 10 / (111320.0 * cos(48.8584 * M_PI / 180));
            m.u.location.alt_geo = 200;
            m.u.location.h_acc = 10;
            m.u.location.v_acc = 4;
            break;
        default:
            odid_message_init(&m, ODID_MT_SYSTEM);
            m.u.system.op_lat_deg = 48.8570;
            m.u.system.op_lon_deg = 2.2930;
            m.u.system.area_count = 1;
            break;
        }
        uint8_t raw[ODID_MSG_SIZE];
        assert_int_equal(odid_encode_message(&m, raw), 0);
        size_t at = (size_t)(tk * fs), w = 0;
        float complex *pk = malloc(8000 * sizeof *pk);
        assert_non_null(pk);
        assert_int_equal(ble_tx_odid(&tc, adva, (uint8_t)k, raw, 37, pk, 8000, &w, NULL), 0);
        add_iq(x, n, at, pk, w);
        free(pk);
    }
    write_sigmf(base, SIGMF_CF32_LE, fs, 2402e6, t0, x, n);
}

static void run_ble(const char *allow, msglist *l)
{
    write_ble_capture(B "/ble", 1784572200.0);
    char sensors[1024];
    snprintf(sensors, sizeof sensors,
             "[{\"id\": \"rf-ble\", \"kind\": \"rf\", \"position\": {\"lat_deg\": 48.8580, "
             "\"lon_deg\": 2.2945, \"alt_m\": 100}, \"adapter\": {\"type\": \"sigmf\", "
             "\"path\": \"ble.sigmf-meta\"}, \"ble\": {\"channels\": [37], \"sample_rate\": 4e6}}]");
    write_venue("ble", 48.8584, 2.2945, 200, sensors, allow);
    static const char *const args[] = {"-c", B "/ble.json", NULL};
    int status = harness_run(B "/ble.log", args, l);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void test_ble_from_iq(void **state)
{
    (void)state;
    msglist l = {0};
    run_ble("[]", &l);
    size_t tracks = 0, alerts = 0, with_op = 0;
    for (size_t i = 0; i < l.n; i++) {
        const cJSON *j = l.msgs[i];
        if (strcmp(jstr(j, "type"), "track") == 0) {
            assert_string_equal(jstr(j, "identity"), "1596ABLETEST0001");
            tracks++;
            assert_near(jnum(j, "speed_mps"), 10, 3);
            /* the operator is known once a System message has been heard */
            with_op += cJSON_GetObjectItem(j, "operator") != NULL;
        } else if (strcmp(jstr(j, "type"), "alert") == 0) {
            alerts++;
            assert_string_equal(jstr(j, "severity"), "alert");
        }
    }
    const cJSON *st = msglist_last(&l, "status");
    const cJSON *s0 = cJSON_GetArrayItem(cJSON_GetObjectItem(st, "sensors"), 0);
    print_message("ble: %g packets, %g positions, %zu track messages, %zu alerts\n",
                  jnum(s0, "ble_packets"), jnum(s0, "remote_id_positions"), tracks, alerts);
    assert_true(jnum(s0, "ble_packets") >= 54); /* 60 sent at a comfortable SNR */
    assert_true(tracks > 0 && with_op > 0);
    assert_true(alerts >= 1);
    msglist_free(&l);

    /* The same drone allow-listed: reported, never alarmed. */
    run_ble("[{\"identity\": \"1596ABLETEST0001\", \"label\": \"press\"}]", &l);
    size_t info = 0;
    for (size_t i = 0; i < l.n; i++) {
        const cJSON *j = l.msgs[i];
        if (strcmp(jstr(j, "type"), "alert") != 0)
            continue;
        assert_true(jflag(j, "allow_listed"));
        assert_string_equal(jstr(j, "severity"), "info");
        info++;
    }
    assert_true(info >= 1);
    msglist_free(&l);
}


/* Bluetooth 5 Long Range capture, 4 Msps centred on 2403 MHz (channels 37 and 0):
 * drone A on the Coded PHY (ADV_EXT_IND on 37 pointing to AUX_ADV_IND on 0 with a
 * 5-message pack, S=8 and S=2 alternately) and drone B on legacy 1M on 37, 10 Hz each. */
static void write_coded_capture(const char *base, double t0)
{
    const double fs = 4e6, fc = 2403e6, dur = 2.5;
    size_t n = (size_t)(fs * dur);
    float complex *x = noise_capture(n, 11);
    ble_tx_cfg tc;
    ble_tx_cfg_default(&tc);
    tc.sample_rate = fs;
    tc.amplitude = 0.3;
    const uint8_t adva[6] = {0x10, 0x32, 0x54, 0x76, 0x98, 0xC3}, advb[6] = {0x21, 0x43, 0x65,
                                                                              0x87, 0xA9, 0xC4};
    size_t cap = (size_t)(0.04 * fs);
    float complex *pk = malloc(cap * sizeof *pk);
    assert_non_null(pk);
    for (int k = 0; k < 24; k++) {
        double tk = 0.05 + k * 0.1;
        odid_message m[5];
        odid_message_init(&m[0], ODID_MT_BASIC_ID);
        m[0].u.basic_id.id_type = ODID_IDT_SERIAL;
        m[0].u.basic_id.ua_type = 2;
        snprintf(m[0].u.basic_id.uas_id, sizeof m[0].u.basic_id.uas_id, "1596CODEDLR0001");
        odid_message_init(&m[1], ODID_MT_LOCATION);
        m[1].u.location.status = ODID_STATUS_AIRBORNE;
        m[1].u.location.direction_deg = 0;
        m[1].u.location.speed_h = 8;
        m[1].u.location.speed_v = 0;
        m[1].u.location.lat_deg = 48.8584 + tk * 8 / 111320.0; /* 8 m/s north */
        m[1].u.location.lon_deg = 2.2945;
        m[1].u.location.alt_geo = 180;
        m[1].u.location.h_acc = 10;
        m[1].u.location.v_acc = 4;
        odid_message_init(&m[2], ODID_MT_SYSTEM);
        m[2].u.system.op_lat_deg = 48.8570;
        m[2].u.system.op_lon_deg = 2.2930;
        m[2].u.system.area_count = 1;
        odid_message_init(&m[3], ODID_MT_SELF_ID);
        snprintf(m[3].u.self_id.text, sizeof m[3].u.self_id.text, "long range test");
        odid_message_init(&m[4], ODID_MT_OPERATOR_ID);
        snprintf(m[4].u.operator_id.op_id, sizeof m[4].u.operator_id.op_id, "FRA-OP-LONGRANGE");
        uint8_t pack[200], ad[220], pdu[BLE_EXT_PDU_MAX];
        size_t plen, len, w;
        assert_int_equal(odid_encode_pack(m, 5, pack, sizeof pack, &plen), 0);
        ble_ext_adv p = {.has_adi = true, .did = (uint16_t)k, .sid = 2, .has_aux = true,
                         .aux_channel = 0, .aux_phy = BLE_PHY_CODED, .aux_offset_us = 2400};
        assert_int_equal(ble_ext_build(&p, pdu, sizeof pdu, &len), 0);
        tc.offset_hz = ble_channel_freq(37) - fc;
        assert_int_equal(ble_tx_coded(&tc, pdu, len, 37, 8, pk, cap, &w, NULL), 0);
        size_t at = (size_t)(tk * fs);
        add_iq(x, n, at, pk, w);
        ble_ext_adv a = {.tx_random = true, .has_adva = true, .has_adi = true, .did = (uint16_t)k,
                         .sid = 2, .adv_data = ad, .adv_data_len = ble_ad_odid((uint8_t)k, pack,
                                                                               plen, ad)};
        memcpy(a.adva, adva, 6);
        assert_int_equal(ble_ext_build(&a, pdu, sizeof pdu, &len), 0);
        tc.offset_hz = ble_channel_freq(0) - fc;
        assert_int_equal(ble_tx_coded(&tc, pdu, len, 0, k % 2 ? 2 : 8, pk, cap, &w, NULL), 0);
        at = (size_t)((tk + 0.0024) * fs);
        add_iq(x, n, at, pk, w);
        /* drone B, legacy: Basic ID and Location alternately, 30 ms later */
        odid_message b;
        if (k % 2 == 0) {
            odid_message_init(&b, ODID_MT_BASIC_ID);
            b.u.basic_id.id_type = ODID_IDT_SERIAL;
            snprintf(b.u.basic_id.uas_id, sizeof b.u.basic_id.uas_id, "1596LEGACY1M02");
        } else {
            odid_message_init(&b, ODID_MT_LOCATION);
            b.u.location.status = ODID_STATUS_AIRBORNE;
            b.u.location.lat_deg = 48.8620;
            b.u.location.lon_deg = 2.2990;
            b.u.location.alt_geo = 150;
            b.u.location.h_acc = 10;
        }
        uint8_t raw[ODID_MSG_SIZE];
        assert_int_equal(odid_encode_message(&b, raw), 0);
        tc.offset_hz = ble_channel_freq(37) - fc;
        assert_int_equal(ble_tx_odid(&tc, advb, (uint8_t)k, raw, 37, pk, cap, &w, NULL), 0);
        at = (size_t)((tk + 0.03) * fs);
        add_iq(x, n, at, pk, w);
    }
    free(pk);
    write_sigmf(base, SIGMF_CI16_LE, fs, fc, t0, x, n);
}

static void test_ble_coded_from_iq(void **state)
{
    (void)state;
    write_coded_capture(B "/lr", 1784572200.0);
    const char *sensors =
        "[{\"id\": \"rf-lr\", \"kind\": \"rf\", \"position\": {\"lat_deg\": 48.8580, "
        "\"lon_deg\": 2.2945, \"alt_m\": 100}, \"adapter\": {\"type\": \"sigmf\", "
        "\"path\": \"lr.sigmf-meta\"}, \"ble\": {\"channels\": [37], \"sample_rate\": 4e6, "
        "\"extended\": true, \"coded_primary\": true}}]";
    write_venue("lr", 48.8584, 2.2945, 200, sensors, "[]");
    msglist l = {0};
    static const char *const args[] = {"-c", B "/lr.json", "--record-out", B "/lr.jsonl", NULL};
    int status = harness_run(B "/lr.log", args, &l);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    harness_schema_check(B "/lr.jsonl", "track,status", NULL);
    size_t coded = 0, full = 0, legacy = 0;
    for (size_t i = 0; i < l.n; i++) {
        const cJSON *j = l.msgs[i];
        if (strcmp(jstr(j, "type"), "track") != 0)
            continue;
        const cJSON *rid = cJSON_GetObjectItem(j, "remote_id");
        assert_non_null(rid);
        if (!strcmp(jstr(j, "identity"), "1596LEGACY1M02")) {
            legacy++;
            continue;
        }
        assert_string_equal(jstr(j, "identity"), "1596CODEDLR0001");
        coded++;
        assert_near(jnum(j, "speed_mps"), 8, 3);
        if (jnum(j, "hits") < 2)
            continue; /* the first pack's Location precedes its Self-ID / Operator ID */
        full++;
        assert_string_equal(jstr(rid, "self_id"), "long range test");
        assert_string_equal(jstr(rid, "operator_id"), "FRA-OP-LONGRANGE");
        assert_near(jnum(rid, "h_acc_m"), 10.0, 1e-9);
        assert_non_null(cJSON_GetObjectItem(j, "operator"));
    }
    const cJSON *st = msglist_last(&l, "status");
    const cJSON *s0 = cJSON_GetArrayItem(cJSON_GetObjectItem(st, "sensors"), 0);
    print_message("bt5 long range: %zu coded track messages (%zu complete), %zu legacy, %g BLE "
                  "packets, %g positions\n", coded, full, legacy, jnum(s0, "ble_packets"),
                  jnum(s0, "remote_id_positions"));
    print_message("  1M %g, S=8 %g, S=2 %g, CRC failures 1M %g / Coded %g, Remote ID adverts %g "
                  "(bad %g), AuxPtrs unheard %g, chains lost %g, secondary channels %g\n",
                  jnum(s0, "ble_1m"), jnum(s0, "ble_coded_s8"), jnum(s0, "ble_coded_s2"),
                  jnum(s0, "ble_crc_fail_1m"), jnum(s0, "ble_crc_fail_coded"),
                  jnum(s0, "ble_rid_decoded"), jnum(s0, "ble_rid_bad"),
                  jnum(s0, "ble_aux_unheard"), jnum(s0, "ble_chain_lost"),
                  jnum(s0, "ble_secondary_channels"));
    /* 24 ADV_EXT_IND + 24 AUX_ADV_IND (Coded) + 24 legacy at a comfortable SNR */
    assert_true(jnum(s0, "ble_packets") >= 66);
    assert_true(jnum(s0, "ble_1m") >= 22 && jnum(s0, "ble_1m") <= 24);
    assert_true(jnum(s0, "ble_coded_s8") >= 33 && jnum(s0, "ble_coded_s8") <= 36); /* 24 + 12 */
    assert_true(jnum(s0, "ble_coded_s2") >= 10 && jnum(s0, "ble_coded_s2") <= 12);
    assert_near(jnum(s0, "ble_packets"),
                jnum(s0, "ble_1m") + jnum(s0, "ble_coded_s8") + jnum(s0, "ble_coded_s2"), 0);
    assert_true(jnum(s0, "ble_rid_decoded") >= 44 && jnum(s0, "ble_rid_decoded") <= 48);
    assert_near(jnum(s0, "ble_rid_bad"), 0, 0);
    assert_near(jnum(s0, "ble_aux_unheard"), 0, 0); /* every AuxPtr names channel 0 */
    assert_near(jnum(s0, "ble_secondary_channels"), 1, 0);
    assert_true(full >= 15);
    assert_true(legacy >= 5);
    msglist_free(&l);
}

/* DRIP: the venue's remote_id_trust names the keys file; a signed Bluetooth capture
 * (sg_blecap --drip) is then verified on the track, unverified without the file; a
 * missing or malformed file stops the daemon with the key and the problem named. */
static void run_drip(const char *trust, const char *expect_auth, const char *counter)
{
    char sensors[1024], venue[2048], path[512];
    snprintf(sensors, sizeof sensors,
             "[{\"id\": \"rid-bt\", \"kind\": \"remoteid_wifi\", \"position\": {\"lat_deg\": "
             "45.546, \"lon_deg\": -122.968, \"alt_m\": 60}, \"adapter\": {\"type\": \"pcap\", "
             "\"file\": \"" B "/signed.pcap\"}}]");
    write_venue("drip", 45.5462, -122.9675, 150, sensors, "[]");
    if (trust) { /* the venue with the key added */
        snprintf(path, sizeof path, B "/drip.json");
        FILE *f = fopen(path, "r");
        assert_non_null(f);
        size_t n = fread(venue, 1, sizeof venue - 1, f);
        fclose(f);
        venue[n] = '\0';
        char *brace = strrchr(venue, '}');
        assert_non_null(brace);
        snprintf(brace, sizeof venue - (size_t)(brace - venue), ", \"remote_id_trust\": \"%s\"}\n",
                 trust);
        f = fopen(path, "w");
        assert_non_null(f);
        fputs(venue, f);
        fclose(f);
    }
    msglist l = {0};
    static const char *const args[] = {"-c", B "/drip.json", NULL};
    int status = harness_run(B "/drip.log", args, &l);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    size_t judged = 0;
    for (size_t i = 0; i < l.n; i++) {
        const cJSON *j = l.msgs[i];
        if (strcmp(jstr(j, "type"), "track") != 0 || jnum(j, "hits") < 3)
            continue; /* the first set of pages completes with the first second's messages */
        const cJSON *rid = cJSON_GetObjectItem(j, "remote_id");
        assert_non_null(rid);
        assert_string_equal(jstr(rid, "auth"), expect_auth);
        judged++;
    }
    const cJSON *st = msglist_last(&l, "status");
    const cJSON *s0 = cJSON_GetArrayItem(cJSON_GetObjectItem(st, "sensors"), 0);
    print_message("drip (%s): %zu track messages judged %s; verdicts: %g verified, %g failed, "
                  "%g unverified\n", trust ? trust : "no trust file", judged, expect_auth,
                  jnum(s0, "remote_id_auth_verified"), jnum(s0, "remote_id_auth_failed"),
                  jnum(s0, "remote_id_auth_unverified"));
    assert_true(judged >= 3);
    /* every verdict is the expected one; at least one set per second of the capture */
    assert_true(jnum(s0, counter) >= 7);
    assert_near(jnum(s0, "remote_id_auth_verified") + jnum(s0, "remote_id_auth_failed") +
                    jnum(s0, "remote_id_auth_unverified"), jnum(s0, counter), 0);
    msglist_free(&l);
}

static void test_drip_trust(void **state)
{
    (void)state;
    if (!SG_WITH_PCAP) {
        print_message("skipped: needs libpcap\n");
        skip();
    }
    assert_int_equal(system(SG_BINARY_DIR "/sg_blecap -l 272 --ext --drip " B "/keys.txt -n 8 "
                            "--lat 45.546 --lon -122.968 --t0 1780000000 -o " B "/signed.pcap"),
                     0);
    run_drip("keys.txt", "verified", "remote_id_auth_verified"); /* relative to the venue */
    run_drip(NULL, "unverified", "remote_id_auth_unverified");
    /* a missing file: refused by the venue check, key named */
    write_venue("drip", 45.5462, -122.9675, 150, "[]", "[]");
    FILE *f = fopen(B "/bad_keys.txt", "w");
    assert_non_null(f);
    fputs("# one good-looking line, then a short key\n20010030000000000000000000000001 abcd\n", f);
    fclose(f);
    f = fopen(B "/empty_keys.txt", "w");
    assert_non_null(f);
    fputs("# nothing yet\n", f);
    fclose(f);
    static const char *const cases[][2] = {
        {"no_such_keys.txt", "remote_id_trust: file \"no_such_keys.txt\" not found"},
        {"bad_keys.txt", "bad_keys.txt:2: expected \"DET KEY\""},
        {"empty_keys.txt", "empty_keys.txt holds no key"},
    };
    for (size_t k = 0; k < 3; k++) {
        char cmd[1024];
        snprintf(cmd, sizeof cmd,
                 "sed 's|\"allow_list\"|\"remote_id_trust\": \"%s\", \"allow_list\"|' " B
                 "/drip.json > " B "/drip_bad.json && sed -i 's|\"sensors\": \\[\\]|\"sensors\": "
                 "[{\"id\": \"b\", \"kind\": \"remoteid_wifi\", \"position\": {\"lat_deg\": 45.5, "
                 "\"lon_deg\": -122.9, \"alt_m\": 0}, \"adapter\": {\"type\": \"pcap\", \"file\": "
                 "\"signed.pcap\"}}]|' " B "/drip_bad.json && " SG_BINARY_DIR
                 "/skyguardd --check -c " B "/drip_bad.json > " B "/drip_bad.log 2>&1",
                 cases[k][0]);
        int rc = system(cmd);
        assert_true(WIFEXITED(rc) && WEXITSTATUS(rc) != 0);
        if (!log_contains(B "/drip_bad.log", cases[k][1]) ||
            !log_contains(B "/drip_bad.log", "remote_id_trust"))
            fail_msg("%s: the error does not name the key and the problem (see %s)", cases[k][0],
                     B "/drip_bad.log");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wifi_beacons),
        cmocka_unit_test(test_ble_capture_file),
        cmocka_unit_test(test_ble_from_iq),
        cmocka_unit_test(test_ble_coded_from_iq),
        cmocka_unit_test(test_drip_trust),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
