/* Kalman filters for the tracker (see kf.h), measurement side: the measurement models
 * (position, velocity, bearing, range-bearing), predicted measurements and gating, the
 * Kalman / Joseph updates (one mode or IMM, and PDA) and the chi-square gate (kf.c has the
 * motion models and prediction). */
/* The hot kernels (NCV prediction, position updates, gating) are written for any n and
 * instantiated for the fixed sizes below with constant arguments, so the compiler unrolls
 * them; -O3 for this file lets it vectorise them too. */
#if defined(__GNUC__) && !defined(__clang__) /* GCC only: clang builds (fuzzing) keep their flags */
#pragma GCC optimize("O3")
#endif

#include "kf.h"

#include <math.h>
#include <string.h>

#include "kf_int.h"
#include "sg_error.h"

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
    double xc[3], Pc[9], Hp[9], Pp[9], T[9];
    const double *x = s->x[0], *P = s->P[0]; /* one mode: no copy */
    int ps = s->n;                           /* row stride of P */
    if (s->nmodes > 1) { /* every measurement model reads the position part only */
        kf_combined_lead(s, 3, xc, Pc);
        x = xc;
        P = Pc;
        ps = 3;
    }
    if (type == SG_MEAS_POS_ENU) { /* H picks the position: H P H' is P's corner */
        out->dim = 3;
        for (int i = 0; i < 3; i++) {
            out->zhat[i] = x[i];
            for (int j = 0; j < 3; j++)
                out->HPHt[IDX(i, j, 3)] = P[IDX(i, j, ps)];
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
            Pp[IDX(i, j, 3)] = P[IDX(i, j, ps)];
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
    double S[9], y[3] = {0};
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
    double HP[3 * KF_NMAX], AP[KF_NMAX * KF_NMAX], APHt[KF_NMAX * 3], T[KF_NMAX * KF_NMAX];
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
    kf_state tmp;
    kf_copy(&tmp, s); /* the used part only, both ways */
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
    kf_copy(s, &tmp);
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
        double v[3] = {0};
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
    /* a variance must stay positive, except one held at exactly zero (the IMM NCV mode's
     * acceleration), which the update leaves at zero */
    for (int i = 0; i < n; i++) {
        double v = Pn[IDX(i, i, n)];
        if (!isfinite(x[i] + dx[i]) || !(v > 0 || (v == 0 && P[IDX(i, i, n)] == 0)))
            return SG_ERANGE;
    }
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
    kf_state tmp; /* the used part only, both ways: s may be stored in kf_state_size */
    kf_copy(&tmp, s);
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
    kf_copy(s, &tmp);
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
