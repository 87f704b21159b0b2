/* sg_camscore end to end on two real labelled clips (fixtures/video-train, train split:
 * V_DRONE_080 and IR_BIRD_008, first 2 s each, the committed visible model), checking
 * what does not depend on the detector or the model, so other work on those leaves it
 * true:
 *   - the denominators from the label files: 60 frames per modality, 60 drone-labelled
 *     frames on the drone clip (its label file has a drone box on every frame), 60
 *     drone-free frames on the bird clip, none the other way round;
 *   - every count of the summary recounted from the --dets dump (one row per confirmed
 *     detection): confusion matrix = rows by (truth, published), drone reports, those on
 *     a drone, drone-labelled frames hit (distinct frames), false reports on the bird
 *     clip, missed frames with a detection on the drone published otherwise
 *     (classified_other), the per-clip lines = the modality totals;
 *   - recall / precision / false per frame printed = the counts' ratios;
 *   - --clip-list: the listed clip's figures as in the run over both, nothing else scored,
 *     an unknown clip refused naming it, --split with it a usage error.
 * Skipped (77) when the fixtures or the sg_camscore binary are absent. About 5 s. */
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "file_helpers.h"
#include "sg_assert.h"

#define DATA SG_FIXTURES_DIR "/video-train"
#define TOOL SG_BINARY_DIR "/sg_camscore"

static const char *const CLIPS[2] = {"V_DRONE_080", "IR_BIRD_008"}; /* V, IR */
static const char *const TRUTH[5] = {"drone", "bird", "airplane", "helicopter", "clutter"};
static const char *const PUB[6] = {"drone", "bird", "airplane", "helicopter", "clutter",
                                   "uncertain"};

typedef struct {
    long frames, dfr, hits, reports, ok, fal, ff;
    long conf[5][6];
    long miss[3];           /* no_blob unconfirmed classified_other */
    long clip_reports, clip_ok, clip_frames;
    double recall, precision, fpf;
} modality;

static char dir[256];

static int idx(const char *const *names, int n, const char *s)
{
    for (int k = 0; k < n; k++)
        if (!strcmp(names[k], s))
            return k;
    fail_msg("unknown class \"%s\"", s);
    return -1;
}

/* The scratch data directory: the two clips' index rows, clips and labels (links). */
static void make_data(void)
{
    char p[600], q[600], line[512];
    FILE *in = fopen(DATA "/index.csv", "r");
    assert_non_null(in);
    snprintf(p, sizeof p, "%s/index.csv", dir);
    FILE *out = fopen(p, "w");
    assert_non_null(out);
    for (int ln = 0; fgets(line, sizeof line, in); ln++)
        if (!ln || !strncmp(line, "V_DRONE_080,", 12) || !strncmp(line, "IR_BIRD_008,", 12))
            fputs(line, out);
    fclose(in);
    fclose(out);
    for (int k = 0; k < 2; k++) {
        snprintf(p, sizeof p, DATA "/clips/%s.mp4", CLIPS[k]);
        snprintf(q, sizeof q, "%s/clips/%s.mp4", dir, CLIPS[k]);
        assert_int_equal(symlink(p, q), 0);
        snprintf(p, sizeof p, DATA "/labels/%s.csv", CLIPS[k]);
        snprintf(q, sizeof q, "%s/labels/%s.csv", dir, CLIPS[k]);
        assert_int_equal(symlink(p, q), 0);
    }
}

/* Frames f < n of a label file with a box of class cls. */
static long labelled_frames(const char *clip, const char *cls, int n)
{
    char p[600], line[256];
    snprintf(p, sizeof p, DATA "/labels/%s.csv", clip);
    FILE *f = fopen(p, "r");
    assert_non_null(f);
    long count = 0;
    int last = -1;
    while (fgets(line, sizeof line, f)) {
        int fr;
        char c[32];
        if (sscanf(line, "%d,%*[^,],%31[^,]", &fr, c) == 2 && fr < n && !strcmp(c, cls) &&
            fr != last) {
            count++;
            last = fr;
        }
    }
    fclose(f);
    return count;
}

static void parse_summary(FILE *f, modality *m)
{
    char line[1024];
    int cur = -1, conf_row = -1;
    while (fgets(line, sizeof line, f)) {
        long a, b, c;
        char name[64];
        if (!strncmp(line, "clip ", 5)) {
            int k = strstr(line, "clip IR_") == line ? 1 : 0;
            assert_int_equal(sscanf(line, "clip %63s %*s frames %ld drone_reports %ld on_drone %ld",
                                    name, &a, &b, &c), 4);
            m[k].clip_frames = a;
            m[k].clip_reports = b;
            m[k].clip_ok = c;
        } else if (!strncmp(line, "== visible", 10) || !strncmp(line, "== thermal", 10)) {
            cur = line[3] == 't';
            assert_int_equal(sscanf(strchr(line, ':'), ": %ld frames", &m[cur].frames), 1);
        } else if (cur >= 0 && !strncmp(line, "recall ", 7)) {
            assert_int_equal(
                sscanf(line,
                       "recall %lf (%ld/%ld drone frames)  precision %lf (%ld/%ld drone reports)  "
                       "false_drone_per_frame %lf (%ld in %ld drone-free frames)",
                       &m[cur].recall, &m[cur].hits, &m[cur].dfr, &m[cur].precision, &m[cur].ok,
                       &m[cur].reports, &m[cur].fpf, &m[cur].fal, &m[cur].ff),
                9);
        } else if (cur >= 0 && !strncmp(line, "confusion", 9)) {
            conf_row = -1; /* the header line follows */
            if (!fgets(line, sizeof line, f))
                fail_msg("confusion header missing");
            for (conf_row = 0; conf_row < 5; conf_row++) {
                if (!fgets(line, sizeof line, f))
                    fail_msg("confusion row %d missing", conf_row);
                long *r = m[cur].conf[conf_row];
                assert_int_equal(sscanf(line, "%63s %ld %ld %ld %ld %ld %ld", name, &r[0], &r[1],
                                        &r[2], &r[3], &r[4], &r[5]),
                                 7);
                assert_string_equal(name, TRUTH[conf_row]);
            }
        } else if (cur >= 0 && !strncmp(line, "missed drone frames", 19)) {
            char *s = strstr(line, "no_blob");
            assert_non_null(s);
            assert_int_equal(sscanf(s, "no_blob %ld unconfirmed %ld classified_other %ld",
                                    &m[cur].miss[0], &m[cur].miss[1], &m[cur].miss[2]),
                             3);
        }
    }
}

static bool inputs_absent(void)
{
    if (access(DATA "/index.csv", R_OK) || access(DATA "/clips/V_DRONE_080.mp4", R_OK) ||
        access(DATA "/clips/IR_BIRD_008.mp4", R_OK) || access(TOOL, X_OK)) {
        printf("  (skipped: %s or %s absent)\n", DATA, TOOL);
        return true;
    }
    return false;
}

/* The scratch dir with clips/ and labels/ holding the two clips (make_data). */
static void scratch_data(void)
{
    assert_int_equal(scratch_dir_make(dir, sizeof dir, "camscore_clips"), 0);
    char p[600];
    snprintf(p, sizeof p, "%s/clips", dir);
    assert_int_equal(mkdir(p, 0700), 0);
    snprintf(p, sizeof p, "%s/labels", dir);
    assert_int_equal(mkdir(p, 0700), 0);
    make_data();
}

/* The lines of a modality's section of sg_camscore's output ("== thermal (IR)" up to the
 * next "== " or the end), concatenated into out. */
static void section(const char *path, const char *head, char *out, size_t cap)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[1024];
    bool in = false;
    out[0] = '\0';
    while (fgets(line, sizeof line, f)) {
        if (!strncmp(line, "== ", 3))
            in = !strncmp(line, head, strlen(head));
        if (in) {
            assert_true(strlen(out) + strlen(line) < cap);
            strcat(out, line);
        }
    }
    fclose(f);
}

static void test_two_clips(void **state)
{
    (void)state;
    if (inputs_absent())
        skip();
    scratch_data();
    char p[600];
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             TOOL " --data %s --split all --model " SG_SOURCE_DIR "/config/camcls.json "
                  "--seconds 2 --per-clip --breakdown --dets %s/d.csv > %s/out.txt 2> %s/err.txt",
             dir, dir, dir, dir);
    int st = system(cmd);
    if (st != 0)
        fail_msg("%s: status %d (see %s/err.txt)", cmd, st, dir);
    modality m[2] = {0};
    snprintf(p, sizeof p, "%s/out.txt", dir);
    FILE *f = fopen(p, "r");
    assert_non_null(f);
    parse_summary(f, m);
    fclose(f);

    /* denominators, from the label files */
    for (int k = 0; k < 2; k++) {
        assert_int_equal(m[k].frames, 60);
        assert_int_equal(m[k].clip_frames, 60);
    }
    assert_int_equal(labelled_frames("V_DRONE_080", "drone", 60), 60);
    assert_int_equal(m[0].dfr, 60);
    assert_int_equal(m[0].ff, 0);
    assert_int_equal(labelled_frames("IR_BIRD_008", "drone", 60), 0);
    assert_int_equal(m[1].dfr, 0);
    assert_int_equal(m[1].ff, 60);

    /* recount from the dump */
    modality d[2] = {0};
    static char hit[2][64], ondrone[2][64]; /* per frame */
    memset(hit, 0, sizeof hit);
    memset(ondrone, 0, sizeof ondrone);
    snprintf(p, sizeof p, "%s/d.csv", dir);
    f = fopen(p, "r");
    assert_non_null(f);
    char line[8192];
    assert_non_null(fgets(line, sizeof line, f)); /* header */
    while (fgets(line, sizeof line, f)) {
        char *save = NULL, *tok[8];
        tok[0] = strtok_r(line, ",", &save);
        for (int k = 1; k < 8; k++)
            tok[k] = strtok_r(NULL, ",", &save);
        assert_non_null(tok[7]);
        int k = !strcmp(tok[1], "IR");
        int fr = atoi(tok[3]);
        assert_true(fr >= 0 && fr < 60);
        int t = idx(TRUTH, 5, tok[6]), pb = idx(PUB, 6, tok[7]);
        d[k].conf[t][pb]++;
        if (t == 0)
            ondrone[k][fr] = 1;
        if (pb == 0) {
            d[k].reports++;
            if (t == 0) {
                d[k].ok++;
                hit[k][fr] = 1;
            } else if (k == 1) { /* IR_BIRD_008: a drone-free clip */
                d[k].fal++;
            }
        }
    }
    fclose(f);
    for (int k = 0; k < 2; k++) {
        for (int fr = 0; fr < 60; fr++) {
            d[k].hits += hit[k][fr];
            d[k].miss[2] += ondrone[k][fr] && !hit[k][fr];
        }
        for (int t = 0; t < 5; t++)
            for (int q = 0; q < 6; q++)
                if (m[k].conf[t][q] != d[k].conf[t][q])
                    fail_msg("%s: confusion[%s][%s] %ld, the dump has %ld", CLIPS[k], TRUTH[t],
                             PUB[q], m[k].conf[t][q], d[k].conf[t][q]);
        assert_int_equal(m[k].reports, d[k].reports);
        assert_int_equal(m[k].ok, d[k].ok);
        assert_int_equal(m[k].hits, d[k].hits);
        assert_int_equal(m[k].fal, d[k].fal);
        assert_int_equal(m[k].clip_reports, m[k].reports);
        assert_int_equal(m[k].clip_ok, m[k].ok);
        assert_near(m[k].recall, m[k].dfr ? (double)m[k].hits / m[k].dfr : 0, 5e-4);
        assert_near(m[k].precision, m[k].reports ? (double)m[k].ok / m[k].reports : 0, 5e-4);
        assert_near(m[k].fpf, m[k].ff ? (double)m[k].fal / m[k].ff : 0, 5e-4);
    }
    /* missed drone frames: all of the drone clip's unhit frames, by cause; the ones with
     * a confirmed detection on the drone are in the dump */
    assert_int_equal(m[0].miss[0] + m[0].miss[1] + m[0].miss[2], m[0].dfr - m[0].hits);
    assert_int_equal(m[0].miss[2], d[0].miss[2]);
    assert_int_equal(m[1].miss[0] + m[1].miss[1] + m[1].miss[2], 0);
    assert_int_equal(scratch_dir_remove(dir), 0);
}

/* --clip-list naming only IR_BIRD_008 (with a comment line): its modality's figures are
 * those of the --split all run over both clips (clips are scored independently), the
 * visible section counts no frame, one clip line is printed; a clip missing from the
 * index is refused naming it (exit 1); --clip-list with --split is a usage error (2). */
static void test_clip_list(void **state)
{
    (void)state;
    if (inputs_absent())
        skip();
    scratch_data();
    char cmd[2048], p[600];
    snprintf(p, sizeof p, "%s/list.txt", dir);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs("# one fold\nIR_BIRD_008\n", f);
    fclose(f);
    const char *model = " --model " SG_SOURCE_DIR "/config/camcls.json --seconds 2 --per-clip";
    snprintf(cmd, sizeof cmd, TOOL " --data %s --split all%s > %s/all.txt 2> %s/err.txt", dir,
             model, dir, dir);
    assert_int_equal(system(cmd), 0);
    snprintf(cmd, sizeof cmd, TOOL " --data %s --clip-list %s%s > %s/list.out 2> %s/err.txt",
             dir, p, model, dir, dir);
    assert_int_equal(system(cmd), 0);
    static char a[16384], b[16384];
    char q[600];
    snprintf(q, sizeof q, "%s/all.txt", dir);
    section(q, "== thermal (IR)", a, sizeof a);
    snprintf(q, sizeof q, "%s/list.out", dir);
    section(q, "== thermal (IR)", b, sizeof b);
    assert_true(strlen(a) > 100);
    assert_string_equal(a, b);
    section(q, "== visible (V)", b, sizeof b);
    if (!strstr(b, "== visible (V): 0 frames"))
        fail_msg("--clip-list IR_BIRD_008: the visible section counts frames:\n%s", b);
    f = fopen(q, "r");
    assert_non_null(f);
    char line[1024];
    int nclip = 0;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "clip ", 5)) {
            nclip++;
            assert_true(!strncmp(line, "clip IR_BIRD_008 ", 17));
        }
    fclose(f);
    assert_int_equal(nclip, 1);
    f = fopen(p, "w");
    assert_non_null(f);
    fputs("IR_BIRD_008\nV_DRONE_999\n", f);
    fclose(f);
    snprintf(cmd, sizeof cmd, TOOL " --data %s --clip-list %s > /dev/null 2> %s/err.txt", dir, p,
             dir);
    int st = system(cmd);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 1);
    snprintf(q, sizeof q, "%s/err.txt", dir);
    f = fopen(q, "r");
    assert_non_null(f);
    assert_non_null(fgets(line, sizeof line, f));
    fclose(f);
    if (!strstr(line, "V_DRONE_999") || !strstr(line, "list.txt:2"))
        fail_msg("unknown clip: the error does not name it: %s", line);
    snprintf(cmd, sizeof cmd, TOOL " --data %s --clip-list %s --split val > /dev/null 2>&1", dir,
             p);
    st = system(cmd);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 2);
    assert_int_equal(scratch_dir_remove(dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_clips),
        cmocka_unit_test(test_clip_list),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
