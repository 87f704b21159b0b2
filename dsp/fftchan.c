/* FFT channeliser (see fftchan.h). */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O3", "no-trapping-math") /* vectorises the probe's window, the rotator */
#endif
#include "fftchan.h"

#include <complex.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <fftw3.h>

#include "spectro.h"

#define MAX_N FFTCHAN_MAX_N
#define OUT_CAP 4096               /* output samples per channel handed over at once */
#define HIST_BLOCKS 8              /* input history in blocks (moved down once per ~7 blocks) */

typedef struct {
    double off;                    /* Hz */
    long k0;                       /* nearest bin */
    double delta;                  /* off - k0 * fs / N, Hz */
    float complex *out;            /* OUT_CAP + lk */
    size_t len;
    uint64_t out_index;            /* output index of out[0] */
    long pb0, pb1;                 /* probe bins (signed) within pass_hz of the centre */
    long long last_blk;            /* block whose outputs end out[] (-1: none) */
    double thr;                    /* squelch: linear factor over the floor; 0: off */
    double floor;                  /* noise floor (block power); < 0: not yet measured */
    bool open;
    int hang;
    bool want;                     /* this block is output */
    uint64_t blocks, skipped;
} fch;

struct fftchan {
    fftchan_cfg cfg;
    int n, k, l, h;                /* FFT size, output bins, kept inputs, half overlap */
    int lk, hk;                    /* kept and dropped outputs per block */
    int j;                         /* mask half-width in bins */
    float *mask;                   /* 2j + 1 weights per channel */
    fftwf_complex *buf, *ybin, *y; /* ybin: the inverse plan's input */
    fftwf_complex *spec[2];        /* spectra of the last two transformed blocks */
    fftwf_complex *al;             /* an aligned copy of a block for the FFT */
    const fftwf_complex *in[2];    /* the current block's N samples and the one before's
                                      (in buf, or in place in the caller's input) */
    long long spec_blk[2];         /* their blocks (-1: none) */
    int cur;                       /* spec[cur]: the current block's */
    fftwf_plan fwd, inv;
    int cap;                       /* buf's size: N + HIST_BLOCKS * L */
    int wpos;                      /* buf[wpos]: the current block's first sample */
    int fill;                      /* samples in buf */
    int pm, pw, ps, p0;            /* probe: FFT size, windows per block, their spacing,
                                      the first one's offset in the kept samples */
    float *pwin;                   /* pm Hann weights, each twice (re, im) */
    fftwf_complex *pin, *pout;
    fftwf_plan pplan;
    uint64_t blocks, fft_skipped;  /* blocks; of those never forward-transformed */
    uint64_t block;                /* blocks since the origin */
    uint64_t origin;               /* input index of the origin (restart) */
    uint64_t out_origin;           /* output index of the origin */
    uint64_t next_in;
    bool started, disc;
    double t0, center;
    double rise;                   /* noise floor factor per block while loud */
    fch ch[FFTCHAN_MAX];
};

void fftchan_cfg_default(fftchan_cfg *c)
{
    memset(c, 0, sizeof *c);
    c->out_rate = 4e6;
    c->pass_hz = 0.8e6;
    c->stop_hz = 1.6e6;
    c->overlap_s = 5e-6;
}

/* fast: 2^a 3^b 5^c with b <= 1, c <= 3, the sizes FFTW runs near its best here (sizes
 * with 7, 3^2 or 5^4 measured 1.3-3x slower per point); else any 2^a 3^b 5^c 7^d. */
static bool smooth(int n, bool fast)
{
    while (n % 2 == 0)
        n /= 2;
    for (int i = 0; (!fast || i < 1) && n % 3 == 0; i++)
        n /= 3;
    for (int i = 0; (!fast || i < 3) && n % 5 == 0; i++)
        n /= 5;
    while (!fast && n % 7 == 0)
        n /= 7;
    return n == 1;
}

static long gcdl(long a, long b)
{
    while (b) {
        long t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* The cheapest N (flops per input sample, FFT as 5 N log2 N) for the configuration. */
static int choose(const fftchan_cfg *c, int *kk, int *ll, int *hh)
{
    double best = INFINITY;
    int bn = 0;
    double hmin = ceil(c->overlap_s * c->sample_rate / 2);
    for (int n = 16, fast = 1; n <= MAX_N || (fast && !bn); n++) {
        if (n > MAX_N) { /* no fast size: any smooth one */
            n = 16;
            fast = 0;
        }
        if (!smooth(n, fast))
            continue;
        double kf = n * c->out_rate / c->sample_rate;
        long k = lround(kf);
        if (k < 4 || fabs(kf - (double)k) > 1e-6)
            continue;
        long u = n / gcdl(n, k);
        long h = (long)ceil(hmin / (double)u) * u;
        long l = (n - 2 * h) / u * u;
        if (l < n / 4 || l <= 0)
            continue;
        double j = c->stop_hz * n / c->sample_rate;
        double cost = (5.0 * n * log2(n) +
                       c->n_channels * (5.0 * (double)k * log2((double)k) + 6 * (2 * j + 1))) /
                      (double)l;
        if (cost < best) {
            best = cost;
            bn = n;
            *kk = (int)k;
            *ll = (int)l;
            *hh = (int)h;
        }
    }
    return bn;
}

void fftchan_destroy(fftchan *q)
{
    if (!q)
        return;
    spectro_planner_lock();
    if (q->fwd)
        fftwf_destroy_plan(q->fwd);
    if (q->inv)
        fftwf_destroy_plan(q->inv);
    if (q->pplan)
        fftwf_destroy_plan(q->pplan);
    spectro_planner_unlock();
    fftwf_free(q->buf);
    fftwf_free(q->spec[0]);
    fftwf_free(q->spec[1]);
    fftwf_free(q->al);
    fftwf_free(q->ybin);
    fftwf_free(q->y);
    fftwf_free(q->pin);
    fftwf_free(q->pout);
    free(q->pwin);
    free(q->mask);
    for (int i = 0; i < FFTCHAN_MAX; i++)
        free(q->ch[i].out);
    free(q);
}

static void restart(fftchan *q, uint64_t index)
{
    memset(q->buf, 0, sizeof(fftwf_complex) * (size_t)q->h);
    q->wpos = 0;
    q->fill = q->h; /* the half overlap before the first sample is silence */
    q->block = 0;
    q->spec_blk[0] = q->spec_blk[1] = -1;
    q->origin = index;
    q->out_origin = (uint64_t)llround((double)index * q->cfg.out_rate / q->cfg.sample_rate);
    for (int i = 0; i < q->cfg.n_channels; i++) {
        fch *ch = &q->ch[i];
        ch->len = 0;
        ch->out_index = q->out_origin;
        ch->last_blk = -1;
        ch->floor = -1;
        ch->open = true;
        ch->hang = FFTCHAN_HANG;
    }
}

/* The probe (all channels squelched): the smallest power-of-two FFT with bins no wider
 * than pass_hz / 2; FFTCHAN_PROBE_S of each block's kept samples (all of them if the block
 * is shorter) in windows of that size spread evenly over it. No probe (pm = 0) if a
 * channel is not squelched or a block is shorter than one window. */
static int probe_setup(fftchan *q)
{
    const fftchan_cfg *c = &q->cfg;
    bool all = true;
    for (int i = 0; i < c->n_channels; i++)
        all = all && c->squelch_db[i] > 0;
    int m = 16;
    while (c->sample_rate / m > c->pass_hz / 2 && m < 4096)
        m *= 2;
    if (!all || m > q->l)
        return 0;
    q->pm = m;
    q->pw = (int)ceil(FFTCHAN_PROBE_S * c->sample_rate / m);
    if (q->pw > q->l / m)
        q->pw = q->l / m;
    if ((q->l + q->pw * m) / c->sample_rate <= FFTCHAN_PROBE_SPAN_S) {
        q->ps = m; /* back to back: every window of one block inside any short packet */
        q->p0 = (q->l - q->pw * m) / 2;
    } else {
        q->ps = q->l / q->pw;
        q->p0 = (q->ps - m) / 2;
    }
    q->pwin = malloc(sizeof *q->pwin * 2 * (size_t)m);
    q->pin = fftwf_alloc_complex((size_t)m * (size_t)q->pw);
    q->pout = fftwf_alloc_complex((size_t)m * (size_t)q->pw);
    if (!q->pwin || !q->pin || !q->pout)
        return SG_ENOMEM;
    for (int t = 0; t < m; t++)
        q->pwin[2 * t] = q->pwin[2 * t + 1] = (float)(0.5 - 0.5 * cos(2 * M_PI * (t + 0.5) / m));
    spectro_planner_lock();
    q->pplan = fftwf_plan_many_dft(1, &m, q->pw, q->pin, NULL, 1, m, q->pout, NULL, 1, m,
                                   FFTW_FORWARD, FFTW_ESTIMATE); /* all windows at once */
    spectro_planner_unlock();
    if (!q->pplan)
        return SG_ENOMEM;
    double bin = c->sample_rate / m;
    for (int i = 0; i < c->n_channels; i++) {
        fch *ch = &q->ch[i];
        ch->pb0 = (long)ceil((c->offsets_hz[i] - c->pass_hz) / bin);
        ch->pb1 = (long)floor((c->offsets_hz[i] + c->pass_hz) / bin);
        if (ch->pb0 < -m / 2)
            ch->pb0 = -m / 2;
        if (ch->pb1 > m / 2 - 1)
            ch->pb1 = m / 2 - 1;
        if (ch->pb0 > ch->pb1) /* at the band edge: the nearest bin */
            ch->pb0 = ch->pb1 = lround(c->offsets_hz[i] / bin) < 0 ? -m / 2 : m / 2 - 1;
    }
    return SG_OK;
}

fftchan *fftchan_create(const fftchan_cfg *c, sg_errinfo *e)
{
    if (!c) {
        sg_err_set(e, SG_EINVAL, "fftchan: NULL configuration");
        return NULL;
    }
    if (!(c->sample_rate > 0) || !isfinite(c->sample_rate) || !(c->out_rate > 0) ||
        !(c->out_rate <= c->sample_rate)) {
        sg_err_set(e, SG_EINVAL, "fftchan: need 0 < out_rate (%g Hz) <= sample_rate (%g Hz)",
                   c->out_rate, c->sample_rate);
        return NULL;
    }
    if (!(c->pass_hz > 0 && c->pass_hz < c->stop_hz && c->stop_hz <= c->out_rate / 2)) {
        sg_err_set(e, SG_EINVAL, "fftchan: need 0 < pass_hz (%g) < stop_hz (%g) <= out_rate / 2",
                   c->pass_hz, c->stop_hz);
        return NULL;
    }
    if (!(c->overlap_s > 0 && c->overlap_s * c->sample_rate < MAX_N / 2)) {
        sg_err_set(e, SG_EINVAL, "fftchan: overlap_s %g s out of range", c->overlap_s);
        return NULL;
    }
    if (c->n_channels < 1 || c->n_channels > FFTCHAN_MAX) {
        sg_err_set(e, SG_EINVAL, "fftchan: n_channels must be 1..%d, got %d", FFTCHAN_MAX,
                   c->n_channels);
        return NULL;
    }
    for (int i = 0; i < c->n_channels; i++)
        if (!(c->squelch_db[i] >= 0 && c->squelch_db[i] <= 30)) {
            sg_err_set(e, SG_EINVAL, "fftchan: channel %d squelch_db %g must be 0 (off) or in "
                       "(0, 30] dB", i, c->squelch_db[i]);
            return NULL;
        }
    for (int i = 0; i < c->n_channels; i++)
        if (!isfinite(c->offsets_hz[i]) ||
            fabs(c->offsets_hz[i]) > c->sample_rate / 2) {
            sg_err_set(e, SG_ERANGE, "fftchan: channel %d offset %g Hz is outside the %g Hz band",
                       i, c->offsets_hz[i], c->sample_rate);
            return NULL;
        }
    fftchan *q = calloc(1, sizeof *q);
    if (!q) {
        sg_err_set(e, SG_ENOMEM, "fftchan: out of memory");
        return NULL;
    }
    q->cfg = *c;
    if (!(q->n = choose(c, &q->k, &q->l, &q->h))) {
        free(q);
        sg_err_set(e, SG_EINVAL, "fftchan: no FFT size up to %d gives %g Hz from %g Hz exactly",
                   MAX_N, c->out_rate, c->sample_rate);
        return NULL;
    }
    q->lk = (int)((long)q->l * q->k / q->n);
    q->hk = (int)((long)q->h * q->k / q->n);
    q->j = (int)floor(c->stop_hz * q->n / c->sample_rate);
    if (2 * q->j + 1 > q->k)
        q->j = (q->k - 1) / 2;
    q->mask = malloc(sizeof *q->mask * (size_t)(2 * q->j + 1) * (size_t)c->n_channels);
    q->cap = q->n + HIST_BLOCKS * q->l;
    q->buf = fftwf_alloc_complex((size_t)q->cap);
    q->spec[0] = fftwf_alloc_complex((size_t)q->n);
    q->spec[1] = fftwf_alloc_complex((size_t)q->n);
    q->ybin = fftwf_alloc_complex((size_t)q->k);
    q->y = fftwf_alloc_complex((size_t)q->k);
    q->al = fftwf_alloc_complex((size_t)q->n);
    bool ok = q->mask && q->buf && q->spec[0] && q->spec[1] && q->ybin && q->y && q->al;
    for (int i = 0; ok && i < c->n_channels; i++)
        ok = (q->ch[i].out = malloc(sizeof *q->ch[i].out * (size_t)(OUT_CAP + q->lk))) != NULL;
    if (ok) {
        spectro_planner_lock();
        q->fwd = fftwf_plan_dft_1d(q->n, q->buf, q->spec[0], FFTW_FORWARD, FFTW_ESTIMATE);
        q->inv = fftwf_plan_dft_1d(q->k, q->ybin, q->y, FFTW_BACKWARD, FFTW_ESTIMATE);
        spectro_planner_unlock();
        ok = q->fwd && q->inv && probe_setup(q) == SG_OK;
    }
    if (!ok) {
        fftchan_destroy(q);
        sg_err_set(e, SG_ENOMEM, "fftchan: out of memory");
        return NULL;
    }
    double bin = c->sample_rate / q->n;
    for (int jj = -q->j; jj <= q->j; jj++) {
        double f = fabs(jj * bin), w;
        if (f <= c->pass_hz)
            w = 1;
        else if (f >= c->stop_hz)
            w = 0;
        else
            w = 0.5 * (1 + cos(M_PI * (f - c->pass_hz) / (c->stop_hz - c->pass_hz)));
        for (int i = 0; i < c->n_channels; i++) /* with FFTW's unnormalised transforms */
            q->mask[i * (2 * q->j + 1) + jj + q->j] =
                (float)(w * (c->shape[i] ? c->shape[i](jj * bin) : 1.0) / q->n);
    }
    memset(q->ybin, 0, sizeof(fftwf_complex) * (size_t)q->k);
    for (int i = 0; i < c->n_channels; i++) {
        fch *ch = &q->ch[i];
        ch->off = c->offsets_hz[i];
        ch->k0 = lround(ch->off / bin);
        ch->delta = ch->off - (double)ch->k0 * bin;
        ch->thr = c->squelch_db[i] > 0 ? pow(10.0, c->squelch_db[i] / 10.0) : 0.0;
    }
    q->rise = pow(10.0, FFTCHAN_FLOOR_RISE_DB / 10.0 * q->l / c->sample_rate);
    restart(q, 0);
    return q;
}

static void emit(fftchan *q, int i, fftchan_cb cb, void *user)
{
    fch *ch = &q->ch[i];
    if (!ch->len)
        return;
    sg_iq_block b = {.x = ch->out, .n = ch->len, .sample_index = ch->out_index,
                     .sample_rate = q->cfg.out_rate,
                     .center_freq = q->center > 0 ? q->center + ch->off : 0,
                     .t0 = q->t0 + (double)q->origin / q->cfg.sample_rate -
                           (double)q->out_origin / q->cfg.out_rate,
                     .discontinuity = q->disc};
    if (cb)
        cb(user, i, &b);
    ch->out_index += ch->len;
    ch->len = 0;
}

static void emit_all(fftchan *q, fftchan_cb cb, void *user)
{
    for (int i = 0; i < q->cfg.n_channels; i++)
        emit(q, i, cb, user);
    q->disc = false;
}

/* Channel i's masked bins of spectrum X into ybin; returns their power. */
static float mask_bins(const fftchan *q, int i, const fftwf_complex *Xs, float complex *Y)
{
    const fch *ch = &q->ch[i];
    const float complex *X = (const float complex *)Xs;
    const float *mk = q->mask + (size_t)i * (size_t)(2 * q->j + 1) + q->j;
    long n = q->n, k = q->k;
    float p = 0.0f;
    for (int jj = -q->j; jj <= q->j; jj++) {
        long b = ch->k0 + jj;
        float complex v = (b >= -n / 2 && b < (n + 1) / 2) ? X[b < 0 ? b + n : b] * mk[jj] : 0;
        if (Y)
            Y[jj < 0 ? jj + k : jj] = v;
        p += crealf(v) * crealf(v) + cimagf(v) * cimagf(v);
    }
    return p;
}

/* Channel i's outputs of block blk (from the origin) from that block's spectrum X,
 * appended. */
static void out_block(fftchan *q, int i, const fftwf_complex *X, long long blk, fftchan_cb cb,
                      void *user)
{
    fch *ch = &q->ch[i];
    mask_bins(q, i, X, (float complex *)q->ybin);
    fftwf_execute_dft(q->inv, q->ybin, q->y);
    uint64_t idx = q->out_origin + (uint64_t)blk * (uint64_t)q->lk;
    if (ch->len && (ch->out_index + ch->len != idx || ch->len + (size_t)q->lk > OUT_CAP))
        emit(q, i, cb, user);
    if (!ch->len)
        ch->out_index = idx;
    long n = q->n;
    /* input index (from the origin) of buf[0]; may be negative on the first block */
    long long s_rel = blk * q->l - q->h;
    /* mixing of the bin shift at the block start, and the residual offset */
    long long m = ((long long)(ch->k0 % n) * (s_rel % n)) % n;
    double cyc = (double)m / (double)n + fmod(ch->delta * (double)s_rel / q->cfg.sample_rate, 1.0);
    double dstep = ch->delta / q->cfg.out_rate;
    cyc += dstep * q->hk;
    double complex r0 = cexp(-I * 2 * M_PI * (cyc - floor(cyc)));
    double complex st = cexp(-I * 2 * M_PI * dstep);
    float rr = (float)creal(r0), ri = (float)cimag(r0);
    const float sr = (float)creal(st), si = (float)cimag(st);
    float *o = (float *)(ch->out + ch->len);
    const float *yy = (const float *)(q->y + q->hk);
    for (int t = 0; t < q->lk; t++) { /* real arithmetic: no complex-multiply NaN path */
        float a = yy[2 * t], b = yy[2 * t + 1];
        o[2 * t] = a * rr - b * ri;
        o[2 * t + 1] = a * ri + b * rr;
        float nr = rr * sr - ri * si;
        ri = rr * si + ri * sr;
        rr = nr;
    }
    ch->len += (size_t)q->lk;
    ch->last_blk = blk;
}

/* The squelch of channel i on a block of power p: true to output it. */
static bool squelch_open(fftchan *q, fch *ch, double p)
{
    bool loud = !isfinite(p) || (ch->floor >= 0 && p > ch->floor * ch->thr);
    if (isfinite(p)) {
        if (ch->floor < 0 || (p < ch->floor / ch->thr && !q->pm))
            ch->floor = p;
        else if (!loud)
            ch->floor += (p - ch->floor) * 0.125;
        else
            ch->floor *= q->rise;
    }
    if (loud || q->block < FFTCHAN_WARMUP) {
        ch->hang = FFTCHAN_HANG;
        return true;
    }
    if (ch->hang > 0) {
        ch->hang--;
        return true;
    }
    return false;
}

/* The spectrum of block blk (the current one or the one before), transformed if not yet. */
static const fftwf_complex *spectrum(fftchan *q, long long blk)
{
    int s = blk == (long long)q->block ? q->cur : q->cur ^ 1;
    if (q->spec_blk[s] != blk) {
        /* FFTW's out-of-place complex transforms leave their input as it is (the caller's
         * block, when read in place) */
        fftwf_complex *in = (fftwf_complex *)q->in[blk == (long long)q->block ? 0 : 1];
        if (fftwf_alignment_of((float *)in) != fftwf_alignment_of((float *)q->buf)) {
            memcpy(q->al, in, sizeof *in * (size_t)q->n);
            in = q->al;
        }
        fftwf_execute_dft(q->fwd, in, q->spec[s]);
        q->spec_blk[s] = blk;
    }
    return q->spec[s];
}

/* Probe powers of every channel in the current block: the Hann-windowed short FFTs of its
 * kept samples' probe windows, summed over each channel's bins. */
static void probe(fftchan *q, float *p)
{
    const int m = q->pm;
    const float *x = (const float *)(q->in[0] + q->h);
    const float *restrict wn = q->pwin;
    for (int w = 0; w < q->pw; w++) {
        const float *restrict xs = x + 2 * ((size_t)w * (size_t)q->ps + (size_t)q->p0);
        float *restrict pi = (float *)(q->pin + (size_t)w * (size_t)m);
        for (int t = 0; t < 2 * m; t += 16) /* this window of the next block */
            __builtin_prefetch(xs + 2 * q->l + t);
        for (int t = 0; t < 2 * m; t++)
            pi[t] = xs[t] * wn[t];
    }
    fftwf_execute(q->pplan);
    for (int i = 0; i < q->cfg.n_channels; i++)
        p[i] = 0.0f;
    for (int w = 0; w < q->pw; w++) {
        const float complex *po = (const float complex *)(q->pout + (size_t)w * (size_t)m);
        for (int i = 0; i < q->cfg.n_channels; i++)
            for (long b = q->ch[i].pb0; b <= q->ch[i].pb1; b++) {
                float complex v = po[b < 0 ? b + m : b];
                p[i] += crealf(v) * crealf(v) + cimagf(v) * cimagf(v);
            }
    }
}

/* One full block at in[0] (the block before at in[1]): every channel's kept outputs
 * appended (squelch permitting). With the probe, no forward FFT unless a channel is open. */
static void run_block(fftchan *q, fftchan_cb cb, void *user)
{
    long long blk = (long long)q->block;
    int nc = q->cfg.n_channels;
    float pp[FFTCHAN_MAX];
    bool any = false;
    q->blocks++;
    if (q->pm)
        probe(q, pp);
    for (int i = 0; i < nc; i++) {
        fch *ch = &q->ch[i];
        if (ch->thr > 0) {
            float p = q->pm ? pp[i] : mask_bins(q, i, spectrum(q, blk), NULL);
            ch->blocks++;
            ch->want = squelch_open(q, ch, p);
        } else {
            ch->want = true;
        }
        any = any || ch->want;
    }
    if (!any)
        q->fft_skipped++;
    for (int i = 0; i < nc; i++) {
        fch *ch = &q->ch[i];
        if (ch->want) {
            if (ch->thr > 0 && !ch->open && blk > 0) { /* pre-roll: the block before, skipped */
                if (q->spec_blk[q->cur ^ 1] != blk - 1)
                    q->fft_skipped--; /* transformed after all */
                out_block(q, i, spectrum(q, blk - 1), blk - 1, cb, user);
                ch->skipped--;
            }
            ch->open = true;
            out_block(q, i, spectrum(q, blk), blk, cb, user);
        } else {
            ch->skipped++;
            if (ch->open) { /* closing: what is held, then the end of the stretch */
                ch->open = false;
                emit(q, i, cb, user);
                sg_iq_block b = {.x = ch->out, .n = 0, .sample_index = ch->out_index,
                                 .sample_rate = q->cfg.out_rate};
                if (cb)
                    cb(user, i, &b);
            }
        }
    }
    /* the spectrum of this block, if made, is the one before for the next */
    if (q->spec_blk[q->cur] == blk)
        q->cur ^= 1;
    q->block++;
}

/* Appends n samples (zeros if x is NULL) to buf, running every block they complete there. */
static void push_buf(fftchan *q, const float complex *x, size_t n, fftchan_cb cb, void *user)
{
    float complex *b = (float complex *)q->buf;
    while (n) {
        if (q->wpos + q->n > q->cap) { /* the history down: keep the block before */
            int keep = q->wpos - (q->block > 0 ? q->l : 0);
            memmove(b, b + keep, sizeof *b * (size_t)(q->fill - keep));
            q->wpos -= keep;
            q->fill -= keep;
        }
        size_t take = (size_t)(q->wpos + q->n - q->fill);
        if (take > n)
            take = n;
        if (x)
            memcpy(b + q->fill, x, take * sizeof *x);
        else
            memset(b + q->fill, 0, take * sizeof *b);
        q->fill += (int)take;
        if (x)
            x += take;
        n -= take;
        if (q->fill == q->wpos + q->n) {
            q->in[0] = q->buf + q->wpos;
            q->in[1] = q->wpos >= q->l ? q->buf + q->wpos - q->l : NULL; /* none before 0 */
            run_block(q, cb, user);
            q->wpos += q->l;
        }
    }
}

/* n input samples. With the probe (most blocks never transformed), the blocks that start
 * before x (their first samples are in buf) are completed in buf; the blocks inside x are
 * read in place (no copy); what the next block needs, from the start of the block before
 * it (the pre-roll), is then kept in buf. Without it every block is transformed and x
 * goes through buf (aligned for the FFT: in place, a misaligned block would be copied
 * whole, N samples per L; measured ~10 % slower). */
static void push(fftchan *q, const float complex *x, size_t n, fftchan_cb cb, void *user)
{
    if (!q->pm) {
        push_buf(q, x, n, cb, user);
        return;
    }
    /* positions from the start of block 0: buf[wpos] is block `block`'s first sample */
    long long xs = (long long)q->block * q->l + (q->fill - q->wpos), xe = xs + (long long)n;
    long long first = (xs + q->l - 1) / q->l; /* the first block starting in x */
    long long need = (first - 1) * q->l + q->n - xs; /* samples of x the blocks before take */
    size_t a = x && need < (long long)n ? (size_t)(need > 0 ? need : 0) : n;
    push_buf(q, x, a, cb, user);
    if (a == n)
        return;
    if ((long long)q->block * q->l + q->n > xe) { /* no block inside x: all to buf */
        push_buf(q, x + a, n - a, cb, user);
        return;
    }
    while ((long long)q->block * q->l + q->n <= xe) {
        long long s0 = (long long)q->block * q->l - xs;
        q->in[0] = (const fftwf_complex *)(x + s0);
        q->in[1] = s0 >= q->l ? q->in[0] - q->l : q->buf + q->wpos - q->l;
        run_block(q, cb, user);
    }
    /* keep from the start of the block before the next one (inside x) */
    long long k0 = ((long long)q->block - 1) * q->l - xs;
    memcpy(q->buf, x + k0, sizeof *x * (size_t)((long long)n - k0));
    q->wpos = q->l;
    q->fill = (int)((long long)n - k0);
}

/* Zero-pads until every sample pushed since the origin has its output. */
static void drain(fftchan *q, fftchan_cb cb, void *user)
{
    /* samples pushed = block * l + (fill - wpos) - h; outputs complete = block * l */
    long long pushed = (long long)q->block * q->l + (q->fill - q->wpos) - q->h;
    while ((long long)q->block * q->l < pushed)
        push(q, NULL, (size_t)(q->wpos + q->n - q->fill), cb, user);
    /* the last block may overshoot into the padding: drop those outputs */
    long long extra_in = (long long)q->block * q->l - pushed;
    size_t extra = (size_t)(extra_in * q->k / q->n);
    for (int i = 0; i < q->cfg.n_channels; i++) /* if the last block was output */
        if (q->ch[i].last_blk == (long long)q->block - 1)
            q->ch[i].len -= extra < q->ch[i].len ? extra : q->ch[i].len;
    emit_all(q, cb, user);
}

int fftchan_execute(fftchan *q, const sg_iq_block *in, fftchan_cb cb, void *user,
                    sg_errinfo *e)
{
    if (!q || !in || (in->n && !in->x))
        return sg_err_set(e, SG_EINVAL, "fftchan: NULL argument");
    if (fabs(in->sample_rate - q->cfg.sample_rate) > 1e-6 * q->cfg.sample_rate)
        return sg_err_set(e, SG_EINVAL, "fftchan: block at %g Hz, channeliser built for %g Hz",
                          in->sample_rate, q->cfg.sample_rate);
    if (q->started && (in->discontinuity || in->sample_index != q->next_in)) {
        drain(q, cb, user);
        restart(q, in->sample_index);
        q->disc = true;
    } else if (!q->started) {
        restart(q, in->sample_index);
        q->disc = in->discontinuity;
    }
    q->started = true;
    q->t0 = in->t0;
    q->center = in->center_freq;
    q->next_in = in->sample_index + in->n;
    push(q, in->x, in->n, cb, user);
    emit_all(q, cb, user);
    return SG_OK;
}

int fftchan_flush(fftchan *q, fftchan_cb cb, void *user)
{
    if (!q)
        return SG_EINVAL;
    if (q->started)
        drain(q, cb, user);
    q->started = false;
    return SG_OK;
}

void fftchan_sizes(const fftchan *q, int *n, int *l, int *k)
{
    *n = q->n;
    *l = q->l;
    *k = q->k;
}

void fftchan_fft_stats(const fftchan *q, uint64_t *blocks, uint64_t *skipped)
{
    *blocks = q ? q->blocks : 0;
    *skipped = q ? q->fft_skipped : 0;
}

void fftchan_squelch_stats(const fftchan *q, int ch, uint64_t *blocks, uint64_t *skipped)
{
    bool ok = q && ch >= 0 && ch < q->cfg.n_channels;
    *blocks = ok ? q->ch[ch].blocks : 0;
    *skipped = ok ? q->ch[ch].skipped : 0;
}

double fftchan_latency_s(const fftchan *q)
{
    bool sq = false;
    for (int i = 0; i < q->cfg.n_channels; i++)
        sq = sq || q->ch[i].thr > 0;
    return (double)(q->n - q->h + (sq ? q->l : 0)) / q->cfg.sample_rate;
}
