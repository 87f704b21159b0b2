/* Protected airspace for the alert engine: GeoJSON zones (polygons with holes,
 * multipolygons, circles) with an altitude band, a layer (warning / alert /
 * critical) and an optional schedule (event windows and weekly windows in the
 * venue's time zone).
 *
 * Geometry is projected once at load onto the site's ENU tangent plane (geo_frame)
 * and every test runs in ENU metres, exactly like the tracker's state. Edges are
 * straight lines in that plane (at venue scale, i.e. within a few km, a straight ENU
 * segment and the geodesic between its ends differ by far less than a tracker's
 * position error). Points are compared at the height of the vertices: a track's
 * horizontal ENU position is scaled by (R + h0) / (R + h) so a drone 500 m up is
 * tested against the ground footprint it is actually over (the uncorrected error
 * would be h * d / R: 0.4 m at 5 km range and 500 m height). Residual error of the
 * plane projection: about d^3 / (3 R^2) -> 1 mm at 5 km, 8 mm at 10 km, 1 m at 50 km
 * from the origin. Vertices farther than ZONES_MAX_RANGE_M from the origin are refused.
 * Working in ENU also makes the maths pole-safe and free of antimeridian wrap.
 *
 * GeoJSON (RFC 7946) FeatureCollection; per feature:
 *   geometry: Polygon | MultiPolygon (rings closed, >= 4 positions, no repeated
 *             vertex, any winding, holes allowed) | Point with properties.radius_m
 *   id (feature member or properties.id, unique, required), properties.name,
 *   properties.layer: "warning" | "alert" | "critical" (required),
 *   properties.floor_m / ceiling_m (absent: no floor / no ceiling),
 *   properties.altitude_ref: "AMSL" (default) | "AGL",
 *   properties.ground_amsl_m: ground elevation for AGL (or collection-level default),
 *   properties.tz: IANA zone for the schedule's local times,
 *   properties.schedule: [ {"start": ISO, "end": ISO, "tz"?: IANA} |
 *                          {"days": ["mon".."sun"], "start": "HH:MM", "end": "HH:MM", "tz"?} ]
 *     ISO times with "Z" or an offset are absolute; without one they are local times
 *     in tz. Windows are [start, end). No schedule: always active.
 * Collection-level members: "geoid_undulation_m" (N, metres: HAE = AMSL + N at the
 * venue; default 0, set it: ~+46 m in London, ~-33 m in New York) and
 * "ground_amsl_m" (default ground elevation for AGL zones).
 *
 * A zone_set is immutable after loading: queries are thread-safe. */
#ifndef SG_FUSION_ZONES_H
#define SG_FUSION_ZONES_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "geo.h"
#include "sg_error.h"
#include "sg_types.h"

#define ZONES_MAX_RANGE_M 100000.0 /* m: vertices/circle centres farther from the origin are refused */
#define ZONES_MAX_ZONES 4096
#define ZONES_MAX_VERTICES 100000  /* per file */

typedef enum {
    ZONE_LAYER_WARNING = 0,
    ZONE_LAYER_ALERT,
    ZONE_LAYER_CRITICAL,
} zone_layer;

typedef enum {
    ZONE_REF_AMSL = 0,
    ZONE_REF_AGL,
} zone_alt_ref;

typedef struct zone zone;
typedef struct zone_set zone_set;

/* Loads a GeoJSON file. f is the site frame (copied). NULL on failure with e naming
 * the file, the feature (index and id) and the key, e.g.
 *   "venue.geojson: features[3] (id \"crit\"): properties.floor_m: ..." */
zone_set *zones_load(const char *path, const geo_frame *f, sg_errinfo *e);
/* Same from text in memory; name is used in errors. */
zone_set *zones_parse(const char *name, const char *text, size_t len, const geo_frame *f,
                      sg_errinfo *e);
/* Same from a parsed document (e.g. inline in a site config). */
zone_set *zones_from_json(const char *name, const cJSON *root, const geo_frame *f,
                          sg_errinfo *e);
void zones_destroy(zone_set *zs);

/* EUROCAE ED-269 import (the JSON "UAS geographical zones" data sets published by
 * aviation authorities): {"features": [{identifier, name, restriction, applicability,
 * geometry: [{uomDimensions, lowerLimit, lowerVerticalReference, upperLimit,
 * upperVerticalReference, horizontalProjection: Polygon | Circle}]}]}.
 *   - restriction PROHIBITED -> critical, REQ_AUTHORISATION -> alert, CONDITIONAL and
 *     NO_RESTRICTION -> warning;
 *   - each geometry entry becomes one zone, id = identifier (then identifier#2, #3 ...);
 *   - limits in M or FT; references AGL (needs opts->ground_amsl_m), AMSL (+ geoid
 *     undulation) or WGS84 (ellipsoid heights, used as is); Circle radius in
 *     uomDimensions units;
 *   - applicability: permanent "YES" (or absent) = always; otherwise
 *     startDateTime/endDateTime windows, and schedule entries {day: [MON..SUN | ANY],
 *     startTime, endTime} as weekly UTC windows between those dates;
 *   - zones with any vertex farther than ZONES_MAX_RANGE_M from the site are skipped
 *     (national data sets cover a whole country); *skipped counts them.
 * Errors name the file, feature index, identifier and key, like the GeoJSON loader. */
typedef struct {
    double geoid_undulation_m; /* m: N at the venue (HAE = AMSL + N) */
    double ground_amsl_m;      /* m: ground elevation for AGL limits; NAN refuses AGL */
} zones_ed269_opts;

zone_set *zones_load_ed269(const char *path, const geo_frame *f, const zones_ed269_opts *o,
                           size_t *skipped, sg_errinfo *e);
zone_set *zones_parse_ed269(const char *name, const char *text, size_t len, const geo_frame *f,
                            const zones_ed269_opts *o, size_t *skipped, sg_errinfo *e);

/* The zone file a venue names, read alike by every program that reads a venue (the
 * daemon, the map, the bridge): EUROCAE ED-269 when ed269, else GeoJSON. ED-269 AMSL
 * limits use the venue's rule for the geoid undulation (geoid_venue_n: given_n_m when
 * finite, else EGM96 at the frame's origin), AGL limits ground_amsl_m (m AMSL, NAN
 * refuses them). *skipped counts ED-269 zones out of range (0 for GeoJSON). Errors name
 * the file; without N they say "geoid_undulation_m: not set and EGM96 not available". */
zone_set *zones_load_venue(const char *path, bool ed269, const geo_frame *f, double given_n_m,
                           double ground_amsl_m, size_t *skipped, sg_errinfo *e);

size_t zones_count(const zone_set *zs);
const zone *zones_at(const zone_set *zs, size_t i); /* i < zones_count */
/* Index of the zone with this id, or SG_ENOTFOUND. */
int zones_find(const zone_set *zs, const char *id);

const char *zone_id(const zone *z);
const char *zone_name(const zone *z);
zone_layer zone_get_layer(const zone *z);
sg_severity zone_severity(const zone *z); /* warning -> WARNING, ... critical -> CRITICAL */
/* Altitude band as heights above the ellipsoid (m); -INFINITY / INFINITY when open. */
void zone_band_hae(const zone *z, double *floor_hae, double *ceiling_hae);

/* Is the zone's schedule active at t (s UTC)? Windows are [start, end). */
bool zone_active(const zone *z, double t);

/* Is ENU point p (m, site frame) inside the zone's area and altitude band?
 * (Schedule not considered: combine with zone_active.) Boundary counts as inside. */
bool zone_contains(const zone *z, const double p[3]);

/* Signed distance (m) from p to the zone's 3-D boundary: negative inside (depth to
 * the nearest side, floor or ceiling), positive outside (to the nearest point of the
 * zone's volume). */
double zone_distance(const zone *z, const double p[3]);

/* First time t in [0, horizon] (s) at which p + v t is inside the zone. Returns true
 * and sets *t_entry (0 if already inside) and normal (unit outward normal of the
 * face crossed at entry, zero vector if inside at t = 0); false if no entry within
 * the horizon (v = 0 and outside, or the ray misses). horizon >= 0. */
bool zone_entry(const zone *z, const double p[3], const double v[3], double horizon,
                double *t_entry, double normal[3]);

/* Geometry for drawing (the operator map, CoT shapes), in site ENU metres (project back with geo_frame_from_enu at
 * the origin height). A circle zone: zone_circle gives its centre and radius (m) and
 * it has no polygons; otherwise zone_poly_count polygons of zone_ring_count rings
 * each (ring 0 outer, the rest holes), zone_ring returning n east/north pairs (the
 * closing vertex not repeated; NULL and n = 0 out of range). */
bool zone_circle(const zone *z, double *cx, double *cy, double *r);
size_t zone_poly_count(const zone *z);
size_t zone_ring_count(const zone *z, size_t poly);
const double *zone_ring(const zone *z, size_t poly, size_t ring, size_t *n);

#endif
