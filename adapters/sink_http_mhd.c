/* The HTTP sink (outputs.http), through libmicrohttpd: read-only JSON of the current picture
 * in the style operators know from ADS-B receivers (dump1090's aircraft.json), and
 * Prometheus / OpenMetrics /metrics of the daemon's status counters and the bridge's own.
 *
 *   GET /tracks.json   {"now", "t", "tracks": [track + "affiliation", ...]}
 *   GET /alerts.json   {"now", "alerts": [active alerts (raised/updated)]}
 *   GET /sensors.json  {"now", "node", "sensors": [from the latest status]}
 *   GET /stats.json    {"now", "status": latest daemon status, "tracks", "alerts_active"}
 *   GET /metrics       OpenMetrics text
 *
 * The worker keeps the picture (tracks by id, active alerts by id, latest status) under a
 * mutex; libmicrohttpd's thread serves copies. Listens on loopback unless allow_remote. */
#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <microhttpd.h>

#include "sg_json.h"
#include "sg_clock.h"
#include "sg_jsonw.h"
#include "sink.h"

#define MAX_TRACKS 1024
#define MAX_ALERTS 512
#define METRICS_CAP (256u << 10)

typedef struct {
    uint32_t id;
    double rx;   /* s wall of the last update */
    char *json;  /* owned */
} entry;

typedef struct {
    struct MHD_Daemon *d;
    pthread_mutex_t mu;
    entry tracks[MAX_TRACKS];
    int n_tracks;
    entry alerts[MAX_ALERTS];
    int n_alerts;
    char *status;          /* latest status JSON, owned */
    double last_t;         /* sample time of the latest message */
    double expire_s;       /* tracks silent this long are dropped (daemon restarted) */
    const sink_env *env;
    uint64_t requests, not_found, table_full; /* atomics (table_full: worker, under mu) */
} http_sink;

static void bump(uint64_t *c)
{
    __atomic_add_fetch(c, 1, __ATOMIC_RELAXED);
}

/* ---- the picture (worker thread, under mu) ----------------------------------------- */

static int find(entry *t, int n, uint32_t id)
{
    for (int i = 0; i < n; i++)
        if (t[i].id == id)
            return i;
    return -1;
}

static void put(http_sink *h, entry *t, int *n, int cap, uint32_t id, char *json, bool remove)
{
    int i = find(t, *n, id);
    if (remove) {
        free(json);
        if (i >= 0) {
            free(t[i].json);
            t[i] = t[--*n];
        }
        return;
    }
    if (i < 0) {
        if (*n == cap) {
            h->table_full++;
            free(json);
            return;
        }
        i = (*n)++;
    } else {
        free(t[i].json);
    }
    t[i] = (entry){id, sg_clock_s(CLOCK_REALTIME), json};
}

static int http_handle(void *state, const sink_event *ev, const int *stop)
{
    (void)stop;
    http_sink *h = state;
    size_t len;
    char *json = sink_json_for_output(ev, &len);
    if (!json)
        return SG_ENOMEM;
    pthread_mutex_lock(&h->mu);
    h->last_t = ev->t;
    if (ev->type == FEED_MSG_TRACK)
        put(h, h->tracks, &h->n_tracks, MAX_TRACKS, ev->u.track.id, json,
            ev->u.track.status == SG_TRACK_DELETED);
    else if (ev->type == FEED_MSG_ALERT)
        put(h, h->alerts, &h->n_alerts, MAX_ALERTS, ev->u.alert.id, json,
            ev->u.alert.state == SG_ALERT_CLEARED);
    else {
        free(h->status);
        h->status = json;
    }
    pthread_mutex_unlock(&h->mu);
    return SG_OK;
}

static void http_tick(void *state, double now)
{
    http_sink *h = state;
    pthread_mutex_lock(&h->mu);
    for (int i = 0; i < h->n_tracks;) {
        if (now - h->tracks[i].rx > h->expire_s) {
            free(h->tracks[i].json);
            h->tracks[i] = h->tracks[--h->n_tracks];
        } else {
            i++;
        }
    }
    pthread_mutex_unlock(&h->mu);
}

/* ---- responses (libmicrohttpd's thread) ---------------------------------------------- */

typedef struct {
    char *buf;
    size_t len, cap;
    bool oom;
} sbuf;

static void sb_add(sbuf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->cap ? b->cap * 2 : 4096) + n;
        char *p = realloc(b->buf, cap);
        if (!p) {
            b->oom = true;
            return;
        }
        b->buf = p;
        b->cap = cap;
    }
    memcpy(b->buf + b->len, s, n);
    b->len += n;
    b->buf[b->len] = '\0';
}

static void sb_str(sbuf *b, const char *s)
{
    sb_add(b, s, strlen(s));
}

static void sb_fmt(sbuf *b, const char *fmt, double v)
{
    char tmp[64];
    if (isfinite(v))
        snprintf(tmp, sizeof tmp, fmt, v);
    else
        snprintf(tmp, sizeof tmp, "null");
    sb_str(b, tmp);
}

static void list_json(http_sink *h, sbuf *b, const char *key, entry *t, int n)
{
    sb_str(b, "{\"now\":");
    sb_fmt(b, "%.3f", sg_clock_s(CLOCK_REALTIME));
    sb_str(b, ",\"t\":");
    sb_fmt(b, "%.3f", h->last_t > 0 ? h->last_t : NAN);
    sb_str(b, ",\"");
    sb_str(b, key);
    sb_str(b, "\":[");
    for (int i = 0; i < n; i++) {
        if (i)
            sb_str(b, ",");
        sb_str(b, t[i].json);
    }
    sb_str(b, "]}");
}

static void sensors_json(http_sink *h, sbuf *b)
{
    cJSON *st = h->status ? cJSON_Parse(h->status) : NULL;
    const cJSON *node = cJSON_GetObjectItemCaseSensitive(st, "node");
    const cJSON *sens = cJSON_GetObjectItemCaseSensitive(st, "sensors");
    char *ss = cJSON_IsArray(sens) ? cJSON_PrintUnformatted(sens) : NULL;
    sb_str(b, "{\"now\":");
    sb_fmt(b, "%.3f", sg_clock_s(CLOCK_REALTIME));
    if (cJSON_IsString(node)) {
        char esc[SG_ID_LEN * 6 + 8];
        sgjw w;
        sgjw_init(&w, esc, sizeof esc);
        sgjw_str(&w, NULL, node->valuestring);
        sb_str(b, ",\"node\":");
        sb_str(b, esc);
    }
    sb_str(b, ",\"sensors\":");
    sb_str(b, ss ? ss : "[]");
    sb_str(b, "}");
    free(ss);
    cJSON_Delete(st);
}

static void stats_json(http_sink *h, sbuf *b)
{
    sb_str(b, "{\"now\":");
    sb_fmt(b, "%.3f", sg_clock_s(CLOCK_REALTIME));
    sb_str(b, ",\"status\":");
    sb_str(b, h->status ? h->status : "null");
    sb_str(b, ",\"tracks\":");
    sb_fmt(b, "%.0f", h->n_tracks);
    sb_str(b, ",\"alerts_active\":");
    sb_fmt(b, "%.0f", h->n_alerts);
    sb_str(b, "}");
}

/* OpenMetrics label value: \ " and newline escaped. */
static void sb_label(sbuf *b, const char *v)
{
    for (; *v; v++) {
        if (*v == '\\' || *v == '"')
            sb_add(b, "\\", 1);
        if (*v == '\n')
            sb_str(b, "\\n");
        else
            sb_add(b, v, 1);
    }
}

/* Metric name from a JSON key: [a-zA-Z0-9_] only. */
static bool metric_key(const char *k)
{
    if (!*k)
        return false;
    for (; *k; k++)
        if (!((*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z') || (*k >= '0' && *k <= '9') ||
              *k == '_'))
            return false;
    return true;
}

static void metrics_text(http_sink *h, sbuf *b)
{
    static const struct {
        const char *key, *type, *help;
    } daemon[] = {
        {"samples_processed", "counter", "IQ samples processed"},
        {"samples_dropped", "counter", "IQ samples lost to overload or device overflow"},
        {"blocks_dropped", "counter", "IQ blocks dropped at the input queue"},
        {"bursts", "counter", "RF bursts detected"},
        {"measurements", "counter", "measurements delivered to the tracker"},
        {"measurements_rejected", "counter", "measurements refused as invalid"},
        {"published", "counter", "feed messages sent"},
        {"publish_dropped", "counter", "feed messages dropped by the publisher"},
        {"feed_clients_refused", "counter", "feed clients refused by the CURVE allow-list"},
        {"queue_depth", "gauge", "IQ blocks waiting"},
        {"queue_capacity", "gauge", "IQ block queue capacity"},
        {"tracks", "gauge", "live tracks"},
        {"alerts_active", "gauge", "active alerts"},
        {"uptime_s", "gauge", "daemon wall-clock uptime in seconds"},
    };
    cJSON *st = h->status ? cJSON_Parse(h->status) : NULL;
    char tmp[256];
    for (size_t i = 0; i < sizeof daemon / sizeof daemon[0]; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(st, daemon[i].key);
        if (!cJSON_IsNumber(v))
            continue;
        bool ctr = daemon[i].type[0] == 'c';
        snprintf(tmp, sizeof tmp, "# TYPE skyguard_%s %s\n# HELP skyguard_%s %s\nskyguard_%s%s ",
                 daemon[i].key, daemon[i].type, daemon[i].key, daemon[i].help, daemon[i].key,
                 ctr ? "_total" : "");
        sb_str(b, tmp);
        sb_fmt(b, "%.17g", v->valuedouble);
        sb_str(b, "\n");
    }
    const cJSON *lat = cJSON_GetObjectItemCaseSensitive(st, "latency_ms");
    if (cJSON_IsObject(lat)) {
        sb_str(b, "# TYPE skyguard_latency_ms gauge\n# HELP skyguard_latency_ms pipeline "
                  "latency percentiles in milliseconds\n");
        const cJSON *it;
        cJSON_ArrayForEach(it, lat)
        {
            if (!cJSON_IsNumber(it) || !metric_key(it->string))
                continue;
            sb_str(b, "skyguard_latency_ms{stat=\"");
            sb_str(b, it->string);
            sb_str(b, "\"} ");
            sb_fmt(b, "%.17g", it->valuedouble);
            sb_str(b, "\n");
        }
    }
    const cJSON *sens = cJSON_GetObjectItemCaseSensitive(st, "sensors");
    if (cJSON_IsArray(sens)) {
        /* one family per sensor counter, each sensor a labelled sample */
        sb_str(b, "# TYPE skyguard_sensor_up gauge\n# HELP skyguard_sensor_up 1 when the "
                  "sensor state is ok\n");
        const cJSON *s;
        cJSON_ArrayForEach(s, sens)
        {
            const cJSON *id = cJSON_GetObjectItemCaseSensitive(s, "id");
            const cJSON *state = cJSON_GetObjectItemCaseSensitive(s, "state");
            if (!cJSON_IsString(id) || !cJSON_IsString(state))
                continue;
            sb_str(b, "skyguard_sensor_up{sensor=\"");
            sb_label(b, id->valuestring);
            sb_str(b, "\",state=\"");
            sb_label(b, state->valuestring);
            sb_str(b, strcmp(state->valuestring, "ok") ? "\"} 0\n" : "\"} 1\n");
        }
        /* counters: the union of numeric keys, in order of first appearance */
        const char *seen[64];
        int n_seen = 0;
        cJSON_ArrayForEach(s, sens)
        {
            const cJSON *it;
            cJSON_ArrayForEach(it, s)
            {
                if (!cJSON_IsNumber(it) || !metric_key(it->string) ||
                    !strcmp(it->string, "last_t"))
                    continue;
                int j = 0;
                while (j < n_seen && strcmp(seen[j], it->string))
                    j++;
                if (j == n_seen && n_seen < 64)
                    seen[n_seen++] = it->string;
            }
        }
        for (int j = 0; j < n_seen; j++) {
            snprintf(tmp, sizeof tmp, "# TYPE skyguard_sensor_%s counter\n", seen[j]);
            sb_str(b, tmp);
            cJSON_ArrayForEach(s, sens)
            {
                const cJSON *id = cJSON_GetObjectItemCaseSensitive(s, "id");
                const cJSON *v = cJSON_GetObjectItemCaseSensitive(s, seen[j]);
                if (!cJSON_IsString(id) || !cJSON_IsNumber(v))
                    continue;
                snprintf(tmp, sizeof tmp, "skyguard_sensor_%s_total{sensor=\"", seen[j]);
                sb_str(b, tmp);
                sb_label(b, id->valuestring);
                sb_str(b, "\"} ");
                sb_fmt(b, "%.17g", v->valuedouble);
                sb_str(b, "\n");
            }
        }
    }
    cJSON_Delete(st);
    if (h->env && h->env->host_metrics) {
        char *m = malloc(METRICS_CAP);
        if (m) {
            size_t n = h->env->host_metrics(h->env->host_ctx, m, METRICS_CAP);
            sb_add(b, m, n);
            free(m);
        }
    }
    snprintf(tmp, sizeof tmp, "# TYPE skyguard_http_requests counter\nskyguard_http_requests_total "
             "%llu\n", (unsigned long long)__atomic_load_n(&h->requests, __ATOMIC_RELAXED));
    sb_str(b, tmp);
    sb_str(b, "# EOF\n");
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned code, const char *type,
                             sbuf *b)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(b->len, b->buf ? b->buf : (void *)"", b->buf ?
                                        MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (!r) {
        free(b->buf);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", type);
    MHD_add_response_header(r, "Cache-Control", "no-cache");
    enum MHD_Result rc = MHD_queue_response(c, code, r);
    MHD_destroy_response(r);
    return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload, size_t *upload_size, void **con_cls)
{
    (void)version;
    (void)upload;
    (void)con_cls;
    http_sink *h = cls;
    sbuf b = {0};
    bump(&h->requests);
    if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
        *upload_size = 0;
        sb_str(&b, "{\"error\":\"read-only: GET only\"}");
        return reply(c, 405, "application/json", &b);
    }
    const char *json = "application/json";
    pthread_mutex_lock(&h->mu);
    if (!strcmp(url, "/tracks.json"))
        list_json(h, &b, "tracks", h->tracks, h->n_tracks);
    else if (!strcmp(url, "/alerts.json"))
        list_json(h, &b, "alerts", h->alerts, h->n_alerts);
    else if (!strcmp(url, "/sensors.json"))
        sensors_json(h, &b);
    else if (!strcmp(url, "/stats.json"))
        stats_json(h, &b);
    pthread_mutex_unlock(&h->mu);
    if (!b.len && !b.oom && !strcmp(url, "/metrics")) {
        /* host metrics read the sinks' counters: outside our lock */
        pthread_mutex_lock(&h->mu);
        char *status = h->status ? strdup(h->status) : NULL;
        pthread_mutex_unlock(&h->mu);
        http_sink tmp = {.status = status, .env = h->env, .requests = h->requests};
        metrics_text(&tmp, &b);
        free(status);
        if (!b.oom)
            return reply(c, 200, "application/openmetrics-text; version=1.0.0; charset=utf-8",
                         &b);
    }
    if (b.oom) {
        free(b.buf);
        return MHD_NO;
    }
    if (!b.len) {
        bump(&h->not_found);
        sb_str(&b, "{\"error\":\"not found: /tracks.json /alerts.json /sensors.json "
                   "/stats.json /metrics\"}");
        return reply(c, 404, json, &b);
    }
    return reply(c, 200, json, &b);
}

static void http_close(void *state)
{
    http_sink *h = state;
    if (h->d)
        MHD_stop_daemon(h->d);
    for (int i = 0; i < h->n_tracks; i++)
        free(h->tracks[i].json);
    for (int i = 0; i < h->n_alerts; i++)
        free(h->alerts[i].json);
    free(h->status);
    pthread_mutex_destroy(&h->mu);
    free(h);
}

static int http_open(void **state, const cJSON *b, const char *where, const sink_env *env,
                     sg_errinfo *e)
{
    static const char *const keys[] = {"listen", "port", "allow_remote", "expire_s",
                                       "max_connections", NULL};
    http_sink *h = calloc(1, sizeof *h);
    if (!h)
        return sg_err_set(e, SG_ENOMEM, "%s: out of memory", where);
    pthread_mutex_init(&h->mu, NULL);
    h->env = env;
    char listen[64];
    long port, maxc;
    bool remote;
    int rc;
    if ((rc = sink_check_keys(b, where, keys, e)) ||
        (rc = sgj_string(b, where, "listen", false, "127.0.0.1", listen, sizeof listen, e)) ||
        (rc = sgj_int(b, where, "port", false, 8080, 1, 65535, &port, e)) ||
        (rc = sgj_bool(b, where, "allow_remote", false, false, &remote, e)) ||
        (rc = sgj_number(b, where, "expire_s", false, 60, 1, 86400, &h->expire_s, e)) ||
        (rc = sgj_int(b, where, "max_connections", false, 32, 1, 1024, &maxc, e)))
        goto fail;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, listen, &a.sin_addr) != 1) {
        rc = sg_err_set(e, SG_EINVAL, "%s.listen: \"%s\" is not an IPv4 address", where, listen);
        goto fail;
    }
    if ((ntohl(a.sin_addr.s_addr) >> 24) != 127 && !remote) {
        rc = sg_err_set(e, SG_EINVAL, "%s.listen: %s is not loopback: the endpoints show drone "
                        "and pilot positions without authentication; set \"allow_remote\": true "
                        "to serve them on the network (behind a firewall or reverse proxy)",
                        where, listen);
        goto fail;
    }
    if (env && env->check_only) { /* a running bridge may hold the port */
        *state = h;
        return SG_OK;
    }
    h->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL, (uint16_t)port, NULL,
                            NULL, on_request, h, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&a,
                            MHD_OPTION_CONNECTION_LIMIT, (unsigned)maxc,
                            MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
    if (!h->d) {
        rc = sg_err_set(e, SG_EIO, "%s.port: cannot listen on %s:%ld (in use, or not "
                        "permitted)", where, listen, port);
        goto fail;
    }
    *state = h;
    return SG_OK;
fail:
    http_close(h);
    return rc;
}

static void http_stats(void *state, sink_stats *out)
{
    http_sink *h = state;
    out->extra[0].name = "requests";
    out->extra[0].value = __atomic_load_n(&h->requests, __ATOMIC_RELAXED);
    out->extra[1].name = "not_found";
    out->extra[1].value = __atomic_load_n(&h->not_found, __ATOMIC_RELAXED);
    out->extra[2].name = "table_full";
    out->extra[2].value = __atomic_load_n(&h->table_full, __ATOMIC_RELAXED);
}

const sink_ops sink_http_ops = {"http", http_open, http_handle, http_tick, http_stats,
                                http_close};
