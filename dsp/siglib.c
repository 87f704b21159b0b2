/* Signature library loading and scoring (see siglib.h). */
#include "siglib.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sg_json.h"

#define SIG_MAX 256

struct siglib {
    size_t n;
    signature *sig;
};

static const char *const FNAMES[SIG_F_COUNT_] = {
    "bandwidth_hz", "duration_s",    "duration_cv", "interval_s",    "interval_cv",
    "burst_rate_hz", "duty_cycle",   "hop_channels", "freq_spread_hz", "continuing_fraction",
    "freq_hz"};

const char *siglib_feature_name(sig_feature f)
{
    return (unsigned)f < SIG_F_COUNT_ ? FNAMES[f] : "?";
}

static int load_range(const cJSON *o, const char *where, sig_feature f, sig_range *r,
                      sg_errinfo *e)
{
    static const char *const keys_range[] = {"min", "max", "weight", "tol", NULL};
    static const char *const keys_freq[] = {"bands", "weight", NULL};
    if (!cJSON_IsObject(o))
        return sg_err_set(e, SG_EINVAL, "%s: must be an object", where);
    int rc = sgj_check_keys(o, where, f == SIG_F_FREQ ? keys_freq : keys_range, e);
    if (rc)
        return rc;
    r->used = true;
    if ((rc = sgj_number(o, where, "weight", false, 1.0, 1e-6, 1e6, &r->weight, e)))
        return rc;
    if (f == SIG_F_FREQ) {
        const cJSON *bands;
        if ((rc = sgj_array(o, where, "bands", true, &bands, e)))
            return rc;
        int nb = cJSON_GetArraySize(bands);
        if (nb < 1 || nb > SIG_MAX_BANDS)
            return sg_err_set(e, SG_ERANGE, "%s.bands: needs 1..%d [lo, hi] pairs, got %d",
                              where, SIG_MAX_BANDS, nb);
        for (int i = 0; i < nb; i++) {
            const cJSON *p = cJSON_GetArrayItem(bands, i);
            const cJSON *lo = cJSON_GetArrayItem(p, 0), *hi = cJSON_GetArrayItem(p, 1);
            if (!cJSON_IsArray(p) || cJSON_GetArraySize(p) != 2 || !cJSON_IsNumber(lo) ||
                !cJSON_IsNumber(hi))
                return sg_err_set(e, SG_EINVAL, "%s.bands[%d]: must be [lo_hz, hi_hz]", where,
                                  i);
            double l = lo->valuedouble, h = hi->valuedouble;
            if (!(l >= 0 && h > l && h < 1e12))
                return sg_err_set(e, SG_ERANGE,
                                  "%s.bands[%d]: need 0 <= lo < hi < 1e12 Hz, got [%g, %g]",
                                  where, i, l, h);
            r->bands[i][0] = l, r->bands[i][1] = h;
        }
        r->nbands = nb;
        return SG_OK;
    }
    if ((rc = sgj_number(o, where, "min", false, 0.0, 0.0, 1e12, &r->min, e)) ||
        (rc = sgj_number(o, where, "max", false, 1e12, 0.0, 1e12, &r->max, e)) ||
        (rc = sgj_number(o, where, "tol", false, 0.25, 0.0, 10.0, &r->tol, e)))
        return rc;
    if (!cJSON_GetObjectItemCaseSensitive(o, "min") && !cJSON_GetObjectItemCaseSensitive(o, "max"))
        return sg_err_set(e, SG_EINVAL, "%s: needs min and/or max", where);
    if (r->min > r->max)
        return sg_err_set(e, SG_ERANGE, "%s: min %g is above max %g", where, r->min, r->max);
    return SG_OK;
}

static int load_sig(const cJSON *o, const char *where, signature *s, sg_errinfo *e)
{
    static const char *const keys[] = {"class", "label", "drone", "min_score", "features",
                                        NULL};
    if (!cJSON_IsObject(o))
        return sg_err_set(e, SG_EINVAL, "%s: must be an object", where);
    int rc;
    if ((rc = sgj_check_keys(o, where, keys, e)) ||
        (rc = sgj_string(o, where, "class", true, "", s->cls, sizeof s->cls, e)) ||
        (rc = sgj_string(o, where, "label", false, "", s->label, sizeof s->label, e)) ||
        (rc = sgj_bool(o, where, "drone", true, false, &s->drone, e)) ||
        (rc = sgj_number(o, where, "min_score", false, 0.7, 0.0, 1.0, &s->min_score, e)))
        return rc;
    if (!strcmp(s->cls, "unknown") || !strcmp(s->cls, "unknown_periodic"))
        return sg_err_set(e, SG_EINVAL, "%s.class: \"%s\" is reserved", where, s->cls);
    const cJSON *feat;
    if ((rc = sgj_object(o, where, "features", true, &feat, e)))
        return rc;
    const cJSON *it;
    int nf = 0;
    cJSON_ArrayForEach(it, feat)
    {
        int f = -1;
        for (int k = 0; k < SIG_F_COUNT_; k++)
            if (it->string && !strcmp(it->string, FNAMES[k]))
                f = k;
        char w[600];
        snprintf(w, sizeof w, "%s.features.%s", where, it->string ? it->string : "?");
        if (f < 0)
            return sg_err_set(e, SG_EINVAL, "%s: unknown feature", w);
        if ((rc = load_range(it, w, (sig_feature)f, &s->f[f], e)))
            return rc;
        nf++;
    }
    if (nf == 0)
        return sg_err_set(e, SG_EINVAL, "%s.features: needs at least one feature", where);
    return SG_OK;
}

siglib *siglib_from_json(const cJSON *root, const char *name, sg_errinfo *e)
{
    static const char *const keys[] = {"version", "signatures", NULL};
    const cJSON *arr;
    long ver;
    if (!cJSON_IsObject(root)) {
        sg_err_set(e, SG_EINVAL, "%s: top level must be an object", name);
        return NULL;
    }
    if (sgj_check_keys(root, name, keys, e) ||
        sgj_int(root, name, "version", true, 1, 1, 1, &ver, e) ||
        sgj_array(root, name, "signatures", true, &arr, e))
        return NULL;
    int n = cJSON_GetArraySize(arr);
    if (n < 1 || n > SIG_MAX) {
        sg_err_set(e, SG_ERANGE, "%s.signatures: needs 1..%d entries, got %d", name, SIG_MAX, n);
        return NULL;
    }
    siglib *s = calloc(1, sizeof *s);
    if (s)
        s->sig = calloc((size_t)n, sizeof *s->sig);
    if (!s || !s->sig) {
        free(s);
        sg_err_set(e, SG_ENOMEM, "%s: out of memory", name);
        return NULL;
    }
    for (int i = 0; i < n; i++) {
        char where[300];
        snprintf(where, sizeof where, "%s: signatures[%d]", name, i);
        if (load_sig(cJSON_GetArrayItem(arr, i), where, &s->sig[i], e)) {
            siglib_destroy(s);
            return NULL;
        }
        for (int j = 0; j < i; j++)
            if (!strcmp(s->sig[j].cls, s->sig[i].cls)) {
                sg_err_set(e, SG_EINVAL, "%s.class: \"%s\" already defined by signatures[%d]",
                           where, s->sig[i].cls, j);
                siglib_destroy(s);
                return NULL;
            }
        s->n++;
    }
    return s;
}

siglib *siglib_load(const char *path, sg_errinfo *e)
{
    cJSON *root = sgj_parse_file(path, e);
    if (!root)
        return NULL;
    siglib *s = siglib_from_json(root, path, e);
    cJSON_Delete(root);
    return s;
}

void siglib_destroy(siglib *s)
{
    if (!s)
        return;
    free(s->sig);
    free(s);
}

size_t siglib_count(const siglib *s)
{
    return s ? s->n : 0;
}

const signature *siglib_get(const siglib *s, size_t i)
{
    return s && i < s->n ? &s->sig[i] : NULL;
}

int siglib_find(const siglib *s, const char *cls)
{
    for (size_t i = 0; s && cls && i < s->n; i++)
        if (!strcmp(s->sig[i].cls, cls))
            return (int)i;
    return -1;
}

static double range_score(const sig_range *r, double v)
{
    if (v >= r->min && v <= r->max)
        return 1.0;
    double bound = v < r->min ? r->min : r->max;
    double margin = r->tol * fabs(bound);
    if (margin <= 0)
        return 0.0;
    double d = fabs(v - bound) / margin;
    return d >= 1 ? 0.0 : 1.0 - d;
}

double siglib_score(const signature *sig, const sig_features *f, double *coverage)
{
    double wsum = 0, wall = 0, acc = 0;
    for (int k = 0; k < SIG_F_COUNT_; k++) {
        const sig_range *r = &sig->f[k];
        if (!r->used)
            continue;
        wall += r->weight;
        double s;
        if (k == SIG_F_FREQ) {
            if (!isfinite(f->fc))
                continue;
            s = 0;
            for (int b = 0; b < r->nbands; b++)
                if (f->fc >= r->bands[b][0] && f->fc <= r->bands[b][1])
                    s = 1;
        } else {
            if (!isfinite(f->v[k]))
                continue;
            s = range_score(r, f->v[k]);
        }
        wsum += r->weight;
        acc += r->weight * s;
    }
    if (coverage)
        *coverage = wall > 0 ? wsum / wall : 0;
    return wsum > 0 ? acc / wsum : 0;
}

int siglib_classify(const siglib *s, const sig_features *f, double *score, double *coverage)
{
    int best = -1, bestany = -1;
    double bs = -1, bsany = -1, bc = 0, bcany = 0;
    for (size_t i = 0; s && i < s->n; i++) {
        double cov;
        double sc = siglib_score(&s->sig[i], f, &cov);
        /* ties go to the better-covered signature (more of its evidence measured) */
        if (sc > bsany || (sc == bsany && cov > bcany))
            bsany = sc, bcany = cov, bestany = (int)i;
        if (sc >= s->sig[i].min_score && (sc > bs || (sc == bs && cov > bc)))
            bs = sc, bc = cov, best = (int)i;
    }
    (void)bestany;
    if (score)
        *score = best >= 0 ? bs : (bsany > 0 ? bsany : 0);
    if (coverage)
        *coverage = best >= 0 ? bc : bcany;
    return best;
}
