/* Camera adapter, GStreamer side: builds the user's pipeline + GRAY8 appsink, moves
 * frames from the streaming thread to camera_run's thread through a bounded
 * pre-allocated queue, runs skydet + camgeom and hands bearings to the callback.
 *
 * Why a queue of copies and not of GstSamples: holding decoder buffers would starve
 * small upstream buffer pools and stall the decoder; a copy of a GRAY8 frame is cheap
 * (0.3 MB at 640x512) and lets a live source drop exactly one counted frame when the
 * detector falls behind. Rows arrive padded to 4 bytes (videoconvert's default GRAY8
 * layout; the appsink does not ask for video meta): the copy removes the padding. */
#include "camera.h"
#include "sg_clock.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gst/app/gstappsink.h>
#include <gst/gst.h>

#define SINK_NAME "sgsink"

struct camera {
    camera_cfg c;
    GstElement *pipe;
    GstElement *sink;
    GstBus *bus;
    atomic_bool stop;
    pthread_mutex_t mu;
    pthread_cond_t nonempty, nonfull;
    /* queue: slots allocated on the first frame (size known then), reused after */
    uint8_t **slot;
    double *slot_t;
    uint64_t *slot_idx;
    bool *slot_gap;
    int cap, head, count;
    int w, h;
    bool eos, fatal, pending_gap, ran;
    char fatal_msg[400];
    uint64_t next_idx;
    double fps;
    double t0;
    camera_stats st;
    /* detector side (camera_run's thread only) */
    skydet *det;
    camgeom geom;                     /* ENU: full mounting (elevation mask, ENU output) */
    camgeom geom_out;                 /* what measurements use: geom, or boresight-relative */
    sg_measurement *meas;
    skydet_det *kept;                 /* detections that passed the elevation mask */
    camfeat *feat;                    /* tracklet histories -> feature vectors */
    camcls *model;                    /* classifier, NULL = none */
    camtrack *trk;                    /* track-level class decision (with a model) */
    int crop_scales;                  /* crop windows computed (camfeat_crops_n) */
    float *feats;                     /* max_tracklets x CAMFEAT_N */
    float *crops;                     /* max_tracklets x CAMCROP_N */
    double *probs;                    /* max_tracklets x CAMCLS_N */
    double last_snippet_t;
};

static pthread_once_t gst_once = PTHREAD_ONCE_INIT;
static bool gst_ok;
static char gst_init_msg[256];

static void gst_init_once(void)
{
    GError *err = NULL;
    gst_ok = gst_init_check(NULL, NULL, &err);
    if (!gst_ok)
        snprintf(gst_init_msg, sizeof gst_init_msg, "%s", err ? err->message : "unknown");
    if (err)
        g_error_free(err);
}

/* Debian package providing an element, for the "missing element" message. */
static const char *package_of(const char *el)
{
    static const char *const map[][2] = {
        {"h264parse", "gstreamer1.0-plugins-bad"}, {"h265parse", "gstreamer1.0-plugins-bad"},
        {"avdec_", "gstreamer1.0-libav"},          {"qtdemux", "gstreamer1.0-plugins-good"},
        {"matroskademux", "gstreamer1.0-plugins-good"}, {"rtspsrc", "gstreamer1.0-plugins-good"},
        {"rtph264depay", "gstreamer1.0-plugins-good"}, {"v4l2src", "gstreamer1.0-plugins-good"},
        {"videotestsrc", "gstreamer1.0-plugins-base"}, {"videoconvert", "gstreamer1.0-plugins-base"},
        {"decodebin", "gstreamer1.0-plugins-base"}, {"appsink", "gstreamer1.0-plugins-base"},
        {"x264enc", "gstreamer1.0-plugins-ugly"},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strncmp(el, map[i][0], strlen(map[i][0])) == 0)
            return map[i][1];
    return NULL;
}

static void set_fatal(camera *c, const char *fmt, const char *a, const char *b)
{
    pthread_mutex_lock(&c->mu);
    if (!c->fatal) {
        c->fatal = true;
        snprintf(c->fatal_msg, sizeof c->fatal_msg, fmt, a, b);
    }
    pthread_cond_broadcast(&c->nonempty);
    pthread_cond_broadcast(&c->nonfull);
    pthread_mutex_unlock(&c->mu);
}

/* ---- streaming thread -------------------------------------------------------------- */

static int alloc_slots(camera *c, int w, int h)
{
    c->slot = calloc((size_t)c->cap, sizeof *c->slot);
    c->slot_t = calloc((size_t)c->cap, sizeof *c->slot_t);
    c->slot_idx = calloc((size_t)c->cap, sizeof *c->slot_idx);
    c->slot_gap = calloc((size_t)c->cap, sizeof *c->slot_gap);
    if (!c->slot || !c->slot_t || !c->slot_idx || !c->slot_gap)
        return -1;
    for (int i = 0; i < c->cap; i++)
        if (!(c->slot[i] = malloc((size_t)w * (size_t)h)))
            return -1;
    pthread_mutex_lock(&c->mu);
    c->w = w;
    c->h = h;
    pthread_mutex_unlock(&c->mu);
    return 0;
}

static GstFlowReturn on_new_sample(GstAppSink *sink, gpointer ud)
{
    camera *c = ud;
    GstSample *smp = gst_app_sink_pull_sample(sink);
    if (!smp)
        return GST_FLOW_FLUSHING;
    GstBuffer *buf = gst_sample_get_buffer(smp);
    GstCaps *caps = gst_sample_get_caps(smp);
    const GstSegment *seg = gst_sample_get_segment(smp);
    int w = 0, h = 0, fn = 0, fd = 1;
    const GstStructure *s = caps ? gst_caps_get_structure(caps, 0) : NULL;
    const char *fmt = s ? gst_structure_get_string(s, "format") : NULL;
    if (!s || !gst_structure_get_int(s, "width", &w) || !gst_structure_get_int(s, "height", &h) ||
        !fmt || strcmp(fmt, "GRAY8") != 0 || !buf || w < 16 || h < 16 || w > 8192 || h > 8192) {
        pthread_mutex_lock(&c->mu);
        c->st.frames_bad++;
        pthread_mutex_unlock(&c->mu);
        gst_sample_unref(smp);
        return GST_FLOW_OK;
    }
    if (gst_structure_get_fraction(s, "framerate", &fn, &fd) && fn > 0 && fd > 0) {
        pthread_mutex_lock(&c->mu);
        c->fps = (double)fn / fd;
        pthread_mutex_unlock(&c->mu);
    }
    if (!c->slot) {
        if (alloc_slots(c, w, h)) {
            gst_sample_unref(smp);
            set_fatal(c, "%s: out of memory for the frame queue%s", c->c.id, "");
            return GST_FLOW_ERROR;
        }
    } else if (w != c->w || h != c->h) {
        char dims[64];
        snprintf(dims, sizeof dims, "%dx%d to %dx%d", c->w, c->h, w, h);
        gst_sample_unref(smp);
        set_fatal(c, "%s: frame size changed from %s mid-stream", c->c.id, dims);
        return GST_FLOW_ERROR;
    }
    /* time: running time of the PTS, else frame count / nominal rate */
    uint64_t idx = c->next_idx++;
    double rt = NAN;
    GstClockTime pts = GST_BUFFER_PTS(buf);
    if (GST_CLOCK_TIME_IS_VALID(pts) && seg) {
        guint64 r = gst_segment_to_running_time(seg, GST_FORMAT_TIME, pts);
        if (GST_CLOCK_TIME_IS_VALID(r))
            rt = (double)r / GST_SECOND;
    }
    if (isnan(rt))
        rt = idx / (c->fps > 0 ? c->fps : 30.0);

    GstMapInfo map;
    if (!gst_buffer_map(buf, &map, GST_MAP_READ)) {
        pthread_mutex_lock(&c->mu);
        c->st.frames_bad++;
        pthread_mutex_unlock(&c->mu);
        gst_sample_unref(smp);
        return GST_FLOW_OK;
    }
    size_t stride = (size_t)((w + 3) & ~3);
    if (map.size < stride * (size_t)h)
        stride = (size_t)w; /* tightly packed */
    if (map.size < stride * (size_t)(h - 1) + (size_t)w) {
        gst_buffer_unmap(buf, &map);
        gst_sample_unref(smp);
        pthread_mutex_lock(&c->mu);
        c->st.frames_bad++;
        pthread_mutex_unlock(&c->mu);
        return GST_FLOW_OK;
    }

    pthread_mutex_lock(&c->mu);
    c->st.frames_in++;
    while (c->count == c->cap && !c->c.live && !atomic_load(&c->stop) && !c->fatal) {
        struct timespec ts;
        sg_deadline(&ts, CLOCK_REALTIME, 0.1);
        pthread_cond_timedwait(&c->nonfull, &c->mu, &ts);
    }
    bool drop = c->count == c->cap || atomic_load(&c->stop) || c->fatal;
    if (drop) {
        if (c->count == c->cap) {
            c->st.frames_dropped++;
            c->pending_gap = true;
        }
        pthread_mutex_unlock(&c->mu);
        gst_buffer_unmap(buf, &map);
        gst_sample_unref(smp);
        return atomic_load(&c->stop) ? GST_FLOW_FLUSHING : GST_FLOW_OK;
    }
    int tail = (c->head + c->count) % c->cap;
    pthread_mutex_unlock(&c->mu);
    /* the tail slot belongs to this (single) producer until count is raised */
    for (int y = 0; y < h; y++)
        memcpy(c->slot[tail] + (size_t)y * (size_t)w, map.data + (size_t)y * stride, (size_t)w);
    gst_buffer_unmap(buf, &map);
    gst_sample_unref(smp);
    pthread_mutex_lock(&c->mu);
    c->slot_t[tail] = c->t0 + rt;
    c->slot_idx[tail] = idx;
    c->slot_gap[tail] = c->pending_gap;
    c->pending_gap = false;
    c->count++;
    c->st.queue_depth = (uint32_t)c->count;
    pthread_cond_signal(&c->nonempty);
    pthread_mutex_unlock(&c->mu);
    return GST_FLOW_OK;
}

static void on_eos(GstAppSink *sink, gpointer ud)
{
    (void)sink;
    camera *c = ud;
    pthread_mutex_lock(&c->mu);
    c->eos = true;
    pthread_cond_broadcast(&c->nonempty);
    pthread_mutex_unlock(&c->mu);
}

/* ---- create / destroy -------------------------------------------------------------- */

camera *camera_create(const camera_cfg *cfg, sg_errinfo *e)
{
    if (!cfg || !cfg->pipeline[0]) {
        sg_err_set(e, SG_EINVAL, "camera: no pipeline");
        return NULL;
    }
    if (cfg->queue_frames < 1 || cfg->queue_frames > 256) {
        sg_err_set(e, SG_ERANGE, "%s: queue_frames must be in [1, 256], got %d", cfg->id,
                   cfg->queue_frames);
        return NULL;
    }
    if (cfg->store_snippets && !cfg->snippet_dir[0]) {
        sg_err_set(e, SG_EINVAL, "%s: store_snippets needs snippet_dir", cfg->id);
        return NULL;
    }
    /* catch detector/geometry mistakes now rather than at the first frame */
    skydet_cfg dc = cfg->det;
    dc.width = dc.height = 640;
    if (skydet_cfg_check(&dc, e)) {
        sg_err_prefix(e, cfg->id);
        return NULL;
    }
    if (cfg->class_smooth != -1 &&
        camtrack_cfg_check(&(camtrack_cfg){cfg->class_smooth, 1, 0}, e)) {
        sg_err_prefix(e, cfg->id);
        return NULL;
    }
    if (camtrack_cfg_check(&(camtrack_cfg){1, cfg->class_inherit_frames, cfg->class_inherit_px},
                           e)) {
        sg_err_prefix(e, cfg->id);
        return NULL;
    }
    camgeom gtest;
    if (camgeom_init(&gtest, &cfg->geom, 640, 480, e)) {
        sg_err_prefix(e, cfg->id);
        return NULL;
    }
    pthread_once(&gst_once, gst_init_once);
    if (!gst_ok) {
        sg_err_set(e, SG_ENODEV, "%s: GStreamer failed to initialise: %s", cfg->id, gst_init_msg);
        return NULL;
    }
    camera *c = calloc(1, sizeof *c);
    if (!c) {
        sg_err_set(e, SG_ENOMEM, "%s: out of memory", cfg->id);
        return NULL;
    }
    c->c = *cfg;
    c->cap = cfg->queue_frames;
    c->st.queue_capacity = (uint32_t)c->cap;
    c->st.t_last = NAN;
    c->last_snippet_t = -INFINITY;
    atomic_init(&c->stop, false);
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->nonempty, NULL);
    pthread_cond_init(&c->nonfull, NULL);
    c->meas = calloc((size_t)cfg->det.max_tracklets, sizeof *c->meas);
    c->kept = calloc((size_t)cfg->det.max_tracklets, sizeof *c->kept);
    c->feats = calloc((size_t)cfg->det.max_tracklets * CAMFEAT_N, sizeof *c->feats);
    c->crops = calloc((size_t)cfg->det.max_tracklets * CAMCROP_N, sizeof *c->crops);
    c->probs = calloc((size_t)cfg->det.max_tracklets * CAMCLS_N, sizeof *c->probs);
    if (!c->meas || !c->kept || !c->feats || !c->crops || !c->probs) {
        camera_destroy(c);
        sg_err_set(e, SG_ENOMEM, "%s: out of memory", cfg->id);
        return NULL;
    }
    const char *model = camera_model_path(cfg);
    if (model[0] && !(c->model = camcls_load(model, e))) {
        sg_err_prefix(e, cfg->id);
        camera_destroy(c);
        return NULL;
    }
    c->c.drone_min_conf = camera_drone_min_conf(cfg, c->model);
    c->crop_scales = cfg->all_crops ? CAMCROP_SCALES : camcls_crop_channels(c->model);

    char *desc;
    if (strstr(cfg->pipeline, "name=" SINK_NAME))
        desc = g_strdup(cfg->pipeline);
    else
        desc = g_strdup_printf("%s ! videoconvert ! video/x-raw,format=GRAY8 ! appsink name=" SINK_NAME,
                               cfg->pipeline);
    GstParseContext *ctx = gst_parse_context_new();
    GError *err = NULL;
    c->pipe = gst_parse_launch_full(desc, ctx, GST_PARSE_FLAG_FATAL_ERRORS, &err);
    g_free(desc);
    if (!c->pipe || err) {
        gchar **missing = ctx ? gst_parse_context_get_missing_elements(ctx) : NULL;
        if (missing && missing[0]) {
            char list[300] = "";
            size_t used = 0;
            for (int i = 0; missing[i] && used < sizeof list; i++) {
                const char *pkg = package_of(missing[i]);
                used += (size_t)snprintf(list + used, sizeof list - used, "%s%s%s%s%s",
                                         i ? ", " : "", missing[i], pkg ? " (Debian package " : "",
                                         pkg ? pkg : "", pkg ? ")" : "");
            }
            sg_err_set(e, SG_ENOTSUP, "%s: pipeline: missing GStreamer element(s): %s", cfg->id,
                       list);
        } else {
            sg_err_set(e, SG_EINVAL, "%s: pipeline: %s", cfg->id,
                       err ? err->message : "cannot be parsed");
        }
        g_strfreev(missing);
        if (err)
            g_error_free(err);
        if (ctx)
            gst_parse_context_free(ctx);
        camera_destroy(c);
        return NULL;
    }
    if (ctx)
        gst_parse_context_free(ctx);
    if (!GST_IS_BIN(c->pipe) ||
        !(c->sink = gst_bin_get_by_name(GST_BIN(c->pipe), SINK_NAME)) ||
        !GST_IS_APP_SINK(c->sink)) {
        sg_err_set(e, SG_EINVAL, "%s: pipeline: no appsink named \"" SINK_NAME "\"", cfg->id);
        camera_destroy(c);
        return NULL;
    }
    /* files: as fast as the detector goes (back-pressure); live: never hold frames */
    g_object_set(c->sink, "sync", FALSE, "max-buffers", (guint)cfg->queue_frames, "drop",
                 (gboolean)cfg->live, "enable-last-sample", FALSE, "emit-signals", FALSE, NULL);
    GstAppSinkCallbacks cbs = {0};
    cbs.eos = on_eos;
    cbs.new_sample = on_new_sample;
    gst_app_sink_set_callbacks(GST_APP_SINK(c->sink), &cbs, c, NULL);
    c->bus = gst_element_get_bus(c->pipe);
    return c;
}

void camera_destroy(camera *c)
{
    if (!c)
        return;
    if (c->pipe) {
        atomic_store(&c->stop, true);
        pthread_mutex_lock(&c->mu);
        pthread_cond_broadcast(&c->nonfull);
        pthread_mutex_unlock(&c->mu);
        gst_element_set_state(c->pipe, GST_STATE_NULL);
    }
    if (c->bus)
        gst_object_unref(c->bus);
    if (c->sink)
        gst_object_unref(c->sink);
    if (c->pipe)
        gst_object_unref(c->pipe);
    if (c->slot)
        for (int i = 0; i < c->cap; i++)
            free(c->slot[i]);
    free(c->slot);
    free(c->slot_t);
    free(c->slot_idx);
    free(c->slot_gap);
    free(c->meas);
    free(c->kept);
    skydet_destroy(c->det);
    camfeat_destroy(c->feat);
    camcls_destroy(c->model);
    camtrack_destroy(c->trk);
    free(c->feats);
    free(c->crops);
    free(c->probs);
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->nonempty);
    pthread_cond_destroy(&c->nonfull);
    free(c);
}

void camera_stop(camera *c)
{
    if (c)
        atomic_store(&c->stop, true); /* run's waits time out every 100 ms */
}

void camera_get_stats(camera *c, camera_stats *out)
{
    pthread_mutex_lock(&c->mu);
    *out = c->st;
    out->width = c->w;
    out->height = c->h;
    out->fps_nominal = c->fps;
    pthread_mutex_unlock(&c->mu);
}

/* ---- detector thread ---------------------------------------------------------------- */

/* Takes bus errors (and EOS) off the bus; returns true on an error. */
static bool poll_bus(camera *c, sg_errinfo *e)
{
    GstMessage *m;
    while ((m = gst_bus_pop_filtered(c->bus, GST_MESSAGE_ERROR | GST_MESSAGE_EOS))) {
        if (GST_MESSAGE_TYPE(m) == GST_MESSAGE_ERROR) {
            GError *err = NULL;
            gchar *dbg = NULL;
            gst_message_parse_error(m, &err, &dbg);
            sg_err_set(e, SG_EIO, "%s: pipeline error from %s: %s%s%.200s", c->c.id,
                       GST_OBJECT_NAME(GST_MESSAGE_SRC(m)), err ? err->message : "?",
                       dbg ? " | " : "", dbg ? dbg : "");
            if (err)
                g_error_free(err);
            g_free(dbg);
            gst_message_unref(m);
            return true;
        }
        pthread_mutex_lock(&c->mu);
        c->eos = true;
        pthread_mutex_unlock(&c->mu);
        gst_message_unref(m);
    }
    return false;
}

static int process_frame(camera *c, int slot, camera_frame_cb cb, void *user, sg_errinfo *e)
{
    if (!c->det) {
        skydet_cfg dc = c->c.det;
        dc.width = c->w;
        dc.height = c->h;
        camgeom_cfg body = c->c.geom;
        body.yaw = body.pitch = body.roll = 0;
        if (!(c->det = skydet_create(&dc, e)) ||
            !(c->feat = camfeat_create(c->w, c->h, c->c.thermal, 2 * dc.max_tracklets, e)) ||
            (c->model && !(c->trk = camtrack_create(&(camtrack_cfg){camera_class_smooth(&c->c),
                                                                    c->c.class_inherit_frames,
                                                                    c->c.class_inherit_px},
                                                    2 * dc.max_tracklets, e))) ||
            camgeom_init(&c->geom, &c->c.geom, c->w, c->h, e) ||
            camgeom_init(&c->geom_out, c->c.body_bearings ? &body : &c->c.geom, c->w, c->h, e))
            return sg_err_prefix(e, c->c.id);
    }
    camera_frame f = {0};
    f.index = c->slot_idx[slot];
    f.t = c->slot_t[slot];
    f.width = c->w;
    f.height = c->h;
    f.pixels = c->slot[slot];
    f.gap = c->slot_gap[slot];
    const skydet_det *all;
    size_t n_all;
    skydet_process(c->det, f.pixels, (size_t)c->w, &all, &n_all);
    skydet_candidates(c->det, &f.cands, &f.n_cands);
    camfeat_update(c->feat, f.cands, f.n_cands);
    {
        const float *tex;
        int nbx, nby, blk;
        float med;
        skydet_texture_map(c->det, &tex, &nbx, &nby, &blk, &med);
        camfeat_set_sky(c->feat, tex, nbx, nby, blk, med);
    }
    /* dets and meas stay index-aligned: a detection without a bearing or below the
     * elevation mask is removed from both and counted */
    size_t nm = 0;
    uint64_t rejected = 0, masked = 0, drones = 0;
    for (size_t i = 0; i < n_all; i++) {
        double az, el = INFINITY;
        if (c->c.min_el > -M_PI / 2 &&
            camgeom_pixel_to_bearing(&c->geom, all[i].x, all[i].y, &az, &el, NULL) != SG_OK)
            el = INFINITY; /* no bearing: rejected just below */
        if (camera_det_to_meas(&c->c, &c->geom_out, &all[i], f.t, &c->meas[nm]) != SG_OK)
            rejected++;
        else if (el < c->c.min_el)
            masked++;
        else {
            float *x = c->feats + nm * CAMFEAT_N;
            double *p = c->probs + nm * CAMCLS_N;
            float *cr = c->crops + nm * CAMCROP_N;
            camfeat_compute(c->feat, f.pixels, (size_t)c->w, &all[i], x);
            camfeat_crops_n(c->feat, f.pixels, (size_t)c->w, &all[i], c->crop_scales, cr);
            if (c->model)
                camcls_predict_crop(c->model, x, cr, p);
            c->kept[nm++] = all[i];
        }
    }
    /* the track's class: from the evidence of its (and its fragments') detections */
    if (c->trk)
        camtrack_update(c->trk, f.index, c->kept, nm, c->probs);
    for (size_t i = 0; i < nm; i++) {
        camera_classify(&c->c, c->model ? c->probs + i * CAMCLS_N : NULL, c->kept[i].confidence,
                        &c->meas[i]);
        if (!strcmp(c->meas[i].cls, "drone"))
            drones++;
    }
    f.dets = c->kept;
    f.feats = c->feats;
    f.crops = c->crops;
    f.probs = c->model ? c->probs : NULL;
    f.n_dets = nm;
    f.meas = c->meas;
    f.n_meas = nm;
    uint64_t sn_ok = 0, sn_fail = 0;
    if (c->c.store_snippets && f.n_dets > 0 &&
        f.t - c->last_snippet_t >= c->c.snippet_interval_s) {
        for (size_t i = 0; i < f.n_dets; i++) {
            if ((int)(c->st.snippets_written + sn_ok) >= c->c.snippet_max)
                break;
            if (camera_write_snippet(c->c.snippet_dir, c->c.id, &f, &f.dets[i], c->c.snippet_px,
                                     NULL) == SG_OK)
                sn_ok++;
            else
                sn_fail++; /* counted; a full disk must not stop detection */
        }
        c->last_snippet_t = f.t;
    }
    pthread_mutex_lock(&c->mu);
    c->st.frames_processed++;
    c->st.detections += f.n_dets;
    c->st.measurements += nm;
    c->st.measurements_rejected += rejected;
    c->st.detections_masked += masked;
    c->st.drone_reports += drones;
    c->st.other_reports += nm - drones;
    skydet_stats ds;
    skydet_get_stats(c->det, &ds);
    c->st.blobs_dropped = ds.blobs_dropped;
    c->st.tracklets_dropped = ds.tracklets_dropped;
    c->st.runs_dropped = ds.runs_dropped;
    c->st.blobs_below_horizon = ds.blobs_below_horizon;
    c->st.frames_motion = ds.frames_shifted;
    c->st.frames_warped = ds.frames_warped;
    c->st.motion_resets = ds.motion_resets;
    camfeat_stats fs;
    camfeat_get_stats(c->feat, &fs);
    c->st.features_evicted = fs.evicted;
    if (c->trk) {
        camtrack_stats ts;
        camtrack_get_stats(c->trk, &ts);
        c->st.class_tracks_inherited = ts.inherited;
        c->st.class_tracks_evicted = ts.evicted;
    }
    c->st.snippets_written += sn_ok;
    c->st.snippets_failed += sn_fail;
    c->st.t_last = f.t;
    pthread_mutex_unlock(&c->mu);
    int rc = cb ? cb(user, &f) : 0;
    return rc;
}

int camera_run(camera *c, camera_frame_cb cb, void *user, sg_errinfo *e)
{
    if (!c)
        return sg_err_set(e, SG_EINVAL, "camera_run: no camera");
    if (c->ran)
        return sg_err_set(e, SG_ESTATE, "%s: camera_run may be called once", c->c.id);
    c->ran = true;
    if (!isnan(c->c.t0)) {
        c->t0 = c->c.t0;
    } else if (c->c.live) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts); /* once: running time 0 ~ now */
        c->t0 = ts.tv_sec + ts.tv_nsec * 1e-9;
    } else {
        c->t0 = 0;
    }
    int rc = SG_OK;
    if (gst_element_set_state(c->pipe, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
        if (!poll_bus(c, e))
            sg_err_set(e, SG_EIO, "%s: pipeline refused to start", c->c.id);
        rc = SG_EIO;
        goto out;
    }
    for (;;) {
        if (atomic_load(&c->stop))
            break;
        if (poll_bus(c, e)) {
            rc = SG_EIO;
            break;
        }
        pthread_mutex_lock(&c->mu);
        if (c->count == 0 && !c->eos && !c->fatal) {
            struct timespec ts;
            sg_deadline(&ts, CLOCK_REALTIME, 0.1);
            pthread_cond_timedwait(&c->nonempty, &c->mu, &ts);
        }
        if (c->fatal) {
            pthread_mutex_unlock(&c->mu);
            rc = sg_err_set(e, SG_EIO, "%s", c->fatal_msg);
            break;
        }
        if (c->count == 0) {
            bool eos = c->eos;
            pthread_mutex_unlock(&c->mu);
            if (eos)
                break; /* drained */
            continue;
        }
        int slot = c->head;
        pthread_mutex_unlock(&c->mu);
        if (c->c.max_seconds > 0 && c->slot_t[slot] - c->t0 >= c->c.max_seconds)
            break;
        rc = process_frame(c, slot, cb, user, e);
        pthread_mutex_lock(&c->mu);
        c->head = (c->head + 1) % c->cap;
        c->count--;
        c->st.queue_depth = (uint32_t)c->count;
        pthread_cond_signal(&c->nonfull);
        pthread_mutex_unlock(&c->mu);
        if (rc)
            break;
    }
out:
    atomic_store(&c->stop, true);
    pthread_mutex_lock(&c->mu);
    pthread_cond_broadcast(&c->nonfull);
    pthread_mutex_unlock(&c->mu);
    gst_element_set_state(c->pipe, GST_STATE_NULL);
    return rc;
}
