/* Helpers for tests that run programs and servers (sg_bridge, mosquitto, curl): free
 * loopback ports, child processes with their output in a file, bounded waits, reading
 * files back. Files are named relative to ph_dir, which the test sets up. */
#ifndef SG_PROC_HARNESS_H
#define SG_PROC_HARNESS_H

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sg_clock.h"
#include "sg_json.h"

static char ph_dir[256];

static inline double ph_now(void)
{
    return sg_clock_s(CLOCK_MONOTONIC);
}

/* A TCP port free on 127.0.0.1 just now. */
static inline int ph_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    bind(fd, (struct sockaddr *)&a, sizeof a);
    getsockname(fd, (struct sockaddr *)&a, &al);
    close(fd);
    return ntohs(a.sin_port);
}

/* Runs argv[0] with stdout and stderr into ph_dir/out_name. */
static inline pid_t ph_spawn(char *const argv[], const char *out_name)
{
    char out[512];
    snprintf(out, sizeof out, "%s/%s", ph_dir, out_name);
    pid_t pid = fork();
    if (pid == 0) {
        int fo = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fo < 0 || dup2(fo, 1) < 0 || dup2(fo, 2) < 0)
            _exit(99);
        execv(argv[0], argv);
        _exit(98);
    }
    return pid;
}

/* Exit status of pid if it ends within max_s; otherwise -1, after killing it when
 * kill_late (else it keeps running). -2 when it died of a signal. */
static inline int ph_wait(pid_t pid, double max_s, bool kill_late)
{
    int status = 0;
    double end = ph_now() + max_s;
    for (;;) {
        if (waitpid(pid, &status, WNOHANG) == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : -2;
        if (ph_now() > end)
            break;
        usleep(5000);
    }
    if (kill_late) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
    }
    return -1;
}

/* The whole of ph_dir/name (malloc'd; "" when it cannot be read). */
static inline char *ph_slurp(const char *name)
{
    char p[512], *text = NULL;
    sg_errinfo e;
    snprintf(p, sizeof p, "%s/%s", ph_dir, name);
    if (sg_read_file(p, 1 << 22, &text, NULL, &e) != SG_OK)
        text = calloc(1, 1);
    return text;
}

#endif
