/* libFuzzer target: GeoJSON and ED-269 zone files (fusion/zones.c). Accepted zones must
 * answer point-in-zone, distance and entry queries without faults; refusals carry a
 * message. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "geo.h"
#include "zones.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void query(const zone_set *zs)
{
    static const double pts[][3] = {{0, 0, 50}, {120, -40, 100}, {-900, 900, 10}, {1e4, 0, 0}};
    const double v[3] = {5, -5, 0};
    for (size_t i = 0; i < zones_count(zs); i++) {
        const zone *z = zones_at(zs, i);
        (void)zone_active(z, 1784572200.0);
        for (size_t k = 0; k < sizeof pts / sizeof pts[0]; k++) {
            double t, n[3];
            (void)zone_contains(z, pts[k]);
            if (isnan(zone_distance(z, pts[k])))
                abort();
            (void)zone_entry(z, pts[k], v, 60, &t, n);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    geo_frame f;
    if (geo_frame_init(&f, 51.556 * GEO_DEG, -0.2796 * GEO_DEG, 87, NULL))
        abort();
    sg_errinfo e = {0};
    zone_set *zs = zones_parse("fuzz.geojson", (const char *)data, size, &f, &e);
    if (zs) {
        query(zs);
        zones_destroy(zs);
    } else if (!e.msg[0]) {
        abort();
    }
    zones_ed269_opts o = {.geoid_undulation_m = 46, .ground_amsl_m = 41};
    size_t skipped = 0;
    e.msg[0] = '\0';
    zs = zones_parse_ed269("fuzz.ed269.json", (const char *)data, size, &f, &o, &skipped, &e);
    if (zs) {
        query(zs);
        zones_destroy(zs);
    } else if (!e.msg[0]) {
        abort();
    }
    return 0;
}
