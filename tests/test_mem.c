/* Large buffers faulted in at set-up (common/sg_mem.h): zeroed like calloc, 2 MB-aligned
 * from 2 MB up (where huge pages can back them), every page resident before first use,
 * NULL for nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "sg_mem.h"

static void assert_zero(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            fail_msg("byte %zu of %zu is %u, not 0", i, n, p[i]);
}

/* Pages of [p, p + n) not resident (mincore). */
static size_t pages_out(const void *p, size_t n)
{
    const size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    uintptr_t a = (uintptr_t)p / pg * pg, z = ((uintptr_t)p + n + pg - 1) / pg * pg;
    size_t np = (size_t)((z - a) / pg), out = 0;
    unsigned char *v = malloc(np);
    assert_non_null(v);
    assert_int_equal(mincore((void *)a, z - a, v), 0);
    for (size_t i = 0; i < np; i++)
        out += !(v[i] & 1);
    free(v);
    return out;
}

static void test_sizes(void **state)
{
    (void)state;
    /* below, at and above the huge-page size; odd sizes too */
    static const size_t sizes[] = {1, 4096, 100003, ((size_t)2 << 20) - 8, (size_t)2 << 20,
                                   ((size_t)5 << 20) + 12345, (size_t)32 << 20};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        size_t n = sizes[k];
        unsigned char *p = sg_alloc_touched(n);
        assert_non_null(p);
        if (n >= ((size_t)2 << 20))
            assert_int_equal((uintptr_t)p % ((size_t)2 << 20), 0);
        assert_int_equal(pages_out(p, n), 0); /* faulted in before any use */
        assert_zero(p, n);
        p[0] = 1;
        p[n - 1] = 2; /* the whole size is writable */
        free(p);
    }
}

static void test_nothing(void **state)
{
    (void)state;
    assert_null(sg_alloc_touched(0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
