/* Small file helpers for cmocka tests (header-only; include after cmocka.h). */
#ifndef SG_FILE_HELPERS_H
#define SG_FILE_HELPERS_H

#include <stdio.h>
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

#endif
