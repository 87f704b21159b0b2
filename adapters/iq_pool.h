/* Pre-allocated IQ block pool + bounded queue between a live device thread
 * (producer) and the processing thread (consumer). DESIGN: a device callback never
 * blocks and memory never grows; when the consumer falls behind, whole blocks are
 * dropped, counted, and the next delivered block is flagged `discontinuity` with
 * its sample_index advanced past the lost samples.
 *
 * Exactly one producer thread and one consumer thread (single-producer /
 * single-consumer, lock-free queues). Per function:
 *   acquire, commit, drop  - producer only; never block, never allocate;
 *   get                    - consumer only; blocks up to timeout_ms (or until halt);
 *   release                - consumer only; never blocks;
 *   halt, stats            - any thread; never block. */
#ifndef SG_IQ_POOL_H
#define SG_IQ_POOL_H

#include <complex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <stdatomic.h>

#include "sg_adapter.h"
#include "sg_error.h"

typedef struct {
    float complex *x;       /* cap samples, owned by the pool */
    size_t cap;
    size_t n;               /* valid samples (set by the producer before commit) */
    uint64_t sample_index;  /* stream index of x[0] (set by commit) */
    bool discontinuity;     /* samples were lost before x[0] (set by commit) */
    double center_freq;     /* Hz RF of DC, set by a producer that retunes (scan_plan.h);
                               0 = the consumer's template */
} iq_pool_block;

typedef struct {
    uint64_t blocks_committed;
    uint64_t blocks_dropped;   /* acquire found no free block, or a queued block was
                                  never delivered (the sink failed, the input stopped) */
    uint64_t samples_dropped;  /* lost (pool empty, device overflow via drop(), or
                                  queued but never delivered) */
    uint32_t depth;            /* blocks waiting for the consumer now */
    uint32_t capacity;         /* blocks in the pool */
} iq_pool_stats;

typedef struct iq_pool_s iq_pool;

/* blocks: 2..65536; block_samples: 1..2^26. */
iq_pool *iq_pool_create(unsigned blocks, size_t block_samples, sg_errinfo *e);
void iq_pool_destroy(iq_pool *q);
/* Producer: a free block, or NULL when all are queued or in use (counted as one
 * dropped block; the caller then discards its samples and calls iq_pool_drop). */
iq_pool_block *iq_pool_acquire(iq_pool *q);
/* Producer: n samples were lost (device overflow, no free block); the next
 * committed block is flagged discontinuous and its index skips them. */
void iq_pool_drop(iq_pool *q, size_t n);
/* Producer: n samples were not received on purpose (a retune settling): the next
 * committed block is flagged discontinuous and its index skips them; not a drop. */
void iq_pool_skip(iq_pool *q, size_t n);
/* Producer: queues b (b->n set) for the consumer. */
void iq_pool_commit(iq_pool *q, iq_pool_block *b);
/* Consumer: the oldest queued block, waiting up to timeout_ms (0 = no wait);
 * NULL on timeout or after halt. */
iq_pool_block *iq_pool_get(iq_pool *q, int timeout_ms);
/* Consumer: gives b back to the free list. */
void iq_pool_release(iq_pool *q, iq_pool_block *b);
/* Wakes a waiting consumer; later get() calls return what is queued, then NULL. */
void iq_pool_halt(iq_pool *q);
/* Consumer, once the producer has stopped: gives every queued block back, counting
 * its samples as dropped (blocks the input stopped before delivering). */
void iq_pool_discard(iq_pool *q);
void iq_pool_stats_get(iq_pool *q, iq_pool_stats *out);

/* Fills a live adapter's stats: delivered samples/blocks, the pool's drops,
 * progress NAN (overflows/timeouts are the caller's). Never blocks. */
void iq_pool_adapter_stats(iq_pool *q, uint64_t samples, uint64_t blocks,
                           sg_adapter_stats *out);

/* The consumer side of a live adapter's run(): hands queued blocks to sink, stamped
 * with the rate, centre frequency (unless the block has its own) and t0 of `tmpl`, until *stop is set or
 * *producer_done is set and the queue is empty. Counts delivered samples/blocks;
 * blocks queued after the sink failed are counted as dropped. Returns the sink's
 * first non-zero code (and sets *stop), else 0. Blocks only in iq_pool_get (50 ms at
 * a time). The caller stops its producer, then calls iq_pool_discard for what the
 * producer committed after the pump's last look. */
int iq_pool_pump(iq_pool *q, sg_iq_sink sink, void *user, const sg_iq_block *tmpl,
                 atomic_bool *stop, atomic_bool *producer_done,
                 atomic_uint_least64_t *samples, atomic_uint_least64_t *blocks);

#endif
