/* Helpers of the tests of dsp/camfeat and dsp/camcls (test_camfeat.c, test_camcls.c):
 * feature vectors addressed by name, and the features of a synthetic object with known
 * motion. Include after cmocka.h. */
#ifndef CAMFEAT_TEST_H
#define CAMFEAT_TEST_H

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "camfeat.h"

/* Index of the feature called name; fails the test when there is none. */
static int fidx(const char *name)
{
    for (int i = 0; i < CAMFEAT_N; i++)
        if (!strcmp(camfeat_name(i), name))
            return i;
    fail_msg("no feature %s", name);
    return -1;
}

/* Feeds n frames of one object (track id 7) whose centre and size follow the callbacks,
 * and returns the features of the last frame. Background: flat grey 120, or a random
 * texture (seeded) when textured; the object is a dark square. */
typedef struct {
    double x0, y0, vx, vy; /* px, px/frame */
    double size, flap_amp; /* px; size oscillation amplitude px (period 6 frames) */
    bool textured;
} motion;

/* A w x h GRAY8 frame of one grey level (free() it). */
static uint8_t *flat_frame(int w, int h, int grey)
{
    uint8_t *img = malloc((size_t)w * h);
    assert_non_null(img);
    memset(img, grey, (size_t)w * h);
    return img;
}

/* A visible-camera feature extractor for w x h frames keeping max_tracks histories. */
static camfeat *new_camfeat(int w, int h, int max_tracks)
{
    sg_errinfo e = {0};
    camfeat *f = camfeat_create(w, h, false, max_tracks, &e);
    if (!f)
        fail_msg("camfeat_create: %s", e.msg);
    return f;
}

/* A dark detection (polarity -1) of track id, centre (x, y) px, box x0..x1 x y0..y1 (its
 * area is the box's). */
static skydet_det dark_det(double x, double y, int x0, int x1, int y0, int y1, double contrast,
                           double snr, uint32_t id)
{
    return (skydet_det){.x = x, .y = y, .x0 = x0, .x1 = x1, .y0 = y0, .y1 = y1,
                        .area = (x1 - x0 + 1) * (y1 - y0 + 1), .contrast = contrast,
                        .snr = snr, .polarity = -1, .track_id = id};
}

static void run_object(const motion *m, int n, float out[CAMFEAT_N])
{
    const int w = 200, h = 160;
    uint8_t *img = flat_frame(w, h, 120);
    uint64_t s = 12345;
    for (int i = 0; m->textured && i < w * h; i++) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        img[i] = (uint8_t)(60 + (s >> 40) % 120);
    }
    camfeat *f = new_camfeat(w, h, 8);
    skydet_det d;
    for (int k = 0; k < n; k++) {
        double size = m->size + m->flap_amp * sin(2 * M_PI * k / 6.0);
        double x = m->x0 + m->vx * k, y = m->y0 + m->vy * k;
        int half = (int)lround(size / 2), cx = (int)lround(x), cy = (int)lround(y);
        d = dark_det(x, y, cx - half, cx + half, cy - half, cy + half, 50, 20, 7);
        camfeat_update(f, &d, 1);
    }
    for (int y = d.y0; y <= d.y1; y++)
        for (int x = d.x0; x <= d.x1; x++)
            img[y * w + x] = 40;
    assert_int_equal(camfeat_compute(f, img, (size_t)w, &d, out), SG_OK);
    camfeat_destroy(f);
    free(img);
}

#endif
