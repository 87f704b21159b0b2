/* Remote ID aircraft state (dsp/odid_aircraft.c) against the spec: authentication pages
 * join into the aircraft's auth data in any order, the merged aircraft becomes a tracker
 * measurement with the documented units and covariance (the serial wins over a session
 * id), and the aircraft table evicts the oldest and drops stale aircraft. The message
 * codec itself is tested in test_odid.c. */
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

/* Auth pages are joined into the aircraft's auth data once page 0 and every page up
 * to its last page are in; a new page 0 (another timestamp) starts a new set. */
static void test_auth_assembly(void **state)
{
    (void)state;
    odid_aircraft a;
    odid_aircraft_init(&a, NULL);
    odid_message m;
    uint8_t data[17 + 2 * 23];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i + 1);
    for (int p = 2; p >= 0; p--) { /* any order */
        assert_int_equal(a.auth_len, 0);
        odid_message_init(&m, ODID_MT_AUTH);
        m.u.auth.auth_type = 5;
        m.u.auth.page = (uint8_t)p;
        m.u.auth.last_page = 2;
        m.u.auth.length = 50;
        m.u.auth.timestamp = ODID_EPOCH_2019 + 77;
        m.u.auth.data_len = p ? 23 : 17;
        memcpy(m.u.auth.data, data + (p ? 17 + 23 * (p - 1) : 0), m.u.auth.data_len);
        uint8_t b[ODID_MSG_SIZE];
        odid_message d;
        assert_int_equal(odid_encode_message(&m, b), 0);
        assert_int_equal(odid_decode_message(b, sizeof b, &d), 0);
        assert_int_equal(odid_aircraft_update(&a, &d, 1.0), 0);
    }
    assert_int_equal(a.auth_len, 50);
    assert_memory_equal(a.auth_data, data, 50);
    assert_int_equal(a.auth_head.auth_type, 5);
    m.u.auth.page = 0; /* a new signature: the old pages no longer count */
    m.u.auth.timestamp = ODID_EPOCH_2019 + 78;
    m.u.auth.data_len = 17;
    assert_int_equal(odid_aircraft_update(&a, &m, 2.0), 0);
    assert_int_equal(a.auth_len, 0);
    assert_int_equal(a.auth_pages, 1);
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
    strcpy(m.u.basic_id.uas_id, "01ab12");
    assert_int_equal(odid_aircraft_update(&a, &m, 10.0), 0);
    assert_string_equal(odid_aircraft_identity(&a), "01ab12");
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
    assert_near(z.t, 11.0, 0);
    assert_int_equal(z.sensor, 3);
    assert_near(z.z[0], 60.0 * M_PI / 180, 1e-12);
    assert_near(z.z[1], 25.0 * M_PI / 180, 1e-12);
    assert_near(z.z[2], 100.0, 0);
    /* 10 m 95 % horizontal -> sigma 10/2.45 m; in lon radians scaled by 1/cos(lat) */
    double sh = 10.0 / 2.45 / 6371008.8;
    assert_near(z.R[0], sh * sh, 1e-18);
    assert_near(z.R[4], sh * sh / 0.25, 1e-17);
    assert_near(z.R[8], (10 / 1.96) * (10 / 1.96), 1e-9);
    assert_true(z.has_vel);
    assert_near(z.vel_enu[0], 10.0, 1e-9);
    assert_near(z.vel_enu[1], 0.0, 1e-9);
    assert_near(z.vel_enu[2], -1.5, 1e-9);
    assert_string_equal(z.identity, "SERIAL-9");
    assert_string_equal(z.cls, "remote_id");
    assert_true(z.has_operator);
    assert_near(z.operator_lat, 60.001 * M_PI / 180, 1e-12);
    assert_true(isnan(z.operator_alt));
    /* the other fields travel with the measurement */
    assert_true(z.rid.valid);
    assert_int_equal(z.rid.id_type, ODID_IDT_SERIAL);
    assert_near(z.rid.h_acc_m, 10.0, 0);
    assert_near(z.rid.v_acc_m, 10.0, 0);
    assert_true(isnan(z.rid.height_m) && isnan(z.rid.speed_acc_mps));
    assert_int_equal(z.rid.auth, SG_RID_AUTH_UNSIGNED);
    assert_string_equal(z.rid.self_id, "");
    odid_message_init(&m, ODID_MT_SELF_ID);
    strcpy(m.u.self_id.text, "crop survey");
    assert_int_equal(odid_aircraft_update(&a, &m, 12.0), 0);
    odid_message_init(&m, ODID_MT_OPERATOR_ID);
    strcpy(m.u.operator_id.op_id, "FIN87astrdge12k8");
    assert_int_equal(odid_aircraft_update(&a, &m, 12.1), 0);
    odid_message_init(&m, ODID_MT_AUTH);
    m.u.auth.auth_type = 1;
    assert_int_equal(odid_aircraft_update(&a, &m, 12.2), 0);
    assert_int_equal(odid_to_measurement(&a, 3, &z), 0);
    assert_string_equal(z.rid.self_id, "crop survey");
    assert_string_equal(z.rid.operator_id, "FIN87astrdge12k8");
    assert_int_equal(z.rid.auth, SG_RID_AUTH_UNVERIFIED); /* signed, nothing to check it with */
    assert_int_equal(z.rid.auth_type, 1);
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
    assert_near(ac->rssi_dbm, -50, 0);
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
        cmocka_unit_test(test_auth_assembly),
        cmocka_unit_test(test_measurement),
        cmocka_unit_test(test_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
