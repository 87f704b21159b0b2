/* Internal state of the global-motion estimator, shared by skymotion.c (create, the
 * translation estimate) and skymotion_zoom.c (the zoom model and the warp). Not an API. */
#ifndef SKYMOTION_INT_H
#define SKYMOTION_INT_H

#include <stdbool.h>

#include "skymotion.h"

#define RED 4 /* reduction factor */

#define ZB_MAX_X 8 /* block grid of the zoom model */
#define ZB_MAX_Y 6
#define ZB_N (ZB_MAX_X * ZB_MAX_Y)
#define Z_MIN_BLOCKS 4    /* agreeing blocks needed for a fit */
#define Z_INLIER_PX 1.0   /* a block agrees with a model within this, px */
#define Z_MAX_ROLL 0.0349 /* rad (2 degrees) per frame */
#define Z_FLAT_SAD 1.0    /* grey levels: reduced blocks whose mean SAD is below are flat */
#define Z_TEXTURE 1.0     /* grey levels^2 / px^2 (reduced): 2-D texture needed to match */
#define Z_TEX_FULL 0.15   /* grey levels^2 / px^2 (full resolution, noise removed): the same */
#define Z_CHANGED_SAD 3.0 /* grey levels: a block this textured without a match has changed */
#define Z_STILL_PX 0.25   /* a fit that moves no pixel this far is no motion */

struct skymotion {
    int w, h, rw, rh, max_shift;
    uint8_t *cur, *prev;      /* rw x rh reduced frames */
    uint8_t *full_prev;       /* w x h previous full frame (refinement) */
    bool have_prev;
    /* zoom model (skymotion_enable_zoom), NULL / 0 when off */
    double max_zoom, min_conf;
    int bs, gnx, gny;         /* block side px (multiple of 4), grid size */
    int gx[ZB_N], gy[ZB_N];   /* block top-left px */
    double *sadtab;           /* (2S+1)^2 reduced SADs of one block */
    float *scratch;           /* w x h: the warp's intermediate */
    float *cw;                /* 4 x w cubic weights per column (warp without roll) */
    int *ci;                  /* w first tap per column */
    double noise_var;         /* grey levels^2: this frame's sensor noise (noise_estimate) */
};

/* img reduced 4x into m->cur */
void skymotion_reduce_(skymotion *m, const uint8_t *img, size_t stride);
/* img becomes the previous frame (reduced and full) */
void skymotion_remember_(skymotion *m, const uint8_t *img, size_t stride);

#endif
