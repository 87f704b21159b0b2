/* Global image motion between consecutive frames (camera pan / tilt), for the sky
 * detector's clutter compensation: a following or PTZ camera moves the whole scene,
 * which would otherwise turn every static structure into a "moving object".
 *
 * Method: both frames reduced 4x (box mean); the integer shift in +-max_shift/4 reduced
 * pixels minimising the mean absolute difference over the overlap; refined at full
 * resolution by +-3 px on a sparse grid. A shift is reported only when it explains
 * the change clearly better than no motion (SAD at the shift < 0.8 x SAD at zero; the
 * reduced estimate not at the search edge), so noise and a moving object alone give (0, 0).
 * Translation only: zoom and roll are not estimated (see docs/camera.md).
 * Memory allocated at create; estimate never allocates. One thread per object. */
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

#endif
