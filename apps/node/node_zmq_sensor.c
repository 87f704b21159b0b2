/* The ZeroMQ node link, sensor end: a DEALER that sends a sensor node's events to the
 * fusion node and answers its clock pings (see node_zmq.h, docs/nodes.md). */
#include "node_zmq.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "node_reorder.h"
#include "node_wire.h"
#include "node_zmq_int.h"
#include "sg_jsonw.h"
#include "sg_queue.h"

/* ================================================================ sensor end */

typedef struct {
    nl_event ev;
    bool lossless;             /* pushed with wait: keep back-pressure */
} zs_item;

typedef struct {
    sgq *q;
    void *ctx, *sock;
    pthread_t th;
    bool started;
    atomic_bool halted;
    uint32_t session, seq;
    atomic_uint_least64_t floor_bits;  /* clock floor from the fusion node */
    atomic_uint_least64_t clock_bits;  /* this node's slowest replay clock */
    double clock_sent, clock_sent_at; /* last replay clock sent, and when (s monotonic) */
    atomic_uint_least64_t send_dropped, bytes;
    atomic_bool lossless;      /* a replayed event was pushed: flush everything at the end */
    uint64_t done_sent, done_acked; /* ends of input sent / acknowledged by the fusion node */
    double skew_s;             /* s added to this node's system clock (SG_NODE_CLOCK_SKEW_S:
                                  simulates a badly synchronised node in tests) */
    bool skew_replays;         /* SG_NODE_SKEW_REPLAYS=1: replayed times as if read off that
                                  clock (a live node with a bad clock, from a recording) */
    uint8_t buf[NW_MAX];
} zsens;

static double zs_now(const zsens *z) { return now_rt() + z->skew_s; }

static void zs_header(zsens *z, nw_header *h, nw_kind kind, int sensor, double t)
{
    memset(h, 0, sizeof *h);
    h->kind = kind;
    h->sensor = sensor;
    h->session = z->session;
    h->seq = z->seq++;
    h->t = t;
    h->sent = zs_now(z);
}

/* Pings from the fusion node: keep the floor and, when `reply` (not in the middle of
 * sending an event, whose sequence number is taken), answer with our clock readings
 * and report our replay clock. */
static void zs_service(zsens *z, bool reply)
{
    uint8_t in[NW_MAX], out[NW_HEADER + 32];
    for (;;) {
        int n = zmq_recv(z->sock, in, sizeof in, ZMQ_DONTWAIT);
        if (n < 0)
            break;
        double t2 = zs_now(z);
        nw_header h, oh;
        nw_ping p;
        sg_errinfo e = {0};
        if (n > (int)sizeof in || nw_decode_header(in, (size_t)n, &h, &e))
            continue; /* only pings and acks come this way; anything else is ignored */
        if (h.kind == NW_ACK) {
            z->done_acked++;
            continue;
        }
        if (h.kind != NW_PING || nw_decode_ping(in, (size_t)n, &h, &p, &e))
            continue;
        adbl_set(&z->floor_bits, p.floor);
        if (!reply)
            continue;
        zs_header(z, &oh, NW_PONG, 0, NAN);
        nw_ping r = {.t1 = p.t1, .t2 = t2, .t3 = zs_now(z)};
        oh.sent = r.t3;
        int len = nw_encode_ping(out, sizeof out, &oh, &r);
        if (len > 0 && zmq_send(z->sock, out, (size_t)len, ZMQ_DONTWAIT) != len)
            z->seq--; /* not sent: the sequence shows no gap */
    }
    if (!reply)
        return;
    /* Our replay clock when it moved, and once a second anyway: a fusion node that
     * (re)started learns of a node waiting for its floor (else both would wait). */
    double c = adbl_get(&z->clock_bits), now = now_mono();
    bool moved = c != z->clock_sent && (!(fabs(c - z->clock_sent) < CLOCK_STEP_S) || isinf(c));
    if (c != -INFINITY && (moved || now - z->clock_sent_at >= PING_PERIOD_S)) {
        nw_header h;
        zs_header(z, &h, NW_CLOCK, 0, c);
        uint8_t b[NW_HEADER];
        int len = nw_encode_clock(b, sizeof b, &h);
        if (len == NW_HEADER && zmq_send(z->sock, b, NW_HEADER, ZMQ_DONTWAIT) == NW_HEADER) {
            z->clock_sent = c;
            z->clock_sent_at = now;
        } else {
            z->seq--;
        }
    }
}

static void zs_send(zsens *z, zs_item *it, double give_up_mono)
{
    nl_event *ev = &it->ev;
    if (z->skew_replays && isfinite(ev->t))
        ev->sysclock = true;
    ev->sysclock = ev->sysclock && isfinite(ev->t);
    if (ev->sysclock) /* the (simulated) clock error is in live times too */
        shift_times(ev, z->skew_s);
    nw_header h;
    zs_header(z, &h, nw_event_kind(ev->kind), ev->sensor, ev->t);
    h.flags = ev->sysclock ? NW_HF_SYSCLOCK : 0;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    h.age_ms = ev->made.tv_sec ? sg_ms_between(&ev->made, &now) : 0;
    double wall_first = NAN;
    if (ev->kind == NL_HEALTH && ev->h.wall_first.tv_sec)
        wall_first = h.sent - (mono_of(&now) - mono_of(&ev->h.wall_first));
    int len = nw_encode_event(z->buf, sizeof z->buf, &h, ev, wall_first);
    if (len < 0) {
        atomic_fetch_add(&z->send_dropped, 1);
        return;
    }
    for (;;) {
        if (zmq_send(z->sock, z->buf, (size_t)len, ZMQ_DONTWAIT) == len) {
            atomic_fetch_add(&z->bytes, (uint64_t)len);
            z->done_sent += ev->kind == NL_DONE;
            return;
        }
        if (errno != EAGAIN || !it->lossless || now_mono() > give_up_mono) {
            atomic_fetch_add(&z->send_dropped, 1); /* fusion node slow or absent */
            return;
        }
        zs_service(z, false);
        usleep(2000);
    }
}

static void *zs_thread(void *arg)
{
    zsens *z = arg;
    double give_up = INFINITY;
    for (;;) {
        zs_item it;
        int rc = sgq_pop(z->q, &it, 0.02);
        if (rc == SG_OK)
            zs_send(z, &it, give_up);
        else if (rc == SG_EEOF)
            break;
        zs_service(z, true);
        if (atomic_load(&z->halted) && isinf(give_up))
            give_up = now_mono() + DRAIN_S;
    }
    /* Everything before an end of input is on the fusion node once it acknowledged it:
     * wait for that (a bounded time) so the tail of a replay is not lost at exit. */
    if (!atomic_load(&z->lossless) || isinf(give_up))
        give_up = now_mono() + (atomic_load(&z->lossless) ? DRAIN_S : 1.0);
    while (z->done_acked < z->done_sent && now_mono() < give_up) {
        zs_service(z, true);
        usleep(2000);
    }
    zs_service(z, true);
    return NULL;
}

static int zs_push(void *impl, const nl_event *ev, bool wait)
{
    zsens *z = impl;
    zs_item it = {.ev = *ev, .lossless = wait};
    if (wait)
        atomic_store(&z->lossless, true);
    return sgq_push(z->q, &it, wait);
}

static int zs_pop(void *impl, nl_event *ev, double timeout_s)
{
    (void)impl, (void)ev, (void)timeout_s;
    return SG_ENOTSUP;
}

static void zs_halt(void *impl)
{
    zsens *z = impl;
    atomic_store(&z->halted, true);
    sgq_halt(z->q);
}

static void zs_stats(void *impl, nl_stats *out)
{
    zsens *z = impl;
    sgq_stats qs;
    sgq_get_stats(z->q, &qs);
    memset(out, 0, sizeof *out);
    out->pushed = qs.pushed;
    out->dropped = qs.dropped + atomic_load(&z->send_dropped);
    out->depth = qs.depth;
    out->capacity = qs.capacity;
    out->bytes = atomic_load(&z->bytes);
}

static void zs_destroy(void *impl)
{
    zsens *z = impl;
    if (z->started) {
        zs_halt(z);
        pthread_join(z->th, NULL);
    }
    if (z->sock) {
        /* ms for the last messages to leave: a replay's tail is not given up lightly */
        int linger = atomic_load(&z->lossless) ? (int)(DRAIN_S * 1000) : 1000;
        zmq_setsockopt(z->sock, ZMQ_LINGER, &linger, sizeof linger);
        zmq_close(z->sock);
    }
    if (z->ctx)
        zmq_ctx_term(z->ctx);
    sgq_destroy(z->q);
    free(z);
}

static double zs_floor(void *impl) { return adbl_get(&((zsens *)impl)->floor_bits); }

static void zs_report_clock(void *impl, double t) { adbl_set(&((zsens *)impl)->clock_bits, t); }

static const node_link_ops zs_ops = {
    .push = zs_push, .pop = zs_pop, .halt = zs_halt, .stats = zs_stats, .destroy = zs_destroy,
    .floor = zs_floor, .report_clock = zs_report_clock,
};

node_link *node_zmq_sensor_create(const node_cfg *cfg, int node, sg_errinfo *e)
{
    node_link *l = malloc(sizeof *l);
    zsens *z = calloc(1, sizeof *z);
    if (!l || !z) {
        free(l);
        free(z);
        sg_err_set(e, SG_ENOMEM, "out of memory");
        return NULL;
    }
    l->ops = &zs_ops;
    l->impl = z;
    z->session = random_session();
    const char *skew = getenv("SG_NODE_CLOCK_SKEW_S");
    if (skew && *skew) {
        char *end;
        z->skew_s = strtod(skew, &end);
        if (*end || !isfinite(z->skew_s) || fabs(z->skew_s) > 86400) {
            sg_err_set(e, SG_EINVAL, "SG_NODE_CLOCK_SKEW_S=\"%s\": seconds in [-86400, 86400]",
                       skew);
            goto fail;
        }
    }
    const char *sr = getenv("SG_NODE_SKEW_REPLAYS");
    z->skew_replays = sr && strcmp(sr, "1") == 0;
    adbl_set(&z->floor_bits, -INFINITY);
    adbl_set(&z->clock_bits, -INFINITY);
    z->clock_sent = -INFINITY;
    z->clock_sent_at = -INFINITY;
    const node_sensor_node *nd = &cfg->nodes[node];
    if (!(z->q = sgq_create(cfg->queue, sizeof(zs_item), e)))
        goto fail;
    if (!(z->ctx = zmq_ctx_new()) || !(z->sock = zmq_socket(z->ctx, ZMQ_DEALER))) {
        sg_err_set(e, SG_EIO, "node %s: cannot create a ZeroMQ socket: %s", nd->name,
                   zmq_strerror(errno));
        goto fail;
    }
    /* No ZMTP heartbeats: a saturated fusion node stops reading (its receive HWM) and
     * would look dead, losing what is in flight; TCP keepalive finds dead links. */
    int hwm = cfg->hwm, ivl = 100, ivl_max = 2000, ka = 1, ka_idle = 10, linger = 0;
    if (zmq_setsockopt(z->sock, ZMQ_ROUTING_ID, nd->name, strlen(nd->name)) ||
        zmq_setsockopt(z->sock, ZMQ_SNDHWM, &hwm, sizeof hwm) ||
        zmq_setsockopt(z->sock, ZMQ_RECONNECT_IVL, &ivl, sizeof ivl) ||
        zmq_setsockopt(z->sock, ZMQ_RECONNECT_IVL_MAX, &ivl_max, sizeof ivl_max) ||
        zmq_setsockopt(z->sock, ZMQ_TCP_KEEPALIVE, &ka, sizeof ka) ||
        zmq_setsockopt(z->sock, ZMQ_TCP_KEEPALIVE_IDLE, &ka_idle, sizeof ka_idle) ||
        zmq_setsockopt(z->sock, ZMQ_LINGER, &linger, sizeof linger)) {
        sg_err_set(e, SG_EIO, "node %s: socket options: %s", nd->name, zmq_strerror(errno));
        goto fail;
    }
    if (cfg->plaintext) {
        if (!feed_endpoint_is_loopback(cfg->endpoint)) {
            sg_err_set(e, SG_EAUTH, "nodes.fusion.endpoint %s: plaintext node links are "
                       "loopback only; use security \"curve\"", cfg->endpoint);
            goto fail;
        }
    } else if (feed_auth_client_apply(z->sock, cfg->public_key_file, nd->key_file, e)) {
        sg_err_prefix(e, nd->name);
        goto fail;
    }
    if (zmq_connect(z->sock, cfg->endpoint) != 0) {
        sg_err_set(e, SG_EIO, "node %s: cannot connect to %s: %s", nd->name, cfg->endpoint,
                   zmq_strerror(errno));
        goto fail;
    }
    if (pthread_create(&z->th, NULL, zs_thread, z) != 0) {
        sg_err_set(e, SG_ENOMEM, "node %s: cannot start the sender thread", nd->name);
        goto fail;
    }
    z->started = true;
    return l;
fail:
    zs_destroy(z);
    free(l);
    return NULL;
}
