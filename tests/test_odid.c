/* ASTM F3411 codec: round trips of every message type, "unknown" sentinels decode as
 * absent, hand-made byte layouts decode to the documented units, every length and
 * range violation is rejected, and the aircraft -> measurement conversion. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "odid.h"

#define NEAR(a, b, tol) assert_true(fabs((a) - (b)) <= (tol))

static void roundtrip(const odid_message *in, odid_message *out)
{
    uint8_t b[ODID_MSG_SIZE];
    assert_int_equal(odid_encode_message(in, b), 0);
    assert_int_equal(b[0] >> 4, in->type);
    assert_int_equal(odid_decode_message(b, sizeof b, out), 0);
    assert_int_equal(out->type, in->type);
    assert_int_equal(out->proto_version, in->proto_version);
}

static void test_basic_id_selfid_operator(void **state)
{
    (void)state;
    odid_message m, d;
    odid_message_init(&m, ODID_MT_BASIC_ID);
    m.u.basic_id.id_type = ODID_IDT_SERIAL;
    m.u.basic_id.ua_type = 2;
    strcpy(m.u.basic_id.uas_id, "12345678901234567890"); /* full 20 chars, no NUL on air */
    roundtrip(&m, &d);
    assert_int_equal(d.u.basic_id.id_type, ODID_IDT_SERIAL);
    assert_int_equal(d.u.basic_id.ua_type, 2);
    assert_string_equal(d.u.basic_id.uas_id, "12345678901234567890");

    odid_message_init(&m, ODID_MT_SELF_ID);
    m.u.self_id.desc_type = 1;
    strcpy(m.u.self_id.text, "Emergency: lost link 23");
    roundtrip(&m, &d);
    assert_int_equal(d.u.self_id.desc_type, 1);
    assert_string_equal(d.u.self_id.text, "Emergency: lost link 23");

    odid_message_init(&m, ODID_MT_OPERATOR_ID);
    strcpy(m.u.operator_id.op_id, "FIN87astrdge12k8");
    roundtrip(&m, &d);
    assert_string_equal(d.u.operator_id.op_id, "FIN87astrdge12k8");

    /* non-printable bytes in a text field are masked, not passed through */
    uint8_t b[ODID_MSG_SIZE] = {0x02, 0x12, 'A', 0x07, 'B'};
    assert_int_equal(odid_decode_message(b, sizeof b, &d), 0);
    assert_string_equal(d.u.basic_id.uas_id, "A?B");
}

static void test_location_roundtrip_and_units(void **state)
{
    (void)state;
    /* table: direction, speed, vspeed -> quantisation tolerance */
    const struct { double dir, spd, vs; } cases[] = {
        {0, 0, 0}, {179, 63.5, 62}, {180, 63.75, -62}, {359, 254.25, 0.5}, {90, 20.5, -3.5},
        {271, 100.0, 10},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        odid_message m, d;
        odid_message_init(&m, ODID_MT_LOCATION);
        odid_location *L = &m.u.location;
        L->status = ODID_STATUS_AIRBORNE;
        L->height_type = 1;
        L->direction_deg = cases[k].dir;
        L->speed_h = cases[k].spd;
        L->speed_v = cases[k].vs;
        L->lat_deg = -33.8688197;
        L->lon_deg = 151.2092955;
        L->alt_baro = 101.5;
        L->alt_geo = 120.0;
        L->height = 80.5;
        L->h_acc = 10;
        L->v_acc = 4;
        L->baro_acc = 3;
        L->speed_acc = 2;
        L->timestamp_s = 1234.5;
        L->timestamp_acc_s = 0.2;
        roundtrip(&m, &d);
        const odid_location *D = &d.u.location;
        assert_int_equal(D->status, ODID_STATUS_AIRBORNE);
        assert_int_equal(D->height_type, 1);
        NEAR(D->direction_deg, cases[k].dir, 0.5);
        NEAR(D->speed_h, cases[k].spd, cases[k].spd > 63.75 ? 0.375 : 0.125);
        NEAR(D->speed_v, cases[k].vs, 0.25);
        NEAR(D->lat_deg, -33.8688197, 1e-7);
        NEAR(D->lon_deg, 151.2092955, 1e-7);
        NEAR(D->alt_baro, 101.5, 1e-9);
        NEAR(D->alt_geo, 120.0, 1e-9);
        NEAR(D->height, 80.5, 1e-9);
        assert_int_equal(D->h_acc, 10);
        assert_int_equal(D->v_acc, 4);
        assert_int_equal(D->baro_acc, 3);
        assert_int_equal(D->speed_acc, 2);
        NEAR(D->timestamp_s, 1234.5, 1e-9);
        NEAR(D->timestamp_acc_s, 0.2, 1e-9);
    }
    /* a hand-made layout: west bit + 10 -> 190 deg; multiplier: 0x10*0.75+63.75 */
    uint8_t b[ODID_MSG_SIZE] = {0x12, 0x23, 10, 0x10, (uint8_t)-4};
    b[5] = 0x80; b[6] = 0x96; b[7] = 0x98; b[8] = 0x00;       /* 10000000 -> 1.0 deg */
    b[9] = 0x00; b[10] = 0xD3; b[11] = 0xCE; b[12] = 0xFE;    /* -20000000 -> -2.0 deg */
    b[15] = 0xD0; b[16] = 0x07;                               /* 2000 -> 0 m */
    b[21] = 0x10; b[22] = 0x0E;                               /* 3600 -> 360.0 s */
    odid_message d;
    assert_int_equal(odid_decode_message(b, sizeof b, &d), 0);
    NEAR(d.u.location.direction_deg, 190, 1e-9);
    NEAR(d.u.location.speed_h, 16 * 0.75 + 63.75, 1e-9);
    NEAR(d.u.location.speed_v, -2.0, 1e-9);
    NEAR(d.u.location.lat_deg, 1.0, 1e-9);
    NEAR(d.u.location.lon_deg, -2.0, 1e-9);
    NEAR(d.u.location.alt_geo, 0.0, 1e-9);
    assert_true(isnan(d.u.location.alt_baro));
    NEAR(d.u.location.timestamp_s, 360.0, 1e-9);
    assert_int_equal(d.u.location.status, ODID_STATUS_AIRBORNE);
}

static void test_unknown_sentinels_absent(void **state)
{
    (void)state;
    odid_message m, d;
    odid_message_init(&m, ODID_MT_LOCATION); /* everything unknown */
    uint8_t b[ODID_MSG_SIZE];
    assert_int_equal(odid_encode_message(&m, b), 0);
    assert_int_equal(b[2] + ((b[1] >> 1) & 1) * 180, 361); /* direction 361 */
    assert_int_equal(b[3], 255);                            /* speed 255 */
    assert_int_equal((int8_t)b[4], 126);                    /* vspeed 63 m/s */
    assert_int_equal(b[13] | b[14] | b[15] | b[16] | b[17] | b[18], 0); /* -1000 m */
    assert_int_equal(b[21] | (b[22] << 8), 0xFFFF);
    assert_int_equal(odid_decode_message(b, sizeof b, &d), 0);
    const odid_location *L = &d.u.location;
    assert_true(isnan(L->direction_deg) && isnan(L->speed_h) && isnan(L->speed_v));
    assert_true(isnan(L->lat_deg) && isnan(L->lon_deg));
    assert_true(isnan(L->alt_baro) && isnan(L->alt_geo) && isnan(L->height));
    assert_true(isnan(L->timestamp_s) && isnan(L->timestamp_acc_s));
    assert_true(isnan(odid_h_acc_m(L->h_acc)) && isnan(odid_v_acc_m(L->v_acc)));
    assert_true(isnan(odid_speed_acc_ms(L->speed_acc)));
    NEAR(odid_h_acc_m(10), 10.0, 0);
    NEAR(odid_v_acc_m(1), 150.0, 0);
    NEAR(odid_speed_acc_ms(4), 0.3, 0);
    assert_true(isnan(odid_h_acc_m(13))); /* reserved */

    odid_message_init(&m, ODID_MT_SYSTEM);
    assert_int_equal(odid_encode_message(&m, b), 0);
    assert_int_equal(odid_decode_message(b, sizeof b, &d), 0);
    assert_true(isnan(d.u.system.op_lat_deg) && isnan(d.u.system.op_lon_deg));
    assert_true(isnan(d.u.system.area_ceiling) && isnan(d.u.system.area_floor));
    assert_true(isnan(d.u.system.op_alt_geo) && isnan(d.u.system.timestamp));

    /* a location without a fix gives no measurement */
    odid_aircraft a;
    odid_aircraft_init(&a, NULL);
    assert_int_equal(odid_aircraft_update(&a, &d, 1.0), 0);
    odid_message_init(&m, ODID_MT_LOCATION);
    assert_int_equal(odid_aircraft_update(&a, &m, 2.0), 0);
    sg_measurement meas;
    assert_int_equal(odid_to_measurement(&a, 0, &meas), SG_ENOTFOUND);
}

static void test_system_auth(void **state)
{
    (void)state;
    odid_message m, d;
    odid_message_init(&m, ODID_MT_SYSTEM);
    odid_system *S = &m.u.system;
    S->op_loc_type = 1;
    S->class_type = 1;
    S->op_lat_deg = 45.5443876;
    S->op_lon_deg = -122.9726866;
    S->area_count = 3;
    S->area_radius_m = 500;
    S->area_ceiling = 300;
    S->area_floor = 10.5;
    S->category_eu = 1;
    S->class_eu = 5;
    S->op_alt_geo = 48.0;
    S->timestamp = ODID_EPOCH_2019 + 123456789;
    roundtrip(&m, &d);
    const odid_system *D = &d.u.system;
    assert_int_equal(D->op_loc_type, 1);
    assert_int_equal(D->class_type, 1);
    NEAR(D->op_lat_deg, 45.5443876, 1e-7);
    NEAR(D->op_lon_deg, -122.9726866, 1e-7);
    assert_int_equal(D->area_count, 3);
    NEAR(D->area_radius_m, 500, 0);
    NEAR(D->area_ceiling, 300, 0);
    NEAR(D->area_floor, 10.5, 0);
    assert_int_equal(D->category_eu, 1);
    assert_int_equal(D->class_eu, 5);
    NEAR(D->op_alt_geo, 48.0, 0);
    NEAR(D->timestamp, ODID_EPOCH_2019 + 123456789, 0);

    odid_message_init(&m, ODID_MT_AUTH);
    m.u.auth.auth_type = 1;
    m.u.auth.page = 0;
    m.u.auth.last_page = 2;
    m.u.auth.length = 60;
    m.u.auth.timestamp = ODID_EPOCH_2019 + 1000;
    m.u.auth.data_len = 17;
    for (int i = 0; i < 17; i++)
        m.u.auth.data[i] = (uint8_t)(i * 7);
    roundtrip(&m, &d);
    assert_int_equal(d.u.auth.last_page, 2);
    assert_int_equal(d.u.auth.length, 60);
    assert_int_equal(d.u.auth.data_len, 17);
    assert_memory_equal(d.u.auth.data, m.u.auth.data, 17);
    NEAR(d.u.auth.timestamp, ODID_EPOCH_2019 + 1000, 0);
    m.u.auth.page = 2;
    m.u.auth.data_len = 23;
    roundtrip(&m, &d);
    assert_int_equal(d.u.auth.page, 2);
    assert_int_equal(d.u.auth.data_len, 23);
    assert_memory_equal(d.u.auth.data, m.u.auth.data, 23);
}

static void test_pack(void **state)
{
    (void)state;
    odid_message m[ODID_PACK_MAX], d[ODID_PACK_MAX];
    for (int i = 0; i < ODID_PACK_MAX; i++) {
        odid_message_init(&m[i], ODID_MT_SELF_ID);
        m[i].u.self_id.text[0] = (char)('a' + i);
    }
    uint8_t b[ODID_PACK_HDR + ODID_PACK_MAX * ODID_MSG_SIZE];
    size_t len;
    int n;
    assert_int_equal(odid_encode_pack(m, ODID_PACK_MAX, b, sizeof b, &len), 0);
    assert_int_equal(len, sizeof b);
    assert_int_equal(odid_decode_pack(b, len, d, ODID_PACK_MAX, &n), 0);
    assert_int_equal(n, ODID_PACK_MAX);
    for (int i = 0; i < n; i++)
        assert_int_equal(d[i].u.self_id.text[0], 'a' + i);
    /* length and bound violations */
    assert_int_equal(odid_decode_pack(b, len - 1, d, ODID_PACK_MAX, &n), SG_ETRUNC);
    assert_int_equal(n, 0);
    assert_int_equal(odid_decode_pack(b, 2, d, ODID_PACK_MAX, &n), SG_ETRUNC);
    assert_int_equal(odid_decode_pack(b, len, d, 3, &n), SG_EOVERFLOW);
    b[2] = 10;
    assert_int_equal(odid_decode_pack(b, len + 25, d, ODID_PACK_MAX, &n), SG_EFORMAT);
    b[2] = 0;
    assert_int_equal(odid_decode_pack(b, len, d, ODID_PACK_MAX, &n), SG_EFORMAT);
    b[2] = 9;
    b[1] = 24;
    assert_int_equal(odid_decode_pack(b, len, d, ODID_PACK_MAX, &n), SG_EFORMAT);
    b[1] = 25;
    b[3] = 0xF2; /* nested pack */
    assert_int_equal(odid_decode_pack(b, len, d, ODID_PACK_MAX, &n), SG_EFORMAT);
    b[3] = 0x32;
    b[0] = 0x12; /* not a pack header */
    assert_int_equal(odid_decode_pack(b, len, d, ODID_PACK_MAX, &n), SG_EFORMAT);
    assert_int_equal(odid_encode_pack(m, 0, b, sizeof b, &len), SG_EINVAL);
    assert_int_equal(odid_encode_pack(m, 10, b, sizeof b, &len), SG_EINVAL);
    assert_int_equal(odid_encode_pack(m, 9, b, 100, &len), SG_EOVERFLOW);
}

static void test_rejects(void **state)
{
    (void)state;
    odid_message d, m;
    uint8_t b[ODID_MSG_SIZE];
    odid_message_init(&m, ODID_MT_LOCATION);
    m.u.location.lat_deg = 10;
    m.u.location.lon_deg = 10;
    assert_int_equal(odid_encode_message(&m, b), 0);
    for (size_t l = 0; l < ODID_MSG_SIZE; l++)
        assert_int_equal(odid_decode_message(b, l, &d), SG_ETRUNC);
    uint8_t c[ODID_MSG_SIZE];
    memcpy(c, b, sizeof c);
    c[0] = 0x13; /* protocol version 3: unknown */
    assert_int_equal(odid_decode_message(c, sizeof c, &d), SG_ENOTSUP);
    c[0] = 0x62; /* message type 6: unknown */
    assert_int_equal(odid_decode_message(c, sizeof c, &d), SG_ENOTSUP);
    memcpy(c, b, sizeof c);
    c[2] = 185; /* direction raw > 179 and not the 361 sentinel */
    assert_int_equal(odid_decode_message(c, sizeof c, &d), SG_ERANGE);
    memcpy(c, b, sizeof c);
    c[4] = 127; /* vertical speed 63.5 m/s */
    assert_int_equal(odid_decode_message(c, sizeof c, &d), SG_ERANGE);
    memcpy(c, b, sizeof c);
    c[8] = 0x7F; /* latitude > 90 deg */
    assert_int_equal(odid_decode_message(c, sizeof c, &d), SG_ERANGE);
    memcpy(c, b, sizeof c);
    c[21] = 0xA1; c[22] = 0x8C; /* timestamp 36001 */
    assert_int_equal(odid_decode_message(c, sizeof c, &d), SG_ERANGE);
    /* auth: page > 15 cannot be encoded; page 0 length beyond its pages */
    uint8_t a[ODID_MSG_SIZE] = {0x22, 0x10, 1, 41};
    assert_int_equal(odid_decode_message(a, sizeof a, &d), SG_ERANGE);
    a[3] = 40;
    assert_int_equal(odid_decode_message(a, sizeof a, &d), 0);
    a[2] = 16;
    assert_int_equal(odid_decode_message(a, sizeof a, &d), SG_ERANGE);
    /* system: operator location type 3 is reserved */
    uint8_t s[ODID_MSG_SIZE] = {0x42, 0x03};
    assert_int_equal(odid_decode_message(s, sizeof s, &d), SG_ERANGE);

    /* the encoder refuses what it cannot represent instead of clamping */
    m.u.location.speed_h = 300;
    assert_int_equal(odid_encode_message(&m, b), SG_ERANGE);
    m.u.location.speed_h = 1;
    m.u.location.speed_v = -70;
    assert_int_equal(odid_encode_message(&m, b), SG_ERANGE);
    m.u.location.speed_v = 0;
    m.u.location.lat_deg = 91;
    assert_int_equal(odid_encode_message(&m, b), SG_ERANGE);
    m.u.location.lat_deg = 10;
    m.u.location.alt_geo = -1001;
    assert_int_equal(odid_encode_message(&m, b), SG_ERANGE);
    m.u.location.alt_geo = 40000;
    assert_int_equal(odid_encode_message(&m, b), SG_ERANGE);
    m.u.location.alt_geo = NAN;
    m.u.location.direction_deg = 360;
    assert_int_equal(odid_encode_message(&m, b), SG_ERANGE);
    m.u.location.direction_deg = NAN;
    m.u.location.timestamp_s = 3601;
    assert_int_equal(odid_encode_message(&m, b), SG_ERANGE);
    assert_int_equal(odid_decode_message(NULL, 25, &d), SG_EINVAL);
}

static void test_measurement(void **state)
{
    (void)state;
    const uint8_t mac[6] = {1, 2, 3, 4, 5, 6};
    odid_aircraft a;
    odid_aircraft_init(&a, mac);
    odid_message m;
    odid_message_init(&m, ODID_MT_BASIC_ID);
    m.u.basic_id.id_type = ODID_IDT_SESSION;
    strcpy(m.u.basic_id.uas_id, "SESSION-1");
    assert_int_equal(odid_aircraft_update(&a, &m, 10.0), 0);
    assert_string_equal(odid_aircraft_identity(&a), "SESSION-1");
    m.u.basic_id.id_type = ODID_IDT_SERIAL; /* the serial wins over the session id */
    strcpy(m.u.basic_id.uas_id, "SERIAL-9");
    assert_int_equal(odid_aircraft_update(&a, &m, 10.1), 0);
    assert_string_equal(odid_aircraft_identity(&a), "SERIAL-9");
    assert_int_equal(a.n_basic_id, 2);

    odid_message_init(&m, ODID_MT_LOCATION);
    m.u.location.lat_deg = 60.0;
    m.u.location.lon_deg = 25.0;
    m.u.location.alt_geo = 100.0;
    m.u.location.speed_h = 10.0;
    m.u.location.direction_deg = 90.0; /* due east */
    m.u.location.speed_v = -1.5;
    m.u.location.h_acc = 10; /* < 10 m */
    m.u.location.v_acc = 4;  /* < 10 m */
    assert_int_equal(odid_aircraft_update(&a, &m, 11.0), 0);
    odid_message_init(&m, ODID_MT_SYSTEM);
    m.u.system.op_lat_deg = 60.001;
    m.u.system.op_lon_deg = 25.002;
    assert_int_equal(odid_aircraft_update(&a, &m, 11.5), 0);

    sg_measurement z;
    assert_int_equal(odid_to_measurement(&a, 3, &z), 0);
    assert_int_equal(z.type, SG_MEAS_POS_WGS84);
    NEAR(z.t, 11.0, 0);
    assert_int_equal(z.sensor, 3);
    NEAR(z.z[0], 60.0 * M_PI / 180, 1e-12);
    NEAR(z.z[1], 25.0 * M_PI / 180, 1e-12);
    NEAR(z.z[2], 100.0, 0);
    /* 10 m 95 % horizontal -> sigma 10/2.45 m; in lon radians scaled by 1/cos(lat) */
    double sh = 10.0 / 2.45 / 6371008.8;
    NEAR(z.R[0], sh * sh, 1e-18);
    NEAR(z.R[4], sh * sh / 0.25, 1e-17);
    NEAR(z.R[8], (10 / 1.96) * (10 / 1.96), 1e-9);
    assert_true(z.has_vel);
    NEAR(z.vel_enu[0], 10.0, 1e-9);
    NEAR(z.vel_enu[1], 0.0, 1e-9);
    NEAR(z.vel_enu[2], -1.5, 1e-9);
    assert_string_equal(z.identity, "SERIAL-9");
    assert_string_equal(z.cls, "remote_id");
    assert_true(z.has_operator);
    NEAR(z.operator_lat, 60.001 * M_PI / 180, 1e-12);
    assert_true(isnan(z.operator_alt));
}

static void test_table(void **state)
{
    (void)state;
    sg_errinfo e;
    assert_null(odid_table_create(0, 10, &e));
    assert_int_equal(e.code, SG_EINVAL);
    assert_null(odid_table_create(4, 0, &e));
    assert_null(odid_table_create(4, NAN, &e));
    odid_table *tb = odid_table_create(2, 10.0, &e);
    assert_non_null(tb);
    odid_message m;
    odid_message_init(&m, ODID_MT_SELF_ID);
    uint8_t mac[6] = {0};
    odid_aircraft *ac;
    for (int i = 0; i < 3; i++) {
        mac[5] = (uint8_t)i;
        assert_int_equal(odid_table_update(tb, mac, &m, 1.0 + i, -50, &ac), 0);
    }
    assert_int_equal(odid_table_evictions(tb), 1); /* the oldest (mac ..00) went */
    assert_int_equal(odid_table_count(tb), 2);
    mac[5] = 2;
    assert_int_equal(odid_table_update(tb, mac, &m, 4.0, NAN, &ac), 0);
    assert_int_equal(ac->n_messages, 2);
    NEAR(ac->rssi_dbm, -50, 0);
    mac[5] = 1;
    assert_int_equal(odid_table_update(tb, mac, &m, 30.0, NAN, &ac), 0);
    assert_int_equal(odid_table_count(tb), 1); /* mac ..02 stale */
    assert_non_null(odid_table_get(tb, 0));
    assert_null(odid_table_get(tb, 1));
    assert_int_equal(odid_table_update(tb, mac, &m, NAN, NAN, &ac), SG_EINVAL);
    odid_table_destroy(tb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic_id_selfid_operator),
        cmocka_unit_test(test_location_roundtrip_and_units),
        cmocka_unit_test(test_unknown_sentinels_absent),
        cmocka_unit_test(test_system_auth),
        cmocka_unit_test(test_pack),
        cmocka_unit_test(test_rejects),
        cmocka_unit_test(test_measurement),
        cmocka_unit_test(test_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
