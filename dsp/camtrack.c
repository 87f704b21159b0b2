/* Camera track-level class decision (see camtrack.h). */
#include "camtrack.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* A track unseen for longer than this (or than inherit_frames) is forgotten: if its id
 * comes back it starts afresh (camfeat drops its feature history after as long). */
#define CAMTRACK_FORGET_FRAMES 32

typedef struct {
    uint32_t id;            /* 0 = free slot */
    uint64_t last;          /* frame of the last detection */
    double x, y, size;      /* px: last centroid, longer box side */
    double lp[CAMCLS_N];    /* running mean of floored log-probabilities */
    int n;                  /* detections in the mean */
    bool seen;              /* updated in the current frame */
} entry;

struct camtrack {
    camtrack_cfg c;
    int max;
    entry *e;
    camtrack_stats st;
};

void camtrack_cfg_default(camtrack_cfg *cfg)
{
    cfg->smooth = 30;
    cfg->inherit_frames = 15;
    cfg->inherit_px = 16;
}

int camtrack_cfg_check(const camtrack_cfg *cfg, sg_errinfo *e)
{
    if (cfg->smooth < 1 || cfg->smooth > CAMTRACK_SMOOTH_MAX)
        return sg_err_set(e, SG_ERANGE, "class_smooth: must be in [1, %d], got %d",
                          CAMTRACK_SMOOTH_MAX, cfg->smooth);
    if (cfg->inherit_frames < 0 || cfg->inherit_frames > CAMTRACK_INHERIT_FRAMES_MAX)
        return sg_err_set(e, SG_ERANGE, "class_inherit_frames: must be in [0, %d], got %d",
                          CAMTRACK_INHERIT_FRAMES_MAX, cfg->inherit_frames);
    if (!(cfg->inherit_px >= 0 && cfg->inherit_px <= CAMTRACK_INHERIT_PX_MAX))
        return sg_err_set(e, SG_ERANGE, "class_inherit_px: must be in [0, %g], got %g",
                          CAMTRACK_INHERIT_PX_MAX, cfg->inherit_px);
    return SG_OK;
}

camtrack *camtrack_create(const camtrack_cfg *cfg, int max_tracks, sg_errinfo *e)
{
    if (!cfg) {
        sg_err_set(e, SG_EINVAL, "camtrack: no configuration");
        return NULL;
    }
    if (camtrack_cfg_check(cfg, e))
        return NULL;
    if (max_tracks < 1 || max_tracks > 4096) {
        sg_err_set(e, SG_ERANGE, "camtrack: max_tracks must be in [1, 4096], got %d", max_tracks);
        return NULL;
    }
    camtrack *t = calloc(1, sizeof *t);
    if (t)
        t->e = calloc((size_t)max_tracks, sizeof *t->e);
    if (!t || !t->e) {
        free(t);
        sg_err_set(e, SG_ENOMEM, "camtrack: out of memory");
        return NULL;
    }
    t->c = *cfg;
    t->max = max_tracks;
    return t;
}

void camtrack_destroy(camtrack *t)
{
    if (!t)
        return;
    free(t->e);
    free(t);
}

static entry *find(camtrack *t, uint32_t id)
{
    for (int i = 0; i < t->max; i++)
        if (t->e[i].id == id)
            return &t->e[i];
    return NULL;
}

/* A free slot, else the least recently seen track not in this frame (counted). */
static entry *slot(camtrack *t)
{
    entry *oldest = NULL;
    for (int i = 0; i < t->max; i++) {
        if (!t->e[i].id)
            return &t->e[i];
        if (!t->e[i].seen && (!oldest || t->e[i].last < oldest->last))
            oldest = &t->e[i];
    }
    if (oldest)
        t->st.evicted++;
    return oldest;
}

/* The ended track whose evidence a new track at d takes over, or NULL. */
static entry *parent(camtrack *t, uint64_t frame, const skydet_det *d)
{
    if (t->c.inherit_frames <= 0)
        return NULL;
    entry *best = NULL;
    double bd = INFINITY, sz = skydet_det_size(d);
    for (int i = 0; i < t->max; i++) {
        entry *p = &t->e[i];
        if (!p->id || p->seen || frame - p->last > (uint64_t)t->c.inherit_frames)
            continue;
        double dist = hypot(d->x - p->x, d->y - p->y);
        if (dist <= t->c.inherit_px + fmax(sz, p->size) && dist < bd) {
            bd = dist;
            best = p;
        }
    }
    return best;
}

/* Is the track id in dets[0..i) (an earlier detection of this frame)? */
static bool earlier(const skydet_det *dets, size_t i)
{
    for (size_t j = 0; j < i; j++)
        if (dets[j].track_id == dets[i].track_id)
            return true;
    return false;
}

void camtrack_update(camtrack *t, uint64_t frame, const skydet_det *dets, size_t n,
                     double *probs)
{
    if (t->c.smooth <= 1)
        return;
    uint64_t forget = (uint64_t)(t->c.inherit_frames > CAMTRACK_FORGET_FRAMES
                                     ? t->c.inherit_frames
                                     : CAMTRACK_FORGET_FRAMES);
    for (int i = 0; i < t->max; i++) {
        entry *p = &t->e[i];
        p->seen = false;
        if (p->id && frame - p->last > forget)
            p->id = 0;
    }
    /* mark the tracks present in this frame first: a track absent from it may be a
     * fragment's parent, one still present may not */
    for (size_t i = 0; i < n; i++) {
        entry *p = dets[i].track_id ? find(t, dets[i].track_id) : NULL;
        if (p)
            p->seen = true;
    }
    for (size_t i = 0; i < n; i++) {
        const skydet_det *d = &dets[i];
        double *pr = probs + i * CAMCLS_N;
        if (!d->track_id || earlier(dets, i))
            continue;
        entry *s = find(t, d->track_id);
        if (!s) {
            entry *par = parent(t, frame, d);
            if (par) {
                /* the fragment continues its parent: take over its slot */
                par->id = d->track_id;
                t->st.inherited++;
                s = par;
            } else if ((s = slot(t))) {
                memset(s, 0, sizeof *s);
                s->id = d->track_id;
            } else {
                continue; /* every slot is a track of this frame: passed through */
            }
        }
        s->seen = true;
        s->last = frame;
        s->x = d->x;
        s->y = d->y;
        s->size = skydet_det_size(d);
        s->n++;
        double a = s->n < t->c.smooth ? 1.0 / s->n : 1.0 / t->c.smooth, mx = -INFINITY, sum = 0;
        for (int k = 0; k < CAMCLS_N; k++) {
            s->lp[k] += a * (log(pr[k] > CAMTRACK_P_FLOOR ? pr[k] : CAMTRACK_P_FLOOR) - s->lp[k]);
            mx = s->lp[k] > mx ? s->lp[k] : mx;
        }
        for (int k = 0; k < CAMCLS_N; k++)
            sum += pr[k] = exp(s->lp[k] - mx);
        for (int k = 0; k < CAMCLS_N; k++)
            pr[k] /= sum;
    }
}

void camtrack_get_stats(const camtrack *t, camtrack_stats *out)
{
    *out = t->st;
}
