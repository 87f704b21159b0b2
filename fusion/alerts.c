/* Alert engine (see alerts.h): per (track, zone) hysteresis state machines, nested
 * layer resolution, time to breach with its 1-sigma, allow-list and rate limiting.
 * Runs after each tracker step in the daemon; its events go out on the feed. */
#include "alerts.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sg_json.h"

typedef struct {
    bool inside_h;      /* inside, with the spatial hysteresis */
    bool predicted;     /* entry within the horizon */
    bool engaged;       /* condition held within clear_hold_s */
    bool open;          /* RAISED sent, CLEARED not yet */
    bool dirty;         /* a material change awaits an UPDATED */
    double last_cond_t; /* s: last time inside_h || predicted held */
    double dist, ttb, ttb_sd;
    double last_emit_t;
    sg_alert cur;       /* the alert as of the last update (for snapshots and events) */
    sg_alert sent;      /* as last emitted */
} zst;

typedef struct {
    bool used, seen, gone;
    uint32_t id;
    zst *z; /* nz entries */
} trec;

typedef struct {
    uint32_t rec, zone;
    sg_alert_state kind;
    sg_severity sev;
} cand;

struct alerts {
    alerts_cfg c;
    const zone_set *zs;
    size_t nz;
    trec *rec;
    zst *zbuf;
    int32_t *htab;       /* track id -> rec index; -1 empty, -2 deleted */
    size_t hmask, htomb;
    uint32_t *free_slots; /* stack of unused rec indices */
    size_t nfree;
    cand *cands;
    uint32_t next_id;
    double t_last, tokens;
    bool started;
    alerts_stats st;
};

void alerts_cfg_default(alerts_cfg *c)
{
    memset(c, 0, sizeof *c);
    c->enter_margin_m = 0;
    c->exit_margin_m = 15;
    c->clear_hold_s = 5;
    c->horizon_s = 30;
    c->min_speed_mps = 0.5;
    c->update_interval_s = 2;
    c->ttb_change_s = 2;
    c->max_events_per_s = 20;
    c->alert_tentative = false;
    c->max_tracks = 1024;
    static const char *const info[] = {"bird", "airplane", "helicopter", "clutter", "uncertain"};
    for (size_t i = 0; i < sizeof info / sizeof info[0]; i++)
        snprintf(c->info_cls[i], sizeof c->info_cls[i], "%s", info[i]);
    c->n_info_cls = sizeof info / sizeof info[0];
}

/* Copies a JSON array of non-empty strings (each < len chars, at most cap) into rows of
 * out, len bytes apart; errors name where.key[i]. */
static int string_list(const cJSON *arr, const char *where, const char *key, const char *what,
                       char *out, size_t len, size_t cap, size_t *n_out, sg_errinfo *e)
{
    int n = cJSON_GetArraySize(arr);
    if ((size_t)n > cap)
        return sg_err_set(e, SG_ERANGE, "%s.%s: more than %zu entries", where, key, cap);
    for (int i = 0; i < n; i++) {
        const cJSON *s = cJSON_GetArrayItem(arr, i);
        if (!cJSON_IsString(s) || !s->valuestring[0] || strlen(s->valuestring) >= len)
            return sg_err_set(e, SG_EINVAL, "%s.%s[%d]: must be a non-empty %s string (< %zu chars)",
                              where, key, i, what, len);
        memcpy(out + (size_t)i * len, s->valuestring, strlen(s->valuestring) + 1);
    }
    *n_out = (size_t)n;
    return SG_OK;
}

int alerts_cfg_from_json(const cJSON *obj, const char *where, alerts_cfg *c, sg_errinfo *e)
{
    static const char *const keys[] = {"enter_margin_m", "exit_margin_m", "clear_hold_s",
                                       "horizon_s", "min_speed_mps", "update_interval_s",
                                       "ttb_change_s", "max_events_per_s", "alert_tentative",
                                       "max_tracks", "allow_list", "info_classes", NULL};
    alerts_cfg_default(c);
    if (!obj)
        return SG_OK;
    if (!cJSON_IsObject(obj))
        return sg_err_set(e, SG_EINVAL, "%s: must be an object", where);
    long mt;
    const cJSON *al, *ic;
    int rc;
    if ((rc = sgj_check_keys(obj, where, keys, e)) ||
        (rc = sgj_number(obj, where, "enter_margin_m", false, c->enter_margin_m, 0, 1000, &c->enter_margin_m, e)) ||
        (rc = sgj_number(obj, where, "exit_margin_m", false, c->exit_margin_m, 0, 1000, &c->exit_margin_m, e)) ||
        (rc = sgj_number(obj, where, "clear_hold_s", false, c->clear_hold_s, 0, 600, &c->clear_hold_s, e)) ||
        (rc = sgj_number(obj, where, "horizon_s", false, c->horizon_s, 0, 600, &c->horizon_s, e)) ||
        (rc = sgj_number(obj, where, "min_speed_mps", false, c->min_speed_mps, 0, 100, &c->min_speed_mps, e)) ||
        (rc = sgj_number(obj, where, "update_interval_s", false, c->update_interval_s, 0, 3600, &c->update_interval_s, e)) ||
        (rc = sgj_number(obj, where, "ttb_change_s", false, c->ttb_change_s, 0, 600, &c->ttb_change_s, e)) ||
        (rc = sgj_number(obj, where, "max_events_per_s", false, c->max_events_per_s, 1e-3, 10000, &c->max_events_per_s, e)) ||
        (rc = sgj_bool(obj, where, "alert_tentative", false, c->alert_tentative, &c->alert_tentative, e)) ||
        (rc = sgj_int(obj, where, "max_tracks", false, (long)c->max_tracks, 1, 65536, &mt, e)) ||
        (rc = sgj_array(obj, where, "allow_list", false, &al, e)) ||
        (rc = sgj_array(obj, where, "info_classes", false, &ic, e)))
        return rc;
    c->max_tracks = (size_t)mt;
    if ((al && (rc = string_list(al, where, "allow_list", "identity", &c->allow[0][0], SG_ID_LEN,
                                 ALERTS_MAX_ALLOW, &c->n_allow, e))) ||
        (ic && (rc = string_list(ic, where, "info_classes", "class", &c->info_cls[0][0],
                                 SG_CLASS_LEN, ALERTS_MAX_INFO_CLS, &c->n_info_cls, e))))
        return rc;
    return SG_OK;
}

static int check_cfg(const alerts_cfg *c, sg_errinfo *e)
{
#define RANGE(f, lo, hi)                                                                     \
    if (!((double)c->f >= (lo) && (double)c->f <= (hi)))                                                      \
        return sg_err_set(e, SG_ERANGE, "alerts: " #f " must be in [%g, %g], got %g", (double)(lo), \
                          (double)(hi), (double)c->f);
    RANGE(enter_margin_m, 0, 1000)
    RANGE(exit_margin_m, 0, 1000)
    RANGE(clear_hold_s, 0, 600)
    RANGE(horizon_s, 0, 600)
    RANGE(min_speed_mps, 0, 100)
    RANGE(update_interval_s, 0, 3600)
    RANGE(ttb_change_s, 0, 600)
    RANGE(max_events_per_s, 1e-3, 10000)
    RANGE(max_tracks, 1, 65536)
    RANGE(n_allow, 0, ALERTS_MAX_ALLOW)
    RANGE(n_info_cls, 0, ALERTS_MAX_INFO_CLS)
#undef RANGE
    return SG_OK;
}

alerts *alerts_create(const alerts_cfg *c, const zone_set *zs, sg_errinfo *e)
{
    if (!c || !zs) {
        sg_err_set(e, SG_EINVAL, "alerts: configuration and zones are required");
        return NULL;
    }
    if (check_cfg(c, e))
        return NULL;
    alerts *a = calloc(1, sizeof *a);
    if (!a) {
        sg_err_set(e, SG_ENOMEM, "alerts: out of memory");
        return NULL;
    }
    a->c = *c;
    a->zs = zs;
    a->nz = zones_count(zs);
    size_t nzs = a->nz ? a->nz : 1;
    size_t hs = 16;
    while (hs < 2 * c->max_tracks)
        hs *= 2;
    a->hmask = hs - 1;
    a->htab = malloc(hs * sizeof *a->htab);
    a->free_slots = malloc(c->max_tracks * sizeof *a->free_slots);
    a->rec = calloc(c->max_tracks, sizeof *a->rec);
    a->zbuf = calloc(c->max_tracks * nzs, sizeof *a->zbuf);
    a->cands = calloc(c->max_tracks * nzs, sizeof *a->cands);
    if (!a->rec || !a->zbuf || !a->cands || !a->htab || !a->free_slots) {
        sg_err_set(e, SG_ENOMEM, "alerts: out of memory for %zu tracks x %zu zones",
                   c->max_tracks, a->nz);
        alerts_destroy(a);
        return NULL;
    }
    for (size_t i = 0; i < c->max_tracks; i++)
        a->rec[i].z = a->zbuf + i * nzs;
    for (size_t i = 0; i <= a->hmask; i++)
        a->htab[i] = -1;
    for (size_t i = 0; i < c->max_tracks; i++) /* pop order: slot 0 first */
        a->free_slots[i] = (uint32_t)(c->max_tracks - 1 - i);
    a->nfree = c->max_tracks;
    a->tokens = c->max_events_per_s;
    a->next_id = 1;
    return a;
}

void alerts_destroy(alerts *a)
{
    if (!a)
        return;
    free(a->rec);
    free(a->htab);
    free(a->free_slots);
    free(a->zbuf);
    free(a->cands);
    free(a);
}

static bool allow_listed(const alerts *a, const char *id)
{
    if (!id[0])
        return false;
    for (size_t i = 0; i < a->c.n_allow; i++)
        if (strcasecmp(a->c.allow[i], id) == 0)
            return true;
    return false;
}

static size_t hslot(const alerts *a, uint32_t id)
{
    return (size_t)(id * 2654435761u) & a->hmask;
}

/* Rebuilds the table without tombstones (no allocation). */
static void rehash(alerts *a)
{
    for (size_t i = 0; i <= a->hmask; i++)
        a->htab[i] = -1;
    for (size_t i = 0; i < a->c.max_tracks; i++) {
        if (!a->rec[i].used)
            continue;
        size_t h = hslot(a, a->rec[i].id);
        while (a->htab[h] != -1)
            h = (h + 1) & a->hmask;
        a->htab[h] = (int32_t)i;
    }
    a->htomb = 0;
}

static trec *find_rec(alerts *a, uint32_t id, bool create)
{
    size_t h = hslot(a, id), ins = SIZE_MAX;
    for (size_t k = 0; k <= a->hmask; k++, h = (h + 1) & a->hmask) {
        int32_t v = a->htab[h];
        if (v == -1)
            break;
        if (v == -2) {
            if (ins == SIZE_MAX)
                ins = h;
            continue;
        }
        if (a->rec[v].id == id)
            return &a->rec[v];
    }
    if (!create || a->nfree == 0)
        return NULL;
    if (ins == SIZE_MAX)
        ins = h;
    else
        a->htomb--;
    uint32_t slot = a->free_slots[--a->nfree];
    trec *r = &a->rec[slot];
    memset(r->z, 0, (a->nz ? a->nz : 1) * sizeof *r->z);
    r->used = true;
    r->gone = false;
    r->id = id;
    a->htab[ins] = (int32_t)slot;
    return r;
}

static void drop_rec(alerts *a, trec *r)
{
    size_t h = hslot(a, r->id);
    for (size_t k = 0; k <= a->hmask; k++, h = (h + 1) & a->hmask) {
        int32_t v = a->htab[h];
        if (v == -1)
            break;
        if (v >= 0 && &a->rec[v] == r) {
            a->htab[h] = -2;
            a->htomb++;
            break;
        }
    }
    r->used = false;
    a->free_slots[a->nfree++] = (uint32_t)(r - a->rec);
    if (a->htomb > (a->hmask + 1) / 4)
        rehash(a);
}

/* 1-sigma of the entry time: covariance projected on the crossed face's normal. */
static double ttb_sigma(const sg_track *tr, const double n[3], double t)
{
    double nv = n[0] * tr->x[3] + n[1] * tr->x[4] + n[2] * tr->x[5];
    if (fabs(nv) < 1e-9)
        return NAN;
    double pp = 0, pv = 0, vv = 0;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            pp += n[i] * tr->P[i * 6 + j] * n[j];
            pv += n[i] * tr->P[i * 6 + 3 + j] * n[j];
            vv += n[i] * tr->P[(3 + i) * 6 + 3 + j] * n[j];
        }
    double var = pp + 2 * t * pv + t * t * vv;
    return var >= 0 ? sqrt(var) / fabs(nv) : NAN;
}

static bool info_class(const alerts *a, const char *cls)
{
    for (size_t i = 0; cls[0] && i < a->c.n_info_cls; i++)
        if (strcmp(a->c.info_cls[i], cls) == 0)
            return true;
    return false;
}

static void fill_alert(alerts *a, trec *r, size_t zi, const sg_track *tr, double t)
{
    zst *s = &r->z[zi];
    const zone *z = zones_at(a->zs, zi);
    sg_alert *al = &s->cur;
    al->t = t;
    al->track_id = r->id;
    snprintf(al->zone_id, sizeof al->zone_id, "%s", zone_id(z));
    al->inside = s->inside_h;
    al->time_to_breach = s->ttb;
    al->time_to_breach_sd = s->ttb_sd;
    if (tr) {
        al->allow_listed = allow_listed(a, tr->identity);
        memcpy(al->identity, tr->identity, sizeof al->identity);
        al->identity[SG_ID_LEN - 1] = 0;
        memcpy(al->cls, tr->cls, sizeof al->cls);
        al->cls[SG_CLASS_LEN - 1] = 0;
        int ns = tr->n_sensors < 0 ? 0 : tr->n_sensors > SG_MAX_TRACK_SENSORS ? SG_MAX_TRACK_SENSORS : tr->n_sensors;
        memcpy(al->sensors, tr->sensors, (size_t)ns * sizeof al->sensors[0]);
        al->n_sensors = ns;
    }
    al->severity = al->allow_listed || info_class(a, al->cls) ? SG_SEV_INFO : zone_severity(z);
}

/* Per-zone conditions for one live track. */
static void eval_track(alerts *a, trec *r, const sg_track *tr, double t, bool eligible)
{
    double speed = sqrt(tr->x[3] * tr->x[3] + tr->x[4] * tr->x[4] + tr->x[5] * tr->x[5]);
    for (size_t zi = 0; zi < a->nz; zi++) {
        zst *s = &r->z[zi];
        const zone *z = zones_at(a->zs, zi);
        bool active = eligible && zone_active(z, t);
        s->ttb = NAN;
        s->ttb_sd = NAN;
        s->dist = active ? zone_distance(z, tr->x) : NAN; /* inactive zones cost nothing */
        if (!active) {
            s->inside_h = s->predicted = s->engaged = false;
            fill_alert(a, r, zi, tr, t);
            continue;
        }
        if (!s->inside_h && s->dist <= -a->c.enter_margin_m)
            s->inside_h = true;
        else if (s->inside_h && s->dist > a->c.exit_margin_m)
            s->inside_h = false;
        s->predicted = false;
        if (s->dist <= 0 || s->inside_h) {
            s->ttb = 0;
            s->ttb_sd = 0;
        } else if (a->c.horizon_s > 0 && speed >= a->c.min_speed_mps) {
            double te, n[3];
            if (zone_entry(z, tr->x, tr->x + 3, a->c.horizon_s, &te, n)) {
                s->predicted = true;
                s->ttb = te;
                s->ttb_sd = ttb_sigma(tr, n, te);
            }
        }
        if (s->inside_h || s->predicted) {
            s->engaged = true;
            s->last_cond_t = t;
        } else if (s->engaged && t - s->last_cond_t >= a->c.clear_hold_s) {
            s->engaged = false;
        }
        fill_alert(a, r, zi, tr, t);
    }
}

static bool material_change(const alerts *a, const sg_alert *now, const sg_alert *sent)
{
    if (now->inside != sent->inside || now->allow_listed != sent->allow_listed ||
        now->severity != sent->severity || strcmp(now->identity, sent->identity) != 0 ||
        strcmp(now->cls, sent->cls) != 0)
        return true;
    bool fn = isfinite(now->time_to_breach), fs = isfinite(sent->time_to_breach);
    if (fn != fs)
        return true;
    if (fn) {
        double d = fabs(now->time_to_breach - sent->time_to_breach);
        return d > a->c.ttb_change_s && d > 0.25 * sent->time_to_breach;
    }
    return false;
}

static int cand_cmp(const void *x, const void *y)
{
    const cand *p = x, *q = y;
    int pp = p->kind == SG_ALERT_UPDATED, qp = q->kind == SG_ALERT_UPDATED;
    if (pp != qp)
        return pp - qp;
    if (p->sev != q->sev)
        return p->sev > q->sev ? -1 : 1;
    /* Within a severity, CLEARED before RAISED keeps the open count bounded. */
    if (p->kind != q->kind)
        return p->kind == SG_ALERT_CLEARED ? -1 : 1;
    if (p->rec != q->rec)
        return p->rec < q->rec ? -1 : 1;
    return p->zone < q->zone ? -1 : p->zone > q->zone;
}

int alerts_update(alerts *a, double t, const sg_track *tracks, size_t n, alerts_cb cb, void *user)
{
    if (!a || (n && !tracks) || !isfinite(t))
        return SG_EINVAL;
    if (a->started && t < a->t_last - 1e-3)
        return SG_EINVAL;
    double dt = a->started ? fmax(0.0, t - a->t_last) : 0.0;
    a->tokens = fmin(a->c.max_events_per_s, a->tokens + dt * a->c.max_events_per_s);
    a->t_last = t;
    a->started = true;

    /* Pass 1: which followed tracks are still there. Tracks gone from the list (or
     * deleted) clear at once and keep their last values; a gone track without open
     * alerts frees its record before new tracks need one. */
    for (size_t i = 0; i < a->c.max_tracks; i++)
        a->rec[i].seen = false;
    for (size_t i = 0; i < n; i++) {
        trec *r = find_rec(a, tracks[i].id, false);
        if (r)
            r->seen = tracks[i].status != SG_TRACK_DELETED;
    }
    for (size_t i = 0; i < a->c.max_tracks; i++) {
        trec *r = &a->rec[i];
        if (!r->used || r->seen)
            continue;
        r->gone = true;
        bool open = false;
        for (size_t zi = 0; zi < a->nz; zi++) {
            r->z[zi].inside_h = r->z[zi].predicted = r->z[zi].engaged = false;
            r->z[zi].cur.t = t;
            open = open || r->z[zi].open;
        }
        if (!open)
            drop_rec(a, r);
    }
    /* Pass 2: evaluate the live tracks against every zone. */
    for (size_t i = 0; i < n; i++) {
        const sg_track *tr = &tracks[i];
        bool finite = true;
        for (int k = 0; k < 6; k++)
            finite = finite && isfinite(tr->x[k]);
        if (!finite) {
            a->st.tracks_invalid++;
            continue;
        }
        if (tr->status == SG_TRACK_DELETED)
            continue;
        trec *r = find_rec(a, tr->id, true);
        if (!r) {
            a->st.tracks_over_capacity++;
            continue;
        }
        if (r->gone) /* reappeared while its CLEARED was still deferred */
            r->gone = false;
        r->seen = true;
        bool eligible = a->c.alert_tentative || tr->status != SG_TRACK_TENTATIVE;
        eval_track(a, r, tr, t, eligible);
    }

    /* Nested layers: only the highest engaged severity holds open alerts. */
    size_t nc = 0;
    for (size_t i = 0; i < a->c.max_tracks; i++) {
        trec *r = &a->rec[i];
        if (!r->used)
            continue;
        int top = -1;
        for (size_t zi = 0; zi < a->nz; zi++)
            if (r->z[zi].engaged && (int)zone_severity(zones_at(a->zs, zi)) > top)
                top = (int)zone_severity(zones_at(a->zs, zi));
        for (size_t zi = 0; zi < a->nz; zi++) {
            zst *s = &r->z[zi];
            sg_severity zsev = zone_severity(zones_at(a->zs, zi));
            bool want = s->engaged && (int)zsev == top;
            cand c = {(uint32_t)i, (uint32_t)zi, SG_ALERT_RAISED, zsev};
            if (want && !s->open) {
                a->cands[nc++] = c;
            } else if (!want && s->open) {
                c.kind = SG_ALERT_CLEARED;
                a->cands[nc++] = c;
            } else if (want && s->open) {
                if (material_change(a, &s->cur, &s->sent)) {
                    if (s->dirty)
                        a->st.updates_coalesced++;
                    s->dirty = true;
                }
                if (s->dirty && t - s->last_emit_t >= a->c.update_interval_s) {
                    c.kind = SG_ALERT_UPDATED;
                    a->cands[nc++] = c;
                }
            }
        }
    }
    qsort(a->cands, nc, sizeof *a->cands, cand_cmp);
    int emitted = 0;
    for (size_t k = 0; k < nc; k++) {
        const cand *c = &a->cands[k];
        if (a->tokens < 1.0) {
            a->st.events_deferred += nc - k;
            break;
        }
        a->tokens -= 1.0;
        zst *s = &a->rec[c->rec].z[c->zone];
        sg_alert ev = s->cur;
        ev.state = c->kind;
        if (c->kind == SG_ALERT_RAISED) {
            ev.id = a->next_id++;
            s->open = true;
            a->st.raised++;
            a->st.open++;
        } else {
            ev.id = s->sent.id;
            if (c->kind == SG_ALERT_CLEARED) {
                s->open = false;
                a->st.cleared++;
                a->st.open--;
            } else {
                a->st.updated++;
            }
        }
        s->cur.id = ev.id;
        s->cur.state = ev.state;
        s->sent = ev;
        s->dirty = false;
        s->last_emit_t = t;
        if (cb)
            cb(&ev, user);
        emitted++;
    }
    /* Forget tracks that are gone once their alerts are cleared. */
    for (size_t i = 0; i < a->c.max_tracks; i++) {
        trec *r = &a->rec[i];
        if (!r->used || !r->gone)
            continue;
        bool any = false;
        for (size_t zi = 0; zi < a->nz && !any; zi++)
            any = r->z[zi].open;
        if (!any)
            drop_rec(a, r);
    }
    return emitted;
}

size_t alerts_active(const alerts *a, sg_alert *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < a->c.max_tracks; i++) {
        const trec *r = &a->rec[i];
        if (!r->used)
            continue;
        for (size_t zi = 0; zi < a->nz; zi++) {
            const zst *s = &r->z[zi];
            if (!s->open)
                continue;
            if (n < cap) {
                out[n] = s->cur;
                out[n].id = s->sent.id;
                out[n].state = s->sent.state;
            }
            n++;
        }
    }
    return n;
}

size_t alerts_track_zones(const alerts *a, uint32_t track_id, alerts_zone_state *out, size_t cap)
{
    const trec *r = find_rec((alerts *)a, track_id, false); /* lookup only: no mutation */
    if (!r)
        return 0;
    size_t n = 0;
    for (size_t zi = 0; zi < a->nz; zi++) {
        const zst *s = &r->z[zi];
        if (!(s->inside_h || s->predicted || s->open))
            continue;
        if (n < cap) {
            alerts_zone_state *o = &out[n];
            snprintf(o->zone_id, sizeof o->zone_id, "%s", s->cur.zone_id);
            o->severity = zone_severity(zones_at(a->zs, zi));
            o->inside = s->inside_h;
            o->distance_m = s->dist;
            o->time_to_breach = s->ttb;
            o->time_to_breach_sd = s->ttb_sd;
            o->alert_open = s->open;
        }
        n++;
    }
    return n;
}

void alerts_get_stats(const alerts *a, alerts_stats *s)
{
    *s = a->st;
}
