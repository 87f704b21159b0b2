/* Security of the operator feed: CURVE encryption and client authentication for the
 * daemon's ZeroMQ PUB/XPUB socket (see docs/security.md, docs/feed-schema.md).
 *
 * ZeroMQ's CURVE alone encrypts but accepts ANY client that knows the server public
 * key. feed_auth adds a ZAP handler (RFC 27, ZAP/1.0: a thread with a REP socket on
 * inproc://zeromq.zap.01 in the daemon's context) that admits only client public keys
 * on an allow-list from config, refuses everyone else with status 400, counts every
 * refusal and keeps the latest in a bounded ring the daemon drains and logs (this
 * library never prints). Plaintext is possible only when configured explicitly AND the
 * endpoint is loopback (tcp://127.0.0.0/8, tcp://[::1], ipc://, inproc://).
 *
 * Use (daemon side):
 *     feed_auth_cfg cfg;  feed_auth_cfg_from_json(&cfg, sec, "site.json: outputs.feed.security",
 *                                                 "site.json", &e);
 *     feed_auth *auth = feed_auth_create(ctx, &cfg, &e);      // starts the ZAP thread
 *     void *pub = zmq_socket(ctx, ZMQ_XPUB);
 *     feed_auth_apply(auth, pub, endpoint, &e);                // before zmq_bind
 *     zmq_bind(pub, endpoint);
 *     ... periodically: feed_auth_get_stats(), feed_auth_drain_refusals() -> log ...
 *     zmq_close(pub);  feed_auth_destroy(auth);  zmq_ctx_term(ctx);
 * ORDER MATTERS at shutdown: close every secured socket before feed_auth_destroy. With
 * no ZAP handler in the context, libzmq 4.3 lets any CURVE client with the server key in.
 * The handler answers for the whole context: secure every CURVE server socket in it
 * with feed_auth_apply (requests from other ZAP domains are refused).
 *
 * Key files (written by tools/sg_keygen, read by feed_key_load):
 *   JSON   {"public": "<40 Z85 chars>", "secret": "<40 Z85 chars>"}   (secret optional)
 *   zcert  czmq text certificates: lines  public-key = "..."  /  secret-key = "..."
 *   bare   a file holding only a 40-character Z85 public key (public keys only)
 * A file holding a secret key must be a regular file, not accessible by "other" and not
 * writable by group (e.g. mode 0600 or 0640); otherwise it is refused (SG_EAUTH).
 * Client allow-list files: one Z85 public key per line, optionally followed by blanks
 * and a "# comment"; blank lines and lines starting with '#' are ignored ('#' is a Z85
 * character, but never the first of a key); must not be writable by group or other. */
#ifndef FEED_AUTH_H
#define FEED_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "sg_error.h"

#define FEED_KEY_Z85_LEN 40          /* characters of a Z85 CURVE key (32 bytes binary) */
#define FEED_AUTH_PATH_LEN 512       /* bytes incl. NUL */
#define FEED_AUTH_MAX_INLINE_KEYS 64 /* "client_keys" entries in the config itself */
#define FEED_AUTH_MAX_KEYS 4096      /* allow-list size incl. the keys file */
#define FEED_AUTH_RING 64            /* refusals kept for the daemon to drain */
#define FEED_AUTH_ZAP_DOMAIN "skyguard.feed"

typedef enum {
    FEED_AUTH_CURVE = 0, /* encrypted; clients must be on the allow-list */
    FEED_AUTH_PLAINTEXT, /* unencrypted, unauthenticated: loopback endpoints only */
} feed_auth_mode;

typedef struct {
    feed_auth_mode mode;
    /* Server key pair file (JSON or zcert, with the secret). Required for CURVE. */
    char server_secret_key_file[FEED_AUTH_PATH_LEN];
    /* Optional allow-list file (one Z85 key per line); "" for none. */
    char client_keys_file[FEED_AUTH_PATH_LEN];
    int n_client_keys; /* inline keys, 0..FEED_AUTH_MAX_INLINE_KEYS */
    char client_keys[FEED_AUTH_MAX_INLINE_KEYS][FEED_KEY_Z85_LEN + 1];
    /* Programmatic only (tests, tools): a Z85 server secret used instead of the file;
     * never read from JSON, because secrets do not belong in config files. "" if unused. */
    char server_secret_z85[FEED_KEY_Z85_LEN + 1];
} feed_auth_cfg;

/* CURVE mode, no keys: create() refuses it until keys are given. */
void feed_auth_cfg_default(feed_auth_cfg *cfg);

/* Reads the "security" object:
 *   {"mode": "curve" | "plaintext",                 (required: no silent default)
 *    "server_secret_key_file": "keys/server.key",   (required for curve)
 *    "client_keys": ["Z85...", ...],                (optional, <= 64)
 *    "client_keys_file": "keys/clients.txt"}        (optional)
 * Curve needs at least one of client_keys / client_keys_file. Relative paths are
 * resolved against the directory of base_file (NULL: kept as written). Unknown keys,
 * malformed Z85 keys and missing files' names are errors naming `where`. Files are
 * not opened here (create() does, so key problems surface there with the file name). */
int feed_auth_cfg_from_json(feed_auth_cfg *cfg, const cJSON *obj, const char *where,
                            const char *base_file, sg_errinfo *e);

/* Programmatic set-up (tools, tests): validates a Z85 public key and appends it to
 * cfg->client_keys. SG_EFORMAT for a bad key, SG_ERANGE when the inline list is full. */
int feed_auth_cfg_add_client_key(feed_auth_cfg *cfg, const char *z85, sg_errinfo *e);

typedef struct feed_auth feed_auth;

/* Loads keys and, for CURVE, binds the ZAP handler in zmq_ctx and starts its thread.
 * Fails (NULL, e filled) when libzmq lacks CURVE, a key file is missing, malformed or
 * too open, the allow-list is empty, or another ZAP handler is already bound in the
 * context. One feed_auth per context. */
feed_auth *feed_auth_create(void *zmq_ctx, const feed_auth_cfg *cfg, sg_errinfo *e);

/* Secures `socket` (PUB/XPUB, not yet bound) for `endpoint` (the string that will be
 * passed to zmq_bind). CURVE: makes it a CURVE server with the server secret key,
 * the ZAP domain and a 64 KiB inbound message limit (subscriptions are tiny; hostile
 * peers must not make us buffer more). Plaintext: only checks that the endpoint is
 * loopback; anything else is SG_EAUTH with an explanation. Call from the thread that
 * owns the socket. */
int feed_auth_apply(feed_auth *a, void *socket, const char *endpoint, sg_errinfo *e);

/* Re-reads client_keys_file (e.g. on SIGHUP) and replaces the allow-list atomically;
 * on error the old list stays in force. Thread-safe. SG_ESTATE in plaintext mode. */
int feed_auth_reload(feed_auth *a, sg_errinfo *e);

/* The server's Z85 public key (what clients configure), "" in plaintext mode. */
const char *feed_auth_server_public(const feed_auth *a);
feed_auth_mode feed_auth_get_mode(const feed_auth *a);

typedef struct {
    uint64_t requests;      /* ZAP requests handled */
    uint64_t accepted;      /* status 200 */
    uint64_t refused;       /* status 400: unknown key, wrong mechanism or domain */
    uint64_t malformed;     /* status 500: requests that broke ZAP/1.0 */
    uint64_t refusals_lost; /* refusals overwritten in the ring before being drained */
    uint64_t zap_errors;    /* zmq send/recv failures in the handler thread */
    uint32_t allowed_keys;  /* current allow-list size */
} feed_auth_stats;

/* Thread-safe snapshot of the counters. */
void feed_auth_get_stats(feed_auth *a, feed_auth_stats *out);

typedef struct {
    double wall_t;                  /* s UTC, wall clock of the refusal */
    char address[64];               /* peer IP as libzmq reports it ("" unknown) */
    char key_z85[FEED_KEY_Z85_LEN + 1]; /* client public key ("" if not CURVE) */
    char reason[64];                /* e.g. "client key not on the allow-list" */
} feed_auth_refusal;

/* Moves up to cap of the oldest undrained refusals into out; returns how many.
 * Non-blocking, thread-safe. The ring keeps the newest FEED_AUTH_RING. */
size_t feed_auth_drain_refusals(feed_auth *a, feed_auth_refusal *out, size_t cap);

/* Stops and joins the ZAP thread (within ~100 ms), closes its socket, frees.
 * Close the secured sockets first (see above). NULL is fine. */
void feed_auth_destroy(feed_auth *a);

/* Client side (operator consoles, fusion nodes subscribing to sensor nodes): makes
 * `socket` (not yet connected) a CURVE client of the server whose public key is in
 * server_key_file, authenticating with the key pair in key_file (which must hold the
 * secret and pass the permission check). Call before zmq_connect. */
int feed_auth_client_apply(void *socket, const char *server_key_file, const char *key_file,
                           sg_errinfo *e);

/* ---- keys ------------------------------------------------------------------------ */

typedef struct {
    char public_z85[FEED_KEY_Z85_LEN + 1];
    char secret_z85[FEED_KEY_Z85_LEN + 1]; /* "" when only the public key is known */
} feed_keypair;

/* New random CURVE key pair (zmq_curve_keypair). SG_ENOTSUP without CURVE. */
int feed_key_generate(feed_keypair *kp, sg_errinfo *e);

/* Reads a key file (formats above). need_secret: the file must hold a secret key,
 * pass the permission check, and its public key (if present) must match the secret.
 * Otherwise a public key is enough (a secret present is still checked). */
int feed_key_load(const char *path, bool need_secret, feed_keypair *kp, sg_errinfo *e);

/* Writes kp as JSON atomically (temp file + rename in the same directory): mode 0600
 * with the secret, 0644 public only (with_secret false). overwrite false: SG_EINVAL if
 * path exists (checked atomically with link()). */
int feed_key_save(const char *path, const feed_keypair *kp, bool with_secret, bool overwrite,
                  sg_errinfo *e);

/* True for a 40-character string that decodes as Z85. */
bool feed_key_z85_valid(const char *z85);

/* True for endpoints that cannot be reached from another machine: tcp:// with a
 * literal 127.0.0.0/8 or [::1] address, ipc://, inproc://. Names ("localhost"),
 * wildcards and interfaces are not loopback (they may resolve elsewhere). */
bool feed_endpoint_is_loopback(const char *endpoint);

/* ---- ZAP decision, exposed for tests and fuzzing ----------------------------------- */

typedef struct {
    const void *data;
    size_t size;
} feed_auth_frame;

typedef struct {
    char status[4];     /* "200", "400" or "500" */
    char text[64];      /* status text */
    char user_id[FEED_KEY_Z85_LEN + 1]; /* Z85 client key when accepted */
} feed_auth_zap_reply;

/* Decides one ZAP request of n frames (version, request id, domain, address, identity,
 * mechanism, credentials...), updating the counters and the refusal ring exactly as the
 * handler thread does. Never fails: malformed requests get "500". Thread-safe. */
void feed_auth_zap_decide(feed_auth *a, const feed_auth_frame *req, size_t n,
                          feed_auth_zap_reply *rep);

#endif
