/* CURVE server setup, ZAP/1.0 handler with a client-key allow-list, key files and the
 * plaintext-on-loopback rule for the operator feed (see feed_auth.h).
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

#include "sg_json.h"

#define ZAP_ENDPOINT "inproc://zeromq.zap.01"
#define KEY_FILE_MAX (256u << 10) /* bytes: key and allow-list files are small */
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

bool feed_key_z85_valid(const char *z85)
{
    uint8_t bin[32];
    return z85 && strlen(z85) == FEED_KEY_Z85_LEN && zmq_z85_decode(bin, z85) != NULL;
}

static int decode_key(const char *z85, uint8_t out[32], const char *what, sg_errinfo *e)
{
    if (!z85 || strlen(z85) != FEED_KEY_Z85_LEN)
        return sg_err_set(e, SG_EFORMAT, "%s: a CURVE key must be %d Z85 characters, got %zu",
                          what, FEED_KEY_Z85_LEN, z85 ? strlen(z85) : (size_t)0);
    if (!zmq_z85_decode(out, z85))
        return sg_err_set(e, SG_EFORMAT, "%s: not a valid Z85 key", what);
    return SG_OK;
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

/* Opens and reads a small file; checks permissions on the open descriptor (no race
 * between check and read) and returns its mode for checks after parsing.
 * PERM_NOT_WRITABLE (allow-lists): no write for group or other. */
enum { PERM_NONE, PERM_NOT_WRITABLE };

static int perm_error(const char *path, mode_t mode, sg_errinfo *e)
{
    return sg_err_set(e, SG_EAUTH, "%s: holds a secret key but has mode %04o; it must not be "
                      "readable by others (run: chmod 600 %s)", path, (unsigned)(mode & 07777),
                      path);
}

static int read_checked(const char *path, int perm, char **out, mode_t *mode, sg_errinfo *e)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return sg_err_set(e, SG_EIO, "%s: cannot open: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        int err = errno;
        close(fd);
        return sg_err_set(e, SG_EIO, "%s: cannot stat: %s", path, strerror(err));
    }
    if (!S_ISREG(sb.st_mode)) {
        close(fd);
        return sg_err_set(e, SG_EINVAL, "%s: not a regular file", path);
    }
    if (mode)
        *mode = sb.st_mode;
    if (perm == PERM_NOT_WRITABLE && (sb.st_mode & (S_IWOTH | S_IWGRP))) {
        close(fd);
        return sg_err_set(e, SG_EAUTH, "%s: allow-list is writable by group/others (mode "
                          "%04o); anyone could add a key (run: chmod 644 %s)", path,
                          (unsigned)(sb.st_mode & 07777), path);
    }
    if (sb.st_size > (off_t)KEY_FILE_MAX) {
        close(fd);
        return sg_err_set(e, SG_ERANGE, "%s: larger than %u bytes", path, KEY_FILE_MAX);
    }
    size_t cap = (size_t)sb.st_size + 1, n = 0;
    char *buf = malloc(cap);
    if (!buf) {
        close(fd);
        return sg_err_set(e, SG_ENOMEM, "%s: out of memory", path);
    }
    while (n < cap - 1) {
        ssize_t r = read(fd, buf + n, cap - 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int err = errno;
            free(buf);
            close(fd);
            return sg_err_set(e, SG_EIO, "%s: read error: %s", path, strerror(err));
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    buf[n] = '\0';
    if (strlen(buf) != n) {
        free(buf);
        return sg_err_set(e, SG_EFORMAT, "%s: not a text file (contains NUL bytes)", path);
    }
    *out = buf;
    return SG_OK;
}

/* ---- key files ---------------------------------------------------------------------- */

/* zcert: finds `name = "value"` on a line (czmq writes 4-space-indented "curve" section). */
static int zcert_value(const char *text, const char *name, char *out, size_t cap)
{
    out[0] = '\0';
    size_t nl = strlen(name);
    for (const char *line = text, *eol; line && *line; line = eol ? eol + 1 : NULL) {
        eol = strchr(line, '\n');
        const char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        if (strncmp(p, name, nl) != 0)
            continue;
        p += nl;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p++ != '=')
            continue;
        while (*p == ' ' || *p == '\t')
            p++;
        char quote = (*p == '"' || *p == '\'') ? *p++ : 0;
        size_t n = 0;
        while (p[n] && p[n] != '\n' && p[n] != '\r' && (quote ? p[n] != quote : p[n] != ' '))
            n++;
        if (n >= cap)
            return SG_ERANGE;
        memcpy(out, p, n);
        out[n] = '\0';
        return SG_OK;
    }
    return SG_ENOTFOUND;
}

int feed_key_load(const char *path, bool need_secret, feed_keypair *kp, sg_errinfo *e)
{
    memset(kp, 0, sizeof *kp);
    char *text;
    mode_t mode = 0;
    /* permissions are judged after parsing: only a file that holds a secret must be private */
    int rc = read_checked(path, PERM_NONE, &text, &mode, e);
    if (rc)
        return rc;
    const char *p = text;
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    char pub[64] = "", sec[64] = "";
    /* a bare public key first: '{' is a Z85 character and can start a key */
    size_t first = strcspn(p, " \t\r\n");
    bool bare = false;
    if (first == 40) {
        memcpy(pub, p, first);
        pub[first] = '\0';
        bare = feed_key_z85_valid(pub);
        if (!bare)
            pub[0] = '\0';
    }
    if (bare) {
        /* pub holds it */
    } else if (*p == '{') {
        sg_errinfo je = {0};
        cJSON *root = sgj_parse(path, text, strlen(text), &je);
        static const char *const keys[] = {"public", "secret", NULL};
        if (!root || !cJSON_IsObject(root) ||
            (rc = sgj_check_keys(root, path, keys, &je)) ||
            (rc = sgj_string(root, path, "public", false, "", pub, sizeof pub, &je)) ||
            (rc = sgj_string(root, path, "secret", false, "", sec, sizeof sec, &je))) {
            if (root && !je.msg[0])
                sg_err_set(&je, SG_EFORMAT, "%s: must be a JSON object", path);
            cJSON_Delete(root);
            free(text);
            return sg_err_set(e, SG_EFORMAT, "%s", je.msg[0] ? je.msg : "bad key file");
        }
        cJSON_Delete(root);
    } else if (zcert_value(text, "public-key", pub, sizeof pub) != SG_ENOTFOUND ||
               zcert_value(text, "secret-key", sec, sizeof sec) != SG_ENOTFOUND) {
        zcert_value(text, "public-key", pub, sizeof pub);
        zcert_value(text, "secret-key", sec, sizeof sec);
    } else if (first < sizeof pub) {
        memcpy(pub, p, first);
        pub[first] = '\0';
    }
    free(text);

    uint8_t bin[32];
    char what[FEED_AUTH_PATH_LEN + 32];
    if (need_secret && !sec[0])
        return sg_err_set(e, SG_EFORMAT, "%s: no secret key (want {\"public\": ..., \"secret\": "
                          "...} or a zcert secret certificate)", path);
    if (sec[0]) {
        if (mode & (S_IRWXO | S_IWGRP))
            return perm_error(path, mode, e);
        snprintf(what, sizeof what, "%s: secret", path);
        if ((rc = decode_key(sec, bin, what, e)))
            return rc;
        char derived[FEED_KEY_Z85_LEN + 1];
        if (zmq_curve_public(derived, sec) != 0)
            return sg_err_set(e, SG_ENOTSUP, "%s: libzmq cannot derive CURVE public keys", path);
        if (pub[0] && strcmp(pub, derived) != 0)
            return sg_err_set(e, SG_EFORMAT, "%s: public key does not belong to the secret key",
                              path);
        memcpy(kp->secret_z85, sec, FEED_KEY_Z85_LEN + 1);
        memcpy(kp->public_z85, derived, FEED_KEY_Z85_LEN + 1);
        return SG_OK;
    }
    if (!pub[0])
        return sg_err_set(e, SG_EFORMAT, "%s: no public key found", path);
    snprintf(what, sizeof what, "%s: public", path);
    if ((rc = decode_key(pub, bin, what, e)))
        return rc;
    memcpy(kp->public_z85, pub, FEED_KEY_Z85_LEN + 1);
    return SG_OK;
}

int feed_key_generate(feed_keypair *kp, sg_errinfo *e)
{
    memset(kp, 0, sizeof *kp);
    if (!zmq_has("curve"))
        return sg_err_set(e, SG_ENOTSUP, "this libzmq was built without CURVE");
    if (zmq_curve_keypair(kp->public_z85, kp->secret_z85) != 0)
        return sg_err_set(e, SG_ENOTSUP, "zmq_curve_keypair: %s", zmq_strerror(errno));
    return SG_OK;
}

int feed_key_save(const char *path, const feed_keypair *kp, bool with_secret, bool overwrite,
                  sg_errinfo *e)
{
    if (!feed_key_z85_valid(kp->public_z85) ||
        (with_secret && !feed_key_z85_valid(kp->secret_z85)))
        return sg_err_set(e, SG_EINVAL, "%s: refusing to write an invalid key", path);
    char tmp[FEED_AUTH_PATH_LEN + 16];
    if (snprintf(tmp, sizeof tmp, "%s.tmpXXXXXX", path) >= (int)sizeof tmp)
        return sg_err_set(e, SG_ERANGE, "%s: path too long", path);
    int fd = mkstemp(tmp); /* created 0600: the secret is never briefly world-readable */
    if (fd < 0)
        return sg_err_set(e, SG_EIO, "%s: cannot create temporary file: %s", path,
                          strerror(errno));
    char body[256];
    int n = with_secret ? snprintf(body, sizeof body, "{\"public\": \"%s\", \"secret\": \"%s\"}\n",
                                   kp->public_z85, kp->secret_z85)
                        : snprintf(body, sizeof body, "{\"public\": \"%s\"}\n", kp->public_z85);
    int rc = SG_OK;
    if (!with_secret && fchmod(fd, 0644) != 0)
        rc = sg_err_set(e, SG_EIO, "%s: chmod: %s", tmp, strerror(errno));
    if (!rc && (write(fd, body, (size_t)n) != (ssize_t)n || fsync(fd) != 0))
        rc = sg_err_set(e, SG_EIO, "%s: write: %s", tmp, strerror(errno));
    if (close(fd) != 0 && !rc)
        rc = sg_err_set(e, SG_EIO, "%s: close: %s", tmp, strerror(errno));
    if (!rc) {
        if (overwrite) {
            if (rename(tmp, path) != 0)
                rc = sg_err_set(e, SG_EIO, "%s: rename: %s", path, strerror(errno));
        } else if (link(tmp, path) != 0) { /* fails if path exists: no clobbering race */
            rc = sg_err_set(e, errno == EEXIST ? SG_EINVAL : SG_EIO, "%s: %s", path,
                            errno == EEXIST ? "exists (not overwritten)" : strerror(errno));
        }
    }
    if (rc || !overwrite)
        unlink(tmp);
    return rc;
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
        (rc = read_checked(a->client_keys_file, PERM_NOT_WRITABLE, &text, NULL, e)))
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
        if ((rc = decode_key(tok, keys[n], what, e)))
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
    int rc = decode_key(z85, bin, "client key", e);
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
        if ((rc = decode_key(it->valuestring, bin, what, e)))
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
        if ((rc = decode_key(cfg->server_secret_z85, a->server_secret, "server secret key", e)))
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
        decode_key(kp.secret_z85, a->server_secret, "server secret key", NULL);
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
        if ((rc = decode_key(cfg->client_keys[i], a->inline_keys[i], what, e)))
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
