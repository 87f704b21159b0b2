/* Front-end bursts -> DJI DroneID messages: the one place that decides which of the
 * RF front end's bursts go to the DroneID receiver and how (used by the daemon's RF
 * sensors, the benchmark and the tests, so all of them decode what the daemon does).
 *
 * Where it sits: frontend (sg_burst + its IQ with margins) -> droneid_burst_decode()
 * -> droneid_rx_decode() on each DroneID-length piece of the region.
 *
 * Why more than one call of the receiver: the front end's time-frequency region is
 * not one DroneID burst in every case. At low sample rates (1024 bins at <= 20 Msps
 * is a 51-67 us frame) a DroneID burst and a neighbour close in time merge into one
 * region of up to a few ms; so a region longer than one burst is decoded piece by
 * piece: the receiver's CP search finds the best burst in the span, and what remains
 * on either side of a decoded burst is searched again (at most DRONEID_BURST_MAX
 * messages per region). The region's centre frequency is only a hint: the receiver
 * re-estimates the carrier offset from the burst's own spectrum (droneid.h). */
#ifndef SG_DRONEID_BURST_H
#define SG_DRONEID_BURST_H

#include <complex.h>
#include <stdbool.h>
#include <stddef.h>

#include "droneid.h"
#include "sg_types.h"

#define DRONEID_BURST_MAX 4        /* messages decoded from one front-end region */
#define DRONEID_REGION_MAX_S 4e-3  /* s: longer regions are not DroneID (video, noise) */

/* Quick shape test for a front-end region worth decoding: at least 0.5 ms (a DroneID
 * burst is 565-665 us on air; the front end times edges to about one frame), at most
 * DRONEID_REGION_MAX_S, and an occupied bandwidth of 6.5 MHz or more (9 MHz on air; the
 * front end measures a burst near 0 dB in-band SNR down to ~6.8 MHz; a
 * merged region may be wider). No upper bandwidth limit for merged regions, 10.5 MHz
 * for a region of one burst's length. The receiver's sync and CRC decide. */
bool droneid_burst_candidate(const sg_burst *b);

/* Counters of one caller (not thread-safe; one per sensor thread). */
typedef struct {
    uint64_t regions;       /* candidate regions tried */
    uint64_t attempts;      /* receiver calls */
    uint64_t rejected;      /* receiver calls stopped by its cheap tests (CP metric, band
                               occupancy) before the ZC search (droneid_diag.rejected) */
    uint64_t pre_rejected;  /* of those, stopped by its pre-test before resampling
                               (droneid_diag.pre_verdict != 0) */
    uint64_t decoded;       /* messages with a valid CRC-24A */
    uint64_t failed;        /* regions that gave no message */
    uint64_t split;         /* regions that gave more than one message */
} droneid_burst_stats;

/* Decodes every DroneID burst in a front-end region. b: the region; iq[0..n): its IQ
 * at the capture rate (the front end's copy with margins); center_freq: Hz, RF
 * frequency of DC of that IQ. Writes up to cap (<= DRONEID_BURST_MAX) messages in
 * time order, *nmsg their count, and t_msg[i] (s UTC) the start of each burst on air
 * (may be NULL). st (may be NULL) is updated. Returns SG_OK when at least one message
 * was decoded, SG_ENOTFOUND when none (including non-candidates), SG_EINVAL on bad
 * arguments. Never reads outside iq[0..n). */
int droneid_burst_decode(droneid_rx *q, const sg_burst *b, const float complex *iq, size_t n,
                         double center_freq, droneid_msg *msgs, double *t_msg, size_t cap,
                         size_t *nmsg, droneid_burst_stats *st);

/* Recordings without the daemon (tests, bench, tools): runs the RF front end with its
 * default configuration over x[0..n) (complex baseband at fs, DC = 0 Hz) and returns
 * its regions of 7.5 MHz or more (the DroneID-like ones, whatever their length: the
 * same regions the daemon sees, so it is exactly as sensitive), each with 20 us of IQ
 * margin on both sides, in time order. Regions touching either end of x, or cut by the
 * front end, are flagged truncated. Returns SG_OK with *nspans (at most cap; further
 * regions are not returned), SG_EINVAL, SG_ENOMEM. */
typedef struct {
    size_t start, len;      /* samples in x, margins included */
    double freq_offset_hz;  /* centre of the region's band relative to DC */
    double bandwidth_hz;    /* occupied, as the front end measures it */
    double duration_s;      /* the region without margins */
    double snr_db;          /* mean SNR over the floor */
    bool truncated;
} droneid_span;

int droneid_scan(const float complex *x, size_t n, double fs, droneid_span *spans,
                 size_t cap, size_t *nspans);

#endif
