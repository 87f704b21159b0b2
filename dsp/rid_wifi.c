/* Remote ID over Wi-Fi: radiotap, 802.11 beacon / NAN action parsing (see rid_wifi.h).
 *
 * Radiotap fields are naturally aligned relative to the start of the header; we walk
 * only the first presence word (bits 0..5 give flags, channel and antenna signal,
 * which is all we need) and rely on it_len to skip the rest, so unknown or vendor
 * fields never need to be understood. */
#include "rid_wifi.h"

#include <math.h>
#include <string.h>

static const uint8_t OUI_ASD[3] = {0xFA, 0x0B, 0xBC};
static const uint8_t OUI_WFA[3] = {0x50, 0x6F, 0x9A};
static const uint8_t ODID_NAN_SID[6] = {0x88, 0x69, 0x19, 0x9D, 0x92, 0x09};
#define ODID_OUI_TYPE 0x0D
#define NAN_OUI_TYPE 0x13
#define MGMT_HDR 24
#define BEACON_FIXED 12

static const char *const reason_names[RID_WIFI_REASONS_] = {
    "not_remote_id", "bad_radiotap", "bad_80211", "bad_pack", "bad_fcs", "bad_ble"};

const char *rid_wifi_transport_name(rid_wifi_transport t)
{
    switch (t) {
    case RID_WIFI_BEACON: return "beacon";
    case RID_WIFI_NAN: return "nan";
    case RID_BT_LEGACY: return "bt4";
    case RID_BT_EXT: return "bt5";
    default: return "?";
    }
}

const char *rid_wifi_reason_name(rid_wifi_reason r)
{
    return (unsigned)r < RID_WIFI_REASONS_ ? reason_names[r] : "unknown";
}

static int fail(rid_wifi_reason *reason, rid_wifi_reason r, int code)
{
    if (reason)
        *reason = r;
    return code;
}

/* Decodes counter + pack; body points at the counter byte. */
static int take_pack(const uint8_t *body, size_t len, rid_wifi_frame *out,
                     rid_wifi_reason *reason)
{
    if (len < 1 + ODID_PACK_HDR)
        return fail(reason, RID_WIFI_BAD_PACK, SG_ETRUNC);
    out->counter = body[0];
    int rc = odid_decode_pack(body + 1, len - 1, out->msgs, ODID_PACK_MAX, &out->n_msgs,
                              &out->pack_info);
    if (rc)
        return fail(reason, RID_WIFI_BAD_PACK, rc);
    return SG_OK;
}

static int parse_beacon(const uint8_t *p, size_t len, rid_wifi_frame *out, rid_wifi_reason *reason)
{
    if (len < MGMT_HDR + BEACON_FIXED)
        return fail(reason, RID_WIFI_BAD_80211, SG_ETRUNC);
    size_t off = MGMT_HDR + BEACON_FIXED;
    int found = 0, rc = SG_ENOTFOUND;
    while (off < len) {
        if (len - off < 2)
            return fail(reason, RID_WIFI_BAD_80211, SG_ETRUNC);
        uint8_t id = p[off], el = p[off + 1];
        const uint8_t *b = p + off + 2;
        if ((size_t)el > len - off - 2)
            return fail(reason, RID_WIFI_BAD_80211, SG_ETRUNC);
        if (id == 0 && el <= 32) {
            for (int i = 0; i < el; i++)
                out->ssid[i] = (b[i] >= 0x20 && b[i] < 0x7f) ? (char)b[i] : '?';
            out->ssid[el] = '\0';
        } else if (id == 221 && el >= 4 && memcmp(b, OUI_ASD, 3) == 0 && b[3] == ODID_OUI_TYPE &&
                   !found) {
            rc = take_pack(b + 4, el - 4u, out, reason);
            if (rc)
                return rc;
            found = 1;
        }
        off += 2u + el;
    }
    if (!found)
        return fail(reason, RID_WIFI_NOT_RID, SG_ENOTFOUND);
    out->transport = RID_WIFI_BEACON;
    return SG_OK;
}

static int parse_nan(const uint8_t *p, size_t len, rid_wifi_frame *out, rid_wifi_reason *reason)
{
    size_t off = MGMT_HDR;
    if (len < off + 6)
        return fail(reason, RID_WIFI_NOT_RID, SG_ENOTFOUND);
    const uint8_t *a = p + off;
    if (a[0] != 4 || a[1] != 9 || memcmp(a + 2, OUI_WFA, 3) != 0 || a[5] != NAN_OUI_TYPE)
        return fail(reason, RID_WIFI_NOT_RID, SG_ENOTFOUND);
    off += 6;
    while (off < len) {
        if (len - off < 3)
            return fail(reason, RID_WIFI_BAD_80211, SG_ETRUNC);
        uint8_t id = p[off];
        size_t al = (size_t)p[off + 1] | ((size_t)p[off + 2] << 8);
        if (al > len - off - 3)
            return fail(reason, RID_WIFI_BAD_80211, SG_ETRUNC);
        const uint8_t *b = p + off + 3;
        /* Service Descriptor: sid[6] inst req ctrl [binding 2] [mf] [srf] [si] */
        if (id == 0x03 && al >= 9 && memcmp(b, ODID_NAN_SID, 6) == 0) {
            uint8_t ctrl = b[8];
            size_t q = 9;
            if (ctrl & 0x40)
                q += 2; /* binding bitmap */
            for (int bit = 2; bit <= 3; bit++) { /* matching filter, response filter */
                if (!(ctrl & (1u << bit)))
                    continue;
                if (q >= al)
                    return fail(reason, RID_WIFI_BAD_80211, SG_ETRUNC);
                q += 1u + b[q];
            }
            if (!(ctrl & 0x10) || q >= al)
                return fail(reason, RID_WIFI_BAD_80211, SG_ETRUNC);
            size_t sil = b[q];
            if (sil > al - q - 1)
                return fail(reason, RID_WIFI_BAD_80211, SG_ETRUNC);
            int rc = take_pack(b + q + 1, sil, out, reason);
            if (rc)
                return rc;
            out->transport = RID_WIFI_NAN;
            return SG_OK;
        }
        off += 3 + al;
    }
    return fail(reason, RID_WIFI_NOT_RID, SG_ENOTFOUND);
}

int rid_wifi_parse_80211(const uint8_t *p, size_t len, bool has_fcs, rid_wifi_frame *out,
                         rid_wifi_reason *reason)
{
    if (!p || !out)
        return SG_EINVAL;
    memset(out, 0, sizeof *out);
    out->rssi_dbm = out->freq_mhz = NAN;
    out->ble_channel = -1;
    if (has_fcs) {
        if (len < 4)
            return fail(reason, RID_WIFI_BAD_80211, SG_ETRUNC);
        len -= 4;
    }
    if (len < MGMT_HDR)
        return fail(reason, RID_WIFI_BAD_80211, SG_ETRUNC);
    int type = (p[0] >> 2) & 3, subtype = p[0] >> 4, version = p[0] & 3;
    if (version != 0)
        return fail(reason, RID_WIFI_BAD_80211, SG_EFORMAT);
    if (type != 0)
        return fail(reason, RID_WIFI_NOT_RID, SG_ENOTFOUND);
    memcpy(out->mac, p + 10, 6);
    if (subtype == 8)
        return parse_beacon(p, len, out, reason);
    if (subtype == 13)
        return parse_nan(p, len, out, reason);
    return fail(reason, RID_WIFI_NOT_RID, SG_ENOTFOUND);
}

int rid_wifi_parse_radiotap(const uint8_t *p, size_t len, rid_wifi_frame *out,
                            rid_wifi_reason *reason)
{
    if (!p || !out)
        return SG_EINVAL;
    if (len < 8)
        return fail(reason, RID_WIFI_BAD_RADIOTAP, SG_ETRUNC);
    size_t hlen = (size_t)p[2] | ((size_t)p[3] << 8);
    if (p[0] != 0 || hlen < 8)
        return fail(reason, RID_WIFI_BAD_RADIOTAP, SG_EFORMAT);
    if (hlen > len)
        return fail(reason, RID_WIFI_BAD_RADIOTAP, SG_ETRUNC);
    uint32_t present = (uint32_t)p[4] | ((uint32_t)p[5] << 8) | ((uint32_t)p[6] << 16) |
                       ((uint32_t)p[7] << 24);
    /* skip extended presence words: fields start after the last one */
    size_t off = 8;
    uint32_t w = present;
    while (w & 0x80000000u) {
        if (off + 4 > hlen)
            return fail(reason, RID_WIFI_BAD_RADIOTAP, SG_ETRUNC);
        w = (uint32_t)p[off + 3] << 24;
        off += 4;
    }
    /* sizes and alignments of fields 0..5: TSFT, flags, rate, channel, FHSS, dBm signal */
    static const uint8_t fsize[6] = {8, 1, 1, 4, 2, 1}, falign[6] = {8, 1, 1, 2, 1, 1};
    uint8_t flags = 0;
    double rssi = NAN, freq = NAN;
    for (int bit = 0; bit < 6; bit++) {
        if (!(present & (1u << bit)))
            continue;
        off = (off + falign[bit] - 1) & ~(size_t)(falign[bit] - 1);
        if (off + fsize[bit] > hlen)
            return fail(reason, RID_WIFI_BAD_RADIOTAP, SG_ETRUNC);
        if (bit == 1)
            flags = p[off];
        else if (bit == 3)
            freq = (double)((unsigned)p[off] | ((unsigned)p[off + 1] << 8));
        else if (bit == 5)
            rssi = (double)(int8_t)p[off];
        off += fsize[bit];
    }
    if (flags & 0x40) /* bad FCS */
        return fail(reason, RID_WIFI_BAD_FCS, SG_ECRC);
    int rc = rid_wifi_parse_80211(p + hlen, len - hlen, (flags & 0x10) != 0, out, reason);
    out->rssi_dbm = rssi;
    out->freq_mhz = freq;
    return rc;
}

/* ---- builders ------------------------------------------------------------------- */

static void mgmt_header(uint8_t *o, uint8_t fc0, const uint8_t *da, const uint8_t mac[6],
                        const uint8_t *bssid)
{
    memset(o, 0, MGMT_HDR);
    o[0] = fc0;
    memcpy(o + 4, da, 6);
    memcpy(o + 10, mac, 6);
    memcpy(o + 16, bssid, 6);
}

int rid_wifi_build_beacon(const uint8_t mac[6], const char *ssid, uint8_t counter,
                          const uint8_t *pack, size_t pack_len, uint8_t *out, size_t cap,
                          size_t *len)
{
    static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    if (!mac || !ssid || !pack || !out || !len)
        return SG_EINVAL;
    size_t sl = strlen(ssid);
    if (sl > 32 || pack_len + 5 > 255)
        return SG_EINVAL;
    size_t need = MGMT_HDR + BEACON_FIXED + 2 + sl + 2 + 5 + pack_len;
    if (cap < need)
        return SG_EOVERFLOW;
    mgmt_header(out, 0x80, bcast, mac, mac);
    uint8_t *f = out + MGMT_HDR;
    memset(f, 0, BEACON_FIXED);
    f[8] = 0x64; /* beacon interval 100 TU */
    f[10] = 0x21;
    f[11] = 0x04;
    uint8_t *q = f + BEACON_FIXED;
    *q++ = 0;
    *q++ = (uint8_t)sl;
    memcpy(q, ssid, sl);
    q += sl;
    *q++ = 221;
    *q++ = (uint8_t)(5 + pack_len);
    memcpy(q, OUI_ASD, 3);
    q[3] = ODID_OUI_TYPE;
    q[4] = counter;
    memcpy(q + 5, pack, pack_len);
    *len = need;
    return SG_OK;
}

int rid_wifi_build_nan(const uint8_t mac[6], uint8_t counter, const uint8_t *pack,
                       size_t pack_len, uint8_t *out, size_t cap, size_t *len)
{
    static const uint8_t nan_da[6] = {0x51, 0x6F, 0x9A, 0x01, 0x00, 0x00};
    static const uint8_t cluster[6] = {0x50, 0x6F, 0x9A, 0x01, 0x00, 0x00};
    if (!mac || !pack || !out || !len)
        return SG_EINVAL;
    if (pack_len + 1 > 255)
        return SG_EINVAL;
    size_t si_len = 1 + pack_len, attr_len = 9 + 1 + si_len;
    size_t need = MGMT_HDR + 6 + 3 + attr_len;
    if (cap < need)
        return SG_EOVERFLOW;
    mgmt_header(out, 0xd0, nan_da, mac, cluster);
    uint8_t *q = out + MGMT_HDR;
    q[0] = 4;
    q[1] = 9;
    memcpy(q + 2, OUI_WFA, 3);
    q[5] = NAN_OUI_TYPE;
    q += 6;
    q[0] = 0x03;
    q[1] = (uint8_t)attr_len;
    q[2] = (uint8_t)(attr_len >> 8);
    q += 3;
    memcpy(q, ODID_NAN_SID, 6);
    q[6] = 1;    /* instance id */
    q[7] = 0;    /* requestor instance id */
    q[8] = 0x10; /* publish, service info present */
    q[9] = (uint8_t)si_len;
    q[10] = counter;
    memcpy(q + 11, pack, pack_len);
    *len = need;
    return SG_OK;
}
