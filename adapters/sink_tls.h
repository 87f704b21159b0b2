/* TLS for the sinks' TCP streams (sink_tcp), through OpenSSL (CMake option SG_WITH_OPENSSL,
 * package libssl-dev): server verified against ca_file (and its name against server_name or
 * host), client certificate and key for servers that require one (TAK Server's secure
 * input, typically port 8089). Config block "tls":
 *   {"ca_file": "ca.pem", "cert_file": "client.pem", "key_file": "client.key",
 *    "server_name": "tak.example.org", "insecure": false}
 * A build without OpenSSL refuses the block (sink_tls_parse). Worker thread only. */
#ifndef SG_SINK_TLS_H
#define SG_SINK_TLS_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "sg_error.h"

typedef struct sink_tls sink_tls;

/* Parses block (where names it) and loads the files now, so a bad path or key fails at
 * start-up; base_file resolves relative paths. host is the default server name. */
sink_tls *sink_tls_parse(const cJSON *block, const char *where, const char *base_file,
                         const char *host, sg_errinfo *e);
void sink_tls_free(sink_tls *t);

/* Handshake on the connected non-blocking socket fd within timeout_s. SG_OK, or SG_EAUTH
 * (certificate refused either way) / SG_EIO / SG_ETIMEOUT; the session is then gone. */
int sink_tls_connect(sink_tls *t, int fd, double timeout_s);
/* Writes all of buf within timeout_s: SG_OK, or SG_EIO / SG_ETIMEOUT. */
int sink_tls_send(sink_tls *t, const void *buf, size_t n, double timeout_s);
/* Reads and discards what the server sent without blocking; false once the peer closed. */
bool sink_tls_poll_open(sink_tls *t);
/* Ends the session (the caller closes fd). */
void sink_tls_end(sink_tls *t);

#endif
