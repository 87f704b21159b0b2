/* Live RX stream of one device, one or several coherent channels, behind a small
 * device function table (iq_rx_ops). The SoapySDR adapter (soapy_soapy.c) fills the
 * table with thin SoapySDR calls; tests fill it with a fake device. Everything else
 * lives here, device-neutral:
 *
 * - configuration: the device must have every requested RX channel (distinct
 *   indices); each channel gets the same rate, frequency, gain, bandwidth and
 *   antenna, and a multi-channel set must read back one sample rate and one centre
 *   frequency (within IQ_RX_RATE_TOL / IQ_RX_FREQ_TOL_HZ), else the channels are not
 *   on one clock and LO and the open fails naming the channel;
 * - one stream with all channels (ops->setup with the channel list): the device
 *   delivers every channel of a sample together, so the channels cannot slip;
 * - a device thread reads per-channel (planar) buffers, accumulates short reads up to
 *   a block and interleaves the channels into blocks of the pool (iq_pool.h):
 *   x[t * channels + c], sg_iq_block.channels = channels. It never waits for the
 *   consumer (a full pool is a counted drop of all channels);
 * - one sample clock: the sample counter of the stream; when the device time-stamps
 *   its reads (hardware time) a jump forward is a gap of that many samples (counted
 *   as dropped, the index skips them, the next block is flagged discontinuous), a
 *   jump back is counted (clock_errors) and flags a discontinuity. An overflow
 *   without time stamps is a gap of unknown length: counted (overflows), flagged, but
 *   the index cannot skip it;
 * - read timeouts are counted and retried; any other read error stops run() with the
 *   device's message;
 * - a channel plan (cfg.scan, scan_plan.h) on the same sample clock: sample k belongs
 *   to the plan state holding its mid time (k + 0.5) / rate. On entering a channel the
 *   accumulated samples go out, ops->retune moves every RX channel to the channel's
 *   centre (the stream starts with one), the samples read while settle_s runs are
 *   discarded (counted as samples_settling, not drops; iq_pool_skip) and the next block
 *   is flagged discontinuous and carries the new centre (iq_pool_block.center_freq),
 *   as the "sim" adapter does. Samples still buffered in the driver at a retune were
 *   received on the old centre: settle_s must cover that latency too. A refused retune
 *   stops run() with an error naming the plan channel and frequency.
 *
 * Per-channel accounting: delivered and dropped samples are the stream's (a stream
 * delivers and loses all channels together); what can differ per channel is counted
 * per channel: NaN/Inf samples (replaced by 0) and clipped samples (|I| or |Q| at
 * full scale, IQ_RX_CLIP), in sg_adapter_stats.ch_*. */
#ifndef SG_IQ_RX_H
#define SG_IQ_RX_H

#include <stdbool.h>
#include <stddef.h>

#include "scan_plan.h"
#include "sg_adapter.h"
#include "sg_error.h"

#define IQ_RX_RATE_TOL 1e-6     /* relative sample-rate difference allowed between channels */
#define IQ_RX_FREQ_TOL_HZ 1.0   /* centre-frequency difference allowed between channels */
#define IQ_RX_CLIP 0.999f       /* |I| or |Q| at or above this (full scale 1) is clipped */

/* Device read results (ops->read) besides a sample count >= 0. */
enum {
    IQ_RX_TIMEOUT = -1,  /* nothing within the timeout: retried */
    IQ_RX_OVERFLOW = -2, /* the device/driver lost samples before this read */
    IQ_RX_FAILED = -3,   /* fatal: ops->error() says why */
};

typedef enum { IQ_RX_RATE, IQ_RX_FREQ, IQ_RX_GAIN, IQ_RX_BW, IQ_RX_ANTENNA } iq_rx_param;

/* The device. Every call returns 0 / a count on success; on failure ops->error(dev)
 * gives the device's message. Called on the opening thread except read (device
 * thread). */
typedef struct {
    size_t (*num_channels)(void *dev);  /* RX channels the device has */
    /* Sets a parameter of RX channel ch (v for numbers, s for the antenna). */
    int (*set)(void *dev, iq_rx_param p, size_t ch, double v, const char *s);
    /* Reads back IQ_RX_RATE / IQ_RX_FREQ of channel ch (Hz), NAN if unknown. */
    double (*get)(void *dev, iq_rx_param p, size_t ch);
    int (*setup)(void *dev, const size_t *chans, size_t n); /* one stream, these channels */
    int (*activate)(void *dev);
    void (*deactivate)(void *dev);
    /* Reads up to n samples of every channel into buffs[0..channels-1] (planar);
     * returns the count (same for all channels) or IQ_RX_*. *has_time and *time_ns:
     * device time of the first sample, if it time-stamps reads. */
    int (*read)(void *dev, void *const *buffs, size_t n, bool *has_time, long long *time_ns,
                long timeout_us);
    const char *(*error)(void *dev);
    void (*close)(void *dev);           /* stream and device */
    /* Moves every RX channel of the stream to centre hz (Hz) while it streams (device
     * thread); needed only with a channel plan. */
    int (*retune)(void *dev, double hz);
} iq_rx_ops;

typedef struct {
    double rate, fc;        /* Hz (required, > 0) */
    double gain;            /* dB, NAN = the device's AGC/default */
    double bandwidth;       /* Hz, 0 = device default */
    const char *antenna;    /* NULL or "" = device default */
    const size_t *chans;    /* RX channel indices, distinct */
    size_t n_chans;         /* 1..SG_ADAPTER_MAX_CH */
    unsigned pool_blocks;   /* 2..65536 */
    size_t block_samples;   /* samples per channel per block, >= 16 */
    const char *name;       /* device name for messages (e.g. the Soapy args) */
    const scan_plan *scan;  /* NULL or n = 0: stay on fc; else hop over it (copied) */
} iq_rx_cfg;

typedef struct iq_rx_s iq_rx;

/* Configures the device and sets up the stream. Takes ownership of dev (closed with
 * ops->close on failure too). Errors name `where` and the channel or parameter:
 * SG_ENODEV (fewer channels, a refused setting, channels on different clocks/LOs,
 * no stream), SG_EINVAL (bad cfg; a plan out of scan_plan.h's ranges, or a plan for
 * ops without retune), SG_ENOMEM. */
iq_rx *iq_rx_open(const iq_rx_ops *ops, void *dev, const iq_rx_cfg *cfg, const char *where,
                  sg_errinfo *e);
/* sg_iq_adapter semantics: run blocks until stop() or a device failure. */
int iq_rx_run(iq_rx *r, sg_iq_sink sink, void *user, sg_errinfo *e);
void iq_rx_stop(iq_rx *r);
void iq_rx_stats(iq_rx *r, sg_adapter_stats *out);
void iq_rx_close(iq_rx *r);

#endif
