/* sg_dfcal end to end: sg_gen writes a 5-channel capture of a reference source at a
 * surveyed position seen by an array with injected channel errors; sg_dfcal writes the
 * calibration into the venue file, which then reads back (doa_array_from_json) as the
 * injected errors within 2 deg / 0.3 dB; --check passes on the same capture and fails
 * (exit 3) on a capture where one channel drifted by 20 deg; bad arguments exit 2. */
#include <complex.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "doa.h"
#include "geo.h"
#include "site.h"

#define GEN SG_BINARY_DIR "/sg_gen"
#define CAL SG_BINARY_DIR "/sg_dfcal"
#define DIR_ SG_BINARY_DIR "/test_sg_dfcal"
#define LAT0 51.556
#define LON0 -0.2796
#define H0 87.0

static const double ph[5] = {0, 40, -70, 110, -160}, gd[5] = {0, 1, -1.5, 0.5, 2};

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* Capture of an ELRS-like reference at ENU (120, 300, 30) from a site at (0, 0, 12). */
static void gen(const char *name, double drift2)
{
    char scn[2048], cmd[1024];
    snprintf(scn, sizeof scn,
             "{\"sample_rate\": 2.4e6, \"center_freq\": 2.4409e9, \"duration\": 0.4,\n"
             " \"sites\": [{\"name\": \"s\", \"position_enu_m\": [0, 0, 12], \"yaw_deg\": 35,\n"
             "   \"array\": {\"geometry\": \"uca\", \"elements\": 5, \"radius_m\": 0.052},\n"
             "   \"phase_error_deg\": [%g, %g, %g, %g, %g], \"gain_error_db\": [%g, %g, %g, %g, %g]}],\n"
             " \"emitters\": [{\"signal\": {\"kind\": \"elrs\", \"snr_db\": 25, \"period\": 0.002},\n"
             "   \"position_enu_m\": [120, 300, 30], \"seed\": 8}]}\n",
             ph[0], ph[1], ph[2] + drift2, ph[3], ph[4], gd[0], gd[1], gd[2], gd[3], gd[4]);
    snprintf(cmd, sizeof cmd, "%s_%s.json", DIR_, name);
    write_text(cmd, scn);
    char run[2048];
    snprintf(run, sizeof run, GEN " -q -o %s_%s --array-scenario %s", DIR_, name, cmd);
    assert_int_equal(system(run), 0);
}

static void venue(void)
{
    geo_frame f;
    assert_int_equal(geo_frame_init(&f, LAT0 * M_PI / 180, LON0 * M_PI / 180, H0, NULL), 0);
    double s[3] = {0, 0, 12}, lat, lon, h;
    geo_frame_from_enu(&f, s, &lat, &lon, &h);
    char v[2048];
    snprintf(v, sizeof v,
             "{\"version\": 1, \"site\": {\"name\": \"t\", \"origin\": {\"lat_deg\": %.8f, "
             "\"lon_deg\": %.8f, \"alt_m\": %.3f}},\n"
             " \"sensors\": [{\"id\": \"df-1\", \"kind\": \"rf\", \"position\": {\"lat_deg\": %.9f, "
             "\"lon_deg\": %.9f, \"alt_m\": %.3f}, \"orientation\": {\"yaw_deg\": 35},\n"
             "  \"adapter\": {\"type\": \"sigmf\", \"path\": \"x.sigmf-meta\"},\n"
             "  \"frontend\": {\"nfft\": 256},\n"
             "  \"array\": {\"geometry\": \"uca\", \"elements\": 5, \"radius_m\": 0.052}},\n"
             "  {\"id\": \"cam\", \"kind\": \"camera\", \"enabled\": false, \"position\": "
             "{\"lat_deg\": 51.5, \"lon_deg\": -0.1, \"alt_m\": 10}}]}\n",
             LAT0, LON0, H0, lat * 180 / M_PI, lon * 180 / M_PI, h);
    write_text(DIR_ "_venue.json", v);
}

static char src_arg[128];

static int run(const char *args)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, CAL " -q -v " DIR_ "_venue.json %s > " DIR_ ".out 2>&1", args);
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static void test_calibrate_and_check(void **st)
{
    (void)st;
    gen("ref", 0);
    gen("drift", 20);
    venue();
    geo_frame f;
    assert_int_equal(geo_frame_init(&f, LAT0 * M_PI / 180, LON0 * M_PI / 180, H0, NULL), 0);
    double p[3] = {120, 300, 30}, lat, lon, h;
    geo_frame_from_enu(&f, p, &lat, &lon, &h);
    snprintf(src_arg, sizeof src_arg, "--source %.9f,%.9f,%.3f", lat * 180 / M_PI,
             lon * 180 / M_PI, h);
    char args[512];
    /* --check before any calibration is stored: an error */
    snprintf(args, sizeof args, "-s df-1 -c " DIR_ "_ref-s %s --check 5", src_arg);
    assert_int_equal(run(args), 2);
    snprintf(args, sizeof args, "-s df-1 -c " DIR_ "_ref-s %s", src_arg);
    assert_int_equal(run(args), 0);
    sg_errinfo e;
    sg_site *s = site_load(DIR_ "_venue.json", &e);
    assert_non_null(s);
    doa_array a;
    assert_int_equal(doa_array_from_json(&a, s->sensors[0].array, "t", &e), 0);
    assert_true(a.calibrated);
    for (int i = 0; i < 5; i++) {
        double complex g = 1.0 / (double complex)a.cal[i];
        double dph = remainder(carg(g) * 180 / M_PI - ph[i], 360);
        double dg = 20 * log10(cabs(g)) - gd[i];
        printf("  channel %d: phase error %.2f deg, gain error %.3f dB\n", i, dph, dg);
        assert_true(fabs(dph) < 2.0);
        assert_true(fabs(dg) < 0.3);
    }
    site_free(s);
    /* the same capture passes the drift check; a drifted channel fails it */
    snprintf(args, sizeof args, "-s df-1 -c " DIR_ "_ref-s %s --check 5", src_arg);
    assert_int_equal(run(args), 0);
    snprintf(args, sizeof args, "-s df-1 -c " DIR_ "_drift-s %s --check 5", src_arg);
    assert_int_equal(run(args), 3);
    /* the bearing form gives the same result */
    double az, el, r, d[3] = {120, 300, 18};
    geo_enu_to_aer(d, &az, &el, &r);
    snprintf(args, sizeof args, "-s df-1 -c " DIR_ "_ref-s --bearing %.4f,%.4f --check 2",
             az * 180 / M_PI, el * 180 / M_PI);
    assert_int_equal(run(args), 0);
}

static void test_bad_arguments(void **st)
{
    (void)st;
    venue();
    char args[512];
    const char *bad[] = {
        "-s df-1 -c " DIR_ "_ref-s",                              /* no source */
        "-s df-1 -c " DIR_ "_ref-s --bearing 10 --source 1,2,3",  /* both */
        "-s nope -c " DIR_ "_ref-s --bearing 10",                 /* unknown sensor */
        "-s cam -c " DIR_ "_ref-s --bearing 10",                  /* not rf with an array */
        "-s df-1 -c " DIR_ "_missing --bearing 10",               /* no capture */
        "-s df-1 -c " DIR_ "_ref-s --bearing 10,100",             /* elevation out of range */
        "-s df-1 -c " DIR_ "_ref-s --bearing 10 --min-snr-db 90", /* no usable burst */
    };
    for (int i = 0; i < 7; i++) {
        snprintf(args, sizeof args, "%s", bad[i]);
        int rc = run(args);
        if (rc != 2)
            fail_msg("\"%s\": exit %d, want 2", bad[i], rc);
    }
    /* a 4-channel capture for a 5-element array */
    write_text(DIR_ "_4.json",
               "{\"sample_rate\": 2.4e6, \"center_freq\": 2.4409e9, \"duration\": 0.4,\n"
               " \"sites\": [{\"name\": \"s\", \"position_enu_m\": [0, 0, 12],\n"
               "   \"array\": {\"geometry\": \"uca\", \"elements\": 4, \"radius_m\": 0.04}}],\n"
               " \"emitters\": [{\"signal\": {\"kind\": \"elrs\", \"period\": 0.002},\n"
               "   \"position_enu_m\": [120, 300, 30], \"seed\": 8}]}\n");
    assert_int_equal(system(GEN " -q -o " DIR_ "_4 --array-scenario " DIR_ "_4.json"), 0);
    assert_int_equal(run("-s df-1 -c " DIR_ "_4-s --bearing 10"), 2);
    FILE *f = fopen(DIR_ ".out", "r");
    char msg[512] = "";
    assert_non_null(f);
    assert_non_null(fgets(msg, sizeof msg, f));
    fclose(f);
    assert_non_null(strstr(msg, "4 channels"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_calibrate_and_check),
        cmocka_unit_test(test_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
