/* IANA time zones from the system tz database (TZif files under /usr/share/zoneinfo,
 * Debian package tzdata), for zone schedules written in local venue time.
 *
 * We read TZif ourselves instead of calling setenv("TZ") + mktime/localtime: those
 * mutate process-global state and are not thread-safe in a library. A tz_info is
 * immutable after tz_load, so any number of threads may query it.
 *
 * Instants after the last stored transition follow the file's POSIX-TZ footer rule
 * (e.g. "GMT0BST,M3.5.0/1,M10.5.0"; Mm.w.d, Jn and n date forms); a footer we cannot
 * parse falls back to the last stored offset. */
#ifndef SG_FUSION_TZ_H
#define SG_FUSION_TZ_H

#include <stdint.h>

#include "sg_error.h"

#define TZ_DEFAULT_DIR "/usr/share/zoneinfo"

typedef struct tz_info tz_info;

/* Loads zone `name` (e.g. "Europe/London", "UTC") from dir (NULL = TZ_DEFAULT_DIR).
 * Names are restricted to [A-Za-z0-9_+-/] without "..", so a config file cannot make
 * us open arbitrary paths. NULL + SG_EINVAL (bad name), SG_ENOTFOUND (no such zone),
 * SG_EFORMAT (not TZif) or SG_ENOMEM in e. */
tz_info *tz_load(const char *dir, const char *name, sg_errinfo *e);
void tz_destroy(tz_info *z);
const char *tz_name(const tz_info *z);

/* Offset of local time from UTC (s, east positive) in force at UTC instant t (s). */
int32_t tz_offset(const tz_info *z, int64_t t);

/* UTC instant of local wall-clock time `local` (s since 1970-01-01T00:00 local).
 * Ambiguous times (autumn fall-back) resolve to the earlier instant; non-existent
 * times (spring-forward gap) are read with the offset before the gap, i.e. they land
 * after the change (01:30 on a London spring-forward night -> 01:30 UTC = 02:30 BST). */
int64_t tz_local_to_utc(const tz_info *z, int64_t local);

/* Days since 1970-01-01 of a proleptic Gregorian civil date (m 1..12, d 1..31). */
int64_t tz_days_from_civil(int64_t y, int m, int d);

#endif
