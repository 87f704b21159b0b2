/* Sky/horizon mask for the sky detector: which part of the frame is ground (trees,
 * fields, buildings), learnt per clip, online, from the detector's own statistics.
 *
 * Input each frame: the per-pixel static clutter mean of the top-hat response (bg,
 * grey levels; large where small-scale structure stays put: foliage, grass, walls;
 * about 0 in open sky, clouds included, because the top-hat removes anything larger
 * than its square) and its per-block mean (tex, nbx x nby blocks). Method:
 *   1. the sky reference is the 10th percentile of the block textures (a frame that
 *      is at least 10 % sky); a block is textured when it exceeds it by `thr`;
 *   2. per block column, the ground is the run of textured blocks that starts at the
 *      bottom of the frame (one smooth block bridged), so a mildly textured sky far
 *      from the ground (thermal vignetting, sensor pattern) does not count; the horizon
 *      is refined to the pixel row, in that run's top block and the blocks next to it,
 *      where the column's row mean of bg first passes halfway from the sky reference
 *      to the ground's level (the top-hat spreads the ground's response ~2r px up);
 *   3. the per-column horizon is the median over 5 neighbouring block columns, so an
 *      isolated textured sky block (a hovering object learnt as clutter, a mast tip)
 *      does not pull the horizon up, and a tilted (rolled) horizon is followed.
 * A box is "ground" when its top lies more than `margin` px below the horizon in every
 * block column it covers: an object seen against the sky just above the tree line is
 * kept, one fully inside the trees is not. A frame without textured blocks has no
 * ground. The mask follows the scene: bg moves with the camera when the detector
 * compensates global motion. Memory allocated at create; update never allocates. */
#ifndef SKYMASK_H
#define SKYMASK_H

#include <stdbool.h>

#include "sg_error.h"

typedef struct skymask skymask;

/* width, height px (>= 16) of bg; block px (4..128) of tex. NULL on error. */
skymask *skymask_create(int width, int height, int block, sg_errinfo *e);
void skymask_destroy(skymask *m);

/* Re-estimates the horizon from this frame's bg (width x height, row-major) and tex
 * (ceil(width/block) x ceil(height/block) blocks). thr: grey levels > 0. */
void skymask_update(skymask *m, const float *bg, const float *tex, float thr);

/* Horizon row (px, may be fractional-free int) of block column c: rows below it are
 * ground; height when the column has no ground. */
int skymask_horizon(const skymask *m, int c);

/* Is the box with columns x0..x1 and top row y0 ground (its top more than margin px
 * below the horizon in every block column it covers)? */
bool skymask_is_ground(const skymask *m, int x0, int x1, int y0, int margin);

#endif
