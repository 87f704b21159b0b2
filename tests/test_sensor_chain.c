/* The burst thread of an RF sensor (apps/node/sensor_chain.h) and the replay's reader
 * thread (adapters/iq_file.c "read_ahead").
 *
 * The queue: items come out in the order they went in, each burst with its own IQ
 * window bit for bit (windows of many sizes, so the ring wraps and skips its end), a
 * window longer than half the ring grows it, a put that finds the queue or the ring full
 * waits and is counted once, invalid sizes are refused, puts after finish fail. Windows
 * put in place (a model of the front end's ring) are read by a slow burst thread before the
 * producer writes over them (its ring waits hold the writes back), in order with the
 * copied ones.
 *
 * The daemon: skyguardd's feed messages (--record-out) and event lines are the same with
 * the burst thread as without it, and with a one-item queue and a tiny IQ ring (full at
 * nearly every put: burst_queue_full counts it, the output does not change), on the demo
 * venue (DroneID decoded: the emitter pinning and position measurements go through the
 * thread) and on a busy sg_gen capture (a DroneID-like burst every 20 ms, Wi-Fi every
 * 4 ms, hoppers: many failed DroneID attempts); also with the replay's read-ahead on
 * (4 blocks; off by default).
 * Only the timing fields differ (uptime, latencies, queue depth, burst_queue_full).
 * An incident recording (--record: samples from the sensor thread, annotations from the
 * burst thread) is byte-identical with the starved burst thread and without it.
 * Venue errors for "burst_thread" name the key. */
#include <complex.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "sensor_chain.h"

#define B SG_BINARY_DIR "/test_sensor_chain.d"
#define N_PUT 600

/* ---------------------------------------------------------------- the queue */

typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool gate_open;            /* the consumer's first item waits for it */
    bool gated;
    uint64_t seen[N_PUT + 8];  /* sample_start of bursts, 1e9 + t of events, in order */
    size_t n_seen;
    size_t iq_bad;             /* samples that did not match the put window */
    size_t health;             /* events flagged health */
} sink_log;

static float complex pattern(uint64_t key, size_t i)
{
    return (float)(key % 1000) + (float)i * I;
}

static void gate(sink_log *l)
{
    pthread_mutex_lock(&l->mu);
    while (l->gated && !l->gate_open)
        pthread_cond_wait(&l->cv, &l->mu);
    pthread_mutex_unlock(&l->mu);
}

static void on_burst(void *user, const chain_burst *cb)
{
    sink_log *l = user;
    gate(l);
    for (size_t i = 0; i < cb->n_iq; i++)
        if (cb->iq[i] != pattern(cb->b.sample_start, i))
            l->iq_bad++;
    if (cb->b.sample_count != cb->n_iq || cb->center_freq != 2.4e9 ||
        cb->rec_offset != (int64_t)cb->b.sample_start)
        l->iq_bad++; /* the metadata travels with it */
    l->seen[l->n_seen++] = cb->b.sample_start;
}

static void on_event(void *user, nl_event *ev, bool block, bool health)
{
    sink_log *l = user;
    gate(l);
    l->health += health && block && ev->kind == NL_HEALTH;
    l->seen[l->n_seen++] = 1000000000u + (uint64_t)ev->t;
}

static void log_init(sink_log *l, bool gated)
{
    memset(l, 0, sizeof *l);
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->cv, NULL);
    l->gated = gated;
}

static void log_open(sink_log *l)
{
    pthread_mutex_lock(&l->mu);
    l->gate_open = true;
    pthread_cond_broadcast(&l->cv);
    pthread_mutex_unlock(&l->mu);
}

static void log_free(sink_log *l)
{
    pthread_cond_destroy(&l->cv);
    pthread_mutex_destroy(&l->mu);
}

/* A burst whose window is n samples of pattern(key). */
static int put(sensor_chain *c, uint64_t key, size_t n)
{
    float complex *x = malloc((n ? n : 1) * sizeof *x);
    assert_non_null(x);
    for (size_t i = 0; i < n; i++)
        x[i] = pattern(key, i);
    chain_burst cb = {.b = {.sample_start = key, .sample_count = n}, .center_freq = 2.4e9,
                      .sample_rate = 20e6, .rec_offset = (int64_t)key};
    int rc = sensor_chain_put_burst(c, &cb, n ? x : NULL, n);
    free(x);
    return rc;
}

/* A burst thread running burst on l's items (gated: its first item waits for log_open). */
static sensor_chain *start_with(sink_log *l, bool gated, size_t slots, size_t iq,
                                void (*burst)(void *, const chain_burst *))
{
    log_init(l, gated);
    sensor_chain_fns fns = {.burst = burst, .event = on_event, .user = l};
    sg_errinfo e = {0};
    sensor_chain *c = sensor_chain_create(slots, iq, &fns, &e);
    assert_non_null(c);
    return c;
}

/* A burst thread writing into l, checking every window against pattern(). */
static sensor_chain *start(sink_log *l, bool gated, size_t slots, size_t iq)
{
    return start_with(l, gated, slots, iq, on_burst);
}

/* Drains and stops c, checks its counters and that every item came out whole. */
static void stop_check(sensor_chain *c, sink_log *l, uint64_t full, uint64_t grown, size_t seen)
{
    sensor_chain_drain(c);
    sensor_chain_stats st;
    sensor_chain_stats_get(c, &st);
    assert_int_equal(st.full, full);
    assert_int_equal(st.iq_grown, grown);
    assert_int_equal(l->n_seen, seen);
    assert_int_equal(l->iq_bad, 0);
    sensor_chain_destroy(c);
    log_free(l);
}

static void test_order_and_iq(void **state)
{
    (void)state;
    sink_log l;
    sensor_chain *c = start(&l, false, 4, 1000);
    uint64_t want[N_PUT];
    for (size_t k = 0; k < N_PUT; k++) {
        if (k % 7 == 3) {
            nl_event ev = {.kind = NL_HEALTH, .t = (double)k};
            assert_int_equal(sensor_chain_put_event(c, &ev, true, true), SG_OK);
            want[k] = 1000000000u + k;
        } else {
            /* 0..499 samples: never more than half the ring, so it never grows */
            assert_int_equal(put(c, k, (k * 137) % 500), SG_OK);
            want[k] = k;
        }
    }
    sensor_chain_drain(c);
    sensor_chain_stats st;
    sensor_chain_stats_get(c, &st);
    assert_int_equal(l.n_seen, N_PUT);
    for (size_t k = 0; k < N_PUT; k++)
        assert_true(l.seen[k] == want[k]);
    assert_int_equal(l.iq_bad, 0);
    assert_int_equal(l.health, N_PUT / 7 + (N_PUT % 7 > 3));
    assert_int_equal(st.iq_grown, 0);
    assert_int_equal(st.bursts + st.events, N_PUT);
    sensor_chain_finish(c);
    assert_int_equal(put(c, 1, 10), SG_ESTATE); /* after finish */
    nl_event ev = {.kind = NL_TICK};
    assert_int_equal(sensor_chain_put_event(c, &ev, false, false), SG_ESTATE);
    sensor_chain_destroy(c);
    log_free(&l);
}

static void test_grow(void **state)
{
    (void)state;
    sink_log l;
    sensor_chain *c = start(&l, false, 8, 100);
    assert_int_equal(put(c, 1, 30), SG_OK);
    assert_int_equal(put(c, 2, 70), SG_OK); /* > 100 / 2: drained, then a ring of 140 */
    assert_int_equal(put(c, 3, 70), SG_OK);
    assert_int_equal(put(c, 4, 0), SG_OK); /* no IQ */
    sensor_chain_drain(c);
    sensor_chain_stats st;
    sensor_chain_stats_get(c, &st);
    assert_int_equal(st.iq_samples, 140);
    stop_check(c, &l, 0, 1, 4);
}

typedef struct {
    sensor_chain *c;
    uint64_t key;
    size_t n;
} put_arg;

static void *put_thread(void *arg)
{
    put_arg *a = arg;
    assert_int_equal(put(a->c, a->key, a->n), SG_OK);
    return NULL;
}

/* Waits (no time limit: the thread either gets there or the test hangs) until the put
 * on the other thread has found the queue full. */
static void wait_full(sensor_chain *c, uint64_t full)
{
    for (;;) {
        sensor_chain_stats st;
        sensor_chain_stats_get(c, &st);
        if (st.full >= full)
            return;
        nanosleep(&(struct timespec){0, 1000000}, NULL);
    }
}

static void test_full_counted(void **state)
{
    (void)state;
    sink_log l;
    /* the queue: two slots, both taken while the consumer waits at the gate */
    sensor_chain *c = start(&l, true, 2, 1000);
    assert_int_equal(put(c, 10, 5), SG_OK);
    assert_int_equal(put(c, 11, 5), SG_OK);
    sensor_chain_stats st;
    sensor_chain_stats_get(c, &st);
    assert_int_equal(st.full, 0);
    pthread_t th;
    put_arg a = {c, 12, 5};
    assert_int_equal(pthread_create(&th, NULL, put_thread, &a), 0);
    wait_full(c, 1);
    log_open(&l);
    pthread_join(th, NULL);
    stop_check(c, &l, 1, 0, 3); /* one put that waited, counted once */
    assert_true(l.seen[0] == 10 && l.seen[1] == 11 && l.seen[2] == 12);

    /* the IQ ring: room for two 40-sample windows of 100, the third waits */
    c = start(&l, true, 8, 100);
    assert_int_equal(put(c, 20, 40), SG_OK);
    assert_int_equal(put(c, 21, 40), SG_OK);
    a = (put_arg){c, 22, 40};
    assert_int_equal(pthread_create(&th, NULL, put_thread, &a), 0);
    wait_full(c, 1);
    log_open(&l);
    pthread_join(th, NULL);
    stop_check(c, &l, 1, 0, 3);
}

/* ---------------------------------------------------------------- windows in place */

/* A model of the front end's ring (frontend_set_ring_wait): stream index j holds
 * ring_val(j) at ring[j % RING_N] until index j + RING_N is written over it. */
#define RING_N 4096
#define RING_CHUNK 500
#define RING_WIN 300

static float complex ring_val(uint64_t j)
{
    return (float)(j % 4093) + (float)(j / 4093) * I;
}

/* The burst thread: slow (the producer catches up and has to wait), then every sample
 * checked against the stream index it stands for; a window read after the producer wrote
 * over it has later indices' values. */
static void on_ref_burst(void *user, const chain_burst *cb)
{
    sink_log *l = user;
    nanosleep(&(struct timespec){0, 30000}, NULL);
    for (size_t i = 0; i < cb->n_iq; i++)
        if (cb->iq[i] != ring_val(cb->b.sample_start + i))
            l->iq_bad++;
    if (cb->n_iq != RING_WIN)
        l->iq_bad++;
    l->seen[l->n_seen++] = cb->b.sample_start;
}

/* The producer writes RING_CHUNK samples at a time into a RING_N ring, waiting first for
 * the windows it overwrites (sensor_chain_ring_wait), and after each chunk puts a window
 * that ends 100 samples before the head: in place where it lies in one piece of the ring,
 * copied where it wraps (as the front end does). Every window reaches the burst thread
 * intact and in order, the waits are counted, nothing is dropped. */
static void test_in_place(void **state)
{
    (void)state;
    sink_log l;
    sensor_chain *c = start_with(&l, false, 64, 4 * RING_WIN, on_ref_burst);
    float complex *ring = malloc(RING_N * sizeof *ring);
    float complex *tmp = malloc(RING_WIN * sizeof *tmp);
    assert_non_null(ring);
    assert_non_null(tmp);
    sensor_chain_ring_wait(c, UINT64_MAX); /* nothing held: returns, not counted */
    uint64_t head = 0, copied = 0;
    for (size_t k = 0; k < N_PUT; k++) {
        if (head + RING_CHUNK > RING_N)
            sensor_chain_ring_wait(c, head + RING_CHUNK - RING_N);
        for (uint64_t j = head; j < head + RING_CHUNK; j++)
            ring[j % RING_N] = ring_val(j);
        head += RING_CHUNK;
        uint64_t first = head - 100 - RING_WIN;
        chain_burst cb = {.b = {.sample_start = first, .sample_count = RING_WIN},
                          .center_freq = 2.4e9, .sample_rate = 20e6};
        if (first % RING_N + RING_WIN <= RING_N) {
            assert_int_equal(sensor_chain_put_burst_ref(c, &cb, ring + first % RING_N, RING_WIN,
                                                        first),
                             SG_OK);
        } else {
            for (size_t i = 0; i < RING_WIN; i++)
                tmp[i] = ring[(first + i) % RING_N];
            assert_int_equal(sensor_chain_put_burst(c, &cb, tmp, RING_WIN), SG_OK);
            copied++;
        }
    }
    sensor_chain_drain(c);
    sensor_chain_stats st;
    sensor_chain_stats_get(c, &st);
    print_message("%d windows: %llu in place, %llu copied, %llu ring waits\n", N_PUT,
                  (unsigned long long)st.in_place, (unsigned long long)copied,
                  (unsigned long long)st.ring_waits);
    assert_int_equal(l.n_seen, N_PUT);
    for (size_t k = 0; k < N_PUT; k++)
        assert_true(l.seen[k] == (k + 1) * RING_CHUNK - 100 - RING_WIN);
    assert_int_equal(l.iq_bad, 0);
    assert_int_equal(st.in_place + copied, N_PUT);
    assert_true(copied > 0 && st.in_place > copied);
    assert_true(st.ring_waits > 10); /* the burst thread was behind: the writes waited */
    assert_int_equal(st.full, st.ring_waits); /* counted as the sensor thread's waits */
    sensor_chain_ring_wait(c, UINT64_MAX); /* all done: returns at once */
    sensor_chain_stats st2;
    sensor_chain_stats_get(c, &st2);
    assert_int_equal(st2.ring_waits, st.ring_waits);
    sensor_chain_finish(c);
    chain_burst cb = {.b = {.sample_start = 0}};
    assert_int_equal(sensor_chain_put_burst_ref(c, &cb, ring, 1, 0), SG_ESTATE);
    sensor_chain_ring_wait(c, UINT64_MAX); /* after finish: nothing held */
    sensor_chain_destroy(c);
    free(ring);
    free(tmp);
    log_free(&l);
}

static void test_invalid(void **state)
{
    (void)state;
    sink_log l;
    log_init(&l, false);
    sensor_chain_fns fns = {.burst = on_burst, .event = on_event, .user = &l};
    sg_errinfo e = {0};
    assert_null(sensor_chain_create(0, 100, &fns, &e));
    assert_int_equal(e.code, SG_EINVAL);
    assert_null(sensor_chain_create(4, 0, &fns, &e));
    sensor_chain_fns nofn = {.burst = on_burst};
    assert_null(sensor_chain_create(4, 100, &nofn, &e));
    sensor_chain_destroy(NULL);
    log_free(&l);
}

/* ---------------------------------------------------------------- the daemon */

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    assert_non_null(s);
    assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
    s[n] = 0;
    fclose(f);
    return s;
}

/* The keys that measure time or load, not what was found. */
static void strip_timing(cJSON *j)
{
    static const char *const keys[] = {"uptime_s", "latency_ms", "queue_depth",
                                       "burst_queue_full", NULL};
    if (!cJSON_IsObject(j) && !cJSON_IsArray(j))
        return;
    for (const char *const *k = keys; *k; k++)
        cJSON_DeleteItemFromObjectCaseSensitive(j, *k);
    cJSON *it;
    cJSON_ArrayForEach(it, j)
    strip_timing(it);
}

/* The feed record (one "topic json" a line) without its timing fields; *status_full the
 * last status's burst_queue_full of sensor 0, *decoded / *failed its DroneID counters. */
static char *feed_of(const char *path, double *status_full, double *decoded, double *failed)
{
    char *text = slurp(path);
    size_t cap = strlen(text) + 1, used = 0;
    char *out = malloc(cap);
    assert_non_null(out);
    out[0] = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        char *sp = strchr(line, ' ');
        assert_non_null(sp);
        cJSON *j = cJSON_Parse(sp + 1);
        assert_non_null(j);
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(j, "type");
        if (cJSON_IsString(type) && !strcmp(type->valuestring, "status")) {
            const cJSON *s0 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "sensors"), 0);
            *status_full = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(s0, "burst_queue_full"));
            *decoded = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(s0, "droneid_decoded"));
            *failed = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(s0, "droneid_failed"));
        }
        strip_timing(j);
        char *p = cJSON_PrintUnformatted(j);
        assert_non_null(p);
        size_t n = strlen(p) + (size_t)(sp - line) + 3;
        if (used + n > cap) {
            cap = 2 * (used + n);
            out = realloc(out, cap);
            assert_non_null(out);
        }
        used += (size_t)snprintf(out + used, cap - used, "%.*s %s\n", (int)(sp - line), line, p);
        free(p);
        cJSON_Delete(j);
    }
    free(text);
    return out;
}

/* The daemon's event lines (its log without the first line, which names the endpoint). */
static char *events_of(const char *path)
{
    char *text = slurp(path);
    char *nl = strchr(text, '\n');
    char *s = strdup(nl ? nl + 1 : "");
    assert_non_null(s);
    free(text);
    return s;
}

/* A venue of one rf sensor replaying capture; extra: more keys of the sensor. */
static void write_venue(const char *path, const char *capture, const char *extra)
{
    char v[4096];
    snprintf(v, sizeof v,
             "{\"version\": 1, \"site\": {\"name\": \"chain\", \"origin\": {\"lat_deg\": 51.556, "
             "\"lon_deg\": -0.2796, \"alt_m\": 87}, \"ground_amsl_m\": 41},\n"
             " \"zones\": \"" SG_SOURCE_DIR "/testdata/zones/stadium.geojson\",\n"
             " \"signatures\": \"" SG_SOURCE_DIR "/config/signatures.json\",\n"
             " \"sensors\": [{\"id\": \"rf0\", \"kind\": \"rf\", \"position\": {\"lat_deg\": "
             "51.5573, \"lon_deg\": -0.2796, \"alt_m\": 135},\n"
             "  \"adapter\": {\"type\": \"sigmf\", \"path\": \"%s\"%s}%s}]}\n",
             capture, strstr(extra, "read_ahead4") ? ", \"read_ahead\": 4" : "",
             strstr(extra, "read_ahead4") ? "" : extra);
    write_text(path, v);
}

typedef struct {
    char *feed, *events;
    double full, decoded, failed;
} run_out;

static run_out run_daemon(const char *venue, const char *tag)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             SG_BINARY_DIR "/skyguardd -c %s --record-out " B "/%s.jsonl --linger 0 -e "
                           "'tcp://127.0.0.1:*' > " B "/%s.log 2> " B "/%s.err",
             venue, tag, tag, tag);
    assert_int_equal(system(cmd), 0);
    char p[512];
    run_out r = {0};
    snprintf(p, sizeof p, B "/%s.jsonl", tag);
    r.feed = feed_of(p, &r.full, &r.decoded, &r.failed);
    snprintf(p, sizeof p, B "/%s.log", tag);
    r.events = events_of(p);
    return r;
}

static void run_free(run_out *r)
{
    free(r->feed);
    free(r->events);
}

/* capture through the daemon without the burst thread, with it, with it starved, and
 * with a read-ahead of 4 blocks: the same feed and events. */
static void same_output(const char *capture, const char *name, bool want_decoded)
{
    static const char *const modes[][2] = {
        {"off", ", \"burst_thread\": {\"enabled\": false}"},
        {"on", ", \"burst_thread\": {\"enabled\": true}"},
        {"starved", ", \"burst_thread\": {\"enabled\": true, \"queue\": 1, \"iq_s\": 1e-4}"},
        {"threads2", ", \"frontend\": {\"threads\": 2}"}, /* on by default with it */
        {"read4", "read_ahead4"},
    };
    run_out ref = {0};
    for (size_t m = 0; m < sizeof modes / sizeof modes[0]; m++) {
        char venue[512], tag[128];
        snprintf(tag, sizeof tag, "%s_%s", name, modes[m][0]);
        snprintf(venue, sizeof venue, B "/%s.json", tag);
        write_venue(venue, capture, modes[m][1]);
        run_out r = run_daemon(venue, tag);
        if (m == 0) {
            ref = r;
            assert_true(ref.full == 0);
            assert_true(strlen(ref.feed) > 200);
            assert_true(ref.failed + ref.decoded > 10); /* DroneID attempts were made */
            if (want_decoded)
                assert_true(ref.decoded > 10);
            continue;
        }
        if (strcmp(r.feed, ref.feed) || strcmp(r.events, ref.events))
            fail_msg("%s: feed or events with the burst thread \"%s\" differ from without it "
                     "(" B "/%s_off.jsonl, .log)", name, modes[m][0], name);
        if (!strcmp(modes[m][0], "starved"))
            assert_true(r.full > 10); /* nearly every put waited: counted */
        run_free(&r);
    }
    run_free(&ref);
}

static void test_daemon_demo(void **state)
{
    (void)state;
    same_output(SG_SOURCE_DIR "/testdata/demo-stadium.sigmf-meta", "demo", true);
}

static void test_daemon_busy(void **state)
{
    (void)state;
    assert_int_equal(system(SG_BINARY_DIR "/sg_gen -q -o " B "/busy -r 20e6 -f 2.43e9 -d 0.4 -t ci8 "
                            "-s droneid:snr=18,offset=2e6,start=0.005,period=0.02 -s frsky:snr=15 "
                            "-s elrs:snr=12 -s wifi:snr=12,period=0.004 -s ble:snr=15,period=0.02"),
                     0);
    same_output(B "/busy.sigmf-meta", "busy", false);
}

/* --record with and without the (starved) burst thread: the same files, byte for byte. */
static void test_daemon_record(void **state)
{
    (void)state;
    static const char *const modes[][2] = {
        {"off", ", \"burst_thread\": {\"enabled\": false}"},
        {"starved", ", \"burst_thread\": {\"enabled\": true, \"queue\": 1, \"iq_s\": 1e-4}"},
    };
    char *meta[2], cmd[1024];
    for (int m = 0; m < 2; m++) {
        snprintf(cmd, sizeof cmd, "rm -rf " B "/rec_%s && mkdir -p " B "/rec_%s", modes[m][0],
                 modes[m][0]);
        assert_int_equal(system(cmd), 0);
        char venue[256];
        snprintf(venue, sizeof venue, B "/rec_%s.json", modes[m][0]);
        write_venue(venue, SG_SOURCE_DIR "/testdata/demo-stadium.sigmf-meta", modes[m][1]);
        snprintf(cmd, sizeof cmd,
                 SG_BINARY_DIR "/skyguardd -c %s --record " B "/rec_%s --linger 0 -e "
                               "'tcp://127.0.0.1:*' > " B "/rec_%s.log 2>&1",
                 venue, modes[m][0], modes[m][0]);
        assert_int_equal(system(cmd), 0);
        snprintf(cmd, sizeof cmd, B "/rec_%s/rf0.sigmf-meta", modes[m][0]);
        meta[m] = slurp(cmd);
    }
    assert_non_null(strstr(meta[0], "skyguard burst")); /* annotations were written */
    assert_string_equal(meta[0], meta[1]);
    assert_int_equal(system("cmp -s " B "/rec_off/rf0.sigmf-data " B "/rec_starved/rf0.sigmf-data"),
                     0);
    free(meta[0]);
    free(meta[1]);
    assert_int_equal(system("rm -f " B "/rec_*/rf0.sigmf-data"), 0);
}

static void venue_fails(const char *extra, const char *msg)
{
    write_venue(B "/bad.json", SG_SOURCE_DIR "/testdata/demo-stadium.sigmf-meta", extra);
    assert_int_not_equal(system(SG_BINARY_DIR "/skyguardd -c " B "/bad.json --linger 0 -e "
                                              "'tcp://127.0.0.1:*' > " B "/bad.log 2>&1"),
                         0);
    char *log = slurp(B "/bad.log");
    if (!strstr(log, msg))
        fail_msg("expected \"%s\" in: %s", msg, log);
    free(log);
}

static void test_venue_errors(void **state)
{
    (void)state;
    venue_fails(", \"burst_thread\": {\"slots\": 4}", "burst_thread.slots: unknown key");
    venue_fails(", \"burst_thread\": {\"queue\": 0}", "burst_thread.queue");
    venue_fails(", \"burst_thread\": {\"iq_s\": 5}", "burst_thread.iq_s");
    venue_fails(", \"burst_thread\": true", "burst_thread");
}

static int setup(void **state)
{
    (void)state;
    return system("rm -rf " B " && mkdir -p " B);
}

static int teardown(void **state)
{
    (void)state;
    return system("rm -f " B "/busy.sigmf-data");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_and_iq), cmocka_unit_test(test_grow),
        cmocka_unit_test(test_full_counted), cmocka_unit_test(test_in_place),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_daemon_demo),  cmocka_unit_test(test_daemon_busy),
        cmocka_unit_test(test_daemon_record), cmocka_unit_test(test_venue_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
