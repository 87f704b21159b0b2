/* The sky detector tests' generated scenes (test_skydet, test_skydet_mask): a sky
 * gradient with drifting cloud puffs, an optional cloud-bank edge, a tilted textured tree
 * line with swaying branch tips, a static spruce tip, a dark building, a thin bright band,
 * sensor noise and a small Gaussian target of known path; and the scorer that runs a
 * detector over them (hits within 2 px of the truth, false alarms further than 6 px).
 * Seeded: the same seed gives the same frames. Functions are static inline so a program
 * may use any subset of them; include it after <cmocka.h> (it asserts with cmocka). */
#ifndef SG_SKYDET_SCENE_H
#define SG_SKYDET_SCENE_H

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "skydet.h"

typedef struct {
    uint64_t s;
} rng;

static inline double urand(rng *r)
{
    r->s ^= r->s << 13;
    r->s ^= r->s >> 7;
    r->s ^= r->s << 17;
    return ((r->s >> 11) + 0.5) / 9007199254740992.0;
}

static inline double grand(rng *r)
{
    return sqrt(-2.0 * log(urand(r))) * cos(2 * M_PI * urand(r));
}

#define NCLOUD 12
typedef struct {
    int w, h;
    double cx[NCLOUD], cy[NCLOUD], sig[NCLOUD], amp[NCLOUD];
    double drift_x, drift_y;   /* px/frame of the cloud field */
    double noise_sd;           /* grey levels */
    double ramp;               /* grey levels/frame of global brightness change */
    double base;               /* sky brightness at the top */
    bool edge;                 /* add a moving cloud-bank edge */
    bool treeline;             /* below the horizon: static texture + swaying branch tips */
    double hz0, hz_slope;      /* horizon row at the frame's centre column, rows per column */
    uint8_t *tex;              /* w*h static texture (treeline) */
    double tip_x[40], tip_y[40], tip_ph[40], tip_per[40];
    bool target;
    double tx0, ty0, tvx, tvy; /* px, px/frame */
    double tamp, tsig;         /* grey levels (negative = dark), px */
    int ton;                   /* first frame the target is drawn in (0: from the start) */
    bool building;             /* a static dark building standing in the sky from the bottom */
    double bux0, bux1, buy0;   /* px: its columns [bux0, bux1) and its roof row */
    bool treetop;              /* a static dark spruce tip: a triangle widening 0.7 px per row */
    double ttx, tty;           /* px: its apex; it runs down into the tree line (or the bottom) */
    bool band;                 /* a long thin bright band (a sunlit cloud streak) */
    double bx0, by0, blen, bth, bamp, bvx; /* px (left, top), px, px, grey levels, px/frame */
    rng r;
} scene;

static inline void scene_init(scene *s, int w, int h, uint64_t seed)
{
    memset(s, 0, sizeof *s);
    s->w = w;
    s->h = h;
    s->r.s = seed;
    for (int i = 0; i < NCLOUD; i++) {
        s->cx[i] = urand(&s->r) * w;
        s->cy[i] = urand(&s->r) * h;
        s->sig[i] = 15 + 30 * urand(&s->r);
        s->amp[i] = (urand(&s->r) - 0.3) * 50;
    }
    s->drift_x = 0.3;
    s->drift_y = 0.1;
    s->noise_sd = 2.0;
    s->base = 150;
    s->edge = true;
    s->tvx = 1.5;
    s->tvy = 0.6;
    s->tx0 = 40.3;
    s->ty0 = 50.7;
    s->tamp = -40;
    s->tsig = 1.0;
}

static inline void scene_treeline(scene *s)
{
    s->treeline = true;
    if (s->hz0 == 0)
        s->hz0 = s->h * 0.8; /* bottom fifth unless the test set a horizon */
    s->tex = malloc((size_t)s->w * (size_t)s->h);
    assert_non_null(s->tex);
    for (int i = 0; i < s->w * s->h; i++)
        s->tex[i] = (uint8_t)(urand(&s->r) * 50);
    for (int i = 0; i < 40; i++) {
        s->tip_x[i] = 10 + urand(&s->r) * (s->w - 20);
        s->tip_y[i] = s->hz0 + s->hz_slope * (s->tip_x[i] - 0.5 * s->w) + s->h * 0.02 +
                      urand(&s->r) * s->h * 0.14;
        s->tip_ph[i] = urand(&s->r) * 2 * M_PI;
        s->tip_per[i] = 6 + urand(&s->r) * 14;
    }
}

/* Renders frame k into img (stride bytes per row); returns the target position. */
static inline void scene_render(scene *s, int k, uint8_t *img, size_t stride, double *tx, double *ty)
{
    double ox = s->drift_x * k, oy = s->drift_y * k;
    double px = s->tx0 + s->tvx * k, py = s->ty0 + s->tvy * k;
    double edge_x = s->w * 0.7 + 0.2 * k;
    for (int y = 0; y < s->h; y++) {
        for (int x = 0; x < s->w; x++) {
            double v = s->base + 60.0 * y / s->h + s->ramp * k;
            for (int i = 0; i < NCLOUD; i++) {
                double dx = x - s->cx[i] - ox, dy = y - s->cy[i] - oy;
                v += s->amp[i] * exp(-(dx * dx + dy * dy) / (2 * s->sig[i] * s->sig[i]));
            }
            if (s->edge)
                v += 35.0 / (1.0 + exp(-(x - edge_x - 0.3 * y) / 2.0)); /* cloud bank */
            if (s->treeline && y > s->hz0 + s->hz_slope * (x - 0.5 * s->w))
                v += s->tex[y * s->w + x] - 80.0; /* dark, textured trees */
            if (s->building && x >= s->bux0 && x < s->bux1 && y >= s->buy0)
                v -= 70; /* flat dark wall: its roof corners are sharp static structure */
            if (s->treetop && y >= s->tty && fabs(x - s->ttx) <= 0.35 * (y - s->tty))
                v -= 60; /* widens 0.7 px per row down to the tree line */
            if (s->band && y >= s->by0 && y < s->by0 + s->bth && x >= s->bx0 + s->bvx * k &&
                x < s->bx0 + s->bvx * k + s->blen)
                v += s->bamp;
            if (s->target && k >= s->ton) {
                double dx = x - px, dy = y - py;
                v += s->tamp * exp(-(dx * dx + dy * dy) / (2 * s->tsig * s->tsig));
            }
            v += s->noise_sd * grand(&s->r);
            if (s->treeline)
                for (int i = 0; i < 40; i++) /* a branch tip swinging in and out */
                    if (fabs(x - s->tip_x[i] - 2.0 * sin(2 * M_PI * k / s->tip_per[i] + s->tip_ph[i])) < 1.0 &&
                        fabs(y - s->tip_y[i]) < 1.5)
                        v -= 45;
            img[(size_t)y * stride + (size_t)x] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : lrint(v));
        }
    }
    if (tx)
        *tx = px;
    if (ty)
        *ty = py;
}

/* Runs nf frames; counts frames (after warm-up) where a confirmed detection is
 * within 2 px of the truth, the mean position error, and confirmed detections
 * further than 6 px from it (false alarms). */
typedef struct {
    int frames_scored, hits, false_alarms;
    int first_hit; /* frame of the first hit, -1 none */
    double err_sum, err_max;
} score;

/* Runs nf frames through q; frames from `warm` on are scored. */
static inline score run_scene_on(scene *s, skydet *q, int nf, size_t stride, int warm)
{
    score sc = {.first_hit = -1};
    uint8_t *img = calloc((size_t)s->h * stride, 1);
    assert_non_null(img);
    for (int k = 0; k < nf; k++) {
        double tx, ty;
        scene_render(s, k, img, stride, &tx, &ty);
        const skydet_det *d;
        size_t n;
        assert_int_equal(skydet_process(q, img, stride, &d, &n), SG_OK);
        bool in_view = tx > 3 && ty > 3 && tx < s->w - 4 && ty < s->h - 4;
        bool hit = false;
        for (size_t i = 0; i < n; i++) {
            assert_true(d[i].confirmed);
            assert_true(d[i].confidence > 0 && d[i].confidence <= 1);
            double err = hypot(d[i].x - tx, d[i].y - ty);
            if (s->target && err <= 2.0 && !hit) {
                hit = true;
                sc.err_sum += err;
                if (err > sc.err_max)
                    sc.err_max = err;
            } else if (!s->target || err > 6.0) {
                sc.false_alarms++;
                if (getenv("SKYDET_DEBUG"))
                    print_message("FA k=%d at %.1f,%.1f area %d c %.1f snr %.1f hits %d truth %.1f,%.1f\n", k, d[i].x, d[i].y, d[i].area, d[i].contrast, d[i].snr, d[i].hits, tx, ty);
            }
        }
        if (hit && sc.first_hit < 0)
            sc.first_hit = k;
        if (k >= warm && in_view) {
            sc.frames_scored++;
            sc.hits += hit;
        }
    }
    free(img);
    return sc;
}

static inline score run_scene(scene *s, const skydet_cfg *cfg, int nf, size_t stride)
{
    sg_errinfo e = {0};
    skydet *q = skydet_create(cfg, &e);
    if (!q)
        fail_msg("skydet_create: %s", e.msg);
    score sc = run_scene_on(s, q, nf, stride, 6); /* warm-up: first frame learns, then k-of-n */
    skydet_destroy(q);
    return sc;
}

#endif
