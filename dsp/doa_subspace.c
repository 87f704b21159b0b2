/* Direction of arrival, first stage (see doa.h): the burst's input checks, the
 * snapshot FFTs and per-bin spatial covariances, and a Hermitian eigendecomposition
 * per bin (cyclic Jacobi: M <= 16 is small) giving the per-bin SNR, the rank-1 share
 * and the matrix each method's spectrum is a quadratic form of. Shared by doa_execute
 * (doa.c) and the calibration (doa_cal.c). */
#include <math.h>
#include <string.h>

#include <fftw3.h>

#include "doa_internal.h"

/* ---- Hermitian eigendecomposition (cyclic Jacobi) ---------------------------- */

/* A (m x m, row-major, Hermitian) is destroyed; lam[m] descending, V columns = the
 * eigenvectors (V[i*m + j] = component i of vector j). */
static void herm_eig(unsigned m, double complex *A, double *lam, double complex *V)
{
    for (unsigned i = 0; i < m; i++)
        for (unsigned j = 0; j < m; j++)
            V[i * m + j] = i == j;
    double norm = 0;
    for (unsigned i = 0; i < m * m; i++)
        norm += creal(A[i] * conj(A[i]));
    for (int sweep = 0; sweep < 40; sweep++) {
        double off = 0;
        for (unsigned p = 0; p < m; p++)
            for (unsigned r = p + 1; r < m; r++)
                off += creal(A[p * m + r] * conj(A[p * m + r]));
        if (off <= 1e-26 * norm || off == 0)
            break;
        for (unsigned p = 0; p < m; p++)
            for (unsigned r = p + 1; r < m; r++) {
                double complex apq = A[p * m + r];
                double mag = cabs(apq);
                if (mag <= 1e-300)
                    continue;
                double complex ph = apq / mag; /* e^{j phi} */
                double th = 0.5 * atan2(2 * mag, creal(A[r * m + r]) - creal(A[p * m + p]));
                double c = cos(th), s = sin(th);
                /* U = D R: columns p, q of A U (and V U) */
                double complex upp = c, upq = s, uqp = -s * conj(ph), uqq = c * conj(ph);
                for (unsigned k = 0; k < m; k++) {
                    double complex akp = A[k * m + p], akq = A[k * m + r];
                    A[k * m + p] = akp * upp + akq * uqp;
                    A[k * m + r] = akp * upq + akq * uqq;
                    double complex vkp = V[k * m + p], vkq = V[k * m + r];
                    V[k * m + p] = vkp * upp + vkq * uqp;
                    V[k * m + r] = vkp * upq + vkq * uqq;
                }
                /* rows p, q of U^H (A U) */
                for (unsigned k = 0; k < m; k++) {
                    double complex apk = A[p * m + k], aqk = A[r * m + k];
                    A[p * m + k] = conj(upp) * apk + conj(uqp) * aqk;
                    A[r * m + k] = conj(upq) * apk + conj(uqq) * aqk;
                }
                A[p * m + r] = A[r * m + p] = 0;
            }
    }
    /* sort descending (selection sort, m is small) */
    for (unsigned i = 0; i < m; i++)
        lam[i] = creal(A[i * m + i]);
    for (unsigned i = 0; i < m; i++) {
        unsigned b = i;
        for (unsigned j = i + 1; j < m; j++)
            if (lam[j] > lam[b])
                b = j;
        if (b != i) {
            double t = lam[i];
            lam[i] = lam[b];
            lam[b] = t;
            for (unsigned k = 0; k < m; k++) {
                double complex v = V[k * m + i];
                V[k * m + i] = V[k * m + b];
                V[k * m + b] = v;
            }
        }
    }
}

/* ---- covariance -------------------------------------------------------------- */

int doa_check_input(const doa *q, const doa_input *in, sg_errinfo *e)
{
    if (!in || !in->x)
        return sg_err_set(e, SG_EINVAL, "doa: no samples");
    if (in->channels != q->m)
        return sg_err_set(e, SG_EINVAL,
                          "doa: input has %u channels but the array has %u elements",
                          in->channels, q->m);
    if (!(in->fs >= 1e3 && in->fs <= 1e9))
        return sg_err_set(e, SG_EINVAL, "doa: sample rate must be in [1e3, 1e9] Hz, got %g",
                          in->fs);
    if (!(in->fc > 0 && isfinite(in->fc)))
        return sg_err_set(e, SG_EINVAL, "doa: centre frequency must be > 0 Hz, got %g", in->fc);
    if (!(in->f_lo < in->f_hi && in->f_lo >= -in->fs / 2 - 1e-6 && in->f_hi <= in->fs / 2 + 1e-6))
        return sg_err_set(e, SG_EINVAL,
                          "doa: burst band [%g, %g] Hz must be increasing and inside +-fs/2 = %g",
                          in->f_lo, in->f_hi, in->fs / 2);
    if (!(in->snr >= 0) || !isfinite(in->snr))
        return sg_err_set(e, SG_EINVAL, "doa: burst SNR must be finite and >= 0, got %g", in->snr);
    unsigned w = (unsigned)(in->n / q->cfg.nfft);
    if (w < q->cfg.min_windows)
        return sg_err_set(e, SG_ERANGE,
                          "doa: burst of %zu samples gives %u windows of %u, need >= %u", in->n,
                          w, q->cfg.nfft, q->cfg.min_windows);
    return SG_OK;
}

static void pick_bins(doa *q, const doa_input *in)
{
    unsigned nf = q->cfg.nfft;
    double df = in->fs / nf;
    /* FFT index ranges over -nf/2..nf/2-1 as signed frequency steps */
    int klo = (int)ceil(in->f_lo / df - 1e-9), khi = (int)floor(in->f_hi / df + 1e-9);
    if (klo < -(int)nf / 2)
        klo = -(int)nf / 2;
    if (khi > (int)nf / 2 - 1)
        khi = (int)nf / 2 - 1;
    if (khi < klo) { /* a burst narrower than a bin: the bin nearest its centre */
        int k = (int)lround(0.5 * (in->f_lo + in->f_hi) / df);
        if (k > (int)nf / 2 - 1)
            k = (int)nf / 2 - 1;
        klo = khi = k;
    }
    unsigned count = (unsigned)(khi - klo + 1);
    unsigned stride = (count + q->cfg.max_bins - 1) / q->cfg.max_bins;
    q->nb = 0;
    for (int k = klo + (int)((count - 1) % stride) / 2; k <= khi; k += (int)stride) {
        q->kidx[q->nb] = k < 0 ? k + (int)nf : k;
        q->fb[q->nb] = k * df;
        q->nb++;
    }
}

/* Fills R (per bin) from the snapshot windows; cal applied when use_cal. */
int doa_covariance(doa *q, const doa_input *in, bool use_cal, sg_errinfo *e)
{
    unsigned m = q->m, nf = q->cfg.nfft;
    pick_bins(q, in);
    q->fc = in->fc;
    q->windows = (unsigned)(in->n / nf);
    memset(q->R, 0, (size_t)q->nb * m * m * sizeof *q->R);
    float complex cal[DOA_MAX_ELEMENTS];
    for (unsigned i = 0; i < m; i++)
        cal[i] = use_cal ? q->arr.cal[i] : 1.0f;
    float complex *buf = (float complex *)q->in;
    const float complex *out = (const float complex *)q->out;
    for (unsigned w = 0; w < q->windows; w++) {
        const float complex *x = in->x + (size_t)w * nf * m;
        for (unsigned t = 0; t < nf; t++)
            for (unsigned i = 0; i < m; i++) {
                float complex v = x[(size_t)t * m + i];
                if (!isfinite(crealf(v)) || !isfinite(cimagf(v)))
                    return sg_err_set(e, SG_EFORMAT,
                                      "doa: sample %zu of channel %u is not finite",
                                      (size_t)w * nf + t, i);
                buf[(size_t)i * nf + t] = v * cal[i];
            }
        fftwf_execute(q->plan);
        for (unsigned b = 0; b < q->nb; b++) {
            double complex X[DOA_MAX_ELEMENTS];
            for (unsigned i = 0; i < m; i++)
                X[i] = out[(size_t)i * nf + q->kidx[b]];
            double complex *R = q->R + (size_t)b * m * m;
            for (unsigned i = 0; i < m; i++)
                for (unsigned j = i; j < m; j++)
                    R[i * m + j] += X[i] * conj(X[j]);
        }
    }
    double sc = 1.0 / ((double)q->windows * nf);
    for (unsigned b = 0; b < q->nb; b++) {
        double complex *R = q->R + (size_t)b * m * m;
        for (unsigned i = 0; i < m; i++)
            for (unsigned j = i; j < m; j++) {
                R[i * m + j] *= sc;
                R[j * m + i] = conj(R[i * m + j]);
            }
    }
    return SG_OK;
}

/* Eigendecomposition per bin; rho, rank-1 share; Q for the method. */
void doa_subspaces(doa *q, double snr_hint, double *snr_mean, double *rank1, bool *low_snr)
{
    unsigned m = q->m, d = q->cfg.method == DOA_MUSIC ? q->cfg.sources : 1;
    double complex A[DOA_MAX_ELEMENTS * DOA_MAX_ELEMENTS];
    double s_snr = 0, s_r1 = 0, w_r1 = 0;
    *low_snr = true;
    for (unsigned b = 0; b < q->nb; b++) {
        const double complex *R = q->R + (size_t)b * m * m;
        double complex *V = q->V + (size_t)b * m * m, *Q = q->Q + (size_t)b * m * m;
        double *lam = q->lam + (size_t)b * m;
        memcpy(A, R, (size_t)m * m * sizeof *A);
        herm_eig(m, A, lam, V);
        double s2 = 0;
        for (unsigned i = d; i < m; i++)
            s2 += lam[i];
        s2 /= (m - d);
        if (!(s2 > 0))
            s2 = 1e-30;
        double rho = (lam[0] - s2) / (m * s2);
        q->rho[b] = rho > 0 ? rho : 0;
        s_snr += q->rho[b];
        if (q->rho[b] > 1)
            *low_snr = false;
        double lmin = lam[m - 1], tot = 0;
        for (unsigned i = 0; i < m; i++)
            tot += lam[i] - lmin;
        if (m >= 3 && tot > 0 && lam[0] - lmin > 2.0 * m * lmin) {
            s_r1 += (lam[0] - lmin);
            w_r1 += tot;
        }
        if (q->cfg.method == DOA_MUSIC) {
            for (unsigned i = 0; i < m; i++)
                for (unsigned j = 0; j < m; j++) {
                    double complex s = 0;
                    for (unsigned k = d; k < m; k++)
                        s += V[i * m + k] * conj(V[j * m + k]);
                    Q[i * m + j] = s;
                }
        } else {
            double tr = 0;
            for (unsigned i = 0; i < m; i++)
                tr += creal(R[i * m + i]);
            double g = tr > 0 ? 1.0 / (m * tr) : 0;
            for (unsigned i = 0; i < m * m; i++)
                Q[i] = R[i] * g;
        }
    }
    *snr_mean = q->nb ? s_snr / q->nb : 0;
    *rank1 = w_r1 > 0 ? s_r1 / w_r1 : 1.0;
    if (snr_hint > 0) { /* the detector's noise level: white, the same in every bin */
        double tr = 0;
        for (unsigned b = 0; b < q->nb; b++)
            for (unsigned i = 0; i < m; i++)
                tr += creal(q->R[(size_t)b * m * m + i * m + i]);
        double s2 = tr / ((double)q->nb * m * (1 + snr_hint)), num = 0, den = 0;
        for (unsigned b = 0; b < q->nb; b++) {
            double t = 0;
            for (unsigned i = 0; i < m; i++)
                t += creal(q->R[(size_t)b * m * m + i * m + i]);
            double l1 = q->lam[(size_t)b * m] - s2, rest = t - m * s2;
            num += l1 > 0 ? l1 : 0;
            den += rest > 0 ? rest : 0;
        }
        *rank1 = den > 0 ? fmin(1.0, num / den) : 1.0;
    }
}
