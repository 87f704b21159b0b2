/* Alert engine behaviour on constructed tracks (the tracker is not needed):
 * an approaching drone raises a predicted-breach alert before it crosses, with a
 * time to breach within its stated 1-sigma (checked over a fixed-seed noisy run);
 * allow-listed drones are reported as INFO only; leaving clears exactly once;
 * hysteresis holds a boundary-hugging track to a single alert (and the same track
 * without hysteresis flaps, so the test can fail); nested layers keep one alert per
 * drone; rate limits defer but never lose events; deletions and schedule ends clear. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "alerts.h"
#include "geo.h"
#include "zones.h"

static geo_frame g_f;

static void ring_json(char *buf, size_t cap, double x0, double y0, double x1, double y1)
{
    const double v[5][2] = {{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}};
    size_t used = strlen(buf);
    used += (size_t)snprintf(buf + used, cap - used, "[");
    for (int i = 0; i < 5; i++) {
        double enu[3] = {v[i][0], v[i][1], 0}, lat, lon, h;
        geo_frame_from_enu(&g_f, enu, &lat, &lon, &h);
        used += (size_t)snprintf(buf + used, cap - used, "%s[%.12f,%.12f]", i ? "," : "",
                                 lon / GEO_DEG, lat / GEO_DEG);
    }
    snprintf(buf + used, cap - used, "]");
}

/* Nested squares centred on the origin: warning 1000 m, alert 500 m, critical 200 m
 * (half-widths), optional schedule on the critical one. */
static zone_set *nested(const char *crit_sched)
{
    static char buf[8192];
    const char *ids[] = {"warn", "alert", "crit"}, *layers[] = {"warning", "alert", "critical"};
    const double hw[] = {1000, 500, 200};
    snprintf(buf, sizeof buf, "{\"type\":\"FeatureCollection\",\"features\":[");
    for (int i = 0; i < 3; i++) {
        size_t u = strlen(buf);
        snprintf(buf + u, sizeof buf - u,
                 "%s{\"type\":\"Feature\",\"id\":\"%s\",\"properties\":{\"layer\":\"%s\"%s%s},"
                 "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[",
                 i ? "," : "", ids[i], layers[i], i == 2 && crit_sched ? "," : "",
                 i == 2 && crit_sched ? crit_sched : "");
        ring_json(buf, sizeof buf, -hw[i], -hw[i], hw[i], hw[i]);
        strcat(buf, "]}}");
    }
    strcat(buf, "]}");
    sg_errinfo e = {0};
    zone_set *zs = zones_parse("nested.geojson", buf, strlen(buf), &g_f, &e);
    if (!zs)
        fail_msg("%s", e.msg);
    return zs;
}

/* A single square zone of half-width 200 m (critical). */
static zone_set *single(void)
{
    static char buf[4096];
    snprintf(buf, sizeof buf, "{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\","
                              "\"id\":\"sq\",\"properties\":{\"layer\":\"critical\"},\"geometry\":"
                              "{\"type\":\"Polygon\",\"coordinates\":[");
    ring_json(buf, sizeof buf, -200, -200, 200, 200);
    strcat(buf, "]}}]}");
    sg_errinfo e = {0};
    zone_set *zs = zones_parse("single.geojson", buf, strlen(buf), &g_f, &e);
    if (!zs)
        fail_msg("%s", e.msg);
    return zs;
}

typedef struct {
    sg_alert ev[4096];
    size_t n;
} log_t;

static void rec_cb(const sg_alert *ev, void *user)
{
    log_t *l = user;
    if (l->n < sizeof l->ev / sizeof l->ev[0])
        l->ev[l->n++] = *ev;
}

static void make_track(sg_track *tr, uint32_t id, const double p[3], const double v[3],
                       double pos_sd, double vel_sd)
{
    memset(tr, 0, sizeof *tr);
    tr->id = id;
    tr->status = SG_TRACK_CONFIRMED;
    for (int i = 0; i < 3; i++) {
        tr->x[i] = p[i];
        tr->x[3 + i] = v[i];
        tr->P[i * 6 + i] = pos_sd * pos_sd;
        tr->P[(3 + i) * 6 + 3 + i] = vel_sd * vel_sd;
    }
    tr->n_sensors = 2;
    tr->sensors[0] = 0;
    tr->sensors[1] = 3;
    snprintf(tr->cls, sizeof tr->cls, "dji_droneid");
}

static size_t count(const log_t *l, sg_alert_state st, uint32_t track)
{
    size_t n = 0;
    for (size_t i = 0; i < l->n; i++)
        n += l->ev[i].state == st && l->ev[i].track_id == track;
    return n;
}

static double gauss(unsigned *seed)
{
    double u1 = (rand_r(seed) + 1.0) / (RAND_MAX + 2.0), u2 = (rand_r(seed) + 1.0) / (RAND_MAX + 2.0);
    return sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
}

/* Straight approach at 15 m/s from 1000 m west: the west edge (x = -200) is crossed at
 * t = 800 / 15 = 53.3 s. With a 30 s horizon the alert must be raised at t ~ 23.3 s
 * (predicted, outside), with time to breach = true remaining time. */
static void test_approach_raises_before_crossing(void **state)
{
    (void)state;
    zone_set *zs = single();
    alerts_cfg c;
    alerts_cfg_default(&c);
    c.horizon_s = 30;
    sg_errinfo e;
    alerts *a = alerts_create(&c, zs, &e);
    assert_non_null(a);
    static log_t l;
    l.n = 0;
    const double t_cross = 800.0 / 15.0;
    for (int k = 0; k <= 140; k++) {
        double t = 1e9 + k * 0.5, tt = k * 0.5;
        double p[3] = {-1000 + 15 * tt, 0, 50}, v[3] = {15, 0, 0};
        sg_track tr;
        make_track(&tr, 42, p, v, 0, 0);
        assert_true(alerts_update(a, t, &tr, 1, rec_cb, &l) >= 0);
    }
    assert_true(l.n >= 2);
    const sg_alert *r = &l.ev[0];
    assert_int_equal(r->state, SG_ALERT_RAISED);
    assert_int_equal(r->severity, SG_SEV_CRITICAL);
    assert_false(r->inside);
    assert_int_equal(r->track_id, 42);
    assert_string_equal(r->zone_id, "sq");
    assert_int_equal(r->n_sensors, 2);
    double raised_at = r->t - 1e9;
    /* Raised on the first step with ttb <= 30 s: 23.5 s; >= 29.5 s before crossing. */
    assert_true(raised_at <= t_cross - 29.5 && raised_at >= t_cross - 30.0 - 1e-9);
    assert_true(fabs(r->time_to_breach - (t_cross - raised_at)) < 0.01);
    /* Then an UPDATED with inside = true after the crossing, not before. */
    bool saw_inside = false;
    for (size_t i = 1; i < l.n; i++)
        if (l.ev[i].state == SG_ALERT_UPDATED && l.ev[i].inside) {
            assert_true(l.ev[i].t - 1e9 >= t_cross);
            assert_true(l.ev[i].t - 1e9 <= t_cross + c.update_interval_s + 0.5);
            assert_true(l.ev[i].time_to_breach == 0);
            saw_inside = true;
            break;
        }
    assert_true(saw_inside);
    assert_int_equal(count(&l, SG_ALERT_RAISED, 42), 1);
    assert_int_equal(count(&l, SG_ALERT_CLEARED, 42), 0);
    alerts_destroy(a);
    zones_destroy(zs);
}

/* Noisy tracks (seed fixed) with a covariance that matches the noise: the reported
 * time to breach must be within 3 stated sigmas of the truth in >= 97 % of the
 * predictions, and the sigma must be honest (not inflated: median |err|/sd > 0.3). */
static void test_time_to_breach_within_stated_error(void **state)
{
    (void)state;
    zone_set *zs = single();
    alerts_cfg c;
    alerts_cfg_default(&c);
    c.horizon_s = 120;
    alerts *a = alerts_create(&c, zs, NULL);
    assert_non_null(a);
    unsigned seed = 12345;
    const double pos_sd = 4.0, vel_sd = 0.6;
    size_t n = 0, within = 0;
    double ratios[400];
    for (int run = 0; run < 400; run++) {
        /* Each run a new track at a random distance, 10 m/s east. */
        double d = 250 + 300 * (rand_r(&seed) / (double)RAND_MAX);
        double p[3] = {-200 - d + pos_sd * gauss(&seed), pos_sd * gauss(&seed), 40};
        double v[3] = {10 + vel_sd * gauss(&seed), vel_sd * gauss(&seed), 0};
        sg_track tr;
        make_track(&tr, (uint32_t)(1000 + run), p, v, pos_sd, vel_sd);
        log_t *l = calloc(1, sizeof *l);
        assert_non_null(l);
        assert_true(alerts_update(a, 1e9 + run * 100.0, &tr, 1, rec_cb, l) >= 0);
        if (!(l->n == 1 && l->ev[0].state == SG_ALERT_RAISED))
            fail_msg("seed 12345 run %d: %zu events", run, l->n);
        double truth = d / 10.0;
        double err = fabs(l->ev[0].time_to_breach - truth), sd = l->ev[0].time_to_breach_sd;
        assert_true(isfinite(sd) && sd > 0);
        within += err <= 3 * sd;
        if (getenv("SG_VERBOSE"))
            printf("d %.1f truth %.2f ttb %.2f sd %.2f\n", d, truth, l->ev[0].time_to_breach, sd);
        ratios[n++] = err / sd;
        /* Drop the track so the next run starts clean. */
        assert_true(alerts_update(a, 1e9 + run * 100.0 + 50, NULL, 0, NULL, NULL) == 1);
        free(l);
    }
    for (size_t i = 1; i < n; i++) /* insertion sort for the median */
        for (size_t j = i; j > 0 && ratios[j] < ratios[j - 1]; j--) {
            double tmp = ratios[j];
            ratios[j] = ratios[j - 1];
            ratios[j - 1] = tmp;
        }
    if (within < 0.97 * n || ratios[n / 2] < 0.3)
        fail_msg("seed 12345: %zu/%zu within 3 sigma, median err/sd %.2f", within, n, ratios[n / 2]);
    alerts_destroy(a);
    zones_destroy(zs);
}

/* Two tracks flying side by side through the zone for 60 s; tag sets what differs. */
static void cross_two(alerts *a, log_t *l, void (*tag)(sg_track tr[2]))
{
    for (int k = 0; k <= 120; k++) {
        double tt = k * 0.5;
        double p1[3] = {-600 + 15 * tt, 0, 50}, p2[3] = {-600 + 15 * tt, 100, 50}, v[3] = {15, 0, 0};
        sg_track tr[2];
        make_track(&tr[0], 1, p1, v, 3, 0.5);
        make_track(&tr[1], 2, p2, v, 3, 0.5);
        tag(tr);
        assert_true(alerts_update(a, 2e9 + tt, tr, 2, rec_cb, l) >= 0);
    }
}

static void tag_classes(sg_track tr[2])
{
    snprintf(tr[0].cls, sizeof tr[0].cls, "bird");
    snprintf(tr[1].cls, sizeof tr[1].cls, "drone");
}

static void tag_identities(sg_track tr[2])
{
    snprintf(tr[0].identity, sizeof tr[0].identity, "1581f4xfb00aa"); /* case differs */
    snprintf(tr[1].identity, sizeof tr[1].identity, "1581F4XFB00AB"); /* not listed */
}

/* A track a classifier called a bird is reported as INFO, a drone alarms; the list
 * is configurable ("info_classes": [] alarms on every class). */
static void test_info_classes_not_alarmed(void **state)
{
    (void)state;
    for (int pass = 0; pass < 2; pass++) {
        zone_set *zs = single();
        alerts_cfg c;
        cJSON *j = cJSON_Parse(pass ? "{\"info_classes\":[]}" : "{}");
        assert_int_equal(alerts_cfg_from_json(j, "site.json: alerts", &c, NULL), SG_OK);
        cJSON_Delete(j);
        alerts *a = alerts_create(&c, zs, NULL);
        static log_t l;
        l.n = 0;
        cross_two(a, &l, tag_classes);
        size_t bird = 0, drone = 0;
        for (size_t i = 0; i < l.n; i++) {
            bool is_bird = l.ev[i].track_id == 1;
            assert_string_equal(l.ev[i].cls, is_bird ? "bird" : "drone");
            assert_int_equal(l.ev[i].severity, is_bird && !pass ? SG_SEV_INFO : SG_SEV_CRITICAL);
            assert_false(l.ev[i].allow_listed);
            bird += is_bird;
            drone += !is_bird;
        }
        assert_true(bird >= 1 && drone >= 1); /* the bird is published, the drone alarms */
        alerts_destroy(a);
        zones_destroy(zs);
    }
}

static void test_allow_listed_not_alarmed(void **state)
{
    (void)state;
    zone_set *zs = single();
    alerts_cfg c;
    cJSON *j = cJSON_Parse("{\"allow_list\":[\"1581F4XFB00AA\",\"POLICE-UAS-7\"],\"horizon_s\":20}");
    assert_int_equal(alerts_cfg_from_json(j, "site.json: alerts", &c, NULL), SG_OK);
    cJSON_Delete(j);
    alerts *a = alerts_create(&c, zs, NULL);
    static log_t l;
    l.n = 0;
    cross_two(a, &l, tag_identities);
    size_t info = 0, alarm = 0;
    for (size_t i = 0; i < l.n; i++) {
        if (l.ev[i].track_id == 1) {
            assert_int_equal(l.ev[i].severity, SG_SEV_INFO);
            assert_true(l.ev[i].allow_listed);
            assert_string_equal(l.ev[i].identity, "1581f4xfb00aa");
            info++;
        } else {
            assert_int_equal(l.ev[i].severity, SG_SEV_CRITICAL);
            assert_false(l.ev[i].allow_listed);
            alarm++;
        }
    }
    assert_true(info >= 1 && alarm >= 1); /* reported, and the other drone alarms */
    assert_int_equal(count(&l, SG_ALERT_RAISED, 1), 1);
    alerts_destroy(a);
    zones_destroy(zs);
}

/* Inside, then flies out west and away: one CLEARED, after the exit margin and the
 * hold time, and nothing for that track afterwards. */
static void test_leaving_clears_once(void **state)
{
    (void)state;
    zone_set *zs = single();
    alerts_cfg c;
    alerts_cfg_default(&c);
    c.exit_margin_m = 15;
    c.clear_hold_s = 5;
    alerts *a = alerts_create(&c, zs, NULL);
    static log_t l;
    l.n = 0;
    for (int k = 0; k <= 200; k++) {
        double tt = k * 0.5;
        double p[3] = {0 - 10 * tt, 0, 30}, v[3] = {-10, 0, 0};
        sg_track tr;
        make_track(&tr, 9, p, v, 2, 0.3);
        assert_true(alerts_update(a, 3e9 + tt, &tr, 1, rec_cb, &l) >= 0);
    }
    assert_int_equal(count(&l, SG_ALERT_RAISED, 9), 1);
    assert_int_equal(count(&l, SG_ALERT_CLEARED, 9), 1);
    const sg_alert *last = &l.ev[l.n - 1];
    assert_int_equal(last->state, SG_ALERT_CLEARED);
    assert_int_equal(last->id, l.ev[0].id);
    /* Out by 15 m at x = -215 -> t = 21.5 s (first step past it 22.0); + 5 s hold. */
    double tc = last->t - 3e9;
    assert_true(tc >= 21.5 + 5.0 && tc <= 22.0 + 5.0 + 1e-9);
    sg_alert snap[4];
    assert_int_equal(alerts_active(a, snap, 4), 0);
    alerts_stats st;
    alerts_get_stats(a, &st);
    assert_int_equal(st.raised, 1);
    assert_int_equal(st.cleared, 1);
    assert_int_equal(st.open, 0);
    alerts_destroy(a);
    zones_destroy(zs);
}

/* A track hugging the east edge (x = 200 +- 8 m, drifting north) for 2 minutes. */
static void hug(const alerts_cfg *c, log_t *l)
{
    zone_set *zs = single();
    alerts *a = alerts_create(c, zs, NULL);
    assert_non_null(a);
    unsigned seed = 7;
    l->n = 0;
    for (int k = 0; k <= 240; k++) {
        double tt = k * 0.5;
        double p[3] = {200 + 8 * sin(tt * 1.3) + gauss(&seed), -150 + 2 * tt, 40};
        double v[3] = {8 * 1.3 * cos(tt * 1.3), 2, 0};
        sg_track tr;
        make_track(&tr, 5, p, v, 3, 1);
        assert_true(alerts_update(a, 4e9 + tt, &tr, 1, rec_cb, l) >= 0);
    }
    alerts_destroy(a);
    zones_destroy(zs);
}

static void test_hysteresis_no_flapping(void **state)
{
    (void)state;
    static log_t l;
    alerts_cfg c;
    alerts_cfg_default(&c);
    c.horizon_s = 0; /* geometry only: the spatial and time hysteresis under test */
    hug(&c, &l);
    assert_int_equal(count(&l, SG_ALERT_RAISED, 5), 1);
    assert_int_equal(count(&l, SG_ALERT_CLEARED, 5), 0);
    /* With hysteresis the inside flag does not toggle either. */
    assert_int_equal(count(&l, SG_ALERT_UPDATED, 5), 0);
    /* Control: no margin and no hold -> the same track flaps. */
    c.exit_margin_m = 0;
    c.clear_hold_s = 0;
    c.update_interval_s = 0;
    hug(&c, &l);
    assert_true(count(&l, SG_ALERT_RAISED, 5) > 5);
    assert_true(count(&l, SG_ALERT_CLEARED, 5) > 5);
}

/* Flying through the nested rings: at most one open alert for the drone at any time,
 * escalating warn -> alert -> crit and back; every alert cleared exactly once. */
static void test_nested_layers_one_alert(void **state)
{
    (void)state;
    zone_set *zs = nested(NULL);
    alerts_cfg c;
    alerts_cfg_default(&c);
    c.horizon_s = 0;
    c.clear_hold_s = 0;
    c.exit_margin_m = 5;
    alerts *a = alerts_create(&c, zs, NULL);
    static log_t l;
    l.n = 0;
    size_t max_open = 0;
    for (int k = 0; k <= 300; k++) {
        double tt = k;
        double p[3] = {-1500 + 10 * tt, 3, 60}, v[3] = {10, 0, 0};
        sg_track tr;
        make_track(&tr, 77, p, v, 2, 0.2);
        assert_true(alerts_update(a, 5e9 + tt, &tr, 1, rec_cb, &l) >= 0);
        sg_alert snap[8];
        size_t n = alerts_active(a, snap, 8);
        max_open = n > max_open ? n : max_open;
        if (fabs(p[0]) < 150) {
            assert_int_equal(n, 1);
            assert_string_equal(snap[0].zone_id, "crit");
            alerts_zone_state zst[4];
            /* The summary still lists all three zones the track is inside. */
            assert_int_equal(alerts_track_zones(a, 77, zst, 4), 3);
            size_t open = 0;
            for (int i = 0; i < 3; i++) {
                assert_true(zst[i].inside && zst[i].distance_m < 0);
                open += zst[i].alert_open;
            }
            assert_int_equal(open, 1);
        }
    }
    assert_int_equal(max_open, 1);
    const char *seq[] = {"warn", "alert", "crit", "alert", "warn"};
    size_t si = 0;
    for (size_t i = 0; i < l.n; i++)
        if (l.ev[i].state == SG_ALERT_RAISED) {
            assert_true(si < 5);
            assert_string_equal(l.ev[i].zone_id, seq[si]);
            si++;
        }
    assert_int_equal(si, 5);
    assert_int_equal(count(&l, SG_ALERT_CLEARED, 77), 5);
    for (size_t i = 0; i < l.n; i++) { /* each id cleared once */
        if (l.ev[i].state != SG_ALERT_RAISED)
            continue;
        size_t cl = 0;
        for (size_t j = 0; j < l.n; j++)
            cl += l.ev[j].id == l.ev[i].id && l.ev[j].state == SG_ALERT_CLEARED;
        assert_int_equal(cl, 1);
    }
    alerts_destroy(a);
    zones_destroy(zs);
}

/* 100 drones enter at once with a cap of 10 events/s: at most 10 per second of sample
 * time, all 100 raised eventually, deferrals counted; a fast-changing ttb gives at
 * most one UPDATED per interval. */
static void test_rate_limits(void **state)
{
    (void)state;
    zone_set *zs = single();
    alerts_cfg c;
    alerts_cfg_default(&c);
    c.max_events_per_s = 10;
    c.max_tracks = 128;
    alerts *a = alerts_create(&c, zs, NULL);
    static log_t l;
    l.n = 0;
    sg_track tr[100];
    size_t per_step_max = 0;
    for (int k = 0; k < 40; k++) {
        size_t before = l.n;
        for (int i = 0; i < 100; i++) {
            double p[3] = {-150 + 3 * i, 0, 20}, v[3] = {0, 0, 0};
            make_track(&tr[i], (uint32_t)(100 + i), p, v, 2, 0.2);
        }
        assert_true(alerts_update(a, 6e9 + k * 0.5, tr, 100, rec_cb, &l) >= 0);
        per_step_max = l.n - before > per_step_max ? l.n - before : per_step_max;
    }
    alerts_stats st;
    alerts_get_stats(a, &st);
    assert_int_equal(st.raised, 100);
    assert_true(st.events_deferred > 0);
    assert_true(per_step_max <= 10);
    /* In any 1 s window at most 10 (burst) + 10 (refill) events. */
    for (size_t i = 0; i < l.n; i++) {
        size_t w = 0;
        for (size_t j = i; j < l.n && l.ev[j].t < l.ev[i].t + 1.0; j++)
            w++;
        assert_true(w <= 20);
    }
    alerts_destroy(a);

    /* Per-alert UPDATED interval: a track whose ttb keeps changing a lot. */
    c.max_events_per_s = 1000;
    c.update_interval_s = 3;
    c.horizon_s = 600;
    c.ttb_change_s = 0;
    a = alerts_create(&c, zs, NULL);
    l.n = 0;
    for (int k = 0; k < 100; k++) {
        double tt = k * 0.25;
        /* Speed alternates 5 / 20 m/s: ttb jumps every step. */
        double p[3] = {-3000 + 5 * tt, 0, 20}, v[3] = {k % 2 ? 20 : 5, 0, 0};
        sg_track one;
        make_track(&one, 1, p, v, 2, 0.2);
        assert_true(alerts_update(a, 7e9 + tt, &one, 1, rec_cb, &l) >= 0);
    }
    size_t upd = count(&l, SG_ALERT_UPDATED, 1);
    double last_t = -1;
    for (size_t i = 0; i < l.n; i++) {
        if (last_t >= 0)
            assert_true(l.ev[i].t - last_t >= 3.0 - 1e-9);
        last_t = l.ev[i].t;
    }
    assert_true(upd >= 5 && upd <= 25.0 / 3 + 1);
    alerts_get_stats(a, &st);
    assert_true(st.updates_coalesced > 0);
    alerts_destroy(a);
    zones_destroy(zs);
}

static void test_delete_and_schedule_clear(void **state)
{
    (void)state;
    /* crit active until 6e9 + 100 s (1970 + ... expressed as ISO below). */
    zone_set *zs = nested("\"schedule\":[{\"start\":\"2160-02-18T10:40:00Z\",\"end\":\"2160-02-18T10:41:40Z\"}]");
    /* 2160-02-18T10:40:00Z = 6000000000 s. */
    alerts_cfg c;
    alerts_cfg_default(&c);
    c.horizon_s = 0;
    alerts *a = alerts_create(&c, zs, NULL);
    static log_t l;
    l.n = 0;
    sg_track tr[2];
    double p[3] = {0, 0, 20}, v[3] = {0, 0, 0};
    make_track(&tr[0], 1, p, v, 2, 0.2);
    make_track(&tr[1], 2, p, v, 2, 0.2);
    assert_int_equal(alerts_update(a, 6e9 + 10, tr, 2, rec_cb, &l), 2);
    assert_string_equal(l.ev[0].zone_id, "crit");
    /* Track 1 deleted, track 2 vanishes from the list later. */
    tr[0].status = SG_TRACK_DELETED;
    assert_int_equal(alerts_update(a, 6e9 + 11, tr, 2, rec_cb, &l), 1);
    assert_int_equal(l.ev[2].state, SG_ALERT_CLEARED);
    assert_int_equal(l.ev[2].track_id, 1);
    /* Schedule ends at +100 s: crit clears, the track falls back to "alert". */
    assert_int_equal(alerts_update(a, 6e9 + 99.5, &tr[1], 1, rec_cb, &l), 0);
    assert_int_equal(alerts_update(a, 6e9 + 100, &tr[1], 1, rec_cb, &l), 2);
    assert_int_equal(l.ev[3].state, SG_ALERT_CLEARED);
    assert_string_equal(l.ev[3].zone_id, "crit");
    assert_int_equal(l.ev[4].state, SG_ALERT_RAISED);
    assert_string_equal(l.ev[4].zone_id, "alert");
    assert_int_equal(alerts_update(a, 6e9 + 101, NULL, 0, rec_cb, &l), 1);
    assert_int_equal(l.ev[5].state, SG_ALERT_CLEARED);
    assert_int_equal(l.ev[5].track_id, 2);
    assert_int_equal(alerts_track_zones(a, 2, NULL, 0), 0);
    /* Tentative tracks do not raise by default; NaN tracks are counted. */
    tr[1].id = 3;
    tr[1].status = SG_TRACK_TENTATIVE;
    assert_int_equal(alerts_update(a, 6e9 + 102, &tr[1], 1, rec_cb, &l), 0);
    tr[1].x[0] = NAN;
    assert_int_equal(alerts_update(a, 6e9 + 103, &tr[1], 1, rec_cb, &l), 0);
    alerts_stats st;
    alerts_get_stats(a, &st);
    assert_int_equal(st.tracks_invalid, 1);
    /* Time going backwards is refused. */
    assert_int_equal(alerts_update(a, 6e9, NULL, 0, NULL, NULL), SG_EINVAL);
    alerts_destroy(a);
    zones_destroy(zs);
}

/* Many short-lived tracks through a small engine (max_tracks 16): records are
 * recycled, every raised alert is cleared once, nothing is lost to capacity, and a
 * 17th simultaneous track is counted, not followed. */
static void test_track_churn(void **state)
{
    (void)state;
    zone_set *zs = single();
    alerts_cfg c;
    alerts_cfg_default(&c);
    c.max_tracks = 16;
    c.max_events_per_s = 10000;
    c.horizon_s = 0;
    alerts *a = alerts_create(&c, zs, NULL);
    static log_t l;
    l.n = 0;
    sg_track tr[17];
    uint32_t next = 1;
    for (int k = 0; k < 300; k++) {
        /* 12 live tracks, each lives 12 steps: one new id per step, ids never reused. */
        size_t n = 0;
        for (uint32_t id = next > 12 ? next - 12 : 1; id < next; id++) {
            double p[3] = {0, 0, 20}, v[3] = {0, 0, 0};
            make_track(&tr[n++], id, p, v, 2, 0.2);
        }
        assert_true(alerts_update(a, 8e9 + k, tr, n, rec_cb, &l) >= 0);
        next++;
    }
    alerts_stats st;
    alerts_get_stats(a, &st);
    assert_int_equal(st.tracks_over_capacity, 0);
    assert_true(st.raised >= 280);
    assert_int_equal(st.raised - st.cleared, st.open);
    assert_true(st.open <= 12);
    for (size_t i = 0; i < l.n; i++) {
        if (l.ev[i].state != SG_ALERT_CLEARED)
            continue;
        size_t raised = 0;
        for (size_t j = 0; j < i; j++)
            raised += l.ev[j].id == l.ev[i].id && l.ev[j].state == SG_ALERT_RAISED;
        assert_int_equal(raised, 1);
    }
    /* After the old tracks are gone (their alerts cleared), 17 at once: one is counted
     * as over capacity. */
    assert_true(alerts_update(a, 8e9 + 399, NULL, 0, rec_cb, &l) >= 0);
    for (int i = 0; i < 17; i++) {
        double p[3] = {0, 0, 20}, v[3] = {0, 0, 0};
        make_track(&tr[i], 100000 + (uint32_t)i, p, v, 2, 0.2);
    }
    assert_true(alerts_update(a, 8e9 + 400, tr, 17, rec_cb, &l) >= 0);
    alerts_get_stats(a, &st);
    assert_int_equal(st.tracks_over_capacity, 1);
    alerts_destroy(a);
    zones_destroy(zs);
}

static void test_cfg_invalid(void **state)
{
    (void)state;
    const struct {
        const char *json, *expect;
    } bad[] = {
        {"{\"exit_margin_m\":-1}", "site.json: alerts.exit_margin_m: must be in [0, 1000]"},
        {"{\"horizon\":30}", "site.json: alerts.horizon: unknown key"},
        {"{\"allow_list\":[\"ok\",3]}", "site.json: alerts.allow_list[1]: must be a non-empty"},
        {"{\"allow_list\":\"x\"}", "alerts.allow_list: must be an array"},
        {"{\"info_classes\":[\"bird\",\"\"]}", "site.json: alerts.info_classes[1]: must be a non-empty"},
        {"{\"info_classes\":\"bird\"}", "alerts.info_classes: must be an array"},
        {"{\"max_events_per_s\":0}", "alerts.max_events_per_s: must be in"},
        {"{\"max_tracks\":1.5}", "alerts.max_tracks: must be a whole number"},
        {"{\"alert_tentative\":1}", "alerts.alert_tentative: must be true or false"},
        {"[]", "site.json: alerts: must be an object"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cJSON *j = cJSON_Parse(bad[i].json);
        assert_non_null(j);
        alerts_cfg c;
        sg_errinfo e = {0};
        int rc = alerts_cfg_from_json(j, "site.json: alerts", &c, &e);
        cJSON_Delete(j);
        if (rc == SG_OK || !strstr(e.msg, bad[i].expect))
            fail_msg("case %zu: rc %d \"%s\"", i, rc, e.msg);
    }
    alerts_cfg c;
    alerts_cfg_default(&c);
    c.clear_hold_s = NAN;
    zone_set *zs = single();
    sg_errinfo e = {0};
    assert_null(alerts_create(&c, zs, &e));
    assert_non_null(strstr(e.msg, "clear_hold_s"));
    zones_destroy(zs);
}

static int setup(void **state)
{
    (void)state;
    return geo_frame_init(&g_f, 51.5560 * GEO_DEG, -0.2796 * GEO_DEG, 87.0, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_approach_raises_before_crossing),
        cmocka_unit_test(test_time_to_breach_within_stated_error),
        cmocka_unit_test(test_allow_listed_not_alarmed),
        cmocka_unit_test(test_info_classes_not_alarmed),
        cmocka_unit_test(test_leaving_clears_once),
        cmocka_unit_test(test_hysteresis_no_flapping),
        cmocka_unit_test(test_nested_layers_one_alert),
        cmocka_unit_test(test_rate_limits),
        cmocka_unit_test(test_delete_and_schedule_clear),
        cmocka_unit_test(test_track_churn),
        cmocka_unit_test(test_cfg_invalid),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
