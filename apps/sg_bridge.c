/* sg_bridge: runs the output sinks of a venue (outputs.cot, outputs.mqtt, ... in the venue
 * file; docs/outputs.md) as a separate process fed by the daemon's operator feed, so the
 * daemon's real-time path never waits on TAK servers, brokers or webhooks.
 *
 * It subscribes to the feed like any consumer (feed_client: CURVE with its own key pair,
 * or plaintext on loopback), keeps the alert state per track to give each track its
 * affiliation (hostile while it holds an open alert, friend when allow-listed), and hands
 * every track, alert and status message to every sink. Sinks queue and deliver on their
 * own threads; the bridge logs their counters (and serves them on /metrics when an http
 * sink is configured).
 *
 * Exit codes: 0 stopped by a signal (or --check passed); 1 configuration or setup error;
 * 2 usage; 4 the daemon refused our key. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "feed_client.h"
#include "sg_clock.h"
#include "feed_msg.h"
#include "geo.h"
#include "geoid.h"
#include "sg_json.h"
#include "sg_jsonw.h"
#include "sink.h"
#include "site.h"
#include "zones.h"

#define MAX_OPEN_ALERTS 1024

typedef struct {
    uint32_t alert_id, track_id;
    bool allow_listed;
} open_alert;

typedef struct {
    sg_site *site;
    sink_bridge_cfg cfg;
    sink_env env;            /* read by the sinks for their whole life */
    sg_geoid *geoid;         /* EGM96 for AMSL/AGL; NULL: heights given as HAE only */
    geo_frame frame;         /* the site's ENU frame */
    zone_set *zones;         /* the venue's zones, for sinks that draw them (CoT) */
    sink *sinks[SINK_MAX_PER_VENUE];
    const char *kinds[SINK_MAX_PER_VENUE];
    int n_sinks;
    open_alert alerts[MAX_OPEN_ALERTS];
    int n_alerts;
    /* counters: the bridge's own, cumulative */
    uint64_t received, tracks, alerts_rx, statuses, rf, malformed, unsupported, auth_refused,
        alert_table_full, handshake_failures;
    double start_wall;
} bridge;

static volatile sig_atomic_t stop_flag;

/* Counters are read by the http sink's thread (/metrics): relaxed atomics. */
#define COUNT(x) __atomic_add_fetch(&(x), 1, __ATOMIC_RELAXED)
#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

__attribute__((format(printf, 1, 2))) static void logf_(const char *fmt, ...)
{
    char ts[40];
    sg_time_iso8601(sg_clock_s(CLOCK_REALTIME), ts, sizeof ts);
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s sg_bridge: ", ts);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static void usage(FILE *f)
{
    fprintf(f, "usage: sg_bridge -c VENUE.json [--check]\n"
               "  -c, --config FILE  venue file; its \"outputs\" section names the sinks\n"
               "                     (cot, ...) and \"outputs.bridge\" how to reach the feed\n"
               "  --check            validate the venue and the sinks, then exit (0 = valid)\n"
               "see docs/outputs.md and man sg_bridge\n");
}

/* OpenMetrics text of the bridge and its sinks, for the http sink's /metrics. */
static size_t host_metrics(void *ctx, char *buf, size_t cap)
{
    bridge *b = ctx;
    size_t n = 0;
#define OUT(...)                                                                               \
    do {                                                                                       \
        if (n < cap) {                                                                         \
            int k_ = snprintf(buf + n, cap - n, __VA_ARGS__);                                  \
            n += k_ > 0 ? (size_t)k_ : 0;                                                      \
        }                                                                                      \
    } while (0)
    const struct {
        const char *name, *help;
        uint64_t v;
    } c[] = {
        {"received", "feed frames received", LOAD(b->received)},
        {"malformed", "feed frames refused as malformed", LOAD(b->malformed)},
        {"unsupported", "feed frames of a newer schema or unknown type", LOAD(b->unsupported)},
        {"auth_refused", "times the daemon refused our CURVE key", LOAD(b->auth_refused)},
        {"alert_table_full", "alerts not tracked for affiliation (table full)",
         LOAD(b->alert_table_full)},
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++)
        OUT("# TYPE skyguard_bridge_%s counter\n# HELP skyguard_bridge_%s %s\n"
            "skyguard_bridge_%s_total %llu\n", c[i].name, c[i].name, c[i].help, c[i].name,
            (unsigned long long)c[i].v);
    static const char *const sc[] = {"accepted", "dropped", "delivered", "failed"};
    static const char *const sh[] = {"events queued", "events refused, queue full",
                                     "events delivered", "events that could not be delivered"};
    for (int k = 0; k < 4; k++) {
        OUT("# TYPE skyguard_sink_%s counter\n# HELP skyguard_sink_%s %s\n", sc[k], sc[k], sh[k]);
        for (int i = 0; i < b->n_sinks; i++) {
            sink_stats st;
            sink_get_stats(b->sinks[i], &st);
            uint64_t v = k == 0 ? st.accepted : k == 1 ? st.dropped : k == 2 ? st.delivered
                                                                              : st.failed;
            OUT("skyguard_sink_%s_total{sink=\"%s\"} %llu\n", sc[k], st.kind,
                (unsigned long long)v);
        }
    }
    OUT("# TYPE skyguard_sink_queue_depth gauge\n# HELP skyguard_sink_queue_depth events "
        "waiting\n");
    for (int i = 0; i < b->n_sinks; i++) {
        sink_stats st;
        sink_get_stats(b->sinks[i], &st);
        OUT("skyguard_sink_queue_depth{sink=\"%s\"} %zu\n", st.kind, st.depth);
    }
    OUT("# TYPE skyguard_sink_connected gauge\n# HELP skyguard_sink_connected peer reachable\n");
    for (int i = 0; i < b->n_sinks; i++) {
        sink_stats st;
        sink_get_stats(b->sinks[i], &st);
        OUT("skyguard_sink_connected{sink=\"%s\"} %d\n", st.kind, st.connected ? 1 : 0);
    }
#undef OUT
    return n < cap ? n : cap;
}

/* The venue's zones as the daemon loads them (ED-269 AMSL limits with EGM96 when the venue
 * gives no undulation). */
static int load_zones(bridge *b, sg_errinfo *e)
{
    const sg_site *s = b->site;
    if (geo_frame_init(&b->frame, s->origin_lat_deg * GEO_DEG, s->origin_lon_deg * GEO_DEG,
                       s->origin_alt_m, e))
        return sg_err_prefix(e, s->path);
    if (!s->zones_path[0])
        return SG_OK;
    size_t skipped;
    b->zones = zones_load_venue(s->zones_path, s->zones_format == SG_ZONES_ED269, &b->frame,
                                s->geoid_undulation_m, s->ground_amsl_m, &skipped, e);
    if (!b->zones)
        sg_err_prefix(e, s->path);
    return b->zones ? SG_OK : e->code;
}

static int create_sinks(bridge *b, bool check, sg_errinfo *e)
{
    const sg_site *s = b->site;
    b->env = (sink_env){.venue_path = s->path, .site_name = s->name,
                        .site_lat = s->origin_lat_deg, .site_lon = s->origin_lon_deg,
                        .site_alt_m = s->origin_alt_m, .host_metrics = host_metrics,
                        .host_ctx = b, .check_only = check, .zones = b->zones,
                        .frame = &b->frame};
    return sinks_create(s->outputs, &b->env, b->sinks, b->kinds, &b->n_sinks, e);
}

/* ---- affiliation ------------------------------------------------------------------------- */

static void note_alert(bridge *b, const feed_msg_alert *a)
{
    int i = 0;
    while (i < b->n_alerts && b->alerts[i].alert_id != a->id)
        i++;
    if (a->state == SG_ALERT_CLEARED) {
        if (i < b->n_alerts)
            b->alerts[i] = b->alerts[--b->n_alerts];
        return;
    }
    if (i == b->n_alerts) {
        if (b->n_alerts == MAX_OPEN_ALERTS) {
            COUNT(b->alert_table_full);
            return;
        }
        b->n_alerts++;
    }
    b->alerts[i] = (open_alert){a->id, a->track_id, a->allow_listed};
}

static sink_affiliation affiliation(bridge *b, const feed_msg_track *t)
{
    bool friend_ = t->identity[0] && site_allowed(b->site, t->identity, NULL);
    bool hostile = false;
    for (int i = 0; i < b->n_alerts; i++)
        if (b->alerts[i].track_id == t->id) {
            if (b->alerts[i].allow_listed)
                friend_ = true;
            else
                hostile = true;
        }
    if (t->status == SG_TRACK_DELETED) { /* its alerts end with it */
        for (int i = 0; i < b->n_alerts;) {
            if (b->alerts[i].track_id == t->id)
                b->alerts[i] = b->alerts[--b->n_alerts];
            else
                i++;
        }
    }
    return friend_ ? SINK_AFF_FRIEND : hostile ? SINK_AFF_HOSTILE : SINK_AFF_UNKNOWN;
}

static void dispatch(bridge *b, const feed_msg *m)
{
    double now = sg_clock_s(CLOCK_REALTIME);
    if (m->type == FEED_MSG_TRACK) {
        COUNT(b->tracks);
        const feed_msg_track *t = &m->u.track;
        sink_track_info info = {affiliation(b, t), NAN, NAN};
        geoid_heights(b->geoid, t->lat, t->lon, t->alt_m, b->site->ground_amsl_m,
                      &info.alt_amsl_m, &info.alt_agl_m);
        for (int i = 0; i < b->n_sinks; i++)
            sink_on_track(b->sinks[i], m, &info, now); /* a refusal is counted by the sink */
    } else if (m->type == FEED_MSG_ALERT) {
        COUNT(b->alerts_rx);
        note_alert(b, &m->u.alert);
        for (int i = 0; i < b->n_sinks; i++)
            sink_on_alert(b->sinks[i], m, now);
    } else if (m->type == FEED_MSG_STATUS) {
        COUNT(b->statuses);
        for (int i = 0; i < b->n_sinks; i++)
            sink_on_status(b->sinks[i], m, now);
    } else {
        COUNT(b->rf);
    }
}

static void log_stats(bridge *b)
{
    logf_("feed: received %llu (tracks %llu, alerts %llu, status %llu, rf %llu), malformed "
          "%llu, unsupported %llu, auth refused %llu, open alerts %d",
          (unsigned long long)b->received, (unsigned long long)b->tracks,
          (unsigned long long)b->alerts_rx, (unsigned long long)b->statuses,
          (unsigned long long)b->rf, (unsigned long long)b->malformed,
          (unsigned long long)b->unsupported, (unsigned long long)b->auth_refused,
          b->n_alerts);
    for (int i = 0; i < b->n_sinks; i++) {
        sink_stats st;
        sink_get_stats(b->sinks[i], &st);
        char extra[512] = "";
        size_t n = 0;
        for (int k = 0; k < SINK_MAX_EXTRA && st.extra[k].name && n < sizeof extra; k++)
            n += (size_t)snprintf(extra + n, sizeof extra - n, " %s %llu", st.extra[k].name,
                                  (unsigned long long)st.extra[k].value);
        logf_("sink %s: accepted %llu, delivered %llu, failed %llu, dropped %llu, queue "
              "%zu/%zu (max %zu), %s;%s", st.kind, (unsigned long long)st.accepted,
              (unsigned long long)st.delivered, (unsigned long long)st.failed,
              (unsigned long long)st.dropped, st.depth, st.capacity, st.high_water,
              st.connected ? "connected" : "NOT connected", extra);
    }
}

int main(int argc, char **argv)
{
    const char *cfg = NULL;
    bool check = false;
    for (int i = 1; i < argc; i++) {
        if ((!strcmp(argv[i], "-c") || !strcmp(argv[i], "--config")) && i + 1 < argc) {
            cfg = argv[++i];
        } else if (!strcmp(argv[i], "--check")) {
            check = true;
        } else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "sg_bridge: unknown argument %s\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    if (!cfg) {
        usage(stderr);
        return 2;
    }
    static bridge b; /* large (alert table): not on the stack */
    sg_errinfo e = {0};
    b.start_wall = sg_clock_s(CLOCK_REALTIME);
    if (!(b.site = site_load(cfg, &e)) ||
        sink_bridge_parse(b.site->outputs, b.site->feed_security, b.site->feed_endpoint,
                          b.site->path, &b.cfg, &e) ||
        load_zones(&b, &e) || create_sinks(&b, check, &e)) {
        fprintf(stderr, "sg_bridge: %s\n", e.msg);
        zones_destroy(b.zones);
        site_free(b.site);
        return 1;
    }
    feed_client_cfg fc_cfg = {.endpoint = b.cfg.connect, .plaintext = b.cfg.plaintext,
                              .server_key_file = b.cfg.server_key_file,
                              .key_file = b.cfg.client_key_file};
    feed_client *fc = NULL;
    if (!check && !(fc = feed_client_create(&fc_cfg, &e)))
        fprintf(stderr, "sg_bridge: %s\n", e.msg);
    int exit_code = check ? 0 : fc ? 0 : 1;
    if (check) {
        printf("sg_bridge: %s: valid; feed %s (%s); sinks:", cfg, b.cfg.connect,
               b.cfg.plaintext ? "plaintext" : "CURVE");
        for (int i = 0; i < b.n_sinks; i++)
            printf(" %s", b.kinds[i]);
        printf("\n");
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN); /* a peer closing on a sink is an error code, not a death */
    if (fc) {
        logf_("%s: feed %s (%s), %d sink(s)", cfg, b.cfg.connect,
              b.cfg.plaintext ? "plaintext" : "CURVE", b.n_sinks);
        if (!(b.geoid = geoid_open(NULL, &e)))
            logf_("heights are given as HAE only (no AMSL/AGL): %s", e.msg);
    }
    double next_log = sg_clock_s(CLOCK_MONOTONIC) + b.cfg.status_period_s;
    while (fc && !stop_flag) {
        int ev = feed_client_wait(fc, 0.2);
        if (ev < 0) {
            logf_("poll failed: %s", sg_strerror(ev));
            exit_code = 1;
            break;
        }
        if (ev & FEED_CLIENT_EVENT) {
            char text[256];
            int r = feed_client_event(fc, text, sizeof text);
            if (r >= 0) {
                logf_("%s", text);
                if (r == 1) {
                    COUNT(b.auth_refused);
                    exit_code = 4;
                    break;
                }
                COUNT(b.handshake_failures);
            }
        }
        for (int k = 0; k < 1000 && (ev & FEED_CLIENT_FRAME); k++) {
            feed_msg m;
            int rc = feed_client_next(fc, &m, NULL, NULL, &e);
            if (rc == SG_EAGAIN)
                break;
            COUNT(b.received);
            if (rc != SG_OK) {
                if (rc == SG_ENOTSUP)
                    COUNT(b.unsupported);
                else if (COUNT(b.malformed) <= 20)
                    logf_("malformed: %s", e.msg);
                continue;
            }
            dispatch(&b, &m);
            feed_msg_free(&m);
        }
        if (sg_clock_s(CLOCK_MONOTONIC) >= next_log) {
            log_stats(&b);
            next_log = sg_clock_s(CLOCK_MONOTONIC) + b.cfg.status_period_s;
        }
    }
    if (fc)
        log_stats(&b);
    feed_client_destroy(fc);
    geoid_close(b.geoid);
    zones_destroy(b.zones);
    for (int i = 0; !check && i < b.n_sinks; i++)
        sink_destroy(b.sinks[i], 1.0);
    site_free(b.site);
    return exit_code;
}
