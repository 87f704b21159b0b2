/* Thin glue for the daemon between the tracker and the feed: WGS84 fill of tracks and
 * the track-list snapshot clock. The heavy parts live in geo.h (frames), registry.h
 * (sensors, measurement mapping, RF presence), zones.h (airspace) and alerts.h.
 *
 * Per tracker step the daemon does:
 *   registry_map(reg, &m, &m2, &e)      for every measurement; tracker gets m2 if
 *                                       registry_for_tracker(&m2)
 *   tracker step -> sg_track tracks[n]
 *   fusion_fill_tracks_wgs84(&frame, tracks, n)
 *   registry_rf_attach(reg, t, tracks, n)       class / identity from RF-only sensors
 *   alerts_update(al, t, tracks, n, cb, user)   cb publishes each sg_alert
 *   if (snapshot_due(&snap, t)) publish tracks (+ alerts_track_zones per track,
 *                                  registry_rf_picture, alerts_active)
 * All functions here are pure or touch only their arguments: thread-safe. */
#ifndef SG_FUSION_FUSION_H
#define SG_FUSION_FUSION_H

#include <stdbool.h>
#include <stddef.h>

#include "geo.h"
#include "sg_error.h"
#include "sg_types.h"

/* Sets tr->lat, lon (rad) and alt (m HAE) from tr->x[0..2] (site ENU). */
void fusion_fill_track_wgs84(const geo_frame *f, sg_track *tr);
void fusion_fill_tracks_wgs84(const geo_frame *f, sg_track *tr, size_t n);

/* Track-list snapshots at a fixed rate on the sample clock. Due instants sit on a grid
 * of multiples of 1/rate (so replay and live agree); after a gap (replay jump, input
 * stall) one snapshot is due, not a burst of the missed ones. */
typedef struct {
    double period; /* s */
    double next;   /* s UTC of the next due instant; NAN before the first call */
    unsigned long long skipped; /* grid instants passed over during gaps */
} snapshot_sched;

/* rate_hz in [1/3600, 100] (a period of 0.01 s to an hour); SG_ERANGE otherwise. */
int snapshot_sched_init(snapshot_sched *s, double rate_hz, sg_errinfo *e);
/* True when t (s UTC) has reached the next grid instant (always true on the first
 * call); advances the schedule. Non-finite t is never due. */
bool snapshot_due(snapshot_sched *s, double t);

#endif
