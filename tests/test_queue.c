/* Bounded queue: FIFO order, non-blocking push drops and counts when full, blocking
 * push waits for the consumer (lossless), halt wakes everyone and drains. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>

#include "sg_queue.h"

static void test_fifo_and_drops(void **state)
{
    (void)state;
    sgq *q = sgq_create(4, sizeof(int), NULL);
    assert_non_null(q);
    for (int i = 0; i < 6; i++)
        assert_int_equal(sgq_push(q, &i, false), i < 4 ? SG_OK : SG_EOVERFLOW);
    sgq_stats st;
    sgq_get_stats(q, &st);
    assert_int_equal(st.pushed, 4);
    assert_int_equal(st.dropped, 2);
    assert_int_equal(st.depth, 4);
    assert_int_equal(st.high_water, 4);
    for (int i = 0; i < 4; i++) {
        int v = -1;
        assert_int_equal(sgq_pop(q, &v, 0), SG_OK);
        assert_int_equal(v, i);
    }
    int v;
    assert_int_equal(sgq_pop(q, &v, 0), SG_ETIMEOUT);
    assert_int_equal(sgq_pop(q, &v, 0.01), SG_ETIMEOUT);
    sgq_destroy(q);
}

static void *producer(void *arg)
{
    sgq *q = arg;
    for (int i = 0; i < 10000; i++)
        if (sgq_push(q, &i, true) != SG_OK)
            return (void *)1;
    sgq_halt(q);
    return NULL;
}

static void test_blocking_lossless(void **state)
{
    (void)state;
    sgq *q = sgq_create(3, sizeof(int), NULL);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, producer, q), 0);
    int expect = 0, v, rc;
    while ((rc = sgq_pop(q, &v, -1)) == SG_OK)
        assert_int_equal(v, expect++);
    assert_int_equal(rc, SG_EEOF);
    assert_int_equal(expect, 10000);
    void *ret;
    pthread_join(th, &ret);
    assert_null(ret);
    sgq_stats st;
    sgq_get_stats(q, &st);
    assert_int_equal(st.dropped, 0);
    assert_int_equal(sgq_push(q, &v, false), SG_ESTATE);
    sgq_destroy(q);
}

static void test_invalid(void **state)
{
    (void)state;
    sg_errinfo e = {0};
    assert_null(sgq_create(0, 4, &e));
    assert_int_equal(e.code, SG_EINVAL);
    assert_null(sgq_create(SIZE_MAX / 2, 4, &e));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fifo_and_drops),
        cmocka_unit_test(test_blocking_lossless),
        cmocka_unit_test(test_invalid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
