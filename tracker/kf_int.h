/* Private to the Kalman filters (kf.c: models and prediction; kf_update.c: measurement
 * models, updates and the gate): small dense row-major matrix helpers (n <= 9, m <= 3). */
#ifndef SG_KF_INT_H
#define SG_KF_INT_H

#include <math.h>
#include <stdbool.h>
#include <string.h>

#define IDX(r, c, n) ((r) * (n) + (c))

/* ---- small matrix helpers ------------------------------------------------------ */

/* C = A (r x k) * B (k x c) */
static inline void mat_mul(const double *A, const double *B, double *C, int r, int k, int c)
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
static inline void mat_mul_bt(const double *A, const double *B, double *C, int r, int k, int c)
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
static inline void mat_mul_sa(const double *A, const double *B, double *C, int r, int k, int c)
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

static inline void transpose(const double *A, double *T, int r, int c)
{
    for (int i = 0; i < r; i++)
        for (int j = 0; j < c; j++)
            T[IDX(j, i, r)] = A[IDX(i, j, c)];
}

static inline void symmetrise(double *P, int n)
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

/* Inverse and log-determinant of a symmetric PD dim x dim matrix (dim <= 3). */
static inline bool inv_spd(const double *A, int m, double *Ai, double *logdet)
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

#endif
