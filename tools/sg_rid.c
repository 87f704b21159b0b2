/* sg_rid: decode ASTM F3411 Remote ID from a capture (pcap/pcapng file or live
 * interface: Wi-Fi, or Bluetooth LE sniffer / HCI captures, see rid_wifi_pcap.h) or
 * from a Bluetooth LE IQ recording (SigMF or raw), print
 * one line per message and a summary per aircraft (with the tracker measurement it
 * would produce). --json gives JSON Lines instead.
 *
 *   sg_rid capture.pcap                      Wi-Fi beacon / NAN, or Bluetooth, from a file
 *   sg_rid -i wlan0mon                       live, interface already in monitor mode
 *   sg_rid --ble rec.sigmf-meta [-c 37,38,39]
 *   sg_rid --ble rec.cf32 -r 4e6 [-f 2402e6 | -o 0] [-t cf32|ci16|ci8|cu8]
 *
 * Exit codes: 0 ok, 1 runtime error, 2 usage error. */
#include <complex.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "ble_scan.h"
#include "odid.h"
#include "odid_auth.h"
#include "rid_wifi.h"
#include "sg_json.h"
#if SG_WITH_PCAP
#include "rid_wifi_pcap.h"
#endif

typedef struct {
    bool json;
    bool coded;            /* --coded: also the LE Coded PHY on the listed channels */
    odid_table *tb;
    uint64_t messages;
} app_t;

static volatile sig_atomic_t g_stop;
#if SG_WITH_PCAP
static rid_pcap *g_pcap;
#endif

static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
#if SG_WITH_PCAP
    if (g_pcap)
        rid_pcap_stop(g_pcap);
#endif
}

static void mac_str(const uint8_t m[6], char out[18])
{
    snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

static void json_num(cJSON *o, const char *k, double v)
{
    if (!isnan(v))
        cJSON_AddNumberToObject(o, k, v);
}

static void print_json(cJSON *o)
{
    char *s = cJSON_PrintUnformatted(o);
    if (s)
        puts(s);
    free(s);
    cJSON_Delete(o);
}

static const char *auth_name(uint8_t s)
{
    static const char *const n[] = {"unsigned", "unverified", "verified", "failed"};
    return s < 4 ? n[s] : "?";
}

static void msg_fields_json(cJSON *o, const odid_message *m)
{
    switch (m->type) {
    case ODID_MT_BASIC_ID:
        cJSON_AddNumberToObject(o, "id_type", m->u.basic_id.id_type);
        cJSON_AddNumberToObject(o, "ua_type", m->u.basic_id.ua_type);
        cJSON_AddStringToObject(o, "uas_id", m->u.basic_id.uas_id);
        break;
    case ODID_MT_LOCATION: {
        const odid_location *L = &m->u.location;
        cJSON_AddNumberToObject(o, "status", L->status);
        json_num(o, "lat", L->lat_deg);
        json_num(o, "lon", L->lon_deg);
        json_num(o, "alt_geo_m", L->alt_geo);
        json_num(o, "alt_baro_m", L->alt_baro);
        json_num(o, "height_m", L->height);
        cJSON_AddStringToObject(o, "height_ref", L->height_type ? "agl" : "takeoff");
        json_num(o, "speed_mps", L->speed_h);
        json_num(o, "vspeed_mps", L->speed_v);
        json_num(o, "direction_deg", L->direction_deg);
        json_num(o, "h_acc_m", odid_h_acc_m(L->h_acc));
        json_num(o, "v_acc_m", odid_v_acc_m(L->v_acc));
        json_num(o, "baro_acc_m", odid_v_acc_m(L->baro_acc));
        json_num(o, "speed_acc_mps", odid_speed_acc_ms(L->speed_acc));
        json_num(o, "timestamp_s_after_hour", L->timestamp_s);
        json_num(o, "timestamp_acc_s", L->timestamp_acc_s);
        break;
    }
    case ODID_MT_AUTH: {
        const odid_auth *A = &m->u.auth;
        char hex[2 * ODID_STR_LEN + 1];
        for (int i = 0; i < A->data_len; i++)
            snprintf(hex + 2 * i, 3, "%02x", A->data[i]);
        hex[2 * A->data_len] = '\0';
        cJSON_AddNumberToObject(o, "auth_type", A->auth_type);
        cJSON_AddNumberToObject(o, "page", A->page);
        if (A->page == 0) {
            cJSON_AddNumberToObject(o, "last_page", A->last_page);
            cJSON_AddNumberToObject(o, "length", A->length);
            json_num(o, "timestamp", A->timestamp);
        }
        cJSON_AddStringToObject(o, "data_hex", hex);
        break;
    }
    case ODID_MT_SELF_ID:
        cJSON_AddNumberToObject(o, "desc_type", m->u.self_id.desc_type);
        cJSON_AddStringToObject(o, "text", m->u.self_id.text);
        break;
    case ODID_MT_SYSTEM: {
        const odid_system *S = &m->u.system;
        json_num(o, "operator_lat", S->op_lat_deg);
        json_num(o, "operator_lon", S->op_lon_deg);
        json_num(o, "operator_alt_geo_m", S->op_alt_geo);
        cJSON_AddNumberToObject(o, "operator_location_type", S->op_loc_type);
        cJSON_AddNumberToObject(o, "classification_type", S->class_type);
        cJSON_AddNumberToObject(o, "area_count", S->area_count);
        cJSON_AddNumberToObject(o, "area_radius_m", S->area_radius_m);
        json_num(o, "area_ceiling_m", S->area_ceiling);
        json_num(o, "area_floor_m", S->area_floor);
        cJSON_AddNumberToObject(o, "category_eu", S->category_eu);
        cJSON_AddNumberToObject(o, "class_eu", S->class_eu);
        json_num(o, "timestamp", S->timestamp);
        break;
    }
    case ODID_MT_OPERATOR_ID:
        cJSON_AddNumberToObject(o, "operator_id_type", m->u.operator_id.op_id_type);
        cJSON_AddStringToObject(o, "operator_id", m->u.operator_id.op_id);
        break;
    default:
        break;
    }
}

static void msg_fields_text(const odid_message *m)
{
    switch (m->type) {
    case ODID_MT_BASIC_ID:
        printf("id_type=%d ua_type=%d id=%s", m->u.basic_id.id_type, m->u.basic_id.ua_type,
               m->u.basic_id.uas_id);
        break;
    case ODID_MT_LOCATION: {
        const odid_location *L = &m->u.location;
        printf("status=%d lat=%.7f lon=%.7f alt_geo=%.1fm baro=%.1fm height=%.1fm speed=%.2fm/s "
               "vspeed=%.1fm/s dir=%.0fdeg hacc=%.0fm ts=%.1fs",
               L->status, L->lat_deg, L->lon_deg, L->alt_geo, L->alt_baro, L->height, L->speed_h,
               L->speed_v, L->direction_deg, odid_h_acc_m(L->h_acc), L->timestamp_s);
        break;
    }
    case ODID_MT_AUTH:
        printf("auth_type=%d page=%d", m->u.auth.auth_type, m->u.auth.page);
        break;
    case ODID_MT_SELF_ID:
        printf("desc_type=%d text=\"%s\"", m->u.self_id.desc_type, m->u.self_id.text);
        break;
    case ODID_MT_SYSTEM: {
        const odid_system *S = &m->u.system;
        printf("operator=%.7f,%.7f op_alt=%.1fm area_count=%d radius=%.0fm cat=%d class=%d",
               S->op_lat_deg, S->op_lon_deg, S->op_alt_geo, S->area_count, S->area_radius_m,
               S->category_eu, S->class_eu);
        break;
    }
    case ODID_MT_OPERATOR_ID:
        printf("operator_id=%s", m->u.operator_id.op_id);
        break;
    default:
        break;
    }
}

static void emit(app_t *a, double t, const char *transport, const uint8_t mac[6], double rssi,
                 uint8_t counter, const odid_message *m)
{
    char ms[18];
    mac_str(mac, ms);
    a->messages++;
    if (odid_table_update(a->tb, mac, m, t, rssi, NULL))
        return;
    if (a->json) {
        cJSON *o = cJSON_CreateObject();
        if (!o)
            return;
        cJSON_AddStringToObject(o, "kind", "message");
        cJSON_AddNumberToObject(o, "t", t);
        cJSON_AddStringToObject(o, "transport", transport);
        cJSON_AddStringToObject(o, "mac", ms);
        json_num(o, "rssi_dbm", rssi);
        cJSON_AddNumberToObject(o, "counter", counter);
        cJSON_AddStringToObject(o, "type", odid_msg_type_name(m->type));
        cJSON_AddNumberToObject(o, "protocol_version", m->proto_version);
        if (m->warnings)
            cJSON_AddNumberToObject(o, "warnings", m->warnings);
        msg_fields_json(o, m);
        print_json(o);
    } else {
        printf("%.6f %-6s %s %4.0fdBm #%-3u %-11s ", t, transport, ms, rssi, counter,
               odid_msg_type_name(m->type));
        msg_fields_text(m);
        putchar('\n');
    }
}

static void summary(app_t *a)
{
    int n = odid_table_count(a->tb);
    for (int i = 0; i < n; i++) {
        const odid_aircraft *ac = odid_table_get(a->tb, i);
        char ms[18];
        mac_str(ac->mac, ms);
        sg_measurement z;
        int rc = odid_to_measurement(ac, -1, &z);
        if (a->json) {
            cJSON *o = cJSON_CreateObject();
            if (!o)
                return;
            cJSON_AddStringToObject(o, "kind", "aircraft");
            cJSON_AddStringToObject(o, "mac", ms);
            cJSON_AddStringToObject(o, "identity", odid_aircraft_identity(ac));
            cJSON_AddNumberToObject(o, "messages", (double)ac->n_messages);
            cJSON_AddNumberToObject(o, "t_first", ac->t_first);
            cJSON_AddNumberToObject(o, "t_last", ac->t_last);
            if (ac->has_self_id)
                cJSON_AddStringToObject(o, "self_id", ac->self_id.text);
            if (ac->has_operator_id)
                cJSON_AddStringToObject(o, "operator_id", ac->operator_id.op_id);
            cJSON_AddStringToObject(o, "auth", auth_name(ac->auth_state));
            if (rc == SG_OK) {
                cJSON_AddNumberToObject(o, "lat", z.z[0] * 180 / M_PI);
                cJSON_AddNumberToObject(o, "lon", z.z[1] * 180 / M_PI);
                cJSON_AddNumberToObject(o, "alt_m", z.z[2]);
                cJSON_AddNumberToObject(o, "sigma_h_m", sqrt(z.R[0]) * 6371008.8);
                cJSON_AddNumberToObject(o, "sigma_v_m", sqrt(z.R[8]));
                if (z.has_vel) {
                    cJSON_AddNumberToObject(o, "vel_e", z.vel_enu[0]);
                    cJSON_AddNumberToObject(o, "vel_n", z.vel_enu[1]);
                    cJSON_AddNumberToObject(o, "vel_u", z.vel_enu[2]);
                }
                if (z.has_operator) {
                    cJSON_AddNumberToObject(o, "operator_lat", z.operator_lat * 180 / M_PI);
                    cJSON_AddNumberToObject(o, "operator_lon", z.operator_lon * 180 / M_PI);
                }
            }
            print_json(o);
        } else {
            printf("aircraft %s identity=%s messages=%llu t=%.3f..%.3f", ms,
                   odid_aircraft_identity(ac), (unsigned long long)ac->n_messages, ac->t_first,
                   ac->t_last);
            if (rc == SG_OK)
                printf(" last=%.7f,%.7f,%.1fm sigma_h=%.1fm", z.z[0] * 180 / M_PI,
                       z.z[1] * 180 / M_PI, z.z[2], sqrt(z.R[0]) * 6371008.8);
            if (rc == SG_OK && z.has_operator)
                printf(" operator=%.7f,%.7f", z.operator_lat * 180 / M_PI,
                       z.operator_lon * 180 / M_PI);
            printf(" auth=%s", auth_name(ac->auth_state));
            putchar('\n');
        }
    }
}

/* ---- Wi-Fi -------------------------------------------------------------------------- */

#if SG_WITH_PCAP
static int on_wifi(void *user, double t, const rid_wifi_frame *f)
{
    app_t *a = user;
    for (int i = 0; i < f->n_msgs; i++)
        emit(a, t, rid_wifi_transport_name(f->transport), f->mac, f->rssi_dbm,
             f->counter, &f->msgs[i]);
    return 0;
}

static int run_wifi(app_t *a, const char *src, bool live)
{
    sg_errinfo e;
    g_pcap = live ? rid_pcap_open_live(src, &e) : rid_pcap_open_file(src, &e);
    if (!g_pcap) {
        fprintf(stderr, "sg_rid: %s\n", e.msg);
        return 1;
    }
    int rc = rid_pcap_run(g_pcap, on_wifi, a, &e);
    rid_pcap_stats st;
    rid_pcap_get_stats(g_pcap, &st);
    rid_pcap_close(g_pcap);
    g_pcap = NULL;
    if (rc)
        fprintf(stderr, "sg_rid: %s: %s\n", src, e.msg);
    fprintf(stderr,
            "sg_rid: %s: %llu frames, %llu Remote ID (%llu messages), %llu other, rejected: "
            "%llu radiotap, %llu 802.11, %llu pack, %llu FCS/CRC, %llu Bluetooth; kernel drops "
            "%llu; pack messages dropped %llu (unknown type or duplicate), fields unknown by "
            "reserved value %llu; Bluetooth chain fragments held %llu, chains lost %llu\n",
            src, (unsigned long long)st.frames, (unsigned long long)st.decoded,
            (unsigned long long)st.messages, (unsigned long long)st.not_rid,
            (unsigned long long)st.rejected[RID_WIFI_BAD_RADIOTAP],
            (unsigned long long)st.rejected[RID_WIFI_BAD_80211],
            (unsigned long long)st.rejected[RID_WIFI_BAD_PACK],
            (unsigned long long)st.rejected[RID_WIFI_BAD_FCS],
            (unsigned long long)st.rejected[RID_WIFI_BAD_BLE],
            (unsigned long long)st.kernel_dropped, (unsigned long long)st.dropped_msgs,
            (unsigned long long)st.warnings, (unsigned long long)st.ble_pending,
            (unsigned long long)st.ble_chain_lost);
    return rc ? 1 : 0;
}
#else
static int run_wifi(app_t *a, const char *src, bool live)
{
    (void)a;
    (void)live;
    fprintf(stderr, "sg_rid: %s: this build has no libpcap (apt-get install libpcap-dev and "
                    "rebuild with -DSG_WITH_PCAP=ON)\n", src);
    return 1;
}
#endif

/* ---- BLE from IQ --------------------------------------------------------------------- */

/* Remote ID messages of one advertisement, from any of the scanner's receivers */
static void on_ble(void *user, const ble_scan_rid *r)
{
    app_t *a = user;
    char tr[12];
    if (r->phy == BLE_PHY_CODED)
        snprintf(tr, sizeof tr, "s%d-%d", r->coding, r->channel);
    else
        snprintf(tr, sizeof tr, "ble%d", r->channel);
    for (int i = 0; i < r->n_msgs; i++)
        emit(a, r->t, tr, r->mac, r->power_dbfs, r->counter, &r->msgs[i]);
}

typedef enum { FMT_CF32, FMT_CI16, FMT_CI8, FMT_CU8 } iq_fmt;

static int fmt_from_name(const char *s, iq_fmt *f)
{
    if (!strcmp(s, "cf32") || !strcmp(s, "cf32_le"))
        *f = FMT_CF32;
    else if (!strcmp(s, "ci16") || !strcmp(s, "ci16_le"))
        *f = FMT_CI16;
    else if (!strcmp(s, "ci8"))
        *f = FMT_CI8;
    else if (!strcmp(s, "cu8"))
        *f = FMT_CU8;
    else
        return -1;
    return 0;
}

static size_t fmt_bytes(iq_fmt f) { return f == FMT_CF32 ? 8 : f == FMT_CI16 ? 4 : 2; }

/* Minimal SigMF reading: datatype, sample rate, first capture's frequency. */
static int read_sigmf_meta(const char *meta, char *data, size_t cap, iq_fmt *fmt, double *fs,
                           double *fc)
{
    sg_errinfo e;
    cJSON *j = sgj_parse_file(meta, &e);
    if (!j) {
        fprintf(stderr, "sg_rid: %s\n", e.msg);
        return -1;
    }
    int rc = -1;
    const cJSON *g = NULL, *caps = NULL;
    char dt[32];
    if (sgj_object(j, meta, "global", true, &g, &e) ||
        sgj_string(g, "global", "core:datatype", true, NULL, dt, sizeof dt, &e)) {
        fprintf(stderr, "sg_rid: %s\n", e.msg);
        goto out;
    }
    if (fmt_from_name(dt, fmt)) {
        fprintf(stderr, "sg_rid: %s: global.core:datatype %s not supported (cf32_le, ci16_le, "
                        "ci8, cu8)\n", meta, dt);
        goto out;
    }
    if (sgj_number(g, "global", "core:sample_rate", false, *fs, 2e6, 64e6, fs, &e)) {
        fprintf(stderr, "sg_rid: %s: %s\n", meta, e.msg);
        goto out;
    }
    if (!sgj_array(j, meta, "captures", false, &caps, &e) && caps && cJSON_GetArraySize(caps) > 0)
        sgj_number(cJSON_GetArrayItem(caps, 0), "captures[0]", "core:frequency", false, *fc, 0,
                   1e12, fc, &e);
    size_t l = strlen(meta);
    if (l < 11 || l + 1 > cap) {
        fprintf(stderr, "sg_rid: %s: bad metadata file name\n", meta);
        goto out;
    }
    memcpy(data, meta, l - 4); /* "x.sigmf-meta" -> "x.sigmf-data" */
    strcpy(data + l - 4, "data");
    rc = 0;
out:
    cJSON_Delete(j);
    return rc;
}

static int run_ble(app_t *a, const char *path, iq_fmt fmt, double fs, double fc, double off,
                   const int *chans, int nch)
{
    char data[4096];
    const char *src = path;
    size_t pl = strlen(path);
    if (pl > 11 && !strcmp(path + pl - 11, ".sigmf-meta")) {
        if (read_sigmf_meta(path, data, sizeof data, &fmt, &fs, &fc))
            return 1;
        src = data;
    }
    if (!(fs > 0)) {
        fprintf(stderr, "sg_rid: %s: sample rate unknown: give -r\n", path);
        return 2;
    }
    ble_scan_cfg sc;
    ble_scan_cfg_default(&sc);
    ble_rx_cfg *cfg = &sc.legacy;
    cfg->sample_rate = fs;
    cfg->n_channels = nch;
    for (int i = 0; i < nch; i++) {
        cfg->channels[i] = chans[i];
        cfg->offsets_hz[i] = isnan(off) || nch > 1 ? NAN : off;
    }
    if (fc == 0 && isnan(cfg->offsets_hz[0])) {
        if (nch > 1) {
            fprintf(stderr, "sg_rid: several channels need the centre frequency (-f)\n");
            return 2;
        }
        cfg->offsets_hz[0] = 0.0; /* a single channel recorded at DC */
    }
    /* --coded: the Coded PHY on the listed channels too (no other secondary channel) */
    sc.extended = sc.coded_primary = a->coded;
    sc.n_secondary = 0;
    sg_errinfo e;
    ble_scan *q = ble_scan_create(&sc, &e);
    if (!q) {
        fprintf(stderr, "sg_rid: %s\n", e.msg);
        return 2;
    }
    FILE *f = strcmp(src, "-") ? fopen(src, "rb") : stdin;
    if (!f) {
        fprintf(stderr, "sg_rid: %s: cannot open\n", src);
        ble_scan_destroy(q);
        return 1;
    }
    const size_t N = 1 << 16;
    size_t bs = fmt_bytes(fmt);
    unsigned char *raw = malloc(N * bs);
    float complex *x = malloc(N * sizeof *x);
    int ret = 0;
    if (!raw || !x) {
        fprintf(stderr, "sg_rid: out of memory\n");
        ret = 1;
    }
    uint64_t idx = 0, bad = 0;
    while (!ret && !g_stop) {
        size_t n = fread(raw, bs, N, f);
        if (n == 0)
            break;
        for (size_t i = 0; i < n; i++) {
            float re, im;
            switch (fmt) {
            case FMT_CF32: memcpy(&re, raw + 8 * i, 4); memcpy(&im, raw + 8 * i + 4, 4); break;
            case FMT_CI16: {
                int16_t r, m;
                memcpy(&r, raw + 4 * i, 2);
                memcpy(&m, raw + 4 * i + 2, 2);
                re = r / 32768.0f;
                im = m / 32768.0f;
                break;
            }
            case FMT_CI8: re = (int8_t)raw[2 * i] / 128.0f; im = (int8_t)raw[2 * i + 1] / 128.0f; break;
            default: re = (raw[2 * i] - 127.5f) / 128.0f; im = (raw[2 * i + 1] - 127.5f) / 128.0f; break;
            }
            if (!isfinite(re) || !isfinite(im)) {
                re = im = 0.0f;
                bad++;
            }
            x[i] = re + I * im;
        }
        sg_iq_block b = {.x = x, .n = n, .sample_index = idx, .sample_rate = fs, .center_freq = fc,
                         .t0 = 0.0};
        if (ble_scan_execute(q, &b, on_ble, a, &e)) {
            fprintf(stderr, "sg_rid: %s: %s\n", src, e.msg);
            ret = 1;
        }
        idx += n;
    }
    ble_scan_flush(q, on_ble, a);
    ble_scan_stats st;
    ble_scan_get_stats(q, &st);
    fprintf(stderr,
            "sg_rid: %s: %llu samples; packets 1M %llu, Coded S=8 %llu, S=2 %llu; CRC failures 1M "
            "%llu, Coded %llu; Remote ID advertisements %llu (%llu rejected); chains lost %llu; "
            "%llu truncated; %llu NaN samples zeroed; squelch skipped %llu of %llu channel "
            "blocks (%llu noise syncs cut)\n",
            src, (unsigned long long)idx, (unsigned long long)st.packets_1m,
            (unsigned long long)st.packets_s8, (unsigned long long)st.packets_s2,
            (unsigned long long)st.crc_fail_1m, (unsigned long long)st.crc_fail_coded,
            (unsigned long long)st.rid_adverts, (unsigned long long)st.rid_bad,
            (unsigned long long)st.chain_lost, (unsigned long long)st.truncated,
            (unsigned long long)bad, (unsigned long long)st.squelch_skipped,
            (unsigned long long)st.squelch_blocks, (unsigned long long)st.squelch_cut);
    if (f != stdin)
        fclose(f);
    free(raw);
    free(x);
    ble_scan_destroy(q);
    return ret;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: sg_rid [--json] FILE.pcap            Remote ID from a capture: Wi-Fi (127, 105),\n"
            "                                            Bluetooth LE link layer (251, 256, 272) or\n"
            "                                            HCI advertising reports (187, 201, 254)\n"
            "       sg_rid [--json] -i IFACE             live, monitor-mode interface\n"
            "       --trust FILE                         DRIP keys (\"DET_HEX KEY_HEX\" lines) to\n"
            "                                            verify signed Remote ID\n"
            "       sg_rid [--json] --ble FILE [options] BLE Remote ID from IQ\n"
            "BLE options:\n"
            "  FILE            .sigmf-meta (rate, format, frequency from it) or raw IQ ('-' stdin)\n"
            "  -r HZ           sample rate (multiple of 2 MHz, 2..64 MHz)\n"
            "  -t FMT          raw format: cf32 (default), ci16, ci8, cu8\n"
            "  -f HZ           centre frequency of the recording (channels placed from it)\n"
            "  -o HZ           offset of the (single) channel from DC when -f is not known (default 0)\n"
            "  -c LIST         BLE channels, e.g. 37 or 37,38,39 (default 37)\n"
            "  --coded         also the LE Coded PHY (Long Range) on the listed channels (rate a\n"
            "                  multiple of 4 MHz): extended advertising chains on them\n");
}

int main(int argc, char **argv)
{
    app_t a = {0};
    const char *src = NULL, *iface = NULL, *trust_file = NULL;
    bool ble = false;
    double fs = 0, fc = 0, off = NAN;
    iq_fmt fmt = FMT_CF32;
    int chans[BLE_RX_MAX_CH] = {37}, nch = 1;
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        bool has_arg = i + 1 < argc;
        if (!strcmp(s, "--json"))
            a.json = true;
        else if (!strcmp(s, "--ble"))
            ble = true;
        else if (!strcmp(s, "--coded"))
            a.coded = true;
        else if (!strcmp(s, "-i") && has_arg)
            iface = argv[++i];
        else if (!strcmp(s, "--trust") && has_arg)
            trust_file = argv[++i];
        else if (!strcmp(s, "-r") && has_arg)
            fs = atof(argv[++i]);
        else if (!strcmp(s, "-f") && has_arg)
            fc = atof(argv[++i]);
        else if (!strcmp(s, "-o") && has_arg)
            off = atof(argv[++i]);
        else if (!strcmp(s, "-t") && has_arg) {
            if (fmt_from_name(argv[++i], &fmt)) {
                fprintf(stderr, "sg_rid: -t %s: unknown format\n", argv[i]);
                return 2;
            }
        } else if (!strcmp(s, "-c") && has_arg) {
            nch = 0;
            for (char *p = argv[++i]; *p && nch < BLE_RX_MAX_CH;) {
                char *end;
                long c = strtol(p, &end, 10);
                if (end == p || c < 0 || c > 39) {
                    fprintf(stderr, "sg_rid: -c %s: channels are 0..39, comma separated\n", argv[i]);
                    return 2;
                }
                chans[nch++] = (int)c;
                p = *end == ',' ? end + 1 : end;
            }
        } else if (!strcmp(s, "-h") || !strcmp(s, "--help")) {
            usage();
            return 0;
        } else if (s[0] == '-' && s[1]) {
            fprintf(stderr, "sg_rid: unknown option %s\n", s);
            usage();
            return 2;
        } else
            src = s;
    }
    if (!!src + !!iface != 1 || (ble && iface)) {
        usage();
        return 2;
    }
    sg_errinfo e;
    a.tb = odid_table_create(256, 3600.0, &e);
    odid_trust *trust = NULL;
    if (a.tb && trust_file &&
        (!(trust = odid_trust_create(4096, &e)) || odid_trust_load(trust, trust_file, &e))) {
        odid_table_destroy(a.tb);
        a.tb = NULL;
    }
    if (!a.tb) {
        fprintf(stderr, "sg_rid: %s\n", e.msg);
        odid_trust_destroy(trust);
        return 1;
    }
    odid_table_set_trust(a.tb, trust);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    int rc = ble ? run_ble(&a, src, fmt, fs, fc, off, chans, nch)
                 : run_wifi(&a, iface ? iface : src, iface != NULL);
    summary(&a);
    odid_table_destroy(a.tb);
    odid_trust_destroy(trust);
    return rc;
}
