/* Burst detector: per-bin adaptive noise floor, CFAR in time-frequency and
 * streaming connected-region grouping. Sits after the spectrogram (spectro.h) and
 * before the frontend (frontend.h), which turns regions into sg_burst records.
 *
 * Noise floor: the first warmup_frames frames set each bin's floor to its 25th
 * percentile (corrected for the exponential distribution of |X|^2), which stays
 * right while bursts occupy up to ~70% of those frames; the warm-up frames are then
 * detected like any other, so a burst already on at the start is still reported
 * (TRUNC_START). Afterwards each bin's floor follows an exponential average updated
 * every noise_decim frames, fast (noise_alpha) where nothing is detected and very
 * slowly (noise_alpha_busy, input clipped at the threshold) under a detection, so a
 * carrier is not swallowed by the floor.
 *
 * CFAR: a cell (frame, bin) is hot when the mean of p/floor over 2*smooth_bins+1
 * neighbouring bins exceeds threshold_db; a region is kept only if one of its cells
 * reaches seed_db (hysteresis: a noise-only region almost never does). A second,
 * wide detector averages 3 groups of wide_bins bins (24 by default) with its own
 * lower thresholds, so weak wideband bursts (OFDM near 0 dB in-band) are found too.
 *
 * Band detector (band_bins > 0): matched to a burst of known width (DroneID: 9 MHz of
 * OFDM, flat). For every window of band_bins bins it takes the mean of p/floor clipped
 * at 3 (so a strong narrow carrier adds at most 2 per bin), and calls the window on when
 * that mean exceeds the noise mean by band_sigma noise standard deviations AND each of
 * its four quarters exceeds the noise mean by half that and by 0.4 of the window's own
 * excess (the energy is spread over the whole window: a signal narrower than 0.625 of
 * the window never passes, whatever its power). Cells 20 dB or more over the floor are
 * left to the other detectors: they count as noise, and a window with more than a tenth
 * of its bins that strong is not tried (so a strong burst is found exactly as without
 * the band detector, and its spectral shoulders are not mistaken for a weak one). The noise
 * standard deviation is sqrt(0.699 x band_kappa / band_bins) (exponential |X|^2 clipped
 * at 3: mean 0.950, variance 0.699; band_kappa counts the correlation of neighbouring
 * bins under the window), so the false-alarm rate per window does not depend on the
 * sample rate. A run of windows on marks as hot the band that explains it (edges
 * estimated from the run's ends and its peak mean); runs shorter than band_bins/16
 * centres are ignored. A region is seeded by the band detector when its peak reaches
 * band_seed_sigma in 3 frames (the splatter of a hard-keyed onset lasts one or two). At 0 dB in-band SNR a 9 MHz burst holds together in one
 * region where the per-bin and wide detectors see only fragments.
 *
 * Hot runs in a frame closer than
 * merge_bins join; a run continues a region whose frequency extent it overlaps; a run
 * touching several regions merges them. A region not continued for gap_frames + 1
 * frames is closed and reported (band_gap_frames + 1 for a region holding cells the band
 * detector marked).
 *
 * Not thread-safe: one object per stream. Never allocates after create. */
#ifndef SG_BURST_H
#define SG_BURST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sg_error.h"

typedef struct {
    unsigned nfft;           /* bins per frame (as the spectrogram), power of two >= 16 */
    unsigned hop;            /* samples between frames, 1..nfft */
    double threshold_db;     /* CFAR threshold, dB above floor of the smoothed cell, 1..40 */
    double seed_db;          /* a region is reported only if some cell reaches this,
                                threshold_db..50 (hysteresis: weak cells extend, strong seed) */
    unsigned smooth_bins;    /* half-width of the frequency smoothing, 0..16 bins */
    unsigned wide_bins;      /* wide detector: groups of this many bins (0 = off, else
                                power of two 2..64, < nfft/4); a cell is also hot when the
                                mean over 3 groups reaches wide_threshold_db */
    double wide_threshold_db; /* 0.5..40 */
    double wide_seed_db;     /* wide_threshold_db..50: seeds a region like seed_db */
    unsigned band_bins;      /* band detector window (0 = off, else a multiple of 4 in
                                16..nfft-8): see "Band detector" above */
    double band_sigma;       /* band threshold, noise standard deviations of the window's
                                clipped mean, 2..20 */
    double band_seed_sigma;  /* band seed, band_sigma..40 */
    double band_kappa;       /* variance factor of a sum of adjacent bins for the
                                spectrogram's window (1 rect, 1.944 Hann), 1..4 */
    unsigned merge_bins;     /* hot runs this close (bins) join, 0..64 */
    unsigned gap_frames;     /* frames a region may skip and go on, 0..64 */
    unsigned band_gap_frames; /* frames a region the band detector marked may skip, 0..64
                                (the larger of this and gap_frames applies to it): a weak
                                burst the band detector loses for a frame or two stays one */
    unsigned min_frames;     /* shorter regions are discarded (counted), >= 1 */
    unsigned min_bins;       /* narrower regions are discarded (counted), >= 1 */
    unsigned max_frames;     /* a region this long is reported CONTINUING and restarted */
    unsigned warmup_frames;  /* frames used to seed the floor, 8..4096 */
    double noise_alpha;      /* floor update weight where idle, (0, 1] */
    double noise_alpha_busy; /* floor update weight under a detection, [0, noise_alpha] */
    unsigned noise_decim;    /* update the floor every this many frames, 1..64 */
    unsigned max_regions;    /* simultaneously open regions, 1..4096 (each holds nfft floats of
                                profile, twice that with the band detector) */
    const float *window_cdf; /* optional nfft+1 cumulative window energy (spectro_window_cdf)
                                for sub-frame start/end; NULL = frame resolution */
} burstdet_cfg;

/* One detected region, reported when it closes. */
typedef struct {
    uint64_t sample_start;   /* stream index of the first sample (refined inside the frame) */
    uint64_t sample_end;     /* stream index one past the last sample */
    uint64_t frames;         /* frames spanned */
    double bin_lo, bin_hi;   /* bins holding 99% of the excess energy (shifted: nfft/2 = DC) */
    double peak_snr;         /* linear excess power over floor, smoothed cell maximum */
    double mean_snr;         /* linear excess power over floor, mean over occupied cells */
    uint32_t flags;          /* SG_BURST_* */
} burstdet_region;

typedef void (*burstdet_fn)(void *user, const burstdet_region *r);

typedef struct {
    uint64_t frames;            /* frames examined */
    uint64_t regions;           /* reported */
    uint64_t regions_small;     /* discarded by min_frames/min_bins */
    uint64_t regions_weak;      /* discarded: no cell reached seed_db */
    uint64_t regions_dropped;   /* lost because max_regions were open */
    uint64_t hot_cells;         /* cells over the threshold */
    bool warm;                  /* floor seeded */
} burstdet_stats;

/* Defaults for nfft/hop: threshold 7 dB, seed 10 dB, wide 8 bins at 3.5/5.5 dB, band detector off
 * (band_sigma 4, band_seed_sigma 6, band_kappa 1.944: Hann), smooth 2, merge 2, gap 0, min_frames 1,
 * min_bins 3, max_frames 4096, warm-up 64, alpha 1/128, busy 1e-5, decim 4,
 * 64 regions. */
void burstdet_cfg_default(burstdet_cfg *cfg, unsigned nfft, unsigned hop);
typedef struct burstdet_s burstdet;
burstdet *burstdet_create(const burstdet_cfg *cfg, sg_errinfo *e);
void burstdet_destroy(burstdet *q);
/* Examines one frame (nfft powers, fftshifted) whose first sample has stream index
 * `start`. Calls fn for every region closed by it. */
void burstdet_execute(burstdet *q, const float *power, uint64_t start, burstdet_fn fn,
                      void *user);
/* Closes every open region (a gap or the end of the stream): regions still on in the
 * last frame get SG_BURST_TRUNC_END; the first frame after is treated as a stream
 * start (regions on in it get SG_BURST_TRUNC_START). Finishes a warm-up in progress
 * with the frames it has. The noise floor is kept. */
void burstdet_flush(burstdet *q, burstdet_fn fn, void *user);
void burstdet_stats_get(const burstdet *q, burstdet_stats *out);
/* Current floor of bin k (power units of the spectrogram); NAN before warm-up. */
float burstdet_floor(const burstdet *q, unsigned k);

/* Detection of a batch of frames on several threads (frontend_mt.c). A frame's work is
 * the floor recursion (the floor every noise_decim frames, from the frame's cells under
 * the floor before it), its cells (p/floor, sums, wide and band detectors, hot runs:
 * independent per frame once its floor is known) and the regions (a recursion over
 * frames). Per batch, in stream order: burstdet_batch_floor on the detector's thread runs
 * the recursion only (the frames that update the floor) and keeps the floor each frame
 * sees; burstdet_batch_cells, on any thread, several batches at a time, does the cells;
 * burstdet_batch_regions, on the detector's thread in order, the regions. The arithmetic
 * is burstdet_execute's, so the regions are the same. A batch holds its own copy of
 * everything the cells write (and a pointer to `power`, which must stay until its
 * regions are done). Before the floor is warm burstdet_batch_floor returns false: give
 * those frames to burstdet_execute instead (after the regions of earlier batches). */
typedef struct burstdet_batch burstdet_batch;
/* A batch of up to `frames` (1..256) frames of nfft bins; NULL when out of memory. */
burstdet_batch *burstdet_batch_create(unsigned nfft, unsigned frames);
void burstdet_batch_destroy(burstdet_batch *b);
/* count frames of nfft powers (row-major) starting at stream indices starts[]; false
 * (nothing done) while the detector warms up or for a detector of another nfft / a
 * batch too small. */
bool burstdet_batch_floor(burstdet *q, burstdet_batch *b, const float *power,
                          const uint64_t *starts, unsigned count);
/* Reads q's settings only: any thread, while the detector's thread goes on. */
void burstdet_batch_cells(const burstdet *q, burstdet_batch *b);
void burstdet_batch_regions(burstdet *q, burstdet_batch *b, burstdet_fn fn, void *user);

#endif
