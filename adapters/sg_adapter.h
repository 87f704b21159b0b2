/* The one interface every IQ input implements: file replay (SigMF, raw) and live
 * SDRs (SoapySDR) alike, so the daemon and tests drive them the same way.
 *
 * Lifecycle: open -> run (blocks, calling sink per block, until end of input,
 * stop(), or a fatal error) -> close. stats() may be called from any thread at any
 * time. Each adapter owns its options (a JSON object: from the site config's
 * sensor "adapter" section, or built by an app from its command line) and its help. */
#ifndef SG_ADAPTER_H
#define SG_ADAPTER_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "sg_error.h"
#include "sg_types.h"

/* Receives one block. Called on the adapter's run() thread. Returns 0 to go on,
 * non-zero to make run() return early with that code. For live adapters the sink
 * must not block (it queues or drops and counts); for replay it may block
 * (lossless back-pressure). The block's memory is valid only during the call. */
typedef int (*sg_iq_sink)(void *user, const sg_iq_block *blk);

#define SG_ADAPTER_MAX_CH 16 /* channels with their own counters in sg_adapter_stats */

/* Counts are samples of the input's one sample clock: a multi-channel input delivers
 * and drops all its channels together (one stream), so each channel's delivered and
 * dropped counts equal these. */
typedef struct {
    uint64_t samples;          /* delivered to the sink */
    uint64_t samples_dropped;  /* lost (device overflow, pool exhausted) */
    uint64_t blocks;           /* delivered */
    uint64_t blocks_dropped;
    uint64_t overflows;        /* device overflow events (each a counted gap) */
    uint64_t timeouts;         /* read timeouts (retried) */
    uint64_t bad_samples;      /* NaN/Inf samples replaced by 0 and counted */
    double progress;           /* 0..1 for files, NAN for live */
    unsigned channels;         /* channels per delivered sample (0 or 1 = one) */
    uint64_t clock_errors;     /* device time stamps going backwards (each a discontinuity) */
    /* Per channel (live multi-channel input, iq_rx.h; channels < SG_ADAPTER_MAX_CH):
     * what can differ between channels of one stream. Included in bad_samples. */
    uint64_t ch_bad_samples[SG_ADAPTER_MAX_CH]; /* NaN/Inf samples replaced by 0 */
    uint64_t ch_clipped[SG_ADAPTER_MAX_CH];     /* samples at full scale (ADC saturation) */
    uint64_t retunes;          /* centre changes of a channel plan (scan_plan.h) */
    uint64_t samples_settling; /* not received while a retune settled (not drops) */
    unsigned scan_channels;    /* channels in the plan, 0 = none */
    double scan_cycle_s;       /* the plan's revisit time (cycle), 0 = none */
    double scan_duty_min;      /* the least share of time a planned channel is received */
} sg_adapter_stats;

typedef struct {
    const char *name;  /* as used in config "adapter": {"type": name} */
    const char *help;  /* multi-line description of the options */
    bool live;         /* a device: sink must never block */
    /* Creates the adapter from options; `where` names them in errors. */
    int (*open)(void **state, const cJSON *opts, const char *where, sg_errinfo *e);
    /* Streams until EOF (returns SG_OK), stop() (SG_OK) or a fatal error. */
    int (*run)(void *state, sg_iq_sink sink, void *user, sg_errinfo *e);
    /* Asks run() to return soon. Thread-safe; callable from a signal handler. */
    void (*stop)(void *state);
    void (*close)(void *state);
    void (*stats)(void *state, sg_adapter_stats *out);
} sg_iq_adapter;

/* Looks up an adapter compiled into this build by name; NULL if unknown.
 * A driver left out of the build is reported by sg_iq_adapter_missing(). */
const sg_iq_adapter *sg_iq_adapter_find(const char *name);
/* If `name` is a known adapter that this build left out, a sentence saying how
 * to get it; NULL otherwise. */
const char *sg_iq_adapter_missing(const char *name);

#endif
