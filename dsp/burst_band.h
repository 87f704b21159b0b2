/* The burst detector's band detector (burst.h "Band detector"): private to burst.c,
 * split out along its seam. Per frame it reads r = p/floor and the smoothed sums s of
 * burst.c, raises s to the hot threshold on the band it finds and marks those bins in pk
 * with the run's peak clipped mean (what burst.c's regions use for their band seed).
 * Not thread-safe; never allocates after init. */
#ifndef SG_BURST_BAND_H
#define SG_BURST_BAND_H

#include <stdbool.h>
#include <stdint.h>

#include "burst.h"
#include "sg_simd.h"

/* The per-frame loops of burst.c and burst_band.c are also built for AVX2 (sg_simd.h):
 * element-wise loops, the fixed 4-lane block sums and, at stride 1, sums that are exact in
 * any order (burst_band.c) only: the same results bit for bit. */
#define BURST_CLONES SG_AVX2_CLONES

typedef struct {
    unsigned n, W, m;        /* nfft, band_bins, smooth_bins */
    unsigned stride;         /* bins between the windows tried */
    double *pre;             /* prefix sums of clipped p/floor per block (nfft+1) */
    uint32_t *cnt;           /* prefix counts of strong cells (nfft+1) */
    bool grid1;              /* stride 1 with exact sums in any order (burst_band.c) */
    int32_t vmin_bits;       /* bits of the least nonzero bin on its grid */
    float strong;            /* smoothed sum of a strong cell */
    float *val;              /* BURSTBAND_VAL_FLOATS: clipped p/floor per bin, strong
                                flags; or window bytes and stride 1's bounds (burst_band.c) */
    float *pk;               /* per bin: peak clipped mean of the band run marking it, 0 */
    bool marked;             /* pk holds marks of the last frame */
    double mu, thr, qthr, seed; /* clipped means: noise, threshold, quarter, seed */
} burstband;

/* The floats of burstband.val for nfft n (a copy's own scratch, burst_batch.c, too) */
#define BURSTBAND_VAL_FLOATS(n) (2 * (size_t)(n) + 8)

/* Sets q up for c (band_bins > 0, already validated). SG_OK or SG_ENOMEM; q (zeroed by
 * the caller) can be given to burstband_free in either case. */
int burstband_init(burstband *q, const burstdet_cfg *c);
void burstband_free(burstband *q);
/* One frame: r[nfft] = p/floor, s[nfft] the smoothed sums (raised to thr_s on the band
 * found). Returns the cells it made hot. */
unsigned burstband_detect(burstband *q, const float *r, float *s, float thr_s);

#endif
