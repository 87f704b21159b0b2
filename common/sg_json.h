/* Checked access to JSON documents (site config, GeoJSON zones, SigMF metadata,
 * signature library). Every getter names the input and the key in its error:
 *   "venue.json: sensors[1].position.lat: must be in [-90, 90], got 123"
 * `where` is the path of the object being read (e.g. "venue.json: sensors[1]").
 * All functions are thread-safe and never print. */
#ifndef SG_JSON_H
#define SG_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "sg_error.h"

#define SGJ_MAX_FILE (64u << 20) /* bytes: larger JSON files are refused */

/* Reads a whole file (or stdin for "-") into a NUL-terminated buffer. *out is
 * malloc'd; caller frees. Refuses files larger than max bytes. */
int sg_read_file(const char *path, size_t max, char **out, size_t *len, sg_errinfo *e);

/* Parses a JSON file. Errors name the file and the line/column of a syntax error.
 * Returns NULL on failure; caller cJSON_Delete()s the result. */
cJSON *sgj_parse_file(const char *path, sg_errinfo *e);
/* Same for text in memory; `name` is used in error messages. */
cJSON *sgj_parse(const char *name, const char *text, size_t len, sg_errinfo *e);

/* Getters: if the key is absent and !required, *out = def and SG_OK is returned.
 * Present but of the wrong type or out of [min, max] is always an error. */
int sgj_number(const cJSON *obj, const char *where, const char *key, bool required,
               double def, double min, double max, double *out, sg_errinfo *e);
int sgj_int(const cJSON *obj, const char *where, const char *key, bool required,
            long def, long min, long max, long *out, sg_errinfo *e);
int sgj_bool(const cJSON *obj, const char *where, const char *key, bool required,
             bool def, bool *out, sg_errinfo *e);
/* Copies into out[cap]; a string that does not fit (or is empty when required) is an error. */
int sgj_string(const cJSON *obj, const char *where, const char *key, bool required,
               const char *def, char *out, size_t cap, sg_errinfo *e);
/* *out = the member (NULL if absent and !required); type must match. */
int sgj_object(const cJSON *obj, const char *where, const char *key, bool required,
               const cJSON **out, sg_errinfo *e);
int sgj_array(const cJSON *obj, const char *where, const char *key, bool required,
              const cJSON **out, sg_errinfo *e);
/* Picks one of names[0..n-1] for a string value; *out = its index. */
int sgj_enum(const cJSON *obj, const char *where, const char *key, bool required, int def,
             const char *const *names, int n, int *out, sg_errinfo *e);
/* Refuses members not in allowed (NULL-terminated): catches typos in config keys. */
int sgj_check_keys(const cJSON *obj, const char *where, const char *const *allowed,
                   sg_errinfo *e);

/* Writes root (formatted) to path atomically: a temporary file in the same directory,
 * flushed to disk, then renamed over path, so a reader sees the old or the new file,
 * never a partial one. */
int sgj_write_file(const char *path, const cJSON *root, sg_errinfo *e);

/* Resolves rel against the directory of base_file (absolute rel is kept).
 * Writes into out[cap]; SG_ERANGE if it does not fit. */
int sg_path_relative_to(const char *base_file, const char *rel, char *out, size_t cap);

#endif
