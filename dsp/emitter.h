/* Emitter grouping and classification: bursts -> transmitters -> class + confidence.
 *
 * Where it sits: after the RF front end (spectrogram + CFAR -> sg_burst) and before the
 * tracker. Each burst joins the best-matching live emitter (same band within
 * band_window_hz, bandwidth within bw_ratio_gate, duration near the emitter's observed
 * range: duration_ratio_gate once its durations are stable, loose once they are spread,
 * same channel for fixed-channel emitters) or starts a new one; pieces of one link are
 * later folded together (see emitter.c). Each emitter keeps a running feature summary
 * (bandwidth, duration mean/spread/range, median repetition interval and its spread,
 * burst rate, duty cycle, distinct hop channels, frequency spread, share of
 * max-length bursts) and is (re)classified against the signature library (siglib.h).
 * Result: class + confidence; "unknown_periodic" for a periodic emitter nothing
 * matches, "unknown" while there is too little evidence or nothing fits.
 * Memory is bounded (max_emitters, fixed per-emitter history); emitters not heard for
 * max_age_s are aged out; when full, the least recently heard emitter is evicted
 * (counted). Time is the burst's sample-clock time. Not thread-safe: one instance per
 * RF processing thread. */
#ifndef SG_EMITTER_H
#define SG_EMITTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "sg_error.h"
#include "sg_types.h"
#include "siglib.h"

typedef struct {
    size_t max_emitters;        /* 1..4096 (default 64) */
    double max_age_s;           /* s without a burst before an emitter is dropped (5) */
    double band_window_hz;      /* a burst joins only within this of the emitter's
                                   frequency span (100e6: one ISM band) */
    double bw_ratio_gate;       /* max bandwidth ratio to join (1.4) */
    double duration_ratio_gate; /* max duration ratio once durations are stable (1.3) */
    int min_bursts;             /* bursts before any class is given (3) */
} emitters_cfg;

void emitters_cfg_default(emitters_cfg *c);
/* Reads keys max_emitters, max_age_s, band_window_hz, bw_ratio_gate,
 * duration_ratio_gate, min_bursts from obj (absent = default; unknown keys refused). */
int emitters_cfg_from_json(const cJSON *obj, const char *where, emitters_cfg *c,
                           sg_errinfo *e);

#define EMITTER_HIST 64     /* burst start times kept for interval statistics */
#define EMITTER_MAX_CHAN 128 /* distinct hop channels counted */

typedef struct {
    uint32_t id;              /* unique for the life of the instance */
    int sensor;               /* of the last burst */
    double t_first, t_last;   /* s: first burst start, last burst end */
    uint64_t n_bursts;
    uint64_t n_continuing;    /* bursts flagged SG_BURST_CONTINUING */
    double bw_mean;           /* Hz */
    double dur_mean, dur_sd;  /* s */
    double dur_min, dur_max;  /* s */
    double on_time;           /* s, sum of burst durations */
    double fc_min, fc_max, fc_last; /* Hz */
    double snr_db;            /* mean of burst mean SNR */
    int hop_channels;         /* distinct centre frequencies (bandwidth/2 resolution) */
    sig_features feat;        /* summary used for classification (NAN = not yet) */
    char cls[SG_CLASS_LEN];   /* class name, "unknown", or "unknown_periodic" */
    double cls_conf;          /* 0..1: score x evidence (grows to score by 8 bursts) */
    bool is_drone;            /* class is a drone link (or unknown_periodic) */
    int sig_index;            /* into the siglib, -1 for unknown classes */
    bool decoded;             /* class proven by a protocol decode (emitters_pin_decoded):
                                 the feature classifier no longer changes it */
    char identity[SG_ID_LEN]; /* identity decoded from this emitter's bursts, "" if none
                                 or if they carried different ones (identity_conflict) */
    bool identity_conflict;   /* bursts of this emitter decoded to different identities */
} emitter;

typedef struct {
    uint64_t bursts;          /* accepted */
    uint64_t invalid;         /* refused (NaN, non-positive duration/bandwidth) */
    uint64_t created, expired, evicted;
    uint64_t merged;          /* young fragments folded into a spread emitter */
} emitters_stats;

typedef struct emitters emitters;

/* lib: signature library (borrowed; must outlive the instance). cfg NULL = defaults. */
emitters *emitters_create(const siglib *lib, const emitters_cfg *cfg, sg_errinfo *e);
void emitters_destroy(emitters *q);

/* Adds one burst (bursts should arrive in time order; late ones are accepted). Ages
 * out emitters older than max_age_s relative to this burst. *id (may be NULL) = the
 * emitter it joined (after any merge: when pieces of one link are folded together the
 * survivor keeps its id and the others' ids disappear). SG_EINVAL for an invalid burst
 * (counted). Never blocks, never allocates. */
int emitters_add_burst(emitters *q, const sg_burst *b, uint32_t *id);
/* Drops emitters silent since before t - max_age_s. */
void emitters_expire(emitters *q, double t);
/* Live emitters: *list points into q (valid until the next add/expire), *n of them. */
void emitters_get(const emitters *q, const emitter **list, size_t *n);
const emitter *emitters_find(const emitters *q, uint32_t id);
void emitters_get_stats(const emitters *q, emitters_stats *s);
/* A protocol decoder proved what emitter id is (e.g. a DroneID decode of one of its
 * bursts): its class becomes cls with confidence 1, for good (decoded identity wins
 * over feature classification), and identity (may be "" or NULL) is the serial it sent.
 * Emitters that carry different decoded identities are never folded together.
 * SG_ENOTFOUND if id is not live, SG_EINVAL on a NULL/empty cls. */
int emitters_pin_decoded(emitters *q, uint32_t id, const char *cls, const char *identity);

/* Emitter -> SG_MEAS_RF_PRESENCE (cls, cls_conf, identity, sensor, t). Returns SG_OK for drone
 * classes and unknown_periodic; SG_ENOTFOUND for non-drone classes (Wi-Fi, Bluetooth)
 * and "unknown" (not enough evidence), which must not reach the tracker. */
int emitter_to_measurement(const emitter *em, double t, sg_measurement *out);

#endif
