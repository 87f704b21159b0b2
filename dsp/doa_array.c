/* Antenna array geometry for direction finding (see doa.h): building ULAs and UCAs,
 * validation, rank (linear / planar / volumetric), steering vectors and the
 * Cramer-Rao bound of one plane wave. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "doa.h"
#include "doa_internal.h"
#include "sg_json.h"

void doa_unit(double az, double el, double u[3])
{
    u[0] = sin(az) * cos(el);
    u[1] = cos(az) * cos(el);
    u[2] = sin(el);
}

double doa_wrap_pi(double a)
{
    a = fmod(a, 2 * M_PI);
    if (a > M_PI)
        a -= 2 * M_PI;
    else if (a <= -M_PI)
        a += 2 * M_PI;
    return a;
}

static void reset_cal(doa_array *a)
{
    for (unsigned i = 0; i < DOA_MAX_ELEMENTS; i++)
        a->cal[i] = 1.0f;
    a->calibrated = false;
}

static int check_n(unsigned n, sg_errinfo *e)
{
    if (n < 2 || n > DOA_MAX_ELEMENTS)
        return sg_err_set(e, SG_EINVAL, "doa array: element count must be in [2, %d], got %u",
                          DOA_MAX_ELEMENTS, n);
    return SG_OK;
}

int doa_array_ula(doa_array *a, unsigned n, double spacing, sg_errinfo *e)
{
    memset(a, 0, sizeof *a);
    if (check_n(n, e))
        return SG_EINVAL;
    if (!(spacing >= 1e-3 && spacing <= 10))
        return sg_err_set(e, SG_EINVAL, "doa array: ULA spacing must be in [0.001, 10] m, got %g",
                          spacing);
    a->n = n;
    for (unsigned i = 0; i < n; i++)
        a->pos[i][0] = (i - 0.5 * (n - 1)) * spacing;
    reset_cal(a);
    return SG_OK;
}

int doa_array_uca(doa_array *a, unsigned n, double radius, sg_errinfo *e)
{
    memset(a, 0, sizeof *a);
    if (check_n(n, e))
        return SG_EINVAL;
    if (!(radius >= 1e-3 && radius <= 10))
        return sg_err_set(e, SG_EINVAL, "doa array: UCA radius must be in [0.001, 10] m, got %g",
                          radius);
    a->n = n;
    for (unsigned i = 0; i < n; i++) {
        double ph = 2 * M_PI * i / n;
        a->pos[i][0] = radius * sin(ph);
        a->pos[i][1] = radius * cos(ph);
    }
    reset_cal(a);
    return doa_array_validate(a, e);
}

int doa_array_set(doa_array *a, unsigned n, const double pos[][3], sg_errinfo *e)
{
    memset(a, 0, sizeof *a);
    if (check_n(n, e))
        return SG_EINVAL;
    a->n = n;
    for (unsigned i = 0; i < n; i++)
        for (int k = 0; k < 3; k++)
            a->pos[i][k] = pos[i][k];
    reset_cal(a);
    return doa_array_validate(a, e);
}

int doa_array_validate(const doa_array *a, sg_errinfo *e)
{
    if (!a)
        return sg_err_set(e, SG_EINVAL, "doa array: missing");
    if (check_n(a->n, e))
        return SG_EINVAL;
    for (unsigned i = 0; i < a->n; i++) {
        for (int k = 0; k < 3; k++)
            if (!isfinite(a->pos[i][k]) || fabs(a->pos[i][k]) > 100)
                return sg_err_set(e, SG_EINVAL,
                                  "doa array: element %u position[%d] must be finite and within "
                                  "100 m, got %g",
                                  i, k, a->pos[i][k]);
        float complex c = a->cal[i];
        if (!isfinite(crealf(c)) || !isfinite(cimagf(c)) || !(cabsf(c) >= 1e-3f) ||
            !(cabsf(c) <= 1e3f))
            return sg_err_set(e, SG_EINVAL,
                              "doa array: calibration of channel %u must be finite with "
                              "magnitude in [1e-3, 1e3], got %g%+gj",
                              i, crealf(c), cimagf(c));
    }
    for (unsigned i = 0; i < a->n; i++)
        for (unsigned j = i + 1; j < a->n; j++) {
            double d2 = 0;
            for (int k = 0; k < 3; k++)
                d2 += (a->pos[i][k] - a->pos[j][k]) * (a->pos[i][k] - a->pos[j][k]);
            if (d2 < 1e-6)
                return sg_err_set(e, SG_EINVAL,
                                  "doa array: elements %u and %u are closer than 1 mm", i, j);
        }
    return SG_OK;
}

double doa_array_aperture(const doa_array *a)
{
    double best = 0;
    for (unsigned i = 0; i < a->n; i++)
        for (unsigned j = i + 1; j < a->n; j++) {
            double d2 = 0;
            for (int k = 0; k < 3; k++)
                d2 += (a->pos[i][k] - a->pos[j][k]) * (a->pos[i][k] - a->pos[j][k]);
            if (d2 > best)
                best = d2;
        }
    return sqrt(best);
}

/* Unit vector along the farthest pair. */
static void main_axis(const doa_array *a, double ax[3])
{
    unsigned bi = 0, bj = 1;
    double best = -1;
    for (unsigned i = 0; i < a->n; i++)
        for (unsigned j = i + 1; j < a->n; j++) {
            double d2 = 0;
            for (int k = 0; k < 3; k++)
                d2 += (a->pos[i][k] - a->pos[j][k]) * (a->pos[i][k] - a->pos[j][k]);
            if (d2 > best) {
                best = d2;
                bi = i;
                bj = j;
            }
        }
    double l = sqrt(best);
    for (int k = 0; k < 3; k++)
        ax[k] = l > 0 ? (a->pos[bj][k] - a->pos[bi][k]) / l : 0;
}

unsigned doa_array_rank(const doa_array *a)
{
    double ap = doa_array_aperture(a), tol = 1e-3 * ap, e1[3], e2[3] = {0, 0, 0};
    main_axis(a, e1);
    double r2 = 0;
    for (unsigned i = 0; i < a->n; i++) {
        double d[3], t = 0;
        for (int k = 0; k < 3; k++)
            d[k] = a->pos[i][k] - a->pos[0][k];
        for (int k = 0; k < 3; k++)
            t += d[k] * e1[k];
        double r[3], rn = 0;
        for (int k = 0; k < 3; k++) {
            r[k] = d[k] - t * e1[k];
            rn += r[k] * r[k];
        }
        if (rn > r2) {
            r2 = rn;
            for (int k = 0; k < 3; k++)
                e2[k] = r[k] / sqrt(rn);
        }
    }
    if (sqrt(r2) <= tol)
        return 1;
    double n3[3] = {e1[1] * e2[2] - e1[2] * e2[1], e1[2] * e2[0] - e1[0] * e2[2],
                    e1[0] * e2[1] - e1[1] * e2[0]};
    for (unsigned i = 0; i < a->n; i++) {
        double t = 0;
        for (int k = 0; k < 3; k++)
            t += (a->pos[i][k] - a->pos[0][k]) * n3[k];
        if (fabs(t) > tol)
            return 3;
    }
    return 2;
}

double doa_array_axis_h(const doa_array *a, double axis[3])
{
    double ax[3];
    main_axis(a, ax);
    if (axis)
        memcpy(axis, ax, sizeof ax);
    return sqrt(ax[0] * ax[0] + ax[1] * ax[1]);
}

double doa_mirror_az(const doa_array *a, double az)
{
    double ax[3];
    main_axis(a, ax);
    double alpha = atan2(ax[0], ax[1]);
    return doa_wrap_pi(2 * alpha - az);
}

bool doa_in_front(const doa_array *a, double az)
{
    double ax[3];
    main_axis(a, ax);
    double n_az = atan2(ax[0], ax[1]) - M_PI / 2;
    double cy = cos(n_az);
    if (cy < -1e-9 || (fabs(cy) <= 1e-9 && sin(n_az) < 0))
        n_az += M_PI;
    return cos(az - n_az) >= -1e-12;
}

int doa_steering(const doa_array *a, double az, double el, double f, float complex *out)
{
    if (!a || a->n < 1 || a->n > DOA_MAX_ELEMENTS || !isfinite(az) || !isfinite(el) ||
        !(f > 0) || !isfinite(f))
        return SG_EINVAL;
    double u[3];
    doa_unit(az, el, u);
    for (unsigned i = 0; i < a->n; i++) {
        double d = a->pos[i][0] * u[0] + a->pos[i][1] * u[1] + a->pos[i][2] * u[2];
        double ph = 2 * M_PI * f * d / DOA_C;
        out[i] = (float complex)cexp(I * ph);
    }
    return SG_OK;
}

/* 1/var from the spread of p_m . du along the derivative direction du. */
static double crb_dir(const doa_array *a, const double du[3], double f, double rho,
                      double windows)
{
    if (!(rho > 0) || !(windows > 0) || !(f > 0))
        return INFINITY;
    double s = 0, s2 = 0;
    unsigned m = a->n;
    for (unsigned i = 0; i < m; i++) {
        double p = a->pos[i][0] * du[0] + a->pos[i][1] * du[1] + a->pos[i][2] * du[2];
        s += p;
        s2 += p * p;
    }
    double var = s2 / m - (s / m) * (s / m);
    double k = 2 * M_PI * f / DOA_C;
    double info = 2 * windows * rho * rho * (double)m * m * k * k * var / (1 + m * rho);
    return info > 0 ? 1 / info : INFINITY;
}

double doa_crb_var_az(const doa_array *a, double az, double el, double f, double rho,
                      double windows)
{
    double du[3] = {cos(az) * cos(el), -sin(az) * cos(el), 0};
    return crb_dir(a, du, f, rho, windows);
}

double doa_crb_var_el(const doa_array *a, double az, double el, double f, double rho,
                      double windows)
{
    double du[3] = {-sin(az) * sin(el), -cos(az) * sin(el), cos(el)};
    return crb_dir(a, du, f, rho, windows);
}

/* ---- JSON (venue files, scenarios) -------------------------------------------- */

/* A JSON array of `want` finite numbers (want = 0: 1..max of them) into out. */
static int num_list(const cJSON *arr, const char *where, const char *key, unsigned want,
                    unsigned max, double *out, unsigned *count, sg_errinfo *e)
{
    int n = cJSON_GetArraySize(arr);
    if (!cJSON_IsArray(arr) || (want && n != (int)want) || (!want && (n < 1 || n > (int)max)))
        return want ? sg_err_set(e, SG_EINVAL, "%s.%s: must be an array of %u numbers", where,
                                 key, want)
                    : sg_err_set(e, SG_EINVAL, "%s.%s: must be an array of 1..%u numbers", where,
                                 key, max);
    for (int i = 0; i < n; i++) {
        const cJSON *v = cJSON_GetArrayItem(arr, i);
        if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
            return sg_err_set(e, SG_EINVAL, "%s.%s[%d]: must be a finite number", where, key, i);
        out[i] = v->valuedouble;
    }
    if (count)
        *count = (unsigned)n;
    return SG_OK;
}

int doa_array_from_json(doa_array *a, const cJSON *o, const char *where, sg_errinfo *e)
{
    static const char *const keys[] = {"geometry", "elements", "spacing_m", "radius_m",
                                       "positions_m", "calibration", NULL};
    static const char *const geoms[] = {"ula", "uca", "custom"};
    static const char *const ckeys[] = {"phase_deg", "gain_db", NULL};
    int rc, g;
    long n = 0;
    memset(a, 0, sizeof *a);
    if (!cJSON_IsObject(o))
        return sg_err_set(e, SG_EINVAL, "%s: must be an object", where);
    if ((rc = sgj_check_keys(o, where, keys, e)) ||
        (rc = sgj_enum(o, where, "geometry", true, 0, geoms, 3, &g, e)))
        return rc;
    if (g != 2 && (rc = sgj_int(o, where, "elements", true, 0, 2, DOA_MAX_ELEMENTS, &n, e)))
        return rc;
    char sub[600];
    if (g == 0 || g == 1) {
        const char *k = g ? "radius_m" : "spacing_m";
        double v;
        if ((rc = sgj_number(o, where, k, true, 0, 1e-3, 10, &v, e)))
            return rc;
        if (cJSON_GetObjectItemCaseSensitive(o, "positions_m"))
            return sg_err_set(e, SG_EINVAL, "%s.positions_m: only for geometry \"custom\"", where);
        rc = g ? doa_array_uca(a, (unsigned)n, v, e) : doa_array_ula(a, (unsigned)n, v, e);
        if (rc)
            return sg_err_prefix(e, where);
    } else {
        const cJSON *ps;
        if ((rc = sgj_array(o, where, "positions_m", true, &ps, e)))
            return rc;
        int np = cJSON_GetArraySize(ps);
        if (np < 2 || np > DOA_MAX_ELEMENTS)
            return sg_err_set(e, SG_EINVAL, "%s.positions_m: needs 2..%d elements, got %d", where,
                              DOA_MAX_ELEMENTS, np);
        long ne;
        if ((rc = sgj_int(o, where, "elements", false, np, 2, DOA_MAX_ELEMENTS, &ne, e)))
            return rc;
        if (ne != np)
            return sg_err_set(e, SG_EINVAL, "%s.elements: %ld, but positions_m lists %d", where,
                              ne, np);
        double pos[DOA_MAX_ELEMENTS][3];
        for (int i = 0; i < np; i++) {
            snprintf(sub, sizeof sub, "%s.positions_m", where);
            char k[16];
            snprintf(k, sizeof k, "[%d]", i);
            if ((rc = num_list(cJSON_GetArrayItem(ps, i), sub, k, 3, 3, pos[i], NULL, e)))
                return rc;
        }
        if ((rc = doa_array_set(a, (unsigned)np, (const double(*)[3])pos, e)))
            return sg_err_prefix(e, where);
        n = np;
    }
    const cJSON *cal = cJSON_GetObjectItemCaseSensitive(o, "calibration");
    if (cal) {
        snprintf(sub, sizeof sub, "%s.calibration", where);
        if (!cJSON_IsObject(cal))
            return sg_err_set(e, SG_EINVAL, "%s: must be an object", sub);
        if ((rc = sgj_check_keys(cal, sub, ckeys, e)))
            return rc;
        double ph[DOA_MAX_ELEMENTS] = {0}, gd[DOA_MAX_ELEMENTS] = {0};
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(cal, "phase_deg");
        const cJSON *gg = cJSON_GetObjectItemCaseSensitive(cal, "gain_db");
        if (!p)
            return sg_err_set(e, SG_EINVAL, "%s.phase_deg: missing", sub);
        if ((rc = num_list(p, sub, "phase_deg", (unsigned)n, 0, ph, NULL, e)) ||
            (gg && (rc = num_list(gg, sub, "gain_db", (unsigned)n, 0, gd, NULL, e))))
            return rc;
        for (long i = 0; i < n; i++) {
            if (fabs(ph[i]) > 360 || fabs(gd[i]) > 40)
                return sg_err_set(e, SG_EINVAL,
                                  "%s: channel %ld: phase must be in [-360, 360] deg and gain in "
                                  "[-40, 40] dB",
                                  sub, i);
            /* the stored values are the channel's errors; the correction undoes them */
            a->cal[i] = (float complex)(pow(10, -(gd[i] - gd[0]) / 20) *
                                        cexp(-I * (ph[i] - ph[0]) * M_PI / 180));
        }
        a->calibrated = true;
    }
    return doa_array_validate(a, e) ? sg_err_prefix(e, where) : SG_OK;
}

cJSON *doa_calibration_to_json(const double *phase_deg, const double *gain_db, unsigned n)
{
    cJSON *o = cJSON_CreateObject(), *p = cJSON_AddArrayToObject(o, "phase_deg"),
          *g = cJSON_AddArrayToObject(o, "gain_db");
    if (!o || !p || !g) {
        cJSON_Delete(o);
        return NULL;
    }
    for (unsigned i = 0; i < n; i++) {
        /* 0.01 deg and 0.001 dB are far below what a calibration can resolve */
        cJSON *a = cJSON_CreateNumber(round(phase_deg[i] * 100) / 100);
        cJSON *b = cJSON_CreateNumber(round(gain_db[i] * 1000) / 1000);
        if (!a || !b || !cJSON_AddItemToArray(p, a) || !cJSON_AddItemToArray(g, b)) {
            cJSON_Delete(a);
            cJSON_Delete(b);
            cJSON_Delete(o);
            return NULL;
        }
    }
    return o;
}
