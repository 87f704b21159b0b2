/* TCP stream client of the sinks (see sink_tcp.h). */
#include "sink_tcp.h"
#include "sg_clock.h"

#include <errno.h>
#include <math.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "sg_json.h"

int sink_tcp_parse(sink_tcp *t, const cJSON *b, const char *w, int default_port,
                   const char *base_file, sg_errinfo *e)
{
    memset(t, 0, sizeof *t);
    t->fd = -1;
    long port;
    int rc;
    if ((rc = sgj_string(b, w, "host", true, "", t->host, sizeof t->host, e)) ||
        (rc = sgj_int(b, w, "port", false, default_port, 1, 65535, &port, e)) ||
        (rc = sgj_number(b, w, "reconnect_s", false, 2, 0.1, 3600, &t->reconnect_s, e)) ||
        (rc = sgj_number(b, w, "send_timeout_s", false, 1, 0.01, 60, &t->send_timeout_s, e)))
        return rc;
    t->port = (int)port;
    const cJSON *tls;
    if ((rc = sgj_object(b, w, "tls", false, &tls, e)))
        return rc;
    if (tls) {
        char tw[600];
        snprintf(tw, sizeof tw, "%s.tls", w);
        if (!(t->tls = sink_tls_parse(tls, tw, base_file, t->host, e)))
            return e && e->code ? e->code : SG_EINVAL;
    }
    return SG_OK;
}

static void drop(sink_tcp *t, double now)
{
    if (t->tls)
        sink_tls_end(t->tls);
    if (t->fd >= 0)
        close(t->fd);
    t->fd = -1;
    t->next_connect = now + t->reconnect_s;
    __atomic_store_n(&t->connected, 0, __ATOMIC_RELAXED);
}

static bool connect_now(sink_tcp *t, double now)
{
    char port[16];
    snprintf(port, sizeof port, "%d", t->port);
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
    t->next_connect = now + t->reconnect_s;
    if (getaddrinfo(t->host, port, &hints, &res) != 0 || !res)
        return false;
    int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    bool ok = false;
    if (fd >= 0) {
        int r = connect(fd, res->ai_addr, res->ai_addrlen);
        if (r != 0 && errno == EINPROGRESS) {
            struct pollfd p = {fd, POLLOUT, 0};
            int err = 0;
            socklen_t el = sizeof err;
            if (poll(&p, 1, (int)(t->send_timeout_s * 1000)) == 1 &&
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) == 0 && err == 0)
                r = 0;
        }
        if (r == 0 && t->tls && sink_tls_connect(t->tls, fd, fmax(t->send_timeout_s, 3)) != SG_OK) {
            __atomic_add_fetch(&t->tls_failures, 1, __ATOMIC_RELAXED);
            r = -1;
        }
        if (r == 0) {
            t->fd = fd;
            ok = true;
            __atomic_add_fetch(&t->connects, 1, __ATOMIC_RELAXED);
            __atomic_store_n(&t->connected, 1, __ATOMIC_RELAXED);
        } else {
            close(fd);
        }
    }
    freeaddrinfo(res);
    return ok;
}

bool sink_tcp_tick(sink_tcp *t, double now)
{
    if (t->fd < 0)
        return now >= t->next_connect && connect_now(t, now);
    if (t->tls) {
        if (!sink_tls_poll_open(t->tls))
            drop(t, now);
        return false;
    }
    char junk[512];
    ssize_t k = recv(t->fd, junk, sizeof junk, MSG_DONTWAIT);
    if (k == 0 || (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
        drop(t, now);
    return false;
}

int sink_tcp_send(sink_tcp *t, const void *buf, size_t n)
{
    if (t->fd < 0)
        return SG_EIO;
    if (t->tls) {
        int rc = sink_tls_send(t->tls, buf, n, t->send_timeout_s);
        if (rc == SG_ETIMEOUT)
            __atomic_add_fetch(&t->stalls, 1, __ATOMIC_RELAXED);
        if (rc != SG_OK)
            drop(t, sg_clock_s(CLOCK_REALTIME));
        return rc == SG_OK ? SG_OK : SG_EIO;
    }
    const char *p = buf;
    double deadline = sg_clock_s(CLOCK_REALTIME) + t->send_timeout_s;
    size_t off = 0;
    while (off < n) {
        ssize_t k = send(t->fd, p + off, n - off, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (k > 0) {
            off += (size_t)k;
            continue;
        }
        if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
            double left = deadline - sg_clock_s(CLOCK_REALTIME);
            struct pollfd q = {t->fd, POLLOUT, 0};
            if (left > 0 && poll(&q, 1, (int)(left * 1000) + 1) >= 0)
                continue;
            __atomic_add_fetch(&t->stalls, 1, __ATOMIC_RELAXED); /* the peer stopped reading */
        }
        drop(t, sg_clock_s(CLOCK_REALTIME));
        return SG_EIO;
    }
    return SG_OK;
}

void sink_tcp_close(sink_tcp *t)
{
    sink_tls_free(t->tls);
    t->tls = NULL;
    if (t->fd >= 0)
        close(t->fd);
    t->fd = -1;
}
