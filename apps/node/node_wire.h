/* The wire format between sensor nodes and the fusion node (docs/nodes.md): one
 * ZeroMQ message per event, a fixed little-endian header then a kind-specific body.
 * Compact on purpose (a measurement is ~80-290 bytes): covariances and velocities
 * travel as float32 (positions, times and frequencies as float64), counters as LEB128
 * varints, strings with a length byte.
 *
 * Header (34 bytes): magic 'K' (0x4B), version NW_VERSION, kind (nw_kind), flags (NW_HF_*),
 * sensor u16, session u32 (random per node start), seq u32 (per session, +1 per
 * message: gaps are losses), t f64 (s UTC, sample clock), sent f64 (s UTC, sender's
 * system clock at send), age f32 (ms from the event's making to its send).
 *
 * Events: NW_MEAS..NW_HEALTH and NW_NOTE (nw_event_kind). Version 2 added the Remote ID
 * and DroneID detail blocks of a measurement and the header's NW_HF_SYSCLOCK.
 *
 * Decoding never trusts the input: every length is checked, unknown kinds and
 * versions, undefined flags, bad strings, out-of-range details and non-finite times or
 * geometry are SG_EFORMAT with a reason. */
#ifndef SG_NODE_WIRE_H
#define SG_NODE_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "node_link.h"
#include "sg_error.h"

#define NW_MAGIC 0x4B
#define NW_VERSION 2 /* 2: measurements carry Remote ID / DroneID details; health SAPIENT counters */
#define NW_HEADER 34
#define NW_MAX 1024            /* bytes: no message is larger (checked on both sides) */

typedef enum {
    NW_MEAS = 0, NW_TICK = 1, NW_DONE = 2, NW_HEALTH = 3, /* node -> fusion: nl_kind + 0 */
    NW_PING = 4,               /* fusion -> node: t1 (fusion clock), floor */
    NW_PONG = 5,               /* node -> fusion: t1 echoed, t2 received, t3 sent (node clock) */
    NW_CLOCK = 6,              /* node -> fusion: header t = the node's slowest replay clock */
    NW_ACK = 7,                /* fusion -> node: an end of input (header seq) was received */
    NW_NOTE = 8,               /* node -> fusion: NL_NOTE, a sensor's warning (rc, text) */
    NW_SCAN = 9,               /* node -> fusion: NL_SCAN, a scan report (t0, t1 = header t,
                                  cover, detected_only, az_center, az_half, el_min, el_max,
                                  range_max); a decoder from before it refuses kind 9 as
                                  unknown */
    NW_KIND_COUNT_
} nw_kind;

/* The message kind of an event (nl_kind; NL_NOTE came after the node kinds). */
static inline nw_kind nw_event_kind(nl_kind k)
{
    return k == NL_NOTE ? NW_NOTE : k == NL_SCAN ? NW_SCAN : (nw_kind)k;
}

typedef struct {
    nw_kind kind;
    int sensor;                /* venue sensor index (events), 0 otherwise */
    uint32_t session, seq;
    double t;                  /* s UTC sample clock (events), NaN otherwise */
    double sent;               /* s UTC, sender's system clock */
    double age_ms;             /* ms from making to sending (events) */
    uint8_t flags;             /* NW_HF_* */
} nw_header;

/* Header flags (version 2; other bits are refused). */
enum {
    NW_HF_SYSCLOCK = 1,        /* event times are on the sender's system clock (live sensor):
                                  the fusion node corrects them by its clock offset */
    NW_HF_MORE = 2,            /* a measurement with more of the same sensor batch to follow
                                  (nl_event.batch_more): one camera frame's or one DF window's
                                  measurements reach the tracker together */
};

typedef struct {
    double t1, t2, t3;         /* PING: t1; PONG: t1 (fusion clock), t2, t3 (node clock) */
    double floor;              /* PING: s UTC, the slowest other node's sample clock
                                  (replayed nodes wait for it), +Inf = none */
} nw_ping;

/* Encodes an event (ev->kind, header fields from h) into buf; returns bytes or
 * SG_ERANGE if cap is too small. `wall_first` of a health event is sent on the
 * sender's system clock: pass it converted (h_wall_first, s UTC, NaN if none). */
int nw_encode_event(uint8_t *buf, size_t cap, const nw_header *h, const nl_event *ev,
                    double h_wall_first);
int nw_encode_ping(uint8_t *buf, size_t cap, const nw_header *h, const nw_ping *p);
/* A bare header (NW_CLOCK, NW_ACK). */
int nw_encode_clock(uint8_t *buf, size_t cap, const nw_header *h);

/* Decodes the header; SG_EFORMAT (e says why) for a short, foreign or newer message. */
int nw_decode_header(const uint8_t *buf, size_t n, nw_header *h, sg_errinfo *e);
/* Decodes an event body into ev (kind, sensor, t filled from the header). made is left
 * zero; *h_wall_first gets the health event's wall_first (s UTC, sender clock). */
int nw_decode_event(const uint8_t *buf, size_t n, const nw_header *h, nl_event *ev,
                    double *h_wall_first, sg_errinfo *e);
int nw_decode_ping(const uint8_t *buf, size_t n, const nw_header *h, nw_ping *p,
                   sg_errinfo *e);

#endif
