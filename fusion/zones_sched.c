/* Zone schedules (see zones.h): the GeoJSON "schedule" property (one-off events and
 * weekly windows in a named time zone) parsed into a zone's windows, the ISO 8601 and
 * HH:MM parsers the ED-269 import shares (zones_ed269.c), and zone_active, which the
 * alert engine asks before it tests a track against the zone. */
#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zones_impl.h"

/* Parses "YYYY-MM-DDTHH:MM[:SS[.fff]][Z|+HH:MM|-HH:MM|+HHMM|+HH]". *secs is seconds
 * since 1970 in the time scale of the string (UTC if *has_off, local otherwise). */
bool zi_parse_iso(const char *s, double *secs, bool *has_off)
{
    int y, mo, d, h, mi, n = 0;
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d%n", &y, &mo, &d, &h, &mi, &n) != 5 || n != 16)
        return false;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || h < 0 || mi < 0)
        return false;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > mdays[mo - 1] || (mo == 2 && d == 29 && !leap))
        return false;
    const char *p = s + n;
    double sec = 0;
    if (*p == ':') {
        if (!isdigit((unsigned char)p[1]) || !isdigit((unsigned char)p[2]))
            return false;
        sec = (p[1] - '0') * 10 + (p[2] - '0');
        if (sec > 59)
            return false;
        p += 3;
        if (*p == '.') {
            double scale = 0.1;
            p++;
            if (!isdigit((unsigned char)*p))
                return false;
            while (isdigit((unsigned char)*p)) {
                sec += (*p++ - '0') * scale;
                scale /= 10;
            }
        }
    }
    double off = 0;
    *has_off = false;
    if (*p == 'Z') {
        *has_off = true;
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p == '-' ? -1 : 1, oh, om = 0;
        p++;
        if (!isdigit((unsigned char)p[0]) || !isdigit((unsigned char)p[1]))
            return false;
        oh = (p[0] - '0') * 10 + (p[1] - '0');
        p += 2;
        if (*p == ':')
            p++;
        if (isdigit((unsigned char)p[0]) && isdigit((unsigned char)p[1])) {
            om = (p[0] - '0') * 10 + (p[1] - '0');
            p += 2;
        }
        if (oh > 18 || om > 59)
            return false;
        off = sign * (oh * 3600.0 + om * 60.0);
        *has_off = true;
    }
    if (*p)
        return false;
    *secs = (double)tz_days_from_civil(y, mo, d) * 86400.0 + h * 3600.0 + mi * 60.0 + sec - off;
    return true;
}

bool zi_parse_hhmm(const char *s, int32_t *sod)
{
    int h, m, sec = 0, n = 0;
    if (sscanf(s, "%2d:%2d%n", &h, &m, &n) != 2 || n != 5)
        return false;
    if (s[n] == ':') {
        int n2 = 0;
        if (sscanf(s + n + 1, "%2d%n", &sec, &n2) != 1 || n2 != 2 || s[n + 3])
            return false;
    } else if (s[n]) {
        return false;
    }
    /* "24:00" is allowed as the end of a day. */
    if (h < 0 || h > 24 || m < 0 || m > 59 || sec < 0 || sec > 59 || (h == 24 && (m || sec)))
        return false;
    *sod = h * 3600 + m * 60 + sec;
    return true;
}

int zi_parse_schedule(zone_set *zs, zone *z, const cJSON *arr, const char *where,
                      const char *feature_tz, sg_errinfo *e)
{
    static const char *const ev_keys[] = {"start", "end", "tz", "days", NULL};
    static const char *const dnames[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
    size_t n = (size_t)cJSON_GetArraySize(arr);
    if (n == 0)
        return sg_err_set(e, SG_EINVAL, "%s.properties.schedule: empty (omit it for always active)",
                          where);
    if (n > MAX_SCHED)
        return sg_err_set(e, SG_ERANGE, "%s.properties.schedule: more than %d entries", where,
                          MAX_SCHED);
    z->sched = calloc(n, sizeof *z->sched);
    if (!z->sched)
        return sg_err_set(e, SG_ENOMEM, "%s: out of memory", where);
    for (size_t i = 0; i < n; i++) {
        const cJSON *it = cJSON_GetArrayItem(arr, (int)i);
        char w[400];
        snprintf(w, sizeof w, "%s.properties.schedule[%zu]", where, i);
        if (!cJSON_IsObject(it))
            return sg_err_set(e, SG_EINVAL, "%s: must be an object", w);
        int rc = sgj_check_keys(it, w, ev_keys, e);
        char start[64], end[64], tzn[64];
        if (!rc)
            rc = sgj_string(it, w, "start", true, NULL, start, sizeof start, e);
        if (!rc)
            rc = sgj_string(it, w, "end", true, NULL, end, sizeof end, e);
        if (!rc)
            rc = sgj_string(it, w, "tz", false, feature_tz, tzn, sizeof tzn, e);
        if (rc)
            return rc;
        sched *s = &z->sched[z->nsched++];
        const cJSON *days;
        if ((rc = sgj_array(it, w, "days", false, &days, e)))
            return rc;
        const tz_info *tz = NULL;
        if (tzn[0]) {
            char tw[420];
            snprintf(tw, sizeof tw, "%s.tz", w);
            if (!(tz = zi_tz_get(zs, tzn, tw, e)))
                return e ? e->code : SG_EINVAL;
        }
        if (days) {
            s->weekly = true;
            s->start = -INFINITY;
            s->end = INFINITY;
            if (!tz)
                return sg_err_set(e, SG_EINVAL, "%s.tz: weekly windows need a time zone", w);
            s->tz = tz;
            int nd = cJSON_GetArraySize(days);
            if (nd == 0)
                return sg_err_set(e, SG_EINVAL, "%s.days: empty", w);
            for (int k = 0; k < nd; k++) {
                const cJSON *d = cJSON_GetArrayItem(days, k);
                int found = -1;
                for (int j = 0; j < 7 && cJSON_IsString(d); j++)
                    if (strcmp(d->valuestring, dnames[j]) == 0)
                        found = j;
                if (found < 0)
                    return sg_err_set(e, SG_EINVAL, "%s.days[%d]: must be one of mon..sun", w, k);
                s->days |= (uint8_t)(1u << found);
            }
            if (!zi_parse_hhmm(start, &s->sod_start) || s->sod_start >= 86400)
                return sg_err_set(e, SG_EFORMAT, "%s.start: \"%s\" is not a time of day HH:MM[:SS]",
                                  w, start);
            if (!zi_parse_hhmm(end, &s->sod_end))
                return sg_err_set(e, SG_EFORMAT, "%s.end: \"%s\" is not a time of day HH:MM[:SS]", w,
                                  end);
            if (s->sod_end == s->sod_start)
                return sg_err_set(e, SG_EINVAL, "%s: start and end are equal", w);
            continue;
        }
        bool off_s, off_e;
        double ts, te;
        if (!zi_parse_iso(start, &ts, &off_s))
            return sg_err_set(e, SG_EFORMAT,
                              "%s.start: \"%s\" is not an ISO 8601 time YYYY-MM-DDTHH:MM[:SS][Z|+HH:MM]",
                              w, start);
        if (!zi_parse_iso(end, &te, &off_e))
            return sg_err_set(e, SG_EFORMAT,
                              "%s.end: \"%s\" is not an ISO 8601 time YYYY-MM-DDTHH:MM[:SS][Z|+HH:MM]",
                              w, end);
        if ((!off_s || !off_e) && !tz)
            return sg_err_set(e, SG_EINVAL,
                              "%s: local times (no Z or offset) need a time zone (\"tz\")", w);
        /* Local wall-clock -> UTC through the zone's own rules (DST-aware). */
        if (!off_s) {
            double fr = ts - floor(ts);
            ts = (double)tz_local_to_utc(tz, (int64_t)floor(ts)) + fr;
        }
        if (!off_e) {
            double fr = te - floor(te);
            te = (double)tz_local_to_utc(tz, (int64_t)floor(te)) + fr;
        }
        if (!(te > ts))
            return sg_err_set(e, SG_EINVAL, "%s: end (%s) is not after start (%s)", w, end, start);
        s->start = ts;
        s->end = te;
    }
    return SG_OK;
}

/* ---- schedule ----------------------------------------------------------------------- */

bool zone_active(const zone *z, double t)
{
    if (z->nsched == 0)
        return true;
    for (size_t i = 0; i < z->nsched; i++) {
        const sched *s = &z->sched[i];
        if (!s->weekly) {
            if (t >= s->start && t < s->end)
                return true;
            continue;
        }
        if (t < s->start || t >= s->end)
            continue;
        int64_t ts = (int64_t)floor(t);
        int64_t local = ts + tz_offset(s->tz, ts);
        int64_t day = local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
        double sod = (double)(local - day * 86400) + (t - (double)ts);
        int dow = (int)(((day % 7) + 7 + 3) % 7); /* 1970-01-01 was a Thursday: Monday = 0 */
        int prev = (dow + 6) % 7;
        bool today = s->days & (1u << dow), yday = s->days & (1u << prev);
        if (s->sod_end > s->sod_start) {
            if (today && sod >= s->sod_start && sod < s->sod_end)
                return true;
        } else { /* crosses midnight: evening part today, morning part from yesterday's */
            if ((today && sod >= s->sod_start) || (yday && sod < s->sod_end))
                return true;
        }
    }
    return false;
}
