/* Kalman filters for the tracker (see kf.h), models and prediction (kf_update.c has the
 * measurement side): NCV / CA / IMM(NCV, CA) motion models with
 * continuous white-noise process models (time-consistent, so asynchronous sensors at any
 * rate see the same dynamics), linear position updates and EKF bearing / range-bearing
 * updates. Small dense matrices (n <= 9, dim <= 3) in row-major arrays on the stack. */
/* The hot kernels (NCV prediction, position updates, gating) are written for any n and
 * instantiated for the fixed sizes below with constant arguments, so the compiler unrolls
 * them; -O3 for this file lets it vectorise them too. */
#if defined(__GNUC__) && !defined(__clang__) /* GCC only: clang builds (fuzzing) keep their flags */
#pragma GCC optimize("O3")
#endif

#include "kf.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kf_int.h"
#include "sg_error.h"

bool kf_is_pd(const double *A, int dim)
{
    if (dim < 1 || dim > 3)
        return false;
    for (int i = 0; i < dim * dim; i++)
        if (!isfinite(A[i]))
            return false;
    for (int i = 0; i < dim; i++)
        for (int j = i + 1; j < dim; j++) {
            double a = A[IDX(i, j, dim)], b = A[IDX(j, i, dim)];
            if (fabs(a - b) > 1e-9 * (fabs(a) + fabs(b)) + 1e-300)
                return false;
        }
    double L[9];
    return dim == 3 ? chol(A, 3, L) : chol(A, dim, L); /* 3: unrolled (every 3-D input) */
}

double kf_wrap_pi(double a)
{
    a = fmod(a + M_PI, 2 * M_PI);
    if (a < 0)
        a += 2 * M_PI;
    return a - M_PI;
}

/* ---- motion models ------------------------------------------------------------ */

/* Mode kind: 0 = NCV (in 6, 7 or 9 states; the extra states are held at zero),
 * 1 = CA (9 states), 2 = CT (7 states). */
enum { KIND_NCV = 0, KIND_CA = 1, KIND_CT = 2 };

static int mode_kind(const kf_params *p, int mode)
{
    switch (p->model) {
    case KF_MODEL_CA: return KIND_CA;
    case KF_MODEL_IMM: return mode ? KIND_CA : KIND_NCV;
    case KF_MODEL_CT: return KIND_CT;
    case KF_MODEL_IMM_CT: return mode ? KIND_CT : KIND_NCV;
    default: return KIND_NCV;
    }
}

static int model_dim(kf_model m)
{
    return m == KF_MODEL_NCV ? 6 : (m == KF_MODEL_CT || m == KF_MODEL_IMM_CT) ? 7 : 9;
}

static void build_fq(const kf_params *p, int kind, int n, double dt, double *F, double *Q)
{
    memset(F, 0, sizeof(double) * (size_t)(n * n));
    memset(Q, 0, sizeof(double) * (size_t)(n * n));
    double dt2 = dt * dt, dt3 = dt2 * dt;
    for (int a = 0; a < 3; a++) {
        int ip = a, iv = a + 3, ia = a + 6;
        F[IDX(ip, ip, n)] = 1;
        F[IDX(iv, iv, n)] = 1;
        F[IDX(ip, iv, n)] = dt;
        if (kind != KIND_CA) {
            /* continuous white-noise acceleration, q = q_accel^2 * 1 s */
            double q = p->q_accel * p->q_accel;
            Q[IDX(ip, ip, n)] = q * dt3 / 3;
            Q[IDX(ip, iv, n)] = Q[IDX(iv, ip, n)] = q * dt2 / 2;
            Q[IDX(iv, iv, n)] = q * dt;
            /* extra states (IMM NCV mode: acceleration or turn rate) are forced to zero: their
             * F rows are 0; ct_predict adds the turn */
        } else {
            double q = p->q_jerk * p->q_jerk;
            double dt4 = dt3 * dt, dt5 = dt4 * dt;
            F[IDX(ia, ia, n)] = 1;
            F[IDX(ip, ia, n)] = dt2 / 2;
            F[IDX(iv, ia, n)] = dt;
            Q[IDX(ip, ip, n)] = q * dt5 / 20;
            Q[IDX(ip, iv, n)] = Q[IDX(iv, ip, n)] = q * dt4 / 8;
            Q[IDX(ip, ia, n)] = Q[IDX(ia, ip, n)] = q * dt3 / 6;
            Q[IDX(iv, iv, n)] = q * dt3 / 3;
            Q[IDX(iv, ia, n)] = Q[IDX(ia, iv, n)] = q * dt2 / 2;
            Q[IDX(ia, ia, n)] = q * dt;
        }
    }
}

void kf_init(const kf_params *p, kf_state *s, double t, const double pos[3],
             const double Ppos[9], const double vel[3], const double Pvel[9])
{
    memset(s, 0, kf_state_size(p->model)); /* s may be only that large */
    s->t = t;
    s->n = model_dim(p->model);
    s->nmodes = (p->model == KF_MODEL_IMM || p->model == KF_MODEL_IMM_CT) ? 2 : 1;
    int n = s->n;
    for (int k = 0; k < s->nmodes; k++) {
        s->mu[k] = 1.0 / s->nmodes;
        if (mode_kind(p, k) == KIND_CT)
            s->P[k][IDX(6, 6, n)] = p->init_turn_sd * p->init_turn_sd;
        for (int i = 0; i < 3; i++) {
            s->x[k][i] = pos[i];
            s->x[k][i + 3] = vel[i];
            for (int j = 0; j < 3; j++) {
                s->P[k][IDX(i, j, n)] = Ppos[IDX(i, j, 3)];
                s->P[k][IDX(i + 3, j + 3, n)] = Pvel[IDX(i, j, 3)];
            }
            /* the IMM NCV mode holds acceleration at exactly zero */
            if (n == 9 && mode_kind(p, k) == KIND_CA)
                s->P[k][IDX(i + 6, i + 6, n)] = p->init_acc_sd * p->init_acc_sd;
        }
    }
}

void kf_copy(kf_state *dst, const kf_state *src)
{
    dst->t = src->t;
    dst->n = src->n;
    dst->nmodes = src->nmodes;
    size_t n = (size_t)src->n;
    for (int k = 0; k < src->nmodes; k++) {
        dst->mu[k] = src->mu[k];
        memcpy(dst->x[k], src->x[k], n * sizeof(double));
        memcpy(dst->P[k], src->P[k], n * n * sizeof(double));
    }
}

size_t kf_state_size(kf_model model)
{
    size_t n = (size_t)model_dim(model);
    bool two = model == KF_MODEL_IMM || model == KF_MODEL_IMM_CT;
    return offsetof(kf_state, P) + sizeof(double) * ((two ? KF_NMAX * KF_NMAX : 0) + n * n);
}

size_t kf_packed_size(kf_model model)
{
    size_t n = (size_t)model_dim(model);
    size_t nmodes = (model == KF_MODEL_IMM || model == KF_MODEL_IMM_CT) ? 2 : 1;
    return offsetof(kf_packed, v) + sizeof(double) * nmodes * (n + n * n);
}

/* x and P's upper triangle of every mode into dst->v, in one pass that also compares each
 * entry with its mirror bit for bit (NaN entries compare by their bits); true if every P
 * was symmetric */
static inline __attribute__((always_inline)) bool pack_upper(kf_packed *dst, const kf_state *src,
                                                             int n, int nmodes)
{
    double *v = dst->v;
    uint64_t diff = 0;
    for (int k = 0; k < nmodes; k++) {
        dst->mu[k] = src->mu[k];
        memcpy(v, src->x[k], (size_t)n * sizeof(double));
        v += n;
        const double *P = src->P[k];
        for (int i = 0; i < n; i++)
            for (int j = i; j < n; j++) {
                uint64_t a, b;
                memcpy(&a, &P[IDX(i, j, n)], sizeof a);
                memcpy(&b, &P[IDX(j, i, n)], sizeof b);
                diff |= a ^ b;
                *v++ = P[IDX(i, j, n)];
            }
    }
    return diff == 0;
}

void kf_pack(kf_packed *dst, const kf_state *src)
{
    int n = src->n;
    dst->t = src->t;
    dst->n = n;
    dst->nmodes = src->nmodes;
    bool sym = (n == 6 && src->nmodes == 1) ? pack_upper(dst, src, 6, 1) /* NCV: unrolled */
                                            : pack_upper(dst, src, n, src->nmodes);
    dst->sym = sym;
    if (!sym) { /* whole matrices instead (an asymmetric start, a NaN) */
        double *v = dst->v;
        for (int k = 0; k < src->nmodes; k++) {
            memcpy(v, src->x[k], (size_t)n * sizeof(double));
            v += n;
            memcpy(v, src->P[k], (size_t)(n * n) * sizeof(double));
            v += n * n;
        }
    }
}

void kf_unpack(kf_state *dst, const kf_packed *src)
{
    int n = src->n;
    memset(dst, 0, sizeof *dst);
    dst->t = src->t;
    dst->n = n;
    dst->nmodes = src->nmodes;
    const double *v = src->v;
    for (int k = 0; k < src->nmodes; k++) {
        dst->mu[k] = src->mu[k];
        memcpy(dst->x[k], v, (size_t)n * sizeof(double));
        v += n;
        if (src->sym) {
            for (int i = 0; i < n; i++)
                for (int j = i; j < n; j++)
                    dst->P[k][IDX(i, j, n)] = dst->P[k][IDX(j, i, n)] = *v++;
        } else {
            memcpy(dst->P[k], v, (size_t)(n * n) * sizeof(double));
            v += n * n;
        }
    }
}

void kf_combined(const kf_state *s, double *x, double *P)
{
    kf_combined_lead(s, s->n, x, P);
}

/* kf_combined_lead's body, instantiated below for the sizes the tracker asks for each scan
 * (constant m and n: unrolled) */
static inline __attribute__((always_inline)) void combined_lead(const kf_state *s, int n, int m,
                                                                double *x, double *P)
{
    if (s->nmodes == 1) {
        memcpy(x, s->x[0], sizeof(double) * (size_t)m);
        for (int i = 0; i < m; i++)
            memcpy(&P[IDX(i, 0, m)], &s->P[0][IDX(i, 0, n)], sizeof(double) * (size_t)m);
        return;
    }
    for (int i = 0; i < m; i++) {
        x[i] = 0;
        for (int k = 0; k < s->nmodes; k++)
            x[i] += s->mu[k] * s->x[k][i];
    }
    for (int i = 0; i < m * m; i++)
        P[i] = 0;
    for (int k = 0; k < s->nmodes; k++) {
        double d[KF_NMAX];
        for (int i = 0; i < m; i++)
            d[i] = s->x[k][i] - x[i];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < m; j++)
                P[IDX(i, j, m)] += s->mu[k] * (s->P[k][IDX(i, j, n)] + d[i] * d[j]);
    }
}

void kf_combined_lead(const kf_state *s, int m, double *x, double *P)
{
    if (s->nmodes == 2 && s->n == 7 && m == 3)
        combined_lead(s, 7, 3, x, P);
    else if (s->nmodes == 2 && s->n == 7 && m == 6)
        combined_lead(s, 7, 6, x, P);
    else if (s->nmodes == 2 && s->n == 9 && m == 3)
        combined_lead(s, 9, 3, x, P);
    else if (s->nmodes == 2 && s->n == 9 && m == 6)
        combined_lead(s, 9, 6, x, P);
    else
        combined_lead(s, s->n, m, x, P);
}

/* IMM mixing for a step of dt seconds: symmetric two-mode Markov chain with switching
 * rate 1/sojourn, so P(switch within dt) = (1 - exp(-2 dt / sojourn)) / 2. */
static inline __attribute__((always_inline)) void imm_mix_n(const kf_params *p, kf_state *s,
                                                            double dt, int n)
{
    double ps = 0.5 * (1 - exp(-2 * dt / p->imm_sojourn_s));
    double T[2][2] = {{1 - ps, ps}, {ps, 1 - ps}};
    double cbar[2], x0[2][KF_NMAX], P0[2][KF_NMAX * KF_NMAX];
    for (int j = 0; j < 2; j++) {
        cbar[j] = T[0][j] * s->mu[0] + T[1][j] * s->mu[1];
        double w[2];
        for (int i = 0; i < 2; i++)
            w[i] = cbar[j] > 0 ? T[i][j] * s->mu[i] / cbar[j] : 0.5;
        for (int r = 0; r < n; r++)
            x0[j][r] = w[0] * s->x[0][r] + w[1] * s->x[1][r];
        for (int r = 0; r < n * n; r++)
            P0[j][r] = 0;
        for (int i = 0; i < 2; i++) {
            double d[KF_NMAX];
            for (int r = 0; r < n; r++)
                d[r] = s->x[i][r] - x0[j][r];
            for (int r = 0; r < n; r++)
                for (int c = 0; c < n; c++)
                    P0[j][IDX(r, c, n)] += w[i] * (s->P[i][IDX(r, c, n)] + d[r] * d[c]);
        }
    }
    for (int j = 0; j < 2; j++) { /* the used parts */
        memcpy(s->x[j], x0[j], sizeof(double) * (size_t)n);
        memcpy(s->P[j], P0[j], sizeof(double) * (size_t)(n * n));
    }
    s->mu[0] = cbar[0];
    s->mu[1] = cbar[1];
}

/* imm_mix_n for the IMM state sizes (7: IMM_CT, 9: IMM), constant n so it unrolls */
static void imm_mix(const kf_params *p, kf_state *s, double dt)
{
    if (s->n == 7)
        imm_mix_n(p, s, dt, 7);
    else if (s->n == 9)
        imm_mix_n(p, s, dt, 9);
    else
        imm_mix_n(p, s, dt, s->n);
}

/* Coordinated-turn EKF prediction of one mode (n = 7): the mean moves exactly along the
 * circle of turn rate w, P through the Jacobian F of that motion. */
static void ct_predict(const kf_params *p, double *x, double *P, double T)
{
    const int n = 7;
    double F[7 * 7], Q[7 * 7], FP[7 * 7], PFt[7 * 7];
    build_fq(p, KIND_NCV, n, T, F, Q); /* x, y, z, vz as NCV; Q for white acceleration */
    double vx = x[3], vy = x[4], w = x[6], wt = w * T;
    double sn = sin(wt), cs = cos(wt), a, b, dadw, dbdw; /* a = sin(wT)/w, b = (1-cos)/w */
    if (fabs(w) > 1e-6) {
        a = sn / w;
        b = (1 - cs) / w;
        dadw = (T * cs * w - sn) / (w * w);
        dbdw = (T * sn * w - (1 - cs)) / (w * w);
    } else { /* series about w = 0 */
        a = T;
        b = 0.5 * w * T * T;
        dadw = -w * T * T * T / 3;
        dbdw = 0.5 * T * T;
    }
    double xn[7];
    memcpy(xn, x, sizeof xn);
    xn[0] = x[0] + a * vx - b * vy;
    xn[1] = x[1] + b * vx + a * vy;
    xn[2] = x[2] + T * x[5];
    xn[3] = cs * vx - sn * vy;
    xn[4] = sn * vx + cs * vy;
    F[IDX(0, 3, n)] = a;
    F[IDX(0, 4, n)] = -b;
    F[IDX(1, 3, n)] = b;
    F[IDX(1, 4, n)] = a;
    F[IDX(3, 3, n)] = cs;
    F[IDX(3, 4, n)] = -sn;
    F[IDX(4, 3, n)] = sn;
    F[IDX(4, 4, n)] = cs;
    F[IDX(0, 6, n)] = dadw * vx - dbdw * vy;
    F[IDX(1, 6, n)] = dbdw * vx + dadw * vy;
    F[IDX(3, 6, n)] = -T * sn * vx - T * cs * vy;
    F[IDX(4, 6, n)] = T * cs * vx - T * sn * vy;
    F[IDX(6, 6, n)] = 1;
    Q[IDX(6, 6, n)] = p->q_turn * p->q_turn * T;
    memcpy(x, xn, sizeof xn);
    mat_mul_sa(F, P, FP, n, n, n);
    transpose(FP, PFt, n, n);
    mat_mul_sa(F, PFt, P, n, n, n);
    for (int i = 0; i < n * n; i++)
        P[i] += Q[i];
    symmetrise(P, n);
}

/* NCV prediction of one mode in closed form (F = [I dt I; 0 I] per axis, states beyond the
 * first six held at zero with zero variance, as build_fq's F and Q give): the same result as
 * F P F' + Q without the products by zeros. */
static inline __attribute__((always_inline)) void ncv_predict(const kf_params *p, int n,
                                                              double *x, double *P, double dt)
{
    double q = p->q_accel * p->q_accel;
    double qpp = q * dt * dt * dt / 3, qpv = q * dt * dt / 2, qvv = q * dt;
    for (int a = 0; a < 3; a++)
        x[a] += dt * x[a + 3];
    for (int i = 6; i < n; i++)
        x[i] = 0;
    double Pn[36];
    /* P is symmetric bit for bit after every step (each one ends with symmetrise), and the
     * formulas below then give a bit-symmetric result (their sums commute): the upper
     * triangle and the position-velocity block (21 of 36 entries) with no symmetrise is the
     * same result. Anything else (NaN, an asymmetric start) takes the full path. */
    bool sym = true;
    for (int i = 0; i < 6; i++)
        for (int j = i + 1; j < 6; j++)
            sym = sym && P[IDX(i, j, n)] == P[IDX(j, i, n)];
    if (sym) {
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) {
                double pv = P[IDX(i, j + 3, n)], vv = P[IDX(i + 3, j + 3, n)];
                double qd = i == j;
                if (j >= i) {
                    double pp = P[IDX(i, j, n)], vp = P[IDX(i + 3, j, n)];
                    Pn[IDX(i, j, 6)] = pp + dt * (pv + vp) + dt * dt * vv + qd * qpp;
                    Pn[IDX(j, i, 6)] = Pn[IDX(i, j, 6)];
                    Pn[IDX(i + 3, j + 3, 6)] = vv + qd * qvv;
                    Pn[IDX(j + 3, i + 3, 6)] = Pn[IDX(i + 3, j + 3, 6)];
                }
                Pn[IDX(i, j + 3, 6)] = pv + dt * vv + qd * qpv;
                Pn[IDX(j + 3, i, 6)] = Pn[IDX(i, j + 3, 6)];
            }
        if (n == 6) {
            memcpy(P, Pn, sizeof Pn);
        } else {
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                    P[IDX(i, j, n)] = i < 6 && j < 6 ? Pn[IDX(i, j, 6)] : 0;
        }
        return;
    }
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            double pp = P[IDX(i, j, n)], pv = P[IDX(i, j + 3, n)];
            double vp = P[IDX(i + 3, j, n)], vv = P[IDX(i + 3, j + 3, n)];
            double qd = i == j;
            Pn[IDX(i, j, 6)] = pp + dt * (pv + vp) + dt * dt * vv + qd * qpp;
            Pn[IDX(i, j + 3, 6)] = pv + dt * vv + qd * qpv;
            Pn[IDX(i + 3, j, 6)] = vp + dt * vv + qd * qpv;
            Pn[IDX(i + 3, j + 3, 6)] = vv + qd * qvv;
        }
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            P[IDX(i, j, n)] = i < 6 && j < 6 ? Pn[IDX(i, j, 6)] : 0;
    symmetrise(P, n);
}

void kf_predict(const kf_params *p, kf_state *s, double t)
{
    double dt = t - s->t;
    if (!(dt > 0))
        return;
    int n = s->n;
    if (s->nmodes == 2)
        imm_mix(p, s, dt);
    double F[KF_NMAX * KF_NMAX], Q[KF_NMAX * KF_NMAX], FP[KF_NMAX * KF_NMAX];
    double PFt[KF_NMAX * KF_NMAX];
    for (int k = 0; k < s->nmodes; k++) {
        if (mode_kind(p, k) == KIND_CT) {
            ct_predict(p, s->x[k], s->P[k], dt);
            continue;
        }
        if (mode_kind(p, k) == KIND_NCV) {
            if (n == 6)
                ncv_predict(p, 6, s->x[k], s->P[k], dt);
            else
                ncv_predict(p, n, s->x[k], s->P[k], dt);
            continue;
        }
        build_fq(p, mode_kind(p, k), n, dt, F, Q);
        double x[KF_NMAX];
        mat_mul_sa(F, s->x[k], x, n, n, 1);
        memcpy(s->x[k], x, sizeof(double) * (size_t)n);
        /* F P F' = F (F P)' since P is symmetric: two sparse products */
        mat_mul_sa(F, s->P[k], FP, n, n, n);
        transpose(FP, PFt, n, n);
        mat_mul_sa(F, PFt, s->P[k], n, n, n);
        for (int i = 0; i < n * n; i++)
            s->P[k][i] += Q[i];
        symmetrise(s->P[k], n);
    }
    s->t = t;
}
