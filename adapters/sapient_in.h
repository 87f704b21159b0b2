/* SAPIENT input (BSI Flex 335 v2.0): skyguard as the fusion node third-party SAPIENT
 * sensors (radars, other detectors) report to. A venue sensor of kind "sapient" listens on
 * TCP; each connection is one sensor node sending SapientMessages, each prefixed by its
 * length as a 4-byte little-endian integer (adapters/sapient/sapient.proto).
 *
 *   handshake: the node's Registration (node_id a UUID, on the allow-list "node_ids" when
 *              given) is answered by a RegistrationAck (acceptance true, or false with the
 *              reason, and the connection is closed);
 *   detections: DetectionReports of a registered node become measurements of the venue
 *              sensor: a Location (lat/lon in degrees or radians, height above the WGS84
 *              ellipsoid or, with the venue's geoid undulation, above the geoid) gives a
 *              position (SG_MEAS_POS_WGS84, R from x/y/z_error as 1-sigma, else the
 *              registry's default); a RangeBearing (degrees or radians, m or km, true north
 *              or the platform's heading = the sensor's yaw_deg) gives a range-bearing, or
 *              a bearing when it has no range, from the sensor's configured position;
 *              detection_confidence and the most confident classification become the
 *              class and its confidence, `id` the identity. The time is the message's
 *              timestamp (s UTC), which must lie within max_age_s before the receive time
 *              (and at most 1 s after): the input's clock is the wall clock less max_age_s.
 *   hostile input: a length above max_message_bytes closes the connection (no resync is
 *              possible); a frame that does not decode, a report before registration or
 *              from another node id, NaN/out-of-range values, unsupported coordinate
 *              systems, stale or future timestamps, confidence below min_confidence are
 *              rejected and counted by reason, the connection kept. Connections beyond
 *              max_clients are closed at once and counted.
 *
 * Adapter keys ("adapter" of the venue sensor; docs/outputs.md): "type": "sapient",
 * "host" (bind address, default 127.0.0.1; anything but loopback needs "node_ids"),
 * "port" (default 5020; 0 = any free port, see sapient_in_port), "node_ids" (allowed
 * node UUIDs), "node_id" (ours in acks, default derived from the sensor id),
 * "max_clients" (1..64, 4), "max_message_bytes" (64..1048576, 65536), "max_age_s"
 * (0.1..60, 5), "min_confidence" (0..1, 0), "comment".
 *
 * Library module: never prints. One thread runs sapient_in_run; stop and stats may be
 * called from any thread. Built only with protobuf-c (SG_WITH_SAPIENT: the daemon refuses
 * a "sapient" sensor in a build without it). */
#ifndef SG_SAPIENT_IN_H
#define SG_SAPIENT_IN_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "sg_error.h"
#include "sg_types.h"

/* Why a message was not turned into a measurement (counted per reason). */
typedef enum {
    SAPIENT_REJ_DECODE = 0,    /* not a SapientMessage (protobuf decode failed) */
    SAPIENT_REJ_OVERSIZE,      /* length prefix above max_message_bytes (connection closed) */
    SAPIENT_REJ_UNREGISTERED,  /* detection before an accepted registration, or another node id */
    SAPIENT_REJ_REGISTRATION,  /* registration refused (bad or unlisted node id) */
    SAPIENT_REJ_NO_LOCATION,   /* neither location nor range_bearing, or fields missing */
    SAPIENT_REJ_UNSUPPORTED,   /* UTM, magnetic/grid north, unspecified units or datum */
    SAPIENT_REJ_BAD_VALUE,     /* NaN/Inf, latitude/elevation out of range, negative errors */
    SAPIENT_REJ_TIME,          /* timestamp missing, older than max_age_s or in the future */
    SAPIENT_REJ_CONFIDENCE,    /* detection_confidence below min_confidence or outside 0..1 */
    SAPIENT_REJ_OTHER,         /* a message type a fusion node does not take from sensors */
    SAPIENT_REJ_COUNT_
} sapient_reject;

extern const char *const sapient_reject_names[SAPIENT_REJ_COUNT_];

typedef struct {
    uint64_t connections;      /* accepted TCP connections */
    uint64_t refused;          /* connections closed: over max_clients */
    uint64_t registrations;    /* registrations accepted */
    uint64_t messages;         /* frames received (good or bad) */
    uint64_t detections;       /* detection reports that became measurements */
    uint64_t lost;             /* reports of state "lost" (no measurement, not an error) */
    uint64_t rejected;         /* sum of by_reason */
    uint64_t by_reason[SAPIENT_REJ_COUNT_];
} sapient_in_stats;

/* Where the venue sensor is and how a position's height reads. */
typedef struct {
    const char *sensor_id;     /* venue sensor id (errors, default node_id) */
    int sensor;                /* venue sensor index, copied into measurements */
    double lat, lon, alt;      /* rad, rad, m HAE: the sensor's position (range-bearing origin) */
    double yaw;                /* rad clockwise from true north: its platform heading */
    double geoid_n_m;          /* m, HAE - AMSL at the venue; NaN: geoid heights refused */
} sapient_in_geom;

typedef struct sapient_in sapient_in;

/* A measurement made from a detection report (m->t its timestamp). */
typedef void (*sapient_in_meas_fn)(void *user, const sg_measurement *m);
/* Optional: the first rejection of each reason, as a readable line (sensor, node, why). */
typedef void (*sapient_in_note_fn)(void *user, const char *line);

/* Parses the adapter block (`where` names it in errors) and binds the listening socket.
 * NULL + e on a bad key or a port that cannot be bound. */
sapient_in *sapient_in_create(const cJSON *adapter, const char *where, const sapient_in_geom *g,
                              sg_errinfo *e);
/* The bound TCP port (useful with "port": 0). */
int sapient_in_port(const sapient_in *s);
/* Runs until sapient_in_stop: accepts, answers registrations, delivers measurements on this
 * thread through meas (and note, may be NULL). Also calls tick(user, t) at least every
 * 0.1 s with the input's clock (wall clock - max_age_s): no later measurement is older. */
int sapient_in_run(sapient_in *s, sapient_in_meas_fn meas, sapient_in_note_fn note,
                   void (*tick)(void *user, double t), void *user, sg_errinfo *e);
/* Ends sapient_in_run within 0.1 s. Thread-safe. */
void sapient_in_stop(sapient_in *s);
/* Counters (relaxed atomics): any thread. */
void sapient_in_get_stats(const sapient_in *s, sapient_in_stats *out);
void sapient_in_destroy(sapient_in *s);

/* The bytes of one connection without a socket (tests, fuzzing): frames are handled as
 * sapient_in_run would, received at `now` (s UTC); acks are not sent. SG_OK, SG_EEOF when
 * the connection would have been closed (oversize prefix, refused registration; the rest
 * is then ignored), SG_ENOMEM. */
int sapient_in_feed(sapient_in *s, const uint8_t *bytes, size_t n, double now,
                    sapient_in_meas_fn meas, sapient_in_note_fn note, void *user);

/* True for a SAPIENT node id: a UUID in its 8-4-4-4-12 hex-digit text form. */
bool sapient_uuid_ok(const char *s);

#endif
