/* CURVE key files: Z85 helpers and the small-file reader shared by the key files
 * (feed_keys.c) and the allow-list (feed_auth.c). Internal to adapters/. */
#ifndef SG_FEED_AUTH_INT_H
#define SG_FEED_AUTH_INT_H

#include <stdint.h>
#include <sys/types.h>

#include "feed_auth.h"
#include "sg_error.h"

#define KEY_FILE_MAX (256u << 10) /* bytes: key and allow-list files are small */

/* Decodes a 40-character Z85 key into 32 bytes; `what` names it in the error. */
int feed_key_decode(const char *z85, uint8_t out[32], const char *what, sg_errinfo *e);

/* Opens and reads a small text file (at most KEY_FILE_MAX bytes, no NUL) into *out
 * (malloc'd, NUL-terminated; the caller frees); checks permissions on the open descriptor
 * (no race between check and read) and returns its mode in *mode (may be NULL) for
 * checks after parsing. PERM_NOT_WRITABLE (allow-lists): no write for group or other. */
enum { PERM_NONE, PERM_NOT_WRITABLE };
int feed_key_read_file(const char *path, int perm, char **out, mode_t *mode, sg_errinfo *e);

#endif
