/* The burst thread of an RF sensor (issue 21): the work after the front end (emitter
 * grouping, DroneID attempts, RF reports, recording annotations) on a thread of its own,
 * so that one sensor's stream uses two cores without changing what it outputs.
 *
 * The sensor thread puts, in sample order, every burst the front end delivers (with its
 * IQ window when a decoder will take it: copied, or in place, below) and every event it would push
 * itself (clock ticks, health, notes, Remote ID positions); the burst thread takes them
 * in the same order and runs them through the user's callbacks. One consumer in one
 * order: the emitters, the DroneID pinning and the events are those of one thread, and
 * a tick (the clock the sensor vouches for) never passes a measurement made before it.
 *
 * Bounded and pre-allocated: `slots` items and an IQ ring of `iq_samples` samples
 * (grown, after a drain, only when one window does not fit in half of it). A put that
 * finds either full waits for the burst thread (lossless: a live input then drops whole
 * blocks in its device pool, as it would if the sensor thread did the work itself) and
 * is counted (`full`, in the sensor's status as burst_queue_full). Nothing is dropped.
 *
 * A window still in the front end's IQ ring is not copied (put_burst_ref): the item holds
 * the pointer, and the sensor thread's ring wait (frontend_set_ring_wait ->
 * sensor_chain_ring_wait) holds back the ring writes that would overwrite it until the
 * burst thread is done with it (counted in `ring_waits`, and in `full`). Lossless as a full queue is; a
 * window is never read after it was overwritten.
 *
 * Threads: put_*, ring_wait, drain and finish from one producer thread (the sensor's); stats from
 * any thread; the callbacks run on the burst thread. */
#ifndef SG_SENSOR_CHAIN_H
#define SG_SENSOR_CHAIN_H

#include <complex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "node_link.h"
#include "sg_error.h"
#include "sg_types.h"

#define SENSOR_CHAIN_SLOTS_DEFAULT 256  /* items (bursts + events) in flight */
#define SENSOR_CHAIN_IQ_S_DEFAULT 0.016 /* s of samples in the IQ ring */

typedef struct sensor_chain sensor_chain;

/* One burst and what the sensor thread knew when the front end delivered it. */
typedef struct {
    sg_burst b;
    double center_freq;        /* Hz RF of DC of the block that delivered it */
    double sample_rate;        /* Hz of that block */
    int64_t rec_offset;        /* incident recording index - stream index at that block */
    const float complex *iq;   /* the burst's IQ window (frontend.h), NULL = none; in the
                                  chain's ring: valid during the callback only */
    size_t n_iq;
} chain_burst;

/* Callbacks, on the burst thread. `block`: the sensor would have pushed the event
 * waiting for room (replay, final health); `health`: ev is an NL_HEALTH whose
 * counters the burst thread owns are to be filled in now. */
typedef struct {
    void (*burst)(void *user, const chain_burst *cb);
    void (*event)(void *user, nl_event *ev, bool block, bool health);
    void *user;
} sensor_chain_fns;

typedef struct {
    uint64_t bursts, events;   /* items put */
    uint64_t full;             /* puts that found the queue or the IQ ring full and waited,
                                  and ring waits that waited */
    uint64_t iq_grown;         /* times the IQ ring was grown for a longer window */
    uint64_t in_place;         /* bursts put with their window in the front end's ring */
    uint64_t ring_waits;       /* ring waits that had to wait for the burst thread */
    size_t slots, iq_samples;  /* capacity now */
} sensor_chain_stats;

/* Starts the burst thread. slots >= 1; iq_samples >= 1 (the ring's first size).
 * NULL + e (SG_EINVAL, SG_ENOMEM) on failure. */
sensor_chain *sensor_chain_create(size_t slots, size_t iq_samples, const sensor_chain_fns *fns,
                                  sg_errinfo *e);

/* Queues a burst; iq (n_iq samples, may be NULL) is copied into the ring. Blocks while
 * the queue or the ring is full. SG_ENOMEM if the ring had to grow and could not (the
 * burst is then queued without IQ: the caller counts the lost decode), SG_ESTATE after
 * finish. */
int sensor_chain_put_burst(sensor_chain *c, const chain_burst *cb, const float complex *iq,
                           size_t n_iq);
/* Queues a burst whose window iq[0..n_iq) (not NULL) stays valid, without a copy, until a
 * sensor_chain_ring_wait with below > first (its stream index) returns: the front end's
 * ring (frontend_iq_in_ring). Blocks while the queue is full. SG_ESTATE after finish. */
int sensor_chain_put_burst_ref(sensor_chain *c, const chain_burst *cb, const float complex *iq,
                               size_t n_iq, uint64_t first);
/* The front end's ring wait (frontend.h): returns once no burst put with put_burst_ref and a
 * window starting below `below` is queued or running. Blocks until then. */
void sensor_chain_ring_wait(sensor_chain *c, uint64_t below);
/* Queues an event (copied). Blocks while the queue is full. SG_ESTATE after finish. */
int sensor_chain_put_event(sensor_chain *c, const nl_event *ev, bool block, bool health);
/* Waits until the burst thread has run every item put so far. */
void sensor_chain_drain(sensor_chain *c);
/* Drains, then stops and joins the burst thread (puts fail from then on). Idempotent. */
void sensor_chain_finish(sensor_chain *c);
/* Finishes and frees; NULL is a no-op. */
void sensor_chain_destroy(sensor_chain *c);
void sensor_chain_stats_get(sensor_chain *c, sensor_chain_stats *out);

#endif
