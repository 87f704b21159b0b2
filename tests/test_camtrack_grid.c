/* The offline replay of the camera's track decision (tools/camtrack_grid.py, which the
 * cam-trk figures of docs/camera-history.md rest on) against the C code it replays (dsp/camtrack.c
 * + camera_classify's publishing rule): the same rows, written as an sg_camscore --dets
 * dump, go through camtrack_update here and through the script's decide() there, and the
 * drone reports must be the same row for row, for class_smooth 1 / 3 / 30 and fragment
 * inheritance off / on; the script's counts (score()) must be the ones counted here.
 * The scene: a drone whose track breaks twice (inheritance within 15 frames and 16 px +
 * size), a bird beside it all along, a new track near the still-present bird (no
 * inheritance), one after the bird's track has ended too long ago (none), seeded noisy
 * probabilities with values below the 0.01 floor; plus a three-row track with
 * hand-computed answers (the running mean of floored logs, and a drone argmax below
 * drone_min_conf 0.5 that is not a report), and a drone-free clip for the false counts.
 * Skipped (77) without python3-numpy. SEED below. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "camtrack.h"
#include "file_helpers.h"
#include "sg_assert.h"

#define SEED 0x5eedca11f00dull
#include "test_rng.h"

#define PY "/usr/bin/python3"
#define MAXROWS 512

typedef struct {
    const char *clip;
    int frame;
    uint32_t track;
    double x, y; /* px, centroid */
    int size;    /* px, square box side */
    const char *truth;
    double p[CAMCLS_N]; /* classifier output (the dump of --class-smooth 1) */
} row;

static row rows[MAXROWS];
static int nrows;
static char dir[256];

static void add(const char *clip, int frame, uint32_t track, double x, double y, int size,
                const char *truth, const double *p)
{
    assert_true(nrows < MAXROWS);
    row *r = &rows[nrows++];
    *r = (row){clip, frame, track, x, y, size, truth, {0}};
    memcpy(r->p, p, sizeof r->p);
}

/* Noisy probabilities leaning to class k; now and then one class far below the floor. */
static void noisy(int k, double lean, double *p)
{
    double s = 0;
    for (int c = 0; c < CAMCLS_N; c++) {
        p[c] = (c == k ? lean : (1 - lean) / (CAMCLS_N - 1)) * (0.3 + 1.4 * urand());
        if (urand() < 0.15)
            p[c] = 1e-4 * urand();
        s += p[c];
    }
    for (int c = 0; c < CAMCLS_N; c++)
        p[c] /= s;
}

/* The hand-computed track (clip V_DRONE_T2): two confident drone rows, then one with
 * P(drone) 1e-5, floored to 0.01. Mean of logs after three: drone (2 ln 0.9 + ln 0.01) / 3,
 * each other class (2 ln 0.025 + ln 0.2499975) / 3: drone is the argmax, with
 * probability 1 / (1 + 4 exp(other - drone)) = 0.48245 < 0.5: uncertain, no report.
 * (Without the floor the others would win; either way no report.) */
static const double P_SURE[CAMCLS_N] = {0.9, 0.025, 0.025, 0.025, 0.025};
static const double P_NONE[CAMCLS_N] = {1e-5, 0.2499975, 0.2499975, 0.2499975, 0.2499975};

static void build_scene(void)
{
    nrows = 0;
    rng = SEED;
    double p[CAMCLS_N];
    /* V_DRONE_T1, 50 frames, drone-labelled throughout:
     *   drone track 1 frames 0..14 at x 100 + f; breaks; track 2 from frame 18 (gap 4,
     *   4 px from where 1 ended) to 29 (x 129); track 5 from frame 44 (gap 15, the
     *   window's edge) at x 149 (20 px: within 16 px + the size 10, not within 16);
     *   track 9, a side fragment at x 152 in frames 44 and 45: near track 2 too, but
     *   track 2's evidence went to track 5 (each ended track once);
     *   bird track 3 at (300, 100) frames 0..24; track 4 at (300, 112) from frame 20
     *   to 29, each frame's row before track 3's: track 3, last seen the frame before,
     *   is still present (no inheritance from a present track);
     *   track 6 at (300, 100) frames 45..49: 3 and 4 ended 21 and 16 frames before
     *   (too long ago). */
    for (int f = 0; f < 50; f++) {
        if (f <= 14 || (f >= 18 && f <= 29) || f >= 44) {
            uint32_t id = f <= 14 ? 1 : f <= 29 ? 2 : 5;
            double x = f <= 14 ? 100 + f : f <= 29 ? 118 + (f - 18) : 149 + (f - 44);
            noisy(CAMCLS_DRONE, urand() < 0.2 ? 0.2 : 0.6, p);
            add("V_DRONE_T1", f, id, x, 100, 10, "drone", p);
        }
        if (f == 44 || f == 45) {
            noisy(CAMCLS_DRONE, 0.5, p);
            add("V_DRONE_T1", f, 9, 152, 100, 10, "clutter", p);
        }
        if (f >= 20 && f <= 29) {
            noisy(urand() < 0.5 ? CAMCLS_DRONE : 1, 0.45, p);
            add("V_DRONE_T1", f, 4, 300, 112, 8, "clutter", p);
        }
        if (f <= 24) {
            noisy(1, 0.5, p);
            add("V_DRONE_T1", f, 3, 300, 100, 14, "clutter", p);
        }
        if (f >= 45) {
            noisy(CAMCLS_DRONE, 0.5, p);
            add("V_DRONE_T1", f, 6, 300, 100, 14, "clutter", p);
        }
    }
    add("V_DRONE_T2", 0, 7, 50, 50, 6, "drone", P_SURE);
    add("V_DRONE_T2", 1, 7, 51, 50, 6, "drone", P_SURE);
    add("V_DRONE_T2", 2, 7, 52, 50, 6, "drone", P_NONE);
    /* V_BIRD_T3, 20 frames: a bird (truth bird) often taken for a drone */
    for (int f = 0; f < 20; f++) {
        noisy(urand() < 0.5 ? CAMCLS_DRONE : 1, 0.55, p);
        add("V_BIRD_T3", f, 1, 200 + f, 80, 12, "bird", p);
    }
}

static void put(const char *rel, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* index.csv, labels (drone boxes on every frame of the drone clips, bird boxes on the
 * bird clip) and the dump in sg_camscore --dets's columns (features left out: the
 * replay does not read them). */
static void write_files(void)
{
    put("index.csv", "clip,sensor,class,distance_bin,frames,width,height,fps,bytes\n"
                     "V_DRONE_T1,V,drone,close,50,640,512,30,1\n"
                     "V_DRONE_T2,V,drone,close,3,640,512,30,1\n"
                     "V_BIRD_T3,V,bird,close,20,640,512,30,1\n");
    static const struct { const char *clip, *cls; int frames; } L[3] = {
        {"V_DRONE_T1", "drone", 50}, {"V_DRONE_T2", "drone", 3}, {"V_BIRD_T3", "bird", 20}};
    char path[512];
    for (int k = 0; k < 3; k++) {
        snprintf(path, sizeof path, "%s/labels/%s.csv", dir, L[k].clip);
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fprintf(f, "frame,t_s,class,x,y,w,h\n");
        for (int fr = 0; fr < L[k].frames; fr++)
            fprintf(f, "%d,%.6f,%s,10,10,20,20\n", fr, fr / 30.0, L[k].cls);
        fclose(f);
    }
    snprintf(path, sizeof path, "%s/dets.csv", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "clip,sensor,clip_class,frame,t,track,truth,published,x,y,w,h");
    for (int k = 0; k < CAMCLS_N; k++)
        fprintf(f, ",p_%s", camcls_name(k));
    fputc('\n', f);
    for (int i = 0; i < nrows; i++) {
        const row *r = &rows[i];
        fprintf(f, "%s,V,%s,%d,%.4f,%u,%s,drone,%.2f,%.2f,%d,%d", r->clip,
                strstr(r->clip, "BIRD") ? "bird" : "drone", r->frame, r->frame / 30.0, r->track,
                r->truth, r->x, r->y, r->size, r->size);
        for (int k = 0; k < CAMCLS_N; k++)
            fprintf(f, ",%.17g", r->p[k]);
        fputc('\n', f);
    }
    fclose(f);
}

/* dsp/camtrack.c + camera_classify (argmax; a drone below 0.5 is uncertain): per row, is
 * it a drone report; pub: the published probabilities (nrows x CAMCLS_N) or NULL. */
static void c_decide(int smooth, int inherit, bool *rep, double *pub)
{
    camtrack *t = NULL;
    const char *clip = NULL;
    for (int i = 0; i < nrows;) {
        if (!clip || strcmp(clip, rows[i].clip)) {
            camtrack_destroy(t);
            sg_errinfo e = {0};
            t = camtrack_create(&(camtrack_cfg){smooth, inherit, 16}, 64, &e);
            if (!t)
                fail_msg("camtrack_create: %s", e.msg);
            clip = rows[i].clip;
        }
        int j = i;
        skydet_det d[8];
        double p[8 * CAMCLS_N];
        while (j < nrows && !strcmp(rows[j].clip, clip) && rows[j].frame == rows[i].frame) {
            const row *r = &rows[j];
            assert_true(j - i < 8);
            skydet_det *q = &d[j - i];
            *q = (skydet_det){0};
            q->x = r->x;
            q->y = r->y;
            q->x0 = (int)r->x - r->size / 2;
            q->x1 = q->x0 + r->size - 1;
            q->y0 = (int)r->y - r->size / 2;
            q->y1 = q->y0 + r->size - 1;
            q->track_id = r->track;
            q->confirmed = true;
            memcpy(&p[(j - i) * CAMCLS_N], r->p, sizeof r->p);
            j++;
        }
        camtrack_update(t, (uint64_t)rows[i].frame, d, (size_t)(j - i), p);
        for (int k = i; k < j; k++) {
            const double *q = &p[(k - i) * CAMCLS_N];
            int best = 0;
            for (int c = 1; c < CAMCLS_N; c++)
                if (q[c] > q[best])
                    best = c;
            rep[k] = best == CAMCLS_DRONE && q[0] >= 0.5;
            if (pub)
                memcpy(&pub[k * CAMCLS_N], q, CAMCLS_N * sizeof *q);
        }
        i = j;
    }
    camtrack_destroy(t);
}

/* The script's decide() and score() on the dump: "R <0/1 per row>" and "C hits dfr ok
 * reports fal ff" per setting, in the order of SETTINGS. */
static const int SETTINGS[][2] = {{1, 0}, {3, 0}, {3, 15}, {30, 0}, {30, 15}};
#define NSET (int)(sizeof SETTINGS / sizeof *SETTINGS)

static void run_python(char rep[][MAXROWS + 1], long cnt[][6])
{
    char drv[600];
    snprintf(drv, sizeof drv, "%s/drive.py", dir);
    FILE *f = fopen(drv, "w");
    assert_non_null(f);
    fprintf(f, "import sys\nsys.path.insert(0, '%s/tools')\nimport camtrack_grid as g\n"
               "D = g.Dump(sys.argv[1], sys.argv[2])\n"
               "for s, inh in ((1, 0), (3, 0), (3, 15), (30, 0), (30, 15)):\n"
               "    rep = g.decide(D, s, inh)\n"
               "    print('R', ''.join('1' if v else '0' for v in rep))\n"
               "    print('C', *g.score(D, rep)[1])\n",
            SG_SOURCE_DIR);
    fclose(f);
    char cmd[1600];
    snprintf(cmd, sizeof cmd, PY " %s %s/dets.csv %s", drv, dir, dir);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    static char line[MAXROWS + 64];
    int nr = 0, nc = 0;
    while (fgets(line, sizeof line, p)) {
        line[strcspn(line, "\n")] = 0;
        if (line[0] == 'R' && nr < NSET)
            snprintf(rep[nr++], MAXROWS + 1, "%s", line + 2);
        else if (line[0] == 'C' && nc < NSET &&
                 sscanf(line + 2, "%ld %ld %ld %ld %ld %ld", &cnt[nc][0], &cnt[nc][1],
                        &cnt[nc][2], &cnt[nc][3], &cnt[nc][4], &cnt[nc][5]) == 6)
            nc++;
    }
    int st = pclose(p);
    if (st != 0 || nr != NSET || nc != NSET)
        fail_msg("%s: status %d, %d decision and %d count lines", cmd, st, nr, nc);
}

static bool clip_is_drone(const char *clip)
{
    return !strstr(clip, "BIRD");
}

static void test_replay_matches_camtrack(void **state)
{
    (void)state;
    build_scene();
    write_files();
    static char prep[NSET][MAXROWS + 1];
    long cnt[NSET][6];
    run_python(prep, cnt);
    for (int s = 0; s < NSET; s++) {
        bool rep[MAXROWS];
        c_decide(SETTINGS[s][0], SETTINGS[s][1], rep, NULL);
        assert_int_equal((int)strlen(prep[s]), nrows);
        for (int i = 0; i < nrows; i++)
            if ((prep[s][i] == '1') != rep[i])
                fail_msg("class_smooth %d inherit %d: row %d (%s frame %d track %u): C %d, "
                         "camtrack_grid.py %c (seed 0x%llx)",
                         SETTINGS[s][0], SETTINGS[s][1], i, rows[i].clip, rows[i].frame,
                         rows[i].track, rep[i], prep[s][i], (unsigned long long)SEED);
        /* score(): hits over drone-labelled frames, reports, false on drone-free clips */
        long hits = 0, dfr = 50 + 3, ok = 0, reports = 0, fal = 0, ff = 20;
        int last_hit_frame = -1;
        const char *last_clip = "";
        for (int i = 0; i < nrows; i++) {
            if (!rep[i])
                continue;
            reports++;
            if (!strcmp(rows[i].truth, "drone")) {
                ok++;
                if (strcmp(last_clip, rows[i].clip) || rows[i].frame != last_hit_frame)
                    hits++;
                last_clip = rows[i].clip;
                last_hit_frame = rows[i].frame;
            } else if (!clip_is_drone(rows[i].clip)) {
                fal++;
            }
        }
        long want[6] = {hits, dfr, ok, reports, fal, ff};
        for (int k = 0; k < 6; k++)
            if (cnt[s][k] != want[k])
                fail_msg("class_smooth %d inherit %d: score() count %d is %ld, counted %ld",
                         SETTINGS[s][0], SETTINGS[s][1], k, cnt[s][k], want[k]);
    }
    /* the scene does what it is for: inheritance changes some decisions, smoothing too */
    int diff_inh = 0, diff_smooth = 0;
    for (int i = 0; i < nrows; i++) {
        diff_inh += prep[2][i] != prep[1][i];
        diff_smooth += prep[3][i] != prep[0][i];
    }
    assert_true(diff_inh > 0);
    assert_true(diff_smooth > 0);
}

/* Hand-computed rows: the C code's published probabilities and both decisions. */
static void test_hand_computed(void **state)
{
    (void)state;
    build_scene();
    write_files();
    static char prep[NSET][MAXROWS + 1];
    long cnt[NSET][6];
    run_python(prep, cnt);
    static double pub[MAXROWS * CAMCLS_N];
    bool rep[MAXROWS];
    c_decide(3, 0, rep, pub);
    int i0 = -1;
    for (int i = 0; i < nrows && i0 < 0; i++)
        if (!strcmp(rows[i].clip, "V_DRONE_T2"))
            i0 = i;
    assert_true(i0 >= 0);
    double ld = (2 * log(0.9) + log(0.01)) / 3, lo = (2 * log(0.025) + log(0.2499975)) / 3;
    double pd = 1 / (1 + 4 * exp(lo - ld));
    assert_near(pd, 0.48245, 1e-5);
    assert_near(pub[(i0 + 2) * CAMCLS_N], pd, 1e-12);
    assert_near(pub[(i0 + 1) * CAMCLS_N], 0.9, 1e-12); /* mean of two equal rows */
    for (int s = 1; s < NSET; s++) { /* smooth 3 and 30: a plain mean over three */
        assert_int_equal(prep[s][i0] - '0', 1);
        assert_int_equal(prep[s][i0 + 1] - '0', 1);
        assert_int_equal(prep[s][i0 + 2] - '0', 0);
    }
    /* smooth 1: each row alone; the third is a bird-or-other argmax, not a report */
    assert_int_equal(prep[0][i0 + 2] - '0', 0);
    /* the drone track's first break: track 2's first row (frame 18) continues track 1 with
     * inheritance, so its published probabilities are the mean over 16 rows of evidence,
     * not its own row */
    int i2 = -1;
    for (int i = 0; i < nrows && i2 < 0; i++)
        if (rows[i].track == 2 && !strcmp(rows[i].clip, "V_DRONE_T1"))
            i2 = i;
    c_decide(30, 15, rep, pub);
    double lp[CAMCLS_N] = {0};
    int n = 0;
    for (int i = 0; i <= i2; i++) {
        if (strcmp(rows[i].clip, "V_DRONE_T1") || (rows[i].track != 1 && rows[i].track != 2))
            continue;
        n++;
        for (int c = 0; c < CAMCLS_N; c++)
            lp[c] += (log(fmax(rows[i].p[c], CAMTRACK_P_FLOOR)) - lp[c]) / n;
    }
    assert_int_equal(n, 16);
    double mx = lp[0], sum = 0;
    for (int c = 1; c < CAMCLS_N; c++)
        mx = fmax(mx, lp[c]);
    for (int c = 0; c < CAMCLS_N; c++)
        sum += exp(lp[c] - mx);
    for (int c = 0; c < CAMCLS_N; c++)
        assert_near(pub[i2 * CAMCLS_N + c], exp(lp[c] - mx) / sum, 1e-12);
}

static int setup(void **state)
{
    (void)state;
    if (scratch_dir_make(dir, sizeof dir, "camtrack_grid"))
        return -1;
    char sub[300];
    snprintf(sub, sizeof sub, "%s/labels", dir);
    return mkdir(sub, 0700);
}

static int teardown(void **state)
{
    (void)state;
    return scratch_dir_remove(dir);
}

int main(void)
{
    if (system(PY " -c 'import numpy' 2>/dev/null") != 0) {
        printf("test_camtrack_grid: skipped: " PY " has no numpy module "
               "(apt-get install python3-numpy)\n");
        return 77;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_replay_matches_camtrack),
        cmocka_unit_test(test_hand_computed),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
