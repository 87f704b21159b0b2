/* Benchmark: SigMF metadata with many annotations (a long burst-annotated recording).
 * Writes and loads N = 10k and 80k annotations and reports the time per annotation and
 * the 80k/10k ratio: linear work gives ~8, the old index-walking code gave ~64 (80k took
 * about a minute). Every load is verified. Target: ratio < 16 and 80k loads in < 1 s.
 * Usage: bench_sigmf [runs] (best of runs, default 3); exit 0 = target met. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "sg_clock.h"
#include "sigmf.h"

/* Writes and loads n annotations; *w_ms, *l_ms = times. Returns 0 if the load checks. */
static int one(unsigned n, double *w_ms, double *l_ms)
{
    sg_errinfo e = {0};
    struct timespec a, b, c;
    clock_gettime(CLOCK_MONOTONIC, &a);
    float complex x[16] = {0};
    sigmf_writer *w = sigmf_writer_create("bench_sigmf_tmp", SIGMF_CI8, 1e6, 2.4e9, 1.7e9, NULL, &e);
    if (!w || sigmf_writer_write(w, x, 16, &e))
        return fprintf(stderr, "bench_sigmf: %s\n", e.msg), 1;
    for (unsigned i = 0; i < n; i++) {
        sigmf_annotation an = {.sample_start = i, .sample_count = 3, .freq_lo = 2.4e9,
                               .freq_hi = 2.41e9};
        snprintf(an.label, sizeof an.label, "b%u", i);
        if (sigmf_writer_annotate(w, &an, &e))
            return fprintf(stderr, "bench_sigmf: %s\n", e.msg), 1;
    }
    if (sigmf_writer_close(w, &e))
        return fprintf(stderr, "bench_sigmf: %s\n", e.msg), 1;
    clock_gettime(CLOCK_MONOTONIC, &b);
    sigmf_meta m;
    if (sigmf_meta_load("bench_sigmf_tmp.sigmf-meta", 0, &m, &e))
        return fprintf(stderr, "bench_sigmf: %s\n", e.msg), 1;
    clock_gettime(CLOCK_MONOTONIC, &c);
    int bad = m.n_annotations != n;
    for (unsigned i = 0; !bad && i < n; i++)
        bad = m.annotations[i].sample_start != i;
    sigmf_meta_free(&m);
    remove("bench_sigmf_tmp.sigmf-meta");
    remove("bench_sigmf_tmp.sigmf-data");
    *w_ms = sg_ms_between(&a, &b);
    *l_ms = sg_ms_between(&b, &c);
    return bad;
}

int main(int argc, char **argv)
{
    int runs = argc > 1 ? atoi(argv[1]) : 3;
    if (runs < 1)
        runs = 1;
    double w[2] = {INFINITY, INFINITY}, l[2] = {INFINITY, INFINITY};
    const unsigned n[2] = {10000, 80000};
    for (int r = 0; r < runs; r++)
        for (int k = 0; k < 2; k++) {
            double a, b;
            if (one(n[k], &a, &b))
                return fprintf(stderr, "bench_sigmf: wrong load at %u\n", n[k]), 1;
            w[k] = fmin(w[k], a);
            l[k] = fmin(l[k], b);
        }
    for (int k = 0; k < 2; k++)
        printf("%6u annotations: write %7.1f ms (%.2f us each), load %7.1f ms (%.2f us each)\n",
               n[k], w[k], 1e3 * w[k] / n[k], l[k], 1e3 * l[k] / n[k]);
    double rw = w[1] / w[0], rl = l[1] / l[0];
    printf("80k/10k ratio: write %.1f, load %.1f (linear 8, quadratic 64)\n", rw, rl);
    int ok = rw < 16 && rl < 16 && l[1] < 1000;
    printf("target (ratio < 16, 80k load < 1 s): %s\n", ok ? "met" : "MISSED");
    return ok ? 0 : 1;
}
