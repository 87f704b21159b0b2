/* Channel plan for one SDR (adapters/scan_plan.h) and the "sim" adapter following it.
 *
 * - Configuration: every invalid plan fails with an error naming the key.
 * - Arithmetic: cycle, duty, per-burst probability, revisit bound and the schedule
 *   (scan_plan_at) on a plan worked out by hand.
 * - Scenario: a simulated SDR of 15.36 Msps hops over three 2.4 GHz channels (dwell
 *   0.12 s, settle 1 ms); one DroneID-like drone (9 MHz OFDM burst of 0.64 ms every 0.1 s)
 *   sits on each planned channel in turn, starting at a time unrelated to the plan. The
 *   IQ runs through the default front end and the DroneID shape gate; the drone's first
 *   candidate region must come within the documented bound (scan_plan_revisit_bound)
 *   of its start, on the right RF frequency; every retune is a discontinuity with the
 *   new centre, and the settling samples are counted, not dropped. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "droneid_burst.h"
#include "frontend.h"
#include "scan_plan.h"
#include "sg_adapter.h"

static int parse(const char *json, scan_plan *p, sg_errinfo *e)
{
    cJSON *o = cJSON_Parse(json);
    if (!o)
        fail_msg("test JSON does not parse: %s", json);
    int rc = scan_plan_from_json(p, o, "scan", e);
    cJSON_Delete(o);
    return rc;
}

static void test_invalid_plans(void **st)
{
    (void)st;
    static const struct {
        const char *json, *key;
    } bad[] = {
        {"{}", "channels"},
        {"{\"channels\": []}", "channels"},
        {"{\"channels\": [{\"dwell_s\": 0.1}]}", "center_freq"},
        {"{\"channels\": [{\"center_freq\": 2.44e9, \"dwell_s\": 0}]}", "dwell_s"},
        {"{\"channels\": [{\"center_freq\": 2.44e9, \"dwell_s\": 61}]}", "dwell_s"},
        {"{\"channels\": [{\"center_freq\": -1}]}", "center_freq"},
        {"{\"channels\": [{\"center_freq\": 2.44e9, \"gain\": 3}]}", "gain"},
        {"{\"channels\": [{\"center_freq\": 2.44e9}], \"settle_s\": 0.2}", "settle_s"},
        {"{\"channels\": [{\"center_freq\": 2.44e9}], \"dwell_s\": \"long\"}", "dwell_s"},
        {"{\"channels\": [{\"center_freq\": 2.44e9}], \"hop\": 1}", "hop"},
        {"{\"channels\": [3]}", "channels[0]"},
        {"[1]", "scan"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        scan_plan p;
        sg_errinfo e = {0};
        if (parse(bad[i].json, &p, &e) == SG_OK)
            fail_msg("accepted %s", bad[i].json);
        if (!strstr(e.msg, bad[i].key))
            fail_msg("%s: error \"%s\" does not name %s", bad[i].json, e.msg, bad[i].key);
    }
    /* 65 channels: too many */
    char big[8192] = "{\"channels\": [";
    for (int i = 0; i < SCAN_PLAN_MAX + 1; i++)
        snprintf(big + strlen(big), sizeof big - strlen(big), "%s{\"center_freq\": %d}",
                 i ? ", " : "", 2400000 + i);
    strcat(big, "]}");
    scan_plan p;
    sg_errinfo e = {0};
    assert_int_equal(parse(big, &p, &e), SG_EINVAL);
    assert_non_null(strstr(e.msg, "channels"));
    /* no plan */
    assert_int_equal(scan_plan_from_json(&p, NULL, "scan", &e), SG_OK);
    assert_int_equal(p.n, 0);
    assert_true(scan_plan_cycle(&p) == 0);
}

static void test_arithmetic(void **st)
{
    (void)st;
    scan_plan p;
    sg_errinfo e = {0};
    assert_int_equal(parse("{\"channels\": [{\"center_freq\": 2.41e9, \"dwell_s\": 0.3}, "
                           "{\"center_freq\": 2.44e9}, {\"center_freq\": 5.8e9, \"dwell_s\": 0.1}],"
                           " \"dwell_s\": 0.5, \"settle_s\": 0.002}",
                           &p, &e),
                     SG_OK);
    assert_int_equal(p.n, 3);
    assert_true(fabs(p.ch[1].dwell_s - 0.5) < 1e-12); /* the plan's default dwell */
    const double T = 0.3 + 0.5 + 0.1 + 3 * 0.002;
    assert_true(fabs(scan_plan_cycle(&p) - T) < 1e-12);
    assert_true(fabs(scan_plan_duty(&p, 0) - 0.3 / T) < 1e-12);
    assert_true(fabs(scan_plan_duty(&p, 2) - 0.1 / T) < 1e-12);
    assert_true(scan_plan_duty(&p, 3) == 0);
    assert_true(fabs(scan_plan_p_burst(&p, 1, 0.00065) - (0.5 - 0.00065) / T) < 1e-12);
    assert_true(scan_plan_p_burst(&p, 2, 0.2) == 0); /* a burst longer than the dwell */
    /* a burst every 0.2 s: the 0.3 and 0.5 s dwells hold a period, the 0.1 s one not */
    assert_true(fabs(scan_plan_revisit_bound(&p, 0, 0.2, 0.00065) - (T - 0.3 + 0.20065)) <
                1e-12);
    assert_true(isinf(scan_plan_revisit_bound(&p, 2, 0.2, 0.00065)));
    /* the schedule: settle, dwell per channel; the next cycle starts again at channel 0 */
    const struct {
        double t;
        unsigned ch;
        bool settling;
        double until;
    } at[] = {
        {0, 0, true, 0.002},          {0.001, 0, true, 0.002},     {0.002, 0, false, 0.302},
        {0.301, 0, false, 0.302},     {0.303, 1, true, 0.304},     {0.5, 1, false, 0.804},
        {0.805, 2, true, 0.806},      {0.9, 2, false, 0.906},      {T + 0.0005, 0, true, T + 0.002},
        {10 * T + 0.4, 1, false, 10 * T + 0.804},
    };
    for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
        unsigned ch;
        bool s;
        double u;
        scan_plan_at(&p, at[i].t, &ch, &s, &u);
        if (ch != at[i].ch || s != at[i].settling || fabs(u - at[i].until) > 1e-9)
            fail_msg("t %.4f: channel %u settling %d until %.6f, expected %u %d %.6f", at[i].t,
                     ch, s, u, at[i].ch, at[i].settling, at[i].until);
    }
}

/* ---- the scenario --------------------------------------------------------------------- */

#define FS 15.36e6
#define DWELL 0.12
#define SETTLE 1e-3
#define PERIOD 0.1
static const double chans[3] = {2.4265e9, 2.4415e9, 2.4565e9};

typedef struct {
    frontend *fe;
    double drone_f, t_first; /* first candidate on the drone's frequency, s from t0 */
    double last_fc;
    unsigned retunes_seen, discont;
    uint64_t samples;
} scen;

static void on_burst(void *user, const sg_burst *b, const float complex *iq, size_t n)
{
    (void)iq, (void)n;
    scen *s = user;
    if (droneid_burst_candidate(b) && fabs(b->fc - s->drone_f) < 1e6 && isnan(s->t_first))
        s->t_first = b->t_start + b->duration;
}

static int sink(void *user, const sg_iq_block *blk)
{
    scen *s = user;
    if (blk->center_freq != s->last_fc) {
        if (s->last_fc != 0)
            s->retunes_seen++;
        /* every retune after the first tune is flagged as a gap */
        if (s->last_fc != 0 && !blk->discontinuity)
            fail_msg("retune to %.4f MHz without a discontinuity", blk->center_freq / 1e6);
        s->last_fc = blk->center_freq;
    }
    s->discont += blk->discontinuity;
    s->samples += blk->n;
    return frontend_execute(s->fe, blk, on_burst, s);
}

static void test_scenario(void **st)
{
    (void)st;
    const sg_iq_adapter *a = sg_iq_adapter_find("sim");
    assert_non_null(a);
    const double dur = 0.5, len = 0.00065;
    for (unsigned k = 0; k < 3; k++) {
        /* the drone: +1.5 MHz off channel k's centre, first burst at a time unrelated to
         * the plan; on channel 0 just after its dwell ended (the worst case: the next
         * visit is a cycle later) */
        double t_start = k == 0 ? 0.1215 : 0.013 + 0.071 * k, off = chans[k] + 1.5e6 - chans[1];
        char json[1024];
        snprintf(json, sizeof json,
                 "{\"sample_rate\": %g, \"center_freq\": %g, \"duration\": %g, \"seed\": %u,"
                 " \"realtime\": false, \"pool_blocks\": 256, \"block_samples\": 16384,"
                 " \"signals\": [{\"kind\": \"droneid\", \"snr_db\": 15, \"freq_offset\": %g,"
                 " \"t_start\": %g, \"period\": %g}],"
                 " \"scan\": {\"dwell_s\": %g, \"settle_s\": %g, \"channels\": [{\"center_freq\":"
                 " %g}, {\"center_freq\": %g}, {\"center_freq\": %g}]}}",
                 FS, chans[1], dur, 11 + k, off, t_start, PERIOD, DWELL, SETTLE, chans[0],
                 chans[1], chans[2]);
        cJSON *o = cJSON_Parse(json);
        assert_non_null(o);
        void *as = NULL;
        sg_errinfo e = {0};
        int rc = a->open(&as, o, "sim", &e);
        cJSON_Delete(o);
        if (rc)
            fail_msg("open: %s", e.msg);
        frontend_cfg fc;
        frontend_cfg_default(&fc);
        fc.sample_rate = FS;
        fc.deliver_iq = false;
        scen s = {.drone_f = chans[1] + off, .t_first = NAN};
        s.fe = frontend_create(&fc, &e);
        assert_non_null(s.fe);
        assert_int_equal(a->run(as, sink, &s, &e), SG_OK);
        assert_int_equal(frontend_flush(s.fe, on_burst, &s), SG_OK);
        sg_adapter_stats ast;
        a->stats(as, &ast);
        a->close(as);
        frontend_destroy(s.fe);

        scan_plan p;
        assert_int_equal(parse("{\"dwell_s\": 0.12, \"settle_s\": 0.001, \"channels\": "
                               "[{\"center_freq\": 2.4265e9}, {\"center_freq\": 2.4415e9}, "
                               "{\"center_freq\": 2.4565e9}]}",
                               &p, &e),
                         SG_OK);
        double T = scan_plan_cycle(&p), bound = scan_plan_revisit_bound(&p, k, PERIOD, len);
        /* retunes: one per channel change in [0, dur) */
        unsigned changes = (unsigned)floor(dur / (DWELL + SETTLE) - 1e-9);
        printf("drone on channel %u (%.4f MHz) from %.3f s: first candidate %.3f s after, bound "
               "%.3f s (cycle %.3f s, duty %.3f); %llu retunes, %llu settling samples, "
               "%llu dropped\n",
               k, s.drone_f / 1e6, t_start, s.t_first - t_start, bound, T,
               scan_plan_duty(&p, k), (unsigned long long)ast.retunes,
               (unsigned long long)ast.samples_settling,
               (unsigned long long)ast.samples_dropped);
        assert_int_equal(ast.samples_dropped, 0);
        assert_int_equal(ast.retunes, changes);
        assert_int_equal(s.retunes_seen, changes);
        assert_int_equal(ast.scan_channels, 3);
        assert_true(fabs(ast.scan_cycle_s - T) < 1e-12);
        /* every visit's settle_s (the first included) is not delivered */
        uint64_t settle_n = (uint64_t)(changes + 1) * (uint64_t)(SETTLE * FS);
        assert_true(llabs((long long)ast.samples_settling - (long long)settle_n) <= 4 * (changes + 1));
        assert_true(s.samples + ast.samples_settling == (uint64_t)llround(dur * FS));
        assert_false(isnan(s.t_first));
        assert_true(s.t_first - t_start <= bound);
    }
}

/* A signal on no planned channel is a configuration error naming it. */
static void test_signal_off_plan(void **st)
{
    (void)st;
    const sg_iq_adapter *a = sg_iq_adapter_find("sim");
    assert_non_null(a);
    cJSON *o = cJSON_Parse("{\"sample_rate\": 15.36e6, \"center_freq\": 2.4415e9, \"duration\": 0.1,"
                           " \"signals\": [{\"kind\": \"elrs\"}, {\"kind\": \"droneid\", "
                           "\"freq_offset\": 30e6}], \"scan\": {\"channels\": "
                           "[{\"center_freq\": 2.4415e9}, {\"center_freq\": 2.4265e9}]}}");
    assert_non_null(o);
    void *as = NULL;
    sg_errinfo e = {0};
    assert_int_equal(a->open(&as, o, "sim", &e), SG_EINVAL);
    assert_null(as);
    assert_non_null(strstr(e.msg, "signals[1]"));
    assert_non_null(strstr(e.msg, "outside every channel"));
    cJSON_Delete(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_invalid_plans),
        cmocka_unit_test(test_arithmetic),
        cmocka_unit_test(test_signal_off_plan),
        cmocka_unit_test(test_scenario),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
