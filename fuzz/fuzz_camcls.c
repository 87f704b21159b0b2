/* libFuzzer target: camera classifier model files (dsp/camcls.c). Accepted models must
 * give finite probabilities that sum to 1 for a few feature vectors; refusals carry a
 * message. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "camcls.h"
#include "sg_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sg_errinfo e = {0};
    cJSON *doc = sgj_parse("fuzz.json", (const char *)data, size, &e);
    if (!doc) {
        if (!e.msg[0])
            abort();
        return 0;
    }
    camcls *m = camcls_from_json(doc, "fuzz.json", &e);
    cJSON_Delete(doc);
    if (!m) {
        if (!e.msg[0])
            abort();
        return 0;
    }
    float x[CAMFEAT_N];
    static float crop[CAMCROP_N];
    for (int v = 0; v < 3; v++) {
        for (int i = 0; i < CAMFEAT_N; i++)
            x[i] = v == 0 ? 0.0f : v == 1 ? (float)(i - 10) : (i % 2 ? NAN : 1e30f);
        for (int i = 0; i < CAMCROP_N; i++) /* the CNN branch, if any: zero, ramp, extreme */
            crop[i] = v == 0 ? 0.0f : v == 1 ? (float)(i % 17) - 8 : (i % 2 ? NAN : 1e30f);
        double p[CAMCLS_N], sum = 0;
        int k = camcls_predict_crop(m, x, crop, p);
        if (k < 0 || k >= CAMCLS_N)
            abort();
        for (int c = 0; c < CAMCLS_N; c++) {
            if (!(p[c] >= 0 && p[c] <= 1))
                abort();
            sum += p[c];
        }
        if (fabs(sum - 1) > 1e-6)
            abort();
    }
    camcls_destroy(m);
    return 0;
}
