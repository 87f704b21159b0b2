/* Remote ID over Wi-Fi through libpcap (see rid_wifi_pcap.h). A thin shell: libpcap
 * delivers frames, dsp/rid_wifi.c judges them, this file counts and forwards. */
#include "rid_wifi_pcap.h"

#include "ble_cap.h"
#include "sg_json.h"

#include <math.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

/* Counters are written by run()'s thread and read by stats() from any thread:
 * relaxed atomic increments and loads keep that race-free without locks. */
#define CNT_ADD(field, v) __atomic_fetch_add(&(field), (uint64_t)(v), __ATOMIC_RELAXED)
#define CNT_GET(field) __atomic_load_n(&(field), __ATOMIC_RELAXED)

#define DLT_RADIOTAP_ 127
#define DLT_80211_ 105
#define HCI_REPORTS_MAX 8

struct rid_pcap {
    pcap_t *pc;
    int linktype;
    bool live;
    volatile sig_atomic_t stop;
    rid_pcap_stats st;
    rid_pcap_cb cb;
    void *user;
    int cb_rc;
    ble_chain *chain;          /* Bluetooth link types only */
};

static rid_pcap *finish_open(pcap_t *pc, const char *name, bool live, sg_errinfo *e)
{
    int lt = pcap_datalink(pc);
    bool ble = ble_cap_is_ll(lt) || ble_cap_is_hci(lt);
    if (lt != DLT_RADIOTAP_ && lt != DLT_80211_ && !ble) {
        sg_err_set(e, SG_ENOTSUP,
                   "%s: link type %d (%s) is not 802.11 radiotap (127) or bare 802.11 (105) "
                   "(capture in monitor mode), nor Bluetooth LE link layer (251, 256, 272) or "
                   "HCI (187, 201, 254)",
                   name, lt, pcap_datalink_val_to_name(lt) ? pcap_datalink_val_to_name(lt) : "?");
        pcap_close(pc);
        return NULL;
    }
    rid_pcap *p = calloc(1, sizeof *p);
    if (p && ble && (p->chain = malloc(sizeof *p->chain)))
        ble_chain_init(p->chain);
    if (!p || (ble && !p->chain)) {
        free(p);
        pcap_close(pc);
        sg_err_set(e, SG_ENOMEM, "%s: out of memory", name);
        return NULL;
    }
    p->pc = pc;
    p->linktype = lt;
    p->live = live;
    return p;
}

rid_pcap *rid_pcap_open_file(const char *path, sg_errinfo *e)
{
    char err[PCAP_ERRBUF_SIZE] = "";
    if (!path) {
        sg_err_set(e, SG_EINVAL, "rid_pcap: no file name");
        return NULL;
    }
    pcap_t *pc = pcap_open_offline(path, err);
    if (!pc) {
        sg_err_set(e, SG_EIO, "%s: cannot read capture: %s", path, err);
        return NULL;
    }
    return finish_open(pc, path, false, e);
}

rid_pcap *rid_pcap_open_live(const char *ifname, sg_errinfo *e)
{
    char err[PCAP_ERRBUF_SIZE] = "";
    if (!ifname) {
        sg_err_set(e, SG_EINVAL, "rid_pcap: no interface name");
        return NULL;
    }
    pcap_t *pc = pcap_create(ifname, err);
    if (!pc) {
        sg_err_set(e, SG_ENODEV, "%s: %s", ifname, err);
        return NULL;
    }
    if (pcap_can_set_rfmon(pc) == 1)
        pcap_set_rfmon(pc, 1);
    pcap_set_snaplen(pc, 4096);
    pcap_set_promisc(pc, 1);
    pcap_set_timeout(pc, 100); /* ms: lets run() notice stop() on a quiet channel */
    int rc = pcap_activate(pc);
    if (rc < 0) {
        sg_err_set(e, rc == PCAP_ERROR_PERM_DENIED ? SG_EAUTH : SG_ENODEV,
                   "%s: cannot start capture: %s", ifname, pcap_geterr(pc));
        pcap_close(pc);
        return NULL;
    }
    return finish_open(pc, ifname, true, e);
}

rid_pcap *rid_pcap_open_json(const cJSON *opts, const char *where, sg_errinfo *e)
{
    static const char *const keys[] = {"file", "interface", NULL};
    char file[4096], ifname[64];
    if (sgj_check_keys(opts, where, keys, e) ||
        sgj_string(opts, where, "file", false, "", file, sizeof file, e) ||
        sgj_string(opts, where, "interface", false, "", ifname, sizeof ifname, e))
        return NULL;
    if (!file[0] == !ifname[0]) {
        sg_err_set(e, SG_EINVAL, "%s: give exactly one of \"file\" and \"interface\"", where);
        return NULL;
    }
    return file[0] ? rid_pcap_open_file(file, e) : rid_pcap_open_live(ifname, e);
}

static void deliver(rid_pcap *p, double t, const rid_wifi_frame *f)
{
    CNT_ADD(p->st.decoded, 1);
    CNT_ADD(p->st.messages, f->n_msgs);
    CNT_ADD(p->st.warnings, f->pack_info.warnings);
    CNT_ADD(p->st.dropped_msgs, f->pack_info.unknown_type + f->pack_info.duplicates);
    if (p->cb && !p->cb_rc) {
        p->cb_rc = p->cb(p->user, t, f);
        if (p->cb_rc)
            pcap_breakloop(p->pc);
    }
}

/* One complete Bluetooth advertisement: Remote ID service data -> messages. */
static void ble_advert(rid_pcap *p, double t, int rc, const ble_adv_data *d)
{
    if (rc == SG_EAGAIN) {
        CNT_ADD(p->st.ble_pending, 1);
        return;
    }
    if (rc == SG_ENOTFOUND) {
        CNT_ADD(p->st.not_rid, 1);
        return;
    }
    ble_adv a;
    if (rc || (rc = ble_ad_find_odid(d->adv_data, d->adv_data_len, &a))) {
        CNT_ADD(p->st.rejected[RID_WIFI_BAD_BLE], 1);
        return;
    }
    if (!a.has_odid) {
        CNT_ADD(p->st.not_rid, 1);
        return;
    }
    rid_wifi_frame f;
    memset(&f, 0, sizeof f);
    for (int i = 0; i < 6; i++)
        f.mac[i] = d->adva[5 - i]; /* most significant byte first, like Wi-Fi */
    f.transport = d->extended ? RID_BT_EXT : RID_BT_LEGACY;
    f.counter = a.odid_counter;
    f.rssi_dbm = d->rssi_dbm;
    f.ble_channel = d->channel;
    f.freq_mhz = d->channel >= 0 ? ble_channel_freq(d->channel) * 1e-6 : NAN;
    f.ble_phy = d->phy;
    f.ble_coding = d->coding;
    if (odid_decode_payload(a.odid, a.odid_len, f.msgs, ODID_PACK_MAX, &f.n_msgs, &f.pack_info)) {
        CNT_ADD(p->st.rejected[RID_WIFI_BAD_PACK], 1);
        return;
    }
    deliver(p, t, &f);
}

static void on_ble(rid_pcap *p, double t, const uint8_t *bytes, size_t len)
{
    ble_adv_data d;
    if (ble_cap_is_ll(p->linktype)) {
        ble_ll_rec r;
        int rc = ble_cap_parse_ll(p->linktype, bytes, len, &r);
        if (rc == SG_ENOTFOUND) {
            CNT_ADD(p->st.not_rid, 1);
            return;
        }
        if (rc) {
            CNT_ADD(p->st.rejected[rc == SG_ECRC ? RID_WIFI_BAD_FCS : RID_WIFI_BAD_BLE], 1);
            return;
        }
        rc = ble_chain_feed_ll(p->chain, &r, t, &d);
        ble_advert(p, t, rc, &d);
        return;
    }
    ble_hci_report rep[HCI_REPORTS_MAX];
    int n = 0, rc = ble_cap_parse_hci(p->linktype, bytes, len, rep, HCI_REPORTS_MAX, &n);
    if (rc == SG_ENOTFOUND) {
        CNT_ADD(p->st.not_rid, 1);
        return;
    }
    if (rc) {
        CNT_ADD(p->st.rejected[RID_WIFI_BAD_BLE], 1);
        return;
    }
    for (int i = 0; i < n && !p->cb_rc; i++) {
        rc = ble_chain_feed_hci(p->chain, &rep[i], t, &d);
        ble_advert(p, t, rc, &d);
    }
}

static void on_frame(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
    rid_pcap *p = (rid_pcap *)user;
    CNT_ADD(p->st.frames, 1);
    double t = (double)h->ts.tv_sec + (double)h->ts.tv_usec * 1e-6;
    if (p->chain) {
        on_ble(p, t, bytes, h->caplen);
        const ble_chain_stats *cs = &p->chain->st;
        __atomic_store_n(&p->st.ble_chain_lost,
                         cs->incomplete + cs->orphans + cs->overflow + cs->truncated,
                         __ATOMIC_RELAXED);
        return;
    }
    rid_wifi_frame f;
    rid_wifi_reason why = RID_WIFI_NOT_RID;
    int rc = p->linktype == DLT_RADIOTAP_ ? rid_wifi_parse_radiotap(bytes, h->caplen, &f, &why)
                                          : rid_wifi_parse_80211(bytes, h->caplen, false, &f, &why);
    if (rc == SG_ENOTFOUND) {
        CNT_ADD(p->st.not_rid, 1);
        return;
    }
    if (rc) {
        CNT_ADD(p->st.rejected[why], 1);
        return;
    }
    deliver(p, t, &f);
}

int rid_pcap_run(rid_pcap *p, rid_pcap_cb cb, void *user, sg_errinfo *e)
{
    if (!p)
        return sg_err_set(e, SG_EINVAL, "rid_pcap: NULL handle");
    p->cb = cb;
    p->user = user;
    p->cb_rc = 0;
    while (!p->stop) {
        int n = pcap_dispatch(p->pc, -1, on_frame, (u_char *)p);
        if (p->cb_rc)
            return p->cb_rc;
        if (n == PCAP_ERROR_BREAK)
            break;
        if (n == PCAP_ERROR)
            return sg_err_set(e, SG_EIO, "capture error: %s", pcap_geterr(p->pc));
        if (n == 0 && !p->live)
            break; /* end of file */
    }
    if (p->chain && !p->live) { /* end of file: chains still open never completed */
        ble_chain_stats *cs = &p->chain->st;
        for (int i = 0; i < BLE_CHAIN_SLOTS; i++)
            if (p->chain->slot[i].used) {
                p->chain->slot[i].used = false;
                cs->incomplete++;
            }
        __atomic_store_n(&p->st.ble_chain_lost,
                         cs->incomplete + cs->orphans + cs->overflow + cs->truncated,
                         __ATOMIC_RELAXED);
    }
    if (p->live) {
        struct pcap_stat ps;
        if (pcap_stats(p->pc, &ps) == 0)
            __atomic_store_n(&p->st.kernel_dropped, (uint64_t)ps.ps_drop + ps.ps_ifdrop,
                             __ATOMIC_RELAXED);
    }
    return SG_OK;
}

void rid_pcap_stop(rid_pcap *p)
{
    if (!p)
        return;
    p->stop = 1;
    pcap_breakloop(p->pc);
}

void rid_pcap_get_stats(rid_pcap *p, rid_pcap_stats *s)
{
    s->frames = CNT_GET(p->st.frames);
    s->decoded = CNT_GET(p->st.decoded);
    s->messages = CNT_GET(p->st.messages);
    s->not_rid = CNT_GET(p->st.not_rid);
    s->warnings = CNT_GET(p->st.warnings);
    s->dropped_msgs = CNT_GET(p->st.dropped_msgs);
    for (int i = 0; i < RID_WIFI_REASONS_; i++)
        s->rejected[i] = CNT_GET(p->st.rejected[i]);
    s->kernel_dropped = CNT_GET(p->st.kernel_dropped);
    s->ble_pending = CNT_GET(p->st.ble_pending);
    s->ble_chain_lost = CNT_GET(p->st.ble_chain_lost);
}

void rid_pcap_close(rid_pcap *p)
{
    if (!p)
        return;
    pcap_close(p->pc);
    free(p->chain);
    free(p);
}
