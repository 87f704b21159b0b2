/* Channel plan for one SDR (see scan_plan.h): parsing and the schedule's arithmetic. */
#include "scan_plan.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "sg_json.h"

/* The ranges of scan_plan.h, shared by the parser and the check. */
#define FC_MIN 1e3
#define FC_MAX 1e11
#define DWELL_MIN 1e-3
#define DWELL_MAX 60.0
#define SETTLE_MAX 0.1

int scan_plan_from_json(scan_plan *p, const cJSON *o, const char *where, sg_errinfo *e)
{
    static const char *const keys[] = {"channels", "dwell_s", "settle_s", NULL};
    static const char *const ckeys[] = {"center_freq", "dwell_s", NULL};
    memset(p, 0, sizeof *p);
    if (!o)
        return SG_OK;
    if (!where)
        where = "scan";
    if (!cJSON_IsObject(o))
        return sg_err_set(e, SG_EINVAL, "%s: must be an object", where);
    const cJSON *chs;
    double dwell;
    int rc;
    if ((rc = sgj_check_keys(o, where, keys, e)) ||
        (rc = sgj_array(o, where, "channels", true, &chs, e)) ||
        (rc = sgj_number(o, where, "dwell_s", false, 0.1, DWELL_MIN, DWELL_MAX, &dwell, e)) ||
        (rc = sgj_number(o, where, "settle_s", false, 1e-3, 0, SETTLE_MAX, &p->settle_s, e)))
        return rc;
    int n = cJSON_GetArraySize(chs);
    if (n < 1 || n > SCAN_PLAN_MAX)
        return sg_err_set(e, SG_EINVAL, "%s.channels: needs 1..%d channels, got %d", where,
                          SCAN_PLAN_MAX, n);
    for (int i = 0; i < n; i++) {
        char w[300];
        snprintf(w, sizeof w, "%s.channels[%d]", where, i);
        const cJSON *c = cJSON_GetArrayItem(chs, i);
        if (!cJSON_IsObject(c))
            return sg_err_set(e, SG_EINVAL, "%s: must be an object", w);
        scan_channel *k = &p->ch[i];
        if ((rc = sgj_check_keys(c, w, ckeys, e)) ||
            (rc = sgj_number(c, w, "center_freq", true, 0, FC_MIN, FC_MAX, &k->center_freq, e)) ||
            (rc = sgj_number(c, w, "dwell_s", false, dwell, DWELL_MIN, DWELL_MAX, &k->dwell_s, e)))
            return rc;
    }
    p->n = (unsigned)n;
    return SG_OK;
}

double scan_plan_cycle(const scan_plan *p)
{
    double t = 0;
    for (unsigned i = 0; i < p->n; i++)
        t += p->ch[i].dwell_s + p->settle_s;
    return t;
}

double scan_plan_duty(const scan_plan *p, unsigned i)
{
    double t = scan_plan_cycle(p);
    return i < p->n && t > 0 ? p->ch[i].dwell_s / t : 0;
}

double scan_plan_duty_min(const scan_plan *p)
{
    double m = 0;
    for (unsigned i = 0; i < p->n; i++) {
        double d = scan_plan_duty(p, i);
        if (i == 0 || d < m)
            m = d;
    }
    return m;
}

int scan_plan_check(const scan_plan *p, const char *where, sg_errinfo *e)
{
    if (!where)
        where = "scan";
    if (p->n > SCAN_PLAN_MAX)
        return sg_err_set(e, SG_EINVAL, "%s.channels: needs 1..%d channels, got %u", where,
                          SCAN_PLAN_MAX, p->n);
    if (!p->n)
        return SG_OK;
    if (!(p->settle_s >= 0 && p->settle_s <= SETTLE_MAX))
        return sg_err_set(e, SG_EINVAL, "%s.settle_s: %g s outside 0..%g", where, p->settle_s,
                          SETTLE_MAX);
    for (unsigned i = 0; i < p->n; i++) {
        const scan_channel *c = &p->ch[i];
        if (!(c->center_freq >= FC_MIN && c->center_freq <= FC_MAX))
            return sg_err_set(e, SG_EINVAL, "%s.channels[%u].center_freq: %g Hz outside "
                              "%g..%g", where, i, c->center_freq, FC_MIN, FC_MAX);
        if (!(c->dwell_s >= DWELL_MIN && c->dwell_s <= DWELL_MAX))
            return sg_err_set(e, SG_EINVAL, "%s.channels[%u].dwell_s: %g s outside %g..%g",
                              where, i, c->dwell_s, DWELL_MIN, DWELL_MAX);
    }
    return SG_OK;
}

double scan_plan_p_burst(const scan_plan *p, unsigned i, double len_s)
{
    double t = scan_plan_cycle(p);
    if (i >= p->n || !(t > 0) || !(len_s >= 0))
        return 0;
    double d = p->ch[i].dwell_s - len_s;
    return d > 0 ? d / t : 0;
}

double scan_plan_revisit_bound(const scan_plan *p, unsigned i, double period_s, double len_s)
{
    if (i >= p->n || !(period_s > 0) || !(len_s >= 0) ||
        p->ch[i].dwell_s < period_s + len_s)
        return INFINITY;
    return scan_plan_cycle(p) - p->ch[i].dwell_s + period_s + len_s;
}

void scan_plan_at(const scan_plan *p, double t, unsigned *ch, bool *settling, double *until)
{
    *ch = 0;
    *settling = false;
    *until = INFINITY;
    double T = scan_plan_cycle(p);
    if (!p->n || !(T > 0) || !(t >= 0) || !isfinite(t))
        return;
    double k = floor(t / T), base = k * T, x = t - base;
    for (unsigned i = 0; i < p->n; i++) {
        double s_end = p->settle_s, d_end = s_end + p->ch[i].dwell_s;
        if (x < d_end || i + 1 == p->n) {
            *ch = i;
            *settling = x < s_end;
            *until = base + (*settling ? s_end : d_end);
            return;
        }
        x -= d_end;
        base += d_end;
    }
}
