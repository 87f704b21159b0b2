/* Direction of arrival (see doa.h): the object (configuration checks, FFT plan,
 * buffers) and doa_execute, which runs the stages in order: per-bin spatial
 * covariances and their eigendecomposition (doa_subspace.c), the MUSIC / Bartlett
 * spectrum search with ambiguity flags or 2-channel phase interferometry, and the
 * Cramer-Rao variance (doa_search.c). Calibration from a source at a known bearing
 * is in doa_cal.c; the array geometry helpers live in doa_array.c. */
#include "doa.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <fftw3.h>

#include "doa_internal.h"
#include "spectro.h"

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
    if (n < 8 || n > DOA_MAXB || (n & (n - 1)))
        return sg_err_set(e, SG_EINVAL, "doa: nfft must be a power of two in [8, %d], got %u",
                          DOA_MAXB, n);
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

int doa_execute(doa *q, const doa_input *in, doa_result *out, sg_errinfo *e)
{
    memset(out, 0, sizeof *out);
    out->var_az = out->var_el = NAN;
    out->az = out->el = NAN;
    int rc = doa_check_input(q, in, e);
    if (rc)
        return rc;
    if ((rc = doa_covariance(q, in, true, e)))
        return rc;
    bool low;
    doa_subspaces(q, in->snr, &out->snr, &out->rank1, &low);
    out->windows = q->windows;
    out->bins = q->nb;
    if (low)
        out->flags |= DOA_FLAG_LOW_SNR;
    if ((q->m >= 3 || in->snr > 0) && out->rank1 < 0.7)
        out->flags |= DOA_FLAG_NOT_RANK1;
    rc = q->cfg.method == DOA_PHASE ? doa_phase_interf(q, out) : doa_spectral(q, out);
    if (rc) {
        out->az = out->el = NAN;
        return sg_err_set(e, rc, "doa: no spectrum peak");
    }
    doa_crb(q, out->az, out->el, &out->var_az, &out->var_el);
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
