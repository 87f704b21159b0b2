/* Large buffers faulted in at set-up (sg_mem.h). */
#include "sg_mem.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

void *sg_alloc_touched(size_t bytes)
{
    const size_t huge = (size_t)2 << 20;
    if (!bytes)
        return NULL;
    void *p = NULL;
    if (bytes < huge) {
        if (!(p = malloc(bytes)))
            return NULL;
    } else {
        if (posix_memalign(&p, huge, bytes) != 0)
            return NULL;
#if defined(MADV_HUGEPAGE)
        (void)madvise(p, bytes, MADV_HUGEPAGE); /* advice only: without it, 4 kB pages */
#endif
    }
    memset(p, 0, bytes); /* faults every page in (and the buffer is zeroed as calloc's) */
    return p;
}
