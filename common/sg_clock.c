/* timespec helpers (see sg_clock.h). */
#include "sg_clock.h"

#include <errno.h>
#include <math.h>

void sg_timespec_add(struct timespec *ts, double s)
{
    double whole = floor(s);
    ts->tv_sec += (time_t)whole;
    ts->tv_nsec += (long)((s - whole) * 1e9);
    while (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

void sg_deadline(struct timespec *ts, clockid_t clock, double s)
{
    clock_gettime(clock, ts);
    sg_timespec_add(ts, s);
}

void sg_sleep_until(clockid_t clock, const struct timespec *ts)
{
    while (clock_nanosleep(clock, TIMER_ABSTIME, ts, NULL) == EINTR)
        ;
}

double sg_ms_between(const struct timespec *a, const struct timespec *b)
{
    return (double)(b->tv_sec - a->tv_sec) * 1e3 + (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}

double sg_now_s(clockid_t clock)
{
    struct timespec t;
    clock_gettime(clock, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}
