/* The interface between the two halves of the daemon: the sensor side (adapters,
 * front ends, decoders; sensor_side.h) makes events, the fusion side (registry,
 * tracker, alerts, feed; fusion_side.h) consumes them, in order, through a link.
 *
 * A link is a transport with two ends: push (sensor side, any thread) and pop (fusion
 * side, one thread). The standalone daemon joins both halves in one process with the
 * in-process link (a bounded common/sg_queue); a distributed venue uses a network
 * transport implementing the same table (node_link_ops), so both run one code path.
 *
 * Events carry the sensor's sample-clock time (s UTC) and the monotonic wall time they
 * were made at (for latency). A transport crossing machines maps `made` and
 * `wall_first` between the two monotonic clocks; everything else is carried as is. */
#ifndef SG_NODE_LINK_H
#define SG_NODE_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "sg_error.h"
#include "sg_types.h"
#include "site.h"
#include "tracker.h"

typedef enum {
    NL_MEAS,   /* a measurement (or RF presence report) */
    NL_TICK,   /* the sensor's clock reached t: no later event has an earlier t */
    NL_DONE,   /* end of the sensor's input (never dropped) */
    NL_HEALTH, /* the sensor's counters (periodic on its clock, and a final one before NL_DONE) */
    NL_NOTE,   /* a non-fatal warning for the log, in err (t NaN), e.g. a recording stopped */
    NL_SCAN,   /* a scan report: the sensor looked (scan; t = scan.t1) after the measurements
                  of that look (docs/tracker.md, "Scan reports from the daemon's sensors") */
} nl_kind;

/* Which counter groups of nl_health apply to the sensor (bit set). */
enum {
    NL_H_ADAPTER = 1u << 0,  /* IQ adapter + RF chain: samples .. droneid_failed */
    NL_H_BLE = 1u << 1,      /* BLE Remote ID receiver: ble_* */
    NL_H_WIFI = 1u << 2,     /* Wi-Fi Remote ID capture: wifi_*, kernel_dropped */
    NL_H_CAMERA = 1u << 3,   /* camera: frames .. detections_masked */
    NL_H_RID = 1u << 4,      /* Remote ID table: rid_* */
    NL_H_RECORD = 1u << 5,   /* incident recording on (or failed): record_errors */
    NL_H_DF = 1u << 8,       /* direction finding (sensor_df.h): df_* */
    NL_H_PRIMARY = 1u << 6,  /* the node's first sensor: its progress and clock pairing
                                stand for the node (replay progress, sample-to-feed latency) */
    NL_H_SAPIENT = 1u << 7,  /* SAPIENT input (third-party sensor node): sapient_* */
    NL_H_SCAN = 1u << 9,     /* the adapter hops over a channel plan: scan_* */
};

/* Every per-sensor counter the status message shows; counts since the sensor started. */
typedef struct {
    uint32_t groups;                          /* NL_H_* */
    uint64_t samples, samples_dropped, bad_samples, blocks_dropped; /* adapter */
    uint64_t bursts, droneid_decoded, droneid_failed;
    uint64_t droneid_rejected;                /* receiver calls stopped by its cheap tests */
    uint64_t burst_queue_full;                /* puts that waited for the burst thread
                                                 (apps/node/sensor_chain.h); 0 without one */
    uint64_t ble_packets, ble_crc_fail;       /* all PHYs */
    uint64_t ble_1m, ble_coded_s8, ble_coded_s2; /* packets with a good CRC, per PHY / coding */
    uint64_t ble_crc_fail_1m, ble_crc_fail_coded;
    uint64_t ble_aux_unheard, ble_chain_lost, ble_rid_decoded, ble_rid_bad;
    uint64_t ble_secondary;                   /* secondary channels listened to */
    uint64_t ble_squelch_blocks, ble_squelch_skipped, ble_squelch_cut; /* 1M squelch (ble_scan.h) */
    uint64_t ble_fft_blocks, ble_fft_skipped; /* channeliser blocks / never transformed */
    uint64_t wifi_frames, wifi_rid_frames, wifi_rejected, kernel_dropped;
    uint64_t frames, frames_dropped, frames_bad, detections, bearings, detections_masked;
    uint64_t blobs_dropped, tracklets_dropped, drone_reports; /* camera detector overflow, drone-class reports */
    uint64_t blobs_below_horizon;             /* camera: blobs dropped by the horizon mask */
    uint64_t frames_warped, motion_resets;    /* camera: zoom-compensated frames, zoom fits lost */
    uint64_t rid_messages, rid_positions, rid_evicted;
    uint64_t sapient_connections, sapient_refused, sapient_registrations; /* SAPIENT input */
    uint64_t sapient_messages, sapient_detections, sapient_rejected;
    uint64_t rid_auth_verified, rid_auth_failed, rid_auth_unverified; /* verdicts given */
    /* DF: bursts offered to DoA = doa_failed + not_drone + ambiguous + multi_peak +
     * incoherent + low_snr + crowded + burst_bearings; bearings = measurements made */
    uint64_t df_bursts, df_doa_failed, df_not_drone, df_ambiguous, df_multi_peak, df_incoherent,
        df_low_snr, df_crowded, df_burst_bearings, df_bearings, df_evicted;
    uint64_t events_dropped;                  /* events this sensor could not push */
    uint64_t record_errors;
    uint64_t link_dropped;                    /* events this node's transport could not send
                                                 (node-wide; 0 in-process) */
    /* NL_H_SCAN: the adapter's channel plan (adapters/scan_plan.h); on the wire only then */
    uint64_t scan_retunes, samples_settling;
    uint32_t scan_channels;
    double scan_cycle_s, scan_duty_min;       /* revisit time (s); least channel duty */
    double fe_p50_ms, fe_p99_ms;              /* ms to process one block; NaN before the first,
                                                 +Inf beyond the histogram */
    double progress;                          /* 0..1 of a replayed input, NaN if unknown */
    double t_first;                           /* s UTC: end of the first block, NaN before */
    struct timespec wall_first;               /* monotonic time that block arrived */
} nl_health;

/* The table of nl_health's counters (the uint64_t block from samples to link_dropped), in
 * one place for everything that walks them: the node wire sends them in this order and the
 * status message shows, per sensor, those with a name whose group applies (group 0: always),
 * in this order. A counter added to nl_health is added here. */
typedef struct {
    uint32_t group;            /* NL_H_* it belongs to, 0 = every sensor */
    const char *name;          /* its key in the status message, NULL = not shown per sensor */
    size_t off;                /* offsetof(nl_health, it) */
} nl_counter;

extern const nl_counter nl_counters[];
extern const size_t nl_n_counters;

static inline uint64_t nl_counter_get(const nl_health *h, size_t i)
{
    return *(const uint64_t *)(const void *)((const char *)h + nl_counters[i].off);
}

static inline void nl_counter_set(nl_health *h, size_t i, uint64_t v)
{
    *(uint64_t *)(void *)((char *)h + nl_counters[i].off) = v;
}

typedef struct {
    nl_kind kind;
    int sensor;                /* index in the venue's sensors */
    double t;                  /* s UTC, sample clock */
    sg_measurement m;          /* NL_MEAS */
    bool batch_more;           /* NL_MEAS: the sensor's next event is another measurement of
                                  the same batch (one camera frame, one DF window), so the
                                  fusion side hands the batch to the tracker as one scan */
    double fc, bw;             /* Hz: RF presence details for the rf.* message */
    double first_t;            /* s UTC: emitter first heard */
    double t_end;              /* s UTC: end of the data behind the event (burst end) */
    struct timespec made;      /* monotonic wall clock when the event was made */
    bool sysclock;             /* t (and m.t, first_t, t_end) read off this node's system
                                  clock (a live sensor): a fusion node corrects it by the
                                  node's measured clock offset; false for replays */
    int rc;                    /* NL_DONE: the sensor's exit code (sg_error.h) */
    char err[256];             /* NL_DONE: why it failed; NL_NOTE: the warning */
    nl_health h;               /* NL_HEALTH */
    tracker_scan scan;         /* NL_SCAN: coverage in world az/el; sensor and sensor_enu
                                  are filled by the fusion side (its registry) */
} nl_event;

typedef struct {
    uint64_t pushed;           /* events accepted */
    uint64_t dropped;          /* non-blocking pushes refused (full / peer slow or absent) */
    size_t depth, capacity;    /* events waiting now / room for, at this end */
    uint64_t refused;          /* network: peers refused (unknown CURVE key) */
    uint64_t malformed;        /* network: messages that failed to decode, or named a
                                  sensor their node does not run */
    uint64_t bytes;            /* network: payload bytes sent (sensor end) / received (fusion) */
    uint64_t late;             /* network (fusion): measurements that arrived after the
                                  reorder buffer had handed on a later event */
    uint64_t reordered;        /* network (fusion): events handed on after a later arrival */
} nl_stats;

/* What the fusion end of a network link knows about the node running a sensor. */
typedef struct {
    const char *node;          /* node name */
    bool heard;                /* a message arrived since the fusion end started */
    double silent_s;           /* s of wall clock since its last message, +Inf never heard */
    double clock_offset_s;     /* node system clock - fusion system clock, NaN until measured */
    double link_delay_ms;      /* one-way link delay (half the round trip minus turnaround) */
    bool clock_flagged;        /* |clock_offset_s| > the venue's clock_bound_s */
    bool clock_trusted;        /* the offset is applied to its system-clock times: measured,
                                  with an error bound (link delay) within clock_bound_s */
    uint64_t time_corrected;   /* system-clock events whose times were shifted by the offset */
    uint64_t time_uncorrected; /* system-clock events passed as they were (estimate not
                                  trusted yet) */
    uint64_t lost;             /* messages missing from the node's sequence */
    uint64_t rejoins;          /* times the node came back with a new session */
} nl_peer;

/* A transport's verbs. Thread-safety: push from any thread, pop from one thread.
 *   push(ev, wait=false) never blocks: SG_EOVERFLOW when full (the drop is counted);
 *   push(ev, wait=true)  blocks while full (lossless replay) until room or halt;
 *                        SG_ESTATE once halted;
 *   pop(ev, timeout_s)   blocks up to timeout_s (< 0 forever, 0 poll): SG_OK,
 *                        SG_ETIMEOUT, or SG_EEOF once halted and drained.
 * An end a transport does not have returns SG_ENOTSUP. */
typedef struct {
    int (*push)(void *impl, const nl_event *ev, bool wait);
    int (*pop)(void *impl, nl_event *ev, double timeout_s);
    void (*halt)(void *impl);
    void (*stats)(void *impl, nl_stats *out);
    void (*destroy)(void *impl);
    /* Optional (NULL: in-process). Fusion end: the node behind `sensor` (SG_ENOTSUP if
     * local) and one readable line about the link per call (joins, refusals, clock
     * flags; returns 0 when none). Sensor end: the clock floor of the other nodes
     * (s UTC sample clock; a replayed node waits for it, -Inf until known, +Inf none)
     * and the node's own slowest replay clock (reported to the fusion end). */
    int (*peer)(void *impl, int sensor, nl_peer *out);
    size_t (*note)(void *impl, char *line, size_t cap);
    double (*floor)(void *impl);
    void (*report_clock)(void *impl, double t);
} node_link_ops;

typedef struct {
    const node_link_ops *ops;
    void *impl;
} node_link;

/* The in-process link: a bounded queue of `capacity` (> 0) events. NULL + e on failure. */
node_link *node_link_inproc_create(size_t capacity, sg_errinfo *e);
void node_link_destroy(node_link *l);

static inline int node_link_push(node_link *l, const nl_event *ev, bool wait)
{
    return l->ops->push(l->impl, ev, wait);
}
static inline int node_link_pop(node_link *l, nl_event *ev, double timeout_s)
{
    return l->ops->pop(l->impl, ev, timeout_s);
}
static inline void node_link_halt(node_link *l) { l->ops->halt(l->impl); }
static inline void node_link_stats(node_link *l, nl_stats *out) { l->ops->stats(l->impl, out); }
static inline int node_link_peer(node_link *l, int sensor, nl_peer *out)
{
    return l->ops->peer ? l->ops->peer(l->impl, sensor, out) : SG_ENOTSUP;
}
static inline size_t node_link_note(node_link *l, char *line, size_t cap)
{
    return l->ops->note ? l->ops->note(l->impl, line, cap) : 0;
}
/* True when this link carries a clock floor (a sensor node of a distributed venue). */
static inline bool node_link_has_floor(const node_link *l) { return l->ops->floor != NULL; }
static inline double node_link_floor(node_link *l) { return l->ops->floor(l->impl); }
static inline void node_link_report_clock(node_link *l, double t)
{
    if (l->ops->report_clock)
        l->ops->report_clock(l->impl, t);
}

/* Latency histogram: fixed bins of 0.1 ms (0..204.8 ms), no allocation on the hot path.
 * Not thread-safe: one writer, read by the same thread. */
#define NL_LAT_BINS 2048
typedef struct {
    uint32_t bins[NL_LAT_BINS];
    uint64_t n, over;          /* samples, samples beyond the last bin */
} nl_lat;

void nl_lat_add(nl_lat *h, double ms);
/* ms at quantile q (0..1): NaN when empty, +Inf beyond the histogram. */
double nl_lat_quantile(const nl_lat *h, double q);

/* The sensor a --replay recording stands in for: the venue's first rf sensor
 * (enabled or not), or -1. Both halves agree on it from the venue alone. */
int node_replay_sensor(const sg_site *site);

#endif
