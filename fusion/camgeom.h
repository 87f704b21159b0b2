/* Camera model: pixel <-> bearing (azimuth/elevation in the site ENU frame).
 *
 * Turns a detection's pixel position into the az/el of an SG_MEAS_BEARING
 * measurement with a 2x2 covariance, and back (for tests, snippets and overlays).
 *
 * Conventions (also in docs/camera.md):
 *   - pixel (u, v): u right, v down; (0, 0) is the centre of the top-left pixel;
 *   - intrinsics: pinhole fx, fy, cx, cy in pixels; from hfov alone
 *     fx = fy = (width / 2) / tan(hfov / 2), cx = (width - 1) / 2, cy = (height - 1) / 2;
 *     optional one-term radial distortion: distorted = ideal * (1 + k1 * r^2), r^2 in
 *     normalised (ideal, z = 1) coordinates; hfov describes the ideal pinhole;
 *   - mounting orientation: yaw = azimuth of the optical axis, clockwise from true
 *     north; pitch = elevation of the optical axis, up positive; roll = rotation
 *     about the optical axis, clockwise positive as seen from behind the camera
 *     (the top of the image turns toward the right). Applied in that order:
 *     yaw, then pitch, then roll (intrinsic Z-X'-Y'' for a camera that starts
 *     level looking north);
 *   - output: az in [0, 2 pi) clockwise from north, el in [-pi/2, pi/2] up.
 * A camgeom is a small value (no allocation): fill it with camgeom_init and share it
 * read-only between threads. */
#ifndef CAMGEOM_H
#define CAMGEOM_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "sg_error.h"

typedef struct {
    double hfov;             /* rad, (0, pi): horizontal field of view; used when fx <= 0 */
    double vfov;             /* rad, (0, pi) or 0: gives fy when fy <= 0 (default 0 = square pixels) */
    double fx, fy;           /* px, > 0, or 0 = derive from hfov/vfov */
    double cx, cy;           /* px, principal point; NAN = image centre */
    double k1;               /* radial distortion, [-1, 1] (0 = none) */
    double yaw, pitch, roll; /* rad: mounting orientation (see above); |pitch| <= pi/2 */
    double pixel_sd;         /* px, > 0: 1-sigma centroid error per axis (default 1) */
    double mount_sd;         /* rad, >= 0: 1-sigma pointing (calibration) error, added to R */
} camgeom_cfg;

typedef struct {
    int width, height;       /* px */
    double fx, fy, cx, cy, k1;
    double pixel_sd, mount_sd;
    double f[3], r[3], u[3]; /* ENU unit vectors: optical axis, image right, image up */
} camgeom;

/* hfov 60 deg, square pixels, centred principal point, no distortion, level north,
 * pixel_sd 1 px, mount_sd 0. */
void camgeom_cfg_default(camgeom_cfg *cfg);

/* Reads intrinsics from the camera adapter object (keys hfov_deg, vfov_deg, fx, fy,
 * cx, cy, k1, pixel_sd, mount_sd_deg; all optional: absent keys keep cfg's values, so
 * the caller decides whether a field of view is required) and the mounting from an
 * orientation object (yaw_deg, pitch_deg, roll_deg; may be NULL). Either object may be
 * NULL. Keys not listed are left for the caller to check. */
int camgeom_cfg_from_json(camgeom_cfg *cfg, const cJSON *adapter, const char *where_adapter,
                          const cJSON *orientation, const char *where_orientation,
                          sg_errinfo *e);

/* Completes the model for a width x height image (known only once the stream has
 * started). SG_ERANGE naming the field on a bad value. */
int camgeom_init(camgeom *g, const camgeom_cfg *cfg, int width, int height, sg_errinfo *e);

/* Pixel -> az, el (rad). R (may be NULL) receives the 2x2 covariance (rad^2,
 * row-major az/el) from pixel_sd through the Jacobian plus mount_sd. Pixels outside
 * the image are allowed (the maths holds). Returns SG_EINVAL on NaN input or a
 * distortion that cannot be inverted there. */
int camgeom_pixel_to_bearing(const camgeom *g, double u, double v, double *az, double *el,
                             double R[4]);

/* az, el (rad) -> pixel. SG_ERANGE if the direction is behind the camera (it has no
 * pixel). The pixel may be outside the image; *inside says whether it is in it. */
int camgeom_bearing_to_pixel(const camgeom *g, double az, double el, double *u, double *v,
                             bool *inside);

#endif
