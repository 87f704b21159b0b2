/* End to end, direction finding on the stadium venue: an ExpressLRS-like drone with no
 * DroneID or Remote ID flies east towards the stadium at 30 m/s, 90 m up. Two DF sites
 * (5-element UCAs with channel errors, calibrated in the venue file, on the north and
 * south stands) record it with sg_gen --array-scenario; the daemon replays both.
 * Expected: a confirmed track within the stated position error of the truth and a
 * critical alert on the stadium zone before the drone enters it. With only the north
 * site: bearing lines on the rf messages but no position (no confirmed track).
 *
 * The captures are 2.4 Msps (2 of ELRS's 80 hop channels in band, to keep them small),
 * so the venue uses a signature narrowed to what such a capture shows (bandwidth,
 * duration, band): the classifier is tested elsewhere; this tests DoA -> bearings ->
 * triangulation -> zones and alerts. */
#include <complex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon_harness.h"
#include "geo.h"
#include "sg_adapter.h"

#define B SG_BINARY_DIR "/test_e2e_df"
#define LAT0 51.5560
#define LON0 -0.2796
#define H0 87.0
#define T0 1784570400.0 /* 2026-07-20T18:00:00Z: the stadium zone's schedule is on */
#define DUR 5.0
#define X0 -300.0       /* drone ENU at t = 0 (m) and velocity (m/s) */
#define Y0 20.0
#define Z0 90.0
#define VX 30.0
#define VY 0.0
#define R_ZONE 165.0    /* the critical polygon's smallest radius is ~166 m */

static const double site_enu[2][3] = {{0, 145, 48}, {0, -145, 48}};
static const char *const site_name[2] = {"north", "south"};
static const double ph_err[2][5] = {{0, 35, -70, 120, -150}, {0, -20, 80, 45, 170}};

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* sg_gen --array-scenario: both sites' captures of dur seconds as <out>-<site>. */
static int gen_captures(const char *out, double dur)
{
    char scn[4096], cmd[1024];
    size_t k = (size_t)snprintf(scn, sizeof scn,
                                "{\"sample_rate\": 2.4e6, \"center_freq\": 2.4409e9, \"duration\": "
                                "%g, \"datatype\": \"ci8\", \"datetime\": \"2026-07-20T18:00:00Z\",\n"
                                " \"sites\": [\n",
                                dur);
    for (int s = 0; s < 2; s++)
        k += (size_t)snprintf(scn + k, sizeof scn - k,
                              "  {\"name\": \"%s\", \"position_enu_m\": [%g, %g, %g], \"noise_dbfs\": "
                              "-30, \"ground_gamma\": -0.3, \"seed\": %d,\n"
                              "   \"array\": {\"geometry\": \"uca\", \"elements\": 5, \"radius_m\": "
                              "0.052},\n   \"phase_error_deg\": [%g, %g, %g, %g, %g]}%s\n",
                              site_name[s], site_enu[s][0], site_enu[s][1], site_enu[s][2], 3 + s,
                              ph_err[s][0], ph_err[s][1], ph_err[s][2], ph_err[s][3], ph_err[s][4],
                              s ? "" : ",");
    snprintf(scn + k, sizeof scn - k,
             " ],\n \"emitters\": [{\"signal\": {\"kind\": \"elrs\", \"snr_db\": 25, \"period\": "
             "0.002},\n   \"position_enu_m\": [%g, %g, %g], \"velocity_enu_mps\": [%g, %g, 0], "
             "\"seed\": 12}]}\n",
             X0, Y0, Z0, VX, VY);
    write_text(B "/scn.json", scn);
    snprintf(cmd, sizeof cmd, SG_BINARY_DIR "/sg_gen -q -o %s --array-scenario " B "/scn.json", out);
    return system(cmd) ? -1 : 0;
}

static int setup(void **state)
{
    (void)state;
    if (system("rm -rf " B " && mkdir -p " B) || gen_captures(B "/df", DUR) ||
        gen_captures(B "/short", 0.2))
        return -1;
    write_text(B "/sigs.json",
               "{\"version\": 1, \"signatures\": [{\"class\": \"elrs_2g4\", \"drone\": true, "
               "\"min_score\": 0.75, \"features\": {\"bandwidth_hz\": {\"min\": 0.4e6, \"max\": "
               "1.3e6, \"weight\": 2}, \"duration_s\": {\"min\": 0.3e-3, \"max\": 30e-3, "
               "\"weight\": 1}, \"freq_hz\": {\"bands\": [[2.4e9, 2.4835e9]], \"weight\": 1}}}]}\n");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return system("rm -f " B "/df-*.sigmf-data " B "/short-*.sigmf-data " B "/rec/*.sigmf-data");
}

/* A venue with the given DF sites (1 or 2), calibrated with the injected errors, reading
 * <capture>-<site>.sigmf-meta; its arrays have `elements` elements (5: as recorded). */
static void write_venue_of(int nsites, const char *capture, int elements)
{
    geo_frame f;
    assert_int_equal(geo_frame_init(&f, LAT0 * M_PI / 180, LON0 * M_PI / 180, H0, NULL), 0);
    char sensors[4096];
    size_t k = 0;
    for (int s = 0; s < nsites; s++) {
        double lat, lon, h;
        geo_frame_from_enu(&f, site_enu[s], &lat, &lon, &h);
        k += (size_t)snprintf(
            sensors + k, sizeof sensors - k,
            "%s{\"id\": \"df-%s\", \"kind\": \"rf\", \"position\": {\"lat_deg\": %.9f, "
            "\"lon_deg\": %.9f, \"alt_m\": %.3f},\n \"adapter\": {\"type\": \"sigmf\", \"path\": "
            "\"%s-%s.sigmf-meta\"},\n \"frontend\": {\"nfft\": 256, \"max_burst_s\": 0.005},\n"
            " \"array\": {\"geometry\": \"uca\", \"elements\": %d, \"radius_m\": 0.052",
            s ? ",\n" : "", site_name[s], lat * 180 / M_PI, lon * 180 / M_PI, h, capture,
            site_name[s], elements);
        if (elements == 5)
            k += (size_t)snprintf(sensors + k, sizeof sensors - k,
                                  ", \"calibration\": {\"phase_deg\": [%g, %g, %g, %g, %g]}",
                                  ph_err[s][0], ph_err[s][1], ph_err[s][2], ph_err[s][3],
                                  ph_err[s][4]);
        k += (size_t)snprintf(sensors + k, sizeof sensors - k, "}}");
    }
    char v[8192];
    snprintf(v, sizeof v,
             "{\"version\": 1, \"site\": {\"name\": \"stadium DF\", \"origin\": {\"lat_deg\": %.4f, "
             "\"lon_deg\": %.4f, \"alt_m\": %.1f}, \"ground_amsl_m\": 41},\n"
             " \"zones\": \"%s/testdata/zones/stadium.geojson\",\n \"signatures\": \"sigs.json\",\n"
             " \"sensors\": [%s]}\n",
             LAT0, LON0, H0, SG_SOURCE_DIR, sensors);
    write_text(B "/venue.json", v);
}

static void write_venue(int nsites)
{
    write_venue_of(nsites, "df", 5);
}

static void truth_at(double t, double p[3])
{
    double dt = t - T0;
    p[0] = X0 + VX * dt;
    p[1] = Y0 + VY * dt;
    p[2] = Z0;
}

/* The DF counters of the last status: every burst offered to DoA is accounted for by
 * exactly one outcome, and the sensor made bearings. Returns the bearing measurements of
 * all DF sensors. */
static double check_df_status(const msglist *l, int nsites)
{
    static const char *const outcome[] = {"df_doa_failed", "df_not_drone", "df_ambiguous",
                                          "df_multi_peak", "df_incoherent", "df_low_snr",
                                          "df_crowded", "df_burst_bearings"};
    const cJSON *st = msglist_last(l, "status");
    assert_non_null(st);
    const cJSON *sensors = cJSON_GetObjectItemCaseSensitive(st, "sensors");
    assert_int_equal(cJSON_GetArraySize(sensors), nsites);
    double bearings = 0;
    for (int i = 0; i < nsites; i++) {
        const cJSON *s = cJSON_GetArrayItem(sensors, i);
        double offered = jnum(s, "df_bursts"), sum = 0;
        for (size_t k = 0; k < sizeof outcome / sizeof outcome[0]; k++) {
            double v = jnum(s, outcome[k]);
            assert_true(v >= 0);
            sum += v;
        }
        print_message("%s: %g bursts offered to DF, %g combined into %g bearings; not used: %g no "
                      "DoA, %g not a drone link, %g ambiguous, %g multi-peak, %g incoherent, %g "
                      "low SNR, %g crowded\n", jstr(s, "id"), offered,
                      jnum(s, "df_burst_bearings"), jnum(s, "df_bearings"),
                      jnum(s, "df_doa_failed"), jnum(s, "df_not_drone"), jnum(s, "df_ambiguous"),
                      jnum(s, "df_multi_peak"), jnum(s, "df_incoherent"), jnum(s, "df_low_snr"),
                      jnum(s, "df_crowded"));
        assert_true(offered == jnum(s, "bursts")); /* every burst of a DF sensor */
        assert_true(offered > 0 && sum == offered);
        /* most bursts of the one drone make bearings (its bursts in band come in clusters:
         * 15 bearings in 5 s seen) */
        assert_true(jnum(s, "df_burst_bearings") > 0.5 * offered);
        assert_true(jnum(s, "df_bearings") >= 2 * DUR);
        assert_true(jnum(s, "df_bearings") <= jnum(s, "df_burst_bearings"));
        bearings += jnum(s, "df_bearings");
    }
    return bearings;
}

static void test_two_sites(void **state)
{
    (void)state;
    write_venue(2);
    msglist l = {0};
    static const char *const args[] = {"-c", B "/venue.json", "--record-out", B "/two.jsonl",
                                       NULL};
    int status = harness_run(B "/two.log", args, &l);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    harness_schema_check(B "/two.jsonl", "track,alert,status,rf", NULL);
    check_df_status(&l, 2);
    geo_frame f;
    assert_int_equal(geo_frame_init(&f, LAT0 * M_PI / 180, LON0 * M_PI / 180, H0, NULL), 0);
    /* the drone is inside R_ZONE (so inside the zone no earlier) from t_in on */
    double t_in = T0 + (-sqrt(R_ZONE * R_ZONE - Y0 * Y0) - X0) / VX;
    double first_confirmed = NAN, worst = 0, worst_v = 0, sum2 = 0, t_alert = NAN;
    size_t n = 0;
    for (size_t i = 0; i < l.n; i++) {
        const cJSON *j = l.msgs[i];
        if (!strcmp(jstr(j, "type"), "track") && !strcmp(jstr(j, "status"), "confirmed")) {
            double t = jnum(j, "t"), p[3], e[3];
            geo_frame_to_enu(&f, jnum(j, "lat") * M_PI / 180, jnum(j, "lon") * M_PI / 180,
                             jnum(j, "alt_m"), e);
            truth_at(t, p);
            double err = hypot(e[0] - p[0], e[1] - p[1]);
            worst_v = fmax(worst_v, fabs(e[2] - p[2]));
            if (isnan(first_confirmed))
                first_confirmed = t;
            worst = fmax(worst, err);
            sum2 += err * err;
            n++;
        } else if (!strcmp(jstr(j, "type"), "alert") && !strcmp(jstr(j, "state"), "raised") &&
                   !strcmp(jstr(j, "severity"), "critical") && isnan(t_alert)) {
            t_alert = jnum(j, "t");
        }
    }
    print_message("two DF sites: %zu confirmed track messages from t+%.2f s, horizontal error "
                  "rms %.1f m, worst %.1f m, vertical worst %.1f m; critical alert at t+%.2f s, "
                  "drone inside %.0f m at t+%.2f s\n",
                  n, first_confirmed - T0, n ? sqrt(sum2 / n) : NAN, worst, worst_v, t_alert - T0,
                  R_ZONE, t_in - T0);
    assert_true(n >= 3);
    assert_true(sqrt(sum2 / n) < 30);
    assert_true(worst < 60);
    assert_true(worst_v < 60); /* elevation from a small horizontal UCA is coarse near the horizon */
    assert_false(isnan(t_alert));
    assert_true(t_alert < t_in);
    msglist_free(&l);
}

static void test_one_site(void **state)
{
    (void)state;
    write_venue(1);
    msglist l = {0};
    static const char *const args[] = {"-c", B "/venue.json", "--record-out", B "/one.jsonl",
                                       NULL};
    int status = harness_run(B "/one.log", args, &l);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    harness_schema_check(B "/one.jsonl", "status,rf", NULL); /* rf with azimuth_deg */
    check_df_status(&l, 1);
    size_t confirmed = 0, rf = 0, lines = 0;
    double worst = 0, sd_max = 0;
    for (size_t i = 0; i < l.n; i++) {
        const cJSON *j = l.msgs[i];
        if (!strcmp(jstr(j, "type"), "track") && !strcmp(jstr(j, "status"), "confirmed"))
            confirmed++;
        if (strcmp(jstr(j, "type"), "rf"))
            continue;
        rf++;
        double az = jnum(j, "azimuth_deg"), sd = jnum(j, "azimuth_sd_deg");
        if (isnan(az))
            continue;
        /* the bearing line: the latest combined bearing, up to ~0.5 s old */
        double p[3];
        truth_at(jnum(j, "t") - 0.25, p);
        double taz = atan2(p[0] - site_enu[0][0], p[1] - site_enu[0][1]) * 180 / M_PI;
        worst = fmax(worst, fabs(remainder(az - taz, 360)));
        sd_max = fmax(sd_max, sd);
        assert_true(sd >= 1.5 && sd < 5);
        lines++;
    }
    print_message("one DF site: %zu confirmed track messages, %zu rf messages, %zu with a bearing "
                  "line (worst %.2f deg off the truth, sd up to %.2f deg)\n",
                  confirmed, rf, lines, worst, sd_max);
    assert_int_equal(confirmed, 0);
    assert_true(rf > 0); /* the drone is still reported as RF presence */
    assert_true(lines > 0);
    assert_true(worst < 4);
    msglist_free(&l);
}

typedef struct {
    float complex *x;
    size_t n, cap;
    unsigned channels;
} capture;

static int collect(void *user, const sg_iq_block *b)
{
    capture *c = user;
    size_t ch = b->channels ? b->channels : 1, m = b->n * ch;
    c->channels = (unsigned)ch;
    if (c->n + m > c->cap) {
        c->cap = 2 * (c->n + m);
        c->x = realloc(c->x, c->cap * sizeof *c->x);
        assert_non_null(c->x);
    }
    memcpy(c->x + c->n, b->x, m * sizeof *c->x);
    c->n += m;
    return 0;
}

/* Every sample of every channel of a SigMF recording, as replay delivers it. */
static void read_all(const char *meta, capture *c)
{
    const sg_iq_adapter *a = sg_iq_adapter_find("sigmf");
    char js[600];
    snprintf(js, sizeof js, "{\"path\": \"%s\", \"channel\": \"all\"}", meta);
    cJSON *o = cJSON_Parse(js);
    void *st = NULL;
    sg_errinfo e = {0};
    if (a->open(&st, o, "test", &e) || a->run(st, collect, c, &e))
        fail_msg("%s: %s", meta, e.msg);
    a->close(st);
    cJSON_Delete(o);
}

/* --record on a DF sensor writes the interleaved multi-channel SigMF that replay reads:
 * every channel of every sample as the input delivered it. */
static void test_record_multichannel(void **state)
{
    (void)state;
    write_venue_of(1, "short", 5);
    assert_int_equal(system("mkdir -p " B "/rec"), 0);
    msglist l = {0};
    static const char *const args[] = {"-c", B "/venue.json", "--record", B "/rec", NULL};
    int status = harness_run(B "/rec.log", args, &l);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    msglist_free(&l);
    capture in = {0}, rec = {0};
    read_all(B "/short-north.sigmf-meta", &in);
    read_all(B "/rec/df-north.sigmf-meta", &rec);
    assert_int_equal(in.channels, 5);
    assert_int_equal(rec.channels, 5);
    assert_int_equal(rec.n, in.n);
    assert_true(in.n >= (size_t)(0.2 * 2.4e6 * 5));
    assert_memory_equal(rec.x, in.x, in.n * sizeof *in.x);
    free(in.x);
    free(rec.x);
}

/* An array whose element count is not the input's channel count: refused at start. */
static void test_array_mismatch(void **state)
{
    (void)state;
    write_venue_of(1, "short", 4);
    int status = system(SG_BINARY_DIR "/skyguardd -c " B "/venue.json -e tcp://127.0.0.1:* > " B
                        "/mismatch.log 2>&1");
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) != 0);
    assert_true(log_contains(B "/mismatch.log", "input has 5 channels"));
    assert_true(log_contains(B "/mismatch.log", "array has 4 elements"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_sites),
        cmocka_unit_test(test_one_site),
        cmocka_unit_test(test_record_multichannel),
        cmocka_unit_test(test_array_mismatch),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
