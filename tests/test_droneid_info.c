/* DJI DroneID -> tracker details (dsp/droneid_info.c): every decoded field of a
 * flight-telemetry message reaches sg_droneid_info in its documented unit, each state
 * bit maps to its one flag, a 0x11 user-info message becomes an identified RF presence,
 * the product table holds its anchors, and the tracker carries the details to the track. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "droneid.h"
#include "registry.h"
#include "tracker.h"

#define D2R (M_PI / 180.0)

/* A flight message through the wire format (pack -> parse), as the receiver yields it. */
static void wire_msg(droneid_msg *out, uint16_t state)
{
    droneid_msg m;
    droneid_msg_init(&m);
    m.seq = 4711;
    m.state_info = state;
    snprintf(m.serial, sizeof m.serial, "1581F5FJB23A0417");
    m.lat_deg = 51.5512345, m.lon_deg = -0.2812345;
    m.altitude_m = 187, m.height_m = 100;
    m.v_north = -14.14, m.v_east = 14.14, m.v_up = -0.5;
    m.yaw_deg = 135.25;
    m.gps_time_ms = 1784572230125ull;
    m.pilot_lat_deg = 51.5654321, m.pilot_lon_deg = -0.2955555;
    m.home_lat_deg = 51.5650001, m.home_lon_deg = -0.2950001;
    m.product_type = 58;
    snprintf(m.uuid, sizeof m.uuid, "1143635532171534336");
    uint8_t raw[DRONEID_PAYLOAD_LEN];
    assert_int_equal(droneid_pack(&m, raw), SG_OK);
    droneid_parse(raw, out);
    assert_true(out->crc16_ok);
}

static void test_every_field(void **st)
{
    (void)st;
    droneid_msg m;
    wire_msg(&m, 0x1ff7);
    m.nsym = 9; /* as droneid_rx_decode sets it */
    sg_measurement z;
    assert_int_equal(droneid_to_measurement(&m, 1784572230.2, 1, &z), SG_OK);
    assert_int_equal(z.type, SG_MEAS_POS_WGS84);
    const sg_droneid_info *d = &z.droneid;
    assert_true(d->valid);
    assert_int_equal(d->msg_type, 0x10);
    assert_int_equal(d->nsym, 9);
    assert_int_equal(d->version, 2);
    assert_int_equal(d->seq, 4711);
    assert_int_equal(d->state, 0x1ff7);
    assert_true(fabs(d->height_m - 100) < 1e-9);
    assert_true(fabs(d->altitude_m - 187) < 1e-9);
    assert_true(fabs(d->v_east - 14.14) < 1e-9 && fabs(d->v_north + 14.14) < 1e-9);
    assert_true(fabs(d->v_up + 0.5) < 1e-9);
    assert_true(fabs(d->yaw_deg - 135.25) < 1e-9);
    /* wire angles are rad x 1e7: 1e-7 rad quantisation */
    assert_true(d->has_home && d->has_pilot);
    assert_true(fabs(d->home_lat - 51.5650001 * D2R) < 1e-7);
    assert_true(fabs(d->home_lon + 0.2950001 * D2R) < 1e-7);
    assert_true(fabs(d->pilot_lat - 51.5654321 * D2R) < 1e-7);
    assert_true(fabs(d->pilot_lon + 0.2955555 * D2R) < 1e-7);
    assert_true(fabs(d->app_time - 1784572230.125) < 1e-6);
    assert_string_equal(d->uuid, "1143635532171534336");
    assert_int_equal(d->product, 58);
    assert_string_equal(d->product_name, "Mavic Air 2");
    /* the measurement itself: position, operator and identity unchanged */
    assert_string_equal(z.identity, "1581F5FJB23A0417");
    assert_true(z.has_operator && fabs(z.operator_lat - d->pilot_lat) < 1e-15);

    /* absent positions and time: flags false, values NAN (never 0,0) */
    m.home_lat_deg = m.home_lon_deg = 0;
    m.pilot_lat_deg = m.pilot_lon_deg = 0;
    m.gps_time_ms = 0;
    m.uuid[0] = 0;
    m.product_type = 250;
    sg_droneid_info i;
    droneid_info_fill(&m, &i);
    assert_false(i.has_home || i.has_pilot);
    assert_true(isnan(i.home_lat) && isnan(i.pilot_lon) && isnan(i.app_time));
    assert_string_equal(i.uuid, "");
    assert_string_equal(i.product_name, "unknown");
}

/* Each documented bit sets exactly its flag; bit 1 is inverted (set = privacy off). */
static void test_state_bits(void **st)
{
    (void)st;
    droneid_msg m;
    wire_msg(&m, 0);
    for (int k = -1; k < 16; k++) {
        m.state_info = k < 0 ? 0 : (uint16_t)(1u << k);
        sg_droneid_info d;
        droneid_info_fill(&m, &d);
        const bool f[12] = {d.serial_valid, !d.privacy_on, d.home_set, d.uuid_set,
                            d.motor_on, d.in_air, d.gps_valid, d.alt_valid,
                            d.height_valid, d.hvel_valid, d.vup_valid, d.att_valid};
        for (int b = 0; b < 12; b++)
            if (f[b] != (b == k))
                fail_msg("state 0x%04x: flag of bit %d is %d", m.state_info, b, f[b]);
        assert_int_equal(d.state, m.state_info);
    }
    /* the named bits are the public ones */
    assert_int_equal(SG_DJI_STATE_MOTOR_ON, 0x10);
    assert_int_equal(SG_DJI_STATE_IN_AIR, 0x20);
    assert_int_equal(SG_DJI_STATE_GPS_VALID, 0x40);
}

/* 0x11 user info: serial, no position -> an identified RF presence for fusion. */
static void test_user_info(void **st)
{
    (void)st;
    uint8_t raw[DRONEID_PAYLOAD_LEN] = {0};
    raw[0] = 141;
    raw[1] = DRONEID_MSG_USER_INFO;
    memcpy(raw + 2, "1WNBH3900201N1", 14);
    droneid_msg m;
    droneid_parse(raw, &m);
    assert_int_equal(m.msg_type, DRONEID_MSG_USER_INFO);
    sg_measurement z;
    assert_int_equal(droneid_to_measurement(&m, 100.5, 3, &z), SG_OK);
    assert_int_equal(z.type, SG_MEAS_RF_PRESENCE);
    assert_int_equal(z.sensor, 3);
    assert_true(z.t == 100.5);
    assert_string_equal(z.identity, "1WNBH3900201N1");
    assert_string_equal(z.cls, "dji_droneid");
    assert_false(z.has_operator || z.has_vel);
    assert_true(z.droneid.valid);
    assert_int_equal(z.droneid.msg_type, DRONEID_MSG_USER_INFO);
    assert_true(isnan(z.droneid.height_m) && isnan(z.droneid.app_time));
    assert_false(z.droneid.has_home || z.droneid.has_pilot || z.droneid.in_air);
    /* no serial: nothing to report */
    memset(raw + 2, 0, 16);
    droneid_parse(raw, &m);
    assert_int_equal(droneid_to_measurement(&m, 100.5, 3, &z), SG_EINVAL);
    assert_int_equal(droneid_to_measurement(&m, NAN, 3, &z), SG_EINVAL);
    assert_int_equal(droneid_to_measurement(NULL, 1, 3, &z), SG_EINVAL);
}

/* A 0x11 message reaches a track's identity without moving it: fusion records the
 * presence and binds it to the only track in the sensor's range that lacks an identity
 * (e.g. one from radar or an undecoded emitter). */
static void test_user_info_binds(void **st)
{
    (void)st;
    geo_frame f;
    assert_int_equal(geo_frame_init(&f, 51.5560 * D2R, -0.2795 * D2R, 70.0, NULL), SG_OK);
    fusion_sensor s;
    fusion_sensor_default(&s, FUSION_SENSOR_RF);
    snprintf(s.id, sizeof s.id, "rf-north");
    s.lat = 51.5560 * D2R, s.lon = -0.2795 * D2R, s.alt = 70;
    s.rf_range_m = 3000;
    sg_errinfo e = {0};
    registry *r = registry_create(&f, &s, 1, &e);
    assert_non_null(r);
    uint8_t raw[DRONEID_PAYLOAD_LEN] = {0};
    raw[0] = 141, raw[1] = DRONEID_MSG_USER_INFO;
    memcpy(raw + 2, "1WNBH3900201N1", 14);
    droneid_msg m;
    droneid_parse(raw, &m);
    sg_measurement z, out;
    assert_int_equal(droneid_to_measurement(&m, 500, 0, &z), SG_OK);
    assert_int_equal(registry_map(r, &z, &out, &e), SG_OK);
    assert_false(registry_for_tracker(&out)); /* presence: no tracker update */
    sg_track tr[2];
    memset(tr, 0, sizeof tr);
    tr[0].id = 7, tr[0].status = SG_TRACK_CONFIRMED;
    tr[0].x[0] = 400, tr[0].x[1] = 300, tr[0].x[2] = 80;
    tr[1].id = 8, tr[1].status = SG_TRACK_CONFIRMED;
    tr[1].x[0] = 9000; /* out of the sensor's range */
    assert_int_equal(registry_rf_attach(r, 500.5, tr, 2), 1);
    assert_string_equal(tr[0].identity, "1WNBH3900201N1");
    assert_string_equal(tr[0].cls, "dji_droneid");
    assert_string_equal(tr[1].identity, "");
    registry_destroy(r);
}

/* The product table: the codes seen on air in public captures, the size the public
 * sources give, no empty or duplicate names. */
static void test_product_table(void **st)
{
    (void)st;
    assert_string_equal(droneid_product_name(58), "Mavic Air 2");
    assert_string_equal(droneid_product_name(63), "Mini 2");
    assert_string_equal(droneid_product_name(41), "Mavic 2");
    assert_string_equal(droneid_product_name(16), "Mavic Pro");
    assert_string_equal(droneid_product_name(0), "unknown");
    assert_string_equal(droneid_product_name(255), "unknown");
    const char *names[256];
    int n = 0;
    for (int c = 0; c < 256; c++) {
        const char *s = droneid_product_name((uint8_t)c);
        assert_non_null(s);
        if (strcmp(s, "unknown") == 0)
            continue;
        assert_true(s[0] != 0 && strlen(s) < sizeof(((sg_droneid_info *)0)->product_name));
        for (int k = 0; k < n; k++)
            if (strcmp(names[k], s) == 0)
                fail_msg("product name \"%s\" twice (code %d)", s, c);
        names[n++] = s;
    }
    print_message("droneid: %d product codes named\n", n);
    assert_true(n >= 50);
}

/* The tracker carries the details of the latest DroneID measurement to the track. */
static void test_track_carries(void **st)
{
    (void)st;
    tracker_cfg c;
    tracker_cfg_default(&c);
    sg_errinfo e = {0};
    tracker *q = tracker_create(&c, &e);
    assert_non_null(q);
    sg_measurement z;
    memset(&z, 0, sizeof z);
    z.type = SG_MEAS_POS_ENU;
    z.sensor = 0;
    z.R[0] = z.R[4] = z.R[8] = 25;
    snprintf(z.identity, sizeof z.identity, "1581F5FJB23A0417");
    droneid_msg m;
    wire_msg(&m, 0x1ff7);
    droneid_info_fill(&m, &z.droneid);
    for (int k = 0; k < 4; k++) {
        z.t = 1000 + k;
        z.z[0] = 10.0 * k;
        z.droneid.seq = (uint16_t)(100 + k);
        assert_int_equal(tracker_process(q, z.t, &z, 1), SG_OK);
    }
    const sg_track *tr = NULL;
    size_t n = 0;
    assert_int_equal(tracker_tracks(q, &tr, &n), SG_OK);
    assert_int_equal(n, 1);
    assert_true(tr[0].droneid.valid);
    assert_int_equal(tr[0].droneid.seq, 103); /* the latest */
    assert_string_equal(tr[0].droneid.product_name, "Mavic Air 2");
    assert_true(tr[0].droneid.in_air);
    tracker_destroy(q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_field),   cmocka_unit_test(test_state_bits),
        cmocka_unit_test(test_user_info),     cmocka_unit_test(test_user_info_binds),
        cmocka_unit_test(test_product_table),
        cmocka_unit_test(test_track_carries),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
