/* Bluetooth LE capture records and extended advertising, for Remote ID from sniffer
 * and host captures (pure parsing and building; libpcap lives in adapters/).
 *
 * Link-layer captures (one over-the-air packet per record):
 *   BLE_LT_LL (251, LINKTYPE_BLUETOOTH_LE_LL): access address (4, LE), PDU header (2),
 *     payload, CRC (3, the on-air bit stream packed least significant bit first);
 *   BLE_LT_LL_PHDR (256, LINKTYPE_BLUETOOTH_LE_LL_WITH_PHDR): a 10-byte header (RF
 *     channel 0..39 = (f - 2402 MHz) / 2, signal dBm, noise dBm, AA offenses, reference
 *     AA, flags: bit 0 dewhitened, bit 1 signal valid, bit 10 CRC checked, bit 11 CRC
 *     valid, bits 14-15 PHY 0 1M / 1 2M / 2 Coded) then the 251 layout;
 *   BLE_LT_NORDIC (272, LINKTYPE_NORDIC_BLE, nRF Sniffer): board ID (1), UART header
 *     (6: lengths, protocol version at byte 2, counter, packet ID), packet header (10:
 *     its length, flags (bit 0 CRC OK, bits 4-6 PHY from protocol version 2 on),
 *     channel index, -RSSI, event counter, time), then the 251 layout.
 *   On the Coded PHY one coding-indicator byte (0: S=8, 1: S=2) follows the access
 *   address in these layouts, as the sniffers write it.
 *   Only advertising-channel packets (access address 0x8E89BED6) are returned; the CRC
 *   is checked here (init 0x555555) unless the capture says it was already checked.
 * Host captures (HCI events from a controller that scanned):
 *   BLE_LT_HCI_H4 (187): H4 packet type byte then the packet; BLE_LT_HCI_H4_PHDR (201):
 *   a 4-byte direction word first; BLE_LT_MONITOR (254, Linux monitor): adapter index
 *   and opcode (2 + 2, big-endian; opcode 3 = event) then the event. LE Advertising
 *   Report (subevent 0x02) and LE Extended Advertising Report (0x0D) are parsed.
 *
 * Extended advertising (PDU type 7): ADV_EXT_IND on a primary channel points with its
 * AuxPtr to AUX_ADV_IND on a secondary channel, which may point on to AUX_CHAIN_IND
 * packets continuing the advertising data. ble_chain reassembles those chains (and
 * fragmented HCI extended reports) per advertiser and ADI, with every incomplete or
 * orphaned fragment counted.
 * Every length is checked before use; any byte string is safe (fuzz/fuzz_ble_cap.c).
 * Not thread-safe per ble_chain object; everything else is pure. */
#ifndef BLE_CAP_H
#define BLE_CAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ble_ll.h"

#define BLE_LT_HCI_H4 187
#define BLE_LT_HCI_H4_PHDR 201
#define BLE_LT_LL 251
#define BLE_LT_MONITOR 254
#define BLE_LT_LL_PHDR 256
#define BLE_LT_NORDIC 272

#define BLE_ADV_EXT_IND 7          /* PDU type of ADV_EXT_IND / AUX_ADV_IND / AUX_CHAIN_IND */
#define BLE_ADV_DATA_MAX 1650      /* advertising data of one set, all fragments */
#define BLE_CHAIN_SLOTS 8          /* chains reassembled at once */
#define BLE_CHAIN_TIMEOUT_S 1.0    /* a chain not continued for this long is dropped */

typedef enum {
    BLE_PHY_UNKNOWN = 0,
    BLE_PHY_1M = 1,
    BLE_PHY_2M = 2,
    BLE_PHY_CODED = 3,
} ble_phy;

const char *ble_phy_name(ble_phy p); /* "1M", "2M", "coded", "?" */

/* One link-layer packet from a capture record. pdu points into the record. */
typedef struct {
    int channel;          /* channel index 0..39; -1 unknown */
    ble_phy phy;
    int coding;           /* Coded PHY: 8 or 2 (S=8 / S=2); 0 otherwise or unknown */
    double rssi_dbm;      /* NAN unknown */
    uint32_t aa;          /* access address */
    const uint8_t *pdu;   /* header + payload (CRC not included) */
    size_t pdu_len;
    bool crc_by_capture;  /* the sniffer checked the CRC (else it was checked here) */
} ble_ll_rec;

bool ble_cap_is_ll(int linktype);
bool ble_cap_is_hci(int linktype);

/* Parses a link-layer record. SG_OK; SG_ENOTFOUND (not an advertising-channel packet);
 * SG_ETRUNC (record shorter than its headers or PDU length); SG_EFORMAT (PDU length
 * beyond the PHY's maximum, unknown PHY code); SG_ECRC (CRC wrong, or the capture
 * says so); SG_EINVAL (not a link-layer link type). */
int ble_cap_parse_ll(int linktype, const uint8_t *rec, size_t len, ble_ll_rec *out);

/* Builds a record of linktype (251, 256 or 272) around pdu (header + payload): the
 * headers, the access address, the coding indicator on the Coded PHY, the CRC.
 * coding 8 or 2 on BLE_PHY_CODED. *len = record bytes. SG_EINVAL / SG_EOVERFLOW. */
int ble_cap_build_ll(int linktype, int channel, ble_phy phy, int coding, double rssi_dbm,
                     const uint8_t *pdu, size_t pdu_len, uint8_t *out, size_t cap, size_t *len);

/* ---- extended advertising PDUs -------------------------------------------------- */

typedef struct {
    uint8_t adv_mode;         /* 0 non-connectable non-scannable, 1 connectable, 2 scannable */
    bool tx_random;           /* TxAdd */
    bool has_adva;
    uint8_t adva[6];          /* as on air (LSB first) */
    bool has_adi;
    uint16_t did;             /* advertising data ID, 12 bits */
    uint8_t sid;              /* advertising set ID, 4 bits */
    bool has_aux;
    uint8_t aux_channel;      /* AuxPtr channel index 0..39 */
    ble_phy aux_phy;
    uint32_t aux_offset_us;
    bool has_tx_power;
    int8_t tx_power_dbm;
    const uint8_t *adv_data;  /* points into the PDU */
    size_t adv_data_len;
} ble_ext_adv;

/* Parses a PDU of type 7 (common extended advertising payload format). SG_OK;
 * SG_ENOTSUP (another PDU type); SG_ETRUNC; SG_EFORMAT (extended header longer than
 * the payload or than its flagged fields allow, AuxPtr PHY reserved). */
int ble_ext_parse(const uint8_t *pdu, size_t len, ble_ext_adv *out);

/* Builds a type-7 PDU from the has_* fields and adv_data. *len = PDU bytes. */
int ble_ext_build(const ble_ext_adv *in, uint8_t *pdu, size_t cap, size_t *len);

/* ---- HCI advertising reports ------------------------------------------------------ */

typedef struct {
    uint8_t addr[6];          /* as in HCI (LSB first, like AdvA on air) */
    bool addr_random;
    bool extended;            /* from an LE Extended Advertising Report */
    int data_status;          /* 0 complete, 1 incomplete: more follows, 2 incomplete: truncated */
    uint8_t sid;              /* extended: advertising SID (0xFF none) */
    ble_phy primary_phy, secondary_phy;
    double rssi_dbm;          /* NAN if the controller sent 127 (unknown) */
    const uint8_t *data;      /* advertising data, points into the record */
    size_t data_len;
} ble_hci_report;

/* Parses an HCI record; writes up to cap reports, *n = count. SG_ENOTFOUND (another
 * HCI packet or event), SG_ETRUNC / SG_EFORMAT (lengths inconsistent), SG_EOVERFLOW
 * (more reports than cap), SG_EINVAL (not an HCI link type). */
int ble_cap_parse_hci(int linktype, const uint8_t *rec, size_t len, ble_hci_report *out, int cap,
                      int *n);

/* Builds an HCI record with one report (extended: LE Extended Advertising Report,
 * else LE Advertising Report; legacy data <= 31 bytes, extended <= 229). */
int ble_cap_build_hci(int linktype, const ble_hci_report *r, uint8_t *out, size_t cap,
                      size_t *len);

/* ---- reassembly --------------------------------------------------------------- */

/* Complete advertising data of one advertisement. adv_data points into the chain
 * object or the record; valid until the next feed. */
typedef struct {
    uint8_t adva[6];          /* as on air (LSB first) */
    bool extended;
    ble_phy phy;              /* of the packet that carried (the last of) the data */
    int coding;
    int channel;              /* -1 unknown (HCI) */
    double rssi_dbm;
    const uint8_t *adv_data;
    size_t adv_data_len;
} ble_adv_data;

typedef struct {
    uint64_t incomplete;      /* chains dropped before their last fragment (timeout, eviction) */
    uint64_t orphans;         /* AUX_CHAIN_IND / HCI fragments with no chain to continue */
    uint64_t overflow;        /* chains longer than BLE_ADV_DATA_MAX */
    uint64_t truncated;       /* HCI data reported truncated by the controller */
    uint64_t no_data;         /* ADV_EXT_IND pointers and other PDUs without data */
} ble_chain_stats;

typedef struct {
    bool used;
    uint8_t adva[6];
    uint16_t adi;             /* (sid << 12) | did; 0xFFFF none */
    double t;                 /* s of the last fragment */
    size_t len;
    uint8_t data[BLE_ADV_DATA_MAX];
} ble_chain_slot;

typedef struct {
    ble_chain_slot slot[BLE_CHAIN_SLOTS];
    ble_chain_stats st;
} ble_chain;

void ble_chain_init(ble_chain *c);

/* Feeds a parsed link-layer packet received at t (s). SG_OK with *out filled when an
 * advertisement's data is complete (legacy PDU, AUX_ADV_IND without AuxPtr, or the
 * last AUX_CHAIN_IND); SG_EAGAIN while a chain waits for more; SG_ENOTFOUND for
 * PDUs without advertising data; otherwise the parse error of the PDU. */
int ble_chain_feed_ll(ble_chain *c, const ble_ll_rec *r, double t, ble_adv_data *out);

/* Same for an HCI report (extended reports with data status 1 are joined). */
int ble_chain_feed_hci(ble_chain *c, const ble_hci_report *r, double t, ble_adv_data *out);

#endif
