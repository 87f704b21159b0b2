/* GCC function clones for the DSP hot loops: a function marked SG_AVX2_CLONES is also built
 * for AVX2 and the copy is picked at load time on CPUs that have it (twice the lanes of the
 * x86-64 baseline's SSE2). For element-wise loops and fixed-order sums only, no FMA: the
 * clones give the baseline build's results bit for bit. */
#ifndef SG_CLONES_H
#define SG_CLONES_H

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && \
    !defined(__SANITIZE_ADDRESS__)
#define SG_AVX2_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define SG_AVX2_CLONES
#endif

#endif
