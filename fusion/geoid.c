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
