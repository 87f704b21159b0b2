/* Global image motion (see skymotion.h): create, reset and the translation estimate; the
 * zoom model is in skymotion_zoom.c. */
#include "skymotion.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "skymotion_int.h"

skymotion *skymotion_create(int width, int height, int max_shift, sg_errinfo *e)
{
    if (width < 16 || width > 8192 || height < 16 || height > 8192 || max_shift < 4 ||
        max_shift > 128) {
        sg_err_set(e, SG_ERANGE, "skymotion: %dx%d, max_shift %d out of range", width, height,
                   max_shift);
        return NULL;
    }
    skymotion *m = calloc(1, sizeof *m);
    if (!m) {
        sg_err_set(e, SG_ENOMEM, "skymotion: out of memory");
        return NULL;
    }
    m->w = width;
    m->h = height;
    m->rw = width / RED;
    m->rh = height / RED;
    m->max_shift = max_shift;
    m->cur = malloc((size_t)m->rw * m->rh);
    m->prev = malloc((size_t)m->rw * m->rh);
    m->full_prev = malloc((size_t)width * height);
    if (!m->cur || !m->prev || !m->full_prev) {
        skymotion_destroy(m);
        sg_err_set(e, SG_ENOMEM, "skymotion: out of memory");
        return NULL;
    }
    return m;
}

void skymotion_destroy(skymotion *m)
{
    if (!m)
        return;
    free(m->cur);
    free(m->prev);
    free(m->full_prev);
    free(m->sadtab);
    free(m->scratch);
    free(m->cw);
    free(m->ci);
    free(m);
}

void skymotion_reset(skymotion *m)
{
    m->have_prev = false;
}

/* Mean absolute difference of a (shifted by dx, dy) against b over the overlap,
 * sampled every `step` pixels; INFINITY when the overlap is too small. */
static double sad(const uint8_t *a, const uint8_t *b, int w, int h, size_t stride_a,
                  size_t stride_b, int dx, int dy, int step)
{
    int x0 = dx > 0 ? dx : 0, x1 = dx < 0 ? w + dx : w;
    int y0 = dy > 0 ? dy : 0, y1 = dy < 0 ? h + dy : h;
    if (x1 - x0 < w / 2 || y1 - y0 < h / 2)
        return INFINITY;
    long s = 0, n = 0;
    for (int y = y0; y < y1; y += step) {
        const uint8_t *ra = a + (size_t)y * stride_a, *rb = b + (size_t)(y - dy) * stride_b;
        for (int x = x0; x < x1; x += step) {
            int d = (int)ra[x] - (int)rb[x - dx];
            s += d < 0 ? -d : d;
            n++;
        }
    }
    return n ? (double)s / (double)n : INFINITY;
}

/* img reduced 4x into m->cur */
void skymotion_reduce_(skymotion *m, const uint8_t *img, size_t stride)
{
    for (int y = 0; y < m->rh; y++)
        for (int x = 0; x < m->rw; x++) {
            int s = 0;
            for (int j = 0; j < RED; j++) {
                const uint8_t *r = img + (size_t)(y * RED + j) * stride + (size_t)x * RED;
                for (int i = 0; i < RED; i++)
                    s += r[i];
            }
            m->cur[y * m->rw + x] = (uint8_t)(s / (RED * RED));
        }
}

/* img becomes the previous frame */
void skymotion_remember_(skymotion *m, const uint8_t *img, size_t stride)
{
    uint8_t *t = m->prev;
    m->prev = m->cur;
    m->cur = t;
    for (int y = 0; y < m->h; y++)
        memcpy(m->full_prev + (size_t)y * m->w, img + (size_t)y * stride, (size_t)m->w);
    m->have_prev = true;
}

int skymotion_estimate(skymotion *m, const uint8_t *img, size_t stride, int *dx, int *dy)
{
    *dx = *dy = 0;
    skymotion_reduce_(m, img, stride);
    int found = 0;
    if (m->have_prev) {
        const int S = m->max_shift / RED;
        double best = INFINITY;
        int bx = 0, by = 0;
        for (int sy = -S; sy <= S; sy++)
            for (int sx = -S; sx <= S; sx++) {
                double v = sad(m->cur, m->prev, m->rw, m->rh, (size_t)m->rw, (size_t)m->rw, sx,
                               sy, 2);
                if (v < best) {
                    best = v;
                    bx = sx;
                    by = sy;
                }
            }
        if (abs(bx) < S && abs(by) < S) {
            /* refine at full resolution around the reduced estimate (small pans of a
             * few px do not show at the reduced scale) */
            int step = (int)sqrt((double)m->w * m->h / 40000.0);
            if (step < 3)
                step = 3;
            double fb = INFINITY, fzero = sad(img, m->full_prev, m->w, m->h, stride, (size_t)m->w,
                                              0, 0, step);
            int fx = 0, fy = 0;
            for (int sy = by * RED - 3; sy <= by * RED + 3; sy++)
                for (int sx = bx * RED - 3; sx <= bx * RED + 3; sx++) {
                    double v = sad(img, m->full_prev, m->w, m->h, stride, (size_t)m->w, sx, sy,
                                   step);
                    if (v < fb) {
                        fb = v;
                        fx = sx;
                        fy = sy;
                    }
                }
            if ((fx || fy) && fb < 0.8 * fzero) {
                *dx = fx;
                *dy = fy;
                found = 1;
            }
        }
    }
    skymotion_remember_(m, img, stride);
    return found;
}
