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
#include <signal.h>
#include <stdbool.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "sg_adapter.h"
#include "sigmf.h"

static int count_sink(void *user, const sg_iq_block *b)
{
    *(uint64_t *)user += b->n;
    return 0;
}

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

/* Starts skyguardd with stdout and stderr to log_path; fsize > 0 limits every file it
 * writes to that many bytes (RLIMIT_FSIZE: writes beyond fail like on a full disk). */
static pid_t start_logged(const char *const *argv, const char *log_path, rlim_t fsize)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (!freopen(log_path, "w", stdout) || dup2(fileno(stdout), 2) < 0)
            _exit(120);
        if (fsize) {
            struct rlimit rl = {.rlim_cur = fsize, .rlim_max = fsize};
            signal(SIGXFSZ, SIG_IGN);
            if (setrlimit(RLIMIT_FSIZE, &rl))
                _exit(122);
        }
        execv(SG_BINARY_DIR "/skyguardd", (char *const *)argv);
        _exit(121);
    }
    return pid;
}

static int wait_exit(pid_t pid)
{
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static bool file_has(const char *path, const char *text)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    static char buf[1 << 22];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return strstr(buf, text) != NULL;
}

/* kill -9 during a paced --record: the recording on disk has its meta (written at the
 * start, rewritten every second) and replays, exactly, up to where it was cut. */
static void test_record_killed(void **state)
{
    (void)state;
    const char *d = DIR "/killed";
    assert_int_equal(system("rm -rf " DIR "/killed && mkdir -p " DIR "/killed"), 0);
    const char *rec[] = {"skyguardd", "-q", "-c", SG_SOURCE_DIR "/config/default-venue.json",
                         "-e", "tcp://127.0.0.1:*", "--linger", "0", "--realtime",
                         "--record", DIR "/killed", NULL};
    pid_t pid = start_logged(rec, DIR "/killed/log.txt", 0);
    usleep(3500000);
    assert_int_equal(kill(pid, SIGKILL), 0);
    assert_int_equal(wait_exit(pid), -1);
    sigmf_meta m;
    sg_errinfo e = {0};
    char path[512];
    snprintf(path, sizeof path, "%s/rf-north-roof.sigmf-meta", d);
    assert_int_equal(sigmf_meta_load(path, 0, &m, &e), 0);
    size_t nc = m.n_captures, na = m.n_annotations;
    sigmf_meta_free(&m);
    const sg_iq_adapter *a = sg_iq_adapter_find("sigmf");
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "path", path);
    void *st = NULL;
    assert_int_equal(a->open(&st, o, "killed", &e), 0);
    cJSON_Delete(o);
    uint64_t n = 0;
    int rc = a->run(st, count_sink, &n, &e);
    a->close(st);
    print_message("killed after 3.5 s: %zu captures, %zu annotations, %llu samples replay "
                  "(rc %d %s)\n", nc, na, (unsigned long long)n, rc, e.msg);
    assert_true(rc == SG_OK || rc == SG_ETRUNC);
    assert_true(nc >= 2);
    assert_true(n > 15360); /* more than the first millisecond */
}

/* A recording disk that fills up (here: a 3 MB file size limit): the daemon says once
 * which file failed and why, counts it in status, keeps the recording made so far, and
 * runs to the end (exit 0, the feed complete). --record-out to a full device (/dev/full)
 * says so and counts the messages the file lacks. */
static void test_record_disk_full(void **state)
{
    (void)state;
    assert_int_equal(system("rm -rf " DIR "/full && mkdir -p " DIR "/full"), 0);
    const char *rec[] = {"skyguardd", "-c", SG_SOURCE_DIR "/config/default-venue.json",
                         "-e", "tcp://127.0.0.1:*", "--linger", "0",
                         "--record", DIR "/full", NULL};
    assert_int_equal(wait_exit(start_logged(rec, DIR "/full/log.txt", 3000000)), 0);
    assert_true(file_has(DIR "/full/log.txt",
                         "recording stopped (kept up to the failure): " DIR
                         "/full/rf-north-roof.sigmf-data: write failed: File too large"));
    assert_true(file_has(DIR "/full/feed.jsonl", "\"record_errors\":1"));
    struct stat st;
    assert_int_equal(stat(DIR "/full/rf-north-roof.sigmf-data", &st), 0);
    print_message("full disk: %lld bytes of IQ kept\n", (long long)st.st_size);
    assert_true(st.st_size > 0 && st.st_size <= 3000000 && st.st_size % 8 == 0);
    sigmf_meta m;
    sg_errinfo e = {0};
    assert_int_equal(sigmf_meta_load(DIR "/full/rf-north-roof.sigmf-meta", 0, &m, &e), 0);
    sigmf_meta_free(&m);

    const char *out[] = {"skyguardd", "-c", SG_SOURCE_DIR "/config/default-venue.json",
                         "-e", "tcp://127.0.0.1:*", "--linger", "0", "--record-out", "/dev/full",
                         NULL};
    assert_int_equal(wait_exit(start_logged(out, DIR "/full/log2.txt", 0)), 0);
    assert_true(file_has(DIR "/full/log2.txt",
                         "record-out stopped: /dev/full: write failed: No space left on device"));
    assert_true(file_has(DIR "/full/log2.txt", " not in the --record-out file"));
}

/* -q keeps non-fatal warnings: a replay whose data is shorter than its meta says ends
 * with a warning on stderr even when the per-event lines are off. */
static void test_quiet_keeps_warnings(void **state)
{
    (void)state;
    assert_int_equal(system("rm -rf " DIR "/quiet && mkdir -p " DIR "/quiet && cp " SG_SOURCE_DIR
                            "/testdata/demo-stadium.sigmf-meta " DIR "/quiet/trunc.sigmf-meta && "
                            "head -c 200000 " SG_SOURCE_DIR "/testdata/demo-stadium.sigmf-data > "
                            DIR "/quiet/trunc.sigmf-data"), 0);
    const char *args[] = {"skyguardd", "-q", "-c", SG_SOURCE_DIR "/config/default-venue.json",
                          "-e", "tcp://127.0.0.1:*", "--linger", "0",
                          "--replay", DIR "/quiet/trunc.sigmf-meta", NULL};
    assert_int_equal(wait_exit(start_logged(args, DIR "/quiet/log.txt", 0)), 0);
    assert_true(file_has(DIR "/quiet/log.txt", "input ended with an error"));
    assert_true(file_has(DIR "/quiet/log.txt", "but the meta describes samples up to"));
    assert_false(file_has(DIR "/quiet/log.txt", "summary:")); /* event lines stay off */
}

/* Watchdog: a stage that stops making progress (here the recording, blocked opening a
 * FIFO nobody reads, like a hung network disk) makes the sensor "degraded" with
 * "stalled": true in status (published by the wall clock while the sample clock stands
 * still) and a warning; SIGTERM still ends the daemon within SENSOR_STOP_GRACE_S +
 * 1 s, with exit code 2 and the stuck sensor named. */
static void test_watchdog_stalled_stage(void **state)
{
    (void)state;
    assert_int_equal(system("rm -rf " DIR "/stall && mkdir -p " DIR "/stall"), 0);
    assert_int_equal(mkfifo(DIR "/stall/rf-north-roof.sigmf-data.tmp", 0600), 0);
    const char *args[] = {"skyguardd", "-c", SG_SOURCE_DIR "/config/default-venue.json",
                          "-e", "tcp://127.0.0.1:*", "--linger", "0",
                          "--record", DIR "/stall", NULL};
    pid_t pid = start_logged(args, DIR "/stall/log.txt", 0);
    bool seen = false;
    for (int i = 0; i < 150 && !seen; i++) { /* the watchdog fires after 5 s */
        usleep(100000);
        seen = file_has(DIR "/stall/log.txt", "stalled: no progress for 5 s in the recording");
    }
    assert_true(seen);
    usleep(1500000); /* a wall-clock status or two */
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    assert_int_equal(kill(pid, SIGTERM), 0);
    int status = 0, done = 0;
    for (int i = 0; i < 100 && !done; i++) {
        done = waitpid(pid, &status, WNOHANG) == pid;
        if (!done)
            usleep(50000);
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    if (!done) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        fail_msg("SIGTERM not answered within 5 s");
    }
    double dt = (double)(b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) * 1e-9;
    print_message("stalled stage: SIGTERM answered in %.2f s\n", dt);
    assert_true(dt < 3.0);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 2);
    assert_true(file_has(DIR "/stall/log.txt", "sensor rf-north-roof did not stop within 2 s"));
    assert_true(file_has(DIR "/stall/feed.jsonl",
                         "\"id\":\"rf-north-roof\",\"state\":\"degraded\",\"stalled\":true"));
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
        cmocka_unit_test(test_record_killed),
        cmocka_unit_test(test_record_disk_full),
        cmocka_unit_test(test_quiet_keeps_warnings),
        cmocka_unit_test(test_watchdog_stalled_stage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
