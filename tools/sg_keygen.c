/* sg_keygen: makes CURVE key pairs for the operator feed (docs/security.md).
 *
 *   sg_keygen [-f] NAME        writes NAME.key (public + secret, mode 0600) and NAME.pub
 *                              (public only, 0644), atomically; prints the public key
 *   sg_keygen --public FILE    prints the public key of an existing key file
 *
 * The daemon's server key goes in outputs.feed.security.server_secret_key_file; each
 * operator console's NAME.pub key goes on the server's allow-list, and the console gets
 * the server's .pub file. Exit codes: 0 ok, 1 failure, 2 usage. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "feed_auth.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: sg_keygen [-f] NAME       write NAME.key (secret, 0600) and NAME.pub\n"
               "       sg_keygen --public FILE   print the public key of a key file\n"
               "  -f  overwrite existing files\n");
}

int main(int argc, char **argv)
{
    bool force = false;
    const char *name = NULL, *show = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-f") == 0) {
            force = true;
        } else if (strcmp(argv[i], "--public") == 0 && i + 1 < argc) {
            show = argv[++i];
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        } else if (argv[i][0] == '-' || name) {
            usage(stderr);
            return 2;
        } else {
            name = argv[i];
        }
    }
    sg_errinfo e = {0};
    feed_keypair kp;
    if (show) {
        if (feed_key_load(show, false, &kp, &e) != SG_OK) {
            fprintf(stderr, "sg_keygen: %s\n", e.msg);
            return 1;
        }
        printf("%s\n", kp.public_z85);
        return 0;
    }
    if (!name) {
        usage(stderr);
        return 2;
    }
    char sec_path[FEED_AUTH_PATH_LEN], pub_path[FEED_AUTH_PATH_LEN];
    if (snprintf(sec_path, sizeof sec_path, "%s.key", name) >= (int)sizeof sec_path ||
        snprintf(pub_path, sizeof pub_path, "%s.pub", name) >= (int)sizeof pub_path) {
        fprintf(stderr, "sg_keygen: %s: name too long\n", name);
        return 1;
    }
    if (feed_key_generate(&kp, &e) != SG_OK ||
        feed_key_save(sec_path, &kp, true, force, &e) != SG_OK ||
        feed_key_save(pub_path, &kp, false, force, &e) != SG_OK) {
        fprintf(stderr, "sg_keygen: %s\n", e.msg);
        memset(&kp, 0, sizeof kp);
        return 1;
    }
    memset(&kp, 0, sizeof kp);
    fprintf(stderr, "sg_keygen: wrote %s (secret, keep private) and %s\n", sec_path, pub_path);
    feed_key_load(pub_path, false, &kp, &e);
    printf("%s\n", kp.public_z85);
    return 0;
}
