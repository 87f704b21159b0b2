/* sg_web: the operator map, a live web page of the venue's airspace for event
 * commanders (docs/web.md).
 *
 * A consumer of the feed like sg_watch (CURVE or loopback plaintext, through
 * adapters/feed_client), so the daemon's real-time path is untouched: every frame is
 * checked by feed_msg, applied to the picture (apps/web/web_picture), and pushed to
 * browsers as Server-Sent Events by the HTTP server (apps/web/web_http, on
 * libmicrohttpd); the venue drawing (zones, sensors, time zone, tiles) comes from the
 * same venue file the daemon reads (apps/web/web_venue).
 *
 * Exit codes: 0 normal (signal, --timeout); 1 set-up error; 2 usage. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "feed_client.h"
#include "feed_msg.h"
#include "sg_clock.h"
#include "web_auth.h"
#include "web_http.h"
#include "web_picture.h"
#include "web_venue.h"

#ifndef SG_WEB_ROOT
#define SG_WEB_ROOT "web"
#endif

typedef struct {
    const char *config, *endpoint, *listen, *web_root, *server_key, *key;
    const char *tls_cert, *tls_key, *token_file;
    bool plaintext, quiet;
    double feed_lost_s, timeout;
} options;

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}


static void log_line(void *cls, const char *msg)
{
    const options *o = cls;
    if (!o->quiet)
        fprintf(stderr, "sg_web: %s\n", msg);
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: sg_web [options] [ENDPOINT]   (default: the venue's outputs.feed.endpoint)\n"
            "  -c, --config FILE     venue file (default config/default-venue.json): zones,\n"
            "                        sensors, allow-list, outputs.web (docs/config.md)\n"
            "feed (one of):\n"
            "  --server-key FILE     server public key; with --key: CURVE (as sg_watch)\n"
            "  --key FILE            our key pair (its public key on the daemon's allow-list)\n"
            "  --plaintext           no encryption; loopback feed endpoints only\n"
            "web (override outputs.web):\n"
            "  --listen ADDR:PORT    default 127.0.0.1:8080; not loopback needs TLS + login\n"
            "  --tls-cert FILE       PEM certificate (HTTPS)\n"
            "  --tls-key FILE        PEM private key (mode 0600)\n"
            "  --token-file FILE     login token (mode 0600): the page asks for it once\n"
            "  --web-root DIR        page files (default %s)\n"
            "  --feed-lost S         seconds without feed messages before \"feed lost\"\n"
            "  --timeout S           exit after S seconds (tests)\n"
            "  -q, --quiet           no log lines\n",
            SG_WEB_ROOT);
}

static int parse_args(int argc, char **argv, options *o)
{
    memset(o, 0, sizeof *o);
    o->config = "config/default-venue.json";
    o->web_root = SG_WEB_ROOT;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        const char **dst = NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            exit(0);
        } else if (!strcmp(a, "--plaintext")) {
            o->plaintext = true;
            continue;
        } else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
            o->quiet = true;
            continue;
        } else if (!strcmp(a, "--feed-lost") || !strcmp(a, "--timeout")) {
            char *end;
            double x = v ? strtod(v, &end) : 0;
            if (!v || *end || !(x > 0) || x > 1e7) {
                fprintf(stderr, "sg_web: %s: seconds > 0\n", a);
                return 2;
            }
            *(!strcmp(a, "--timeout") ? &o->timeout : &o->feed_lost_s) = x;
            i++;
            continue;
        }
        if (!strcmp(a, "-c") || !strcmp(a, "--config"))
            dst = &o->config;
        else if (!strcmp(a, "--listen"))
            dst = &o->listen;
        else if (!strcmp(a, "--web-root"))
            dst = &o->web_root;
        else if (!strcmp(a, "--server-key"))
            dst = &o->server_key;
        else if (!strcmp(a, "--key"))
            dst = &o->key;
        else if (!strcmp(a, "--tls-cert"))
            dst = &o->tls_cert;
        else if (!strcmp(a, "--tls-key"))
            dst = &o->tls_key;
        else if (!strcmp(a, "--token-file"))
            dst = &o->token_file;
        if (dst) {
            if (!v) {
                fprintf(stderr, "sg_web: %s needs a value\n", a);
                return 2;
            }
            *dst = v;
            i++;
        } else if (a[0] != '-' && !o->endpoint) {
            o->endpoint = a;
        } else {
            fprintf(stderr, "sg_web: unknown argument %s (see --help)\n", a);
            return 2;
        }
    }
    if (o->plaintext == (o->server_key || o->key) || (!o->plaintext && !(o->server_key && o->key))) {
        fprintf(stderr, "sg_web: give --server-key FILE and --key FILE (CURVE), or --plaintext "
                        "for a loopback feed\n");
        return 2;
    }
    return 0;
}

/* Receives what is queued on the feed (bounded, so ticks keep their pace). */
static void drain(feed_client *fc, web_picture *pic)
{
    for (int k = 0; k < 1000; k++) {
        feed_msg m;
        sg_errinfo e = {0};
        int rc = feed_client_next(fc, &m, NULL, NULL, &e);
        if (rc == SG_EAGAIN)
            break;
        if (rc != SG_OK) {
            web_picture_count_bad(pic, rc == SG_ENOTSUP, e.msg);
            continue;
        }
        web_picture_apply(pic, &m, sg_clock_s(CLOCK_MONOTONIC));
        feed_msg_free(&m);
    }
}

int main(int argc, char **argv)
{
    options o;
    int rc = parse_args(argc, argv, &o);
    if (rc)
        return rc;
    sg_errinfo e = {0};
    web_venue *venue = web_venue_load(o.config, &e);
    if (!venue) {
        fprintf(stderr, "sg_web: %s\n", e.msg);
        return 1;
    }
    const sg_site *site = web_venue_site(venue);
    web_cfg wc = *web_venue_cfg(venue);
    if (o.listen)
        snprintf(wc.listen, sizeof wc.listen, "%s", o.listen);
    if (o.tls_cert)
        snprintf(wc.tls_cert_file, sizeof wc.tls_cert_file, "%s", o.tls_cert);
    if (o.tls_key)
        snprintf(wc.tls_key_file, sizeof wc.tls_key_file, "%s", o.tls_key);
    if (o.token_file)
        snprintf(wc.token_file, sizeof wc.token_file, "%s", o.token_file);
    if (o.feed_lost_s > 0)
        wc.feed_lost_s = o.feed_lost_s;
    const char *endpoint = o.endpoint ? o.endpoint : site->feed_endpoint;

    web_auth *auth = NULL;
    web_picture *pic = NULL;
    web_http *http = NULL;
    char *vjson = NULL;
    feed_client *fc = NULL;
    int exit_code = 1;
    if (wc.token_file[0] && !(auth = web_auth_load(wc.token_file, &e)))
        goto done;
    web_picture_cfg pc = {.allow = site->allow, .n_allow = site->n_allow, .stale_s = 30,
                          .feed_lost_s = wc.feed_lost_s, .ring = 4096};
    if (!(pic = web_picture_create(&pc, &e)))
        goto done;
    if (!(vjson = web_venue_json(venue, &wc))) {
        sg_err_set(&e, SG_ENOMEM, "out of memory");
        goto done;
    }
    cJSON *act = web_venue_zone_activity(venue, sg_clock_s(CLOCK_REALTIME));
    if (act)
        web_picture_set_zones(pic, act);
    cJSON_Delete(act);

    feed_client_cfg fcc = {.endpoint = endpoint, .plaintext = o.plaintext,
                           .server_key_file = o.server_key, .key_file = o.key};
    if (!(fc = feed_client_create(&fcc, &e)))
        goto done;
    web_http_cfg hc = {.listen = wc.listen, .web_root = o.web_root, .tiles_dir = wc.tiles_dir,
                       .tiles_url = wc.tiles_url, .tls_cert_file = wc.tls_cert_file,
                       .tls_key_file = wc.tls_key_file, .auth = auth, .pic = pic,
                       .venue_json = vjson, .log = log_line, .log_cls = &o};
    if (!(http = web_http_start(&hc, &e)))
        goto done;

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    char host[128];
    snprintf(host, sizeof host, "%s", wc.listen);
    *strrchr(host, ':') = '\0';
    printf("sg_web: map on %s://%s:%d/ (feed %s, %s%s)\n", wc.tls_cert_file[0] ? "https" : "http",
           host, web_http_port(http), endpoint, o.plaintext ? "plaintext" : "CURVE",
           auth ? ", login required" : "");
    fflush(stdout);

    double start = sg_clock_s(CLOCK_MONOTONIC), next_tick = 0;
    exit_code = 0;
    while (!stop_flag) {
        double now = sg_clock_s(CLOCK_MONOTONIC);
        if (o.timeout > 0 && now - start >= o.timeout)
            break;
        if (now >= next_tick) {
            web_picture_tick(pic, now);
            web_picture_stats st;
            web_picture_get_stats(pic, &st);
            /* schedules follow the feed's clock (a replay shows its own day) */
            cJSON *za = web_venue_zone_activity(venue, isnan(st.last_t) ? sg_clock_s(CLOCK_REALTIME) : st.last_t);
            if (za)
                web_picture_set_zones(pic, za);
            cJSON_Delete(za);
            next_tick = now + 1.0;
        }
        int ev = feed_client_wait(fc, 0.25);
        if (ev < 0) {
            fprintf(stderr, "sg_web: feed: %s\n", sg_strerror(ev));
            exit_code = 1;
            break;
        }
        if (ev & FEED_CLIENT_EVENT) {
            char why[256];
            int r;
            while ((r = feed_client_event(fc, why, sizeof why)) != SG_EAGAIN) {
                if (r == 1)
                    web_picture_count_auth_refused(pic, why);
                fprintf(stderr, "sg_web: %s\n", why);
            }
        }
        if (ev & FEED_CLIENT_FRAME)
            drain(fc, pic);
    }
done:
    if (exit_code == 1 && e.msg[0])
        fprintf(stderr, "sg_web: %s\n", e.msg);
    if (pic)
        web_picture_halt(pic);
    web_http_stop(http);
    feed_client_destroy(fc);
    web_picture_destroy(pic);
    web_auth_destroy(auth);
    free(vjson);
    web_venue_destroy(venue);
    return exit_code;
}
