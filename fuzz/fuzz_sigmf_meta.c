/* libFuzzer target: SigMF metadata (adapters/sigmf.c). Accepted metadata must be
 * self-consistent (a positive rate, captures in order); refusals carry a message. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "sigmf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (int pass = 0; pass < 2; pass++) {
        sigmf_meta m;
        sg_errinfo e = {0};
        /* once as written, once with a command-line rate (the "missing rate" path) */
        int rc = sigmf_meta_parse("fuzz.sigmf-meta", (const char *)data, size, pass ? 2e6 : 0,
                                  &m, &e);
        if (rc != SG_OK) {
            if (!e.msg[0])
                abort();
            continue;
        }
        if (!(m.sample_rate > 0) || !isfinite(m.sample_rate) || m.n_captures < 1)
            abort();
        for (size_t i = 1; i < m.n_captures; i++)
            if (m.captures[i].sample_start < m.captures[i - 1].sample_start)
                abort();
        sigmf_meta_free(&m);
    }
    return 0;
}
