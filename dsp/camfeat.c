/* Camera object features (see camfeat.h). */
#include "camfeat.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    float x, y;       /* px centroid */
    float size;       /* px, longer bbox side */
    float area;       /* px firing */
    float contrast;   /* grey levels */
    uint64_t frame;
} obs;

typedef struct {
    uint32_t id;      /* 0 = free */
    uint64_t first, last; /* frames */
    int n;            /* observations in the ring (<= CAMFEAT_HIST) */
    int head;         /* next write position */
    obs h[CAMFEAT_HIST];
} hist;

struct camfeat {
    int w, h;
    bool thermal;
    int max_tracks;
    hist *t;
    uint64_t frame;
    camfeat_stats st;
    const float *tex; /* sky estimate of this frame (camfeat_set_sky), NULL = none */
    int nbx, nby, block;
    float tex_med;
};

static const char *const names[CAMFEAT_N] = {
    "thermal",     "log2_w",      "log2_h",      "log2_area",   "aspect",      "fill",
    "log_contrast", "log_snr",    "polarity",    "texture",     "box_sd",      "ring2_diff",
    "ring2_sd",    "ring4_diff",  "ring4_sd",    "ring8_diff",  "ring8_sd",    "speed_px",
    "speed_sizes", "straightness", "turn_rate",  "hover",       "size_cv",     "contrast_cv",
    "periodicity", "hit_rate",    "vertical",    "log_age",     "ext_log2_w",  "ext_log2_h",
    "ext_ratio",   "ext_fill",    "ext_elong",   "ext_align",   "sky_above",   "sky_below",
    "skyline_depth", "size_trend", "speed_cv",
};

const char *camfeat_name(int i)
{
    return i >= 0 && i < CAMFEAT_N ? names[i] : NULL;
}

camfeat *camfeat_create(int width, int height, bool thermal, int max_tracks, sg_errinfo *e)
{
    if (width < 16 || width > 8192 || height < 16 || height > 8192) {
        sg_err_set(e, SG_ERANGE, "camfeat: frame size %dx%d out of range 16..8192", width, height);
        return NULL;
    }
    if (max_tracks < 1 || max_tracks > 4096) {
        sg_err_set(e, SG_ERANGE, "camfeat: max_tracks must be in [1, 4096], got %d", max_tracks);
        return NULL;
    }
    camfeat *f = calloc(1, sizeof *f);
    if (f)
        f->t = calloc((size_t)max_tracks, sizeof *f->t);
    if (!f || !f->t) {
        free(f);
        sg_err_set(e, SG_ENOMEM, "camfeat: out of memory");
        return NULL;
    }
    f->w = width;
    f->h = height;
    f->thermal = thermal;
    f->max_tracks = max_tracks;
    return f;
}

void camfeat_destroy(camfeat *f)
{
    if (!f)
        return;
    free(f->t);
    free(f);
}

void camfeat_set_sky(camfeat *f, const float *tex, int nbx, int nby, int block, float median)
{
    f->tex = tex;
    f->nbx = nbx;
    f->nby = nby;
    f->block = block > 0 ? block : 1;
    f->tex_med = median;
}

void camfeat_reset(camfeat *f)
{
    memset(f->t, 0, (size_t)f->max_tracks * sizeof *f->t);
    f->frame = 0;
}

static hist *find(const camfeat *f, uint32_t id)
{
    for (int i = 0; i < f->max_tracks; i++)
        if (f->t[i].id == id)
            return &f->t[i];
    return NULL;
}

void camfeat_update(camfeat *f, const skydet_det *cands, size_t n)
{
    f->frame++;
    /* histories not fed for a full window belong to lost tracklets */
    for (int i = 0; i < f->max_tracks; i++)
        if (f->t[i].id && f->frame - f->t[i].last > CAMFEAT_HIST)
            f->t[i].id = 0;
    for (size_t k = 0; k < n; k++) {
        const skydet_det *d = &cands[k];
        if (!d->track_id)
            continue;
        hist *hh = find(f, d->track_id);
        if (!hh) {
            hist *oldest = NULL;
            for (int i = 0; i < f->max_tracks && !hh; i++) {
                if (!f->t[i].id)
                    hh = &f->t[i];
                else if (!oldest || f->t[i].last < oldest->last)
                    oldest = &f->t[i];
            }
            if (!hh) {
                hh = oldest;
                f->st.evicted++;
            }
            memset(hh, 0, sizeof *hh);
            hh->id = d->track_id;
            hh->first = f->frame;
        }
        int wd = d->x1 - d->x0 + 1, ht = d->y1 - d->y0 + 1;
        hh->h[hh->head] = (obs){(float)d->x, (float)d->y, (float)(wd > ht ? wd : ht),
                                (float)d->area, (float)d->contrast, f->frame};
        hh->head = (hh->head + 1) % CAMFEAT_HIST;
        if (hh->n < CAMFEAT_HIST)
            hh->n++;
        hh->last = f->frame;
    }
}

/* Mean and sd of the pixels in the square [x0,x1]x[y0,y1] (clipped to the frame)
 * minus the inner square [ix0,ix1]x[iy0,iy1], read on a grid of <= 16x16 samples. */
static void ring_stats(const camfeat *f, const uint8_t *img, size_t stride, int x0, int y0, int x1,
                       int y1, int ix0, int iy0, int ix1, int iy1, double *mean, double *sd)
{
    if (x0 < 0)
        x0 = 0;
    if (y0 < 0)
        y0 = 0;
    if (x1 >= f->w)
        x1 = f->w - 1;
    if (y1 >= f->h)
        y1 = f->h - 1;
    int sx = (x1 - x0) / 16 + 1, sy = (y1 - y0) / 16 + 1;
    double s = 0, s2 = 0;
    int n = 0;
    for (int y = y0; y <= y1; y += sy)
        for (int x = x0; x <= x1; x += sx) {
            if (x >= ix0 && x <= ix1 && y >= iy0 && y <= iy1)
                continue;
            double v = img[(size_t)y * stride + (size_t)x];
            s += v;
            s2 += v * v;
            n++;
        }
    if (n == 0) {
        *mean = 0;
        *sd = 0;
        return;
    }
    *mean = s / n;
    double v = s2 / n - *mean * *mean;
    *sd = v > 0 ? sqrt(v) : 0;
}

static double cv(const double *v, int n)
{
    double s = 0, s2 = 0;
    for (int i = 0; i < n; i++) {
        s += v[i];
        s2 += v[i] * v[i];
    }
    double m = s / n, var = s2 / n - m * m;
    return m > 1e-9 && var > 0 ? sqrt(var) / m : 0;
}

/* Peak normalised autocorrelation of the detrended series at lags 2..12: a bird's
 * wing beat modulates its size periodically; rigid drones and aircraft do not. */
static double periodicity(const double *v, int n)
{
    if (n < 8)
        return 0;
    double mx = 0, my = 0, sxy = 0, sxx = 0;
    for (int i = 0; i < n; i++) {
        mx += i;
        my += v[i];
    }
    mx /= n;
    my /= n;
    for (int i = 0; i < n; i++) {
        sxy += (i - mx) * (v[i] - my);
        sxx += (i - mx) * (i - mx);
    }
    double slope = sxx > 0 ? sxy / sxx : 0;
    double r[CAMFEAT_HIST], e0 = 0;
    for (int i = 0; i < n; i++) {
        r[i] = v[i] - my - slope * (i - mx);
        e0 += r[i] * r[i];
    }
    if (e0 < 1e-9)
        return 0;
    double best = 0;
    for (int lag = 2; lag <= 12 && lag < n - 3; lag++) {
        double c = 0;
        for (int i = lag; i < n; i++)
            c += r[i] * r[i - lag];
        c = c / e0 * n / (n - lag);
        if (c > best)
            best = c;
    }
    return best;
}

/* The whole object: in the square of half side `half` around (cx, cy), the pixels
 * differing from the surround's mean bg by more than max(3 sd + 3, 0.3 x the largest
 * difference) (<= 32x32 samples). out: log2 extent w, h (px); fill of that extent;
 * elongation log(major/minor sd); |cos| between the major axis and heading hd (NAN:
 * no heading -> 0). */
static void whole_object(const camfeat *f, const uint8_t *img, size_t stride, int cx, int cy,
                         int half, double bg, double sd, double hd, float out[6], int L)
{
    int x0 = cx - half < 0 ? 0 : cx - half, y0 = cy - half < 0 ? 0 : cy - half;
    int x1 = cx + half >= f->w ? f->w - 1 : cx + half, y1 = cy + half >= f->h ? f->h - 1 : cy + half;
    int st = (2 * half) / 32 + 1;
    double peak = 0;
    for (int y = y0; y <= y1; y += st)
        for (int x = x0; x <= x1; x += st) {
            double v = fabs(img[(size_t)y * stride + (size_t)x] - bg);
            peak = v > peak ? v : peak;
        }
    double thr = fmax(3.0 * sd + 3.0, 0.3 * peak);
    int n = 0, ex0 = x1, ex1 = x0, ey0 = y1, ey1 = y0;
    double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
    for (int y = y0; y <= y1; y += st)
        for (int x = x0; x <= x1; x += st) {
            if (fabs(img[(size_t)y * stride + (size_t)x] - bg) <= thr)
                continue;
            n++;
            ex0 = x < ex0 ? x : ex0;
            ex1 = x > ex1 ? x : ex1;
            ey0 = y < ey0 ? y : ey0;
            ey1 = y > ey1 ? y : ey1;
            sx += x;
            sy += y;
            sxx += (double)x * x;
            syy += (double)y * y;
            sxy += (double)x * y;
        }
    if (n == 0) {
        out[0] = out[1] = (float)log2(L);
        out[2] = 0;
        out[3] = out[4] = out[5] = 0;
        return;
    }
    double ew = ex1 - ex0 + st, eh = ey1 - ey0 + st;
    double mx = sx / n, my = sy / n;
    double cxx = sxx / n - mx * mx + st * st / 12.0, cyy = syy / n - my * my + st * st / 12.0;
    double cxy = sxy / n - mx * my;
    double tr = cxx + cyy, det = cxx * cyy - cxy * cxy, disc = sqrt(fmax(tr * tr / 4 - det, 0));
    double l1 = tr / 2 + disc, l2 = fmax(tr / 2 - disc, 1e-3);
    double ang = 0.5 * atan2(2 * cxy, cxx - cyy);
    out[0] = (float)log2(ew);
    out[1] = (float)log2(eh);
    out[2] = (float)log2(fmax(ew, eh) / L);
    out[3] = (float)fmin(1.0, (double)n * st * st / (ew * eh));
    out[4] = (float)(0.5 * log(fmax(l1, 1e-3) / l2));
    out[5] = isnan(hd) ? 0.0f : (float)fabs(cos(ang - hd));
}

/* Sky estimate around column bx, block row by: mean static texture above the median
 * block of the blocks above / below in columns bx-1..bx+1, and the object's depth below
 * the skyline (topmost block row whose texture exceeds the median by 3 grey levels),
 * in frame heights (negative: above it; 0 without a textured block). */
static void sky_context(const camfeat *f, double x, double y, float out[3])
{
    out[0] = out[1] = out[2] = 0;
    if (!f->tex)
        return;
    int bx = (int)(x / f->block), by = (int)(y / f->block);
    bx = bx < 0 ? 0 : bx >= f->nbx ? f->nbx - 1 : bx;
    by = by < 0 ? 0 : by >= f->nby ? f->nby - 1 : by;
    double sa = 0, sb = 0;
    int na = 0, nbl = 0, top = -1;
    for (int r = 0; r < f->nby; r++)
        for (int c = bx - 1; c <= bx + 1; c++) {
            if (c < 0 || c >= f->nbx)
                continue;
            double t = fmax(0.0, f->tex[(size_t)r * (size_t)f->nbx + (size_t)c] - f->tex_med);
            if (t > 3.0 && top < 0)
                top = r;
            if (r < by) {
                sa += t;
                na++;
            } else if (r > by) {
                sb += t;
                nbl++;
            }
        }
    out[0] = (float)fmin(50.0, na ? sa / na : 0);
    out[1] = (float)fmin(50.0, nbl ? sb / nbl : 0);
    out[2] = top < 0 ? 0.0f : (float)((double)(by - top) / f->nby);
}

int camfeat_compute(camfeat *f, const uint8_t *img, size_t stride, const skydet_det *d,
                    float out[CAMFEAT_N])
{
    if (!f || !img || !d || !out)
        return SG_EINVAL;
    int wd = d->x1 - d->x0 + 1, ht = d->y1 - d->y0 + 1;
    int L = wd > ht ? wd : ht;
    int k = 0;
    out[k++] = f->thermal ? 1.0f : 0.0f;
    out[k++] = (float)log2(wd);
    out[k++] = (float)log2(ht);
    out[k++] = (float)log2(d->area > 0 ? d->area : 1);
    out[k++] = (float)log2((double)wd / ht);
    out[k++] = (float)((double)d->area / ((double)wd * ht));
    out[k++] = (float)log(1.0 + d->contrast);
    out[k++] = (float)log(1.0 + d->snr);
    out[k++] = (float)d->polarity;
    out[k++] = (float)fmax(-20.0, fmin(50.0, d->texture));
    /* appearance: the box itself, then square rings of side 2L, 4L, 8L around it */
    double bm, bsd;
    ring_stats(f, img, stride, d->x0, d->y0, d->x1, d->y1, 1, 1, 0, 0, &bm, &bsd);
    out[k++] = (float)log(1.0 + bsd);
    int cx = (int)lround(d->x), cy = (int)lround(d->y);
    int ix0 = d->x0, iy0 = d->y0, ix1 = d->x1, iy1 = d->y1;
    double m = 0, sd = 0;
    for (int s = 2; s <= 8; s *= 2) {
        int half = s * L / 2 + 2;
        ring_stats(f, img, stride, cx - half, cy - half, cx + half, cy + half, ix0, iy0, ix1, iy1,
                   &m, &sd);
        out[k++] = (float)((bm - m) / (sd + 2.0));
        out[k++] = (float)log(1.0 + sd);
        ix0 = cx - half;
        iy0 = cy - half;
        ix1 = cx + half;
        iy1 = cy + half;
    }
    /* motion over the tracklet history, oldest first */
    hist *hh = find(f, d->track_id);
    int n = hh ? hh->n : 0;
    obs o[CAMFEAT_HIST];
    for (int i = 0; i < n; i++)
        o[i] = hh->h[(hh->head - n + i + CAMFEAT_HIST) % CAMFEAT_HIST];
    double path = 0, sp_sum = 0, turn = 0, hover = 0, vert = 0;
    int nturn = 0, nstep = 0;
    double prev_hd = NAN;
    for (int i = 1; i < n; i++) {
        double dt = (double)(o[i].frame - o[i - 1].frame);
        double dx = o[i].x - o[i - 1].x, dy = o[i].y - o[i - 1].y, dist = hypot(dx, dy);
        double sp = dist / dt;
        path += dist;
        sp_sum += sp;
        nstep++;
        hover += sp < 0.3;
        if (sp > 0.3) {
            double hd = atan2(dy, dx);
            vert += fabs(dy) / dist;
            if (!isnan(prev_hd)) {
                double dh = fabs(remainder(hd - prev_hd, 2 * M_PI));
                turn += dh / dt;
                nturn++;
            }
            prev_hd = hd;
        }
    }
    double speed = nstep ? sp_sum / nstep : 0;
    double net = n > 1 ? hypot(o[n - 1].x - o[0].x, o[n - 1].y - o[0].y) : 0;
    double sizes[CAMFEAT_HIST], cons[CAMFEAT_HIST];
    for (int i = 0; i < n; i++) {
        sizes[i] = o[i].size;
        cons[i] = o[i].contrast;
    }
    int moving = nstep - (int)hover;
    out[k++] = (float)log(1.0 + speed);
    out[k++] = (float)(speed / L);
    out[k++] = (float)(path > 1e-6 ? net / path : 0);
    out[k++] = (float)(nturn ? turn / nturn : 0);
    out[k++] = (float)(nstep ? hover / nstep : 0);
    out[k++] = (float)(n > 1 ? cv(sizes, n) : 0);
    out[k++] = (float)(n > 1 ? cv(cons, n) : 0);
    out[k++] = (float)periodicity(sizes, n);
    out[k++] = (float)(n > 1 ? (double)n / (double)(o[n - 1].frame - o[0].frame + 1) : 1);
    out[k++] = (float)(moving > 0 ? vert / moving : 0);
    out[k++] = (float)log(1.0 + (hh ? (double)(hh->last - hh->first) : 0));
    /* the whole object inside the 4L square, against the 8L ring (m, sd: last ring) */
    whole_object(f, img, stride, cx, cy, 2 * L + 2, m, sd, isnan(prev_hd) ? NAN : prev_hd,
                 out + k, L);
    k += 6;
    sky_context(f, d->x, d->y, out + k);
    k += 3;
    /* size trend: log2 of the last quarter's mean size over the first quarter's */
    double trend = 0;
    if (n >= 8) {
        int q = n / 4;
        double a = 0, b = 0;
        for (int i = 0; i < q; i++) {
            a += sizes[i];
            b += sizes[n - 1 - i];
        }
        trend = log2((b + 1) / (a + 1));
    }
    out[k++] = (float)trend;
    double spd[CAMFEAT_HIST];
    int ns = 0;
    for (int i = 1; i < n; i++)
        spd[ns++] = hypot(o[i].x - o[i - 1].x, o[i].y - o[i - 1].y) /
                    (double)(o[i].frame - o[i - 1].frame) + 0.5;
    out[k++] = (float)(ns > 1 ? cv(spd, ns) : 0);
    return k == CAMFEAT_N ? SG_OK : SG_EINVAL;
}

int camfeat_crops(const camfeat *f, const uint8_t *img, size_t stride, const skydet_det *d,
                  float out[CAMCROP_N])
{
    return camfeat_crops_n(f, img, stride, d, CAMCROP_SCALES, out);
}

int camfeat_crops_n(const camfeat *f, const uint8_t *img, size_t stride, const skydet_det *d,
                    int scales, float out[CAMCROP_N])
{
    static const int mult[CAMCROP_SCALES] = {2, 4, 8};
    if (!f || !img || !d || !out || scales < 0 || scales > CAMCROP_SCALES)
        return SG_EINVAL;
    int wd = d->x1 - d->x0 + 1, ht = d->y1 - d->y0 + 1;
    int L = wd > ht ? wd : ht;
    memset(out + scales * CAMCROP_PX * CAMCROP_PX, 0,
           (size_t)(CAMCROP_SCALES - scales) * CAMCROP_PX * CAMCROP_PX * sizeof *out);
    for (int s = 0; s < scales; s++) {
        double side = fmax(CAMCROP_MIN_PX, (double)mult[s] * L);
        double cell = side / CAMCROP_PX, x0 = d->x + 0.5 - 0.5 * side, y0 = d->y + 0.5 - 0.5 * side;
        int sub = cell >= 3 ? 3 : cell >= 2 ? 2 : 1; /* samples per cell and axis */
        float *o = out + s * CAMCROP_PX * CAMCROP_PX;
        double sum = 0, sum2 = 0;
        for (int r = 0; r < CAMCROP_PX; r++)
            for (int c = 0; c < CAMCROP_PX; c++) {
                double acc = 0;
                for (int j = 0; j < sub; j++) {
                    int y = (int)floor(y0 + cell * (r + (j + 0.5) / sub));
                    y = y < 0 ? 0 : y >= f->h ? f->h - 1 : y;
                    for (int i = 0; i < sub; i++) {
                        int x = (int)floor(x0 + cell * (c + (i + 0.5) / sub));
                        x = x < 0 ? 0 : x >= f->w ? f->w - 1 : x;
                        acc += img[(size_t)y * stride + (size_t)x];
                    }
                }
                acc /= sub * sub;
                o[r * CAMCROP_PX + c] = (float)acc;
                sum += acc;
                sum2 += acc * acc;
            }
        double n = CAMCROP_PX * CAMCROP_PX, mean = sum / n, var = sum2 / n - mean * mean;
        double sd = fmax(2.0, var > 0 ? sqrt(var) : 0);
        for (int i = 0; i < CAMCROP_PX * CAMCROP_PX; i++)
            o[i] = (float)fmax(-8.0, fmin(8.0, (o[i] - mean) / sd));
    }
    return SG_OK;
}

void camfeat_get_stats(const camfeat *f, camfeat_stats *out)
{
    *out = f->st;
}
