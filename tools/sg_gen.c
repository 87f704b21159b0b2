/* sg_gen: writes synthetic SigMF captures with ground-truth annotations (drone
 * links and interferers in noise, see dsp/siggen.h) for tests, demos and the
 * bundled default capture. Deterministic for a given seed. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sg_json.h"
#include "siggen.h"
#include "siggen_array.h"
#include "sigmf.h"
#include "sg_lsan.h"

#define MAX_SIGNALS 32

SG_LSAN_SUPPRESS(SG_LSAN_LIQUID)

static void usage(FILE *f)
{
    fprintf(f,
"usage: sg_gen -o BASE [options] [-s SIGNAL]...\n"
"       sg_gen -o BASE --scenario FILE.json\n"
"Writes BASE.sigmf-data and BASE.sigmf-meta: white Gaussian noise plus the given\n"
"signals, with one annotation per burst (core:label = kind, core:comment = SNR).\n"
"\n"
"options:\n"
"  -o, --output BASE       output name without extension (required)\n"
"  -r, --rate HZ           sample rate (default 15.36e6)\n"
"  -f, --freq HZ           centre frequency (default 2.4415e9)\n"
"  -d, --duration S        capture length in seconds (default 3)\n"
"  -t, --type T            cf32_le cf32_be ci16_le ci16_be ci8 cu8 (default ci8)\n"
"  -n, --noise-dbfs DB     total noise power, dB full scale (default -40)\n"
"      --seed N            random seed (default 1)\n"
"      --datetime ISO      time of the first sample, e.g. 2026-11-22T12:00:00Z\n"
"                          (default 2026-01-01T00:00:00Z)\n"
"  -s, --signal SPEC       KIND[:key=value,...]; keys: snr (dB in-band, default 20),\n"
"                          offset (Hz from centre; hop sets: plan shift), start (s),\n"
"                          period (s), duration (s), bw (Hz: lora, fm_video)\n"
"      --scenario FILE     JSON: {\"sample_rate\", \"center_freq\", \"duration\",\n"
"                          \"datatype\", \"noise_dbfs\", \"seed\", \"datetime\",\n"
"                          \"signals\": [{\"kind\", \"snr_db\", \"freq_offset\", \"t_start\",\n"
"                          \"period\", \"duration\", \"bandwidth\"}]}; command-line\n"
"                          options given after --scenario override it\n"
"      --array-scenario FILE  multi-channel captures for direction finding: one\n"
"                          recording BASE-<site>.sigmf-* per DF site (channels\n"
"                          interleaved, core:num_channels) of moving emitters; JSON:\n"
"                          {\"sample_rate\", \"center_freq\", \"duration\", \"datatype\",\n"
"                          \"datetime\", \"sites\": [{\"name\", \"position_enu_m\": [e, n, u],\n"
"                          \"yaw_deg\", \"noise_dbfs\", \"ground_gamma\", \"seed\", \"array\":\n"
"                          {as in the venue file}, \"phase_error_deg\": [..],\n"
"                          \"gain_error_db\": [..]}], \"emitters\": [{\"signal\": {as in\n"
"                          \"signals\"}, \"position_enu_m\", \"velocity_enu_mps\",\n"
"                          \"ref_range_m\" (where signal.snr_db holds), \"seed\",\n"
"                          \"interferer\"}]}; annotations carry each burst's truth\n"
"                          bearing, range and position (docs/df.md)\n"
"  -q, --quiet             no progress on stderr\n"
"  -h, --help              this text\n"
"\n"
"kinds: droneid (DJI DroneID-like OFDM, 9 MHz, ~643 us every 600 ms), frsky (FrSky\n"
"D16-like GFSK FHSS, 47 ch, 9 ms hops), elrs (ExpressLRS-like LoRa 812.5 kHz, 80 ch,\n"
"250 Hz), lora (LoRa-like chirps, 500 kHz), fm_video (analog FPV FM carrier, 6 MHz),\n"
"wifi (802.11-like 20 MHz OFDM bursts, random, mean period 10 ms), ble (BLE-like\n"
"advertising on 37/38/39 every ~100 ms). SNR is per signal, in its own bandwidth.\n"
"Hop sets are absolute RF (2.4 GHz band); hops outside the captured band are skipped.\n"
"\n"
"example (2.4 GHz scene, 3 s, 15.36 Msps ci8 = 92 MB):\n"
"  sg_gen -o scene -r 15.36e6 -f 2.4415e9 -d 3 -t ci8 \\\n"
"    -s droneid:snr=25,offset=3e6,start=0.1 -s frsky:snr=20 -s wifi:snr=15,period=0.05\n"
"(a signal wider than the capture, like Wi-Fi at 15.36 Msps, is cut to 0.9 x rate and\n"
"must sit near the centre)\n");
}

typedef struct {
    double rate, freq, duration, noise_dbfs;
    long seed;
    sigmf_datatype type;
    char datetime[40];
    siggen_signal sig[MAX_SIGNALS];
    int n_sig;
} options;

static int parse_signal(const char *spec, siggen_signal *s)
{
    char buf[512], *save = NULL;
    snprintf(buf, sizeof buf, "%s", spec);
    char *kind = buf, *kv = strchr(buf, ':');
    if (kv)
        *kv++ = 0;
    memset(s, 0, sizeof *s);
    s->snr_db = 20;
    if (siggen_kind_parse(kind, &s->kind)) {
        fprintf(stderr, "sg_gen: --signal %s: unknown kind \"%s\"\n", spec, kind);
        return -1;
    }
    for (char *t = kv ? strtok_r(kv, ",", &save) : NULL; t; t = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(t, '=');
        char *end = NULL;
        if (!eq) {
            fprintf(stderr, "sg_gen: --signal %s: \"%s\" is not key=value\n", spec, t);
            return -1;
        }
        *eq = 0;
        double v = strtod(eq + 1, &end);
        if (end == eq + 1 || *end || !isfinite(v)) {
            fprintf(stderr, "sg_gen: --signal %s: %s: not a number\n", spec, t);
            return -1;
        }
        if (!strcmp(t, "snr")) s->snr_db = v;
        else if (!strcmp(t, "offset")) s->freq_offset = v;
        else if (!strcmp(t, "start")) s->t_start = v;
        else if (!strcmp(t, "period")) s->period = v;
        else if (!strcmp(t, "duration")) s->duration = v;
        else if (!strcmp(t, "bw")) s->bandwidth = v;
        else {
            fprintf(stderr, "sg_gen: --signal %s: unknown key \"%s\" (snr, offset, start, "
                            "period, duration, bw)\n", spec, t);
            return -1;
        }
    }
    return 0;
}

static int load_scenario(const char *path, options *o)
{
    sg_errinfo e = {0};
    static const char *const keys[] = {"sample_rate", "center_freq", "duration", "datatype",
                                       "noise_dbfs", "seed", "datetime", "signals", NULL};
    static const char *const types[] = {"cf32_le", "cf32_be", "ci16_le", "ci16_be", "ci8", "cu8"};
    cJSON *root = sgj_parse_file(path, &e);
    const cJSON *sigs = NULL;
    int t = (int)o->type, rc = root ? 0 : e.code;
    if (!rc)
        rc = sgj_check_keys(root, path, keys, &e);
    if (!rc) rc = sgj_number(root, path, "sample_rate", false, o->rate, 1e5, 1e9, &o->rate, &e);
    if (!rc) rc = sgj_number(root, path, "center_freq", false, o->freq, 0, 1e11, &o->freq, &e);
    if (!rc) rc = sgj_number(root, path, "duration", false, o->duration, 1e-3, 3600, &o->duration, &e);
    if (!rc) rc = sgj_enum(root, path, "datatype", false, t, types, 6, &t, &e);
    if (!rc) rc = sgj_number(root, path, "noise_dbfs", false, o->noise_dbfs, -150, 0, &o->noise_dbfs, &e);
    if (!rc) rc = sgj_int(root, path, "seed", false, o->seed, 0, 4294967295L, &o->seed, &e);
    if (!rc) rc = sgj_string(root, path, "datetime", false, o->datetime, o->datetime, sizeof o->datetime, &e);
    if (!rc) rc = sgj_array(root, path, "signals", false, &sigs, &e);
    o->type = (sigmf_datatype)t;
    for (int i = 0; !rc && sigs && i < cJSON_GetArraySize(sigs); i++) {
        char where[600];
        const cJSON *s = cJSON_GetArrayItem(sigs, i);
        snprintf(where, sizeof where, "%s: signals[%d]", path, i);
        if (o->n_sig == MAX_SIGNALS) {
            rc = sg_err_set(&e, SG_ERANGE, "%s: more than %d signals", where, MAX_SIGNALS);
            break;
        }
        if ((rc = siggen_signal_from_json(&o->sig[o->n_sig], s, where, &e)))
            break;
        o->n_sig++;
    }
    cJSON_Delete(root);
    if (rc)
        fprintf(stderr, "sg_gen: %s\n", e.msg);
    return rc;
}

/* ---- --array-scenario: multi-channel DF captures --------------------------------- */

#define MAX_SITES 8

typedef struct {
    char name[32];
    sga_site site;
} site_def;

typedef struct {
    double rate, freq, duration;
    int type;
    char datetime[40];
    site_def sites[MAX_SITES];
    int n_sites;
    sga_emitter em[SGA_MAX_EMITTERS];
    int n_em;
} array_scn;

static int vec3(const cJSON *o, const char *where, const char *key, bool req, double *v,
                sg_errinfo *e)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!a)
        return req ? sg_err_set(e, SG_EINVAL, "%s.%s: missing", where, key) : SG_OK;
    if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) != 3)
        return sg_err_set(e, SG_EINVAL, "%s.%s: must be [e, n, u]", where, key);
    for (int i = 0; i < 3; i++) {
        const cJSON *x = cJSON_GetArrayItem(a, i);
        if (!cJSON_IsNumber(x) || !isfinite(x->valuedouble) || fabs(x->valuedouble) > 1e6)
            return sg_err_set(e, SG_EINVAL, "%s.%s[%d]: must be a number within 1e6", where,
                              key, i);
        v[i] = x->valuedouble;
    }
    return SG_OK;
}

/* A list of n per-channel numbers (errors of the channels) into out; absent = 0. */
static int chan_list(const cJSON *o, const char *where, const char *key, unsigned n,
                     double lim, double *out, sg_errinfo *e)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, key);
    for (unsigned i = 0; i < n; i++)
        out[i] = 0;
    if (!a)
        return SG_OK;
    if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) != (int)n)
        return sg_err_set(e, SG_EINVAL, "%s.%s: must list %u numbers (one per element)", where,
                          key, n);
    for (unsigned i = 0; i < n; i++) {
        const cJSON *x = cJSON_GetArrayItem(a, (int)i);
        if (!cJSON_IsNumber(x) || !(fabs(x->valuedouble) <= lim))
            return sg_err_set(e, SG_EINVAL, "%s.%s[%u]: must be a number in [-%g, %g]", where,
                              key, i, lim, lim);
        out[i] = x->valuedouble;
    }
    return SG_OK;
}

static int parse_site(const cJSON *s, const char *where, site_def *d, sg_errinfo *e)
{
    static const char *const keys[] = {"name", "position_enu_m", "yaw_deg", "noise_dbfs",
                                       "ground_gamma", "seed", "array", "phase_error_deg",
                                       "gain_error_db", NULL};
    const cJSON *arr;
    double nd, ph[DOA_MAX_ELEMENTS], gd[DOA_MAX_ELEMENTS];
    long seed;
    char aw[700];
    int rc;
    sga_site_default(&d->site);
    if ((rc = sgj_check_keys(s, where, keys, e)) ||
        (rc = sgj_string(s, where, "name", true, "", d->name, sizeof d->name, e)) ||
        (rc = vec3(s, where, "position_enu_m", true, d->site.pos, e)) ||
        (rc = sgj_number(s, where, "yaw_deg", false, 0, -360, 360, &d->site.yaw_deg, e)) ||
        (rc = sgj_number(s, where, "noise_dbfs", false, -40, -150, 0, &nd, e)) ||
        (rc = sgj_number(s, where, "ground_gamma", false, 0, -1, 1, &d->site.ground_gamma, e)) ||
        (rc = sgj_int(s, where, "seed", false, 1, 0, 4294967295L, &seed, e)) ||
        (rc = sgj_object(s, where, "array", true, &arr, e)))
        return rc;
    for (const char *c = d->name; *c; c++)
        if (!(isalnum((unsigned char)*c) || *c == '_' || *c == '-'))
            return sg_err_set(e, SG_EINVAL, "%s.name: letters, digits, '_' and '-' only", where);
    snprintf(aw, sizeof aw, "%s.array", where);
    if ((rc = doa_array_from_json(&d->site.array, arr, aw, e)))
        return rc;
    unsigned n = d->site.array.n;
    if ((rc = chan_list(s, where, "phase_error_deg", n, 360, ph, e)) ||
        (rc = chan_list(s, where, "gain_error_db", n, 20, gd, e)))
        return rc;
    for (unsigned i = 0; i < n; i++)
        d->site.gain[i] = (float complex)(pow(10, gd[i] / 20) * cexp(I * ph[i] * M_PI / 180));
    d->site.noise_power = pow(10, nd / 10);
    d->site.seed = (uint32_t)seed;
    return SG_OK;
}

static int parse_emitter(const cJSON *s, const char *where, sga_emitter *em, sg_errinfo *e)
{
    static const char *const keys[] = {"signal", "position_enu_m", "velocity_enu_mps",
                                       "ref_range_m", "seed", "interferer", NULL};
    const cJSON *sig;
    long seed;
    char sw[700];
    int rc;
    memset(em, 0, sizeof *em);
    if ((rc = sgj_check_keys(s, where, keys, e)) ||
        (rc = sgj_object(s, where, "signal", true, &sig, e)))
        return rc;
    snprintf(sw, sizeof sw, "%s.signal", where);
    if ((rc = siggen_signal_from_json(&em->sig, sig, sw, e)) ||
        (rc = vec3(s, where, "position_enu_m", true, em->pos, e)) ||
        (rc = vec3(s, where, "velocity_enu_mps", false, em->vel, e)) ||
        (rc = sgj_number(s, where, "ref_range_m", false, 100, 1, 1e6, &em->ref_range, e)) ||
        (rc = sgj_int(s, where, "seed", false, 1, 0, 4294967295L, &seed, e)) ||
        (rc = sgj_bool(s, where, "interferer", false, false, &em->interferer, e)))
        return rc;
    em->seed = (uint32_t)seed;
    return SG_OK;
}

static int load_array_scenario(const char *path, array_scn *a, sg_errinfo *e)
{
    static const char *const keys[] = {"sample_rate", "center_freq", "duration", "datatype",
                                       "datetime", "sites", "emitters", NULL};
    static const char *const types[] = {"cf32_le", "cf32_be", "ci16_le", "ci16_be", "ci8", "cu8"};
    const cJSON *sites, *ems;
    cJSON *root = sgj_parse_file(path, e);
    if (!root)
        return e->code;
    int rc;
    if ((rc = sgj_check_keys(root, path, keys, e)) ||
        (rc = sgj_number(root, path, "sample_rate", false, 15.36e6, 1e5, 1e9, &a->rate, e)) ||
        (rc = sgj_number(root, path, "center_freq", false, 2.44e9, 1e6, 1e11, &a->freq, e)) ||
        (rc = sgj_number(root, path, "duration", false, 1, 1e-3, 3600, &a->duration, e)) ||
        (rc = sgj_enum(root, path, "datatype", false, SIGMF_CI16_LE, types, 6, &a->type, e)) ||
        (rc = sgj_string(root, path, "datetime", false, "2026-01-01T00:00:00Z", a->datetime,
                         sizeof a->datetime, e)) ||
        (rc = sgj_array(root, path, "sites", true, &sites, e)) ||
        (rc = sgj_array(root, path, "emitters", true, &ems, e))) {
        cJSON_Delete(root);
        return rc;
    }
    char where[600];
    a->n_sites = cJSON_GetArraySize(sites);
    a->n_em = cJSON_GetArraySize(ems);
    if (a->n_sites < 1 || a->n_sites > MAX_SITES || a->n_em < 1 || a->n_em > SGA_MAX_EMITTERS) {
        cJSON_Delete(root);
        return sg_err_set(e, SG_EINVAL, "%s: needs 1..%d sites and 1..%d emitters", path,
                          MAX_SITES, SGA_MAX_EMITTERS);
    }
    for (int i = 0; !rc && i < a->n_sites; i++) {
        snprintf(where, sizeof where, "%s: sites[%d]", path, i);
        rc = parse_site(cJSON_GetArrayItem(sites, i), where, &a->sites[i], e);
        for (int k = 0; !rc && k < i; k++)
            if (!strcmp(a->sites[k].name, a->sites[i].name))
                rc = sg_err_set(e, SG_EINVAL, "%s.name: \"%s\" repeats sites[%d]", where,
                                a->sites[i].name, k);
    }
    for (int i = 0; !rc && i < a->n_em; i++) {
        snprintf(where, sizeof where, "%s: emitters[%d]", path, i);
        rc = parse_emitter(cJSON_GetArrayItem(ems, i), where, &a->em[i], e);
    }
    cJSON_Delete(root);
    return rc;
}

/* One site's recording. */
static int write_site(const array_scn *a, const site_def *d, const char *out, double t0,
                      bool quiet, sg_errinfo *e)
{
    char base[1024];
    snprintf(base, sizeof base, "%s-%s", out, d->name);
    sga *q = sga_create(&d->site, a->rate, a->duration, a->freq, e);
    if (!q)
        return e->code;
    int rc = SG_OK;
    for (int i = 0; !rc && i < a->n_em; i++)
        if ((rc = sga_add(q, &a->em[i], e)))
            sg_err_prefix(e, "emitter");
    char desc[256];
    snprintf(desc, sizeof desc, "skyguard sg_gen DF site %s: %u coherent channels, yaw %.1f deg",
             d->name, d->site.array.n, d->site.yaw_deg);
    sigmf_writer *w = rc ? NULL : sigmf_writer_create(base, (sigmf_datatype)a->type, a->rate,
                                                      a->freq, t0, desc, e);
    if (!rc && !w)
        rc = e->code;
    if (!rc)
        rc = sigmf_writer_set_channels(w, d->site.array.n, e);
    size_t nt = 0;
    const sga_truth *tr = rc ? NULL : sga_truth_list(q, &nt);
    for (size_t i = 0; !rc && i < nt; i++) {
        const sga_truth *t = &tr[i];
        sigmf_annotation an = {.sample_start = t->burst.sample_start,
                               .sample_count = t->burst.sample_count,
                               .freq_lo = t->burst.fc - t->burst.bandwidth / 2,
                               .freq_hi = t->burst.fc + t->burst.bandwidth / 2};
        snprintf(an.label, sizeof an.label, "%s", siggen_kind_name(t->burst.kind));
        snprintf(an.comment, sizeof an.comment,
                 "ground truth emitter=%u snr_db=%.1f az_deg=%.2f el_deg=%.2f az_body_deg=%.2f "
                 "range_m=%.1f enu_m=%.1f,%.1f,%.1f%s",
                 t->emitter, t->snr_db, t->az * 180 / M_PI, t->el * 180 / M_PI,
                 t->az_body * 180 / M_PI, t->range, t->pos[0], t->pos[1], t->pos[2],
                 t->interferer ? " interferer" : "");
        rc = sigmf_writer_annotate(w, &an, e);
    }
    enum { CHUNK = 1 << 16 };
    unsigned m = d->site.array.n;
    float complex *buf = rc ? NULL : malloc((size_t)CHUNK * m * sizeof *buf);
    if (!rc && !buf)
        rc = sg_err_set(e, SG_ENOMEM, "out of memory");
    uint64_t total = sga_length(q), done = 0;
    while (!rc && done < total) {
        size_t n = total - done < CHUNK ? (size_t)(total - done) : CHUNK;
        rc = sga_generate(q, buf, n, e);
        if (!rc)
            rc = sigmf_writer_write(w, buf, n, e);
        done += n;
        if (!quiet)
            fprintf(stderr, "\rsg_gen: %s %5.1f%%", d->name, 100.0 * (double)done / (double)total);
    }
    if (!quiet)
        fprintf(stderr, "\n");
    free(buf);
    uint64_t clipped = rc || !w ? 0 : sigmf_writer_clipped(w);
    if (rc)
        sigmf_writer_abort(w);
    else
        rc = sigmf_writer_close(w, e);
    sga_destroy(q);
    if (!rc && clipped)
        fprintf(stderr, "sg_gen: warning: %s: %llu sample components clipped at full scale\n",
                base, (unsigned long long)clipped);
    if (!rc && !quiet)
        fprintf(stderr, "sg_gen: wrote %s.sigmf-data (%u channels, %llu samples, %zu bursts)\n",
                base, m, (unsigned long long)total, nt);
    return rc;
}

static int gen_array(const char *path, const char *out, bool quiet)
{
    static array_scn a;
    sg_errinfo e = {0};
    double t0;
    if (load_array_scenario(path, &a, &e)) {
        fprintf(stderr, "sg_gen: %s\n", e.msg);
        return 2;
    }
    if (sigmf_parse_datetime(a.datetime, &t0)) {
        fprintf(stderr, "sg_gen: %s: datetime \"%s\" is not ISO 8601 UTC\n", path, a.datetime);
        return 2;
    }
    for (int i = 0; i < a.n_sites; i++)
        if (write_site(&a, &a.sites[i], out, t0, quiet, &e)) {
            fprintf(stderr, "sg_gen: site %s: %s\n", a.sites[i].name, e.msg);
            return e.code == SG_EIO || e.code == SG_ENOMEM ? 1 : 2;
        }
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option lo[] = {
        {"output", required_argument, 0, 'o'},   {"rate", required_argument, 0, 'r'},
        {"freq", required_argument, 0, 'f'},     {"duration", required_argument, 0, 'd'},
        {"type", required_argument, 0, 't'},     {"noise-dbfs", required_argument, 0, 'n'},
        {"seed", required_argument, 0, 'S'},     {"datetime", required_argument, 0, 'D'},
        {"signal", required_argument, 0, 's'},   {"scenario", required_argument, 0, 'c'},
        {"quiet", no_argument, 0, 'q'},          {"help", no_argument, 0, 'h'},
        {"array-scenario", required_argument, 0, 'A'},
        {0, 0, 0, 0}};
    options o = {.rate = 15.36e6, .freq = 2.4415e9, .duration = 3, .noise_dbfs = -40, .seed = 1,
                 .type = SIGMF_CI8};
    snprintf(o.datetime, sizeof o.datetime, "2026-01-01T00:00:00Z");
    const char *out = NULL, *array_scn = NULL;
    bool quiet = !isatty(2);
    int c;
    while ((c = getopt_long(argc, argv, "o:r:f:d:t:n:s:qh", lo, NULL)) != -1) {
        char *end = NULL;
        double v = optarg ? strtod(optarg, &end) : 0;
        bool num_ok = optarg && end != optarg && !*end && isfinite(v);
        switch (c) {
        case 'o': out = optarg; break;
        case 'r':
            if (!num_ok || v < 1e5 || v > 1e9) { fprintf(stderr, "sg_gen: --rate: need 1e5..1e9 Hz\n"); return 2; }
            o.rate = v;
            break;
        case 'f':
            if (!num_ok || v < 0) { fprintf(stderr, "sg_gen: --freq: need a frequency in Hz\n"); return 2; }
            o.freq = v;
            break;
        case 'd':
            if (!num_ok || v <= 0 || v > 3600) { fprintf(stderr, "sg_gen: --duration: need (0, 3600] s\n"); return 2; }
            o.duration = v;
            break;
        case 't':
            if (sigmf_datatype_parse(optarg, &o.type)) { fprintf(stderr, "sg_gen: --type: unknown \"%s\"\n", optarg); return 2; }
            break;
        case 'n':
            if (!num_ok || v > 0 || v < -150) { fprintf(stderr, "sg_gen: --noise-dbfs: need -150..0\n"); return 2; }
            o.noise_dbfs = v;
            break;
        case 'S':
            if (!num_ok || v < 0 || v > 4294967295.0 || v != floor(v)) { fprintf(stderr, "sg_gen: --seed: need 0..2^32-1\n"); return 2; }
            o.seed = (long)v;
            break;
        case 'D': snprintf(o.datetime, sizeof o.datetime, "%s", optarg); break;
        case 's':
            if (o.n_sig == MAX_SIGNALS) { fprintf(stderr, "sg_gen: at most %d signals\n", MAX_SIGNALS); return 2; }
            if (parse_signal(optarg, &o.sig[o.n_sig]))
                return 2;
            o.n_sig++;
            break;
        case 'c':
            if (load_scenario(optarg, &o))
                return 2;
            break;
        case 'A': array_scn = optarg; break;
        case 'q': quiet = true; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (!out || optind != argc) {
        usage(stderr);
        return 2;
    }
    if (array_scn)
        return gen_array(array_scn, out, quiet);
    double t0;
    if (sigmf_parse_datetime(o.datetime, &t0)) {
        fprintf(stderr, "sg_gen: --datetime \"%s\": not ISO 8601 UTC (YYYY-MM-DDTHH:MM:SSZ)\n", o.datetime);
        return 2;
    }
    sg_errinfo e = {0};
    siggen *g = siggen_create(o.rate, o.duration, o.freq, pow(10.0, o.noise_dbfs / 10.0),
                              (uint32_t)o.seed, &e);
    if (!g) {
        fprintf(stderr, "sg_gen: %s\n", e.msg);
        return 2;
    }
    for (int i = 0; i < o.n_sig; i++) {
        if (siggen_add(g, &o.sig[i], &e)) {
            fprintf(stderr, "sg_gen: signal %d: %s\n", i + 1, e.msg);
            siggen_destroy(g);
            return 2;
        }
    }
    char desc[256];
    snprintf(desc, sizeof desc, "skyguard sg_gen synthetic capture, seed %ld, noise %.1f dBFS",
             o.seed, o.noise_dbfs);
    sigmf_writer *w = sigmf_writer_create(out, o.type, o.rate, o.freq, t0, desc, &e);
    if (!w) {
        fprintf(stderr, "sg_gen: %s\n", e.msg);
        siggen_destroy(g);
        return 1;
    }
    size_t nt;
    const siggen_truth *tr = siggen_truth_list(g, &nt);
    for (size_t i = 0; i < nt; i++) {
        sigmf_annotation a = {.sample_start = tr[i].sample_start, .sample_count = tr[i].sample_count,
                              .freq_lo = tr[i].fc - tr[i].bandwidth / 2,
                              .freq_hi = tr[i].fc + tr[i].bandwidth / 2};
        snprintf(a.label, sizeof a.label, "%s", siggen_kind_name(tr[i].kind));
        snprintf(a.comment, sizeof a.comment, "ground truth, snr_db=%.1f (in-band)", tr[i].snr_db);
        if (sigmf_writer_annotate(w, &a, &e)) {
            fprintf(stderr, "sg_gen: %s\n", e.msg);
            sigmf_writer_abort(w);
            siggen_destroy(g);
            return 1;
        }
    }
    enum { CHUNK = 1 << 18 };
    float complex *buf = malloc(CHUNK * sizeof *buf);
    if (!buf) {
        fprintf(stderr, "sg_gen: out of memory\n");
        sigmf_writer_abort(w);
        siggen_destroy(g);
        return 1;
    }
    uint64_t total = siggen_length(g), done = 0;
    int rc = 0;
    while (done < total && !rc) {
        size_t n = total - done < CHUNK ? (size_t)(total - done) : CHUNK;
        rc = siggen_generate(g, buf, n, &e);
        if (!rc)
            rc = sigmf_writer_write(w, buf, n, &e);
        done += n;
        if (!quiet)
            fprintf(stderr, "\rsg_gen: %5.1f%%", 100.0 * (double)done / (double)total);
    }
    if (!quiet)
        fprintf(stderr, "\n");
    free(buf);
    uint64_t clipped = rc ? 0 : sigmf_writer_clipped(w);
    if (rc) {
        sigmf_writer_abort(w);
    } else {
        rc = sigmf_writer_close(w, &e);
    }
    siggen_destroy(g);
    if (rc) {
        fprintf(stderr, "sg_gen: %s\n", e.msg);
        return 1;
    }
    if (clipped)
        fprintf(stderr, "sg_gen: warning: %llu sample components clipped at full scale "
                        "(lower the SNRs or the noise level)\n", (unsigned long long)clipped);
    if (!quiet)
        fprintf(stderr, "sg_gen: wrote %s.sigmf-data (%llu samples, %zu bursts annotated)\n", out,
                (unsigned long long)total, nt);
    return 0;
}
