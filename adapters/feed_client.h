/* Subscriber side of the operator feed: the one place that opens a consumer's SUB
 * socket (docs/feed-schema.md, docs/security.md), shared by sg_watch and sg_web.
 *
 * feed_client_open() makes a SUB socket with the consumer limits (1 MiB inbound
 * messages, no linger), CURVE client keys (server public key pinned, our own key
 * pair) or plaintext on a loopback endpoint only, a socket monitor that reports
 * authentication refusals, the topic subscriptions, and connects. The caller polls
 * fc->sub (and fc->mon when not NULL) and hands monitor events to
 * feed_client_monitor_event(). Not thread-safe: one thread owns a feed_client. */
#ifndef FEED_CLIENT_H
#define FEED_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include "sg_error.h"

#define FEED_CLIENT_RECV_MAX (1 << 20) /* bytes: a server sending more is disconnected */
#define FEED_CLIENT_MAX_TOPICS 16

typedef struct {
    const char *endpoint;   /* ZeroMQ endpoint to connect, e.g. tcp://127.0.0.1:5556 */
    bool plaintext;         /* no CURVE: refused unless the endpoint is loopback */
    const char *server_key; /* CURVE: server public key file (sg_keygen .pub) */
    const char *key;        /* CURVE: our key pair file (sg_keygen .key, 0600) */
    const char *const *topics; /* subscription prefixes; NULL or n_topics 0: everything */
    int n_topics;           /* 0 .. FEED_CLIENT_MAX_TOPICS */
} feed_client_cfg;

typedef struct {
    void *sub; /* the SUB socket: poll it for ZMQ_POLLIN */
    void *mon; /* monitor PAIR socket, NULL for plaintext or when unavailable */
    char mon_ep[64];
} feed_client;

/* Opens and connects. Errors (fc left closed, sockets freed): SG_EINVAL (bad
 * combination: plaintext with keys, CURVE without both files, plaintext off
 * loopback, too many topics), SG_EIO/SG_EAUTH/SG_EFORMAT from the key files,
 * SG_EIO when libzmq refuses the endpoint; e names the endpoint or file. */
int feed_client_open(feed_client *fc, void *zmq_ctx, const feed_client_cfg *cfg,
                     sg_errinfo *e);

/* Reads one pending event from fc->mon. Returns 1 if the server refused our key
 * (ZAP status 400: not on its allow-list), 0 for another handshake failure (wrong
 * server key, server not using CURVE), SG_EAGAIN when nothing was readable; msg
 * (cap bytes) gets a sentence for the operator either way. */
int feed_client_monitor_event(feed_client *fc, char *msg, size_t cap);

/* Closes the sockets (safe on a zeroed or failed feed_client). */
void feed_client_close(feed_client *fc);

#endif
