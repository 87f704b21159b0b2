/* A venue split over processes (docs/nodes.md): sensor nodes and a fusion node of
 * skyguardd on loopback (ipc://), CURVE with per-node keys.
 *   - three sensor nodes replaying their recordings + one fusion node publish the same
 *     alerts and tracks as the standalone daemon on the same venue and inputs, with the
 *     same droneid objects, and a Remote ID node the same remote_id objects;
 *   - the same with node b's clock (and its sample times) 2 s off: its times are
 *     corrected by the measured offset and the tracks still line up;
 *   - kill -9 of a sensor node: its sensor turns degraded while the other keeps going,
 *     and the restarted node rejoins (new session) and is ok again;
 *   - a node with a key not on the allow-list is refused and counted, a node whose
 *     clock is 2 s off is flagged, a node within the bound is not;
 *   - the fusion node restarting (kill -9) does not lose the sensor nodes;
 *   - a sensor node's watchdog note (a stalled recording) reaches the fusion node's log
 *     and status, and the node still answers SIGTERM. */
#include <complex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#include <cmocka.h>

#include "daemon_harness.h"
#include "feed_auth.h"
#include "sigmf.h"

#define B SG_BINARY_DIR "/test_nodes"
#define DEMO SG_SOURCE_DIR "/testdata/demo-stadium.sigmf-meta"
#define SCENE 1784572200.0 /* 2026-07-20T18:30:00Z, the demo recording's start */

static char pub_a[41], pub_b[41], pub_c[41];

static void make_key(const char *name, char *pub_out)
{
    feed_keypair kp;
    sg_errinfo e = {0};
    char path[512];
    assert_int_equal(feed_key_generate(&kp, &e), SG_OK);
    snprintf(path, sizeof path, "%s/%s.key", B, name);
    assert_int_equal(feed_key_save(path, &kp, true, true, &e), SG_OK);
    snprintf(path, sizeof path, "%s/%s.pub", B, name);
    assert_int_equal(feed_key_save(path, &kp, false, true, &e), SG_OK);
    if (pub_out)
        memcpy(pub_out, kp.public_z85, 41);
}

static int setup(void **state)
{
    (void)state;
    if (system("rm -rf " B " && mkdir -p " B) != 0)
        return -1;
    make_key("fusion", NULL);
    make_key("a", pub_a);
    make_key("b", pub_b);
    make_key("c", pub_c);
    make_key("rogue", NULL);
    return 0;
}

/* A venue of n rf sensors rf-a.. on nodes a.. (one each); paths[i] is sensor i's
 * recording; key_c overrides node c's key file (the rogue). */
static void write_venue(const char *path, size_t n, const char *const *paths, double stale_s,
                        const char *key_c)
{
    static const char *const names[] = {"a", "b", "c"};
    const char *pubs[] = {pub_a, pub_b, pub_c};
    static const double lat[] = {51.5573, 51.5550, 51.5560}, lon[] = {-0.2796, -0.2810, -0.2772};
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "{\"version\": 1, \"site\": {\"name\": \"split\", \"origin\": {\"lat_deg\": 51.556, "
               "\"lon_deg\": -0.2796, \"alt_m\": 87}, \"ground_amsl_m\": 41},\n"
               " \"zones\": \"%s/testdata/zones/stadium.geojson\",\n"
               " \"signatures\": \"%s/config/signatures.json\",\n \"sensors\": [\n",
            SG_SOURCE_DIR, SG_SOURCE_DIR);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "  {\"id\": \"rf-%s\", \"kind\": \"rf\", \"position\": {\"lat_deg\": %.4f, "
                   "\"lon_deg\": %.4f, \"alt_m\": 130}, \"stale_after_s\": %g,\n"
                   "   \"adapter\": {\"type\": \"sigmf\", \"path\": \"%s\"},\n"
                   "   \"frontend\": {\"nfft\": 1024, \"threshold_db\": 8, \"warmup_frames\": 16, "
                   "\"max_burst_s\": 0.005}}%s\n",
                names[i], lat[i], lon[i], stale_s, paths[i], i + 1 < n ? "," : "");
    fprintf(f, " ],\n \"tracker\": {\"max_coast_s\": 12, \"coast_after_s\": 5},\n"
               " \"alerts\": {\"horizon_s\": 30},\n"
               " \"outputs\": {\"feed\": {\"snapshot_period_s\": 1, \"status_period_s\": 1}},\n"
               " \"nodes\": {\"fusion\": {\"endpoint\": \"ipc://%s/fusion.ipc\", \"security\": "
               "\"curve\", \"key_file\": \"%s/fusion.key\", \"public_key_file\": "
               "\"%s/fusion.pub\", \"clock_bound_s\": 0.5},\n  \"sensor_nodes\": [\n",
            B, B, B);
    for (size_t i = 0; i < n; i++) {
        char key[600];
        snprintf(key, sizeof key, "%s/%s.key", B, names[i]);
        fprintf(f, "   {\"name\": \"%s\", \"sensors\": [\"rf-%s\"], \"key_file\": \"%s\", "
                   "\"public_key\": \"%s\"}%s\n",
                names[i], names[i], i == 2 && key_c ? key_c : key, pubs[i], i + 1 < n ? "," : "");
    }
    fprintf(f, "  ]}}\n");
    fclose(f);
}

/* Starts `skyguardd -c venue --role sensor --node name [extra] [extra2]` with its output
 * in B/node-<name>.log. */
static pid_t start_node2(const char *venue, const char *name, const char *extra,
                         const char *extra2, const char *skew)
{
    char log[512];
    snprintf(log, sizeof log, "%s/node-%s.log", B, name);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (!freopen(log, "a", stdout) || !freopen(log, "a", stderr))
            _exit(120);
        if (skew)
            setenv("SG_NODE_CLOCK_SKEW_S", skew, 1);
        const char *argv[] = {"skyguardd", "-c", venue, "--role", "sensor", "--node", name,
                              extra, extra2, NULL};
        execv(SG_BINARY_DIR "/skyguardd", (char *const *)argv);
        _exit(121);
    }
    return pid;
}

static pid_t start_node(const char *venue, const char *name, const char *extra, const char *skew)
{
    return start_node2(venue, name, extra, NULL, skew);
}

static int wait_exit(pid_t pid)
{
    int st = 0;
    for (int i = 0; i < 3000; i++) {
        if (waitpid(pid, &st, WNOHANG) == pid)
            return st;
        usleep(10000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
    fail_msg("process %d did not end", (int)pid);
    return -1;
}

/* Waits for a sensor node and asserts it ended normally (exit status 0). */
static void wait_exit_ok(pid_t pid)
{
    int st = wait_exit(pid);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        fail_msg("sensor node %d: status %#x (logs in %s)", (int)pid, st, B);
}

typedef struct {
    void *ctx, *sub;
    pid_t pid;
} fusion_run;

/* Starts the fusion node (it waits for this subscriber before starting). */
static void fusion_start(fusion_run *r, const char *venue, const char *log)
{
    static const char *args[8];
    args[0] = "-c";
    args[1] = venue;
    args[2] = "--role";
    args[3] = "fusion";
    args[4] = NULL;
    char ep[256];
    r->pid = harness_start(log, args, ep, sizeof ep);
    r->ctx = zmq_ctx_new();
    r->sub = zmq_socket(r->ctx, ZMQ_SUB);
    int hwm = 200000;
    zmq_setsockopt(r->sub, ZMQ_RCVHWM, &hwm, sizeof hwm);
    assert_int_equal(zmq_connect(r->sub, ep), 0);
    assert_int_equal(zmq_setsockopt(r->sub, ZMQ_SUBSCRIBE, "", 0), 0);
}

/* Receives for `s` seconds (or until the fusion node exits when s < 0). */
static int fusion_collect(fusion_run *r, msglist *out, double s)
{
    static char buf[65536];
    int status = 0;
    bool exited = false;
    for (int quiet = 0, turns = 0; s >= 0 ? turns < s * 20 : (!exited || quiet < 20); turns++) {
        zmq_pollitem_t it = {r->sub, 0, ZMQ_POLLIN, 0};
        int n = zmq_poll(&it, 1, 50);
        while (n > 0) {
            int len = zmq_recv(r->sub, buf, sizeof buf - 1, ZMQ_DONTWAIT);
            if (len < 0)
                break;
            buf[len] = '\0';
            char *sp = strchr(buf, ' ');
            assert_non_null(sp);
            *sp = '\0';
            cJSON *j = cJSON_Parse(sp + 1);
            assert_non_null(j);
            msglist_add(out, buf, j);
        }
        if (!exited && waitpid(r->pid, &status, WNOHANG) == r->pid)
            exited = true;
        quiet = n == 0 ? quiet + 1 : 0;
    }
    return status;
}

static void fusion_close(fusion_run *r)
{
    zmq_close(r->sub);
    zmq_ctx_term(r->ctx);
}

static const cJSON *sensor_of(const cJSON *status, const char *id)
{
    const cJSON *s;
    cJSON_ArrayForEach(s, cJSON_GetObjectItem(status, "sensors"))
    {
        if (strcmp(jstr(s, "id"), id) == 0)
            return s;
    }
    return NULL;
}

static const cJSON *node_of(const cJSON *status, const char *name)
{
    const cJSON *s;
    cJSON_ArrayForEach(s, cJSON_GetObjectItem(cJSON_GetObjectItem(status, "nodes"), "nodes"))
    {
        if (strcmp(jstr(s, "name"), name) == 0)
            return s;
    }
    return NULL;
}

/* "id state severity zone track identity" of every alert, in order (without updates
 * when !updates). */
static size_t alert_lines(const msglist *l, char lines[][160], size_t cap, bool updates)
{
    size_t n = 0;
    for (size_t i = 0; i < l->n && n < cap; i++) {
        const cJSON *j = l->msgs[i];
        if (strcmp(jstr(j, "type"), "alert") != 0 ||
            (!updates && strcmp(jstr(j, "state"), "updated") == 0))
            continue;
        snprintf(lines[n++], 160, "%d %s %s %s %d %s", (int)jnum(j, "id"), jstr(j, "state"),
                 jstr(j, "severity"), jstr(j, "zone"), (int)jnum(j, "track_id"),
                 jstr(j, "identity"));
    }
    return n;
}

static const cJSON *last_track(const msglist *l, int id, size_t *count)
{
    const cJSON *last = NULL;
    *count = 0;
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(jstr(l->msgs[i], "type"), "track") == 0 && (int)jnum(l->msgs[i], "id") == id) {
            last = l->msgs[i];
            (*count)++;
        }
    return last;
}

/* Track messages of each track id in order: the details object `key` (droneid,
 * remote_id) of the k-th message of a track is the same, field for field, in both
 * runs (present in both or in neither). Returns how many messages carried one. */
static size_t same_details(const msglist *a, const msglist *b, const char *key)
{
    size_t with = 0;
    for (int id = 1; id < 64; id++) {
        const cJSON *ta[512], *tb[512];
        size_t na = 0, nb = 0;
        for (size_t i = 0; i < a->n && na < 512; i++)
            if (strcmp(jstr(a->msgs[i], "type"), "track") == 0 && (int)jnum(a->msgs[i], "id") == id)
                ta[na++] = a->msgs[i];
        for (size_t i = 0; i < b->n && nb < 512; i++)
            if (strcmp(jstr(b->msgs[i], "type"), "track") == 0 && (int)jnum(b->msgs[i], "id") == id)
                tb[nb++] = b->msgs[i];
        assert_int_equal(na, nb);
        for (size_t k = 0; k < na; k++) {
            const cJSON *da = cJSON_GetObjectItem(ta[k], key), *db = cJSON_GetObjectItem(tb[k], key);
            if (!da && !db)
                continue;
            if (!da || !db || !cJSON_Compare(da, db, true)) {
                char *sa = da ? cJSON_PrintUnformatted(da) : NULL, *sb = db ? cJSON_PrintUnformatted(db) : NULL;
                fail_msg("track %d message %zu: %s standalone %s, split %s", id, k, key,
                         sa ? sa : "(none)", sb ? sb : "(none)");
            }
            with++;
        }
    }
    return with;
}

/* Runs the fusion node and nodes a, b, c on venue; node b's clock is skew_b seconds
 * off (its replay stamped as if by that clock, SG_NODE_SKEW_REPLAYS) unless NULL. */
static void run_split(const char *venue, const char *log, const char *skew_b, msglist *sp)
{
    fusion_run r;
    fusion_start(&r, venue, log);
    pid_t nodes[3];
    nodes[0] = start_node(venue, "a", NULL, NULL);
    if (skew_b)
        setenv("SG_NODE_SKEW_REPLAYS", "1", 1);
    nodes[1] = start_node(venue, "b", NULL, skew_b);
    unsetenv("SG_NODE_SKEW_REPLAYS");
    nodes[2] = start_node(venue, "c", NULL, NULL);
    int st = fusion_collect(&r, sp, -1);
    fusion_close(&r);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        fail_msg("fusion node status %#x (see %s)", st, log);
    for (int k = 0; k < 3; k++)
        wait_exit_ok(nodes[k]);
}

/* The split run sp publishes standalone's (sa) alerts and tracks. With `exact` false
 * (a node's times corrected by an offset measured to within the link delay, ~ms) the
 * alerts' updates may come at other times (their breach predictions move by ms): the
 * alerts raised and cleared are compared, and the tracks. */
static void same_as_standalone(const msglist *sa, const msglist *sp, const char *what, bool exact)
{
    /* the same alerts in the same order */
    static char a1[256][160], a2[256][160];
    size_t n1 = alert_lines(sa, a1, 256, exact), n2 = alert_lines(sp, a2, 256, exact);
    print_message("%s: standalone %zu messages, %zu alerts; split %zu messages, %zu alerts\n",
                  what, sa->n, n1, sp->n, n2);
    assert_true(n1 > 0);
    assert_int_equal(n1, n2);
    for (size_t i = 0; i < n1; i++)
        assert_string_equal(a1[i], a2[i]);
    /* the same tracks: ids, identities, number of updates (exact: a node's measurements
     * a few ms off the others' are separate updates), final state and position */
    size_t tracks = 0;
    for (int id = 1; id < 64; id++) {
        size_t c1, c2;
        const cJSON *t1 = last_track(sa, id, &c1), *t2 = last_track(sp, id, &c2);
        assert_true((t1 == NULL) == (t2 == NULL));
        if (!t1)
            continue;
        tracks++;
        if (exact)
            assert_int_equal(c1, c2);
        else if (!cJSON_Compare(cJSON_GetObjectItem(t1, "droneid"),
                                cJSON_GetObjectItem(t2, "droneid"), true))
            fail_msg("%s: track %d ends with another droneid object", what, id);
        assert_string_equal(jstr(t1, "identity"), jstr(t2, "identity"));
        assert_string_equal(jstr(t1, "status"), jstr(t2, "status"));
        /* exact: 1 m; else 11 m, about twice the DroneID position's sd (5 m): the filter
         * takes a node's measurement a few ms after the others' as its own update */
        double tol = exact ? 1e-5 : 1e-4;
        if (!(fabs(jnum(t1, "lat") - jnum(t2, "lat")) < tol &&
              fabs(jnum(t1, "lon") - jnum(t2, "lon")) < tol))
            fail_msg("%s: track %d ends at %.7f %.7f, standalone at %.7f %.7f", what, id,
                     jnum(t2, "lat"), jnum(t2, "lon"), jnum(t1, "lat"), jnum(t1, "lon"));
        /* uncorrected, node b's last updates would be 2 s late */
        assert_true(fabs(jnum(t1, "t") - jnum(t2, "t")) < (exact ? 1e-3 : 0.05));
    }
    assert_true(tracks >= 2);
    if (exact) {
        size_t dj = same_details(sa, sp, "droneid");
        print_message("%s: %zu track messages with the same droneid object\n", what, dj);
        assert_true(dj >= 10);
    }
    /* the fusion node's last status: every sensor complete, nothing lost or refused */
    const cJSON *last = msglist_last(sp, "status");
    assert_non_null(last);
    const char *ids[] = {"rf-a", "rf-b", "rf-c"}, *names[] = {"a", "b", "c"};
    for (int k = 0; k < 3; k++) {
        const cJSON *s = sensor_of(last, ids[k]);
        assert_non_null(s);
        assert_string_equal(jstr(s, "state"), "ended");
        assert_int_equal((long long)jnum(s, "samples"), 1717248);
        assert_string_equal(jstr(s, "node"), names[k]);
        assert_int_equal((int)jnum(s, "node_lost"), 0);
        assert_int_equal((int)jnum(s, "link_dropped"), 0);
        assert_non_null(node_of(last, names[k]));
    }
    assert_int_equal((int)jnum(cJSON_GetObjectItem(last, "nodes"), "refused"), 0);
}

static void test_split_same_as_standalone(void **state)
{
    (void)state;
    const char *paths[] = {DEMO, DEMO, DEMO};
    write_venue(B "/three.json", 3, paths, 10, NULL);
    msglist sa = {0}, sp = {0}, sk = {0};
    static const char *const args[] = {"-c", B "/three.json", NULL};
    int st = harness_run(B "/standalone.log", args, &sa);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    run_split(B "/three.json", B "/fusion.log", NULL, &sp);
    same_as_standalone(&sa, &sp, "split", true);
    const cJSON *last = msglist_last(&sp, "status");
    for (int k = 0; k < 3; k++) {
        const cJSON *nd = node_of(last, (const char *[]){"a", "b", "c"}[k]);
        assert_false(jflag(nd, "clock_flagged"));
        /* replayed times are the recording's: never shifted */
        assert_int_equal((int)jnum(nd, "time_corrected") + (int)jnum(nd, "time_uncorrected"), 0);
    }
    assert_true(log_contains(B "/fusion.log", "NODE  a joined"));

    /* Node b's clock 2 s ahead, past clock_bound_s (0.5 s), and its sample times with it
     * (a live node with a bad clock): flagged, and its times corrected by the measured
     * offset, so its measurements line up with nodes a and c as in one process. */
    run_split(B "/three.json", B "/fusion-skew.log", "2.0", &sk);
    same_as_standalone(&sa, &sk, "node b 2 s off", false);
    last = msglist_last(&sk, "status");
    const cJSON *nb = node_of(last, "b"), *na = node_of(last, "a");
    print_message("node b: offset %+.4f s, trusted %d, %g times corrected, %g uncorrected\n",
                  jnum(nb, "clock_offset_s"), jflag(nb, "clock_trusted"),
                  jnum(nb, "time_corrected"), jnum(nb, "time_uncorrected"));
    assert_true(jflag(nb, "clock_flagged") && jflag(nb, "clock_trusted"));
    assert_true(fabs(jnum(nb, "clock_offset_s") - 2.0) < 0.01);
    assert_true(jnum(nb, "time_corrected") > 100);
    assert_int_equal((int)jnum(nb, "time_uncorrected"), 0);
    assert_false(jflag(na, "clock_flagged"));
    assert_int_equal((int)jnum(na, "time_corrected"), 0);
    assert_true(log_contains(B "/fusion-skew.log", "NODE  b clock OFF"));
    msglist_free(&sa);
    msglist_free(&sp);
    msglist_free(&sk);
}

/* A Remote ID receiver on node a reading a Bluetooth 5 capture made by sg_blecap (Self-ID,
 * operator ID, System messages): split, the tracks carry the remote_id objects of
 * standalone, field for field. */
static void test_split_remote_id(void **state)
{
    (void)state;
    if (!SG_WITH_PCAP) {
        print_message("skipped: needs libpcap\n");
        skip();
    }
    assert_int_equal(system(SG_BINARY_DIR "/sg_blecap -l 272 --ext --chain --phy coded8 -n 15 "
                            "--lat 51.556 --lon -0.2796 --t0 1784572200 -o " B "/rid.pcap"),
                     0);
    FILE *f = fopen(B "/rid.json", "w");
    assert_non_null(f);
    fprintf(f, "{\"version\": 1, \"site\": {\"name\": \"split-rid\", \"origin\": {\"lat_deg\": "
               "51.556, \"lon_deg\": -0.2796, \"alt_m\": 87}},\n"
               " \"zones\": \"%s/testdata/zones/stadium.geojson\",\n"
               " \"signatures\": \"%s/config/signatures.json\",\n"
               " \"sensors\": [{\"id\": \"rid-a\", \"kind\": \"remoteid_wifi\", \"position\": "
               "{\"lat_deg\": 51.5573, \"lon_deg\": -0.2796, \"alt_m\": 60}, \"adapter\": "
               "{\"type\": \"pcap\", \"file\": \"%s/rid.pcap\"}}],\n"
               " \"nodes\": {\"fusion\": {\"endpoint\": \"ipc://%s/fusion-rid.ipc\", \"security\": "
               "\"curve\", \"key_file\": \"%s/fusion.key\", \"public_key_file\": "
               "\"%s/fusion.pub\"},\n  \"sensor_nodes\": [{\"name\": \"a\", \"sensors\": "
               "[\"rid-a\"], \"key_file\": \"%s/a.key\", \"public_key\": \"%s\"}]}}\n",
            SG_SOURCE_DIR, SG_SOURCE_DIR, B, B, B, B, B, pub_a);
    fclose(f);
    msglist sa = {0}, sp = {0};
    static const char *const args[] = {"-c", B "/rid.json", NULL};
    int st = harness_run(B "/standalone-rid.log", args, &sa);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    fusion_run r;
    fusion_start(&r, B "/rid.json", B "/fusion-rid.log");
    pid_t a = start_node(B "/rid.json", "a", NULL, NULL);
    st = fusion_collect(&r, &sp, -1);
    fusion_close(&r);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        fail_msg("fusion node status %#x (see %s)", st, B "/fusion-rid.log");
    wait_exit_ok(a);
    size_t n = same_details(&sa, &sp, "remote_id");
    print_message("%zu track messages with the same remote_id object\n", n);
    assert_true(n >= 3);
    /* the complete details (from the second fix on) made it across */
    const cJSON *last = NULL;
    for (size_t i = 0; i < sp.n; i++)
        if (strcmp(jstr(sp.msgs[i], "type"), "track") == 0)
            last = sp.msgs[i];
    assert_non_null(last);
    const cJSON *rid = cJSON_GetObjectItem(last, "remote_id");
    assert_non_null(rid);
    assert_string_equal(jstr(rid, "self_id"), "sg_blecap test flight");
    assert_string_equal(jstr(rid, "operator_id"), "FIN87astrdge12k8");
    msglist_free(&sa);
    msglist_free(&sp);
}

/* Noise, seconds [t0, t1) after SCENE at 100 kHz. */
static void write_noise(const char *base, double t0, double t1)
{
    sg_errinfo e = {0};
    const double fs = 100e3;
    sigmf_writer *w = sigmf_writer_create(base, SIGMF_CF32_LE, fs, 2.4445e9, SCENE + t0,
                                          "node test noise", &e);
    if (!w)
        fail_msg("%s", e.msg);
    size_t n = (size_t)((t1 - t0) * fs);
    float complex *x = malloc(n * sizeof *x);
    assert_non_null(x);
    unsigned s = 4321;
    for (size_t i = 0; i < n; i++) {
        s = s * 1103515245u + 12345u;
        float a = ((float)(s >> 16 & 0x7fff) / 32768.0f - 0.5f) * 0.05f;
        x[i] = a + I * (a * 0.5f);
    }
    assert_int_equal(sigmf_writer_write(w, x, n, &e), SG_OK);
    free(x);
    assert_int_equal(sigmf_writer_close(w, &e), SG_OK);
}

static void test_kill_degraded_rejoin(void **state)
{
    (void)state;
    write_noise(B "/na", 0, 9);
    write_noise(B "/nb1", 0, 9);
    write_noise(B "/nb2", 5, 9);
    const char *p1[] = {B "/na.sigmf-meta", B "/nb1.sigmf-meta"};
    const char *p2[] = {B "/na.sigmf-meta", B "/nb2.sigmf-meta"};
    write_venue(B "/two.json", 2, p1, 1, NULL);
    write_venue(B "/two-restart.json", 2, p2, 1, NULL); /* node b's second recording */
    fusion_run r;
    msglist l = {0};
    fusion_start(&r, B "/two.json", B "/fusion2.log");
    pid_t a = start_node(B "/two.json", "a", "--realtime", NULL);
    pid_t b = start_node(B "/two.json", "b", "--realtime", NULL);
    fusion_collect(&r, &l, 2.5);
    size_t before_kill = l.n;
    kill(b, SIGKILL);
    waitpid(b, NULL, 0);
    fusion_collect(&r, &l, 3.0);
    size_t before_restart = l.n;
    b = start_node(B "/two-restart.json", "b", "--realtime", NULL);
    int st = fusion_collect(&r, &l, -1);
    fusion_close(&r);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    wait_exit_ok(a);
    wait_exit_ok(b);
    /* before the kill both ok; after it rf-b degraded while rf-a stays ok and status
     * goes on; after the restart rf-b is ok again */
    size_t ok_before = 0, degraded = 0, a_bad = 0, ok_after = 0, status_during = 0;
    for (size_t i = 0; i < l.n; i++) {
        const cJSON *j = l.msgs[i];
        if (strcmp(jstr(j, "type"), "status") != 0)
            continue;
        const char *sa = jstr(sensor_of(j, "rf-a"), "state"), *sb = jstr(sensor_of(j, "rf-b"), "state");
        if (i < before_kill)
            ok_before += strcmp(sb, "ok") == 0;
        else if (i < before_restart) {
            status_during++;
            degraded += strcmp(sb, "degraded") == 0;
            a_bad += strcmp(sa, "degraded") == 0 || strcmp(sa, "down") == 0;
        } else {
            ok_after += strcmp(sb, "ok") == 0;
        }
    }
    print_message("status: %zu with rf-b ok before the kill, %zu of %zu degraded during the "
                  "outage, %zu ok after the restart\n", ok_before, degraded, status_during,
                  ok_after);
    assert_true(ok_before >= 1);
    assert_true(degraded >= 1);
    assert_int_equal(a_bad, 0);
    assert_true(ok_after >= 1);
    assert_true(log_contains(B "/fusion2.log", "NODE  b rejoined"));
    const cJSON *last = msglist_last(&l, "status");
    assert_int_equal((int)jnum(node_of(last, "b"), "rejoins"), 1);
    assert_string_equal(jstr(sensor_of(last, "rf-a"), "state"), "ended");
    msglist_free(&l);
}

/* The fusion node restarts (kill -9) mid-run: the sensor nodes reconnect to the new
 * one on their own and finish there. */
static void test_fusion_restart(void **state)
{
    (void)state;
    write_noise(B "/fa", 0, 4);
    const char *p[] = {B "/fa.sigmf-meta", B "/fa.sigmf-meta"};
    write_venue(B "/restart.json", 2, p, 1, NULL);
    fusion_run r;
    msglist l1 = {0}, l2 = {0};
    fusion_start(&r, B "/restart.json", B "/fusion4a.log");
    pid_t a = start_node(B "/restart.json", "a", "--realtime", NULL);
    pid_t b = start_node(B "/restart.json", "b", "--realtime", NULL);
    fusion_collect(&r, &l1, 1.5);
    kill(r.pid, SIGKILL);
    waitpid(r.pid, NULL, 0);
    fusion_close(&r);
    fusion_start(&r, B "/restart.json", B "/fusion4b.log");
    int st = fusion_collect(&r, &l2, -1);
    fusion_close(&r);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    wait_exit_ok(a);
    wait_exit_ok(b);
    assert_true(log_contains(B "/fusion4b.log", "NODE  a joined"));
    assert_true(log_contains(B "/fusion4b.log", "NODE  b joined"));
    const cJSON *first = msglist_last(&l1, "status"), *last = msglist_last(&l2, "status");
    assert_non_null(first);
    assert_non_null(last);
    print_message("first fusion node up to t=%+.1f s, the restarted one from there to %+.1f s\n",
                  jnum(first, "t") - SCENE, jnum(last, "t") - SCENE);
    assert_string_equal(jstr(sensor_of(last, "rf-a"), "state"), "ended");
    assert_string_equal(jstr(sensor_of(last, "rf-b"), "state"), "ended");
    assert_int_equal((long long)jnum(sensor_of(last, "rf-a"), "samples"), 400000);
    msglist_free(&l1);
    msglist_free(&l2);
}

static void test_unknown_key_and_clock_offset(void **state)
{
    (void)state;
    write_noise(B "/n3", 0, 3);
    const char *p[] = {B "/n3.sigmf-meta", B "/n3.sigmf-meta", B "/n3.sigmf-meta"};
    write_venue(B "/keys.json", 3, p, 1, NULL);
    write_venue(B "/rogue.json", 3, p, 1, B "/rogue.key"); /* node c with a key nobody allowed */
    fusion_run r;
    msglist l = {0};
    fusion_start(&r, B "/keys.json", B "/fusion3.log");
    pid_t a = start_node(B "/keys.json", "a", "--realtime", NULL);
    pid_t b = start_node(B "/keys.json", "b", "--realtime", "2.0");
    pid_t c = start_node(B "/rogue.json", "c", "--realtime", NULL);
    wait_exit_ok(a);
    wait_exit_ok(b);
    fusion_collect(&r, &l, 1.5);
    kill(r.pid, SIGTERM); /* rf-c never ends: stop the fusion node */
    int st = fusion_collect(&r, &l, -1);
    fusion_close(&r);
    kill(c, SIGKILL);
    waitpid(c, NULL, 0);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    const cJSON *last = msglist_last(&l, "status");
    assert_non_null(last);
    const cJSON *na = node_of(last, "a"), *nb = node_of(last, "b"), *nc = node_of(last, "c");
    assert_non_null(na);
    assert_non_null(nb);
    assert_non_null(nc);
    double refused = jnum(cJSON_GetObjectItem(last, "nodes"), "refused");
    print_message("node a offset %+.4f s, node b offset %+.4f s (flagged %d), refused %g\n",
                  jnum(na, "clock_offset_s"), jnum(nb, "clock_offset_s"), jflag(nb, "clock_flagged"),
                  refused);
    assert_false(jflag(na, "clock_flagged"));
    assert_true(fabs(jnum(na, "clock_offset_s")) < 0.1);
    assert_true(jflag(nb, "clock_flagged"));
    assert_true(fabs(jnum(nb, "clock_offset_s") - 2.0) < 0.1);
    assert_true(refused >= 1);
    assert_string_equal(jstr(nc, "state"), "waiting");
    assert_string_equal(jstr(sensor_of(last, "rf-c"), "state"), "degraded");
    assert_true(log_contains(B "/fusion3.log", "NODE  refused peer"));
    assert_true(log_contains(B "/fusion3.log", "NODE  b clock OFF"));
    msglist_free(&l);
}

/* A sensor node's warnings cross the link: its recording blocks on a FIFO nobody reads
 * (a hung disk), the node's watchdog note reaches the fusion node's log and turns the
 * sensor degraded with "stalled": true in the fusion node's status (published by wall
 * clock); SIGTERM ends the node within the stop grace, exit status 2, sensor named. */
static void test_stalled_node(void **state)
{
    (void)state;
    write_noise(B "/st", 0, 3);
    const char *p[] = {B "/st.sigmf-meta"};
    write_venue(B "/stall.json", 1, p, 30, NULL);
    assert_int_equal(system("rm -rf " B "/stall && mkdir -p " B "/stall"), 0);
    assert_int_equal(mkfifo(B "/stall/rf-a.sigmf-data.tmp", 0600), 0);
    fusion_run r;
    msglist l = {0};
    fusion_start(&r, B "/stall.json", B "/fusion5.log");
    pid_t a = start_node2(B "/stall.json", "a", "--record", B "/stall", NULL);
    bool seen = false;
    for (int i = 0; i < 150 && !seen; i++) { /* the watchdog fires after 5 s */
        fusion_collect(&r, &l, 0.1);
        seen = log_contains(B "/fusion5.log", "sensor rf-a: stalled: no progress for 5 s in the "
                                              "recording");
    }
    assert_true(seen);
    fusion_collect(&r, &l, 1.5); /* a wall-clock status or two */
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(kill(a, SIGTERM), 0);
    int st = wait_exit(a);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double dt = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) * 1e-9;
    print_message("stalled sensor node: SIGTERM answered in %.2f s\n", dt);
    assert_true(dt < 3.0);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 2);
    assert_true(log_contains(B "/node-a.log", "sensor rf-a did not stop within 2 s"));
    kill(r.pid, SIGTERM); /* rf-a never ended: stop the fusion node */
    st = fusion_collect(&r, &l, -1);
    fusion_close(&r);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    size_t stalled = 0;
    for (size_t i = 0; i < l.n; i++) {
        const cJSON *sa = strcmp(jstr(l.msgs[i], "type"), "status") == 0
                              ? sensor_of(l.msgs[i], "rf-a") : NULL;
        if (sa && jflag(sa, "stalled")) {
            assert_string_equal(jstr(sa, "state"), "degraded");
            stalled++;
        }
    }
    print_message("%zu status messages with rf-a stalled\n", stalled);
    assert_true(stalled >= 1);
    msglist_free(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_same_as_standalone),
        cmocka_unit_test(test_split_remote_id),
        cmocka_unit_test(test_kill_degraded_rejoin),
        cmocka_unit_test(test_unknown_key_and_clock_offset),
        cmocka_unit_test(test_fusion_restart),
        cmocka_unit_test(test_stalled_node),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
