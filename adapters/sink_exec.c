/* The exec alert hook (outputs.exec): each alert that passes the hook filter (sink_hook.h)
 * runs a command (argv array, absolute path, no shell) with the feed's alert JSON on its
 * standard input and SKYGUARD_ALERT_ID / _STATE / _SEVERITY / _ZONE / _TRACK_ID in its
 * environment. A command still running after timeout_s is killed (its whole process group)
 * and counted; a non-zero exit counts as failed. One command at a time: a slow command fills
 * only this sink's queue. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sg_json.h"
#include "sg_clock.h"
#include "sink.h"
#include "sink_hook.h"

#define EXEC_MAX_ARGS 32

extern char **environ;

typedef struct {
    char *argv[EXEC_MAX_ARGS + 1]; /* owned strings */
    double timeout_s;
    hook_filter f;
    uint64_t runs, exit_errors, timeouts, spawn_errors; /* atomics */
} exec_sink;

static void bump(uint64_t *c)
{
    __atomic_add_fetch(c, 1, __ATOMIC_RELAXED);
}

static void exec_close(void *state)
{
    exec_sink *x = state;
    for (int i = 0; x->argv[i]; i++)
        free(x->argv[i]);
    free(x);
}

static int exec_open(void **state, const cJSON *b, const char *where, const sink_env *env,
                     sg_errinfo *e)
{
    (void)env;
    static const char *const keys[] = {"command", "timeout_s", HOOK_FILTER_KEYS, NULL};
    exec_sink *x = calloc(1, sizeof *x);
    if (!x)
        return sg_err_set(e, SG_ENOMEM, "%s: out of memory", where);
    const cJSON *cmd;
    int rc;
    if ((rc = sink_check_keys(b, where, keys, e)) ||
        (rc = sgj_array(b, where, "command", true, &cmd, e)) ||
        (rc = sgj_number(b, where, "timeout_s", false, 10, 0.01, 3600, &x->timeout_s, e)) ||
        (rc = hook_filter_parse(&x->f, b, where, e)))
        goto fail;
    int n = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, cmd)
    {
        if (!cJSON_IsString(it) || n == EXEC_MAX_ARGS) {
            rc = sg_err_set(e, SG_EINVAL, "%s.command[%d]: must be a string (at most %d)", where,
                            n, EXEC_MAX_ARGS);
            goto fail;
        }
        if (!(x->argv[n++] = strdup(it->valuestring))) {
            rc = sg_err_set(e, SG_ENOMEM, "%s: out of memory", where);
            goto fail;
        }
    }
    if (!n) {
        rc = sg_err_set(e, SG_EINVAL, "%s.command: must name a program: [\"/path/to/prog\", "
                        "\"arg\", ...]", where);
        goto fail;
    }
    if (x->argv[0][0] != '/') {
        rc = sg_err_set(e, SG_EINVAL, "%s.command[0]: \"%s\" must be an absolute path (no shell, "
                        "no PATH search)", where, x->argv[0]);
        goto fail;
    }
    if (access(x->argv[0], X_OK) != 0) {
        rc = sg_err_set(e, SG_ENOTFOUND, "%s.command[0]: %s: %s", where, x->argv[0],
                        strerror(errno));
        goto fail;
    }
    *state = x;
    return SG_OK;
fail:
    exec_close(x);
    return rc;
}

/* environ plus our variables; strings in vars[], pointers in out[] (NULL-terminated). */
static char **make_env(const sink_event *ev, char vars[5][96], size_t *count)
{
    size_t n = 0;
    while (environ && environ[n])
        n++;
    char **out = calloc(n + 6, sizeof *out);
    if (!out)
        return NULL;
    const feed_msg_alert *a = &ev->u.alert;
    snprintf(vars[0], 96, "SKYGUARD_ALERT_ID=%u", (unsigned)a->id);
    snprintf(vars[1], 96, "SKYGUARD_STATE=%s", sg_alert_state_name(a->state));
    snprintf(vars[2], 96, "SKYGUARD_SEVERITY=%s", sg_severity_name(a->severity));
    snprintf(vars[3], 96, "SKYGUARD_ZONE=%s", a->zone);
    snprintf(vars[4], 96, "SKYGUARD_TRACK_ID=%u", (unsigned)a->track_id);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (strncmp(environ[i], "SKYGUARD_", 9))
            out[k++] = environ[i];
    for (int i = 0; i < 5; i++)
        out[k++] = vars[i];
    out[k] = NULL;
    *count = k;
    return out;
}

static int exec_handle(void *state, const sink_event *ev, const int *stop)
{
    (void)stop;
    exec_sink *x = state;
    hook_decision d = hook_filter_check(&x->f, ev, sg_clock_s(CLOCK_MONOTONIC));
    if (d == HOOK_FILTERED)
        return SG_OK;
    if (d == HOOK_RATE_LIMITED)
        return SG_EOVERFLOW;
    /* a command that exits without reading stdin must not kill us with SIGPIPE */
    sigset_t pipe_set;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, NULL);

    int fds[2];
    if (pipe(fds) != 0 || fcntl(fds[1], F_SETFD, FD_CLOEXEC) != 0) {
        bump(&x->spawn_errors);
        return SG_EIO;
    }
    char vars[5][96];
    size_t nenv;
    char **envp = make_env(ev, vars, &nenv);
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[0], 0);
    posix_spawnattr_init(&at);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK);
    posix_spawnattr_setpgroup(&at, 0); /* own group: a timeout kills its children too */
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&at, &none);
    pid_t pid = -1;
    int sr = envp ? posix_spawn(&pid, x->argv[0], &fa, &at, x->argv, envp) : ENOMEM;
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    free(envp);
    close(fds[0]); /* the child's stdin is a dup2 of it; closing ours */
    if (sr != 0) {
        close(fds[1]);
        bump(&x->spawn_errors);
        return SG_EIO;
    }
    bump(&x->runs);
    fcntl(fds[1], F_SETFL, O_NONBLOCK); /* the body fits a pipe buffer (64 KiB) */
    ssize_t wr = write(fds[1], ev->json, ev->json_len);
    (void)wr; /* a command may ignore its input */
    close(fds[1]);
    struct timespec ts = {0, 0};
    sigtimedwait(&pipe_set, NULL, &ts); /* consume a SIGPIPE we may have raised */

    double end = sg_clock_s(CLOCK_MONOTONIC) + x->timeout_s;
    int status = 0;
    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            break;
        if (r < 0 && errno != EINTR) {
            bump(&x->spawn_errors);
            return SG_EIO;
        }
        if (sg_clock_s(CLOCK_MONOTONIC) > end) {
            kill(-pid, SIGKILL);
            waitpid(pid, &status, 0);
            bump(&x->timeouts);
            return SG_ETIMEOUT;
        }
        struct timespec nap = {0, 2000000};
        nanosleep(&nap, NULL);
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        bump(&x->exit_errors);
        return SG_EIO;
    }
    return SG_OK;
}

static void exec_stats(void *state, sink_stats *out)
{
    exec_sink *x = state;
    const struct {
        const char *n;
        uint64_t *v;
    } s[] = {{"runs", &x->runs},           {"exit_errors", &x->exit_errors},
             {"timeouts", &x->timeouts},   {"spawn_errors", &x->spawn_errors},
             {"filtered", &x->f.filtered}, {"rate_limited", &x->f.rate_limited}};
    for (size_t i = 0; i < sizeof s / sizeof s[0] && i < SINK_MAX_EXTRA; i++) {
        out->extra[i].name = s[i].n;
        out->extra[i].value = __atomic_load_n(s[i].v, __ATOMIC_RELAXED);
    }
}

const sink_ops sink_exec_ops = {"exec", exec_open, exec_handle, NULL, exec_stats, exec_close};
