/* Tests for the sg_web binary (the operator map server) against a test publisher:
 * the picture reaches /api/snapshot and the event stream (venue first, then the
 * snapshot), malformed frames are counted, every response carries the CSP without
 * inline scripts, acknowledgements need a JSON body from our own origin, static
 * paths cannot leave the web root; a login (token file) guards everything but the
 * login form; exposure off loopback is refused without TLS and a login; HTTPS with a
 * self-signed certificate (when openssl and curl are installed); local tiles and a tile
 * URL in the CSP; and the feed over CURVE with an allow-listed key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "file_helpers.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "feed_auth.h"
#include "sg_json.h"

#define WEB SG_BINARY_DIR "/sg_web"
#define VENUE SG_SOURCE_DIR "/config/default-venue.json"
#define DIR_ SG_BINARY_DIR "/test_sg_web.d"

static const char *const frames[] = {
    "track.1 {\"v\":1,\"type\":\"track\",\"id\":1,\"status\":\"confirmed\",\"t\":1784572200.5,"
    "\"time\":\"2026-07-20T18:30:00.500Z\",\"lat\":51.5627,\"lon\":-0.29035,\"alt_m\":187,"
    "\"course_deg\":135,\"speed_mps\":20,\"identity\":\"1581F5FJB23A0417\"}",
    "track.2 {\"v\":1,\"type\":\"track\",\"id\":2,\"status\":\"confirmed\",\"t\":1784572200.5,"
    "\"time\":\"2026-07-20T18:30:00.500Z\",\"lat\":51.5563,\"lon\":-0.2787,\"alt_m\":147,"
    "\"identity\":\"1581F4QDE2270001\"}",
    "alert.critical.stadium-critical {\"v\":1,\"type\":\"alert\",\"id\":3,\"state\":\"raised\","
    "\"severity\":\"critical\",\"t\":1784572201,\"time\":\"2026-07-20T18:30:01.000Z\","
    "\"track_id\":1,\"zone\":\"stadium-critical\",\"ttb_s\":29.8,\"ttb_sd_s\":1.5}",
    "track.9 {\"v\":1,\"type\":\"track\",\"id\":9}",
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Starts sg_web with args; waits for its "map on" line. Returns the pid; *port gets
 * the HTTP port. */
static pid_t start_web(const char *const *args, int *port)
{
    const char *argv[32];
    int n = 0;
    argv[n++] = WEB;
    for (int i = 0; args[i] && n < 30; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    unlink(DIR_ "/web.out");
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (!freopen(DIR_ "/web.out", "w", stdout) || !freopen(DIR_ "/web.err", "w", stderr))
            _exit(120);
        execv(WEB, (char *const *)argv);
        _exit(121);
    }
    for (int i = 0; i < 1000; i++) {
        char *text = NULL;
        if (sg_read_file(DIR_ "/web.out", 1 << 16, &text, NULL, NULL) == SG_OK) {
            char *p = strstr(text, "map on http");
            if (p && (p = strstr(p, "://")) && (p = strchr(p + 3, ':'))) {
                *port = atoi(p + 1);
                free(text);
                return pid;
            }
            free(text);
        }
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid)
            fail_msg("sg_web exited early (status %d, see %s/web.err)", st, DIR_);
        usleep(10000);
    }
    kill(pid, SIGKILL);
    fail_msg("sg_web did not start");
    return -1;
}

static void stop_web(pid_t pid)
{
    int st;
    kill(pid, SIGTERM);
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* Runs sg_web expecting it to refuse to start; returns its exit code, stderr in err. */
static int run_fail(const char *const *args, char **err)
{
    const char *argv[32];
    int n = 0;
    argv[n++] = WEB;
    for (int i = 0; args[i] && n < 30; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (!freopen(DIR_ "/fail.err", "w", stderr) || !freopen("/dev/null", "w", stdout))
            _exit(120);
        execv(WEB, (char *const *)argv);
        _exit(121);
    }
    int st;
    double t0 = now_s();
    while (waitpid(pid, &st, WNOHANG) != pid) {
        if (now_s() - t0 > 10) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            fail_msg("sg_web did not refuse (still running)");
        }
        usleep(10000);
    }
    assert_int_equal(sg_read_file(DIR_ "/fail.err", 1 << 16, err, NULL, NULL), SG_OK);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* One HTTP/1.1 request on 127.0.0.1:port; the whole response in *resp. Returns the
 * status code. extra: header lines ending in \r\n, or NULL. */
static int http(int port, const char *method, const char *path, const char *extra,
                const char *body, char **resp)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(s >= 0);
    struct timeval tv = {5, 0};
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(s, (struct sockaddr *)&a, sizeof a), 0);
    char req[8192];
    int n = snprintf(req, sizeof req, "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n"
                     "%sContent-Length: %zu\r\n\r\n%s", method, path, port, extra ? extra : "",
                     body ? strlen(body) : 0, body ? body : "");
    assert_int_equal(send(s, req, (size_t)n, 0), n);
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    ssize_t k;
    while ((k = recv(s, buf + len, cap - len - 1, 0)) > 0) {
        len += (size_t)k;
        if (len + 1 == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
    }
    buf[len] = '\0';
    close(s);
    int code = 0;
    sscanf(buf, "HTTP/1.%*d %d", &code);
    *resp = buf;
    return code;
}

static const char *body_of(const char *resp)
{
    const char *b = strstr(resp, "\r\n\r\n");
    return b ? b + 4 : "";
}

/* Publishes the test frames until the picture shows both tracks and the alert. */
static cJSON *publish_until_seen(void *pub, int port, const char *cookie)
{
    double t0 = now_s();
    char hdr[256] = "";
    if (cookie)
        snprintf(hdr, sizeof hdr, "Cookie: %s\r\n", cookie);
    while (now_s() - t0 < 15) {
        for (size_t i = 0; i < sizeof frames / sizeof frames[0]; i++)
            zmq_send(pub, frames[i], strlen(frames[i]), 0);
        usleep(100000);
        char *r;
        assert_int_equal(http(port, "GET", "/api/snapshot", hdr, NULL, &r), 200);
        cJSON *j = cJSON_Parse(body_of(r));
        free(r);
        assert_non_null(j);
        if (cJSON_GetArraySize(cJSON_GetObjectItem(j, "tracks")) == 2 &&
            cJSON_GetArraySize(cJSON_GetObjectItem(j, "alerts")) == 1)
            return j;
        cJSON_Delete(j);
    }
    fail_msg("the published picture never reached /api/snapshot");
    return NULL;
}

/* A test publisher on an ephemeral loopback port; CURVE with a's allow-list if a. */
static void *make_pub(void *ctx, feed_auth *a, char *ep, size_t cap)
{
    void *pub = zmq_socket(ctx, ZMQ_PUB);
    int linger = 0;
    sg_errinfo e = {0};
    zmq_setsockopt(pub, ZMQ_LINGER, &linger, sizeof linger);
    if (a)
        assert_int_equal(feed_auth_apply(a, pub, "tcp://127.0.0.1:*", &e), SG_OK);
    assert_int_equal(zmq_bind(pub, "tcp://127.0.0.1:*"), 0);
    assert_int_equal(zmq_getsockopt(pub, ZMQ_LAST_ENDPOINT, ep, &cap), 0);
    return pub;
}

static void test_plaintext_picture_stream_ack(void **state)
{
    (void)state;
    void *ctx = zmq_ctx_new();
    char ep[128];
    void *pub = make_pub(ctx, NULL, ep, sizeof ep);
    int port;
    const char *args[] = {"-c", VENUE, "--plaintext", "--listen", "127.0.0.1:0", ep, NULL};
    pid_t pid = start_web(args, &port);
    cJSON *snap = publish_until_seen(pub, port, NULL);
    const cJSON *t;
    int allow = 0;
    cJSON_ArrayForEach(t, cJSON_GetObjectItem(snap, "tracks"))
    if (cJSON_IsTrue(cJSON_GetObjectItem(t, "allow_listed")))
        allow = cJSON_GetObjectItem(t, "id")->valueint;
    assert_int_equal(allow, 2); /* the venue's own drone, from the venue's allow-list */
    const cJSON *feed = cJSON_GetObjectItem(snap, "feed");
    assert_true(cJSON_GetObjectItem(feed, "malformed")->valuedouble >= 1); /* track.9 */
    assert_non_null(strstr(cJSON_GetStringValue(cJSON_GetObjectItem(feed, "last_error")), "track.9"));
    cJSON_Delete(snap);

    char *r;
    assert_int_equal(http(port, "GET", "/", NULL, NULL, &r), 200);
    assert_non_null(strstr(r, "Content-Security-Policy: default-src 'none'; script-src 'self';"));
    assert_null(strstr(r, "unsafe-inline"));
    assert_null(strstr(body_of(r), "<script>")); /* no inline script in the page */
    assert_non_null(strstr(r, "X-Content-Type-Options: nosniff"));
    free(r);
    assert_int_equal(http(port, "GET", "/vendor/leaflet/leaflet.js", NULL, NULL, &r), 200);
    free(r);
    static const char *const bad_paths[] = {"/../CMakeLists.txt", "/%2e%2e/CMakeLists.txt",
                                            "/vendor/leaflet/../../../../CMakeLists.txt",
                                            "/.gitignore", "/package.json.bak", "/tiles/1/2/3.png",
                                            "/vendor/leaflet/.hidden.js"};
    for (size_t i = 0; i < sizeof bad_paths / sizeof bad_paths[0]; i++) {
        if (http(port, "GET", bad_paths[i], NULL, NULL, &r) != 404)
            fail_msg("%s was served", bad_paths[i]);
        free(r);
    }
    assert_int_equal(http(port, "DELETE", "/", NULL, NULL, &r), 405);
    free(r);

    /* the event stream: venue, then the snapshot, at once */
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct timeval tv = {5, 0};
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(s, (struct sockaddr *)&a, sizeof a), 0);
    const char *req = "GET /events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n";
    assert_true(send(s, req, strlen(req), 0) > 0);
    static char sse[1 << 18];
    size_t len = 0;
    double t0 = now_s();
    while (now_s() - t0 < 5 && !strstr(sse, "1581F4QDE2270001")) {
        ssize_t k = recv(s, sse + len, sizeof sse - len - 1, 0);
        if (k <= 0)
            break;
        len += (size_t)k;
        sse[len] = '\0';
    }
    close(s);
    assert_non_null(strstr(sse, "Content-Type: text/event-stream"));
    char *v = strstr(sse, "event: venue\ndata: "), *sn = strstr(sse, "event: snapshot\ndata: ");
    assert_non_null(v);
    assert_non_null(sn);
    assert_true(v < sn);
    assert_non_null(strstr(v, "\"time_zone\":\"Europe/London\""));
    assert_non_null(strstr(v, "stadium-critical"));

    /* acknowledgements: JSON only, same origin only, known alerts only */
    const char *json = "Content-Type: application/json\r\n";
    assert_int_equal(http(port, "POST", "/api/ack", "Content-Type: text/plain\r\n", "{\"id\":3}", &r), 415);
    free(r);
    assert_int_equal(http(port, "POST", "/api/ack",
                          "Content-Type: application/json\r\nOrigin: http://evil.example\r\n",
                          "{\"id\":3}", &r), 403);
    free(r);
    assert_int_equal(http(port, "POST", "/api/ack", json, "{\"id\":99}", &r), 404);
    free(r);
    assert_int_equal(http(port, "POST", "/api/ack", json, "{\"id\":\"3\"}", &r), 400);
    free(r);
    assert_int_equal(http(port, "POST", "/api/ack", json, "{\"id\":3,\"by\":\"duty <officer>\"}", &r), 200);
    free(r);
    assert_int_equal(http(port, "GET", "/api/snapshot", NULL, NULL, &r), 200);
    assert_non_null(strstr(body_of(r), "\"ack\":{\"by\":\"duty officer\""));
    free(r);
    stop_web(pid);
    zmq_close(pub);
    zmq_ctx_term(ctx);
}

static void test_login(void **state)
{
    (void)state;
    const char *tok = DIR_ "/token";
    write_mode_file(tok, "s3cret-token-for-tests\n", 0600);
    void *ctx = zmq_ctx_new();
    char ep[128];
    void *pub = make_pub(ctx, NULL, ep, sizeof ep);
    int port;
    const char *args[] = {"-c", VENUE, "--plaintext", "--listen", "127.0.0.1:0",
                          "--token-file", tok, ep, NULL};
    pid_t pid = start_web(args, &port);
    char *r;
    assert_int_equal(http(port, "GET", "/", NULL, NULL, &r), 303);
    assert_non_null(strstr(r, "Location: /login"));
    free(r);
    assert_int_equal(http(port, "GET", "/api/snapshot", NULL, NULL, &r), 401);
    free(r);
    assert_int_equal(http(port, "GET", "/events", NULL, NULL, &r), 401);
    free(r);
    assert_int_equal(http(port, "GET", "/app.js", NULL, NULL, &r), 401);
    free(r);
    assert_int_equal(http(port, "GET", "/login", NULL, NULL, &r), 200);
    assert_non_null(strstr(r, "name=\"token\""));
    assert_null(strstr(r, "s3cret")); /* the secret never reaches a browser */
    free(r);
    assert_int_equal(http(port, "GET", "/login.js", NULL, NULL, &r), 200); /* the form's script */
    free(r);
    const char *form = "Content-Type: application/x-www-form-urlencoded\r\n";
    assert_int_equal(http(port, "POST", "/login", form, "token=wrong-token-guess&name=x", &r), 303);
    assert_non_null(strstr(r, "Location: /login?failed=1"));
    assert_null(strstr(r, "Set-Cookie"));
    free(r);
    assert_int_equal(http(port, "POST", "/login", form, "name=Duty+Lead&token=s3cret-token-for-tests", &r), 303);
    char *c = strstr(r, "Set-Cookie: sg_session=");
    assert_non_null(c);
    assert_non_null(strstr(c, "HttpOnly; SameSite=Strict"));
    char cookie[128];
    snprintf(cookie, sizeof cookie, "%.*s", (int)strcspn(c + 12, ";"), c + 12);
    free(r);
    cJSON *snap = publish_until_seen(pub, port, cookie);
    cJSON_Delete(snap);
    char hdr[256];
    snprintf(hdr, sizeof hdr, "Cookie: %s\r\nContent-Type: application/json\r\n", cookie);
    assert_int_equal(http(port, "POST", "/api/ack", hdr, "{\"id\":3,\"by\":\"someone\"}", &r), 200);
    free(r);
    snprintf(hdr, sizeof hdr, "Cookie: %s\r\n", cookie);
    assert_int_equal(http(port, "GET", "/api/snapshot", hdr, NULL, &r), 200);
    assert_non_null(strstr(body_of(r), "\"by\":\"Duty Lead\"")); /* the session's name wins */
    free(r);
    assert_int_equal(http(port, "POST", "/logout", hdr, "", &r), 303);
    free(r);
    assert_int_equal(http(port, "GET", "/api/snapshot", hdr, NULL, &r), 401);
    free(r);
    stop_web(pid);
    zmq_close(pub);
    zmq_ctx_term(ctx);
}

static void test_refusals(void **state)
{
    (void)state;
    const char *tok = DIR_ "/token";
    write_mode_file(tok, "s3cret-token-for-tests\n", 0600);
    char *err;
    const char *exposed[] = {"-c", VENUE, "--plaintext", "--listen", "0.0.0.0:0",
                             "tcp://127.0.0.1:1", NULL};
    assert_int_equal(run_fail(exposed, &err), 1);
    assert_non_null(strstr(err, "not loopback: refusing to serve the map without TLS and a login"));
    free(err);
    const char *no_tls[] = {"-c", VENUE, "--plaintext", "--listen", "0.0.0.0:0", "--token-file",
                            tok, "tcp://127.0.0.1:1", NULL};
    assert_int_equal(run_fail(no_tls, &err), 1);
    assert_non_null(strstr(err, "not loopback"));
    free(err);
    const char *name[] = {"-c", VENUE, "--plaintext", "--listen", "localhost:8080",
                          "tcp://127.0.0.1:1", NULL};
    assert_int_equal(run_fail(name, &err), 1);
    assert_non_null(strstr(err, "names are not accepted"));
    free(err);
    write_mode_file(tok, "s3cret-token-for-tests\n", 0644);
    const char *open_tok[] = {"-c", VENUE, "--plaintext", "--listen", "127.0.0.1:0",
                              "--token-file", tok, "tcp://127.0.0.1:1", NULL};
    assert_int_equal(run_fail(open_tok, &err), 1);
    assert_non_null(strstr(err, "chmod 600"));
    free(err);
    const char *plain_off[] = {"-c", VENUE, "--plaintext", "tcp://10.1.2.3:5556", NULL};
    assert_int_equal(run_fail(plain_off, &err), 1);
    assert_non_null(strstr(err, "refusing plaintext off loopback"));
    free(err);
    const char *usage[] = {"-c", VENUE, "tcp://127.0.0.1:1", NULL};
    assert_int_equal(run_fail(usage, &err), 2);
    free(err);
}

static void test_tls(void **state)
{
    (void)state;
    if (system("command -v openssl >/dev/null && command -v curl >/dev/null") != 0) {
        print_message("skip: openssl or curl not installed\n");
        return;
    }
    const char *tok = DIR_ "/token";
    write_mode_file(tok, "s3cret-token-for-tests\n", 0600);
    assert_int_equal(system("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
                            "-nodes -days 1 -subj /CN=127.0.0.1 -keyout " DIR_ "/tls.key -out "
                            DIR_ "/tls.crt 2>/dev/null && chmod 600 " DIR_ "/tls.key"), 0);
    int port;
    const char *args[] = {"-c", VENUE, "--plaintext", "--listen", "0.0.0.0:0", "--token-file",
                          tok, "--tls-cert", DIR_ "/tls.crt", "--tls-key", DIR_ "/tls.key",
                          "tcp://127.0.0.1:1", NULL};
    pid_t pid = start_web(args, &port);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "curl -sk -D " DIR_ "/tls.hdr -o /dev/null https://127.0.0.1:%d/", port);
    assert_int_equal(system(cmd), 0);
    char *h;
    assert_int_equal(sg_read_file(DIR_ "/tls.hdr", 1 << 16, &h, NULL, NULL), SG_OK);
    assert_non_null(strstr(h, "303"));
    assert_non_null(strstr(h, "Location: /login"));
    assert_non_null(strstr(h, "Strict-Transport-Security"));
    free(h);
    snprintf(cmd, sizeof cmd, "curl -sk -D " DIR_ "/tls.hdr -o /dev/null --data "
             "'token=s3cret-token-for-tests' https://127.0.0.1:%d/login", port);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(sg_read_file(DIR_ "/tls.hdr", 1 << 16, &h, NULL, NULL), SG_OK);
    assert_non_null(strstr(h, "HttpOnly; SameSite=Strict; Secure"));
    free(h);
    /* plain HTTP on the TLS port gets nothing */
    char *r = NULL;
    int code = http(port, "GET", "/", NULL, NULL, &r);
    assert_true(code != 200 && code != 303);
    free(r);
    stop_web(pid);
}

/* A venue with a local tile folder: tiles are served from it (and only tiles); a venue
 * with a tile URL gets its origin into the CSP's img-src. */
static void test_tiles(void **state)
{
    (void)state;
    mkdir(DIR_ "/tiles", 0700);
    mkdir(DIR_ "/tiles/15", 0700);
    mkdir(DIR_ "/tiles/15/16371", 0700);
    static const unsigned char png[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    FILE *f = fopen(DIR_ "/tiles/15/16371/10892.png", "wb");
    assert_non_null(f);
    fwrite(png, 1, sizeof png, f);
    fclose(f);
    write_mode_file(DIR_ "/tiles/15/notes.txt", "not a tile", 0644);
    static const char venue_fmt[] =
        "{\"version\": 1, \"site\": {\"name\": \"tile test\", \"origin\": {\"lat_deg\": 51.556,"
        " \"lon_deg\": -0.2796, \"alt_m\": 87}}, \"zones\": \"%s/testdata/zones/stadium.geojson\","
        " \"sensors\": [{\"id\": \"rf-a\", \"kind\": \"rf\", \"position\": {\"lat_deg\": 51.5573,"
        " \"lon_deg\": -0.2796, \"alt_m\": 135}, \"adapter\": {\"type\": \"sigmf\", \"path\":"
        " \"%s/testdata/demo-stadium.sigmf-meta\"}}], \"outputs\": {\"web\": {\"tiles\": %s}}}";
    char venue[4096];
    snprintf(venue, sizeof venue, venue_fmt, SG_SOURCE_DIR, SG_SOURCE_DIR,
             "{\"dir\": \"tiles\", \"attribution\": \"local survey\"}");
    write_mode_file(DIR_ "/tiles-venue.json", venue, 0644);
    int port;
    const char *args[] = {"-c", DIR_ "/tiles-venue.json", "--plaintext", "--listen", "127.0.0.1:0",
                          "tcp://127.0.0.1:1", NULL};
    pid_t pid = start_web(args, &port);
    char *r;
    assert_int_equal(http(port, "GET", "/tiles/15/16371/10892.png", NULL, NULL, &r), 200);
    assert_non_null(strstr(r, "Content-Type: image/png"));
    free(r);
    assert_int_equal(http(port, "GET", "/tiles/15/notes.txt", NULL, NULL, &r), 404);
    free(r);
    assert_int_equal(http(port, "GET", "/tiles/15/../../tiles-venue.json", NULL, NULL, &r), 404);
    free(r);
    assert_int_equal(http(port, "GET", "/api/snapshot", NULL, NULL, &r), 200);
    free(r);
    stop_web(pid);
    snprintf(venue, sizeof venue, venue_fmt, SG_SOURCE_DIR, SG_SOURCE_DIR,
             "{\"url\": \"https://tiles.example.org/{z}/{x}/{y}.png\"}");
    write_mode_file(DIR_ "/tiles-venue.json", venue, 0644);
    pid = start_web(args, &port);
    assert_int_equal(http(port, "GET", "/", NULL, NULL, &r), 200);
    assert_non_null(strstr(r, "img-src 'self' data: https://tiles.example.org;"));
    free(r);
    assert_int_equal(http(port, "GET", "/tiles/15/16371/10892.png", NULL, NULL, &r), 404);
    free(r);
    stop_web(pid);
}

static void test_curve_feed(void **state)
{
    (void)state;
    feed_keypair srv, cl;
    sg_errinfo e = {0};
    assert_int_equal(feed_key_generate(&srv, &e), SG_OK);
    assert_int_equal(feed_key_generate(&cl, &e), SG_OK);
    unlink(DIR_ "/srv.pub");
    unlink(DIR_ "/web.key");
    assert_int_equal(feed_key_save(DIR_ "/srv.pub", &srv, false, true, &e), SG_OK);
    assert_int_equal(feed_key_save(DIR_ "/web.key", &cl, true, true, &e), SG_OK);
    feed_auth_cfg cfg;
    feed_auth_cfg_default(&cfg);
    snprintf(cfg.server_secret_z85, sizeof cfg.server_secret_z85, "%s", srv.secret_z85);
    assert_int_equal(feed_auth_cfg_add_client_key(&cfg, cl.public_z85, &e), SG_OK);
    void *ctx = zmq_ctx_new();
    feed_auth *a = feed_auth_create(ctx, &cfg, &e);
    assert_non_null(a);
    char ep[128];
    void *pub = make_pub(ctx, a, ep, sizeof ep);
    int port;
    const char *args[] = {"-c", VENUE, "--server-key", DIR_ "/srv.pub", "--key", DIR_ "/web.key",
                          "--listen", "127.0.0.1:0", ep, NULL};
    pid_t pid = start_web(args, &port);
    cJSON *snap = publish_until_seen(pub, port, NULL);
    cJSON_Delete(snap);
    feed_auth_stats st;
    feed_auth_get_stats(a, &st);
    assert_true(st.accepted >= 1);
    stop_web(pid);
    zmq_close(pub);
    feed_auth_destroy(a);
    zmq_ctx_term(ctx);
}

int main(void)
{
    mkdir(DIR_, 0700);
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plaintext_picture_stream_ack), cmocka_unit_test(test_login),
        cmocka_unit_test(test_refusals), cmocka_unit_test(test_tls),
        cmocka_unit_test(test_tiles),    cmocka_unit_test(test_curve_feed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
