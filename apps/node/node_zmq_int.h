/* Private to the ZeroMQ node link (node_zmq.h): what its sensor end (node_zmq_sensor.c)
 * and its fusion end (node_zmq_fusion.c) share: timing constants and small clock helpers. */
#ifndef SG_NODE_ZMQ_INT_H
#define SG_NODE_ZMQ_INT_H

#include <fcntl.h>
#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "node_link.h"
#include "sg_clock.h"

#define PING_PERIOD_S 1.0      /* s between clock pings to a node */
#define FLOOR_STEP_S 0.02      /* s of floor advance worth a ping at once */
#define CLOCK_STEP_S 0.02      /* s of node clock advance worth a clock message */
#define DRAIN_S 10.0           /* s a halted sensor end keeps sending what is queued */
#define GRACE_S 2.0            /* s (at least) a replay waits for a node never heard from */
#define NOTES 32               /* readable link lines kept for the fusion side */
#define CLOCK_FILTER 8         /* ping samples the clock estimate picks from (least delay) */
#define REORDER_CAP 1024       /* events the fusion node's reorder buffer holds at most */

static inline double now_rt(void) { return sg_clock_s(CLOCK_REALTIME); }

static inline double now_mono(void) { return sg_clock_s(CLOCK_MONOTONIC); }

static inline double mono_of(const struct timespec *t) { return (double)t->tv_sec + t->tv_nsec * 1e-9; }

static inline struct timespec ts_of(double s)
{
    struct timespec t = {.tv_sec = (time_t)floor(s)};
    t.tv_nsec = (long)((s - floor(s)) * 1e9);
    return t;
}

static inline uint32_t random_session(void)
{
    uint32_t v = 0;
    int fd = open("/dev/urandom", O_RDONLY);
    if (fd >= 0) {
        if (read(fd, &v, sizeof v) != (ssize_t)sizeof v)
            v = 0;
        close(fd);
    }
    return v ? v : (uint32_t)getpid() ^ (uint32_t)time(NULL);
}

/* Atomic double (bits in a 64-bit atomic). */
static inline void adbl_set(atomic_uint_least64_t *a, double v)
{
    uint64_t u;
    memcpy(&u, &v, 8);
    atomic_store(a, u);
}

static inline double adbl_get(atomic_uint_least64_t *a)
{
    uint64_t u = atomic_load(a);
    double v;
    memcpy(&v, &u, 8);
    return v;
}

/* Shifts an event's node-clock times by d seconds. */
static inline void shift_times(nl_event *ev, double d)
{
    ev->t += d;
    if (ev->kind == NL_MEAS) {
        ev->m.t += d;
        ev->first_t += d;
        ev->t_end += d;
    } else if (ev->kind == NL_HEALTH) {
        ev->h.t_first += d;
    } else if (ev->kind == NL_SCAN) {
        ev->scan.t0 += d;
        ev->scan.t1 += d;
    }
}

#endif
