/* The Cursor-on-Target sink (outputs.cot): CoT events (cot.h) to a UDP destination (by
 * default the TAK multicast group 239.2.3.1:6969 that ATAK/WinTAK listen on) and/or a TCP
 * stream to a TAK server. TCP connects in the background and reconnects every
 * reconnect_s; a server that stops reading is disconnected after send_timeout_s (counted as
 * a stall) so it can never hold the worker for longer than that. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cot.h"
#include "sg_clock.h"
#include "sg_json.h"
#include "sink.h"
#include "sink_tcp.h"

typedef struct {
    cot_opts opts;
    bool udp_on, tcp_on;
    int udp_fd;
    struct sockaddr_in udp_to;
    sink_tcp tcp;
    const zone_set *zones;   /* the venue's, drawn every zones_period_s (0: never) */
    const geo_frame *frame;
    double zones_period_s, next_zones;
    uint64_t zones_sent;     /* atomic: zone drawings sent */
    uint64_t udp_sent, udp_errors, tcp_sent, tcp_errors; /* atomics */
} cot_sink;

static void bump(uint64_t *c)
{
    __atomic_add_fetch(c, 1, __ATOMIC_RELAXED);
}

static int parse_udp(cot_sink *c, const cJSON *u, const char *where, sg_errinfo *e)
{
    static const char *const keys[] = {"address", "port", "ttl", "interface", "comment", NULL};
    char w[600], addr[64], ifc[64];
    long port, ttl;
    snprintf(w, sizeof w, "%s.udp", where);
    int rc;
    if ((rc = sgj_check_keys(u, w, keys, e)) ||
        (rc = sgj_string(u, w, "address", false, "239.2.3.1", addr, sizeof addr, e)) ||
        (rc = sgj_int(u, w, "port", false, 6969, 1, 65535, &port, e)) ||
        (rc = sgj_int(u, w, "ttl", false, 1, 0, 255, &ttl, e)) ||
        (rc = sgj_string(u, w, "interface", false, "", ifc, sizeof ifc, e)))
        return rc;
    memset(&c->udp_to, 0, sizeof c->udp_to);
    c->udp_to.sin_family = AF_INET;
    c->udp_to.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, addr, &c->udp_to.sin_addr) != 1)
        return sg_err_set(e, SG_EINVAL, "%s.address: \"%s\" is not an IPv4 address", w, addr);
    struct in_addr ifa = {.s_addr = htonl(INADDR_ANY)};
    if (ifc[0] && inet_pton(AF_INET, ifc, &ifa) != 1)
        return sg_err_set(e, SG_EINVAL, "%s.interface: \"%s\" is not an IPv4 address (the "
                          "address of the interface to send multicast on)", w, ifc);
    c->udp_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (c->udp_fd < 0)
        return sg_err_set(e, SG_EIO, "%s: socket: %s", w, strerror(errno));
    if (IN_MULTICAST(ntohl(c->udp_to.sin_addr.s_addr))) {
        unsigned char t = (unsigned char)ttl, loop = 1;
        if (setsockopt(c->udp_fd, IPPROTO_IP, IP_MULTICAST_TTL, &t, sizeof t) != 0 ||
            setsockopt(c->udp_fd, IPPROTO_IP, IP_MULTICAST_LOOP, &loop, sizeof loop) != 0 ||
            (ifc[0] && setsockopt(c->udp_fd, IPPROTO_IP, IP_MULTICAST_IF, &ifa, sizeof ifa)))
            return sg_err_set(e, SG_EIO, "%s: multicast options: %s", w, strerror(errno));
    } else {
        int t = (int)(ttl ? ttl : 1);
        setsockopt(c->udp_fd, IPPROTO_IP, IP_TTL, &t, sizeof t);
    }
    c->udp_on = true;
    return SG_OK;
}

static int parse_tcp(cot_sink *c, const cJSON *t, const char *where, const char *base,
                     sg_errinfo *e)
{
    static const char *const keys[] = {SINK_TCP_KEYS, "comment", NULL};
    char w[600];
    snprintf(w, sizeof w, "%s.tcp", where);
    int rc;
    if ((rc = sgj_check_keys(t, w, keys, e)) || (rc = sink_tcp_parse(&c->tcp, t, w, 8087, base, e)))
        return rc;
    c->tcp_on = true;
    return SG_OK;
}

static void cot_close(void *state)
{
    cot_sink *c = state;
    if (c->udp_fd >= 0)
        close(c->udp_fd);
    sink_tcp_close(&c->tcp);
    free(c);
}

static int cot_open(void **state, const cJSON *b, const char *where, const sink_env *env,
                    sg_errinfo *e)
{
    static const char *const keys[] = {"udp", "tcp", "uid_prefix", "stale_s", "coast_stale_s",
                                       "zones_period_s", NULL};
    cot_sink *c = calloc(1, sizeof *c);
    if (!c)
        return sg_err_set(e, SG_ENOMEM, "%s: out of memory", where);
    c->udp_fd = c->tcp.fd = -1;
    char def_prefix[64];
    snprintf(def_prefix, sizeof def_prefix, "skyguard.%s", env && env->site_name ? env->site_name
                                                                                  : "site");
    for (char *p = def_prefix; *p; p++)
        if (*p == ' ' || *p == '"')
            *p = '_';
    const cJSON *udp, *tcp;
    int rc;
    if ((rc = sink_check_keys(b, where, keys, e)) ||
        (rc = sgj_object(b, where, "udp", false, &udp, e)) ||
        (rc = sgj_object(b, where, "tcp", false, &tcp, e)) ||
        (rc = sgj_string(b, where, "uid_prefix", false, def_prefix, c->opts.uid_prefix,
                         sizeof c->opts.uid_prefix, e)) ||
        (rc = sgj_number(b, where, "stale_s", false, 10, 0.1, 86400, &c->opts.stale_s, e)) ||
        (rc = sgj_number(b, where, "coast_stale_s", false, 3, 0.1, 86400,
                         &c->opts.coast_stale_s, e)) ||
        (rc = sgj_number(b, where, "zones_period_s", false, 30, 0, 86400, &c->zones_period_s,
                         e)))
        goto fail;
    if (env && env->zones && env->frame && c->zones_period_s > 0) {
        c->zones = env->zones;
        c->frame = env->frame;
    }
    if (!udp && !tcp) {
        rc = sg_err_set(e, SG_EINVAL, "%s: needs \"udp\" (e.g. {} for the TAK multicast group "
                        "239.2.3.1:6969) and/or \"tcp\" ({\"host\": ..., \"port\": ...})", where);
        goto fail;
    }
    if ((udp && (rc = parse_udp(c, udp, where, e))) || (tcp && (rc = parse_tcp(c, tcp, where, env ? env->venue_path : NULL, e))))
        goto fail;
    *state = c;
    return SG_OK;
fail:
    cot_close(c);
    return rc;
}

static int send_one(cot_sink *c, const char *xml, size_t n)
{
    int rc = SG_OK;
    if (c->udp_on) {
        if (sendto(c->udp_fd, xml, n, MSG_DONTWAIT, (const struct sockaddr *)&c->udp_to,
                   sizeof c->udp_to) == (ssize_t)n) {
            bump(&c->udp_sent);
        } else {
            bump(&c->udp_errors);
            rc = SG_EIO;
        }
    }
    if (c->tcp_on) {
        /* TAK servers read a stream of events; one per line reads well */
        if (sink_tcp_send(&c->tcp, xml, n) == SG_OK && sink_tcp_send(&c->tcp, "\n", 1) == SG_OK) {
            bump(&c->tcp_sent);
        } else {
            bump(&c->tcp_errors);
            rc = SG_EIO;
        }
    }
    return rc;
}

static int cot_handle(void *state, const sink_event *ev, const int *stop)
{
    (void)stop;
    cot_sink *c = state;
    if (ev->type != FEED_MSG_TRACK)
        return SG_OK; /* alerts reach TAK as the track's hostile affiliation */
    char xml[COT_MAX_EVENT];
    int rc = SG_OK;
    double now = sg_clock_s(CLOCK_REALTIME);
    for (int part = COT_UAS; part <= COT_HOME; part++) {
        int n = cot_encode_track(&c->opts, ev, (cot_part)part, now, xml, sizeof xml);
        if (n < 0)
            rc = n;
        else if (n > 0 && send_one(c, xml, (size_t)n) != SG_OK)
            rc = SG_EIO;
    }
    return rc;
}

/* Every active zone as a CoT drawing (stale after two periods: a missed one is harmless). */
static void send_zones(cot_sink *c, double now)
{
    char *xml = malloc(COT_MAX_ZONE);
    if (!xml)
        return;
    for (size_t i = 0; i < zones_count(c->zones); i++) {
        const zone *z = zones_at(c->zones, i);
        if (!zone_active(z, now))
            continue;
        for (size_t k = 0;; k++) {
            int n = cot_encode_zone(&c->opts, z, c->frame, k, now, 2 * c->zones_period_s, xml,
                                    COT_MAX_ZONE);
            if (n <= 0)
                break;
            if (send_one(c, xml, (size_t)n) == SG_OK)
                __atomic_add_fetch(&c->zones_sent, 1, __ATOMIC_RELAXED);
        }
    }
    free(xml);
}

static void cot_tick(void *state, double now)
{
    cot_sink *c = state;
    bool fresh = c->tcp_on && sink_tcp_tick(&c->tcp, now);
    if (c->zones && (fresh || now >= c->next_zones)) {
        send_zones(c, now);
        c->next_zones = now + c->zones_period_s;
    }
}

static void cot_stats(void *state, sink_stats *out)
{
    cot_sink *c = state;
    out->connected = !c->tcp_on || __atomic_load_n(&c->tcp.connected, __ATOMIC_RELAXED);
    const struct {
        const char *n;
        uint64_t *v;
    } x[] = {{"udp_sent", &c->udp_sent},         {"udp_errors", &c->udp_errors},
             {"tcp_sent", &c->tcp_sent},         {"tcp_errors", &c->tcp_errors},
             {"tcp_connects", &c->tcp.connects}, {"tcp_stalls", &c->tcp.stalls},
             {"zones_sent", &c->zones_sent},     {"tls_failures", &c->tcp.tls_failures}};
    for (size_t i = 0; i < sizeof x / sizeof x[0] && i < SINK_MAX_EXTRA; i++) {
        out->extra[i].name = x[i].n;
        out->extra[i].value = __atomic_load_n(x[i].v, __ATOMIC_RELAXED);
    }
}

const sink_ops sink_cot_ops = {"cot", cot_open, cot_handle, cot_tick, cot_stats, cot_close};
