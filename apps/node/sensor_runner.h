/* Private to the sensor side (sensor_side.c: threads and the RF chain;
 * sensor_build.c: building the sensors from the venue): one runner per sensor. */
#ifndef SG_SENSOR_RUNNER_H
#define SG_SENSOR_RUNNER_H

#include <pthread.h>
#include <stdatomic.h>

#include "camera.h"
#include "ble_scan.h"
#include "droneid.h"
#include "droneid_burst.h"
#include "emitter.h"
#include "frontend.h"
#include "geo.h"
#include "odid.h"
#include "odid_auth.h"
#if SG_WITH_PCAP
#include "rid_wifi_pcap.h"
#else
typedef struct rid_pcap rid_pcap;
#endif
#include "sapient_in.h"
#include "sensor_chain.h"
#include "sensor_df.h"
#include "sensor_side.h"
#include "sg_adapter.h"
#include "siglib.h"
#include "sigmf.h"

#define EMITTER_SLOTS 256      /* per-emitter report memory (by id modulo) */

typedef struct {
    uint32_t id;
    char cls[SG_CLASS_LEN];
    double last_report;
} emitter_slot;

/* One sensor's input thread: an IQ adapter with the RF chain (front end, emitters,
 * DroneID, BLE Remote ID), a Wi-Fi Remote ID capture, or a camera. */
typedef struct {
    sensor_side *p;
    int idx;                   /* sensor index in the site */
    bool live;                 /* a device: never blocks, drops counted */
    bool primary;              /* the node's first sensor (NL_H_PRIMARY) */
    rid_pcap *pcap;            /* Wi-Fi Remote ID input, or NULL */
    camera *cam;               /* camera input, or NULL */
    double scan_range_m;       /* camera: "scan_range_m", range of its scan reports (0: none) */
    camgeom_cfg scan_geom;     /* camera: intrinsics and mounting, for the scan sector */
    int scan_w, scan_h;        /* frame size scan_sector was made for (0: not yet) */
    tracker_scan scan_sector;  /* camera: its view as a world az/el sector (cover NONE until
                                  made: scan_ok false) */
    bool scan_ok;
    double df_scan_t;          /* DF: end of its last scan report (NAN before the first) */
    sapient_in *sap;           /* SAPIENT listener (third-party sensor), or NULL */
    ble_scan *ble;             /* BLE Remote ID receivers on this RF input, or NULL */
    odid_table *odid;          /* Remote ID aircraft heard by this sensor */
    odid_trust *trust;         /* its DRIP keys (the venue's remote_id_trust), or NULL */
    atomic_uint_least64_t rid_frames, rid_positions;
    const sg_iq_adapter *ops;  /* IQ adapter, NULL for Wi-Fi Remote ID */
    void *state;
    cJSON *opts;               /* adapter options with paths resolved (owned) */
    frontend *fe;
    sensor_df *df;             /* direction finding (a sensor with an "array"), or NULL */
    char sink_err[256];        /* why the sink stopped the input, "" if it did not */
    emitters *em;
    droneid_rx *did;           /* owned by whichever thread runs the burst chain */
    double did_fs;             /* Hz the DroneID receiver was made for */
    double center_freq;        /* Hz of the block being processed */
    double block_fs;           /* Hz of the block being processed */
    sensor_chain *chain;       /* burst thread (sensor_chain.h), NULL = the chain runs on the
                                  sensor thread */
    size_t chain_slots;        /* its queue, items (0: no burst thread) */
    double chain_iq_s;         /* its IQ ring, s of samples */
    bool chain_closed;         /* the burst thread has stopped (sensor thread only) */
    pthread_mutex_t rec_mu;    /* rec between the sensor thread (samples) and the burst
                                  thread (annotations) */
    bool rec_mu_ok;
    double hold_s;             /* s the front end may hold a burst back (max burst + margin) */
    double next_tick, next_health;
    double t_first;            /* s UTC of the end of the first block (arrived at wall_first) */
    struct timespec wall_first;
    emitter_slot slots[EMITTER_SLOTS];
    sigmf_writer *rec;         /* incident recording of the input, NULL = off */
    int64_t rec_offset;        /* recording sample index - stream sample index */
    double rec_t0, rec_fc;     /* of the current capture segment */
    atomic_uint_least64_t rec_errors; /* writes that failed (recording then stops) */
    bool rec_off;              /* recording failed for good on this sensor */
    nl_lat fe_lat;             /* ms to process one block (sensor thread only) */
    double clk;                /* s UTC reached (guarded by sensor_side.clk_mu), -INF before */
    bool clk_done;             /* input ended (guarded by clk_mu) */
    pthread_t th;
    bool started;
    atomic_uint_least64_t bursts, decoded, decode_fail, events_dropped;
    atomic_uint_least64_t decode_rejected; /* DroneID receiver calls its cheap tests stopped */
    /* watchdog: written by the sensor thread, read by the polling thread */
    atomic_llong busy_ns;      /* CLOCK_MONOTONIC ns the current block began, 0 = idle */
    atomic_int stage;          /* RF_STAGE_* inside it */
    atomic_bool ended;         /* the thread sent its NL_DONE */
    bool stall_noted;          /* polling thread only */
    bool abandoned;            /* did not stop: never joined, never freed */
} runner;

struct sensor_side {
    const sg_site *site;
    sensor_side_opts o;
    const char *record_dir;    /* incident recording, NULL = off */
    node_link *link;
    const atomic_bool *stop;
    geo_frame frame;
    siglib *sigs;
    runner *run;               /* one per sensor slot (unused slots have p == NULL) */
    size_t n_run;              /* runners built, in run[0..n_run-1] */
    bool stopping;             /* a stop was seen by sensor_side_poll, at stop_at */
    struct timespec stop_at;
    pthread_mutex_t clk_mu;    /* replay clock alignment across sensors */
    pthread_cond_t clk_cv;
    atomic_size_t finished;    /* threads that sent their NL_DONE */
};

/* sensor_build.c: each fills runner s for venue sensor si (errors name the key). */
/* Every counter the status shows for sensor s, read on its own thread (sensor_health.c). */
void sensor_health_fill(runner *s, nl_health *h);
/* The counters of h that the burst chain owns (bursts, DroneID, events_dropped), read
 * on the thread that runs the chain, so a health record made on the sensor thread and
 * sent on by the burst thread counts what one thread would have counted at that point. */
void sensor_health_chain(runner *s, nl_health *h);

/* sensor_record.c: the incident recording. A block's samples (sensor thread; note gets
 * why the recording stopped, "" if it did not: the caller logs it) and a burst's
 * annotation (the thread running the burst chain), each under rec_mu. */
void sensor_record_block(runner *s, const sg_iq_block *blk, char *note, size_t cap);
void sensor_record_burst(runner *s, const chain_burst *cb, const emitter *em);

int sensor_build_rf(sensor_side *p, size_t si, bool replace, runner *s, sg_errinfo *e);
int sensor_build_wifi(sensor_side *p, size_t si, runner *s, sg_errinfo *e);
/* The camera's scan sector for width x height frames into s->scan_sector (s->scan_ok): an
 * az/el box inside the image (every direction of it has a pixel), out to scan_range_m. */
void sensor_camera_sector(runner *s, int width, int height);
/* DF scan reports (the sensor's scan_range_m > 0): c (s UTC) is the time up to which every
 * bearing of the sensor is out (all windows opened by then have closed). Every
 * SENSOR_DF_WINDOW_S of c, true with *out the scan (previous c, c]: all round, above the
 * array's plane, out to scan_range_m, for the tracks the sensor has detected before only
 * (it cannot hear a drone that does not transmit; docs/tracker.md). */
bool sensor_df_scan(runner *s, double c, tracker_scan *out);
int sensor_build_camera(sensor_side *p, size_t si, runner *s, sg_errinfo *e);
int sensor_build_sapient(sensor_side *p, size_t si, runner *s, sg_errinfo *e);

#endif
