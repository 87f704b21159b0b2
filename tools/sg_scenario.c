/* sg_scenario: make and run tracking scenarios.
 *
 *   sg_scenario gen  [options] --truth T.csv --meas M.csv [--scans S.csv]
 *                                                           generate a scenario (fixed seed)
 *   sg_scenario run  --truth T.csv --meas M.csv [--scans S.csv] [--config tracker.json]
 *                    [--tracks out.csv]
 *                    [--c 50] [--p 2] [--quiet]             run the tracker, print OSPA/GOSPA
 *
 * CSV formats are documented in tracker/scenario.h and docs/tracker.md. Exit status: 0 ok,
 * 1 runtime error (bad file), 2 usage error. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario.h"
#include "sg_json.h"
#include "tracker.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: sg_scenario gen --truth T.csv --meas M.csv [--scans S.csv]\n"
            "         [--kind random|crossing|manoeuvre|formation]\n"
            "         [--sensor pos|range_bearing|bearing2] [--targets N] [--duration S]\n"
            "         [--rate HZ] [--pd P] [--clutter PER_SCAN] [--region M] [--pos-sd M]\n"
            "         [--ang-sd RAD] [--range-sd M] [--cross-angle DEG] [--speed MIN,MAX]\n"
            "         [--spacing M] [--join S] [--leave S] [--split P] [--split-sd M]\n"
            "         [--seed N]   (--scans writes one scan report per sensor per scan)\n"
            "       sg_scenario run --truth T.csv --meas M.csv [--scans S.csv]\n"
            "         [--config tracker.json] [--tracks out.csv] [--c M (50)] [--p P (2)]\n"
            "         [--quiet]\n"
            "       sg_scenario --help\n");
}

static int parse_d(const char *s, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

typedef struct {
    FILE *tracks;
    bool quiet;
} run_ctx;

static void on_scan(void *vctx, double t, const sg_track *tr, size_t n, const ospa_result *sc)
{
    run_ctx *ctx = vctx;
    if (ctx->tracks)
        for (size_t k = 0; k < n; k++)
            if (tr[k].status == SG_TRACK_CONFIRMED || tr[k].status == SG_TRACK_COASTING)
                fprintf(ctx->tracks, "%.3f,%u,%.3f,%.3f,%.3f,%s\n", t, tr[k].id, tr[k].x[0],
                        tr[k].x[1], tr[k].x[2],
                        tr[k].status == SG_TRACK_CONFIRMED ? "confirmed" : "coasting");
    if (!ctx->quiet)
        printf("%.3f ospa=%.3f gospa=%.3f assigned=%zu missed=%zu false=%zu\n", t, sc->ospa,
               sc->gospa, sc->n_assigned, sc->n_missed, sc->n_false);
}

int main(int argc, char **argv)
{
    if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        usage(stdout);
        return 0;
    }
    if (argc < 2 || (strcmp(argv[1], "gen") && strcmp(argv[1], "run"))) {
        usage(stderr);
        return 2;
    }
    bool gen = strcmp(argv[1], "gen") == 0;
    scen_cfg sc;
    scen_cfg_default(&sc);
    const char *truth = NULL, *meas = NULL, *config = NULL, *tracks = NULL, *scans = NULL;
    double c = 50, p = 2;
    bool quiet = false;
    static const struct option opts[] = {
        {"truth", required_argument, 0, 't'},   {"meas", required_argument, 0, 'm'},
        {"config", required_argument, 0, 'C'},  {"tracks", required_argument, 0, 'o'},
        {"c", required_argument, 0, 'c'},       {"p", required_argument, 0, 'p'},
        {"quiet", no_argument, 0, 'q'},         {"kind", required_argument, 0, 'k'},
        {"sensor", required_argument, 0, 'S'},  {"targets", required_argument, 0, 'n'},
        {"duration", required_argument, 0, 'd'}, {"rate", required_argument, 0, 'r'},
        {"pd", required_argument, 0, 'P'},      {"clutter", required_argument, 0, 'l'},
        {"region", required_argument, 0, 'R'},  {"pos-sd", required_argument, 0, 's'},
        {"ang-sd", required_argument, 0, 'a'},  {"range-sd", required_argument, 0, 'g'},
        {"cross-angle", required_argument, 0, 'x'}, {"speed", required_argument, 0, 'v'},
        {"seed", required_argument, 0, 'e'},    {"help", no_argument, 0, 'h'},
        {"scans", required_argument, 0, 'z'},   {"spacing", required_argument, 0, 'X'},
        {"join", required_argument, 0, 'J'},    {"leave", required_argument, 0, 'L'},
        {"split", required_argument, 0, 'Y'},   {"split-sd", required_argument, 0, 'D'},
        {0, 0, 0, 0},
    };
    optind = 2;
    int ch, li = 0;
    while ((ch = getopt_long(argc, argv, "", opts, &li)) != -1) {
        double v = 0;
        bool bad = false;
        switch (ch) {
        case 't': truth = optarg; break;
        case 'm': meas = optarg; break;
        case 'C': config = optarg; break;
        case 'o': tracks = optarg; break;
        case 'z': scans = optarg; sc.scan_reports = true; break;
        case 'X': bad = parse_d(optarg, &sc.spacing_m); break;
        case 'J': bad = parse_d(optarg, &sc.join_s); break;
        case 'L': bad = parse_d(optarg, &sc.leave_s); break;
        case 'Y': bad = parse_d(optarg, &sc.split_prob); break;
        case 'D': bad = parse_d(optarg, &sc.split_sd); break;
        case 'q': quiet = true; break;
        case 'c': bad = parse_d(optarg, &c) || !(c > 0); break;
        case 'p': bad = parse_d(optarg, &p) || !(p >= 1); break;
        case 'k':
            if (!strcmp(optarg, "random")) sc.kind = SCEN_RANDOM;
            else if (!strcmp(optarg, "crossing")) sc.kind = SCEN_CROSSING;
            else if (!strcmp(optarg, "manoeuvre")) sc.kind = SCEN_MANOEUVRE;
            else if (!strcmp(optarg, "formation")) sc.kind = SCEN_FORMATION;
            else bad = true;
            break;
        case 'S':
            if (!strcmp(optarg, "pos")) sc.sensor = SCEN_SENSOR_POS;
            else if (!strcmp(optarg, "range_bearing")) sc.sensor = SCEN_SENSOR_RANGE_BEARING;
            else if (!strcmp(optarg, "bearing2")) sc.sensor = SCEN_SENSOR_BEARING2;
            else bad = true;
            break;
        case 'n': bad = parse_d(optarg, &v) || v < 1 || v > 1e6 || v != floor(v); sc.n_targets = (int)v; break;
        case 'd': bad = parse_d(optarg, &sc.duration_s); break;
        case 'r': bad = parse_d(optarg, &sc.rate_hz); break;
        case 'P': bad = parse_d(optarg, &sc.pd); break;
        case 'l': bad = parse_d(optarg, &sc.clutter_per_scan); break;
        case 'R': bad = parse_d(optarg, &sc.region_m); break;
        case 's': bad = parse_d(optarg, &sc.pos_sd); break;
        case 'a': bad = parse_d(optarg, &sc.ang_sd); break;
        case 'g': bad = parse_d(optarg, &sc.range_sd); break;
        case 'x': bad = parse_d(optarg, &sc.cross_angle_deg); break;
        case 'v': bad = sscanf(optarg, "%lf,%lf", &sc.speed_min, &sc.speed_max) != 2; break;
        case 'e': bad = parse_d(optarg, &v) || v < 1 || v != floor(v); sc.seed = (uint64_t)v; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
        if (bad) {
            fprintf(stderr, "sg_scenario: invalid value for --%s: %s\n", opts[li].name, optarg);
            return 2;
        }
    }
    if (!truth || !meas || optind != argc) {
        usage(stderr);
        return 2;
    }
    sg_errinfo e = {0};
    scenario s;
    memset(&s, 0, sizeof s);
    if (gen) {
        if (scen_generate(&sc, &s, &e) || scen_write_truth_csv(&s, truth, &e) ||
            scen_write_meas_csv(&s, meas, &e) || (scans && scen_write_scans_csv(&s, scans, &e))) {
            fprintf(stderr, "sg_scenario: %s\n", e.msg);
            scen_free(&s);
            return 1;
        }
        printf("wrote %zu truth rows to %s, %zu measurements (%zu clutter) to %s\n", s.n_truth,
               truth, s.n_meas, s.n_clutter, meas);
        scen_free(&s);
        return 0;
    }
    tracker_cfg tc;
    cJSON *root = NULL;
    if (config) {
        root = sgj_parse_file(config, &e);
        if (!root) {
            fprintf(stderr, "sg_scenario: %s\n", e.msg);
            return 1;
        }
    }
    int rc = tracker_cfg_from_json(&tc, root, config ? config : "tracker", &e);
    cJSON_Delete(root);
    if (rc) {
        fprintf(stderr, "sg_scenario: %s\n", e.msg);
        return 1;
    }
    if (scen_read_truth_csv(&s, truth, &e) || scen_read_meas_csv(&s, meas, &e) ||
        (scans && scen_read_scans_csv(&s, scans, &e))) {
        fprintf(stderr, "sg_scenario: %s\n", e.msg);
        scen_free(&s);
        return 1;
    }
    tracker *q = tracker_create(&tc, &e);
    if (!q) {
        fprintf(stderr, "sg_scenario: %s\n", e.msg);
        scen_free(&s);
        return 1;
    }
    run_ctx ctx = {NULL, quiet};
    char tmp[4096];
    if (tracks) {
        snprintf(tmp, sizeof tmp, "%s.tmp", tracks);
        ctx.tracks = fopen(tmp, "w");
        if (!ctx.tracks) {
            fprintf(stderr, "sg_scenario: %s: cannot create\n", tmp);
            tracker_destroy(q);
            scen_free(&s);
            return 1;
        }
        fprintf(ctx.tracks, "t,track_id,x,y,z,status\n");
    }
    scen_result r;
    rc = scen_run(q, &s, c, p, on_scan, &ctx, &r, &e);
    if (ctx.tracks) {
        bool bad = ferror(ctx.tracks);
        if (fclose(ctx.tracks) || bad || rename(tmp, tracks)) {
            fprintf(stderr, "sg_scenario: %s: write failed\n", tracks);
            remove(tmp);
            rc = rc ? rc : SG_EIO;
        }
    }
    if (rc == SG_OK) {
        tracker_counts st;
        tracker_stats(q, &st);
        printf("scans=%zu mean_ospa=%.3f mean_gospa=%.3f max_ospa=%.3f (c=%g m, p=%g)\n",
               r.scans, r.mean_ospa, r.mean_gospa, r.max_ospa, c, p);
        printf("confirmed_ids=%zu false_confirmed=%zu id_switches=%zu cpu_in_tracker=%.3f s\n",
               r.confirmed_ids, r.false_confirmed, r.id_switches, r.process_s);
        printf("confirm_delay mean=%.3f s max=%.3f s never_confirmed=%zu scans_used=%llu "
               "scan_misses=%llu\n",
               r.confirm_delay_mean_s, r.confirm_delay_max_s, r.never_confirmed,
               (unsigned long long)st.scans_used, (unsigned long long)st.scan_misses);
        printf("measurements in=%llu used=%llu initiated=%llu unused=%llu pended=%llu "
               "rejected=%llu tracks created=%llu confirmed=%llu deleted=%llu\n",
               (unsigned long long)st.meas_in, (unsigned long long)st.used,
               (unsigned long long)st.initiated, (unsigned long long)st.unused,
               (unsigned long long)st.pended,
               (unsigned long long)(st.rej_type + st.rej_invalid + st.rej_cov + st.rej_too_old),
               (unsigned long long)st.tracks_created, (unsigned long long)st.tracks_confirmed,
               (unsigned long long)st.tracks_deleted);
    } else {
        fprintf(stderr, "sg_scenario: %s\n", e.msg);
    }
    tracker_destroy(q);
    scen_free(&s);
    return rc ? 1 : 0;
}
