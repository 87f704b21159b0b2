/* Consumer side of the operator feed's transport: one ZeroMQ SUB socket connected to the
 * daemon's XPUB endpoint, CURVE-authenticated with our key pair (or plaintext on loopback
 * only, the same rule as the daemon), with a socket monitor that tells a refused key
 * (the server's ZAP handler said no) from a wrong server key. Every frame received is
 * checked by feed_msg_parse (docs/feed-schema.md).
 *
 * This is the one client of the feed: the operator console (sg_watch) and the output
 * bridge (sg_bridge) both use it. Not thread-safe: one thread owns a feed_client.
 *
 *   feed_client *c = feed_client_create(&cfg, &e);
 *   loop: int ev = feed_client_wait(c, 0.25);         // FEED_CLIENT_FRAME | _EVENT
 *         if (ev & FEED_CLIENT_EVENT) feed_client_event(c, text, sizeof text);
 *         while ((rc = feed_client_next(c, &m, &raw, &len, &e)) != SG_EAGAIN) { ...
 *                feed_msg_free(&m); }
 *   feed_client_destroy(c); */
#ifndef SG_FEED_CLIENT_H
#define SG_FEED_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "feed_msg.h"
#include "sg_error.h"

#define FEED_CLIENT_MAX_TOPICS 16
#define FEED_CLIENT_RECV_MAX (1 << 20) /* bytes: a larger frame makes libzmq disconnect */

typedef struct {
    const char *endpoint;         /* e.g. "tcp://127.0.0.1:5556" */
    bool plaintext;               /* no CURVE: refused unless the endpoint is loopback */
    const char *server_key_file;  /* server public key (sg_keygen's .pub); CURVE */
    const char *key_file;         /* our key pair (sg_keygen's .key, mode 0600); CURVE */
    const char *const *topics;    /* subscription prefixes; NULL/0: everything */
    int n_topics;                 /* <= FEED_CLIENT_MAX_TOPICS */
} feed_client_cfg;

typedef struct feed_client feed_client;

enum { FEED_CLIENT_FRAME = 1, FEED_CLIENT_EVENT = 2 };

/* Creates the socket, applies the keys and connects (ZeroMQ connects in the background:
 * a daemon not yet running is not an error). NULL on failure, e says why (key file
 * problems name the file). */
feed_client *feed_client_create(const feed_client_cfg *cfg, sg_errinfo *e);
void feed_client_destroy(feed_client *c);

/* Waits up to timeout_s (0: poll) for a frame or a monitor event. Returns a mask of
 * FEED_CLIENT_FRAME and FEED_CLIENT_EVENT, 0 on timeout or a signal, SG_EIO on failure. */
int feed_client_wait(feed_client *c, double timeout_s);

/* Reads one pending monitor event into text[cap]. Returns 1 when the server refused our
 * key (ZAP), 0 for another handshake failure (wrong server key, not CURVE), SG_EAGAIN
 * when none is pending. Never blocks. */
int feed_client_event(feed_client *c, char *text, size_t cap);

/* Receives one frame without blocking and parses it into *m (feed_msg_free after SG_OK).
 * *raw and *len (may be NULL) point at the received bytes until the next call or destroy.
 * Returns SG_EAGAIN when nothing is queued, otherwise feed_msg_parse's result (multipart
 * or empty frames are SG_EFORMAT). */
int feed_client_next(feed_client *c, feed_msg *m, const char **raw, size_t *len,
                     sg_errinfo *e);

#endif
