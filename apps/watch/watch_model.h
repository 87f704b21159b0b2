/* State of the operator console (sg_watch): the live tables of tracks, alerts and RF
 * presence built from feed messages (docs/feed-schema.md), the alert history, and the
 * operator's view choices (selection, local acknowledgements, sort key, severity filter,
 * pause). No I/O: sg_watch feeds it messages and times, watch_render draws it.
 *
 * Times: `now` arguments are monotonic seconds (CLOCK_MONOTONIC); history entries also
 * keep the wall-clock receive time and the message's own t (s UTC).
 * Not thread-safe: one thread owns a watch_model. */
#ifndef SG_WATCH_MODEL_H
#define SG_WATCH_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "feed_msg.h"
#include "site.h"

#define WATCH_MAX_TRACKS 512
#define WATCH_MAX_ALERTS 256
#define WATCH_MAX_RF 64
#define WATCH_HISTORY 64      /* alert events kept, newest first */
#define WATCH_STALE_S 30.0    /* s without an update before a track/RF row is dropped */

typedef struct {
    feed_msg_track tk;
    double rx;         /* monotonic s of the last update */
    double amsl_m;     /* m above mean sea level: HAE - N of the venue; NAN without a venue */
    double agl_m;      /* m above ground: AMSL - the venue's ground_amsl_m (flat ground), else
                        * the Remote ID height when its height_ref is "agl"; NAN unknown */
    bool allow_listed; /* identity on the venue allow-list */
} watch_track;

/* What the venue file (-c) tells the console; every field may be unknown. */
typedef struct {
    double lat, lon;       /* deg: site origin; NAN unknown */
    double geoid_n_m;      /* m: HAE - AMSL at the site (EGM96 N); NAN unknown */
    double ground_amsl_m;  /* m: ground elevation at the origin; NAN unknown */
    const sg_site *site;   /* for the allow-list; NULL none (not owned) */
} watch_venue;

typedef struct {
    feed_msg_alert al;
    double rx;
    bool acked;        /* acknowledged on this console (never sent anywhere) */
    bool stale;        /* feed lost, or its track is gone: no longer known to be raised */
    double stale_since;
} watch_alert;

typedef struct {
    feed_msg_rf rf;
    double rx;
} watch_rf;

typedef struct {
    double t;          /* s UTC of the alert message */
    uint32_t id, track_id;
    sg_alert_state state;
    sg_severity severity;
    char zone[SG_ID_LEN];
} watch_event;

typedef enum { WATCH_SORT_ID = 0, WATCH_SORT_SEVERITY, WATCH_SORT_TTB, WATCH_SORT_RANGE,
               WATCH_SORT_COUNT_ } watch_sort;

typedef struct {
    watch_track tracks[WATCH_MAX_TRACKS];
    int n_tracks;
    watch_alert alerts[WATCH_MAX_ALERTS];
    int n_alerts;
    watch_rf rf[WATCH_MAX_RF];
    int n_rf;
    watch_event history[WATCH_HISTORY]; /* ring; watch_history(m, 0) is the newest */
    int n_history, history_head;
    watch_venue venue;                  /* watch_model_init: all unknown */
    feed_msg_status status;
    bool have_status;
    double status_rx, last_rx;          /* monotonic s; last_rx < 0: nothing received yet */
    bool feed_lost;                     /* set by watch_expire */
    uint64_t table_full;                /* messages dropped because a table was full */
    /* view */
    watch_sort sort;
    int sev_filter;   /* -1 all, else hide tracks/alerts below this sg_severity */
    int selected;     /* index into the visible list: alerts first, then tracks; -1 none */
    bool paused, help;
} watch_model;

/* Resets m to empty (sort by severity, no filter, nothing selected). */
void watch_model_init(watch_model *m);

/* Applies one parsed message received at monotonic `now`. Returns true when it raised
 * a critical alert this console had not seen before (for the --bell option). */
bool watch_apply(watch_model *m, const feed_msg *msg, double now);

/* Marks the feed lost when nothing arrived for feed_lost_s; then (and for alerts whose
 * track is gone) alerts become stale, and stale alerts are dropped after
 * WATCH_STALE_S. Drops tracks and RF rows not refreshed for WATCH_STALE_S. */
void watch_expire(watch_model *m, double now, double feed_lost_s);

/* Sorts the tables by m->sort (alerts: severity first unless sorting by id). */
void watch_sort_tables(watch_model *m);

/* Visible rows under the severity filter, alerts first then tracks: fills idx with
 * table indices (alerts as-is, tracks as WATCH_MAX_ALERTS + i); returns the count. */
int watch_visible(const watch_model *m, int *idx, int cap);

/* Operator keys (ASCII, or WATCH_KEY_UP/DOWN). Returns false when the key means quit. */
enum { WATCH_KEY_UP = 0x100, WATCH_KEY_DOWN = 0x101 };
bool watch_key(watch_model *m, int key);

/* i-th newest history event (0 newest), NULL past the end. */
const watch_event *watch_history(const watch_model *m, int i);

/* Highest zone severity of a track, -1 with none; its smallest time to breach (0 when
 * inside a zone, NAN when unknown). */
int watch_track_sev(const feed_msg_track *t);
double watch_track_ttb(const feed_msg_track *t);

/* Horizontal range (m) and bearing (deg clockwise from true north, [0, 360)) from the
 * site origin: from the feed's enu_m, else the geodesic from the venue origin; NAN when
 * neither is known. */
double watch_track_range(const watch_model *m, const feed_msg_track *t);
double watch_track_bearing(const watch_model *m, const feed_msg_track *t);

/* True when the venue allow-list has the track's identity or an alert on it says
 * allow_listed. */
bool watch_track_allow_listed(const watch_model *m, uint32_t track_id);

const char *watch_sort_name(watch_sort s);

#endif
