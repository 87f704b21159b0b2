/* Signal synthesis for test captures (see siggen.h).
 *
 * Every burst is an event scheduled at siggen_add (so the ground truth exists before
 * any sample is made); its waveform is synthesised when the output first reaches it,
 * normalised to unit power, frequency shifted, scaled to the requested in-band SNR,
 * added to the noise, and freed once written. The FM video carrier is continuous and
 * generated sample by sample instead. Waveforms are built at their own native rate
 * (15.36 Msps LTE-like numerology, 20 Msps Wi-Fi, 8 samples per GFSK bit) and
 * brought to the capture rate with liquid-dsp's multi-stage arbitrary resampler. */
#include "siggen.h"
#include "sg_types.h" /* CMPLXF */

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <liquid/liquid.h>

#include "sg_json.h"


typedef struct {
    siggen_truth t;
    int sig;            /* index into signals */
    unsigned index;     /* burst number of that signal */
    double f_off;       /* Hz from capture centre */
    float amp;
    uint64_t seed;
    float complex *wave; /* sample_count samples once synthesised */
} event;

typedef struct {
    siggen_signal s;
    /* fm_video state */
    double phase;
    iirfilt_rrrf lp;
    float amp;
    uint64_t rng;
} sigstate;

struct siggen_s {
    double fs, dur, fc, noise;
    uint64_t len, pos;
    uint64_t rng;
    sigstate *sigs;
    size_t n_sigs;
    event *ev;
    size_t n_ev, cap_ev, first;
    siggen_truth *truth;
};

static const char *const kind_names[SIGGEN_KIND_COUNT_] = {
    "droneid", "frsky", "elrs", "lora", "fm_video", "wifi", "ble"};
static const double kind_bw[SIGGEN_KIND_COUNT_] = {9.015e6, 130e3,  812.5e3, 500e3,
                                                   6.0e6,   16.6e6, 1.0e6};

const char *siggen_kind_name(siggen_kind k)
{
    return (unsigned)k < SIGGEN_KIND_COUNT_ ? kind_names[k] : "?";
}

int siggen_kind_parse(const char *name, siggen_kind *out)
{
    for (int i = 0; i < SIGGEN_KIND_COUNT_; i++)
        if (name && strcmp(name, kind_names[i]) == 0) {
            *out = (siggen_kind)i;
            return SG_OK;
        }
    return SG_EINVAL;
}

double siggen_kind_bandwidth(siggen_kind k)
{
    return (unsigned)k < SIGGEN_KIND_COUNT_ ? kind_bw[k] : 0;
}

int siggen_signal_from_json(siggen_signal *g, const cJSON *s, const char *where, sg_errinfo *e)
{
    static const char *const keys[] = {"kind", "snr_db", "freq_offset", "t_start", "period",
                                       "duration", "bandwidth", NULL};
    char kind[32];
    int rc;
    memset(g, 0, sizeof *g);
    if (!cJSON_IsObject(s))
        return sg_err_set(e, SG_EINVAL, "%s: must be an object", where);
    if ((rc = sgj_check_keys(s, where, keys, e)) ||
        (rc = sgj_string(s, where, "kind", true, "", kind, sizeof kind, e)))
        return rc;
    if (siggen_kind_parse(kind, &g->kind))
        return sg_err_set(e, SG_EINVAL,
                          "%s.kind: unknown \"%s\" (droneid, frsky, elrs, lora, fm_video, wifi, ble)",
                          where, kind);
    if ((rc = sgj_number(s, where, "snr_db", false, 20, -20, 80, &g->snr_db, e)) ||
        (rc = sgj_number(s, where, "freq_offset", false, 0, -1e10, 1e10, &g->freq_offset, e)) ||
        (rc = sgj_number(s, where, "t_start", false, 0, 0, 1e6, &g->t_start, e)) ||
        (rc = sgj_number(s, where, "period", false, 0, 0, 1e6, &g->period, e)) ||
        (rc = sgj_number(s, where, "duration", false, 0, 0, 1e6, &g->duration, e)) ||
        (rc = sgj_number(s, where, "bandwidth", false, 0, 0, 1e9, &g->bandwidth, e)))
        return rc;
    return SG_OK;
}

/* ---- random numbers (splitmix64: tiny, seedable, good enough for test signals) ---- */
static uint64_t rnd_u64(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double rnd_uniform(uint64_t *s) /* (0, 1) */
{
    return ((double)(rnd_u64(s) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

static float complex rnd_gauss(uint64_t *s) /* unit total power */
{
    double r = sqrt(-log(rnd_uniform(s)));
    double a = 2 * M_PI * rnd_uniform(s);
    return CMPLXF((float)(r * cos(a)), (float)(r * sin(a)));
}

static float complex rnd_qpsk(uint64_t *s)
{
    uint64_t b = rnd_u64(s);
    return CMPLXF((b & 1) ? 0.70710678f : -0.70710678f, (b & 2) ? 0.70710678f : -0.70710678f);
}

/* ---- building blocks ---- */

/* Resamples x (nx samples at rate fin) to exactly ny samples at fout. */
static int resample(const float complex *x, size_t nx, double fin, double fout,
                    float complex *y, size_t ny)
{
    double r = fout / fin;
    msresamp_crcf q = msresamp_crcf_create((float)r, 60.0f);
    if (!q)
        return SG_EINVAL;
    float delay = msresamp_crcf_get_delay(q); /* output samples */
    size_t skip = (size_t)lroundf(delay > 0 ? delay : 0);
    size_t cap = (size_t)(nx * r) + skip + 64;
    size_t pad = (size_t)(skip / r) + 32;
    float complex *tmp = malloc((cap + (size_t)(pad * r) + 64) * sizeof *tmp);
    float complex *in = calloc(nx + pad, sizeof *in);
    if (!tmp || !in) {
        free(tmp);
        free(in);
        msresamp_crcf_destroy(q);
        return SG_ENOMEM;
    }
    memcpy(in, x, nx * sizeof *x);
    unsigned got = 0;
    msresamp_crcf_execute(q, in, (unsigned)(nx + pad), tmp, &got);
    memset(y, 0, ny * sizeof *y);
    for (size_t i = 0; i < ny && i + skip < got; i++)
        y[i] = tmp[i + skip];
    free(tmp);
    free(in);
    msresamp_crcf_destroy(q);
    return SG_OK;
}

/* OFDM symbols: nsym symbols of nfft with cp[i] cyclic prefix; fill(i, X) sets the
 * frequency-domain symbol (natural order). Returns samples written. */
typedef void (*ofdm_fill)(unsigned sym, float complex *X, unsigned nfft, uint64_t *rng);

static size_t ofdm(unsigned nfft, unsigned nsym, const unsigned *cp, ofdm_fill fill,
                   uint64_t *rng, float complex *out)
{
    float complex *X = calloc(nfft, sizeof *X), *t = calloc(nfft, sizeof *t);
    if (!X || !t) {
        free(X);
        free(t);
        return 0;
    }
    fftplan p = fft_create_plan(nfft, X, t, LIQUID_FFT_BACKWARD, 0);
    size_t n = 0;
    for (unsigned s = 0; s < nsym; s++) {
        memset(X, 0, nfft * sizeof *X);
        fill(s, X, nfft, rng);
        fft_execute(p);
        memcpy(out + n, t + nfft - cp[s], cp[s] * sizeof *t);
        n += cp[s];
        memcpy(out + n, t, nfft * sizeof *t);
        n += nfft;
    }
    fft_destroy_plan(p);
    free(X);
    free(t);
    return n;
}

/* DroneID-like: 601 subcarriers (-300..300, DC null) at 15 kHz; symbols 4 and 6
 * (1-based) carry Zadoff-Chu sequences (roots 600 and 147) as DJI's do. */
static void fill_droneid(unsigned s, float complex *X, unsigned nfft, uint64_t *rng)
{
    for (int k = -300; k <= 300; k++) {
        if (!k)
            continue;
        float complex v;
        if (s == 3 || s == 5) {
            unsigned root = s == 3 ? 600 : 147;
            double n = k + 300;
            v = cexpf(-I * (float)(M_PI * root * n * (n + 1) / 601.0));
        } else {
            v = rnd_qpsk(rng);
        }
        X[(k + (int)nfft) % (int)nfft] = v;
    }
}

/* Wi-Fi-like: symbol 0 = short training (every 4th subcarrier), 1 = long training
 * (BPSK), then QPSK data on subcarriers +-1..26. */
static void fill_wifi(unsigned s, float complex *X, unsigned nfft, uint64_t *rng)
{
    for (int k = -26; k <= 26; k++) {
        if (!k)
            continue;
        float complex v;
        if (s == 0)
            v = (k % 4 == 0) ? 1.47f * rnd_qpsk(rng) : 0;
        else if (s == 1)
            v = (rnd_u64(rng) & 1) ? 1.0f : -1.0f;
        else
            v = rnd_qpsk(rng);
        X[(k + (int)nfft) % (int)nfft] = v;
    }
}

/* GFSK at 8 samples per bit, then resampled. */
static int gfsk(double bitrate, float h, float bt, unsigned nbits, uint64_t *rng, double fs,
                float complex *y, size_t ny)
{
    const unsigned k = 8;
    cpfskmod m = cpfskmod_create(1, h, k, 3, bt, LIQUID_CPFSK_GMSK);
    float complex *x = malloc((size_t)nbits * k * sizeof *x);
    if (!m || !x) {
        if (m)
            cpfskmod_destroy(m);
        free(x);
        return SG_ENOMEM;
    }
    for (unsigned i = 0; i < nbits; i++) {
        /* preamble of alternating bits, then random payload */
        unsigned b = i < 32 ? (i & 1) : (unsigned)(rnd_u64(rng) & 1);
        cpfskmod_modulate(m, b, x + (size_t)i * k);
    }
    cpfskmod_destroy(m);
    int rc = resample(x, (size_t)nbits * k, bitrate * k, fs, y, ny);
    free(x);
    return rc;
}

/* LoRa-like chirps straight at fs: preamble upchirps, 2.25 downchirps, payload. */
static void lora(double bw, unsigned sf, unsigned npre, unsigned npay, uint64_t *rng, double fs,
                 float complex *y, size_t ny)
{
    const double M = (double)(1u << sf), Ts = M / bw;
    unsigned vals[256];
    for (unsigned i = 0; i < npay && i < 256; i++)
        vals[i] = (unsigned)(rnd_u64(rng) % (uint64_t)M);
    double ph = 0;
    for (size_t n = 0; n < ny; n++) {
        double t = n / fs;
        unsigned sym = (unsigned)(t / Ts);
        double tau = t / Ts - sym; /* 0..1 within the symbol */
        double f;
        if (sym < npre) {
            f = -bw / 2 + bw * tau;
        } else if (t < (npre + 2.25) * Ts) {
            f = bw / 2 - bw * tau;
        } else {
            double u = t / Ts - (npre + 2.25);
            unsigned ps = (unsigned)u;
            double fr = u - ps + (ps < npay && ps < 256 ? vals[ps] / M : 0);
            f = -bw / 2 + bw * (fr - floor(fr));
        }
        ph += 2 * M_PI * f / fs;
        y[n] = cexpf(I * (float)ph);
    }
}

/* Synthesises one event's waveform at fs: unit power, shifted to its offset. */
static int synth(siggen *q, event *ev, sg_errinfo *e)
{
    const size_t n = ev->t.sample_count;
    const sigstate *ss = &q->sigs[ev->sig];
    uint64_t rng = ev->seed;
    float complex *w = calloc(n ? n : 1, sizeof *w);
    if (!w)
        return sg_err_set(e, SG_ENOMEM, "siggen: out of memory for a %zu-sample burst", n);
    int rc = SG_OK;
    switch (ev->t.kind) {
    case SIGGEN_DRONEID: {
        if (ss->s.payload) {
            size_t got = 0;
            rc = ss->s.payload(ss->s.payload_user, ev->index, q->fs, w, n, &got);
            if (rc)
                sg_err_set(e, rc, "siggen: droneid payload callback failed for burst %u",
                           ev->index);
            break;
        }
        unsigned nsym = ev->t.duration < 600e-6 ? 8 : 9;
        unsigned cp[9];
        for (unsigned i = 0; i < 9; i++)
            cp[i] = (i == 0 || i == nsym - 1) ? 80 : 72;
        float complex *x = malloc(9 * (1024 + 80) * sizeof *x);
        if (!x) {
            rc = SG_ENOMEM;
            break;
        }
        size_t nx = ofdm(1024, nsym, cp, fill_droneid, &rng, x);
        rc = nx ? resample(x, nx, 15.36e6, q->fs, w, n) : SG_ENOMEM;
        free(x);
        break;
    }
    case SIGGEN_WIFI: {
        unsigned nsym = 2 + (unsigned)lround((ev->t.duration - 16e-6) / 4e-6);
        unsigned *cp = malloc(nsym * sizeof *cp);
        float complex *x = malloc((size_t)nsym * 96 * sizeof *x);
        if (!cp || !x) {
            free(cp);
            free(x);
            rc = SG_ENOMEM;
            break;
        }
        for (unsigned i = 0; i < nsym; i++)
            cp[i] = i == 1 ? 32 : 16;
        /* short training: 10 repetitions of 16 samples = the symbol-0 IFFT period 16 */
        size_t nx = ofdm(64, nsym, cp, fill_wifi, &rng, x);
        rc = nx ? resample(x, nx, 20e6, q->fs, w, n) : SG_ENOMEM;
        free(cp);
        free(x);
        break;
    }
    case SIGGEN_FRSKY:
        rc = gfsk(76.8e3, 1.0f, 0.5f, (unsigned)ceil(ev->t.duration * 76.8e3) + 4, &rng, q->fs, w, n);
        break;
    case SIGGEN_BLE:
        rc = gfsk(1e6, 0.5f, 0.5f, (unsigned)ceil(ev->t.duration * 1e6) + 4, &rng, q->fs, w, n);
        break;
    case SIGGEN_ELRS:
        lora(812.5e3, 6, 8, 12, &rng, q->fs, w, n);
        break;
    case SIGGEN_LORA:
        lora(ev->t.bandwidth, 7, 8, 20, &rng, q->fs, w, n);
        break;
    default:
        break;
    }
    if (rc) {
        free(w);
        return e && e->code ? rc : sg_err_set(e, rc, "siggen: cannot synthesise a %s burst",
                                              siggen_kind_name(ev->t.kind));
    }
    double p = 0;
    for (size_t i = 0; i < n; i++)
        p += crealf(w[i]) * crealf(w[i]) + cimagf(w[i]) * cimagf(w[i]);
    float g = p > 0 ? (float)(ev->amp / sqrt(p / (double)n)) : 0;
    double ph0 = 2 * M_PI * rnd_uniform(&rng);
    double dphi = 2 * M_PI * ev->f_off / q->fs;
    for (size_t i = 0; i < n; i++)
        w[i] *= g * cexpf(I * (float)(ph0 + dphi * (double)i));
    ev->wave = w;
    return SG_OK;
}

siggen *siggen_create(double fs, double duration, double center_freq, double noise_power,
                      uint32_t seed, sg_errinfo *e)
{
    if (!(fs >= 1e5 && fs <= 1e9) || !(duration > 0 && duration * fs <= 4e9) ||
        !(noise_power >= 0 && noise_power <= 1) || !isfinite(center_freq)) {
        sg_err_set(e, SG_EINVAL, "siggen: need 1e5 <= fs <= 1e9 Hz, duration > 0 s (at most "
                                 "4e9 samples) and 0 <= noise_power <= 1");
        return NULL;
    }
    siggen *q = calloc(1, sizeof *q);
    if (!q) {
        sg_err_set(e, SG_ENOMEM, "siggen: out of memory");
        return NULL;
    }
    q->fs = fs;
    q->dur = duration;
    q->fc = center_freq;
    q->noise = noise_power;
    q->len = (uint64_t)llround(duration * fs);
    q->rng = 0x5347u ^ ((uint64_t)seed << 17) ^ seed;
    return q;
}

void siggen_destroy(siggen *q)
{
    if (!q)
        return;
    for (size_t i = 0; i < q->n_ev; i++)
        free(q->ev[i].wave);
    for (size_t i = 0; i < q->n_sigs; i++)
        if (q->sigs[i].lp)
            iirfilt_rrrf_destroy(q->sigs[i].lp);
    free(q->ev);
    free(q->sigs);
    free(q->truth);
    free(q);
}

uint64_t siggen_length(const siggen *q) { return q->len; }

const siggen_truth *siggen_truth_list(const siggen *q, size_t *n)
{
    *n = q->n_ev;
    return q->truth;
}

static int cmp_ev(const void *a, const void *b)
{
    const event *x = a, *y = b;
    return (x->t.sample_start > y->t.sample_start) - (x->t.sample_start < y->t.sample_start);
}

/* Schedules one burst; silently skips bursts outside the capture (time or band). */
static int push(siggen *q, int sig, unsigned idx, double t, double dur, double f_off, double bw,
                sg_errinfo *e)
{
    const sigstate *ss = &q->sigs[sig];
    /* a signal wider than the capture is cut to ~0.9 fs by the resampler */
    if (bw > 0.9 * q->fs)
        bw = 0.9 * q->fs;
    if (t >= q->dur || fabs(f_off) + bw / 2 > q->fs / 2)
        return SG_OK;
    if (q->n_ev == q->cap_ev) {
        size_t cap = q->cap_ev ? 2 * q->cap_ev : 256;
        event *ev = realloc(q->ev, cap * sizeof *ev);
        if (!ev)
            return sg_err_set(e, SG_ENOMEM, "siggen: out of memory (%zu bursts)", cap);
        q->ev = ev;
        q->cap_ev = cap;
    }
    event *ev = &q->ev[q->n_ev++];
    memset(ev, 0, sizeof *ev);
    ev->sig = sig;
    ev->index = idx;
    ev->f_off = f_off;
    uint64_t s0 = (uint64_t)llround(t * q->fs);
    uint64_t cnt = (uint64_t)llround(dur * q->fs);
    if (s0 + cnt > q->len)
        cnt = q->len - s0; /* cut by the end of the capture */
    if (!cnt)
        cnt = 1;
    ev->t.sample_start = s0;
    ev->t.sample_count = cnt;
    ev->t.t_start = (double)s0 / q->fs;
    ev->t.duration = (double)cnt / q->fs;
    ev->t.fc = q->fc + f_off;
    ev->t.bandwidth = bw;
    ev->t.kind = ss->s.kind;
    ev->t.snr_db = ss->s.snr_db;
    double nref = q->noise > 0 ? q->noise : SIGGEN_REF_NOISE;
    ev->amp = (float)sqrt(pow(10.0, ss->s.snr_db / 10.0) * nref * bw / q->fs);
    ev->seed = rnd_u64(&q->rng);
    return SG_OK;
}

/* Pseudo-random permutation of 0..n-1 (a hop sequence). */
static void permute(unsigned *p, unsigned n, uint64_t *rng)
{
    for (unsigned i = 0; i < n; i++)
        p[i] = i;
    for (unsigned i = n - 1; i > 0; i--) {
        unsigned j = (unsigned)(rnd_u64(rng) % (i + 1));
        unsigned t = p[i];
        p[i] = p[j];
        p[j] = t;
    }
}

int siggen_add(siggen *q, const siggen_signal *s, sg_errinfo *e)
{
    if ((unsigned)s->kind >= SIGGEN_KIND_COUNT_)
        return sg_err_set(e, SG_EINVAL, "siggen: unknown signal kind %d", (int)s->kind);
    if (!(s->snr_db >= -20 && s->snr_db <= 80) || !(s->t_start >= 0) || !(s->period >= 0) ||
        !(s->duration >= 0) || !(s->bandwidth >= 0) || !isfinite(s->freq_offset))
        return sg_err_set(e, SG_EINVAL,
                          "siggen: %s: snr_db must be in [-20, 80]; t_start, period, duration, "
                          "bandwidth >= 0",
                          siggen_kind_name(s->kind));
    sigstate *ns = realloc(q->sigs, (q->n_sigs + 1) * sizeof *ns);
    if (!ns)
        return sg_err_set(e, SG_ENOMEM, "siggen: out of memory");
    q->sigs = ns;
    sigstate *ss = &q->sigs[q->n_sigs];
    memset(ss, 0, sizeof *ss);
    ss->s = *s;
    ss->rng = rnd_u64(&q->rng);
    int sig = (int)q->n_sigs++;
    uint64_t rng = ss->rng;
    const double plan_ref = q->fc != 0 ? q->fc : 2.44e9; /* hop plans are absolute RF */
    const double bw = s->bandwidth > 0 ? s->bandwidth : kind_bw[s->kind];
    size_t before = q->n_ev;
    int rc = SG_OK;
    switch (s->kind) {
    case SIGGEN_DRONEID: {
        double per = s->period > 0 ? s->period : 0.6;
        /* 9 symbols (8 if a shorter burst is asked for): CP 80 first/last, 72 others */
        unsigned nsym = (s->duration > 0 && s->duration < 600e-6) ? 8 : 9;
        double dur = (2 * (80 + 1024) + (nsym - 2) * (72 + 1024)) / 15.36e6;
        unsigned i = 0;
        for (double t = s->t_start; !rc && t < q->dur; t += per, i++)
            rc = push(q, sig, i, t, dur, s->freq_offset, kind_bw[SIGGEN_DRONEID], e);
        break;
    }
    case SIGGEN_FRSKY: {
        double per = s->period > 0 ? s->period : 9e-3, dur = s->duration > 0 ? s->duration : 2.5e-3;
        unsigned hop[47];
        permute(hop, 47, &rng);
        unsigned i = 0;
        for (double t = s->t_start; !rc && t < q->dur; t += per, i++) {
            double f = 2404.5e6 + 1.5e6 * hop[i % 47] + s->freq_offset - plan_ref;
            rc = push(q, sig, i, t, dur, f, kind_bw[SIGGEN_FRSKY], e);
        }
        break;
    }
    case SIGGEN_ELRS: {
        double per = s->period > 0 ? s->period : 4e-3;
        double dur = (8 + 2.25 + 12) * 64 / 812.5e3;
        unsigned hop[80];
        permute(hop, 80, &rng);
        unsigned i = 0;
        for (double t = s->t_start; !rc && t < q->dur; t += per, i++) {
            double f = 2400.4e6 + 1e6 * hop[(i / 2) % 80] + s->freq_offset - plan_ref;
            rc = push(q, sig, i, t, dur, f, kind_bw[SIGGEN_ELRS], e);
        }
        break;
    }
    case SIGGEN_LORA: {
        double per = s->period > 0 ? s->period : 1.0;
        double dur = (8 + 2.25 + 20) * 128 / bw;
        unsigned i = 0;
        for (double t = s->t_start; !rc && t < q->dur; t += per, i++)
            rc = push(q, sig, i, t, dur, s->freq_offset, bw, e);
        break;
    }
    case SIGGEN_FM_VIDEO: {
        if (q->fs < 1.2 * bw) {
            q->n_sigs--;
            return sg_err_set(e, SG_EINVAL, "siggen: fm_video (%g Hz wide) needs a sample rate "
                                            "of at least %g Hz", bw, 1.2 * bw);
        }
        /* the truth is one carrier from t_start to the end of the capture */
        double dur = s->duration > 0 ? s->duration : q->dur - s->t_start;
        rc = push(q, sig, 0, s->t_start, dur, s->freq_offset, bw, e);
        if (!rc && q->n_ev > before) {
            ss->lp = iirfilt_rrrf_create_lowpass(4, (float)(0.4e6 / q->fs));
            ss->amp = q->ev[q->n_ev - 1].amp;
            if (!ss->lp)
                rc = sg_err_set(e, SG_EINVAL, "siggen: fm_video filter failed");
        }
        break;
    }
    case SIGGEN_WIFI: {
        double per = s->period > 0 ? s->period : 10e-3, dur = s->duration > 0 ? s->duration : 200e-6;
        if (dur < 40e-6)
            dur = 40e-6;
        dur = 16e-6 + 4e-6 * lround((dur - 16e-6) / 4e-6);
        unsigned i = 0;
        for (double t = s->t_start; !rc && t < q->dur; i++) {
            rc = push(q, sig, i, t, dur, s->freq_offset, kind_bw[SIGGEN_WIFI], e);
            t += dur + 20e-6 - per * log(rnd_uniform(&rng)); /* Poisson arrivals */
        }
        break;
    }
    case SIGGEN_BLE: {
        double per = s->period > 0 ? s->period : 0.1, dur = s->duration > 0 ? s->duration : 376e-6;
        static const double ch[3] = {2402e6, 2426e6, 2480e6};
        unsigned i = 0;
        for (double t = s->t_start; !rc && t < q->dur; t += per + 0.01 * rnd_uniform(&rng))
            for (int c = 0; c < 3 && !rc; c++, i++)
                rc = push(q, sig, i, t + c * (dur + 150e-6), dur, ch[c] + s->freq_offset - plan_ref,
                          kind_bw[SIGGEN_BLE], e);
        break;
    }
    default:
        break;
    }
    if (rc)
        return rc;
    if (q->n_ev == before)
        return sg_err_set(e, SG_ERANGE,
                          "siggen: no %s burst falls inside the capture (%g s, %g Hz around "
                          "%g Hz): check t_start, freq_offset and the sample rate",
                          siggen_kind_name(s->kind), q->dur, q->fs, plan_ref);
    qsort(q->ev, q->n_ev, sizeof *q->ev, cmp_ev);
    siggen_truth *t = realloc(q->truth, q->n_ev * sizeof *t);
    if (!t)
        return sg_err_set(e, SG_ENOMEM, "siggen: out of memory");
    q->truth = t;
    for (size_t i = 0; i < q->n_ev; i++)
        q->truth[i] = q->ev[i].t;
    return SG_OK;
}

int siggen_generate(siggen *q, float complex *out, size_t n, sg_errinfo *e)
{
    const float ns = (float)sqrt(q->noise);
    for (size_t i = 0; i < n; i++)
        out[i] = q->noise > 0 ? ns * rnd_gauss(&q->rng) : 0;
    const uint64_t a = q->pos, z = q->pos + n;
    while (q->first < q->n_ev && q->ev[q->first].t.sample_start + q->ev[q->first].t.sample_count <= a &&
           !q->ev[q->first].wave)
        q->first++;
    for (size_t k = q->first; k < q->n_ev; k++) {
        event *ev = &q->ev[k];
        uint64_t s0 = ev->t.sample_start, s1 = s0 + ev->t.sample_count;
        if (s0 >= z)
            break;
        if (s1 <= a)
            continue;
        if (ev->t.kind == SIGGEN_FM_VIDEO) {
            sigstate *ss = &q->sigs[ev->sig];
            const double dev = 0.42 * ev->t.bandwidth; /* peak deviation: Carson ~ occupied */
            for (uint64_t i = s0 > a ? s0 : a; i < s1 && i < z; i++) {
                /* video-like baseband: band-limited luminance + line sync every 64 us */
                float lum = 0;
                iirfilt_rrrf_execute(ss->lp, 0.8f * crealf(rnd_gauss(&ss->rng)), &lum);
                double tl = fmod((double)i / q->fs, 64e-6);
                double m = tl < 4.7e-6 ? -1.0 : fmax(-0.7, fmin(1.0, 0.3 + 2.0 * lum));
                ss->phase += 2 * M_PI * (ev->f_off + dev * m) / q->fs;
                if (ss->phase > M_PI * 64)
                    ss->phase = fmod(ss->phase, 2 * M_PI);
                out[i - a] += ss->amp * cexpf(I * (float)ss->phase);
            }
            continue;
        }
        if (!ev->wave) {
            int rc = synth(q, ev, e);
            if (rc)
                return rc;
        }
        for (uint64_t i = s0 > a ? s0 : a; i < s1 && i < z; i++)
            out[i - a] += ev->wave[i - s0];
        if (s1 <= z) {
            free(ev->wave);
            ev->wave = NULL;
        }
    }
    q->pos = z;
    return SG_OK;
}
