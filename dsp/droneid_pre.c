/* Cheap DroneID pre-test at the capture rate (see droneid_pre.h). */
#include "droneid_pre.h"

/* the boxcar and lag-product loops must vectorise (-O2 does not for these) */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O3", "no-trapping-math", "no-math-errno")
#endif

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "droneid_phy.h"

#define PRE_MAX_R 16     /* boxcar taps at 200 Msps: 13 */
#define PRE_EDGE 96      /* zero samples (at 15.36 Msps) on each side, as the receiver */
#define PRE_BACKOFF 4    /* FFT window this many 15.36-Msps samples into the CP */
#define PRE_GRID 4       /* timing grid step, 15.36-Msps samples */
#define PRE_BAND_HZ 13e6 /* occupancy window around the hint: the burst's 9 MHz, the
                            receiver's +-1.65 MHz centre search and its 6.2 MHz cut-off */

typedef struct {
    int nsym;
    int oc[DRONEID_MAX_SYM];   /* CP window of each symbol: grid cells from the start */
    int body[DRONEID_MAX_SYM]; /* FFT window of each symbol: samples from the start */
    int last;                  /* oc of the last symbol */
} pre_layout;

struct droneid_pre {
    double fs, fo;
    int R, D, G, Wc, pad, len8;
    int wb, top;               /* occupancy window and its top 1/8: 1024-FFT bins */
    pre_layout lay[2];         /* 9, 8 symbols */
    float complex tw[DRONEID_NFFT / 2];
    int rev[DRONEID_NFFT];     /* bit-reversed order (droneid_fft_windows) */
    droneid_lanes lanes[DRONEID_NFFT];
    float complex X[DRONEID_MAX_SYM][DRONEID_NFFT]; /* the symbols' spectra */
    float complex *y;          /* decimated burst with zero pads */
    float complex *cs;         /* per grid cell: sum of y[k] conj(y[k + D]) */
    float *ce;                 /* per grid cell: sum of |y[k]|^2 + |y[k + D]|^2 */
    float *wr, *wi, *we;       /* per cell: CP window sums (Wc cells), re, im, energy */
    float *mr, *mi, *en;       /* per start: M (then |M| in mr) and E of a layout */
    int h;                     /* half a symbol, grid cells */
    size_t cap;                /* samples of y; cells: cap / G + 1 */
};

droneid_pre *droneid_pre_create(double fs, sg_errinfo *e)
{
    if (!(fs >= DRONEID_FS && fs <= 200e6)) {
        sg_err_set(e, SG_EINVAL, "droneid pre-test: sample rate %g Hz not in [15.36e6, 200e6]",
                   fs);
        return NULL;
    }
    droneid_pre *p = calloc(1, sizeof *p);
    if (!p) {
        sg_err_set(e, SG_ENOMEM, "droneid pre-test: out of memory");
        return NULL;
    }
    p->fs = fs;
    p->R = (int)floor(fs / DRONEID_FS * (1 + 1e-9));
    if (p->R < 1)
        p->R = 1;
    p->fo = fs / p->R;
    double sc = p->fo / DRONEID_FS;
    p->D = (int)lround(DRONEID_NFFT * sc);
    p->G = (int)lround(PRE_GRID * sc);
    if (p->G < 1)
        p->G = 1;
    p->Wc = (int)lround(DRONEID_CP_SHORT * sc / p->G);
    p->pad = (int)lround(PRE_EDGE * sc);
    p->h = (int)lround((DRONEID_NFFT + DRONEID_CP_SHORT) / 2 * sc / p->G);
    p->len8 = (int)lround(droneid_layout_get(8)->len * sc);
    for (int v = 0; v < 2; v++) {
        const droneid_layout *l = droneid_layout_get(v == 0 ? 9 : 8);
        pre_layout *q = &p->lay[v];
        q->nsym = l->nsym;
        for (int i = 0; i < l->nsym; i++) {
            q->oc[i] = (int)lround((l->start[i] + l->cp[i] - DRONEID_CP_SHORT) * sc / p->G);
            q->body[i] = (int)lround((l->start[i] + l->cp[i] - PRE_BACKOFF) * sc);
        }
        q->last = q->oc[l->nsym - 1];
    }
    double bin = p->fo / DRONEID_NFFT;
    p->wb = (int)lround(PRE_BAND_HZ / bin);
    p->top = p->wb / 8;
    droneid_fft_twiddles(p->tw);
    droneid_fft_bitrev(p->rev);
    return p;
}

void droneid_pre_destroy(droneid_pre *p)
{
    if (!p)
        return;
    free(p->y);
    free(p->cs);
    free(p->ce);
    free(p->wr);
    free(p->wi);
    free(p->we);
    free(p->mr);
    free(p->mi);
    free(p->en);
    free(p);
}

static int ensure(droneid_pre *p, size_t m)
{
    if (m <= p->cap)
        return SG_OK;
    size_t nc = m / (size_t)p->G + 1;
    float complex *y = realloc(p->y, m * sizeof *y);
    if (y)
        p->y = y;
    float complex *cs = realloc(p->cs, nc * sizeof *cs);
    if (cs)
        p->cs = cs;
    float *ce = realloc(p->ce, nc * sizeof *ce);
    if (ce)
        p->ce = ce;
    float **fl[6] = {&p->wr, &p->wi, &p->we, &p->mr, &p->mi, &p->en};
    int bad = !y || !cs || !ce;
    for (int k = 0; k < 6; k++) {
        float *f = realloc(*fl[k], nc * sizeof *f);
        if (f)
            *fl[k] = f;
        bad |= !f;
    }
    if (bad)
        return SG_ENOMEM;
    p->cap = m;
    return SG_OK;
}

static inline __attribute__((always_inline)) void
boxcar_r(const float *restrict xf, size_t nb, const float *restrict tr,
         const float *restrict ti, float complex *restrict y, const int R)
{
    float *restrict yf = (float *)y;
    for (size_t b = 0; b < nb; b++) {
        const float *s = xf + 2 * (size_t)R * b;
        float re = 0, im = 0;
        for (int j = 0; j < R; j++) {
            re += s[2 * j] * tr[j] - s[2 * j + 1] * ti[j];
            im += s[2 * j] * ti[j] + s[2 * j + 1] * tr[j];
        }
        yf[2 * b] = re, yf[2 * b + 1] = im;
    }
}

/* y[b] = sum_{j<R} x[bR + j] t[j] (the boxcar), re and im kept apart so it vectorises */
static void boxcar(const droneid_pre *p, const float complex *x, size_t nb, double f0,
                   float complex *y)
{
    const int R = p->R;
    if (R == 1) {
        memcpy(y, x, nb * sizeof *y);
        return;
    }
    float tr[PRE_MAX_R], ti[PRE_MAX_R];
    for (int j = 0; j < R; j++) {
        double a = -2.0 * M_PI * f0 * j / p->fs;
        tr[j] = (float)cos(a), ti[j] = (float)sin(a);
    }
    const float *xf = (const float *)x;
    switch (R) { /* constant trip counts: unrolled and vectorised */
    case 2:
        boxcar_r(xf, nb, tr, ti, y, 2);
        break;
    case 3:
        boxcar_r(xf, nb, tr, ti, y, 3);
        break;
    case 4:
        boxcar_r(xf, nb, tr, ti, y, 4);
        break;
    default:
        boxcar_r(xf, nb, tr, ti, y, R);
        break;
    }
}

/* per grid cell c: lag products and energies over y[cG .. cG + G) */
static void cells(const droneid_pre *p, size_t nc, float complex *restrict cs,
                  float *restrict ce)
{
    const int G = p->G, D = p->D;
    const float *restrict y = (const float *)p->y;
    for (size_t c = 0; c < nc; c++) {
        const float *a = y + 2 * c * (size_t)G, *b = a + 2 * (size_t)D;
        float mr = 0, mi = 0, en = 0;
        for (int k = 0; k < G; k++) {
            float ar = a[2 * k], ai = a[2 * k + 1], br = b[2 * k], bi = b[2 * k + 1];
            mr += ar * br + ai * bi; /* a conj(b) */
            mi += ai * br - ar * bi;
            en += ar * ar + ai * ai + br * br + bi * bi;
        }
        cs[c] = mr + I * mi;
        ce[c] = en;
    }
}

static void add_windows(float *restrict mr, float *restrict mi, float *restrict en,
                        const float *restrict wr, const float *restrict wi,
                        const float *restrict we, size_t np)
{
    for (size_t s = 0; s < np; s++)
        mr[s] += wr[s], mi[s] += wi[s], en[s] += we[s];
}

/* occupancy of the band at start s (samples of y), layout q (droneid_pre.h, 3.) */
static double occupancy(droneid_pre *p, size_t m, const pre_layout *q, long s, double f0)
{
    double P[2 * DRONEID_NFFT + 1];
    memset(P, 0, sizeof P);
    long start[DRONEID_MAX_SYM];
    float complex *out[DRONEID_MAX_SYM];
    for (int i = 0; i < q->nsym; i++) {
        start[i] = s + q->body[i];
        out[i] = p->X[i];
    }
    droneid_fft_windows(p->y, m, start, q->nsym, p->tw, p->rev, p->lanes, out);
    for (int i = 0; i < q->nsym; i++)
        for (int k = 0; k < DRONEID_NFFT; k++)
            P[k + 1] += droneid_norm2(p->X[i][k]);
    droneid_power_prefix(P);
    /* the band sits at f0 (mod fo) in y's spectrum (the block phase is left out): the
     * window is the receiver's pass band around it, so a narrow signal the receiver lets
     * in counts wherever it is in that band */
    long cb = lround(f0 / p->fo * DRONEID_NFFT);
    int a = (int)(((cb - p->wb / 2) % DRONEID_NFFT + 2 * DRONEID_NFFT) % DRONEID_NFFT);
    return droneid_top_share(P, a, p->wb, p->top);
}

int droneid_pre_run(droneid_pre *p, const float complex *iq, size_t n, double freq_offset_hz,
                    double cp_min, double occ_max, droneid_pre_result *r)
{
    if (!p || !iq || !r || !isfinite(freq_offset_hz) || fabs(freq_offset_hz) > p->fs / 2 ||
        !(cp_min >= 0 && cp_min <= 1) || !(occ_max >= 0.125 && occ_max <= 1))
        return SG_EINVAL;
    *r = (droneid_pre_result){.verdict = DRONEID_PRE_PASS, .cp_metric = 0, .occupancy = -1,
                              .nsym = 0, .start = 0};
    size_t nb_in = n / (size_t)p->R, pad = (size_t)p->pad;
    size_t m = nb_in + 2 * pad;
    if (m < (size_t)p->len8)
        return SG_OK; /* too short: the receiver says so */
    if (ensure(p, m))
        return SG_ENOMEM;
    memset(p->y, 0, pad * sizeof *p->y);
    memset(p->y + pad + nb_in, 0, pad * sizeof *p->y);
    boxcar(p, iq, nb_in, freq_offset_hz, p->y + pad);
    size_t nc = (m - (size_t)p->D) / (size_t)p->G;
    cells(p, nc, p->cs, p->ce);
    /* CP window sums: Wc cells from each cell */
    if (nc < (size_t)p->Wc)
        return SG_OK;
    size_t nw = nc - (size_t)p->Wc + 1;
    double accr = 0, acci = 0, acce = 0;
    for (int c = 0; c < p->Wc; c++)
        accr += crealf(p->cs[c]), acci += cimagf(p->cs[c]), acce += p->ce[c];
    for (size_t c = 0;; c++) {
        p->wr[c] = (float)accr, p->wi[c] = (float)acci, p->we[c] = (float)acce;
        if (c + 1 >= nw)
            break;
        const size_t c2 = c + (size_t)p->Wc;
        accr += crealf(p->cs[c2]) - crealf(p->cs[c]);
        acci += cimagf(p->cs[c2]) - cimagf(p->cs[c]);
        acce += p->ce[c2] - p->ce[c];
    }
    /* both layouts' CP metrics, then the occupancy of those reaching cp_min, best first */
    double rho[2] = {0, 0};
    size_t at[2] = {0, 0};
    int fit[2] = {0, 0};
    for (int v = 0; v < 2; v++) {
        const pre_layout *q = &p->lay[v];
        if (nw <= (size_t)q->last)
            continue;
        fit[v] = 1;
        size_t np = nw - (size_t)q->last;
        float *restrict mr = p->mr, *restrict mi = p->mi, *restrict en = p->en;
        memset(mr, 0, np * sizeof *mr);
        memset(mi, 0, np * sizeof *mi);
        memset(en, 0, np * sizeof *en);
        for (int i = 0; i < q->nsym; i++) /* one symbol's windows at a time: vectorised */
            add_windows(mr, mi, en, p->wr + q->oc[i], p->wi + q->oc[i], p->we + q->oc[i], np);
        for (size_t s = 0; s < np; s++)
            mr[s] = sqrtf(mr[s] * mr[s] + mi[s] * mi[s]);
        /* the CP windows against the same windows half a symbol away (in the symbol
         * bodies): an OFDM burst correlates only in its prefixes, a tone or a narrow
         * carrier at every offset */
        double bestm = -1, bestE = 0;
        for (size_t s = 0; s < np; s++) {
            size_t h = (size_t)p->h;
            /* a piece too short for either (at most a burst and half a symbol): the plain
             * metric */
            double c = mr[s] - (s + h < np ? mr[s + h] : s >= h ? mr[s - h] : 0);
            if (c > bestm)
                bestm = c, bestE = p->en[s], at[v] = s;
        }
        rho[v] = bestE > 0 && bestm > 0 ? 2.0 * bestm / bestE : 0;
    }
    if (nw <= (size_t)p->lay[1].last)
        return SG_OK; /* not even the 8-symbol layout fits: the receiver says so */
    double best_rho = fmax(rho[0], rho[1]), best_occ = -1;
    int pass = 0, any_cp = 0;
    for (int k = 0; k < 2 && !pass; k++) {
        int v = (rho[1] > rho[0]) ? 1 - k : k;
        if (!fit[v] || !(rho[v] >= cp_min))
            continue;
        any_cp = 1;
        double occ = occupancy(p, m, &p->lay[v], (long)(at[v] * (size_t)p->G), freq_offset_hz);
        if (best_occ < 0 || occ < best_occ)
            best_occ = occ;
        if (occ <= occ_max) {
            pass = 1;
            r->nsym = p->lay[v].nsym;
            r->start = ((double)(at[v] * (size_t)p->G) - (double)pad) * p->R;
        }
    }
    r->cp_metric = best_rho;
    r->occupancy = best_occ;
    r->verdict = pass ? DRONEID_PRE_PASS : any_cp ? DRONEID_PRE_OCC : DRONEID_PRE_CP;
    return SG_OK;
}
