/* Direction finding (dsp/doa.h) against known geometry: plane waves synthesised per
 * snapshot window in the frequency domain with the exact steering of every bin, white
 * noise added in time. Monte Carlo RMSE against the Cramer-Rao bound (fixed seeds,
 * printed on failure), ambiguity flags, calibration, and every invalid input. */
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

#define DEG (M_PI / 180)
#define FC 2.44e9
#define LAMBDA (DOA_C / FC)

static uint64_t rs;

static double uni(void)
{
    rs ^= rs << 13;
    rs ^= rs >> 7;
    rs ^= rs << 17;
    return ((rs >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

static double complex cgauss(double var)
{
    double r = sqrt(-log(uni()) * var), p = 2 * M_PI * uni();
    return r * cexp(I * p);
}

typedef struct {
    double az, el;          /* rad */
    double rho;             /* per-element in-band SNR per bin, linear */
} src;

typedef struct {
    unsigned nfft, windows;
    double fs, fc;
    int klo, khi;           /* occupied bins (signed FFT index) */
    const double complex *gain; /* per-channel error, NULL = none */
    bool incoherent;        /* each channel gets a random phase per window */
} scene;

/* Interleaved x[t * m + i]; noise variance 1 per sample. */
static float complex *synth(const doa_array *a, const scene *s, const src *sv, unsigned ns)
{
    unsigned m = a->n, nf = s->nfft;
    size_t n = (size_t)nf * s->windows;
    float complex *x = calloc(n * m, sizeof *x);
    assert_non_null(x);
    double complex *c = calloc((size_t)nf * m, sizeof *c);
    assert_non_null(c);
    for (unsigned w = 0; w < s->windows; w++) {
        memset(c, 0, (size_t)nf * m * sizeof *c);
        for (unsigned j = 0; j < ns; j++)
            for (int k = s->klo; k <= s->khi; k++) {
                double f = s->fc + k * s->fs / nf;
                float complex av[DOA_MAX_ELEMENTS];
                assert_int_equal(doa_steering(a, sv[j].az, sv[j].el, f, av), 0);
                double complex sig = cgauss(sv[j].rho / nf);
                unsigned kk = (unsigned)(k < 0 ? k + (int)nf : k);
                for (unsigned i = 0; i < m; i++)
                    c[(size_t)i * nf + kk] += av[i] * sig;
            }
        for (unsigned i = 0; i < m; i++) {
            double complex g = s->gain ? s->gain[i] : 1;
            if (s->incoherent)
                g *= cexp(I * 2 * M_PI * uni());
            for (unsigned t = 0; t < nf; t++) {
                double complex v = 0;
                for (int k = s->klo; k <= s->khi; k++) {
                    unsigned kk = (unsigned)(k < 0 ? k + (int)nf : k);
                    v += c[(size_t)i * nf + kk] * cexp(I * 2 * M_PI * (double)kk * t / nf);
                }
                x[((size_t)w * nf + t) * m + i] = (float complex)(g * v + cgauss(1.0));
            }
        }
    }
    free(c);
    return x;
}

static doa_input input_of(const doa_array *a, const scene *s, const float complex *x)
{
    doa_input in = {.x = x,
                    .n = (size_t)s->nfft * s->windows,
                    .channels = a->n,
                    .fs = s->fs,
                    .fc = s->fc,
                    .f_lo = (s->klo - 0.5) * s->fs / s->nfft,
                    .f_hi = (s->khi + 0.5) * s->fs / s->nfft};
    return in;
}

static scene default_scene(void)
{
    return (scene){.nfft = 64, .windows = 32, .fs = 20e6, .fc = FC, .klo = -4, .khi = 3};
}

/* CRB of azimuth for the scene (sum over its bins). */
static double crb_scene(const doa_array *a, const scene *s, double az, double rho)
{
    double info = 0;
    for (int k = s->klo; k <= s->khi; k++)
        info += 1 / doa_crb_var_az(a, az, 0, s->fc + k * s->fs / s->nfft, rho, s->windows);
    return 1 / info;
}

static double angerr(double a, double b)
{
    return remainder(a - b, 2 * M_PI);
}

/* ---- geometry ----------------------------------------------------------------- */

static void test_steering_table(void **st)
{
    (void)st;
    doa_array a;
    assert_int_equal(doa_array_ula(&a, 4, 0.05, NULL), 0);
    /* ULA along x: element i at x_i; a_i = exp(j 2 pi f x_i sin(az) cos(el) / c) */
    const struct { double az, el, f; } tab[] = {
        {0, 0, 2.4e9}, {30 * DEG, 0, 2.4e9}, {-75 * DEG, 10 * DEG, 5.8e9}, {120 * DEG, 0, 9e8}};
    for (size_t t = 0; t < sizeof tab / sizeof tab[0]; t++) {
        float complex v[4];
        assert_int_equal(doa_steering(&a, tab[t].az, tab[t].el, tab[t].f, v), 0);
        for (unsigned i = 0; i < 4; i++) {
            double ph = 2 * M_PI * tab[t].f * a.pos[i][0] * sin(tab[t].az) * cos(tab[t].el) / DOA_C;
            assert_near(cabsf(v[i] - (float complex)cexp(I * ph)), 0, 1e-5);
        }
    }
    assert_int_equal(doa_array_rank(&a), 1);
    doa_array u;
    assert_int_equal(doa_array_uca(&u, 5, 0.05, NULL), 0);
    assert_int_equal(doa_array_rank(&u), 2);
    assert_near(u.pos[0][1], 0.05, 1e-12); /* element 0 forward */
    assert_near(u.pos[1][0], 0.05 * sin(72 * DEG), 1e-12); /* then clockwise */
    double p3[4][3] = {{0, 0, 0}, {0.1, 0, 0}, {0, 0.1, 0}, {0, 0, 0.1}};
    doa_array v;
    assert_int_equal(doa_array_set(&v, 4, p3, NULL), 0);
    assert_int_equal(doa_array_rank(&v), 3);
    assert_near(doa_array_aperture(&v), 0.1 * sqrt(2), 1e-12);
}

static void test_crb_closed_forms(void **st)
{
    (void)st;
    /* UCA, el = 0: s2 = r^2/2, so var = (1 + M rho) / (2 N rho^2 M^2 k^2 r^2 / 2) */
    doa_array u;
    double r = 0.43 * LAMBDA, rho = 3, nw = 100, k = 2 * M_PI / LAMBDA;
    assert_int_equal(doa_array_uca(&u, 5, r, NULL), 0);
    for (double az = -170; az < 180; az += 37) {
        double want = (1 + 5 * rho) / (2 * nw * rho * rho * 25 * k * k * r * r / 2);
        assert_near(doa_crb_var_az(&u, az * DEG, 0, FC, rho, nw) / want, 1, 1e-9);
    }
    /* ULA: s2 = d^2 (M^2 - 1) / 12 cos^2(az) */
    doa_array a;
    double d = LAMBDA / 2;
    assert_int_equal(doa_array_ula(&a, 4, d, NULL), 0);
    for (double az = -80; az <= 80; az += 20) {
        double s2 = d * d * 15 / 12 * cos(az * DEG) * cos(az * DEG);
        double want = (1 + 4 * rho) / (2 * nw * rho * rho * 16 * k * k * s2);
        assert_near(doa_crb_var_az(&a, az * DEG, 0, FC, rho, nw) / want, 1, 1e-9);
    }
    assert_true(isinf(doa_crb_var_az(&a, 90 * DEG, 0, FC, rho, nw)) ||
                doa_crb_var_az(&a, 90 * DEG, 0, FC, rho, nw) > 1e20);
}

/* ---- Monte Carlo vs the CRB ------------------------------------------------------ */

typedef struct {
    const char *name;
    unsigned n;
    bool uca;
    double size;            /* spacing or radius, m */
    doa_method method;
    double snr_db;
    double az_span_deg;     /* true az uniform in +-span */
    double max_ratio;       /* RMSE / sqrt(CRB) must be below */
} mc_case;

static void run_mc(const mc_case *c, unsigned trials, uint64_t seed)
{
    doa_array a;
    if (c->uca)
        assert_int_equal(doa_array_uca(&a, c->n, c->size, NULL), 0);
    else
        assert_int_equal(doa_array_ula(&a, c->n, c->size, NULL), 0);
    doa_cfg cfg;
    doa_cfg_default(&cfg);
    cfg.method = c->method;
    sg_errinfo e;
    doa *q = doa_create(&a, &cfg, &e);
    assert_non_null(q);
    scene s = default_scene();
    rs = seed;
    double sum_n2 = 0, sum_rep = 0;
    double rho = pow(10, c->snr_db / 10);
    for (unsigned t = 0; t < trials; t++) {
        src sv = {(2 * uni() - 1) * c->az_span_deg * DEG, 0, rho};
        float complex *x = synth(&a, &s, &sv, 1);
        doa_input in = input_of(&a, &s, x);
        doa_result r;
        int rc = doa_execute(q, &in, &r, &e);
        if (rc)
            fail_msg("%s seed %llu trial %u: %s", c->name, (unsigned long long)seed, t, e.msg);
        double crb = crb_scene(&a, &s, sv.az, rho);
        double err = angerr(r.az, sv.az);
        sum_n2 += err * err / crb;
        sum_rep += sqrt(r.var_az / crb);
        free(x);
    }
    double ratio = sqrt(sum_n2 / trials), rep = sum_rep / trials;
    printf("  %-28s SNR %5.1f dB: RMSE/sqrt(CRB) = %.2f, reported sd/sqrt(CRB) = %.2f\n",
           c->name, c->snr_db, ratio, rep);
    if (!(ratio <= c->max_ratio && ratio >= 0.6))
        fail_msg("%s seed %llu: RMSE/sqrt(CRB) %.2f outside [0.6, %.2f]", c->name,
                 (unsigned long long)seed, ratio, c->max_ratio);
    /* the reported sd is the CRB at the estimated SNR: close to the true one */
    if (!(rep > 0.6 && rep < 1.5))
        fail_msg("%s seed %llu: reported sd / sqrt(CRB) = %.2f", c->name,
                 (unsigned long long)seed, rep);
    doa_destroy(q);
}

static void test_rmse_vs_crb(void **st)
{
    (void)st;
    const double r5 = 0.43 * LAMBDA, h = LAMBDA / 2;
    const mc_case cases[] = {
        {"UCA5 MUSIC", 5, true, r5, DOA_MUSIC, 0, 180, 1.5},
        {"UCA5 MUSIC", 5, true, r5, DOA_MUSIC, 10, 180, 1.5},
        {"UCA5 Bartlett", 5, true, r5, DOA_BARTLETT, 0, 180, 1.5},
        {"UCA5 Bartlett", 5, true, r5, DOA_BARTLETT, 10, 180, 1.5},
        {"ULA4 lambda/2 MUSIC", 4, false, h, DOA_MUSIC, 0, 60, 1.5},
        {"ULA4 lambda/2 MUSIC", 4, false, h, DOA_MUSIC, 10, 60, 1.5},
        {"ULA4 lambda/2 Bartlett", 4, false, h, DOA_BARTLETT, 10, 60, 1.5},
        {"ULA2 lambda/2 MUSIC", 2, false, h, DOA_MUSIC, 0, 60, 1.5},
        {"ULA2 lambda/2 phase", 2, false, h, DOA_PHASE, 0, 60, 1.5},
        {"ULA2 lambda/2 phase", 2, false, h, DOA_PHASE, 10, 60, 1.5},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        run_mc(&cases[i], 60, 1000 + i);
}

/* ---- ambiguity ------------------------------------------------------------------- */

static doa_result one(const doa_array *a, const doa_cfg *cfg, const src *sv, unsigned ns,
                      uint64_t seed)
{
    sg_errinfo e;
    doa *q = doa_create(a, cfg, &e);
    if (!q)
        fail_msg("create: %s", e.msg);
    scene s = default_scene();
    rs = seed;
    float complex *x = synth(a, &s, sv, ns);
    doa_input in = input_of(a, &s, x);
    doa_result r;
    if (doa_execute(q, &in, &r, &e))
        fail_msg("seed %llu: %s", (unsigned long long)seed, e.msg);
    free(x);
    doa_destroy(q);
    return r;
}

static bool has_peak(const doa_result *r, double az, double tol)
{
    for (unsigned i = 0; i < r->npeaks; i++)
        if (fabs(angerr(r->peaks[i].az, az)) <= tol)
            return true;
    return false;
}

static void test_front_back(void **st)
{
    (void)st;
    doa_array a, u;
    assert_int_equal(doa_array_ula(&a, 4, LAMBDA / 2, NULL), 0);
    assert_int_equal(doa_array_uca(&u, 5, 0.43 * LAMBDA, NULL), 0);
    doa_cfg cfg;
    doa_cfg_default(&cfg);
    /* a source behind a ULA: reported as its front twin, both listed, flagged */
    src behind = {150 * DEG, 0, 10};
    doa_result r = one(&a, &cfg, &behind, 1, 7);
    assert_true(r.flags & DOA_AMB_FRONT_BACK);
    assert_false(r.flags & DOA_AMB_GRATING);
    assert_near(r.az / DEG, 30, 1.0);
    assert_true(has_peak(&r, 150 * DEG, 1.0 * DEG));
    /* the UCA tells front from back */
    r = one(&u, &cfg, &behind, 1, 7);
    assert_false(r.flags & (DOA_AMB_FRONT_BACK | DOA_AMB_GRATING | DOA_AMB_MULTI));
    assert_near(r.az / DEG, 150, 1.0);
    assert_int_equal(r.npeaks, 1);
}

static void test_grating(void **st)
{
    (void)st;
    doa_cfg cfg;
    doa_cfg_default(&cfg);
    src s0 = {20 * DEG, 0, 10};
    const double spacing[] = {LAMBDA / 2, LAMBDA, 2 * LAMBDA};
    for (int i = 0; i < 3; i++) {
        doa_array a;
        assert_int_equal(doa_array_ula(&a, 4, spacing[i], NULL), 0);
        doa_result r = one(&a, &cfg, &s0, 1, 11 + i);
        if (i == 0) {
            assert_false(r.flags & DOA_AMB_GRATING);
            assert_near(r.az / DEG, 20, 1);
        } else {
            if (!(r.flags & DOA_AMB_GRATING))
                fail_msg("spacing %.2f lambda: grating lobes not flagged (flags %#x)",
                         spacing[i] / LAMBDA, r.flags);
            assert_true(has_peak(&r, 20 * DEG, 0.5 * DEG));
        }
    }
    /* 2-channel interferometry at 1 lambda: both solutions listed */
    doa_array a2;
    assert_int_equal(doa_array_ula(&a2, 2, LAMBDA, NULL), 0);
    cfg.method = DOA_PHASE;
    doa_result r = one(&a2, &cfg, &s0, 1, 21);
    assert_true(r.flags & DOA_AMB_GRATING);
    assert_true(r.flags & DOA_AMB_FRONT_BACK);
    assert_true(has_peak(&r, 20 * DEG, 1 * DEG));
    /* at lambda/2 one solution and its mirror */
    assert_int_equal(doa_array_ula(&a2, 2, LAMBDA / 2, NULL), 0);
    r = one(&a2, &cfg, &s0, 1, 22);
    assert_false(r.flags & DOA_AMB_GRATING);
    assert_int_equal(r.npeaks, 2);
    assert_near(r.az / DEG, 20, 2);
}

static void test_two_emitters(void **st)
{
    (void)st;
    doa_array u;
    assert_int_equal(doa_array_uca(&u, 5, 0.43 * LAMBDA, NULL), 0);
    doa_cfg cfg;
    doa_cfg_default(&cfg);
    cfg.method = DOA_BARTLETT;
    src two[2] = {{-40 * DEG, 0, 10}, {100 * DEG, 0, 10}};
    for (int method = 0; method < 2; method++) {
        /* Bartlett's wide beams pull the two peaks towards each other (~5 deg here);
         * MUSIC told to expect 2 sources resolves them */
        cfg.method = method ? DOA_MUSIC : DOA_BARTLETT;
        cfg.sources = method ? 2 : 1;
        double tol = method ? 2 : 8;
        doa_result r = one(&u, &cfg, two, 2, 31);
        if (!(r.flags & DOA_AMB_MULTI))
            fail_msg("%s: two equal emitters not flagged (flags %#x, %u peaks)",
                     doa_method_name(cfg.method), r.flags, r.npeaks);
        assert_true(has_peak(&r, -40 * DEG, tol * DEG));
        assert_true(has_peak(&r, 100 * DEG, tol * DEG));
        assert_true(r.flags & DOA_FLAG_NOT_RANK1);
    }
    cfg.method = DOA_BARTLETT;
    cfg.sources = 1;
    doa_result r;
    /* one emitter: neither */
    r = one(&u, &cfg, two, 1, 32);
    assert_false(r.flags & (DOA_AMB_MULTI | DOA_FLAG_NOT_RANK1));
}

static void test_elevation(void **st)
{
    (void)st;
    doa_array u;
    assert_int_equal(doa_array_uca(&u, 5, 0.43 * LAMBDA, NULL), 0);
    doa_cfg cfg;
    doa_cfg_default(&cfg);
    cfg.elevation = true;
    src s0 = {-60 * DEG, 35 * DEG, 30};
    doa_result r = one(&u, &cfg, &s0, 1, 41);
    assert_near(r.az / DEG, -60, 1.0);
    assert_near(r.el / DEG, 35, 3.0);
    assert_true(r.flags & DOA_AMB_UP_DOWN);
    assert_true(isfinite(r.var_el) && r.var_el > 0);
}

/* ---- calibration ---------------------------------------------------------------- */

static void test_calibration(void **st)
{
    (void)st;
    doa_array u;
    assert_int_equal(doa_array_uca(&u, 5, 0.43 * LAMBDA, NULL), 0);
    const double ph[5] = {0, 40, -75, 120, 10}, gdb[5] = {0, 1, -2, 0.5, 3};
    double complex g[5];
    for (int i = 0; i < 5; i++)
        g[i] = pow(10, gdb[i] / 20) * cexp(I * ph[i] * DEG);
    doa_cfg cfg;
    doa_cfg_default(&cfg);
    sg_errinfo e;
    doa *q = doa_create(&u, &cfg, &e);
    assert_non_null(q);
    scene s = default_scene();
    s.gain = g;
    s.windows = 64;
    rs = 51;
    src cal_src = {25 * DEG, 0, 30};
    float complex *x = synth(&u, &s, &cal_src, 1);
    doa_input in = input_of(&u, &s, x);
    doa_cal_report rep;
    assert_int_equal(doa_calibrate(q, &in, cal_src.az, 0, &rep, &e), 0);
    for (int i = 0; i < 5; i++) {
        assert_near(remainder(rep.phase_deg[i] - ph[i], 360), 0, 1.0);
        assert_near(rep.gain_db[i], gdb[i], 0.2);
    }
    assert_true(rep.spread_deg < 3);
    assert_true(rep.rank1 > 0.95);
    /* an uncalibrated estimate of another source is wrong; calibrated, it is right */
    src test_src = {-100 * DEG, 0, 10};
    rs = 52;
    float complex *y = synth(&u, &s, &test_src, 1);
    doa_input iy = input_of(&u, &s, y);
    doa_result r;
    assert_int_equal(doa_execute(q, &iy, &r, &e), 0);
    double raw_err = fabs(angerr(r.az, test_src.az)) / DEG;
    assert_int_equal(doa_set_calibration(q, rep.cal, &e), 0);
    assert_true(doa_get_array(q)->calibrated);
    assert_int_equal(doa_execute(q, &iy, &r, &e), 0);
    double cal_err = fabs(angerr(r.az, test_src.az)) / DEG;
    printf("  uncalibrated error %.1f deg, calibrated %.2f deg\n", raw_err, cal_err);
    assert_true(raw_err > 5);
    assert_true(cal_err < 1);
    /* the same capture passes the drift check; a channel drifted by 15 deg fails it */
    double dev;
    assert_int_equal(doa_cal_check(q, &in, cal_src.az, 0, 5, &dev, NULL, &e), 0);
    assert_true(dev < 1);
    g[2] *= cexp(I * 15 * DEG);
    rs = 53;
    float complex *z = synth(&u, &s, &cal_src, 1);
    doa_input iz = input_of(&u, &s, z);
    assert_int_equal(doa_cal_check(q, &iz, cal_src.az, 0, 5, &dev, NULL, &e), SG_ESTATE);
    assert_near(dev, 15, 1.5);
    assert_non_null(strstr(e.msg, "channel 2"));
    free(x);
    free(y);
    free(z);
    doa_destroy(q);
}

static void test_incoherent(void **st)
{
    (void)st;
    doa_array u;
    assert_int_equal(doa_array_uca(&u, 5, 0.43 * LAMBDA, NULL), 0);
    doa_cfg cfg;
    doa_cfg_default(&cfg);
    doa *q = doa_create(&u, &cfg, NULL);
    assert_non_null(q);
    scene s = default_scene();
    s.incoherent = true;
    rs = 61;
    src s0 = {10 * DEG, 0, 30};
    float complex *x = synth(&u, &s, &s0, 1);
    doa_input in = input_of(&u, &s, x);
    in.snr = s0.rho; /* the front end's burst SNR */
    doa_result r;
    assert_int_equal(doa_execute(q, &in, &r, NULL), 0);
    assert_true(r.flags & DOA_FLAG_NOT_RANK1);
    assert_true(r.rank1 < 0.7);
    free(x);
    /* the same burst with coherent channels passes */
    s.incoherent = false;
    x = synth(&u, &s, &s0, 1);
    in = input_of(&u, &s, x);
    in.snr = s0.rho;
    assert_int_equal(doa_execute(q, &in, &r, NULL), 0);
    assert_false(r.flags & DOA_FLAG_NOT_RANK1);
    assert_true(r.rank1 > 0.9);
    free(x);
    doa_destroy(q);
}

/* ---- invalid input ------------------------------------------------------------------ */

static void test_invalid(void **st)
{
    (void)st;
    sg_errinfo e;
    doa_array a;
    assert_int_equal(doa_array_ula(&a, 0, 0.05, &e), SG_EINVAL);
    assert_int_equal(doa_array_ula(&a, 1, 0.05, &e), SG_EINVAL);
    assert_int_equal(doa_array_uca(&a, 17, 0.05, &e), SG_EINVAL);
    assert_int_equal(doa_array_ula(&a, 4, 0, &e), SG_EINVAL);
    assert_int_equal(doa_array_uca(&a, 5, NAN, &e), SG_EINVAL);
    double p[3][3] = {{0, 0, 0}, {NAN, 0, 0}, {0, 0.1, 0}};
    assert_int_equal(doa_array_set(&a, 3, p, &e), SG_EINVAL);
    assert_non_null(strstr(e.msg, "element 1"));
    double same[2][3] = {{0.1, 0, 0}, {0.1, 0, 0}};
    assert_int_equal(doa_array_set(&a, 2, same, &e), SG_EINVAL);
    double vert[2][3] = {{0, 0, 0}, {0, 0, 0.06}};
    doa_cfg cfg;
    doa_cfg_default(&cfg);
    assert_int_equal(doa_array_set(&a, 2, vert, &e), 0);
    assert_null(doa_create(&a, &cfg, &e));
    assert_non_null(strstr(e.msg, "vertical"));
    /* a doa_array filled by hand with 1 element is refused by create */
    doa_array bad;
    memset(&bad, 0, sizeof bad);
    bad.n = 1;
    bad.cal[0] = 1;
    assert_null(doa_create(&bad, &cfg, &e));
    doa_array ula4, uca5;
    assert_int_equal(doa_array_ula(&ula4, 4, LAMBDA / 2, NULL), 0);
    assert_int_equal(doa_array_uca(&uca5, 5, 0.05, NULL), 0);
    ula4.cal[2] = NAN;
    assert_null(doa_create(&ula4, &cfg, &e));
    ula4.cal[2] = 1;
    doa_cfg c = cfg;
    c.method = DOA_PHASE;
    assert_null(doa_create(&ula4, &c, &e)); /* phase needs 2 */
    c = cfg;
    c.elevation = true;
    assert_null(doa_create(&ula4, &c, &e)); /* linear: no elevation */
    c = cfg;
    c.nfft = 48;
    assert_null(doa_create(&uca5, &c, &e));
    c = cfg;
    c.sources = 5;
    assert_null(doa_create(&uca5, &c, &e));
    c = cfg;
    c.az_step_deg = NAN;
    assert_null(doa_create(&uca5, &c, &e));
    c = cfg;
    c.max_bins = 0;
    assert_null(doa_create(&uca5, &c, &e));
    assert_null(doa_create(NULL, &cfg, &e));

    doa *q = doa_create(&uca5, &cfg, &e);
    assert_non_null(q);
    scene s = default_scene();
    rs = 71;
    src s0 = {0, 0, 10};
    float complex *x = synth(&uca5, &s, &s0, 1);
    doa_input in = input_of(&uca5, &s, x);
    doa_result r;
    doa_input b = in;
    b.channels = 4; /* mismatched channel count */
    assert_int_equal(doa_execute(q, &b, &r, &e), SG_EINVAL);
    assert_non_null(strstr(e.msg, "4 channels"));
    assert_true(isnan(r.az));
    b = in;
    b.n = 7 * s.nfft; /* too short */
    assert_int_equal(doa_execute(q, &b, &r, &e), SG_ERANGE);
    b = in;
    b.f_lo = b.f_hi;
    assert_int_equal(doa_execute(q, &b, &r, &e), SG_EINVAL);
    b = in;
    b.f_hi = s.fs;
    assert_int_equal(doa_execute(q, &b, &r, &e), SG_EINVAL);
    b = in;
    b.fc = 0;
    assert_int_equal(doa_execute(q, &b, &r, &e), SG_EINVAL);
    /* a NaN sample: an error, no bearing */
    x[5 * 5 * 64 + 3] = NAN;
    assert_int_equal(doa_execute(q, &in, &r, &e), SG_EFORMAT);
    assert_true(isnan(r.az));
    assert_non_null(strstr(e.msg, "channel 3"));
    doa_cal_report rep;
    assert_int_equal(doa_calibrate(q, &in, 0, 0, &rep, &e), SG_EFORMAT);
    float complex zero[5] = {0};
    assert_int_equal(doa_set_calibration(q, zero, &e), SG_EINVAL);
    double dev;
    assert_int_equal(doa_cal_check(q, &in, 0, 0, 0, &dev, NULL, &e), SG_EINVAL);
    free(x);
    doa_destroy(q);
    doa_method m;
    assert_int_equal(doa_method_parse("bartlett", &m), 0);
    assert_int_equal(m, DOA_BARTLETT);
    assert_int_equal(doa_method_parse("esprit", &m), SG_EINVAL);
}

static void test_json(void **st)
{
    (void)st;
    sg_errinfo e;
    doa_array a;
    const struct { const char *js; int rc; const char *msg; } tab[] = {
        {"{\"geometry\": \"uca\", \"elements\": 5, \"radius_m\": 0.053}", 0, NULL},
        {"{\"geometry\": \"ula\", \"elements\": 4, \"spacing_m\": 0.061}", 0, NULL},
        {"{\"geometry\": \"custom\", \"positions_m\": [[0,0,0],[0.05,0,0],[0,0.05,0]]}", 0, NULL},
        {"{\"geometry\": \"uca\", \"elements\": 5, \"radius_m\": 0.053, \"calibration\": "
         "{\"phase_deg\": [0, 10, 20, 30, 40], \"gain_db\": [0, 1, 0, -1, 0]}}", 0, NULL},
        {"{\"geometry\": \"uca\", \"elements\": 5}", SG_EINVAL, "radius_m"},
        {"{\"geometry\": \"uca\", \"elements\": 1, \"radius_m\": 0.05}", SG_ERANGE, "elements"},
        {"{\"geometry\": \"ring\", \"elements\": 5, \"radius_m\": 0.05}", SG_EINVAL, "geometry"},
        {"{\"elements\": 5, \"radius_m\": 0.05}", SG_EINVAL, "geometry"},
        {"{\"geometry\": \"ula\", \"elements\": 4, \"spacing_m\": 0}", SG_ERANGE, "spacing_m"},
        {"{\"geometry\": \"ula\", \"elements\": 4, \"spacing_m\": 0.06, \"sapcing\": 1}", SG_EINVAL, "sapcing"},
        {"{\"geometry\": \"custom\", \"positions_m\": [[0,0,0],[0.05,0]]}", SG_EINVAL, "positions_m"},
        {"{\"geometry\": \"custom\", \"positions_m\": [[0,0,0]]}", SG_EINVAL, "positions_m"},
        {"{\"geometry\": \"custom\", \"elements\": 3, \"positions_m\": [[0,0,0],[0.05,0,0]]}", SG_EINVAL, "elements"},
        {"{\"geometry\": \"custom\", \"positions_m\": [[0,0,0],[0,0,0]]}", SG_EINVAL, "closer"},
        {"{\"geometry\": \"uca\", \"elements\": 5, \"radius_m\": 0.05, \"calibration\": "
         "{\"phase_deg\": [0, 1, 2]}}", SG_EINVAL, "phase_deg"},
        {"{\"geometry\": \"uca\", \"elements\": 3, \"radius_m\": 0.05, \"calibration\": "
         "{\"phase_deg\": [0, 1, 900]}}", SG_EINVAL, "channel 2"},
        {"{\"geometry\": \"uca\", \"elements\": 3, \"radius_m\": 0.05, \"calibration\": "
         "{\"gain_db\": [0, 1, 2]}}", SG_EINVAL, "phase_deg"},
    };
    for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++) {
        cJSON *o = cJSON_Parse(tab[i].js);
        assert_non_null(o);
        int rc = doa_array_from_json(&a, o, "venue.json: sensors[0].array", &e);
        cJSON_Delete(o);
        if (rc != tab[i].rc)
            fail_msg("%s: rc %d, want %d (%s)", tab[i].js, rc, tab[i].rc, rc ? e.msg : "");
        if (tab[i].msg && (!strstr(e.msg, tab[i].msg) || !strstr(e.msg, "sensors[0].array")))
            fail_msg("%s: message \"%s\" lacks \"%s\"", tab[i].js, e.msg, tab[i].msg);
    }
    /* a calibration written as JSON reads back as the same correction */
    double ph[3] = {0, 33.3, -120}, gd[3] = {0, 1.5, -2};
    cJSON *c = doa_calibration_to_json(ph, gd, 3);
    assert_non_null(c);
    cJSON *o = cJSON_Parse("{\"geometry\": \"uca\", \"elements\": 3, \"radius_m\": 0.05}");
    cJSON_AddItemToObject(o, "calibration", c);
    assert_int_equal(doa_array_from_json(&a, o, "t", &e), 0);
    cJSON_Delete(o);
    assert_true(a.calibrated);
    for (int i = 0; i < 3; i++) {
        double complex g = pow(10, gd[i] / 20) * cexp(I * ph[i] * DEG);
        assert_near(cabs(a.cal[i] * g - 1), 0, 1e-5);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_steering_table), cmocka_unit_test(test_crb_closed_forms),
        cmocka_unit_test(test_rmse_vs_crb),    cmocka_unit_test(test_front_back),
        cmocka_unit_test(test_grating),        cmocka_unit_test(test_two_emitters),
        cmocka_unit_test(test_elevation),      cmocka_unit_test(test_calibration),
        cmocka_unit_test(test_incoherent),     cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
