/* Tracker benchmark: CPU time per 10 Hz scan for 10 / 100 / 1000 targets with 10 clutter
 * points per scan (Pd 0.9, 5 m position noise, straight random flights at 5-20 m/s, about
 * 2.5 targets per km^2), for the NCV and IMM models. Inputs come from the fixed-seed
 * scenario generator; tracks are verified to be held (mean OSPA with c = 50 m, p = 2,
 * below a bound, no id switches beyond 1 %, no clutter tracks confirmed) or the program
 * exits 1. Reports per-core scans/s and the real-time ratio (scan period / CPU per scan).
 * Only time inside tracker_process is counted (scoring is excluded). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario.h"
#include "tracker.h"

int main(int argc, char **argv)
{
    const int sizes[] = {10, 100, 1000};
    const char *models[] = {"ncv", "imm"};
    bool quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
    int fails = 0;
    printf("%-5s %6s %8s %12s %12s %10s %12s %9s %8s %6s\n", "model", "targets", "scans",
           "us/scan", "max us/scan", "scans/s", "realtime x", "mean OSPA", "switch", "false");
    for (int mi = 0; mi < 2; mi++)
        for (int si = 0; si < 3; si++) {
            int n = sizes[si];
            scen_cfg c;
            scen_cfg_default(&c);
            c.n_targets = n;
            c.clutter_per_scan = 10;
            c.pd = 0.9;
            c.rate_hz = 10;
            c.duration_s = quick ? 5 : (n >= 1000 ? 20 : 30);
            c.region_m = 1000 * sqrt(n / 10.0);
            c.seed = 20261122 + (uint64_t)n;
            scenario s = {0};
            sg_errinfo e = {0};
            if (scen_generate(&c, &s, &e)) {
                fprintf(stderr, "bench_tracker: %s\n", e.msg);
                return 1;
            }
            tracker_cfg tc;
            tracker_cfg_default(&tc);
            tc.model = mi ? KF_MODEL_IMM : KF_MODEL_NCV;
            tc.q_jerk = 5;
            /* repeat small cases so each figure rests on >= ~1 s of CPU */
            double cpu = 0, worst = 0, ospa = 0;
            size_t scans = 0, switches = 0, falses = 0, ids = 0;
            int reps = 0;
            do {
                tracker *q = tracker_create(&tc, &e);
                scen_result r;
                if (!q || scen_run(q, &s, 50, 2, NULL, NULL, &r, &e)) {
                    fprintf(stderr, "bench_tracker: %s\n", e.msg);
                    return 1;
                }
                cpu += r.process_s;
                if (r.max_scan_s > worst)
                    worst = r.max_scan_s;
                scans += r.scans;
                ospa = r.mean_ospa;
                switches = r.id_switches;
                falses = r.false_confirmed;
                ids = r.confirmed_ids;
                tracker_destroy(q);
                reps++;
            } while (cpu < (quick ? 0.05 : 1.0) && reps < 1000);
            double per = cpu / (double)scans;
            printf("%-5s %6d %8zu %12.1f %12.1f %10.0f %12.1f %9.2f %8zu %6zu\n", models[mi], n,
                   scans, per * 1e6, worst * 1e6, 1 / per, 0.1 / per, ospa, switches, falses);
            /* verification: the first second is start-up (M-of-N), so the bound is loose */
            bool held = ospa < 10 && switches <= (size_t)(n / 100 + 1) && falses == 0 &&
                        ids >= (size_t)n;
            if (!held) {
                fprintf(stderr, "bench_tracker: %s %d targets: tracks not held\n", models[mi], n);
                fails++;
            }
            scen_free(&s);
        }
    return fails ? 1 : 0;
}
