/* Helpers shared by the tracker's test programs (test_tracker.c, test_tracker_input.c,
 * test_tracker_scans.c, test_tracker_scenes.c): header-only, include after cmocka.h. */
#ifndef SG_TRACKER_HELPERS_H
#define SG_TRACKER_HELPERS_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "scenario.h"
#include "tracker.h"

/* A position measurement (ENU m) with sd m per axis and an optional identity (NULL: none). */
static inline sg_measurement mk_pos(double t, int sensor, double x, double y, double z,
                                    double sd, const char *identity)
{
    sg_measurement m;
    memset(&m, 0, sizeof m);
    m.t = t;
    m.sensor = sensor;
    m.type = SG_MEAS_POS_ENU;
    m.z[0] = x;
    m.z[1] = y;
    m.z[2] = z;
    for (int i = 0; i < 3; i++)
        m.R[i * 4] = sd * sd;
    if (identity)
        snprintf(m.identity, sizeof m.identity, "%s", identity);
    return m;
}

/* n position measurements of a target moving `step` m east per 0.1 s scan from x = 0. */
static inline void feed_straight(tracker *q, int n, double t0, int sensor, double step,
                                 double sd)
{
    for (int k = 0; k < n; k++) {
        sg_measurement m = mk_pos(t0 + 0.1 * k, sensor, step * k, 0, 50, sd, NULL);
        assert_true(tracker_process(q, m.t, &m, 1) == 0);
    }
}

/* A scan report of `sensor` at t that covers every track. */
static inline tracker_scan scan_all(int sensor, double t)
{
    return (tracker_scan){.sensor = sensor, .t0 = t, .t1 = t, .cover = TRACKER_COVER_ALL};
}

/* Tracks not deleted (confirmed_only: and not tentative) in the current list. */
static inline size_t n_live(tracker *q, bool confirmed_only)
{
    const sg_track *t;
    size_t n, k = 0;
    tracker_tracks(q, &t, &n);
    for (size_t i = 0; i < n; i++)
        k += t[i].status != SG_TRACK_DELETED &&
             (!confirmed_only || t[i].status != SG_TRACK_TENTATIVE);
    return k;
}

/* A tracker from a JSON configuration (NULL: defaults); fails the test if it is refused. */
static inline tracker *mk_tracker(const char *json)
{
    tracker_cfg c;
    sg_errinfo e = {0};
    cJSON *o = json ? cJSON_Parse(json) : NULL;
    if (json && !o)
        fail_msg("bad JSON %s", json);
    int rc = tracker_cfg_from_json(&c, o, "test", &e);
    cJSON_Delete(o);
    if (rc)
        fail_msg("config %s: %s", json ? json : "(defaults)", e.msg);
    tracker *q = tracker_create(&c, &e);
    assert_non_null(q);
    return q;
}

/* The track with that id in the tracker's current list, NULL if none. */
static inline const sg_track *find_id(tracker *q, uint32_t id)
{
    const sg_track *t;
    size_t n;
    tracker_tracks(q, &t, &n);
    for (size_t i = 0; i < n; i++)
        if (t[i].id == id)
            return &t[i];
    return NULL;
}

/* Every measurement ends in exactly one counter, every scan report too. */
static inline void check_accounting(tracker *q)
{
    tracker_counts s;
    tracker_stats(q, &s);
    uint64_t sum = s.used + s.initiated + s.unused + s.pended + s.oosm_dropped +
                   s.init_dropped_full + s.update_failed + s.rej_type + s.rej_invalid +
                   s.rej_cov + s.rej_too_old;
    if (sum != s.meas_in)
        fail_msg("measurement accounting: %llu offered, %llu accounted",
                 (unsigned long long)s.meas_in, (unsigned long long)sum);
    if (s.scans_in != s.scans_used + s.scan_rej_invalid + s.scan_rej_too_old)
        fail_msg("scan accounting: %llu offered, %llu used, %llu invalid, %llu too old",
                 (unsigned long long)s.scans_in, (unsigned long long)s.scans_used,
                 (unsigned long long)s.scan_rej_invalid, (unsigned long long)s.scan_rej_too_old);
}

/* Generates the scenario, runs it through a tracker made from cfg_json (NULL: defaults),
 * checks the accounting and returns the tracker for inspection (the caller destroys it
 * and frees s with scen_free). */
static inline tracker *run_scenario(const scen_cfg *c, const char *cfg_json, scenario *s,
                                    scen_result *r)
{
    sg_errinfo e = {0};
    memset(s, 0, sizeof *s);
    if (scen_generate(c, s, &e))
        fail_msg("scenario: %s", e.msg);
    tracker *q = mk_tracker(cfg_json);
    if (scen_run(q, s, 50, 2, NULL, NULL, r, &e))
        fail_msg("scenario run: %s", e.msg);
    check_accounting(q);
    return q;
}

#endif
