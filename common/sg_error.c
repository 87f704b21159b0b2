/* Error string table and error-detail helpers (see sg_error.h). */
#include "sg_error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const sg_err_text[SG_ERR_COUNT_] = {
    "ok",
    "out of memory",
    "invalid argument",
    "input/output error",
    "malformed input",
    "value out of range",
    "not supported in this build",
    "buffer or queue full",
    "try again",
    "checksum mismatch",
    "not found",
    "invalid state",
    "authentication failed",
    "timed out",
    "no such device",
    "end of input",
    "truncated input",
};

const char *sg_strerror(int code)
{
    int i = -code;
    if (i < 0 || i >= SG_ERR_COUNT_)
        return "unknown error";
    return sg_err_text[i];
}

int sg_err_set(sg_errinfo *e, int code, const char *fmt, ...)
{
    if (e) {
        va_list ap;
        e->code = code;
        va_start(ap, fmt);
        vsnprintf(e->msg, sizeof e->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}

int sg_err_prefix(sg_errinfo *e, const char *prefix)
{
    if (!e)
        return SG_EINVAL;
    char tmp[sizeof e->msg];
    snprintf(tmp, sizeof tmp, "%s: %s", prefix, e->msg);
    memcpy(e->msg, tmp, sizeof tmp);
    return e->code;
}
