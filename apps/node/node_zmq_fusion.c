/* The ZeroMQ node link, fusion end: a ROUTER that takes the sensor nodes' events, checks
 * and orders them, and keeps each node's clock offset and health (see node_zmq.h,
 * docs/nodes.md). */
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
