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
#include <time.h>
#include <unistd.h>

#include "feed_auth.h"
#include "feed_client.h"
#include "feed_msg.h"
#include "geoid.h"
#include "site.h"
#include "tz.h"
#include "watch_model.h"
#include "watch_render.h"
#include "watch_term.h"

#define MAX_TOPICS 16

typedef struct {
    const char *endpoint, *server_key, *key, *log_path, *tz, *venue;
    bool plaintext, lines, color, once, bell;
    const char *topics[MAX_TOPICS];
    int n_topics;
    int min_sev;              /* -1: no severity filter */
    const char *cls, *identity;
    long count;               /* 0: unlimited */
    double timeout;           /* s; 0: none */
    double rate;              /* Hz of table redraws */
    double feed_lost;         /* s without a message before FEED LOST */
} options;

typedef struct {
    watch_model m;
    uint64_t received, shown, filtered, malformed, unsupported, log_errors;
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
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double wall_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
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
            "  --no-color          no ANSI colours\n"
            "  -c, --venue FILE    venue (site) file: origin for range/bearing, ground and\n"
            "                      geoid for AMSL/AGL, allow-list for the ALLOW tag\n"
            "  --tz ZONE           IANA time zone for shown times, e.g. Europe/London\n"
            "                      (default: the venue's site.time_zone, else UTC);\n"
            "                      --lines prefixes every line with the message time in it\n"
            "  --feed-lost S       FEED LOST banner after S s without a message (default 5)\n"
            "  --bell              ring the terminal bell on a new critical alert\n"
            "keys (table): q quit, h/? help, p pause, up/down j/k select, a acknowledge,\n"
            "  s sort (id/severity/time to breach/range), f severity filter\n");
}

static int parse_args(int argc, char **argv, options *o)
{
    memset(o, 0, sizeof *o);
    o->endpoint = "tcp://127.0.0.1:5556";
    o->min_sev = -1;
    o->rate = 4;
    o->feed_lost = 5;
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
        } else if (!strcmp(a, "--feed-lost")) {
            NEED_ARG();
            o->feed_lost = strtod(v, &end);
            if (*end || !(o->feed_lost >= 0.5 && o->feed_lost <= 3600)) {
                fprintf(stderr, "sg_watch: --feed-lost: 0.5 to 3600 s\n");
                return 2;
            }
        } else if (!strcmp(a, "-c") || !strcmp(a, "--venue")) {
            NEED_ARG();
            o->venue = v;
        } else if (!strcmp(a, "--tz")) {
            NEED_ARG();
            o->tz = v;
        } else if (!strcmp(a, "--bell")) {
            o->bell = true;
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

/* ---- filters ----------------------------------------------------------------------- */

static bool wanted(const options *o, const feed_msg *m)
{
    const char *cls = NULL, *id = NULL;
    int sev = INT32_MAX;
    switch (m->type) {
    case FEED_MSG_TRACK:
        cls = m->u.track.cls;
        id = m->u.track.identity;
        sev = watch_track_sev(&m->u.track);
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

/* ---- rendering ----------------------------------------------------------------------- */

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

static void print_line(const options *o, const tz_info *tz, const feed_msg *m)
{
    char when[48];
    watch_fmt_time(m->t, tz, true, when, sizeof when);
    printf("%s ", when);
    char a[32], b[32], c[32], d[32], z[512];
    const char *on = "", *off = "";
    switch (m->type) {
    case FEED_MSG_TRACK: {
        const feed_msg_track *t = &m->u.track;
        watch_fmt_num(a, sizeof a, "%.1f", t->speed_mps);
        watch_fmt_num(b, sizeof b, "%.0f", t->course_deg);
        watch_fmt_num(c, sizeof c, "%.2f", t->cls_conf);
        fmt_zones(z, sizeof z, t);
        if (o->color && watch_track_sev(t) > 0) {
            on = watch_sev_attr(watch_track_sev(t));
            off = "\033[0m";
        }
        printf("%sTRACK %u %s class=%s(%s) identity=%s pos=%.6f,%.6f alt=%.1fm(HAE) speed=%sm/s "
               "course=%s zones=[%s]%s%s\n", on, (unsigned)t->id,
               sg_track_status_name(t->status), t->cls[0] ? t->cls : "-", c,
               t->identity[0] ? t->identity : "-", t->lat, t->lon, t->alt_m, a, b, z,
               m->snapshot ? " snapshot" : "", off);
        break;
    }
    case FEED_MSG_ALERT: {
        const feed_msg_alert *al = &m->u.alert;
        watch_fmt_num(a, sizeof a, "%.1f", al->ttb_s);
        watch_fmt_num(b, sizeof b, "%.1f", al->ttb_sd_s);
        if (o->color) {
            on = watch_sev_attr((int)al->severity);
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
        watch_fmt_num(a, sizeof a, "%.3f", r->fc_hz / 1e6);
        watch_fmt_num(b, sizeof b, "%.0f", r->bw_hz / 1e3);
        watch_fmt_num(c, sizeof c, "%.2f", r->cls_conf);
        printf("RF %s class=%s(%s) fc=%sMHz bw=%skHz%s\n", r->sensor, r->cls[0] ? r->cls : "-",
               c, a, b, m->snapshot ? " snapshot" : "");
        break;
    }
    default: {
        const feed_msg_status *s = &m->u.status;
        watch_fmt_num(a, sizeof a, "%.0f", s->samples_processed);
        watch_fmt_num(b, sizeof b, "%.0f", s->samples_dropped);
        watch_fmt_num(c, sizeof c, "%.0f", s->queue_depth);
        watch_fmt_num(d, sizeof d, "%.1f", s->pipeline_p99_ms);
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

/* Logs a monitor event into the console; true if the server refused our key. */
static bool monitor_event(feed_client *fc, console *c)
{
    int r = feed_client_event(fc, c->last_error, sizeof c->last_error);
    if (r == 1)
        c->auth_refused++;
    return r == 1;
}

static void draw(const options *o, console *c, const tz_info *tz, double now)
{
    char title[256], footer[320];
    /* the zone of every shown time first: it must survive the cut at 80 columns */
    snprintf(title, sizeof title, "%s%s%s%s %s", tz ? "tz " : "", tz ? tz_name(tz) : "",
             tz ? "  " : "", o->endpoint, o->plaintext ? "PLAINTEXT" : "CURVE");
    snprintf(footer, sizeof footer, "rx %llu  shown %llu  filtered %llu  malformed %llu  "
             "unsupported %llu  table-full %llu  log-errors %llu  auth-refused %llu",
             (unsigned long long)c->received, (unsigned long long)c->shown,
             (unsigned long long)c->filtered, (unsigned long long)c->malformed,
             (unsigned long long)c->unsupported, (unsigned long long)c->m.table_full,
             (unsigned long long)c->log_errors, (unsigned long long)c->auth_refused);
    watch_render_opts ro = {.title = title, .footer = footer, .problem = c->last_error,
                            .tz = tz, .color = o->color, .feed_lost_s = o->feed_lost};
    int cols = watch_term_cols(80), rows = watch_term_rows(40);
    watch_draw(stdout, &c->m, &ro, cols < 20 ? 20 : cols, rows < 10 ? 10 : rows, now);
}

int main(int argc, char **argv)
{
    options o;
    int rc = parse_args(argc, argv, &o);
    if (rc)
        return rc;
    tz_info *tz = NULL;
    if (o.tz) { /* checked before anything else: a usage error */
        sg_errinfo te = {0};
        if (!(tz = tz_load(NULL, o.tz, &te))) {
            fprintf(stderr, "sg_watch: --tz %s: %s\n", o.tz, te.msg);
            return 2;
        }
    }
    console *c = calloc(1, sizeof *c);
    if (!c) {
        fprintf(stderr, "sg_watch: out of memory\n");
        tz_destroy(tz);
        return 1;
    }
    watch_model_init(&c->m);
    sg_site *site = NULL;
    if (o.venue) {
        sg_errinfo se = {0};
        if (!(site = site_load(o.venue, &se))) {
            fprintf(stderr, "sg_watch: %s\n", se.msg);
            free(c);
            tz_destroy(tz);
            return 1;
        }
        watch_venue *v = &c->m.venue;
        v->lat = site->origin_lat_deg;
        v->lon = site->origin_lon_deg;
        v->ground_amsl_m = site->ground_amsl_m;
        v->site = site;
        /* N as the daemon takes it: the venue's value, else EGM96 at the origin */
        if (geoid_venue_n(site->geoid_undulation_m, v->lat, v->lon, &v->geoid_n_m, &se))
            fprintf(stderr, "sg_watch: %s: no geoid undulation (%s): AMSL not shown\n", o.venue,
                    se.msg);
        /* times in the venue's zone unless --tz (site_time_zone: one rule for every display);
         * site_load checked the name, so a failure here is the tz database changing under us */
        if (!tz && !(tz = tz_load(NULL, site_time_zone(site, NULL), &se))) {
            fprintf(stderr, "sg_watch: %s: site.time_zone: %s\n", o.venue, se.msg);
            site_free(site);
            free(c);
            return 1;
        }
    }
    FILE *log = NULL;
    if (o.log_path && !(log = fopen(o.log_path, "a"))) {
        fprintf(stderr, "sg_watch: %s: %s\n", o.log_path, strerror(errno));
        site_free(site);
        free(c);
        tz_destroy(tz);
        return 1;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    feed_client_cfg fcfg = {.endpoint = o.endpoint, .plaintext = o.plaintext,
                            .server_key_file = o.server_key, .key_file = o.key,
                            .topics = o.topics, .n_topics = o.n_topics};
    sg_errinfo ce = {0};
    feed_client *fc = feed_client_create(&fcfg, &ce);
    int exit_code = 0;
    if (!fc) {
        fprintf(stderr, "sg_watch: %s\n", ce.msg);
        exit_code = 1;
    }
    /* keys only for the table on a terminal; the screen is restored on every exit path */
    bool keys = !o.lines && exit_code == 0 && watch_term_raw();
    double start = mono_s(), next_draw = 0, last_err_report = 0, last_problem = 0;
    uint64_t problems_printed = 0, suppressed = 0;
    bool dirty = true, ring = false;
    while (exit_code == 0 && !stop_flag) {
        double now = mono_s();
        if (o.timeout > 0 && now - start >= o.timeout) {
            if (o.count && (long)c->shown < o.count)
                exit_code = 3;
            break;
        }
        for (int key; keys && (key = watch_term_key()) >= 0;) {
            if (!watch_key(&c->m, key))
                stop_flag = 1;
            dirty = true;
            next_draw = 0; /* answer a key at once */
        }
        if (stop_flag)
            break;
        if (!o.lines && dirty && now >= next_draw) {
            watch_expire(&c->m, now, o.feed_lost);
            if (!c->m.paused || c->m.help || next_draw == 0)
                draw(&o, c, tz, now);
            if (ring) {
                fputc('\a', stdout);
                fflush(stdout);
                ring = false;
            }
            dirty = false;
            next_draw = now + 1.0 / o.rate;
        }
        double wait = 0.25;
        if (!o.lines && dirty)
            wait = next_draw - now;
        if (keys && wait > 0.05)
            wait = 0.05; /* stdin is polled between feed waits */
        if (o.timeout > 0 && start + o.timeout - now < wait)
            wait = start + o.timeout - now;
        int n = feed_client_wait(fc, wait < 0 ? 0 : wait);
        if (n < 0) {
            fprintf(stderr, "sg_watch: poll: %s\n", sg_strerror(n));
            exit_code = 1;
            break;
        }
        if (!o.lines && now >= next_draw + 1.0)
            dirty = true; /* redraw at least every second: expiry and FEED LOST when idle */
        if (n & FEED_CLIENT_EVENT) {
            bool refused = monitor_event(fc, c);
            dirty = true;
            if (o.lines && (refused || now - last_err_report > 5)) {
                fprintf(stderr, "sg_watch: %s\n", c->last_error);
                last_err_report = now;
            }
            if (refused && o.lines)
                exit_code = 4;
        }
        if (!(n & FEED_CLIENT_FRAME))
            continue;
        /* drain what is queued, bounded so the screen still refreshes under a flood */
        for (int k = 0; k < 1000 && exit_code == 0; k++) {
            feed_msg m;
            sg_errinfo e = {0};
            const char *raw;
            size_t len;
            int prc = feed_client_next(fc, &m, &raw, &len, &e);
            if (prc == SG_EAGAIN)
                break;
            c->received++;
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
                if (watch_apply(&c->m, &m, now) && o.bell)
                    ring = true;
                if (o.lines) {
                    print_line(&o, tz, &m);
                    if (ring) {
                        fputc('\a', stdout);
                        ring = false;
                    }
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
    if (!o.lines && exit_code == 0 && !keys)
        draw(&o, c, tz, mono_s());
    watch_term_restore();
    if (o.lines && (c->malformed || c->unsupported))
        fprintf(stderr, "sg_watch: %llu received, %llu malformed, %llu unsupported\n",
                (unsigned long long)c->received, (unsigned long long)c->malformed,
                (unsigned long long)c->unsupported);
    feed_client_destroy(fc);
    if (log)
        fclose(log);
    free(c);
    site_free(site);
    tz_destroy(tz);
    return exit_code;
}
