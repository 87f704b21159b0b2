/* The live path without hardware: the "sim" adapter's device thread feeds the same
 * pool and consumer loop as the SoapySDR adapter. A slow consumer must cost counted
 * drops and flagged gaps, never a stalled device; a fast one gets every sample and
 * the front end finds the simulated DroneID bursts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "frontend.h"
#include "sg_adapter.h"
#include "sg_lsan.h"

SG_LSAN_SUPPRESS(SG_LSAN_LIQUID)

typedef struct {
    uint64_t next, samples, gaps, misflagged;
    int sleep_us;
    frontend *fe;
    int wide;
} ctx;

static void on_burst(void *user, const sg_burst *b, const float complex *iq, size_t n)
{
    ctx *c = user;
    (void)iq;
    (void)n;
    if (b->bandwidth > 7e6)
        c->wide++;
}

static int sink(void *user, const sg_iq_block *b)
{
    ctx *c = user;
    assert_true(b->sample_index >= c->next);
    bool gap = b->sample_index > c->next;
    if (gap != b->discontinuity)
        c->misflagged++;
    c->gaps += gap;
    c->next = b->sample_index + b->n;
    c->samples += b->n;
    if (c->fe)
        assert_int_equal(frontend_execute(c->fe, b, on_burst, c), 0);
    if (c->sleep_us) {
        struct timespec ts = {0, c->sleep_us * 1000L};
        nanosleep(&ts, NULL);
    }
    return 0;
}

static void *open_sim(const char *json)
{
    const sg_iq_adapter *a = sg_iq_adapter_find("sim");
    assert_non_null(a);
    assert_true(a->live);
    cJSON *o = cJSON_Parse(json);
    assert_non_null(o);
    void *st = NULL;
    sg_errinfo e = {0};
    int rc = a->open(&st, o, "sim", &e);
    cJSON_Delete(o);
    if (rc)
        fail_msg("open: %s", e.msg);
    return st;
}

static void test_slow_consumer_drops_counted(void **state)
{
    (void)state;
    const sg_iq_adapter *a = sg_iq_adapter_find("sim");
    void *st = open_sim("{\"sample_rate\": 2e6, \"duration\": 0.2, \"realtime\": false, "
                        "\"pool_blocks\": 4, \"block_samples\": 4096}");
    ctx c = {.sleep_us = 2000};
    sg_errinfo e = {0};
    assert_int_equal(a->run(st, sink, &c, &e), 0);
    sg_adapter_stats s;
    a->stats(st, &s);
    print_message("delivered %llu samples, dropped %llu in %llu blocks, %llu gaps\n",
                  (unsigned long long)s.samples, (unsigned long long)s.samples_dropped,
                  (unsigned long long)s.blocks_dropped, (unsigned long long)c.gaps);
    assert_int_equal(s.samples, c.samples);
    assert_int_equal(s.samples + s.samples_dropped, 400000);
    assert_true(s.blocks_dropped > 0); /* 98 blocks made far faster than 2 ms each */
    assert_true(c.gaps > 0);
    assert_int_equal(c.misflagged, 0);
    a->close(st);
}

static int failing_sink(void *user, const sg_iq_block *b)
{
    int *calls = user;
    (void)b;
    return ++*calls == 3 ? SG_EIO : 0;
}

/* A sink error ends run() with that code although the "device" would go on for
 * 100 s; stop() before run() makes it return at once. */
static void test_stop(void **state)
{
    (void)state;
    const sg_iq_adapter *a = sg_iq_adapter_find("sim");
    void *st = open_sim("{\"sample_rate\": 1e6, \"duration\": 100, \"realtime\": false}");
    int calls = 0;
    sg_errinfo e = {0};
    assert_int_equal(a->run(st, failing_sink, &calls, &e), SG_EIO);
    assert_int_equal(calls, 3);
    a->close(st);
    st = open_sim("{\"sample_rate\": 1e6, \"duration\": 100, \"realtime\": true}");
    a->stop(st);
    calls = 0;
    assert_int_equal(a->run(st, failing_sink, &calls, &e), 0);
    assert_true(calls <= 1);
    a->close(st);
}

static void test_live_into_frontend(void **state)
{
    (void)state;
    const sg_iq_adapter *a = sg_iq_adapter_find("sim");
    void *st = open_sim("{\"sample_rate\": 15.36e6, \"duration\": 0.35, \"realtime\": true, "
                        "\"signals\": [{\"kind\": \"droneid\", \"snr_db\": 20, \"t_start\": 0.02, "
                        "\"period\": 0.1}]}");
    frontend_cfg cfg;
    frontend_cfg_default(&cfg);
    sg_errinfo e = {0};
    ctx c = {0};
    c.fe = frontend_create(&cfg, &e);
    assert_non_null(c.fe);
    assert_int_equal(a->run(st, sink, &c, &e), 0);
    assert_int_equal(frontend_flush(c.fe, on_burst, &c), 0);
    sg_adapter_stats s;
    a->stats(st, &s);
    print_message("paced 0.35 s: %llu samples, %llu dropped, %d DroneID-like bursts\n",
                  (unsigned long long)s.samples, (unsigned long long)s.samples_dropped, c.wide);
    assert_int_equal(s.samples + s.samples_dropped, (uint64_t)llround(0.35 * 15.36e6));
    assert_int_equal(c.misflagged, 0);
    if (s.samples_dropped == 0) /* a paced device and a fast consumer: nothing lost */
        assert_int_equal(c.wide, 4);
    else
        assert_true(c.wide <= 4);
    frontend_destroy(c.fe);
    a->close(st);
}

static void test_bad_options(void **state)
{
    (void)state;
    static const struct {
        const char *json, *key;
    } bad[] = {
        {"{}", "sample_rate"},
        {"{\"sample_rate\": 2e6, \"signals\": [{\"kind\": \"radar\"}]}", "signals[0].kind"},
        {"{\"sample_rate\": 2e6, \"signals\": [{\"kind\": \"lora\", \"snr\": 3}]}", "snr"},
        {"{\"sample_rate\": 2e6, \"signals\": [{\"kind\": \"fm_video\"}]}", "fm_video"},
        {"{\"sample_rate\": 2e6, \"pool_blocks\": 1}", "pool_blocks"},
        {"{\"sample_rate\": 2e6, \"datetime\": \"noon\"}", "datetime"},
        {"{\"sample_rate\": 2e6, \"gain\": 3}", "gain"},
    };
    const sg_iq_adapter *a = sg_iq_adapter_find("sim");
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cJSON *o = cJSON_Parse(bad[i].json);
        void *st = NULL;
        sg_errinfo e = {0};
        int rc = a->open(&st, o, "sensors[1].adapter", &e);
        cJSON_Delete(o);
        if (rc == 0 || st || !strstr(e.msg, bad[i].key))
            fail_msg("case %zu: rc %d \"%s\"", i, rc, e.msg);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_slow_consumer_drops_counted),
        cmocka_unit_test(test_stop),
        cmocka_unit_test(test_live_into_frontend),
        cmocka_unit_test(test_bad_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
