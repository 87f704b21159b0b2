/* Checked JSON access with precise error messages (see sg_json.h). */
#include "sg_json.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int sg_read_file(const char *path, size_t max, char **out, size_t *len, sg_errinfo *e)
{
    *out = NULL;
    if (len)
        *len = 0;
    bool is_stdin = strcmp(path, "-") == 0;
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    if (!f)
        return sg_err_set(e, SG_EIO, "%s: cannot open: %s", path, strerror(errno));
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    if (!buf) {
        if (!is_stdin)
            fclose(f);
        return sg_err_set(e, SG_ENOMEM, "%s: out of memory", path);
    }
    for (;;) {
        if (n + 1 >= cap) {
            if (cap > max) {
                free(buf);
                if (!is_stdin)
                    fclose(f);
                return sg_err_set(e, SG_ERANGE, "%s: larger than %zu bytes", path, max);
            }
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                if (!is_stdin)
                    fclose(f);
                return sg_err_set(e, SG_ENOMEM, "%s: out of memory", path);
            }
            buf = nb;
            cap *= 2;
        }
        size_t r = fread(buf + n, 1, cap - 1 - n, f);
        n += r;
        if (r == 0)
            break;
    }
    int err = ferror(f);
    if (!is_stdin)
        fclose(f);
    if (err) {
        free(buf);
        return sg_err_set(e, SG_EIO, "%s: read error", path);
    }
    if (n > max) {
        free(buf);
        return sg_err_set(e, SG_ERANGE, "%s: larger than %zu bytes", path, max);
    }
    buf[n] = '\0';
    *out = buf;
    if (len)
        *len = n;
    return SG_OK;
}

cJSON *sgj_parse(const char *name, const char *text, size_t len, sg_errinfo *e)
{
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (!root) {
        size_t off = end && end >= text ? (size_t)(end - text) : 0;
        if (off > len)
            off = len;
        int line = 1, col = 1;
        for (size_t i = 0; i < off; i++) {
            if (text[i] == '\n') {
                line++;
                col = 1;
            } else {
                col++;
            }
        }
        sg_err_set(e, SG_EFORMAT, "%s: JSON syntax error at line %d, column %d", name, line, col);
        return NULL;
    }
    return root;
}

cJSON *sgj_parse_file(const char *path, sg_errinfo *e)
{
    char *text;
    size_t len;
    if (sg_read_file(path, SGJ_MAX_FILE, &text, &len, e) != SG_OK)
        return NULL;
    if (memchr(text, '\0', len)) {
        free(text);
        sg_err_set(e, SG_EFORMAT, "%s: not a text file (contains NUL bytes)", path);
        return NULL;
    }
    cJSON *root = sgj_parse(path, text, len, e);
    free(text);
    return root;
}

static const cJSON *member(const cJSON *obj, const char *key)
{
    return obj ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
}

static int missing(const char *where, const char *key, sg_errinfo *e)
{
    return sg_err_set(e, SG_EINVAL, "%s.%s: required key is missing", where, key);
}

int sgj_number(const cJSON *obj, const char *where, const char *key, bool required,
               double def, double min, double max, double *out, sg_errinfo *e)
{
    const cJSON *v = member(obj, key);
    if (!v) {
        if (required)
            return missing(where, key, e);
        *out = def;
        return SG_OK;
    }
    if (!cJSON_IsNumber(v))
        return sg_err_set(e, SG_EINVAL, "%s.%s: must be a number", where, key);
    double d = v->valuedouble;
    if (!isfinite(d) || d < min || d > max)
        return sg_err_set(e, SG_ERANGE, "%s.%s: must be in [%g, %g], got %g", where, key, min,
                          max, d);
    *out = d;
    return SG_OK;
}

int sgj_int(const cJSON *obj, const char *where, const char *key, bool required, long def,
            long min, long max, long *out, sg_errinfo *e)
{
    double d = 0;
    int rc = sgj_number(obj, where, key, required, (double)def, (double)min, (double)max, &d, e);
    if (rc)
        return rc;
    if (d != floor(d))
        return sg_err_set(e, SG_EINVAL, "%s.%s: must be a whole number, got %g", where, key, d);
    *out = (long)d;
    return SG_OK;
}

int sgj_bool(const cJSON *obj, const char *where, const char *key, bool required, bool def,
             bool *out, sg_errinfo *e)
{
    const cJSON *v = member(obj, key);
    if (!v) {
        if (required)
            return missing(where, key, e);
        *out = def;
        return SG_OK;
    }
    if (!cJSON_IsBool(v))
        return sg_err_set(e, SG_EINVAL, "%s.%s: must be true or false", where, key);
    *out = cJSON_IsTrue(v);
    return SG_OK;
}

int sgj_string(const cJSON *obj, const char *where, const char *key, bool required,
               const char *def, char *out, size_t cap, sg_errinfo *e)
{
    const cJSON *v = member(obj, key);
    const char *s = def ? def : "";
    if (!v) {
        if (required)
            return missing(where, key, e);
    } else {
        if (!cJSON_IsString(v) || !v->valuestring)
            return sg_err_set(e, SG_EINVAL, "%s.%s: must be a string", where, key);
        s = v->valuestring;
        if (required && !*s)
            return sg_err_set(e, SG_EINVAL, "%s.%s: must not be empty", where, key);
    }
    size_t n = strlen(s);
    if (n >= cap)
        return sg_err_set(e, SG_ERANGE, "%s.%s: longer than %zu characters", where, key,
                          cap - 1);
    memcpy(out, s, n + 1);
    return SG_OK;
}

static int typed(const cJSON *obj, const char *where, const char *key, bool required,
                 const cJSON **out, sg_errinfo *e, cJSON_bool (*is)(const cJSON *),
                 const char *what)
{
    const cJSON *v = member(obj, key);
    *out = NULL;
    if (!v)
        return required ? missing(where, key, e) : SG_OK;
    if (!is(v))
        return sg_err_set(e, SG_EINVAL, "%s.%s: must be %s", where, key, what);
    *out = v;
    return SG_OK;
}

int sgj_object(const cJSON *obj, const char *where, const char *key, bool required,
               const cJSON **out, sg_errinfo *e)
{
    return typed(obj, where, key, required, out, e, cJSON_IsObject, "an object");
}

int sgj_array(const cJSON *obj, const char *where, const char *key, bool required,
              const cJSON **out, sg_errinfo *e)
{
    return typed(obj, where, key, required, out, e, cJSON_IsArray, "an array");
}

int sgj_enum(const cJSON *obj, const char *where, const char *key, bool required, int def,
             const char *const *names, int n, int *out, sg_errinfo *e)
{
    char buf[64];
    const cJSON *v = member(obj, key);
    if (!v) {
        if (required)
            return missing(where, key, e);
        *out = def;
        return SG_OK;
    }
    int rc = sgj_string(obj, where, key, required, "", buf, sizeof buf, e);
    if (rc == SG_OK) {
        for (int i = 0; i < n; i++) {
            if (strcmp(buf, names[i]) == 0) {
                *out = i;
                return SG_OK;
            }
        }
    }
    char list[256] = "";
    size_t used = 0;
    for (int i = 0; i < n && used < sizeof list; i++)
        used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", names[i]);
    return sg_err_set(e, SG_EINVAL, "%s.%s: must be one of: %s", where, key, list);
}

int sgj_check_keys(const cJSON *obj, const char *where, const char *const *allowed,
                   sg_errinfo *e)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, obj)
    {
        bool ok = false;
        for (const char *const *a = allowed; *a; a++) {
            if (it->string && strcmp(it->string, *a) == 0) {
                ok = true;
                break;
            }
        }
        if (!ok)
            return sg_err_set(e, SG_EINVAL, "%s.%s: unknown key", where,
                              it->string ? it->string : "?");
    }
    return SG_OK;
}

int sg_path_relative_to(const char *base_file, const char *rel, char *out, size_t cap)
{
    int n;
    const char *slash = strrchr(base_file, '/');
    if (rel[0] == '/' || !slash)
        n = snprintf(out, cap, "%s", rel);
    else
        n = snprintf(out, cap, "%.*s/%s", (int)(slash - base_file), base_file, rel);
    return n < 0 || (size_t)n >= cap ? SG_ERANGE : SG_OK;
}

int sgj_write_file(const char *path, const cJSON *root, sg_errinfo *e)
{
    char tmp[1100];
    if (!path || strlen(path) > 1000)
        return sg_err_set(e, SG_EINVAL, "output path empty or too long");
    snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid());
    char *text = cJSON_Print(root);
    if (!text)
        return sg_err_set(e, SG_ENOMEM, "%s: out of memory", path);
    FILE *f = fopen(tmp, "w");
    int rc = SG_OK;
    if (!f) {
        rc = sg_err_set(e, SG_EIO, "%s: cannot create: %s", tmp, strerror(errno));
    } else {
        bool bad = fputs(text, f) < 0 || fputc('\n', f) == EOF || fflush(f) || fsync(fileno(f));
        if (fclose(f) || bad)
            rc = sg_err_set(e, SG_EIO, "%s: write failed: %s", tmp, strerror(errno));
        else if (rename(tmp, path))
            rc = sg_err_set(e, SG_EIO, "%s: cannot rename into place: %s", path, strerror(errno));
        if (rc)
            remove(tmp);
    }
    free(text);
    return rc;
}
