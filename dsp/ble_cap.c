/* Bluetooth LE capture records, extended advertising and chain reassembly (see
 * ble_cap.h). Field layouts: Core spec Vol 6 Part B 2.3 (advertising PDUs, common
 * extended advertising payload), Vol 4 Part E 7.7.65 (LE advertising report events),
 * and the public descriptions of link types 187, 201, 251, 254, 256 and 272. */
#include "ble_cap.h"

#include <math.h>
#include <string.h>

#include "sg_bytes.h"
#include "sg_error.h"

#define PHDR_LEN 10
#define NORDIC_HDR 17            /* board ID + UART header + packet header */
#define PHDR_DEWHITENED 0x0001u
#define PHDR_SIGNAL_VALID 0x0002u
#define PHDR_CRC_CHECKED 0x0400u
#define PHDR_CRC_VALID 0x0800u
#define PHDR_PHY_SHIFT 14
#define HCI_EVENT 0x04
#define HCI_LE_META 0x3E
#define HCI_LE_ADV_REPORT 0x02
#define HCI_LE_EXT_ADV_REPORT 0x0D
#define MON_EVENT_PKT 3
#define EXT_REPORT_FIXED 24      /* bytes of an extended report before its data */
#define ADI_NONE 0xFFFFu


const char *ble_phy_name(ble_phy p)
{
    switch (p) {
    case BLE_PHY_1M: return "1M";
    case BLE_PHY_2M: return "2M";
    case BLE_PHY_CODED: return "coded";
    default: return "?";
    }
}

bool ble_cap_is_ll(int lt) { return lt == BLE_LT_LL || lt == BLE_LT_LL_PHDR || lt == BLE_LT_NORDIC; }
bool ble_cap_is_hci(int lt)
{
    return lt == BLE_LT_HCI_H4 || lt == BLE_LT_HCI_H4_PHDR || lt == BLE_LT_MONITOR;
}

/* RF channel (2402 + 2 k MHz) <-> channel index */
static int rf_to_index(int rf)
{
    if (rf == 0)
        return 37;
    if (rf == 12)
        return 38;
    if (rf == 39)
        return 39;
    if (rf >= 1 && rf <= 11)
        return rf - 1;
    if (rf >= 13 && rf <= 38)
        return rf - 2;
    return -1;
}

static int index_to_rf(int ch)
{
    double f = ble_channel_freq(ch);
    return isnan(f) ? -1 : (int)lround((f - 2402e6) / 2e6);
}

/* bytes <-> air-order bits (least significant bit of each byte first) */
static void to_bits(const uint8_t *b, size_t n, uint8_t *bits)
{
    for (size_t i = 0; i < n; i++)
        for (int k = 0; k < 8; k++)
            bits[8 * i + k] = (uint8_t)((b[i] >> k) & 1u);
}

static void from_bits(const uint8_t *bits, size_t n, uint8_t *b)
{
    for (size_t i = 0; i < n; i++) {
        b[i] = 0;
        for (int k = 0; k < 8; k++)
            b[i] |= (uint8_t)(bits[8 * i + k] << k);
    }
}

/* CRC over PDU + its 3 CRC bytes: 0 when correct (ble_crc24_bits convention). */
static bool crc_ok(const uint8_t *pdu, size_t n_with_crc)
{
    uint8_t bits[8 * (BLE_EXT_PDU_MAX + 3)];
    to_bits(pdu, n_with_crc, bits);
    return ble_crc24_bits(bits, 8 * n_with_crc, BLE_CRC_INIT_ADV) == 0;
}

static void put_crc(const uint8_t *pdu, size_t n, uint8_t *crc3)
{
    uint8_t bits[8 * BLE_EXT_PDU_MAX], cb[24];
    to_bits(pdu, n, bits);
    uint32_t c = ble_crc24_bits(bits, 8 * n, BLE_CRC_INIT_ADV);
    for (int i = 0; i < 24; i++)
        cb[i] = (uint8_t)((c >> (23 - i)) & 1u);
    from_bits(cb, 3, crc3);
}

/* The AA, optional coding indicator, PDU and CRC at p[0..len). */
static int parse_air(const uint8_t *p, size_t len, ble_ll_rec *out)
{
    if (len < 4)
        return SG_ETRUNC;
    out->aa = sg_rd32le(p);
    if (out->aa != BLE_AA_ADV)
        return SG_ENOTFOUND;
    size_t off = 4;
    if (out->phy == BLE_PHY_CODED) {
        if (len < 5)
            return SG_ETRUNC;
        int ci = p[4] & 3;
        if (ci > 1)
            return SG_EFORMAT;
        out->coding = ci ? 2 : 8;
        off = 5;
    }
    if (len < off + 2)
        return SG_ETRUNC;
    size_t plen = p[off + 1];
    if (len < off + 2 + plen + 3)
        return SG_ETRUNC;
    out->pdu = p + off;
    out->pdu_len = 2 + plen;
    return SG_OK;
}

/* PHY codes of the pseudo-headers and the AuxPtr: 0 1M, 1 2M, 2 Coded */
static ble_phy phy_from_code(unsigned c)
{
    return c == 0 ? BLE_PHY_1M : c == 1 ? BLE_PHY_2M : c == 2 ? BLE_PHY_CODED : BLE_PHY_UNKNOWN;
}

int ble_cap_parse_ll(int lt, const uint8_t *p, size_t len, ble_ll_rec *out)
{
    if (!p || !out)
        return SG_EINVAL;
    memset(out, 0, sizeof *out);
    out->channel = -1;
    out->rssi_dbm = NAN;
    out->phy = BLE_PHY_1M;
    int rc;
    if (lt == BLE_LT_LL) {
        if ((rc = parse_air(p, len, out)))
            return rc;
        return crc_ok(out->pdu, out->pdu_len + 3) ? SG_OK : SG_ECRC;
    }
    if (lt == BLE_LT_LL_PHDR) {
        if (len < PHDR_LEN)
            return SG_ETRUNC;
        unsigned fl = sg_rd16le(p + 8);
        out->channel = rf_to_index(p[0]);
        if (out->channel < 0)
            return SG_EFORMAT;
        if (fl & PHDR_SIGNAL_VALID)
            out->rssi_dbm = (int8_t)p[1];
        out->phy = phy_from_code(fl >> PHDR_PHY_SHIFT);
        if (out->phy == BLE_PHY_UNKNOWN)
            return SG_EFORMAT;
        if (!(fl & PHDR_DEWHITENED))
            return SG_ENOTSUP; /* raw whitened bits: the sniffer did not dewhiten */
        if ((rc = parse_air(p + PHDR_LEN, len - PHDR_LEN, out)))
            return rc;
        if (fl & PHDR_CRC_CHECKED) {
            out->crc_by_capture = true;
            return (fl & PHDR_CRC_VALID) ? SG_OK : SG_ECRC;
        }
        return crc_ok(out->pdu, out->pdu_len + 3) ? SG_OK : SG_ECRC;
    }
    if (lt == BLE_LT_NORDIC) {
        if (len < NORDIC_HDR)
            return SG_ETRUNC;
        unsigned proto = p[3], fl = p[8];
        out->channel = p[9] <= 39 ? p[9] : -1;
        if (out->channel < 0)
            return SG_EFORMAT;
        out->rssi_dbm = -(double)p[10];
        if (proto >= 2) {
            out->phy = phy_from_code((fl >> 4) & 7);
            if (out->phy == BLE_PHY_UNKNOWN)
                return SG_EFORMAT;
        }
        if ((rc = parse_air(p + NORDIC_HDR, len - NORDIC_HDR, out)))
            return rc;
        out->crc_by_capture = true;
        return (fl & 1u) ? SG_OK : SG_ECRC;
    }
    return SG_EINVAL;
}

int ble_cap_build_ll(int lt, int channel, ble_phy phy, int coding, double rssi_dbm,
                     const uint8_t *pdu, size_t pdu_len, uint8_t *out, size_t cap, size_t *len)
{
    if (!pdu || !out || !len || pdu_len < 2 || pdu_len != 2u + pdu[1] ||
        pdu_len > BLE_EXT_PDU_MAX || channel < 0 || channel > 39 || phy == BLE_PHY_UNKNOWN ||
        (phy == BLE_PHY_CODED && coding != 8 && coding != 2))
        return SG_EINVAL;
    if (lt == BLE_LT_LL && phy != BLE_PHY_1M)
        return SG_EINVAL; /* 251 has no way to say the PHY */
    if (!ble_cap_is_ll(lt))
        return SG_EINVAL;
    size_t hdr = lt == BLE_LT_LL ? 0 : lt == BLE_LT_LL_PHDR ? PHDR_LEN : NORDIC_HDR;
    size_t ci = phy == BLE_PHY_CODED ? 1 : 0;
    size_t n = hdr + 4 + ci + pdu_len + 3;
    if (cap < n)
        return SG_EOVERFLOW;
    memset(out, 0, hdr);
    int8_t rssi = isnan(rssi_dbm) ? 0 : (int8_t)fmax(-127, fmin(0, round(rssi_dbm)));
    unsigned phy_code = (unsigned)phy - 1u;
    if (lt == BLE_LT_LL_PHDR) {
        out[0] = (uint8_t)index_to_rf(channel);
        out[1] = (uint8_t)rssi;
        out[2] = (uint8_t)(int8_t)-100;
        sg_wr32le(out + 4, BLE_AA_ADV);
        unsigned fl =
            PHDR_DEWHITENED | PHDR_CRC_CHECKED | PHDR_CRC_VALID | (phy_code << PHDR_PHY_SHIFT);
        if (!isnan(rssi_dbm))
            fl |= PHDR_SIGNAL_VALID;
        sg_wr16le(out + 8, (uint16_t)fl);
    } else if (lt == BLE_LT_NORDIC) {
        size_t payload = 10 + 4 + ci + pdu_len + 3;
        out[0] = 0;                  /* board */
        sg_wr16le(out + 1, (uint16_t)payload);
        out[3] = 3;                  /* protocol version */
        out[6] = 0x02;               /* packet ID: advertising PDU event */
        out[7] = 10;                 /* packet header length */
        out[8] = (uint8_t)(1u | (phy_code << 4)); /* CRC OK, PHY */
        out[9] = (uint8_t)channel;
        out[10] = (uint8_t)(-rssi);
    }
    uint8_t *q = out + hdr;
    sg_wr32le(q, BLE_AA_ADV);
    q += 4;
    if (ci)
        *q++ = coding == 2 ? 1 : 0;
    memcpy(q, pdu, pdu_len);
    put_crc(pdu, pdu_len, q + pdu_len);
    *len = n;
    return SG_OK;
}

/* ---- extended advertising ------------------------------------------------------ */

int ble_ext_parse(const uint8_t *pdu, size_t len, ble_ext_adv *out)
{
    if (!pdu || !out)
        return SG_EINVAL;
    memset(out, 0, sizeof *out);
    if (len < 2)
        return SG_ETRUNC;
    if ((pdu[0] & 15) != BLE_ADV_EXT_IND)
        return SG_ENOTSUP;
    out->tx_random = (pdu[0] >> 6) & 1;
    size_t plen = pdu[1];
    if (len < 2 + plen)
        return SG_ETRUNC;
    if (plen < 1)
        return SG_EFORMAT;
    const uint8_t *p = pdu + 2;
    size_t hl = p[0] & 0x3F;
    out->adv_mode = p[0] >> 6;
    if (hl > plen - 1)
        return SG_EFORMAT;
    if (hl > 0) {
        unsigned fl = p[1];
        size_t off = 2, end = 1 + hl;
        static const uint8_t sizes[7] = {6, 6, 1, 2, 3, 18, 1};
        for (int b = 0; b < 7; b++) {
            if (!(fl & (1u << b)))
                continue;
            if (off + sizes[b] > end)
                return SG_EFORMAT;
            const uint8_t *f = p + off;
            switch (b) {
            case 0:
                out->has_adva = true;
                memcpy(out->adva, f, 6);
                break;
            case 3: {
                uint16_t adi = sg_rd16le(f);
                out->has_adi = true;
                out->did = adi & 0x0FFF;
                out->sid = (uint8_t)(adi >> 12);
                break;
            }
            case 4: {
                uint16_t w = sg_rd16le(f + 1);
                out->has_aux = true;
                out->aux_channel = f[0] & 0x3F;
                out->aux_offset_us = (uint32_t)(w & 0x1FFF) * ((f[0] & 0x80) ? 300u : 30u);
                out->aux_phy = phy_from_code(w >> 13);
                if (out->aux_phy == BLE_PHY_UNKNOWN || out->aux_channel > 39)
                    return SG_EFORMAT;
                break;
            }
            case 6:
                out->has_tx_power = true;
                out->tx_power_dbm = (int8_t)f[0];
                break;
            default: /* TargetA, CTEInfo, SyncInfo: skipped */
                break;
            }
            off += sizes[b];
        }
    }
    out->adv_data = p + 1 + hl;
    out->adv_data_len = plen - 1 - hl;
    return SG_OK;
}

int ble_ext_build(const ble_ext_adv *in, uint8_t *pdu, size_t cap, size_t *len)
{
    if (!in || !pdu || !len || (in->adv_data_len && !in->adv_data) || in->adv_mode > 2 ||
        (in->has_aux && (in->aux_channel > 39 || in->aux_phy == BLE_PHY_UNKNOWN)))
        return SG_EINVAL;
    uint8_t h[64];
    size_t hl = 0;
    unsigned fl = 0;
    h[hl++] = 0;
    if (in->has_adva) {
        fl |= 1u;
        memcpy(h + hl, in->adva, 6);
        hl += 6;
    }
    if (in->has_adi) {
        fl |= 8u;
        sg_wr16le(h + hl, (uint16_t)((in->did & 0x0FFF) | (in->sid << 12)));
        hl += 2;
    }
    if (in->has_aux) {
        fl |= 16u;
        bool big = in->aux_offset_us >= 30u * 8192u;
        uint32_t units = in->aux_offset_us / (big ? 300u : 30u);
        if (units > 0x1FFF)
            return SG_EINVAL;
        h[hl] = (uint8_t)(in->aux_channel | (big ? 0x80 : 0));
        sg_wr16le(h + hl + 1, (uint16_t)(units | (((unsigned)in->aux_phy - 1u) << 13)));
        hl += 3;
    }
    if (in->has_tx_power) {
        fl |= 64u;
        h[hl++] = (uint8_t)in->tx_power_dbm;
    }
    h[0] = (uint8_t)fl;
    if (!fl)
        hl = 0;
    size_t plen = 1 + hl + in->adv_data_len;
    if (plen > BLE_EXT_MAX_PAYLOAD)
        return SG_EINVAL;
    if (cap < 2 + plen)
        return SG_EOVERFLOW;
    pdu[0] = (uint8_t)(BLE_ADV_EXT_IND | (in->tx_random ? 0x40 : 0));
    pdu[1] = (uint8_t)plen;
    pdu[2] = (uint8_t)(hl | (in->adv_mode << 6));
    memcpy(pdu + 3, h, hl);
    if (in->adv_data_len)
        memcpy(pdu + 3 + hl, in->adv_data, in->adv_data_len);
    *len = 2 + plen;
    return SG_OK;
}

/* ---- HCI ----------------------------------------------------------------------- */

/* The LE meta event parameters (after code and length) of an HCI record. */
static int hci_event(int lt, const uint8_t *p, size_t len, const uint8_t **ev, size_t *n)
{
    size_t off;
    if (lt == BLE_LT_HCI_H4 || lt == BLE_LT_HCI_H4_PHDR) {
        off = lt == BLE_LT_HCI_H4_PHDR ? 4 : 0;
        if (len < off + 1)
            return SG_ETRUNC;
        if (p[off] != HCI_EVENT)
            return SG_ENOTFOUND;
        off++;
    } else if (lt == BLE_LT_MONITOR) {
        if (len < 4)
            return SG_ETRUNC;
        if (((p[2] << 8) | p[3]) != MON_EVENT_PKT)
            return SG_ENOTFOUND;
        off = 4;
    } else {
        return SG_EINVAL;
    }
    if (len < off + 2)
        return SG_ETRUNC;
    if (p[off] != HCI_LE_META)
        return SG_ENOTFOUND;
    size_t pl = p[off + 1];
    if (len < off + 2 + pl)
        return SG_ETRUNC;
    if (pl < 1)
        return SG_EFORMAT;
    *ev = p + off + 2;
    *n = pl;
    return SG_OK;
}

/* HCI PHY codes: 1 1M, 2 2M, 3 Coded (0: none) */
static ble_phy hci_phy(uint8_t c) { return c >= 1 && c <= 3 ? (ble_phy)c : BLE_PHY_UNKNOWN; }

int ble_cap_parse_hci(int lt, const uint8_t *p, size_t len, ble_hci_report *out, int cap, int *n)
{
    if (!p || !n || (cap > 0 && !out))
        return SG_EINVAL;
    *n = 0;
    const uint8_t *e;
    size_t el;
    int rc = hci_event(lt, p, len, &e, &el);
    if (rc)
        return rc;
    uint8_t sub = e[0];
    if (sub != HCI_LE_ADV_REPORT && sub != HCI_LE_EXT_ADV_REPORT)
        return SG_ENOTFOUND;
    if (el < 2)
        return SG_ETRUNC;
    int count = e[1];
    if (count < 1)
        return SG_EFORMAT;
    if (count > cap)
        return SG_EOVERFLOW;
    size_t off = 2;
    for (int i = 0; i < count; i++) {
        ble_hci_report *r = &out[i];
        memset(r, 0, sizeof *r);
        if (sub == HCI_LE_ADV_REPORT) {
            if (el - off < 9)
                return SG_ETRUNC;
            const uint8_t *q = e + off;
            r->addr_random = q[1] & 1;
            memcpy(r->addr, q + 2, 6);
            r->data_len = q[8];
            if (r->data_len > 31)
                return SG_EFORMAT;
            if (el - off < 9 + r->data_len + 1)
                return SG_ETRUNC;
            r->data = q + 9;
            int8_t rs = (int8_t)q[9 + r->data_len];
            r->rssi_dbm = rs == 127 ? NAN : rs;
            r->primary_phy = BLE_PHY_1M;
            r->sid = 0xFF;
            off += 10 + r->data_len;
        } else {
            if (el - off < EXT_REPORT_FIXED)
                return SG_ETRUNC;
            const uint8_t *q = e + off;
            unsigned et = sg_rd16le(q);
            r->extended = !(et & 0x10);
            r->data_status = (et >> 5) & 3;
            if (r->data_status == 3)
                return SG_EFORMAT;
            r->addr_random = q[2] & 1;
            memcpy(r->addr, q + 3, 6);
            r->primary_phy = hci_phy(q[9]);
            r->secondary_phy = hci_phy(q[10]);
            r->sid = q[11];
            int8_t rs = (int8_t)q[13];
            r->rssi_dbm = rs == 127 ? NAN : rs;
            r->data_len = q[23];
            if (el - off < EXT_REPORT_FIXED + r->data_len)
                return SG_ETRUNC;
            r->data = q + EXT_REPORT_FIXED;
            off += EXT_REPORT_FIXED + r->data_len;
        }
    }
    *n = count;
    return SG_OK;
}

int ble_cap_build_hci(int lt, const ble_hci_report *r, uint8_t *out, size_t cap, size_t *len)
{
    if (!r || !out || !len || (r->data_len && !r->data) ||
        r->data_len > (r->extended ? 229u : 31u) || r->data_status < 0 || r->data_status > 2)
        return SG_EINVAL;
    if (!ble_cap_is_hci(lt))
        return SG_EINVAL;
    size_t pre = lt == BLE_LT_HCI_H4 ? 1 : lt == BLE_LT_HCI_H4_PHDR ? 5 : 4;
    size_t body = r->extended ? EXT_REPORT_FIXED + r->data_len : 10 + r->data_len;
    size_t n = pre + 2 + 2 + body;
    if (cap < n)
        return SG_EOVERFLOW;
    memset(out, 0, n);
    if (lt == BLE_LT_HCI_H4_PHDR)
        out[3] = 1; /* received */
    if (lt == BLE_LT_MONITOR)
        out[3] = MON_EVENT_PKT;
    else
        out[pre - 1] = HCI_EVENT;
    uint8_t *q = out + pre;
    q[0] = HCI_LE_META;
    q[1] = (uint8_t)(2 + body);
    q[2] = r->extended ? HCI_LE_EXT_ADV_REPORT : HCI_LE_ADV_REPORT;
    q[3] = 1;
    q += 4;
    int8_t rs = isnan(r->rssi_dbm) ? 127 : (int8_t)fmax(-127, fmin(20, round(r->rssi_dbm)));
    if (r->extended) {
        sg_wr16le(q, (uint16_t)(r->data_status << 5)); /* non-connectable, non-scannable */
        q[2] = r->addr_random ? 1 : 0;
        memcpy(q + 3, r->addr, 6);
        q[9] = (uint8_t)(r->primary_phy ? r->primary_phy : BLE_PHY_1M);
        q[10] = (uint8_t)r->secondary_phy;
        q[11] = r->sid;
        q[12] = 127; /* TX power unknown */
        q[13] = (uint8_t)rs;
        q[23] = (uint8_t)r->data_len;
        if (r->data_len)
            memcpy(q + EXT_REPORT_FIXED, r->data, r->data_len);
    } else {
        q[0] = 3; /* ADV_NONCONN_IND */
        q[1] = r->addr_random ? 1 : 0;
        memcpy(q + 2, r->addr, 6);
        q[8] = (uint8_t)r->data_len;
        if (r->data_len)
            memcpy(q + 9, r->data, r->data_len);
        q[9 + r->data_len] = (uint8_t)rs;
    }
    *len = n;
    return SG_OK;
}

/* ---- reassembly --------------------------------------------------------------- */

void ble_chain_init(ble_chain *c)
{
    memset(c, 0, sizeof *c);
}

static void expire(ble_chain *c, double t)
{
    for (int i = 0; i < BLE_CHAIN_SLOTS; i++)
        if (c->slot[i].used && t - c->slot[i].t > BLE_CHAIN_TIMEOUT_S) {
            c->slot[i].used = false;
            c->st.incomplete++;
        }
}

static ble_chain_slot *find_slot(ble_chain *c, const uint8_t *adva, uint16_t adi)
{
    ble_chain_slot *best = NULL;
    for (int i = 0; i < BLE_CHAIN_SLOTS; i++) {
        ble_chain_slot *s = &c->slot[i];
        if (s->used && s->adi == adi && (!adva || !memcmp(s->adva, adva, 6)) &&
            (!best || s->t > best->t))
            best = s;
    }
    return best;
}

static ble_chain_slot *new_slot(ble_chain *c, const uint8_t *adva, uint16_t adi, double t)
{
    ble_chain_slot *s = find_slot(c, adva, adi);
    if (s) {
        c->st.incomplete++; /* restarted before it ended */
    } else {
        for (int i = 0; i < BLE_CHAIN_SLOTS && !s; i++)
            if (!c->slot[i].used)
                s = &c->slot[i];
        if (!s) { /* all busy: the least recently continued chain goes */
            s = &c->slot[0];
            for (int i = 1; i < BLE_CHAIN_SLOTS; i++)
                if (c->slot[i].t < s->t)
                    s = &c->slot[i];
            c->st.incomplete++;
        }
    }
    s->used = true;
    memcpy(s->adva, adva, 6);
    s->adi = adi;
    s->t = t;
    s->len = 0;
    return s;
}

static int append(ble_chain *c, ble_chain_slot *s, const uint8_t *d, size_t n, double t)
{
    if (s->len + n > BLE_ADV_DATA_MAX) {
        s->used = false;
        c->st.overflow++;
        return SG_EOVERFLOW;
    }
    if (n)
        memcpy(s->data + s->len, d, n);
    s->len += n;
    s->t = t;
    return SG_OK;
}

static void fill(ble_adv_data *o, const uint8_t *adva, bool ext, const ble_ll_rec *r,
                 const uint8_t *d, size_t n)
{
    memcpy(o->adva, adva, 6);
    o->extended = ext;
    o->phy = r->phy;
    o->coding = r->coding;
    o->channel = r->channel;
    o->rssi_dbm = r->rssi_dbm;
    o->adv_data = d;
    o->adv_data_len = n;
}

int ble_chain_feed_ll(ble_chain *c, const ble_ll_rec *r, double t, ble_adv_data *out)
{
    if (!c || !r || !out || !r->pdu)
        return SG_EINVAL;
    expire(c, t);
    memset(out, 0, sizeof *out);
    int type = r->pdu[0] & 15;
    if (type != BLE_ADV_EXT_IND) {
        ble_adv a;
        int rc = ble_adv_parse(r->pdu, r->pdu_len, &a);
        if (rc == SG_ENOTSUP)
            return SG_ENOTFOUND; /* scan requests, connection requests */
        if (rc)
            return rc;
        fill(out, a.adva, false, r, a.adv_data, a.adv_data_len);
        return SG_OK;
    }
    ble_ext_adv x;
    int rc = ble_ext_parse(r->pdu, r->pdu_len, &x);
    if (rc)
        return rc;
    uint16_t adi = x.has_adi ? (uint16_t)((x.sid << 12) | x.did) : ADI_NONE;
    bool secondary = r->channel >= 0 && r->channel < 37;
    if (x.has_adva && (x.adv_data_len > 0 || (secondary && x.has_aux))) { /* AUX_ADV_IND */
        if (!x.has_aux) {
            fill(out, x.adva, true, r, x.adv_data, x.adv_data_len);
            return SG_OK;
        }
        ble_chain_slot *s = new_slot(c, x.adva, adi, t);
        if ((rc = append(c, s, x.adv_data, x.adv_data_len, t)))
            return rc;
        return SG_EAGAIN;
    }
    if (!x.has_adva && x.has_adi && r->channel < 37) {
        /* AUX_CHAIN_IND (on a primary channel this is an ADV_EXT_IND without AdvA) */
        ble_chain_slot *s = find_slot(c, NULL, adi);
        if (!s) {
            c->st.orphans++;
            return SG_ENOTFOUND;
        }
        if ((rc = append(c, s, x.adv_data, x.adv_data_len, t)))
            return rc;
        if (x.has_aux)
            return SG_EAGAIN;
        s->used = false;
        fill(out, s->adva, true, r, s->data, s->len);
        return SG_OK;
    }
    c->st.no_data++; /* ADV_EXT_IND: only a pointer to the auxiliary packet */
    return SG_ENOTFOUND;
}

int ble_chain_feed_hci(ble_chain *c, const ble_hci_report *r, double t, ble_adv_data *out)
{
    if (!c || !r || !out)
        return SG_EINVAL;
    expire(c, t);
    memset(out, 0, sizeof *out);
    ble_ll_rec meta = {.channel = -1, .phy = r->extended ? r->secondary_phy : r->primary_phy,
                       .rssi_dbm = r->rssi_dbm};
    if (meta.phy == BLE_PHY_UNKNOWN)
        meta.phy = r->primary_phy;
    uint16_t key = (uint16_t)(0xF000u | r->sid);
    ble_chain_slot *s = r->extended ? find_slot(c, r->addr, key) : NULL;
    if (r->data_status == 2) {
        if (s)
            s->used = false;
        c->st.truncated++;
        return SG_EFORMAT;
    }
    if (r->data_status == 1) {
        if (!s)
            s = new_slot(c, r->addr, key, t);
        int rc = append(c, s, r->data, r->data_len, t);
        return rc ? rc : SG_EAGAIN;
    }
    if (!s) {
        fill(out, r->addr, r->extended, &meta, r->data, r->data_len);
        return SG_OK;
    }
    int rc = append(c, s, r->data, r->data_len, t);
    if (rc)
        return rc;
    s->used = false;
    fill(out, r->addr, true, &meta, s->data, s->len);
    return SG_OK;
}
