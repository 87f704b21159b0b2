/* sg_zonecheck: validate a venue's zone file before an event and inspect it.
 *
 *   sg_zonecheck --origin LAT,LON,H [--ed269 --geoid N --ground G] FILE
 *                [--at UNIX_SECONDS] [--point LAT,LON,ALT_HAE]...
 *
 * Loads FILE (GeoJSON by default, EUROCAE ED-269 with --ed269) around the site origin
 * (degrees, metres above the ellipsoid) exactly as the daemon does, prints every
 * zone (layer, altitude band as ellipsoid heights, active at --at) and, for each
 * --point, whether it is inside each active zone and the signed distance.
 * Exit status: 0 valid, 1 invalid file (the error names file, feature and key), 2 usage. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geo.h"
#include "zones.h"

static void print_usage(FILE *f)
{
    fprintf(f, "usage: sg_zonecheck --origin LAT,LON,H [--ed269 [--geoid N] [--ground G]] FILE\n"
               "                    [--at UNIX_SECONDS] [--point LAT,LON,ALT_HAE]...\n"
               "       sg_zonecheck --help\n");
}

static int usage(void)
{
    print_usage(stderr);
    return 2;
}

static int parse3(const char *s, double v[3])
{
    char *end;
    for (int i = 0; i < 3; i++) {
        v[i] = strtod(s, &end);
        if (end == s || !isfinite(v[i]) || (i < 2 && *end != ',') || (i == 2 && *end))
            return -1;
        s = end + 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    double origin[3] = {NAN, NAN, NAN}, at = NAN, geoid = 0, ground = NAN;
    double pts[16][3];
    int npts = 0;
    int ed269 = 0;
    const char *file = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            print_usage(stdout);
            return 0;
        } else if (!strcmp(a, "--origin") && v) {
            if (parse3(v, origin))
                return usage();
            i++;
        } else if (!strcmp(a, "--point") && v && npts < 16) {
            if (parse3(v, pts[npts++]))
                return usage();
            i++;
        } else if (!strcmp(a, "--at") && v) {
            at = strtod(v, NULL);
            i++;
        } else if (!strcmp(a, "--geoid") && v) {
            geoid = strtod(v, NULL);
            i++;
        } else if (!strcmp(a, "--ground") && v) {
            ground = strtod(v, NULL);
            i++;
        } else if (!strcmp(a, "--ed269")) {
            ed269 = 1;
        } else if (a[0] != '-' && !file) {
            file = a;
        } else {
            return usage();
        }
    }
    if (!file || isnan(origin[0]))
        return usage();
    geo_frame f;
    sg_errinfo e = {0};
    if (geo_frame_init(&f, origin[0] * GEO_DEG, origin[1] * GEO_DEG, origin[2], &e)) {
        fprintf(stderr, "sg_zonecheck: --origin: %s\n", e.msg);
        return 2;
    }
    size_t skipped = 0;
    zone_set *zs;
    if (ed269) {
        zones_ed269_opts o = {.geoid_undulation_m = geoid, .ground_amsl_m = ground};
        zs = zones_load_ed269(file, &f, &o, &skipped, &e);
    } else {
        zs = zones_load(file, &f, &e);
    }
    if (!zs) {
        fprintf(stderr, "%s\n", e.msg);
        return 1;
    }
    static const char *const layers[] = {"warning", "alert", "critical"};
    printf("%s: %zu zones", file, zones_count(zs));
    if (ed269)
        printf(" (%zu beyond %.0f km skipped)", skipped, ZONES_MAX_RANGE_M / 1000);
    printf("\n");
    for (size_t i = 0; i < zones_count(zs); i++) {
        const zone *z = zones_at(zs, i);
        double fl, ce;
        zone_band_hae(z, &fl, &ce);
        printf("  %-24s %-8s %-32s band HAE %8.1f .. %-8.1f m", zone_id(z), layers[zone_get_layer(z)],
               zone_name(z), fl, ce);
        if (!isnan(at))
            printf("  %s", zone_active(z, at) ? "ACTIVE" : "inactive");
        printf("\n");
        for (int k = 0; k < npts; k++) {
            double p[3];
            geo_frame_to_enu(&f, pts[k][0] * GEO_DEG, pts[k][1] * GEO_DEG, pts[k][2], p);
            printf("    point %d: %s, distance %+.1f m\n", k + 1,
                   zone_contains(z, p) ? "inside" : "outside", zone_distance(z, p));
        }
    }
    zones_destroy(zs);
    return 0;
}
