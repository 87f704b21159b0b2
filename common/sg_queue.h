/* A bounded, pre-allocated FIFO of fixed-size items between threads (many
 * producers, one consumer). Memory never grows after create.
 *
 *   sgq_push(q, item, wait=false)  never blocks: returns SG_EOVERFLOW when full and
 *                                  counts the drop (live sensors, device callbacks);
 *   sgq_push(q, item, wait=true)   blocks while full (lossless replay back-pressure)
 *                                  until space or sgq_halt();
 *   sgq_pop(q, item, timeout_s)    blocks up to timeout_s (< 0: forever, 0: poll);
 *                                  returns SG_ETIMEOUT or SG_EEOF once halted and empty.
 * All functions are thread-safe. */
#ifndef SG_QUEUE_H
#define SG_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sg_error.h"

typedef struct sgq sgq;

typedef struct {
    uint64_t pushed;     /* items accepted */
    uint64_t dropped;    /* non-blocking pushes refused because the queue was full */
    size_t depth;        /* items waiting now */
    size_t capacity;     /* items */
    size_t high_water;   /* largest depth seen */
} sgq_stats;

sgq *sgq_create(size_t capacity, size_t item_size, sg_errinfo *e);
void sgq_destroy(sgq *q);
int sgq_push(sgq *q, const void *item, bool wait);
int sgq_pop(sgq *q, void *item, double timeout_s);
/* Wakes every waiter; later pushes fail with SG_ESTATE, pops drain then SG_EEOF. */
void sgq_halt(sgq *q);
void sgq_get_stats(sgq *q, sgq_stats *out);

#endif
