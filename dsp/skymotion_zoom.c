/* The zoom / roll / shift model of the global motion and the warp that applies it (see
 * skymotion.h for the method). */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "skymotion_int.h"

/* ---- zoom / roll / shift model (skymotion.h) ------------------------------------------ */

int skymotion_enable_zoom(skymotion *m, double max_zoom, double min_conf, sg_errinfo *e)
{
    if (!(max_zoom >= 0.001 && max_zoom <= 0.1) || !(min_conf >= 0.1 && min_conf <= 1))
        return sg_err_set(e, SG_ERANGE, "skymotion: max_zoom %g (0.001..0.1), min_conf %g (0.1..1) "
                          "out of range", max_zoom, min_conf);
    const int margin = m->max_shift + 5; /* search, refinement and the gradient's pixel */
    m->bs = m->w >= 160 && m->h >= 160 ? 32 : 16;
    int spanx = m->w - 2 * margin - m->bs, spany = m->h - 2 * margin - m->bs;
    if (spanx < 0 || spany < 0)
        return sg_err_set(e, SG_ERANGE, "skymotion: %dx%d frames too small for the zoom model's "
                          "blocks at max_shift %d", m->w, m->h, m->max_shift);
    /* 8 x 6 blocks, overlapping in small frames (more blocks, less noise in the fit) */
    m->gnx = 1 + 2 * spanx / m->bs;
    m->gny = 1 + 2 * spany / m->bs;
    m->gnx = m->gnx > ZB_MAX_X ? ZB_MAX_X : m->gnx;
    m->gny = m->gny > ZB_MAX_Y ? ZB_MAX_Y : m->gny;
    for (int j = 0; j < m->gny; j++)
        for (int i = 0; i < m->gnx; i++) {
            int k = j * m->gnx + i;
            /* top-left on the reduced grid (multiples of RED) */
            m->gx[k] = (margin + (m->gnx > 1 ? spanx * i / (m->gnx - 1) : spanx / 2)) / RED * RED;
            m->gy[k] = (margin + (m->gny > 1 ? spany * j / (m->gny - 1) : spany / 2)) / RED * RED;
            if (m->gx[k] < margin)
                m->gx[k] += RED;
            if (m->gy[k] < margin)
                m->gy[k] += RED;
        }
    const int S = m->max_shift / RED;
    free(m->sadtab);
    free(m->scratch);
    free(m->cw);
    free(m->ci);
    m->sadtab = malloc(sizeof *m->sadtab * (size_t)(2 * S + 1) * (size_t)(2 * S + 1));
    m->scratch = malloc(sizeof *m->scratch * (size_t)m->w * (size_t)m->h);
    m->cw = malloc(sizeof *m->cw * 4 * (size_t)m->w);
    m->ci = malloc(sizeof *m->ci * (size_t)m->w);
    if (!m->sadtab || !m->scratch || !m->cw || !m->ci)
        return sg_err_set(e, SG_ENOMEM, "skymotion: out of memory");
    m->max_zoom = max_zoom;
    m->min_conf = min_conf;
    return SG_OK;
}

/* Mean absolute difference of the n x n block at (x, y) of a against b at (x - dx, y - dy),
 * every `step`-th row. */
static double block_sad(const uint8_t *a, const uint8_t *b, size_t sa, size_t sb, int x, int y,
                        int n, int dx, int dy, int step)
{
    long s = 0;
    for (int j = 0; j < n; j += step) {
        const uint8_t *ra = a + (size_t)(y + j) * sa + x;
        const uint8_t *rb = b + (size_t)(y + j - dy) * sb + (x - dx);
        for (int i = 0; i < n; i++) {
            int d = (int)ra[i] - (int)rb[i];
            s += d < 0 ? -d : d;
        }
    }
    return (double)s / (double)(n * ((n + step - 1) / step));
}

/* Lucas-Kanade on cur(p) = prev(p - d) for the block at (x0, y0), d = (sx + *ex, sy + *ey):
 * prev sampled bilinearly, the gradient g from the current block, normal matrix (a, b; b, c)
 * given; up to `iters` updates. -1 when the shift leaves +-1 px of (sx, sy), else 0. */
static int lk(const skymotion *m, const uint8_t *img, size_t stride, int x0, int y0, int sx,
              int sy, double a, double b, double c, int iters, double *ex, double *ey)
{
    const size_t w = (size_t)m->w;
    const double det = a * c - b * b;
    for (int it = 0; it < iters; it++) {
        /* prev at p - d: whole part ix, iy, bilinear fractions fx, fy */
        double qx = -(sx + *ex), qy = -(sy + *ey);
        int ix = (int)floor(qx), iy = (int)floor(qy);
        const float fx = (float)(qx - ix), fy = (float)(qy - iy);
        const float w00 = (1 - fx) * (1 - fy), w01 = fx * (1 - fy), w10 = (1 - fx) * fy,
                    w11 = fx * fy;
        double bx = 0, by = 0;
        for (int y = y0; y < y0 + m->bs; y++) {
            const uint8_t *cr = img + (size_t)y * stride;
            const uint8_t *p0 = m->full_prev + (size_t)(y + iy) * w + ix;
            const uint8_t *p1 = p0 + w;
            float rx = 0, ry = 0;
            for (int x = x0; x < x0 + m->bs; x++) {
                float gx = 0.5f * ((float)cr[x + 1] - cr[x - 1]);
                float gy = 0.5f * ((float)cr[x + stride] - cr[x - stride]);
                float r = w00 * p0[x] + w01 * p0[x + 1] + w10 * p1[x] + w11 * p1[x + 1] - cr[x];
                rx += gx * r;
                ry += gy * r;
            }
            bx += rx;
            by += ry;
        }
        /* prev(p - d - delta) ~ prev(p - d) - g . delta: delta = G^-1 sum g r */
        double ddx = (c * bx - b * by) / det, ddy = (a * by - b * bx) / det;
        *ex += ddx;
        *ey += ddy;
        if (fabs(*ex) > 1.0 || fabs(*ey) > 1.0)
            return -1;
        if (fabs(ddx) < 0.005 && fabs(ddy) < 0.005)
            break;
    }
    return 0;
}

/* Smaller eigenvalue of (a, b; b, c). */
static double eig_min(double a, double b, double c)
{
    return 0.5 * (a + c) - sqrt(0.25 * (a - c) * (a - c) + b * b);
}

/* Sub-pixel shift of the block at (x0, y0) from the whole-pixel shift (sx, sy), by
 * Lucas-Kanade (lk above). Sensor noise adds to the gradient energy G as if it were
 * texture and so shrinks every shift towards the whole pixel: once converged, the noise
 * energy (a central difference of noise of variance s^2: s^2 / 2 per axis, s^2 = the
 * frame's noise_var) is taken off G, and the shift is solved again. *info = the corrected G's smaller eigenvalue (the shift's precision),
 * (*px, *py) = the point whose shift was measured. Returns 2, 0 when the block's texture
 * does not stand out of the noise (flat), 1 when the shift does not converge. */
static int subpixel(const skymotion *m, const uint8_t *img, size_t stride, int x0, int y0, int sx,
                    int sy, double ex0, double ey0, double *dx, double *dy, double *info,
                    double *px, double *py)
{
    double gxx = 0, gyy = 0, gxy = 0, qx = 0, qy = 0;
    const double mx = x0 + 0.5 * (m->bs - 1), my = y0 + 0.5 * (m->bs - 1);
    const double n = (double)m->bs * m->bs;
    for (int y = y0; y < y0 + m->bs; y++) {
        const uint8_t *c = img + (size_t)y * stride;
        for (int x = x0; x < x0 + m->bs; x++) {
            double gx = 0.5 * ((double)c[x + 1] - c[x - 1]);
            double gy = 0.5 * ((double)c[x + stride] - c[x - stride]);
            gxx += gx * gx;
            gyy += gy * gy;
            gxy += gx * gy;
            qx += gx * gx * (x - mx) + gx * gy * (y - my);
            qy += gx * gy * (x - mx) + gy * gy * (y - my);
        }
    }
    if (!(eig_min(gxx, gxy, gyy) > 1e-3 * (gxx + gyy)))
        return 0;
    double ex = ex0, ey = ey0;
    if (lk(m, img, stride, x0, y0, sx, sy, gxx, gxy, gyy, 6, &ex, &ey) < 0)
        return 1;
    double nz = n * m->noise_var / 2.0;
    double a = gxx - nz, c = gyy - nz;
    double emin = eig_min(a, gxy, c);
    if (!(emin > Z_TEX_FULL * n))
        return 0;
    if (lk(m, img, stride, x0, y0, sx, sy, a, gxy, c, 4, &ex, &ey) < 0)
        return 1;
    double det = a * c - gxy * gxy;
    /* under a zoom the shift varies across the block; the estimate is the shift at the
     * block's gradient-weighted centre G^-1 sum(g g^T p), not at its middle */
    *px = mx + (c * qx - gxy * qy) / det;
    *py = my + (a * qy - gxy * qx) / det;
    *info = emin * emin / (emin + nz); /* inverse variance of the shift, up to a constant */
    *dx = sx + ex;
    *dy = sy + ey;
    return 2;
}

typedef struct {
    double ux, uy, vx, vy; /* previous and current position of the block centre, about c */
    double wt;             /* least-squares weight: the block's gradient information */
} zpair;

/* 2-D texture of the reduced n x n block at (x, y) of the current frame: the smaller
 * eigenvalue of its mean gradient structure tensor (grey levels^2 per reduced px^2). A
 * plain gradient or a straight edge fixes the shift in one direction only: ~0. */
static double texture(const skymotion *m, int x0, int y0, int n)
{
    double sxx = 0, syy = 0, sxy = 0;
    const int rw = m->rw;
    for (int y = y0; y < y0 + n; y++)
        for (int x = x0; x < x0 + n; x++) {
            const uint8_t *p = m->cur + (size_t)y * rw + x;
            double gx = 0.5 * ((double)p[1] - p[-1]), gy = 0.5 * ((double)p[rw] - p[-rw]);
            sxx += gx * gx;
            syy += gy * gy;
            sxy += gx * gy;
        }
    double a = 0.5 * (sxx + syy), d = sqrt(0.25 * (sxx - syy) * (sxx - syy) + sxy * sxy);
    return (a - d) / (n * n);
}

/* Block k's shift by subpixel from the start (d0x, d0y) px: 0 flat, 1 not converged,
 * 2 measured (*pr filled). */
static int measure(const skymotion *m, const uint8_t *img, size_t stride, int k, double d0x,
                   double d0y, zpair *pr)
{
    int sx = (int)lrint(d0x), sy = (int)lrint(d0y);
    if (abs(sx) > m->max_shift + 1 || abs(sy) > m->max_shift + 1)
        return 1;
    double dx, dy, px, py;
    int r = subpixel(m, img, stride, m->gx[k], m->gy[k], sx, sy, d0x - sx, d0y - sy, &dx, &dy,
                     &pr->wt, &px, &py);
    if (r < 2)
        return r;
    pr->vx = px - 0.5 * (m->w - 1);
    pr->vy = py - 0.5 * (m->h - 1);
    pr->ux = pr->vx - dx;
    pr->uy = pr->vy - dy;
    return 2;
}

/* Block k: 0 flat, 1 textured but unmatched, 2 matched (*pr filled). */
static int match_block(skymotion *m, const uint8_t *img, size_t stride, int k, zpair *pr)
{
    const int S = m->max_shift / RED, n = 2 * S + 1, rb = m->bs / RED;
    const int rx = m->gx[k] / RED, ry = m->gy[k] / RED;
    double sum = 0, best = INFINITY;
    int kx = 0, ky = 0;
    for (int sy = -S; sy <= S; sy++)
        for (int sx = -S; sx <= S; sx++) {
            double v = block_sad(m->cur, m->prev, (size_t)m->rw, (size_t)m->rw, rx, ry, rb, sx, sy, 1);
            m->sadtab[(sy + S) * n + sx + S] = v;
            sum += v;
            if (v < best) {
                best = v;
                kx = sx;
                ky = sy;
            }
        }
    double mean = sum / (n * n);
    if (mean < Z_FLAT_SAD || texture(m, rx, ry, rb) < Z_TEXTURE)
        return 0;
    if (abs(kx) == S || abs(ky) == S || best >= 0.5 * mean)
        /* beyond the search, or no clear minimum: changed content when the block is well
         * textured; a weak texture may just be lost in the noise (flat) */
        return mean >= Z_CHANGED_SAD ? 1 : 0;
    /* full resolution, +-3 px around the reduced estimate (every second row) */
    double fb = INFINITY;
    int fx = 0, fy = 0;
    for (int j = -3; j <= 3; j++)
        for (int i = -3; i <= 3; i++) {
            double v = block_sad(img, m->full_prev, stride, (size_t)m->w, m->gx[k], m->gy[k], m->bs,
                                 kx * RED + i, ky * RED + j, 2);
            if (v < fb) {
                fb = v;
                fx = i;
                fy = j;
            }
        }
    if (abs(fx) == 3 || abs(fy) == 3)
        return 1;
    return measure(m, img, stride, k, kx * RED + fx, ky * RED + fy, pr);
}

/* The model v = z u + t in complex numbers (z = zoom e^(i roll)). */
typedef struct {
    double zr, zi, tx, ty;
} zmodel;

static bool model_ok(const skymotion *m, const zmodel *md)
{
    double zoom = hypot(md->zr, md->zi), roll = atan2(md->zi, md->zr);
    return fabs(zoom - 1.0) <= m->max_zoom && fabs(roll) <= Z_MAX_ROLL &&
           hypot(md->tx, md->ty) <= m->max_shift;
}

/* Blocks within Z_INLIER_PX of md (flags in in[] when not NULL), residual sum in *res. */
static int inliers(const zpair *p, int np, const zmodel *md, bool *in, double *res)
{
    int c = 0;
    double r = 0;
    for (int k = 0; k < np; k++) {
        double ex = md->zr * p[k].ux - md->zi * p[k].uy + md->tx - p[k].vx;
        double ey = md->zi * p[k].ux + md->zr * p[k].uy + md->ty - p[k].vy;
        double d = hypot(ex, ey);
        bool ok = d <= Z_INLIER_PX;
        if (in)
            in[k] = ok;
        if (ok) {
            c++;
            r += d;
        }
    }
    *res = r;
    return c;
}

/* True when pair p follows md within a quarter pixel (no need to measure it again). */
static bool inl_close(const zpair *p, const zmodel *md)
{
    double ex = md->zr * p->ux - md->zi * p->uy + md->tx - p->vx;
    double ey = md->zi * p->ux + md->zr * p->uy + md->ty - p->vy;
    return ex * ex + ey * ey <= 0.0625;
}

/* Weighted least squares over the flagged blocks (complex linear regression, weights =
 * gradient information, so a weakly textured block counts little); false if degenerate. */
static bool refit(const zpair *p, int np, const bool *in, zmodel *md)
{
    double n = 0, mux = 0, muy = 0, mvx = 0, mvy = 0;
    int cnt = 0;
    for (int k = 0; k < np; k++)
        if (in[k]) {
            double w = p[k].wt;
            cnt++;
            n += w;
            mux += w * p[k].ux;
            muy += w * p[k].uy;
            mvx += w * p[k].vx;
            mvy += w * p[k].vy;
        }
    if (cnt < 2 || !(n > 0))
        return false;
    mux /= n;
    muy /= n;
    mvx /= n;
    mvy /= n;
    double sr = 0, si = 0, su = 0;
    for (int k = 0; k < np; k++)
        if (in[k]) {
            double w = p[k].wt;
            double ax = p[k].ux - mux, ay = p[k].uy - muy, bx = p[k].vx - mvx, by = p[k].vy - mvy;
            sr += w * (bx * ax + by * ay); /* (b) conj(a) */
            si += w * (by * ax - bx * ay);
            su += w * (ax * ax + ay * ay);
        }
    if (su < n)
        return false; /* the blocks span less than a pixel */
    md->zr = sr / su;
    md->zi = si / su;
    md->tx = mvx - (md->zr * mux - md->zi * muy);
    md->ty = mvy - (md->zi * mux + md->zr * muy);
    return true;
}

static void fit_identity(skymotion_fit *f)
{
    f->zoom = 1.0;
    f->roll = f->tx = f->ty = 0.0;
}

double skymotion_fit_extent(const skymotion *m, const skymotion_fit *f)
{
    const double cx = 0.5 * (m->w - 1), cy = 0.5 * (m->h - 1);
    double zr = f->zoom * cos(f->roll) - 1.0, zi = f->zoom * sin(f->roll), e = 0;
    for (int k = 0; k < 4; k++) {
        double ux = (k & 1 ? m->w - 1 : 0) - cx, uy = (k & 2 ? m->h - 1 : 0) - cy;
        double d = hypot(zr * ux - zi * uy + f->tx, zi * ux + zr * uy + f->ty);
        e = d > e ? d : e;
    }
    return e;
}

/* Sensor noise variance of img: per block, Immerkaer's estimate (the mean absolute
 * response to the Laplacian difference kernel [1 -2 1; -2 4 -2; 1 -2 1], which cancels
 * any local plane, times sqrt(pi / 2) / 6); the median over the blocks, so textured
 * blocks (which raise it) do not count when most of the sky is smooth. */
static double noise_estimate(const skymotion *m, const uint8_t *img, size_t stride)
{
    double v[ZB_N];
    int nb = m->gnx * m->gny;
    for (int k = 0; k < nb; k++) {
        long sum = 0;
        for (int y = m->gy[k]; y < m->gy[k] + m->bs; y += 2) {
            const uint8_t *a = img + (size_t)(y - 1) * stride, *b = a + stride, *c = b + stride;
            for (int x = m->gx[k]; x < m->gx[k] + m->bs; x++) {
                int l = a[x - 1] - 2 * a[x] + a[x + 1] - 2 * (b[x - 1] - 2 * b[x] + b[x + 1]) +
                        c[x - 1] - 2 * c[x] + c[x + 1];
                sum += l < 0 ? -l : l;
            }
        }
        double s = sqrt(M_PI / 2) / 6.0 * (double)sum / (m->bs * m->bs / 2);
        v[k] = s * s;
    }
    for (int i = 1; i < nb; i++) /* insertion sort of <= 48 */
        for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
            double t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    return v[nb / 2];
}

/* skymotion_estimate_zoom against the previous frame (m->cur holds img reduced). */
static skymotion_result fit_zoom(skymotion *m, const uint8_t *img, size_t stride,
                                 skymotion_fit *fit)
{
    zpair p[ZB_N] = {{0}};
    int np = 0, tk[ZB_N], tp[ZB_N]; /* textured blocks: block index, pair index or -1 */
    m->noise_var = noise_estimate(m, img, stride);
    for (int k = 0; k < fit->blocks; k++) {
        int r = match_block(m, img, stride, k, &p[np]);
        if (r > 0) {
            tk[fit->textured] = k;
            tp[fit->textured] = r == 2 ? np : -1;
        }
        fit->textured += r > 0;
        np += r == 2;
    }
    if (fit->textured < Z_MIN_BLOCKS)
        return SKYMOTION_FLAT;
    /* candidates: the identity, each block's pure shift, and the similarity of each pair */
    zmodel best = {1, 0, 0, 0}, md;
    double bres, res;
    int bn = inliers(p, np, &best, NULL, &bres);
    for (int i = 0; i < np; i++)
        for (int j = i; j < np; j++) {
            if (i == j) {
                md = (zmodel){1, 0, p[i].vx - p[i].ux, p[i].vy - p[i].uy};
            } else {
                double dux = p[i].ux - p[j].ux, duy = p[i].uy - p[j].uy;
                double dvx = p[i].vx - p[j].vx, dvy = p[i].vy - p[j].vy;
                double den = dux * dux + duy * duy;
                if (den < (double)m->bs * m->bs)
                    continue; /* too close to fix a zoom */
                md.zr = (dvx * dux + dvy * duy) / den;
                md.zi = (dvy * dux - dvx * duy) / den;
                md.tx = p[i].vx - (md.zr * p[i].ux - md.zi * p[i].uy);
                md.ty = p[i].vy - (md.zi * p[i].ux + md.zr * p[i].uy);
            }
            if (!model_ok(m, &md))
                continue;
            int c = inliers(p, np, &md, NULL, &res);
            if (c > bn || (c == bn && res < bres)) {
                bn = c;
                bres = res;
                best = md;
            }
        }
    bool in[ZB_N];
    inliers(p, np, &best, in, &res);
    md = best;
    if (bn >= 2 && refit(p, np, in, &md) && model_ok(m, &md)) {
        int c = inliers(p, np, &md, NULL, &res);
        if (c >= bn) {
            best = md;
            bn = c;
        }
    }
    if (bn >= Z_MIN_BLOCKS) {
        /* second pass: every textured block that does not follow the model is measured
         * again from the shift the model predicts for it (a weakly textured block's own
         * whole-pixel search can be a pixel off under noise, out of reach of its sub-pixel
         * step), then the model is refitted */
        zpair p2[ZB_N];
        int n2 = 0;
        bool in1[ZB_N];
        inliers(p, np, &best, in1, &res);
        const double cx = 0.5 * (m->w - 1), cy = 0.5 * (m->h - 1), zz = best.zr * best.zr + best.zi * best.zi;
        for (int i = 0; i < fit->textured; i++) {
            int k = tk[i];
            if (tp[i] >= 0 && in1[tp[i]] && inl_close(&p[tp[i]], &best)) {
                p2[n2++] = p[tp[i]]; /* already where the model puts it */
                continue;
            }
            double vx = m->gx[k] + 0.5 * (m->bs - 1) - cx - best.tx;
            double vy = m->gy[k] + 0.5 * (m->bs - 1) - cy - best.ty;
            double ux = (best.zr * vx + best.zi * vy) / zz, uy = (best.zr * vy - best.zi * vx) / zz;
            n2 += measure(m, img, stride, k, vx + best.tx - ux, vy + best.ty - uy, &p2[n2]) == 2;
        }
        bool in2[ZB_N];
        int c2 = inliers(p2, n2, &best, in2, &res);
        md = best;
        if (c2 >= bn && refit(p2, n2, in2, &md) && model_ok(m, &md) &&
            inliers(p2, n2, &md, NULL, &res) >= c2) {
            best = md;
            bn = inliers(p2, n2, &md, NULL, &res);
            np = n2;
            memcpy(p, p2, sizeof p2[0] * (size_t)n2);
        }
    }
    if (bn >= Z_MIN_BLOCKS) {
        /* a zoom or roll that the blocks do not clearly need is noise: keep the shift alone
         * unless the similarity lowers the residual significantly (F test, 2 more
         * parameters, F > 4) */
        bool in[ZB_N];
        inliers(p, np, &best, in, &res);
        double sw = 0, mx = 0, my = 0, sf = 0, st = 0;
        for (int k = 0; k < np; k++)
            if (in[k]) {
                sw += p[k].wt;
                mx += p[k].wt * (p[k].vx - p[k].ux);
                my += p[k].wt * (p[k].vy - p[k].uy);
            }
        mx /= sw;
        my /= sw;
        for (int k = 0; k < np; k++)
            if (in[k]) {
                double ex = best.zr * p[k].ux - best.zi * p[k].uy + best.tx - p[k].vx;
                double ey = best.zi * p[k].ux + best.zr * p[k].uy + best.ty - p[k].vy;
                double fx = p[k].ux + mx - p[k].vx, fy = p[k].uy + my - p[k].vy;
                sf += p[k].wt * (ex * ex + ey * ey);
                st += p[k].wt * (fx * fx + fy * fy);
            }
        double dof = 2.0 * bn - 4.0;
        if (!(dof > 0) || (st - sf) / 2.0 < 4.0 * sf / dof) {
            zmodel tr = {1, 0, mx, my};
            if (model_ok(m, &tr)) {
                best = tr;
                bn = inliers(p, np, &best, NULL, &res);
            }
        }
    }
    fit->inliers = bn;
    fit->conf = (double)bn / fit->textured;
    if (bn < Z_MIN_BLOCKS || fit->conf < m->min_conf)
        return SKYMOTION_LOST;
    fit->zoom = hypot(best.zr, best.zi);
    fit->roll = atan2(best.zi, best.zr);
    fit->tx = best.tx;
    fit->ty = best.ty;
    if (skymotion_fit_extent(m, fit) < Z_STILL_PX) {
        double conf = fit->conf;
        fit_identity(fit);
        fit->conf = conf;
        return SKYMOTION_STILL;
    }
    return SKYMOTION_MOVED;
}

skymotion_result skymotion_estimate_zoom(skymotion *m, const uint8_t *img, size_t stride,
                                         skymotion_fit *fit)
{
    memset(fit, 0, sizeof *fit);
    fit_identity(fit);
    if (!m->scratch)
        return SKYMOTION_FLAT;
    skymotion_reduce_(m, img, stride);
    fit->blocks = m->gnx * m->gny;
    skymotion_result r = m->have_prev ? fit_zoom(m, img, stride, fit) : SKYMOTION_STILL;
    if (r != SKYMOTION_MOVED)
        fit_identity(fit);
    skymotion_remember_(m, img, stride);
    return r;
}

void skymotion_fit_apply(const skymotion *m, const skymotion_fit *f, double *x, double *y,
                         double *vx, double *vy)
{
    const double cx = 0.5 * (m->w - 1), cy = 0.5 * (m->h - 1);
    const double zr = f->zoom * cos(f->roll), zi = f->zoom * sin(f->roll);
    double ux = *x - cx, uy = *y - cy;
    *x = cx + zr * ux - zi * uy + f->tx;
    *y = cy + zi * ux + zr * uy + f->ty;
    double a = *vx, b = *vy;
    *vx = zr * a - zi * b;
    *vy = zi * a + zr * b;
}

#ifndef Z_CUBIC_A
#define Z_CUBIC_A -0.5
#endif
static inline float keys(float x)
{
    const float a = (float)Z_CUBIC_A;
    x = fabsf(x);
    return x <= 1 ? ((a + 2) * x - (a + 3)) * x * x + 1 : (((x - 5) * x + 8) * x - 4) * a;
}

/* Cubic convolution weights (Keys) for the taps at -1, 0, 1, 2 and fraction t in [0, 1). */
static inline void cubic_w(float t, float *w)
{
    w[0] = keys(1 + t);
    w[1] = keys(t);
    w[2] = keys(1 - t);
    w[3] = keys(2 - t);
}

static inline int clampi(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* Narrows [*lo, *hi] to the x where a x + b lies in [-0.5, n - 0.5]. */
static void clip_range(double a, double b, int n, double *lo, double *hi)
{
    if (fabs(a) < 1e-12) {
        if (b < -0.5 || b > n - 0.5)
            *hi = -1; /* none */
        return;
    }
    double x0 = (-0.5 - b) / a, x1 = (n - 0.5 - b) / a;
    if (x0 > x1) {
        double t = x0;
        x0 = x1;
        x1 = t;
    }
    *lo = x0 > *lo ? x0 : *lo;
    *hi = x1 < *hi ? x1 : *hi;
}

void skymotion_warp(skymotion *m, const skymotion_fit *f, float *img)
{
    if (!m->scratch)
        return;
    const int w = m->w, h = m->h;
    const double cx = 0.5 * (w - 1), cy = 0.5 * (h - 1);
    /* inverse map: source (xs, ys) = M (x, y) + o of output pixel (x, y) */
    const double c = cos(f->roll) / f->zoom, s = sin(f->roll) / f->zoom;
    const double m00 = c, m01 = s, m10 = -s, m11 = c;
    const double ox = cx - m00 * (cx + f->tx) - m01 * (cy + f->ty);
    const double oy = cy - m10 * (cx + f->tx) - m11 * (cy + f->ty);
    /* pass 1, along columns: I1(j, y) = in(j, ys) with ys where output row y meets source
     * column j: ys = g j + a1 y + b1 */
    const double g = m10 / m00, a1 = m11 - m10 * m01 / m00, b1 = oy - m10 * ox / m00;
    float *mid = m->scratch;
    for (int y = 0; y < h; y++) {
        float *d = mid + (size_t)y * w;
        double ys0 = a1 * y + b1;
        if (fabs(g) * w < 1e-3) { /* no roll: one set of weights per row */
            int iy = (int)floor(ys0);
            float wt[4];
            cubic_w((float)(ys0 - iy), wt);
            const float *r0 = img + (size_t)clampi(iy - 1, 0, h - 1) * w;
            const float *r1 = img + (size_t)clampi(iy, 0, h - 1) * w;
            const float *r2 = img + (size_t)clampi(iy + 1, 0, h - 1) * w;
            const float *r3 = img + (size_t)clampi(iy + 2, 0, h - 1) * w;
            for (int j = 0; j < w; j++)
                d[j] = wt[0] * r0[j] + wt[1] * r1[j] + wt[2] * r2[j] + wt[3] * r3[j];
            continue;
        }
        for (int j = 0; j < w; j++) {
            double ys = ys0 + g * j;
            int iy = (int)floor(ys);
            float wt[4];
            cubic_w((float)(ys - iy), wt);
            float v = 0;
            for (int k = 0; k < 4; k++)
                v += wt[k] * img[(size_t)clampi(iy - 1 + k, 0, h - 1) * w + j];
            d[j] = v;
        }
    }
    /* pass 2, along rows: out(x, y) = I1(xs, y), xs = m00 x + m01 y + ox */
    const bool roll = fabs(m01) * h >= 1e-3;
    if (!roll)
        for (int x = 0; x < w; x++) {
            double xs = m00 * x + ox;
            int ix = (int)floor(xs);
            cubic_w((float)(xs - ix), m->cw + 4 * x);
            m->ci[x] = ix - 1;
        }
    for (int y = 0; y < h; y++) {
        const float *r = mid + (size_t)y * w;
        float *d = img + (size_t)y * w;
        /* the output columns whose source lies inside the frame: xs and ys are linear in x */
        double lo = 0, hi = w - 1;
        clip_range(m00, m01 * y + ox, w, &lo, &hi);
        clip_range(m10, m11 * y + oy, h, &lo, &hi);
        for (int x = 0; x < w; x++) {
            if (x < lo || x > hi) {
                d[x] = NAN; /* came into view */
                continue;
            }
            double xs = m00 * x + m01 * y + ox;
            float wl[4];
            const float *wt = m->cw + 4 * x;
            int i0 = m->ci[x];
            if (roll) {
                i0 = (int)floor(xs);
                cubic_w((float)(xs - i0), wl);
                wt = wl;
                i0--;
            }
            if (i0 >= 0 && i0 + 3 < w) {
                d[x] = wt[0] * r[i0] + wt[1] * r[i0 + 1] + wt[2] * r[i0 + 2] + wt[3] * r[i0 + 3];
            } else {
                float v = 0;
                for (int k = 0; k < 4; k++)
                    v += wt[k] * r[clampi(i0 + k, 0, w - 1)];
                d[x] = v;
            }
        }
    }
}
