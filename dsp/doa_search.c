/* Direction of arrival, second stage (see doa.h): the spectrum over the az/el grid
 * from the per-bin matrices of doa_subspace.c, local maxima refined by successive
 * halving, the ambiguity flags (front/back mirror, grating lobes, other peaks), the
 * 2-channel phase interferometer, and the Cramer-Rao variance at the estimate. */
#include <math.h>
#include <string.h>

#include "doa_internal.h"

/* ---- spectra ----------------------------------------------------------------- */

/* Steering for every bin: a[b*m + i] at u(az, el). */
void doa_steer_bins(const doa *q, double az, double el, double complex *a)
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
void doa_crb(const doa *q, double az, double el, double *var_az, double *var_el)
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

int doa_spectral(doa *q, doa_result *r)
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
int doa_phase_interf(doa *q, doa_result *r)
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
