/* libmicrohttpd server of the operator map (see web_http.h). */
#include "web_http.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "sg_clock.h"
#include "sg_json.h"

#define BODY_MAX 4096 /* bytes of a POST body we accept */

struct web_http {
    struct MHD_Daemon *d;
    web_http_cfg c;
    char *venue_json;
    char csp[1024];
    bool tls;
    atomic_bool stopping;
    char *tls_cert, *tls_key;
};


static void logf_(const web_http *h, const char *fmt, ...)
{
    if (!h->c.log)
        return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    h->c.log(h->c.log_cls, msg);
}

/* ---- listen address -------------------------------------------------------------------- */

int web_listen_parse(const char *listen, struct sockaddr_storage *ss, socklen_t *len,
                     sg_errinfo *e)
{
    char host[64];
    const char *colon = strrchr(listen ? listen : "", ':');
    if (!listen || !colon || colon == listen)
        return sg_err_set(e, SG_EINVAL, "listen \"%s\": expected ADDR:PORT (e.g. 127.0.0.1:8080)",
                          listen ? listen : "");
    size_t hl = (size_t)(colon - listen);
    if (hl >= sizeof host)
        return sg_err_set(e, SG_EINVAL, "listen \"%s\": address too long", listen);
    memcpy(host, listen, hl);
    host[hl] = '\0';
    char *end;
    errno = 0;
    long port = strtol(colon + 1, &end, 10);
    if (!colon[1] || *end || errno || port < 0 || port > 65535)
        return sg_err_set(e, SG_EINVAL, "listen \"%s\": port must be 0..65535", listen);
    memset(ss, 0, sizeof *ss);
    if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') {
        host[hl - 1] = '\0';
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
        if (inet_pton(AF_INET6, host + 1, &a->sin6_addr) != 1)
            return sg_err_set(e, SG_EINVAL, "listen \"%s\": not an IPv6 literal", listen);
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)port);
        *len = sizeof *a;
        return SG_OK;
    }
    struct sockaddr_in *a = (struct sockaddr_in *)ss;
    if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
        return sg_err_set(e, SG_EINVAL, "listen \"%s\": the address must be an IPv4 literal "
                          "(e.g. 127.0.0.1 or 0.0.0.0) or [IPv6]; names are not accepted",
                          listen);
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)port);
    *len = sizeof *a;
    return SG_OK;
}

bool web_listen_is_loopback(const char *listen)
{
    struct sockaddr_storage ss;
    socklen_t len;
    if (web_listen_parse(listen, &ss, &len, NULL) != SG_OK)
        return false;
    if (ss.ss_family == AF_INET)
        return (ntohl(((struct sockaddr_in *)&ss)->sin_addr.s_addr) >> 24) == 127;
    return IN6_IS_ADDR_LOOPBACK(&((struct sockaddr_in6 *)&ss)->sin6_addr);
}

/* ---- responses ---------------------------------------------------------------------------- */

static void security_headers(const web_http *h, struct MHD_Response *r)
{
    MHD_add_response_header(r, "Content-Security-Policy", h->csp);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    /* same-origin, not no-referrer: with no-referrer browsers send "Origin: null" on
     * form posts, which the cross-origin guard must refuse */
    MHD_add_response_header(r, "Referrer-Policy", "same-origin");
    MHD_add_response_header(r, "X-Frame-Options", "DENY");
    if (h->tls)
        MHD_add_response_header(r, "Strict-Transport-Security", "max-age=31536000");
}

static enum MHD_Result send_buf(const web_http *h, struct MHD_Connection *c, unsigned code,
                                const char *type, const char *body, size_t len)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    security_headers(h, r);
    MHD_add_response_header(r, "Content-Type", type);
    MHD_add_response_header(r, "Cache-Control", "no-store");
    enum MHD_Result ret = MHD_queue_response(c, code, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result send_text(const web_http *h, struct MHD_Connection *c, unsigned code,
                                 const char *text)
{
    return send_buf(h, c, code, "text/plain; charset=utf-8", text, strlen(text));
}

static enum MHD_Result redirect(const web_http *h, struct MHD_Connection *c, const char *to,
                                const char *cookie)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    security_headers(h, r);
    MHD_add_response_header(r, "Location", to);
    MHD_add_response_header(r, "Cache-Control", "no-store");
    if (cookie)
        MHD_add_response_header(r, "Set-Cookie", cookie);
    enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_SEE_OTHER, r);
    MHD_destroy_response(r);
    return ret;
}

static const char *content_type(const char *path)
{
    static const char *const map[][2] = {
        {".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},   {".png", "image/png"},
        {".svg", "image/svg+xml"},             {".json", "application/json"},
        {".jpg", "image/jpeg"},                {".webp", "image/webp"},
        {".map", "application/json"},
    };
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot && i < sizeof map / sizeof map[0]; i++)
        if (strcmp(dot, map[i][0]) == 0)
            return map[i][1];
    return NULL;
}

/* Relative paths of [A-Za-z0-9_.-/], no empty, "." or ".." segment, no hidden files. */
static bool rel_path_ok(const char *p)
{
    if (!p[0] || strlen(p) > 200)
        return false;
    for (const char *s = p; *s; s++)
        if (!isalnum((unsigned char)*s) && !strchr("_-./", *s))
            return false;
    const char *seg = p;
    while (seg) {
        if (seg[0] == '.' || seg[0] == '/' || seg[0] == '\0')
            return false;
        seg = strchr(seg, '/');
        if (seg)
            seg++;
    }
    return true;
}

static enum MHD_Result send_file(const web_http *h, struct MHD_Connection *c, const char *dir,
                                 const char *rel)
{
    const char *type = content_type(rel);
    char path[2048];
    if (!type || !rel_path_ok(rel) ||
        (size_t)snprintf(path, sizeof path, "%s/%s", dir, rel) >= sizeof path)
        return send_text(h, c, MHD_HTTP_NOT_FOUND, "not found\n");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0)
            close(fd);
        return send_text(h, c, MHD_HTTP_NOT_FOUND, "not found\n");
    }
    struct MHD_Response *r = MHD_create_response_from_fd((uint64_t)st.st_size, fd);
    if (!r) {
        close(fd);
        return MHD_NO;
    }
    security_headers(h, r);
    MHD_add_response_header(r, "Content-Type", type);
    MHD_add_response_header(r, "Cache-Control", "no-cache");
    enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}

/* ---- event stream ------------------------------------------------------------------------- */

typedef struct {
    web_http *h;
    uint64_t seq;
    char *buf;          /* record(s) being sent */
    size_t off, len;
    bool started;
    double last_write;  /* monotonic s */
} stream;

/* A fresh snapshot record (and the venue first when starting); NULL on memory failure. */
static char *snapshot_records(stream *s, bool with_venue)
{
    char *snap = web_picture_snapshot(s->h->c.pic, sg_clock_s(CLOCK_MONOTONIC), &s->seq);
    char *a = snap ? web_sse_record("snapshot", snap) : NULL;
    free(snap);
    if (!a || !with_venue)
        return a;
    char *v = web_sse_record("venue", s->h->venue_json);
    size_t n = v ? strlen(v) + strlen(a) + 1 : 0;
    char *both = v ? malloc(n) : NULL;
    if (both)
        snprintf(both, n, "%s%s", v, a);
    free(v);
    free(a);
    return both;
}

static ssize_t stream_read(void *cls, uint64_t pos, char *out, size_t max)
{
    (void)pos;
    stream *s = cls;
    while (!s->buf || s->off == s->len) {
        free(s->buf);
        s->buf = NULL;
        s->off = s->len = 0;
        if (atomic_load(&s->h->stopping))
            return MHD_CONTENT_READER_END_OF_STREAM;
        if (!s->started) {
            s->started = true;
            if (!(s->buf = snapshot_records(s, true)))
                return MHD_CONTENT_READER_END_WITH_ERROR; /* never stream without a start */
        } else {
            int rc = web_picture_next(s->h->c.pic, &s->seq, 1.0, &s->buf);
            if (rc == SG_ESTATE)
                return MHD_CONTENT_READER_END_OF_STREAM;
            if (rc == SG_EOVERFLOW) {
                /* this browser fell behind the ring: start it again from now */
                web_picture_count_resync(s->h->c.pic);
                if (!(s->buf = snapshot_records(s, false)))
                    return MHD_CONTENT_READER_END_WITH_ERROR;
            } else if (rc == SG_ETIMEOUT && sg_clock_s(CLOCK_MONOTONIC) - s->last_write >= WEB_HTTP_KEEPALIVE_S) {
                s->buf = strdup(": keepalive\n\n");
            } else if (rc != SG_OK && rc != SG_ETIMEOUT) {
                return MHD_CONTENT_READER_END_WITH_ERROR;
            }
        }
        s->len = s->buf ? strlen(s->buf) : 0;
    }
    size_t n = s->len - s->off < max ? s->len - s->off : max;
    memcpy(out, s->buf + s->off, n);
    s->off += n;
    s->last_write = sg_clock_s(CLOCK_MONOTONIC);
    return (ssize_t)n;
}

static void stream_free(void *cls)
{
    stream *s = cls;
    free(s->buf);
    free(s);
}

static enum MHD_Result send_stream(web_http *h, struct MHD_Connection *c)
{
    stream *s = calloc(1, sizeof *s);
    if (!s)
        return MHD_NO;
    s->h = h;
    s->last_write = sg_clock_s(CLOCK_MONOTONIC);
    struct MHD_Response *r =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, stream_read, s, stream_free);
    if (!r) {
        free(s);
        return MHD_NO;
    }
    security_headers(h, r);
    MHD_add_response_header(r, "Content-Type", "text/event-stream");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    MHD_add_response_header(r, "X-Accel-Buffering", "no");
    enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}

/* ---- requests ------------------------------------------------------------------------------- */

typedef struct {
    char body[BODY_MAX + 1];
    size_t len;
    bool too_big;
} upload;

/* Cross-site request guard for POSTs: an Origin header, when sent, must name us. */
static bool same_origin(const web_http *h, struct MHD_Connection *c)
{
    const char *origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
    const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host");
    if (!origin)
        return true;
    char want[300];
    snprintf(want, sizeof want, "%s://%s", h->tls ? "https" : "http", host ? host : "");
    return host && strcmp(origin, want) == 0;
}

/* Value of key in an application/x-www-form-urlencoded body, decoded, into out. */
static bool form_value(const char *body, const char *key, char *out, size_t cap)
{
    size_t kl = strlen(key);
    for (const char *p = body; p && *p; p = strchr(p, '&') ? strchr(p, '&') + 1 : NULL) {
        if (strncmp(p, key, kl) != 0 || p[kl] != '=')
            continue;
        size_t k = 0;
        for (const char *v = p + kl + 1; *v && *v != '&' && k + 1 < cap; v++) {
            if (*v == '+') {
                out[k++] = ' ';
            } else if (*v == '%' && isxdigit((unsigned char)v[1]) &&
                       isxdigit((unsigned char)v[2])) {
                char hex[3] = {v[1], v[2], 0};
                out[k++] = (char)strtol(hex, NULL, 16);
                v += 2;
            } else {
                out[k++] = *v;
            }
        }
        out[k] = '\0';
        return true;
    }
    return false;
}

static enum MHD_Result do_login(web_http *h, struct MHD_Connection *c, const upload *u)
{
    char token[300] = "", name[WEB_AUTH_NAME_LEN * 3] = "", sid[WEB_AUTH_SID_LEN + 1];
    form_value(u->body, "token", token, sizeof token);
    form_value(u->body, "name", name, sizeof name);
    int rc = web_auth_login(h->c.auth, token, name, sg_clock_s(CLOCK_MONOTONIC), sid, sizeof sid);
    explicit_bzero(token, sizeof token);
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    char addr[INET6_ADDRSTRLEN] = "?";
    if (ci && ci->client_addr) {
        const struct sockaddr *sa = ci->client_addr;
        if (sa->sa_family == AF_INET)
            inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, addr, sizeof addr);
        else if (sa->sa_family == AF_INET6)
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, addr, sizeof addr);
    }
    if (rc != SG_OK) {
        logf_(h, "login refused from %s", addr);
        sleep(1); /* slows guessing; this connection's thread only */
        return redirect(h, c, "/login?failed=1", NULL);
    }
    logf_(h, "login from %s", addr);
    char cookie[200];
    snprintf(cookie, sizeof cookie, "sg_session=%s; Path=/; HttpOnly; SameSite=Strict%s", sid,
             h->tls ? "; Secure" : "");
    return redirect(h, c, "/", cookie);
}

static enum MHD_Result do_ack(web_http *h, struct MHD_Connection *c, const upload *u,
                              const char *who)
{
    const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
    if (!ct || strncmp(ct, "application/json", 16) != 0)
        return send_text(h, c, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, "JSON body required\n");
    sg_errinfo e = {0};
    cJSON *j = sgj_parse("ack", u->body, u->len, &e);
    long id = 0;
    char by[WEB_AUTH_NAME_LEN] = "", raw[WEB_AUTH_NAME_LEN * 2] = "";
    static const char *const keys[] = {"id", "by", NULL};
    int rc = j ? sgj_check_keys(j, "ack", keys, &e) : SG_EFORMAT;
    if (rc == SG_OK)
        rc = sgj_int(j, "ack", "id", true, 0, 0, UINT32_MAX, &id, &e);
    if (rc == SG_OK)
        rc = sgj_string(j, "ack", "by", false, "", raw, sizeof raw, &e);
    cJSON_Delete(j);
    if (rc != SG_OK) {
        char msg[300];
        snprintf(msg, sizeof msg, "%s\n", e.msg);
        return send_text(h, c, MHD_HTTP_BAD_REQUEST, msg);
    }
    if (who && who[0])
        snprintf(by, sizeof by, "%s", who);
    else
        web_auth_sanitize(raw[0] ? raw : "operator", by, sizeof by);
    rc = web_picture_ack(h->c.pic, (uint32_t)id, by, sg_clock_s(CLOCK_REALTIME));
    if (rc == SG_ENOTFOUND)
        return send_text(h, c, MHD_HTTP_NOT_FOUND, "no such alert\n");
    if (rc != SG_OK)
        return send_text(h, c, MHD_HTTP_INTERNAL_SERVER_ERROR, "ack failed\n");
    return send_buf(h, c, MHD_HTTP_OK, "application/json", "{\"ok\":true}", 11);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *data,
                              size_t *data_size, void **con_cls)
{
    (void)version;
    web_http *h = cls;
    bool post = strcmp(method, "POST") == 0;
    if (post) {
        upload *u = *con_cls;
        if (!u) {
            if (!(u = calloc(1, sizeof *u)))
                return MHD_NO;
            *con_cls = u;
            return MHD_YES;
        }
        if (*data_size) {
            if (u->len + *data_size > BODY_MAX) {
                u->too_big = true;
            } else {
                memcpy(u->body + u->len, data, *data_size);
                u->len += *data_size;
            }
            *data_size = 0;
            return MHD_YES;
        }
        u->body[u->len] = '\0';
    } else if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
        return send_text(h, c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n");
    }
    upload *u = post ? *con_cls : NULL;
    if (u && u->too_big)
        return send_text(h, c, MHD_HTTP_CONTENT_TOO_LARGE, "body too large\n");
    if (post && !same_origin(h, c))
        return send_text(h, c, MHD_HTTP_FORBIDDEN, "cross-origin request refused\n");

    /* login: the form and its stylesheet are public, everything else needs a session */
    char who[WEB_AUTH_NAME_LEN] = "";
    if (h->c.auth) {
        if (!strcmp(url, "/login.css") || !strcmp(url, "/login.js") || !strcmp(url, "/favicon.svg"))
            return send_file(h, c, h->c.web_root, url + 1);
        if (!strcmp(url, "/login"))
            return post ? do_login(h, c, u) : send_file(h, c, h->c.web_root, "login.html");
        const char *sid = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, "sg_session");
        if (!web_auth_check(h->c.auth, sid, sg_clock_s(CLOCK_MONOTONIC), who, sizeof who)) {
            if (!post && (!strcmp(url, "/") || !strcmp(url, "/index.html")))
                return redirect(h, c, "/login", NULL);
            return send_text(h, c, MHD_HTTP_UNAUTHORIZED, "log in first (/login)\n");
        }
        if (post && !strcmp(url, "/logout")) {
            web_auth_logout(h->c.auth, sid);
            return redirect(h, c, "/login", "sg_session=; Path=/; Max-Age=0; HttpOnly; "
                                            "SameSite=Strict");
        }
    }
    if (post)
        return !strcmp(url, "/api/ack") ? do_ack(h, c, u, who)
                                        : send_text(h, c, MHD_HTTP_NOT_FOUND, "not found\n");
    if (!strcmp(url, "/") || !strcmp(url, "/index.html"))
        return send_file(h, c, h->c.web_root, "index.html");
    if (!strcmp(url, "/events"))
        return send_stream(h, c);
    if (!strcmp(url, "/api/snapshot")) {
        uint64_t seq;
        char *snap = web_picture_snapshot(h->c.pic, sg_clock_s(CLOCK_MONOTONIC), &seq);
        if (!snap)
            return send_text(h, c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
        enum MHD_Result r = send_buf(h, c, MHD_HTTP_OK, "application/json", snap, strlen(snap));
        free(snap);
        return r;
    }
    if (!strncmp(url, "/vendor/leaflet/", 16)) {
        char dir[1200];
        snprintf(dir, sizeof dir, "%s/node_modules/leaflet/dist", h->c.web_root);
        return send_file(h, c, dir, url + 16);
    }
    if (!strncmp(url, "/tiles/", 7) && h->c.tiles_dir && h->c.tiles_dir[0])
        return send_file(h, c, h->c.tiles_dir, url + 7);
    if (url[0] == '/' && !strchr(url + 1, '/'))
        return send_file(h, c, h->c.web_root, url + 1);
    return send_text(h, c, MHD_HTTP_NOT_FOUND, "not found\n");
}

static void request_done(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    free(*con_cls);
    *con_cls = NULL;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    web_http *h = cls;
    if (!h->c.log)
        return;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    msg[strcspn(msg, "\n")] = '\0';
    h->c.log(h->c.log_cls, msg);
}

/* ---- start / stop ----------------------------------------------------------------------------- */

static int read_pem(const char *path, bool secret, char **out, sg_errinfo *e)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return sg_err_set(e, SG_EIO, "%s: %s", path, strerror(errno));
    if (secret && (st.st_mode & (S_IRWXO | S_IWGRP)))
        return sg_err_set(e, SG_EAUTH, "%s: private key accessible by others or writable by "
                          "group (mode %03o); run: chmod 600 %s", path,
                          (unsigned)(st.st_mode & 0777), path);
    size_t len;
    int rc = sg_read_file(path, 1 << 20, out, &len, e);
    if (rc == SG_OK && !strstr(*out, "-----BEGIN ")) {
        free(*out);
        *out = NULL;
        return sg_err_set(e, SG_EFORMAT, "%s: not a PEM file", path);
    }
    return rc;
}

static void build_csp(web_http *h)
{
    char img[600] = "'self' data:";
    const char *u = h->c.tiles_url;
    if (u && u[0]) {
        const char *p = strstr(u, "://");
        const char *slash = p ? strchr(p + 3, '/') : NULL;
        size_t n = slash ? (size_t)(slash - u) : strlen(u);
        snprintf(img + strlen(img), sizeof img - strlen(img), " %.*s", (int)n, u);
        /* {s} subdomain templates: allow the whole parent domain ("*.") */
        char *s = strstr(img, "{s}.");
        if (s) {
            s[0] = '*';
            memmove(s + 1, s + 3, strlen(s + 3) + 1);
        }
    }
    snprintf(h->csp, sizeof h->csp,
             "default-src 'none'; script-src 'self'; style-src 'self'; img-src %s; "
             "connect-src 'self'; font-src 'self'; form-action 'self'; base-uri 'none'; "
             "frame-ancestors 'none'", img);
}

web_http *web_http_start(const web_http_cfg *c, sg_errinfo *e)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    if (web_listen_parse(c->listen, &ss, &sl, e))
        return NULL;
    bool tls = c->tls_cert_file && c->tls_cert_file[0];
    if ((c->tls_key_file && c->tls_key_file[0]) != tls) {
        sg_err_set(e, SG_EINVAL, "TLS needs both a certificate and its key");
        return NULL;
    }
    if (!web_listen_is_loopback(c->listen) && (!tls || !c->auth)) {
        sg_err_set(e, SG_EINVAL, "listen %s is not loopback: refusing to serve the map without "
                   "TLS and a login (give a certificate, its key and a token file, or listen "
                   "on 127.0.0.1)", c->listen);
        return NULL;
    }
    if (tls && MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
        sg_err_set(e, SG_ENOTSUP, "this libmicrohttpd was built without TLS");
        return NULL;
    }
    if (!c->pic || !c->web_root || !c->venue_json) {
        sg_err_set(e, SG_EINVAL, "web server: picture, web root and venue are required");
        return NULL;
    }
    char idx[1200];
    snprintf(idx, sizeof idx, "%s/index.html", c->web_root);
    if (access(idx, R_OK) != 0) {
        sg_err_set(e, SG_ENOTFOUND, "%s: no index.html (is --web-root the web/ folder?)",
                   c->web_root);
        return NULL;
    }
    web_http *h = calloc(1, sizeof *h);
    if (!h || !(h->venue_json = strdup(c->venue_json))) {
        free(h);
        sg_err_set(e, SG_ENOMEM, "web server: out of memory");
        return NULL;
    }
    h->c = *c;
    h->tls = tls;
    build_csp(h);
    if (tls && (read_pem(c->tls_cert_file, false, &h->tls_cert, e) ||
                read_pem(c->tls_key_file, true, &h->tls_key, e))) {
        web_http_stop(h);
        return NULL;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
                     MHD_USE_ERROR_LOG | (ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0) |
                     (tls ? MHD_USE_TLS : 0);
    struct MHD_OptionItem tls_opts[] = {
        {MHD_OPTION_HTTPS_MEM_CERT, 0, h->tls_cert},
        {MHD_OPTION_HTTPS_MEM_KEY, 0, h->tls_key},
        {MHD_OPTION_END, 0, NULL},
    };
    h->d = MHD_start_daemon(flags, 0, NULL, NULL, handle, h,
                            MHD_OPTION_EXTERNAL_LOGGER, mhd_log, h,
                            MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
                            MHD_OPTION_CONNECTION_LIMIT, (unsigned)WEB_HTTP_MAX_CONN,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60,
                            MHD_OPTION_NOTIFY_COMPLETED, request_done, h,
                            MHD_OPTION_ARRAY, tls ? tls_opts : tls_opts + 2,
                            MHD_OPTION_END);
    if (!h->d) {
        sg_err_set(e, SG_EIO, "listen %s: cannot start the web server (address in use, or a "
                   "bad TLS certificate/key?)", c->listen);
        web_http_stop(h);
        return NULL;
    }
    return h;
}

int web_http_port(const web_http *h)
{
    const union MHD_DaemonInfo *i = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
    return i ? (int)i->port : -1;
}

void web_http_stop(web_http *h)
{
    if (!h)
        return;
    atomic_store(&h->stopping, true);
    if (h->d)
        MHD_stop_daemon(h->d);
    free(h->venue_json);
    if (h->tls_key)
        explicit_bzero(h->tls_key, strlen(h->tls_key));
    free(h->tls_key);
    free(h->tls_cert);
    free(h);
}
