/* Full-screen drawing of the console; see watch_render.h. */
#include "watch_render.h"

#include <math.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#define LINE_MAX_COLS 512

typedef struct {
    const char *head;
    int w;    /* width without the separating space; the last column takes the rest */
    int prio; /* 0 always shown; larger numbers are dropped first */
} column;

static const column track_cols[] = {
    {"ID", 5, 0},      {"STATUS", 9, 4},   {"CLASS", 11, 2},    {"IDENTITY", 16, 3},
    {"TAG", 5, 0},     {"RANGE m", 7, 1},  {"BRG", 3, 1},       {"HAE m", 6, 1},
    {"AMSL m", 6, 3},  {"AGL m", 5, 1},   {"SPD", 5, 3},      {"CRS", 3, 4},       {"TTB s", 5, 0},
    {"POSITION", 20, 5}, {"PILOT", 20, 4}, {"ZONES", 24, 0},
};
#define N_TRACK_COLS (int)(sizeof track_cols / sizeof track_cols[0])

static const column alert_cols[] = {
    {"ID", 5, 0},     {"SEVERITY", 8, 0}, {"STATE", 7, 0},  {"ACK", 3, 0},
    {"ZONE", 20, 0},  {"TRACK", 5, 1},    {"IN", 3, 2},     {"TTB s", 11, 1},
    {"IDENTITY", 16, 3},
};
#define N_ALERT_COLS (int)(sizeof alert_cols / sizeof alert_cols[0])

/* Highest priority that fits: every kept column plus a space, the last at its width. */
static int fit_prio(const column *c, int n, int cols)
{
    for (int p = 5; p > 0; p--) {
        int w = 0;
        for (int i = 0; i < n; i++)
            if (c[i].prio <= p)
                w += c[i].w + 1;
        if (w <= cols)
            return p;
    }
    return 0;
}

/* Lays cells out in the kept columns, cut to cols; `mark` is the selection marker. */
static void layout(char *out, const column *c, int n, const char *const *cells, int prio,
                   int cols, char mark)
{
    int k = 0;
    out[k++] = mark;
    for (int i = 0; i < n && k < cols; i++) {
        if (c[i].prio > prio)
            continue;
        bool last = i == n - 1;
        int room = cols - k;
        int w = last ? room : c[i].w < room ? c[i].w : room;
        k += snprintf(out + k, (size_t)(LINE_MAX_COLS - k), "%-*.*s", w, w, cells[i]);
        if (!last && k < cols)
            out[k++] = ' ';
    }
    if (k > cols)
        k = cols;
    while (k > 0 && out[k - 1] == ' ')
        k--;
    out[k] = '\0';
}

/* Prints text cut to cols, wrapped in an attribute when colour is on. */
static void put(FILE *f, const watch_render_opts *o, const char *attr, const char *text, int cols)
{
    bool on = o->color && attr && attr[0];
    fprintf(f, "%s%.*s%s\n", on ? attr : "", cols, text, on ? "\033[0m" : "");
}

const char *watch_sev_attr(int sev)
{
    static const char *const col[] = {"", "\033[33m", "\033[31m", "\033[1;37;41m"};
    return sev >= 0 && sev < 4 ? col[sev] : "";
}

void watch_fmt_num(char *out, size_t cap, const char *fmt, double v)
{
    if (isnan(v))
        snprintf(out, cap, "-");
    else
        snprintf(out, cap, fmt, v);
}

void watch_fmt_time(double t, const tz_info *tz, bool full, char *out, size_t cap)
{
    if (!isfinite(t) || t < 0 || t > 253402300799.0) {
        snprintf(out, cap, "-");
        return;
    }
    int64_t ms = (int64_t)llround(t * 1000.0);
    int64_t s = ms / 1000;
    int32_t off = tz ? tz_offset(tz, s) : 0;
    time_t lt = (time_t)(s + off);
    struct tm tm;
    gmtime_r(&lt, &tm);
    if (!full) {
        snprintf(out, cap, "%02d:%02d:%02d", tm.tm_hour, tm.tm_min, tm.tm_sec);
        return;
    }
    int a = off < 0 ? -off : off;
    snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%03d%c%02d:%02d", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000),
             off < 0 ? '-' : '+', a / 3600, a / 60 % 60);
}

static void zones_text(char *out, size_t cap, const feed_msg_track *t)
{
    size_t n = 0;
    out[0] = '\0';
    for (int i = 0; i < t->n_zones && n < cap; i++) {
        const feed_msg_zone *z = &t->zones[i];
        n += (size_t)snprintf(out + n, cap - n, "%s%s(%s%s)", i ? " " : "", z->id,
                              sg_severity_name(z->severity), z->inside ? ",IN" : "");
    }
    if (t->n_zones_total > t->n_zones && n < cap)
        snprintf(out + n, cap - n, " +%d", t->n_zones_total - t->n_zones);
}

static void track_line(char *line, const watch_model *m, const watch_track *r, int prio,
                       int cols, char mark)
{
    const feed_msg_track *t = &r->tk;
    char id[16], rng[16], brg[16], hae[16], amsl[16], agl[16], spd[16], crs[16], ttb[16], pos[48],
        pil[48], z[256];
    snprintf(id, sizeof id, "%u", (unsigned)t->id);
    watch_fmt_num(rng, sizeof rng, "%.0f", watch_track_range(m, t));
    watch_fmt_num(brg, sizeof brg, "%03.0f", watch_track_bearing(m, t));
    watch_fmt_num(hae, sizeof hae, "%.0f", t->alt_m);
    watch_fmt_num(amsl, sizeof amsl, "%.0f", r->amsl_m);
    watch_fmt_num(agl, sizeof agl, "%.0f", r->agl_m);
    watch_fmt_num(spd, sizeof spd, "%.1f", t->speed_mps);
    watch_fmt_num(crs, sizeof crs, "%03.0f", t->course_deg);
    watch_fmt_num(ttb, sizeof ttb, "%.0f", watch_track_ttb(t));
    snprintf(pos, sizeof pos, "%.5f,%.5f", t->lat, t->lon);
    if (t->has_operator)
        snprintf(pil, sizeof pil, "%.5f,%.5f", t->op_lat, t->op_lon);
    else
        snprintf(pil, sizeof pil, "-");
    zones_text(z, sizeof z, t);
    const char *cells[N_TRACK_COLS] = {
        id, sg_track_status_name(t->status), t->cls[0] ? t->cls : "-",
        t->identity[0] ? t->identity : "-", watch_track_allow_listed(m, t->id) ? "ALLOW" : "",
        rng, brg, hae, amsl, agl, spd, crs, ttb, pos, pil, z[0] ? z : "-"};
    layout(line, track_cols, N_TRACK_COLS, cells, prio, cols, mark);
}

static void alert_line(char *line, const watch_alert *r, int prio, int cols, char mark)
{
    const feed_msg_alert *a = &r->al;
    char id[16], trk[16], ttb[48] = "-", ident[SG_ID_LEN + 16];
    snprintf(id, sizeof id, "%u", (unsigned)a->id);
    snprintf(trk, sizeof trk, "%u", (unsigned)a->track_id);
    if (!isnan(a->ttb_s) && !isnan(a->ttb_sd_s))
        snprintf(ttb, sizeof ttb, "%.1f+-%.1f", a->ttb_s, a->ttb_sd_s);
    else if (!isnan(a->ttb_s))
        snprintf(ttb, sizeof ttb, "%.1f", a->ttb_s);
    snprintf(ident, sizeof ident, "%s%s", a->identity[0] ? a->identity : "-",
             a->allow_listed ? " ALLOW" : "");
    const char *cells[N_ALERT_COLS] = {
        id, sg_severity_name(a->severity), r->stale ? "STALE" : sg_alert_state_name(a->state),
        r->acked ? "ACK" : "", a->zone, trk, a->inside ? "yes" : "no", ttb, ident};
    layout(line, alert_cols, N_ALERT_COLS, cells, prio, cols, mark);
}

static void heads(char *line, const column *c, int n, int prio, int cols)
{
    const char *cells[16];
    for (int i = 0; i < n; i++)
        cells[i] = c[i].head;
    layout(line, c, n, cells, prio, cols, ' ');
}

static const char *help_text[] = {
    "sg_watch keys",
    "  q            quit",
    "  h ?          this help (any key closes it)",
    "  p space      pause / resume the display (messages are still received)",
    "  up/down j/k  select an alert or a track",
    "  a            acknowledge the selected alert (on this console only: ACK)",
    "  s            sort: id, severity, time to breach, range",
    "  f            severity filter: all, info+, warning+, alert+, critical",
    "",
    "STALE: the feed went silent or the alert's track is gone; not known to be raised.",
    "Heights: the second line says what HAE, AMSL and AGL are measured from.",
    "RANGE/BRG: from the site origin (the feed's enu_m, else the venue file's origin).",
    "ALLOW: identity on the venue allow-list, or an alert on the track says allow_listed.",
    "PILOT: operator position when the feed has one. '-': unknown, never guessed.",
};

/* A fusion node's sensor nodes (docs/nodes.md): a summary line, then one line per node
 * with its state, clock offset, link delay and drops (messages lost on the link, events
 * its own queue or pipe dropped), red when silent or its clock is off. Returns lines. */
static int nodes_lines(FILE *f, const watch_render_opts *o, const feed_msg_status *s,
                       char *line, int cols)
{
    static const char *const states[] = {"waiting", "ok", "silent"};
    if (!s->has_nodes)
        return 0;
    char r[32], mf[32], l[32], lt[32];
    watch_fmt_num(r, sizeof r, "%.0f", s->nodes_refused);
    watch_fmt_num(mf, sizeof mf, "%.0f", s->nodes_malformed);
    watch_fmt_num(l, sizeof l, "%.0f", s->nodes_lost);
    watch_fmt_num(lt, sizeof lt, "%.0f", s->nodes_late);
    snprintf(line, LINE_MAX_COLS + 1, "NODES (%d)  refused %s  malformed %s  lost %s  late %s",
             s->n_nodes, r, mf, l, lt);
    put(f, o, "\033[1m", line, cols);
    for (int i = 0; i < s->n_nodes; i++) {
        const feed_msg_node *n = &s->nodes[i];
        double drops = NAN; /* node-wide: the same on each of its sensors */
        for (int k = 0; k < s->n_sensors; k++)
            if (strcmp(s->sensors[k].node, n->name) == 0 && !isnan(s->sensors[k].link_dropped))
                drops = fmax(isnan(drops) ? 0 : drops, s->sensors[k].link_dropped);
        char off[32], dl[32], lost[32], dr[32];
        watch_fmt_num(off, sizeof off, "%+.4f s", n->clock_offset_s);
        watch_fmt_num(dl, sizeof dl, "%.2f ms", n->link_delay_ms);
        watch_fmt_num(lost, sizeof lost, "%.0f", n->lost);
        watch_fmt_num(dr, sizeof dr, "%.0f", drops);
        snprintf(line, LINE_MAX_COLS + 1, " %-16s %-7s offset %-12s delay %-10s lost %-6s "
                 "link drops %s%s", n->name, n->state >= 0 && n->state < 3 ? states[n->state] : "?",
                 off, dl, lost, dr, n->clock_flagged ? "  CLOCK OFF" : "");
        put(f, o, n->state != 1 || n->clock_flagged ? "\033[31m" : "", line, cols);
    }
    return 1 + s->n_nodes;
}

void watch_draw(FILE *f, watch_model *m, const watch_render_opts *o, int cols, int rows,
                double now)
{
    char line[LINE_MAX_COLS + 64];
    if (cols > LINE_MAX_COLS)
        cols = LINE_MAX_COLS;
    watch_sort_tables(m);
    fputs("\033[H\033[2J", f);
    char filt[32];
    snprintf(filt, sizeof filt, "%s%s", m->sev_filter < 0 ? "all" :
             sg_severity_name((sg_severity)m->sev_filter), m->sev_filter < 0 ? "" : "+");
    snprintf(line, sizeof line, "skyguard watch%s  h help  sort %s  filter %s  %s",
             m->paused ? "  PAUSED" : "", watch_sort_name(m->sort), filt, o->title);
    put(f, o, "\033[1m", line, cols);
    /* the height reference: what each height column is measured from */
    int k = snprintf(line, sizeof line, "heights: HAE=WGS84 ellipsoid");
    if (!isnan(m->venue.geoid_n_m))
        k += snprintf(line + k, sizeof line - (size_t)k, "  AMSL=HAE-%.1f m (EGM96)",
                      m->venue.geoid_n_m);
    if (!isnan(m->venue.geoid_n_m) && !isnan(m->venue.ground_amsl_m))
        snprintf(line + k, sizeof line - (size_t)k, "  AGL=AMSL-%.1f m (venue ground)",
                 m->venue.ground_amsl_m);
    else
        snprintf(line + k, sizeof line - (size_t)k, "  AGL=Remote ID height (if reported)");
    put(f, o, "", line, cols);
    int used = 2;
    if (m->feed_lost) {
        snprintf(line, sizeof line, "*** FEED LOST: no message for %.0f s (limit %.0f s); "
                 "alerts shown STALE ***", now - m->last_rx, o->feed_lost_s);
        put(f, o, "\033[1;37;41m", line, cols);
        used++;
    }
    if (m->have_status) {
        const feed_msg_status *s = &m->status;
        char a[32], b[32], d[32], e[32];
        watch_fmt_num(a, sizeof a, "%.0f", s->samples_processed);
        watch_fmt_num(b, sizeof b, "%.0f", s->samples_dropped);
        watch_fmt_num(d, sizeof d, "%.0f", s->queue_depth);
        watch_fmt_num(e, sizeof e, "%.1f", s->pipeline_p99_ms);
        int k = snprintf(line, sizeof line, "node %s  samples %s  dropped %s  queue %s  p99 %s ms"
                         "  status %.0f s ago  sensors:", s->node, a, b, d, e,
                         now - m->status_rx);
        for (int i = 0; i < s->n_sensors && k < (int)sizeof line - 40; i++) {
            feed_sensor_state st = s->sensors[i].state;
            k += snprintf(line + k, sizeof line - (size_t)k, " %s%s%s%s", s->sensors[i].id,
                          st == FEED_SENSOR_OK ? "" : "(",
                          st == FEED_SENSOR_OK ? "" : feed_sensor_state_name(st),
                          st == FEED_SENSOR_OK ? "" : ")");
        }
        put(f, o, now - m->status_rx > 10 ? "\033[31m" : "", line, cols);
        used += nodes_lines(f, o, s, line, cols);
    } else {
        put(f, o, "", "no status received yet", cols);
    }
    used++;
    if (m->help) {
        for (size_t i = 0; i < sizeof help_text / sizeof help_text[0]; i++)
            put(f, o, i ? "" : "\033[1m", help_text[i], cols);
        fflush(f);
        return;
    }

    int idx[WATCH_MAX_ALERTS + WATCH_MAX_TRACKS];
    int n = watch_visible(m, idx, (int)(sizeof idx / sizeof idx[0]));
    int n_al = 0;
    while (n_al < n && idx[n_al] < WATCH_MAX_ALERTS)
        n_al++;
    if (m->selected >= n)
        m->selected = n - 1;
    int hist = m->n_history < 6 ? m->n_history : 6;
    int budget = rows - used - 9 - hist; /* titles, heads, history, detail, footer */
    if (budget < 2)
        budget = 2;
    int al_rows = n_al < budget / 2 ? n_al : budget / 2;
    int tk_rows = n - n_al < budget - al_rows ? n - n_al : budget - al_rows;
    /* keep the selection on screen */
    int al_first = m->selected >= 0 && m->selected < n_al && m->selected >= al_rows ?
                   m->selected - al_rows + 1 : 0;
    int ts = m->selected - n_al;
    int tk_first = ts >= tk_rows ? ts - tk_rows + 1 : 0;

    int ap = fit_prio(alert_cols, N_ALERT_COLS, cols);
    snprintf(line, sizeof line, "ALERTS (%d)", n_al);
    put(f, o, "\033[1m", line, cols);
    heads(line, alert_cols, N_ALERT_COLS, ap, cols);
    put(f, o, "\033[4m", line, cols);
    for (int i = al_first; i < al_first + al_rows && i < n_al; i++) {
        const watch_alert *r = &m->alerts[idx[i]];
        bool sel = i == m->selected;
        alert_line(line, r, ap, cols, sel ? '>' : ' ');
        put(f, o, sel ? "\033[7m" : r->stale || r->acked ? "\033[2m" :
                  watch_sev_attr((int)r->al.severity), line, cols);
    }
    int tp = fit_prio(track_cols, N_TRACK_COLS, cols);
    snprintf(line, sizeof line, "TRACKS (%d)%s", n - n_al,
             n - n_al > tk_rows ? "  (more below)" : "");
    put(f, o, "\033[1m", line, cols);
    heads(line, track_cols, N_TRACK_COLS, tp, cols);
    put(f, o, "\033[4m", line, cols);
    for (int i = n_al + tk_first; i < n_al + tk_first + tk_rows && i < n; i++) {
        const watch_track *r = &m->tracks[idx[i] - WATCH_MAX_ALERTS];
        bool sel = i == m->selected;
        track_line(line, m, r, tp, cols, sel ? '>' : ' ');
        put(f, o, sel ? "\033[7m" : watch_sev_attr(watch_track_sev(&r->tk)), line, cols);
    }
    /* the selected row in full, whatever the width dropped */
    line[0] = '\0';
    if (m->selected >= 0 && m->selected < n && idx[m->selected] >= WATCH_MAX_ALERTS) {
        const feed_msg_track *t = &m->tracks[idx[m->selected] - WATCH_MAX_ALERTS].tk;
        char sd[16], op[64] = "pilot unknown";
        watch_fmt_num(sd, sizeof sd, "%.0f", t->pos_sd_m);
        if (t->has_operator)
            snprintf(op, sizeof op, "pilot %.5f,%.5f", t->op_lat, t->op_lon);
        snprintf(line, sizeof line, "track %u: %.6f,%.6f HAE %.0f m sd %s m  %s  %s",
                 (unsigned)t->id, t->lat, t->lon, t->alt_m, sd, op,
                 t->identity[0] ? t->identity : "no identity");
    } else if (m->selected >= 0 && m->selected < n) {
        const feed_msg_alert *a = &m->alerts[idx[m->selected]].al;
        snprintf(line, sizeof line, "alert %u: %s %s zone %s track %u %s", (unsigned)a->id,
                 sg_severity_name(a->severity), sg_alert_state_name(a->state), a->zone,
                 (unsigned)a->track_id, a->allow_listed ? "allow-listed" : "");
    }
    put(f, o, "", line, cols);
    snprintf(line, sizeof line, "ALERT HISTORY (%d, newest first)", m->n_history);
    put(f, o, "\033[1m", line, cols);
    for (int i = 0; i < hist; i++) {
        const watch_event *ev = watch_history(m, i);
        char ts[48];
        watch_fmt_time(ev->t, o->tz, false, ts, sizeof ts);
        snprintf(line, sizeof line, " %s  %-7s %-8s %-20s alert %u track %u", ts,
                 sg_alert_state_name(ev->state), sg_severity_name(ev->severity), ev->zone,
                 (unsigned)ev->id, (unsigned)ev->track_id);
        put(f, o, "", line, cols);
    }
    put(f, o, "", o->footer ? o->footer : "", cols);
    if (o->problem && o->problem[0]) {
        snprintf(line, sizeof line, "last problem: %s", o->problem);
        put(f, o, "", line, cols);
    }
    fflush(f);
}
