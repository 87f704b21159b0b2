/* WGS84 geodesy for the fusion stage: geodetic <-> ECEF <-> local ENU around the site
 * origin, plus geodesic distance/bearing between two geodetic points.
 *
 * Every sensor position, decoded drone position (DroneID, Remote ID) and zone vertex
 * arrives as WGS84 latitude/longitude/height; the tracker and the zone tests work in
 * the site's flat ENU frame (x east, y north, z up, metres, origin = site origin on the
 * tangent plane). The conversions are exact (no flat-earth shortcut): ECEF -> geodetic
 * uses Bowring's method iterated to convergence, sub-millimetre anywhere from the
 * Earth's centre region out to geostationary heights, and pole-safe (no division by
 * cos(lat); longitude at the poles is returned as 0).
 *
 * Angles are radians, heights metres above the WGS84 ellipsoid (HAE). All functions
 * are pure and thread-safe; a geo_frame is a small value object (no allocation). */
#ifndef SG_FUSION_GEO_H
#define SG_FUSION_GEO_H

#include <stdbool.h>

#include "sg_error.h"

#define GEO_WGS84_A 6378137.0                  /* m, semi-major axis (defining) */
#define GEO_WGS84_F (1.0 / 298.257223563)      /* flattening (defining) */
#define GEO_WGS84_B (GEO_WGS84_A * (1.0 - GEO_WGS84_F)) /* m, semi-minor, 6356752.314245 */
#define GEO_WGS84_E2 (GEO_WGS84_F * (2.0 - GEO_WGS84_F)) /* first eccentricity squared */

#define GEO_DEG (3.14159265358979323846 / 180.0) /* multiply degrees by this for radians */

/* Geodetic (lat, lon rad; h m HAE) -> ECEF m. Valid for any lat in [-pi/2, pi/2]. */
void geo_to_ecef(double lat, double lon, double h, double ecef[3]);

/* ECEF m -> geodetic. Accurate to < 1 mm in h and < 1e-11 rad in lat for |h| < 1e7 m;
 * at the poles lon = 0. The Earth's centre (x = y = z = 0) gives lat = pi/2 by
 * convention (there is no meaningful answer). */
void geo_from_ecef(const double ecef[3], double *lat, double *lon, double *h);

/* Radii of curvature at latitude lat: prime vertical N (east-west) and meridian M. */
double geo_radius_prime_vertical(double lat);
double geo_radius_meridian(double lat);

/* The site's local frame: origin and the ECEF -> ENU rotation, precomputed. */
typedef struct {
    double lat0, lon0, h0; /* rad, rad, m HAE: the site origin */
    double ecef0[3];       /* m: origin in ECEF */
    double r[9];           /* ENU <- ECEF rotation, row-major (rows: east, north, up) */
    double n0, m0;         /* m: prime-vertical and meridian radii at the origin */
} geo_frame;

/* Sets up a frame at (lat0, lon0 rad, h0 m HAE). lat0 in [-pi/2, pi/2] (a pole is
 * allowed: the axes then follow lon0's meridian), lon0 in [-2pi, 2pi], h0 in
 * [-11000, 1e5]; all finite. SG_ERANGE otherwise, naming the value. */
int geo_frame_init(geo_frame *f, double lat0, double lon0, double h0, sg_errinfo *e);

void geo_frame_ecef_to_enu(const geo_frame *f, const double ecef[3], double enu[3]);
void geo_frame_enu_to_ecef(const geo_frame *f, const double enu[3], double ecef[3]);
/* Geodetic (rad, rad, m HAE) <-> site ENU (m). */
void geo_frame_to_enu(const geo_frame *f, double lat, double lon, double h, double enu[3]);
void geo_frame_from_enu(const geo_frame *f, const double enu[3], double *lat, double *lon,
                        double *h);

/* Rotation taking a vector expressed in the local ENU axes at (lat, lon) into the
 * site's ENU axes (row-major 3x3). Used to carry velocities and covariances given
 * "at the drone" (east/north/up there) into the site frame: R_site = C R C^T. */
void geo_frame_rot_from_local(const geo_frame *f, double lat, double lon, double c[9]);

/* Height above the ellipsoid of a site-ENU point, cheap: h0 + u plus the Earth's
 * curvature drop e^2/2N + n^2/2M. Error < 1 cm within 10 km of the origin and
 * |u| < 2 km; use geo_frame_from_enu for exact heights. */
double geo_frame_height_approx(const geo_frame *f, const double enu[3]);

/* Geodesic between two points on the ellipsoid (Vincenty's inverse, iterated to
 * 1e-12 rad): distance m, initial and final azimuth rad clockwise from north in
 * [0, 2pi). Returns SG_OK, or SG_ERANGE when the iteration does not converge (nearly
 * antipodal points); *dist is then the great-circle distance on the mean sphere
 * (< 0.5 % error) and the azimuths the spherical ones. Coincident points: 0, az 0. */
int geo_inverse(double lat1, double lon1, double lat2, double lon2, double *dist,
                double *az1, double *az2);

/* Azimuth (rad, clockwise from north, [0, 2pi)) and elevation (rad, up from the
 * horizontal) of ENU vector d, and its length. Azimuth is 0 for a vertical vector. */
void geo_enu_to_aer(const double d[3], double *az, double *el, double *range);
/* Unit ENU direction for azimuth/elevation (rad). */
void geo_aer_to_enu(double az, double el, double range, double d[3]);

#endif
