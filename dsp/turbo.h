/* LTE turbo code (3GPP TS 36.212 5.1.3.2) and its rate matching (5.1.4.1), as used by
 * DJI DroneID (K = 1408) and usable for any QPP block size.
 *
 * Encoder: two 8-state RSC constituents (g0 = 13, g1 = 15 octal) around a quadratic
 * permutation polynomial (QPP) interleaver Pi(i) = (f1 i + f2 i^2) mod K, trellis
 * termination with 12 tail bits: three streams d0/d1/d2 of K + 4 bits each.
 * Decoder: iterative max-log-MAP (BCJR in the log domain with max instead of
 * log-sum-exp) with extrinsic scaling 0.75 and optional early stop through a caller
 * check (e.g. CRC). LLR convention everywhere: L = log P(b=0)/P(b=1), so positive
 * means 0; magnitude in any consistent scale (max-log-MAP is scale-invariant).
 *
 * A turbo_codec holds the interleaver and work buffers: one per thread. */
#ifndef SG_TURBO_H
#define SG_TURBO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sg_error.h"

typedef struct turbo_codec turbo_codec;

/* K: information bits, 40..6144; f1, f2: QPP coefficients from 36.212 table 5.1.3-3
 * (checked to give a permutation). NULL on bad arguments or no memory. */
turbo_codec *turbo_create(int K, int f1, int f2, sg_errinfo *e);
void turbo_destroy(turbo_codec *q);
/* The decoder's recursions in SSE registers (on by default where the build has SSE2) or
 * the plain scalar loops: the same values bit for bit (tests compare the two). SG_ENOTSUP
 * for on without SSE2, SG_EINVAL for NULL. */
int turbo_set_simd(turbo_codec *q, bool on);
int turbo_block_size(const turbo_codec *q); /* K */
/* Early stop of a hopeless block (off by default): with a check, turbo_decode gives up
 * (SG_ECRC) when more than K / TURBO_GIVE_UP_DEN of the decided bits changed from the
 * previous iteration in each of two iterations in a row. A block that converges changes
 * fewer bits every iteration (LTE K = 1408 blocks that passed the CRC within 8
 * iterations, 15.36 Msps sweep of bench_droneid_fail seed 11, -7..1 dB: at most 192
 * changes at iteration 2, 154 at 3); DroneID-like bursts with random QPSK data (no
 * codeword) change 183-400 per iteration, median ~325 (bench_droneid_fail attempts,
 * scene seeds 1-3). SG_EINVAL for NULL. */
#define TURBO_GIVE_UP_DEN 6
int turbo_set_give_up(turbo_codec *q, bool on);

/* bits[K] (0/1 per byte) -> d0, d1, d2 [K + 4] (0/1). Never fails on valid q. */
void turbo_encode(const turbo_codec *q, const uint8_t *bits, uint8_t *d0, uint8_t *d1,
                  uint8_t *d2);

/* Caller check on a tentative decision bits[K]: return nonzero to accept (stop). */
typedef int (*turbo_check_fn)(const uint8_t *bits, int K, void *arg);

/* l0, l1, l2: channel LLRs [K + 4] of d0, d1, d2 (0 for punctured bits).
 * max_iter: 1..32 full iterations. out[K]: decided bits (0/1).
 * With a check: returns SG_OK as soon as it accepts, SG_ECRC if it never does or
 * gives up on a hopeless block (turbo_set_give_up; out holds the last decision). Without: runs max_iter, returns SG_OK.
 * *iters (may be NULL) = iterations run. Not thread-safe on one q. */
int turbo_decode(turbo_codec *q, const float *l0, const float *l1, const float *l2,
                 int max_iter, turbo_check_fn check, void *arg, uint8_t *out, int *iters);

/* ---- Rate matching for turbo-coded transport channels (36.212 5.1.4.1) ----------
 * D = K + 4 bits per stream; E output bits; rv = redundancy version 0..3; no soft-
 * buffer limit (Ncb = Kw). A plan precomputes the circular-buffer map. */
typedef struct turbo_rm turbo_rm;

turbo_rm *turbo_rm_create(int D, int E, int rv, sg_errinfo *e);
void turbo_rm_destroy(turbo_rm *r);
/* d0, d1, d2 [D] bits -> e[E] bits. */
void turbo_rm_match(const turbo_rm *r, const uint8_t *d0, const uint8_t *d1,
                    const uint8_t *d2, uint8_t *eout);
/* e[E] LLRs -> l0, l1, l2 [D] LLRs; repeated bits are summed, never-sent bits are 0. */
void turbo_rm_dematch(const turbo_rm *r, const float *ein, float *l0, float *l1, float *l2);

#endif
