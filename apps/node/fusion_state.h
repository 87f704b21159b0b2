/* Private to the fusion side (fusion_side.c: building, events, the loop; fusion_publish.c:
 * what goes on the feed after each tracker step; fusion_status.c: status messages from
 * the latest health of every sensor). */
#ifndef SG_FUSION_STATE_H
#define SG_FUSION_STATE_H

#include <time.h>

#include "alerts.h"
#include "feed.h"
#include "fusion.h"
#include "fusion_side.h"
#include "geo.h"
#include "registry.h"
#include "tracker.h"
#include "zones.h"

#define TRACK_SLOTS 4096       /* per-track publication memory (by id modulo) */

typedef struct {
    double last_t;             /* s UTC of the last data */
    bool done, failed;
    bool stalled;              /* the watchdog saw a stage make no progress */
} sensor_health;

typedef struct {
    uint32_t id;
    sg_track_status status;
    double last_log;
    bool announced;            /* published at least once */
    double pub_t;              /* s UTC (sample clock) of its last publication */
    double pub_t_last;         /* the track's t_last then: newer data means an update */
} track_slot;


struct fusion_side {
    fusion_side_opts o;
    const sg_site *site;
    geo_frame frame;
    zone_set *zones;
    registry *reg;
    tracker *trk;
    alerts *al;
    feed *fd;
    node_link *link;           /* the link being run (queue depth in status) */
    const char **sensor_ids;
    sensor_health *health;
    nl_health *hl;             /* latest health event per sensor */
    bool *have_hl;             /* hl[i] received */
    int primary;               /* sensor whose health carries NL_H_PRIMARY, -1 = none yet */
    int replay_sensor;         /* sensor a --replay stands in for, -1 = none */
    double last_progress;
    /* loop state */
    double t_now, t_last_step, next_status;
    double t_begin;            /* s UTC: sample time of the first event */
    snapshot_sched snap;
    sg_track *tracks;          /* mutable copy of the tracker's list */
    size_t n_tracks, cap_tracks;
    track_slot tslots[TRACK_SLOTS];
    nl_lat pipe_lat;           /* ms from event creation to its publication */
    nl_lat e2e_lat;            /* ms from sample time of the data to publication (paced replay) */
    uint64_t rejected;
    uint64_t scans_rejected;   /* scan reports the tracker refused (each logged) */         /* measurements refused by the registry or tracker */
    /* a sensor batch being collected (nl_event.batch_more): one tracker call for all */
    sg_measurement *batch;
    size_t n_batch, cap_batch;
    int batch_sensor;
    struct timespec batch_made;   /* its last event's creation and data end (latency) */
    double batch_t_end;
    sg_status st;
    struct timespec started;
    bool record_err_logged;    /* the --record-out failure was logged */
    char line[1024];
    char sjson[8192];
    char ljson[512];
    char njson[8192];
    double wall_s;             /* s of wall clock since create, at the last status */
    struct timespec last_status_wall; /* monotonic time of the last status */
};

/* fusion_side.c: a log line (nothing when the log is off); a non-fatal warning (truncated
 * input, refused feed client, recording stopped: in the log, or through the warn callback
 * when the log is off, -q); "hh:mm:ss.mmm" of a sample-clock time into buf. */
void fusion_logf(fusion_side *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void fusion_warnf(fusion_side *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *fusion_hms(double t, char *buf, size_t cap);

/* fusion_publish.c: after the tracker moved to t: WGS84 fill, RF attach, alerts and the
 * publication of what changed (snapshot and RF picture when due); SG_ENOMEM when the
 * track copy cannot grow. */
int fusion_step(fusion_side *p, double t);
/* Every public track (late_joiner: flagged as a snapshot, with the open alerts and the
 * latest status). */
void fusion_publish_snapshot(fusion_side *p, bool late_joiner);
/* Pipeline latency of what was just published: from the event's creation `made` (may be
 * NULL) and, in a paced replay, from the data's sample time t_data. */
void fusion_note_latency(fusion_side *p, const struct timespec *made, double t_data);

/* fusion_status.c: publishes a status message for p->t_now (snapshot: for a late
 * joiner). */
void fusion_publish_status(fusion_side *p, bool snapshot);

#endif
