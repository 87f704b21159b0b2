/* The feed keeps its schema: the daemon replays the bundled demo (the default venue)
 * with --record-out and a late joiner; every message it published must be accepted by
 * the reference parser (feed_msg_parse) and pass tests/feed_schema_check.py against
 * docs/feed-schema.json and docs/feed-schema.md: valid by the schema, topic agreeing
 * with the body, `time` equal to `t` truncated to the ms, no field the schema does not
 * list, every type present (track, alert, status, rf) and a snapshot with track and
 * status. The same script holds the .md's examples and the fuzz corpus's valid_* seeds
 * to the schema. Skipped (77) without Debian's python3-jsonschema. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>

#include "daemon_harness.h"
#include "feed_msg.h"
#include "sg_json.h"

#define B SG_BINARY_DIR "/test_e2e_feed_schema"

/* Every line of a --record-out file through feed_msg_parse; returns the line count. */
static size_t parse_record(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        fail_msg("cannot open the record %s", path);
    static char line[FEED_MSG_MAX_FRAME + 2];
    size_t n = 0;
    while (fgets(line, sizeof line, f)) {
        size_t len = strcspn(line, "\n");
        feed_msg m;
        sg_errinfo e = {0};
        n++;
        if (feed_msg_parse(line, len, &m, &e) != SG_OK)
            fail_msg("%s:%zu: feed_msg_parse refused the daemon's frame: %s", path, n, e.msg);
        feed_msg_free(&m);
    }
    fclose(f);
    return n;
}

/* The fuzz corpus's valid_* seeds (frames from this test's replay) through
 * feed_msg_parse: what the schema calls valid, the reference parser accepts. */
static void test_corpus_seeds_parse(void **state)
{
    (void)state;
    const char *dir = SG_SOURCE_DIR "/fuzz/corpus/fuzz_feed_msg";
    DIR *d = opendir(dir);
    if (!d)
        fail_msg("cannot open %s", dir);
    struct dirent *de;
    int n = 0;
    static char frame[FEED_MSG_MAX_FRAME + 1];
    while ((de = readdir(d))) {
        if (strncmp(de->d_name, "valid_", 6) != 0)
            continue;
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        FILE *f = fopen(path, "rb");
        assert_non_null(f);
        size_t len = fread(frame, 1, sizeof frame, f);
        fclose(f);
        feed_msg m;
        sg_errinfo e = {0};
        if (feed_msg_parse(frame, len, &m, &e) != SG_OK)
            fail_msg("%s: feed_msg_parse refused a valid seed: %s", path, e.msg);
        feed_msg_free(&m);
        n++;
    }
    closedir(d);
    assert_true(n >= 4); /* one per type at least */
}

static void test_demo_feed_schema(void **state)
{
    (void)state;
    if (system("mkdir -p " B) != 0)
        fail_msg("cannot create %s", B);
    static const char *const args[] = {"-c", SG_SOURCE_DIR "/config/default-venue.json",
                                       "--linger", "1", "--record-out", B "/demo.jsonl", NULL};
    msglist all = {0}, late_msgs = {0};
    int status = harness_run_late(B "/daemon.log", args, &all, &late_msgs, 40);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("daemon exit status %d (log: %s)", status, B "/daemon.log");
    size_t n = parse_record(B "/demo.jsonl");
    print_message("feed schema: %zu messages recorded, %zu received, %zu by the late joiner\n",
                  n, all.n, late_msgs.n);
    /* the record has everything published, the first subscriber saw all of it */
    assert_true(n >= all.n && all.n > 100);
    harness_schema_check(B "/demo.jsonl", "track,alert,status,rf", "track,status");
    msglist_free(&all);
    msglist_free(&late_msgs);
}

/* An RF sensor whose simulated SDR hops over a channel plan: the status message carries
 * the plan (scan_channels, scan_cycle_s, scan_duty_min, scan_retunes, samples_settling) and
 * still matches the schema. */
static void test_scan_status_schema(void **state)
{
    (void)state;
    if (system("mkdir -p " B) != 0)
        fail_msg("cannot create %s", B);
    cJSON *v = sgj_parse_file(SG_SOURCE_DIR "/config/default-venue.json", NULL);
    assert_non_null(v);
    cJSON *sensors = cJSON_Parse(
        "[{\"id\": \"rf-scan\", \"kind\": \"rf\", \"position\": {\"lat_deg\": 51.5573, "
        "\"lon_deg\": -0.2796, \"alt_m\": 135.0}, \"adapter\": {\"type\": \"sim\", "
        "\"sample_rate\": 15.36e6, \"center_freq\": 2.4415e9, \"duration\": 0.6, "
        "\"datetime\": \"2026-07-20T18:30:00Z\", \"realtime\": false, \"pool_blocks\": 512, \"signals\": [{\"kind\": \"droneid\", "
        "\"freq_offset\": 1.5e6, \"period\": 0.1}], \"scan\": {\"dwell_s\": 0.1, "
        "\"channels\": [{\"center_freq\": 2.4265e9}, {\"center_freq\": 2.4415e9}]}}}]");
    assert_non_null(sensors);
    cJSON_ReplaceItemInObject(v, "sensors", sensors);
    /* the venue's files, relative to config/, from the build folder */
    cJSON_ReplaceItemInObject(v, "zones",
                              cJSON_CreateString(SG_SOURCE_DIR "/testdata/zones/stadium.geojson"));
    cJSON_ReplaceItemInObject(v, "signatures",
                              cJSON_CreateString(SG_SOURCE_DIR "/config/signatures.json"));
    assert_int_equal(sgj_write_file(B "/scan-venue.json", v, NULL), SG_OK);
    cJSON_Delete(v);
    static const char *const args[] = {"-c", B "/scan-venue.json", "--linger", "1",
                                       "--record-out", B "/scan.jsonl", NULL};
    msglist all = {0};
    int status = harness_run_late(B "/scan-daemon.log", args, &all, NULL, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("daemon exit status %d (log: %s)", status, B "/scan-daemon.log");
    parse_record(B "/scan.jsonl");
    harness_schema_check(B "/scan.jsonl", "status", NULL);
    FILE *f = fopen(B "/scan.jsonl", "r");
    assert_non_null(f);
    char line[65536];
    bool seen = false;
    while (fgets(line, sizeof line, f))
        seen |= strstr(line, "\"scan_channels\":2") && strstr(line, "\"scan_cycle_s\":0.2020") &&
                strstr(line, "\"scan_retunes\":");
    fclose(f);
    if (!seen)
        fail_msg("no status message with the channel plan in %s", B "/scan.jsonl");
    msglist_free(&all);
}

int main(void)
{
    if (!harness_have_jsonschema()) {
        printf("test_e2e_feed_schema: skipped: " HARNESS_PY " has no jsonschema module "
               "(apt-get install python3-jsonschema, tools/install-deps.sh)\n");
        return 77;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_demo_feed_schema),
        cmocka_unit_test(test_scan_status_schema),
        cmocka_unit_test(test_corpus_seeds_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
