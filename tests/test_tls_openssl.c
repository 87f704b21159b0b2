/* TLS for the TCP sinks (adapters/sink_tls_openssl.c through sink_tcp), checked against a TLS
 * server written here with OpenSSL that requires a client certificate, as a TAK Server's
 * secure input does. Certificates are made by the openssl command at test time (a CA, a
 * server certificate for localhost, a client certificate). A CoT sink with the right CA
 * and client certificate delivers its events (the server sees the client's name); without
 * a client certificate, or trusting the wrong CA, the handshake fails and is counted, and
 * the sink never blocks. Invalid TLS settings are refused naming the key. */
#include <arpa/inet.h>
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
#include <unistd.h>

#include <cmocka.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "feed_msg.h"
#include "proc_harness.h"
#include "sink.h"
#include "sink_helpers.h"

typedef struct {
    SSL_CTX *ctx;
    int lfd, port;
    volatile int stop;
    pthread_t th;
    int handshakes_ok, handshakes_failed; /* atomics */
    char peer_cn[128];
    char data[1 << 16];
    size_t len;                           /* atomic-ish: written by the thread, read after */
} tls_server;

static void *serve(void *arg)
{
    tls_server *s = arg;
    while (!s->stop) {
        struct pollfd p = {s->lfd, POLLIN, 0};
        if (poll(&p, 1, 50) != 1)
            continue;
        int c = accept(s->lfd, NULL, NULL);
        if (c < 0)
            continue;
        SSL *ssl = SSL_new(s->ctx);
        SSL_set_fd(ssl, c);
        if (SSL_accept(ssl) != 1) {
            __atomic_add_fetch(&s->handshakes_failed, 1, __ATOMIC_RELEASE);
            ERR_clear_error();
        } else {
            X509 *peer = SSL_get1_peer_certificate(ssl);
            if (peer) {
                X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName,
                                          s->peer_cn, sizeof s->peer_cn);
                X509_free(peer);
            }
            __atomic_add_fetch(&s->handshakes_ok, 1, __ATOMIC_RELEASE);
            while (!s->stop) {
                struct pollfd q = {c, POLLIN, 0};
                if (SSL_pending(ssl) == 0 && poll(&q, 1, 50) != 1)
                    continue;
                int k = SSL_read(ssl, s->data + s->len, (int)(sizeof s->data - 1 - s->len));
                if (k <= 0)
                    break;
                __atomic_add_fetch(&s->len, (size_t)k, __ATOMIC_RELEASE);
            }
        }
        SSL_free(ssl);
        close(c);
    }
    return NULL;
}

static void sh(const char *cmd)
{
    char full[2048];
    snprintf(full, sizeof full, "cd '%s' && %s >/dev/null 2>&1", ph_dir, cmd);
    if (system(full) != 0)
        fail_msg("certificate step failed: %s", cmd);
}

static int setup(void **st)
{
    (void)st;
    snprintf(ph_dir, sizeof ph_dir, "%s/test_tls", SG_BINARY_DIR);
    mkdir(ph_dir, 0700);
    const char *ec = "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes";
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "openssl req -x509 %s -keyout ca.key -out ca.pem -days 2 "
             "-subj /CN=skyguard-test-ca", ec);
    sh(cmd);
    snprintf(cmd, sizeof cmd, "openssl req -x509 %s -keyout other-ca.key -out other-ca.pem "
             "-days 2 -subj /CN=another-ca", ec);
    sh(cmd);
    sh("printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n' > srv.ext");
    snprintf(cmd, sizeof cmd, "openssl req %s -keyout srv.key -out srv.csr -subj /CN=localhost",
             ec);
    sh(cmd);
    sh("openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out srv.pem "
       "-days 2 -extfile srv.ext");
    snprintf(cmd, sizeof cmd, "openssl req %s -keyout cli.key -out cli.csr "
             "-subj /CN=skyguard-bridge", ec);
    sh(cmd);
    sh("openssl x509 -req -in cli.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out cli.pem "
       "-days 2");
    return 0;
}

static void server_start(tls_server *s)
{
    memset(s, 0, sizeof *s);
    char p[600];
    s->ctx = SSL_CTX_new(TLS_server_method());
    snprintf(p, sizeof p, "%s/srv.pem", ph_dir);
    assert_int_equal(SSL_CTX_use_certificate_file(s->ctx, p, SSL_FILETYPE_PEM), 1);
    snprintf(p, sizeof p, "%s/srv.key", ph_dir);
    assert_int_equal(SSL_CTX_use_PrivateKey_file(s->ctx, p, SSL_FILETYPE_PEM), 1);
    snprintf(p, sizeof p, "%s/ca.pem", ph_dir);
    assert_int_equal(SSL_CTX_load_verify_locations(s->ctx, p, NULL), 1);
    SSL_CTX_set_verify(s->ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    s->lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    assert_int_equal(bind(s->lfd, (struct sockaddr *)&a, sizeof a), 0);
    listen(s->lfd, 4);
    getsockname(s->lfd, (struct sockaddr *)&a, &al);
    s->port = ntohs(a.sin_port);
    pthread_create(&s->th, NULL, serve, s);
}

static void server_stop(tls_server *s)
{
    s->stop = 1;
    pthread_join(s->th, NULL);
    close(s->lfd);
    SSL_CTX_free(s->ctx);
}

static sink *make_cot(int port, const char *tls, sg_errinfo *e)
{
    char cfg[1024];
    snprintf(cfg, sizeof cfg, "{\"tcp\": {\"host\": \"localhost\", \"port\": %d, "
             "\"reconnect_s\": 0.2, \"tls\": %s}}", port, tls);
    char venue[600];
    snprintf(venue, sizeof venue, "%s/venue.json", ph_dir); /* TLS paths are relative to it */
    sink_env env = {.site_name = "tls", .venue_path = venue};
    return sink_from_text(&sink_cot_ops, cfg, "venue.json: outputs.cot", &env, e);
}

static void push_track(sink *s)
{
    const char *f = "track.5 {\"v\":1,\"type\":\"track\",\"id\":5,\"status\":\"confirmed\","
                    "\"t\":1795386600.0,\"time\":\"2026-11-22T22:30:00.000Z\",\"lat\":51.5,"
                    "\"lon\":-0.1,\"alt_m\":100.0}";
    feed_msg m;
    sg_errinfo e = {0};
    assert_int_equal(feed_msg_parse(f, strlen(f), &m, &e), SG_OK);
    assert_int_equal(sink_on_track(s, &m, SINK_INFO(SINK_AFF_UNKNOWN), 0), SG_OK);
    feed_msg_free(&m);
}

static uint64_t extra(sink *s, const char *name)
{
    sink_stats st;
    sink_get_stats(s, &st);
    for (int i = 0; i < SINK_MAX_EXTRA && st.extra[i].name; i++)
        if (!strcmp(st.extra[i].name, name))
            return st.extra[i].value;
    return 0;
}

static void test_client_certificate(void **st)
{
    (void)st;
    tls_server srv;
    server_start(&srv);
    sg_errinfo e = {0};
    sink *s = make_cot(srv.port, "{\"ca_file\": \"ca.pem\", \"cert_file\": \"cli.pem\", "
                                 "\"key_file\": \"cli.key\"}", &e);
    if (!s)
        fail_msg("%s", e.msg);
    double end = ph_now() + 5;
    while (__atomic_load_n(&srv.handshakes_ok, __ATOMIC_ACQUIRE) == 0 && ph_now() < end)
        usleep(10000);
    assert_int_equal(srv.handshakes_ok, 1);
    usleep(50000);
    push_track(s);
    while (!strstr(srv.data, "</event>") && ph_now() < end)
        usleep(10000);
    assert_non_null(strstr(srv.data, "<event version=\"2.0\" uid=\"skyguard.tls.5\""));
    assert_string_equal(srv.peer_cn, "skyguard-bridge");
    sink_stats ss;
    sink_get_stats(s, &ss);
    assert_true(ss.connected);
    assert_int_equal(extra(s, "tls_failures"), 0);
    sink_destroy(s, 1);
    server_stop(&srv);
}

static void test_refused_handshakes(void **st)
{
    (void)st;
    tls_server srv;
    server_start(&srv);
    const char *bad[] = {
        "{\"ca_file\": \"ca.pem\"}",                     /* no client certificate */
        "{\"ca_file\": \"other-ca.pem\", \"cert_file\": \"cli.pem\", \"key_file\": \"cli.key\"}",
    };
    for (int i = 0; i < 2; i++) {
        sg_errinfo e = {0};
        sink *s = make_cot(srv.port, bad[i], &e);
        assert_non_null(s);
        double end = ph_now() + 5;
        while (extra(s, "tls_failures") == 0 && ph_now() < end)
            usleep(10000);
        assert_true(extra(s, "tls_failures") >= 1);
        push_track(s); /* not connected: refused at once and counted */
        sink_stats ss;
        do {
            usleep(5000);
            sink_get_stats(s, &ss);
        } while (ss.failed + ss.delivered < 1 && ph_now() < end);
        assert_false(ss.connected);
        assert_int_equal(ss.failed, 1);
        sink_destroy(s, 0);
    }
    assert_int_equal(srv.handshakes_ok, 0);
    server_stop(&srv);
}

static void test_config_errors(void **st)
{
    (void)st;
    const struct {
        const char *tls, *needle;
    } bad[] = {
        {"{}", "outputs.cot.tcp.tls.ca_file"},
        {"{\"ca_file\": \"missing.pem\"}", "outputs.cot.tcp.tls.ca_file"},
        {"{\"ca_file\": \"ca.pem\", \"cert_file\": \"cli.pem\"}", "cert_file and key_file go"},
        {"{\"ca_file\": \"ca.pem\", \"cert_file\": \"cli.pem\", \"key_file\": \"srv.key\"}",
         "outputs.cot.tcp.tls.key_file"},
        {"{\"ca_file\": \"ca.pem\", \"verify\": false}", "outputs.cot.tcp.tls.verify: unknown key"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sg_errinfo e = {0};
        sink *s = make_cot(1, bad[i].tls, &e);
        if (s)
            fail_msg("accepted %s", bad[i].tls);
        if (!strstr(e.msg, bad[i].needle))
            fail_msg("%s: message \"%s\" lacks \"%s\"", bad[i].tls, e.msg, bad[i].needle);
    }
}

int main(void)
{
    if (access("/usr/bin/openssl", X_OK) != 0) {
        fprintf(stderr, "openssl command not installed: skipped\n");
        return 77;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_client_certificate),
        cmocka_unit_test(test_refused_handshakes),
        cmocka_unit_test(test_config_errors),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
