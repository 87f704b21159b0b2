/* libFuzzer target: the SAPIENT input (sapient_in_feed), which reads peer-controlled bytes
 * from any SAPIENT node that can reach its port: length-prefixed SapientMessages.
 *
 * Input: the byte stream of one connection; when the first byte is odd, a valid
 * registration of an allowed node is sent first, so detection reports get past the
 * handshake. Properties: the reject counters add up, no more measurements than detection
 * reports counted, and every measurement is finite with a non-negative covariance
 * diagonal, of a geometric type, for the configured sensor. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sapient_in.h"
#if SG_WITH_SAPIENT
#include "sapient_wire.h"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#if SG_WITH_SAPIENT
#define NODE "5b0c3a52-9d1e-4c6f-8a27-3e51f0d4b9a1"
#define NOW 1795386600.0

static sapient_in *in;
static uint8_t reg[256];
static size_t reg_n;
static uint64_t got;

static void setup(void)
{
    cJSON *a = cJSON_Parse("{\"type\": \"sapient\", \"port\": 0, \"node_ids\": [\"" NODE "\"], "
                           "\"max_message_bytes\": 4096, \"max_age_s\": 60}");
    sapient_in_geom g = {.sensor_id = "radar", .sensor = 2, .lat = 0.9, .lon = -0.005,
                         .alt = 90, .yaw = 0.5, .geoid_n_m = 47};
    sg_errinfo e;
    in = a ? sapient_in_create(a, "fuzz", &g, &e) : NULL;
    cJSON_Delete(a);
    SapientMsg__BsiFlex335V20__Registration r = SAPIENT_MSG__BSI_FLEX_335_V2_0__REGISTRATION__INIT;
    SapientMsg__BsiFlex335V20__SapientMessage m = SAPIENT_MSG__BSI_FLEX_335_V2_0__SAPIENT_MESSAGE__INIT;
    SapientMsg__BsiFlex335V20__Timestamp ts;
    m.node_id = NODE;
    m.content_case = SAPIENT_MSG__BSI_FLEX_335_V2_0__SAPIENT_MESSAGE__CONTENT_REGISTRATION;
    m.registration = &r;
    reg_n = sapient_frame(&m, &ts, NOW, reg, sizeof reg);
    if (!in || !reg_n)
        abort();
}

static void on_meas(void *user, const sg_measurement *m)
{
    (void)user;
    int dim = sg_meas_dim(m->type);
    if (m->sensor != 2 || dim == 0 || !isfinite(m->t))
        abort();
    for (int i = 0; i < dim; i++)
        if (!isfinite(m->z[i]) || !(m->R[i * dim + i] >= 0) || !isfinite(m->R[i * dim + i]))
            abort();
    got++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!in)
        setup();
    uint8_t *buf = malloc(size + reg_n);
    if (!buf)
        return 0;
    size_t n = 0;
    if (size && (data[0] & 1)) {
        memcpy(buf, reg, reg_n);
        n = reg_n;
    }
    memcpy(buf + n, data, size);
    sapient_in_stats a, b;
    sapient_in_get_stats(in, &a);
    uint64_t before = got;
    sapient_in_feed(in, buf, n + size, NOW, on_meas, NULL, NULL);
    free(buf);
    sapient_in_get_stats(in, &b);
    uint64_t sum = 0;
    for (int r = 0; r < SAPIENT_REJ_COUNT_; r++)
        sum += b.by_reason[r];
    if (sum != b.rejected || got - before != b.detections - a.detections ||
        b.detections - a.detections > b.messages - a.messages)
        abort();
    return 0;
}
#else
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    (void)data;
    (void)size;
    return 0; /* a build without protobuf-c has no SAPIENT input */
}
#endif
