/* bench_nodes (issue 13): measurements per second one fusion node ingests per core from
 * 20 sensor nodes over the ZeroMQ node link (apps/node/node_zmq.h): receive, CURVE
 * decryption and authentication (or plaintext), sender check, sequence accounting and
 * decoding into events, i.e. everything before the tracker (bench_tracker measures that).
 *
 * The 20 sensor ends run in a child process, each pushing DroneID-like position
 * measurements without loss; the fusion end runs in this process and its CPU time
 * (every thread: the receiving loop, ZeroMQ's I/O thread, the ZAP handler) is the cost.
 * Verified: every measurement arrives once, decoded, from the node that runs its
 * sensor, with nothing lost or refused; otherwise the run fails.
 *
 *   bench_nodes [per_node] [curve|plaintext]     (default 20000, both) */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "feed_auth.h"
#include "node_cfg.h"
#include "node_zmq.h"
#include "sg_clock.h"

#define NODES 20

static double now_s(void) { return sg_clock_s(CLOCK_MONOTONIC); }

static double cpu_s(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)u.ru_utime.tv_sec + u.ru_utime.tv_usec * 1e-6 + (double)u.ru_stime.tv_sec +
           u.ru_stime.tv_usec * 1e-6;
}

static sg_site *make_venue(const char *dir, bool curve, sg_errinfo *e)
{
    static char text[65536];
    size_t n = 0;
    n += (size_t)snprintf(text + n, sizeof text - n,
                          "{\"version\": 1, \"site\": {\"name\": \"bench\", \"origin\": "
                          "{\"lat_deg\": 51.556, \"lon_deg\": -0.2796, \"alt_m\": 87}},"
                          " \"sensors\": [");
    for (int i = 0; i < NODES; i++)
        n += (size_t)snprintf(text + n, sizeof text - n,
                              "%s{\"id\": \"rf-%d\", \"kind\": \"rf\", \"position\": {\"lat_deg\": "
                              "51.556, \"lon_deg\": -0.2796, \"alt_m\": 100}, \"adapter\": "
                              "{\"type\": \"sigmf\", \"path\": \"none\"}}",
                              i ? "," : "", i);
    n += (size_t)snprintf(text + n, sizeof text - n,
                          "], \"nodes\": {\"fusion\": {\"endpoint\": \"ipc://%s/fusion.ipc\", "
                          "\"security\": \"%s\", \"key_file\": \"%s/fusion.key\", "
                          "\"public_key_file\": \"%s/fusion.pub\"}, \"queue\": 8192, \"sensor_nodes\": [",
                          dir, curve ? "curve" : "plaintext", dir, dir);
    for (int i = 0; i < NODES; i++) {
        char path[600];
        feed_keypair kp;
        snprintf(path, sizeof path, "%s/n%d.key", dir, i);
        if (feed_key_generate(&kp, e) || feed_key_save(path, &kp, true, true, e))
            return NULL;
        n += (size_t)snprintf(text + n, sizeof text - n,
                              "%s{\"name\": \"n%d\", \"sensors\": [\"rf-%d\"], \"key_file\": "
                              "\"%s\", \"public_key\": \"%s\"}",
                              i ? "," : "", i, i, path, kp.public_z85);
    }
    snprintf(text + n, sizeof text - n, "]}}");
    feed_keypair kp;
    char path[600];
    snprintf(path, sizeof path, "%s/fusion.key", dir);
    if (feed_key_generate(&kp, e) || feed_key_save(path, &kp, true, true, e))
        return NULL;
    snprintf(path, sizeof path, "%s/fusion.pub", dir);
    if (feed_key_save(path, &kp, false, true, e))
        return NULL;
    return site_parse("bench-venue.json", text, strlen(text), e);
}

static nl_event measurement(int sensor, long k)
{
    nl_event ev = {.kind = NL_MEAS, .sensor = sensor, .t = 1784572200.0 + k * 0.01,
                   .fc = 2.4445e9, .bw = 10e6};
    ev.first_t = ev.t - 10;
    ev.t_end = ev.t + 0.0006;
    sg_measurement *m = &ev.m;
    m->t = ev.t;
    m->sensor = sensor;
    m->type = SG_MEAS_POS_WGS84;
    m->z[0] = 0.8998 + k * 1e-9;
    m->z[1] = -0.00488;
    m->z[2] = 150;
    m->R[0] = m->R[4] = 25;
    m->R[8] = 100;
    m->has_vel = true;
    m->vel_enu[0] = 10;
    snprintf(m->cls, sizeof m->cls, "dji_droneid");
    m->cls_conf = 1;
    snprintf(m->identity, sizeof m->identity, "1581F5FJB23A%04d", sensor);
    m->has_operator = true;
    m->operator_lat = 0.8999;
    m->operator_lon = -0.0049;
    m->operator_alt = NAN;
    /* the DroneID details a real decode carries (wire version 2: 284 bytes in all) */
    sg_droneid_info *d = &m->droneid;
    *d = (sg_droneid_info){.valid = true, .msg_type = 0x10, .nsym = 9, .version = 2,
                           .seq = (uint16_t)k, .state = 0x1f73, .serial_valid = true,
                           .home_set = true, .motor_on = true, .in_air = true,
                           .gps_valid = true, .alt_valid = true, .height_valid = true,
                           .hvel_valid = true, .vup_valid = true, .att_valid = true,
                           .height_m = 100, .altitude_m = 150, .v_east = 10, .yaw_deg = 90,
                           .has_home = true, .has_pilot = true, .home_lat = 0.8999,
                           .home_lon = -0.0049, .pilot_lat = 0.8999, .pilot_lon = -0.0049,
                           .app_time = ev.t, .product = 16};
    snprintf(d->uuid, sizeof d->uuid, "12345678901234567890");
    snprintf(d->product_name, sizeof d->product_name, "Mavic Air 2");
    clock_gettime(CLOCK_MONOTONIC, &ev.made);
    return ev;
}

/* Child: 20 sensor ends, per_node measurements each, then end of input. */
static void run_senders(const node_cfg *cfg, long per_node)
{
    node_link *l[NODES];
    sg_errinfo e = {0};
    for (int i = 0; i < NODES; i++)
        if (!(l[i] = node_zmq_sensor_create(cfg, i, &e))) {
            fprintf(stderr, "bench_nodes: %s\n", e.msg);
            _exit(2);
        }
    for (long k = 0; k < per_node; k++)
        for (int i = 0; i < NODES; i++) {
            nl_event ev = measurement(i, k);
            if (node_link_push(l[i], &ev, true) != SG_OK)
                _exit(3);
        }
    for (int i = 0; i < NODES; i++) {
        nl_event done = {.kind = NL_DONE, .sensor = i, .t = NAN};
        node_link_push(l[i], &done, true);
        node_link_destroy(l[i]); /* drains its queue first */
    }
    _exit(0);
}

static int bench(bool curve, long per_node)
{
    char dir[] = "/tmp/bench_nodes.XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    sg_errinfo e = {0};
    sg_site *site = make_venue(dir, curve, &e);
    node_cfg cfg;
    if (!site || node_cfg_from_site(&cfg, site, &e)) {
        fprintf(stderr, "bench_nodes: %s\n", e.msg);
        return 1;
    }
    /* fork before any ZeroMQ context exists here; the senders reconnect until we bind */
    pid_t child = fork();
    if (child == 0)
        run_senders(&cfg, per_node);
    node_link *fus = node_zmq_fusion_create(&cfg, site, &e);
    if (!fus) {
        fprintf(stderr, "bench_nodes: %s\n", e.msg);
        kill(child, SIGKILL);
        return 1;
    }
    long want = per_node * NODES, got = 0, done = 0, bad = 0;
    long next[NODES] = {0};
    double t0 = NAN, c0 = NAN, t1 = 0, c1 = 0;
    while (done < NODES) {
        nl_event ev;
        int rc = node_link_pop(fus, &ev, 5.0);
        if (rc == SG_ETIMEOUT) {
            fprintf(stderr, "bench_nodes: no message for 5 s (%ld of %ld)\n", got, want);
            break;
        }
        if (isnan(t0)) {
            t0 = now_s();
            c0 = cpu_s();
        }
        if (ev.kind == NL_DONE) {
            done++;
            continue;
        }
        if (ev.kind != NL_MEAS)
            continue;
        /* each node's measurements arrive once, in order, decoded */
        long k = lround((ev.t - 1784572200.0) / 0.01);
        if (ev.sensor < 0 || ev.sensor >= NODES || k != next[ev.sensor] ||
            ev.m.type != SG_MEAS_POS_WGS84 || strcmp(ev.m.cls, "dji_droneid") != 0 ||
            !ev.m.droneid.valid || ev.m.droneid.seq != (uint16_t)k)
            bad++;
        else
            next[ev.sensor]++;
        got++;
        t1 = now_s();
        c1 = cpu_s();
    }
    int st = 0;
    waitpid(child, &st, 0);
    char note[256];
    for (int i = 0; i < 8 && node_link_note(fus, note, sizeof note) > 0; i++)
        if (!strstr(note, "joined"))
            fprintf(stderr, "bench_nodes: %s\n", note);
    nl_stats ls;
    node_link_stats(fus, &ls);
    double wall = t1 - t0, cpu = c1 - c0;
    printf("%-9s %2d nodes: %ld measurements in %.2f s wall, %.2f s CPU of the fusion process: "
           "%.0f /s, %.0f per core-second (%.1f MB/s received)\n",
           curve ? "CURVE" : "plaintext", NODES, got, wall, cpu, got / wall, got / cpu,
           ls.bytes / wall / 1e6);
    bool ok = got == want && bad == 0 && ls.dropped == 0 && ls.refused == 0 &&
              ls.malformed == 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0;
    if (!ok)
        fprintf(stderr, "bench_nodes: FAILED: %ld of %ld, %ld wrong, %llu lost, %llu refused, "
                        "%llu malformed, sender status %#x\n",
                got, want, bad, (unsigned long long)ls.dropped, (unsigned long long)ls.refused,
                (unsigned long long)ls.malformed, st);
    node_link_destroy(fus);
    node_cfg_free(&cfg);
    site_free(site);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_nodes: could not remove %s\n", dir);
    return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
    long per_node = argc > 1 ? atol(argv[1]) : 20000;
    const char *mode = argc > 2 ? argv[2] : "both";
    if (per_node <= 0)
        per_node = 20000;
    int rc = 0;
    if (strcmp(mode, "curve") != 0)
        rc |= bench(false, per_node);
    if (strcmp(mode, "plaintext") != 0)
        rc |= bench(true, per_node);
    return rc;
}
