/* sg_camscore: run labelled clips (fixtures/video-train layout: index.csv, clips/,
 * labels/) through the camera path (camera_run: detector, features, classifier) and
 * score the published classes against the per-frame boxes; or dump the per-detection
 * features with their truth label for training (tools/train-camera.sh).
 *
 *   sg_camscore --data DIR [--split train|calib|val|all] [--sensor V|IR]
 *               [--model FILE] [--drone-min-conf P] [--seconds S] [--clips N]
 *               [--features OUT.csv --every N [--crops OUT.f32]] [--list-split] [--per-clip] [--max-shift PX]
 *               [--class-smooth N] [--merge-frac F] [--detector JSON] [--breakdown]
 *               [--sweep P,P,...] [--dets OUT.csv] [--inherit-frames N] [--inherit-px P]
 *
 * The split (one place for the whole project: training, calibration and the figures
 * in docs/camera.md all come from here) is by clip, stratified by (sensor, class,
 * distance bin): within each stratum the clips are ordered by the 64-bit FNV-1a hash
 * of "skyguard-camsplit-<seed>/<clip>" and the clip of rank r goes to
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

#include "camera.h"

#define MAX_CLIPS 1024
#define NTRUTH 5 /* drone bird airplane helicopter clutter */
#define NPRED 6  /* + uncertain */
#define MAX_SWEEP 16 /* --sweep thresholds */
/* false drone reports: truth bird, airplane, helicopter, then clutter near a label box
 * (a fragment or offset box of a labelled object), clutter below the learnt skyline or in
 * a textured block (ground, trees, buildings), other clutter (sky: clouds, unlabelled) */
enum { FA_BIRD, FA_AIRPLANE, FA_HELI, FA_FRAGMENT, FA_GROUND, FA_SKY, NBD_FA };
/* missed drone frames: no candidate blob on the drone box, a candidate not (yet)
 * confirmed, a confirmed detection published as another class */
enum { MISS_NO_BLOB, MISS_UNCONFIRMED, MISS_CLASSIFIED, NBD_MISS };
static const char *const fa_names[NBD_FA] = {"bird", "airplane", "helicopter", "fragment",
                                             "ground", "sky"};
static const char *const miss_names[NBD_MISS] = {"no_blob", "unconfirmed", "classified_other"};

typedef struct {
    char name[64], sensor[8], cls[16], bin[16];
    int frames;
    uint64_t hash;
    const char *split;
} clip;

typedef struct {
    int frame, cls;
    double x, y, w, h;
} box;

typedef struct {
    uint64_t frames, drone_frames, drone_hits, reports, reports_ok, free_frames, free_false;
    uint64_t conf[NTRUTH][NPRED];
    double first_sum;
    int first_n, first_missed;
    double first_max;
    double drone_first_sum, drone_first_max; /* drone clips: first drone report on the drone */
    int drone_first_n, drone_first_missed;
    /* --breakdown: where false drone reports and missed drone frames come from */
    uint64_t fa[NBD_FA], miss[NBD_MISS], miss_early;
    /* --sweep: the same recall / precision / false counts at other drone_min_conf values */
    uint64_t sw_hits[MAX_SWEEP], sw_reports[MAX_SWEEP], sw_ok[MAX_SWEEP], sw_false[MAX_SWEEP];
} score;

typedef struct {
    const clip *c;
    box *b;
    int nb;
    int *first; /* per frame: index of its first box, frames+1 entries */
    int nframes;
    score *sc;
    bool drone_clip;
    int object_cls;
    double t0;
    bool seen, drone_seen;
    double first_s, drone_first_s;
    FILE *feat, *crops;
    FILE *dets; /* --dets: every published detection with its probabilities */
    int every;
    bool per_clip;
    uint64_t clip_reports, clip_ok, clip_frames;
    bool breakdown;
    int skyline_k; /* index of the skyline_depth feature */
    uint64_t clip_fa[NBD_FA], clip_miss[NBD_MISS];
    int n_sweep;
    const double *sweep; /* --sweep thresholds */
} run_ctx;

static const char *const truth_names[NTRUTH] = {"drone", "bird", "airplane", "helicopter",
                                                 "clutter"};
static const char *const pred_names[NPRED] = {"drone", "bird", "airplane", "helicopter",
                                               "clutter", "uncertain"};

static int class_index(const char *s)
{
    for (int k = 0; k < NTRUTH - 1; k++)
        if (!strcmp(s, truth_names[k]))
            return k;
    return -1;
}

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) {
        h ^= (uint8_t)*s;
        h *= 1099511628211ull;
    }
    return h;
}

static int cmp_stratum(const void *a, const void *b)
{
    const clip *x = a, *y = b;
    int c = strcmp(x->sensor, y->sensor);
    if (!c)
        c = strcmp(x->cls, y->cls);
    if (!c)
        c = strcmp(x->bin, y->bin);
    if (!c)
        c = (x->hash > y->hash) - (x->hash < y->hash);
    return c;
}

static int load_index(const char *dir, unsigned seed, clip *cl, int *n)
{
    char path[1024], line[512];
    snprintf(path, sizeof path, "%s/index.csv", dir);
    FILE *fp = fopen(path, "r");
    if (!fp) {
        fprintf(stderr, "sg_camscore: %s: cannot open\n", path);
        return -1;
    }
    *n = 0;
    int ln = 0;
    while (fgets(line, sizeof line, fp)) {
        if (ln++ == 0)
            continue;
        clip *c = &cl[*n];
        if (*n >= MAX_CLIPS ||
            sscanf(line, "%63[^,],%7[^,],%15[^,],%15[^,],%d", c->name, c->sensor, c->cls, c->bin,
                   &c->frames) != 5 || class_index(c->cls) < 0) {
            fprintf(stderr, "sg_camscore: %s:%d: malformed row\n", path, ln);
            fclose(fp);
            return -1;
        }
        char key[128];
        snprintf(key, sizeof key, "skyguard-camsplit-%u/%s", seed, c->name);
        c->hash = fnv1a(key);
        (*n)++;
    }
    fclose(fp);
    qsort(cl, (size_t)*n, sizeof *cl, cmp_stratum);
    for (int i = 0, r = 0; i < *n; i++) {
        if (i > 0 && (strcmp(cl[i].sensor, cl[i - 1].sensor) || strcmp(cl[i].cls, cl[i - 1].cls) ||
                      strcmp(cl[i].bin, cl[i - 1].bin)))
            r = 0;
        cl[i].split = r % 4 == 1 ? "val" : r % 8 == 3 ? "calib" : "train";
        r++;
    }
    return 0;
}

static int load_labels(const char *dir, run_ctx *x)
{
    char path[1024], line[256];
    snprintf(path, sizeof path, "%s/labels/%s.csv", dir, x->c->name);
    FILE *fp = fopen(path, "r");
    if (!fp) {
        fprintf(stderr, "sg_camscore: %s: cannot open\n", path);
        return -1;
    }
    int cap = 1024, ln = 0;
    x->b = malloc((size_t)cap * sizeof *x->b);
    x->nb = 0;
    while (x->b && fgets(line, sizeof line, fp)) {
        if (ln++ == 0)
            continue;
        char cls[32];
        box b;
        if (sscanf(line, "%d,%*[^,],%31[^,],%lf,%lf,%lf,%lf", &b.frame, cls, &b.x, &b.y, &b.w,
                   &b.h) != 6 || (b.cls = class_index(cls)) < 0 || b.frame < 0 ||
            (x->nb && b.frame < x->b[x->nb - 1].frame)) {
            fprintf(stderr, "sg_camscore: %s:%d: malformed or unsorted row\n", path, ln);
            fclose(fp);
            return -1;
        }
        if (x->nb == cap) {
            box *nbx = realloc(x->b, (size_t)(cap *= 2) * sizeof *x->b);
            if (!nbx)
                break;
            x->b = nbx;
        }
        x->b[x->nb++] = b;
    }
    fclose(fp);
    if (!x->b) {
        fprintf(stderr, "sg_camscore: out of memory\n");
        return -1;
    }
    x->nframes = x->nb ? x->b[x->nb - 1].frame + 1 : 0;
    if (x->nframes < x->c->frames)
        x->nframes = x->c->frames;
    x->first = malloc((size_t)(x->nframes + 2) * sizeof *x->first);
    if (!x->first) {
        fprintf(stderr, "sg_camscore: out of memory\n");
        return -1;
    }
    for (int f = 0, i = 0; f <= x->nframes; f++) {
        while (i < x->nb && x->b[i].frame < f)
            i++;
        x->first[f] = i;
    }
    x->first[x->nframes + 1] = x->nb;
    return 0;
}

/* Label box of frame fr matched by detection d, or -1. */
static int match(const run_ctx *x, int fr, const skydet_det *d)
{
    if (fr < 0 || fr >= x->nframes)
        return -1;
    int best = -1;
    double bd = INFINITY;
    for (int i = x->first[fr]; i < x->first[fr + 1]; i++) {
        const box *b = &x->b[i];
        double m = fmax(4.0, 0.25 * fmax(b->w, b->h));
        if (d->x1 < b->x - m || d->x0 > b->x + b->w - 1 + m || d->y1 < b->y - m ||
            d->y0 > b->y + b->h - 1 + m)
            continue;
        double dist = hypot(d->x - (b->x + 0.5 * (b->w - 1)), d->y - (b->y + 0.5 * (b->h - 1)));
        if (dist < bd) {
            bd = dist;
            best = i;
        }
    }
    return best;
}

static int pred_index(const char *cls, bool model)
{
    if (!model)
        return 0; /* without a classifier every detection is a drone report */
    for (int k = 0; k < NPRED; k++)
        if (!strcmp(cls, pred_names[k]))
            return k;
    return NPRED - 1;
}

/* Is d near (but not matching) a label box of frame fr: within two box sizes + 16 px. */
static bool near_box(const run_ctx *x, int fr, const skydet_det *d)
{
    if (fr < 0 || fr >= x->nframes)
        return false;
    for (int i = x->first[fr]; i < x->first[fr + 1]; i++) {
        const box *b = &x->b[i];
        double m = 2.0 * fmax(b->w, b->h) + 16.0;
        if (d->x1 >= b->x - m && d->x0 <= b->x + b->w - 1 + m && d->y1 >= b->y - m &&
            d->y0 <= b->y + b->h - 1 + m)
            return true;
    }
    return false;
}

static void count_false(run_ctx *x, int fr, const camera_frame *f, size_t i, int truth)
{
    int k;
    if (truth >= 1 && truth <= 3)
        k = truth == 1 ? FA_BIRD : truth == 2 ? FA_AIRPLANE : FA_HELI;
    else if (near_box(x, fr, &f->dets[i]))
        k = FA_FRAGMENT;
    else if (f->dets[i].texture > 3.0 ||
             (x->skyline_k >= 0 && f->feats[i * CAMFEAT_N + (size_t)x->skyline_k] > 0))
        k = FA_GROUND;
    else
        k = FA_SKY;
    x->sc->fa[k]++;
    x->clip_fa[k]++;
}

/* A drone-labelled frame without a drone report on the drone: why. */
static void count_miss(run_ctx *x, int fr, const camera_frame *f)
{
    int k = MISS_NO_BLOB;
    for (size_t i = 0; i < f->n_dets; i++) {
        int bi = match(x, fr, &f->dets[i]);
        if (bi >= 0 && x->b[bi].cls == 0)
            k = MISS_CLASSIFIED;
    }
    for (size_t i = 0; i < f->n_cands && k == MISS_NO_BLOB; i++) {
        int bi = match(x, fr, &f->cands[i]);
        if (bi >= 0 && x->b[bi].cls == 0)
            k = MISS_UNCONFIRMED;
    }
    x->sc->miss[k]++;
    x->clip_miss[k]++;
    if (f->t - x->t0 < 1.0)
        x->sc->miss_early++;
}

/* --sweep: the publishing rule of camera_classify (argmax; a drone below the threshold
 * is uncertain) on the published (smoothed) probabilities p, at each threshold. */
static void sweep_count(run_ctx *x, const double *p, int truth, bool *hit)
{
    int best = 0;
    for (int k = 1; k < CAMCLS_N; k++)
        if (p[k] > p[best])
            best = k;
    for (int k = 0; k < x->n_sweep && best == CAMCLS_DRONE; k++) {
        if (p[0] < x->sweep[k])
            continue;
        x->sc->sw_reports[k]++;
        if (truth == 0) {
            x->sc->sw_ok[k]++;
            hit[k] = true;
        } else if (!x->drone_clip) {
            x->sc->sw_false[k]++;
        }
    }
}

static int on_frame(void *user, const camera_frame *f)
{
    run_ctx *x = user;
    score *s = x->sc;
    int fr = (int)f->index;
    if (fr == 0)
        x->t0 = f->t;
    bool has_drone = false, hit = false, sw_hit[MAX_SWEEP] = {false};
    if (fr < x->nframes)
        for (int i = x->first[fr]; i < x->first[fr + 1]; i++)
            has_drone |= x->b[i].cls == 0;
    for (size_t i = 0; i < f->n_dets; i++) {
        int bi = match(x, fr, &f->dets[i]);
        int truth = bi >= 0 ? x->b[bi].cls : NTRUTH - 1;
        int pred = pred_index(f->meas[i].cls, f->probs != NULL);
        s->conf[truth][pred]++;
        if (f->probs)
            sweep_count(x, f->probs + i * CAMCLS_N, truth, sw_hit);
        if (!x->seen && bi >= 0 && x->b[bi].cls == x->object_cls) {
            x->seen = true;
            double dt = f->t - x->t0;
            s->first_sum += dt;
            s->first_n++;
            if (dt > s->first_max)
                s->first_max = dt;
            x->first_s = dt;
        }
        if (pred == 0) {
            s->reports++;
            x->clip_reports++;
            if (truth == 0) {
                s->reports_ok++;
                x->clip_ok++;
                hit = true;
                if (x->drone_clip && !x->drone_seen) {
                    x->drone_seen = true;
                    x->drone_first_s = f->t - x->t0;
                    s->drone_first_sum += x->drone_first_s;
                    s->drone_first_n++;
                    if (x->drone_first_s > s->drone_first_max)
                        s->drone_first_max = x->drone_first_s;
                }
            } else if (!x->drone_clip) {
                s->free_false++;
            }
            if (truth != 0 && x->breakdown)
                count_false(x, fr, f, i, truth);
        }
        if (x->dets) {
            const skydet_det *d = &f->dets[i];
            fprintf(x->dets, "%s,%s,%s,%d,%.4f,%u,%s,%s,%.2f,%.2f,%d,%d", x->c->name, x->c->sensor,
                    x->c->cls, fr, f->t - x->t0, d->track_id, truth_names[truth],
                    pred_names[pred], d->x, d->y, d->x1 - d->x0 + 1, d->y1 - d->y0 + 1);
            for (int k = 0; k < CAMCLS_N; k++)
                fprintf(x->dets, ",%.5g", f->probs ? f->probs[i * CAMCLS_N + k] : 0.0);
            for (int k = 0; k < CAMFEAT_N; k++)
                fprintf(x->dets, ",%.5g", f->feats[i * CAMFEAT_N + k]);
            fputc('\n', x->dets);
        }
        if (x->feat && f->dets[i].track_id % (unsigned)x->every == (unsigned)fr % (unsigned)x->every) {
            fprintf(x->feat, "%s,%s,%s,%d,%u,%s", x->c->name, x->c->split, x->c->sensor, fr,
                    f->dets[i].track_id, truth_names[truth]);
            for (int k = 0; k < CAMFEAT_N; k++)
                fprintf(x->feat, ",%.6g", f->feats[i * CAMFEAT_N + k]);
            fputc('\n', x->feat);
            if (x->crops)
                fwrite(f->crops + i * CAMCROP_N, sizeof(float), CAMCROP_N, x->crops);
        }
    }
    s->frames++;
    x->clip_frames++;
    if (!x->drone_clip)
        s->free_frames++;
    if (has_drone) {
        s->drone_frames++;
        s->drone_hits += hit;
        for (int k = 0; k < x->n_sweep; k++)
            s->sw_hits[k] += sw_hit[k];
        if (!hit && x->breakdown)
            count_miss(x, fr, f);
    }
    return 0;
}

static double ratio(uint64_t a, uint64_t b)
{
    return b ? (double)a / (double)b : 0.0;
}

static void print_score(const char *what, const score *s, bool model, const double *sweep,
                        int n_sweep)
{
    printf("== %s: %llu frames\n", what, (unsigned long long)s->frames);
    printf("recall %.3f (%llu/%llu drone frames)  precision %.3f (%llu/%llu drone reports)  "
           "false_drone_per_frame %.3f (%llu in %llu drone-free frames)\n",
           s->drone_frames ? (double)s->drone_hits / s->drone_frames : 0.0,
           (unsigned long long)s->drone_hits, (unsigned long long)s->drone_frames,
           s->reports ? (double)s->reports_ok / s->reports : 0.0,
           (unsigned long long)s->reports_ok, (unsigned long long)s->reports,
           s->free_frames ? (double)s->free_false / s->free_frames : 0.0,
           (unsigned long long)s->free_false, (unsigned long long)s->free_frames);
    for (int k = 0; k < n_sweep && s->frames; k++)
        printf("sweep drone_min_conf %.3f: recall %.3f (%llu)  precision %.3f (%llu/%llu)  "
               "false_drone_per_frame %.3f (%llu)\n",
               sweep[k], ratio(s->sw_hits[k], s->drone_frames), (unsigned long long)s->sw_hits[k],
               ratio(s->sw_ok[k], s->sw_reports[k]), (unsigned long long)s->sw_ok[k],
               (unsigned long long)s->sw_reports[k], ratio(s->sw_false[k], s->free_frames),
               (unsigned long long)s->sw_false[k]);
    printf("first_detection_s mean %.2f max %.2f (%d clips, %d never)  "
           "first_drone_report_s (drone clips) mean %.2f max %.2f (%d clips, %d never)\n",
           s->first_n ? s->first_sum / s->first_n : 0.0, s->first_max, s->first_n, s->first_missed,
           s->drone_first_n ? s->drone_first_sum / s->drone_first_n : 0.0, s->drone_first_max,
           s->drone_first_n, s->drone_first_missed);
    printf("confusion (rows truth, columns published%s):\n%-11s", model ? "" : "; no classifier: all drone",
           "");
    for (int p = 0; p < NPRED; p++)
        printf(" %10s", pred_names[p]);
    printf("\n");
    for (int t = 0; t < NTRUTH; t++) {
        printf("%-11s", truth_names[t]);
        for (int p = 0; p < NPRED; p++)
            printf(" %10llu", (unsigned long long)s->conf[t][p]);
        printf("\n");
    }
    uint64_t nfa = 0, nmiss = 0;
    for (int k = 0; k < NBD_FA; k++)
        nfa += s->fa[k];
    for (int k = 0; k < NBD_MISS; k++)
        nmiss += s->miss[k];
    if (!nfa && !nmiss)
        return;
    printf("false drone reports by source (all clips, %llu):", (unsigned long long)nfa);
    for (int k = 0; k < NBD_FA; k++)
        printf(" %s %llu", fa_names[k], (unsigned long long)s->fa[k]);
    printf("\nmissed drone frames by cause (%llu, %llu in the first 1 s):",
           (unsigned long long)nmiss, (unsigned long long)s->miss_early);
    for (int k = 0; k < NBD_MISS; k++)
        printf(" %s %llu", miss_names[k], (unsigned long long)s->miss[k]);
    printf("\n");
}

/* "0.3,0.4,0.5" -> v[], n; non-zero on a bad list */
static int parse_sweep(const char *s, double *v, int *n)
{
    *n = 0;
    for (;;) {
        char *end;
        double t = strtod(s, &end);
        if (end == s || !(t >= 0 && t <= 1) || *n == MAX_SWEEP)
            return -1;
        v[(*n)++] = t;
        if (!*end)
            return 0;
        if (*end != ',')
            return -1;
        s = end + 1;
    }
}

static void usage(void)
{
    fprintf(stderr,
            "usage: sg_camscore [options]\n"
            "  --data DIR          labelled clips (index.csv, clips/, labels/), required,\n"
            "                      e.g. ../shared/fixtures/video-train\n"
            "  --split S           train | calib | val | all (default val)\n"
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
            "                      these drone_min_conf values (up to 16), in the same run\n");
}

int main(int argc, char **argv)
{
    const char *dir = NULL, *split = "val", *sensor = NULL, *model = NULL;
    const char *feat_path = NULL, *crop_path = NULL, *dets_path = NULL;
    unsigned seed = 1;
    double seconds = 0, min_conf = -1; /* -1: the model's drone_min_conf, else 0.5 */
    int max_clips = 0, every = 3, max_shift = -1, smooth = 0, inherit_frames = -1;
    double inherit_px = -1;
    double merge_frac = -1;
    bool list = false, per_clip = false, breakdown = false;
    const char *det_json = NULL;
    double sweep[MAX_SWEEP];
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
        case 'W':
            if (parse_sweep(optarg, sweep, &n_sweep)) {
                fprintf(stderr, "sg_camscore: --sweep: 1..%d comma-separated values in [0, 1], "
                        "got \"%s\"\n", MAX_SWEEP, optarg);
                return 2;
            }
            break;
        default: usage(); return o == 'h' ? 0 : 2;
        }
    }
    if (optind != argc || !dir || (crop_path && !feat_path) || every < 1 || smooth < 0 ||
        smooth > 1000 || inherit_frames > 300 || inherit_px > 1000 ||
        (min_conf != -1 && !(min_conf >= 0 && min_conf <= 1)) ||
        (strcmp(split, "train") && strcmp(split, "calib") && strcmp(split, "val") &&
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
    int skyline_k = -1;
    for (int k = 0; k < CAMFEAT_N; k++)
        if (!strcmp(camfeat_name(k), "skyline_depth"))
            skyline_k = k;
    static clip cl[MAX_CLIPS];
    int n;
    if (load_index(dir, seed, cl, &n))
        return 1;
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
    static score sc[2]; /* V, IR */
    int done = 0, rc = 0;
    for (int i = 0; i < n && !rc; i++) {
        const clip *c = &cl[i];
        if ((strcmp(split, "all") && strcmp(split, c->split)) || (sensor && strcmp(sensor, c->sensor)))
            continue;
        if (max_clips && done >= max_clips)
            break;
        bool ir = !strcmp(c->sensor, "IR");
        run_ctx x = {.c = c, .sc = &sc[ir], .feat = feat, .crops = crops, .dets = dets,
                     .every = every,
                     .per_clip = per_clip, .breakdown = breakdown, .skyline_k = skyline_k,
                     .n_sweep = n_sweep, .sweep = sweep};
        x.object_cls = class_index(c->cls);
        x.drone_clip = x.object_cls == 0;
        if (load_labels(dir, &x)) {
            rc = 1;
            break;
        }
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
        sg_errinfo e = {0};
        if (det_obj && skydet_cfg_from_json(&cfg.det, det_obj, "--detector", &e)) {
            fprintf(stderr, "sg_camscore: %s\n", e.msg);
            rc = 1;
            free(x.b);
            free(x.first);
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
        if (!x.seen)
            x.sc->first_missed++;
        if (x.drone_clip && !x.drone_seen)
            x.sc->drone_first_missed++;
        if (per_clip && cam)
            printf("clip %s %s frames %llu drone_reports %llu on_drone %llu first_s %.2f "
                   "first_drone_s %.2f blobs_dropped %llu tracklets_dropped %llu\n",
                   c->name, c->split, (unsigned long long)x.clip_frames,
                   (unsigned long long)x.clip_reports, (unsigned long long)x.clip_ok,
                   x.seen ? x.first_s : -1.0, x.drone_seen ? x.drone_first_s : -1.0,
                   (unsigned long long)st.blobs_dropped, (unsigned long long)st.tracklets_dropped);
        if (per_clip && cam && breakdown) {
            printf("  false:");
            for (int k = 0; k < NBD_FA; k++)
                printf(" %s %llu", fa_names[k], (unsigned long long)x.clip_fa[k]);
            printf("  missed:");
            for (int k = 0; k < NBD_MISS; k++)
                printf(" %s %llu", miss_names[k], (unsigned long long)x.clip_miss[k]);
            printf("\n");
        }
        free(x.b);
        free(x.first);
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
    printf("split %s seed %u clips %d model %s drone_min_conf %.2f\n", split, seed, done,
           model ? model : "none", min_conf);
    print_score("visible (V)", &sc[0], model != NULL, sweep, n_sweep);
    print_score("thermal (IR)", &sc[1], model != NULL, sweep, n_sweep);
    return 0;
}
