/* End to end: sg_gen --array-scenario writes one multi-channel SigMF recording per DF
 * site with truth annotations; replayed through the "sigmf" adapter with "channel":
 * "all", the DoA of each annotated burst (from its annotation's time-frequency region,
 * after calibrating on the first burst at its true bearing) matches the truth bearing
 * written in the annotation. Also the scenario's error messages. */
#include <complex.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "doa.h"
#include "sg_adapter.h"
#include "sigmf.h"
#include "sg_lsan.h"

SG_LSAN_SUPPRESS(SG_LSAN_LIQUID)

#define GEN SG_BINARY_DIR "/sg_gen"
#define SCN SG_BINARY_DIR "/test_sg_gen_array.json"
#define OUT SG_BINARY_DIR "/test_sg_gen_array"
#define FS 2.4e6
#define FC 2.4409e9

static const char *scenario =
    "{\"sample_rate\": 2.4e6, \"center_freq\": 2.4409e9, \"duration\": 0.8, \"datatype\": \"ci16_le\",\n"
    " \"sites\": [\n"
    "  {\"name\": \"north\", \"position_enu_m\": [0, 150, 40], \"yaw_deg\": 20, \"ground_gamma\": -0.4,\n"
    "   \"array\": {\"geometry\": \"uca\", \"elements\": 5, \"radius_m\": 0.053},\n"
    "   \"phase_error_deg\": [0, 30, -60, 90, 170], \"gain_error_db\": [0, 1, -1, 0.5, 0]},\n"
    "  {\"name\": \"east\", \"position_enu_m\": [170, 0, 40], \"yaw_deg\": 270, \"seed\": 2,\n"
    "   \"array\": {\"geometry\": \"uca\", \"elements\": 4, \"radius_m\": 0.043}}],\n"
    " \"emitters\": [\n"
    "  {\"signal\": {\"kind\": \"elrs\", \"snr_db\": 20, \"period\": 0.002},\n"
    "   \"position_enu_m\": [-300, -200, 80], \"velocity_enu_mps\": [12, 8, 0], \"seed\": 3}]}\n";

typedef struct {
    float complex *x;
    size_t n, cap;
    unsigned ch;
} rec;

static int sink(void *user, const sg_iq_block *b)
{
    rec *r = user;
    r->ch = b->channels;
    if (r->n + b->n > r->cap)
        return -1;
    memcpy(r->x + r->n * r->ch, b->x, b->n * b->channels * sizeof *b->x);
    r->n += b->n;
    return 0;
}

static void check_site(const char *name, unsigned nch)
{
    char base[512], meta[600], js[700];
    snprintf(base, sizeof base, "%s-%s", OUT, name);
    snprintf(meta, sizeof meta, "%s.sigmf-meta", base);
    sigmf_meta m;
    sg_errinfo e;
    assert_int_equal(sigmf_meta_load(meta, 0, &m, &e), 0);
    assert_int_equal(m.num_channels, nch);
    assert_true(m.n_annotations >= 3);
    rec r = {.cap = (size_t)(0.8 * FS) + 10};
    r.x = malloc(r.cap * nch * sizeof *r.x);
    assert_non_null(r.x);
    const sg_iq_adapter *a = sg_iq_adapter_find("sigmf");
    snprintf(js, sizeof js, "{\"path\": \"%s\", \"channel\": \"all\"}", base);
    cJSON *o = cJSON_Parse(js);
    void *st;
    assert_int_equal(a->open(&st, o, "t", &e), 0);
    cJSON_Delete(o);
    assert_int_equal(a->run(st, sink, &r, &e), 0);
    a->close(st);
    assert_int_equal(r.ch, nch);
    doa_array arr;
    if (nch == 5)
        assert_int_equal(doa_array_uca(&arr, 5, 0.053, NULL), 0);
    else
        assert_int_equal(doa_array_uca(&arr, 4, 0.043, NULL), 0);
    doa_cfg cfg;
    doa_cfg_default(&cfg);
    doa *d = doa_create(&arr, &cfg, &e);
    assert_non_null(d);
    double worst = 0;
    for (size_t i = 0; i < m.n_annotations; i++) {
        const sigmf_annotation *an = &m.annotations[i];
        const char *p = strstr(an->comment, "az_body_deg=");
        assert_non_null(p);
        double az = atof(p + 12) * M_PI / 180;
        const char *q = strstr(an->comment, "el_deg=");
        assert_non_null(q);
        double el = atof(q + 7) * M_PI / 180;
        doa_input in = {.x = r.x + an->sample_start * nch, .n = an->sample_count,
                        .channels = nch, .fs = FS, .fc = FC,
                        .f_lo = fmax(an->freq_lo - FC, -FS / 2),
                        .f_hi = fmin(an->freq_hi - FC, FS / 2)};
        if (i == 0) {
            doa_cal_report rep;
            assert_int_equal(doa_calibrate(d, &in, az, el, &rep, &e), 0);
            assert_int_equal(doa_set_calibration(d, rep.cal, &e), 0);
            continue;
        }
        doa_result res;
        if (doa_execute(d, &in, &res, &e))
            fail_msg("%s annotation %zu: %s", name, i, e.msg);
        double err = fabs(remainder(res.az - az, 2 * M_PI)) * 180 / M_PI;
        worst = fmax(worst, err);
    }
    printf("  site %s: %zu bursts, worst DoA error %.2f deg\n", name, m.n_annotations, worst);
    assert_true(worst < 2.0);
    doa_destroy(d);
    free(r.x);
    sigmf_meta_free(&m);
}

static void test_generate_and_doa(void **st)
{
    (void)st;
    FILE *f = fopen(SCN, "w");
    assert_non_null(f);
    fputs(scenario, f);
    fclose(f);
    assert_int_equal(system(GEN " -q -o " OUT " --array-scenario " SCN), 0);
    check_site("north", 5);
    check_site("east", 4);
}

static void test_bad_scenarios(void **st)
{
    (void)st;
    const char *bad[] = {
        "{\"sites\": [], \"emitters\": []}",
        "{\"sites\": [{\"name\": \"a\", \"position_enu_m\": [0, 0, 10]}], \"emitters\": [{}]}",
        "{\"sites\": [{\"name\": \"a\", \"position_enu_m\": [0, 0, 10], \"array\": {\"geometry\": "
        "\"uca\", \"elements\": 3, \"radius_m\": 0.04}, \"phase_error_deg\": [0, 1]}], "
        "\"emitters\": [{\"signal\": {\"kind\": \"elrs\"}, \"position_enu_m\": [100, 0, 50]}]}",
        "{\"sites\": [{\"name\": \"a\", \"position_enu_m\": [0, 0, 10], \"array\": {\"geometry\": "
        "\"uca\", \"elements\": 3, \"radius_m\": 0.04}}, {\"name\": \"a\", \"position_enu_m\": [0, "
        "5, 10], \"array\": {\"geometry\": \"uca\", \"elements\": 3, \"radius_m\": 0.04}}], "
        "\"emitters\": [{\"signal\": {\"kind\": \"elrs\"}, \"position_enu_m\": [100, 0, 50]}]}",
        "{\"sites\": [{\"name\": \"a/b\", \"position_enu_m\": [0, 0, 10], \"array\": {\"geometry\": "
        "\"uca\", \"elements\": 3, \"radius_m\": 0.04}}], "
        "\"emitters\": [{\"signal\": {\"kind\": \"elrs\"}, \"position_enu_m\": [100, 0, 50]}]}",
    };
    for (int i = 0; i < 5; i++) {
        FILE *f = fopen(SCN, "w");
        assert_non_null(f);
        fputs(bad[i], f);
        fclose(f);
        int rc = system(GEN " -q -o " OUT "x --array-scenario " SCN " 2> " OUT ".err");
        if (!WIFEXITED(rc) || WEXITSTATUS(rc) != 2)
            fail_msg("bad scenario %d accepted (%d)", i, rc);
        char msg[512] = "";
        f = fopen(OUT ".err", "r");
        assert_non_null(f);
        assert_non_null(fgets(msg, sizeof msg, f));
        fclose(f);
        assert_non_null(strstr(msg, "test_sg_gen_array.json"));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generate_and_doa),
        cmocka_unit_test(test_bad_scenarios),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
