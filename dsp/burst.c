/* Burst detector: adaptive floor + CFAR + streaming grouping (see burst.h).
 * The per-frame work that runs on every frame (normalise, smooth, compare) is kept to
 * straight loops the compiler vectorises; the run/region bookkeeping only runs on
 * frames that have hot cells. */
#include "burst.h"

/* The per-frame loops must vectorise; -O2 (RelWithDebInfo) only does so for loops
 * whose trip count is a compile-time multiple of the vector width. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O3", "no-trapping-math")
#endif

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "burst_band.h"
#include "sg_types.h"

/* Frames with a band seed a region needs: the spectral splatter of a hard-keyed carrier's
 * onset (one or two frames of energy across the whole band) does not make a burst */
#define BAND_SEED_FRAMES 3
/* band_gap_frames applies to a region whose mean excess over the floor (linear, per hot
 * cell) is under this (~6 dB): the band detector loses only weak bursts for a frame, and
 * strong bursts a few us apart stay apart */
#define BAND_GAP_MAX_EXCESS 3.0

typedef struct {
    bool used;
    bool started;            /* has content (f_first, s_first, lo, hi valid) */
    bool cont;               /* continues a piece reported CONTINUING (already seeded) */
    bool seeded;             /* a cell reached seed_db or the wide seed */
    bool band;               /* holds cells the band detector marked (band_gap_frames) */
    uint64_t ncell;          /* hot cells so far */
    unsigned bseeds;         /* frames with a band seed (BAND_SEED_FRAMES seed it) */
    uint64_t bseed_tag;      /* frame number + 1 of the last one counted */
    uint32_t flags;          /* carried flags (TRUNC_START) */
    uint64_t nf;             /* frames with content so far */
    uint64_t f_first, f_last;
    uint64_t s_first, s_last; /* stream index of the first / last frame */
    unsigned lo, hi;         /* overall hot extent */
    unsigned elo, ehi;       /* extent in the previous frame it was seen (overlap test) */
    unsigned clo, chi;       /* extent in the current frame */
    uint64_t touched;        /* frame number + 1 of the last frame that touched it */
    float peak;              /* max smoothed mean p/floor */
    double e_cur, e_first, e_last, e_sum; /* excess energy per frame */
    float *prof;             /* nfft: sum over frames of p/floor on hot cells */
    float *hits;             /* nfft: hot frames per bin (band detector on), else NULL */
} region;

/* One frame's cells as the region bookkeeping reads them (add_run). */
typedef struct {
    const float *r, *s;      /* nfft: p/floor, smoothed sums (raised where hot) */
    const float *grp;        /* wide detector: group sums, then 3-group means; NULL off */
    const float *bpk;        /* band detector marks (burst_band.h pk) */
    bool marked;             /* bpk holds marks */
    const uint32_t *runs;    /* n_runs hot runs [runs[2i], runs[2i + 1]], merged */
    unsigned n_runs;
} frame_view;

struct burstdet_s {
    burstdet_cfg cfg;
    float *cdf;               /* nfft+1 or NULL */
    float *noise, *inv, *r, *s;
    uint8_t *hot;             /* nfft + 8: 1 where the cell is hot (run scan), 0 at the edges */
    float *wbuf;              /* warm-up frames */
    uint64_t *wstart;
    unsigned wn;
    bool warm;
    float thr;                /* linear */
    float seed;               /* linear */
    float *grp;               /* wide detector: per-group sums, then 3-group means */
    unsigned n_grp, gshift;
    float wthr, wseed;        /* linear */
    burstband band;           /* band detector (burst_band.h); band.pk NULL when off */
    uint64_t f;               /* frames processed (regions) */
    uint64_t ff;              /* frames through the floor recursion (= f, but ahead of it
                                 between burstdet_batch_floor and _regions) */
    uint32_t *runs;           /* nfft + 2: a frame's hot runs */
    bool seg_pending;         /* next frame starts a segment (stream start or after a gap) */
    uint64_t seg_first;
    uint64_t last_f;          /* last frame number processed + 1 (0 none) */
    region *reg;
    float *profs;
    burstdet_stats st;
};

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
    for (unsigned i = 0; i < R; i++) {
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
    for (unsigned i = 0; i < q->cfg.max_regions; i++) {
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
}

/* First index >= k below end whose hot byte is (want ? 1 : 0), else end. Eight cells at a
 * time where it can: most of a busy band is cold, and runs are long. */
static unsigned scan_hot(const uint8_t *h, unsigned k, unsigned end, bool want)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    const uint64_t flip = want ? 0 : 0x0101010101010101ull;
    while (k + 8 <= end) {
        uint64_t w;
        memcpy(&w, h + k, 8);
        w ^= flip; /* a set byte is a cell we look for */
        if (w)
            return k + (unsigned)__builtin_ctzll(w) / 8;
        k += 8;
    }
#endif
    while (k < end && h[k] != want)
        k++;
    return k;
}

/* The cells of a frame before the floor update: r = p/floor, the smoothed sums s and the
 * wide detector's groups (grp, NULL off). Returns the cells hot so far. */
static inline __attribute__((always_inline)) unsigned
cells_pre(const burstdet *q, const float *p, const float *restrict inv, float *restrict r,
          float *restrict s, float *restrict grp)
{
    const unsigned n = q->cfg.nfft, m = q->cfg.smooth_bins;
    for (size_t k = 0; k < n; k++)
        r[k] = p[k] * inv[k];
    const float thr_s = q->thr * (float)(2 * m + 1);
    /* smoothed sum; edge bins (no full neighbourhood) never trigger. The common
     * 5-bin case is spelled out so it vectorises. */
    unsigned hot = 0;
    if (m == 2) {
        const float *restrict r0 = r, *restrict r1 = r + 1, *restrict r2 = r + 2,
                              *restrict r3 = r + 3, *restrict r4 = r + 4;
        float *restrict s2 = s + 2;
        for (size_t k = 0; k < (size_t)n - 4; k++) {
            float acc = r0[k] + r1[k] + r2[k] + r3[k] + r4[k];
            s2[k] = acc;
            hot += acc >= thr_s ? 1u : 0u;
        }
    } else {
        for (unsigned k = m; k < n - m; k++) {
            float acc = 0;
            for (unsigned j = 0; j <= 2 * m; j++)
                acc += r[k - m + j];
            s[k] = acc;
            hot += acc >= thr_s;
        }
    }
    if (grp) {
        /* wide detector: sums over groups of G bins, then the mean of 3 neighbouring
         * groups (3G bins); a hot group makes its G bins hot for the run search */
        const unsigned G = q->cfg.wide_bins, ng = q->n_grp;
        float *restrict gs = grp, *restrict gm = grp + ng;
        if (G == 8) { /* the default, spelled out so it vectorises */
            for (size_t j = 0; j < ng; j++) {
                const float *x = r + 8 * j;
                gs[j] = ((x[0] + x[1]) + (x[2] + x[3])) + ((x[4] + x[5]) + (x[6] + x[7]));
            }
        } else {
            for (unsigned j = 0; j < ng; j++) {
                float acc = 0;
                for (unsigned i = 0; i < G; i++)
                    acc += r[j * G + i];
                gs[j] = acc;
            }
        }
        const float inv3g = 1.0f / (float)(3 * G);
        gm[0] = gm[ng - 1] = 0;
        unsigned whot = 0;
        for (unsigned j = 1; j + 1 < ng; j++) {
            gm[j] = (gs[j - 1] + gs[j] + gs[j + 1]) * inv3g;
            whot += gm[j] >= q->wthr ? 1u : 0u;
        }
        if (whot) {
            for (unsigned j = 1; j + 1 < ng; j++) {
                if (gm[j] < q->wthr)
                    continue;
                for (unsigned k = j * G; k < (j + 1) * G; k++)
                    if (k >= m && k < n - m && s[k] < thr_s)
                        s[k] = thr_s;
            }
            hot += whot;
        }
    }
    return hot;
}

/* The floor update of a frame (every noise_decim frames) from its powers and sums. */
static inline __attribute__((always_inline)) void floor_update(burstdet *q, const float *p,
                                                               const float *s)
{
    const unsigned n = q->cfg.nfft, m = q->cfg.smooth_bins;
    const float thr_s = q->thr * (float)(2 * m + 1);
    const float a = (float)q->cfg.noise_alpha, ab = (float)q->cfg.noise_alpha_busy;
    const float thr = q->thr;
    float *restrict nz = q->noise;
    float *restrict iv = q->inv;
    const float *restrict ss = s, *restrict pp = p;
    for (size_t k = 0; k < n; k++) {
        float pk = pp[k], nk = nz[k];
        float cap = thr * nk;
        float clipped = pk < cap ? pk : cap;
        bool busy = ss[k] >= thr_s;
        float x = busy ? clipped : pk;
        float w = busy ? ab : a;
        nk += w * (x - nk);
        nk = nk > 1e-30f ? nk : 1e-30f;
        nz[k] = nk;
        iv[k] = 1.0f / nk;
    }
}

/* The cells after the floor update: the band detector (band, NULL off; its pk are the
 * frame's marks), then the hot runs, merged, into runs (pairs). Returns the runs; adds
 * the hot cells to *hot_cells. */
static inline __attribute__((always_inline)) unsigned
cells_post(const burstdet *q, burstband *band, const float *r, float *s, unsigned hot,
           uint8_t *restrict h, uint32_t *restrict runs, uint64_t *hot_cells)
{
    const unsigned n = q->cfg.nfft, m = q->cfg.smooth_bins;
    const float thr_s = q->thr * (float)(2 * m + 1);
    /* after the floor update: what only the band detector sees does not hold the floor
     * (a rise of the noise level, after a retune or a gain change, is learnt as fast as
     * without it; a weak continuous wideband signal is learnt into the floor in ~10 ms) */
    if (band)
        hot += burstband_detect(band, r, s, thr_s);
    if (!hot)
        return 0;
    const unsigned mg = q->cfg.merge_bins;
    /* the edges (no full neighbourhood) stay 0; written so a NaN cell is cold */
    for (size_t k = m; k < (size_t)n - m; k++)
        h[k] = s[k] >= thr_s;
    unsigned k = m, nr = 0;
    long ra = -1, rb = -1;
    while ((k = scan_hot(h, k, n - m, true)) < n - m) {
        unsigned a = k;
        k = scan_hot(h, k, n - m, false);
        unsigned b = k - 1;
        *hot_cells += b - a + 1;
        if (ra >= 0 && a <= (unsigned)rb + mg + 1) {
            rb = b;
        } else {
            if (ra >= 0) {
                runs[2 * nr] = (uint32_t)ra;
                runs[2 * nr++ + 1] = (uint32_t)rb;
            }
            ra = a;
            rb = b;
        }
    }
    if (ra >= 0) {
        runs[2 * nr] = (uint32_t)ra;
        runs[2 * nr++ + 1] = (uint32_t)rb;
    }
    return nr;
}

/* The region bookkeeping of a frame whose cells are v. */
static void regions(burstdet *q, const frame_view *v, uint64_t start, burstdet_fn fn,
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
    regions(q, &v, start, fn, user);
}

/* ------------------------------------------------------------- batches (burst.h) */

struct burstdet_batch {
    unsigned n, cap;          /* nfft, frames */
    unsigned count;
    const float *power;       /* count x n, the caller's */
    uint64_t starts[256];
    uint64_t f0;              /* frame number (ff) of the first frame */
    float *snap;              /* floors seen (1/floor), up to cap + 1 of n */
    unsigned which[256];      /* snapshot of each frame */
    float *r, *s, *grp, *bpk; /* per frame: n each (grp: the wide detector's 2 n_grp <= n) */
    bool marked[256];
    uint32_t *runs;           /* per frame n + 2 */
    unsigned n_runs[256];
    uint64_t hot_cells;
    double *pre;              /* band detector scratch (burst_band.h) */
    uint32_t *cnt;
    float *val;
    uint8_t *hot;
};

burstdet_batch *burstdet_batch_create(unsigned nfft, unsigned frames)
{
    if (frames < 1 || frames > 256 || nfft < 16)
        return NULL;
    burstdet_batch *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    const size_t n = nfft, f = frames;
    b->n = nfft;
    b->cap = frames;
    b->snap = malloc((f + 1) * n * sizeof(float));
    b->r = malloc(f * n * sizeof(float));
    b->s = calloc(f * n, sizeof(float)); /* edge bins stay 0 (as the detector's own s) */
    b->grp = malloc(f * n * sizeof(float));
    b->bpk = calloc(f * n, sizeof(float));
    b->runs = malloc(f * (n + 2) * sizeof(uint32_t));
    b->pre = malloc((n + 1) * sizeof(double));
    b->cnt = malloc((n + 1) * sizeof(uint32_t));
    b->val = malloc(2 * n * sizeof(float));
    b->hot = calloc(n + 8, 1);
    if (!b->snap || !b->r || !b->s || !b->grp || !b->bpk || !b->runs || !b->pre || !b->cnt ||
        !b->val || !b->hot) {
        burstdet_batch_destroy(b);
        return NULL;
    }
    return b;
}

void burstdet_batch_destroy(burstdet_batch *b)
{
    if (!b)
        return;
    free(b->snap);
    free(b->r);
    free(b->s);
    free(b->grp);
    free(b->bpk);
    free(b->runs);
    free(b->pre);
    free(b->cnt);
    free(b->val);
    free(b->hot);
    free(b);
}

BURST_CLONES bool burstdet_batch_floor(burstdet *q, burstdet_batch *b, const float *power,
                                       const uint64_t *starts, unsigned count)
{
    const size_t n = q->cfg.nfft;
    if (!q->warm || b->n != n || count > b->cap || !count)
        return false;
    b->count = count;
    b->power = power;
    b->f0 = q->ff;
    memcpy(b->starts, starts, count * sizeof *starts);
    unsigned k = 0;
    memcpy(b->snap, q->inv, n * sizeof(float));
    for (unsigned i = 0; i < count; i++) {
        b->which[i] = k;
        if (q->ff % q->cfg.noise_decim == 0) { /* the cells the update reads, then it */
            const float *p = power + i * n;
            (void)cells_pre(q, p, q->inv, q->r, q->s, q->grp);
            floor_update(q, p, q->s);
            memcpy(b->snap + (size_t)++k * n, q->inv, n * sizeof(float));
        }
        q->ff++;
    }
    return true;
}

BURST_CLONES void burstdet_batch_cells(const burstdet *q, burstdet_batch *b)
{
    const size_t n = b->n;
    burstband band = q->band, *bp = q->band.pk ? &band : NULL;
    band.pre = b->pre;
    band.cnt = b->cnt;
    band.val = b->val;
    b->hot_cells = 0;
    for (unsigned i = 0; i < b->count; i++) {
        float *r = b->r + i * n, *s = b->s + i * n, *grp = q->grp ? b->grp + i * n : NULL;
        unsigned hot = cells_pre(q, b->power + i * n, b->snap + b->which[i] * n, r, s, grp);
        band.pk = b->bpk + i * n;
        band.marked = b->marked[i];
        b->n_runs[i] = cells_post(q, bp, r, s, hot, b->hot, b->runs + i * (n + 2),
                                  &b->hot_cells);
        b->marked[i] = band.marked;
    }
}

void burstdet_batch_regions(burstdet *q, burstdet_batch *b, burstdet_fn fn, void *user)
{
    const size_t n = b->n;
    for (unsigned i = 0; i < b->count; i++) {
        frame_view v = {.r = b->r + i * n, .s = b->s + i * n,
                        .grp = q->grp ? b->grp + i * n : NULL, .bpk = b->bpk + i * n,
                        .marked = b->marked[i], .runs = b->runs + i * (n + 2),
                        .n_runs = b->n_runs[i]};
        regions(q, &v, b->starts[i], fn, user);
    }
    q->st.hot_cells += b->hot_cells;
    b->count = 0;
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

/* Seeds the floor from the warm-up frames, then detects on them. */
static void finish_warmup(burstdet *q, burstdet_fn fn, void *user)
{
    const unsigned n = q->cfg.nfft, w = q->wn;
    if (!w)
        return;
    float col[4096];
    /* 25th percentile of an exponential variable is 0.2877 x its mean */
    const double scale = 1.0 / -log(0.75);
    for (unsigned k = 0; k < n; k++) {
        for (unsigned i = 0; i < w; i++)
            col[i] = q->wbuf[(size_t)i * n + k];
        q->r[k] = (float)(select_kth(col, w, (w - 1) / 4) * scale);
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
    for (unsigned i = 0; i < q->cfg.max_regions; i++) {
        region *g = &q->reg[i];
        if (!g->used)
            continue;
        if (g->nf) {
            uint32_t fl = (g->f_last + 1 == q->last_f) ? SG_BURST_TRUNC_END : 0;
            region_report(q, g, fl, fn, user);
        }
        region_clear(q, g);
    }
    q->seg_pending = true;
}
