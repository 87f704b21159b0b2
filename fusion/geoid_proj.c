/* EGM96 geoid undulation through PROJ's vgridshift on proj-data's grid (see geoid.h). */
#include "geoid.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <proj.h>

struct sg_geoid {
    PJ_CONTEXT *ctx;
    PJ *pj;
};

sg_geoid *geoid_open(const char *grid, sg_errinfo *e)
{
    char def[512];
    snprintf(def, sizeof def, "+proj=vgridshift +grids=%s +multiplier=1",
             grid ? grid : GEOID_EGM96_GRID);
    sg_geoid *g = calloc(1, sizeof *g);
    if (!g) {
        sg_err_set(e, SG_ENOMEM, "geoid: out of memory");
        return NULL;
    }
    g->ctx = proj_context_create();
    if (!g->ctx) {
        sg_err_set(e, SG_ENOMEM, "geoid: PROJ context");
        free(g);
        return NULL;
    }
    proj_log_level(g->ctx, PJ_LOG_NONE); /* libraries never print */
    g->pj = proj_create(g->ctx, def);
    if (!g->pj) {
        int err = proj_context_errno(g->ctx);
        sg_err_set(e, SG_ENOTFOUND, "geoid: grid %s: %s (install proj-data, which ships "
                   "EGM96 as " GEOID_EGM96_GRID ")", grid ? grid : GEOID_EGM96_GRID,
                   proj_context_errno_string(g->ctx, err));
        proj_context_destroy(g->ctx);
        free(g);
        return NULL;
    }
    return g;
}

void geoid_close(sg_geoid *g)
{
    if (!g)
        return;
    proj_destroy(g->pj);
    proj_context_destroy(g->ctx);
    free(g);
}

int geoid_undulation(sg_geoid *g, double lat, double lon, double *n)
{
    *n = NAN;
    if (!g || !isfinite(lat) || !isfinite(lon) || fabs(lat) > 90 || lon < -180 || lon > 360)
        return SG_ERANGE;
    if (lon > 180)
        lon -= 360;
    /* vgridshift works in radians; with +multiplier=1 its forward direction adds the grid
     * value to z (checked against NGA's EGM96 test points in tests/test_geoid_proj.c) */
    PJ_COORD c = proj_coord(lon * M_PI / 180, lat * M_PI / 180, 0, 0);
    PJ_COORD r = proj_trans(g->pj, PJ_FWD, c);
    if (!isfinite(r.xyz.z) || r.xyz.z == HUGE_VAL) {
        proj_errno_reset(g->pj);
        return SG_ERANGE;
    }
    *n = r.xyz.z;
    return SG_OK;
}
