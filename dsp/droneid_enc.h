/* DJI DroneID modulator: message -> complex baseband burst at any sample rate.
 * The exact inverse of the receiver chain (droneid.h): payload -> filler + CRC-24A ->
 * LTE turbo code -> rate matching -> Gold scrambling -> QPSK -> OFDM with ZC sync
 * symbols and cyclic prefixes at 15.36 Msps -> band-limited resampling to fs ->
 * frequency offset. Used by the tests (bit-exact round trips) and by the capture
 * generator (synthetic scenes). Thread-safe: each call owns its buffers. */
#ifndef SG_DRONEID_ENC_H
#define SG_DRONEID_ENC_H

#include <complex.h>
#include <stddef.h>

#include "droneid.h"

typedef struct {
    int nsym;          /* 9 (current firmware, default) or 8 (legacy) */
    double amplitude;  /* RMS amplitude of the burst, > 0 (default 0.1) */
} droneid_mod_cfg;

/* Samples droneid_modulate() writes for this rate and layout (burst only). */
size_t droneid_mod_len(double fs, int nsym);

/* m: message (packed with droneid_pack; m itself is not modified).
 * cfg: NULL for defaults. fs: output rate Hz, 15.36e6..200e6. cfo_hz: |cfo| < fs/2 - 5e6,
 * applied as exp(j 2 pi cfo t). out[cap]: cap >= droneid_mod_len(fs, nsym).
 * *n = samples written. SG_EINVAL / SG_ERANGE / SG_EOVERFLOW / SG_ENOMEM. */
int droneid_modulate_cfg(const droneid_msg *m, const droneid_mod_cfg *cfg, double fs,
                         double cfo_hz, float complex *out, size_t cap, size_t *n);
/* Same with the default configuration. */
int droneid_modulate(const droneid_msg *m, double fs, double cfo_hz, float complex *out,
                     size_t cap, size_t *n);

/* The 176-byte turbo block for a payload (payload, 82 zero filler bytes, CRC-24A)
 * and its 7200 scrambled coded bits; exposed for tests. */
int droneid_encode_bits(const uint8_t payload[DRONEID_PAYLOAD_LEN],
                        uint8_t block[DRONEID_BLOCK_BYTES], uint8_t coded[DRONEID_E]);

#endif
