/* Small helpers for timespec arithmetic: deadlines for timed waits and absolute
 * sleeps, and elapsed times. Wall/monotonic clocks are used only for pacing, waits
 * and latency figures, never to timestamp data (that is the sample clock). */
#ifndef SG_CLOCK_H
#define SG_CLOCK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>

/* Adds s seconds (s >= 0) to *ts, keeping tv_nsec in [0, 1e9). */
void sg_timespec_add(struct timespec *ts, double s);
/* *ts = the clock's current time + s seconds (for pthread_cond_timedwait with the
 * clock the condition uses, or clock_nanosleep TIMER_ABSTIME). */
void sg_deadline(struct timespec *ts, clockid_t clock, double s);
/* Sleeps until the absolute time *ts on the clock (restarted after signals). */
void sg_sleep_until(clockid_t clock, const struct timespec *ts);
/* The clock's current time in seconds (CLOCK_MONOTONIC for ages and timeouts,
 * CLOCK_REALTIME for wall-clock times shown to people). */
double sg_clock_s(clockid_t clock);
/* Milliseconds from a to b (negative if b is earlier). */
double sg_ms_between(const struct timespec *a, const struct timespec *b);

/* Real-time pacing of a sample stream on CLOCK_MONOTONIC (file replay, simulation).
 * Stream time is the sample clock (s, any epoch). Within a segment a block is due when
 * its last sample would have been received. A jump of the stream time between blocks
 * (a new capture segment, a recording's clock stepping from 1970 to 2026) is waited
 * out only up to SG_PACE_MAX_GAP_S; a backward jump is not waited at all (pacing never
 * rewinds). So no input can make the pacer sleep longer than that per block. */
#define SG_PACE_MAX_GAP_S 2.0
/* longest single sleep between looks at the stop flag (s) */
#define SG_PACE_SLICE_S 0.05

typedef struct {
    struct timespec start; /* monotonic time of the first block's start */
    double t_first;        /* stream time the pacing started at (NAN: not yet) */
    double t_last;         /* stream time of the end of the last block */
    double skipped;        /* s of stream time not waited out (jumps) */
    unsigned long jumps;   /* jumps longer than SG_PACE_MAX_GAP_S or backwards */
} sg_pacer;

void sg_pacer_init(sg_pacer *p);
/* Blocks until the block [t_start, t_end) (stream s) is due, or *stop turns true
 * (looked at every SG_PACE_SLICE_S). Non-finite times are not waited for. Not
 * thread-safe (one pacer per stream). Returns 1 if *stop ended the wait, else 0. */
int sg_pacer_wait(sg_pacer *p, double t_start, double t_end, const atomic_bool *stop);

#endif
