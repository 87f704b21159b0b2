/* sg_democap: writes a burst-triggered SigMF recording of drones flying a scripted
 * scene over a venue, as a triggered RF recorder would keep it: one short capture
 * segment (with its own core:datetime) around each DJI DroneID burst, after a
 * noise-only lead-in. Each burst is a real DroneID frame from the project's encoder
 * (dsp/droneid_enc.h) carrying the drone's serial, position, velocity and pilot
 * position at that instant, so a replay exercises detection, decoding, tracking and
 * the zone alerts end to end. Ground truth goes into the SigMF annotations.
 *
 * The scene is data: a JSON file (see testdata/demo-scenario.json and
 * docs/demo-capture.md). Positions are ENU metres around the scene's origin. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "droneid.h"
#include "droneid_enc.h"
#include "geo.h"
#include "sg_json.h"
#include "sg_jsonw.h"
#include "sigmf.h"

#define MAX_DRONES 8
#define MAX_WAYPOINTS 64

typedef struct {
    double t;        /* s from the scene start */
    double enu[3];   /* m */
} waypoint;

typedef struct {
    char serial[17];
    int product;
    double snr_db;           /* burst power over the noise, dB */
    double period_s;         /* s between recorded bursts */
    double phase_s;          /* s of the first burst */
    double freq_offset_hz;   /* Hz from the capture centre */
    double pilot[3], home[3];
    waypoint wp[MAX_WAYPOINTS];
    size_t n_wp;
    double next;             /* s of the next burst */
    unsigned seq;
} drone;

typedef struct {
    double start;            /* s UTC */
    double fs, fc;           /* Hz */
    sigmf_datatype type;
    double noise_rms;        /* per complex sample, full scale 1 */
    double segment_s, lead_in_s, duration_s;
    unsigned long seed;
    double origin[3];        /* deg, deg, m HAE */
    drone drones[MAX_DRONES];
    size_t n_drones;
} scene;

static int enu3(const cJSON *o, const char *where, double v[3], sg_errinfo *e)
{
    int rc;
    if ((rc = sgj_number(o, where, "east_m", true, 0, -1e5, 1e5, &v[0], e)) ||
        (rc = sgj_number(o, where, "north_m", true, 0, -1e5, 1e5, &v[1], e)) ||
        (rc = sgj_number(o, where, "up_m", false, 0, -1e4, 1e4, &v[2], e)))
        return rc;
    return SG_OK;
}

static int load_drone(const cJSON *o, const char *where, drone *d, sg_errinfo *e)
{
    static const char *const keys[] = {"serial", "product", "snr_db", "period_s", "phase_s",
                                       "freq_offset_hz", "pilot", "home", "track", "comment",
                                       NULL};
    const cJSON *pilot, *home, *track;
    long product;
    char sub[160];
    int rc;
    if ((rc = sgj_check_keys(o, where, keys, e)) ||
        (rc = sgj_string(o, where, "serial", true, NULL, d->serial, sizeof d->serial, e)) ||
        (rc = sgj_int(o, where, "product", false, 58, 0, 255, &product, e)) ||
        (rc = sgj_number(o, where, "snr_db", false, 20, -10, 50, &d->snr_db, e)) ||
        (rc = sgj_number(o, where, "period_s", false, 1.28, 0.1, 60, &d->period_s, e)) ||
        (rc = sgj_number(o, where, "phase_s", false, 0, 0, 60, &d->phase_s, e)) ||
        (rc = sgj_number(o, where, "freq_offset_hz", false, 0, -3e6, 3e6, &d->freq_offset_hz,
                         e)) ||
        (rc = sgj_object(o, where, "pilot", true, &pilot, e)) ||
        (rc = sgj_object(o, where, "home", false, &home, e)) ||
        (rc = sgj_array(o, where, "track", true, &track, e)))
        return rc;
    d->product = (int)product;
    snprintf(sub, sizeof sub, "%s.pilot", where);
    if ((rc = enu3(pilot, sub, d->pilot, e)))
        return rc;
    memcpy(d->home, d->pilot, sizeof d->home);
    snprintf(sub, sizeof sub, "%s.home", where);
    if (home && (rc = enu3(home, sub, d->home, e)))
        return rc;
    const cJSON *it;
    cJSON_ArrayForEach(it, track)
    {
        if (d->n_wp == MAX_WAYPOINTS)
            return sg_err_set(e, SG_ERANGE, "%s.track: more than %d waypoints", where,
                              MAX_WAYPOINTS);
        waypoint *w = &d->wp[d->n_wp];
        snprintf(sub, sizeof sub, "%s.track[%zu]", where, d->n_wp);
        if ((rc = sgj_number(it, sub, "t", true, 0, 0, 86400, &w->t, e)) ||
            (rc = enu3(it, sub, w->enu, e)))
            return rc;
        if (d->n_wp && w->t <= d->wp[d->n_wp - 1].t)
            return sg_err_set(e, SG_EINVAL, "%s.t: waypoints must be in increasing time", sub);
        d->n_wp++;
    }
    if (d->n_wp == 0)
        return sg_err_set(e, SG_EINVAL, "%s.track: at least one waypoint is required", where);
    d->next = d->phase_s;
    return SG_OK;
}

static int load_scene(const char *path, scene *s, sg_errinfo *e)
{
    static const char *const keys[] = {"start", "sample_rate", "center_freq", "datatype",
                                       "noise_rms", "segment_s", "lead_in_s", "duration_s",
                                       "seed", "origin", "drones", "comment", NULL};
    cJSON *root = sgj_parse_file(path, e);
    if (!root)
        return e->code;
    char start[64], dtype[16], where[1100];
    const cJSON *origin, *drones;
    double seed;
    int rc;
    memset(s, 0, sizeof *s);
    if ((rc = sgj_check_keys(root, path, keys, e)) ||
        (rc = sgj_string(root, path, "start", true, NULL, start, sizeof start, e)) ||
        (rc = sgj_number(root, path, "sample_rate", false, 15.36e6, 15.36e6, 200e6, &s->fs, e)) ||
        (rc = sgj_number(root, path, "center_freq", true, 0, 1e6, 1e11, &s->fc, e)) ||
        (rc = sgj_string(root, path, "datatype", false, "ci8", dtype, sizeof dtype, e)) ||
        (rc = sgj_number(root, path, "noise_rms", false, 0.02, 1e-6, 0.5, &s->noise_rms, e)) ||
        (rc = sgj_number(root, path, "segment_s", false, 1.2e-3, 8e-4, 0.1, &s->segment_s, e)) ||
        (rc = sgj_number(root, path, "lead_in_s", false, 5e-3, 1e-3, 1, &s->lead_in_s, e)) ||
        (rc = sgj_number(root, path, "duration_s", true, 0, 0.1, 86400, &s->duration_s, e)) ||
        (rc = sgj_number(root, path, "seed", false, 1, 0, 4294967295.0, &seed, e)) ||
        (rc = sgj_object(root, path, "origin", true, &origin, e)) ||
        (rc = sgj_array(root, path, "drones", true, &drones, e)))
        goto out;
    s->seed = (unsigned long)seed;
    if (sg_time_parse_iso8601(start, &s->start)) {
        rc = sg_err_set(e, SG_EINVAL, "%s.start: \"%s\" is not an ISO 8601 time", path, start);
        goto out;
    }
    if ((rc = sigmf_datatype_parse(dtype, &s->type))) {
        rc = sg_err_set(e, SG_EINVAL, "%s.datatype: unknown SigMF datatype \"%s\"", path, dtype);
        goto out;
    }
    snprintf(where, sizeof where, "%s.origin", path);
    if ((rc = sgj_number(origin, where, "lat_deg", true, 0, -90, 90, &s->origin[0], e)) ||
        (rc = sgj_number(origin, where, "lon_deg", true, 0, -180, 180, &s->origin[1], e)) ||
        (rc = sgj_number(origin, where, "alt_m", true, 0, -1000, 10000, &s->origin[2], e)))
        goto out;
    const cJSON *it;
    cJSON_ArrayForEach(it, drones)
    {
        if (s->n_drones == MAX_DRONES) {
            rc = sg_err_set(e, SG_ERANGE, "%s.drones: more than %d drones", path, MAX_DRONES);
            goto out;
        }
        snprintf(where, sizeof where, "%s.drones[%zu]", path, s->n_drones);
        if ((rc = load_drone(it, where, &s->drones[s->n_drones], e)))
            goto out;
        s->n_drones++;
    }
out:
    cJSON_Delete(root);
    return rc;
}

/* Position and velocity on the piecewise-linear track at scene time t. */
static void track_at(const drone *d, double t, double p[3], double v[3])
{
    const waypoint *w = d->wp;
    if (d->n_wp == 1 || t <= w[0].t) {
        memcpy(p, w[0].enu, sizeof w[0].enu);
        memset(v, 0, 3 * sizeof *v);
        return;
    }
    for (size_t i = 1; i < d->n_wp; i++) {
        if (t <= w[i].t || i == d->n_wp - 1) {
            double dt = w[i].t - w[i - 1].t, a = fmin(1, (t - w[i - 1].t) / dt);
            for (int k = 0; k < 3; k++) {
                v[k] = t <= w[i].t ? (w[i].enu[k] - w[i - 1].enu[k]) / dt : 0;
                p[k] = w[i - 1].enu[k] + a * (w[i].enu[k] - w[i - 1].enu[k]);
            }
            return;
        }
    }
}

/* xorshift64* + Box-Muller: reproducible noise from the scene's seed. */
static unsigned long long rng_state;
static double urand(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return ((rng_state * 2685821657736338717ULL) >> 11) * (1.0 / 9007199254740992.0);
}
static float complex cnoise(double rms)
{
    double u1 = fmax(urand(), 1e-300), u2 = urand();
    double r = rms * sqrt(-log(u1)); /* per-component sd = rms / sqrt(2) */
    return (float)(r * cos(2 * M_PI * u2)) + I * (float)(r * sin(2 * M_PI * u2));
}

static int fill_msg(const scene *s, const geo_frame *f, drone *d, double ts, droneid_msg *m)
{
    double p[3], v[3], lat, lon, h;
    track_at(d, ts, p, v);
    droneid_msg_init(m);
    m->seq = (uint16_t)d->seq++;
    /* serial valid, privacy off, home set, height/velocity/attitude valid, bit 12;
     * motor-on/in-air/GPS bits clear (a real Mavic Air 2 in flight sends 0x1ff7) */
    m->state_info = 0x1f07;
    snprintf(m->serial, sizeof m->serial, "%s", d->serial);
    geo_frame_from_enu(f, p, &lat, &lon, &h);
    m->lat_deg = lat / GEO_DEG;
    m->lon_deg = lon / GEO_DEG;
    m->altitude_m = round(h);
    m->height_m = round(p[2]);
    m->v_east = v[0];
    m->v_north = v[1];
    m->v_up = v[2];
    m->yaw_deg = atan2(v[0], v[1]) / GEO_DEG;
    m->gps_time_ms = (uint64_t)llround((s->start + ts) * 1000.0);
    geo_frame_from_enu(f, d->pilot, &lat, &lon, &h);
    m->pilot_lat_deg = lat / GEO_DEG;
    m->pilot_lon_deg = lon / GEO_DEG;
    geo_frame_from_enu(f, d->home, &lat, &lon, &h);
    m->home_lat_deg = lat / GEO_DEG;
    m->home_lon_deg = lon / GEO_DEG;
    m->product_type = (uint8_t)d->product;
    return droneid_pack(m, m->raw);
}

static void usage(FILE *f)
{
    fprintf(f, "usage: sg_democap SCENE.json OUT_BASE\n"
               "Writes OUT_BASE.sigmf-meta and OUT_BASE.sigmf-data: a burst-triggered recording\n"
               "of the DJI DroneID bursts of the drones in SCENE (see docs/demo-capture.md).\n");
}

int main(int argc, char **argv)
{
    if (argc != 3 || argv[1][0] == '-') {
        usage(argc == 2 && strcmp(argv[1], "--help") == 0 ? stdout : stderr);
        return argc == 2 && strcmp(argv[1], "--help") == 0 ? 0 : 1;
    }
    sg_errinfo e = {0};
    static scene s;
    if (load_scene(argv[1], &s, &e)) {
        fprintf(stderr, "sg_democap: %s\n", e.msg);
        return 1;
    }
    geo_frame frame;
    if (geo_frame_init(&frame, s.origin[0] * GEO_DEG, s.origin[1] * GEO_DEG, s.origin[2], &e)) {
        fprintf(stderr, "sg_democap: %s: origin: %s\n", argv[1], e.msg);
        return 1;
    }
    rng_state = 0x9E3779B97F4A7C15ULL ^ s.seed;
    size_t seg_n = (size_t)ceil(s.segment_s * s.fs), lead_n = (size_t)ceil(s.lead_in_s * s.fs);
    size_t burst_cap = droneid_mod_len(s.fs, 9) + 16;
    size_t cap = seg_n > lead_n ? seg_n : lead_n;
    float complex *x = malloc(cap * sizeof *x), *b = malloc(burst_cap * sizeof *b);
    if (!x || !b) {
        fprintf(stderr, "sg_democap: out of memory\n");
        return 2;
    }
    sigmf_writer *w = sigmf_writer_create(argv[2], s.type, s.fs, s.fc, s.start,
                                          "skyguard demo scene (sg_democap): burst-triggered "
                                          "DJI DroneID recording", &e);
    if (!w) {
        fprintf(stderr, "sg_democap: %s\n", e.msg);
        return 2;
    }
    /* Noise-only lead-in: lets the receiver learn its noise floor. */
    for (size_t i = 0; i < lead_n; i++)
        x[i] = cnoise(s.noise_rms);
    if (sigmf_writer_write(w, x, lead_n, &e))
        goto fail;
    size_t n_bursts = 0;
    double pre = 0.2 * s.segment_s;
    for (;;) {
        /* the next burst of any drone */
        drone *d = NULL;
        for (size_t k = 0; k < s.n_drones; k++)
            if (!d || s.drones[k].next < d->next)
                d = &s.drones[k];
        if (!d || d->next > s.duration_s)
            break;
        double ts = d->next;
        d->next += d->period_s;
        droneid_msg m;
        size_t nb;
        droneid_mod_cfg mc = {.nsym = 9,
                              .amplitude = s.noise_rms * pow(10.0, d->snr_db / 20.0)};
        if (fill_msg(&s, &frame, d, ts, &m) ||
            droneid_modulate_cfg(&m, &mc, s.fs, d->freq_offset_hz, b, burst_cap, &nb)) {
            sg_err_set(&e, SG_EINVAL, "drone %s: cannot encode the burst at t=%.2f s", d->serial,
                       ts);
            goto fail;
        }
        double seg_t0 = s.start + ts - pre;
        if (sigmf_writer_capture(w, s.fc, seg_t0, &e))
            goto fail;
        size_t off = (size_t)llround(pre * s.fs);
        for (size_t i = 0; i < seg_n; i++)
            x[i] = cnoise(s.noise_rms);
        for (size_t i = 0; i < nb && off + i < seg_n; i++)
            x[off + i] += b[i];
        uint64_t at = sigmf_writer_samples(w);
        if (sigmf_writer_write(w, x, seg_n, &e))
            goto fail;
        sigmf_annotation a = {.sample_start = at + off, .sample_count = nb,
                              .freq_lo = s.fc + d->freq_offset_hz - 4.5e6,
                              .freq_hi = s.fc + d->freq_offset_hz + 4.5e6};
        snprintf(a.label, sizeof a.label, "dji_droneid");
        snprintf(a.comment, sizeof a.comment,
                 "serial=%s lat=%.7f lon=%.7f alt_m=%.0f height_m=%.0f v_enu=%.1f,%.1f,%.1f",
                 m.serial, m.lat_deg, m.lon_deg, m.altitude_m, m.height_m, m.v_east, m.v_north,
                 m.v_up);
        if (sigmf_writer_annotate(w, &a, &e))
            goto fail;
        n_bursts++;
    }
    uint64_t clipped = sigmf_writer_clipped(w);
    uint64_t total = sigmf_writer_samples(w);
    if (sigmf_writer_close(w, &e)) {
        fprintf(stderr, "sg_democap: %s\n", e.msg);
        return 2;
    }
    printf("sg_democap: %zu bursts from %zu drones, %llu samples (%s), %llu clipped components\n",
           n_bursts, s.n_drones, (unsigned long long)total, sigmf_datatype_name(s.type),
           (unsigned long long)clipped);
    free(x);
    free(b);
    return 0;
fail:
    fprintf(stderr, "sg_democap: %s\n", e.msg);
    sigmf_writer_abort(w);
    free(x);
    free(b);
    return 2;
}
