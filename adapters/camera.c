/* Camera adapter, the parts that need no GStreamer: configuration from the site
 * file, detection -> bearing measurement, the opt-in snippet writer, and the
 * "not built in" answers when the build has no GStreamer (camera_gst.c has the
 * pipeline itself). */
#include "camera.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sg_json.h"

void camera_cfg_default(camera_cfg *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->sensor = -1;
    cfg->queue_frames = 8;
    cfg->t0 = NAN;
    cfg->min_el = -M_PI / 2;
    snprintf(cfg->cls, sizeof cfg->cls, "camera_object");
    cfg->drone_min_conf = -1; /* the model's operating point, else 0.5 */
    cfg->class_smooth = -1; /* the modality's default, camera_class_smooth */
    camtrack_cfg tc;
    camtrack_cfg_default(&tc);
    cfg->class_inherit_frames = tc.inherit_frames;
    cfg->class_inherit_px = tc.inherit_px;
    cfg->snippet_px = 96;
    cfg->snippet_interval_s = 1.0;
    cfg->snippet_max = 500;
    camgeom_cfg_default(&cfg->geom);
    skydet_cfg_default(&cfg->det, 0, 0);
    /* a visible camera: compact objects in view at the first frame are found and
     * confirmed at frame 1 (adopted on the pooled out-of-fold figures, docs/camera-history.md
     * "cam-det2") */
    cfg->det.first_frame_detect = true;
    cfg->det.first_frame_max_px = 32;
    cfg->det.first_frame_report = true;
    cfg->det.first_frame_persist_k = 2;
}

void camera_thermal_detector_defaults(skydet_cfg *det)
{
    det->sky_mask = 3;
    det->first_frame_detect = true;
    det->first_frame_max_px = 32;
    /* not adopted for thermal by cam-det2's rule: confirmed at frame 3 as before */
    det->first_frame_report = false;
    det->first_frame_persist_k = 0;
}

int camera_cfg_from_json(camera_cfg *cfg, const cJSON *sensor, const char *where,
                         sg_errinfo *e)
{
    static const char *const keys[] = {
        "type", "pipeline", "file", "hfov_deg", "vfov_deg", "fx", "fy", "cx", "cy", "k1",
        "pixel_sd", "mount_sd_deg", "min_el_deg", "live", "queue_frames", "t0", "max_seconds", "class",
        "classifier", "classifier_thermal", "modality", "drone_min_conf", "class_smooth",
        "class_inherit_frames", "class_inherit_px",
        "store_snippets", "snippet_dir", "snippet_px", "snippet_interval_s", "snippet_max",
        "detector", NULL};
    char wa[256], wo[256], wd[256], type[32], file[CAMERA_PATH_MAX];
    const cJSON *ad = NULL, *ori = NULL, *det = NULL;
    if (!sensor || !cJSON_IsObject(sensor))
        return sg_err_set(e, SG_EINVAL, "%s: must be an object", where);
    snprintf(wa, sizeof wa, "%s.adapter", where);
    snprintf(wo, sizeof wo, "%s.orientation", where);
    snprintf(wd, sizeof wd, "%s.adapter.detector", where);
    int rc = sgj_string(sensor, where, "id", false, "camera", cfg->id, sizeof cfg->id, e);
    if (!rc)
        rc = sgj_object(sensor, where, "adapter", true, &ad, e);
    if (!rc)
        rc = sgj_object(sensor, where, "orientation", false, &ori, e);
    if (!rc)
        rc = sgj_check_keys(ad, wa, keys, e);
    if (!rc)
        rc = sgj_string(ad, wa, "type", true, "", type, sizeof type, e);
    if (!rc && strcmp(type, "gstreamer") != 0)
        rc = sg_err_set(e, SG_EINVAL, "%s.type: must be \"gstreamer\" for a camera, got \"%s\"",
                        wa, type);
    if (!rc)
        rc = sgj_string(ad, wa, "pipeline", false, "", cfg->pipeline, sizeof cfg->pipeline, e);
    if (!rc)
        rc = sgj_string(ad, wa, "file", false, "", file, sizeof file, e);
    if (!rc) {
        if (cfg->pipeline[0] && file[0])
            rc = sg_err_set(e, SG_EINVAL, "%s: give either \"pipeline\" or \"file\", not both", wa);
        else if (!cfg->pipeline[0] && !file[0])
            rc = sg_err_set(e, SG_EINVAL, "%s.pipeline: missing (or give \"file\")", wa);
        else if (file[0] && strchr(file, '"'))
            rc = sg_err_set(e, SG_EINVAL, "%s.file: must not contain '\"'", wa);
        else if (file[0])
            snprintf(cfg->pipeline, sizeof cfg->pipeline,
                     "filesrc location=\"%s\" ! decodebin", file);
    }
    long l;
    double t0 = NAN;
    if (!rc)
        rc = sgj_bool(ad, wa, "live", false, cfg->live, &cfg->live, e);
    if (!rc && !(rc = sgj_int(ad, wa, "queue_frames", false, cfg->queue_frames, 1, 256, &l, e)))
        cfg->queue_frames = (int)l;
    if (!rc && cJSON_GetObjectItemCaseSensitive(ad, "t0") &&
        !(rc = sgj_number(ad, wa, "t0", true, 0, 0, 1e11, &t0, e)))
        cfg->t0 = t0;
    double mel = cfg->min_el * 180.0 / M_PI;
    if (!rc && !(rc = sgj_number(ad, wa, "min_el_deg", false, mel, -90, 90, &mel, e)))
        cfg->min_el = mel * M_PI / 180.0;
    if (!rc)
        rc = sgj_number(ad, wa, "max_seconds", false, cfg->max_seconds, 0, 1e9, &cfg->max_seconds, e);
    if (!rc)
        rc = sgj_string(ad, wa, "class", false, cfg->cls, cfg->cls, sizeof cfg->cls, e);
    if (!rc)
        rc = sgj_string(ad, wa, "classifier", false, "", cfg->classifier, sizeof cfg->classifier, e);
    if (!rc)
        rc = sgj_string(ad, wa, "classifier_thermal", false, "", cfg->classifier_thermal,
                        sizeof cfg->classifier_thermal, e);
    static const char *const mods[] = {"visible", "thermal"};
    int mod;
    if (!rc && !(rc = sgj_enum(ad, wa, "modality", false, cfg->thermal, mods, 2, &mod, e)))
        cfg->thermal = mod == 1;
    if (!rc)
        rc = sgj_number(ad, wa, "drone_min_conf", false, cfg->drone_min_conf, 0, 1,
                        &cfg->drone_min_conf, e);
    if (!rc && !(rc = sgj_int(ad, wa, "class_smooth", false, cfg->class_smooth, 1,
                              CAMTRACK_SMOOTH_MAX, &l, e)))
        cfg->class_smooth = (int)l;
    if (!rc && !(rc = sgj_int(ad, wa, "class_inherit_frames", false, cfg->class_inherit_frames, 0,
                              CAMTRACK_INHERIT_FRAMES_MAX, &l, e)))
        cfg->class_inherit_frames = (int)l;
    if (!rc)
        rc = sgj_number(ad, wa, "class_inherit_px", false, cfg->class_inherit_px, 0,
                        CAMTRACK_INHERIT_PX_MAX, &cfg->class_inherit_px, e);
    if (!rc)
        rc = sgj_bool(ad, wa, "store_snippets", false, cfg->store_snippets, &cfg->store_snippets, e);
    if (!rc)
        rc = sgj_string(ad, wa, "snippet_dir", false, "", cfg->snippet_dir, sizeof cfg->snippet_dir, e);
    if (!rc && !(rc = sgj_int(ad, wa, "snippet_px", false, cfg->snippet_px, 16, 512, &l, e)))
        cfg->snippet_px = (int)l;
    if (!rc)
        rc = sgj_number(ad, wa, "snippet_interval_s", false, cfg->snippet_interval_s, 0, 1e6,
                        &cfg->snippet_interval_s, e);
    if (!rc && !(rc = sgj_int(ad, wa, "snippet_max", false, cfg->snippet_max, 0, 1000000, &l, e)))
        cfg->snippet_max = (int)l;
    if (!rc && cfg->store_snippets && !cfg->snippet_dir[0])
        rc = sg_err_set(e, SG_EINVAL, "%s.snippet_dir: required when store_snippets is true", wa);
    /* Intrinsics live in the adapter; the fusion registry reads hfov_deg/vfov_deg and
     * the orientation as flat sensor keys, so those are accepted there too (the
     * adapter's and an "orientation" object win). A field of view is never guessed. */
    bool ad_fov = cJSON_GetObjectItemCaseSensitive(ad, "hfov_deg") ||
                  cJSON_GetObjectItemCaseSensitive(ad, "fx");
    if (!rc && !ad_fov) {
        if (!cJSON_GetObjectItemCaseSensitive(sensor, "hfov_deg"))
            rc = sg_err_set(e, SG_EINVAL, "%s.hfov_deg: missing (or give fx, or the sensor's hfov_deg)", wa);
        else
            rc = camgeom_cfg_from_json(&cfg->geom, sensor, where, NULL, NULL, e);
    }
    if (!rc)
        rc = camgeom_cfg_from_json(&cfg->geom, ad, wa, ori ? ori : sensor, ori ? wo : where, e);
    /* Same key and default as the fusion registry (cameras: body bearings), so the
     * mounting rotation is applied exactly once: here (false) or there (true). */
    if (!rc)
        rc = sgj_bool(sensor, where, "body_bearings", false, true, &cfg->body_bearings, e);
    if (!rc)
        rc = sgj_object(ad, wa, "detector", false, &det, e);
    /* thermal cameras: the horizon mask defaults on and first-frame objects are not
     * reported from frame 0 (docs/camera-history.md: the mask cost recall on visible; cam-det2);
     * the detector section can still set them */
    if (!rc && cfg->thermal)
        camera_thermal_detector_defaults(&cfg->det);
    if (!rc)
        rc = skydet_cfg_from_json(&cfg->det, det, wd, e);
    return rc;
}

void camera_classify(const camera_cfg *cfg, const double *p, double d_conf, sg_measurement *m)
{
    if (!p) {
        snprintf(m->cls, sizeof m->cls, "%s", cfg->cls);
        m->cls_conf = d_conf;
        return;
    }
    int best = 0;
    for (int k = 1; k < CAMCLS_N; k++)
        if (p[k] > p[best])
            best = k;
    if (best == CAMCLS_DRONE && p[best] < camera_drone_min_conf(cfg, NULL))
        snprintf(m->cls, sizeof m->cls, "uncertain");
    else
        snprintf(m->cls, sizeof m->cls, "%s", camcls_name(best));
    m->cls_conf = p[best] < 0 ? 0 : p[best] > 1 ? 1 : p[best];
}

int camera_class_smooth(const camera_cfg *cfg)
{
    if (cfg->class_smooth > 0)
        return cfg->class_smooth;
    return cfg->thermal ? CAMERA_CLASS_SMOOTH_THERMAL : CAMERA_CLASS_SMOOTH_VISIBLE;
}

double camera_drone_min_conf(const camera_cfg *cfg, const camcls *model)
{
    if (cfg->drone_min_conf >= 0)
        return cfg->drone_min_conf;
    double m = camcls_drone_min_conf(model);
    return m >= 0 ? m : 0.5;
}

const char *camera_model_path(const camera_cfg *cfg)
{
    return cfg->thermal && cfg->classifier_thermal[0] ? cfg->classifier_thermal : cfg->classifier;
}

int camera_det_to_meas(const camera_cfg *cfg, const camgeom *g, const skydet_det *d, double t,
                       sg_measurement *m)
{
    /* an extended object's centroid wanders with its shape: at least a tenth of its size */
    double size = skydet_det_size(d);
    camgeom gg = *g;
    gg.pixel_sd = fmax(g->pixel_sd, 0.1 * size);
    double az, el, R[4];
    if (camgeom_pixel_to_bearing(&gg, d->x, d->y, &az, &el, R) || !isfinite(R[0]) ||
        !isfinite(R[3]))
        return SG_EINVAL;
    memset(m, 0, sizeof *m);
    m->t = t;
    m->sensor = cfg->sensor;
    m->type = SG_MEAS_BEARING;
    m->z[0] = az;
    m->z[1] = el;
    memcpy(m->R, R, sizeof R);
    memcpy(m->sensor_enu, cfg->sensor_enu, sizeof m->sensor_enu);
    snprintf(m->cls, sizeof m->cls, "%s", cfg->cls);
    m->cls_conf = d->confidence;
    m->operator_lat = m->operator_lon = m->operator_alt = NAN;
    return SG_OK;
}

int camera_write_snippet(const char *dir, const char *id, const camera_frame *f,
                         const skydet_det *d, int side, sg_errinfo *e)
{
    if (side > f->width)
        side = f->width;
    if (side > f->height)
        side = f->height;
    int x0 = (int)lround(d->x) - side / 2, y0 = (int)lround(d->y) - side / 2;
    if (x0 < 0)
        x0 = 0;
    if (y0 < 0)
        y0 = 0;
    if (x0 + side > f->width)
        x0 = f->width - side;
    if (y0 + side > f->height)
        y0 = f->height - side;
    char name[CAMERA_PATH_MAX + 128], tmp[CAMERA_PATH_MAX + 160];
    snprintf(name, sizeof name, "%s/%s_%.0f_%u.pgm", dir, id, f->t * 1000.0, d->track_id);
    snprintf(tmp, sizeof tmp, "%s/.%s_%.0f_%u.pgm.tmp", dir, id, f->t * 1000.0, d->track_id);
    FILE *fp = fopen(tmp, "wb");
    if (!fp)
        return sg_err_set(e, SG_EIO, "%s: cannot create: %s", tmp, strerror(errno));
    fprintf(fp, "P5\n# skyguard camera %s t=%.3f frame=%llu x=%.1f y=%.1f contrast=%.1f\n%d %d\n255\n",
            id, f->t, (unsigned long long)f->index, d->x, d->y, d->contrast, side, side);
    /* the box is drawn in the value that contrasts with the target's surround */
    uint8_t ink = d->polarity < 0 ? 255 : 0;
    int ok = 1;
    for (int y = y0; y < y0 + side && ok; y++) {
        uint8_t row[512];
        memcpy(row, f->pixels + (size_t)y * (size_t)f->width + (size_t)x0, (size_t)side);
        int bx0 = d->x0 - 2 - x0, bx1 = d->x1 + 2 - x0, by0 = d->y0 - 2, by1 = d->y1 + 2;
        for (int x = 0; x < side; x++) {
            bool on_v = (x == bx0 || x == bx1) && y >= by0 && y <= by1;
            bool on_h = (y == by0 || y == by1) && x >= bx0 && x <= bx1;
            if (on_v || on_h)
                row[x] = ink;
        }
        ok = fwrite(row, 1, (size_t)side, fp) == (size_t)side;
    }
    if (fclose(fp) != 0)
        ok = 0;
    if (!ok || rename(tmp, name) != 0) {
        int err = errno;
        unlink(tmp);
        return sg_err_set(e, SG_EIO, "%s: cannot write: %s", name, strerror(err));
    }
    return SG_OK;
}

#if !SG_WITH_GSTREAMER
/* A build without GStreamer keeps the configuration parser and says how to get input. */
camera *camera_create(const camera_cfg *cfg, sg_errinfo *e)
{
    (void)cfg;
    sg_err_set(e, SG_ENOTSUP,
               "camera input is not built in: install libgstreamer1.0-dev "
               "libgstreamer-plugins-base1.0-dev and rebuild with -DSG_WITH_GSTREAMER=ON");
    return NULL;
}
int camera_run(camera *cam, camera_frame_cb cb, void *user, sg_errinfo *e)
{
    (void)cam;
    (void)cb;
    (void)user;
    return sg_err_set(e, SG_ENOTSUP, "camera input is not built in");
}
void camera_stop(camera *cam) { (void)cam; }
void camera_get_stats(camera *cam, camera_stats *out)
{
    (void)cam;
    memset(out, 0, sizeof *out);
}
void camera_destroy(camera *cam) { (void)cam; }
#endif
