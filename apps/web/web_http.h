/* HTTP side of the operator map (sg_web), on libmicrohttpd: the static page, the
 * map library (installed from npm into web/node_modules), optional local map tiles,
 * the live picture as Server-Sent Events, acknowledgements, and the login.
 *
 * Routes:
 *   GET  /                     index.html       GET /<name>.(js|css|html|svg|png)  web root
 *   GET  /vendor/leaflet/...   web/node_modules/leaflet/dist/...
 *   GET  /tiles/Z/X/Y.png      the venue's local XYZ folder (when configured)
 *   GET  /events               text/event-stream: "venue", "snapshot", then "msg",
 *                              "feed", "zones", "ack", "expire" events (web_picture.h)
 *   GET  /api/snapshot         the picture as JSON
 *   POST /api/ack              {"id": alert id}; JSON content type, same origin
 *   GET|POST /login, POST /logout   when a token file is configured (the login page,
 *                              login.css, login.js and favicon.svg need no session)
 * Every response carries a Content-Security-Policy without inline scripts or styles
 * (script-src 'self'), X-Content-Type-Options, Referrer-Policy, X-Frame-Options;
 * under TLS also Strict-Transport-Security.
 *
 * Safe by default: the listen address must be a literal; anything but loopback
 * (127.0.0.0/8, ::1) is refused unless TLS (certificate + key) and a login are both
 * configured. One thread per connection (at most WEB_HTTP_MAX_CONN); an event stream
 * blocks its own thread only. */
#ifndef SG_WEB_HTTP_H
#define SG_WEB_HTTP_H

#include <stdbool.h>
#include <sys/socket.h>

#include "sg_error.h"
#include "web_auth.h"
#include "web_picture.h"

#define WEB_HTTP_MAX_CONN 64
#define WEB_HTTP_KEEPALIVE_S 10.0 /* s between SSE comments on a quiet stream */

typedef void (*web_log_fn)(void *cls, const char *msg);

typedef struct {
    const char *listen;        /* "ADDR:PORT": IPv4 literal or [IPv6]; PORT 0 = any free */
    const char *web_root;      /* folder holding index.html, app.js, ... */
    const char *tiles_dir;     /* local XYZ folder or NULL/"" */
    const char *tiles_url;     /* remote tile template (its origin is allowed in img-src) or "" */
    const char *tls_cert_file; /* PEM, NULL/"" = plain HTTP */
    const char *tls_key_file;  /* PEM private key (0600 rule as for tokens) */
    web_auth *auth;            /* NULL: no login (loopback only) */
    web_picture *pic;
    const char *venue_json;    /* sent first on every event stream (copied) */
    web_log_fn log;            /* notable events (logins, refusals); may be NULL */
    void *log_cls;
} web_http_cfg;

typedef struct web_http web_http;

/* Parses "ADDR:PORT" into a socket address. SG_EINVAL naming the text on names,
 * wildcards written as "*", a bad port. */
int web_listen_parse(const char *listen, struct sockaddr_storage *ss, socklen_t *len,
                     sg_errinfo *e);
/* True for 127.0.0.0/8 and ::1 literals. */
bool web_listen_is_loopback(const char *listen);

/* Starts serving. NULL + e: bad address, exposure without TLS and login, unreadable
 * or too open TLS files, libmicrohttpd without TLS, port in use. */
web_http *web_http_start(const web_http_cfg *c, sg_errinfo *e);
int web_http_port(const web_http *h);
/* Ends every stream and stops the server (joins its threads). */
void web_http_stop(web_http *h);

#endif
