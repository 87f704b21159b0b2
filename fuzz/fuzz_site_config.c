/* libFuzzer target: the venue configuration loader (config/site.c). Any input must be
 * accepted into a consistent sg_site or refused with a message naming the file. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "site.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sg_errinfo e = {0};
    sg_site *s = site_parse("fuzz-venue.json", (const char *)data, size, &e);
    if (!s) {
        if (e.code >= 0 || !strstr(e.msg, "fuzz-venue.json"))
            abort(); /* every refusal names the file */
        return 0;
    }
    if (s->n_sensors == 0 || s->origin_lat_deg < -90 || s->origin_lat_deg > 90)
        abort();
    for (size_t i = 0; i < s->n_sensors; i++)
        if (site_sensor_index(s, s->sensors[i].id) != (int)i) /* ids are unique */
            abort();
    site_free(s);
    return 0;
}
