/* libFuzzer target: CURVE key files (JSON, zcert, bare Z85) and client allow-list files,
 * as read by feed_key_load() and feed_auth_reload(). Both come from disk, but an
 * operator may point the daemon at a file someone else wrote, so they get the same
 * treatment as network input.
 *
 * The input is written to one memfd (mode 0600, so the permission checks pass and the
 * parsers run) reached through /proc/self/fd/N. Properties: a loaded key pair has a
 * valid public key and, when a secret was required, a valid secret whose public key it
 * is; a failed reload leaves the old allow-list in force. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zmq.h>

#include "feed_auth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char server_secret[] = "*d(dSJ@*AZO@6=VehQ%C:Adum!s8huuyT$keIUmi";
static const char client_public[] = "rqg7d{k14p!buc:*+u0^2H4>icDYXlOTlNWWH6lY";
static int fd = -1;
static char path[64];
static feed_auth *auth;

static void put(const void *data, size_t size)
{
    if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
        abort();
}

static void setup(void)
{
    fd = memfd_create("sg_fuzz_key", MFD_CLOEXEC);
    if (fd < 0 || fchmod(fd, 0600) != 0)
        abort();
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    put(client_public, strlen(client_public));
    feed_auth_cfg cfg;
    sg_errinfo e;
    feed_auth_cfg_default(&cfg);
    memcpy(cfg.server_secret_z85, server_secret, sizeof server_secret);
    snprintf(cfg.client_keys_file, sizeof cfg.client_keys_file, "%s", path);
    void *ctx = zmq_ctx_new();
    auth = ctx ? feed_auth_create(ctx, &cfg, &e) : NULL;
    if (!auth)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!auth)
        setup();
    put(data, size);
    feed_keypair kp;
    sg_errinfo e = {0};
    for (int need = 0; need < 2; need++) {
        if (feed_key_load(path, need, &kp, &e) != SG_OK)
            continue;
        if (!feed_key_z85_valid(kp.public_z85))
            abort();
        if (need || kp.secret_z85[0]) {
            char pub[FEED_KEY_Z85_LEN + 1];
            if (!feed_key_z85_valid(kp.secret_z85) || zmq_curve_public(pub, kp.secret_z85) ||
                strcmp(pub, kp.public_z85) != 0)
                abort();
        }
    }
    feed_auth_stats before, after;
    feed_auth_get_stats(auth, &before);
    int rc = feed_auth_reload(auth, &e);
    feed_auth_get_stats(auth, &after);
    if (rc != SG_OK ? after.allowed_keys != before.allowed_keys
                    : (after.allowed_keys < 1 || after.allowed_keys > FEED_AUTH_MAX_KEYS))
        abort();
    return 0;
}
