/* The alert engine: turns the track list into zone alerts with a lifecycle
 * raised -> updated -> cleared, after every tracker step.
 *
 * Per (track, zone) it keeps a small state machine:
 *   - "inside" with spatial hysteresis: becomes true once the track is enter_margin_m
 *     deep, false only once it is exit_margin_m outside;
 *   - "predicted breach": the track's velocity carries it into the zone within
 *     horizon_s (time to breach from zone_entry, 1-sigma from the track covariance
 *     projected on the crossed face's normal: sd^2 = (n'Ppp n + 2 t n'Ppv n +
 *     t^2 n'Pvv n) / (n.v)^2, i.e. the position error along the normal at entry
 *     divided by the closing speed);
 *   - an alert is wanted while either holds, and for clear_hold_s after both stop
 *     (time hysteresis), or until the zone's schedule ends or the track is deleted /
 *     disappears from the list (both clear at once).
 * Nested layers: a track inside (or predicted into) a critical zone is usually inside
 * the alert and warning rings around it too. Only the highest-severity zones the
 * track engages hold an open alert; lower ones are cleared / not raised while a
 * higher one is open, and are raised again if the track falls back to them. So an
 * operator sees one alert per drone, escalating and de-escalating with the layers.
 * Allow-listed identities (Remote ID / DroneID serials, compared case-insensitively)
 * produce the same events with severity INFO and allow_listed = true: reported,
 * never alarmed.
 * Rate limiting: an open alert sends UPDATED only on a material change (inside flag,
 * identity/class/allow-list, time to breach moving by > ttb_change_s and 25 %) and at
 * most once per update_interval_s (changes in between are coalesced, counted); all
 * events share a token bucket of max_events_per_s (burst = one second's worth). An
 * event over the cap is deferred to the next update, never lost (counted); RAISED
 * and CLEARED go before UPDATED, higher severity first.
 *
 * Memory is allocated once in alerts_create (max_tracks x zones); alerts_update never
 * allocates. An alerts object is not thread-safe: one thread updates and snapshots. */
#ifndef SG_FUSION_ALERTS_H
#define SG_FUSION_ALERTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "sg_error.h"
#include "sg_types.h"
#include "zones.h"

#define ALERTS_MAX_ALLOW 256
#define ALERTS_MAX_INFO_CLS 16

typedef struct {
    double enter_margin_m;    /* m in [0, 1000]: depth needed to count as inside (default 0) */
    double exit_margin_m;     /* m in [0, 1000]: distance outside needed to count as out (15) */
    double clear_hold_s;      /* s in [0, 600]: out and not approaching this long -> CLEARED (5) */
    double horizon_s;         /* s in [0, 600]: predicted-breach horizon, 0 disables (30) */
    double min_speed_mps;     /* m/s in [0, 100]: slower tracks get no prediction (0.5) */
    double update_interval_s; /* s in [0, 3600]: min time between UPDATED of one alert (2) */
    double ttb_change_s;      /* s in [0, 600]: ttb change worth an UPDATED (2, and > 25 %) */
    double max_events_per_s;  /* events/s in (0, 10000]: global cap (20) */
    bool alert_tentative;     /* tentative tracks raise alerts too (false) */
    size_t max_tracks;        /* [1, 65536]: tracks followed at once, incl. vanished ones whose
                               * CLEARED is still pending; more are counted, skipped (1024) */
    char allow[ALERTS_MAX_ALLOW][SG_ID_LEN]; /* allow-listed identities */
    size_t n_allow;
    /* Track classes that are reported with severity INFO, never alarmed: what a
     * classifier said is not a drone (default bird, airplane, helicopter, clutter and
     * "uncertain", the camera's drone below its drone_min_conf). Exact, case-sensitive. */
    char info_cls[ALERTS_MAX_INFO_CLS][SG_CLASS_LEN];
    size_t n_info_cls;
} alerts_cfg;

/* Fills the defaults above (empty allow-list). */
void alerts_cfg_default(alerts_cfg *c);

/* Reads an "alerts" object: keys as the field names above plus "allow_list" (array of
 * strings) and "info_classes" (array of class strings, replaces the default list). Absent keys keep their defaults; unknown keys, wrong types and values
 * out of range are errors naming where.key. obj NULL -> defaults. */
int alerts_cfg_from_json(const cJSON *obj, const char *where, alerts_cfg *c, sg_errinfo *e);

typedef struct alerts alerts;

/* zs must outlive the engine. NULL + e on bad configuration or memory. */
alerts *alerts_create(const alerts_cfg *c, const zone_set *zs, sg_errinfo *e);
void alerts_destroy(alerts *a);

/* Called once per event, synchronously, from alerts_update. The pointer is valid
 * only during the call. */
typedef void (*alerts_cb)(const sg_alert *ev, void *user);

/* Processes the full current track list at time t (s UTC, non-decreasing). Tracks
 * absent from the list or with status DELETED clear their alerts. Positions are
 * x[0..2] ENU m, velocities x[3..5] m/s, P their covariance. Tracks with NaN in x are
 * skipped and counted. Returns the number of events emitted (>= 0) or SG_EINVAL
 * (t going backwards by more than 1 ms, NULL arguments). */
int alerts_update(alerts *a, double t, const sg_track *tracks, size_t n, alerts_cb cb, void *user);

/* Snapshot of open alerts (state = last state sent: RAISED or UPDATED; values as of
 * the last update). Writes at most cap; returns the number open. */
size_t alerts_active(const alerts *a, sg_alert *out, size_t cap);

/* Per-track zone summary for the feed: every active zone the track is inside or
 * predicted to enter within the horizon. */
typedef struct {
    char zone_id[SG_ID_LEN];
    sg_severity severity;     /* the zone's layer severity */
    bool inside;              /* with hysteresis, as in the alerts */
    double distance_m;        /* signed distance to the zone boundary, < 0 inside */
    double time_to_breach;    /* s, 0 inside, NAN if not approaching within the horizon */
    double time_to_breach_sd; /* s, 1-sigma, NAN unknown */
    bool alert_open;          /* this zone holds the track's open alert */
} alerts_zone_state;

/* Writes at most cap entries for track_id; returns how many there are (0 unknown). */
size_t alerts_track_zones(const alerts *a, uint32_t track_id, alerts_zone_state *out, size_t cap);

typedef struct {
    uint64_t raised, updated, cleared;  /* events emitted */
    uint64_t updates_coalesced;         /* material changes merged into a later UPDATED */
    uint64_t events_deferred;           /* events held back by the global cap (per attempt) */
    uint64_t tracks_over_capacity;      /* track-updates skipped: more than max_tracks tracks */
    uint64_t tracks_invalid;            /* track-updates skipped: NaN state */
    uint32_t open;                      /* alerts open now */
} alerts_stats;

void alerts_get_stats(const alerts *a, alerts_stats *s);

#endif
