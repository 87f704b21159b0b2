/* Global image motion between consecutive frames (camera pan / tilt), for the sky
 * detector's clutter compensation: a following or PTZ camera moves the whole scene,
 * which would otherwise turn every static structure into a "moving object".
 *
 * Method: both frames reduced 4x (box mean); the integer shift in +-max_shift/4 reduced
 * pixels minimising the mean absolute difference over the overlap; refined at full
 * resolution by +-3 px on a sparse grid. A shift is reported only when it explains
 * the change clearly better than no motion (SAD at the shift < 0.8 x SAD at zero; the
 * reduced estimate not at the search edge), so noise and a moving object alone give (0, 0).
 * That estimate is translation only. skymotion_enable_zoom adds a similarity model (zoom
 * about the frame centre, small roll, translation) for a PTZ camera:
 *
 *   1. a grid of up to 8 x 6 blocks of 32 x 32 px (16 x 16 below 160 px; overlapping in
 *      small frames) inside the frame, away from the edges by max_shift + 5 px;
 *   2. per block, the shift of the 4x reduced block in +-max_shift/4 reduced px by mean
 *      absolute difference (SAD). A block is textured when its reduced gradient structure
 *      tensor has a smaller eigenvalue >= 1 (a plain gradient or a straight edge fixes one
 *      direction only) and its mean SAD >= 1 grey level; matched when that minimum is clear
 *      (< 0.5 x the mean SAD, not at the search edge); a well textured block (mean SAD >= 3)
 *      without a match has changed. A match is refined at full resolution: whole pixel in
 *      +-3 px by SAD, then Lucas-Kanade (bilinear, gradient of the current block) with the
 *      frame's sensor noise (Immerkaer's estimate, median over the blocks) taken off the
 *      gradient energy, so noise does not pull the shift towards the whole pixel; the shift
 *      is assigned to the block's gradient-weighted centre;
 *   3. a RANSAC-like fit: the identity, each block's pure shift and the similarity of every
 *      pair of matched blocks are tried; the one most blocks follow within 1 px (zoom within
 *      max_zoom, roll within 2 degrees, shift within max_shift) is refitted by weighted least
 *      squares (weight = the block's shift precision) on those blocks, so blocks holding a
 *      moving object are outliers; every textured block is then measured again from the
 *      shift the fit predicts for it and the fit repeated; a zoom and roll that do not lower
 *      the residual significantly (F test) are dropped for the shift alone;
 *   4. confidence = agreeing blocks / textured blocks. The fit is accepted with at least 4
 *      agreeing blocks and confidence >= min_conf; with fewer than 4 textured blocks the
 *      frame is "flat" (nothing there to smear); otherwise the motion is lost (a scene cut,
 *      a pan beyond max_shift): the caller relearns its background.
 * Memory allocated at create / enable; estimate and warp never allocate. One thread per
 * object. */
#ifndef SKYMOTION_H
#define SKYMOTION_H

#include <stddef.h>
#include <stdint.h>

#include "sg_error.h"

typedef struct skymotion skymotion;

/* width, height px 16..8192; max_shift px 4..128 per frame. NULL on error. */
skymotion *skymotion_create(int width, int height, int max_shift, sg_errinfo *e);
void skymotion_destroy(skymotion *m);
/* Forgets the previous frame (the next estimate returns 0, 0). */
void skymotion_reset(skymotion *m);

/* Shift (dx, dy) px of the scene from the previous frame to img: a static point at
 * (x, y) in the previous frame is at (x + dx, y + dy) now. The first frame gives (0, 0).
 * img: width x height GRAY8, rows `stride` bytes apart. Returns 1 if a shift was
 * detected, 0 if none. */
int skymotion_estimate(skymotion *m, const uint8_t *img, size_t stride, int *dx, int *dy);

/* ---- zoom / roll / shift model ------------------------------------------------------ */

/* A static point at p in the previous frame is at p' = c + A (p - c) + t now, c the frame
 * centre ((w - 1) / 2, (h - 1) / 2), A = zoom x rotation(roll). */
typedef struct {
    double zoom;      /* scale from the previous frame to this one (1.01 = zooming in 1 %) */
    double roll;      /* rad, positive turns the scene from +x towards +y (clockwise on screen) */
    double tx, ty;    /* px, shift of the frame centre */
    double conf;      /* 0..1: agreeing blocks / textured blocks */
    int blocks;       /* blocks in the grid */
    int textured;     /* blocks with 2-D texture */
    int inliers;      /* textured blocks that follow the model within 1 px */
} skymotion_fit;

typedef enum {
    SKYMOTION_STILL = 0, /* fitted; it moves no point by 0.25 px or more: no motion */
    SKYMOTION_MOVED,     /* fitted: compensate with the fit */
    SKYMOTION_FLAT,      /* fewer than 4 textured blocks: nothing to fit (nor to smear) */
    SKYMOTION_LOST,      /* textured, but no model explains the change: relearn */
} skymotion_result;

/* Turns on the similarity model. max_zoom: largest zoom change per frame as a fraction,
 * 0.001..0.1 (0.02 = 2 %); min_conf 0.1..1. SG_ERANGE naming the value, or when the frame
 * is too small for the block grid at this max_shift (needs 2 (max_shift + 4) + 16 px each
 * way); SG_ENOMEM. Adds about 4 B per pixel (the warp's scratch). */
int skymotion_enable_zoom(skymotion *m, double max_zoom, double min_conf, sg_errinfo *e);

/* The similarity from the previous frame to img (same image rules as skymotion_estimate;
 * the first frame after create / reset gives STILL with the identity). *fit is always
 * filled (the identity unless MOVED). Needs skymotion_enable_zoom; without it, FLAT. */
skymotion_result skymotion_estimate_zoom(skymotion *m, const uint8_t *img, size_t stride,
                                         skymotion_fit *fit);

/* Largest displacement (px) the fit gives any pixel of the frame. */
double skymotion_fit_extent(const skymotion *m, const skymotion_fit *fit);

/* Moves a width x height float image (e.g. a background model) with the scene by `fit`,
 * in place: out(p') = in(p), resampled by separable cubic convolution (Keys, a = -0.5: it
 * reproduces quadratics, so repeated warps blur far less than bilinear). Pixels whose
 * source p lies outside the frame (came into view) are set to NAN for the caller to fill.
 * Needs skymotion_enable_zoom (its scratch). */
void skymotion_warp(skymotion *m, const skymotion_fit *fit, float *img);

/* Where the fit moves the point (x, y) (px) and the velocity (vx, vy) (px/frame). */
void skymotion_fit_apply(const skymotion *m, const skymotion_fit *fit, double *x, double *y,
                         double *vx, double *vy);

#endif
