/* DroneID physical-layer helpers shared by modulator and receiver (see droneid_phy.h). */
#include "droneid_phy.h"

#include <math.h>
#include <stdint.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <stdlib.h>
#include <string.h>

#include "sg_types.h" /* CMPLXF */
#include "sg_simd.h"

/* -O2 leaves the FFT's butterfly loop scalar; -O3 vectorises it (no reassociation: the
 * same results) */
#if defined(__GNUC__) && !defined(__clang__)
#define PHY_HOT __attribute__((optimize("O3")))
#else
#define PHY_HOT
#endif

static void layout_fill(droneid_layout *l, int nsym)
{
    l->nsym = nsym;
    int off = 0;
    for (int i = 0; i < nsym; i++) {
        l->cp[i] = (i == 0 || i == nsym - 1) ? DRONEID_CP_LONG : DRONEID_CP_SHORT;
        l->start[i] = off;
        off += l->cp[i] + DRONEID_NFFT;
    }
    l->len = off;
    int first_zc = nsym == 9 ? 3 : 2;
    l->zc_sym[0] = first_zc;
    l->zc_sym[1] = first_zc + 2;
    l->known_sym = nsym == 9 ? 0 : -1;
    int d = 0;
    for (int i = 0; i < nsym; i++)
        if (i != l->zc_sym[0] && i != l->zc_sym[1] && i != l->known_sym)
            l->data_sym[d++] = i;
}

/* Written out so they are plain constants (no shared lazy init); layout_fill()
 * derives the same tables and the tests compare them. */
static const droneid_layout L9 = {
    9, {3, 5}, {1, 2, 4, 6, 7, 8}, 0, {80, 72, 72, 72, 72, 72, 72, 72, 80},
    {0, 1104, 2200, 3296, 4392, 5488, 6584, 7680, 8776}, 9880};
static const droneid_layout L8 = {
    8, {2, 4}, {0, 1, 3, 5, 6, 7}, -1, {80, 72, 72, 72, 72, 72, 72, 80, 0},
    {0, 1104, 2200, 3296, 4392, 5488, 6584, 7680, 0}, 8784};

const droneid_layout *droneid_layout_get(int nsym)
{
    return nsym == 9 ? &L9 : nsym == 8 ? &L8 : NULL;
}

int droneid_layout_check(void)
{
    droneid_layout a;
    const droneid_layout *ref[2] = {&L9, &L8};
    for (int i = 0; i < 2; i++) {
        memset(&a, 0, sizeof a);
        layout_fill(&a, ref[i]->nsym);
        if (memcmp(&a, ref[i], sizeof a))
            return SG_EINVAL;
    }
    return SG_OK;
}

void droneid_gold(uint32_t seed, uint8_t *c, size_t n)
{
    /* 31-bit registers; advance Nc = 1600 steps first */
    uint32_t x1 = 1, x2 = seed & 0x7FFFFFFFu;
    for (size_t i = 0; i < 1600 + n; i++) {
        if (i >= 1600)
            c[i - 1600] = (uint8_t)((x1 ^ x2) & 1u);
        uint32_t f1 = ((x1 >> 3) ^ x1) & 1u;
        uint32_t f2 = ((x2 >> 3) ^ (x2 >> 2) ^ (x2 >> 1) ^ x2) & 1u;
        x1 = (x1 >> 1) | (f1 << 30);
        x2 = (x2 >> 1) | (f2 << 30);
    }
}

void droneid_zc(int root, float complex z[DRONEID_NZC])
{
    for (int i = 0; i < DRONEID_NZC; i++) {
        /* i(i+1) mod 2*601 keeps the phase argument small and exact */
        long m = ((long)root * ((long)i * (i + 1) % (2 * DRONEID_NZC))) % (2 * DRONEID_NZC);
        double ph = -M_PI * (double)m / DRONEID_NZC;
        z[i] = (float)cos(ph) + I * (float)sin(ph);
    }
    z[300] = 0;
}

/* ---- band occupancy ------------------------------------------------------------- */

void droneid_power_prefix(double P[2 * DRONEID_NFFT + 1])
{
    P[0] = 0;
    for (int k = 1; k <= DRONEID_NFFT; k++)
        P[DRONEID_NFFT + k] = P[k];
    for (int k = 1; k <= 2 * DRONEID_NFFT; k++)
        P[k] += P[k - 1];
}

static int cmp_desc(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x < y) - (x > y);
}

/* Moves the k largest of v[0..n) to v[0..k) (in any order), 0 < k < n: a selection
 * instead of a sort of all n (the sum below then adds the very same values in the very
 * same order as after a full sort: the k largest, sorted). */
static void select_top(double *v, int n, int k)
{
    int lo = 0, hi = n - 1;
    while (lo < hi) {
        double piv = v[lo + (hi - lo) / 2];
        int i = lo, j = hi;
        while (i <= j) {
            while (v[i] > piv)
                i++;
            while (v[j] < piv)
                j--;
            if (i <= j) {
                double t = v[i];
                v[i++] = v[j];
                v[j--] = t;
            }
        }
        /* v[lo..j] >= piv, v[j+1..i-1] == piv, v[i..hi] <= piv */
        if (k - 1 <= j)
            hi = j;
        else if (k - 1 >= i)
            lo = i;
        else
            break;
    }
}

double droneid_top_share(const double P[2 * DRONEID_NFFT + 1], int a, int w, int top)
{
    double bins[DRONEID_NFFT];
    for (int k = 0; k < w; k++)
        bins[k] = P[a + k + 1] - P[a + k];
    if (top < w)
        select_top(bins, w, top);
    qsort(bins, (size_t)top, sizeof bins[0], cmp_desc);
    double sum = 0, all = P[a + w] - P[a];
    for (int k = 0; k < top; k++)
        sum += bins[k];
    return all > 0 ? sum / all : 1;
}

PHY_HOT bool droneid_all_finite(const float complex *x, size_t n)
{
    /* exponent field all ones (Inf, NaN) carries into bit 31; no branch, so it vectorises */
    const float *f = (const float *)x;
    uint32_t bad = 0;
    for (size_t k = 0; k < 2 * n; k++) {
        uint32_t b;
        memcpy(&b, f + k, sizeof b);
        bad |= (b & 0x7f800000u) + 0x00800000u;
    }
    return !(bad & 0x80000000u);
}

/* ---- resampler ------------------------------------------------------------------ */

#define RS_OVS 256      /* table points per input sample */
#define RS_CROSSINGS 10 /* sinc zero crossings kept on each side */

struct droneid_resamp {
    double fs_in, fs_out;
    int half;      /* input samples on each side */
    float *tab;    /* g at t = (i - half*RS_OVS) / (RS_OVS fs_in), i in [0, 2 half RS_OVS] */
    int ntab;
    /* rational ratios (fs_in / fs_out = M / L, L <= RS_MAX_PHASES, e.g. 50 -> 15.36 Msps
     * is 625 / 192): exact polyphase bank, L x 2 half taps, so each output is a plain
     * dot product instead of table interpolation */
    long L, M;
    float *bank;
    float *bank2;  /* the bank with every tap twice (h, h): one product per re, im lane */
    bool simd;     /* eight outputs at a time in SSE registers (droneid_resamp_set_simd) */
};

#define RS_MAX_PHASES 2048

static double kernel(double t, double cutoff, double fs_in, double tw)
{
    if (fabs(t) >= tw)
        return 0;
    double a = 2.0 * cutoff * t;
    double s = fabs(a) < 1e-12 ? 1.0 : sin(M_PI * a) / (M_PI * a);
    double p = (t + tw) / (2 * tw);
    double w = 0.42 - 0.5 * cos(2 * M_PI * p) + 0.08 * cos(4 * M_PI * p);
    return 2.0 * cutoff / fs_in * s * w;
}

droneid_resamp *droneid_resamp_create(double fs_in, double fs_out, double cutoff_hz,
                                      sg_errinfo *e)
{
    if (!(fs_in >= 1e3 && fs_in <= 1e9 && fs_out >= 1e3 && fs_out <= 1e9 &&
          cutoff_hz > 0 && cutoff_hz < 0.5 * fmin(fs_in, fs_out))) {
        sg_err_set(e, SG_EINVAL, "resampler: fs_in %g, fs_out %g, cutoff %g Hz invalid",
                   fs_in, fs_out, cutoff_hz);
        return NULL;
    }
    droneid_resamp *r = calloc(1, sizeof *r);
    if (!r) {
        sg_err_set(e, SG_ENOMEM, "resampler: out of memory");
        return NULL;
    }
    r->fs_in = fs_in, r->fs_out = fs_out;
#if defined(__SSE2__)
    r->simd = true;
#endif
    double tw = RS_CROSSINGS / (2.0 * cutoff_hz); /* s, half window */
    r->half = (int)ceil(tw * fs_in);
    r->ntab = 2 * r->half * RS_OVS + 2;
    r->tab = malloc(sizeof(float) * (size_t)r->ntab);
    if (!r->tab) {
        free(r);
        sg_err_set(e, SG_ENOMEM, "resampler: out of memory");
        return NULL;
    }
    for (int i = 0; i < r->ntab; i++) {
        double t = (double)(i - r->half * RS_OVS) / (RS_OVS * fs_in);
        r->tab[i] = (float)kernel(t, cutoff_hz, fs_in, tw);
    }
    for (long L = 1; L <= RS_MAX_PHASES; L++) {
        double Mf = fs_in / fs_out * (double)L;
        if (fabs(Mf - round(Mf)) < 1e-9 * Mf) {
            r->L = L, r->M = lround(Mf);
            break;
        }
    }
    if (r->L) {
        int nt = 2 * r->half;
        r->bank = malloc(sizeof(float) * (size_t)r->L * (size_t)nt);
        r->bank2 = malloc(2 * sizeof(float) * (size_t)r->L * (size_t)nt);
        if (!r->bank || !r->bank2) {
            droneid_resamp_destroy(r);
            sg_err_set(e, SG_ENOMEM, "resampler: out of memory");
            return NULL;
        }
        for (long p = 0; p < r->L; p++)
            for (int j = 0; j < nt; j++) {
                /* output at c + p/L (input samples), tap j reads x[c - half + 1 + j] */
                double t = ((double)p / (double)r->L + r->half - 1 - j) / fs_in;
                r->bank[p * nt + j] = (float)kernel(t, cutoff_hz, fs_in, tw);
                r->bank2[2 * (p * nt + j)] = r->bank2[2 * (p * nt + j) + 1] = r->bank[p * nt + j];
            }
    }
    return r;
}

void droneid_resamp_destroy(droneid_resamp *r)
{
    if (!r)
        return;
    free(r->tab);
    free(r->bank);
    free(r->bank2);
    free(r);
}

/* Samples per block of droneid_mix: each block's phasors start exactly at e^(i w i0) */
#define MIX_BLOCK 512
#define MIX_LANES 4

void droneid_mix(const float complex *x, float complex *y, size_t n, double w)
{
    /* MIX_LANES phasors a sample apart, each stepping MIX_LANES samples, so the products
     * of one lane do not wait on those of the others (one recursive phasor made every
     * sample wait on the one before); each block
     * of MIX_BLOCK samples starts from cos/sin of its own phase, so no error accumulates.
     * The products C's complex multiplies make for finite values, written out so no NaN
     * test follows each. */
    const double sr = cos(MIX_LANES * w), si = sin(MIX_LANES * w);
    for (size_t i0 = 0; i0 < n; i0 += MIX_BLOCK) {
        const size_t end = n - i0 < MIX_BLOCK ? n : i0 + MIX_BLOCK;
        double pr[MIX_LANES], pi[MIX_LANES];
        for (int l = 0; l < MIX_LANES; l++) {
            const double a = w * (double)(i0 + (size_t)l);
            pr[l] = cos(a), pi[l] = sin(a);
        }
        size_t i = i0;
        for (; i + MIX_LANES <= end; i += MIX_LANES)
            for (int l = 0; l < MIX_LANES; l++) {
                const float fr = (float)pr[l], fi = (float)pi[l];
                const float xr = crealf(x[i + l]), xi = cimagf(x[i + l]);
                y[i + l] = CMPLXF(fr * xr - fi * xi, fr * xi + fi * xr);
                const double qr = pr[l] * sr - pi[l] * si, qi = pr[l] * si + pi[l] * sr;
                pr[l] = qr, pi[l] = qi;
            }
        for (int l = 0; i < end; i++, l++) {
            const float fr = (float)pr[l], fi = (float)pi[l];
            const float xr = crealf(x[i]), xi = cimagf(x[i]);
            y[i] = CMPLXF(fr * xr - fi * xi, fr * xi + fi * xr);
        }
    }
}

int droneid_resamp_set_simd(droneid_resamp *r, bool on)
{
    return r ? sg_simd_switch(&r->simd, on) : SG_EINVAL;
}

size_t droneid_resamp_out_len(const droneid_resamp *r, size_t n)
{
    if (n == 0)
        return 0;
    return (size_t)floor((double)(n - 1) * r->fs_out / r->fs_in) + 1;
}

#if defined(__SSE2__)
/* a[0], a[1], b[0], b[1]: two outputs' (re, im) pairs in one register */
static inline __m128 load_pair(const float *a, const float *b)
{
    return _mm_loadh_pi(_mm_castpd_ps(_mm_load_sd((const double *)(const void *)a)),
                        (const __m64 *)(const void *)b);
}
#endif

/* Outputs y[k ..] eight at a time while all their taps are inside x; returns the first
 * output not done (k itself if y[k .. k + 8) are not all inside). Lanes (re,
 * im) of two outputs per register, the taps duplicated (bank2): every sum is the scalar
 * loop's, over j in order from 0, bit for bit; only the four outputs of a register are
 * added at once. */
static size_t resamp_by8(const droneid_resamp *r, const float complex *x, size_t n,
                         float complex *y, size_t m, size_t k)
{
#if defined(__SSE2__)
    const int nt = 2 * r->half;
    for (; k + 8 <= m; k += 8) {
        const float *h[8], *xs[8];
        for (int u = 0; u < 8; u++) {
            long num = (long)(k + (size_t)u) * r->M;
            long c = num / r->L, p = num % r->L, i0 = c - r->half + 1;
            if (i0 < 0 || i0 + nt > (long)n)
                return k;
            h[u] = r->bank2 + 2 * p * nt;
            xs[u] = (const float *)(x + i0);
        }
        __m128 a0 = _mm_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        for (int j = 0; j < nt; j++) {
            a0 = _mm_add_ps(a0, _mm_mul_ps(load_pair(h[0] + 2 * j, h[1] + 2 * j),
                                           load_pair(xs[0] + 2 * j, xs[1] + 2 * j)));
            a1 = _mm_add_ps(a1, _mm_mul_ps(load_pair(h[2] + 2 * j, h[3] + 2 * j),
                                           load_pair(xs[2] + 2 * j, xs[3] + 2 * j)));
            a2 = _mm_add_ps(a2, _mm_mul_ps(load_pair(h[4] + 2 * j, h[5] + 2 * j),
                                           load_pair(xs[4] + 2 * j, xs[5] + 2 * j)));
            a3 = _mm_add_ps(a3, _mm_mul_ps(load_pair(h[6] + 2 * j, h[7] + 2 * j),
                                           load_pair(xs[6] + 2 * j, xs[7] + 2 * j)));
        }
        float o[16];
        _mm_storeu_ps(o, a0);
        _mm_storeu_ps(o + 4, a1);
        _mm_storeu_ps(o + 8, a2);
        _mm_storeu_ps(o + 12, a3);
        for (int u = 0; u < 8; u++)
            y[k + (size_t)u] = o[2 * u] + I * o[2 * u + 1]; /* as the scalar loop builds it */
    }
    return k;
#else
    (void)r, (void)x, (void)n, (void)y, (void)m;
    return k;
#endif
}

void droneid_resamp_run(const droneid_resamp *r, const float complex *x, size_t n,
                        double shift_hz, float complex *y, size_t cap, size_t *ny)
{
    size_t m = droneid_resamp_out_len(r, n);
    if (m > cap)
        m = cap;
    double ratio = r->fs_in / r->fs_out;
    double w = -2 * M_PI * shift_hz / r->fs_in;
    if (r->bank) {
        /* mix the whole input once (recursive phasor), then polyphase dot products */
        const float complex *src = x;
        float complex *mixed = NULL;
        if (shift_hz != 0.0) {
            mixed = malloc(sizeof(float complex) * (n ? n : 1));
            if (mixed) {
                droneid_mix(x, mixed, n, w);
                src = mixed;
            }
        }
        if (src != x || shift_hz == 0.0) {
            int nt = 2 * r->half;
            /* four outputs at a time where all their taps are inside x: eight independent
             * sums, each over j in order from 0 as for one output (the same result, bit for
             * bit), instead of two whose adds wait on each other */
            for (size_t k = 0; k < m;) {
                size_t k8 = r->simd ? resamp_by8(r, src, n, y, m, k) : k;
                if (k8 > k) {
                    k = k8;
                    continue;
                }
                const float *h4[4], *x4[4];
                int inside = k + 4 <= m;
                for (int u = 0; u < 4 && inside; u++) {
                    long num = (long)(k + (size_t)u) * r->M;
                    long c = num / r->L, p = num % r->L, i0 = c - r->half + 1;
                    inside = i0 >= 0 && i0 + nt <= (long)n;
                    h4[u] = r->bank + p * nt;
                    x4[u] = inside ? (const float *)(src + i0) : NULL;
                }
                if (inside) {
                    float re0 = 0, im0 = 0, re1 = 0, im1 = 0, re2 = 0, im2 = 0, re3 = 0, im3 = 0;
                    for (int j = 0; j < nt; j++) {
                        re0 += h4[0][j] * x4[0][2 * j];
                        im0 += h4[0][j] * x4[0][2 * j + 1];
                        re1 += h4[1][j] * x4[1][2 * j];
                        im1 += h4[1][j] * x4[1][2 * j + 1];
                        re2 += h4[2][j] * x4[2][2 * j];
                        im2 += h4[2][j] * x4[2][2 * j + 1];
                        re3 += h4[3][j] * x4[3][2 * j];
                        im3 += h4[3][j] * x4[3][2 * j + 1];
                    }
                    y[k] = re0 + I * im0;
                    y[k + 1] = re1 + I * im1;
                    y[k + 2] = re2 + I * im2;
                    y[k + 3] = re3 + I * im3;
                    k += 4;
                    continue;
                }
                long num = (long)k * r->M;
                long c = num / r->L, p = num % r->L;
                const float *h = r->bank + p * nt;
                long i0 = c - r->half + 1;
                float re = 0, im = 0;
                if (i0 >= 0 && i0 + nt <= (long)n) {
                    const float *xs = (const float *)(src + i0);
                    for (int j = 0; j < nt; j++) {
                        re += h[j] * xs[2 * j];
                        im += h[j] * xs[2 * j + 1];
                    }
                } else {
                    for (int j = 0; j < nt; j++) {
                        long i = i0 + j;
                        if (i >= 0 && i < (long)n) {
                            re += h[j] * crealf(src[i]);
                            im += h[j] * cimagf(src[i]);
                        }
                    }
                }
                y[k++] = re + I * im;
            }
            free(mixed);
            if (ny)
                *ny = m;
            return;
        }
        /* no memory for the mixed copy: fall through to the table path */
    }
    for (size_t k = 0; k < m; k++) {
        double tpos = (double)k * ratio;   /* in input samples */
        long c = (long)floor(tpos);
        long lo = c - r->half + 1, hi = c + r->half;
        if (lo < 0)
            lo = 0;
        if (hi > (long)n - 1)
            hi = (long)n - 1;
        float complex acc = 0;
        if (shift_hz == 0.0) {
            for (long i = lo; i <= hi; i++) {
                double tp = (tpos - (double)i) * RS_OVS + r->half * RS_OVS;
                int ti = (int)tp;
                if (ti < 0 || ti + 1 >= r->ntab)
                    continue;
                float f = (float)(tp - ti);
                acc += (r->tab[ti] + f * (r->tab[ti + 1] - r->tab[ti])) * x[i];
            }
        } else {
            /* mix before filtering (the filter is centred on the wanted band);
             * the phasor advances recursively over the few taps of one output */
            double complex ph = cexp(I * w * (double)lo), dph = cexp(I * w);
            for (long i = lo; i <= hi; i++, ph *= dph) {
                double tp = (tpos - (double)i) * RS_OVS + r->half * RS_OVS;
                int ti = (int)tp;
                if (ti < 0 || ti + 1 >= r->ntab)
                    continue;
                float f = (float)(tp - ti);
                acc += (r->tab[ti] + f * (r->tab[ti + 1] - r->tab[ti])) *
                       ((float complex)ph * x[i]);
            }
        }
        y[k] = acc;
    }
    if (ny)
        *ny = m;
}

/* ---- FFT ------------------------------------------------------------------------ */

void droneid_fft_twiddles(float complex tw[DRONEID_NFFT / 2])
{
    for (int k = 0; k < DRONEID_NFFT / 2; k++)
        tw[k] = (float complex)cexp(-2.0 * M_PI * I * k / DRONEID_NFFT);
}

/* The h twiddles of an FFT stage (every step-th of tw), conjugated when sg is -1. */
static inline void stage_twiddles(const float complex tw[DRONEID_NFFT / 2], int step, int h,
                                  float sg, float *wr, float *wi)
{
    for (int k = 0; k < h; k++) {
        wr[k] = crealf(tw[k * step]);
        wi[k] = sg * cimagf(tw[k * step]);
    }
}

PHY_HOT void droneid_fft(float complex *x, const float complex tw[DRONEID_NFFT / 2], int inverse)
{
    const int n = DRONEID_NFFT;
    for (int i = 1, j = 0; i < n; i++) {
        int bit = n >> 1;
        for (; j & bit; bit >>= 1)
            j ^= bit;
        j ^= bit;
        if (i < j) {
            float complex t = x[i];
            x[i] = x[j];
            x[j] = t;
        }
    }
    /* Radix-2 butterflies u +- v w, v w = (vr wr - vi wi, vr wi + vi wr): the products
     * and sums C's complex multiply makes for finite values (the only ones here), written
     * out so no NaN test follows each product, with each stage's twiddles (conjugated
     * for the inverse) gathered once into contiguous arrays */
    float *f = (float *)x;
    float wr[DRONEID_NFFT / 2], wi[DRONEID_NFFT / 2];
    const float sg = inverse ? -1.0f : 1.0f;
    for (int len = 2; len <= n; len <<= 1) {
        const int step = n / len, h = len / 2;
        stage_twiddles(tw, step, h, sg, wr, wi);
        for (int i = 0; i < n; i += len) {
            float *restrict u = f + 2 * i, *restrict v = f + 2 * (i + h);
            for (int k = 0; k < h; k++) {
                float ur = u[2 * k], ui = u[2 * k + 1], ar = v[2 * k], ai = v[2 * k + 1];
                float vr = ar * wr[k] - ai * wi[k], vi = ar * wi[k] + ai * wr[k];
                u[2 * k] = ur + vr;
                u[2 * k + 1] = ui + vi;
                v[2 * k] = ur - vr;
                v[2 * k + 1] = ui - vi;
            }
        }
    }
}

void droneid_fft_bitrev(int rev[DRONEID_NFFT])
{
    /* the permutation droneid_fft's swaps make: x'[i] = x[rev[i]] (rev is its own
     * inverse) */
    rev[0] = 0;
    for (int i = 1, j = 0; i < DRONEID_NFFT; i++) {
        int bit = DRONEID_NFFT >> 1;
        for (; j & bit; bit >>= 1)
            j ^= bit;
        j ^= bit;
        rev[i] = j;
    }
}

/* four lanes as one SSE/NEON register: elementwise IEEE operations, as the scalar ones */
typedef float lanes_v __attribute__((vector_size(4 * sizeof(float))));
_Static_assert(DRONEID_LANES == 4, "droneid_fft_lanes is written for 4 lanes");

PHY_HOT void droneid_fft_lanes(droneid_lanes *x, const float complex tw[DRONEID_NFFT / 2],
                               int inverse)
{
    /* droneid_fft's stages, twiddles and butterflies, each applied to every lane at once:
     * every lane gets the very products and sums droneid_fft makes */
    const int n = DRONEID_NFFT;
    float wr[DRONEID_NFFT / 2], wi[DRONEID_NFFT / 2];
    const float sg = inverse ? -1.0f : 1.0f;
    for (int len = 2; len <= n; len <<= 1) {
        const int step = n / len, h = len / 2;
        stage_twiddles(tw, step, h, sg, wr, wi);
        for (int i = 0; i < n; i += len)
            for (int k = 0; k < h; k++) {
                droneid_lanes *u = x + i + k, *v = x + i + k + h;
                lanes_v ur, ui, ar, ai;
                memcpy(&ur, u->re, sizeof ur);
                memcpy(&ui, u->im, sizeof ui);
                memcpy(&ar, v->re, sizeof ar);
                memcpy(&ai, v->im, sizeof ai);
                const lanes_v vr = ar * wr[k] - ai * wi[k], vi = ar * wi[k] + ai * wr[k];
                const lanes_v a = ur + vr, b = ui + vi, c = ur - vr, d = ui - vi;
                memcpy(u->re, &a, sizeof a);
                memcpy(u->im, &b, sizeof b);
                memcpy(v->re, &c, sizeof c);
                memcpy(v->im, &d, sizeof d);
            }
    }
}

void droneid_fft_windows(const float complex *y, size_t m, const long *start, int n,
                         const float complex tw[DRONEID_NFFT / 2], const int rev[DRONEID_NFFT],
                         droneid_lanes *work, float complex *const *X)
{
    for (int g = 0; g < n; g += DRONEID_LANES) {
        int c = n - g < DRONEID_LANES ? n - g : DRONEID_LANES;
        if (c < DRONEID_LANES)
            memset(work, 0, sizeof(droneid_lanes) * DRONEID_NFFT);
        for (int u = 0; u < c; u++)
            for (int k = 0; k < DRONEID_NFFT; k++) {
                long t = start[g + u] + k;
                float complex v = (t >= 0 && t < (long)m) ? y[t] : 0;
                work[rev[k]].re[u] = crealf(v);
                work[rev[k]].im[u] = cimagf(v);
            }
        droneid_fft_lanes(work, tw, 0);
        for (int u = 0; u < c; u++)
            for (int k = 0; k < DRONEID_NFFT; k++)
                X[g + u][k] = CMPLXF(work[k].re[u], work[k].im[u]);
    }
}
