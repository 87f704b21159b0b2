/* Camera track-level class decision (dsp/camtrack), on synthetic per-detection class
 * probability sequences with known answers:
 *   - the running mean: a constant sequence gives itself back, the first detections are
 *     a plain mean (the normalised geometric mean), one confidently wrong frame cannot
 *     flip a settled track, smooth 1 passes probabilities through;
 *   - fragments: a track that starts where another ended a few frames earlier continues
 *     its evidence (mean and count, to the formula); not when the old track is still in
 *     the frame, too far, ended too long ago, already continued, or inheritance is off;
 *   - slots: eviction of the oldest ended track is counted, a full frame passes through;
 *   - every invalid configuration refused, naming the key. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "camtrack.h"

static const double P_DRONE[CAMCLS_N] = {0.6, 0.1, 0.1, 0.1, 0.1};
static const double P_BIRD[CAMCLS_N] = {0.005, 0.99, 0.002, 0.002, 0.001};
static const double P_UNSURE[CAMCLS_N] = {0.25, 0.05, 0.05, 0.05, 0.6};

static skydet_det det_at(uint32_t id, double x, double y, int size)
{
    skydet_det d = {0};
    d.track_id = id;
    d.x = x;
    d.y = y;
    d.x0 = (int)x - size / 2;
    d.x1 = d.x0 + size - 1;
    d.y0 = (int)y - size / 2;
    d.y1 = d.y0 + size - 1;
    d.confirmed = true;
    return d;
}

static camtrack *make(int smooth, int inherit_frames, double inherit_px, int max_tracks)
{
    sg_errinfo e = {0};
    camtrack *t = camtrack_create(&(camtrack_cfg){smooth, inherit_frames, inherit_px}, max_tracks,
                                  &e);
    if (!t)
        fail_msg("camtrack_create: %s", e.msg);
    return t;
}

/* One detection of track id at (x, y) in frame fr with probabilities p; out: published. */
static void one(camtrack *t, uint64_t fr, uint32_t id, double x, double y, const double *p,
                double out[CAMCLS_N])
{
    skydet_det d = det_at(id, x, y, 6);
    memcpy(out, p, CAMCLS_N * sizeof *out);
    camtrack_update(t, fr, &d, 1, out);
}

/* softmax of the mean of the floored logs of a (weight wa) and b (weight 1 - wa) */
static void expect_mix(const double *a, const double *b, double wa, double *out)
{
    double s = 0;
    for (int k = 0; k < CAMCLS_N; k++) {
        double la = log(fmax(a[k], CAMTRACK_P_FLOOR)), lb = log(fmax(b[k], CAMTRACK_P_FLOOR));
        s += out[k] = exp(wa * la + (1 - wa) * lb);
    }
    for (int k = 0; k < CAMCLS_N; k++)
        out[k] /= s;
}

static void test_running_mean(void **state)
{
    (void)state;
    camtrack *t = make(30, 0, 16, 8);
    double out[CAMCLS_N], want[CAMCLS_N];
    /* constant: itself */
    for (int fr = 0; fr < 40; fr++)
        one(t, (uint64_t)fr, 1, 50, 50, P_DRONE, out);
    for (int k = 0; k < CAMCLS_N; k++)
        assert_true(fabs(out[k] - P_DRONE[k]) < 1e-12);
    /* one confidently wrong frame moves the mean by 1/30 of the log gap: still drone */
    one(t, 40, 1, 50, 50, P_BIRD, out);
    expect_mix(P_DRONE, P_BIRD, 29.0 / 30, want);
    for (int k = 0; k < CAMCLS_N; k++)
        assert_true(fabs(out[k] - want[k]) < 1e-12);
    assert_true(out[0] > out[1]);
    /* the first detections of a new track: a plain mean */
    one(t, 41, 2, 200, 50, P_BIRD, out);
    one(t, 42, 2, 200, 50, P_DRONE, out);
    expect_mix(P_DRONE, P_BIRD, 0.5, want);
    for (int k = 0; k < CAMCLS_N; k++)
        assert_true(fabs(out[k] - want[k]) < 1e-12);
    camtrack_destroy(t);
    /* smooth 1: passed through */
    t = make(1, 15, 16, 8);
    one(t, 0, 1, 50, 50, P_DRONE, out);
    one(t, 1, 1, 50, 50, P_BIRD, out);
    assert_memory_equal(out, P_BIRD, sizeof out);
    camtrack_destroy(t);
}

/* 40 drone frames of track 1 ending at (100, 100) in frame 39, then track 2 at
 * (x2, 100) from frame 39 + gap with unsure probabilities: its first published row. */
static void fragment(int inherit_frames, int gap, double x2, bool parent_stays, double *out)
{
    camtrack *t = make(30, inherit_frames, 16, 8);
    double o[CAMCLS_N];
    for (int fr = 0; fr < 40; fr++)
        one(t, (uint64_t)fr, 1, 100, 100, P_DRONE, o);
    uint64_t fr = 39 + (uint64_t)gap;
    skydet_det d[2] = {det_at(2, x2, 100, 6), det_at(1, 100, 100, 6)};
    double p[2 * CAMCLS_N];
    memcpy(p, P_UNSURE, sizeof P_UNSURE);
    memcpy(p + CAMCLS_N, P_DRONE, sizeof P_DRONE);
    camtrack_update(t, fr, d, parent_stays ? 2 : 1, p);
    memcpy(out, p, CAMCLS_N * sizeof *out);
    camtrack_stats st;
    camtrack_get_stats(t, &st);
    assert_int_equal(st.evicted, 0);
    camtrack_destroy(t);
}

static void test_fragment_inherits(void **state)
{
    (void)state;
    double out[CAMCLS_N], want[CAMCLS_N];
    /* inherited: the mean continues (count 40 >= 30: weight 1/30 on the new row) */
    fragment(15, 5, 110, false, out);
    expect_mix(P_DRONE, P_UNSURE, 29.0 / 30, want);
    for (int k = 0; k < CAMCLS_N; k++)
        assert_true(fabs(out[k] - want[k]) < 1e-12);
    assert_true(out[0] > 0.5);
    /* not inherited: starts from its own row */
    static const struct {
        int inherit, gap;
        double x2;
        bool stays;
        const char *why;
    } no[] = {
        {0, 5, 110, false, "inheritance off"},
        {15, 16, 110, false, "ended 16 frames before (window 15)"},
        {15, 5, 100 + 16 + 6 + 1, false, "23 px away (16 px + size 6)"},
        {15, 1, 110, true, "the old track is still in the frame"},
    };
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
        fragment(no[i].inherit, no[i].gap, no[i].x2, no[i].stays, out);
        for (int k = 0; k < CAMCLS_N; k++)
            if (fabs(out[k] - P_UNSURE[k]) > 1e-12)
                fail_msg("%s: class %d published %g, want its own %g", no[i].why, k, out[k],
                         P_UNSURE[k]);
    }
    /* at the edge of the window and of the distance: inherited */
    fragment(15, 15, 100 + 16 + 6, false, out);
    assert_true(out[0] > 0.5);
}

/* An ended track is continued by one fragment only; the inheritance is counted. */
static void test_fragment_once(void **state)
{
    (void)state;
    camtrack *t = make(30, 15, 16, 8);
    double o[CAMCLS_N];
    for (int fr = 0; fr < 40; fr++)
        one(t, (uint64_t)fr, 1, 100, 100, P_DRONE, o);
    skydet_det d[2] = {det_at(2, 104, 100, 6), det_at(3, 96, 100, 6)};
    double p[2 * CAMCLS_N];
    memcpy(p, P_UNSURE, sizeof P_UNSURE);
    memcpy(p + CAMCLS_N, P_UNSURE, sizeof P_UNSURE);
    camtrack_update(t, 42, d, 2, p);
    assert_true(p[0] > 0.5);                              /* track 2 continues track 1 */
    assert_true(fabs(p[CAMCLS_N] - P_UNSURE[0]) < 1e-12); /* track 3 starts afresh */
    camtrack_stats st;
    camtrack_get_stats(t, &st);
    assert_int_equal(st.inherited, 1);
    camtrack_destroy(t);
}

/* Two slots: a third track evicts the least recently seen ended one (counted); in a
 * frame whose tracks fill every slot a further track is passed through. */
static void test_slots(void **state)
{
    (void)state;
    camtrack *t = make(30, 0, 16, 2);
    double o[CAMCLS_N];
    one(t, 0, 1, 10, 10, P_DRONE, o);
    one(t, 1, 2, 100, 10, P_DRONE, o);
    one(t, 2, 2, 100, 10, P_DRONE, o);
    one(t, 3, 3, 200, 10, P_BIRD, o); /* evicts track 1 */
    camtrack_stats st;
    camtrack_get_stats(t, &st);
    assert_int_equal(st.evicted, 1);
    skydet_det d[3] = {det_at(2, 100, 10, 6), det_at(3, 200, 10, 6), det_at(4, 300, 10, 6)};
    double p[3 * CAMCLS_N];
    for (int i = 0; i < 3; i++)
        memcpy(p + i * CAMCLS_N, P_UNSURE, sizeof P_UNSURE);
    camtrack_update(t, 4, d, 3, p);
    assert_true(p[0] > 0.5);                                    /* track 2: its drone evidence */
    assert_memory_equal(p + 2 * CAMCLS_N, P_UNSURE, sizeof P_UNSURE); /* track 4: passed */
    camtrack_get_stats(t, &st);
    assert_int_equal(st.evicted, 1);
    camtrack_destroy(t);
}

static void test_bad_config(void **state)
{
    (void)state;
    static const struct {
        camtrack_cfg c;
        int max;
        const char *key;
    } bad[] = {
        {{0, 15, 16}, 8, "class_smooth"},          {{1001, 15, 16}, 8, "class_smooth"},
        {{30, -1, 16}, 8, "class_inherit_frames"}, {{30, 301, 16}, 8, "class_inherit_frames"},
        {{30, 15, -1}, 8, "class_inherit_px"},     {{30, 15, NAN}, 8, "class_inherit_px"},
        {{30, 15, 1001}, 8, "class_inherit_px"},   {{30, 15, 16}, 0, "max_tracks"},
        {{30, 15, 16}, 4097, "max_tracks"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sg_errinfo e = {0};
        camtrack *t = camtrack_create(&bad[i].c, bad[i].max, &e);
        if (t || !strstr(e.msg, bad[i].key))
            fail_msg("case %zu: created %d, message \"%s\", want one naming %s", i, t != NULL,
                     e.msg, bad[i].key);
    }
    camtrack_cfg c;
    camtrack_cfg_default(&c);
    sg_errinfo e = {0};
    assert_int_equal(camtrack_cfg_check(&c, &e), SG_OK);
    assert_int_equal(c.smooth, 30);
    assert_int_equal(c.inherit_frames, 15);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_running_mean),   cmocka_unit_test(test_fragment_inherits),
        cmocka_unit_test(test_fragment_once),  cmocka_unit_test(test_slots),
        cmocka_unit_test(test_bad_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
