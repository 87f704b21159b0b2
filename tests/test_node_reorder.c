/* The fusion node's reorder buffer (apps/node/node_reorder.h, docs/nodes.md): events of
 * three sensor nodes, each in its own time order, delivered interleaved with random
 * link delays (a fixed seed, printed on failure), come out in time order across nodes,
 * every one exactly once, none held longer than the hold; deliveries later than the
 * hold come out at once and late measurements are counted; the capacity bound holds;
 * an end of input follows every event of its sensor; hold 0 passes everything through. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "node_reorder.h"

#define T0 1784572200.0
#define SEED 20261201u

typedef struct {
    nl_event ev;
    double arrive;             /* s, simulated monotonic clock */
    int id;
} delivery;

static unsigned rng = SEED;
static double uni(void)
{
    rng = rng * 1103515245u + 12345u;
    return (double)(rng >> 8 & 0xffffff) / 16777216.0;
}

static int by_arrival(const void *a, const void *b)
{
    const delivery *x = a, *y = b;
    return x->arrive < y->arrive ? -1 : x->arrive > y->arrive ? 1 : x->id - y->id;
}

/* n events per sensor of 3, every 0.05 s of sample time (measurements, a tick every
 * fourth), made at their sample time (wall = t - T0) and delayed by [0, max_delay) s
 * (per node FIFO: a node's delays keep its order), plus an end of input per sensor. */
static size_t make(delivery *d, int n, double max_delay)
{
    size_t k = 0;
    for (int s = 0; s < 3; s++) {
        double last = 0;
        for (int i = 0; i < n; i++) {
            double t = T0 + i * 0.05 + s * 0.0007;
            nl_event ev = {.kind = i % 4 == 3 ? NL_TICK : NL_MEAS, .sensor = s, .t = t};
            ev.m.t = t;
            ev.rc = (int)k; /* identity of the event, to check exactly-once */
            double a = fmax(last, (t - T0) + uni() * max_delay);
            last = a;
            d[k] = (delivery){.ev = ev, .arrive = a, .id = (int)k};
            k++;
        }
        nl_event done = {.kind = NL_DONE, .sensor = s, .t = T0 + (n - 1) * 0.05 + s * 0.0007,
                         .rc = (int)k};
        d[k] = (delivery){.ev = done, .arrive = last + 0.001, .id = (int)k};
        k++;
    }
    qsort(d, k, sizeof *d, by_arrival);
    return k;
}

typedef struct {
    int *seen;
    double last_t;
    int out_of_order, done_early;
    size_t n_out;
    double worst_hold;
    int done_of[3];
    double arrived_at[4096];
} sink;

static void take(sink *k, const nl_event *ev, double now, const delivery *d, size_t n)
{
    (void)d, (void)n;
    k->seen[ev->rc]++;
    k->n_out++;
    double t = ev->kind == NL_DONE ? k->last_t : ev->t; /* an end has no order of its own */
    if (t < k->last_t)
        k->out_of_order++;
    k->last_t = fmax(k->last_t, t);
    if (ev->kind == NL_DONE)
        k->done_of[ev->sensor] = 1;
    else if (k->done_of[ev->sensor])
        k->done_early++;
    k->worst_hold = fmax(k->worst_hold, now - k->arrived_at[ev->rc]);
}

/* Delivers d in arrival order on a simulated clock stepping 5 ms, popping as the
 * fusion node does (everything due after each arrival and each step). */
static void run(node_reorder *r, const delivery *d, size_t n, sink *k)
{
    size_t i = 0;
    nl_event out;
    double now = 0;
    while (i < n) {
        while (i < n && d[i].arrive <= now) {
            k->arrived_at[d[i].ev.rc] = d[i].arrive;
            if (node_reorder_push(r, &d[i].ev, now))
                take(k, &d[i].ev, now, d, n);
            while (node_reorder_pop(r, &out, now, false))
                take(k, &out, now, d, n);
            i++;
        }
        now += 0.005;
        while (node_reorder_pop(r, &out, now, false))
            take(k, &out, now, d, n);
    }
    for (int s = 0; s < 200 && node_reorder_next_due(r) < INFINITY; s++) {
        now += 0.005;
        while (node_reorder_pop(r, &out, now, false))
            take(k, &out, now, d, n);
    }
}

/* Three nodes' events with links up to max_delay s late through a buffer holding hold_s:
 * every event comes out exactly once, none held longer than the hold (plus two clock
 * steps: an arrival is seen at the next step, a due event at one); fills *st and *k. */
static void shuffled(double max_delay, double hold_s, node_reorder_stats *st, sink *k)
{
    static delivery d[4096];
    static int seen[4096];
    size_t n = make(d, 400, max_delay);
    node_reorder *r = node_reorder_create(hold_s, 1024, 3);
    assert_non_null(r);
    memset(seen, 0, sizeof seen);
    *k = (sink){.seen = seen, .last_t = -INFINITY};
    run(r, d, n, k);
    node_reorder_get_stats(r, st);
    print_message("seed %u, delays < %.2f s, hold %.2f s: %zu events, %llu reordered, %llu late, "
                  "%d out of order, worst hold %.3f s\n", SEED, max_delay, hold_s, n,
                  (unsigned long long)st->reordered, (unsigned long long)st->late,
                  k->out_of_order, k->worst_hold);
    assert_int_equal(k->n_out, n); /* late ones too: never dropped */
    for (size_t i = 0; i < n; i++)
        if (seen[i] != 1)
            fail_msg("seed %u: event %zu handed on %d times", SEED, i, seen[i]);
    assert_int_equal(k->done_early, 0);
    assert_int_equal(st->depth, 0);
    assert_true(k->worst_hold <= hold_s + 0.010 + 1e-9);
    node_reorder_destroy(r);
}

static void test_shuffled_within_hold(void **state)
{
    (void)state;
    node_reorder_stats st;
    sink k;
    shuffled(0.08, 0.1, &st, &k); /* links up to 80 ms late, hold 100 ms */
    assert_int_equal(k.out_of_order, 0);
    assert_true(st.reordered > 50); /* the links did shuffle them */
    assert_int_equal(st.late, 0);
    assert_int_equal(st.forced, 0);
}

static void test_late_beyond_hold(void **state)
{
    (void)state;
    node_reorder_stats st;
    sink k;
    shuffled(0.5, 0.05, &st, &k); /* links up to 500 ms late, hold 50 ms */
    assert_true(st.late > 0);
    assert_true(k.out_of_order >= (int)st.late); /* each late measurement came out of order */
}

static void test_capacity_and_passthrough(void **state)
{
    (void)state;
    /* 8 slots, 100 events arriving at once: never more than 8 (+ the one pushed) held,
     * the rest forced on in order */
    node_reorder *r = node_reorder_create(1.0, 8, 2);
    assert_non_null(r);
    nl_event out;
    size_t outs = 0;
    double last = -INFINITY;
    for (int i = 0; i < 100; i++) {
        nl_event ev = {.kind = NL_MEAS, .sensor = i % 2, .t = T0 + (i ^ 1) * 0.01};
        if (node_reorder_push(r, &ev, 0))
            outs++;
        node_reorder_stats st;
        node_reorder_get_stats(r, &st);
        assert_true(st.depth <= 9);
        while (node_reorder_pop(r, &out, 0, false)) {
            outs++;
            assert_true(out.t > last);
            last = out.t;
        }
        node_reorder_get_stats(r, &st);
        assert_true(st.depth <= 8);
    }
    assert_true(last == T0 + 91 * 0.01); /* in order: 0 .. 91 went, 92 .. 99 held */
    node_reorder_stats st;
    node_reorder_get_stats(r, &st);
    assert_true(st.forced >= 90);
    while (node_reorder_pop(r, &out, 0, true)) /* flush at the end */
        outs++;
    assert_int_equal(outs, 100);
    node_reorder_destroy(r);
    /* hold 0: everything handed on at once, health and notes always */
    r = node_reorder_create(0, 4, 1);
    assert_non_null(r);
    nl_event m = {.kind = NL_MEAS, .sensor = 0, .t = T0}, h = {.kind = NL_HEALTH, .sensor = 0};
    assert_true(node_reorder_push(r, &m, 0));
    assert_true(node_reorder_push(r, &h, 0));
    assert_false(node_reorder_pop(r, &out, 0, true));
    node_reorder_destroy(r);
    /* invalid set-ups */
    assert_null(node_reorder_create(-1, 8, 1));
    assert_null(node_reorder_create(NAN, 8, 1));
    assert_null(node_reorder_create(61, 8, 1));
    assert_null(node_reorder_create(0.1, 0, 1));
    assert_null(node_reorder_create(0.1, 8, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shuffled_within_hold),
        cmocka_unit_test(test_late_beyond_hold),
        cmocka_unit_test(test_capacity_and_passthrough),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
