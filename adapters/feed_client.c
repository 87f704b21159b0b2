/* Subscriber socket set-up for feed consumers (sg_watch, sg_web): see feed_client.h. */
#include "feed_client.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <zmq.h>

#include "feed_auth.h"

static atomic_uint mon_seq; /* unique inproc monitor names within the process */

int feed_client_open(feed_client *fc, void *ctx, const feed_client_cfg *c, sg_errinfo *e)
{
    memset(fc, 0, sizeof *fc);
    if (!c->endpoint || !c->endpoint[0])
        return sg_err_set(e, SG_EINVAL, "feed: no endpoint");
    if (c->n_topics < 0 || c->n_topics > FEED_CLIENT_MAX_TOPICS)
        return sg_err_set(e, SG_EINVAL, "feed: at most %d topics", FEED_CLIENT_MAX_TOPICS);
    if (c->plaintext && (c->server_key || c->key))
        return sg_err_set(e, SG_EINVAL, "feed: plaintext and CURVE keys are exclusive");
    if (!c->plaintext && (!c->server_key || !c->key))
        return sg_err_set(e, SG_EINVAL, "feed: CURVE needs the server public key and our "
                          "key pair (or plaintext for a loopback endpoint)");
    if (c->plaintext && !feed_endpoint_is_loopback(c->endpoint))
        return sg_err_set(e, SG_EINVAL, "%s: refusing plaintext off loopback (use "
                          "tcp://127.0.0.1:PORT, tcp://[::1]:PORT or ipc://, or CURVE keys)",
                          c->endpoint);
    fc->sub = zmq_socket(ctx, ZMQ_SUB);
    if (!fc->sub)
        return sg_err_set(e, SG_EIO, "feed: zmq_socket: %s", zmq_strerror(errno));
    int linger = 0, rc;
    int64_t maxmsg = FEED_CLIENT_RECV_MAX;
    zmq_setsockopt(fc->sub, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(fc->sub, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg);
    if (!c->plaintext) {
        if ((rc = feed_auth_client_apply(fc->sub, c->server_key, c->key, e)) != SG_OK)
            goto fail;
        /* the monitor tells us when the server's ZAP handler refuses our key */
        snprintf(fc->mon_ep, sizeof fc->mon_ep, "inproc://feed_client.monitor.%u",
                 atomic_fetch_add(&mon_seq, 1));
        if (zmq_socket_monitor(fc->sub, fc->mon_ep, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
                                                        ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL) == 0) {
            fc->mon = zmq_socket(ctx, ZMQ_PAIR);
            if (fc->mon) {
                zmq_setsockopt(fc->mon, ZMQ_LINGER, &linger, sizeof linger);
                if (zmq_connect(fc->mon, fc->mon_ep) != 0) {
                    zmq_close(fc->mon);
                    fc->mon = NULL;
                }
            }
        }
    }
    for (int i = 0; i < (c->n_topics ? c->n_topics : 1); i++) {
        const char *t = c->n_topics ? c->topics[i] : "";
        zmq_setsockopt(fc->sub, ZMQ_SUBSCRIBE, t, strlen(t));
    }
    if (zmq_connect(fc->sub, c->endpoint) != 0) {
        rc = sg_err_set(e, SG_EIO, "%s: %s", c->endpoint, zmq_strerror(errno));
        goto fail;
    }
    return SG_OK;
fail:
    feed_client_close(fc);
    return rc;
}

int feed_client_monitor_event(feed_client *fc, char *msg, size_t cap)
{
    uint8_t ev[6];
    char addr[256];
    if (!fc->mon)
        return SG_EAGAIN;
    int n = zmq_recv(fc->mon, ev, sizeof ev, ZMQ_DONTWAIT);
    if (n < 0)
        return SG_EAGAIN;
    int more = 0;
    size_t ml = sizeof more;
    zmq_getsockopt(fc->mon, ZMQ_RCVMORE, &more, &ml);
    if (more)
        zmq_recv(fc->mon, addr, sizeof addr, 0);
    if (n != 6)
        return SG_EAGAIN;
    uint16_t id;
    uint32_t val;
    memcpy(&id, ev, 2);
    memcpy(&val, ev + 2, 4);
    if (id == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) {
        snprintf(msg, cap, "server refused our key (ZAP status %u): is our public key on "
                 "its allow-list?", (unsigned)val);
        return 1;
    }
    snprintf(msg, cap, "CURVE handshake failed (protocol error 0x%x): wrong server key, or "
             "the server is not using CURVE?", (unsigned)val);
    return 0;
}

void feed_client_close(feed_client *fc)
{
    if (fc->mon)
        zmq_close(fc->mon);
    if (fc->sub) {
        if (fc->mon_ep[0])
            zmq_socket_monitor(fc->sub, NULL, 0);
        zmq_close(fc->sub);
    }
    fc->mon = fc->sub = NULL;
}
