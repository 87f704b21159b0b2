/* Small helpers for timespec arithmetic: deadlines for timed waits and absolute
 * sleeps, and elapsed times. Wall/monotonic clocks are used only for pacing, waits
 * and latency figures, never to timestamp data (that is the sample clock). */
#ifndef SG_CLOCK_H
#define SG_CLOCK_H

#include <time.h>

/* Adds s seconds (s >= 0) to *ts, keeping tv_nsec in [0, 1e9). */
void sg_timespec_add(struct timespec *ts, double s);
/* *ts = the clock's current time + s seconds (for pthread_cond_timedwait with the
 * clock the condition uses, or clock_nanosleep TIMER_ABSTIME). */
void sg_deadline(struct timespec *ts, clockid_t clock, double s);
/* Sleeps until the absolute time *ts on the clock (restarted after signals). */
void sg_sleep_until(clockid_t clock, const struct timespec *ts);
/* Milliseconds from a to b (negative if b is earlier). */
double sg_ms_between(const struct timespec *a, const struct timespec *b);
/* The clock's current time in seconds (CLOCK_REALTIME: s UTC; CLOCK_MONOTONIC: s). */
double sg_now_s(clockid_t clock);

#endif
