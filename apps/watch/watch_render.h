/* Drawing the console (full-screen table) and formatting times for sg_watch.
 *
 * Every screen line is cut to the terminal width (no wrapping): table columns carry a
 * priority and the least important are dropped first as the width shrinks (80 to 200+
 * columns; below 80 the rightmost text is cut). Heights: HAE is the feed's alt_m; AMSL
 * and AGL come from the venue (watch_model.h) and the second screen line names the
 * reference of each; unknown values show "-". */
#ifndef SG_WATCH_RENDER_H
#define SG_WATCH_RENDER_H

#include <stdbool.h>
#include <stdio.h>

#include "tz.h"
#include "watch_model.h"

typedef struct {
    const char *title;      /* e.g. "tcp://127.0.0.1:5556 CURVE" */
    const char *footer;     /* counters line, already formatted */
    const char *problem;    /* last problem text or NULL */
    const tz_info *tz;      /* zone for displayed times; NULL: UTC */
    bool color;
    double feed_lost_s;
} watch_render_opts;

/* Clears the screen and draws m on out in cols x rows (cols >= 20, rows >= 10). */
void watch_draw(FILE *out, watch_model *m, const watch_render_opts *o, int cols, int rows,
                double now);

/* t (s UTC) as local time of tz (NULL: UTC), ISO 8601 with milliseconds and offset:
 * "2026-11-22T22:30:00.250+00:00" (full) or "22:30:00" (!full). */
void watch_fmt_time(double t, const tz_info *tz, bool full, char *out, size_t cap);

/* ANSI attribute for a severity (0 info .. 3 critical; "" for others). */
const char *watch_sev_attr(int sev);

/* v printed with fmt, or "-" when NAN (unknown, never faked). */
void watch_fmt_num(char *out, size_t cap, const char *fmt, double v);

#endif
