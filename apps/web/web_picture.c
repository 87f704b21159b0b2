/* The operator map's picture and its event ring (see web_picture.h). */
#include "web_picture.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sg_clock.h"

typedef struct {
    uint32_t id;
    cJSON *msg;                       /* last message as the page reads it */
    double trail[WEB_TRAIL_MAX][2];   /* deg lat, lon; ring, oldest at head */
    int n_trail, head;
    double rx;                        /* monotonic s of the last update */
} track_e;

typedef struct {
    uint32_t id;
    cJSON *msg;
    bool acked;
    char ack_by[64];
    double ack_t;                     /* s UTC (wall clock) */
    double t_raised;                  /* s UTC (sample clock): first message of the alert */
} alert_e;

typedef struct {
    char key[3 * SG_ID_LEN + 4];      /* sensor|class|identity */
    cJSON *msg;
    double rx;
} rf_e;

typedef struct {
    char node[SG_ID_LEN];
    cJSON *msg;
} node_e;

struct web_picture {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    web_picture_cfg c;
    sg_allow_entry *allow;
    track_e *tracks;
    size_t n_tracks;
    alert_e alerts[WEB_MAX_ALERTS];   /* oldest first */
    size_t n_alerts;
    rf_e rf[WEB_MAX_RF];
    size_t n_rf;
    node_e nodes[WEB_MAX_NODES];
    size_t n_nodes;
    cJSON *zones;                     /* {"zone id": active} */
    char **ring;
    uint64_t next_seq;                /* sequence number of the next event */
    bool halted;
    bool have_rx;
    double last_rx;                   /* monotonic s of the last feed message */
    double last_t;                    /* s UTC sample clock of the last message */
    web_picture_stats st;
    char last_error[256];
};

/* ---- events ------------------------------------------------------------------------ */

char *web_sse_record(const char *event, const char *json)
{
    if (!json)
        return NULL;
    size_t n = strlen(event) + strlen(json) + 24;
    char *r = malloc(n);
    if (r)
        snprintf(r, n, "event: %s\ndata: %s\n\n", event, json);
    return r;
}

/* Appends one SSE record; takes the JSON text (NULL: memory failure, dropped). */
static int emit(web_picture *p, const char *event, char *json)
{
    char *rec = web_sse_record(event, json);
    free(json);
    if (!rec)
        return SG_ENOMEM;
    size_t slot = (size_t)(p->next_seq % p->c.ring);
    free(p->ring[slot]);
    p->ring[slot] = rec;
    p->next_seq++;
    pthread_cond_broadcast(&p->cv);
    return SG_OK;
}

static int emit_json(web_picture *p, const char *event, const cJSON *j)
{
    return emit(p, event, j ? cJSON_PrintUnformatted(j) : NULL);
}

/* ---- create / destroy ---------------------------------------------------------------- */

web_picture *web_picture_create(const web_picture_cfg *c, sg_errinfo *e)
{
    if (!(c->stale_s > 0) || !(c->feed_lost_s > 0) || c->ring < 16 || c->ring > (1u << 20) ||
        (c->n_allow && !c->allow)) {
        sg_err_set(e, SG_EINVAL, "web picture: stale_s and feed_lost_s must be > 0, ring "
                   "16..1048576, allow-list given with its count");
        return NULL;
    }
    web_picture *p = calloc(1, sizeof *p);
    if (!p || !(p->tracks = calloc(WEB_MAX_TRACKS, sizeof *p->tracks)) ||
        !(p->ring = calloc(c->ring, sizeof *p->ring)) || !(p->zones = cJSON_CreateObject()) ||
        (c->n_allow && !(p->allow = malloc(c->n_allow * sizeof *p->allow)))) {
        sg_err_set(e, SG_ENOMEM, "web picture: out of memory");
        web_picture_destroy(p);
        return NULL;
    }
    p->c = *c;
    if (c->n_allow)
        memcpy(p->allow, c->allow, c->n_allow * sizeof *p->allow);
    p->c.allow = p->allow;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    return p;
}

void web_picture_destroy(web_picture *p)
{
    if (!p)
        return;
    if (p->tracks) {
        for (size_t i = 0; i < p->n_tracks; i++)
            cJSON_Delete(p->tracks[i].msg);
        free(p->tracks);
        pthread_mutex_destroy(&p->mu);
        pthread_cond_destroy(&p->cv);
    }
    for (size_t i = 0; i < p->n_alerts; i++)
        cJSON_Delete(p->alerts[i].msg);
    for (size_t i = 0; i < p->n_rf; i++)
        cJSON_Delete(p->rf[i].msg);
    for (size_t i = 0; i < p->n_nodes; i++)
        cJSON_Delete(p->nodes[i].msg);
    if (p->ring)
        for (size_t i = 0; i < p->c.ring; i++)
            free(p->ring[i]);
    free(p->ring);
    free(p->allow);
    cJSON_Delete(p->zones);
    free(p);
}

/* ---- applying messages ----------------------------------------------------------------- */

static const sg_allow_entry *allowed(const web_picture *p, const char *identity)
{
    if (!identity[0])
        return NULL;
    for (size_t i = 0; i < p->c.n_allow; i++)
        if (strcmp(p->allow[i].identity, identity) == 0)
            return &p->allow[i];
    return NULL;
}

static cJSON *trail_json(const track_e *t)
{
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; a && i < t->n_trail; i++) {
        const double *ll = t->trail[(t->head + i) % WEB_TRAIL_MAX];
        cJSON *pt = cJSON_CreateDoubleArray(ll, 2);
        if (!pt || !cJSON_AddItemToArray(a, pt)) {
            cJSON_Delete(pt);
            cJSON_Delete(a);
            return NULL;
        }
    }
    return a;
}

static void remove_track(web_picture *p, size_t i)
{
    cJSON_Delete(p->tracks[i].msg);
    p->tracks[i] = p->tracks[--p->n_tracks];
}

static int apply_track(web_picture *p, const feed_msg *m, cJSON *j, double now)
{
    const feed_msg_track *t = &m->u.track;
    const sg_allow_entry *a = allowed(p, t->identity);
    if (!cJSON_AddBoolToObject(j, "allow_listed", a != NULL) ||
        (a && !cJSON_AddStringToObject(j, "allow_label", a->label)))
        return SG_ENOMEM;
    size_t i = 0;
    while (i < p->n_tracks && p->tracks[i].id != t->id)
        i++;
    if (t->status == SG_TRACK_DELETED) {
        if (i < p->n_tracks)
            remove_track(p, i);
        return SG_OK;
    }
    if (i == p->n_tracks) {
        if (p->n_tracks == WEB_MAX_TRACKS) {
            p->st.table_full++;
            return SG_EOVERFLOW;
        }
        memset(&p->tracks[i], 0, sizeof p->tracks[i]);
        p->tracks[i].id = t->id;
        p->n_tracks++;
    }
    track_e *e = &p->tracks[i];
    cJSON *copy = cJSON_Duplicate(j, true);
    if (!copy)
        return SG_ENOMEM;
    cJSON_Delete(e->msg);
    e->msg = copy;
    e->rx = now;
    double *last = e->n_trail ? e->trail[(e->head + e->n_trail - 1) % WEB_TRAIL_MAX] : NULL;
    if (!last || last[0] != t->lat || last[1] != t->lon) {
        int slot;
        if (e->n_trail < WEB_TRAIL_MAX) {
            slot = (e->head + e->n_trail++) % WEB_TRAIL_MAX;
        } else {
            slot = e->head;
            e->head = (e->head + 1) % WEB_TRAIL_MAX;
        }
        e->trail[slot][0] = t->lat;
        e->trail[slot][1] = t->lon;
    }
    return SG_OK;
}

static bool alert_cleared(const alert_e *a)
{
    const char *st = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(a->msg, "state"));
    return st && strcmp(st, "cleared") == 0;
}

static int add_ack(cJSON *j, const alert_e *a)
{
    cJSON_DeleteItemFromObjectCaseSensitive(j, "ack");
    if (!a->acked)
        return SG_OK;
    cJSON *o = cJSON_AddObjectToObject(j, "ack");
    return o && cJSON_AddStringToObject(o, "by", a->ack_by) &&
                   cJSON_AddNumberToObject(o, "t", a->ack_t)
               ? SG_OK
               : SG_ENOMEM;
}

static int apply_alert(web_picture *p, const feed_msg *m, cJSON *j)
{
    const feed_msg_alert *al = &m->u.alert;
    size_t i = 0;
    while (i < p->n_alerts && p->alerts[i].id != al->id)
        i++;
    if (i == p->n_alerts) {
        if (p->n_alerts == WEB_MAX_ALERTS) {
            /* history full: the oldest cleared alert goes, else the oldest of all */
            size_t k = 0;
            while (k < p->n_alerts && !alert_cleared(&p->alerts[k]))
                k++;
            if (k == p->n_alerts) {
                k = 0;
                p->st.table_full++;
            }
            cJSON_Delete(p->alerts[k].msg);
            memmove(&p->alerts[k], &p->alerts[k + 1], (p->n_alerts - k - 1) * sizeof p->alerts[0]);
            p->n_alerts--;
            i = p->n_alerts;
        }
        memset(&p->alerts[i], 0, sizeof p->alerts[i]);
        p->alerts[i].id = al->id;
        p->alerts[i].t_raised = m->t;
        p->n_alerts++;
    }
    alert_e *a = &p->alerts[i];
    if (add_ack(j, a) || !cJSON_AddNumberToObject(j, "t_raised", a->t_raised))
        return SG_ENOMEM;
    cJSON *copy = cJSON_Duplicate(j, true);
    if (!copy)
        return SG_ENOMEM;
    cJSON_Delete(a->msg);
    a->msg = copy;
    return SG_OK;
}

static int apply_rf(web_picture *p, const feed_msg *m, cJSON *j, double now)
{
    const feed_msg_rf *r = &m->u.rf;
    char key[sizeof p->rf[0].key];
    snprintf(key, sizeof key, "%s|%s|%s", r->sensor, r->cls, r->identity);
    if (!cJSON_AddStringToObject(j, "key", key))
        return SG_ENOMEM;
    size_t i = 0;
    while (i < p->n_rf && strcmp(p->rf[i].key, key) != 0)
        i++;
    if (i == p->n_rf) {
        if (p->n_rf == WEB_MAX_RF) {
            p->st.table_full++;
            return SG_EOVERFLOW;
        }
        memset(&p->rf[i], 0, sizeof p->rf[i]);
        snprintf(p->rf[i].key, sizeof p->rf[i].key, "%s", key);
        p->n_rf++;
    }
    cJSON *copy = cJSON_Duplicate(j, true);
    if (!copy)
        return SG_ENOMEM;
    cJSON_Delete(p->rf[i].msg);
    p->rf[i].msg = copy;
    p->rf[i].rx = now;
    return SG_OK;
}

static int apply_status(web_picture *p, const feed_msg *m, cJSON *j)
{
    const char *node = m->u.status.node;
    size_t i = 0;
    while (i < p->n_nodes && strcmp(p->nodes[i].node, node) != 0)
        i++;
    if (i == p->n_nodes) {
        if (p->n_nodes == WEB_MAX_NODES) {
            p->st.table_full++;
            return SG_EOVERFLOW;
        }
        memset(&p->nodes[i], 0, sizeof p->nodes[i]);
        snprintf(p->nodes[i].node, sizeof p->nodes[i].node, "%s", node);
        p->n_nodes++;
    }
    cJSON *copy = cJSON_Duplicate(j, true);
    if (!copy)
        return SG_ENOMEM;
    cJSON_Delete(p->nodes[i].msg);
    p->nodes[i].msg = copy;
    return SG_OK;
}

int web_picture_apply(web_picture *p, const feed_msg *m, double now)
{
    cJSON *j = cJSON_Duplicate(m->json, true);
    if (!j)
        return SG_ENOMEM;
    pthread_mutex_lock(&p->mu);
    p->st.received++;
    p->have_rx = true;
    p->last_rx = now;
    p->last_t = m->t;
    int rc;
    switch (m->type) {
    case FEED_MSG_TRACK:
        rc = apply_track(p, m, j, now);
        break;
    case FEED_MSG_ALERT:
        rc = apply_alert(p, m, j);
        break;
    case FEED_MSG_RF:
        rc = apply_rf(p, m, j, now);
        break;
    default:
        rc = apply_status(p, m, j);
        break;
    }
    if (rc == SG_OK || rc == SG_EOVERFLOW) {
        int erc = emit_json(p, "msg", j);
        if (rc == SG_OK)
            rc = erc;
    }
    pthread_mutex_unlock(&p->mu);
    cJSON_Delete(j);
    return rc;
}

void web_picture_count_bad(web_picture *p, bool unsupported, const char *why)
{
    pthread_mutex_lock(&p->mu);
    p->st.received++;
    if (unsupported)
        p->st.unsupported++;
    else
        p->st.malformed++;
    snprintf(p->last_error, sizeof p->last_error, "%s", why ? why : "");
    pthread_mutex_unlock(&p->mu);
}

void web_picture_count_auth_refused(web_picture *p, const char *why)
{
    pthread_mutex_lock(&p->mu);
    p->st.auth_refused++;
    snprintf(p->last_error, sizeof p->last_error, "%s", why ? why : "");
    pthread_mutex_unlock(&p->mu);
}

void web_picture_count_resync(web_picture *p)
{
    pthread_mutex_lock(&p->mu);
    p->st.resyncs++;
    pthread_mutex_unlock(&p->mu);
}

/* ---- periodic --------------------------------------------------------------------------- */

static cJSON *feed_json(const web_picture *p, double now)
{
    cJSON *f = cJSON_CreateObject();
    double age = p->have_rx ? now - p->last_rx : NAN;
    bool ok = f && (p->have_rx ? cJSON_AddNumberToObject(f, "age_s", age) != NULL
                               : cJSON_AddNullToObject(f, "age_s") != NULL) &&
              cJSON_AddBoolToObject(f, "lost", !p->have_rx || age > p->c.feed_lost_s) &&
              cJSON_AddNumberToObject(f, "lost_after_s", p->c.feed_lost_s) &&
              (p->have_rx ? cJSON_AddNumberToObject(f, "last_t", p->last_t) != NULL
                          : cJSON_AddNullToObject(f, "last_t") != NULL) &&
              cJSON_AddNumberToObject(f, "received", (double)p->st.received) &&
              cJSON_AddNumberToObject(f, "malformed", (double)p->st.malformed) &&
              cJSON_AddNumberToObject(f, "unsupported", (double)p->st.unsupported) &&
              cJSON_AddNumberToObject(f, "table_full", (double)p->st.table_full) &&
              cJSON_AddNumberToObject(f, "auth_refused", (double)p->st.auth_refused) &&
              cJSON_AddNumberToObject(f, "resyncs", (double)p->st.resyncs) &&
              cJSON_AddStringToObject(f, "last_error", p->last_error);
    if (!ok) {
        cJSON_Delete(f);
        return NULL;
    }
    return f;
}

void web_picture_tick(web_picture *p, double now)
{
    pthread_mutex_lock(&p->mu);
    for (size_t i = 0; i < p->n_tracks;) {
        if (now - p->tracks[i].rx > p->c.stale_s) {
            char buf[64];
            snprintf(buf, sizeof buf, "{\"kind\":\"track\",\"id\":%u}",
                     (unsigned)p->tracks[i].id);
            remove_track(p, i);
            emit(p, "expire", strdup(buf));
        } else {
            i++;
        }
    }
    for (size_t i = 0; i < p->n_rf;) {
        if (now - p->rf[i].rx > p->c.stale_s) {
            cJSON *o = cJSON_CreateObject();
            if (o && cJSON_AddStringToObject(o, "kind", "rf") &&
                cJSON_AddStringToObject(o, "key", p->rf[i].key))
                emit_json(p, "expire", o);
            cJSON_Delete(o);
            cJSON_Delete(p->rf[i].msg);
            p->rf[i] = p->rf[--p->n_rf];
        } else {
            i++;
        }
    }
    cJSON *f = feed_json(p, now);
    emit_json(p, "feed", f);
    cJSON_Delete(f);
    pthread_mutex_unlock(&p->mu);
}

int web_picture_set_zones(web_picture *p, const cJSON *active)
{
    cJSON *copy = cJSON_Duplicate(active, true);
    if (!copy)
        return SG_ENOMEM;
    pthread_mutex_lock(&p->mu);
    int rc = SG_OK;
    if (!cJSON_Compare(copy, p->zones, true)) {
        cJSON_Delete(p->zones);
        p->zones = copy;
        copy = NULL;
        rc = emit_json(p, "zones", p->zones);
    }
    pthread_mutex_unlock(&p->mu);
    cJSON_Delete(copy);
    return rc;
}

int web_picture_ack(web_picture *p, uint32_t alert_id, const char *who, double wall_t)
{
    pthread_mutex_lock(&p->mu);
    size_t i = 0;
    while (i < p->n_alerts && p->alerts[i].id != alert_id)
        i++;
    int rc = SG_OK;
    if (i == p->n_alerts) {
        rc = SG_ENOTFOUND;
    } else if (!p->alerts[i].acked) {
        alert_e *a = &p->alerts[i];
        a->acked = true;
        a->ack_t = wall_t;
        snprintf(a->ack_by, sizeof a->ack_by, "%s", who ? who : "");
        rc = add_ack(a->msg, a);
        cJSON *ev = cJSON_CreateObject();
        if (rc == SG_OK && !(ev && cJSON_AddNumberToObject(ev, "id", alert_id) &&
                             cJSON_AddStringToObject(ev, "by", a->ack_by) &&
                             cJSON_AddNumberToObject(ev, "t", wall_t)))
            rc = SG_ENOMEM;
        if (rc == SG_OK)
            rc = emit_json(p, "ack", ev);
        cJSON_Delete(ev);
    }
    pthread_mutex_unlock(&p->mu);
    return rc;
}

/* ---- readers ------------------------------------------------------------------------------ */

static bool add_copy(cJSON *arr, const cJSON *item)
{
    cJSON *c = cJSON_Duplicate(item, true);
    if (!c || !cJSON_AddItemToArray(arr, c)) {
        cJSON_Delete(c);
        return false;
    }
    return true;
}

char *web_picture_snapshot(web_picture *p, double now, uint64_t *next_seq)
{
    pthread_mutex_lock(&p->mu);
    cJSON *s = cJSON_CreateObject();
    cJSON *tr = cJSON_AddArrayToObject(s, "tracks"), *al = cJSON_AddArrayToObject(s, "alerts");
    cJSON *st = cJSON_AddArrayToObject(s, "status"), *rf = cJSON_AddArrayToObject(s, "rf");
    bool ok = s && tr && al && st && rf;
    for (size_t i = 0; ok && i < p->n_tracks; i++) {
        cJSON *c = cJSON_Duplicate(p->tracks[i].msg, true), *trail = trail_json(&p->tracks[i]);
        ok = c && trail && cJSON_AddItemToObject(c, "trail", trail) && cJSON_AddItemToArray(tr, c);
        if (!ok) {
            if (!c || !cJSON_GetObjectItem(c, "trail"))
                cJSON_Delete(trail);
            cJSON_Delete(c);
        }
    }
    for (size_t i = p->n_alerts; ok && i-- > 0;)
        ok = add_copy(al, p->alerts[i].msg);
    for (size_t i = 0; ok && i < p->n_nodes; i++)
        ok = add_copy(st, p->nodes[i].msg);
    for (size_t i = 0; ok && i < p->n_rf; i++)
        ok = add_copy(rf, p->rf[i].msg);
    cJSON *z = ok ? cJSON_Duplicate(p->zones, true) : NULL, *f = ok ? feed_json(p, now) : NULL;
    if (z && !cJSON_AddItemToObject(s, "zones", z)) {
        cJSON_Delete(z);
        z = NULL;
    }
    if (f && !cJSON_AddItemToObject(s, "feed", f)) {
        cJSON_Delete(f);
        f = NULL;
    }
    char *out = ok && z && f ? cJSON_PrintUnformatted(s) : NULL;
    *next_seq = p->next_seq;
    pthread_mutex_unlock(&p->mu);
    cJSON_Delete(s);
    return out;
}

int web_picture_next(web_picture *p, uint64_t *seq, double timeout_s, char **out)
{
    *out = NULL;
    struct timespec dl;
    sg_deadline(&dl, CLOCK_REALTIME, timeout_s);
    pthread_mutex_lock(&p->mu);
    int rc = SG_OK;
    while (!p->halted && *seq == p->next_seq && rc == SG_OK)
        if (pthread_cond_timedwait(&p->cv, &p->mu, &dl) == ETIMEDOUT)
            rc = SG_ETIMEOUT;
    if (p->halted) {
        rc = SG_ESTATE;
    } else if (*seq != p->next_seq) {
        uint64_t oldest = p->next_seq > p->c.ring ? p->next_seq - p->c.ring : 0;
        if (*seq < oldest || *seq > p->next_seq) {
            rc = SG_EOVERFLOW;
        } else {
            rc = (*out = strdup(p->ring[*seq % p->c.ring])) ? SG_OK : SG_ENOMEM;
            if (rc == SG_OK)
                (*seq)++;
        }
    }
    pthread_mutex_unlock(&p->mu);
    return rc;
}

void web_picture_halt(web_picture *p)
{
    pthread_mutex_lock(&p->mu);
    p->halted = true;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

void web_picture_get_stats(web_picture *p, web_picture_stats *s)
{
    pthread_mutex_lock(&p->mu);
    *s = p->st;
    s->tracks = p->n_tracks;
    s->alerts = p->n_alerts;
    s->rf = p->n_rf;
    s->last_t = p->have_rx ? p->last_t : NAN;
    pthread_mutex_unlock(&p->mu);
}
