/* FFT channeliser (fast-convolution filter bank): several narrow channels of one
 * wideband IQ stream, each mixed to DC, filtered and decimated to a common low output
 * rate, for a cost that is about one forward FFT of the input whatever the number of
 * channels.
 *
 * Method (overlap-save): the input is cut into blocks of N samples that overlap by P;
 * each block is transformed once (N-point FFT). For every channel the K bins around its
 * centre (K / N = out_rate / sample_rate) are weighted by the channel mask (1 up to
 * pass_hz from the centre, a raised-cosine roll-off to 0 at stop_hz) and transformed
 * back with a K-point inverse FFT: that is the channel at out_rate, centred on the
 * nearest bin. The P / 2 outputs at each end of the block, where the circular
 * convolution wraps, are dropped; the L = N - P in the middle are kept. The channel's
 * offset from the nearest bin (at most half a bin) and the bin's phase from block to
 * block are taken out by a rotator at the output rate, so each output is the channel
 * exactly at DC and the output stream is continuous across blocks.
 * The mask is zero-phase: output m of a channel is input m * sample_rate / out_rate
 * (no delay); a block of output therefore has sample_index = input index / R and the
 * input's t0 (R = sample_rate / out_rate).
 * The sizes are chosen at create: N = 2^a 3^b 5^c (b <= 1, c <= 3: FFTW's fast sizes; if
 * none fits, any 2^a 3^b 5^c 7^d), makes K an integer and
 * keeps the overlap P >= overlap_s * sample_rate; the cheapest per input sample wins.
 * Rates without such an N (up to FFTCHAN_MAX_N) are refused. Mask bins beyond the input's
 * band edge are dropped (a channel near the edge keeps what the capture has of it).
 * Squelch (per channel, optional): each channel tracks its own noise floor, the mean power
 * of its quiet blocks (an average over about 8 blocks), rising at most
 * FFTCHAN_FLOOR_RISE_DB per second while the channel is loud, so that a raised floor is
 * learnt. A block squelch_db above the floor (or with a non-finite power) opens the
 * channel, which then also outputs the block before it (pre-roll: a packet that starts at
 * a block's end) and stays open FFTCHAN_HANG blocks after the last loud one. A closed
 * channel's blocks are neither inverse-transformed nor output; every such block is counted
 * (fftchan_squelch_stats). The first FFTCHAN_WARMUP blocks after a (re)start are always
 * output while the floor is learnt. The block power comes from one of two places:
 *  - probe (every channel squelched): before the block's forward FFT, from short
 *    Hann-windowed FFTs (a power of two with bins <= pass_hz / 2: 64 points at 20 Msps,
 *    128 at 50, 256 at 61.44) of FFTCHAN_PROBE_S of the block's kept samples (or all of
 *    them if fewer), summed over the bins within pass_hz of the channel's centre. Where a
 *    block and its probe last at most FFTCHAN_PROBE_SPAN_S (35 + 22 / 42 + 20 us at 20 /
 *    50 Msps) the windows are back to back in the middle of the kept samples, so a packet
 *    of 80 us or more (BLE 1M) covers every window of at least one block (and the probe
 *    reads a contiguous stretch, half the input at 50 Msps); longer blocks (112 us at
 *    61.44 Msps) have them spread evenly (spaced 22 us), and such a packet fills at least
 *    40 us of one block. A block where no channel is open is not forward-transformed
 *    at all (counted: fftchan_fft_stats); a pre-roll block transforms the block before
 *    from the input history kept for it. The floor is only averaged (not reset by one low
 *    block: the probe's estimate is coarser). A NaN outside the probe's windows opens
 *    nothing.
 *  - masked bins (a channel not squelched: the forward FFT runs for every block anyway):
 *    the channel's masked bins after the forward FFT; a block below floor / squelch sets
 *    the floor at once.
 * With the probe, blocks that lie inside one fftchan_execute input are read there in place
 * (not copied); only the blocks across two inputs and the history a pre-roll needs are
 * kept in the channeliser's own buffer (without the probe every block is transformed and
 * the input goes through that buffer, aligned for the FFT).
 * Not thread-safe: one thread owns a channeliser. No allocation after create. */
#ifndef FFTCHAN_H
#define FFTCHAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sg_error.h"
#include "sg_types.h"

#define FFTCHAN_MAX 24            /* channels at most */
#define FFTCHAN_MAX_N 16384       /* largest FFT size */
#define FFTCHAN_HANG 2            /* blocks a squelched channel stays open after a loud one */
#define FFTCHAN_WARMUP 16         /* blocks always open after a (re)start */
#define FFTCHAN_FLOOR_RISE_DB 2.0 /* dB per s the noise floor can rise under a loud channel */
#define FFTCHAN_PROBE_S 20e-6     /* s of each block's input the probe reads (at most all) */
#define FFTCHAN_PROBE_SPAN_S 80e-6 /* a block and its probe within this: windows back to back */

typedef struct {
    double sample_rate;           /* input Hz, > 0 */
    double out_rate;              /* output Hz per channel, <= sample_rate */
    double pass_hz, stop_hz;      /* mask: flat to pass_hz, 0 from stop_hz (Hz from the
                                     channel centre; 0 < pass < stop <= out_rate / 2) */
    double overlap_s;             /* s of overlap kept on each block (the mask's impulse
                                     response must fit in it), > 0 */
    int n_channels;               /* 1..FFTCHAN_MAX */
    double offsets_hz[FFTCHAN_MAX]; /* channel centre minus input DC, Hz, |offset| <=
                                       sample_rate / 2 */
    double (*shape[FFTCHAN_MAX])(double f_hz); /* optional per channel (NULL: none): a
                                       zero-phase gain at f_hz from the centre that the
                                       mask is multiplied by (a receiver's own channel
                                       filter, applied here for free) */
    double squelch_db[FFTCHAN_MAX]; /* per channel: 0 = no squelch (every block output);
                                       else (0, 30] dB over the channel's noise floor that
                                       opens it (see above) */
} fftchan_cfg;

/* Defaults: out_rate 4 MHz, pass 0.8 MHz, stop 1.6 MHz, overlap 5 us, no channels, no
 * squelch. */
void fftchan_cfg_default(fftchan_cfg *c);

/* Output: n samples of channel ch at out_rate; valid during the call only. blk->x is
 * that channel's samples, blk->center_freq the input's centre plus the channel offset
 * (0 when the input's centre is unknown). A squelched channel that closes is signalled by
 * one call with n = 0 (its samples so far all delivered; the next block it outputs
 * starts after a jump of sample_index): a receiver finishes what it holds. */
typedef void (*fftchan_cb)(void *user, int ch, const sg_iq_block *blk);

typedef struct fftchan fftchan;

/* NULL + e on a bad configuration (naming the value) or no memory. */
fftchan *fftchan_create(const fftchan_cfg *c, sg_errinfo *e);
void fftchan_destroy(fftchan *q);

/* One input block (any length). Outputs are handed to cb in the order channel 0..n-1,
 * in pieces of up to a few thousand samples, during the call. A discontinuity (flag or
 * index jump) first completes the samples before it (zero-padded), then restarts; the
 * next output block of every channel has its discontinuity flag set. SG_EINVAL: NULL,
 * or a sample rate that differs from the configured one. */
int fftchan_execute(fftchan *q, const sg_iq_block *in, fftchan_cb cb, void *user,
                    sg_errinfo *e);

/* End of input: pushes out every input sample still held (zero-padded). */
int fftchan_flush(fftchan *q, fftchan_cb cb, void *user);

/* Sizes in use: FFT size N, kept samples per block L, output bins K. */
void fftchan_sizes(const fftchan *q, int *n, int *l, int *k);

/* Squelch counts of channel ch (0..n_channels-1) since create: blocks seen and blocks
 * skipped (closed). Zeros for a channel without squelch. */
void fftchan_squelch_stats(const fftchan *q, int ch, uint64_t *blocks, uint64_t *skipped);

/* Blocks since create, and of those the blocks never forward-transformed (the probe found
 * every channel closed; a block transformed later for a pre-roll is not counted). */
void fftchan_fft_stats(const fftchan *q, uint64_t *blocks, uint64_t *skipped);

/* s of input a channel output lags its input by (held until a block is complete; with a
 * squelch, one block more: the pre-roll). */
double fftchan_latency_s(const fftchan *q);

#endif
