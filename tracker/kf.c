/* Kalman filters for the tracker (see kf.h): NCV / CA / IMM(NCV, CA) motion models with
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
#include <string.h>

#include "sg_error.h"

#define IDX(r, c, n) ((r) * (n) + (c))

/* The fixed-size Kalman updates are also built for AVX2 (GCC function clones, picked at load
 * time on CPUs that have it), as dsp/burst.c does: no FMA, no reassociation, so the same
 * results bit for bit as the baseline SSE2 build. (Clones of the prediction and the gate test
 * were tried and measured no faster.) */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && \
    !defined(__SANITIZE_ADDRESS__)
#define KF_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define KF_CLONES
#endif

/* ---- small matrix helpers ------------------------------------------------------ */

/* C = A (r x k) * B (k x c) */
static void mat_mul(const double *A, const double *B, double *C, int r, int k, int c)
{
    for (int i = 0; i < r; i++)
        for (int j = 0; j < c; j++) {
            double s = 0;
            for (int l = 0; l < k; l++)
                s += A[IDX(i, l, k)] * B[IDX(l, j, c)];
            C[IDX(i, j, c)] = s;
        }
}

/* C = A (r x k) * B' (B is c x k) */
static void mat_mul_bt(const double *A, const double *B, double *C, int r, int k, int c)
{
    for (int i = 0; i < r; i++)
        for (int j = 0; j < c; j++) {
            double s = 0;
            for (int l = 0; l < k; l++)
                s += A[IDX(i, l, k)] * B[IDX(j, l, k)];
            C[IDX(i, j, c)] = s;
        }
}

/* C = A (r x k) * B (k x c), skipping zero entries of A (transition matrices are mostly
 * zeros, so F P costs n^2 * (non-zeros per row) instead of n^3). */
static void mat_mul_sa(const double *A, const double *B, double *C, int r, int k, int c)
{
    for (int i = 0; i < r * c; i++)
        C[i] = 0;
    for (int i = 0; i < r; i++)
        for (int l = 0; l < k; l++) {
            double a = A[IDX(i, l, k)];
            if (a == 0)
                continue;
            const double *b = B + (size_t)l * (size_t)c;
            double *cr = C + (size_t)i * (size_t)c;
            for (int j = 0; j < c; j++)
                cr[j] += a * b[j];
        }
}

static void transpose(const double *A, double *T, int r, int c)
{
    for (int i = 0; i < r; i++)
        for (int j = 0; j < c; j++)
            T[IDX(j, i, r)] = A[IDX(i, j, c)];
}

static void symmetrise(double *P, int n)
{
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++) {
            double a = 0.5 * (P[IDX(i, j, n)] + P[IDX(j, i, n)]);
            P[IDX(i, j, n)] = P[IDX(j, i, n)] = a;
        }
}

/* Cholesky of a symmetric dim x dim matrix (dim <= 3) into L; false if not PD. */
static inline __attribute__((always_inline)) bool chol(const double *A, int m, double *L)
{
    memset(L, 0, sizeof(double) * (size_t)(m * m));
    for (int j = 0; j < m; j++) {
        double d = A[IDX(j, j, m)];
        for (int k = 0; k < j; k++)
            d -= L[IDX(j, k, m)] * L[IDX(j, k, m)];
        if (!(d > 0) || !isfinite(d))
            return false;
        double ljj = sqrt(d);
        L[IDX(j, j, m)] = ljj;
        for (int i = j + 1; i < m; i++) {
            double s = A[IDX(i, j, m)];
            for (int k = 0; k < j; k++)
                s -= L[IDX(i, k, m)] * L[IDX(j, k, m)];
            L[IDX(i, j, m)] = s / ljj;
        }
    }
    return true;
}

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

/* Inverse and log-determinant of a symmetric PD dim x dim matrix (dim <= 3). */
static bool inv_spd(const double *A, int m, double *Ai, double *logdet)
{
    double L[9], Li[9] = {0};
    if (!chol(A, m, L))
        return false;
    double ld = 0;
    for (int i = 0; i < m; i++) {
        if (logdet)
            ld += 2 * log(L[IDX(i, i, m)]);
        /* forward substitution for column i of L^-1 */
        for (int r = 0; r < m; r++) {
            double s = (r == i) ? 1.0 : 0.0;
            for (int k = 0; k < r; k++)
                s -= L[IDX(r, k, m)] * Li[IDX(k, i, m)];
            Li[IDX(r, i, m)] = s / L[IDX(r, r, m)];
        }
    }
    /* A^-1 = L^-T L^-1 */
    for (int i = 0; i < m; i++)
        for (int j = 0; j < m; j++) {
            double s = 0;
            for (int k = 0; k < m; k++)
                s += Li[IDX(k, i, m)] * Li[IDX(k, j, m)];
            Ai[IDX(i, j, m)] = s;
        }
    if (logdet)
        *logdet = ld;
    return true;
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
    memset(s, 0, sizeof *s);
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

void kf_combined(const kf_state *s, double *x, double *P)
{
    int n = s->n;
    if (s->nmodes == 1) {
        memcpy(x, s->x[0], sizeof(double) * (size_t)n);
        memcpy(P, s->P[0], sizeof(double) * (size_t)(n * n));
        return;
    }
    for (int i = 0; i < n; i++) {
        x[i] = 0;
        for (int k = 0; k < s->nmodes; k++)
            x[i] += s->mu[k] * s->x[k][i];
    }
    for (int i = 0; i < n * n; i++)
        P[i] = 0;
    for (int k = 0; k < s->nmodes; k++) {
        double d[KF_NMAX];
        for (int i = 0; i < n; i++)
            d[i] = s->x[k][i] - x[i];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                P[IDX(i, j, n)] += s->mu[k] * (s->P[k][IDX(i, j, n)] + d[i] * d[j]);
    }
}

/* IMM mixing for a step of dt seconds: symmetric two-mode Markov chain with switching
 * rate 1/sojourn, so P(switch within dt) = (1 - exp(-2 dt / sojourn)) / 2. */
static void imm_mix(const kf_params *p, kf_state *s, double dt)
{
    int n = s->n;
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
    memcpy(s->x, x0, sizeof x0);
    memcpy(s->P, P0, sizeof P0);
    s->mu[0] = cbar[0];
    s->mu[1] = cbar[1];
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

/* ---- measurement models ---------------------------------------------------------- */

/* Predicted measurement and its Jacobian w.r.t. position (dim x 3). */
static int hfun(sg_meas_type type, const double *x, const double *sp, double *zh, double *Hp)
{
    if (type == SG_MEAS_POS_ENU) {
        for (int i = 0; i < 3; i++) {
            zh[i] = x[i];
            for (int j = 0; j < 3; j++)
                Hp[IDX(i, j, 3)] = i == j;
        }
        return 3;
    }
    double dx = x[0] - sp[0], dy = x[1] - sp[1], dz = x[2] - sp[2];
    double rho2 = dx * dx + dy * dy, rho = sqrt(rho2), r2 = rho2 + dz * dz, r = sqrt(r2);
    if (rho < 1e-3)
        return SG_ERANGE; /* straight above/below the sensor: azimuth undefined */
    double az = atan2(dx, dy), el = atan2(dz, rho);
    double daz[3] = {dy / rho2, -dx / rho2, 0};
    double del[3] = {-dx * dz / (r2 * rho), -dy * dz / (r2 * rho), rho / r2};
    if (type == SG_MEAS_BEARING) {
        zh[0] = az;
        zh[1] = el;
        memcpy(Hp, daz, sizeof daz);
        memcpy(Hp + 3, del, sizeof del);
        return 2;
    }
    if (type == SG_MEAS_RANGE_BEARING) {
        zh[0] = r;
        zh[1] = az;
        zh[2] = el;
        Hp[0] = dx / r;
        Hp[1] = dy / r;
        Hp[2] = dz / r;
        memcpy(Hp + 3, daz, sizeof daz);
        memcpy(Hp + 6, del, sizeof del);
        return 3;
    }
    return SG_EINVAL;
}

/* Index of the azimuth component (wrapped) or -1. */
static int az_index(sg_meas_type type)
{
    return type == SG_MEAS_BEARING ? 0 : type == SG_MEAS_RANGE_BEARING ? 1 : -1;
}

int kf_predict_meas(const kf_state *s, sg_meas_type type, const double sensor_enu[3],
                    kf_pred *out)
{
    double xc[KF_NMAX], Pc[KF_NMAX * KF_NMAX], Hp[9], Pp[9], T[9];
    const double *x = s->x[0], *P = s->P[0]; /* one mode: no copy */
    if (s->nmodes > 1) {
        kf_combined(s, xc, Pc);
        x = xc;
        P = Pc;
    }
    if (type == SG_MEAS_POS_ENU) { /* H picks the position: H P H' is P's corner */
        out->dim = 3;
        for (int i = 0; i < 3; i++) {
            out->zhat[i] = x[i];
            for (int j = 0; j < 3; j++)
                out->HPHt[IDX(i, j, 3)] = P[IDX(i, j, s->n)];
        }
        symmetrise(out->HPHt, 3);
        return SG_OK;
    }
    int m = hfun(type, x, sensor_enu, out->zhat, Hp);
    if (m < 0)
        return m;
    out->dim = m;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            Pp[IDX(i, j, 3)] = P[IDX(i, j, s->n)];
    mat_mul(Hp, Pp, T, m, 3, 3);
    mat_mul_bt(T, Hp, out->HPHt, m, 3, m);
    symmetrise(out->HPHt, m);
    return SG_OK;
}

/* y' S^-1 y through the Cholesky factor of S (m x m, m <= 3): |L^-1 y|^2; false if S is not
 * PD. No inverse and no logarithm: this is the gate test of every track-measurement pair. */
static inline __attribute__((always_inline)) bool chol_quad(const double *S, const double *y,
                                                            int m, double *q)
{
    double L[9], w[3];
    if (!chol(S, m, L))
        return false;
    double s = 0;
    for (int i = 0; i < m; i++) {
        double a = y[i];
        for (int k = 0; k < i; k++)
            a -= L[IDX(i, k, m)] * w[k];
        w[i] = a / L[IDX(i, i, m)];
        s += w[i] * w[i];
    }
    *q = s;
    return true;
}

int kf_mahalanobis(const kf_pred *pr, sg_meas_type type, const double *z, const double *R,
                   double *d2)
{
    int m = pr->dim;
    double S[9], y[3];
    for (int i = 0; i < m * m; i++)
        S[i] = pr->HPHt[i] + R[i];
    for (int i = 0; i < m; i++)
        y[i] = z[i] - pr->zhat[i];
    int ia = az_index(type);
    if (ia >= 0)
        y[ia] = kf_wrap_pi(y[ia]);
    bool ok = m == 3 ? chol_quad(S, y, 3, d2) : chol_quad(S, y, m, d2);
    return ok ? SG_OK : SG_ERANGE;
}

/* Kalman update of x (n), P (n x n) with innovation y (m), Jacobian H (m x n, row-major)
 * and noise R (m x m). ll (may be NULL) receives the log-likelihood of y, d2 its squared
 * Mahalanobis distance. Joseph form: P = (I - K H) P (I - K H)' + K R K' keeps P PD under
 * rounding. */
/* sel >= 0: H selects states sel .. sel + m - 1 (position or velocity updates), so the
 * products with H are column / row picks. */
static inline __attribute__((always_inline)) int
kalman_core(int n, double *x, double *P, int m, const double *H, int sel, const double *y,
            const double *R, double *ll, double *d2)
{
    double PHt[KF_NMAX * 3], S[9], Si[9], K[KF_NMAX * 3], logdet;
    if (sel >= 0) {
        for (int r = 0; r < n; r++)
            for (int i = 0; i < m; i++)
                PHt[IDX(r, i, m)] = P[IDX(r, sel + i, n)];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < m; j++)
                S[IDX(i, j, m)] = PHt[IDX(sel + i, j, m)];
    } else {
        mat_mul_bt(P, H, PHt, n, n, m);
        mat_mul(H, PHt, S, m, n, m);
    }
    for (int i = 0; i < m * m; i++)
        S[i] += R[i];
    symmetrise(S, m);
    if (!inv_spd(S, m, Si, ll ? &logdet : NULL))
        return SG_ERANGE;
    mat_mul(PHt, Si, K, n, m, m);
    double q = 0;
    for (int i = 0; i < m; i++)
        for (int j = 0; j < m; j++)
            q += y[i] * Si[IDX(i, j, m)] * y[j];
    /* Joseph form with A = I - K H, evaluated in O(n^2 m):
     * A P = P - K (H P); A P A' + K R K' = A P - ((A P) H' - K R) K' (one n x m x n
     * product for the last two terms). */
    double HP[3 * KF_NMAX], AP[KF_NMAX * KF_NMAX] = {0}, APHt[KF_NMAX * 3], T[KF_NMAX * KF_NMAX];
    double Pn[KF_NMAX * KF_NMAX], KR[KF_NMAX * 3];
    if (sel >= 0)
        memcpy(HP, P + (size_t)sel * (size_t)n, sizeof(double) * (size_t)(m * n));
    else
        mat_mul_sa(H, P, HP, m, n, n);
    mat_mul(K, HP, T, n, m, n);
    for (int i = 0; i < n * n; i++)
        AP[i] = P[i] - T[i];
    if (sel >= 0) {
        for (int r = 0; r < n; r++)
            for (int i = 0; i < m; i++)
                APHt[IDX(r, i, m)] = AP[IDX(r, sel + i, n)];
    } else {
        mat_mul_bt(AP, H, APHt, n, n, m);
    }
    mat_mul(K, R, KR, n, m, m);
    for (int i = 0; i < n * m; i++)
        APHt[i] -= KR[i];
    mat_mul_bt(APHt, K, T, n, m, n);
    for (int i = 0; i < n * n; i++)
        Pn[i] = AP[i] - T[i];
    symmetrise(Pn, n);
    for (int i = 0; i < n * n; i++)
        if (!isfinite(Pn[i]))
            return SG_ERANGE;
    double dx[KF_NMAX];
    mat_mul(K, y, dx, n, m, 1);
    for (int i = 0; i < n; i++)
        if (!isfinite(x[i] + dx[i]))
            return SG_ERANGE;
    for (int i = 0; i < n; i++)
        x[i] += dx[i];
    memcpy(P, Pn, sizeof(double) * (size_t)(n * n));
    if (ll)
        *ll = -0.5 * (q + logdet + m * log(2 * M_PI));
    *d2 = q;
    return SG_OK;
}

/* kalman_core instantiated with constant sizes for the common cases (3-D position or
 * velocity updates, range-bearing updates, in the 6, 7 and 9 state spaces). */
#define KALMAN_FIXED(N, M, SEL) kalman_core(N, x, P, M, H, SEL, y, R, ll, d2)
KF_CLONES static int kalman(int n, double *x, double *P, int m, const double *H, int sel,
                            const double *y, const double *R, double *ll, double *d2)
{
    if (m == 3 && sel == 0)
        switch (n) {
        case 6: return KALMAN_FIXED(6, 3, 0);
        case 7: return KALMAN_FIXED(7, 3, 0);
        case 9: return KALMAN_FIXED(9, 3, 0);
        default: break;
        }
    if (m == 3 && sel == 3 && n == 6)
        return KALMAN_FIXED(6, 3, 3);
    if (m == 3 && sel < 0)
        switch (n) {
        case 6: return KALMAN_FIXED(6, 3, -1);
        case 7: return KALMAN_FIXED(7, 3, -1);
        default: break;
        }
    return kalman_core(n, x, P, m, H, sel, y, R, ll, d2);
}
#undef KALMAN_FIXED

/* EKF update of one mode with the measurement and, if it reports one and vel_sd > 0, its
 * velocity (a second, linear update with covariance vel_sd^2 I); ll may be NULL. */
static int update_mode(const kf_params *p, int n, double *x, double *P,
                       const sg_measurement *meas, double *ll, double *d2)
{
    double zh[3], Hp[9], y[3];
    int m = hfun(meas->type, x, meas->sensor_enu, zh, Hp);
    if (m < 0)
        return m;
    int sel = meas->type == SG_MEAS_POS_ENU ? 0 : -1; /* position: H picks states 0..2 */
    double H[3 * KF_NMAX];
    if (sel < 0) { /* kalman reads H only without a selection */
        for (int i = 0; i < m * n; i++)
            H[i] = 0;
        for (int i = 0; i < m; i++)
            for (int j = 0; j < 3; j++)
                H[IDX(i, j, n)] = Hp[IDX(i, j, 3)];
    }
    for (int i = 0; i < m; i++)
        y[i] = meas->z[i] - zh[i];
    int ia = az_index(meas->type);
    if (ia >= 0)
        y[ia] = kf_wrap_pi(y[ia]);
    int rc = kalman(n, x, P, m, H, sel, y, meas->R, ll, d2);
    if (rc || !meas->has_vel || !(p->vel_sd > 0))
        return rc;
    double Hv[3 * KF_NMAX] = {0}, Rv[9] = {0}, llv, d2v;
    for (int i = 0; i < 3; i++) {
        Hv[IDX(i, i + 3, n)] = 1;
        Rv[i * 4] = p->vel_sd * p->vel_sd;
        y[i] = meas->vel_enu[i] - x[i + 3];
    }
    rc = kalman(n, x, P, 3, Hv, 3, y, Rv, ll ? &llv : NULL, &d2v);
    if (rc == SG_OK && ll)
        *ll += llv;
    return rc;
}

int kf_update(const kf_params *p, kf_state *s, const sg_measurement *m, double *nis)
{
    int n = s->n;
    double ll[KF_MODES], d2[KF_MODES];
    if (s->nmodes == 1 && !(m->has_vel && p->vel_sd > 0)) {
        /* one Kalman step, which writes x and P only once it has succeeded: in place */
        int rc = update_mode(p, n, s->x[0], s->P[0], m, NULL, &d2[0]);
        if (rc == SG_OK && nis)
            *nis = d2[0];
        return rc;
    }
    if (s->nmodes == 1) {
        /* work on a copy of the used part only, so a failure leaves s untouched */
        double x[KF_NMAX], P[KF_NMAX * KF_NMAX];
        memcpy(x, s->x[0], sizeof(double) * (size_t)n);
        memcpy(P, s->P[0], sizeof(double) * (size_t)(n * n));
        int rc = update_mode(p, n, x, P, m, NULL, &d2[0]); /* one mode: no likelihood */
        if (rc)
            return rc;
        memcpy(s->x[0], x, sizeof(double) * (size_t)n);
        memcpy(s->P[0], P, sizeof(double) * (size_t)(n * n));
        if (nis)
            *nis = d2[0];
        return SG_OK;
    }
    kf_state tmp = *s;
    for (int k = 0; k < s->nmodes; k++) {
        int rc = update_mode(p, n, tmp.x[k], tmp.P[k], m, &ll[k], &d2[k]);
        if (rc)
            return rc;
    }
    if (s->nmodes == 2) {
        double mx = fmax(ll[0], ll[1]), sum = 0;
        for (int k = 0; k < 2; k++) {
            tmp.mu[k] *= exp(ll[k] - mx);
            sum += tmp.mu[k];
        }
        for (int k = 0; k < 2; k++) {
            /* a floor keeps either mode able to take over after a long quiet spell */
            tmp.mu[k] = fmax(tmp.mu[k] / sum, 1e-4);
        }
        sum = tmp.mu[0] + tmp.mu[1];
        tmp.mu[0] /= sum;
        tmp.mu[1] /= sum;
    }
    if (nis)
        *nis = s->nmodes == 2 ? s->mu[0] * d2[0] + s->mu[1] * d2[1] : d2[0];
    *s = tmp;
    return SG_OK;
}

/* PDA update of one mode: innovations of the nm measurements (all of one type and sensor)
 * weighted by beta[j], beta0 = probability that none is the target's. *lik receives
 * sum_j N(nu_j; 0, S) (for the IMM mode weights). */
static int pda_mode(int n, double *x, double *P, const sg_measurement *const *m,
                    const double *beta, int nm, double beta0, double *lik)
{
    double zh[3], Hp[9], H[3 * KF_NMAX] = {0};
    int dim = hfun(m[0]->type, x, m[0]->sensor_enu, zh, Hp);
    if (dim < 0)
        return dim;
    for (int i = 0; i < dim; i++)
        for (int j = 0; j < 3; j++)
            H[IDX(i, j, n)] = Hp[IDX(i, j, 3)];
    double PHt[KF_NMAX * 3], S[9], Si[9], K[KF_NMAX * 3], logdet;
    mat_mul_bt(P, H, PHt, n, n, dim);
    mat_mul(H, PHt, S, dim, n, dim);
    for (int i = 0; i < dim * dim; i++)
        S[i] += m[0]->R[i]; /* one sensor, one type: the same R for the group (closest) */
    symmetrise(S, dim);
    if (!inv_spd(S, dim, Si, &logdet))
        return SG_ERANGE;
    mat_mul(PHt, Si, K, n, dim, dim);
    double vbar[3] = {0}, spread[9] = {0}, L = 0;
    int ia = az_index(m[0]->type);
    for (int j = 0; j < nm; j++) {
        double v[3];
        for (int i = 0; i < dim; i++)
            v[i] = m[j]->z[i] - zh[i];
        if (ia >= 0)
            v[ia] = kf_wrap_pi(v[ia]);
        double q = 0;
        for (int a = 0; a < dim; a++)
            for (int b = 0; b < dim; b++)
                q += v[a] * Si[IDX(a, b, dim)] * v[b];
        L += exp(-0.5 * (q + logdet + dim * log(2 * M_PI)));
        for (int a = 0; a < dim; a++) {
            vbar[a] += beta[j] * v[a];
            for (int b = 0; b < dim; b++)
                spread[IDX(a, b, dim)] += beta[j] * v[a] * v[b];
        }
    }
    for (int a = 0; a < dim; a++)
        for (int b = 0; b < dim; b++)
            spread[IDX(a, b, dim)] -= vbar[a] * vbar[b];
    /* x += K vbar; P -= (1 - beta0) K S K'; P += K spread K' */
    double dx[KF_NMAX], KS[KF_NMAX * 3], T[KF_NMAX * 3], A[KF_NMAX * KF_NMAX],
        B[KF_NMAX * KF_NMAX];
    mat_mul(K, vbar, dx, n, dim, 1);
    mat_mul(K, S, KS, n, dim, dim);
    mat_mul_bt(KS, K, A, n, dim, n);
    mat_mul(K, spread, T, n, dim, dim);
    mat_mul_bt(T, K, B, n, dim, n);
    double Pn[KF_NMAX * KF_NMAX];
    for (int i = 0; i < n * n; i++)
        Pn[i] = P[i] - (1 - beta0) * A[i] + B[i];
    symmetrise(Pn, n);
    for (int i = 0; i < n; i++)
        if (!isfinite(x[i] + dx[i]) || !(Pn[IDX(i, i, n)] > 0))
            return SG_ERANGE;
    for (int i = 0; i < n; i++)
        x[i] += dx[i];
    memcpy(P, Pn, sizeof(double) * (size_t)(n * n));
    *lik = L;
    return SG_OK;
}

int kf_update_pda(const kf_params *p, kf_state *s, const sg_measurement *const *m,
                  const double *beta, int nm, double beta0, double pd, double clutter)
{
    (void)p;
    if (nm < 1)
        return SG_EINVAL;
    kf_state tmp = *s;
    double lik[KF_MODES];
    for (int k = 0; k < s->nmodes; k++) {
        int rc = pda_mode(s->n, tmp.x[k], tmp.P[k], m, beta, nm, beta0, &lik[k]);
        if (rc)
            return rc;
    }
    if (s->nmodes == 2) {
        /* PDA mode likelihood: (1 - Pd) lambda + Pd sum_j N_j (up to a common factor) */
        double sum = 0;
        for (int k = 0; k < 2; k++) {
            tmp.mu[k] *= (1 - pd) * clutter + pd * lik[k];
            sum += tmp.mu[k];
        }
        if (!(sum > 0) || !isfinite(sum))
            return SG_ERANGE;
        for (int k = 0; k < 2; k++)
            tmp.mu[k] = fmax(tmp.mu[k] / sum, 1e-4);
        sum = tmp.mu[0] + tmp.mu[1];
        tmp.mu[0] /= sum;
        tmp.mu[1] /= sum;
    }
    *s = tmp;
    return SG_OK;
}

/* ---- chi-square gate ------------------------------------------------------------- */

static double chi2_cdf(double x, int k)
{
    if (x <= 0)
        return 0;
    switch (k) {
    case 1:
        return erf(sqrt(x / 2));
    case 2:
        return 1 - exp(-x / 2);
    default:
        return erf(sqrt(x / 2)) - sqrt(2 * x / M_PI) * exp(-x / 2);
    }
}

double kf_chi2_gate(double pg, int dim)
{
    double lo = 0, hi = 400;
    for (int i = 0; i < 200; i++) {
        double mid = 0.5 * (lo + hi);
        if (chi2_cdf(mid, dim) < pg)
            lo = mid;
        else
            hi = mid;
    }
    return 0.5 * (lo + hi);
}
