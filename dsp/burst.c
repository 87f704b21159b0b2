/* Burst detector: adaptive floor + CFAR + streaming grouping (see burst.h).
 * The per-frame work that runs on every frame (normalise, smooth, compare) is kept to
 * straight loops the compiler vectorises; the run/region bookkeeping only runs on
 * frames that have hot cells. */
/* The per-frame loops must vectorise; -O2 (RelWithDebInfo) only does so for loops
 * whose trip count is a compile-time multiple of the vector width. Before burst_int.h:
 * its inline cell steps are compiled with it too. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O3", "no-trapping-math")
#endif

#include "burst_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sg_types.h"

/* Frames with a band seed a region needs: the spectral splatter of a hard-keyed carrier's
 * onset (one or two frames of energy across the whole band) does not make a burst */
#define BAND_SEED_FRAMES 3
/* band_gap_frames applies to a region whose mean excess over the floor (linear, per hot
 * cell) is under this (~6 dB): the band detector loses only weak bursts for a frame, and
 * strong bursts a few us apart stay apart */
#define BAND_GAP_MAX_EXCESS 3.0

void burstdet_cfg_default(burstdet_cfg *c, unsigned nfft, unsigned hop)
{
    memset(c, 0, sizeof *c);
    c->nfft = nfft;
    c->hop = hop;
    c->threshold_db = 7.0;
    c->seed_db = 10.0;
    c->smooth_bins = 2;
    c->wide_bins = 8;
    c->wide_threshold_db = 3.5;
    c->wide_seed_db = 5.5;
    c->band_bins = 0;
    c->band_sigma = 4;
    c->band_seed_sigma = 6;
    c->band_kappa = 1.944;
    c->merge_bins = 2;
    c->gap_frames = 0;
    c->min_frames = 1;
    c->min_bins = 3;
    c->max_frames = 4096;
    c->warmup_frames = 64;
    c->noise_alpha = 1.0 / 128;
    c->noise_alpha_busy = 1e-5;
    c->noise_decim = 4;
    c->max_regions = 64;
}

static int bad(sg_errinfo *e, const char *what)
{
    return sg_err_set(e, SG_EINVAL, "burst detector: %s", what);
}

burstdet *burstdet_create(const burstdet_cfg *c, sg_errinfo *e)
{
    unsigned n = c->nfft;
    if (n < 16 || n > 65536 || (n & (n - 1))) {
        bad(e, "nfft must be a power of two in [16, 65536]");
        return NULL;
    }
    if (c->hop < 1 || c->hop > n) { bad(e, "hop must be in [1, nfft]"); return NULL; }
    if (!(c->threshold_db >= 1 && c->threshold_db <= 40)) {
        bad(e, "threshold_db must be in [1, 40]");
        return NULL;
    }
    if (!(c->seed_db >= c->threshold_db && c->seed_db <= 50)) {
        bad(e, "seed_db must be in [threshold_db, 50]");
        return NULL;
    }
    if (c->smooth_bins > 16 || 2 * c->smooth_bins + 1 >= n) {
        bad(e, "smooth_bins must be in [0, 16]");
        return NULL;
    }
    if (c->wide_bins && (c->wide_bins < 2 || c->wide_bins > 64 ||
                         (c->wide_bins & (c->wide_bins - 1)) || c->wide_bins * 4 >= n)) {
        bad(e, "wide_bins must be 0 or a power of two in [2, 64] below nfft/4");
        return NULL;
    }
    if (c->wide_bins && !(c->wide_threshold_db >= 0.5 && c->wide_threshold_db <= 40 &&
                          c->wide_seed_db >= c->wide_threshold_db && c->wide_seed_db <= 50)) {
        bad(e, "wide_threshold_db must be in [0.5, 40] and wide_seed_db in [wide_threshold_db, 50]");
        return NULL;
    }
    if (c->band_bins && (c->band_bins % 4 || c->band_bins < 16 || c->band_bins + 8 > n)) {
        bad(e, "band_bins must be 0 or a multiple of 4 in [16, nfft - 8]");
        return NULL;
    }
    if (c->band_bins && !(c->band_sigma >= 2 && c->band_sigma <= 20 &&
                          c->band_seed_sigma >= c->band_sigma && c->band_seed_sigma <= 40 &&
                          c->band_kappa >= 1 && c->band_kappa <= 4)) {
        bad(e, "band_sigma must be in [2, 20], band_seed_sigma in [band_sigma, 40] and "
               "band_kappa in [1, 4]");
        return NULL;
    }
    if (c->merge_bins > 64) { bad(e, "merge_bins must be in [0, 64]"); return NULL; }
    if (c->gap_frames > 64 || c->band_gap_frames > 64) {
        bad(e, "gap_frames and band_gap_frames must be in [0, 64]");
        return NULL;
    }
    if (c->min_frames < 1 || c->min_bins < 1 || c->min_bins > n) {
        bad(e, "min_frames and min_bins must be >= 1 (min_bins <= nfft)");
        return NULL;
    }
    if (c->max_frames < c->min_frames || c->max_frames < 2) {
        bad(e, "max_frames must be >= 2 and >= min_frames");
        return NULL;
    }
    if (c->warmup_frames < 8 || c->warmup_frames > 4096) {
        bad(e, "warmup_frames must be in [8, 4096]");
        return NULL;
    }
    if (!(c->noise_alpha > 0 && c->noise_alpha <= 1)) { bad(e, "noise_alpha must be in (0, 1]"); return NULL; }
    if (!(c->noise_alpha_busy >= 0 && c->noise_alpha_busy <= c->noise_alpha)) {
        bad(e, "noise_alpha_busy must be in [0, noise_alpha]");
        return NULL;
    }
    if (c->noise_decim < 1 || c->noise_decim > 64) { bad(e, "noise_decim must be in [1, 64]"); return NULL; }
    if (c->max_regions < 1 || c->max_regions > 4096) { bad(e, "max_regions must be in [1, 4096]"); return NULL; }

    burstdet *q = calloc(1, sizeof *q);
    if (!q) {
        sg_err_set(e, SG_ENOMEM, "burst detector: out of memory");
        return NULL;
    }
    q->cfg = *c;
    q->cfg.window_cdf = NULL;
    q->noise = malloc(n * sizeof(float));
    q->inv = malloc(n * sizeof(float));
    q->r = malloc(n * sizeof(float));
    q->s = calloc(n, sizeof(float));
    q->hot = calloc(n + 8, 1);
    q->runs = malloc((n + 2) * sizeof(uint32_t));
    q->wbuf = malloc((size_t)c->warmup_frames * n * sizeof(float));
    q->wstart = malloc(c->warmup_frames * sizeof(uint64_t));
    q->reg = calloc(c->max_regions, sizeof(region));
    if (c->wide_bins) {
        q->n_grp = n / c->wide_bins;
        while ((1u << q->gshift) < c->wide_bins)
            q->gshift++;
        q->grp = calloc(2 * q->n_grp, sizeof(float));
    }
    /* with the band detector: the hot-frame counts after the profiles */
    q->profs = calloc((size_t)c->max_regions * n * (c->band_bins ? 2 : 1), sizeof(float));
    if (c->band_bins) {
        if (burstband_init(&q->band, c) != SG_OK) {
            sg_err_set(e, SG_ENOMEM, "burst detector: out of memory (nfft %u, %u regions)", n,
                       c->max_regions);
            burstdet_destroy(q);
            return NULL;
        }
    }
    if (c->window_cdf) {
        q->cdf = malloc((n + 1) * sizeof(float));
        if (q->cdf)
            memcpy(q->cdf, c->window_cdf, (n + 1) * sizeof(float));
    }
    if (!q->noise || !q->inv || !q->r || !q->s || !q->hot || !q->runs || !q->wbuf || !q->wstart || !q->reg ||
        !q->profs || (c->wide_bins && !q->grp) ||
        (c->window_cdf && !q->cdf)) {
        sg_err_set(e, SG_ENOMEM, "burst detector: out of memory (nfft %u, %u regions)", n,
                   c->max_regions);
        burstdet_destroy(q);
        return NULL;
    }
    for (unsigned i = 0; i < c->max_regions; i++) {
        q->reg[i].prof = q->profs + (size_t)i * n;
        q->reg[i].hits = c->band_bins ? q->profs + ((size_t)c->max_regions + i) * n : NULL;
    }
    q->thr = (float)pow(10.0, c->threshold_db / 10.0);
    q->seed = (float)pow(10.0, c->seed_db / 10.0);
    q->wthr = (float)pow(10.0, c->wide_threshold_db / 10.0);
    q->wseed = (float)pow(10.0, c->wide_seed_db / 10.0);
    q->seg_pending = true;
    return q;
}

void burstdet_destroy(burstdet *q)
{
    if (!q)
        return;
    free(q->noise);
    free(q->inv);
    free(q->r);
    free(q->s);
    free(q->hot);
    free(q->runs);
    free(q->wbuf);
    free(q->wstart);
    free(q->reg);
    free(q->profs);
    free(q->grp);
    burstband_free(&q->band);
    free(q->cdf);
    free(q);
}

void burstdet_stats_get(const burstdet *q, burstdet_stats *out)
{
    *out = q->st;
    out->warm = q->warm;
}

float burstdet_floor(const burstdet *q, unsigned k)
{
    return (q->warm && k < q->cfg.nfft) ? q->noise[k] : NAN;
}

/* Sample offset inside a frame where the window's cumulative energy reaches c. */
static unsigned cdf_inv(const float *cdf, unsigned n, double c)
{
    unsigned lo = 0, hi = n;
    while (lo < hi) {
        unsigned mid = (lo + hi) / 2;
        if (cdf[mid] < c)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* A weak region the band detector marked: it may bridge band_gap_frames, and its bandwidth
 * counts a bin's frames that were not hot as the floor (excess 0), not as empty (-1): the
 * band detector's edges wander from frame to frame, and at ~0 dB that -1 would cut a flat
 * band's edges off. */
static bool region_weak_band(const region *g)
{
    return g->band && g->nf && g->e_sum < BAND_GAP_MAX_EXCESS * (double)g->ncell;
}

static void region_report(burstdet *q, region *g, uint32_t extra, burstdet_fn fn, void *user)
{
    const unsigned n = q->cfg.nfft;
    uint64_t frames = g->f_last - g->f_first + 1;
    if (!g->seeded && !(g->flags & SG_BURST_TRUNC_START && g->cont)) {
        q->st.regions_weak++;
        return;
    }
    /* occupied bandwidth: the bins holding 99% of the excess energy (0.5% cut on
     * each side), as for an occupied-bandwidth measurement. Only bins whose mean
     * excess is significant (3 sigma of a noise bin's mean over the region's frames)
     * count, so noise cells swept in at the edges do not widen it. */
    const double fr = (double)frames, sig = 3.0 / sqrt(fr);
    const float *hits = g->hits && region_weak_band(g) ? g->hits : NULL;
    double tot = 0;
    for (unsigned k = g->lo; k <= g->hi; k++) {
        double x = hits ? (g->prof[k] - hits[k]) / fr : g->prof[k] / fr - 1.0;
        tot += x > sig ? x : 0;
    }
    unsigned klo = g->lo, khi = g->hi;
    if (tot > 0) {
        double acc = 0;
        bool have_lo = false;
        for (unsigned k = g->lo; k <= g->hi; k++) {
            double x = hits ? (g->prof[k] - hits[k]) / fr : g->prof[k] / fr - 1.0;
            acc += x > sig ? x : 0;
            if (!have_lo && acc > 0.005 * tot) {
                klo = k;
                have_lo = true;
            }
            if (acc >= 0.995 * tot) {
                khi = k;
                break;
            }
        }
    }
    double sum = 0;
    for (unsigned k = klo; k <= khi; k++)
        sum += g->prof[k];
    unsigned nb = khi - klo + 1;
    if (frames < q->cfg.min_frames || nb < q->cfg.min_bins) {
        q->st.regions_small++;
        return;
    }
    burstdet_region out;
    out.frames = frames;
    out.bin_lo = klo;
    out.bin_hi = khi;
    out.peak_snr = g->peak - 1.0 > 1e-3 ? g->peak - 1.0 : 1e-3;
    double m = sum / ((double)frames * nb) - 1.0;
    out.mean_snr = m > 1e-3 ? m : 1e-3;
    out.flags = g->flags | extra;
    out.sample_start = g->s_first;
    out.sample_end = g->s_last + n;
    if (q->cdf && frames >= 3) {
        double ref = (g->e_sum - g->e_first - g->e_last) / (double)(frames - 2);
        if (ref > 0) {
            double qs = g->e_first / ref, qe = g->e_last / ref;
            if (qs < 1 && !(out.flags & SG_BURST_TRUNC_START))
                out.sample_start = g->s_first + cdf_inv(q->cdf, n, 1.0 - qs);
            if (qe < 1 && !(out.flags & SG_BURST_TRUNC_END))
                out.sample_end = g->s_last + cdf_inv(q->cdf, n, qe);
        }
    }
    if (out.sample_end <= out.sample_start)
        out.sample_end = out.sample_start + 1;
    q->st.regions++;
    fn(user, &out);
}

static void region_clear(burstdet *q, region *g)
{
    memset(g->prof + g->lo, 0, (g->hi - g->lo + 1) * sizeof(float));
    if (g->hits)
        memset(g->hits + g->lo, 0, (g->hi - g->lo + 1) * sizeof(float));
    float *p = g->prof, *h = g->hits;
    memset(g, 0, sizeof *g);
    g->prof = p;
    g->hits = h;
    (void)q;
}

/* Folds region b into a (both open). */
static void region_merge(burstdet *q, region *a, region *b)
{
    bool a_empty = !a->started;
    if (b->started) {
        a->started = true;
        if (a_empty || b->f_first < a->f_first) {
            a->e_first = b->e_first;
            a->f_first = b->f_first;
            a->s_first = b->s_first;
        } else if (b->f_first == a->f_first) {
            a->e_first += b->e_first;
        }
        if (!a->nf || (b->nf && b->f_last > a->f_last)) {
            a->e_last = b->e_last;
            a->f_last = b->f_last;
            a->s_last = b->s_last;
        } else if (b->f_last == a->f_last) {
            a->e_last += b->e_last;
        }
        a->e_sum += b->e_sum;
        a->nf = a->nf > b->nf ? a->nf : b->nf;
        for (unsigned k = b->lo; k <= b->hi; k++)
            a->prof[k] += b->prof[k];
        if (a->hits)
            for (unsigned k = b->lo; k <= b->hi; k++)
                a->hits[k] += b->hits[k];
        if (b->lo < a->lo || a_empty)
            a->lo = b->lo;
        if (b->hi > a->hi || a_empty)
            a->hi = b->hi;
        if (b->peak > a->peak)
            a->peak = b->peak;
    }
    a->flags |= b->flags;
    a->seeded |= b->seeded;
    a->band |= b->band;
    a->ncell += b->ncell;
    a->bseeds += b->bseeds;
    a->seeded |= a->bseeds >= BAND_SEED_FRAMES;
    if (b->touched == a->touched && a->touched) {
        a->e_cur += b->e_cur;
        if (b->clo < a->clo) a->clo = b->clo;
        if (b->chi > a->chi) a->chi = b->chi;
    } else if (b->touched > a->touched) {
        a->e_cur = b->e_cur;
        a->clo = b->clo;
        a->chi = b->chi;
        a->touched = b->touched;
    }
    if (b->elo < a->elo) a->elo = b->elo;
    if (b->ehi > a->ehi) a->ehi = b->ehi;
    region_clear(q, b);
}

/* One hot run [a, b] of frame f (stream index start), cells v. */
static void add_run(burstdet *q, const frame_view *v, unsigned a, unsigned b, uint64_t start)
{
    const unsigned mg = q->cfg.merge_bins, R = q->cfg.max_regions;
    const uint64_t tag = q->f + 1;
    region *hit = NULL;
    for (unsigned i = 0; i < q->reg_end; i++) {
        region *g = &q->reg[i];
        if (!g->used)
            continue;
        /* overlap with the previous extent, or the extent already built this frame */
        /* a run inside the band the region already covers continues it (a chirp
         * wrapping around), otherwise it must touch the previous frame's extent */
        bool ov = (g->started && g->lo <= a + mg && b <= g->hi + mg) ||
                  (g->elo <= b + mg && a <= g->ehi + mg) ||
                  (g->touched == tag && g->clo <= b + mg && a <= g->chi + mg);
        if (!ov)
            continue;
        if (!hit)
            hit = g;
        else
            region_merge(q, hit, g);
    }
    if (!hit) {
        for (unsigned i = 0; i < R; i++) {
            if (!q->reg[i].used) {
                hit = &q->reg[i];
                if (q->reg_end < i + 1)
                    q->reg_end = i + 1;
                break;
            }
        }
        if (!hit) {
            q->st.regions_dropped++;
            return;
        }
        hit->used = true;
        hit->elo = a;
        hit->ehi = b;
    }
    if (hit->touched != tag) {
        hit->touched = tag;
        hit->e_cur = 0;
        hit->clo = a;
        hit->chi = b;
    } else {
        if (a < hit->clo) hit->clo = a;
        if (b > hit->chi) hit->chi = b;
    }
    if (!hit->started) {
        hit->started = true;
        hit->f_first = q->f;
        hit->s_first = start;
        hit->lo = a;
        hit->hi = b;
        if (q->f == q->seg_first)
            hit->flags |= SG_BURST_TRUNC_START;
    }
    if (a < hit->lo) hit->lo = a;
    if (b > hit->hi) hit->hi = b;
    const float *r = v->r, *s = v->s;
    float pk = hit->peak;
    double e = 0;
    const float inv_w = 1.0f / (float)(2 * q->cfg.smooth_bins + 1);
    for (unsigned k = a; k <= b; k++) {
        hit->prof[k] += r[k];
        e += r[k] - 1.0f;
        if (s[k] * inv_w > pk)
            pk = s[k] * inv_w;
    }
    if (hit->hits)
        for (unsigned k = a; k <= b; k++)
            hit->hits[k] += 1.0f;
    hit->peak = pk;
    hit->e_cur += e;
    hit->ncell += b - a + 1;
    if (v->marked && !hit->band)
        for (unsigned k = a; k <= b && !hit->band; k++)
            hit->band = v->bpk[k] > 0;
    if (!hit->seeded) {
        hit->seeded = pk >= q->seed;
        if (q->grp) /* wide seeds: the 3-group means (second half of grp) */
            for (unsigned j = a >> q->gshift; j <= (b >> q->gshift) && j < q->n_grp; j++)
                hit->seeded |= v->grp[q->n_grp + j] >= q->wseed;
        if (v->marked && hit->bseed_tag != tag) { /* band seeds, in BAND_SEED_FRAMES frames */
            for (unsigned k = a; k <= b; k++)
                if (v->bpk[k] >= q->band.seed) {
                    hit->bseed_tag = tag;
                    hit->seeded = ++hit->bseeds >= BAND_SEED_FRAMES;
                    break;
                }
        }
    }
}

/* End of frame bookkeeping: finish touched regions, close stale ones. */
static void end_frame(burstdet *q, uint64_t start, burstdet_fn fn, void *user)
{
    const uint64_t tag = q->f + 1;
    for (unsigned i = 0; i < q->reg_end; i++) {
        region *g = &q->reg[i];
        if (!g->used)
            continue;
        if (g->touched == tag) {
            if (!g->nf)
                g->e_first = g->e_cur;
            g->e_last = g->e_cur;
            g->e_sum += g->e_cur;
            g->nf++;
            g->f_last = q->f;
            g->s_last = start;
            g->elo = g->clo;
            g->ehi = g->chi;
            if (g->f_last - g->f_first + 1 >= q->cfg.max_frames) {
                region_report(q, g, SG_BURST_CONTINUING, fn, user);
                unsigned elo = g->elo, ehi = g->ehi;
                region_clear(q, g);
                g->used = true; /* the emission goes on: next chunk continues it */
                g->elo = elo;
                g->ehi = ehi;
                g->flags = SG_BURST_TRUNC_START;
                g->cont = true;
                g->touched = tag;
            }
            continue;
        }
        const unsigned gap = region_weak_band(g) && q->cfg.band_gap_frames > q->cfg.gap_frames
                                 ? q->cfg.band_gap_frames
                                 : q->cfg.gap_frames;
        if (!g->nf) {
            if (q->f >= g->touched + gap) /* empty continuation that ended */
                region_clear(q, g);
        } else if (q->f - g->f_last > gap) {
            region_report(q, g, 0, fn, user);
            region_clear(q, g);
        }
    }
    while (q->reg_end && !q->reg[q->reg_end - 1].used)
        q->reg_end--;
}

/* The region bookkeeping of a frame whose cells are v. */
void burstdet_frame_regions(burstdet *q, const frame_view *v, uint64_t start, burstdet_fn fn,
                            void *user)
{
    if (q->seg_pending) {
        q->seg_first = q->f;
        q->seg_pending = false;
    }
    for (unsigned i = 0; i < v->n_runs; i++)
        add_run(q, v, v->runs[2 * i], v->runs[2 * i + 1], start);
    end_frame(q, start, fn, user);
    q->last_f = q->f + 1;
    q->f++;
    q->st.frames++;
}

BURST_CLONES static void detect(burstdet *q, const float *p, uint64_t start, burstdet_fn fn, void *user)
{
    unsigned hot = cells_pre(q, p, q->inv, q->r, q->s, q->grp);
    if (q->ff % q->cfg.noise_decim == 0)
        floor_update(q, p, q->s);
    q->ff++;
    frame_view v = {.r = q->r, .s = q->s, .grp = q->grp, .bpk = q->band.pk, .runs = q->runs};
    v.n_runs = cells_post(q, q->band.pk ? &q->band : NULL, q->r, q->s, hot, q->hot, q->runs,
                          &q->st.hot_cells);
    v.marked = q->band.marked;
    burstdet_frame_regions(q, &v, start, fn, user);
}

/* k-th smallest of v[0..n-1] (reorders v): quickselect, O(n). */
static float select_kth(float *v, unsigned n, unsigned k)
{
    unsigned lo = 0, hi = n - 1;
    while (lo < hi) {
        float piv = v[(lo + hi) / 2];
        unsigned i = lo, j = hi;
        while (i <= j) {
            while (v[i] < piv)
                i++;
            while (v[j] > piv)
                j--;
            if (i <= j) {
                float t = v[i];
                v[i] = v[j];
                v[j] = t;
                i++;
                if (j == 0)
                    break;
                j--;
            }
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            return v[k];
    }
    return v[k];
}

/* The warm-up's order statistics 8 bins at a time, for ranks under this */
#define WARM_SEL_MAX 32

#if defined(__GNUC__)
typedef float warm_v8f __attribute__((vector_size(32)));
typedef int32_t warm_v8i __attribute__((vector_size(32)));

/* out[l] = the (k+1)-th smallest of bin k0 + l over the w frames of wbuf (n bins each),
 * l = 0..7, k < WARM_SEL_MAX: the value select_kth gives, without gathering a strided
 * column per bin. Each lane keeps its k+1 smallest values so far in order and every frame's
 * value is inserted by compare-exchange down the list (branch-free, in vectors). */
BURST_CLONES static void warm_select8(const float *wbuf, unsigned n, unsigned w, unsigned k,
                                      unsigned k0, float *out)
{
    warm_v8f a[WARM_SEL_MAX];
    const float inf = INFINITY; /* the powers are finite (frontend.h input policy) */
    for (unsigned j = 0; j <= k; j++)
        a[j] = (warm_v8f){inf, inf, inf, inf, inf, inf, inf, inf};
    for (unsigned i = 0; i < w; i++) {
        warm_v8f v;
        memcpy(&v, wbuf + (size_t)i * n + k0, sizeof v);
        for (unsigned j = 0; j <= k; j++) {
            warm_v8i lt = a[j] < v, x = (warm_v8i)a[j], y = (warm_v8i)v;
            a[j] = (warm_v8f)((x & lt) | (y & ~lt)); /* the smaller stays */
            v = (warm_v8f)((y & lt) | (x & ~lt));    /* the larger goes on down */
        }
    }
    memcpy(out, &a[k], sizeof a[k]);
}
#endif

/* Seeds the floor from the warm-up frames, then detects on them. */
static void finish_warmup(burstdet *q, burstdet_fn fn, void *user)
{
    const unsigned n = q->cfg.nfft, w = q->wn, kth = (w - 1) / 4;
    if (!w)
        return;
    float col[8 + 4096]; /* 8 results, then a column */
    /* 25th percentile of an exponential variable is 0.2877 x its mean */
    const double scale = 1.0 / -log(0.75);
    for (unsigned k = 0; k < n; k += 8) { /* n is a power of two >= 16 */
#if defined(__GNUC__)
        if (kth < WARM_SEL_MAX) {
            warm_select8(q->wbuf, n, w, kth, k, col);
        } else
#endif
        {
            for (unsigned l = 0; l < 8; l++) {
                for (unsigned i = 0; i < w; i++)
                    col[8 + i] = q->wbuf[(size_t)i * n + k + l];
                col[l] = select_kth(col + 8, w, kth);
            }
        }
        for (unsigned l = 0; l < 8; l++)
            q->r[k + l] = (float)(col[l] * scale);
    }
    /* 5-bin mean: the per-bin percentile of a few dozen frames is noisy */
    for (unsigned k = 0; k < n; k++) {
        unsigned a = k >= 2 ? k - 2 : 0, b = k + 2 < n ? k + 2 : n - 1;
        double acc = 0;
        for (unsigned j = a; j <= b; j++)
            acc += q->r[j];
        float v = (float)(acc / (b - a + 1));
        q->noise[k] = v > 1e-30f ? v : 1e-30f;
        q->inv[k] = 1.0f / q->noise[k];
    }
    q->warm = true;
    q->wn = 0;
    for (unsigned i = 0; i < w; i++)
        detect(q, q->wbuf + (size_t)i * n, q->wstart[i], fn, user);
}

void burstdet_execute(burstdet *q, const float *power, uint64_t start, burstdet_fn fn,
                      void *user)
{
    if (!q->warm) {
        memcpy(q->wbuf + (size_t)q->wn * q->cfg.nfft, power, q->cfg.nfft * sizeof(float));
        q->wstart[q->wn++] = start;
        if (q->wn == q->cfg.warmup_frames)
            finish_warmup(q, fn, user);
        return;
    }
    detect(q, power, start, fn, user);
}

void burstdet_flush(burstdet *q, burstdet_fn fn, void *user)
{
    if (!q->warm)
        finish_warmup(q, fn, user);
    for (unsigned i = 0; i < q->reg_end; i++) {
        region *g = &q->reg[i];
        if (!g->used)
            continue;
        if (g->nf) {
            uint32_t fl = (g->f_last + 1 == q->last_f) ? SG_BURST_TRUNC_END : 0;
            region_report(q, g, fl, fn, user);
        }
        region_clear(q, g);
    }
    q->reg_end = 0;
    q->seg_pending = true;
}
