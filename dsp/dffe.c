/* DF front end (see dffe.h): channel 0 through the ordinary front end, all channels
 * into a short interleaved history ring, DoA per burst from the ring. */
#include "dffe.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK 65536 /* samples per channel fed at a time */

struct dffe_s {
    dffe_cfg cfg;
    frontend *fe;
    doa *d;
    unsigned m;
    double fs, fc;
    float complex *ring;     /* rcap x m, interleaved, slot = index % rcap */
    size_t rcap;
    uint64_t ring_end;       /* stream index one past the newest sample */
    uint64_t valid_from;     /* oldest index still meaningful (after a gap) */
    float complex *ch0;      /* CHUNK */
    float complex *seg;      /* seg_max x m */
    size_t seg_max;
    dffe_stats st;
    dffe_cb cb;
    void *user;
    dffe_region_fn hook;
    void *hook_user;
};

void dffe_set_region_hook(dffe *q, dffe_region_fn fn, void *user)
{
    q->hook = fn;
    q->hook_user = user;
}

void dffe_cfg_default(dffe_cfg *cfg)
{
    frontend_cfg_default(&cfg->fe);
    doa_cfg_default(&cfg->doa);
    cfg->doa_max_s = 2e-3;
    cfg->doa_max_windows = 256;
}

dffe *dffe_create(const dffe_cfg *cfg, sg_errinfo *e)
{
    if (!(cfg->doa_max_s >= 1e-5 && cfg->doa_max_s <= 0.05)) {
        sg_err_set(e, SG_EINVAL, "dffe: doa_max_s must be in [1e-5, 0.05] s, got %g",
                   cfg->doa_max_s);
        return NULL;
    }
    if (cfg->doa_max_windows < 8 || cfg->doa_max_windows > 65536) {
        sg_err_set(e, SG_EINVAL, "dffe: doa_max_windows must be in [8, 65536], got %u",
                   cfg->doa_max_windows);
        return NULL;
    }
    dffe *q = calloc(1, sizeof *q);
    if (!q) {
        sg_err_set(e, SG_ENOMEM, "dffe: out of memory");
        return NULL;
    }
    q->cfg = *cfg;
    q->m = cfg->array.n;
    q->d = doa_create(&cfg->array, &cfg->doa, e);
    q->fe = q->d ? frontend_create(&q->cfg.fe, e) : NULL;
    q->ch0 = malloc(CHUNK * sizeof *q->ch0);
    if (!q->d || !q->fe || !q->ch0) {
        if (q->d && q->fe)
            sg_err_set(e, SG_ENOMEM, "dffe: out of memory");
        dffe_destroy(q);
        return NULL;
    }
    return q;
}

void dffe_destroy(dffe *q)
{
    if (!q)
        return;
    frontend_destroy(q->fe);
    doa_destroy(q->d);
    free(q->ring);
    free(q->ch0);
    free(q->seg);
    free(q);
}

static int alloc_rate(dffe *q, double fs, sg_errinfo *e)
{
    free(q->ring);
    free(q->seg);
    q->ring = q->seg = NULL;
    q->seg_max = (size_t)ceil(q->cfg.doa_max_s * fs);
    size_t wmax = (size_t)q->cfg.doa_max_windows * q->cfg.doa.nfft;
    if (q->seg_max > wmax)
        q->seg_max = wmax;
    size_t margin = (size_t)ceil(q->cfg.fe.margin_s * fs);
    q->rcap = q->seg_max + margin + 4 * (size_t)q->cfg.fe.nfft + CHUNK;
    q->ring = malloc(q->rcap * q->m * sizeof *q->ring);
    q->seg = malloc(q->seg_max * q->m * sizeof *q->seg);
    if (!q->ring || !q->seg)
        return sg_err_set(e, SG_ENOMEM, "dffe: out of memory for %zu x %u history", q->rcap,
                          q->m);
    q->fs = fs;
    q->ring_end = q->valid_from = 0;
    return SG_OK;
}

/* Copies n samples (all channels) from stream index idx out of / into the ring, in at
 * most two contiguous runs. */
static void ring_read(const dffe *q, uint64_t idx, size_t n, float complex *out)
{
    size_t at = (size_t)(idx % q->rcap), first = q->rcap - at < n ? q->rcap - at : n;
    memcpy(out, q->ring + at * q->m, first * q->m * sizeof *out);
    memcpy(out + first * q->m, q->ring, (n - first) * q->m * sizeof *out);
}

static void ring_write(dffe *q, uint64_t idx, size_t n, const float complex *x)
{
    size_t at = (size_t)(idx % q->rcap), first = q->rcap - at < n ? q->rcap - at : n;
    memcpy(q->ring + at * q->m, x, first * q->m * sizeof *x);
    memcpy(q->ring, x + first * q->m, (n - first) * q->m * sizeof *x);
}

/* DoA of one burst from the history: the last seg_max samples of it, one front-end
 * frame (at most 1/8 of the burst) short of its end. */
static int burst_doa(dffe *q, const sg_burst *b, doa_result *r)
{
    memset(r, 0, sizeof *r);
    r->az = r->el = r->var_az = r->var_el = NAN;
    uint64_t start = b->sample_start, end = b->sample_start + b->sample_count;
    uint64_t guard = q->cfg.fe.nfft < b->sample_count / 8 ? q->cfg.fe.nfft : b->sample_count / 8;
    uint64_t seg_end = end - guard;
    uint64_t len = seg_end - start < q->seg_max ? seg_end - start : q->seg_max;
    if (len < (uint64_t)q->cfg.doa.min_windows * q->cfg.doa.nfft)
        return SG_ERANGE;
    uint64_t seg_start = seg_end - len;
    if (seg_start < q->valid_from || seg_end > q->ring_end || q->ring_end - seg_start > q->rcap)
        return SG_EOVERFLOW;
    ring_read(q, seg_start, (size_t)len, q->seg);
    double lo = b->fc - 0.5 * b->bandwidth - q->fc, hi = b->fc + 0.5 * b->bandwidth - q->fc;
    lo = fmax(lo, -0.5 * q->fs);
    hi = fmin(hi, 0.5 * q->fs);
    if (!(q->fc > 0) || !(lo < hi))
        return SG_EINVAL;
    doa_input in = {.x = q->seg, .n = (size_t)len, .channels = q->m, .fs = q->fs, .fc = q->fc,
                    .f_lo = lo, .f_hi = hi};
    if (q->hook)
        q->hook(q->hook_user, b, &in);
    return doa_execute(q->d, &in, r, NULL);
}

static void on_burst(void *user, const sg_burst *b, const float complex *iq, size_t n)
{
    dffe *q = user;
    doa_result r;
    int rc = burst_doa(q, b, &r);
    q->st.bursts++;
    switch (rc) {
    case SG_OK:
        q->st.bearings++;
        if (r.flags & DOA_AMB_AZIMUTH)
            q->st.ambiguous++;
        break;
    case SG_ERANGE: q->st.no_bearing_short++; break;
    case SG_EOVERFLOW: q->st.no_bearing_lost++; break;
    case SG_EFORMAT: q->st.no_bearing_bad++; break;
    default: q->st.no_bearing_other++; break;
    }
    if (rc) {
        r.az = r.el = NAN;
    }
    q->cb(q->user, b, iq, n, &r, rc);
}

int dffe_execute(dffe *q, const sg_iq_block *blk, dffe_cb cb, void *user, sg_errinfo *e)
{
    unsigned ch = blk->channels ? blk->channels : 1;
    if (ch != q->m) {
        q->st.blocks_refused++;
        return sg_err_set(e, SG_EINVAL, "dffe: block has %u channel%s but the array has %u elements",
                          ch, ch == 1 ? "" : "s", q->m);
    }
    if (q->fs != blk->sample_rate) {
        int rc = alloc_rate(q, blk->sample_rate, e);
        if (rc)
            return rc;
    }
    q->cb = cb;
    q->user = user;
    q->fc = blk->center_freq;
    if (blk->discontinuity || blk->sample_index != q->ring_end)
        q->valid_from = blk->sample_index;
    for (size_t done = 0; done < blk->n;) {
        size_t n = blk->n - done < CHUNK ? blk->n - done : CHUNK;
        uint64_t idx = blk->sample_index + done;
        const float complex *x = blk->x + done * q->m;
        ring_write(q, idx, n, x);
        for (size_t i = 0; i < n; i++)
            q->ch0[i] = x[i * q->m];
        q->ring_end = idx + n;
        sg_iq_block one = *blk;
        one.x = q->ch0;
        one.n = n;
        one.sample_index = idx;
        one.channels = 1;
        one.discontinuity = blk->discontinuity && done == 0;
        int rc = frontend_execute(q->fe, &one, on_burst, q);
        if (rc)
            return sg_err_set(e, rc, "dffe: %s", frontend_error(q->fe));
        done += n;
    }
    q->st.blocks++;
    q->st.samples += blk->n;
    return SG_OK;
}

int dffe_flush(dffe *q, dffe_cb cb, void *user, sg_errinfo *e)
{
    q->cb = cb;
    q->user = user;
    int rc = frontend_flush(q->fe, on_burst, q);
    return rc ? sg_err_set(e, rc, "dffe: %s", frontend_error(q->fe)) : SG_OK;
}

void dffe_stats_get(const dffe *q, dffe_stats *out)
{
    *out = q->st;
}

void dffe_frontend_stats(const dffe *q, frontend_stats_t *out)
{
    frontend_stats(q->fe, out);
}

doa *dffe_doa(dffe *q)
{
    return q->d;
}
