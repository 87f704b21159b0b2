/* Multi-target tracker: turns time-stamped measurements from many sensors (sg_measurement:
 * ENU position, bearing az/el, range/az/el) into tracks with stable ids (sg_track).
 *
 * Pipeline position: adapters/dsp/fusion deliver measurements (fusion converts WGS84
 * positions to ENU first) -> tracker -> fusion fills lat/lon/alt and zones.
 *
 * Per call, measurements are grouped by (time, sensor, type) and processed in time order as
 * sequential sensor batches: predict every track to the batch time (kf.h), chi-square gate
 * on the innovation, global nearest neighbour assignment over the gated pairs (assign.h,
 * optimal per cluster, cost = squared Mahalanobis distance minus the gate; confirmed and
 * coasting tracks choose first, tentative tracks take what is left), EKF update.
 * Identity: a measurement carrying an identity (Remote ID / DroneID serial) goes to the
 * track holding that identity (gate still applied; on a gate failure that track is
 * re-initialised at the measurement, never another track moved); tracks with different
 * identities never take each other's identified measurements. A measurement no track took
 * starts a tentative track even inside another track's gate; two tracks that coincide
 * (position and velocity differences each inside a 3-D chi-square gate on P1 + P2) in
 * dup_scans groups in a row are merged: the younger is deleted (an identified track is never the one deleted, two
 * tracks with different identities are never merged), and a tentative track is not
 * confirmed while it coincides with another.
 * Track management: M-of-N confirmation counted over batches of the sensors that have fed the
 * track, coasting, deletion on coast time, consecutive misses (a count, or scan reports
 * spanning max_miss_s of scan time) or position sd. A sensor that
 * sends scan reports (tracker_scan: when it looked and what it covered) is counted per scan
 * instead: every track inside the covered volume that the scan did not hit takes a miss,
 * tracks outside it take nothing, and that sensor's measurement batches no longer count.
 * Bearing-only initiation: "pair" (default) intersects two bearings from different sensors
 * that arrive within bearing_pair_window_s and whose rays pass within the chi-square gate of
 * each other, then applies both bearings as EKF updates to a wide prior at the intersection
 * (such a track confirms only after fresh hits from two sensors, so ghosts do not);
 * "ray" starts a single-sensor track along the ray at bearing_nominal_range with
 * bearing_range_sd along the ray. Out-of-sequence measurements (older than the newest batch
 * but within oosm_window_s) are gated against the track state retrodicted from a short
 * per-track history and the track is re-filtered from there, so the result equals in-order
 * processing for the linear NCV/CA models.
 * Not thread-safe: one thread owns a tracker. The real-time path allocates only when a
 * scratch buffer or the track table grows. */
#ifndef SG_TRACKER_H
#define SG_TRACKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "kf.h"
#include "sg_error.h"
#include "sg_types.h"

typedef enum {
    TRACKER_ASSOC_GNN = 0, /* global nearest neighbour (default) */
    TRACKER_ASSOC_JPDA,    /* joint probabilistic data association for established tracks */
} tracker_assoc;

typedef enum {
    TRACKER_BEARING_INIT_PAIR = 0, /* two-sensor intersection (default) */
    TRACKER_BEARING_INIT_RAY,      /* single sensor, along the ray at a nominal range */
    TRACKER_BEARING_INIT_OFF,      /* bearings only update existing tracks */
} tracker_bearing_init;

/* JSON keys in brackets (docs/tracker.md); ranges are enforced by tracker_cfg_from_json
 * and again by tracker_create. */
typedef struct {
    kf_model model;               /* ["model"] "ncv" | "ca" | "imm" | "ct" | "imm_ct" */
    tracker_assoc association;    /* ["association"] "gnn" | "jpda" (position and range-
                                     bearing groups; bearings always use GNN) */
    double jpda_pd;               /* ["jpda_pd"] detection probability assumed by JPDA,
                                     [0.05, 0.999] */
    double jpda_clutter;          /* ["jpda_clutter"] 1/m^3, least clutter density JPDA
                                     assumes (the sensor's estimate when larger), [1e-15, 1] */
    double q_accel;               /* ["q_accel"] m/s^2, NCV acceleration noise, [0.001, 100] */
    double q_jerk;                /* ["q_jerk"] m/s^3, CA jerk noise, [0.001, 1000] */
    double imm_sojourn_s;         /* ["imm_sojourn_s"] s, IMM mean mode duration, [0.1, 1000] */
    double q_turn;                /* ["q_turn"] rad/s per sqrt(s), CT turn-rate random walk,
                                     [1e-4, 10] */
    double init_turn_sd;          /* ["init_turn_sd"] rad/s, new-track turn-rate sd (CT), [0, 10] */
    double gate_prob;             /* ["gate_prob"] chi-square gate probability, [0.5, 0.999999] */
    int confirm_m;                /* ["confirm_m"] hits needed, [1, confirm_n] */
    int confirm_n;                /* ["confirm_n"] within this many batches, [1, 32] */
    bool confirm_adapt;           /* ["confirm_adapt"] raise M-of-N where the sensor's clutter
                                     density would confirm clutter (default true) */
    double confirm_false_prob;    /* ["confirm_false_prob"] largest accepted probability that a
                                     clutter-born track is confirmed, [1e-12, 0.5] */
    int max_misses;               /* ["max_misses"] consecutive missed batches to delete, [1, 10000] */
    double max_miss_s;            /* ["max_miss_s"] s of scan time: a track also goes once the
                                     scan reports that missed it in a row (at least min_misses
                                     misses) span this long, first scan's t0 to last one's t1;
                                     [0, 3600], 0: off (count rule only), default 0.5 */
    int min_misses;               /* ["min_misses"] consecutive misses the max_miss_s rule needs
                                     at least, [1, 10000], default 3 */
    double max_coast_s;           /* ["max_coast_s"] s without update to delete, [0.01, 3600] */
    double coast_after_s;         /* ["coast_after_s"] s without update -> COASTING, [0, 3600] */
    double max_pos_sd;            /* ["max_pos_sd"] m, largest position sd before delete, [1, 1e6] */
    double oosm_window_s;         /* ["oosm_window_s"] s, late measurements accepted, [0, 60] */
    double init_vel_sd;           /* ["init_vel_sd"] m/s, new-track velocity sd, [0.1, 1000] */
    double init_acc_sd;           /* ["init_acc_sd"] m/s^2, new-track acceleration sd, [0, 100] */
    double reported_vel_sd;       /* ["reported_vel_sd"] m/s, sd of a reported velocity
                                     (DroneID / Remote ID has_vel), used at initiation and
                                     as a velocity update, [0.01, 100] */
    tracker_bearing_init bearing_init; /* ["bearing_init"] "pair" | "ray" | "off" */
    double bearing_pair_window_s; /* ["bearing_pair_window_s"] s, [0, 10] */
    double bearing_min_angle_deg; /* ["bearing_min_angle_deg"] deg between paired rays, [0.1, 90] */
    double bearing_nominal_range; /* ["bearing_nominal_range"] m, "ray" init range, [1, 1e5] */
    double bearing_range_sd;      /* ["bearing_range_sd"] m, "ray" init along-ray sd, [1, 1e5] */
    double bearing_max_range;     /* ["bearing_max_range"] m, farthest "pair" intersection, [10, 1e5] */
    bool bearing_pair_features;   /* ["bearing_pair_features"] pair only bearings whose emitter
                                     features agree (class, band, burst timing; see
                                     tracker_features_match), default true */
    double bearing_pair_time_tol_s; /* ["bearing_pair_time_tol_s"] s, two sites' starts of one
                                     burst differ by at most this (time-stamp resolution,
                                     clock offset, path difference), [1e-6, 0.1] */
    int max_tracks;               /* ["max_tracks"] active tracks, [1, 1000000] */
    bool identity_confirms;       /* ["identity_confirms"] an identified hit confirms at once */
    bool init_in_gate;            /* ["init_in_gate"] a measurement no track took starts a
                                     track even inside another track's gate (default true) */
    double split_radius_m;        /* ["split_radius_m"] m, a leftover measurement closer than
                                     this to the one that updated a track it gates with is
                                     a split return of that drone and starts nothing,
                                     [0, 1000] (0: off) */
    int dup_scans;                /* ["dup_scans"] groups in a row two tracks must coincide
                                     before the younger is merged into the older, [0, 100]
                                     (0: no duplicate test) */
    double dup_gate_prob;         /* ["dup_gate_prob"] chi-square probability of the 3-D
                                     position- and velocity-difference gates that call two
                                     tracks coincident, [0.5, 0.999999] */
} tracker_cfg;

/* Counters since create. Every measurement offered ends in exactly one of:
 * used + initiated + unused + pended + oosm_dropped + init_dropped_full + update_failed +
 * rej_type + rej_invalid + rej_cov + rej_too_old == meas_in. */
typedef struct {
    uint64_t meas_in;            /* offered to tracker_process */
    uint64_t used;               /* updated a track (incl. out-of-sequence) */
    uint64_t initiated;          /* started a track (incl. the second bearing of a pair) */
    uint64_t unused;             /* valid, in some gate, lost the assignment (clutter near tracks,
                                    duplicate identity in one batch, identified bearing that
                                    failed its track's gate) */
    uint64_t pended;             /* bearings held for pairing (see bearing_paired/expired) */
    uint64_t oosm_dropped;       /* late and no track history deep enough / no association */
    uint64_t init_dropped_full;  /* would start a track but max_tracks are active */
    uint64_t update_failed;      /* numerically degenerate update (e.g. target over the sensor) */
    uint64_t rej_type;           /* SG_MEAS_POS_WGS84, SG_MEAS_RF_PRESENCE or unknown type */
    uint64_t rej_invalid;        /* NaN/Inf, angle or range out of range */
    uint64_t rej_cov;            /* covariance not symmetric positive definite */
    uint64_t rej_too_old;        /* older than the newest batch by more than oosm_window_s */
    uint64_t oosm_used;          /* of `used`: applied out of sequence by re-filtering */
    uint64_t bearing_paired;     /* pended bearings that started a track with a partner */
    uint64_t bearing_expired;    /* pended bearings that found no partner in time */
    uint64_t bearing_pair_mismatch; /* candidate pairs refused: emitter features disagree */
    uint64_t bearing_feature_gated; /* bearing-track pairs in the gate refused: the bearing's
                                       features disagree with the track's from another sensor */
    uint64_t identity_reinit;    /* identity track re-initialised after a gate failure */
    uint64_t tracks_created, tracks_confirmed, tracks_deleted;
    uint32_t tracks_active;
    /* scan reports (tracker_process_scans); scans_in = scans_used + scan_rej_invalid +
     * scan_rej_too_old */
    uint64_t scans_in;           /* offered */
    uint64_t scans_used;         /* applied */
    uint64_t scan_rej_invalid;   /* NaN/Inf, t0 > t1, future t1, bad sector or cover */
    uint64_t scan_rej_too_old;   /* t1 older than the newest batch by more than oosm_window_s */
    uint64_t scan_misses;        /* misses charged to tracks by scans */
    uint64_t tracks_merged;      /* duplicates merged into an older track (also deleted) */
    uint64_t jpda_fallback;      /* JPDA clusters with too many joint events, solved by GNN */
} tracker_counts;

/* What a sensor covered in one look. Angles as in sg_measurement: azimuth clockwise from
 * north (rad), elevation above the horizontal plane (rad). */
typedef enum {
    TRACKER_COVER_ALL = 0, /* every target in the site (e.g. a radar or position sensor) */
    TRACKER_COVER_SECTOR,  /* az/el sector from sensor_enu out to range_max (camera, DF) */
} tracker_cover;

typedef struct {
    int sensor;            /* sensor index, as in sg_measurement.sensor */
    double t0, t1;         /* s, first and last time stamp of the scan, t0 <= t1 (equal for a
                              snapshot such as a camera frame) */
    tracker_cover cover;
    double sensor_enu[3];  /* m, apex of a SECTOR */
    double az_center;      /* rad, SECTOR centre azimuth, finite */
    double az_half;        /* rad, SECTOR half-width, [0, pi] (pi: all round) */
    double el_min, el_max; /* rad, SECTOR elevation band, -pi/2 <= el_min <= el_max <= pi/2 */
    double range_max;      /* m, SECTOR farthest range where the sensor detects, > 0 */
    bool detected_only;    /* the coverage applies only to tracks this sensor has updated
                              before (one of the track's last SG_MAX_TRACK_SENSORS sensors):
                              for a sensor that sees only some targets in its volume, such
                              as RF (DF), which cannot see a drone that does not transmit, so
                              its scans never delete a camera-only track */
} tracker_scan;

typedef struct tracker tracker;

/* Defaults (the values documented in docs/tracker.md). */
void tracker_cfg_default(tracker_cfg *cfg);

/* Fills cfg from a JSON object (NULL -> defaults). Unknown keys, wrong types and values
 * out of range fail with an error naming `where` and the key. */
int tracker_cfg_from_json(tracker_cfg *cfg, const cJSON *obj, const char *where,
                          sg_errinfo *e);

/* NULL on invalid config (SG_ERANGE/SG_EINVAL) or allocation failure, reason in e. */
tracker *tracker_create(const tracker_cfg *cfg, sg_errinfo *e);

/* One batch at time t (s): n measurements, each with its own m[i].t <= t (t is the batch time
 * the tracks are advanced to afterwards; a measurement stamped more than 1 ms after t is
 * invalid). Invalid measurements are counted and skipped; the
 * others are processed. Returns 0; SG_EINVAL if any measurement was rejected as invalid
 * (type, NaN, covariance); SG_ERANGE if any was too old (and none invalid); SG_ENOMEM if a
 * buffer could not grow (the batch remainder is counted as dropped, state stays valid);
 * SG_EINVAL without processing if t is not finite or m is NULL with n > 0. */
int tracker_process(tracker *q, double t, const sg_measurement *m, size_t n);

/* tracker_process plus ns scan reports (scans may be NULL if ns == 0): each scan says that
 * sensor scans[k].sensor looked at its coverage between t0 and t1; its measurements of that
 * scan must be in the same call (or an earlier one). After the measurements up to t1 are
 * applied, every track inside the coverage (at its state predicted to t1) that no
 * measurement of that sensor stamped at or after t0 updated takes a miss (consecutive-miss
 * deletion) and an M-of-N opportunity; tracks outside the coverage, tracks born in that
 * scan and, with detected_only, tracks that sensor never updated take nothing. Once a sensor has sent one scan report, only its scans count misses
 * and opportunities (not its measurement batches); sensors that never send one keep the
 * batch rule. A scan with no measurements is an empty look. Invalid scans are counted
 * (scan_rej_invalid) and skipped (return SG_EINVAL), scans older than oosm_window_s are
 * counted (scan_rej_too_old, SG_ERANGE); the measurements are processed either way. */
int tracker_process_scans(tracker *q, double t, const sg_measurement *m, size_t n,
                          const tracker_scan *scans, size_t ns);

/* Advances time to t with no measurements: coasting, deletion. t earlier than the newest
 * batch is a no-op. Returns 0 or SG_EINVAL (t not finite). */
int tracker_predict(tracker *q, double t);

/* Current tracks (state predicted to the last call's time) plus the tracks deleted during
 * the last call (status SG_TRACK_DELETED, reported once). Valid until the next call. */
int tracker_tracks(const tracker *q, const sg_track **tracks, size_t *n);

/* Copies the counters (a type and a function cannot share the name tracker_stats in C, so
 * the type is tracker_counts). */
void tracker_stats(const tracker *q, tracker_counts *out);

void tracker_destroy(tracker *q);

/* Whether two bearings from different sensors can be of one emitter by its features
 * (the "pair" initiation's test when bearing_pair_features is on): both classified ->
 * the same class; both carrying bursts (sg_measurement.n_bursts) -> of b's bursts inside
 * a's time span, at least half (and at least one) start within tol_s of one of a's on
 * the same frequency (within half the wider bw_hz) (no burst in a's span: timing cannot
 * decide); one side without bursts, both with a band (fc_hz > 0) -> the bands overlap.
 * A feature one side lacks does not decide (camera bearings have none). */
bool tracker_features_match(const sg_measurement *a, const sg_measurement *b, double tol_s);

#endif
