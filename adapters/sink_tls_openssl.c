/* TLS sessions of the sinks through OpenSSL (see sink_tls.h). */
#include "sink_tls.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "sg_clock.h"
#include "sg_json.h"

struct sink_tls {
    SSL_CTX *ctx;
    SSL *ssl;
    char server_name[256];
    bool insecure;
};

static const char *ssl_err(void)
{
    static _Thread_local char buf[256];
    unsigned long e = ERR_get_error();
    if (!e)
        return "no detail";
    ERR_error_string_n(e, buf, sizeof buf);
    return buf;
}

sink_tls *sink_tls_parse(const cJSON *b, const char *w, const char *base, const char *host,
                         sg_errinfo *e)
{
    static const char *const keys[] = {"ca_file", "cert_file", "key_file", "server_name",
                                       "insecure", "comment", NULL};
    char ca[1024], cert[1024], key[1024], rca[1024], rcert[1024], rkey[1024];
    bool insecure;
    sink_tls *t = calloc(1, sizeof *t);
    if (!t) {
        sg_err_set(e, SG_ENOMEM, "%s: out of memory", w);
        return NULL;
    }
    if (sgj_check_keys(b, w, keys, e) ||
        sgj_string(b, w, "ca_file", true, "", ca, sizeof ca, e) ||
        sgj_string(b, w, "cert_file", false, "", cert, sizeof cert, e) ||
        sgj_string(b, w, "key_file", false, "", key, sizeof key, e) ||
        sgj_string(b, w, "server_name", false, host, t->server_name, sizeof t->server_name,
                   e) ||
        sgj_bool(b, w, "insecure", false, false, &insecure, e))
        goto fail;
    t->insecure = insecure;
    if (!cert[0] != !key[0]) {
        sg_err_set(e, SG_EINVAL, "%s: cert_file and key_file go together (client certificate)",
                   w);
        goto fail;
    }
    sg_path_relative_to(base, ca, rca, sizeof rca);
    sg_path_relative_to(base, cert, rcert, sizeof rcert);
    sg_path_relative_to(base, key, rkey, sizeof rkey);
    if (!(t->ctx = SSL_CTX_new(TLS_client_method()))) {
        sg_err_set(e, SG_ENOMEM, "%s: TLS context: %s", w, ssl_err());
        goto fail;
    }
    SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION);
    SSL_CTX_set_mode(t->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    if (SSL_CTX_load_verify_locations(t->ctx, rca, NULL) != 1) {
        sg_err_set(e, SG_EINVAL, "%s.ca_file: %s: %s", w, rca, ssl_err());
        goto fail;
    }
    if (cert[0] && (SSL_CTX_use_certificate_chain_file(t->ctx, rcert) != 1)) {
        sg_err_set(e, SG_EINVAL, "%s.cert_file: %s: %s", w, rcert, ssl_err());
        goto fail;
    }
    if (key[0] && (SSL_CTX_use_PrivateKey_file(t->ctx, rkey, SSL_FILETYPE_PEM) != 1 ||
                   SSL_CTX_check_private_key(t->ctx) != 1)) {
        sg_err_set(e, SG_EINVAL, "%s.key_file: %s: %s", w, rkey, ssl_err());
        goto fail;
    }
    SSL_CTX_set_verify(t->ctx, insecure ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, NULL);
    return t;
fail:
    sink_tls_free(t);
    return NULL;
}

void sink_tls_free(sink_tls *t)
{
    if (!t)
        return;
    sink_tls_end(t);
    SSL_CTX_free(t->ctx);
    free(t);
}

/* Waits for what SSL asked for (r = SSL_ERROR_WANT_READ/WRITE) until deadline. */
static bool wait_io(int fd, int r, double deadline)
{
    double left = deadline - sg_clock_s(CLOCK_MONOTONIC);
    if (left <= 0 || (r != SSL_ERROR_WANT_READ && r != SSL_ERROR_WANT_WRITE))
        return false;
    struct pollfd p = {fd, r == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, 0};
    return poll(&p, 1, (int)(left * 1000) + 1) >= 0;
}

int sink_tls_connect(sink_tls *t, int fd, double timeout_s)
{
    sink_tls_end(t);
    if (!(t->ssl = SSL_new(t->ctx)) || SSL_set_fd(t->ssl, fd) != 1) {
        sink_tls_end(t);
        return SG_ENOMEM;
    }
    SSL_set_tlsext_host_name(t->ssl, t->server_name);
    if (!t->insecure)
        SSL_set1_host(t->ssl, t->server_name);
    double deadline = sg_clock_s(CLOCK_MONOTONIC) + timeout_s;
    for (;;) {
        int rc = SSL_connect(t->ssl);
        if (rc == 1) {
            /* TLS 1.3: a server that refuses our certificate says so only after our side
             * of the handshake is done; give it a moment to do so */
            struct pollfd p = {fd, POLLIN, 0};
            if (poll(&p, 1, 150) == 1 && !sink_tls_poll_open(t)) {
                sink_tls_end(t);
                ERR_clear_error();
                return SG_EAUTH;
            }
            return SG_OK;
        }
        int r = SSL_get_error(t->ssl, rc);
        if (!wait_io(fd, r, deadline)) {
            long v = SSL_get_verify_result(t->ssl);
            sink_tls_end(t);
            ERR_clear_error();
            return r == SSL_ERROR_WANT_READ || r == SSL_ERROR_WANT_WRITE ? SG_ETIMEOUT
                   : v != X509_V_OK || r == SSL_ERROR_SSL                ? SG_EAUTH
                                                                         : SG_EIO;
        }
    }
}

int sink_tls_send(sink_tls *t, const void *buf, size_t n, double timeout_s)
{
    if (!t->ssl)
        return SG_EIO;
    const char *p = buf;
    size_t off = 0;
    double deadline = sg_clock_s(CLOCK_MONOTONIC) + timeout_s;
    while (off < n) {
        int k = SSL_write(t->ssl, p + off, (int)(n - off > 1 << 20 ? 1 << 20 : n - off));
        if (k > 0) {
            off += (size_t)k;
            continue;
        }
        int r = SSL_get_error(t->ssl, k);
        if (!wait_io(SSL_get_fd(t->ssl), r, deadline)) {
            ERR_clear_error();
            return r == SSL_ERROR_WANT_READ || r == SSL_ERROR_WANT_WRITE ? SG_ETIMEOUT : SG_EIO;
        }
    }
    return SG_OK;
}

bool sink_tls_poll_open(sink_tls *t)
{
    if (!t->ssl)
        return false;
    char junk[512];
    for (;;) {
        int k = SSL_read(t->ssl, junk, sizeof junk);
        if (k > 0)
            continue;
        int r = SSL_get_error(t->ssl, k);
        ERR_clear_error();
        return r == SSL_ERROR_WANT_READ || r == SSL_ERROR_WANT_WRITE;
    }
}

void sink_tls_end(sink_tls *t)
{
    if (t && t->ssl) {
        SSL_free(t->ssl);
        t->ssl = NULL;
    }
}
