/* CURVE key files (see feed_auth.h): load (JSON, czmq zcert or a bare public key),
 * generate, save atomically with the secret never world-readable, and the Z85 helpers. */
#include "feed_auth_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zmq.h>

#include "sg_json.h"

bool feed_key_z85_valid(const char *z85)
{
    uint8_t bin[32];
    return z85 && strlen(z85) == FEED_KEY_Z85_LEN && zmq_z85_decode(bin, z85) != NULL;
}

int feed_key_decode(const char *z85, uint8_t out[32], const char *what, sg_errinfo *e)
{
    if (!z85 || strlen(z85) != FEED_KEY_Z85_LEN)
        return sg_err_set(e, SG_EFORMAT, "%s: a CURVE key must be %d Z85 characters, got %zu",
                          what, FEED_KEY_Z85_LEN, z85 ? strlen(z85) : (size_t)0);
    if (!zmq_z85_decode(out, z85))
        return sg_err_set(e, SG_EFORMAT, "%s: not a valid Z85 key", what);
    return SG_OK;
}

static int perm_error(const char *path, mode_t mode, sg_errinfo *e)
{
    return sg_err_set(e, SG_EAUTH, "%s: holds a secret key but has mode %04o; it must not be "
                      "readable by others (run: chmod 600 %s)", path, (unsigned)(mode & 07777),
                      path);
}

int feed_key_read_file(const char *path, int perm, char **out, mode_t *mode, sg_errinfo *e)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return sg_err_set(e, SG_EIO, "%s: cannot open: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        int err = errno;
        close(fd);
        return sg_err_set(e, SG_EIO, "%s: cannot stat: %s", path, strerror(err));
    }
    if (!S_ISREG(sb.st_mode)) {
        close(fd);
        return sg_err_set(e, SG_EINVAL, "%s: not a regular file", path);
    }
    if (mode)
        *mode = sb.st_mode;
    if (perm == PERM_NOT_WRITABLE && (sb.st_mode & (S_IWOTH | S_IWGRP))) {
        close(fd);
        return sg_err_set(e, SG_EAUTH, "%s: allow-list is writable by group/others (mode "
                          "%04o); anyone could add a key (run: chmod 644 %s)", path,
                          (unsigned)(sb.st_mode & 07777), path);
    }
    if (sb.st_size > (off_t)KEY_FILE_MAX) {
        close(fd);
        return sg_err_set(e, SG_ERANGE, "%s: larger than %u bytes", path, KEY_FILE_MAX);
    }
    size_t cap = (size_t)sb.st_size + 1, n = 0;
    char *buf = malloc(cap);
    if (!buf) {
        close(fd);
        return sg_err_set(e, SG_ENOMEM, "%s: out of memory", path);
    }
    while (n < cap - 1) {
        ssize_t r = read(fd, buf + n, cap - 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int err = errno;
            free(buf);
            close(fd);
            return sg_err_set(e, SG_EIO, "%s: read error: %s", path, strerror(err));
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    buf[n] = '\0';
    if (strlen(buf) != n) {
        free(buf);
        return sg_err_set(e, SG_EFORMAT, "%s: not a text file (contains NUL bytes)", path);
    }
    *out = buf;
    return SG_OK;
}


/* ---- key files ---------------------------------------------------------------------- */

/* zcert: finds `name = "value"` on a line (czmq writes 4-space-indented "curve" section). */
static int zcert_value(const char *text, const char *name, char *out, size_t cap)
{
    out[0] = '\0';
    size_t nl = strlen(name);
    for (const char *line = text, *eol; line && *line; line = eol ? eol + 1 : NULL) {
        eol = strchr(line, '\n');
        const char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        if (strncmp(p, name, nl) != 0)
            continue;
        p += nl;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p++ != '=')
            continue;
        while (*p == ' ' || *p == '\t')
            p++;
        char quote = (*p == '"' || *p == '\'') ? *p++ : 0;
        size_t n = 0;
        while (p[n] && p[n] != '\n' && p[n] != '\r' && (quote ? p[n] != quote : p[n] != ' '))
            n++;
        if (n >= cap)
            return SG_ERANGE;
        memcpy(out, p, n);
        out[n] = '\0';
        return SG_OK;
    }
    return SG_ENOTFOUND;
}

int feed_key_load(const char *path, bool need_secret, feed_keypair *kp, sg_errinfo *e)
{
    memset(kp, 0, sizeof *kp);
    char *text;
    mode_t mode = 0;
    /* permissions are judged after parsing: only a file that holds a secret must be private */
    int rc = feed_key_read_file(path, PERM_NONE, &text, &mode, e);
    if (rc)
        return rc;
    const char *p = text;
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    char pub[64] = "", sec[64] = "";
    /* a bare public key first: '{' is a Z85 character and can start a key */
    size_t first = strcspn(p, " \t\r\n");
    bool bare = false;
    if (first == 40) {
        memcpy(pub, p, first);
        pub[first] = '\0';
        bare = feed_key_z85_valid(pub);
        if (!bare)
            pub[0] = '\0';
    }
    if (bare) {
        /* pub holds it */
    } else if (*p == '{') {
        sg_errinfo je = {0};
        cJSON *root = sgj_parse(path, text, strlen(text), &je);
        static const char *const keys[] = {"public", "secret", NULL};
        if (!root || !cJSON_IsObject(root) ||
            (rc = sgj_check_keys(root, path, keys, &je)) ||
            (rc = sgj_string(root, path, "public", false, "", pub, sizeof pub, &je)) ||
            (rc = sgj_string(root, path, "secret", false, "", sec, sizeof sec, &je))) {
            if (root && !je.msg[0])
                sg_err_set(&je, SG_EFORMAT, "%s: must be a JSON object", path);
            cJSON_Delete(root);
            free(text);
            return sg_err_set(e, SG_EFORMAT, "%s", je.msg[0] ? je.msg : "bad key file");
        }
        cJSON_Delete(root);
    } else if (zcert_value(text, "public-key", pub, sizeof pub) != SG_ENOTFOUND ||
               zcert_value(text, "secret-key", sec, sizeof sec) != SG_ENOTFOUND) {
        zcert_value(text, "public-key", pub, sizeof pub);
        zcert_value(text, "secret-key", sec, sizeof sec);
    } else if (first < sizeof pub) {
        memcpy(pub, p, first);
        pub[first] = '\0';
    }
    free(text);

    uint8_t bin[32];
    char what[FEED_AUTH_PATH_LEN + 32];
    if (need_secret && !sec[0])
        return sg_err_set(e, SG_EFORMAT, "%s: no secret key (want {\"public\": ..., \"secret\": "
                          "...} or a zcert secret certificate)", path);
    if (sec[0]) {
        if (mode & (S_IRWXO | S_IWGRP))
            return perm_error(path, mode, e);
        snprintf(what, sizeof what, "%s: secret", path);
        if ((rc = feed_key_decode(sec, bin, what, e)))
            return rc;
        char derived[FEED_KEY_Z85_LEN + 1];
        if (zmq_curve_public(derived, sec) != 0)
            return sg_err_set(e, SG_ENOTSUP, "%s: libzmq cannot derive CURVE public keys", path);
        if (pub[0] && strcmp(pub, derived) != 0)
            return sg_err_set(e, SG_EFORMAT, "%s: public key does not belong to the secret key",
                              path);
        memcpy(kp->secret_z85, sec, FEED_KEY_Z85_LEN + 1);
        memcpy(kp->public_z85, derived, FEED_KEY_Z85_LEN + 1);
        return SG_OK;
    }
    if (!pub[0])
        return sg_err_set(e, SG_EFORMAT, "%s: no public key found", path);
    snprintf(what, sizeof what, "%s: public", path);
    if ((rc = feed_key_decode(pub, bin, what, e)))
        return rc;
    memcpy(kp->public_z85, pub, FEED_KEY_Z85_LEN + 1);
    return SG_OK;
}

int feed_key_generate(feed_keypair *kp, sg_errinfo *e)
{
    memset(kp, 0, sizeof *kp);
    if (!zmq_has("curve"))
        return sg_err_set(e, SG_ENOTSUP, "this libzmq was built without CURVE");
    if (zmq_curve_keypair(kp->public_z85, kp->secret_z85) != 0)
        return sg_err_set(e, SG_ENOTSUP, "zmq_curve_keypair: %s", zmq_strerror(errno));
    return SG_OK;
}

int feed_key_save(const char *path, const feed_keypair *kp, bool with_secret, bool overwrite,
                  sg_errinfo *e)
{
    if (!feed_key_z85_valid(kp->public_z85) ||
        (with_secret && !feed_key_z85_valid(kp->secret_z85)))
        return sg_err_set(e, SG_EINVAL, "%s: refusing to write an invalid key", path);
    char tmp[FEED_AUTH_PATH_LEN + 16];
    if (snprintf(tmp, sizeof tmp, "%s.tmpXXXXXX", path) >= (int)sizeof tmp)
        return sg_err_set(e, SG_ERANGE, "%s: path too long", path);
    int fd = mkstemp(tmp); /* created 0600: the secret is never briefly world-readable */
    if (fd < 0)
        return sg_err_set(e, SG_EIO, "%s: cannot create temporary file: %s", path,
                          strerror(errno));
    char body[256];
    int n = with_secret ? snprintf(body, sizeof body, "{\"public\": \"%s\", \"secret\": \"%s\"}\n",
                                   kp->public_z85, kp->secret_z85)
                        : snprintf(body, sizeof body, "{\"public\": \"%s\"}\n", kp->public_z85);
    int rc = SG_OK;
    if (!with_secret && fchmod(fd, 0644) != 0)
        rc = sg_err_set(e, SG_EIO, "%s: chmod: %s", tmp, strerror(errno));
    if (!rc && (write(fd, body, (size_t)n) != (ssize_t)n || fsync(fd) != 0))
        rc = sg_err_set(e, SG_EIO, "%s: write: %s", tmp, strerror(errno));
    if (close(fd) != 0 && !rc)
        rc = sg_err_set(e, SG_EIO, "%s: close: %s", tmp, strerror(errno));
    if (!rc) {
        if (overwrite) {
            if (rename(tmp, path) != 0)
                rc = sg_err_set(e, SG_EIO, "%s: rename: %s", path, strerror(errno));
        } else if (link(tmp, path) != 0) { /* fails if path exists: no clobbering race */
            rc = sg_err_set(e, errno == EEXIST ? SG_EINVAL : SG_EIO, "%s: %s", path,
                            errno == EEXIST ? "exists (not overwritten)" : strerror(errno));
        }
    }
    if (rc || !overwrite)
        unlink(tmp);
    return rc;
}

