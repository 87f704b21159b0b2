/* Kalman filter tests: steady-state covariance against an independent Riccati solution
 * (table-driven), statistical consistency (NEES) against a finely simulated continuous
 * white-noise-acceleration truth, EKF bearing/range-bearing convergence, IMM on a
 * manoeuvre, chi-square gates, the positive-definite check and the packed state of a track's
 * history (exact round trip). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kf.h"
#include "scenario.h"
#include "sg_error.h"

/* fixed seeds through the project's generator (scenario.h) */
static uint64_t rng_s;
static double nrand(void)
{
    return scen_nrand(&rng_s);
}

static const double I3[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};

static sg_measurement pos_meas(double t, const double z[3], double r)
{
    sg_measurement m;
    memset(&m, 0, sizeof m);
    m.t = t;
    m.type = SG_MEAS_POS_ENU;
    memcpy(m.z, z, 3 * sizeof(double));
    for (int i = 0; i < 3; i++)
        m.R[i * 4] = r;
    return m;
}

/* Independent 1-D NCV Riccati iteration: returns the posterior steady state
 * {P_pp, P_pv, P_vv} for CWNA spectral density q, period dt, position variance r. */
static void riccati_ncv(double dt, double q, double r, double out[3])
{
    double a = 1e6, b = 0, c = 1e6; /* P = [a b; b c] */
    for (int it = 0; it < 100000; it++) {
        /* predict: F = [1 dt; 0 1], Q = q [dt^3/3 dt^2/2; dt^2/2 dt] */
        double pa = a + 2 * dt * b + dt * dt * c + q * dt * dt * dt / 3;
        double pb = b + dt * c + q * dt * dt / 2;
        double pc = c + q * dt;
        /* update with H = [1 0] */
        double s = pa + r, k1 = pa / s, k2 = pb / s;
        double na = (1 - k1) * pa, nb = (1 - k1) * pb, nc = pc - k2 * pb;
        double d = fabs(na - a) + fabs(nb - b) + fabs(nc - c);
        a = na;
        b = nb;
        c = nc;
        if (d < 1e-15 * (a + c))
            break;
    }
    out[0] = a;
    out[1] = b;
    out[2] = c;
}

typedef struct {
    double dt, q_accel, r;
} ss_case;

static void test_steady_state_matches_riccati(void **state)
{
    (void)state;
    static const ss_case cases[] = {
        {0.1, 1.0, 1.0}, {0.1, 3.0, 25.0}, {1.0, 0.5, 4.0}, {0.5, 10.0, 100.0}, {0.02, 0.2, 0.01},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const ss_case *k = &cases[c];
        kf_params p = {.model = KF_MODEL_NCV, .q_accel = k->q_accel, .q_jerk = 1,
                       .imm_sojourn_s = 1};
        kf_state s;
        double z[3] = {10, 20, 30}, v[3] = {0, 0, 0};
        double P0[9] = {1e4, 0, 0, 0, 1e4, 0, 0, 0, 1e4};
        kf_init(&p, &s, 0, z, P0, v, P0);
        for (int i = 1; i <= 5000; i++) {
            double t = i * k->dt;
            kf_predict(&p, &s, t);
            sg_measurement m = pos_meas(t, z, k->r);
            assert_int_equal(kf_update(&p, &s, &m, NULL), 0);
        }
        double ref[3];
        riccati_ncv(k->dt, k->q_accel * k->q_accel, k->r, ref);
        for (int ax = 0; ax < 3; ax++) {
            double pp = s.P[0][ax * 6 + ax], pv = s.P[0][ax * 6 + ax + 3],
                   vv = s.P[0][(ax + 3) * 6 + ax + 3];
            if (fabs(pp - ref[0]) > 1e-6 * ref[0] || fabs(pv - ref[1]) > 1e-6 * fabs(ref[1]) ||
                fabs(vv - ref[2]) > 1e-6 * ref[2])
                fail_msg("case %zu axis %d: P = [%g %g %g], Riccati [%g %g %g]", c, ax, pp, pv,
                         vv, ref[0], ref[1], ref[2]);
        }
        /* symmetric after thousands of Joseph updates */
        for (int i = 0; i < 6; i++)
            for (int j = 0; j < 6; j++)
                assert_true(s.P[0][i * 6 + j] == s.P[0][j * 6 + i]);
    }
}

/* Truth: continuous white-noise acceleration simulated with 50 sub-steps per scan; the
 * filter's average NEES must be close to the state dimension (6). */
static void test_nees_consistent(void **state)
{
    (void)state;
    rng_s = 0x1234567ULL;
    const double dt = 0.1, qa = 2.0, r = 4.0;
    const int runs = 40, steps = 300, sub = 50;
    kf_params p = {.model = KF_MODEL_NCV, .q_accel = qa, .q_jerk = 1, .imm_sojourn_s = 1};
    double nees_sum = 0;
    int nees_n = 0;
    for (int run = 0; run < runs; run++) {
        double x[6] = {0, 0, 100, 5, -3, 0};
        double z0[3], P0[9] = {r, 0, 0, 0, r, 0, 0, 0, r}, V0[9] = {400, 0, 0, 0, 400, 0, 0, 0, 400};
        for (int i = 0; i < 3; i++)
            z0[i] = x[i] + sqrt(r) * nrand();
        double v0[3] = {0, 0, 0};
        kf_state s;
        kf_init(&p, &s, 0, z0, P0, v0, V0);
        for (int k = 1; k <= steps; k++) {
            double h = dt / sub;
            for (int j = 0; j < sub; j++)
                for (int i = 0; i < 3; i++) {
                    double dv = qa * sqrt(h) * nrand();
                    x[i] += x[i + 3] * h + 0.5 * dv * h;
                    x[i + 3] += dv;
                }
            double t = k * dt, z[3];
            for (int i = 0; i < 3; i++)
                z[i] = x[i] + sqrt(r) * nrand();
            kf_predict(&p, &s, t);
            sg_measurement m = pos_meas(t, z, r);
            assert_int_equal(kf_update(&p, &s, &m, NULL), 0);
            if (k < 50)
                continue;
            /* NEES = e' P^-1 e via Gauss-Jordan on a copy */
            double A[6][7];
            for (int i = 0; i < 6; i++) {
                for (int j = 0; j < 6; j++)
                    A[i][j] = s.P[0][i * 6 + j];
                A[i][6] = x[i] - s.x[0][i];
            }
            for (int c = 0; c < 6; c++)
                for (int i = 0; i < 6; i++) {
                    if (i == c)
                        continue;
                    double f = A[i][c] / A[c][c];
                    for (int j = c; j < 7; j++)
                        A[i][j] -= f * A[c][j];
                }
            double nees = 0;
            for (int i = 0; i < 6; i++)
                nees += (x[i] - s.x[0][i]) * A[i][6] / A[i][i];
            nees_sum += nees;
            nees_n++;
        }
    }
    double mean = nees_sum / nees_n;
    print_message("mean NEES %.3f over %d samples\n", mean, nees_n);
    if (mean < 5.6 || mean > 6.4)
        fail_msg("mean NEES %.3f over %d samples, expected 6 +- 0.4 (seed 0x1234567)", mean,
                 nees_n);
}

/* A static target seen by two bearing sensors: EKF converges to it. */
static void test_bearing_ekf_converges(void **state)
{
    (void)state;
    rng_s = 42;
    const double truth[3] = {400, 300, 80};
    const double sens[2][3] = {{0, 0, 2}, {600, -100, 2}};
    const double sd = 0.003; /* rad */
    kf_params p = {.model = KF_MODEL_NCV, .q_accel = 0.01, .q_jerk = 1, .imm_sojourn_s = 1};
    kf_state s;
    double x0[3] = {350, 350, 50}, P0[9] = {1e4, 0, 0, 0, 1e4, 0, 0, 0, 1e4}, v0[3] = {0};
    double V0[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
    kf_init(&p, &s, 0, x0, P0, v0, V0);
    for (int k = 1; k <= 200; k++) {
        double t = 0.1 * k;
        kf_predict(&p, &s, t);
        for (int j = 0; j < 2; j++) {
            sg_measurement m;
            memset(&m, 0, sizeof m);
            m.t = t;
            m.type = SG_MEAS_BEARING;
            memcpy(m.sensor_enu, sens[j], sizeof m.sensor_enu);
            double dx = truth[0] - sens[j][0], dy = truth[1] - sens[j][1], dz = truth[2] - sens[j][2];
            m.z[0] = atan2(dx, dy) + sd * nrand();
            m.z[1] = atan2(dz, hypot(dx, dy)) + sd * nrand();
            m.R[0] = m.R[3] = sd * sd;
            assert_int_equal(kf_update(&p, &s, &m, NULL), 0);
        }
    }
    double err = 0;
    for (int i = 0; i < 3; i++)
        err += (s.x[0][i] - truth[i]) * (s.x[0][i] - truth[i]);
    err = sqrt(err);
    double sdp = sqrt(s.P[0][0] + s.P[0][7] + s.P[0][14]);
    if (err > 3 * sdp + 0.5 || err > 3.0)
        fail_msg("bearing EKF error %.2f m, reported sd %.2f m", err, sdp);
}

static void test_range_bearing_update(void **state)
{
    (void)state;
    rng_s = 7;
    const double truth[3] = {-800, 1200, 150}, sp[3] = {10, 10, 5};
    kf_params p = {.model = KF_MODEL_CA, .q_accel = 1, .q_jerk = 0.01, .imm_sojourn_s = 1,
                   .init_acc_sd = 0.1};
    kf_state s;
    double x0[3] = {-700, 1100, 100}, P0[9] = {4e4, 0, 0, 0, 4e4, 0, 0, 0, 4e4}, v0[3] = {0};
    double V0[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
    kf_init(&p, &s, 0, x0, P0, v0, V0);
    assert_int_equal(s.n, 9);
    for (int k = 1; k <= 100; k++) {
        double t = 0.5 * k;
        kf_predict(&p, &s, t);
        sg_measurement m;
        memset(&m, 0, sizeof m);
        m.t = t;
        m.type = SG_MEAS_RANGE_BEARING;
        memcpy(m.sensor_enu, sp, sizeof sp);
        double dx = truth[0] - sp[0], dy = truth[1] - sp[1], dz = truth[2] - sp[2];
        m.z[0] = sqrt(dx * dx + dy * dy + dz * dz) + 3 * nrand();
        m.z[1] = atan2(dx, dy) + 0.005 * nrand();
        m.z[2] = atan2(dz, hypot(dx, dy)) + 0.005 * nrand();
        m.R[0] = 9;
        m.R[4] = m.R[8] = 0.005 * 0.005;
        assert_int_equal(kf_update(&p, &s, &m, NULL), 0);
    }
    for (int i = 0; i < 3; i++)
        assert_true(fabs(s.x[0][i] - truth[i]) < 3 * sqrt(s.P[0][i * 9 + i]) + 1);
    /* azimuth near +-pi wraps: a target due south gives no huge innovation */
    kf_state s2;
    double xs[3] = {0, -1000, 0}, Ps[9] = {100, 0, 0, 0, 100, 0, 0, 0, 100};
    kf_init(&p, &s2, 0, xs, Ps, v0, V0);
    kf_pred pr;
    double zero[3] = {0, 0, 0};
    assert_int_equal(kf_predict_meas(&s2, SG_MEAS_BEARING, zero, &pr), 0);
    double z[2] = {-M_PI + 0.001, 0}, R[4] = {1e-4, 0, 0, 1e-4}, d2;
    assert_int_equal(kf_mahalanobis(&pr, SG_MEAS_BEARING, z, R, &d2), 0);
    assert_true(d2 < 1.0);
    /* directly above the sensor the bearing is undefined */
    double xa[3] = {0, 0, 100};
    kf_init(&p, &s2, 0, xa, Ps, v0, V0);
    assert_int_equal(kf_predict_meas(&s2, SG_MEAS_BEARING, zero, &pr), SG_ERANGE);
}

/* Straight flight, then a 10 m/s^2 turn for 3 s: the IMM follows the manoeuvre better than
 * a quiet NCV and its CA mode probability rises during the turn. */
static double run_manoeuvre(kf_model model, double *mu_ca_peak)
{
    rng_s = 99;
    kf_params p = {.model = model, .q_accel = 0.5, .q_jerk = 20, .imm_sojourn_s = 3,
                   .init_acc_sd = 1};
    double x[3] = {0, 0, 50}, v[3] = {15, 0, 0};
    double P0[9] = {4, 0, 0, 0, 4, 0, 0, 0, 4}, V0[9] = {25, 0, 0, 0, 25, 0, 0, 0, 25};
    kf_state s;
    kf_init(&p, &s, 0, x, P0, v, V0);
    double se = 0;
    int ne = 0;
    *mu_ca_peak = 0;
    const double dt = 0.1, r = 4;
    for (int k = 1; k <= 150; k++) {
        double t = k * dt, a[3] = {0, 0, 0};
        if (t > 8 && t <= 11) {
            /* centripetal acceleration of 10 m/s^2 */
            double sp = hypot(v[0], v[1]);
            a[0] = -v[1] / sp * 10;
            a[1] = v[0] / sp * 10;
        }
        for (int i = 0; i < 3; i++) {
            x[i] += v[i] * dt + 0.5 * a[i] * dt * dt;
            v[i] += a[i] * dt;
        }
        double z[3];
        for (int i = 0; i < 3; i++)
            z[i] = x[i] + sqrt(r) * nrand();
        kf_predict(&p, &s, t);
        sg_measurement m = pos_meas(t, z, r);
        assert_int_equal(kf_update(&p, &s, &m, NULL), 0);
        double xc[KF_NMAX], Pc[KF_NMAX * KF_NMAX];
        kf_combined(&s, xc, Pc);
        if (t > 8 && t <= 12) {
            se += (xc[0] - x[0]) * (xc[0] - x[0]) + (xc[1] - x[1]) * (xc[1] - x[1]);
            ne++;
            if (s.nmodes == 2 && s.mu[1] > *mu_ca_peak)
                *mu_ca_peak = s.mu[1];
        }
    }
    return sqrt(se / ne);
}

static void test_imm_manoeuvre(void **state)
{
    (void)state;
    double mu_ncv, mu_imm;
    double e_ncv = run_manoeuvre(KF_MODEL_NCV, &mu_ncv);
    double e_imm = run_manoeuvre(KF_MODEL_IMM, &mu_imm);
    print_message("manoeuvre RMS: IMM %.2f m (CA mode peak %.2f), NCV %.2f m\n", e_imm, mu_imm,
                  e_ncv);
    if (!(e_imm < 0.8 * e_ncv))
        fail_msg("manoeuvre RMS: IMM %.2f m vs NCV %.2f m", e_imm, e_ncv);
    assert_true(mu_imm > 0.5);
}

/* A reported velocity (DroneID / Remote ID) is used: after three position+velocity updates
 * 0.1 s apart the velocity sd is below 0.4 m/s (vel_sd/sqrt(3) = 0.29 m/s plus the process
 * noise added between updates), against ~11 m/s from positions alone. */
static void test_reported_velocity(void **state)
{
    (void)state;
    rng_s = 5;
    kf_params p = {.model = KF_MODEL_NCV, .q_accel = 1, .q_jerk = 1, .imm_sojourn_s = 1,
                   .vel_sd = 0.5};
    const double v[3] = {6, -3, 1};
    double vsd[2];
    for (int use = 0; use < 2; use++) {
        kf_state s;
        double z0[3] = {0, 0, 50}, P0[9] = {9, 0, 0, 0, 9, 0, 0, 0, 9}, v0[3] = {0, 0, 0};
        double V0[9] = {400, 0, 0, 0, 400, 0, 0, 0, 400};
        kf_init(&p, &s, 0, z0, P0, v0, V0);
        for (int k = 1; k <= 3; k++) {
            double t = 0.1 * k, z[3];
            for (int i = 0; i < 3; i++)
                z[i] = z0[i] + v[i] * t + 3 * nrand();
            kf_predict(&p, &s, t);
            sg_measurement m = pos_meas(t, z, 9);
            m.has_vel = use;
            for (int i = 0; i < 3; i++)
                m.vel_enu[i] = v[i] + 0.5 * nrand();
            assert_int_equal(kf_update(&p, &s, &m, NULL), 0);
        }
        vsd[use] = sqrt(s.P[0][3 * 6 + 3]);
        if (use)
            for (int i = 0; i < 3; i++)
                assert_true(fabs(s.x[0][i + 3] - v[i]) < 4 * vsd[1]);
    }
    print_message("velocity sd after 3 updates: %.2f m/s from positions, %.2f m/s with reported "
                  "velocity\n", vsd[0], vsd[1]);
    assert_true(vsd[1] < 0.4);
    assert_true(vsd[0] > 10 * vsd[1]);
}

/* Ill-conditioned updates (prior sd 1e5 m, measurement sd 1e-3 m, bearings at 10 km with
 * 1e-6 rad): P stays finite, exactly symmetric, with a positive-definite position block. */
static void test_numerical_robustness(void **state)
{
    (void)state;
    const kf_model models[] = {KF_MODEL_NCV, KF_MODEL_CA, KF_MODEL_IMM};
    for (int mo = 0; mo < 3; mo++) {
        kf_params p = {.model = models[mo], .q_accel = 1e-3, .q_jerk = 1e-3,
                       .imm_sojourn_s = 1, .init_acc_sd = 1};
        kf_state s;
        double z0[3] = {1e4, 2e3, 100}, v0[3] = {0, 0, 0};
        double P0[9] = {1e10, 0, 0, 0, 1e10, 0, 0, 0, 1e10};
        kf_init(&p, &s, 0, z0, P0, v0, P0);
        for (int k = 1; k <= 200; k++) {
            double t = 0.01 * k;
            kf_predict(&p, &s, t);
            sg_measurement m = pos_meas(t, z0, 1e-6);
            if (k % 2) {
                m.type = SG_MEAS_BEARING;
                memset(m.sensor_enu, 0, sizeof m.sensor_enu);
                m.z[0] = atan2(z0[0], z0[1]);
                m.z[1] = atan2(z0[2], hypot(z0[0], z0[1]));
                m.R[0] = m.R[3] = 1e-12;
                m.R[4] = m.R[8] = 0;
            }
            assert_int_equal(kf_update(&p, &s, &m, NULL), 0);
        }
        for (int k = 0; k < s.nmodes; k++) {
            int n = s.n;
            double pos[9];
            for (int i = 0; i < n * n; i++)
                assert_true(isfinite(s.P[k][i]));
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                    assert_true(s.P[k][i * n + j] == s.P[k][j * n + i]);
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 3; j++)
                    pos[i * 3 + j] = s.P[k][i * n + j];
            assert_true(kf_is_pd(pos, 3));
            for (int i = 0; i < 3; i++)
                assert_true(fabs(s.x[k][i] - z0[i]) < 0.01);
        }
    }
}

static void test_chi2_gate(void **state)
{
    (void)state;
    static const struct {
        double pg;
        int dim;
        double want;
    } t[] = {{0.99, 1, 6.6349}, {0.99, 2, 9.2103}, {0.99, 3, 11.3449}, {0.999, 3, 16.2662},
             {0.95, 2, 5.9915}, {0.9999, 1, 15.1367}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        assert_true(fabs(kf_chi2_gate(t[i].pg, t[i].dim) - t[i].want) < 1e-3);
}

static void test_is_pd(void **state)
{
    (void)state;
    double a[9] = {4, 1, 0, 1, 3, 0, 0, 0, 2};
    assert_true(kf_is_pd(a, 3));
    assert_true(kf_is_pd(I3, 3));
    double b[9] = {1, 2, 0, 2, 1, 0, 0, 0, 1}; /* indefinite */
    assert_false(kf_is_pd(b, 3));
    double c[9] = {1, 0.5, 0, 0.4, 1, 0, 0, 0, 1}; /* not symmetric */
    assert_false(kf_is_pd(c, 3));
    double d[4] = {1, 0, 0, NAN};
    assert_false(kf_is_pd(d, 2));
    double e[4] = {0, 0, 0, 1}; /* singular */
    assert_false(kf_is_pd(e, 2));
}

/* Used part of two states bit for bit equal (t, n, modes, mu, x[n], P[n x n]). */
static bool same_used(const kf_state *a, const kf_state *b)
{
    if (memcmp(&a->t, &b->t, sizeof a->t) || a->n != b->n || a->nmodes != b->nmodes)
        return false;
    size_t n = (size_t)a->n;
    for (int k = 0; k < a->nmodes; k++)
        if (memcmp(&a->mu[k], &b->mu[k], sizeof(double)) ||
            memcmp(a->x[k], b->x[k], n * sizeof(double)) ||
            memcmp(a->P[k], b->P[k], n * n * sizeof(double)))
            return false;
    return true;
}

/* kf_pack / kf_unpack (a track's history) give back the used part bit for bit: every model
 * after filter steps (symmetric P: upper triangles, fewer bytes than kf_copy's part), and a
 * state whose P is not symmetric or holds a NaN (the full matrices); the unpacked state
 * then filters exactly like the original. Seed printed on failure. */
static void test_pack_exact(void **state)
{
    (void)state;
    const kf_model models[] = {KF_MODEL_NCV, KF_MODEL_CA, KF_MODEL_IMM, KF_MODEL_CT,
                               KF_MODEL_IMM_CT};
    rng_s = 0x5eed0d1;
    for (int mo = 0; mo < 5; mo++) {
        kf_params p = {.model = models[mo], .q_accel = 2, .q_jerk = 1, .imm_sojourn_s = 2,
                       .q_turn = 0.05, .init_turn_sd = 0.2, .init_acc_sd = 1};
        kf_state s;
        double z0[3] = {500, -300, 80}, v0[3] = {10, 5, 0};
        double P0[9] = {100, 3, 0, 3, 90, 1, 0, 1, 50};
        kf_init(&p, &s, 0, z0, P0, v0, P0);
        for (int k = 1; k <= 20; k++) {
            double t = 0.1 * k, z[3];
            for (int i = 0; i < 3; i++)
                z[i] = z0[i] + v0[i] * t + 3 * nrand();
            kf_predict(&p, &s, t);
            sg_measurement m = pos_meas(t, z, 9);
            assert_int_equal(kf_update(&p, &s, &m, NULL), 0);
        }
        kf_packed pk;
        kf_state u, a = s;
        kf_pack(&pk, &s);
        assert_int_equal(pk.sym, 1);
        /* the span kf_copy writes: up to the last mode's n x n */
        size_t n = (size_t)s.n,
               copy_part = offsetof(kf_state, P) +
                           ((size_t)(s.nmodes - 1) * KF_NMAX * KF_NMAX + n * n) * sizeof(double);
        assert_true(kf_packed_used(&s) < copy_part);
        kf_unpack(&u, &pk);
        if (!same_used(&u, &s))
            fail_msg("model %d: round trip differs (seed 0x5eed0d1)", mo);
        double z[3] = {z0[0] + 25, z0[1] + 12, z0[2]};
        sg_measurement m = pos_meas(2.1, z, 9);
        kf_predict(&p, &a, 2.1);
        kf_predict(&p, &u, 2.1);
        assert_int_equal(kf_update(&p, &a, &m, NULL), 0);
        assert_int_equal(kf_update(&p, &u, &m, NULL), 0);
        if (!same_used(&u, &a))
            fail_msg("model %d: unpacked state filters differently", mo);
        /* not symmetric (and a NaN): kept whole, within kf_packed_size of the model (a heap
         * buffer of exactly that size, so a sanitizer build catches any byte past it) */
        size_t cap = kf_packed_size(models[mo]);
        assert_true(kf_packed_used(&s) < cap && cap <= sizeof(kf_packed));
        if (models[mo] == KF_MODEL_IMM) /* the largest state fills the struct */
            assert_int_equal(cap, sizeof(kf_packed));
        s.P[s.nmodes - 1][1] += 1e-9;
        s.P[0][n * n - 1] = NAN;
        kf_packed *hp = malloc(cap);
        assert_non_null(hp);
        kf_pack(hp, &s);
        assert_int_equal(hp->sym, 0);
        kf_unpack(&u, hp);
        free(hp);
        if (!same_used(&u, &s))
            fail_msg("model %d: asymmetric round trip differs", mo);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_steady_state_matches_riccati),
        cmocka_unit_test(test_nees_consistent),
        cmocka_unit_test(test_bearing_ekf_converges),
        cmocka_unit_test(test_range_bearing_update),
        cmocka_unit_test(test_imm_manoeuvre),
        cmocka_unit_test(test_reported_velocity),
        cmocka_unit_test(test_numerical_robustness),
        cmocka_unit_test(test_chi2_gate),
        cmocka_unit_test(test_is_pd),
        cmocka_unit_test(test_pack_exact),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
