/* Tests for the operator map's modules (apps/web): the picture (web_picture: tracks
 * with trails and allow-listed marks, alert history with acknowledgements, RF rows,
 * expiry, the event ring and its overflow, snapshots), the login (web_auth: token
 * file rules, constant-time check, sessions), the venue drawing (web_venue: zones
 * back in WGS84 where the GeoJSON put them, schedule activity, outputs.web keys) and
 * the listen-address rules (web_http). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "file_helpers.h"

#include "sg_assert.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "feed_msg.h"
#include "sg_json.h"
#include "sg_jsonw.h"
#include "web_auth.h"
#include "web_http.h"
#include "web_picture.h"
#include "web_venue.h"

#define VENUE SG_SOURCE_DIR "/config/default-venue.json"

static void parse(const char *frame, feed_msg *m)
{
    sg_errinfo e = {0};
    if (feed_msg_parse(frame, strlen(frame), m, &e) != SG_OK)
        fail_msg("test frame refused: %s", e.msg);
}

static void track_frame(char *out, size_t cap, unsigned id, const char *status, double lat,
                        const char *identity)
{
    snprintf(out, cap,
             "track.%u {\"v\":1,\"type\":\"track\",\"id\":%u,\"status\":\"%s\",\"t\":1784572200.5,"
             "\"time\":\"2026-07-20T18:30:00.500Z\",\"lat\":%.7f,\"lon\":-0.2796,\"alt_m\":187,"
             "\"identity\":\"%s\"}", id, id, status, lat, identity);
}

static double frame_t = 1784572201; /* s UTC of the next alert frame */

static void alert_frame(char *out, size_t cap, unsigned id, const char *state, const char *sev)
{
    char iso[40];
    sg_time_iso8601(frame_t, iso, sizeof iso);
    snprintf(out, cap,
             "alert.%s.zone-%u {\"v\":1,\"type\":\"alert\",\"id\":%u,\"state\":\"%s\","
             "\"severity\":\"%s\",\"t\":%.3f,\"time\":\"%s\","
             "\"track_id\":1,\"zone\":\"zone-%u\",\"ttb_s\":12.5,\"ttb_sd_s\":1.5}",
             sev, id, id, state, sev, frame_t, iso, id);
}

static web_picture *make(size_t ring)
{
    static const sg_allow_entry allow[] = {{"1581F4QDE2270001", "venue inspection drone"}};
    web_picture_cfg c = {.allow = allow, .n_allow = 1, .stale_s = 30, .feed_lost_s = 10,
                         .ring = ring};
    sg_errinfo e = {0};
    web_picture *p = web_picture_create(&c, &e);
    if (!p)
        fail_msg("%s", e.msg);
    return p;
}

static cJSON *snapshot(web_picture *p, double now)
{
    uint64_t seq;
    char *s = web_picture_snapshot(p, now, &seq);
    assert_non_null(s);
    cJSON *j = cJSON_Parse(s);
    free(s);
    assert_non_null(j);
    return j;
}

static void apply(web_picture *p, const char *frame, double now)
{
    feed_msg m;
    parse(frame, &m);
    assert_int_equal(web_picture_apply(p, &m, now), SG_OK);
    feed_msg_free(&m);
}

static void test_tracks_trails_allow_list(void **state)
{
    (void)state;
    web_picture *p = make(64);
    char f[1024];
    for (int i = 0; i < 5; i++) {
        track_frame(f, sizeof f, 1, "confirmed", 51.55 + i * 0.001, "1581F5FJB23A0417");
        apply(p, f, 100 + i);
    }
    track_frame(f, sizeof f, 1, "confirmed", 51.554, "1581F5FJB23A0417"); /* same place */
    apply(p, f, 105);
    track_frame(f, sizeof f, 2, "confirmed", 51.556, "1581F4QDE2270001");
    apply(p, f, 105);
    cJSON *s = snapshot(p, 106);
    const cJSON *tr = cJSON_GetObjectItem(s, "tracks");
    assert_int_equal(cJSON_GetArraySize(tr), 2);
    for (int i = 0; i < 2; i++) {
        const cJSON *t = cJSON_GetArrayItem(tr, i);
        int id = cJSON_GetObjectItem(t, "id")->valueint;
        const cJSON *trail = cJSON_GetObjectItem(t, "trail");
        if (id == 1) {
            assert_false(cJSON_IsTrue(cJSON_GetObjectItem(t, "allow_listed")));
            assert_int_equal(cJSON_GetArraySize(trail), 5); /* repeated position not doubled */
            assert_near(cJSON_GetArrayItem(cJSON_GetArrayItem(trail, 4), 0)->valuedouble,
                        51.554, 1e-9);
        } else {
            assert_true(cJSON_IsTrue(cJSON_GetObjectItem(t, "allow_listed")));
            assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(t, "allow_label")),
                                "venue inspection drone");
        }
    }
    cJSON_Delete(s);
    /* deleted goes at once; a silent track expires after stale_s */
    track_frame(f, sizeof f, 2, "deleted", 51.556, "1581F4QDE2270001");
    apply(p, f, 107);
    web_picture_stats st;
    web_picture_get_stats(p, &st);
    assert_int_equal(st.tracks, 1);
    web_picture_tick(p, 104 + 30.5); /* track 1 last updated at 105 */
    web_picture_get_stats(p, &st);
    assert_int_equal(st.tracks, 1);
    web_picture_tick(p, 105 + 30.5);
    web_picture_get_stats(p, &st);
    assert_int_equal(st.tracks, 0);
    assert_int_equal(st.received, 8);
    web_picture_destroy(p);
}

static void test_alert_history_and_ack(void **state)
{
    (void)state;
    web_picture *p = make(64);
    char f[1024];
    alert_frame(f, sizeof f, 1, "raised", "warning");
    apply(p, f, 1);
    alert_frame(f, sizeof f, 2, "raised", "critical");
    apply(p, f, 2);
    alert_frame(f, sizeof f, 1, "cleared", "warning");
    apply(p, f, 3);
    assert_int_equal(web_picture_ack(p, 2, "ops lead", 1784572300), SG_OK);
    assert_int_equal(web_picture_ack(p, 2, "someone else", 1784572400), SG_OK); /* no-op */
    assert_int_equal(web_picture_ack(p, 99, "x", 1), SG_ENOTFOUND);
    frame_t = 1784572205;
    alert_frame(f, sizeof f, 2, "updated", "critical"); /* the ack survives updates */
    apply(p, f, 4);
    frame_t = 1784572201;
    cJSON *s = snapshot(p, 5);
    const cJSON *al = cJSON_GetObjectItem(s, "alerts");
    assert_int_equal(cJSON_GetArraySize(al), 2); /* cleared alerts stay in the history */
    const cJSON *newest = cJSON_GetArrayItem(al, 0), *oldest = cJSON_GetArrayItem(al, 1);
    assert_int_equal(cJSON_GetObjectItem(newest, "id")->valueint, 2);
    const cJSON *ack = cJSON_GetObjectItem(newest, "ack");
    assert_non_null(ack);
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(ack, "by")), "ops lead");
    assert_near(cJSON_GetObjectItem(ack, "t")->valuedouble, 1784572300, 1e-6);
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(oldest, "state")), "cleared");
    /* the first message's time stays the raise time through updates */
    assert_near(cJSON_GetObjectItem(newest, "t_raised")->valuedouble, 1784572201, 1e-6);
    assert_near(cJSON_GetObjectItem(newest, "t")->valuedouble, 1784572205, 1e-6);
    cJSON_Delete(s);
    /* a full history drops the oldest cleared alert first */
    for (unsigned i = 10; i < 10 + WEB_MAX_ALERTS; i++) {
        alert_frame(f, sizeof f, i, "raised", "alert");
        apply(p, f, 6);
    }
    web_picture_stats st;
    web_picture_get_stats(p, &st);
    assert_int_equal(st.alerts, WEB_MAX_ALERTS);
    assert_int_equal(st.table_full, 1); /* 1 cleared went quietly, then one active counted */
    web_picture_destroy(p);
}

static void test_event_ring(void **state)
{
    (void)state;
    web_picture *p = make(16);
    char f[1024], *ev;
    uint64_t seq;
    char *snap = web_picture_snapshot(p, 0, &seq);
    free(snap);
    assert_int_equal(web_picture_next(p, &seq, 0.05, &ev), SG_ETIMEOUT);
    track_frame(f, sizeof f, 7, "tentative", 51.55, "");
    apply(p, f, 1);
    assert_int_equal(web_picture_next(p, &seq, 1, &ev), SG_OK);
    assert_true(strncmp(ev, "event: msg\ndata: {", 18) == 0);
    assert_non_null(strstr(ev, "\"id\":7"));
    assert_true(strcmp(ev + strlen(ev) - 2, "\n\n") == 0);
    /* one data line: the first newline after "data: " is the record's end */
    assert_ptr_equal(strchr(strstr(ev, "data: "), '\n'), ev + strlen(ev) - 2);
    free(ev);
    /* a reader more than the ring behind must resync from a snapshot */
    uint64_t slow = seq;
    for (int i = 0; i < 20; i++)
        apply(p, f, 2 + i);
    assert_int_equal(web_picture_next(p, &slow, 1, &ev), SG_EOVERFLOW);
    assert_null(ev);
    /* RF rows expire; the heartbeat says when the feed is lost */
    apply(p, "rf.rf-a {\"v\":1,\"type\":\"rf\",\"sensor\":\"rf-a\",\"class\":\"elrs_2g4\","
             "\"t\":1784572203,\"time\":\"2026-07-20T18:30:03.000Z\",\"azimuth_deg\":45}", 30);
    web_picture_stats st;
    web_picture_get_stats(p, &st);
    assert_int_equal(st.rf, 1);
    assert_near(st.last_t, 1784572203, 1e-6);
    web_picture_tick(p, 61);
    web_picture_get_stats(p, &st);
    assert_int_equal(st.rf, 0);
    cJSON *s = snapshot(p, 61);
    const cJSON *feed = cJSON_GetObjectItem(s, "feed");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(feed, "lost"))); /* 31 s > 10 s */
    cJSON_Delete(s);
    s = snapshot(p, 35);
    assert_false(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(s, "feed"), "lost")));
    cJSON_Delete(s);
    web_picture_count_bad(p, false, "bad frame");
    web_picture_count_bad(p, true, "newer version");
    web_picture_get_stats(p, &st);
    assert_int_equal(st.malformed, 1);
    assert_int_equal(st.unsupported, 1);
    web_picture_halt(p);
    seq = 0;
    assert_int_equal(web_picture_next(p, &seq, 1, &ev), SG_ESTATE);
    web_picture_destroy(p);
}

static void test_picture_bad_config(void **state)
{
    (void)state;
    sg_errinfo e = {0};
    web_picture_cfg c = {.stale_s = 0, .feed_lost_s = 10, .ring = 64};
    assert_null(web_picture_create(&c, &e));
    assert_int_equal(e.code, SG_EINVAL);
    c.stale_s = 30;
    c.ring = 4;
    assert_null(web_picture_create(&c, &e));
    c.ring = 64;
    c.feed_lost_s = -1;
    assert_null(web_picture_create(&c, &e));
}

static void test_auth(void **state)
{
    (void)state;
    const char *path = SG_BINARY_DIR "/test_web_token.txt";
    sg_errinfo e = {0};
    write_mode_file(path, "correct-horse-battery\n", 0644);
    assert_null(web_auth_load(path, &e));
    assert_int_equal(e.code, SG_EAUTH);
    assert_non_null(strstr(e.msg, "chmod 600"));
    write_mode_file(path, "short\n", 0600);
    assert_null(web_auth_load(path, &e));
    assert_int_equal(e.code, SG_EFORMAT);
    write_mode_file(path, "has a space in it ok\n", 0600);
    assert_null(web_auth_load(path, &e));
    assert_null(web_auth_load(SG_BINARY_DIR "/no-such-token", &e));
    assert_int_equal(e.code, SG_EIO);
    write_mode_file(path, "correct-horse-battery\n", 0600);
    web_auth *a = web_auth_load(path, &e);
    assert_non_null(a);
    char sid[WEB_AUTH_SID_LEN + 1], sid2[WEB_AUTH_SID_LEN + 1], name[WEB_AUTH_NAME_LEN];
    assert_int_equal(web_auth_login(a, "correct-horse-batter", "x", 0, sid, sizeof sid), SG_EAUTH);
    assert_int_equal(web_auth_login(a, "correct-horse-battery!", "x", 0, sid, sizeof sid), SG_EAUTH);
    assert_int_equal(web_auth_login(a, "", "x", 0, sid, sizeof sid), SG_EAUTH);
    assert_int_equal(web_auth_login(a, "correct-horse-battery", "Ops <b>Lead</b>", 0, sid,
                                    sizeof sid), SG_OK);
    assert_int_equal(strlen(sid), WEB_AUTH_SID_LEN);
    assert_int_equal(web_auth_login(a, "correct-horse-battery", "", 0, sid2, sizeof sid2), SG_OK);
    assert_string_not_equal(sid, sid2);
    assert_true(web_auth_check(a, sid, 10, name, sizeof name));
    assert_string_equal(name, "Ops bLead/b"); /* markup characters removed */
    assert_false(web_auth_check(a, "0000", 10, name, sizeof name));
    assert_false(web_auth_check(a, NULL, 10, name, sizeof name));
    assert_false(web_auth_check(a, sid, 10 + WEB_AUTH_SESSION_S + 1, name, sizeof name));
    assert_true(web_auth_check(a, sid2, 10, NULL, 0));
    web_auth_logout(a, sid2);
    assert_false(web_auth_check(a, sid2, 11, NULL, 0));
    web_auth_destroy(a);
    unlink(path);
}

static void test_venue(void **state)
{
    (void)state;
    sg_errinfo e = {0};
    web_venue *v = web_venue_load(VENUE, &e);
    if (!v)
        fail_msg("%s", e.msg);
    const web_cfg *c = web_venue_cfg(v);
    assert_string_equal(c->listen, "127.0.0.1:8080");
    assert_string_equal(c->time_zone, "Europe/London"); /* the venue's site.time_zone */
    char *js = web_venue_json(v, NULL);
    assert_non_null(js);
    cJSON *j = cJSON_Parse(js);
    free(js);
    assert_non_null(j);
    char *printed = cJSON_PrintUnformatted(j);
    assert_non_null(printed);
    assert_null(strstr(printed, "1581F4QDE2270001")); /* no allow-list identity to browsers */
    assert_null(strstr(printed, "key")); /* nor key or token paths */
    assert_null(strstr(printed, "token"));
    free(printed);
    /* every vertex comes back where the zone file put it (1e-6 deg ~ 0.1 m) */
    cJSON *src = sgj_parse_file(SG_SOURCE_DIR "/testdata/zones/stadium.geojson", &e);
    assert_non_null(src);
    const cJSON *feats = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "zones"), "features");
    assert_int_equal(cJSON_GetArraySize(feats),
                     cJSON_GetArraySize(cJSON_GetObjectItem(src, "features")));
    const cJSON *sf;
    int checked = 0;
    cJSON_ArrayForEach(sf, cJSON_GetObjectItem(src, "features"))
    {
        const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(sf, "id"));
        const cJSON *df = NULL, *it;
        cJSON_ArrayForEach(it, feats)
        if (!strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(it, "properties"),
                                                             "id")), id))
            df = it;
        assert_non_null(df);
        const cJSON *sg = cJSON_GetObjectItem(sf, "geometry"), *dg = cJSON_GetObjectItem(df, "geometry");
        if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(sg, "type")), "Polygon"))
            continue;
        const cJSON *sring = cJSON_GetArrayItem(cJSON_GetObjectItem(sg, "coordinates"), 0);
        const cJSON *dring = cJSON_GetArrayItem(
            cJSON_GetArrayItem(cJSON_GetObjectItem(dg, "coordinates"), 0), 0);
        assert_int_equal(cJSON_GetArraySize(sring), cJSON_GetArraySize(dring));
        for (int k = 0; k < cJSON_GetArraySize(sring); k++)
            for (int d = 0; d < 2; d++) {
                assert_near(cJSON_GetArrayItem(cJSON_GetArrayItem(dring, k), d)->valuedouble,
                            cJSON_GetArrayItem(cJSON_GetArrayItem(sring, k), d)->valuedouble, 1e-6);
                checked++;
            }
    }
    assert_true(checked > 20);
    cJSON_Delete(src);
    cJSON_Delete(j);
    /* stadium-critical is scheduled for 20 July 2026 15:00-23:59 London time */
    cJSON *act = web_venue_zone_activity(v, 1784572200); /* 18:30Z = 19:30 BST */
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(act, "stadium-critical")));
    cJSON_Delete(act);
    act = web_venue_zone_activity(v, 1784572200 - 86400);
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(act, "stadium-critical")));
    cJSON_Delete(act);
    web_venue_destroy(v);
}

static void test_web_cfg(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "{\"listne\": \"127.0.0.1:1\"}",
        "{\"time_zone\": \"Mars/Olympus\"}",
        "{\"time_zone\": \"../../etc/passwd\"}",
        "{\"tiles\": {}}",
        "{\"tiles\": {\"url\": \"ftp://x/{z}/{x}/{y}.png\"}}",
        "{\"tiles\": {\"url\": \"https://x/tiles.png\"}}",
        "{\"tiles\": {\"url\": \"https://x/{z}/{x}/{y}.png\", \"dir\": \".\"}}",
        "{\"tiles\": {\"dir\": \"no-such-dir\"}}",
        "{\"tiles\": {\"url\": \"https://x/{z}/{x}/{y}.png\", \"max_zoom\": 40}}",
        "{\"token_file\": \"no-such-file\"}",
        "{\"feed_lost_s\": 0}",
    };
    web_cfg c;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sg_errinfo e = {0};
        cJSON *j = cJSON_Parse(bad[i]);
        assert_non_null(j);
        if (web_cfg_from_json(&c, j, VENUE, "venue: outputs.web", &e) == SG_OK)
            fail_msg("accepted %s", bad[i]);
        assert_non_null(strstr(e.msg, "outputs.web"));
        cJSON_Delete(j);
    }
    sg_errinfo e = {0};
    cJSON *j = cJSON_Parse("{\"listen\": \"0.0.0.0:8443\", \"time_zone\": \"Europe/London\","
                           "\"tiles\": {\"dir\": \".\", \"max_zoom\": 18}}");
    assert_int_equal(web_cfg_from_json(&c, j, VENUE, "w", &e), SG_OK);
    assert_string_equal(c.listen, "0.0.0.0:8443");
    assert_int_equal(c.tiles_max_zoom, 18);
    assert_true(c.tiles_dir[0] != '\0');
    cJSON_Delete(j);
}

static void test_listen_rules(void **state)
{
    (void)state;
    static const struct {
        const char *addr;
        bool valid, loopback;
    } t[] = {
        {"127.0.0.1:8080", true, true},   {"127.1.2.3:0", true, true},
        {"[::1]:8080", true, true},       {"0.0.0.0:8080", true, false},
        {"192.168.1.5:443", true, false}, {"[::]:80", true, false},
        {"localhost:8080", false, false}, {"*:8080", false, false},
        {"127.0.0.1", false, false},      {"127.0.0.1:70000", false, false},
        {"127.0.0.1:-1", false, false},   {":8080", false, false},
        {"[::1:8080", false, false},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        struct sockaddr_storage ss;
        socklen_t len;
        sg_errinfo e = {0};
        int rc = web_listen_parse(t[i].addr, &ss, &len, &e);
        if ((rc == SG_OK) != t[i].valid)
            fail_msg("%s: valid %d expected %d (%s)", t[i].addr, rc == SG_OK, t[i].valid, e.msg);
        assert_int_equal(web_listen_is_loopback(t[i].addr), t[i].loopback);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tracks_trails_allow_list), cmocka_unit_test(test_alert_history_and_ack),
        cmocka_unit_test(test_event_ring),               cmocka_unit_test(test_picture_bad_config),
        cmocka_unit_test(test_auth),                     cmocka_unit_test(test_venue),
        cmocka_unit_test(test_web_cfg),                  cmocka_unit_test(test_listen_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
