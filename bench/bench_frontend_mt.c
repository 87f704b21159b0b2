/* Benchmark: one wideband stream through the RF front end on 1..N threads
 * (frontend_cfg.threads), issue 21. For each sample rate, the same fixed-seed busy
 * 2.4 GHz capture (DroneID-like OFDM every 20 ms, FrSky- and ELRS-like hoppers, Wi-Fi-like
 * bursts every 4 ms, BLE-like advertising) goes through the front end with 1, 2 and 4
 * threads. Reported per thread count: wall-clock rate, real-time factor (rate / sample
 * rate), speed-up against one thread in the same run, and CPU seconds per second of
 * input (all threads of the process). Checked: every thread count gives the same bursts
 * as one thread (count and a hash of every burst's fields) and finds every DroneID-like
 * burst of the truth; otherwise the run fails (exit 1).
 *
 * Wall-clock, not thread CPU time: the point is using more cores. Best of `reps` runs
 * (the machine is shared).
 * Usage: bench_frontend_mt [seconds_of_capture] [reps] [max_threads] [only_this_Msps]
 * (only_this_Msps: any rate, e.g. 100 or 200, instead of the 20 and 56 Msps runs) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <fftw3.h>

#include "frontend.h"
#include "siggen.h"

#define FC 2.4415e9
#define BLOCK 65536

static double clk(clockid_t id)
{
    struct timespec t;
    clock_gettime(id, &t);
    return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

#define MAX_KEPT 200000

typedef struct {
    size_t bursts;
    uint64_t hash;
    double iq_sum;
    size_t found;               /* DroneID-like truth bursts detected */
    size_t n_kept;
    struct { uint64_t a, z; double lo, hi; } kept[MAX_KEPT]; /* samples, Hz */
} counts;

static void mix(uint64_t *h, const void *p, size_t n)
{
    const unsigned char *c = p;
    for (size_t i = 0; i < n; i++)
        *h = (*h ^ c[i]) * 1099511628211ull;
}

static void on_burst(void *user, const sg_burst *b, const float complex *iq, size_t n)
{
    counts *c = user;
    c->bursts++;
    if (c->n_kept < MAX_KEPT) {
        c->kept[c->n_kept].a = b->sample_start;
        c->kept[c->n_kept].z = b->sample_start + b->sample_count;
        c->kept[c->n_kept].lo = b->fc - b->bandwidth / 2;
        c->kept[c->n_kept++].hi = b->fc + b->bandwidth / 2;
    }
    mix(&c->hash, &b->sample_start, sizeof b->sample_start);
    mix(&c->hash, &b->sample_count, sizeof b->sample_count);
    mix(&c->hash, &b->fc, sizeof b->fc);
    mix(&c->hash, &b->bandwidth, sizeof b->bandwidth);
    mix(&c->hash, &b->peak_snr_db, sizeof b->peak_snr_db);
    mix(&c->hash, &b->flags, sizeof b->flags);
    if (n) /* touch the IQ like a decoder would */
        c->iq_sum += crealf(iq[n / 2]);
}

/* One pass over the capture; returns 0 or -1 (error printed). */
static int run(const float complex *x, size_t n, double fs, unsigned threads, counts *c,
               double *wall, double *cpu, double *main_cpu)
{
    frontend_cfg cfg;
    frontend_cfg_default(&cfg);
    cfg.threads = threads;
    cfg.sample_rate = fs;
    sg_errinfo e = {0};
    frontend *fe = frontend_create(&cfg, &e);
    if (!fe) {
        fprintf(stderr, "bench_frontend_mt: %s\n", e.msg);
        return -1;
    }
    memset(c, 0, sizeof *c);
    c->hash = 1469598103934665603ull;
    double w0 = clk(CLOCK_MONOTONIC), c0 = clk(CLOCK_PROCESS_CPUTIME_ID),
           m0 = clk(CLOCK_THREAD_CPUTIME_ID);
    for (size_t i = 0; i < n; i += BLOCK) {
        size_t k = n - i < BLOCK ? n - i : BLOCK;
        sg_iq_block b = {.x = x + i, .n = k, .sample_index = i, .sample_rate = fs,
                         .center_freq = FC, .t0 = 0};
        if (frontend_execute(fe, &b, on_burst, c) != SG_OK) {
            fprintf(stderr, "bench_frontend_mt: %s\n", frontend_error(fe));
            frontend_destroy(fe);
            return -1;
        }
    }
    frontend_flush(fe, on_burst, c);
    *wall = clk(CLOCK_MONOTONIC) - w0;
    *cpu = clk(CLOCK_PROCESS_CPUTIME_ID) - c0;
    *main_cpu = clk(CLOCK_THREAD_CPUTIME_ID) - m0;
    frontend_destroy(fe);
    return 0;
}

int main(int argc, char **argv)
{
    double dur = argc > 1 ? atof(argv[1]) : 0.3;
    int reps = argc > 2 ? atoi(argv[2]) : 3;
    unsigned max_th = argc > 3 ? (unsigned)atoi(argv[3]) : 4;
    double only = argc > 4 ? atof(argv[4]) * 1e6 : 0; /* one rate (Msps), e.g. to profile */
    if (!(dur > 0.05 && dur <= 5) || reps < 1 || max_th < 1 || max_th > FRONTEND_MAX_THREADS) {
        fprintf(stderr, "usage: bench_frontend_mt [seconds 0.05..5] [reps >= 1] [max_threads]\n");
        return 2;
    }
    static const double rates[] = {20e6, 56e6};
    int fail = 0;
    double la[3] = {0};
    FILE *lf = fopen("/proc/loadavg", "r");
    if (lf) {
        if (fscanf(lf, "%lf %lf %lf", &la[0], &la[1], &la[2]) != 3)
            la[0] = NAN;
        fclose(lf);
    }
    printf("load average at start: %.1f; block %d samples, nfft 1024, batch 16\n", la[0], BLOCK);
    printf("%-8s %-7s %10s %10s %10s %10s %10s %10s\n", "Msps", "threads", "MS/s wall",
           "x realtime", "vs 1 thr", "CPU/s all", "CPU/s main", "bound");
    const size_t n_rates = only > 0 ? 1 : sizeof rates / sizeof rates[0];
    for (size_t r = 0; r < n_rates; r++) {
        const double fs = only > 0 ? only : rates[r]; /* any rate given (e.g. 200) */
        sg_errinfo e = {0};
        siggen *g = siggen_create(fs, dur, FC, 1e-4, 42, &e);
        siggen_signal sig[] = {
            {.kind = SIGGEN_DRONEID, .snr_db = 18, .freq_offset = 2e6, .t_start = 0.005,
             .period = 0.02},
            {.kind = SIGGEN_FRSKY, .snr_db = 15},
            {.kind = SIGGEN_ELRS, .snr_db = 12},
            {.kind = SIGGEN_WIFI, .snr_db = 12, .period = 0.004},
            {.kind = SIGGEN_BLE, .snr_db = 15, .period = 0.02},
        };
        for (size_t i = 0; g && i < sizeof sig / sizeof sig[0]; i++)
            if (siggen_add(g, &sig[i], &e) != SG_OK && e.code != SG_ERANGE)
                break; /* a kind with nothing in band at this rate is skipped */
        if (!g) {
            fprintf(stderr, "bench_frontend_mt: %s\n", e.msg);
            return 1;
        }
        size_t n = (size_t)siggen_length(g);
        float complex *x = (float complex *)fftwf_alloc_complex(n);
        if (!x || siggen_generate(g, x, n, &e)) {
            fprintf(stderr, "bench_frontend_mt: cannot make the input (%zu samples)\n", n);
            return 1;
        }
        size_t nt, truth = 0;
        const siggen_truth *t = siggen_truth_list(g, &nt);
        for (size_t i = 0; i < nt; i++)
            truth += t[i].kind == SIGGEN_DRONEID;
        double wall1 = 0, cpu1 = 0;
        static counts ref, c;
        for (unsigned th = 1; th <= max_th; th *= 2) {
            double best_wall = INFINITY, best_cpu = INFINITY, best_main = INFINITY;
            for (int k = 0; k < reps; k++) {
                double w, cp, mc;
                if (run(x, n, fs, th, &c, &w, &cp, &mc))
                    return 1;
                if (w < best_wall)
                    best_wall = w;
                if (cp < best_cpu)
                    best_cpu = cp;
                if (mc < best_main)
                    best_main = mc;
            }
            /* detected: a reported burst overlaps the truth burst in time and covers its
             * centre frequency */
            size_t found = 0;
            for (size_t i = 0; i < nt; i++) {
                if (t[i].kind != SIGGEN_DRONEID)
                    continue;
                double f0 = t[i].fc;
                for (size_t j = 0; j < c.n_kept; j++)
                    if (c.kept[j].a < t[i].sample_start + t[i].sample_count &&
                        c.kept[j].z > t[i].sample_start && c.kept[j].lo <= f0 &&
                        c.kept[j].hi >= f0) {
                        found++;
                        break;
                    }
            }
            c.found = found;
            if (th == 1) {
                ref = c;
                wall1 = best_wall;
                cpu1 = best_cpu;
            } else if (c.bursts != ref.bursts || c.hash != ref.hash) {
                fprintf(stderr, "bench_frontend_mt: FAILED: %u threads gave %zu bursts (hash "
                        "%016llx), one thread %zu (%016llx)\n", th, c.bursts,
                        (unsigned long long)c.hash, ref.bursts, (unsigned long long)ref.hash);
                fail = 1;
            }
            if (found != truth) {
                fprintf(stderr, "bench_frontend_mt: FAILED: %zu of %zu DroneID-like bursts found "
                        "(%.0f Msps, %u threads)\n", found, truth, fs / 1e6, th);
                fail = 1;
            }
            double rate = (double)n / best_wall, secs = (double)n / fs;
            printf("%-8.0f %-7u %10.1f %10.2f %10.2f %10.3f %10.3f %10.2f\n", fs / 1e6, th,
                   rate / 1e6, rate / fs, wall1 / best_wall, best_cpu / secs, best_main / secs,
                   cpu1 / best_main);
        }
        printf("  %.0f Msps: %zu samples, %zu bursts (hash %016llx), %zu of %zu DroneID-like "
               "bursts found\n", fs / 1e6, n, ref.bursts, (unsigned long long)ref.hash,
               ref.found, truth);
        fftwf_free(x);
        siggen_destroy(g);
    }
    return fail;
}
