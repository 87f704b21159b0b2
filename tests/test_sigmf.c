/* SigMF / raw replay: every datatype round-trips through writer and adapter;
 * captures and annotations survive; malformed meta, missing sample rate, truncated
 * data, bad options and NaN samples give the documented, clear results. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <errno.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "iq_file.h"
#include "sg_adapter.h"
#include "sg_clock.h"
#include "sigmf.h"

#define DIR SG_BINARY_DIR "/test_sigmf_tmp"

typedef struct {
    float complex *x;
    size_t n, cap;
    int blocks;
    uint64_t next;
    double fc[8];
    uint64_t fc_start[8];
    int n_fc;
    double t0;
    int n_gap_after;          /* blocks flagged gap_after */
    uint64_t gap_after_end;   /* sample index one past the last such block */
} collect;

static int sink(void *user, const sg_iq_block *b)
{
    collect *c = user;
    assert_int_equal(b->sample_index, c->next);
    c->next += b->n;
    if (c->n_fc == 0 || c->fc[c->n_fc - 1] != b->center_freq) {
        if (c->n_fc < 8) {
            c->fc[c->n_fc] = b->center_freq;
            c->fc_start[c->n_fc++] = b->sample_index;
        }
    }
    c->t0 = b->t0;
    if (b->gap_after) {
        c->n_gap_after++;
        c->gap_after_end = b->sample_index + b->n;
    }
    if (c->n + b->n > c->cap) {
        c->cap = (c->n + b->n) * 2;
        c->x = realloc(c->x, c->cap * sizeof *c->x);
        assert_non_null(c->x);
    }
    memcpy(c->x + c->n, b->x, b->n * sizeof *b->x);
    c->n += b->n;
    c->blocks++;
    return 0;
}

/* Opens adapter `name` with JSON options, runs it to the end; returns run()'s code. */
static int replay(const char *name, const char *json, collect *c, sg_errinfo *e)
{
    const sg_iq_adapter *a = sg_iq_adapter_find(name);
    assert_non_null(a);
    cJSON *o = cJSON_Parse(json);
    assert_non_null(o);
    void *st = NULL;
    int rc = a->open(&st, o, "test", e);
    cJSON_Delete(o);
    if (rc)
        return rc;
    memset(c, 0, sizeof *c);
    rc = a->run(st, sink, c, e);
    sg_adapter_stats s;
    a->stats(st, &s);
    assert_int_equal(s.samples, c->n);
    a->close(st);
    return rc;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void make_signal(float complex *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        x[i] = 0.7f * cexpf(I * 0.01f * (float)(i * i % 6283)) * (i % 7 == 0 ? 0.5f : 1.0f);
}

/* Writes n samples of make_signal() as a recording; ann (may be NULL) is annotated. */
static void write_recording(const char *base, sigmf_datatype t, double rate, double fc,
                            size_t n, const sigmf_annotation *ann)
{
    float complex *x = malloc(n * sizeof *x);
    assert_non_null(x);
    make_signal(x, n);
    sg_errinfo e = {0};
    sigmf_writer *w = sigmf_writer_create(base, t, rate, fc, NAN, NULL, &e);
    assert_non_null(w);
    assert_int_equal(sigmf_writer_write(w, x, n, &e), 0);
    if (ann)
        assert_int_equal(sigmf_writer_annotate(w, ann, &e), 0);
    assert_int_equal(sigmf_writer_close(w, &e), 0);
    free(x);
}

static void test_roundtrip_all_types(void **state)
{
    (void)state;
    enum { N = 10000 };
    static float complex x[N];
    make_signal(x, N);
    /* worst-case quantisation error per component for each type */
    const double tol[SIGMF_TYPE_COUNT_] = {1e-7, 1e-7, 1.0 / 32768, 1.0 / 32768, 1.0 / 128,
                                           1.0 / 127.5};
    for (int t = 0; t < SIGMF_TYPE_COUNT_; t++) {
        char base[512], json[1024];
        snprintf(base, sizeof base, DIR "/rt_%s", sigmf_datatype_name((sigmf_datatype)t));
        sg_errinfo e = {0};
        sigmf_writer *w = sigmf_writer_create(base, (sigmf_datatype)t, 2e6, 2.44e9,
                                              1700000000.25, "round trip", &e);
        assert_non_null(w);
        assert_int_equal(sigmf_writer_write(w, x, 6000, &e), 0);
        assert_int_equal(sigmf_writer_capture(w, 2.45e9, 1700000000.25 + 6000 / 2e6, &e), 0);
        assert_int_equal(sigmf_writer_write(w, x + 6000, N - 6000, &e), 0);
        sigmf_annotation a = {.sample_start = 100, .sample_count = 50, .freq_lo = 2.439e9,
                              .freq_hi = 2.441e9};
        snprintf(a.label, sizeof a.label, "burst");
        assert_int_equal(sigmf_writer_annotate(w, &a, &e), 0);
        assert_int_equal(sigmf_writer_clipped(w), 0);
        assert_int_equal(sigmf_writer_close(w, &e), 0);

        collect c;
        snprintf(json, sizeof json, "{\"path\": \"%s.sigmf-meta\", \"block_samples\": 4096}", base);
        assert_int_equal(replay("sigmf", json, &c, &e), 0);
        assert_int_equal(c.n, N);
        assert_int_equal(c.n_fc, 2);
        assert_true(c.fc[0] == 2.44e9 && c.fc[1] == 2.45e9);
        assert_int_equal(c.fc_start[1], 6000);
        assert_true(fabs(c.t0 - 1700000000.25) < 1e-5);
        /* the segment before the retune ends with a block saying so (front ends close
         * their bursts then, not when the next segment arrives); nowhere else */
        assert_int_equal(c.n_gap_after, 1);
        assert_int_equal(c.gap_after_end, 6000);
        double worst = 0;
        for (size_t i = 0; i < N; i++) {
            double d = fmax(fabs(crealf(c.x[i]) - crealf(x[i])), fabs(cimagf(c.x[i]) - cimagf(x[i])));
            worst = fmax(worst, d);
        }
        if (worst > tol[t])
            fail_msg("%s: worst error %g > %g", sigmf_datatype_name((sigmf_datatype)t), worst, tol[t]);

        sigmf_meta m;
        snprintf(json, sizeof json, "%s.sigmf-meta", base);
        assert_int_equal(sigmf_meta_load(json, 0, &m, &e), 0);
        assert_int_equal(m.type, t);
        assert_true(m.sample_rate == 2e6);
        assert_int_equal(m.n_annotations, 1);
        assert_int_equal(m.annotations[0].sample_start, 100);
        assert_int_equal(m.annotations[0].sample_count, 50);
        assert_string_equal(m.annotations[0].label, "burst");
        assert_true(m.annotations[0].freq_hi == 2.441e9);
        sigmf_meta_free(&m);
        free(c.x);

        /* the same data as a raw file */
        snprintf(json, sizeof json,
                 "{\"path\": \"%s.sigmf-data\", \"format\": \"%s\", \"sample_rate\": 2e6, "
                 "\"center_freq\": 915e6, \"datetime\": \"2023-11-14T22:13:20Z\"}",
                 base, sigmf_datatype_name((sigmf_datatype)t));
        assert_int_equal(replay("raw", json, &c, &e), 0);
        assert_int_equal(c.n, N);
        assert_int_equal(c.n_fc, 1);
        assert_true(c.fc[0] == 915e6);
        assert_true(c.t0 == 1700000000.0);
        assert_int_equal(c.n_gap_after, 0);
        free(c.x);
    }
}

/* sigmf_decode against each format's definition, bit for bit, at every length 0..80 (the
 * vector loops' blocks and every tail) and from an odd byte address: random bytes, so every
 * code of ci8/cu8/ci16 occurs; cf32 with some Inf/NaN components (those samples become 0
 * and are counted). The samples after n are not written. Run on an AVX2 machine this
 * checks the AVX2 copy of the cf32 decoders, which the dispatcher picks there. */
static float def_value(sigmf_datatype t, const unsigned char *p, size_t k, uint32_t *bits)
{
    switch (t) {
    case SIGMF_CF32_LE:
    case SIGMF_CF32_BE: {
        const unsigned char *q = p + 4 * k;
        *bits = t == SIGMF_CF32_LE
                    ? (uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16 | (uint32_t)q[3] << 24
                    : (uint32_t)q[3] | (uint32_t)q[2] << 8 | (uint32_t)q[1] << 16 | (uint32_t)q[0] << 24;
        float f;
        memcpy(&f, bits, sizeof f);
        return f;
    }
    case SIGMF_CI16_LE:
        return (float)(int16_t)(p[2 * k] | p[2 * k + 1] << 8) / 32768.0f;
    case SIGMF_CI16_BE:
        return (float)(int16_t)(p[2 * k] << 8 | p[2 * k + 1]) / 32768.0f;
    case SIGMF_CI8:
        return (float)(int8_t)p[k] / 128.0f;
    default:
        return ((float)p[k] - 127.5f) / 127.5f;
    }
}

static void test_decode_definition(void **state)
{
    (void)state;
    enum { NMAX = 80 };
    static unsigned char buf[NMAX * 8 + 1];
    static float complex out[NMAX + 1];
    uint32_t rng = 12345;
    for (int t = 0; t < SIGMF_TYPE_COUNT_; t++) {
        size_t sb = sigmf_sample_bytes((sigmf_datatype)t);
        for (size_t n = 0; n <= NMAX; n++) {
            unsigned char *p = buf + 1; /* odd address: no alignment assumed */
            for (size_t i = 0; i < n * sb; i++) {
                rng = rng * 1664525u + 1013904223u;
                p[i] = (unsigned char)(rng >> 24);
            }
            if (sb == 8) /* cf32: mostly finite values, a few Inf/NaN components */
                for (size_t k = 0; k < 2 * n; k++) {
                    rng = rng * 1664525u + 1013904223u;
                    unsigned char *q = p + 4 * k, hi = (rng >> 28) == 0 ? 0x7f : 0x3f;
                    unsigned char ex = (rng >> 28) == 0 ? 0x80 | q[2] : q[2];
                    if (t == SIGMF_CF32_LE) {
                        q[3] = (unsigned char)((q[3] & 0x80) | hi);
                        q[2] = ex;
                    } else {
                        q[0] = (unsigned char)((q[0] & 0x80) | hi);
                        q[1] = ex;
                    }
                }
            for (size_t i = 0; i <= NMAX; i++)
                out[i] = CMPLXF(-7.0f, -7.0f);
            size_t bad = sigmf_decode((sigmf_datatype)t, p, n, out);
            size_t want_bad = 0;
            for (size_t i = 0; i < n; i++) {
                uint32_t br = 0, bi = 0;
                float re = def_value((sigmf_datatype)t, p, 2 * i, &br);
                float im = def_value((sigmf_datatype)t, p, 2 * i + 1, &bi);
                if (sb == 8 && (!isfinite(re) || !isfinite(im))) {
                    re = im = 0;
                    want_bad++;
                }
                float gr = crealf(out[i]), gi = cimagf(out[i]);
                if (memcmp(&gr, &re, sizeof re) || memcmp(&gi, &im, sizeof im))
                    fail_msg("%s n %zu sample %zu: (%a, %a), definition (%a, %a)",
                             sigmf_datatype_name((sigmf_datatype)t), n, i, gr, gi, re, im);
            }
            if (bad != want_bad)
                fail_msg("%s n %zu: %zu bad counted, %zu in the input",
                         sigmf_datatype_name((sigmf_datatype)t), n, bad, want_bad);
            for (size_t i = n; i <= NMAX; i++)
                if (out[i] != CMPLXF(-7.0f, -7.0f))
                    fail_msg("%s n %zu: sample %zu written", sigmf_datatype_name((sigmf_datatype)t),
                             n, i);
        }
    }
}

static void test_missing_rate(void **state)
{
    (void)state;
    write_file(DIR "/norate.sigmf-meta",
               "{\"global\": {\"core:datatype\": \"ci8\"}, \"captures\": [{\"core:sample_start\": 0, "
               "\"core:frequency\": 2.4e9}], \"annotations\": []}");
    write_file(DIR "/norate.sigmf-data", "abcdefgh");
    collect c;
    sg_errinfo e = {0};
    int rc = replay("sigmf", "{\"path\": \"" DIR "/norate.sigmf-meta\"}", &c, &e);
    assert_int_equal(rc, SG_EINVAL);
    assert_non_null(strstr(e.msg, "core:sample_rate"));
    assert_non_null(strstr(e.msg, "sample_rate"));
    /* given on the command line: works */
    rc = replay("sigmf", "{\"path\": \"" DIR "/norate\", \"sample_rate\": 1e6}", &c, &e);
    assert_int_equal(rc, 0);
    assert_int_equal(c.n, 4);
    free(c.x);
}

static void test_malformed_meta(void **state)
{
    (void)state;
    static const struct {
        const char *text, *expect;
    } cases[] = {
        {"{\"global\": {\"core:datatype\": \"cf32_le\", \"core:sample_rate\": 1e6", "line"},
        {"[1, 2]", "top level"},
        {"{\"captures\": []}", "global"},
        {"{\"global\": {\"core:sample_rate\": 1e6}}", "core:datatype"},
        {"{\"global\": {\"core:datatype\": \"rf64_le\", \"core:sample_rate\": 1e6}}", "rf64_le"},
        {"{\"global\": {\"core:datatype\": \"ci8\", \"core:sample_rate\": -5}}", "core:sample_rate"},
        {"{\"global\": {\"core:datatype\": \"ci8\", \"core:sample_rate\": \"fast\"}}", "core:sample_rate"},
        {"{\"global\": {\"core:datatype\": \"ci8\", \"core:sample_rate\": 1e6}, \"captures\": "
         "[{\"core:sample_start\": 0, \"core:datetime\": \"yesterday\"}]}", "core:datetime"},
        {"{\"global\": {\"core:datatype\": \"ci8\", \"core:sample_rate\": 1e6}, \"captures\": "
         "[{\"core:sample_start\": 10}, {\"core:sample_start\": 5}]}", "captures[1]"},
        {"{\"global\": {\"core:datatype\": \"ci8\", \"core:sample_rate\": 1e6}, \"annotations\": "
         "[{\"core:sample_count\": 5}]}", "annotations[0].core:sample_start"},
        {"{\"global\": {\"core:datatype\": \"ci8\", \"core:sample_rate\": 1e6}, \"captures\": 7}", "captures"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        write_file(DIR "/bad.sigmf-meta", cases[i].text);
        sigmf_meta m;
        sg_errinfo e = {0};
        int rc = sigmf_meta_load(DIR "/bad.sigmf-meta", 0, &m, &e);
        if (rc == 0 || !strstr(e.msg, cases[i].expect) || !strstr(e.msg, "bad.sigmf-meta"))
            fail_msg("case %zu: rc %d msg \"%s\" (expected to mention %s)", i, rc, e.msg,
                     cases[i].expect);
    }
}

static void test_truncated_data(void **state)
{
    (void)state;
    sg_errinfo e = {0};
    sigmf_annotation a = {.sample_start = 900, .sample_count = 100, .freq_lo = NAN, .freq_hi = NAN};
    write_recording(DIR "/trunc", SIGMF_CI16_LE, 1e6, 1e9, 1000, &a);
    /* cut the data: 800 whole samples + 3 stray bytes */
    assert_int_equal(truncate(DIR "/trunc.sigmf-data", 800 * 4 + 3), 0);
    collect c;
    int rc = replay("sigmf", "{\"path\": \"" DIR "/trunc.sigmf-meta\"}", &c, &e);
    assert_int_equal(rc, SG_ETRUNC);
    assert_non_null(strstr(e.msg, "partial sample"));
    assert_int_equal(c.n, 800);
    free(c.x);
    /* whole samples but shorter than the annotations say */
    assert_int_equal(truncate(DIR "/trunc.sigmf-data", 800 * 4), 0);
    rc = replay("sigmf", "{\"path\": \"" DIR "/trunc.sigmf-meta\"}", &c, &e);
    assert_int_equal(rc, SG_ETRUNC);
    assert_non_null(strstr(e.msg, "data ends at sample 800"));
    assert_int_equal(c.n, 800);
    free(c.x);
}

static void test_nan_samples_counted(void **state)
{
    (void)state;
    float v[8] = {0.5f, 0.25f, NAN, 1.0f, INFINITY, 0.0f, -0.5f, 0.5f};
    FILE *f = fopen(DIR "/nan.cf32", "wb");
    assert_non_null(f);
    fwrite(v, sizeof v, 1, f);
    fclose(f);
    const sg_iq_adapter *a = sg_iq_adapter_find("raw");
    cJSON *o = cJSON_Parse("{\"path\": \"" DIR "/nan.cf32\", \"format\": \"cf32_le\", \"sample_rate\": 1e6}");
    void *st;
    sg_errinfo e = {0};
    assert_int_equal(a->open(&st, o, "t", &e), 0);
    collect c = {0};
    assert_int_equal(a->run(st, sink, &c, &e), 0);
    sg_adapter_stats s;
    a->stats(st, &s);
    assert_int_equal(s.bad_samples, 2);
    assert_int_equal(c.n, 4);
    assert_true(c.x[1] == 0 && c.x[2] == 0 && crealf(c.x[0]) == 0.5f && cimagf(c.x[3]) == 0.5f);
    assert_true(s.progress == 1.0);
    char line[128];
    sg_adapter_progress_format(&s, 1e6, 2e-6, line, sizeof line);
    assert_string_equal(line, "100.0%     0.00 Ms  2.0x real time  2 bad");
    a->close(st);
    cJSON_Delete(o);
    free(c.x);
}

/* "-" reads the samples from stdin (raw path, and sigmf "data"). */
static void test_stdin(void **state)
{
    (void)state;
    enum { N = 3000 };
    static float complex x[N];
    make_signal(x, N);
    sg_errinfo e = {0};
    write_recording(DIR "/stdin", SIGMF_CI16_LE, 1e6, 433.92e6, N, NULL);
    collect c;
    assert_non_null(freopen(DIR "/stdin.sigmf-data", "rb", stdin));
    assert_int_equal(replay("raw", "{\"path\": \"-\", \"format\": \"ci16_le\", \"sample_rate\": 1e6}",
                            &c, &e), 0);
    assert_int_equal(c.n, N);
    assert_true(fabsf(crealf(c.x[N - 1]) - crealf(x[N - 1])) < 1e-4f);
    free(c.x);
    assert_non_null(freopen(DIR "/stdin.sigmf-data", "rb", stdin));
    assert_int_equal(replay("sigmf", "{\"path\": \"" DIR "/stdin\", \"data\": \"-\"}", &c, &e), 0);
    assert_int_equal(c.n, N);
    assert_true(c.fc[0] == 433.92e6);
    free(c.x);
}

static void test_bad_options(void **state)
{
    (void)state;
    static const struct {
        const char *adapter, *json, *expect;
    } cases[] = {
        {"raw", "{\"path\": \"x\", \"sample_rate\": 1e6}", "format"},
        {"raw", "{\"path\": \"x\", \"format\": \"cf64\", \"sample_rate\": 1e6}", "format"},
        {"raw", "{\"path\": \"x\", \"format\": \"ci8\"}", "sample_rate"},
        {"raw", "{\"path\": \"x\", \"format\": \"ci8\", \"sample_rate\": 0}", "sample_rate"},
        {"raw", "{\"path\": \"x\", \"format\": \"ci8\", \"sample_rate\": 1e6, \"speed\": 2}", "speed"},
        {"raw", "{\"path\": \"x\", \"format\": \"ci8\", \"sample_rate\": 1e6, \"datetime\": \"noon\"}", "datetime"},
        {"raw", "{\"path\": \"" DIR "/none.bin\", \"format\": \"ci8\", \"sample_rate\": 1e6}", "none.bin"},
        {"sigmf", "{}", "path"},
        {"sigmf", "{\"path\": \"" DIR "/absent\"}", "absent.sigmf-meta"},
        {"sigmf", "{\"path\": \"x\", \"realtime\": 1}", "realtime"},
        {"sigmf", "{\"path\": \"x\", \"block_samples\": 3}", "block_samples"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const sg_iq_adapter *a = sg_iq_adapter_find(cases[i].adapter);
        cJSON *o = cJSON_Parse(cases[i].json);
        assert_non_null(o);
        void *st = NULL;
        sg_errinfo e = {0};
        int rc = a->open(&st, o, "sensor", &e);
        cJSON_Delete(o);
        if (rc == 0 || st || !strstr(e.msg, cases[i].expect))
            fail_msg("case %zu: rc %d msg \"%s\"", i, rc, e.msg);
    }
    assert_null(sg_iq_adapter_find("nope"));
    assert_null(sg_iq_adapter_missing("sigmf"));
}

static void test_realtime_pacing(void **state)
{
    (void)state;
    enum { N = 20000 };
    sg_errinfo e = {0};
    write_recording(DIR "/pace", SIGMF_CI8, 100e3, 0, N, NULL);
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    collect c;
    assert_int_equal(replay("sigmf", "{\"path\": \"" DIR "/pace\", \"realtime\": true, "
                                     "\"block_samples\": 1000}", &c, &e), 0);
    clock_gettime(CLOCK_MONOTONIC, &b);
    double dt = (double)(b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) * 1e-9;
    /* 20000 samples at 100 kHz = 0.2 s: paced replay cannot be faster */
    assert_true(dt >= 0.195);
    assert_int_equal(c.n, N);
    free(c.x);
}

/* A recording whose clock jumps forward 56 years between two capture segments (1970 ->
 * 2026, as after an RTC fix) replays in real time without sleeping the jump out: the
 * wait for a jump is capped at SG_PACE_MAX_GAP_S. (It used to sleep 56 years; alarm()
 * turns that into a failure.) A stop request ends a pacing wait at once. */
static void test_realtime_clock_jump(void **state)
{
    (void)state;
    enum { N = 4000 };
    sg_errinfo e = {0};
    write_recording(DIR "/jump", SIGMF_CI8, 100e3, 0, N, NULL);
    write_file(DIR "/jump.sigmf-meta",
               "{\"global\": {\"core:datatype\": \"ci8\", \"core:sample_rate\": 100000, "
               "\"core:version\": \"1.0.0\"}, \"captures\": ["
               "{\"core:sample_start\": 0, \"core:datetime\": \"1970-01-01T00:00:00Z\"}, "
               "{\"core:sample_start\": 2000, \"core:datetime\": \"2026-01-01T00:00:00Z\"}, "
               "{\"core:sample_start\": 3000, \"core:datetime\": \"2025-01-01T00:00:00Z\"}], "
               "\"annotations\": []}");
    alarm(30);
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    collect c;
    assert_int_equal(replay("sigmf", "{\"path\": \"" DIR "/jump\", \"realtime\": true, "
                                     "\"block_samples\": 500}", &c, &e), 0);
    clock_gettime(CLOCK_MONOTONIC, &b);
    alarm(0);
    double dt = (double)(b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) * 1e-9;
    print_message("clock jump replay: %.3f s (samples 0.04 s, jump capped at %g s)\n", dt,
                  SG_PACE_MAX_GAP_S);
    assert_int_equal(c.n, N);
    /* 40 ms of samples + one capped forward jump; the backward jump costs nothing */
    assert_true(dt >= 0.039 + SG_PACE_MAX_GAP_S - 0.01);
    assert_true(dt < 0.04 + SG_PACE_MAX_GAP_S + 1.0);
    free(c.x);
    /* a wait due in 10 s ends as soon as stop is set */
    sg_pacer p;
    sg_pacer_init(&p);
    atomic_bool stop = false;
    assert_int_equal(sg_pacer_wait(&p, 0, 0.001, &stop), 0);
    atomic_store(&stop, true);
    clock_gettime(CLOCK_MONOTONIC, &a);
    assert_int_equal(sg_pacer_wait(&p, 0.001, 10.0, &stop), 1);
    clock_gettime(CLOCK_MONOTONIC, &b);
    assert_true(sg_ms_between(&a, &b) < 100);
}

/* Many annotations (a day of bursts): writing and reading them must be linear (80k took
 * about a minute each way when list items were looked up by index). The data is
 * checked in full; alarm() only turns a relapse into quadratic time into a failure
 * (linear: well under a second; the figure is in bench/ bench_sigmf). Fixed order:
 * annotations are added out of order to exercise the sort. */
static void test_many_annotations(void **state)
{
    (void)state;
    enum { NA = 80000 };
    sg_errinfo e = {0};
    alarm(30);
    struct timespec a, b, c;
    clock_gettime(CLOCK_MONOTONIC, &a);
    float complex x[64] = {0};
    sigmf_writer *w = sigmf_writer_create(DIR "/many", SIGMF_CI8, 1e6, 2.4e9, 1.7e9, NULL, &e);
    assert_non_null(w);
    assert_int_equal(sigmf_writer_write(w, x, 64, &e), 0);
    for (unsigned i = 0; i < NA; i++) {
        /* a permutation of 0..NA-1 (NA and 7919 are coprime) */
        unsigned k = (unsigned)(((uint64_t)i * 7919) % NA);
        sigmf_annotation an = {.sample_start = k, .sample_count = 3, .freq_lo = 2.4e9 - k,
                               .freq_hi = 2.4e9 + k};
        snprintf(an.label, sizeof an.label, "b%u", k);
        assert_int_equal(sigmf_writer_annotate(w, &an, &e), 0);
    }
    assert_int_equal(sigmf_writer_close(w, &e), 0);
    clock_gettime(CLOCK_MONOTONIC, &b);
    sigmf_meta m;
    assert_int_equal(sigmf_meta_load(DIR "/many.sigmf-meta", 0, &m, &e), 0);
    clock_gettime(CLOCK_MONOTONIC, &c);
    alarm(0);
    print_message("%d annotations: write %.0f ms, load %.0f ms\n", NA, sg_ms_between(&a, &b),
                  sg_ms_between(&b, &c));
    assert_int_equal(m.n_annotations, NA);
    for (unsigned k = 0; k < NA; k++) {
        char lab[16];
        snprintf(lab, sizeof lab, "b%u", k);
        assert_int_equal(m.annotations[k].sample_start, k);
        assert_string_equal(m.annotations[k].label, lab);
        assert_true(m.annotations[k].freq_hi - m.annotations[k].freq_lo == 2.0 * k);
    }
    sigmf_meta_free(&m);
}

/* Crash-safe recording: a live writer (meta rewritten every 1 ms of recording clock)
 * killed with SIGKILL mid-recording leaves a recording that loads and replays the
 * samples up to its last rewrite at least, exactly, with the annotations made by then. */
static void test_record_killed(void **state)
{
    (void)state;
    enum { BLK = 500, NB = 7 }; /* 3.5 ms at 1 MHz */
    float complex x[BLK * NB];
    make_signal(x, BLK * NB);
    (void)!system("rm -f " DIR "/crash.sigmf-*");
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        sg_errinfo e = {0};
        sigmf_writer *w = sigmf_writer_create(DIR "/crash", SIGMF_CF32_LE, 1e6, 915e6, 1.7e9,
                                              NULL, &e);
        if (!w || sigmf_writer_sync_every(w, 1e-3, &e))
            _exit(2);
        for (int b = 0; b < NB; b++) {
            if (sigmf_writer_write(w, x + b * BLK, BLK, &e))
                _exit(3);
            sigmf_annotation a = {.sample_start = (uint64_t)b * BLK + 10, .sample_count = 5,
                                  .freq_lo = NAN, .freq_hi = NAN};
            if (sigmf_writer_annotate(w, &a, &e))
                _exit(4);
        }
        kill(getpid(), SIGKILL); /* no close: the stdio buffer and the last meta are lost */
        _exit(5);
    }
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    sigmf_meta m;
    sg_errinfo e = {0};
    assert_int_equal(sigmf_meta_load(DIR "/crash.sigmf-meta", 0, &m, &e), 0);
    print_message("killed recording: meta lists %zu annotations\n", m.n_annotations);
    /* rewrites at 1, 2 and 3 ms (after the block, before its annotation) */
    assert_true(m.n_annotations >= 2);
    assert_true(m.captures[0].t0 == 1.7e9);
    sigmf_meta_free(&m);
    collect c;
    int rc = replay("sigmf", "{\"path\": \"" DIR "/crash\"}", &c, &e);
    print_message("killed recording: %zu of %d samples replayed (rc %d: %s)\n", c.n, BLK * NB,
                  rc, e.msg);
    assert_true(rc == SG_OK || rc == SG_ETRUNC);
    assert_true(c.n >= 3000);
    assert_memory_equal(c.x, x, c.n * sizeof *x);
    free(c.x);
}

/* A failed write (here the file size limit, like a full disk) is reported once with
 * the file and the cause; the writer then refuses more; close keeps the recording up
 * to the failure (whole samples only) and it replays. Runs in a child (setrlimit). */
static void test_record_write_failure(void **state)
{
    (void)state;
    (void)!system("rm -f " DIR "/full.sigmf-*");
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit rl = {.rlim_cur = 100003, .rlim_max = 100003};
        if (setrlimit(RLIMIT_FSIZE, &rl))
            _exit(2);
        static float complex x[4096];
        make_signal(x, 4096);
        sg_errinfo e = {0};
        sigmf_writer *w = sigmf_writer_create(DIR "/full", SIGMF_CF32_LE, 1e6, 0, NAN, NULL, &e);
        if (!w || sigmf_writer_sync_every(w, 1e-3, &e))
            _exit(3);
        int rc = SG_OK, n = 0;
        while (rc == SG_OK && n < 100)
            rc = sigmf_writer_write(w, x, 4096, &e), n++;
        if (rc != SG_EIO || !strstr(e.msg, DIR "/full.sigmf-data") ||
            !strstr(e.msg, strerror(EFBIG)))
            _exit(4);
        fprintf(stderr, "write failure after %d blocks: %s\n", n, e.msg);
        if (sigmf_writer_write(w, x, 16, &e) != SG_ESTATE)
            _exit(5);
        if (sigmf_writer_close(w, &e) != SG_EIO)
            _exit(6);
        _exit(0);
    }
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    struct stat fs;
    assert_int_equal(stat(DIR "/full.sigmf-data", &fs), 0);
    assert_int_equal(fs.st_size % 8, 0); /* cut to whole samples */
    collect c;
    sg_errinfo e = {0};
    assert_int_equal(replay("sigmf", "{\"path\": \"" DIR "/full\"}", &c, &e), 0);
    print_message("full disk: %zu samples kept (%lld bytes)\n", c.n, (long long)fs.st_size);
    assert_int_equal(c.n * 8, (size_t)fs.st_size);
    assert_true(c.n >= 8192);
    float complex ref[4096];
    make_signal(ref, 4096);
    for (size_t i = 0; i < c.n; i++)
        if (c.x[i] != ref[i % 4096])
            fail_msg("sample %zu differs", i);
    free(c.x);
}

static int setup(void **state)
{
    (void)state;
    (void)!system("mkdir -p " DIR);
    return 0;
}

/* ISO 8601 times at and past the edges of what a capture can carry: years outside
 * 0000..9999 (year -2147483648 overflowed tm_year: undefined behaviour) and out-of-range
 * int fields are refused; times that cannot be shown as a 4-digit year are written as
 * nothing (the writer then omits core:datetime) instead of overflowing. */
static void test_datetime_edges(void **state)
{
    (void)state;
    static const char *bad[] = {
        "-2147483648-01-01T00:00:00Z", "2147483647-01-01T00:00:00Z", "99999-01-01T00:00:00Z",
        "-0001-01-01T00:00:00Z",       " 2023-01-01T00:00:00Z",     "+2023-01-01T00:00:00Z",
        "2023-01-01T00:00:1e300Z",     "2023-4294967297-01T00:00:00Z", "2023-01-01T00:00:00e5Z",
        "2023-01-01T00:00:60.5.5Z",    "2023-01-01T00:00:00",
        "2023-01-01T00:-2147483648:00Z",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        double t = 0;
        if (sigmf_parse_datetime(bad[i], &t) != SG_EFORMAT)
            fail_msg("accepted \"%s\" as %g", bad[i], t);
    }
    double t = 0;
    assert_int_equal(sigmf_parse_datetime("0000-01-01T00:00:00Z", &t), SG_OK);
    assert_true(t == -62167219200.0);
    assert_int_equal(sigmf_parse_datetime("9999-12-31T23:59:59.5Z", &t), SG_OK);
    assert_true(t == 253402300799.5);
    char out[40];
    sigmf_format_datetime(253402300799.5, out, sizeof out);
    assert_string_equal(out, "9999-12-31T23:59:59.500000Z");
    static const double unshowable[] = {253402300800.0, -62167219201.0, 1e300, -1e300, NAN,
                                        INFINITY};
    for (size_t i = 0; i < sizeof unshowable / sizeof unshowable[0]; i++) {
        memset(out, 'x', sizeof out);
        sigmf_format_datetime(unshowable[i], out, sizeof out);
        assert_string_equal(out, "");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_all_types), cmocka_unit_test(test_missing_rate),
        cmocka_unit_test(test_malformed_meta),      cmocka_unit_test(test_truncated_data),
        cmocka_unit_test(test_nan_samples_counted), cmocka_unit_test(test_bad_options),
        cmocka_unit_test(test_realtime_pacing),     cmocka_unit_test(test_stdin),
        cmocka_unit_test(test_datetime_edges),    cmocka_unit_test(test_realtime_clock_jump),
        cmocka_unit_test(test_many_annotations),    cmocka_unit_test(test_record_killed),
        cmocka_unit_test(test_record_write_failure), cmocka_unit_test(test_decode_definition),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
