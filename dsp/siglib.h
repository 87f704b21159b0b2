/* Signature library: what RF emitters look like, as data (config/signatures.json),
 * so users can add a new drone link without touching code.
 *
 * Each signature names a class ("dji_droneid", "elrs_2g4", "wifi", ...), whether it is
 * a drone link (non-drone classes such as Wi-Fi and Bluetooth are recognised so they
 * do not alarm), a minimum score, and weighted feature ranges over an emitter's
 * running summary (emitter.h). Scoring: each feature present gives 1 inside
 * [min, max], falling linearly to 0 at a relative distance `tol` outside; the
 * signature score is the weighted mean over the features the emitter can already
 * measure (interval features need 3 bursts). File format: docs/droneid-and-signatures.md.
 * A siglib is immutable after loading: share it between threads freely. */
#ifndef SG_SIGLIB_H
#define SG_SIGLIB_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "sg_error.h"
#include "sg_types.h"

/* Emitter features a signature can test (keys of "features" in the file). */
typedef enum {
    SIG_F_BANDWIDTH = 0, /* "bandwidth_hz": mean occupied bandwidth, Hz */
    SIG_F_DURATION,      /* "duration_s": mean burst duration, s */
    SIG_F_DURATION_CV,   /* "duration_cv": sd / mean of durations */
    SIG_F_INTERVAL,      /* "interval_s": median start-to-start interval, s */
    SIG_F_INTERVAL_CV,   /* "interval_cv": robust spread of intervals / median */
    SIG_F_RATE,          /* "burst_rate_hz": bursts per second */
    SIG_F_DUTY,          /* "duty_cycle": on-time / elapsed, 0..1 */
    SIG_F_HOPS,          /* "hop_channels": distinct centre frequencies seen */
    SIG_F_SPREAD,        /* "freq_spread_hz": max - min centre frequency, Hz */
    SIG_F_CONT,          /* "continuing_fraction": share of bursts the front end cut at
                            its maximum length (SG_BURST_CONTINUING): continuous carriers */
    SIG_F_FREQ,          /* "freq_hz": {"bands": [[lo, hi], ...]}: centre inside a band */
    SIG_F_COUNT_
} sig_feature;

#define SIG_MAX_BANDS 8

typedef struct {
    bool used;
    double min, max;   /* range (for SIG_F_FREQ: unused) */
    double weight;     /* > 0 */
    double tol;        /* relative soft margin outside [min, max], >= 0 */
    int nbands;        /* SIG_F_FREQ only */
    double bands[SIG_MAX_BANDS][2]; /* Hz */
} sig_range;

typedef struct {
    char cls[SG_CLASS_LEN];
    char label[128];
    bool drone;
    double min_score;  /* 0..1: below it the signature does not match */
    sig_range f[SIG_F_COUNT_];
} signature;

/* Feature values of one emitter (NAN = not measurable yet). */
typedef struct {
    double v[SIG_F_COUNT_];
    double fc;         /* Hz, for SIG_F_FREQ */
} sig_features;

typedef struct siglib siglib;

/* Loads and validates a signature file; errors name the file and the key, e.g.
 * "sigs.json: signatures[3].features.bandwidth_hz.min: must be a number". */
siglib *siglib_load(const char *path, sg_errinfo *e);
/* Same from a parsed document; name is used in messages. */
siglib *siglib_from_json(const cJSON *root, const char *name, sg_errinfo *e);
void siglib_destroy(siglib *s);

size_t siglib_count(const siglib *s);
const signature *siglib_get(const siglib *s, size_t i);
/* Index of the class or -1. */
int siglib_find(const siglib *s, const char *cls);

/* Score (0..1) of one signature for the features; *coverage = weight fraction of the
 * signature's features that were measurable (0..1). */
double siglib_score(const signature *sig, const sig_features *f, double *coverage);

/* Best match: index of the best signature whose score >= its min_score, or -1;
 * *score = its score (or the best score seen if -1). */
int siglib_classify(const siglib *s, const sig_features *f, double *score, double *coverage);

/* Name of a feature key in the file format. */
const char *siglib_feature_name(sig_feature f);

#endif
