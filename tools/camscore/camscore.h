/* camscore: the scoring rules behind every camera figure of the project (docs/camera.md,
 * issue 14), split out of tools/sg_camscore so tests can check them on known inputs
 * (tests/test_camscore.c). sg_camscore runs the labelled clips through camera_run and
 * hands each processed frame to camscore_frame; this module owns
 *   - the clip index (index.csv) and the train / calib / val split by clip,
 *   - the per-frame label boxes (labels/<clip>.csv),
 *   - matching a detection to a label box,
 *   - the per-frame counts: drone-labelled frames and hits, drone reports and those on a
 *     drone, false drone reports on drone-free clips, the confusion matrix, the first
 *     detection times, the --breakdown causes and the --sweep counts,
 *   - the ratios printed from them.
 * Layout of the data directory: fixtures/video-train/README.md.
 *
 * Split: by clip, stratified by (sensor, class, distance bin): within each stratum the
 * clips are ordered by the 64-bit FNV-1a hash of "skyguard-camsplit-<seed>/<clip>" and
 * the clip of rank r goes to val if r % 4 == 1, else calib if r % 8 == 3, else train.
 * Matching: a detection matches a label box of its frame when its bbox overlaps the box
 * grown by max(4 px, a quarter of the box's longer side) on each side; among several,
 * the box with the nearest centre. Truth of a detection: the matched box's class, else
 * clutter. Drone report: a detection published as "drone" (without a classifier: every
 * detection).
 *
 * Library rules: never prints; errors name the file and line (sg_errinfo). Not
 * thread-safe per object (one camscore_run per clip, one thread). */
#ifndef CAMSCORE_H
#define CAMSCORE_H

#include <stdbool.h>
#include <stdint.h>

#include "camera.h"
#include "sg_error.h"

#define CAMSCORE_MAX_CLIPS 1024 /* rows of index.csv */
#define CAMSCORE_NTRUTH 5       /* drone bird airplane helicopter clutter */
#define CAMSCORE_NPRED 6        /* the same + uncertain */
#define CAMSCORE_CLUTTER (CAMSCORE_NTRUTH - 1)
#define CAMSCORE_MAX_SWEEP 16   /* --sweep thresholds */

/* False drone reports by source: truth bird, airplane, helicopter, then clutter near a
 * label box (within two box sizes + 16 px: a fragment or offset box of a labelled
 * object), clutter with texture > 3 or below the learnt skyline (skyline_depth > 0:
 * ground, trees, buildings), other clutter (sky: clouds, unlabelled objects). */
enum { CAMSCORE_FA_BIRD, CAMSCORE_FA_AIRPLANE, CAMSCORE_FA_HELI, CAMSCORE_FA_FRAGMENT,
       CAMSCORE_FA_GROUND, CAMSCORE_FA_SKY, CAMSCORE_NFA };
/* Missed drone frames by cause: no candidate blob on the drone box, a candidate not
 * (yet) confirmed, a confirmed detection on the drone published as another class. */
enum { CAMSCORE_MISS_NO_BLOB, CAMSCORE_MISS_UNCONFIRMED, CAMSCORE_MISS_CLASSIFIED,
       CAMSCORE_NMISS };

/* Names: truth k in [0, CAMSCORE_NTRUTH), published k in [0, CAMSCORE_NPRED), ... */
const char *camscore_truth_name(int k);
const char *camscore_pred_name(int k);
const char *camscore_fa_name(int k);
const char *camscore_miss_name(int k);

/* One row of index.csv. */
typedef struct {
    char name[64], sensor[8], cls[16], bin[16]; /* clip, V | IR, clip class, distance bin */
    int frames;                                 /* frames GStreamer decodes */
    uint64_t hash;                              /* split hash (camscore_split) */
    const char *split;                          /* "train" | "calib" | "val" (static) */
} camscore_clip;

/* Label class index 0..3 (drone bird airplane helicopter), -1 for anything else. */
int camscore_class_index(const char *s);
/* 64-bit FNV-1a of the bytes of s. */
uint64_t camscore_fnv1a(const char *s);
/* Hashes each clip with seed, sorts cl[] by (sensor, class, bin, hash) and sets split. */
void camscore_split(camscore_clip *cl, int n, unsigned seed);
/* Reads <dir>/index.csv (header line, then clip,sensor,class,distance_bin,frames,...)
 * into cl[max] (*n rows) and splits it (camscore_split). SG_EIO if the file cannot be
 * opened ("<path>: cannot open"); SG_EFORMAT naming the file and line for a malformed
 * row, an unknown class or more than max rows. */
int camscore_load_index(const char *dir, unsigned seed, camscore_clip *cl, int max, int *n,
                        sg_errinfo *e);
/* Reads an explicit clip list (--clip-list: one clip name per line; blank lines and lines
 * starting with '#' are skipped, surrounding spaces and a CR are stripped) and sets
 * sel[i] for the clips cl[0..n) it names, the others false. SG_EIO if the file cannot be
 * opened; SG_EFORMAT naming the file, line and clip for a name not in the index, a name
 * listed twice or a line longer than a clip name; SG_EINVAL if it names no clip. */
int camscore_load_clip_list(const char *path, const camscore_clip *cl, int n, bool *sel,
                            sg_errinfo *e);

/* One label box: frame (0-based decoded frame), class index, top-left x, y and size w, h
 * in px (the box covers columns x .. x+w-1, rows y .. y+h-1). */
typedef struct {
    int frame, cls;
    double x, y, w, h;
} camscore_box;

/* A clip's boxes, sorted by frame; first[f] .. first[f + 1] - 1 are frame f's boxes for
 * 0 <= f < nframes. */
typedef struct {
    camscore_box *b;
    int nb;
    int *first;  /* nframes + 2 entries */
    int nframes; /* max(last labelled frame + 1, clip frames) */
} camscore_labels;

/* Reads <dir>/labels/<clip>.csv (header frame,t_s,class,x,y,w,h; t_s is not read: the
 * frame column is the decoded frame, see the fixtures README on clips that start at
 * t = 1/30 s). clip_frames: the index's frame count. SG_EIO (cannot open), SG_EFORMAT
 * naming the file and line (malformed row, unknown class, negative or decreasing
 * frame), SG_ENOMEM. On error l is left empty (nothing to free). */
int camscore_load_labels(const char *dir, const char *clip, int clip_frames,
                         camscore_labels *l, sg_errinfo *e);
void camscore_labels_free(camscore_labels *l);

/* Index of the label box of frame fr that d matches (rule above), or -1. */
int camscore_match(const camscore_labels *l, int fr, const skydet_det *d);
/* Is d within two box sizes + 16 px of a label box of frame fr (--breakdown: fragment)? */
bool camscore_near_box(const camscore_labels *l, int fr, const skydet_det *d);
/* Published class index of a measurement class name; without a classifier (model
 * false) every detection is a drone report (0); unknown names are uncertain. */
int camscore_pred_index(const char *cls, bool model);

/* Counts over the clips of one modality. */
typedef struct {
    uint64_t frames, drone_frames, drone_hits, reports, reports_ok, free_frames, free_false;
    uint64_t conf[CAMSCORE_NTRUTH][CAMSCORE_NPRED]; /* truth x published, every detection */
    double first_sum;                /* s: first detection on the clip's object, summed */
    int first_n, first_missed;       /* clips with / without one */
    double first_max;                /* s */
    double drone_first_sum, drone_first_max; /* s, drone clips: first drone report on the drone */
    int drone_first_n, drone_first_missed;
    /* --breakdown: where false drone reports and missed drone frames come from */
    uint64_t fa[CAMSCORE_NFA], miss[CAMSCORE_NMISS];
    uint64_t miss_early; /* missed drone frames in the clip's first second */
    /* --sweep: the same recall / precision / false counts at other drone_min_conf values */
    uint64_t sw_hits[CAMSCORE_MAX_SWEEP], sw_reports[CAMSCORE_MAX_SWEEP];
    uint64_t sw_ok[CAMSCORE_MAX_SWEEP], sw_false[CAMSCORE_MAX_SWEEP];
} camscore_totals;

/* a / b, 0 when b is 0 */
double camscore_ratio(uint64_t a, uint64_t b);
/* drone-labelled frames with a drone report on a drone box / drone-labelled frames */
double camscore_recall(const camscore_totals *s);
/* drone reports on a drone box / drone reports */
double camscore_precision(const camscore_totals *s);
/* drone reports on no drone box per frame of clips whose class is not drone */
double camscore_false_per_frame(const camscore_totals *s);

/* Options of a run (the same for every clip). */
typedef struct {
    bool breakdown;       /* count fa[] and miss[] */
    int n_sweep;          /* 0..CAMSCORE_MAX_SWEEP */
    const double *sweep;  /* drone_min_conf values in [0, 1], n_sweep of them */
} camscore_opts;

/* One clip being scored. */
typedef struct {
    const camscore_clip *c;
    const camscore_labels *l;
    camscore_totals *sc;   /* the modality's totals, updated per frame */
    camscore_opts o;
    int skyline_k;         /* index of the skyline_depth feature, -1 if none */
    bool drone_clip;       /* the clip's class is drone */
    int object_cls;        /* the clip's class index */
    double t0;             /* s: time of frame 0 */
    bool seen, drone_seen; /* first detection on the object / first drone report on it */
    double first_s, drone_first_s; /* s from t0 */
    uint64_t clip_reports, clip_ok, clip_frames;
    uint64_t clip_fa[CAMSCORE_NFA], clip_miss[CAMSCORE_NMISS];
} camscore_run;

/* Starts scoring clip c (labels l) into sc; l and sc must outlive the run. */
void camscore_begin(camscore_run *r, const camscore_clip *c, const camscore_labels *l,
                    camscore_totals *sc, const camscore_opts *o);
/* Counts one processed frame (camera_frame: dets with meas[].cls, probs (NULL without
 * a classifier), feats, cands). Frame index 0 sets t0. */
void camscore_frame(camscore_run *r, const camera_frame *f);
/* Truth class index of detection d of frame fr (the matched box's class, else clutter). */
int camscore_truth(const camscore_run *r, int fr, const skydet_det *d);
/* Ends the clip: counts it as missed where it never had a first detection / report. */
void camscore_end(camscore_run *r);

/* "0.3,0.4,0.5" -> v[CAMSCORE_MAX_SWEEP], *n; -1 on an empty or bad list, a value outside
 * [0, 1] or more than CAMSCORE_MAX_SWEEP values. */
int camscore_parse_sweep(const char *s, double *v, int *n);

#endif
