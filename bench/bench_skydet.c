/* Sky detector throughput: frames per second on one core at 640x512 and 1920x1080
 * on generated frames (fixed seed: sky gradient, noise, one moving dark target),
 * detector only and detector + features + crops + classifier (config/camcls.json, as the camera
 * adapter runs them; another model file with `bench_skydet MODEL.json`, e.g. to alternate an
 * old and a new model in one session); then decode + detect + classify on the V_DRONE_001
 * clip when present; last, a zooming textured scene with zoom compensation off and on.
 * Verifies the target is detected so a broken detector cannot look fast. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "camcls.h"
#include "camera.h"
#include "camfeat.h"
#include "camtrack.h"
#include "skydet.h"

/* the classifier benchmarked: config/camcls.json, or the file named on the command line */
static const char *g_model = SG_SOURCE_DIR "/config/camcls.json";

#define NFRAMES 16 /* distinct pre-rendered frames, cycled */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* sky_mask (and first_frame_detect) for the "+mask" rows; 0 = the defaults */
static double g_sky_mask;
/* the "zoom" rows: 0 = off (the generated frames are still), 1 = frames of a camera zooming
 * in 1.2 % per frame over a textured scene, detector without motion compensation, 2 = the
 * same frames with max_shift_px 16 and max_zoom_pct 2 */
static int g_zoom;

/* Value noise: a hashed lattice (0..60 grey levels per node) interpolated bilinearly, so
 * the texture is band-limited and has no period for a block match to alias on. */
static double value_noise(double u, double q)
{
    double fu = floor(u), fq = floor(q), a = u - fu, b = q - fq, n[4];
    for (int i = 0; i < 4; i++) {
        uint32_t c = (uint32_t)(int64_t)(fu + (i & 1)) * 73856093u ^
                     (uint32_t)(int64_t)(fq + (i >> 1)) * 19349663u;
        c ^= c >> 13;
        c *= 0x5bd1e995u;
        n[i] = (c >> 8) % 61;
    }
    return (1 - b) * ((1 - a) * n[0] + a * n[1]) + b * ((1 - a) * n[2] + a * n[3]);
}

static int bench(int w, int h, skydet_polarity pol, bool classify)
{
    uint8_t *frames = malloc((size_t)w * h * NFRAMES);
    if (!frames)
        return 1;
    uint64_t s = 12345;
    for (int k = 0; k < NFRAMES; k++) {
        double tx = w * 0.2 + 3.0 * k, ty = h * 0.3 + 1.0 * k;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                double v = 150 + 60.0 * y / h + ((s >> 40) % 7) - 3.0;
                if (g_zoom) { /* a textured scene (clouds, tree line) zoomed about the centre */
                    double z = pow(1.012, k), u = (x - 0.5 * w) / z, q = (y - 0.5 * h) / z;
                    v += 0.3 * value_noise(u / 12, q / 12) - 20; /* clouds: smooth, no period */
                    if (q > 0.3 * h)
                        v = 40 + value_noise(u / 3, q / 3) + ((s >> 40) % 7) - 3.0; /* trees */
                }
                double dx = x - tx, dy = y - ty;
                v -= 50 * exp(-(dx * dx + dy * dy) / 3.0);
                frames[((size_t)k * h + y) * w + x] = (uint8_t)v;
            }
    }
    skydet_cfg c;
    skydet_cfg_default(&c, w, h);
    c.polarity = pol;
    c.sky_mask = g_sky_mask;
    c.first_frame_detect = g_sky_mask > 0;
    if (g_zoom == 2) {
        c.max_shift_px = 16;
        c.max_zoom_pct = 2;
    }
    sg_errinfo e = {0};
    skydet *q = skydet_create(&c, &e);
    camfeat *cf = classify ? camfeat_create(w, h, false, 128, &e) : NULL;
    camcls *m = classify ? camcls_load(g_model, &e) : NULL;
    camtrack_cfg tc;
    camtrack_cfg_default(&tc);
    camtrack *ct = classify ? camtrack_create(&tc, 2 * c.max_tracklets, &e) : NULL;
    double *pp = classify ? malloc((size_t)c.max_tracklets * CAMCLS_N * sizeof *pp) : NULL;
    int scales = camcls_crop_channels(m); /* the windows the model reads, as the camera */
    if (!q || (classify && (!cf || !m || !ct || !pp))) {
        fprintf(stderr, "%s\n", e.msg);
        return 1;
    }
    int n = 0, found = 0;
    long ndet = 0;
    double t0 = now(), c0 = cpu_now(), ccls = 0;
    while (now() - t0 < 2.0 || n < 20) {
        const skydet_det *d;
        size_t nd;
        /* cycle forward only over the first half so the target moves consistently */
        int k = n % (NFRAMES / 2);
        if (k == 0)
            skydet_reset(q); /* ... and restart the tracklets when it jumps back */
        const uint8_t *img = frames + (size_t)k * w * h;
        skydet_process(q, img, (size_t)w, &d, &nd);
        if (classify) {
            double cc0 = cpu_now();
            const skydet_det *cand;
            size_t nc;
            skydet_candidates(q, &cand, &nc);
            if (k == 0)
                camfeat_reset(cf);
            camfeat_update(cf, cand, nc);
            const float *tex;
            int nbx, nby, blk;
            float med;
            skydet_texture_map(q, &tex, &nbx, &nby, &blk, &med);
            camfeat_set_sky(cf, tex, nbx, nby, blk, med);
            for (size_t i = 0; i < nd; i++) {
                float x[CAMFEAT_N], crop[CAMCROP_N];
                camfeat_compute(cf, img, (size_t)w, &d[i], x);
                camfeat_crops_n(cf, img, (size_t)w, &d[i], scales, crop);
                camcls_predict_crop(m, x, crop, pp + i * CAMCLS_N);
            }
            camtrack_update(ct, (uint64_t)n, d, nd, pp); /* the track-level decision */
            ndet += (long)nd;
            ccls += cpu_now() - cc0;
        }
        found += nd > 0;
        n++;
    }
    double wall = now() - t0, cpu = cpu_now() - c0;
    skydet_stats st;
    skydet_get_stats(q, &st);
    skydet_destroy(q);
    bool cnn = camcls_uses_crops(m);
    camfeat_destroy(cf);
    camcls_destroy(m);
    camtrack_destroy(ct);
    free(pp);
    free(frames);
    printf("skydet%s%s%s %4dx%-4d %-4s: %6.1f frames/s per core (%d frames, %.2f s CPU, %.1f Mpx/s), "
           "target found in %d frames\n",
           classify ? "+classify" : "", g_sky_mask > 0 ? "+mask" : "",
           g_zoom == 1 ? " zoom-scene, comp. off" : g_zoom == 2 ? " zoom-scene, comp. on" : "", w, h, pol == SKYDET_BOTH ? "both" : "dark", n / cpu, n, cpu, n / cpu * w * h / 1e6, found);
    if (g_zoom == 2) /* since the last reset (every NFRAMES / 2 frames) */
        printf("  zoom model: last zoom %.4f, %llu of the last %llu frames warped, %llu resets, "
               "%llu flat\n", st.zoom, (unsigned long long)st.frames_warped,
               (unsigned long long)st.frames, (unsigned long long)st.motion_resets,
               (unsigned long long)st.motion_flat);
    if (classify)
        printf("  classification (features, crops, %s): %.1f %% of the CPU time, %.1f us per "
               "detection (%.2f detections per frame)\n",
               cnn ? "CNN + MLP" : "MLP", 100 * ccls / cpu,
               ndet ? 1e6 * ccls / ndet : 0.0, (double)ndet / n);
    (void)wall;
    if (found < n / 4) {
        fprintf(stderr, "bench_skydet: target not detected: broken detector\n");
        return 1;
    }
    return 0;
}

static int count_frames(void *user, const camera_frame *f)
{
    (void)f;
    (*(int *)user)++;
    return 0;
}

static int bench_decode(bool classify)
{
    const char *path = SG_FIXTURES_DIR "/video/V_DRONE_001.mp4";
    struct stat sb;
    if (stat(path, &sb) != 0) {
        printf("decode+detect: %s absent, skipped\n", path);
        return 0;
    }
    camera_cfg c;
    camera_cfg_default(&c);
    snprintf(c.id, sizeof c.id, "bench");
    snprintf(c.pipeline, sizeof c.pipeline,
             "filesrc location=\"%s\" ! qtdemux ! h264parse ! avdec_h264 max-threads=1", path);
    if (classify)
        snprintf(c.classifier, sizeof c.classifier, "%s", g_model);
    sg_errinfo e = {0};
    camera *cam = camera_create(&c, &e);
    if (!cam) {
        printf("decode+detect: skipped: %s\n", e.msg);
        return 0;
    }
    int n = 0;
    double t0 = now(), c0 = cpu_now();
    int rc = camera_run(cam, count_frames, &n, &e);
    double wall = now() - t0, cpu = cpu_now() - c0;
    camera_destroy(cam);
    if (rc) {
        fprintf(stderr, "decode+detect: %s\n", e.msg);
        return 1;
    }
    printf("decode+detect V_DRONE_001 640x512 H.264: %d frames, %.1f frames/s wall, %.1f frames/s "
           "per CPU-second (decoder 1 thread + detector%s)\n",
           n, n / wall, n / cpu, classify ? " + features + classifier" : "");
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 2) {
        fprintf(stderr, "usage: bench_skydet [MODEL.json]\n");
        return 2;
    }
    if (argc == 2)
        g_model = argv[1];
    printf("model %s\n", g_model);
    int rc = bench(640, 512, SKYDET_BOTH, false);
    rc |= bench(640, 512, SKYDET_BOTH, true);
    rc |= bench(1920, 1080, SKYDET_BOTH, false);
    rc |= bench(1920, 1080, SKYDET_BOTH, true);
    rc |= bench(640, 512, SKYDET_DARK, false);
    rc |= bench(1920, 1080, SKYDET_DARK, false);
    g_sky_mask = 3; /* horizon mask and first-frame objects on */
    rc |= bench(640, 512, SKYDET_BOTH, true);
    rc |= bench(1920, 1080, SKYDET_BOTH, true);
    g_sky_mask = 0;
    for (g_zoom = 1; g_zoom <= 2; g_zoom++) { /* zoom compensation off, then on */
        rc |= bench(640, 512, SKYDET_BOTH, false);
        rc |= bench(1920, 1080, SKYDET_BOTH, false);
    }
    g_zoom = 0;
    rc |= bench_decode(false);
    rc |= bench_decode(true);
    return rc;
}
