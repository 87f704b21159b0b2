/* Status messages of the fusion side (see fusion_side.h): every sensor's state and
 * counters from its latest health event (so a sensor on another node reads the same
 * as a local one), the node link's health in a distributed venue, latency. */
#include "fusion_state.h"
#include "sg_clock.h"

#include <math.h>
#include <string.h>

#include "sg_jsonw.h"

/* One sensor's counters, the groups its latest health event says apply. */
static void health_json(sgjw *w, const nl_health *h)
{
    for (size_t i = 0; i < nl_n_counters; i++) { /* node_link.c: names and groups */
        const nl_counter *c = &nl_counters[i];
        if (c->name && (!c->group || (h->groups & c->group)))
            sgjw_uint(w, c->name, nl_counter_get(h, i));
    }
    if (h->groups & NL_H_SCAN) { /* channel plan: docs/rf-frontend.md */
        sgjw_uint(w, "scan_channels", h->scan_channels);
        sgjw_fix(w, "scan_cycle_s", h->scan_cycle_s, 4);
        sgjw_fix(w, "scan_duty_min", h->scan_duty_min, 4);
        sgjw_uint(w, "scan_retunes", h->scan_retunes);
        sgjw_uint(w, "samples_settling", h->samples_settling);
    }
}

static const char *sensors_json(fusion_side *p)
{
    sgjw w;
    sgjw_init(&w, p->sjson, sizeof p->sjson);
    sgjw_arr_begin(&w, NULL);
    for (size_t i = 0; i < p->site->n_sensors; i++) {
        const sg_sensor_cfg *c = &p->site->sensors[i];
        const sensor_health *h = &p->health[i];
        const char *state;
        /* A sensor silent for longer than stale_after_s is degraded whatever the
         * reason (device unplugged, link down, or its recording ended early). */
        double since = isnan(h->last_t) ? p->t_begin : h->last_t;
        bool stale = p->t_now - since > c->stale_after_s;
        nl_peer pe;
        bool remote = p->link && node_link_peer(p->link, (int)i, &pe) == SG_OK;
        if (remote && c->enabled && !h->done && pe.silent_s > c->stale_after_s &&
            (pe.heard || p->wall_s > c->stale_after_s))
            stale = true; /* its node went silent (wall clock): the sample clock may not move */
        if (!c->enabled && (int)i != p->replay_sensor)
            state = "disabled";
        else if (h->failed)
            state = "down";
        else if (stale || h->stalled)
            state = "degraded";
        else if (h->done)
            state = "ended";
        else if (isnan(h->last_t))
            state = "waiting"; /* no data yet, not late yet */
        else
            state = "ok";
        sgjw_obj_begin(&w);
        sgjw_str(&w, "id", c->id);
        sgjw_str(&w, "state", state);
        if (h->stalled)
            sgjw_bool(&w, "stalled", true);
        sgjw_fix(&w, "last_t", h->last_t, 6);
        if (p->have_hl[i])
            health_json(&w, &p->hl[i]);
        if (remote) {
            sgjw_str(&w, "node", pe.node);
            if (p->have_hl[i])
                sgjw_uint(&w, "link_dropped", p->hl[i].link_dropped);
            sgjw_uint(&w, "node_lost", pe.lost);
        }
        sgjw_obj_end(&w);
    }
    sgjw_arr_end(&w);
    return sgjw_ok(&w) ? p->sjson : "[]";
}

/* The link's nodes (distributed venue): one entry per node, from its first sensor. */
static const char *nodes_json(fusion_side *p)
{
    nl_stats ls;
    node_link_stats(p->link, &ls);
    sgjw w;
    sgjw_init(&w, p->njson, sizeof p->njson);
    sgjw_obj_begin(&w);
    sgjw_uint(&w, "refused", ls.refused);
    sgjw_uint(&w, "malformed", ls.malformed);
    sgjw_uint(&w, "lost", ls.dropped);
    sgjw_uint(&w, "late", ls.late);
    sgjw_uint(&w, "reordered", ls.reordered);
    sgjw_arr_begin(&w, "nodes");
    const char *seen[64];
    size_t n_seen = 0;
    for (size_t i = 0; i < p->site->n_sensors; i++) {
        nl_peer pe;
        if (node_link_peer(p->link, (int)i, &pe) != SG_OK)
            continue;
        bool dup = false;
        for (size_t k = 0; k < n_seen; k++)
            dup |= strcmp(seen[k], pe.node) == 0;
        if (dup || n_seen == 64)
            continue;
        seen[n_seen++] = pe.node;
        sgjw_obj_begin(&w);
        sgjw_str(&w, "name", pe.node);
        sgjw_str(&w, "state", !pe.heard ? "waiting" : pe.silent_s > p->site->sensors[i].stale_after_s
                                                         ? "silent" : "ok");
        sgjw_fix(&w, "silent_s", isfinite(pe.silent_s) ? pe.silent_s : NAN, 3);
        sgjw_fix(&w, "clock_offset_s", pe.clock_offset_s, 4);
        sgjw_fix(&w, "link_delay_ms", pe.link_delay_ms, 2);
        sgjw_bool(&w, "clock_flagged", pe.clock_flagged);
        sgjw_bool(&w, "clock_trusted", pe.clock_trusted);
        sgjw_uint(&w, "time_corrected", pe.time_corrected);
        sgjw_uint(&w, "time_uncorrected", pe.time_uncorrected);
        sgjw_uint(&w, "lost", pe.lost);
        sgjw_uint(&w, "rejoins", pe.rejoins);
        sgjw_obj_end(&w);
    }
    sgjw_arr_end(&w);
    sgjw_obj_end(&w);
    return sgjw_ok(&w) ? p->njson : NULL;
}

static const char *latency_json(fusion_side *p)
{
    /* Front-end latency per block: the worst sensor's quantiles (each node keeps its
     * own histogram; only quantiles cross the link). */
    double fe50 = NAN, fe99 = NAN;
    for (size_t i = 0; i < p->site->n_sensors; i++) {
        if (!p->have_hl[i] || isnan(p->hl[i].fe_p50_ms))
            continue;
        if (isnan(fe50) || p->hl[i].fe_p50_ms > fe50)
            fe50 = p->hl[i].fe_p50_ms;
        if (isnan(fe99) || p->hl[i].fe_p99_ms > fe99)
            fe99 = p->hl[i].fe_p99_ms;
    }
    sgjw w;
    sgjw_init(&w, p->ljson, sizeof p->ljson);
    sgjw_obj_begin(&w);
    sgjw_fix(&w, "frontend_p50", fe50, 2);
    sgjw_fix(&w, "frontend_p99", fe99, 2);
    sgjw_fix(&w, "pipeline_p50", nl_lat_quantile(&p->pipe_lat, 0.5), 2);
    sgjw_fix(&w, "pipeline_p99", nl_lat_quantile(&p->pipe_lat, 0.99), 2);
    if (p->o.realtime) {
        sgjw_fix(&w, "sample_to_feed_p50", nl_lat_quantile(&p->e2e_lat, 0.5), 2);
        sgjw_fix(&w, "sample_to_feed_p99", nl_lat_quantile(&p->e2e_lat, 0.99), 2);
    }
    sgjw_obj_end(&w);
    return sgjw_ok(&w) ? p->ljson : "{}";
}

void fusion_publish_status(fusion_side *p, bool snapshot)
{
    sg_status *st = &p->st;
    memset(st, 0, sizeof *st);
    st->t = p->t_now;
    for (size_t i = 0; i < p->site->n_sensors; i++) {
        const nl_health *h = &p->hl[i];
        if (!p->have_hl[i] || !(h->groups & NL_H_ADAPTER))
            continue;
        st->samples_processed += h->samples;
        st->samples_dropped += h->samples_dropped;
        st->blocks_dropped += h->blocks_dropped + h->events_dropped;
        st->bursts += h->bursts;
    }
    tracker_counts tc;
    tracker_stats(p->trk, &tc);
    st->measurements = tc.meas_in;
    st->measurements_rejected = p->rejected;
    st->scans = tc.scans_used;
    st->scans_rejected = p->scans_rejected;
    feed_stats fs;
    feed_get_stats(p->fd, &fs);
    st->messages_published = fs.published;
    st->messages_dropped = fs.dropped;
    if (p->link) {
        nl_stats ls;
        node_link_stats(p->link, &ls);
        st->queue_depth = (uint32_t)ls.depth;
        st->queue_capacity = (uint32_t)ls.capacity;
    }
    st->n_tracks = tc.tracks_active;
    alerts_stats as;
    alerts_get_stats(p->al, &as);
    st->n_alerts_active = as.open;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    p->wall_s = sg_ms_between(&p->started, &now) / 1e3;
    clock_gettime(CLOCK_MONOTONIC, &p->last_status_wall);
    if (p->o.nodes)
        feed_set_status_nodes(p->fd, nodes_json(p));
    feed_status(p->fd, st, sensors_json(p), sg_ms_between(&p->started, &now) / 1e3, latency_json(p),
                snapshot);
}
