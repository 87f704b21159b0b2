/* Alert hooks (adapters/sink_webhook_curl.c, sink_exec.c, sink_hook.c) against independent
 * receivers: a loopback HTTP server written here (POST, JSON body, status scripted per
 * request) for the webhook — delivery, retries with doubling back-off on 503 and on a
 * refused connection, no retry on 400, the rate limit, the severity/state filter — and a
 * shell script for the exec hook — the alert JSON on stdin, the SKYGUARD_* environment, a
 * non-zero exit and a timeout that kills the command. Every invalid configuration refused. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "feed_msg.h"
#include "sg_json.h"
#include "sink.h"
#include "sink_helpers.h"

static char dir[256];

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* ---- a scripted HTTP receiver ---------------------------------------------------------- */

#define MAX_REQ 16
typedef struct {
    int lfd, port;
    int statuses[MAX_REQ]; /* reply per request; 0 ends the script (then 200) */
    int n;                 /* requests served */
    double at[MAX_REQ];    /* s monotonic */
    char method[MAX_REQ][8], ctype[MAX_REQ][64], body[MAX_REQ][2048];
    volatile int stop;
    pthread_t th;
} receiver;

static void *serve(void *arg)
{
    receiver *r = arg;
    while (!r->stop) {
        struct pollfd p = {r->lfd, POLLIN, 0};
        if (poll(&p, 1, 50) != 1)
            continue;
        int c = accept(r->lfd, NULL, NULL);
        if (c < 0)
            continue;
        char buf[8192];
        size_t len = 0;
        char *hdr_end = NULL;
        long clen = -1;
        double end = mono() + 3;
        while (mono() < end && len < sizeof buf - 1) {
            struct pollfd q = {c, POLLIN, 0};
            if (poll(&q, 1, 50) != 1)
                continue;
            ssize_t k = recv(c, buf + len, sizeof buf - 1 - len, 0);
            if (k <= 0)
                break;
            len += (size_t)k;
            buf[len] = '\0';
            if (!hdr_end && (hdr_end = strstr(buf, "\r\n\r\n"))) {
                const char *cl = strstr(buf, "Content-Length:");
                clen = cl ? strtol(cl + 15, NULL, 10) : 0;
            }
            if (hdr_end && (long)(len - (size_t)(hdr_end + 4 - buf)) >= clen)
                break;
        }
        int i = r->n < MAX_REQ ? r->n : MAX_REQ - 1;
        r->at[i] = mono();
        sscanf(buf, "%7s", r->method[i]);
        const char *ct = strstr(buf, "Content-Type:");
        if (ct)
            sscanf(ct + 13, " %63[^\r\n]", r->ctype[i]);
        if (hdr_end)
            snprintf(r->body[i], sizeof r->body[i], "%s", hdr_end + 4);
        int st = r->statuses[i] ? r->statuses[i] : 200;
        char resp[128];
        int n = snprintf(resp, sizeof resp, "HTTP/1.1 %d X\r\nContent-Length: 0\r\nConnection: "
                         "close\r\n\r\n", st);
        send(c, resp, (size_t)n, MSG_NOSIGNAL);
        close(c);
        __atomic_add_fetch(&r->n, 1, __ATOMIC_RELEASE);
    }
    return NULL;
}

static void receiver_start(receiver *r, const int *script)
{
    memset(r, 0, sizeof *r);
    for (int i = 0; script && script[i] && i < MAX_REQ; i++)
        r->statuses[i] = script[i];
    r->lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    assert_int_equal(bind(r->lfd, (struct sockaddr *)&a, sizeof a), 0);
    listen(r->lfd, 8);
    getsockname(r->lfd, (struct sockaddr *)&a, &al);
    r->port = ntohs(a.sin_port);
    pthread_create(&r->th, NULL, serve, r);
}

static void receiver_stop(receiver *r)
{
    r->stop = 1;
    pthread_join(r->th, NULL);
    close(r->lfd);
}

/* ---- helpers ------------------------------------------------------------------------------ */

static sink *make(const sink_ops *ops, const char *json, sg_errinfo *e)
{
    static sink_env env = {.site_name = "t", .venue_path = "/nonexistent/venue.json"};
    return sink_from_text(ops, json, "venue.json: outputs.hook", &env, e);
}

static void alert(sink *s, unsigned id, const char *state, const char *severity)
{
    char f[512];
    snprintf(f, sizeof f, "alert.%s.pitch {\"v\":1,\"type\":\"alert\",\"id\":%u,\"state\":\"%s\","
             "\"severity\":\"%s\",\"t\":1795386601.0,\"time\":\"2026-11-22T22:30:01.000Z\","
             "\"track_id\":17,\"zone\":\"pitch\",\"identity\":\"X1\"}", severity, id, state,
             severity);
    feed_msg m;
    sg_errinfo e = {0};
    if (feed_msg_parse(f, strlen(f), &m, &e) != SG_OK)
        fail_msg("%s", e.msg);
    assert_int_equal(sink_on_alert(s, &m, 0), SG_OK);
    feed_msg_free(&m);
}

static sink_stats settle(sink *s, double max_s)
{
    sink_stats st;
    double end = mono() + max_s;
    do {
        usleep(5000);
        sink_get_stats(s, &st);
    } while (st.delivered + st.failed < st.accepted && mono() < end);
    assert_int_equal(st.delivered + st.failed, st.accepted);
    return st;
}

static uint64_t extra(const sink_stats *st, const char *name)
{
    for (int i = 0; i < SINK_MAX_EXTRA && st->extra[i].name; i++)
        if (!strcmp(st->extra[i].name, name))
            return st->extra[i].value;
    fail_msg("no counter %s", name);
    return 0;
}

/* ---- webhook ------------------------------------------------------------------------------- */

static void test_webhook_delivery_and_retries(void **st)
{
    (void)st;
    receiver r;
    const int script[] = {503, 503, 200, 400, 0};
    receiver_start(&r, script);
    char cfg[256];
    snprintf(cfg, sizeof cfg, "{\"url\": \"http://127.0.0.1:%d/hook\", \"backoff_s\": 0.1, "
             "\"retries\": 3, \"burst\": 10}", r.port);
    sg_errinfo e = {0};
    sink *s = make(&sink_webhook_ops, cfg, &e);
    if (!s)
        fail_msg("%s", e.msg);
    alert(s, 3, "raised", "critical");   /* 503, 503, then 200: delivered after 2 retries */
    sink_stats ss = settle(s, 5);
    assert_int_equal(ss.delivered, 1);
    assert_int_equal(r.n, 3);
    for (int i = 0; i < 3; i++) {
        assert_string_equal(r.method[i], "POST");
        assert_string_equal(r.ctype[i], "application/json");
        cJSON *j = cJSON_Parse(r.body[i]);
        if (!j)
            fail_msg("body not JSON: %s", r.body[i]);
        assert_int_equal(cJSON_GetObjectItem(j, "id")->valueint, 3);
        assert_string_equal(cJSON_GetObjectItem(j, "zone")->valuestring, "pitch");
        cJSON_Delete(j);
    }
    /* doubling back-off: 0.1 s then 0.2 s between attempts */
    double g1 = r.at[1] - r.at[0], g2 = r.at[2] - r.at[1];
    if (!(g1 >= 0.09 && g2 >= 0.19 && g2 > g1 * 1.5))
        fail_msg("back-off gaps %.3f s, %.3f s; want >= 0.1, >= 0.2 and doubling", g1, g2);
    assert_int_equal(extra(&ss, "retries"), 2);

    alert(s, 4, "raised", "alert");      /* 400: a client error is not retried */
    ss = settle(s, 5);
    assert_int_equal(r.n, 4);
    assert_int_equal(ss.failed, 1);
    assert_int_equal(extra(&ss, "gave_up"), 1);
    assert_false(ss.connected);

    /* filtered: below min_severity (warning), or a state not asked for (updated) */
    alert(s, 5, "raised", "info");
    alert(s, 3, "updated", "critical");
    ss = settle(s, 5);
    assert_int_equal(r.n, 4);
    assert_int_equal(extra(&ss, "filtered"), 2);
    sink_destroy(s, 1);
    receiver_stop(&r);
}

static void test_webhook_down_and_rate_limit(void **st)
{
    (void)st;
    receiver r;
    receiver_start(&r, NULL);
    int port = r.port;
    char cfg[256];
    /* nothing listens on port+... : use a closed port for the down case */
    receiver_stop(&r);
    snprintf(cfg, sizeof cfg, "{\"url\": \"http://127.0.0.1:%d/\", \"backoff_s\": 0.05, "
             "\"retries\": 2, \"timeout_s\": 1}", port);
    sg_errinfo e = {0};
    sink *s = make(&sink_webhook_ops, cfg, &e);
    assert_non_null(s);
    alert(s, 1, "raised", "critical");
    sink_stats ss = settle(s, 5);
    assert_int_equal(ss.failed, 1);
    assert_int_equal(extra(&ss, "posts"), 3); /* first try + 2 retries, all refused */
    sink_destroy(s, 0);

    receiver_start(&r, NULL);
    snprintf(cfg, sizeof cfg, "{\"url\": \"http://127.0.0.1:%d/\", \"rate_per_min\": 0.01, "
             "\"burst\": 2}", r.port);
    s = make(&sink_webhook_ops, cfg, &e);
    assert_non_null(s);
    for (unsigned i = 0; i < 5; i++)
        alert(s, 10 + i, "raised", "warning");
    ss = settle(s, 5);
    assert_int_equal(ss.delivered, 2);
    assert_int_equal(extra(&ss, "rate_limited"), 3);
    assert_int_equal(ss.failed, 3);
    assert_int_equal(r.n, 2);
    sink_destroy(s, 1);
    receiver_stop(&r);
}

/* ---- exec ------------------------------------------------------------------------------------ */

static void write_script(const char *name, const char *body)
{
    char p[320];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fprintf(f, "#!/bin/sh\n%s", body);
    fclose(f);
    chmod(p, 0700);
}

static void test_exec_hook(void **st)
{
    (void)st;
    char body[512], cfg[512];
    snprintf(body, sizeof body,
             "cat > %s/stdin.$SKYGUARD_ALERT_ID\n"
             "echo \"$SKYGUARD_STATE $SKYGUARD_SEVERITY $SKYGUARD_ZONE $SKYGUARD_TRACK_ID $1\" "
             "> %s/env.$SKYGUARD_ALERT_ID\n"
             "[ \"$SKYGUARD_ALERT_ID\" != 9 ]\n", dir, dir);
    write_script("hook.sh", body);
    snprintf(cfg, sizeof cfg, "{\"command\": [\"%s/hook.sh\", \"arg one\"], \"states\": "
             "[\"raised\", \"cleared\"]}", dir);
    sg_errinfo e = {0};
    sink *s = make(&sink_exec_ops, cfg, &e);
    if (!s)
        fail_msg("%s", e.msg);
    alert(s, 7, "raised", "critical");
    alert(s, 9, "cleared", "alert"); /* the script exits 1 for id 9 */
    sink_stats ss = settle(s, 5);
    assert_int_equal(ss.delivered, 1);
    assert_int_equal(ss.failed, 1);
    assert_int_equal(extra(&ss, "exit_errors"), 1);
    char p[320], *text;
    snprintf(p, sizeof p, "%s/stdin.7", dir);
    assert_int_equal(sg_read_file(p, 1 << 16, &text, NULL, &e), SG_OK);
    cJSON *j = cJSON_Parse(text);
    assert_non_null(j);
    assert_int_equal(cJSON_GetObjectItem(j, "id")->valueint, 7);
    assert_string_equal(cJSON_GetObjectItem(j, "identity")->valuestring, "X1");
    cJSON_Delete(j);
    free(text);
    snprintf(p, sizeof p, "%s/env.9", dir);
    assert_int_equal(sg_read_file(p, 1 << 16, &text, NULL, &e), SG_OK);
    assert_string_equal(text, "cleared alert pitch 17 arg one\n");
    free(text);
    sink_destroy(s, 1);

    /* a command that hangs is killed at the timeout, with its children */
    write_script("slow.sh", "sleep 30 &\nsleep 30\n");
    snprintf(cfg, sizeof cfg, "{\"command\": [\"%s/slow.sh\"], \"timeout_s\": 0.2}", dir);
    s = make(&sink_exec_ops, cfg, &e);
    assert_non_null(s);
    double t0 = mono();
    alert(s, 8, "raised", "critical");
    ss = settle(s, 5);
    assert_true(mono() - t0 < 3);
    assert_int_equal(extra(&ss, "timeouts"), 1);
    assert_int_equal(ss.failed, 1);
    sink_destroy(s, 0);
}

static void test_config_errors(void **st)
{
    (void)st;
    char missing[320], ok_cmd[320];
    snprintf(missing, sizeof missing, "{\"command\": [\"%s/nope.sh\"]}", dir);
    write_script("ok.sh", "exit 0\n");
    snprintf(ok_cmd, sizeof ok_cmd, "{\"command\": [\"%s/ok.sh\"], \"states\": [\"gone\"]}", dir);
    const struct {
        const sink_ops *ops;
        const char *json, *needle;
    } bad[] = {
        {&sink_webhook_ops, "{}", "outputs.hook.url"},
        {&sink_webhook_ops, "{\"url\": \"ftp://x/\"}", "outputs.hook.url"},
        {&sink_webhook_ops, "{\"url\": \"http://x/\", \"retries\": 11}", "outputs.hook.retries"},
        {&sink_webhook_ops, "{\"url\": \"http://x/\", \"backoff_s\": 0}", "outputs.hook.backoff_s"},
        {&sink_webhook_ops, "{\"url\": \"http://x/\", \"min_severity\": \"high\"}",
         "outputs.hook.min_severity"},
        {&sink_webhook_ops, "{\"url\": \"http://x/\", \"states\": []}", "outputs.hook.states"},
        {&sink_webhook_ops, "{\"url\": \"http://x/\", \"rate_per_min\": 0}",
         "outputs.hook.rate_per_min"},
        {&sink_webhook_ops, "{\"url\": \"http://x/\", \"burst\": 0.5}", "outputs.hook.burst"},
        {&sink_webhook_ops, "{\"url\": \"http://x/\", \"method\": \"PUT\"}",
         "outputs.hook.method: unknown key"},
        {&sink_exec_ops, "{}", "outputs.hook.command"},
        {&sink_exec_ops, "{\"command\": []}", "outputs.hook.command"},
        {&sink_exec_ops, "{\"command\": [\"alarm.sh\"]}", "outputs.hook.command[0]: \"alarm.sh\" "
                                                          "must be an absolute path"},
        {&sink_exec_ops, "{\"command\": [\"/bin/true\", 5]}", "outputs.hook.command[1]"},
        {&sink_exec_ops, missing, "outputs.hook.command[0]"},
        {&sink_exec_ops, ok_cmd, "outputs.hook.states[0]"},
        {&sink_exec_ops, "{\"command\": [\"/bin/true\"], \"timeout_s\": 0}",
         "outputs.hook.timeout_s"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sg_errinfo e = {0};
        sink *s = make(bad[i].ops, bad[i].json, &e);
        expect_refused(s, &e, bad[i].json, bad[i].needle);
    }
}

int main(void)
{
    snprintf(dir, sizeof dir, "%s/test_hooks", SG_BINARY_DIR);
    mkdir(dir, 0700);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_webhook_delivery_and_retries),
        cmocka_unit_test(test_webhook_down_and_rate_limit),
        cmocka_unit_test(test_exec_hook),
        cmocka_unit_test(test_config_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
