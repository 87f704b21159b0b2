/* The operator feed: versioned JSON messages on a ZeroMQ XPUB socket, one frame per
 * message ("<topic> <json>"), topics track.<id>, alert.<severity>.<zone>,
 * status.<node>, rf.<sensor>. See docs/feed-schema.md for the contract.
 *
 * Publishing never blocks the pipeline: sends are non-blocking, a subscriber that
 * falls behind loses messages at its high-water mark (ZeroMQ drops per subscriber;
 * send failures are counted here). A new subscription is reported by feed_poll()
 * so the caller can re-publish a snapshot (tracks, active alerts) for late joiners.
 * Every message can also be appended to a JSONL record of the outputs.
 * Not thread-safe: one thread owns a feed. */
#ifndef SG_FEED_H
#define SG_FEED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "feed_auth.h"
#include "feed_peers.h"
#include "sg_error.h"
#include "sg_types.h"

#define FEED_SCHEMA_VERSION 1
#define FEED_MAX_MSG 16384 /* bytes per message, topic included */
#define FEED_MIN_COURSE_SPEED 0.5 /* m/s: slower tracks have no course (null) */
#define FEED_SLOW_CLIENT_S 2.0 /* s a full subscriber queue may hold the feed back */
#define FEED_HELD_MAX 4096     /* messages held meanwhile; beyond, dropped (counted) */

typedef struct feed feed;

typedef struct {
    const char *endpoint;     /* bind endpoint, e.g. "tcp://127.0.0.1:5556" */
    const cJSON *security;    /* "outputs.feed.security" section, NULL = plaintext (loopback only) */
    const char *where;        /* config path of the security section, for errors */
    const char *base_file;    /* the venue file: relative key paths resolve against it */
    const char *node;         /* node name for status.<node> */
    int sndhwm;               /* messages queued per subscriber (its queue is then full), > 0 */
    double slow_client_s;     /* s a full queue may hold the feed back before that
                                 subscriber is disconnected; 0 = FEED_SLOW_CLIENT_S */
    const char *record_path;  /* JSONL file of every message published, NULL = none */
} feed_cfg;

/* A zone relation shown on a track. */
typedef struct {
    const char *zone_id;
    sg_severity severity;     /* of the zone's layer */
    bool inside;
    double ttb_s;             /* s to predicted entry, NAN unknown/never, 0 inside */
} feed_zone_ref;

/* An RF emitter heard without a position. */
typedef struct {
    int sensor;
    const char *cls;
    double cls_conf;          /* 0..1 */
    const char *identity;     /* "" if none */
    double fc_hz, bw_hz;      /* Hz */
    double first_t, last_t;   /* s UTC */
    double t;                 /* s UTC of this report */
    uint32_t track_id;        /* the track the emitter is bound to, 0 = none (position unknown) */
    bool has_az;              /* a DF bearing of it from this sensor: */
    double az_deg, az_sd_deg; /* deg true azimuth [0, 360) and its sd */
} feed_rf;

typedef struct {
    uint64_t published;       /* messages handed to ZeroMQ */
    uint64_t auth_accepted;   /* CURVE clients let in (ZAP) */
    uint64_t auth_refused;    /* clients refused: unknown key, wrong mechanism */
    uint64_t dropped;         /* send failures, oversize messages, held-back overflow */
    uint64_t subscriptions;   /* subscribe events seen */
    uint32_t clients;         /* connections now */
    uint64_t slow_cut;        /* subscribers disconnected for a queue full too long */
    uint64_t slow_lost;       /* messages queued for them when cut (>= sndhwm each) */
    uint32_t held;            /* messages held back now (a subscriber's queue is full) */
    uint64_t record_errors;   /* messages the JSONL record lacks (it stops at the first
                                 write failure: disk full, I/O error) */
} feed_stats;

/* Binds the socket. Names of sensors (index -> id) are used in messages. */
feed *feed_create(const feed_cfg *cfg, const char *const *sensor_ids, size_t n_sensors,
                  sg_errinfo *e);
void feed_destroy(feed *f);
/* The endpoint actually bound (resolves tcp://...:* to the chosen port). */
const char *feed_endpoint(const feed *f);

/* Encoders: write "<topic> <json>" into buf[cap]; return length or SG_EOVERFLOW.
 * Exposed for tests, recording and tools. */
int feed_encode_track(const feed *f, char *buf, size_t cap, const sg_track *tr,
                      const feed_zone_ref *zones, size_t n_zones, bool snapshot);
int feed_encode_alert(const feed *f, char *buf, size_t cap, const sg_alert *a, bool snapshot);
int feed_encode_status(const feed *f, char *buf, size_t cap, const sg_status *s,
                       const char *sensors_json, double uptime_s, const char *latency_json,
                       bool snapshot);
int feed_encode_rf(const feed *f, char *buf, size_t cap, const feed_rf *r);

/* Encode + send. Non-blocking. Return SG_OK or a counted failure code. */
int feed_track(feed *f, const sg_track *tr, const feed_zone_ref *zones, size_t n_zones,
               bool snapshot);
int feed_alert(feed *f, const sg_alert *a, bool snapshot);
int feed_status(feed *f, const sg_status *s, const char *sensors_json, double uptime_s,
                const char *latency_json, bool snapshot);
int feed_rf_presence(feed *f, const feed_rf *r);
/* Raw JSON published as the "nodes" member of status messages (a distributed venue's
 * link, docs/nodes.md); NULL = none. The text must stay valid until replaced. */
void feed_set_status_nodes(feed *f, const char *nodes_json);
/* Sends a pre-encoded frame (used when replaying a JSONL record). */
int feed_send_raw(feed *f, const char *frame, size_t len);

/* Handles pending subscription events without blocking; returns how many new
 * subscriptions arrived (the caller then publishes a snapshot), or < 0 on error. */
int feed_poll(feed *f);
/* Moves up to cap refused connection attempts (CURVE clients not on the allow-list)
 * into out for the app to log; returns how many. */
size_t feed_refusals(feed *f, feed_auth_refusal *out, size_t cap);
/* The server's CURVE public key (Z85) clients configure; "" for plaintext. */
const char *feed_server_public(const feed *f);
void feed_get_stats(const feed *f, feed_stats *out);
/* Moves up to cap notices about subscribers (slow ones cut, handshakes refused) into
 * out for the app to log; returns how many. */
size_t feed_peer_notes(feed *f, feed_peer_note *out, size_t cap);
/* Why the JSONL record stopped ("<path>: write failed: <cause>"), "" while it runs. */
const char *feed_record_error(const feed *f);

#endif
