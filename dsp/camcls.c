/* Camera object classifier (see camcls.h). */
#include "camcls.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sg_json.h"

#define MAX_LAYERS 4
#define MAX_WIDTH 256

struct camcls {
    int nf;              /* features the model reads */
    int idx[CAMFEAT_N];  /* their positions in the extractor's vector */
    float mean[CAMFEAT_N], scale[CAMFEAT_N];
    int nl;
    int in[MAX_LAYERS], out[MAX_LAYERS];
    float *W[MAX_LAYERS]; /* out x in, row-major */
    float *b[MAX_LAYERS];
    double temperature;
};

static const char *const cls_names[CAMCLS_N] = {"drone", "bird", "airplane", "helicopter",
                                                 "clutter"};

const char *camcls_name(int k)
{
    return k >= 0 && k < CAMCLS_N ? cls_names[k] : NULL;
}

void camcls_destroy(camcls *m)
{
    if (!m)
        return;
    for (int i = 0; i < MAX_LAYERS; i++) {
        free(m->W[i]);
        free(m->b[i]);
    }
    free(m);
}

/* Reads a numeric array of exactly n finite values into out. */
static int num_array(const cJSON *a, const char *where, const char *what, int n, float *out,
                     sg_errinfo *e)
{
    if (!cJSON_IsArray(a))
        return sg_err_set(e, SG_EFORMAT, "%s: %s: must be an array", where, what);
    if (cJSON_GetArraySize(a) != n)
        return sg_err_set(e, SG_EFORMAT, "%s: %s: must have %d numbers, got %d", where, what, n,
                          cJSON_GetArraySize(a));
    int i = 0;
    const cJSON *v;
    cJSON_ArrayForEach(v, a) {
        if (!cJSON_IsNumber(v) || !isfinite((float)v->valuedouble))
            return sg_err_set(e, SG_EFORMAT, "%s: %s[%d]: must be a finite number (float)", where,
                              what, i);
        out[i++] = (float)v->valuedouble;
    }
    return SG_OK;
}

static int string_list(const cJSON *doc, const char *where, const char *key, int n,
                       const char *(*name)(int), sg_errinfo *e)
{
    const cJSON *a;
    int rc = sgj_array(doc, where, key, true, &a, e);
    if (rc)
        return rc;
    if (cJSON_GetArraySize(a) != n)
        return sg_err_set(e, SG_EFORMAT, "%s: %s: must have %d entries, got %d", where, key, n,
                          cJSON_GetArraySize(a));
    int i = 0;
    const cJSON *v;
    cJSON_ArrayForEach(v, a) {
        if (!cJSON_IsString(v) || strcmp(v->valuestring, name(i)) != 0)
            return sg_err_set(e, SG_EFORMAT,
                              "%s: %s[%d]: expected \"%s\" (model and feature extractor differ)",
                              where, key, i, name(i));
        i++;
    }
    return SG_OK;
}

/* The model's input features by name: 1..CAMFEAT_N distinct names of the extractor
 * (camfeat_name), in the model's order; idx[i] = the extractor's index of input i. */
static int feature_list(const cJSON *doc, const char *where, int *nf, int *idx, sg_errinfo *e)
{
    const cJSON *a;
    int rc = sgj_array(doc, where, "features", true, &a, e);
    if (rc)
        return rc;
    int n = cJSON_GetArraySize(a);
    if (n < 1 || n > CAMFEAT_N)
        return sg_err_set(e, SG_EFORMAT, "%s: features: must have 1..%d entries, got %d", where,
                          CAMFEAT_N, n);
    int i = 0;
    const cJSON *v;
    cJSON_ArrayForEach(v, a) {
        int k = 0;
        while (k < CAMFEAT_N && !(cJSON_IsString(v) && !strcmp(v->valuestring, camfeat_name(k))))
            k++;
        if (k == CAMFEAT_N)
            return sg_err_set(e, SG_EFORMAT,
                              "%s: features[%d]: not a feature of the extractor (model and "
                              "feature extractor differ)", where, i);
        for (int j = 0; j < i; j++)
            if (idx[j] == k)
                return sg_err_set(e, SG_EFORMAT, "%s: features[%d]: \"%s\" listed twice", where,
                                  i, camfeat_name(k));
        idx[i++] = k;
    }
    *nf = n;
    return SG_OK;
}

camcls *camcls_from_json(const cJSON *doc, const char *where, sg_errinfo *e)
{
    static const char *const keys[] = {"format", "version", "features", "classes", "mean",
                                       "scale", "layers", "temperature", "trained", NULL};
    if (!cJSON_IsObject(doc)) {
        sg_err_set(e, SG_EFORMAT, "%s: must be a JSON object", where);
        return NULL;
    }
    camcls *m = calloc(1, sizeof *m);
    if (!m) {
        sg_err_set(e, SG_ENOMEM, "%s: out of memory", where);
        return NULL;
    }
    char fmt[32];
    long ver;
    const cJSON *layers;
    int rc = sgj_check_keys(doc, where, keys, e);
    if (!rc)
        rc = sgj_string(doc, where, "format", true, NULL, fmt, sizeof fmt, e);
    if (!rc && strcmp(fmt, "skyguard-camcls") != 0)
        rc = sg_err_set(e, SG_EFORMAT, "%s: format: expected \"skyguard-camcls\", got \"%s\"",
                        where, fmt);
    if (!rc)
        rc = sgj_int(doc, where, "version", true, 0, 1, 1, &ver, e);
    if (!rc)
        rc = feature_list(doc, where, &m->nf, m->idx, e);
    if (!rc)
        rc = string_list(doc, where, "classes", CAMCLS_N, camcls_name, e);
    if (!rc)
        rc = num_array(cJSON_GetObjectItemCaseSensitive(doc, "mean"), where, "mean", m->nf,
                       m->mean, e);
    if (!rc)
        rc = num_array(cJSON_GetObjectItemCaseSensitive(doc, "scale"), where, "scale", m->nf,
                       m->scale, e);
    for (int i = 0; !rc && i < m->nf; i++)
        if (!(m->scale[i] > 0))
            rc = sg_err_set(e, SG_ERANGE, "%s: scale[%d]: must be > 0", where, i);
    if (!rc)
        rc = sgj_number(doc, where, "temperature", true, 1, 1e-3, 1e3, &m->temperature, e);
    if (!rc)
        rc = sgj_array(doc, where, "layers", true, &layers, e);
    if (!rc && (cJSON_GetArraySize(layers) < 1 || cJSON_GetArraySize(layers) > MAX_LAYERS))
        rc = sg_err_set(e, SG_ERANGE, "%s: layers: must have 1..%d layers, got %d", where,
                        MAX_LAYERS, cJSON_GetArraySize(layers));
    int prev = m->nf;
    const cJSON *L;
    if (!rc)
        cJSON_ArrayForEach(L, layers) {
            char w[96];
            snprintf(w, sizeof w, "%s: layers[%d]", where, m->nl);
            const cJSON *W = cJSON_GetObjectItemCaseSensitive(L, "W");
            int out = cJSON_IsArray(W) ? cJSON_GetArraySize(W) : 0;
            if (out < 1 || out > MAX_WIDTH) {
                rc = sg_err_set(e, SG_EFORMAT, "%s.W: must be an array of 1..%d rows", w,
                                MAX_WIDTH);
                break;
            }
            m->in[m->nl] = prev;
            m->out[m->nl] = out;
            m->W[m->nl] = malloc((size_t)out * (size_t)prev * sizeof(float));
            m->b[m->nl] = malloc((size_t)out * sizeof(float));
            if (!m->W[m->nl] || !m->b[m->nl]) {
                rc = sg_err_set(e, SG_ENOMEM, "%s: out of memory", w);
                break;
            }
            int r = 0;
            const cJSON *row;
            cJSON_ArrayForEach(row, W) {
                if ((rc = num_array(row, w, "W row", prev, m->W[m->nl] + (size_t)r * prev, e)))
                    break;
                r++;
            }
            if (!rc)
                rc = num_array(cJSON_GetObjectItemCaseSensitive(L, "b"), w, "b", out, m->b[m->nl], e);
            m->nl++;
            prev = out;
            if (rc)
                break;
        }
    if (!rc && prev != CAMCLS_N)
        rc = sg_err_set(e, SG_EFORMAT, "%s: last layer must have %d outputs (classes), got %d",
                        where, CAMCLS_N, prev);
    if (rc) {
        camcls_destroy(m);
        return NULL;
    }
    return m;
}

camcls *camcls_load(const char *path, sg_errinfo *e)
{
    cJSON *doc = sgj_parse_file(path, e);
    if (!doc)
        return NULL;
    camcls *m = camcls_from_json(doc, path, e);
    cJSON_Delete(doc);
    return m;
}

int camcls_predict(const camcls *m, const float x[CAMFEAT_N], double p[CAMCLS_N])
{
    float a[MAX_WIDTH], b[MAX_WIDTH];
    for (int i = 0; i < m->nf; i++) {
        float v = x[m->idx[i]];
        a[i] = isfinite(v) ? (v - m->mean[i]) / m->scale[i] : 0.0f;
    }
    for (int l = 0; l < m->nl; l++) {
        const float *W = m->W[l];
        for (int o = 0; o < m->out[l]; o++) {
            float s = m->b[l][o];
            const float *wr = W + (size_t)o * m->in[l];
            for (int i = 0; i < m->in[l]; i++)
                s += wr[i] * a[i];
            if (!(s > -1e6f))
                s = s > 0 ? 1e6f : -1e6f; /* NaN or overflow: bounded, softmax stays finite */
            else if (s > 1e6f)
                s = 1e6f;
            b[o] = l + 1 < m->nl && s < 0 ? 0.0f : s;
        }
        memcpy(a, b, (size_t)m->out[l] * sizeof *a);
    }
    double mx = -INFINITY, sum = 0;
    for (int k = 0; k < CAMCLS_N; k++)
        if (a[k] / m->temperature > mx)
            mx = a[k] / m->temperature;
    for (int k = 0; k < CAMCLS_N; k++)
        sum += p[k] = exp(a[k] / m->temperature - mx);
    int best = 0;
    for (int k = 0; k < CAMCLS_N; k++) {
        p[k] /= sum;
        if (p[k] > p[best])
            best = k;
    }
    return best;
}
