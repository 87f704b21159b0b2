/* A small allocation-free JSON writer into a caller's buffer, for the feed messages
 * and JSONL records on the real-time side (cJSON would allocate per message).
 * Strings are escaped (hostile identities from the air cannot break the framing);
 * non-finite numbers are written as null. Overflow is sticky: check sgjw_ok(). */
#ifndef SG_JSONW_H
#define SG_JSONW_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    char *buf;      /* output, always NUL-terminated when cap > 0 */
    size_t cap;     /* bytes */
    size_t len;     /* bytes written, excluding NUL */
    bool overflow;  /* something did not fit */
    bool need_comma;
} sgjw;

void sgjw_init(sgjw *w, char *buf, size_t cap);
void sgjw_raw(sgjw *w, const char *s);          /* appended verbatim */
void sgjw_obj_begin(sgjw *w);                    /* '{' */
void sgjw_obj_end(sgjw *w);                      /* '}' */
void sgjw_arr_begin(sgjw *w, const char *key);   /* "key":[ ; key NULL inside arrays */
void sgjw_arr_end(sgjw *w);
void sgjw_key_obj(sgjw *w, const char *key);     /* "key":{ */
void sgjw_str(sgjw *w, const char *key, const char *v);       /* key NULL inside arrays */
void sgjw_num(sgjw *w, const char *key, double v, int digits); /* %.*g; NaN/Inf -> null */
void sgjw_fix(sgjw *w, const char *key, double v, int decimals); /* %.*f; NaN/Inf -> null */
void sgjw_int(sgjw *w, const char *key, long long v);
void sgjw_uint(sgjw *w, const char *key, unsigned long long v);
void sgjw_bool(sgjw *w, const char *key, bool v);
void sgjw_null(sgjw *w, const char *key);
static inline bool sgjw_ok(const sgjw *w) { return !w->overflow; }

/* ISO 8601 UTC with milliseconds ("2026-11-22T22:30:00.123Z") for t in s UTC: t rounded
 * to the microsecond (as the feed's "t" is written), then truncated to the millisecond. */
void sg_time_iso8601(double t, char *out, size_t cap);
/* Parses ISO 8601 UTC/offset date-times ("2026-11-22T22:30:00Z", "...+01:00",
 * fractional seconds allowed) into s UTC. Returns 0 or SG_EFORMAT. */
int sg_time_parse_iso8601(const char *s, double *t);

#endif
