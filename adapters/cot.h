/* Cursor-on-Target (CoT 2.0 XML events) for TAK clients and servers (ATAK, WinTAK,
 * iTAK, TAK Server), written the way drone-detection tools publish to TAK
 * (docs/outputs.md has the full mapping):
 *   - one event per track: type a-<aff>-A-M-H-Q (air, military, rotary wing, UAV) with
 *     <aff> u (unknown), h (hostile: the track holds an open alert), f (friend:
 *     allow-listed identity); how="m-g" (machine, GPS-like derived position);
 *   - pilot and home point as separate events: uid "<uas uid>-pilot" / "<uas uid>-home",
 *     type a-<aff>-G, linked to the UAS event; the home point from the track's "home",
 *     DJI DroneID's home, or a Remote ID operator position of type take-off (then no
 *     pilot event: the pilot's own position is not known);
 *   - point: lat/lon in degrees WGS84, hae in metres above the ellipsoid, ce/le the 1-sigma
 *     horizontal/vertical errors from the track covariance (9999999 = unknown, per CoT);
 *   - time/start = the bridge's wall clock (TAK clients expire events on their own clock),
 *     stale = time + stale_s, time + coast_stale_s for a coasting track, and = time for a
 *     deleted one (TAK removes it);
 *   - text from the air (identities) is XML-escaped and invalid UTF-8 replaced by '?'.
 * Pure functions, thread-safe. */
#ifndef SG_COT_H
#define SG_COT_H

#include <stddef.h>

#include "geo.h"
#include "sg_error.h"
#include "sink.h"
#include "zones.h"

#define COT_MAX_EVENT 4096   /* bytes of one track event */
#define COT_MAX_ZONE 65536   /* bytes of one zone drawing (about 1000 vertices) */
#define COT_UNKNOWN_ERR 9999999.0

typedef enum { COT_UAS = 0, COT_PILOT, COT_HOME } cot_part;

typedef struct {
    char uid_prefix[64];   /* uid = "<prefix>.<track id>" */
    double stale_s;        /* s after time for a live track, > 0 */
    double coast_stale_s;  /* s after time for a coasting track, > 0 */
} cot_opts;

/* Writes one CoT event of part (UAS, pilot or home) for a track event into buf[cap].
 * now = s UTC (wall clock). Returns the length, 0 when the part does not apply (no pilot
 * or home position), SG_EOVERFLOW when it does not fit, SG_EINVAL for a non-track event. */
int cot_encode_track(const cot_opts *o, const sink_event *ev, cot_part part, double now,
                     char *buf, size_t cap);

/* Writes a zone as a CoT drawing into buf[cap]: a polygon's outer ring (polygon poly of the
 * zone) as a closed "u-d-f" shape with one link point per vertex, or a circle as "u-d-c-c"
 * with an ellipse; stroke and fill colours by layer (warning yellow, alert orange, critical
 * red); uid "<uid_prefix>.zone.<id>[.<poly>]"; how "h-e" (drawn by people); stale =
 * now + stale_s. ENU vertices are converted with frame f. Returns the length, 0 when poly is
 * past the zone's polygons, SG_EOVERFLOW when it does not fit. */
int cot_encode_zone(const cot_opts *o, const zone *z, const geo_frame *f, size_t poly,
                    double now, double stale_s, char *buf, size_t cap);

/* The CoT type for an affiliation and part, e.g. "a-h-A-M-H-Q". */
const char *cot_type(sink_affiliation aff, cot_part part);

/* Escapes s for an XML attribute into out[cap] (always NUL-terminated). */
void cot_xml_escape(const char *s, char *out, size_t cap);

#endif
