/* MQTT sink (adapters/sink_mqtt_mosquitto.c) against a real broker: the test starts Debian's
 * mosquitto on a free loopback port and reads what arrived with mosquitto_sub (an
 * independent client). Checks retained per-track topics (with the affiliation, cleared on
 * deleted), alert and status topics, the bridge's online status and its last will (sg_bridge
 * killed with SIGKILL: the broker publishes "offline"), a broker that is down (every call
 * returns at once, refusals counted, connects once the broker comes up), and every invalid
 * configuration. Skips (77) when the mosquitto binaries are not installed. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
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
#include "proc_harness.h"
#include "sg_json.h"
#include "sink.h"
#include "sink_helpers.h"

#define BROKER "/usr/sbin/mosquitto"
#define SUB "/usr/bin/mosquitto_sub"

static pid_t children[8]; /* brokers and bridges, killed at teardown if a test failed */
static int n_children;


static double wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}


static bool port_open(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bool ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
    close(fd);
    return ok;
}




static pid_t start_broker(int port)
{
    char conf[320], log[64];
    snprintf(conf, sizeof conf, "%s/mosquitto-%d.conf", ph_dir, port);
    FILE *f = fopen(conf, "w");
    assert_non_null(f);
    fprintf(f, "listener %d 127.0.0.1\nallow_anonymous true\npersistence false\n", port);
    fclose(f);
    snprintf(log, sizeof log, "broker-%d.log", port);
    char *argv[] = {BROKER, "-c", conf, NULL};
    pid_t pid = ph_spawn(argv, log);
    if (n_children < 8)
        children[n_children++] = pid;
    double end = ph_now() + 5;
    while (!port_open(port) && ph_now() < end)
        usleep(20000);
    assert_true(port_open(port));
    return pid;
}

static void stop(pid_t pid)
{
    kill(pid, SIGTERM);
    if (ph_wait(pid, 5, true) == -1)
        fail_msg("process %d did not stop", (int)pid);
}


/* mosquitto_sub -C 1 on topic with a timeout: the first message's payload (retained
 * messages arrive at once), "" if none came. */
static char *sub_one(int port, const char *topic, const char *wait_s)
{
    char ps[16];
    snprintf(ps, sizeof ps, "%d", port);
    char *argv[] = {SUB, "-h", "127.0.0.1", "-p", ps, "-t", (char *)topic, "-C", "1", "-W",
                    (char *)wait_s, NULL};
    pid_t pid = ph_spawn(argv, "sub.out");
    ph_wait(pid, 15, true);
    char *t = ph_slurp("sub.out");
    if (!strncmp(t, "Timed out", 9))
        t[0] = '\0';
    t[strcspn(t, "\n")] = '\0';
    return t;
}

static sink *make_sink(const char *json, sg_errinfo *e)
{
    sink_env env = {.site_name = "test", .venue_path = "/nonexistent/venue.json"};
    return sink_from_text(&sink_mqtt_ops, json, "venue.json: outputs.mqtt", &env, e);
}

static void frame(feed_msg *m, const char *text)
{
    sg_errinfo e = {0};
    if (feed_msg_parse(text, strlen(text), m, &e) != SG_OK)
        fail_msg("%s", e.msg);
}

static const char *track_live =
    "track.17 {\"v\":1,\"type\":\"track\",\"id\":17,\"status\":\"confirmed\",\"t\":1795386600.0,"
    "\"time\":\"2026-11-22T22:30:00.000Z\",\"lat\":51.5005,\"lon\":-0.1002,\"alt_m\":120.0}";
static const char *track_deleted =
    "track.17 {\"v\":1,\"type\":\"track\",\"id\":17,\"status\":\"deleted\",\"t\":1795386609.0,"
    "\"time\":\"2026-11-22T22:30:09.000Z\",\"lat\":51.5005,\"lon\":-0.1002,\"alt_m\":120.0}";
static const char *alert_raised =
    "alert.critical.north_stand {\"v\":1,\"type\":\"alert\",\"id\":3,\"state\":\"raised\","
    "\"severity\":\"critical\",\"t\":1795386601.0,\"time\":\"2026-11-22T22:30:01.000Z\","
    "\"track_id\":17,\"zone\":\"north stand\"}";
static const char *status_msg =
    "status.skyguardd {\"v\":1,\"type\":\"status\",\"t\":1795386602.0,"
    "\"time\":\"2026-11-22T22:30:02.000Z\",\"node\":\"skyguardd\",\"samples_processed\":1000}";

static bool wait_connected(sink *s, double max_s)
{
    sink_stats st;
    double end = ph_now() + max_s;
    do {
        sink_get_stats(s, &st);
        if (st.connected)
            return true;
        usleep(20000);
    } while (ph_now() < end);
    return false;
}

static void test_topics_against_broker(void **st)
{
    (void)st;
    int port = ph_free_port();
    pid_t broker = start_broker(port);
    char cfg[256];
    snprintf(cfg, sizeof cfg, "{\"port\": %d, \"topic_prefix\": \"sg/test\", \"qos\": 1, "
             "\"reconnect_s\": 0.2}", port);
    sg_errinfo e = {0};
    sink *s = make_sink(cfg, &e);
    assert_non_null(s);
    assert_true(wait_connected(s, 5));
    feed_msg t, a, stt;
    frame(&t, track_live);
    frame(&a, alert_raised);
    frame(&stt, status_msg);
    assert_int_equal(sink_on_track(s, &t, SINK_INFO(SINK_AFF_HOSTILE), wall()), SG_OK);
    assert_int_equal(sink_on_status(s, &stt, wall()), SG_OK);

    char *p = sub_one(port, "sg/test/track/17", "5"); /* retained */
    cJSON *j = cJSON_Parse(p);
    if (!j)
        fail_msg("track topic payload not JSON: \"%s\"", p);
    assert_int_equal(cJSON_GetObjectItem(j, "id")->valueint, 17);
    assert_string_equal(cJSON_GetObjectItem(j, "affiliation")->valuestring, "hostile");
    assert_string_equal(cJSON_GetObjectItem(j, "status")->valuestring, "confirmed");
    cJSON_Delete(j);
    free(p);
    p = sub_one(port, "sg/test/status/skyguardd", "5");
    assert_non_null(strstr(p, "\"samples_processed\":1000"));
    free(p);
    p = sub_one(port, "sg/test/bridge", "5");
    assert_string_equal(p, "{\"state\":\"online\"}");
    free(p);

    /* alerts are not retained: subscribe first, then keep publishing until it arrives */
    char ps[16];
    snprintf(ps, sizeof ps, "%d", port);
    char *argv[] = {SUB, "-h", "127.0.0.1", "-p", ps, "-t", "sg/test/alert/#", "-v", "-C", "1",
                    "-W", "10", NULL};
    pid_t sub = ph_spawn(argv, "alert.out");
    int rc = -1;
    for (int i = 0; i < 100 && rc < 0; i++) {
        sink_on_alert(s, &a, wall());
        rc = ph_wait(sub, 0.1, false);
    }
    if (rc < 0)
        ph_wait(sub, 0, true);
    assert_int_equal(rc, 0);
    p = ph_slurp("alert.out");
    /* the zone id "north stand" becomes one topic level */
    assert_memory_equal(p, "sg/test/alert/critical/north_stand {", 36);
    assert_non_null(strstr(p, "\"zone\":\"north stand\""));
    free(p);

    /* deleted: the retained track is cleared */
    feed_msg d;
    frame(&d, track_deleted);
    assert_int_equal(sink_on_track(s, &d, SINK_INFO(SINK_AFF_UNKNOWN), wall()), SG_OK);
    sink_stats ss;
    double end = ph_now() + 5;
    do {
        usleep(20000);
        sink_get_stats(s, &ss);
    } while (ss.delivered < ss.accepted && ph_now() < end);
    usleep(100000);
    p = sub_one(port, "sg/test/track/17", "1");
    assert_string_equal(p, "");
    free(p);
    assert_int_equal(ss.dropped, 0);
    assert_int_equal(ss.failed, 0);
    feed_msg_free(&t);
    feed_msg_free(&a);
    feed_msg_free(&stt);
    feed_msg_free(&d);
    sink_destroy(s, 1);
    /* a clean stop says offline */
    p = sub_one(port, "sg/test/bridge", "5");
    assert_string_equal(p, "{\"state\":\"offline\"}");
    free(p);
    stop(broker);
}

static void test_broker_down(void **st)
{
    (void)st;
    int port = ph_free_port();
    char cfg[256];
    snprintf(cfg, sizeof cfg, "{\"port\": %d, \"topic_prefix\": \"sg/down\", "
             "\"reconnect_s\": 0.2, \"queue\": 64}", port);
    sg_errinfo e = {0};
    sink *s = make_sink(cfg, &e);
    assert_non_null(s);
    feed_msg t;
    frame(&t, track_live);
    int ok = 0, full = 0;
    const int N = 5000;
    for (int i = 0; i < N; i++) {
        int rc = sink_on_track(s, &t, SINK_INFO(SINK_AFF_UNKNOWN), wall());
        ok += rc == SG_OK;
        full += rc == SG_EOVERFLOW;
    }
    assert_int_equal(ok + full, N);
    sink_stats ss;
    double end = ph_now() + 5;
    do {
        usleep(20000);
        sink_get_stats(s, &ss);
    } while (ss.delivered + ss.failed < (uint64_t)ok && ph_now() < end);
    assert_false(ss.connected);
    assert_int_equal(ss.accepted, (uint64_t)ok);
    assert_int_equal(ss.dropped, (uint64_t)full);
    assert_int_equal(ss.failed, (uint64_t)ok); /* every one refused, none lost silently */
    assert_string_equal(ss.extra[1].name, "not_connected");
    assert_int_equal(ss.extra[1].value, (uint64_t)ok);

    pid_t broker = start_broker(port); /* the broker comes up: the sink connects */
    assert_true(wait_connected(s, 5));
    assert_int_equal(sink_on_track(s, &t, SINK_INFO(SINK_AFF_UNKNOWN), wall()), SG_OK);
    char *p = sub_one(port, "sg/down/track/17", "5");
    assert_non_null(strstr(p, "\"affiliation\":\"unknown\""));
    free(p);
    feed_msg_free(&t);
    sink_destroy(s, 1);
    stop(broker);
}

static void test_last_will(void **st)
{
    (void)st;
    int port = ph_free_port();
    pid_t broker = start_broker(port);
    char venue[320];
    snprintf(venue, sizeof venue, "%s/will.json", ph_dir);
    FILE *f = fopen(venue, "w");
    assert_non_null(f);
    fprintf(f, "{\"version\": 1, \"site\": {\"name\": \"Will\", \"origin\": {\"lat_deg\": 51.5, "
               "\"lon_deg\": -0.1, \"alt_m\": 45}}, \"sensors\": [{\"id\": \"rf-1\", \"kind\": "
               "\"rf\", \"position\": {\"lat_deg\": 51.5, \"lon_deg\": -0.1, \"alt_m\": 60}, "
               "\"adapter\": {\"type\": \"sigmf\", \"path\": \"x.sigmf-meta\"}}], \"outputs\": "
               "{\"feed\": {\"endpoint\": \"tcp://127.0.0.1:%d\", \"security\": {\"mode\": "
               "\"plaintext\"}}, \"mqtt\": {\"port\": %d}}}\n", ph_free_port(), port);
    fclose(f);
    char *argv[] = {SG_BINARY_DIR "/sg_bridge", "-c", venue, NULL};
    pid_t bridge = ph_spawn(argv, "bridge.out");
    children[n_children++ % 8] = bridge;
    char *p = NULL;
    double end = ph_now() + 5;
    do {
        free(p);
        p = sub_one(port, "skyguard/Will/bridge", "1");
    } while (strcmp(p, "{\"state\":\"online\"}") && ph_now() < end);
    assert_string_equal(p, "{\"state\":\"online\"}");
    free(p);
    kill(bridge, SIGKILL); /* no clean disconnect: the broker publishes the will */
    waitpid(bridge, NULL, 0);
    end = ph_now() + 5;
    p = NULL;
    do {
        free(p);
        p = sub_one(port, "skyguard/Will/bridge", "1");
    } while (strcmp(p, "{\"state\":\"offline\"}") && ph_now() < end);
    assert_string_equal(p, "{\"state\":\"offline\"}");
    free(p);
    stop(broker);
}

static void test_config_errors(void **st)
{
    (void)st;
    const struct {
        const char *json, *needle;
    } bad[] = {
        {"{\"qos\": 3}", "outputs.mqtt.qos"},
        {"{\"port\": 0}", "outputs.mqtt.port"},
        {"{\"hots\": \"x\"}", "outputs.mqtt.hots: unknown key"},
        {"{\"topic_prefix\": \"a/#\"}", "outputs.mqtt.topic_prefix"},
        {"{\"topic_prefix\": \"a/\"}", "outputs.mqtt.topic_prefix"},
        {"{\"topic_prefix\": \"\"}", "outputs.mqtt.topic_prefix"},
        {"{\"keepalive_s\": 1}", "outputs.mqtt.keepalive_s"},
        {"{\"password_file\": \"pw\"}", "outputs.mqtt.password_file: needs \"username\""},
        {"{\"username\": \"u\", \"password_file\": \"pw\"}", "outputs.mqtt.password_file"},
        {"{\"tls\": {}}", "outputs.mqtt.tls.ca_file"},
        {"{\"tls\": {\"ca_file\": \"/nonexistent/ca.pem\"}}", "outputs.mqtt.tls"},
        {"{\"tls\": {\"ca_file\": \"ca.pem\", \"cert_file\": \"c.pem\"}}",
         "outputs.mqtt.tls: cert_file and key_file go together"},
        {"{\"tls\": {\"ca\": \"x\"}}", "outputs.mqtt.tls.ca: unknown key"},
        {"{\"max_pending\": 0}", "outputs.mqtt.max_pending"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sg_errinfo e = {0};
        sink *s = make_sink(bad[i].json, &e);
        expect_refused(s, &e, bad[i].json, bad[i].needle);
    }
}

static int teardown(void **st)
{
    (void)st;
    for (int i = 0; i < n_children; i++)
        if (waitpid(children[i], NULL, WNOHANG) == 0) {
            kill(children[i], SIGKILL);
            waitpid(children[i], NULL, 0);
        }
    return 0;
}

int main(void)
{
    if (access(BROKER, X_OK) != 0 || access(SUB, X_OK) != 0) {
        fprintf(stderr, "mosquitto / mosquitto_sub not installed: skipped "
                        "(apt-get install mosquitto mosquitto-clients)\n");
        return 77;
    }
    signal(SIGPIPE, SIG_IGN);
    snprintf(ph_dir, sizeof ph_dir, "%s/test_sink_mqtt", SG_BINARY_DIR);
    mkdir(ph_dir, 0700);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_topics_against_broker),
        cmocka_unit_test(test_broker_down),
        cmocka_unit_test(test_last_will),
        cmocka_unit_test(test_config_errors),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
