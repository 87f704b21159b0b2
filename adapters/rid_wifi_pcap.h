/* Remote ID from libpcap: pcap/pcapng files and live interfaces.
 * Wi-Fi: link types radiotap (127) and bare 802.11 (105), live in monitor mode.
 * Bluetooth (dsp/ble_cap.h): sniffer link-layer captures BLUETOOTH_LE_LL (251),
 * BLUETOOTH_LE_LL_WITH_PHDR (256), NORDIC_BLE (272), legacy and extended advertising
 * (AUX_ADV_IND / AUX_CHAIN_IND chains reassembled), 1M / 2M / Coded PHY as the
 * sniffer reports them; and host captures of HCI advertising reports: H4 (187),
 * H4 with direction (201), Linux monitor (254, also a live "bluetooth-monitor").
 *
 * Each captured frame goes through the pure parser in dsp/rid_wifi.h; decoded frames
 * reach a callback with the capture timestamp (the time base of this input: the
 * file's record times, or the kernel's receive times when live). Every frame is
 * counted: seen, decoded, not Remote ID, rejected by reason. Only built when libpcap
 * is found (SG_WITH_PCAP); apps check that macro. */
#ifndef RID_WIFI_PCAP_H
#define RID_WIFI_PCAP_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "rid_wifi.h"
#include "sg_error.h"

typedef struct rid_pcap rid_pcap;

typedef struct {
    uint64_t frames;                       /* captured frames seen */
    uint64_t decoded;                      /* frames with a valid Remote ID pack */
    uint64_t messages;                     /* F3411 messages in decoded frames (kept) */
    uint64_t warnings;                     /* fields decoded as unknown (reserved values) */
    uint64_t dropped_msgs;                 /* pack messages dropped: unknown type, duplicate */
    uint64_t not_rid;                      /* valid frames without Remote ID */
    uint64_t rejected[RID_WIFI_REASONS_];  /* by rid_wifi_reason (index 0 unused) */
    uint64_t kernel_dropped;               /* live: dropped by the kernel/driver (pcap_stats) */
    uint64_t ble_pending;                  /* Bluetooth: fragments held for a chain (not lost) */
    uint64_t ble_chain_lost;               /* Bluetooth: chains incomplete, orphaned fragments,
                                              over-long or truncated data (ble_chain_stats) */
} rid_pcap_stats;

/* t: s UTC capture time of the frame. The frame is valid only during the call.
 * Return 0 to go on, non-zero to make rid_pcap_run return that value. */
typedef int (*rid_pcap_cb)(void *user, double t, const rid_wifi_frame *f);

/* Opens a capture file ("-" = stdin). NULL + e if it cannot be read or its link
 * type is none of the above. */
rid_pcap *rid_pcap_open_file(const char *path, sg_errinfo *e);

/* Opens a live interface, asking for monitor mode (rfmon) when the driver can do
 * it; the interface must already be on the Remote ID channel (usually 6, 2437 MHz,
 * or 149 for NAN at 5745 MHz). Needs CAP_NET_RAW. NULL + e on failure. */
rid_pcap *rid_pcap_open_live(const char *ifname, sg_errinfo *e);

/* Opens from a configuration object: {"file": "capture.pcap"} or
 * {"interface": "wlan0mon"} (exactly one). `where` names the object in errors. */
rid_pcap *rid_pcap_open_json(const cJSON *opts, const char *where, sg_errinfo *e);

/* Reads frames until end of file (SG_OK), rid_pcap_stop (SG_OK), a callback's
 * non-zero return (that value) or a capture error (SG_EIO, text in e). Blocks. */
int rid_pcap_run(rid_pcap *p, rid_pcap_cb cb, void *user, sg_errinfo *e);

/* Asks run() to return soon. Thread-safe; callable from a signal handler. */
void rid_pcap_stop(rid_pcap *p);

/* Counters so far. Thread-safe (relaxed atomic reads); kernel_dropped is updated
 * when run() returns. */
void rid_pcap_get_stats(rid_pcap *p, rid_pcap_stats *s);

void rid_pcap_close(rid_pcap *p);

#endif
