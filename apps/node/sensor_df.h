/* Direction finding on a sensor node: an RF sensor whose venue entry has an "array"
 * runs the DF front end (dffe.h) instead of the ordinary one, and the bearings of the
 * bursts of one emitter over SENSOR_DF_WINDOW_S are combined into one bearing
 * measurement (SG_MEAS_BEARING, compass azimuth and elevation from the sensor) with
 * the emitter's class. Triangulation is the tracker's bearing-pair initiation.
 *
 * Combination: per direction (bursts within 3 sd of the direction's mean so far: two
 * drones the emitter classifier took for one, e.g. two links of one protocol, stay two
 * bearings; up to 4 directions per emitter), a weighted circular mean (weights 1/var
 * from the CRB) of the unambiguous bearings; its variance is 1/sum(weights) plus SENSOR_DF_SD_FLOOR_DEG^2
 * (calibration residuals, multipath and coupling, which the CRB leaves out). Bursts
 * flagged ambiguous (front/back, grating), multi-peak, not one plane wave
 * (DOA_FLAG_NOT_RANK1: channels that lost coherence or calibration, multipath, two
 * emitters) or low SNR (DOA_FLAG_LOW_SNR) are counted by reason and not used. A
 * horizontal planar array is assumed to see emitters above its plane (el >= 0).
 *
 * Not thread-safe: one object per sensor thread. */
#ifndef SG_SENSOR_DF_H
#define SG_SENSOR_DF_H

#include <stdbool.h>
#include <stdint.h>

#include "dffe.h"
#include "site.h"

#define SENSOR_DF_WINDOW_S 0.25   /* s of bursts combined into one bearing */
#define SENSOR_DF_SD_FLOOR_DEG 1.5 /* deg added (in quadrature) to the CRB sd */

typedef struct sensor_df sensor_df;

/* Every burst with a DoA reaches exactly one of not_drone, failed, ambiguous, multi_peak,
 * incoherent, low_snr, crowded, used (checked in that order). */
typedef struct {
    uint64_t used;          /* burst bearings combined */
    uint64_t ambiguous;     /* not used: DOA_AMB_FRONT_BACK or DOA_AMB_GRATING */
    uint64_t multi_peak;    /* not used: DOA_AMB_MULTI */
    uint64_t incoherent;    /* not used: DOA_FLAG_NOT_RANK1 */
    uint64_t low_snr;       /* not used: DOA_FLAG_LOW_SNR */
    uint64_t failed;        /* DoA failed (rc) or gave no finite variance */
    uint64_t not_drone;     /* the emitter is not (yet) classified as a drone link */
    uint64_t crowded;       /* not used: the emitter already had 4 other directions open */
    uint64_t bearings;      /* measurements made */
    uint64_t evicted;       /* windows lost to another emitter in the same slot */
} sensor_df_stats;

/* From the sensor's "array" (doa_array_from_json) and its front-end settings fc;
 * errors name c->where. */
sensor_df *sensor_df_create(const sg_sensor_cfg *c, const frontend_cfg *fc, sg_errinfo *e);
void sensor_df_destroy(sensor_df *q);
dffe *sensor_df_fe(sensor_df *q);
/* One burst of emitter `id` (its class so far) and its DoA (rc as dffe gives it). */
void sensor_df_add(sensor_df *q, uint32_t id, const char *cls, double cls_conf,
                   const sg_burst *b, const doa_result *r, int rc);
/* One burst with a DoA whose emitter is not (yet) a drone link: no bearing, counted. */
void sensor_df_not_drone(sensor_df *q);
/* A combined bearing whose window (opened by its first burst at t0) closed by `now`
 * (s UTC; INFINITY at end of stream): fills m (type, t = weighted mean burst time, z,
 * R, cls, the bursts' mean fc_hz and bw_hz and the first SG_MEAS_BURSTS bursts' start
 * and centre frequency; sensor and sensor_enu are the caller's) and returns true; call until false.
 * Its t is at least now - SENSOR_DF_WINDOW_S - (time since the previous call). */
bool sensor_df_due(sensor_df *q, double now, sg_measurement *m);
void sensor_df_stats_get(const sensor_df *q, sensor_df_stats *out);

#endif
