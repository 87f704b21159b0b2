/* End-to-end test of the operator console (apps/sg_watch.c) against a test publisher:
 * plaintext on loopback with --count/--log (lines for every message type, malformed
 * frames counted on stderr and logged, JSONL log parseable), topic and class filters
 * with --timeout (exit 3), and CURVE through feed_auth (allowed key receives, unknown
 * key exits 4 because the server's ZAP handler refused it); timestamps and --tz on
 * lines; the console model (apps/watch/: keys, sort, filter, ACK, history, FEED LOST and
 * stale alerts, venue geometry and heights); and the table in a real terminal (tmux at
 * 80, 160 and 200 columns, skipped without tmux), with the venue's time zone
 * (site.time_zone) for shown times unless --tz. */
#include <fcntl.h>
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <zmq.h>

#include "feed_auth.h"
#include "file_helpers.h"
#include "feed_msg.h"
#include "sg_json.h"
#include "site.h"
#include "watch_model.h"
#include "watch_render.h"

static char dir[64];
static const char *watch = SG_BINARY_DIR "/sg_watch";

static const char *frames[] = {
    "track.17 {\"v\":1,\"type\":\"track\",\"id\":17,\"status\":\"confirmed\",\"t\":1795386600.25,"
    "\"time\":\"2026-11-22T22:30:00.250Z\",\"lat\":51.5561,\"lon\":-0.2796,\"alt_m\":152.5,"
    "\"speed_mps\":5.0,\"course_deg\":36.9,\"class\":\"dji_droneid\",\"class_conf\":0.93,"
    "\"identity\":\"1581F5FJD22A00XY\",\"zones\":[{\"id\":\"stadium-critical\","
    "\"severity\":\"critical\",\"inside\":true,\"ttb_s\":null}]}",
    "garbage-without-any-separator",
    "alert.critical.stadium-critical {\"v\":1,\"type\":\"alert\",\"id\":3,\"state\":\"raised\","
    "\"severity\":\"critical\",\"t\":1795386601.0,\"time\":\"2026-11-22T22:30:01.000Z\","
    "\"track_id\":17,\"zone\":\"stadium-critical\",\"inside\":true,\"ttb_s\":0,"
    "\"identity\":\"1581F5FJD22A00XY\",\"class\":\"dji_droneid\"}",
    "status.skyguardd {\"v\":1,\"type\":\"status\",\"t\":1795386602.0,"
    "\"time\":\"2026-11-22T22:30:02.000Z\",\"node\":\"skyguardd\",\"samples_processed\":1000,"
    "\"samples_dropped\":0,\"queue_depth\":1,\"queue_capacity\":64,"
    "\"sensors\":[{\"id\":\"rf-north\",\"state\":\"ok\"}]}",
    "track.9 {\"v\":2,\"type\":\"track\"}",
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Runs sg_watch with argv (NULL-terminated) while publishing `frames` on pub every
 * 20 ms; stdout/stderr go to files in dir. Returns the exit status. */
static int run_watch(void *pub, char *const argv[], double max_s)
{
    char out[128], err[128];
    snprintf(out, sizeof out, "%s/out.txt", dir);
    snprintf(err, sizeof err, "%s/err.txt", dir);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int fo = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int fe = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fo < 0 || fe < 0 || dup2(fo, 1) < 0 || dup2(fe, 2) < 0)
            _exit(99);
        execv(watch, argv);
        _exit(98);
    }
    double end = now_s() + max_s;
    size_t k = 0;
    int status = 0;
    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            break;
        if (now_s() > end) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            fail_msg("sg_watch did not exit within %.0f s", max_s);
        }
        const char *f = frames[k++ % (sizeof frames / sizeof frames[0])];
        zmq_send(pub, f, strlen(f), ZMQ_DONTWAIT);
        usleep(20000);
    }
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

static char *slurp(const char *name)
{
    char p[128], *text;
    sg_errinfo e;
    snprintf(p, sizeof p, "%s/%s", dir, name);
    assert_int_equal(sg_read_file(p, 1 << 20, &text, NULL, &e), SG_OK);
    return text;
}

static void *make_pub(void *ctx, feed_auth *a, char *ep, size_t cap)
{
    sg_errinfo e = {0};
    void *pub = zmq_socket(ctx, ZMQ_PUB);
    int linger = 0;
    zmq_setsockopt(pub, ZMQ_LINGER, &linger, sizeof linger);
    assert_int_equal(feed_auth_apply(a, pub, "tcp://127.0.0.1:*", &e), SG_OK);
    assert_int_equal(zmq_bind(pub, "tcp://127.0.0.1:*"), 0);
    assert_int_equal(zmq_getsockopt(pub, ZMQ_LAST_ENDPOINT, ep, &cap), 0);
    return pub;
}

static feed_auth *plaintext_auth(void *ctx)
{
    feed_auth_cfg cfg;
    feed_auth_cfg_default(&cfg);
    cfg.mode = FEED_AUTH_PLAINTEXT;
    sg_errinfo e = {0};
    feed_auth *a = feed_auth_create(ctx, &cfg, &e);
    assert_non_null(a);
    return a;
}

static void test_plaintext_lines_and_log(void **state)
{
    (void)state;
    void *ctx = zmq_ctx_new();
    feed_auth *a = plaintext_auth(ctx);
    char ep[128], log[128];
    void *pub = make_pub(ctx, a, ep, sizeof ep);
    snprintf(log, sizeof log, "%s/feed.jsonl", dir);
    unlink(log);

    char *argv1[] = {(char *)watch, "--plaintext", "--count", "6", "--timeout", "20",
                     "--log", log, ep, NULL};
    assert_int_equal(run_watch(pub, argv1, 30), 0);
    char *out = slurp("out.txt"), *err = slurp("err.txt");
    /* 6 shown messages out of a T,A,S cycle: two of each type */
    int lines = 0;
    for (char *p = out; (p = strchr(p, '\n')); p++)
        lines++;
    assert_int_equal(lines, 6);
    /* every line starts with the message time (UTC without --tz) */
    assert_non_null(strstr(out, "2026-11-22T22:30:00.250+00:00 TRACK 17 confirmed "
                                "class=dji_droneid(0.93) identity="
                                "1581F5FJD22A00XY pos=51.556100,-0.279600 alt=152.5m"));
    assert_non_null(strstr(out, "zones=[stadium-critical(critical,IN)]"));
    assert_non_null(strstr(out, "ALERT 3 raised critical zone=stadium-critical track=17"));
    assert_non_null(strstr(out, "STATUS skyguardd samples=1000 dropped=0 queue=1"));
    assert_null(strstr(out, "\033[")); /* not a tty: no colour */
    assert_non_null(strstr(err, "malformed: frame: no \"<topic> <json>\" separator"));
    assert_non_null(strstr(err, "ignored: frame 'track.9': schema version 2"));
    free(out);
    free(err);

    /* every log line is JSON with rx_time + topic, and msg or error */
    char *text = slurp("feed.jsonl");
    int n = 0, good = 0, bad = 0;
    for (char *line = text, *next; *line; line = next) {
        next = strchr(line, '\n');
        assert_non_null(next);
        *next++ = '\0';
        cJSON *o = cJSON_Parse(line);
        if (!o)
            fail_msg("log line %d is not JSON: %s", n, line);
        assert_true(cJSON_IsString(cJSON_GetObjectItem(o, "rx_time")));
        assert_true(cJSON_IsString(cJSON_GetObjectItem(o, "topic")));
        if (cJSON_GetObjectItem(o, "msg"))
            good++;
        else if (cJSON_IsString(cJSON_GetObjectItem(o, "error")) &&
                 cJSON_IsString(cJSON_GetObjectItem(o, "raw")))
            bad++;
        cJSON_Delete(o);
        n++;
    }
    free(text);
    assert_true(good >= 6);
    assert_true(bad >= 1);

    /* topic filter: only alerts */
    char *argv2[] = {(char *)watch, "--plaintext", "--topic", "alert.", "--once", "--tz",
                     "Europe/Berlin", ep, NULL};
    assert_int_equal(run_watch(pub, argv2, 30), 0);
    out = slurp("out.txt");
    /* 22:30:01 UTC in November is 23:30:01 CET */
    assert_non_null(strchr(out, '\n'));
    assert_int_equal(strchr(out, '\n') - out + 1, (long)strlen(out)); /* one line */
    assert_true(strncmp(out, "2026-11-22T23:30:01.000+01:00 ALERT 3 raised", 44) == 0);
    free(out);

    /* a zone name that is not in the tz database is a usage error */
    char *argv5[] = {(char *)watch, "--plaintext", "--tz", "Mars/Olympus", ep, NULL};
    assert_int_equal(run_watch(pub, argv5, 30), 2);
    err = slurp("err.txt");
    assert_non_null(strstr(err, "--tz Mars/Olympus"));
    free(err);

    /* class filter hides everything classed; --timeout before --count: exit 3 */
    char *argv3[] = {(char *)watch, "--plaintext", "--topic", "alert.", "--class", "frsky_d16",
                     "--count", "1", "--timeout", "1.5", ep, NULL};
    assert_int_equal(run_watch(pub, argv3, 30), 3);
    out = slurp("out.txt");
    assert_string_equal(out, "");
    free(out);

    /* plaintext to a non-loopback endpoint is refused by the console too */
    char *argv4[] = {(char *)watch, "--plaintext", "tcp://192.0.2.1:5556", NULL};
    assert_int_equal(run_watch(pub, argv4, 30), 2);
    err = slurp("err.txt");
    assert_non_null(strstr(err, "refusing plaintext off loopback"));
    free(err);

    zmq_close(pub);
    feed_auth_destroy(a);
    zmq_ctx_term(ctx);
}

static void test_curve(void **state)
{
    (void)state;
    feed_keypair srv, ca, cb;
    sg_errinfo e = {0};
    assert_int_equal(feed_key_generate(&srv, &e), SG_OK);
    assert_int_equal(feed_key_generate(&ca, &e), SG_OK);
    assert_int_equal(feed_key_generate(&cb, &e), SG_OK);
    char sp[128], ap[128], bp[128];
    snprintf(sp, sizeof sp, "%s/srv.pub", dir);
    snprintf(ap, sizeof ap, "%s/a.key", dir);
    snprintf(bp, sizeof bp, "%s/b.key", dir);
    assert_int_equal(feed_key_save(sp, &srv, false, true, &e), SG_OK);
    assert_int_equal(feed_key_save(ap, &ca, true, true, &e), SG_OK);
    assert_int_equal(feed_key_save(bp, &cb, true, true, &e), SG_OK);

    feed_auth_cfg cfg;
    feed_auth_cfg_default(&cfg);
    snprintf(cfg.server_secret_z85, sizeof cfg.server_secret_z85, "%s", srv.secret_z85);
    assert_int_equal(feed_auth_cfg_add_client_key(&cfg, ca.public_z85, &e), SG_OK);
    void *ctx = zmq_ctx_new();
    feed_auth *a = feed_auth_create(ctx, &cfg, &e);
    assert_non_null(a);
    char ep[128];
    void *pub = make_pub(ctx, a, ep, sizeof ep);

    char *argv1[] = {(char *)watch, "--server-key", sp, "--key", ap, "--topic", "status.",
                     "--once", "--timeout", "20", ep, NULL};
    assert_int_equal(run_watch(pub, argv1, 30), 0);
    char *out = slurp("out.txt");
    assert_non_null(strstr(out, "+00:00 STATUS skyguardd"));
    free(out);

    char *argv2[] = {(char *)watch, "--server-key", sp, "--key", bp, "--once", "--timeout",
                     "20", ep, NULL};
    assert_int_equal(run_watch(pub, argv2, 30), 4);
    char *err = slurp("err.txt");
    assert_non_null(strstr(err, "server refused our key (ZAP status 400)"));
    free(err);
    feed_auth_stats st;
    feed_auth_get_stats(a, &st);
    assert_true(st.refused >= 1);
    assert_true(st.accepted >= 1);

    zmq_close(pub);
    feed_auth_destroy(a);
    zmq_ctx_term(ctx);
}

/* ---- the console model (apps/watch/watch_model.c) without a terminal ---------------- */

static void feed(watch_model *m, const char *frame, double now, bool *bell)
{
    feed_msg msg;
    sg_errinfo e = {0};
    int rc = feed_msg_parse(frame, strlen(frame), &msg, &e);
    if (rc != SG_OK)
        fail_msg("test frame refused: %s", e.msg);
    bool b = watch_apply(m, &msg, now);
    if (bell)
        *bell = b;
    feed_msg_free(&msg);
}

static const char *track_far =
    "track.5 {\"v\":1,\"type\":\"track\",\"id\":5,\"status\":\"confirmed\",\"t\":1795386600.0,"
    "\"time\":\"2026-11-22T22:30:00.000Z\",\"lat\":51.56,\"lon\":-0.28,\"alt_m\":120,"
    "\"enu_m\":[300,400,50],\"zones\":[{\"id\":\"outer\",\"severity\":\"warning\","
    "\"inside\":false,\"ttb_s\":40}],\"operator\":{\"lat\":51.55,\"lon\":-0.28},\"remote_id\":{\"height_ref\":\"agl\",\"height_m\":72.5}}";

static void test_model(void **state)
{
    (void)state;
    static watch_model m;
    watch_model_init(&m);
    bool bell = false;
    feed(&m, frames[0], 1.0, NULL);  /* track 17, inside critical, no enu_m */
    feed(&m, track_far, 1.0, NULL);  /* track 5: 500 m at bearing 036.87, warning in 40 s */
    feed(&m, frames[2], 1.0, &bell); /* alert 3 raised critical on track 17 */
    assert_true(bell);
    feed(&m, frames[2], 1.5, &bell); /* the same alert again: no second bell */
    assert_false(bell);
    assert_int_equal(m.n_tracks, 2);
    assert_int_equal(m.n_history, 1); /* a re-sent alert is not a new event */
    assert_int_equal(watch_history(&m, 0)->id, 3);
    assert_null(watch_history(&m, 1));

    /* geometry from enu_m; unknown stays NAN (shown "-") */
    const watch_track *far = m.tracks[0].tk.id == 5 ? &m.tracks[0] : &m.tracks[1];
    const watch_track *near = m.tracks[0].tk.id == 5 ? &m.tracks[1] : &m.tracks[0];
    assert_float_equal(watch_track_range(&m, &far->tk), 500.0, 1e-9);
    assert_float_equal(watch_track_bearing(&m, &far->tk), atan2(3, 4) * 180 / M_PI, 1e-9);
    assert_true(isnan(watch_track_range(&m, &near->tk)));
    assert_float_equal(far->agl_m, 72.5, 1e-12);
    assert_true(isnan(near->agl_m));
    assert_float_equal(watch_track_ttb(&near->tk), 0.0, 0); /* inside */
    assert_float_equal(watch_track_ttb(&far->tk), 40.0, 0);

    /* sort keys */
    m.sort = WATCH_SORT_ID;
    watch_sort_tables(&m);
    assert_int_equal(m.tracks[0].tk.id, 5);
    m.sort = WATCH_SORT_SEVERITY;
    watch_sort_tables(&m);
    assert_int_equal(m.tracks[0].tk.id, 17);
    assert_true(watch_key(&m, 's'));
    assert_int_equal(m.sort, WATCH_SORT_TTB);
    watch_sort_tables(&m);
    assert_int_equal(m.tracks[0].tk.id, 17); /* 0 s (inside) before 40 s */
    assert_true(watch_key(&m, 's'));
    watch_sort_tables(&m);
    assert_int_equal(m.tracks[0].tk.id, 5); /* known range before unknown */

    /* selection and acknowledgement: the visible list is alerts first */
    int idx[WATCH_MAX_ALERTS + WATCH_MAX_TRACKS];
    assert_int_equal(watch_visible(&m, idx, 16), 3);
    assert_true(watch_key(&m, WATCH_KEY_DOWN));
    assert_int_equal(m.selected, 0);
    assert_true(watch_key(&m, 'a'));
    assert_true(m.alerts[0].acked);
    assert_true(watch_key(&m, 'j'));
    assert_true(watch_key(&m, 'j'));
    assert_true(watch_key(&m, 'j')); /* clamped at the last row */
    assert_int_equal(m.selected, 2);
    assert_true(watch_key(&m, 'k'));
    assert_int_equal(m.selected, 1);

    /* severity filter cycles all -> info+ ... critical -> all */
    assert_true(watch_key(&m, 'f'));
    assert_true(watch_key(&m, 'f'));
    assert_true(watch_key(&m, 'f'));
    assert_int_equal(m.sev_filter, SG_SEV_ALERT);
    assert_int_equal(watch_visible(&m, idx, 16), 2); /* alert 3 and track 17 */
    assert_true(watch_key(&m, 'f'));
    assert_true(watch_key(&m, 'f'));
    assert_int_equal(m.sev_filter, -1);

    /* help, pause, quit */
    assert_true(watch_key(&m, '?'));
    assert_true(m.help);
    assert_true(watch_key(&m, 'x'));
    assert_false(m.help);
    assert_true(watch_key(&m, 'p'));
    assert_true(m.paused);
    assert_false(watch_key(&m, 'q'));

    /* a silent feed: FEED LOST after 5 s, the alert is stale, not raised forever */
    watch_expire(&m, 4.0, 5.0);
    assert_false(m.feed_lost);
    assert_false(m.alerts[0].stale);
    watch_expire(&m, 7.0, 5.0);
    assert_true(m.feed_lost);
    assert_true(m.alerts[0].stale);
    assert_true(m.alerts[0].acked);
    watch_expire(&m, 7.0 + WATCH_STALE_S + 1, 5.0); /* tracks and stale alerts go */
    assert_int_equal(m.n_tracks, 0);
    assert_int_equal(m.n_alerts, 0);
    assert_int_equal(m.n_history, 1); /* history stays */

    /* allow-listed alert tags its track */
    watch_model_init(&m);
    const char *allowed =
        "alert.info.stadium-critical {\"v\":1,\"type\":\"alert\",\"id\":4,\"state\":\"raised\","
        "\"severity\":\"info\",\"t\":1795386601.0,\"time\":\"2026-11-22T22:30:01.000Z\","
        "\"track_id\":17,\"zone\":\"stadium-critical\",\"inside\":true,\"allow_listed\":true}";
    feed(&m, frames[0], 1.0, NULL);
    feed(&m, allowed, 1.0, &bell);
    assert_false(bell);
    assert_true(watch_track_allow_listed(&m, 17));
    assert_false(watch_track_allow_listed(&m, 5));
}

/* With a venue file: range/bearing from its origin when the feed has no enu_m, AMSL and
 * AGL from its geoid and ground, allow-list tag from its list. */
static void test_model_venue(void **state)
{
    (void)state;
    static watch_model m;
    watch_model_init(&m);
    sg_errinfo e = {0};
    sg_site *site = site_load(SG_SOURCE_DIR "/config/default-venue.json", &e);
    if (!site)
        fail_msg("%s", e.msg);
    /* origin 0.001 deg west of track 17 on its latitude */
    m.venue = (watch_venue){.lat = 51.5561, .lon = -0.2806, .geoid_n_m = 47.25,
                            .ground_amsl_m = site->ground_amsl_m, .site = site};
    feed(&m, frames[0], 1.0, NULL);
    const watch_track *r = &m.tracks[0];
    double a = 6378137.0, e2 = 6.69437999014e-3, ph = 51.5561 * M_PI / 180;
    double east = a / sqrt(1 - e2 * sin(ph) * sin(ph)) * cos(ph) * (0.001 * M_PI / 180);
    assert_float_equal(watch_track_range(&m, &r->tk), east, 0.01);
    assert_float_equal(watch_track_bearing(&m, &r->tk), 90.0, 0.01);
    assert_float_equal(r->amsl_m, 152.5 - 47.25, 1e-9);
    assert_float_equal(r->agl_m, 152.5 - 47.25 - 41.0, 1e-9);
    assert_false(watch_track_allow_listed(&m, 17)); /* 1581F5FJD22A00XY is not listed */
    const char *venue_drone =
        "track.8 {\"v\":1,\"type\":\"track\",\"id\":8,\"status\":\"confirmed\",\"t\":1795386600.0,"
        "\"time\":\"2026-11-22T22:30:00.000Z\",\"lat\":51.556,\"lon\":-0.2796,\"alt_m\":100,"
        "\"identity\":\"1581F4QDE2270001\"}";
    feed(&m, venue_drone, 1.0, NULL);
    assert_true(watch_track_allow_listed(&m, 8));
    /* unknown geoid: AMSL unknown, AGL not guessed from it */
    m.venue.geoid_n_m = NAN;
    feed(&m, frames[0], 2.0, NULL);
    r = m.tracks[0].tk.id == 17 ? &m.tracks[0] : &m.tracks[1];
    assert_true(isnan(r->amsl_m));
    assert_true(isnan(r->agl_m));
    site_free(site);
}

static void test_fmt_time(void **state)
{
    (void)state;
    char s[64];
    sg_errinfo e = {0};
    watch_fmt_time(1795386600.25, NULL, true, s, sizeof s);
    assert_string_equal(s, "2026-11-22T22:30:00.250+00:00");
    tz_info *ny = tz_load(NULL, "America/New_York", &e);
    if (!ny) {
        fprintf(stderr, "no tz database (%s): zone case skipped\n", e.msg);
        return;
    }
    watch_fmt_time(1795386600.25, ny, true, s, sizeof s);
    assert_string_equal(s, "2026-11-22T17:30:00.250-05:00");
    watch_fmt_time(1795386600.25, ny, false, s, sizeof s);
    assert_string_equal(s, "17:30:00");
    watch_fmt_time(NAN, ny, true, s, sizeof s);
    assert_string_equal(s, "-");
    tz_destroy(ny);
}

/* ---- in a real terminal: tmux at 80 and 160 columns ------------------------------------ */

static char tmux_sock[96];

static int tmux(const char *fmt, ...)
{
    char args[1024], cmd[1200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof cmd, "tmux -S '%s' %s >/dev/null 2>&1", tmux_sock, args);
    return system(cmd);
}

/* The pane's text (one line per screen row), or NULL when the session is gone. */
static char *capture(void)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "tmux -S '%s' capture-pane -p -t w 2>/dev/null", tmux_sock);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    static char buf[65536];
    size_t n = fread(buf, 1, sizeof buf - 1, p);
    buf[n] = '\0';
    return pclose(p) == 0 ? buf : NULL;
}

/* Publishes frames 0 and 2 (and the far track) until `want` is on screen or max_s. */
static char *pump_until(void *pub, bool publish, const char *want, double max_s)
{
    double end = now_s() + max_s;
    const char *pf[] = {frames[0], frames[2], track_far};
    char *screen = NULL;
    for (int k = 0; now_s() < end; k++) {
        if (publish)
            zmq_send(pub, pf[k % 3], strlen(pf[k % 3]), ZMQ_DONTWAIT);
        usleep(30000);
        if (k % 4 == 0 && (screen = capture()) && strstr(screen, want))
            return screen;
    }
    fail_msg("'%s' not on screen within %.0f s; screen:\n%s", want, max_s,
             screen ? screen : "(session gone)");
    return NULL;
}

/* No screen line of the pane wider than cols, and the given row text on one line. */
static void assert_row(const char *screen, const char *a, const char *b)
{
    const char *p = strstr(screen, a);
    if (!p)
        fail_msg("'%s' not on screen:\n%s", a, screen);
    const char *eol = strchr(p + 1, '\n'); /* a may start with the newline */
    const char *q = strstr(p, b);
    if (!q || (eol && q > eol))
        fail_msg("'%s' and '%s' not on one row (wrapped or dropped):\n%s", a, b, screen);
}

static void run_tmux(void *pub, const char *ep, int cols)
{
    char stty[128];
    snprintf(stty, sizeof stty, "%s/stty%d.txt", dir, cols);
    unlink(stty);
    tmux("kill-server");
    /* the shell records the terminal modes after sg_watch exits: raw mode must be undone */
    assert_int_equal(tmux("new-session -d -s w -x %d -y 45 \"%s --plaintext --feed-lost 1 %s; "
                          "stty -a > %s.tmp; mv %s.tmp %s; sleep 30\"", cols, watch, ep, stty, stty, stty),
                     0);
    char *s = pump_until(pub, true, "TRACKS (2)", 10);
    assert_non_null(strstr(s, "ALERTS (1)"));
    assert_row(s, "\n 3 ", "critical");
    assert_row(s, "\n 17 ", "stadium-critical");
    assert_row(s, "\n 5 ", "outer(warning)");
    assert_row(s, "\n 5 ", "500"); /* range from the site origin */
    assert_row(s, "HAE m", "TTB s");
    if (cols >= 160) { /* the wide screen has every column */
        assert_row(s, "STATUS    CLASS", "PILOT");
        assert_row(s, "\n 5 ", "51.55000,-0.28000"); /* pilot position */
        assert_row(s, "\n 17 ", "stadium-critical(critical,IN)"); /* not cut */
        assert_row(s, "\n 17 ", "1581F5FJD22A00XY");
        assert_row(s, "\n 5 ", "72"); /* AGL from Remote ID */
        assert_non_null(strstr(s, "heights: HAE=WGS84 ellipsoid  AGL=Remote ID height"));
    } else {
        assert_null(strstr(s, "PILOT"));
    }
    assert_non_null(strstr(s, "ALERT HISTORY"));
    assert_non_null(strstr(s, "22:30:01  raised  critical"));

    /* keys: select the alert, acknowledge it, sort, filter, help */
    tmux("send-keys -t w j");
    tmux("send-keys -t w a");
    s = pump_until(pub, true, "ACK ", 5); /* the header says ACK too: look at the row */
    s = pump_until(pub, true, ">3 ", 5);
    assert_row(s, "\n>3 ", "ACK");
    tmux("send-keys -t w s");
    pump_until(pub, true, "sort time to breach", 5);
    tmux("send-keys -t w f f f f");
    s = pump_until(pub, true, "filter critical", 5);
    assert_non_null(strstr(s, "TRACKS (1)")); /* track 5 is only a warning */
    tmux("send-keys -t w Down");
    tmux("send-keys -t w ?");
    pump_until(pub, true, "sg_watch keys", 5);
    tmux("send-keys -t w x");
    pump_until(pub, true, "ALERT HISTORY", 5);

    /* the feed goes silent: banner, and the alert is no longer shown as raised */
    s = pump_until(pub, false, "FEED LOST", 5);
    s = pump_until(pub, false, "STALE", 5);
    assert_row(s, "\n>3 ", "STALE");

    tmux("send-keys -t w q");
    double end = now_s() + 5;
    char *modes = NULL;
    sg_errinfo e;
    while (now_s() < end && sg_read_file(stty, 1 << 16, &modes, NULL, &e) != SG_OK)
        usleep(50000);
    if (!modes)
        fail_msg("sg_watch did not quit on 'q' at %d columns", cols);
    if (!strstr(modes, " icanon") || !strstr(modes, " echo "))
        fail_msg("terminal left in raw mode after q:\n%s", modes);
    free(modes);
    tmux("kill-server");
}

/* A plaintext publisher for a console in tmux (skips the test without tmux). */
typedef struct {
    void *ctx, *pub;
    feed_auth *auth;
    char ep[128];
} tmux_pub;

static void tmux_open(tmux_pub *t)
{
    if (system("tmux -V >/dev/null 2>&1") != 0) {
        fprintf(stderr, "tmux not installed: terminal test skipped\n");
        skip();
    }
    snprintf(tmux_sock, sizeof tmux_sock, "%s/tmux.sock", dir);
    t->ctx = zmq_ctx_new();
    t->auth = plaintext_auth(t->ctx);
    t->pub = make_pub(t->ctx, t->auth, t->ep, sizeof t->ep);
}

static void tmux_close(tmux_pub *t)
{
    zmq_close(t->pub);
    feed_auth_destroy(t->auth);
    zmq_ctx_term(t->ctx);
}

/* A fusion node's status: two sensor nodes, one ok, one silent with its clock 2 s off. */
static const char *status_nodes =
    "status.control {\"v\":1,\"type\":\"status\",\"t\":1795386602.0,"
    "\"time\":\"2026-11-22T22:30:02.000Z\",\"node\":\"control\",\"samples_processed\":1000,"
    "\"sensors\":[{\"id\":\"rf-north\",\"state\":\"ok\",\"node\":\"north-roof\","
    "\"link_dropped\":0},{\"id\":\"cam-east\",\"state\":\"degraded\",\"node\":\"east-stand\","
    "\"link_dropped\":12},{\"id\":\"rid-east\",\"state\":\"degraded\",\"node\":\"east-stand\","
    "\"link_dropped\":12}],"
    "\"nodes\":{\"refused\":1,\"malformed\":2,\"lost\":7,\"late\":3,\"reordered\":0,\"nodes\":["
    "{\"name\":\"north-roof\",\"state\":\"ok\",\"silent_s\":0.004,\"clock_offset_s\":0.0003,"
    "\"link_delay_ms\":0.41,\"clock_flagged\":false,\"lost\":0,\"rejoins\":0},"
    "{\"name\":\"east-stand\",\"state\":\"silent\",\"silent_s\":12.5,\"clock_offset_s\":2.0012,"
    "\"link_delay_ms\":3.5,\"clock_flagged\":true,\"lost\":7,\"rejoins\":1}]}}";

/* The console shows each sensor node of a fusion node's status: state, clock offset, link
 * delay, drops (lost on the link, and the node's own link drops), a bad node in red. */
static void test_tmux_nodes(void **state)
{
    (void)state;
    tmux_pub tp;
    tmux_open(&tp);
    void *pub = tp.pub;
    const char *ep = tp.ep;
    tmux("kill-server");
    assert_int_equal(tmux("new-session -d -s w -x 100 -y 45 \"%s --plaintext %s; sleep 30\"",
                          watch, ep), 0);
    double end = now_s() + 10;
    char *s = NULL;
    for (int k = 0; now_s() < end; k++) {
        zmq_send(pub, status_nodes, strlen(status_nodes), ZMQ_DONTWAIT);
        usleep(50000);
        if ((s = capture()) && strstr(s, "east-stand"))
            break;
    }
    if (!s || !strstr(s, "east-stand"))
        fail_msg("no nodes on screen:\n%s", s ? s : "(session gone)");
    assert_row(s, "NODES (2)", "refused 1  malformed 2  lost 7  late 3");
    assert_row(s, " north-roof", " ok ");
    assert_row(s, " north-roof", "offset +0.0003 s");
    assert_row(s, " north-roof", "delay 0.41 ms");
    assert_row(s, " north-roof", "link drops 0");
    assert_row(s, " east-stand", " silent ");
    assert_row(s, " east-stand", "offset +2.0012 s");
    assert_row(s, " east-stand", "lost 7");
    assert_row(s, " east-stand", "link drops 12");
    assert_row(s, " east-stand", "CLOCK OFF");
    /* the bad node's row is red (SGR 31) */
    char cmd[256];
    snprintf(cmd, sizeof cmd, "tmux -S '%s' capture-pane -e -p -t w 2>/dev/null | grep -c "
             "$(printf '\\033')'\\[31m east-stand'", tmux_sock);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    int red = 0;
    assert_int_equal(fscanf(p, "%d", &red), 1);
    pclose(p);
    assert_int_equal(red, 1);
    tmux("send-keys -t w q");
    tmux("kill-server");
    tmux_close(&tp);
}

static void test_tmux(void **state)
{
    (void)state;
    tmux_pub tp;
    tmux_open(&tp);
    run_tmux(tp.pub, tp.ep, 80);
    run_tmux(tp.pub, tp.ep, 160);
    run_tmux(tp.pub, tp.ep, 200);
    tmux_close(&tp);
}

static int setup(void **state)
{
    (void)state;
    return scratch_dir_make(dir, sizeof dir, "watch");
}

static int teardown(void **state)
{
    (void)state;
    return scratch_dir_remove(dir);
}

/* The venue's site.time_zone is the zone of every shown time without --tz: the table's
 * alert history in a real terminal and the --lines prefix; --tz still overrides it. */
static void test_venue_time_zone(void **state)
{
    (void)state;
    char venue[128];
    snprintf(venue, sizeof venue, "%s/venue-ny.json", dir);
    FILE *f = fopen(venue, "w");
    assert_non_null(f);
    fputs("{\"version\": 1, \"site\": {\"name\": \"tz test\", \"origin\": {\"lat_deg\": 51.556, "
          "\"lon_deg\": -0.2796, \"alt_m\": 87}, \"time_zone\": \"America/New_York\"},\n"
          " \"geoid_undulation_m\": 47, \"sensors\": [{\"id\": \"rf\", \"kind\": \"rf\", "
          "\"enabled\": false, \"position\": {\"lat_deg\": 51.556, \"lon_deg\": -0.2796, "
          "\"alt_m\": 90}}]}\n", f);
    fclose(f);
    void *ctx = zmq_ctx_new();
    feed_auth *a = plaintext_auth(ctx);
    char ep[128];
    void *pub = make_pub(ctx, a, ep, sizeof ep);

    /* 22:30:01 UTC on 22 November is 17:30:01 EST (-05:00) */
    char *argv1[] = {(char *)watch, "--plaintext", "--topic", "alert.", "--once", "-c", venue,
                     ep, NULL};
    assert_int_equal(run_watch(pub, argv1, 30), 0);
    char *out = slurp("out.txt");
    if (strncmp(out, "2026-11-22T17:30:01.000-05:00 ALERT 3 raised", 44) != 0)
        fail_msg("--lines not in the venue's zone: %s", out);
    free(out);
    char *argv2[] = {(char *)watch, "--plaintext", "--topic", "alert.", "--once", "-c", venue,
                     "--tz", "Europe/Berlin", ep, NULL};
    assert_int_equal(run_watch(pub, argv2, 30), 0);
    out = slurp("out.txt");
    if (strncmp(out, "2026-11-22T23:30:01.000+01:00 ALERT 3 raised", 44) != 0)
        fail_msg("--tz did not override the venue's zone: %s", out);
    free(out);

    if (system("tmux -V >/dev/null 2>&1") != 0) {
        fprintf(stderr, "tmux not installed: terminal part skipped\n");
    } else {
        snprintf(tmux_sock, sizeof tmux_sock, "%s/tmux.sock", dir);
        tmux("kill-server");
        assert_int_equal(tmux("new-session -d -s w -x 80 -y 45 \"%s --plaintext -c %s %s; "
                              "sleep 30\"", watch, venue, ep), 0);
        char *s = pump_until(pub, true, "ALERT HISTORY", 10);
        s = pump_until(pub, true, "17:30:01  raised  critical", 5);
        if (!strstr(s, "tz America/New_York"))
            fail_msg("the title does not name the venue's zone:\n%s", s);
        assert_null(strstr(s, "22:30:01")); /* no UTC time left on screen */
        tmux("kill-server");
    }
    zmq_close(pub);
    feed_auth_destroy(a);
    zmq_ctx_term(ctx);
}


int main(void)
{
    if (access(watch, X_OK) != 0) {
        fprintf(stderr, "%s not built: skipped\n", watch);
        return 77;
    }
    if (!zmq_has("curve")) {
        fprintf(stderr, "libzmq without CURVE: skipped\n");
        return 77;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plaintext_lines_and_log),
        cmocka_unit_test(test_curve),
        cmocka_unit_test(test_model),
        cmocka_unit_test(test_model_venue),
        cmocka_unit_test(test_fmt_time),
        cmocka_unit_test(test_tmux),
        cmocka_unit_test(test_tmux_nodes),
        cmocka_unit_test(test_venue_time_zone),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
