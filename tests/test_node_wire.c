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
    assert_true(n > 0 && n <= 120);
    nl_event out;
    assert_int_equal(nw_decode_header(buf, (size_t)n, &h2, &e), SG_OK);
    assert_int_equal(nw_decode_event(buf, (size_t)n, &h2, &out, &wf, &e), SG_OK);
    assert_int_equal(out.h.groups, hh->groups);
    assert_true(out.h.samples == 123456789012ull && out.h.bursts == 90 &&
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
 * camera counters (blobs_dropped, tracklets_dropped, drone_reports) included. */
static void test_health_every_counter(void **state)
{
    (void)state;
    enum { N_COUNTERS = 28 };
    size_t a = offsetof(nl_health, samples), b = offsetof(nl_health, link_dropped) + 8;
    assert_int_equal(b - a, N_COUNTERS * sizeof(uint64_t));
    nl_event ev = {.kind = NL_HEALTH, .sensor = 5, .t = T0}, out;
    ev.h.groups = NL_H_CAMERA | NL_H_RECORD;
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
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        memcpy(bad, buf, (size_t)n);
        bad[cases[c].at] = cases[c].v;
        memset(&e, 0, sizeof e);
        int rc = nw_decode_header(bad, (size_t)n, &h2, &e);
        if (rc == SG_OK)
            rc = nw_decode_event(bad, (size_t)n, &h2, &out, &wf, &e);
        if (rc != SG_EFORMAT)
            fail_msg("case %s accepted", cases[c].why);
        assert_non_null(strstr(e.msg, cases[c].why));
    }
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
        cmocka_unit_test(test_bearing_and_presence),
        cmocka_unit_test(test_health_done_tick_ping),
        cmocka_unit_test(test_health_every_counter),
        cmocka_unit_test(test_note),
        cmocka_unit_test(test_hostile_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
