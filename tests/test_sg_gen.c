/* End to end: tools/sg_gen writes a SigMF capture with ground-truth annotations;
 * the "sigmf" adapter replays it into the front end, which must find every DroneID
 * and FrSky burst the annotations list that does not collide (time and frequency)
 * with another emission. Also checks sg_gen's option errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "frontend.h"
#include "iq_file.h"
#include "sg_adapter.h"
#include "sg_lsan.h"

SG_LSAN_SUPPRESS(SG_LSAN_LIQUID)

#define GEN SG_BINARY_DIR "/sg_gen"
#define OUT SG_BINARY_DIR "/test_sg_gen_scene"

typedef struct {
    frontend *fe;
    sg_burst b[4096];
    size_t n;
} ctx;

static void on_burst(void *user, const sg_burst *b, const float complex *iq, size_t n)
{
    ctx *c = user;
    (void)iq;
    (void)n;
    if (c->n < 4096)
        c->b[c->n++] = *b;
}

static int sink(void *user, const sg_iq_block *blk)
{
    ctx *c = user;
    return frontend_execute(c->fe, blk, on_burst, c);
}

/* Does annotation i overlap another one in time and frequency? */
static bool collides(const sigmf_meta *m, size_t i)
{
    const sigmf_annotation *a = &m->annotations[i];
    for (size_t k = 0; k < m->n_annotations; k++) {
        const sigmf_annotation *b = &m->annotations[k];
        if (k == i)
            continue;
        const uint64_t guard = 2048; /* two frames: touching emissions join too */
        if (b->sample_start < a->sample_start + a->sample_count + guard &&
            a->sample_start < b->sample_start + b->sample_count + guard &&
            b->freq_lo < a->freq_hi + 0.2e6 && a->freq_lo < b->freq_hi + 0.2e6)
            return true;
    }
    return false;
}

static void test_generate_and_detect(void **state)
{
    (void)state;
    int rc = system(GEN " -q -o " OUT " -r 15.36e6 -f 2.4415e9 -d 0.7 -t ci8 --seed 5 "
                    "-s droneid:snr=20,offset=3e6,start=0.05,period=0.1 -s frsky:snr=15 "
                    "-s wifi:snr=12,period=0.02 -s elrs:snr=15");
    assert_int_equal(rc, 0);
    const sg_iq_adapter *a = sg_iq_adapter_find("sigmf");
    cJSON *o = cJSON_Parse("{\"path\": \"" OUT ".sigmf-meta\"}");
    void *st = NULL;
    sg_errinfo e = {0};
    assert_int_equal(a->open(&st, o, "test", &e), 0);
    cJSON_Delete(o);
    const sigmf_meta *m = sg_adapter_file_meta(st);
    assert_non_null(m);
    assert_true(m->sample_rate == 15.36e6);
    assert_true(m->n_annotations > 10);
    static ctx c;
    memset(&c, 0, sizeof c);
    frontend_cfg cfg;
    frontend_cfg_default(&cfg);
    c.fe = frontend_create(&cfg, &e);
    assert_non_null(c.fe);
    assert_int_equal(a->run(st, sink, &c, &e), 0);
    assert_int_equal(frontend_flush(c.fe, on_burst, &c), 0);
    double t0 = m->captures[0].t0;
    assert_true(fabs(t0 - 1767225600.0) < 1e-6); /* default --datetime 2026-01-01T00:00:00Z */
    int want = 0, found = 0;
    for (size_t i = 0; i < m->n_annotations; i++) {
        const sigmf_annotation *an = &m->annotations[i];
        if (strcmp(an->label, "droneid") && strcmp(an->label, "frsky"))
            continue;
        if (collides(m, i)) /* overlapping emissions are (rightly) one region */
            continue;
        want++;
        double ts = t0 + an->sample_start / m->sample_rate;
        double te = ts + an->sample_count / m->sample_rate;
        double fc = (an->freq_lo + an->freq_hi) / 2, bw = an->freq_hi - an->freq_lo;
        bool hit = false;
        for (size_t k = 0; k < c.n && !hit; k++) {
            const sg_burst *b = &c.b[k];
            hit = b->t_start < te && b->t_start + b->duration > ts && fabs(b->fc - fc) < bw / 2;
        }
        found += hit;
        if (!hit) {
            print_message("missed %s at %.4f s, %+.3f MHz\n", an->label, ts - t0,
                          (fc - m->captures[0].frequency) / 1e6);
            for (size_t k = 0; k < c.n; k++)
                if (fabs(c.b[k].t_start - ts) < 0.005)
                    print_message("  near: %.4f s dur %.4f %+.3f MHz bw %.3f flags %u\n",
                                  c.b[k].t_start - t0, c.b[k].duration,
                                  (c.b[k].fc - m->captures[0].frequency) / 1e6,
                                  c.b[k].bandwidth / 1e6, c.b[k].flags);
        }
    }
    print_message("%d of %d annotated DroneID/FrSky bursts found (%zu bursts reported)\n", found,
                  want, c.n);
    assert_true(want >= 12);
    assert_int_equal(found, want);
    frontend_destroy(c.fe);
    a->close(st);
    remove(OUT ".sigmf-meta");
    remove(OUT ".sigmf-data");
}

static void test_bad_options(void **state)
{
    (void)state;
    const char *bad[] = {
        GEN " -q -o " OUT "x",                                  /* fine: noise only */
        GEN " -q -o " OUT "x -s wobble:snr=3 2>/dev/null",
        GEN " -q -o " OUT "x -s droneid:snr=abc 2>/dev/null",
        GEN " -q -o " OUT "x -s droneid:volume=3 2>/dev/null",
        GEN " -q -o " OUT "x -r 10 2>/dev/null",
        GEN " -q -o " OUT "x -t cf64 2>/dev/null",
        GEN " -q -o " OUT "x --datetime yesterday 2>/dev/null",
        GEN " -q -o " OUT "x -r 2e6 -s fm_video 2>/dev/null",                /* too wide for 2 Msps */
        GEN " -q 2>/dev/null",                                 /* no output */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = system(i == 0 ? GEN " -q -o " OUT "x -d 0.01" : bad[i]);
        if ((i == 0) != (rc == 0))
            fail_msg("case %zu: exit status %d", i, rc);
    }
    remove(OUT "x.sigmf-meta");
    remove(OUT "x.sigmf-data");
    assert_int_equal(system(GEN " --help > /dev/null"), 0);
}

int main(void)
{
    FILE *f = fopen(GEN, "rb");
    if (!f) {
        fprintf(stderr, "skipping: %s not built\n", GEN);
        return 77;
    }
    fclose(f);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generate_and_detect),
        cmocka_unit_test(test_bad_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
