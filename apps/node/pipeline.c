/* The daemon's pipeline (see pipeline.h): the standalone daemon is both halves in one
 * process, the sensor side (sensor_side.h: sensor threads, RF chain, recording) and
 * the fusion side (fusion_side.h: registry, tracker, alerts, feed, status) joined by
 * the in-process node link (node_link.h), the same interface a distributed venue
 * runs over the network. This file owns the venue, the stop flag and the outputs
 * shared by both halves (incident recording). */
#include "pipeline.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fusion_side.h"
#include "node_link.h"
#include "sensor_side.h"
#include "sg_json.h"
#include "site.h"

struct pipeline {
    pipeline_opts o;
    sg_site *site;
    node_link *link;
    sensor_side *sensors;
    fusion_side *fusion;
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
    fusion_side_opts fo = {
        .replay = p->o.replay_path != NULL,
        .realtime = p->o.realtime,
        .progress = p->o.progress,
        .wait_subscriber_s = p->o.wait_subscriber_s,
        .linger_s = p->o.linger_s,
        .log = p->o.log,
        .log_user = p->o.log_user,
        .warn = p->o.warn,
        .warn_user = p->o.warn_user,
    };
    if (!(p->fusion = fusion_side_create(p->site, &fo, e)))
        goto fail;
    if (!(p->link = node_link_inproc_create(p->o.event_queue, e)))
        goto fail;
    sensor_side_opts so = {
        .replay_path = p->o.replay_path,
        .sample_rate = p->o.sample_rate,
        .realtime = p->o.realtime,
    };
    if (!(p->sensors = sensor_side_create(p->site, &so, p->link, &p->stop, e)))
        goto fail;
    if (resolve_recording(p, e))
        goto fail;
    sensor_side_set_record_dir(p->sensors, p->o.record_dir);
    if (fusion_side_open_feed(p->fusion, p->o.endpoint, p->o.record_out, e))
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
    site_free(p->site);
    free(p);
}

static size_t poll_sensors(void *user, sg_errinfo *why) { return sensor_side_poll(user, why); }

int pipeline_run(pipeline *p, sg_errinfo *e)
{
    fusion_side_announce(p->fusion, &p->stop);
    size_t running = 0;
    int result = sensor_side_start(p->sensors, &running, e);
    if (result != SG_OK)
        pipeline_stop(p);
    result = fusion_side_run(p->fusion, p->link, running, poll_sensors, p->sensors, result, e);
    p->abandoned = sensor_side_join(p->sensors);
    fusion_side_finish(p->fusion, p->link, &p->stop);
    return result;
}
