/* Tests for feed security (adapters/feed_auth.c): a real CURVE PUB on a loopback port
 * with a ZAP allow-list admits a listed client and refuses (and counts and logs) an
 * unlisted one; plaintext is refused off loopback; key files and allow-list files with
 * bad content or permissions are rejected with errors naming the file; the ZAP decision
 * answers every malformed request; the refusal ring is bounded and counts overflow. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "file_helpers.h"
#include <zmq.h>

#include "feed_auth.h"

static char dir[64];

static void path_in(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", dir, name);
}

static int setup(void **state)
{
    (void)state;
    return scratch_dir_make(dir, sizeof dir, "feed_auth");
}

static int teardown(void **state)
{
    (void)state;
    return scratch_dir_remove(dir);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* A SUB in its own context (as a remote console would be). secret NULL: no CURVE. */
static void *make_sub(void *ctx, const char *server_pub, const feed_keypair *me,
                      const char *ep)
{
    void *s = zmq_socket(ctx, ZMQ_SUB);
    assert_non_null(s);
    int linger = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    if (me) {
        assert_int_equal(zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, server_pub, 40), 0);
        assert_int_equal(zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, me->public_z85, 40), 0);
        assert_int_equal(zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, me->secret_z85, 40), 0);
    }
    assert_int_equal(zmq_setsockopt(s, ZMQ_SUBSCRIBE, "", 0), 0);
    assert_int_equal(zmq_connect(s, ep), 0);
    return s;
}

/* Publishes every 20 ms until sub receives a frame or `secs` pass; returns bytes or -1. */
static int pump(void *pub, void *sub, double secs, char *buf, size_t cap)
{
    const char *msg = "status.test {\"v\":1}";
    double end = now_s() + secs;
    while (now_s() < end) {
        zmq_send(pub, msg, strlen(msg), ZMQ_DONTWAIT);
        zmq_pollitem_t it = {sub, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&it, 1, 20) > 0)
            return zmq_recv(sub, buf, cap, 0);
    }
    return -1;
}

/* Waits for a monitor event in `mask`; returns its value or -1 on timeout. */
static int wait_event(void *mon, int mask, int *event, double secs)
{
    double end = now_s() + secs;
    while (now_s() < end) {
        zmq_pollitem_t it = {mon, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&it, 1, 50) <= 0)
            continue;
        uint8_t ev[6];
        char addr[256];
        int n = zmq_recv(mon, ev, sizeof ev, 0);
        zmq_recv(mon, addr, sizeof addr, 0);
        if (n != 6)
            continue;
        uint16_t id;
        uint32_t val;
        memcpy(&id, ev, 2);
        memcpy(&val, ev + 2, 4);
        if (id & mask) {
            *event = id;
            return (int)val;
        }
    }
    return -1;
}

static void test_curve_allow_list(void **state)
{
    (void)state;
    feed_keypair srv, ca, cb;
    sg_errinfo e = {0};
    assert_int_equal(feed_key_generate(&srv, &e), SG_OK);
    assert_int_equal(feed_key_generate(&ca, &e), SG_OK);
    assert_int_equal(feed_key_generate(&cb, &e), SG_OK);
    char key_path[128], list_path[128];
    path_in(key_path, sizeof key_path, "server.key");
    path_in(list_path, sizeof list_path, "clients.txt");
    unlink(key_path);
    assert_int_equal(feed_key_save(key_path, &srv, true, false, &e), SG_OK);
    char list[256];
    snprintf(list, sizeof list, "# operators\n%s   # console A\n\n", ca.public_z85);
    write_mode_file(list_path, list, 0644);

    feed_auth_cfg cfg;
    feed_auth_cfg_default(&cfg);
    snprintf(cfg.server_secret_key_file, sizeof cfg.server_secret_key_file, "%s", key_path);
    snprintf(cfg.client_keys_file, sizeof cfg.client_keys_file, "%s", list_path);

    void *sctx = zmq_ctx_new(), *cctx = zmq_ctx_new();
    feed_auth *a = feed_auth_create(sctx, &cfg, &e);
    if (!a)
        fail_msg("%s", e.msg);
    assert_string_equal(feed_auth_server_public(a), srv.public_z85);
    /* one handler per context */
    assert_null(feed_auth_create(sctx, &cfg, &e));
    assert_int_equal(e.code, SG_ESTATE);

    void *pub = zmq_socket(sctx, ZMQ_PUB);
    int linger = 0;
    zmq_setsockopt(pub, ZMQ_LINGER, &linger, sizeof linger);
    assert_int_equal(feed_auth_apply(a, pub, "tcp://127.0.0.1:*", &e), SG_OK);
    assert_int_equal(zmq_bind(pub, "tcp://127.0.0.1:*"), 0);
    char ep[128];
    size_t epn = sizeof ep;
    assert_int_equal(zmq_getsockopt(pub, ZMQ_LAST_ENDPOINT, ep, &epn), 0);

    /* allowed client receives */
    char buf[256];
    void *sa = make_sub(cctx, srv.public_z85, &ca, ep);
    int n = pump(pub, sa, 5.0, buf, sizeof buf);
    assert_int_equal(n, (int)strlen("status.test {\"v\":1}"));

    /* unknown client: the server answers 400, the client's monitor sees it, nothing
     * is received, the refusal is counted and logged with the key and address */
    void *sb = zmq_socket(cctx, ZMQ_SUB);
    assert_non_null(sb);
    zmq_setsockopt(sb, ZMQ_LINGER, &linger, sizeof linger);
    assert_int_equal(zmq_socket_monitor(sb, "inproc://mon-b", ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
                                                                  ZMQ_EVENT_HANDSHAKE_SUCCEEDED),
                     0);
    void *mon = zmq_socket(cctx, ZMQ_PAIR);
    zmq_setsockopt(mon, ZMQ_LINGER, &linger, sizeof linger);
    assert_int_equal(zmq_connect(mon, "inproc://mon-b"), 0);
    zmq_setsockopt(sb, ZMQ_CURVE_SERVERKEY, srv.public_z85, 40);
    zmq_setsockopt(sb, ZMQ_CURVE_PUBLICKEY, cb.public_z85, 40);
    zmq_setsockopt(sb, ZMQ_CURVE_SECRETKEY, cb.secret_z85, 40);
    zmq_setsockopt(sb, ZMQ_SUBSCRIBE, "", 0);
    assert_int_equal(zmq_connect(sb, ep), 0);
    int ev = 0;
    int val = wait_event(mon, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_HANDSHAKE_SUCCEEDED,
                         &ev, 5.0);
    assert_int_equal(ev, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH);
    assert_int_equal(val, 400);
    assert_int_equal(pump(pub, sb, 0.3, buf, sizeof buf), -1);

    /* a client without CURVE at all gets nothing either (and never reaches ZAP) */
    void *sp = make_sub(cctx, NULL, NULL, ep);
    assert_int_equal(pump(pub, sp, 0.3, buf, sizeof buf), -1);

    feed_auth_stats st;
    feed_auth_get_stats(a, &st);
    assert_true(st.refused >= 1);
    assert_true(st.accepted >= 1);
    assert_int_equal(st.allowed_keys, 1);
    assert_int_equal(st.malformed, 0);
    feed_auth_refusal r[8];
    size_t nr = feed_auth_drain_refusals(a, r, 8);
    assert_true(nr >= 1);
    /* B's socket keeps reconnecting (and being refused): every entry is B's */
    for (size_t i = 0; i < nr; i++) {
        assert_string_equal(r[i].key_z85, cb.public_z85);
        assert_string_equal(r[i].address, "127.0.0.1");
        assert_non_null(strstr(r[i].reason, "allow-list"));
        assert_true(r[i].wall_t > 1.6e9);
    }

    /* reload: B is added to the file; a new connection with B's key is admitted */
    snprintf(list, sizeof list, "%s\n%s\n%s\n", ca.public_z85, cb.public_z85, ca.public_z85);
    write_mode_file(list_path, list, 0600);
    assert_int_equal(feed_auth_reload(a, &e), SG_OK);
    feed_auth_get_stats(a, &st);
    assert_int_equal(st.allowed_keys, 2); /* duplicates merged */
    /* this time through the client helper, from key files */
    char bkey[128], spub[128];
    path_in(bkey, sizeof bkey, "b.key");
    path_in(spub, sizeof spub, "server.pub");
    unlink(bkey);
    unlink(spub);
    assert_int_equal(feed_key_save(bkey, &cb, true, false, &e), SG_OK);
    assert_int_equal(feed_key_save(spub, &srv, false, false, &e), SG_OK);
    void *sb2 = zmq_socket(cctx, ZMQ_SUB);
    zmq_setsockopt(sb2, ZMQ_LINGER, &linger, sizeof linger);
    assert_int_equal(feed_auth_client_apply(sb2, spub, spub, &e), SG_EFORMAT); /* no secret */
    assert_int_equal(feed_auth_client_apply(sb2, spub, bkey, &e), SG_OK);
    zmq_setsockopt(sb2, ZMQ_SUBSCRIBE, "", 0);
    assert_int_equal(zmq_connect(sb2, ep), 0);
    assert_true(pump(pub, sb2, 5.0, buf, sizeof buf) > 0);
    /* a broken file on reload keeps the old list */
    write_mode_file(list_path, "not-a-key\n", 0600);
    assert_int_equal(feed_auth_reload(a, &e), SG_EFORMAT);
    assert_non_null(strstr(e.msg, "clients.txt:1"));
    feed_auth_get_stats(a, &st);
    assert_int_equal(st.allowed_keys, 2);

    zmq_close(sa);
    zmq_close(sb);
    zmq_close(sb2);
    zmq_close(sp);
    zmq_close(mon);
    zmq_close(pub);
    feed_auth_destroy(a); /* after closing the secured socket, before ctx_term */
    zmq_ctx_term(sctx);
    zmq_ctx_term(cctx);
}

static void test_plaintext_loopback_only(void **state)
{
    (void)state;
    static const struct {
        const char *ep;
        bool loop;
    } eps[] = {
        {"tcp://127.0.0.1:5556", true}, {"tcp://127.0.0.1:*", true},
        {"tcp://127.3.2.1:9", true},    {"tcp://[::1]:5556", true},
        {"ipc:///tmp/sg.feed", true},   {"inproc://feed", true},
        {"tcp://0.0.0.0:5556", false},  {"tcp://*:5556", false},
        {"tcp://localhost:5556", false}, {"tcp://192.168.1.10:5556", false},
        {"tcp://eth0:5556", false},     {"tcp://[::]:5556", false},
        {"tcp://[::ffff:127.0.0.1]:1", false}, {"tcp://127.0.0.1", false},
        {"tcp://10.0.0.1:1;127.0.0.1:2", false}, {"udp://127.0.0.1:5556", false},
        {"ws://127.0.0.1:80", false},   {"", false},
    };
    feed_auth_cfg cfg;
    feed_auth_cfg_default(&cfg);
    cfg.mode = FEED_AUTH_PLAINTEXT;
    sg_errinfo e = {0};
    void *ctx = zmq_ctx_new();
    feed_auth *a = feed_auth_create(ctx, &cfg, &e);
    assert_non_null(a);
    assert_string_equal(feed_auth_server_public(a), "");
    void *pub = zmq_socket(ctx, ZMQ_PUB);
    for (size_t i = 0; i < sizeof eps / sizeof eps[0]; i++) {
        assert_int_equal(feed_endpoint_is_loopback(eps[i].ep), eps[i].loop);
        int rc = feed_auth_apply(a, pub, eps[i].ep, &e);
        if (eps[i].loop) {
            assert_int_equal(rc, SG_OK);
        } else {
            assert_int_equal(rc, SG_EAUTH);
            assert_non_null(strstr(e.msg, "non-loopback"));
        }
    }
    assert_int_equal(feed_auth_reload(a, &e), SG_ESTATE);
    zmq_close(pub);
    feed_auth_destroy(a);
    zmq_ctx_term(ctx);
}

static void test_key_files(void **state)
{
    (void)state;
    feed_keypair k, k2, got;
    sg_errinfo e = {0};
    assert_int_equal(feed_key_generate(&k, &e), SG_OK);
    assert_int_equal(feed_key_generate(&k2, &e), SG_OK);
    assert_true(feed_key_z85_valid(k.public_z85));
    assert_false(feed_key_z85_valid("short"));
    char p[128], text[512];

    /* round trip through the JSON format; secret file is 0600, public 0644 */
    path_in(p, sizeof p, "k.key");
    unlink(p);
    assert_int_equal(feed_key_save(p, &k, true, false, &e), SG_OK);
    struct stat sb;
    assert_int_equal(stat(p, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    assert_int_equal(feed_key_load(p, true, &got, &e), SG_OK);
    assert_string_equal(got.public_z85, k.public_z85);
    assert_string_equal(got.secret_z85, k.secret_z85);
    /* no clobbering without overwrite; overwrite replaces */
    assert_int_equal(feed_key_save(p, &k2, true, false, &e), SG_EINVAL);
    assert_non_null(strstr(e.msg, "exists"));
    assert_int_equal(feed_key_save(p, &k2, true, true, &e), SG_OK);
    assert_int_equal(feed_key_load(p, true, &got, &e), SG_OK);
    assert_string_equal(got.secret_z85, k2.secret_z85);
    path_in(p, sizeof p, "k.pub");
    unlink(p);
    assert_int_equal(feed_key_save(p, &k, false, false, &e), SG_OK);
    assert_int_equal(stat(p, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0644);
    assert_int_equal(feed_key_load(p, false, &got, &e), SG_OK);
    assert_string_equal(got.public_z85, k.public_z85);
    assert_string_equal(got.secret_z85, "");
    assert_int_equal(feed_key_load(p, true, &got, &e), SG_EFORMAT);
    assert_non_null(strstr(e.msg, "no secret key"));

    /* czmq zcert text format */
    path_in(p, sizeof p, "z.cert");
    snprintf(text, sizeof text, "#   ZeroMQ CURVE **Secret** Certificate\n\nmetadata\ncurve\n"
             "    public-key = \"%s\"\n    secret-key = \"%s\"\n", k.public_z85, k.secret_z85);
    write_mode_file(p, text, 0600);
    assert_int_equal(feed_key_load(p, true, &got, &e), SG_OK);
    assert_string_equal(got.secret_z85, k.secret_z85);
    /* bare public key */
    path_in(p, sizeof p, "bare.pub");
    snprintf(text, sizeof text, "%s\n", k.public_z85);
    write_mode_file(p, text, 0644);
    assert_int_equal(feed_key_load(p, false, &got, &e), SG_OK);
    assert_string_equal(got.public_z85, k.public_z85);
    /* '{' is a Z85 character: a bare key that starts with it is still a bare key (it was
     * read as JSON, so about one random key in 85 failed to load) */
    feed_keypair kb;
    int tries = 0;
    do
        assert_int_equal(feed_key_generate(&kb, &e), SG_OK);
    while (kb.public_z85[0] != '{' && ++tries < 100000);
    assert_int_equal(kb.public_z85[0], '{');
    snprintf(text, sizeof text, "%s\n", kb.public_z85);
    write_mode_file(p, text, 0644);
    if (feed_key_load(p, false, &got, &e) != SG_OK)
        fail_msg("%s: %s", kb.public_z85, e.msg);
    assert_string_equal(got.public_z85, kb.public_z85);

    static const struct {
        const char *fmt; /* %1$s = a public key, %2$s = k.secret */
        int other_public;
        mode_t mode;
        int code;
        const char *msg;
    } bad[] = {
        {"{\"public\": \"%1$s\", \"secret\": \"%2$s\"}", 0, 0644, SG_EAUTH, "chmod 600"},
        {"{\"public\": \"%1$s\", \"secret\": \"%2$s\"}", 0, 0620, SG_EAUTH, "mode 0620"},
        {"{\"secret\": \"%2$.39s\"}%1$.0s", 0, 0600, SG_EFORMAT, "40 Z85 characters"},
        {"{\"secret\": \"~%2$.39s\"}%1$.0s", 0, 0600, SG_EFORMAT, "not a valid Z85"},
        {"{\"public\": \"%1$s\", \"secret\": \"%2$s\"}", 1, 0600, SG_EFORMAT, "does not belong"},
        {"{\"public\": 5, \"secret\": \"%2$s\"}%1$.0s", 0, 0600, SG_EFORMAT, ".public: must be"},
        {"{\"secret\": \"%2$s\", \"extra\": 1}%1$.0s", 0, 0600, SG_EFORMAT, ".extra: unknown key"},
        {"{\"secret\": \"%2$s\"%1$.0s", 0, 0600, SG_EFORMAT, "JSON syntax error"},
        {"%1$.0s%2$.0s", 0, 0600, SG_EFORMAT, "no secret key"},
    };
    path_in(p, sizeof p, "bad.key");
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(text, sizeof text, bad[i].fmt,
                 bad[i].other_public ? k2.public_z85 : k.public_z85, k.secret_z85);
        write_mode_file(p, text, bad[i].mode);
        int rc = feed_key_load(p, true, &got, &e);
        if (rc != bad[i].code || !strstr(e.msg, bad[i].msg) || !strstr(e.msg, "bad.key"))
            fail_msg("case %zu: got %d '%s', want %d '%s'\n%s", i, rc, e.msg, bad[i].code,
                     bad[i].msg, text);
    }
    /* missing file, directory */
    path_in(p, sizeof p, "nope.key");
    assert_int_equal(feed_key_load(p, true, &got, &e), SG_EIO);
    assert_non_null(strstr(e.msg, "nope.key: cannot open"));
    assert_int_equal(feed_key_load(dir, true, &got, &e), SG_EINVAL);
    assert_non_null(strstr(e.msg, "not a regular file"));
}

/* create() fails cleanly on every bad allow-list or server key. */
static void test_create_failures(void **state)
{
    (void)state;
    feed_keypair srv, c;
    sg_errinfo e = {0};
    assert_int_equal(feed_key_generate(&srv, &e), SG_OK);
    assert_int_equal(feed_key_generate(&c, &e), SG_OK);
    char key_path[128], list_path[128], text[256];
    path_in(key_path, sizeof key_path, "srv2.key");
    path_in(list_path, sizeof list_path, "list2.txt");
    unlink(key_path);
    assert_int_equal(feed_key_save(key_path, &srv, true, false, &e), SG_OK);
    void *ctx = zmq_ctx_new();

    static const struct {
        const char *list; /* %s = a valid key */
        mode_t mode;
        int code;
        const char *msg;
    } cases[] = {
        {"%s\n", 0666, SG_EAUTH, "writable by group/others"},
        {"%s\n", 0620, SG_EAUTH, "writable by group/others"},
        {"# nobody%.0s\n\n", 0644, SG_EINVAL, "allow-list is empty"},
        {"%s\nbogus\n", 0644, SG_EFORMAT, "list2.txt:2"},
        {"%s extra-token\n", 0644, SG_EFORMAT, "one key per line"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(text, sizeof text, cases[i].list, c.public_z85);
        write_mode_file(list_path, text, cases[i].mode);
        feed_auth_cfg cfg;
        feed_auth_cfg_default(&cfg);
        snprintf(cfg.server_secret_key_file, sizeof cfg.server_secret_key_file, "%s", key_path);
        snprintf(cfg.client_keys_file, sizeof cfg.client_keys_file, "%s", list_path);
        feed_auth *a = feed_auth_create(ctx, &cfg, &e);
        if (a || e.code != cases[i].code || !strstr(e.msg, cases[i].msg))
            fail_msg("case %zu: got %p %d '%s'", i, (void *)a, e.code, e.msg);
    }
    /* no server key; bad inline key; inline keys alone are enough */
    feed_auth_cfg cfg;
    feed_auth_cfg_default(&cfg);
    assert_int_equal(feed_auth_cfg_add_client_key(&cfg, "short", &e), SG_EFORMAT);
    assert_int_equal(cfg.n_client_keys, 0);
    for (int i = 0; i < FEED_AUTH_MAX_INLINE_KEYS; i++)
        assert_int_equal(feed_auth_cfg_add_client_key(&cfg, c.public_z85, &e), SG_OK);
    assert_int_equal(feed_auth_cfg_add_client_key(&cfg, c.public_z85, &e), SG_ERANGE);
    cfg.n_client_keys = 1;
    assert_null(feed_auth_create(ctx, &cfg, &e));
    assert_int_equal(e.code, SG_EINVAL);
    snprintf(cfg.server_secret_key_file, sizeof cfg.server_secret_key_file, "%s", key_path);
    cfg.client_keys[0][3] = '~';
    assert_null(feed_auth_create(ctx, &cfg, &e));
    assert_non_null(strstr(e.msg, "client_keys[0]: not a valid Z85"));
    snprintf(cfg.client_keys[0], sizeof cfg.client_keys[0], "%s", c.public_z85);
    feed_auth *a = feed_auth_create(ctx, &cfg, &e);
    assert_non_null(a);
    feed_auth_destroy(a);
    zmq_ctx_term(ctx);
}

static void test_cfg_from_json(void **state)
{
    (void)state;
    feed_keypair c;
    sg_errinfo e = {0};
    assert_int_equal(feed_key_generate(&c, &e), SG_OK);
    char text[1024];
    snprintf(text, sizeof text,
             "{\"mode\": \"curve\", \"server_secret_key_file\": \"keys/server.key\","
             " \"client_keys\": [\"%s\"], \"client_keys_file\": \"/abs/clients.txt\"}",
             c.public_z85);
    cJSON *o = cJSON_Parse(text);
    feed_auth_cfg cfg;
    assert_int_equal(feed_auth_cfg_from_json(&cfg, o, "site.json: outputs.feed.security",
                                             "/etc/skyguard/site.json", &e), SG_OK);
    cJSON_Delete(o);
    assert_int_equal(cfg.mode, FEED_AUTH_CURVE);
    assert_string_equal(cfg.server_secret_key_file, "/etc/skyguard/keys/server.key");
    assert_string_equal(cfg.client_keys_file, "/abs/clients.txt");
    assert_int_equal(cfg.n_client_keys, 1);
    assert_string_equal(cfg.client_keys[0], c.public_z85);
    assert_string_equal(cfg.server_secret_z85, "");

    static const struct {
        const char *json;
        const char *msg;
    } bad[] = {
        {"{}", "sec.mode: required key is missing"},
        {"{\"mode\": \"open\"}", "sec.mode: must be one of: curve, plaintext"},
        {"{\"mode\": \"plaintext\", \"secret\": \"x\"}", "sec.secret: unknown key"},
        {"{\"mode\": \"curve\", \"client_keys_file\": \"c\"}", "server_secret_key_file: required"},
        {"{\"mode\": \"curve\", \"server_secret_key_file\": \"s\"}", "needs client_keys"},
        {"{\"mode\": \"curve\", \"server_secret_key_file\": \"s\", \"client_keys\": [\"abc\"]}",
         "sec.client_keys[0]: a CURVE key must be 40"},
        {"{\"mode\": \"curve\", \"server_secret_key_file\": \"s\", \"client_keys\": [7]}",
         "sec.client_keys[0]: must be a string"},
        {"{\"mode\": \"curve\", \"server_secret_key_file\": 3, \"client_keys_file\": \"c\"}",
         "sec.server_secret_key_file: must be a string"},
        {"[]", "sec: must be an object"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        o = cJSON_Parse(bad[i].json);
        assert_non_null(o);
        int rc = feed_auth_cfg_from_json(&cfg, o, "sec", NULL, &e);
        cJSON_Delete(o);
        if (rc == SG_OK || !strstr(e.msg, bad[i].msg))
            fail_msg("case %zu: got %d '%s', want '%s'", i, rc, e.msg, bad[i].msg);
    }
    o = cJSON_Parse("{\"mode\": \"plaintext\"}");
    assert_int_equal(feed_auth_cfg_from_json(&cfg, o, "sec", NULL, &e), SG_OK);
    assert_int_equal(cfg.mode, FEED_AUTH_PLAINTEXT);
    cJSON_Delete(o);
}

/* A CURVE feed_auth with srv's secret given directly and c as the only client. */
static feed_auth *inline_auth(void *ctx, const feed_keypair *srv, const feed_keypair *c)
{
    feed_auth_cfg cfg;
    sg_errinfo e = {0};
    feed_auth_cfg_default(&cfg);
    snprintf(cfg.server_secret_z85, sizeof cfg.server_secret_z85, "%s", srv->secret_z85);
    assert_int_equal(feed_auth_cfg_add_client_key(&cfg, c->public_z85, &e), SG_OK);
    feed_auth *a = feed_auth_create(ctx, &cfg, &e);
    if (!a)
        fail_msg("%s", e.msg);
    return a;
}

/* The ZAP decision on hand-made requests, including malformed ones, and the ring. */
static void test_zap_decide(void **state)
{
    (void)state;
    feed_keypair srv, c, other;
    sg_errinfo e = {0};
    assert_int_equal(feed_key_generate(&srv, &e), SG_OK);
    assert_int_equal(feed_key_generate(&c, &e), SG_OK);
    assert_int_equal(feed_key_generate(&other, &e), SG_OK);
    void *ctx = zmq_ctx_new();
    feed_auth *a = inline_auth(ctx, &srv, &c);
    assert_string_equal(feed_auth_server_public(a), srv.public_z85);

    uint8_t ck[32], ok[32];
    zmq_z85_decode(ck, c.public_z85);
    zmq_z85_decode(ok, other.public_z85);
    const char *dom = FEED_AUTH_ZAP_DOMAIN;
#define F(s) {s, sizeof(s) - 1}
    feed_auth_frame good[7] = {F("1.0"), F("7"), {dom, strlen(dom)}, F("10.1.2.3"), F(""),
                               F("CURVE"), {ck, 32}};
    feed_auth_zap_reply rep;
    feed_auth_zap_decide(a, good, 7, &rep);
    assert_string_equal(rep.status, "200");
    assert_string_equal(rep.user_id, c.public_z85);

    feed_auth_frame req[7];
    struct {
        int idx;
        feed_auth_frame f;
        size_t n;
        const char *status;
    } cases[] = {
        {6, {ok, 32}, 7, "400"},          /* unknown key */
        {6, {ok, 31}, 7, "500"},          /* short credentials */
        {5, F("NULL"), 6, "400"},         /* wrong mechanism */
        {5, F("PLAIN"), 7, "400"},
        {2, F("other.domain"), 7, "400"}, /* wrong domain */
        {0, F("2.0"), 7, "500"},          /* wrong version */
        {0, F("1.0"), 2, "500"},          /* too few frames */
        {0, F("1.0"), 0, "500"},
        {6, {ck, 32}, 6, "500"},          /* CURVE without credentials */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memcpy(req, good, sizeof req);
        req[cases[i].idx] = cases[i].f;
        feed_auth_zap_decide(a, req, cases[i].n, &rep);
        if (strcmp(rep.status, cases[i].status) != 0)
            fail_msg("case %zu: status %s, want %s", i, rep.status, cases[i].status);
        assert_string_equal(rep.user_id, "");
    }
    feed_auth_stats st;
    feed_auth_get_stats(a, &st);
    assert_int_equal(st.requests, 10);
    assert_int_equal(st.accepted, 1);
    assert_int_equal(st.refused, 4);
    assert_int_equal(st.malformed, 5);
    feed_auth_refusal r[FEED_AUTH_RING + 8];
    assert_int_equal(feed_auth_drain_refusals(a, r, FEED_AUTH_RING + 8), 9);
    assert_string_equal(r[0].key_z85, other.public_z85);
    assert_string_equal(r[0].address, "10.1.2.3");

    /* flood: the ring keeps the newest FEED_AUTH_RING, counts the rest as lost */
    memcpy(req, good, sizeof req);
    req[6] = (feed_auth_frame){ok, 32};
    for (int i = 0; i < FEED_AUTH_RING + 10; i++)
        feed_auth_zap_decide(a, req, 7, &rep);
    feed_auth_get_stats(a, &st);
    assert_int_equal(st.refusals_lost, 10);
    assert_int_equal(st.refused, 4 + FEED_AUTH_RING + 10);
    assert_int_equal(feed_auth_drain_refusals(a, r, FEED_AUTH_RING + 8), FEED_AUTH_RING);
    feed_auth_destroy(a);
    zmq_ctx_term(ctx);
#undef F
}

/* zmq_ctx_term before feed_auth_destroy (a daemon bug) must not hang: the handler
 * thread sees ETERM and closes its socket so ctx_term can return. */
static void test_ctx_term_first(void **state)
{
    (void)state;
    feed_keypair srv, c;
    sg_errinfo e = {0};
    assert_int_equal(feed_key_generate(&srv, &e), SG_OK);
    assert_int_equal(feed_key_generate(&c, &e), SG_OK);
    void *ctx = zmq_ctx_new();
    feed_auth *a = inline_auth(ctx, &srv, &c);
    assert_int_equal(zmq_ctx_term(ctx), 0);
    feed_auth_destroy(a);
}

/* The key generator tool: writes NAME.key 0600 + NAME.pub, prints the public key, refuses
 * to overwrite without -f, and --public reads a key file back. */
static void test_sg_keygen_tool(void **state)
{
    (void)state;
    const char *tool = SG_BINARY_DIR "/sg_keygen";
    if (access(tool, X_OK) != 0)
        skip();
    char cmd[512], out[128], key[128], pub[128];
    path_in(key, sizeof key, "tool.key");
    path_in(pub, sizeof pub, "tool.pub");
    path_in(out, sizeof out, "tool.out");
    unlink(key);
    unlink(pub);
    snprintf(cmd, sizeof cmd, "%s %s/tool > %s 2>/dev/null", tool, dir, out);
    assert_int_equal(system(cmd), 0);
    feed_keypair kp, kpub;
    sg_errinfo e = {0};
    assert_int_equal(feed_key_load(key, true, &kp, &e), SG_OK);
    assert_int_equal(feed_key_load(pub, false, &kpub, &e), SG_OK);
    assert_string_equal(kp.public_z85, kpub.public_z85);
    struct stat sb;
    assert_int_equal(stat(key, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    FILE *f = fopen(out, "r");
    assert_non_null(f);
    char line[128] = "";
    assert_non_null(fgets(line, sizeof line, f));
    fclose(f);
    line[strcspn(line, "\n")] = '\0';
    assert_string_equal(line, kp.public_z85);
    /* no overwrite without -f; the old key survives */
    assert_int_not_equal(system(cmd), 0);
    assert_int_equal(feed_key_load(key, true, &kpub, &e), SG_OK);
    assert_string_equal(kpub.secret_z85, kp.secret_z85);
    snprintf(cmd, sizeof cmd, "%s -f %s/tool > %s 2>/dev/null", tool, dir, out);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(feed_key_load(key, true, &kpub, &e), SG_OK);
    assert_string_not_equal(kpub.secret_z85, kp.secret_z85);
    snprintf(cmd, sizeof cmd, "%s --public %s > %s 2>/dev/null", tool, key, out);
    assert_int_equal(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "%s > /dev/null 2>&1", tool);
    assert_int_equal(WEXITSTATUS(system(cmd)), 2);
}

int main(void)
{
    if (!zmq_has("curve")) {
        fprintf(stderr, "libzmq without CURVE: skipped\n");
        return 77;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_curve_allow_list), cmocka_unit_test(test_plaintext_loopback_only),
        cmocka_unit_test(test_key_files),        cmocka_unit_test(test_create_failures),
        cmocka_unit_test(test_cfg_from_json),    cmocka_unit_test(test_zap_decide),
        cmocka_unit_test(test_ctx_term_first),   cmocka_unit_test(test_sg_keygen_tool),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
