/* Helpers for the output sinks' tests (test_cot_xml, test_sink_*, test_hooks_curl,
 * test_tls_openssl): a sink from its configuration block as JSON text, and the check
 * that a bad block is refused with a message naming the problem. Header-only, include
 * after cmocka.h. */
#ifndef SG_SINK_HELPERS_H
#define SG_SINK_HELPERS_H

#include <string.h>

#include <cjson/cJSON.h>

#include "sink.h"

/* A sink of `ops` from `json` (which must parse), errors naming `where` (e.g.
 * "venue.json: outputs.cot"); NULL with *e when the block is refused. */
static inline sink *sink_from_text(const sink_ops *ops, const char *json, const char *where,
                                   const sink_env *env, sg_errinfo *e)
{
    cJSON *b = cJSON_Parse(json);
    assert_non_null(b);
    sink *s = sink_create(ops, b, where, env, e);
    cJSON_Delete(b);
    return s;
}

/* s (made from `json`) must be NULL with an error message holding `needle`. */
static inline void expect_refused(const sink *s, const sg_errinfo *e, const char *json,
                                  const char *needle)
{
    if (s)
        fail_msg("accepted %s", json);
    if (!strstr(e->msg, needle))
        fail_msg("%s: message \"%s\" lacks \"%s\"", json, e->msg, needle);
}

#endif
