/* Emitter grouping + signature classification on synthetic burst streams whose timing
 * follows each link's published parameters (docs/droneid-and-signatures.md), with
 * front-end measurement noise; the confusion matrix over every signature class and
 * the Wi-Fi / Bluetooth interferers is computed here and must meet stated minimums.
 * Fixed seeds. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "emitter.h"
#include "siglib.h"
#include "test_lcg.h"

static double uni(double a, double b)
{
    return a + (b - a) * urand();
}

enum { C_DRONEID, C_OCUSYNC, C_WIFI_DRONE, C_ELRS24, C_ELRS900, C_FRSKY, C_FPV, C_WIFI,
       C_BT, NCLS };
static const char *const CLS[NCLS] = {"dji_droneid", "dji_ocusync_video", "wifi_drone",
                                      "elrs_2g4",    "elrs_900",          "frsky_accst",
                                      "analog_fpv",  "wifi",              "bluetooth"};

typedef struct {
    sg_burst *b;
    int *truth;
    size_t n, cap;
} stream;

/* front-end measurement noise (relative bandwidth, relative duration, timing s) and
 * the probability that the front end misses a burst */
static double nz_bw = 0.04, nz_dur = 0.02, nz_t = 2e-6, p_miss = 0;

static void push(stream *s, double t, double dur, double fc, double bw, int truth, uint32_t fl)
{
    if (p_miss > 0 && urand() < p_miss)
        return;
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 1024;
        s->b = realloc(s->b, s->cap * sizeof *s->b);
        s->truth = realloc(s->truth, s->cap * sizeof *s->truth);
        assert_non_null(s->b);
        assert_non_null(s->truth);
    }
    sg_burst *b = &s->b[s->n];
    memset(b, 0, sizeof *b);
    b->t_start = t + nz_t * gauss();
    b->duration = dur * fmax(0.2, 1 + nz_dur * gauss());
    b->fc = fc + 0.02 * bw * gauss();
    b->bandwidth = bw * fmax(0.2, 1 + nz_bw * gauss());
    b->peak_snr_db = 25, b->mean_snr_db = 20;
    b->flags = fl;
    b->sensor = 0;
    s->truth[s->n++] = truth;
}

/* One trial of class c starting at t0 for its natural observation time. */
static void gen(stream *s, int c, double t0)
{
    double t = t0;
    switch (c) {
    case C_DRONEID: { /* 9 or 8 symbols, ~0.6 s, hopping 2.4 (15 MHz steps) or 5.8 */
        double per = uni(0.6, 0.64), dur = urand() < 0.8 ? 643e-6 : 572e-6;
        int hi = urand() < 0.3;
        for (t += uni(0, per); t < t0 + 6.0; t += per * (1 + 0.002 * gauss())) {
            double fc = hi ? 5756.5e6 + 20e6 * (rnd() % 3) : 2399.5e6 + 15e6 * (rnd() % 5);
            push(s, t, dur, fc, 9.0e6, c, 0);
        }
        break;
    }
    case C_OCUSYNC: { /* ~1 ms packets, 10 or 20 MHz, fixed channel */
        double bw = urand() < 0.5 ? 10e6 : 20e6, fc = uni(2.41e9, 2.47e9), gap = uni(1.5e-3, 3e-3);
        for (; t < t0 + 0.3; t += gap * (1 + 0.1 * gauss()))
            push(s, t, 1.0e-3, fc, bw, c, 0);
        break;
    }
    case C_WIFI_DRONE: { /* sustained 802.11 video: many packets, spread lengths */
        double fc = urand() < 0.5 ? 2437e6 : 5785e6, mgap = uni(0.2e-3, 1.0e-3);
        while (t < t0 + 0.3) {
            double d = uni(0.1e-3, 1.5e-3);
            push(s, t, d, fc, 18e6, c, 0);
            t += d + 50e-6 - mgap * log(urand());
        }
        break;
    }
    case C_WIFI: { /* AP beacons every 102.4 ms + light random traffic */
        double fc = urand() < 0.5 ? 2412e6 + 25e6 * (rnd() % 3) : 5180e6, rate = uni(20, 150);
        double tb = t + uni(0, 0.1024);
        while (t < t0 + 1.5) {
            double tn = t - log(urand()) / rate;
            while (tb < tn && tb < t0 + 1.5) {
                push(s, tb, 0.4e-3, fc, 18e6, c, 0);
                tb += 0.1024;
            }
            t = tn;
            if (t < t0 + 1.5)
                push(s, t, uni(0.05e-3, 2e-3), fc, 18e6, c, 0);
        }
        break;
    }
    case C_ELRS24: { /* LoRa 812.5 kHz at 50..500 Hz or FLRC 1000 Hz; hop every 2-4 */
        static const double rates[] = {50, 150, 250, 500, 1000};
        double rate = rates[rnd() % 5], air = rate >= 1000 ? 0.4e-3 : fmin(0.45 / rate, 18e-3);
        double bw = rate >= 1000 ? 1.0e6 : 0.8125e6;
        int hop = 2 + (int)(rnd() % 3), k = 0;
        double fc = 2400.4e6 + 1e6 * (rnd() % 80);
        for (t += uni(0, 1 / rate); t < t0 + fmax(0.5, 30 / rate); t += 1 / rate, k++) {
            if (k % hop == 0)
                fc = 2400.4e6 + 1e6 * (rnd() % 80);
            push(s, t, air, fc, bw, c, 0);
        }
        break;
    }
    case C_ELRS900: {
        static const double rates[] = {25, 50, 100, 200};
        double rate = rates[rnd() % 4], air = fmin(0.5 / rate, 30e-3);
        int hop = 2 + (int)(rnd() % 3), k = 0;
        double fc = 903.5e6 + 0.6e6 * (rnd() % 40);
        for (t += uni(0, 1 / rate); t < t0 + fmax(0.5, 30 / rate); t += 1 / rate, k++) {
            if (k % hop == 0)
                fc = 903.5e6 + 0.6e6 * (rnd() % 40);
            push(s, t, air, fc, 0.5e6, c, 0);
        }
        break;
    }
    case C_FRSKY: { /* one packet per 9 ms frame, new channel each frame */
        double dur = uni(1.5e-3, 3e-3);
        for (t += uni(0, 9e-3); t < t0 + 0.5; t += 9e-3)
            push(s, t, dur, 2404e6 + 1.5e6 * (rnd() % 47), 0.2e6, c, 0);
        break;
    }
    case C_FPV: { /* continuous carrier, reported as back-to-back 10 ms max-length bursts */
        double fc = uni(5.65e9, 5.92e9), bw = uni(5e6, 7.5e6);
        for (; t < t0 + 0.3; t += 10e-3)
            push(s, t, 10e-3, fc, bw, c, SG_BURST_CONTINUING);
        break;
    }
    case C_BT: { /* 625 us slots, random occupancy and packet types, 79-channel hop */
        static const double durs[] = {0.126e-3, 0.366e-3, 1.622e-3, 2.87e-3};
        static const int slots[] = {1, 1, 3, 5};
        double p = uni(0.2, 0.6);
        while (t < t0 + 0.3) {
            if (urand() < p) {
                int k = (int)(rnd() % 4);
                push(s, t, durs[k], 2402e6 + 1e6 * (rnd() % 79), 1.0e6, c, 0);
                t += 625e-6 * slots[k];
            } else {
                t += 625e-6;
            }
        }
        break;
    }
    }
}

static int cmp_burst(const void *a, const void *b)
{
    double x = ((const sg_burst *)a)->t_start, y = ((const sg_burst *)b)->t_start;
    return x < y ? -1 : x > y;
}

static siglib *load_lib(void)
{
    sg_errinfo e;
    siglib *lib = siglib_load(SG_SOURCE_DIR "/config/signatures.json", &e);
    if (!lib)
        fail_msg("%s", e.msg);
    return lib;
}

/* Class of the emitter that took most of the stream's bursts. */
static const emitter *dominant(emitters *q)
{
    const emitter *list;
    size_t n;
    emitters_get(q, &list, &n);
    const emitter *best = NULL;
    for (size_t i = 0; i < n; i++)
        if (!best || list[i].n_bursts > best->n_bursts)
            best = &list[i];
    return best;
}

#define TRIALS 20

/* Runs TRIALS streams per class; fills cm; prints it under a title. */
static void confusion(const char *title, uint32_t seed, int cm[NCLS][NCLS + 2])
{
    siglib *lib = load_lib();
    memset(cm, 0, sizeof(int) * NCLS * (NCLS + 2));
    rng = seed;
    for (int c = 0; c < NCLS; c++)
        for (int k = 0; k < TRIALS; k++) {
            stream s = {0};
            gen(&s, c, 1000.0);
            qsort(s.b, s.n, sizeof *s.b, cmp_burst); /* jitter may reorder */
            sg_errinfo e;
            emitters *q = emitters_create(lib, NULL, &e);
            assert_non_null(q);
            for (size_t i = 0; i < s.n; i++)
                assert_int_equal(emitters_add_burst(q, &s.b[i], NULL), SG_OK);
            const emitter *em = dominant(q);
            assert_non_null(em);
            int got = NCLS;
            if (!strcmp(em->cls, "unknown_periodic"))
                got = NCLS + 1;
            for (int j = 0; j < NCLS; j++)
                if (!strcmp(em->cls, CLS[j]))
                    got = j;
            cm[c][got]++;
            if (got != c && getenv("SG_DEBUG_EMITTERS")) {
                const emitter *l;
                size_t ne;
                emitters_get(q, &l, &ne);
                printf("trial %s #%d -> %s\n", CLS[c], k, em->cls);
                for (size_t i = 0; i < ne; i++)
                    printf("  id %u n %llu bw %.2f MHz dur %.3f..%.3f ms cv %.2f rate %.0f "
                           "duty %.2f hops %d -> %s %.2f\n",
                           l[i].id, (unsigned long long)l[i].n_bursts, l[i].bw_mean / 1e6,
                           l[i].dur_min * 1e3, l[i].dur_max * 1e3,
                           l[i].feat.v[SIG_F_DURATION_CV], l[i].feat.v[SIG_F_RATE],
                           l[i].feat.v[SIG_F_DUTY], l[i].hop_channels, l[i].cls, l[i].cls_conf);
            }
            emitters_destroy(q);
            free(s.b);
            free(s.truth);
        }
    printf("%s (rows truth, %d trials each; seed %u)\n%-18s", title, TRIALS, (unsigned)seed, "");
    for (int j = 0; j < NCLS; j++)
        printf(" %5.5s", CLS[j]);
    printf("  unkn  unkP\n");
    for (int c = 0; c < NCLS; c++) {
        printf("%-18s", CLS[c]);
        for (int j = 0; j < NCLS + 2; j++)
            printf(" %5d", cm[c][j]);
        printf("\n");
    }
    siglib_destroy(lib);
}

static void check(int cm[NCLS][NCLS + 2], double min_overall, double min_class,
                  int max_interferer_as_drone)
{
    int correct = 0, total = 0, worst = TRIALS;
    for (int c = 0; c < NCLS; c++) {
        correct += cm[c][c];
        total += TRIALS;
        if (cm[c][c] < worst)
            worst = cm[c][c];
    }
    printf("overall accuracy %.1f %%, worst class %d/%d\n", 100.0 * correct / total, worst,
           TRIALS);
    assert_true(correct >= min_overall * total);
    assert_true(worst >= min_class * TRIALS);
    for (int c = C_WIFI; c <= C_BT; c++) {
        int as_drone = cm[c][NCLS + 1];
        for (int j = 0; j < C_WIFI; j++)
            as_drone += cm[c][j];
        assert_true(as_drone <= max_interferer_as_drone);
    }
}

/* Nominal front end (4 % bandwidth, 2 % duration, 2 us timing noise, no misses):
 * >= 95 % overall, every class >= 85 %, interferers called a drone at most once in 20. */
static void test_confusion_matrix(void **st)
{
    (void)st;
    int cm[NCLS][NCLS + 2];
    nz_bw = 0.04, nz_dur = 0.02, nz_t = 2e-6, p_miss = 0;
    confusion("confusion matrix, nominal front end", 4242, cm);
    check(cm, 0.95, 0.85, 1);
}

/* Stressed front end (12 % bandwidth, 8 % duration, 30 us timing noise, 25 % of bursts
 * missed): >= 90 % overall, every class >= 70 %, interferers called a drone at most
 * 3 times in 20. */
static void test_confusion_matrix_stressed(void **st)
{
    (void)st;
    int cm[NCLS][NCLS + 2];
    nz_bw = 0.12, nz_dur = 0.08, nz_t = 30e-6, p_miss = 0.25;
    confusion("confusion matrix, stressed front end", 4243, cm);
    nz_bw = 0.04, nz_dur = 0.02, nz_t = 2e-6, p_miss = 0;
    check(cm, 0.90, 0.70, 3);
}

/* Several links at once in 2.4 GHz: each becomes its own emitter (>= 95 % pure) and
 * is classified as itself. */
static void test_mixed_scene(void **st)
{
    (void)st;
    siglib *lib = load_lib();
    rng = 777;
    stream s = {0};
    const int present[] = {C_DRONEID, C_OCUSYNC, C_ELRS24, C_FRSKY, C_BT, C_WIFI};
    const int np = 6;
    for (int i = 0; i < np; i++) {
        size_t before = s.n;
        gen(&s, present[i], 1000.0);
        if (present[i] == C_OCUSYNC) /* keep the video at 10 MHz, clear of Wi-Fi */
            for (size_t k = before; k < s.n; k++)
                s.b[k].bandwidth = 10e6 * (1 + 0.04 * gauss());
        if (present[i] == C_DRONEID) /* 2.4 GHz */
            for (size_t k = before; k < s.n; k++)
                if (s.b[k].fc > 3e9)
                    s.b[k].fc -= 3.3e9;
        if (present[i] == C_WIFI)
            for (size_t k = before; k < s.n; k++)
                s.b[k].fc = 2462e6;
    }
    /* sort bursts and truth together */
    size_t n = s.n;
    size_t *idx = malloc(n * sizeof *idx);
    sg_burst *b = malloc(n * sizeof *b);
    int *tr = malloc(n * sizeof *tr);
    assert_true(idx && b && tr);
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    for (size_t i = 1; i < n; i++) /* insertion sort by time: stable and small enough */
        for (size_t j = i; j > 0 && s.b[idx[j - 1]].t_start > s.b[idx[j]].t_start; j--) {
            size_t t = idx[j];
            idx[j] = idx[j - 1];
            idx[j - 1] = t;
        }
    for (size_t i = 0; i < n; i++)
        b[i] = s.b[idx[i]], tr[i] = s.truth[idx[i]];
    emitters_cfg cfg;
    emitters_cfg_default(&cfg);
    cfg.max_age_s = 10; /* DroneID hops slowly: keep everything for the audit */
    sg_errinfo e;
    emitters *q = emitters_create(lib, &cfg, &e);
    assert_non_null(q);
    uint32_t *eid = malloc(n * sizeof *eid);
    assert_non_null(eid);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(emitters_add_burst(q, &b[i], &eid[i]), SG_OK);
    const emitter *list;
    size_t ne;
    emitters_get(q, &list, &ne);
    for (int i = 0; i < np; i++) {
        int c = present[i];
        /* the emitter that took most of this link's bursts */
        const emitter *best = NULL;
        size_t bestcnt = 0;
        for (size_t k = 0; k < ne; k++) {
            size_t cnt = 0, tot = 0;
            for (size_t j = 0; j < n; j++)
                if (eid[j] == list[k].id) {
                    tot++;
                    cnt += tr[j] == c;
                }
            if (cnt > bestcnt) {
                bestcnt = cnt;
                best = &list[k];
                if ((double)cnt / (double)tot < 0.95)
                    fail_msg("%s: emitter %u only %.0f %% pure", CLS[c], list[k].id,
                             100.0 * (double)cnt / (double)tot);
            }
        }
        assert_non_null(best);
        printf("mixed: %-18s -> emitter %u %-18s conf %.2f (%zu bursts)\n", CLS[c], best->id,
               best->cls, best->cls_conf, bestcnt);
        assert_string_equal(best->cls, CLS[c]);
    }
    emitters_destroy(q);
    siglib_destroy(lib);
    free(eid), free(idx), free(b), free(tr), free(s.b), free(s.truth);
}

/* Periodic but unlike any signature -> unknown_periodic (reported, conf < 0.5);
 * a lone burst -> unknown (not reported). */
static void test_unknown(void **st)
{
    (void)st;
    siglib *lib = load_lib();
    sg_errinfo e;
    emitters *q = emitters_create(lib, NULL, &e);
    assert_non_null(q);
    rng = 1;
    stream s = {0};
    for (double t = 0; t < 1.0; t += 50e-3)
        push(&s, t, 5e-3, 433.92e6, 2e6, -1, 0);
    uint32_t id = 0;
    for (size_t i = 0; i < s.n; i++)
        assert_int_equal(emitters_add_burst(q, &s.b[i], &id), SG_OK);
    const emitter *em = emitters_find(q, id);
    assert_non_null(em);
    assert_string_equal(em->cls, "unknown_periodic");
    assert_true(em->is_drone && em->cls_conf > 0.2 && em->cls_conf <= 0.5);
    assert_true(fabs(em->feat.v[SIG_F_INTERVAL] - 50e-3) < 1e-3);
    sg_measurement m;
    assert_int_equal(emitter_to_measurement(em, 1.0, &m), SG_OK);
    assert_int_equal(m.type, SG_MEAS_RF_PRESENCE);
    assert_string_equal(m.cls, "unknown_periodic");

    sg_burst one = {.t_start = 1.5, .duration = 1e-3, .fc = 2.0e9, .bandwidth = 3e6};
    assert_int_equal(emitters_add_burst(q, &one, &id), SG_OK);
    em = emitters_find(q, id);
    assert_string_equal(em->cls, "unknown");
    assert_int_equal(emitter_to_measurement(em, 1.5, &m), SG_ENOTFOUND);
    emitters_destroy(q);
    siglib_destroy(lib);
    free(s.b), free(s.truth);
}

/* Decoded identity wins: a pinned emitter keeps class and confidence whatever its later
 * bursts look like, carries its serial into its measurement, and emitters with
 * different decoded serials never fold together; the others carry no serial. */
static void test_pin_decoded(void **st)
{
    (void)st;
    siglib *lib = load_lib();
    sg_errinfo e;
    emitters *q = emitters_create(lib, NULL, &e);
    assert_non_null(q);
    /* a 9 MHz, 1 ms link hopping between two channels: a DroneID decode on it */
    uint32_t id = 0, id2 = 0, other = 0;
    for (int i = 0; i < 6; i++) {
        sg_burst b = {.t_start = 0.1 * i, .duration = 1.1e-3, .fc = 2.4295e9 + (i % 2) * 15e6,
                      .bandwidth = 9e6, .mean_snr_db = 20};
        assert_int_equal(emitters_add_burst(q, &b, &id), SG_OK);
    }
    assert_int_equal(emitters_pin_decoded(q, id, "dji_droneid", "1581F5FJB23A0417"), SG_OK);
    for (int i = 6; i < 30; i++) {
        sg_burst b = {.t_start = 0.1 * i, .duration = 1.1e-3, .fc = 2.4295e9 + (i % 2) * 15e6,
                      .bandwidth = 9e6, .mean_snr_db = 20};
        assert_int_equal(emitters_add_burst(q, &b, &id2), SG_OK);
    }
    assert_int_equal(id2, id);
    const emitter *em = emitters_find(q, id);
    assert_non_null(em);
    assert_true(em->decoded);
    assert_string_equal(em->cls, "dji_droneid");
    assert_true(em->cls_conf == 1.0 && em->is_drone);
    sg_measurement m;
    assert_int_equal(emitter_to_measurement(em, 3.0, &m), SG_OK);
    assert_string_equal(m.identity, "1581F5FJB23A0417");
    /* a Wi-Fi-like emitter elsewhere carries no serial */
    for (int i = 0; i < 12; i++) {
        sg_burst b = {.t_start = 0.05 * i + 0.01, .duration = (i % 3 + 1) * 0.2e-3,
                      .fc = 5.18e9, .bandwidth = 18e6, .mean_snr_db = 15};
        assert_int_equal(emitters_add_burst(q, &b, &other), SG_OK);
    }
    assert_int_not_equal(other, id);
    em = emitters_find(q, other);
    assert_non_null(em);
    assert_string_equal(em->identity, "");
    assert_false(em->decoded);
    /* a second serial decoded on the same emitter: it carries none rather than a wrong one */
    assert_int_equal(emitters_pin_decoded(q, id, "dji_droneid", "1581F4QDE2270001"), SG_OK);
    em = emitters_find(q, id);
    assert_true(em->identity_conflict);
    assert_string_equal(em->identity, "");
    assert_int_equal(emitters_pin_decoded(q, id, "dji_droneid", "1581F5FJB23A0417"), SG_OK);
    assert_string_equal(emitters_find(q, id)->identity, "");
    /* bad arguments */
    assert_int_equal(emitters_pin_decoded(q, 999999, "dji_droneid", "X"), SG_ENOTFOUND);
    assert_int_equal(emitters_pin_decoded(q, id, "", "X"), SG_EINVAL);
    assert_int_equal(emitters_pin_decoded(q, id, NULL, "X"), SG_EINVAL);
    assert_int_equal(emitters_pin_decoded(NULL, id, "dji_droneid", "X"), SG_EINVAL);
    emitters_destroy(q);
    siglib_destroy(lib);
}

/* Bounded memory: ageing, eviction, invalid bursts counted; interferers do not reach
 * the tracker; configuration from JSON. */
static void test_bounds_and_config(void **st)
{
    (void)st;
    siglib *lib = load_lib();
    emitters_cfg cfg;
    emitters_cfg_default(&cfg);
    cfg.max_emitters = 4;
    cfg.max_age_s = 1.0;
    sg_errinfo e;
    emitters *q = emitters_create(lib, &cfg, &e);
    assert_non_null(q);
    for (int i = 0; i < 6; i++) { /* 6 clearly different emitters */
        sg_burst b = {.t_start = 0.01 * i, .duration = 1e-3, .fc = 1e9 + 1e9 * i,
                      .bandwidth = 1e6};
        assert_int_equal(emitters_add_burst(q, &b, NULL), SG_OK);
    }
    const emitter *list;
    size_t n;
    emitters_get(q, &list, &n);
    assert_int_equal(n, 4);
    emitters_stats s;
    emitters_get_stats(q, &s);
    assert_int_equal(s.created, 6);
    assert_int_equal(s.evicted, 2);
    emitters_expire(q, 5.0);
    emitters_get(q, &list, &n);
    assert_int_equal(n, 0);
    emitters_get_stats(q, &s);
    assert_int_equal(s.expired, 4);
    sg_burst bad = {.t_start = 1, .duration = 1e-3, .fc = NAN, .bandwidth = 1e6};
    assert_int_equal(emitters_add_burst(q, &bad, NULL), SG_EINVAL);
    bad.fc = 1e9, bad.duration = 0;
    assert_int_equal(emitters_add_burst(q, &bad, NULL), SG_EINVAL);
    bad.duration = 1e-3, bad.bandwidth = -1;
    assert_int_equal(emitters_add_burst(q, &bad, NULL), SG_EINVAL);
    emitters_get_stats(q, &s);
    assert_int_equal(s.invalid, 3);
    assert_int_equal(s.bursts, 6);
    emitters_destroy(q);

    /* Wi-Fi never becomes a tracker measurement */
    q = emitters_create(lib, NULL, &e);
    assert_non_null(q);
    rng = 9;
    stream st2 = {0};
    gen(&st2, C_WIFI, 0);
    uint32_t id = 0;
    for (size_t i = 0; i < st2.n; i++)
        emitters_add_burst(q, &st2.b[i], &id);
    const emitter *em = dominant(q);
    assert_string_equal(em->cls, "wifi");
    assert_false(em->is_drone);
    sg_measurement m;
    assert_int_equal(emitter_to_measurement(em, 2.0, &m), SG_ENOTFOUND);
    emitters_destroy(q);
    free(st2.b), free(st2.truth);

    /* configuration */
    assert_null(emitters_create(NULL, NULL, &e));
    cfg.max_emitters = 0;
    assert_null(emitters_create(lib, &cfg, &e));
    assert_int_equal(e.code, SG_EINVAL);
    cJSON *j = cJSON_Parse("{\"max_emitters\": 16, \"max_age_s\": 2.5}");
    assert_int_equal(emitters_cfg_from_json(j, "site.json: rf.emitters", &cfg, &e), SG_OK);
    assert_int_equal(cfg.max_emitters, 16);
    assert_true(cfg.max_age_s == 2.5 && cfg.bw_ratio_gate == 1.4);
    cJSON_Delete(j);
    j = cJSON_Parse("{\"max_emiters\": 16}");
    assert_int_not_equal(emitters_cfg_from_json(j, "site.json: rf.emitters", &cfg, &e), SG_OK);
    assert_non_null(strstr(e.msg, "site.json: rf.emitters.max_emiters"));
    cJSON_Delete(j);
    j = cJSON_Parse("{\"bw_ratio_gate\": 0.5}");
    assert_int_equal(emitters_cfg_from_json(j, "x", &cfg, &e), SG_ERANGE);
    assert_non_null(strstr(e.msg, "x.bw_ratio_gate"));
    cJSON_Delete(j);
    siglib_destroy(lib);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_confusion_matrix),
        cmocka_unit_test(test_confusion_matrix_stressed),
        cmocka_unit_test(test_mixed_scene),
        cmocka_unit_test(test_unknown),
        cmocka_unit_test(test_pin_decoded),
        cmocka_unit_test(test_bounds_and_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
