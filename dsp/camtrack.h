/* Camera track-level class decision: turns the classifier's per-detection class
 * probabilities (dsp/camcls) into the class published for the detection's track
 * (adapters/camera_gst.c, after camcls, before camera_classify).
 *
 * Evidence: per track, the running mean of the class log-probabilities (each
 * probability floored at CAMTRACK_P_FLOOR, so one confidently wrong frame moves the mean
 * by at most log(1/floor)/smooth) over about `smooth` detections (a plain mean over the
 * first ones); the published probabilities are its softmax.
 * Fragments: skydet gives an object a new tracklet id when it loses it for a few frames
 * (a fast turn, a merge with a cloud edge); the new id would start from no evidence and
 * spend its first detections undecided. With inherit_frames > 0, a track seen for the
 * first time takes over the evidence (mean and count) of a track that was last seen at
 * most inherit_frames frames earlier, is absent from this frame, and ended within
 * inherit_px + the larger of the two objects' sizes of the new one's position (the
 * nearest such, each ended track at most once).
 *
 * Threading: one object per camera, used from one thread; no allocation after create. */
#ifndef CAMTRACK_H
#define CAMTRACK_H

#include <stddef.h>
#include <stdint.h>

#include "camcls.h"
#include "sg_error.h"
#include "skydet.h"

#define CAMTRACK_P_FLOOR 0.01 /* probability floor before the log */

/* Bounds of camtrack_cfg (camtrack_cfg_check; the camera's JSON keys class_smooth,
 * class_inherit_frames and class_inherit_px are parsed with the same). */
#define CAMTRACK_SMOOTH_MAX 1000
#define CAMTRACK_INHERIT_FRAMES_MAX 300
#define CAMTRACK_INHERIT_PX_MAX 1000.0

typedef struct {
    int smooth;         /* detections, 1..CAMTRACK_SMOOTH_MAX: length of the running mean
                           (1 = each detection alone: probabilities are passed through
                           unchanged) */
    int inherit_frames; /* frames, 0..CAMTRACK_INHERIT_FRAMES_MAX: fragment inheritance
                           window (0 = off) */
    double inherit_px;  /* px, 0..CAMTRACK_INHERIT_PX_MAX: inheritance distance, plus the
                           larger object size */
} camtrack_cfg;

typedef struct {
    uint64_t inherited; /* new tracks that took over an ended track's evidence */
    uint64_t evicted;   /* track evidence dropped because every slot was in use (oldest first) */
} camtrack_stats;

typedef struct camtrack camtrack;

/* smooth 30, inherit_frames 15, inherit_px 16 (the camera sets smooth per modality:
 * camera_class_smooth) */
void camtrack_cfg_default(camtrack_cfg *cfg);
/* SG_ERANGE naming the field and its range when a value is out of range. */
int camtrack_cfg_check(const camtrack_cfg *cfg, sg_errinfo *e);

/* max_tracks: 1..4096 tracks remembered at once (alive or recently ended). NULL on
 * error (e says why). */
camtrack *camtrack_create(const camtrack_cfg *cfg, int max_tracks, sg_errinfo *e);
void camtrack_destroy(camtrack *t);

/* One frame's classified detections: dets[n] (their track_id: 0 = no track, passed
 * through) and probs[n * CAMCLS_N], each row the detection's class probabilities on
 * input and its track's published probabilities on output. frame: the frame's number,
 * strictly increasing between calls. A track id may appear at most once per frame
 * (later duplicates are passed through). */
void camtrack_update(camtrack *t, uint64_t frame, const skydet_det *dets, size_t n,
                     double *probs);

void camtrack_get_stats(const camtrack *t, camtrack_stats *out);

#endif
