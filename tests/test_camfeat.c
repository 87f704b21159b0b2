/* Camera object features (dsp/camfeat):
 *   - features of synthetic objects with known motion and appearance: a rigid object
 *     flying straight (straightness 1, no periodicity, speed as set), a flapping one
 *     (size period 6 frames: periodicity high), a hovering one (hover 1), an object on
 *     a textured background vs open sky (ring texture);
 *   - the whole-object extent and the sky context of a wide bar of which the box holds
 *     a piece;
 *   - bad arguments refused, history eviction counted;
 *   - appearance crops (camfeat_crops) of a known square: position, scale, normalisation.
 * The classifier that reads them is tested in test_camcls.c. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "camfeat.h"
#include "camfeat_test.h"
#include "sg_assert.h"

static void test_features_motion(void **state)
{
    (void)state;
    float straight[CAMFEAT_N], flap[CAMFEAT_N], hover[CAMFEAT_N];
    run_object(&(motion){30, 40, 2.0, 0.5, 9, 0, false}, 40, straight);
    run_object(&(motion){30, 40, 2.0, 0.5, 11, 4, false}, 40, flap);
    run_object(&(motion){100, 80, 0, 0, 9, 0, false}, 40, hover);
    print_message("straight: speed %.3f straightness %.3f periodicity %.3f hover %.2f\n",
                  straight[fidx("speed_px")], straight[fidx("straightness")],
                  straight[fidx("periodicity")], straight[fidx("hover")]);
    print_message("flap: periodicity %.3f size_cv %.3f; hover: hover %.2f\n",
                  flap[fidx("periodicity")], flap[fidx("size_cv")], hover[fidx("hover")]);
    assert_near(straight[fidx("speed_px")], log(1 + hypot(2.0, 0.5)), 0.05);
    assert_near(straight[fidx("straightness")], 1.0, 0.02);
    assert_near(straight[fidx("turn_rate")], 0.0, 0.05);
    assert_near(straight[fidx("hover")], 0.0, 1e-6);
    assert_near(straight[fidx("hit_rate")], 1.0, 1e-6);
    assert_true(straight[fidx("periodicity")] < 0.2);
    assert_true(flap[fidx("periodicity")] > 0.6);
    assert_true(flap[fidx("size_cv")] > 0.15);
    assert_near(hover[fidx("hover")], 1.0, 1e-6);
    assert_near(hover[fidx("speed_px")], 0.0, 1e-6);
    assert_near(straight[fidx("log_age")], log(1 + 39.0), 1e-4);
    assert_near(straight[fidx("log2_w")], log2(11), 1e-6); /* box of half 5: 11 px */
    assert_near(straight[fidx("thermal")], 0, 0);
}

static void test_features_appearance(void **state)
{
    (void)state;
    float sky[CAMFEAT_N], trees[CAMFEAT_N];
    run_object(&(motion){100, 80, 0.5, 0, 9, 0, false}, 10, sky);
    run_object(&(motion){100, 80, 0.5, 0, 9, 0, true}, 10, trees);
    print_message("ring4 sd: sky %.2f trees %.2f; ring2 diff sky %.2f\n", sky[fidx("ring4_sd")],
                  trees[fidx("ring4_sd")], sky[fidx("ring2_diff")]);
    assert_near(sky[fidx("ring4_sd")], 0.0, 1e-6); /* flat grey: log(1 + 0) */
    assert_near(sky[fidx("ring8_sd")], 0.0, 1e-6);
    assert_true(trees[fidx("ring4_sd")] > log(1 + 20.0)); /* uniform 60..180: sd ~35 */
    /* dark box (40) on 120: (40 - 120) / (0 + 2) */
    assert_near(sky[fidx("ring2_diff")], -40.0, 1e-3);
    assert_near(sky[fidx("box_sd")], 0.0, 1e-6);
}

/* Whole object and sky context: a dark 31 x 5 px bar flying along its long axis on flat
 * grey, of which the detector's box holds only a 7 x 5 px middle piece (as the top-hat
 * sees a wide object): the extent features measure the whole bar (31 px wide, 5 high,
 * elongated, aligned with the motion). Sky map of 10 x 10 blocks of 16 px whose lower
 * half is textured (10 grey levels above the median): an object in the upper half has
 * open sky above, texture below and lies above the skyline; one in the lower half the
 * opposite. Without a map the sky features are 0. */
static void bar_features(double cy, const float *tex, float out[CAMFEAT_N])
{
    const int w = 160, h = 160;
    uint8_t *img = flat_frame(w, h, 120);
    camfeat *f = new_camfeat(w, h, 8);
    skydet_det d;
    for (int k = 0; k < 10; k++) {
        double x = 60 + 2.0 * k;
        d = dark_det(x, cy, (int)x - 3, (int)x + 3, (int)cy - 2, (int)cy + 2, 80, 30, 3);
        camfeat_update(f, &d, 1);
    }
    for (int y = d.y0; y <= d.y1; y++)
        for (int x = (int)d.x - 15; x <= (int)d.x + 15; x++)
            img[y * w + x] = 40;
    if (tex)
        camfeat_set_sky(f, tex, 10, 10, 16, 0.0f);
    assert_int_equal(camfeat_compute(f, img, (size_t)w, &d, out), SG_OK);
    camfeat_destroy(f);
    free(img);
}

static void test_features_whole_object_and_sky(void **state)
{
    (void)state;
    float tex[100], up[CAMFEAT_N], low[CAMFEAT_N], none[CAMFEAT_N];
    for (int i = 0; i < 100; i++)
        tex[i] = i >= 50 ? 10.0f : 0.0f;
    bar_features(40, tex, up);
    bar_features(120, tex, low);
    bar_features(40, NULL, none);
    print_message("bar: ext %.2f x %.2f (log2) ratio %.2f elong %.2f align %.2f fill %.2f\n",
                  up[fidx("ext_log2_w")], up[fidx("ext_log2_h")], up[fidx("ext_ratio")],
                  up[fidx("ext_elong")], up[fidx("ext_align")], up[fidx("ext_fill")]);
    assert_near(up[fidx("log2_w")], log2(7), 1e-6);
    assert_near(up[fidx("ext_log2_w")], log2(31), 0.15);
    assert_near(up[fidx("ext_log2_h")], log2(5), 0.3);
    assert_near(up[fidx("ext_ratio")], log2(31.0 / 7), 0.15);
    assert_true(up[fidx("ext_elong")] > 1.0);          /* major/minor sd ~ 6 */
    assert_near(up[fidx("ext_align")], 1.0, 0.02);     /* long axis along the motion */
    assert_true(up[fidx("ext_fill")] > 0.8);
    assert_near(up[fidx("sky_above")], 0.0, 1e-6);
    assert_near(up[fidx("sky_below")], 50.0 / 7, 1e-4); /* rows 3..9, 5 of them textured */
    assert_near(up[fidx("skyline_depth")], -0.3, 1e-6); /* block row 2, skyline at row 5 */
    assert_true(low[fidx("sky_above")] > 2.0);
    assert_near(low[fidx("skyline_depth")], 0.2, 1e-6); /* block row 7 - 5, of 10 */
    assert_near(none[fidx("sky_above")], 0.0, 0);
    assert_near(none[fidx("skyline_depth")], 0.0, 0);
}

static void test_features_bad_args(void **state)
{
    (void)state;
    sg_errinfo e = {0};
    assert_null(camfeat_create(8, 100, false, 8, &e));
    assert_int_equal(e.code, SG_ERANGE);
    assert_null(camfeat_create(100, 100, false, 0, &e));
    assert_non_null(strstr(e.msg, "max_tracks"));
    camfeat *f = camfeat_create(100, 100, true, 1, &e);
    assert_non_null(f);
    float x[CAMFEAT_N];
    assert_int_equal(camfeat_compute(f, NULL, 100, NULL, x), SG_EINVAL);
    /* two objects, one slot: the older history is evicted and counted */
    skydet_det d[2] = {{.x = 10, .y = 10, .x0 = 9, .x1 = 11, .y0 = 9, .y1 = 11, .track_id = 1},
                       {.x = 50, .y = 50, .x0 = 49, .x1 = 51, .y0 = 49, .y1 = 51, .track_id = 2}};
    camfeat_update(f, d, 2);
    camfeat_stats st;
    camfeat_get_stats(f, &st);
    assert_int_equal(st.evicted, 1);
    assert_null(camfeat_name(CAMFEAT_N));
    camfeat_destroy(f);
}

/* A dark 6x6 square (grey 40) centred at (50.5, 40.5) on flat 120: at scale 0 (window 12
 * px, cells 0.75 px) it fills the middle 8x8 cells, at scale 1 (24 px) the middle 4x4, at
 * scale 2 (48 px, cells 3 px) the middle 2x2;
 * each crop has mean 0 and sd 1 after normalisation. A flat frame gives zeros (sd floor). */
static void test_crops(void **state)
{
    (void)state;
    const int w = 100, h = 80;
    uint8_t *img = flat_frame(w, h, 120);
    camfeat *f = new_camfeat(w, h, 4);
    skydet_det d = {.x = 50.5, .y = 40.5, .x0 = 48, .x1 = 53, .y0 = 38, .y1 = 43, .track_id = 1};
    float c[CAMCROP_N];
    assert_int_equal(camfeat_crops(f, img, (size_t)w, &d, c), SG_OK);
    for (int i = 0; i < CAMCROP_N; i++)
        assert_near(c[i], 0.0, 1e-6);
    for (int y = 38; y <= 43; y++)
        memset(img + (size_t)y * w + 48, 40, 6);
    assert_int_equal(camfeat_crops(f, img, (size_t)w, &d, c), SG_OK);
    static const int inner[CAMCROP_SCALES][2] = {{4, 11}, {6, 9}, {7, 8}}; /* inside */
    for (int s = 0; s < CAMCROP_SCALES; s++) {
        const float *o = c + s * CAMCROP_PX * CAMCROP_PX;
        double m = 0, m2 = 0;
        for (int r = 0; r < CAMCROP_PX; r++)
            for (int q = 0; q < CAMCROP_PX; q++) {
                float v = o[r * CAMCROP_PX + q];
                bool in = r >= inner[s][0] && r <= inner[s][1] && q >= inner[s][0] && q <= inner[s][1];
                if (in != (v < 0))
                    fail_msg("scale %d cell (%d,%d) = %g: %s the square", s, r, q, v,
                             in ? "inside" : "outside");
                m += v;
                m2 += (double)v * v;
            }
        m /= CAMCROP_PX * CAMCROP_PX;
        assert_near(m, 0.0, 1e-4);
        assert_near(sqrt(m2 / (CAMCROP_PX * CAMCROP_PX) - m * m), 1.0, 1e-3);
    }
    /* at the frame corner the window repeats the edge: finite, and bad arguments refused */
    skydet_det corner = {.x = 0, .y = 0, .x0 = 0, .x1 = 3, .y0 = 0, .y1 = 3};
    assert_int_equal(camfeat_crops(f, img, (size_t)w, &corner, c), SG_OK);
    for (int i = 0; i < CAMCROP_N; i++)
        assert_true(isfinite(c[i]));
    assert_int_equal(camfeat_crops(f, NULL, (size_t)w, &d, c), SG_EINVAL);
    camfeat_destroy(f);
    free(img);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_features_motion),   cmocka_unit_test(test_features_appearance),
        cmocka_unit_test(test_features_whole_object_and_sky),
        cmocka_unit_test(test_features_bad_args), cmocka_unit_test(test_crops),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
