/* FFT channeliser (see fftchan.h). */
#include "fftchan.h"

#include <complex.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <fftw3.h>

#include "spectro.h"

#define MAX_N FFTCHAN_MAX_N
#define OUT_CAP 4096               /* output samples per channel handed over at once */

typedef struct {
    double off;                    /* Hz */
    long k0;                       /* nearest bin */
    double delta;                  /* off - k0 * fs / N, Hz */
    float complex *out;            /* OUT_CAP + lk */
    size_t len;
    uint64_t out_index;            /* output index of out[0] */
} fch;

struct fftchan {
    fftchan_cfg cfg;
    int n, k, l, h;                /* FFT size, output bins, kept inputs, half overlap */
    int lk, hk;                    /* kept and dropped outputs per block */
    int j;                         /* mask half-width in bins */
    float *mask;                   /* 2j + 1 weights per channel */
    fftwf_complex *buf, *spec, *ybin, *y;
    fftwf_plan fwd, inv;
    int fill;                      /* samples in buf */
    uint64_t block;                /* blocks since the origin */
    uint64_t origin;               /* input index of the origin (restart) */
    uint64_t out_origin;           /* output index of the origin */
    uint64_t next_in;
    bool started, disc;
    double t0, center;
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
    spectro_planner_unlock();
    fftwf_free(q->buf);
    fftwf_free(q->spec);
    fftwf_free(q->ybin);
    fftwf_free(q->y);
    free(q->mask);
    for (int i = 0; i < FFTCHAN_MAX; i++)
        free(q->ch[i].out);
    free(q);
}

static void restart(fftchan *q, uint64_t index)
{
    memset(q->buf, 0, sizeof(fftwf_complex) * (size_t)q->n);
    q->fill = q->h; /* the half overlap before the first sample is silence */
    q->block = 0;
    q->origin = index;
    q->out_origin = (uint64_t)llround((double)index * q->cfg.out_rate / q->cfg.sample_rate);
    for (int i = 0; i < q->cfg.n_channels; i++) {
        q->ch[i].len = 0;
        q->ch[i].out_index = q->out_origin;
    }
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
    q->buf = fftwf_alloc_complex((size_t)q->n);
    q->spec = fftwf_alloc_complex((size_t)q->n);
    q->ybin = fftwf_alloc_complex((size_t)q->k);
    q->y = fftwf_alloc_complex((size_t)q->k);
    bool ok = q->mask && q->buf && q->spec && q->ybin && q->y;
    for (int i = 0; ok && i < c->n_channels; i++)
        ok = (q->ch[i].out = malloc(sizeof *q->ch[i].out * (size_t)(OUT_CAP + q->lk))) != NULL;
    if (ok) {
        spectro_planner_lock();
        q->fwd = fftwf_plan_dft_1d(q->n, q->buf, q->spec, FFTW_FORWARD, FFTW_ESTIMATE);
        q->inv = fftwf_plan_dft_1d(q->k, q->ybin, q->y, FFTW_BACKWARD, FFTW_ESTIMATE);
        spectro_planner_unlock();
        ok = q->fwd && q->inv;
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
    }
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

/* One full block in buf: every channel's kept outputs appended. */
static void run_block(fftchan *q, fftchan_cb cb, void *user)
{
    fftwf_execute(q->fwd);
    const float complex *X = (const float complex *)q->spec;
    float complex *Y = (float complex *)q->ybin;
    const float complex *y = (const float complex *)q->y;
    long n = q->n, k = q->k;
    /* input index (from the origin) of buf[0]; may be negative on the first block */
    long long s_rel = (long long)q->block * q->l - q->h;
    for (int i = 0; i < q->cfg.n_channels; i++) {
        fch *ch = &q->ch[i];
        const float *mk = q->mask + (size_t)i * (size_t)(2 * q->j + 1) + q->j;
        for (int jj = -q->j; jj <= q->j; jj++) {
            long b = ch->k0 + jj;
            long slot = jj < 0 ? jj + k : jj;
            Y[slot] = (b >= -n / 2 && b < (n + 1) / 2) ? X[b < 0 ? b + n : b] * mk[jj] : 0;
        }
        fftwf_execute(q->inv);
        if (ch->len + (size_t)q->lk > OUT_CAP)
            emit(q, i, cb, user);
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
        const float *yy = (const float *)(y + q->hk);
        for (int t = 0; t < q->lk; t++) { /* real arithmetic: no complex-multiply NaN path */
            float a = yy[2 * t], b = yy[2 * t + 1];
            o[2 * t] = a * rr - b * ri;
            o[2 * t + 1] = a * ri + b * rr;
            float nr = rr * sr - ri * si;
            ri = rr * si + ri * sr;
            rr = nr;
        }
        ch->len += (size_t)q->lk;
    }
    q->block++;
    memmove(q->buf, q->buf + q->l, sizeof(fftwf_complex) * (size_t)(q->n - q->l));
    q->fill = q->n - q->l;
}

static void push(fftchan *q, const float complex *x, size_t n, fftchan_cb cb, void *user)
{
    float complex *b = (float complex *)q->buf;
    while (n) {
        size_t take = (size_t)(q->n - q->fill);
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
        if (q->fill == q->n)
            run_block(q, cb, user);
    }
}

/* Zero-pads until every sample pushed since the origin has its output. */
static void drain(fftchan *q, fftchan_cb cb, void *user)
{
    /* samples pushed = block * l + fill - h; outputs complete = block * l */
    long long pushed = (long long)q->block * q->l + q->fill - q->h;
    while ((long long)q->block * q->l < pushed)
        push(q, NULL, (size_t)(q->n - q->fill), cb, user);
    /* the last block may overshoot into the padding: drop those outputs */
    long long extra_in = (long long)q->block * q->l - pushed;
    size_t extra = (size_t)(extra_in * q->k / q->n);
    for (int i = 0; i < q->cfg.n_channels; i++)
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

double fftchan_latency_s(const fftchan *q) { return (double)(q->n - q->h) / q->cfg.sample_rate; }
