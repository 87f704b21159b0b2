/* WGS84 geodesy (see geo.h). Sits under everything spatial in the fusion stage:
 * the sensor registry maps WGS84 measurements through a geo_frame, the zone loader
 * projects GeoJSON vertices with it, and the daemon fills track lat/lon/alt from it. */
#include "geo.h"

#include <math.h>

#define PI 3.14159265358979323846

void geo_to_ecef(double lat, double lon, double h, double ecef[3])
{
    double sl = sin(lat), cl = cos(lat);
    double n = GEO_WGS84_A / sqrt(1.0 - GEO_WGS84_E2 * sl * sl);
    ecef[0] = (n + h) * cl * cos(lon);
    ecef[1] = (n + h) * cl * sin(lon);
    ecef[2] = (n * (1.0 - GEO_WGS84_E2) + h) * sl;
}

void geo_from_ecef(const double ecef[3], double *lat, double *lon, double *h)
{
    const double a = GEO_WGS84_A, b = GEO_WGS84_B, e2 = GEO_WGS84_E2;
    const double ep2 = (a * a - b * b) / (b * b);
    double x = ecef[0], y = ecef[1], z = ecef[2];
    double p = hypot(x, y);
    /* p == 0 exactly on the axis: atan2(0, 0) = 0 gives lon 0 at the poles. */
    *lon = atan2(y, x);
    if (p == 0.0 && z == 0.0) {
        *lat = PI / 2;
        *h = -b;
        return;
    }
    /* Bowring: start from the parametric latitude of the point's direction and iterate;
     * each step gains ~3 orders of magnitude, 3 steps reach 1e-15 rad for terrestrial
     * heights. atan2 keeps every step pole-safe (no division by cos(lat)). */
    double beta = atan2(z * a, p * b);
    double phi = 0.0;
    for (int i = 0; i < 6; i++) {
        double sb = sin(beta), cb = cos(beta);
        double nphi = atan2(z + ep2 * b * sb * sb * sb, p - e2 * a * cb * cb * cb);
        double nbeta = atan2((1.0 - GEO_WGS84_F) * sin(nphi), cos(nphi));
        bool done = i > 0 && fabs(nphi - phi) < 1e-15;
        phi = nphi;
        beta = nbeta;
        if (done)
            break;
    }
    double sp = sin(phi), cp = cos(phi);
    double n = a / sqrt(1.0 - e2 * sp * sp);
    /* Height along the normal, valid at every latitude including the poles. */
    *h = p * cp + z * sp - a * a / n;
    *lat = phi;
}

double geo_radius_prime_vertical(double lat)
{
    double s = sin(lat);
    return GEO_WGS84_A / sqrt(1.0 - GEO_WGS84_E2 * s * s);
}

double geo_radius_meridian(double lat)
{
    double s = sin(lat);
    double w = 1.0 - GEO_WGS84_E2 * s * s;
    return GEO_WGS84_A * (1.0 - GEO_WGS84_E2) / (w * sqrt(w));
}

/* Rows east, north, up of the local frame at (lat, lon), in ECEF axes. */
static void enu_rows(double lat, double lon, double r[9])
{
    double sl = sin(lat), cl = cos(lat), so = sin(lon), co = cos(lon);
    r[0] = -so;
    r[1] = co;
    r[2] = 0.0;
    r[3] = -sl * co;
    r[4] = -sl * so;
    r[5] = cl;
    r[6] = cl * co;
    r[7] = cl * so;
    r[8] = sl;
}

int geo_frame_init(geo_frame *f, double lat0, double lon0, double h0, sg_errinfo *e)
{
    if (!isfinite(lat0) || fabs(lat0) > PI / 2 + 1e-12)
        return sg_err_set(e, SG_ERANGE, "site origin latitude must be in [-90, 90] deg, got %g",
                          lat0 / GEO_DEG);
    if (!isfinite(lon0) || fabs(lon0) > 2 * PI)
        return sg_err_set(e, SG_ERANGE, "site origin longitude must be in [-360, 360] deg, got %g",
                          lon0 / GEO_DEG);
    if (!isfinite(h0) || h0 < -11000.0 || h0 > 1e5)
        return sg_err_set(e, SG_ERANGE, "site origin height must be in [-11000, 100000] m, got %g",
                          h0);
    if (lat0 > PI / 2)
        lat0 = PI / 2;
    if (lat0 < -PI / 2)
        lat0 = -PI / 2;
    f->lat0 = lat0;
    f->lon0 = lon0;
    f->h0 = h0;
    geo_to_ecef(lat0, lon0, h0, f->ecef0);
    enu_rows(lat0, lon0, f->r);
    f->n0 = geo_radius_prime_vertical(lat0);
    f->m0 = geo_radius_meridian(lat0);
    return SG_OK;
}

void geo_frame_ecef_to_enu(const geo_frame *f, const double ecef[3], double enu[3])
{
    double d[3] = {ecef[0] - f->ecef0[0], ecef[1] - f->ecef0[1], ecef[2] - f->ecef0[2]};
    for (int i = 0; i < 3; i++)
        enu[i] = f->r[3 * i] * d[0] + f->r[3 * i + 1] * d[1] + f->r[3 * i + 2] * d[2];
}

void geo_frame_enu_to_ecef(const geo_frame *f, const double enu[3], double ecef[3])
{
    for (int j = 0; j < 3; j++)
        ecef[j] = f->ecef0[j] + f->r[j] * enu[0] + f->r[3 + j] * enu[1] + f->r[6 + j] * enu[2];
}

void geo_frame_to_enu(const geo_frame *f, double lat, double lon, double h, double enu[3])
{
    double x[3];
    geo_to_ecef(lat, lon, h, x);
    geo_frame_ecef_to_enu(f, x, enu);
}

void geo_frame_from_enu(const geo_frame *f, const double enu[3], double *lat, double *lon,
                        double *h)
{
    double x[3];
    geo_frame_enu_to_ecef(f, enu, x);
    geo_from_ecef(x, lat, lon, h);
}

void geo_frame_rot_from_local(const geo_frame *f, double lat, double lon, double c[9])
{
    double l[9];
    enu_rows(lat, lon, l);
    /* c = R_site * L^T: local axes -> ECEF -> site axes. */
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            c[3 * i + j] = f->r[3 * i] * l[3 * j] + f->r[3 * i + 1] * l[3 * j + 1] +
                           f->r[3 * i + 2] * l[3 * j + 2];
}

double geo_frame_height_approx(const geo_frame *f, const double enu[3])
{
    return f->h0 + enu[2] + enu[0] * enu[0] / (2.0 * f->n0) + enu[1] * enu[1] / (2.0 * f->m0);
}

static double wrap_2pi(double a)
{
    a = fmod(a, 2 * PI);
    return a < 0 ? a + 2 * PI : a;
}

int geo_inverse(double lat1, double lon1, double lat2, double lon2, double *dist, double *az1,
                double *az2)
{
    const double a = GEO_WGS84_A, b = GEO_WGS84_B, f = GEO_WGS84_F;
    double L = lon2 - lon1;
    double u1 = atan((1 - f) * tan(lat1)), u2 = atan((1 - f) * tan(lat2));
    double su1 = sin(u1), cu1 = cos(u1), su2 = sin(u2), cu2 = cos(u2);
    double lam = L, lam_prev;
    double ss = 0, cs = 0, sig = 0, ca2 = 0, c2sm = 0, sl = 0, cl = 0;
    int it = 0;
    do {
        sl = sin(lam);
        cl = cos(lam);
        ss = hypot(cu2 * sl, cu1 * su2 - su1 * cu2 * cl);
        if (ss == 0.0) { /* coincident points */
            *dist = 0;
            *az1 = *az2 = 0;
            return SG_OK;
        }
        cs = su1 * su2 + cu1 * cu2 * cl;
        sig = atan2(ss, cs);
        double sa = cu1 * cu2 * sl / ss;
        ca2 = 1 - sa * sa;
        c2sm = ca2 != 0 ? cs - 2 * su1 * su2 / ca2 : 0; /* equatorial line */
        double C = f / 16 * ca2 * (4 + f * (4 - 3 * ca2));
        lam_prev = lam;
        lam = L + (1 - C) * f * sa * (sig + C * ss * (c2sm + C * cs * (-1 + 2 * c2sm * c2sm)));
    } while (fabs(lam - lam_prev) > 1e-12 && ++it < 200);
    if (it >= 200) {
        /* Nearly antipodal: fall back to the sphere of mean radius. */
        double r = (2 * a + b) / 3;
        double dl = lon2 - lon1;
        double c = sin(lat1) * sin(lat2) + cos(lat1) * cos(lat2) * cos(dl);
        *dist = r * acos(c > 1 ? 1 : c < -1 ? -1 : c);
        *az1 = wrap_2pi(atan2(sin(dl) * cos(lat2),
                              cos(lat1) * sin(lat2) - sin(lat1) * cos(lat2) * cos(dl)));
        *az2 = wrap_2pi(atan2(sin(dl) * cos(lat1),
                              -sin(lat1) * cos(lat2) + cos(lat1) * sin(lat2) * cos(dl)));
        return SG_ERANGE;
    }
    double uu = ca2 * (a * a - b * b) / (b * b);
    double A = 1 + uu / 16384 * (4096 + uu * (-768 + uu * (320 - 175 * uu)));
    double B = uu / 1024 * (256 + uu * (-128 + uu * (74 - 47 * uu)));
    double ds = B * ss *
                (c2sm + B / 4 *
                            (cs * (-1 + 2 * c2sm * c2sm) -
                             B / 6 * c2sm * (-3 + 4 * ss * ss) * (-3 + 4 * c2sm * c2sm)));
    *dist = b * A * (sig - ds);
    *az1 = wrap_2pi(atan2(cu2 * sl, cu1 * su2 - su1 * cu2 * cl));
    *az2 = wrap_2pi(atan2(cu1 * sl, -su1 * cu2 + cu1 * su2 * cl));
    return SG_OK;
}

void geo_enu_to_aer(const double d[3], double *az, double *el, double *range)
{
    double hz = hypot(d[0], d[1]);
    *az = hz == 0.0 ? 0.0 : wrap_2pi(atan2(d[0], d[1]));
    *el = atan2(d[2], hz);
    *range = hypot(hz, d[2]);
}

void geo_aer_to_enu(double az, double el, double range, double d[3])
{
    double ce = cos(el);
    d[0] = range * ce * sin(az);
    d[1] = range * ce * cos(az);
    d[2] = range * sin(el);
}
