/* DF front end (dsp/dffe.h) on generated multi-channel captures: two ExpressLRS-like
 * emitters at different bearings (one labelled an interferer) seen by a UCA; every
 * burst the front end finds gets a bearing matching its emitter's truth, blocks of
 * any size; a block with the wrong channel count is refused and counted; NaN samples
 * in a burst give that burst no bearing (counted), never a wrong one. */
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

#include "dffe.h"
#include "siggen_array.h"
#include "sg_lsan.h"

SG_LSAN_SUPPRESS(SG_LSAN_LIQUID)

#define FS 2.4e6
#define FC 2.4409e9
#define DUR 0.5

typedef struct {
    const sga *q;
    const sga_truth *t;
    size_t nt;
    unsigned found, matched, nan_bursts, no_bearing;
    double worst;
} ctx;

static void on_burst(void *user, const sg_burst *b, const float complex *iq, size_t n_iq,
                     const doa_result *r, int rc)
{
    ctx *c = user;
    c->found++;
    /* channel 0's IQ of the burst, as the front end delivers it (for decoders) */
    assert_non_null(iq);
    assert_true(n_iq >= b->sample_count);
    if (rc) {
        c->no_bearing++;
        if (rc == SG_EFORMAT)
            c->nan_bursts++;
        assert_true(isnan(r->az));
        return;
    }
    /* the truth burst it overlaps in time and frequency, if only one */
    const sga_truth *hit = sga_truth_match(c->q, b->sample_start, b->sample_count, b->fc);
    if (!hit)
        return;
    double err = fabs(remainder(r->az - hit->az_body, 2 * M_PI)) * 180 / M_PI;
    if (err > c->worst)
        c->worst = err;
    c->matched++;
}

static sga *make(sga_site *s)
{
    sga_site_default(s);
    assert_int_equal(doa_array_uca(&s->array, 5, 0.053, NULL), 0);
    s->yaw_deg = 75;
    sg_errinfo e;
    sga *q = sga_create(s, FS, DUR, FC, &e);
    assert_non_null(q);
    sga_emitter em;
    memset(&em, 0, sizeof em);
    em.sig.kind = SIGGEN_ELRS;
    em.sig.snr_db = 20;
    em.sig.period = 0.002;
    em.ref_range = 100;
    em.pos[0] = -250;
    em.pos[1] = 120;
    em.pos[2] = 60;
    em.vel[0] = 15;
    em.seed = 3;
    assert_int_equal(sga_add(q, &em, &e), 0);
    em.pos[0] = 300;
    em.pos[1] = -40;
    em.vel[0] = 0;
    em.seed = 11;
    em.interferer = true;
    assert_int_equal(sga_add(q, &em, &e), 0);
    return q;
}

static float complex *capture(sga *q, size_t *n)
{
    *n = (size_t)sga_length(q);
    float complex *x = malloc(*n * sga_channels(q) * sizeof *x);
    assert_non_null(x);
    assert_int_equal(sga_generate(q, x, *n, NULL), 0);
    return x;
}

static void run(dffe *d, const float complex *x, size_t n, unsigned m, ctx *c)
{
    uint64_t rs = 77;
    sg_errinfo e;
    for (size_t done = 0; done < n;) {
        rs = rs * 6364136223846793005ull + 1442695040888963407ull;
        size_t k = 1000 + (size_t)((rs >> 33) % 90000);
        if (k > n - done)
            k = n - done;
        sg_iq_block b = {.x = x + done * m, .n = k, .sample_index = done, .sample_rate = FS,
                         .center_freq = FC, .t0 = 1.7e9, .channels = m};
        if (dffe_execute(d, &b, on_burst, c, &e))
            fail_msg("%s", e.msg);
        done += k;
    }
    assert_int_equal(dffe_flush(d, on_burst, c, &e), 0);
}

static void test_bearings(void **st)
{
    (void)st;
    sga_site s;
    sga *q = make(&s);
    size_t n;
    float complex *x = capture(q, &n);
    ctx c = {0};
    c.q = q;
    c.t = sga_truth_list(q, &c.nt);
    dffe_cfg cfg;
    dffe_cfg_default(&cfg);
    cfg.array = s.array;
    cfg.fe.nfft = 256;
    sg_errinfo e;
    dffe *d = dffe_create(&cfg, &e);
    assert_non_null(d);
    run(d, x, n, 5, &c);
    dffe_stats ds;
    dffe_stats_get(d, &ds);
    printf("  %zu truth bursts, %u found, %u with one emitter, worst error %.2f deg\n", c.nt,
           c.found, c.matched, c.worst);
    assert_true(c.found >= c.nt * 8 / 10);
    assert_true(c.matched >= c.nt * 6 / 10);
    assert_int_equal(c.no_bearing, 0);
    assert_int_equal(ds.bearings, c.found);
    assert_true(c.worst < 1.5);
    /* a block of the wrong shape: refused, counted, nothing used */
    sg_iq_block bad = {.x = x, .n = 100, .sample_index = n, .sample_rate = FS,
                       .center_freq = FC, .channels = 4};
    assert_int_equal(dffe_execute(d, &bad, on_burst, &c, &e), SG_EINVAL);
    assert_non_null(strstr(e.msg, "4 channels"));
    dffe_stats_get(d, &ds);
    assert_int_equal(ds.blocks_refused, 1);
    dffe_destroy(d);
    /* the single-channel front end refuses interleaved blocks instead of misreading them */
    frontend *fe = frontend_create(&cfg.fe, &e);
    assert_non_null(fe);
    sg_iq_block mc = {.x = x, .n = 1000, .sample_rate = FS, .center_freq = FC, .channels = 5};
    assert_int_equal(frontend_execute(fe, &mc, NULL, NULL), SG_EINVAL);
    assert_non_null(strstr(frontend_error(fe), "5 interleaved channels"));
    frontend_destroy(fe);

    /* NaN in every burst of channel 3: no bearings, each counted */
    for (size_t i = 0; i < c.nt; i++) {
        uint64_t mid = c.t[i].burst.sample_start + c.t[i].burst.sample_count * 3 / 4;
        x[mid * 5 + 3] = NAN;
    }
    ctx c2 = {0};
    c2.q = q;
    c2.t = c.t;
    c2.nt = c.nt;
    d = dffe_create(&cfg, &e);
    run(d, x, n, 5, &c2);
    dffe_stats_get(d, &ds);
    assert_true(c2.found > 0);
    assert_int_equal(c2.matched, 0);
    assert_true(c2.nan_bursts >= c2.found * 9 / 10);
    assert_int_equal(ds.no_bearing_bad, c2.nan_bursts);
    dffe_destroy(d);
    free(x);
    sga_destroy(q);
}

static void test_invalid(void **st)
{
    (void)st;
    dffe_cfg cfg;
    dffe_cfg_default(&cfg);
    sg_errinfo e;
    memset(&cfg.array, 0, sizeof cfg.array); /* no array */
    assert_null(dffe_create(&cfg, &e));
    assert_int_equal(doa_array_uca(&cfg.array, 5, 0.05, NULL), 0);
    cfg.doa_max_s = 0;
    assert_null(dffe_create(&cfg, &e));
    cfg.doa_max_s = 2e-3;
    cfg.fe.nfft = 100;
    assert_null(dffe_create(&cfg, &e));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bearings),
        cmocka_unit_test(test_invalid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
