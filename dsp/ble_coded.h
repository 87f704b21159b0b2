/* Bluetooth 5 LE Coded PHY ("Long Range", 125 / 500 kbit/s): symbol framing for the
 * transmitter side and a receiver from IQ, for Remote ID on extended advertising.
 *
 * Packet (Core spec Vol 6 Part B 2.2, 3.3), 1 Msym/s GFSK as on the 1M PHY:
 *   preamble   80 symbols: "00111100" ten times (not coded);
 *   FEC block 1: access address (32 bits, LSB first), coding indicator CI (2 bits:
 *              0 S=8, 1 S=2), TERM1 (3 zero bits), always coded with S=8;
 *   FEC block 2: whitened PDU + CRC-24 (as on the 1M PHY), TERM2 (3 zero bits), coded
 *              with S=8 or S=2 as CI says.
 * FEC: rate 1/2 convolutional code, K = 4, G0 = 1 + D + D^2 + D^3, G1 = 1 + D^2 + D^3,
 * outputs a0 then a1 per input bit, state 0 at the start of each block (the TERM bits
 * return it there). Pattern mapper: S=8 sends each coded bit as 4 symbols (0 -> 0011,
 * 1 -> 1100); S=2 sends it as one symbol.
 *
 * Receiver: channel mix + low-pass + decimation to 4 samples per symbol, FM
 * discriminator, preamble detection by a comb correlation (cheap per sample), then
 * the coded access address of the advertising channels (336 known symbols with the
 * preamble) as a normalised correlation, carrier offset removed as the mean over
 * those symbols, coding indicator by matching its 4 candidates, soft-decision Viterbi
 * on block 2 (header first for the length, then the whole block to state 0),
 * dewhitening and CRC. Packets straddling blocks are decoded. Not thread-safe; no
 * allocation after create. */
#ifndef BLE_CODED_H
#define BLE_CODED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ble_cap.h"
#include "sg_error.h"
#include "sg_types.h"

#define BLE_CODED_PREAMBLE 80
#define BLE_CODED_MAX_SYMBOLS (BLE_CODED_PREAMBLE + 8 * (32 + 2 + 3) * 2 + \
                               8 * 2 * (8 * BLE_EXT_PDU_MAX + 24 + 3))

/* Symbols (one per byte, 0/1, 1 = +deviation) of a Coded PHY advertising-channel packet
 * carrying pdu (header + payload, 2..257 bytes) on channel (0..39, for whitening),
 * with S = 8 or 2. *n = symbols. SG_EINVAL / SG_EOVERFLOW. */
int ble_coded_symbols(const uint8_t *pdu, size_t len, int channel, int s, uint8_t *sym,
                      size_t cap, size_t *n);

typedef struct {
    double sample_rate;     /* Hz: 4 or 8 MHz (or another multiple of 4 MHz up to 32 MHz) */
    double offset_hz;       /* channel centre minus DC, Hz, |offset| + 1 MHz <= fs / 2 */
    int channel;            /* channel index 0..39 (dewhitening) */
    double sync_threshold;  /* normalised correlation of preamble + coded AA, [0.2, 0.95] */
    bool prefiltered;       /* input is the channel at DC, 4 MHz, already filtered by
                               ble_coded_filter_gain (a channeliser's zero-phase mask): the
                               receiver's own filter is skipped. Default false */
} ble_coded_cfg;

/* Zero-phase gain of the receiver's channel filter at 4 MHz at f_hz from the channel
 * centre (1 at 0): what a channeliser applies for a prefiltered receiver. Pure. */
double ble_coded_filter_gain(double f_hz);

/* Defaults: 4 MHz, offset 0, channel 37, threshold 0.35. */
void ble_coded_cfg_default(ble_coded_cfg *c);

typedef struct {
    double t;               /* s UTC of the first preamble symbol */
    uint64_t sample_index;  /* input index of the first preamble symbol */
    int channel;
    int coding;             /* 8 or 2 */
    double cfo_hz;          /* carrier offset measured on preamble + AA */
    double sync;            /* normalised correlation reached */
    uint8_t pdu[BLE_EXT_PDU_MAX];
    size_t pdu_len;         /* header + payload (CRC checked) */
} ble_coded_packet;

typedef void (*ble_coded_cb)(void *user, const ble_coded_packet *p);

typedef struct {
    uint64_t samples;       /* input samples */
    uint64_t syncs;         /* preamble + coded AA found */
    uint64_t crc_ok;        /* delivered */
    uint64_t crc_fail;      /* decoded, CRC wrong */
    uint64_t truncated;     /* cut by the end of input or a discontinuity */
    uint64_t discontinuities;
} ble_coded_stats;

typedef struct ble_coded_rx ble_coded_rx;

/* NULL + e for a bad configuration or no memory. */
ble_coded_rx *ble_coded_create(const ble_coded_cfg *c, sg_errinfo *e);
void ble_coded_destroy(ble_coded_rx *q);
/* Processes a block (its sample_rate must equal the configured one: SG_EINVAL). */
int ble_coded_execute(ble_coded_rx *q, const sg_iq_block *blk, ble_coded_cb cb, void *user,
                      sg_errinfo *e);
/* End of input: decodes what is complete in the buffer. */
int ble_coded_flush(ble_coded_rx *q, ble_coded_cb cb, void *user);
void ble_coded_get_stats(const ble_coded_rx *q, ble_coded_stats *s);

#endif
