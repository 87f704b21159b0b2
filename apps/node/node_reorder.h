/* The fusion node's reorder buffer (docs/nodes.md, "Reordering"): events of many sensor
 * nodes arrive in each node's own order, interleaved by the links; the buffer holds
 * each for at most hold_s of wall clock and hands them on in time order across nodes
 * (ties: by sensor, then arrival), so a measurement a few ms behind another node's
 * reaches the tracker in sequence.
 *
 * Bounded: at most `cap` events are held (when full, the earliest is handed on at once)
 * and none longer than hold_s after its arrival: once the oldest arrival has waited
 * hold_s, everything up to its time goes. A measurement or tick that arrives after a
 * later one was handed on is late: it is handed on at once (never dropped; the tracker's
 * out-of-sequence window takes it) and late measurements are counted. Health and notes
 * are not time-ordered (the caller passes them on directly); an end of input is ordered
 * after every event of its sensor.
 *
 * Single-threaded. Times: event t in s UTC (sample clock); `now` in s of a monotonic
 * clock. */
#ifndef SG_NODE_REORDER_H
#define SG_NODE_REORDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "node_link.h"

typedef struct node_reorder node_reorder;

typedef struct {
    uint64_t held;             /* events that went through the buffer */
    uint64_t reordered;        /* handed on after an event that arrived later */
    uint64_t late;             /* measurements that arrived after a later event went */
    uint64_t forced;           /* handed on early because the buffer was full */
    size_t depth;              /* held now */
} node_reorder_stats;

/* hold_s in [0, 60] (0: hands every event on at once), cap >= 1 events, n_sensors >= 1;
 * NULL if out of memory or out of range. */
node_reorder *node_reorder_create(double hold_s, size_t cap, size_t n_sensors);
void node_reorder_destroy(node_reorder *r);

/* Takes ev (kind NL_MEAS, NL_TICK or NL_DONE, sensor < n_sensors) arriving at now.
 * Returns true when ev is late or not ordered and must be handed on at once by the caller
 * (ev untouched), false when it is held. Pop before the next push: a push into a full
 * buffer makes its earliest event due at once. */
bool node_reorder_push(node_reorder *r, const nl_event *ev, double now);
/* The next event due at now (flush: every held event, in order); false if none. */
bool node_reorder_pop(node_reorder *r, nl_event *out, double now, bool flush);
/* s (monotonic) when the next held event falls due, +Inf if none held. */
double node_reorder_next_due(const node_reorder *r);
void node_reorder_get_stats(const node_reorder *r, node_reorder_stats *out);

#endif
