/* The ZeroMQ node link (see node_zmq.h, docs/nodes.md). */
#include "node_zmq.h"

#include <errno.h>
#include <fcntl.h>
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
#include "sg_clock.h"
#include "sg_jsonw.h"
#include "sg_queue.h"

#define PING_PERIOD_S 1.0      /* s between clock pings to a node */
#define FLOOR_STEP_S 0.02      /* s of floor advance worth a ping at once */
#define CLOCK_STEP_S 0.02      /* s of node clock advance worth a clock message */
#define DRAIN_S 10.0           /* s a halted sensor end keeps sending what is queued */
#define GRACE_S 2.0            /* s (at least) a replay waits for a node never heard from */
#define NOTES 32               /* readable link lines kept for the fusion side */
#define CLOCK_FILTER 8         /* ping samples the clock estimate picks from (least delay) */
#define REORDER_CAP 1024       /* events the fusion node's reorder buffer holds at most */

static double now_rt(void) { return sg_clock_s(CLOCK_REALTIME); }

static double now_mono(void) { return sg_clock_s(CLOCK_MONOTONIC); }

static double mono_of(const struct timespec *t) { return (double)t->tv_sec + t->tv_nsec * 1e-9; }

static struct timespec ts_of(double s)
{
    struct timespec t = {.tv_sec = (time_t)floor(s)};
    t.tv_nsec = (long)((s - floor(s)) * 1e9);
    return t;
}

static uint32_t random_session(void)
{
    uint32_t v = 0;
    int fd = open("/dev/urandom", O_RDONLY);
    if (fd >= 0) {
        if (read(fd, &v, sizeof v) != (ssize_t)sizeof v)
            v = 0;
        close(fd);
    }
    return v ? v : (uint32_t)getpid() ^ (uint32_t)time(NULL);
}

/* Atomic double (bits in a 64-bit atomic). */
static void adbl_set(atomic_uint_least64_t *a, double v)
{
    uint64_t u;
    memcpy(&u, &v, 8);
    atomic_store(a, u);
}

static double adbl_get(atomic_uint_least64_t *a)
{
    uint64_t u = atomic_load(a);
    double v;
    memcpy(&v, &u, 8);
    return v;
}

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

/* Shifts an event's node-clock times by d seconds. */
static void shift_times(nl_event *ev, double d)
{
    ev->t += d;
    if (ev->kind == NL_MEAS) {
        ev->m.t += d;
        ev->first_t += d;
        ev->t_end += d;
    } else if (ev->kind == NL_HEALTH) {
        ev->h.t_first += d;
    } else if (ev->kind == NL_SCAN) {
        ev->scan.t0 += d;
        ev->scan.t1 += d;
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

/* ================================================================ fusion end */

typedef struct {
    bool heard;
    uint32_t session, next_seq;
    double last_heard;         /* s monotonic */
    double offset_s, delay_ms;           /* of the least-delay recent sample */
    double samp_off[CLOCK_FILTER], samp_delay[CLOCK_FILTER];
    size_t n_samp;
    bool flagged;
    uint64_t lost, rejoins;
    uint64_t corrected, uncorrected; /* system-clock events shifted / passed as they were */
    double clock;              /* s UTC: replay clock reported (or ticks seen) */
    bool replaying;            /* it reports a replay clock: floors go to it at once */
    size_t sensors, done;      /* enabled sensors it runs / ended */
    double stale_s;            /* largest stale_after_s of its sensors */
    double floor_sent, last_ping;
} zpeer;

typedef struct {
    const sg_site *site;
    node_cfg cfg;              /* copy; node_of owned */
    void *ctx, *sock;
    feed_auth *auth;
    zpeer *peers;
    node_reorder *ro;          /* time order across nodes (nodes.fusion.reorder_s) */
    bool halted;               /* hand on everything held */
    double started;            /* s monotonic */
    uint64_t malformed, received, bytes;
    char notes[NOTES][200];
    size_t note_head, note_n;
    uint8_t buf[NW_MAX];
} zfus;

static void zf_note(zfus *z, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void zf_note(zfus *z, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t at = (z->note_head + z->note_n) % NOTES;
    vsnprintf(z->notes[at], sizeof z->notes[at], fmt, ap);
    va_end(ap);
    if (z->note_n < NOTES)
        z->note_n++;
    else
        z->note_head = (z->note_head + 1) % NOTES;
}

/* The node whose key (CURVE) or routing id (plaintext) sent a message, or -1. */
static int zf_sender(zfus *z, zmq_msg_t *id, zmq_msg_t *body)
{
    if (z->cfg.plaintext) {
        size_t n = zmq_msg_size(id);
        for (size_t k = 0; k < z->cfg.n_nodes; k++)
            if (strlen(z->cfg.nodes[k].name) == n &&
                memcmp(z->cfg.nodes[k].name, zmq_msg_data(id), n) == 0)
                return (int)k;
        return -1;
    }
    const char *key = zmq_msg_gets(body, "User-Id");
    for (size_t k = 0; key && k < z->cfg.n_nodes; k++)
        if (strcmp(z->cfg.nodes[k].public_key, key) == 0)
            return (int)k;
    return -1;
}

static void zf_send_ping(zfus *z, int k, double floor_)
{
    const char *name = z->cfg.nodes[k].name;
    nw_header h = {.kind = NW_PING, .t = NAN, .sent = now_rt()};
    nw_ping p = {.t1 = h.sent, .floor = floor_};
    int len = nw_encode_ping(z->buf, sizeof z->buf, &h, &p);
    if (len < 0)
        return;
    if (zmq_send(z->sock, name, strlen(name), ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
        return; /* not connected now: the next turn retries */
    zmq_send(z->sock, z->buf, (size_t)len, ZMQ_DONTWAIT);
    z->peers[k].floor_sent = floor_;
    z->peers[k].last_ping = now_mono();
}

static void zf_ack(zfus *z, int k, uint32_t seq)
{
    const char *name = z->cfg.nodes[k].name;
    nw_header h = {.kind = NW_ACK, .seq = seq, .t = NAN, .sent = now_rt()};
    uint8_t b[NW_HEADER];
    if (nw_encode_clock(b, sizeof b, &h) == NW_HEADER &&
        zmq_send(z->sock, name, strlen(name), ZMQ_SNDMORE | ZMQ_DONTWAIT) >= 0)
        zmq_send(z->sock, b, NW_HEADER, ZMQ_DONTWAIT);
}

/* The clock every other node still running has reached: a replayed node k waits for
 * it. A node silent for its stale_after_s (GRACE_S if never heard) no longer holds
 * the others back. */
static double zf_floor(zfus *z, int k, double now)
{
    double f = INFINITY;
    for (size_t j = 0; j < z->cfg.n_nodes; j++) {
        const zpeer *p = &z->peers[j];
        if ((int)j == k || p->sensors == 0 || p->done >= p->sensors)
            continue;
        double silent = p->heard ? now - p->last_heard : now - z->started;
        if (silent > (p->heard ? p->stale_s : fmax(GRACE_S, p->stale_s)))
            continue;
        f = fmin(f, p->clock);
    }
    return f;
}

static void zf_service(zfus *z)
{
    double now = now_mono();
    for (size_t k = 0; k < z->cfg.n_nodes; k++) {
        zpeer *p = &z->peers[k];
        if (!p->heard)
            continue;
        double f = zf_floor(z, (int)k, now);
        bool moved = p->replaying && f != p->floor_sent && !(fabs(f - p->floor_sent) < FLOOR_STEP_S);
        if (moved || now - p->last_ping >= PING_PERIOD_S)
            zf_send_ping(z, (int)k, f);
    }
}

static void zf_pong(zfus *z, int k, const nw_ping *p)
{
    double t4 = now_rt();
    zpeer *pe = &z->peers[k];
    /* NTP: offset = ((t2 - t1) + (t3 - t4)) / 2, delay = (t4 - t1) - (t3 - t2) */
    size_t at = pe->n_samp++ % CLOCK_FILTER;
    pe->samp_off[at] = 0.5 * ((p->t2 - p->t1) + (p->t3 - t4));
    pe->samp_delay[at] = 0.5 * ((t4 - p->t1) - (p->t3 - p->t2)) * 1e3;
    /* The error of a sample is at most half its round trip: trust the quickest. */
    size_t n = pe->n_samp < CLOCK_FILTER ? pe->n_samp : CLOCK_FILTER, best = 0;
    for (size_t i = 1; i < n; i++)
        if (pe->samp_delay[i] < pe->samp_delay[best])
            best = i;
    pe->offset_s = pe->samp_off[best];
    pe->delay_ms = pe->samp_delay[best];
    bool off = fabs(pe->offset_s) > z->cfg.clock_bound_s;
    if (off != pe->flagged)
        zf_note(z, "NODE  %s clock %s: offset %+.3f s (bound %.3f s), link delay %.1f ms",
                z->cfg.nodes[k].name, off ? "OFF" : "back in bound", pe->offset_s,
                z->cfg.clock_bound_s, pe->delay_ms);
    pe->flagged = off;
}

/* The offset estimate is applied once measured with an error bound (its sample's
 * one-way delay, half the round trip) within clock_bound_s. */
static bool zf_trusted(const zfus *z, const zpeer *p)
{
    return p->n_samp > 0 && isfinite(p->offset_s) && p->delay_ms * 1e-3 <= z->cfg.clock_bound_s;
}

/* One message of node k; returns SG_OK with *ev filled for an event, SG_EAGAIN else. */
static int zf_message(zfus *z, int k, const uint8_t *b, size_t n, nl_event *ev)
{
    sg_errinfo e = {0};
    nw_header h;
    zpeer *p = &z->peers[k];
    const char *name = z->cfg.nodes[k].name;
    if (nw_decode_header(b, n, &h, &e)) {
        z->malformed++;
        zf_note(z, "NODE  %s: message refused: %s", name, e.msg);
        return SG_EAGAIN;
    }
    double now = now_mono();
    if (!p->heard || h.session != p->session) {
        if (p->heard) {
            p->rejoins++;
            zf_note(z, "NODE  %s rejoined (new session)", name);
        } else {
            zf_note(z, "NODE  %s joined", name);
        }
        p->heard = true;
        p->session = h.session;
        p->next_seq = h.seq;
        p->done = 0;
        p->clock = -INFINITY;
        p->replaying = false;
        p->floor_sent = NAN;
        p->last_ping = -INFINITY;
        p->n_samp = 0;
    }
    if (h.seq != p->next_seq)
        p->lost += (uint32_t)(h.seq - p->next_seq); /* wraps correctly at 2^32 */
    p->next_seq = h.seq + 1;
    p->last_heard = now;
    z->received++;
    z->bytes += n;
    if (h.kind == NW_PONG || h.kind == NW_PING) {
        nw_ping pp;
        if (h.kind == NW_PONG && nw_decode_ping(b, n, &h, &pp, &e) == SG_OK)
            zf_pong(z, k, &pp);
        else
            z->malformed++;
        return SG_EAGAIN;
    }
    if (h.kind == NW_CLOCK) {
        p->clock = fmax(p->clock, h.t);
        p->replaying = true;
        return SG_EAGAIN;
    }
    double wall_first;
    if (nw_decode_event(b, n, &h, ev, &wall_first, &e)) {
        z->malformed++;
        zf_note(z, "NODE  %s: message refused: %s", name, e.msg);
        return SG_EAGAIN;
    }
    if (ev->sensor < 0 || (size_t)ev->sensor >= z->site->n_sensors ||
        z->cfg.node_of[ev->sensor] != k) {
        z->malformed++;
        zf_note(z, "NODE  %s: message for sensor %d, which the venue does not run on it", name,
                ev->sensor);
        return SG_EAGAIN;
    }
    /* Times read off the node's system clock onto ours (docs/nodes.md, Time). */
    if (ev->sysclock) {
        if (zf_trusted(z, p)) {
            shift_times(ev, -p->offset_s);
            p->corrected++;
        } else {
            p->uncorrected++;
        }
    }
    /* The node's clock mapped onto ours, then onto our monotonic clock. */
    double off = isfinite(p->offset_s) ? p->offset_s : 0;
    double rt = now_rt(), mono = now;
    ev->made = ts_of(mono - (rt - (h.sent - off - h.age_ms / 1e3)));
    if (ev->kind == NL_HEALTH)
        ev->h.wall_first = isfinite(wall_first) ? ts_of(mono - (rt - (wall_first - off)))
                                                : (struct timespec){0};
    if (ev->kind == NL_TICK || ev->kind == NL_MEAS || ev->kind == NL_SCAN)
        p->clock = fmax(p->clock, ev->t);
    if (ev->kind == NL_DONE) {
        p->done++;
        zf_ack(z, k, h.seq);
    }
    return SG_OK;
}

/* One message off the socket: SG_OK with *ev for an event, SG_EAGAIN for anything else,
 * SG_ETIMEOUT if none is waiting. */
static int zf_recv(zfus *z, nl_event *ev)
{
    zmq_msg_t id, body;
    zmq_msg_init(&id);
    zmq_msg_init(&body);
    if (zmq_msg_recv(&id, z->sock, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&id);
        zmq_msg_close(&body);
        return SG_ETIMEOUT;
    }
    int more = zmq_msg_more(&id);
    int rc = SG_EAGAIN;
    if (more && zmq_msg_recv(&body, z->sock, 0) >= 0) {
        while (zmq_msg_more(&body)) { /* extra frames: not ours */
            zmq_msg_t x;
            zmq_msg_init(&x);
            zmq_msg_recv(&x, z->sock, 0);
            zmq_msg_close(&x);
            z->malformed++;
        }
        int k = zf_sender(z, &id, &body);
        if (k < 0)
            z->malformed++;
        else
            rc = zf_message(z, k, zmq_msg_data(&body), zmq_msg_size(&body), ev);
    }
    zmq_msg_close(&id);
    zmq_msg_close(&body);
    return rc;
}

static int zf_pop(void *impl, nl_event *ev, double timeout_s)
{
    zfus *z = impl;
    double until = now_mono() + (timeout_s < 0 ? 1e9 : timeout_s);
    for (;;) {
        zf_service(z);
        double now = now_mono();
        if (node_reorder_pop(z->ro, ev, now, z->halted))
            return SG_OK;
        /* events in arrival order; measurements, ticks and ends through the buffer */
        int rc;
        while ((rc = zf_recv(z, ev)) != SG_ETIMEOUT) {
            if (rc != SG_OK)
                continue;
            if (node_reorder_push(z->ro, ev, now_mono()))
                return SG_OK;
            break; /* held: anything due goes first */
        }
        if (rc != SG_ETIMEOUT)
            continue;
        double left = fmin(until, node_reorder_next_due(z->ro)) - now_mono();
        if (now_mono() >= until)
            return SG_ETIMEOUT;
        zmq_pollitem_t it = {.socket = z->sock, .events = ZMQ_POLLIN};
        int wait_ms = left <= 0 ? 0 : (int)fmin(20, ceil(left * 1e3));
        if (zmq_poll(&it, 1, wait_ms) < 0 && errno != EINTR)
            return SG_EIO;
    }
}

static int zf_push(void *impl, const nl_event *ev, bool wait)
{
    (void)impl, (void)ev, (void)wait;
    return SG_ENOTSUP;
}

static void zf_halt(void *impl) { ((zfus *)impl)->halted = true; }

static void zf_stats(void *impl, nl_stats *out)
{
    zfus *z = impl;
    memset(out, 0, sizeof *out);
    out->pushed = z->received;
    for (size_t k = 0; k < z->cfg.n_nodes; k++)
        out->dropped += z->peers[k].lost;
    feed_auth_stats as;
    feed_auth_get_stats(z->auth, &as);
    out->refused = as.refused;
    out->malformed = z->malformed + as.malformed;
    out->bytes = z->bytes;
    node_reorder_stats rs;
    node_reorder_get_stats(z->ro, &rs);
    out->late = rs.late;
    out->reordered = rs.reordered;
}

static int zf_peer(void *impl, int sensor, nl_peer *out)
{
    zfus *z = impl;
    if (sensor < 0 || (size_t)sensor >= z->site->n_sensors || z->cfg.node_of[sensor] < 0)
        return SG_ENOTSUP;
    int k = z->cfg.node_of[sensor];
    const zpeer *p = &z->peers[k];
    *out = (nl_peer){
        .node = z->cfg.nodes[k].name,
        .heard = p->heard,
        .silent_s = p->heard ? now_mono() - p->last_heard : INFINITY,
        .clock_offset_s = p->offset_s,
        .link_delay_ms = p->delay_ms,
        .clock_flagged = p->flagged,
        .clock_trusted = zf_trusted(z, p),
        .time_corrected = p->corrected,
        .time_uncorrected = p->uncorrected,
        .lost = p->lost,
        .rejoins = p->rejoins,
    };
    return SG_OK;
}

static size_t zf_note_pop(void *impl, char *line, size_t cap)
{
    zfus *z = impl;
    feed_auth_refusal r;
    if (feed_auth_drain_refusals(z->auth, &r, 1) == 1) {
        char iso[40];
        sg_time_iso8601(r.wall_t, iso, sizeof iso);
        snprintf(line, cap, "NODE  refused peer %s key %s at %s: %s",
                 r.address[0] ? r.address : "?", r.key_z85[0] ? r.key_z85 : "-", iso, r.reason);
        return strlen(line) + 1;
    }
    if (z->note_n == 0)
        return 0;
    snprintf(line, cap, "%s", z->notes[z->note_head]);
    z->note_head = (z->note_head + 1) % NOTES;
    z->note_n--;
    return strlen(line) + 1;
}

static void zf_destroy(void *impl)
{
    zfus *z = impl;
    if (z->sock)
        zmq_close(z->sock); /* before the ZAP handler (feed_auth.h) */
    feed_auth_destroy(z->auth);
    if (z->ctx)
        zmq_ctx_term(z->ctx);
    free(z->peers);
    node_reorder_destroy(z->ro);
    node_cfg_free(&z->cfg);
    free(z);
}

static const node_link_ops zf_ops = {
    .push = zf_push, .pop = zf_pop, .halt = zf_halt, .stats = zf_stats, .destroy = zf_destroy,
    .peer = zf_peer, .note = zf_note_pop,
};

node_link *node_zmq_fusion_create(const node_cfg *cfg, const sg_site *site, sg_errinfo *e)
{
    node_link *l = malloc(sizeof *l);
    zfus *z = calloc(1, sizeof *z);
    if (!l || !z) {
        free(l);
        free(z);
        sg_err_set(e, SG_ENOMEM, "out of memory");
        return NULL;
    }
    l->ops = &zf_ops;
    l->impl = z;
    z->site = site;
    z->cfg = *cfg;
    z->cfg.node_of = malloc(site->n_sensors * sizeof *z->cfg.node_of);
    z->peers = calloc(cfg->n_nodes, sizeof *z->peers);
    z->ro = node_reorder_create(cfg->reorder_s, REORDER_CAP, site->n_sensors ? site->n_sensors : 1);
    if (!z->cfg.node_of || !z->peers || !z->ro) {
        sg_err_set(e, SG_ENOMEM, "out of memory");
        goto fail;
    }
    memcpy(z->cfg.node_of, cfg->node_of, site->n_sensors * sizeof *z->cfg.node_of);
    for (size_t k = 0; k < cfg->n_nodes; k++) {
        z->peers[k].offset_s = z->peers[k].delay_ms = NAN;
        z->peers[k].clock = -INFINITY;
    }
    for (size_t i = 0; i < site->n_sensors; i++) {
        int k = cfg->node_of[i];
        if (k < 0 || !site->sensors[i].enabled)
            continue;
        z->peers[k].sensors++;
        z->peers[k].stale_s = fmax(z->peers[k].stale_s, site->sensors[i].stale_after_s);
    }
    z->started = now_mono();
    feed_auth_cfg ac;
    feed_auth_cfg_default(&ac);
    if (cfg->plaintext) {
        ac.mode = FEED_AUTH_PLAINTEXT;
    } else {
        snprintf(ac.server_secret_key_file, sizeof ac.server_secret_key_file, "%s",
                 cfg->key_file);
        for (size_t k = 0; k < cfg->n_nodes; k++)
            if (feed_auth_cfg_add_client_key(&ac, cfg->nodes[k].public_key, e)) {
                sg_err_prefix(e, cfg->nodes[k].name);
                goto fail;
            }
    }
    if (!(z->ctx = zmq_ctx_new()) || !(z->auth = feed_auth_create(z->ctx, &ac, e)))
        goto fail_ctx;
    if (!(z->sock = zmq_socket(z->ctx, ZMQ_ROUTER))) {
        sg_err_set(e, SG_EIO, "fusion node: cannot create a ZeroMQ socket: %s",
                   zmq_strerror(errno));
        goto fail;
    }
    int one = 1, hwm = cfg->hwm * (int)cfg->n_nodes, linger = 0;
    if (zmq_setsockopt(z->sock, ZMQ_ROUTER_HANDOVER, &one, sizeof one) ||
        zmq_setsockopt(z->sock, ZMQ_RCVHWM, &hwm, sizeof hwm) ||
        zmq_setsockopt(z->sock, ZMQ_LINGER, &linger, sizeof linger)) {
        sg_err_set(e, SG_EIO, "fusion node: socket options: %s", zmq_strerror(errno));
        goto fail;
    }
    if (feed_auth_apply(z->auth, z->sock, cfg->bind, e))
        goto fail;
    if (zmq_bind(z->sock, cfg->bind) != 0) {
        sg_err_set(e, SG_EIO, "nodes.fusion.bind %s: cannot bind: %s", cfg->bind,
                   zmq_strerror(errno));
        goto fail;
    }
    return l;
fail_ctx:
    if (!z->ctx)
        sg_err_set(e, SG_EIO, "fusion node: zmq_ctx_new failed");
fail:
    zf_destroy(z);
    free(l);
    return NULL;
}
