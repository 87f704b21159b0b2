/* Multi-channel SigMF (core:num_channels, channels interleaved sample by sample):
 * the writer's layout and meta, replay through the "sigmf" adapter as one selected
 * channel or as interleaved blocks on one sample clock, and the bad cases (channel
 * out of range, a file ending inside a multi-channel sample, a bad num_channels). */
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

#include "sg_adapter.h"
#include "sigmf.h"

#define BASE SG_BINARY_DIR "/test_sigmf_mc"
#define NCH 4
#define NS 5000

typedef struct {
    float complex *got;
    size_t n, cap;
    unsigned channels;
    uint64_t next;
    int bad_clock;
} collect;

static int sink(void *user, const sg_iq_block *b)
{
    collect *c = user;
    unsigned ch = b->channels ? b->channels : 1;
    if (c->channels && c->channels != ch)
        c->bad_clock++;
    c->channels = ch;
    if (b->sample_index != c->next)
        c->bad_clock++;
    c->next = b->sample_index + b->n;
    if (c->n + b->n * ch > c->cap)
        return -1;
    memcpy(c->got + c->n, b->x, b->n * ch * sizeof *b->x);
    c->n += b->n * ch;
    return 0;
}

static float complex val(size_t t, unsigned c)
{
    return (float)(1e-4 * (double)t) + I * (float)(0.1 * c);
}

static void write_rec(sigmf_datatype type)
{
    sg_errinfo e;
    sigmf_writer *w = sigmf_writer_create(BASE, type, 1e6, 2.44e9, NAN, "mc", &e);
    assert_non_null(w);
    assert_int_equal(sigmf_writer_set_channels(w, NCH, &e), 0);
    static float complex x[NS * NCH];
    for (size_t t = 0; t < NS; t++)
        for (unsigned c = 0; c < NCH; c++)
            x[t * NCH + c] = val(t, c);
    assert_int_equal(sigmf_writer_write(w, x, 1000, &e), 0);
    assert_int_equal(sigmf_writer_set_channels(w, 2, &e), SG_ESTATE);
    assert_int_equal(sigmf_writer_write(w, x + 1000 * NCH, NS - 1000, &e), 0);
    assert_int_equal(sigmf_writer_samples(w), NS);
    sigmf_annotation a = {.sample_start = 10, .sample_count = 20, .freq_lo = NAN,
                          .freq_hi = NAN, .label = "x"};
    assert_int_equal(sigmf_writer_annotate(w, &a, &e), 0);
    assert_int_equal(sigmf_writer_close(w, &e), 0);
}

static int replay(const char *json, collect *c, sg_errinfo *e)
{
    const sg_iq_adapter *a = sg_iq_adapter_find("sigmf");
    assert_non_null(a);
    cJSON *o = cJSON_Parse(json);
    assert_non_null(o);
    void *st = NULL;
    int rc = a->open(&st, o, "test", e);
    cJSON_Delete(o);
    if (rc)
        return rc;
    rc = a->run(st, sink, c, e);
    sg_adapter_stats s;
    a->stats(st, &s);
    assert_int_equal(s.samples, c->next);
    assert_int_equal(s.channels, c->channels);
    a->close(st);
    return rc;
}

static void test_layout_and_meta(void **st)
{
    (void)st;
    write_rec(SIGMF_CF32_LE);
    sigmf_meta m;
    sg_errinfo e;
    assert_int_equal(sigmf_meta_load(BASE ".sigmf-meta", 0, &m, &e), 0);
    assert_int_equal(m.num_channels, NCH);
    sigmf_meta_free(&m);
    /* interleaved sample by sample: value (t, c) at offset (t * NCH + c) * 8 */
    FILE *f = fopen(BASE ".sigmf-data", "rb");
    assert_non_null(f);
    float v[2];
    assert_int_equal(fseek(f, (long)((1234 * NCH + 3) * 8), SEEK_SET), 0);
    assert_int_equal(fread(v, sizeof v, 1, f), 1);
    fseek(f, 0, SEEK_END);
    assert_int_equal(ftell(f), (long)NS * NCH * 8);
    fclose(f);
    assert_true(cabsf(v[0] + I * v[1] - val(1234, 3)) < 1e-6f);
}

static void test_replay(void **st)
{
    (void)st;
    write_rec(SIGMF_CI16_LE);
    static float complex buf[NS * NCH];
    sg_errinfo e;
    /* all channels, small blocks: one clock, interleaved as written */
    collect c = {.got = buf, .cap = NS * NCH};
    assert_int_equal(replay("{\"path\": \"" BASE "\", \"channel\": \"all\", \"block_samples\": 700}",
                            &c, &e), 0);
    assert_int_equal(c.channels, NCH);
    assert_int_equal(c.bad_clock, 0);
    assert_int_equal(c.n, NS * NCH);
    for (size_t t = 0; t < NS; t += 97)
        for (unsigned k = 0; k < NCH; k++)
            assert_true(cabsf(buf[t * NCH + k] - val(t, k)) < 1e-4f);
    /* one channel */
    for (unsigned k = 0; k < NCH; k++) {
        char js[256];
        snprintf(js, sizeof js, "{\"path\": \"" BASE "\", \"channel\": %u}", k);
        collect d = {.got = buf, .cap = NS * NCH};
        assert_int_equal(replay(js, &d, &e), 0);
        assert_int_equal(d.channels, 1);
        assert_int_equal(d.n, NS);
        for (size_t t = 0; t < NS; t += 101)
            assert_true(cabsf(buf[t] - val(t, k)) < 1e-4f);
    }
    /* default: channel 0 (single-channel consumers stay correct) */
    collect d = {.got = buf, .cap = NS * NCH};
    assert_int_equal(replay("{\"path\": \"" BASE "\"}", &d, &e), 0);
    assert_int_equal(d.channels, 1);
    assert_true(cabsf(buf[77] - val(77, 0)) < 1e-4f);
}

static void test_bad(void **st)
{
    (void)st;
    write_rec(SIGMF_CI8);
    static float complex buf[NS * NCH];
    sg_errinfo e;
    collect c = {.got = buf, .cap = NS * NCH};
    assert_int_equal(replay("{\"path\": \"" BASE "\", \"channel\": 4}", &c, &e), SG_EINVAL);
    assert_non_null(strstr(e.msg, "4 channels"));
    assert_int_equal(replay("{\"path\": \"" BASE "\", \"channel\": \"some\"}", &c, &e),
                     SG_EINVAL);
    /* the data ends inside a sample of the 4 channels */
    FILE *f = fopen(BASE ".sigmf-data", "ab");
    assert_non_null(f);
    fputc(0, f);
    fputc(0, f);
    fclose(f);
    collect d = {.got = buf, .cap = NS * NCH};
    assert_int_equal(replay("{\"path\": \"" BASE "\", \"channel\": \"all\"}", &d, &e), SG_ETRUNC);
    assert_int_equal(d.n, NS * NCH);
    assert_non_null(strstr(e.msg, "partial sample"));
    /* num_channels must be a count in 1..64 */
    const char *bad[] = {"0", "65", "\"4\"", "2.5"};
    for (int i = 0; i < 4; i++) {
        char meta[512];
        snprintf(meta, sizeof meta,
                 "{\"global\": {\"core:datatype\": \"ci8\", \"core:sample_rate\": 1e6, "
                 "\"core:num_channels\": %s}}",
                 bad[i]);
        sigmf_meta m;
        int rc = sigmf_meta_parse("t.sigmf-meta", meta, strlen(meta), 0, &m, &e);
        if (!rc)
            fail_msg("num_channels %s accepted", bad[i]);
        assert_non_null(strstr(e.msg, "num_channels"));
        sigmf_meta_free(&m);
    }
    sigmf_writer *w = sigmf_writer_create(BASE "_x", SIGMF_CI8, 1e6, 0, NAN, NULL, &e);
    assert_non_null(w);
    assert_int_equal(sigmf_writer_set_channels(w, 0, &e), SG_EINVAL);
    assert_int_equal(sigmf_writer_set_channels(w, 65, &e), SG_EINVAL);
    sigmf_writer_abort(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout_and_meta),
        cmocka_unit_test(test_replay),
        cmocka_unit_test(test_bad),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
