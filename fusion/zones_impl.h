/* Internal to fusion/zones*.c: the zone model shared by the GeoJSON loader (zones.c),
 * the schedules (zones_sched.c), the geometry queries (zones_geom.c) and the EUROCAE
 * ED-269 import (zones_ed269.c). Not part of the library's
 * interface: programs use zones.h. */
#ifndef SG_ZONES_IMPL_H
#define SG_ZONES_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include "sg_json.h"
#include "tz.h"
#include "zones.h"

#define MAX_SCHED 64
#define MAX_TZ 16
#define ON_EDGE_M 1e-6 /* m: points this close to an edge count as on the boundary */

typedef struct {
    double *xy; /* ENU east, north pairs; n vertices, closing vertex not repeated */
    size_t n;
} ring;

typedef struct {
    ring *rings; /* rings[0] outer, the rest holes */
    size_t nrings;
} poly;

typedef struct {
    bool weekly;
    double start, end;  /* s UTC: the event window; for weekly windows the dates they
                         * apply between (-INFINITY / INFINITY when unbounded) */
    uint8_t days;       /* weekly: bit 0 = Monday ... bit 6 = Sunday (local) */
    int32_t sod_start, sod_end; /* weekly: s of local day; end <= start crosses midnight */
    const tz_info *tz;  /* weekly only */
} sched;

struct zone {
    char id[SG_ID_LEN];
    char name[64];
    zone_layer layer;
    bool circle;
    poly *polys;
    size_t npolys;
    double cx, cy, r;          /* circle: centre ENU m, radius m */
    double floor_hae, ceil_hae; /* m, +-INFINITY when open */
    double bbox[4];            /* min e, min n, max e, max n */
    sched *sched;
    size_t nsched;
    const geo_frame *f;
    double earth_r;            /* m, mean radius at the origin for the height scaling */
};

struct zone_set {
    geo_frame f;
    zone *z;
    size_t n;
    tz_info *tz[MAX_TZ];
    size_t ntz;
};

/* Shared by both loaders (zones.c, zones_sched.c). Errors name `where` / `w` like the loaders' own. */
void zi_zone_free(zone *z);
const tz_info *zi_tz_get(zone_set *zs, const char *name, const char *where, sg_errinfo *e);
bool zi_parse_iso(const char *s, double *secs, bool *has_off); /* ISO 8601 -> s UTC */
bool zi_parse_hhmm(const char *s, int32_t *sod);               /* "HH:MM[:SS]" -> s of day */
/* GeoJSON polygon rings -> *out; *budget limits the total vertex count. */
int zi_parse_polygon(const zone_set *zs, const cJSON *rings, const char *w, poly *out,
                     size_t *budget, sg_errinfo *e);
void zi_finish_zone(zone_set *zs, zone *z); /* bbox and height scaling, once parsed */
/* The GeoJSON "schedule" array of a feature into z->sched; feature_tz is the
 * feature-level time zone, the default of each window's "tz" (zones_sched.c). */
int zi_parse_schedule(zone_set *zs, zone *z, const cJSON *arr, const char *where,
                      const char *feature_tz, sg_errinfo *e);
/* Point (ENU m) inside a ring (even-odd); distance (m) to its nearest edge
 * (zones_geom.c). */
bool zi_ring_inside(const ring *r, double x, double y);
double zi_ring_dist(const ring *r, double x, double y);

#endif
