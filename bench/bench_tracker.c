/* Tracker benchmark.
 * Part 1, scale: CPU time per 10 Hz scan for 1000 / 3000 / 10000 targets (density held at
 * ~2.5 targets per km^2, 10 clutter points per scan, Pd 0.9, 5 m position noise, straight
 * random flights at 5-20 m/s, one scan report per scan), models NCV and IMM_CT. Reports the
 * mean over all scans (including the first, where every target starts a track), the slowest
 * scan, per-core scans/s and the real-time margin (scan period / CPU per scan); the tracks
 * are verified to be held (mean OSPA c = 50 m, p = 2 below a bound, id switches below 1 %,
 * at most 0.1 % of the targets never confirmed, no clutter track confirmed) or the program
 * exits 1.
 * Part 2, accuracy: mean OSPA and GOSPA (c = 50 m, p = 2) per scenario class (empty sky,
 * formation, split returns, dense clutter, manoeuvre) for the default configuration and for
 * the rules before issue 20 ("old": no initiation in gates, no split/duplicate rule, fixed
 * M-of-N, no scan reports; NCV on the manoeuvre class).
 * Only time inside tracker_process_scans is counted (scoring is excluded).
 *   bench_tracker [--quick] [--scale-only] [--model ncv|imm_ct] [--targets N]
 *   (--quick: shorter runs, for CI; --scale-only: part 1 only; --model / --targets: that row
 *   of part 1 only, e.g. for a profiler) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario.h"
#include "sg_json.h"
#include "tracker.h"

static tracker *make(const char *json)
{
    tracker_cfg c;
    sg_errinfo e = {0};
    cJSON *o = json ? cJSON_Parse(json) : NULL;
    if (tracker_cfg_from_json(&c, o, "bench", &e)) {
        fprintf(stderr, "bench_tracker: %s\n", e.msg);
        exit(1);
    }
    cJSON_Delete(o);
    tracker *q = tracker_create(&c, &e);
    if (!q) {
        fprintf(stderr, "bench_tracker: %s\n", e.msg);
        exit(1);
    }
    return q;
}

static int run(const scen_cfg *c, const char *json, scen_result *r)
{
    scenario s = {0};
    sg_errinfo e = {0};
    if (scen_generate(c, &s, &e)) {
        fprintf(stderr, "bench_tracker: %s\n", e.msg);
        exit(1);
    }
    tracker *q = make(json);
    int rc = scen_run(q, &s, 50, 2, NULL, NULL, r, &e);
    if (rc)
        fprintf(stderr, "bench_tracker: %s\n", e.msg);
    tracker_destroy(q);
    scen_free(&s);
    return rc;
}

static int scale(bool quick, const char *only_model, int only_n)
{
    const int sizes[] = {1000, 3000, 10000};
    const char *models[] = {"ncv", "imm_ct"};
    int fails = 0;
    printf("scale: 10 Hz scans, 10 clutter/scan, Pd 0.9, 5 m noise, ~2.5 targets/km^2\n");
    printf("%-7s %7s %6s %10s %12s %9s %11s %9s %7s %6s\n", "model", "targets", "scans",
           "us/scan", "max us/scan", "scans/s", "margin@10Hz", "mean OSPA", "switch", "false");
    for (int mi = 0; mi < 2; mi++)
        for (int si = 0; si < 3; si++) {
            int n = sizes[si];
            if ((only_model && strcmp(only_model, models[mi]) != 0) || (only_n && only_n != n))
                continue;
            scen_cfg c;
            scen_cfg_default(&c);
            c.n_targets = n;
            c.clutter_per_scan = 10;
            c.duration_s = quick ? 3 : 10;
            c.region_m = 1000 * sqrt(n / 10.0);
            c.scan_reports = true;
            c.seed = 20261122 + (uint64_t)n;
            char json[128];
            snprintf(json, sizeof json, "{\"model\": \"%s\", \"max_tracks\": 100000}",
                     models[mi]);
            scen_result r;
            if (run(&c, json, &r))
                return 1;
            double per = r.process_s / (double)r.scans;
            printf("%-7s %7d %6zu %10.0f %12.0f %9.0f %10.1fx %9.2f %7zu %6zu\n", models[mi], n,
                   r.scans, per * 1e6, r.max_scan_s * 1e6, 1 / per, 0.1 / per, r.mean_ospa,
                   r.id_switches, r.false_confirmed);
            /* the first 0.2 s is start-up (M-of-N), so the OSPA bound is loose */
            bool held = r.mean_ospa < 10 && r.id_switches <= (size_t)(n / 100 + 1) &&
                        r.false_confirmed == 0 && r.never_confirmed <= (size_t)(n / 1000);
            if (!held) {
                fprintf(stderr, "bench_tracker: %s %d targets: tracks not held (%zu never "
                        "confirmed)\n", models[mi], n, r.never_confirmed);
                fails++;
            }
        }
    return fails;
}

#define OLD "\"init_in_gate\": false, \"dup_scans\": 0, \"split_radius_m\": 0, " \
            "\"confirm_adapt\": false"

static void accuracy(bool quick)
{
    printf("\naccuracy: mean OSPA / GOSPA (c = 50 m, p = 2), seeds 1-%d, default vs old rules\n",
           quick ? 1 : 3);
    printf("%-14s %-44s %17s %17s\n", "class", "scene", "old OSPA/GOSPA", "new OSPA/GOSPA");
    for (int k = 0; k < 5; k++) {
        const char *name = "", *scene = "", *old = "{" OLD "}", *cfg = NULL;
        double o[2] = {0, 0}, g[2] = {0, 0};
        int seeds = quick ? 1 : 3;
        for (int seed = 1; seed <= seeds; seed++)
            for (int v = 0; v < 2; v++) {
                scen_cfg c;
                scen_cfg_default(&c);
                c.seed = (uint64_t)seed;
                c.scan_reports = v == 1;
                switch (k) {
                case 0:
                    name = "empty sky";
                    scene = "10 drones land at 8 s of 15 s, no clutter";
                    c.duration_s = 15;
                    c.leave_s = 8;
                    c.clutter_per_scan = 0;
                    break;
                case 1:
                    name = "formation";
                    scene = "4 drones join 15 m apart every 2 s, 5 m";
                    c.kind = SCEN_FORMATION;
                    c.n_targets = 4;
                    c.join_s = 2;
                    c.duration_s = 12;
                    c.clutter_per_scan = 5;
                    break;
                case 2:
                    name = "split returns";
                    scene = "10 drones, 70 % second return 1 m off";
                    c.split_prob = 0.7;
                    c.duration_s = 20;
                    break;
                case 3:
                    name = "dense clutter";
                    scene = "10 drones, 100 clutter/scan over 1 km^2";
                    c.region_m = 500;
                    c.clutter_per_scan = 100;
                    c.duration_s = 20;
                    break;
                default:
                    name = "manoeuvre";
                    scene = "3 drones turning 6 m/s^2, 40 s (imm_ct)";
                    c.kind = SCEN_MANOEUVRE;
                    c.n_targets = 3;
                    c.duration_s = 40;
                    c.clutter_per_scan = 2;
                    cfg = "{\"model\": \"imm_ct\"}";
                    break;
                }
                scen_result r;
                if (run(&c, v ? cfg : old, &r))
                    exit(1);
                o[v] += r.mean_ospa / seeds;
                g[v] += r.mean_gospa / seeds;
            }
        printf("%-14s %-44s %8.2f/%8.2f %8.2f/%8.2f\n", name, scene, o[0], g[0], o[1], g[1]);
    }
}

int main(int argc, char **argv)
{
    bool quick = false, scale_only = false;
    const char *only_model = NULL;
    int only_n = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            quick = true;
        } else if (strcmp(argv[i], "--scale-only") == 0) {
            scale_only = true;
        } else if (strcmp(argv[i], "--model") == 0 && i + 1 < argc) {
            only_model = argv[++i];
            scale_only = true;
        } else if (strcmp(argv[i], "--targets") == 0 && i + 1 < argc) {
            only_n = atoi(argv[++i]);
            scale_only = true;
        } else {
            fprintf(stderr, "usage: bench_tracker [--quick] [--scale-only] [--model ncv|imm_ct] "
                            "[--targets 1000|3000|10000]\n");
            return 2;
        }
    }
    int fails = scale(quick, only_model, only_n);
    if (!scale_only)
        accuracy(quick);
    return fails ? 1 : 0;
}
