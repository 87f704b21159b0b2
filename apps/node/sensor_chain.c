/* The burst thread of an RF sensor (see sensor_chain.h): a bounded FIFO of items and a
 * ring of IQ windows between the sensor thread (the one producer) and the burst thread
 * (the one consumer). Items are ~3 kB (an event carries a whole health record) and come
 * at most a few thousand per second, so one mutex with two condition variables costs
 * nothing measurable. A window in the front end's ring is handed over as a pointer
 * (put_burst_ref; the front end's writes wait for it, ring_wait); only a window the front
 * end copied (wrapping the ring's end, or with missing samples) is copied again, into the
 * chain's ring (~1 MB per DroneID-like burst at 200 Msps). */
#define _GNU_SOURCE /* pthread_setname_np */
#include "sensor_chain.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "sg_mem.h"

typedef struct {
    bool is_burst;
    chain_burst cb;
    uint64_t iq_end;           /* ring position after this item's window (is_burst, IQ) */
    bool has_iq;
    bool in_place;             /* cb.iq is the caller's (put_burst_ref), from stream index
                                  ref_first */
    uint64_t ref_first;
    bool block, health;        /* events */
    nl_event ev;
} item;

struct sensor_chain {
    sensor_chain_fns fns;
    item *q;
    size_t slots;
    uint64_t q_head, q_tail;   /* items put / items done (monotonic) */
    float complex *iq;
    size_t iq_cap;             /* samples */
    uint64_t iq_head, iq_tail; /* ring positions (monotonic, in samples) */
    pthread_mutex_t mu;
    pthread_cond_t can_put, can_take;
    pthread_t th;
    bool running, stopping, finished;
    size_t n_refs;             /* in_place items queued or running */
    _Atomic uint64_t ref_oldest; /* least ref_first of those, UINT64_MAX when none (written
                                  with mu held, read without it by the ring wait's fast path) */
    sensor_chain_stats st;
};

/* ref_oldest over the in_place items from q_tail on (mu held). */
static void refs_rescan(sensor_chain *c)
{
    uint64_t lo = UINT64_MAX;
    for (uint64_t k = c->q_tail; c->n_refs && k != c->q_head; k++) {
        const item *it = &c->q[k % c->slots];
        if (it->in_place && it->ref_first < lo)
            lo = it->ref_first;
    }
    atomic_store_explicit(&c->ref_oldest, lo, memory_order_release);
}

static void *chain_thread(void *arg)
{
    sensor_chain *c = arg;
    pthread_setname_np(pthread_self(), "sg-burst");
    pthread_mutex_lock(&c->mu);
    for (;;) {
        while (c->q_tail == c->q_head && !c->stopping)
            pthread_cond_wait(&c->can_take, &c->mu);
        if (c->q_tail == c->q_head)
            break; /* stopping and drained */
        item *it = &c->q[c->q_tail % c->slots];
        pthread_mutex_unlock(&c->mu);
        if (it->is_burst)
            c->fns.burst(c->fns.user, &it->cb);
        else
            c->fns.event(c->fns.user, &it->ev, it->block, it->health);
        pthread_mutex_lock(&c->mu);
        if (it->is_burst && it->has_iq)
            c->iq_tail = it->iq_end;
        c->q_tail++;
        if (it->in_place) { /* its window may be overwritten from now on */
            it->in_place = false;
            c->n_refs--;
            refs_rescan(c);
        }
        pthread_cond_broadcast(&c->can_put);
    }
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

sensor_chain *sensor_chain_create(size_t slots, size_t iq_samples, const sensor_chain_fns *fns,
                                  sg_errinfo *e)
{
    if (slots < 1 || iq_samples < 1 || !fns || !fns->burst || !fns->event) {
        sg_err_set(e, SG_EINVAL, "burst thread: needs >= 1 slot, >= 1 IQ sample and callbacks");
        return NULL;
    }
    sensor_chain *c = calloc(1, sizeof *c);
    if (!c) {
        sg_err_set(e, SG_ENOMEM, "burst thread: out of memory");
        return NULL;
    }
    c->fns = *fns;
    c->slots = slots;
    atomic_init(&c->ref_oldest, UINT64_MAX);
    c->iq_cap = iq_samples;
    c->q = calloc(slots, sizeof *c->q);
    c->iq = sg_alloc_touched(iq_samples * sizeof *c->iq); /* no faults on the first pass */
    bool sync_ok = pthread_mutex_init(&c->mu, NULL) == 0;
    bool cv1 = sync_ok && pthread_cond_init(&c->can_put, NULL) == 0;
    bool cv2 = cv1 && pthread_cond_init(&c->can_take, NULL) == 0;
    if (!c->q || !c->iq || !cv2 || pthread_create(&c->th, NULL, chain_thread, c) != 0) {
        if (cv2)
            pthread_cond_destroy(&c->can_take);
        if (cv1)
            pthread_cond_destroy(&c->can_put);
        if (sync_ok)
            pthread_mutex_destroy(&c->mu);
        free(c->q);
        free(c->iq);
        free(c);
        sg_err_set(e, SG_ENOMEM, "burst thread: cannot start (%zu slots, %zu IQ samples)", slots,
                   iq_samples);
        return NULL;
    }
    c->running = true;
    c->st.slots = slots;
    c->st.iq_samples = iq_samples;
    return c;
}

/* Room for n ring samples at the head (mu held): *start the window's position. */
static bool iq_fits(const sensor_chain *c, size_t n, uint64_t *start)
{
    size_t pos = (size_t)(c->iq_head % c->iq_cap);
    size_t skip = pos + n > c->iq_cap ? c->iq_cap - pos : 0; /* windows never wrap */
    if (c->iq_head - c->iq_tail + skip + n > c->iq_cap)
        return false;
    *start = c->iq_head + skip;
    return true;
}

/* Waits for a free slot (and ring room for n_iq samples); mu held. */
static void wait_room(sensor_chain *c, size_t n_iq, uint64_t *start)
{
    bool counted = false;
    while (c->q_head - c->q_tail == c->slots || (n_iq && !iq_fits(c, n_iq, start))) {
        if (!counted) {
            c->st.full++;
            counted = true;
        }
        pthread_cond_wait(&c->can_put, &c->mu);
    }
}

/* A ring that holds n samples at least twice (mu held, every item done). */
static int iq_grow(sensor_chain *c, size_t n)
{
    while (c->q_tail != c->q_head)
        pthread_cond_wait(&c->can_put, &c->mu);
    float complex *x = sg_alloc_touched(2 * n * sizeof *x);
    if (!x)
        return SG_ENOMEM;
    free(c->iq);
    c->iq = x;
    c->iq_cap = 2 * n;
    c->iq_head = c->iq_tail = 0;
    c->st.iq_grown++;
    c->st.iq_samples = c->iq_cap;
    return SG_OK;
}

int sensor_chain_put_burst(sensor_chain *c, const chain_burst *cb, const float complex *iq,
                           size_t n_iq)
{
    int rc = SG_OK;
    pthread_mutex_lock(&c->mu);
    if (c->finished) {
        pthread_mutex_unlock(&c->mu);
        return SG_ESTATE;
    }
    if (!iq)
        n_iq = 0;
    if (n_iq > c->iq_cap / 2 && (rc = iq_grow(c, n_iq)) != SG_OK)
        n_iq = 0; /* no memory for a longer window: the burst goes on without its IQ */
    uint64_t start = 0;
    wait_room(c, n_iq, &start);
    item *it = &c->q[c->q_head % c->slots];
    it->is_burst = true;
    it->cb = *cb;
    it->in_place = false;
    it->has_iq = n_iq > 0;
    it->cb.iq = NULL;
    it->cb.n_iq = 0;
    if (n_iq) {
        float complex *dst = c->iq + start % c->iq_cap;
        c->iq_head = start + n_iq;
        it->iq_end = c->iq_head;
        pthread_mutex_unlock(&c->mu); /* the burst thread never reads past iq_tail..iq_head */
        memcpy(dst, iq, n_iq * sizeof *dst);
        pthread_mutex_lock(&c->mu);
        it->cb.iq = dst;
        it->cb.n_iq = n_iq;
    }
    c->q_head++;
    c->st.bursts++;
    pthread_cond_signal(&c->can_take);
    pthread_mutex_unlock(&c->mu);
    return rc;
}

/* The next free slot for an item without IQ of the chain's ring, mu held on return; NULL
 * (mu not held) after finish. */
static item *slot_get(sensor_chain *c)
{
    pthread_mutex_lock(&c->mu);
    if (c->finished) {
        pthread_mutex_unlock(&c->mu);
        return NULL;
    }
    uint64_t start;
    wait_room(c, 0, &start);
    return &c->q[c->q_head % c->slots];
}

/* Queues the slot slot_get gave (mu held on entry, let go). */
static void slot_put(sensor_chain *c)
{
    c->q_head++;
    pthread_cond_signal(&c->can_take);
    pthread_mutex_unlock(&c->mu);
}

int sensor_chain_put_burst_ref(sensor_chain *c, const chain_burst *cb, const float complex *iq,
                               size_t n_iq, uint64_t first)
{
    item *it = slot_get(c);
    if (!it)
        return SG_ESTATE;
    it->is_burst = true;
    it->cb = *cb;
    it->cb.iq = iq;
    it->cb.n_iq = n_iq;
    it->has_iq = false; /* nothing of the chain's own ring */
    it->in_place = true;
    it->ref_first = first;
    c->n_refs++;
    if (first < atomic_load_explicit(&c->ref_oldest, memory_order_relaxed))
        atomic_store_explicit(&c->ref_oldest, first, memory_order_release);
    c->st.bursts++;
    c->st.in_place++;
    slot_put(c);
    return SG_OK;
}

void sensor_chain_ring_wait(sensor_chain *c, uint64_t below)
{
    /* acquire: the burst thread's reads of a released window come before this returns */
    if (atomic_load_explicit(&c->ref_oldest, memory_order_acquire) >= below)
        return;
    pthread_mutex_lock(&c->mu);
    if (atomic_load_explicit(&c->ref_oldest, memory_order_relaxed) < below) {
        c->st.ring_waits++;
        c->st.full++; /* the sensor thread waits for the burst thread, as on a full queue */
    }
    while (atomic_load_explicit(&c->ref_oldest, memory_order_relaxed) < below)
        pthread_cond_wait(&c->can_put, &c->mu);
    pthread_mutex_unlock(&c->mu);
}

int sensor_chain_put_event(sensor_chain *c, const nl_event *ev, bool block, bool health)
{
    item *it = slot_get(c);
    if (!it)
        return SG_ESTATE;
    it->is_burst = false;
    it->has_iq = false;
    it->in_place = false;
    it->ev = *ev;
    it->block = block;
    it->health = health;
    c->st.events++;
    slot_put(c);
    return SG_OK;
}

void sensor_chain_drain(sensor_chain *c)
{
    pthread_mutex_lock(&c->mu);
    while (c->q_tail != c->q_head)
        pthread_cond_wait(&c->can_put, &c->mu);
    pthread_mutex_unlock(&c->mu);
}

void sensor_chain_finish(sensor_chain *c)
{
    pthread_mutex_lock(&c->mu);
    c->finished = true;
    c->stopping = true;
    pthread_cond_signal(&c->can_take);
    bool join = c->running;
    c->running = false;
    pthread_mutex_unlock(&c->mu);
    if (join)
        pthread_join(c->th, NULL); /* it drains what was put before it stops */
}

void sensor_chain_destroy(sensor_chain *c)
{
    if (!c)
        return;
    sensor_chain_finish(c);
    pthread_cond_destroy(&c->can_take);
    pthread_cond_destroy(&c->can_put);
    pthread_mutex_destroy(&c->mu);
    free(c->q);
    free(c->iq);
    free(c);
}

void sensor_chain_stats_get(sensor_chain *c, sensor_chain_stats *out)
{
    pthread_mutex_lock(&c->mu);
    *out = c->st;
    pthread_mutex_unlock(&c->mu);
}
