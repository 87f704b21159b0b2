/* Bluetooth Remote ID captures end to end: tools/sg_blecap writes a capture in every
 * link type (251, 256, 272, 187, 201, 254), pcap and pcapng, legacy and extended
 * advertising (chained or not) on 1M, 2M and Coded S=8 / S=2; the libpcap input
 * (adapters/rid_wifi_pcap.c) must return every message the tool sent, with the
 * transport, PHY, channel, identity and a position that moves east at 10 m/s. A
 * capture written here with one record per failure (bad CRC, truncated, orphan chain
 * fragment, another advertiser) checks each counter; DRIP-signed captures verify with
 * the tool's key and fail with another; bad tool arguments exit 2. */
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
#include "cap_writer.h"
#include "odid.h"
#include "rid_wifi_pcap.h"

#define TOOL SG_BINARY_DIR "/sg_blecap"
#define CAP SG_BINARY_DIR "/test_ble_cap_pcap.cap"
#define SECONDS 4

typedef struct {
    int frames, msgs, locations, bt4, bt5, phy_bad, chan_bad;
    char id[ODID_UAS_ID_TEXT];
    double lon_first, lon_last, t_first, t_last;
    int want_phy, want_coding;
} seen;

static int on_frame(void *user, double t, const rid_wifi_frame *f)
{
    seen *s = user;
    s->frames++;
    s->bt4 += f->transport == RID_BT_LEGACY;
    s->bt5 += f->transport == RID_BT_EXT;
    s->phy_bad += f->ble_phy != s->want_phy || f->ble_coding != s->want_coding;
    for (int i = 0; i < f->n_msgs; i++) {
        const odid_message *m = &f->msgs[i];
        s->msgs++;
        if (m->type == ODID_MT_BASIC_ID)
            strcpy(s->id, m->u.basic_id.uas_id);
        if (m->type == ODID_MT_LOCATION) {
            if (!s->locations++) {
                s->lon_first = m->u.location.lon_deg;
                s->t_first = t;
            }
            s->lon_last = m->u.location.lon_deg;
            s->t_last = t;
        }
    }
    return 0;
}

static void run_case(int lt, const char *opt, bool pcapng)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, TOOL " -l %d %s %s -n %d -o " CAP, lt, opt, pcapng ? "--pcapng" : "",
             SECONDS);
    if (system(cmd) != 0)
        fail_msg("%s failed", cmd);
    sg_errinfo e = {0};
    rid_pcap *p = rid_pcap_open_file(CAP, &e);
    if (!p)
        fail_msg("%s: %s", cmd, e.msg);
    seen s = {0};
    bool ext = strstr(opt, "--ext") != NULL, hci = ble_cap_is_hci(lt);
    s.want_phy = strstr(opt, "coded") ? BLE_PHY_CODED : strstr(opt, "2m") ? BLE_PHY_2M : BLE_PHY_1M;
    s.want_coding = strstr(opt, "coded8") && !hci ? 8 : strstr(opt, "coded2") && !hci ? 2 : 0;
    assert_int_equal(rid_pcap_run(p, on_frame, &s, &e), 0);
    rid_pcap_stats st;
    rid_pcap_get_stats(p, &st);
    rid_pcap_close(p);
    if (s.msgs != 5 * SECONDS || s.locations != SECONDS || s.phy_bad ||
        strcmp(s.id, "1596F35GR1234567") || (ext ? s.bt5 : s.bt4) != s.frames)
        fail_msg("%s: %d messages, %d locations, id \"%s\", %d with another PHY, bt4 %d bt5 %d", cmd,
                 s.msgs, s.locations, s.id, s.phy_bad, s.bt4, s.bt5);
    /* east at 10 m/s: the longitude step over the run matches the time step */
    double m_east = (s.lon_last - s.lon_first) * 111320.0 * cos(60.17 * M_PI / 180.0);
    assert_true(fabs(m_east - 10.0 * (s.t_last - s.t_first)) < 0.5);
    assert_int_equal(st.ble_chain_lost, 0);
    assert_int_equal(st.decoded, (uint64_t)s.frames);
    uint64_t rej = 0;
    for (int r = 1; r < RID_WIFI_REASONS_; r++)
        rej += st.rejected[r];
    assert_int_equal(rej, 0);
}

static void test_every_link_type(void **state)
{
    (void)state;
    const int lts[] = {BLE_LT_LL, BLE_LT_LL_PHDR, BLE_LT_NORDIC, BLE_LT_HCI_H4,
                       BLE_LT_HCI_H4_PHDR, BLE_LT_MONITOR};
    for (int k = 0; k < 6; k++) {
        run_case(lts[k], "", k % 2);
        if (lts[k] == BLE_LT_LL)
            continue; /* 251 cannot say the PHY; extended advertising on 1M only */
        run_case(lts[k], "--ext", k % 2 == 0);
        run_case(lts[k], "--ext --chain --phy coded8", k % 2);
        run_case(lts[k], "--ext --phy coded2", k % 2 == 0);
        run_case(lts[k], "--ext --chain --phy 2m", true);
    }
    run_case(BLE_LT_LL, "--ext --chain", false);
}

static void test_counters(void **state)
{
    (void)state;
    sg_errinfo e = {0};
    cap_writer *w = cap_writer_open(CAP, BLE_LT_LL_PHDR, true, &e);
    assert_non_null(w);
    odid_message m;
    odid_message_init(&m, ODID_MT_LOCATION);
    m.u.location.lat_deg = 1;
    m.u.location.lon_deg = 2;
    uint8_t msg[ODID_MSG_SIZE], pdu[BLE_EXT_PDU_MAX], rec[BLE_EXT_PDU_MAX + 32], ad[40];
    size_t n, len;
    const uint8_t adva[6] = {6, 5, 4, 3, 2, 0xC1};
    assert_int_equal(odid_encode_message(&m, msg), 0);
    assert_int_equal(ble_adv_build_odid(adva, 0, msg, sizeof msg, pdu, sizeof pdu, &n), 0);
    /* 1 good */
    assert_int_equal(ble_cap_build_ll(BLE_LT_LL_PHDR, 38, BLE_PHY_1M, 0, -40, pdu, n, rec,
                                      sizeof rec, &len), 0);
    assert_int_equal(cap_writer_write(w, 100.0, rec, len, &e), 0);
    /* 2 CRC flagged bad by the sniffer */
    rec[9] &= (uint8_t)~0x08;
    assert_int_equal(cap_writer_write(w, 100.1, rec, len, &e), 0);
    rec[9] |= 0x08;
    /* 3 truncated inside the PDU */
    assert_int_equal(cap_writer_write(w, 100.2, rec, len - 10, &e), 0);
    /* 4 an orphan AUX_CHAIN_IND */
    ble_ext_adv c = {.has_adi = true, .did = 5, .adv_data = msg, .adv_data_len = 20};
    assert_int_equal(ble_ext_build(&c, pdu, sizeof pdu, &n), 0);
    assert_int_equal(ble_cap_build_ll(BLE_LT_LL_PHDR, 4, BLE_PHY_2M, 0, -40, pdu, n, rec,
                                      sizeof rec, &len), 0);
    assert_int_equal(cap_writer_write(w, 100.3, rec, len, &e), 0);
    /* 5 another advertiser (no Remote ID service data) */
    memset(ad, 0, sizeof ad);
    ad[0] = 2;
    ad[1] = 0x01;
    ad[2] = 0x06;
    ble_ext_adv o = {.has_adva = true, .adv_data = ad, .adv_data_len = 3};
    memcpy(o.adva, adva, 6);
    assert_int_equal(ble_ext_build(&o, pdu, sizeof pdu, &n), 0);
    assert_int_equal(ble_cap_build_ll(BLE_LT_LL_PHDR, 4, BLE_PHY_1M, 0, -40, pdu, n, rec,
                                      sizeof rec, &len), 0);
    assert_int_equal(cap_writer_write(w, 100.4, rec, len, &e), 0);
    /* 6 an AUX_ADV_IND whose chain never ends */
    o.has_adi = o.has_aux = true;
    o.aux_channel = 9;
    o.aux_phy = BLE_PHY_1M;
    assert_int_equal(ble_ext_build(&o, pdu, sizeof pdu, &n), 0);
    assert_int_equal(ble_cap_build_ll(BLE_LT_LL_PHDR, 4, BLE_PHY_1M, 0, -40, pdu, n, rec,
                                      sizeof rec, &len), 0);
    assert_int_equal(cap_writer_write(w, 100.5, rec, len, &e), 0);
    assert_int_equal(cap_writer_close(w, &e), 0);

    rid_pcap *p = rid_pcap_open_file(CAP, &e);
    assert_non_null(p);
    seen s = {.want_phy = BLE_PHY_1M};
    assert_int_equal(rid_pcap_run(p, on_frame, &s, &e), 0);
    rid_pcap_stats st;
    rid_pcap_get_stats(p, &st);
    rid_pcap_close(p);
    assert_int_equal(st.frames, 6);
    assert_int_equal(st.decoded, 1);
    assert_int_equal(st.rejected[RID_WIFI_BAD_FCS], 1);
    assert_int_equal(st.rejected[RID_WIFI_BAD_BLE], 1);
    assert_int_equal(st.not_rid, 2);     /* orphan fragment, other advertiser */
    assert_int_equal(st.ble_pending, 1);
    assert_int_equal(st.ble_chain_lost, 2); /* the orphan, the unfinished chain */
    assert_int_equal(s.msgs, 1);
}

/* Signed Remote ID end to end: sg_blecap --drip signs a DRIP Wrapper per second with
 * its demo key and writes the key line; sg_rid --trust judges the aircraft verified;
 * without the key unverified; another key for that DET is refused in the trust file
 * (the DET is the RFC 9374 hash of the aircraft's key). */
static char *run_out(const char *cmd)
{
    static char out[65536];
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    assert_int_equal(pclose(p), 0);
    return out;
}

static void test_drip_signed(void **state)
{
    (void)state;
    const char *opts[] = {"-l 256", "-l 272 --ext --chain --phy coded2", "-l 254 --ext"};
    for (int i = 0; i < 3; i++) {
        char cmd[512];
        snprintf(cmd, sizeof cmd, TOOL " %s --drip " CAP ".keys -n 3 -o " CAP, opts[i]);
        assert_int_equal(system(cmd), 0);
        const char *o = run_out(SG_BINARY_DIR "/sg_rid --json --trust " CAP ".keys " CAP
                                " 2>/dev/null | grep '\"kind\":\"aircraft\"'");
        if (!strstr(o, "\"auth\":\"verified\""))
            fail_msg("%s: %s", opts[i], o);
        o = run_out(SG_BINARY_DIR "/sg_rid --json " CAP " 2>/dev/null | grep aircraft");
        assert_non_null(strstr(o, "\"auth\":\"unverified\""));
    }
    /* the DET's key replaced by another one: not the key its DET is the hash of */
    FILE *f = fopen(CAP ".keys", "r");
    assert_non_null(f);
    char line[256] = "", key[256] = "";
    while (fgets(line, sizeof line, f))
        if (line[0] != '#')
            snprintf(key, sizeof key, "%s", line);
    fclose(f);
    key[40] = key[40] == 'a' ? 'b' : 'a';
    f = fopen(CAP ".keys", "w");
    fputs(key, f);
    fclose(f);
    int rc = system(SG_BINARY_DIR "/sg_rid --json --trust " CAP ".keys " CAP " > " CAP
                    ".out 2>&1");
    assert_true(WIFEXITED(rc) && WEXITSTATUS(rc) != 0);
    f = fopen(CAP ".out", "r");
    assert_non_null(f);
    size_t n = fread(line, 1, sizeof line - 1, f);
    line[n] = '\0';
    fclose(f);
    if (!strstr(line, ".keys:1: the DET is not the hash of the key"))
        fail_msg("trust file with a foreign key: %s", line);
}

static void test_tool_usage(void **state)
{
    (void)state;
    const char *bad[] = {"-o " CAP, "-l 127 -o " CAP, "-l 251 --phy coded8 --ext -o " CAP,
                         "-l 256 --chain -o " CAP, "-l 256 --phy 3m -o " CAP,
                         "-l 256 --phy 2m -o " CAP, "-l 256 -n 0 -o " CAP};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char cmd[256];
        snprintf(cmd, sizeof cmd, TOOL " %s 2>/dev/null", bad[i]);
        int rc = system(cmd);
        if (!WIFEXITED(rc) || WEXITSTATUS(rc) != 2)
            fail_msg("%s: exit %d, expected 2", cmd, WEXITSTATUS(rc));
    }
    int rc = system(TOOL " -l 256 -o /nonexistent/dir/x.pcap 2>/dev/null");
    assert_true(WIFEXITED(rc) && WEXITSTATUS(rc) == 1);
    /* --help and -h: the usage on stdout, exit 0 */
    const char *help[] = {"--help", "-h"};
    for (size_t i = 0; i < 2; i++) {
        char cmd[256], out[2048];
        snprintf(cmd, sizeof cmd, TOOL " %s 2>/dev/null", help[i]);
        FILE *p = popen(cmd, "r");
        assert_non_null(p);
        size_t n = fread(out, 1, sizeof out - 1, p);
        out[n] = 0;
        rc = pclose(p);
        if (!WIFEXITED(rc) || WEXITSTATUS(rc) != 0 || !strstr(out, "usage: sg_blecap -l"))
            fail_msg("%s: exit %d, stdout \"%s\"", cmd, WEXITSTATUS(rc), out);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_link_type),
        cmocka_unit_test(test_counters),
        cmocka_unit_test(test_drip_signed),
        cmocka_unit_test(test_tool_usage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
