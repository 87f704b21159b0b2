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

int main(void)
{
    if (!harness_have_jsonschema()) {
        printf("test_e2e_feed_schema: skipped: " HARNESS_PY " has no jsonschema module "
               "(apt-get install python3-jsonschema, tools/install-deps.sh)\n");
        return 77;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_demo_feed_schema),
        cmocka_unit_test(test_corpus_seeds_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
