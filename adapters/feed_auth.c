/* CURVE server setup, ZAP/1.0 handler with a client-key allow-list and the
 * plaintext-on-loopback rule for the operator feed (see feed_auth.h; key files are in
 * feed_keys.c).
 *
 * The handler thread owns one REP socket bound (in create, on the caller's thread, so
 * a second handler in the context fails synchronously) to inproc://zeromq.zap.01. It
 * polls with a 100 ms timeout so destroy() can stop it with a flag; every request gets
 * exactly one reply, malformed ones a "500", so libzmq never waits on us. The
 * allow-list is a sorted array swapped under a mutex by reload(). */
#include "feed_auth.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "feed_auth_int.h"
#include "sg_json.h"

#define ZAP_ENDPOINT "inproc://zeromq.zap.01"
#define ZAP_MAX_FRAMES 8          /* CURVE requests have 7; PLAIN 8 */
#define INBOUND_MAX 65536         /* bytes: ZMQ_MAXMSGSIZE on secured sockets */

struct feed_auth {
    feed_auth_mode mode;
    void *ctx;
    void *zap; /* REP; used only by the thread once it runs */
    pthread_t thread;
    bool thread_started;
    atomic_bool stop;
    char client_keys_file[FEED_AUTH_PATH_LEN];
    int n_inline;
    uint8_t inline_keys[FEED_AUTH_MAX_INLINE_KEYS][32];
    uint8_t server_secret[32];
    char server_public_z85[FEED_KEY_Z85_LEN + 1];

    pthread_mutex_t mu; /* guards everything below */
    uint8_t (*allow)[32]; /* sorted */
    size_t n_allow;
    feed_auth_stats st;
    feed_auth_refusal ring[FEED_AUTH_RING];
    size_t ring_head, ring_len; /* oldest at ring_head */
};

/* ---- small helpers -------------------------------------------------------------- */

static int key_cmp(const void *a, const void *b)
{
    return memcmp(a, b, 32);
}


bool feed_endpoint_is_loopback(const char *ep)
{
    if (!ep)
        return false;
    if (strncmp(ep, "ipc://", 6) == 0 || strncmp(ep, "inproc://", 9) == 0)
        return true;
    if (strncmp(ep, "tcp://", 6) != 0)
        return false;
    const char *host = ep + 6;
    if (strchr(host, ';')) /* "src;dst" form: refuse rather than reason about it */
        return false;
    char buf[64];
    if (host[0] == '[') {
        const char *close = strchr(host, ']');
        if (!close || close[1] != ':' || (size_t)(close - host - 1) >= sizeof buf)
            return false;
        memcpy(buf, host + 1, (size_t)(close - host - 1));
        buf[close - host - 1] = '\0';
        struct in6_addr a6;
        return inet_pton(AF_INET6, buf, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
    }
    const char *colon = strrchr(host, ':');
    if (!colon || (size_t)(colon - host) >= sizeof buf)
        return false;
    memcpy(buf, host, (size_t)(colon - host));
    buf[colon - host] = '\0';
    struct in_addr a4;
    return inet_pton(AF_INET, buf, &a4) == 1 && (ntohl(a4.s_addr) >> 24) == 127;
}

/* ---- allow-list -------------------------------------------------------------------- */

/* Builds the sorted, de-duplicated allow-list from the inline keys and the file. */
static int build_allow(const feed_auth *a, uint8_t (**out)[32], size_t *n_out, sg_errinfo *e)
{
    *out = NULL;
    *n_out = 0;
    char *text = NULL;
    int rc;
    if (a->client_keys_file[0] &&
        (rc = feed_key_read_file(a->client_keys_file, PERM_NOT_WRITABLE, &text, NULL, e)))
        return rc;
    uint8_t(*keys)[32] = malloc(sizeof *keys * FEED_AUTH_MAX_KEYS);
    if (!keys) {
        free(text);
        return sg_err_set(e, SG_ENOMEM, "allow-list: out of memory");
    }
    size_t n = 0;
    for (int i = 0; i < a->n_inline; i++)
        memcpy(keys[n++], a->inline_keys[i], 32);
    int lineno = 0;
    for (char *line = text, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        lineno++;
        /* '#' is a Z85 character but never the first of a 32-byte key (85^4 * 84 > 2^32),
         * so a line starting with '#' is a comment; after the key, a blank ends it. */
        char *tok = line + strspn(line, " \t\r");
        size_t len = strcspn(tok, " \t\r");
        if (len == 0 || tok[0] == '#')
            continue;
        const char *rest = tok + len + strspn(tok + len, " \t\r");
        if (*rest != '\0' && *rest != '#') {
            rc = sg_err_set(e, SG_EFORMAT, "%s:%d: one key per line, then \"# comment\"",
                            a->client_keys_file, lineno);
            goto fail;
        }
        tok[len] = '\0';
        char what[FEED_AUTH_PATH_LEN + 16];
        snprintf(what, sizeof what, "%s:%d", a->client_keys_file, lineno);
        if (n >= FEED_AUTH_MAX_KEYS) {
            rc = sg_err_set(e, SG_ERANGE, "%s: more than %d keys", what, FEED_AUTH_MAX_KEYS);
            goto fail;
        }
        if ((rc = feed_key_decode(tok, keys[n], what, e)))
            goto fail;
        n++;
    }
    free(text);
    text = NULL;
    if (n == 0) {
        rc = sg_err_set(e, SG_EINVAL, "%s: the client allow-list is empty: no client could "
                        "connect", a->client_keys_file[0] ? a->client_keys_file : "client_keys");
        goto fail;
    }
    qsort(keys, n, 32, key_cmp);
    size_t u = 1;
    for (size_t i = 1; i < n; i++)
        if (memcmp(keys[i], keys[u - 1], 32) != 0)
            memcpy(keys[u++], keys[i], 32);
    *out = keys;
    *n_out = u;
    return SG_OK;
fail:
    free(text);
    free(keys);
    return rc;
}

int feed_auth_reload(feed_auth *a, sg_errinfo *e)
{
    if (a->mode != FEED_AUTH_CURVE)
        return sg_err_set(e, SG_ESTATE, "feed security: plaintext mode has no allow-list");
    uint8_t(*keys)[32];
    size_t n;
    int rc = build_allow(a, &keys, &n, e);
    if (rc)
        return rc;
    pthread_mutex_lock(&a->mu);
    uint8_t(*old)[32] = a->allow;
    a->allow = keys;
    a->n_allow = n;
    a->st.allowed_keys = (uint32_t)n;
    pthread_mutex_unlock(&a->mu);
    free(old);
    return SG_OK;
}

/* ---- ZAP ------------------------------------------------------------------------- */

static bool frame_is(const feed_auth_frame *f, const char *s)
{
    size_t n = strlen(s);
    return f->size == n && (n == 0 || memcmp(f->data, s, n) == 0);
}

/* Copies a frame as printable text (non-printables become '?'). */
static void frame_text(const feed_auth_frame *f, char *out, size_t cap)
{
    size_t n = f->size < cap - 1 ? f->size : cap - 1;
    const unsigned char *d = f->data;
    for (size_t i = 0; i < n; i++)
        out[i] = d[i] >= 0x20 && d[i] < 0x7f ? (char)d[i] : '?';
    out[n] = '\0';
}

/* Caller holds mu. */
static void ring_push(feed_auth *a, const feed_auth_refusal *r)
{
    if (a->ring_len == FEED_AUTH_RING) {
        a->ring_head = (a->ring_head + 1) % FEED_AUTH_RING;
        a->ring_len--;
        a->st.refusals_lost++;
    }
    a->ring[(a->ring_head + a->ring_len) % FEED_AUTH_RING] = *r;
    a->ring_len++;
}

void feed_auth_zap_decide(feed_auth *a, const feed_auth_frame *req, size_t n,
                          feed_auth_zap_reply *rep)
{
    memset(rep, 0, sizeof *rep);
    feed_auth_refusal r;
    memset(&r, 0, sizeof r);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    r.wall_t = (double)ts.tv_sec + ts.tv_nsec * 1e-9;
    if (n >= 4)
        frame_text(&req[3], r.address, sizeof r.address);

    const char *status = "500", *text = "malformed ZAP request";
    bool malformed = true;
    if (n >= 6 && frame_is(&req[0], "1.0")) {
        malformed = false;
        status = "400";
        if (!frame_is(&req[2], FEED_AUTH_ZAP_DOMAIN)) {
            text = "unknown ZAP domain";
        } else if (!frame_is(&req[5], "CURVE")) {
            text = "mechanism not allowed (CURVE required)";
        } else if (n != 7 || req[6].size != 32) {
            status = "500";
            text = "malformed CURVE credentials";
            malformed = true;
        } else {
            zmq_z85_encode(r.key_z85, req[6].data, 32);
            pthread_mutex_lock(&a->mu);
            bool ok = a->allow && bsearch(req[6].data, a->allow, a->n_allow, 32, key_cmp);
            pthread_mutex_unlock(&a->mu);
            if (ok) {
                status = "200";
                text = "OK";
                memcpy(rep->user_id, r.key_z85, sizeof rep->user_id);
            } else {
                text = "client key not on the allow-list";
            }
        }
    }
    snprintf(rep->status, sizeof rep->status, "%s", status);
    snprintf(rep->text, sizeof rep->text, "%s", text);

    pthread_mutex_lock(&a->mu);
    a->st.requests++;
    if (status[0] == '2') {
        a->st.accepted++;
    } else {
        if (malformed)
            a->st.malformed++;
        else
            a->st.refused++;
        snprintf(r.reason, sizeof r.reason, "%s", text);
        ring_push(a, &r);
    }
    pthread_mutex_unlock(&a->mu);
}

static void count_zap_error(feed_auth *a)
{
    pthread_mutex_lock(&a->mu);
    a->st.zap_errors++;
    pthread_mutex_unlock(&a->mu);
}

static void handle_one(feed_auth *a)
{
    zmq_msg_t msg[ZAP_MAX_FRAMES];
    feed_auth_frame fr[ZAP_MAX_FRAMES];
    size_t n = 0;
    bool too_many = false, err = false;
    for (;;) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, a->zap, 0) < 0) {
            zmq_msg_close(&m);
            err = true;
            break;
        }
        bool more = zmq_msg_more(&m);
        if (n < ZAP_MAX_FRAMES) {
            msg[n] = m;
            fr[n].data = zmq_msg_data(&msg[n]);
            fr[n].size = zmq_msg_size(&msg[n]);
            n++;
        } else {
            too_many = true;
            zmq_msg_close(&m);
        }
        if (!more)
            break;
    }
    if (err) {
        for (size_t i = 0; i < n; i++)
            zmq_msg_close(&msg[i]);
        count_zap_error(a);
        return;
    }
    feed_auth_zap_reply rep;
    /* more frames than any mechanism sends: decide on a truncated list -> "500" */
    feed_auth_zap_decide(a, fr, too_many ? 1 : n, &rep);
    const char *rid = n >= 2 ? fr[1].data : "";
    size_t rid_n = n >= 2 ? fr[1].size : 0;
    const struct {
        const void *d;
        size_t n;
    } out[6] = {{"1.0", 3},
                {rid, rid_n},
                {rep.status, 3},
                {rep.text, strlen(rep.text)},
                {rep.user_id, strlen(rep.user_id)},
                {"", 0}};
    for (int i = 0; i < 6; i++) {
        if (zmq_send(a->zap, out[i].d, out[i].n, i < 5 ? ZMQ_SNDMORE : 0) < 0) {
            count_zap_error(a);
            break;
        }
    }
    for (size_t i = 0; i < n; i++)
        zmq_msg_close(&msg[i]);
}

static void *zap_thread(void *arg)
{
    feed_auth *a = arg;
    while (!atomic_load(&a->stop)) {
        zmq_pollitem_t it = {a->zap, 0, ZMQ_POLLIN, 0};
        int rc = zmq_poll(&it, 1, 100);
        if (rc < 0) {
            if (errno == ETERM) {
                /* zmq_ctx_term() before destroy(): close now or ctx_term never returns */
                zmq_close(a->zap);
                a->zap = NULL;
                break;
            }
            if (errno != EINTR)
                count_zap_error(a);
            continue;
        }
        if (rc > 0 && (it.revents & ZMQ_POLLIN))
            handle_one(a);
    }
    return NULL;
}

/* ---- lifecycle ------------------------------------------------------------------- */

void feed_auth_cfg_default(feed_auth_cfg *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->mode = FEED_AUTH_CURVE;
}

int feed_auth_cfg_add_client_key(feed_auth_cfg *cfg, const char *z85, sg_errinfo *e)
{
    uint8_t bin[32];
    int rc = feed_key_decode(z85, bin, "client key", e);
    if (rc)
        return rc;
    if (cfg->n_client_keys < 0 || cfg->n_client_keys >= FEED_AUTH_MAX_INLINE_KEYS)
        return sg_err_set(e, SG_ERANGE, "client keys: at most %d inline keys",
                          FEED_AUTH_MAX_INLINE_KEYS);
    memcpy(cfg->client_keys[cfg->n_client_keys++], z85, FEED_KEY_Z85_LEN + 1);
    return SG_OK;
}

int feed_auth_cfg_from_json(feed_auth_cfg *cfg, const cJSON *obj, const char *where,
                            const char *base_file, sg_errinfo *e)
{
    static const char *const allowed[] = {"mode", "server_secret_key_file", "client_keys",
                                          "client_keys_file", NULL};
    static const char *const modes[] = {"curve", "plaintext"};
    feed_auth_cfg_default(cfg);
    if (!cJSON_IsObject(obj))
        return sg_err_set(e, SG_EINVAL, "%s: must be an object", where);
    int rc, mode = 0;
    char path[FEED_AUTH_PATH_LEN];
    if ((rc = sgj_check_keys(obj, where, allowed, e)) ||
        (rc = sgj_enum(obj, where, "mode", true, 0, modes, 2, &mode, e)))
        return rc;
    cfg->mode = (feed_auth_mode)mode;

    const char *files[2] = {"server_secret_key_file", "client_keys_file"};
    char *dst[2] = {cfg->server_secret_key_file, cfg->client_keys_file};
    for (int i = 0; i < 2; i++) {
        if ((rc = sgj_string(obj, where, files[i], false, "", path, sizeof path, e)))
            return rc;
        if (path[0] && (base_file ? sg_path_relative_to(base_file, path, dst[i],
                                                         FEED_AUTH_PATH_LEN)
                                  : snprintf(dst[i], FEED_AUTH_PATH_LEN, "%s", path) < 0))
            return sg_err_set(e, SG_ERANGE, "%s.%s: path too long", where, files[i]);
    }
    const cJSON *keys = NULL, *it;
    if ((rc = sgj_array(obj, where, "client_keys", false, &keys, e)))
        return rc;
    int i = 0;
    cJSON_ArrayForEach(it, keys)
    {
        char what[256];
        snprintf(what, sizeof what, "%s.client_keys[%d]", where, i);
        if (i >= FEED_AUTH_MAX_INLINE_KEYS)
            return sg_err_set(e, SG_ERANGE, "%s: at most %d inline keys (use client_keys_file)",
                              what, FEED_AUTH_MAX_INLINE_KEYS);
        uint8_t bin[32];
        if (!cJSON_IsString(it))
            return sg_err_set(e, SG_EINVAL, "%s: must be a string", what);
        if ((rc = feed_key_decode(it->valuestring, bin, what, e)))
            return rc;
        memcpy(cfg->client_keys[i], it->valuestring, FEED_KEY_Z85_LEN + 1);
        i++;
    }
    cfg->n_client_keys = i;

    if (cfg->mode == FEED_AUTH_CURVE) {
        if (!cfg->server_secret_key_file[0])
            return sg_err_set(e, SG_EINVAL, "%s.server_secret_key_file: required for mode "
                              "\"curve\" (generate one with sg_keygen)", where);
        if (!cfg->n_client_keys && !cfg->client_keys_file[0])
            return sg_err_set(e, SG_EINVAL, "%s: mode \"curve\" needs client_keys or "
                              "client_keys_file (the allow-list)", where);
    }
    return SG_OK;
}

feed_auth *feed_auth_create(void *zmq_ctx, const feed_auth_cfg *cfg, sg_errinfo *e)
{
    if (!zmq_ctx || !cfg) {
        sg_err_set(e, SG_EINVAL, "feed security: NULL context or config");
        return NULL;
    }
    if (cfg->mode != FEED_AUTH_CURVE && cfg->mode != FEED_AUTH_PLAINTEXT) {
        sg_err_set(e, SG_EINVAL, "feed security: unknown mode %d", (int)cfg->mode);
        return NULL;
    }
    feed_auth *a = calloc(1, sizeof *a);
    if (!a) {
        sg_err_set(e, SG_ENOMEM, "feed security: out of memory");
        return NULL;
    }
    a->mode = cfg->mode;
    a->ctx = zmq_ctx;
    atomic_init(&a->stop, false);
    if (pthread_mutex_init(&a->mu, NULL) != 0) {
        free(a);
        sg_err_set(e, SG_ENOMEM, "feed security: cannot create mutex");
        return NULL;
    }
    if (a->mode == FEED_AUTH_PLAINTEXT)
        return a;

    int rc;
    if (!zmq_has("curve")) {
        sg_err_set(e, SG_ENOTSUP, "feed security: this libzmq was built without CURVE");
        goto fail;
    }
    feed_keypair kp;
    if (cfg->server_secret_z85[0]) {
        char derived[FEED_KEY_Z85_LEN + 1];
        if ((rc = feed_key_decode(cfg->server_secret_z85, a->server_secret, "server secret key", e)))
            goto fail;
        zmq_curve_public(derived, cfg->server_secret_z85);
        memcpy(a->server_public_z85, derived, sizeof derived);
    } else {
        if (!cfg->server_secret_key_file[0]) {
            sg_err_set(e, SG_EINVAL, "feed security: no server secret key file");
            goto fail;
        }
        if ((rc = feed_key_load(cfg->server_secret_key_file, true, &kp, e)))
            goto fail;
        feed_key_decode(kp.secret_z85, a->server_secret, "server secret key", NULL);
        memcpy(a->server_public_z85, kp.public_z85, sizeof kp.public_z85);
        memset(&kp, 0, sizeof kp);
    }
    if (cfg->n_client_keys < 0 || cfg->n_client_keys > FEED_AUTH_MAX_INLINE_KEYS) {
        sg_err_set(e, SG_EINVAL, "feed security: n_client_keys %d out of range",
                   cfg->n_client_keys);
        goto fail;
    }
    for (int i = 0; i < cfg->n_client_keys; i++) {
        char what[64];
        snprintf(what, sizeof what, "client_keys[%d]", i);
        if ((rc = feed_key_decode(cfg->client_keys[i], a->inline_keys[i], what, e)))
            goto fail;
    }
    a->n_inline = cfg->n_client_keys;
    snprintf(a->client_keys_file, sizeof a->client_keys_file, "%s", cfg->client_keys_file);
    if ((rc = feed_auth_reload(a, e)))
        goto fail;

    a->zap = zmq_socket(zmq_ctx, ZMQ_REP);
    if (!a->zap) {
        sg_err_set(e, SG_EIO, "feed security: ZAP socket: %s", zmq_strerror(errno));
        goto fail;
    }
    int linger = 0;
    zmq_setsockopt(a->zap, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_bind(a->zap, ZAP_ENDPOINT) != 0) {
        sg_err_set(e, errno == EADDRINUSE ? SG_ESTATE : SG_EIO,
                   "feed security: cannot bind the ZAP handler on %s: %s%s", ZAP_ENDPOINT,
                   zmq_strerror(errno),
                   errno == EADDRINUSE ? " (another ZAP handler runs in this context)" : "");
        goto fail;
    }
    if (pthread_create(&a->thread, NULL, zap_thread, a) != 0) {
        sg_err_set(e, SG_ENOMEM, "feed security: cannot start the ZAP thread");
        goto fail;
    }
    a->thread_started = true;
    return a;
fail:
    feed_auth_destroy(a);
    return NULL;
}

int feed_auth_apply(feed_auth *a, void *socket, const char *endpoint, sg_errinfo *e)
{
    if (!a || !socket || !endpoint)
        return sg_err_set(e, SG_EINVAL, "feed security: NULL argument");
    if (a->mode == FEED_AUTH_PLAINTEXT) {
        if (!feed_endpoint_is_loopback(endpoint))
            return sg_err_set(e, SG_EAUTH, "%s: refusing a plaintext feed on a non-loopback "
                              "endpoint (anyone on the network could read it); use mode "
                              "\"curve\", or bind tcp://127.0.0.1:PORT, tcp://[::1]:PORT or "
                              "ipc://", endpoint);
        return SG_OK;
    }
    int one = 1;
    int64_t maxmsg = INBOUND_MAX;
    const char *dom = FEED_AUTH_ZAP_DOMAIN;
    if (zmq_setsockopt(socket, ZMQ_CURVE_SERVER, &one, sizeof one) != 0 ||
        zmq_setsockopt(socket, ZMQ_CURVE_SECRETKEY, a->server_secret, 32) != 0 ||
        zmq_setsockopt(socket, ZMQ_ZAP_DOMAIN, dom, strlen(dom)) != 0 ||
        zmq_setsockopt(socket, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg) != 0)
        return sg_err_set(e, SG_EIO, "%s: cannot configure CURVE: %s", endpoint,
                          zmq_strerror(errno));
    return SG_OK;
}

int feed_auth_client_apply(void *socket, const char *server_key_file, const char *key_file,
                           sg_errinfo *e)
{
    if (!socket || !server_key_file || !key_file)
        return sg_err_set(e, SG_EINVAL, "feed security: NULL argument");
    feed_keypair srv, me;
    int rc;
    if ((rc = feed_key_load(server_key_file, false, &srv, e)) ||
        (rc = feed_key_load(key_file, true, &me, e)))
        return rc;
    rc = SG_OK;
    if (zmq_setsockopt(socket, ZMQ_CURVE_SERVERKEY, srv.public_z85, FEED_KEY_Z85_LEN) != 0 ||
        zmq_setsockopt(socket, ZMQ_CURVE_PUBLICKEY, me.public_z85, FEED_KEY_Z85_LEN) != 0 ||
        zmq_setsockopt(socket, ZMQ_CURVE_SECRETKEY, me.secret_z85, FEED_KEY_Z85_LEN) != 0)
        rc = sg_err_set(e, SG_EIO, "%s: cannot configure the CURVE client: %s", key_file,
                        zmq_strerror(errno));
    memset(&me, 0, sizeof me);
    return rc;
}

const char *feed_auth_server_public(const feed_auth *a)
{
    return a ? a->server_public_z85 : "";
}

feed_auth_mode feed_auth_get_mode(const feed_auth *a)
{
    return a->mode;
}

void feed_auth_get_stats(feed_auth *a, feed_auth_stats *out)
{
    pthread_mutex_lock(&a->mu);
    *out = a->st;
    pthread_mutex_unlock(&a->mu);
}

size_t feed_auth_drain_refusals(feed_auth *a, feed_auth_refusal *out, size_t cap)
{
    size_t n = 0;
    pthread_mutex_lock(&a->mu);
    while (n < cap && a->ring_len > 0) {
        out[n++] = a->ring[a->ring_head];
        a->ring_head = (a->ring_head + 1) % FEED_AUTH_RING;
        a->ring_len--;
    }
    pthread_mutex_unlock(&a->mu);
    return n;
}

void feed_auth_destroy(feed_auth *a)
{
    if (!a)
        return;
    if (a->thread_started) {
        atomic_store(&a->stop, true);
        pthread_join(a->thread, NULL);
    }
    if (a->zap)
        zmq_close(a->zap);
    memset(a->server_secret, 0, sizeof a->server_secret);
    free(a->allow);
    pthread_mutex_destroy(&a->mu);
    free(a);
}
