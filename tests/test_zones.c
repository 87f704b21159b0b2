/* GeoJSON zones: table-driven point-in-zone (holes in both windings, multipolygons,
 * circles, AGL/AMSL bands, a polygon around the North Pole, one across the
 * antimeridian), signed distance and entry time on known geometry, schedule edges
 * (offsets, IANA tz with DST gaps and overlaps, weekly windows over midnight), and
 * every malformed input failing with an error naming file, feature and key.
 *
 * Shapes are written in ENU metres and turned into lon/lat through the same site
 * frame, so expected answers are plain geometry. Epoch constants were produced with
 * GNU date (`date -u -d ... +%s`), independent of our ISO / TZif code. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "geo.h"
#include "tz.h"
#include "zones.h"

static geo_frame g_f;

/* Appends "[[lon,lat],...]" for ENU vertices (closing vertex added) to buf. */
static void ring_json(char *buf, size_t cap, const geo_frame *f, const double (*v)[2], size_t n)
{
    size_t used = strlen(buf);
    used += (size_t)snprintf(buf + used, cap - used, "[");
    for (size_t i = 0; i <= n; i++) {
        const double *p = v[i % n];
        double enu[3] = {p[0], p[1], 0}, lat, lon, h;
        geo_frame_from_enu(f, enu, &lat, &lon, &h);
        used += (size_t)snprintf(buf + used, cap - used, "%s[%.12f,%.12f]", i ? "," : "",
                                 lon / GEO_DEG, lat / GEO_DEG);
    }
    snprintf(buf + used, cap - used, "]");
}

static zone_set *load(const geo_frame *f, const char *features, sg_errinfo *e)
{
    size_t cap = strlen(features) + 256;
    char *doc = malloc(cap);
    assert_non_null(doc);
    snprintf(doc, cap, "{\"type\":\"FeatureCollection\",\"geoid_undulation_m\":0,\"features\":[%s]}",
             features);
    zone_set *zs = zones_parse("t.geojson", doc, strlen(doc), f, e);
    free(doc);
    return zs;
}

static const double sq200[4][2] = {{-100, -100}, {100, -100}, {100, 100}, {-100, 100}}; /* CCW */
static const double sq200_cw[4][2] = {{-100, -100}, {-100, 100}, {100, 100}, {100, -100}};
static const double hole_ccw[4][2] = {{30, 30}, {70, 30}, {70, 70}, {30, 70}};
static const double hole_cw[4][2] = {{30, 30}, {30, 70}, {70, 70}, {70, 30}};
static const double tri_a[3][2] = {{1000, 0}, {1100, 0}, {1000, 100}};
static const double tri_b[3][2] = {{-1000, 0}, {-1100, 0}, {-1000, -100}};

static char *test_collection(void)
{
    static char buf[16384];
    buf[0] = 0;
    /* A: CCW outer, CW hole, 0..120 m AGL over ground 40 m AMSL (site origin is at the ground). */
    strcat(buf, "{\"type\":\"Feature\",\"id\":\"A\",\"properties\":{\"layer\":\"critical\","
                "\"floor_m\":0,\"ceiling_m\":120,\"altitude_ref\":\"AGL\",\"ground_amsl_m\":40},"
                "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[");
    ring_json(buf, sizeof buf, &g_f, sq200, 4);
    strcat(buf, ",");
    ring_json(buf, sizeof buf, &g_f, hole_cw, 4);
    /* B: the same shape with the windings swapped. */
    strcat(buf, "]}},{\"type\":\"Feature\",\"properties\":{\"id\":\"B\",\"layer\":\"alert\","
                "\"floor_m\":0,\"ceiling_m\":120,\"altitude_ref\":\"AGL\",\"ground_amsl_m\":40},"
                "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[");
    ring_json(buf, sizeof buf, &g_f, sq200_cw, 4);
    strcat(buf, ",");
    ring_json(buf, sizeof buf, &g_f, hole_ccw, 4);
    /* C: circle r=150 m at (500, 0), 100..200 m AMSL = 60..160 m above the origin. */
    double enu[3] = {500, 0, 0}, lat, lon, h;
    geo_frame_from_enu(&g_f, enu, &lat, &lon, &h);
    size_t u = strlen(buf);
    snprintf(buf + u, sizeof buf - u,
             "]}},{\"type\":\"Feature\",\"id\":\"C\",\"properties\":{\"layer\":\"warning\","
             "\"radius_m\":150,\"floor_m\":100,\"ceiling_m\":200},"
             "\"geometry\":{\"type\":\"Point\",\"coordinates\":[%.12f,%.12f]}},",
             lon / GEO_DEG, lat / GEO_DEG);
    /* D: multipolygon of two triangles, no altitude band. */
    strcat(buf, "{\"type\":\"Feature\",\"id\":7,\"properties\":{\"layer\":\"warning\"},"
                "\"geometry\":{\"type\":\"MultiPolygon\",\"coordinates\":[[");
    ring_json(buf, sizeof buf, &g_f, tri_a, 3);
    strcat(buf, "],[");
    ring_json(buf, sizeof buf, &g_f, tri_b, 3);
    strcat(buf, "]]}}");
    return buf;
}

static int setup(void **state)
{
    (void)state;
    return geo_frame_init(&g_f, 51.5560 * GEO_DEG, -0.2795 * GEO_DEG, 40.0, NULL);
}

typedef struct {
    const char *zone;
    double e, n, u;
    bool inside;
} pip_case;

static const pip_case pip_cases[] = {
    {"A", 0, 0, 50, true},        {"A", 50, 50, 50, false},     /* in the hole */
    {"A", 29.9, 50, 50, true},    {"A", 30, 50, 50, true},      /* hole edge = zone boundary */
    {"A", 99.9, -99.9, 1, true},  {"A", 100.1, 0, 50, false},
    {"A", 0, 0, -0.5, false},     {"A", 0, 0, 0.5, true},       /* floor (AGL 0) */
    {"A", 0, 0, 119.5, true},     {"A", 0, 0, 120.5, false},    /* ceiling 120 AGL */
    {"B", 0, 0, 50, true},        {"B", 50, 50, 50, false},     {"B", 71, 50, 50, true},
    {"B", -100.2, 0, 50, false},  {"B", 0, 0, 121, false},
    {"C", 500, 0, 100, true},     {"C", 500, 149.5, 100, true}, {"C", 500, 150.5, 100, false},
    {"C", 500, 0, 59, false},     {"C", 500, 0, 61, true},      {"C", 500, 0, 159, true},
    {"C", 500, 0, 161, false},    {"C", 0, 0, 100, false},
    {"7", 1010, 10, 5000, true},  {"7", -1010, -10, -30, true}, {"7", 1060, 60, 0, false},
    {"7", -1060, 60, 0, false},   {"7", 0, 0, 0, false},
};

static void test_point_in_zone_table(void **state)
{
    (void)state;
    sg_errinfo e = {0};
    zone_set *zs = load(&g_f, test_collection(), &e);
    if (!zs)
        fail_msg("load: %s", e.msg);
    assert_int_equal(zones_count(zs), 4);
    for (size_t i = 0; i < sizeof pip_cases / sizeof pip_cases[0]; i++) {
        const pip_case *c = &pip_cases[i];
        int k = zones_find(zs, c->zone);
        assert_true(k >= 0);
        double p[3] = {c->e, c->n, c->u};
        bool in = zone_contains(zones_at(zs, (size_t)k), p);
        if (in != c->inside)
            fail_msg("case %zu zone %s (%g, %g, %g): got %d want %d", i, c->zone, c->e, c->n, c->u,
                     in, c->inside);
        /* The signed distance must agree in sign away from the boundary. */
        double d = zone_distance(zones_at(zs, (size_t)k), p);
        if (fabs(d) > 0.2 && (d < 0) != c->inside)
            fail_msg("case %zu zone %s: distance %g disagrees", i, c->zone, d);
    }
    const zone *a = zones_at(zs, 0);
    assert_int_equal(zone_severity(a), SG_SEV_CRITICAL);
    assert_int_equal(zone_severity(zones_at(zs, 1)), SG_SEV_ALERT);
    assert_int_equal(zone_get_layer(zones_at(zs, 2)), ZONE_LAYER_WARNING);
    assert_int_equal(zones_find(zs, "nope"), SG_ENOTFOUND);
    zones_destroy(zs);
}

static void test_distance_and_entry(void **state)
{
    (void)state;
    sg_errinfo e = {0};
    zone_set *zs = load(&g_f, test_collection(), &e);
    assert_non_null(zs);
    const zone *a = zones_at(zs, 0), *c = zones_at(zs, 2);
    double p[3] = {-300, 0, 50};
    assert_true(fabs(zone_distance(a, p) - 200) < 0.01);
    double in[3] = {0, -90, 50};
    assert_true(fabs(zone_distance(a, in) + 10) < 0.01);
    double hole[3] = {50, 50, 50}; /* 20 m from the hole's edges */
    assert_true(fabs(zone_distance(a, hole) - 20) < 0.01);
    double above[3] = {0, 0, 150};
    assert_true(fabs(zone_distance(a, above) - 30) < 0.01);
    double corner[3] = {-130, -140, 160}; /* 30, 40 m off a corner, 40 m above */
    assert_true(fabs(zone_distance(a, corner) - sqrt(50 * 50 + 40 * 40)) < 0.05);

    /* Straight in from the west at 10 m/s: 200 m to the edge -> 20 s, normal -x. */
    double v[3] = {10, 0, 0}, t, nrm[3];
    assert_true(zone_entry(a, p, v, 60, &t, nrm));
    assert_true(fabs(t - 20) < 0.01);
    assert_true(fabs(nrm[0] + 1) < 1e-9 && fabs(nrm[1]) < 1e-9);
    /* Horizon too short. */
    assert_false(zone_entry(a, p, v, 19, &t, nrm));
    /* Moving away / stationary. */
    double away[3] = {-10, 0, 0}, still[3] = {0, 0, 0};
    assert_false(zone_entry(a, p, away, 600, &t, nrm));
    assert_false(zone_entry(a, p, still, 600, &t, nrm));
    /* Inside the hole flying east: leaves the hole at x=70 -> 2 s. */
    assert_true(zone_entry(a, hole, v, 60, &t, nrm));
    assert_true(fabs(t - 2) < 0.01);
    /* Descending onto the ceiling: 30 m above at -3 m/s -> 10 s, normal +z. */
    double down[3] = {0, 0, -3};
    assert_true(zone_entry(a, above, down, 60, &t, nrm));
    assert_true(fabs(t - 10) < 0.02 && nrm[2] == 1);
    /* Over the zone's area but flying below then climbing into it only after passing it:
     * misses (x crosses 100 before z reaches 0). */
    double low[3] = {-150, 0, -100}, climb[3] = {10, 0, 2};
    assert_false(zone_entry(a, low, climb, 60, &t, nrm));
    /* Circle: from (200, 0, 100) east at 20 m/s: edge at x=350 -> 7.5 s, normal -x. */
    double pc[3] = {200, 0, 100}, vc[3] = {20, 0, 0};
    assert_true(zone_entry(c, pc, vc, 60, &t, nrm));
    assert_true(fabs(t - 7.5) < 0.01 && fabs(nrm[0] + 1) < 1e-6);
    /* Already inside -> 0. */
    double pin[3] = {0, 0, 10};
    assert_true(zone_entry(a, pin, v, 60, &t, nrm) && t == 0);
    zones_destroy(zs);
}

/* The site frame at the North Pole region: a ring at lat 89.9995 around the pole with
 * longitudes 0, 90, 180, -90 is a ~110 m square centred on the pole. */
static void test_near_pole_and_antimeridian(void **state)
{
    (void)state;
    geo_frame f;
    assert_int_equal(geo_frame_init(&f, 89.999 * GEO_DEG, 0, 0, NULL), SG_OK);
    const char *pole =
        "{\"type\":\"Feature\",\"id\":\"P\",\"properties\":{\"layer\":\"alert\"},\"geometry\":{"
        "\"type\":\"Polygon\",\"coordinates\":[[[0,89.9995],[90,89.9995],[180,89.9995],"
        "[-90,89.9995],[0,89.9995]]]}}";
    sg_errinfo e = {0};
    zone_set *zs = load(&f, pole, &e);
    if (!zs)
        fail_msg("%s", e.msg);
    const zone *z = zones_at(zs, 0);
    double p[3];
    geo_frame_to_enu(&f, 90 * GEO_DEG, 0, 10, p);
    assert_true(zone_contains(z, p)); /* the pole itself */
    geo_frame_to_enu(&f, 89.9997 * GEO_DEG, 135 * GEO_DEG, 10, p);
    assert_true(zone_contains(z, p));
    geo_frame_to_enu(&f, 89.9993 * GEO_DEG, 180 * GEO_DEG, 10, p);
    assert_false(zone_contains(z, p));
    geo_frame_to_enu(&f, 89.999 * GEO_DEG, 0, 10, p); /* the site origin, 111 m away */
    assert_false(zone_contains(z, p));
    zones_destroy(zs);

    /* Across the antimeridian: 179.999 .. -179.999 is a 220 m wide box, not 360 deg. */
    assert_int_equal(geo_frame_init(&f, 0.0, 179.9995 * GEO_DEG, 0, NULL), SG_OK);
    const char *am =
        "{\"type\":\"Feature\",\"id\":\"AM\",\"properties\":{\"layer\":\"alert\"},\"geometry\":{"
        "\"type\":\"Polygon\",\"coordinates\":[[[179.999,-0.001],[-179.999,-0.001],"
        "[-179.999,0.001],[179.999,0.001],[179.999,-0.001]]]}}";
    zs = load(&f, am, &e);
    if (!zs)
        fail_msg("%s", e.msg);
    z = zones_at(zs, 0);
    geo_frame_to_enu(&f, 0, 180 * GEO_DEG, 0, p);
    assert_true(zone_contains(z, p));
    geo_frame_to_enu(&f, 0, -179.9995 * GEO_DEG, 0, p);
    assert_true(zone_contains(z, p));
    geo_frame_to_enu(&f, 0, 179.9 * GEO_DEG, 0, p);
    assert_false(zone_contains(z, p));
    zones_destroy(zs);
}

/* Altitude of a high track is compared over its true ground footprint. */
static void test_footprint_height_correction(void **state)
{
    (void)state;
    /* Edge 5000 m east; a drone 1000 m up at the geodetic position 0.2 m inside must be
     * inside (uncorrected, ENU east would be ~0.78 m larger and fall outside). */
    const double big[4][2] = {{-5000, -5000}, {5000, -5000}, {5000, 5000}, {-5000, 5000}};
    char buf[4096] = "{\"type\":\"Feature\",\"id\":\"Z\",\"properties\":{\"layer\":\"alert\"},"
                     "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[";
    ring_json(buf, sizeof buf, &g_f, big, 4);
    strcat(buf, "]}}");
    sg_errinfo e;
    zone_set *zs = load(&g_f, buf, &e);
    assert_non_null(zs);
    /* Ground point just inside the east edge at y=0, then the point 1000 m above it
     * along the local vertical. */
    double g[3] = {4999.8, 0, 0}, lat, lon, h, p[3];
    geo_frame_from_enu(&g_f, g, &lat, &lon, &h);
    geo_frame_to_enu(&g_f, lat, lon, h + 1000, p);
    assert_true(p[0] > 5000.3); /* the raw ENU east is outside the polygon's plane */
    assert_true(zone_contains(zones_at(zs, 0), p));
    geo_frame_from_enu(&g_f, (double[3]){5000.2, 0, 0}, &lat, &lon, &h);
    geo_frame_to_enu(&g_f, lat, lon, h + 1000, p);
    assert_false(zone_contains(zones_at(zs, 0), p));
    zones_destroy(zs);
}

static zone_set *sched_zone(const char *props, sg_errinfo *e)
{
    char buf[2048];
    snprintf(buf, sizeof buf,
             "{\"type\":\"Feature\",\"id\":\"S\",\"properties\":{\"layer\":\"alert\",%s},"
             "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[-0.28,51.556],[-0.279,51.556],"
             "[-0.279,51.557],[-0.28,51.556]]]}}",
             props);
    return load(&g_f, buf, e);
}

typedef struct {
    double t;
    bool active;
} sched_case;

static void check_sched(const char *props, const sched_case *c, size_t n)
{
    sg_errinfo e = {0};
    zone_set *zs = sched_zone(props, &e);
    if (!zs)
        fail_msg("%s: %s", props, e.msg);
    for (size_t i = 0; i < n; i++)
        if (zone_active(zones_at(zs, 0), c[i].t) != c[i].active)
            fail_msg("%s: t=%.0f want %d", props, c[i].t, c[i].active);
    zones_destroy(zs);
}

static void test_schedules(void **state)
{
    (void)state;
    /* Offsets: 18:00+02:00 .. 23:30+02:00 = 16:00Z .. 21:30Z (1784044800 = 16:00Z). */
    const sched_case ev[] = {{1784044799, false}, {1784044800, true},
                             {1784044800 + 5.5 * 3600 - 1, true}, {1784044800 + 5.5 * 3600, false}};
    check_sched("\"schedule\":[{\"start\":\"2026-07-14T18:00:00+02:00\",\"end\":\"2026-07-14T23:30+0200\"}]",
                ev, 4);
    check_sched("\"schedule\":[{\"start\":\"2026-07-14T16:00:00Z\",\"end\":\"2026-07-14T21:30:00.000Z\"}]",
                ev, 4);
    /* London local times across the spring-forward (01:00Z on 2026-03-29): 00:30 GMT
     * = 00:30Z, 03:00 BST = 02:00Z: 1.5 h, not 2.5 h. */
    const sched_case dst[] = {{1774744199, false}, {1774744200, true}, {1774749599, true},
                              {1774749600, false}};
    check_sched("\"tz\":\"Europe/London\",\"schedule\":[{\"start\":\"2026-03-29T00:30\","
                "\"end\":\"2026-03-29T03:00\"}]",
                dst, 4);
    /* Non-existent 01:30 local (the gap) lands at 01:30Z = 02:30 BST. */
    const sched_case gap[] = {{1774747799, false}, {1774747800, true}};
    check_sched("\"schedule\":[{\"tz\":\"Europe/London\",\"start\":\"2026-03-29T01:30\","
                "\"end\":\"2026-03-29T05:00\"}]",
                gap, 2);
    /* Ambiguous 01:30 on the autumn fall-back picks the first (BST) instant 00:30Z; New
     * York's 01:30 on 2026-11-01 the EDT one, 05:30Z. */
    const sched_case amb[] = {{1792888199, false}, {1792888200, true}};
    check_sched("\"tz\":\"Europe/London\",\"schedule\":[{\"start\":\"2026-10-25T01:30\","
                "\"end\":\"2026-10-25T04:00\"}]",
                amb, 2);
    const sched_case ny[] = {{1793510999, false}, {1793511000, true}};
    check_sched("\"tz\":\"America/New_York\",\"schedule\":[{\"start\":\"2026-11-01T01:30\","
                "\"end\":\"2026-11-01T04:00\"}]",
                ny, 2);
    /* Weekly Saturday 22:00-02:00 London (over midnight): summer 22:00 BST = 21:00Z
     * (1784408400, a Saturday), winter 22:00 GMT = 22:00Z (1768687200). */
    const sched_case wk[] = {
        {1784408399, false},       {1784408400, true},
        {1784408400 + 4 * 3600 - 1, true}, {1784408400 + 4 * 3600, false},
        {1784408400 + 86400, false},       /* Sunday 22:00: not listed */
        {1768687199, false},       {1768687200, true},
        {1768687200 + 4 * 3600 - 1, true}, {1768687200 + 4 * 3600, false},
    };
    check_sched("\"tz\":\"Europe/London\",\"schedule\":[{\"days\":[\"sat\"],\"start\":\"22:00\","
                "\"end\":\"02:00\"}]",
                wk, sizeof wk / sizeof wk[0]);
    /* Two windows; no schedule means always active. */
    const sched_case two[] = {{1784044800, true}, {1768687200 + 3600, true}, {1768687200 - 1, false}};
    check_sched("\"schedule\":[{\"start\":\"2026-07-14T16:00Z\",\"end\":\"2026-07-14T17:00Z\"},"
                "{\"tz\":\"UTC\",\"days\":[\"sat\",\"sun\"],\"start\":\"22:00\",\"end\":\"24:00\"}]",
                two, 3);
    const sched_case always[] = {{0, true}, {4e9, true}};
    check_sched("\"name\":\"x\"", always, 2);
}

typedef struct {
    const char *doc;   /* a whole document; "%F" is replaced by a good feature body */
    const char *expect; /* substring the error must contain */
} bad_case;

#define SQ "[[[-0.28,51.556],[-0.279,51.556],[-0.279,51.557],[-0.28,51.556]]]"
#define FEAT(props, geom) \
    "{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\",\"id\":\"z1\"," \
    "\"properties\":{" props "},\"geometry\":" geom "}]}"
#define POLY "{\"type\":\"Polygon\",\"coordinates\":" SQ "}"

static const bad_case bad_cases[] = {
    {"{\"type\":\"Feature\"}", "t.geojson: type: must be a GeoJSON \"FeatureCollection\""},
    {"[1,2]", "FeatureCollection"},
    {"{\"type\":\"FeatureCollection\",\"features\":[}", "JSON syntax error"},
    {"{\"type\":\"FeatureCollection\",\"feature\":[]}", "t.geojson.feature: unknown key"},
    {FEAT("\"layer\":\"alert\"", "{\"type\":\"LineString\",\"coordinates\":[[0,0],[1,1]]}"),
     "features[0] (id \"z1\").geometry.type: must be one of"},
    {FEAT("\"layer\":\"alert\"", "{\"type\":\"Polygon\",\"coordinates\":[[[-0.28,51.556],[-0.279,51.556],[-0.279,51.557],[-0.28,51.5561]]]}"),
     "features[0] (id \"z1\").geometry.coordinates[0]: ring is not closed"},
    {FEAT("\"layer\":\"alert\"", "{\"type\":\"Polygon\",\"coordinates\":[[[-0.28,51.556],[-0.279,51.556],[-0.28,51.556]]]}"),
     "coordinates[0]: a linear ring needs at least 4 positions, got 3"},
    {FEAT("\"layer\":\"alert\"", "{\"type\":\"Polygon\",\"coordinates\":[[[-0.28,51.556],[-0.279,51.556],[-0.279,51.557],[-0.279,51.556],[-0.28,51.556]]]}"),
     "coordinates[0][3]: repeats the vertex at position 1"},
    {FEAT("\"layer\":\"alert\"", "{\"type\":\"Polygon\",\"coordinates\":[[[-0.28,51.556],[1e999,51.556],[-0.279,51.557],[-0.28,51.556]]]}"),
     "coordinates[0][1]: [inf, 51.556] is not a valid [lon, lat]"},
    {FEAT("\"layer\":\"alert\"", "{\"type\":\"Polygon\",\"coordinates\":[[[-0.28,51.556],[\"x\",51.556],[-0.279,51.557],[-0.28,51.556]]]}"),
     "coordinates[0][1]: a position must be"},
    {FEAT("\"layer\":\"alert\"", "{\"type\":\"Polygon\",\"coordinates\":[[[-0.28,91],[-0.279,51.556],[-0.279,51.557],[-0.28,91]]]}"),
     "coordinates[0][0]: [-0.28, 91] is not a valid"},
    {FEAT("\"layer\":\"alert\"", "{\"type\":\"Polygon\",\"coordinates\":[[[2.28,51.556],[2.279,51.556],[2.279,51.557],[2.28,51.556]]]}"),
     "km from the site origin"},
    {FEAT("\"layer\":\"alert\"", "{\"type\":\"Polygon\",\"coordinates\":[]}"), "non-empty array of rings"},
    {FEAT("\"layer\":\"alert\"", "{\"type\":\"Polygon\",\"coordinates\":[[[-0.28,51.556],[-0.279,51.557],[-0.279,51.556],[-0.28,51.557],[-0.28,51.556]]]}"),
     "coordinates[0]: edges 0 and 2 cross (self-intersecting ring)"},
    {FEAT("\"layer\":\"alert\"", "{\"type\":\"Polygon\",\"coordinates\":[[[-0.28,51.556],[-0.279,51.556],[-0.279,51.557],[-0.28,51.557],[-0.28,51.556]],"
          "[[-0.2795,51.5565],[-0.2785,51.5565],[-0.2795,51.5566],[-0.2795,51.5565]]]}"),
     "coordinates[1][1]: hole vertex lies outside the outer ring"},
    {FEAT("\"layer\":\"alert\"", "{\"type\":\"MultiPolygon\",\"coordinates\":[" SQ ",[[[0]]]]}"),
     "coordinates[1][0]: a linear ring needs at least 4"},
    {FEAT("\"layer\":\"alert\",\"floor_m\":200,\"ceiling_m\":100", POLY),
     "(id \"z1\").properties.floor_m: floor (200 m) is above ceiling_m (100 m)"},
    {FEAT("\"layer\":\"severe\"", POLY), "(id \"z1\").properties.layer: must be one of: warning, alert, critical"},
    {FEAT("\"name\":\"x\"", POLY), "properties.layer: required key is missing"},
    {FEAT("\"layer\":\"alert\",\"altitude_ref\":\"agl\"", POLY), "properties.altitude_ref: must be one of"},
    {FEAT("\"layer\":\"alert\",\"altitude_ref\":\"AGL\",\"ceiling_m\":120", POLY),
     "properties.ground_amsl_m: required for altitude_ref AGL"},
    {FEAT("\"layer\":\"alert\",\"floor_m\":\"low\"", POLY), "properties.floor_m: must be a number"},
    {FEAT("\"layer\":\"alert\",\"schedule\":[]", POLY), "properties.schedule: empty"},
    {FEAT("\"layer\":\"alert\",\"schedule\":[{\"start\":\"2026-07-14T18:00Z\",\"end\":\"2026-07-14T17:00Z\"}]", POLY),
     "properties.schedule[0]: end (2026-07-14T17:00Z) is not after start"},
    {FEAT("\"layer\":\"alert\",\"schedule\":[{\"start\":\"2026-02-30T18:00Z\",\"end\":\"2026-07-14T17:00Z\"}]", POLY),
     "properties.schedule[0].start: \"2026-02-30T18:00Z\" is not an ISO 8601 time"},
    {FEAT("\"layer\":\"alert\",\"schedule\":[{\"start\":\"2026-07-14 18:00Z\",\"end\":\"2026-07-14T19:00Z\"}]", POLY),
     "schedule[0].start: \"2026-07-14 18:00Z\" is not an ISO 8601"},
    {FEAT("\"layer\":\"alert\",\"schedule\":[{\"start\":\"2026-07-14T18:00\",\"end\":\"2026-07-14T19:00\"}]", POLY),
     "schedule[0]: local times (no Z or offset) need a time zone"},
    {FEAT("\"layer\":\"alert\",\"schedule\":[{\"start\":\"2026-07-14T18:00Z\",\"end\":\"2026-07-14T19:00Z\",\"until\":1}]", POLY),
     "schedule[0].until: unknown key"},
    {FEAT("\"layer\":\"alert\",\"schedule\":[{\"start\":\"2026-07-14T18:00Z\"}]", POLY),
     "schedule[0].end: required key is missing"},
    {FEAT("\"layer\":\"alert\",\"tz\":\"Mars/Olympus_Mons\",\"schedule\":[{\"start\":\"2026-07-14T18:00\",\"end\":\"2026-07-14T19:00\"}]", POLY),
     "schedule[0].tz: time zone \"Mars/Olympus_Mons\": unknown"},
    {FEAT("\"layer\":\"alert\",\"tz\":\"../../etc/passwd\"", POLY),
     "properties.tz: time zone \"../../etc/passwd\": not a valid IANA zone name"},
    {FEAT("\"layer\":\"alert\",\"schedule\":[{\"days\":[\"sat\"],\"start\":\"22:00\",\"end\":\"02:00\"}]", POLY),
     "schedule[0].tz: weekly windows need a time zone"},
    {FEAT("\"layer\":\"alert\",\"tz\":\"UTC\",\"schedule\":[{\"days\":[\"saturday\"],\"start\":\"22:00\",\"end\":\"02:00\"}]", POLY),
     "schedule[0].days[0]: must be one of mon..sun"},
    {FEAT("\"layer\":\"alert\",\"tz\":\"UTC\",\"schedule\":[{\"days\":[\"sat\"],\"start\":\"25:00\",\"end\":\"02:00\"}]", POLY),
     "schedule[0].start: \"25:00\" is not a time of day"},
    {FEAT("\"layer\":\"alert\"", "{\"type\":\"Point\",\"coordinates\":[-0.28,51.556]}"),
     "properties.radius_m: required key is missing"},
    {FEAT("\"layer\":\"alert\",\"radius_m\":0", "{\"type\":\"Point\",\"coordinates\":[-0.28,51.556]}"),
     "properties.radius_m: must be > 0"},
    {FEAT("\"layer\":\"alert\",\"radius_m\":10", POLY), "radius_m: only valid for Point"},
    {"{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\",\"properties\":{\"layer\":\"alert\"},\"geometry\":" POLY "}]}",
     "t.geojson: features[0].id: required"},
    {"{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\",\"id\":\"d\",\"properties\":{\"layer\":\"alert\"},\"geometry\":" POLY "},"
     "{\"type\":\"Feature\",\"id\":\"d\",\"properties\":{\"layer\":\"alert\"},\"geometry\":" POLY "}]}",
     "features[1].id: \"d\" duplicates features[0]"},
    {"{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\",\"id\":\"z1\",\"properties\":{\"layer\":\"alert\"}}]}",
     "(id \"z1\").geometry: required key is missing"},
    {"{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feat\",\"id\":\"z1\"}]}", "features[0].type: must be \"Feature\""},
};

static void test_malformed(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        sg_errinfo e = {0};
        zone_set *zs = zones_parse("t.geojson", bad_cases[i].doc, strlen(bad_cases[i].doc), &g_f, &e);
        if (zs) {
            zones_destroy(zs);
            fail_msg("case %zu loaded but must fail: %s", i, bad_cases[i].doc);
        }
        if (e.code >= 0 || !strstr(e.msg, bad_cases[i].expect) || !strstr(e.msg, "t.geojson"))
            fail_msg("case %zu: code %d message \"%s\" lacks \"%s\"", i, e.code, e.msg,
                     bad_cases[i].expect);
    }
}

static void test_bundled_stadium(void **state)
{
    (void)state;
    geo_frame f;
    /* The bundled venue's origin (see docs/fusion-zones-alerts.md): Wembley-like stadium. */
    assert_int_equal(geo_frame_init(&f, 51.5560 * GEO_DEG, -0.2796 * GEO_DEG, 87.0, NULL), SG_OK);
    sg_errinfo e = {0};
    zone_set *zs = zones_load(SG_SOURCE_DIR "/testdata/zones/stadium.geojson", &f, &e);
    if (!zs)
        fail_msg("%s", e.msg);
    assert_true(zones_count(zs) >= 5);
    int crit = zones_find(zs, "stadium-critical"), warn = zones_find(zs, "stadium-warning");
    int heli = zones_find(zs, "vip-circle");
    assert_true(crit >= 0 && warn >= 0 && heli >= 0);
    double centre[3] = {0, 0, 30};
    /* Inside critical during the match, and critical is nested inside warning. */
    double kickoff = 1784574000; /* 2026-07-20T19:00Z (20:00 BST) */
    assert_true(zone_contains(zones_at(zs, (size_t)crit), centre));
    assert_true(zone_contains(zones_at(zs, (size_t)warn), centre));
    assert_true(zone_active(zones_at(zs, (size_t)crit), kickoff));
    assert_false(zone_active(zones_at(zs, (size_t)crit), kickoff + 2 * 86400));
    assert_true(zone_active(zones_at(zs, (size_t)warn), kickoff + 2 * 86400)); /* unscheduled */
    /* The helipad hole in the alert ring is still inside the warning area. */
    int alert = zones_find(zs, "stadium-alert");
    double helipad[3] = {290, -290, 30};
    assert_false(zone_contains(zones_at(zs, (size_t)alert), helipad));
    assert_true(zone_contains(zones_at(zs, (size_t)warn), helipad));
    /* Warning ceiling 700 m AMSL = 746 m HAE = ~659 m above the 87 m HAE origin. */
    double hi[3] = {0, 0, 650}, higher[3] = {0, 0, 670};
    assert_true(zone_contains(zones_at(zs, (size_t)warn), hi));
    assert_false(zone_contains(zones_at(zs, (size_t)warn), higher));
    zones_destroy(zs);
}

/* ED-269 import: layers from restriction, M/FT, AGL/AMSL/WGS84 references, circles
 * with radius in the volume's unit, multi-geometry ids, far zones skipped, and
 * applicability windows with a weekly schedule between dates. */
#define ED_SQ "[[[-0.2806,51.5554],[-0.2786,51.5554],[-0.2786,51.5566],[-0.2806,51.5566],[-0.2806,51.5554]]]"
static const char ed269_doc[] =
    "{\"title\":\"test\",\"features\":["
    "{\"identifier\":\"GBR-1\",\"country\":\"GBR\",\"name\":\"Stadium\",\"type\":\"COMMON\","
    "\"restriction\":\"PROHIBITED\",\"applicability\":[{\"permanent\":\"YES\"}],\"zoneAuthority\":[],"
    "\"geometry\":[{\"uomDimensions\":\"M\",\"lowerLimit\":0,\"lowerVerticalReference\":\"AGL\","
    "\"upperLimit\":120,\"upperVerticalReference\":\"AGL\",\"horizontalProjection\":{\"type\":\"Polygon\","
    "\"coordinates\":" ED_SQ "}},"
    "{\"uomDimensions\":\"FT\",\"lowerLimit\":1000,\"lowerVerticalReference\":\"AMSL\",\"upperLimit\":2000,"
    "\"upperVerticalReference\":\"WGS84\",\"horizontalProjection\":{\"type\":\"Circle\","
    "\"center\":[-0.2796,51.5560],\"radius\":1000}}]},"
    "{\"identifier\":\"FRA-9\",\"restriction\":\"PROHIBITED\",\"geometry\":[{\"uomDimensions\":\"M\","
    "\"horizontalProjection\":{\"type\":\"Circle\",\"center\":[2.35,48.85],\"radius\":5000}}]},"
    "{\"identifier\":\"GBR-2\",\"restriction\":\"CONDITIONAL\",\"applicability\":[{\"permanent\":\"NO\","
    "\"startDateTime\":\"2026-07-01T00:00:00Z\",\"endDateTime\":\"2026-08-01T00:00:00Z\","
    "\"schedule\":[{\"day\":[\"SAT\"],\"startTime\":\"20:00\",\"endTime\":\"22:00\"}]}],"
    "\"geometry\":[{\"uomDimensions\":\"M\",\"horizontalProjection\":{\"type\":\"Polygon\","
    "\"coordinates\":" ED_SQ "}}]}"
    "]}";

static void test_ed269_import(void **state)
{
    (void)state;
    geo_frame f;
    assert_int_equal(geo_frame_init(&f, 51.5560 * GEO_DEG, -0.2796 * GEO_DEG, 87.0, NULL), SG_OK);
    zones_ed269_opts o = {.geoid_undulation_m = 46, .ground_amsl_m = 41};
    sg_errinfo e = {0};
    size_t skipped = 99;
    zone_set *zs = zones_parse_ed269("uas.json", ed269_doc, strlen(ed269_doc), &f, &o, &skipped, &e);
    if (!zs)
        fail_msg("%s", e.msg);
    assert_int_equal(skipped, 1); /* Paris */
    assert_int_equal(zones_count(zs), 3);
    const zone *a = zones_at(zs, 0), *b = zones_at(zs, 1), *c = zones_at(zs, 2);
    assert_string_equal(zone_id(a), "GBR-1");
    assert_string_equal(zone_id(b), "GBR-1#2");
    assert_string_equal(zone_id(c), "GBR-2");
    assert_string_equal(zone_name(a), "Stadium");
    assert_int_equal(zone_severity(a), SG_SEV_CRITICAL);
    assert_int_equal(zone_severity(c), SG_SEV_WARNING);
    double fl, ce;
    zone_band_hae(a, &fl, &ce);
    assert_true(fabs(fl - 87) < 1e-9 && fabs(ce - 207) < 1e-9); /* 0/120 AGL over 41 AMSL + 46 */
    zone_band_hae(b, &fl, &ce);
    assert_true(fabs(fl - (304.8 + 46)) < 1e-9 && fabs(ce - 609.6) < 1e-9); /* FT, AMSL / WGS84 */
    double p[3] = {0, 290, 300}, q[3] = {0, 320, 300}; /* radius 1000 ft = 304.8 m */
    assert_true(zone_contains(b, p));
    assert_false(zone_contains(b, q));
    double in_a[3] = {0, 0, 60};
    assert_true(zone_contains(a, in_a) && zone_active(a, 0));
    /* Saturday 2026-07-18 20:00Z = 1784404800 (date -u -d ... +%s); July only. */
    assert_false(zone_active(c, 1784404799));
    assert_true(zone_active(c, 1784404800));
    assert_false(zone_active(c, 1784404800 + 7200));
    assert_false(zone_active(c, 1784404800 + 28 * 86400)); /* 15 August: after the window */
    zones_destroy(zs);

    const struct {
        const char *doc, *expect;
    } bad[] = {
        {"{\"features\":[{\"restriction\":\"PROHIBITED\",\"geometry\":[]}]}", "uas.json: features[0].identifier: required"},
        {"{\"features\":[{\"identifier\":\"X\",\"restriction\":\"NOPE\",\"geometry\":[]}]}",
         "features[0] (identifier \"X\").restriction: must be one of"},
        {"{\"features\":[{\"identifier\":\"X\",\"restriction\":\"PROHIBITED\",\"geometry\":[]}]}", "(identifier \"X\").geometry: empty"},
        {"{\"features\":[{\"identifier\":\"X\",\"restriction\":\"PROHIBITED\",\"geometry\":[{\"uomDimensions\":\"KM\"}]}]}",
         "geometry[0].uomDimensions: must be one of: M, FT"},
        {"{\"features\":[{\"identifier\":\"X\",\"restriction\":\"PROHIBITED\",\"geometry\":[{\"uomDimensions\":\"M\","
         "\"upperLimit\":100,\"horizontalProjection\":{\"type\":\"Polygon\",\"coordinates\":" ED_SQ "}}]}]}",
         "geometry[0].upperVerticalReference: required key is missing"},
        {"{\"features\":[{\"identifier\":\"X\",\"restriction\":\"PROHIBITED\",\"geometry\":[{\"uomDimensions\":\"M\","
         "\"horizontalProjection\":{\"type\":\"Point\",\"coordinates\":[0,0]}}]}]}",
         "horizontalProjection.type: must be one of: Polygon, Circle"},
        {"{\"features\":[{\"identifier\":\"X\",\"restriction\":\"PROHIBITED\",\"applicability\":[{\"permanent\":\"MAYBE\"}],"
         "\"geometry\":[{\"uomDimensions\":\"M\",\"horizontalProjection\":{\"type\":\"Polygon\",\"coordinates\":" ED_SQ "}}]}]}",
         "applicability[0].permanent: must be \"YES\" or \"NO\""},
        {"{\"features\":[{\"identifier\":\"X\",\"restriction\":\"PROHIBITED\",\"applicability\":[{\"schedule\":"
         "[{\"day\":[\"FUN\"],\"startTime\":\"10:00\",\"endTime\":\"11:00\"}]}],"
         "\"geometry\":[{\"uomDimensions\":\"M\",\"horizontalProjection\":{\"type\":\"Polygon\",\"coordinates\":" ED_SQ "}}]}]}",
         "applicability[0].schedule[0].day[0]: must be one of MON..SUN, ANY"},
        {"{\"features\":[{\"identifier\":\"X\",\"restriction\":\"PROHIBITED\",\"geometry\":[{\"uomDimensions\":\"M\","
         "\"horizontalProjection\":{\"type\":\"Circle\",\"center\":[-0.2796,51.556],\"radius\":-5}}]}]}",
         "horizontalProjection.radius: must be in"},
        {"{\"features\":[{\"identifier\":\"X\",\"restriction\":\"PROHIBITED\",\"geometry\":[{\"uomDimensions\":\"M\","
         "\"horizontalProjection\":{\"type\":\"Polygon\",\"coordinates\":[[[-0.28,51.556],[-0.279,51.556],[-0.28,51.556]]]}}]}]}",
         "horizontalProjection.coordinates[0]: a linear ring needs at least 4"},
        {"[]", "uas.json: must be an ED-269 object"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        zs = zones_parse_ed269("uas.json", bad[i].doc, strlen(bad[i].doc), &f, &o, NULL, &e);
        if (zs || !strstr(e.msg, bad[i].expect))
            fail_msg("case %zu: %s", i, zs ? "loaded" : e.msg);
    }
    /* AGL limits without a ground elevation. */
    o.ground_amsl_m = NAN;
    zs = zones_parse_ed269("uas.json", ed269_doc, strlen(ed269_doc), &f, &o, NULL, &e);
    assert_null(zs);
    assert_non_null(strstr(e.msg, "geometry[0].lowerVerticalReference: AGL limits need"));
}

/* Offsets from the TZif tables and, past 2037, from the POSIX footer rule, against
 * GNU date's (glibc) answers: `TZ=zone date -d @t +%z`. Includes DST boundaries in
 * both hemispheres, a fixed-offset zone and a half-hour one. */
static void test_tz_offsets(void **state)
{
    (void)state;
    const struct {
        const char *zone;
        int64_t t;
        int32_t off;
    } c[] = {
        {"Europe/London", 1782907200, 3600},     {"Europe/London", 2224756800, 3600},
        {"Europe/London", 2210241600, 0},        {"Europe/London", 2374102799, 0},
        {"Europe/London", 2374102800, 3600},     {"America/New_York", 2551327199, -14400},
        {"America/New_York", 2551327200, -18000}, {"America/New_York", 2210241600, -18000},
        {"Australia/Sydney", 2358950399, 36000}, {"Australia/Sydney", 2358950400, 39600},
        {"Australia/Sydney", 2374675199, 39600}, {"Australia/Sydney", 2374675200, 36000},
        {"Australia/Sydney", 1782907200, 36000}, {"Asia/Tokyo", 2551327200, 32400},
        {"Asia/Tehran", 2224756800, 12600},      {"America/Sao_Paulo", 2224756800, -10800},
        {"UTC", 2224756800, 0},
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        sg_errinfo e;
        tz_info *z = tz_load(NULL, c[i].zone, &e);
        if (!z)
            fail_msg("%s", e.msg);
        int32_t off = tz_offset(z, c[i].t);
        tz_destroy(z);
        if (off != c[i].off)
            fail_msg("case %zu %s t=%lld: %d want %d", i, c[i].zone, (long long)c[i].t, off, c[i].off);
    }
    sg_errinfo e;
    assert_null(tz_load(NULL, "Europe", &e)); /* a directory, not a zone */
    assert_null(tz_load(NULL, "", &e));
    assert_null(tz_load("/nonexistent", "UTC", &e));
    assert_int_equal(e.code, SG_ENOTFOUND);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_point_in_zone_table), cmocka_unit_test(test_distance_and_entry),
        cmocka_unit_test(test_near_pole_and_antimeridian),
        cmocka_unit_test(test_footprint_height_correction), cmocka_unit_test(test_schedules),
        cmocka_unit_test(test_malformed), cmocka_unit_test(test_bundled_stadium),
        cmocka_unit_test(test_ed269_import), cmocka_unit_test(test_tz_offsets),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
