/* Direction of arrival, calibration (see doa.h): per-channel complex gains from a
 * capture of one source at a known bearing (the principal eigenvector per bin against
 * the steering vector), and the drift check against the stored calibration. */
#include <math.h>
#include <string.h>

#include "doa_internal.h"

/* ---- calibration --------------------------------------------------------------- */

int doa_calibrate(doa *q, const doa_input *in, double az, double el, doa_cal_report *rep,
                  sg_errinfo *e)
{
    memset(rep, 0, sizeof *rep);
    if (!isfinite(az) || !isfinite(el))
        return sg_err_set(e, SG_EINVAL, "doa: calibration bearing must be finite");
    int rc = doa_check_input(q, in, e);
    if (rc)
        return rc;
    if ((rc = doa_covariance(q, in, false, e)))
        return rc;
    doa_method keep = q->cfg.method;
    q->cfg.method = DOA_BARTLETT; /* eigenvectors only */
    bool low;
    doa_subspaces(q, in->snr, &rep->snr, &rep->rank1, &low);
    q->cfg.method = keep;
    unsigned m = q->m;
    double complex a[DOA_MAXB * 4];
    unsigned chunk = (unsigned)(sizeof a / sizeof a[0]) / m;
    if (q->nb > chunk)
        q->nb = chunk; /* calibration needs no more bins than that */
    doa_steer_bins(q, az, el, a);
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
