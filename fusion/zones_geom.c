/* Zone geometry queries (see zones.h): point in zone with holes and height band,
 * distance to the boundary, the entry time of a straight-line track (the alert
 * engine's predicted time to breach), and read access to the shapes for drawing. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "zones_impl.h"

/* ---- geometry ----------------------------------------------------------------------- */

static double seg_dist(double px, double py, double ax, double ay, double bx, double by)
{
    double dx = bx - ax, dy = by - ay;
    double l2 = dx * dx + dy * dy;
    double u = l2 > 0 ? ((px - ax) * dx + (py - ay) * dy) / l2 : 0;
    u = u < 0 ? 0 : u > 1 ? 1 : u;
    return hypot(px - ax - u * dx, py - ay - u * dy);
}

/* Crossing number: independent of winding. */
bool zi_ring_inside(const ring *r, double x, double y)
{
    bool in = false;
    for (size_t i = 0, j = r->n - 1; i < r->n; j = i++) {
        double xi = r->xy[2 * i], yi = r->xy[2 * i + 1], xj = r->xy[2 * j], yj = r->xy[2 * j + 1];
        if ((yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi)
            in = !in;
    }
    return in;
}

double zi_ring_dist(const ring *r, double x, double y)
{
    double d = INFINITY;
    for (size_t i = 0, j = r->n - 1; i < r->n; j = i++)
        d = fmin(d, seg_dist(x, y, r->xy[2 * j], r->xy[2 * j + 1], r->xy[2 * i], r->xy[2 * i + 1]));
    return d;
}

/* Horizontal position compared at the vertices' height (see zones.h). */
static void footprint(const zone *z, const double p[3], double h, double *x, double *y)
{
    double s = (z->earth_r + z->f->h0) / (z->earth_r + h);
    *x = p[0] * s;
    *y = p[1] * s;
}

/* Signed horizontal distance: negative inside the area. */
static double area_signed(const zone *z, double x, double y)
{
    if (z->circle)
        return hypot(x - z->cx, y - z->cy) - z->r;
    double d = INFINITY;
    bool in = false;
    for (size_t i = 0; i < z->npolys; i++) {
        const poly *p = &z->polys[i];
        bool in_p = zi_ring_inside(&p->rings[0], x, y);
        for (size_t k = 0; k < p->nrings; k++) {
            d = fmin(d, zi_ring_dist(&p->rings[k], x, y));
            if (k > 0 && in_p && zi_ring_inside(&p->rings[k], x, y))
                in_p = false;
        }
        in = in || in_p;
    }
    return in ? -d : d;
}

static bool area_contains(const zone *z, double x, double y)
{
    if (x < z->bbox[0] - ON_EDGE_M || x > z->bbox[2] + ON_EDGE_M || y < z->bbox[1] - ON_EDGE_M ||
        y > z->bbox[3] + ON_EDGE_M)
        return false;
    return area_signed(z, x, y) <= ON_EDGE_M;
}

bool zone_contains(const zone *z, const double p[3])
{
    double h = geo_frame_height_approx(z->f, p);
    if (h < z->floor_hae || h > z->ceil_hae)
        return false;
    double x, y;
    footprint(z, p, h, &x, &y);
    return area_contains(z, x, y);
}

double zone_distance(const zone *z, const double p[3])
{
    double h = geo_frame_height_approx(z->f, p);
    double x, y;
    footprint(z, p, h, &x, &y);
    double dh = area_signed(z, x, y);
    double below = z->floor_hae - h, above = h - z->ceil_hae; /* > 0 outside the band */
    double dv = fmax(below, above);
    if (dh <= 0 && dv <= 0)
        return fmax(dh, dv); /* both negative: the nearest face */
    return hypot(fmax(dh, 0), fmax(dv, 0));
}

typedef struct {
    double t;
    double n[3];
} brk;

static int brk_cmp(const void *a, const void *b)
{
    double x = ((const brk *)a)->t, y = ((const brk *)b)->t;
    return x < y ? -1 : x > y;
}

static void edge_brks(const ring *r, const double p[3], const double v[3], double horizon,
                      brk *b, size_t *n)
{
    for (size_t i = 0, j = r->n - 1; i < r->n; j = i++) {
        double ax = r->xy[2 * j], ay = r->xy[2 * j + 1];
        double ex = r->xy[2 * i] - ax, ey = r->xy[2 * i + 1] - ay;
        double den = v[0] * ey - v[1] * ex;
        if (fabs(den) < 1e-12)
            continue;
        double wx = ax - p[0], wy = ay - p[1];
        double t = (wx * ey - wy * ex) / den;
        double s = (wx * v[1] - wy * v[0]) / den;
        if (t < 0 || t > horizon || s < -1e-12 || s > 1 + 1e-12)
            continue;
        /* Edge normal oriented against the motion: the face we cross when entering. */
        double l = hypot(ex, ey), nx = ey / l, ny = -ex / l;
        if (nx * v[0] + ny * v[1] > 0) {
            nx = -nx;
            ny = -ny;
        }
        b[(*n)++] = (brk){t, {nx, ny, 0}};
    }
}

bool zone_entry(const zone *z, const double p[3], const double v[3], double horizon,
                double *t_entry, double normal[3])
{
    normal[0] = normal[1] = normal[2] = 0;
    if (zone_contains(z, p)) {
        *t_entry = 0;
        return true;
    }
    if (!(horizon > 0) || (v[0] == 0 && v[1] == 0 && v[2] == 0))
        return false;
    /* At most one breakpoint per edge plus floor, ceiling and two circle roots: size
     * the buffer once; the common (small polygon) case stays allocation-free. */
    size_t need = 4;
    for (size_t i = 0; i < z->npolys; i++)
        for (size_t k = 0; k < z->polys[i].nrings; k++)
            need += z->polys[i].rings[k].n;
    brk stack[128], *b = stack, *hb = NULL;
    if (need > sizeof stack / sizeof stack[0]) {
        if (!(hb = malloc(need * sizeof *hb)))
            return false; /* cannot happen in practice; "no predicted entry" is the safe side */
        b = hb;
    }
    size_t n = 0;
    double h = geo_frame_height_approx(z->f, p);
    if (v[2] != 0) {
        double tf = (z->floor_hae - h) / v[2], tc = (z->ceil_hae - h) / v[2];
        if (isfinite(tf) && tf >= 0 && tf <= horizon)
            b[n++] = (brk){tf, {0, 0, -1}};
        if (isfinite(tc) && tc >= 0 && tc <= horizon)
            b[n++] = (brk){tc, {0, 0, 1}};
    }
    if (z->circle) {
        double dx = p[0] - z->cx, dy = p[1] - z->cy;
        double a = v[0] * v[0] + v[1] * v[1], bq = 2 * (dx * v[0] + dy * v[1]);
        double c = dx * dx + dy * dy - z->r * z->r, disc = bq * bq - 4 * a * c;
        if (a > 0 && disc >= 0) {
            double sq = sqrt(disc);
            double ts[2] = {(-bq - sq) / (2 * a), (-bq + sq) / (2 * a)};
            for (int k = 0; k < 2; k++)
                if (ts[k] >= 0 && ts[k] <= horizon) {
                    double ex = dx + v[0] * ts[k], ey = dy + v[1] * ts[k];
                    double l = hypot(ex, ey);
                    b[n++] = (brk){ts[k], {ex / l, ey / l, 0}};
                }
        }
    } else {
        for (size_t i = 0; i < z->npolys; i++)
            for (size_t k = 0; k < z->polys[i].nrings; k++)
                edge_brks(&z->polys[i].rings[k], p, v, horizon, b, &n);
    }
    bool found = false;
    {
        qsort(b, n, sizeof *b, brk_cmp);
        for (size_t i = 0; i < n && !found; i++) {
            double t0 = b[i].t, t1 = horizon;
            for (size_t j = i + 1; j < n; j++)
                if (b[j].t > t0) {
                    t1 = b[j].t;
                    break;
                }
            double tm = t1 > t0 ? 0.5 * (t0 + t1) : t0;
            double q[3] = {p[0] + v[0] * tm, p[1] + v[1] * tm, p[2] + v[2] * tm};
            if (zone_contains(z, q)) {
                *t_entry = t0;
                memcpy(normal, b[i].n, sizeof b[i].n);
                found = true;
            }
        }
    }
    free(hb);
    return found;
}

/* ---- geometry accessors (drawing the zones, e.g. the operator map) --------------- */

bool zone_circle(const zone *z, double *cx, double *cy, double *r)
{
    if (!z->circle)
        return false;
    *cx = z->cx;
    *cy = z->cy;
    *r = z->r;
    return true;
}

size_t zone_poly_count(const zone *z)
{
    return z->circle ? 0 : z->npolys;
}

size_t zone_ring_count(const zone *z, size_t poly)
{
    return poly < zone_poly_count(z) ? z->polys[poly].nrings : 0;
}

const double *zone_ring(const zone *z, size_t poly, size_t ring, size_t *n)
{
    if (ring >= zone_ring_count(z, poly)) {
        *n = 0;
        return NULL;
    }
    *n = z->polys[poly].rings[ring].n;
    return z->polys[poly].rings[ring].xy;
}
