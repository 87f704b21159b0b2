/* Alert-hook filter and rate limit (see sink_hook.h). */
#include "sink_hook.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "sg_json.h"

int hook_filter_parse(hook_filter *f, const cJSON *b, const char *where, sg_errinfo *e)
{
    memset(f, 0, sizeof *f);
    const cJSON *states;
    int rc;
    if ((rc = sgj_enum(b, where, "min_severity", false, SG_SEV_WARNING, sg_severity_names, 4,
                       &f->min_severity, e)) ||
        (rc = sgj_bool(b, where, "include_allow_listed", false, false, &f->include_allow_listed,
                       e)) ||
        (rc = sgj_number(b, where, "rate_per_min", false, 10, 0.001, 60000, &f->rate_per_min,
                         e)) ||
        (rc = sgj_number(b, where, "burst", false, 5, 1, 10000, &f->burst, e)) ||
        (rc = sgj_array(b, where, "states", false, &states, e)))
        return rc;
    if (!states) {
        f->states[SG_ALERT_RAISED] = true;
    } else {
        int i = 0;
        const cJSON *it;
        cJSON_ArrayForEach(it, states)
        {
            int k = -1;
            for (int j = 0; j < 3 && cJSON_IsString(it); j++)
                if (!strcmp(it->valuestring, sg_alert_state_names[j]))
                    k = j;
            if (k < 0)
                return sg_err_set(e, SG_EINVAL, "%s.states[%d]: must be one of raised, updated, "
                                  "cleared", where, i);
            f->states[k] = true;
            i++;
        }
        if (!i)
            return sg_err_set(e, SG_EINVAL, "%s.states: must not be empty", where);
    }
    f->tokens = f->burst;
    f->last = -1;
    return SG_OK;
}

hook_decision hook_filter_check(hook_filter *f, const sink_event *ev, double now)
{
    if (ev->type != FEED_MSG_ALERT)
        return HOOK_FILTERED;
    const feed_msg_alert *a = &ev->u.alert;
    if ((int)a->severity < f->min_severity || !f->states[a->state] ||
        (a->allow_listed && !f->include_allow_listed) || ev->snapshot) {
        __atomic_add_fetch(&f->filtered, 1, __ATOMIC_RELAXED);
        return HOOK_FILTERED;
    }
    if (f->last >= 0) {
        f->tokens += (now - f->last) * f->rate_per_min / 60.0;
        if (f->tokens > f->burst)
            f->tokens = f->burst;
    }
    f->last = now;
    if (f->tokens < 1) {
        __atomic_add_fetch(&f->rate_limited, 1, __ATOMIC_RELAXED);
        return HOOK_RATE_LIMITED;
    }
    f->tokens -= 1;
    return HOOK_FIRE;
}

bool hook_sleep(double s, const int *stop)
{
    while (s > 0) {
        if (stop && __atomic_load_n(stop, __ATOMIC_ACQUIRE))
            return false;
        double step = s < 0.05 ? s : 0.05;
        struct timespec ts = {0, (long)(step * 1e9)};
        nanosleep(&ts, NULL);
        s -= step;
    }
    return !(stop && __atomic_load_n(stop, __ATOMIC_ACQUIRE));
}
