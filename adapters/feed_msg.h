/* Consumer side of the skyguard operator feed (docs/feed-schema.md).
 *
 * The daemon publishes one ZeroMQ frame per message: "<topic> <json>", the topic, one
 * space, then a single-line JSON object carrying "v" (schema major version), "type",
 * "t" and "time". feed_msg_parse() checks a received frame against that contract
 * (frame size, topic syntax, version, type, required fields, value ranges, topic
 * matching the body) and fills typed views of the fields an operator console shows,
 * keeping the parsed cJSON tree so callers can read or re-print anything else.
 *
 * It is the one parser for frames that come off the network, so it is fuzzed
 * (fuzz/fuzz_feed_msg.c) and must never crash on hostile input: every frame either
 * parses or is refused with a message naming the topic and the problem.
 * Thread-safe: no globals; each feed_msg is owned by its caller. */
#ifndef FEED_MSG_H
#define FEED_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "sg_error.h"
#include "sg_types.h"

#define FEED_SCHEMA_VERSION 1          /* major version this code reads and writes */
#define FEED_MSG_MAX_FRAME (64u << 10) /* bytes: larger frames are refused (SG_ERANGE) */
#define FEED_TOPIC_LEN 128             /* topic incl. NUL */
#define FEED_TIME_LEN 40               /* ISO 8601 string incl. NUL */
#define FEED_MAX_ZONES 8               /* zone states kept per track (extra counted) */
#define FEED_MAX_SENSORS 8             /* sensor names/states kept per message */

typedef enum {
    FEED_MSG_TRACK = 0, /* topic track.<id> */
    FEED_MSG_ALERT,     /* topic alert.<severity>.<zone_id> */
    FEED_MSG_STATUS,    /* topic status.<node> */
    FEED_MSG_RF,        /* topic rf.<sensor_id>: RF presence without position */
    FEED_MSG_TYPE_COUNT_
} feed_msg_type;

/* One zone relation of a track. */
typedef struct {
    char id[SG_ID_LEN];
    sg_severity severity;
    bool inside;
    double ttb_s; /* s until predicted entry; NAN when null/absent (never, or unknown) */
} feed_msg_zone;

typedef struct {
    uint32_t id;
    sg_track_status status;
    double lat, lon;       /* degrees WGS84 */
    double alt_m;          /* m HAE */
    double enu_m[3];       /* m site frame; NAN when absent */
    double vel_mps[3];     /* m/s east, north, up; NAN when absent */
    double speed_mps;      /* m/s horizontal; NAN when absent */
    double course_deg;     /* deg clockwise from true north [0, 360); NAN when absent */
    double climb_mps;      /* m/s; NAN when absent */
    double pos_sd_m;       /* m, 1-sigma 3-D position uncertainty; NAN when absent */
    double pos_sd_h_m;     /* m, horizontal sqrt(sx^2 + sy^2); NAN when absent */
    double pos_sd_v_m;     /* m, vertical sz; NAN when absent */
    char cls[SG_CLASS_LEN];   /* "" when absent */
    double cls_conf;          /* 0..1; NAN when absent */
    char identity[SG_ID_LEN]; /* "" when absent */
    bool has_operator;
    double op_lat, op_lon, op_alt_m; /* deg, deg, m HAE (op_alt_m NAN when unknown) */
    int n_sensors;                   /* kept (<= FEED_MAX_SENSORS) */
    char sensors[FEED_MAX_SENSORS][SG_ID_LEN];
    int n_zones;                     /* kept (<= FEED_MAX_ZONES) */
    int n_zones_total;               /* in the message */
    feed_msg_zone zones[FEED_MAX_ZONES];
    double hits;                     /* updates; NAN when absent */
    double t_first, t_last;          /* s UTC; NAN when absent */
} feed_msg_track;

typedef struct {
    uint32_t id;
    sg_alert_state state;
    sg_severity severity;
    uint32_t track_id;
    char zone[SG_ID_LEN];
    bool inside;
    double ttb_s;    /* s; NAN when null/absent */
    double ttb_sd_s; /* s; NAN when null/absent */
    bool allow_listed;
    char identity[SG_ID_LEN]; /* "" when absent */
    char cls[SG_CLASS_LEN];   /* "" when absent */
    int n_sensors;
    char sensors[FEED_MAX_SENSORS][SG_ID_LEN];
} feed_msg_alert;

typedef enum {
    FEED_SENSOR_OK = 0,
    FEED_SENSOR_DEGRADED,  /* silent for longer than its stale_after_s */
    FEED_SENSOR_DOWN,      /* its input failed */
    FEED_SENSOR_WAITING,   /* started, no data yet */
    FEED_SENSOR_ENDED,     /* replay input ended normally */
    FEED_SENSOR_DISABLED,  /* configured but not enabled */
} feed_sensor_state;

typedef struct {
    char id[SG_ID_LEN];
    feed_sensor_state state;
    double last_t; /* s UTC of its last sample; NAN when absent */
    char node[SG_ID_LEN];  /* fusion role: the sensor node running it, "" none */
    double link_dropped;   /* fusion role: events its node could not send; NAN absent */
} feed_msg_sensor;

#define FEED_MAX_NODES 8               /* sensor nodes kept per status message */

/* One sensor node of a fusion node's status ("nodes.nodes[]", docs/nodes.md). */
typedef struct {
    char name[SG_ID_LEN];
    int state;                 /* 0 waiting, 1 ok, 2 silent */
    double silent_s, clock_offset_s, link_delay_ms; /* NAN when absent/unknown */
    bool clock_flagged;
    double lost;               /* messages missing from its sequence; NAN absent */
} feed_msg_node;

/* Counters are doubles so "absent" (NAN) is representable; exact to 2^53. */
typedef struct {
    char node[SG_ID_LEN];
    double uptime_s;
    double samples_processed, samples_dropped, blocks_dropped, bursts;
    double measurements, measurements_rejected, scans, scans_rejected, published, publish_dropped;
    double queue_depth, queue_capacity, tracks, alerts_active;
    int n_sensors;
    feed_msg_sensor sensors[FEED_MAX_SENSORS];
    double frontend_p50_ms, frontend_p99_ms, pipeline_p50_ms, pipeline_p99_ms;
    bool has_nodes;            /* a fusion node's "nodes" member was present */
    double nodes_refused, nodes_malformed, nodes_lost, nodes_late; /* NAN when absent */
    int n_nodes;               /* kept (<= FEED_MAX_NODES) */
    feed_msg_node nodes[FEED_MAX_NODES];
} feed_msg_status;

typedef struct {
    char sensor[SG_ID_LEN];
    char cls[SG_CLASS_LEN];   /* "" when unclassified */
    double cls_conf;          /* NAN when absent */
    char identity[SG_ID_LEN]; /* "" when absent */
    bool has_track;           /* "track_id" present: a track explains this emitter */
    uint32_t track_id;
    double fc_hz, bw_hz;      /* Hz; NAN when absent */
    double az_deg, az_sd_deg; /* deg: DF bearing line and its sd; NAN when absent */
    double first_t, last_t;   /* s UTC; NAN when absent */
} feed_msg_rf;

typedef struct {
    feed_msg_type type;
    char topic[FEED_TOPIC_LEN];
    int v;                     /* schema major version of the message */
    double t;                  /* s UTC (sample clock) */
    char time[FEED_TIME_LEN];  /* ISO 8601 UTC, as sent */
    bool snapshot;             /* re-sent for a late joiner */
    cJSON *json;               /* the whole message; owned; freed by feed_msg_free */
    union {
        feed_msg_track track;
        feed_msg_alert alert;
        feed_msg_status status;
        feed_msg_rf rf;
    } u;
} feed_msg;

/* Parses one received frame (need not be NUL-terminated) of len bytes.
 * Returns SG_OK and fills *out (call feed_msg_free after), or:
 *   SG_ERANGE   frame larger than FEED_MSG_MAX_FRAME, or a value out of range;
 *   SG_EFORMAT  no topic/space, bad topic, not a single-line JSON object, bad "time",
 *               topic not matching the body;
 *   SG_EINVAL   a required field missing or of the wrong type;
 *   SG_ENOTSUP  a newer major version ("v" > FEED_SCHEMA_VERSION) or an unknown
 *               "type": well-formed but not for this consumer (count, do not alarm).
 * On error out->json is NULL and e says what was wrong, naming the topic. */
int feed_msg_parse(const char *frame, size_t len, feed_msg *out, sg_errinfo *e);

/* Releases out->json; safe on a zeroed or failed message. */
void feed_msg_free(feed_msg *m);

/* Names for the enums, as they appear on the wire. */
const char *feed_msg_type_name(feed_msg_type t);
const char *feed_sensor_state_name(feed_sensor_state s); /* "ok", "degraded", ... */

/* Formats t (s UTC) as ISO 8601 UTC with milliseconds, "2026-11-22T22:30:00.123Z",
 * into out[cap] (cap >= 25). Returns SG_OK, SG_ERANGE for a non-finite/negative t or
 * a short buffer. */
int feed_time_iso(double t, char *out, size_t cap);

#endif
