/* Large buffers that a real-time thread walks through (the front end's IQ ring, the burst
 * thread's IQ ring: tens to hundreds of MB at 200 Msps). */
#ifndef SG_MEM_H
#define SG_MEM_H

#include <stddef.h>

/* `bytes` of zeroed memory with every page faulted in now, 2 MB-aligned and advised for
 * transparent huge pages when at least 2 MB (the kernel may still give 4 kB pages). A
 * buffer from malloc takes a page fault per 4 kB page the first time the stream passes
 * through it, on the thread that writes it; this moves that cost to set-up and makes the
 * faults (and TLB misses on every later pass) few. NULL when out of memory or bytes is 0.
 * Free with free(). Thread-safe; does not block beyond the allocation itself. */
void *sg_alloc_touched(size_t bytes);

#endif
