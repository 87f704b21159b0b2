/* Bluetooth LE 1M link layer for legacy advertising: CRC-24, data whitening, packet
 * bit framing, and advertising PDU / AD structure parsing down to the ASTM F3411
 * Remote ID service data (UUID 0xFFFA, app code 0x0D, counter, message).
 *
 * Bits are handled one per byte in on-air order: PDU bytes least significant bit
 * first, the CRC from register position 23 down to 0 (Core spec Vol 6 Part B 3.1).
 * Shared by the receiver (ble_rx.h) and the modulator (ble_tx.h). Pure functions;
 * every length is checked, so hostile PDUs are safe (fuzzed in test_rid_fuzz.c). */
#ifndef BLE_LL_H
#define BLE_LL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BLE_AA_ADV 0x8E89BED6u    /* access address of the advertising channels */
#define BLE_CRC_INIT_ADV 0x555555u
#define BLE_CRC_POLY 0x00065Bu    /* x^24 + x^10 + x^9 + x^6 + x^4 + x^3 + x + 1 */
#define BLE_ADV_MAX_PAYLOAD 37    /* legacy advertising PDU payload bytes */
#define BLE_PDU_MAX (2 + BLE_ADV_MAX_PAYLOAD)
#define BLE_EXT_MAX_PAYLOAD 255   /* extended advertising PDU (type 7) payload bytes */
#define BLE_EXT_PDU_MAX (2 + BLE_EXT_MAX_PAYLOAD)
#define BLE_EXT_PKT_MAX_BITS (BLE_SYNC_BITS + 8 * BLE_EXT_PDU_MAX + 24)
#define BLE_SYNC_BITS 40          /* preamble 8 + access address 32 */
#define BLE_PKT_MAX_BITS (BLE_SYNC_BITS + 8 * BLE_PDU_MAX + 24)
#define BLE_ODID_UUID 0xFFFAu
#define BLE_ODID_APP_CODE 0x0D

typedef enum {
    BLE_ADV_IND = 0,
    BLE_ADV_DIRECT_IND = 1,
    BLE_ADV_NONCONN_IND = 2,
    BLE_SCAN_REQ = 3,
    BLE_SCAN_RSP = 4,
    BLE_CONNECT_IND = 5,
    BLE_ADV_SCAN_IND = 6,
} ble_pdu_type;

/* RF centre frequency of a BLE channel index 0..39 (Hz); NAN if out of range. */
double ble_channel_freq(int channel);

/* CRC-24 register after shifting in n air-order bits from init. Running it over a
 * PDU followed by its 24 received CRC bits gives 0 when the CRC is correct. */
uint32_t ble_crc24_bits(const uint8_t *bits, size_t n, uint32_t init);

/* XORs n air-order bits with the whitening sequence of a channel (0..39); the same
 * call whitens and dewhitens. */
void ble_whiten_bits(uint8_t *bits, size_t n, int channel);

/* Frames a PDU (header + payload, 2..BLE_PDU_MAX bytes; an extended advertising PDU,
 * type 7, up to BLE_EXT_PDU_MAX) for a channel on the 1M PHY: preamble,
 * access address, whitened PDU and CRC, one bit per byte into bits[cap].
 * *nbits = 40 + 8 len + 24. SG_EINVAL for a bad length/channel, SG_EOVERFLOW if cap
 * is too small. */
int ble_packet_bits(const uint8_t *pdu, size_t len, int channel, uint8_t *bits, size_t cap,
                    size_t *nbits);

/* A parsed legacy advertising PDU. Pointers point into the caller's PDU buffer. */
typedef struct {
    uint8_t pdu_type;        /* ble_pdu_type */
    bool tx_random;          /* TxAdd: AdvA is a random address */
    uint8_t adva[6];         /* advertiser address, as on air (LSB first) */
    const uint8_t *adv_data; /* AD structures */
    size_t adv_data_len;     /* 0..31 */
    bool has_odid;           /* Remote ID service data found */
    uint8_t odid_counter;    /* message counter byte */
    const uint8_t *odid;     /* the F3411 message (or pack) after the counter */
    size_t odid_len;         /* bytes at odid (25 for BT4 legacy advertising) */
} ble_adv;

/* Parses a PDU of len bytes (header + payload). Returns SG_OK (has_odid tells if it
 * is Remote ID), SG_ETRUNC (len shorter than the header or its length field),
 * SG_EFORMAT (length field over 37, AdvA missing, AD structure running past the
 * end, Remote ID service data too short), SG_ENOTSUP (PDU type without AdvData:
 * SCAN_REQ, CONNECT_IND, ADV_DIRECT_IND, or reserved types). */
int ble_adv_parse(const uint8_t *pdu, size_t len, ble_adv *out);

/* Scans n bytes of AD structures (legacy or extended advertising data) for the first
 * Remote ID service data and sets out->has_odid, odid_counter, odid, odid_len (other
 * fields untouched). SG_OK (found or not), SG_EFORMAT (a structure runs past the end,
 * Remote ID service data too short). Used by ble_adv_parse and the capture inputs. */
int ble_ad_find_odid(const uint8_t *ad, size_t n, ble_adv *out);

/* Builds an ADV_NONCONN_IND PDU carrying Remote ID service data: AdvA (random
 * address), AD [len 0x16 FA FF 0D counter msg]. msg_len 1..25 (25 for a message).
 * *len = PDU bytes. SG_EINVAL / SG_EOVERFLOW on bad sizes. */
/* Writes the Remote ID service-data AD structure [len 0x16 FA FF 0D counter payload]
 * (n <= 249) into ad[n + 6]; returns n + 6. */
size_t ble_ad_odid(uint8_t counter, const uint8_t *payload, size_t n, uint8_t *ad);

int ble_adv_build_odid(const uint8_t adva[6], uint8_t counter, const uint8_t *msg,
                       size_t msg_len, uint8_t *pdu, size_t cap, size_t *len);

#endif
