/* Signature library files: the shipped file loads; every malformed file is refused
 * with an error naming the file and the key; scoring follows the documented rule. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "siglib.h"

#define TMP SG_BINARY_DIR "/test_siglib_tmp.json"

static siglib *load_text(const char *text, sg_errinfo *e)
{
    FILE *f = fopen(TMP, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return siglib_load(TMP, e);
}

/* A valid one-signature document with `feat` as its features and `extra` members. */
static void doc(char *out, size_t cap, const char *extra, const char *feat)
{
    snprintf(out, cap,
             "{\"version\": 1, \"signatures\": [{\"class\": \"x\", \"drone\": true%s, "
             "\"features\": {%s}}]}",
             extra, feat);
}

static void test_shipped_file(void **st)
{
    (void)st;
    sg_errinfo e;
    siglib *s = siglib_load(SG_SOURCE_DIR "/config/signatures.json", &e);
    if (!s)
        fail_msg("%s", e.msg);
    assert_int_equal(siglib_count(s), 9);
    const char *need[] = {"dji_droneid", "dji_ocusync_video", "elrs_2g4", "elrs_900",
                          "frsky_accst", "wifi_drone", "analog_fpv", "wifi", "bluetooth"};
    for (size_t i = 0; i < 9; i++)
        assert_true(siglib_find(s, need[i]) >= 0);
    assert_false(siglib_get(s, (size_t)siglib_find(s, "wifi"))->drone);
    assert_false(siglib_get(s, (size_t)siglib_find(s, "bluetooth"))->drone);
    assert_true(siglib_get(s, (size_t)siglib_find(s, "dji_droneid"))->drone);
    assert_int_equal(siglib_find(s, "nope"), -1);
    assert_null(siglib_get(s, 99));
    siglib_destroy(s);
}

/* Scoring: 1 inside, linear to 0 at tol x bound outside, weighted mean over the
 * measurable features, coverage = measurable weight fraction. */
static void test_scoring(void **st)
{
    (void)st;
    sg_errinfo e;
    siglib *s = load_text("{\"version\": 1, \"signatures\": [{\"class\": \"a\", \"drone\": true,"
                          " \"min_score\": 0.8, \"features\": {"
                          "\"bandwidth_hz\": {\"min\": 1e6, \"max\": 2e6, \"weight\": 3, \"tol\": 0.5},"
                          "\"interval_s\": {\"min\": 0.1, \"max\": 0.2},"
                          "\"freq_hz\": {\"bands\": [[2.4e9, 2.5e9]], \"weight\": 1}}}]}",
                          &e);
    if (!s)
        fail_msg("%s", e.msg);
    const signature *sig = siglib_get(s, 0);
    sig_features f;
    for (int k = 0; k < SIG_F_COUNT_; k++)
        f.v[k] = NAN;
    f.fc = 2.45e9;
    f.v[SIG_F_BANDWIDTH] = 1.5e6;
    double cov;
    assert_true(fabs(siglib_score(sig, &f, &cov) - 1.0) < 1e-12);
    assert_true(fabs(cov - 4.0 / 5.0) < 1e-12); /* interval not measurable yet */
    f.v[SIG_F_BANDWIDTH] = 2.5e6;                /* half of tol (0.5 x 2e6) outside */
    assert_true(fabs(siglib_score(sig, &f, &cov) - (3 * 0.5 + 1) / 4.0) < 1e-12);
    f.v[SIG_F_INTERVAL] = 0.15;
    f.fc = 5e9;
    assert_true(fabs(siglib_score(sig, &f, &cov) - (3 * 0.5 + 1 + 0) / 5.0) < 1e-12);
    assert_true(fabs(cov - 1.0) < 1e-12);
    double sc;
    assert_int_equal(siglib_classify(s, &f, &sc, &cov), -1); /* 0.5 < min_score 0.8 */
    f.v[SIG_F_BANDWIDTH] = 1.2e6, f.fc = 2.41e9;
    assert_int_equal(siglib_classify(s, &f, &sc, &cov), 0);
    assert_true(fabs(sc - 1.0) < 1e-12);
    assert_string_equal(siglib_feature_name(SIG_F_DUTY), "duty_cycle");
    siglib_destroy(s);
}

typedef struct {
    const char *text;   /* whole file, or NULL to use doc(extra, feat) */
    const char *extra, *feat;
    const char *expect; /* substring of the error message after the file name */
} bad_case;

static void test_invalid_files(void **st)
{
    (void)st;
    const char *ok_feat = "\"bandwidth_hz\": {\"min\": 1, \"max\": 2}";
    const bad_case cases[] = {
        {"{\"version\": 1, \"signatures\": [", NULL, NULL, "line"},
        {"[1, 2]", NULL, NULL, "top level must be an object"},
        {"{\"signatures\": []}", NULL, NULL, "version: required key is missing"},
        {"{\"version\": 2, \"signatures\": []}", NULL, NULL, "version: must be in"},
        {"{\"version\": 1}", NULL, NULL, "signatures: required key is missing"},
        {"{\"version\": 1, \"signatures\": {}}", NULL, NULL, "signatures: must be an array"},
        {"{\"version\": 1, \"signatures\": []}", NULL, NULL, "signatures: needs 1.."},
        {"{\"version\": 1, \"signatures\": [{}], \"extra\": 1}", NULL, NULL, "extra: unknown key"},
        {"{\"version\": 1, \"signatures\": [3]}", NULL, NULL, "signatures[0]: must be an object"},
        {"{\"version\": 1, \"signatures\": [{\"drone\": true, \"features\": {}}]}", NULL, NULL,
         "signatures[0].class: required key is missing"},
        {"{\"version\": 1, \"signatures\": [{\"class\": \"0123456789012345678901234567890123\","
         " \"drone\": true, \"features\": {}}]}",
         NULL, NULL, "signatures[0].class: longer than"},
        {"{\"version\": 1, \"signatures\": [{\"class\": \"unknown\", \"drone\": true, "
         "\"features\": {}}]}",
         NULL, NULL, "signatures[0].class: \"unknown\" is reserved"},
        {"{\"version\": 1, \"signatures\": [{\"class\": \"a\", \"features\": {}}]}", NULL, NULL,
         "signatures[0].drone: required key is missing"},
        {"{\"version\": 1, \"signatures\": [{\"class\": \"a\", \"drone\": 1, \"features\": {}}]}",
         NULL, NULL, "signatures[0].drone: must be true or false"},
        {"{\"version\": 1, \"signatures\": [{\"class\": \"a\", \"drone\": true}]}", NULL, NULL,
         "signatures[0].features: required key is missing"},
        {NULL, "", "", "signatures[0].features: needs at least one feature"},
        {NULL, ", \"min_score\": 1.5", ok_feat, "signatures[0].min_score: must be in"},
        {NULL, ", \"colour\": 1", ok_feat, "signatures[0].colour: unknown key"},
        {NULL, "", "\"bandwith_hz\": {\"min\": 1}", "features.bandwith_hz: unknown feature"},
        {NULL, "", "\"bandwidth_hz\": 5", "features.bandwidth_hz: must be an object"},
        {NULL, "", "\"bandwidth_hz\": {\"min\": \"1\"}", "features.bandwidth_hz.min: must be a number"},
        {NULL, "", "\"bandwidth_hz\": {\"min\": 3, \"max\": 2}", "features.bandwidth_hz: min 3 is above max 2"},
        {NULL, "", "\"bandwidth_hz\": {\"weight\": 1}", "features.bandwidth_hz: needs min and/or max"},
        {NULL, "", "\"duration_s\": {\"min\": 1, \"weight\": -1}", "features.duration_s.weight: must be in"},
        {NULL, "", "\"duration_s\": {\"min\": 1, \"tol\": 20}", "features.duration_s.tol: must be in"},
        {NULL, "", "\"duration_s\": {\"mn\": 1}", "features.duration_s.mn: unknown key"},
        {NULL, "", "\"freq_hz\": {\"min\": 1}", "features.freq_hz.min: unknown key"},
        {NULL, "", "\"freq_hz\": {}", "features.freq_hz.bands: required key is missing"},
        {NULL, "", "\"freq_hz\": {\"bands\": []}", "features.freq_hz.bands: needs 1.."},
        {NULL, "", "\"freq_hz\": {\"bands\": [[1]]}", "features.freq_hz.bands[0]: must be [lo_hz, hi_hz]"},
        {NULL, "", "\"freq_hz\": {\"bands\": [[5, 2]]}", "features.freq_hz.bands[0]: need 0 <= lo < hi"},
        {"{\"version\": 1, \"signatures\": [{\"class\": \"a\", \"drone\": true, \"features\": "
         "{\"hop_channels\": {\"min\": 2}}}, {\"class\": \"a\", \"drone\": false, \"features\": "
         "{\"hop_channels\": {\"min\": 2}}}]}",
         NULL, NULL, "signatures[1].class: \"a\" already defined by signatures[0]"},
    };
    char buf[2048];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *text = cases[i].text;
        if (!text) {
            doc(buf, sizeof buf, cases[i].extra, cases[i].feat);
            text = buf;
        }
        sg_errinfo e = {0};
        siglib *s = load_text(text, &e);
        if (s)
            fail_msg("case %zu accepted: %s", i, text);
        if (!strstr(e.msg, TMP) || !strstr(e.msg, cases[i].expect))
            fail_msg("case %zu: message \"%s\" lacks file name or \"%s\"", i, e.msg,
                     cases[i].expect);
        assert_true(e.code == SG_EINVAL || e.code == SG_ERANGE || e.code == SG_EFORMAT);
    }
    sg_errinfo e;
    assert_null(siglib_load(SG_BINARY_DIR "/no_such_signatures.json", &e));
    assert_int_equal(e.code, SG_EIO);
    assert_non_null(strstr(e.msg, "no_such_signatures.json"));
    remove(TMP);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shipped_file),
        cmocka_unit_test(test_scoring),
        cmocka_unit_test(test_invalid_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
