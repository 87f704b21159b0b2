/* SIMD helpers of the DSP hot loops.
 * - sg_simd_switch: the rule of the *_set_simd functions.
 * - SG_AVX2_CLONES: GCC function clones: a function marked so is also built for AVX2 and the
 *   copy is picked at load time on CPUs that have it (twice the lanes of the x86-64
 *   baseline's SSE2). For element-wise loops and fixed-order sums only, no FMA: the clones
 *   give the baseline build's results bit for bit.
 * - sg_v8f / sg_v8i and SG_HADD8: 8-lane GNU C vectors (two SSE2 registers in the baseline
 *   build, one in its AVX2 clone) and their horizontal pair sums. */
#ifndef SG_SIMD_H
#define SG_SIMD_H

#include <stdbool.h>
#include <stdint.h>

#include "sg_error.h"

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && \
    !defined(__SANITIZE_ADDRESS__)
#define SG_AVX2_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define SG_AVX2_CLONES
#endif

#if defined(__GNUC__) && !defined(__clang__)
#define SG_HAVE_V8 1
typedef float sg_v8f __attribute__((vector_size(32)));
typedef int32_t sg_v8i __attribute__((vector_size(32)));

/* Horizontal pair sums within each 128-bit half (SSE3's haddps: one shufps pair and an add):
 * {a0 + a1, a2 + a3, b0 + b1, b2 + b3, a4 + a5, a6 + a7, b4 + b5, b6 + b7}. A macro: a
 * function taking 32-byte vectors by value would change the ABI of the SSE2 build. */
#define SG_HADD8(a, b)                                                       \
    (__builtin_shuffle((a), (b), (sg_v8i){0, 2, 8, 10, 4, 6, 12, 14}) +      \
     __builtin_shuffle((a), (b), (sg_v8i){1, 3, 9, 11, 5, 7, 13, 15}))
#endif

/* A component's switch between its SSE paths and its scalar loops (droneid_rx_set_simd,
 * droneid_resamp_set_simd, turbo_set_simd): *flag = on where the build has SSE2; elsewhere
 * only the scalar loops exist, so `on` is SG_ENOTSUP and `off` a no-op. */
static inline int sg_simd_switch(bool *flag, bool on)
{
#if defined(__SSE2__)
    *flag = on;
    return SG_OK;
#else
    (void)flag;
    return on ? SG_ENOTSUP : SG_OK;
#endif
}

#endif
