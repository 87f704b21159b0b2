/* sg_camdet: run a video file or any GStreamer pipeline through the sky detector and
 * print detections per frame and a summary (the recall helper for real clips).
 *
 *   sg_camdet [options] <file.mp4 | "gst pipeline ...">
 *
 * An argument containing '!' is a pipeline; anything else is a file (decodebin).
 * Exit codes: 0 ok, 1 runtime error, 2 usage. Frames are only written with the
 * explicit --dump-dir (development) or --snippets (the adapter's opt-in). */
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "camera.h"
#include "sg_lsan.h"

SG_LSAN_SUPPRESS(SG_LSAN_GLIB)

#define DEG (M_PI / 180.0)

typedef struct {
    bool bearing, quiet, candidates;
    const char *dump_dir;
    int dump_every;
    uint64_t frames, frames_with_det, frames_with_cand, dets, gaps, drone_reports, drone_frames;
    uint32_t longest_track, cur_id, cur_len;
    double sum_contrast;
} run_state;

static camera *g_cam;

static void on_signal(int sig)
{
    (void)sig;
    if (g_cam)
        camera_stop(g_cam);
}

static void dump_frame(const run_state *s, const camera_frame *f, const skydet_det *cand,
                       size_t nc)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/frame_%05llu.pgm", s->dump_dir, (unsigned long long)f->index);
    FILE *fp = fopen(path, "wb");
    if (!fp) {
        fprintf(stderr, "sg_camdet: %s: cannot create\n", path);
        return;
    }
    fprintf(fp, "P5\n%d %d\n255\n", f->width, f->height);
    for (int y = 0; y < f->height; y++) {
        uint8_t row[8192];
        memcpy(row, f->pixels + (size_t)y * (size_t)f->width, (size_t)f->width);
        /* candidates: dotted box; confirmed detections: solid box */
        for (int pass = 0; pass < 2; pass++) {
            const skydet_det *d = pass ? f->dets : cand;
            size_t n = pass ? f->n_dets : nc;
            for (size_t i = 0; i < n; i++) {
                int x0 = d[i].x0 - 3, x1 = d[i].x1 + 3, y0 = d[i].y0 - 3, y1 = d[i].y1 + 3;
                uint8_t ink = pass ? 255 : 0;
                for (int x = x0 < 0 ? 0 : x0; x <= x1 && x < f->width; x++) {
                    bool edge_h = (y == y0 || y == y1) && (pass || x % 2 == 0);
                    bool edge_v = (x == x0 || x == x1) && y >= y0 && y <= y1 && (pass || y % 2 == 0);
                    if (edge_h || edge_v)
                        row[x] = ink;
                }
            }
        }
        fwrite(row, 1, (size_t)f->width, fp);
    }
    fclose(fp);
}

static int on_frame(void *user, const camera_frame *f)
{
    run_state *s = user;
    s->frames++;
    s->gaps += f->gap;
    s->dets += f->n_dets;
    if (f->n_dets)
        s->frames_with_det++;
    bool drone = false;
    for (size_t i = 0; i < f->n_meas; i++)
        if (!strcmp(f->meas[i].cls, "drone")) {
            s->drone_reports++;
            drone = true;
        }
    s->drone_frames += drone;
    bool cont = false;
    for (size_t i = 0; i < f->n_dets; i++) {
        s->sum_contrast += f->dets[i].contrast;
        if (f->dets[i].track_id == s->cur_id) {
            s->cur_len++;
            cont = true;
        }
    }
    if (!cont && f->n_dets) {
        s->cur_id = f->dets[0].track_id;
        s->cur_len = 1;
    }
    if (s->cur_len > s->longest_track)
        s->longest_track = s->cur_len;
    if (!s->quiet) {
        for (size_t i = 0; i < f->n_dets; i++) {
            const skydet_det *d = &f->dets[i];
            printf("frame %llu t %.3f id %u x %.1f y %.1f w %d h %d area %d contrast %.1f snr %.1f "
                   "conf %.2f pol %+d tex %.1f class %s %.2f",
                   (unsigned long long)f->index, f->t, d->track_id, d->x, d->y, d->x1 - d->x0 + 1,
                   d->y1 - d->y0 + 1, d->area, d->contrast, d->snr, d->confidence, d->polarity,
                   d->texture, i < f->n_meas ? f->meas[i].cls : "-",
                   i < f->n_meas ? f->meas[i].cls_conf : 0.0);
            if (s->bearing && i < f->n_meas)
                printf(" az %.3f el %.3f sd_az %.3f sd_el %.3f (deg)", f->meas[i].z[0] / DEG,
                       f->meas[i].z[1] / DEG, sqrt(f->meas[i].R[0]) / DEG,
                       sqrt(f->meas[i].R[3]) / DEG);
            printf("\n");
        }
    }
    if (f->n_cands)
        s->frames_with_cand++;
    if (s->candidates)
        for (size_t i = 0; i < f->n_cands; i++)
            printf("frame %llu cand id %u x %.1f y %.1f w %d h %d contrast %.1f snr %.1f hits %d\n",
                   (unsigned long long)f->index, f->cands[i].track_id, f->cands[i].x,
                   f->cands[i].y, f->cands[i].x1 - f->cands[i].x0 + 1,
                   f->cands[i].y1 - f->cands[i].y0 + 1, f->cands[i].contrast, f->cands[i].snr,
                   f->cands[i].hits);
    if (s->dump_dir && s->dump_every > 0 && f->index % (uint64_t)s->dump_every == 0)
        dump_frame(s, f, f->cands, f->n_cands);
    return 0;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: sg_camdet [options] <file | \"gst pipeline\">\n"
            "  --seconds S        process only the first S seconds of stream time\n"
            "  --live             live source: drop frames when behind (counted)\n"
            "  --hfov DEG         horizontal field of view (default 60)\n"
            "  --yaw DEG --pitch DEG --roll DEG   mounting (see docs/camera.md)\n"
            "  --bearing          print az/el and their sd per detection\n"
            "  --min-el DEG       drop detections below this elevation (horizon mask)\n"
            "  --sky-texture GREY drop blobs in textured (non-sky) blocks; 0 = off\n"
            "  --polarity both|dark|bright   --radius PX   --k SIGMA   --min-contrast GREY\n"
            "  --persist K/N      hits needed in the last N frames (default 3/5)\n"
            "  --quiet            summary only;  --candidates  also print unconfirmed blobs\n"
            "  --dump-dir DIR --dump-every N  write every Nth frame with boxes as PGM\n"
            "                     (development only: this writes video frames to disk)\n"
            "  --snippets DIR     the adapter's opt-in annotated crops\n"
            "  --model FILE       classify (camcls JSON, e.g. config/camcls.json)\n"
            "  --thermal          thermal modality (for the classifier)\n"
            "  --drone-min-conf P P(drone) needed to publish \"drone\" (default: the model\n"
            "                     file's drone_min_conf, else 0.5)\n");
}

int main(int argc, char **argv)
{
    camera_cfg cfg;
    camera_cfg_default(&cfg);
    snprintf(cfg.id, sizeof cfg.id, "camdet");
    run_state s = {0};
    static const struct option opts[] = {
        {"seconds", required_argument, 0, 's'}, {"live", no_argument, 0, 'l'},
        {"hfov", required_argument, 0, 'f'},    {"yaw", required_argument, 0, 'y'},
        {"pitch", required_argument, 0, 'p'},   {"roll", required_argument, 0, 'r'},
        {"bearing", no_argument, 0, 'b'},       {"polarity", required_argument, 0, 'P'},
        {"radius", required_argument, 0, 'R'},  {"k", required_argument, 0, 'k'},
        {"min-contrast", required_argument, 0, 'm'}, {"persist", required_argument, 0, 'K'},
        {"quiet", no_argument, 0, 'q'},         {"dump-dir", required_argument, 0, 'd'},
        {"dump-every", required_argument, 0, 'e'}, {"snippets", required_argument, 0, 'S'},
        {"candidates", no_argument, 0, 'c'},    {"min-el", required_argument, 0, 'E'},
        {"sky-texture", required_argument, 0, 'T'}, {"model", required_argument, 0, 'M'},
        {"thermal", no_argument, 0, 'I'}, {"drone-min-conf", required_argument, 0, 'C'},    {"help", no_argument, 0, 'h'},          {0, 0, 0, 0}};
    int o;
    while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (o) {
        case 's': cfg.max_seconds = atof(optarg); break;
        case 'l': cfg.live = true; break;
        case 'f': cfg.geom.hfov = atof(optarg) * DEG; break;
        case 'y': cfg.geom.yaw = atof(optarg) * DEG; break;
        case 'p': cfg.geom.pitch = atof(optarg) * DEG; break;
        case 'r': cfg.geom.roll = atof(optarg) * DEG; break;
        case 'b': s.bearing = true; break;
        case 'P':
            if (!strcmp(optarg, "both"))
                cfg.det.polarity = SKYDET_BOTH;
            else if (!strcmp(optarg, "dark"))
                cfg.det.polarity = SKYDET_DARK;
            else if (!strcmp(optarg, "bright"))
                cfg.det.polarity = SKYDET_BRIGHT;
            else {
                fprintf(stderr, "sg_camdet: --polarity: both, dark or bright\n");
                return 2;
            }
            break;
        case 'R': cfg.det.radius = atoi(optarg); break;
        case 'k': cfg.det.k_sigma = atof(optarg); break;
        case 'm': cfg.det.min_contrast = atof(optarg); break;
        case 'K':
            if (sscanf(optarg, "%d/%d", &cfg.det.persist_k, &cfg.det.persist_n) != 2) {
                fprintf(stderr, "sg_camdet: --persist K/N\n");
                return 2;
            }
            break;
        case 'q': s.quiet = true; break;
        case 'c': s.candidates = true; break;
        case 'E': cfg.min_el = atof(optarg) * DEG; break;
        case 'T': cfg.det.sky_texture = atof(optarg); break;
        case 'M': snprintf(cfg.classifier, sizeof cfg.classifier, "%s", optarg); break;
        case 'I': cfg.thermal = true; break;
        case 'C': cfg.drone_min_conf = atof(optarg); break;
        case 'd': s.dump_dir = optarg; break;
        case 'e': s.dump_every = atoi(optarg); break;
        case 'S':
            cfg.store_snippets = true;
            snprintf(cfg.snippet_dir, sizeof cfg.snippet_dir, "%s", optarg);
            break;
        default: usage(); return o == 'h' ? 0 : 2;
        }
    }
    if (optind != argc - 1) {
        usage();
        return 2;
    }
    const char *src = argv[optind];
    if (strchr(src, '!'))
        snprintf(cfg.pipeline, sizeof cfg.pipeline, "%s", src);
    else if (strchr(src, '"')) {
        fprintf(stderr, "sg_camdet: file names with '\"' are not supported\n");
        return 2;
    } else
        snprintf(cfg.pipeline, sizeof cfg.pipeline, "filesrc location=\"%s\" ! decodebin", src);
    if (s.dump_dir && s.dump_every <= 0)
        s.dump_every = 1;

    sg_errinfo e = {0};
    camera *cam = camera_create(&cfg, &e);
    if (!cam) {
        fprintf(stderr, "sg_camdet: %s\n", e.msg);
        return 1;
    }
    g_cam = cam;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    int rc = camera_run(cam, on_frame, &s, &e);
    camera_stats st;
    camera_get_stats(cam, &st);
    g_cam = NULL;
    camera_destroy(cam);
    if (rc)
        fprintf(stderr, "sg_camdet: %s\n", e.msg);
    printf("summary: %dx%d frames %llu with_detection %llu (%.1f%%) detections %llu "
           "mean_contrast %.1f longest_run %u dropped %llu bad %llu masked %llu "
           "drone_reports %llu drone_frames %llu blobs_dropped %llu tracklets_dropped %llu\n",
           st.width, st.height, (unsigned long long)s.frames,
           (unsigned long long)s.frames_with_det,
           s.frames ? 100.0 * s.frames_with_det / s.frames : 0.0, (unsigned long long)s.dets,
           s.dets ? s.sum_contrast / s.dets : 0.0, s.longest_track,
           (unsigned long long)st.frames_dropped, (unsigned long long)st.frames_bad,
           (unsigned long long)st.detections_masked, (unsigned long long)s.drone_reports,
           (unsigned long long)s.drone_frames, (unsigned long long)st.blobs_dropped,
           (unsigned long long)st.tracklets_dropped);
    return rc ? 1 : 0;
}
