/* Benchmarks for the operator feed's consumer side and security cost:
 *   1. feed_msg_parse throughput over the four message types (what sg_watch and any C
 *      consumer pay per frame), every parse verified;
 *   2. PUB -> SUB over loopback TCP with ~560-byte track frames, plaintext vs CURVE
 *      (feed_auth server with a one-key allow-list), every frame counted: the price of
 *      encryption per message. The CURVE handshake/ZAP cost is once per connection.
 * Fixed inputs; iteration counts scaled to ~1 s per measurement. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zmq.h>

#include "feed_auth.h"
#include "feed_msg.h"

static const char *frames[] = {
    "track.17 {\"v\":1,\"type\":\"track\",\"id\":17,\"status\":\"confirmed\",\"t\":1795386600.25,"
    "\"time\":\"2026-11-22T22:30:00.250Z\",\"lat\":51.5561,\"lon\":-0.2796,\"alt_m\":152.5,"
    "\"enu_m\":[120.5,-40.25,100.0],\"vel_mps\":[3.0,4.0,-0.5],\"speed_mps\":5.0,"
    "\"course_deg\":36.87,\"climb_mps\":-0.5,\"pos_sd_m\":7.5,\"class\":\"dji_droneid\","
    "\"class_conf\":0.93,\"identity\":\"1581F5FJD22A00XY\",\"operator\":{\"lat\":51.55,"
    "\"lon\":-0.28,\"alt_m\":60.0},\"sensors\":[\"rf-north\"],\"zones\":[{\"id\":"
    "\"stadium-critical\",\"severity\":\"critical\",\"inside\":true,\"ttb_s\":null}],"
    "\"hits\":12,\"t_first\":1795386590.0,\"t_last\":1795386600.25}",
    "alert.critical.stadium-critical {\"v\":1,\"type\":\"alert\",\"id\":3,\"state\":\"raised\","
    "\"severity\":\"critical\",\"t\":1795386601.0,\"time\":\"2026-11-22T22:30:01.000Z\","
    "\"track_id\":17,\"zone\":\"stadium-critical\",\"inside\":false,\"ttb_s\":12.3,"
    "\"ttb_sd_s\":1.1,\"allow_listed\":false,\"identity\":\"1581F5FJD22A00XY\","
    "\"class\":\"dji_droneid\",\"sensors\":[\"rf-north\"]}",
    "status.skyguardd {\"v\":1,\"type\":\"status\",\"t\":1795386602.0,\"time\":"
    "\"2026-11-22T22:30:02.000Z\",\"node\":\"skyguardd\",\"uptime_s\":3600.5,"
    "\"samples_processed\":123456789012,\"samples_dropped\":4096,\"blocks_dropped\":1,"
    "\"bursts\":77,\"measurements\":70,\"measurements_rejected\":2,\"published\":500,"
    "\"publish_dropped\":0,\"queue_depth\":3,\"queue_capacity\":64,\"tracks\":2,"
    "\"alerts_active\":1,\"sensors\":[{\"id\":\"rf-north\",\"state\":\"ok\",\"last_t\":"
    "1795386601.9}],\"latency_ms\":{\"frontend_p50\":1.5,\"frontend_p99\":4.0,"
    "\"pipeline_p50\":8.0,\"pipeline_p99\":20.0}}",
    "rf.rf-north {\"v\":1,\"type\":\"rf\",\"sensor\":\"rf-north\",\"class\":\"frsky_d16\","
    "\"class_conf\":0.8,\"fc_hz\":2440000000.0,\"bw_hz\":1500000.0,\"first_t\":1795386599.0,"
    "\"last_t\":1795386603.0,\"t\":1795386603.0,\"time\":\"2026-11-22T22:30:03.000Z\"}",
};
#define NF (sizeof frames / sizeof frames[0])

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int bench_parse(void)
{
    size_t len[NF], bytes = 0;
    for (size_t i = 0; i < NF; i++)
        len[i] = strlen(frames[i]);
    long n = 1000;
    double dt = 0;
    for (;;) {
        double t0 = now_s();
        bytes = 0;
        for (long i = 0; i < n; i++) {
            feed_msg m;
            sg_errinfo e;
            size_t k = (size_t)i % NF;
            if (feed_msg_parse(frames[k], len[k], &m, &e) != SG_OK ||
                m.type != (feed_msg_type)k) {
                fprintf(stderr, "bench_feed_msg: parse failed: %s\n", e.msg);
                return 1;
            }
            feed_msg_free(&m);
            bytes += len[k];
        }
        dt = now_s() - t0;
        if (dt > 1.0)
            break;
        n *= dt < 0.05 ? 10 : 2;
    }
    printf("feed_msg_parse: %ld frames in %.2f s: %.0f frames/s, %.1f MB/s (mean frame %zu B), "
           "one core\n", n, dt, n / dt, bytes / dt / 1e6, bytes / (size_t)n);
    return 0;
}

typedef struct {
    void *pub;
    long n;
    atomic_bool go;
    atomic_bool stop;
} sender;

static void *send_thread(void *arg)
{
    sender *s = arg;
    const char *sync = "status.sync {}";
    while (!atomic_load(&s->go) && !atomic_load(&s->stop)) {
        zmq_send(s->pub, sync, strlen(sync), 0);
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
    }
    size_t len = strlen(frames[0]);
    for (long i = 0; i < s->n && !atomic_load(&s->stop); i++)
        zmq_send(s->pub, frames[0], len, 0);
    zmq_send(s->pub, "end", 3, 0);
    return NULL;
}

/* Returns frames/s over loopback, or a negative value on failure. */
static double bench_pubsub(bool curve, long n)
{
    sg_errinfo e = {0};
    feed_keypair srv, cli;
    if (feed_key_generate(&srv, &e) || feed_key_generate(&cli, &e))
        return -1;
    feed_auth_cfg cfg;
    feed_auth_cfg_default(&cfg);
    if (curve) {
        memcpy(cfg.server_secret_z85, srv.secret_z85, sizeof srv.secret_z85);
        if (feed_auth_cfg_add_client_key(&cfg, cli.public_z85, &e))
            return -1;
    } else {
        cfg.mode = FEED_AUTH_PLAINTEXT;
    }
    void *ctx = zmq_ctx_new(), *cctx = zmq_ctx_new();
    feed_auth *a = feed_auth_create(ctx, &cfg, &e);
    if (!a) {
        fprintf(stderr, "bench_feed_msg: %s\n", e.msg);
        return -1;
    }
    int hwm = 0, linger = 0;
    void *pub = zmq_socket(ctx, ZMQ_PUB), *sub = zmq_socket(cctx, ZMQ_SUB);
    zmq_setsockopt(pub, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(sub, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt(pub, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(sub, ZMQ_LINGER, &linger, sizeof linger);
    char ep[128];
    size_t epn = sizeof ep;
    if (feed_auth_apply(a, pub, "tcp://127.0.0.1:*", &e) || zmq_bind(pub, "tcp://127.0.0.1:*") ||
        zmq_getsockopt(pub, ZMQ_LAST_ENDPOINT, ep, &epn))
        return -1;
    if (curve) {
        zmq_setsockopt(sub, ZMQ_CURVE_SERVERKEY, srv.public_z85, 40);
        zmq_setsockopt(sub, ZMQ_CURVE_PUBLICKEY, cli.public_z85, 40);
        zmq_setsockopt(sub, ZMQ_CURVE_SECRETKEY, cli.secret_z85, 40);
    }
    zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "", 0);
    int to = 5000;
    zmq_setsockopt(sub, ZMQ_RCVTIMEO, &to, sizeof to);
    zmq_connect(sub, ep);

    sender s = {.pub = pub, .n = n};
    atomic_init(&s.go, false);
    atomic_init(&s.stop, false);
    pthread_t th;
    pthread_create(&th, NULL, send_thread, &s);
    char buf[2048];
    long got = 0;
    double t0 = 0, rate = -1;
    for (;;) {
        int r = zmq_recv(sub, buf, sizeof buf, 0);
        if (r < 0)
            break; /* 5 s without a frame */
        if (!atomic_load(&s.go)) {
            atomic_store(&s.go, true);
            t0 = now_s();
            continue;
        }
        if (r == 3 && memcmp(buf, "end", 3) == 0) {
            rate = got / (now_s() - t0);
            break;
        }
        if (r == (int)strlen(frames[0]))
            got++;
    }
    atomic_store(&s.stop, true);
    pthread_join(th, NULL);
    if (got != n) {
        fprintf(stderr, "bench_feed_msg: received %ld of %ld frames\n", got, n);
        rate = -1;
    }
    zmq_close(sub);
    zmq_close(pub);
    feed_auth_destroy(a);
    zmq_ctx_term(ctx);
    zmq_ctx_term(cctx);
    return rate;
}

int main(void)
{
    if (bench_parse())
        return 1;
    long n = 200000;
    double plain = bench_pubsub(false, n), curve = bench_pubsub(true, n);
    if (plain < 0 || curve < 0)
        return 1;
    size_t len = strlen(frames[0]);
    printf("loopback PUB->SUB, %zu B frames, %ld frames: plaintext %.0f frames/s (%.1f MB/s), "
           "CURVE %.0f frames/s (%.1f MB/s), CURVE/plaintext %.2f\n", len, n, plain,
           plain * len / 1e6, curve, curve * len / 1e6, curve / plain);
    return 0;
}
