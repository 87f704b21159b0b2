/* Camera object classifier (dsp/camcls) and the camera's classifier keys:
 *   - the inference against hand-computed logits (MLP + temperature), ensembles' mean;
 *   - every malformed model or ensemble file fails, naming the member;
 *   - a model reading a subset of the extractor's features, by name;
 *   - the committed model (config/camcls.json) loads, matches the extractor's feature
 *     list and gives probabilities that sum to 1;
 *   - camera_classify's publishing rule (drone above drone_min_conf, else "uncertain")
 *     and where the threshold comes from (camera config, model file, default);
 *   - the CNN branch against a direct reference convolution on a seeded random model,
 *     every malformed "cnn" member refused naming it, and the committed CNN models
 *     reproducing the probabilities torch gave for stored rows (tools/train_camera.py
 *     --vectors: tests/data/camcls_vectors.json, camcls_ir_vectors.json).
 * The features and crops it reads are tested in test_camfeat.c. */
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
#include "camfeat_test.h"
#include "sg_assert.h"
#include "sg_json.h"

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

/* A model text the loader must refuse with a message containing `expect`; `what` names the
 * case in the failure message. */
static void expect_refused(const char *text, const char *expect, const char *what)
{
    sg_errinfo e = {0};
    camcls *m = parse_model(text, &e);
    if (m || !strstr(e.msg, expect))
        fail_msg("%s: %s, message \"%s\"", what, m ? "accepted" : "wrong error", e.msg);
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
        {"\"version\":1", "\"version\":3", "version"},
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
        {"\"version\":1", "\"version\":1,\"drone_min_conf\":1.5", "drone_min_conf"},
        {"\"version\":1", "\"version\":1,\"drone_min_conf\":-0.1", "drone_min_conf"},
        {"\"version\":1", "\"version\":1,\"drone_min_conf\":\"0.4\"", "drone_min_conf"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *t = model_text(2.0, cases[i].from, cases[i].to), what[256];
        snprintf(what, sizeof what, "case %zu (%s -> %s)", i, cases[i].from, cases[i].to);
        expect_refused(t, cases[i].expect, what);
        free(t);
    }
    sg_errinfo e = {0};
    assert_null(camcls_load(SG_BINARY_DIR "/no_such_model.json", &e));
    assert_non_null(strstr(e.msg, "no_such_model.json"));
}

/* An ensemble's p is the mean of its members' calibrated probabilities: two members of
 * model_text with T = 1 and T = 3 (logits k * z0). */
static void test_ensemble_math(void **state)
{
    (void)state;
    char *a = model_text(1.0, NULL, NULL), *b = model_text(3.0, NULL, NULL);
    size_t cap = strlen(a) + strlen(b) + 256;
    char *t = malloc(cap);
    assert_non_null(t);
    snprintf(t, cap, "{\"format\":\"skyguard-camcls-ensemble\",\"version\":1,\"members\":[%s,%s],"
             "\"trained\":{\"seeds\":[1,2]}}", a, b);
    sg_errinfo e = {0};
    camcls *m = parse_model(t, &e);
    if (!m)
        fail_msg("%s", e.msg);
    assert_int_equal(camcls_members(m), 2);
    assert_false(camcls_uses_crops(m));
    float x[CAMFEAT_N] = {0};
    double p[CAMCLS_N];
    for (double z0 = -2; z0 <= 2; z0 += 1) {
        x[0] = (float)z0;
        int best = camcls_predict(m, x, p);
        double d1 = 0, d3 = 0, sum = 0;
        for (int k = 0; k < CAMCLS_N; k++) {
            d1 += exp(k * z0);
            d3 += exp(k * z0 / 3);
        }
        for (int k = 0; k < CAMCLS_N; k++) {
            assert_near(p[k], 0.5 * (exp(k * z0) / d1 + exp(k * z0 / 3) / d3), 1e-6);
            sum += p[k];
        }
        assert_near(sum, 1.0, 1e-9);
        assert_int_equal(best, z0 > 0 ? CAMCLS_CLUTTER : z0 < 0 ? CAMCLS_DRONE : 0);
    }
    camcls_destroy(m);
    /* a single model file is one member */
    m = parse_model(a, &e);
    assert_non_null(m);
    assert_int_equal(camcls_members(m), 1);
    camcls_destroy(m);
    free(t);
    free(a);
    free(b);
}

static void test_bad_ensembles(void **state)
{
    (void)state;
    char *good = model_text(2.0, NULL, NULL);
    char *bad = model_text(2.0, "\"temperature\":2", "\"temperature\":0");
    size_t cap = 12 * strlen(good) + 512;
    char *t = malloc(cap);
    assert_non_null(t);
    static const struct {
        int n, bad_at;
        const char *head, *expect;
    } cases[] = {
        {0, -1, "\"version\":1", "members: must have 1..8"},
        {9, -1, "\"version\":1", "members: must have 1..8"},
        {2, 1, "\"version\":1", "model: members[1].temperature"},
        {1, -1, "\"version\":2", "version"},
        {1, -1, "\"version\":1,\"extra\":0", "extra"},
        {-1, -1, "\"version\":1", "members"}, /* no members key */
        {1, -1, "\"version\":1,\"drone_min_conf\":2", "model.drone_min_conf"},
        {1, -1, "\"version\":1,\"drone_min_conf\":null", "model.drone_min_conf"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int o = snprintf(t, cap, "{\"format\":\"skyguard-camcls-ensemble\",%s", cases[i].head);
        if (cases[i].n >= 0) {
            o += snprintf(t + o, cap - o, ",\"members\":[");
            for (int k = 0; k < cases[i].n; k++)
                o += snprintf(t + o, cap - o, "%s%s", k ? "," : "",
                              k == cases[i].bad_at ? bad : good);
            o += snprintf(t + o, cap - o, "]");
        }
        snprintf(t + o, cap - o, "}");
        char what[32];
        snprintf(what, sizeof what, "ensemble case %zu", i);
        expect_refused(t, cases[i].expect, what);
    }
    free(t);
    free(good);
    free(bad);
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

/* The camera computes only the crop windows the model reads (camcls_crop_channels):
 * the committed 2-channel model gives bit-identical probabilities from those as from
 * all CAMCROP_SCALES windows, on a textured frame with an object. */
static void test_crops_read_only(void **state)
{
    (void)state;
    sg_errinfo e = {0};
    camcls *m = camcls_load(SG_SOURCE_DIR "/config/camcls.json", &e);
    if (!m)
        fail_msg("%s", e.msg);
    assert_int_equal(camcls_crop_channels(m), 2);
    assert_int_equal(camcls_crop_channels(NULL), 0);
    const int w = 160, h = 120, plane = CAMCROP_PX * CAMCROP_PX;
    uint8_t *img = flat_frame(w, h, 120);
    unsigned r = 7;
    for (int i = 0; i < w * h; i++) { /* sky texture, then a dark object */
        r = r * 1103515245u + 12345u;
        img[i] = (uint8_t)(100 + (r >> 16) % 40);
    }
    for (int y = 55; y < 63; y++)
        memset(img + (size_t)y * w + 76, 30, 9);
    camfeat *f = new_camfeat(w, h, 4);
    skydet_det d = {.x = 80, .y = 59, .x0 = 76, .x1 = 84, .y0 = 55, .y1 = 62, .track_id = 1};
    float x[CAMFEAT_N], all[CAMCROP_N], part[CAMCROP_N];
    assert_int_equal(camfeat_compute(f, img, (size_t)w, &d, x), SG_OK);
    assert_int_equal(camfeat_crops(f, img, (size_t)w, &d, all), SG_OK);
    memset(part, 0x7f, sizeof part); /* what is not computed must not stay garbage */
    assert_int_equal(camfeat_crops_n(f, img, (size_t)w, &d, camcls_crop_channels(m), part),
                     SG_OK);
    assert_memory_equal(part, all, 2 * (size_t)plane * sizeof *part);
    for (int i = 2 * plane; i < CAMCROP_N; i++)
        assert_true(part[i] == 0.0f);
    double pa[CAMCLS_N], pp[CAMCLS_N];
    int ka = camcls_predict_crop(m, x, all, pa), kp = camcls_predict_crop(m, x, part, pp);
    assert_int_equal(ka, kp);
    assert_memory_equal(pa, pp, sizeof pa); /* bit-identical */
    assert_int_equal(camfeat_crops_n(f, img, (size_t)w, &d, CAMCROP_SCALES + 1, part), SG_EINVAL);
    assert_int_equal(camfeat_crops_n(f, img, (size_t)w, &d, -1, part), SG_EINVAL);
    camfeat_destroy(f);
    free(img);
    camcls_destroy(m);
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

/* The drone threshold: the camera config's when set, else the model file's
 * "drone_min_conf" (a model or an ensemble's top level), else 0.5. */
static void test_model_threshold(void **state)
{
    (void)state;
    camera_cfg c;
    camera_cfg_default(&c);
    assert_near(camera_drone_min_conf(&c, NULL), 0.5, 0); /* no model, no key */
    sg_errinfo e = {0};
    char *t = model_text(2.0, NULL, NULL);
    camcls *plain = parse_model(t, &e);
    assert_non_null(plain);
    assert_near(camcls_drone_min_conf(plain), -1, 0);
    assert_near(camera_drone_min_conf(&c, plain), 0.5, 0); /* a model without one */
    free(t);
    t = model_text(2.0, "\"version\":1", "\"version\":1,\"drone_min_conf\":0.35");
    camcls *m = parse_model(t, &e);
    if (!m)
        fail_msg("%s", e.msg);
    assert_near(camcls_drone_min_conf(m), 0.35, 0);
    assert_near(camera_drone_min_conf(&c, m), 0.35, 0);
    /* the publishing rule then uses it: P(drone) 0.4 is a drone at 0.35, not at 0.5 */
    sg_measurement meas = {0};
    camera_cfg r = c;
    r.drone_min_conf = camera_drone_min_conf(&c, m);
    camera_classify(&r, (double[]){0.4, 0.3, 0.1, 0.1, 0.1}, 0.3, &meas);
    assert_string_equal(meas.cls, "drone");
    camera_classify(&c, (double[]){0.4, 0.3, 0.1, 0.1, 0.1}, 0.3, &meas);
    assert_string_equal(meas.cls, "uncertain");
    c.drone_min_conf = 0.7; /* the config wins */
    assert_near(camera_drone_min_conf(&c, m), 0.7, 0);
    c.drone_min_conf = 0; /* 0 is a setting too */
    assert_near(camera_drone_min_conf(&c, m), 0, 0);
    /* an ensemble: its top-level value; a member's own is not used */
    size_t cap = 2 * strlen(t) + 256;
    char *en = malloc(cap);
    assert_non_null(en);
    snprintf(en, cap, "{\"format\":\"skyguard-camcls-ensemble\",\"version\":1,"
             "\"drone_min_conf\":0.45,\"members\":[%s]}", t);
    camcls *ens = parse_model(en, &e);
    if (!ens)
        fail_msg("%s", e.msg);
    assert_near(camcls_drone_min_conf(ens), 0.45, 0);
    camcls_destroy(ens);
    snprintf(en, cap, "{\"format\":\"skyguard-camcls-ensemble\",\"version\":1,\"members\":[%s]}",
             t);
    ens = parse_model(en, &e);
    assert_non_null(ens);
    assert_near(camcls_drone_min_conf(ens), -1, 0);
    camcls_destroy(ens);
    free(en);
    free(t);
    camcls_destroy(m);
    camcls_destroy(plain);
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
             " \"drone_min_conf\": 0.7, \"class_smooth\": 9, \"class_inherit_frames\": 4,"
             " \"class_inherit_px\": 2.5");
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
    assert_int_equal(camera_class_smooth(&c), 9);
    assert_int_equal(c.class_inherit_frames, 4);
    assert_near(c.class_inherit_px, 2.5, 0);
    /* the declared modality picks the model: classifier_thermal when thermal and set */
    assert_string_equal(camera_model_path(&c), "config/camcls.json");
    snprintf(c.classifier_thermal, sizeof c.classifier_thermal, "config/camcls_ir.json");
    assert_string_equal(camera_model_path(&c), "config/camcls_ir.json");
    c.thermal = false;
    assert_string_equal(camera_model_path(&c), "config/camcls.json");
    snprintf(buf, sizeof buf, base, ", \"classifier\": \"v.json\", \"classifier_thermal\": \"ir.json\"");
    j = cJSON_Parse(buf);
    camera_cfg_default(&c);
    if (camera_cfg_from_json(&c, j, "site.json: sensors[1]", &e))
        fail_msg("%s", e.msg);
    cJSON_Delete(j);
    assert_false(c.thermal);
    /* class_smooth unset: the modality's default; inheritance on by default */
    assert_int_equal(camera_class_smooth(&c), CAMERA_CLASS_SMOOTH_VISIBLE);
    assert_int_equal(c.class_inherit_frames, 15);
    assert_near(c.class_inherit_px, 16, 0);
    c.thermal = true;
    assert_int_equal(camera_class_smooth(&c), CAMERA_CLASS_SMOOTH_THERMAL);
    c.thermal = false;
    assert_string_equal(camera_model_path(&c), "v.json");
    c.thermal = true;
    assert_string_equal(camera_model_path(&c), "ir.json");
    static const char *const bad[][2] = {
        {", \"modality\": \"infrared\"", "adapter.modality"},
        {", \"drone_min_conf\": 1.5", "adapter.drone_min_conf"},
        {", \"class_smooth\": 0", "adapter.class_smooth"},
        {", \"class_smooth\": 1001", "adapter.class_smooth"},
        {", \"class_inherit_frames\": -1", "adapter.class_inherit_frames"},
        {", \"class_inherit_frames\": 301", "adapter.class_inherit_frames"},
        {", \"class_inherit_frames\": 2.5", "adapter.class_inherit_frames"},
        {", \"class_inherit_px\": -1", "adapter.class_inherit_px"},
        {", \"class_inherit_px\": \"near\"", "adapter.class_inherit_px"},
        {", \"classifier\": 3", "adapter.classifier"},
        {", \"classifier_thermal\": false", "adapter.classifier_thermal"},
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


/* A features + CNN model text reading the first ch crop windows: conv ch->C1 and C1->C2,
 * embed NE, one dense layer to 5, weights from a seeded generator (also returned for the
 * reference). */
#define C1 3
#define C2 4
#define NE 5
typedef struct {
    float w1[C1][CAMCROP_SCALES][9], b1[C1], w2[C2][C1][9], b2[C2];
    float we[NE][C2 * 16], be[NE], wl[CAMCLS_N][1 + NE], bl[CAMCLS_N];
} cnn_ref;

static float urand(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return (float)((double)(*s >> 11) / 9007199254740992.0 * 2 - 1);
}

static void put(char **p, const float *v, int n)
{
    *p += sprintf(*p, "[");
    for (int i = 0; i < n; i++)
        *p += sprintf(*p, "%s%.9g", i ? "," : "", v[i]);
    *p += sprintf(*p, "]");
}

static char *cnn_text(cnn_ref *r, int ch, uint64_t seed, const char *from, const char *to)
{
    float *all = (float *)r;
    for (size_t i = 0; i < sizeof *r / sizeof(float); i++)
        all[i] = 0.5f * urand(&seed);
    char *s = malloc(1 << 17), *p = s;
    assert_non_null(s);
    p += sprintf(p, "{\"format\":\"skyguard-camcls\",\"version\":2,\"features\":[\"log2_w\"],"
                    "\"classes\":[\"drone\",\"bird\",\"airplane\",\"helicopter\",\"clutter\"],"
                    "\"mean\":[1],\"scale\":[2],\"temperature\":1.5,\"cnn\":{\"size\":16,"
                    "\"channels\":%d,\"conv\":[{\"W\":[", ch);
    for (int o = 0; o < C1; o++) {
        p += sprintf(p, "%s", o ? "," : "");
        put(&p, r->w1[o][0], ch * 9);
    }
    p += sprintf(p, "],\"b\":");
    put(&p, r->b1, C1);
    p += sprintf(p, "},{\"W\":[");
    for (int o = 0; o < C2; o++) {
        p += sprintf(p, "%s", o ? "," : "");
        put(&p, r->w2[o][0], C1 * 9);
    }
    p += sprintf(p, "],\"b\":");
    put(&p, r->b2, C2);
    p += sprintf(p, "}],\"embed\":{\"W\":[");
    for (int o = 0; o < NE; o++) {
        p += sprintf(p, "%s", o ? "," : "");
        put(&p, r->we[o], C2 * 16);
    }
    p += sprintf(p, "],\"b\":");
    put(&p, r->be, NE);
    p += sprintf(p, "}},\"layers\":[{\"W\":[");
    for (int k = 0; k < CAMCLS_N; k++) {
        p += sprintf(p, "%s", k ? "," : "");
        put(&p, r->wl[k], 1 + NE);
    }
    p += sprintf(p, "],\"b\":");
    put(&p, r->bl, CAMCLS_N);
    p += sprintf(p, "}]}");
    if (from) {
        char *at = strstr(s, from);
        if (!at)
            fail_msg("fragment %s not in the model text", from);
        char *rest = strdup(at + strlen(from));
        assert_non_null(rest);
        sprintf(at, "%s%s", to, rest);
        free(rest);
    }
    return s;
}

/* Direct reference: conv (zero padding) + ReLU + 2x2 max-pool, twice; embed; dense. */
static void cnn_reference(const cnn_ref *r, int ch, float log2w, const float *crop,
                          double p[CAMCLS_N])
{
    static float a1[C1][8][8], a2[C2][4][4];
    for (int o = 0; o < C1; o++)
        for (int y = 0; y < 8; y++)
            for (int x = 0; x < 8; x++) {
                double best = -INFINITY;
                for (int py = 0; py < 2; py++)
                    for (int px = 0; px < 2; px++) {
                        int yy = 2 * y + py, xx = 2 * x + px;
                        double v = r->b1[o];
                        for (int c = 0; c < ch; c++)
                            for (int ky = 0; ky < 3; ky++)
                                for (int kx = 0; kx < 3; kx++) {
                                    int sy = yy + ky - 1, sx = xx + kx - 1;
                                    if (sy >= 0 && sy < 16 && sx >= 0 && sx < 16)
                                        v += r->w1[o][c][ky * 3 + kx] * crop[(c * 16 + sy) * 16 + sx];
                                }
                        best = fmax(best, v);
                    }
                a1[o][y][x] = (float)fmax(0, best);
            }
    for (int o = 0; o < C2; o++)
        for (int y = 0; y < 4; y++)
            for (int x = 0; x < 4; x++) {
                double best = -INFINITY;
                for (int py = 0; py < 2; py++)
                    for (int px = 0; px < 2; px++) {
                        int yy = 2 * y + py, xx = 2 * x + px;
                        double v = r->b2[o];
                        for (int c = 0; c < C1; c++)
                            for (int ky = 0; ky < 3; ky++)
                                for (int kx = 0; kx < 3; kx++) {
                                    int sy = yy + ky - 1, sx = xx + kx - 1;
                                    if (sy >= 0 && sy < 8 && sx >= 0 && sx < 8)
                                        v += r->w2[o][c][ky * 3 + kx] * a1[c][sy][sx];
                                }
                        best = fmax(best, v);
                    }
                a2[o][y][x] = (float)fmax(0, best);
            }
    double in[1 + NE], z[CAMCLS_N], mx = -INFINITY, sum = 0;
    in[0] = (log2w - 1.0) / 2.0;
    for (int o = 0; o < NE; o++) {
        double v = r->be[o];
        for (int i = 0; i < C2 * 16; i++)
            v += r->we[o][i] * (&a2[0][0][0])[i];
        in[1 + o] = fmax(0, v);
    }
    for (int k = 0; k < CAMCLS_N; k++) {
        z[k] = r->bl[k];
        for (int i = 0; i < 1 + NE; i++)
            z[k] += r->wl[k][i] * in[i];
        z[k] /= 1.5;
        mx = fmax(mx, z[k]);
    }
    for (int k = 0; k < CAMCLS_N; k++)
        sum += p[k] = exp(z[k] - mx);
    for (int k = 0; k < CAMCLS_N; k++)
        p[k] /= sum;
}

/* Models of 1..CAMCROP_SCALES channels (a 2-channel model, as committed before the 8x
 * window, reads the first two windows of the crops) against the reference. */
static void test_cnn_math(void **state)
{
    (void)state;
    const uint64_t seed = 20261201;
    for (int ch = 1; ch <= CAMCROP_SCALES; ch++) {
        cnn_ref r;
        char *t = cnn_text(&r, ch, seed, NULL, NULL);
        sg_errinfo e = {0};
        camcls *m = parse_model(t, &e);
        free(t);
        if (!m)
            fail_msg("%d channels: %s", ch, e.msg);
        assert_true(camcls_uses_crops(m));
        uint64_t s = seed + 1;
        float x[CAMFEAT_N] = {0}, crop[CAMCROP_N];
        for (int trial = 0; trial < 5; trial++) {
            for (int i = 0; i < CAMCROP_N; i++)
                crop[i] = 3 * urand(&s);
            x[fidx("log2_w")] = 3 * urand(&s);
            double p[CAMCLS_N], q[CAMCLS_N];
            camcls_predict_crop(m, x, crop, p);
            cnn_reference(&r, ch, x[fidx("log2_w")], crop, q);
            for (int k = 0; k < CAMCLS_N; k++)
                if (fabs(p[k] - q[k]) > 1e-5)
                    fail_msg("seed %llu, %d channels, trial %d class %d: %g vs reference %g",
                             (unsigned long long)seed, ch, trial, k, p[k], q[k]);
        }
        crop[7] = NAN; /* non-finite crop values count as 0: still a distribution */
        double p[CAMCLS_N];
        camcls_predict_crop(m, x, crop, p);
        assert_near(p[0] + p[1] + p[2] + p[3] + p[4], 1.0, 1e-9);
        camcls_destroy(m);
    }
}

static void test_bad_cnn_models(void **state)
{
    (void)state;
    static const struct {
        const char *from, *to, *expect;
    } cases[] = {
        {"\"version\":2", "\"version\":1", "cnn: needs version 2"},
        {"\"channels\":2", "\"channels\":4", "cnn.channels"},
        {"\"channels\":2", "\"channels\":0", "cnn.channels"},
        {"\"size\":16", "\"size\":24", "cnn.size"},
        {"\"size\":16", "\"size\":16,\"depth\":3", "depth"},
        {"\"conv\":[{\"W\":[[", "\"conv\":[{\"W\":[[1,", "conv[0]: W: must have 18"},
        {"\"conv\":[", "\"conv\":[{\"W\":[],\"b\":[]},", "conv[0].W: must be an array of 1.."},
        {"\"embed\":{\"W\":[[", "\"embed\":{\"W\":[[0,", "embed.W: must have 64"},
        {"\"embed\":{\"W\"", "\"embed\":{\"V\"", "embed.W: must be an array"},
        {"\"embed\":{", "\"embeds\":{", "embeds"},
        {"\"layers\":[{\"W\":[[", "\"layers\":[{\"W\":[[0,", "W row: must have 6"},
        {"\"conv\":[{", "\"conv\":[{\"W\":[[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]],\"b\":[0]},"
         "{\"W\":[[0,0,0,0,0,0,0,0,0]],\"b\":[0]},{\"W\":[[0,0,0,0,0,0,0,0,0]],\"b\":[0]},{",
         "conv: must have 1..3"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cnn_ref r;
        char *t = cnn_text(&r, 2, 7, cases[i].from, cases[i].to), what[512];
        snprintf(what, sizeof what, "case %zu (%s -> %s)", i, cases[i].from, cases[i].to);
        expect_refused(t, cases[i].expect, what);
        free(t);
    }
}

/* The committed CNN models (visible, thermal) reproduce what torch computed for stored
 * calib rows. */
static void test_committed_vectors(void **state)
{
    (void)state;
    static const char *const pairs[][2] = {
        {SG_SOURCE_DIR "/config/camcls.json", SG_SOURCE_DIR "/tests/data/camcls_vectors.json"},
        {SG_SOURCE_DIR "/config/camcls_ir.json",
         SG_SOURCE_DIR "/tests/data/camcls_ir_vectors.json"},
    };
    for (size_t f = 0; f < sizeof pairs / sizeof pairs[0]; f++) {
        sg_errinfo e = {0};
        camcls *m = camcls_load(pairs[f][0], &e);
        if (!m)
            fail_msg("%s", e.msg);
        cJSON *doc = sgj_parse_file(pairs[f][1], &e);
        if (!doc)
            fail_msg("%s", e.msg);
        assert_true(camcls_uses_crops(m));
        const cJSON *rows = cJSON_GetObjectItemCaseSensitive(doc, "rows"), *row;
        assert_true(cJSON_GetArraySize(rows) >= 4);
        int ri = 0;
        cJSON_ArrayForEach(row, rows) {
            float x[CAMFEAT_N] = {0}, crop[CAMCROP_N] = {0};
            const cJSON *v, *fe = cJSON_GetObjectItemCaseSensitive(row, "features");
            cJSON_ArrayForEach(v, fe)
                x[fidx(v->string)] = (float)v->valuedouble;
            const cJSON *cr = cJSON_GetObjectItemCaseSensitive(row, "crop"),
                        *pe = cJSON_GetObjectItemCaseSensitive(row, "p");
            /* the model's windows (a 2-channel model's rows hold 2 x 256 values) */
            int nc = cJSON_GetArraySize(cr);
            assert_true(nc > 0 && nc <= CAMCROP_N && nc % (CAMCROP_PX * CAMCROP_PX) == 0);
            int i = 0;
            cJSON_ArrayForEach(v, cr)
                crop[i++] = (float)v->valuedouble;
            double p[CAMCLS_N];
            camcls_predict_crop(m, x, crop, p);
            i = 0;
            cJSON_ArrayForEach(v, pe) {
                if (fabs(p[i] - v->valuedouble) > 2e-4)
                    fail_msg("%s row %d class %d: C %g, torch %g", pairs[f][1], ri, i, p[i],
                             v->valuedouble);
                i++;
            }
            assert_int_equal(i, CAMCLS_N);
            ri++;
        }
        cJSON_Delete(doc);
        camcls_destroy(m);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_feature_subset),    cmocka_unit_test(test_inference_math),
        cmocka_unit_test(test_bad_models),        cmocka_unit_test(test_committed_model),
        cmocka_unit_test(test_publish_rule),      cmocka_unit_test(test_camera_keys),
        cmocka_unit_test(test_model_threshold),   cmocka_unit_test(test_cnn_math),
        cmocka_unit_test(test_bad_cnn_models),    cmocka_unit_test(test_committed_vectors),
        cmocka_unit_test(test_ensemble_math),     cmocka_unit_test(test_bad_ensembles),
        cmocka_unit_test(test_crops_read_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
