/* HTTP sink (adapters/sink_http_mhd.c) read by curl, an independent client: the JSON
 * endpoints (tracks with affiliation, active alerts, sensors, stats) follow the stream
 * (deleted tracks and cleared alerts leave), /metrics is well-formed OpenMetrics (every
 * sample after its family's TYPE line, counters end in _total, "# EOF" last) and carries the
 * daemon's counters, the sensors' and the host's, errors are 404/405, and every invalid
 * configuration is refused naming the key. Skips (77) without /usr/bin/curl. */
#include <arpa/inet.h>
#include <ctype.h>
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

#define CURL "/usr/bin/curl"


static double wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}


/* curl -s [-X method] URL; body into *body, returns the HTTP status. */
static int curl(int port, const char *method, const char *path, char **body)
{
    char url[256], out[320], code[320];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
    snprintf(out, sizeof out, "%s/body", ph_dir);
    snprintf(code, sizeof code, "%s/code", ph_dir);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int fc = open(code, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fc < 0 || dup2(fc, 1) < 0)
            _exit(99);
        execl(CURL, CURL, "-s", "-m", "5", "-X", method, "-o", out, "-w", "%{http_code}", url,
              (char *)NULL);
        _exit(98);
    }
    int st;
    waitpid(pid, &st, 0);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    char *c;
    sg_errinfo e;
    assert_int_equal(sg_read_file(code, 64, &c, NULL, &e), SG_OK);
    int status = atoi(c);
    free(c);
    assert_int_equal(sg_read_file(out, 1 << 20, body, NULL, &e), SG_OK);
    return status;
}

static size_t host_metrics(void *ctx, char *buf, size_t cap)
{
    (void)ctx;
    int n = snprintf(buf, cap, "# TYPE skyguard_bridge_received counter\n"
                               "skyguard_bridge_received_total 42\n");
    return (size_t)n;
}

static sink_env env = {.site_name = "test", .host_metrics = host_metrics};

static sink *make_sink(const char *json, sg_errinfo *e)
{
    return sink_from_text(&sink_http_ops, json, "venue.json: outputs.http", &env, e);
}

static void feed(sink *s, const char *text, sink_affiliation aff)
{
    feed_msg m;
    sg_errinfo e = {0};
    if (feed_msg_parse(text, strlen(text), &m, &e) != SG_OK)
        fail_msg("%s", e.msg);
    int rc = m.type == FEED_MSG_TRACK ? sink_on_track(s, &m, SINK_INFO(aff), wall())
             : m.type == FEED_MSG_ALERT ? sink_on_alert(s, &m, wall())
                                        : sink_on_status(s, &m, wall());
    assert_int_equal(rc, SG_OK);
    feed_msg_free(&m);
}

static void settle(sink *s)
{
    sink_stats st;
    double end = wall() + 3;
    do {
        usleep(5000);
        sink_get_stats(s, &st);
    } while (st.delivered < st.accepted && wall() < end);
    assert_int_equal(st.delivered, st.accepted);
}

#define TRACK(id, status)                                                                      \
    "track." #id " {\"v\":1,\"type\":\"track\",\"id\":" #id ",\"status\":\"" status "\","       \
    "\"t\":1795386600.0,\"time\":\"2026-11-22T22:30:00.000Z\",\"lat\":51.5,\"lon\":-0.1,"      \
    "\"alt_m\":120.0}"
#define ALERT(state)                                                                           \
    "alert.critical.pitch {\"v\":1,\"type\":\"alert\",\"id\":3,\"state\":\"" state "\","       \
    "\"severity\":\"critical\",\"t\":1795386601.0,\"time\":\"2026-11-22T22:30:01.000Z\","      \
    "\"track_id\":17,\"zone\":\"pitch\"}"
static const char *status_msg =
    "status.skyguardd {\"v\":1,\"type\":\"status\",\"t\":1795386602.0,"
    "\"time\":\"2026-11-22T22:30:02.000Z\",\"node\":\"skyguardd\",\"samples_processed\":123456789012,"
    "\"samples_dropped\":4096,\"queue_depth\":3,\"queue_capacity\":64,\"feed_clients_refused\":2,"
    "\"sensors\":[{\"id\":\"rf \\\"north\\\"\",\"state\":\"ok\",\"samples\":1000,"
    "\"bursts\":7},{\"id\":\"cam-1\",\"state\":\"degraded\",\"frames\":50}],"
    "\"latency_ms\":{\"frontend_p50\":1.5,\"pipeline_p99\":20.0}}";

static void test_json_endpoints(void **st)
{
    (void)st;
    int port = ph_free_port();
    char cfg[128], *body;
    snprintf(cfg, sizeof cfg, "{\"port\": %d}", port);
    sg_errinfo e = {0};
    sink *s = make_sink(cfg, &e);
    if (!s)
        fail_msg("%s", e.msg);
    feed(s, TRACK(17, "confirmed"), SINK_AFF_HOSTILE);
    feed(s, TRACK(18, "tentative"), SINK_AFF_UNKNOWN);
    feed(s, ALERT("raised"), SINK_AFF_UNKNOWN);
    feed(s, status_msg, SINK_AFF_UNKNOWN);
    settle(s);

    assert_int_equal(curl(port, "GET", "/tracks.json", &body), 200);
    cJSON *j = cJSON_Parse(body);
    assert_non_null(j);
    assert_true(cJSON_GetObjectItem(j, "now")->valuedouble > 1.7e9);
    cJSON *tr = cJSON_GetObjectItem(j, "tracks");
    assert_int_equal(cJSON_GetArraySize(tr), 2);
    for (int i = 0; i < 2; i++) {
        cJSON *t = cJSON_GetArrayItem(tr, i);
        int id = cJSON_GetObjectItem(t, "id")->valueint;
        assert_string_equal(cJSON_GetObjectItem(t, "affiliation")->valuestring,
                            id == 17 ? "hostile" : "unknown");
    }
    cJSON_Delete(j);
    free(body);

    assert_int_equal(curl(port, "GET", "/alerts.json", &body), 200);
    j = cJSON_Parse(body);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "alerts")), 1);
    cJSON_Delete(j);
    free(body);

    assert_int_equal(curl(port, "GET", "/sensors.json", &body), 200);
    j = cJSON_Parse(body);
    assert_string_equal(cJSON_GetObjectItem(j, "node")->valuestring, "skyguardd");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "sensors")), 2);
    cJSON_Delete(j);
    free(body);

    assert_int_equal(curl(port, "GET", "/stats.json", &body), 200);
    j = cJSON_Parse(body);
    assert_int_equal(cJSON_GetObjectItem(j, "tracks")->valueint, 2);
    assert_true(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "status"), "samples_processed")
                    ->valuedouble == 123456789012.0);
    cJSON_Delete(j);
    free(body);

    /* the stream moves on: a deleted track and a cleared alert leave */
    feed(s, TRACK(18, "deleted"), SINK_AFF_UNKNOWN);
    feed(s, ALERT("cleared"), SINK_AFF_UNKNOWN);
    settle(s);
    assert_int_equal(curl(port, "GET", "/tracks.json", &body), 200);
    j = cJSON_Parse(body);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "tracks")), 1);
    cJSON_Delete(j);
    free(body);
    assert_int_equal(curl(port, "GET", "/alerts.json", &body), 200);
    j = cJSON_Parse(body);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "alerts")), 0);
    cJSON_Delete(j);
    free(body);

    assert_int_equal(curl(port, "GET", "/nope", &body), 404);
    free(body);
    assert_int_equal(curl(port, "POST", "/tracks.json", &body), 405);
    free(body);
    sink_destroy(s, 1);
}

/* Checks the OpenMetrics text structure; returns the value of sample `name` (exact match of
 * the text before the value) or NAN. */
static double metric(const char *text, const char *sample)
{
    const char *p = text;
    size_t n = strlen(sample);
    while ((p = strstr(p, sample))) {
        if ((p == text || p[-1] == '\n') && p[n] == ' ')
            return strtod(p + n + 1, NULL);
        p += n;
    }
    return -1;
}

static void check_openmetrics(const char *text)
{
    char families[128][96];
    int n_fam = 0;
    const char *line = text, *last = NULL;
    while (*line) {
        const char *nl = strchr(line, '\n');
        assert_non_null(nl); /* every line ends with a newline */
        char l[512];
        snprintf(l, sizeof l, "%.*s", (int)(nl - line), line);
        last = line;
        if (!strncmp(l, "# TYPE ", 7)) {
            char fam[96], type[32];
            assert_int_equal(sscanf(l + 7, "%95s %31s", fam, type), 2);
            assert_true(!strcmp(type, "counter") || !strcmp(type, "gauge"));
            for (int i = 0; i < n_fam; i++)
                if (!strcmp(families[i], fam))
                    fail_msg("family %s declared twice", fam);
            snprintf(families[n_fam++ % 128], 96, "%s", fam);
        } else if (!strncmp(l, "# HELP ", 7) || !strcmp(l, "# EOF")) {
        } else {
            /* sample: name{labels} value, name of the latest family (+ _total for counters) */
            size_t k = 0;
            while (isalnum((unsigned char)l[k]) || l[k] == '_' || l[k] == ':')
                k++;
            assert_true(k > 0);
            char name[96];
            snprintf(name, sizeof name, "%.*s", (int)k, l);
            assert_true(n_fam > 0);
            const char *fam = families[(n_fam - 1) % 128];
            size_t fl = strlen(fam);
            if (strncmp(name, fam, fl) || (name[fl] && strcmp(name + fl, "_total")))
                fail_msg("sample %s outside its family %s", name, fam);
            const char *v = strchr(l + k, ' ');
            if (l[k] == '{')
                v = strstr(l + k, "} ") ? strstr(l + k, "} ") + 1 : NULL;
            assert_non_null(v);
            char *end;
            strtod(v + 1, &end);
            assert_true(*end == '\0');
        }
        line = nl + 1;
    }
    assert_non_null(last);
    assert_string_equal(last, "# EOF\n");
}

static void test_metrics(void **st)
{
    (void)st;
    int port = ph_free_port();
    char cfg[128], *body;
    snprintf(cfg, sizeof cfg, "{\"port\": %d, \"queue\": 16}", port);
    sg_errinfo e = {0};
    sink *s = make_sink(cfg, &e);
    assert_non_null(s);
    assert_int_equal(curl(port, "GET", "/metrics", &body), 200); /* before any status */
    check_openmetrics(body);
    free(body);
    feed(s, status_msg, SINK_AFF_UNKNOWN);
    settle(s);
    assert_int_equal(curl(port, "GET", "/metrics", &body), 200);
    check_openmetrics(body);
    assert_true(metric(body, "skyguard_samples_processed_total") == 123456789012.0);
    assert_true(metric(body, "skyguard_samples_dropped_total") == 4096);
    assert_true(metric(body, "skyguard_feed_clients_refused_total") == 2);
    assert_true(metric(body, "skyguard_queue_depth") == 3);
    assert_true(metric(body, "skyguard_latency_ms{stat=\"pipeline_p99\"}") == 20.0);
    assert_true(metric(body, "skyguard_sensor_up{sensor=\"rf \\\"north\\\"\",state=\"ok\"}") == 1);
    assert_true(metric(body, "skyguard_sensor_up{sensor=\"cam-1\",state=\"degraded\"}") == 0);
    assert_true(metric(body, "skyguard_sensor_bursts_total{sensor=\"rf \\\"north\\\"\"}") == 7);
    assert_true(metric(body, "skyguard_sensor_frames_total{sensor=\"cam-1\"}") == 50);
    assert_true(metric(body, "skyguard_bridge_received_total") == 42);
    free(body);
    sink_destroy(s, 1);
}

/* sg_bridge with an http sink: its own counters (bridge and every sink) on /metrics. */
static void test_bridge_metrics(void **st)
{
    (void)st;
    int port = ph_free_port();
    char venue[320];
    snprintf(venue, sizeof venue, "%s/venue.json", ph_dir);
    FILE *f = fopen(venue, "w");
    assert_non_null(f);
    fprintf(f, "{\"version\": 1, \"site\": {\"name\": \"M\", \"origin\": {\"lat_deg\": 51.5, "
               "\"lon_deg\": -0.1, \"alt_m\": 45}}, \"sensors\": [{\"id\": \"rf-1\", \"kind\": "
               "\"rf\", \"position\": {\"lat_deg\": 51.5, \"lon_deg\": -0.1, \"alt_m\": 60}, "
               "\"adapter\": {\"type\": \"sigmf\", \"path\": \"x.sigmf-meta\"}}], \"outputs\": "
               "{\"feed\": {\"endpoint\": \"tcp://127.0.0.1:%d\", \"security\": {\"mode\": "
               "\"plaintext\"}}, \"http\": {\"port\": %d}, \"cot\": {\"udp\": {\"address\": "
               "\"127.0.0.1\", \"port\": 9}}}}\n", ph_free_port(), port);
    fclose(f);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int fo = open("/dev/null", O_WRONLY);
        if (fo < 0 || dup2(fo, 1) < 0 || dup2(fo, 2) < 0)
            _exit(99);
        execl(SG_BINARY_DIR "/sg_bridge", "sg_bridge", "-c", venue, (char *)NULL);
        _exit(98);
    }
    char *body = NULL;
    int code = 0;
    for (int i = 0; i < 100 && code != 200; i++) {
        usleep(50000);
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        bool up = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
        close(fd);
        if (up)
            code = curl(port, "GET", "/metrics", &body);
    }
    kill(pid, SIGTERM);
    int status;
    waitpid(pid, &status, 0);
    assert_int_equal(code, 200);
    check_openmetrics(body);
    assert_true(metric(body, "skyguard_bridge_received_total") == 0);
    assert_true(metric(body, "skyguard_sink_dropped_total{sink=\"cot\"}") == 0);
    assert_true(metric(body, "skyguard_sink_queue_depth{sink=\"http\"}") == 0);
    assert_true(metric(body, "skyguard_sink_connected{sink=\"cot\"}") == 1);
    free(body);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void test_config_errors(void **st)
{
    (void)st;
    int busy = ph_free_port();
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)busy),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof a), 0);
    listen(lfd, 1);
    char in_use[64];
    snprintf(in_use, sizeof in_use, "{\"port\": %d}", busy);
    const struct {
        const char *json, *needle;
    } bad[] = {
        {"{\"port\": 0}", "outputs.http.port"},
        {"{\"listen\": \"0.0.0.0\"}", "outputs.http.listen: 0.0.0.0 is not loopback"},
        {"{\"listen\": \"localhost\"}", "outputs.http.listen"},
        {"{\"lisen\": \"127.0.0.1\"}", "outputs.http.lisen: unknown key"},
        {"{\"expire_s\": 0}", "outputs.http.expire_s"},
        {in_use, "outputs.http.port: cannot listen"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sg_errinfo e = {0};
        sink *s = make_sink(bad[i].json, &e);
        expect_refused(s, &e, bad[i].json, bad[i].needle);
    }
    close(lfd);
}

int main(void)
{
    if (access(CURL, X_OK) != 0) {
        fprintf(stderr, "curl not installed: skipped\n");
        return 77;
    }
    snprintf(ph_dir, sizeof ph_dir, "%s/test_sink_http", SG_BINARY_DIR);
    mkdir(ph_dir, 0700);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_endpoints),
        cmocka_unit_test(test_metrics),
        cmocka_unit_test(test_bridge_metrics),
        cmocka_unit_test(test_config_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
