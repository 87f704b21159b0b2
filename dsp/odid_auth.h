/* Remote ID authentication: verification of DRIP-signed Remote ID (IETF RFC 9575,
 * ASTM F3411 authentication type 5 "specific authentication method" with DRIP SAM
 * types 1..4), Ed25519 through libsodium.
 *
 * Authentication data as joined by odid_aircraft (page 0 length bytes):
 *   [0]            SAM type: 1 DRIP Link, 2 DRIP Wrapper, 3 DRIP Manifest, 4 DRIP Frame
 *   [1..4]         Valid Not Before, uint32 little-endian s since 2019-01-01 (ASTM epoch)
 *   [5..8]         Valid Not After, same
 *   [9..n-81]      evidence (Link: child DET 16 + child Ed25519 key 32; Wrapper: 0..4
 *                  wrapped F3411 messages; Manifest: message hashes; Frame: type + data)
 *   [n-80..n-65]   DET of the signer (16 bytes)
 *   [n-64..n-1]    Ed25519 signature over bytes [1 .. n-65] (VNB through the DET)
 * Keys: an odid_trust store maps DETs to Ed25519 public keys. Anchors (e.g. a
 * registry's key) are configured; a DRIP Link signed by an anchor teaches the child
 * DET's key. A DET of HHIT suite 5 (EdDSA/cSHAKE128) is checked to be the hash of its
 * key (RFC 9374: cSHAKE128 over prefix, HID, suite and the 32-byte key, with the DET
 * context ID), for anchors as they are loaded, for endorsed keys before they are
 * learned, and for every signer. Not checked: DRIP FEC parity pages, wrapped messages
 * against received ones.
 *
 * Verdicts (sg_rid_auth): VERIFIED (signature good, signer known, receive time inside
 * [VNB, VNA], signer DET equal to the aircraft's DRIP session ID if it sent one);
 * FAILED (signature bad, outside its validity, signed by another DET than the
 * aircraft claims, or a DET that is not the hash of its key); UNVERIFIED (auth types 1..4 and non-DRIP SAM types, whose
 * signature method the standard leaves open, or no key for the signer);
 * UNSIGNED (no authentication heard). Pure except the store; libsodium is initialised
 * by odid_trust_create. */
#ifndef ODID_AUTH_H
#define ODID_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "odid.h"
#include "sg_error.h"

#define ODID_DET_LEN 16
#define ODID_ED25519_PK 32
#define ODID_ED25519_SK 64
#define ODID_ED25519_SIG 64
#define ODID_AUTH_TYPE_SAM 5
#define ODID_SAM_DRIP_LINK 1
#define ODID_SAM_DRIP_WRAPPER 2
#define ODID_SAM_DRIP_MANIFEST 3
#define ODID_SAM_DRIP_FRAME 4
#define ODID_DRIP_MIN (1 + 8 + ODID_DET_LEN + ODID_ED25519_SIG) /* bytes without evidence */
#define ODID_AUTH_DATA_MAX 255

#define ODID_DET_SUITE_EDDSA 5     /* HHIT suite ID: EdDSA (Ed25519) / cSHAKE128 */

/* ---- DRIP Entity Tags (RFC 9374) ------------------------------------------------
 * 128 bits: prefix 2001:30::/28 | HID = RAA (14 bits) | HDA (14 bits) | suite ID (8)
 * | hash (64), where hash = cSHAKE128(first 64 bits of the DET || HI, L = 64, N = "",
 * S = context ID 0x00B5A69C795DF5D5F0087F56843F2C40) and HI is the 32-byte Ed25519
 * public key. */

/* The DET of an Ed25519 key under RAA and HDA (0..16383 each). SG_EINVAL. */
int odid_det_make(unsigned raa, unsigned hda, const uint8_t key[ODID_ED25519_PK],
                  uint8_t det[ODID_DET_LEN]);

/* SG_OK: det is the hash of key; SG_EAUTH: it is a suite-5 DET of another key;
 * SG_ENOTSUP: not a DET of suite 5 (another prefix or suite: nothing to check). */
int odid_det_check(const uint8_t det[ODID_DET_LEN], const uint8_t key[ODID_ED25519_PK]);

typedef struct odid_trust odid_trust;

/* cap: 1..4096 keys. NULL + e on bad arguments, no memory or libsodium failure. */
odid_trust *odid_trust_create(int cap, sg_errinfo *e);
void odid_trust_destroy(odid_trust *t);

/* Adds (or replaces) the key of a DET. anchor: may endorse others (DRIP Link).
 * SG_EOVERFLOW when full. */
int odid_trust_add(odid_trust *t, const uint8_t det[ODID_DET_LEN],
                   const uint8_t key[ODID_ED25519_PK], bool anchor);

/* Reads anchors from a text file: one "DET_HEX KEY_HEX" per line (32 and 64 hex
 * digits), '#' comments and blank lines ignored. A suite-5 DET that is not the hash
 * of its key is refused (SG_EFORMAT), and so is a file writable by group or others
 * (SG_EAUTH: anyone could add a key). Errors name the file and line. */
int odid_trust_load(odid_trust *t, const char *path, sg_errinfo *e);

/* Key of det, NULL if unknown; *anchor (optional) set. */
const uint8_t *odid_trust_find(const odid_trust *t, const uint8_t det[ODID_DET_LEN], bool *anchor);
int odid_trust_count(const odid_trust *t);

typedef struct {
    uint8_t state;            /* sg_rid_auth */
    uint8_t sam_type;         /* 0 if not a SAM */
    const char *reason;       /* static text: why this verdict */
} odid_auth_verdict;

/* Judges the aircraft's complete authentication set (a->auth_len > 0) received at t
 * (s UTC). trust may be NULL (nothing is verifiable). A verified DRIP Link by an
 * anchor adds the child's key to trust. Returns the verdict's state. */
int odid_auth_verify(odid_trust *trust, const odid_aircraft *a, double t,
                     odid_auth_verdict *out);

/* ---- transmitter side (tests, synthetic captures) ------------------------------- */

/* Builds DRIP authentication data: SAM type, VNB/VNA (s UTC), evidence, signer DET,
 * Ed25519 signature with sk (libsodium 64-byte secret key). *len = bytes (<= 255).
 * SG_EINVAL (bad SAM type, times, sizes), SG_EOVERFLOW. */
int odid_drip_sign(uint8_t sam_type, double vnb, double vna, const uint8_t *evidence, size_t n,
                   const uint8_t det[ODID_DET_LEN], const uint8_t sk[ODID_ED25519_SK],
                   uint8_t *out, size_t cap, size_t *len);

/* Splits auth data into Authentication messages (page 0: 17 bytes, then 23 each),
 * auth_type, page 0 timestamp ts (s UTC, NAN none). *n = pages. */
int odid_auth_paginate(uint8_t auth_type, double ts, const uint8_t *data, size_t len,
                       odid_message *pages, int cap, int *n);

#endif
