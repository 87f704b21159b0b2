/* Token login and sessions for the operator map (see web_auth.h). */
#include "web_auth.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "sg_json.h"

#define TOKEN_MIN 16
#define TOKEN_MAX 256

typedef struct {
    char sid[WEB_AUTH_SID_LEN + 1]; /* "" = free slot */
    char name[WEB_AUTH_NAME_LEN];
    double last;                    /* monotonic s of the last use */
} session;

struct web_auth {
    pthread_mutex_t mu;
    char token[TOKEN_MAX + 1];
    size_t token_len;
    session s[WEB_AUTH_MAX_SESSIONS];
};

web_auth *web_auth_load(const char *path, sg_errinfo *e)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        sg_err_set(e, SG_EIO, "%s: %s", path, strerror(errno));
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        sg_err_set(e, SG_EIO, "%s: not a regular file", path);
        return NULL;
    }
    if (st.st_mode & (S_IRWXO | S_IWGRP)) {
        sg_err_set(e, SG_EAUTH, "%s: token file is accessible by others or writable by group "
                   "(mode %03o); run: chmod 600 %s", path, (unsigned)(st.st_mode & 0777), path);
        return NULL;
    }
    char *text = NULL;
    size_t len = 0;
    if (sg_read_file(path, 4096, &text, &len, e))
        return NULL;
    while (len && (text[len - 1] == '\n' || text[len - 1] == '\r'))
        len--;
    bool printable = true;
    for (size_t i = 0; i < len; i++)
        printable = printable && text[i] > 0x20 && text[i] < 0x7f;
    if (len < TOKEN_MIN || len > TOKEN_MAX || !printable) {
        sg_err_set(e, SG_EFORMAT, "%s: the token must be one line of %d to %d printable "
                   "characters without spaces (got %zu bytes)", path, TOKEN_MIN, TOKEN_MAX, len);
        free(text);
        return NULL;
    }
    web_auth *a = calloc(1, sizeof *a);
    if (!a) {
        free(text);
        sg_err_set(e, SG_ENOMEM, "%s: out of memory", path);
        return NULL;
    }
    memcpy(a->token, text, len);
    a->token_len = len;
    explicit_bzero(text, len);
    free(text);
    pthread_mutex_init(&a->mu, NULL);
    return a;
}

void web_auth_destroy(web_auth *a)
{
    if (!a)
        return;
    pthread_mutex_destroy(&a->mu);
    explicit_bzero(a, sizeof *a);
    free(a);
}

/* Constant time in the length of the secret, whatever is typed. */
static bool token_equal(const web_auth *a, const char *typed)
{
    size_t n = strnlen(typed, TOKEN_MAX + 1);
    unsigned diff = n != a->token_len;
    for (size_t i = 0; i < a->token_len; i++)
        diff |= (unsigned char)a->token[i] ^ (unsigned char)(i < n ? typed[i] : 0);
    return diff == 0;
}

void web_auth_sanitize(const char *in, char *out, size_t cap)
{
    size_t k = 0;
    for (size_t i = 0; in && in[i] && k + 1 < cap; i++) {
        char c = in[i];
        if (c >= 0x20 && c < 0x7f && !strchr("\"'\\<>&`", c))
            out[k++] = c;
    }
    if (cap)
        out[k] = '\0';
}

int web_auth_login(web_auth *a, const char *token, const char *name, double now, char *sid,
                   size_t cap)
{
    if (!token || !token_equal(a, token))
        return SG_EAUTH;
    if (cap < WEB_AUTH_SID_LEN + 1)
        return SG_EINVAL;
    unsigned char rnd[WEB_AUTH_SID_LEN / 2];
    if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
        return SG_EIO;
    for (size_t i = 0; i < sizeof rnd; i++)
        snprintf(sid + 2 * i, 3, "%02x", rnd[i]);
    pthread_mutex_lock(&a->mu);
    size_t slot = 0;
    for (size_t i = 0; i < WEB_AUTH_MAX_SESSIONS; i++) {
        if (!a->s[i].sid[0] || now - a->s[i].last > WEB_AUTH_SESSION_S) {
            slot = i;
            break;
        }
        if (a->s[i].last < a->s[slot].last)
            slot = i;
    }
    snprintf(a->s[slot].sid, sizeof a->s[slot].sid, "%s", sid);
    web_auth_sanitize(name, a->s[slot].name, sizeof a->s[slot].name);
    a->s[slot].last = now;
    pthread_mutex_unlock(&a->mu);
    return SG_OK;
}

bool web_auth_check(web_auth *a, const char *sid, double now, char *name, size_t cap)
{
    if (!sid || strlen(sid) != WEB_AUTH_SID_LEN)
        return false;
    bool ok = false;
    pthread_mutex_lock(&a->mu);
    for (size_t i = 0; i < WEB_AUTH_MAX_SESSIONS && !ok; i++) {
        session *s = &a->s[i];
        if (s->sid[0] && now - s->last <= WEB_AUTH_SESSION_S &&
            memcmp(s->sid, sid, WEB_AUTH_SID_LEN) == 0) {
            ok = true;
            s->last = now;
            if (name && cap)
                snprintf(name, cap, "%s", s->name);
        }
    }
    pthread_mutex_unlock(&a->mu);
    return ok;
}

void web_auth_logout(web_auth *a, const char *sid)
{
    if (!sid)
        return;
    pthread_mutex_lock(&a->mu);
    for (size_t i = 0; i < WEB_AUTH_MAX_SESSIONS; i++)
        if (a->s[i].sid[0] && strcmp(a->s[i].sid, sid) == 0)
            memset(&a->s[i], 0, sizeof a->s[i]);
    pthread_mutex_unlock(&a->mu);
}
