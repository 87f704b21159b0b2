/* Camera adapter: any GStreamer video source -> sky detector -> bearing measurements.
 *
 *   site config sensor {"kind": "camera", "adapter": {"type": "gstreamer", ...}}
 *     -> camera_cfg_from_json -> camera_create -> camera_run(cb)
 *     -> per frame: GRAY8 frame -> skydet -> camgeom -> SG_MEAS_BEARING measurements
 *
 * Threads: GStreamer's streaming thread copies each frame into a bounded,
 * pre-allocated queue (queue_frames slots); camera_run's thread (the caller's) runs
 * the detector and the callback. Live sources never block: when the queue is full
 * the new frame is dropped and counted. Files apply back-pressure (lossless).
 * Time: t = t0 + pipeline running time of the frame's PTS; t0 is "t0" from the
 * config, or for live sources the wall clock captured once when the pipeline starts
 * (never per frame), or 0 for files without "t0".
 * Privacy: frames live only in memory. Nothing is written unless store_snippets is
 * true and snippet_dir is set; then small annotated crops (PGM) around confirmed
 * detections are written atomically (temp + rename), rate-limited and capped.
 * Built without GStreamer, camera_create fails with SG_ENOTSUP and says how to get it;
 * the configuration parser is always available. */
#ifndef CAMERA_H
#define CAMERA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "camcls.h"
#include "camfeat.h"
#include "camgeom.h"
#include "camtrack.h"
#include "sg_error.h"
#include "sg_types.h"
#include "skydet.h"

#define CAMERA_PIPELINE_MAX 2048 /* bytes incl. NUL */
#define CAMERA_PATH_MAX 512

typedef struct {
    char id[SG_ID_LEN];                  /* sensor id, for messages and snippet names */
    int sensor;                          /* sensor index stamped on measurements (-1 none) */
    double sensor_enu[3];                /* m, copied into measurements (fusion may overwrite) */
    char pipeline[CAMERA_PIPELINE_MAX];  /* gst-launch syntax; "! videoconvert ! GRAY8 appsink"
                                            is appended unless it has "appsink name=sgsink" */
    bool live;                           /* live source: drop when behind, never block */
    int queue_frames;                    /* 1..256 frames between streaming and detector thread */
    double t0;                           /* s UTC of running time 0; NAN = wall clock (live) / 0 (file) */
    double max_seconds;                  /* > 0: stop after this much stream time (tests); 0 = all */
    char cls[SG_CLASS_LEN];              /* measurement class without a classifier
                                            (default "camera_object") */
    char classifier[CAMERA_PATH_MAX];    /* camcls model file ("" = no classification: every
                                            detection is published as cls) */
    char classifier_thermal[CAMERA_PATH_MAX]; /* model used instead when thermal ("" = use
                                            classifier for both modalities) */
    bool thermal;                        /* declared modality (default false = visible): it
                                            picks the model (camera_model_path) and is a
                                            classifier input */
    double drone_min_conf;               /* 0..1: P(drone) needed to publish "drone"; a
                                            likelier drone below it is "uncertain"; -1
                                            (default) = the model file's drone_min_conf,
                                            else 0.5 (camera_drone_min_conf) */
    int class_smooth;                    /* detections, 1..1000: the published class uses the
                                            running mean of the track's class log-probabilities
                                            over about this many detections (dsp/camtrack);
                                            1 = this frame only; -1 (default) = the modality's
                                            default (camera_class_smooth) */
    int class_inherit_frames;            /* frames, 0..300: a new track that starts within this
                                            many frames of another's end, near it, takes over
                                            its class evidence (0 = off; default 15) */
    double class_inherit_px;             /* px, 0..1000: "near" for class_inherit_frames, plus
                                            the larger object size (default 16) */
    double min_el;                       /* rad: detections below this elevation (ground,
                                            tree line) are dropped and counted; default -pi/2 = off */
    bool store_snippets;                 /* privacy opt-in: write annotated crops */
    char snippet_dir[CAMERA_PATH_MAX];   /* required when store_snippets */
    int snippet_px;                      /* 16..512: crop side (default 96) */
    double snippet_interval_s;           /* >= 0: at most one snippet per this stream time (default 1) */
    int snippet_max;                     /* >= 0: stop writing after this many (default 500) */
    camgeom_cfg geom;                    /* intrinsics + mounting */
    bool body_bearings;                  /* true: az/el relative to the boresight (az right,
                                            el up; the fusion registry rotates them by the
                                            mounting); false: true ENU az/el rotated here.
                                            camera_cfg_default: false; from JSON: the
                                            sensor's "body_bearings", default true like the
                                            registry's default for cameras */
    bool all_crops;                      /* tools (training dumps): every camfeat_crops window
                                            of every detection; false (default) = only the
                                            windows the classifier reads (the rest 0) */
    skydet_cfg det;                      /* width/height are filled from the stream */
} camera_cfg;

/* One processed frame, handed to the callback on camera_run's thread. All pointers
 * are valid only during the call. */
typedef struct {
    uint64_t index;               /* frame number since start, dropped frames included */
    double t;                     /* s UTC (sample-clock style, see above) */
    int width, height;            /* px */
    const uint8_t *pixels;        /* GRAY8, rows of `width` bytes (tightly packed) */
    bool gap;                     /* frames were dropped just before this one */
    const skydet_det *dets;       /* confirmed detections (above min_el) */
    size_t n_dets;
    const sg_measurement *meas;   /* one SG_MEAS_BEARING per detection, same order */
    size_t n_meas;
    const float *feats;           /* n_dets x CAMFEAT_N features (camfeat), same order */
    const float *crops;           /* n_dets x CAMCROP_N appearance crops (camfeat_crops_n:
                                     the windows the classifier reads, all with all_crops) */
    const double *probs;          /* n_dets x CAMCLS_N class probabilities; NULL without
                                     a classifier */
    const skydet_det *cands;      /* every candidate blob (confirmed or not), for tools */
    size_t n_cands;
} camera_frame;

/* Returns 0 to go on, non-zero to make camera_run return that code. */
typedef int (*camera_frame_cb)(void *user, const camera_frame *f);

typedef struct {
    uint64_t frames_in;        /* received from the pipeline */
    uint64_t frames_processed; /* through the detector */
    uint64_t frames_dropped;   /* live queue full (each a counted gap) */
    uint64_t frames_bad;       /* unusable buffers (size/format) */
    uint64_t detections;       /* confirmed */
    uint64_t measurements;     /* delivered */
    uint64_t measurements_rejected; /* bearing could not be computed (counted, not sent) */
    uint64_t detections_masked; /* below min_el (counted, not sent) */
    uint64_t blobs_dropped;    /* detector: blobs beyond max_blobs in a frame (lower image lost) */
    uint64_t tracklets_dropped;/* detector: new objects without a free tracklet */
    uint64_t runs_dropped;     /* detector: firing runs beyond max_runs (frame saturated) */
    uint64_t blobs_below_horizon; /* detector: blobs dropped by the horizon mask (sky_mask) */
    uint64_t frames_motion;    /* detector: frames with a compensated camera motion (max_shift_px) */
    uint64_t frames_warped;    /* detector: of those, resampled for zoom / roll (max_zoom_pct) */
    uint64_t motion_resets;    /* detector: zoom fit lost on a changed scene, background relearnt */
    uint64_t features_evicted; /* feature histories dropped for lack of slots */
    uint64_t class_tracks_inherited; /* new tracks that took over a fragment's class evidence */
    uint64_t class_tracks_evicted;   /* track class evidence dropped for lack of slots */
    uint64_t drone_reports;    /* measurements published with class "drone" */
    uint64_t other_reports;    /* published with another class (bird, clutter, ...) */
    uint64_t snippets_written;
    uint64_t snippets_failed;
    uint32_t queue_depth, queue_capacity;
    int width, height;         /* px, 0 until the first frame */
    double fps_nominal;        /* from caps, 0 if unknown */
    double t_last;             /* s UTC of the last processed frame, NAN before */
} camera_stats;

typedef struct camera camera;

/* Defaults: queue 8, live false, t0 NAN, cls "camera_object", snippets off, geometry
 * defaults (hfov 60 deg), detector defaults with the visible camera's start-up keys:
 * first_frame_detect, first_frame_max_px 32, first_frame_report, first_frame_persist_k 2
 * (docs/camera-history.md, "cam-det2"). */
void camera_cfg_default(camera_cfg *cfg);

/* Reads a site-config sensor entry: "id" (string), "body_bearings" (default true),
 * "orientation" {yaw_deg, pitch_deg, roll_deg} or the same three as flat sensor keys,
 * "hfov_deg"/"vfov_deg" (used when the adapter has neither hfov_deg nor fx), and "adapter" {"type": "gstreamer", "pipeline" | "file", "hfov_deg" | "fx"..,
 * "vfov_deg", "cx", "cy", "k1", "pixel_sd", "mount_sd_deg", "min_el_deg", "live", "queue_frames",
 * "t0", "max_seconds", "class", "store_snippets", "snippet_dir", "snippet_px",
 * "snippet_interval_s", "snippet_max", "detector" {see skydet.h}}. Other sensor keys
 * are the caller's; unknown adapter keys are errors. `where` names the sensor in
 * errors (e.g. "site.json: sensors[2]"). sensor index and position stay the caller's. */
int camera_cfg_from_json(camera_cfg *cfg, const cJSON *sensor, const char *where,
                         sg_errinfo *e);

/* The thermal camera's detector defaults (camera_cfg_from_json applies them when
 * modality is thermal, before the detector section): horizon mask sky_mask 3,
 * first_frame_detect with first_frame_max_px 32 (docs/camera-history.md, sixth pass),
 * first_frame_report off and first_frame_persist_k 0 (not adopted, "cam-det2"). */
void camera_thermal_detector_defaults(skydet_cfg *det);

/* Builds the pipeline (not started). Missing elements are named with the Debian
 * package that provides them. NULL on error. */
camera *camera_create(const camera_cfg *cfg, sg_errinfo *e);

/* Plays the pipeline and processes frames on the calling thread until end of
 * stream or max_seconds (SG_OK), camera_stop (SG_OK), a pipeline error (SG_EIO with
 * GStreamer's message), or a non-zero callback return (that code). Blocks. Call once. */
int camera_run(camera *cam, camera_frame_cb cb, void *user, sg_errinfo *e);

/* Asks camera_run to return within ~100 ms. Thread-safe, async-signal-safe. */
void camera_stop(camera *cam);

/* Snapshot of the counters; any thread, any time. */
void camera_get_stats(camera *cam, camera_stats *out);

void camera_destroy(camera *cam);

/* Converts one detection into a bearing measurement (used by camera_run; public for
 * tools and tests). SG_EINVAL if the pixel has no bearing. */
int camera_det_to_meas(const camera_cfg *cfg, const camgeom *g, const skydet_det *d, double t,
                       sg_measurement *m);

/* The model file the camera runs: classifier_thermal when thermal and set, else
 * classifier ("" = none). */
const char *camera_model_path(const camera_cfg *cfg);

/* class_smooth in force: cfg->class_smooth when set (> 0), else the modality's default,
 * CAMERA_CLASS_SMOOTH_VISIBLE or CAMERA_CLASS_SMOOTH_THERMAL (visible: chosen by rule 1'
 * on the out-of-fold rows of all 120 visible clips for the deployed recipe, docs/camera-history.md
 * "cam-rec"; thermal: the same rule kept the default). */
#define CAMERA_CLASS_SMOOTH_VISIBLE 60
#define CAMERA_CLASS_SMOOTH_THERMAL 1000
int camera_class_smooth(const camera_cfg *cfg);

/* The drone threshold in force: cfg->drone_min_conf when set (>= 0), else the model
 * file's (camcls_drone_min_conf; model may be NULL), else 0.5. camera_create resolves
 * it once, so the running camera's cfg holds the value used. */
double camera_drone_min_conf(const camera_cfg *cfg, const camcls *model);

/* Sets m->cls / m->cls_conf from class probabilities p[CAMCLS_N] (camcls_predict):
 * the most probable class and its probability; a most probable drone with P(drone) <
 * camera_drone_min_conf(cfg, NULL) is published as "uncertain" with conf P(drone). p NULL: cfg->cls
 * with conf = detection confidence d_conf. */
void camera_classify(const camera_cfg *cfg, const double *p, double d_conf, sg_measurement *m);

/* Writes an annotated crop of frame f around detection d as a binary PGM into dir,
 * atomically (dir/.name.tmp then rename). Name: <id>_<t ms>_<track id>.pgm. */
int camera_write_snippet(const char *dir, const char *id, const camera_frame *f,
                         const skydet_det *d, int side, sg_errinfo *e);

#endif
