/* Small-object sky detector (see skydet.h for the method and docs/camera.md for the
 * reasoning and the measured recall on real clips).
 *
 * Cost per pixel: eight 1-D van Herk/Gil-Werman min/max passes (about three
 * comparisons each, independent of the radius) for the two top-hats, then one fused
 * pass for residual, threshold, noise energy, clutter update and row runs. The
 * vertical passes work on whole rows so the compiler vectorises them. */
#include "skydet.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "skymask.h"
#include "skymotion.h"

typedef struct {
    int y, x0, x1; /* inclusive */
    int parent;    /* union-find over runs */
} run;

typedef struct {
    int area;
    double sw, swx, swy;   /* sum of residual weights and weighted coordinates */
    double peak;           /* max residual */
    double peak_sd;        /* noise sd of the block holding the peak */
    int peak_block;        /* block index of the peak */
    double pol_sum;        /* + bright weight, - dark weight */
    int x0, y0, x1, y1;
    int parent;            /* merge union-find */
} blob_acc;

typedef struct {
    bool used;
    uint32_t id;
    double x, y, vx, vy;   /* px, px/frame */
    uint32_t hist;         /* bit 0 = this frame hit */
    int nhits_total;
    double size;           /* px, last bbox side */
    int blob;              /* index of the blob assigned this frame, -1 none */
} tracklet;

struct skydet {
    skydet_cfg c;
    int w, h, r;
    uint8_t *tmp, *mid, *opn, *cls;   /* w*h each */
    uint8_t *vg, *vh;                 /* (h+2r)*w vertical van Herk buffers */
    uint8_t *pad, *hg, *hh;           /* w+2r row buffers */
    uint8_t *padrow_min, *padrow_max; /* w bytes of 255 / 0 */
    float *bg;                        /* w*h clutter mean of the top-hat response */
    int nbx, nby;
    float *mean, *var;                /* nbx*nby residual mean and variance per block */
    float *thr, *lo, *hi;             /* nbx: threshold and clip range, current block row */
    double *acc, *acc2;               /* nbx*nby sum and sum of squares of the residual */
    double *acc3;                     /* nbx*nby sum of the clutter mean */
    float *tex;                       /* nbx*nby block texture: mean clutter mean, grey levels */
    float tex_med;                    /* median block texture of the last frame */
    int *accn;                        /* nbx*nby pixels that fed acc (non-firing) */
    int *cnt;                         /* nbx*nby pixel counts */
    run *runs;
    int nruns;
    int *run_blob;
    blob_acc *blobs;
    int nblobs;
    skydet_det *cand;                 /* max_blobs */
    size_t ncand;
    skydet_det *out;                  /* max_tracklets */
    size_t nout;
    tracklet *trk;
    uint32_t next_id;
    uint32_t hist_mask;
    float a_clutter, a_noise;
    float *sdtmp;                     /* nbx*nby scratch for the median */
    skymotion *mo;                    /* global motion, NULL when max_shift_px is 0 */
    skymask *sm;                      /* horizon mask, NULL when sky_mask is 0 */
    skydet_stats st;
};

void skydet_destroy(skydet *q)
{
    if (!q)
        return;
    free(q->tmp);
    free(q->mid);
    free(q->opn);
    free(q->cls);
    free(q->vg);
    free(q->vh);
    free(q->pad);
    free(q->hg);
    free(q->hh);
    free(q->padrow_min);
    free(q->padrow_max);
    free(q->bg);
    free(q->mean);
    free(q->var);
    free(q->thr);
    free(q->lo);
    free(q->hi);
    free(q->acc);
    free(q->acc2);
    free(q->acc3);
    free(q->tex);
    free(q->accn);
    free(q->cnt);
    free(q->runs);
    free(q->run_blob);
    free(q->blobs);
    free(q->cand);
    free(q->out);
    free(q->trk);
    free(q->sdtmp);
    skymotion_destroy(q->mo);
    skymask_destroy(q->sm);
    free(q);
}

skydet *skydet_create(const skydet_cfg *cfg, sg_errinfo *e)
{
    if (skydet_cfg_check(cfg, e))
        return NULL;
    skydet *q = calloc(1, sizeof *q);
    if (!q) {
        sg_err_set(e, SG_ENOMEM, "skydet: out of memory");
        return NULL;
    }
    q->c = *cfg;
    q->w = cfg->width;
    q->h = cfg->height;
    q->r = cfg->radius;
    if (q->c.border < 0)
        q->c.border = cfg->radius;
    if (2 * q->c.border >= q->w || 2 * q->c.border >= q->h) {
        skydet_destroy(q);
        sg_err_set(e, SG_ERANGE, "skydet: border %d too large for %dx%d", q->c.border, q->w, q->h);
        return NULL;
    }
    size_t npx = (size_t)q->w * (size_t)q->h;
    size_t nv = (size_t)(q->h + 2 * q->r) * (size_t)q->w;
    size_t nrow = (size_t)(q->w + 2 * q->r);
    q->nbx = (q->w + cfg->block - 1) / cfg->block;
    q->nby = (q->h + cfg->block - 1) / cfg->block;
    size_t nb = (size_t)q->nbx * (size_t)q->nby;
    q->tmp = malloc(npx);
    q->mid = malloc(npx);
    q->opn = calloc(npx, 1); /* zero: the unused polarity is read but ignored */
    q->cls = calloc(npx, 1);
    q->vg = malloc(nv);
    q->vh = malloc(nv);
    q->pad = malloc(nrow);
    q->hg = malloc(nrow);
    q->hh = malloc(nrow);
    q->padrow_min = malloc((size_t)q->w);
    q->padrow_max = malloc((size_t)q->w);
    q->bg = calloc(npx, sizeof *q->bg);
    q->mean = calloc(nb, sizeof *q->mean);
    q->var = calloc(nb, sizeof *q->var);
    q->thr = calloc((size_t)q->nbx, sizeof *q->thr);
    q->lo = calloc((size_t)q->nbx, sizeof *q->lo);
    q->hi = calloc((size_t)q->nbx, sizeof *q->hi);
    q->acc = calloc(nb, sizeof *q->acc);
    q->acc2 = calloc(nb, sizeof *q->acc2);
    q->acc3 = calloc(nb, sizeof *q->acc3);
    q->tex = calloc(nb, sizeof *q->tex);
    q->accn = calloc(nb, sizeof *q->accn);
    q->cnt = calloc(nb, sizeof *q->cnt);
    q->runs = calloc((size_t)cfg->max_runs, sizeof *q->runs);
    q->run_blob = calloc((size_t)cfg->max_runs, sizeof *q->run_blob);
    q->blobs = calloc((size_t)cfg->max_blobs, sizeof *q->blobs);
    q->cand = calloc((size_t)cfg->max_blobs, sizeof *q->cand);
    q->out = calloc((size_t)cfg->max_tracklets, sizeof *q->out);
    q->trk = calloc((size_t)cfg->max_tracklets, sizeof *q->trk);
    q->sdtmp = calloc(nb, sizeof *q->sdtmp);
    if (!q->tmp || !q->mid || !q->opn || !q->cls || !q->vg || !q->vh || !q->pad || !q->hg ||
        !q->hh || !q->padrow_min || !q->padrow_max || !q->bg || !q->var || !q->thr ||
        !q->lo || !q->hi || !q->mean || !q->acc2 || !q->acc3 || !q->tex || !q->accn || !q->acc || !q->cnt || !q->runs || !q->run_blob || !q->blobs || !q->cand ||
        !q->out || !q->trk || !q->sdtmp) {
        skydet_destroy(q);
        sg_err_set(e, SG_ENOMEM, "skydet: out of memory for %dx%d frames", cfg->width,
                   cfg->height);
        return NULL;
    }
    if (cfg->max_shift_px > 0 && !(q->mo = skymotion_create(q->w, q->h, cfg->max_shift_px, e))) {
        skydet_destroy(q);
        return NULL;
    }
    if (cfg->sky_mask > 0 && !(q->sm = skymask_create(q->w, q->h, cfg->block, e))) {
        skydet_destroy(q);
        return NULL;
    }
    memset(q->padrow_min, 255, (size_t)q->w);
    memset(q->padrow_max, 0, (size_t)q->w);
    /* counts per block do not change: compute once */
    for (int y = 0; y < q->h; y++)
        for (int bx = 0; bx < q->nbx; bx++) {
            int x0 = bx * cfg->block, x1 = x0 + cfg->block;
            if (x1 > q->w)
                x1 = q->w;
            q->cnt[(y / cfg->block) * q->nbx + bx] += x1 - x0;
        }
    q->a_clutter = cfg->clutter_tau_frames > 0 ? (float)(1.0 / cfg->clutter_tau_frames) : 0.0f;
    q->a_noise = (float)(1.0 / cfg->noise_tau_frames);
    q->hist_mask = cfg->persist_n >= 32 ? 0xffffffffu : ((1u << cfg->persist_n) - 1u);
    skydet_reset(q);
    return q;
}

void skydet_reset(skydet *q)
{
    if (!q)
        return;
    memset(q->trk, 0, (size_t)q->c.max_tracklets * sizeof *q->trk);
    q->ncand = q->nout = 0;
    q->next_id = 1;
    memset(&q->st, 0, sizeof q->st);
    if (q->mo)
        skymotion_reset(q->mo);
}

/* ---- morphology ---------------------------------------------------------------- */

static inline uint8_t op8(uint8_t a, uint8_t b, int mx)
{
    return mx ? (a > b ? a : b) : (a < b ? a : b);
}

/* 1-D min (mx = 0) or max filter of window 2r+1 along each row; outside the image
 * counts as neutral (255 for min, 0 for max) so borders use in-image pixels only. */
static void hpass(skydet *q, const uint8_t *src, size_t sstride, uint8_t *dst, int mx)
{
    const int w = q->w, r = q->r, win = 2 * r + 1, n = w + 2 * r;
    uint8_t *pad = q->pad, *g = q->hg, *hh = q->hh;
    const uint8_t pv = mx ? 0 : 255;
    memset(pad, pv, (size_t)r);
    memset(pad + r + w, pv, (size_t)r);
    for (int y = 0; y < q->h; y++) {
        memcpy(pad + r, src + (size_t)y * sstride, (size_t)w);
        for (int i = 0, k = 0; i < n; i++, k++) {
            if (k == win)
                k = 0;
            g[i] = k == 0 ? pad[i] : op8(g[i - 1], pad[i], mx);
        }
        int k = (n - 1) % win;
        hh[n - 1] = pad[n - 1];
        for (int i = n - 2; i >= 0; i--) {
            k = k == 0 ? win - 1 : k - 1;
            hh[i] = k == win - 1 ? pad[i] : op8(hh[i + 1], pad[i], mx);
        }
        uint8_t *d = dst + (size_t)y * (size_t)w;
        if (mx)
            for (int i = 0; i < w; i++)
                d[i] = hh[i] > g[i + 2 * r] ? hh[i] : g[i + 2 * r];
        else
            for (int i = 0; i < w; i++)
                d[i] = hh[i] < g[i + 2 * r] ? hh[i] : g[i + 2 * r];
    }
}

/* Same along columns, whole rows at a time (vectorisable). src is w-strided. */
static void vpass(skydet *q, const uint8_t *src, uint8_t *dst, int mx)
{
    const int w = q->w, r = q->r, win = 2 * r + 1, n = q->h + 2 * r;
    const uint8_t *padrow = mx ? q->padrow_max : q->padrow_min;
#define ROW(p) ((p) < r || (p) >= q->h + r ? padrow : src + (size_t)((p) - r) * (size_t)w)
    for (int p = 0, k = 0; p < n; p++, k++) {
        if (k == win)
            k = 0;
        uint8_t *g = q->vg + (size_t)p * (size_t)w;
        const uint8_t *s = ROW(p);
        if (k == 0) {
            memcpy(g, s, (size_t)w);
        } else {
            const uint8_t *gp = g - w;
            if (mx)
                for (int i = 0; i < w; i++)
                    g[i] = gp[i] > s[i] ? gp[i] : s[i];
            else
                for (int i = 0; i < w; i++)
                    g[i] = gp[i] < s[i] ? gp[i] : s[i];
        }
    }
    int k = (n - 1) % win;
    memcpy(q->vh + (size_t)(n - 1) * (size_t)w, ROW(n - 1), (size_t)w);
    for (int p = n - 2; p >= 0; p--) {
        k = k == 0 ? win - 1 : k - 1;
        uint8_t *hh = q->vh + (size_t)p * (size_t)w;
        const uint8_t *s = ROW(p);
        if (k == win - 1) {
            memcpy(hh, s, (size_t)w);
        } else {
            const uint8_t *hn = hh + w;
            if (mx)
                for (int i = 0; i < w; i++)
                    hh[i] = hn[i] > s[i] ? hn[i] : s[i];
            else
                for (int i = 0; i < w; i++)
                    hh[i] = hn[i] < s[i] ? hn[i] : s[i];
        }
    }
#undef ROW
    for (int y = 0; y < q->h; y++) {
        const uint8_t *a = q->vh + (size_t)y * (size_t)w;
        const uint8_t *b = q->vg + (size_t)(y + 2 * r) * (size_t)w;
        uint8_t *d = dst + (size_t)y * (size_t)w;
        if (mx)
            for (int i = 0; i < w; i++)
                d[i] = a[i] > b[i] ? a[i] : b[i];
        else
            for (int i = 0; i < w; i++)
                d[i] = a[i] < b[i] ? a[i] : b[i];
    }
}

/* ---- residual -------------------------------------------------------------------- */

/* Top-hat response and polarity of one pixel. */
static inline int tophat(const skydet *q, uint8_t iv, size_t i, int *pol)
{
    int db = (int)iv - (int)q->opn[i];
    int dd = (int)q->cls[i] - (int)iv;
    switch (q->c.polarity) {
    case SKYDET_BRIGHT:
        *pol = 1;
        return db;
    case SKYDET_DARK:
        *pol = -1;
        return dd;
    default:
        if (db >= dd) {
            *pol = 1;
            return db;
        }
        *pol = -1;
        return dd;
    }
}

static int uf_find(run *r, int i)
{
    while (r[i].parent != i) {
        r[i].parent = r[r[i].parent].parent;
        i = r[i].parent;
    }
    return i;
}

static int blob_find(blob_acc *b, int i)
{
    while (b[i].parent != i) {
        b[i].parent = b[b[i].parent].parent;
        i = b[i].parent;
    }
    return i;
}

static void add_run(skydet *q, int y, int x0, int x1, int *prev_lo, int prev_hi)
{
    if (q->nruns >= q->c.max_runs) {
        q->st.runs_dropped++;
        return;
    }
    int me = q->nruns++;
    q->runs[me] = (run){y, x0, x1, me};
    /* previous row runs are sorted by x: skip those entirely left of us */
    while (*prev_lo < prev_hi && q->runs[*prev_lo].x1 < x0 - 1)
        (*prev_lo)++;
    for (int j = *prev_lo; j < prev_hi && q->runs[j].x0 <= x1 + 1; j++) {
        int a = uf_find(q->runs, me), b = uf_find(q->runs, j);
        if (a != b)
            q->runs[a > b ? a : b].parent = a < b ? a : b;
    }
}

/* First frame: the clutter mean starts at this frame's response and the noise at
 * its spatial spread per block (conservative in textured regions). */
static void learn_first(skydet *q, const uint8_t *img, size_t stride)
{
    size_t nb = (size_t)q->nbx * (size_t)q->nby;
    memset(q->acc, 0, nb * sizeof *q->acc);
    memset(q->acc2, 0, nb * sizeof *q->acc2);
    for (int y = 0; y < q->h; y++) {
        const uint8_t *row = img + (size_t)y * stride;
        int by = y / q->c.block;
        for (int x = 0; x < q->w; x++) {
            size_t i = (size_t)y * (size_t)q->w + (size_t)x;
            int pol, d = tophat(q, row[x], i, &pol);
            size_t b = (size_t)by * (size_t)q->nbx + (size_t)(x / q->c.block);
            q->acc[b] += d;
            q->acc2[b] += (double)d * d;
            q->bg[i] = q->a_clutter > 0 ? (float)d : 0.0f;
        }
    }
    for (size_t b = 0; b < nb; b++) {
        double m = q->acc[b] / q->cnt[b], m2 = q->acc2[b] / q->cnt[b];
        /* with clutter suppression the residual starts at zero mean; its spread is
         * taken from the spatial spread (conservative in textured regions) */
        q->mean[b] = q->a_clutter > 0 ? 0.0f : (float)m;
        q->var[b] = (float)fmax(m2 - m * m, 0.0);
    }
}

/* ---- blobs and tracklets ---------------------------------------------------------- */

static void make_blobs(skydet *q, const uint8_t *img, size_t stride)
{
    const float keep = 1.0f - q->a_clutter; /* residual = (d - bg_new) / keep */
    q->nblobs = 0;
    for (int i = 0; i < q->nruns; i++)
        q->run_blob[i] = -1;
    for (int i = 0; i < q->nruns; i++) {
        int root = uf_find(q->runs, i);
        int bi = q->run_blob[root];
        if (bi < 0) {
            if (q->nblobs >= q->c.max_blobs) {
                q->st.blobs_dropped++;
                q->run_blob[root] = -2;
                continue;
            }
            bi = q->run_blob[root] = q->nblobs++;
            q->blobs[bi] = (blob_acc){0, 0, 0, 0, 0, 0, 0, 0, q->w, q->h, -1, -1, bi};
        } else if (bi == -2) {
            continue;
        }
        blob_acc *b = &q->blobs[bi];
        const run *r = &q->runs[i];
        const uint8_t *row = img + (size_t)r->y * stride;
        int by = r->y / q->c.block;
        for (int x = r->x0; x <= r->x1; x++) {
            size_t px = (size_t)r->y * (size_t)q->w + (size_t)x;
            int pol, d = tophat(q, row[x], px, &pol);
            double s = ((float)d - q->bg[px]) / keep -
                       q->mean[(size_t)by * (size_t)q->nbx + (size_t)(x / q->c.block)];
            if (s <= 0)
                s = 1e-3;
            b->area++;
            b->sw += s;
            b->swx += s * x;
            b->swy += s * r->y;
            b->pol_sum += pol * s;
            if (s > b->peak) {
                b->peak = s;
                b->peak_block = by * q->nbx + x / q->c.block;
                b->peak_sd = sqrt(q->var[b->peak_block]);
            }
        }
        if (r->x0 < b->x0)
            b->x0 = r->x0;
        if (r->x1 > b->x1)
            b->x1 = r->x1;
        if (r->y < b->y0)
            b->y0 = r->y;
        if (r->y > b->y1)
            b->y1 = r->y;
    }
    /* merge fragments of one object (a drone's arms and body fire separately) */
    for (int i = 0; i < q->nblobs; i++)
        for (int j = i + 1; j < q->nblobs; j++) {
            blob_acc *a = &q->blobs[i], *b = &q->blobs[j];
            int la = a->x1 - a->x0 > a->y1 - a->y0 ? a->x1 - a->x0 : a->y1 - a->y0;
            int lb = b->x1 - b->x0 > b->y1 - b->y0 ? b->x1 - b->x0 : b->y1 - b->y0;
            int m = q->c.merge_px, mf = (int)(q->c.merge_frac * ((la > lb ? la : lb) + 1));
            m = mf > m ? mf : m;
            if (a->x0 - m <= b->x1 && b->x0 - m <= a->x1 && a->y0 - m <= b->y1 &&
                b->y0 - m <= a->y1) {
                int ra = blob_find(q->blobs, i), rb = blob_find(q->blobs, j);
                if (ra != rb)
                    q->blobs[ra > rb ? ra : rb].parent = ra < rb ? ra : rb;
            }
        }
    for (int i = 0; i < q->nblobs; i++) {
        int root = blob_find(q->blobs, i);
        if (root == i)
            continue;
        blob_acc *a = &q->blobs[root], *b = &q->blobs[i];
        a->area += b->area;
        a->sw += b->sw;
        a->swx += b->swx;
        a->swy += b->swy;
        a->pol_sum += b->pol_sum;
        if (b->peak > a->peak) {
            a->peak = b->peak;
            a->peak_sd = b->peak_sd;
            a->peak_block = b->peak_block;
        }
        if (b->x0 < a->x0)
            a->x0 = b->x0;
        if (b->x1 > a->x1)
            a->x1 = b->x1;
        if (b->y0 < a->y0)
            a->y0 = b->y0;
        if (b->y1 > a->y1)
            a->y1 = b->y1;
        b->area = 0; /* absorbed */
    }
    q->ncand = 0;
    for (int i = 0; i < q->nblobs; i++) {
        blob_acc *b = &q->blobs[i];
        if (b->area == 0 || blob_find(q->blobs, i) != i)
            continue;
        if (b->area < q->c.min_area)
            continue;
        if (b->x1 - b->x0 + 1 > q->c.max_size || b->y1 - b->y0 + 1 > q->c.max_size) {
            q->st.blobs_too_large++;
            continue;
        }
        double texture = q->tex[b->peak_block] - q->tex_med;
        if (q->c.sky_texture > 0 && texture > q->c.sky_texture) {
            q->st.blobs_textured++;
            continue;
        }
        if (q->sm && skymask_is_ground(q->sm, b->x0, b->x1, b->y0, q->c.sky_mask_margin_px)) {
            q->st.blobs_below_horizon++;
            continue;
        }
        skydet_det *d = &q->cand[q->ncand++];
        memset(d, 0, sizeof *d);
        d->texture = texture;
        d->x = b->swx / b->sw;
        d->y = b->swy / b->sw;
        d->x0 = b->x0;
        d->y0 = b->y0;
        d->x1 = b->x1;
        d->y1 = b->y1;
        d->area = b->area;
        d->contrast = b->peak;
        double sd = b->peak_sd > 0.25 ? b->peak_sd : 0.25; /* 8-bit quantisation floor */
        d->snr = b->peak / sd;
        d->polarity = b->pol_sum >= 0 ? 1 : -1;
    }
}

static void track(skydet *q)
{
    const int nt = q->c.max_tracklets;
    /* established tracklets choose first: most hits in the window */
    for (int pass = 32; pass >= 0; pass--) {
        for (int t = 0; t < nt; t++) {
            tracklet *k = &q->trk[t];
            if (!k->used || __builtin_popcount(k->hist) != pass)
                continue;
            k->blob = -1;
            double px = k->x + k->vx, py = k->y + k->vy;
            double gate = q->c.gate_px + 0.5 * k->size, best = gate * gate;
            for (size_t i = 0; i < q->ncand; i++) {
                skydet_det *d = &q->cand[i];
                if (d->track_id)
                    continue;
                double dx = d->x - px, dy = d->y - py, d2 = dx * dx + dy * dy;
                if (d2 < best) {
                    best = d2;
                    k->blob = (int)i;
                }
            }
            if (k->blob >= 0)
                q->cand[k->blob].track_id = k->id;
        }
    }
    q->nout = 0;
    for (int t = 0; t < nt; t++) {
        tracklet *k = &q->trk[t];
        if (!k->used)
            continue;
        k->hist = (k->hist << 1) & q->hist_mask;
        if (k->blob < 0) {
            k->x += k->vx;
            k->y += k->vy;
            if (k->hist == 0)
                k->used = false;
            continue;
        }
        skydet_det *d = &q->cand[k->blob];
        k->hist |= 1u;
        double px = k->x + k->vx, py = k->y + k->vy;
        if (k->nhits_total == 1) {
            k->vx = d->x - k->x; /* first difference starts the velocity */
            k->vy = d->y - k->y;
        } else {
            k->vx += 0.4 * (d->x - px);
            k->vy += 0.4 * (d->y - py);
        }
        k->x = d->x;
        k->y = d->y;
        k->nhits_total++;
        int wsz = d->x1 - d->x0 > d->y1 - d->y0 ? d->x1 - d->x0 + 1 : d->y1 - d->y0 + 1;
        k->size = wsz;
        int hits = __builtin_popcount(k->hist);
        d->vx = k->vx;
        d->vy = k->vy;
        d->hits = hits;
        d->confirmed = hits >= q->c.persist_k;
        d->confidence = (double)hits / q->c.persist_n * (1.0 - exp(-d->snr / q->c.k_sigma));
        if (d->confirmed)
            q->out[q->nout++] = *d;
    }
    /* unclaimed blobs start tracklets */
    for (size_t i = 0; i < q->ncand; i++) {
        skydet_det *d = &q->cand[i];
        if (d->track_id)
            continue;
        int slot = -1;
        for (int t = 0; t < nt; t++)
            if (!q->trk[t].used) {
                slot = t;
                break;
            }
        if (slot < 0) {
            q->st.tracklets_dropped++;
            continue;
        }
        tracklet *k = &q->trk[slot];
        memset(k, 0, sizeof *k);
        k->used = true;
        k->id = q->next_id++;
        if (q->next_id == 0)
            q->next_id = 1;
        k->x = d->x;
        k->y = d->y;
        k->hist = 1u;
        k->nhits_total = 1;
        k->size = d->x1 - d->x0 > d->y1 - d->y0 ? d->x1 - d->x0 + 1 : d->y1 - d->y0 + 1;
        k->blob = (int)i;
        d->track_id = k->id;
        d->hits = 1;
        d->confirmed = q->c.persist_k <= 1;
        d->confidence = 1.0 / q->c.persist_n * (1.0 - exp(-d->snr / q->c.k_sigma));
        if (d->confirmed)
            q->out[q->nout++] = *d;
    }
    uint32_t live = 0;
    for (int t = 0; t < nt; t++)
        live += q->trk[t].used;
    q->st.tracklets = live;
}

/* The camera moved the scene by (dx, dy): the clutter mean follows it (in place, rows
 * and columns walked away from the shift), the strips that came into view are learnt
 * from this frame as on a first frame, and the tracklets move along. */
static void shift_scene(skydet *q, const uint8_t *img, size_t stride, int dx, int dy)
{
    const int w = q->w, h = q->h;
    const int n = w - abs(dx), sx = dx > 0 ? 0 : -dx, tx = dx > 0 ? dx : 0;
    for (int k = 0; k < h; k++) {
        int y = dy > 0 ? h - 1 - k : k, ys = y - dy;
        if (ys < 0 || ys >= h || n <= 0)
            continue;
        memmove(q->bg + (size_t)y * w + tx, q->bg + (size_t)ys * w + sx, (size_t)n * sizeof *q->bg);
    }
    for (int y = 0; y < h; y++) {
        bool row_new = y - dy < 0 || y - dy >= h;
        const uint8_t *row = img + (size_t)y * stride;
        for (int x = 0; x < w; x++) {
            if (!row_new && x - dx >= 0 && x - dx < w)
                continue;
            size_t i = (size_t)y * w + (size_t)x;
            int pol;
            q->bg[i] = q->a_clutter > 0 ? (float)tophat(q, row[x], i, &pol) : 0.0f;
        }
    }
    for (int t = 0; t < q->c.max_tracklets; t++)
        if (q->trk[t].used) {
            q->trk[t].x += dx;
            q->trk[t].y += dy;
        }
    q->st.frames_shifted++;
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

int skydet_process(skydet *q, const uint8_t *img, size_t stride, const skydet_det **dets,
                   size_t *n)
{
    if (dets)
        *dets = NULL;
    if (n)
        *n = 0;
    if (!q || !img || stride < (size_t)q->w)
        return SG_EINVAL;
    if (q->c.polarity != SKYDET_DARK) {
        hpass(q, img, stride, q->tmp, 0); /* erosion -> opening (bright top-hat) */
        vpass(q, q->tmp, q->mid, 0);
        hpass(q, q->mid, (size_t)q->w, q->tmp, 1);
        vpass(q, q->tmp, q->opn, 1);
    }
    if (q->c.polarity != SKYDET_BRIGHT) {
        hpass(q, img, stride, q->tmp, 1); /* dilation -> closing (dark top-hat) */
        vpass(q, q->tmp, q->mid, 1);
        hpass(q, q->mid, (size_t)q->w, q->tmp, 0);
        vpass(q, q->tmp, q->cls, 0);
    }

    q->nruns = 0;
    q->ncand = q->nout = 0;
    q->st.fired_px = 0;
    q->st.shift_x = q->st.shift_y = 0;
    if (q->mo && skymotion_estimate(q->mo, img, stride, &q->st.shift_x, &q->st.shift_y) &&
        q->st.frames > 0)
        shift_scene(q, img, stride, q->st.shift_x, q->st.shift_y);
    if (q->st.frames == 0) {
        learn_first(q, img, stride);
    } else {
        const size_t nb = (size_t)q->nbx * (size_t)q->nby;
        memset(q->acc, 0, nb * sizeof *q->acc);
        memset(q->acc2, 0, nb * sizeof *q->acc2);
        memset(q->accn, 0, nb * sizeof *q->accn);
        memset(q->acc3, 0, nb * sizeof *q->acc3);
        /* the clutter mean rises slowly (a new object stays visible for ~tau) but
         * falls 4x faster, so the place an object has left clears in ~tau/4 */
        const float ac = q->a_clutter, af = 4.0f * ac, kk = (float)q->c.k_sigma, floor = (float)q->c.min_contrast;
        int prev_lo = 0, prev_hi = 0;
        for (int y = 0; y < q->h; y++) {
            const uint8_t *row = img + (size_t)y * stride;
            int by = y / q->c.block;
            const size_t b0 = (size_t)by * (size_t)q->nbx;
            for (int bx = 0; bx < q->nbx; bx++) {
                float sd = sqrtf(q->var[b0 + bx]), mu = q->mean[b0 + bx];
                q->thr[bx] = mu + (kk * sd > floor ? kk * sd : floor);
                float c = 4.0f * sd > 1.0f ? 4.0f * sd : 1.0f; /* robust: clip at 4 sd */
                q->lo[bx] = mu - c;
                q->hi[bx] = mu + c;
            }
            int row_start = q->nruns, run_x0 = -1;
            int plo = prev_lo;
            const bool row_ok = y >= q->c.border && y < q->h - q->c.border;
            const int xb0 = q->c.border, xb1 = q->w - q->c.border;
            for (int bx = 0; bx < q->nbx; bx++) {
                int x0 = bx * q->c.block, x1 = x0 + q->c.block;
                if (x1 > q->w)
                    x1 = q->w;
                const float thr = q->thr[bx], lo = q->lo[bx], hi = q->hi[bx];
                float e1 = 0, e2 = 0, e3 = 0;
                int en = 0;
                for (int x = x0; x < x1; x++) {
                    size_t i = (size_t)y * (size_t)q->w + (size_t)x;
                    int pol, d = tophat(q, row[x], i, &pol);
                    float s = (float)d - q->bg[i];
                    q->bg[i] += (s < 0 ? af : ac) * s;
                    if (s > thr && x >= xb0 && x < xb1 && row_ok) {
                        if (run_x0 < 0)
                            run_x0 = x;
                        continue; /* targets do not raise the noise estimate */
                    }
                    if (run_x0 >= 0) {
                        add_run(q, y, run_x0, x - 1, &plo, prev_hi);
                        q->st.fired_px += (uint32_t)(x - run_x0);
                        run_x0 = -1;
                    }
                    e3 += q->bg[i]; /* texture from non-firing pixels: targets are not trees */
                    float sc = s < lo ? lo : s > hi ? hi : s;
                    e1 += sc;
                    e2 += sc * sc;
                    en++;
                }
                q->acc[b0 + bx] += e1;
                q->acc2[b0 + bx] += e2;
                q->accn[b0 + bx] += en;
                q->acc3[b0 + bx] += e3;
            }
            if (run_x0 >= 0) {
                add_run(q, y, run_x0, q->w - 1, &plo, prev_hi);
                q->st.fired_px += (uint32_t)(q->w - run_x0);
            }
            prev_lo = row_start;
            prev_hi = q->nruns;
        }
        const float an = q->a_noise;
        for (size_t b = 0; b < nb; b++) {
            if (q->accn[b] < 8)
                continue; /* block saturated by a target: keep its statistics */
            double m = q->acc[b] / q->accn[b], v = q->acc2[b] / q->accn[b] - m * m;
            q->mean[b] += an * ((float)m - q->mean[b]);
            q->var[b] += an * ((float)fmax(v, 0.0) - q->var[b]);
        }
        /* static small-scale structure per block (tree lines, ground, buildings: the
         * sky has next to none); measured against the frame's median block */
        for (size_t b = 0; b < nb; b++)
            q->sdtmp[b] = q->tex[b] = q->accn[b] ? (float)(q->acc3[b] / q->accn[b]) : q->tex[b];
        qsort(q->sdtmp, nb, sizeof *q->sdtmp, cmp_float);
        q->tex_med = q->sdtmp[nb / 2];
        if (q->sm)
            skymask_update(q->sm, q->bg, q->tex, (float)q->c.sky_mask);
        make_blobs(q, img, stride);
        track(q);
    }
    q->st.frames++;
    q->st.blobs = (uint32_t)q->ncand;
    q->st.confirmed = (uint32_t)q->nout;
    q->st.detections += q->nout;
    size_t nb = (size_t)q->nbx * (size_t)q->nby;
    for (size_t b = 0; b < nb; b++)
        q->sdtmp[b] = sqrtf(q->var[b]);
    qsort(q->sdtmp, nb, sizeof *q->sdtmp, cmp_float);
    q->st.noise_sd_median = q->sdtmp[nb / 2];
    if (dets)
        *dets = q->out;
    if (n)
        *n = q->nout;
    return SG_OK;
}

void skydet_candidates(const skydet *q, const skydet_det **dets, size_t *n)
{
    *dets = q->cand;
    *n = q->ncand;
}

void skydet_get_stats(const skydet *q, skydet_stats *out)
{
    *out = q->st;
}

void skydet_texture_map(const skydet *q, const float **tex, int *nbx, int *nby, int *block,
                        float *median)
{
    *tex = q->tex;
    *nbx = q->nbx;
    *nby = q->nby;
    *block = q->c.block;
    *median = q->tex_med;
}

const struct skymask *skydet_sky_mask(const skydet *q)
{
    return q->sm;
}
