/* skyguardd: the skyguard daemon. Runs a venue's sensors (live or replayed) through
 * the pipeline and publishes one track list, alerts and status on the operator feed:
 *
 *   sensor threads (one per enabled sensor)          fusion thread (main)
 *   RF:  adapter -> frontend -> bursts -> decoders \
 *                           -> emitters            +-> event queue -> registry -> tracker
 *   (camera, Wi-Fi Remote ID: their own adapters)  /      -> WGS84 -> alerts -> feed + log
 *
 * Time is the sample clock of the inputs (clock tick events carry it), so a replay at
 * full speed gives the same tracks and alerts as live. Replay sensors push events
 * with back-pressure (lossless); live sensors never block and count their drops.
 * --role sensor / fusion split the same two halves over machines (docs/nodes.md). */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "devices.h"
#include "pipeline.h"
#include "sg_jsonw.h"
#include "sink.h"
#include "site.h"
#include "sg_lsan.h"

static pipeline *g_pipe;

SG_LSAN_SUPPRESS(SG_LSAN_GLIB)

static void on_signal(int sig)
{
    (void)sig;
    if (g_pipe)
        pipeline_stop(g_pipe);
}

static void log_line(void *user, const char *line)
{
    FILE *f = user;
    fputs(line, f);
    fputc('\n', f);
    fflush(f);
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: skyguardd [options]\n"
            "  -c, --config FILE       venue configuration (default config/default-venue.json)\n"
            "  -r, --replay FILE       replay a SigMF recording (.sigmf-meta or .sigmf-data)\n"
            "                          through the first RF sensor instead of its adapter\n"
            "      --sample-rate HZ    sample rate when the recording's metadata lacks it\n"
            "      --realtime          pace replay to real time (default: as fast as possible)\n"
            "  -e, --endpoint EP       feed endpoint (overrides outputs.feed.endpoint)\n"
            "      --record-out FILE   write every published message to FILE (JSONL)\n"
            "      --record DIR        record an incident: each RF sensor's input as\n"
            "                          DIR/<sensor>.sigmf-meta/-data (detections as\n"
            "                          annotations) and the feed as DIR/feed.jsonl\n"
            "      --wait-subscriber S wait up to S seconds for a first subscriber before\n"
            "                          starting (replays: so nothing is missed)\n"
            "      --linger S          keep the feed open S seconds after a replay ends (0.5)\n"
            "      --role ROLE         standalone (default: every sensor and fusion here),\n"
            "                          sensor (the sensors of --node, sent to the fusion\n"
            "                          node) or fusion (tracks every sensor node); the venue's\n"
            "                          \"nodes\" section says where (docs/nodes.md)\n"
            "      --node NAME         with --role sensor: this machine's node\n"
            "  -q, --quiet             no per-event lines on stdout (errors and warnings\n"
            "                          still on stderr)\n"
            "      --progress          replay progress on stderr\n"
            "      --check             validate the venue (zones, signatures, keys, devices,\n"
            "                          feed endpoint, sg_bridge's outputs) and exit\n"
            "      --list-devices      list the SDRs (SoapySDR) and cameras (GStreamer device\n"
            "                          monitor, V4L2) this machine has, with how a venue\n"
            "                          file opens each, and exit\n"
            "  -h, --help\n"
            "Exit status: 0 normal end (end of replay or stop signal), 1 bad usage or\n"
            "configuration, 2 runtime failure of an input or output.\n");
}

/* --check: what pipeline_create validates (venue, zones, signatures, keys, devices opened,
 * feed endpoint bound) and sg_bridge's outputs, then exit without running: 0 valid, 1 not. */
static int check_venue(const char *config, const pipeline_opts *o)
{
    sg_errinfo e = {0};
    pipeline *p = pipeline_create(config, o, &e);
    sg_site *s = p ? site_load(config, &e) : NULL;
    sink_bridge_cfg bc;
    sink_env env = {.venue_path = s ? s->path : config, .site_name = s ? s->name : "",
                    .check_only = true};
    int n = 0, rc = !s ? SG_EINVAL
                       : sink_bridge_parse(s->outputs, s->feed_security, s->feed_endpoint,
                                           s->path, &bc, &e);
    if (rc == SG_OK && (rc = sinks_create(s->outputs, &env, NULL, NULL, &n, &e)) == SG_ENOTFOUND)
        rc = SG_OK; /* no sinks: nothing for sg_bridge to run */
    if (rc == SG_OK)
        printf("skyguardd: %s: valid (%d sg_bridge output%s)\n", config, n, n == 1 ? "" : "s");
    else
        fprintf(stderr, "skyguardd: %s\n", e.msg);
    site_free(s);
    pipeline_destroy(p);
    return rc == SG_OK ? 0 : 1;
}

static void print_device(void *user, const sg_device *d)
{
    (void)user;
    printf("  %s\n    open: %s\n", d->name, d->open);
    if (d->detail[0])
        printf("    %s\n", d->detail);
}

/* --list-devices: every lister once; a driver this build lacks is said, not an error. */
static int list_devices(void)
{
    static const char *const title[] = {"SDRs (SoapySDR; adapter {\"type\": \"soapy\", \"args\": open})",
                                        "cameras (GStreamer device monitor; pipeline source: open)",
                                        "cameras (V4L2 capture nodes; pipeline source: open)"};
    int failed = 0;
    for (int k = 0; k < 3; k++) {
        sg_errinfo e = {0};
        printf("%s:\n", title[k]);
        fflush(stdout);
        int n = k == 0   ? sg_devices_soapy(print_device, NULL, &e)
                : k == 1 ? sg_devices_gstreamer(print_device, NULL, &e)
                         : sg_devices_v4l2(NULL, print_device, NULL, &e);
        if (n >= 0)
            printf("  %d found\n", n);
        else if (n == SG_ENOTSUP)
            printf("  not in this build: %s\n", e.msg);
        else
            fprintf(stderr, "skyguardd: --list-devices: %s\n", e.msg), failed = 1;
    }
    return failed ? 2 : 0;
}

int main(int argc, char **argv)
{
    bool check = false;
    pipeline_opts o;
    pipeline_opts_default(&o);
    o.log = log_line;
    o.log_user = stdout;
    o.warn = log_line;
    o.warn_user = stderr;
    const char *config = "config/default-venue.json";
    static const struct option lopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"replay", required_argument, NULL, 'r'},
        {"sample-rate", required_argument, NULL, 1},
        {"realtime", no_argument, NULL, 2},
        {"endpoint", required_argument, NULL, 'e'},
        {"record-out", required_argument, NULL, 3},
        {"wait-subscriber", required_argument, NULL, 4},
        {"linger", required_argument, NULL, 5},
        {"quiet", no_argument, NULL, 'q'},
        {"progress", no_argument, NULL, 6},
        {"record", required_argument, NULL, 7},
        {"check", no_argument, NULL, 8},
        {"role", required_argument, NULL, 10},
        {"node", required_argument, NULL, 11},
        {"list-devices", no_argument, NULL, 12},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    char *end;
    while ((c = getopt_long(argc, argv, "c:r:e:qh", lopts, NULL)) != -1) {
        switch (c) {
        case 'c':
            config = optarg;
            break;
        case 'r':
            o.replay_path = optarg;
            break;
        case 1:
            o.sample_rate = strtod(optarg, &end);
            if (*end || !(o.sample_rate > 0) || !isfinite(o.sample_rate)) {
                fprintf(stderr, "skyguardd: --sample-rate: \"%s\" is not a positive rate in Hz\n",
                        optarg);
                return 1;
            }
            break;
        case 2:
            o.realtime = true;
            break;
        case 'e':
            o.endpoint = optarg;
            break;
        case 3:
            o.record_out = optarg;
            break;
        case 4:
        case 5: {
            double v = strtod(optarg, &end);
            if (*end || !(v >= 0) || v > 3600) {
                fprintf(stderr, "skyguardd: --%s: \"%s\" must be seconds in [0, 3600]\n",
                        c == 4 ? "wait-subscriber" : "linger", optarg);
                return 1;
            }
            if (c == 4)
                o.wait_subscriber_s = v;
            else
                o.linger_s = v;
            break;
        }
        case 'q':
            o.log = NULL; /* warnings still reach stderr */
            break;
        case 6:
            o.progress = log_line; /* stderr: stdout stays the event log */
            o.progress_user = stderr;
            break;
        case 7:
            o.record_dir = optarg;
            break;
        case 8:
            check = true;
            break;
        case 10:
            if (strcmp(optarg, "standalone") == 0) {
                o.role = PIPELINE_STANDALONE;
            } else if (strcmp(optarg, "sensor") == 0) {
                o.role = PIPELINE_SENSOR;
            } else if (strcmp(optarg, "fusion") == 0) {
                o.role = PIPELINE_FUSION;
            } else {
                fprintf(stderr, "skyguardd: --role: \"%s\" is not standalone, sensor or fusion\n",
                        optarg);
                return 1;
            }
            break;
        case 11:
            o.node = optarg;
            break;
        case 12:
            return list_devices();
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 1;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "skyguardd: unexpected argument \"%s\"\n", argv[optind]);
        usage(stderr);
        return 1;
    }
    if (check)
        return check_venue(config, &o);
    sg_errinfo e = {0};
    g_pipe = pipeline_create(config, &o, &e);
    if (!g_pipe) {
        fprintf(stderr, "skyguardd: %s\n", e.msg);
        return e.code == SG_EIO && strstr(e.msg, "bind") ? 2 : 1;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    int rc = pipeline_run(g_pipe, &e);
    if (rc != SG_OK)
        fprintf(stderr, "skyguardd: %s\n", e.msg);
    pipeline_destroy(g_pipe);
    g_pipe = NULL;
    return rc == SG_OK ? 0 : 2;
}
