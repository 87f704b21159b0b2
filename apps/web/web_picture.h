/* The operator map's current picture (sg_web): what the daemon's feed says now,
 * kept so a browser that connects late gets everything at once, plus the stream of
 * changes pushed to connected browsers as Server-Sent Events.
 *
 * Input: every parsed feed message (feed_msg) from the subscriber thread, and
 * acknowledgements from browsers. State: live tracks (with a trail of recent
 * positions and an allow-listed mark from the venue's allow-list), the alert
 * history (raised / updated / cleared, newest kept, with acknowledgements), the
 * latest status per node, RF presence per (sensor, class, identity), zone schedule
 * activity, and the feed's own health (age of the last message, counters).
 *
 * Output: web_picture_snapshot() (one JSON object, the state now) and a bounded ring
 * of events, each already formatted as one SSE record ("event: X\ndata: {...}\n\n"),
 * read by any number of connection threads with web_picture_next(). A reader that
 * falls more than the ring behind gets SG_EOVERFLOW and starts again from a fresh
 * snapshot (counted as a resync): the picture never grows without bound and a slow
 * browser never blocks the feed.
 *
 * Thread-safe: one mutex; web_picture_next() blocks on a condition variable. Times:
 * `now` arguments are monotonic seconds (CLOCK_MONOTONIC) for expiry; wall-clock
 * seconds only where stated (acknowledgement time shown to operators). */
#ifndef SG_WEB_PICTURE_H
#define SG_WEB_PICTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "feed_msg.h"
#include "sg_error.h"
#include "site.h"

#define WEB_TRAIL_MAX 120     /* positions kept per track */
#define WEB_MAX_TRACKS 512    /* live tracks kept (more are counted in table_full) */
#define WEB_MAX_ALERTS 256    /* alerts in the history (oldest cleared ones go first) */
#define WEB_MAX_RF 128
#define WEB_MAX_NODES 16

typedef struct {
    const sg_allow_entry *allow; /* venue allow-list (may be NULL); copied */
    size_t n_allow;
    double stale_s;      /* s without an update before a track / RF row expires, > 0 (30) */
    double feed_lost_s;  /* s without any feed message before the feed counts as lost, > 0 */
    size_t ring;         /* events kept for readers, >= 16 (4096) */
} web_picture_cfg;

typedef struct web_picture web_picture;

/* NULL on bad configuration or memory, e says which. */
web_picture *web_picture_create(const web_picture_cfg *c, sg_errinfo *e);
void web_picture_destroy(web_picture *p);

/* Applies one message received at monotonic time now (s); emits an "msg" event with
 * the message as the page reads it (tracks gain "allow_listed"/"allow_label";
 * alerts "t_raised", the t of their first message seen, and "ack" once acknowledged).
 * Returns SG_OK, SG_EOVERFLOW when a table was full (counted), SG_ENOMEM. */
int web_picture_apply(web_picture *p, const feed_msg *m, double now);

/* Counts a frame the parser refused (malformed or unsupported) with its reason, and
 * authentication refusals reported by the subscriber's monitor. */
void web_picture_count_bad(web_picture *p, bool unsupported, const char *why);
void web_picture_count_auth_refused(web_picture *p, const char *why);

/* Periodic work (call about once a second): expires stale tracks and RF rows (an
 * "expire" event each), and emits a "feed" heartbeat with the feed's health:
 * {"age_s": s since the last message or null, "lost": bool, counters...}. */
void web_picture_tick(web_picture *p, double now);

/* Replaces the zone activity map ({"zone id": true|false}, copied); emits a "zones"
 * event when it changed. */
int web_picture_set_zones(web_picture *p, const cJSON *active);

/* Marks alert id acknowledged by `who` (<= 63 bytes shown to operators) at wall time
 * wall_t (s UTC); emits an "ack" event. SG_ENOTFOUND if the alert is not in the
 * history; acknowledging twice is a no-op returning SG_OK. */
int web_picture_ack(web_picture *p, uint32_t alert_id, const char *who, double wall_t);

/* The whole picture as one JSON text (malloc'd, caller frees):
 * {"tracks": [...with "trail": [[lat, lon], ...]], "alerts": [... newest first],
 *  "status": [...], "rf": [...], "zones": {...}, "feed": {...}}; *next_seq is the
 * sequence number of the first event after it. NULL on memory failure. */
char *web_picture_snapshot(web_picture *p, double now, uint64_t *next_seq);

/* Waits up to timeout_s for event *seq; on SG_OK returns a malloc'd copy of the SSE
 * record in *out and advances *seq. SG_ETIMEOUT (nothing new), SG_EOVERFLOW (*seq
 * fell out of the ring: take a new snapshot), SG_ESTATE (web_picture_halt called),
 * SG_ENOMEM. Blocks; thread-safe. */
int web_picture_next(web_picture *p, uint64_t *seq, double timeout_s, char **out);

/* One SSE record "event: <event>\ndata: <json>\n\n" (malloc'd; NULL on memory failure
 * or a NULL json). json must be a single line (cJSON's unformatted print is). */
char *web_sse_record(const char *event, const char *json);

/* Wakes every waiter for good (shutdown). */
void web_picture_halt(web_picture *p);

typedef struct {
    uint64_t received, malformed, unsupported, table_full, auth_refused, resyncs;
    size_t tracks, alerts, rf;
    double last_t; /* s UTC (sample clock) of the last feed message; NAN before any */
} web_picture_stats;
void web_picture_get_stats(web_picture *p, web_picture_stats *s);
void web_picture_count_resync(web_picture *p);

#endif
