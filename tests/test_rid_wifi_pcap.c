/* libpcap Remote ID adapter: the real beacon capture, and a synthetic capture we
 * write ourselves (beacon, NAN, foreign beacon, truncated and FCS-failed frames) so
 * each counter is checked against what was put in. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <cjson/cJSON.h>

#include "odid.h"
#include "rid_wifi.h"
#include "rid_wifi_pcap.h"

#define FIXTURE SG_FIXTURES_DIR "/remoteid/odid_wifi_bcn_sample.pcap"

typedef struct {
    int frames;
    double t_prev;
    char serial[ODID_ID_LEN + 1];
    int nan, beacon;
    int stop_after;
} ctx_t;

static int on_frame(void *user, double t, const rid_wifi_frame *f)
{
    ctx_t *c = user;
    assert_true(t >= c->t_prev);
    c->t_prev = t;
    c->frames++;
    c->nan += f->transport == RID_WIFI_NAN;
    c->beacon += f->transport == RID_WIFI_BEACON;
    for (int i = 0; i < f->n_msgs; i++)
        if (f->msgs[i].type == ODID_MT_BASIC_ID)
            strcpy(c->serial, f->msgs[i].u.basic_id.uas_id);
    return c->stop_after && c->frames >= c->stop_after ? 7 : 0;
}

static int count_records(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    uint8_t h[24], r[16];
    int n = 0;
    if (fread(h, 1, 24, f) == 24)
        while (fread(r, 1, 16, f) == 16) {
            uint32_t incl = r[8] | (r[9] << 8) | (r[10] << 16) | ((uint32_t)r[11] << 24);
            if (fseek(f, (long)incl, SEEK_CUR))
                break;
            n++;
        }
    fclose(f);
    return n;
}

static void test_fixture_json(void **state)
{
    (void)state;
    if (count_records(FIXTURE) < 0)
        skip();
    cJSON *j = cJSON_CreateObject();
    assert_non_null(cJSON_AddStringToObject(j, "file", FIXTURE));
    sg_errinfo e;
    rid_pcap *p = rid_pcap_open_json(j, "site.json: remote_id.wifi", &e);
    cJSON_Delete(j);
    assert_non_null(p);
    ctx_t c = {0};
    assert_int_equal(rid_pcap_run(p, on_frame, &c, &e), 0);
    assert_true(c.frames > 0);
    rid_pcap_close(p);
}

static void test_fixture(void **state)
{
    (void)state;
    int nrec = count_records(FIXTURE);
    if (nrec < 0) {
        print_message("fixture %s absent: skipped\n", FIXTURE);
        skip();
    }
    sg_errinfo e;
    rid_pcap *p = rid_pcap_open_file(FIXTURE, &e);
    assert_non_null(p);
    ctx_t c = {0};
    assert_int_equal(rid_pcap_run(p, on_frame, &c, &e), 0);
    rid_pcap_stats st;
    rid_pcap_get_stats(p, &st);
    assert_int_equal(st.frames, (uint64_t)nrec);
    assert_int_equal(st.decoded, (uint64_t)nrec);
    assert_int_equal(c.frames, nrec);
    assert_int_equal(c.beacon, nrec);
    assert_true(st.messages >= st.decoded);
    assert_true(strlen(c.serial) > 0);
    rid_pcap_close(p);

    /* a callback's non-zero return stops the run and is returned */
    p = rid_pcap_open_file(FIXTURE, &e);
    assert_non_null(p);
    ctx_t c2 = {.stop_after = 3};
    assert_int_equal(rid_pcap_run(p, on_frame, &c2, &e), 7);
    assert_int_equal(c2.frames, 3);
    rid_pcap_close(p);
}

static void put32(FILE *f, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    fwrite(b, 1, 4, f);
}

static void put_record(FILE *f, uint32_t sec, const uint8_t *d, size_t n)
{
    put32(f, sec);
    put32(f, 0);
    put32(f, (uint32_t)n);
    put32(f, (uint32_t)n);
    fwrite(d, 1, n, f);
}

static void write_header(FILE *f, uint32_t linktype)
{
    put32(f, 0xa1b2c3d4u);
    put32(f, 0x00040002u); /* version 2.4 */
    put32(f, 0);
    put32(f, 0);
    put32(f, 65535);
    put32(f, linktype);
}

static void test_synthetic_counters(void **state)
{
    (void)state;
    const char *path = SG_BINARY_DIR "/test_rid_wifi_pcap.pcap";
    odid_message m[2];
    odid_message_init(&m[0], ODID_MT_BASIC_ID);
    m[0].u.basic_id.id_type = ODID_IDT_SERIAL;
    strcpy(m[0].u.basic_id.uas_id, "SYNTH-1");
    odid_message_init(&m[1], ODID_MT_LOCATION);
    m[1].u.location.lat_deg = 47.0;
    m[1].u.location.lon_deg = 8.0;
    uint8_t pack[64], fr[256], rt[300];
    size_t plen, flen;
    assert_int_equal(odid_encode_pack(m, 2, pack, sizeof pack, &plen), 0);
    const uint8_t mac[6] = {0x02, 0, 0, 0, 0, 1};
    const uint8_t rth[8] = {0, 0, 8, 0, 0, 0, 0, 0}; /* minimal radiotap: no fields */
    const uint8_t rth_badfcs[10] = {0, 0, 10, 0, 2, 0, 0, 0, 0x50, 0};

    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    write_header(f, 127);
    /* 1: beacon with Remote ID */
    assert_int_equal(rid_wifi_build_beacon(mac, "S", 1, pack, plen, fr, sizeof fr, &flen), 0);
    memcpy(rt, rth, 8);
    memcpy(rt + 8, fr, flen);
    put_record(f, 100, rt, 8 + flen);
    /* 2: NAN with Remote ID */
    assert_int_equal(rid_wifi_build_nan(mac, 2, pack, plen, fr, sizeof fr, &flen), 0);
    memcpy(rt + 8, fr, flen);
    put_record(f, 101, rt, 8 + flen);
    /* 3: the NAN frame cut inside its pack: bad_80211 (attribute past the end) */
    put_record(f, 102, rt, 8 + flen - 10);
    /* 4: FCS failed */
    memcpy(rt, rth_badfcs, 10);
    memcpy(rt + 10, fr, flen);
    put_record(f, 103, rt, 10 + flen);
    /* 5: a plain beacon without Remote ID */
    assert_int_equal(rid_wifi_build_beacon(mac, "HOME", 1, pack, plen, fr, sizeof fr, &flen), 0);
    fr[24 + 12 + 6 + 2] = 0x00; /* spoil the OUI */
    memcpy(rt, rth, 8);
    memcpy(rt + 8, fr, flen);
    put_record(f, 104, rt, 8 + flen);
    /* 6: radiotap length lies beyond the frame */
    uint8_t lie[12] = {0, 0, 200, 0, 0, 0, 0, 0};
    put_record(f, 105, lie, sizeof lie);
    /* 7: Remote ID element whose pack count lies */
    assert_int_equal(rid_wifi_build_beacon(mac, "S", 1, pack, plen, fr, sizeof fr, &flen), 0);
    fr[24 + 12 + 3 + 2 + 5 + 2] = 3; /* pack count 3, only 2 messages present */
    memcpy(rt, rth, 8);
    memcpy(rt + 8, fr, flen);
    put_record(f, 106, rt, 8 + flen);
    fclose(f);

    sg_errinfo e;
    rid_pcap *p = rid_pcap_open_file(path, &e);
    assert_non_null(p);
    ctx_t c = {0};
    assert_int_equal(rid_pcap_run(p, on_frame, &c, &e), 0);
    rid_pcap_stats st;
    rid_pcap_get_stats(p, &st);
    rid_pcap_close(p);
    assert_int_equal(st.frames, 7);
    assert_int_equal(st.decoded, 2);
    assert_int_equal(c.beacon, 1);
    assert_int_equal(c.nan, 1);
    assert_int_equal(st.messages, 4);
    assert_string_equal(c.serial, "SYNTH-1");
    assert_int_equal(st.not_rid, 1);
    assert_int_equal(st.rejected[RID_WIFI_BAD_80211], 1);
    assert_int_equal(st.rejected[RID_WIFI_BAD_FCS], 1);
    assert_int_equal(st.rejected[RID_WIFI_BAD_RADIOTAP], 1);
    assert_int_equal(st.rejected[RID_WIFI_BAD_PACK], 1);

    /* Ethernet captures are refused with a clear message */
    f = fopen(path, "wb");
    assert_non_null(f);
    write_header(f, 1);
    fclose(f);
    assert_null(rid_pcap_open_file(path, &e));
    assert_int_equal(e.code, SG_ENOTSUP);
    assert_non_null(strstr(e.msg, "link type 1"));
    remove(path);
    assert_null(rid_pcap_open_file("/nonexistent/x.pcap", &e));
    assert_int_equal(e.code, SG_EIO);
    assert_null(rid_pcap_open_live("sg-no-such-if0", &e));

    /* JSON options: exactly one source, no unknown keys */
    const char *bad[] = {"{}", "{\"file\": \"a\", \"interface\": \"b\"}", "{\"fil\": \"a\"}",
                         "{\"file\": 3}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cJSON *j = cJSON_Parse(bad[i]);
        assert_non_null(j);
        assert_null(rid_pcap_open_json(j, "site.json: remote_id.wifi", &e));
        assert_non_null(strstr(e.msg, "site.json: remote_id.wifi"));
        cJSON_Delete(j);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixture),
        cmocka_unit_test(test_fixture_json),
        cmocka_unit_test(test_synthetic_counters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
