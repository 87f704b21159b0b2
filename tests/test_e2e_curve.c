/* A secured feed end to end: the daemon with outputs.feed.security in CURVE mode on a
 * loopback endpoint; a console whose key is on the allow-list receives
 * the encrypted feed, a client with an unknown key gets nothing and its attempt is
 * logged and counted in status. Keys come from the project's sg_keygen. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon_harness.h"
#include "feed_auth.h"

#define B SG_BINARY_DIR "/test_curve_e2e"

static void keygen(const char *name)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, SG_BINARY_DIR "/sg_keygen -f " B "/%s > /dev/null", name);
    assert_int_equal(system(cmd), 0);
}

static void read_pub(const char *name, char *out, size_t cap)
{
    char path[512];
    snprintf(path, sizeof path, B "/%s.pub", name);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char text[512];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    cJSON *j = cJSON_Parse(text); /* {"public": "<Z85>"} */
    assert_non_null(j);
    snprintf(out, cap, "%s", jstr(j, "public"));
    cJSON_Delete(j);
    assert_int_equal(strlen(out), 40);
}

static void test_curve_feed(void **state)
{
    (void)state;
    assert_int_equal(system("rm -rf " B " && mkdir -p " B), 0);
    keygen("server");
    keygen("console");
    keygen("intruder");
    char console_pub[128];
    read_pub("console", console_pub, sizeof console_pub);
    FILE *f = fopen(B "/venue.json", "w");
    assert_non_null(f);
    fprintf(f,
            "{\"version\": 1, \"site\": {\"name\": \"curve\", \"origin\": {\"lat_deg\": 51.556, "
            "\"lon_deg\": -0.2796, \"alt_m\": 87}},\n"
            " \"zones\": \"%s/testdata/zones/stadium.geojson\",\n"
            " \"signatures\": \"%s/config/signatures.json\",\n"
            " \"sensors\": [{\"id\": \"rf-1\", \"kind\": \"rf\", \"position\": {\"lat_deg\": "
            "51.5573, \"lon_deg\": -0.2796, \"alt_m\": 135}, \"adapter\": {\"type\": \"sigmf\", "
            "\"path\": \"%s/testdata/demo-stadium.sigmf-meta\"}, \"frontend\": {\"warmup_frames\": "
            "16, \"threshold_db\": 8}}],\n"
            " \"outputs\": {\"feed\": {\"security\": {\"mode\": \"curve\", "
            "\"server_secret_key_file\": \"server.key\", \"client_keys\": [\"%s\"]}}}}\n",
            SG_SOURCE_DIR, SG_SOURCE_DIR, SG_SOURCE_DIR, console_pub);
    fclose(f);

    char ep[256];
    static const char *const args[] = {"-c", B "/venue.json", "--linger", "1", NULL};
    pid_t pid = harness_start(B "/daemon.log", args, ep, sizeof ep);
    void *ctx = zmq_ctx_new();
    void *good = zmq_socket(ctx, ZMQ_SUB), *bad = zmq_socket(ctx, ZMQ_SUB);
    sg_errinfo e = {0};
    /* the intruder first: it must not be the subscriber that starts the replay */
    if (feed_auth_client_apply(bad, B "/server.pub", B "/intruder.key", &e))
        fail_msg("%s", e.msg);
    assert_int_equal(zmq_connect(bad, ep), 0);
    assert_int_equal(zmq_setsockopt(bad, ZMQ_SUBSCRIBE, "", 0), 0);
    usleep(300000);
    if (feed_auth_client_apply(good, B "/server.pub", B "/console.key", &e))
        fail_msg("%s", e.msg);
    int hwm = 200000;
    zmq_setsockopt(good, ZMQ_RCVHWM, &hwm, sizeof hwm);
    assert_int_equal(zmq_connect(good, ep), 0);
    assert_int_equal(zmq_setsockopt(good, ZMQ_SUBSCRIBE, "", 0), 0);
    msglist l = {0};
    int status = 0;
    harness_collect(good, pid, &l, &status, NULL, NULL, 0);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    /* the allowed console got the whole feed */
    size_t alerts = 0;
    for (size_t i = 0; i < l.n; i++)
        alerts += strcmp(jstr(l.msgs[i], "type"), "alert") == 0;
    const cJSON *st = msglist_last(&l, "status");
    assert_non_null(st);
    print_message("curve: %zu messages, %zu alerts to the console; %g clients refused\n", l.n,
                  alerts, jnum(st, "feed_clients_refused"));
    assert_true(alerts >= 3);
    assert_true(jnum(st, "feed_clients_refused") >= 1);
    /* the intruder got nothing, and its attempt is in the log with its key */
    char buf[1024];
    assert_true(zmq_recv(bad, buf, sizeof buf, ZMQ_DONTWAIT) < 0);
    char intruder_pub[128], needle[200];
    read_pub("intruder", intruder_pub, sizeof intruder_pub);
    snprintf(needle, sizeof needle, "refused client");
    assert_true(log_contains(B "/daemon.log", needle));
    assert_true(log_contains(B "/daemon.log", intruder_pub));
    assert_true(log_contains(B "/daemon.log", "CURVE-encrypted"));
    msglist_free(&l);
    zmq_close(good);
    zmq_close(bad);
    zmq_ctx_term(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_curve_feed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
