/* Direction of arrival (see doa.h): per-bin spatial covariances from snapshot FFTs,
 * a Hermitian eigendecomposition per bin (cyclic Jacobi: M <= 16 is small), then
 * MUSIC / Bartlett spectra on a grid, peak picking with ambiguity flags, or 2-channel
 * phase interferometry; the Cramer-Rao variance at the estimated SNR; calibration
 * from a source at a known bearing. The array geometry helpers live in doa_array.c. */
#include "doa.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <fftw3.h>

#include "doa_internal.h"
#include "spectro.h"

#define MAXB 1024 /* bins (nfft <= 1024) */

struct doa_s {
    doa_array arr;
    doa_cfg cfg;
    unsigned m;                 /* elements */
    unsigned rank;              /* 1 linear, 2 planar, 3 */
    fftwf_complex *in, *out;    /* m x nfft */
    fftwf_plan plan;
    /* per-burst state */
    unsigned nb;                /* bins used */
    int kidx[MAXB];             /* FFT index of each */
    double fb[MAXB];            /* their baseband frequencies, Hz */
    double fc;                  /* RF of baseband 0 */
    double complex *R;          /* nb x m x m covariances */
    double complex *Q;          /* nb x m x m: MUSIC noise projector or normalised R */
    double complex *V;          /* nb x m x m eigenvectors (columns) */
    double *lam;                /* nb x m eigenvalues, descending */
    double *rho;                /* nb: per-element SNR */
    unsigned windows;
    /* grid */
    unsigned naz, nel;
    double el0;                 /* rad, first el row */
    float *spec;                /* naz x nel, dB */
    float *amb;                 /* naz x nel, ambiguity function */
    bool have_spec;
};

void doa_cfg_default(doa_cfg *cfg)
{
    cfg->method = DOA_MUSIC;
    cfg->nfft = 64;
    cfg->sources = 1;
    cfg->az_step_deg = 1.0;
    cfg->elevation = false;
    cfg->el_step_deg = 5.0;
    cfg->el_max_deg = 60.0;
    cfg->peak_ratio_db = 3.0;
    cfg->min_windows = 8;
    cfg->max_bins = 64;
}

static const char *const method_names[] = {"music", "bartlett", "phase"};

const char *doa_method_name(doa_method m)
{
    return (unsigned)m <= DOA_PHASE ? method_names[m] : "unknown";
}

int doa_method_parse(const char *s, doa_method *out)
{
    for (unsigned i = 0; s && i <= DOA_PHASE; i++)
        if (!strcmp(s, method_names[i])) {
            *out = (doa_method)i;
            return SG_OK;
        }
    return SG_EINVAL;
}

void doa_destroy(doa *q)
{
    if (!q)
        return;
    spectro_planner_lock();
    if (q->plan)
        fftwf_destroy_plan(q->plan);
    spectro_planner_unlock();
    fftwf_free(q->in);
    fftwf_free(q->out);
    free(q->R);
    free(q->Q);
    free(q->V);
    free(q->lam);
    free(q->rho);
    free(q->spec);
    free(q->amb);
    free(q);
}

static int cfg_check(const doa_array *a, const doa_cfg *c, unsigned rank, sg_errinfo *e)
{
    unsigned n = c->nfft;
    if (n < 8 || n > MAXB || (n & (n - 1)))
        return sg_err_set(e, SG_EINVAL, "doa: nfft must be a power of two in [8, %d], got %u",
                          MAXB, n);
    if ((unsigned)c->method > DOA_PHASE)
        return sg_err_set(e, SG_EINVAL, "doa: unknown method %d", (int)c->method);
    if (c->method == DOA_PHASE && a->n != 2)
        return sg_err_set(e, SG_EINVAL,
                          "doa: phase interferometry needs exactly 2 elements, the array has %u",
                          a->n);
    if (c->method == DOA_MUSIC && (c->sources < 1 || c->sources >= a->n))
        return sg_err_set(e, SG_EINVAL, "doa: sources must be in [1, %u] for %u elements, got %u",
                          a->n - 1, a->n, c->sources);
    if (!(c->az_step_deg >= 0.25 && c->az_step_deg <= 10))
        return sg_err_set(e, SG_EINVAL, "doa: az_step_deg must be in [0.25, 10], got %g",
                          c->az_step_deg);
    if (c->elevation) {
        if (rank < 2)
            return sg_err_set(e, SG_EINVAL,
                              "doa: a linear array cannot measure elevation (elevation must be off)");
        if (c->method == DOA_PHASE)
            return sg_err_set(e, SG_EINVAL, "doa: phase interferometry gives no elevation");
        if (!(c->el_step_deg >= 1 && c->el_step_deg <= 15))
            return sg_err_set(e, SG_EINVAL, "doa: el_step_deg must be in [1, 15], got %g",
                              c->el_step_deg);
        if (!(c->el_max_deg >= 0 && c->el_max_deg <= 90))
            return sg_err_set(e, SG_EINVAL, "doa: el_max_deg must be in [0, 90], got %g",
                              c->el_max_deg);
    }
    if (!(c->peak_ratio_db >= 0.5 && c->peak_ratio_db <= 20))
        return sg_err_set(e, SG_EINVAL, "doa: peak_ratio_db must be in [0.5, 20], got %g",
                          c->peak_ratio_db);
    if (c->min_windows < 2)
        return sg_err_set(e, SG_EINVAL, "doa: min_windows must be >= 2, got %u", c->min_windows);
    if (c->max_bins < 1 || c->max_bins > n)
        return sg_err_set(e, SG_EINVAL, "doa: max_bins must be in [1, nfft=%u], got %u", n,
                          c->max_bins);
    return SG_OK;
}

doa *doa_create(const doa_array *arr, const doa_cfg *cfg, sg_errinfo *e)
{
    if (!arr || !cfg) {
        sg_err_set(e, SG_EINVAL, "doa: array and configuration are required");
        return NULL;
    }
    if (doa_array_validate(arr, e))
        return NULL;
    unsigned rank = doa_array_rank(arr);
    if (rank == 1 && doa_array_axis_h(arr, NULL) < 0.5) {
        sg_err_set(e, SG_EINVAL, "doa: a linear array must be mounted within 60 deg of horizontal "
                                 "(azimuth is unobservable along a vertical axis)");
        return NULL;
    }
    if (cfg_check(arr, cfg, rank, e))
        return NULL;
    doa *q = calloc(1, sizeof *q);
    if (!q) {
        sg_err_set(e, SG_ENOMEM, "doa: out of memory");
        return NULL;
    }
    q->arr = *arr;
    q->cfg = *cfg;
    q->m = arr->n;
    q->rank = rank;
    unsigned m = q->m, nf = cfg->nfft, mb = cfg->max_bins;
    q->naz = (unsigned)lround(360.0 / cfg->az_step_deg);
    if (cfg->elevation) {
        double lo = rank == 2 ? 0.0 : -cfg->el_max_deg;
        q->nel = 1 + (unsigned)floor((cfg->el_max_deg - lo) / cfg->el_step_deg + 1e-9);
        q->el0 = lo * M_PI / 180;
    } else {
        q->nel = 1;
        q->el0 = 0;
    }
    q->in = fftwf_alloc_complex((size_t)m * nf);
    q->out = fftwf_alloc_complex((size_t)m * nf);
    q->R = malloc((size_t)mb * m * m * sizeof *q->R);
    q->Q = malloc((size_t)mb * m * m * sizeof *q->Q);
    q->V = malloc((size_t)mb * m * m * sizeof *q->V);
    q->lam = malloc((size_t)mb * m * sizeof *q->lam);
    q->rho = malloc((size_t)mb * sizeof *q->rho);
    q->spec = malloc((size_t)q->naz * q->nel * sizeof *q->spec);
    q->amb = malloc((size_t)q->naz * q->nel * sizeof *q->amb);
    if (!q->in || !q->out || !q->R || !q->Q || !q->V || !q->lam || !q->rho || !q->spec ||
        !q->amb) {
        sg_err_set(e, SG_ENOMEM, "doa: out of memory (%u elements, nfft %u)", m, nf);
        doa_destroy(q);
        return NULL;
    }
    int dims[1] = {(int)nf};
    spectro_planner_lock();
    q->plan = fftwf_plan_many_dft(1, dims, (int)m, q->in, NULL, 1, (int)nf, q->out, NULL, 1,
                                  (int)nf, FFTW_FORWARD, FFTW_ESTIMATE);
    spectro_planner_unlock();
    if (!q->plan) {
        sg_err_set(e, SG_EINVAL, "doa: FFTW could not plan %u x %u-point DFT", m, nf);
        doa_destroy(q);
        return NULL;
    }
    return q;
}

int doa_set_calibration(doa *q, const float complex *cal, sg_errinfo *e)
{
    doa_array a = q->arr;
    if (!(cabsf(cal[0]) > 0))
        return sg_err_set(e, SG_EINVAL, "doa: calibration of channel 0 must not be 0");
    for (unsigned i = 0; i < a.n; i++)
        a.cal[i] = cal[i] / cal[0];
    a.calibrated = true;
    if (doa_array_validate(&a, e))
        return e ? e->code : SG_EINVAL;
    q->arr = a;
    return SG_OK;
}

const doa_array *doa_get_array(const doa *q)
{
    return &q->arr;
}

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

static int check_input(const doa *q, const doa_input *in, sg_errinfo *e)
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
static int covariance(doa *q, const doa_input *in, bool use_cal, sg_errinfo *e)
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
static void subspaces(doa *q, double snr_hint, double *snr_mean, double *rank1, bool *low_snr)
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

/* ---- spectra ----------------------------------------------------------------- */

/* Steering for every bin: a[b*m + i] at u(az, el). */
static void steer_bins(const doa *q, double az, double el, double complex *a)
{
    unsigned m = q->m;
    double u[3];
    doa_unit(az, el, u);
    double df = q->nb > 1 ? q->fb[1] - q->fb[0] : 0;
    for (unsigned i = 0; i < m; i++) {
        double tau = (q->arr.pos[i][0] * u[0] + q->arr.pos[i][1] * u[1] +
                      q->arr.pos[i][2] * u[2]) / DOA_C;
        double complex v = cexp(I * 2 * M_PI * (q->fc + q->fb[0]) * tau);
        double complex st = cexp(I * 2 * M_PI * df * tau);
        for (unsigned b = 0; b < q->nb; b++) {
            a[b * m + i] = v;
            v *= st;
        }
    }
}

/* Spectrum value in dB (higher = more likely) at az, el: sum over bins of the
 * quadratic form a_k^H Q_k a_k (|a_i| = 1, Q Hermitian). */
static double spectrum_at(const doa *q, double az, double el)
{
    unsigned m = q->m;
    double u[3];
    doa_unit(az, el, u);
    double df = q->nb > 1 ? q->fb[1] - q->fb[0] : 0;
    double complex v[DOA_MAX_ELEMENTS], st[DOA_MAX_ELEMENTS];
    for (unsigned i = 0; i < m; i++) {
        double tau = (q->arr.pos[i][0] * u[0] + q->arr.pos[i][1] * u[1] +
                      q->arr.pos[i][2] * u[2]) / DOA_C;
        v[i] = cexp(I * 2 * M_PI * (q->fc + q->fb[0]) * tau);
        st[i] = cexp(I * 2 * M_PI * df * tau);
    }
    double acc = 0;
    for (unsigned b = 0; b < q->nb; b++) {
        const double complex *Q = q->Q + (size_t)b * m * m;
        double s = 0;
        for (unsigned i = 0; i < m; i++) {
            s += creal(Q[i * m + i]);
            double complex r = 0;
            for (unsigned j = i + 1; j < m; j++)
                r += Q[i * m + j] * v[j];
            s += 2 * creal(conj(v[i]) * r);
        }
        acc += s;
        for (unsigned i = 0; i < m; i++)
            v[i] *= st[i];
    }
    if (q->cfg.method == DOA_MUSIC) {
        double den = acc / (m * q->nb);
        return -10 * log10(den > 1e-30 ? den : 1e-30);
    }
    double num = acc / q->nb;
    return 10 * log10(num > 1e-30 ? num : 1e-30);
}

/* Wideband ambiguity: mean over bins of |a(u0)^H a(u)|^2 / m^2. */
static double ambiguity_at(const doa *q, double az0, double el0, double az, double el)
{
    unsigned m = q->m;
    double u0[3], u[3];
    doa_unit(az0, el0, u0);
    doa_unit(az, el, u);
    double df = q->nb > 1 ? q->fb[1] - q->fb[0] : 0;
    double dt[DOA_MAX_ELEMENTS];
    for (unsigned i = 0; i < m; i++)
        dt[i] = (q->arr.pos[i][0] * (u[0] - u0[0]) + q->arr.pos[i][1] * (u[1] - u0[1]) +
                 q->arr.pos[i][2] * (u[2] - u0[2])) / DOA_C;
    double acc = 0;
    unsigned step = q->nb > 8 ? q->nb / 8 : 1; /* the band is narrow vs fc: 8 bins suffice */
    unsigned cnt = 0;
    double complex v[DOA_MAX_ELEMENTS], st[DOA_MAX_ELEMENTS];
    for (unsigned i = 0; i < m; i++) {
        v[i] = cexp(I * 2 * M_PI * (q->fc + q->fb[0]) * dt[i]);
        st[i] = cexp(I * 2 * M_PI * step * df * dt[i]);
    }
    for (unsigned b = 0; b < q->nb; b += step) {
        double complex s = 0;
        for (unsigned i = 0; i < m; i++) {
            s += v[i];
            v[i] *= st[i];
        }
        acc += creal(s * conj(s)) / ((double)m * m);
        cnt++;
    }
    return acc / cnt;
}

static double grid_az(const doa *q, unsigned ia)
{
    return -M_PI + ia * (2 * M_PI / q->naz);
}

static double grid_el(const doa *q, unsigned ie)
{
    return q->el0 + ie * q->cfg.el_step_deg * M_PI / 180;
}

static bool local_max(const float *g, unsigned naz, unsigned nel, unsigned ia, unsigned ie)
{
    float v = g[ie * naz + ia];
    for (int de = -1; de <= 1; de++) {
        int e2 = (int)ie + de;
        if (e2 < 0 || e2 >= (int)nel)
            continue;
        for (int da = -1; da <= 1; da++) {
            if (!da && !de)
                continue;
            unsigned a2 = (ia + naz + (unsigned)(da + 1) - 1) % naz;
            float w = g[(unsigned)e2 * naz + a2];
            /* ties broken towards the lower index so a plateau gives one maximum */
            if (w > v || (w == v && (de < 0 || (de == 0 && da < 0))))
                return false;
        }
    }
    return true;
}

/* Successive halving around (az, el) on f. */
static void refine(const doa *q, double *az, double *el, double *val)
{
    double st = q->cfg.az_step_deg * M_PI / 180, se = q->cfg.el_step_deg * M_PI / 180;
    double best = spectrum_at(q, *az, *el);
    double elo = q->el0, ehi = grid_el(q, q->nel - 1);
    for (int it = 0; it < 7; it++) {
        st *= 0.5;
        se *= 0.5;
        for (int pass = 0; pass < 2; pass++) {
            double ca = *az, ce = *el;
            for (int d = -1; d <= 1; d += 2) {
                double a2 = ca + d * st, v = spectrum_at(q, a2, ce);
                if (v > best) {
                    best = v;
                    *az = a2;
                }
            }
            if (q->cfg.elevation)
                for (int d = -1; d <= 1; d += 2) {
                    double e2 = *el + d * se;
                    if (e2 < elo || e2 > ehi)
                        continue;
                    double v = spectrum_at(q, *az, e2);
                    if (v > best) {
                        best = v;
                        *el = e2;
                    }
                }
        }
    }
    *az = doa_wrap_pi(*az);
    *val = best;
}

static double ang_dist(double a, double b)
{
    return fabs(doa_wrap_pi(a - b));
}

/* Fisher information per bin summed: var_az and var_el at (az, el). */
static void crb(const doa *q, double az, double el, double *var_az, double *var_el)
{
    double ia = 0, ie = 0;
    for (unsigned b = 0; b < q->nb; b++) {
        double f = q->fc + q->fb[b];
        double v = doa_crb_var_az(&q->arr, az, el, f, q->rho[b], q->windows);
        if (v > 0 && isfinite(v))
            ia += 1 / v;
        if (q->cfg.elevation) {
            double w = doa_crb_var_el(&q->arr, az, el, f, q->rho[b], q->windows);
            if (w > 0 && isfinite(w))
                ie += 1 / w;
        }
    }
    *var_az = ia > 0 ? 1 / ia : INFINITY;
    *var_el = q->cfg.elevation ? (ie > 0 ? 1 / ie : INFINITY) : NAN;
}

static void add_peak(doa_result *r, double az, double el, double lvl)
{
    if (r->npeaks < DOA_MAX_PEAKS)
        r->peaks[r->npeaks++] = (doa_peak){az, el, lvl};
}

static int spectral(doa *q, doa_result *r)
{
    unsigned naz = q->naz, nel = q->nel;
    float mx = -INFINITY;
    for (unsigned ie = 0; ie < nel; ie++)
        for (unsigned ia = 0; ia < naz; ia++) {
            float v = (float)spectrum_at(q, grid_az(q, ia), grid_el(q, ie));
            q->spec[ie * naz + ia] = v;
            if (v > mx)
                mx = v;
        }
    /* coarse local maxima, best first */
    struct cand { double az, el, v; } c[32];
    unsigned nc = 0;
    for (unsigned ie = 0; ie < nel; ie++)
        for (unsigned ia = 0; ia < naz; ia++) {
            if (!local_max(q->spec, naz, nel, ia, ie))
                continue;
            double v = q->spec[ie * naz + ia];
            if (v < mx - q->cfg.peak_ratio_db - 6)
                continue;
            unsigned pos = nc < 32 ? nc++ : 31;
            if (pos == 31 && v <= c[31].v)
                continue;
            while (pos > 0 && c[pos - 1].v < v) {
                c[pos] = c[pos - 1];
                pos--;
            }
            c[pos] = (struct cand){grid_az(q, ia), grid_el(q, ie), v};
        }
    for (unsigned ie = 0; ie < nel; ie++)
        for (unsigned ia = 0; ia < naz; ia++)
            q->spec[ie * naz + ia] -= mx;
    q->have_spec = true;
    if (!nc)
        return SG_ERANGE;
    double az = c[0].az, el = c[0].el, best;
    refine(q, &az, &el, &best);
    double res = 2.5 * q->cfg.az_step_deg * M_PI / 180;
    /* the linear array's mirror */
    double maz = az;
    bool mirror = q->rank == 1;
    if (mirror) {
        maz = doa_mirror_az(&q->arr, az);
        if (!doa_in_front(&q->arr, az)) {
            double t = az;
            az = maz;
            maz = t;
        }
        r->flags |= DOA_AMB_FRONT_BACK;
    }
    r->az = az;
    r->el = el;
    add_peak(r, az, el, 0);
    if (mirror)
        add_peak(r, maz, el, spectrum_at(q, maz, el) - best);
    /* grating lobes: other maxima of the ambiguity function >= 0.8 */
    for (unsigned ie = 0; ie < nel; ie++)
        for (unsigned ia = 0; ia < naz; ia++)
            q->amb[ie * naz + ia] =
                (float)ambiguity_at(q, az, el, grid_az(q, ia), grid_el(q, ie));
    double glob[DOA_MAX_PEAKS][2];
    unsigned ng = 0;
    for (unsigned ie = 0; ie < nel; ie++)
        for (unsigned ia = 0; ia < naz; ia++) {
            double a2 = grid_az(q, ia), e2 = grid_el(q, ie);
            if (q->amb[ie * naz + ia] < 0.8f || !local_max(q->amb, naz, nel, ia, ie))
                continue;
            if (ang_dist(a2, az) <= res && fabs(e2 - el) <= res + 1e-9)
                continue;
            if (mirror && ang_dist(a2, maz) <= res)
                continue;
            double ra = a2, re = e2, v;
            refine(q, &ra, &re, &v);
            r->flags |= DOA_AMB_GRATING;
            if (ng < DOA_MAX_PEAKS) {
                glob[ng][0] = ra;
                glob[ng][1] = re;
                ng++;
            }
            add_peak(r, ra, re, v - best);
        }
    /* other spectrum peaks: not the main one, its mirror or a grating lobe */
    for (unsigned i = 0; i < nc; i++) {
        if (c[i].v < best - q->cfg.peak_ratio_db)
            break;
        if (ang_dist(c[i].az, az) <= res && fabs(c[i].el - el) <= res + 1e-9)
            continue;
        if (mirror && ang_dist(c[i].az, maz) <= res)
            continue;
        bool known = false;
        for (unsigned g = 0; g < ng; g++)
            if (ang_dist(c[i].az, glob[g][0]) <= res)
                known = true;
        if (known)
            continue;
        double ra = c[i].az, re = c[i].el, v;
        refine(q, &ra, &re, &v);
        if (v < best - q->cfg.peak_ratio_db || (ang_dist(ra, az) <= res && fabs(re - el) <= res))
            continue;
        if (mirror && (ang_dist(ra, maz) <= res || ang_dist(doa_mirror_az(&q->arr, ra), az) <= res))
            continue;
        r->flags |= DOA_AMB_MULTI;
        add_peak(r, ra, re, v - best);
    }
    return SG_OK;
}

/* 2-channel interferometry: per-bin phase of R[1][0] -> delay along the baseline. */
static int phase_interf(doa *q, doa_result *r)
{
    double b[3], bl = 0;
    for (int k = 0; k < 3; k++) {
        b[k] = q->arr.pos[1][k] - q->arr.pos[0][k];
        bl += b[k] * b[k];
    }
    bl = sqrt(bl);
    unsigned ref = 0;
    double wmax = -1;
    for (unsigned i = 0; i < q->nb; i++) {
        double w = cabs(q->R[(size_t)i * 4 + 2]);
        if (w > wmax) {
            wmax = w;
            ref = i;
        }
    }
    double pref = carg(q->R[(size_t)ref * 4 + 2]);
    double sxy = 0, sxx = 0, sw = 0;
    for (unsigned i = 0; i < q->nb; i++) {
        double complex r10 = q->R[(size_t)i * 4 + 2];
        double w = cabs(r10), f = q->fc + q->fb[i];
        double ph = pref + doa_wrap_pi(carg(r10) - pref);
        sxy += w * f * ph;
        sxx += w * f * f;
        sw += w;
    }
    if (!(sxx > 0) || !(sw > 0))
        return SG_ERANGE;
    double fbar = sxx / sw; /* weighted f^2 mean over weighted f: delay per 2 pi n */
    double ph0 = sxy / sxx; /* rad/Hz: 2 pi tau for n = 0 */
    double tmax = bl / DOA_C;
    double fmean = 0;
    for (unsigned i = 0; i < q->nb; i++)
        fmean += q->fc + q->fb[i];
    fmean /= q->nb;
    (void)fbar;
    int nmax = (int)ceil(fmean * tmax) + 1;
    double alpha = atan2(b[0], b[1]); /* azimuth of the baseline */
    bool first = true;
    /* candidates ordered by |n| */
    for (int an = 0; an <= nmax; an++)
        for (int sgn = 1; sgn >= -1; sgn -= 2) {
            if (an == 0 && sgn < 0)
                continue;
            int n = sgn * an;
            double tau = (ph0 + 2 * M_PI * n / fmean) / (2 * M_PI);
            double cs = DOA_C * tau / bl;
            if (cs > 1.0 + 1e-3 || cs < -1.0 - 1e-3)
                continue;
            cs = cs > 1 ? 1 : cs < -1 ? -1 : cs;
            double ac = acos(cs);
            double fa = doa_wrap_pi(alpha - ac), ba = doa_wrap_pi(alpha + ac);
            if (!doa_in_front(&q->arr, fa)) {
                double t = fa;
                fa = ba;
                ba = t;
            }
            if (first) {
                r->az = fa;
                r->el = 0;
                first = false;
            } else {
                r->flags |= DOA_AMB_GRATING;
            }
            add_peak(r, fa, 0, 0);
            add_peak(r, ba, 0, 0);
        }
    if (first)
        return SG_ERANGE;
    r->flags |= DOA_AMB_FRONT_BACK;
    return SG_OK;
}

int doa_execute(doa *q, const doa_input *in, doa_result *out, sg_errinfo *e)
{
    memset(out, 0, sizeof *out);
    out->var_az = out->var_el = NAN;
    out->az = out->el = NAN;
    int rc = check_input(q, in, e);
    if (rc)
        return rc;
    if ((rc = covariance(q, in, true, e)))
        return rc;
    bool low;
    subspaces(q, in->snr, &out->snr, &out->rank1, &low);
    out->windows = q->windows;
    out->bins = q->nb;
    if (low)
        out->flags |= DOA_FLAG_LOW_SNR;
    if ((q->m >= 3 || in->snr > 0) && out->rank1 < 0.7)
        out->flags |= DOA_FLAG_NOT_RANK1;
    rc = q->cfg.method == DOA_PHASE ? phase_interf(q, out) : spectral(q, out);
    if (rc) {
        out->az = out->el = NAN;
        return sg_err_set(e, rc, "doa: no spectrum peak");
    }
    crb(q, out->az, out->el, &out->var_az, &out->var_el);
    if (q->cfg.elevation && q->rank == 2)
        out->flags |= DOA_AMB_UP_DOWN;
    return SG_OK;
}

const float *doa_spectrum(const doa *q, unsigned *naz, unsigned *nel)
{
    if (naz)
        *naz = q->naz;
    if (nel)
        *nel = q->nel;
    return q->have_spec ? q->spec : NULL;
}

/* ---- calibration --------------------------------------------------------------- */

int doa_calibrate(doa *q, const doa_input *in, double az, double el, doa_cal_report *rep,
                  sg_errinfo *e)
{
    memset(rep, 0, sizeof *rep);
    if (!isfinite(az) || !isfinite(el))
        return sg_err_set(e, SG_EINVAL, "doa: calibration bearing must be finite");
    int rc = check_input(q, in, e);
    if (rc)
        return rc;
    if ((rc = covariance(q, in, false, e)))
        return rc;
    doa_method keep = q->cfg.method;
    q->cfg.method = DOA_BARTLETT; /* eigenvectors only */
    bool low;
    subspaces(q, in->snr, &rep->snr, &rep->rank1, &low);
    q->cfg.method = keep;
    unsigned m = q->m;
    double complex a[MAXB * 4];
    unsigned chunk = (unsigned)(sizeof a / sizeof a[0]) / m;
    if (q->nb > chunk)
        q->nb = chunk; /* calibration needs no more bins than that */
    steer_bins(q, az, el, a);
    double complex acc[DOA_MAX_ELEMENTS] = {0}, un[DOA_MAX_ELEMENTS] = {0};
    double mag[DOA_MAX_ELEMENTS] = {0}, sw = 0;
    for (unsigned b = 0; b < q->nb; b++) {
        const double complex *V = q->V + (size_t)b * m * m;
        const double *lam = q->lam + (size_t)b * m;
        double w = lam[0] - lam[m - 1];
        if (!(w > 0))
            continue;
        double complex r0 = V[0] / a[b * m];
        if (cabs(r0) == 0)
            continue;
        for (unsigned i = 0; i < m; i++) {
            double complex c = (V[i * m] / a[b * m + i]) / r0;
            acc[i] += w * c;
            double cm = cabs(c);
            mag[i] += w * cm;
            if (cm > 0)
                un[i] += w * c / cm;
        }
        sw += w;
    }
    if (!(sw > 0))
        return sg_err_set(e, SG_ERANGE, "doa: calibration capture has no signal above the noise");
    rep->spread_deg = 0;
    for (unsigned i = 0; i < m; i++) {
        double complex g = acc[i] / sw;
        double gm = mag[i] / sw;
        if (!(cabs(g) > 0) || !(gm > 0))
            return sg_err_set(e, SG_ERANGE, "doa: calibration: channel %u has no signal", i);
        g = gm * g / cabs(g);
        rep->cal[i] = (float complex)(1.0 / g);
        rep->phase_deg[i] = carg(g) * 180 / M_PI;
        rep->gain_db[i] = 20 * log10(gm);
        double R = cabs(un[i]) / sw;
        double sd = R < 1 ? sqrt(-2 * log(R > 1e-12 ? R : 1e-12)) * 180 / M_PI : 0;
        if (sd > rep->spread_deg)
            rep->spread_deg = sd;
    }
    rep->bins = q->nb;
    rep->windows = q->windows;
    return SG_OK;
}

int doa_cal_check(doa *q, const doa_input *in, double az, double el, double tol_deg,
                  double *max_dev_deg, doa_cal_report *rep, sg_errinfo *e)
{
    doa_cal_report tmp;
    if (!rep)
        rep = &tmp;
    *max_dev_deg = NAN;
    if (!(tol_deg > 0 && tol_deg <= 180))
        return sg_err_set(e, SG_EINVAL, "doa: drift tolerance must be in (0, 180] deg, got %g",
                          tol_deg);
    int rc = doa_calibrate(q, in, az, el, rep, e);
    if (rc)
        return rc;
    double worst = 0;
    unsigned wi = 0;
    for (unsigned i = 0; i < q->m; i++) {
        double d = fabs(doa_wrap_pi(cargf(rep->cal[i]) - cargf(q->arr.cal[i]))) * 180 / M_PI;
        if (d > worst) {
            worst = d;
            wi = i;
        }
    }
    *max_dev_deg = worst;
    if (worst > tol_deg)
        return sg_err_set(e, SG_ESTATE,
                          "doa: calibration drifted: channel %u is %.1f deg off the stored "
                          "calibration (tolerance %.1f deg)",
                          wi, worst, tol_deg);
    return SG_OK;
}
