/* Heights people can trust: the geoid undulation N (EGM96) that converts between heights
 * above the WGS84 ellipsoid (HAE, what the tracker and the feed use) and above mean sea level
 * (AMSL, what maps, zone limits and pilots use):  HAE = AMSL + N.
 *
 * N is interpolated in the EGM96 15-arc-minute grid that Debian's proj-data ships
 * (/usr/share/proj/egm96_15.gtx), through PROJ's vgridshift. A build without PROJ (CMake
 * option SG_WITH_PROJ, package libproj-dev) or a machine without the grid gets SG_ENOTSUP /
 * SG_ENOTFOUND from geoid_open, naming what to install.
 * Not thread-safe: one sg_geoid per thread (PROJ contexts are per thread). */
#ifndef SG_FUSION_GEOID_H
#define SG_FUSION_GEOID_H

#include "sg_error.h"

#define GEOID_EGM96_GRID "egm96_15.gtx" /* proj-data's EGM96 grid */

typedef struct sg_geoid sg_geoid;

/* grid: a PROJ grid name or path; NULL = GEOID_EGM96_GRID. */
sg_geoid *geoid_open(const char *grid, sg_errinfo *e);
void geoid_close(sg_geoid *g);

/* N in metres at lat_deg [-90, 90], lon_deg [-180, 360]: HAE = AMSL + N. Returns SG_OK,
 * SG_ERANGE for coordinates out of range or outside the grid. */
int geoid_undulation(sg_geoid *g, double lat_deg, double lon_deg, double *n_m);

/* A venue's N (m): given_m when finite (the venue file's geoid_undulation_m), else EGM96
 * at lat_deg, lon_deg (the site origin). SG_OK with *n_m, else geoid_open's or
 * geoid_undulation's error (no PROJ, no grid, outside it) with *n_m = NAN. One rule for
 * the daemon, the map and the console, so they convert heights alike. */
int geoid_venue_n(double given_m, double lat_deg, double lon_deg, double *n_m, sg_errinfo *e);

/* Heights of one point: hae_m -> amsl_m = hae - N, agl_m = amsl - ground_amsl_m (the site's
 * ground elevation; flat ground assumed). Outputs NAN when unknown (g NULL, no N). */
void geoid_heights(sg_geoid *g, double lat_deg, double lon_deg, double hae_m,
                   double ground_amsl_m, double *amsl_m, double *agl_m);

#endif
