/* Private to the burst detector (burst.h): its state, and the per-frame cell steps shared
 * by burst.c (one frame at a time) and burst_batch.c (batches on several threads, burst.h
 * "Detection of a batch"). The steps are inlined into each caller, so both run the same
 * arithmetic. */
#ifndef SG_BURST_INT_H
#define SG_BURST_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "burst.h"
#include "burst_band.h"

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
    unsigned reg_end;         /* the slots of reg from here on are unused */
    float *profs;
    burstdet_stats st;
};

/* First index >= k below end whose hot byte is (want ? 1 : 0), else end. Eight cells at a
 * time where it can: most of a busy band is cold, and runs are long. */
static inline unsigned scan_hot(const uint8_t *h, unsigned k, unsigned end, bool want)
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

#if SG_HAVE_V8
/* The wide detector's group sums of 64 bins x (8 groups of 8) into g[8], in the scalar
 * tree's order ((x0 + x1) + (x2 + x3)) + ((x4 + x5) + (x6 + x7)), without a stride-8
 * gather: two rounds of SG_HADD8 give each group's low and high quad sums in the two
 * halves, and one add of the halves the sums. */
static inline __attribute__((always_inline)) void burst_group8x8(const float *x, float *g)
{
    sg_v8f v0, v1, v2, v3, v4, v5, v6, v7;
    memcpy(&v0, x, sizeof v0);
    memcpy(&v1, x + 8, sizeof v1);
    memcpy(&v2, x + 16, sizeof v2);
    memcpy(&v3, x + 24, sizeof v3);
    memcpy(&v4, x + 32, sizeof v4);
    memcpy(&v5, x + 40, sizeof v5);
    memcpy(&v6, x + 48, sizeof v6);
    memcpy(&v7, x + 56, sizeof v7);
    sg_v8f k1 = SG_HADD8(SG_HADD8(v0, v1), SG_HADD8(v2, v3));
    sg_v8f k2 = SG_HADD8(SG_HADD8(v4, v5), SG_HADD8(v6, v7));
    sg_v8f r = __builtin_shuffle(k1, k2, (sg_v8i){0, 1, 2, 3, 8, 9, 10, 11}) +
                  __builtin_shuffle(k1, k2, (sg_v8i){4, 5, 6, 7, 12, 13, 14, 15});
    memcpy(g, &r, sizeof r);
}
#endif

/* The cells of a frame before the floor update: r = p/floor, the smoothed sums s and the
 * wide detector's groups (grp, NULL off). Returns the cells hot so far. */
static inline __attribute__((always_inline)) unsigned
cells_pre(const burstdet *q, const float *p, const float *restrict inv, float *restrict r,
          float *restrict s, float *restrict grp)
{
    const unsigned n = q->cfg.nfft, m = q->cfg.smooth_bins;
    const float thr_s = q->thr * (float)(2 * m + 1);
    /* smoothed sum; edge bins (no full neighbourhood) never trigger. The common
     * 5-bin case is spelled out so it vectorises. */
    unsigned hot = 0;
    size_t r_done = 0, s_done = 0; /* r[0, r_done) and the sums s[2, s_done + 2) are done */
#if SG_HAVE_V8
    if (m == 2) {
        /* r = p/floor and the 5-bin sums in one pass, 8 bins at a time: the sums of bins
         * k + 2 .. k + 9 add r[k .. k + 11] shifted in registers (in the scalar order
         * r[k] + r[k + 1] + ... + r[k + 4]), not re-read from r at unaligned offsets */
        sg_v8f cur, nx, pv, iv;
        sg_v8i hv = {0, 0, 0, 0, 0, 0, 0, 0};
        const sg_v8f tv = {thr_s, thr_s, thr_s, thr_s, thr_s, thr_s, thr_s, thr_s};
        memcpy(&pv, p, sizeof pv);
        memcpy(&iv, inv, sizeof iv);
        cur = pv * iv;
        memcpy(r, &cur, sizeof cur);
        size_t k0 = 0;
        for (; k0 + 16 <= n; k0 += 8) { /* n is a power of two >= 16 */
            memcpy(&pv, p + k0 + 8, sizeof pv);
            memcpy(&iv, inv + k0 + 8, sizeof iv);
            nx = pv * iv;
            memcpy(r + k0 + 8, &nx, sizeof nx);
            sg_v8f acc =
                (((cur + __builtin_shuffle(cur, nx, (sg_v8i){1, 2, 3, 4, 5, 6, 7, 8})) +
                  __builtin_shuffle(cur, nx, (sg_v8i){2, 3, 4, 5, 6, 7, 8, 9})) +
                 __builtin_shuffle(cur, nx, (sg_v8i){3, 4, 5, 6, 7, 8, 9, 10})) +
                __builtin_shuffle(cur, nx, (sg_v8i){4, 5, 6, 7, 8, 9, 10, 11});
            memcpy(s + k0 + 2, &acc, sizeof acc);
            hv -= acc >= tv;
            cur = nx;
        }
        hot = (unsigned)((hv[0] + hv[1]) + (hv[2] + hv[3]) + (hv[4] + hv[5]) + (hv[6] + hv[7]));
        r_done = k0 + 8;
        s_done = k0;
    }
#endif
    for (size_t k = r_done; k < n; k++)
        r[k] = p[k] * inv[k];
    if (m == 2) {
        const float *restrict r0 = r, *restrict r1 = r + 1, *restrict r2 = r + 2,
                              *restrict r3 = r + 3, *restrict r4 = r + 4;
        float *restrict s2 = s + 2;
        for (size_t k = s_done; k < (size_t)n - 4; k++) {
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
        if (G == 8) { /* the default: 8 groups (64 bins) at a time in vectors */
            size_t j = 0;
#if SG_HAVE_V8
            for (; j + 8 <= ng; j += 8)
                burst_group8x8(r + 8 * j, gs + j);
#endif
            for (; j < ng; j++) {
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
#if SG_HAVE_V8
            if (G == 8 && m <= 8) { /* groups 1..ng-2 lie inside [m, n - m): no edge test */
                const sg_v8f tv = {thr_s, thr_s, thr_s, thr_s, thr_s, thr_s, thr_s, thr_s};
                for (unsigned j = 1; j + 1 < ng; j++) {
                    if (gm[j] < q->wthr)
                        continue;
                    sg_v8f sv;
                    memcpy(&sv, s + 8 * j, sizeof sv);
                    sg_v8i lt = sv < tv; /* a NaN sum stays */
                    sv = (sg_v8f)(((sg_v8i)tv & lt) | ((sg_v8i)sv & ~lt));
                    memcpy(s + 8 * j, &sv, sizeof sv);
                }
            } else
#endif
            {
                for (unsigned j = 1; j + 1 < ng; j++) {
                    if (gm[j] < q->wthr)
                        continue;
                    for (unsigned k = j * G; k < (j + 1) * G; k++)
                        if (k >= m && k < n - m && s[k] < thr_s)
                            s[k] = thr_s;
                }
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

/* The region bookkeeping of a frame whose cells are v (burst.c). */
void burstdet_frame_regions(burstdet *q, const frame_view *v, uint64_t start, burstdet_fn fn,
                            void *user);

#endif
