/* Small file helpers for cmocka tests (header-only; include after cmocka.h). */
#ifndef SG_FILE_HELPERS_H
#define SG_FILE_HELPERS_H

#include <complex.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* Writes text to path (replacing it) and sets its mode, e.g. 0600 for secrets. */
static inline void write_mode_file(const char *path, const char *text, mode_t mode)
{
    unlink(path);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    assert_int_equal(chmod(path, mode), 0);
}

/* A fresh scratch directory /tmp/sg_<name>_XXXXXX, its path in dir[cap]; 0, or -1 when it
 * cannot be made. */
static inline int scratch_dir_make(char *dir, size_t cap, const char *name)
{
    snprintf(dir, cap, "/tmp/sg_%s_XXXXXX", name);
    return mkdtemp(dir) ? 0 : -1;
}

/* Removes a scratch directory and everything below it; 0, or -1 on failure. */
static inline int scratch_dir_remove(const char *dir)
{
    char cmd[320];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* A raw cf32 file (e.g. a fixture capture) in memory, *n samples; NULL when it cannot be
 * read (absent fixture: the caller skips). free() the result. */
static inline float complex *load_cf32(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long bytes = ftell(f);
    fseek(f, 0, SEEK_SET);
    *n = bytes > 0 ? (size_t)bytes / sizeof(float complex) : 0;
    float complex *x = *n ? malloc(*n * sizeof *x) : NULL;
    if (x && fread(x, sizeof *x, *n, f) != *n) {
        free(x);
        x = NULL;
    }
    fclose(f);
    return x;
}

#endif
