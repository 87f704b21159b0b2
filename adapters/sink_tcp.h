/* The TCP stream client the sinks share (CoT to a TAK server, SAPIENT to a fusion node):
 * connects in the background with a bounded wait, reconnects every reconnect_s, and drops a
 * connection whose peer stopped reading for send_timeout_s (a stall) so a sink's worker is
 * never held longer than that. Config block keys (parsed by sink_tcp_parse):
 *   "host" (required), "port" (default given), "reconnect_s" (2), "send_timeout_s" (1),
 *   "tls" (optional: sink_tls.h; the handshake must complete within max(send_timeout_s, 3 s)).
 * Owned by one worker thread; the counters and `connected` are atomics others may read. */
#ifndef SG_SINK_TCP_H
#define SG_SINK_TCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "sg_error.h"
#include "sink_tls.h"

#define SINK_TCP_KEYS "host", "port", "reconnect_s", "send_timeout_s", "tls"

typedef struct {
    char host[256];
    int port;
    double reconnect_s, send_timeout_s;
    int fd;                  /* -1: not connected */
    double next_connect;     /* s wall */
    int connected;           /* atomic */
    uint64_t connects, stalls; /* atomics */
    sink_tls *tls;           /* NULL: plain TCP */
    uint64_t tls_failures;   /* atomic: handshakes that failed (certificates, protocol) */
} sink_tcp;

/* Reads the keys above from block (where names it in errors); default_port when absent;
 * base_file resolves relative TLS file paths. */
int sink_tcp_parse(sink_tcp *t, const cJSON *block, const char *where, int default_port,
                   const char *base_file, sg_errinfo *e);
/* Worker, regularly: connects when due, notices a peer that closed (input is discarded).
 * Returns true when a new connection was made by this call. now = s wall. */
bool sink_tcp_tick(sink_tcp *t, double now);
/* Writes all n bytes within send_timeout_s. SG_OK, or SG_EIO (not connected, error, or a
 * stall: the connection is dropped and retried later). */
int sink_tcp_send(sink_tcp *t, const void *buf, size_t n);
void sink_tcp_close(sink_tcp *t);

#endif
