/* Site configuration loader: a valid file loads with every value in place, and every
 * malformed or inconsistent file fails with an error naming the file, the key and
 * the problem. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "site.h"

#define CFG_NAME SG_BINARY_DIR "/test_config_site.json"

/* A minimal valid site; cases below replace one fragment of it. */
static const char *const base_cfg =
    "{\"version\": 1,\n"
    " \"site\": {\"name\": \"Test Arena\", \"origin\": {\"lat_deg\": 51.5, \"lon_deg\": -0.1, "
    "\"alt_m\": 45}},\n"
    " \"zones\": \"test_config_zones.geojson\",\n"
    " \"sensors\": [\n"
    "  {\"id\": \"rf-1\", \"kind\": \"rf\", \"position\": {\"lat_deg\": 51.5001, \"lon_deg\": "
    "-0.1, \"alt_m\": 60},\n"
    "   \"orientation\": {\"yaw_deg\": 90, \"pitch_deg\": 5, \"roll_deg\": 0},\n"
    "   \"adapter\": {\"type\": \"sigmf\", \"path\": \"x.sigmf-meta\"}},\n"
    "  {\"id\": \"cam-1\", \"kind\": \"camera\", \"enabled\": false, \"position\": {\"lat_deg\": "
    "51.5, \"lon_deg\": -0.1001, \"alt_m\": 70}}\n"
    " ],\n"
    " \"allow_list\": [{\"identity\": \"1581F00000000001\", \"label\": \"venue drone\"}],\n"
    " \"outputs\": {\"feed\": {\"endpoint\": \"tcp://127.0.0.1:5599\", \"status_period_s\": 2}}\n"
    "}\n";

static char *replace(const char *from, const char *to)
{
    const char *p = strstr(base_cfg, from);
    assert_non_null(p);
    size_t n = strlen(base_cfg) - strlen(from) + strlen(to) + 1;
    char *out = malloc(n);
    assert_non_null(out);
    snprintf(out, n, "%.*s%s%s", (int)(p - base_cfg), base_cfg, to, p + strlen(from));
    return out;
}

static int setup(void **state)
{
    (void)state;
    FILE *f = fopen(SG_BINARY_DIR "/test_config_zones.geojson", "w");
    if (!f)
        return -1;
    fputs("{\"type\": \"FeatureCollection\", \"features\": []}\n", f);
    fclose(f);
    return 0;
}

static void test_valid(void **state)
{
    (void)state;
    sg_errinfo e = {0};
    sg_site *s = site_parse(CFG_NAME, base_cfg, strlen(base_cfg), &e);
    if (!s)
        fail_msg("valid config rejected: %s", e.msg);
    assert_string_equal(s->name, "Test Arena");
    assert_float_equal(s->origin_lat_deg, 51.5, 1e-12);
    assert_float_equal(s->origin_alt_m, 45, 1e-12);
    assert_int_equal(s->n_sensors, 2);
    assert_string_equal(s->sensors[0].id, "rf-1");
    assert_int_equal(s->sensors[0].kind, SG_SENSOR_RF);
    assert_true(s->sensors[0].enabled);
    assert_float_equal(s->sensors[0].yaw_deg, 90, 1e-12);
    assert_float_equal(s->sensors[0].pitch_deg, 5, 1e-12);
    assert_string_equal(s->sensors[0].adapter_type, "sigmf");
    assert_non_null(s->sensors[0].adapter);
    assert_false(s->sensors[1].enabled);
    assert_int_equal(s->sensors[1].kind, SG_SENSOR_CAMERA);
    assert_null(s->sensors[1].adapter);
    assert_float_equal(s->sensors[0].stale_after_s, 5.0, 1e-12);
    assert_string_equal(s->zones_path, SG_BINARY_DIR "/test_config_zones.geojson");
    assert_int_equal(s->zones_format, SG_ZONES_GEOJSON);
    assert_string_equal(s->feed_endpoint, "tcp://127.0.0.1:5599");
    assert_float_equal(s->status_period_s, 2.0, 1e-12);
    assert_float_equal(s->snapshot_period_s, 1.0, 1e-12);
    assert_float_equal(s->track_update_period_s, 0.1, 1e-12);
    assert_int_equal(site_sensor_index(s, "cam-1"), 1);
    assert_int_equal(site_sensor_index(s, "nope"), -1);
    const char *label = NULL;
    assert_true(site_allowed(s, "1581F00000000001", &label));
    assert_string_equal(label, "venue drone");
    assert_false(site_allowed(s, "1581F00000000002", NULL));
    assert_false(site_allowed(s, "", NULL));
    /* the displays' time zone rule: an override, else the venue's, else UTC */
    assert_string_equal(s->time_zone, "UTC");
    assert_string_equal(site_time_zone(s, NULL), "UTC");
    assert_string_equal(site_time_zone(s, "Asia/Tokyo"), "Asia/Tokyo");
    assert_string_equal(site_time_zone(NULL, ""), "UTC");
    site_free(s);
    char *tzc = replace("\"alt_m\": 45}}", "\"alt_m\": 45}, \"time_zone\": \"Europe/London\"}");
    s = site_parse(CFG_NAME, tzc, strlen(tzc), &e);
    free(tzc);
    if (!s)
        fail_msg("site.time_zone rejected: %s", e.msg);
    assert_string_equal(site_time_zone(s, NULL), "Europe/London");
    assert_string_equal(site_time_zone(s, ""), "Europe/London");
    assert_string_equal(site_time_zone(s, "UTC"), "UTC");
    site_free(s);
}

/* Each case: a fragment of base_cfg, its replacement, and words the error must contain. */
static const struct bad_case {
    const char *from, *to;
    const char *expect1, *expect2;
} bad_cases[] = {
    {"{\"version\": 1,", "[", "JSON syntax error", "line 2, column"},
    {"\"version\": 1", "\"version\": 2", "version", "[1, 1]"},
    {"\"version\": 1,", "", "version", "required key is missing"},
    {"\"name\": \"Test Arena\"", "\"name\": \"\"", "site.name", "must not be empty"},
    {"\"name\": \"Test Arena\"", "\"name\": 5", "site.name", "must be a string"},
    {"\"lat_deg\": 51.5, \"lon_deg\": -0.1,", "\"lat_deg\": 91, \"lon_deg\": -0.1,",
     "site.origin.lat_deg", "[-90, 90]"},
    {"\"lon_deg\": -0.1, \"alt_m\": 45", "\"lon_deg\": 200, \"alt_m\": 45", "site.origin.lon_deg",
     "[-180, 180]"},
    {"\"alt_m\": 45}", "\"alt_m\": \"high\"}", "site.origin.alt_m", "must be a number"},
    {"\"alt_m\": 45}}", "\"alt_m\": 45}, \"time_zone\": \"Mars/Olympus\"}", "site.time_zone",
     "unknown"},
    {"\"alt_m\": 45}}", "\"alt_m\": 45}, \"time_zone\": \"../../etc/passwd\"}",
     "site.time_zone", "not a valid IANA zone name"},
    {"\"alt_m\": 45}}", "\"alt_m\": 45}, \"time_zone\": 1}", "site.time_zone",
     "must be a string"},
    {"\"origin\": {\"lat_deg\": 51.5,", "\"origin\": {\"lat\": 51.5,", "site.origin.lat",
     "unknown key"},
    {"\"zones\": \"test_config_zones.geojson\"", "\"zones\": \"missing.geojson\"", "zones",
     "not found"},
    {"\"zones\": \"test_config_zones.geojson\"",
     "\"zones\": \"test_config_zones.geojson\", \"zones_format\": \"kml\"", "zones_format",
     "must be one of: geojson, ed269"},
    {"\"zones\": \"test_config_zones.geojson\"",
     "\"zones\": \"test_config_zones.geojson\", \"geoid_undulation_m\": 500", "geoid_undulation_m",
     "[-120, 120]"},
    {"\"id\": \"cam-1\"", "\"id\": \"rf-1\"", "sensors[1].id", "already used"},
    {"\"id\": \"rf-1\", ", "", "sensors[0].id", "required key is missing"},
    {"\"kind\": \"rf\"", "\"kind\": \"radar9\"", "sensors[0].kind", "must be one of"},
    {"\"alt_m\": 60}", "\"alt_m\": 60, \"x\": 1}", "sensors[0].position.x", "unknown key"},
    {"\"pitch_deg\": 5", "\"pitch_deg\": 95", "sensors[0].orientation.pitch_deg", "[-90, 90]"},
    {"\"yaw_deg\": 90", "\"yaw_deg\": 1e400", "sensors[0].orientation.yaw_deg", "must be"},
    {"\"adapter\": {\"type\": \"sigmf\", \"path\": \"x.sigmf-meta\"}}",
     "\"adapter\": {\"path\": \"x.sigmf-meta\"}}", "sensors[0].adapter.type", "missing"},
    {",\n   \"adapter\": {\"type\": \"sigmf\", \"path\": \"x.sigmf-meta\"}}", "}",
     "sensors[0].adapter", "missing"},
    {"\"kind\": \"camera\", \"enabled\": false", "\"kind\": \"camera\", \"enabled\": \"no\"",
     "sensors[1].enabled", "true or false"},
    {"\"kind\": \"rf\",", "\"kind\": \"rf\", \"stale_after_s\": 0,", "sensors[0].stale_after_s",
     "must be in"},
    {"\"kind\": \"camera\",", "\"kind\": \"camera\", \"frontend\": {},", "sensors[1].frontend",
     "only rf sensors"},
    {"\"kind\": \"camera\",", "\"kind\": \"camera\", \"array\": {},", "sensors[1].array",
     "only rf sensors"},
    {"\"kind\": \"camera\",", "\"kind\": \"camera\", \"scan_range_m\": -1,",
     "sensors[1].scan_range_m", "must be in"},
    {"\"kind\": \"rf\",", "\"kind\": \"rf\", \"scan_range_m\": 500,", "sensors[0].scan_range_m",
     "only cameras and direction-finding"},
    {"\"kind\": \"rf\",", "\"kind\": \"rf\", \"array\": {\"geometry\": \"uca\"},",
     "sensors[0].orientation", "must be level"},
    {"\"kind\": \"rf\",", "\"kind\": \"rf\", \"array\": [1],", "sensors[0].array", "object"},
    {"\"sensors\": [", "\"sensors\": 5, \"comment\": [", "sensors", "must be an array"},
    {"\"identity\": \"1581F00000000001\", ", "", "allow_list[0].identity", "missing"},
    {"\"allow_list\": [{\"identity\": \"1581F00000000001\", \"label\": \"venue drone\"}]",
     "\"allow_list\": [{\"identity\": \"A\"}, {\"identity\": \"A\"}]", "allow_list[1].identity",
     "listed twice"},
    {"\"endpoint\": \"tcp://127.0.0.1:5599\"", "\"endpoint\": \"localhost\"",
     "outputs.feed.endpoint", "not a ZeroMQ endpoint"},
    {"\"status_period_s\": 2", "\"status_period_s\": 0", "outputs.feed.status_period_s",
     "must be in"},
    {"\"status_period_s\": 2", "\"status_period_s\": 2, \"track_update_period_s\": -1",
     "outputs.feed.track_update_period_s", "must be in"},
    {"\"status_period_s\": 2", "\"status_period_s\": 2, \"track_update_period_s\": 61",
     "outputs.feed.track_update_period_s", "must be in"},
    {"\"status_period_s\": 2", "\"status_period_s\": 2, \"snapshot_period_s\": 0.001",
     "outputs.feed.snapshot_period_s", "or in [0.01, 3600] s"},
    {"\"status_period_s\": 2", "\"status_period_s\": 2, \"snapshot_period_s\": 3601",
     "outputs.feed.snapshot_period_s", "must be in"},
    {"\"feed\": {", "\"fed\": {", "outputs.fed", "unknown key"},
    {"\"site\": {", "\"sight\": {", "sight", "unknown key"},
};

static void test_invalid(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        const struct bad_case *c = &bad_cases[i];
        char *text = replace(c->from, c->to);
        sg_errinfo e = {0};
        sg_site *s = site_parse(CFG_NAME, text, strlen(text), &e);
        if (s)
            fail_msg("case %zu (%s -> %s) accepted", i, c->from, c->to);
        assert_true(e.code < 0);
        if (!strstr(e.msg, CFG_NAME) || !strstr(e.msg, c->expect1) ||
            !strstr(e.msg, c->expect2))
            fail_msg("case %zu: error \"%s\" lacks \"%s\"/\"%s\"/file name", i, e.msg,
                     c->expect1, c->expect2);
        free(text);
    }
}

static void test_empty_sensors_and_non_object(void **state)
{
    (void)state;
    const char *texts[] = {"[]", "3", "\"x\"", "", "{\"version\":1,\"site\":{\"name\":\"a\","
                           "\"origin\":{\"lat_deg\":0,\"lon_deg\":0,\"alt_m\":0}},\"sensors\":[]}"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        sg_errinfo e = {0};
        assert_null(site_parse(CFG_NAME, texts[i], strlen(texts[i]), &e));
        assert_non_null(strstr(e.msg, CFG_NAME));
    }
}

static void test_missing_file(void **state)
{
    (void)state;
    sg_errinfo e = {0};
    assert_null(site_load(SG_BINARY_DIR "/no/such/site.json", &e));
    assert_int_equal(e.code, SG_EIO);
    assert_non_null(strstr(e.msg, "no/such/site.json"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_empty_sensors_and_non_object),
        cmocka_unit_test(test_missing_file),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
