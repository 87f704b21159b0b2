/* IQ pool between a device thread and the processing thread: the producer never
 * waits (a stalled consumer cannot hang it), every lost block is counted, sample
 * indices skip the lost samples and the next block is flagged discontinuous. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include <cmocka.h>

#include "iq_pool.h"

static void test_invalid(void **state)
{
    (void)state;
    sg_errinfo e = {0};
    assert_null(iq_pool_create(1, 100, &e));
    assert_int_equal(e.code, SG_EINVAL);
    assert_null(iq_pool_create(8, 0, &e));
    assert_null(iq_pool_create(100000, 16, &e));
}

/* Producer runs with no consumer at all: it must finish, dropping what does not fit. */
static void test_stalled_consumer(void **state)
{
    (void)state;
    sg_errinfo e = {0};
    iq_pool *q = iq_pool_create(4, 64, &e);
    assert_non_null(q);
    for (int i = 0; i < 10; i++) {
        iq_pool_block *b = iq_pool_acquire(q);
        if (!b) {
            iq_pool_drop(q, 64);
            continue;
        }
        for (int k = 0; k < 64; k++)
            b->x[k] = (float)(i * 64 + k);
        b->n = 64;
        iq_pool_commit(q, b);
    }
    iq_pool_stats st;
    iq_pool_stats_get(q, &st);
    assert_int_equal(st.blocks_committed, 4);
    assert_int_equal(st.blocks_dropped, 6);
    assert_int_equal(st.samples_dropped, 6 * 64);
    assert_int_equal(st.depth, 4);
    /* consumer wakes up: 4 in order, none discontinuous (drops came after them) */
    for (int i = 0; i < 4; i++) {
        iq_pool_block *b = iq_pool_get(q, 0);
        assert_non_null(b);
        assert_int_equal(b->sample_index, (uint64_t)i * 64);
        assert_false(b->discontinuity);
        assert_true(crealf(b->x[0]) == (float)(i * 64));
        iq_pool_release(q, b);
    }
    assert_null(iq_pool_get(q, 0));
    /* next block after the drops: flagged, index skips the 384 lost samples */
    iq_pool_block *b = iq_pool_acquire(q);
    assert_non_null(b);
    b->n = 10;
    iq_pool_commit(q, b);
    b = iq_pool_get(q, 10);
    assert_non_null(b);
    assert_true(b->discontinuity);
    assert_int_equal(b->sample_index, 10 * 64);
    iq_pool_release(q, b);
    iq_pool_destroy(q);
}

typedef struct {
    iq_pool *q;
    int n_blocks;
    atomic_bool done;
    uint64_t produced_samples;
} prod_arg;

/* A fake device: produces as fast as it can; each sample's value is its stream index. */
static void *producer(void *arg)
{
    prod_arg *p = arg;
    uint64_t idx = 0;
    for (int i = 0; i < p->n_blocks; i++) {
        size_t n = 100 + (size_t)(i % 37);
        iq_pool_block *b = iq_pool_acquire(p->q);
        if (b) {
            for (size_t k = 0; k < n; k++)
                b->x[k] = (float)(idx + k);
            b->n = n;
            iq_pool_commit(p->q, b);
        } else {
            iq_pool_drop(p->q, n);
        }
        idx += n;
        if (i % 4 == 0) { /* a device delivers in bursts, not all at once */
            struct timespec ts = {0, 20000};
            nanosleep(&ts, NULL);
        }
    }
    p->produced_samples = idx;
    atomic_store(&p->done, true);
    iq_pool_halt(p->q);
    return NULL;
}

static void test_fast_device_slow_consumer(void **state)
{
    (void)state;
    sg_errinfo e = {0};
    prod_arg p = {.q = iq_pool_create(8, 256, &e), .n_blocks = 20000};
    assert_non_null(p.q);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, producer, &p), 0);
    uint64_t got_blocks = 0, got_samples = 0, expect_index = 0, disc = 0;
    for (;;) {
        iq_pool_block *b = iq_pool_get(p.q, 100);
        if (!b) {
            if (atomic_load(&p.done) && !iq_pool_get(p.q, 0))
                break;
            continue;
        }
        /* values carry the true stream index: no sample is misplaced */
        assert_true(crealf(b->x[0]) == (float)b->sample_index);
        assert_true(crealf(b->x[b->n - 1]) == (float)(b->sample_index + b->n - 1));
        assert_true(b->sample_index >= expect_index);
        if (b->sample_index > expect_index) {
            assert_true(b->discontinuity); /* a gap is always flagged */
            disc++;
        } else {
            assert_false(b->discontinuity);
        }
        expect_index = b->sample_index + b->n;
        got_blocks++;
        got_samples += b->n;
        if (got_blocks % 16 == 0) { /* a slow consumer */
            struct timespec ts = {0, 200000};
            nanosleep(&ts, NULL);
        }
        iq_pool_release(p.q, b);
    }
    pthread_join(th, NULL);
    iq_pool_stats st;
    iq_pool_stats_get(p.q, &st);
    assert_int_equal(st.blocks_committed, got_blocks);
    assert_int_equal(st.blocks_committed + st.blocks_dropped, (uint64_t)p.n_blocks);
    assert_int_equal(got_samples + st.samples_dropped, p.produced_samples);
    print_message("delivered %llu blocks, dropped %llu, %llu gaps flagged\n",
                  (unsigned long long)got_blocks, (unsigned long long)st.blocks_dropped,
                  (unsigned long long)disc);
    iq_pool_destroy(p.q);
}

static int fail_sink(void *user, const sg_iq_block *b)
{
    (void)b;
    ++*(int *)user;
    return SG_EIO;
}

/* A sink that fails and blocks committed after the pump's last look: their samples
 * are counted lost (delivered + dropped = produced) and their blocks come back. */
static void test_undelivered_counted(void **state)
{
    (void)state;
    sg_errinfo e = {0};
    iq_pool *q = iq_pool_create(4, 100, &e);
    assert_non_null(q);
    for (int k = 0; k < 3; k++) {
        iq_pool_block *b = iq_pool_acquire(q);
        assert_non_null(b);
        b->n = 100;
        iq_pool_commit(q, b);
    }
    iq_pool_drop(q, 50);
    atomic_bool stop = false, done = true;
    atomic_uint_least64_t samples = 0, blocks = 0;
    int calls = 0;
    sg_iq_block tmpl = {.sample_rate = 1e6};
    assert_int_equal(iq_pool_pump(q, fail_sink, &calls, &tmpl, &stop, &done, &samples, &blocks),
                     SG_EIO);
    assert_int_equal(calls, 1); /* nothing after the failure reaches the sink */
    assert_true(atomic_load(&stop));
    iq_pool_block *late = iq_pool_acquire(q); /* the device's last block, after the pump */
    assert_non_null(late);
    late->n = 70;
    iq_pool_commit(q, late);
    iq_pool_discard(q);
    iq_pool_stats st;
    iq_pool_stats_get(q, &st);
    assert_int_equal(st.depth, 0);
    assert_int_equal(atomic_load(&samples) + st.samples_dropped, 3 * 100 + 50 + 70);
    assert_int_equal(st.samples_dropped, 2 * 100 + 50 + 70);
    for (int k = 0; k < 4; k++) /* every block is free again */
        assert_non_null(iq_pool_acquire(q));
    iq_pool_destroy(q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_stalled_consumer),
        cmocka_unit_test(test_fast_device_slow_consumer),
        cmocka_unit_test(test_undelivered_counted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
