/* The feed's one client (see feed_client.h): SUB socket, CURVE keys, monitor, parse. */
#include "feed_client.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "feed_auth.h"

struct feed_client {
    void *ctx, *sub, *mon;
    zmq_msg_t msg;
    bool msg_init;
    char mon_ep[64];
};

static int monitor_start(feed_client *c, sg_errinfo *e)
{
    /* an inproc name unique per client: two clients in one process must not collide */
    snprintf(c->mon_ep, sizeof c->mon_ep, "inproc://feed_client.%p", (void *)c);
    if (zmq_socket_monitor(c->sub, c->mon_ep, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
                                                  ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL) != 0)
        return sg_err_set(e, SG_EIO, "feed client: socket monitor: %s", zmq_strerror(errno));
    int linger = 0;
    c->mon = zmq_socket(c->ctx, ZMQ_PAIR);
    if (!c->mon)
        return sg_err_set(e, SG_EIO, "feed client: monitor socket: %s", zmq_strerror(errno));
    zmq_setsockopt(c->mon, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_connect(c->mon, c->mon_ep) != 0)
        return sg_err_set(e, SG_EIO, "feed client: monitor: %s", zmq_strerror(errno));
    return SG_OK;
}

feed_client *feed_client_create(const feed_client_cfg *cfg, sg_errinfo *e)
{
    if (!cfg || !cfg->endpoint || cfg->n_topics < 0 || cfg->n_topics > FEED_CLIENT_MAX_TOPICS) {
        sg_err_set(e, SG_EINVAL, "feed client: bad configuration");
        return NULL;
    }
    if (cfg->plaintext && !feed_endpoint_is_loopback(cfg->endpoint)) {
        sg_err_set(e, SG_EAUTH, "%s: refusing plaintext off loopback (use tcp://127.0.0.1:"
                   "PORT, tcp://[::1]:PORT or ipc://, or CURVE keys)", cfg->endpoint);
        return NULL;
    }
    if (!cfg->plaintext && (!cfg->server_key_file || !cfg->key_file)) {
        sg_err_set(e, SG_EINVAL, "feed client: CURVE needs the server's public key file and "
                   "our key pair file");
        return NULL;
    }
    feed_client *c = calloc(1, sizeof *c);
    if (!c) {
        sg_err_set(e, SG_ENOMEM, "feed client: out of memory");
        return NULL;
    }
    int linger = 0;
    int64_t maxmsg = FEED_CLIENT_RECV_MAX;
    if (!(c->ctx = zmq_ctx_new()) || !(c->sub = zmq_socket(c->ctx, ZMQ_SUB))) {
        sg_err_set(e, SG_EIO, "feed client: zmq: %s", zmq_strerror(errno));
        goto fail;
    }
    zmq_setsockopt(c->sub, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(c->sub, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg);
    if (!cfg->plaintext) {
        if (feed_auth_client_apply(c->sub, cfg->server_key_file, cfg->key_file, e) != SG_OK ||
            monitor_start(c, e) != SG_OK)
            goto fail;
    }
    for (int i = 0; i < (cfg->n_topics ? cfg->n_topics : 1); i++) {
        const char *t = cfg->n_topics ? cfg->topics[i] : "";
        zmq_setsockopt(c->sub, ZMQ_SUBSCRIBE, t, strlen(t));
    }
    if (zmq_connect(c->sub, cfg->endpoint) != 0) {
        sg_err_set(e, SG_EINVAL, "%s: %s", cfg->endpoint, zmq_strerror(errno));
        goto fail;
    }
    zmq_msg_init(&c->msg);
    c->msg_init = true;
    return c;
fail:
    feed_client_destroy(c);
    return NULL;
}

void feed_client_destroy(feed_client *c)
{
    if (!c)
        return;
    if (c->msg_init)
        zmq_msg_close(&c->msg);
    if (c->mon)
        zmq_close(c->mon);
    if (c->sub) {
        if (c->mon_ep[0])
            zmq_socket_monitor(c->sub, NULL, 0);
        zmq_close(c->sub);
    }
    if (c->ctx)
        zmq_ctx_term(c->ctx);
    free(c);
}

int feed_client_wait(feed_client *c, double timeout_s)
{
    zmq_pollitem_t it[2] = {{c->sub, 0, ZMQ_POLLIN, 0}, {c->mon, 0, ZMQ_POLLIN, 0}};
    long ms = timeout_s > 0 ? (long)(timeout_s * 1000) + 1 : 0;
    int n = zmq_poll(it, c->mon ? 2 : 1, ms);
    if (n < 0)
        return errno == EINTR ? 0 : SG_EIO;
    return ((it[0].revents & ZMQ_POLLIN) ? FEED_CLIENT_FRAME : 0) |
           (c->mon && (it[1].revents & ZMQ_POLLIN) ? FEED_CLIENT_EVENT : 0);
}

int feed_client_event(feed_client *c, char *text, size_t cap)
{
    uint8_t ev[6];
    char addr[256];
    if (!c->mon)
        return SG_EAGAIN;
    int n = zmq_recv(c->mon, ev, sizeof ev, ZMQ_DONTWAIT);
    if (n < 0)
        return SG_EAGAIN;
    int more = 0;
    size_t ml = sizeof more;
    zmq_getsockopt(c->mon, ZMQ_RCVMORE, &more, &ml);
    if (more)
        zmq_recv(c->mon, addr, sizeof addr, 0);
    if (n != 6)
        return SG_EAGAIN;
    uint16_t id;
    uint32_t val;
    memcpy(&id, ev, 2);
    memcpy(&val, ev + 2, 4);
    if (id == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) {
        snprintf(text, cap, "server refused our key (ZAP status %u): is our public key on "
                 "its allow-list?", (unsigned)val);
        return 1;
    }
    snprintf(text, cap, "CURVE handshake failed (protocol error 0x%x): wrong server key, or "
             "the server is not using CURVE?", (unsigned)val);
    return 0;
}

int feed_client_next(feed_client *c, feed_msg *m, const char **raw, size_t *len,
                     sg_errinfo *e)
{
    memset(m, 0, sizeof *m);
    if (zmq_msg_recv(&c->msg, c->sub, ZMQ_DONTWAIT) < 0)
        return SG_EAGAIN;
    const char *p = zmq_msg_data(&c->msg);
    size_t n = zmq_msg_size(&c->msg);
    if (zmq_msg_more(&c->msg)) {
        /* multipart: not our framing; skip the rest of it */
        int more = 1;
        while (more && zmq_msg_recv(&c->msg, c->sub, 0) >= 0)
            more = zmq_msg_more(&c->msg);
        p = "";
        n = 0;
    }
    if (raw)
        *raw = p;
    if (len)
        *len = n;
    if (!n)
        return sg_err_set(e, SG_EFORMAT, "frame: empty or multipart");
    return feed_msg_parse(p, n, m, e);
}
