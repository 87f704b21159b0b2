/* Project-wide error codes and error details.
 *
 * Every library function returns int: 0 (SG_OK) on success or a negative sg_err code.
 * Constructors return NULL and fill an sg_errinfo so the caller can say which input
 * and which key were wrong. Libraries never print: apps decide what to log. */
#ifndef SG_ERROR_H
#define SG_ERROR_H

#include <stddef.h>

typedef enum {
    SG_OK = 0,
    SG_ENOMEM = -1,     /* allocation failed */
    SG_EINVAL = -2,     /* invalid argument or configuration value */
    SG_EIO = -3,        /* read/write/open failed */
    SG_EFORMAT = -4,    /* malformed input (file, frame, message) */
    SG_ERANGE = -5,     /* value out of its valid range */
    SG_ENOTSUP = -6,    /* feature not built in or not supported */
    SG_EOVERFLOW = -7,  /* a bounded buffer or queue is full */
    SG_EAGAIN = -8,     /* nothing available now; try again */
    SG_ECRC = -9,       /* checksum / CRC mismatch */
    SG_ENOTFOUND = -10, /* named thing does not exist */
    SG_ESTATE = -11,    /* call not valid in the object's current state */
    SG_EAUTH = -12,     /* authentication / authorisation failed */
    SG_ETIMEOUT = -13,  /* timed out */
    SG_ENODEV = -14,    /* device missing or failed */
    SG_EEOF = -15,      /* end of input */
    SG_ETRUNC = -16,    /* input ended before a complete record */
    SG_ERR_COUNT_ = 17
} sg_err;

/* Static English text for a code; never NULL (unknown codes give "unknown error"). */
const char *sg_strerror(int code);

/* Details of the last failure: which input, which key, what was wrong.
 * Filled by functions that take an sg_errinfo *; NULL is accepted everywhere. */
typedef struct {
    int code;       /* sg_err */
    char msg[512];  /* e.g. "site.json: sensors[2].position.lat: must be in [-90, 90], got 123" */
} sg_errinfo;

/* Sets e (if not NULL) to code and a printf-style message; returns code so callers
 * can write `return sg_err_set(e, SG_EINVAL, "...")`. Thread-safe (no globals). */
int sg_err_set(sg_errinfo *e, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefixes the existing message with "prefix: " (e.g. a file name). Returns e->code. */
int sg_err_prefix(sg_errinfo *e, const char *prefix);

#endif
