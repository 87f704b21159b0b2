/* The ZeroMQ node link (node_link.h) between sensor nodes and the fusion node of a
 * distributed venue (docs/nodes.md). Sensor nodes connect a DEALER socket to the
 * fusion node's ROUTER; CURVE with per-node keys and the ZAP allow-list of
 * adapters/feed_auth.c (the venue's node public keys).
 *
 * Sensor end: push() goes into a bounded queue (node_cfg.queue) drained by a sender
 * thread. Live events are sent with ZMQ_DONTWAIT and dropped (counted) when the
 * fusion node is slow or absent (ZMQ_SNDHWM = node_cfg.hwm): a sensor node never
 * blocks. Replayed events (push with wait) keep back-pressure. The thread answers the
 * fusion node's pings (clock offset, link delay) and keeps the clock floor it sends.
 *
 * Fusion end: pop() receives from every node in arrival order, checks each message
 * (decoding, the sending node's key against the sensors it runs, sequence gaps =
 * losses), measures each node's clock offset and delay by ping/pong (NTP-style) and
 * flags a node off by more than clock_bound_s, and sends each replayed node the
 * slowest other node's clock so replays advance together as in one process. */
#ifndef SG_NODE_ZMQ_H
#define SG_NODE_ZMQ_H

#include "node_cfg.h"
#include "node_link.h"

/* Sensor end for node index `node` of cfg. Keys are read here (errors name the file). */
node_link *node_zmq_sensor_create(const node_cfg *cfg, int node, sg_errinfo *e);
/* Fusion end: binds cfg->bind. `site` gives each node's sensors and stale_after_s. */
node_link *node_zmq_fusion_create(const node_cfg *cfg, const sg_site *site, sg_errinfo *e);

#endif
