/* The common half of every output sink (sink.h): its bounded queue, its worker thread,
 * its counters, the keys all sinks share, and the table of sinks this build has. */
#include "sink.h"
#include "sg_clock.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sg_json.h"
#include "sg_queue.h"

struct sink {
    const sink_ops *ops;
    void *state;
    sgq *q;
    pthread_t thread;
    bool running;
    int stop;             /* atomic: 1 = halt requested */
    double drain_until;   /* s monotonic, written before stop */
    uint64_t delivered;   /* atomics */
    uint64_t failed;
    uint64_t drop_extra;  /* allocation failures and events left at shutdown */
};

static const char *const aff_names[] = {"unknown", "friend", "hostile"};

const char *sink_affiliation_name(sink_affiliation a)
{
    return (unsigned)a < 3 ? aff_names[a] : "?";
}

static void *worker(void *arg)
{
    sink *s = arg;
    sink_event ev;
    double next_tick = 0;
    for (;;) {
        int rc = sgq_pop(s->q, &ev, 0.1);
        if (rc == SG_OK) {
            bool late = __atomic_load_n(&s->stop, __ATOMIC_ACQUIRE) &&
                        sg_clock_s(CLOCK_MONOTONIC) > s->drain_until;
            if (late) {
                __atomic_add_fetch(&s->drop_extra, 1, __ATOMIC_RELAXED);
            } else if (s->ops->handle(s->state, &ev, &s->stop) == SG_OK) {
                __atomic_add_fetch(&s->delivered, 1, __ATOMIC_RELAXED);
            } else {
                __atomic_add_fetch(&s->failed, 1, __ATOMIC_RELAXED);
            }
            free(ev.json);
        } else if (rc == SG_EEOF) {
            break;
        }
        double now = sg_clock_s(CLOCK_MONOTONIC);
        if (now >= next_tick && s->ops->tick) {
            s->ops->tick(s->state, sg_clock_s(CLOCK_REALTIME));
            next_tick = now + 0.1;
        }
    }
    return NULL;
}

int sink_check_keys(const cJSON *block, const char *where, const char *const *allowed,
                    sg_errinfo *e)
{
    const char *keys[48];
    size_t n = 0;
    static const char *const common[] = {"queue", "enabled", "comment"};
    for (size_t i = 0; i < 3; i++)
        keys[n++] = common[i];
    for (size_t i = 0; allowed[i] && n < sizeof keys / sizeof keys[0] - 1; i++)
        keys[n++] = allowed[i];
    keys[n] = NULL;
    return sgj_check_keys(block, where, keys, e);
}

sink *sink_create(const sink_ops *ops, const cJSON *block, const char *where,
                  const sink_env *env, sg_errinfo *e)
{
    if (!ops || !block || !cJSON_IsObject(block)) {
        sg_err_set(e, SG_EINVAL, "%s: must be an object", where ? where : "sink");
        return NULL;
    }
    long qlen;
    if (sgj_int(block, where, "queue", false, SINK_DEFAULT_QUEUE, 1, SINK_MAX_QUEUE, &qlen, e))
        return NULL;
    sink *s = calloc(1, sizeof *s);
    if (!s) {
        sg_err_set(e, SG_ENOMEM, "%s: out of memory", where);
        return NULL;
    }
    s->ops = ops;
    if (!(s->q = sgq_create((size_t)qlen, sizeof(sink_event), e)))
        goto fail;
    if (ops->open(&s->state, block, where, env, e) != SG_OK) {
        s->state = NULL;
        goto fail;
    }
    if (pthread_create(&s->thread, NULL, worker, s) != 0) {
        sg_err_set(e, SG_ENOMEM, "%s: cannot start the worker thread", where);
        goto fail;
    }
    s->running = true;
    return s;
fail:
    sink_destroy(s, 0);
    return NULL;
}

void sink_destroy(sink *s, double drain_s)
{
    if (!s)
        return;
    if (s->running) {
        s->drain_until = sg_clock_s(CLOCK_MONOTONIC) + (drain_s > 0 ? drain_s : 0);
        __atomic_store_n(&s->stop, 1, __ATOMIC_RELEASE);
        sgq_halt(s->q); /* the worker drains what is queued, then sees SG_EEOF */
        pthread_join(s->thread, NULL);
    }
    if (s->state)
        s->ops->close(s->state);
    sgq_destroy(s->q);
    free(s);
}

static int push(sink *s, sink_event *ev, const feed_msg *m, double rx_wall)
{
    ev->type = m->type;
    ev->t = m->t;
    ev->rx_wall = rx_wall;
    ev->snapshot = m->snapshot;
    ev->json = m->json ? cJSON_PrintUnformatted(m->json) : NULL;
    if (!ev->json) {
        __atomic_add_fetch(&s->drop_extra, 1, __ATOMIC_RELAXED);
        return SG_ENOMEM;
    }
    ev->json_len = strlen(ev->json);
    int rc = sgq_push(s->q, ev, false);
    if (rc != SG_OK)
        free(ev->json); /* counted by the queue (full) */
    return rc;
}

/* The home (take-off / return) point of a track, as "operator" is the pilot: a top-level
 * "home" object, else DJI DroneID's "droneid.home" (no height), else the "operator" of a
 * Remote ID track whose operator_location is 0 (ASTM F3411: the operator position sent is
 * the take-off location). */
static void read_home(const cJSON *j, sink_event *ev)
{
    ev->home_lat = ev->home_lon = ev->home_alt_m = NAN;
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(j, "home");
    if (!h)
        h = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "droneid"),
                                             "home");
    if (!h) {
        const cJSON *rid = cJSON_GetObjectItemCaseSensitive(j, "remote_id");
        const cJSON *olt = cJSON_GetObjectItemCaseSensitive(rid, "operator_location");
        if (cJSON_IsNumber(olt) && olt->valuedouble == 0 &&
            (h = cJSON_GetObjectItemCaseSensitive(j, "operator")))
            ev->operator_is_home = true;
    }
    const cJSON *la = cJSON_GetObjectItemCaseSensitive(h, "lat");
    const cJSON *lo = cJSON_GetObjectItemCaseSensitive(h, "lon");
    const cJSON *al = cJSON_GetObjectItemCaseSensitive(h, "alt_m");
    if (cJSON_IsNumber(la) && cJSON_IsNumber(lo) && fabs(la->valuedouble) <= 90 &&
        fabs(lo->valuedouble) <= 180) {
        ev->home_lat = la->valuedouble;
        ev->home_lon = lo->valuedouble;
        if (cJSON_IsNumber(al) && fabs(al->valuedouble) <= 1e6)
            ev->home_alt_m = al->valuedouble;
    }
}

int sink_on_track(sink *s, const feed_msg *m, const sink_track_info *info, double rx_wall)
{
    sink_event ev;
    memset(&ev, 0, sizeof ev);
    ev.affiliation = info->affiliation;
    ev.alt_amsl_m = info->alt_amsl_m;
    ev.alt_agl_m = info->alt_agl_m;
    ev.u.track = m->u.track;
    read_home(m->json, &ev);
    return push(s, &ev, m, rx_wall);
}

/* Alerts and status carry no host additions. */
static int push_plain(sink *s, const feed_msg *m, double rx_wall)
{
    sink_event ev;
    memset(&ev, 0, sizeof ev);
    if (m->type == FEED_MSG_ALERT)
        ev.u.alert = m->u.alert;
    else
        ev.u.status = m->u.status;
    ev.home_lat = ev.home_lon = ev.home_alt_m = NAN;
    ev.alt_amsl_m = ev.alt_agl_m = NAN;
    return push(s, &ev, m, rx_wall);
}

int sink_on_alert(sink *s, const feed_msg *m, double rx_wall)
{
    return push_plain(s, m, rx_wall);
}

int sink_on_status(sink *s, const feed_msg *m, double rx_wall)
{
    return push_plain(s, m, rx_wall);
}

char *sink_json_for_output(const sink_event *ev, size_t *len)
{
    size_t cap = ev->json_len + 120;
    if (ev->json_len < 2)
        return NULL;
    char *out = malloc(cap);
    if (!out)
        return NULL;
    int n;
    if (ev->type == FEED_MSG_TRACK) { /* the body ends with its closing brace */
        char h[96] = "";
        if (isfinite(ev->alt_amsl_m))
            snprintf(h, sizeof h, ",\"alt_amsl_m\":%.1f", ev->alt_amsl_m);
        if (isfinite(ev->alt_agl_m))
            snprintf(h + strlen(h), sizeof h - strlen(h), ",\"alt_agl_m\":%.1f", ev->alt_agl_m);
        n = snprintf(out, cap, "%.*s,\"affiliation\":\"%s\"%s}", (int)(ev->json_len - 1),
                     ev->json, sink_affiliation_name(ev->affiliation), h);
    } else {
        n = snprintf(out, cap, "%s", ev->json);
    }
    *len = (size_t)n;
    return out;
}

void sink_get_stats(sink *s, sink_stats *out)
{
    memset(out, 0, sizeof *out);
    sgq_stats q;
    sgq_get_stats(s->q, &q);
    out->kind = s->ops->kind;
    out->accepted = q.pushed;
    out->dropped = q.dropped + __atomic_load_n(&s->drop_extra, __ATOMIC_RELAXED);
    out->delivered = __atomic_load_n(&s->delivered, __ATOMIC_RELAXED);
    out->failed = __atomic_load_n(&s->failed, __ATOMIC_RELAXED);
    out->depth = q.depth;
    out->capacity = q.capacity;
    out->high_water = q.high_water;
    out->connected = true;
    if (s->ops->stats && s->state)
        s->ops->stats(s->state, out);
}

/* ---- a venue's outputs ------------------------------------------------------------- */

/* The feed endpoint to connect to: the daemon's bind endpoint with a wildcard host made
 * loopback. */
static void default_connect(const char *bind_ep, char *out, size_t cap)
{
    const char *p = strstr(bind_ep, "://");
    if (p && (!strncmp(p + 3, "*:", 2) || !strncmp(p + 3, "0.0.0.0:", 8)))
        snprintf(out, cap, "%.*s://127.0.0.1%s", (int)(p - bind_ep), bind_ep, strchr(p + 3, ':'));
    else
        snprintf(out, cap, "%s", bind_ep);
}

int sink_bridge_parse(const cJSON *outputs, const cJSON *feed_security, const char *feed_endpoint,
                      const char *venue_path, sink_bridge_cfg *b, sg_errinfo *e)
{
    static const char *const keys[] = {"connect", "server_public_key_file", "client_key_file",
                                       "status_period_s", "comment", NULL};
    memset(b, 0, sizeof *b);
    char where[1100], mode[32] = "plaintext", rel[1024], def[256];
    snprintf(where, sizeof where, "%s: outputs.bridge", venue_path);
    const cJSON *bb = outputs ? cJSON_GetObjectItemCaseSensitive(outputs, "bridge") : NULL;
    default_connect(feed_endpoint, def, sizeof def);
    int rc;
    if (feed_security &&
        (rc = sgj_string(feed_security, where, "mode", false, "curve", mode, sizeof mode, e)))
        return rc;
    b->plaintext = !strcmp(mode, "plaintext");
    if ((rc = sgj_check_keys(bb, where, keys, e)) ||
        (rc = sgj_string(bb, where, "connect", false, def, b->connect, sizeof b->connect, e)) ||
        (rc = sgj_number(bb, where, "status_period_s", false, 10, 0.1, 86400,
                         &b->status_period_s, e)))
        return rc;
    if (b->plaintext)
        return SG_OK;
    if (!bb)
        return sg_err_set(e, SG_EINVAL, "%s: the feed uses CURVE: give server_public_key_file "
                          "and client_key_file (a key pair from sg_keygen whose public key is "
                          "on outputs.feed.security's allow-list)", where);
    if ((rc = sgj_string(bb, where, "server_public_key_file", true, "", rel, sizeof rel, e)) ||
        sg_path_relative_to(venue_path, rel, b->server_key_file, sizeof b->server_key_file) ||
        (rc = sgj_string(bb, where, "client_key_file", true, "", rel, sizeof rel, e)) ||
        sg_path_relative_to(venue_path, rel, b->client_key_file, sizeof b->client_key_file))
        return rc ? rc : sg_err_set(e, SG_ERANGE, "%s: key path too long", where);
    return SG_OK;
}

int sinks_create(const cJSON *outputs, const sink_env *env, sink **out, const char **kinds,
                 int *n, sg_errinfo *e)
{
    *n = 0;
    const cJSON *it;
    int rc = SG_OK;
    cJSON_ArrayForEach(it, outputs)
    {
        const char *k = it->string;
        if (!strcmp(k, "feed") || !strcmp(k, "record") || !strcmp(k, "bridge") ||
            !strcmp(k, "web")) /* the daemon's, the bridge's own, the operator map's */
            continue;
        char where[1100];
        snprintf(where, sizeof where, "%s: outputs.%s", env->venue_path, k);
        bool enabled = true;
        if ((rc = sgj_bool(it, where, "enabled", false, true, &enabled, e)))
            break;
        if (!enabled)
            continue;
        const char *missing = NULL;
        const sink_ops *ops = sink_find(k, &missing);
        if (!ops) {
            rc = missing ? sg_err_set(e, SG_ENOTSUP, "%s: not in this build: install %s and "
                                      "rebuild", where, missing)
                         : sg_err_set(e, SG_ENOTSUP, "%s: not implemented yet", where);
            break;
        }
        if (*n == SINK_MAX_PER_VENUE) {
            rc = sg_err_set(e, SG_ERANGE, "%s: at most %d sinks", where, SINK_MAX_PER_VENUE);
            break;
        }
        if (env->check_only) {
            void *state = NULL;
            long q;
            if ((rc = sgj_int(it, where, "queue", false, SINK_DEFAULT_QUEUE, 1, SINK_MAX_QUEUE,
                              &q, e)) ||
                (rc = ops->open(&state, it, where, env, e)))
                break;
            ops->close(state);
        } else {
            sink *sk = sink_create(ops, it, where, env, e);
            if (!sk) {
                rc = e && e->code ? e->code : SG_EINVAL;
                break;
            }
            out[*n] = sk;
        }
        if (kinds)
            kinds[*n] = k;
        (*n)++;
    }
    if (rc == SG_OK && *n == 0)
        rc = sg_err_set(e, SG_ENOTFOUND, "%s: outputs: no sink configured (cot, mqtt, http, webhook, "
                        "exec): nothing to do", env->venue_path);
    if (rc != SG_OK && !env->check_only) {
        for (int i = 0; i < *n; i++)
            sink_destroy(out[i], 0);
        *n = 0;
    }
    return rc;
}

/* ---- the table of sinks ----------------------------------------------------------- */

const char *const sink_output_keys[] = {"bridge", "cot", "mqtt", "http", "webhook", "exec",
                                        "sapient", NULL};

static const struct {
    const char *kind;
    const sink_ops *ops;  /* NULL: not in this build */
    const char *missing;  /* what to install */
} table[] = {
    {"cot", &sink_cot_ops, NULL},
#if SG_WITH_MOSQUITTO
    {"mqtt", &sink_mqtt_ops, NULL},
#else
    {"mqtt", NULL, "libmosquitto-dev (CMake option SG_WITH_MOSQUITTO)"},
#endif
#if SG_WITH_MHD
    {"http", &sink_http_ops, NULL},
#else
    {"http", NULL, "libmicrohttpd-dev (CMake option SG_WITH_MHD)"},
#endif
#if SG_WITH_CURL
    {"webhook", &sink_webhook_ops, NULL},
#else
    {"webhook", NULL, "libcurl4-openssl-dev (CMake option SG_WITH_CURL)"},
#endif
    {"exec", &sink_exec_ops, NULL},
#if SG_WITH_SAPIENT
    {"sapient", &sink_sapient_ops, NULL},
#else
    {"sapient", NULL, "libprotobuf-c-dev and protobuf-c-compiler (CMake option SG_WITH_SAPIENT)"},
#endif
};

const sink_ops *sink_find(const char *kind, const char **missing)
{
    if (missing)
        *missing = NULL;
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (!strcmp(table[i].kind, kind)) {
            if (!table[i].ops && missing)
                *missing = table[i].missing;
            return table[i].ops;
        }
    return NULL;
}
