/* Keccak-f[1600] sponge (FIPS 202) and the functions built on it that the project
 * needs: SHA3-256, SHAKE128 and cSHAKE128 (NIST SP 800-185), the hash of IETF DRIP
 * Entity Tags (RFC 9374). Byte-oriented (whole bytes in and out), pure, thread-safe,
 * no allocation. Not constant-time hardened: for public data (identifiers), not keys. */
#ifndef SG_KECCAK_H
#define SG_KECCAK_H

#include <stddef.h>
#include <stdint.h>

/* The permutation on a 25-lane state (lane i = bytes 8i..8i+7, little-endian). */
void sg_keccak_f1600(uint64_t st[25]);

/* SHA3-256 of n bytes -> out[32]. */
void sg_sha3_256(const uint8_t *in, size_t n, uint8_t out[32]);

/* SHAKE128 of n bytes, outlen bytes of output. */
void sg_shake128(const uint8_t *in, size_t n, uint8_t *out, size_t outlen);

/* cSHAKE128(X, L, N, S) of SP 800-185 section 3.3: X = in[n], L = 8 outlen bits,
 * function name N = name[nn], customization S = cust[ns] (byte strings; NULL allowed
 * when the length is 0). With N and S both empty it is SHAKE128, as the standard says. */
void sg_cshake128(const uint8_t *in, size_t n, const uint8_t *name, size_t nn,
                  const uint8_t *cust, size_t ns, uint8_t *out, size_t outlen);

#endif
