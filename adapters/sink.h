/* Output sinks: the track picture sent on to other systems (TAK/CoT, MQTT, HTTP, alert
 * hooks), each configured by one block under "outputs" in the venue file and fed from
 * the operator feed's track/alert/status stream by sg_bridge (docs/outputs.md).
 *
 * One interface for every sink:
 *   - create from its JSON block; unknown keys and bad values are refused with the file,
 *     the key path and the problem ("venue.json: outputs.cot.udp.port: must be in ...");
 *   - sink_on_track / sink_on_alert / sink_on_status copy the message into the sink's own
 *     bounded queue and return at once: they never block and never do I/O. A full queue
 *     refuses the message and counts it (sink_stats.dropped);
 *   - a worker thread per sink pops the queue and does the I/O (sockets, brokers, HTTP),
 *     reconnecting on its own schedule; a stalled peer fills only that sink's queue;
 *   - sink_get_stats: counters for status lines and /metrics.
 * The sink_* calls are thread-safe. Sinks never print; the host logs. */
#ifndef SG_SINK_H
#define SG_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <math.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "feed_msg.h"
#include "geo.h"
#include "sg_error.h"
#include "zones.h"

#define SINK_DEFAULT_QUEUE 256 /* events */
#define SINK_MAX_QUEUE 65536   /* events */
#define SINK_MAX_EXTRA 8       /* sink-specific counters in sink_stats */

/* Affiliation of a track, decided by the host from the alert stream and allow-list. */
typedef enum {
    SINK_AFF_UNKNOWN = 0, /* neither: the default */
    SINK_AFF_FRIEND,      /* identity on the venue's allow-list */
    SINK_AFF_HOSTILE,     /* holds at least one open (raised/updated), non-allow-listed alert */
} sink_affiliation;

const char *sink_affiliation_name(sink_affiliation a); /* "unknown", "friend", "hostile" */

/* What the host adds to a track message. */
typedef struct {
    sink_affiliation affiliation;
    double alt_amsl_m;       /* m above mean sea level (EGM96), NAN when unknown */
    double alt_agl_m;        /* m above the site's ground elevation, NAN when unknown */
} sink_track_info;

/* A track_info with affiliation a and no AMSL/AGL heights. */
#define SINK_INFO(a) (&(const sink_track_info){(a), NAN, NAN})

/* One message as a sink's worker sees it: the typed view and the JSON body as received. */
typedef struct {
    feed_msg_type type;      /* FEED_MSG_TRACK, _ALERT, _STATUS (rf is not forwarded) */
    double t;                /* s UTC, sample clock of the daemon */
    double rx_wall;          /* s UTC, wall clock when the bridge received it */
    bool snapshot;
    sink_affiliation affiliation; /* tracks only */
    double alt_amsl_m, alt_agl_m; /* tracks only: m AMSL (EGM96), m AGL; NAN when unknown */
    union {
        feed_msg_track track;
        feed_msg_alert alert;
        feed_msg_status status;
    } u;
    double home_lat, home_lon, home_alt_m; /* track's home point (sink.c read_home: "home",
                                              "droneid.home" or a Remote ID take-off
                                              location), NAN when absent */
    bool operator_is_home;   /* the track's "operator" is the take-off point, not the pilot
                                (Remote ID operator_location 0): no pilot position known */
    char *json;              /* the body, NUL-terminated, owned by the event */
    size_t json_len;         /* bytes */
} sink_event;

/* What sinks may read about the venue; owned by the host, outlives the sinks. */
typedef struct {
    const char *venue_path;  /* relative paths in a block resolve against it */
    const char *site_name;   /* for uids and topics */
    double site_lat, site_lon, site_alt_m; /* deg, deg, m HAE: the site origin */
    /* Host statistics for the HTTP/metrics sink: writes an OpenMetrics text (without the
     * final "# EOF") into buf[cap]; returns bytes written. NULL when not available. */
    size_t (*host_metrics)(void *ctx, char *buf, size_t cap);
    void *host_ctx;
    bool check_only;         /* validate: open nothing that could clash with a running bridge */
    const zone_set *zones;   /* the venue's zones (CoT draws them), NULL = none */
    const geo_frame *frame;  /* the site frame of zones (ENU <-> WGS84) */
} sink_env;

typedef struct {
    const char *name;        /* e.g. "dropped_rate_limit"; NULL ends the list */
    uint64_t value;
} sink_counter;

typedef struct {
    const char *kind;        /* config key, e.g. "cot" */
    uint64_t accepted;       /* events queued */
    uint64_t dropped;        /* events refused: queue full (the peer is slower than the feed) */
    uint64_t delivered;      /* events the worker handled successfully */
    uint64_t failed;         /* events the worker could not deliver (counted, not retried) */
    size_t depth, capacity, high_water; /* events */
    bool connected;          /* the sink's peer is reachable now (true for connectionless) */
    sink_counter extra[SINK_MAX_EXTRA]; /* sink-specific counters, name NULL = unused */
} sink_stats;

/* ---- the interface a sink implements (one file per sink: sink_<kind>.c) ---------- */

typedef struct {
    const char *kind;  /* its key under "outputs" */
    /* Validates block (where = "venue.json: outputs.<kind>") and allocates the state;
     * may open sockets. Keys common to every sink ("queue", "enabled", "comment") are
     * already removed from the check; call sink_check_keys. */
    int (*open)(void **state, const cJSON *block, const char *where, const sink_env *env,
                sg_errinfo *e);
    /* Worker thread: deliver one event. SG_OK counts delivered, anything else failed.
     * *stop becomes non-zero (read it with __atomic_load_n) when the sink is being
     * destroyed: long waits (retry back-off) must end early then. */
    int (*handle)(void *state, const sink_event *ev, const int *stop);
    /* Worker thread, at least every 200 ms: reconnects, periodic re-sends. now = s UTC wall. */
    void (*tick)(void *state, double now);
    /* Any thread: connected flag and extra counters (must be thread-safe: atomics). */
    void (*stats)(void *state, sink_stats *out);
    void (*close)(void *state);
} sink_ops;

typedef struct sink sink;

/* Creates the sink of ops from block and starts its worker. NULL on error (e says the key). */
sink *sink_create(const sink_ops *ops, const cJSON *block, const char *where,
                  const sink_env *env, sg_errinfo *e);
/* Stops the worker (events still queued are delivered for up to drain_s seconds, the
 * rest are counted as dropped) and frees everything. */
void sink_destroy(sink *s, double drain_s);

/* Never block; return SG_OK, SG_EOVERFLOW (queue full, counted) or SG_ENOMEM (counted).
 * m is the parsed frame (its json is copied, not kept). */
int sink_on_track(sink *s, const feed_msg *m, const sink_track_info *info, double rx_wall);
int sink_on_alert(sink *s, const feed_msg *m, double rx_wall);
int sink_on_status(sink *s, const feed_msg *m, double rx_wall);
void sink_get_stats(sink *s, sink_stats *out);

/* The event's JSON body with "affiliation" and, when known, "alt_amsl_m" / "alt_agl_m"
 * added (tracks), or a copy (others): malloc'd, NUL-terminated, *len bytes; NULL when out of
 * memory. */
char *sink_json_for_output(const sink_event *ev, size_t *len);

/* sgj_check_keys with the common keys added to allowed. */
int sink_check_keys(const cJSON *block, const char *where, const char *const *allowed,
                    sg_errinfo *e);

/* ---- a venue's outputs ------------------------------------------------------------- */

#define SINK_MAX_PER_VENUE 8

/* How sg_bridge reaches the feed ("outputs.bridge"; docs/outputs.md). */
typedef struct {
    char connect[256];             /* feed endpoint */
    bool plaintext;                /* outputs.feed.security.mode is "plaintext" */
    char server_key_file[1024];    /* resolved; CURVE only */
    char client_key_file[1024];    /* resolved; CURVE only */
    double status_period_s;        /* s between counter lines in the log */
} sink_bridge_cfg;

/* Reads outputs.bridge (may be absent) against the daemon's feed settings: feed_endpoint is
 * outputs.feed.endpoint (a wildcard host becomes 127.0.0.1), feed_security the
 * outputs.feed.security object (NULL: plaintext). Errors name venue_path and the key. */
int sink_bridge_parse(const cJSON *outputs, const cJSON *feed_security, const char *feed_endpoint,
                      const char *venue_path, sink_bridge_cfg *out, sg_errinfo *e);

/* Creates every enabled sink of outputs (keys other than "feed", "record", "bridge") into
 * out[0..*n). With env->check_only, each sink is opened and closed again (configuration and
 * files checked, nothing started) and *n counts them with out untouched (may be NULL).
 * SG_ENOTFOUND when no sink is configured. On error the sinks created so far are destroyed. */
int sinks_create(const cJSON *outputs, const sink_env *env, sink **out, const char **kinds,
                 int *n, sg_errinfo *e);

/* ---- the sinks this build has, by config key ------------------------------------- */

extern const sink_ops sink_cot_ops;  /* outputs.cot: Cursor-on-Target (always built) */
#if SG_WITH_MOSQUITTO
extern const sink_ops sink_mqtt_ops; /* outputs.mqtt: MQTT through libmosquitto */
#endif
#if SG_WITH_MHD
extern const sink_ops sink_http_ops; /* outputs.http: JSON endpoints and /metrics */
#endif
#if SG_WITH_CURL
extern const sink_ops sink_webhook_ops; /* outputs.webhook: alert POSTs through libcurl */
#endif
extern const sink_ops sink_exec_ops; /* outputs.exec: a command per alert (always built) */
#if SG_WITH_SAPIENT
extern const sink_ops sink_sapient_ops; /* outputs.sapient: BSI Flex 335 v2.0 node */
#endif

/* Every key sg_bridge accepts under "outputs" besides the daemon's own ("feed",
 * "record"): "bridge" and the sink kinds, compiled in or not. NULL-terminated. */
extern const char *const sink_output_keys[];
/* The ops for a kind, NULL if unknown. *missing is set to a hint ("libmosquitto-dev") when
 * the kind is known but not compiled into this build. */
const sink_ops *sink_find(const char *kind, const char **missing);

#endif
