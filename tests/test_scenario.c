/* Scenario files: the committed testdata/tracker CSVs are reproducible from their documented
 * generator command and track cleanly; CSV round trip; every malformed line is refused
 * with the file and line named; the sg_scenario tool's usage (exit 2) and --help (exit 0). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "scenario.h"
#include "sg_json.h"

#define TD SG_SOURCE_DIR "/testdata/tracker/"
#define SCEN SG_BINARY_DIR "/sg_scenario"

static tracker *mk(const char *json)
{
    tracker_cfg c;
    sg_errinfo e = {0};
    cJSON *o = json ? cJSON_Parse(json) : NULL;
    assert_int_equal(tracker_cfg_from_json(&c, o, "test", &e), 0);
    cJSON_Delete(o);
    tracker *q = tracker_create(&c, &e);
    assert_non_null(q);
    return q;
}

static void load(scenario *s, const char *truth, const char *meas)
{
    sg_errinfo e = {0};
    memset(s, 0, sizeof *s);
    if (scen_read_truth_csv(s, truth, &e) || scen_read_meas_csv(s, meas, &e))
        fail_msg("%s", e.msg);
}

/* sg_scenario gen --kind crossing --targets 2 --duration 12 --clutter 2 --cross-angle 60
 *   --seed 3 (docs/tracker.md) */
static void test_committed_crossing(void **state)
{
    (void)state;
    scenario s;
    load(&s, TD "crossing_truth.csv", TD "crossing_meas.csv");
    scen_cfg c;
    scen_cfg_default(&c);
    c.kind = SCEN_CROSSING;
    c.n_targets = 2;
    c.duration_s = 12;
    c.clutter_per_scan = 2;
    c.cross_angle_deg = 60;
    c.seed = 3;
    scenario g = {0};
    sg_errinfo e = {0};
    assert_int_equal(scen_generate(&c, &g, &e), 0);
    assert_int_equal(g.n_truth, s.n_truth);
    assert_int_equal(g.n_meas, s.n_meas);
    for (size_t i = 0; i < s.n_truth; i++)
        for (int k = 0; k < 3; k++)
            assert_true(fabs(g.truth[i].p[k] - s.truth[i].p[k]) < 1e-3);
    for (size_t i = 0; i < s.n_meas; i++) {
        assert_int_equal(g.clutter[i], s.clutter[i]);
        for (int k = 0; k < 3; k++)
            assert_true(fabs(g.meas[i].z[k] - s.meas[i].z[k]) < 1e-3);
    }
    tracker *q = mk(NULL);
    scen_result r;
    assert_int_equal(scen_run(q, &s, 50, 2, NULL, NULL, &r, &e), 0);
    assert_int_equal(r.id_switches, 0);
    assert_int_equal(r.confirmed_ids, 2);
    assert_int_equal(r.false_confirmed, 0);
    assert_true(r.mean_ospa < 6);
    tracker_destroy(q);
    scen_free(&s);
    scen_free(&g);
}

/* sg_scenario gen --kind manoeuvre --sensor range_bearing --targets 1 --duration 30 --rate 5
 *   --clutter 1 --ang-sd 0.002 --seed 4: the IMM follows the turns better than NCV. */
static void test_committed_manoeuvre(void **state)
{
    (void)state;
    scenario s;
    load(&s, TD "manoeuvre_rb_truth.csv", TD "manoeuvre_rb_meas.csv");
    assert_int_equal(s.meas[0].type, SG_MEAS_RANGE_BEARING);
    double ospa[2];
    const char *cfg[2] = {NULL, "{\"model\": \"imm\", \"q_jerk\": 5}"};
    for (int k = 0; k < 2; k++) {
        tracker *q = mk(cfg[k]);
        scen_result r;
        sg_errinfo e = {0};
        assert_int_equal(scen_run(q, &s, 50, 2, NULL, NULL, &r, &e), 0);
        assert_int_equal(r.confirmed_ids, 1);
        assert_int_equal(r.id_switches, 0);
        ospa[k] = r.mean_ospa;
        tracker_destroy(q);
    }
    print_message("manoeuvre (range-bearing): mean OSPA NCV %.2f m, IMM %.2f m\n", ospa[0],
                  ospa[1]);
    assert_true(ospa[1] < ospa[0]);
    assert_true(ospa[1] < 6);
    scen_free(&s);
}

static void test_round_trip(void **state)
{
    (void)state;
    scen_cfg c;
    scen_cfg_default(&c);
    c.sensor = SCEN_SENSOR_BEARING2;
    c.n_targets = 3;
    c.duration_s = 2;
    c.scan_reports = true;
    c.leave_s = 1.5; /* the last scans are empty-sky markers */
    scenario g = {0}, s = {0};
    sg_errinfo e = {0};
    assert_int_equal(scen_generate(&c, &g, &e), 0);
    const char *tp = SG_BINARY_DIR "/test_scenario_truth.csv",
               *mp = SG_BINARY_DIR "/test_scenario_meas.csv";
    assert_int_equal(scen_write_truth_csv(&g, tp, &e), 0);
    assert_int_equal(scen_write_meas_csv(&g, mp, &e), 0);
    const char *sp = SG_BINARY_DIR "/test_scenario_scans.csv";
    assert_int_equal(scen_write_scans_csv(&g, sp, &e), 0);
    load(&s, tp, mp);
    assert_int_equal(scen_read_scans_csv(&s, sp, &e), 0);
    assert_int_equal(s.n_scans, g.n_scans);
    assert_int_equal(s.n_scans, 2 * 21); /* two sensors, 21 scans */
    for (size_t i = 0; i < s.n_scans; i++) {
        assert_int_equal(s.scans[i].cover, TRACKER_COVER_SECTOR);
        assert_int_equal(s.scans[i].sensor, g.scans[i].sensor);
        assert_true(fabs(s.scans[i].t1 - g.scans[i].t1) < 1e-6);
        assert_true(fabs(s.scans[i].az_center - g.scans[i].az_center) < 1e-8);
        assert_true(fabs(s.scans[i].range_max - g.scans[i].range_max) < 1e-3);
    }
    size_t empty = 0;
    for (size_t i = 0; i < s.n_truth; i++)
        empty += s.truth[i].id == -1;
    assert_int_equal(empty, 6); /* t = 1.5 .. 2.0 s: gone from leave_s on */
    remove(sp);
    assert_int_equal(s.n_truth, g.n_truth);
    assert_int_equal(s.n_meas, g.n_meas);
    assert_int_equal(s.n_clutter, g.n_clutter);
    for (size_t i = 0; i < s.n_meas; i++) {
        assert_int_equal(s.meas[i].type, SG_MEAS_BEARING);
        assert_int_equal(s.meas[i].sensor, g.meas[i].sensor);
        for (int k = 0; k < 2; k++)
            assert_true(fabs(s.meas[i].z[k] - g.meas[i].z[k]) < 1e-8);
        assert_true(fabs(s.meas[i].R[0] - g.meas[i].R[0]) < 1e-9);
        assert_true(fabs(s.meas[i].sensor_enu[0] - g.meas[i].sensor_enu[0]) < 1e-3);
    }
    remove(tp);
    remove(mp);
    scen_free(&g);
    scen_free(&s);
}

/* kind: 0 measurements, 1 truth, 2 scans */
static void expect_bad(const char *content, int kind, const char *needle)
{
    const char *p = SG_BINARY_DIR "/test_scenario_bad.csv";
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(content, f);
    fclose(f);
    scenario s = {0};
    sg_errinfo e = {0};
    int rc = kind == 1   ? scen_read_truth_csv(&s, p, &e)
             : kind == 2 ? scen_read_scans_csv(&s, p, &e)
                         : scen_read_meas_csv(&s, p, &e);
    scen_free(&s);
    remove(p);
    if (rc == 0)
        fail_msg("accepted: %s", content);
    if (!strstr(e.msg, "test_scenario_bad.csv") || !strstr(e.msg, needle))
        fail_msg("error \"%s\" lacks \"%s\"", e.msg, needle);
}

static void test_malformed_files(void **state)
{
    (void)state;
    expect_bad("", true, "empty");
    expect_bad("time,id,x,y,z\n", true, ":1: header");
    expect_bad("t,id,x,y,z\n1,0,1,2\n", true, ":2: expected 5 fields");
    expect_bad("t,id,x,y,z\n1,0,1,2,abc\n", true, ":2: field 5");
    expect_bad("t,id,x,y,z\n1,-2,1,2,3\n", true, ":2: id");
    expect_bad("t,id,x,y,z\n1,0.5,1,2,3\n", true, ":2: id");
    const char *sh = "t0,t1,sensor,cover,sx,sy,sz,az_center,az_half,el_min,el_max,range_max\n";
    char sb[512];
    snprintf(sb, sizeof sb, "%s1,1,0,cone,0,0,0,0,1,0,1,100\n", sh);
    expect_bad(sb, 2, ":2: cover");
    snprintf(sb, sizeof sb, "%s2,1,0,all,0,0,0,0,0,0,0,0\n", sh);
    expect_bad(sb, 2, ":2: t0");
    snprintf(sb, sizeof sb, "%s1,1,0,sector,0,0,0,0,4,0,1,100\n", sh);
    expect_bad(sb, 2, ":2: sector");
    snprintf(sb, sizeof sb, "%s1,1,0,sector,0,0,0,0,1,0.5,0.2,100\n", sh);
    expect_bad(sb, 2, ":2: sector");
    snprintf(sb, sizeof sb, "%s1,1,0,sector,0,0,0,0,1,0,1,0\n", sh);
    expect_bad(sb, 2, ":2: sector");
    snprintf(sb, sizeof sb, "%s1,1,0.5,all,0,0,0,0,0,0,0,0\n", sh);
    expect_bad(sb, 2, ":2: sensor");
    snprintf(sb, sizeof sb, "%s1,1,0,all,0,0,0,inf,0,0,0,0\n", sh);
    expect_bad(sb, 2, ":2: field 8");
    snprintf(sb, sizeof sb, "%s1,1,0,all,0,0,0,0,0,0,0\n", sh);
    expect_bad(sb, 2, ":2: expected 12 fields");
    expect_bad("t,id,x,y,z\n1,0,1,nan,3\n", true, ":2: field 4");
    const char *h = "t,sensor,type,z0,z1,z2,sd0,sd1,sd2,sx,sy,sz,clutter,identity\n";
    char buf[512];
    snprintf(buf, sizeof buf, "%s1,0,radar,1,2,3,1,1,1,0,0,0,0,\n", h);
    expect_bad(buf, false, ":2: type");
    snprintf(buf, sizeof buf, "%s# comment\n1,0,pos,1,2,3,1,0,1,0,0,0,0,\n", h);
    expect_bad(buf, false, ":3: sd1");
    snprintf(buf, sizeof buf, "%s1,0.5,pos,1,2,3,1,1,1,0,0,0,0,\n", h);
    expect_bad(buf, false, ":2: sensor");
    snprintf(buf, sizeof buf, "%s1,0,pos,1,2,3,1,1,1,0,0,0,0\n", h);
    expect_bad(buf, false, ":2: expected 14 fields");
    snprintf(buf, sizeof buf, "%s1,0,pos,1,2,3,1,1,1,0,0,0,0,%s\n", h,
             "0123456789012345678901234567890123456789012345678");
    expect_bad(buf, false, ":2: identity");
    scenario s = {0};
    sg_errinfo e = {0};
    assert_int_equal(scen_read_truth_csv(&s, SG_BINARY_DIR "/no/such/file.csv", &e), SG_EIO);
    assert_non_null(strstr(e.msg, "no/such/file.csv"));
}

static void test_generator_config_errors(void **state)
{
    (void)state;
    static const struct {
        int field;
        const char *needle;
    } cases[] = {{0, "targets"}, {1, "pd"}, {2, "seed"}, {3, "speeds"}, {4, "noise"},
                 {5, "duration"}, {6, "alt_max"}, {7, "split"}, {8, "spacing"},
                 {9, "split"}};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        scen_cfg c;
        scen_cfg_default(&c);
        switch (cases[k].field) {
        case 0: c.n_targets = 0; break;
        case 1: c.pd = 1.5; break;
        case 2: c.seed = 0; break;
        case 3: c.speed_min = 10, c.speed_max = 5; break;
        case 4: c.ang_sd = 0; break;
        case 5: c.rate_hz = 0; break;
        case 6: c.alt_min = 500; break;
        case 7: c.split_prob = 1.5; break;
        case 8: c.spacing_m = 0; break;
        default: c.split_sd = -1; break;
        }
        scenario s = {0};
        sg_errinfo e = {0};
        assert_int_equal(scen_generate(&c, &s, &e), SG_EINVAL);
        assert_non_null(strstr(e.msg, cases[k].needle));
        assert_int_equal(s.n_meas, 0);
    }
}

/* sg_scenario: wrong usage exits 2 with the usage on stderr; --help / -h (alone or after
 * gen / run) print it on stdout and exit 0. */
static void test_tool_usage(void **state)
{
    (void)state;
    if (access(SCEN, X_OK) != 0)
        skip(); /* tool not built (e.g. only the tests were built) */
    static const struct {
        const char *args;
        int rc;
    } cases[] = {
        {"", 2},       {"frob", 2}, {"gen", 2}, {"run --truth x.csv", 2}, {"gen --bogus 1", 2},
        {"--help", 0}, {"-h", 0},   {"gen --help", 0}, {"run --help", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char cmd[256], out[4096];
        snprintf(cmd, sizeof cmd, SCEN " %s 2>/dev/null", cases[i].args);
        FILE *p = popen(cmd, "r");
        assert_non_null(p);
        size_t n = fread(out, 1, sizeof out - 1, p);
        out[n] = 0;
        int st = pclose(p);
        bool usage_out = strstr(out, "usage: sg_scenario gen") != NULL;
        if (!WIFEXITED(st) || WEXITSTATUS(st) != cases[i].rc || usage_out != (cases[i].rc == 0))
            fail_msg("%s: exit %d, expected %d; usage on stdout: %d", cmd, WEXITSTATUS(st),
                     cases[i].rc, usage_out);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_committed_crossing),
        cmocka_unit_test(test_committed_manoeuvre),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_malformed_files),
        cmocka_unit_test(test_generator_config_errors),
        cmocka_unit_test(test_tool_usage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
