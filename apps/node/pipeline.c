/* The daemon's pipeline (see pipeline.h): the standalone daemon is both halves in one
 * process, the sensor side (sensor_side.h: sensor threads, RF chain, recording) and
 * the fusion side (fusion_side.h: registry, tracker, alerts, feed, status) joined by
 * the in-process node link (node_link.h). A distributed venue runs the same halves in
 * separate processes joined by the ZeroMQ node link (node_zmq.h): role "sensor" is
 * the sensor side of one node, role "fusion" the fusion side of all of them. This
 * file owns the venue, the stop flag and the outputs shared by both halves. */
#include "pipeline.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fusion_side.h"
#include "node_cfg.h"
#include "node_link.h"
#include "node_zmq.h"
#include "sensor_side.h"
#include "sg_json.h"
#include "site.h"

struct pipeline {
    pipeline_opts o;
    sg_site *site;
    node_link *link;
    sensor_side *sensors;
    fusion_side *fusion;
    node_cfg nodes;            /* roles sensor and fusion */
    int node;                  /* role sensor: this node's index */
    size_t inputs;             /* role fusion: sensors on the nodes (NL_DONE to expect) */
    atomic_bool stop;
    size_t abandoned;          /* sensor threads that did not stop (still running) */
    char rec_feed[SG_PATH_LEN];
    char rec_dir[SG_PATH_LEN];
};

void pipeline_opts_default(pipeline_opts *o)
{
    memset(o, 0, sizeof *o);
    o->linger_s = 0.5;
    o->event_queue = 4096;
}

/* Incident recording: --record, else the venue's outputs.record {"dir": ...}; its
 * feed.jsonl replaces --record-out. */
static int resolve_recording(pipeline *p, sg_errinfo *e)
{
    const sg_site *site = p->site;
    char where[SG_PATH_LEN + 32];
    if (!p->o.record_dir && site->record) {
        /* outputs.record {"dir": ...}: record every run (the command line wins) */
        static const char *const keys[] = {"dir", NULL};
        char rel[SG_PATH_LEN];
        snprintf(where, sizeof where, "%s: outputs.record", site->path);
        if (sgj_check_keys(site->record, where, keys, e) ||
            sgj_string(site->record, where, "dir", true, NULL, rel, sizeof rel, e))
            return e->code;
        if (sg_path_relative_to(site->path, rel, p->rec_dir, sizeof p->rec_dir))
            return sg_err_set(e, SG_ERANGE, "%s.dir: path too long", where);
        p->o.record_dir = p->rec_dir;
    }
    if (p->o.record_dir) {
        struct stat st;
        if (stat(p->o.record_dir, &st) != 0 || !S_ISDIR(st.st_mode))
            return sg_err_set(e, SG_ENOTFOUND, "recording directory %s does not exist",
                              p->o.record_dir);
        snprintf(p->rec_feed, sizeof p->rec_feed, "%s/feed.jsonl", p->o.record_dir);
        if (p->o.record_out)
            return sg_err_set(e, SG_EINVAL, "--record and --record-out are exclusive");
        p->o.record_out = p->rec_feed;
    }
    return SG_OK;
}

static void vlog(pipeline_log_fn fn, void *user, const char *fmt, va_list ap)
{
    char line[512];
    if (!fn)
        return;
    vsnprintf(line, sizeof line, fmt, ap);
    fn(user, line);
}

static void logf_(pipeline *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(pipeline *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(p->o.log, p->o.log_user, fmt, ap);
    va_end(ap);
}

/* A non-fatal warning: in the log, or through the warn callback when the log is off. */
static void warnf_(pipeline *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warnf_(pipeline *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (p->o.log)
        vlog(p->o.log, p->o.log_user, fmt, ap);
    else
        vlog(p->o.warn, p->o.warn_user, fmt, ap);
    va_end(ap);
}

static int create_sensors(pipeline *p, sg_errinfo *e)
{
    sensor_side_opts so = {
        .replay_path = p->o.replay_path,
        .sample_rate = p->o.sample_rate,
        .realtime = p->o.realtime,
        .node_of = p->o.role == PIPELINE_SENSOR ? p->nodes.node_of : NULL,
        .node = p->node,
    };
    if (!(p->sensors = sensor_side_create(p->site, &so, p->link, &p->stop, e)))
        return e->code;
    return SG_OK;
}

static int create_fusion(pipeline *p, sg_errinfo *e)
{
    fusion_side_opts fo = {
        .replay = p->o.replay_path != NULL,
        .realtime = p->o.realtime,
        .progress = p->o.progress,
        .progress_user = p->o.progress_user,
        .wait_subscriber_s = p->o.wait_subscriber_s,
        .linger_s = p->o.linger_s,
        .nodes = p->o.role == PIPELINE_FUSION,
        .log = p->o.log,
        .log_user = p->o.log_user,
        .warn = p->o.warn,
        .warn_user = p->o.warn_user,
    };
    if (!(p->fusion = fusion_side_create(p->site, &fo, e)))
        return e->code;
    return SG_OK;
}

/* Roles sensor and fusion: the venue's "nodes" section and this node. */
static int load_nodes(pipeline *p, sg_errinfo *e)
{
    int rc = node_cfg_from_site(&p->nodes, p->site, e);
    if (rc)
        return rc;
    if (p->o.role == PIPELINE_SENSOR) {
        if (!p->o.node)
            return sg_err_set(e, SG_EINVAL, "--role sensor needs --node NAME (one of the "
                              "venue's nodes.sensor_nodes)");
        if ((p->node = node_cfg_find(&p->nodes, p->o.node)) < 0)
            return sg_err_set(e, SG_EINVAL, "%s: nodes.sensor_nodes has no node \"%s\"",
                              p->site->path, p->o.node);
    } else {
        if (p->o.replay_path)
            return sg_err_set(e, SG_EINVAL, "--replay runs on a sensor node, not --role fusion");
        for (size_t i = 0; i < p->site->n_sensors; i++)
            if (p->site->sensors[i].enabled && p->nodes.node_of[i] >= 0)
                p->inputs++;
        if (p->inputs == 0)
            return sg_err_set(e, SG_EINVAL, "%s: no enabled sensor on any sensor node",
                              p->site->path);
    }
    return SG_OK;
}

pipeline *pipeline_create(const char *config_path, const pipeline_opts *o, sg_errinfo *e)
{
    pipeline *p = calloc(1, sizeof *p);
    if (!p) {
        sg_err_set(e, SG_ENOMEM, "out of memory");
        return NULL;
    }
    p->o = *o;
    if (p->o.event_queue == 0)
        p->o.event_queue = 4096;
    if (!(p->site = site_load(config_path, e)))
        goto fail;
    if (p->o.role != PIPELINE_STANDALONE && load_nodes(p, e))
        goto fail;
    switch (p->o.role) {
    case PIPELINE_STANDALONE:
        if (create_fusion(p, e) || !(p->link = node_link_inproc_create(p->o.event_queue, e)) ||
            create_sensors(p, e))
            goto fail;
        break;
    case PIPELINE_SENSOR:
        if (!(p->link = node_zmq_sensor_create(&p->nodes, p->node, e)) || create_sensors(p, e))
            goto fail;
        break;
    case PIPELINE_FUSION:
        if (create_fusion(p, e) || !(p->link = node_zmq_fusion_create(&p->nodes, p->site, e)))
            goto fail;
        break;
    }
    if (resolve_recording(p, e))
        goto fail;
    if (p->sensors)
        sensor_side_set_record_dir(p->sensors, p->o.record_dir);
    if (p->fusion && fusion_side_open_feed(p->fusion, p->o.endpoint, p->o.record_out, e))
        goto fail;
    return p;
fail:
    pipeline_destroy(p);
    return NULL;
}

/* A pipeline whose stuck sensor thread was abandoned: kept reachable (not a leak) while
 * the process ends. */
static pipeline *g_parked;

void pipeline_stop(pipeline *p) { atomic_store(&p->stop, true); }

void pipeline_destroy(pipeline *p)
{
    if (!p)
        return;
    sensor_side_destroy(p->sensors);
    fusion_side_destroy(p->fusion);
    if (p->abandoned) {
        g_parked = p; /* a stuck sensor thread may still touch the link and the venue */
        return;
    }
    node_link_destroy(p->link);
    node_cfg_free(&p->nodes);
    site_free(p->site);
    free(p);
}

static bool poll_sensors(void *user, sg_errinfo *why)
{
    return sensor_side_poll(user, why) > 0; /* else the loop ends when every input did */
}

static bool poll_stop(void *user, sg_errinfo *why)
{
    (void)why;
    return atomic_load((atomic_bool *)user);
}

/* Role sensor: the node's sensors run until their inputs end or stop; what is still
 * queued then goes out within the link's drain time. Sensors that do not stop within
 * SENSOR_STOP_GRACE_S of a stop request are abandoned (named in e, SG_ETIMEOUT). */
static int run_sensor_node(pipeline *p, sg_errinfo *e)
{
    const node_sensor_node *nd = &p->nodes.nodes[p->node];
    logf_(p, "skyguardd: sensor node \"%s\" of venue \"%s\", %zu sensor(s), fusion node at %s%s",
          nd->name, p->site->name, sensor_side_count(p->sensors), p->nodes.endpoint,
          p->nodes.plaintext ? " (plaintext)" : " (CURVE)");
    size_t running = 0;
    int result = sensor_side_start(p->sensors, &running, e);
    if (result != SG_OK)
        pipeline_stop(p);
    while (sensor_side_finished(p->sensors) < running) {
        sg_errinfo why = {0};
        if (sensor_side_poll(p->sensors, &why) > 0) {
            warnf_(p, "skyguardd: %s; exiting without it", why.msg);
            if (result == SG_OK) {
                sg_err_set(e, why.code, "%s", why.msg);
                result = why.code;
            }
            break;
        }
        usleep(20000);
    }
    p->abandoned = sensor_side_join(p->sensors);
    node_link_halt(p->link);
    nl_stats ls;
    node_link_stats(p->link, &ls);
    logf_(p, "node %s: %llu events queued, %llu dropped (queue full or fusion node slow), "
          "%llu bytes sent", nd->name, (unsigned long long)ls.pushed,
          (unsigned long long)ls.dropped, (unsigned long long)ls.bytes);
    return result;
}

int pipeline_run(pipeline *p, sg_errinfo *e)
{
    if (p->o.role == PIPELINE_SENSOR)
        return run_sensor_node(p, e);
    fusion_side_announce(p->fusion, &p->stop);
    if (p->o.role == PIPELINE_FUSION) {
        logf_(p, "fusion node: %zu sensor node(s) connect to %s (bound %s, %s)",
              p->nodes.n_nodes, p->nodes.endpoint, p->nodes.bind,
              p->nodes.plaintext ? "plaintext" : "CURVE");
        int result = fusion_side_run(p->fusion, p->link, p->inputs, poll_stop, &p->stop, SG_OK, e);
        fusion_side_finish(p->fusion, p->link, &p->stop);
        return result;
    }
    size_t running = 0;
    int result = sensor_side_start(p->sensors, &running, e);
    if (result != SG_OK)
        pipeline_stop(p);
    result = fusion_side_run(p->fusion, p->link, running, poll_sensors, p->sensors, result, e);
    p->abandoned = sensor_side_join(p->sensors);
    fusion_side_finish(p->fusion, p->link, &p->stop);
    return result;
}
