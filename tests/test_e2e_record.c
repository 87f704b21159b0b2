/* Incident recording: a run with --record writes the input IQ (SigMF, detections as
 * annotations) and the feed (JSONL); replaying the recorded IQ reproduces the same
 * track and alert messages, byte for byte (status messages carry wall-clock
 * figures and are left out of the comparison). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#define DIR SG_BINARY_DIR "/test_e2e_record"

static int run(const char *const *argv)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (!freopen("/dev/null", "w", stdout))
            _exit(120);
        execv(SG_BINARY_DIR "/skyguardd", (char *const *)argv);
        _exit(121);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Non-status lines of a JSONL file, concatenated. */
static char *non_status(const char *path, size_t *lines)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t cap = 1 << 20, len = 0;
    char *out = malloc(cap);
    assert_non_null(out);
    out[0] = '\0';
    static char line[65536];
    *lines = 0;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "status.", 7) == 0)
            continue;
        size_t n = strlen(line);
        if (len + n + 1 > cap) {
            cap = (cap + n) * 2;
            out = realloc(out, cap);
            assert_non_null(out);
        }
        memcpy(out + len, line, n + 1);
        len += n;
        (*lines)++;
    }
    fclose(f);
    return out;
}

static void test_record_then_replay(void **state)
{
    (void)state;
    int rc = system("rm -rf " DIR " && mkdir -p " DIR);
    assert_int_equal(rc, 0);
    const char *rec[] = {"skyguardd", "-q", "-c", SG_SOURCE_DIR "/config/default-venue.json",
                         "-e", "tcp://127.0.0.1:*", "--linger", "0", "--record", DIR, NULL};
    assert_int_equal(run(rec), 0);
    struct stat st;
    assert_int_equal(stat(DIR "/rf-north-roof.sigmf-data", &st), 0);
    /* cf32: 8 bytes per sample, every input sample recorded */
    assert_int_equal(st.st_size, 1717248 * 8);

    /* detections are annotations of the recording */
    FILE *f = fopen(DIR "/rf-north-roof.sigmf-meta", "r");
    assert_non_null(f);
    static char meta[1 << 20];
    size_t n = fread(meta, 1, sizeof meta - 1, f);
    fclose(f);
    meta[n] = '\0';
    cJSON *m = cJSON_Parse(meta);
    assert_non_null(m);
    int n_ann = cJSON_GetArraySize(cJSON_GetObjectItem(m, "annotations"));
    int n_cap = cJSON_GetArraySize(cJSON_GetObjectItem(m, "captures"));
    print_message("recording: %d captures, %d annotated detections\n", n_cap, n_ann);
    assert_true(n_ann >= 89); /* every DroneID burst of the scene at least */
    assert_true(n_cap >= 90); /* the triggered segments are kept as captures */
    cJSON_Delete(m);

    const char *rep[] = {"skyguardd", "-q", "-c", SG_SOURCE_DIR "/config/default-venue.json",
                         "-e", "tcp://127.0.0.1:*", "--linger", "0",
                         "--replay", DIR "/rf-north-roof.sigmf-meta",
                         "--record-out", DIR "/replay.jsonl", NULL};
    assert_int_equal(run(rep), 0);
    size_t la, lb;
    char *a = non_status(DIR "/feed.jsonl", &la), *b = non_status(DIR "/replay.jsonl", &lb);
    print_message("feed: %zu track/alert messages recorded, %zu replayed\n", la, lb);
    assert_true(la > 100);
    assert_int_equal(la, lb);
    assert_string_equal(a, b);
    free(a);
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_record_then_replay),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
