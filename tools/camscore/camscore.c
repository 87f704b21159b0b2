/* Scoring rules of the labelled camera clips (see camscore.h). */
#include "camscore.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const truth_names[CAMSCORE_NTRUTH] = {"drone", "bird", "airplane",
                                                          "helicopter", "clutter"};
static const char *const pred_names[CAMSCORE_NPRED] = {"drone", "bird", "airplane",
                                                        "helicopter", "clutter", "uncertain"};
static const char *const fa_names[CAMSCORE_NFA] = {"bird", "airplane", "helicopter",
                                                    "fragment", "ground", "sky"};
static const char *const miss_names[CAMSCORE_NMISS] = {"no_blob", "unconfirmed",
                                                        "classified_other"};

const char *camscore_truth_name(int k)
{
    return k >= 0 && k < CAMSCORE_NTRUTH ? truth_names[k] : NULL;
}

const char *camscore_pred_name(int k)
{
    return k >= 0 && k < CAMSCORE_NPRED ? pred_names[k] : NULL;
}

const char *camscore_fa_name(int k)
{
    return k >= 0 && k < CAMSCORE_NFA ? fa_names[k] : NULL;
}

const char *camscore_miss_name(int k)
{
    return k >= 0 && k < CAMSCORE_NMISS ? miss_names[k] : NULL;
}

int camscore_class_index(const char *s)
{
    for (int k = 0; k < CAMSCORE_NTRUTH - 1; k++)
        if (!strcmp(s, truth_names[k]))
            return k;
    return -1;
}

uint64_t camscore_fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) {
        h ^= (uint8_t)*s;
        h *= 1099511628211ull;
    }
    return h;
}

static int cmp_stratum(const void *a, const void *b)
{
    const camscore_clip *x = a, *y = b;
    int c = strcmp(x->sensor, y->sensor);
    if (!c)
        c = strcmp(x->cls, y->cls);
    if (!c)
        c = strcmp(x->bin, y->bin);
    if (!c)
        c = (x->hash > y->hash) - (x->hash < y->hash);
    return c;
}

void camscore_split(camscore_clip *cl, int n, unsigned seed)
{
    for (int i = 0; i < n; i++) {
        char key[128];
        snprintf(key, sizeof key, "skyguard-camsplit-%u/%s", seed, cl[i].name);
        cl[i].hash = camscore_fnv1a(key);
    }
    qsort(cl, (size_t)n, sizeof *cl, cmp_stratum);
    for (int i = 0, r = 0; i < n; i++) {
        if (i > 0 && (strcmp(cl[i].sensor, cl[i - 1].sensor) || strcmp(cl[i].cls, cl[i - 1].cls) ||
                      strcmp(cl[i].bin, cl[i - 1].bin)))
            r = 0;
        cl[i].split = r % 4 == 1 ? "val" : r % 8 == 3 ? "calib" : "train";
        r++;
    }
}

int camscore_load_index(const char *dir, unsigned seed, camscore_clip *cl, int max, int *n,
                        sg_errinfo *e)
{
    char path[1024], line[512];
    snprintf(path, sizeof path, "%s/index.csv", dir);
    *n = 0;
    FILE *fp = fopen(path, "r");
    if (!fp)
        return sg_err_set(e, SG_EIO, "%s: cannot open", path);
    int ln = 0;
    while (fgets(line, sizeof line, fp)) {
        if (ln++ == 0)
            continue;
        camscore_clip *c = &cl[*n];
        if (*n >= max ||
            sscanf(line, "%63[^,],%7[^,],%15[^,],%15[^,],%d", c->name, c->sensor, c->cls, c->bin,
                   &c->frames) != 5 || camscore_class_index(c->cls) < 0) {
            fclose(fp);
            *n = 0;
            return sg_err_set(e, SG_EFORMAT, "%s:%d: malformed row", path, ln);
        }
        (*n)++;
    }
    fclose(fp);
    camscore_split(cl, *n, seed);
    return SG_OK;
}

int camscore_load_clip_list(const char *path, const camscore_clip *cl, int n, bool *sel,
                            sg_errinfo *e)
{
    for (int i = 0; i < n; i++)
        sel[i] = false;
    FILE *fp = fopen(path, "r");
    if (!fp)
        return sg_err_set(e, SG_EIO, "%s: cannot open", path);
    char line[256];
    int ln = 0, picked = 0, rc = SG_OK;
    while (!rc && fgets(line, sizeof line, fp)) {
        ln++;
        size_t len = strlen(line);
        if (len == sizeof line - 1 && line[len - 1] != '\n' && !feof(fp)) {
            rc = sg_err_set(e, SG_EFORMAT, "%s:%d: line longer than a clip name", path, ln);
            break;
        }
        char *s = line, *end = line + len;
        while (*s == ' ' || *s == '\t')
            s++;
        while (end > s && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t'))
            *--end = '\0';
        if (!*s || *s == '#')
            continue;
        int k = 0;
        while (k < n && strcmp(cl[k].name, s))
            k++;
        if (k == n)
            rc = sg_err_set(e, SG_EFORMAT, "%s:%d: clip \"%s\" is not in the index", path, ln, s);
        else if (sel[k])
            rc = sg_err_set(e, SG_EFORMAT, "%s:%d: clip \"%s\" listed twice", path, ln, s);
        else {
            sel[k] = true;
            picked++;
        }
    }
    fclose(fp);
    if (!rc && !picked)
        rc = sg_err_set(e, SG_EINVAL, "%s: names no clip", path);
    if (rc)
        for (int i = 0; i < n; i++)
            sel[i] = false;
    return rc;
}

void camscore_labels_free(camscore_labels *l)
{
    free(l->b);
    free(l->first);
    *l = (camscore_labels){0};
}

int camscore_load_labels(const char *dir, const char *clip, int clip_frames,
                         camscore_labels *l, sg_errinfo *e)
{
    char path[1024], line[256];
    snprintf(path, sizeof path, "%s/labels/%s.csv", dir, clip);
    *l = (camscore_labels){0};
    FILE *fp = fopen(path, "r");
    if (!fp)
        return sg_err_set(e, SG_EIO, "%s: cannot open", path);
    int cap = 1024, ln = 0, rc = SG_OK;
    if (!(l->b = malloc((size_t)cap * sizeof *l->b)))
        rc = sg_err_set(e, SG_ENOMEM, "out of memory");
    while (!rc && fgets(line, sizeof line, fp)) {
        if (ln++ == 0)
            continue;
        char cls[32];
        camscore_box b;
        if (sscanf(line, "%d,%*[^,],%31[^,],%lf,%lf,%lf,%lf", &b.frame, cls, &b.x, &b.y, &b.w,
                   &b.h) != 6 || (b.cls = camscore_class_index(cls)) < 0 || b.frame < 0 ||
            (l->nb && b.frame < l->b[l->nb - 1].frame)) {
            rc = sg_err_set(e, SG_EFORMAT, "%s:%d: malformed or unsorted row", path, ln);
            break;
        }
        if (l->nb == cap) {
            camscore_box *nbx = realloc(l->b, (size_t)(cap *= 2) * sizeof *l->b);
            if (!nbx) {
                rc = sg_err_set(e, SG_ENOMEM, "out of memory");
                break;
            }
            l->b = nbx;
        }
        l->b[l->nb++] = b;
    }
    fclose(fp);
    if (!rc) {
        l->nframes = l->nb ? l->b[l->nb - 1].frame + 1 : 0;
        if (l->nframes < clip_frames)
            l->nframes = clip_frames;
        if (!(l->first = malloc((size_t)(l->nframes + 2) * sizeof *l->first)))
            rc = sg_err_set(e, SG_ENOMEM, "out of memory");
    }
    if (rc) {
        camscore_labels_free(l);
        return rc;
    }
    for (int f = 0, i = 0; f <= l->nframes; f++) {
        while (i < l->nb && l->b[i].frame < f)
            i++;
        l->first[f] = i;
    }
    l->first[l->nframes + 1] = l->nb;
    return SG_OK;
}

int camscore_match(const camscore_labels *l, int fr, const skydet_det *d)
{
    if (fr < 0 || fr >= l->nframes)
        return -1;
    int best = -1;
    double bd = INFINITY;
    for (int i = l->first[fr]; i < l->first[fr + 1]; i++) {
        const camscore_box *b = &l->b[i];
        double m = fmax(4.0, 0.25 * fmax(b->w, b->h));
        if (d->x1 < b->x - m || d->x0 > b->x + b->w - 1 + m || d->y1 < b->y - m ||
            d->y0 > b->y + b->h - 1 + m)
            continue;
        double dist = hypot(d->x - (b->x + 0.5 * (b->w - 1)), d->y - (b->y + 0.5 * (b->h - 1)));
        if (dist < bd) {
            bd = dist;
            best = i;
        }
    }
    return best;
}

bool camscore_near_box(const camscore_labels *l, int fr, const skydet_det *d)
{
    if (fr < 0 || fr >= l->nframes)
        return false;
    for (int i = l->first[fr]; i < l->first[fr + 1]; i++) {
        const camscore_box *b = &l->b[i];
        double m = 2.0 * fmax(b->w, b->h) + 16.0;
        if (d->x1 >= b->x - m && d->x0 <= b->x + b->w - 1 + m && d->y1 >= b->y - m &&
            d->y0 <= b->y + b->h - 1 + m)
            return true;
    }
    return false;
}

int camscore_pred_index(const char *cls, bool model)
{
    if (!model)
        return 0; /* without a classifier every detection is a drone report */
    for (int k = 0; k < CAMSCORE_NPRED; k++)
        if (!strcmp(cls, pred_names[k]))
            return k;
    return CAMSCORE_NPRED - 1;
}

double camscore_ratio(uint64_t a, uint64_t b)
{
    return b ? (double)a / (double)b : 0.0;
}

double camscore_recall(const camscore_totals *s)
{
    return camscore_ratio(s->drone_hits, s->drone_frames);
}

double camscore_precision(const camscore_totals *s)
{
    return camscore_ratio(s->reports_ok, s->reports);
}

double camscore_false_per_frame(const camscore_totals *s)
{
    return camscore_ratio(s->free_false, s->free_frames);
}

void camscore_begin(camscore_run *r, const camscore_clip *c, const camscore_labels *l,
                    camscore_totals *sc, const camscore_opts *o)
{
    *r = (camscore_run){.c = c, .l = l, .sc = sc, .o = *o, .skyline_k = -1};
    for (int k = 0; k < CAMFEAT_N; k++)
        if (!strcmp(camfeat_name(k), "skyline_depth"))
            r->skyline_k = k;
    r->object_cls = camscore_class_index(c->cls);
    r->drone_clip = r->object_cls == 0;
}

int camscore_truth(const camscore_run *r, int fr, const skydet_det *d)
{
    int bi = camscore_match(r->l, fr, d);
    return bi >= 0 ? r->l->b[bi].cls : CAMSCORE_CLUTTER;
}

static void count_false(camscore_run *r, int fr, const camera_frame *f, size_t i, int truth)
{
    int k;
    if (truth >= 1 && truth <= 3)
        k = truth == 1 ? CAMSCORE_FA_BIRD : truth == 2 ? CAMSCORE_FA_AIRPLANE : CAMSCORE_FA_HELI;
    else if (camscore_near_box(r->l, fr, &f->dets[i]))
        k = CAMSCORE_FA_FRAGMENT;
    else if (f->dets[i].texture > 3.0 ||
             (r->skyline_k >= 0 && f->feats[i * CAMFEAT_N + (size_t)r->skyline_k] > 0))
        k = CAMSCORE_FA_GROUND;
    else
        k = CAMSCORE_FA_SKY;
    r->sc->fa[k]++;
    r->clip_fa[k]++;
}

/* A drone-labelled frame without a drone report on the drone: why. */
static void count_miss(camscore_run *r, int fr, const camera_frame *f)
{
    int k = CAMSCORE_MISS_NO_BLOB;
    for (size_t i = 0; i < f->n_dets; i++) {
        int bi = camscore_match(r->l, fr, &f->dets[i]);
        if (bi >= 0 && r->l->b[bi].cls == 0)
            k = CAMSCORE_MISS_CLASSIFIED;
    }
    for (size_t i = 0; i < f->n_cands && k == CAMSCORE_MISS_NO_BLOB; i++) {
        int bi = camscore_match(r->l, fr, &f->cands[i]);
        if (bi >= 0 && r->l->b[bi].cls == 0)
            k = CAMSCORE_MISS_UNCONFIRMED;
    }
    r->sc->miss[k]++;
    r->clip_miss[k]++;
    if (f->t - r->t0 < 1.0)
        r->sc->miss_early++;
}

/* --sweep: the publishing rule of camera_classify (argmax; a drone below the threshold
 * is uncertain) on the published (smoothed) probabilities p, at each threshold. */
static void sweep_count(camscore_run *r, const double *p, int truth, bool *hit)
{
    int best = 0;
    for (int k = 1; k < CAMCLS_N; k++)
        if (p[k] > p[best])
            best = k;
    for (int k = 0; k < r->o.n_sweep && best == CAMCLS_DRONE; k++) {
        if (p[0] < r->o.sweep[k])
            continue;
        r->sc->sw_reports[k]++;
        if (truth == 0) {
            r->sc->sw_ok[k]++;
            hit[k] = true;
        } else if (!r->drone_clip) {
            r->sc->sw_false[k]++;
        }
    }
}

void camscore_frame(camscore_run *r, const camera_frame *f)
{
    camscore_totals *s = r->sc;
    const camscore_labels *l = r->l;
    int fr = (int)f->index;
    if (fr == 0)
        r->t0 = f->t;
    bool has_drone = false, hit = false, sw_hit[CAMSCORE_MAX_SWEEP] = {false};
    if (fr < l->nframes)
        for (int i = l->first[fr]; i < l->first[fr + 1]; i++)
            has_drone |= l->b[i].cls == 0;
    for (size_t i = 0; i < f->n_dets; i++) {
        int bi = camscore_match(l, fr, &f->dets[i]);
        int truth = bi >= 0 ? l->b[bi].cls : CAMSCORE_CLUTTER;
        int pred = camscore_pred_index(f->meas[i].cls, f->probs != NULL);
        s->conf[truth][pred]++;
        if (f->probs)
            sweep_count(r, f->probs + i * CAMCLS_N, truth, sw_hit);
        if (!r->seen && bi >= 0 && l->b[bi].cls == r->object_cls) {
            r->seen = true;
            double dt = f->t - r->t0;
            s->first_sum += dt;
            s->first_n++;
            if (dt > s->first_max)
                s->first_max = dt;
            r->first_s = dt;
        }
        if (pred == 0) {
            s->reports++;
            r->clip_reports++;
            if (truth == 0) {
                s->reports_ok++;
                r->clip_ok++;
                hit = true;
                if (r->drone_clip && !r->drone_seen) {
                    r->drone_seen = true;
                    r->drone_first_s = f->t - r->t0;
                    s->drone_first_sum += r->drone_first_s;
                    s->drone_first_n++;
                    if (r->drone_first_s > s->drone_first_max)
                        s->drone_first_max = r->drone_first_s;
                }
            } else if (!r->drone_clip) {
                s->free_false++;
            }
            if (truth != 0 && r->o.breakdown)
                count_false(r, fr, f, i, truth);
        }
    }
    s->frames++;
    r->clip_frames++;
    if (!r->drone_clip)
        s->free_frames++;
    if (has_drone) {
        s->drone_frames++;
        s->drone_hits += hit;
        for (int k = 0; k < r->o.n_sweep; k++)
            s->sw_hits[k] += sw_hit[k];
        if (!hit && r->o.breakdown)
            count_miss(r, fr, f);
    }
}

void camscore_end(camscore_run *r)
{
    if (!r->seen)
        r->sc->first_missed++;
    if (r->drone_clip && !r->drone_seen)
        r->sc->drone_first_missed++;
}

int camscore_parse_sweep(const char *s, double *v, int *n)
{
    *n = 0;
    for (;;) {
        char *end;
        double t = strtod(s, &end);
        if (end == s || !(t >= 0 && t <= 1) || *n == CAMSCORE_MAX_SWEEP)
            return -1;
        v[(*n)++] = t;
        if (!*end)
            return 0;
        if (*end != ',')
            return -1;
        s = end + 1;
    }
}
