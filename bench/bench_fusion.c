/* Fusion stage throughput: point-in-zone tests, entry-time predictions, full alert
 * engine updates (tracks x zones of the bundled stadium venue) and WGS84 measurement
 * mapping, all on fixed-seed inputs with their outputs checked.
 * Run: ./build/bench/bench_fusion  (prints per-core rates). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alerts.h"
#include "geo.h"
#include "registry.h"
#include "zones.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts); /* per-core rate even on a shared machine */
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static unsigned seed = 2024;
static double urand(double a, double b)
{
    return a + (b - a) * (rand_r(&seed) / (double)RAND_MAX);
}

static void count_cb(const sg_alert *ev, void *user)
{
    (void)ev;
    (*(size_t *)user)++;
}

int main(void)
{
    geo_frame f;
    sg_errinfo e;
    if (geo_frame_init(&f, 51.5560 * GEO_DEG, -0.2796 * GEO_DEG, 87.0, &e))
        return 1;
    zone_set *zs = zones_load(SG_SOURCE_DIR "/testdata/zones/stadium.geojson", &f, &e);
    if (!zs) {
        fprintf(stderr, "%s\n", e.msg);
        return 1;
    }
    size_t nz = zones_count(zs);
    enum { NP = 4096 };
    static double pts[NP][3], vel[NP][3];
    for (int i = 0; i < NP; i++) {
        pts[i][0] = urand(-2000, 2000);
        pts[i][1] = urand(-2000, 2000);
        pts[i][2] = urand(0, 500);
        vel[i][0] = urand(-20, 20);
        vel[i][1] = urand(-20, 20);
        vel[i][2] = urand(-3, 3);
    }
    /* 1. zone_contains over all zones. */
    size_t inside = 0, iters = 0;
    double t0 = now(), el;
    do {
        for (int i = 0; i < NP; i++)
            for (size_t z = 0; z < nz; z++)
                inside += zone_contains(zones_at(zs, z), pts[i]);
        iters++;
        el = now() - t0;
    } while (el < 1.0);
    double tests = (double)iters * NP * nz;
    /* Check: the per-pass count is stable and plausible (some in, most out). */
    if (inside % iters != 0 || inside / iters == 0 || inside / iters >= NP * nz) {
        fprintf(stderr, "bad inside count\n");
        return 1;
    }
    printf("zone_contains: %.2f M tests/s (%zu zones, %zu inside per pass)\n", tests / el / 1e6, nz,
           inside / iters);
    /* 2. zone_entry with a 30 s horizon. */
    size_t hits = 0;
    iters = 0;
    t0 = now();
    do {
        for (int i = 0; i < NP; i++)
            for (size_t z = 0; z < nz; z++) {
                double te, n[3];
                hits += zone_entry(zones_at(zs, z), pts[i], vel[i], 30, &te, n);
            }
        iters++;
        el = now() - t0;
    } while (el < 1.0);
    printf("zone_entry: %.2f M predictions/s (%zu entries per pass)\n",
           (double)iters * NP * nz / el / 1e6, hits / iters);
    /* 3. Alert engine: 500 tracks moving for N steps at 10 Hz. */
    alerts_cfg c;
    alerts_cfg_default(&c);
    c.max_events_per_s = 10000;
    alerts *a = alerts_create(&c, zs, &e);
    if (!a) {
        fprintf(stderr, "%s\n", e.msg);
        return 1;
    }
    enum { NT = 500 };
    static sg_track tr[NT];
    for (int i = 0; i < NT; i++) {
        memset(&tr[i], 0, sizeof tr[i]);
        tr[i].id = (uint32_t)(i + 1);
        tr[i].status = SG_TRACK_CONFIRMED;
        memcpy(tr[i].x, pts[i], sizeof pts[i]);
        memcpy(tr[i].x + 3, vel[i], sizeof vel[i]);
        for (int k = 0; k < 6; k++)
            tr[i].P[k * 7] = k < 3 ? 25 : 1;
    }
    size_t events = 0, steps = 0;
    double tt = 1784574000; /* during the match: all zones active */
    t0 = now();
    do {
        for (int i = 0; i < NT; i++)
            for (int k = 0; k < 3; k++)
                tr[i].x[k] += 0.1 * tr[i].x[3 + k];
        if (alerts_update(a, tt, tr, NT, count_cb, &events) < 0)
            return 1;
        tt += 0.1;
        steps++;
        el = now() - t0;
    } while (el < 2.0);
    alerts_stats st;
    alerts_get_stats(a, &st);
    if (events == 0 || st.raised == 0) {
        fprintf(stderr, "no alerts raised\n");
        return 1;
    }
    printf("alerts_update: %.0f updates/s of %d tracks x %zu zones = %.2f M track-zone/s "
           "(%zu events, %u open at end)\n",
           steps / el, NT, nz, steps * (double)NT * nz / el / 1e6, events, st.open);
    alerts_destroy(a);
    /* 4. WGS84 measurement mapping. */
    fusion_sensor s;
    fusion_sensor_default(&s, FUSION_SENSOR_REMOTEID);
    snprintf(s.id, sizeof s.id, "rid");
    s.lat = f.lat0;
    s.lon = f.lon0;
    registry *r = registry_create(&f, &s, 1, &e);
    if (!r)
        return 1;
    sg_measurement m = {0}, out;
    m.type = SG_MEAS_POS_WGS84;
    m.sensor = 0;
    iters = 0;
    double sum = 0;
    t0 = now();
    do {
        for (int i = 0; i < 1024; i++) {
            m.t = i;
            m.z[0] = f.lat0 + pts[i][1] / 6.4e6;
            m.z[1] = f.lon0 + pts[i][0] / 4e6;
            m.z[2] = 87 + pts[i][2];
            if (registry_map(r, &m, &out, &e))
                return 1;
            sum += out.z[2];
        }
        iters++;
        el = now() - t0;
    } while (el < 1.0);
    if (!isfinite(sum))
        return 1;
    printf("registry_map (WGS84 -> ENU + R rotation): %.2f M measurements/s\n",
           iters * 1024.0 / el / 1e6);
    registry_destroy(r);
    zones_destroy(zs);
    return 0;
}
