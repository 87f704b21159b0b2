/* Feed subscribers from the XPUB socket monitor (see feed_peers.h). */
#include "feed_peers.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

#include <zmq.h>

typedef struct {
    int fd;                     /* -1 = free slot */
    char address[64];
    double since;               /* s UTC */
} peer;

struct feed_peers {
    void *sock, *mon;
    int hwm;
    peer peers[FEED_PEERS_MAX];
    unsigned pending_fail;      /* handshake failures not yet matched to a disconnect */
    char fail_reason[8][112];   /* their reasons, FIFO */
    feed_peer_note notes[FEED_PEERS_NOTES];
    size_t note_head, note_len;
    feed_peers_stats st;
};

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void note(feed_peers *p, const char *address, const char *text)
{
    if (p->note_len == FEED_PEERS_NOTES) {
        p->note_head = (p->note_head + 1) % FEED_PEERS_NOTES;
        p->note_len--;
        p->st.notes_lost++;
    }
    feed_peer_note *n = &p->notes[(p->note_head + p->note_len++) % FEED_PEERS_NOTES];
    n->wall_t = wall_now();
    snprintf(n->address, sizeof n->address, "%s", address && address[0] ? address : "?");
    snprintf(n->text, sizeof n->text, "%s", text);
}

/* "ip:port" (or the socket path) of fd's peer; "" if it has none. */
static void peer_name(int fd, char *out, size_t cap)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    char ip[INET6_ADDRSTRLEN] = "";
    out[0] = '\0';
    if (getpeername(fd, (struct sockaddr *)&ss, &len) != 0)
        return;
    if (ss.ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)&ss;
        inet_ntop(AF_INET, &a->sin_addr, ip, sizeof ip);
        snprintf(out, cap, "%s:%u", ip, ntohs(a->sin_port));
    } else if (ss.ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&ss;
        inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof ip);
        snprintf(out, cap, "[%s]:%u", ip, ntohs(a->sin6_port));
    } else {
        snprintf(out, cap, "local");
    }
}

feed_peers *feed_peers_create(void *ctx, void *sock, int hwm, sg_errinfo *e)
{
    feed_peers *p = calloc(1, sizeof *p);
    if (!p) {
        sg_err_set(e, SG_ENOMEM, "feed: out of memory");
        return NULL;
    }
    p->sock = sock;
    p->hwm = hwm;
    for (size_t i = 0; i < FEED_PEERS_MAX; i++)
        p->peers[i].fd = -1;
    char ep[64];
    snprintf(ep, sizeof ep, "inproc://feed-peers-%p", (void *)p);
    int events = ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
                 ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL;
    if (zmq_socket_monitor(sock, ep, events) != 0 || !(p->mon = zmq_socket(ctx, ZMQ_PAIR)) ||
        zmq_connect(p->mon, ep) != 0) {
        sg_err_set(e, SG_EIO, "feed: socket monitor: %s", zmq_strerror(errno));
        feed_peers_destroy(p);
        return NULL;
    }
    return p;
}

static peer *find(feed_peers *p, int fd)
{
    for (size_t i = 0; i < FEED_PEERS_MAX; i++)
        if (p->peers[i].fd == fd)
            return &p->peers[i];
    return NULL;
}

static const char *protocol_reason(uint32_t code)
{
    if (code == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH)
        return "security mechanism mismatch (plaintext client on a CURVE feed?)";
    if (code == ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC)
        return "CURVE handshake failed (wrong server key?)";
    if (code >= ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_UNSPECIFIED &&
        code < ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC)
        return "malformed handshake";
    return "handshake failed";
}

void feed_peers_poll(feed_peers *p)
{
    if (!p)
        return;
    for (;;) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, p->mon, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&m);
            return;
        }
        uint16_t ev = 0;
        uint32_t val = 0;
        if (zmq_msg_size(&m) >= 6) {
            const uint8_t *d = zmq_msg_data(&m);
            memcpy(&ev, d, 2);
            memcpy(&val, d + 2, 4);
        }
        bool more = zmq_msg_more(&m);
        zmq_msg_close(&m);
        while (more) { /* the endpoint frame */
            zmq_msg_init(&m);
            if (zmq_msg_recv(&m, p->mon, 0) < 0)
                more = false;
            else
                more = zmq_msg_more(&m);
            zmq_msg_close(&m);
        }
        if (ev == ZMQ_EVENT_ACCEPTED) {
            p->st.accepted++;
            peer *s = find(p, -1);
            if (s) {
                s->fd = (int)val;
                peer_name(s->fd, s->address, sizeof s->address);
                s->since = wall_now();
                p->st.connected++;
            }
        } else if (ev == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL ||
                   ev == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL) {
            /* ZAP refusals (unknown client key) are counted by feed_auth; these never
             * reached it. The peer is named when its connection closes, next. */
            p->st.handshake_failed++;
            if (p->pending_fail < 8)
                snprintf(p->fail_reason[p->pending_fail++], sizeof p->fail_reason[0], "%s",
                         ev == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL ? protocol_reason(val)
                                                                   : "handshake failed "
                                                                     "(no detail: a client of "
                                                                     "another security mechanism?)");
        } else if (ev == ZMQ_EVENT_DISCONNECTED) {
            peer *s = find(p, (int)val);
            if (p->pending_fail) {
                char t[160];
                snprintf(t, sizeof t, "refused connection: %s", p->fail_reason[0]);
                note(p, s ? s->address : NULL, t);
                memmove(p->fail_reason[0], p->fail_reason[1],
                        sizeof p->fail_reason[0] * (size_t)--p->pending_fail);
            }
            if (s) {
                s->fd = -1;
                p->st.connected--;
            }
        }
    }
}

int feed_peers_cut_slow(feed_peers *p, double blocked_s)
{
    if (!p)
        return 0;
    feed_peers_poll(p);
    int q[FEED_PEERS_MAX], qmax = 0;
    for (size_t i = 0; i < FEED_PEERS_MAX; i++) {
        q[i] = 0;
        if (p->peers[i].fd >= 0 && ioctl(p->peers[i].fd, SIOCOUTQ, &q[i]) != 0)
            q[i] = 0;
        if (q[i] > qmax)
            qmax = q[i];
    }
    int cut = 0;
    for (size_t i = 0; i < FEED_PEERS_MAX; i++) {
        peer *s = &p->peers[i];
        if (s->fd < 0 || q[i] < 4096 || q[i] < qmax / 2)
            continue;
        char now[64];
        peer_name(s->fd, now, sizeof now);
        if (strcmp(now, s->address) != 0) /* descriptor reused: not ours to cut */
            continue;
        shutdown(s->fd, SHUT_RDWR);
        p->st.slow_cut++;
        p->st.slow_lost += (uint64_t)p->hwm;
        char t[160];
        snprintf(t, sizeof t,
                 "slow subscriber disconnected: its queue was full (>= %d messages, %d bytes "
                 "unread in the kernel) for %.1f s; those messages are lost to it",
                 p->hwm, q[i], blocked_s);
        note(p, s->address, t);
        cut++;
    }
    return cut;
}

size_t feed_peers_drain(feed_peers *p, feed_peer_note *out, size_t cap)
{
    size_t n = 0;
    while (p && n < cap && p->note_len) {
        out[n++] = p->notes[p->note_head];
        p->note_head = (p->note_head + 1) % FEED_PEERS_NOTES;
        p->note_len--;
    }
    return n;
}

void feed_peers_get_stats(const feed_peers *p, feed_peers_stats *out)
{
    if (p)
        *out = p->st;
    else
        memset(out, 0, sizeof *out);
}

void feed_peers_destroy(feed_peers *p)
{
    if (!p)
        return;
    if (p->sock)
        zmq_socket_monitor(p->sock, NULL, 0);
    if (p->mon)
        zmq_close(p->mon);
    free(p);
}
