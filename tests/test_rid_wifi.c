/* Remote ID over Wi-Fi: the real beacon capture from the opendroneid project, plus
 * synthetic beacon and NAN frames built with our encoder. The pcap file format is
 * read here directly (global header + records) so the test runs without libpcap. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "odid.h"
#include "rid_wifi.h"

#define FIXTURE SG_FIXTURES_DIR "/remoteid/odid_wifi_bcn_sample.pcap"
#define MGMT_OFFSET_OUI 44 /* 24 hdr + 12 fixed + SSID "HOME" (6) + IE id/len */

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/* Distance in m between two WGS84 points (haversine; fine at these scales). */
static double dist_m(double la1, double lo1, double la2, double lo2)
{
    const double d2r = M_PI / 180.0, R = 6371008.8;
    double dla = (la2 - la1) * d2r, dlo = (lo2 - lo1) * d2r;
    double a = sin(dla / 2) * sin(dla / 2) +
               cos(la1 * d2r) * cos(la2 * d2r) * sin(dlo / 2) * sin(dlo / 2);
    return 2 * R * asin(sqrt(a));
}

static void test_fixture_moving_aircraft(void **state)
{
    (void)state;
    FILE *f = fopen(FIXTURE, "rb");
    if (!f) {
        print_message("fixture %s absent: skipped\n", FIXTURE);
        skip();
    }
    uint8_t gh[24];
    assert_int_equal(fread(gh, 1, 24, f), 24);
    assert_int_equal(le32(gh), 0xa1b2c3d4u);
    assert_int_equal(le32(gh + 20), 127); /* LINKTYPE_IEEE802_11_RADIOTAP */

    odid_table *tb = odid_table_create(8, 60.0, NULL);
    assert_non_null(tb);
    double lat[64], lon[64], t[64], spd[64];
    int npos = 0, frames = 0, decoded = 0;
    char serial[ODID_ID_LEN + 1] = "";
    uint8_t rh[16], buf[65536];
    while (fread(rh, 1, 16, f) == 16) {
        uint32_t incl = le32(rh + 8);
        assert_true(incl <= sizeof buf);
        assert_int_equal(fread(buf, 1, incl, f), incl);
        double ts = le32(rh) + le32(rh + 4) * 1e-6;
        frames++;
        rid_wifi_frame fr;
        rid_wifi_reason why;
        int rc = rid_wifi_parse_radiotap(buf, incl, &fr, &why);
        if (rc) {
            print_message("frame %d rejected: %s (%s)\n", frames, rid_wifi_reason_name(why),
                          sg_strerror(rc));
            continue;
        }
        decoded++;
        assert_int_equal(fr.transport, RID_WIFI_BEACON);
        assert_false(isnan(fr.rssi_dbm));
        odid_aircraft *ac = NULL;
        for (int i = 0; i < fr.n_msgs; i++)
            assert_int_equal(odid_table_update(tb, fr.mac, &fr.msgs[i], ts, fr.rssi_dbm, &ac), 0);
        assert_non_null(ac);
        const char *id = odid_aircraft_identity(ac);
        assert_true(strlen(id) > 0);
        if (!serial[0])
            strcpy(serial, id);
        assert_string_equal(serial, id); /* one aircraft, one identity */
        sg_measurement m;
        assert_int_equal(odid_to_measurement(ac, 0, &m), 0);
        assert_string_equal(m.cls, "remote_id");
        assert_string_equal(m.identity, serial);
        assert_true(m.has_operator);
        assert_true(m.R[0] > 0 && m.R[4] > 0 && m.R[8] > 0);
        print_message("t=%.3f ch=%.0f MHz rssi=%.0f dBm id=%s lat=%.7f lon=%.7f alt_geo=%.1f "
                      "h=%.1f spd=%.2f dir=%.0f op=%.7f,%.7f ssid=%s\n",
                      ts, fr.freq_mhz, fr.rssi_dbm, id, ac->location.lat_deg,
                      ac->location.lon_deg, ac->location.alt_geo, ac->location.height,
                      ac->location.speed_h, ac->location.direction_deg, ac->system.op_lat_deg,
                      ac->system.op_lon_deg, fr.ssid);
        if (npos < 64) {
            lat[npos] = ac->location.lat_deg;
            lon[npos] = ac->location.lon_deg;
            spd[npos] = ac->location.speed_h;
            t[npos++] = ts;
        }
    }
    fclose(f);
    assert_true(frames >= 5);
    assert_int_equal(decoded, frames);
    assert_int_equal(odid_table_count(tb), 1);

    /* moving: the track spans some distance, and each step is no longer than the
     * reported speed allows over the capture-time gap (with GNSS slack) */
    double span = dist_m(lat[0], lon[0], lat[npos - 1], lon[npos - 1]);
    print_message("positions %d, span %.1f m over %.2f s\n", npos, span, t[npos - 1] - t[0]);
    assert_true(span > 1.0);
    int moved = 0;
    for (int i = 1; i < npos; i++) {
        double d = dist_m(lat[i - 1], lon[i - 1], lat[i], lon[i]);
        double dt = t[i] - t[i - 1];
        double vmax = fmax(spd[i], spd[i - 1]);
        assert_true(dt >= 0);
        assert_true(d <= vmax * dt * 1.5 + 30.0);
        moved += d > 0.5;
    }
    assert_true(moved >= 1);
    /* the average ground speed along the track (path length over the time between the
     * first and last fix) agrees with the mean reported speed within 15 % */
    double path = 0, vsum = 0;
    for (int i = 1; i < npos; i++)
        path += dist_m(lat[i - 1], lon[i - 1], lat[i], lon[i]);
    for (int i = 0; i < npos; i++)
        vsum += spd[i];
    double vtrack = path / (t[npos - 1] - t[0]), vrep = vsum / npos;
    print_message("track speed %.2f m/s, reported %.2f m/s\n", vtrack, vrep);
    assert_true(vrep > 1.0);
    assert_true(fabs(vtrack - vrep) < 0.15 * vrep);
    odid_table_destroy(tb);
}

static void fill_example(odid_message m[5])
{
    odid_message_init(&m[0], ODID_MT_BASIC_ID);
    m[0].u.basic_id.id_type = ODID_IDT_SERIAL;
    m[0].u.basic_id.ua_type = 2;
    strcpy(m[0].u.basic_id.uas_id, "1596A1234567890XYZ");
    odid_message_init(&m[1], ODID_MT_LOCATION);
    m[1].u.location.lat_deg = 51.5;
    m[1].u.location.lon_deg = -0.12;
    m[1].u.location.alt_geo = 150.0;
    m[1].u.location.speed_h = 12.5;
    m[1].u.location.direction_deg = 270;
    m[1].u.location.h_acc = 10;
    m[1].u.location.v_acc = 4;
    odid_message_init(&m[2], ODID_MT_SELF_ID);
    strcpy(m[2].u.self_id.text, "survey");
    odid_message_init(&m[3], ODID_MT_SYSTEM);
    m[3].u.system.op_lat_deg = 51.49;
    m[3].u.system.op_lon_deg = -0.11;
    odid_message_init(&m[4], ODID_MT_OPERATOR_ID);
    strcpy(m[4].u.operator_id.op_id, "GBR-OP-XYZ");
}

static void check_roundtrip(const rid_wifi_frame *fr, const uint8_t mac[6])
{
    assert_memory_equal(fr->mac, mac, 6);
    assert_int_equal(fr->n_msgs, 5);
    assert_int_equal(fr->counter, 42);
    assert_string_equal(fr->msgs[0].u.basic_id.uas_id, "1596A1234567890XYZ");
    assert_true(fabs(fr->msgs[1].u.location.lat_deg - 51.5) < 1e-7);
    assert_true(fabs(fr->msgs[1].u.location.direction_deg - 270) < 1e-9);
    assert_string_equal(fr->msgs[4].u.operator_id.op_id, "GBR-OP-XYZ");
}

static void test_synthetic_beacon_and_nan(void **state)
{
    (void)state;
    odid_message m[5];
    fill_example(m);
    uint8_t pack[3 + 9 * 25], frame[512];
    size_t plen, flen;
    assert_int_equal(odid_encode_pack(m, 5, pack, sizeof pack, &plen), 0);
    const uint8_t mac[6] = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
    rid_wifi_frame fr;
    rid_wifi_reason why;

    assert_int_equal(rid_wifi_build_beacon(mac, "RID-TEST", 42, pack, plen, frame, sizeof frame,
                                           &flen), 0);
    assert_int_equal(rid_wifi_parse_80211(frame, flen, false, &fr, &why), 0);
    assert_int_equal(fr.transport, RID_WIFI_BEACON);
    assert_string_equal(fr.ssid, "RID-TEST");
    check_roundtrip(&fr, mac);

    /* with a radiotap header (flags + channel + signal) and an FCS */
    uint8_t rt[600] = {0, 0, 16, 0, 0x2a, 0, 0, 0, 0x10, 0, 0x6c, 0x09, 0xa0, 0, (uint8_t)-57};
    memcpy(rt + 16, frame, flen);
    memset(rt + 16 + flen, 0xAB, 4);
    assert_int_equal(rid_wifi_parse_radiotap(rt, 16 + flen + 4, &fr, &why), 0);
    assert_true(fabs(fr.rssi_dbm + 57) < 1e-9);
    assert_true(fabs(fr.freq_mhz - 2412) < 1e-9);
    check_roundtrip(&fr, mac);
    rt[8] = 0x50; /* FCS failed flag */
    assert_int_equal(rid_wifi_parse_radiotap(rt, 16 + flen + 4, &fr, &why), SG_ECRC);
    assert_int_equal(why, RID_WIFI_BAD_FCS);

    assert_int_equal(rid_wifi_build_nan(mac, 42, pack, plen, frame, sizeof frame, &flen), 0);
    assert_int_equal(rid_wifi_parse_80211(frame, flen, false, &fr, &why), 0);
    assert_int_equal(fr.transport, RID_WIFI_NAN);
    check_roundtrip(&fr, mac);

    /* a beacon without the element is "not Remote ID", not an error */
    assert_int_equal(rid_wifi_build_beacon(mac, "HOME", 0, pack, plen, frame, sizeof frame, &flen),
                     0);
    frame[MGMT_OFFSET_OUI] = 0x00;
    assert_int_equal(rid_wifi_parse_80211(frame, flen, false, &fr, &why), SG_ENOTFOUND);
    assert_int_equal(why, RID_WIFI_NOT_RID);
    /* a too-small buffer is refused by the builder */
    assert_int_equal(rid_wifi_build_nan(mac, 1, pack, plen, frame, 40, &flen), SG_EOVERFLOW);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixture_moving_aircraft),
        cmocka_unit_test(test_synthetic_beacon_and_nan),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
