/* Bluetooth LE Coded PHY framing and receiver (see ble_coded.h). */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O3", "no-trapping-math") /* vectorises the comb and discriminator */
#endif
#include "ble_coded.h"

#include <complex.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ble_ll.h"
#include "ble_dsp.h"

#define SPS 4                    /* samples per symbol after decimation */
#define DEV_HZ 250e3             /* frequency deviation at h = 0.5 */
#define CUTOFF_HZ 0.75e6         /* channel filter: GFSK main lobe + offset margin */
#define SYNC_SYMS (BLE_CODED_PREAMBLE + 256) /* preamble + S=8 coded access address */
#define B2_START (SYNC_SYMS + 40)            /* + CI and TERM1, S=8 coded */
#define B2_MAX_BITS (8 * BLE_EXT_PDU_MAX + 24 + 3)
#define HDR_WINDOW (16 + 24)     /* bits decoded to read the header reliably */
#define PRE_THRESHOLD 0.3        /* comb pre-check on the preamble alone */
#define MAX_SAMPLES (SPS * BLE_CODED_MAX_SYMBOLS + 64)
#define COMB_W (8 * SPS)         /* decimated samples per preamble period */
#define COMB_BATCH 64            /* positions pre-checked at once */

/* ---- framing ------------------------------------------------------------------- */

/* K = 4 encoder: state bit 0 = previous input, bit 1 = the one before, bit 2 = third. */
static void fec_step(int *st, int b, uint8_t *a0, uint8_t *a1)
{
    int s = *st;
    *a0 = (uint8_t)(b ^ (s & 1) ^ ((s >> 1) & 1) ^ ((s >> 2) & 1));
    *a1 = (uint8_t)(b ^ ((s >> 1) & 1) ^ ((s >> 2) & 1));
    *st = ((s << 1) | b) & 7;
}

static size_t put_coded(const uint8_t *bits, size_t n, int s, int *st, uint8_t *sym)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t a[2];
        fec_step(st, bits[i], &a[0], &a[1]);
        for (int j = 0; j < 2; j++) {
            if (s == 2) {
                sym[k++] = a[j];
            } else { /* 1 -> 1100, 0 -> 0011 */
                sym[k++] = a[j];
                sym[k++] = a[j];
                sym[k++] = (uint8_t)!a[j];
                sym[k++] = (uint8_t)!a[j];
            }
        }
    }
    return k;
}

static size_t block1_bits(int ci, uint8_t *b)
{
    size_t k = 0;
    for (int i = 0; i < 32; i++)
        b[k++] = (uint8_t)((BLE_AA_ADV >> i) & 1u);
    b[k++] = (uint8_t)(ci & 1);
    b[k++] = (uint8_t)((ci >> 1) & 1);
    for (int i = 0; i < 3; i++)
        b[k++] = 0;
    return k;
}

int ble_coded_symbols(const uint8_t *pdu, size_t len, int channel, int s, uint8_t *sym,
                      size_t cap, size_t *n)
{
    if (!pdu || !sym || !n || len < 2 || len > BLE_EXT_PDU_MAX || len != 2u + pdu[1] ||
        channel < 0 || channel > 39 || (s != 2 && s != 8))
        return SG_EINVAL;
    size_t nb2 = 8 * len + 24 + 3;
    size_t need = BLE_CODED_PREAMBLE + 37 * 8 + nb2 * 2 * (size_t)(s / 2);
    if (cap < need)
        return SG_EOVERFLOW;
    size_t k = 0;
    for (int i = 0; i < BLE_CODED_PREAMBLE; i++)
        sym[k++] = (uint8_t)((0x3C >> (7 - i % 8)) & 1); /* 0 0 1 1 1 1 0 0 */
    uint8_t b[B2_MAX_BITS];
    int st = 0;
    size_t n1 = block1_bits(s == 2 ? 1 : 0, b);
    k += put_coded(b, n1, 8, &st, sym + k);
    size_t m = 0;
    for (size_t i = 0; i < len; i++)
        for (int j = 0; j < 8; j++)
            b[m++] = (uint8_t)((pdu[i] >> j) & 1u);
    uint32_t crc = ble_crc24_bits(b, m, BLE_CRC_INIT_ADV);
    for (int i = 23; i >= 0; i--)
        b[m++] = (uint8_t)((crc >> i) & 1u);
    ble_whiten_bits(b, m, channel);
    for (int i = 0; i < 3; i++)
        b[m++] = 0;
    st = 0;
    k += put_coded(b, m, s, &st, sym + k);
    *n = k;
    return SG_OK;
}

/* ---- receiver ------------------------------------------------------------------ */

struct ble_coded_rx {
    ble_coded_cfg cfg;
    int D;                        /* decimation to SPS */
    float *taps;
    int nt;
    float complex *hist;          /* doubled ring of nt */
    int hpos, cnt;
    double complex rot, step;
    float complex prev;
    bool have_prev;
    float *d;                     /* soft frequency, +-1 at full deviation (detection) */
    float complex *y;             /* the filtered samples themselves (decoding) */
    size_t len, cap, scan;
    size_t wait_len;              /* a packet at scan needs this many samples buffered */
    uint64_t base;                /* decimated index of d[0] */
    uint64_t in0;                 /* input index of decimated sample 0 */
    bool started;
    double t0, fs;
    float sync_pat[SYNC_SYMS];    /* +-1 */
    float ci_pat[2][40];
    float complex tmpl[4 * SPS]; /* phase trajectory of an S=8 "1" (1100) */
    float complex derot;         /* the packet's carrier turn per symbol, taken out */
    uint8_t wseq[B2_MAX_BITS];    /* whitening sequence of the channel */
    float soft[2 * B2_MAX_BITS];  /* per coded bit */
    uint8_t dec[B2_MAX_BITS];     /* Viterbi decisions: bit s set = survivor from the odd predecessor */
    uint8_t bits[B2_MAX_BITS];
    ble_coded_stats st;
};

void ble_coded_cfg_default(ble_coded_cfg *c)
{
    c->sample_rate = 4e6;
    c->offset_hz = 0;
    c->channel = 37;
    c->sync_threshold = 0.35;
    c->prefiltered = false;
}

void ble_coded_destroy(ble_coded_rx *q)
{
    if (!q)
        return;
    free(q->taps);
    free(q->hist);
    free(q->d);
    free(q->y);
    free(q);
}

double ble_coded_filter_gain(double f_hz) { return ble_fir_gain_4m(CUTOFF_HZ, f_hz); }

ble_coded_rx *ble_coded_create(const ble_coded_cfg *c, sg_errinfo *e)
{
    if (!c) {
        sg_err_set(e, SG_EINVAL, "ble_coded: no configuration");
        return NULL;
    }
    double r = c->sample_rate / 4e6;
    if (!(r >= 1 && r <= 8 && fabs(r - round(r)) < 1e-9)) {
        sg_err_set(e, SG_EINVAL, "ble_coded: sample_rate must be 4 MHz times 1..8, got %g",
                   c->sample_rate);
        return NULL;
    }
    if (!isfinite(c->offset_hz) || fabs(c->offset_hz) + 1e6 > c->sample_rate / 2) {
        sg_err_set(e, SG_ERANGE, "ble_coded: offset_hz %g puts the channel outside the band",
                   c->offset_hz);
        return NULL;
    }
    if (c->prefiltered && fabs(c->sample_rate - 4e6) > 1e-3) {
        sg_err_set(e, SG_EINVAL, "ble_coded: prefiltered input must be at 4 MHz, got %g",
                   c->sample_rate);
        return NULL;
    }
    if (c->channel < 0 || c->channel > 39) {
        sg_err_set(e, SG_EINVAL, "ble_coded: channel must be 0..39, got %d", c->channel);
        return NULL;
    }
    if (!(c->sync_threshold >= 0.2 && c->sync_threshold <= 0.95)) {
        sg_err_set(e, SG_EINVAL, "ble_coded: sync_threshold must be in [0.2, 0.95], got %g",
                   c->sync_threshold);
        return NULL;
    }
    ble_coded_rx *q = calloc(1, sizeof *q);
    if (!q) {
        sg_err_set(e, SG_ENOMEM, "ble_coded: out of memory");
        return NULL;
    }
    q->cfg = *c;
    q->fs = c->sample_rate;
    q->D = (int)lround(r);
    q->nt = 16 * q->D + 1;
    q->cap = 2 * (size_t)MAX_SAMPLES;
    q->taps = malloc((size_t)q->nt * sizeof *q->taps);
    q->hist = calloc(2 * (size_t)q->nt, sizeof *q->hist);
    q->d = malloc(q->cap * sizeof *q->d);
    q->y = malloc(q->cap * sizeof *q->y);
    if (!q->taps || !q->hist || !q->d || !q->y) {
        ble_coded_destroy(q);
        sg_err_set(e, SG_ENOMEM, "ble_coded: out of memory");
        return NULL;
    }
    ble_fir_design(q->taps, q->nt, CUTOFF_HZ / q->fs);
    q->step = cexp(-I * 2 * M_PI * c->offset_hz / q->fs);
    q->rot = 1;
    /* known symbols: preamble, coded AA; the CI candidates after it */
    uint8_t sym[SYNC_SYMS + 40], b[40];
    int st = 0;
    for (int i = 0; i < BLE_CODED_PREAMBLE; i++)
        sym[i] = (uint8_t)((0x3C >> (7 - i % 8)) & 1);
    block1_bits(0, b);
    put_coded(b, 32, 8, &st, sym + BLE_CODED_PREAMBLE);
    for (int i = 0; i < SYNC_SYMS; i++)
        q->sync_pat[i] = sym[i] ? 1.0f : -1.0f;
    for (int ci = 0; ci < 2; ci++) {
        int s2 = st;
        uint8_t cb[5] = {(uint8_t)ci, 0, 0, 0, 0}, cs[40];
        put_coded(cb, 5, 8, &s2, cs);
        for (int i = 0; i < 40; i++)
            q->ci_pat[ci][i] = cs[i] ? 1.0f : -1.0f;
    }
    for (int n = 0; n < 4 * SPS; n++) {
        double t = (n + 0.5) / SPS; /* symbols into the group */
        double ph = M_PI / 2 * (t < 2 ? t : 4 - t);
        q->tmpl[n] = (float complex)cexp(I * ph);
    }
    memset(q->wseq, 0, sizeof q->wseq);
    ble_whiten_bits(q->wseq, B2_MAX_BITS, c->channel);
    return q;
}

/* soft symbol k after position p: the phase turned over the symbol (one arg per symbol,
 * so noise clicks of a per-sample discriminator do not pile up), +-1 at full
 * deviation, carrier offset dc removed */
static float symv(const ble_coded_rx *q, size_t p, size_t k, float dc)
{
    (void)dc; /* removed through q->derot before the arg: no wrap-around at large offsets */
    const float complex *x = q->y + p + SPS * k;
    return cargf(x[SPS / 2] * conjf(x[-SPS / 2]) * q->derot) * (float)(2 / M_PI);
}

/* Soft Viterbi over n info bits from soft coded-bit metrics (positive = 1). end0: the
 * trellis ends in state 0; else traceback from the best state. */
static void viterbi(ble_coded_rx *q, size_t n, bool end0)
{
    float pm[8], nm[8];
    for (int s = 0; s < 8; s++)
        pm[s] = s ? -1e30f : 0.0f;
    for (size_t i = 0; i < n; i++) {
        float m0 = q->soft[2 * i], m1 = q->soft[2 * i + 1];
        uint8_t dec = 0;
        for (int ns = 0; ns < 8; ns++) {
            int b = ns & 1, hi = (ns >> 1) & 3; /* predecessors: hi | (0 or 4) */
            float best = -1e30f;
            int from = 0;
            for (int k = 0; k < 2; k++) {
                int ps = hi | (k << 2);
                int a0 = b ^ (ps & 1) ^ ((ps >> 1) & 1) ^ ((ps >> 2) & 1);
                int a1 = b ^ ((ps >> 1) & 1) ^ ((ps >> 2) & 1);
                float v = pm[ps] + (a0 ? m0 : -m0) + (a1 ? m1 : -m1);
                if (v > best) {
                    best = v;
                    from = k;
                }
            }
            nm[ns] = best;
            dec |= (uint8_t)(from << ns);
        }
        q->dec[i] = dec;
        float mx = nm[0];
        for (int s = 1; s < 8; s++)
            mx = fmaxf(mx, nm[s]);
        for (int s = 0; s < 8; s++)
            pm[s] = nm[s] - mx; /* keep metrics bounded */
    }
    int s = 0;
    if (!end0)
        for (int k = 1; k < 8; k++)
            if (pm[k] > pm[s])
                s = k;
    for (size_t i = n; i-- > 0;) {
        q->bits[i] = (uint8_t)(s & 1);
        int k = (q->dec[i] >> s) & 1;
        s = ((s >> 1) & 3) | (k << 2);
    }
}

/* S=8 coded bit starting at symbol k: noncoherent correlation of its 4 symbols (16
 * samples) with the two phase trajectories (1100 rises by pi, 0011 falls by pi, each
 * then returns), after removing the carrier offset; |c1|^2 - |c0|^2, scaled by power.
 * Much better than adding 4 per-symbol phase differences at low SNR. */
static float group_soft(const ble_coded_rx *q, size_t p, size_t k, float dc, float pw)
{
    const float complex *x = q->y + p + SPS * k - SPS / 2;
    float complex c1 = 0, c0 = 0, w = 1;
    const float complex dw = cexpf(-I * dc * (float)(M_PI / 2 / SPS));
    for (int n = 0; n < 4 * SPS; n++) {
        float complex v = x[n] * w;
        w *= dw;
        c1 += v * conjf(q->tmpl[n]);
        c0 += v * q->tmpl[n];
    }
    float a1 = crealf(c1) * crealf(c1) + cimagf(c1) * cimagf(c1);
    float a0 = crealf(c0) * crealf(c0) + cimagf(c0) * cimagf(c0);
    return (a1 - a0) / (pw * 4 * SPS * 4 * SPS);
}

/* coded-bit metrics of nbits info bits of block 2 with coding s, from position p */
static void block2_soft(ble_coded_rx *q, size_t p, size_t nbits, int s, float dc, float pw)
{
    size_t k = B2_START;
    for (size_t i = 0; i < 2 * nbits; i++) {
        if (s == 2) {
            q->soft[i] = symv(q, p, k++, dc);
        } else {
            q->soft[i] = group_soft(q, p, k, dc, pw);
            k += 4;
        }
    }
}

static double corr_sync(const ble_coded_rx *q, size_t p)
{
    double num = 0, den = 0;
    for (int k = 0; k < SYNC_SYMS; k++) {
        float v = q->d[p + SPS * k];
        num += q->sync_pat[k] * v;
        den += fabsf(v);
    }
    return den > 0 ? num / den : 0;
}

/* The comb pre-check on the preamble (period 8 symbols) at the nb (<= COMB_BATCH)
 * positions p0 .. p0 + nb - 1 at once: per position q the sums over the 10 periods of
 * d[q + 32 r] and |d[q + 32 r]| (each used by 8 positions), then per position the
 * pattern-weighted sum of 8 of them against the sum of |d|: the same sums as one
 * position at a time, laid out so that they run across positions in vector registers. */
static void comb_batch(const ble_coded_rx *q, size_t p0, int nb, uint8_t *pass)
{
    double cs[COMB_BATCH + COMB_W], ca[COMB_BATCH + COMB_W], num[COMB_BATCH], den[COMB_BATCH];
    const float *d = q->d + p0;
    int nq = nb + SPS * 7;
    for (int i = 0; i < nq; i++)
        cs[i] = ca[i] = 0;
    for (int r = 0; r < 10; r++) {
        const float *dr = d + COMB_W * r;
        for (int i = 0; i < nq; i++) {
            cs[i] += dr[i];
            ca[i] += fabsf(dr[i]);
        }
    }
    for (int i = 0; i < nb; i++)
        num[i] = den[i] = 0;
    for (int j = 0; j < 8; j++) {
        const double pj = q->sync_pat[j];
        for (int i = 0; i < nb; i++) {
            num[i] += pj * cs[i + SPS * j];
            den[i] += ca[i + SPS * j];
        }
    }
    for (int i = 0; i < nb; i++)
        pass[i] = den[i] > 0 && !(num[i] / den[i] < PRE_THRESHOLD);
}

/* Tries to decode a packet whose first preamble symbol centre is at p. Returns the
 * decimated samples consumed (0: no packet here), or -1 when more input is needed. */
static long try_packet(ble_coded_rx *q, size_t p, bool flush, ble_coded_cb cb, void *user)
{
    /* (the comb pre-check on the preamble passed: comb_batch) */
    double r = corr_sync(q, p);
    if (r < q->cfg.sync_threshold)
        return 0;
    for (int k = 1; k < SPS; k++) /* timing: the best of the next samples */
        if (corr_sync(q, p + (size_t)k) > r)
            return 0;
    q->derot = 1;
    /* timing refined on the per-symbol phase (less noisy than the sample discriminator) */
    size_t best_p = p;
    double best = -1e30;
    for (size_t pp = p - SPS / 2; pp <= p + SPS / 2; pp++) {
        double sc = 0;
        for (int k = 0; k < SYNC_SYMS; k++)
            sc += q->sync_pat[k] * symv(q, pp, (size_t)k, 0);
        if (sc > best) {
            best = sc;
            best_p = pp;
        }
    }
    p = best_p;
    /* carrier offset, data-aided: the known symbols' +-pi/2 turns taken out of each
     * symbol's phase product, the products summed (no wrap-around bias at large offsets) */
    float complex zs = 0;
    for (int k = 0; k < SYNC_SYMS; k++) {
        const float complex *x = q->y + p + SPS * k;
        float complex z = x[SPS / 2] * conjf(x[-SPS / 2]);
        zs += q->sync_pat[k] > 0 ? z * -I : z * I;
    }
    float dc = cargf(zs) * (float)(2 / M_PI);
    q->derot = cexpf(-I * cargf(zs));
    double pws = 0;
    for (size_t i = p; i < p + SPS * SYNC_SYMS; i++)
        pws += crealf(q->y[i]) * crealf(q->y[i]) + cimagf(q->y[i]) * cimagf(q->y[i]);
    float pw = (float)(pws / (SPS * SYNC_SYMS)) + 1e-20f;
    double c[2] = {0, 0};
    for (int ci = 0; ci < 2; ci++)
        for (int k = 0; k < 40; k++)
            c[ci] += q->ci_pat[ci][k] * symv(q, p, SYNC_SYMS + (size_t)k, dc);
    int s = c[1] > c[0] ? 2 : 8;
    size_t avail = (q->len - p) / SPS - 2; /* symbols after p with a sample each side */
    size_t per_bit = (size_t)s;            /* symbols per info bit: 2 coded bits x S/2 */
    if (B2_START + per_bit * HDR_WINDOW > avail) {
        if (!flush) {
            q->wait_len = p + SPS * (B2_START + per_bit * HDR_WINDOW + 3);
            return -1;
        }
        q->st.syncs++;
        q->st.truncated++;
        return SPS * SYNC_SYMS;
    }
    block2_soft(q, p, HDR_WINDOW, s, dc, pw);
    viterbi(q, HDR_WINDOW, false);
    uint8_t hdr[16];
    for (int i = 0; i < 16; i++)
        hdr[i] = q->bits[i] ^ q->wseq[i];
    size_t plen = 0;
    for (int i = 0; i < 8; i++)
        plen |= (size_t)hdr[8 + i] << i;
    size_t nb = 8 * (2 + plen) + 24 + 3;
    if (B2_START + per_bit * nb > avail) {
        if (!flush) {
            q->wait_len = p + SPS * (B2_START + per_bit * nb + 3);
            return -1;
        }
        q->st.syncs++;
        q->st.truncated++;
        return SPS * SYNC_SYMS;
    }
    q->st.syncs++;
    block2_soft(q, p, nb, s, dc, pw);
    viterbi(q, nb, true);
    size_t nd = nb - 3;
    for (size_t i = 0; i < nd; i++)
        q->bits[i] ^= q->wseq[i];
    if (ble_crc24_bits(q->bits, nd, BLE_CRC_INIT_ADV) != 0) {
        q->st.crc_fail++;
        return 1; /* a false sync near a real packet must not hide it */
    }
    ble_coded_packet pk;
    memset(&pk, 0, sizeof pk);
    pk.pdu_len = 2 + plen;
    for (size_t i = 0; i < pk.pdu_len; i++)
        for (int j = 0; j < 8; j++)
            pk.pdu[i] |= (uint8_t)(q->bits[8 * i + j] << j);
    uint64_t dec_idx = q->base + p - SPS / 2; /* start of the first symbol */
    double delay = q->cfg.prefiltered ? 0 : (q->nt - 1) / 2.0;
    pk.sample_index = q->in0 + dec_idx * (uint64_t)q->D - (uint64_t)lround(delay);
    pk.t = q->t0 + (double)pk.sample_index / q->fs;
    pk.channel = q->cfg.channel;
    pk.coding = s;
    pk.cfo_hz = dc * DEV_HZ; /* dc is in units of the deviation */
    pk.sync = r;
    q->st.crc_ok++;
    if (cb)
        cb(user, &pk);
    return (long)(SPS * (B2_START + per_bit * nb));
}

static void scan(ble_coded_rx *q, bool flush, ble_coded_cb cb, void *user)
{
    size_t need = SPS * (SYNC_SYMS + 40 + 2) + 2 * SPS;
    if (!flush && q->len < q->wait_len)
        return; /* the packet at scan is still arriving */
    q->wait_len = 0;
    uint8_t pass[COMB_BATCH];
    size_t b0 = 0, bn = 0; /* pass[] holds positions b0 .. b0 + bn - 1 (of q->scan) */
    while (q->scan + need <= q->len) {
        if (q->scan < b0 || q->scan >= b0 + bn) {
            size_t room = q->len - need - q->scan + 1;
            bn = room < COMB_BATCH ? room : COMB_BATCH;
            b0 = q->scan;
            comb_batch(q, b0 + SPS, (int)bn, pass);
        }
        if (!pass[q->scan - b0]) {
            q->scan++;
            continue;
        }
        long used = try_packet(q, q->scan + SPS, flush, cb, user);
        if (used < 0)
            return; /* wait for the rest of this packet */
        q->scan += used > 0 ? (size_t)used : 1;
    }
}

static void compact(ble_coded_rx *q)
{
    size_t keep = q->len - q->scan;
    memmove(q->d, q->d + q->scan, keep * sizeof *q->d);
    memmove(q->y, q->y + q->scan, keep * sizeof *q->y);
    q->wait_len = q->wait_len > q->scan ? q->wait_len - q->scan : 0;
    q->base += q->scan;
    q->len = keep;
    q->scan = 0;
}

int ble_coded_execute(ble_coded_rx *q, const sg_iq_block *blk, ble_coded_cb cb, void *user,
                      sg_errinfo *e)
{
    if (!q || !blk || (blk->n && !blk->x))
        return sg_err_set(e, SG_EINVAL, "ble_coded: NULL argument");
    if (fabs(blk->sample_rate - q->fs) > 1e-3)
        return sg_err_set(e, SG_EINVAL, "ble_coded: block at %g Hz, receiver configured for %g Hz",
                          blk->sample_rate, q->fs);
    if (q->started && (blk->discontinuity || blk->sample_index != q->in0 + (q->base + q->len) *
                                                                          (uint64_t)q->D +
                                                                      (uint64_t)q->cnt)) {
        ble_coded_flush(q, cb, user);
        q->st.discontinuities++;
    }
    if (!q->started) {
        q->started = true;
        q->in0 = blk->sample_index;
        q->t0 = blk->t0;
        q->base = q->len = q->scan = 0;
        q->cnt = 0;
        q->have_prev = false;
    }
    /* phase step per decimated sample (4 MHz) -> +-1 at full deviation */
    const float gain = (float)(SPS * 1e6 / (2 * M_PI * DEV_HZ));
    bool direct = q->cfg.prefiltered && q->cfg.offset_hz == 0; /* D is 1 */
    for (size_t i = 0; direct && i < blk->n;) {
        /* the samples as they are, discriminator in runs the compiler vectorises */
        if (q->len == q->cap) {
            scan(q, false, cb, user);
            compact(q);
            if (q->len == q->cap) {
                q->scan = q->len - (size_t)MAX_SAMPLES;
                compact(q);
            }
        }
        size_t m = blk->n - i < q->cap - q->len ? blk->n - i : q->cap - q->len;
        const float complex *x = blk->x + i;
        float *d = q->d + q->len;
        memcpy(q->y + q->len, x, m * sizeof *x);
        if (q->have_prev) {
            float complex z = x[0] * conjf(q->prev);
            d[0] = sg_fast_atan2f(cimagf(z), crealf(z)) * gain;
        } else {
            d[0] = 0;
        }
        for (size_t k = 1; k < m; k++) {
            float re = crealf(x[k]) * crealf(x[k - 1]) + cimagf(x[k]) * cimagf(x[k - 1]);
            float im = cimagf(x[k]) * crealf(x[k - 1]) - crealf(x[k]) * cimagf(x[k - 1]);
            d[k] = sg_fast_atan2f(im, re) * gain;
        }
        q->prev = x[m - 1];
        q->have_prev = true;
        q->len += m;
        i += m;
    }
    for (size_t i = 0; !direct && i < blk->n; i++) {
        float complex x = blk->x[i];
        if (q->cfg.offset_hz != 0) {
            x *= (float complex)q->rot;
            q->rot *= q->step;
            if ((i & 1023) == 0)
                q->rot /= cabs(q->rot);
        }
        if (!q->cfg.prefiltered) {
            q->hist[q->hpos] = q->hist[q->hpos + q->nt] = x;
            q->hpos = (q->hpos + 1) % q->nt;
        }
        if (++q->cnt < q->D)
            continue;
        q->cnt = 0;
        float complex y = x;
        if (!q->cfg.prefiltered) {
            /* real taps on interleaved re/im: the same sums as complex arithmetic */
            const float *w = (const float *)(q->hist + q->hpos);
            float re = 0, im = 0;
            for (int k = 0; k < q->nt; k++) {
                re += q->taps[k] * w[2 * k];
                im += q->taps[k] * w[2 * k + 1];
            }
            y = re + I * im;
        }
        float v = 0;
        if (q->have_prev) { /* detection only: the fast arg will do */
            float complex z = y * conjf(q->prev);
            v = sg_fast_atan2f(cimagf(z), crealf(z)) * gain;
        }
        q->prev = y;
        q->have_prev = true;
        if (q->len == q->cap) {
            scan(q, false, cb, user);
            compact(q);
            if (q->len == q->cap) { /* a packet longer than possible: give up on it */
                q->scan = q->len - (size_t)MAX_SAMPLES;
                compact(q);
            }
        }
        q->y[q->len] = y;
        q->d[q->len++] = v;
    }
    q->st.samples += blk->n;
    scan(q, false, cb, user);
    if (q->scan > (size_t)MAX_SAMPLES)
        compact(q);
    return SG_OK;
}

int ble_coded_flush(ble_coded_rx *q, ble_coded_cb cb, void *user)
{
    if (!q)
        return SG_EINVAL;
    scan(q, true, cb, user);
    q->started = false;
    q->len = q->scan = q->wait_len = 0;
    memset(q->hist, 0, 2 * (size_t)q->nt * sizeof *q->hist);
    return SG_OK;
}

void ble_coded_get_stats(const ble_coded_rx *q, ble_coded_stats *s) { *s = q->st; }
