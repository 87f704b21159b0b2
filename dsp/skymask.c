/* Sky/horizon mask from the detector's static-texture statistics (see skymask.h). */
#include "skymask.h"

#include <stdlib.h>
#include <string.h>

struct skymask {
    int w, h, block, nbx, nby;
    int *top;    /* nbx: topmost ground row per block column (h = none) */
    int *hz;     /* nbx: median-filtered horizon */
    float *sort; /* nbx*nby scratch */
    float *rowm; /* 3*block row means */
};

void skymask_destroy(skymask *m)
{
    if (!m)
        return;
    free(m->top);
    free(m->hz);
    free(m->sort);
    free(m->rowm);
    free(m);
}

skymask *skymask_create(int width, int height, int block, sg_errinfo *e)
{
    if (width < 16 || height < 16 || block < 4 || block > 128) {
        sg_err_set(e, SG_ERANGE, "skymask: bad geometry %dx%d, block %d", width, height, block);
        return NULL;
    }
    skymask *m = calloc(1, sizeof *m);
    if (!m) {
        sg_err_set(e, SG_ENOMEM, "skymask: out of memory");
        return NULL;
    }
    m->w = width;
    m->h = height;
    m->block = block;
    m->nbx = (width + block - 1) / block;
    m->nby = (height + block - 1) / block;
    m->top = malloc((size_t)m->nbx * sizeof *m->top);
    m->hz = malloc((size_t)m->nbx * sizeof *m->hz);
    m->sort = malloc((size_t)m->nbx * (size_t)m->nby * sizeof *m->sort);
    m->rowm = malloc(3 * (size_t)block * sizeof *m->rowm);
    if (!m->top || !m->hz || !m->sort || !m->rowm) {
        skymask_destroy(m);
        sg_err_set(e, SG_ENOMEM, "skymask: out of memory");
        return NULL;
    }
    for (int c = 0; c < m->nbx; c++)
        m->top[c] = m->hz[c] = height;
    return m;
}

static int cmp_f(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

static int cmp_i(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

void skymask_update(skymask *m, const float *bg, const float *tex, float thr)
{
    const size_t nb = (size_t)m->nbx * (size_t)m->nby;
    memcpy(m->sort, tex, nb * sizeof *m->sort);
    qsort(m->sort, nb, sizeof *m->sort, cmp_f);
    const float ref = m->sort[nb / 10], lim = ref + thr;
    for (int c = 0; c < m->nbx; c++) {
        /* the ground touches the bottom of the frame: walk up from the bottom block
         * through textured blocks (one smooth block is bridged: a road, a smooth
         * field); the sky can itself be mildly textured away from the ground (thermal
         * vignetting, sensor pattern), which must not count */
        int r = -1, gap = 0;
        for (int k = m->nby - 1; k >= 0 && gap < 2; k--) {
            if (tex[(size_t)k * (size_t)m->nbx + (size_t)c] > lim) {
                r = k;
                gap = 0;
            } else {
                gap++;
            }
        }
        if (r < 0) {
            m->top[c] = m->h;
            continue;
        }
        /* pixel row: the top-hat spreads the ground's response up to ~2r px into the
         * sky, so the horizon is where the column's row mean first passes halfway from
         * the sky reference to the ground's level (rows of this block, the one above and
         * the one below) */
        int x0 = c * m->block, x1 = x0 + m->block > m->w ? m->w : x0 + m->block;
        int y0 = (r - 1) * m->block, y1 = (r + 2) * m->block;
        y0 = y0 < 0 ? 0 : y0;
        y1 = y1 > m->h ? m->h : y1;
        float ground = 0;
        for (int y = y0; y < y1; y++) {
            float s = 0;
            for (int x = x0; x < x1; x++)
                s += bg[(size_t)y * (size_t)m->w + (size_t)x];
            m->rowm[y - y0] = s / (float)(x1 - x0);
            ground = m->rowm[y - y0] > ground ? m->rowm[y - y0] : ground;
        }
        float level = ref + 0.5f * (ground - ref);
        level = level > lim ? level : lim;
        m->top[c] = r * m->block;
        for (int y = y0; y < y1; y++)
            if (m->rowm[y - y0] > level) {
                m->top[c] = y;
                break;
            }
    }
    for (int c = 0; c < m->nbx; c++) {
        int win[5], n = 0;
        for (int k = c - 2; k <= c + 2; k++)
            if (k >= 0 && k < m->nbx)
                win[n++] = m->top[k];
        qsort(win, (size_t)n, sizeof *win, cmp_i);
        m->hz[c] = win[n / 2];
    }
}

int skymask_horizon(const skymask *m, int c)
{
    return c < 0 || c >= m->nbx ? m->h : m->hz[c];
}

bool skymask_is_ground(const skymask *m, int x0, int x1, int y0, int margin)
{
    int c0 = x0 / m->block, c1 = x1 / m->block;
    c0 = c0 < 0 ? 0 : c0;
    c1 = c1 >= m->nbx ? m->nbx - 1 : c1;
    for (int c = c0; c <= c1; c++)
        if (m->hz[c] >= m->h || y0 <= m->hz[c] + margin)
            return false;
    return true;
}
