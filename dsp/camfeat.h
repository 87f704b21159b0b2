/* Camera object features: one fixed-length vector per detection, from the object's
 * tracklet history and the pixels around it. The single definition used both by the
 * training dump (tools/sg_camscore --features) and by real-time inference
 * (adapters/camera_gst.c -> dsp/camcls), so the model always sees the same numbers.
 *
 *   per frame:  camfeat_update(all candidate blobs of skydet, which carry track ids)
 *   per object: camfeat_compute(confirmed detection, frame pixels) -> float[CAMFEAT_N]
 *
 * Features (names from camfeat_name, units in the comments of camfeat.c):
 *   modality (0 visible, 1 thermal); object size and shape (log2 of box width, height,
 *   area, aspect, fill); contrast and SNR (log), polarity, block texture; appearance at
 *   three scales (mean difference and texture of square rings 2x, 4x and 8x the object
 *   size around it: open sky is smooth, tree lines and ground are not); motion over the
 *   last CAMFEAT_HIST frames of the tracklet: speed (px/frame and object sizes/frame),
 *   straightness, turn rate, hover fraction, size and contrast variation, wing-beat
 *   periodicity (peak autocorrelation of the size series at lags 2..12), hit rate,
 *   heading verticality and history length; the whole object (extent, fill, elongation
 *   and its alignment with the motion, from the pixels that differ from the surround,
 *   not only the top-hat's thin parts); the sky estimate around it (static texture of
 *   the blocks above and below it in its column, its depth below the skyline, from
 *   camfeat_set_sky); size trend, largest size, speed variation over the tracklet.
 * Cost: a few hundred pixel reads per object (rings are subsampled to <= 16x16
 * samples) and O(CAMFEAT_HIST^2) for the autocorrelation; no allocation after create. */
#ifndef CAMFEAT_H
#define CAMFEAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sg_error.h"
#include "skydet.h"

#define CAMFEAT_N 39    /* features per detection */
#define CAMFEAT_HIST 32 /* frames of tracklet history kept per object */

typedef struct camfeat camfeat;

typedef struct {
    uint64_t evicted; /* histories dropped because max_tracks were in use (oldest first) */
} camfeat_stats;

/* width, height: frame size in px (16..8192); thermal: modality flag fed to the model;
 * max_tracks 1..4096 objects followed at once. NULL on error (e says why). */
camfeat *camfeat_create(int width, int height, bool thermal, int max_tracks, sg_errinfo *e);
void camfeat_destroy(camfeat *f);
/* Forgets every history (e.g. after skydet_reset). */
void camfeat_reset(camfeat *f);

/* Adds this frame's candidates (skydet_candidates: confirmed or not; those with
 * track_id 0 are ignored) to their histories; frame numbers increase by 1 per call. */
void camfeat_update(camfeat *f, const skydet_det *cands, size_t n);

/* This frame's sky estimate (skydet_texture_map: nbx x nby blocks of block px, median
 * block), read by camfeat_compute; the pointer must stay valid until then. Without a
 * call (or tex NULL) the sky features are 0. */
void camfeat_set_sky(camfeat *f, const float *tex, int nbx, int nby, int block, float median);

/* Features of detection d (its track must have been fed by camfeat_update this frame,
 * else motion features are those of a new object). img: width x height GRAY8, rows
 * `stride` bytes apart. SG_EINVAL on NULL arguments. */
int camfeat_compute(camfeat *f, const uint8_t *img, size_t stride, const skydet_det *d,
                    float out[CAMFEAT_N]);

/* Appearance crops for a learned model (dsp/camcls CNN): CAMCROP_SCALES square windows
 * centred on the detection's centroid, of side 2, 4 and 8 x the box's longer side
 * (at least CAMCROP_MIN_PX px), each resampled to CAMCROP_PX x CAMCROP_PX cells (a cell
 * is the mean of up to 3x3 pixel samples; windows past the frame edge repeat the edge)
 * and contrast-normalised: (v - window mean) / max(window sd, 2 grey levels), clipped to
 * +-8. Layout: out[(s * CAMCROP_PX + row) * CAMCROP_PX + col], the smallest window
 * first (a model of k channels reads the first k windows). Cost: <= 3x256x9 pixel
 * reads. SG_EINVAL on NULL arguments. */
#define CAMCROP_PX 16
#define CAMCROP_SCALES 3
#define CAMCROP_N (CAMCROP_SCALES * CAMCROP_PX * CAMCROP_PX)
#define CAMCROP_MIN_PX 8
int camfeat_crops(const camfeat *f, const uint8_t *img, size_t stride, const skydet_det *d,
                  float out[CAMCROP_N]);
/* Same, only the first `scales` windows (0..CAMCROP_SCALES: those a model reads,
 * camcls_crop_channels); the others are 0. Window s is bit-identical to
 * camfeat_crops's. SG_EINVAL on NULL arguments or scales out of range. */
int camfeat_crops_n(const camfeat *f, const uint8_t *img, size_t stride, const skydet_det *d,
                    int scales, float out[CAMCROP_N]);

/* Short identifier of feature i (0 <= i < CAMFEAT_N), e.g. "speed_px"; NULL otherwise. */
const char *camfeat_name(int i);

void camfeat_get_stats(const camfeat *f, camfeat_stats *out);

#endif
