/* The MQTT sink (outputs.mqtt), through libmosquitto: retained per-track topics, alert topics,
 * the daemon's status, and the bridge's own online/offline status with a last will.
 *
 * Only the sink's worker thread touches the mosquitto handle (no libmosquitto thread): it
 * publishes from handle() and drives the network from tick() with mosquitto_loop(timeout 0),
 * so a broker that is down or slow costs the worker a bounded amount of time and never
 * touches the feed. While disconnected, messages are refused and counted (not_connected);
 * when libmosquitto's outgoing queue holds max_pending messages (a slow broker), further
 * ones are refused and counted (backpressure). Reconnects every reconnect_s. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mosquitto.h>

#include "sg_json.h"
#include "sg_jsonw.h"
#include "sink.h"

#define PATH_LEN 1024

typedef struct {
    struct mosquitto *m;
    char host[256], prefix[128], client_id[64];
    int port, qos, keepalive_s;
    long max_pending;
    double reconnect_s, next_try;
    bool started;            /* connect_async issued once */
    int connected;           /* atomic */
    long pending;            /* worker only: published - on_publish */
    uint64_t published, not_connected, backpressure, connects, publish_errors; /* atomics */
} mqtt_sink;

static void bump(uint64_t *c)
{
    __atomic_add_fetch(c, 1, __ATOMIC_RELAXED);
}

static void on_connect(struct mosquitto *m, void *ud, int rc)
{
    mqtt_sink *s = ud;
    if (rc != 0)
        return;
    __atomic_store_n(&s->connected, 1, __ATOMIC_RELAXED);
    bump(&s->connects);
    s->pending = 0;
    char topic[192];
    snprintf(topic, sizeof topic, "%s/bridge", s->prefix);
    const char *online = "{\"state\":\"online\"}";
    mosquitto_publish(m, NULL, topic, (int)strlen(online), online, 1, true);
}

static void on_disconnect(struct mosquitto *m, void *ud, int rc)
{
    (void)m;
    (void)rc;
    mqtt_sink *s = ud;
    __atomic_store_n(&s->connected, 0, __ATOMIC_RELAXED);
}

static void on_publish(struct mosquitto *m, void *ud, int mid)
{
    (void)m;
    (void)mid;
    mqtt_sink *s = ud;
    if (s->pending > 0)
        s->pending--;
}

/* Topic levels from free-text ids: MQTT reserves '+', '#' and '/' in levels. */
static void level(const char *in, char *out, size_t cap)
{
    size_t i = 0;
    for (; in[i] && i + 1 < cap; i++) {
        unsigned char c = (unsigned char)in[i];
        out[i] = (c <= 0x20 || c == '+' || c == '#' || c == '/' || c >= 0x7f) ? '_' : (char)c;
    }
    out[i] = '\0';
}

static void mqtt_close(void *state)
{
    mqtt_sink *s = state;
    if (s->m) {
        if (__atomic_load_n(&s->connected, __ATOMIC_RELAXED)) {
            char topic[192];
            snprintf(topic, sizeof topic, "%s/bridge", s->prefix);
            const char *off = "{\"state\":\"offline\"}";
            mosquitto_publish(s->m, NULL, topic, (int)strlen(off), off, 1, true);
            for (int i = 0; i < 10; i++)
                mosquitto_loop(s->m, 10, 1);
            mosquitto_disconnect(s->m);
            mosquitto_loop(s->m, 10, 1);
        }
        mosquitto_destroy(s->m);
    }
    free(s);
}

static int lib_refs; /* mosquitto_lib_init is global: once per process */

static int mqtt_open(void **state, const cJSON *b, const char *where, const sink_env *env,
                     sg_errinfo *e)
{
    static const char *const keys[] = {"host", "port", "topic_prefix", "client_id", "qos",
                                       "keepalive_s", "reconnect_s", "max_pending", "username",
                                       "password_file", "tls", NULL};
    static const char *const tkeys[] = {"ca_file", "cert_file", "key_file", "insecure",
                                        "comment", NULL};
    if (__atomic_fetch_add(&lib_refs, 1, __ATOMIC_ACQ_REL) == 0)
        mosquitto_lib_init();
    mqtt_sink *s = calloc(1, sizeof *s);
    if (!s)
        return sg_err_set(e, SG_ENOMEM, "%s: out of memory", where);
    char site[64], defp[128], defid[64], user[128], pwfile[PATH_LEN], tw[600];
    level(env && env->site_name ? env->site_name : "site", site, sizeof site);
    snprintf(defp, sizeof defp, "skyguard/%s", site);
    snprintf(defid, sizeof defid, "skyguard-bridge-%.40s", site);
    long port, qos, ka;
    const cJSON *tls;
    int rc;
    if ((rc = sink_check_keys(b, where, keys, e)) ||
        (rc = sgj_string(b, where, "host", false, "127.0.0.1", s->host, sizeof s->host, e)) ||
        (rc = sgj_int(b, where, "port", false, 1883, 1, 65535, &port, e)) ||
        (rc = sgj_string(b, where, "topic_prefix", false, defp, s->prefix, sizeof s->prefix, e)) ||
        (rc = sgj_string(b, where, "client_id", false, defid, s->client_id, sizeof s->client_id,
                         e)) ||
        (rc = sgj_int(b, where, "qos", false, 0, 0, 2, &qos, e)) ||
        (rc = sgj_int(b, where, "keepalive_s", false, 30, 5, 3600, &ka, e)) ||
        (rc = sgj_number(b, where, "reconnect_s", false, 2, 0.1, 3600, &s->reconnect_s, e)) ||
        (rc = sgj_int(b, where, "max_pending", false, 1000, 1, 1000000, &s->max_pending, e)) ||
        (rc = sgj_string(b, where, "username", false, "", user, sizeof user, e)) ||
        (rc = sgj_string(b, where, "password_file", false, "", pwfile, sizeof pwfile, e)) ||
        (rc = sgj_object(b, where, "tls", false, &tls, e)))
        goto fail;
    if (!s->prefix[0] || strpbrk(s->prefix, "+#") || s->prefix[strlen(s->prefix) - 1] == '/') {
        rc = sg_err_set(e, SG_EINVAL, "%s.topic_prefix: \"%s\" must be non-empty, without '+', "
                        "'#' or a trailing '/'", where, s->prefix);
        goto fail;
    }
    s->port = (int)port;
    s->qos = (int)qos;
    s->keepalive_s = (int)ka;
    if (!(s->m = mosquitto_new(s->client_id, true, s))) {
        rc = sg_err_set(e, SG_ENOMEM, "%s: mosquitto_new failed", where);
        goto fail;
    }
    mosquitto_connect_callback_set(s->m, on_connect);
    mosquitto_disconnect_callback_set(s->m, on_disconnect);
    mosquitto_publish_callback_set(s->m, on_publish);
    char will_topic[192];
    snprintf(will_topic, sizeof will_topic, "%s/bridge", s->prefix);
    const char *will = "{\"state\":\"offline\"}";
    if (mosquitto_will_set(s->m, will_topic, (int)strlen(will), will, 1, true) != MOSQ_ERR_SUCCESS) {
        rc = sg_err_set(e, SG_EINVAL, "%s.topic_prefix: not a valid MQTT topic", where);
        goto fail;
    }
    if (user[0]) {
        char pw[256] = "", path[PATH_LEN], *text = NULL;
        if (pwfile[0]) {
            snprintf(tw, sizeof tw, "%s.password_file", where);
            if (sg_path_relative_to(env ? env->venue_path : NULL, pwfile, path, sizeof path) ||
                sg_read_file(path, sizeof pw - 1, &text, NULL, e) != SG_OK) {
                rc = sg_err_prefix(e, tw);
                goto fail;
            }
            snprintf(pw, sizeof pw, "%s", text);
            pw[strcspn(pw, "\r\n")] = '\0';
            free(text);
        }
        mosquitto_username_pw_set(s->m, user, pwfile[0] ? pw : NULL);
    } else if (pwfile[0]) {
        rc = sg_err_set(e, SG_EINVAL, "%s.password_file: needs \"username\"", where);
        goto fail;
    }
    if (tls) {
        char ca[PATH_LEN], cert[PATH_LEN], key[PATH_LEN], rca[PATH_LEN] = "",
            rcert[PATH_LEN] = "", rkey[PATH_LEN] = "";
        bool insecure;
        snprintf(tw, sizeof tw, "%s.tls", where);
        if ((rc = sgj_check_keys(tls, tw, tkeys, e)) ||
            (rc = sgj_string(tls, tw, "ca_file", true, "", ca, sizeof ca, e)) ||
            (rc = sgj_string(tls, tw, "cert_file", false, "", cert, sizeof cert, e)) ||
            (rc = sgj_string(tls, tw, "key_file", false, "", key, sizeof key, e)) ||
            (rc = sgj_bool(tls, tw, "insecure", false, false, &insecure, e)))
            goto fail;
        const char *base = env ? env->venue_path : NULL;
        sg_path_relative_to(base, ca, rca, sizeof rca);
        if (cert[0])
            sg_path_relative_to(base, cert, rcert, sizeof rcert);
        if (key[0])
            sg_path_relative_to(base, key, rkey, sizeof rkey);
        if (!cert[0] != !key[0]) {
            rc = sg_err_set(e, SG_EINVAL, "%s: cert_file and key_file go together (client "
                            "certificate)", tw);
            goto fail;
        }
        int mr = mosquitto_tls_set(s->m, rca, NULL, cert[0] ? rcert : NULL,
                                   key[0] ? rkey : NULL, NULL);
        if (mr != MOSQ_ERR_SUCCESS) {
            rc = sg_err_set(e, SG_EINVAL, "%s: %s (ca_file %s%s%s)", tw, mosquitto_strerror(mr),
                            rca, cert[0] ? ", cert_file " : "", cert[0] ? rcert : "");
            goto fail;
        }
        mosquitto_tls_insecure_set(s->m, insecure);
    }
    *state = s;
    return SG_OK;
fail:
    mqtt_close(s);
    return rc;
}

static int publish(mqtt_sink *s, const char *topic, const char *payload, size_t n, bool retain)
{
    if (!__atomic_load_n(&s->connected, __ATOMIC_RELAXED)) {
        bump(&s->not_connected);
        return SG_EAGAIN;
    }
    if (s->pending >= s->max_pending) {
        bump(&s->backpressure);
        return SG_EOVERFLOW;
    }
    int mr = mosquitto_publish(s->m, NULL, topic, (int)n, payload, s->qos, retain);
    if (mr != MOSQ_ERR_SUCCESS) {
        bump(&s->publish_errors);
        return SG_EIO;
    }
    s->pending++;
    bump(&s->published);
    return SG_OK;
}

static int mqtt_handle(void *state, const sink_event *ev, const int *stop)
{
    (void)stop;
    mqtt_sink *s = state;
    char topic[384], a[SG_ID_LEN], b2[SG_ID_LEN];
    int rc;
    if (ev->type == FEED_MSG_TRACK) {
        snprintf(topic, sizeof topic, "%s/track/%u", s->prefix, (unsigned)ev->u.track.id);
        size_t k;
        char *body = sink_json_for_output(ev, &k);
        if (!body)
            return SG_ENOMEM;
        bool deleted = ev->u.track.status == SG_TRACK_DELETED;
        rc = publish(s, topic, body, k, !deleted);
        free(body);
        if (rc == SG_OK && deleted) /* an empty retained message clears the topic */
            rc = publish(s, topic, "", 0, true);
    } else if (ev->type == FEED_MSG_ALERT) {
        level(sg_severity_name(ev->u.alert.severity), a, sizeof a);
        level(ev->u.alert.zone, b2, sizeof b2);
        snprintf(topic, sizeof topic, "%s/alert/%s/%s", s->prefix, a, b2);
        rc = publish(s, topic, ev->json, ev->json_len, false);
    } else {
        level(ev->u.status.node, a, sizeof a);
        snprintf(topic, sizeof topic, "%s/status/%s", s->prefix, a);
        rc = publish(s, topic, ev->json, ev->json_len, true);
    }
    mosquitto_loop(s->m, 0, 1); /* write now, read acks */
    return rc;
}

static void mqtt_tick(void *state, double now)
{
    mqtt_sink *s = state;
    if (!__atomic_load_n(&s->connected, __ATOMIC_RELAXED) && now >= s->next_try) {
        s->next_try = now + s->reconnect_s;
        int mr = s->started ? mosquitto_reconnect_async(s->m)
                            : mosquitto_connect_async(s->m, s->host, s->port, s->keepalive_s);
        s->started = s->started || mr == MOSQ_ERR_SUCCESS;
    }
    int mr = mosquitto_loop(s->m, 0, 1);
    if (mr == MOSQ_ERR_NO_CONN || mr == MOSQ_ERR_CONN_LOST)
        __atomic_store_n(&s->connected, 0, __ATOMIC_RELAXED);
}

static void mqtt_stats(void *state, sink_stats *out)
{
    mqtt_sink *s = state;
    out->connected = __atomic_load_n(&s->connected, __ATOMIC_RELAXED);
    const struct {
        const char *n;
        uint64_t *v;
    } x[] = {{"published", &s->published},         {"not_connected", &s->not_connected},
             {"backpressure", &s->backpressure},   {"connects", &s->connects},
             {"publish_errors", &s->publish_errors}};
    for (size_t i = 0; i < sizeof x / sizeof x[0]; i++) {
        out->extra[i].name = x[i].n;
        out->extra[i].value = __atomic_load_n(x[i].v, __ATOMIC_RELAXED);
    }
}

const sink_ops sink_mqtt_ops = {"mqtt", mqtt_open, mqtt_handle, mqtt_tick, mqtt_stats,
                                mqtt_close};
