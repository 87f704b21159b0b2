/* Sample-to-subscriber latency of track updates, as a subscriber measures it: runs the
 * daemon on the bundled demo venue replaying its capture paced to real time (--realtime,
 * ~85 s), subscribes to track.*, and for every track message that carries new data (a
 * t_last not seen before for that track) takes arrival (monotonic wall clock) minus
 * t_last. The smallest difference is the pipeline's fixed offset (the clocks' origins
 * differ); the figures are relative to it: how long data waits before a subscriber sees it.
 * Verifies that the intruder and the venue drone were both seen (>= 60 updates).
 * Usage: bench_feed_latency [path/to/skyguardd] (default: the build's skyguardd). */
#include <cjson/cJSON.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#define EP "tcp://127.0.0.1:5687"
#define MAX_MSG 4096
#define MAX_TRACKS 64

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct {
    double lat;       /* s: arrival - t_last */
    unsigned id;
    double t_last;    /* s UTC */
    char status[16];
    double hits;
} update;

static int cmp(const void *a, const void *b)
{
    double x = ((const update *)a)->lat, y = ((const update *)b)->lat;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    const char *daemon = argc > 1 ? argv[1] : SG_BINARY_DIR "/skyguardd";
    pid_t pid = fork();
    if (pid < 0)
        return 1;
    if (pid == 0) {
        if (!freopen("/dev/null", "w", stdout))
            _exit(126);
        execl(daemon, daemon, "-c", SG_SOURCE_DIR "/config/default-venue.json", "--realtime",
              "-q", "--endpoint", EP, "--wait-subscriber", "5", (char *)NULL);
        _exit(127);
    }
    void *ctx = zmq_ctx_new();
    void *sub = zmq_socket(ctx, ZMQ_SUB);
    zmq_connect(sub, EP);
    zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "track.", 6);
    static update lat[MAX_MSG];
    size_t n = 0;
    unsigned ids[MAX_TRACKS];
    double last[MAX_TRACKS];
    size_t nt = 0;
    char buf[16384];
    int status = 0;
    for (;;) {
        zmq_pollitem_t it = {sub, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&it, 1, 200) > 0) {
            int len = zmq_recv(sub, buf, sizeof buf - 1, 0);
            double now = mono();
            if (len <= 0 || len >= (int)sizeof buf)
                continue;
            buf[len] = 0;
            char *body = strchr(buf, ' ');
            cJSON *j = body ? cJSON_Parse(body + 1) : NULL;
            const cJSON *id = cJSON_GetObjectItem(j, "id"), *tl = cJSON_GetObjectItem(j, "t_last");
            if (cJSON_IsNumber(id) && cJSON_IsNumber(tl)) {
                size_t k = 0;
                while (k < nt && ids[k] != (unsigned)id->valuedouble)
                    k++;
                if (k == nt && nt < MAX_TRACKS) {
                    ids[nt] = (unsigned)id->valuedouble;
                    last[nt++] = NAN;
                }
                if (k < nt && last[k] != tl->valuedouble && n < MAX_MSG) {
                    const cJSON *st = cJSON_GetObjectItem(j, "status"),
                                *hi = cJSON_GetObjectItem(j, "hits");
                    last[k] = tl->valuedouble;
                    update *u = &lat[n++];
                    u->lat = now - tl->valuedouble;
                    u->id = ids[k];
                    u->t_last = tl->valuedouble;
                    u->hits = cJSON_IsNumber(hi) ? hi->valuedouble : NAN;
                    snprintf(u->status, sizeof u->status, "%s",
                             cJSON_IsString(st) ? st->valuestring : "?");
                }
            }
            cJSON_Delete(j);
        }
        if (waitpid(pid, &status, WNOHANG) == pid)
            break;
    }
    zmq_close(sub);
    zmq_ctx_term(ctx);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || n < 60) {
        fprintf(stderr, "verification failed: daemon status %d, %zu updates\n", status, n);
        return 1;
    }
    qsort(lat, n, sizeof lat[0], cmp);
    double base = lat[0].lat;
    for (size_t i = 0; i < n; i++)
        lat[i].lat = (lat[i].lat - base) * 1e3;
    printf("paced demo replay: %zu track updates with new data, %zu tracks\n", n, nt);
    printf("sample-to-subscriber latency (relative to the fastest update): p50 %.1f ms, "
           "p90 %.1f ms, p99 %.1f ms, max %.1f ms\n",
           lat[n / 2].lat, lat[(size_t)(0.9 * (double)n)].lat,
           lat[(size_t)(0.99 * (double)n)].lat, lat[n - 1].lat);
    for (size_t i = n > 3 ? n - 3 : 0; i < n; i++) /* what waited longest */
        printf("  slowest: %.1f ms, track %u (%s, %.0f hits), t_last %.3f\n", lat[i].lat,
               lat[i].id, lat[i].status, lat[i].hits, lat[i].t_last);
    return 0;
}
