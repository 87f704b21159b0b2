/* Building the sensor side from the venue (see sensor_side.h): the RF chain of an
 * IQ adapter (front end, emitters, DroneID, BLE Remote ID), Wi-Fi Remote ID captures
 * and cameras, each on the sensors of this node. */
#include "sensor_runner.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geoid.h"
#include "sg_json.h"

static void runner_init(sensor_side *p, size_t si, runner *s);

/* The sensor's Remote ID table, with the venue's DRIP trust file when it names one (each
 * sensor its own store: verified DRIP Links add keys on the sensor's thread). */
static int build_odid(sensor_side *p, runner *s, sg_errinfo *e)
{
    if (!(s->odid = odid_table_create(256, 30.0, e)))
        return e->code;
    const char *path = p->site->rid_trust_path;
    if (!path[0])
        return SG_OK;
    if (!(s->trust = odid_trust_create(4096, e)) || odid_trust_load(s->trust, path, e)) {
        char where[SG_PATH_LEN + 32];
        snprintf(where, sizeof where, "%s: remote_id_trust", p->site->path);
        return sg_err_prefix(e, where);
    }
    if (odid_trust_count(s->trust) == 0)
        return sg_err_set(e, SG_EFORMAT, "%s: remote_id_trust: %s holds no key (\"DET_HEX KEY_HEX\" "
                          "lines)", p->site->path, path);
    odid_table_set_trust(s->odid, s->trust);
    return SG_OK;
}

/* Adapter options with a relative file (the member `key`) made relative to the venue file. */
static cJSON *resolve_adapter_opts(const sg_site *site, const cJSON *adapter, const char *key,
                                   sg_errinfo *e)
{
    cJSON *o = cJSON_Duplicate(adapter, 1);
    if (!o) {
        sg_err_set(e, SG_ENOMEM, "out of memory");
        return NULL;
    }
    cJSON *path = cJSON_GetObjectItemCaseSensitive(o, key);
    if (cJSON_IsString(path) && strcmp(path->valuestring, "-") != 0) {
        char full[SG_PATH_LEN];
        if (sg_path_relative_to(site->path, path->valuestring, full, sizeof full) ||
            !cJSON_SetValuestring(path, full)) {
            cJSON_Delete(o);
            sg_err_set(e, SG_ERANGE, "adapter path too long");
            return NULL;
        }
    }
    return o;
}

/* "burst_thread": the work after the front end on a thread of its own (sensor_chain.h);
 * on by default when the front end has threads > 1, never on a DF sensor. */
static int build_chain_cfg(const sg_sensor_cfg *c, const frontend_cfg *fc, runner *s,
                           sg_errinfo *e)
{
    static const char *const keys[] = {"enabled", "queue", "iq_s", NULL};
    char where[160];
    bool on;
    long slots;
    int rc;
    snprintf(where, sizeof where, "%s.burst_thread", c->where);
    if ((rc = sgj_check_keys(c->burst_thread, where, keys, e)) ||
        (rc = sgj_bool(c->burst_thread, where, "enabled", false, fc->threads > 1 && !c->array,
                       &on, e)) ||
        (rc = sgj_int(c->burst_thread, where, "queue", false, SENSOR_CHAIN_SLOTS_DEFAULT, 1, 65536,
                      &slots, e)) ||
        (rc = sgj_number(c->burst_thread, where, "iq_s", false, SENSOR_CHAIN_IQ_S_DEFAULT, 1e-4, 1.0,
                         &s->chain_iq_s, e)))
        return rc;
    if (on && c->array)
        return sg_err_set(e, SG_ENOTSUP, "%s.enabled: not available on a direction-finding sensor "
                                         "(one with an \"array\")", where);
    s->chain_slots = on ? (size_t)slots : 0;
    return SG_OK;
}

int sensor_build_rf(sensor_side *p, size_t si, bool replace, runner *s, sg_errinfo *e)
{
    const sg_sensor_cfg *c = &p->site->sensors[si];
    runner_init(p, si, s);
    if (!s->rec_mu_ok)
        return sg_err_set(e, SG_ENOMEM, "%s: cannot make the recording lock", c->where);
    const char *type = c->adapter_type;
    if (replace) {
        /* --replay: a SigMF recording stands in for this sensor's adapter. */
        type = "sigmf";
        s->opts = cJSON_CreateObject();
        if (!s->opts || !cJSON_AddStringToObject(s->opts, "type", "sigmf") ||
            !cJSON_AddStringToObject(s->opts, "path", p->o.replay_path) ||
            (p->o.sample_rate > 0 &&
             !cJSON_AddNumberToObject(s->opts, "sample_rate", p->o.sample_rate)) ||
            (p->o.realtime && !cJSON_AddBoolToObject(s->opts, "realtime", true)))
            return sg_err_set(e, SG_ENOMEM, "out of memory");
    } else {
        if (!(s->opts = resolve_adapter_opts(p->site, c->adapter, "path", e)))
            return e->code;
        if (p->o.realtime) {
            cJSON_DeleteItemFromObjectCaseSensitive(s->opts, "realtime");
            if (!cJSON_AddBoolToObject(s->opts, "realtime", true))
                return sg_err_set(e, SG_ENOMEM, "out of memory");
        }
    }
    if (c->array && !strcmp(type, "sigmf") && !cJSON_HasObjectItem(s->opts, "channel") &&
        !cJSON_AddStringToObject(s->opts, "channel", "all")) /* DF needs every channel */
        return sg_err_set(e, SG_ENOMEM, "out of memory");
    unsigned elements = 0;
    if (c->array) {
        /* a live array: one coherent stream of every element's channel unless given */
        char aw[160];
        doa_array arr;
        snprintf(aw, sizeof aw, "%s.array", c->where);
        if (doa_array_from_json(&arr, c->array, aw, e))
            return e->code;
        elements = arr.n;
        if (!strcmp(type, "soapy") && !cJSON_HasObjectItem(s->opts, "channel") &&
            !cJSON_HasObjectItem(s->opts, "channels") &&
            !cJSON_AddNumberToObject(s->opts, "channels", elements))
            return sg_err_set(e, SG_ENOMEM, "out of memory");
    }
    s->ops = sg_iq_adapter_find(type);
    if (!s->ops) {
        const char *why = sg_iq_adapter_missing(type);
        return sg_err_set(e, SG_ENOTSUP, "%s.adapter.type: %s", c->where,
                          why ? why : "unknown IQ adapter (see docs/config.md)");
    }
    char where[160];
    snprintf(where, sizeof where, "%s.adapter", c->where);
    int rc = s->ops->open(&s->state, s->opts, replace ? "--replay" : where, e);
    if (rc)
        return rc;
    if (elements && s->ops->stats) {
        sg_adapter_stats as;
        s->ops->stats(s->state, &as);
        unsigned ch = as.channels ? as.channels : 1;
        if (ch != elements)
            return sg_err_set(e, SG_EINVAL, "%s: the input has %u channel%s but the sensor's array "
                              "has %u elements (one coherent channel per element)",
                              replace ? "--replay" : where, ch, ch == 1 ? "" : "s", elements);
    }
    frontend_cfg fc;
    snprintf(where, sizeof where, "%s.frontend", c->where);
    if ((rc = frontend_cfg_from_json(&fc, c->frontend, where, e)))
        return rc;
    fc.sensor = (int)si;
    s->hold_s = fc.max_burst_s + fc.margin_s;
    if ((rc = build_chain_cfg(c, &fc, s, e)))
        return rc;
    if (c->array) {
        if (c->ble)
            return sg_err_set(e, SG_ENOTSUP, "%s.ble: not available on a direction-finding "
                                             "sensor (one with an \"array\")", c->where);
        if (!(s->df = sensor_df_create(c, &fc, e)))
            return e->code;
    } else {
        /* only DroneID takes a burst's IQ: a ring for its longest region, not max_burst_s */
        fc.iq_max_s = DRONEID_REGION_MAX_S;
        if (!(s->fe = frontend_create(&fc, e)))
            return e->code;
    }
    if (!(s->em = emitters_create(p->sigs, NULL, e)))
        return e->code;
    s->live = s->ops->live;
    if (c->ble) {
        /* BLE Remote ID receivers on this sensor's IQ (legacy 1M, extended on Coded) */
        ble_scan_cfg bc;
        snprintf(where, sizeof where, "%s.ble", c->where);
        ble_scan_cfg_default(&bc);
        if ((rc = ble_scan_cfg_from_json(c->ble, where, &bc, e)) ||
            !(s->ble = ble_scan_create(&bc, e)))
            return rc ? rc : e->code;
        s->hold_s = fmax(s->hold_s, ble_scan_hold_s(s->ble));
    }
    return build_odid(p, s, e);
}

static void runner_init(sensor_side *p, size_t si, runner *s)
{
    s->p = p;
    s->rec_mu_ok = pthread_mutex_init(&s->rec_mu, NULL) == 0;
    s->idx = (int)si;
    s->t_first = NAN;
    s->next_tick = -INFINITY;
    s->clk = -INFINITY;
    s->next_health = -INFINITY;
    s->df_scan_t = NAN;
    s->scan_range_m = p->site->sensors[si].scan_range_m; /* cameras and DF (site.c checks) */
}

/* A Wi-Fi Remote ID receiver: a pcap file (replay) or a monitor-mode interface. */
int sensor_build_wifi(sensor_side *p, size_t si, runner *s, sg_errinfo *e)
{
    const sg_sensor_cfg *c = &p->site->sensors[si];
    runner_init(p, si, s);
    char where[160];
    snprintf(where, sizeof where, "%s.adapter", c->where);
#if SG_WITH_PCAP
    if (strcmp(c->adapter_type, "pcap") != 0)
        return sg_err_set(e, SG_EINVAL, "%s.type: remoteid_wifi sensors take \"pcap\"", where);
    if (!(s->opts = resolve_adapter_opts(p->site, c->adapter, "file", e)))
        return e->code;
    cJSON_DeleteItemFromObjectCaseSensitive(s->opts, "type");
    s->live = cJSON_HasObjectItem(s->opts, "interface");
    if (!(s->pcap = rid_pcap_open_json(s->opts, where, e)))
        return e->code;
    return build_odid(p, s, e);
#else
    (void)p;
    return sg_err_set(e, SG_ENOTSUP, "%s: this build has no libpcap (apt-get install "
                      "libpcap-dev and rebuild)", where);
#endif
}

/* A camera: GStreamer pipeline -> sky detector -> bearing measurements. */
int sensor_build_camera(sensor_side *p, size_t si, runner *s, sg_errinfo *e)
{
    const sg_sensor_cfg *c = &p->site->sensors[si];
    runner_init(p, si, s);
    camera_cfg cc;
    camera_cfg_default(&cc);
    int rc = camera_cfg_from_json(&cc, c->json, c->where, e);
    if (rc)
        return rc;
    cc.sensor = (int)si;
    geo_frame_to_enu(&p->frame, c->lat_deg * GEO_DEG, c->lon_deg * GEO_DEG, c->alt_m,
                     cc.sensor_enu);
    s->live = cc.live;
    /* scan reports: each frame a look at the view out to scan_range_m (docs/tracker.md) */
    s->scan_geom = cc.geom;
    if (!(s->cam = camera_create(&cc, e)))
        return e->code;
    return SG_OK;
}

/* True if every direction sampled on the border of the box has a pixel in the image. */
static bool sector_inside(const camgeom *g, double az0, double ah, double el_lo, double el_hi)
{
    enum { K = 16 };
    for (int i = 0; i <= K; i++) {
        double f = (double)i / K, az = az0 - ah + 2 * ah * f, el = el_lo + (el_hi - el_lo) * f;
        double pts[4][2] = {{az, el_lo}, {az, el_hi}, {az0 - ah, el}, {az0 + ah, el}};
        for (int k = 0; k < 4; k++) {
            double u, v;
            bool in = false;
            if (camgeom_bearing_to_pixel(g, pts[k][0], pts[k][1], &u, &v, &in) || !in)
                return false;
        }
    }
    return true;
}

void sensor_camera_sector(runner *s, int width, int height)
{
    s->scan_ok = false;
    s->scan_w = width;
    s->scan_h = height;
    camgeom g;
    sg_errinfo e = {0};
    double az0, el0, azl, azr, elb, elt, tmp;
    if (s->scan_range_m <= 0 || camgeom_init(&g, &s->scan_geom, width, height, &e) ||
        camgeom_pixel_to_bearing(&g, g.cx, g.cy, &az0, &el0, NULL) ||
        camgeom_pixel_to_bearing(&g, 0, g.cy, &azl, &tmp, NULL) ||
        camgeom_pixel_to_bearing(&g, width - 1, g.cy, &azr, &tmp, NULL) ||
        camgeom_pixel_to_bearing(&g, g.cx, height - 1, &tmp, &elb, NULL) ||
        camgeom_pixel_to_bearing(&g, g.cx, 0, &tmp, &elt, NULL))
        return;
    /* start from the half-spans through the centre, shrink until the box is inside */
    double ah = 0.5 * fabs(remainder(azr - azl, 2 * M_PI));
    double up = fmax(elt, elb) - el0, down = el0 - fmin(elt, elb);
    for (int it = 0; it < 60; it++, ah *= 0.95, up *= 0.95, down *= 0.95) {
        double lo = fmax(el0 - down, -M_PI / 2), hi = fmin(el0 + up, M_PI / 2);
        if (sector_inside(&g, az0, ah, lo, hi)) {
            s->scan_sector = (tracker_scan){.sensor = s->idx, .cover = TRACKER_COVER_SECTOR,
                                            .az_center = az0, .az_half = ah, .el_min = lo,
                                            .el_max = hi, .range_max = s->scan_range_m,
                                            .detected_only = true};
            s->scan_ok = true;
            return;
        }
    }
}

bool sensor_df_scan(runner *s, double c, tracker_scan *out)
{
    if (!(s->scan_range_m > 0) || !isfinite(c))
        return false;
    if (isnan(s->df_scan_t) || c < s->df_scan_t) {
        s->df_scan_t = c;
        return false;
    }
    if (c - s->df_scan_t < SENSOR_DF_WINDOW_S)
        return false;
    *out = (tracker_scan){.sensor = s->idx, .t0 = s->df_scan_t, .t1 = c,
                          .cover = TRACKER_COVER_SECTOR, .az_half = M_PI, .el_min = 0,
                          .el_max = M_PI / 2, .range_max = s->scan_range_m,
                          .detected_only = true};
    s->df_scan_t = c;
    return true;
}

/* A third-party SAPIENT sensor: its detections arrive over TCP (adapters/sapient_in.h). */
int sensor_build_sapient(sensor_side *p, size_t si, runner *s, sg_errinfo *e)
{
    const sg_sensor_cfg *c = &p->site->sensors[si];
    runner_init(p, si, s);
    char where[160];
    snprintf(where, sizeof where, "%s.adapter", c->where);
    if (strcmp(c->adapter_type, "sapient") != 0)
        return sg_err_set(e, SG_EINVAL, "%s.type: sapient sensors take \"sapient\"", where);
#if SG_WITH_SAPIENT
    sapient_in_geom g = {.sensor_id = c->id, .sensor = (int)si, .lat = c->lat_deg * GEO_DEG,
                         .lon = c->lon_deg * GEO_DEG, .alt = c->alt_m, .yaw = c->yaw_deg * GEO_DEG,
                         .geoid_n_m = NAN};
    sg_errinfo ge = {0};
    double n; /* the daemon's rule for N: heights above the geoid need it, others do not */
    if (geoid_venue_n(p->site->geoid_undulation_m, p->site->origin_lat_deg,
                      p->site->origin_lon_deg, &n, &ge) == SG_OK)
        g.geoid_n_m = n;
    s->live = true;
    if (!(s->sap = sapient_in_create(c->adapter, where, &g, e)))
        return e->code;
    return SG_OK;
#else
    return sg_err_set(e, SG_ENOTSUP, "%s: SAPIENT input is not in this build (needs protobuf-c: "
                      "apt-get install libprotobuf-c-dev protobuf-c-compiler)", where);
#endif
}

sensor_side *sensor_side_create(const sg_site *site, const sensor_side_opts *o, node_link *link,
                                const atomic_bool *stop, sg_errinfo *e)
{
    sensor_side *p = calloc(1, sizeof *p);
    if (!p) {
        sg_err_set(e, SG_ENOMEM, "out of memory");
        return NULL;
    }
    p->site = site;
    p->o = *o;
    p->link = link;
    p->stop = stop;
    pthread_mutex_init(&p->clk_mu, NULL);
    pthread_cond_init(&p->clk_cv, NULL);
    if (geo_frame_init(&p->frame, site->origin_lat_deg * GEO_DEG, site->origin_lon_deg * GEO_DEG,
                       site->origin_alt_m, e)) {
        sg_err_prefix(e, site->path);
        goto fail;
    }
    /* The signature library: the venue's "signatures" file, else the one beside it. */
    char sigpath[SG_PATH_LEN];
    if (site->signatures_path[0])
        snprintf(sigpath, sizeof sigpath, "%s", site->signatures_path);
    else if (sg_path_relative_to(site->path, "signatures.json", sigpath, sizeof sigpath))
        sigpath[0] = '\0';
    if (!(p->sigs = siglib_load(sigpath, e)))
        goto fail;
    if (!(p->run = calloc(site->n_sensors, sizeof *p->run))) {
        sg_err_set(e, SG_ENOMEM, "out of memory");
        goto fail;
    }
    int replaced = -1;
    for (size_t i = 0; p->o.replay_path && replaced < 0 && i < site->n_sensors; i++)
        if (site->sensors[i].kind == SG_SENSOR_RF && (!o->node_of || o->node_of[i] == o->node))
            replaced = (int)i; /* the first rf sensor (of this node) */
    for (size_t i = 0; i < site->n_sensors; i++) {
        const sg_sensor_cfg *c = &site->sensors[i];
        bool replace = (int)i == replaced;
        if (o->node_of && o->node_of[i] != o->node)
            continue; /* runs on another node */
        if (!replace && !c->enabled)
            continue;
        runner *r = &p->run[p->n_run];
        int brc;
        if (replace || c->kind == SG_SENSOR_RF)
            brc = sensor_build_rf(p, i, replace, r, e);
        else if (c->kind == SG_SENSOR_REMOTEID_WIFI)
            brc = sensor_build_wifi(p, i, r, e);
        else if (c->kind == SG_SENSOR_CAMERA)
            brc = sensor_build_camera(p, i, r, e);
        else if (c->kind == SG_SENSOR_SAPIENT)
            brc = sensor_build_sapient(p, i, r, e);
        else
            brc = sg_err_set(e, SG_ENOTSUP, "%s: sensors of kind \"%s\" cannot run in this build",
                             c->where, sg_sensor_kind_names[c->kind]);
        if (brc)
            goto fail;
        r->primary = p->n_run == 0;
        p->n_run++;
    }
    if (p->o.replay_path && replaced < 0) {
        sg_err_set(e, SG_EINVAL, "%s: --replay needs an rf sensor in the venue file%s", site->path,
                   o->node_of ? " (on this node)" : "");
        goto fail;
    }
    if (p->n_run == 0) {
        sg_err_set(e, SG_EINVAL, "%s: no enabled sensor to run%s", site->path,
                   o->node_of ? " on this node" : "");
        goto fail;
    }
    return p;
fail:
    sensor_side_destroy(p);
    return NULL;
}

void sensor_side_destroy(sensor_side *p)
{
    if (!p)
        return;
    for (size_t k = 0; k < p->n_run; k++)
        if (p->run[k].abandoned)
            return; /* its thread may still run: everything stays (the process is ending) */
    for (size_t i = 0; p->run && i < p->site->n_sensors; i++) {
        runner *s = &p->run[i]; /* partly built sensors too (a failed create) */
        if (!s->p)
            continue;
        if (s->state)
            s->ops->close(s->state);
#if SG_WITH_PCAP
        rid_pcap_close(s->pcap);
#endif
        ble_scan_destroy(s->ble);
        odid_table_destroy(s->odid);
        odid_trust_destroy(s->trust);
        camera_destroy(s->cam);
#if SG_WITH_SAPIENT
        sapient_in_destroy(s->sap);
#endif
        if (s->rec)
            sigmf_writer_abort(s->rec);
        sensor_chain_destroy(s->chain); /* before what its thread uses */
        frontend_destroy(s->fe);
        sensor_df_destroy(s->df);
        emitters_destroy(s->em);
        droneid_rx_destroy(s->did);
        cJSON_Delete(s->opts);
        if (s->rec_mu_ok)
            pthread_mutex_destroy(&s->rec_mu);
    }
    free(p->run);
    siglib_destroy(p->sigs);
    pthread_mutex_destroy(&p->clk_mu);
    pthread_cond_destroy(&p->clk_cv);
    free(p);
}
