/* Login for the operator map (sg_web): a shared secret token (or password) kept in a
 * file on the server, typed once into the login form, exchanged for a random
 * session cookie. The secret itself is never sent to a browser; the cookie is
 * HttpOnly, SameSite=Strict and Secure under TLS.
 *
 * Token file: one line, 16..256 printable characters (the trailing newline is
 * ignored); a regular file not accessible by "other" and not writable by group
 * (like the feed's secret key files, docs/security.md), else refused.
 * Sessions: at most WEB_AUTH_MAX_SESSIONS, each valid WEB_AUTH_SESSION_S after its
 * last use; the oldest is evicted when full. Thread-safe (one mutex). */
#ifndef SG_WEB_AUTH_H
#define SG_WEB_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#include "sg_error.h"

#define WEB_AUTH_MAX_SESSIONS 64
#define WEB_AUTH_SESSION_S (12 * 3600.0) /* s idle before a session ends */
#define WEB_AUTH_SID_LEN 64               /* hex characters of a session id */
#define WEB_AUTH_NAME_LEN 32              /* operator name shown on acknowledgements */

typedef struct web_auth web_auth;

/* Loads the token file. NULL + e (SG_EIO unreadable, SG_EAUTH permissions,
 * SG_EFORMAT length/characters, SG_ENOMEM) naming the file. */
web_auth *web_auth_load(const char *token_file, sg_errinfo *e);
void web_auth_destroy(web_auth *a);

/* Checks a typed token in constant time; on a match creates a session for operator
 * `name` (may be NULL/"", sanitised to printable ASCII, <= WEB_AUTH_NAME_LEN - 1) and
 * writes its id (WEB_AUTH_SID_LEN hex + NUL) to sid. now: monotonic s. Returns SG_OK,
 * SG_EAUTH (wrong token), SG_EIO (no randomness). */
int web_auth_login(web_auth *a, const char *token, const char *name, double now, char *sid,
                   size_t cap);

/* True if sid names a live session (refreshing it); its operator name goes to name. */
bool web_auth_check(web_auth *a, const char *sid, double now, char *name, size_t cap);

/* Ends the session (no-op if unknown). */
void web_auth_logout(web_auth *a, const char *sid);

/* Keeps printable ASCII except quotes, backslash and angle brackets; <= cap-1 bytes. */
void web_auth_sanitize(const char *in, char *out, size_t cap);

#endif
