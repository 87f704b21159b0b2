/* Camera object features (dsp/camfeat) and classifier (dsp/camcls):
 *   - features of synthetic objects with known motion and appearance: a rigid object
 *     flying straight (straightness 1, no periodicity, speed as set), a flapping one
 *     (size period 6 frames: periodicity high), a hovering one (hover 1), an object on
 *     a textured background vs open sky (ring texture);
 *   - the inference against hand-computed logits (MLP + temperature);
 *   - every malformed model file fails, naming the member;
 *   - the committed model (config/camcls.json) loads, matches the extractor's feature
 *     list and gives probabilities that sum to 1;
 *   - camera_classify's publishing rule (drone above drone_min_conf, else "uncertain"). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "camcls.h"
#include "camera.h"
#include "camfeat.h"
#include "sg_assert.h"
#include "sg_json.h"

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
    uint8_t *img = malloc((size_t)w * h);
    assert_non_null(img);
    memset(img, 120, (size_t)w * h);
    sg_errinfo e = {0};
    camfeat *f = camfeat_create(w, h, false, 8, &e);
    assert_non_null(f);
    skydet_det d;
    for (int k = 0; k < 10; k++) {
        memset(&d, 0, sizeof d);
        d.x = 60 + 2.0 * k;
        d.y = cy;
        d.x0 = (int)d.x - 3;
        d.x1 = (int)d.x + 3;
        d.y0 = (int)cy - 2;
        d.y1 = (int)cy + 2;
        d.area = 35;
        d.contrast = 80;
        d.snr = 30;
        d.polarity = -1;
        d.track_id = 3;
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

/* A model text: one layer, W = 0 except W[k][0] = k (so logits = k * z0), mean 0,
 * scale 1 (z = x), temperature T. `tweak` replaces one fragment to break it. */
static char *model_text(double T, const char *from, const char *to)
{
    size_t cap = 1 << 16;
    char *s = malloc(cap), *p = s;
    assert_non_null(s);
    p += sprintf(p, "{\"format\":\"skyguard-camcls\",\"version\":1,\"features\":[");
    for (int i = 0; i < CAMFEAT_N; i++)
        p += sprintf(p, "%s\"%s\"", i ? "," : "", camfeat_name(i));
    p += sprintf(p, "],\"classes\":[\"drone\",\"bird\",\"airplane\",\"helicopter\",\"clutter\"],");
    for (int m = 0; m < 2; m++) {
        p += sprintf(p, "\"%s\":[", m ? "scale" : "mean");
        for (int i = 0; i < CAMFEAT_N; i++)
            p += sprintf(p, "%s%d", i ? "," : "", m);
        p += sprintf(p, "],");
    }
    p += sprintf(p, "\"layers\":[{\"W\":[");
    for (int k = 0; k < CAMCLS_N; k++) {
        p += sprintf(p, "%s[", k ? "," : "");
        for (int i = 0; i < CAMFEAT_N; i++)
            p += sprintf(p, "%s%d", i ? "," : "", i == 0 ? k : 0);
        p += sprintf(p, "]");
    }
    p += sprintf(p, "],\"b\":[0,0,0,0,0]}],\"temperature\":%g}", T);
    if (from) {
        char *at = strstr(s, from);
        assert_non_null(at);
        char *rest = strdup(at + strlen(from));
        assert_non_null(rest);
        sprintf(at, "%s%s", to, rest);
        free(rest);
    }
    return s;
}

static camcls *parse_model(const char *text, sg_errinfo *e)
{
    cJSON *doc = sgj_parse("model", text, strlen(text), e);
    if (!doc)
        return NULL;
    camcls *m = camcls_from_json(doc, "model", e);
    cJSON_Delete(doc);
    return m;
}

static void test_inference_math(void **state)
{
    (void)state;
    const double T = 2.0;
    char *t = model_text(T, NULL, NULL);
    sg_errinfo e = {0};
    camcls *m = parse_model(t, &e);
    if (!m)
        fail_msg("%s", e.msg);
    free(t);
    float x[CAMFEAT_N] = {0};
    double p[CAMCLS_N];
    for (double z0 = -3; z0 <= 3; z0 += 1.5) {
        x[0] = (float)z0;
        int best = camcls_predict(m, x, p);
        double den = 0;
        for (int k = 0; k < CAMCLS_N; k++)
            den += exp(k * z0 / T);
        for (int k = 0; k < CAMCLS_N; k++)
            assert_near(p[k], exp(k * z0 / T) / den, 1e-6);
        assert_int_equal(best, z0 > 0 ? CAMCLS_CLUTTER : CAMCLS_DRONE);
    }
    x[0] = 1e30f; /* extreme input: bounded activations, finite probabilities */
    camcls_predict(m, x, p);
    assert_near(p[0] + p[1] + p[2] + p[3] + p[4], 1.0, 1e-9);
    assert_near(p[CAMCLS_DRONE], 0.0, 1e-9); /* logit 0 against four bounded at 1e6 */
    assert_near(p[CAMCLS_CLUTTER], 0.25, 1e-9);
    x[0] = NAN; /* treated as the mean: all logits 0 */
    camcls_predict(m, x, p);
    assert_near(p[2], 0.2, 1e-9);
    camcls_destroy(m);
}

static void test_bad_models(void **state)
{
    (void)state;
    static const struct {
        const char *from, *to, *expect;
    } cases[] = {
        {"skyguard-camcls", "other", "format"},
        {"\"version\":1", "\"version\":2", "version"},
        {"\"thermal\"", "\"thermo\"", "features[0]: not a feature"},
        {"\"log2_w\"", "\"thermal\"", "features[1]: \"thermal\" listed twice"},
        {"\"features\":[", "\"features\":[\"thermal\",", "features: must have 1.."},
        {"\"clutter\"]", "\"noise\"]", "classes[4]"},
        {"\"scale\":[1,", "\"scale\":[0,", "scale[0]"},
        {"\"mean\":[0,", "\"mean\":[", "mean: must have"},
        {"\"b\":[0,0,0,0,0]", "\"b\":[0,0,0,0]", "b: must have 5"},
        {"\"temperature\":2", "\"temperature\":0", "temperature"},
        {"\"layers\":[", "\"layers\":[{\"W\":[[1]],\"b\":[0]},", "W row"},
        {"\"b\":[0,0,0,0,0]}", "\"b\":[0,0,0,0,0]},{\"W\":[[0,0,0,0,0]],\"b\":[0]}",
         "last layer must have 5"},
        {"\"mean\":[0,", "\"mean\":[\"x\",", "mean[0]"},
        {"\"version\":1", "\"version\":1,\"extra\":1", "extra"},
        {"\"b\":[0,0,0,0,0]", "\"b\":[0,0,0,0,1e300]", "b[4]: must be a finite number"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *t = model_text(2.0, cases[i].from, cases[i].to);
        sg_errinfo e = {0};
        camcls *m = parse_model(t, &e);
        if (m || !strstr(e.msg, cases[i].expect))
            fail_msg("case %zu (%s -> %s): %s, message \"%s\"", i, cases[i].from, cases[i].to,
                     m ? "accepted" : "wrong error", e.msg);
        free(t);
    }
    sg_errinfo e = {0};
    assert_null(camcls_load(SG_BINARY_DIR "/no_such_model.json", &e));
    assert_non_null(strstr(e.msg, "no_such_model.json"));
}

/* A model may read a subset of the extractor's features, by name, in its own order:
 * one input "log2_w" (extractor index 1), W[k] = k, T = 1: logits k * log2_w. */
static void test_feature_subset(void **state)
{
    (void)state;
    const char *t = "{\"format\":\"skyguard-camcls\",\"version\":1,\"features\":[\"log2_w\"],"
                    "\"classes\":[\"drone\",\"bird\",\"airplane\",\"helicopter\",\"clutter\"],"
                    "\"mean\":[0],\"scale\":[1],\"layers\":[{\"W\":[[0],[1],[2],[3],[4]],"
                    "\"b\":[0,0,0,0,0]}],\"temperature\":1}";
    sg_errinfo e = {0};
    camcls *m = parse_model(t, &e);
    if (!m)
        fail_msg("%s", e.msg);
    float x[CAMFEAT_N] = {0};
    x[0] = 5; /* thermal: not an input of this model */
    x[fidx("log2_w")] = 1.0f;
    double p[CAMCLS_N], z = 0;
    assert_int_equal(camcls_predict(m, x, p), CAMCLS_CLUTTER);
    for (int k = 0; k < CAMCLS_N; k++)
        z += exp(k);
    for (int k = 0; k < CAMCLS_N; k++)
        assert_near(p[k], exp(k) / z, 1e-6);
    camcls_destroy(m);
}

static void test_committed_model(void **state)
{
    (void)state;
    sg_errinfo e = {0};
    /* the general model and the thermal one (docs/camera.md) */
    static const char *const files[] = {SG_SOURCE_DIR "/config/camcls.json",
                                        SG_SOURCE_DIR "/config/camcls_ir.json"};
    for (int f = 0; f < 2; f++) {
        camcls *m = camcls_load(files[f], &e);
        if (!m)
            fail_msg("%s", e.msg);
        float straight[CAMFEAT_N];
        run_object(&(motion){30, 40, 2.0, 0.5, 9, 0, false}, 40, straight);
        double p[CAMCLS_N], sum = 0;
        camcls_predict(m, straight, p);
        for (int k = 0; k < CAMCLS_N; k++) {
            assert_true(p[k] >= 0 && p[k] <= 1);
            sum += p[k];
        }
        assert_near(sum, 1.0, 1e-9);
        camcls_destroy(m);
    }
}

static void test_publish_rule(void **state)
{
    (void)state;
    camera_cfg c;
    camera_cfg_default(&c);
    sg_measurement m = {0};
    camera_classify(&c, (double[]){0.7, 0.1, 0.1, 0.05, 0.05}, 0.3, &m);
    assert_string_equal(m.cls, "drone");
    assert_near(m.cls_conf, 0.7, 1e-12);
    c.drone_min_conf = 0.8;
    camera_classify(&c, (double[]){0.7, 0.1, 0.1, 0.05, 0.05}, 0.3, &m);
    assert_string_equal(m.cls, "uncertain");
    camera_classify(&c, (double[]){0.2, 0.6, 0.1, 0.05, 0.05}, 0.3, &m);
    assert_string_equal(m.cls, "bird");
    assert_near(m.cls_conf, 0.6, 1e-12);
    camera_classify(&c, NULL, 0.3, &m);
    assert_string_equal(m.cls, "camera_object");
    assert_near(m.cls_conf, 0.3, 1e-12);
}

/* The camera's classifier keys: read, and every bad value refused naming the key. */
static void test_camera_keys(void **state)
{
    (void)state;
    static const char *const base =
        "{\"id\": \"cam\", \"adapter\": {\"type\": \"gstreamer\", \"pipeline\": \"videotestsrc\","
        " \"hfov_deg\": 60%s}}";
    char buf[512];
    snprintf(buf, sizeof buf, base,
             ", \"classifier\": \"config/camcls.json\", \"modality\": \"thermal\","
             " \"drone_min_conf\": 0.7, \"class_smooth\": 9");
    cJSON *j = cJSON_Parse(buf);
    camera_cfg c;
    camera_cfg_default(&c);
    sg_errinfo e = {0};
    if (camera_cfg_from_json(&c, j, "site.json: sensors[1]", &e))
        fail_msg("%s", e.msg);
    cJSON_Delete(j);
    assert_string_equal(c.classifier, "config/camcls.json");
    assert_true(c.thermal);
    assert_near(c.drone_min_conf, 0.7, 0);
    assert_int_equal(c.class_smooth, 9);
    static const char *const bad[][2] = {
        {", \"modality\": \"infrared\"", "adapter.modality"},
        {", \"drone_min_conf\": 1.5", "adapter.drone_min_conf"},
        {", \"class_smooth\": 0", "adapter.class_smooth"},
        {", \"classifier\": 3", "adapter.classifier"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(buf, sizeof buf, base, bad[i][0]);
        j = cJSON_Parse(buf);
        assert_non_null(j);
        camera_cfg_default(&c);
        e.msg[0] = 0;
        int rc = camera_cfg_from_json(&c, j, "site.json: sensors[1]", &e);
        cJSON_Delete(j);
        if (rc == SG_OK || !strstr(e.msg, bad[i][1]))
            fail_msg("%s: rc %d, message \"%s\"", bad[i][0], rc, e.msg);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_features_motion),   cmocka_unit_test(test_features_appearance),
        cmocka_unit_test(test_features_whole_object_and_sky), cmocka_unit_test(test_feature_subset),
        cmocka_unit_test(test_features_bad_args), cmocka_unit_test(test_inference_math),
        cmocka_unit_test(test_bad_models),        cmocka_unit_test(test_committed_model),
        cmocka_unit_test(test_publish_rule),      cmocka_unit_test(test_camera_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
