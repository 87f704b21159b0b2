/* Bluetooth LE 1M GFSK modulator: framed packet bits (ble_ll.h) -> complex baseband.
 *
 * For tests and synthetic captures (the lead's capture generator): turns a Remote ID
 * message into the IQ a BLE 4 advertiser would transmit, at a chosen sample rate and
 * carrier offset from DC. Gaussian pulse shaping BT 0.5, modulation index 0.5
 * (+-250 kHz deviation) by default. Not used on any real-time path. */
#ifndef BLE_TX_H
#define BLE_TX_H

#include <complex.h>
#include <stddef.h>
#include <stdint.h>

#include "sg_error.h"

typedef struct {
    double sample_rate; /* Hz, an integer multiple of 1 MHz in [2, 64] MHz */
    double offset_hz;   /* carrier offset from DC, |offset| <= sample_rate / 2 - 0.5 MHz */
    double bt;          /* Gaussian bandwidth-time product, (0.2, 1], BLE: 0.5 */
    double mod_index;   /* (0.45, 0.55) for BLE; 0.5 nominal */
    double amplitude;   /* linear, > 0 (full scale 1) */
    double phase0;      /* rad, carrier phase at the first sample */
} ble_tx_cfg;

/* Fills BLE defaults: 4 MHz, offset 0, BT 0.5, h 0.5, amplitude 0.5. */
void ble_tx_cfg_default(ble_tx_cfg *c);

/* Samples ble_tx_modulate writes for nbits bits (bits plus one bit of ramp each side). */
size_t ble_tx_samples(const ble_tx_cfg *c, size_t nbits);

/* Modulates nbits bits (one per byte, 0/1) into out[cap]; *n = samples written.
 * SG_EINVAL for a bad configuration (message in e), SG_EOVERFLOW if cap is short. */
int ble_tx_modulate(const ble_tx_cfg *c, const uint8_t *bits, size_t nbits, float complex *out,
                    size_t cap, size_t *n, sg_errinfo *e);

/* Any advertising-channel PDU (header + payload; legacy up to 39 bytes, extended
 * advertising type 7 up to 257) on the 1M PHY on a channel -> IQ. */
int ble_tx_pdu(const ble_tx_cfg *c, const uint8_t *pdu, size_t len, int channel,
               float complex *out, size_t cap, size_t *n, sg_errinfo *e);

/* Convenience: F3411 message (25 bytes) -> ADV_NONCONN_IND on a channel -> IQ. */
int ble_tx_odid(const ble_tx_cfg *c, const uint8_t adva[6], uint8_t counter,
                const uint8_t msg[25], int channel, float complex *out, size_t cap, size_t *n,
                sg_errinfo *e);

/* Convenience: an advertising-channel PDU (header + payload, 2..257 bytes, e.g. an
 * ADV_EXT_IND or AUX_ADV_IND from ble_ext_build) on the LE Coded PHY with S = 8 or 2
 * (ble_coded_symbols) -> IQ. The symbol rate is 1 Msym/s as on the 1M PHY. */
int ble_tx_coded(const ble_tx_cfg *c, const uint8_t *pdu, size_t len, int channel, int s,
                 float complex *out, size_t cap, size_t *n, sg_errinfo *e);

/* Adds a baseband signal src[n] (at fs_src, band-limited well inside +-fs_src / 2) into
 * dst[dn] at another rate fs_dst, starting t_at s into dst and shifted by offset_hz:
 * windowed-sinc interpolation (32 taps), for test captures at rates the modulator does
 * not make (61.44 Msps). Samples beyond dst are dropped. SG_EINVAL for bad arguments. */
int ble_tx_place(const float complex *src, size_t n, double fs_src, float complex *dst,
                 size_t dn, double fs_dst, double t_at, double offset_hz);

#endif
