/* Small-object sky detector (see skydet.h for the method and docs/camera.md for the
 * reasoning and the measured recall on real clips).
 *
 * Cost per pixel: eight 1-D van Herk/Gil-Werman min/max passes (about three
 * comparisons each, independent of the radius) for the two top-hats, then one fused
 * pass for residual, threshold, noise energy, clutter update and row runs. The
 * vertical passes work on whole rows so the compiler vectorises them.
 * This file: create, morphology, background (clutter mean) and noise model, first-frame
 * learning, camera motion, the frame loop; blobs and tracklets are in skydet_blobs.c,
 * the horizon in skymask.c, the global motion in skymotion.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "skydet_int.h"

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
    free(q->ffbox);
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
    if (cfg->first_frame_detect && cfg->first_frame_max_px > 0 &&
        !(q->ffbox = malloc(4 * (size_t)cfg->max_runs * sizeof *q->ffbox))) {
        skydet_destroy(q);
        sg_err_set(e, SG_ENOMEM, "skydet: out of memory for the first-frame objects");
        return NULL;
    }
    if (cfg->max_shift_px > 0 && !(q->mo = skymotion_create(q->w, q->h, cfg->max_shift_px, e))) {
        skydet_destroy(q);
        return NULL;
    }
    if (q->mo && cfg->max_zoom_pct > 0 &&
        skymotion_enable_zoom(q->mo, cfg->max_zoom_pct / 100.0, cfg->motion_min_conf, e)) {
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
    q->st.zoom = 1.0;
    q->mo_lost = false;
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

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* Median of the 3x3 blocks around (bx, by) of v (nbx x nby), clamped at the edges. */
static float median9(const skydet *q, const float *v, int bx, int by)
{
    float w[9];
    int n = 0;
    for (int y = by - 1; y <= by + 1; y++)
        for (int x = bx - 1; x <= bx + 1; x++)
            if (x >= 0 && y >= 0 && x < q->nbx && y < q->nby)
                w[n++] = v[(size_t)y * (size_t)q->nbx + (size_t)x];
    for (int i = 1; i < n; i++) /* insertion sort of <= 9 */
        for (int j = i; j > 0 && w[j - 1] > w[j]; j--) {
            float t = w[j];
            w[j] = w[j - 1];
            w[j - 1] = t;
        }
    return w[n / 2];
}

/* first_frame_max_px: the first-frame object pixels (obj[i] = 1) are joined into
 * 8-connected objects (row runs, union-find); the pixels of an object whose box's longer
 * side exceeds first_frame_max_px are cleared (learnt as clutter, as without
 * first_frame_detect): a drone is compact, a bright cloud band or a cloud edge is not.
 * Runs beyond max_runs are cleared too. Uses q->runs, which the frame loop resets. */
static void drop_large_objects(skydet *q, uint8_t *obj)
{
    const int w = q->w, lim = q->c.first_frame_max_px;
    int prev_lo = 0, prev_hi = 0;
    q->nruns = 0;
    for (int y = 0; y < q->h; y++) {
        uint8_t *row = obj + (size_t)y * (size_t)w;
        int row_start = q->nruns, plo = prev_lo;
        for (int x = 0; x < w;) {
            if (!row[x]) {
                x++;
                continue;
            }
            int x0 = x;
            while (x < w && row[x])
                x++;
            if (q->nruns >= q->c.max_runs) {
                memset(row + x0, 0, (size_t)(x - x0));
                q->st.first_frame_large_px += (uint64_t)(x - x0);
                continue;
            }
            skydet_add_run(q, y, x0, x - 1, &plo, prev_hi);
        }
        prev_lo = row_start;
        prev_hi = q->nruns;
    }
    int *bx = q->ffbox;
    for (int i = 0; i < q->nruns; i++) {
        int *b = bx + 4 * (size_t)i;
        b[0] = w, b[1] = q->h, b[2] = -1, b[3] = -1;
    }
    for (int i = 0; i < q->nruns; i++) {
        const run *r = &q->runs[i];
        int *b = bx + 4 * (size_t)skydet_run_root(q, i);
        if (r->x0 < b[0])
            b[0] = r->x0;
        if (r->y < b[1])
            b[1] = r->y;
        if (r->x1 > b[2])
            b[2] = r->x1;
        if (r->y > b[3])
            b[3] = r->y;
    }
    for (int i = 0; i < q->nruns; i++) {
        const run *r = &q->runs[i];
        const int *b = bx + 4 * (size_t)skydet_run_root(q, i);
        if (b[2] - b[0] + 1 > lim || b[3] - b[1] + 1 > lim) {
            memset(obj + (size_t)r->y * (size_t)w + (size_t)r->x0, 0, (size_t)(r->x1 - r->x0 + 1));
            q->st.first_frame_large_px += (uint64_t)(r->x1 - r->x0 + 1);
        }
    }
    q->nruns = 0;
}

/* first_frame_report: the first-frame object pixels (obj[i] = 1) inside the border become
 * this frame's firing runs, so skydet_make_blobs turns them into candidate blobs. */
static void object_runs(skydet *q, const uint8_t *obj)
{
    const int b = q->c.border, xe = q->w - b;
    int prev_lo = 0, prev_hi = 0;
    q->nruns = 0;
    for (int y = b; y < q->h - b; y++) {
        const uint8_t *row = obj + (size_t)y * (size_t)q->w;
        int row_start = q->nruns, plo = prev_lo;
        for (int x = b; x < xe;) {
            if (!row[x]) {
                x++;
                continue;
            }
            int x0 = x;
            while (x < xe && row[x])
                x++;
            skydet_add_run(q, y, x0, x - 1, &plo, prev_hi);
            q->st.fired_px += (uint32_t)(x - x0);
        }
        prev_lo = row_start;
        prev_hi = q->nruns;
    }
}

/* first_frame_detect: pixels of the first frame that stand out of their surround
 * (response above the 3x3-block median level by max(k_sigma x the 3x3-block median
 * spread, min_contrast)) are objects, not clutter: their clutter mean starts at the
 * surround's level and they do not feed the noise estimate, so an object already in
 * view (a hovering drone) fires from the next frame instead of being learnt. With
 * first_frame_max_px only compact objects are taken (drop_large_objects). */
static void first_frame_objects(skydet *q)
{
    const size_t nb = (size_t)q->nbx * (size_t)q->nby;
    float *lvl = q->sdtmp, *spread = q->tex; /* scratch: tex is recomputed from frame 1 on */
    uint8_t *obj = q->tmp;                    /* scratch: the morphology is done */
    for (size_t b = 0; b < nb; b++) {
        double m = q->acc[b] / q->cnt[b];
        q->mean[b] = (float)m;
        q->var[b] = (float)sqrt(fmax(q->acc2[b] / q->cnt[b] - m * m, 0.0));
    }
    /* only where the surround is sky-like: its level within min_contrast / 2 of the
     * frame's smoothest tenth of blocks (ground stays learnt, or its texture would
     * fire for seconds) */
    memcpy(lvl, q->mean, nb * sizeof *lvl);
    qsort(lvl, nb, sizeof *lvl, cmp_float);
    const float sky_lvl = lvl[nb / 10] + 0.5f * (float)q->c.min_contrast;
    for (int by = 0; by < q->nby; by++)
        for (int bx = 0; bx < q->nbx; bx++) {
            size_t b = (size_t)by * (size_t)q->nbx + (size_t)bx;
            lvl[b] = median9(q, q->mean, bx, by);
            spread[b] = median9(q, q->var, bx, by);
        }
    const float kk = (float)q->c.k_sigma, floor = (float)q->c.min_contrast;
    for (int y = 0; y < q->h; y++) {
        int by = y / q->c.block;
        for (int x = 0; x < q->w; x++) {
            size_t i = (size_t)y * (size_t)q->w + (size_t)x;
            size_t b = (size_t)by * (size_t)q->nbx + (size_t)(x / q->c.block);
            float thr = kk * spread[b] > floor ? kk * spread[b] : floor;
            obj[i] = lvl[b] <= sky_lvl && q->bg[i] > lvl[b] + thr;
        }
    }
    if (q->c.first_frame_max_px > 0)
        drop_large_objects(q, obj);
    memset(q->acc, 0, nb * sizeof *q->acc);
    memset(q->acc2, 0, nb * sizeof *q->acc2);
    memset(q->accn, 0, nb * sizeof *q->accn);
    for (int y = 0; y < q->h; y++) {
        int by = y / q->c.block;
        for (int x = 0; x < q->w; x++) {
            size_t i = (size_t)y * (size_t)q->w + (size_t)x;
            size_t b = (size_t)by * (size_t)q->nbx + (size_t)(x / q->c.block);
            float d = q->bg[i];
            if (obj[i]) {
                q->bg[i] = lvl[b];
                q->st.first_frame_px++;
                continue;
            }
            q->acc[b] += d;
            q->acc2[b] += (double)d * d;
            q->accn[b]++;
        }
    }
    for (size_t b = 0; b < nb; b++) {
        int n = q->accn[b] ? q->accn[b] : 1;
        double m = q->acc[b] / n;
        q->mean[b] = 0.0f;
        q->var[b] = (float)fmax(q->acc2[b] / n - m * m, 0.0);
        q->tex[b] = 0.0f;
    }
    q->tex_med = 0.0f;
    if (q->c.first_frame_report && q->st.frames == 0)
        object_runs(q, obj);
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
    if (q->c.first_frame_detect && q->a_clutter > 0) {
        first_frame_objects(q);
        return;
    }
    for (size_t b = 0; b < nb; b++) {
        double m = q->acc[b] / q->cnt[b], m2 = q->acc2[b] / q->cnt[b];
        /* with clutter suppression the residual starts at zero mean; its spread is
         * taken from the spatial spread (conservative in textured regions) */
        q->mean[b] = q->a_clutter > 0 ? 0.0f : (float)m;
        q->var[b] = (float)fmax(m2 - m * m, 0.0);
    }
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

/* Zoom compensation (max_zoom_pct): the clutter mean is resampled with the fitted
 * motion, what came into view is learnt from this frame, the tracklets move along. */
static void warp_scene(skydet *q, const uint8_t *img, size_t stride, const skymotion_fit *f)
{
    if (q->a_clutter > 0) {
        skymotion_warp(q->mo, f, q->bg);
        for (int y = 0; y < q->h; y++) {
            const uint8_t *row = img + (size_t)y * stride;
            float *b = q->bg + (size_t)y * q->w;
            for (int x = 0; x < q->w; x++)
                if (isnan(b[x])) {
                    int pol;
                    b[x] = (float)tophat(q, row[x], (size_t)y * q->w + (size_t)x, &pol);
                }
        }
    }
    for (int t = 0; t < q->c.max_tracklets; t++)
        if (q->trk[t].used) {
            tracklet *k = &q->trk[t];
            skymotion_fit_apply(q->mo, f, &k->x, &k->y, &k->vx, &k->vy);
            k->size *= f->zoom;
        }
    q->st.frames_shifted++;
    q->st.frames_warped++;
}

/* Camera motion since the last frame (max_shift_px), compensated; true when the zoom
 * model lost the scene and the background must be relearnt from this frame. */
static bool camera_motion(skydet *q, const uint8_t *img, size_t stride)
{
    if (q->c.max_zoom_pct <= 0) {
        if (skymotion_estimate(q->mo, img, stride, &q->st.shift_x, &q->st.shift_y) &&
            q->st.frames > 0)
            shift_scene(q, img, stride, q->st.shift_x, q->st.shift_y);
        return false;
    }
    skymotion_fit f;
    skymotion_result r = skymotion_estimate_zoom(q->mo, img, stride, &f);
    q->st.zoom = f.zoom;
    q->st.roll_deg = f.roll * (180.0 / M_PI);
    q->st.motion_conf = f.conf;
    if (q->st.frames == 0)
        return false;
    switch (r) {
    case SKYMOTION_FLAT:
        q->mo_lost = false;
        q->st.motion_flat++;
        return false;
    case SKYMOTION_LOST:
        /* one reset per loss: a scene the fit keeps failing on (repetitive texture, a
         * large object in front) is left uncompensated rather than blinded every frame */
        if (q->mo_lost) {
            q->st.motion_flat++;
            return false;
        }
        q->mo_lost = true;
        q->st.motion_resets++;
        memset(q->trk, 0, (size_t)q->c.max_tracklets * sizeof *q->trk);
        return true;
    case SKYMOTION_MOVED:
        break;
    default:
        q->mo_lost = false;
        return false;
    }
    q->mo_lost = false;
    q->st.shift_x = (int)lrint(f.tx);
    q->st.shift_y = (int)lrint(f.ty);
    /* a whole-pixel shift moves the clutter mean exactly; anything else is resampled */
    if (skymotion_fit_extent(q->mo, &(skymotion_fit){.zoom = f.zoom, .roll = f.roll}) < 0.1 &&
        fabs(f.tx - q->st.shift_x) < 0.1 && fabs(f.ty - q->st.shift_y) < 0.1)
        shift_scene(q, img, stride, q->st.shift_x, q->st.shift_y);
    else
        warp_scene(q, img, stride, &f);
    return false;
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
    const uint64_t nwarped = q->st.frames_warped;
    const bool relearn = q->mo && camera_motion(q, img, stride);
    /* a resampled clutter mean carries the registration's error: it follows the scene at
     * the fast rate both ways while the camera zooms */
    const bool warped = q->st.frames_warped != nwarped;
    if (q->st.frames == 0 || relearn) {
        learn_first(q, img, stride);
        /* first_frame_report: the objects in view at the first frame are its blobs (a
         * motion reset reports nothing from its frame) */
        if (q->st.frames == 0 && q->nruns > 0) {
            skydet_make_blobs(q, img, stride);
            skydet_track(q);
        }
    } else {
        const size_t nb = (size_t)q->nbx * (size_t)q->nby;
        memset(q->acc, 0, nb * sizeof *q->acc);
        memset(q->acc2, 0, nb * sizeof *q->acc2);
        memset(q->accn, 0, nb * sizeof *q->accn);
        memset(q->acc3, 0, nb * sizeof *q->acc3);
        /* the clutter mean rises slowly (a new object stays visible for ~tau) but
         * falls 4x faster, so the place an object has left clears in ~tau/4 */
        const float af = 4.0f * q->a_clutter, ac = warped ? af : q->a_clutter, kk = (float)q->c.k_sigma, floor = (float)q->c.min_contrast;
        int prev_lo = 0, prev_hi = 0;
        for (int y = 0; y < q->h; y++) {
            const uint8_t *row = img + (size_t)y * stride;
            int by = y / q->c.block;
            const size_t b0 = (size_t)by * (size_t)q->nbx;
            for (int bx = 0; bx < q->nbx; bx++) {
                float sd = sqrtf(q->var[b0 + bx]), mu = q->mean[b0 + bx];
                float t = mu + (kk * sd > floor ? kk * sd : floor);
                /* the residual itself must exceed min_contrast: where a large object left,
                 * the clutter mean unlearns and the block's residual mean goes far below
                 * zero, and a pixel merely less below its learnt clutter than its block
                 * is not an object (it was confirmed as one) */
                q->thr[bx] = t > floor ? t : floor;
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
                        skydet_add_run(q, y, run_x0, x - 1, &plo, prev_hi);
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
                skydet_add_run(q, y, run_x0, q->w - 1, &plo, prev_hi);
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
        skydet_make_blobs(q, img, stride);
        skydet_track(q);
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
