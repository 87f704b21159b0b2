/* Tracking scenarios: generation (fixed seed), CSV input/output and a scored run through
 * the tracker. Shared by tools/sg_scenario (the runner/generator CLI), the tracker tests
 * and bench/bench_tracker so all of them use the same project-made data.
 *
 * CSV formats (header line required, comma separated, '#' lines ignored):
 *   truth:   t,id,x,y,z                       s, int >= 0, ENU m (id -1: a scan with no
 *                                             target, x,y,z ignored)
 *   meas:    t,sensor,type,z0,z1,z2,sd0,sd1,sd2,sx,sy,sz,clutter,identity
 *            type = pos | bearing | range_bearing; z and sd in the type's units
 *            (m or rad; diagonal covariance sd^2; z2/sd2 = 0 for bearing), sensor position
 *            sx,sy,sz in m (bearing types), clutter = 1 for a false alarm (for analysis only:
 *            the tracker never sees it), identity may be empty;
 *   tracks:  t,track_id,x,y,z,status          written by the runner (confirmed+coasting);
 *   scans:   t0,t1,sensor,cover,sx,sy,sz,az_center,az_half,el_min,el_max,range_max
 *            cover = all | sector (tracker_scan; angles rad, m).
 * A scan is the set of truth rows with the same t; measurements with t up to the scan
 * time are fed to the tracker before that scan is scored. */
#ifndef SG_SCENARIO_H
#define SG_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ospa.h"
#include "sg_error.h"
#include "sg_types.h"
#include "tracker.h"

typedef enum { SCEN_RANDOM = 0, SCEN_CROSSING, SCEN_MANOEUVRE, SCEN_FORMATION } scen_kind;
typedef enum { SCEN_SENSOR_POS = 0, SCEN_SENSOR_RANGE_BEARING, SCEN_SENSOR_BEARING2 } scen_sensor;

typedef struct {
    scen_kind kind;
    scen_sensor sensor;
    int n_targets;           /* >= 1 */
    double duration_s;       /* s, > 0 */
    double rate_hz;          /* scans per second, > 0 */
    double pd;               /* detection probability per target per scan, [0, 1] */
    double clutter_per_scan; /* mean (Poisson) false alarms per scan per sensor, >= 0 */
    double region_m;         /* half-width of the square region (targets and clutter), m */
    double alt_min, alt_max; /* m, target and clutter altitude band */
    double speed_min, speed_max; /* m/s */
    double cross_angle_deg;  /* crossing: angle between successive targets' headings */
    double turn_accel;       /* m/s^2, manoeuvre: lateral acceleration in turns */
    double pos_sd;           /* m, position sensor noise */
    double range_sd;         /* m, range noise (range_bearing) */
    double ang_sd;           /* rad, angle noise (bearing types) */
    double spacing_m;        /* formation: m between neighbours, side by side, > 0 */
    double join_s;           /* formation: s between arrivals (target i appears at i*join_s) */
    double leave_s;          /* s after the start when every target is gone (landed / left:
                                no truth, no detection); <= 0: they stay to the end */
    double split_prob;       /* probability a detection comes with a second return, [0, 1] */
    double split_sd;         /* m, sd of that second return's offset from the first, per
                                component (angles: split_sd / range), >= 0 */
    bool scan_reports;       /* one tracker_scan per sensor per scan (position sensor: all;
                                others: the half-space ahead out to 4 region_m) */
    uint64_t seed;           /* != 0 */
} scen_cfg;

typedef struct {
    double t;
    int id;
    double p[3];
} scen_truth;

typedef struct {
    scen_truth *truth;
    size_t n_truth, cap_truth;
    sg_measurement *meas;
    bool *clutter;           /* per measurement */
    size_t n_meas, cap_meas;
    size_t n_clutter;
    int max_id;              /* largest truth id */
    tracker_scan *scans;     /* scan reports, by t1 (may be none) */
    size_t n_scans, cap_scans;
} scenario;

/* Per-scan scoring callback (may be NULL): tracks are the tracker's list after the scan. */
typedef void (*scen_scan_fn)(void *ctx, double t, const sg_track *tracks, size_t n,
                             const ospa_result *score);

typedef struct {
    size_t scans;
    double mean_ospa, mean_gospa;  /* m */
    double max_ospa;               /* m */
    size_t id_switches;            /* a truth's assigned confirmed track id changed */
    size_t false_confirmed;        /* confirmed track ids never assigned to a truth */
    size_t confirmed_ids;          /* distinct confirmed track ids */
    double confirm_delay_mean_s;   /* s from a truth's first row to its first scan matched to
                                      a confirmed track (over truths that got one) */
    double confirm_delay_max_s;
    size_t never_confirmed;        /* truths never matched to a confirmed track */
    double process_s;              /* CPU seconds inside tracker_process */
    double max_scan_s;             /* CPU seconds of the slowest tracker_process call */
} scen_result;

/* 64-bit xorshift* generator shared by scenarios, tests and benchmarks (state != 0). */
double scen_urand(uint64_t *s); /* (0, 1) */
double scen_nrand(uint64_t *s); /* N(0, 1) */

void scen_cfg_default(scen_cfg *c);
/* Generates into s (zeroed by the caller or from a previous scen_free). */
int scen_generate(const scen_cfg *c, scenario *s, sg_errinfo *e);
void scen_free(scenario *s);

int scen_write_truth_csv(const scenario *s, const char *path, sg_errinfo *e);
int scen_write_meas_csv(const scenario *s, const char *path, sg_errinfo *e);
/* Read into s (appending); errors name the file and line. Measurements are sorted by
 * time after reading. */
int scen_read_truth_csv(scenario *s, const char *path, sg_errinfo *e);
int scen_read_meas_csv(scenario *s, const char *path, sg_errinfo *e);
int scen_write_scans_csv(const scenario *s, const char *path, sg_errinfo *e);
int scen_read_scans_csv(scenario *s, const char *path, sg_errinfo *e);

/* Runs s through q scan by scan (measurements and scan reports with time <= the truth scan
 * time go in one tracker_process_scans call), scoring confirmed and coasting tracks against truth with
 * OSPA/GOSPA (cut-off c m, order p). */
int scen_run(tracker *q, const scenario *s, double c, double p, scen_scan_fn fn, void *ctx,
             scen_result *r, sg_errinfo *e);

#endif
