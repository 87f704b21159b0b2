/* The fusion node's reorder buffer (see node_reorder.h): a binary min-heap on
 * (time, sensor, arrival number) over a pool of held events, and a FIFO of
 * (arrival, time) in arrival order that says when the oldest one falls due: then the
 * watermark moves to its time and everything held up to it is handed on. */
#include "node_reorder.h"

#include <math.h>
#include <stdlib.h>

typedef struct {
    double t;
    int sensor;
    uint64_t seq;
    size_t slot;
} rkey;

typedef struct {
    double arrived, t;
} rfifo;

struct node_reorder {
    double hold_s;
    size_t cap, n_sensors;
    nl_event *pool;
    size_t *free_slots, n_free;
    rkey *heap;
    size_t n_heap;
    rfifo *fifo;               /* ring of cap entries */
    size_t f_head, f_n;
    double watermark;          /* s UTC: events at or before it are due */
    double released;           /* s UTC: time of the latest event handed on */
    double *last_t;            /* [n_sensors] s UTC: latest time pushed per sensor */
    uint64_t seq, seq_out;     /* arrival numbers: next, and 1 + the highest handed on */
    node_reorder_stats st;
};

node_reorder *node_reorder_create(double hold_s, size_t cap, size_t n_sensors)
{
    if (!(hold_s >= 0 && hold_s <= 60) || cap < 1 || n_sensors < 1)
        return NULL;
    node_reorder *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->hold_s = hold_s;
    r->n_sensors = n_sensors;
    cap++; /* one above the bound: a push into a full buffer, then the forced pop */
    r->cap = cap;
    r->pool = malloc(cap * sizeof *r->pool);
    r->free_slots = malloc(cap * sizeof *r->free_slots);
    r->heap = malloc(cap * sizeof *r->heap);
    r->fifo = malloc(cap * sizeof *r->fifo);
    r->last_t = malloc(n_sensors * sizeof *r->last_t);
    if (!r->pool || !r->free_slots || !r->heap || !r->fifo || !r->last_t) {
        node_reorder_destroy(r);
        return NULL;
    }
    for (size_t i = 0; i < cap; i++)
        r->free_slots[i] = cap - 1 - i;
    r->n_free = cap;
    for (size_t i = 0; i < n_sensors; i++)
        r->last_t[i] = -INFINITY;
    r->watermark = r->released = -INFINITY;
    return r;
}

void node_reorder_destroy(node_reorder *r)
{
    if (!r)
        return;
    free(r->pool);
    free(r->free_slots);
    free(r->heap);
    free(r->fifo);
    free(r->last_t);
    free(r);
}

static bool before(const rkey *a, const rkey *b)
{
    if (a->t != b->t)
        return a->t < b->t;
    if (a->sensor != b->sensor)
        return a->sensor < b->sensor;
    return a->seq < b->seq;
}

static void heap_swap(rkey *h, size_t i, size_t j)
{
    rkey x = h[i];
    h[i] = h[j];
    h[j] = x;
}

static void heap_push(node_reorder *r, rkey k)
{
    size_t i = r->n_heap++;
    r->heap[i] = k;
    while (i > 0 && before(&r->heap[i], &r->heap[(i - 1) / 2])) {
        heap_swap(r->heap, i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
}

static rkey heap_pop(node_reorder *r)
{
    rkey top = r->heap[0];
    r->heap[0] = r->heap[--r->n_heap];
    for (size_t i = 0;;) {
        size_t l = 2 * i + 1, m = i;
        if (l < r->n_heap && before(&r->heap[l], &r->heap[m]))
            m = l;
        if (l + 1 < r->n_heap && before(&r->heap[l + 1], &r->heap[m]))
            m = l + 1;
        if (m == i)
            break;
        heap_swap(r->heap, i, m);
        i = m;
    }
    return top;
}

/* The oldest arrival leaves the FIFO: everything up to its time is due. */
static void fifo_expire(node_reorder *r)
{
    r->watermark = fmax(r->watermark, r->fifo[r->f_head].t);
    r->f_head = (r->f_head + 1) % r->cap;
    r->f_n--;
}

static void hand_on(node_reorder *r, nl_event *out)
{
    rkey k = heap_pop(r);
    *out = r->pool[k.slot];
    r->free_slots[r->n_free++] = k.slot;
    r->released = fmax(r->released, k.t);
    if (k.seq + 1 < r->seq_out)
        r->st.reordered++; /* a later arrival went before it */
    else
        r->seq_out = k.seq + 1;
}

bool node_reorder_push(node_reorder *r, const nl_event *ev, double now)
{
    if (ev->sensor < 0 || (size_t)ev->sensor >= r->n_sensors ||
        (ev->kind != NL_MEAS && ev->kind != NL_TICK && ev->kind != NL_SCAN &&
         ev->kind != NL_DONE))
        return true;
    double t = ev->kind == NL_DONE ? fmax(isfinite(ev->t) ? ev->t : -INFINITY,
                                          r->last_t[ev->sensor])
                                   : ev->t;
    if (isnan(t) || t < r->released || r->hold_s == 0) {
        if (ev->kind == NL_MEAS && t < r->released)
            r->st.late++;
        r->released = isnan(t) ? r->released : fmax(r->released, t);
        return true;
    }
    if (r->f_n == r->cap)
        fifo_expire(r);
    size_t slot = r->free_slots[--r->n_free];
    r->pool[slot] = *ev;
    heap_push(r, (rkey){.t = t, .sensor = ev->sensor, .seq = r->seq++, .slot = slot});
    r->fifo[(r->f_head + r->f_n) % r->cap] = (rfifo){.arrived = now, .t = t};
    r->f_n++;
    r->last_t[ev->sensor] = fmax(r->last_t[ev->sensor], t);
    r->st.held++;
    if (r->n_heap == r->cap) { /* past the bound: the earliest is due at once */
        r->watermark = fmax(r->watermark, r->heap[0].t);
        r->st.forced++;
    }
    return false;
}

bool node_reorder_pop(node_reorder *r, nl_event *out, double now, bool flush)
{
    while (r->f_n > 0 && (flush || r->fifo[r->f_head].arrived + r->hold_s <= now))
        fifo_expire(r);
    if (r->n_heap == 0 || !(flush || r->heap[0].t <= r->watermark))
        return false;
    hand_on(r, out);
    return true;
}

double node_reorder_next_due(const node_reorder *r)
{
    if (r->n_heap > 0 && r->heap[0].t <= r->watermark)
        return -INFINITY; /* due now */
    return r->f_n > 0 ? r->fifo[r->f_head].arrived + r->hold_s : INFINITY;
}

void node_reorder_get_stats(const node_reorder *r, node_reorder_stats *out)
{
    *out = r->st;
    out->depth = r->n_heap;
}
