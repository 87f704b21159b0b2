/* libFuzzer target: JSON config access (common/sg_json.c) and the feed security section
 * parser (feed_auth_cfg_from_json), the code every config file goes through.
 *
 * The input is parsed with sgj_parse; then every member of the root and of its nested
 * objects (two levels) is read with each checked getter, so wrong types, huge numbers,
 * long strings and odd keys all hit the error paths. Properties: a getter that succeeds
 * returns a value inside the requested range; a failing one leaves a message. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "feed_auth.h"
#include "sg_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const names[] = {"curve", "plaintext", "cf32_le", "ci16_le", ""};
static const char *const allowed[] = {"mode", "lat", "lon", "sensors", "zones", NULL};

static void check(int rc, const sg_errinfo *e)
{
    if (rc != SG_OK && !e->msg[0])
        abort();
}

static void poke(const cJSON *obj, const char *where, int depth)
{
    const cJSON *it;
    sg_errinfo e;
    cJSON_ArrayForEach(it, obj)
    {
        const char *key = it->string ? it->string : "";
        double d;
        long l;
        bool b;
        int k;
        char s[16];
        const cJSON *sub;
        e.msg[0] = '\0';
        int rc = sgj_number(obj, where, key, true, 0, -90, 90, &d, &e);
        check(rc, &e);
        if (rc == SG_OK && !(d >= -90 && d <= 90))
            abort();
        e.msg[0] = '\0';
        rc = sgj_int(obj, where, key, false, 3, -5, 1000000, &l, &e);
        check(rc, &e);
        if (rc == SG_OK && (l < -5 || l > 1000000))
            abort();
        e.msg[0] = '\0';
        check(sgj_bool(obj, where, key, true, false, &b, &e), &e);
        e.msg[0] = '\0';
        rc = sgj_string(obj, where, key, true, "", s, sizeof s, &e);
        check(rc, &e);
        if (rc == SG_OK && strlen(s) >= sizeof s)
            abort();
        e.msg[0] = '\0';
        rc = sgj_enum(obj, where, key, true, 0, names, 5, &k, &e);
        check(rc, &e);
        if (rc == SG_OK && (k < 0 || k >= 5))
            abort();
        e.msg[0] = '\0';
        check(sgj_array(obj, where, key, true, &sub, &e), &e);
        e.msg[0] = '\0';
        rc = sgj_object(obj, where, key, true, &sub, &e);
        check(rc, &e);
        if (rc == SG_OK && depth < 2)
            poke(sub, "fuzz.json: sub", depth + 1);
        if (rc == SG_OK) {
            feed_auth_cfg cfg;
            e.msg[0] = '\0';
            check(feed_auth_cfg_from_json(&cfg, sub, "fuzz.json: security", "/etc/site.json",
                                          &e), &e);
        }
        if (cJSON_IsString(it) && it->valuestring) {
            char out[64];
            sg_path_relative_to("/etc/skyguard/site.json", it->valuestring, out, sizeof out);
        }
    }
    e.msg[0] = '\0';
    check(sgj_check_keys(obj, where, allowed, &e), &e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sg_errinfo e = {0};
    cJSON *root = sgj_parse("fuzz.json", (const char *)data, size, &e);
    if (!root) {
        if (!e.msg[0])
            abort();
        return 0;
    }
    if (cJSON_IsObject(root)) {
        poke(root, "fuzz.json", 0);
        feed_auth_cfg cfg;
        check(feed_auth_cfg_from_json(&cfg, root, "fuzz.json", NULL, &e), &e);
    }
    cJSON_Delete(root);
    return 0;
}
