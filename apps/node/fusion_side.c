/* The fusion side (see fusion_side.h): registry, tracker, alerts, feed; events from a
 * node link in order, measurements batched per sensor into the tracker, scan reports,
 * status timing and the run loop. The clock is the sample clock the events carry, so a
 * replay at full speed gives the same tracks and alerts as live. What goes on the feed
 * after each tracker step (the publication policy, latency) is in fusion_publish.c, the
 * status messages in fusion_status.c. */
#include "fusion_state.h"
#include "geoid.h"
#include "sg_clock.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sg_jsonw.h"

#define STEP_PERIOD_S 0.1      /* s of sample time between tracker/alert steps without data */
#define BATCH_MAX 4096         /* measurements of one sensor batch given to the tracker at once */

/* ---------------------------------------------------------------- logging */

void fusion_logf(fusion_side *p, const char *fmt, ...)
{
    if (!p->o.log)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->line, sizeof p->line, fmt, ap);
    va_end(ap);
    p->o.log(p->o.log_user, p->line);
}

/* A non-fatal warning (truncated input, refused feed client, recording stopped): in
 * the log, or through the warn callback when the log is off (-q). */
void fusion_warnf(fusion_side *p, const char *fmt, ...)
{
    pipeline_log_fn fn = p->o.log ? p->o.log : p->o.warn;
    void *user = p->o.log ? p->o.log_user : p->o.warn_user;
    if (!fn)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->line, sizeof p->line, fmt, ap);
    va_end(ap);
    fn(user, p->line);
}

const char *fusion_hms(double t, char *buf, size_t cap)
{
    char iso[40];
    sg_time_iso8601(t, iso, sizeof iso);
    snprintf(buf, cap, "%.12s", strlen(iso) > 11 ? iso + 11 : iso);
    return buf;
}

/* ---------------------------------------------------------------- building */

static fusion_sensor_kind fusion_kind(sg_sensor_kind k)
{
    switch (k) {
    case SG_SENSOR_CAMERA:
        return FUSION_SENSOR_CAMERA;
    case SG_SENSOR_REMOTEID_WIFI:
        return FUSION_SENSOR_REMOTEID;
    case SG_SENSOR_SAPIENT:
        return FUSION_SENSOR_RADAR; /* positions and range-bearings in true az/el */
    default:
        return FUSION_SENSOR_RF;
    }
}

static int build_registry(fusion_side *p, sg_errinfo *e)
{
    size_t n = p->site->n_sensors;
    fusion_sensor *fs = calloc(n, sizeof *fs);
    if (!fs)
        return sg_err_set(e, SG_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const sg_sensor_cfg *c = &p->site->sensors[i];
        fusion_sensor_default(&fs[i], fusion_kind(c->kind));
        snprintf(fs[i].id, sizeof fs[i].id, "%s", c->id);
        fs[i].lat = c->lat_deg * GEO_DEG;
        fs[i].lon = c->lon_deg * GEO_DEG;
        fs[i].alt = c->alt_m;
        fs[i].yaw = c->yaw_deg * GEO_DEG;
        fs[i].pitch = c->pitch_deg * GEO_DEG;
        fs[i].roll = c->roll_deg * GEO_DEG;
        fs[i].stale_s = c->stale_after_s;
        if (c->kind == SG_SENSOR_CAMERA)
            fs[i].body_bearings = c->body_bearings;
    }
    p->reg = registry_create(&p->frame, fs, n, e);
    free(fs);
    return p->reg ? SG_OK : e->code;
}

/* ---------------------------------------------------------------- fusion loop */

/* The collected batch through the tracker as one scan (joint assignment within it). */
static void flush_batch(fusion_side *p)
{
    if (p->n_batch == 0)
        return;
    char tb[16];
    double t = -INFINITY;
    for (size_t i = 0; i < p->n_batch; i++)
        t = fmax(t, p->batch[i].t);
    tracker_counts c0, c1;
    tracker_stats(p->trk, &c0);
    int rc = tracker_process_scans(p->trk, t, p->batch, p->n_batch, NULL, 0);
    tracker_stats(p->trk, &c1);
    /* every measurement the tracker refused, not one per call */
    p->rejected += (c1.rej_type + c1.rej_invalid + c1.rej_cov + c1.rej_too_old) -
                   (c0.rej_type + c0.rej_invalid + c0.rej_cov + c0.rej_too_old);
    if (rc != SG_OK && rc != SG_EINVAL && rc != SG_ERANGE)
        fusion_warnf(p, "%s tracker: %s", fusion_hms(t, tb, sizeof tb), sg_strerror(rc));
    p->n_batch = 0;
    if (t > p->t_now)
        p->t_now = t;
    fusion_step(p, p->t_now);
    /* everything this batch changed (tracks, alerts) is on the feed now */
    fusion_note_latency(p, &p->batch_made, p->batch_t_end);
}

/* A sensor's scan report (after the measurements of that look, which are in already): the
 * tracks it covers and did not detect take a miss (docs/tracker.md). The apex is the
 * sensor's position from the registry; t0/t1 are the event's (clock-corrected) times. */
static void handle_scan(fusion_side *p, const nl_event *ev)
{
    char tb[16];
    tracker_scan sc = ev->scan;
    sc.sensor = ev->sensor;
    registry_sensor_enu(p->reg, (size_t)ev->sensor, sc.sensor_enu);
    double t = fmax(p->t_now, sc.t1);
    int rc = isfinite(t) ? tracker_process_scans(p->trk, t, NULL, 0, &sc, 1) : SG_EINVAL;
    if (rc == SG_EINVAL || rc == SG_ERANGE) {
        p->scans_rejected++;
        fusion_warnf(p, "%s sensor %s: scan report refused (%s): %llu so far",
                     fusion_hms(sc.t1, tb, sizeof tb), p->sensor_ids[ev->sensor],
                     rc == SG_ERANGE ? "older than the out-of-sequence window" : "invalid coverage",
                     (unsigned long long)p->scans_rejected);
    } else if (rc != SG_OK) {
        fusion_warnf(p, "%s tracker: %s", fusion_hms(t, tb, sizeof tb), sg_strerror(rc));
    }
    if (!isfinite(t))
        return;
    if (t > p->t_now)
        p->t_now = t;
    fusion_step(p, p->t_now);
}

static void handle_measurement(fusion_side *p, const nl_event *ev)
{
    if (p->n_batch && ev->sensor != p->batch_sensor)
        flush_batch(p); /* another sensor's event between a batch's parts: keep time order */
    sg_measurement m = ev->m;
    sg_errinfo e = {0};
    char tb[16];
    if (!(m.fc_hz > 0) && ev->fc > 0) {
        m.fc_hz = ev->fc; /* the RF details of the event: the emission's band */
        m.bw_hz = ev->bw;
    }
    if (registry_map(p->reg, &m, &m, &e) != SG_OK) {
        p->rejected++;
        fusion_logf(p, "%s REJECT measurement from %s: %s", fusion_hms(ev->t, tb, sizeof tb),
                    p->sensor_ids[ev->sensor], e.msg);
        if (!ev->batch_more)
            flush_batch(p); /* the batch's last part: the others go in now */
        return;
    }
    if (!registry_for_tracker(&m)) {
        /* RF presence: recorded in the registry's picture; say it once per report. */
        fusion_logf(p, "%s RF    %-12s %-16s conf %.2f  %.1f MHz, %.1f MHz wide%s%s",
                    fusion_hms(ev->t, tb, sizeof tb), p->sensor_ids[ev->sensor], m.cls, m.cls_conf,
                    ev->fc / 1e6, ev->bw / 1e6, m.identity[0] ? "  id " : "", m.identity);
        flush_batch(p);
        fusion_step(p, fmax(p->t_now, ev->t));
        return;
    }
    /* A sensor's batch (camera frame, DF window) goes to the tracker in one call, so its
     * measurements are assigned jointly (one per track); an unbatched measurement is a
     * batch of one. */
    if (p->n_batch == p->cap_batch) {
        size_t cap = p->cap_batch ? 2 * p->cap_batch : 64;
        sg_measurement *nb = cap <= BATCH_MAX ? realloc(p->batch, cap * sizeof *nb) : NULL;
        if (nb) {
            p->batch = nb;
            p->cap_batch = cap;
        } else {
            flush_batch(p); /* full (or no memory): what is collected goes in now */
        }
    }
    if (p->cap_batch == 0) { /* not even one slot: this measurement alone */
        p->batch = &m;
        p->n_batch = 1;
        p->batch_made = ev->made;
        p->batch_t_end = ev->t_end;
        flush_batch(p);
        p->batch = NULL;
        return;
    }
    p->batch[p->n_batch++] = m;
    p->batch_sensor = ev->sensor;
    p->batch_made = ev->made;
    p->batch_t_end = ev->t_end;
    if (!ev->batch_more)
        flush_batch(p);
}

/* Refused feed clients (unknown CURVE keys) are logged as they happen. */
static void log_refusals(fusion_side *p)
{
    feed_auth_refusal r[8];
    size_t n;
    while ((n = feed_refusals(p->fd, r, 8)) > 0) {
        for (size_t i = 0; i < n; i++) {
            char iso[40];
            sg_time_iso8601(r[i].wall_t, iso, sizeof iso);
            fusion_warnf(p, "FEED  refused client %s key %s at %s: %s",
                  r[i].address[0] ? r[i].address : "?", r[i].key_z85[0] ? r[i].key_z85 : "-",
                  iso, r[i].reason);
        }
    }
    feed_peer_note pn[8];
    while ((n = feed_peer_notes(p->fd, pn, 8)) > 0)
        for (size_t i = 0; i < n; i++)
            fusion_warnf(p, "FEED  client %s: %s", pn[i].address, pn[i].text);
}

static void log_link_notes(fusion_side *p)
{
    char line[256];
    while (p->link && node_link_note(p->link, line, sizeof line) > 0)
        fusion_logf(p, "%s", line);
}

/* A status by the wall clock (the sample clock may stand still). A distributed fusion
 * that has no data yet takes the system clock for this status only. */
static void publish_wall_status(fusion_side *p)
{
    if (isfinite(p->t_now) || !p->o.nodes) {
        fusion_publish_status(p, false);
        return;
    }
    struct timespec rt;
    clock_gettime(CLOCK_REALTIME, &rt);
    double t_now = p->t_now, t_begin = p->t_begin;
    p->t_now = p->t_begin = (double)rt.tv_sec + rt.tv_nsec * 1e-9;
    fusion_publish_status(p, false);
    p->t_now = t_now;
    p->t_begin = t_begin;
}

static void maybe_status(fusion_side *p)
{
    log_refusals(p);
    const char *rerr = feed_record_error(p->fd);
    if (rerr[0] && !p->record_err_logged) {
        p->record_err_logged = true;
        fusion_warnf(p, "record-out stopped: %s (messages after it are counted as "
                        "record_out_dropped)", rerr);
    }
    log_link_notes(p);
    if (isfinite(p->t_now) && p->t_now >= p->next_status) {
        fusion_publish_status(p, false); /* sets last_status_wall */
        p->next_status = p->t_now + p->site->status_period_s;
    }
    /* A stalled sensor may hold the sample clock still: status goes on by the wall
     * clock then, so the operator sees the degraded state. */
    bool stalled = false;
    for (size_t i = 0; i < p->site->n_sensors; i++)
        stalled |= p->health[i].stalled;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (stalled && sg_ms_between(&p->last_status_wall, &now) >= p->site->status_period_s * 1e3)
        publish_wall_status(p);
}

/* No event this turn: as maybe_status; a distributed fusion's status also goes on by
 * wall clock, so silent nodes show as degraded even when no node moves the sample clock. */
static void idle_status(fusion_side *p)
{
    maybe_status(p);
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (p->o.nodes && sg_ms_between(&p->last_status_wall, &now) >= p->site->status_period_s * 1e3)
        publish_wall_status(p);
}

static int wait_for_subscriber(fusion_side *p, const atomic_bool *stop)
{
    struct timespec a, now;
    clock_gettime(CLOCK_MONOTONIC, &a);
    fusion_logf(p, "waiting up to %.1f s for a subscriber on %s", p->o.wait_subscriber_s,
                feed_endpoint(p->fd));
    for (;;) {
        int n = feed_poll(p->fd);
        if (n > 0)
            return SG_OK;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (sg_ms_between(&a, &now) >= p->o.wait_subscriber_s * 1e3 || atomic_load(stop))
            return SG_ETIMEOUT;
        usleep(10000);
    }
}

/* ---------------------------------------------------------------- lifetime */

fusion_side *fusion_side_create(const sg_site *site, const fusion_side_opts *o, sg_errinfo *e)
{
    fusion_side *p = calloc(1, sizeof *p);
    if (!p) {
        sg_err_set(e, SG_ENOMEM, "out of memory");
        return NULL;
    }
    p->o = *o;
    p->site = site;
    p->primary = -1;
    p->last_progress = -1;
    p->replay_sensor = o->replay ? node_replay_sensor(site) : -1;
    clock_gettime(CLOCK_MONOTONIC, &p->started);
    char where[SG_PATH_LEN + 32];
    if (geo_frame_init(&p->frame, site->origin_lat_deg * GEO_DEG, site->origin_lon_deg * GEO_DEG,
                       site->origin_alt_m, e)) {
        sg_err_prefix(e, site->path);
        goto fail;
    }
    if (site->zones_path[0]) {
        size_t skipped;
        if (!(p->zones = zones_load_venue(site->zones_path, site->zones_format == SG_ZONES_ED269,
                                          &p->frame, site->geoid_undulation_m,
                                          site->ground_amsl_m, &skipped, e))) {
            sg_err_prefix(e, site->path);
            goto fail;
        }
        if (skipped)
            fusion_warnf(p, "%s: %zu ED-269 zone(s) skipped (more than 100 km from the site)",
                         site->zones_path, skipped);
    }
    if (build_registry(p, e))
        goto fail;
    tracker_cfg tc;
    snprintf(where, sizeof where, "%s: tracker", site->path);
    if (tracker_cfg_from_json(&tc, site->tracker, where, e) || !(p->trk = tracker_create(&tc, e)))
        goto fail;
    alerts_cfg ac;
    snprintf(where, sizeof where, "%s: alerts", site->path);
    if (alerts_cfg_from_json(site->alerts, where, &ac, e))
        goto fail;
    for (size_t i = 0; i < site->n_allow && ac.n_allow < ALERTS_MAX_ALLOW; i++)
        snprintf(ac.allow[ac.n_allow++], SG_ID_LEN, "%s", site->allow[i].identity);
    if (!(p->al = alerts_create(&ac, p->zones, e)))
        goto fail;
    snprintf(where, sizeof where, "%s: outputs.feed", site->path);
    double rate = site->snapshot_period_s > 0 ? 1.0 / site->snapshot_period_s : 100;
    if (snapshot_sched_init(&p->snap, rate, e)) {
        sg_err_prefix(e, where);
        goto fail;
    }
    if (!(p->sensor_ids = calloc(site->n_sensors, sizeof *p->sensor_ids)) ||
        !(p->health = calloc(site->n_sensors, sizeof *p->health)) ||
        !(p->hl = calloc(site->n_sensors, sizeof *p->hl)) ||
        !(p->have_hl = calloc(site->n_sensors, sizeof *p->have_hl))) {
        sg_err_set(e, SG_ENOMEM, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < site->n_sensors; i++) {
        p->sensor_ids[i] = site->sensors[i].id;
        p->health[i].last_t = NAN;
    }
    p->t_now = -INFINITY;
    p->t_begin = NAN;
    p->t_last_step = -INFINITY;
    p->next_status = -INFINITY;
    return p;
fail:
    fusion_side_destroy(p);
    return NULL;
}

int fusion_side_open_feed(fusion_side *p, const char *endpoint, const char *record_path,
                          sg_errinfo *e)
{
    char where[SG_PATH_LEN + 32];
    snprintf(where, sizeof where, "%s: outputs.feed", p->site->path);
    feed_cfg fcfg = {
        .endpoint = endpoint ? endpoint : p->site->feed_endpoint,
        .security = p->site->feed_security,
        .where = where,
        .base_file = p->site->path,
        .node = "skyguardd",
        .sndhwm = 10000,
        .record_path = record_path,
    };
    if (!(p->fd = feed_create(&fcfg, p->sensor_ids, p->site->n_sensors, e)))
        return e->code;
    return SG_OK;
}

void fusion_side_destroy(fusion_side *p)
{
    if (!p)
        return;
    feed_destroy(p->fd);
    alerts_destroy(p->al);
    tracker_destroy(p->trk);
    free(p->batch);
    registry_destroy(p->reg);
    zones_destroy(p->zones);
    free(p->sensor_ids);
    free(p->health);
    free(p->hl);
    free(p->have_hl);
    free(p->tracks);
    free(p);
}

/* ---------------------------------------------------------------- running */

void fusion_side_announce(fusion_side *p, const atomic_bool *stop)
{
    fusion_logf(p, "skyguardd: venue \"%s\", %zu sensor(s), %zu zone(s), feed on %s", p->site->name,
                p->site->n_sensors, p->zones ? zones_count(p->zones) : 0, feed_endpoint(p->fd));
    if (feed_server_public(p->fd)[0])
        fusion_logf(p, "feed is CURVE-encrypted; server public key %s", feed_server_public(p->fd));
    if (p->o.wait_subscriber_s > 0 && wait_for_subscriber(p, stop) != SG_OK)
        fusion_logf(p, "no subscriber yet; starting anyway");
}

static void handle_health(fusion_side *p, const nl_event *ev)
{
    p->hl[ev->sensor] = ev->h;
    p->have_hl[ev->sensor] = true;
    if ((ev->h.groups & NL_H_PRIMARY) && (p->primary < 0 || ev->sensor < p->primary))
        p->primary = ev->sensor;
}

static void log_progress(fusion_side *p)
{
    if (!p->o.progress || p->primary < 0 || !(p->hl[p->primary].groups & NL_H_ADAPTER))
        return;
    double pr = p->hl[p->primary].progress;
    if (isfinite(pr) && pr - p->last_progress >= 0.1) {
        snprintf(p->line, sizeof p->line, "replay %3.0f%%", pr * 100);
        p->o.progress(p->o.progress_user, p->line);
        p->last_progress = pr;
    }
}

int fusion_side_run(fusion_side *p, node_link *link, size_t inputs,
                    bool (*poll)(void *, sg_errinfo *), void *poll_user, int result,
                    sg_errinfo *e)
{
    p->link = link;
    size_t running = inputs;
    while (running > 0) {
        nl_event ev;
        int rc = node_link_pop(link, &ev, 0.05);
        int fresh = feed_poll(p->fd);
        if (fresh > 0)
            fusion_publish_snapshot(p, true);
        sg_errinfo why = {0};
        if (poll && poll(poll_user, &why)) {
            if (why.code != SG_OK) {
                fusion_warnf(p, "%s; exiting without it", why.msg);
                if (result == SG_OK) {
                    sg_err_set(e, why.code, "%s", why.msg);
                    result = why.code;
                }
            }
            break;
        }
        if (rc == SG_ETIMEOUT) {
            flush_batch(p); /* a batch whose last part never came */
            idle_status(p); /* wall-clock status while a sensor is stalled or nodes silent */
            continue;
        }
        if (rc != SG_OK)
            break;
        if (ev.kind != NL_MEAS)
            flush_batch(p); /* clock, health, end: after the batch, in order */
        if (ev.sensor < 0 || (size_t)ev.sensor >= p->site->n_sensors)
            continue; /* a transport checks this; never index out of range */
        sensor_health *h = &p->health[ev.sensor];
        if (isnan(p->t_begin) && isfinite(ev.t) && ev.kind != NL_HEALTH)
            p->t_begin = ev.t;
        switch (ev.kind) {
        case NL_MEAS:
            h->last_t = fmax(isnan(h->last_t) ? -INFINITY : h->last_t, ev.t);
            handle_measurement(p, &ev);
            break;
        case NL_TICK:
            h->last_t = ev.t;
            if (ev.t > p->t_now)
                p->t_now = ev.t;
            if (p->t_now - p->t_last_step >= STEP_PERIOD_S) {
                tracker_predict(p->trk, p->t_now);
                fusion_step(p, p->t_now);
            }
            break;
        case NL_HEALTH:
            handle_health(p, &ev);
            break;
        case NL_SCAN:
            h->last_t = fmax(isnan(h->last_t) ? -INFINITY : h->last_t, ev.t);
            handle_scan(p, &ev);
            break;
        case NL_NOTE:
            if (ev.rc == SG_ETIMEOUT)
                h->stalled = true;
            else if (h->stalled && strstr(ev.err, "progressing again"))
                h->stalled = false;
            fusion_warnf(p, "sensor %s: %s", p->sensor_ids[ev.sensor], ev.err);
            maybe_status(p);
            break;
        case NL_DONE:
            running--;
            h->done = true;
            if (ev.rc != SG_OK) {
                h->failed = ev.rc != SG_ETRUNC;
                fusion_warnf(p, "sensor %s: input ended with an error: %s",
                             p->sensor_ids[ev.sensor], ev.err);
                if (result == SG_OK && h->failed) {
                    sg_err_set(e, ev.rc, "sensor %s: %s", p->sensor_ids[ev.sensor], ev.err);
                    result = ev.rc;
                }
            } else {
                fusion_logf(p, "sensor %s: end of input", p->sensor_ids[ev.sensor]);
            }
            break;
        }
        maybe_status(p);
        log_progress(p);
    }
    return result;
}

void fusion_side_finish(fusion_side *p, node_link *link, const atomic_bool *stop)
{
    p->link = link;
    /* Drain, then one last step so tracks and alerts reflect the end of the input. */
    nl_event ev;
    while (node_link_pop(link, &ev, 0) == SG_OK) {
        if (ev.sensor < 0 || (size_t)ev.sensor >= p->site->n_sensors)
            continue;
        if (ev.kind == NL_MEAS)
            handle_measurement(p, &ev);
        else if (ev.kind == NL_HEALTH)
            handle_health(p, &ev);
        else if (ev.kind == NL_SCAN) {
            flush_batch(p);
            handle_scan(p, &ev);
        }
    }
    flush_batch(p);
    if (isfinite(p->t_now)) {
        tracker_predict(p->trk, p->t_now);
        fusion_step(p, p->t_now);
        fusion_publish_snapshot(p, false);
        fusion_publish_status(p, false);
    }
    tracker_counts tc;
    tracker_stats(p->trk, &tc);
    alerts_stats as;
    alerts_get_stats(p->al, &as);
    feed_stats fs;
    feed_get_stats(p->fd, &fs);
    uint64_t bursts = 0, decoded = 0;
    for (size_t i = 0; i < p->site->n_sensors; i++) {
        if (!p->have_hl[i])
            continue;
        bursts += p->hl[i].bursts;
        decoded += p->hl[i].droneid_decoded;
    }
    fusion_logf(p, "summary: %llu bursts, %llu DroneID decoded, %llu measurements (%llu rejected), "
                "%llu tracks (%llu confirmed), alerts %llu raised / %llu cleared, %llu messages "
                "published (%llu dropped)%s%.0llu%s",
                (unsigned long long)bursts, (unsigned long long)decoded,
                (unsigned long long)tc.meas_in, (unsigned long long)p->rejected,
                (unsigned long long)tc.tracks_created, (unsigned long long)tc.tracks_confirmed,
                (unsigned long long)as.raised, (unsigned long long)as.cleared,
                (unsigned long long)fs.published, (unsigned long long)fs.dropped,
                fs.record_errors ? ", " : "", (unsigned long long)fs.record_errors,
                fs.record_errors ? " not in the --record-out file" : "");
    /* Linger so subscribers receive the tail (and late joiners a snapshot). */
    struct timespec a, now;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (;;) {
        if (feed_poll(p->fd) > 0)
            fusion_publish_snapshot(p, true);
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (sg_ms_between(&a, &now) >= p->o.linger_s * 1e3 || atomic_load(stop))
            break;
        usleep(10000);
    }
}
