/* Test harness for whole-daemon tests: starts build/skyguardd with arguments on an
 * ephemeral loopback feed endpoint, subscribes, and collects every message (parsed
 * JSON) until the daemon exits. Header-only: included by tests/test_e2e*.c. */
#ifndef SG_DAEMON_HARNESS_H
#define SG_DAEMON_HARNESS_H

#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <zmq.h>

typedef struct {
    cJSON **msgs;
    char **topics;
    size_t n, cap;
} msglist;

static inline void msglist_add(msglist *l, const char *topic, cJSON *j)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 256;
        l->msgs = realloc(l->msgs, l->cap * sizeof *l->msgs);
        l->topics = realloc(l->topics, l->cap * sizeof *l->topics);
        assert_non_null(l->msgs);
        assert_non_null(l->topics);
    }
    l->topics[l->n] = strdup(topic);
    l->msgs[l->n++] = j;
}

static inline void msglist_free(msglist *l)
{
    for (size_t i = 0; i < l->n; i++) {
        cJSON_Delete(l->msgs[i]);
        free(l->topics[i]);
    }
    free(l->msgs);
    free(l->topics);
    memset(l, 0, sizeof *l);
}

static inline const char *jstr(const cJSON *j, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, k);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static inline double jnum(const cJSON *j, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, k);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static inline bool jflag(const cJSON *j, const char *k)
{
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, k));
}

/* The last message of a type, or NULL. */
static inline const cJSON *msglist_last(const msglist *l, const char *type)
{
    for (size_t i = l->n; i-- > 0;)
        if (strcmp(jstr(l->msgs[i], "type"), type) == 0)
            return l->msgs[i];
    return NULL;
}

/* Starts the daemon with extra arguments (NULL-terminated) plus
 * "-e tcp://127.0.0.1:* --wait-subscriber 20"; its stdout goes to log_path.
 * Returns the pid and writes the bound endpoint. */
static inline pid_t harness_start(const char *log_path, const char *const *args, char *endpoint,
                           size_t cap)
{
    unlink(log_path);
    const char *argv[32];
    size_t n = 0;
    argv[n++] = "skyguardd";
    for (size_t i = 0; args[i] && n < 26; i++)
        argv[n++] = args[i];
    argv[n++] = "-e";
    argv[n++] = "tcp://127.0.0.1:*";
    argv[n++] = "--wait-subscriber";
    argv[n++] = "20";
    argv[n] = NULL;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (!freopen(log_path, "w", stdout))
            _exit(120);
        execv(SG_BINARY_DIR "/skyguardd", (char *const *)argv);
        _exit(121);
    }
    for (int i = 0; i < 2000; i++) {
        FILE *f = fopen(log_path, "r");
        char line[512];
        if (f && fgets(line, sizeof line, f)) {
            char *p = strstr(line, "feed on ");
            if (p && strchr(p, '\n')) {
                snprintf(endpoint, cap, "%s", p + 8);
                endpoint[strcspn(endpoint, "\n")] = '\0';
                fclose(f);
                return pid;
            }
        }
        if (f)
            fclose(f);
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid)
            fail_msg("daemon exited early (status %d, log %s)", st, log_path);
        usleep(10000);
    }
    kill(pid, SIGKILL);
    fail_msg("daemon did not report its endpoint (see %s)", log_path);
    return -1;
}

/* Receives on sub until the daemon has exited and the socket stayed quiet for a
 * second. If late/late_out are given, `late` subscribes to everything once
 * late_after messages arrived on sub (a late joiner). */
static inline void harness_collect(void *sub, pid_t pid, msglist *out, int *status, void *late,
                            msglist *late_out, size_t late_after)
{
    static char buf[65536];
    bool exited = false, late_on = false;
    int quiet = 0;
    while (!exited || quiet < 20) {
        zmq_pollitem_t it[2] = {{sub, 0, ZMQ_POLLIN, 0}, {late, 0, ZMQ_POLLIN, 0}};
        int ns = late_on ? 2 : 1;
        int n = zmq_poll(it, ns, 50);
        assert_true(n >= 0);
        for (int s = 0; s < ns; s++) {
            if (!(it[s].revents & ZMQ_POLLIN))
                continue;
            int len = zmq_recv(it[s].socket, buf, sizeof buf - 1, 0);
            assert_true(len > 0);
            buf[len] = '\0';
            char *sp = strchr(buf, ' ');
            assert_non_null(sp);
            *sp = '\0';
            cJSON *j = cJSON_Parse(sp + 1);
            if (!j)
                fail_msg("feed sent invalid JSON on %s: %s", buf, sp + 1);
            assert_int_equal((int)jnum(j, "v"), 1);
            msglist_add(s == 0 ? out : late_out, buf, j);
        }
        if (late && !late_on && out->n >= late_after) {
            assert_int_equal(zmq_setsockopt(late, ZMQ_SUBSCRIBE, "", 0), 0);
            late_on = true;
        }
        if (!exited && waitpid(pid, status, WNOHANG) == pid)
            exited = true;
        quiet = n == 0 ? quiet + 1 : 0;
    }
}

/* Runs the daemon to completion with args; collects everything on a subscriber and,
 * if late_out is given, on a late joiner that subscribes once late_after messages
 * arrived (it gets a snapshot). Returns the daemon's wait status. */
static inline int harness_run_late(const char *log_path, const char *const *args, msglist *out,
                                   msglist *late_out, size_t late_after)
{
    char ep[256];
    pid_t pid = harness_start(log_path, args, ep, sizeof ep);
    void *ctx = zmq_ctx_new();
    void *sub = zmq_socket(ctx, ZMQ_SUB), *late = late_out ? zmq_socket(ctx, ZMQ_SUB) : NULL;
    int hwm = 200000;
    zmq_setsockopt(sub, ZMQ_RCVHWM, &hwm, sizeof hwm);
    assert_int_equal(zmq_connect(sub, ep), 0);
    if (late)
        assert_int_equal(zmq_connect(late, ep), 0);
    assert_int_equal(zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "", 0), 0);
    int status = 0;
    harness_collect(sub, pid, out, &status, late, late_out, late_after);
    zmq_close(sub);
    if (late)
        zmq_close(late);
    zmq_ctx_term(ctx);
    return status;
}

/* Runs the daemon to completion with args; collects everything on a subscriber. */
static inline int harness_run(const char *log_path, const char *const *args, msglist *out)
{
    return harness_run_late(log_path, args, out, NULL, 0);
}

/* True if the log file contains the text. */
static inline bool log_contains(const char *log_path, const char *text)
{
    FILE *f = fopen(log_path, "r");
    if (!f)
        return false;
    static char line[4096];
    bool found = false;
    while (!found && fgets(line, sizeof line, f))
        found = strstr(line, text) != NULL;
    fclose(f);
    return found;
}

/* The last message of a type in a --record-out file (what the daemon published, in
 * order, whether or not a subscriber received it), or NULL; the caller deletes it. */
static inline cJSON *harness_record_last(const char *record, const char *type)
{
    FILE *f = fopen(record, "r");
    if (!f)
        return NULL;
    static char line[1 << 18];
    cJSON *last = NULL;
    while (fgets(line, sizeof line, f)) {
        char *sp = strchr(line, ' ');
        cJSON *j = sp ? cJSON_Parse(sp + 1) : NULL;
        if (j && strcmp(jstr(j, "type"), type) == 0) {
            cJSON_Delete(last);
            last = j;
        } else {
            cJSON_Delete(j);
        }
    }
    fclose(f);
    return last;
}

/* Holds a --record-out file to docs/feed-schema.json and .md (tests/feed_schema_check.py
 * with Debian's python, since a pyenv shim on PATH may lack its packages): every message
 * valid, topic agreeing with the body, exact `time`, no undocumented field (in the record
 * or written by the encoder sources adapters/feed.c, apps/node/fusion_status.c); each type of
 * the comma list `types` present, and of `snap` (or NULL) with "snapshot": true. Without
 * python3-jsonschema the check is skipped with a message. */
#define HARNESS_PY "/usr/bin/python3"
static inline bool harness_have_jsonschema(void)
{
    return system(HARNESS_PY " -c 'import jsonschema' 2>/dev/null") == 0;
}

static inline void harness_schema_check(const char *record, const char *types, const char *snap)
{
    if (!harness_have_jsonschema()) {
        print_message("feed schema check of %s skipped: no python3-jsonschema\n", record);
        return;
    }
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             HARNESS_PY " " SG_SOURCE_DIR "/tests/feed_schema_check.py " SG_SOURCE_DIR
                        "/docs/feed-schema.json " SG_SOURCE_DIR "/docs/feed-schema.md --corpus "
                        SG_SOURCE_DIR "/fuzz/corpus/fuzz_feed_msg --sources " SG_SOURCE_DIR
                        "/adapters/feed.c," SG_SOURCE_DIR "/apps/node/fusion_status.c"
                        " --require-types %s%s%s %s",
             types, snap ? " --require-snapshot " : "", snap ? snap : "", record);
    int rc = system(cmd);
    if (!WIFEXITED(rc) || WEXITSTATUS(rc) != 0)
        fail_msg("feed_schema_check failed (status %d) on %s: see the FAIL lines above", rc,
                 record);
}

#endif
