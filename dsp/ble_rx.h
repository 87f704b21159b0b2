/* Bluetooth LE 1M legacy advertising receiver from IQ, for ASTM F3411 Remote ID.
 *
 * Pipeline per listened channel: mix the channel to DC, low-pass and decimate to
 * 2 or 4 samples per bit, FM discriminator, soft correlation with the preamble and
 * advertising access address 0x8E89BED6 (normalised, so carrier offset and level
 * do not matter), bit slicing against the offset measured on the preamble, channel
 * dewhitening, CRC-24 check, advertising PDU parse (ble_ll.h). Every packet with a
 * good CRC is handed to a callback; Remote ID ones have adv.has_odid set and the
 * caller decodes adv.odid with odid_decode_message().
 *
 * Input: sg_iq_block from any IQ adapter (SigMF replay, SoapySDR) at the configured
 * sample rate (a multiple of 2 MHz, 2..64 MHz). One or several of the channels can
 * be listened to at once when the capture is wide enough (e.g. 37 and 38 need 28 MHz).
 * Streaming: packets that straddle block boundaries are decoded; a discontinuity
 * (flag or sample-index jump) resets the filters and is counted.
 * Not thread-safe: one thread owns a receiver. No allocation after create. */
#ifndef BLE_RX_H
#define BLE_RX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "ble_ll.h"
#include "odid.h"
#include "sg_error.h"
#include "sg_types.h"

#define BLE_RX_MAX_CH 3

typedef struct {
    int n_channels;                     /* 1..BLE_RX_MAX_CH */
    int channels[BLE_RX_MAX_CH];        /* BLE channel indices 0..39 (advertising: 37, 38, 39) */
    double offsets_hz[BLE_RX_MAX_CH];   /* channel centre minus block DC, Hz; NAN: computed
                                           from the block's center_freq (must then be > 0) */
    double sample_rate;                 /* Hz, multiple of 2 MHz in [2, 64] MHz */
    double sync_threshold;              /* normalised preamble+AA correlation, [0.3, 0.95] */
    bool extended;                      /* also extended advertising PDUs (type 7, payload up
                                           to 255 bytes: AUX_ADV_IND / AUX_CHAIN_IND on the
                                           secondary channels); default false (legacy, 37) */
    bool prefiltered;                   /* the input is one channel at DC, 4 MHz, already
                                           filtered by ble_rx_filter_gain (a channeliser's
                                           zero-phase mask): the receiver's own filter is
                                           skipped. Default false */
} ble_rx_cfg;

/* Defaults: channel 37 at offset 0, 4 MHz, threshold 0.6, legacy PDUs only. */
void ble_rx_cfg_default(ble_rx_cfg *c);

/* Zero-phase gain of the receiver's channel filter at 4 MHz at f_hz from the channel
 * centre (1 at 0): what a channeliser applies for a prefiltered receiver. Pure. */
double ble_rx_filter_gain(double f_hz);

/* Reads a configuration object: {"channels": [37, 38], "offsets_hz": [...],
 * "sample_rate": 4e6, "sync_threshold": 0.6}; absent keys keep the defaults.
 * `where` names the object in errors. */
int ble_rx_cfg_from_json(const cJSON *obj, const char *where, ble_rx_cfg *c, sg_errinfo *e);

typedef struct {
    double t;                /* s UTC of the first preamble bit (+- 1 us) */
    uint64_t sample_index;   /* input stream index of the first preamble bit */
    int channel;             /* BLE channel index */
    double cfo_hz;           /* carrier offset measured on the preamble/AA, Hz */
    double power_dbfs;       /* mean power over the packet after the channel filter */
    uint8_t pdu[BLE_EXT_PDU_MAX];
    size_t pdu_len;          /* header + payload bytes (CRC checked, not included) */
    int adv_rc;              /* ble_adv_parse result (SG_OK or an sg_err); SG_ENOTSUP for
                                an extended advertising PDU (ble_ext_parse reads those) */
    ble_adv adv;             /* parsed PDU if adv_rc == SG_OK; points into pdu */
} ble_rx_packet;

/* Called for every CRC-valid packet, on the thread calling ble_rx_execute; the
 * packet is valid only during the call. */
typedef void (*ble_rx_cb)(void *user, const ble_rx_packet *p);

typedef struct {
    uint64_t samples;        /* input samples processed */
    uint64_t syncs;          /* preamble + access address detections */
    uint64_t crc_ok;         /* packets delivered */
    uint64_t crc_fail;       /* sync found, CRC wrong (noise, collision, weak signal) */
    uint64_t bad_length;     /* PDU length field over 37 (255 with extended) */
    uint64_t bad_pdu;        /* CRC ok but PDU unparseable / not advertising data */
    uint64_t ext;            /* extended advertising PDUs (type 7) delivered */
    uint64_t odid;           /* packets carrying Remote ID service data */
    uint64_t discontinuities;/* gaps in the input (filters reset) */
    uint64_t truncated;      /* packets cut by a gap or the end of input */
} ble_rx_stats;

typedef struct ble_rx ble_rx;

/* NULL + e on an invalid configuration (which key, which value) or no memory. */
ble_rx *ble_rx_create(const ble_rx_cfg *c, sg_errinfo *e);
void ble_rx_destroy(ble_rx *q);

/* Processes one block. SG_EINVAL if its sample rate differs from the configured
 * one, SG_ERANGE if a channel (with its 0.7 MHz half bandwidth) falls outside the
 * block's band or its offset cannot be computed (center_freq 0 and offset NAN);
 * the error text is in e. Blocks may have any length. */
int ble_rx_execute(ble_rx *q, const sg_iq_block *blk, ble_rx_cb cb, void *user, sg_errinfo *e);

/* End of input: decodes packets still buffered (those complete before the end). */
int ble_rx_flush(ble_rx *q, ble_rx_cb cb, void *user);

/* Clears filter and detector state (e.g. after retuning); keeps the counters. */
void ble_rx_reset(ble_rx *q);

void ble_rx_get_stats(const ble_rx *q, ble_rx_stats *s);

/* Decodes the Remote ID payload of a delivered packet: a single F3411 message, or a
 * Message Pack if the payload is one. Writes up to cap messages, *n = count, and
 * mac (optional) = AdvA in the usual most-significant-byte-first order (the key for
 * odid_table). SG_ENOTFOUND if the packet is not Remote ID; otherwise the
 * odid_decode_message / odid_decode_pack result. Pure; thread-safe. */
int ble_rx_packet_odid(const ble_rx_packet *p, odid_message *out, int cap, int *n,
                       uint8_t mac[6]);

#endif
