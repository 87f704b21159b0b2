/* RF front end: the one object the daemon calls to turn IQ blocks into bursts.
 *
 *   sg_iq_block -> IQ history ring + streaming spectrogram (spectro.h)
 *               -> adaptive floor + CFAR + grouping (burst.h) -> sg_burst + its IQ
 *
 * Each burst is handed to a callback together with its IQ samples, contiguous (from
 * an internal history ring, with margin_s before and after) so a protocol decoder can
 * go back to the samples. Zero-copy: where the samples lie in one piece of the ring and
 * all exist, the callback gets a pointer into the ring itself; only a burst whose
 * samples wrap around the ring's end, or that lacks samples (stream start, gap), is
 * copied (and zero-filled) into a buffer. Lifetime rule: the pointer is valid during the
 * callback only (the ring is overwritten once the stream moves a ring's length past
 * it); a decoder that keeps IQ beyond the callback copies it, or, for a window in the
 * ring (frontend_iq_in_ring), sets a ring wait (frontend_set_ring_wait) that holds the
 * ring's writes back until it lets the window go. Bursts longer than max_burst_s are
 * reported in pieces flagged SG_BURST_CONTINUING (a carrier is never held back).
 *
 * Time is the block's sample clock: t_start = t0 + sample_start / sample_rate.
 * A block with `discontinuity`, a jump in sample_index or a change of centre
 * frequency or rate closes the open bursts (SG_BURST_TRUNC_END) and restarts
 * framing; bursts on right after it are flagged SG_BURST_TRUNC_START.
 *
 * Input policy (NaN/overflow): a sample with a component that is not finite or beyond
 * +-SG_IQ_MAX_MAG is not signal (no receiver produces it) and is set to 0, counted in
 * iq_limited (zero, not clipped: clipped garbage would lift the noise floor for
 * seconds). This happens once, on the way into the IQ ring, so the spectrogram, the
 * detector and the IQ handed to decoders only ever see bounded samples: with
 * |re|, |im| <= 1e6 every |X|^2 is below nfft x 2e12 <= 1.4e17, far from float overflow,
 * and no NaN can arise downstream.
 *
 * Memory: everything is allocated by frontend_create when cfg.sample_rate > 0,
 * otherwise by the first block (sized from its rate); a later change of rate
 * re-allocates once. After that, execute/flush never allocate or print.
 * Not thread-safe: one object per stream, driven from one thread. The callback runs
 * on the caller's thread inside execute/flush; burst and iq are valid only during it.
 * With cfg.threads > 1 the object runs threads - 1 worker threads of its own (started
 * by create, joined by destroy) that transform FFT batches and run the detector's
 * per-frame cells during execute/flush; the output is bit-identical to one thread's
 * (frontend_mt.c). */
#ifndef SG_FRONTEND_H
#define SG_FRONTEND_H

#include <complex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "burst.h"
#include "sg_error.h"
#include "sg_types.h"
#include "spectro.h"

/* Largest accepted sample component: 1e6 x full scale (|x| = 1), above any real
 * capture (even unnormalised 16-bit integers are < 3.3e4). */
#define SG_IQ_MAX_MAG 1e6f
#define FRONTEND_MAX_THREADS 64

typedef struct {
    unsigned nfft;           /* FFT bins, power of two in [64, 65536]; default 1024 */
    double overlap;          /* frame overlap, 0..0.75 (hop = nfft * (1 - overlap)); default 0 */
    unsigned batch;          /* frames per FFTW call, 1..256; default 16 */
    spectro_window window;   /* default Hann */
    bool fftw_measure;       /* FFTW_MEASURE planning (slower start); default false */
    double threshold_db;     /* CFAR threshold above the floor, 1..40 dB; default 7 */
    double seed_db;          /* a burst needs one cell this strong, threshold_db..50; default 10 */
    unsigned smooth_bins;    /* half-width of frequency smoothing, 0..16; default 2 */
    unsigned wide_bins;      /* wide detector group, 0 (off) or power of 2 in 2..64; default 8 */
    double wide_threshold_db; /* wide detector threshold (mean over 3 groups), dB; default 3.5 */
    double wide_seed_db;     /* wide detector seed, dB; default 5.5 */
    double band_hz;          /* band detector window (burst.h), Hz, 0 (off) or 1e6..1e9;
                                default 8e6 (DroneID's 9 MHz less centre slack). Off at
                                rates where it spans fewer than 16 bins or the whole
                                capture band (then it is nfft - 8 bins or more) */
    double band_sigma;       /* band threshold, noise sigmas, 2..20; default 4 */
    double band_seed_sigma;  /* band seed, band_sigma..40; default 6 */
    unsigned merge_bins;     /* join hot runs this close, 0..64; default 8 */
    unsigned gap_frames;     /* frames a burst may fade and go on, 0..64; default 0 */
    double min_duration_s;   /* shorter bursts are dropped (counted), >= 0; default 0 */
    double min_bandwidth_hz; /* narrower bursts are dropped (counted), >= 0; default 3 bins */
    double max_burst_s;      /* longer emissions are cut (CONTINUING), 1e-4..10 s; default 0.05 */
    unsigned warmup_frames;  /* frames seeding the floor, 8..4096; default 64 */
    double noise_alpha;      /* floor update weight where idle, (0, 1]; default 1/128 */
    double noise_alpha_busy; /* floor update weight under a burst, [0, noise_alpha]; default 1e-5 */
    unsigned noise_decim;    /* floor update every n frames, 1..64; default 4 */
    unsigned max_regions;    /* open bursts at a time, 1..4096; default 64 */
    double margin_s;         /* IQ kept before and after each burst, 0..0.01 s; default 20e-6 */
    bool deliver_iq;         /* pass the burst's IQ to the callback; default true */
    double iq_max_s;         /* deliver_iq only for bursts up to this long, s: 0 (all, up to
                                max_burst_s; the default) or 1e-4..10. A longer burst reaches
                                the callback with iq NULL and n_iq 0 (counted in iq_withheld).
                                The IQ ring holds four such windows instead of max_burst_s
                                (at 200 Msps and 4 ms: 32 MB instead of 128 MB). Set in code
                                by callers whose decoders take only short bursts (the
                                daemon: DroneID's longest region); not a JSON key */
    double sample_rate;      /* Hz, > 0 to allocate at create; 0 = at the first block */
    int sensor;              /* copied into sg_burst.sensor; default -1 */
    unsigned threads;        /* threads processing the stream, 1..FRONTEND_MAX_THREADS; default 1.
                                > 1: the caller plus threads - 1 workers transform the FFT
                                batches and detect their cells in parallel; the floor
                                recursion, the regions and delivery stay on the caller's
                                thread in sample order, so the bursts (and their IQ) are
                                identical to one thread's */
} frontend_cfg;

typedef struct {
    uint64_t samples;          /* processed */
    uint64_t blocks;
    uint64_t frames;           /* spectrogram frames */
    uint64_t bursts;           /* delivered */
    uint64_t bursts_small;     /* dropped by min_duration_s / min_bandwidth_hz */
    uint64_t bursts_weak;      /* dropped: no cell reached seed_db (mostly noise) */
    uint64_t bursts_dropped;   /* lost because max_regions bursts were open (overload) */
    uint64_t iq_clipped;       /* bursts whose IQ copy lacks samples of the burst itself */
    uint64_t iq_referenced;    /* bursts whose IQ was handed out in place in the ring (no copy) */
    uint64_t iq_withheld;      /* bursts delivered without IQ: longer than iq_max_s */
    uint64_t iq_limited;       /* input samples with a component non-finite or beyond +-SG_IQ_MAX_MAG (set to 0) */
    uint64_t discontinuities;  /* gaps / retunes seen */
    uint64_t hot_cells;        /* time-frequency cells over the threshold */
    double t;                  /* s UTC of the last sample processed */
    bool warm;                 /* noise floor seeded */
} frontend_stats_t;

typedef struct frontend_s frontend;

/* Receives one burst and (when deliver_iq) its samples: iq[0..n_iq-1] with
 * n_iq = b->sample_count + 2*M, where M = round(margin_s * rate); iq[M] is stream
 * sample b->sample_start. Samples that do not exist (before the stream start, in a
 * gap, after the end of stream) are 0; such bursts are counted in iq_clipped. */
typedef void (*frontend_burst_cb)(void *user, const sg_burst *b, const float complex *iq,
                                  size_t n_iq);

void frontend_cfg_default(frontend_cfg *cfg);
/* Defaults, then the members of obj (NULL = defaults only). Unknown keys and values
 * out of range are errors naming `where` and the key. Keys: nfft, overlap, batch,
 * window ("hann"|"hamming"|"blackman"|"rect"), fftw_measure, threshold_db, seed_db,
 * smooth_bins, wide_bins, wide_threshold_db, wide_seed_db, band_hz, band_sigma,
 * band_seed_sigma, merge_bins, gap_frames, min_duration_s, min_bandwidth_hz,
 * max_burst_s, warmup_frames, noise_alpha, noise_alpha_busy, noise_decim,
 * max_regions, margin_s, deliver_iq, sample_rate, threads. */
int frontend_cfg_from_json(frontend_cfg *cfg, const cJSON *obj, const char *where,
                           sg_errinfo *e);
frontend *frontend_create(const frontend_cfg *cfg, sg_errinfo *e);
/* Processes one block; calls cb for every burst that ends in it (a burst is delivered
 * once margin_s of samples after its end has arrived). Returns 0, or SG_ENOMEM if the
 * first block's rate needed an allocation that failed, SG_EINVAL for a bad block
 * (including one with more than one channel: see dffe.h). */
int frontend_execute(frontend *q, const sg_iq_block *blk, frontend_burst_cb cb, void *user);
/* In-place IQ kept past the callback (the daemon's burst thread reads DroneID candidates'
 * windows in the ring instead of copying them, issue 21). With a ring wait set, the front
 * end calls wait(user, below) on the caller's thread before it writes samples into the ring
 * that overwrite stream indices below `below` (UINT64_MAX: every index, when the ring is
 * re-allocated for a new rate or the stream goes back); wait returns once the caller holds
 * no window that starts below it. It may block (back-pressure: the caller's consumer then
 * releases windows); it must not call back into the front end. NULL fn = none (the
 * default: the pointer is valid during the callback only). frontend_destroy frees the
 * ring without a wait: release every window first. */
typedef void (*frontend_ring_wait)(void *user, uint64_t below);
void frontend_set_ring_wait(frontend *q, frontend_ring_wait fn, void *user);
/* Inside the callback: whether iq (as passed to it) is the ring itself, not a copy; then
 * *first is the stream index of iq[0], and iq[0..n_iq) stays valid until a ring wait with
 * below > *first returns. False (and *first untouched) for a copied or NULL iq. */
bool frontend_iq_in_ring(const frontend *q, const float complex *iq, uint64_t *first);
/* End of stream: runs the last partial batch and closes open bursts (TRUNC_END). */
int frontend_flush(frontend *q, frontend_burst_cb cb, void *user);
void frontend_stats(const frontend *q, frontend_stats_t *out);
/* Why the last frontend_execute failed ("" if it never did). */
const char *frontend_error(const frontend *q);
/* Current noise floor of FFT bin k (fftshifted), power per sample; NAN before warm-up. */
float frontend_floor(const frontend *q, unsigned k);
void frontend_destroy(frontend *q);

#endif
