/* sg_blecap: write a synthetic Bluetooth LE Remote ID capture in any of the link
 * types sg_rid reads, to test receivers without hardware. One simulated aircraft
 * flies east at 10 m/s; every second it sends its messages:
 *   legacy (default): Basic ID, Location, System, Self-ID, Operator ID, one per
 *     ADV_NONCONN_IND on channel 37 (F3411 Bluetooth 4 transport);
 *   --drip KEYS: the aircraft also sends its DRIP Entity Tag (Basic ID session ID) and
 *     a DRIP Wrapper signed with a fixed demo Ed25519 key over each Location message
 *     (authentication pages); KEYS gets the "DET KEY" line sg_rid --trust reads;
 *   --ext: one Message Pack of the five in extended advertising: ADV_EXT_IND on
 *     channel 37 (on the Coded PHY when --phy is coded, else 1M) pointing to
 *     AUX_ADV_IND on a secondary channel (on --phy); with --chain the
 *     pack is split over AUX_ADV_IND and AUX_CHAIN_IND (HCI: report fragments).
 *
 *   sg_blecap -l 256 [--pcapng] [--ext [--chain]] [--phy 1m|2m|coded8|coded2]
 *             [-n SECONDS] [--id SERIAL] [--lat DEG --lon DEG] [--t0 UNIX_S]
 *             [--drip KEYFILE] -o FILE
 *
 * Link types: 251 BLUETOOTH_LE_LL, 256 BLUETOOTH_LE_LL_WITH_PHDR, 272 NORDIC_BLE,
 * 187 BLUETOOTH_HCI_H4, 201 BLUETOOTH_HCI_H4_WITH_PHDR, 254 BLUETOOTH_LINUX_MONITOR.
 * Exit codes: 0 ok, 1 runtime error, 2 usage error. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ble_cap.h"
#include "cap_writer.h"
#include "odid.h"
#include "odid_auth.h"

#include <sodium.h>

#define N_MSG 5
#define M_PER_DEG 111320.0 /* m per degree of latitude (and of longitude at the equator) */

typedef struct {
    int lt;
    bool pcapng, ext, chain, drip;
    const char *keys_out;          /* --drip: trust line written here */
    uint8_t det[ODID_DET_LEN], pk[ODID_ED25519_PK], sk[ODID_ED25519_SK];
    ble_phy phy;
    int coding;
    int seconds;
    const char *id, *out;
    double lat, lon, t0;
} opts;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: sg_blecap -l LINKTYPE [--pcapng] [--ext [--chain]] [--phy 1m|2m|coded8|coded2]\n"
            "                 [-n SECONDS] [--id SERIAL] [--lat DEG --lon DEG] [--t0 UNIX_S]\n"
            "                 [--drip KEYFILE] -o FILE\n"
            "       sg_blecap --help\n"
            "  LINKTYPE: 251, 256, 272 (sniffer link layer) or 187, 201, 254 (HCI reports)\n"
            "  --ext: Bluetooth 5 extended advertising with a Message Pack; --phy: its PHY\n");
}

static void make_messages(const opts *o, int k, odid_message *m)
{
    double east = 10.0 * k;
    odid_message_init(&m[0], ODID_MT_BASIC_ID);
    m[0].u.basic_id.id_type = ODID_IDT_SERIAL;
    m[0].u.basic_id.ua_type = 2;
    snprintf(m[0].u.basic_id.uas_id, sizeof m[0].u.basic_id.uas_id, "%s", o->id);
    odid_message_init(&m[1], ODID_MT_LOCATION);
    odid_location *L = &m[1].u.location;
    L->status = ODID_STATUS_AIRBORNE;
    L->lat_deg = o->lat;
    L->lon_deg = o->lon + east / (M_PER_DEG * cos(o->lat * M_PI / 180.0));
    L->alt_geo = 150.0;
    L->height = 100.0;
    L->speed_h = 10.0;
    L->direction_deg = 90.0;
    L->speed_v = 0.0;
    L->h_acc = 10;
    L->v_acc = 4;
    L->timestamp_s = fmod(o->t0 + k, 3600.0);
    odid_message_init(&m[2], ODID_MT_SYSTEM);
    m[2].u.system.op_loc_type = 1;
    m[2].u.system.op_lat_deg = o->lat - 0.001;
    m[2].u.system.op_lon_deg = o->lon;
    m[2].u.system.timestamp = o->t0 + k;
    odid_message_init(&m[3], ODID_MT_SELF_ID);
    snprintf(m[3].u.self_id.text, sizeof m[3].u.self_id.text, "sg_blecap test flight");
    odid_message_init(&m[4], ODID_MT_OPERATOR_ID);
    snprintf(m[4].u.operator_id.op_id, sizeof m[4].u.operator_id.op_id, "FIN87astrdge12k8");
}


static int put_ll(cap_writer *w, const opts *o, double t, int ch, ble_phy phy, const uint8_t *pdu,
                  size_t n, sg_errinfo *e)
{
    uint8_t rec[BLE_EXT_PDU_MAX + 32];
    size_t len;
    int rc = ble_cap_build_ll(o->lt, ch, phy, o->coding, -60.0, pdu, n, rec, sizeof rec, &len);
    if (rc)
        return sg_err_set(e, rc, "link type %d cannot carry this packet (PHY %s)", o->lt,
                          ble_phy_name(phy));
    return cap_writer_write(w, t, rec, len, e);
}

static int put_hci(cap_writer *w, const opts *o, double t, const ble_hci_report *r, sg_errinfo *e)
{
    uint8_t rec[300];
    size_t len;
    int rc = ble_cap_build_hci(o->lt, r, rec, sizeof rec, &len);
    if (rc)
        return sg_err_set(e, rc, "cannot build the HCI report");
    return cap_writer_write(w, t, rec, len, e);
}

static const uint8_t ADVA[6] = {0x01, 0x00, 0x5E, 0xA1, 0x1D, 0xC6}; /* random static */

/* Legacy advertising: one message per ADV_NONCONN_IND on channel 37, 10 ms apart. */
static int emit_legacy(cap_writer *w, const opts *o, double t, const odid_message *m, int n,
                       int counter0, sg_errinfo *e)
{
    for (int i = 0; i < n; i++) {
        uint8_t msg[ODID_MSG_SIZE], pdu[BLE_PDU_MAX], ad[40];
        size_t len;
        int rc;
        if ((rc = odid_encode_message(&m[i], msg)))
            return sg_err_set(e, rc, "cannot encode message %d", i);
        double ti = t + 0.01 * i;
        uint8_t counter = (uint8_t)(counter0 + i);
        if (ble_cap_is_hci(o->lt)) {
            ble_hci_report r = {.addr_random = true, .rssi_dbm = -60, .sid = 0xFF,
                                .primary_phy = BLE_PHY_1M};
            memcpy(r.addr, ADVA, 6);
            r.data = ad;
            r.data_len = ble_ad_odid(counter, msg, sizeof msg, ad);
            rc = put_hci(w, o, ti, &r, e);
        } else {
            if ((rc = ble_adv_build_odid(ADVA, counter, msg, sizeof msg, pdu, sizeof pdu, &len)))
                return sg_err_set(e, rc, "cannot build the advertising PDU");
            rc = put_ll(w, o, ti, 37, BLE_PHY_1M, pdu, len, e);
        }
        if (rc)
            return rc;
    }
    return SG_OK;
}

/* Extended advertising: the messages as one pack in an ADV_EXT_IND -> AUX_ADV_IND
 * (-> AUX_CHAIN_IND) event, or in HCI extended reports. */
static int emit_ext(cap_writer *w, const opts *o, double t, const odid_message *m, int n, int k,
                    uint16_t did, sg_errinfo *e)
{
    uint8_t pack[ODID_PACK_HDR + ODID_PACK_MAX * ODID_MSG_SIZE], ad[sizeof pack + 6];
    size_t plen;
    int rc;
    if ((rc = odid_encode_pack(m, n, pack, sizeof pack, &plen)))
        return sg_err_set(e, rc, "cannot encode the message pack");
    size_t adlen = ble_ad_odid((uint8_t)did, pack, plen, ad);
    size_t cut = o->chain ? adlen / 2 : adlen; /* first fragment */
    if (ble_cap_is_hci(o->lt)) {
        ble_hci_report r = {.addr_random = true, .extended = true, .rssi_dbm = -60, .sid = 3,
                            .primary_phy = o->phy == BLE_PHY_CODED ? BLE_PHY_CODED : BLE_PHY_1M,
                            .secondary_phy = o->phy};
        memcpy(r.addr, ADVA, 6);
        r.data = ad;
        r.data_len = cut;
        r.data_status = o->chain ? 1 : 0;
        if ((rc = put_hci(w, o, t, &r, e)) || !o->chain)
            return rc;
        r.data = ad + cut;
        r.data_len = adlen - cut;
        r.data_status = 0;
        return put_hci(w, o, t + 0.002, &r, e);
    }
    int aux_ch = 5 + k % 30;
    ble_phy prim = o->phy == BLE_PHY_CODED ? BLE_PHY_CODED : BLE_PHY_1M;
    ble_ext_adv x = {.tx_random = true, .has_adva = true, .has_adi = true, .did = did,
                     .sid = 3, .has_aux = true, .aux_channel = (uint8_t)aux_ch,
                     .aux_phy = o->phy, .aux_offset_us = 600};
    memcpy(x.adva, ADVA, 6);
    uint8_t pdu[BLE_EXT_PDU_MAX];
    size_t len;
    if ((rc = ble_ext_build(&x, pdu, sizeof pdu, &len)))
        return sg_err_set(e, rc, "cannot build ADV_EXT_IND");
    if ((rc = put_ll(w, o, t, 37, prim, pdu, len, e)))
        return rc;
    x.has_aux = o->chain; /* AUX_ADV_IND: AdvA, ADI, data (and AuxPtr when chained) */
    x.aux_channel = (uint8_t)(aux_ch + 1);
    x.adv_data = ad;
    x.adv_data_len = cut;
    if ((rc = ble_ext_build(&x, pdu, sizeof pdu, &len)))
        return sg_err_set(e, rc, "cannot build AUX_ADV_IND");
    if ((rc = put_ll(w, o, t + 0.0006, aux_ch, o->phy, pdu, len, e)) || !o->chain)
        return rc;
    ble_ext_adv c = {.has_adi = true, .did = did, .sid = 3, .adv_data = ad + cut,
                     .adv_data_len = adlen - cut}; /* AUX_CHAIN_IND: ADI and data */
    if ((rc = ble_ext_build(&c, pdu, sizeof pdu, &len)))
        return sg_err_set(e, rc, "cannot build AUX_CHAIN_IND");
    return put_ll(w, o, t + 0.0012, aux_ch + 1, o->phy, pdu, len, e);
}

/* --drip: the aircraft's demo key (fixed seed) and DET; a DRIP Wrapper over this
 * second's Location message, signed by it, as authentication pages. */
static int drip_pages(const opts *o, const odid_message *loc, double t, odid_message *pages,
                      int *n, sg_errinfo *e)
{
    uint8_t msg[ODID_MSG_SIZE], data[ODID_AUTH_DATA_MAX];
    size_t len;
    int rc;
    if ((rc = odid_encode_message(loc, msg)) ||
        (rc = odid_drip_sign(ODID_SAM_DRIP_WRAPPER, t - 5, t + 60, msg, sizeof msg, o->det,
                             o->sk, data, sizeof data, &len)) ||
        (rc = odid_auth_paginate(ODID_AUTH_TYPE_SAM, t, data, len, pages, ODID_AUTH_MAX_PAGES, n)))
        return sg_err_set(e, rc, "cannot sign the DRIP Wrapper");
    return SG_OK;
}

static int second(cap_writer *w, const opts *o, int k, sg_errinfo *e)
{
    odid_message m[N_MSG + 1], pages[ODID_AUTH_MAX_PAGES];
    make_messages(o, k, m);
    int nm = N_MSG, np = 0, rc;
    double t = o->t0 + k;
    if (o->drip) { /* a second Basic ID: the DET as a DRIP session ID */
        odid_message_init(&m[nm], ODID_MT_BASIC_ID);
        m[nm].u.basic_id.id_type = ODID_IDT_SESSION;
        m[nm].u.basic_id.ua_type = 2;
        char *h = m[nm].u.basic_id.uas_id;
        snprintf(h, 3, "01");
        for (int i = 0; i < ODID_DET_LEN; i++)
            snprintf(h + 2 + 2 * i, 3, "%02x", o->det[i]);
        nm++;
        if ((rc = drip_pages(o, &m[1], t, pages, &np, e)))
            return rc;
    }
    if (!o->ext) {
        if ((rc = emit_legacy(w, o, t, m, nm, k * 16, e)))
            return rc;
        return np ? emit_legacy(w, o, t + 0.1, pages, np, k * 16 + nm, e) : SG_OK;
    }
    if ((rc = emit_ext(w, o, t, m, nm, k, (uint16_t)(2 * k), e)))
        return rc;
    return np ? emit_ext(w, o, t + 0.1, pages, np, k, (uint16_t)(2 * k + 1), e) : SG_OK;
}

static bool num_arg(const char *s, double lo, double hi, double *v)
{
    char *end;
    *v = strtod(s, &end);
    return end != s && !*end && *v >= lo && *v <= hi;
}

int main(int argc, char **argv)
{
    opts o = {.lt = -1, .phy = BLE_PHY_1M, .seconds = 10, .id = "1596F35GR1234567",
              .lat = 60.17, .lon = 24.94, .t0 = 1780000000.0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        double d;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--pcapng")) {
            o.pcapng = true;
        } else if (!strcmp(a, "--ext")) {
            o.ext = true;
        } else if (!strcmp(a, "--chain")) {
            o.chain = true;
        } else if (!strcmp(a, "-l") && v && num_arg(v, 0, 65535, &d)) {
            o.lt = (int)d;
            i++;
        } else if (!strcmp(a, "-n") && v && num_arg(v, 1, 86400, &d)) {
            o.seconds = (int)d;
            i++;
        } else if (!strcmp(a, "--lat") && v && num_arg(v, -89, 89, &d)) {
            o.lat = d;
            i++;
        } else if (!strcmp(a, "--lon") && v && num_arg(v, -179, 179, &d)) {
            o.lon = d;
            i++;
        } else if (!strcmp(a, "--t0") && v && num_arg(v, ODID_EPOCH_2019 + 1, 4e9, &d)) {
            o.t0 = d;
            i++;
        } else if (!strcmp(a, "--id") && v && strlen(v) <= ODID_ID_LEN) {
            o.id = v;
            i++;
        } else if (!strcmp(a, "--drip") && v) {
            o.drip = true;
            o.keys_out = v;
            i++;
        } else if (!strcmp(a, "-o") && v) {
            o.out = v;
            i++;
        } else if (!strcmp(a, "--phy") && v) {
            i++;
            if (!strcmp(v, "1m")) {
                o.phy = BLE_PHY_1M;
            } else if (!strcmp(v, "2m")) {
                o.phy = BLE_PHY_2M;
            } else if (!strcmp(v, "coded8") || !strcmp(v, "coded2")) {
                o.phy = BLE_PHY_CODED;
                o.coding = v[5] - '0';
            } else {
                fprintf(stderr, "sg_blecap: --phy %s: expected 1m, 2m, coded8 or coded2\n", v);
                return 2;
            }
        } else {
            fprintf(stderr, "sg_blecap: bad argument \"%s\"%s\n", a, v ? "" : " (value missing?)");
            usage(stderr);
            return 2;
        }
    }
    if (!o.out || !(ble_cap_is_ll(o.lt) || ble_cap_is_hci(o.lt)) || (o.chain && !o.ext) ||
        (o.phy != BLE_PHY_1M && !o.ext)) {
        fprintf(stderr, "sg_blecap: need -o FILE and -l 251|256|272|187|201|254; --chain needs "
                        "--ext; legacy advertising is 1M only (--phy needs --ext)\n");
        usage(stderr);
        return 2;
    }
    if (o.lt == BLE_LT_LL && o.phy != BLE_PHY_1M) {
        fprintf(stderr, "sg_blecap: link type 251 has no field for the PHY: use 256 or 272\n");
        return 2;
    }
    sg_errinfo e = {0};
    if (o.drip) {
        uint8_t seed[32];
        memset(seed, 0x5A, sizeof seed); /* a demo key: never use for real aircraft */
        FILE *kf = NULL;
        /* its DET (RFC 9374) under a test RAA / HDA: 2001:30:3e8:7d05::/64 */
        if (sodium_init() < 0 || crypto_sign_seed_keypair(o.pk, o.sk, seed) != 0 ||
            odid_det_make(1000, 2000, o.pk, o.det) != SG_OK || !(kf = fopen(o.keys_out, "w"))) {
            fprintf(stderr, "sg_blecap: %s: cannot write the key file\n", o.keys_out);
            return 1;
        }
        fprintf(kf, "# sg_blecap demo aircraft: DET and Ed25519 public key\n");
        for (int i = 0; i < ODID_DET_LEN; i++)
            fprintf(kf, "%02x", o.det[i]);
        fputc(' ', kf);
        for (int i = 0; i < ODID_ED25519_PK; i++)
            fprintf(kf, "%02x", o.pk[i]);
        fputc('\n', kf);
        if (fclose(kf) != 0) {
            fprintf(stderr, "sg_blecap: %s: cannot write the key file\n", o.keys_out);
            return 1;
        }
    }
    cap_writer *w = cap_writer_open(o.out, o.lt, o.pcapng, &e);
    if (!w) {
        fprintf(stderr, "sg_blecap: %s\n", e.msg);
        return 1;
    }
    int rc = SG_OK;
    for (int k = 0; k < o.seconds && !rc; k++)
        rc = second(w, &o, k, &e);
    int rc2 = cap_writer_close(w, rc ? NULL : &e);
    if (rc || rc2) {
        fprintf(stderr, "sg_blecap: %s: %s\n", o.out, e.msg);
        return 1;
    }
    return 0;
}
