/* sg_watch: the operator console for the skyguard feed (docs/feed-schema.md).
 *
 * Subscribes to the daemon's PUB endpoint (CURVE with the server's public key and our
 * own key pair, or plaintext on loopback only), parses every frame with feed_msg, and
 * either keeps a live table of tracks, alerts, RF presence and daemon health redrawn at
 * most --rate times a second (on a terminal), or prints one line per message (pipes,
 * scripts, --once/--count). --log appends every received frame, good or bad, as JSONL.
 * Malformed frames are counted and shown, never fatal.
 *
 * Exit codes: 0 done (interrupted, --once/--count reached, or --timeout without
 * --count); 1 setup error; 2 usage; 3 --timeout before --count messages; 4 the server
 * refused our key (ZAP) in line mode. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "feed_auth.h"
#include "feed_client.h"
#include "feed_msg.h"
#include "sg_clock.h"

#define MAX_TOPICS FEED_CLIENT_MAX_TOPICS
#define MAX_TRACKS 512
#define MAX_ALERTS 256
#define MAX_RF 64
#define STALE_S 30.0          /* s without an update before a row is dropped */

typedef struct {
    const char *endpoint, *server_key, *key, *log_path;
    bool plaintext, lines, color, once;
    const char *topics[MAX_TOPICS];
    int n_topics;
    int min_sev;              /* -1: no severity filter */
    const char *cls, *identity;
    long count;               /* 0: unlimited */
    double timeout;           /* s; 0: none */
    double rate;              /* Hz of table redraws */
} options;

typedef struct {
    feed_msg_track tk;
    double rx;  /* monotonic s of the last update */
} track_row;

typedef struct {
    feed_msg_alert al;
    double rx;
} alert_row;

typedef struct {
    feed_msg_rf rf;
    double rx;
} rf_row;

typedef struct {
    track_row tracks[MAX_TRACKS];
    int n_tracks;
    alert_row alerts[MAX_ALERTS];
    int n_alerts;
    rf_row rf[MAX_RF];
    int n_rf;
    feed_msg_status status;
    bool have_status;
    double status_rx;
    uint64_t received, shown, filtered, malformed, unsupported, table_full, log_errors;
    uint64_t auth_refused;
    char last_error[256];
} console;

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static double mono_s(void)
{
    return sg_clock_s(CLOCK_MONOTONIC);
}

static double wall_s(void)
{
    return sg_clock_s(CLOCK_REALTIME);
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: sg_watch [options] [ENDPOINT]   (default tcp://127.0.0.1:5556)\n"
            "security (one of):\n"
            "  --server-key FILE   server public key (sg_keygen's .pub); with --key: CURVE\n"
            "  --key FILE          our key pair (sg_keygen's .key, mode 0600); its public key\n"
            "                      must be on the server's allow-list\n"
            "  --plaintext         no encryption; loopback endpoints only\n"
            "filters:\n"
            "  --topic PREFIX      subscribe to topics starting with PREFIX (repeatable;\n"
            "                      default all: track. alert. status. rf.)\n"
            "  --min-severity S    info|warning|alert|critical: hide alerts below S and\n"
            "                      tracks with no zone at or above S\n"
            "  --class CLS         only tracks/alerts/rf of this class\n"
            "  --identity TEXT     only tracks/alerts whose identity contains TEXT\n"
            "output:\n"
            "  --log FILE          append every received frame as JSONL\n"
            "                      {\"rx_time\", \"topic\", \"msg\" | \"error\" + \"raw\"}\n"
            "  --lines             one line per message even on a terminal\n"
            "  --once | --count N  print lines, exit after 1 / N shown messages\n"
            "  --timeout S         exit after S seconds (exit 3 if --count not reached)\n"
            "  --rate HZ           table redraws per second at most (default 4)\n"
            "  --no-color          no ANSI colours\n");
}

static int parse_args(int argc, char **argv, options *o)
{
    memset(o, 0, sizeof *o);
    o->endpoint = "tcp://127.0.0.1:5556";
    o->min_sev = -1;
    o->rate = 4;
    o->color = isatty(STDOUT_FILENO);
    bool have_ep = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define NEED_ARG()                                                                         \
    do {                                                                                   \
        if (!v) {                                                                          \
            fprintf(stderr, "sg_watch: %s needs a value\n", a);                            \
            return 2;                                                                      \
        }                                                                                  \
        i++;                                                                               \
    } while (0)
        char *end;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            exit(0);
        } else if (!strcmp(a, "-e") || !strcmp(a, "--endpoint")) {
            NEED_ARG();
            o->endpoint = v;
            have_ep = true;
        } else if (!strcmp(a, "--server-key")) {
            NEED_ARG();
            o->server_key = v;
        } else if (!strcmp(a, "--key")) {
            NEED_ARG();
            o->key = v;
        } else if (!strcmp(a, "--plaintext")) {
            o->plaintext = true;
        } else if (!strcmp(a, "--topic")) {
            NEED_ARG();
            if (o->n_topics == MAX_TOPICS) {
                fprintf(stderr, "sg_watch: at most %d --topic\n", MAX_TOPICS);
                return 2;
            }
            o->topics[o->n_topics++] = v;
        } else if (!strcmp(a, "--min-severity")) {
            NEED_ARG();
            if ((o->min_sev = sg_severity_parse(v)) < 0) {
                fprintf(stderr, "sg_watch: --min-severity: one of info, warning, alert, "
                                "critical\n");
                return 2;
            }
        } else if (!strcmp(a, "--class")) {
            NEED_ARG();
            o->cls = v;
        } else if (!strcmp(a, "--identity")) {
            NEED_ARG();
            o->identity = v;
        } else if (!strcmp(a, "--log")) {
            NEED_ARG();
            o->log_path = v;
        } else if (!strcmp(a, "--lines")) {
            o->lines = true;
        } else if (!strcmp(a, "--once")) {
            o->once = true;
            o->count = 1;
        } else if (!strcmp(a, "--count")) {
            NEED_ARG();
            o->count = strtol(v, &end, 10);
            if (*end || o->count < 1) {
                fprintf(stderr, "sg_watch: --count: a positive integer\n");
                return 2;
            }
        } else if (!strcmp(a, "--timeout")) {
            NEED_ARG();
            o->timeout = strtod(v, &end);
            if (*end || !(o->timeout > 0) || o->timeout > 1e7) {
                fprintf(stderr, "sg_watch: --timeout: seconds > 0\n");
                return 2;
            }
        } else if (!strcmp(a, "--rate")) {
            NEED_ARG();
            o->rate = strtod(v, &end);
            if (*end || !(o->rate >= 0.1 && o->rate <= 100)) {
                fprintf(stderr, "sg_watch: --rate: 0.1 to 100 Hz\n");
                return 2;
            }
        } else if (!strcmp(a, "--no-color")) {
            o->color = false;
        } else if (a[0] != '-' && !have_ep) {
            o->endpoint = a;
            have_ep = true;
        } else {
            fprintf(stderr, "sg_watch: unknown argument %s (see --help)\n", a);
            return 2;
        }
#undef NEED_ARG
    }
    if (o->count)
        o->lines = true;
    if (!isatty(STDOUT_FILENO))
        o->lines = true;
    if (o->plaintext && (o->server_key || o->key)) {
        fprintf(stderr, "sg_watch: --plaintext and CURVE keys are exclusive\n");
        return 2;
    }
    if (!o->plaintext && (!o->server_key || !o->key)) {
        fprintf(stderr, "sg_watch: give --server-key FILE and --key FILE (CURVE), or "
                        "--plaintext for a loopback endpoint\n");
        return 2;
    }
    if (o->plaintext && !feed_endpoint_is_loopback(o->endpoint)) {
        fprintf(stderr, "sg_watch: %s: refusing plaintext off loopback (use tcp://127.0.0.1:"
                        "PORT, tcp://[::1]:PORT or ipc://, or CURVE keys)\n", o->endpoint);
        return 2;
    }
    return 0;
}

/* ---- filters and state ------------------------------------------------------------- */

static int track_max_sev(const feed_msg_track *t)
{
    int m = -1;
    for (int i = 0; i < t->n_zones; i++)
        if ((int)t->zones[i].severity > m)
            m = (int)t->zones[i].severity;
    return m;
}

static bool wanted(const options *o, const feed_msg *m)
{
    const char *cls = NULL, *id = NULL;
    int sev = INT32_MAX;
    switch (m->type) {
    case FEED_MSG_TRACK:
        cls = m->u.track.cls;
        id = m->u.track.identity;
        sev = track_max_sev(&m->u.track);
        break;
    case FEED_MSG_ALERT:
        cls = m->u.alert.cls;
        id = m->u.alert.identity;
        sev = (int)m->u.alert.severity;
        break;
    case FEED_MSG_RF:
        cls = m->u.rf.cls;
        id = m->u.rf.identity;
        break;
    default:
        return true; /* daemon health is always shown */
    }
    if (o->min_sev >= 0 && sev < o->min_sev)
        return false;
    if (o->cls && strcmp(cls, o->cls) != 0)
        return false;
    if (o->identity && !strstr(id, o->identity))
        return false;
    return true;
}

static void apply(console *c, const feed_msg *m, double now)
{
    if (m->type == FEED_MSG_TRACK) {
        const feed_msg_track *t = &m->u.track;
        int i = 0;
        while (i < c->n_tracks && c->tracks[i].tk.id != t->id)
            i++;
        if (t->status == SG_TRACK_DELETED) {
            if (i < c->n_tracks)
                c->tracks[i] = c->tracks[--c->n_tracks];
            return;
        }
        if (i == c->n_tracks) {
            if (c->n_tracks == MAX_TRACKS) {
                c->table_full++;
                return;
            }
            c->n_tracks++;
        }
        c->tracks[i].tk = *t;
        c->tracks[i].rx = now;
    } else if (m->type == FEED_MSG_ALERT) {
        const feed_msg_alert *a = &m->u.alert;
        int i = 0;
        while (i < c->n_alerts && c->alerts[i].al.id != a->id)
            i++;
        if (a->state == SG_ALERT_CLEARED) {
            if (i < c->n_alerts)
                c->alerts[i] = c->alerts[--c->n_alerts];
            return;
        }
        if (i == c->n_alerts) {
            if (c->n_alerts == MAX_ALERTS) {
                c->table_full++;
                return;
            }
            c->n_alerts++;
        }
        c->alerts[i].al = *a;
        c->alerts[i].rx = now;
    } else if (m->type == FEED_MSG_RF) {
        const feed_msg_rf *r = &m->u.rf;
        int i = 0;
        while (i < c->n_rf && (strcmp(c->rf[i].rf.sensor, r->sensor) != 0 ||
                               strcmp(c->rf[i].rf.cls, r->cls) != 0))
            i++;
        if (i == c->n_rf) {
            if (c->n_rf == MAX_RF) {
                c->table_full++;
                return;
            }
            c->n_rf++;
        }
        c->rf[i].rf = *r;
        c->rf[i].rx = now;
    } else {
        c->status = m->u.status;
        c->have_status = true;
        c->status_rx = now;
    }
}

/* Drops rows not refreshed for STALE_S (a restarted daemon never sends "deleted"). */
static void expire(console *c, double now)
{
    for (int i = 0; i < c->n_tracks;)
        if (now - c->tracks[i].rx > STALE_S)
            c->tracks[i] = c->tracks[--c->n_tracks];
        else
            i++;
    for (int i = 0; i < c->n_rf;)
        if (now - c->rf[i].rx > STALE_S)
            c->rf[i] = c->rf[--c->n_rf];
        else
            i++;
}

/* ---- rendering ----------------------------------------------------------------------- */

static const char *sev_color(int sev)
{
    static const char *const col[] = {"", "\033[33m", "\033[31m", "\033[1;37;41m"};
    return sev >= 0 && sev < 4 ? col[sev] : "";
}

static void fmt_num(char *out, size_t cap, const char *fmt, double v)
{
    if (isnan(v))
        snprintf(out, cap, "-");
    else
        snprintf(out, cap, fmt, v);
}

static void fmt_zones(char *out, size_t cap, const feed_msg_track *t)
{
    size_t n = 0;
    out[0] = '\0';
    for (int i = 0; i < t->n_zones && n < cap; i++) {
        const feed_msg_zone *z = &t->zones[i];
        char ttb[32] = "";
        if (!z->inside && !isnan(z->ttb_s))
            snprintf(ttb, sizeof ttb, ",ttb %.0fs", z->ttb_s);
        n += (size_t)snprintf(out + n, cap - n, "%s%s(%s%s%s)", i ? " " : "", z->id,
                              sg_severity_name(z->severity), z->inside ? ",IN" : "", ttb);
    }
    if (t->n_zones_total > t->n_zones && n < cap)
        snprintf(out + n, cap - n, " +%d", t->n_zones_total - t->n_zones);
}

static void print_line(const options *o, const feed_msg *m)
{
    char a[32], b[32], c[32], d[32], z[512];
    const char *on = "", *off = "";
    switch (m->type) {
    case FEED_MSG_TRACK: {
        const feed_msg_track *t = &m->u.track;
        fmt_num(a, sizeof a, "%.1f", t->speed_mps);
        fmt_num(b, sizeof b, "%.0f", t->course_deg);
        fmt_num(c, sizeof c, "%.2f", t->cls_conf);
        fmt_zones(z, sizeof z, t);
        if (o->color && track_max_sev(t) > 0) {
            on = sev_color(track_max_sev(t));
            off = "\033[0m";
        }
        printf("%sTRACK %u %s class=%s(%s) identity=%s pos=%.6f,%.6f alt=%.1fm speed=%sm/s "
               "course=%s zones=[%s]%s%s\n", on, (unsigned)t->id,
               sg_track_status_name(t->status), t->cls[0] ? t->cls : "-", c,
               t->identity[0] ? t->identity : "-", t->lat, t->lon, t->alt_m, a, b, z,
               m->snapshot ? " snapshot" : "", off);
        break;
    }
    case FEED_MSG_ALERT: {
        const feed_msg_alert *al = &m->u.alert;
        fmt_num(a, sizeof a, "%.1f", al->ttb_s);
        fmt_num(b, sizeof b, "%.1f", al->ttb_sd_s);
        if (o->color) {
            on = sev_color((int)al->severity);
            off = "\033[0m";
        }
        printf("%sALERT %u %s %s zone=%s track=%u inside=%s ttb=%ss sd=%ss identity=%s "
               "class=%s%s%s%s\n", on, (unsigned)al->id, sg_alert_state_name(al->state),
               sg_severity_name(al->severity), al->zone, (unsigned)al->track_id,
               al->inside ? "yes" : "no", a, b, al->identity[0] ? al->identity : "-",
               al->cls[0] ? al->cls : "-", al->allow_listed ? " allow-listed" : "",
               m->snapshot ? " snapshot" : "", off);
        break;
    }
    case FEED_MSG_RF: {
        const feed_msg_rf *r = &m->u.rf;
        fmt_num(a, sizeof a, "%.3f", r->fc_hz / 1e6);
        fmt_num(b, sizeof b, "%.0f", r->bw_hz / 1e3);
        fmt_num(c, sizeof c, "%.2f", r->cls_conf);
        printf("RF %s class=%s(%s) fc=%sMHz bw=%skHz%s\n", r->sensor, r->cls[0] ? r->cls : "-",
               c, a, b, m->snapshot ? " snapshot" : "");
        break;
    }
    default: {
        const feed_msg_status *s = &m->u.status;
        fmt_num(a, sizeof a, "%.0f", s->samples_processed);
        fmt_num(b, sizeof b, "%.0f", s->samples_dropped);
        fmt_num(c, sizeof c, "%.0f", s->queue_depth);
        fmt_num(d, sizeof d, "%.1f", s->pipeline_p99_ms);
        size_t n = 0;
        z[0] = '\0';
        for (int i = 0; i < s->n_sensors && n < sizeof z; i++)
            n += (size_t)snprintf(z + n, sizeof z - n, "%s%s:%s", i ? "," : "", s->sensors[i].id,
                                  feed_sensor_state_name(s->sensors[i].state));
        printf("STATUS %s samples=%s dropped=%s queue=%s pipeline_p99=%sms sensors=[%s]\n",
               s->node, a, b, c, d, z);
        break;
    }
    }
}

static int cmp_alert(const void *x, const void *y)
{
    const alert_row *a = x, *b = y;
    if (a->al.severity != b->al.severity)
        return (int)b->al.severity - (int)a->al.severity;
    return a->al.id < b->al.id ? -1 : a->al.id > b->al.id;
}

static int cmp_track(const void *x, const void *y)
{
    const track_row *a = x, *b = y;
    return a->tk.id < b->tk.id ? -1 : a->tk.id > b->tk.id;
}

static void draw(const options *o, console *c)
{
    struct winsize ws;
    int rows = ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 10 ? ws.ws_row : 40;
    const char *B = o->color ? "\033[1m" : "", *R = o->color ? "\033[0m" : "";
    qsort(c->tracks, (size_t)c->n_tracks, sizeof c->tracks[0], cmp_track);
    qsort(c->alerts, (size_t)c->n_alerts, sizeof c->alerts[0], cmp_alert);
    int budget = rows - 12; /* lines left for table rows after headers and footer */
    if (budget < 2)
        budget = 2;
    int alert_rows = c->n_alerts < budget / 2 ? c->n_alerts : budget / 2;
    int track_rows = c->n_tracks < budget - alert_rows ? c->n_tracks : budget - alert_rows;
    if (track_rows < 0)
        track_rows = 0;

    printf("\033[H\033[2J%sskyguard watch%s  %s  %s\n", B, R, o->endpoint,
           o->plaintext ? "PLAINTEXT" : "CURVE");
    if (c->have_status) {
        const feed_msg_status *s = &c->status;
        char a[32], b[32], d[32], e[32], f[32];
        fmt_num(a, sizeof a, "%.0f", s->samples_processed);
        fmt_num(b, sizeof b, "%.0f", s->samples_dropped);
        fmt_num(d, sizeof d, "%.0f", s->queue_depth);
        fmt_num(e, sizeof e, "%.0f", s->queue_capacity);
        fmt_num(f, sizeof f, "%.1f", s->pipeline_p99_ms);
        printf("node %s  samples %s  dropped %s  queue %s/%s  pipeline p99 %s ms  sensors:",
               s->node, a, b, d, e, f);
        for (int i = 0; i < s->n_sensors; i++) {
            feed_sensor_state st = s->sensors[i].state;
            bool bad = st == FEED_SENSOR_DEGRADED || st == FEED_SENSOR_DOWN;
            bool ok = st == FEED_SENSOR_OK;
            printf(" %s%s%s%s%s%s", bad && o->color ? "\033[31m" : "", s->sensors[i].id,
                   ok ? "" : "(", ok ? "" : feed_sensor_state_name(st), ok ? "" : ")",
                   bad && o->color ? R : "");
        }
        /* a silent daemon must not look healthy: age of the last status, red when old */
        double age = mono_s() - c->status_rx;
        printf("  %s(status %.0f s ago)%s\n", age > 10 && o->color ? "\033[31m" : "", age,
               age > 10 && o->color ? R : "");
    } else {
        printf("no status received yet\n");
    }

    printf("\n%sALERTS (%d)%s\n%-6s %-9s %-8s %-22s %-6s %-6s %-10s %s\n", B, c->n_alerts, R,
           "ID", "SEVERITY", "STATE", "ZONE", "TRACK", "INSIDE", "TTB s", "IDENTITY");
    for (int i = 0; i < alert_rows; i++) {
        const feed_msg_alert *a = &c->alerts[i].al;
        char ttb[48] = "-";
        if (!isnan(a->ttb_s) && !isnan(a->ttb_sd_s))
            snprintf(ttb, sizeof ttb, "%.1f+-%.1f", a->ttb_s, a->ttb_sd_s);
        else if (!isnan(a->ttb_s))
            snprintf(ttb, sizeof ttb, "%.1f", a->ttb_s);
        printf("%s%-6u %-9s %-8s %-22.22s %-6u %-6s %-10s %s%s%s\n",
               o->color ? sev_color((int)a->severity) : "", (unsigned)a->id,
               sg_severity_name(a->severity), sg_alert_state_name(a->state), a->zone,
               (unsigned)a->track_id, a->inside ? "yes" : "no", ttb,
               a->identity[0] ? a->identity : "-", a->allow_listed ? " (allow-listed)" : "",
               o->color ? R : "");
    }
    if (alert_rows < c->n_alerts)
        printf("... %d more\n", c->n_alerts - alert_rows);

    printf("\n%sTRACKS (%d)%s\n%-6s %-10s %-14s %-18s %-11s %-11s %-7s %-6s %-4s %s\n", B,
           c->n_tracks, R, "ID", "STATUS", "CLASS", "IDENTITY", "LAT", "LON", "ALT m",
           "SPD", "CRS", "ZONES");
    for (int i = 0; i < track_rows; i++) {
        const feed_msg_track *t = &c->tracks[i].tk;
        char spd[32], crs[32], z[256];
        fmt_num(spd, sizeof spd, "%.1f", t->speed_mps);
        fmt_num(crs, sizeof crs, "%.0f", t->course_deg);
        fmt_zones(z, sizeof z, t);
        int sev = track_max_sev(t);
        bool dim = t->status != SG_TRACK_CONFIRMED;
        printf("%s%s%-6u %-10s %-14.14s %-18.18s %-11.6f %-11.6f %-7.1f %-6s %-4s %s%s\n",
               o->color && sev > 0 ? sev_color(sev) : "", o->color && dim ? "\033[2m" : "",
               (unsigned)t->id, sg_track_status_name(t->status), t->cls[0] ? t->cls : "-",
               t->identity[0] ? t->identity : "-", t->lat, t->lon, t->alt_m, spd, crs, z,
               o->color ? R : "");
    }
    if (track_rows < c->n_tracks)
        printf("... %d more\n", c->n_tracks - track_rows);

    printf("\n%sRF PRESENCE (%d)%s", B, c->n_rf, R);
    for (int i = 0; i < c->n_rf && i < 6; i++)
        printf("  %s:%s", c->rf[i].rf.sensor, c->rf[i].rf.cls[0] ? c->rf[i].rf.cls : "?");
    printf("\n\nrx %llu  shown %llu  filtered %llu  malformed %llu  unsupported %llu  "
           "table-full %llu  log-errors %llu  auth-refused %llu\n",
           (unsigned long long)c->received, (unsigned long long)c->shown,
           (unsigned long long)c->filtered, (unsigned long long)c->malformed,
           (unsigned long long)c->unsupported, (unsigned long long)c->table_full,
           (unsigned long long)c->log_errors, (unsigned long long)c->auth_refused);
    if (c->last_error[0])
        printf("last problem: %s\n", c->last_error);
    fflush(stdout);
}

/* ---- log ------------------------------------------------------------------------------ */

/* One JSONL line per received frame; the message itself is embedded as JSON when it
 * parsed, otherwise the error and a printable copy of the raw bytes (<= 4 KiB). */
static void log_frame(FILE *f, console *c, const char *raw, size_t n, const feed_msg *m,
                      int rc, const char *err)
{
    char ts[FEED_TIME_LEN];
    cJSON *o = cJSON_CreateObject();
    if (!o || feed_time_iso(wall_s(), ts, sizeof ts) != SG_OK ||
        !cJSON_AddStringToObject(o, "rx_time", ts)) {
        c->log_errors++;
        cJSON_Delete(o);
        return;
    }
    bool ok = true;
    if (rc == SG_OK) {
        ok = cJSON_AddStringToObject(o, "topic", m->topic) &&
             cJSON_AddItemReferenceToObject(o, "msg", m->json);
    } else {
        size_t k = n < 4096 ? n : 4096;
        char *p = malloc(k + 1);
        if (!p) {
            ok = false;
        } else {
            for (size_t i = 0; i < k; i++)
                p[i] = raw[i] >= 0x20 && raw[i] < 0x7f ? raw[i] : '?';
            p[k] = '\0';
            size_t tl = strcspn(p, " ");
            char topic[FEED_TOPIC_LEN];
            int tn = (int)(tl < sizeof topic ? tl : sizeof topic - 1);
            snprintf(topic, sizeof topic, "%.*s", tn, p);
            ok = cJSON_AddStringToObject(o, "topic", topic) &&
                 cJSON_AddStringToObject(o, "error", err) &&
                 cJSON_AddNumberToObject(o, "bytes", (double)n) &&
                 cJSON_AddStringToObject(o, "raw", p);
            free(p);
        }
    }
    char *line = ok ? cJSON_PrintUnformatted(o) : NULL;
    if (!line || fprintf(f, "%s\n", line) < 0 || fflush(f) != 0)
        c->log_errors++;
    free(line);
    cJSON_Delete(o);
}

/* ---- main ----------------------------------------------------------------------------- */

static int setup_socket(const options *o, void *ctx, feed_client *fc)
{
    sg_errinfo e = {0};
    feed_client_cfg cfg = {.endpoint = o->endpoint, .plaintext = o->plaintext,
                           .server_key = o->server_key, .key = o->key,
                           .topics = o->topics, .n_topics = o->n_topics};
    if (feed_client_open(fc, ctx, &cfg, &e) != SG_OK) {
        fprintf(stderr, "sg_watch: %s\n", e.msg);
        return 1;
    }
    return 0;
}

/* Reads one monitor event; returns true if it reports an authentication refusal. */
static bool monitor_event(feed_client *fc, console *c)
{
    int rc = feed_client_monitor_event(fc, c->last_error, sizeof c->last_error);
    if (rc == 1)
        c->auth_refused++;
    return rc == 1;
}

int main(int argc, char **argv)
{
    options o;
    int rc = parse_args(argc, argv, &o);
    if (rc)
        return rc;
    console *c = calloc(1, sizeof *c);
    if (!c) {
        fprintf(stderr, "sg_watch: out of memory\n");
        return 1;
    }
    FILE *log = NULL;
    if (o.log_path && !(log = fopen(o.log_path, "a"))) {
        fprintf(stderr, "sg_watch: %s: %s\n", o.log_path, strerror(errno));
        free(c);
        return 1;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    void *ctx = zmq_ctx_new();
    feed_client fc = {0};
    int exit_code = ctx ? setup_socket(&o, ctx, &fc) : 1;
    void *sub = fc.sub, *mon = fc.mon;
    double start = mono_s(), next_draw = 0, last_err_report = 0, last_problem = 0;
    uint64_t problems_printed = 0, suppressed = 0;
    bool dirty = true;
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    while (exit_code == 0 && !stop_flag) {
        double now = mono_s();
        if (o.timeout > 0 && now - start >= o.timeout) {
            if (o.count && (long)c->shown < o.count)
                exit_code = 3;
            break;
        }
        if (!o.lines && dirty && now >= next_draw) {
            expire(c, now);
            draw(&o, c);
            dirty = false;
            next_draw = now + 1.0 / o.rate;
        }
        double wait = 0.25;
        if (!o.lines && dirty)
            wait = next_draw - now;
        if (o.timeout > 0 && start + o.timeout - now < wait)
            wait = start + o.timeout - now;
        zmq_pollitem_t it[2] = {{sub, 0, ZMQ_POLLIN, 0}, {mon, 0, ZMQ_POLLIN, 0}};
        int n = zmq_poll(it, mon ? 2 : 1, wait > 0 ? (long)(wait * 1000) + 1 : 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "sg_watch: poll: %s\n", zmq_strerror(errno));
            exit_code = 1;
            break;
        }
        if (!o.lines && now >= next_draw + 1.0)
            dirty = true; /* redraw at least every second so stale rows expire when idle */
        if (mon && (it[1].revents & ZMQ_POLLIN)) {
            bool refused = monitor_event(&fc, c);
            dirty = true;
            if (o.lines && (refused || now - last_err_report > 5)) {
                fprintf(stderr, "sg_watch: %s\n", c->last_error);
                last_err_report = now;
            }
            if (refused && o.lines)
                exit_code = 4;
        }
        if (!(it[0].revents & ZMQ_POLLIN))
            continue;
        /* drain what is queued, bounded so the screen still refreshes under a flood */
        for (int k = 0; k < 1000 && exit_code == 0; k++) {
            if (zmq_msg_recv(&msg, sub, ZMQ_DONTWAIT) < 0)
                break;
            const char *raw = zmq_msg_data(&msg);
            size_t len = zmq_msg_size(&msg);
            c->received++;
            if (zmq_msg_more(&msg)) {
                /* multipart: not our framing; skip the rest of it */
                int more = 1;
                while (more && zmq_msg_recv(&msg, sub, 0) >= 0)
                    more = zmq_msg_more(&msg);
                raw = "";
                len = 0;
            }
            feed_msg m;
            sg_errinfo e = {0};
            int prc = len ? feed_msg_parse(raw, len, &m, &e)
                          : sg_err_set(&e, SG_EFORMAT, "frame: empty or multipart");
            if (log)
                log_frame(log, c, raw, len, &m, prc, e.msg);
            dirty = true;
            if (prc != SG_OK) {
                if (prc == SG_ENOTSUP)
                    c->unsupported++;
                else
                    c->malformed++;
                snprintf(c->last_error, sizeof c->last_error, "%s", e.msg);
                /* a hostile or broken publisher must not flood the terminal: the first
                 * 20 problems verbatim, then at most one a second with a count */
                if (o.lines && (problems_printed < 20 || now - last_problem >= 1.0)) {
                    fprintf(stderr, "sg_watch: %s: %s", prc == SG_ENOTSUP ? "ignored" :
                            "malformed", e.msg);
                    if (suppressed)
                        fprintf(stderr, " (%llu more not shown)",
                                (unsigned long long)suppressed);
                    fputc('\n', stderr);
                    problems_printed++;
                    suppressed = 0;
                    last_problem = now;
                } else {
                    suppressed++;
                }
                continue;
            }
            if (!wanted(&o, &m)) {
                c->filtered++;
            } else {
                c->shown++;
                apply(c, &m, now);
                if (o.lines) {
                    print_line(&o, &m);
                    fflush(stdout);
                }
            }
            feed_msg_free(&m);
            if (o.count && (long)c->shown >= o.count) {
                stop_flag = 1;
                break;
            }
        }
    }
    zmq_msg_close(&msg);
    if (!o.lines && exit_code == 0)
        draw(&o, c);
    if (o.lines && (c->malformed || c->unsupported))
        fprintf(stderr, "sg_watch: %llu received, %llu malformed, %llu unsupported\n",
                (unsigned long long)c->received, (unsigned long long)c->malformed,
                (unsigned long long)c->unsupported);
    feed_client_close(&fc);
    if (ctx)
        zmq_ctx_term(ctx);
    if (log)
        fclose(log);
    free(c);
    return exit_code;
}
