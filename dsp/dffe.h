/* DF front end: the RF front end of a sensor with an antenna array. It takes the
 * coherent multi-channel blocks of one array (sg_iq_block.channels = elements),
 * runs the ordinary front end (frontend.h) on channel 0 to find bursts, keeps a short
 * multi-channel history, and for every burst estimates the direction of arrival
 * (doa.h) from all channels over the burst's time-frequency region:
 *
 *   multi-channel block -> channel 0 -> frontend -> burst (time, band)
 *                       -> history ring ---------> doa over that region -> callback
 *
 * DoA uses the last doa_max_s (at most doa_max_windows windows) of each burst (guarded by one front-end frame from its
 * end, whose position is the least certain), so the history stays short at any burst
 * length: ring = doa_max_s + margin + 4 frames + one chunk of input. Blocks are fed in
 * chunks of at most 65536 samples.
 *
 * Bad input: a block whose channel count differs from the array's is refused
 * (SG_EINVAL, counted) and nothing of it is used; a NaN sample in a burst's region
 * gives that burst no bearing (doa_rc = SG_EFORMAT, counted). Bursts whose DoA
 * region left the history, or too short for doa.min_windows, get no bearing either
 * (counted). Every burst reaches the callback, with or without a bearing.
 *
 * Memory: allocated at the first block (sized from its rate), re-allocated once on a
 * change of rate. Not thread-safe: one object per stream. */
#ifndef SG_DFFE_H
#define SG_DFFE_H

#include <stdint.h>

#include "doa.h"
#include "frontend.h"
#include "sg_error.h"
#include "sg_types.h"

typedef struct {
    frontend_cfg fe;        /* front end on channel 0 (its burst IQ goes to the callback) */
    doa_cfg doa;
    doa_array array;        /* the array, with its calibration */
    double doa_max_s;       /* s of each burst used for DoA, 1e-5..0.05; default 2e-3 */
    unsigned doa_max_windows; /* and at most this many snapshot windows, 8..65536; default
                                 256 (beyond, the noise bound is far below the systematic
                                 errors of a real array, and the cost grows linearly) */
} dffe_cfg;

typedef struct {
    uint64_t blocks, samples;    /* processed (samples per channel) */
    uint64_t blocks_refused;     /* channel count not matching the array */
    uint64_t bursts;             /* from the front end */
    uint64_t bearings;           /* bursts with a bearing (doa_rc = 0) */
    uint64_t ambiguous;          /* ... of which flagged DOA_AMB_AZIMUTH */
    uint64_t no_bearing_short;   /* too short for doa.min_windows (SG_ERANGE) */
    uint64_t no_bearing_lost;    /* region no longer in the history (SG_EOVERFLOW) */
    uint64_t no_bearing_bad;     /* NaN/Inf samples in the region (SG_EFORMAT) */
    uint64_t no_bearing_other;   /* any other DoA failure */
} dffe_stats;

typedef struct dffe_s dffe;

/* One burst, with channel 0's IQ as frontend.h delivers it (iq NULL and n_iq 0 when
 * fe.deliver_iq is off). r is the DoA result when doa_rc == 0 (else r->az is NAN and
 * doa_rc says why). Called on the caller's thread inside execute/flush. */
typedef void (*dffe_cb)(void *user, const sg_burst *b, const float complex *iq, size_t n_iq,
                        const doa_result *r, int doa_rc);

/* Sees every burst's DoA region (all channels, the burst's band) before the DoA runs,
 * e.g. to calibrate on bursts of a reference source (sg_dfcal). in is valid only
 * during the call. */
typedef void (*dffe_region_fn)(void *user, const sg_burst *b, const doa_input *in);
void dffe_set_region_hook(dffe *q, dffe_region_fn fn, void *user);

/* frontend and doa defaults, doa_max_s 2 ms, 256 windows; the array is left as given. */
void dffe_cfg_default(dffe_cfg *cfg);
dffe *dffe_create(const dffe_cfg *cfg, sg_errinfo *e);
void dffe_destroy(dffe *q);
/* Processes one multi-channel block (blk->channels must equal the array's elements).
 * Returns 0, SG_EINVAL for a refused block (counted), SG_ENOMEM. */
int dffe_execute(dffe *q, const sg_iq_block *blk, dffe_cb cb, void *user, sg_errinfo *e);
/* End of stream: closes open bursts (their DoA still runs). */
int dffe_flush(dffe *q, dffe_cb cb, void *user, sg_errinfo *e);
void dffe_stats_get(const dffe *q, dffe_stats *out);
void dffe_frontend_stats(const dffe *q, frontend_stats_t *out);
/* The DoA object (e.g. to replace the calibration after a check). */
doa *dffe_doa(dffe *q);

#endif
