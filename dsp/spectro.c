/* Streaming spectrogram (see spectro.h). The stream is staged in a linear buffer so
 * frames (which may overlap) are plain slices; each frame is windowed straight into
 * its slot of the batch input, and one fftwf_execute transforms the whole batch. */
#include "spectro.h"

/* windowing and |X|^2 must vectorise (see burst.c) */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O3", "no-trapping-math")
#endif

#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <fftw3.h>

#include "sg_simd.h"

/* Serialises FFTW planner calls (plan and destroy) across all spectrograms. */
static pthread_mutex_t planner_mu = PTHREAD_MUTEX_INITIALIZER;

void spectro_planner_lock(void)
{
    pthread_mutex_lock(&planner_mu);
}

void spectro_planner_unlock(void)
{
    pthread_mutex_unlock(&planner_mu);
}

struct spectro_s {
    spectro_cfg cfg;
    float *win;              /* window, scaled so sum(w^2) = 1 */
    float *win2;             /* the same, each value twice (interleaved re/im) */
    fftwf_complex *in, *out; /* batch x nfft */
    fftwf_plan plan;
    float complex *stage;    /* staged stream samples */
    size_t stage_cap, have;  /* capacity and samples staged */
    uint64_t stage_index;    /* stream index of stage[0] */
    bool primed;             /* stage_index is meaningful */
    unsigned slot;           /* frames waiting in the batch */
    uint64_t starts[256];    /* their stream indices */
    float *power;            /* one output frame */
    uint64_t frames;
};

void spectro_cfg_default(spectro_cfg *cfg)
{
    cfg->nfft = 1024;
    cfg->hop = 1024;
    cfg->batch = 16;
    cfg->window = SPECTRO_WIN_HANN;
    cfg->fftw_flags = FFTW_ESTIMATE;
}

spectro *spectro_create(const spectro_cfg *cfg, sg_errinfo *e)
{
    unsigned n = cfg->nfft;
    if (n < 16 || n > 65536 || (n & (n - 1))) {
        sg_err_set(e, SG_EINVAL, "spectro: nfft must be a power of two in [16, 65536], got %u", n);
        return NULL;
    }
    if (cfg->hop < 1 || cfg->hop > n) {
        sg_err_set(e, SG_EINVAL, "spectro: hop must be in [1, nfft=%u], got %u", n, cfg->hop);
        return NULL;
    }
    if (cfg->batch < 1 || cfg->batch > 256) {
        sg_err_set(e, SG_EINVAL, "spectro: batch must be in [1, 256], got %u", cfg->batch);
        return NULL;
    }
    if ((size_t)n * cfg->batch > ((size_t)1 << 22)) {
        sg_err_set(e, SG_EINVAL, "spectro: nfft x batch must be at most 4194304 (got %u x %u)", n,
                   cfg->batch);
        return NULL;
    }
    if ((unsigned)cfg->window > SPECTRO_WIN_RECT) {
        sg_err_set(e, SG_EINVAL, "spectro: unknown window %d", (int)cfg->window);
        return NULL;
    }
    spectro *q = calloc(1, sizeof *q);
    if (!q) {
        sg_err_set(e, SG_ENOMEM, "spectro: out of memory");
        return NULL;
    }
    q->cfg = *cfg;
    if (!q->cfg.fftw_flags)
        q->cfg.fftw_flags = FFTW_ESTIMATE;
    size_t tot = (size_t)n * cfg->batch;
    q->stage_cap = (size_t)n + (size_t)cfg->hop * cfg->batch;
    q->win = fftwf_alloc_real(n);
    q->win2 = fftwf_alloc_real(2 * n);
    q->power = fftwf_alloc_real(n);
    q->in = fftwf_alloc_complex(tot);
    q->out = fftwf_alloc_complex(tot);
    q->stage = malloc(q->stage_cap * sizeof *q->stage);
    if (!q->win || !q->win2 || !q->power || !q->in || !q->out || !q->stage) {
        sg_err_set(e, SG_ENOMEM, "spectro: out of memory (nfft %u, batch %u)", n, cfg->batch);
        spectro_destroy(q);
        return NULL;
    }
    memset(q->in, 0, tot * sizeof *q->in);
    int dims[1] = {(int)n};
    /* FFTW's planner is not thread-safe, and sensors plan on their own threads. */
    pthread_mutex_lock(&planner_mu);
    q->plan = fftwf_plan_many_dft(1, dims, (int)cfg->batch, q->in, NULL, 1, (int)n, q->out, NULL,
                                  1, (int)n, FFTW_FORWARD, q->cfg.fftw_flags);
    pthread_mutex_unlock(&planner_mu);
    if (!q->plan) {
        sg_err_set(e, SG_EINVAL, "spectro: FFTW could not plan %u x %u-point DFT", cfg->batch, n);
        spectro_destroy(q);
        return NULL;
    }
    double s2 = 0;
    for (unsigned i = 0; i < n; i++) {
        double x = 2.0 * M_PI * i / n, w;
        switch (cfg->window) {
        case SPECTRO_WIN_HANN: w = 0.5 - 0.5 * cos(x); break;
        case SPECTRO_WIN_HAMMING: w = 0.54 - 0.46 * cos(x); break;
        case SPECTRO_WIN_BLACKMAN: w = 0.42 - 0.5 * cos(x) + 0.08 * cos(2 * x); break;
        default: w = 1.0; break;
        }
        q->win[i] = (float)w;
        s2 += w * w;
    }
    /* sum(w^2) = 1 makes E|X[k]|^2 equal the noise variance per sample. */
    float g = (float)(1.0 / sqrt(s2));
    for (unsigned i = 0; i < n; i++) {
        q->win[i] *= g;
        q->win2[2 * i] = q->win2[2 * i + 1] = q->win[i];
    }
    return q;
}

void spectro_destroy(spectro *q)
{
    if (!q)
        return;
    if (q->plan) {
        pthread_mutex_lock(&planner_mu);
        fftwf_destroy_plan(q->plan);
        pthread_mutex_unlock(&planner_mu);
    }
    fftwf_free(q->win);
    fftwf_free(q->win2);
    fftwf_free(q->power);
    fftwf_free(q->in);
    fftwf_free(q->out);
    free(q->stage);
    free(q);
}

unsigned spectro_nfft(const spectro *q) { return q->cfg.nfft; }
uint64_t spectro_frames(const spectro *q) { return q->frames; }

void spectro_window_cdf(const spectro *q, float *cdf)
{
    double acc = 0;
    cdf[0] = 0;
    for (unsigned i = 0; i < q->cfg.nfft; i++) {
        acc += (double)q->win[i] * q->win[i]; /* window is scaled to sum(w^2) = 1 */
        cdf[i + 1] = (float)acc;
    }
}

void spectro_reset(spectro *q)
{
    q->have = 0;
    q->slot = 0;
    q->primed = false;
}

/* |X|^2 of batch slot b into p[nfft], fftshifted. */
SG_AVX2_CLONES static void slot_power(const spectro *q, unsigned b, float *restrict p)
{
    const size_t n = q->cfg.nfft, h = n / 2;
    const float *restrict lo = (const float *)(q->out + (size_t)b * n);
    const float *restrict hi = lo + 2 * h;
    size_t k0 = 0;
#if SG_HAVE_V8
    /* 8 bins at a time: re^2 + im^2 as the in-lane pair sums of the squares, then one
     * permute puts the bins in order (the same products and adds as below) */
    for (; k0 + 8 <= h; k0 += 8) {
        sg_v8f a, b, c, d;
        memcpy(&a, hi + 2 * k0, sizeof a);
        memcpy(&b, hi + 2 * k0 + 8, sizeof b);
        memcpy(&c, lo + 2 * k0, sizeof c);
        memcpy(&d, lo + 2 * k0 + 8, sizeof d);
        const sg_v8i ord = {0, 1, 4, 5, 2, 3, 6, 7};
        sg_v8f ph = __builtin_shuffle(SG_HADD8(a * a, b * b), ord);
        sg_v8f pl = __builtin_shuffle(SG_HADD8(c * c, d * d), ord);
        memcpy(p + k0, &ph, sizeof ph);
        memcpy(p + h + k0, &pl, sizeof pl);
    }
#endif
    for (size_t k = k0; k < h; k++) /* negative frequencies first */
        p[k] = hi[2 * k] * hi[2 * k] + hi[2 * k + 1] * hi[2 * k + 1];
    for (size_t k = k0; k < h; k++)
        p[k + h] = lo[2 * k] * lo[2 * k] + lo[2 * k + 1] * lo[2 * k + 1];
}

/* Transforms the first `count` slots and delivers them (shifted power). */
static void run_batch(spectro *q, unsigned count, spectro_frame_fn fn, void *user)
{
    fftwf_execute(q->plan);
    for (unsigned b = 0; b < count; b++) {
        slot_power(q, b, q->power);
        q->frames++;
        fn(user, q->power, q->starts[b]);
    }
    q->slot = 0;
}

void spectro_flush(spectro *q, spectro_frame_fn fn, void *user)
{
    if (q->slot)
        run_batch(q, q->slot, fn, user);
}

/* Windows samples [from, to) of a frame into their place in a slot; src points at
 * sample `from`. */
SG_AVX2_CLONES static void window_part(spectro *q, const float complex *src, unsigned slot,
                                       size_t from, size_t to)
{
    float *restrict d = (float *)(q->in + (size_t)slot * q->cfg.nfft) + 2 * from;
    const float *restrict s = (const float *)src;
    const float *restrict w = q->win2 + 2 * from;
    for (size_t i = 0; i < 2 * (to - from); i++)
        d[i] = s[i] * w[i];
}

static void window_into(spectro *q, const float complex *src, unsigned slot)
{
    window_part(q, src, slot, 0, q->cfg.nfft);
}

/* As window_part, reading a sample with a component beyond the limit's bit pattern
 * (|x| > limit, Inf, NaN) as 0: what frontend.h's input policy makes of it. */
SG_AVX2_CLONES static void window_part_limited(spectro *q, const float complex *src, unsigned slot,
                                size_t from, size_t to, uint32_t lim)
{
    float *restrict d = (float *)(q->in + (size_t)slot * q->cfg.nfft) + 2 * from;
    const float *restrict s = (const float *)src;
    const float *restrict w = q->win2 + 2 * from;
    /* written with bit masks, not a branch or a select, so GCC vectorises it */
    for (size_t i = 0; i < to - from; i++) {
        uint32_t a, b, xb, yb;
        memcpy(&a, &s[2 * i], 4);
        memcpy(&b, &s[2 * i + 1], 4);
        uint32_t keep = (((a & 0x7fffffffu) > lim) | ((b & 0x7fffffffu) > lim)) - 1u;
        float x = s[2 * i] * w[2 * i], y = s[2 * i + 1] * w[2 * i + 1];
        memcpy(&xb, &x, 4);
        memcpy(&yb, &y, 4);
        xb &= keep; /* a bad sample is +0, as the ring copy makes it */
        yb &= keep;
        memcpy(&d[2 * i], &xb, 4);
        memcpy(&d[2 * i + 1], &yb, 4);
    }
}

/* Samples [from, to) of the frame starting at stream index `start` (offsets in the frame),
 * all with index < x_index: from the ring, wrapping around its end. */
static void window_ring(spectro *q, const float complex *ring, uint64_t mask, uint64_t start,
                        unsigned slot, size_t from, size_t to, uint32_t lim)
{
    size_t i0 = (size_t)((start + from) & mask), room = (size_t)(mask + 1 - i0);
    if (room >= to - from) {
        window_part_limited(q, ring + i0, slot, from, to, lim);
    } else {
        window_part_limited(q, ring + i0, slot, from, from + room, lim);
        window_part_limited(q, ring, slot, from + room, to, lim);
    }
}

void spectro_transform(spectro *q, const spectro_source *src, const uint64_t *starts,
                       unsigned count, float *power)
{
    const size_t n = q->cfg.nfft;
    uint32_t lim;
    memcpy(&lim, &src->limit, sizeof lim);
    for (unsigned b = 0; b < count; b++) {
        uint64_t st = starts[b];
        /* the part before x_index from the ring, the rest from x */
        size_t split = st >= src->x_index ? 0
                       : src->x_index - st >= n ? n : (size_t)(src->x_index - st);
        if (split)
            window_ring(q, src->ring, src->ring_mask, st, b, 0, split, lim);
        if (split < n)
            window_part_limited(q, src->x + (st + split - src->x_index), b, split, n, lim);
    }
    fftwf_execute(q->plan);
    for (unsigned b = 0; b < count; b++)
        slot_power(q, b, power + (size_t)b * n);
}

void spectro_execute(spectro *q, const float complex *x, size_t n, uint64_t index,
                     spectro_frame_fn fn, void *user)
{
    const unsigned nfft = q->cfg.nfft, hop = q->cfg.hop;
    if (!q->primed || index != q->stage_index + q->have) {
        /* start or gap: staged samples cannot form a frame with the new ones */
        q->have = 0;
        q->stage_index = index;
        q->primed = true;
    }
    while (n) {
        /* No overlap and nothing staged: frame straight from the caller's buffer. */
        if (hop == nfft && q->have == 0 && n >= nfft) {
            window_into(q, x, q->slot);
            q->starts[q->slot++] = q->stage_index;
            if (q->slot == q->cfg.batch)
                run_batch(q, q->slot, fn, user);
            x += nfft;
            n -= nfft;
            q->stage_index += nfft;
            continue;
        }
        size_t take = q->stage_cap - q->have;
        if (take > n)
            take = n;
        memcpy(q->stage + q->have, x, take * sizeof *x);
        q->have += take;
        x += take;
        n -= take;
        size_t pos = 0;
        while (q->have - pos >= nfft) {
            window_into(q, q->stage + pos, q->slot);
            q->starts[q->slot++] = q->stage_index + pos;
            if (q->slot == q->cfg.batch)
                run_batch(q, q->slot, fn, user);
            pos += hop;
        }
        if (pos) {
            memmove(q->stage, q->stage + pos, (q->have - pos) * sizeof *q->stage);
            q->have -= pos;
            q->stage_index += pos;
        }
    }
}
