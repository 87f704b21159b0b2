/* The node wire format (apps/node/node_wire.h, docs/nodes.md): every event kind
 * (sensor warnings NL_NOTE included) survives a round trip with the precision the
 * schema promises, every health counter crosses, the sizes stated in
 * docs/nodes.md hold, and hostile input (truncated, foreign, newer, trailing bytes,
 * bad strings, non-finite clocks) is refused with a reason, never read past its end. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "feed.h"
#include "node_wire.h"

#define T0 1784572200.25

static nw_header hdr(nw_kind k, int sensor)
{
    nw_header h = {.kind = k, .sensor = sensor, .session = 0xA1B2C3D4u, .seq = 77,
                   .t = T0, .sent = T0 + 3.5, .age_ms = 1.25};
    return h;
}

/* A DroneID position measurement as the sensor side makes it. */
static nl_event droneid_event(void)
{
    nl_event ev = {.kind = NL_MEAS, .sensor = 2, .t = T0, .fc = 2.4445e9, .bw = 10e6,
                   .first_t = T0 - 30.125, .t_end = T0 + 0.00064};
    sg_measurement *m = &ev.m;
    m->t = T0;
    m->sensor = 2;
    m->type = SG_MEAS_POS_WGS84;
    m->z[0] = 51.5627008 * M_PI / 180;
    m->z[1] = -0.2903521 * M_PI / 180;
    m->z[2] = 187.0;
    double R[9] = {25, 1, 0, 1, 25, 0, 0, 0, 100};
    memcpy(m->R, R, sizeof R);
    m->has_vel = true;
    m->vel_enu[0] = 14.12;
    m->vel_enu[1] = -14.12;
    snprintf(m->cls, sizeof m->cls, "dji_droneid");
    m->cls_conf = 1.0;
    snprintf(m->identity, sizeof m->identity, "1581F5FJB23A0417");
    m->has_operator = true;
    m->operator_lat = 51.5654338 * M_PI / 180;
    m->operator_lon = -0.2954629 * M_PI / 180;
    m->operator_alt = NAN;
    return ev;
}

static void test_measurement_round_trip(void **state)
{
    (void)state;
    nl_event ev = droneid_event(), out;
    nw_header h = hdr(NW_MEAS, ev.sensor), h2;
    uint8_t buf[NW_MAX];
    int n = nw_encode_event(buf, sizeof buf, &h, &ev, NAN);
    print_message("DroneID position measurement: %d bytes\n", n);
    assert_true(n > NW_HEADER && n <= 177); /* docs/nodes.md: 177 bytes */
    sg_errinfo e = {0};
    double wf;
    assert_int_equal(nw_decode_header(buf, (size_t)n, &h2, &e), SG_OK);
    assert_int_equal(h2.kind, NW_MEAS);
    assert_int_equal(h2.sensor, 2);
    assert_int_equal(h2.session, 0xA1B2C3D4u);
    assert_int_equal(h2.seq, 77);
    assert_true(h2.t == T0 && h2.sent == T0 + 3.5 && h2.age_ms == 1.25);
    assert_int_equal(nw_decode_event(buf, (size_t)n, &h2, &out, &wf, &e), SG_OK);
    const sg_measurement *a = &ev.m, *b = &out.m;
    assert_int_equal(b->type, a->type);
    assert_int_equal(b->sensor, 2);
    assert_true(b->t == a->t);
    for (int i = 0; i < 3; i++)
        assert_true(b->z[i] == a->z[i]); /* positions travel as float64: exact */
    for (int i = 0; i < 9; i++)
        assert_true(fabs(b->R[i] - a->R[i]) <= 1e-6 * fabs(a->R[i]));
    assert_true(b->has_vel && fabs(b->vel_enu[0] - 14.12) < 1e-5 && b->vel_enu[2] == 0);
    assert_string_equal(b->cls, "dji_droneid");
    assert_string_equal(b->identity, "1581F5FJB23A0417");
    assert_true(b->has_operator && b->operator_lat == a->operator_lat && isnan(b->operator_alt));
    assert_true(out.fc == 2.4445e9 && out.bw == 10e6); /* exact: the rf.* band comes from it */
    assert_true(out.first_t == ev.first_t);
    assert_true(fabs(out.t_end - ev.t_end) < 1e-6);
}

/* Remote ID details as odid_to_measurement leaves them (F3411-22a, airborne, EU
 * category and class, a Self-ID, an operator ID, a verified signature; the barometric
 * altitude unknown). */
static nl_event rid_event(void)
{
    nl_event ev = droneid_event();
    sg_measurement *m = &ev.m;
    snprintf(m->cls, sizeof m->cls, "remote_id");
    ev.fc = ev.bw = 0;
    sg_rid_info *r = &m->rid;
    *r = (sg_rid_info){.valid = true, .proto_version = 2, .id_type = 1, .ua_type = 2,
                       .status = 2, .height_type = 1, .height_m = 100.5, .alt_baro_m = NAN,
                       .h_acc_m = 3, .v_acc_m = 10, .baro_acc_m = NAN, .speed_acc_mps = 0.3,
                       .loc_time_s = 1234.5, .loc_time_acc_s = 0.2, .system_time = T0 - 2,
                       .classification = 1, .category_eu = 2, .class_eu = 3,
                       .op_loc_type = 1, .self_id_type = 0, .auth = SG_RID_AUTH_VERIFIED,
                       .auth_type = 0xFF};
    snprintf(r->self_id, sizeof r->self_id, "survey flight 7");
    snprintf(r->operator_id, sizeof r->operator_id, "FIN87astrdge12k8");
    return ev;
}

/* DroneID details as droneid_to_measurement leaves them (flight telemetry, home and
 * pilot set, a UUID). */
static nl_event dji_event(void)
{
    nl_event ev = droneid_event();
    sg_droneid_info *d = &ev.m.droneid;
    *d = (sg_droneid_info){.valid = true, .msg_type = 0x10, .nsym = 9, .version = 2,
                           .seq = 4711, .state = 0x1f73, .serial_valid = true,
                           .privacy_on = false, .home_set = true, .motor_on = true,
                           .in_air = true, .gps_valid = true, .alt_valid = true,
                           .height_valid = true, .hvel_valid = true, .vup_valid = true,
                           .att_valid = true, .height_m = 87.3, .altitude_m = 128.9,
                           .v_east = 14.12, .v_north = -14.12, .v_up = -0.37,
                           .yaw_deg = -135.25, .has_home = true, .has_pilot = true,
                           .home_lat = 51.5654338 * M_PI / 180,
                           .home_lon = -0.2954629 * M_PI / 180,
                           .pilot_lat = 51.5650001 * M_PI / 180,
                           .pilot_lon = -0.2950002 * M_PI / 180, .app_time = T0 - 0.125,
                           .product = 16};
    snprintf(d->uuid, sizeof d->uuid, "12345678901234567890");
    snprintf(d->product_name, sizeof d->product_name, "Mavic Air 2");
    return ev;
}

/* The track message the feed writes for a track holding measurement m's details. */
static void track_json(feed *f, const sg_measurement *m, char *buf, size_t cap)
{
    sg_track tr = {.id = 7, .status = SG_TRACK_CONFIRMED, .t = T0, .lat = m->z[0],
                   .lon = m->z[1], .alt = m->z[2], .t_first = T0, .t_last = T0, .hits = 3};
    tr.rid = m->rid;
    tr.droneid = m->droneid;
    assert_true(feed_encode_track(f, buf, cap, &tr, NULL, 0, false) > 0);
}

/* Remote ID and DroneID details cross the link and give the fusion node's feed the same
 * remote_id and droneid objects, byte for byte, as the sensor's own measurement (what
 * standalone publishes); a measurement without them carries none. */
static void test_rid_droneid_details(void **state)
{
    (void)state;
    static const char *const ids[] = {"rf-a", "rf-b", "rid-a"};
    feed_cfg cfg = {.endpoint = "inproc://node-wire"};
    sg_errinfo e = {0};
    feed *f = feed_create(&cfg, ids, 3, &e);
    assert_non_null(f);
    nl_event evs[] = {rid_event(), dji_event(), dji_event(), rid_event()};
    /* user info (0x11, serial only), no home or pilot, NaN app time */
    sg_droneid_info *d = &evs[2].m.droneid;
    d->msg_type = 0x11;
    d->has_home = d->has_pilot = false;
    d->home_lat = d->home_lon = d->pilot_lat = d->pilot_lon = 0;
    d->app_time = NAN;
    d->uuid[0] = '\0';
    evs[3].m.rid.self_id[0] = evs[3].m.rid.operator_id[0] = '\0'; /* Location only so far */
    evs[3].m.rid.auth = SG_RID_AUTH_UNSIGNED;
    static const int sizes[] = {244, 284, 232, 213}; /* docs/nodes.md */
    for (size_t k = 0; k < sizeof evs / sizeof evs[0]; k++) {
        uint8_t buf[NW_MAX];
        nw_header h = hdr(NW_MEAS, 2), h2;
        int n = nw_encode_event(buf, sizeof buf, &h, &evs[k], NAN);
        print_message("%s details: %d bytes\n", evs[k].m.rid.valid ? "Remote ID" : "DroneID", n);
        assert_int_equal(n, sizes[k]);
        nl_event out;
        double wf;
        assert_int_equal(nw_decode_header(buf, (size_t)n, &h2, &e), SG_OK);
        assert_int_equal(nw_decode_event(buf, (size_t)n, &h2, &out, &wf, &e), SG_OK);
        assert_int_equal(out.m.rid.valid, evs[k].m.rid.valid);
        assert_int_equal(out.m.droneid.valid, evs[k].m.droneid.valid);
        char j1[8192], j2[8192];
        track_json(f, &evs[k].m, j1, sizeof j1);
        track_json(f, &out.m, j2, sizeof j2);
        assert_non_null(strstr(j1, evs[k].m.rid.valid ? "\"remote_id\"" : "\"droneid\""));
        assert_string_equal(j1, j2);
        /* every truncation of it is refused, never read past its end */
        for (int len = NW_HEADER; len < n; len++) {
            memset(&e, 0, sizeof e);
            assert_int_equal(nw_decode_event(buf, (size_t)len, &h2, &out, &wf, &e), SG_EFORMAT);
            assert_non_null(strstr(e.msg, "measurement"));
        }
    }
    /* the plain DroneID position of version 1 still has no details and its size */
    nl_event plain = droneid_event(), out;
    uint8_t buf[NW_MAX];
    nw_header h = hdr(NW_MEAS, 2), h2;
    int n = nw_encode_event(buf, sizeof buf, &h, &plain, NAN);
    double wf;
    assert_int_equal(nw_decode_header(buf, (size_t)n, &h2, &e), SG_OK);
    assert_int_equal(nw_decode_event(buf, (size_t)n, &h2, &out, &wf, &e), SG_OK);
    assert_false(out.m.rid.valid || out.m.droneid.valid);
    feed_destroy(f);
}

/* Hostile detail blocks: out-of-range enumerations and positions, undefined flags (every
 * bit of the measurement flags byte is defined since the bursts flag, 128). */
static void test_rid_droneid_hostile(void **state)
{
    (void)state;
    uint8_t buf[NW_MAX], bad[NW_MAX];
    sg_errinfo e = {0};
    nl_event out;
    double wf;
    nw_header h = hdr(NW_MEAS, 2), h2;
    nl_event rid = rid_event();
    int n = nw_encode_event(buf, sizeof buf, &h, &rid, NAN);
    assert_int_equal(nw_decode_header(buf, (size_t)n, &h2, &e), SG_OK);
    /* the Remote ID block follows the operator block: find it by its first bytes */
    size_t at = (size_t)n - 12 - 1 - 16 - 1 - 15 - 8 - 32 - 12; /* first_t, t_end, strings */
    assert_int_equal(buf[at], 2);                                /* proto_version */
    assert_int_equal(buf[at + 4], 1);                            /* height_type */
    struct {
        size_t off;
        uint8_t v;
        const char *why;
    } cases[] = {
        {at + 4, 2, "height reference"},
        {at + 10, 4, "authentication"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        memcpy(bad, buf, (size_t)n);
        bad[cases[c].off] = cases[c].v;
        memset(&e, 0, sizeof e);
        if (nw_decode_event(bad, (size_t)n, &h2, &out, &wf, &e) != SG_EFORMAT)
            fail_msg("case %s accepted", cases[c].why);
        assert_non_null(strstr(e.msg, cases[c].why));
    }
    nl_event dji = dji_event();
    n = nw_encode_event(buf, sizeof buf, &h, &dji, NAN);
    assert_int_equal(nw_decode_header(buf, (size_t)n, &h2, &e), SG_OK);
    /* DroneID block: msg_type 0x10, nsym 9, version 2, then seq 4711 (0x1267) */
    size_t d = 0;
    for (size_t i = NW_HEADER; i + 4 < (size_t)n && !d; i++)
        if (buf[i] == 0x10 && buf[i + 1] == 9 && buf[i + 2] == 2 && buf[i + 3] == 0x67 &&
            buf[i + 4] == 0x12)
            d = i;
    assert_true(d > 0);
    memcpy(bad, buf, (size_t)n);
    bad[d + 8] |= 0x80; /* flags bit 15 */
    assert_int_equal(nw_decode_event(bad, (size_t)n, &h2, &out, &wf, &e), SG_EFORMAT);
    assert_non_null(strstr(e.msg, "undefined bits"));
    memcpy(bad, buf, (size_t)n);
    double nan = NAN; /* home latitude NaN */
    memcpy(bad + d + 9 + 24, &nan, 8);
    assert_int_equal(nw_decode_event(bad, (size_t)n, &h2, &out, &wf, &e), SG_EFORMAT);
    assert_non_null(strstr(e.msg, "home position"));
    memcpy(bad, buf, (size_t)n);
    double far = 4.0; /* pilot longitude beyond pi */
    memcpy(bad + d + 9 + 24 + 24, &far, 8);
    assert_int_equal(nw_decode_event(bad, (size_t)n, &h2, &out, &wf, &e), SG_EFORMAT);
    assert_non_null(strstr(e.msg, "pilot position"));
    /* a NaN position or covariance from a hostile node never reaches the tracker */
    nl_event nan_ev = droneid_event();
    nan_ev.m.z[2] = NAN;
    n = nw_encode_event(buf, sizeof buf, &h, &nan_ev, NAN);
    assert_int_equal(nw_decode_event(buf, (size_t)n, &h2, &out, &wf, &e), SG_EFORMAT);
    assert_non_null(strstr(e.msg, "non-finite"));
    nan_ev = droneid_event();
    nan_ev.m.R[4] = INFINITY;
    n = nw_encode_event(buf, sizeof buf, &h, &nan_ev, NAN);
    assert_int_equal(nw_decode_event(buf, (size_t)n, &h2, &out, &wf, &e), SG_EFORMAT);
    n = nw_encode_event(buf, sizeof buf, &h, &dji, NAN);
    /* the live-clock header flag crosses to the event; undefined header flags are refused */
    nw_header hl = hdr(NW_MEAS, 2);
    hl.flags = NW_HF_SYSCLOCK;
    n = nw_encode_event(buf, sizeof buf, &hl, &dji, NAN);
    assert_int_equal(nw_decode_header(buf, (size_t)n, &h2, &e), SG_OK);
    assert_int_equal(h2.flags, NW_HF_SYSCLOCK);
    assert_int_equal(nw_decode_event(buf, (size_t)n, &h2, &out, &wf, &e), SG_OK);
    assert_true(out.sysclock);
    buf[3] = 4; /* 1 live clock and 2 batch continuation are the defined ones */
    assert_int_equal(nw_decode_header(buf, (size_t)n, &h2, &e), SG_EFORMAT);
    assert_non_null(strstr(e.msg, "header flags"));
    n = nw_encode_event(buf, sizeof buf, &h, &dji, NAN);
    assert_int_equal(nw_decode_header(buf, (size_t)n, &h2, &e), SG_OK);
    assert_int_equal(nw_decode_event(buf, (size_t)n, &h2, &out, &wf, &e), SG_OK);
    assert_false(out.sysclock);
    /* a version 1 message (this build speaks 2) is refused by version */
    memcpy(bad, buf, (size_t)n);
    bad[1] = 1;
    assert_int_equal(nw_decode_header(bad, (size_t)n, &h2, &e), SG_EFORMAT);
    assert_non_null(strstr(e.msg, "version 1"));
}

static void test_bearing_and_presence(void **state)
{
    (void)state;
    uint8_t buf[NW_MAX];
    sg_errinfo e = {0};
    double wf;
    /* camera bearing: 2x2 covariance laid out dim x dim */
    nl_event ev = {.kind = NL_MEAS, .sensor = 1, .t = T0, .first_t = T0, .t_end = T0};
    ev.m.type = SG_MEAS_BEARING;
    ev.m.t = T0 - 0.02; /* differs from the event time: carried explicitly */
    ev.m.z[0] = 1.25;
    ev.m.z[1] = 0.125;
    ev.m.R[0] = 1e-4;
    ev.m.R[1] = ev.m.R[2] = 2e-6;
    ev.m.R[3] = 3e-4;
    nw_header h = hdr(NW_MEAS, 1), h2;
    int n = nw_encode_event(buf, sizeof buf, &h, &ev, NAN);
    print_message("camera bearing: %d bytes\n", n);
    assert_true(n > 0 && n <= 90); /* docs/nodes.md: 90 bytes (82 at the frame time) */
    nl_event out;
    assert_int_equal(nw_decode_header(buf, (size_t)n, &h2, &e), SG_OK);
    assert_int_equal(nw_decode_event(buf, (size_t)n, &h2, &out, &wf, &e), SG_OK);
    assert_true(out.m.t == T0 - 0.02 && out.m.z[0] == 1.25 && out.m.z[1] == 0.125);
    assert_true(fabs(out.m.R[1] - 2e-6) < 1e-12 && out.m.R[1] == out.m.R[2]);
    assert_true(out.m.R[4] == 0 && out.fc == 0 && out.bw == 0);
    assert_false(out.batch_more);
    assert_int_equal(out.m.n_bursts, 0);
    /* a DF bearing: its emitter's band and bursts (cross-site association) */
    ev.m.fc_hz = 2.4409e9;
    ev.m.bw_hz = 0.5e6;
    ev.m.n_bursts = SG_MEAS_BURSTS;
    for (unsigned i = 0; i < SG_MEAS_BURSTS; i++) {
        ev.m.burst_t[i] = T0 - 0.2 + 0.01 * i;
        ev.m.burst_fc[i] = 2.4409e9 + 1e5 * i;
    }
    n = nw_encode_event(buf, sizeof buf, &h, &ev, NAN);
    print_message("DF bearing with %d bursts: %d bytes\n", SG_MEAS_BURSTS, n);
    assert_int_equal(nw_decode_header(buf, (size_t)n, &h2, &e), SG_OK);
    assert_int_equal(nw_decode_event(buf, (size_t)n, &h2, &out, &wf, &e), SG_OK);
    assert_int_equal(out.m.n_bursts, SG_MEAS_BURSTS);
    assert_true(out.m.fc_hz == 2.4409e9 && out.m.bw_hz == 0.5e6);
    assert_memory_equal(out.m.burst_t, ev.m.burst_t, sizeof ev.m.burst_t);
    assert_memory_equal(out.m.burst_fc, ev.m.burst_fc, sizeof ev.m.burst_fc);
    /* a frame's detection with another of the same frame after it: the flag travels, the
     * size does not change */
    ev.batch_more = true;
    assert_int_equal(nw_encode_event(buf, sizeof buf, &h, &ev, NAN), n);
    assert_int_equal(nw_decode_header(buf, (size_t)n, &h2, &e), SG_OK);
    assert_true(h2.flags & NW_HF_MORE); /* in the header, flags byte 2 */
    assert_int_equal(nw_decode_event(buf, (size_t)n, &h2, &out, &wf, &e), SG_OK);
    assert_true(out.batch_more && out.m.z[0] == 1.25);
    /* RF presence: no geometry */
    nl_event rf = {.kind = NL_MEAS, .sensor = 0, .t = T0, .fc = 5.8e9, .bw = 20e6, .first_t = T0 - 5};
    rf.m.type = SG_MEAS_RF_PRESENCE;
    rf.m.t = T0;
    snprintf(rf.m.cls, sizeof rf.m.cls, "dji_ocusync");
    rf.m.cls_conf = 0.75;
    h = hdr(NW_MEAS, 0);
    n = nw_encode_event(buf, sizeof buf, &h, &rf, NAN);
    print_message("RF presence report: %d bytes\n", n);
    assert_int_equal(nw_decode_header(buf, (size_t)n, &h2, &e), SG_OK);
    assert_int_equal(nw_decode_event(buf, (size_t)n, &h2, &out, &wf, &e), SG_OK);
    assert_string_equal(out.m.cls, "dji_ocusync");
    assert_true(out.m.cls_conf == 0.75f && out.fc == 5.8e9 && out.m.fc_hz == 0);
}

static void test_health_done_tick_ping(void **state)
{
    (void)state;
    uint8_t buf[NW_MAX];
    sg_errinfo e = {0};
    double wf;
    nl_event ev = {.kind = NL_HEALTH, .sensor = 3, .t = T0};
    nl_health *hh = &ev.h;
    hh->groups = NL_H_ADAPTER | NL_H_RID | NL_H_PRIMARY;
    hh->samples = 123456789012ull;
    hh->bursts = 90;
    hh->burst_queue_full = 7;
    hh->events_dropped = 3;
    hh->link_dropped = 300;
    hh->rid_evicted = 1;
    hh->drone_reports = 12;
    hh->fe_p50_ms = 1.95;
    hh->fe_p99_ms = INFINITY;
    hh->progress = NAN;
    hh->t_first = T0 - 1;
    nw_header h = hdr(NW_HEALTH, 3), h2;
    int n = nw_encode_event(buf, sizeof buf, &h, &ev, T0 + 2);
    print_message("health: %d bytes\n", n);
    assert_true(n > 0 && n <= 140); /* 68 counters, mostly one-byte varints */
    nl_event out;
    assert_int_equal(nw_decode_header(buf, (size_t)n, &h2, &e), SG_OK);
    assert_int_equal(nw_decode_event(buf, (size_t)n, &h2, &out, &wf, &e), SG_OK);
    assert_int_equal(out.h.groups, hh->groups);
    assert_true(out.h.samples == 123456789012ull && out.h.bursts == 90 && out.h.burst_queue_full == 7 &&
                out.h.events_dropped == 3 && out.h.link_dropped == 300 && out.h.rid_evicted == 1 &&
                out.h.drone_reports == 12);
    assert_true(fabsf((float)out.h.fe_p50_ms - 1.95f) == 0 && isinf(out.h.fe_p99_ms));
    assert_true(isnan(out.h.progress) && out.h.t_first == T0 - 1 && wf == T0 + 2);

    nl_event done = {.kind = NL_DONE, .sensor = 1, .t = NAN, .rc = SG_ETRUNC};
    snprintf(done.err, sizeof done.err, "recording truncated");
    h = hdr(NW_DONE, 1);
    h.t = NAN;
    n = nw_encode_event(buf, sizeof buf, &h, &done, NAN);
    assert_int_equal(nw_decode_header(buf, (size_t)n, &h2, &e), SG_OK);
    assert_int_equal(nw_decode_event(buf, (size_t)n, &h2, &out, &wf, &e), SG_OK);
    assert_int_equal(out.rc, SG_ETRUNC);
    assert_string_equal(out.err, "recording truncated");

    nl_event tick = {.kind = NL_TICK, .sensor = 1, .t = T0};
    h = hdr(NW_TICK, 1);
    n = nw_encode_event(buf, sizeof buf, &h, &tick, NAN);
    assert_int_equal(n, NW_HEADER);

    nw_ping p = {.t1 = T0, .floor = INFINITY}, q;
    h = hdr(NW_PING, 0);
    n = nw_encode_ping(buf, sizeof buf, &h, &p);
    assert_int_equal(nw_decode_header(buf, (size_t)n, &h2, &e), SG_OK);
    assert_int_equal(nw_decode_ping(buf, (size_t)n, &h2, &q, &e), SG_OK);
    assert_true(q.t1 == T0 && isinf(q.floor));
    nw_ping pong = {.t1 = T0, .t2 = T0 + 2.001, .t3 = T0 + 2.002};
    h = hdr(NW_PONG, 0);
    n = nw_encode_ping(buf, sizeof buf, &h, &pong);
    assert_int_equal(nw_decode_header(buf, (size_t)n, &h2, &e), SG_OK);
    assert_int_equal(nw_decode_ping(buf, (size_t)n, &h2, &q, &e), SG_OK);
    assert_true(q.t2 == T0 + 2.001 && q.t3 == T0 + 2.002);
    /* bare headers: a node's replay clock, the fusion node's ack of an end of input */
    h = hdr(NW_CLOCK, 0);
    h.t = INFINITY; /* every replayed sensor of the node ended */
    assert_int_equal(nw_encode_clock(buf, sizeof buf, &h), NW_HEADER);
    assert_int_equal(nw_decode_header(buf, NW_HEADER, &h2, &e), SG_OK);
    assert_true(h2.kind == NW_CLOCK && isinf(h2.t));
    h = hdr(NW_ACK, 0);
    h.seq = 4242;
    assert_int_equal(nw_encode_clock(buf, sizeof buf, &h), NW_HEADER);
    assert_int_equal(nw_decode_header(buf, NW_HEADER, &h2, &e), SG_OK);
    assert_true(h2.kind == NW_ACK && h2.seq == 4242);
    assert_int_equal(nw_decode_header(buf, NW_HEADER + 1, &h2, &e), SG_EFORMAT);
}

/* Every counter of nl_health (samples .. link_dropped, contiguous uint64_t: a counter
 * added among them changes the span and fails here) crosses with its own value, the
 * camera counters (blobs_dropped, tracklets_dropped, drone_reports) and the SAPIENT input
 * counters included. */
static void test_health_every_counter(void **state)
{
    (void)state;
    /* the table (node_link.c) covers the whole counter block, each counter once */
    size_t a = offsetof(nl_health, samples), b = offsetof(nl_health, link_dropped) + 8;
    const size_t N_COUNTERS = (b - a) / sizeof(uint64_t);
    assert_int_equal(nl_n_counters, N_COUNTERS);
    bool seen[128] = {false};
    assert_true(N_COUNTERS <= 128);
    for (size_t i = 0; i < nl_n_counters; i++) {
        size_t off = nl_counters[i].off;
        assert_true(off >= a && off < b && (off - a) % 8 == 0);
        if (seen[(off - a) / 8])
            fail_msg("counter %s twice in the table", nl_counters[i].name);
        seen[(off - a) / 8] = true;
    }
    nl_event ev = {.kind = NL_HEALTH, .sensor = 5, .t = T0}, out;
    ev.h.groups = NL_H_CAMERA | NL_H_RECORD | NL_H_DF;
    for (size_t i = 0; i < N_COUNTERS; i++) {
        uint64_t v = (i + 1) * 1000003ull + (i << 40); /* distinct, 1 to 7 varint bytes */
        memcpy((char *)&ev.h + a + i * 8, &v, 8);
    }
    ev.h.fe_p50_ms = ev.h.fe_p99_ms = ev.h.progress = NAN;
    ev.h.t_first = NAN;
    uint8_t buf[NW_MAX];
    nw_header h = hdr(NW_HEALTH, 5), h2;
    sg_errinfo e = {0};
    double wf;
    int n = nw_encode_event(buf, sizeof buf, &h, &ev, NAN);
    assert_true(n > NW_HEADER);
    assert_int_equal(nw_decode_header(buf, (size_t)n, &h2, &e), SG_OK);
    assert_int_equal(nw_decode_event(buf, (size_t)n, &h2, &out, &wf, &e), SG_OK);
    for (size_t i = 0; i < N_COUNTERS; i++) {
        uint64_t v, w;
        memcpy(&v, (char *)&ev.h + a + i * 8, 8);
        memcpy(&w, (char *)&out.h + a + i * 8, 8);
        if (v != w)
            fail_msg("health counter %zu: sent %llu, decoded %llu", i, (unsigned long long)v,
                     (unsigned long long)w);
    }
    assert_true(out.h.blobs_dropped == ev.h.blobs_dropped &&
                out.h.tracklets_dropped == ev.h.tracklets_dropped &&
                out.h.drone_reports == ev.h.drone_reports && out.h.groups == ev.h.groups);
    assert_int_equal(out.h.scan_channels, 0); /* no plan: nothing of it on the wire */
    /* an input hopping over a channel plan: its figures cross too */
    ev.h.groups |= NL_H_SCAN;
    ev.h.scan_channels = 3;
    ev.h.scan_retunes = 123456789;
    ev.h.samples_settling = 9876543210ull;
    ev.h.scan_cycle_s = 0.363;
    ev.h.scan_duty_min = 0.3305785;
    int n2 = nw_encode_event(buf, sizeof buf, &h, &ev, NAN);
    assert_true(n2 > n);
    assert_int_equal(nw_decode_header(buf, (size_t)n2, &h2, &e), SG_OK);
    assert_int_equal(nw_decode_event(buf, (size_t)n2, &h2, &out, &wf, &e), SG_OK);
    assert_true(out.h.scan_channels == 3 && out.h.scan_retunes == 123456789 &&
                out.h.samples_settling == 9876543210ull && out.h.scan_cycle_s == 0.363 &&
                out.h.scan_duty_min == 0.3305785 && out.h.groups == ev.h.groups);
}

/* A sensor's warning (NL_NOTE: watchdog stall and recovery, recording stopped) crosses
 * as kind NW_NOTE with its code and the full text, without a sample time. */
static void test_note(void **state)
{
    (void)state;
    uint8_t buf[NW_MAX];
    sg_errinfo e = {0};
    double wf;
    nl_event note = {.kind = NL_NOTE, .sensor = 4, .t = NAN, .rc = SG_ETIMEOUT}, out;
    snprintf(note.err, sizeof note.err,
             "stalled: no progress for 5 s in the front end (DSP) (watchdog); sensor degraded");
    nw_header h = hdr(nw_event_kind(NL_NOTE), 4), h2;
    h.t = NAN;
    int n = nw_encode_event(buf, sizeof buf, &h, &note, NAN);
    assert_true(n > NW_HEADER);
    assert_int_equal(buf[2], NW_NOTE);
    assert_int_equal(nw_decode_header(buf, (size_t)n, &h2, &e), SG_OK);
    assert_int_equal(h2.kind, NW_NOTE);
    assert_int_equal(nw_decode_event(buf, (size_t)n, &h2, &out, &wf, &e), SG_OK);
    assert_int_equal(out.kind, NL_NOTE);
    assert_int_equal(out.sensor, 4);
    assert_int_equal(out.rc, SG_ETIMEOUT);
    assert_true(isnan(out.t));
    assert_string_equal(out.err, note.err);
    /* the longest text an event holds (255 characters), and a recovery (rc 0) */
    memset(note.err, 'x', sizeof note.err - 1);
    note.err[sizeof note.err - 1] = '\0';
    note.rc = SG_OK;
    n = nw_encode_event(buf, sizeof buf, &h, &note, NAN);
    assert_int_equal(n, NW_HEADER + 4 + 1 + 255);
    assert_int_equal(nw_decode_header(buf, (size_t)n, &h2, &e), SG_OK);
    assert_int_equal(nw_decode_event(buf, (size_t)n, &h2, &out, &wf, &e), SG_OK);
    assert_int_equal(out.rc, SG_OK);
    assert_string_equal(out.err, note.err);
    /* truncated anywhere, or with trailing bytes: refused, named a note */
    for (int len = NW_HEADER; len < n; len++) {
        memset(&e, 0, sizeof e);
        assert_int_equal(nw_decode_event(buf, (size_t)len, &h2, &out, &wf, &e), SG_EFORMAT);
        assert_non_null(strstr(e.msg, "note"));
    }
    buf[n] = 0;
    assert_int_equal(nw_decode_event(buf, (size_t)n + 1, &h2, &out, &wf, &e), SG_EFORMAT);
    assert_non_null(strstr(e.msg, "trailing"));
    /* the other non-event kinds are still refused as events */
    h2.kind = NW_PING;
    assert_int_equal(nw_decode_event(buf, (size_t)n, &h2, &out, &wf, &e), SG_EFORMAT);
}

/* Byte `at` of a valid n-byte message set to v: refused (header or body), naming why. */
static void assert_byte_refused(const uint8_t *buf, int n, size_t at, uint8_t v,
                                const char *why)
{
    uint8_t bad[NW_MAX];
    nw_header h;
    nl_event out;
    double wf;
    sg_errinfo e = {0};
    memcpy(bad, buf, (size_t)n);
    bad[at] = v;
    int rc = nw_decode_header(bad, (size_t)n, &h, &e);
    if (rc == SG_OK)
        rc = nw_decode_event(bad, (size_t)n, &h, &out, &wf, &e);
    if (rc != SG_EFORMAT)
        fail_msg("case %s accepted", why);
    assert_non_null(strstr(e.msg, why));
}

/* A scan report (NL_SCAN) crosses as kind NW_SCAN: a camera frame's sector and an RF
 * sensor's detected-only coverage, exactly; truncated, trailing or out-of-range bodies are
 * refused and named. NW_SCAN is the first kind after those of the earlier version 2
 * decoders (which refuse kind >= NW_NOTE + 1 as unknown). */
static void test_scan(void **state)
{
    (void)state;
    assert_int_equal(NW_SCAN, NW_NOTE + 1);
    uint8_t buf[NW_MAX], bad[NW_MAX + 8];
    sg_errinfo e = {0};
    double wf;
    nl_event ev = {.kind = NL_SCAN, .sensor = 3, .t = T0 + 0.04}, out;
    ev.scan = (tracker_scan){.sensor = 3, .t0 = T0, .t1 = T0 + 0.04,
                             .cover = TRACKER_COVER_SECTOR, .az_center = 1.234567891,
                             .az_half = 0.4321, .el_min = -0.05, .el_max = 0.61,
                             .range_max = 750};
    nw_header h = hdr(nw_event_kind(NL_SCAN), 3), h2;
    h.t = ev.t;
    int n = nw_encode_event(buf, sizeof buf, &h, &ev, NAN);
    assert_int_equal(n, NW_HEADER + 2 + 6 * 8);
    assert_int_equal(buf[2], NW_SCAN);
    assert_int_equal(nw_decode_header(buf, (size_t)n, &h2, &e), SG_OK);
    assert_int_equal(nw_decode_event(buf, (size_t)n, &h2, &out, &wf, &e), SG_OK);
    assert_int_equal(out.kind, NL_SCAN);
    assert_int_equal(out.sensor, 3);
    assert_int_equal(out.scan.sensor, 3);
    assert_true(out.scan.cover == TRACKER_COVER_SECTOR && !out.scan.detected_only);
    assert_true(out.scan.t0 == ev.scan.t0 && out.scan.t1 == ev.t);
    assert_true(out.scan.az_center == ev.scan.az_center && out.scan.az_half == ev.scan.az_half &&
                out.scan.el_min == ev.scan.el_min && out.scan.el_max == ev.scan.el_max &&
                out.scan.range_max == ev.scan.range_max);
    /* truncated anywhere, or with trailing bytes: refused, named a scan */
    for (int len = NW_HEADER; len < n; len++) {
        memset(&e, 0, sizeof e);
        assert_int_equal(nw_decode_event(buf, (size_t)len, &h2, &out, &wf, &e), SG_EFORMAT);
        assert_non_null(strstr(e.msg, "scan"));
    }
    memcpy(bad, buf, (size_t)n);
    bad[n] = 0;
    assert_int_equal(nw_decode_event(bad, (size_t)n + 1, &h2, &out, &wf, &e), SG_EFORMAT);
    assert_non_null(strstr(e.msg, "trailing"));
    /* bad coverage kind, undefined flags */
    assert_byte_refused(buf, n, NW_HEADER, 2, "coverage");
    assert_byte_refused(buf, n, NW_HEADER + 1, 2, "flags");
    /* a sector out of range, a start after the end, a non-finite time */
    nl_event w = ev;
    w.scan.az_half = 4;
    n = nw_encode_event(buf, sizeof buf, &h, &w, NAN);
    assert_int_equal(nw_decode_event(buf, (size_t)n, &h2, &out, &wf, &e), SG_EFORMAT);
    assert_non_null(strstr(e.msg, "sector"));
    w = ev;
    w.scan.t0 = ev.t + 1;
    n = nw_encode_event(buf, sizeof buf, &h, &w, NAN);
    assert_int_equal(nw_decode_event(buf, (size_t)n, &h2, &out, &wf, &e), SG_EFORMAT);
    assert_non_null(strstr(e.msg, "start"));
    nw_header hn = h;
    hn.t = NAN;
    n = nw_encode_event(buf, sizeof buf, &hn, &ev, NAN);
    assert_int_equal(nw_decode_header(buf, (size_t)n, &h2, &e), SG_EFORMAT);
    /* an RF sensor's coverage: everything it has detected before */
    nl_event rf = {.kind = NL_SCAN, .sensor = 1, .t = T0};
    rf.scan = (tracker_scan){.t0 = T0 - 0.25, .t1 = T0, .cover = TRACKER_COVER_ALL,
                             .detected_only = true};
    h = hdr(NW_SCAN, 1);
    h.t = T0;
    n = nw_encode_event(buf, sizeof buf, &h, &rf, NAN);
    assert_int_equal(nw_decode_header(buf, (size_t)n, &h2, &e), SG_OK);
    assert_int_equal(nw_decode_event(buf, (size_t)n, &h2, &out, &wf, &e), SG_OK);
    assert_true(out.kind == NL_SCAN && out.scan.cover == TRACKER_COVER_ALL &&
                out.scan.detected_only && out.scan.t0 == T0 - 0.25 && out.scan.t1 == T0);
}

/* Every way a message can be wrong: refused with a reason, never read past its end. */
static void test_hostile_input(void **state)
{
    (void)state;
    nl_event ev = droneid_event(), out;
    nw_header h = hdr(NW_MEAS, 2), h2;
    uint8_t buf[NW_MAX], bad[NW_MAX + 8];
    int n = nw_encode_event(buf, sizeof buf, &h, &ev, NAN);
    sg_errinfo e = {0};
    double wf;
    /* every truncation of a valid message */
    for (int len = 0; len < n; len++) {
        memset(&e, 0, sizeof e);
        if (nw_decode_header(buf, (size_t)len, &h2, &e) == SG_OK)
            assert_int_equal(nw_decode_event(buf, (size_t)len, &h2, &out, &wf, &e), SG_EFORMAT);
        assert_true(e.msg[0] != '\0');
    }
    /* trailing bytes */
    memcpy(bad, buf, (size_t)n);
    bad[n] = 0;
    assert_int_equal(nw_decode_header(bad, (size_t)n + 1, &h2, &e), SG_OK);
    assert_int_equal(nw_decode_event(bad, (size_t)n + 1, &h2, &out, &wf, &e), SG_EFORMAT);
    assert_non_null(strstr(e.msg, "trailing"));
    struct {
        size_t at;
        uint8_t v;
        const char *why;
    } cases[] = {
        {0, 0x00, "magic"},
        {1, NW_VERSION + 1, "version"},
        {2, NW_KIND_COUNT_, "kind"},
        {NW_HEADER, 9, "measurement type"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
        assert_byte_refused(buf, n, cases[c].at, cases[c].v, cases[c].why);
    /* a string length running past the end, and one with a NUL inside */
    nl_event rf = {.kind = NL_MEAS, .sensor = 0, .t = T0};
    rf.m.type = SG_MEAS_RF_PRESENCE;
    rf.m.t = T0;
    snprintf(rf.m.cls, sizeof rf.m.cls, "abc");
    h = hdr(NW_MEAS, 0);
    n = nw_encode_event(buf, sizeof buf, &h, &rf, NAN);
    size_t cls_at = NW_HEADER + 2 + 4; /* type, flags, cls_conf */
    assert_int_equal(buf[cls_at], 3);
    memcpy(bad, buf, (size_t)n);
    bad[cls_at + 2] = 0;
    assert_int_equal(nw_decode_header(bad, (size_t)n, &h2, &e), SG_OK);
    assert_int_equal(nw_decode_event(bad, (size_t)n, &h2, &out, &wf, &e), SG_EFORMAT);
    assert_non_null(strstr(e.msg, "string"));
    bad[cls_at] = 250;
    assert_int_equal(nw_decode_event(bad, (size_t)n, &h2, &out, &wf, &e), SG_EFORMAT);
    /* a measurement without a finite time, oversized messages */
    h = hdr(NW_TICK, 0);
    h.t = NAN;
    nl_event tick = {.kind = NL_TICK};
    n = nw_encode_event(buf, sizeof buf, &h, &tick, NAN);
    assert_int_equal(nw_decode_header(buf, (size_t)n, &h2, &e), SG_EFORMAT);
    memset(bad, 0, sizeof bad);
    assert_int_equal(nw_decode_header(bad, NW_MAX + 1, &h2, &e), SG_EFORMAT);
    /* an encode that does not fit says so */
    assert_int_equal(nw_encode_event(buf, 20, &h, &ev, NAN), SG_ERANGE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_measurement_round_trip),
        cmocka_unit_test(test_rid_droneid_details),
        cmocka_unit_test(test_rid_droneid_hostile),
        cmocka_unit_test(test_bearing_and_presence),
        cmocka_unit_test(test_health_done_tick_ping),
        cmocka_unit_test(test_health_every_counter),
        cmocka_unit_test(test_note),
        cmocka_unit_test(test_scan),
        cmocka_unit_test(test_hostile_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
