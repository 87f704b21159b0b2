/* Multi-channel synthetic captures (dsp/siggen_array.h): the truth geometry, DoA on
 * the generated bursts from the truth's time-frequency region (narrowband LoRa and a
 * 9 MHz DroneID-like OFDM burst), moving emitters, channel errors recovered by
 * calibration, ground reflection, identical bursts at two sites, invalid input. */
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
#include "sg_assert.h"
#include "siggen_array.h"
#include "sg_lsan.h"

#define DEG (M_PI / 180)
#define FC 2.44e9
#define FS 15.36e6

SG_LSAN_SUPPRESS(SG_LSAN_LIQUID)

static void uca_site(sga_site *s)
{
    sga_site_default(s);
    assert_int_equal(doa_array_uca(&s->array, 5, 0.43 * DOA_C / FC, NULL), 0);
}

static sga_emitter lora_at(double e, double n, double u, double snr)
{
    sga_emitter em;
    memset(&em, 0, sizeof em);
    em.sig.kind = SIGGEN_LORA;
    em.sig.snr_db = snr;
    em.sig.freq_offset = 1e6;
    em.sig.t_start = 0.002;
    em.sig.period = 0.012;
    em.ref_range = 100;
    em.pos[0] = e;
    em.pos[1] = n;
    em.pos[2] = u;
    em.seed = 5;
    return em;
}

/* Whole capture of a site, interleaved. */
static float complex *capture(sga *q)
{
    size_t n = (size_t)sga_length(q), m = sga_channels(q);
    float complex *x = malloc(n * m * sizeof *x);
    assert_non_null(x);
    sg_errinfo e;
    /* in uneven pieces: block boundaries must not matter */
    for (size_t done = 0; done < n;) {
        size_t k = n - done < 3000 ? n - done : 3000;
        if (sga_generate(q, x + done * m, k, &e))
            fail_msg("%s", e.msg);
        done += k;
    }
    return x;
}

static doa_input burst_input(const sga *q, const float complex *x, const sga_truth *t)
{
    doa_input in = {.x = x + t->burst.sample_start * sga_channels(q),
                    .n = t->burst.sample_count,
                    .channels = sga_channels(q),
                    .fs = FS,
                    .fc = FC,
                    .f_lo = t->burst.fc - FC - 0.5 * t->burst.bandwidth,
                    .f_hi = t->burst.fc - FC + 0.5 * t->burst.bandwidth};
    if (in.f_lo < -FS / 2)
        in.f_lo = -FS / 2;
    if (in.f_hi > FS / 2)
        in.f_hi = FS / 2;
    return in;
}

static void test_bearing(void **st)
{
    (void)st;
    sga_site s;
    uca_site(&s);
    s.pos[0] = 100;
    s.pos[1] = -50;
    s.pos[2] = 20;
    s.yaw_deg = 30;
    const struct { double p[3], az, el; } tab[] = {
        {{200, 50, 20}, 45, 0}, {{100, 0, 70}, 0, 45}, {{0, -50, 20}, -90, 0},
        {{100, -150, 20}, 180, 0}};
    for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++) {
        double az, el, azb, r;
        sga_bearing(&s, tab[i].p, &az, &el, &azb, &r);
        assert_near(fabs(remainder(az / DEG - tab[i].az, 360)), 0, 1e-9);
        assert_near(el / DEG, tab[i].el, 1e-9);
        assert_near(fabs(remainder(azb / DEG - (tab[i].az - 30), 360)), 0, 1e-9);
    }
}

/* DoA of every burst from its truth region; returns the worst error / deg. */
static double doa_all(sga *q, const float complex *x, const doa_array *arr, bool calibrate,
                      const char *what)
{
    doa_cfg cfg;
    doa_cfg_default(&cfg);
    sg_errinfo e;
    doa *d = doa_create(arr, &cfg, &e);
    assert_non_null(d);
    size_t nt;
    const sga_truth *t = sga_truth_list(q, &nt);
    assert_true(nt >= 2);
    double worst = 0;
    for (size_t i = 0; i < nt; i++) {
        doa_input in = burst_input(q, x, &t[i]);
        if (calibrate && i == 0) {
            doa_cal_report rep;
            if (doa_calibrate(d, &in, t[0].az_body, t[0].el, &rep, &e))
                fail_msg("%s: calibrate: %s", what, e.msg);
            assert_int_equal(doa_set_calibration(d, rep.cal, &e), 0);
            continue;
        }
        doa_result r;
        if (doa_execute(d, &in, &r, &e))
            fail_msg("%s burst %zu: %s", what, i, e.msg);
        double err = fabs(remainder(r.az - t[i].az_body, 2 * M_PI)) / DEG;
        if (err > worst)
            worst = err;
        assert_false(r.flags & DOA_AMB_AZIMUTH);
    }
    doa_destroy(d);
    printf("  %-32s worst error %.2f deg over %zu bursts\n", what, worst, nt);
    return worst;
}

static void test_static_narrow_and_wide(void **st)
{
    (void)st;
    for (int wide = 0; wide < 2; wide++) {
        sga_site s;
        uca_site(&s);
        s.yaw_deg = 40;
        sg_errinfo e;
        sga *q = sga_create(&s, FS, 0.04, FC, &e);
        assert_non_null(q);
        sga_emitter em = lora_at(-120, 160, 60, 10);
        if (wide) {
            em.sig.kind = SIGGEN_DRONEID;
            em.sig.freq_offset = 0;
            em.sig.period = 0.009;
        }
        if (sga_add(q, &em, &e))
            fail_msg("%s", e.msg);
        float complex *x = capture(q);
        double worst = doa_all(q, x, &s.array, false, wide ? "DroneID-like 9 MHz, static" :
                                                              "LoRa 500 kHz, static");
        assert_true(worst < 1.0);
        free(x);
        sga_destroy(q);
    }
}

static void test_moving_with_errors_and_reflection(void **st)
{
    (void)st;
    sga_site s;
    uca_site(&s);
    s.yaw_deg = -15;
    const double ph[5] = {0, 35, -80, 150, 12};
    for (int i = 0; i < 5; i++)
        s.gain[i] = (float complex)(pow(10, 0.05 * i) * cexp(I * ph[i] * DEG));
    s.ground_gamma = -0.5;
    sg_errinfo e;
    sga *q = sga_create(&s, FS, 0.06, FC, &e);
    assert_non_null(q);
    /* ~100 m out, crossing at 60 m/s: the bearing moves ~0.6 rad/s */
    sga_emitter em = lora_at(-30, 100, 30, 15);
    em.vel[0] = 60;
    assert_int_equal(sga_add(q, &em, &e), 0);
    float complex *x = capture(q);
    size_t nt;
    const sga_truth *t = sga_truth_list(q, &nt);
    assert_true(fabs(t[nt - 1].az - t[0].az) > 1.0 * DEG);
    /* uncalibrated: wrong; calibrated on the first burst at its true bearing: right */
    doa_cfg cfg;
    doa_cfg_default(&cfg);
    doa *d = doa_create(&s.array, &cfg, &e);
    doa_input in = burst_input(q, x, &t[0]);
    doa_cal_report rep;
    assert_int_equal(doa_calibrate(d, &in, t[0].az_body, t[0].el, &rep, &e), 0);
    for (int i = 0; i < 5; i++)
        assert_near(remainder(rep.phase_deg[i] - ph[i], 360), 0, 2.0);
    doa_destroy(d);
    double worst = doa_all(q, x, &s.array, true, "moving, errors + reflection");
    assert_true(worst < 1.0);
    free(x);
    sga_destroy(q);
}

static void test_two_sites_same_bursts(void **st)
{
    (void)st;
    sga_site a, b;
    uca_site(&a);
    uca_site(&b);
    b.pos[0] = 400;
    b.seed = 9;
    sg_errinfo e;
    sga *qa = sga_create(&a, FS, 0.03, FC, &e), *qb = sga_create(&b, FS, 0.03, FC, &e);
    assert_non_null(qa);
    assert_non_null(qb);
    sga_emitter em = lora_at(200, 300, 50, 10);
    assert_int_equal(sga_add(qa, &em, &e), 0);
    assert_int_equal(sga_add(qb, &em, &e), 0);
    size_t na, nb;
    const sga_truth *ta = sga_truth_list(qa, &na), *tb = sga_truth_list(qb, &nb);
    assert_int_equal(na, nb);
    for (size_t i = 0; i < na; i++) {
        assert_int_equal(ta[i].burst.sample_start, tb[i].burst.sample_start);
        assert_near(ta[i].burst.fc, tb[i].burst.fc, 1e-3);
        assert_near(ta[i].az / DEG, atan2(200, 300) / DEG, 1e-6);
        assert_near(tb[i].az / DEG, atan2(-200, 300) / DEG, 1e-6);
    }
    sga_destroy(qa);
    sga_destroy(qb);
}

static void test_invalid(void **st)
{
    (void)st;
    sga_site s;
    uca_site(&s);
    sg_errinfo e;
    sga_site b = s;
    b.noise_power = 0;
    assert_null(sga_create(&b, FS, 0.01, FC, &e));
    b = s;
    b.gain[3] = 0;
    assert_null(sga_create(&b, FS, 0.01, FC, &e));
    assert_non_null(strstr(e.msg, "channel 3"));
    b = s;
    b.pos[2] = NAN;
    assert_null(sga_create(&b, FS, 0.01, FC, &e));
    b = s;
    b.array.n = 1;
    assert_null(sga_create(&b, FS, 0.01, FC, &e));
    b = s;
    assert_int_equal(doa_array_uca(&b.array, 4, 5.0, NULL), 0); /* 5 m: > 0.9 samples */
    assert_null(sga_create(&b, 1e8, 0.01, FC, &e));
    assert_null(sga_create(&s, FS, -1, FC, &e));
    sga *q = sga_create(&s, FS, 0.01, FC, &e);
    assert_non_null(q);
    sga_emitter em = lora_at(10, 10, 10, 10);
    em.ref_range = 0;
    assert_int_equal(sga_add(q, &em, &e), SG_EINVAL);
    em = lora_at(NAN, 10, 10, 10);
    assert_int_equal(sga_add(q, &em, &e), SG_EINVAL);
    em = lora_at(0, 0, 10.2, 10); /* through the array */
    assert_int_equal(sga_add(q, &em, &e), SG_EINVAL);
    em = lora_at(10, 10, 10, 10);
    em.vel[1] = 1000;
    assert_int_equal(sga_add(q, &em, &e), SG_EINVAL);
    em = lora_at(10, 10, 10, 10);
    em.sig.t_start = 5; /* no burst in the capture: siggen's error, prefixed */
    assert_int_equal(sga_add(q, &em, &e), SG_ERANGE);
    assert_non_null(strstr(e.msg, "siggen_array"));
    sga_destroy(q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bearing),
        cmocka_unit_test(test_static_narrow_and_wide),
        cmocka_unit_test(test_moving_with_errors_and_reflection),
        cmocka_unit_test(test_two_sites_same_bursts),
        cmocka_unit_test(test_invalid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
