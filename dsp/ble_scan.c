/* Bluetooth LE Remote ID scanner: legacy 1M + LE Coded PHY extended advertising on
 * one IQ stream (see ble_scan.h). */
#include "ble_scan.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ble_coded.h"
#include "fftchan.h"
#include "sg_json.h"

#define MAX_CODED (BLE_RX_MAX_CH + BLE_SCAN_MAX_SEC)
#define PENDING_MAX 32          /* advertisements of one block sorted before delivery */

/* A channel of the channeliser and the receivers listening on it. */
typedef struct {
    int channel;
    bool primary;
    ble_rx *rx;                 /* legacy 1M (primary) or extended 1M (secondary), or NULL */
    ble_coded_rx *coded;        /* or NULL */
    double off;                 /* Hz from the capture's centre (at build) */
} scan_ch;

struct ble_scan {
    ble_scan_cfg cfg;
    double out_rate;            /* Hz, channeliser output: 4 MHz (2 MHz below 4 MHz input) */
    fftchan *chan;              /* made at the first block (offsets from its centre) */
    scan_ch ch[MAX_CODED];
    int n_ch;
    int out[2 * MAX_CODED];     /* channeliser output k: 2 * scan channel + (0 1M, 1 Coded) */
    int n_coded, n_sec1m;
    bool built;
    sg_errinfo err;             /* the first receiver error inside a channeliser callback */
    int rc;
    ble_chain chain;
    ble_scan_stats st;
    uint64_t sq_cut;            /* receivers' truncated counts at squelch closes */
    ble_scan_rid pend[PENDING_MAX];
    int n_pend;
    ble_scan_cb cb;             /* during execute / flush */
    void *user;
};

void ble_scan_cfg_default(ble_scan_cfg *c)
{
    memset(c, 0, sizeof *c);
    ble_rx_cfg_default(&c->legacy);
    c->extended = false;
    c->n_secondary = -1;
    c->max_secondary = 4;
    c->coded_threshold = 0.35;
    c->coded_primary = false;
    c->sec_coded = true;
    c->sec_1m = false;
    c->squelch_db = 3.0;
}

int ble_scan_cfg_from_json(const cJSON *obj, const char *where, ble_scan_cfg *c, sg_errinfo *e)
{
    static const char *const keys[] = {"channels", "offsets_hz", "sample_rate", "sync_threshold",
                                       "extended", "secondary_channels", "max_secondary",
                                       "coded_threshold", "coded_primary", "secondary_phys",
                                       "squelch_db", NULL};
    static const char *const mine[] = {"extended", "secondary_channels", "max_secondary",
                                       "coded_threshold", "coded_primary", "secondary_phys",
                                       "squelch_db"};
    int rc = sgj_check_keys(obj, where, keys, e);
    if (rc)
        return rc;
    /* the legacy receiver's keys, read by its own parser */
    cJSON *leg = cJSON_Duplicate(obj, 1);
    if (!leg)
        return sg_err_set(e, SG_ENOMEM, "out of memory");
    for (size_t i = 0; i < sizeof mine / sizeof mine[0]; i++)
        cJSON_DeleteItemFromObjectCaseSensitive(leg, mine[i]);
    rc = ble_rx_cfg_from_json(leg, where, &c->legacy, e);
    cJSON_Delete(leg);
    if (rc)
        return rc;
    long ms = c->max_secondary;
    if ((rc = sgj_bool(obj, where, "extended", false, c->extended, &c->extended, e)) ||
        (rc = sgj_int(obj, where, "max_secondary", false, ms, 1, BLE_SCAN_MAX_SEC, &ms, e)) ||
        (rc = sgj_number(obj, where, "coded_threshold", false, c->coded_threshold, 0.2, 0.95,
                         &c->coded_threshold, e)))
        return rc;
    c->max_secondary = (int)ms;
    if ((rc = sgj_number(obj, where, "squelch_db", false, c->squelch_db, 0, 30, &c->squelch_db,
                         e)))
        return rc;
    if (c->squelch_db > 0 && c->squelch_db < 1)
        return sg_err_set(e, SG_EINVAL, "%s: squelch_db: must be 0 (off) or in [1, 30] dB, got %g",
                          where, c->squelch_db);
    if ((rc = sgj_bool(obj, where, "coded_primary", false, c->coded_primary, &c->coded_primary,
                       e)))
        return rc;
    const cJSON *phys = cJSON_GetObjectItemCaseSensitive(obj, "secondary_phys");
    if (phys) {
        int np = cJSON_IsArray(phys) ? cJSON_GetArraySize(phys) : 0;
        if (np < 1 || np > 2)
            return sg_err_set(e, SG_EINVAL, "%s: secondary_phys: must be an array of 1 or 2 of "
                                            "\"coded\", \"1m\"", where);
        c->sec_coded = c->sec_1m = false;
        for (int i = 0; i < np; i++) {
            const cJSON *v = cJSON_GetArrayItem(phys, i);
            bool *f = !cJSON_IsString(v)                   ? NULL
                      : !strcmp(v->valuestring, "coded") ? &c->sec_coded
                      : !strcmp(v->valuestring, "1m")    ? &c->sec_1m
                                                         : NULL;
            if (!f)
                return sg_err_set(e, SG_EINVAL, "%s: secondary_phys[%d]: must be \"coded\" or "
                                                "\"1m\" (2M is not demodulated)", where, i);
            if (*f)
                return sg_err_set(e, SG_EINVAL, "%s: secondary_phys[%d]: listed twice", where, i);
            *f = true;
        }
    }
    const cJSON *sec = cJSON_GetObjectItemCaseSensitive(obj, "secondary_channels");
    if (!sec)
        return SG_OK;
    if (cJSON_IsString(sec) && !strcmp(sec->valuestring, "auto")) {
        c->n_secondary = -1;
        return SG_OK;
    }
    if (!cJSON_IsArray(sec))
        return sg_err_set(e, SG_EINVAL, "%s: secondary_channels: must be \"auto\" or an array of "
                                        "channel indices 0..36", where);
    int n = cJSON_GetArraySize(sec);
    if (n > BLE_SCAN_MAX_SEC)
        return sg_err_set(e, SG_EINVAL, "%s: secondary_channels: at most %d entries, got %d", where,
                          BLE_SCAN_MAX_SEC, n);
    for (int i = 0; i < n; i++) {
        const cJSON *v = cJSON_GetArrayItem(sec, i);
        if (!cJSON_IsNumber(v) || v->valuedouble != (int)v->valuedouble || v->valueint < 0 ||
            v->valueint > 36)
            return sg_err_set(e, SG_EINVAL, "%s: secondary_channels[%d]: must be an integer 0..36",
                              where, i);
        for (int k = 0; k < i; k++)
            if (c->secondary[k] == v->valueint)
                return sg_err_set(e, SG_EINVAL, "%s: secondary_channels[%d]: channel %d twice",
                                  where, i, v->valueint);
        c->secondary[i] = v->valueint;
    }
    c->n_secondary = n;
    return SG_OK;
}

void ble_scan_destroy(ble_scan *q)
{
    if (!q)
        return;
    fftchan_destroy(q->chan);
    for (int i = 0; i < q->n_ch; i++) {
        ble_rx_destroy(q->ch[i].rx);
        ble_coded_destroy(q->ch[i].coded);
    }
    free(q);
}

/* The channeliser's mask for an output rate: flat over the GFSK main lobe and the
 * carrier tolerance, zero before the output's Nyquist edge. */
static void chan_cfg(double fs, double out, fftchan_cfg *fc)
{
    fftchan_cfg_default(fc);
    fc->sample_rate = fs;
    fc->out_rate = out;
    fc->stop_hz = fmin(1.6e6, out / 2);
    fc->pass_hz = fmin(0.8e6, 0.9 * fc->stop_hz);
}

/* A receiver per channel at the channeliser's output rate, the channel at DC. */
static int add_channel(ble_scan *q, int channel, bool primary, sg_errinfo *e)
{
    const ble_scan_cfg *c = &q->cfg;
    scan_ch *s = &q->ch[q->n_ch++];
    s->channel = channel;
    s->primary = primary;
    bool want_rx = primary || c->sec_1m;
    bool want_coded = primary ? c->extended && c->coded_primary : c->sec_coded;
    /* each receiver has its own channeliser output, through its own filter */
    bool pre = q->out_rate == 4e6;
    if (want_rx) {
        ble_rx_cfg rc = c->legacy;
        rc.n_channels = 1;
        rc.channels[0] = channel;
        rc.offsets_hz[0] = 0.0;
        rc.sample_rate = q->out_rate;
        rc.extended = !primary;
        rc.prefiltered = pre;
        if (!(s->rx = ble_rx_create(&rc, e)))
            return e->code;
        if (!primary)
            q->n_sec1m++;
    }
    if (want_coded) {
        ble_coded_cfg cc;
        ble_coded_cfg_default(&cc);
        cc.sample_rate = q->out_rate;
        cc.offset_hz = 0;
        cc.channel = channel;
        cc.sync_threshold = c->coded_threshold;
        cc.prefiltered = pre;
        if (!(s->coded = ble_coded_create(&cc, e)))
            return e->code;
        q->n_coded++;
    }
    return SG_OK;
}

ble_scan *ble_scan_create(const ble_scan_cfg *c, sg_errinfo *e)
{
    if (!c) {
        sg_err_set(e, SG_EINVAL, "ble_scan: NULL configuration");
        return NULL;
    }
    double fs = c->legacy.sample_rate;
    if (c->extended) {
        if (!(fs >= 4e6)) {
            sg_err_set(e, SG_EINVAL, "ble: extended advertising (Coded PHY) needs sample_rate "
                                     ">= 4 MHz, got %g", fs);
            return NULL;
        }
        if (c->n_secondary < -1 || c->n_secondary > BLE_SCAN_MAX_SEC || c->max_secondary < 1 ||
            c->max_secondary > BLE_SCAN_MAX_SEC) {
            sg_err_set(e, SG_EINVAL, "ble_scan: secondary channel count out of range");
            return NULL;
        }
        for (int i = 0; i < c->n_secondary; i++)
            if (c->secondary[i] < 0 || c->secondary[i] > 36) {
                sg_err_set(e, SG_EINVAL, "ble_scan: secondary channel %d is not 0..36",
                           c->secondary[i]);
                return NULL;
            }
        if (!(c->coded_threshold >= 0.2 && c->coded_threshold <= 0.95)) {
            sg_err_set(e, SG_EINVAL, "ble_scan: coded_threshold must be in [0.2, 0.95], got %g",
                       c->coded_threshold);
            return NULL;
        }
    }
    if (!(c->squelch_db == 0 || (c->squelch_db >= 1 && c->squelch_db <= 30))) {
        sg_err_set(e, SG_EINVAL, "ble: squelch_db must be 0 (off) or in [1, 30] dB, got %g",
                   c->squelch_db);
        return NULL;
    }
    if (!(fs >= 2e6 && fs <= 1e9)) {
        sg_err_set(e, SG_EINVAL, "ble: sample_rate must be in [2 MHz, 1 GHz], got %g", fs);
        return NULL;
    }
    if (c->legacy.n_channels < 1 || c->legacy.n_channels > BLE_RX_MAX_CH) {
        sg_err_set(e, SG_EINVAL, "ble: 1..%d primary channels, got %d", BLE_RX_MAX_CH,
                   c->legacy.n_channels);
        return NULL;
    }
    for (int i = 0; i < c->legacy.n_channels; i++)
        if (!isnan(c->legacy.offsets_hz[i]) && !(fabs(c->legacy.offsets_hz[i]) <= fs / 2 - 0.7e6 + 1e-3)) {
            sg_err_set(e, SG_ERANGE, "ble: offsets_hz[%d] = %g Hz puts channel %d outside the %g Hz "
                                     "band", i, c->legacy.offsets_hz[i], c->legacy.channels[i], fs);
            return NULL;
        }
    ble_scan *q = calloc(1, sizeof *q);
    if (!q) {
        sg_err_set(e, SG_ENOMEM, "ble_scan: out of memory");
        return NULL;
    }
    q->cfg = *c;
    q->out_rate = fs < 4e6 ? fs : 4e6;
    ble_chain_init(&q->chain);
    /* the rate must be one the channeliser can divide exactly: tried once here */
    fftchan_cfg fc;
    chan_cfg(fs, q->out_rate, &fc);
    fc.n_channels = 1;
    fftchan *probe = fftchan_create(&fc, e);
    if (!probe) {
        free(q);
        return NULL;
    }
    fftchan_destroy(probe);
    for (int i = 0; i < c->legacy.n_channels; i++)
        if (add_channel(q, c->legacy.channels[i], true, e)) {
            ble_scan_destroy(q);
            return NULL;
        }
    return q;
}

static bool in_band(double off, double fs) { return fabs(off) + 1e6 <= fs / 2 + 1e-3; }

/* At the first block (offsets from its centre frequency): the secondary channels'
 * receivers and the channeliser for every channel. */
static int build(ble_scan *q, const sg_iq_block *blk, sg_errinfo *e)
{
    const ble_scan_cfg *c = &q->cfg;
    double fs = blk->sample_rate, fc = blk->center_freq;
    fftchan_cfg cc;
    chan_cfg(fs, q->out_rate, &cc);
    /* a build that failed before (a block the configuration cannot serve) left secondary
     * receivers behind: start again from the primary ones */
    for (int i = c->legacy.n_channels; i < q->n_ch; i++) {
        q->n_sec1m -= q->ch[i].rx != NULL;
        q->n_coded -= q->ch[i].coded != NULL;
        ble_rx_destroy(q->ch[i].rx);
        ble_coded_destroy(q->ch[i].coded);
        q->ch[i] = (scan_ch){0};
    }
    q->n_ch = c->legacy.n_channels;
    for (int i = 0; i < c->legacy.n_channels; i++) {
        int ch = c->legacy.channels[i];
        double off = c->legacy.offsets_hz[i];
        if (isnan(off)) {
            if (!(fc > 0))
                return sg_err_set(e, SG_ERANGE,
                                  "ble: channel %d: no offset configured and the block has no "
                                  "center_freq", ch);
            off = ble_channel_freq(ch) - fc;
        }
        if (!(fabs(off) <= fs / 2 - 0.7e6 + 1e-3))
            return sg_err_set(e, SG_ERANGE,
                              "ble: channel %d is %.0f Hz from DC, outside the %.0f Hz wide capture",
                              ch, off, fs);
        if (c->extended && c->coded_primary && !in_band(off, fs))
            return sg_err_set(e, SG_ERANGE, "ble: channel %d (offset %g Hz) is outside the %g Hz "
                                            "band for the Coded PHY", ch, off, fs);
        q->ch[i].off = off;
    }
    if (c->extended) {
        if (c->n_secondary != 0 && !(fc > 0))
            return sg_err_set(e, SG_ERANGE, "ble: secondary channels need the capture's centre "
                                            "frequency");
        int sec[BLE_SCAN_MAX_SEC], ns = 0;
        if (c->n_secondary >= 0) {
            for (int i = 0; i < c->n_secondary; i++) {
                int ch = c->secondary[i];
                if (!in_band(ble_channel_freq(ch) - fc, fs))
                    return sg_err_set(e, SG_ERANGE, "ble: secondary channel %d (%.0f MHz) is "
                                                    "outside the capture (%.0f MHz +- %.0f MHz)",
                                      ch, ble_channel_freq(ch) / 1e6, fc / 1e6, fs / 2e6);
                sec[ns++] = ch;
            }
        } else {
            /* every secondary channel inside the band, nearest the centre first */
            int cand[37], nc = 0;
            for (int k = 0; k <= 36; k++)
                if (in_band(ble_channel_freq(k) - fc, fs))
                    cand[nc++] = k;
            for (int i = 1; i < nc; i++)
                for (int j = i; j > 0 && fabs(ble_channel_freq(cand[j]) - fc) <
                                             fabs(ble_channel_freq(cand[j - 1]) - fc); j--) {
                    int t = cand[j];
                    cand[j] = cand[j - 1];
                    cand[j - 1] = t;
                }
            for (int i = 0; i < nc && i < c->max_secondary; i++)
                sec[ns++] = cand[i];
        }
        for (int i = 0; i < ns; i++) {
            int rc = add_channel(q, sec[i], false, e);
            if (rc)
                return rc;
            q->ch[q->n_ch - 1].off = ble_channel_freq(sec[i]) - fc;
        }
        q->st.n_secondary = ns;
    }
    int n = 0;
    for (int i = 0; i < q->n_ch; i++)
        for (int kind = 0; kind < 2; kind++) {
            if (!(kind ? q->ch[i].coded != NULL : q->ch[i].rx != NULL))
                continue;
            cc.offsets_hz[n] = q->ch[i].off;
            cc.shape[n] = q->out_rate != 4e6 ? NULL
                          : kind                ? ble_coded_filter_gain
                                                : ble_rx_filter_gain;
            cc.squelch_db[n] = kind ? 0.0 : c->squelch_db;
            q->out[n++] = 2 * i + kind;
        }
    cc.n_channels = n;
    if (!(q->chan = fftchan_create(&cc, e)))
        return e->code;
    q->built = true;
    return SG_OK;
}

static bool listened(const ble_scan *q, int channel, ble_phy phy)
{
    if (phy != BLE_PHY_1M && phy != BLE_PHY_CODED)
        return false; /* 2M secondary packets: not demodulated here */
    for (int i = 0; i < q->n_ch; i++) {
        const scan_ch *s = &q->ch[i];
        if (s->channel == channel &&
            (phy == BLE_PHY_1M ? s->rx != NULL && !s->primary : s->coded != NULL))
            return true;
    }
    return false;
}

static int cmp_t(const void *a, const void *b)
{
    double x = ((const ble_scan_rid *)a)->t, y = ((const ble_scan_rid *)b)->t;
    return (x > y) - (x < y);
}

static void deliver(ble_scan *q)
{
    qsort(q->pend, (size_t)q->n_pend, sizeof q->pend[0], cmp_t);
    for (int i = 0; i < q->n_pend; i++)
        if (q->cb)
            q->cb(q->user, &q->pend[i]);
    q->n_pend = 0;
}

/* One link-layer packet from any receiver: chain, Remote ID, queued for delivery. */
static void on_packet(ble_scan *q, const ble_ll_rec *r, double t, double power)
{
    if ((r->pdu[0] & 15) == BLE_ADV_EXT_IND) {
        ble_ext_adv x; /* ADV_EXT_IND, or an AUX_ADV_IND / AUX_CHAIN_IND continued */
        if (ble_ext_parse(r->pdu, r->pdu_len, &x) == SG_OK && x.has_aux) {
            q->st.aux_ptrs++;
            if (!listened(q, x.aux_channel, x.aux_phy))
                q->st.aux_unheard++;
        }
    }
    ble_adv_data d;
    ble_adv adv;
    if (ble_chain_feed_ll(&q->chain, r, t, &d) != SG_OK ||
        ble_ad_find_odid(d.adv_data, d.adv_data_len, &adv) != SG_OK || !adv.has_odid)
        return;
    q->st.rid_adverts++;
    if (q->n_pend == PENDING_MAX)
        deliver(q);
    ble_scan_rid *o = &q->pend[q->n_pend];
    int n = 0;
    if (odid_decode_payload(adv.odid, adv.odid_len, o->msgs, ODID_PACK_MAX, &n, NULL) != SG_OK ||
        n < 1) {
        q->st.rid_bad++;
        return;
    }
    q->st.rid_decoded++;
    o->n_msgs = n;
    o->t = t;
    for (int i = 0; i < 6; i++)
        o->mac[i] = d.adva[5 - i];
    o->phy = r->phy;
    o->coding = r->coding;
    o->channel = r->channel;
    o->power_dbfs = power;
    o->counter = adv.odid_counter;
    q->n_pend++;
}

static void on_legacy(void *user, const ble_rx_packet *p)
{
    ble_ll_rec r = {.channel = p->channel, .phy = BLE_PHY_1M, .rssi_dbm = NAN, .aa = BLE_AA_ADV,
                    .pdu = p->pdu, .pdu_len = p->pdu_len};
    on_packet(user, &r, p->t, p->power_dbfs);
}

static void on_coded(void *user, const ble_coded_packet *p)
{
    ble_scan *q = user;
    if (p->coding == 8)
        q->st.packets_s8++;
    else
        q->st.packets_s2++;
    ble_ll_rec r = {.channel = p->channel, .phy = BLE_PHY_CODED, .coding = p->coding,
                    .rssi_dbm = NAN, .aa = BLE_AA_ADV, .pdu = p->pdu, .pdu_len = p->pdu_len};
    on_packet(q, &r, p->t, NAN);
}

/* One output of the channeliser: to its receiver. */
static void on_chan(void *user, int i, const sg_iq_block *b)
{
    ble_scan *q = user;
    const scan_ch *s = &q->ch[q->out[i] / 2];
    if (!b->n) { /* the squelch closed the channel (1M only): the receiver finishes what it
                    holds; a sync it has to cut is counted apart from real truncations */
        ble_rx_stats a, z;
        ble_rx_get_stats(s->rx, &a);
        ble_rx_flush(s->rx, on_legacy, q);
        ble_rx_get_stats(s->rx, &z);
        q->sq_cut += z.truncated - a.truncated;
        return;
    }
    sg_errinfo e = {0};
    int rc = q->out[i] % 2 ? ble_coded_execute(s->coded, b, on_coded, q, &e)
                           : ble_rx_execute(s->rx, b, on_legacy, q, &e);
    if (rc && q->rc == SG_OK) {
        q->rc = rc;
        q->err = e;
    }
}

int ble_scan_execute(ble_scan *q, const sg_iq_block *blk, ble_scan_cb cb, void *user,
                     sg_errinfo *e)
{
    if (!q || !blk)
        return sg_err_set(e, SG_EINVAL, "ble_scan: NULL argument");
    if (fabs(blk->sample_rate - q->cfg.legacy.sample_rate) > 1e-6 * q->cfg.legacy.sample_rate)
        return sg_err_set(e, SG_EINVAL, "ble: block sample rate %g Hz, scanner built for %g Hz",
                          blk->sample_rate, q->cfg.legacy.sample_rate);
    int rc;
    if (!q->built && (rc = build(q, blk, e)))
        return rc;
    q->cb = cb;
    q->user = user;
    q->rc = SG_OK;
    rc = fftchan_execute(q->chan, blk, on_chan, q, e);
    deliver(q);
    if (rc == SG_OK && q->rc) {
        rc = q->rc;
        if (e)
            *e = q->err;
    }
    return rc;
}

int ble_scan_flush(ble_scan *q, ble_scan_cb cb, void *user)
{
    if (!q)
        return SG_EINVAL;
    q->cb = cb;
    q->user = user;
    if (q->chan)
        fftchan_flush(q->chan, on_chan, q);
    for (int i = 0; i < q->n_ch; i++) {
        if (q->ch[i].rx)
            ble_rx_flush(q->ch[i].rx, on_legacy, q);
        if (q->ch[i].coded)
            ble_coded_flush(q->ch[i].coded, on_coded, q);
    }
    deliver(q);
    return SG_OK;
}

void ble_scan_get_stats(const ble_scan *q, ble_scan_stats *s)
{
    *s = q->st;
    s->packets_1m = s->crc_fail_1m = s->syncs_coded = s->crc_fail_coded = s->truncated = 0;
    for (int i = 0; i < q->n_ch; i++) {
        if (q->ch[i].rx) {
            ble_rx_stats ls;
            ble_rx_get_stats(q->ch[i].rx, &ls);
            s->packets_1m += ls.crc_ok;
            s->crc_fail_1m += ls.crc_fail;
            s->truncated += ls.truncated;
        }
        if (q->ch[i].coded) {
            ble_coded_stats cs;
            ble_coded_get_stats(q->ch[i].coded, &cs);
            s->syncs_coded += cs.syncs;
            s->crc_fail_coded += cs.crc_fail;
            s->truncated += cs.truncated;
        }
    }
    s->truncated -= q->sq_cut;
    s->squelch_cut = q->sq_cut;
    s->squelch_blocks = s->squelch_skipped = 0;
    for (int i = 0; q->chan && i < 2 * MAX_CODED; i++) {
        uint64_t nb, ns;
        fftchan_squelch_stats(q->chan, i, &nb, &ns);
        s->squelch_blocks += nb;
        s->squelch_skipped += ns;
    }
    fftchan_fft_stats(q->chan, &s->fft_blocks, &s->fft_skipped);
    const ble_chain_stats *c = &q->chain.st;
    s->chain_lost = c->incomplete + c->orphans + c->overflow + c->truncated;
}

double ble_scan_hold_s(const ble_scan *q)
{
    /* the longest packet a receiver buffers (1 us per symbol / bit), with a margin, and
     * what the channeliser holds (at most one FFT block of FFTCHAN_MAX_N, and one more
     * with the squelch's pre-roll) */
    return 1.25e-6 * (q->cfg.extended ? BLE_CODED_MAX_SYMBOLS : BLE_PKT_MAX_BITS) +
           2.0 * FFTCHAN_MAX_N / q->cfg.legacy.sample_rate;
}
