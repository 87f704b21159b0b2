/* ASTM F3411 codec: round trips of every message type, "unknown" sentinels decode as
 * absent, hand-made byte layouts decode to the documented units, every length and
 * range violation is rejected. (The aircraft merge, the measurement conversion and the
 * aircraft table: test_odid_aircraft.c.) */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "odid.h"
#include "sg_assert.h"

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

    /* non-printable bytes in a text field are masked (Self-ID) or turn the ID into
     * hex (Basic ID: two such IDs stay apart), with a warning */
    uint8_t b[ODID_MSG_SIZE] = {0x02, 0x12, 'A', 0x07, 'B'};
    assert_int_equal(odid_decode_message(b, sizeof b, &d), 0);
    assert_string_equal(d.u.basic_id.uas_id, "4107420000000000000000000000000000000000");
    assert_int_equal(d.warnings, 1);
    b[0] = 0x32; /* Self-ID, description type 0 (text) */
    b[1] = 0x00;
    assert_int_equal(odid_decode_message(b, sizeof b, &d), 0);
    assert_string_equal(d.u.self_id.text, "A?B");
    assert_int_equal(d.warnings, 1);
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
        assert_near(D->direction_deg, cases[k].dir, 0.5);
        assert_near(D->speed_h, cases[k].spd, cases[k].spd > 63.75 ? 0.375 : 0.125);
        assert_near(D->speed_v, cases[k].vs, 0.25);
        assert_near(D->lat_deg, -33.8688197, 1e-7);
        assert_near(D->lon_deg, 151.2092955, 1e-7);
        assert_near(D->alt_baro, 101.5, 1e-9);
        assert_near(D->alt_geo, 120.0, 1e-9);
        assert_near(D->height, 80.5, 1e-9);
        assert_int_equal(D->h_acc, 10);
        assert_int_equal(D->v_acc, 4);
        assert_int_equal(D->baro_acc, 3);
        assert_int_equal(D->speed_acc, 2);
        assert_near(D->timestamp_s, 1234.5, 1e-9);
        assert_near(D->timestamp_acc_s, 0.2, 1e-9);
    }
    /* a hand-made layout: west bit + 10 -> 190 deg; multiplier: 0x10*0.75+63.75 */
    uint8_t b[ODID_MSG_SIZE] = {0x12, 0x23, 10, 0x10, (uint8_t)-4};
    b[5] = 0x80; b[6] = 0x96; b[7] = 0x98; b[8] = 0x00;       /* 10000000 -> 1.0 deg */
    b[9] = 0x00; b[10] = 0xD3; b[11] = 0xCE; b[12] = 0xFE;    /* -20000000 -> -2.0 deg */
    b[15] = 0xD0; b[16] = 0x07;                               /* 2000 -> 0 m */
    b[21] = 0x10; b[22] = 0x0E;                               /* 3600 -> 360.0 s */
    odid_message d;
    assert_int_equal(odid_decode_message(b, sizeof b, &d), 0);
    assert_near(d.u.location.direction_deg, 190, 1e-9);
    assert_near(d.u.location.speed_h, 16 * 0.75 + 63.75, 1e-9);
    assert_near(d.u.location.speed_v, -2.0, 1e-9);
    assert_near(d.u.location.lat_deg, 1.0, 1e-9);
    assert_near(d.u.location.lon_deg, -2.0, 1e-9);
    assert_near(d.u.location.alt_geo, 0.0, 1e-9);
    assert_true(isnan(d.u.location.alt_baro));
    assert_near(d.u.location.timestamp_s, 360.0, 1e-9);
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
    assert_int_equal(b[3], 255);                            /* speed 255 ... */
    assert_int_equal(b[1] & 1, 1);                          /* ... with the multiplier */
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
    assert_near(odid_h_acc_m(10), 10.0, 0);
    assert_near(odid_v_acc_m(1), 150.0, 0);
    assert_near(odid_speed_acc_ms(4), 0.3, 0);
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
    assert_near(D->op_lat_deg, 45.5443876, 1e-7);
    assert_near(D->op_lon_deg, -122.9726866, 1e-7);
    assert_int_equal(D->area_count, 3);
    assert_near(D->area_radius_m, 500, 0);
    assert_near(D->area_ceiling, 300, 0);
    assert_near(D->area_floor, 10.5, 0);
    assert_int_equal(D->category_eu, 1);
    assert_int_equal(D->class_eu, 5);
    assert_near(D->op_alt_geo, 48.0, 0);
    assert_near(D->timestamp, ODID_EPOCH_2019 + 123456789, 0);

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
    assert_near(d.u.auth.timestamp, ODID_EPOCH_2019 + 1000, 0);
    m.u.auth.page = 2;
    m.u.auth.data_len = 23;
    roundtrip(&m, &d);
    assert_int_equal(d.u.auth.page, 2);
    assert_int_equal(d.u.auth.data_len, 23);
    assert_memory_equal(d.u.auth.data, m.u.auth.data, 23);
}

/* A pack of every message type (9 messages: two Basic IDs, three auth pages). */
static int full_pack(odid_message *m)
{
    int k = 0;
    odid_message_init(&m[k], ODID_MT_BASIC_ID);
    m[k].u.basic_id.id_type = ODID_IDT_SERIAL;
    strcpy(m[k++].u.basic_id.uas_id, "1596F35GR1234567");
    odid_message_init(&m[k], ODID_MT_BASIC_ID);
    m[k].u.basic_id.id_type = ODID_IDT_UTM_UUID;
    strcpy(m[k++].u.basic_id.uas_id, "123e4567-e89b-12d3-a456-426614174000");
    odid_message_init(&m[k], ODID_MT_LOCATION);
    m[k].u.location.lat_deg = 0.0; /* on the equator: a valid fix */
    m[k++].u.location.lon_deg = 6.5;
    for (int p = 0; p < 3; p++) {
        odid_message_init(&m[k], ODID_MT_AUTH);
        m[k].u.auth.auth_type = 5;
        m[k].u.auth.page = (uint8_t)p;
        m[k].u.auth.last_page = 2;
        m[k].u.auth.length = 60;
        m[k++].u.auth.data_len = p ? 23 : 17;
    }
    odid_message_init(&m[k], ODID_MT_SELF_ID);
    strcpy(m[k++].u.self_id.text, "survey");
    odid_message_init(&m[k], ODID_MT_SYSTEM);
    odid_message_init(&m[k + 1], ODID_MT_OPERATOR_ID);
    strcpy(m[k + 1].u.operator_id.op_id, "FIN87astrdge12k8");
    return k + 2;
}

static void test_pack(void **state)
{
    (void)state;
    odid_message m[ODID_PACK_MAX], d[ODID_PACK_MAX];
    assert_int_equal(full_pack(m), ODID_PACK_MAX);
    uint8_t b[ODID_PACK_HDR + ODID_PACK_MAX * ODID_MSG_SIZE];
    size_t len;
    int n;
    odid_pack_info pi;
    assert_int_equal(odid_encode_pack(m, ODID_PACK_MAX, b, sizeof b, &len), 0);
    assert_int_equal(len, sizeof b);
    assert_int_equal(odid_decode_pack(b, len, d, ODID_PACK_MAX, &n, &pi), 0);
    assert_int_equal(n, ODID_PACK_MAX);
    assert_int_equal(pi.count, ODID_PACK_MAX);
    assert_int_equal(pi.warnings + pi.unknown_type + pi.duplicates, 0);
    for (int i = 0; i < n; i++)
        assert_int_equal(d[i].type, m[i].type);
    assert_string_equal(d[1].u.basic_id.uas_id, "123e4567-e89b-12d3-a456-426614174000");
    assert_near(d[2].u.location.lat_deg, 0.0, 0);
    assert_near(d[2].u.location.lon_deg, 6.5, 1e-9);
    /* strict lengths and header */
    assert_int_equal(odid_decode_pack(b, len - 1, d, ODID_PACK_MAX, &n, NULL), SG_ETRUNC);
    assert_int_equal(n, 0);
    assert_int_equal(odid_decode_pack(b, 2, d, ODID_PACK_MAX, &n, NULL), SG_ETRUNC);
    assert_int_equal(odid_decode_pack(b, len, d, 3, &n, NULL), SG_EOVERFLOW);
    uint8_t c[sizeof b + ODID_MSG_SIZE];
    memcpy(c, b, sizeof b);
    c[2] = 10;
    assert_int_equal(odid_decode_pack(c, sizeof c, d, ODID_PACK_MAX, &n, NULL), SG_EFORMAT);
    c[2] = 0;
    assert_int_equal(odid_decode_pack(c, sizeof c, d, ODID_PACK_MAX, &n, NULL), SG_EFORMAT);
    c[2] = 9;
    c[1] = 24;
    assert_int_equal(odid_decode_pack(c, sizeof c, d, ODID_PACK_MAX, &n, NULL), SG_EFORMAT);
    c[1] = 25;
    c[0] = 0x12; /* not a pack header */
    assert_int_equal(odid_decode_pack(c, sizeof c, d, ODID_PACK_MAX, &n, NULL), SG_EFORMAT);
    /* tolerant: a nested pack and a message of an unknown type are skipped and
     * counted, a reserved value in the System message costs only that field, a
     * newer header version is decoded; Location survives all of it */
    memcpy(c, b, sizeof b);
    c[0] = 0xF3;
    c[3] = 0xF2;                                 /* message 0: nested pack */
    c[3 + 6 * ODID_MSG_SIZE] = 0x72;             /* message 6 (Self-ID): type 7 */
    c[3 + 7 * ODID_MSG_SIZE + 1] = 0x03;         /* System: operator location type 3 */
    assert_int_equal(odid_decode_pack(c, sizeof b, d, ODID_PACK_MAX, &n, &pi), 0);
    assert_int_equal(n, 7);
    assert_int_equal(pi.unknown_type, 2);
    assert_int_equal(pi.warnings, 2);
    assert_int_equal(d[1].type, ODID_MT_LOCATION);
    assert_near(d[1].u.location.lon_deg, 6.5, 1e-9);
    assert_int_equal(d[5].type, ODID_MT_SYSTEM);
    assert_int_equal(d[5].u.system.op_loc_type, ODID_RESERVED);
    assert_int_equal(d[5].warnings, 1);
    /* duplicate rule: first Location kept; a third Basic ID and a second of the same
     * ID type dropped; a repeated auth page dropped; all counted */
    odid_message x[ODID_PACK_MAX];
    int k = 0;
    x[k++] = m[2];
    x[k] = m[2];
    x[k++].u.location.lon_deg = 7.5;
    x[k++] = m[0];
    x[k++] = m[0];                               /* same ID type as the first */
    x[k++] = m[1];
    x[k] = m[1];
    x[k++].u.basic_id.id_type = ODID_IDT_SESSION; /* third Basic ID */
    strcpy(x[k - 1].u.basic_id.uas_id, "01aabb");
    x[k++] = m[4];
    x[k++] = m[4];
    assert_int_equal(odid_encode_pack(x, k, b, sizeof b, &len), 0);
    assert_int_equal(odid_decode_pack(b, len, d, ODID_PACK_MAX, &n, &pi), 0);
    assert_int_equal(n, 4);
    assert_int_equal(pi.duplicates, 4);
    assert_near(d[0].u.location.lon_deg, 6.5, 1e-9);
    assert_int_equal(d[1].u.basic_id.id_type, ODID_IDT_SERIAL);
    assert_int_equal(d[2].u.basic_id.id_type, ODID_IDT_UTM_UUID);
    assert_int_equal(d[3].type, ODID_MT_AUTH);
    /* nothing decodable left: the pack is rejected */
    memcpy(c, b, len);
    for (int i = 0; i < k; i++)
        c[3 + i * ODID_MSG_SIZE] = 0x92;
    assert_int_equal(odid_decode_pack(c, len, d, ODID_PACK_MAX, &n, &pi), SG_EFORMAT);
    assert_int_equal(pi.unknown_type, k);
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
    c[0] = 0x62; /* message type 6: unknown */
    assert_int_equal(odid_decode_message(c, sizeof c, &d), SG_ENOTSUP);
    c[0] = 0xF2; /* a pack is not a single message */
    assert_int_equal(odid_decode_message(c, sizeof c, &d), SG_ENOTSUP);
    /* out-of-range fields become unknown one by one, the rest survives */
    memcpy(c, b, sizeof c);
    c[8] = 0x7F; /* latitude > 90 deg: the position is unknown */
    c[2] = 185;  /* direction raw > 179, not the 361 code */
    assert_int_equal(odid_decode_message(c, sizeof c, &d), 0);
    assert_int_equal(d.warnings, 2);
    assert_true(isnan(d.u.location.lat_deg) && isnan(d.u.location.lon_deg));
    assert_true(isnan(d.u.location.direction_deg));
    assert_true(isnan(d.u.location.speed_h)); /* still the encoded "unknown" */

    /* the encoder refuses what it cannot represent instead of clamping */
    m.u.location.speed_h = 300;
    assert_int_equal(odid_encode_message(&m, b), SG_ERANGE);
    m.u.location.speed_h = 255;
    assert_int_equal(odid_encode_message(&m, b), SG_ERANGE);
    m.u.location.speed_h = -0.5;
    assert_int_equal(odid_encode_message(&m, b), SG_ERANGE);
    m.u.location.speed_h = 1;
    m.u.location.speed_v = -70;
    assert_int_equal(odid_encode_message(&m, b), SG_ERANGE);
    m.u.location.speed_v = 0;
    m.u.location.lat_deg = 91;
    assert_int_equal(odid_encode_message(&m, b), SG_ERANGE);
    m.u.location.lat_deg = 0;
    m.u.location.lon_deg = 0; /* would read back as "unknown" */
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
    m.u.location.timestamp_s = NAN;
    m.u.location.timestamp_acc_s = 1.6;
    assert_int_equal(odid_encode_message(&m, b), SG_ERANGE);
    m.u.location.timestamp_acc_s = NAN;
    m.u.location.status = ODID_RESERVED;
    assert_int_equal(odid_encode_message(&m, b), SG_ERANGE);
    /* Basic ID text that does not parse for its type */
    odid_message_init(&m, ODID_MT_BASIC_ID);
    m.u.basic_id.id_type = ODID_IDT_UTM_UUID;
    strcpy(m.u.basic_id.uas_id, "123e4567-e89b-12d3-a456-42661417400");
    assert_int_equal(odid_encode_message(&m, b), SG_EINVAL);
    strcpy(m.u.basic_id.uas_id, "123e4567xe89b-12d3-a456-426614174000");
    assert_int_equal(odid_encode_message(&m, b), SG_EINVAL);
    m.u.basic_id.id_type = ODID_IDT_SESSION;
    strcpy(m.u.basic_id.uas_id, "01abc");
    assert_int_equal(odid_encode_message(&m, b), SG_EINVAL);
    strcpy(m.u.basic_id.uas_id, "01zz");
    assert_int_equal(odid_encode_message(&m, b), SG_EINVAL);
    m.u.basic_id.id_type = ODID_IDT_SERIAL;
    strcpy(m.u.basic_id.uas_id, "123456789012345678901"); /* 21 characters */
    assert_int_equal(odid_encode_message(&m, b), SG_EINVAL);
    assert_int_equal(odid_decode_message(NULL, 25, &d), SG_EINVAL);
}

/* ---- test vectors: hand-made byte strings, expected values from the standard's text */

typedef struct {
    const char *hex;   /* message bytes (rest of the 25 are 0) */
    int warnings;      /* expected odid_message.warnings */
    const char *field; /* field checked */
    double num;        /* expected number (NAN: expected unknown) */
    const char *text;  /* expected text for text fields */
} vec;

static const vec vectors[] = {
    /* Location: speed 255 without the multiplier is 255 * 0.25 = 63.75 m/s */
    {"12 20 5a ff", 0, "speed_h", 63.75, NULL},
    /* 255 with the multiplier is the "unknown" code (255 m/s) */
    {"12 21 5a ff", 0, "speed_h", NAN, NULL},
    {"12 21 5a fe", 0, "speed_h", 254.25, NULL},
    {"12 21 5a 00", 0, "speed_h", 63.75, NULL},
    {"12 21 5a 10", 0, "speed_h", 16 * 0.75 + 63.75, NULL},
    {"12 20 5a 01", 0, "speed_h", 0.25, NULL},
    {"12 20 5a 01", 0, "direction", 90, NULL},
    {"12 22 0a", 0, "direction", 190, NULL},       /* E/W bit adds 180 */
    {"12 22 b3", 0, "direction", 359, NULL},
    {"12 22 b5", 0, "direction", NAN, NULL},       /* 361: unknown */
    {"12 22 b4", 1, "direction", NAN, NULL},       /* 360: invalid */
    {"12 00 00 00 7c", 0, "speed_v", 62, NULL},
    {"12 00 00 00 84", 0, "speed_v", -62, NULL},
    {"12 00 00 00 7e", 0, "speed_v", NAN, NULL},   /* 63 m/s: unknown */
    {"12 00 00 00 7f", 1, "speed_v", NAN, NULL},
    {"12 20", 0, "status", ODID_STATUS_AIRBORNE, NULL},
    {"12 40", 0, "status", ODID_STATUS_SYSTEM_FAILURE, NULL},
    {"12 70", 1, "status", ODID_RESERVED, NULL},   /* 7: reserved */
    {"12 04", 0, "height_type", 1, NULL},          /* above ground level */
    /* position unknown only when both are 0: lat 0, lon 1e7 * 1e-7 = 1 deg */
    {"12 00 00 00 00 00 00 00 00 80 96 98 00", 0, "lat", 0.0, NULL},
    {"12 00 00 00 00 00 00 00 00 80 96 98 00", 0, "lon", 1.0, NULL},
    {"12 00 00 00 00 80 96 98 00 00 00 00 00", 0, "lon", 0.0, NULL},
    {"12 00 00 00 00 00 00 00 00 00 00 00 00", 0, "lat", NAN, NULL},
    {"12 00 00 00 00 00 d3 ce fe 80 96 98 00", 0, "lat", -2.0, NULL},
    {"12 00 00 00 00 0a e9 a4 35 80 96 98 00", 1, "lat", NAN, NULL}, /* 90.000001 */
    /* altitudes: 0.5 m steps from -1000 m; 0 is unknown */
    {"12 00 00 00 00 00 00 00 00 00 00 00 00 01 00", 0, "alt_baro", -999.5, NULL},
    {"12 00 00 00 00 00 00 00 00 00 00 00 00 00 00 d0 07", 0, "alt_geo", 0.0, NULL},
    {"12 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 ff ff", 0, "height", 31767.5, NULL},
    {"12", 0, "alt_geo", NAN, NULL},
    /* accuracies: byte 19 vertical|horizontal, byte 20 baro|speed */
    {"12 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 4b 34", 0, "h_acc_m", 3, NULL},
    {"12 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 4b 34", 0, "v_acc_m", 10, NULL},
    {"12 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 4b 34", 0, "baro_acc_m", 25, NULL},
    {"12 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 4b 34", 0, "speed_acc_ms", 0.3, NULL},
    {"12 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 7d 75", 4, "h_acc_m", NAN, NULL},
    /* timestamp: tenths of a second after the hour, 0xFFFF unknown, 36000 max */
    {"12 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 a0 8c", 0, "ts", 3600, NULL},
    {"12 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 a1 8c", 1, "ts", NAN, NULL},
    {"12 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 ff ff", 0, "ts", NAN, NULL},
    {"12 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 0f", 0, "ts_acc", 1.5, NULL},
    /* protocol version 3 (not yet defined): decoded with this layout, one warning */
    {"13 20 5a 04", 1, "speed_h", 1.0, NULL},
    {"13 20 5a 04", 1, "proto", 3, NULL},
    /* Basic ID by ID type */
    {"02 12 31 35 39 36 46 33 35 47 52 31 32 33 34 35 36 37", 0, "uas_id", 0, "1596F35GR1234567"},
    {"02 12", 0, "ua_type", 2, NULL},
    {"02 22 46 49 4e 2d 52 45 47", 0, "uas_id", 0, "FIN-REG"},
    {"02 31 12 3e 45 67 e8 9b 12 d3 a4 56 42 66 14 17 40 00", 0, "uas_id", 0,
     "123e4567-e89b-12d3-a456-426614174000"},
    {"02 31 12 3e 45 67 e8 9b 12 d3 a4 56 42 66 14 17 40 00 01", 1, "uas_id", 0,
     "123e4567-e89b-12d3-a456-426614174000"},
    {"02 42 01 20 01 00 3f fe 00 00 00 05 00 00 00 00 00 00 00 00 00 01", 0, "uas_id", 0,
     "012001003ffe0000000500000000000000000001"},
    {"02 42 01 20 01 00 3f fe", 0, "uas_id", 0, "012001003ffe"},
    {"02 52 ab cd", 1, "uas_id", 0, "abcd"},       /* ID type 5: reserved */
    {"02 52 ab cd", 1, "id_type", ODID_RESERVED, NULL},
    /* Authentication page 0: type|page, last page, length, timestamp, 17 data bytes */
    {"22 10 02 28 e8 03 00 00", 0, "length", 40, NULL},
    {"22 10 02 28 e8 03 00 00", 0, "last_page", 2, NULL},
    {"22 10 02 28 e8 03 00 00", 0, "auth_ts", ODID_EPOCH_2019 + 1000, NULL},
    {"22 10 00 12", 1, "length", 17, NULL},       /* 18 bytes cannot fit page 0 alone */
    {"22 10 10 00", 1, "last_page", 15, NULL},
    {"22 60", 1, "auth_type", ODID_RESERVED, NULL},
    {"22 53", 0, "page", 3, NULL},
    /* Self-ID */
    {"32 00 48 65 6c 6c 6f", 0, "self_id", 0, "Hello"},
    {"32 05", 1, "desc_type", ODID_RESERVED, NULL},
    {"32 c9", 0, "desc_type", 201, NULL},          /* private use */
    /* System: class type|operator location type; category|class; timestamps since 2019 */
    {"42 05", 0, "op_loc", 1, NULL},
    {"42 05 00 00 00 00 00 00 00 00 0a 00 ff 00 00 00 00 12", 0, "class_eu", 2, NULL},
    {"42 05 00 00 00 00 00 00 00 00 0a 00 ff 00 00 00 00 12", 0, "category_eu", 1, NULL},
    {"42 05 00 00 00 00 00 00 00 00 0a 00 ff", 0, "radius", 2550, NULL},
    {"42 05 00 00 00 00 00 00 00 00 0a 00 ff", 0, "area_count", 10, NULL},
    {"42 03", 1, "op_loc", ODID_RESERVED, NULL},
    {"42 09", 1, "class_type", ODID_RESERVED, NULL},
    {"42 04 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 48", 2, "class_eu", ODID_RESERVED, NULL},
    {"42 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 48", 0, "class_eu", 8, NULL}, /* not EU */
    {"42 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 01", 0, "sys_ts",
     ODID_EPOCH_2019 + 1, NULL},
    {"42 00 80 96 98 00", 0, "op_lat", 1.0, NULL},
    /* Operator ID */
    {"52 00 46 49 4e 38 37 61 73 74 72 64 67 65 31 32 6b 38", 0, "op_id", 0, "FIN87astrdge12k8"},
    {"52 01", 1, "op_id_type", ODID_RESERVED, NULL},
};

static double vec_num(const odid_message *m, const char *f)
{
    const odid_location *L = &m->u.location;
    const odid_system *S = &m->u.system;
    const odid_auth *A = &m->u.auth;
    struct { const char *n; double v; } t[] = {
        {"speed_h", L->speed_h}, {"direction", L->direction_deg}, {"speed_v", L->speed_v},
        {"status", L->status}, {"height_type", L->height_type}, {"lat", L->lat_deg},
        {"lon", L->lon_deg}, {"alt_baro", L->alt_baro}, {"alt_geo", L->alt_geo},
        {"height", L->height}, {"h_acc_m", odid_h_acc_m(L->h_acc)},
        {"v_acc_m", odid_v_acc_m(L->v_acc)}, {"baro_acc_m", odid_v_acc_m(L->baro_acc)},
        {"speed_acc_ms", odid_speed_acc_ms(L->speed_acc)}, {"ts", L->timestamp_s},
        {"ts_acc", L->timestamp_acc_s}, {"proto", m->proto_version},
        {"ua_type", m->u.basic_id.ua_type}, {"id_type", m->u.basic_id.id_type},
        {"length", A->length}, {"last_page", A->last_page}, {"auth_ts", A->timestamp},
        {"auth_type", A->auth_type}, {"page", A->page}, {"desc_type", m->u.self_id.desc_type},
        {"op_loc", S->op_loc_type}, {"class_type", S->class_type}, {"class_eu", S->class_eu},
        {"category_eu", S->category_eu}, {"radius", S->area_radius_m},
        {"area_count", S->area_count}, {"sys_ts", S->timestamp}, {"op_lat", S->op_lat_deg},
        {"op_id_type", m->u.operator_id.op_id_type},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (!strcmp(t[i].n, f))
            return t[i].v;
    fail_msg("vector field %s unknown to the test", f);
    return NAN;
}

static void test_vectors(void **state)
{
    (void)state;
    for (size_t k = 0; k < sizeof vectors / sizeof vectors[0]; k++) {
        const vec *v = &vectors[k];
        uint8_t b[ODID_MSG_SIZE] = {0};
        size_t n = 0;
        for (const char *p = v->hex; *p;) {
            unsigned x;
            int used;
            if (sscanf(p, "%2x%n", &x, &used) != 1)
                break;
            assert_true(n < sizeof b);
            b[n++] = (uint8_t)x;
            p += used;
            while (*p == ' ')
                p++;
        }
        odid_message m;
        int rc = odid_decode_message(b, sizeof b, &m);
        if (rc != SG_OK)
            fail_msg("vector %zu (%s): rc %d", k, v->hex, rc);
        if (m.warnings != v->warnings)
            fail_msg("vector %zu (%s): %d warnings, expected %d", k, v->hex, m.warnings,
                     v->warnings);
        if (v->text) {
            const char *got = !strcmp(v->field, "uas_id")    ? m.u.basic_id.uas_id
                              : !strcmp(v->field, "self_id") ? m.u.self_id.text
                                                             : m.u.operator_id.op_id;
            if (strcmp(got, v->text))
                fail_msg("vector %zu (%s): %s = \"%s\", expected \"%s\"", k, v->hex, v->field,
                         got, v->text);
            continue;
        }
        double got = vec_num(&m, v->field);
        bool ok = isnan(v->num) ? isnan(got) : fabs(got - v->num) <= 1e-6 * fmax(1, fabs(v->num));
        if (!ok)
            fail_msg("vector %zu (%s): %s = %.9g, expected %.9g", k, v->hex, v->field, got, v->num);
    }
}

/* Boundary values of every message type survive encode -> decode exactly (on the
 * encoding grid) and re-encode to the same bytes. */
static void test_boundaries(void **state)
{
    (void)state;
    const double speeds[] = {0, 0.25, 63.5, 63.75, 64.5, 200.25, 254.25};
    const double vspeeds[] = {-62, -0.5, 0, 0.5, 62};
    const double dirs[] = {0, 1, 179, 180, 181, 359};
    const double lats[][2] = {{90, 180}, {-90, -180}, {0, 1e-7}, {1e-7, 0}, {-0.5, 0}};
    const double alts[] = {-999.5, -0.5, 0, 31767.5};
    const double tss[] = {0, 0.1, 3599.9, 3600};
    for (size_t i = 0; i < 7; i++) {
        odid_message m, d;
        odid_message_init(&m, ODID_MT_LOCATION);
        odid_location *L = &m.u.location;
        L->speed_h = speeds[i];
        L->speed_v = vspeeds[i % 5];
        L->direction_deg = dirs[i % 6];
        L->lat_deg = lats[i % 5][0];
        L->lon_deg = lats[i % 5][1];
        L->alt_baro = L->alt_geo = L->height = alts[i % 4];
        L->timestamp_s = tss[i % 4];
        L->timestamp_acc_s = i % 2 ? 1.5 : 0.1;
        L->status = (uint8_t)(i % 5);
        L->h_acc = 12;
        L->v_acc = 6;
        L->baro_acc = 6;
        L->speed_acc = 4;
        uint8_t b[ODID_MSG_SIZE], b2[ODID_MSG_SIZE];
        assert_int_equal(odid_encode_message(&m, b), 0);
        assert_int_equal(odid_decode_message(b, sizeof b, &d), 0);
        assert_int_equal(d.warnings, 0);
        const odid_location *D = &d.u.location;
        if (D->speed_h != speeds[i] || D->direction_deg != L->direction_deg ||
            D->speed_v != L->speed_v || fabs(D->lat_deg - L->lat_deg) > 1e-12 ||
            fabs(D->lon_deg - L->lon_deg) > 1e-12 || D->alt_geo != L->alt_geo ||
            D->height != L->height || fabs(D->timestamp_s - L->timestamp_s) > 1e-9 ||
            D->status != L->status)
            fail_msg("boundary case %zu: speed %g->%g dir %g->%g lat %g->%g", i, speeds[i],
                     D->speed_h, L->direction_deg, D->direction_deg, L->lat_deg, D->lat_deg);
        assert_int_equal(odid_encode_message(&d, b2), 0);
        assert_memory_equal(b, b2, sizeof b);
    }
    /* System, Auth, Basic ID, Self-ID, Operator ID at their limits */
    odid_message m[8], d;
    int k = 0;
    odid_message_init(&m[k], ODID_MT_SYSTEM);
    m[k].u.system.area_count = 65535;
    m[k].u.system.area_radius_m = 2550;
    m[k].u.system.area_ceiling = 31767.5;
    m[k].u.system.area_floor = -999.5;
    m[k].u.system.op_lat_deg = -90;
    m[k].u.system.op_lon_deg = 180;
    m[k].u.system.class_type = 1;
    m[k].u.system.category_eu = 3;
    m[k].u.system.class_eu = 7;
    m[k++].u.system.timestamp = ODID_EPOCH_2019 + 4294967295.0;
    odid_message_init(&m[k], ODID_MT_AUTH);
    m[k].u.auth.last_page = 15;
    m[k].u.auth.length = 255;
    m[k].u.auth.auth_type = 15;
    m[k].u.auth.data_len = 17;
    memset(m[k++].u.auth.data, 0xFF, 17);
    odid_message_init(&m[k], ODID_MT_AUTH);
    m[k].u.auth.page = 15;
    m[k].u.auth.data_len = 23;
    memset(m[k++].u.auth.data, 0xA5, 23);
    odid_message_init(&m[k], ODID_MT_BASIC_ID);
    m[k].u.basic_id.id_type = ODID_IDT_SESSION;
    m[k].u.basic_id.ua_type = 15;
    strcpy(m[k++].u.basic_id.uas_id, "ffffffffffffffffffffffffffffffffffffffff");
    odid_message_init(&m[k], ODID_MT_BASIC_ID);
    m[k].u.basic_id.id_type = ODID_IDT_UTM_UUID;
    strcpy(m[k++].u.basic_id.uas_id, "00000000-0000-0000-0000-000000000001");
    odid_message_init(&m[k], ODID_MT_SELF_ID);
    m[k].u.self_id.desc_type = 2;
    strcpy(m[k++].u.self_id.text, "12345678901234567890123");
    odid_message_init(&m[k], ODID_MT_OPERATOR_ID);
    m[k].u.operator_id.op_id_type = 255;
    strcpy(m[k++].u.operator_id.op_id, "~!\"#$%&'()*+,-./0123"); /* 20 characters */
    for (int i = 0; i < k; i++) {
        uint8_t b[ODID_MSG_SIZE], b2[ODID_MSG_SIZE];
        assert_int_equal(odid_encode_message(&m[i], b), 0);
        assert_int_equal(odid_decode_message(b, sizeof b, &d), 0);
        if (d.warnings)
            fail_msg("boundary message %d (%s): %d warnings", i, odid_msg_type_name(m[i].type),
                     d.warnings);
        assert_int_equal(odid_encode_message(&d, b2), 0);
        assert_memory_equal(b, b2, sizeof b);
    }
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
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_boundaries),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
