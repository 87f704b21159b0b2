/* DJI DroneID receiver (see droneid.h; the payload codec is in droneid_payload.c, the
 * tracker bridge and the product table in droneid_info.c). */
#include "droneid.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "droneid_pre.h"
#include "sg_crc.h"
#include "sg_simd.h"
#include "turbo.h"

/* ---- receiver ----------------------------------------------------------------------- */

#define BACKOFF 4      /* FFT window starts this many samples into the CP (ISI margin) */
#define INT_CFO_MAX 16 /* subcarriers searched for the integer CFO around the band's
                          centre found in the burst's spectrum (+-240 kHz) */
#define K0_MAX 110     /* carriers (1.65 MHz): largest centre error searched; the
                          resampler passes +-6.2 MHz and the band is +-4.5 MHz */
#define RHO_MIN 0.2    /* CP metric below which a layout is not DroneID */
#define OCC_TOP 75     /* bins (1/8 of the 601) for the occupancy metric */
#define OCC_MAX 0.4    /* occupancy above which a layout is not DroneID: 600 equal
                          carriers give 0.13-0.21 from 30 dB down to -3 dB in-band SNR,
                          a narrow strong signal in the band ~1 */
#define PRE_MARGIN_S 100e-6 /* s kept on each side of the pre-test's burst timing */
#define TREFINE 24     /* samples searched around the CP timing with the ZC template */
#define MAX_ITERS 8
#define EDGE_PAD 96    /* zero samples added on each side (6.25 us) */

struct droneid_rx {
    double fs;
    double occ_max; /* occupancy above which a layout is refused (OCC_MAX) */
    droneid_pre *pre; /* the cheap test before resampling (droneid_pre.h) */
    double pre_cp_min, pre_occ_max;
    droneid_resamp *rs;
    float complex *y; /* burst at 15.36 Msps, CFO-corrected in place */
    float complex *y0; /* y as resampled: each sync hypothesis starts from a copy */
    size_t ycap;
    double complex *cps; /* prefix sums of y[d] conj(y[d+1024]) */
    double *eps;         /* prefix sums of |y[d]|^2 + |y[d+1024]|^2 */
    float complex tw[DRONEID_NFFT / 2];
    float complex zcf[2][DRONEID_NZC];    /* frequency-domain ZC 600, 147 */
    float complex zct[2][DRONEID_NFFT];   /* time-domain ZC symbols (no CP) */
    uint8_t gold[DRONEID_E];
    turbo_codec *tc;
    turbo_rm *rm;
    float llr[DRONEID_E];
    float l[3][DRONEID_K + 4];
    uint8_t bits[DRONEID_K];
    float complex Y[DRONEID_MAX_SYM][DRONEID_NFFT];
    int rev[DRONEID_NFFT];                  /* bit-reversed order (droneid_fft_lanes) */
    bool simd;                              /* SSE paths (droneid_rx_set_simd) */
    droneid_lanes lanes[DRONEID_NFFT];      /* int_cfo's transforms, DRONEID_LANES at once */
};

droneid_rx *droneid_rx_create(double fs, sg_errinfo *e)
{
    if (!(fs >= DRONEID_FS && fs <= 200e6)) {
        sg_err_set(e, SG_EINVAL, "droneid: sample rate %g Hz not in [15.36e6, 200e6]", fs);
        return NULL;
    }
    droneid_rx *q = calloc(1, sizeof *q);
    if (!q) {
        sg_err_set(e, SG_ENOMEM, "droneid: out of memory");
        return NULL;
    }
    q->fs = fs;
    q->occ_max = OCC_MAX;
#if defined(__SSE2__)
    q->simd = true;
#endif
    q->pre_cp_min = DRONEID_PRE_CP_MIN, q->pre_occ_max = DRONEID_PRE_OCC_MAX;
    q->pre = droneid_pre_create(fs, e);
    if (!q->pre) {
        droneid_rx_destroy(q);
        return NULL;
    }
    if (fs != DRONEID_FS) {
        q->rs = droneid_resamp_create(fs, DRONEID_FS, 6.2e6, e);
        if (!q->rs) {
            droneid_rx_destroy(q);
            return NULL;
        }
    }
    q->tc = turbo_create(DRONEID_K, DRONEID_QPP_F1, DRONEID_QPP_F2, e);
    q->rm = q->tc ? turbo_rm_create(DRONEID_K + 4, DRONEID_E, 0, e) : NULL;
    if (!q->rm) {
        droneid_rx_destroy(q);
        return NULL;
    }
    turbo_set_give_up(q->tc, true);
    droneid_fft_twiddles(q->tw);
    droneid_fft_bitrev(q->rev);
    droneid_gold(DRONEID_GOLD_SEED, q->gold, DRONEID_E);
    const int roots[2] = {600, 147};
    for (int z = 0; z < 2; z++) {
        droneid_zc(roots[z], q->zcf[z]);
        memset(q->zct[z], 0, sizeof q->zct[z]);
        for (int i = 0; i < DRONEID_NZC; i++)
            q->zct[z][(i - 300 + DRONEID_NFFT) % DRONEID_NFFT] = q->zcf[z][i];
        droneid_fft(q->zct[z], q->tw, 1);
    }
    return q;
}

void droneid_rx_destroy(droneid_rx *q)
{
    if (!q)
        return;
    droneid_resamp_destroy(q->rs);
    droneid_pre_destroy(q->pre);
    turbo_destroy(q->tc);
    turbo_rm_destroy(q->rm);
    free(q->y);
    free(q->y0);
    free(q->cps);
    free(q->eps);
    free(q);
}

double droneid_rx_rate(const droneid_rx *q) { return q ? q->fs : 0; }

int droneid_rx_set_occupancy_max(droneid_rx *q, double occ_max)
{
    if (!q || !(occ_max >= 0.125 && occ_max <= 1))
        return SG_EINVAL;
    q->occ_max = occ_max;
    return SG_OK;
}

int droneid_rx_set_simd(droneid_rx *q, bool on)
{
    if (!q)
        return SG_EINVAL;
    int rc = sg_simd_switch(&q->simd, on);
    if (rc)
        return rc;
    if (q->rs)
        droneid_resamp_set_simd(q->rs, on);
    turbo_set_simd(q->tc, on);
    return SG_OK;
}

int droneid_rx_set_turbo_give_up(droneid_rx *q, bool on)
{
    return q ? turbo_set_give_up(q->tc, on) : SG_EINVAL;
}

int droneid_rx_set_pretest(droneid_rx *q, double cp_min, double occ_max)
{
    if (!q || !(cp_min >= 0 && cp_min <= 1) || !(occ_max >= 0.125 && occ_max <= 1))
        return SG_EINVAL;
    q->pre_cp_min = cp_min, q->pre_occ_max = occ_max;
    return SG_OK;
}

static int ensure_cap(droneid_rx *q, size_t m)
{
    if (m <= q->ycap)
        return SG_OK;
    float complex *y = realloc(q->y, sizeof(float complex) * m);
    if (!y)
        return SG_ENOMEM;
    q->y = y;
    float complex *y0 = realloc(q->y0, sizeof(float complex) * m);
    if (!y0)
        return SG_ENOMEM;
    q->y0 = y0;
    double complex *c = realloc(q->cps, sizeof(double complex) * (m + 1));
    if (!c)
        return SG_ENOMEM;
    q->cps = c;
    double *en = realloc(q->eps, sizeof(double) * (m + 1));
    if (!en)
        return SG_ENOMEM;
    q->eps = en;
    q->ycap = m;
    return SG_OK;
}

/* y[k] *= e^(-2 pi i f_hz k / 15.36 MHz) */
static void mix(float complex *y, size_t m, double f_hz)
{
    droneid_mix(y, y, m, -2.0 * M_PI * f_hz / DRONEID_FS);
}

typedef struct {
    const droneid_layout *l;
    long s;        /* burst start in y */
    double rho;    /* CP metric */
    double cfo;    /* Hz found so far */
    double zc;     /* ZC metric */
} sync_t;

/* CP search over every start: the last 72 samples of each CP against the symbol tail. */
static int cp_search(droneid_rx *q, size_t m, const droneid_layout *l, sync_t *st)
{
    if (m < (size_t)l->len)
        return SG_ETRUNC;
    long best = -1;
    double bestv = -1;
    double complex bestM = 0;
    double bestE = 0;
    for (long s = 0; s + l->len <= (long)m; s++) {
        double complex M = 0;
        double E = 0;
        for (int i = 0; i < l->nsym; i++) {
            long a = s + l->start[i] + l->cp[i] - DRONEID_CP_SHORT;
            M += q->cps[a + DRONEID_CP_SHORT] - q->cps[a];
            E += q->eps[a + DRONEID_CP_SHORT] - q->eps[a];
        }
        /* |M| only where it may beat the best: |M|^2 clearly below bestv^2 cannot (the
         * relative errors are ~1e-16), so the same s wins as with cabs everywhere */
        double n2 = creal(M) * creal(M) + cimag(M) * cimag(M);
        if (bestv >= 0 && n2 < bestv * bestv * (1 - 1e-9))
            continue;
        double v = cabs(M);
        if (v > bestv) {
            bestv = v, best = s, bestM = M, bestE = E;
        }
    }
    st->l = l;
    st->s = best;
    st->rho = bestE > 0 ? 2.0 * bestv / bestE : 0;
    st->cfo = -carg(bestM) * DRONEID_FS / (2.0 * M_PI * DRONEID_NFFT);
    return SG_OK;
}

/* FFTs of symbols sym[0..n) of the burst starting at s into X[sym[i]] (each window
 * BACKOFF samples into its CP), DRONEID_LANES at once. */
static void symbol_ffts(droneid_rx *q, size_t m, const droneid_layout *l, long s, const int *sym,
                        int n, float complex (*X)[DRONEID_NFFT])
{
    long start[DRONEID_MAX_SYM];
    float complex *out[DRONEID_MAX_SYM];
    for (int i = 0; i < n; i++) {
        start[i] = s + l->start[sym[i]] + l->cp[sym[i]] - BACKOFF;
        out[i] = X[sym[i]];
    }
    droneid_fft_windows(q->y, m, start, n, q->tw, q->rev, q->lanes, out);
}

static const int all_syms[DRONEID_MAX_SYM] = {0, 1, 2, 3, 4, 5, 6, 7, 8};

/* Where the burst's 601 carriers sit, from its own spectrum: the power of every symbol
 * (DFT-aligned at the CP timing, after the fractional CFO) summed per bin, then the
 * 601-bin window with the most energy. Returns its offset from the nominal position
 * in carriers (15 kHz), clamped to +-K0_MAX: the front end's centre estimate of a weak
 * burst can be off by several hundred kHz, more than the integer search spans. */
static int band_offset(droneid_rx *q, size_t m, const sync_t *st, double *occ)
{
    double P[2 * DRONEID_NFFT + 1];
    memset(P, 0, sizeof P);
    /* the symbols' spectra in q->Y (scratch until the demodulation; int_cfo reads the
     * ZC symbols' there) */
    symbol_ffts(q, m, st->l, st->s, all_syms, st->l->nsym, q->Y);
    for (int i = 0; i < st->l->nsym; i++)
        for (int k = 0; k < DRONEID_NFFT; k++)
            P[k + 1] += droneid_norm2(q->Y[i][k]);
    droneid_power_prefix(P);
    const int w = DRONEID_NZC; /* 601 bins: 600 carriers and DC */
    int best = 0, besta = 0;
    double bestv = -1;
    for (int k0 = -K0_MAX; k0 <= K0_MAX; k0++) {
        int a = (k0 - w / 2 + 2 * DRONEID_NFFT) % DRONEID_NFFT;
        double v = P[a + w] - P[a];
        if (v > bestv) {
            bestv = v;
            best = k0;
            besta = a;
        }
    }
    /* occupancy: share of the window's energy in its strongest OCC_TOP bins */
    *occ = droneid_top_share(P, besta, w, OCC_TOP);
    return best;
}

/* Integer CFO: for each candidate shift around k0, correlate the ZC symbols' spectra
 * with the known ZC and take the peak over all lags (inverse FFT of the product), which
 * is coherent over the 600 carriers yet insensitive to the residual timing error. */
static int int_cfo(droneid_rx *q, const sync_t *st, int k0)
{
    /* the ZC symbols' spectra band_offset left in q->Y (same samples, same timing) */
    const float complex *X[2] = {q->Y[st->l->zc_sym[0]], q->Y[st->l->zc_sym[1]]};
    int bestq = 0;
    double bestv = -1;
    /* lane 2 u + z: shift sh0 + u, ZC symbol z; shifts in order, then bins, as one at a
     * time (the same first maximum) */
    const int per = DRONEID_LANES / 2, sh_end = k0 + INT_CFO_MAX + 1;
    for (int sh0 = k0 - INT_CFO_MAX; sh0 < sh_end; sh0 += per) {
        memset(q->lanes, 0, sizeof q->lanes);
        for (int u = 0; u < per && sh0 + u < sh_end; u++)
            for (int z = 0; z < 2; z++)
                for (int i = 0; i < DRONEID_NZC; i++) {
                    int b = (i - 300 + sh0 + u + 2 * DRONEID_NFFT) % DRONEID_NFFT;
                    float complex p = droneid_mulc(X[z][b], q->zcf[z][i]);
                    droneid_lanes *d = &q->lanes[q->rev[(i - 300 + DRONEID_NFFT) % DRONEID_NFFT]];
                    d->re[2 * u + z] = crealf(p);
                    d->im[2 * u + z] = cimagf(p);
                }
        droneid_fft_lanes(q->lanes, q->tw, 1);
        for (int u = 0; u < per && sh0 + u < sh_end; u++)
            for (int k = 0; k < DRONEID_NFFT; k++) {
                const droneid_lanes *d = &q->lanes[k];
                float acc = 0;
                for (int z = 0; z < 2; z++)
                    acc += droneid_norm2(CMPLXF(d->re[2 * u + z], d->im[2 * u + z]));
                if (acc > bestv) {
                    bestv = acc;
                    bestq = sh0 + u;
                }
            }
    }
    return bestq;
}

/* ZC correlation of symbol z at y[a ..]: |sum y conj(zct)| into *v, sqrt(sum |y|^2)
 * into *en (added). */
static void zc_corr(const droneid_rx *q, long a, int z, double *v, double *en)
{
    float complex acc = 0;
    float e = 0;
    for (int k = 0; k < DRONEID_NFFT; k++) {
        acc += droneid_mulc(q->y[a + k], q->zct[z][k]);
        e += droneid_norm2(q->y[a + k]);
    }
    *v += cabsf(acc);
    *en += sqrt((double)e);
}

#if defined(__SSE2__)
/* zc_corr at a, a + 1, a + 2, a + 3 at once: one lane per start, each sum over k in
 * order (the same values bit for bit); y[a + k .. a + k + 4) is one 32-byte load. */
static void zc_corr4(const droneid_rx *q, long a, int z, double *v, double *en)
{
    __m128 ar = _mm_setzero_ps(), ai = ar, e = ar;
    const __m128 sign = _mm_set1_ps(-0.0f);
    const float *y = (const float *)(q->y + a);
    for (int k = 0; k < DRONEID_NFFT; k++) {
        const __m128 l0 = _mm_loadu_ps(y + 2 * k), l1 = _mm_loadu_ps(y + 2 * k + 4);
        const __m128 yr = _mm_shuffle_ps(l0, l1, _MM_SHUFFLE(2, 0, 2, 0));
        const __m128 yi = _mm_shuffle_ps(l0, l1, _MM_SHUFFLE(3, 1, 3, 1));
        const __m128 br = _mm_set1_ps(crealf(q->zct[z][k]));
        const __m128 bi = _mm_set1_ps(-cimagf(q->zct[z][k]));
        /* droneid_mulc and droneid_norm2, lane by lane */
        ar = _mm_add_ps(ar, _mm_sub_ps(_mm_mul_ps(yr, br), _mm_mul_ps(yi, bi)));
        ai = _mm_add_ps(ai, _mm_add_ps(_mm_mul_ps(yr, bi), _mm_mul_ps(yi, br)));
        e = _mm_add_ps(e, _mm_sub_ps(_mm_mul_ps(yr, yr), _mm_mul_ps(yi, _mm_xor_ps(yi, sign))));
    }
    float r[4], i[4], en4[4];
    _mm_storeu_ps(r, ar);
    _mm_storeu_ps(i, ai);
    _mm_storeu_ps(en4, e);
    for (int u = 0; u < 4; u++) {
        v[u] += cabsf(CMPLXF(r[u], i[u]));
        en[u] += sqrt((double)en4[u]);
    }
}
#endif

/* Timing refinement: ZC time-domain correlation around the CP estimate. */
static void zc_refine(droneid_rx *q, size_t m, sync_t *st)
{
    const droneid_layout *l = st->l;
    double v[2 * TREFINE + 1] = {0}, en[2 * TREFINE + 1] = {0};
    for (int z = 0; z < 2; z++) {
        long a0 = st->s + l->start[l->zc_sym[z]] + l->cp[l->zc_sym[z]];
        for (long d = -TREFINE; d <= TREFINE;) {
            long a = a0 + d;
#if defined(__SSE2__)
            if (q->simd && d + 3 <= TREFINE && a >= 0 && a + 3 + DRONEID_NFFT <= (long)m) {
                zc_corr4(q, a, z, v + d + TREFINE, en + d + TREFINE);
                d += 4;
                continue;
            }
#endif
            if (a >= 0 && a + DRONEID_NFFT <= (long)m)
                zc_corr(q, a, z, v + d + TREFINE, en + d + TREFINE);
            d++;
        }
    }
    long best = st->s;
    double bestv = -1, bestn = 0;
    for (long d = -TREFINE; d <= TREFINE; d++)
        if (v[d + TREFINE] > bestv) {
            bestv = v[d + TREFINE], best = st->s + d, bestn = en[d + TREFINE];
        }
    /* ||zct|| = sqrt(600 * 1024) for unit carriers and an unnormalised inverse FFT */
    double tn = sqrt(600.0 * DRONEID_NFFT);
    st->zc = bestn > 0 ? bestv / (bestn * tn) : 0;
    st->s = best;
}

static int crc_check(const uint8_t *bits, int K, void *arg)
{
    uint8_t *block = arg;
    int nz = 0;
    for (int i = 0; i < K / 8; i++) {
        uint8_t v = 0;
        for (int b = 0; b < 8; b++)
            v = (uint8_t)(v << 1 | bits[8 * i + b]);
        block[i] = v;
        nz |= v;
    }
    /* an all-zero block has a zero CRC: never accept it (silence decodes to it) */
    return nz && sg_crc(&SG_CRC24A, block, (size_t)K / 8) == 0;
}

int droneid_rx_decode(droneid_rx *q, const float complex *iq, size_t n,
                      double freq_offset_hz, droneid_msg *out, droneid_diag *diag)
{
    droneid_diag dg;
    memset(&dg, 0, sizeof dg);
    dg.known_sym_errors = -1;
    dg.occupancy = -1;
    if (diag)
        *diag = dg;
    if (!q || !iq || !out || !isfinite(freq_offset_hz) ||
        fabs(freq_offset_hz) > q->fs / 2)
        return SG_EINVAL;
    if ((double)n > q->fs * 0.02)
        return SG_ERANGE;
    if (!droneid_all_finite(iq, n))
        return SG_EINVAL;

    /* zero margins around the burst: a front end that trims a few microseconds off
     * either edge still leaves a complete symbol grid to search */
    size_t m_in = q->rs ? droneid_resamp_out_len(q->rs, n) : n;
    if (m_in + 2 * EDGE_PAD < (size_t)droneid_layout_get(8)->len)
        return SG_ETRUNC;
    /* the cheap test at the capture rate: most non-DroneID bursts end here, before the
     * resampler */
    droneid_pre_result pr = {.verdict = DRONEID_PRE_PASS, .occupancy = -1};
    if (q->pre_cp_min > 0 || q->pre_occ_max < 1) {
        int prc = droneid_pre_run(q->pre, iq, n, freq_offset_hz, q->pre_cp_min, q->pre_occ_max,
                                  &pr);
        if (prc != SG_OK)
            return prc;
    }
    dg.pre_verdict = pr.verdict;
    dg.pre_cp_metric = pr.cp_metric;
    dg.pre_occupancy = pr.occupancy;
    if (pr.verdict != DRONEID_PRE_PASS) {
        dg.rejected = true;
        if (diag)
            *diag = dg;
        return SG_ENOTFOUND;
    }
    /* a region much longer than the burst the pre-test found: only that burst and
     * PRE_MARGIN_S on each side are resampled and searched (the caller searches what is
     * left on either side of a decoded burst again, droneid_burst.h) */
    size_t a0 = 0;
    if (pr.nsym) {
        double len = droneid_layout_get(pr.nsym)->len / DRONEID_FS * q->fs;
        double m_s = PRE_MARGIN_S * q->fs, lo = pr.start - m_s, hi = pr.start + len + m_s;
        size_t a = lo > 0 ? (size_t)lo : 0, b = hi < (double)n ? (size_t)ceil(hi) : n;
        size_t mt = b > a ? (q->rs ? droneid_resamp_out_len(q->rs, b - a) : b - a) : 0;
        if (b > a && b - a < n && mt + 2 * EDGE_PAD >= (size_t)droneid_layout_get(8)->len) {
            a0 = a;
            iq += a;
            n = b - a;
            m_in = mt;
        }
    }
    size_t m = m_in + 2 * EDGE_PAD;
    if (ensure_cap(q, m))
        return SG_ENOMEM;
    memset(q->y, 0, sizeof(float complex) * EDGE_PAD);
    memset(q->y + EDGE_PAD + m_in, 0, sizeof(float complex) * EDGE_PAD);
    if (q->rs) {
        size_t got = 0;
        droneid_resamp_run(q->rs, iq, n, freq_offset_hz, q->y + EDGE_PAD, m_in, &got);
    } else {
        memcpy(q->y + EDGE_PAD, iq, sizeof(float complex) * n);
        if (freq_offset_hz != 0)
            mix(q->y + EDGE_PAD, m_in, freq_offset_hz);
    }
    /* prefix sums for the CP metric */
    q->cps[0] = 0, q->eps[0] = 0;
    size_t mc = m - DRONEID_NFFT;
    for (size_t d = 0; d < mc; d++) {
        float complex a = q->y[d], b = q->y[d + DRONEID_NFFT];
        q->cps[d + 1] = q->cps[d] + (double complex)droneid_mulc(a, b);
        q->eps[d + 1] = q->eps[d] + (double)(droneid_norm2(a) + droneid_norm2(b));
    }

    /* sync on both layouts; keep the one whose ZC symbols match best. A layout whose
     * CP metric is below RHO_MIN cannot pass the check below: it skips the costly
     * centre and integer-CFO searches (most non-DroneID bursts end here). So does one
     * whose band, at that timing, is not occupied evenly (occupancy above OCC_MAX: a
     * narrow strong signal, e.g. an ELRS packet, inside a wide front-end region). */
    sync_t best = {0}, weak = {0};
    best.zc = -1;
    weak.rho = -1;
    int any = 0;
    double occ_best = -1;
    /* each hypothesis mixes y in place; y0 keeps the burst as resampled. y_is: 0 y equals
     * y0, 1 mixed by another hypothesis, 2 mixed by best's CFO */
    memcpy(q->y0, q->y, sizeof(float complex) * m);
    int y_is = 0;
    for (int nsym = 9; nsym >= 8; nsym--) {
        sync_t st;
        if (cp_search(q, mc + DRONEID_NFFT, droneid_layout_get(nsym), &st))
            continue;
        any = 1;
        if (st.rho < RHO_MIN) {
            if (st.rho > weak.rho)
                weak = st;
            continue;
        }
        if (y_is)
            memcpy(q->y, q->y0, sizeof(float complex) * m);
        y_is = 1;
        mix(q->y, m, st.cfo);
        double occ = 1;
        int k0 = band_offset(q, m, &st, &occ);
        if (occ > occ_best)
            occ_best = occ;
        if (q->occ_max < 1 && occ > q->occ_max) {
            if (st.rho > weak.rho)
                weak = st;
            continue;
        }
        int iq_ = int_cfo(q, &st, k0);
        mix(q->y, m, iq_ * 15e3);
        st.cfo += iq_ * 15e3;
        zc_refine(q, m, &st);
        /* a 9-symbol burst also fits the 8-symbol layout one symbol later (same ZC
         * and data positions): keep 9 unless 8 is clearly better */
        if (st.zc > best.zc + (nsym == 8 ? 0.02 : 0.0)) {
            best = st;
            y_is = 2;
        }
        if (best.zc >= 0.5)
            break; /* clear 9-symbol sync: the 8-symbol hypothesis cannot beat it */
    }
    if (!any) {
        if (diag)
            *diag = dg;
        return SG_ETRUNC;
    }
    if (!best.l) {
        dg.rejected = true;
        weak.zc = 0;
        best = weak; /* reported in diag, refused below */
    }
    dg.stage = DRONEID_STAGE_SYNC;
    dg.nsym = best.l->nsym;
    dg.cp_metric = best.rho;
    dg.occupancy = occ_best;
    dg.zc_metric = best.zc;
    dg.cfo_hz = best.cfo;
    dg.start_s = ((double)best.s - EDGE_PAD) / DRONEID_FS + (double)a0 / q->fs;
    if (best.rho < RHO_MIN || best.zc < 0.2) {
        if (diag)
            *diag = dg;
        return SG_ENOTFOUND;
    }
    dg.stage = DRONEID_STAGE_ZC;
    const droneid_layout *l = best.l;
    if (y_is != 2) {
        memcpy(q->y, q->y0, sizeof(float complex) * m);
        mix(q->y, m, best.cfo);
    }

    /* residual CFO from the phase drift between the two ZC symbols */
    float complex H[2][DRONEID_NCARR];
    symbol_ffts(q, m, l, best.s, l->zc_sym, 2, q->Y);
    for (int z = 0; z < 2; z++) {
        for (int j = 0; j < DRONEID_NCARR; j++) {
            int zi = j < 300 ? j : j + 1;
            H[z][j] = q->Y[l->zc_sym[z]][droneid_carrier_bin(j)] / q->zcf[z][zi];
        }
    }
    double complex acc = 0;
    for (int j = 0; j < DRONEID_NCARR; j++)
        acc += H[1][j] * conjf(H[0][j]);
    int dz = l->start[l->zc_sym[1]] + l->cp[l->zc_sym[1]] - l->start[l->zc_sym[0]] -
             l->cp[l->zc_sym[0]];
    double fres = carg(acc) * DRONEID_FS / (2.0 * M_PI * dz);
    mix(q->y, m, fres);
    dg.cfo_hz += fres;

    symbol_ffts(q, m, l, best.s, all_syms, l->nsym, q->Y);
    float complex Hs[DRONEID_NCARR];
    double sig = 0, noise = 0;
    for (int j = 0; j < DRONEID_NCARR; j++) {
        int zi = j < 300 ? j : j + 1, b = droneid_carrier_bin(j);
        H[0][j] = q->Y[l->zc_sym[0]][b] / q->zcf[0][zi];
        H[1][j] = q->Y[l->zc_sym[1]][b] / q->zcf[1][zi];
    }
    for (int j = 0; j < DRONEID_NCARR; j++) {
        float complex a = 0;
        int cnt = 0;
        for (int k = j - 2; k <= j + 2; k++)
            if (k >= 0 && k < DRONEID_NCARR) {
                a += H[0][k] + H[1][k];
                cnt += 2;
            }
        Hs[j] = a / (float)cnt;
        float complex d = H[0][j] - H[1][j];
        noise += crealf(d * conjf(d)) / 2.0;
        sig += crealf(Hs[j] * conjf(Hs[j]));
    }
    double nvar = noise / DRONEID_NCARR; /* per-carrier noise variance */
    if (nvar <= 0)
        nvar = 1e-12 * (sig / DRONEID_NCARR + 1e-30);
    dg.snr_db = 10 * log10((sig / DRONEID_NCARR) / nvar + 1e-30);

    /* pick the constellation orientation with the known symbol (9-symbol bursts) */
    int rot = 0, conj = 0;
    if (l->known_sym >= 0) {
        int beste = 1 << 30;
        for (int cj = 0; cj < 2; cj++)
            for (int r = 0; r < 4; r++) {
                int errs = 0;
                float complex rr = cpowf(I, -(float)r);
                for (int j = 0; j < DRONEID_NCARR; j++) {
                    float complex v = q->Y[l->known_sym][droneid_carrier_bin(j)] * conjf(Hs[j]) * rr;
                    if (cj)
                        v = conjf(v);
                    errs += (crealf(v) < 0) != q->gold[2 * j];
                    errs += (cimagf(v) < 0) != q->gold[2 * j + 1];
                }
                if (errs < beste) {
                    beste = errs, rot = r, conj = cj;
                }
            }
        dg.known_sym_errors = beste;
        /* no known symbol in front (noise gives ~50 % errors, a real one < 30 % even
         * at the decoding limit): a legacy 8-symbol burst (same data positions) */
        if (beste > 450) {
            dg.nsym = 8;
            rot = conj = 0; /* the orientation picked on noise means nothing */
        }
    }
    float complex rr = cpowf(I, -(float)rot);
    double evm = 0;
    float scale = (float)(2.0 * M_SQRT2 / nvar);
    for (int d = 0; d < 6; d++) {
        const float complex *Yd = q->Y[l->data_sym[d]];
        for (int j = 0; j < DRONEID_NCARR; j++) {
            float complex v = Yd[droneid_carrier_bin(j)] * conjf(Hs[j]) * rr;
            if (conj)
                v = conjf(v);
            float h2 = crealf(Hs[j] * conjf(Hs[j]));
            if (h2 > 0) {
                float complex eq = v / h2;
                float complex hard = (crealf(eq) < 0 ? -1.0f : 1.0f) * (float)M_SQRT1_2 +
                                     I * (cimagf(eq) < 0 ? -1.0f : 1.0f) * (float)M_SQRT1_2;
                float complex err = eq - hard;
                evm += crealf(err * conjf(err));
            }
            int k = 1200 * d + 2 * j;
            float li = crealf(v) * scale, lq = cimagf(v) * scale;
            q->llr[k] = q->gold[k] ? -li : li;
            q->llr[k + 1] = q->gold[k + 1] ? -lq : lq;
        }
    }
    dg.evm_db = 10 * log10(evm / (6.0 * DRONEID_NCARR) + 1e-30);
    dg.stage = DRONEID_STAGE_DEMOD;

    turbo_rm_dematch(q->rm, q->llr, q->l[0], q->l[1], q->l[2]);
    int it = 0;
    int rc = turbo_decode(q->tc, q->l[0], q->l[1], q->l[2], MAX_ITERS, crc_check, dg.block,
                          q->bits, &it);
    dg.stage = DRONEID_STAGE_TURBO;
    dg.turbo_iters = it;
    if (rc == SG_OK) {
        dg.stage = DRONEID_STAGE_CRC;
        dg.crc24_ok = true;
        droneid_parse(dg.block, out);
        out->nsym = (uint8_t)dg.nsym;
        dg.crc16_ok = out->crc16_ok;
    }
    if (diag)
        *diag = dg;
    return rc == SG_OK ? SG_OK : SG_ECRC;
}
