/* Cursor-on-Target sink (adapters/cot.c, adapters/sink_cot.c) checked by an independent
 * consumer: every event is parsed by libxml2 and its fields compared with the track it
 * came from. Covers the mapping in docs/outputs.md (types by affiliation, pilot and home
 * events with derived uids, how, ce/le from the covariance, hae, stale by track status),
 * hostile text from the air, UDP (unicast and, where the host routes it, the TAK
 * multicast group on loopback) and TCP (delivery, reconnect after the server drops us, a
 * server that never reads: the feed side never blocks and the drops are counted), and
 * every invalid configuration. */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "cot.h"
#include "feed_msg.h"
#include "sg_assert.h"
#include "sg_json.h"
#include "sg_jsonw.h"
#include "sink.h"
#include "sink_helpers.h"

#define TRACK_FRAME                                                                            \
    "track.17 {\"v\":1,\"type\":\"track\",\"id\":17,\"status\":\"%s\",\"t\":1795386600.25,"   \
    "\"time\":\"2026-11-22T22:30:00.250Z\",\"lat\":51.5561,\"lon\":-0.2796,\"alt_m\":152.5,"   \
    "\"speed_mps\":5.0,\"course_deg\":36.87,\"pos_sd_m\":7.2111,\"pos_sd_h_m\":6.0,"           \
    "\"pos_sd_v_m\":4.0,\"class\":\"dji_droneid\",\"identity\":\"%s\","                        \
    "\"operator\":{\"lat\":51.55,\"lon\":-0.28,\"alt_m\":60.0},"                                \
    "\"home\":{\"lat\":51.551,\"lon\":-0.281,\"alt_m\":58.0}}"

static double wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void parse_frame(feed_msg *m, const char *status, const char *identity)
{
    char frame[2048];
    int n = snprintf(frame, sizeof frame, TRACK_FRAME, status, identity);
    sg_errinfo e = {0};
    if (feed_msg_parse(frame, (size_t)n, m, &e) != SG_OK)
        fail_msg("parse: %s", e.msg);
}

static sink_event track_event(const char *status, const char *identity, sink_affiliation aff)
{
    feed_msg m;
    parse_frame(&m, status, identity);
    sink_event ev;
    memset(&ev, 0, sizeof ev);
    ev.type = FEED_MSG_TRACK;
    ev.t = m.t;
    ev.affiliation = aff;
    ev.u.track = m.u.track;
    ev.home_lat = 51.551;
    ev.home_lon = -0.281;
    ev.home_alt_m = 58.0;
    ev.alt_amsl_m = ev.alt_agl_m = NAN;
    feed_msg_free(&m);
    return ev;
}

static const cot_opts opts = {"skyguard.test", 10.0, 3.0};

/* ---- libxml2 helpers --------------------------------------------------------------- */

static xmlDocPtr parse_xml(const char *buf, int n)
{
    xmlDocPtr d = xmlReadMemory(buf, n, "cot.xml", NULL, XML_PARSE_NONET | XML_PARSE_NOERROR);
    if (!d)
        fail_msg("libxml2 refused the event: %.*s", n, buf);
    return d;
}

static xmlNodePtr child(xmlNodePtr n, const char *name)
{
    for (xmlNodePtr c = n ? n->children : NULL; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && !strcmp((const char *)c->name, name))
            return c;
    return NULL;
}

/* Attribute as a malloc'd copy in out (static buffer of the caller). */
static const char *attr(xmlNodePtr n, const char *name, char *out, size_t cap)
{
    xmlChar *v = n ? xmlGetProp(n, (const xmlChar *)name) : NULL;
    if (!v)
        fail_msg("attribute %s missing", name);
    snprintf(out, cap, "%s", (const char *)v);
    xmlFree(v);
    return out;
}

static double attr_num(xmlNodePtr n, const char *name)
{
    char b[128];
    return strtod(attr(n, name, b, sizeof b), NULL);
}

static double attr_time(xmlNodePtr n, const char *name)
{
    char b[128];
    double t;
    assert_int_equal(sg_time_parse_iso8601(attr(n, name, b, sizeof b), &t), 0);
    return t;
}

/* ---- the mapping --------------------------------------------------------------------- */

static void test_uas_event(void **st)
{
    (void)st;
    sink_event ev = track_event("confirmed", "1581F5FJD22A00XY", SINK_AFF_UNKNOWN);
    ev.alt_amsl_m = 106.3; /* the bridge's EGM96 and site-ground heights */
    ev.alt_agl_m = 65.3;
    char buf[COT_MAX_EVENT], b[256];
    double now = 1795386700.5;
    int n = cot_encode_track(&opts, &ev, COT_UAS, now, buf, sizeof buf);
    assert_true(n > 0);
    xmlDocPtr d = parse_xml(buf, n);
    xmlNodePtr ev_n = xmlDocGetRootElement(d);
    assert_string_equal((const char *)ev_n->name, "event");
    assert_string_equal(attr(ev_n, "version", b, sizeof b), "2.0");
    assert_string_equal(attr(ev_n, "uid", b, sizeof b), "skyguard.test.17");
    assert_string_equal(attr(ev_n, "type", b, sizeof b), "a-u-A-M-H-Q");
    assert_string_equal(attr(ev_n, "how", b, sizeof b), "m-g");
    assert_near(attr_time(ev_n, "time"), now, 0.001);
    assert_near(attr_time(ev_n, "start"), now, 0.001);
    assert_near(attr_time(ev_n, "stale") - now, 10.0, 0.002);
    xmlNodePtr pt = child(ev_n, "point");
    assert_near(attr_num(pt, "lat"), 51.5561, 1e-7);
    assert_near(attr_num(pt, "lon"), -0.2796, 1e-7);
    assert_near(attr_num(pt, "hae"), 152.5, 0.05);
    assert_near(attr_num(pt, "ce"), 6.0, 0.05); /* 1-sigma horizontal from the covariance */
    assert_near(attr_num(pt, "le"), 4.0, 0.05); /* 1-sigma vertical */
    xmlNodePtr det = child(ev_n, "detail");
    assert_non_null(det);
    assert_near(attr_num(child(det, "track"), "speed"), 5.0, 0.01);
    assert_near(attr_num(child(det, "track"), "course"), 36.87, 0.06);
    assert_non_null(strstr(attr(child(det, "contact"), "callsign", b, sizeof b),
                           "1581F5FJD22A00XY"));
    /* links to the pilot and home events: first link is the pilot */
    xmlNodePtr l = child(det, "link");
    assert_string_equal(attr(l, "uid", b, sizeof b), "skyguard.test.17-pilot");
    xmlNodePtr sg = child(det, "skyguard");
    assert_string_equal(attr(sg, "status", b, sizeof b), "confirmed");
    assert_near(attr_time(sg, "sample_time"), 1795386600.25, 0.001);
    assert_near(attr_num(sg, "amsl_m"), 106.3, 0.05);
    assert_near(attr_num(sg, "agl_m"), 65.3, 0.05);
    xmlFreeDoc(d);
}

static void test_affiliation_types(void **st)
{
    (void)st;
    const struct {
        sink_affiliation aff;
        const char *uas, *ground;
    } cases[] = {{SINK_AFF_UNKNOWN, "a-u-A-M-H-Q", "a-u-G"},
                 {SINK_AFF_HOSTILE, "a-h-A-M-H-Q", "a-h-G"},
                 {SINK_AFF_FRIEND, "a-f-A-M-H-Q", "a-f-G"}};
    for (size_t i = 0; i < 3; i++) {
        sink_event ev = track_event("confirmed", "X1", cases[i].aff);
        char buf[COT_MAX_EVENT], b[64];
        for (int part = COT_UAS; part <= COT_HOME; part++) {
            int n = cot_encode_track(&opts, &ev, (cot_part)part, wall(), buf, sizeof buf);
            assert_true(n > 0);
            xmlDocPtr d = parse_xml(buf, n);
            assert_string_equal(attr(xmlDocGetRootElement(d), "type", b, sizeof b),
                                part == COT_UAS ? cases[i].uas : cases[i].ground);
            xmlFreeDoc(d);
        }
    }
}

static void test_pilot_and_home(void **st)
{
    (void)st;
    sink_event ev = track_event("confirmed", "X1", SINK_AFF_HOSTILE);
    char buf[COT_MAX_EVENT], b[128];
    const struct {
        cot_part part;
        const char *uid;
        double lat, lon, hae;
    } want[] = {{COT_PILOT, "skyguard.test.17-pilot", 51.55, -0.28, 60.0},
                {COT_HOME, "skyguard.test.17-home", 51.551, -0.281, 58.0}};
    for (size_t i = 0; i < 2; i++) {
        int n = cot_encode_track(&opts, &ev, want[i].part, wall(), buf, sizeof buf);
        assert_true(n > 0);
        xmlDocPtr d = parse_xml(buf, n);
        xmlNodePtr r = xmlDocGetRootElement(d);
        assert_string_equal(attr(r, "uid", b, sizeof b), want[i].uid);
        assert_string_equal(attr(r, "how", b, sizeof b), "m-g");
        xmlNodePtr pt = child(r, "point");
        assert_near(attr_num(pt, "lat"), want[i].lat, 1e-7);
        assert_near(attr_num(pt, "lon"), want[i].lon, 1e-7);
        assert_near(attr_num(pt, "hae"), want[i].hae, 0.05);
        assert_near(attr_num(pt, "ce"), COT_UNKNOWN_ERR, 0.5);
        xmlNodePtr l = child(child(r, "detail"), "link");
        assert_string_equal(attr(l, "uid", b, sizeof b), "skyguard.test.17");
        assert_string_equal(attr(l, "relation", b, sizeof b), "p-p");
        xmlFreeDoc(d);
    }
    /* no operator / no home: those parts are not sent */
    ev.u.track.has_operator = false;
    ev.home_lat = NAN;
    assert_int_equal(cot_encode_track(&opts, &ev, COT_PILOT, wall(), buf, sizeof buf), 0);
    assert_int_equal(cot_encode_track(&opts, &ev, COT_HOME, wall(), buf, sizeof buf), 0);
    /* unknown errors: CoT's 9999999 */
    ev.u.track.pos_sd_h_m = ev.u.track.pos_sd_v_m = NAN;
    int n = cot_encode_track(&opts, &ev, COT_UAS, wall(), buf, sizeof buf);
    xmlDocPtr d = parse_xml(buf, n);
    assert_near(attr_num(child(xmlDocGetRootElement(d), "point"), "le"), COT_UNKNOWN_ERR, 0.5);
    xmlFreeDoc(d);
    assert_int_equal(cot_encode_track(&opts, &ev, COT_UAS, wall(), buf, 100), SG_EOVERFLOW);
}

static void test_stale_by_status(void **st)
{
    (void)st;
    const struct {
        const char *status;
        double stale;
    } cases[] = {{"tentative", 10}, {"confirmed", 10}, {"coasting", 3}, {"deleted", 0}};
    for (size_t i = 0; i < 4; i++) {
        sink_event ev = track_event(cases[i].status, "X", SINK_AFF_UNKNOWN);
        char buf[COT_MAX_EVENT];
        double now = 1795386700.0;
        int n = cot_encode_track(&opts, &ev, COT_UAS, now, buf, sizeof buf);
        xmlDocPtr d = parse_xml(buf, n);
        xmlNodePtr r = xmlDocGetRootElement(d);
        double got = attr_time(r, "stale") - attr_time(r, "time");
        if (fabs(got - cases[i].stale) > 0.002)
            fail_msg("%s: stale - time = %g, want %g", cases[i].status, got, cases[i].stale);
        xmlFreeDoc(d);
    }
}

static void test_hostile_text(void **st)
{
    (void)st;
    /* JSON-escaped in the frame: <evil "&' then a lone 0xff byte and a valid e-acute */
    sink_event ev = track_event("confirmed", "<evil \\\"&'\\u0001", SINK_AFF_UNKNOWN);
    memcpy(ev.u.track.identity + strlen(ev.u.track.identity), "\xff\xc3\xa9", 4);
    char buf[COT_MAX_EVENT], b[256];
    int n = cot_encode_track(&opts, &ev, COT_UAS, wall(), buf, sizeof buf);
    assert_true(n > 0);
    xmlDocPtr d = parse_xml(buf, n);
    xmlNodePtr sg = child(child(xmlDocGetRootElement(d), "detail"), "skyguard");
    assert_string_equal(attr(sg, "identity", b, sizeof b), "<evil \"&'??\xc3\xa9");
    xmlFreeDoc(d);
}

/* ---- zones as drawings -------------------------------------------------------------- */

static const char zones_doc[] =
    "{\"type\":\"FeatureCollection\",\"geoid_undulation_m\":0,\"features\":["
    "{\"type\":\"Feature\",\"id\":\"pitch\",\"properties\":{\"name\":\"Pitch <A&B>\","
    "\"layer\":\"critical\",\"ceiling_m\":400},\"geometry\":{\"type\":\"Polygon\","
    "\"coordinates\":[[[-0.101,51.499],[-0.099,51.499],[-0.099,51.501],[-0.101,51.501],"
    "[-0.101,51.499]]]}},"
    "{\"type\":\"Feature\",\"id\":\"heli\",\"properties\":{\"layer\":\"warning\","
    "\"radius_m\":100},\"geometry\":{\"type\":\"Point\",\"coordinates\":[-0.1,51.502]}}]}";

static zone_set *test_zones(geo_frame *f)
{
    sg_errinfo e = {0};
    assert_int_equal(geo_frame_init(f, 51.5 * GEO_DEG, -0.1 * GEO_DEG, 45, &e), SG_OK);
    zone_set *zs = zones_parse("zones.geojson", zones_doc, strlen(zones_doc), f, &e);
    if (!zs)
        fail_msg("%s", e.msg);
    return zs;
}

static void test_zone_shapes(void **st)
{
    (void)st;
    geo_frame f;
    zone_set *zs = test_zones(&f);
    char *buf = malloc(COT_MAX_ZONE), b[128];
    double now = 1795386700.0;
    /* the polygon: a closed outline through the GeoJSON vertices */
    const zone *pitch = zones_at(zs, (size_t)zones_find(zs, "pitch"));
    int n = cot_encode_zone(&opts, pitch, &f, 0, now, 60, buf, COT_MAX_ZONE);
    assert_true(n > 0);
    xmlDocPtr d = parse_xml(buf, n);
    xmlNodePtr r = xmlDocGetRootElement(d);
    assert_string_equal(attr(r, "type", b, sizeof b), "u-d-f");
    assert_string_equal(attr(r, "uid", b, sizeof b), "skyguard.test.zone.pitch");
    assert_near(attr_time(r, "stale") - attr_time(r, "time"), 60, 0.002);
    xmlNodePtr det = child(r, "detail");
    assert_string_equal(attr(child(det, "contact"), "callsign", b, sizeof b),
                        "Pitch <A&B> (critical)");
    assert_string_equal(attr(child(det, "strokeColor"), "value", b, sizeof b), "-65536");
    const double want[5][2] = {{51.499, -0.101}, {51.499, -0.099}, {51.501, -0.099},
                               {51.501, -0.101}, {51.499, -0.101}};
    int k = 0;
    for (xmlNodePtr c = det->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE || strcmp((const char *)c->name, "link"))
            continue;
        double la, lo;
        assert_int_equal(sscanf(attr(c, "point", b, sizeof b), "%lf,%lf", &la, &lo), 2);
        assert_true(k < 5);
        /* through ENU and back: exact to far below a millimetre */
        assert_near(la, want[k][0], 1e-7);
        assert_near(lo, want[k][1], 1e-7);
        k++;
    }
    assert_int_equal(k, 5);
    xmlFreeDoc(d);
    assert_int_equal(cot_encode_zone(&opts, pitch, &f, 1, now, 60, buf, COT_MAX_ZONE), 0);
    /* the circle: centre point and an ellipse of the radius */
    const zone *heli = zones_at(zs, (size_t)zones_find(zs, "heli"));
    n = cot_encode_zone(&opts, heli, &f, 0, now, 60, buf, COT_MAX_ZONE);
    d = parse_xml(buf, n);
    r = xmlDocGetRootElement(d);
    assert_string_equal(attr(r, "type", b, sizeof b), "u-d-c-c");
    assert_near(attr_num(child(r, "point"), "lat"), 51.502, 1e-7);
    xmlNodePtr el = child(child(child(r, "detail"), "shape"), "ellipse");
    assert_near(attr_num(el, "major"), 100, 0.05);
    assert_near(attr_num(el, "minor"), 100, 0.05);
    assert_string_equal(attr(child(child(r, "detail"), "strokeColor"), "value", b, sizeof b),
                        "-256"); /* warning: yellow */
    xmlFreeDoc(d);
    free(buf);
    zones_destroy(zs);
}

/* ---- transports ------------------------------------------------------------------------ */

static int udp_listener(int *port)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    getsockname(fd, (struct sockaddr *)&a, &al);
    *port = ntohs(a.sin_port);
    return fd;
}

static int tcp_listener(int *port, int rcvbuf)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (rcvbuf)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(fd, 4), 0);
    getsockname(fd, (struct sockaddr *)&a, &al);
    *port = ntohs(a.sin_port);
    return fd;
}

static sink *make_sink(const char *json)
{
    sg_errinfo e = {0};
    sink_env env = {.site_name = "test"};
    sink *s = sink_from_text(&sink_cot_ops, json, "venue.json: outputs.cot", &env, &e);
    if (!s)
        fail_msg("sink_create: %s", e.msg);
    return s;
}

static void push_track(sink *s, const char *identity)
{
    feed_msg m;
    parse_frame(&m, "confirmed", identity);
    assert_int_equal(sink_on_track(s, &m, SINK_INFO(SINK_AFF_HOSTILE), wall()), SG_OK);
    feed_msg_free(&m);
}

/* Receives one datagram within 2 s; returns its length, 0 on timeout. */
static int recv_dgram(int fd, char *buf, size_t cap)
{
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, 2000) != 1)
        return 0;
    return (int)recv(fd, buf, cap, 0);
}

static void test_udp_unicast(void **st)
{
    (void)st;
    int port, fd = udp_listener(&port);
    char cfg[256], buf[COT_MAX_EVENT], b[128];
    snprintf(cfg, sizeof cfg, "{\"udp\": {\"address\": \"127.0.0.1\", \"port\": %d}}", port);
    sink *s = make_sink(cfg);
    push_track(s, "UDP1");
    const char *uids[3] = {"skyguard.test.17", "skyguard.test.17-pilot",
                           "skyguard.test.17-home"};
    for (int i = 0; i < 3; i++) {
        int n = recv_dgram(fd, buf, sizeof buf);
        assert_true(n > 0);
        xmlDocPtr d = parse_xml(buf, n);
        assert_string_equal(attr(xmlDocGetRootElement(d), "uid", b, sizeof b), uids[i]);
        xmlFreeDoc(d);
    }
    sink_stats ss;
    double end = wall() + 2; /* the worker counts after its last send */
    do
        sink_get_stats(s, &ss);
    while (ss.delivered < 1 && wall() < end && usleep(1000) == 0);
    assert_int_equal(ss.accepted, 1);
    assert_int_equal(ss.delivered, 1);
    assert_int_equal(ss.dropped, 0);
    assert_string_equal(ss.extra[0].name, "udp_sent");
    assert_int_equal(ss.extra[0].value, 3);
    sink_destroy(s, 1);
    close(fd);
}

/* The home point from what the daemon's feed really carries: DroneID's "droneid.home"
 * (the pilot from "operator"), and a Remote ID operator position of type take-off, which
 * is the home point and leaves no pilot event. Each as the sink receives it, over UDP. */
static void test_home_from_feed(void **st)
{
    (void)st;
    static const char *const frames[] = {
        "track.21 {\"v\":1,\"type\":\"track\",\"id\":21,\"status\":\"confirmed\","
        "\"t\":1795386600.0,\"time\":\"2026-11-22T22:30:00.000Z\",\"lat\":51.5561,"
        "\"lon\":-0.2796,\"alt_m\":152.5,\"identity\":\"1581F5FJB23A0417\","
        "\"operator\":{\"lat\":51.5502,\"lon\":-0.2803,\"alt_m\":null},"
        "\"droneid\":{\"msg_type\":16,\"product\":58,\"home\":{\"lat\":51.5511,"
        "\"lon\":-0.2812}}}",
        "track.22 {\"v\":1,\"type\":\"track\",\"id\":22,\"status\":\"confirmed\","
        "\"t\":1795386600.0,\"time\":\"2026-11-22T22:30:00.000Z\",\"lat\":51.5561,"
        "\"lon\":-0.2796,\"alt_m\":152.5,\"identity\":\"RID-22\","
        "\"operator\":{\"lat\":51.5533,\"lon\":-0.2744,\"alt_m\":70.0},"
        "\"remote_id\":{\"protocol_version\":2,\"operator_location\":0}}",
    };
    static const struct {
        const char *uid;
        double lat, lon;
        const char *hae;
    } want[2][3] = {
        {{"skyguard.test.21", 51.5561, -0.2796, "152.5"},
         {"skyguard.test.21-pilot", 51.5502, -0.2803, "9999999.0"},
         {"skyguard.test.21-home", 51.5511, -0.2812, "9999999.0"}},
        {{"skyguard.test.22", 51.5561, -0.2796, "152.5"},
         {"skyguard.test.22-home", 51.5533, -0.2744, "70.0"},
         {NULL, 0, 0, NULL}},
    };
    int port, fd = udp_listener(&port);
    char cfg[256], buf[COT_MAX_EVENT], b[128];
    snprintf(cfg, sizeof cfg, "{\"udp\": {\"address\": \"127.0.0.1\", \"port\": %d}}", port);
    sink *s = make_sink(cfg);
    for (int k = 0; k < 2; k++) {
        feed_msg m;
        sg_errinfo e = {0};
        if (feed_msg_parse(frames[k], strlen(frames[k]), &m, &e) != SG_OK)
            fail_msg("parse: %s", e.msg);
        assert_int_equal(sink_on_track(s, &m, SINK_INFO(SINK_AFF_UNKNOWN), wall()), SG_OK);
        feed_msg_free(&m);
        for (int i = 0; i < 3 && want[k][i].uid; i++) {
            int n = recv_dgram(fd, buf, sizeof buf);
            assert_true(n > 0);
            xmlDocPtr d = parse_xml(buf, n);
            xmlNodePtr ev = xmlDocGetRootElement(d), pt = child(ev, "point");
            assert_string_equal(attr(ev, "uid", b, sizeof b), want[k][i].uid);
            assert_float_equal(atof(attr(pt, "lat", b, sizeof b)), want[k][i].lat, 1e-7);
            assert_float_equal(atof(attr(pt, "lon", b, sizeof b)), want[k][i].lon, 1e-7);
            assert_string_equal(attr(pt, "hae", b, sizeof b), want[k][i].hae);
            if (k == 1 && i == 0) /* no link to a pilot that is not known */
                assert_null(strstr(buf, "-pilot"));
            xmlFreeDoc(d);
        }
    }
    assert_int_equal(recv_dgram(fd, buf, sizeof buf), 0); /* and no pilot event for 22 */
    sink_destroy(s, 1);
    close(fd);
}

static void test_udp_multicast(void **st)
{
    (void)st;
    /* the TAK group on loopback, on a free port (6969 may be in use on a TAK host) */
    int port, fd = udp_listener(&port);
    close(fd);
    fd = socket(AF_INET, SOCK_DGRAM, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "239.2.3.1", &a.sin_addr);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    struct ip_mreq mr;
    inet_pton(AF_INET, "239.2.3.1", &mr.imr_multiaddr);
    inet_pton(AF_INET, "127.0.0.1", &mr.imr_interface);
    if (setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof mr) != 0) {
        print_message("multicast join on loopback refused here (%s): unicast covered it\n",
                      strerror(errno));
        close(fd);
        skip();
    }
    char cfg[256], buf[COT_MAX_EVENT], b[64];
    snprintf(cfg, sizeof cfg, "{\"udp\": {\"port\": %d, \"interface\": \"127.0.0.1\"}}", port);
    sink *s = make_sink(cfg);
    push_track(s, "MC1");
    int n = recv_dgram(fd, buf, sizeof buf);
    assert_true(n > 0);
    xmlDocPtr d = parse_xml(buf, n);
    assert_string_equal(attr(xmlDocGetRootElement(d), "type", b, sizeof b), "a-h-A-M-H-Q");
    xmlFreeDoc(d);
    sink_destroy(s, 1);
    close(fd);
}

/* Reads newline-separated events from fd until n arrived or 3 s passed. */
static int read_events(int fd, int want, char uids[][64])
{
    static char acc[1 << 16];
    size_t len = 0;
    int got = 0;
    double end = wall() + 3;
    while (got < want && wall() < end) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 100) != 1)
            continue;
        ssize_t k = recv(fd, acc + len, sizeof acc - len - 1, 0);
        if (k <= 0)
            break;
        len += (size_t)k;
        char *nl;
        while (got < want && (nl = memchr(acc, '\n', len))) {
            xmlDocPtr d = parse_xml(acc, (int)(nl - acc));
            char b[64];
            snprintf(uids[got++], 64, "%s", attr(xmlDocGetRootElement(d), "uid", b, sizeof b));
            xmlFreeDoc(d);
            len -= (size_t)(nl + 1 - acc);
            memmove(acc, nl + 1, len);
        }
    }
    return got;
}

static int accept_within(int lfd, double s)
{
    struct pollfd p = {lfd, POLLIN, 0};
    if (poll(&p, 1, (int)(s * 1000)) != 1)
        return -1;
    return accept(lfd, NULL, NULL);
}

/* The sink draws the venue's zones every zones_period_s. */
static void test_udp_zones(void **st)
{
    (void)st;
    geo_frame f;
    zone_set *zs = test_zones(&f);
    int port, fd = udp_listener(&port);
    char cfg[256], *buf = malloc(COT_MAX_ZONE), b[128];
    snprintf(cfg, sizeof cfg, "{\"udp\": {\"address\": \"127.0.0.1\", \"port\": %d}, "
             "\"zones_period_s\": 0.2}", port);
    cJSON *blk = cJSON_Parse(cfg);
    sg_errinfo e = {0};
    sink_env env = {.site_name = "test", .zones = zs, .frame = &f};
    sink *s = sink_create(&sink_cot_ops, blk, "venue.json: outputs.cot", &env, &e);
    cJSON_Delete(blk);
    assert_non_null(s);
    int seen_pitch = 0, seen_heli = 0;
    for (int i = 0; i < 8; i++) { /* two rounds of two zones, 0.2 s apart */
        int n = recv_dgram(fd, buf, COT_MAX_ZONE);
        assert_true(n > 0);
        xmlDocPtr d = parse_xml(buf, n);
        const char *uid = attr(xmlDocGetRootElement(d), "uid", b, sizeof b);
        seen_pitch += !strcmp(uid, "skyguard.test.zone.pitch");
        seen_heli += !strcmp(uid, "skyguard.test.zone.heli");
        xmlFreeDoc(d);
    }
    assert_true(seen_pitch >= 3 && seen_heli >= 3);
    sink_stats ss;
    double end = wall() + 3; /* counted after the send */
    do
        sink_get_stats(s, &ss);
    while (ss.extra[6].value < 8 && wall() < end && usleep(1000) == 0);
    assert_string_equal(ss.extra[6].name, "zones_sent");
    assert_true(ss.extra[6].value >= 8);
    sink_destroy(s, 0);
    zones_destroy(zs);
    free(buf);
    close(fd);
}

static void test_tcp_and_reconnect(void **st)
{
    (void)st;
    int port, lfd = tcp_listener(&port, 0);
    char cfg[256], uids[3][64];
    snprintf(cfg, sizeof cfg, "{\"tcp\": {\"host\": \"127.0.0.1\", \"port\": %d, "
             "\"reconnect_s\": 0.2}}", port);
    sink *s = make_sink(cfg);
    int c = accept_within(lfd, 3);
    assert_true(c >= 0);
    usleep(50000);
    push_track(s, "TCP1");
    assert_int_equal(read_events(c, 3, uids), 3);
    assert_string_equal(uids[0], "skyguard.test.17");
    assert_string_equal(uids[2], "skyguard.test.17-home");
    close(c); /* the server drops us: the sink notices and reconnects */
    c = accept_within(lfd, 3);
    assert_true(c >= 0);
    usleep(300000);
    push_track(s, "TCP2");
    assert_int_equal(read_events(c, 3, uids), 3);
    sink_stats ss;
    sink_get_stats(s, &ss);
    assert_true(ss.connected);
    assert_int_equal(ss.extra[4].value, 2); /* tcp_connects */
    sink_destroy(s, 1);
    close(c);
    close(lfd);
}

static void test_tcp_server_not_reading(void **st)
{
    (void)st;
    int port, lfd = tcp_listener(&port, 4096);
    char cfg[256];
    snprintf(cfg, sizeof cfg, "{\"tcp\": {\"host\": \"127.0.0.1\", \"port\": %d, "
             "\"send_timeout_s\": 0.2, \"reconnect_s\": 0.2}, \"queue\": 16}", port);
    sink *s = make_sink(cfg);
    int c = accept_within(lfd, 3);
    assert_true(c >= 0);
    feed_msg m;
    parse_frame(&m, "confirmed", "FLOOD");
    /* a feed that keeps coming while the server never reads: every call returns at once,
     * the socket buffers fill, the sink gives up on the writer (a stall), the queue
     * fills and refuses */
    int ok = 0, full = 0, n = 0;
    sink_stats ss;
    double end = wall() + 8;
    do {
        for (int i = 0; i < 2000; i++, n++) {
            int rc = sink_on_track(s, &m, SINK_INFO(SINK_AFF_UNKNOWN), wall());
            ok += rc == SG_OK;
            full += rc == SG_EOVERFLOW;
        }
        usleep(20000);
        sink_get_stats(s, &ss);
    } while ((ss.extra[5].value == 0 || full == 0) && wall() < end);
    feed_msg_free(&m);
    assert_int_equal(ok + full, n);
    assert_true(full > 0);
    assert_int_equal(ss.accepted, (uint64_t)ok);
    assert_int_equal(ss.dropped, (uint64_t)full);
    assert_true(ss.extra[5].value >= 1); /* tcp_stalls: the sink gave up on the writer */
    assert_true(ss.depth <= ss.capacity && ss.capacity == 16);
    sink_destroy(s, 0);
    close(c);
    close(lfd);
}

static void test_config_errors(void **st)
{
    (void)st;
    const struct {
        const char *json, *needle;
    } bad[] = {
        {"{}", "outputs.cot: needs \"udp\""},
        {"{\"udp\": {}, \"bogus\": 1}", "outputs.cot.bogus: unknown key"},
        {"{\"udp\": {\"port\": 0}}", "outputs.cot.udp.port"},
        {"{\"udp\": {\"port\": 70000}}", "outputs.cot.udp.port"},
        {"{\"udp\": {\"address\": \"tak.local\"}}", "outputs.cot.udp.address"},
        {"{\"udp\": {\"interface\": \"eth0\"}}", "outputs.cot.udp.interface"},
        {"{\"udp\": {\"ttl\": 300}}", "outputs.cot.udp.ttl"},
        {"{\"udp\": {\"prot\": 1}}", "outputs.cot.udp.prot: unknown key"},
        {"{\"udp\": []}", "outputs.cot.udp"},
        {"{\"tcp\": {\"port\": 8087}}", "outputs.cot.tcp.host"},
        {"{\"tcp\": {\"host\": \"x\", \"send_timeout_s\": 0}}", "outputs.cot.tcp.send_timeout_s"},
        {"{\"udp\": {}, \"stale_s\": -1}", "outputs.cot.stale_s"},
        {"{\"udp\": {}, \"queue\": 0}", "outputs.cot.queue"},
        {"{\"udp\": {}, \"zones_period_s\": -1}", "outputs.cot.zones_period_s"},
        {"{\"udp\": {}, \"uid_prefix\": \"\"}", NULL},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sg_errinfo e = {0};
        sink_env env = {.site_name = "t"};
        sink *s = sink_from_text(&sink_cot_ops, bad[i].json, "venue.json: outputs.cot", &env, &e);
        if (!bad[i].needle) { /* an empty prefix is allowed: uids are then ".<id>" */
            assert_non_null(s);
            sink_destroy(s, 0);
            continue;
        }
        expect_refused(s, &e, bad[i].json, bad[i].needle);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_uas_event),         cmocka_unit_test(test_affiliation_types),
        cmocka_unit_test(test_pilot_and_home),    cmocka_unit_test(test_home_from_feed),    cmocka_unit_test(test_stale_by_status),
        cmocka_unit_test(test_hostile_text),      cmocka_unit_test(test_udp_unicast),
        cmocka_unit_test(test_zone_shapes),       cmocka_unit_test(test_udp_zones),
        cmocka_unit_test(test_udp_multicast),     cmocka_unit_test(test_tcp_and_reconnect),
        cmocka_unit_test(test_tcp_server_not_reading), cmocka_unit_test(test_config_errors),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    xmlCleanupParser();
    return rc;
}
