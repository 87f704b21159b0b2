/* Height conversions on top of the geoid (geoid.h); the PROJ-less build's geoid_open. */
#include "geoid.h"

#include <math.h>
#include <stddef.h>

#if !SG_WITH_PROJ
sg_geoid *geoid_open(const char *grid, sg_errinfo *e)
{
    (void)grid;
    sg_err_set(e, SG_ENOTSUP, "geoid: this build has no PROJ (install libproj-dev and "
               "proj-data, rebuild with -DSG_WITH_PROJ=ON)");
    return NULL;
}

void geoid_close(sg_geoid *g)
{
    (void)g;
}

int geoid_undulation(sg_geoid *g, double lat, double lon, double *n)
{
    (void)g;
    (void)lat;
    (void)lon;
    *n = NAN;
    return SG_ENOTSUP;
}
#endif

int geoid_venue_n(double given_m, double lat, double lon, double *n, sg_errinfo *e)
{
    if (isfinite(given_m)) {
        *n = given_m;
        return SG_OK;
    }
    *n = NAN;
    sg_geoid *g = geoid_open(NULL, e);
    if (!g)
        return e && e->code ? e->code : SG_ENOTSUP;
    int rc = geoid_undulation(g, lat, lon, n);
    geoid_close(g);
    if (rc != SG_OK) {
        *n = NAN;
        return sg_err_set(e, rc, "geoid: %.5f, %.5f is outside the EGM96 grid", lat, lon);
    }
    return SG_OK;
}

void geoid_heights(sg_geoid *g, double lat, double lon, double hae, double ground_amsl,
                   double *amsl, double *agl)
{
    double n;
    *amsl = *agl = NAN;
    if (!g || !isfinite(hae) || geoid_undulation(g, lat, lon, &n) != SG_OK)
        return;
    *amsl = hae - n;
    if (isfinite(ground_amsl))
        *agl = *amsl - ground_amsl;
}
