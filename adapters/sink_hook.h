/* What the alert hooks (outputs.webhook, outputs.exec) share: which alerts fire them and how
 * often. Config keys (in the hook's block, checked by hook_filter_parse):
 *   "min_severity": "info|warning|alert|critical"   (default "warning")
 *   "states": ["raised", "updated", "cleared"]       (default ["raised"])
 *   "include_allow_listed": false                    (allow-listed alerts skipped by default)
 *   "rate_per_min": 10, "burst": 5                   (token bucket; beyond it: dropped, counted)
 * Not thread-safe: the hook's worker owns it. */
#ifndef SG_SINK_HOOK_H
#define SG_SINK_HOOK_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "sg_error.h"
#include "sink.h"

#define HOOK_FILTER_KEYS "min_severity", "states", "include_allow_listed", "rate_per_min", "burst"

typedef struct {
    int min_severity;          /* sg_severity */
    bool states[3];            /* by sg_alert_state */
    bool include_allow_listed;
    double rate_per_min;       /* tokens per minute, (0, 60000] */
    double burst;              /* bucket size, >= 1 */
    double tokens;             /* now in the bucket */
    double last;               /* s monotonic of the last refill */
    uint64_t filtered, rate_limited; /* atomics */
} hook_filter;

int hook_filter_parse(hook_filter *f, const cJSON *block, const char *where, sg_errinfo *e);

typedef enum { HOOK_FIRE = 0, HOOK_FILTERED, HOOK_RATE_LIMITED } hook_decision;

/* Decides for one event at now_mono (s, monotonic) and counts the outcome. Only alerts can
 * fire; other events are HOOK_FILTERED without counting. */
hook_decision hook_filter_check(hook_filter *f, const sink_event *ev, double now_mono);

/* Sleeps s seconds in short steps, returning early (false) once *stop is set. */
bool hook_sleep(double s, const int *stop);

#endif
