/* sg_dfcal: calibrates the antenna array of a direction-finding sensor. Reads a
 * multi-channel capture of a source at a known position (or bearing), finds its bursts
 * with the sensor's front end, estimates each channel's phase and gain error per burst
 * (doa_calibrate), combines the bursts and writes the result into the sensor's
 * "array.calibration" in the venue file, atomically. With --check it compares with the
 * stored calibration instead (drift check) and writes nothing. docs/df.md. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dffe.h"
#include "geo.h"
#include "sg_adapter.h"
#include "sg_json.h"
#include "site.h"
#include "sg_lsan.h"

SG_LSAN_SUPPRESS(SG_LSAN_LIQUID)

static void usage(FILE *f)
{
    fprintf(f,
"usage: sg_dfcal -v VENUE -s SENSOR -c CAPTURE (--source LAT,LON,ALT | --bearing AZ[,EL])\n"
"                [--min-snr-db DB] [--check TOL_DEG] [--dry-run] [-q]\n"
"Estimates the per-channel phase and gain errors of SENSOR's antenna array from\n"
"CAPTURE (a multi-channel SigMF recording, one channel per element) of a source at a\n"
"known place, and writes them into the sensor's \"array\": {\"calibration\": ...} in\n"
"VENUE (temporary file + rename).\n"
"\n"
"  -v, --venue FILE       venue file with the sensor and its \"array\"\n"
"  -s, --sensor ID        the rf sensor to calibrate\n"
"  -c, --capture REC      recording (base name, .sigmf-meta or .sigmf-data)\n"
"      --source LAT,LON,ALT  the reference source: deg, deg, m HAE\n"
"      --bearing AZ[,EL]  or its bearing from the sensor: deg clockwise from true\n"
"                         north, deg up (default 0)\n"
"      --min-snr-db DB    bursts below this in-band SNR are not used (default 10)\n"
"      --check TOL_DEG    compare with the stored calibration; exit 3 if a channel\n"
"                         moved more than TOL_DEG; writes nothing\n"
"      --dry-run          print the calibration, do not write the venue file\n"
"  -q, --quiet            print only errors\n"
"\n"
"exit: 0 done, 1 I/O error, 2 bad arguments/config/capture, 3 drift (--check)\n");
}

typedef struct {
    doa *d;                 /* uncalibrated estimator over the array geometry */
    double az, el;          /* rad, body frame */
    double min_snr_db;
    double complex acc[DOA_MAX_ELEMENTS];  /* sum of w * g_m (g = channel error) */
    double complex unit[DOA_MAX_ELEMENTS]; /* sum of w * g_m / |g_m| (spread over bursts) */
    double mag[DOA_MAX_ELEMENTS], w;
    unsigned used, skipped, failed;
    int last_rc;
    char last_msg[512];
} cal_ctx;

static void on_region(void *user, const sg_burst *b, const doa_input *in)
{
    cal_ctx *c = user;
    if (b->mean_snr_db < c->min_snr_db) {
        c->skipped++;
        return;
    }
    doa_cal_report rep;
    sg_errinfo e;
    int rc = doa_calibrate(c->d, in, c->az, c->el, &rep, &e);
    if (rc) {
        c->failed++;
        c->last_rc = rc;
        snprintf(c->last_msg, sizeof c->last_msg, "%s", e.msg);
        return;
    }
    double w = rep.snr * rep.windows * rep.bins;
    for (unsigned i = 0; i < in->channels; i++) {
        double complex g = 1.0 / (double complex)rep.cal[i];
        c->acc[i] += w * g;
        c->unit[i] += w * g / cabs(g);
        c->mag[i] += w * cabs(g);
    }
    c->w += w;
    c->used++;
}

static void on_df(void *user, const sg_burst *b, const float complex *iq, size_t n_iq,
                  const doa_result *r, int rc)
{
    (void)iq;
    (void)n_iq;
    (void)user;
    (void)b;
    (void)r;
    (void)rc;
}

static int sink(void *user, const sg_iq_block *blk)
{
    void **p = user;
    sg_errinfo e;
    int rc = dffe_execute(p[0], blk, on_df, NULL, &e);
    if (rc)
        snprintf(p[1], 512, "%s", e.msg);
    return rc;
}

static int parse_list(const char *s, double *v, int min, int max)
{
    int n = 0;
    char *end;
    while (n < max) {
        v[n] = strtod(s, &end);
        if (end == s || !isfinite(v[n]))
            return -1;
        n++;
        if (*end == 0)
            break;
        if (*end != ',')
            return -1;
        s = end + 1;
    }
    return n >= min && *end == 0 ? n : -1;
}

/* Writes phase/gain into sensors[idx].array.calibration of the venue file. */
static int write_venue(const char *venue, int idx, const double *ph, const double *gd,
                       unsigned n, sg_errinfo *e)
{
    cJSON *root = sgj_parse_file(venue, e);
    if (!root)
        return e->code;
    cJSON *sens = cJSON_GetObjectItemCaseSensitive(root, "sensors");
    cJSON *s = cJSON_GetArrayItem(sens, idx);
    cJSON *arr = cJSON_GetObjectItemCaseSensitive(s, "array");
    cJSON *cal = doa_calibration_to_json(ph, gd, n);
    int rc;
    if (!arr || !cal) {
        rc = sg_err_set(e, arr ? SG_ENOMEM : SG_EFORMAT, "%s: sensors[%d].array %s", venue, idx,
                        arr ? "out of memory" : "changed while calibrating");
        cJSON_Delete(cal);
    } else {
        cJSON_DeleteItemFromObjectCaseSensitive(arr, "calibration");
        cJSON_AddItemToObject(arr, "calibration", cal);
        rc = sgj_write_file(venue, root, e);
    }
    cJSON_Delete(root);
    return rc;
}

int main(int argc, char **argv)
{
    static const struct option lo[] = {
        {"venue", required_argument, 0, 'v'},   {"sensor", required_argument, 0, 's'},
        {"capture", required_argument, 0, 'c'}, {"source", required_argument, 0, 'S'},
        {"bearing", required_argument, 0, 'B'}, {"min-snr-db", required_argument, 0, 'm'},
        {"check", required_argument, 0, 'C'},   {"dry-run", no_argument, 0, 'n'},
        {"quiet", no_argument, 0, 'q'},         {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    const char *venue = NULL, *sensor = NULL, *capture = NULL;
    double src[3], brg[2] = {0, 0}, min_snr = 10, tol = 0;
    int nsrc = 0, nbrg = 0, c;
    bool dry = false, quiet = false, check = false;
    while ((c = getopt_long(argc, argv, "v:s:c:qh", lo, NULL)) != -1) {
        switch (c) {
        case 'v': venue = optarg; break;
        case 's': sensor = optarg; break;
        case 'c': capture = optarg; break;
        case 'S':
            if ((nsrc = parse_list(optarg, src, 3, 3)) < 0 || fabs(src[0]) > 90 ||
                fabs(src[1]) > 180) {
                fprintf(stderr, "sg_dfcal: --source: need LAT,LON,ALT (deg, deg, m HAE)\n");
                return 2;
            }
            break;
        case 'B':
            if ((nbrg = parse_list(optarg, brg, 1, 2)) < 0 || fabs(brg[1]) > 90) {
                fprintf(stderr, "sg_dfcal: --bearing: need AZ[,EL] in deg (|EL| <= 90)\n");
                return 2;
            }
            break;
        case 'm': min_snr = atof(optarg); break;
        case 'C':
            tol = atof(optarg);
            check = true;
            if (!(tol > 0 && tol <= 180)) {
                fprintf(stderr, "sg_dfcal: --check: tolerance must be in (0, 180] deg\n");
                return 2;
            }
            break;
        case 'n': dry = true; break;
        case 'q': quiet = true; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (!venue || !sensor || !capture || optind != argc || (nsrc > 0) == (nbrg > 0)) {
        if (venue && sensor && capture && optind == argc)
            fprintf(stderr, "sg_dfcal: give exactly one of --source and --bearing\n");
        usage(stderr);
        return 2;
    }
    sg_errinfo e = {0};
    sg_site *site = site_load(venue, &e);
    if (!site) {
        fprintf(stderr, "sg_dfcal: %s\n", e.msg);
        return 2;
    }
    int idx = site_sensor_index(site, sensor), rc = 2;
    const sg_sensor_cfg *sc = idx >= 0 ? &site->sensors[idx] : NULL;
    dffe_cfg cfg;
    dffe_cfg_default(&cfg);
    char where[160];
    cal_ctx cc = {.min_snr_db = min_snr};
    dffe *df = NULL;
    doa_array stored;
    if (!sc || sc->kind != SG_SENSOR_RF || !sc->array) {
        fprintf(stderr, "sg_dfcal: %s: %s\n", venue,
                !sc ? "no sensor with this id" : "the sensor is not an rf sensor with an \"array\"");
        goto out;
    }
    snprintf(where, sizeof where, "%s.array", sc->where);
    if (doa_array_from_json(&cfg.array, sc->array, where, &e)) {
        fprintf(stderr, "sg_dfcal: %s\n", e.msg);
        goto out;
    }
    stored = cfg.array;
    snprintf(where, sizeof where, "%s.frontend", sc->where);
    if (frontend_cfg_from_json(&cfg.fe, sc->frontend, where, &e)) {
        fprintf(stderr, "sg_dfcal: %s\n", e.msg);
        goto out;
    }
    cfg.fe.deliver_iq = false; /* only the multi-channel regions are used */
    double az, el;
    if (nsrc) {
        geo_frame f;
        double d[3], r;
        if (geo_frame_init(&f, sc->lat_deg * M_PI / 180, sc->lon_deg * M_PI / 180, sc->alt_m, &e)) {
            fprintf(stderr, "sg_dfcal: %s\n", e.msg);
            goto out;
        }
        geo_frame_to_enu(&f, src[0] * M_PI / 180, src[1] * M_PI / 180, src[2], d);
        geo_enu_to_aer(d, &az, &el, &r);
        if (r < 1) {
            fprintf(stderr, "sg_dfcal: --source is within 1 m of the sensor\n");
            goto out;
        }
    } else {
        az = brg[0] * M_PI / 180;
        el = brg[1] * M_PI / 180;
    }
    cc.az = remainder(az - sc->yaw_deg * M_PI / 180, 2 * M_PI);
    cc.el = el;
    for (unsigned i = 0; i < DOA_MAX_ELEMENTS; i++)
        cfg.array.cal[i] = 1.0f; /* estimate the raw channel errors */
    cfg.array.calibrated = false;
    df = dffe_create(&cfg, &e);
    cc.d = df ? doa_create(&cfg.array, &cfg.doa, &e) : NULL;
    if (!df || !cc.d) {
        fprintf(stderr, "sg_dfcal: %s\n", e.msg);
        goto out;
    }
    dffe_set_region_hook(df, on_region, &cc);
    const sg_iq_adapter *ad = sg_iq_adapter_find("sigmf");
    cJSON *o = cJSON_CreateObject();
    if (!o || !cJSON_AddStringToObject(o, "path", capture) ||
        !cJSON_AddStringToObject(o, "channel", "all")) {
        cJSON_Delete(o);
        fprintf(stderr, "sg_dfcal: out of memory\n");
        rc = 1;
        goto out;
    }
    void *st = NULL;
    int arc = ad->open(&st, o, capture, &e);
    cJSON_Delete(o);
    if (arc) {
        fprintf(stderr, "sg_dfcal: %s\n", e.msg);
        goto out;
    }
    char msg[512] = "";
    void *pass[2] = {df, msg};
    arc = ad->run(st, sink, pass, &e);
    ad->close(st);
    if (arc) {
        fprintf(stderr, "sg_dfcal: %s: %s\n", capture, msg[0] ? msg : e.msg);
        goto out;
    }
    dffe_flush(df, on_df, NULL, &e);
    if (!cc.used) {
        fprintf(stderr, "sg_dfcal: %s: no burst of the reference source at >= %.1f dB (%u weaker, "
                        "%u failed%s%s)\n",
                capture, min_snr, cc.skipped, cc.failed, cc.failed ? ": " : "", cc.last_msg);
        goto out;
    }
    unsigned n = cfg.array.n;
    double ph[DOA_MAX_ELEMENTS], gd[DOA_MAX_ELEMENTS], worst_sd = 0, worst_dev = 0;
    for (unsigned i = 0; i < n; i++) {
        double complex g = cc.acc[i] / cc.w;
        ph[i] = carg(g) * 180 / M_PI;
        gd[i] = 20 * log10(cc.mag[i] / cc.w);
        double R = cabs(cc.unit[i]) / cc.w;
        double sd = R < 1 ? sqrt(-2 * log(fmax(R, 1e-12))) * 180 / M_PI : 0;
        worst_sd = fmax(worst_sd, sd);
        /* stored correction cal = 1/g: the stored phase error is -arg(cal) */
        double dev = fabs(remainder(ph[i] + cargf(stored.cal[i]) * 180 / M_PI, 360));
        worst_dev = fmax(worst_dev, dev);
    }
    if (!quiet) {
        printf("sensor %s: %u bursts used (%u below %.1f dB, %u failed); source at az %.2f deg "
               "(body %.2f), el %.2f deg\n",
               sensor, cc.used, cc.skipped, min_snr, cc.failed, az * 180 / M_PI,
               cc.az * 180 / M_PI, el * 180 / M_PI);
        for (unsigned i = 0; i < n; i++)
            printf("  channel %u: phase %8.2f deg  gain %6.2f dB\n", i, ph[i], gd[i]);
        printf("  spread over bursts: %.2f deg (worst channel)\n", worst_sd);
    }
    if (check) {
        if (!stored.calibrated) {
            fprintf(stderr, "sg_dfcal: %s: the array has no stored calibration to check\n", venue);
            goto out;
        }
        printf("drift: %.2f deg (worst channel, tolerance %.2f)\n", worst_dev, tol);
        rc = worst_dev > tol ? 3 : 0;
        goto out;
    }
    if (dry) {
        rc = 0;
        goto out;
    }
    if (write_venue(venue, idx, ph, gd, n, &e)) {
        fprintf(stderr, "sg_dfcal: %s\n", e.msg);
        rc = e.code == SG_EIO ? 1 : 2;
        goto out;
    }
    if (!quiet)
        printf("wrote %s: sensors[%d].array.calibration\n", venue, idx);
    rc = 0;
out:
    doa_destroy(cc.d);
    dffe_destroy(df);
    site_free(site);
    return rc;
}
