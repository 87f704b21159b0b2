/* SAPIENT sink (adapters/sink_sapient_pbc.c) against a loopback "fusion node" written here:
 * frames are 4-byte little-endian lengths + SapientMessage; each is decoded by protoc's
 * libprotobuf (`protoc-c --decode` with our .proto and `--decode_raw` for the field numbers
 * the standard fixes: detection_report 7, location 6, registration 4, status_report 6) and
 * by protobuf-c. Checks registration then status (INFO_NEW) on connect, detection reports
 * (lon/lat/HAE, WGS84 ellipsoid datum, errors, ULIDs, object_id stable per track, identity,
 * "lost" on delete), goodbye on stop, and invalid configurations. Skips (77) without
 * protoc-c. */
#include <arpa/inet.h>
#include <fcntl.h>
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
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "feed_msg.h"
#include "sapient.pb-c.h"
#include "sg_assert.h"
#include "sg_clock.h"
#include "sg_json.h"
#include "sink.h"
#include "sink_helpers.h"

#define PROTOC "/usr/bin/protoc-c"
typedef SapientMsg__BsiFlex335V20__SapientMessage smsg;

static char dir[256];

typedef struct {
    uint8_t *data;
    size_t len;
} frame;

/* Reads one length-prefixed frame within 3 s. */
static bool read_frame(int fd, frame *f)
{
    uint8_t hdr[4];
    size_t got = 0;
    double end = sg_clock_s(CLOCK_MONOTONIC) + 3;
    uint8_t *p = hdr;
    size_t want = 4;
    bool body = false;
    while (sg_clock_s(CLOCK_MONOTONIC) < end) {
        struct pollfd q = {fd, POLLIN, 0};
        if (poll(&q, 1, 50) != 1)
            continue;
        ssize_t k = recv(fd, p + got, want - got, 0);
        if (k <= 0)
            return false;
        got += (size_t)k;
        if (got < want)
            continue;
        if (body)
            return true;
        f->len = hdr[0] | hdr[1] << 8 | hdr[2] << 16 | (size_t)hdr[3] << 24;
        assert_true(f->len > 0 && f->len < 65536);
        f->data = malloc(f->len);
        p = f->data;
        want = f->len;
        got = 0;
        body = true;
    }
    return false;
}

/* protoc decodes payload (--decode=SapientMessage, or raw); returns its text. */
static char *protoc(const frame *f, bool raw)
{
    char in[320], out[320];
    snprintf(in, sizeof in, "%s/msg.bin", dir);
    snprintf(out, sizeof out, "%s/msg.txt", dir);
    FILE *fp = fopen(in, "wb");
    assert_non_null(fp);
    fwrite(f->data, 1, f->len, fp);
    fclose(fp);
    pid_t pid = fork();
    if (pid == 0) {
        int fi = open(in, O_RDONLY), fo = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fi < 0 || fo < 0 || dup2(fi, 0) < 0 || dup2(fo, 1) < 0 || dup2(fo, 2) < 0)
            _exit(99);
        if (raw)
            execl(PROTOC, PROTOC, "--decode_raw", (char *)NULL);
        else
            execl(PROTOC, PROTOC, "--decode=sapient_msg.bsi_flex_335_v2_0.SapientMessage",
                  "-I", SG_SOURCE_DIR "/adapters/sapient", "sapient.proto", (char *)NULL);
        _exit(98);
    }
    int st;
    waitpid(pid, &st, 0);
    char *t;
    sg_errinfo e;
    assert_int_equal(sg_read_file(out, 1 << 20, &t, NULL, &e), SG_OK);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        fail_msg("protoc refused the message: %s", t);
    return t;
}

static void expect(const char *text, const char *needle)
{
    if (!strstr(text, needle))
        fail_msg("decoded message lacks \"%s\":\n%s", needle, text);
}

static bool is_ulid(const char *s)
{
    if (!s || strlen(s) != 26 || s[0] > '7')
        return false;
    for (int i = 0; i < 26; i++)
        if (!strchr("0123456789ABCDEFGHJKMNPQRSTVWXYZ", s[i]))
            return false;
    return true;
}

/* The ULID's 48-bit time (ms since 1970): its first 10 characters. */
static double ulid_ms(const char *s)
{
    static const char b32[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    double ms = 0;
    for (int i = 0; i < 10; i++)
        ms = ms * 32 + (double)(strchr(b32, s[i]) - b32);
    return ms;
}

static void push(sink *s, unsigned id, const char *status, const char *identity)
{
    char f[768];
    snprintf(f, sizeof f, "track.%u {\"v\":1,\"type\":\"track\",\"id\":%u,\"status\":\"%s\","
             "\"t\":1795386600.0,\"time\":\"2026-11-22T22:30:00.000Z\",\"lat\":51.5005,"
             "\"lon\":-0.1002,\"alt_m\":120.0,\"pos_sd_h_m\":5.0,\"pos_sd_v_m\":3.0,"
             "\"class\":\"dji_droneid\",\"class_conf\":0.9,\"identity\":\"%s\","
             "\"t_first\":1795386590.0}", id, id, status, identity);
    feed_msg m;
    sg_errinfo e = {0};
    if (feed_msg_parse(f, strlen(f), &m, &e) != SG_OK)
        fail_msg("%s", e.msg);
    assert_int_equal(sink_on_track(s, &m, SINK_INFO(SINK_AFF_HOSTILE), 0), SG_OK);
    feed_msg_free(&m);
}

static void test_node_session(void **st)
{
    (void)st;
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof a), 0);
    listen(lfd, 2);
    getsockname(lfd, (struct sockaddr *)&a, &al);
    char cfg[256];
    snprintf(cfg, sizeof cfg, "{\"host\": \"127.0.0.1\", \"port\": %d, \"node_id\": "
             "\"2f1e3b7a-0c1d-4e5f-8a9b-0123456789ab\", \"status_period_s\": 60}",
             ntohs(a.sin_port));
    cJSON *b = cJSON_Parse(cfg);
    sg_errinfo e = {0};
    sink_env env = {.site_name = "Test Arena"};
    sink *s = sink_create(&sink_sapient_ops, b, "venue.json: outputs.sapient", &env, &e);
    cJSON_Delete(b);
    if (!s)
        fail_msg("%s", e.msg);
    struct pollfd p = {lfd, POLLIN, 0};
    assert_int_equal(poll(&p, 1, 3000), 1);
    int fd = accept(lfd, NULL, NULL);

    /* registration, then the first status report */
    frame f;
    assert_true(read_frame(fd, &f));
    char *t = protoc(&f, false);
    expect(t, "node_id: \"2f1e3b7a-0c1d-4e5f-8a9b-0123456789ab\"");
    expect(t, "registration {");
    expect(t, "node_type: NODE_TYPE_PASSIVE_RF");
    expect(t, "icd_version: \"BSI Flex 335 v2.0\"");
    expect(t, "tracking_type: TRACKING_TYPE_TRACK_WITH_RE_ID");
    expect(t, "location_datum: LOCATION_DATUM_WGS84_E");
    expect(t, "units: TIME_UNITS_SECONDS");
    free(t);
    t = protoc(&f, true);
    expect(t, "4 {"); /* registration is field 4 of SapientMessage */
    free(t);
    free(f.data);
    assert_true(read_frame(fd, &f));
    t = protoc(&f, false);
    expect(t, "status_report {");
    expect(t, "system: SYSTEM_OK");
    expect(t, "info: INFO_NEW");
    free(t);
    free(f.data);

    /* detection reports */
    push(s, 17, "confirmed", "1581F5FJD22A00XY");
    push(s, 17, "confirmed", "1581F5FJD22A00XY");
    push(s, 18, "deleted", "");
    char oid17[2][32];
    for (int i = 0; i < 3; i++) {
        assert_true(read_frame(fd, &f));
        t = protoc(&f, true);
        expect(t, "7 {");  /* detection_report: field 7 */
        expect(t, "  6 {"); /* its location: field 6 */
        free(t);
        t = protoc(&f, false);
        expect(t, "detection_report {");
        expect(t, "coordinate_system: LOCATION_COORDINATE_SYSTEM_LAT_LNG_DEG_M");
        expect(t, "datum: LOCATION_DATUM_WGS84_E");
        free(t);
        smsg *m = sapient_msg__bsi_flex_335_v2_0__sapient_message__unpack(NULL, f.len, f.data);
        assert_non_null(m);
        assert_int_equal(m->content_case,
                         SAPIENT_MSG__BSI_FLEX_335_V2_0__SAPIENT_MESSAGE__CONTENT_DETECTION_REPORT);
        const SapientMsg__BsiFlex335V20__DetectionReport *d = m->detection_report;
        assert_true(is_ulid(d->report_id));
        assert_true(is_ulid(d->object_id));
        assert_near(d->location->x, -0.1002, 1e-9);
        assert_near(d->location->y, 51.5005, 1e-9);
        assert_near(d->location->z, 120.0, 1e-9);
        assert_near(d->location->z_error, 3.0, 1e-9);
        /* 5 m horizontal (2-D) = 3.54 m per axis = 3.18e-5 deg of latitude */
        assert_near(d->location->y_error, 5.0 / sqrt(2) / 111320.0, 1e-9);
        assert_true(m->timestamp && m->timestamp->seconds > 1700000000);
        /* report ids carry the send time, object ids the track's first time */
        assert_near(ulid_ms(d->report_id) / 1000, (double)m->timestamp->seconds, 1.001);
        assert_near(ulid_ms(d->object_id), 1795386590000.0, 0.5);
        if (i < 2) {
            snprintf(oid17[i], 32, "%s", d->object_id);
            assert_string_equal(d->id, "1581F5FJD22A00XY");
            assert_null(d->state);
            assert_string_equal(d->classification[0]->type, "UAV");
            assert_near(d->classification[0]->confidence, 0.9, 1e-6);
        } else {
            assert_string_equal(d->state, "lost");
            assert_string_not_equal(d->object_id, oid17[0]); /* another track */
        }
        sapient_msg__bsi_flex_335_v2_0__sapient_message__free_unpacked(m, NULL);
        free(f.data);
    }
    assert_string_equal(oid17[0], oid17[1]); /* the same object across reports */

    sink_stats ss;
    sink_get_stats(s, &ss);
    assert_true(ss.connected);
    sink_destroy(s, 1); /* goodbye */
    assert_true(read_frame(fd, &f));
    t = protoc(&f, false);
    expect(t, "system: SYSTEM_GOODBYE");
    free(t);
    free(f.data);
    close(fd);
    close(lfd);
}

static void test_config_errors(void **st)
{
    (void)st;
    const struct {
        const char *json, *needle;
    } bad[] = {
        {"{}", "outputs.sapient.host"},
        {"{\"host\": \"x\", \"port\": 0}", "outputs.sapient.port"},
        {"{\"host\": \"x\", \"node_id\": \"not-a-uuid\"}", "outputs.sapient.node_id"},
        {"{\"host\": \"x\", \"status_period_s\": 0}", "outputs.sapient.status_period_s"},
        {"{\"host\": \"x\", \"nodeid\": \"y\"}", "outputs.sapient.nodeid: unknown key"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sg_errinfo e = {0};
        sink_env env = {.site_name = "t"};
        sink *s = sink_from_text(&sink_sapient_ops, bad[i].json, "venue.json: outputs.sapient",
                                 &env, &e);
        expect_refused(s, &e, bad[i].json, bad[i].needle);
    }
}

int main(void)
{
    if (access(PROTOC, X_OK) != 0) {
        fprintf(stderr, "protoc-c not installed: skipped\n");
        return 77;
    }
    snprintf(dir, sizeof dir, "%s/test_sink_sapient", SG_BINARY_DIR);
    mkdir(dir, 0700);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_node_session),
        cmocka_unit_test(test_config_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
