/* Bluetooth LE Remote ID scanner on one IQ stream: legacy advertising on the 1M PHY
 * and, when enabled, extended advertising on the LE Coded PHY (Bluetooth 5 Long
 * Range), on every channel the capture's band covers.
 *
 * Receivers (all on the same sg_iq_block stream):
 *   - legacy 1M (ble_rx) on the configured primary channels (37/38/39);
 *   - with "extended": on each secondary channel 0..36 listened to an LE Coded PHY
 *     receiver (ble_coded) and/or a 1M receiver of extended PDUs (up to 255 bytes), as
 *     secondary_phys says; with coded_primary also a Coded receiver on each primary
 *     channel (ADV_EXT_IND, which only carries the AuxPtr; on 1M the legacy receiver
 *     hears it). Secondary channels: the configured list, or "auto" = the channels inside the band
 *     (|channel centre - block centre| + 1 MHz <= fs / 2), nearest the centre first,
 *     up to max_secondary.
 * An IQ receiver cannot retune, so "following" an AuxPtr means listening on its
 * channel all the time: every AuxPtr (ADV_EXT_IND, or AUX_ADV_IND continued by
 * AUX_CHAIN_IND) that names a channel / PHY that is
 * not listened to (outside the band, beyond max_secondary, a PHY not in secondary_phys,
 * or the 2M PHY, which these receivers do not demodulate) is counted in aux_unheard.
 * Advertisers move their AUX_ADV_IND over the secondary channels from event to event,
 * so a receiver listening on k of the 37 hears about k / 37 of the advertisements.
 * Packets are joined into advertisements by ble_chain (AUX_ADV_IND / AUX_CHAIN_IND),
 * the Remote ID service data decoded (a single message or a pack), and the messages
 * handed to the callback in time order within each block.
 * Not thread-safe: one thread owns a scanner. Receivers are made at the first block
 * (from its centre frequency); no allocation after that. */
#ifndef BLE_SCAN_H
#define BLE_SCAN_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "ble_cap.h"
#include "ble_rx.h"
#include "odid.h"
#include "sg_error.h"
#include "sg_types.h"

#define BLE_SCAN_MAX_SEC 8        /* secondary channels listened to at most */

typedef struct {
    ble_rx_cfg legacy;            /* 1M on the primary channels (keys of ble_rx_cfg_from_json) */
    bool extended;                /* Coded PHY receivers for extended advertising */
    int n_secondary;              /* -1: auto; else 0..BLE_SCAN_MAX_SEC entries below */
    int secondary[BLE_SCAN_MAX_SEC]; /* channel indices 0..36 */
    int max_secondary;            /* auto: 1..BLE_SCAN_MAX_SEC (default 4) */
    double coded_threshold;       /* Coded PHY sync correlation [0.2, 0.95] (default 0.35) */
    bool coded_primary;           /* Coded receivers on the primary channels too (ADV_EXT_IND:
                                     AuxPtrs counted; default false: they carry no data) */
    bool sec_coded, sec_1m;       /* PHYs listened to on the secondary channels
                                     (default Coded only) */
    double squelch_db;            /* 1M receivers: a channel is demodulated only in blocks
                                     this many dB above its own noise floor (fftchan.h),
                                     0 = always; default 3, range 0 or [1, 30]. The Coded
                                     receivers are never squelched: they decode below the
                                     noise, where a block's power shows nothing */
} ble_scan_cfg;

/* Defaults: ble_rx defaults, extended off, secondary auto, max 4, threshold 0.35,
 * Coded PHY on the secondary channels only, squelch 3 dB. */
void ble_scan_cfg_default(ble_scan_cfg *c);

/* Reads the venue's "ble" object: the ble_rx keys (channels, offsets_hz, sample_rate,
 * sync_threshold) and "extended" (bool), "secondary_channels" ("auto" or an array of
 * 0..36), "max_secondary" (1..8), "coded_threshold", "coded_primary" (bool),
 * "secondary_phys" (["coded"], ["1m"] or both), "squelch_db" (0 or 1..30). Unknown keys, wrong types and
 * out-of-range values are refused naming `where` and the key. */
int ble_scan_cfg_from_json(const cJSON *obj, const char *where, ble_scan_cfg *c, sg_errinfo *e);

/* Remote ID messages of one advertisement. Valid during the callback only. */
typedef struct {
    double t;                     /* s UTC, start of the packet that completed it */
    uint8_t mac[6];               /* AdvA, most significant byte first (odid_table key) */
    ble_phy phy;                  /* BLE_PHY_1M or BLE_PHY_CODED (of the completing packet) */
    int coding;                   /* Coded: 8 or 2; else 0 */
    int channel;                  /* of the packet that completed it */
    double power_dbfs;            /* NAN when the receiver does not measure it (Coded) */
    uint8_t counter;              /* the Remote ID message counter of the service data */
    int n_msgs;
    odid_message msgs[ODID_PACK_MAX];
} ble_scan_rid;

typedef void (*ble_scan_cb)(void *user, const ble_scan_rid *r);

typedef struct {
    uint64_t packets_1m, crc_fail_1m;   /* 1M receivers, primary and secondary channels
                                           (crc_fail counts noise too) */
    uint64_t syncs_coded;               /* Coded PHY preamble + coded AA found */
    uint64_t packets_s8, packets_s2;    /* Coded PHY packets with a good CRC, per coding */
    uint64_t crc_fail_coded;            /* Coded PHY decoded, CRC wrong */
    uint64_t aux_ptrs;                  /* AuxPtr fields heard (ADV_EXT_IND, continued AUX_*) */
    uint64_t aux_unheard;               /* of those, naming a channel / PHY not listened to */
    uint64_t chain_lost;                /* chains incomplete, orphaned, overflowing */
    uint64_t rid_adverts;               /* advertisements carrying Remote ID service data */
    uint64_t rid_decoded;               /* of those, decoded (>= 1 message) */
    uint64_t rid_bad;                   /* of those, payload rejected by the codec */
    uint64_t truncated;                 /* packets cut by a gap or the end of input */
    uint64_t squelch_blocks;            /* channeliser blocks seen by squelched 1M receivers
                                           (summed over channels) */
    uint64_t squelch_skipped;           /* of those, not demodulated (below the floor + squelch) */
    uint64_t squelch_cut;               /* syncs a closing squelch cut short (after FFTCHAN_HANG
                                           quiet blocks, so noise: a packet keeps its channel
                                           loud); not in truncated */
    uint64_t fft_blocks;                /* channeliser blocks (each one forward FFT at most) */
    uint64_t fft_skipped;               /* of those, never forward-transformed: the squelch's
                                           probe found every channel closed (only when every
                                           channel is squelched: extended off) */
    int n_secondary;                    /* secondary channels listened to (after the first block) */
} ble_scan_stats;

typedef struct ble_scan ble_scan;

/* NULL + e for a bad configuration (legacy receiver checked here) or no memory. */
ble_scan *ble_scan_create(const ble_scan_cfg *c, sg_errinfo *e);
void ble_scan_destroy(ble_scan *q);

/* One block. SG_EINVAL (sample rate differs), SG_ERANGE (a configured channel outside
 * the band, or extended advertising without the block's centre frequency); text in e. */
int ble_scan_execute(ble_scan *q, const sg_iq_block *blk, ble_scan_cb cb, void *user,
                     sg_errinfo *e);

/* End of input: decodes what is complete in the receivers' buffers. */
int ble_scan_flush(ble_scan *q, ble_scan_cb cb, void *user);

void ble_scan_get_stats(const ble_scan *q, ble_scan_stats *s);

/* s of sample time a delivered message may lag the end of the block it came with
 * (the longest packet the receivers buffer, with a margin): a caller's clock holds back this
 * much so that measurements never arrive behind it. */
double ble_scan_hold_s(const ble_scan *q);

#endif
