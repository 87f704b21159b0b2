/* libFuzzer target: the operator-feed frame parser (adapters/feed_msg.c), the code that
 * reads bytes straight off the network in every consumer.
 *
 * Beyond "no crash, no sanitizer report" it checks two properties: an accepted frame
 * always carries a topic and its JSON tree, and re-serialising an accepted message
 * (topic + cJSON's compact print) parses again to the same type and topic, so the parser
 * never accepts something it could not have produced itself. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "feed_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    feed_msg m;
    sg_errinfo e = {0};
    int rc = feed_msg_parse((const char *)data, size, &m, &e);
    if (rc != SG_OK) {
        if (m.json || !e.msg[0])
            abort(); /* a refusal must free everything and say why */
        return 0;
    }
    if (!m.json || !m.topic[0] || m.v < 1 || m.v > FEED_SCHEMA_VERSION)
        abort();
    char *body = cJSON_PrintUnformatted(m.json);
    if (body) {
        size_t n = strlen(m.topic) + 1 + strlen(body);
        char *frame = malloc(n + 1);
        if (frame) {
            snprintf(frame, n + 1, "%s %s", m.topic, body);
            feed_msg m2;
            /* a reprint may grow past the frame limit (escapes); only then may it fail */
            int rc2 = feed_msg_parse(frame, n, &m2, &e);
            if (rc2 == SG_OK) {
                if (m2.type != m.type || strcmp(m2.topic, m.topic) != 0)
                    abort();
                feed_msg_free(&m2);
            } else if (!(rc2 == SG_ERANGE && n > FEED_MSG_MAX_FRAME)) {
                fprintf(stderr, "round trip failed: %s\n", e.msg);
                abort();
            }
            free(frame);
        }
        free(body);
    }
    feed_msg_free(&m);
    return 0;
}
