/* IQ block pool (see iq_pool.h). Two single-producer/single-consumer index rings:
 * `ready` (device -> consumer) and `free` (consumer -> device). Each ring has one
 * writer per index, so acquire/commit/release are wait-free. The consumer sleeps on
 * a condition variable that the producer signals without taking the mutex (allowed
 * by POSIX); a missed wake-up costs at most the 5 ms re-check period. */
#include "iq_pool.h"
#include "sg_clock.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

typedef struct {
    unsigned *slot;
    unsigned mask;
    atomic_uint head; /* next to read */
    atomic_uint tail; /* next to write */
} ring;

struct iq_pool_s {
    iq_pool_block *blocks;
    float complex *mem;
    unsigned n;
    ring ready, freel;
    uint64_t next_index;      /* producer-owned */
    bool gap;                 /* producer-owned: samples lost since last commit */
    atomic_uint_least64_t committed, dropped_blocks, dropped_samples;
    atomic_bool halted;
    pthread_mutex_t mu;
    pthread_cond_t cv;
};

static bool ring_push(ring *r, unsigned v)
{
    unsigned t = atomic_load_explicit(&r->tail, memory_order_relaxed);
    unsigned h = atomic_load_explicit(&r->head, memory_order_acquire);
    if (t - h > r->mask)
        return false;
    r->slot[t & r->mask] = v;
    atomic_store_explicit(&r->tail, t + 1, memory_order_release);
    return true;
}

static bool ring_pop(ring *r, unsigned *v)
{
    unsigned h = atomic_load_explicit(&r->head, memory_order_relaxed);
    unsigned t = atomic_load_explicit(&r->tail, memory_order_acquire);
    if (h == t)
        return false;
    *v = r->slot[h & r->mask];
    atomic_store_explicit(&r->head, h + 1, memory_order_release);
    return true;
}

iq_pool *iq_pool_create(unsigned blocks, size_t bs, sg_errinfo *e)
{
    if (blocks < 2 || blocks > 65536 || bs < 1 || bs > ((size_t)1 << 26)) {
        sg_err_set(e, SG_EINVAL, "iq pool: blocks must be in [2, 65536] and block_samples in "
                                 "[1, 2^26] (got %u, %zu)", blocks, bs);
        return NULL;
    }
    iq_pool *q = calloc(1, sizeof *q);
    if (!q) {
        sg_err_set(e, SG_ENOMEM, "iq pool: out of memory");
        return NULL;
    }
    unsigned cap = 1;
    while (cap < blocks)
        cap <<= 1;
    q->n = blocks;
    q->blocks = calloc(blocks, sizeof *q->blocks);
    q->mem = malloc((size_t)blocks * bs * sizeof *q->mem);
    q->ready.slot = malloc(cap * sizeof(unsigned));
    q->freel.slot = malloc(cap * sizeof(unsigned));
    if (!q->blocks || !q->mem || !q->ready.slot || !q->freel.slot) {
        sg_err_set(e, SG_ENOMEM, "iq pool: out of memory (%u blocks of %zu samples)", blocks, bs);
        free(q->blocks);
        free(q->mem);
        free(q->ready.slot);
        free(q->freel.slot);
        free(q);
        return NULL;
    }
    q->ready.mask = q->freel.mask = cap - 1;
    for (unsigned i = 0; i < blocks; i++) {
        q->blocks[i].x = q->mem + (size_t)i * bs;
        q->blocks[i].cap = bs;
        ring_push(&q->freel, i);
    }
    pthread_mutex_init(&q->mu, NULL);
    /* waits are measured on the monotonic clock: a wall-clock step cannot stall them */
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&q->cv, &ca);
    pthread_condattr_destroy(&ca);
    return q;
}

void iq_pool_destroy(iq_pool *q)
{
    if (!q)
        return;
    pthread_mutex_destroy(&q->mu);
    pthread_cond_destroy(&q->cv);
    free(q->blocks);
    free(q->mem);
    free(q->ready.slot);
    free(q->freel.slot);
    free(q);
}

iq_pool_block *iq_pool_acquire(iq_pool *q)
{
    unsigned i;
    if (!ring_pop(&q->freel, &i)) {
        atomic_fetch_add(&q->dropped_blocks, 1);
        return NULL;
    }
    q->blocks[i].n = 0;
    q->blocks[i].center_freq = 0;
    return &q->blocks[i];
}

void iq_pool_drop(iq_pool *q, size_t n)
{
    q->next_index += n;
    q->gap = true;
    atomic_fetch_add(&q->dropped_samples, n);
}

void iq_pool_skip(iq_pool *q, size_t n)
{
    q->next_index += n;
    q->gap = true;
}

void iq_pool_commit(iq_pool *q, iq_pool_block *b)
{
    b->sample_index = q->next_index;
    b->discontinuity = q->gap;
    q->next_index += b->n;
    q->gap = false;
    ring_push(&q->ready, (unsigned)(b - q->blocks)); /* cannot fail: n blocks, cap >= n */
    atomic_fetch_add(&q->committed, 1);
    pthread_cond_signal(&q->cv);
}

iq_pool_block *iq_pool_get(iq_pool *q, int timeout_ms)
{
    unsigned i;
    struct timespec end;
    sg_deadline(&end, CLOCK_MONOTONIC, timeout_ms > 0 ? timeout_ms / 1000.0 : 0);
    for (;;) {
        if (ring_pop(&q->ready, &i))
            return &q->blocks[i];
        if (atomic_load(&q->halted) || timeout_ms <= 0)
            return NULL;
        struct timespec now, w;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec > end.tv_sec || (now.tv_sec == end.tv_sec && now.tv_nsec >= end.tv_nsec))
            return NULL;
        w = now;
        sg_timespec_add(&w, 0.005); /* re-check: the producer signals without the mutex */
        if (w.tv_sec > end.tv_sec || (w.tv_sec == end.tv_sec && w.tv_nsec > end.tv_nsec))
            w = end;
        pthread_mutex_lock(&q->mu);
        pthread_cond_timedwait(&q->cv, &q->mu, &w);
        pthread_mutex_unlock(&q->mu);
    }
}

void iq_pool_release(iq_pool *q, iq_pool_block *b)
{
    ring_push(&q->freel, (unsigned)(b - q->blocks));
}

void iq_pool_halt(iq_pool *q)
{
    atomic_store(&q->halted, true);
    pthread_cond_broadcast(&q->cv);
}

/* A queued block the consumer will not deliver: its samples are lost, counted. */
static void lose(iq_pool *q, iq_pool_block *b)
{
    if (b->n) {
        atomic_fetch_add(&q->dropped_samples, b->n);
        atomic_fetch_add(&q->dropped_blocks, 1);
    }
    iq_pool_release(q, b);
}

void iq_pool_discard(iq_pool *q)
{
    unsigned i;
    while (ring_pop(&q->ready, &i))
        lose(q, &q->blocks[i]);
}

void iq_pool_stats_get(iq_pool *q, iq_pool_stats *out)
{
    out->blocks_committed = atomic_load(&q->committed);
    out->blocks_dropped = atomic_load(&q->dropped_blocks);
    out->samples_dropped = atomic_load(&q->dropped_samples);
    unsigned t = atomic_load(&q->ready.tail), h = atomic_load(&q->ready.head);
    out->depth = t - h;
    out->capacity = q->n;
}

int iq_pool_pump(iq_pool *q, sg_iq_sink sink, void *user, const sg_iq_block *tmpl,
                 atomic_bool *stop, atomic_bool *producer_done,
                 atomic_uint_least64_t *samples, atomic_uint_least64_t *blocks)
{
    int rc = 0;
    for (;;) {
        bool ending = atomic_load(stop) || atomic_load(producer_done);
        iq_pool_block *b = iq_pool_get(q, ending ? 0 : 50);
        if (!b) {
            if (ending)
                break;
            continue;
        }
        if (rc) { /* the sink failed: what is still queued is lost, counted */
            lose(q, b);
            continue;
        }
        if (b->n) {
            sg_iq_block blk = *tmpl;
            blk.x = b->x;
            blk.n = b->n;
            blk.sample_index = b->sample_index;
            blk.discontinuity = b->discontinuity;
            if (b->center_freq > 0)
                blk.center_freq = b->center_freq;
            rc = sink(user, &blk);
            atomic_fetch_add(samples, b->n);
            atomic_fetch_add(blocks, 1);
            if (rc)
                atomic_store(stop, true);
        }
        iq_pool_release(q, b);
    }
    return rc;
}

void iq_pool_adapter_stats(iq_pool *q, uint64_t samples, uint64_t blocks, sg_adapter_stats *out)
{
    iq_pool_stats ps;
    iq_pool_stats_get(q, &ps);
    memset(out, 0, sizeof *out);
    out->samples = samples;
    out->blocks = blocks;
    out->samples_dropped = ps.samples_dropped;
    out->blocks_dropped = ps.blocks_dropped;
    out->progress = NAN;
}
