/* The sensor side (see sensor_side.h): sensor threads, the RF chain run inside the
 * adapter's sink, incident recording, replay clock alignment and health reporting.
 *
 * Threads: one per sensor runs its adapter; RF sensors run the front end and the
 * decoders on the adapter's thread (inside the sink) and push events into the node
 * link. With a burst thread (sensor_chain.h, "burst_thread" in the venue) the work after
 * the front end (emitters, DroneID, RF reports, annotations) runs on it instead, and
 * every event of the sensor thread goes through it, in order. A replay pushes with
 * back-pressure (lossless and deterministic); a live sensor never blocks and its
 * dropped events are counted. */
#define _GNU_SOURCE /* pthread_timedjoin_np */
#include "sensor_runner.h"
#include "sg_clock.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TICK_PERIOD_S 0.05     /* s of sample time between clock events from a sensor */
#define HEALTH_PERIOD_S 0.25   /* s of sample time between health events from a sensor */
#define RF_REPORT_PERIOD_S 2.0 /* s between rf.* reports of one emitter */
#define SYNC_WINDOW_S 0.2      /* s a replayed sensor may run ahead of the slowest other */

enum { RF_STAGE_SETUP, RF_STAGE_RECORD, RF_STAGE_FRONTEND, RF_STAGE_BLE };
static const char *const rf_stage_name[] = {"block set-up", "recording", "front end (DSP)",
                                            "BLE receiver"};

/* ---------------------------------------------------------------- sensor threads */

static void on_ble(void *user, const ble_scan_rid *r);

/* An event into the node link, from the thread that runs the burst chain. */
static void deliver(runner *s, nl_event *ev)
{
    if (!(ev->t_end > 0))
        ev->t_end = ev->t;
    clock_gettime(CLOCK_MONOTONIC, &ev->made);
    ev->sysclock = s->live;
    if (node_link_push(s->p->link, ev, !s->live) != SG_OK)
        atomic_fetch_add(&s->events_dropped, 1);
}

static bool via_chain(const runner *s) { return s->chain && !s->chain_closed; }

/* An event from the sensor thread: behind the bursts put before it when there is a
 * burst thread. */
static void push_event(runner *s, nl_event *ev)
{
    if (!via_chain(s) || sensor_chain_put_event(s->chain, ev, !s->live, false) != SG_OK)
        deliver(s, ev);
}

/* A health record into the node link; block: wait for room (the final one). */
static void deliver_health(runner *s, nl_event *ev, bool block)
{
    clock_gettime(CLOCK_MONOTONIC, &ev->made);
    ev->sysclock = s->live;
    if (node_link_push(s->p->link, ev, block || !s->live) != SG_OK && !block)
        atomic_fetch_add(&s->events_dropped, 1);
}

/* A health event at t (s UTC of the sensor clock, NaN if none yet); `final` is the
 * complete one before NL_DONE and never dropped. */
static void push_health(runner *s, double t, bool final)
{
    nl_event ev = {.kind = NL_HEALTH, .sensor = s->idx, .t = t};
    sensor_health_fill(s, &ev.h);
    if (!via_chain(s) || sensor_chain_put_event(s->chain, &ev, final, true) != SG_OK)
        deliver_health(s, &ev, final);
}

/* A clock event at most every TICK_PERIOD_S of this sensor's time (or at once),
 * preceded by a health event every HEALTH_PERIOD_S. */
static void tick(runner *s, double t, bool now)
{
    if (t >= s->next_health) {
        push_health(s, t, false);
        s->next_health = t + HEALTH_PERIOD_S;
    }
    if (t >= s->next_tick || now) {
        nl_event ev = {.kind = NL_TICK, .sensor = s->idx, .t = t};
        push_event(s, &ev);
        s->next_tick = t + TICK_PERIOD_S;
    }
}

/* The end of a sensor's input (never dropped): its final health, then rc and why,
 * t its last time. */
static void finish(runner *s, int rc, const sg_errinfo *e, double t)
{
    if (rc == SG_ESTATE && atomic_load(s->p->stop))
        rc = SG_OK; /* stopped on request */
    push_health(s, t, true);
    nl_event ev = {.kind = NL_DONE, .sensor = s->idx, .rc = rc, .t = t};
    if (rc)
        snprintf(ev.err, sizeof ev.err, "%s", e->msg[0] ? e->msg : sg_strerror(rc));
    clock_gettime(CLOCK_MONOTONIC, &ev.made);
    node_link_push(s->p->link, &ev, true);
    atomic_store(&s->ended, true);
    atomic_fetch_add(&s->p->finished, 1);
}

static emitter_slot *slot_for(runner *s, uint32_t id)
{
    emitter_slot *sl = &s->slots[id % EMITTER_SLOTS];
    if (sl->id != id) {
        memset(sl, 0, sizeof *sl);
        sl->id = id;
        sl->last_report = -INFINITY;
    }
    return sl;
}

/* DroneID on a front-end region (the policy is droneid_burst.h): each decoded burst
 * becomes a position measurement at its own time; a region of one burst's length
 * proves what its emitter is (class dji_droneid and its serial, for good). */
static bool did_rate(double fs) { return fs >= 15.36e6 && fs <= 200e6; }

static void try_droneid(runner *s, const chain_burst *cb, const uint32_t *eid)
{
    const sg_burst *b = &cb->b;
    const float complex *iq = cb->iq;
    size_t n = cb->n_iq;
    if (cb->sample_rate != s->did_fs) {
        /* DroneID needs 15.36..200 Msps; other rates (e.g. a BLE-only input) skip it */
        droneid_rx_destroy(s->did);
        s->did = NULL;
        s->did_fs = cb->sample_rate;
        if (did_rate(cb->sample_rate) && !(s->did = droneid_rx_create(cb->sample_rate, NULL)))
            atomic_fetch_add(&s->decode_fail, 1); /* no memory: counted, bursts still flow */
    }
    if (!s->did || !iq || !droneid_burst_candidate(b))
        return;
    droneid_msg msg[DRONEID_BURST_MAX];
    double tm[DRONEID_BURST_MAX];
    size_t nm = 0;
    droneid_burst_stats bst = {0};
    int drc = droneid_burst_decode(s->did, b, iq, n, cb->center_freq, msg, tm, DRONEID_BURST_MAX,
                                   &nm, &bst);
    if (bst.rejected)
        atomic_fetch_add(&s->decode_rejected, bst.rejected);
    if (drc != SG_OK) {
        atomic_fetch_add(&s->decode_fail, 1);
        return;
    }
    atomic_fetch_add(&s->decoded, nm);
    if (eid && nm == 1 && b->duration <= 0.8e-3)
        emitters_pin_decoded(s->em, *eid, "dji_droneid", msg[0].serial);
    for (size_t i = 0; i < nm; i++) {
        nl_event ev = {.kind = NL_MEAS, .sensor = s->idx, .t = tm[i], .fc = b->fc,
                       .bw = b->bandwidth, .first_t = tm[i], .t_end = tm[i] + 0.65e-3};
        if (droneid_to_measurement(&msg[i], tm[i], s->idx, &ev.m) == SG_OK)
            deliver(s, &ev);
    }
}

/* Reports an emitter as RF presence when its class is a drone link, on a change of
 * class and then every RF_REPORT_PERIOD_S. */
static void report_emitter(runner *s, const emitter *em, emitter_slot *sl)
{
    bool changed = strcmp(sl->cls, em->cls) != 0;
    if (!changed && em->t_last - sl->last_report < RF_REPORT_PERIOD_S)
        return;
    nl_event ev = {.kind = NL_MEAS, .sensor = s->idx, .t = em->t_last,
                .fc = 0.5 * (em->fc_min + em->fc_max), .bw = em->bw_mean, .first_t = em->t_first};
    if (emitter_to_measurement(em, em->t_last, &ev.m) != SG_OK)
        return; /* not a drone class, or not enough evidence yet */
    ev.m.sensor = s->idx;
    snprintf(sl->cls, sizeof sl->cls, "%s", em->cls);
    sl->last_report = em->t_last;
    deliver(s, &ev);
}

/* One burst through the RF chain, on the sensor thread or the burst thread; r/doa_rc its
 * bearing on a DF sensor (r NULL else; DF sensors have no burst thread). */
static void burst_chain(runner *s, const chain_burst *cb, const doa_result *r, int doa_rc)
{
    const sg_burst *b = &cb->b;
    atomic_fetch_add(&s->bursts, 1);
    uint32_t id = 0;
    emitter_slot *sl = NULL;
    if (emitters_add_burst(s->em, b, &id) == SG_OK)
        sl = slot_for(s, id);
    try_droneid(s, cb, sl ? &id : NULL);
    const emitter *em = sl ? emitters_find(s->em, id) : NULL;
    if (em)
        report_emitter(s, em, sl);
    if (r && !doa_rc) { /* a DoA failure is counted by dffe */
        /* bearings only for drone links (the class the RF presence report needs) */
        sg_measurement pm;
        if (em && emitter_to_measurement(em, em->t_last, &pm) == SG_OK)
            sensor_df_add(s->df, id, em->cls, em->cls_conf, b, r, doa_rc);
        else
            sensor_df_not_drone(s->df);
    }
    sensor_record_burst(s, cb, em);
}

/* What the chain needs of the sensor thread's state when the front end delivers b. */
static chain_burst burst_here(const runner *s, const sg_burst *b, const float complex *iq,
                              size_t n_iq)
{
    return (chain_burst){.b = *b, .center_freq = s->center_freq, .sample_rate = s->block_fs,
                         .rec_offset = s->rec_offset, .iq = iq, .n_iq = n_iq};
}

static void on_burst(void *user, const sg_burst *b, const float complex *iq, size_t n_iq)
{
    runner *s = user;
    chain_burst cb = burst_here(s, b, iq, n_iq);
    if (!via_chain(s)) {
        burst_chain(s, &cb, NULL, 0);
        return;
    }
    /* for the bursts DroneID will read: the window read in place where it is the front
       end's ring (its writes wait for the burst thread, ring_wait), else copied (valid
       during this call only) */
    bool take = iq && did_rate(s->block_fs) && droneid_burst_candidate(b);
    uint64_t first;
    if (take && frontend_iq_in_ring(s->fe, iq, &first))
        sensor_chain_put_burst_ref(s->chain, &cb, iq, n_iq, first);
    else if (sensor_chain_put_burst(s->chain, &cb, take ? iq : NULL, take ? n_iq : 0) ==
             SG_ENOMEM)
        atomic_fetch_add(&s->decode_fail, 1); /* no memory for its window: counted */
}

/* The front end's ring wait (frontend.h): its writes wait for the windows the burst
 * thread still reads in place. */
static void ring_wait(void *user, uint64_t below)
{
    runner *s = user;
    sensor_chain_ring_wait(s->chain, below);
}

static void chain_on_burst(void *user, const chain_burst *cb) { burst_chain(user, cb, NULL, 0); }

/* An event the sensor thread made, pushed by the burst thread in its turn. */
static void chain_on_event(void *user, nl_event *ev, bool block, bool health)
{
    runner *s = user;
    if (!health) {
        deliver(s, ev);
        return;
    }
    sensor_health_chain(s, &ev->h);
    deliver_health(s, ev, block);
}

static void on_df_burst(void *user, const sg_burst *b, const float complex *iq, size_t n_iq,
                        const doa_result *r, int doa_rc)
{
    runner *s = user;
    chain_burst cb = burst_here(s, b, iq, n_iq);
    burst_chain(s, &cb, r, doa_rc);
}

/* Combined bearings whose window closed by `now` become measurements. */
static void push_bearings(runner *s, double now)
{
    sg_measurement m, next;
    bool have = sensor_df_due(s->df, now, &m);
    while (have) {
        /* the bearings due together are one batch for the tracker */
        bool more = sensor_df_due(s->df, now, &next);
        nl_event ev = {.kind = NL_MEAS, .sensor = s->idx, .t = m.t, .first_t = m.t,
                       .batch_more = more};
        ev.m = m;
        ev.m.sensor = s->idx;
        push_event(s, &ev);
        m = next;
        have = more;
    }
}

/* A DF scan report when one is due (sensor_df_scan). */
static void push_df_scan(runner *s, double c)
{
    nl_event ev = {.kind = NL_SCAN, .sensor = s->idx, .t = c, .first_t = c};
    if (sensor_df_scan(s, c, &ev.scan))
        push_event(s, &ev);
}

/* A warning for the log (NL_NOTE), e.g. why the recording stopped. */
static void push_note(runner *s, const char *msg)
{
    nl_event ev = {.kind = NL_NOTE, .sensor = s->idx, .t = NAN};
    snprintf(ev.err, sizeof ev.err, "%s", msg);
    push_event(s, &ev);
}

/* Appends a block to the incident recording (sensor_record.c); its note is pushed after
 * the lock is let go: the push may wait for the burst thread, which may be waiting for
 * the lock to annotate. */
static void record_block(runner *s, const sg_iq_block *blk)
{
    char note[600] = "";
    sensor_record_block(s, blk, note, sizeof note);
    if (note[0])
        push_note(s, note);
}

/* Replayed sensors advance together on the sample clock: a sensor ahead of the
 * slowest other replayed sensor by more than SYNC_WINDOW_S waits, so events of all
 * recordings reach fusion in (nearly) time order, as they would live. Live sensors
 * never wait. */
/* The slowest replayed clock of this node (clk_mu held), +Inf when none runs. */
static double node_clock(const sensor_side *p)
{
    double slowest = INFINITY;
    for (size_t k = 0; k < p->n_run; k++) {
        const runner *o = &p->run[k];
        if (!o->live && !o->clk_done && o->clk < slowest)
            slowest = o->clk;
    }
    return slowest;
}

static void clock_sync(runner *s, double t)
{
    sensor_side *p = s->p;
    bool remote = node_link_has_floor(p->link); /* other nodes replay too */
    if (s->live || (p->n_run < 2 && !remote))
        return;
    pthread_mutex_lock(&p->clk_mu);
    s->clk = t;
    pthread_cond_broadcast(&p->clk_cv);
    while (!atomic_load(p->stop)) {
        double slowest = INFINITY;
        for (size_t k = 0; k < p->n_run; k++) {
            const runner *o = &p->run[k];
            if (o != s && !o->live && !o->clk_done && o->clk < slowest)
                slowest = o->clk;
        }
        if (remote) {
            node_link_report_clock(p->link, node_clock(p));
            slowest = fmin(slowest, node_link_floor(p->link));
        }
        if (t <= slowest + SYNC_WINDOW_S)
            break;
        struct timespec dl;
        sg_deadline(&dl, CLOCK_REALTIME, remote ? 0.005 : 0.1);
        pthread_cond_timedwait(&p->clk_cv, &p->clk_mu, &dl);
    }
    pthread_mutex_unlock(&p->clk_mu);
}

static void clock_done(runner *s)
{
    pthread_mutex_lock(&s->p->clk_mu);
    s->clk_done = true;
    if (node_link_has_floor(s->p->link))
        node_link_report_clock(s->p->link, node_clock(s->p));
    pthread_cond_broadcast(&s->p->clk_cv);
    pthread_mutex_unlock(&s->p->clk_mu);
}

static int64_t mono_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static int rf_block(runner *s, const sg_iq_block *blk);

/* The burst thread, at the first block (its IQ ring is sized on the sample rate); if it
 * cannot start, the chain stays on the sensor thread and a note says why. */
static void start_chain(runner *s, double fs)
{
    sg_errinfo e = {0};
    sensor_chain_fns fns = {.burst = chain_on_burst, .event = chain_on_event, .user = s};
    double n = fmax(s->chain_iq_s * fs, 1.0);
    if (!(s->chain = sensor_chain_create(s->chain_slots, (size_t)n, &fns, &e))) {
        s->chain_closed = true;
        char note[320];
        snprintf(note, sizeof note, "burst thread off, bursts on the sensor thread: %s", e.msg);
        push_note(s, note);
    } else if (s->fe) {
        frontend_set_ring_wait(s->fe, ring_wait, s);
    }
}

/* Every burst and event put so far pushed, the burst thread stopped: from here the
 * sensor thread pushes itself. */
static void stop_chain(runner *s)
{
    if (!s->chain || s->chain_closed)
        return;
    sensor_chain_finish(s->chain);
    s->chain_closed = true;
}

/* One IQ block through the RF chain, timed for the watchdog. */
static int rf_sink(void *user, const sg_iq_block *blk)
{
    runner *s = user;
    if (atomic_load(s->p->stop))
        return SG_ESTATE;
    atomic_store(&s->stage, RF_STAGE_SETUP);
    atomic_store(&s->busy_ns, mono_ns());
    int rc = rf_block(s, blk);
    atomic_store(&s->busy_ns, 0);
    return rc;
}

static int rf_block(runner *s, const sg_iq_block *blk)
{
    sensor_side *p = s->p;
    struct timespec a, b;
    clock_sync(s, blk->t0 + (double)blk->sample_index / blk->sample_rate);
    clock_gettime(CLOCK_MONOTONIC, &a);
    if (isnan(s->t_first)) {
        /* a block arrives when its last sample does: that pairs sample and wall clocks */
        s->t_first = blk->t0 + (double)(blk->sample_index + blk->n) / blk->sample_rate;
        s->wall_first = a;
        if (s->primary)
            push_health(s, NAN, false); /* the pairing reaches fusion before any measurement */
    }
    if (s->chain_slots && !s->chain && !s->chain_closed)
        start_chain(s, blk->sample_rate);
    s->block_fs = blk->sample_rate;
    s->center_freq = blk->center_freq;
    atomic_store(&s->stage, RF_STAGE_RECORD);
    if (p->record_dir && !s->rec_off)
        record_block(s, blk);
    atomic_store(&s->stage, RF_STAGE_FRONTEND);
    sg_errinfo de = {0};
    int rc = s->df ? dffe_execute(sensor_df_fe(s->df), blk, on_df_burst, s, &de)
                   : frontend_execute(s->fe, blk, on_burst, s);
    if (rc == SG_OK && blk->gap_after) /* the segment ends: its bursts go now, not with the
                                          next segment (seconds later in a paced replay) */
        rc = s->df ? dffe_flush(sensor_df_fe(s->df), on_df_burst, s, &de)
                   : frontend_flush(s->fe, on_burst, s);
    atomic_store(&s->stage, RF_STAGE_BLE);
    if (rc == SG_OK && s->ble) {
        sg_errinfo be = {0};
        if (ble_scan_execute(s->ble, blk, on_ble, s, &be) != SG_OK) {
            /* e.g. the configured channel is outside this capture: BLE off, counted */
            char note[320];
            snprintf(note, sizeof note, "BLE Remote ID receiver off: %s", be.msg);
            push_note(s, note);
            ble_scan_destroy(s->ble);
            s->ble = NULL;
            atomic_fetch_add(&s->events_dropped, 1);
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    nl_lat_add(&s->fe_lat, sg_ms_between(&a, &b));
    if (rc != SG_OK) {
        snprintf(s->sink_err, sizeof s->sink_err, "%s",
                 de.msg[0] ? de.msg : s->fe ? frontend_error(s->fe) : sg_strerror(rc));
        return rc;
    }
    /* The clock this sensor can vouch for: bursts still open or held for their
     * margin may start up to hold_s before the end of this block, and their
     * measurements must not arrive behind the clock. */
    double t_blk = blk->t0 + (double)(blk->sample_index + blk->n) / blk->sample_rate;
    double hold = s->hold_s;
    if (s->df) {
        /* a combined bearing is timed up to a window and a block before its push */
        push_bearings(s, t_blk - s->hold_s);
        if (s->scan_range_m > 0)
            push_df_scan(s, t_blk - s->hold_s - SENSOR_DF_WINDOW_S);
        hold += SENSOR_DF_WINDOW_S + (double)blk->n / blk->sample_rate;
    }
    tick(s, t_blk - hold, blk->discontinuity);
    return SG_OK;
}

/* ---------------------------------------------------------------- Remote ID */

/* One Remote ID message from a transmitter: merged per aircraft; a new location
 * becomes a position measurement with identity and operator position. */
static void rid_message(runner *s, const uint8_t mac[6], const odid_message *m, double t,
                        double rssi_dbm)
{
    odid_aircraft *ac = NULL;
    atomic_fetch_add(&s->rid_frames, 1);
    if (odid_table_update(s->odid, mac, m, t, rssi_dbm, &ac) != SG_OK || !ac)
        return;
    if (m->type != ODID_MT_LOCATION)
        return; /* identity, operator and system parts are merged for the next fix */
    nl_event ev = {.kind = NL_MEAS, .sensor = s->idx, .t = t, .first_t = ac->t_first};
    if (odid_to_measurement(ac, s->idx, &ev.m) != SG_OK)
        return;
    ev.m.t = t;
    atomic_fetch_add(&s->rid_positions, 1);
    push_event(s, &ev);
}

static void on_ble(void *user, const ble_scan_rid *r)
{
    runner *s = user;
    for (int i = 0; i < r->n_msgs; i++)
        rid_message(s, r->mac, &r->msgs[i], r->t, r->power_dbfs);
}

#if SG_WITH_PCAP
static int on_wifi(void *user, double t, const rid_wifi_frame *f)
{
    runner *s = user;
    if (atomic_load(s->p->stop))
        return SG_ESTATE;
    clock_sync(s, t);
    for (int i = 0; i < f->n_msgs; i++)
        rid_message(s, f->mac, &f->msgs[i], t, f->rssi_dbm);
    tick(s, t, false);
    return SG_OK;
}

#endif

/* ---------------------------------------------------------------- cameras */

static int on_frame(void *user, const camera_frame *f)
{
    runner *s = user;
    if (atomic_load(s->p->stop))
        return SG_ESTATE;
    clock_sync(s, f->t);
    for (size_t i = 0; i < f->n_meas; i++) {
        nl_event ev = {.kind = NL_MEAS, .sensor = s->idx, .t = f->meas[i].t, .m = f->meas[i],
                    .first_t = f->t, .batch_more = i + 1 < f->n_meas}; /* one frame, one batch */
        push_event(s, &ev);
    }
    if (s->scan_range_m > 0) { /* the frame was a look at the whole view */
        if (f->width != s->scan_w || f->height != s->scan_h) {
            sensor_camera_sector(s, f->width, f->height);
            if (!s->scan_ok)
                push_note(s, "scan_range_m: no field-of-view sector for this frame size and "
                             "geometry; frames are not sent as scan reports");
        }
        if (s->scan_ok) {
            nl_event ev = {.kind = NL_SCAN, .sensor = s->idx, .t = f->t, .first_t = f->t,
                           .scan = s->scan_sector};
            ev.scan.t0 = ev.scan.t1 = f->t;
            push_event(s, &ev);
        }
    }
    tick(s, f->t, f->gap);
    return SG_OK;
}

/* ---------------------------------------------------------------- SAPIENT sensors */

#if SG_WITH_SAPIENT
static void on_sapient_meas(void *user, const sg_measurement *m)
{
    runner *s = user;
    nl_event ev = {.kind = NL_MEAS, .sensor = s->idx, .t = m->t, .m = *m, .first_t = m->t};
    push_event(s, &ev);
}

static void on_sapient_note(void *user, const char *line) { push_note(user, line); }

static void on_sapient_tick(void *user, double t)
{
    runner *s = user;
    if (atomic_load(s->p->stop))
        sapient_in_stop(s->sap);
    tick(s, t, false);
}
#endif

/* ---------------------------------------------------------------- inputs without a front end */

/* Runs a camera, Wi-Fi capture or SAPIENT input to its end (the RF inputs have
 * rf_thread, which flushes their front ends after). */
static int run_input(runner *s, sg_errinfo *e)
{
#if SG_WITH_SAPIENT
    if (s->sap)
        return sapient_in_run(s->sap, on_sapient_meas, on_sapient_note, on_sapient_tick, s, e);
#endif
#if SG_WITH_PCAP
    if (s->pcap)
        return rid_pcap_run(s->pcap, on_wifi, s, e);
#endif
    return camera_run(s->cam, on_frame, s, e);
}

static void *input_thread(void *arg)
{
    runner *s = arg;
    sg_errinfo e = {0};
    push_health(s, NAN, false); /* counters from the start */
    int rc = run_input(s, &e);
    clock_done(s);
    finish(s, rc, &e, NAN);
    return NULL;
}

static void runner_stop(runner *s)
{
    if (s->cam)
        camera_stop(s->cam);
#if SG_WITH_SAPIENT
    if (s->sap)
        sapient_in_stop(s->sap);
#endif
    if (s->ops && s->ops->stop)
        s->ops->stop(s->state);
#if SG_WITH_PCAP
    if (s->pcap)
        rid_pcap_stop(s->pcap);
#endif
}

static void *rf_thread(void *arg)
{
    runner *s = arg;
    sg_errinfo e = {0};
    pthread_setname_np(pthread_self(), "sg-sensor"); /* top -H, bench/daemon_pairs.py */
    push_health(s, NAN, false); /* counters from the start */
    int rc = s->ops->run(s->state, rf_sink, s, &e);
    if (rc && s->sink_err[0])
        sg_err_set(&e, rc, "%s", s->sink_err);
    clock_done(s);
    sg_errinfo fe_e = {0};
    int frc = s->df ? dffe_flush(sensor_df_fe(s->df), on_df_burst, s, &fe_e)
                    : frontend_flush(s->fe, on_burst, s);
    if (s->df)
        push_bearings(s, INFINITY);
    if (s->ble)
        ble_scan_flush(s->ble, on_ble, s);
    if ((rc == SG_OK || (rc == SG_ESTATE && atomic_load(s->p->stop))) && frc != SG_OK)
        rc = sg_err_set(&e, frc, "front end flush failed");
    stop_chain(s);
    if (s->rec) {
        sg_errinfo re = {0};
        if (sigmf_writer_close(s->rec, &re) != SG_OK) {
            s->rec_errors++;
            push_note(s, re.msg);
        }
        s->rec = NULL;
    }
    frontend_stats_t fs;
    if (s->df)
        dffe_frontend_stats(sensor_df_fe(s->df), &fs);
    else
        frontend_stats(s->fe, &fs);
    finish(s, rc, &e, fs.t);
    return NULL;
}

/* ---------------------------------------------------------------- lifetime */

void sensor_side_set_record_dir(sensor_side *s, const char *dir) { s->record_dir = dir; }

size_t sensor_side_count(const sensor_side *s) { return s->n_run; }

size_t sensor_side_finished(sensor_side *s) { return atomic_load(&s->finished); }

int sensor_side_start(sensor_side *p, size_t *started, sg_errinfo *e)
{
    *started = 0;
    for (size_t k = 0; k < p->n_run; k++) {
        bool other = p->run[k].cam != NULL; /* an input without a front end */
#if SG_WITH_PCAP
        other = other || p->run[k].pcap;
#endif
#if SG_WITH_SAPIENT
        other = other || p->run[k].sap;
#endif
        void *(*fn)(void *) = other ? input_thread : rf_thread;
        if (pthread_create(&p->run[k].th, NULL, fn, &p->run[k]) != 0)
            return sg_err_set(e, SG_ENOMEM, "cannot start the thread of sensor %s",
                              p->site->sensors[p->run[k].idx].id);
        p->run[k].started = true;
        (*started)++;
    }
    return SG_OK;
}

/* A stalled stage (no block finished for SENSOR_WATCHDOG_S) and its recovery, as
 * notes (never blocking: this runs on the consumer's thread). */
static void watchdog(sensor_side *p)
{
    int64_t now = mono_ns();
    for (size_t k = 0; k < p->n_run; k++) {
        runner *s = &p->run[k];
        if (!s->started)
            continue;
        int64_t b = atomic_load(&s->busy_ns);
        bool stalled = b && (double)(now - b) > SENSOR_WATCHDOG_S * 1e9;
        if (stalled == s->stall_noted)
            continue;
        s->stall_noted = stalled;
        nl_event ev = {.kind = NL_NOTE, .sensor = s->idx, .t = NAN,
                       .rc = stalled ? SG_ETIMEOUT : SG_OK};
        if (stalled)
            snprintf(ev.err, sizeof ev.err,
                     "stalled: no progress for %.0f s in the %s (watchdog); sensor degraded",
                     SENSOR_WATCHDOG_S, rf_stage_name[atomic_load(&s->stage) & 3]);
        else
            snprintf(ev.err, sizeof ev.err, "progressing again after a stall");
        clock_gettime(CLOCK_MONOTONIC, &ev.made);
        if (node_link_push(p->link, &ev, false) != SG_OK)
            s->stall_noted = !stalled; /* try again next turn */
    }
}

size_t sensor_side_poll(sensor_side *p, sg_errinfo *why)
{
    watchdog(p);
    if (!atomic_load(p->stop))
        return 0;
    if (!p->stopping) {
        p->stopping = true;
        clock_gettime(CLOCK_MONOTONIC, &p->stop_at);
    }
    /* Stop requested: let the sensor threads return (their events still drain). */
    for (size_t k = 0; k < p->n_run; k++)
        runner_stop(&p->run[k]);
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (sg_ms_between(&p->stop_at, &now) < SENSOR_STOP_GRACE_S * 1e3)
        return 0;
    size_t stuck = 0;
    for (size_t k = 0; k < p->n_run; k++) {
        runner *s = &p->run[k];
        if (!s->started || atomic_load(&s->ended))
            continue;
        if (why && !stuck++)
            sg_err_set(why, SG_ETIMEOUT, "sensor %s did not stop within %.0f s (in the %s)",
                       p->site->sensors[s->idx].id, SENSOR_STOP_GRACE_S,
                       rf_stage_name[atomic_load(&s->stage) & 3]);
        else if (!why)
            stuck++;
    }
    return stuck;
}

size_t sensor_side_join(sensor_side *p)
{
    size_t left = 0;
    for (size_t k = 0; k < p->n_run; k++) {
        runner *s = &p->run[k];
        if (!s->started)
            continue;
        /* an ended thread returns at once; one that did not end in the grace is left */
        struct timespec dl;
        sg_deadline(&dl, CLOCK_REALTIME, atomic_load(&s->ended) ? 10.0 : 0.2);
        if (pthread_timedjoin_np(s->th, NULL, &dl) != 0) {
            s->abandoned = true;
            left++;
            continue;
        }
        s->started = false;
    }
    return left;
}
