/* Remote ID over Wi-Fi: pure parsing of captured 802.11 frames (no libpcap here).
 *
 * Two ASTM F3411 Wi-Fi transports are recognised:
 *   - Beacon: a management beacon whose vendor-specific element (ID 221) has OUI
 *     FA:0B:BC (ASD-STAN), OUI type 0x0D, then a message counter byte and a
 *     Message Pack;
 *   - NAN: a public action frame (category 4, vendor specific 9) with Wi-Fi
 *     Alliance OUI 50:6F:9A type 0x13 (NAN service discovery), whose Service
 *     Descriptor attribute has the ODID service ID (first 6 bytes of
 *     SHA-256("org.opendroneid.remoteid")) and service info = counter + Message Pack.
 * Input is either a radiotap-prefixed frame (monitor mode, LINKTYPE 127) or a bare
 * 802.11 frame (LINKTYPE 105). Every length is checked before it is used, so any
 * byte string is safe to pass (fuzzed in tests/test_rid_fuzz.c). Used by
 * adapters/rid_wifi_pcap.c and tools/sg_rid.c. Pure functions, thread-safe. */
#ifndef RID_WIFI_H
#define RID_WIFI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "odid.h"

typedef enum {
    RID_WIFI_BEACON = 0,
    RID_WIFI_NAN = 1,
    RID_BT_LEGACY = 2,      /* Bluetooth legacy advertising (BT4), from a capture (ble_cap.h) */
    RID_BT_EXT = 3,         /* Bluetooth extended advertising (BT5), from a capture */
} rid_wifi_transport;

/* "beacon", "nan", "bt4", "bt5" */
const char *rid_wifi_transport_name(rid_wifi_transport t);

/* Why a frame was not decoded; index of the reject counters in rid_wifi_stats. */
typedef enum {
    RID_WIFI_NOT_RID = 0,   /* valid 802.11 frame, no Remote ID in it (not an error) */
    RID_WIFI_BAD_RADIOTAP,  /* radiotap header malformed / truncated */
    RID_WIFI_BAD_80211,     /* 802.11 header or element list truncated / malformed */
    RID_WIFI_BAD_PACK,      /* Remote ID element present but Message Pack invalid */
    RID_WIFI_BAD_FCS,       /* radiotap says the FCS failed; Bluetooth: CRC-24 wrong */
    RID_WIFI_BAD_BLE,       /* Bluetooth record, PDU or HCI event truncated / malformed */
    RID_WIFI_REASONS_,
} rid_wifi_reason;

typedef struct {
    uint8_t mac[6];                     /* transmitter (SA) */
    rid_wifi_transport transport;
    uint8_t counter;                    /* message counter byte before the pack */
    int n_msgs;                         /* 1..ODID_PACK_MAX */
    odid_message msgs[ODID_PACK_MAX];
    double rssi_dbm;                    /* radiotap antenna signal; NAN if absent */
    double freq_mhz;                    /* radiotap channel; NAN if absent */
    char ssid[33];                      /* beacon SSID ("" for NAN or hidden) */
    int ble_channel;                    /* Bluetooth: channel index 0..39, -1 unknown (HCI) */
    int ble_phy;                        /* Bluetooth: ble_phy (1 1M, 2 2M, 3 Coded), 0 unknown */
    int ble_coding;                     /* Bluetooth Coded PHY: 8 or 2 (S=8 / S=2), 0 unknown */
    odid_pack_info pack_info;           /* warnings and messages dropped in the pack */
} rid_wifi_frame;

/* Parses a radiotap + 802.11 frame. Returns SG_OK with *out filled, or a negative
 * sg_err with *reason (optional) set: SG_ENOTFOUND for RID_WIFI_NOT_RID, SG_ETRUNC /
 * SG_EFORMAT / SG_ERANGE / SG_ENOTSUP for the malformed cases. */
int rid_wifi_parse_radiotap(const uint8_t *p, size_t len, rid_wifi_frame *out,
                            rid_wifi_reason *reason);

/* Same for a bare 802.11 frame; has_fcs: the last 4 bytes are the FCS (ignored). */
int rid_wifi_parse_80211(const uint8_t *p, size_t len, bool has_fcs, rid_wifi_frame *out,
                         rid_wifi_reason *reason);

const char *rid_wifi_reason_name(rid_wifi_reason r);

/* Test/synthesis helpers: build a beacon (SSID, vendor IE) or a NAN service
 * discovery frame carrying `pack` (an encoded Message Pack of pack_len bytes) from
 * transmitter mac, as bare 802.11 without FCS. *len = frame bytes.
 * SG_EOVERFLOW if cap is too small, SG_EINVAL for a pack longer than fits. */
int rid_wifi_build_beacon(const uint8_t mac[6], const char *ssid, uint8_t counter,
                          const uint8_t *pack, size_t pack_len, uint8_t *out, size_t cap,
                          size_t *len);
int rid_wifi_build_nan(const uint8_t mac[6], uint8_t counter, const uint8_t *pack,
                       size_t pack_len, uint8_t *out, size_t cap, size_t *len);

#endif
