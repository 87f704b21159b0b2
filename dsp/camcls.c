/* Camera object classifier (see camcls.h). */
#include "camcls.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sg_json.h"

#define MAX_LAYERS 4
#define MAX_WIDTH 256
#define MAX_CONV 3
#define MAX_CH 32
#define MAX_EMBED 64
#define CNN_PLANE (CAMCROP_PX * CAMCROP_PX)

/* Appearance branch: conv 3x3 (zero padding 1) + ReLU + 2x2 max-pool, per conv layer,
 * then flatten (channel, row, column) and a dense ReLU layer: the embedding. */
typedef struct {
    int nconv;
    int cin[MAX_CONV], cout[MAX_CONV];
    float *cw[MAX_CONV]; /* cout x cin x 3 x 3 */
    float *cb[MAX_CONV];
    int flat, ne;        /* flattened size, embedding width */
    float *ew, *eb;      /* ne x flat, ne */
} cnn;

/* One network (a model file, or one member of an ensemble). */
typedef struct {
    int nf;              /* features the model reads */
    int idx[CAMFEAT_N];  /* their positions in the extractor's vector */
    float mean[CAMFEAT_N], scale[CAMFEAT_N];
    int nl;
    int in[MAX_LAYERS], out[MAX_LAYERS];
    float *W[MAX_LAYERS]; /* out x in, row-major */
    float *b[MAX_LAYERS];
    double temperature;
    double drone_min_conf; /* the file's operating point, -1 = none */
    cnn *cnn;             /* NULL: features only */
} member;

struct camcls {
    int n;                    /* members, 1..CAMCLS_MAX_MEMBERS */
    member *m[CAMCLS_MAX_MEMBERS];
    double drone_min_conf;    /* the file's top-level "drone_min_conf", -1 = none */
};

static const char *const cls_names[CAMCLS_N] = {"drone", "bird", "airplane", "helicopter",
                                                 "clutter"};

const char *camcls_name(int k)
{
    return k >= 0 && k < CAMCLS_N ? cls_names[k] : NULL;
}

static void member_destroy(member *m)
{
    if (!m)
        return;
    for (int i = 0; i < MAX_LAYERS; i++) {
        free(m->W[i]);
        free(m->b[i]);
    }
    if (m->cnn) {
        for (int i = 0; i < MAX_CONV; i++) {
            free(m->cnn->cw[i]);
            free(m->cnn->cb[i]);
        }
        free(m->cnn->ew);
        free(m->cnn->eb);
        free(m->cnn);
    }
    free(m);
}

void camcls_destroy(camcls *c)
{
    if (!c)
        return;
    for (int i = 0; i < c->n; i++)
        member_destroy(c->m[i]);
    free(c);
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

/* rows x cols numbers given as an array of `rows` arrays of `cols`, into out (row-major). */
static int matrix(const cJSON *a, const char *where, const char *what, int rows, int cols,
                  float *out, sg_errinfo *e)
{
    if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) != rows)
        return sg_err_set(e, SG_EFORMAT, "%s: %s: must be an array of %d rows", where, what, rows);
    int r = 0;
    const cJSON *row;
    cJSON_ArrayForEach(row, a) {
        int rc = num_array(row, where, what, cols, out + (size_t)r * cols, e);
        if (rc)
            return rc;
        r++;
    }
    return SG_OK;
}

/* The layer array `key` of obj: 1..max layers, each read by layer_from_json. */
static int layer_array(const cJSON *obj, const char *where, const char *key, int max,
                       const cJSON **out, sg_errinfo *e)
{
    int rc = sgj_array(obj, where, key, true, out, e);
    if (!rc && (cJSON_GetArraySize(*out) < 1 || cJSON_GetArraySize(*out) > max))
        rc = sg_err_set(e, SG_ERANGE, "%s: %s: must have 1..%d layers, got %d", where, key, max,
                        cJSON_GetArraySize(*out));
    return rc;
}

/* One layer {"W": [1..max_out rows of `in` numbers], "b": [one a row]} named `where` (a
 * row's errors name `row_what`): *out gets its rows; *W (row-major) and *b are allocated
 * here and freed by the caller, also after an error. */
static int layer_from_json(const cJSON *L, const char *where, const char *row_what, int in,
                           int max_out, int *out, float **W, float **b, sg_errinfo *e)
{
    const cJSON *wj = cJSON_GetObjectItemCaseSensitive(L, "W");
    int n = cJSON_IsArray(wj) ? cJSON_GetArraySize(wj) : 0;
    if (n < 1 || n > max_out)
        return sg_err_set(e, SG_EFORMAT, "%s.W: must be an array of 1..%d rows", where, max_out);
    *out = n;
    *W = malloc((size_t)n * (size_t)in * sizeof(float));
    *b = malloc((size_t)n * sizeof(float));
    if (!*W || !*b)
        return sg_err_set(e, SG_ENOMEM, "%s: out of memory", where);
    int rc = matrix(wj, where, row_what, n, in, *W, e);
    return rc ? rc : num_array(cJSON_GetObjectItemCaseSensitive(L, "b"), where, "b", n, *b, e);
}

/* "cnn": {"size": CAMCROP_PX, "channels": 1..CAMCROP_SCALES (the first crop windows),
 * "conv": [{"W": [cout rows of cin*9], "b": [cout]}, 1..MAX_CONV], "embed": {"W": [ne rows
 * of flat], "b": [ne]}}. */
static int cnn_from_json(const cJSON *j, const char *where, cnn **out, sg_errinfo *e)
{
    static const char *const keys[] = {"size", "channels", "conv", "embed", NULL};
    char w[96];
    snprintf(w, sizeof w, "%s: cnn", where);
    if (!cJSON_IsObject(j))
        return sg_err_set(e, SG_EFORMAT, "%s: must be an object", w);
    cnn *c = calloc(1, sizeof *c);
    if (!c)
        return sg_err_set(e, SG_ENOMEM, "%s: out of memory", w);
    *out = c;
    long size = CAMCROP_PX, ch = CAMCROP_SCALES;
    const cJSON *conv, *emb;
    int rc = sgj_check_keys(j, w, keys, e);
    if (!rc)
        rc = sgj_int(j, w, "size", true, 0, CAMCROP_PX, CAMCROP_PX, &size, e);
    if (!rc)
        rc = sgj_int(j, w, "channels", true, 0, 1, CAMCROP_SCALES, &ch, e);
    if (!rc)
        rc = layer_array(j, w, "conv", MAX_CONV, &conv, e);
    int cin = (int)ch, side = CAMCROP_PX;
    const cJSON *L;
    if (!rc)
        cJSON_ArrayForEach(L, conv) {
            char wl[128];
            snprintf(wl, sizeof wl, "%s.conv[%d]", w, c->nconv);
            int k = c->nconv++;
            c->cin[k] = cin;
            if ((rc = layer_from_json(L, wl, "W", cin * 9, MAX_CH, &c->cout[k], &c->cw[k],
                                      &c->cb[k], e)))
                break;
            cin = c->cout[k];
            side /= 2;
        }
    if (!rc)
        c->flat = cin * side * side;
    if (!rc && !(emb = cJSON_GetObjectItemCaseSensitive(j, "embed")))
        rc = sg_err_set(e, SG_EFORMAT, "%s: embed: missing", w);
    if (!rc) {
        const cJSON *W = cJSON_GetObjectItemCaseSensitive(emb, "W");
        c->ne = cJSON_IsArray(W) ? cJSON_GetArraySize(W) : 0;
        if (c->ne < 1 || c->ne > MAX_EMBED)
            rc = sg_err_set(e, SG_EFORMAT, "%s.embed.W: must be an array of 1..%d rows", w,
                            MAX_EMBED);
        else if (!(c->ew = malloc((size_t)c->ne * (size_t)c->flat * sizeof(float))) ||
                 !(c->eb = malloc((size_t)c->ne * sizeof(float))))
            rc = sg_err_set(e, SG_ENOMEM, "%s: out of memory", w);
        else if (!(rc = matrix(W, w, "embed.W", c->ne, c->flat, c->ew, e)))
            rc = num_array(cJSON_GetObjectItemCaseSensitive(emb, "b"), w, "embed.b", c->ne, c->eb, e);
    }
    return rc;
}

/* A zeroed object of `size` bytes for the document doc, which must be a JSON object;
 * NULL + e otherwise or when out of memory. */
static void *new_for(const cJSON *doc, const char *where, size_t size, sg_errinfo *e)
{
    if (!cJSON_IsObject(doc)) {
        sg_err_set(e, SG_EFORMAT, "%s: must be a JSON object", where);
        return NULL;
    }
    void *p = calloc(1, size);
    if (!p)
        sg_err_set(e, SG_ENOMEM, "%s: out of memory", where);
    return p;
}

/* One network from its document (format "skyguard-camcls", version 1 or 2). */
static member *member_from_json(const cJSON *doc, const char *where, sg_errinfo *e)
{
    static const char *const keys[] = {"format", "version", "features", "classes", "mean",
                                       "scale", "layers", "temperature", "trained", "cnn",
                                       "drone_min_conf", NULL};
    member *m = new_for(doc, where, sizeof *m, e);
    if (!m)
        return NULL;
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
        rc = sgj_int(doc, where, "version", true, 0, 1, 2, &ver, e);
    const cJSON *cj = cJSON_GetObjectItemCaseSensitive(doc, "cnn");
    if (!rc && cj && ver < 2)
        rc = sg_err_set(e, SG_EFORMAT, "%s: cnn: needs version 2", where);
    if (!rc && cj)
        rc = cnn_from_json(cj, where, &m->cnn, e);
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
        rc = sgj_number(doc, where, "drone_min_conf", false, -1, 0, 1, &m->drone_min_conf, e);
    if (!rc)
        rc = layer_array(doc, where, "layers", MAX_LAYERS, &layers, e);
    int prev = m->nf + (m->cnn ? m->cnn->ne : 0);
    const cJSON *L;
    if (!rc)
        cJSON_ArrayForEach(L, layers) {
            char w[96];
            snprintf(w, sizeof w, "%s: layers[%d]", where, m->nl);
            int k = m->nl++;
            m->in[k] = prev;
            if ((rc = layer_from_json(L, w, "W row", prev, MAX_WIDTH, &m->out[k], &m->W[k],
                                      &m->b[k], e)))
                break;
            prev = m->out[k];
        }
    if (!rc && prev != CAMCLS_N)
        rc = sg_err_set(e, SG_EFORMAT, "%s: last layer must have %d outputs (classes), got %d",
                        where, CAMCLS_N, prev);
    if (rc) {
        member_destroy(m);
        return NULL;
    }
    return m;
}

/* {"format": "skyguard-camcls-ensemble", "version": 1, "members": [model documents],
 *  "trained": {...}}: the members' class probabilities are averaged. */
static int ensemble_from_json(const cJSON *doc, const char *where, camcls *c, sg_errinfo *e)
{
    static const char *const keys[] = {"format", "version", "members", "trained",
                                       "drone_min_conf", NULL};
    long ver;
    const cJSON *mem;
    int rc = sgj_check_keys(doc, where, keys, e);
    if (!rc)
        rc = sgj_int(doc, where, "version", true, 0, 1, 1, &ver, e);
    if (!rc)
        rc = sgj_number(doc, where, "drone_min_conf", false, -1, 0, 1, &c->drone_min_conf, e);
    if (!rc)
        rc = sgj_array(doc, where, "members", true, &mem, e);
    if (!rc && (cJSON_GetArraySize(mem) < 1 || cJSON_GetArraySize(mem) > CAMCLS_MAX_MEMBERS))
        rc = sg_err_set(e, SG_ERANGE, "%s: members: must have 1..%d models, got %d", where,
                        CAMCLS_MAX_MEMBERS, cJSON_GetArraySize(mem));
    const cJSON *d;
    if (!rc)
        cJSON_ArrayForEach(d, mem) {
            char w[160];
            snprintf(w, sizeof w, "%s: members[%d]", where, c->n);
            if (!(c->m[c->n] = member_from_json(d, w, e))) {
                rc = e && e->code ? e->code : SG_EFORMAT;
                break;
            }
            c->n++;
        }
    return rc;
}

camcls *camcls_from_json(const cJSON *doc, const char *where, sg_errinfo *e)
{
    camcls *c = new_for(doc, where, sizeof *c, e);
    if (!c)
        return NULL;
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(doc, "format");
    if (cJSON_IsString(f) && !strcmp(f->valuestring, "skyguard-camcls-ensemble")) {
        if (ensemble_from_json(doc, where, c, e)) {
            camcls_destroy(c);
            return NULL;
        }
    } else if ((c->m[0] = member_from_json(doc, where, e))) {
        c->n = 1;
        c->drone_min_conf = c->m[0]->drone_min_conf;
    } else {
        free(c);
        return NULL;
    }
    return c;
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

bool camcls_uses_crops(const camcls *c)
{
    for (int i = 0; c && i < c->n; i++)
        if (c->m[i]->cnn)
            return true;
    return false;
}

int camcls_crop_channels(const camcls *c)
{
    int ch = 0;
    for (int i = 0; c && i < c->n; i++)
        if (c->m[i]->cnn && c->m[i]->cnn->cin[0] > ch)
            ch = c->m[i]->cnn->cin[0];
    return ch;
}

int camcls_members(const camcls *c)
{
    return c ? c->n : 0;
}

double camcls_drone_min_conf(const camcls *c)
{
    return c ? c->drone_min_conf : -1;
}

static float bound(float s)
{
    if (!(s > -1e6f))
        return s > 0 ? 1e6f : -1e6f; /* NaN or overflow: bounded, softmax stays finite */
    return s > 1e6f ? 1e6f : s;
}

/* The appearance embedding of crop into emb[c->ne]. */
static void cnn_embed(const cnn *c, const float *crop, float *emb)
{
    static _Thread_local float buf[2][MAX_CH * CNN_PLANE], conv[MAX_CH * CNN_PLANE];
    int side = CAMCROP_PX;
    for (int i = 0; i < CAMCROP_N; i++)
        buf[0][i] = isfinite(crop[i]) ? crop[i] : 0.0f;
    const float *in = buf[0];
    for (int l = 0; l < c->nconv; l++) {
        int ci = c->cin[l], co = c->cout[l], pl = side * side;
        for (int o = 0; o < co; o++) {
            float *dst = conv + (size_t)o * pl;
            for (int i = 0; i < pl; i++)
                dst[i] = c->cb[l][o];
            for (int k = 0; k < ci; k++) {
                const float *w = c->cw[l] + ((size_t)o * ci + k) * 9, *src = in + (size_t)k * pl;
                for (int y = 0; y < side; y++)
                    for (int dy = -1; dy <= 1; dy++) {
                        int yy = y + dy;
                        if (yy < 0 || yy >= side)
                            continue;
                        const float *sr = src + yy * side, *wr = w + (dy + 1) * 3;
                        float *dr = dst + y * side;
                        dr[0] += wr[1] * sr[0] + (side > 1 ? wr[2] * sr[1] : 0.0f);
                        for (int x = 1; x < side - 1; x++)
                            dr[x] += wr[0] * sr[x - 1] + wr[1] * sr[x] + wr[2] * sr[x + 1];
                        if (side > 1)
                            dr[side - 1] += wr[0] * sr[side - 2] + wr[1] * sr[side - 1];
                    }
            }
        }
        int h = side / 2;
        float *out = buf[(l + 1) & 1];
        for (int o = 0; o < co; o++)
            for (int y = 0; y < h; y++)
                for (int x = 0; x < h; x++) {
                    const float *s0 = conv + (size_t)o * pl + 2 * y * side + 2 * x;
                    float v = fmaxf(fmaxf(s0[0], s0[1]), fmaxf(s0[side], s0[side + 1]));
                    out[((size_t)o * h + y) * h + x] = v > 0 ? bound(v) : 0.0f; /* ReLU, pool */
                }
        in = out;
        side = h;
    }
    for (int o = 0; o < c->ne; o++) {
        float s = c->eb[o];
        const float *w = c->ew + (size_t)o * c->flat;
        for (int i = 0; i < c->flat; i++)
            s += w[i] * in[i];
        s = bound(s);
        emb[o] = s > 0 ? s : 0.0f;
    }
}

int camcls_predict(const camcls *m, const float x[CAMFEAT_N], double p[CAMCLS_N])
{
    return camcls_predict_crop(m, x, NULL, p);
}

/* One member's calibrated probabilities into p. */
static void member_predict(const member *m, const float x[CAMFEAT_N], const float *crop,
                           double p[CAMCLS_N])
{
    float a[MAX_WIDTH + MAX_EMBED], b[MAX_WIDTH];
    for (int i = 0; i < m->nf; i++) {
        float v = x[m->idx[i]];
        a[i] = isfinite(v) ? (v - m->mean[i]) / m->scale[i] : 0.0f;
    }
    if (m->cnn) {
        if (crop)
            cnn_embed(m->cnn, crop, a + m->nf);
        else
            memset(a + m->nf, 0, (size_t)m->cnn->ne * sizeof *a);
    }
    for (int l = 0; l < m->nl; l++) {
        const float *W = m->W[l];
        for (int o = 0; o < m->out[l]; o++) {
            float s = m->b[l][o];
            const float *wr = W + (size_t)o * m->in[l];
            for (int i = 0; i < m->in[l]; i++)
                s += wr[i] * a[i];
            s = bound(s);
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
    for (int k = 0; k < CAMCLS_N; k++)
        p[k] /= sum;
}

int camcls_predict_crop(const camcls *c, const float x[CAMFEAT_N], const float *crop,
                        double p[CAMCLS_N])
{
    double q[CAMCLS_N];
    member_predict(c->m[0], x, crop, p);
    for (int i = 1; i < c->n; i++) {
        member_predict(c->m[i], x, crop, q);
        for (int k = 0; k < CAMCLS_N; k++)
            p[k] += q[k];
    }
    int best = 0;
    for (int k = 0; k < CAMCLS_N; k++) {
        p[k] /= c->n;
        if (p[k] > p[best])
            best = k;
    }
    return best;
}
