/* Bounded pre-allocated FIFO between threads (see sg_queue.h). */
#include "sg_queue.h"
#include "sg_clock.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct sgq {
    pthread_mutex_t mu;
    pthread_cond_t not_empty, not_full;
    unsigned char *items;
    size_t cap, size, head, count, high;
    uint64_t pushed, dropped;
    bool halted;
};

sgq *sgq_create(size_t capacity, size_t item_size, sg_errinfo *e)
{
    if (capacity == 0 || item_size == 0 || capacity > SIZE_MAX / item_size) {
        sg_err_set(e, SG_EINVAL, "queue: invalid capacity %zu x %zu bytes", capacity, item_size);
        return NULL;
    }
    sgq *q = calloc(1, sizeof *q);
    if (!q || !(q->items = malloc(capacity * item_size))) {
        free(q);
        sg_err_set(e, SG_ENOMEM, "queue: out of memory for %zu items", capacity);
        return NULL;
    }
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->not_empty, &ca);
    pthread_cond_init(&q->not_full, &ca);
    pthread_condattr_destroy(&ca);
    q->cap = capacity;
    q->size = item_size;
    return q;
}

void sgq_destroy(sgq *q)
{
    if (!q)
        return;
    pthread_mutex_destroy(&q->mu);
    pthread_cond_destroy(&q->not_empty);
    pthread_cond_destroy(&q->not_full);
    free(q->items);
    free(q);
}

int sgq_push(sgq *q, const void *item, bool wait)
{
    pthread_mutex_lock(&q->mu);
    while (wait && q->count == q->cap && !q->halted)
        pthread_cond_wait(&q->not_full, &q->mu);
    int rc = SG_OK;
    if (q->halted) {
        rc = SG_ESTATE;
    } else if (q->count == q->cap) {
        q->dropped++;
        rc = SG_EOVERFLOW;
    } else {
        size_t tail = (q->head + q->count) % q->cap;
        memcpy(q->items + tail * q->size, item, q->size);
        q->count++;
        q->pushed++;
        if (q->count > q->high)
            q->high = q->count;
        pthread_cond_signal(&q->not_empty);
    }
    pthread_mutex_unlock(&q->mu);
    return rc;
}

int sgq_pop(sgq *q, void *item, double timeout_s)
{
    struct timespec dl;
    if (timeout_s > 0)
        sg_deadline(&dl, CLOCK_MONOTONIC, timeout_s);
    pthread_mutex_lock(&q->mu);
    int rc = SG_OK;
    while (q->count == 0 && !q->halted && rc == SG_OK) {
        if (timeout_s == 0)
            rc = SG_ETIMEOUT;
        else if (timeout_s < 0)
            pthread_cond_wait(&q->not_empty, &q->mu);
        else if (pthread_cond_timedwait(&q->not_empty, &q->mu, &dl) == ETIMEDOUT)
            rc = SG_ETIMEOUT;
    }
    if (q->count > 0) {
        memcpy(item, q->items + q->head * q->size, q->size);
        q->head = (q->head + 1) % q->cap;
        q->count--;
        pthread_cond_signal(&q->not_full);
        rc = SG_OK;
    } else if (q->halted) {
        rc = SG_EEOF;
    }
    pthread_mutex_unlock(&q->mu);
    return rc;
}

void sgq_halt(sgq *q)
{
    pthread_mutex_lock(&q->mu);
    q->halted = true;
    pthread_cond_broadcast(&q->not_empty);
    pthread_cond_broadcast(&q->not_full);
    pthread_mutex_unlock(&q->mu);
}

void sgq_get_stats(sgq *q, sgq_stats *out)
{
    pthread_mutex_lock(&q->mu);
    out->pushed = q->pushed;
    out->dropped = q->dropped;
    out->depth = q->count;
    out->capacity = q->cap;
    out->high_water = q->high;
    pthread_mutex_unlock(&q->mu);
}
