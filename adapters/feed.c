/* Operator feed publisher (see feed.h): JSON encoding of tracks, alerts, status and
 * RF presence, one ZeroMQ frame per message, late-joiner detection through XPUB
 * subscription events, optional JSONL record of everything published. */
#include "feed.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "feed_peers.h"
#include "sg_clock.h"
#include "sg_jsonw.h"

struct feed {
    void *ctx, *sock;
    feed_auth *auth;
    char endpoint[256];
    char node[SG_ID_LEN];
    const char *const *sensor_ids;
    size_t n_sensors;
    FILE *record;
    char record_path[256];
    char record_err[320];     /* why the JSONL record stopped, "" while it runs */
    feed_stats st;
    /* held back while a subscriber's queue is full (ZMQ_XPUB_NODROP), oldest first */
    feed_peers *peers;
    char *held[FEED_HELD_MAX];
    size_t held_len[FEED_HELD_MAX];
    size_t held_head, n_held;
    bool blocked;
    struct timespec blocked_since;
    double slow_s;
    const char *nodes_json;    /* "nodes" member of status messages, NULL = none */
    char buf[FEED_MAX_MSG];
};

feed *feed_create(const feed_cfg *cfg, const char *const *sensor_ids, size_t n_sensors,
                  sg_errinfo *e)
{
    feed *f = calloc(1, sizeof *f);
    if (!f) {
        sg_err_set(e, SG_ENOMEM, "feed: out of memory");
        return NULL;
    }
    f->sensor_ids = sensor_ids;
    f->n_sensors = n_sensors;
    snprintf(f->node, sizeof f->node, "%s", cfg->node ? cfg->node : "skyguardd");
    const char *where = cfg->where ? cfg->where : "feed";
    feed_auth_cfg ac;
    if (cfg->security) {
        char sec[300];
        snprintf(sec, sizeof sec, "%s.security", where);
        if (feed_auth_cfg_from_json(&ac, cfg->security, sec, cfg->base_file, e))
            goto fail;
    } else {
        feed_auth_cfg_default(&ac); /* no security section: plaintext, loopback only */
        ac.mode = FEED_AUTH_PLAINTEXT;
    }
    f->ctx = zmq_ctx_new();
    if (!f->ctx) {
        sg_err_set(e, SG_ENOMEM, "feed: zmq_ctx_new failed: %s", zmq_strerror(errno));
        goto fail;
    }
    if (!(f->auth = feed_auth_create(f->ctx, &ac, e)))
        goto fail;
    f->sock = zmq_socket(f->ctx, ZMQ_XPUB);
    if (!f->sock) {
        sg_err_set(e, SG_EIO, "feed: zmq_socket failed: %s", zmq_strerror(errno));
        goto fail;
    }
    int hwm = cfg->sndhwm > 0 ? cfg->sndhwm : 10000, one = 1, linger = 200;
    f->slow_s = cfg->slow_client_s > 0 ? cfg->slow_client_s : FEED_SLOW_CLIENT_S;
    if (zmq_setsockopt(f->sock, ZMQ_SNDHWM, &hwm, sizeof hwm) ||
        zmq_setsockopt(f->sock, ZMQ_XPUB_VERBOSE, &one, sizeof one) ||
        zmq_setsockopt(f->sock, ZMQ_XPUB_NODROP, &one, sizeof one) ||
        zmq_setsockopt(f->sock, ZMQ_LINGER, &linger, sizeof linger)) {
        sg_err_set(e, SG_EIO, "feed: socket options: %s", zmq_strerror(errno));
        goto fail;
    }
    if (feed_auth_apply(f->auth, f->sock, cfg->endpoint, e)) {
        sg_err_prefix(e, where);
        goto fail;
    }
    if (!(f->peers = feed_peers_create(f->ctx, f->sock, hwm, e)))
        goto fail;
    if (zmq_bind(f->sock, cfg->endpoint) != 0) {
        sg_err_set(e, SG_EIO, "feed: cannot bind %s: %s", cfg->endpoint, zmq_strerror(errno));
        goto fail;
    }
    size_t len = sizeof f->endpoint;
    if (zmq_getsockopt(f->sock, ZMQ_LAST_ENDPOINT, f->endpoint, &len) != 0)
        snprintf(f->endpoint, sizeof f->endpoint, "%s", cfg->endpoint);
    if (cfg->record_path) {
        snprintf(f->record_path, sizeof f->record_path, "%s", cfg->record_path);
        f->record = fopen(cfg->record_path, "w");
        if (!f->record) {
            sg_err_set(e, SG_EIO, "feed: cannot create record %s: %s", cfg->record_path,
                       strerror(errno));
            goto fail;
        }
    }
    return f;
fail:
    feed_destroy(f);
    return NULL;
}

void feed_destroy(feed *f)
{
    if (!f)
        return;
    feed_peers_destroy(f->peers);
    while (f->n_held) {
        free(f->held[f->held_head]);
        f->held_head = (f->held_head + 1) % FEED_HELD_MAX;
        f->n_held--;
    }
    /* Secured sockets close before their ZAP handler goes (feed_auth.h). */
    if (f->sock)
        zmq_close(f->sock);
    feed_auth_destroy(f->auth);
    if (f->ctx)
        zmq_ctx_term(f->ctx);
    if (f->record)
        fclose(f->record);
    free(f);
}

const char *feed_endpoint(const feed *f) { return f->endpoint; }

static const char *sensor_name(const feed *f, int i)
{
    return i >= 0 && (size_t)i < f->n_sensors ? f->sensor_ids[i] : "?";
}

/* Topic, then the common header fields of every message. */
static void header(sgjw *w, const char *topic, const char *type, double t, bool snapshot)
{
    char iso[40];
    sgjw_raw(w, topic);
    sgjw_raw(w, " ");
    sgjw_obj_begin(w);
    sgjw_int(w, "v", FEED_SCHEMA_VERSION);
    sgjw_str(w, "type", type);
    sgjw_fix(w, "t", t, 6);
    sg_time_iso8601(t, iso, sizeof iso);
    sgjw_str(w, "time", iso);
    if (snapshot)
        sgjw_bool(w, "snapshot", true);
}

static int finish(sgjw *w)
{
    sgjw_obj_end(w);
    return sgjw_ok(w) ? (int)w->len : SG_EOVERFLOW;
}

static void sensors_arr(sgjw *w, const feed *f, const int *s, int n)
{
    sgjw_arr_begin(w, "sensors");
    for (int i = 0; i < n && i < SG_MAX_TRACK_SENSORS; i++)
        sgjw_str(w, NULL, sensor_name(f, s[i]));
    sgjw_arr_end(w);
}

#define RAD2DEG (180.0 / M_PI)

static const char *rid_auth_name(uint8_t a)
{
    static const char *const n[] = {"unsigned", "unverified", "verified", "failed"};
    return a < 4 ? n[a] : "unverified";
}

/* enumeration value, or null for "reserved value received" (0xFF) */
static void rid_enum(sgjw *w, const char *key, uint8_t v)
{
    if (v == 0xFF)
        sgjw_null(w, key);
    else
        sgjw_uint(w, key, v);
}

/* The Remote ID details of a track (docs/feed-schema.md, "remote_id"). */
static void rid_obj(sgjw *w, const sg_rid_info *r)
{
    sgjw_key_obj(w, "remote_id");
    sgjw_uint(w, "protocol_version", r->proto_version);
    rid_enum(w, "id_type", r->id_type);
    sgjw_uint(w, "ua_type", r->ua_type);
    rid_enum(w, "status", r->status);
    sgjw_str(w, "height_ref", r->height_type ? "agl" : "takeoff");
    sgjw_fix(w, "height_m", r->height_m, 1);
    sgjw_fix(w, "alt_baro_m", r->alt_baro_m, 1);
    sgjw_num(w, "h_acc_m", r->h_acc_m, 6);
    sgjw_num(w, "v_acc_m", r->v_acc_m, 6);
    sgjw_num(w, "baro_acc_m", r->baro_acc_m, 6);
    sgjw_num(w, "speed_acc_mps", r->speed_acc_mps, 6);
    sgjw_fix(w, "loc_time_s", r->loc_time_s, 1);
    sgjw_fix(w, "loc_time_acc_s", r->loc_time_acc_s, 1);
    sgjw_fix(w, "system_time", r->system_time, 0);
    rid_enum(w, "classification", r->classification);
    rid_enum(w, "category_eu", r->category_eu);
    rid_enum(w, "class_eu", r->class_eu);
    rid_enum(w, "operator_location", r->op_loc_type);
    if (r->self_id[0]) {
        rid_enum(w, "self_id_type", r->self_id_type);
        sgjw_str(w, "self_id", r->self_id);
    }
    if (r->operator_id[0])
        sgjw_str(w, "operator_id", r->operator_id);
    sgjw_str(w, "auth", rid_auth_name(r->auth));
    if (r->auth_type)
        rid_enum(w, "auth_type", r->auth_type);
    sgjw_obj_end(w);
}

/* The DJI DroneID details of a track (docs/feed-schema.md, "droneid"). */
static void droneid_obj(sgjw *w, const sg_droneid_info *d)
{
    static const char *const bits[] = {"serial_valid", "privacy_on", "home_set", "uuid_set",
                                       "motor_on", "in_air", "gps_valid", "alt_valid",
                                       "height_valid", "hvel_valid", "vup_valid", "att_valid"};
    const bool v[] = {d->serial_valid, d->privacy_on, d->home_set, d->uuid_set,
                      d->motor_on, d->in_air, d->gps_valid, d->alt_valid,
                      d->height_valid, d->hvel_valid, d->vup_valid, d->att_valid};
    sgjw_key_obj(w, "droneid");
    sgjw_uint(w, "msg_type", d->msg_type);
    if (d->nsym)
        sgjw_uint(w, "layout_symbols", d->nsym);
    sgjw_str(w, "product_name", d->product_name);
    sgjw_uint(w, "product", d->product);
    if (d->msg_type != 0x11) { /* 0x11 (user info) carries the serial only */
        sgjw_uint(w, "version", d->version);
        sgjw_uint(w, "seq", d->seq);
        sgjw_uint(w, "state", d->state);
        sgjw_key_obj(w, "flags");
        for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
            sgjw_bool(w, bits[i], v[i]);
        sgjw_obj_end(w);
        sgjw_fix(w, "height_m", d->height_m, 1);
        sgjw_str(w, "height_ref", "takeoff");
        sgjw_fix(w, "altitude_m", d->altitude_m, 1);
        sgjw_str(w, "altitude_ref", "msl");
        sgjw_arr_begin(w, "vel_enu_mps");
        sgjw_fix(w, NULL, d->v_east, 2);
        sgjw_fix(w, NULL, d->v_north, 2);
        sgjw_fix(w, NULL, d->v_up, 2);
        sgjw_arr_end(w);
        sgjw_fix(w, "yaw_deg", d->yaw_deg, 2);
        if (d->has_home) {
            sgjw_key_obj(w, "home");
            sgjw_fix(w, "lat", d->home_lat * RAD2DEG, 7);
            sgjw_fix(w, "lon", d->home_lon * RAD2DEG, 7);
            sgjw_obj_end(w);
        }
        if (d->has_pilot) {
            sgjw_key_obj(w, "pilot");
            sgjw_fix(w, "lat", d->pilot_lat * RAD2DEG, 7);
            sgjw_fix(w, "lon", d->pilot_lon * RAD2DEG, 7);
            sgjw_obj_end(w);
        }
        sgjw_fix(w, "app_time", d->app_time, 3);
        if (d->uuid[0])
            sgjw_str(w, "uuid", d->uuid);
    }
    sgjw_obj_end(w);
}

int feed_encode_track(const feed *f, char *buf, size_t cap, const sg_track *tr,
                      const feed_zone_ref *zones, size_t n_zones, bool snapshot)
{
    sgjw w;
    char topic[32];
    sgjw_init(&w, buf, cap);
    snprintf(topic, sizeof topic, "track.%u", tr->id);
    header(&w, topic, "track", tr->t, snapshot);
    sgjw_uint(&w, "id", tr->id);
    sgjw_str(&w, "status", sg_track_status_name(tr->status));
    sgjw_fix(&w, "lat", tr->lat * RAD2DEG, 7);
    sgjw_fix(&w, "lon", tr->lon * RAD2DEG, 7);
    sgjw_fix(&w, "alt_m", tr->alt, 1);
    sgjw_arr_begin(&w, "enu_m");
    for (int i = 0; i < 3; i++)
        sgjw_fix(&w, NULL, tr->x[i], 2);
    sgjw_arr_end(&w);
    sgjw_arr_begin(&w, "vel_mps");
    for (int i = 3; i < 6; i++)
        sgjw_fix(&w, NULL, tr->x[i], 2);
    sgjw_arr_end(&w);
    double ve = tr->x[3], vn = tr->x[4];
    double course = atan2(ve, vn) * RAD2DEG;
    if (course < 0)
        course += 360;
    double speed = hypot(ve, vn);
    sgjw_fix(&w, "speed_mps", speed, 2);
    /* a hovering drone has no course: null, never a made-up 0 */
    sgjw_fix(&w, "course_deg", speed >= FEED_MIN_COURSE_SPEED ? course : NAN, 1);
    sgjw_fix(&w, "climb_mps", tr->x[5], 2);
    sgjw_fix(&w, "pos_sd_m", sqrt(fmax(0, tr->P[0] + tr->P[7] + tr->P[14])), 2);
    sgjw_fix(&w, "pos_sd_h_m", sqrt(fmax(0, tr->P[0] + tr->P[7])), 2);
    sgjw_fix(&w, "pos_sd_v_m", sqrt(fmax(0, tr->P[14])), 2);
    if (tr->cls[0]) {
        sgjw_str(&w, "class", tr->cls);
        sgjw_fix(&w, "class_conf", tr->cls_conf, 3);
    }
    if (tr->identity[0])
        sgjw_str(&w, "identity", tr->identity);
    if (tr->has_operator) {
        sgjw_key_obj(&w, "operator");
        sgjw_fix(&w, "lat", tr->operator_lat * RAD2DEG, 7);
        sgjw_fix(&w, "lon", tr->operator_lon * RAD2DEG, 7);
        if (isfinite(tr->operator_alt))
            sgjw_fix(&w, "alt_m", tr->operator_alt, 1);
        sgjw_obj_end(&w);
    }
    if (tr->rid.valid)
        rid_obj(&w, &tr->rid);
    if (tr->droneid.valid)
        droneid_obj(&w, &tr->droneid);
    sensors_arr(&w, f, tr->sensors, tr->n_sensors);
    sgjw_arr_begin(&w, "zones");
    for (size_t i = 0; i < n_zones; i++) {
        sgjw_obj_begin(&w);
        sgjw_str(&w, "id", zones[i].zone_id);
        sgjw_str(&w, "severity", sg_severity_name(zones[i].severity));
        sgjw_bool(&w, "inside", zones[i].inside);
        sgjw_fix(&w, "ttb_s", zones[i].ttb_s, 1);
        sgjw_obj_end(&w);
    }
    sgjw_arr_end(&w);
    sgjw_uint(&w, "hits", tr->hits);
    sgjw_fix(&w, "t_first", tr->t_first, 6);
    sgjw_fix(&w, "t_last", tr->t_last, 6);
    return finish(&w);
}

int feed_encode_alert(const feed *f, char *buf, size_t cap, const sg_alert *a, bool snapshot)
{
    sgjw w;
    char topic[96];
    sgjw_init(&w, buf, cap);
    /* Zone ids come from config: keep the topic one printable word whatever they hold. */
    snprintf(topic, sizeof topic, "alert.%s.%s", sg_severity_name(a->severity), a->zone_id);
    for (char *p = topic; *p; p++)
        if ((unsigned char)*p < 0x21 || (unsigned char)*p > 0x7e)
            *p = '_'; /* the topic is printable ASCII (feed-schema.md) */
    header(&w, topic, "alert", a->t, snapshot);
    sgjw_uint(&w, "id", a->id);
    sgjw_str(&w, "state", sg_alert_state_name(a->state));
    sgjw_str(&w, "severity", sg_severity_name(a->severity));
    sgjw_uint(&w, "track_id", a->track_id);
    sgjw_str(&w, "zone", a->zone_id);
    sgjw_bool(&w, "inside", a->inside);
    sgjw_fix(&w, "ttb_s", a->time_to_breach, 2);
    sgjw_fix(&w, "ttb_sd_s", a->time_to_breach_sd, 2);
    sgjw_bool(&w, "allow_listed", a->allow_listed);
    if (a->identity[0])
        sgjw_str(&w, "identity", a->identity);
    if (a->cls[0])
        sgjw_str(&w, "class", a->cls);
    sensors_arr(&w, f, a->sensors, a->n_sensors);
    return finish(&w);
}

int feed_encode_status(const feed *f, char *buf, size_t cap, const sg_status *s,
                       const char *sensors_json, double uptime_s, const char *latency_json,
                       bool snapshot)
{
    sgjw w;
    char topic[64];
    sgjw_init(&w, buf, cap);
    snprintf(topic, sizeof topic, "status.%s", f->node);
    header(&w, topic, "status", s->t, snapshot);
    sgjw_str(&w, "node", f->node);
    sgjw_fix(&w, "uptime_s", uptime_s, 3);
    sgjw_uint(&w, "samples_processed", s->samples_processed);
    sgjw_uint(&w, "samples_dropped", s->samples_dropped);
    sgjw_uint(&w, "blocks_dropped", s->blocks_dropped);
    sgjw_uint(&w, "bursts", s->bursts);
    sgjw_uint(&w, "measurements", s->measurements);
    sgjw_uint(&w, "measurements_rejected", s->measurements_rejected);
    sgjw_uint(&w, "scans", s->scans);
    sgjw_uint(&w, "scans_rejected", s->scans_rejected);
    sgjw_uint(&w, "published", s->messages_published);
    sgjw_uint(&w, "publish_dropped", s->messages_dropped);
    feed_stats fs;
    feed_get_stats(f, &fs);
    sgjw_uint(&w, "feed_clients_refused", fs.auth_refused);
    sgjw_uint(&w, "feed_clients", fs.clients);
    sgjw_uint(&w, "feed_clients_slow", fs.slow_cut);
    sgjw_uint(&w, "feed_slow_lost", fs.slow_lost);
    sgjw_uint(&w, "feed_held", fs.held);
    if (f->record_path[0])
        sgjw_uint(&w, "record_out_dropped", fs.record_errors);
    sgjw_uint(&w, "queue_depth", s->queue_depth);
    sgjw_uint(&w, "queue_capacity", s->queue_capacity);
    sgjw_uint(&w, "tracks", s->n_tracks);
    sgjw_uint(&w, "alerts_active", s->n_alerts_active);
    if (sensors_json) {
        sgjw_raw(&w, ",\"sensors\":");
        sgjw_raw(&w, sensors_json);
    }
    if (latency_json) {
        sgjw_raw(&w, ",\"latency_ms\":");
        sgjw_raw(&w, latency_json);
    }
    if (f->nodes_json) {
        sgjw_raw(&w, ",\"nodes\":");
        sgjw_raw(&w, f->nodes_json);
    }
    return finish(&w);
}

int feed_encode_rf(const feed *f, char *buf, size_t cap, const feed_rf *r)
{
    sgjw w;
    char topic[80];
    sgjw_init(&w, buf, cap);
    snprintf(topic, sizeof topic, "rf.%s", sensor_name(f, r->sensor));
    header(&w, topic, "rf", r->t, false);
    sgjw_str(&w, "sensor", sensor_name(f, r->sensor));
    sgjw_str(&w, "class", r->cls);
    sgjw_fix(&w, "class_conf", r->cls_conf, 3);
    if (r->identity && r->identity[0])
        sgjw_str(&w, "identity", r->identity);
    sgjw_fix(&w, "fc_hz", r->fc_hz > 0 ? r->fc_hz : NAN, 0);
    sgjw_fix(&w, "bw_hz", r->bw_hz > 0 ? r->bw_hz : NAN, 0);
    if (r->track_id)
        sgjw_uint(&w, "track_id", r->track_id);
    if (r->has_az) {
        sgjw_fix(&w, "azimuth_deg", r->az_deg, 2);
        sgjw_fix(&w, "azimuth_sd_deg", r->az_sd_deg, 2);
    }
    sgjw_fix(&w, "first_t", r->first_t, 6);
    sgjw_fix(&w, "last_t", r->last_t, 6);
    return finish(&w);
}

/* Sends the held messages, oldest first, while the socket takes them. A subscriber
 * that keeps the feed blocked longer than slow_s is disconnected (feed_peers.h). */
static void send_held(feed *f)
{
    while (f->n_held) {
        size_t h = f->held_head;
        if (zmq_send(f->sock, f->held[h], f->held_len[h], ZMQ_DONTWAIT) < 0) {
            if (errno != EAGAIN) { /* not sendable at all: counted, not retried */
                f->st.dropped++;
            } else {
                struct timespec now;
                clock_gettime(CLOCK_MONOTONIC, &now);
                double waited = sg_ms_between(&f->blocked_since, &now) / 1e3;
                if (waited < f->slow_s)
                    return;
                feed_peers_cut_slow(f->peers, waited);
                f->blocked_since = now; /* the next cut, if any, after another slow_s */
                return;
            }
        } else {
            f->st.published++;
        }
        free(f->held[h]);
        f->held_head = (h + 1) % FEED_HELD_MAX;
        f->n_held--;
    }
    f->blocked = false;
}

int feed_send_raw(feed *f, const char *frame, size_t len)
{
    send_held(f);
    int rc = SG_OK;
    if (!f->n_held && zmq_send(f->sock, frame, len, ZMQ_DONTWAIT) >= 0) {
        f->st.published++;
    } else if (f->n_held || errno == EAGAIN) {
        /* a subscriber's queue is full: hold the message (order kept) */
        char *copy = f->n_held < FEED_HELD_MAX ? malloc(len ? len : 1) : NULL;
        if (!copy) {
            f->st.dropped++;
            return SG_EOVERFLOW;
        }
        memcpy(copy, frame, len);
        size_t t = (f->held_head + f->n_held++) % FEED_HELD_MAX;
        f->held[t] = copy;
        f->held_len[t] = len;
        if (!f->blocked) {
            f->blocked = true;
            clock_gettime(CLOCK_MONOTONIC, &f->blocked_since);
        }
    } else {
        f->st.dropped++;
        return SG_EIO;
    }
    if (f->record) {
        if (fwrite(frame, 1, len, f->record) != len || fputc('\n', f->record) == EOF ||
            fflush(f->record) != 0) {
            /* disk full or I/O error: the record stops (what was written stays) */
            snprintf(f->record_err, sizeof f->record_err, "%s: write failed: %s",
                     f->record_path, strerror(errno));
            fclose(f->record);
            f->record = NULL;
        }
    }
    if (f->record_err[0])
        f->st.record_errors++; /* a message the record lacks */
    return rc;
}

static int send_encoded(feed *f, int n)
{
    if (n < 0) {
        f->st.dropped++;
        return n;
    }
    return feed_send_raw(f, f->buf, (size_t)n);
}

int feed_track(feed *f, const sg_track *tr, const feed_zone_ref *zones, size_t n_zones,
               bool snapshot)
{
    return send_encoded(f, feed_encode_track(f, f->buf, sizeof f->buf, tr, zones, n_zones,
                                             snapshot));
}

int feed_alert(feed *f, const sg_alert *a, bool snapshot)
{
    return send_encoded(f, feed_encode_alert(f, f->buf, sizeof f->buf, a, snapshot));
}

int feed_status(feed *f, const sg_status *s, const char *sensors_json, double uptime_s,
                const char *latency_json, bool snapshot)
{
    return send_encoded(f, feed_encode_status(f, f->buf, sizeof f->buf, s, sensors_json,
                                              uptime_s, latency_json, snapshot));
}

void feed_set_status_nodes(feed *f, const char *nodes_json) { f->nodes_json = nodes_json; }

int feed_rf_presence(feed *f, const feed_rf *r)
{
    return send_encoded(f, feed_encode_rf(f, f->buf, sizeof f->buf, r));
}

int feed_poll(feed *f)
{
    feed_peers_poll(f->peers);
    send_held(f);
    int fresh = 0;
    char msg[256];
    for (;;) {
        int n = zmq_recv(f->sock, msg, sizeof msg, ZMQ_DONTWAIT);
        if (n < 0)
            return errno == EAGAIN ? fresh : SG_EIO;
        if (n >= 1 && msg[0] == 1) {
            f->st.subscriptions++;
            fresh++;
        }
    }
}

void feed_get_stats(const feed *f, feed_stats *out)
{
    *out = f->st;
    feed_auth_stats as;
    feed_auth_get_stats(f->auth, &as);
    out->auth_accepted = as.accepted;
    feed_peers_stats ps;
    feed_peers_get_stats(f->peers, &ps);
    out->auth_refused = as.refused + as.malformed + ps.handshake_failed;
    out->clients = ps.connected;
    out->slow_cut = ps.slow_cut;
    out->slow_lost = ps.slow_lost;
    out->held = f->n_held;
}

size_t feed_peer_notes(feed *f, feed_peer_note *out, size_t cap)
{
    return feed_peers_drain(f->peers, out, cap);
}

size_t feed_refusals(feed *f, feed_auth_refusal *out, size_t cap)
{
    return feed_auth_drain_refusals(f->auth, out, cap);
}

const char *feed_server_public(const feed *f) { return feed_auth_server_public(f->auth); }
const char *feed_record_error(const feed *f) { return f->record_err; }
