/* Camera model: pixel <-> ENU bearing (see camgeom.h for every convention).
 *
 * The mounting is kept as the three ENU unit vectors of the camera axes, so a pixel
 * ray is f + x*r - y*u (image y runs down) and the inverse is three dot products.
 * The covariance uses a numerical Jacobian (central differences, 0.5 px): it is
 * exact enough for a 2x2 and stays right under distortion and near the zenith. */
#include "camgeom.h"

#include <math.h>
#include <string.h>

#include "sg_json.h"

#define DEG (M_PI / 180.0)

void camgeom_cfg_default(camgeom_cfg *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->hfov = 60.0 * DEG;
    cfg->cx = NAN;
    cfg->cy = NAN;
    cfg->pixel_sd = 1.0;
}

int camgeom_cfg_from_json(camgeom_cfg *cfg, const cJSON *ad, const char *wa,
                          const cJSON *ori, const char *wo, sg_errinfo *e)
{
    double v;
    int rc = SG_OK;
    if (ad) {
        rc = sgj_number(ad, wa, "hfov_deg", false, cfg->hfov / DEG, 0.1, 179.0, &v, e);
        if (!rc)
            cfg->hfov = v * DEG;
        if (!rc && !(rc = sgj_number(ad, wa, "vfov_deg", false, cfg->vfov / DEG, 0.0, 179.0, &v, e))) {
            if (v != 0 && v < 0.1)
                rc = sg_err_set(e, SG_ERANGE, "%s.vfov_deg: must be 0 (square pixels) or in [0.1, 179], got %g", wa, v);
            cfg->vfov = v * DEG;
        }
        if (!rc)
            rc = sgj_number(ad, wa, "fx", false, cfg->fx, 0.0, 1e6, &cfg->fx, e);
        if (!rc)
            rc = sgj_number(ad, wa, "fy", false, cfg->fy, 0.0, 1e6, &cfg->fy, e);
        if (!rc)
            rc = sgj_number(ad, wa, "cx", false, cfg->cx, -1e5, 1e5, &cfg->cx, e);
        if (!rc)
            rc = sgj_number(ad, wa, "cy", false, cfg->cy, -1e5, 1e5, &cfg->cy, e);
        if (!rc)
            rc = sgj_number(ad, wa, "k1", false, cfg->k1, -1.0, 1.0, &cfg->k1, e);
        if (!rc)
            rc = sgj_number(ad, wa, "pixel_sd", false, cfg->pixel_sd, 0.01, 1000.0,
                            &cfg->pixel_sd, e);
        if (!rc && !(rc = sgj_number(ad, wa, "mount_sd_deg", false, cfg->mount_sd / DEG, 0.0,
                                     45.0, &v, e)))
            cfg->mount_sd = v * DEG;
        if (rc)
            return rc;
    }
    if (ori) {
        if (!cJSON_IsObject(ori))
            return sg_err_set(e, SG_EINVAL, "%s: must be an object", wo);
        if (!(rc = sgj_number(ori, wo, "yaw_deg", false, cfg->yaw / DEG, -360.0, 360.0, &v, e)))
            cfg->yaw = v * DEG;
        if (!rc && !(rc = sgj_number(ori, wo, "pitch_deg", false, cfg->pitch / DEG, -90.0, 90.0,
                                     &v, e)))
            cfg->pitch = v * DEG;
        if (!rc && !(rc = sgj_number(ori, wo, "roll_deg", false, cfg->roll / DEG, -180.0, 180.0,
                                     &v, e)))
            cfg->roll = v * DEG;
    }
    return rc;
}

int camgeom_init(camgeom *g, const camgeom_cfg *c, int width, int height, sg_errinfo *e)
{
    memset(g, 0, sizeof *g);
    if (!c)
        return sg_err_set(e, SG_EINVAL, "camgeom: no configuration");
    if (width < 1 || height < 1 || width > 65536 || height > 65536)
        return sg_err_set(e, SG_ERANGE, "camgeom: image size %dx%d out of range", width, height);
    if (c->fx <= 0 && !(c->hfov > 0 && c->hfov < M_PI))
        return sg_err_set(e, SG_ERANGE, "camgeom: hfov must be in (0, 180) deg, got %g deg",
                          c->hfov / DEG);
    if (!(c->vfov == 0 || (c->vfov > 0 && c->vfov < M_PI)))
        return sg_err_set(e, SG_ERANGE, "camgeom: vfov must be 0 or in (0, 180) deg, got %g deg",
                          c->vfov / DEG);
    if (!(c->fx >= 0) || !(c->fy >= 0))
        return sg_err_set(e, SG_ERANGE, "camgeom: fx, fy must be >= 0 (0 = from fov)");
    if (!(c->k1 >= -1 && c->k1 <= 1))
        return sg_err_set(e, SG_ERANGE, "camgeom: k1 must be in [-1, 1], got %g", c->k1);
    if (!(c->pixel_sd > 0) || !(c->mount_sd >= 0) || !isfinite(c->pixel_sd) ||
        !isfinite(c->mount_sd))
        return sg_err_set(e, SG_ERANGE, "camgeom: pixel_sd must be > 0 and mount_sd >= 0");
    if (!isfinite(c->yaw) || !isfinite(c->roll) || !(fabs(c->pitch) <= M_PI / 2 + 1e-12))
        return sg_err_set(e, SG_ERANGE, "camgeom: orientation must be finite, |pitch| <= 90 deg");
    g->width = width;
    g->height = height;
    g->fx = c->fx > 0 ? c->fx : 0.5 * width / tan(0.5 * c->hfov);
    g->fy = c->fy > 0 ? c->fy : c->vfov > 0 ? 0.5 * height / tan(0.5 * c->vfov) : g->fx;
    g->cx = isnan(c->cx) ? 0.5 * (width - 1) : c->cx;
    g->cy = isnan(c->cy) ? 0.5 * (height - 1) : c->cy;
    if (!isfinite(g->cx) || !isfinite(g->cy))
        return sg_err_set(e, SG_ERANGE, "camgeom: cx, cy must be finite");
    g->k1 = c->k1;
    g->pixel_sd = c->pixel_sd;
    g->mount_sd = c->mount_sd;
    double sy = sin(c->yaw), cyw = cos(c->yaw), sp = sin(c->pitch), cp = cos(c->pitch);
    double sr = sin(c->roll), cr = cos(c->roll);
    double r0[3] = {cyw, -sy, 0.0};
    double u0[3] = {-sy * sp, -cyw * sp, cp};
    g->f[0] = sy * cp;
    g->f[1] = cyw * cp;
    g->f[2] = sp;
    for (int i = 0; i < 3; i++) {
        /* roll clockwise from behind: image top turns toward the old right */
        g->r[i] = cr * r0[i] - sr * u0[i];
        g->u[i] = cr * u0[i] + sr * r0[i];
    }
    return SG_OK;
}

/* Distorted normalised -> ideal normalised (fixed point; converges for |k1 r^2| < ~0.3). */
static int undistort(double k1, double xd, double yd, double *x, double *y)
{
    double xi = xd, yi = yd;
    if (k1 != 0) {
        for (int it = 0; it < 50; it++) {
            double s = 1.0 + k1 * (xi * xi + yi * yi);
            if (s <= 0.05)
                return SG_EINVAL;
            double nx = xd / s, ny = yd / s;
            double dd = fabs(nx - xi) + fabs(ny - yi);
            xi = nx;
            yi = ny;
            if (dd < 1e-13)
                break;
        }
        double s = 1.0 + k1 * (xi * xi + yi * yi);
        if (fabs(xi * s - xd) + fabs(yi * s - yd) > 1e-9)
            return SG_EINVAL;
    }
    *x = xi;
    *y = yi;
    return SG_OK;
}

static int ray_azel(const camgeom *g, double u, double v, double *az, double *el)
{
    double x, y;
    if (undistort(g->k1, (u - g->cx) / g->fx, (v - g->cy) / g->fy, &x, &y))
        return SG_EINVAL;
    double d[3];
    for (int i = 0; i < 3; i++)
        d[i] = g->f[i] + x * g->r[i] - y * g->u[i];
    double h = hypot(d[0], d[1]);
    double a = atan2(d[0], d[1]);
    if (a < 0)
        a += 2 * M_PI;
    if (a >= 2 * M_PI)
        a -= 2 * M_PI;
    *az = a;
    *el = atan2(d[2], h);
    return SG_OK;
}

static double wrap_pi(double a)
{
    while (a > M_PI)
        a -= 2 * M_PI;
    while (a < -M_PI)
        a += 2 * M_PI;
    return a;
}

int camgeom_pixel_to_bearing(const camgeom *g, double u, double v, double *az, double *el,
                             double R[4])
{
    if (!g || !isfinite(u) || !isfinite(v) || g->fx <= 0)
        return SG_EINVAL;
    if (ray_azel(g, u, v, az, el))
        return SG_EINVAL;
    if (!R)
        return SG_OK;
    const double hstep = 0.5;
    double a1, e1, a2, e2, a3, e3, a4, e4;
    if (ray_azel(g, u + hstep, v, &a1, &e1) || ray_azel(g, u - hstep, v, &a2, &e2) ||
        ray_azel(g, u, v + hstep, &a3, &e3) || ray_azel(g, u, v - hstep, &a4, &e4))
        return SG_EINVAL;
    double J[4] = {wrap_pi(a1 - a2) / (2 * hstep), wrap_pi(a3 - a4) / (2 * hstep),
                   (e1 - e2) / (2 * hstep), (e3 - e4) / (2 * hstep)};
    double s2 = g->pixel_sd * g->pixel_sd;
    R[0] = s2 * (J[0] * J[0] + J[1] * J[1]);
    R[1] = s2 * (J[0] * J[2] + J[1] * J[3]);
    R[2] = R[1];
    R[3] = s2 * (J[2] * J[2] + J[3] * J[3]);
    if (g->mount_sd > 0) {
        /* a pointing error of mount_sd (rad of arc) is mount_sd / cos(el) of azimuth */
        double ce = fmax(cos(*el), 1e-2), m2 = g->mount_sd * g->mount_sd;
        R[0] += m2 / (ce * ce);
        R[3] += m2;
    }
    return SG_OK;
}

int camgeom_bearing_to_pixel(const camgeom *g, double az, double el, double *u, double *v,
                             bool *inside)
{
    if (!g || !isfinite(az) || !isfinite(el) || g->fx <= 0)
        return SG_EINVAL;
    double d[3] = {sin(az) * cos(el), cos(az) * cos(el), sin(el)};
    double zc = d[0] * g->f[0] + d[1] * g->f[1] + d[2] * g->f[2];
    if (zc <= 1e-9)
        return SG_ERANGE;
    double x = (d[0] * g->r[0] + d[1] * g->r[1] + d[2] * g->r[2]) / zc;
    double y = -(d[0] * g->u[0] + d[1] * g->u[1] + d[2] * g->u[2]) / zc;
    double s = 1.0 + g->k1 * (x * x + y * y);
    *u = g->fx * x * s + g->cx;
    *v = g->fy * y * s + g->cy;
    if (inside)
        *inside = *u >= -0.5 && *v >= -0.5 && *u < g->width - 0.5 && *v < g->height - 0.5;
    return SG_OK;
}
