/* Sky detector configuration: defaults, the "detector" JSON section and the range
 * checks (the detector itself is skydet.c). */
#include <math.h>
#include <string.h>

#include "sg_json.h"
#include "skydet.h"

void skydet_cfg_default(skydet_cfg *cfg, int width, int height)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->width = width;
    cfg->height = height;
    cfg->radius = 7;
    cfg->polarity = SKYDET_BOTH;
    cfg->k_sigma = 6.0;
    cfg->min_contrast = 8.0;
    cfg->block = 16;
    cfg->noise_tau_frames = 30.0;
    cfg->clutter_tau_frames = 300.0;
    cfg->min_area = 2;
    cfg->max_size = 160;
    cfg->merge_px = 8;
    cfg->merge_frac = 0;
    cfg->persist_k = 3;
    cfg->persist_n = 5;
    cfg->gate_px = 12.0;
    cfg->max_blobs = 256;
    cfg->max_tracklets = 64;
    cfg->max_runs = 65536;
    cfg->border = -1;
    cfg->sky_texture = 0;
    cfg->max_shift_px = 0;
    cfg->sky_mask = 0;
    cfg->sky_mask_margin_px = 0;
    cfg->max_zoom_pct = 0;
    cfg->motion_min_conf = 0.5;
}

int skydet_cfg_from_json(skydet_cfg *cfg, const cJSON *obj, const char *where, sg_errinfo *e)
{
    static const char *const keys[] = {"radius", "polarity", "k_sigma", "min_contrast", "block",
                                       "noise_tau_frames", "clutter_tau_frames", "min_area",
                                       "max_size", "merge_px", "merge_frac", "persist_k", "persist_n",
                                       "gate_px", "max_blobs", "max_tracklets", "border", "sky_texture",
                                       "max_shift_px", "sky_mask", "sky_mask_margin_px",
                                       "first_frame_detect", "first_frame_max_px", "max_zoom_pct",
                                       "motion_min_conf", "first_frame_report",
                                       "first_frame_persist_k",
                                       NULL};
    static const char *const pols[] = {"both", "dark", "bright"};
    if (!obj)
        return SG_OK;
    if (!cJSON_IsObject(obj))
        return sg_err_set(e, SG_EINVAL, "%s: must be an object", where);
    int rc = sgj_check_keys(obj, where, keys, e);
    long l;
    int p;
#define GETI(key, field, lo, hi)                                                        \
    if (!rc && !(rc = sgj_int(obj, where, key, false, cfg->field, lo, hi, &l, e)))      \
        cfg->field = (int)l;
#define GETD(key, field, lo, hi)                                                        \
    if (!rc)                                                                            \
        rc = sgj_number(obj, where, key, false, cfg->field, lo, hi, &cfg->field, e);
    GETI("radius", radius, 1, 31)
    GETD("k_sigma", k_sigma, 2, 50)
    GETD("min_contrast", min_contrast, 1, 255)
    GETI("block", block, 4, 128)
    GETD("noise_tau_frames", noise_tau_frames, 1, 1e6)
    GETD("clutter_tau_frames", clutter_tau_frames, 0, 1e7)
    GETI("min_area", min_area, 1, 1 << 20)
    GETI("max_size", max_size, 1, 8192)
    GETI("merge_px", merge_px, 0, 64)
    GETD("merge_frac", merge_frac, 0, 4)
    GETI("persist_k", persist_k, 1, 32)
    GETI("persist_n", persist_n, 1, 32)
    GETD("gate_px", gate_px, 0.1, 1000)
    GETI("max_blobs", max_blobs, 1, 4096)
    GETI("max_tracklets", max_tracklets, 1, 1024)
    GETI("border", border, -1, 64)
    GETD("sky_texture", sky_texture, 0, 255)
    GETI("max_shift_px", max_shift_px, 0, 128)
    GETD("sky_mask", sky_mask, 0, 255)
    GETI("sky_mask_margin_px", sky_mask_margin_px, -64, 128)
    GETI("first_frame_max_px", first_frame_max_px, 0, 8192)
    GETI("first_frame_persist_k", first_frame_persist_k, 0, 32)
    GETD("max_zoom_pct", max_zoom_pct, 0, 10)
    GETD("motion_min_conf", motion_min_conf, 0.1, 1)
#undef GETI
#undef GETD
    if (!rc)
        rc = sgj_bool(obj, where, "first_frame_detect", false, cfg->first_frame_detect,
                      &cfg->first_frame_detect, e);
    if (!rc)
        rc = sgj_bool(obj, where, "first_frame_report", false, cfg->first_frame_report,
                      &cfg->first_frame_report, e);
    if (!rc && !(rc = sgj_enum(obj, where, "polarity", false, (int)cfg->polarity, pols, 3, &p, e)))
        cfg->polarity = (skydet_polarity)p;
    if (!rc && cfg->max_zoom_pct != 0 && cfg->max_zoom_pct < 0.1)
        rc = sg_err_set(e, SG_ERANGE, "%s.max_zoom_pct: must be 0 (off) or in [0.1, 10], got %g",
                        where, cfg->max_zoom_pct);
    if (!rc && cfg->max_zoom_pct > 0 && cfg->max_shift_px == 0)
        rc = sg_err_set(e, SG_EINVAL, "%s.max_zoom_pct: needs max_shift_px (the largest motion "
                        "per frame, e.g. 16)", where);
    if (!rc && cfg->persist_k > cfg->persist_n)
        rc = sg_err_set(e, SG_ERANGE, "%s.persist_k: must be <= persist_n (%d), got %d", where,
                        cfg->persist_n, cfg->persist_k);
    if (!rc && cfg->first_frame_persist_k > cfg->persist_k)
        rc = sg_err_set(e, SG_ERANGE, "%s.first_frame_persist_k: must be 0 (off) or <= persist_k "
                        "(%d), got %d", where, cfg->persist_k, cfg->first_frame_persist_k);
    return rc;
}

int skydet_cfg_check(const skydet_cfg *c, sg_errinfo *e)
{
    if (!c)
        return sg_err_set(e, SG_EINVAL, "skydet: no configuration");
#define RANGE(cond, field, fmt, v)                                                      \
    if (!(cond))                                                                        \
        return sg_err_set(e, SG_ERANGE, "skydet: " field ": out of range, got " fmt, v);
    RANGE(c->width >= 16 && c->width <= 8192, "width", "%d", c->width)
    RANGE(c->height >= 16 && c->height <= 8192, "height", "%d", c->height)
    RANGE(c->radius >= 1 && c->radius <= 31, "radius", "%d", c->radius)
    RANGE(c->polarity >= SKYDET_BOTH && c->polarity <= SKYDET_BRIGHT, "polarity", "%d",
          (int)c->polarity)
    RANGE(c->k_sigma >= 2 && c->k_sigma <= 50, "k_sigma", "%g", c->k_sigma)
    RANGE(c->min_contrast >= 1 && c->min_contrast <= 255, "min_contrast", "%g", c->min_contrast)
    RANGE(c->block >= 4 && c->block <= 128, "block", "%d", c->block)
    RANGE(c->noise_tau_frames >= 1 && c->noise_tau_frames <= 1e6, "noise_tau_frames", "%g",
          c->noise_tau_frames)
    RANGE(c->clutter_tau_frames == 0 ||
              (c->clutter_tau_frames >= 1 && c->clutter_tau_frames <= 1e7),
          "clutter_tau_frames", "%g", c->clutter_tau_frames)
    RANGE(c->min_area >= 1, "min_area", "%d", c->min_area)
    RANGE(c->max_size >= 1, "max_size", "%d", c->max_size)
    RANGE(c->merge_px >= 0 && c->merge_px <= 64, "merge_px", "%d", c->merge_px)
    RANGE(c->merge_frac >= 0 && c->merge_frac <= 4, "merge_frac", "%g", c->merge_frac)
    RANGE(c->persist_n >= 1 && c->persist_n <= 32, "persist_n", "%d", c->persist_n)
    RANGE(c->persist_k >= 1 && c->persist_k <= c->persist_n, "persist_k", "%d", c->persist_k)
    RANGE(c->gate_px > 0 && c->gate_px <= 1000, "gate_px", "%g", c->gate_px)
    RANGE(c->max_blobs >= 1 && c->max_blobs <= 4096, "max_blobs", "%d", c->max_blobs)
    RANGE(c->max_tracklets >= 1 && c->max_tracklets <= 1024, "max_tracklets", "%d",
          c->max_tracklets)
    RANGE(c->border >= -1 && c->border <= 64 && 2 * c->border < c->width &&
              2 * c->border < c->height, "border", "%d", c->border)
    RANGE(c->sky_texture >= 0 && c->sky_texture <= 255, "sky_texture", "%g", c->sky_texture)
    RANGE(c->max_shift_px == 0 || (c->max_shift_px >= 4 && c->max_shift_px <= 128), "max_shift_px",
          "%d", c->max_shift_px)
    RANGE(c->sky_mask == 0 || (c->sky_mask >= 0.5 && c->sky_mask <= 255), "sky_mask", "%g",
          c->sky_mask)
    RANGE(c->sky_mask_margin_px >= -64 && c->sky_mask_margin_px <= 128, "sky_mask_margin_px", "%d",
          c->sky_mask_margin_px)
    RANGE(c->first_frame_max_px >= 0 && c->first_frame_max_px <= 8192, "first_frame_max_px", "%d",
          c->first_frame_max_px)
    RANGE(c->first_frame_persist_k >= 0 && c->first_frame_persist_k <= c->persist_k,
          "first_frame_persist_k", "%d", c->first_frame_persist_k)
    RANGE(c->max_zoom_pct == 0 || (c->max_zoom_pct >= 0.1 && c->max_zoom_pct <= 10),
          "max_zoom_pct", "%g", c->max_zoom_pct)
    RANGE(c->motion_min_conf >= 0.1 && c->motion_min_conf <= 1, "motion_min_conf", "%g",
          c->motion_min_conf)
    if (c->max_zoom_pct > 0 && c->max_shift_px == 0)
        return sg_err_set(e, SG_EINVAL, "skydet: max_zoom_pct: needs max_shift_px");
    RANGE(c->max_runs >= 64 && c->max_runs <= (1 << 22), "max_runs", "%d", c->max_runs)
#undef RANGE
    if (isnan(c->k_sigma) || isnan(c->min_contrast) || isnan(c->gate_px) || isnan(c->merge_frac) ||
        isnan(c->sky_mask) || isnan(c->max_zoom_pct) || isnan(c->motion_min_conf))
        return sg_err_set(e, SG_EINVAL, "skydet: NaN in configuration");
    return SG_OK;
}
