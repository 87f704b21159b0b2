/* Cheap pre-test of the DroneID receiver (used by droneid_rx_decode, droneid.h): decides
 * from the burst at the capture rate, before the receiver resamples it to 15.36 Msps,
 * whether it can be a DroneID burst at all. Most of a failed receiver call used to be
 * that resampling (2.6-4.1 ms of CPU per call at 50 Msps); this test costs a few passes
 * over the burst at about 15.36 Msps.
 *
 * What it computes (fs is the capture rate, R = floor(fs / 15.36 MHz) >= 1):
 *  1. y[b] = sum_{j<R} x[bR + j] exp(-j 2 pi f0 j / fs): a complex boxcar of R taps
 *     centred on the hint f0, decimated by R (fo = fs / R, 15.36-20 MHz; noise bandwidth
 *     fo; the burst's +-4.5 MHz band is kept with <= 1.3 dB loss at its edges). The block
 *     phase exp(-j 2 pi f0 b R / fs) is left out: it turns every lag product below by the
 *     same angle and moves the band to f0 (mod fo) in y's spectrum, which both tests allow.
 *  2. CP metric at lag D = round(1024 fo / 15.36 MHz) (the OFDM symbol length at fo):
 *     the products y[b] conj(y[b + D]) and energies summed over the last 72 (15.36-Msps)
 *     samples of each cyclic prefix of the 9- and 8-symbol layouts, for every start on a
 *     grid of ~4 samples (at 15.36 Msps): M(s), E(s). The CP contrast is
 *     2 (|M(s)| - |M(s + half a symbol)|) / E(s) at the start where it is largest (the
 *     plain 2 |M| / E when the piece is too short for the shifted windows): an OFDM burst
 *     correlates only in its prefixes, a tone, a slow FM carrier or a chirp about as much
 *     inside the symbols. 0..1, as droneid_diag.cp_metric but over fo instead of the
 *     receiver's 12.4 MHz: a little lower on the same burst.
 *  3. For a layout whose contrast reaches the CP threshold: the band occupancy at that
 *     timing, like the receiver's (droneid_diag.occupancy): 1024-point power spectra of the
 *     layout's symbols summed, the share of the energy of the 13 MHz window around f0 (the
 *     receiver's pass band) in its strongest 1/8 of bins: ~0.2-0.3 for a DroneID burst,
 *     0.65-1 for a strong narrow signal anywhere in that window.
 * A burst passes when one layout has CP metric >= cp_min and occupancy <= occ_max; its
 * timing then lets the receiver resample only that burst's part of a longer region. */
#ifndef SG_DRONEID_PRE_H
#define SG_DRONEID_PRE_H

#include <complex.h>
#include <stddef.h>

#include "sg_error.h"

enum {
    DRONEID_PRE_PASS = 0,  /* may be DroneID: the full receiver runs */
    DRONEID_PRE_CP,        /* no layout reaches the CP threshold */
    DRONEID_PRE_OCC,       /* CP reached, but the band is not evenly occupied */
};

typedef struct {
    int verdict;           /* DRONEID_PRE_* */
    double cp_metric;      /* 0..1: best layout's normalised CP metric */
    double occupancy;      /* 0.125..1 at the best passing layout; -1 if none passed CP */
    int nsym;              /* passed: the layout that passed (9 or 8); 0 if not tested */
    double start;          /* passed: its burst start, input samples from iq[0] (within
                              ~2 samples at 15.36 Msps; may be slightly negative) */
} droneid_pre_result;

typedef struct droneid_pre droneid_pre;

/* fs: capture rate, Hz, 15.36e6 .. 200e6. NULL (e filled) on a bad rate or no memory. */
droneid_pre *droneid_pre_create(double fs, sg_errinfo *e);
void droneid_pre_destroy(droneid_pre *p);
/* Tests iq[0..n) (the receiver's input: complex baseband at fs), hint f0 = freq_offset_hz
 * (|f0| <= fs / 2). cp_min in [0, 1], occ_max in [0.125, 1]; cp_min 0 and occ_max 1
 * never reject (the metrics are still measured). A burst shorter than the 8-symbol
 * layout (with the receiver's 6.25 us edge slack) passes: the receiver refuses it with
 * SG_ETRUNC. SG_OK and *r filled; SG_EINVAL on bad arguments; SG_ENOMEM. */
int droneid_pre_run(droneid_pre *p, const float complex *iq, size_t n, double freq_offset_hz,
                    double cp_min, double occ_max, droneid_pre_result *r);

#endif
