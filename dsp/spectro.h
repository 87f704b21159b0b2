/* Streaming spectrogram: the first DSP stage after the IQ adapters.
 *
 * Cuts a sample stream into frames of nfft samples every hop samples, applies a
 * window and computes |X[k]|^2 with batched FFTW plans (fftwf_plan_many_dft, planned
 * once at create). Frames are delivered in order, fftshifted (bin 0 = lowest
 * frequency, bin nfft/2 = DC), together with the stream index of their first sample.
 * A frame is produced only when its whole batch is complete; spectro_flush() runs
 * the last partial batch at end of stream.
 *
 * Not thread-safe (one object per thread). create/destroy use FFTW's planner, which
 * is process-global; they serialise on an internal lock, so sensors may create their
 * spectrograms on their own threads. */
#ifndef SG_SPECTRO_H
#define SG_SPECTRO_H

#include <complex.h>
#include <stddef.h>
#include <stdint.h>

#include "sg_error.h"

typedef enum {
    SPECTRO_WIN_HANN = 0,
    SPECTRO_WIN_HAMMING,
    SPECTRO_WIN_BLACKMAN,
    SPECTRO_WIN_RECT,
} spectro_window;

typedef struct {
    unsigned nfft;        /* FFT size, power of two in [16, 65536] */
    unsigned hop;         /* samples between frame starts, 1..nfft (nfft = no overlap) */
    unsigned batch;       /* frames per FFTW call, 1..256, nfft * batch <= 2^22 */
    spectro_window window;
    unsigned fftw_flags;  /* FFTW_ESTIMATE / FFTW_MEASURE (0 = FFTW_ESTIMATE) */
} spectro_cfg;

typedef struct spectro_s spectro;

/* One power frame: power[nfft] (window-energy normalised, so white noise of
 * variance s2 gives E[power] = s2), start = stream index of the frame's first sample. */
typedef void (*spectro_frame_fn)(void *user, const float *power, uint64_t start);

/* Fills cfg with defaults: nfft 1024, hop 1024, batch 16, Hann, FFTW_ESTIMATE. */
void spectro_cfg_default(spectro_cfg *cfg);
spectro *spectro_create(const spectro_cfg *cfg, sg_errinfo *e);
void spectro_destroy(spectro *q);
/* Feeds n samples whose first has stream index `index`. If index is not the next
 * expected one (a gap), staged samples are dropped and framing restarts at index.
 * Calls fn for every frame completed. Never allocates. */
void spectro_execute(spectro *q, const float complex *x, size_t n, uint64_t index,
                     spectro_frame_fn fn, void *user);
/* Runs the frames waiting in an incomplete batch (end of stream or before a gap). */
void spectro_flush(spectro *q, spectro_frame_fn fn, void *user);
/* Drops staged samples and waiting frames without delivering them. */
void spectro_reset(spectro *q);
/* Where spectro_transform reads a frame's samples: stream index i < x_index from
 * ring[i & ring_mask] (ring_mask + 1 samples, a power of two), i >= x_index from
 * x[i - x_index] (x may be NULL when no frame reaches x_index). A sample with a component
 * beyond +-limit or not finite is read as 0. */
typedef struct {
    const float complex *ring;
    uint64_t ring_mask;
    const float complex *x;
    uint64_t x_index;
    float limit;          /* > 0 */
} spectro_source;

/* Stateless batch transform for callers that do their own framing (the multi-threaded
 * front end: one spectro per thread): frames b = 0..count-1 (count 1..batch) start at
 * stream index starts[b] in src. Writes each frame's power, exactly as spectro_execute
 * delivers it for the same samples, to power[b * nfft ..]. Leaves the streaming state
 * (staged samples, waiting frames, frame count) alone. */
void spectro_transform(spectro *q, const spectro_source *src, const uint64_t *starts,
                       unsigned count, float *power);
unsigned spectro_nfft(const spectro *q);
/* The process-wide lock around FFTW planner calls (plan and destroy). Every module
 * that plans FFTs (spectrograms, direction finding) takes it; blocks while another
 * thread plans. */
void spectro_planner_lock(void);
void spectro_planner_unlock(void);
/* Frames computed so far (delivered). */
uint64_t spectro_frames(const spectro *q);
/* Cumulative window energy: cdf[i] = sum_{j<i} w[j]^2 / sum w^2, i = 0..nfft
 * (cdf has nfft+1 entries). Lets a detector turn the share of a burst's energy
 * seen in an edge frame into the sample where the burst starts or ends. */
void spectro_window_cdf(const spectro *q, float *cdf);

#endif
