/* Internal state of the sky detector, shared by its parts (not a public API):
 * skydet.c (create, morphology, residual, background and noise model, camera motion,
 * frame loop) and skydet_blobs.c (row runs, blobs, fragment merge, tracklets). */
#ifndef SKYDET_INT_H
#define SKYDET_INT_H

#include "skydet.h"
#include "skymask.h"
#include "skymotion.h"

typedef struct {
    int y, x0, x1; /* inclusive */
    int parent;    /* union-find over runs */
} run;

typedef struct {
    int area;
    double sw, swx, swy;   /* sum of residual weights and weighted coordinates */
    double peak;           /* max residual */
    double peak_sd;        /* noise sd of the block holding the peak */
    int peak_block;        /* block index of the peak */
    double pol_sum;        /* + bright weight, - dark weight */
    int x0, y0, x1, y1;
    int parent;            /* merge union-find */
} blob_acc;

typedef struct {
    bool used;
    uint32_t id;
    double x, y, vx, vy;   /* px, px/frame */
    uint32_t hist;         /* bit 0 = this frame hit */
    int nhits_total;
    double size;           /* px, last bbox side */
    int blob;              /* index of the blob assigned this frame, -1 none */
    bool from_first;       /* started by a first-frame object and hit in every frame since
                              (first_frame_persist_k applies) */
} tracklet;

struct skydet {
    skydet_cfg c;
    int w, h, r;
    uint8_t *tmp, *mid, *opn, *cls;   /* w*h each */
    uint8_t *vg, *vh;                 /* (h+2r)*w vertical van Herk buffers */
    uint8_t *pad, *hg, *hh;           /* w+2r row buffers */
    uint8_t *padrow_min, *padrow_max; /* w bytes of 255 / 0 */
    float *bg;                        /* w*h clutter mean of the top-hat response */
    int nbx, nby;
    float *mean, *var;                /* nbx*nby residual mean and variance per block */
    float *thr, *lo, *hi;             /* nbx: threshold and clip range, current block row */
    double *acc, *acc2;               /* nbx*nby sum and sum of squares of the residual */
    double *acc3;                     /* nbx*nby sum of the clutter mean */
    float *tex;                       /* nbx*nby block texture: mean clutter mean, grey levels */
    float tex_med;                    /* median block texture of the last frame */
    int *accn;                        /* nbx*nby pixels that fed acc (non-firing) */
    int *cnt;                         /* nbx*nby pixel counts */
    int *ffbox;                       /* 4 * max_runs: first-frame object boxes per run root
                                         (first_frame_max_px > 0 only) */
    run *runs;
    int nruns;
    int *run_blob;
    blob_acc *blobs;
    int nblobs;
    skydet_det *cand;                 /* max_blobs */
    size_t ncand;
    skydet_det *out;                  /* max_tracklets */
    size_t nout;
    tracklet *trk;
    uint32_t next_id;
    uint32_t hist_mask;
    float a_clutter, a_noise;
    float *sdtmp;                     /* nbx*nby scratch for the median */
    skymotion *mo;                    /* global motion, NULL when max_shift_px is 0 */
    skymask *sm;                      /* horizon mask, NULL when sky_mask is 0 */
    bool mo_lost;                     /* the zoom fit was lost at the last frame (reset done) */
    skydet_stats st;
};

/* ---- residual -------------------------------------------------------------------- */

/* Top-hat response and polarity of one pixel. */
static inline int tophat(const skydet *q, uint8_t iv, size_t i, int *pol)
{
    int db = (int)iv - (int)q->opn[i];
    int dd = (int)q->cls[i] - (int)iv;
    switch (q->c.polarity) {
    case SKYDET_BRIGHT:
        *pol = 1;
        return db;
    case SKYDET_DARK:
        *pol = -1;
        return dd;
    default:
        if (db >= dd) {
            *pol = 1;
            return db;
        }
        *pol = -1;
        return dd;
    }
}

/* skydet_blobs.c: appends the firing run y, x0..x1 (inclusive) and joins it with the
 * touching runs of the previous row [*prev_lo, prev_hi); counts an overflow. */
void skydet_add_run(skydet *q, int y, int x0, int x1, int *prev_lo, int prev_hi);
/* Root of run i's set (union-find over q->runs). */
int skydet_run_root(skydet *q, int i);
/* Runs -> merged, filtered candidate blobs (q->cand, q->ncand). */
void skydet_make_blobs(skydet *q, const uint8_t *img, size_t stride);
/* Candidates -> tracklets -> confirmed detections (q->out, q->nout). */
void skydet_track(skydet *q);

#endif
