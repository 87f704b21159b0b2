/* The daemon's pipeline (see pipeline.h): stage wiring, sensor threads, the fusion
 * loop and the publication policy.
 *
 * Threads: one per enabled sensor runs its adapter; RF sensors run the front end and
 * the decoders on the adapter's thread (inside the sink) and push events
 * (measurements, RF presence, clock ticks, end of input) into one bounded queue; the
 * fusion loop on the caller's thread pops them in order and owns the registry,
 * tracker, alerts and feed. A replay pushes with back-pressure (lossless and
 * deterministic); a live sensor never blocks and its dropped events are counted. */
#include "pipeline.h"
#include "sg_clock.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alerts.h"
#include "camera.h"
#include "ble_rx.h"
#include "droneid.h"
#include "emitter.h"
#include "feed.h"
#include "frontend.h"
#include "fusion.h"
#include "geo.h"
#include "odid.h"
#include "registry.h"
#if SG_WITH_PCAP
#include "rid_wifi_pcap.h"
#else
typedef struct rid_pcap rid_pcap;
#endif
#include "sg_adapter.h"
#include "sg_json.h"
#include "sg_jsonw.h"
#include "sg_queue.h"
#include "siglib.h"
#include "sigmf.h"
#include "site.h"
#include "tracker.h"
#include "zones.h"

#define TICK_PERIOD_S 0.05     /* s of sample time between clock events from a sensor */
#define STEP_PERIOD_S 0.1      /* s of sample time between tracker/alert steps without data */
#define RF_REPORT_PERIOD_S 2.0 /* s between rf.* reports of one emitter */
#define LOG_TRACK_PERIOD_S 2.0 /* s between readable lines about one track */
#define TRACK_SLOTS 4096       /* per-track publication memory (by id modulo) */
#define EMITTER_SLOTS 256      /* per-emitter report memory (by id modulo) */
#define LAT_BINS 2048          /* latency histogram bins of 0.1 ms: 0..204.8 ms */
#define SYNC_WINDOW_S 0.2      /* s a replayed sensor may run ahead of the slowest other */

typedef enum { EV_MEAS, EV_TICK, EV_DONE } ev_kind;

typedef struct {
    ev_kind kind;
    int sensor;
    double t;                  /* s UTC, sample clock */
    sg_measurement m;          /* EV_MEAS */
    double fc, bw;             /* Hz: RF presence details for the rf.* message */
    double first_t;            /* s UTC: emitter first heard */
    double t_end;              /* s UTC: end of the data behind the event (burst end) */
    struct timespec made;      /* wall clock (monotonic) when the event was made */
    int rc;                    /* EV_DONE: the sensor's exit code */
    char err[256];             /* EV_DONE: why it failed */
} event;

/* Latency histogram: fixed bins, no allocation on the hot path. */
typedef struct {
    uint32_t bins[LAT_BINS];
    uint64_t n, over;
} lat_hist;

static void lat_add(lat_hist *h, double ms)
{
    h->n++;
    if (!(ms >= 0))
        ms = 0;
    size_t b = (size_t)(ms * 10.0);
    if (b >= LAT_BINS)
        h->over++;
    else
        h->bins[b]++;
}

static double lat_quantile(const lat_hist *h, double q)
{
    if (h->n == 0)
        return NAN;
    uint64_t want = (uint64_t)ceil(q * (double)h->n), acc = 0;
    for (size_t b = 0; b < LAT_BINS; b++) {
        acc += h->bins[b];
        if (acc >= want)
            return (b + 0.5) / 10.0;
    }
    return INFINITY; /* beyond the histogram: reported as null */
}


typedef struct {
    uint32_t id;
    char cls[SG_CLASS_LEN];
    double last_report;
    char identity[SG_ID_LEN];  /* last DroneID serial decoded from this emitter */
} emitter_slot;

/* One sensor's input thread: an IQ adapter with the RF chain (front end, emitters,
 * DroneID, BLE Remote ID), or a Wi-Fi Remote ID capture. */
typedef struct {
    pipeline *p;
    int idx;                   /* sensor index in the site */
    bool live;                 /* a device: never blocks, drops counted */
    rid_pcap *pcap;            /* Wi-Fi Remote ID input, or NULL */
    camera *cam;               /* camera input, or NULL */
    ble_rx *ble;               /* BLE Remote ID receiver on this RF input, or NULL */
    odid_table *odid;          /* Remote ID aircraft heard by this sensor */
    atomic_uint_least64_t rid_frames, rid_positions;
    const sg_iq_adapter *ops;  /* IQ adapter, NULL for Wi-Fi Remote ID */
    void *state;
    cJSON *opts;               /* adapter options with paths resolved (owned) */
    frontend *fe;
    emitters *em;
    droneid_rx *did;
    double did_fs;             /* Hz the DroneID receiver was made for */
    double center_freq;        /* Hz of the block being processed */
    double hold_s;             /* s the front end may hold a burst back (max burst + margin) */
    double next_tick;
    double t_first;            /* s UTC of the end of the first block (arrived at wall_first) */
    struct timespec wall_first;
    emitter_slot slots[EMITTER_SLOTS];
    sigmf_writer *rec;         /* incident recording of the input, NULL = off */
    int64_t rec_offset;        /* recording sample index - stream sample index */
    double rec_t0, rec_fc;     /* of the current capture segment */
    atomic_uint_least64_t rec_errors; /* writes that failed (recording then stops) */
    bool rec_off;              /* recording failed for good on this sensor */
    lat_hist fe_lat;           /* ms to process one block (sensor thread only) */
    pthread_mutex_t lat_mu;    /* guards fe_lat for status reads */
    double clk;                /* s UTC reached (guarded by pipeline.clk_mu), -INF before */
    bool clk_done;             /* input ended (guarded by clk_mu) */
    pthread_t th;
    bool started;
    atomic_uint_least64_t bursts, decoded, decode_fail, events_dropped;
} runner;

typedef struct {
    double last_t;             /* s UTC of the last data */
    bool done, failed;
} sensor_health;

typedef struct {
    uint32_t id;
    sg_track_status status;
    double last_log;
    bool announced;            /* published at least once */
} track_slot;

struct pipeline {
    pipeline_opts o;
    sg_site *site;
    geo_frame frame;
    zone_set *zones;
    siglib *sigs;
    registry *reg;
    tracker *trk;
    alerts *al;
    feed *fd;
    sgq *events;
    runner *run;               /* one per sensor slot (unused slots have p == NULL) */
    size_t n_run;              /* runners built, in run[0..n_run-1] */
    const char **sensor_ids;
    sensor_health *health;
    atomic_bool stop;
    pthread_mutex_t clk_mu;    /* replay clock alignment across sensors */
    pthread_cond_t clk_cv;
    /* fusion-thread state */
    double t_now, t_last_step, next_status;
    double t_begin;            /* s UTC: sample time of the first event */
    snapshot_sched snap;
    sg_track *tracks;          /* mutable copy of the tracker's list */
    size_t n_tracks, cap_tracks;
    track_slot tslots[TRACK_SLOTS];
    lat_hist pipe_lat;         /* ms from event creation to its publication */
    lat_hist e2e_lat;          /* ms from sample time of the data to publication (paced replay) */
    uint64_t rejected;         /* measurements refused by the registry or tracker */
    sg_status st;
    struct timespec started;
    char line[1024];
    char sjson[8192];
    char ljson[512];
    char rec_feed[SG_PATH_LEN];
    char rec_dir[SG_PATH_LEN];
};

/* ---------------------------------------------------------------- logging */

static void logf_(pipeline *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(pipeline *p, const char *fmt, ...)
{
    if (!p->o.log)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->line, sizeof p->line, fmt, ap);
    va_end(ap);
    p->o.log(p->o.log_user, p->line);
}

/* "hh:mm:ss.mmm" of a sample-clock time. */
static const char *hms(double t, char *buf, size_t cap)
{
    char iso[40];
    sg_time_iso8601(t, iso, sizeof iso);
    snprintf(buf, cap, "%.12s", strlen(iso) > 11 ? iso + 11 : iso);
    return buf;
}

void pipeline_opts_default(pipeline_opts *o)
{
    memset(o, 0, sizeof *o);
    o->linger_s = 0.5;
    o->event_queue = 4096;
}

/* ---------------------------------------------------------------- sensor threads */

static void on_ble(void *user, const ble_rx_packet *pkt);
static void runner_init(pipeline *p, size_t si, runner *s);

static void push_event(runner *s, event *ev)
{
    if (!(ev->t_end > 0))
        ev->t_end = ev->t;
    clock_gettime(CLOCK_MONOTONIC, &ev->made);
    if (sgq_push(s->p->events, ev, !s->live) != SG_OK)
        atomic_fetch_add(&s->events_dropped, 1);
}

/* A clock event at most every TICK_PERIOD_S of this sensor's time (or at once). */
static void tick(runner *s, double t, bool now)
{
    if (t >= s->next_tick || now) {
        event ev = {.kind = EV_TICK, .sensor = s->idx, .t = t};
        push_event(s, &ev);
        s->next_tick = t + TICK_PERIOD_S;
    }
}

/* The end of a sensor's input (never dropped): rc and why, t its last time. */
static void finish(runner *s, int rc, const sg_errinfo *e, double t)
{
    if (rc == SG_ESTATE && atomic_load(&s->p->stop))
        rc = SG_OK; /* stopped on request */
    event ev = {.kind = EV_DONE, .sensor = s->idx, .rc = rc, .t = t};
    if (rc)
        snprintf(ev.err, sizeof ev.err, "%s", e->msg[0] ? e->msg : sg_strerror(rc));
    clock_gettime(CLOCK_MONOTONIC, &ev.made);
    sgq_push(s->p->events, &ev, true);
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

static void try_droneid(runner *s, const sg_burst *b, const float complex *iq, size_t n,
                        emitter_slot *sl)
{
    if (!s->did || !iq || !droneid_burst_plausible(b))
        return;
    droneid_msg msg;
    droneid_diag diag;
    int rc = droneid_rx_decode(s->did, iq, n, b->fc - s->center_freq, &msg, &diag);
    if (rc != SG_OK) {
        atomic_fetch_add(&s->decode_fail, 1);
        return;
    }
    atomic_fetch_add(&s->decoded, 1);
    if (sl)
        snprintf(sl->identity, sizeof sl->identity, "%s", msg.serial);
    event ev = {.kind = EV_MEAS, .sensor = s->idx, .t = b->t_start, .fc = b->fc,
                .bw = b->bandwidth, .first_t = b->t_start, .t_end = b->t_start + b->duration};
    if (droneid_to_measurement(&msg, b->t_start, s->idx, &ev.m) == SG_OK)
        push_event(s, &ev);
}

/* Reports an emitter as RF presence when its class is a drone link, on a change of
 * class and then every RF_REPORT_PERIOD_S. */
static void report_emitter(runner *s, const emitter *em, emitter_slot *sl)
{
    bool changed = strcmp(sl->cls, em->cls) != 0;
    if (!changed && em->t_last - sl->last_report < RF_REPORT_PERIOD_S)
        return;
    event ev = {.kind = EV_MEAS, .sensor = s->idx, .t = em->t_last,
                .fc = 0.5 * (em->fc_min + em->fc_max), .bw = em->bw_mean, .first_t = em->t_first};
    if (emitter_to_measurement(em, em->t_last, &ev.m) != SG_OK)
        return; /* not a drone class, or not enough evidence yet */
    ev.m.sensor = s->idx;
    snprintf(ev.m.identity, sizeof ev.m.identity, "%s", sl->identity);
    snprintf(sl->cls, sizeof sl->cls, "%s", em->cls);
    sl->last_report = em->t_last;
    push_event(s, &ev);
}

static void record_burst(runner *s, const sg_burst *b, const emitter *em)
{
    int64_t at = (int64_t)b->sample_start + s->rec_offset;
    if (!s->rec || at < 0)
        return;
    sigmf_annotation a = {.sample_start = (uint64_t)at, .sample_count = b->sample_count,
                          .freq_lo = b->fc - b->bandwidth / 2, .freq_hi = b->fc + b->bandwidth / 2};
    snprintf(a.label, sizeof a.label, "%s", em && em->cls[0] ? em->cls : "burst");
    snprintf(a.comment, sizeof a.comment, "skyguard burst: peak %.1f dB, mean %.1f dB SNR%s%s",
             b->peak_snr_db, b->mean_snr_db, b->flags & SG_BURST_TRUNC_START ? ", truncated start" : "",
             b->flags & SG_BURST_TRUNC_END ? ", truncated end" : "");
    if (sigmf_writer_annotate(s->rec, &a, NULL) != SG_OK)
        s->rec_errors++;
}

static void on_burst(void *user, const sg_burst *b, const float complex *iq, size_t n_iq)
{
    runner *s = user;
    atomic_fetch_add(&s->bursts, 1);
    uint32_t id = 0;
    emitter_slot *sl = NULL;
    if (emitters_add_burst(s->em, b, &id) == SG_OK)
        sl = slot_for(s, id);
    try_droneid(s, b, iq, n_iq, sl);
    const emitter *em = sl ? emitters_find(s->em, id) : NULL;
    if (em)
        report_emitter(s, em, sl);
    record_burst(s, b, em);
}

/* Appends a block to the incident recording; a new capture segment starts wherever
 * the stream's clock, frequency or continuity changes. Failure stops the recording
 * (counted), never the pipeline. */
static void record_block(runner *s, const sg_iq_block *blk)
{
    pipeline *p = s->p;
    sg_errinfo e = {0};
    double t_first = blk->t0 + (double)blk->sample_index / blk->sample_rate;
    if (!s->rec) {
        char base[SG_PATH_LEN];
        snprintf(base, sizeof base, "%s/%s", p->o.record_dir, p->sensor_ids[s->idx]);
        s->rec = sigmf_writer_create(base, SIGMF_CF32_LE, blk->sample_rate, blk->center_freq,
                                     t_first, "skyguard incident recording (input IQ)", &e);
        if (!s->rec) {
            s->rec_errors++;
            s->rec_off = true; /* reported in status as record_errors */
            return;
        }
        s->rec_t0 = blk->t0;
        s->rec_fc = blk->center_freq;
    } else if (blk->discontinuity || blk->t0 != s->rec_t0 || blk->center_freq != s->rec_fc ||
               (int64_t)blk->sample_index + s->rec_offset !=
                   (int64_t)sigmf_writer_samples(s->rec)) {
        if (sigmf_writer_capture(s->rec, blk->center_freq, t_first, &e))
            goto fail;
        s->rec_t0 = blk->t0;
        s->rec_fc = blk->center_freq;
    }
    s->rec_offset = (int64_t)sigmf_writer_samples(s->rec) - (int64_t)blk->sample_index;
    if (sigmf_writer_write(s->rec, blk->x, blk->n, &e) == SG_OK)
        return;
fail:
    s->rec_errors++;
    sigmf_writer_abort(s->rec);
    s->rec = NULL;
    s->rec_off = true;
}

/* Replayed sensors advance together on the sample clock: a sensor ahead of the
 * slowest other replayed sensor by more than SYNC_WINDOW_S waits, so events of all
 * recordings reach fusion in (nearly) time order, as they would live. Live sensors
 * never wait. */
static void clock_sync(runner *s, double t)
{
    pipeline *p = s->p;
    if (s->live || p->n_run < 2)
        return;
    pthread_mutex_lock(&p->clk_mu);
    s->clk = t;
    pthread_cond_broadcast(&p->clk_cv);
    while (!atomic_load(&p->stop)) {
        double slowest = INFINITY;
        for (size_t k = 0; k < p->n_run; k++) {
            const runner *o = &p->run[k];
            if (o != s && !o->live && !o->clk_done && o->clk < slowest)
                slowest = o->clk;
        }
        if (t <= slowest + SYNC_WINDOW_S)
            break;
        struct timespec dl;
        sg_deadline(&dl, CLOCK_REALTIME, 0.1);
        pthread_cond_timedwait(&p->clk_cv, &p->clk_mu, &dl);
    }
    pthread_mutex_unlock(&p->clk_mu);
}

static void clock_done(runner *s)
{
    pthread_mutex_lock(&s->p->clk_mu);
    s->clk_done = true;
    pthread_cond_broadcast(&s->p->clk_cv);
    pthread_mutex_unlock(&s->p->clk_mu);
}

static int rf_sink(void *user, const sg_iq_block *blk)
{
    runner *s = user;
    pipeline *p = s->p;
    if (atomic_load(&p->stop))
        return SG_ESTATE;
    struct timespec a, b;
    clock_sync(s, blk->t0 + (double)blk->sample_index / blk->sample_rate);
    clock_gettime(CLOCK_MONOTONIC, &a);
    if (isnan(s->t_first)) {
        /* a block arrives when its last sample does: that pairs sample and wall clocks */
        s->t_first = blk->t0 + (double)(blk->sample_index + blk->n) / blk->sample_rate;
        s->wall_first = a;
    }
    if (blk->sample_rate != s->did_fs) {
        /* DroneID needs 15.36..200 Msps; other rates (e.g. a BLE-only input) skip it */
        droneid_rx_destroy(s->did);
        s->did = NULL;
        s->did_fs = blk->sample_rate;
        if (blk->sample_rate >= 15.36e6 && blk->sample_rate <= 200e6 &&
            !(s->did = droneid_rx_create(blk->sample_rate, NULL)))
            atomic_fetch_add(&s->decode_fail, 1); /* no memory: counted, bursts still flow */
    }
    s->center_freq = blk->center_freq;
    if (p->o.record_dir && !s->rec_off)
        record_block(s, blk);
    int rc = frontend_execute(s->fe, blk, on_burst, s);
    if (rc == SG_OK && s->ble) {
        sg_errinfo be = {0};
        if (ble_rx_execute(s->ble, blk, on_ble, s, &be) != SG_OK) {
            /* e.g. the configured channel is outside this capture: BLE off, counted */
            ble_rx_destroy(s->ble);
            s->ble = NULL;
            atomic_fetch_add(&s->events_dropped, 1);
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    pthread_mutex_lock(&s->lat_mu);
    lat_add(&s->fe_lat, sg_ms_between(&a, &b));
    pthread_mutex_unlock(&s->lat_mu);
    if (rc != SG_OK)
        return rc;
    /* The clock this sensor can vouch for: bursts still open or held for their
     * margin may start up to hold_s before the end of this block, and their
     * measurements must not arrive behind the clock. */
    double t_end = blk->t0 + (double)(blk->sample_index + blk->n) / blk->sample_rate - s->hold_s;
    tick(s, t_end, blk->discontinuity);
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
    event ev = {.kind = EV_MEAS, .sensor = s->idx, .t = t, .first_t = ac->t_first};
    if (odid_to_measurement(ac, s->idx, &ev.m) != SG_OK)
        return;
    ev.m.t = t;
    atomic_fetch_add(&s->rid_positions, 1);
    push_event(s, &ev);
}

static void on_ble(void *user, const ble_rx_packet *pkt)
{
    runner *s = user;
    odid_message msgs[ODID_PACK_MAX];
    int n = 0;
    uint8_t mac[6];
    if (ble_rx_packet_odid(pkt, msgs, ODID_PACK_MAX, &n, mac) != SG_OK)
        return; /* another BLE device */
    for (int i = 0; i < n; i++)
        rid_message(s, mac, &msgs[i], pkt->t, pkt->power_dbfs);
}

#if SG_WITH_PCAP
static int on_wifi(void *user, double t, const rid_wifi_frame *f)
{
    runner *s = user;
    if (atomic_load(&s->p->stop))
        return SG_ESTATE;
    clock_sync(s, t);
    for (int i = 0; i < f->n_msgs; i++)
        rid_message(s, f->mac, &f->msgs[i], t, f->rssi_dbm);
    tick(s, t, false);
    return SG_OK;
}

static void *wifi_thread(void *arg)
{
    runner *s = arg;
    sg_errinfo e = {0};
    int rc = rid_pcap_run(s->pcap, on_wifi, s, &e);
    clock_done(s);
    finish(s, rc, &e, NAN);
    return NULL;
}
#endif

/* ---------------------------------------------------------------- cameras */

static int on_frame(void *user, const camera_frame *f)
{
    runner *s = user;
    if (atomic_load(&s->p->stop))
        return SG_ESTATE;
    clock_sync(s, f->t);
    for (size_t i = 0; i < f->n_meas; i++) {
        event ev = {.kind = EV_MEAS, .sensor = s->idx, .t = f->meas[i].t, .m = f->meas[i],
                    .first_t = f->t};
        push_event(s, &ev);
    }
    tick(s, f->t, f->gap);
    return SG_OK;
}

static void *camera_thread(void *arg)
{
    runner *s = arg;
    sg_errinfo e = {0};
    int rc = camera_run(s->cam, on_frame, s, &e);
    clock_done(s);
    finish(s, rc, &e, NAN);
    return NULL;
}

static void runner_stop(runner *s)
{
    if (s->cam)
        camera_stop(s->cam);
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
    int rc = s->ops->run(s->state, rf_sink, s, &e);
    clock_done(s);
    int frc = frontend_flush(s->fe, on_burst, s);
    if (s->ble)
        ble_rx_flush(s->ble, on_ble, s);
    if ((rc == SG_OK || (rc == SG_ESTATE && atomic_load(&s->p->stop))) && frc != SG_OK)
        rc = sg_err_set(&e, frc, "front end flush failed");
    if (s->rec) {
        sg_errinfo re = {0};
        if (sigmf_writer_close(s->rec, &re) != SG_OK)
            s->rec_errors++;
        s->rec = NULL;
    }
    frontend_stats_t fs;
    frontend_stats(s->fe, &fs);
    finish(s, rc, &e, fs.t);
    return NULL;
}

/* ---------------------------------------------------------------- building */

static fusion_sensor_kind fusion_kind(sg_sensor_kind k)
{
    switch (k) {
    case SG_SENSOR_CAMERA:
        return FUSION_SENSOR_CAMERA;
    case SG_SENSOR_REMOTEID_WIFI:
        return FUSION_SENSOR_REMOTEID;
    default:
        return FUSION_SENSOR_RF;
    }
}

/* Adapter options with a relative file (the member `key`) made relative to the venue file. */
static cJSON *resolve_adapter_opts(const sg_site *site, const cJSON *adapter, const char *key,
                                   sg_errinfo *e)
{
    cJSON *o = cJSON_Duplicate(adapter, 1);
    if (!o) {
        sg_err_set(e, SG_ENOMEM, "out of memory");
        return NULL;
    }
    cJSON *path = cJSON_GetObjectItemCaseSensitive(o, key);
    if (cJSON_IsString(path) && strcmp(path->valuestring, "-") != 0) {
        char full[SG_PATH_LEN];
        if (sg_path_relative_to(site->path, path->valuestring, full, sizeof full) ||
            !cJSON_SetValuestring(path, full)) {
            cJSON_Delete(o);
            sg_err_set(e, SG_ERANGE, "adapter path too long");
            return NULL;
        }
    }
    return o;
}

static int build_rf_sensor(pipeline *p, size_t si, bool replace, runner *s, sg_errinfo *e)
{
    const sg_sensor_cfg *c = &p->site->sensors[si];
    runner_init(p, si, s);
    const char *type = c->adapter_type;
    if (replace) {
        /* --replay: a SigMF recording stands in for this sensor's adapter. */
        type = "sigmf";
        s->opts = cJSON_CreateObject();
        if (!s->opts || !cJSON_AddStringToObject(s->opts, "type", "sigmf") ||
            !cJSON_AddStringToObject(s->opts, "path", p->o.replay_path) ||
            (p->o.sample_rate > 0 &&
             !cJSON_AddNumberToObject(s->opts, "sample_rate", p->o.sample_rate)) ||
            (p->o.realtime && !cJSON_AddBoolToObject(s->opts, "realtime", true)))
            return sg_err_set(e, SG_ENOMEM, "out of memory");
    } else {
        if (!(s->opts = resolve_adapter_opts(p->site, c->adapter, "path", e)))
            return e->code;
        if (p->o.realtime) {
            cJSON_DeleteItemFromObjectCaseSensitive(s->opts, "realtime");
            if (!cJSON_AddBoolToObject(s->opts, "realtime", true))
                return sg_err_set(e, SG_ENOMEM, "out of memory");
        }
    }
    s->ops = sg_iq_adapter_find(type);
    if (!s->ops) {
        const char *why = sg_iq_adapter_missing(type);
        return sg_err_set(e, SG_ENOTSUP, "%s.adapter.type: %s", c->where,
                          why ? why : "unknown IQ adapter (see docs/config.md)");
    }
    char where[160];
    snprintf(where, sizeof where, "%s.adapter", c->where);
    int rc = s->ops->open(&s->state, s->opts, replace ? "--replay" : where, e);
    if (rc)
        return rc;
    frontend_cfg fc;
    snprintf(where, sizeof where, "%s.frontend", c->where);
    if ((rc = frontend_cfg_from_json(&fc, c->frontend, where, e)))
        return rc;
    fc.sensor = (int)si;
    s->hold_s = fc.max_burst_s + fc.margin_s;
    if (!(s->fe = frontend_create(&fc, e)))
        return e->code;
    if (!(s->em = emitters_create(p->sigs, NULL, e)))
        return e->code;
    s->live = s->ops->live;
    if (c->ble) {
        /* BLE Remote ID receiver on this sensor's IQ */
        ble_rx_cfg bc;
        snprintf(where, sizeof where, "%s.ble", c->where);
        ble_rx_cfg_default(&bc);
        if ((rc = ble_rx_cfg_from_json(c->ble, where, &bc, e)) || !(s->ble = ble_rx_create(&bc, e)))
            return rc ? rc : e->code;
    }
    if (!(s->odid = odid_table_create(256, 30.0, e)))
        return e->code;
    return SG_OK;
}

static void runner_init(pipeline *p, size_t si, runner *s)
{
    s->p = p;
    s->idx = (int)si;
    s->t_first = NAN;
    s->next_tick = -INFINITY;
    s->clk = -INFINITY;
    pthread_mutex_init(&s->lat_mu, NULL);
}

/* A Wi-Fi Remote ID receiver: a pcap file (replay) or a monitor-mode interface. */
static int build_wifi_sensor(pipeline *p, size_t si, runner *s, sg_errinfo *e)
{
    const sg_sensor_cfg *c = &p->site->sensors[si];
    runner_init(p, si, s);
    char where[160];
    snprintf(where, sizeof where, "%s.adapter", c->where);
#if SG_WITH_PCAP
    if (strcmp(c->adapter_type, "pcap") != 0)
        return sg_err_set(e, SG_EINVAL, "%s.type: remoteid_wifi sensors take \"pcap\"", where);
    if (!(s->opts = resolve_adapter_opts(p->site, c->adapter, "file", e)))
        return e->code;
    cJSON_DeleteItemFromObjectCaseSensitive(s->opts, "type");
    s->live = cJSON_HasObjectItem(s->opts, "interface");
    if (!(s->pcap = rid_pcap_open_json(s->opts, where, e)))
        return e->code;
    if (!(s->odid = odid_table_create(256, 30.0, e)))
        return e->code;
    return SG_OK;
#else
    (void)p;
    return sg_err_set(e, SG_ENOTSUP, "%s: this build has no libpcap (apt-get install "
                      "libpcap-dev and rebuild)", where);
#endif
}

/* A camera: GStreamer pipeline -> sky detector -> bearing measurements. */
static int build_camera_sensor(pipeline *p, size_t si, runner *s, sg_errinfo *e)
{
    const sg_sensor_cfg *c = &p->site->sensors[si];
    runner_init(p, si, s);
    camera_cfg cc;
    camera_cfg_default(&cc);
    int rc = camera_cfg_from_json(&cc, c->json, c->where, e);
    if (rc)
        return rc;
    cc.sensor = (int)si;
    registry_sensor_enu(p->reg, si, cc.sensor_enu);
    s->live = cc.live;
    if (!(s->cam = camera_create(&cc, e)))
        return e->code;
    return SG_OK;
}

static int build_registry(pipeline *p, sg_errinfo *e)
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

pipeline *pipeline_create(const char *config_path, const pipeline_opts *o, sg_errinfo *e)
{
    pipeline *p = calloc(1, sizeof *p);
    if (!p) {
        sg_err_set(e, SG_ENOMEM, "out of memory");
        return NULL;
    }
    p->o = *o;
    pthread_mutex_init(&p->clk_mu, NULL);
    pthread_cond_init(&p->clk_cv, NULL);
    if (p->o.event_queue == 0)
        p->o.event_queue = 4096;
    clock_gettime(CLOCK_MONOTONIC, &p->started);
    char where[SG_PATH_LEN + 32];
    if (!(p->site = site_load(config_path, e)))
        goto fail;
    sg_site *site = p->site;
    if (geo_frame_init(&p->frame, site->origin_lat_deg * GEO_DEG, site->origin_lon_deg * GEO_DEG,
                       site->origin_alt_m, e)) {
        sg_err_prefix(e, site->path);
        goto fail;
    }
    if (site->zones_path[0] && site->zones_format == SG_ZONES_ED269) {
        zones_ed269_opts zo = {.geoid_undulation_m = site->geoid_undulation_m,
                               .ground_amsl_m = site->ground_amsl_m};
        size_t skipped = 0;
        if (!(p->zones = zones_load_ed269(site->zones_path, &p->frame, &zo, &skipped, e)))
            goto fail;
        if (skipped)
            logf_(p, "%s: %zu ED-269 zone(s) skipped (more than 100 km from the site)",
                  site->zones_path, skipped);
    } else if (site->zones_path[0] && !(p->zones = zones_load(site->zones_path, &p->frame, e))) {
        goto fail;
    }
    /* The signature library: the venue's "signatures" file, else the one beside it. */
    char sigpath[SG_PATH_LEN];
    if (site->signatures_path[0])
        snprintf(sigpath, sizeof sigpath, "%s", site->signatures_path);
    else if (sg_path_relative_to(site->path, "signatures.json", sigpath, sizeof sigpath))
        sigpath[0] = '\0';
    if (!(p->sigs = siglib_load(sigpath, e)))
        goto fail;
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
        !(p->run = calloc(site->n_sensors, sizeof *p->run))) {
        sg_err_set(e, SG_ENOMEM, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < site->n_sensors; i++) {
        p->sensor_ids[i] = site->sensors[i].id;
        p->health[i].last_t = NAN;
    }
    if (!(p->events = sgq_create(p->o.event_queue, sizeof(event), e)))
        goto fail;
    bool replaced = false;
    for (size_t i = 0; i < site->n_sensors; i++) {
        const sg_sensor_cfg *c = &site->sensors[i];
        bool replace = p->o.replay_path && !replaced && c->kind == SG_SENSOR_RF;
        if (!replace && !c->enabled)
            continue;
        runner *r = &p->run[p->n_run];
        int brc;
        if (replace || c->kind == SG_SENSOR_RF)
            brc = build_rf_sensor(p, i, replace, r, e);
        else if (c->kind == SG_SENSOR_REMOTEID_WIFI)
            brc = build_wifi_sensor(p, i, r, e);
        else if (c->kind == SG_SENSOR_CAMERA)
            brc = build_camera_sensor(p, i, r, e);
        else
            brc = sg_err_set(e, SG_ENOTSUP, "%s: sensors of kind \"%s\" cannot run in this build",
                             c->where, sg_sensor_kind_names[c->kind]);
        if (brc)
            goto fail;
        replaced |= replace;
        p->n_run++;
    }
    if (p->o.replay_path && !replaced) {
        sg_err_set(e, SG_EINVAL, "%s: --replay needs an rf sensor in the venue file", site->path);
        goto fail;
    }
    if (p->n_run == 0) {
        sg_err_set(e, SG_EINVAL, "%s: no enabled sensor to run", site->path);
        goto fail;
    }
    if (!p->o.record_dir && site->record) {
        /* outputs.record {"dir": ...}: record every run (the command line wins) */
        static const char *const keys[] = {"dir", NULL};
        char rel[SG_PATH_LEN];
        snprintf(where, sizeof where, "%s: outputs.record", site->path);
        if (sgj_check_keys(site->record, where, keys, e) ||
            sgj_string(site->record, where, "dir", true, NULL, rel, sizeof rel, e))
            goto fail;
        if (sg_path_relative_to(site->path, rel, p->rec_dir, sizeof p->rec_dir)) {
            sg_err_set(e, SG_ERANGE, "%s.dir: path too long", where);
            goto fail;
        }
        p->o.record_dir = p->rec_dir;
    }
    if (p->o.record_dir) {
        struct stat st;
        if (stat(p->o.record_dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
            sg_err_set(e, SG_ENOTFOUND, "recording directory %s does not exist",
                       p->o.record_dir);
            goto fail;
        }
        snprintf(p->rec_feed, sizeof p->rec_feed, "%s/feed.jsonl", p->o.record_dir);
        if (p->o.record_out) {
            sg_err_set(e, SG_EINVAL, "--record and --record-out are exclusive");
            goto fail;
        }
        p->o.record_out = p->rec_feed;
    }
    feed_cfg fcfg = {
        .endpoint = p->o.endpoint ? p->o.endpoint : site->feed_endpoint,
        .security = site->feed_security,
        .where = where,
        .base_file = site->path,
        .node = "skyguardd",
        .sndhwm = 10000,
        .record_path = p->o.record_out,
    };
    if (!(p->fd = feed_create(&fcfg, p->sensor_ids, site->n_sensors, e)))
        goto fail;
    p->t_now = -INFINITY;
    p->t_begin = NAN;
    p->t_last_step = -INFINITY;
    p->next_status = -INFINITY;
    return p;
fail:
    pipeline_destroy(p);
    return NULL;
}

void pipeline_stop(pipeline *p) { atomic_store(&p->stop, true); }

void pipeline_destroy(pipeline *p)
{
    if (!p)
        return;
    for (size_t i = 0; p->run && i < p->site->n_sensors; i++) {
        runner *s = &p->run[i]; /* partly built sensors too (a failed create) */
        if (!s->p)
            continue;
        if (s->state)
            s->ops->close(s->state);
#if SG_WITH_PCAP
        rid_pcap_close(s->pcap);
#endif
        ble_rx_destroy(s->ble);
        odid_table_destroy(s->odid);
        camera_destroy(s->cam);
        if (s->rec)
            sigmf_writer_abort(s->rec);
        frontend_destroy(s->fe);
        emitters_destroy(s->em);
        droneid_rx_destroy(s->did);
        cJSON_Delete(s->opts);
        pthread_mutex_destroy(&s->lat_mu);
    }
    free(p->run);
    feed_destroy(p->fd);
    sgq_destroy(p->events);
    alerts_destroy(p->al);
    tracker_destroy(p->trk);
    registry_destroy(p->reg);
    siglib_destroy(p->sigs);
    zones_destroy(p->zones);
    site_free(p->site);
    free(p->sensor_ids);
    free(p->health);
    free(p->tracks);
    pthread_mutex_destroy(&p->clk_mu);
    pthread_cond_destroy(&p->clk_cv);
    free(p);
}

/* ---------------------------------------------------------------- publication */

static track_slot *tslot(pipeline *p, uint32_t id)
{
    track_slot *s = &p->tslots[id % TRACK_SLOTS];
    if (s->id != id) {
        memset(s, 0, sizeof *s);
        s->id = id;
        s->last_log = -INFINITY;
        s->status = SG_TRACK_TENTATIVE;
    }
    return s;
}

static void note_latency(pipeline *p, const struct timespec *made, double t_data)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (made && made->tv_sec)
        lat_add(&p->pipe_lat, sg_ms_between(made, &now));
    if (p->o.realtime && p->n_run && !isnan(p->run[0].t_first) && isfinite(t_data)) {
        /* Paced replay: the data's sample time maps to wall time from the first sample. */
        double wall_ms = sg_ms_between(&p->run[0].wall_first, &now);
        lat_add(&p->e2e_lat, wall_ms - (t_data - p->run[0].t_first) * 1e3);
    }
}

static void publish_track(pipeline *p, const sg_track *tr, bool snapshot)
{
    alerts_zone_state zs[16];
    feed_zone_ref zr[16];
    size_t nz = alerts_track_zones(p->al, tr->id, zs, 16);
    if (nz > 16)
        nz = 16;
    for (size_t i = 0; i < nz; i++) {
        zr[i].zone_id = zs[i].zone_id;
        zr[i].severity = zs[i].severity;
        zr[i].inside = zs[i].inside;
        zr[i].ttb_s = zs[i].time_to_breach;
    }
    feed_track(p->fd, tr, zr, nz, snapshot);
}

static bool track_public(const sg_track *tr, const track_slot *s)
{
    return tr->status == SG_TRACK_CONFIRMED || tr->status == SG_TRACK_COASTING ||
           (tr->status == SG_TRACK_DELETED && s->announced);
}

static void log_track(pipeline *p, const sg_track *tr, const char *what)
{
    char tb[16];
    double speed = hypot(tr->x[3], tr->x[4]);
    double course = atan2(tr->x[3], tr->x[4]) * 180 / M_PI;
    if (course < 0)
        course += 360;
    logf_(p, "%s TRACK %-5u %-9s %-16s %-18s %9.5f %10.5f alt %6.1f m  %5.1f m/s course %3.0f  "
          "%.0f m from origin%s",
          hms(tr->t, tb, sizeof tb), tr->id, sg_track_status_name(tr->status),
          tr->cls[0] ? tr->cls : "-", tr->identity[0] ? tr->identity : "-",
          tr->lat * 180 / M_PI, tr->lon * 180 / M_PI, tr->alt, speed, course,
          hypot(tr->x[0], tr->x[1]), what);
}

static void on_alert(const sg_alert *a, void *user)
{
    pipeline *p = user;
    char tb[16], ttb[48] = "";
    feed_alert(p->fd, a, false);
    if (a->inside)
        snprintf(ttb, sizeof ttb, "inside");
    else if (isfinite(a->time_to_breach))
        snprintf(ttb, sizeof ttb, "breach in %.1f s (+/- %.1f)", a->time_to_breach,
                 a->time_to_breach_sd);
    logf_(p, "%s ALERT %-7s %-8s zone %-18s track %-5u %-16s %s%s", hms(a->t, tb, sizeof tb),
          sg_alert_state_name(a->state), sg_severity_name(a->severity), a->zone_id, a->track_id,
          a->identity[0] ? a->identity : (a->cls[0] ? a->cls : "-"), ttb,
          a->allow_listed ? " [allow-listed: not alarmed]" : "");
}

static void publish_snapshot(pipeline *p, bool late_joiner)
{
    for (size_t i = 0; i < p->n_tracks; i++) {
        const sg_track *tr = &p->tracks[i];
        track_slot *s = tslot(p, tr->id);
        if (!track_public(tr, s) || tr->status == SG_TRACK_DELETED)
            continue;
        publish_track(p, tr, late_joiner);
        s->announced = true;
    }
    if (late_joiner) {
        sg_alert act[64];
        size_t n = alerts_active(p->al, act, 64);
        for (size_t i = 0; i < n && i < 64; i++)
            feed_alert(p->fd, &act[i], true);
    }
}

static void publish_rf_picture(pipeline *p, double t)
{
    rf_presence pic[32];
    size_t n = registry_rf_picture(p->reg, t, pic, 32);
    for (size_t i = 0; i < n && i < 32; i++) {
        feed_rf r = {.sensor = pic[i].sensor, .cls = pic[i].cls, .cls_conf = pic[i].cls_conf,
                     .identity = pic[i].identity, .fc_hz = NAN, .bw_hz = NAN,
                     .first_t = pic[i].first_seen, .last_t = pic[i].last_seen, .t = t};
        feed_rf_presence(p->fd, &r);
    }
}

static const char *sensors_json(pipeline *p)
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
        if (!c->enabled && !(p->o.replay_path && p->run[0].idx == (int)i))
            state = "disabled";
        else if (h->failed)
            state = "down";
        else if (stale)
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
        sgjw_fix(&w, "last_t", h->last_t, 6);
        for (size_t k = 0; k < p->n_run; k++) {
            runner *s = &p->run[k];
            if (s->idx != (int)i)
                continue;
            if (s->ops) {
                sg_adapter_stats as;
                s->ops->stats(s->state, &as);
                sgjw_uint(&w, "samples", as.samples);
                sgjw_uint(&w, "samples_dropped", as.samples_dropped);
                sgjw_uint(&w, "bad_samples", as.bad_samples);
                sgjw_uint(&w, "bursts", atomic_load(&s->bursts));
                sgjw_uint(&w, "droneid_decoded", atomic_load(&s->decoded));
                sgjw_uint(&w, "droneid_failed", atomic_load(&s->decode_fail));
            }
            if (s->ble) {
                ble_rx_stats bs;
                ble_rx_get_stats(s->ble, &bs);
                sgjw_uint(&w, "ble_packets", bs.crc_ok);
                sgjw_uint(&w, "ble_crc_fail", bs.crc_fail);
            }
#if SG_WITH_PCAP
            if (s->pcap) {
                rid_pcap_stats ps;
                rid_pcap_get_stats(s->pcap, &ps);
                uint64_t rej = 0;
                for (int r = 1; r < RID_WIFI_REASONS_; r++)
                    rej += ps.rejected[r];
                sgjw_uint(&w, "wifi_frames", ps.frames);
                sgjw_uint(&w, "wifi_rid_frames", ps.decoded);
                sgjw_uint(&w, "wifi_rejected", rej);
                sgjw_uint(&w, "kernel_dropped", ps.kernel_dropped);
            }
#endif
            if (s->cam) {
                camera_stats cs;
                camera_get_stats(s->cam, &cs);
                sgjw_uint(&w, "frames", cs.frames_processed);
                sgjw_uint(&w, "frames_dropped", cs.frames_dropped);
                sgjw_uint(&w, "frames_bad", cs.frames_bad);
                sgjw_uint(&w, "detections", cs.detections);
                sgjw_uint(&w, "bearings", cs.measurements);
                sgjw_uint(&w, "detections_masked", cs.detections_masked);
                sgjw_uint(&w, "blobs_dropped", cs.blobs_dropped);
                sgjw_uint(&w, "tracklets_dropped", cs.tracklets_dropped);
                sgjw_uint(&w, "drone_reports", cs.drone_reports);
            }
            if (s->odid) {
                sgjw_uint(&w, "remote_id_messages", atomic_load(&s->rid_frames));
                sgjw_uint(&w, "remote_id_positions", atomic_load(&s->rid_positions));
                sgjw_uint(&w, "remote_id_evicted", odid_table_evictions(s->odid));
            }
            sgjw_uint(&w, "events_dropped", atomic_load(&s->events_dropped));
            if (p->o.record_dir || s->rec_errors)
                sgjw_uint(&w, "record_errors", atomic_load(&s->rec_errors));
        }
        sgjw_obj_end(&w);
    }
    sgjw_arr_end(&w);
    return sgjw_ok(&w) ? p->sjson : "[]";
}

static const char *latency_json(pipeline *p)
{
    lat_hist fe = {{0}, 0, 0};
    for (size_t k = 0; k < p->n_run; k++) {
        runner *s = &p->run[k];
        pthread_mutex_lock(&s->lat_mu);
        for (size_t b = 0; b < LAT_BINS; b++)
            fe.bins[b] += s->fe_lat.bins[b];
        fe.n += s->fe_lat.n;
        fe.over += s->fe_lat.over;
        pthread_mutex_unlock(&s->lat_mu);
    }
    sgjw w;
    sgjw_init(&w, p->ljson, sizeof p->ljson);
    sgjw_obj_begin(&w);
    sgjw_fix(&w, "frontend_p50", lat_quantile(&fe, 0.5), 2);
    sgjw_fix(&w, "frontend_p99", lat_quantile(&fe, 0.99), 2);
    sgjw_fix(&w, "pipeline_p50", lat_quantile(&p->pipe_lat, 0.5), 2);
    sgjw_fix(&w, "pipeline_p99", lat_quantile(&p->pipe_lat, 0.99), 2);
    if (p->o.realtime) {
        sgjw_fix(&w, "sample_to_feed_p50", lat_quantile(&p->e2e_lat, 0.5), 2);
        sgjw_fix(&w, "sample_to_feed_p99", lat_quantile(&p->e2e_lat, 0.99), 2);
    }
    sgjw_obj_end(&w);
    return sgjw_ok(&w) ? p->ljson : "{}";
}

static void publish_status(pipeline *p)
{
    sg_status *st = &p->st;
    memset(st, 0, sizeof *st);
    st->t = p->t_now;
    for (size_t k = 0; k < p->n_run; k++) {
        sg_adapter_stats as;
        if (!p->run[k].ops)
            continue;
        p->run[k].ops->stats(p->run[k].state, &as);
        st->samples_processed += as.samples;
        st->samples_dropped += as.samples_dropped;
        st->blocks_dropped += as.blocks_dropped;
        st->bursts += atomic_load(&p->run[k].bursts);
        st->blocks_dropped += atomic_load(&p->run[k].events_dropped);
    }
    tracker_counts tc;
    tracker_stats(p->trk, &tc);
    st->measurements = tc.meas_in;
    st->measurements_rejected = p->rejected;
    feed_stats fs;
    feed_get_stats(p->fd, &fs);
    st->messages_published = fs.published;
    st->messages_dropped = fs.dropped;
    sgq_stats qs;
    sgq_get_stats(p->events, &qs);
    st->queue_depth = (uint32_t)qs.depth;
    st->queue_capacity = (uint32_t)qs.capacity;
    st->n_tracks = tc.tracks_active;
    alerts_stats as;
    alerts_get_stats(p->al, &as);
    st->n_alerts_active = as.open;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    feed_status(p->fd, st, sensors_json(p), sg_ms_between(&p->started, &now) / 1e3, latency_json(p));
}

/* ---------------------------------------------------------------- fusion loop */

static int copy_tracks(pipeline *p)
{
    const sg_track *tr;
    size_t n;
    tracker_tracks(p->trk, &tr, &n);
    if (n > p->cap_tracks) {
        size_t cap = n * 2 + 16;
        sg_track *nt = realloc(p->tracks, cap * sizeof *nt);
        if (!nt)
            return SG_ENOMEM;
        p->tracks = nt;
        p->cap_tracks = cap;
    }
    if (n)
        memcpy(p->tracks, tr, n * sizeof *tr);
    p->n_tracks = n;
    return SG_OK;
}

/* After the tracker moved: WGS84, RF attach, alerts, publication. */
static int step(pipeline *p, double t)
{
    int rc = copy_tracks(p);
    if (rc)
        return rc;
    fusion_fill_tracks_wgs84(&p->frame, p->tracks, p->n_tracks);
    registry_rf_attach(p->reg, t, p->tracks, p->n_tracks);
    alerts_update(p->al, t, p->tracks, p->n_tracks, on_alert, p);
    for (size_t i = 0; i < p->n_tracks; i++) {
        const sg_track *tr = &p->tracks[i];
        track_slot *s = tslot(p, tr->id);
        bool changed = tr->status != s->status;
        if (changed && track_public(tr, s)) {
            /* confirmed, coasting, deleted: publish at once, not at the next snapshot */
            publish_track(p, tr, false);
            log_track(p, tr, tr->status == SG_TRACK_CONFIRMED && !s->announced ? "  [new]" : "");
            s->announced = true;
            s->last_log = t;
        } else if (track_public(tr, s) && t - s->last_log >= LOG_TRACK_PERIOD_S) {
            log_track(p, tr, "");
            s->last_log = t;
        }
        s->status = tr->status;
    }
    if (snapshot_due(&p->snap, t)) {
        publish_snapshot(p, false);
        publish_rf_picture(p, t);
    }
    p->t_last_step = t;
    return SG_OK;
}

static void handle_measurement(pipeline *p, const event *ev)
{
    sg_measurement m;
    sg_errinfo e = {0};
    char tb[16];
    if (registry_map(p->reg, &ev->m, &m, &e) != SG_OK) {
        p->rejected++;
        logf_(p, "%s REJECT measurement from %s: %s", hms(ev->t, tb, sizeof tb),
              p->sensor_ids[ev->sensor], e.msg);
        return;
    }
    if (!registry_for_tracker(&m)) {
        /* RF presence: recorded in the registry's picture; say it once per report. */
        logf_(p, "%s RF    %-12s %-16s conf %.2f  %.1f MHz, %.1f MHz wide%s%s",
              hms(ev->t, tb, sizeof tb), p->sensor_ids[ev->sensor], m.cls, m.cls_conf,
              ev->fc / 1e6, ev->bw / 1e6, m.identity[0] ? "  id " : "", m.identity);
        step(p, fmax(p->t_now, ev->t));
        return;
    }
    int rc = tracker_process(p->trk, m.t, &m, 1);
    if (rc == SG_EINVAL || rc == SG_ERANGE)
        p->rejected++;
    else if (rc != SG_OK)
        logf_(p, "%s tracker: %s", hms(ev->t, tb, sizeof tb), sg_strerror(rc));
    if (m.t > p->t_now)
        p->t_now = m.t;
    step(p, p->t_now);
    /* everything this measurement changed (track, alerts) is on the feed now */
    note_latency(p, &ev->made, ev->t_end);
}

/* Refused feed clients (unknown CURVE keys) are logged as they happen. */
static void log_refusals(pipeline *p)
{
    feed_auth_refusal r[8];
    size_t n;
    while ((n = feed_refusals(p->fd, r, 8)) > 0) {
        for (size_t i = 0; i < n; i++) {
            char iso[40];
            sg_time_iso8601(r[i].wall_t, iso, sizeof iso);
            logf_(p, "FEED  refused client %s key %s at %s: %s",
                  r[i].address[0] ? r[i].address : "?", r[i].key_z85[0] ? r[i].key_z85 : "-",
                  iso, r[i].reason);
        }
    }
}

static void maybe_status(pipeline *p)
{
    log_refusals(p);
    if (isfinite(p->t_now) && p->t_now >= p->next_status) {
        publish_status(p);
        p->next_status = p->t_now + p->site->status_period_s;
    }
}

static int wait_for_subscriber(pipeline *p)
{
    struct timespec a, now;
    clock_gettime(CLOCK_MONOTONIC, &a);
    logf_(p, "waiting up to %.1f s for a subscriber on %s", p->o.wait_subscriber_s,
          feed_endpoint(p->fd));
    for (;;) {
        int n = feed_poll(p->fd);
        if (n > 0)
            return SG_OK;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (sg_ms_between(&a, &now) >= p->o.wait_subscriber_s * 1e3 || atomic_load(&p->stop))
            return SG_ETIMEOUT;
        usleep(10000);
    }
}

int pipeline_run(pipeline *p, sg_errinfo *e)
{
    int result = SG_OK;
    logf_(p, "skyguardd: venue \"%s\", %zu sensor(s), %zu zone(s), feed on %s", p->site->name,
          p->site->n_sensors, p->zones ? zones_count(p->zones) : 0, feed_endpoint(p->fd));
    if (feed_server_public(p->fd)[0])
        logf_(p, "feed is CURVE-encrypted; server public key %s", feed_server_public(p->fd));
    if (p->o.wait_subscriber_s > 0 && wait_for_subscriber(p) != SG_OK)
        logf_(p, "no subscriber yet; starting anyway");
    size_t running = 0;
    for (size_t k = 0; k < p->n_run; k++) {
        void *(*fn)(void *) = p->run[k].cam ? camera_thread : rf_thread;
#if SG_WITH_PCAP
        if (p->run[k].pcap)
            fn = wifi_thread;
#endif
        if (pthread_create(&p->run[k].th, NULL, fn, &p->run[k]) != 0) {
            sg_err_set(e, SG_ENOMEM, "cannot start the thread of sensor %s",
                       p->sensor_ids[p->run[k].idx]);
            pipeline_stop(p);
            result = SG_ENOMEM;
            break;
        }
        p->run[k].started = true;
        running++;
    }
    double last_progress = -1;
    while (running > 0) {
        event ev;
        int rc = sgq_pop(p->events, &ev, 0.05);
        int fresh = feed_poll(p->fd);
        if (fresh > 0)
            publish_snapshot(p, true);
        if (atomic_load(&p->stop)) {
            /* Stop requested: let the sensor threads return, keep draining. */
            for (size_t k = 0; k < p->n_run; k++)
                runner_stop(&p->run[k]);
        }
        if (rc == SG_ETIMEOUT)
            continue;
        if (rc != SG_OK)
            break;
        sensor_health *h = &p->health[ev.sensor];
        if (isnan(p->t_begin) && isfinite(ev.t))
            p->t_begin = ev.t;
        switch (ev.kind) {
        case EV_MEAS:
            h->last_t = fmax(isnan(h->last_t) ? -INFINITY : h->last_t, ev.t);
            handle_measurement(p, &ev);
            break;
        case EV_TICK:
            h->last_t = ev.t;
            if (ev.t > p->t_now)
                p->t_now = ev.t;
            if (p->t_now - p->t_last_step >= STEP_PERIOD_S) {
                tracker_predict(p->trk, p->t_now);
                step(p, p->t_now);
            }
            break;
        case EV_DONE:
            running--;
            h->done = true;
            if (ev.rc != SG_OK) {
                h->failed = ev.rc != SG_ETRUNC;
                logf_(p, "sensor %s: input ended with an error: %s", p->sensor_ids[ev.sensor],
                      ev.err);
                if (result == SG_OK && h->failed) {
                    sg_err_set(e, ev.rc, "sensor %s: %s", p->sensor_ids[ev.sensor], ev.err);
                    result = ev.rc;
                }
            } else {
                logf_(p, "sensor %s: end of input", p->sensor_ids[ev.sensor]);
            }
            break;
        }
        maybe_status(p);
        if (p->o.progress && p->n_run && p->run[0].ops) {
            sg_adapter_stats as;
            p->run[0].ops->stats(p->run[0].state, &as);
            if (isfinite(as.progress) && as.progress - last_progress >= 0.1) {
                logf_(p, "replay %3.0f%%", as.progress * 100);
                last_progress = as.progress;
            }
        }
    }
    for (size_t k = 0; k < p->n_run; k++)
        if (p->run[k].started)
            pthread_join(p->run[k].th, NULL);
    /* Drain, then one last step so tracks and alerts reflect the end of the input. */
    event ev;
    while (sgq_pop(p->events, &ev, 0) == SG_OK)
        if (ev.kind == EV_MEAS)
            handle_measurement(p, &ev);
    if (isfinite(p->t_now)) {
        tracker_predict(p->trk, p->t_now);
        step(p, p->t_now);
        publish_snapshot(p, false);
        publish_status(p);
    }
    tracker_counts tc;
    tracker_stats(p->trk, &tc);
    alerts_stats as;
    alerts_get_stats(p->al, &as);
    feed_stats fs;
    feed_get_stats(p->fd, &fs);
    uint64_t bursts = 0, decoded = 0;
    for (size_t k = 0; k < p->n_run; k++) {
        bursts += atomic_load(&p->run[k].bursts);
        decoded += atomic_load(&p->run[k].decoded);
    }
    logf_(p, "summary: %llu bursts, %llu DroneID decoded, %llu measurements (%llu rejected), "
          "%llu tracks (%llu confirmed), alerts %llu raised / %llu cleared, %llu messages "
          "published (%llu dropped)",
          (unsigned long long)bursts, (unsigned long long)decoded,
          (unsigned long long)tc.meas_in, (unsigned long long)p->rejected,
          (unsigned long long)tc.tracks_created, (unsigned long long)tc.tracks_confirmed,
          (unsigned long long)as.raised, (unsigned long long)as.cleared,
          (unsigned long long)fs.published, (unsigned long long)fs.dropped);
    /* Linger so subscribers receive the tail (and late joiners a snapshot). */
    struct timespec a, now;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (;;) {
        if (feed_poll(p->fd) > 0)
            publish_snapshot(p, true);
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (sg_ms_between(&a, &now) >= p->o.linger_s * 1e3 || atomic_load(&p->stop))
            break;
        usleep(10000);
    }
    return result;
}
