/* Small-object detector for sky backgrounds: the pixel stage of the camera path
 *
 *   camera frames (GRAY8) -> skydet -> detections (pixel position, size, contrast,
 *   confidence) -> camgeom (pixel -> az/el) -> SG_MEAS_BEARING measurements
 *
 * Method (see docs/camera.md for the reasoning):
 *   1. local contrast: morphological top-hat with a (2r+1)^2 square: bright = I - open(I)
 *      (hot target on cold sky), dark = close(I) - I (drone against bright sky). Sky
 *      gradients, cloud banks, cloud edges and brightness ramps are larger than the
 *      square and vanish; anything whose smaller side is below 2r+1 px survives.
 *   2. static clutter: a slow per-pixel running mean of the top-hat response
 *      (clutter_tau_frames) is subtracted, so fixed small structures (masts, tree
 *      tips, stars, hot pixels) stop firing; it starts from the first frame.
 *   3. noise: the residual's standard deviation is tracked per block (block x block
 *      px, i.e. a reduced-resolution running variance) so textured clouds and tree
 *      lines raise their own threshold; a pixel fires when the residual exceeds
 *      the block's residual mean by max(k_sigma * sd_block, min_contrast) and is itself
 *      above min_contrast (a place whose learnt clutter is unlearning does not fire).
 *   4. blobs: 8-connected components of firing pixels (run-length union-find),
 *      fragments closer than merge_px merged, score-weighted sub-pixel centroid.
 *   0. camera motion (max_shift_px): the integer scene shift since the last frame is
 *      estimated (skymotion.h); the clutter mean and the tracklets are moved with it,
 *      and the strip that came into view is learnt at once, like a first frame. With
 *      max_zoom_pct the motion is zoom + roll + shift, the clutter mean is resampled, and
 *      a scene the fit cannot follow is relearnt (counted) instead of firing everywhere.
 *   4b. horizon mask (sky_mask): blobs below the horizon learnt from the static-texture
 *      map (skymask.h) are dropped, so ground, trees and buildings do not fire.
 *   5. persistence: blobs feed short tracklets (alpha-beta, constant velocity, gate
 *      gate_px); a tracklet is confirmed when it was hit in persist_k of the last
 *      persist_n frames, i.e. it moved near-consistently (or stood still); one started
 *      by a first-frame object has no history before it (first_frame_persist_k).
 * All memory is allocated by skydet_create; processing a frame allocates nothing.
 * An object is single-threaded: one thread calls skydet_process at a time. */
#ifndef SKYDET_H
#define SKYDET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "sg_error.h"

typedef enum {
    SKYDET_BOTH = 0, /* either polarity (default) */
    SKYDET_DARK,     /* dark object on bright sky (visible daylight) */
    SKYDET_BRIGHT,   /* bright object on dark sky (thermal: hot target, cold sky) */
} skydet_polarity;

typedef struct {
    int width, height;        /* px, 16..8192 each: every frame must have this size */
    int radius;               /* px, 1..31: top-hat square is 2r+1; objects thinner than it are kept (default 7) */
    skydet_polarity polarity; /* default SKYDET_BOTH */
    double k_sigma;           /* 2..50: threshold in local noise sd (default 6) */
    double min_contrast;      /* grey levels 1..255: threshold floor (default 8) */
    int block;                /* px, 4..128: noise block size (default 16) */
    double noise_tau_frames;  /* frames >= 1: noise sd time constant (default 30) */
    double clutter_tau_frames;/* frames, 0 = off or >= 1: static-clutter mean time constant (default 300) */
    int min_area;             /* px >= 1: smaller blobs are ignored (default 2) */
    int max_size;             /* px >= 1: blobs whose bbox side exceeds it are ignored (default 160) */
    int merge_px;             /* px 0..64: fragments this close are one object (default 8) */
    double merge_frac;        /* 0..4: also merge fragments whose gap is within this fraction of
                                 the larger one's longer side, so an object wider than the
                                 top-hat (seen only by its thin parts) gets one box (default 0) */
    int persist_k, persist_n; /* 1 <= k <= n <= 32: hits needed in the last n frames (default 3 of 5) */
    double gate_px;           /* px > 0: tracklet association radius around the prediction (default 12) */
    int max_blobs;            /* 1..4096 blobs kept per frame; extra counted (default 256) */
    int max_tracklets;        /* 1..1024 (default 64); new objects beyond it are counted */
    int max_runs;             /* 64..1<<22 firing row runs per frame; extra counted (default 65536) */
    double sky_texture;       /* grey levels, 0 = off: blobs in blocks whose static small-scale
                                 structure (mean clutter mean) exceeds the frame's median block by
                                 more than this are dropped: a learnt "not sky" mask (default 0) */
    int border;               /* px -1..64: pixels this close to the frame edge never fire: the
                                 truncated top-hat window is biased there (default -1 = radius) */
    int max_shift_px;         /* px per frame, 0 = off or 4..128: global-motion compensation (a
                                 panning / tilting camera): the scene shift is estimated
                                 (skymotion.h) and the clutter mean and tracklets move with
                                 it (default 0: measured no net gain on the calib clips;
                                 16 for a following or PTZ camera) */
    double sky_mask;          /* grey levels, 0 = off or 0.5..255: horizon mask (skymask.h):
                                 blobs below the learnt horizon (ground, trees, buildings) are
                                 dropped and counted; a block is ground-textured when its static
                                 structure exceeds the frame's sky reference by this much (default
                                 0; camera_cfg_from_json sets 3 for a thermal camera) */
    int sky_mask_margin_px;   /* px -64..128: a blob is dropped only when its top lies more than
                                 this far below the horizon (default 0) */
    bool first_frame_detect;  /* objects standing out of their surround in the first frame
                                 (after create or reset) are not learnt as clutter, so one
                                 already in view fires from the next frame (default false) */
    int first_frame_max_px;   /* px, 0 = no limit or 1..8192: with first_frame_detect, only
                                 first-frame objects (8-connected) whose box's longer side is
                                 at most this are taken; larger ones (cloud edges, bright cloud
                                 bands) are learnt as clutter as without it (default 0) */
    bool first_frame_report;  /* with first_frame_detect: the first frame's objects (after
                                 create, not after a motion reset) are also that frame's
                                 candidate blobs and start tracklets, so an object in view at
                                 the first frame is confirmed at frame persist_k - 1 (0-based),
                                 like any object from the frame it appears in, instead of at
                                 frame persist_k (default false) */
    int first_frame_persist_k;/* 0 = off or 1..persist_k: with first_frame_report, a tracklet
                                 started by a first-frame object is confirmed with this many
                                 hits while it has been hit in every frame since the first (the
                                 frames before the first were not seen, they are not misses),
                                 so with 2 it is confirmed at frame 1 (0-based); after its
                                 first miss persist_k of persist_n applies (default 0) */
    double max_zoom_pct;      /* % per frame, 0 = off or 0.1..10: zoom compensation (needs
                                 max_shift_px): the global motion is fitted as zoom about the
                                 frame centre + small roll + shift from blocks of background
                                 texture (skymotion.h), the clutter mean is resampled with it
                                 and a failed fit on a changed scene (cut, pan beyond
                                 max_shift_px) relearns the background, counted (default 0) */
    double motion_min_conf;   /* 0.1..1: share of the textured blocks that must agree with the
                                 zoom fit (default 0.5) */
} skydet_cfg;

/* One object in one frame. Pixel coordinates: (0,0) is the centre of the top-left
 * pixel, x right, y down. */
typedef struct {
    double x, y;          /* px, score-weighted sub-pixel centroid */
    double vx, vy;        /* px/frame, tracklet velocity estimate (0 for a new tracklet) */
    int x0, y0, x1, y1;   /* px, inclusive bounding box of the firing pixels */
    int area;             /* px firing */
    double contrast;      /* grey levels: peak residual (top-hat minus clutter mean) */
    double snr;           /* contrast / local noise sd */
    double confidence;    /* 0..1: hits/persist_n times (1 - exp(-snr/k_sigma)) */
    int polarity;         /* +1 brighter than its surround, -1 darker */
    uint32_t track_id;    /* tracklet id, stable while the object is followed; 0 if none */
    int hits;             /* frames hit among the last persist_n */
    bool confirmed;       /* persistence test passed */
    double texture;       /* grey levels: static structure of the peak's block above the frame's
                             median block (about 0 in open sky, large on tree lines) */
} skydet_det;

/* px: the longer side of d's bounding box (the object's size in the tracklet, the track
 * memory and the measurement's centroid noise). */
static inline int skydet_det_size(const skydet_det *d)
{
    int w = d->x1 - d->x0 + 1, h = d->y1 - d->y0 + 1;
    return w > h ? w : h;
}

typedef struct {
    /* last frame */
    uint32_t fired_px;        /* pixels above threshold */
    uint32_t blobs;           /* candidate blobs after merge and size filter */
    uint32_t confirmed;       /* confirmed detections reported */
    uint32_t tracklets;       /* live tracklets */
    double noise_sd_median;   /* grey levels, median block noise sd */
    /* totals since create/reset */
    uint64_t frames;
    uint64_t detections;      /* confirmed detections reported */
    uint64_t runs_dropped;    /* firing runs beyond max_runs (frame saturated) */
    uint64_t blobs_dropped;   /* blobs beyond max_blobs */
    uint64_t blobs_too_large; /* rejected by max_size */
    uint64_t blobs_textured;  /* rejected by sky_texture */
    uint64_t blobs_below_horizon; /* rejected by sky_mask */
    uint64_t first_frame_px;  /* first-frame pixels taken as objects (first_frame_detect) */
    uint64_t first_frame_large_px; /* first-frame object pixels learnt as clutter because their
                                      object exceeds first_frame_max_px (or max_runs) */
    uint64_t tracklets_dropped; /* new objects without a free tracklet slot */
    uint64_t frames_shifted;  /* frames with a compensated camera motion */
    int shift_x, shift_y;     /* px, last frame's compensated scene shift (rounded with zoom) */
    /* zoom compensation (max_zoom_pct); frames_shifted counts these frames too */
    uint64_t frames_warped;   /* frames whose clutter mean was resampled (zoom, roll, sub-px) */
    uint64_t motion_resets;   /* fit failed on a changed scene: background relearnt, no
                                 detections from that frame */
    uint64_t motion_flat;     /* frames left uncompensated: too little texture for a fit, or
                                 the fit still lost after its reset */
    double zoom;              /* last frame's fitted zoom (1 = none or not fitted) */
    double roll_deg;          /* degrees, last frame's fitted roll (clockwise on screen) */
    double motion_conf;       /* 0..1, last fit's agreeing / textured blocks */
} skydet_stats;

typedef struct skydet skydet;

/* Fills the defaults above for a width x height frame. */
void skydet_cfg_default(skydet_cfg *cfg, int width, int height);

/* Overrides defaults from a JSON object (the camera adapter's "detector" section):
 * keys radius, polarity ("both"|"dark"|"bright"), k_sigma, min_contrast, block,
 * noise_tau_frames, clutter_tau_frames, min_area, max_size, merge_px, persist_k,
 * persist_n, gate_px, max_blobs, max_tracklets, border, sky_texture, max_shift_px, sky_mask,
 * sky_mask_margin_px, first_frame_detect (boolean), first_frame_max_px, first_frame_report
 * (boolean), first_frame_persist_k, max_zoom_pct, motion_min_conf. Unknown keys are errors. width and
 * height are not read (they come from the stream). obj may be NULL (no change). */
int skydet_cfg_from_json(skydet_cfg *cfg, const cJSON *obj, const char *where, sg_errinfo *e);

/* Checks every field; SG_EINVAL/SG_ERANGE naming the field. */
int skydet_cfg_check(const skydet_cfg *cfg, sg_errinfo *e);

/* Allocates everything the detector will ever use. NULL on error (e says why). */
skydet *skydet_create(const skydet_cfg *cfg, sg_errinfo *e);
void skydet_destroy(skydet *q);
/* Forgets the background, noise and tracklets (e.g. after a gap or camera move). */
void skydet_reset(skydet *q);

/* Processes one frame: img is width x height GRAY8 with rows `stride` bytes apart
 * (stride >= width). *dets and *n receive the confirmed detections of this frame, owned
 * by q and valid until the next call. Returns SG_OK or SG_EINVAL (NULL image, bad
 * stride). Never allocates, never blocks. */
int skydet_process(skydet *q, const uint8_t *img, size_t stride, const skydet_det **dets,
                   size_t *n);

/* All candidate blobs of the last frame (confirmed or not), for tools and tests. */
void skydet_candidates(const skydet *q, const skydet_det **dets, size_t *n);

void skydet_get_stats(const skydet *q, skydet_stats *out);

/* The per-block static-texture map of the last frame (the sky estimate: about 0 in open
 * sky, clouds included, large on tree lines, fields, buildings): nbx x nby blocks of
 * block x block px, row-major, grey levels; *median = the frame's median block. Owned by
 * q, valid until the next skydet_process. */
void skydet_texture_map(const skydet *q, const float **tex, int *nbx, int *nby, int *block,
                        float *median);

/* The horizon mask (skymask.h) of the last frame, NULL when sky_mask is 0. */
struct skymask;
const struct skymask *skydet_sky_mask(const skydet *q);

#endif
