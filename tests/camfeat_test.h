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

static void run_object(const motion *m, int n, float out[CAMFEAT_N])
{
    const int w = 200, h = 160;
    uint8_t *img = malloc((size_t)w * h);
    assert_non_null(img);
    uint64_t s = 12345;
    for (int i = 0; i < w * h; i++) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        img[i] = (uint8_t)(m->textured ? 60 + (s >> 40) % 120 : 120);
    }
    sg_errinfo e = {0};
    camfeat *f = camfeat_create(w, h, false, 8, &e);
    assert_non_null(f);
    skydet_det d;
    for (int k = 0; k < n; k++) {
        double size = m->size + m->flap_amp * sin(2 * M_PI * k / 6.0);
        memset(&d, 0, sizeof d);
        d.x = m->x0 + m->vx * k;
        d.y = m->y0 + m->vy * k;
        int half = (int)lround(size / 2);
        d.x0 = (int)lround(d.x) - half;
        d.x1 = (int)lround(d.x) + half;
        d.y0 = (int)lround(d.y) - half;
        d.y1 = (int)lround(d.y) + half;
        d.area = (2 * half + 1) * (2 * half + 1);
        d.contrast = 50;
        d.snr = 20;
        d.polarity = -1;
        d.track_id = 7;
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
