/* Multi-channel synthetic captures (see siggen_array.h). Every emitter has its own
 * noiseless siggen and a history of its baseband; each 1024-sample block, the
 * direct and ground-reflected paths are steered onto the channels with a carrier
 * phase and a fractional-delay FIR per channel; then noise and channel errors. */
#include "siggen_array.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "doa_internal.h"

#define SUB 1024            /* samples per geometry update */
#define HIST 512            /* baseband history per emitter */
#define TAPS 16             /* fractional-delay filter, taps j = -7..8 */
#define MAX_DELAY (HIST - TAPS - SGA_LATENCY - 2) /* samples, longest reflection */

typedef struct {
    sga_emitter e;
    siggen *g;
    float complex *hist;    /* HIST + SUB */
} emitter;

struct sga_s {
    sga_site site;
    unsigned m;
    double fs, dur, fc;
    uint64_t len, pos;
    unsigned ne;
    emitter em[SGA_MAX_EMITTERS];
    sga_truth *truth;
    size_t nt;
    uint64_t rng;
    float complex *acc;     /* SUB x m */
};

void sga_site_default(sga_site *s)
{
    for (unsigned i = 0; i < DOA_MAX_ELEMENTS; i++)
        s->gain[i] = 1.0f;
    s->pos[0] = s->pos[1] = 0;
    s->pos[2] = 10;
    s->yaw_deg = 0;
    s->ground_gamma = 0;
    s->noise_power = 1e-4;
    s->seed = 1;
}

void sga_bearing(const sga_site *s, const double p[3], double *az, double *el,
                 double *az_body, double *range)
{
    double v[3] = {p[0] - s->pos[0], p[1] - s->pos[1], p[2] - s->pos[2]};
    double r = sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
    double a = atan2(v[0], v[1]), l = r > 0 ? asin(v[2] / r) : 0;
    if (az)
        *az = a;
    if (el)
        *el = l;
    if (az_body)
        *az_body = doa_wrap_pi(a - s->yaw_deg * M_PI / 180);
    if (range)
        *range = r;
}

static bool finite3(const double v[3])
{
    return isfinite(v[0]) && isfinite(v[1]) && isfinite(v[2]);
}

sga *sga_create(const sga_site *site, double fs, double duration, double fc, sg_errinfo *e)
{
    if (!site) {
        sg_err_set(e, SG_EINVAL, "siggen_array: no site");
        return NULL;
    }
    if (doa_array_validate(&site->array, e)) {
        sg_err_prefix(e, "siggen_array");
        return NULL;
    }
    if (!(fs >= 1e5 && fs <= 1e9) || !(duration > 0) || !(fc > 0) || !isfinite(fc) ||
        duration * fs > 4e9) {
        sg_err_set(e, SG_EINVAL, "siggen_array: need 1e5 <= fs <= 1e9 Hz, duration > 0 s "
                                 "(at most 4e9 samples) and fc > 0 Hz");
        return NULL;
    }
    if (!finite3(site->pos) || !(site->pos[2] > 0) || !isfinite(site->yaw_deg) ||
        fabs(site->yaw_deg) > 360) {
        sg_err_set(e, SG_EINVAL, "siggen_array: site position must be finite with up > 0 m and "
                                 "yaw in [-360, 360] deg");
        return NULL;
    }
    if (!(site->noise_power > 0 && site->noise_power <= 1) ||
        !(site->ground_gamma >= -1 && site->ground_gamma <= 1)) {
        sg_err_set(e, SG_EINVAL, "siggen_array: noise_power must be in (0, 1] and ground_gamma "
                                 "in [-1, 1]");
        return NULL;
    }
    for (unsigned i = 0; i < site->array.n; i++) {
        float g = cabsf(site->gain[i]);
        if (!(g >= 0.01f && g <= 100.0f)) {
            sg_err_set(e, SG_EINVAL,
                       "siggen_array: channel %u gain must have magnitude in [0.01, 100]", i);
            return NULL;
        }
    }
    double rmax = 0;
    for (unsigned i = 0; i < site->array.n; i++) {
        const double *p = site->array.pos[i];
        rmax = fmax(rmax, sqrt(p[0] * p[0] + p[1] * p[1] + p[2] * p[2]));
    }
    if (rmax / DOA_C * fs > 0.9) { /* the delay filter's latency covers < 1 sample of advance */
        sg_err_set(e, SG_EINVAL, "siggen_array: an element %.2f m from the array origin is more "
                                 "than 0.9 samples of delay at %g Hz",
                   rmax, fs);
        return NULL;
    }
    sga *q = calloc(1, sizeof *q);
    if (!q) {
        sg_err_set(e, SG_ENOMEM, "siggen_array: out of memory");
        return NULL;
    }
    q->site = *site;
    q->m = site->array.n;
    q->fs = fs;
    q->dur = duration;
    q->fc = fc;
    q->len = (uint64_t)llround(duration * fs);
    q->rng = 0x9e3779b97f4a7c15ull ^ ((uint64_t)site->seed * 0x2545f4914f6cdd1dull);
    if (!q->rng)
        q->rng = 1;
    q->acc = calloc((size_t)SUB * q->m, sizeof *q->acc);
    if (!q->acc) {
        sg_err_set(e, SG_ENOMEM, "siggen_array: out of memory");
        sga_destroy(q);
        return NULL;
    }
    return q;
}

void sga_destroy(sga *q)
{
    if (!q)
        return;
    for (unsigned i = 0; i < q->ne; i++) {
        siggen_destroy(q->em[i].g);
        free(q->em[i].hist);
    }
    free(q->truth);
    free(q->acc);
    free(q);
}

unsigned sga_channels(const sga *q)
{
    return q->m;
}

uint64_t sga_length(const sga *q)
{
    return q->len;
}

const sga_truth *sga_truth_list(const sga *q, size_t *n)
{
    *n = q->nt;
    return q->truth;
}

const sga_truth *sga_truth_match(const sga *q, uint64_t start, uint64_t count, double fc)
{
    const sga_truth *hit = NULL;
    for (size_t i = 0; i < q->nt; i++) {
        const siggen_truth *t = &q->truth[i].burst;
        if (t->sample_start < start + count && start < t->sample_start + t->sample_count &&
            fabs(t->fc - fc) < 0.5 * t->bandwidth) {
            if (hit)
                return NULL;
            hit = &q->truth[i];
        }
    }
    return hit;
}

static void em_pos(const sga_emitter *e, double t, double p[3])
{
    for (int k = 0; k < 3; k++)
        p[k] = e->pos[k] + e->vel[k] * t;
}

/* Extra delay of the ground reflection (s) at time t. */
static double refl_delay(const sga *q, const sga_emitter *e, double t, double *r, double *ri)
{
    double p[3], img[3];
    em_pos(e, t, p);
    img[0] = p[0];
    img[1] = p[1];
    img[2] = -p[2];
    sga_bearing(&q->site, p, NULL, NULL, NULL, r);
    sga_bearing(&q->site, img, NULL, NULL, NULL, ri);
    return (*ri - *r) / DOA_C;
}

static int cmp_truth(const void *a, const void *b)
{
    const sga_truth *x = a, *y = b;
    if (x->burst.sample_start != y->burst.sample_start)
        return x->burst.sample_start < y->burst.sample_start ? -1 : 1;
    return (int)x->emitter - (int)y->emitter;
}

int sga_add(sga *q, const sga_emitter *em, sg_errinfo *e)
{
    if (q->ne >= SGA_MAX_EMITTERS)
        return sg_err_set(e, SG_EOVERFLOW, "siggen_array: at most %d emitters", SGA_MAX_EMITTERS);
    if (!finite3(em->pos) || !finite3(em->vel) || !(em->ref_range >= 1 && em->ref_range <= 1e6))
        return sg_err_set(e, SG_EINVAL, "siggen_array: emitter %u: position and velocity must be "
                                        "finite and ref_range in [1, 1e6] m",
                          q->ne);
    double sp = sqrt(em->vel[0] * em->vel[0] + em->vel[1] * em->vel[1] + em->vel[2] * em->vel[2]);
    if (sp > 300)
        return sg_err_set(e, SG_EINVAL, "siggen_array: emitter %u: speed %.0f m/s > 300", q->ne,
                          sp);
    /* the trajectory must stay off the array and, with a reflection, above the ground
     * and within the history */
    for (int i = 0; i <= 100; i++) {
        double t = q->dur * i / 100, p[3], r, ri;
        em_pos(em, t, p);
        double d = refl_delay(q, em, t, &r, &ri);
        if (r < 1)
            return sg_err_set(e, SG_EINVAL, "siggen_array: emitter %u passes within 1 m of the "
                                            "array at t = %.3f s",
                              q->ne, t);
        if (q->site.ground_gamma != 0 && (p[2] < 0 || d * q->fs > MAX_DELAY))
            return sg_err_set(e, SG_ERANGE,
                              "siggen_array: emitter %u: ground reflection %s at t = %.3f s",
                              q->ne, p[2] < 0 ? "below ground" : "delayed beyond 490 samples", t);
    }
    emitter *x = &q->em[q->ne];
    memset(x, 0, sizeof *x);
    x->e = *em;
    x->hist = calloc(HIST + SUB, sizeof *x->hist);
    if (!x->hist)
        return sg_err_set(e, SG_ENOMEM, "siggen_array: out of memory");
    x->g = siggen_create(q->fs, q->dur, q->fc, 0, em->seed, e);
    int rc = x->g ? siggen_add(x->g, &em->sig, e) : (e ? e->code : SG_EINVAL);
    if (rc) {
        siggen_destroy(x->g);
        free(x->hist);
        return sg_err_prefix(e, "siggen_array");
    }
    size_t nb;
    const siggen_truth *tl = siggen_truth_list(x->g, &nb);
    sga_truth *nt = realloc(q->truth, (q->nt + nb + 1) * sizeof *nt);
    if (!nt) {
        siggen_destroy(x->g);
        free(x->hist);
        return sg_err_set(e, SG_ENOMEM, "siggen_array: out of memory");
    }
    q->truth = nt;
    for (size_t i = 0; i < nb; i++) {
        sga_truth *t = &q->truth[q->nt++];
        t->burst = tl[i];
        t->burst.sample_start += SGA_LATENCY;
        t->burst.t_start += SGA_LATENCY / q->fs;
        t->emitter = q->ne;
        t->interferer = em->interferer;
        em_pos(em, tl[i].t_start + 0.5 * tl[i].duration, t->pos);
        sga_bearing(&q->site, t->pos, &t->az, &t->el, &t->az_body, &t->range);
        t->snr_db = em->sig.snr_db + 20 * log10(em->ref_range / t->range);
    }
    qsort(q->truth, q->nt, sizeof *q->truth, cmp_truth);
    q->ne++;
    return SG_OK;
}

static double rnd_uniform(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return ((*s >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

/* Windowed-sinc taps h[j + 7], j = -7..8, for a delay of frac in [0, 1) samples. */
static void frac_taps(double frac, float *h)
{
    double s = 0, t[TAPS];
    for (int j = -7; j <= 8; j++) {
        double x = j - frac;
        double sinc = fabs(x) < 1e-12 ? 1 : sin(M_PI * x) / (M_PI * x);
        double w = 0.42 + 0.5 * cos(M_PI * x / 8.5) + 0.08 * cos(2 * M_PI * x / 8.5);
        t[j + 7] = sinc * w;
        s += t[j + 7];
    }
    for (int j = 0; j < TAPS; j++)
        h[j] = (float)(t[j] / s);
}

/* Adds one path of emitter x to q->acc for the block [t0, t0 + k). */
static void add_path(sga *q, const emitter *x, unsigned k, double amp, double delay,
                     const double u[3])
{
    unsigned m = q->m;
    for (unsigned c = 0; c < m; c++) {
        const double *p = q->site.array.pos[c];
        double adv = (p[0] * u[0] + p[1] * u[1] + p[2] * u[2]) / DOA_C;
        double tot = delay - adv; /* s */
        double d = tot * q->fs + SGA_LATENCY;
        double di = floor(d);
        float h[TAPS];
        frac_taps(d - di, h);
        float complex g = (float complex)(amp * cexp(-I * 2 * M_PI * q->fc * tot));
        /* y[n] = sum_j h[j] x[n - di - j]; source index n maps to hist[HIST + n - t0] */
        const float complex *src = x->hist + HIST - (long)di;
        for (unsigned n = 0; n < k; n++) {
            float complex y = 0;
            for (int j = -7; j <= 8; j++)
                y += h[j + 7] * src[(long)n - j];
            q->acc[(size_t)n * m + c] += g * y;
        }
    }
}

int sga_generate(sga *q, float complex *out, size_t n, sg_errinfo *e)
{
    unsigned m = q->m;
    double yaw = q->site.yaw_deg * M_PI / 180;
    float ns = (float)sqrt(q->site.noise_power);
    for (size_t done = 0; done < n;) {
        unsigned k = (unsigned)(n - done < SUB ? n - done : SUB);
        memset(q->acc, 0, (size_t)k * m * sizeof *q->acc);
        double tmid = (q->pos + 0.5 * k) / q->fs;
        for (unsigned i = 0; i < q->ne; i++) {
            emitter *x = &q->em[i];
            int rc = siggen_generate(x->g, x->hist + HIST, k, e);
            if (rc)
                return sg_err_prefix(e, "siggen_array");
            bool live = false;
            for (unsigned j = 0; j < HIST + k && !live; j++)
                live = crealf(x->hist[j]) != 0 || cimagf(x->hist[j]) != 0;
            if (live) {
                double p[3], img[3], az, el, r, u[3];
                em_pos(&x->e, tmid, p);
                sga_bearing(&q->site, p, &az, &el, NULL, &r);
                double amp = sqrt(q->site.noise_power / SIGGEN_REF_NOISE) * x->e.ref_range / r;
                doa_unit(az - yaw, el, u);
                add_path(q, x, k, amp, 0, u);
                if (q->site.ground_gamma != 0) {
                    double ri;
                    img[0] = p[0];
                    img[1] = p[1];
                    img[2] = -p[2];
                    sga_bearing(&q->site, img, &az, &el, NULL, &ri);
                    doa_unit(az - yaw, el, u);
                    add_path(q, x, k, q->site.ground_gamma * amp * r / ri, (ri - r) / DOA_C, u);
                }
            }
            memmove(x->hist, x->hist + k, HIST * sizeof *x->hist);
        }
        for (unsigned j = 0; j < k; j++)
            for (unsigned c = 0; c < m; c++) {
                double rr = sqrt(-log(rnd_uniform(&q->rng))), ph = 2 * M_PI * rnd_uniform(&q->rng);
                float complex nz = (float complex)(rr * cexp(I * ph)) * ns;
                out[(done + j) * m + c] = q->site.gain[c] * (q->acc[(size_t)j * m + c] + nz);
            }
        done += k;
        q->pos += k;
    }
    return SG_OK;
}
