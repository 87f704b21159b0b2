/* Resilience of the whole daemon: what the field throws at it must give clear
 * errors or counted degradations, never a crash or a stall.
 *   - a sensor that stops sending is reported degraded while the rest keeps working;
 *   - a subscriber that never reads does not stall the pipeline;
 *   - NaN/Inf samples are counted and replaced, a clock that jumps back is survived;
 *   - a truncated recording is reported by name and everything before it processed;
 *   - an overloaded live input drops whole blocks and counts every lost sample;
 *   - a corrupt venue file exits with status 1 and names the file and the problem. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <complex.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon_harness.h"
#include "sigmf.h"

#define B SG_BINARY_DIR "/test_resil"
#define SCENE_START 1784572200.0 /* 2026-07-20T18:30:00Z */

/* Noise capture: n_seg segments of seg samples; segment k starts at t_start[k]. A
 * fraction of NaN/Inf samples is planted when poison is set. */
static void write_capture(const char *base, const double *t_start, size_t n_seg, size_t seg,
                          bool poison)
{
    sg_errinfo e = {0};
    sigmf_writer *w = sigmf_writer_create(base, SIGMF_CF32_LE, 15.36e6, 2.4445e9, t_start[0],
                                          "resilience test", &e);
    if (!w)
        fail_msg("%s", e.msg);
    float complex *x = malloc(seg * sizeof *x);
    assert_non_null(x);
    unsigned s = 12345;
    for (size_t k = 0; k < n_seg; k++) {
        if (k)
            assert_int_equal(sigmf_writer_capture(w, 2.4445e9, t_start[k], &e), 0);
        for (size_t i = 0; i < seg; i++) {
            s = s * 1103515245u + 12345u;
            float a = ((float)(s >> 16 & 0x7fff) / 32768.0f - 0.5f) * 0.05f;
            x[i] = a + I * (a * 0.5f);
            if (poison && i % 997 == 0)
                x[i] = (i / 997) % 2 ? NAN : INFINITY;
        }
        assert_int_equal(sigmf_writer_write(w, x, seg, &e), 0);
    }
    free(x);
    assert_int_equal(sigmf_writer_close(w, &e), 0);
}

/* A venue with the demo zones and the given sensors (JSON array text). */
static void write_venue(const char *path, const char *sensors)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f,
            "{\"version\": 1, \"site\": {\"name\": \"resilience\", \"origin\": {\"lat_deg\": "
            "51.556, \"lon_deg\": -0.2796, \"alt_m\": 87}},\n"
            " \"zones\": \"%s/testdata/zones/stadium.geojson\",\n"
            " \"signatures\": \"%s/config/signatures.json\",\n"
            " \"sensors\": %s,\n"
            " \"outputs\": {\"feed\": {\"status_period_s\": 1}}}\n",
            SG_SOURCE_DIR, SG_SOURCE_DIR, sensors);
    fclose(f);
}

/* A venue with one RF sensor `id` replaying the SigMF recording B/<rec>.sigmf-meta. */
static void write_replay_venue(const char *venue, const char *id, const char *rec)
{
    char sensors[1024];
    snprintf(sensors, sizeof sensors,
             "[{\"id\": \"%s\", \"kind\": \"rf\", \"position\": {\"lat_deg\": 51.5573, "
             "\"lon_deg\": -0.2796, \"alt_m\": 135},"
             " \"adapter\": {\"type\": \"sigmf\", \"path\": \"%s/%s.sigmf-meta\"}}]",
             id, B, rec);
    write_venue(venue, sensors);
}

static const char *sensor_state(const cJSON *status, const char *id)
{
    const cJSON *s;
    cJSON_ArrayForEach(s, cJSON_GetObjectItem(status, "sensors"))
    {
        if (strcmp(jstr(s, "id"), id) == 0)
            return jstr(s, "state");
    }
    return "";
}

static int setup(void **state)
{
    (void)state;
    return system("rm -rf " B " && mkdir -p " B);
}

static void test_sensor_stops_degraded(void **state)
{
    (void)state;
    /* rf-b hears 1 s of noise at the start of the scene, then nothing. */
    double t0[] = {SCENE_START};
    write_capture(B "/short", t0, 1, 15360000 / 10 * 10, false);
    char sensors[2048];
    snprintf(sensors, sizeof sensors,
             "[{\"id\": \"rf-a\", \"kind\": \"rf\", \"position\": {\"lat_deg\": 51.5573, "
             "\"lon_deg\": -0.2796, \"alt_m\": 135}, \"stale_after_s\": 5,"
             " \"adapter\": {\"type\": \"sigmf\", \"path\": \"%s/testdata/demo-stadium.sigmf-meta\"},"
             " \"frontend\": {\"warmup_frames\": 16, \"threshold_db\": 8}},"
             " {\"id\": \"rf-b\", \"kind\": \"rf\", \"position\": {\"lat_deg\": 51.5550, "
             "\"lon_deg\": -0.2796, \"alt_m\": 120}, \"stale_after_s\": 5,"
             " \"adapter\": {\"type\": \"sigmf\", \"path\": \"%s/short.sigmf-meta\"}}]",
             SG_SOURCE_DIR, B);
    write_venue(B "/two.json", sensors);
    msglist l = {0};
    static const char *const args[] = {"-c", B "/two.json", NULL};
    int status = harness_run(B "/two.log", args, &l);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("daemon status %#x (log %s)", status, B "/two.log");
    /* after rf-b fell silent, status says so, and rf-a's tracks keep coming */
    size_t degraded = 0, tracks_after = 0;
    double t_degraded = INFINITY;
    for (size_t i = 0; i < l.n; i++) {
        const cJSON *j = l.msgs[i];
        if (strcmp(jstr(j, "type"), "status") == 0 &&
            strcmp(sensor_state(j, "rf-b"), "degraded") == 0) {
            degraded++;
            t_degraded = fmin(t_degraded, jnum(j, "t"));
            assert_string_not_equal(sensor_state(j, "rf-a"), "degraded");
        }
        if (strcmp(jstr(j, "type"), "track") == 0 && jnum(j, "t") > t_degraded)
            tracks_after++;
    }
    print_message("rf-b degraded in %zu status messages from t=%+.1f s; %zu track messages "
                  "after\n", degraded, t_degraded - SCENE_START, tracks_after);
    assert_true(degraded >= 5);
    /* stale_after_s (5 s) after its last data (1 s), within a status period (1 s) */
    assert_true(t_degraded - SCENE_START > 1 + 5);
    assert_true(t_degraded - SCENE_START < 1 + 5 + 1.5);
    assert_true(tracks_after > 50);
    msglist_free(&l);
}

static void test_dead_subscriber_does_not_stall(void **state)
{
    (void)state;
    char ep[256];
    static const char *const args[] = {"-c", SG_SOURCE_DIR "/config/default-venue.json",
                                       "--linger", "0.5", NULL};
    pid_t pid = harness_start(B "/dead.log", args, ep, sizeof ep);
    void *ctx = zmq_ctx_new();
    void *dead = zmq_socket(ctx, ZMQ_SUB), *live = zmq_socket(ctx, ZMQ_SUB);
    int hwm = 200000, tiny = 10, small_buf = 4096;
    zmq_setsockopt(live, ZMQ_RCVHWM, &hwm, sizeof hwm);
    assert_int_equal(zmq_connect(live, ep), 0);
    assert_int_equal(zmq_setsockopt(live, ZMQ_SUBSCRIBE, "", 0), 0);
    /* a subscriber that never reads, with tiny queues: it falls behind at once */
    zmq_setsockopt(dead, ZMQ_RCVHWM, &tiny, sizeof tiny);
    zmq_setsockopt(dead, ZMQ_RCVBUF, &small_buf, sizeof small_buf);
    assert_int_equal(zmq_connect(dead, ep), 0);
    assert_int_equal(zmq_setsockopt(dead, ZMQ_SUBSCRIBE, "", 0), 0);
    msglist l = {0};
    int status = 0;
    harness_collect(live, pid, &l, &status, NULL, NULL, 0);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    const cJSON *st = msglist_last(&l, "status");
    if (!st)
        fail_msg("no status among %zu messages (log %s)", l.n, B "/dead.log");
    assert_int_equal((long long)jnum(st, "samples_processed"), 1717248);
    size_t alerts = 0;
    for (size_t i = 0; i < l.n; i++)
        alerts += strcmp(jstr(l.msgs[i], "type"), "alert") == 0;
    assert_true(alerts >= 3);
    msglist_free(&l);
    zmq_close(dead);
    zmq_close(live);
    zmq_ctx_term(ctx);
}

static void test_nan_samples_and_clock_jump(void **state)
{
    (void)state;
    /* three segments: the second jumps an hour back, the third forward again */
    double t0[] = {SCENE_START, SCENE_START - 3600, SCENE_START + 2};
    write_capture(B "/nan", t0, 3, 200000, true);
    write_replay_venue(B "/nan.json", "rf-x", "nan");
    msglist l = {0};
    static const char *const args[] = {"-c", B "/nan.json", NULL};
    int status = harness_run(B "/nan.log", args, &l);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    const cJSON *st = msglist_last(&l, "status");
    assert_non_null(st);
    assert_int_equal((long long)jnum(st, "samples_processed"), 600000);
    const cJSON *s = cJSON_GetArrayItem(cJSON_GetObjectItem(st, "sensors"), 0);
    long long bad = (long long)jnum(s, "bad_samples");
    print_message("NaN/Inf samples counted: %lld\n", bad);
    assert_int_equal(bad, 3 * ((200000 + 996) / 997));
    msglist_free(&l);
}

static void test_truncated_recording(void **state)
{
    (void)state;
    double t0[] = {SCENE_START};
    write_capture(B "/trunc", t0, 1, 100000, false);
    /* cut the data in the middle of a sample */
    assert_int_equal(truncate(B "/trunc.sigmf-data", 100000 * 8 - 3), 0);
    write_replay_venue(B "/trunc.json", "rf-t", "trunc");
    msglist l = {0};
    static const char *const args[] = {"-c", B "/trunc.json", NULL};
    int status = harness_run(B "/trunc.log", args, &l);
    assert_true(WIFEXITED(status));
    /* a truncated file is not a failure of the daemon: reported, the rest processed */
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_true(log_contains(B "/trunc.log", "rf-t: input ended with an error"));
    assert_true(log_contains(B "/trunc.log", "trunc.sigmf-data"));
    const cJSON *st = msglist_last(&l, "status");
    assert_non_null(st);
    assert_int_equal((long long)jnum(st, "samples_processed"), 99999);
    msglist_free(&l);
}

/* A simulated live SDR (never blocks, like a device callback) at 100 Msps into a
 * deliberately expensive front end (64-bin FFTs, 75 % overlap, no batching): the
 * consumer cannot keep up, whole blocks are dropped, and every sample is accounted
 * for as processed or dropped. */
static void test_overload_counts_drops(void **state)
{
    (void)state;
    write_venue(B "/over.json",
                "[{\"id\": \"sdr-sim\", \"kind\": \"rf\", \"position\": {\"lat_deg\": 51.5573, "
                "\"lon_deg\": -0.2796, \"alt_m\": 135}, \"adapter\": {\"type\": \"sim\", "
                "\"sample_rate\": 100e6, \"center_freq\": 2.44e9, \"duration\": 1, "
                "\"datetime\": \"2026-07-20T18:30:00Z\", \"pool_blocks\": 2},"
                " \"frontend\": {\"nfft\": 64, \"overlap\": 0.75, \"batch\": 1}}]");
    msglist l = {0};
    static const char *const args[] = {"-c", B "/over.json", "--record-out", B "/over.jsonl",
                                       NULL};
    int status = harness_run(B "/over.log", args, &l);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    const cJSON *fed = msglist_last(&l, "status");
    assert_non_null(fed); /* the feed carried status */
    /* The accounting is that of the last status published (docs/feed-schema.md: the
     * sensor's final health makes it exact), read from the daemon's record: every run
     * also publishes an early status (first block not yet counted: 0 processed), and
     * a subscriber on a heavily loaded machine may receive the final one or not. */
    cJSON *st = harness_record_last(B "/over.jsonl", "status");
    assert_non_null(st);
    double done = jnum(st, "samples_processed"), lost = jnum(st, "samples_dropped");
    print_message("overload: %.0f samples processed, %.0f dropped in %.0f blocks (the "
                  "subscriber's last status: %.0f processed)\n",
                  done, lost, jnum(st, "blocks_dropped"), jnum(fed, "samples_processed"));
    assert_true(lost > 0);
    assert_true(jnum(st, "blocks_dropped") > 0);
    assert_int_equal((long long)(done + lost), 100000000LL); /* nothing unaccounted */
    cJSON_Delete(st);
    msglist_free(&l);
}

static void test_corrupt_venue(void **state)
{
    (void)state;
    FILE *f = fopen(B "/corrupt.json", "w");
    assert_non_null(f);
    fputs("{\"version\": 1, \"site\": {\"name\": \"x\", \"origin\": {\"lat_deg\": 95, "
          "\"lon_deg\": 0, \"alt_m\": 0}}, \"sensors\": []}",
          f);
    fclose(f);
    int rc = system(SG_BINARY_DIR "/skyguardd -q -c " B "/corrupt.json 2> " B "/corrupt.err");
    assert_true(WIFEXITED(rc));
    assert_int_equal(WEXITSTATUS(rc), 1);
    assert_true(log_contains(B "/corrupt.err", B "/corrupt.json: site.origin.lat_deg"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sensor_stops_degraded),
        cmocka_unit_test(test_dead_subscriber_does_not_stall),
        cmocka_unit_test(test_nan_samples_and_clock_jump),
        cmocka_unit_test(test_truncated_recording),
        cmocka_unit_test(test_overload_counts_drops),
        cmocka_unit_test(test_corrupt_venue),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
