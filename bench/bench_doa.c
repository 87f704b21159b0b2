/* Benchmark: direction finding on 4-channel input. For a fixed-seed capture of a
 * 4-element UCA at 20 and 56 Msps (a DroneID-like 9 MHz OFDM burst every 10 ms and an
 * ExpressLRS-like hopper, 2.44 GHz, from generated geometry) it measures per core:
 *   - the single-channel front end on channel 0 (the reference),
 *   - the DF front end (dffe: front end + 4-channel history + DoA of every burst),
 *   - the DoA alone per burst, by kind (MUSIC, 64-point snapshots, 1 deg grid),
 * and prints the DF front end as ratios to the single-channel front end and to real
 * time. Outputs are checked: every burst must get a bearing within 2 deg of the truth,
 * so a fast but broken DoA cannot pass. Best of `reps` runs (shared machine).
 * Usage: bench_doa [seconds_per_run] [reps] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dffe.h"
#include "siggen_array.h"
#include "sg_lsan.h"

#define FC 2.44e9
#define M 4

SG_LSAN_SUPPRESS(SG_LSAN_LIQUID)

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

typedef struct {
    const sga *q;
    const sga_truth *t;
    size_t nt;
    size_t bursts, bearings, checked;
    double worst;
} ctx;

static void on_df(void *user, const sg_burst *b, const float complex *iq, size_t n_iq,
                  const doa_result *r, int rc)
{
    (void)iq;
    (void)n_iq;
    ctx *c = user;
    c->bursts++;
    if (rc)
        return;
    c->bearings++;
    const sga_truth *hit = sga_truth_match(c->q, b->sample_start, b->sample_count, b->fc);
    if (hit) {
        double err = fabs(remainder(r->az - hit->az_body, 2 * M_PI)) * 180 / M_PI;
        c->worst = fmax(c->worst, err);
        c->checked++;
    }
}

static void on_fe(void *user, const sg_burst *b, const float complex *iq, size_t n)
{
    (void)b;
    (void)iq;
    (void)n;
    ((ctx *)user)->bursts++;
}

static int run_rate(double fs, double secs, int reps)
{
    const double dur = 0.05;
    sga_site s;
    sga_site_default(&s);
    sg_errinfo e = {0};
    if (doa_array_uca(&s.array, M, 0.043, &e))
        return 1;
    s.yaw_deg = 30;
    sga *q = sga_create(&s, fs, dur, FC, &e);
    sga_emitter d = {.sig = {.kind = SIGGEN_DRONEID, .snr_db = 15, .freq_offset = 3e6,
                             .t_start = 0.002, .period = 0.01},
                     .ref_range = 300, .pos = {-200, 250, 80}, .vel = {10, 0, 0}, .seed = 4};
    sga_emitter l = {.sig = {.kind = SIGGEN_ELRS, .snr_db = 15, .period = 0.002},
                     .ref_range = 300, .pos = {350, -100, 50}, .seed = 5};
    if (!q || sga_add(q, &d, &e) || sga_add(q, &l, &e)) {
        fprintf(stderr, "bench_doa: %s\n", e.msg);
        return 1;
    }
    size_t n = (size_t)sga_length(q);
    float complex *x = malloc(n * M * sizeof *x), *x0 = malloc(n * sizeof *x0);
    if (!x || !x0 || sga_generate(q, x, n, &e)) {
        fprintf(stderr, "bench_doa: %s\n", x ? e.msg : "out of memory");
        return 1;
    }
    for (size_t i = 0; i < n; i++)
        x0[i] = x[i * M];
    ctx c = {0};
    c.t = sga_truth_list(q, &c.nt);
    dffe_cfg cfg;
    dffe_cfg_default(&cfg);
    cfg.array = s.array;
    const size_t blk = 65536;
    double best_fe = 0, best_df = 0;
    for (int r = 0; r < reps; r++) {
        /* single-channel front end */
        double t0 = now(), used = 0;
        size_t samples = 0;
        while (used < secs) {
            frontend *fe = frontend_create(&cfg.fe, &e);
            ctx cc = {0};
            for (size_t k = 0; k < n; k += blk) {
                sg_iq_block b = {.x = x0 + k, .n = n - k < blk ? n - k : blk, .sample_index = k,
                                 .sample_rate = fs, .center_freq = FC, .t0 = 1.7e9};
                frontend_execute(fe, &b, on_fe, &cc);
            }
            frontend_flush(fe, on_fe, &cc);
            frontend_destroy(fe);
            samples += n;
            used = now() - t0;
        }
        best_fe = fmax(best_fe, samples / used / 1e6);
        /* DF front end on all 4 channels */
        t0 = now();
        used = 0;
        samples = 0;
        while (used < secs) {
            dffe *df = dffe_create(&cfg, &e);
            if (!df) {
                fprintf(stderr, "bench_doa: %s\n", e.msg);
                return 1;
            }
            memset(&c, 0, sizeof c);
            c.q = q;
            c.t = sga_truth_list(q, &c.nt);
            for (size_t k = 0; k < n; k += blk) {
                sg_iq_block b = {.x = x + k * M, .n = n - k < blk ? n - k : blk,
                                 .sample_index = k, .sample_rate = fs, .center_freq = FC,
                                 .t0 = 1.7e9, .channels = M};
                dffe_execute(df, &b, on_df, &c, &e);
            }
            dffe_flush(df, on_df, &c, &e);
            dffe_destroy(df);
            samples += n;
            used = now() - t0;
        }
        best_df = fmax(best_df, samples / used / 1e6);
    }
    /* DoA alone on each truth burst (the region dffe would use) */
    doa *dq = doa_create(&s.array, &cfg.doa, &e);
    double per_kind[SIGGEN_KIND_COUNT_] = {0};
    unsigned cnt[SIGGEN_KIND_COUNT_] = {0};
    for (size_t i = 0; i < c.nt; i++) {
        const siggen_truth *t = &c.t[i].burst;
        size_t seg = (size_t)(cfg.doa_max_s * fs);
        if (seg > (size_t)cfg.doa_max_windows * cfg.doa.nfft)
            seg = (size_t)cfg.doa_max_windows * cfg.doa.nfft; /* as dffe */
        size_t len = t->sample_count < seg ? t->sample_count : seg;
        doa_input in = {.x = x + (t->sample_start + t->sample_count - len) * M, .n = len,
                        .channels = M, .fs = fs, .fc = FC,
                        .f_lo = fmax(t->fc - FC - t->bandwidth / 2, -fs / 2),
                        .f_hi = fmin(t->fc - FC + t->bandwidth / 2, fs / 2)};
        doa_result r;
        double t0 = now();
        int k = 0;
        do {
            doa_execute(dq, &in, &r, NULL);
            k++;
        } while (now() - t0 < 0.05);
        per_kind[t->kind] += (now() - t0) / k;
        cnt[t->kind]++;
    }
    doa_destroy(dq);
    printf("%.2f Msps, %u-element UCA, %zu bursts (%zu with a bearing, %zu checked, worst "
           "error %.2f deg):\n",
           fs / 1e6, M, c.bursts, c.bearings, c.checked, c.worst);
    printf("  front end, channel 0 only   %8.1f MS/s  (%.1fx real time)\n", best_fe,
           best_fe * 1e6 / fs);
    printf("  DF front end, %u channels    %8.1f MS/s  (%.1fx real time, %.2f of the "
           "single-channel front end)\n",
           M, best_df, best_df * 1e6 / fs, best_df / best_fe);
    for (int k = 0; k < SIGGEN_KIND_COUNT_; k++)
        if (cnt[k])
            printf("  DoA per %-8s burst       %8.3f ms  (%u bursts)\n", siggen_kind_name(k),
                   1e3 * per_kind[k] / cnt[k], cnt[k]);
    int bad = c.bearings < c.bursts || c.checked < 3 || c.worst > 2.0;
    if (bad)
        fprintf(stderr, "bench_doa: FAILED output check at %.2f Msps\n", fs / 1e6);
    free(x);
    free(x0);
    sga_destroy(q);
    return bad;
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 1.0;
    int reps = argc > 2 ? atoi(argv[2]) : 3;
    int rc = run_rate(20e6, secs, reps);
    rc |= run_rate(56e6, secs, reps);
    return rc;
}
