/* Benchmark: MS/s per core of the whole RF front end (IQ ring + windowed batched
 * FFT + adaptive floor + CFAR + grouping + every burst's IQ, in place in the ring or
 * copied, read as a decoder would) against a
 * bare FFT of the same size, batch and plan flags over the same input, on this
 * machine. Target: front end >= 50% of the FFT-only rate at 1024 bins.
 *
 * Input: a fixed-seed synthetic 15.36 Msps capture (DroneID-like bursts, FrSky-like
 * hops, Wi-Fi-like bursts in noise); the burst count is checked against the truth so
 * a fast but broken front end cannot pass. Single thread; prints the best of
 * `reps` runs (the machine is shared). Usage: bench_frontend [seconds_per_run] [reps] [fe]
 * ("fe": the front end alone, no FFT-only runs and no ratio: for profiling with perf) */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <fftw3.h>

#include "frontend.h"
#include "siggen.h"

#define FS 15.36e6
#define NFFT 1024
#define BATCH 16

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t); /* per-core: CPU time of this thread */
    return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

typedef struct {
    size_t bursts, wide;
    double iq_sum;
} counts;

static void on_burst(void *user, const sg_burst *b, const float complex *iq, size_t n)
{
    counts *c = user;
    c->bursts++;
    if (b->bandwidth > 7e6 && b->bandwidth < 11e6 && fabs(b->fc - 2.4435e9) < 0.5e6)
        c->wide++;
    if (n) /* touch the IQ like a decoder would */
        c->iq_sum += crealf(iq[n / 2]);
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 1.5;
    int reps = argc > 2 ? atoi(argv[2]) : 3;
    const bool fe_only = argc > 3 && !strcmp(argv[3], "fe");
    const double dur = 0.5;
    sg_errinfo e = {0};
    siggen *g = siggen_create(FS, dur, 2.4415e9, 1e-4, 42, &e);
    siggen_signal s1 = {.kind = SIGGEN_DRONEID, .snr_db = 20, .freq_offset = 2e6, .t_start = 0.01, .period = 0.05};
    siggen_signal s2 = {.kind = SIGGEN_FRSKY, .snr_db = 15};
    siggen_signal s3 = {.kind = SIGGEN_WIFI, .snr_db = 12, .period = 0.02};
    if (!g || siggen_add(g, &s1, &e) || siggen_add(g, &s2, &e) || siggen_add(g, &s3, &e)) {
        fprintf(stderr, "bench_frontend: %s\n", e.msg);
        return 1;
    }
    size_t n = (size_t)siggen_length(g);
    n -= n % ((size_t)NFFT * BATCH);
    fftwf_complex *x = fftwf_alloc_complex(n);
    if (!x || siggen_generate(g, (float complex *)x, n, &e)) {
        fprintf(stderr, "bench_frontend: cannot make the input\n");
        return 1;
    }
    size_t nt, truth_droneid = 0;
    const siggen_truth *t = siggen_truth_list(g, &nt);
    for (size_t i = 0; i < nt; i++)
        truth_droneid += t[i].kind == SIGGEN_DRONEID && t[i].sample_start + t[i].sample_count <= n;

    /* FFT only: same size, batch and flags as the front end's spectrogram */
    fftwf_complex *out = fftwf_alloc_complex((size_t)NFFT * BATCH);
    int dims[1] = {NFFT};
    fftwf_plan p = fftwf_plan_many_dft(1, dims, BATCH, x, NULL, 1, NFFT, out, NULL, 1, NFFT,
                                       FFTW_FORWARD, FFTW_ESTIMATE);
    double best_fft = 0, best_fe = 0;
    for (int r = 0; r < reps && !fe_only; r++) {
        double t0 = now(), el;
        size_t done = 0;
        do {
            for (size_t i = 0; i < n; i += (size_t)NFFT * BATCH)
                fftwf_execute_dft(p, x + i, out);
            done += n;
            el = now() - t0;
        } while (el < secs);
        double rate = done / el / 1e6;
        if (rate > best_fft)
            best_fft = rate;
    }
    fftwf_destroy_plan(p);

    frontend_cfg cfg;
    frontend_cfg_default(&cfg);
    counts last = {0};
    for (int r = 0; r < reps; r++) {
        double el = 0;
        size_t done = 0;
        do {
            frontend *fe = frontend_create(&cfg, &e);
            if (!fe) {
                fprintf(stderr, "bench_frontend: %s\n", e.msg);
                return 1;
            }
            counts c = {0};
            double t0 = now();
            const size_t blk = 65536;
            for (size_t i = 0; i < n; i += blk) {
                size_t k = n - i < blk ? n - i : blk;
                sg_iq_block b = {.x = (const float complex *)(x + i), .n = k, .sample_index = i,
                                 .sample_rate = FS, .center_freq = 2.4415e9, .t0 = 0};
                frontend_execute(fe, &b, on_burst, &c);
            }
            frontend_flush(fe, on_burst, &c);
            el += now() - t0;
            done += n;
            frontend_destroy(fe);
            last = c;
        } while (el < secs);
        double rate = done / el / 1e6;
        if (rate > best_fe)
            best_fe = rate;
    }
    printf("input: %zu samples at %.2f Msps, %zu truth bursts (%zu DroneID-like)\n", n, FS / 1e6,
           nt, truth_droneid);
    printf("front end found %zu bursts, %zu DroneID-like\n", last.bursts, last.wide);
    printf("FFT only   (%d-pt, batch %d, FFTW_ESTIMATE): %8.1f MS/s per core\n", NFFT, BATCH, best_fft);
    printf("front end  (nfft %d, no overlap, IQ copies) : %8.1f MS/s per core\n", NFFT, best_fe);
    if (!fe_only)
        printf("ratio front end / FFT only: %.2f (target >= 0.50)\n", best_fe / best_fft);
    fftwf_free(x);
    fftwf_free(out);
    siggen_destroy(g);
    if (last.wide != truth_droneid) {
        fprintf(stderr, "bench_frontend: FAILED: %zu DroneID-like bursts found, %zu in the truth\n",
                last.wide, truth_droneid);
        return 1;
    }
    return fe_only || best_fe / best_fft >= 0.5 ? 0 : 3;
}
