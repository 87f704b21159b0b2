/* Per-subscriber bookkeeping of the operator feed's XPUB socket, from its ZeroMQ
 * socket monitor: who is connected (address, since when), connection attempts that
 * failed their handshake (a plaintext client on a CURVE feed, a client with the wrong
 * server key), and the slow-client policy (readsb's model): a subscriber whose queue
 * is full holds the feed back (ZMQ_XPUB_NODROP: nothing is dropped silently), and one
 * that stays full too long is disconnected, its queued messages counted as lost.
 *
 * A full queue is found from the kernel: ZeroMQ writes to a subscriber's TCP socket
 * whenever it can, so only a subscriber whose kernel send queue (SIOCOUTQ) is backed
 * up can have a full ZeroMQ queue. Disconnecting is shutdown(2) on that connection's
 * descriptor (from the monitor's ACCEPTED event, checked against the peer address):
 * libzmq sees the connection end and discards its queue.
 *
 * Not thread-safe: one thread (the feed's) calls everything. Never prints: notices
 * are drained by the app to log. */
#ifndef SG_FEED_PEERS_H
#define SG_FEED_PEERS_H

#include <stddef.h>
#include <stdint.h>

#include "sg_error.h"

#define FEED_PEERS_MAX 256   /* tracked connections; more are served, not tracked */
#define FEED_PEERS_NOTES 32  /* undrained notices kept (oldest dropped, counted) */

typedef struct feed_peers feed_peers;

typedef struct {
    uint64_t accepted;          /* connections accepted */
    uint64_t handshake_failed;  /* refused during the ZMTP/CURVE handshake (not ZAP) */
    uint64_t slow_cut;          /* subscribers disconnected for being too slow */
    uint64_t slow_lost;         /* messages queued for them when cut (>= the HWM each) */
    uint64_t notes_lost;        /* notices overwritten before being drained */
    uint32_t connected;         /* connections now */
} feed_peers_stats;

typedef struct {
    double wall_t;              /* s UTC, wall clock */
    char address[64];           /* "ip:port" of the peer, "?" unknown */
    char text[160];             /* what happened */
} feed_peer_note;

/* Starts monitoring `sock` (call before zmq_bind); hwm = its ZMQ_SNDHWM (messages). */
feed_peers *feed_peers_create(void *ctx, void *sock, int hwm, sg_errinfo *e);
/* Reads pending monitor events; non-blocking. */
void feed_peers_poll(feed_peers *p);
/* Disconnects the subscribers whose kernel send queue is backed up (the largest one,
 * and any holding at least half as much, >= 4 KiB); blocked_s = how long the feed was
 * held back, for the notice. Returns how many were cut. */
int feed_peers_cut_slow(feed_peers *p, double blocked_s);
/* Moves up to cap of the oldest notices into out; returns how many. */
size_t feed_peers_drain(feed_peers *p, feed_peer_note *out, size_t cap);
void feed_peers_get_stats(const feed_peers *p, feed_peers_stats *out);
/* Stops the monitor (before the socket closes). NULL is fine. */
void feed_peers_destroy(feed_peers *p);

#endif
