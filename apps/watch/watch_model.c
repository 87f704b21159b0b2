/* The console's tables and view state; see watch_model.h. */
#include "watch_model.h"

#include <math.h>

#include "geo.h"
#include <stdlib.h>
#include <string.h>

void watch_model_init(watch_model *m)
{
    memset(m, 0, sizeof *m);
    m->sort = WATCH_SORT_SEVERITY;
    m->sev_filter = -1;
    m->selected = -1;
    m->last_rx = -1;
    m->venue = (watch_venue){.lat = NAN, .lon = NAN, .geoid_n_m = NAN, .ground_amsl_m = NAN};
}

int watch_track_sev(const feed_msg_track *t)
{
    int s = -1;
    for (int i = 0; i < t->n_zones; i++)
        if ((int)t->zones[i].severity > s)
            s = (int)t->zones[i].severity;
    return s;
}

double watch_track_ttb(const feed_msg_track *t)
{
    double best = NAN;
    for (int i = 0; i < t->n_zones; i++) {
        double v = t->zones[i].inside ? 0.0 : t->zones[i].ttb_s;
        if (!isnan(v) && (isnan(best) || v < best))
            best = v;
    }
    return best;
}

/* Range (m) and bearing (deg) from the origin; false when unknown. */
static bool range_bearing(const watch_model *m, const feed_msg_track *t, double *r, double *b)
{
    if (!isnan(t->enu_m[0]) && !isnan(t->enu_m[1])) {
        *r = hypot(t->enu_m[0], t->enu_m[1]);
        *b = atan2(t->enu_m[0], t->enu_m[1]) * 180.0 / M_PI;
    } else if (!isnan(m->venue.lat) && !isnan(m->venue.lon)) {
        double az1, az2;
        geo_inverse(m->venue.lat * GEO_DEG, m->venue.lon * GEO_DEG, t->lat * GEO_DEG,
                    t->lon * GEO_DEG, r, &az1, &az2);
        *b = az1 * 180.0 / M_PI;
    } else {
        return false;
    }
    if (*b < 0)
        *b += 360.0;
    if (*b >= 360.0)
        *b -= 360.0;
    return true;
}

double watch_track_range(const watch_model *m, const feed_msg_track *t)
{
    double r, b;
    return range_bearing(m, t, &r, &b) ? r : NAN;
}

double watch_track_bearing(const watch_model *m, const feed_msg_track *t)
{
    double r, b;
    return range_bearing(m, t, &r, &b) ? b : NAN;
}

bool watch_track_allow_listed(const watch_model *m, uint32_t track_id)
{
    for (int i = 0; i < m->n_alerts; i++)
        if (m->alerts[i].al.track_id == track_id && m->alerts[i].al.allow_listed)
            return true;
    for (int i = 0; i < m->n_tracks; i++)
        if (m->tracks[i].tk.id == track_id)
            return m->tracks[i].allow_listed;
    return false;
}

/* Remote ID height above ground, when the transmitter reports it against the ground. */
static double rid_agl(const cJSON *json)
{
    const cJSON *rid = cJSON_GetObjectItemCaseSensitive(json, "remote_id");
    const cJSON *ref = cJSON_GetObjectItemCaseSensitive(rid, "height_ref");
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(rid, "height_m");
    if (cJSON_IsString(ref) && !strcmp(ref->valuestring, "agl") && cJSON_IsNumber(h) &&
        isfinite(h->valuedouble))
        return h->valuedouble;
    return NAN;
}

static void add_history(watch_model *m, const feed_msg *msg)
{
    const feed_msg_alert *a = &msg->u.alert;
    m->history_head = (m->history_head + WATCH_HISTORY - 1) % WATCH_HISTORY;
    watch_event *ev = &m->history[m->history_head];
    ev->t = msg->t;
    ev->id = a->id;
    ev->track_id = a->track_id;
    ev->state = a->state;
    ev->severity = a->severity;
    memcpy(ev->zone, a->zone, sizeof ev->zone);
    if (m->n_history < WATCH_HISTORY)
        m->n_history++;
}

const watch_event *watch_history(const watch_model *m, int i)
{
    if (i < 0 || i >= m->n_history)
        return NULL;
    return &m->history[(m->history_head + i) % WATCH_HISTORY];
}

bool watch_apply(watch_model *m, const feed_msg *msg, double now)
{
    m->last_rx = now;
    m->feed_lost = false;
    if (msg->type == FEED_MSG_TRACK) {
        const feed_msg_track *t = &msg->u.track;
        int i = 0;
        while (i < m->n_tracks && m->tracks[i].tk.id != t->id)
            i++;
        if (t->status == SG_TRACK_DELETED) {
            if (i < m->n_tracks)
                m->tracks[i] = m->tracks[--m->n_tracks];
            return false;
        }
        if (i == m->n_tracks) {
            if (m->n_tracks == WATCH_MAX_TRACKS) {
                m->table_full++;
                return false;
            }
            m->n_tracks++;
        }
        m->tracks[i].tk = *t;
        m->tracks[i].rx = now;
        watch_track *r = &m->tracks[i];
        const watch_venue *v = &m->venue;
        r->amsl_m = t->alt_m - v->geoid_n_m; /* NAN when N is unknown */
        r->agl_m = !isnan(r->amsl_m) && !isnan(v->ground_amsl_m) ? r->amsl_m - v->ground_amsl_m
                                                                   : rid_agl(msg->json);
        r->allow_listed = v->site && t->identity[0] && site_allowed(v->site, t->identity, NULL);
    } else if (msg->type == FEED_MSG_ALERT) {
        const feed_msg_alert *a = &msg->u.alert;
        int i = 0;
        while (i < m->n_alerts && m->alerts[i].al.id != a->id)
            i++;
        /* history: what changed (new, cleared, re-graded), not every re-send */
        if (i == m->n_alerts || a->state == SG_ALERT_CLEARED ||
            a->severity != m->alerts[i].al.severity)
            add_history(m, msg);
        if (a->state == SG_ALERT_CLEARED) {
            if (i < m->n_alerts)
                m->alerts[i] = m->alerts[--m->n_alerts];
            return false;
        }
        bool fresh = i == m->n_alerts;
        if (fresh) {
            if (m->n_alerts == WATCH_MAX_ALERTS) {
                m->table_full++;
                return false;
            }
            m->n_alerts++;
            m->alerts[i].acked = false;
        }
        m->alerts[i].al = *a;
        m->alerts[i].rx = now;
        m->alerts[i].stale = false;
        return fresh && a->severity == SG_SEV_CRITICAL && !msg->snapshot;
    } else if (msg->type == FEED_MSG_RF) {
        const feed_msg_rf *r = &msg->u.rf;
        int i = 0;
        while (i < m->n_rf && (strcmp(m->rf[i].rf.sensor, r->sensor) != 0 ||
                               strcmp(m->rf[i].rf.cls, r->cls) != 0))
            i++;
        if (i == m->n_rf) {
            if (m->n_rf == WATCH_MAX_RF) {
                m->table_full++;
                return false;
            }
            m->n_rf++;
        }
        m->rf[i].rf = *r;
        m->rf[i].rx = now;
    } else {
        m->status = msg->u.status;
        m->have_status = true;
        m->status_rx = now;
    }
    return false;
}

static bool have_track(const watch_model *m, uint32_t id)
{
    for (int i = 0; i < m->n_tracks; i++)
        if (m->tracks[i].tk.id == id)
            return true;
    return false;
}

void watch_expire(watch_model *m, double now, double feed_lost_s)
{
    m->feed_lost = m->last_rx >= 0 ? now - m->last_rx > feed_lost_s : false;
    for (int i = 0; i < m->n_tracks;)
        if (now - m->tracks[i].rx > WATCH_STALE_S)
            m->tracks[i] = m->tracks[--m->n_tracks];
        else
            i++;
    for (int i = 0; i < m->n_rf;)
        if (now - m->rf[i].rx > WATCH_STALE_S)
            m->rf[i] = m->rf[--m->n_rf];
        else
            i++;
    for (int i = 0; i < m->n_alerts;) {
        watch_alert *a = &m->alerts[i];
        bool stale = m->feed_lost || !have_track(m, a->al.track_id);
        if (stale && !a->stale)
            a->stale_since = now;
        a->stale = stale;
        if (stale && now - a->stale_since > WATCH_STALE_S)
            m->alerts[i] = m->alerts[--m->n_alerts];
        else
            i++;
    }
}

/* NAN sorts last, ascending otherwise. */
static int cmp_num(double a, double b)
{
    if (isnan(a) || isnan(b))
        return isnan(a) - isnan(b);
    return (a > b) - (a < b);
}

static watch_sort sort_key; /* qsort has no context argument; one thread owns the model */
static const watch_model *sort_model;

static double track_range_of(uint32_t id)
{
    for (int i = 0; i < sort_model->n_tracks; i++)
        if (sort_model->tracks[i].tk.id == id)
            return watch_track_range(sort_model, &sort_model->tracks[i].tk);
    return NAN;
}

static int cmp_alert(const void *x, const void *y)
{
    const feed_msg_alert *a = &((const watch_alert *)x)->al, *b = &((const watch_alert *)y)->al;
    int c = 0;
    if (sort_key == WATCH_SORT_TTB)
        c = cmp_num(a->inside ? 0 : a->ttb_s, b->inside ? 0 : b->ttb_s);
    else if (sort_key == WATCH_SORT_RANGE)
        c = cmp_num(track_range_of(a->track_id), track_range_of(b->track_id));
    if (!c && sort_key != WATCH_SORT_ID)
        c = (int)b->severity - (int)a->severity;
    return c ? c : (a->id > b->id) - (a->id < b->id);
}

static int cmp_track(const void *x, const void *y)
{
    const feed_msg_track *a = &((const watch_track *)x)->tk, *b = &((const watch_track *)y)->tk;
    int c = 0;
    if (sort_key == WATCH_SORT_SEVERITY)
        c = watch_track_sev(b) - watch_track_sev(a);
    else if (sort_key == WATCH_SORT_TTB)
        c = cmp_num(watch_track_ttb(a), watch_track_ttb(b));
    else if (sort_key == WATCH_SORT_RANGE)
        c = cmp_num(watch_track_range(sort_model, a), watch_track_range(sort_model, b));
    return c ? c : (a->id > b->id) - (a->id < b->id);
}

void watch_sort_tables(watch_model *m)
{
    sort_key = m->sort;
    sort_model = m;
    qsort(m->alerts, (size_t)m->n_alerts, sizeof m->alerts[0], cmp_alert);
    qsort(m->tracks, (size_t)m->n_tracks, sizeof m->tracks[0], cmp_track);
    sort_model = NULL;
}

int watch_visible(const watch_model *m, int *idx, int cap)
{
    int n = 0;
    for (int i = 0; i < m->n_alerts && n < cap; i++)
        if ((int)m->alerts[i].al.severity >= m->sev_filter)
            idx[n++] = i;
    for (int i = 0; i < m->n_tracks && n < cap; i++)
        if (m->sev_filter < 0 || watch_track_sev(&m->tracks[i].tk) >= m->sev_filter)
            idx[n++] = WATCH_MAX_ALERTS + i;
    return n;
}

bool watch_key(watch_model *m, int key)
{
    int idx[WATCH_MAX_ALERTS + WATCH_MAX_TRACKS];
    int n = watch_visible(m, idx, (int)(sizeof idx / sizeof idx[0]));
    if (m->help && key != 'q') {
        m->help = false; /* any key closes the help overlay */
        return true;
    }
    switch (key) {
    case 'q':
    case 'Q':
        return false;
    case 'h':
    case '?':
        m->help = true;
        break;
    case 'p':
    case ' ':
        m->paused = !m->paused;
        break;
    case 'k':
    case WATCH_KEY_UP:
        if (n)
            m->selected = m->selected <= 0 ? 0 : m->selected - 1;
        break;
    case 'j':
    case WATCH_KEY_DOWN:
        if (n)
            m->selected = m->selected < 0 ? 0 : m->selected + 1 < n ? m->selected + 1 : n - 1;
        break;
    case 'a':
        if (m->selected >= 0 && m->selected < n && idx[m->selected] < WATCH_MAX_ALERTS)
            m->alerts[idx[m->selected]].acked = true;
        break;
    case 's':
        m->sort = (watch_sort)((m->sort + 1) % WATCH_SORT_COUNT_);
        break;
    case 'f':
        m->sev_filter = m->sev_filter >= SG_SEV_CRITICAL ? -1 : m->sev_filter + 1;
        m->selected = -1;
        break;
    default:
        break;
    }
    return true;
}

const char *watch_sort_name(watch_sort s)
{
    static const char *const names[] = {"id", "severity", "time to breach", "range"};
    return (unsigned)s < WATCH_SORT_COUNT_ ? names[s] : "?";
}
