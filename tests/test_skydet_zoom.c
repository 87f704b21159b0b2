/* Sky detector zoom compensation (skydet max_zoom_pct, skymotion's zoom model) against
 * generated frames of known geometry: a textured world (sky gradient, cloud puffs, small
 * static structures in the sky, a tree line) seen by a camera that pans and zooms in by a
 * known factor per frame (2x in all), with a small target moving in the sky. Without
 * compensation every edge of the background fires; with it the zoom is measured within a
 * stated tolerance, the background stays suppressed and the target is kept. A scene cut
 * is a counted relearn, not a flood; plain sky (nothing to fit) is left alone; every
 * invalid configuration is refused by name. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sg_json.h"
#include "skydet.h"
#include "skymotion.h"

#define SEED 0x200a
#include "test_rng.h"

enum { FW = 240, FH = 192, WW = 320, WH = 224, HORIZON = 150 };

/* The world, grey levels per world px (bilinear between them). */
static void make_world(float *wd, uint64_t seed)
{
    rng = seed;
    for (int y = 0; y < WH; y++)
        for (int x = 0; x < WW; x++)
            wd[y * WW + x] = (float)(150 + 60.0 * y / WH);
    for (int i = 0; i < 160; i++) { /* cloud puffs, 3..10 px, both signs */
        double cx = urand() * WW, cy = urand() * HORIZON, sg = 3 + 7 * urand();
        double a = (urand() - 0.4) * 30;
        for (int y = (int)fmax(0, cy - 3 * sg); y < fmin(WH, cy + 3 * sg); y++)
            for (int x = (int)fmax(0, cx - 3 * sg); x < fmin(WW, cx + 3 * sg); x++)
                wd[y * WW + x] += (float)(a * exp(-((x - cx) * (x - cx) + (y - cy) * (y - cy)) /
                                                  (2 * sg * sg)));
    }
    for (int i = 0; i < 30; i++) { /* small static structures (masts, kites) */
        int x = 5 + (int)(urand() * (WW - 10)), y = 5 + (int)(urand() * (HORIZON - 15));
        for (int j = 0; j < 2; j++)
            for (int k = 0; k < 3; k++)
                wd[(y + j) * WW + x + k] = 90;
    }
    for (int y = HORIZON; y < WH; y++) /* dark textured trees */
        for (int x = 0; x < WW; x++)
            wd[y * WW + x] = (float)(40 + urand() * 60);
    /* the optics: [1 2 1] / 4 twice each way (a blur of about 1 world px) */
    float *t = malloc(sizeof *t * WW * WH);
    assert_non_null(t);
    for (int pass = 0; pass < 4; pass++) {
        bool horiz = pass % 2 == 0;
        memcpy(t, wd, sizeof *t * WW * WH);
        for (int y = 1; y < WH - 1; y++)
            for (int x = 1; x < WW - 1; x++) {
                int o = horiz ? 1 : WW;
                wd[y * WW + x] = 0.25f * t[y * WW + x - o] + 0.5f * t[y * WW + x] +
                                 0.25f * t[y * WW + x + o];
            }
    }
    free(t);
}

static double world_at(const float *wd, double x, double y)
{
    x = fmin(fmax(x, 0), WW - 1.001);
    y = fmin(fmax(y, 0), WH - 1.001);
    int ix = (int)x, iy = (int)y;
    double fx = x - ix, fy = y - iy;
    const float *p = wd + iy * WW + ix;
    return (1 - fy) * ((1 - fx) * p[0] + fx * p[1]) + fy * ((1 - fx) * p[WW] + fx * p[WW + 1]);
}

/* The camera at frame k: looks at world (X, Y) with zoom z and roll th (rad). */
typedef struct {
    double X, Y, z, th;
} view;

/* Renders a view, plus a dark target at image (tx, ty) and sensor noise. */
static void render(const float *wd, const view *v, double tx, double ty, uint8_t *img)
{
    const double cx = 0.5 * (FW - 1), cy = 0.5 * (FH - 1), c = cos(v->th), s = sin(v->th);
    for (int y = 0; y < FH; y++)
        for (int x = 0; x < FW; x++) {
            /* image = c + z R(th) (world - (X, Y)) */
            double ux = (x - cx) / v->z, uy = (y - cy) / v->z;
            double wx = v->X + c * ux + s * uy, wy = v->Y - s * ux + c * uy;
            double dx = x - tx, dy = y - ty;
            double val = world_at(wd, wx, wy) - 40 * exp(-(dx * dx + dy * dy) / 2.0) +
                         2.0 * grand();
            img[y * FW + x] = (uint8_t)(val < 0 ? 0 : val > 255 ? 255 : lrint(val));
        }
}

#define STILL 10 /* frames before the zoom starts (panning) */
#define WARM 20  /* the target is scored from here: the noise model's warm-up over clouds */
#define NZOOM 60 /* frames zooming: 1.012^60 = 2.05 */
#define ZSTEP 1.012

typedef struct {
    int fa, hits, scored, fa_cut;
    double zerr_max, zerr_sum, roll_err_max;
    int nz;
    skydet_stats st;
} zscore;

/* mode 0: no motion compensation, 1: translation only, 2: zoom. roll: rad per frame while
 * zooming. cut: frames of another world appended after the zoom. */
static zscore run(int mode, double roll, int cut, uint64_t seed)
{
    zscore sc = {0};
    float *wd = malloc(sizeof *wd * WW * WH), *wd2 = malloc(sizeof *wd2 * WW * WH);
    uint8_t *img = malloc(FW * FH);
    assert_non_null(wd);
    assert_non_null(wd2);
    assert_non_null(img);
    make_world(wd, seed);
    make_world(wd2, seed ^ 0xc0ffee);
    rng = seed * 7 + 1; /* the sensor noise */
    skydet_cfg c;
    skydet_cfg_default(&c, FW, FH);
    c.max_shift_px = mode ? 16 : 0;
    c.max_zoom_pct = mode == 2 ? 2 : 0;
    sg_errinfo e = {0};
    skydet *q = skydet_create(&c, &e);
    if (!q)
        fail_msg("skydet_create: %s", e.msg);
    view v = {130, 100, 1, 0};
    uint64_t warped = 0;
    for (int k = 0; k < STILL + NZOOM + cut; k++) {
        bool zooming = k >= STILL && k < STILL + NZOOM;
        v.X += 0.8; /* pan right and a little down, world px per frame */
        v.Y += 0.2;
        if (zooming) {
            v.z *= ZSTEP;
            v.th += roll;
        }
        double tx = 40 + 1.2 * k, ty = 50 + 0.5 * k;
        render(k < STILL + NZOOM ? wd : wd2, &v, tx, ty, img);
        const skydet_det *d;
        size_t n;
        assert_int_equal(skydet_process(q, img, FW, &d, &n), SG_OK);
        bool hit = false;
        for (size_t i = 0; i < n; i++) {
            double err = hypot(d[i].x - tx, d[i].y - ty);
            if (err <= 2.0)
                hit = true;
            else if (err > 6.0) {
                if (k < STILL + NZOOM)
                    sc.fa++;
                else
                    sc.fa_cut++;
            }
        }
        if (k >= WARM && k < STILL + NZOOM) {
            sc.scored++;
            sc.hits += hit;
        }
        skydet_stats st;
        skydet_get_stats(q, &st);
        bool fitted = st.frames_warped != warped;
        warped = st.frames_warped;
        if (zooming && mode == 2 && k > STILL && fitted) { /* the frames the model was used */
            double ze = fabs(st.zoom - ZSTEP), re = fabs(st.roll_deg * M_PI / 180 - roll);
            sc.zerr_max = fmax(sc.zerr_max, ze);
            sc.zerr_sum += st.zoom - ZSTEP;
            sc.roll_err_max = fmax(sc.roll_err_max, re);
            sc.nz++;
        }
    }
    skydet_get_stats(q, &sc.st);
    skydet_destroy(q);
    free(wd);
    free(wd2);
    free(img);
    return sc;
}

/* Three scenes (seeds): false alarms without compensation, with translation only and
 * with the zoom model; the target; the measured zoom against the truth. */
static void test_zoom_compensated(void **state)
{
    (void)state;
    static const uint64_t seeds[] = {0x200a, 0x200b, 0x200e};
    int fa[3] = {0}, hits[3] = {0}, scored = 0;
    double zmax = 0, zbias = 0;
    int nz = 0;
    for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
        zscore s0 = run(0, 0, 0, seeds[i]), s1 = run(1, 0, 0, seeds[i]), s2 = run(2, 0, 0, seeds[i]);
        print_message("zoom %.1f %%/frame x %d (%.2fx) + pan, seed 0x%llx: false alarms %d without, "
                      "%d translation only, %d zoom model; target %d / %d without, %d with; zoom "
                      "error max %.5f, mean %+.5f; %llu warped, %llu resets, %llu flat\n",
                      100 * (ZSTEP - 1), NZOOM, pow(ZSTEP, NZOOM), (unsigned long long)seeds[i],
                      s0.fa, s1.fa, s2.fa, s0.hits, s0.scored, s2.hits,
                      s2.zerr_max, s2.zerr_sum / s2.nz, (unsigned long long)s2.st.frames_warped,
                      (unsigned long long)s2.st.motion_resets, (unsigned long long)s2.st.motion_flat);
        fa[0] += s0.fa;
        fa[1] += s1.fa;
        fa[2] += s2.fa;
        hits[0] += s0.hits;
        hits[2] += s2.hits;
        scored += s2.scored;
        zmax = fmax(zmax, s2.zerr_max);
        zbias += s2.zerr_sum;
        nz += s2.nz;
        assert_true(s2.st.frames_warped >= NZOOM - 3);
        assert_true(s2.st.motion_resets <= 2);
    }
    print_message("all: false alarms %d without, %d translation only, %d zoom model (%.0f %% fewer); "
                  "target %d / %d without, %d with; zoom error max %.5f, mean %+.5f\n", fa[0], fa[1],
                  fa[2], 100.0 * (1 - (double)fa[2] / fa[0]), hits[0], scored, hits[2], zmax,
                  zbias / nz);
    assert_true(fa[0] >= 600);             /* the zooming background fires without it */
    assert_true(fa[1] * 10 >= fa[0] * 9);  /* translation alone does not help */
    assert_true(fa[2] * 2 <= fa[0]);       /* stated: at least half of them removed */
    assert_true(hits[2] >= hits[0]);       /* the target is not lost to the compensation */
    assert_true(hits[2] >= 0.8 * scored);
    assert_true(zmax <= 0.008);            /* stated: zoom within 0.8 % every fitted frame */
    assert_true(fabs(zbias / nz) <= 0.0005);
}

static void test_zoom_with_roll(void **state)
{
    (void)state;
    const double roll = 0.2 * M_PI / 180; /* 0.2 degrees per frame, 12 in all */
    zscore s0 = run(0, roll, 0, 0x200b), s2 = run(2, roll, 0, 0x200b);
    print_message("zoom + roll 0.2 deg/frame (seed 0x200b): false alarms %d without, %d with; "
                  "target %d / %d; zoom error max %.5f, roll error max %.4f deg\n",
                  s0.fa, s2.fa, s2.hits, s2.scored, s2.zerr_max, s2.roll_err_max * 180 / M_PI);
    assert_true(s2.fa * 10 <= s0.fa * 3); /* stated: >= 70 % removed */
    assert_true(s2.hits >= 0.9 * s2.scored);
    assert_true(s2.zerr_max <= 0.008);
    assert_true(s2.roll_err_max <= 0.25 * M_PI / 180); /* stated: 0.25 degrees every frame */
    assert_int_equal(s2.st.motion_resets, 0);
}

/* The view jumps to another world after the zoom: the zoom model finds no motion that
 * explains it and relearns (one counted reset) instead of firing on everything. */
static void test_scene_cut_resets(void **state)
{
    (void)state;
    zscore s1 = run(1, 0, 12, 0x200c), s2 = run(2, 0, 12, 0x200c);
    print_message("scene cut (seed 0x200c): false alarms in the 12 frames after it: %d "
                  "translation only, %d zoom model; resets %llu\n",
                  s1.fa_cut, s2.fa_cut, (unsigned long long)s2.st.motion_resets);
    assert_int_equal(s2.st.motion_resets, 1);
    assert_true(s1.fa_cut >= 30);
    assert_true(s2.fa_cut * 10 <= s1.fa_cut);
}

/* A detector for FW x FH frames with zoom compensation on (max_shift_px 16, 2 %/frame). */
static skydet *zoom_detector(void)
{
    skydet_cfg c;
    skydet_cfg_default(&c, FW, FH);
    c.max_shift_px = 16;
    c.max_zoom_pct = 2;
    sg_errinfo e = {0};
    skydet *q = skydet_create(&c, &e);
    if (!q)
        fail_msg("%s", e.msg);
    return q;
}

/* Every frame unrelated to the last (a textured random image each time): the first loss
 * resets, the ones after it are left uncompensated (counted), not reset every frame. */
static void test_lost_resets_once(void **state)
{
    (void)state;
    skydet *q = zoom_detector();
    uint8_t *img = malloc(FW * FH);
    assert_non_null(img);
    rng = 0x200f;
    for (int k = 0; k < 12; k++) {
        for (int i = 0; i < FW * FH; i++)
            img[i] = (uint8_t)(urand() * 200);
        const skydet_det *d;
        size_t n;
        assert_int_equal(skydet_process(q, img, FW, &d, &n), SG_OK);
    }
    skydet_stats st;
    skydet_get_stats(q, &st);
    print_message("12 unrelated frames (seed 0x200f): %llu resets, %llu left, %llu warped\n",
                  (unsigned long long)st.motion_resets, (unsigned long long)st.motion_flat,
                  (unsigned long long)st.frames_warped);
    assert_int_equal(st.motion_resets, 1);
    assert_true(st.motion_flat >= 9);
    skydet_destroy(q);
    free(img);
}

/* Plain sky (gradient, noise, the target): too little texture for a fit; nothing is
 * reset or warped and the target is found as without compensation. */
static void test_plain_sky_left_alone(void **state)
{
    (void)state;
    skydet *q = zoom_detector();
    uint8_t *img = malloc(FW * FH);
    assert_non_null(img);
    rng = 0x200d;
    int hits = 0, scored = 0, fa = 0;
    for (int k = 0; k < 50; k++) {
        double tx = 40 + 1.5 * k, ty = 60 + 0.4 * k;
        for (int y = 0; y < FH; y++)
            for (int x = 0; x < FW; x++) {
                double dx = x - tx, dy = y - ty;
                double v = 140 + 50.0 * y / FH + 0.1 * x - 40 * exp(-(dx * dx + dy * dy) / 2.0) +
                           2.0 * grand();
                img[y * FW + x] = (uint8_t)lrint(v);
            }
        const skydet_det *d;
        size_t n;
        assert_int_equal(skydet_process(q, img, FW, &d, &n), SG_OK);
        bool hit = false;
        for (size_t i = 0; i < n; i++) {
            if (hypot(d[i].x - tx, d[i].y - ty) <= 2.0)
                hit = true;
            else
                fa++;
        }
        if (k >= 6) {
            scored++;
            hits += hit;
        }
    }
    skydet_stats st;
    skydet_get_stats(q, &st);
    print_message("plain sky (seed 0x200d): target %d / %d, %d false alarms, %llu flat, %llu warped, "
                  "%llu resets\n", hits, scored, fa, (unsigned long long)st.motion_flat,
                  (unsigned long long)st.frames_warped, (unsigned long long)st.motion_resets);
    assert_int_equal(st.motion_resets, 0);
    assert_int_equal(st.frames_warped, 0);
    assert_true(st.motion_flat >= 40);
    assert_true(hits >= 0.95 * scored);
    assert_int_equal(fa, 0);
    skydet_destroy(q);
    free(img);
}

/* The warp alone: a known similarity moves a smooth test image to where the analytic
 * image lies (cubic interpolation error small); pixels from outside are NAN. */
static void test_warp_exact(void **state)
{
    (void)state;
    const int w = 96, h = 80;
    sg_errinfo e = {0};
    skymotion *m = skymotion_create(w, h, 8, &e);
    assert_non_null(m);
    assert_int_equal(skymotion_enable_zoom(m, 0.05, 0.5, &e), SG_OK);
    float *img = malloc(sizeof *img * w * h);
    assert_non_null(img);
#define F(x, y) (100 + 30 * sin(0.21 * (x)) * cos(0.17 * (y)) + 0.3 * (x))
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            img[y * w + x] = (float)F(x, y);
    skymotion_fit f = {.zoom = 0.97, .roll = 0.01, .tx = 1.7, .ty = -0.6};
    skymotion_warp(m, &f, img);
    double err = 0;
    int nan = 0;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            /* where (x, y) came from */
            double px = x, py = y, vx = 0, vy = 0;
            skymotion_fit inv = {.zoom = 1 / f.zoom, .roll = -f.roll};
            px -= f.tx;
            py -= f.ty;
            skymotion_fit_apply(m, &inv, &px, &py, &vx, &vy);
            bool inside = px >= -0.5 && px <= w - 0.5 && py >= -0.5 && py <= h - 0.5;
            if (isnan(img[y * w + x])) {
                nan++;
                assert_false(inside && px > 1 && py > 1 && px < w - 2 && py < h - 2);
            } else if (px > 2 && py > 2 && px < w - 3 && py < h - 3) {
                err = fmax(err, fabs(img[y * w + x] - F(px, py)));
            }
        }
#undef F
    print_message("warp zoom 0.97, roll 0.01 rad, shift (1.7, -0.6): max error %.3f grey levels, "
                  "%d px from outside\n", err, nan);
    assert_true(err < 0.3);
    assert_true(nan > 0);
    free(img);
    skymotion_destroy(m);
}

static void test_bad_zoom_config(void **state)
{
    (void)state;
    skydet_cfg c;
    sg_errinfo e = {0};
    const struct {
        double zoom, conf;
        int shift;
        const char *name;
    } bad[] = {
        {0.05, 0.5, 16, "max_zoom_pct"}, {11, 0.5, 16, "max_zoom_pct"},
        {NAN, 0.5, 16, "max_zoom_pct"},  {-1, 0.5, 16, "max_zoom_pct"},
        {2, 0.5, 0, "max_zoom_pct"},     {2, 0.05, 16, "motion_min_conf"},
        {2, 1.5, 16, "motion_min_conf"}, {2, NAN, 16, "motion_min_conf"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        skydet_cfg_default(&c, 320, 256);
        c.max_zoom_pct = bad[i].zoom;
        c.motion_min_conf = bad[i].conf;
        c.max_shift_px = bad[i].shift;
        e = (sg_errinfo){0};
        assert_null(skydet_create(&c, &e));
        if (!strstr(e.msg, bad[i].name))
            fail_msg("case %zu: error '%s' does not name %s", i, e.msg, bad[i].name);
    }
    /* frames too small for the block grid at this max_shift */
    skydet_cfg_default(&c, 64, 64);
    c.max_shift_px = 32;
    c.max_zoom_pct = 2;
    assert_null(skydet_create(&c, &e));
    assert_non_null(strstr(e.msg, "zoom"));
    skymotion *m = skymotion_create(320, 256, 16, &e);
    assert_non_null(m);
    assert_int_not_equal(skymotion_enable_zoom(m, 0.5, 0.5, &e), SG_OK);
    assert_int_not_equal(skymotion_enable_zoom(m, 0.02, 0, &e), SG_OK);
    skymotion_destroy(m);

    const char *json[][2] = {
        {"{\"max_shift_px\": 16, \"max_zoom_pct\": 0.01}", "det.max_zoom_pct"},
        {"{\"max_shift_px\": 16, \"max_zoom_pct\": 12}", "det.max_zoom_pct"},
        {"{\"max_zoom_pct\": 2}", "det.max_zoom_pct"},
        {"{\"max_shift_px\": 16, \"max_zoom_pct\": \"2\"}", "det.max_zoom_pct"},
        {"{\"max_shift_px\": 16, \"max_zoom_pct\": 2, \"motion_min_conf\": 0}",
         "det.motion_min_conf"},
        {"{\"motion_min_conf\": 1.2}", "det.motion_min_conf"},
    };
    for (size_t i = 0; i < sizeof json / sizeof json[0]; i++) {
        cJSON *j = cJSON_Parse(json[i][0]);
        assert_non_null(j);
        skydet_cfg_default(&c, 320, 256);
        e = (sg_errinfo){0};
        assert_int_not_equal(skydet_cfg_from_json(&c, j, "det", &e), SG_OK);
        if (!strstr(e.msg, json[i][1]))
            fail_msg("%s: error '%s' does not name %s", json[i][0], e.msg, json[i][1]);
        cJSON_Delete(j);
    }
    cJSON *j = cJSON_Parse("{\"max_shift_px\": 16, \"max_zoom_pct\": 1.5, \"motion_min_conf\": 0.6}");
    skydet_cfg_default(&c, 320, 256);
    assert_int_equal(skydet_cfg_from_json(&c, j, "det", &e), SG_OK);
    assert_true(c.max_zoom_pct == 1.5 && c.motion_min_conf == 0.6);
    assert_int_equal(skydet_cfg_check(&c, &e), SG_OK);
    cJSON_Delete(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zoom_compensated),
        cmocka_unit_test(test_zoom_with_roll),
        cmocka_unit_test(test_scene_cut_resets),
        cmocka_unit_test(test_lost_resets_once),
        cmocka_unit_test(test_plain_sky_left_alone),
        cmocka_unit_test(test_warp_exact),
        cmocka_unit_test(test_bad_zoom_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
