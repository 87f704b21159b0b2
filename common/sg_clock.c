/* timespec helpers (see sg_clock.h). */
#include "sg_clock.h"

#include <errno.h>
#include <math.h>
#include <stdatomic.h>
#include <stdbool.h>

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

double sg_clock_s(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

void sg_pacer_init(sg_pacer *p)
{
    clock_gettime(CLOCK_MONOTONIC, &p->start);
    p->t_first = NAN;
    p->t_last = NAN;
    p->skipped = 0;
    p->jumps = 0;
}

int sg_pacer_wait(sg_pacer *p, double t_start, double t_end, const atomic_bool *stop)
{
    if (!isfinite(t_start) || !isfinite(t_end) || t_end < t_start)
        return 0;
    if (isnan(p->t_first)) {
        clock_gettime(CLOCK_MONOTONIC, &p->start);
        p->t_first = t_start;
    } else {
        double gap = t_start - p->t_last;
        if (gap > SG_PACE_MAX_GAP_S) {
            p->skipped += gap - SG_PACE_MAX_GAP_S;
            p->jumps++;
        } else if (gap < 0) {
            p->skipped += gap;
            p->jumps++;
        }
    }
    p->t_last = t_end;
    double due = t_end - p->t_first - p->skipped; /* s after start; never decreases */
    struct timespec dl = p->start;
    sg_timespec_add(&dl, due);
    for (;;) {
        if (stop && atomic_load(stop))
            return 1;
        struct timespec now, slice;
        clock_gettime(CLOCK_MONOTONIC, &now);
        double left = sg_ms_between(&now, &dl) / 1e3;
        if (left <= 0)
            return 0;
        slice = now;
        sg_timespec_add(&slice, left < SG_PACE_SLICE_S ? left : SG_PACE_SLICE_S);
        sg_sleep_until(CLOCK_MONOTONIC, &slice);
    }
}
