/* Private to the RF front end: frontend.c (one thread: the streaming spectrogram) and
 * frontend_mt.c (threads > 1: frames read from the IQ ring, batches transformed by a
 * worker pool, detection in sample order on the caller's thread). Both paths feed the
 * detector the same frames, in the same batches and order, so their output is identical. */
#ifndef SG_FRONTEND_INT_H
#define SG_FRONTEND_INT_H

#include "frontend.h"

#define PENDING_MAX 256
/* A ring larger than this (bytes) is written with streaming stores: far beyond the caches, a
 * plain store first reads the line it overwrites and evicts useful ones for it; a burst's
 * IQ is read back from memory either way */
#define FE_STREAM_BYTES ((uint64_t)4 << 20)

typedef struct fe_pool fe_pool;

/* Detector and spectrogram counters (frontend_stats_t's bursts_small, bursts_weak,
 * bursts_dropped, hot_cells and frames). */
typedef struct {
    uint64_t small, weak, dropped, hot, frames;
} fe_det_counts;

struct frontend_s {
    frontend_cfg cfg;
    /* allocated for one sample rate */
    double fs;
    unsigned hop;
    spectro *sp;          /* one thread: the streaming spectrogram; threads > 1: the caller's
                             transform (spectro_transform_ring) */
    burstdet *det;
    float complex *ring;
    uint64_t ring_mask;
    bool ring_stream;     /* the ring is written with streaming stores (FE_STREAM_BYTES) */
    uint64_t ring_keep;   /* samples of history the ring guarantees behind head (its size with
                             one thread; with threads > 1 one thread's with the ring doubled,
                             or the ring less the step written ahead of the detector where that
                             still holds what one thread reads: frontend.c setup) */
    uint64_t head;        /* stream index one past the newest sample the detector has seen */
    uint64_t valid_from;  /* first sample after the last gap */
    uint64_t ring_end;    /* one past the newest stream index written into the ring (0: none
                             since set-up) */
    uint64_t ref_first;   /* stream index of the window last handed out in the ring */
    frontend_ring_wait ring_wait; /* frontend_set_ring_wait; NULL = none */
    void *ring_wait_user;
    float complex *copy;  /* contiguous IQ for the callback */
    size_t copy_cap;
    uint64_t iq_max_n;    /* longest burst (samples) given IQ; larger: none (iq_max_s) */
    uint64_t margin;      /* samples */
    size_t chunk;
    /* stream state */
    bool started;
    uint64_t next_index;
    double fc, t0;
    burstdet_region pending[PENDING_MAX];
    unsigned n_pending;
    frontend_burst_cb cb;
    void *user;
    frontend_stats_t st;
    sg_errinfo err;       /* why the last execute failed */
    fe_det_counts base;   /* counters of the detectors setup() replaced */
    /* threads > 1 (frontend_mt.c) */
    fe_pool *pool;
    bool mt_primed;       /* next_frame is meaningful (false at a segment start) */
    uint64_t next_frame;  /* stream index of the next frame not yet in a batch */
    uint64_t mt_frames;   /* frames detected through the pool */
};

/* frontend.c */
void fe_on_region(void *user, const burstdet_region *r);
void fe_drain(frontend *q, bool all);
/* Before samples [idx, end) are written into the ring: the ring wait for the indices they
 * overwrite (frontend_set_ring_wait); on the caller's thread. */
void fe_ring_claim(frontend *q, uint64_t idx, uint64_t end);
/* stream: with streaming stores (x86 SSE2; a plain copy elsewhere) */
uint64_t fe_copy_limited(float complex *restrict dst, const float complex *restrict src,
                         size_t n, bool stream);
/* n samples of stream index idx.. into the ring (wrapping; *first of them before the wrap),
 * limited; returns the samples zeroed. */
uint64_t fe_ring_write(float complex *ring, uint64_t mask, uint64_t idx,
                       const float complex *src, size_t n, bool stream, size_t *first);

/* frontend_mt.c. Chunks written ahead of the detector per step (sizes the ring). */
unsigned fe_mt_step_chunks(unsigned threads);
/* Starts threads - 1 workers with their own spectrograms (cfg as the caller's). */
fe_pool *fe_pool_create(unsigned threads, const spectro_cfg *cfg, sg_errinfo *e);
void fe_pool_destroy(fe_pool *p);
/* frontend_execute's sample loop with the pool: blk's samples into the ring, frames,
 * detection and delivery as one thread does them. */
void fe_mt_samples(frontend *q, const sg_iq_block *blk);
/* The frames of the incomplete batch (before a gap, at the end of stream). */
void fe_mt_flush(frontend *q);

#endif
