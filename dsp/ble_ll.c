/* Bluetooth LE link layer helpers for legacy advertising (see ble_ll.h).
 *
 * CRC: register positions 0..23, data enters at position 0 XORed with position 23,
 * shifting toward 23; the CRC goes on air from position 23 down. Whitening: 7-bit
 * LFSR x^7 + x^4 + 1, position 0 preset to 1 and positions 1..6 to the channel
 * index (most significant bit at position 1); output taken from position 6. */
#include "ble_ll.h"

#include <math.h>
#include <string.h>

#include "sg_error.h"

double ble_channel_freq(int ch)
{
    if (ch == 37)
        return 2402e6;
    if (ch == 38)
        return 2426e6;
    if (ch == 39)
        return 2480e6;
    if (ch >= 0 && ch <= 10)
        return 2404e6 + 2e6 * ch;
    if (ch >= 11 && ch <= 36)
        return 2428e6 + 2e6 * (ch - 11);
    return NAN;
}

uint32_t ble_crc24_bits(const uint8_t *bits, size_t n, uint32_t init)
{
    uint32_t r = init & 0xFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        uint32_t fb = ((r >> 23) ^ bits[i]) & 1u;
        r = (r << 1) & 0xFFFFFFu;
        if (fb)
            r ^= BLE_CRC_POLY;
    }
    return r;
}

void ble_whiten_bits(uint8_t *bits, size_t n, int channel)
{
    /* s bit k holds LFSR position k */
    unsigned s = 1u;
    for (int k = 0; k < 6; k++)
        if (channel & (1 << (5 - k)))
            s |= 1u << (k + 1);
    for (size_t i = 0; i < n; i++) {
        unsigned out = (s >> 6) & 1u;
        bits[i] ^= (uint8_t)out;
        unsigned p3 = (s >> 3) & 1u;
        s = (s << 1) & 0x7Fu;
        s = (s & ~1u) | out;                       /* position 0 <- position 6 */
        s = (s & ~(1u << 4)) | ((p3 ^ out) << 4);  /* position 4 <- 3 xor 6 */
    }
}

int ble_packet_bits(const uint8_t *pdu, size_t len, int channel, uint8_t *bits, size_t cap,
                    size_t *nbits)
{
    if (!pdu || !bits || !nbits || len < 2 || channel < 0 || channel > 39 ||
        len > ((pdu[0] & 15) == 7 ? BLE_EXT_PDU_MAX : BLE_PDU_MAX))
        return SG_EINVAL;
    size_t n = BLE_SYNC_BITS + 8 * len + 24;
    if (cap < n)
        return SG_EOVERFLOW;
    size_t k = 0;
    /* preamble alternates and starts with the access address's first bit (0 here) */
    for (int i = 0; i < 8; i++)
        bits[k++] = (uint8_t)((BLE_AA_ADV & 1u) ^ (i & 1));
    for (int i = 0; i < 32; i++)
        bits[k++] = (uint8_t)((BLE_AA_ADV >> i) & 1u);
    uint8_t *p = bits + k;
    for (size_t b = 0; b < len; b++)
        for (int i = 0; i < 8; i++)
            bits[k++] = (uint8_t)((pdu[b] >> i) & 1u);
    uint32_t crc = ble_crc24_bits(p, 8 * len, BLE_CRC_INIT_ADV);
    for (int i = 23; i >= 0; i--)
        bits[k++] = (uint8_t)((crc >> i) & 1u);
    ble_whiten_bits(p, 8 * len + 24, channel);
    *nbits = k;
    return SG_OK;
}

int ble_adv_parse(const uint8_t *pdu, size_t len, ble_adv *out)
{
    if (!pdu || !out)
        return SG_EINVAL;
    memset(out, 0, sizeof *out);
    if (len < 2)
        return SG_ETRUNC;
    out->pdu_type = pdu[0] & 15;
    out->tx_random = (pdu[0] >> 6) & 1;
    size_t plen = pdu[1];
    if (plen > BLE_ADV_MAX_PAYLOAD)
        return SG_EFORMAT;
    if (len < 2 + plen)
        return SG_ETRUNC;
    switch (out->pdu_type) {
    case BLE_ADV_IND:
    case BLE_ADV_NONCONN_IND:
    case BLE_SCAN_RSP:
    case BLE_ADV_SCAN_IND:
        break;
    default:
        return SG_ENOTSUP;
    }
    if (plen < 6)
        return SG_EFORMAT;
    memcpy(out->adva, pdu + 2, 6);
    out->adv_data = pdu + 8;
    out->adv_data_len = plen - 6;
    return ble_ad_find_odid(out->adv_data, out->adv_data_len, out);
}

int ble_ad_find_odid(const uint8_t *d, size_t n, ble_adv *out)
{
    if (!out || (!d && n))
        return SG_EINVAL;
    out->has_odid = false;
    size_t off = 0;
    while (off < n) {
        size_t l = d[off];
        if (l == 0) /* significant part ended; the rest is padding */
            break;
        if (l > n - off - 1)
            return SG_EFORMAT;
        const uint8_t *s = d + off + 1; /* type, data[l-1] */
        if (s[0] == 0x16 && l >= 4 && s[1] == (BLE_ODID_UUID & 0xFF) &&
            s[2] == (BLE_ODID_UUID >> 8) && s[3] == BLE_ODID_APP_CODE && !out->has_odid) {
            if (l < 6) /* type, uuid[2], app code, counter, >= 1 message byte */
                return SG_EFORMAT;
            out->has_odid = true;
            out->odid_counter = s[4];
            out->odid = s + 5;
            out->odid_len = l - 5;
        }
        off += 1 + l;
    }
    return SG_OK;
}

int ble_adv_build_odid(const uint8_t adva[6], uint8_t counter, const uint8_t *msg,
                       size_t msg_len, uint8_t *pdu, size_t cap, size_t *len)
{
    if (!adva || !msg || !pdu || !len || msg_len < 1 || msg_len > 25)
        return SG_EINVAL;
    size_t ad = 1 + 5 + msg_len, plen = 6 + ad;
    if (cap < 2 + plen)
        return SG_EOVERFLOW;
    pdu[0] = BLE_ADV_NONCONN_IND | 0x40; /* TxAdd: random address */
    pdu[1] = (uint8_t)plen;
    memcpy(pdu + 2, adva, 6);
    ble_ad_odid(counter, msg, msg_len, pdu + 8);
    *len = 2 + plen;
    return SG_OK;
}

size_t ble_ad_odid(uint8_t counter, const uint8_t *payload, size_t n, uint8_t *ad)
{
    ad[0] = (uint8_t)(n + 5);
    ad[1] = 0x16;
    ad[2] = BLE_ODID_UUID & 0xFF;
    ad[3] = BLE_ODID_UUID >> 8;
    ad[4] = BLE_ODID_APP_CODE;
    ad[5] = counter;
    memcpy(ad + 6, payload, n);
    return n + 6;
}
