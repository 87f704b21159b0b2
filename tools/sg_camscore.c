/* sg_camscore: run labelled clips (fixtures/video-train layout: index.csv, clips/,
 * labels/) through the camera path (camera_run: detector, features, classifier) and
 * score the published classes against the per-frame boxes; or dump the per-detection
 * features with their truth label for training (tools/train-camera.sh).
 *
 *   sg_camscore --data DIR [--split train|calib|val|all | --clip-list FILE] [--sensor V|IR]
 *               [--model FILE] [--drone-min-conf P] [--seconds S] [--clips N]
 *               [--features OUT.csv --every N [--crops OUT.f32]] [--list-split] [--per-clip] [--max-shift PX]
 *               [--class-smooth N] [--merge-frac F] [--detector JSON] [--breakdown]
 *               [--sweep P,P,...] [--dets OUT.csv] [--inherit-frames N] [--inherit-px P]
 *   sg_camscore --default-class-smooth V|IR
 *
 * The split (one place for the whole project: training, calibration and the figures
 * in docs/camera.md all come from here) and the scoring rules live in camscore/
 * (camscore.h, tested by tests/test_camscore.c): the split is by clip, stratified by
 * (sensor, class, distance bin): within each stratum the clips are ordered by the 64-bit
 * FNV-1a hash of "skyguard-camsplit-<seed>/<clip>" and the clip of rank r goes to
 *   val   if r % 4 == 1   (about 25 %, never used for training or tuning),
 *   calib if r % 8 == 3   (about 12 %, confidence calibration only),
 *   train otherwise.
 * Scoring: a detection matches a label box when its bbox overlaps the box grown by
 * max(4 px, a quarter of the box's longer side) on each side (the labels are loose);
 * among several, the box with the nearest centre. Truth of a detection = the matched
 * box's class, or clutter. Drone reports = measurements of class "drone" (without a
 * classifier: every detection). Per modality:
 *   recall     = drone-labelled frames with a drone report on a drone box / drone-labelled frames
 *   precision  = drone reports on a drone box / drone reports
 *   false/frame= drone reports on no drone box, per frame of clips whose class is not drone
 *   confusion  = truth x published class over all confirmed detections
 *   first_s    = time from the clip start to the first detection on its object's box;
 *                on drone clips also to the first drone report on the drone
 * Detector: a camera's defaults, and on IR clips the thermal camera's
 * (camera_thermal_detector_defaults, as camera_cfg_from_json gives a thermal site camera),
 * then --max-shift, --merge-frac and --detector.
 * Frames are only read, never written. Exit 0 ok, 1 error, 2 usage. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "camscore.h"
#include "sg_lsan.h"

SG_LSAN_SUPPRESS(SG_LSAN_GLIB)

/* Per clip: the scoring (camscore) and the dumps. */
typedef struct {
    camscore_run r;
    FILE *feat, *crops;
    FILE *dets; /* --dets: every published detection with its probabilities */
    int every;
} run_ctx;

static int on_frame(void *user, const camera_frame *f)
{
    run_ctx *x = user;
    camscore_frame(&x->r, f);
    if (!x->dets && !x->feat)
        return 0;
    const camscore_clip *c = x->r.c;
    int fr = (int)f->index;
    for (size_t i = 0; i < f->n_dets; i++) {
        const skydet_det *d = &f->dets[i];
        const char *truth = camscore_truth_name(camscore_truth(&x->r, fr, d));
        if (x->dets) {
            fprintf(x->dets, "%s,%s,%s,%d,%.4f,%u,%s,%s,%.2f,%.2f,%d,%d", c->name, c->sensor,
                    c->cls, fr, f->t - x->r.t0, d->track_id, truth,
                    camscore_pred_name(camscore_pred_index(f->meas[i].cls, f->probs != NULL)),
                    d->x, d->y, d->x1 - d->x0 + 1, d->y1 - d->y0 + 1);
            for (int k = 0; k < CAMCLS_N; k++)
                fprintf(x->dets, ",%.5g", f->probs ? f->probs[i * CAMCLS_N + k] : 0.0);
            for (int k = 0; k < CAMFEAT_N; k++)
                fprintf(x->dets, ",%.5g", f->feats[i * CAMFEAT_N + k]);
            fputc('\n', x->dets);
        }
        if (x->feat && d->track_id % (unsigned)x->every == (unsigned)fr % (unsigned)x->every) {
            fprintf(x->feat, "%s,%s,%s,%d,%u,%s", c->name, c->split, c->sensor, fr, d->track_id,
                    truth);
            for (int k = 0; k < CAMFEAT_N; k++)
                fprintf(x->feat, ",%.6g", f->feats[i * CAMFEAT_N + k]);
            fputc('\n', x->feat);
            if (x->crops)
                fwrite(f->crops + i * CAMCROP_N, sizeof(float), CAMCROP_N, x->crops);
        }
    }
    return 0;
}

static void print_score(const char *what, const camscore_totals *s, bool model, const double *sweep,
                        int n_sweep)
{
    printf("== %s: %llu frames\n", what, (unsigned long long)s->frames);
    printf("recall %.3f (%llu/%llu drone frames)  precision %.3f (%llu/%llu drone reports)  "
           "false_drone_per_frame %.3f (%llu in %llu drone-free frames)\n",
           camscore_recall(s), (unsigned long long)s->drone_hits,
           (unsigned long long)s->drone_frames, camscore_precision(s),
           (unsigned long long)s->reports_ok, (unsigned long long)s->reports,
           camscore_false_per_frame(s),
           (unsigned long long)s->free_false, (unsigned long long)s->free_frames);
    for (int k = 0; k < n_sweep && s->frames; k++)
        printf("sweep drone_min_conf %.3f: recall %.3f (%llu)  precision %.3f (%llu/%llu)  "
               "false_drone_per_frame %.3f (%llu)\n",
               sweep[k], camscore_ratio(s->sw_hits[k], s->drone_frames),
               (unsigned long long)s->sw_hits[k], camscore_ratio(s->sw_ok[k], s->sw_reports[k]),
               (unsigned long long)s->sw_ok[k], (unsigned long long)s->sw_reports[k],
               camscore_ratio(s->sw_false[k], s->free_frames),
               (unsigned long long)s->sw_false[k]);
    printf("first_detection_s mean %.2f max %.2f (%d clips, %d never)  "
           "first_drone_report_s (drone clips) mean %.2f max %.2f (%d clips, %d never)\n",
           s->first_n ? s->first_sum / s->first_n : 0.0, s->first_max, s->first_n, s->first_missed,
           s->drone_first_n ? s->drone_first_sum / s->drone_first_n : 0.0, s->drone_first_max,
           s->drone_first_n, s->drone_first_missed);
    printf("confusion (rows truth, columns published%s):\n%-11s", model ? "" : "; no classifier: all drone",
           "");
    for (int p = 0; p < CAMSCORE_NPRED; p++)
        printf(" %10s", camscore_pred_name(p));
    printf("\n");
    for (int t = 0; t < CAMSCORE_NTRUTH; t++) {
        printf("%-11s", camscore_truth_name(t));
        for (int p = 0; p < CAMSCORE_NPRED; p++)
            printf(" %10llu", (unsigned long long)s->conf[t][p]);
        printf("\n");
    }
    uint64_t nfa = 0, nmiss = 0;
    for (int k = 0; k < CAMSCORE_NFA; k++)
        nfa += s->fa[k];
    for (int k = 0; k < CAMSCORE_NMISS; k++)
        nmiss += s->miss[k];
    if (!nfa && !nmiss)
        return;
    printf("false drone reports by source (all clips, %llu):", (unsigned long long)nfa);
    for (int k = 0; k < CAMSCORE_NFA; k++)
        printf(" %s %llu", camscore_fa_name(k), (unsigned long long)s->fa[k]);
    printf("\nmissed drone frames by cause (%llu, %llu in the first 1 s):",
           (unsigned long long)nmiss, (unsigned long long)s->miss_early);
    for (int k = 0; k < CAMSCORE_NMISS; k++)
        printf(" %s %llu", camscore_miss_name(k), (unsigned long long)s->miss[k]);
    printf("\n");
}

static void usage(void)
{
    fprintf(stderr,
            "usage: sg_camscore [options]\n"
            "  --data DIR          labelled clips (index.csv, clips/, labels/), required,\n"
            "                      e.g. ../shared/fixtures/video-train\n"
            "  --split S           train | calib | val | all (default val)\n"
            "  --clip-list FILE    instead of --split: exactly the clips named in FILE, one\n"
            "                      per line ('#' comments; e.g. one fold of\n"
            "                      tools/oof_camera.py --all); --sensor still filters\n"
            "  --seed N            split seed (default 1)\n"
            "  --sensor V|IR       one modality only\n"
            "  --model FILE        classifier (camcls JSON); without it every detection is a\n"
            "                      drone report (the detector alone)\n"
            "  --drone-min-conf P  P(drone) needed for a drone report (default: the model\n"
            "                      file's drone_min_conf, else 0.5)\n"
            "  --seconds S         first S seconds of each clip;  --clips N  first N clips\n"
            "  --features OUT      write clip,split,sensor,frame,track,truth,<features> rows\n"
            "  --dets OUT          write every published detection: clip,sensor,clip_class,\n"
            "                      frame,t,track,truth,published,x,y,w,h,<published class\n"
            "                      probabilities>,<features> (track-level analysis)\n"
            "  --every N           features of each track every Nth frame (default 3)\n"
            "  --crops OUT         with --features: the rows' appearance crops, CAMCROP_N\n"
            "                      float32 (host order) per row, same order\n"
            "  --list-split        print clip,sensor,class,bin,split and exit\n"
            "  --per-clip          one line per clip\n"
            "  --max-shift PX      detector max_shift_px (0 = no motion compensation)\n"
            "  --merge-frac F      detector merge_frac (fragment merging relative to size)\n"
            "  --class-smooth N    adapter class_smooth (detections; default: the camera's for\n"
            "                      the clip's modality, camera_class_smooth)\n"
            "  --inherit-frames N  adapter class_inherit_frames (default 15; 0 = off)\n"
            "  --inherit-px P      adapter class_inherit_px (default 16)\n"
            "  --detector JSON     detector keys as in a site config's adapter.detector,\n"
            "                      e.g. '{\"sky_mask\": 1}' (applied after the options above;\n"
            "                      IR clips start from the thermal camera's detector\n"
            "                      defaults, camera_thermal_detector_defaults)\n"
            "  --breakdown         false drone reports by source and missed drone frames by\n"
            "                      cause, in total and (with --per-clip) per clip\n"
            "  --sweep P,P,...     with --model: recall / precision / false per frame also at\n"
            "                      these drone_min_conf values (up to 16), in the same run\n"
            "  --default-class-smooth V|IR  print that modality's camera class_smooth\n"
            "                      (camera_class_smooth; tools/train-camera.sh reads it) and exit\n");
}

int main(int argc, char **argv)
{
    const char *dir = NULL, *split = NULL, *sensor = NULL, *model = NULL, *list_path = NULL;
    const char *feat_path = NULL, *crop_path = NULL, *dets_path = NULL;
    unsigned seed = 1;
    double seconds = 0, min_conf = -1; /* -1: the model's drone_min_conf, else 0.5 */
    int max_clips = 0, every = 3, max_shift = -1, smooth = 0, inherit_frames = -1;
    double inherit_px = -1;
    double merge_frac = -1;
    bool list = false, per_clip = false, breakdown = false;
    const char *det_json = NULL;
    double sweep[CAMSCORE_MAX_SWEEP];
    int n_sweep = 0;
    static const struct option opts[] = {
        {"data", required_argument, 0, 'd'},     {"split", required_argument, 0, 's'},
        {"seed", required_argument, 0, 'S'},     {"sensor", required_argument, 0, 'm'},
        {"model", required_argument, 0, 'M'},    {"drone-min-conf", required_argument, 0, 'c'},
        {"seconds", required_argument, 0, 't'},  {"clips", required_argument, 0, 'n'},
        {"features", required_argument, 0, 'f'}, {"every", required_argument, 0, 'e'},
        {"list-split", no_argument, 0, 'l'},     {"per-clip", no_argument, 0, 'p'},
        {"max-shift", required_argument, 0, 'x'}, {"class-smooth", required_argument, 0, 'C'},
        {"merge-frac", required_argument, 0, 'F'}, {"help", no_argument, 0, 'h'},
        {"crops", required_argument, 0, 'K'},
        {"detector", required_argument, 0, 'D'}, {"breakdown", no_argument, 0, 'B'},
        {"sweep", required_argument, 0, 'W'},    {"dets", required_argument, 0, 'P'},
        {"inherit-frames", required_argument, 0, 'I'}, {"inherit-px", required_argument, 0, 'R'},
        {"clip-list", required_argument, 0, 'L'},
        {"default-class-smooth", required_argument, 0, 'Q'},
        {0, 0, 0, 0}};
    int o;
    while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (o) {
        case 'd': dir = optarg; break;
        case 's': split = optarg; break;
        case 'S': seed = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'm': sensor = optarg; break;
        case 'M': model = optarg; break;
        case 'c': min_conf = atof(optarg); break;
        case 't': seconds = atof(optarg); break;
        case 'n': max_clips = atoi(optarg); break;
        case 'f': feat_path = optarg; break;
        case 'e': every = atoi(optarg); break;
        case 'l': list = true; break;
        case 'p': per_clip = true; break;
        case 'x': max_shift = atoi(optarg); break;
        case 'C': smooth = atoi(optarg); break;
        case 'F': merge_frac = atof(optarg); break;
        case 'K': crop_path = optarg; break;
        case 'D': det_json = optarg; break;
        case 'P': dets_path = optarg; break;
        case 'I': inherit_frames = atoi(optarg); break;
        case 'R': inherit_px = atof(optarg); break;
        case 'B': breakdown = true; break;
        case 'L': list_path = optarg; break;
        case 'Q': {
            /* the one place the modality defaults live is the camera (adapters/camera.h) */
            if (strcmp(optarg, "V") && strcmp(optarg, "IR")) {
                fprintf(stderr, "sg_camscore: --default-class-smooth: V or IR, got \"%s\"\n",
                        optarg);
                return 2;
            }
            camera_cfg cfg;
            camera_cfg_default(&cfg);
            cfg.thermal = !strcmp(optarg, "IR");
            printf("%d\n", camera_class_smooth(&cfg));
            return 0;
        }
        case 'W':
            if (camscore_parse_sweep(optarg, sweep, &n_sweep)) {
                fprintf(stderr, "sg_camscore: --sweep: 1..%d comma-separated values in [0, 1], "
                        "got \"%s\"\n", CAMSCORE_MAX_SWEEP, optarg);
                return 2;
            }
            break;
        default: usage(); return o == 'h' ? 0 : 2;
        }
    }
    if (list_path && split) {
        fprintf(stderr, "sg_camscore: --clip-list and --split: give one of them\n");
        return 2;
    }
    if (!list_path && !split)
        split = "val";
    if (optind != argc || !dir || (crop_path && !feat_path) || every < 1 || smooth < 0 ||
        smooth > 1000 || inherit_frames > 300 || inherit_px > 1000 ||
        (min_conf != -1 && !(min_conf >= 0 && min_conf <= 1)) ||
        (split && strcmp(split, "train") && strcmp(split, "calib") && strcmp(split, "val") &&
         strcmp(split, "all"))) {
        usage();
        return 2;
    }
    cJSON *det_obj = NULL;
    if (det_json && (!(det_obj = cJSON_Parse(det_json)) || !cJSON_IsObject(det_obj))) {
        fprintf(stderr, "sg_camscore: --detector: not a JSON object: %s\n", det_json);
        cJSON_Delete(det_obj);
        return 2;
    }
    static camscore_clip cl[CAMSCORE_MAX_CLIPS];
    int n;
    sg_errinfo ie = {0};
    if (camscore_load_index(dir, seed, cl, CAMSCORE_MAX_CLIPS, &n, &ie)) {
        fprintf(stderr, "sg_camscore: %s\n", ie.msg);
        return 1;
    }
    static bool sel[CAMSCORE_MAX_CLIPS];
    if (list_path && camscore_load_clip_list(list_path, cl, n, sel, &ie)) {
        fprintf(stderr, "sg_camscore: --clip-list: %s\n", ie.msg);
        return 1;
    }
    if (list) {
        printf("clip,sensor,class,distance_bin,split\n");
        for (int i = 0; i < n; i++)
            printf("%s,%s,%s,%s,%s\n", cl[i].name, cl[i].sensor, cl[i].cls, cl[i].bin, cl[i].split);
        return 0;
    }
    FILE *feat = NULL, *crops = NULL;
    if (feat_path) {
        if (!(feat = fopen(feat_path, "w"))) {
            fprintf(stderr, "sg_camscore: %s: cannot create\n", feat_path);
            return 1;
        }
        if (crop_path && !(crops = fopen(crop_path, "wb"))) {
            fprintf(stderr, "sg_camscore: %s: cannot create\n", crop_path);
            fclose(feat);
            return 1;
        }
        fprintf(feat, "clip,split,sensor,frame,track,truth");
        for (int k = 0; k < CAMFEAT_N; k++)
            fprintf(feat, ",%s", camfeat_name(k));
        fputc('\n', feat);
    }
    FILE *dets = NULL;
    if (dets_path) {
        if (!(dets = fopen(dets_path, "w"))) {
            fprintf(stderr, "sg_camscore: %s: cannot create\n", dets_path);
            if (feat)
                fclose(feat);
            if (crops)
                fclose(crops);
            return 1;
        }
        fprintf(dets, "clip,sensor,clip_class,frame,t,track,truth,published,x,y,w,h");
        for (int k = 0; k < CAMCLS_N; k++)
            fprintf(dets, ",p_%s", camcls_name(k));
        for (int k = 0; k < CAMFEAT_N; k++)
            fprintf(dets, ",%s", camfeat_name(k));
        fputc('\n', dets);
    }
    static camscore_totals sc[2]; /* V, IR */
    const camscore_opts score_opts = {.breakdown = breakdown, .n_sweep = n_sweep, .sweep = sweep};
    int done = 0, rc = 0;
    for (int i = 0; i < n && !rc; i++) {
        const camscore_clip *c = &cl[i];
        if ((list_path ? !sel[i] : strcmp(split, "all") && strcmp(split, c->split)) ||
            (sensor && strcmp(sensor, c->sensor)))
            continue;
        if (max_clips && done >= max_clips)
            break;
        bool ir = !strcmp(c->sensor, "IR");
        camscore_labels lab;
        sg_errinfo e = {0};
        if (camscore_load_labels(dir, c->name, c->frames, &lab, &e)) {
            fprintf(stderr, "sg_camscore: %s\n", e.msg);
            rc = 1;
            break;
        }
        run_ctx x = {.feat = feat, .crops = crops, .dets = dets, .every = every};
        camscore_begin(&x.r, c, &lab, &sc[ir], &score_opts);
        camera_cfg cfg;
        camera_cfg_default(&cfg);
        snprintf(cfg.id, sizeof cfg.id, "%s", c->name);
        snprintf(cfg.pipeline, sizeof cfg.pipeline,
                 "filesrc location=\"%s/clips/%s.mp4\" ! qtdemux ! h264parse ! avdec_h264", dir,
                 c->name);
        cfg.thermal = ir;
        if (ir) /* a thermal clip runs the thermal camera's detector defaults */
            camera_thermal_detector_defaults(&cfg.det);
        cfg.max_seconds = seconds;
        cfg.all_crops = crops != NULL; /* the dump holds every window, whatever the model */
        cfg.drone_min_conf = min_conf;
        if (smooth)
            cfg.class_smooth = smooth;
        if (inherit_frames >= 0)
            cfg.class_inherit_frames = inherit_frames;
        if (inherit_px >= 0)
            cfg.class_inherit_px = inherit_px;
        if (max_shift >= 0)
            cfg.det.max_shift_px = max_shift;
        if (merge_frac >= 0)
            cfg.det.merge_frac = merge_frac;
        if (model)
            snprintf(cfg.classifier, sizeof cfg.classifier, "%s", model);
        if (det_obj && skydet_cfg_from_json(&cfg.det, det_obj, "--detector", &e)) {
            fprintf(stderr, "sg_camscore: %s\n", e.msg);
            rc = 1;
            camscore_labels_free(&lab);
            break;
        }
        camera *cam = camera_create(&cfg, &e);
        if (!cam || camera_run(cam, on_frame, &x, &e)) {
            fprintf(stderr, "sg_camscore: %s\n", e.msg);
            rc = 1;
        }
        camera_stats st;
        if (cam) {
            camera_get_stats(cam, &st);
            camera_destroy(cam);
        }
        camscore_end(&x.r);
        if (per_clip && cam)
            printf("clip %s %s frames %llu drone_reports %llu on_drone %llu first_s %.2f "
                   "first_drone_s %.2f blobs_dropped %llu tracklets_dropped %llu\n",
                   c->name, c->split, (unsigned long long)x.r.clip_frames,
                   (unsigned long long)x.r.clip_reports, (unsigned long long)x.r.clip_ok,
                   x.r.seen ? x.r.first_s : -1.0, x.r.drone_seen ? x.r.drone_first_s : -1.0,
                   (unsigned long long)st.blobs_dropped, (unsigned long long)st.tracklets_dropped);
        if (per_clip && cam && breakdown) {
            printf("  false:");
            for (int k = 0; k < CAMSCORE_NFA; k++)
                printf(" %s %llu", camscore_fa_name(k), (unsigned long long)x.r.clip_fa[k]);
            printf("  missed:");
            for (int k = 0; k < CAMSCORE_NMISS; k++)
                printf(" %s %llu", camscore_miss_name(k), (unsigned long long)x.r.clip_miss[k]);
            printf("\n");
        }
        camscore_labels_free(&lab);
        done++;
    }
    cJSON_Delete(det_obj);
    if (feat && fclose(feat)) {
        fprintf(stderr, "sg_camscore: %s: write failed\n", feat_path);
        rc = 1;
    }
    if (dets && fclose(dets)) {
        fprintf(stderr, "sg_camscore: %s: write failed\n", dets_path);
        rc = 1;
    }
    if (crops && fclose(crops)) {
        fprintf(stderr, "sg_camscore: %s: write failed\n", crop_path);
        rc = 1;
    }
    if (rc)
        return 1;
    if (model) { /* the threshold in force, as camera_create resolved it */
        sg_errinfo e = {0};
        camcls *m = camcls_load(model, &e);
        camera_cfg cfg;
        camera_cfg_default(&cfg);
        cfg.drone_min_conf = min_conf;
        min_conf = camera_drone_min_conf(&cfg, m);
        camcls_destroy(m);
    }
    printf("split %s seed %u clips %d model %s drone_min_conf %.2f\n",
           list_path ? "list" : split, seed, done,
           model ? model : "none", min_conf);
    print_score("visible (V)", &sc[0], model != NULL, sweep, n_sweep);
    print_score("thermal (IR)", &sc[1], model != NULL, sweep, n_sweep);
    return 0;
}
