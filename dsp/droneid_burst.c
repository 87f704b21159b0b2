/* Front-end bursts -> DroneID messages (see droneid_burst.h): the shape gate and the
 * piecewise decoding of regions that hold more than one burst. */
#include "droneid_burst.h"

#include <math.h>
#include <string.h>

#include "frontend.h"

bool droneid_burst_candidate(const sg_burst *b)
{
    if (!b || !(b->duration >= 0.5e-3) || !(b->duration <= DRONEID_REGION_MAX_S) ||
        !(b->bandwidth >= 6.5e6))
        return false;
    /* one burst's length (565-665 us plus a frame of slack at each end): its band is the
     * burst's own; a longer region may be the union with a neighbour's */
    return b->duration > 0.8e-3 || b->bandwidth <= 10.5e6;
}

typedef struct {
    size_t a, n; /* piece of the region: iq[a .. a+n) */
} piece;

int droneid_burst_decode(droneid_rx *q, const sg_burst *b, const float complex *iq, size_t n,
                         double center_freq, droneid_msg *msgs, double *t_msg, size_t cap,
                         size_t *nmsg, droneid_burst_stats *st)
{
    if (!q || !b || !iq || !msgs || !nmsg)
        return SG_EINVAL;
    *nmsg = 0;
    if (cap > DRONEID_BURST_MAX)
        cap = DRONEID_BURST_MAX;
    if (!droneid_burst_candidate(b) || cap == 0)
        return SG_ENOTFOUND;
    double fs = droneid_rx_rate(q);
    if (!(fs > 0) || !isfinite(b->fc) || !isfinite(center_freq))
        return SG_EINVAL;
    if (st)
        st->regions++;
    /* iq[M] is the region's first sample: M margin samples on each side */
    size_t margin = n > b->sample_count ? (n - (size_t)b->sample_count) / 2 : 0;
    double t_iq0 = b->t_start - (double)margin / fs;
    double off = b->fc - center_freq;
    /* shortest piece worth a call: an 8-symbol burst less the receiver's edge slack */
    size_t min_len = (size_t)(droneid_layout_get(8)->len / DRONEID_FS * fs * 0.95);
    piece todo[2 * DRONEID_BURST_MAX + 2];
    size_t ntodo = 0, attempts = 0;
    todo[ntodo++] = (piece){0, n};
    while (ntodo > 0 && *nmsg < cap && attempts < 2 * DRONEID_BURST_MAX) {
        piece pc = todo[--ntodo];
        if (pc.n < min_len)
            continue;
        droneid_msg m;
        droneid_diag d;
        attempts++;
        if (st)
            st->attempts++;
        int rc = droneid_rx_decode(q, iq + pc.a, pc.n, off, &m, &d);
        if (rc != SG_OK) {
            if (st && d.rejected)
                st->rejected++;
            if (st && d.pre_verdict)
                st->pre_rejected++;
            continue;
        }
        /* the burst found: [s, e) in the region; search what is left on either side */
        double len_s = droneid_layout_get(d.nsym == 8 ? 8 : 9)->len / DRONEID_FS;
        double s_rel = d.start_s < 0 ? 0 : d.start_s;
        size_t s = pc.a + (size_t)(s_rel * fs);
        size_t e = s + (size_t)ceil(len_s * fs);
        if (e > pc.a + pc.n)
            e = pc.a + pc.n;
        msgs[*nmsg] = m;
        if (t_msg)
            t_msg[*nmsg] = t_iq0 + (double)pc.a / fs + d.start_s;
        (*nmsg)++;
        if (ntodo + 2 <= sizeof todo / sizeof todo[0]) {
            if (s > pc.a)
                todo[ntodo++] = (piece){pc.a, s - pc.a};
            if (pc.a + pc.n > e)
                todo[ntodo++] = (piece){e, pc.a + pc.n - e};
        }
    }
    /* time order (pieces are found best-first) */
    for (size_t i = 1; t_msg && i < *nmsg; i++)
        for (size_t j = i; j > 0 && t_msg[j] < t_msg[j - 1]; j--) {
            double t = t_msg[j];
            t_msg[j] = t_msg[j - 1];
            t_msg[j - 1] = t;
            droneid_msg mm = msgs[j];
            msgs[j] = msgs[j - 1];
            msgs[j - 1] = mm;
        }
    if (st) {
        st->decoded += *nmsg;
        if (*nmsg == 0)
            st->failed++;
        else if (*nmsg > 1)
            st->split++;
    }
    return *nmsg ? SG_OK : SG_ENOTFOUND;
}

typedef struct {
    droneid_span *sp;
    size_t cap, n, n_x, margin;
    double fs;
} scan_ctx;

static void scan_cb(void *user, const sg_burst *b, const float complex *iq, size_t n_iq)
{
    scan_ctx *c = user;
    (void)iq, (void)n_iq;
    if (!(b->bandwidth >= 7.5e6))
        return;
    if (c->n < c->cap) {
        droneid_span *sp = &c->sp[c->n];
        size_t s0 = (size_t)b->sample_start, s1 = s0 + (size_t)b->sample_count;
        sp->start = s0 > c->margin ? s0 - c->margin : 0;
        sp->len = (s1 + c->margin < c->n_x ? s1 + c->margin : c->n_x) - sp->start;
        sp->freq_offset_hz = b->fc;
        sp->bandwidth_hz = b->bandwidth;
        sp->duration_s = b->duration;
        sp->snr_db = b->mean_snr_db;
        sp->truncated = (b->flags & (SG_BURST_TRUNC_START | SG_BURST_TRUNC_END)) || s0 == 0 ||
                        s1 >= c->n_x;
    }
    c->n++;
}

int droneid_scan(const float complex *x, size_t n, double fs, droneid_span *spans,
                 size_t cap, size_t *nspans)
{
    if (nspans)
        *nspans = 0;
    if (!x || !spans || !nspans || !(fs > 0) || !isfinite(fs))
        return SG_EINVAL;
    frontend_cfg cfg;
    frontend_cfg_default(&cfg);
    cfg.sample_rate = fs;
    cfg.deliver_iq = false;
    sg_errinfo e = {0};
    frontend *fe = frontend_create(&cfg, &e);
    if (!fe)
        return e.code ? e.code : SG_ENOMEM;
    scan_ctx c = {.sp = spans, .cap = cap, .n_x = n, .fs = fs,
                  .margin = (size_t)ceil(20e-6 * fs)};
    sg_iq_block blk = {.x = x, .n = n, .sample_rate = fs};
    int rc = frontend_execute(fe, &blk, scan_cb, &c);
    if (rc == SG_OK)
        rc = frontend_flush(fe, scan_cb, &c);
    frontend_destroy(fe);
    *nspans = c.n < cap ? c.n : cap;
    return rc;
}
