/* Bluetooth LE legacy advertising receiver (see ble_rx.h).
 *
 * Per channel: complex rotator -> windowed-sinc low-pass (0.7 MHz, decimating to
 * 2 or 4 samples per bit) -> discriminator scaled so full deviation (250 kHz) is +-1
 * -> a linear buffer of soft frequency values that a detector scans. The detector
 * correlates the 40 sync bits at one sample per bit against the absolute values over
 * the same samples: the ratio is 1 for a clean packet whatever its level, noise
 * (whose discriminator output is large and random) scores near 0, and a carrier
 * offset shifts every value equally, which the nearly balanced sync pattern cancels.
 * A cheap 16-bit pre-check on the access address keeps the full correlation off
 * most samples. Bits are sliced against the offset measured on the sync bits, so
 * offsets up to the full BLE tolerance (+-150 kHz) need no separate correction. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O3", "no-trapping-math") /* vectorises the pre-check and discriminator */
#endif
#include "ble_rx.h"

#include <complex.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ble_dsp.h"
#include "sg_json.h"

#define CUTOFF_HZ 0.7e6     /* channel filter cutoff: 99 % of GFSK + 150 kHz offset */
#define DEV_HZ 250e3        /* nominal frequency deviation at h = 0.5 */
#define PRE_BITS_FROM 8     /* pre-check window: first 16 access-address bits */
#define PRE_BITS_N 16
#define PRE_BATCH 64      /* detector positions pre-checked at once */
#define MAX_PDU_BITS (8 * BLE_EXT_PDU_MAX + 24)

/* One decimating FIR stage's per-channel state. */
typedef struct {
    float complex *hist;      /* 2 * taps, doubled ring so a window is contiguous */
    int pos;
    int count;                /* inputs since the last output */
} fir_state;

/* A decimating low-pass stage shared by all channels. */
typedef struct {
    float *taps;
    int nt;                   /* taps, odd */
    int D;                    /* decimation */
} fir_stage;

typedef struct {
    int index;                /* BLE channel */
    double offset;            /* Hz in use; NAN until the first block */
    double complex rot, step; /* mixer rotator and its per-sample step */
    fir_state fs[2];          /* decimating filter stages */
    float complex prev;
    bool have_prev;
    float *d;                 /* soft frequency, +-1 at full deviation */
    float *pw;                /* |y|^2 per output sample */
    size_t len;               /* valid samples in d/pw */
    size_t scan;              /* next detector position in d */
    uint64_t base;            /* output index of d[0] since the last reset */
    uint64_t in0;             /* input index at which output 0 was produced */
    bool in0_set;
    uint8_t wseq[MAX_PDU_BITS]; /* whitening sequence of this channel */
} chan;

struct ble_rx {
    ble_rx_cfg cfg;
    int sps, D, w;            /* samples/bit after decimation, total decimation, slice half-width */
    fir_stage st_fir[2];      /* one stage, or two when D is even and >= 4 (cheap wide first) */
    int n_stages;
    double delay;             /* input samples of group delay through the filters */
    size_t cap;               /* d/pw capacity */
    size_t max_pkt;           /* samples a longest packet spans */
    chan ch[BLE_RX_MAX_CH];
    float pat[BLE_SYNC_BITS]; /* +-1 sync pattern */
    uint64_t next_index;
    bool started;
    double t0;
    ble_rx_stats st;
};

void ble_rx_cfg_default(ble_rx_cfg *c)
{
    memset(c, 0, sizeof *c);
    c->n_channels = 1;
    c->channels[0] = 37;
    c->offsets_hz[0] = 0.0;
    c->offsets_hz[1] = c->offsets_hz[2] = NAN;
    c->sample_rate = 4e6;
    c->sync_threshold = 0.6;
}

int ble_rx_cfg_from_json(const cJSON *obj, const char *where, ble_rx_cfg *c, sg_errinfo *e)
{
    static const char *const keys[] = {"channels", "offsets_hz", "sample_rate", "sync_threshold",
                                       NULL};
    int rc = sgj_check_keys(obj, where, keys, e);
    if (rc)
        return rc;
    const cJSON *arr;
    if ((rc = sgj_array(obj, where, "channels", false, &arr, e)))
        return rc;
    if (arr) {
        int n = cJSON_GetArraySize(arr);
        if (n < 1 || n > BLE_RX_MAX_CH)
            return sg_err_set(e, SG_EINVAL, "%s: channels: need 1..%d entries, got %d", where,
                              BLE_RX_MAX_CH, n);
        c->n_channels = n;
        for (int i = 0; i < n; i++) {
            const cJSON *v = cJSON_GetArrayItem(arr, i);
            if (!cJSON_IsNumber(v) || v->valuedouble != (int)v->valuedouble || v->valueint < 0 ||
                v->valueint > 39)
                return sg_err_set(e, SG_EINVAL, "%s: channels[%d]: must be an integer 0..39",
                                  where, i);
            c->channels[i] = v->valueint;
            c->offsets_hz[i] = NAN;
        }
    }
    if ((rc = sgj_array(obj, where, "offsets_hz", false, &arr, e)))
        return rc;
    if (arr) {
        int n = cJSON_GetArraySize(arr);
        if (n != c->n_channels)
            return sg_err_set(e, SG_EINVAL, "%s: offsets_hz: need %d entries (one per channel), got %d",
                              where, c->n_channels, n);
        for (int i = 0; i < n; i++) {
            const cJSON *v = cJSON_GetArrayItem(arr, i);
            if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
                return sg_err_set(e, SG_EINVAL, "%s: offsets_hz[%d]: must be a number (Hz)", where, i);
            c->offsets_hz[i] = v->valuedouble;
        }
    }
    if ((rc = sgj_number(obj, where, "sample_rate", false, c->sample_rate, 2e6, 64e6,
                         &c->sample_rate, e)))
        return rc;
    return sgj_number(obj, where, "sync_threshold", false, c->sync_threshold, 0.3, 0.95,
                      &c->sync_threshold, e);
}

static void chan_reset(ble_rx *q, chan *c)
{
    for (int k = 0; k < q->n_stages; k++) {
        memset(c->fs[k].hist, 0, sizeof *c->fs[k].hist * 2 * (size_t)q->st_fir[k].nt);
        c->fs[k].pos = 0;
        c->fs[k].count = 0;
    }
    c->have_prev = false;
    c->len = 0;
    c->scan = (size_t)q->w;
    c->base = 0;
    c->in0_set = false;
}

void ble_rx_reset(ble_rx *q)
{
    for (int i = 0; i < q->cfg.n_channels; i++)
        chan_reset(q, &q->ch[i]);
    q->started = false;
}

void ble_rx_destroy(ble_rx *q)
{
    if (!q)
        return;
    for (int i = 0; i < BLE_RX_MAX_CH; i++) {
        free(q->ch[i].fs[0].hist);
        free(q->ch[i].fs[1].hist);
        free(q->ch[i].d);
        free(q->ch[i].pw);
    }
    free(q->st_fir[0].taps);
    free(q->st_fir[1].taps);
    free(q);
}

double ble_rx_filter_gain(double f_hz) { return ble_fir_gain_4m(CUTOFF_HZ, f_hz); }

ble_rx *ble_rx_create(const ble_rx_cfg *c, sg_errinfo *e)
{
    if (!c) {
        sg_err_set(e, SG_EINVAL, "ble_rx: NULL configuration");
        return NULL;
    }
    double r = c->sample_rate / 2e6;
    if (!(r >= 1.0 && r <= 32.0) || fabs(r - round(r)) > 1e-9) {
        sg_err_set(e, SG_EINVAL, "ble_rx: sample_rate must be a multiple of 2 MHz in [2, 64] MHz, got %g",
                   c->sample_rate);
        return NULL;
    }
    if (c->n_channels < 1 || c->n_channels > BLE_RX_MAX_CH) {
        sg_err_set(e, SG_EINVAL, "ble_rx: n_channels must be 1..%d, got %d", BLE_RX_MAX_CH,
                   c->n_channels);
        return NULL;
    }
    for (int i = 0; i < c->n_channels; i++) {
        if (c->channels[i] < 0 || c->channels[i] > 39) {
            sg_err_set(e, SG_EINVAL, "ble_rx: channels[%d] must be 0..39, got %d", i, c->channels[i]);
            return NULL;
        }
        if (!isnan(c->offsets_hz[i]) && !(fabs(c->offsets_hz[i]) <= c->sample_rate / 2 - CUTOFF_HZ + 1e-3)) {
            sg_err_set(e, SG_ERANGE,
                       "ble_rx: offsets_hz[%d] = %g Hz puts channel %d outside the %g Hz band", i,
                       c->offsets_hz[i], c->channels[i], c->sample_rate);
            return NULL;
        }
    }
    if (!(c->sync_threshold >= 0.3 && c->sync_threshold <= 0.95)) {
        sg_err_set(e, SG_EINVAL, "ble_rx: sync_threshold must be in [0.3, 0.95], got %g",
                   c->sync_threshold);
        return NULL;
    }
    if (c->prefiltered && fabs(c->sample_rate - 4e6) > 1e-3) {
        sg_err_set(e, SG_EINVAL, "ble_rx: prefiltered input must be at 4 MHz, got %g",
                   c->sample_rate);
        return NULL;
    }
    ble_rx *q = calloc(1, sizeof *q);
    if (!q) {
        sg_err_set(e, SG_ENOMEM, "ble_rx: out of memory");
        return NULL;
    }
    q->cfg = *c;
    int mhz = (int)lround(c->sample_rate / 1e6);
    q->sps = (mhz % 4 == 0) ? 4 : 2;
    q->D = mhz / q->sps;
    q->w = q->sps / 4;
    /* Filters: a single windowed sinc at the input rate, or for large decimations a
     * short first stage down to 2 x the final rate (it only has to keep aliases out of
     * +-0.85 MHz, so its transition band is wide) and the full filter after it. */
    double fs_mid = c->sample_rate;
    if (q->D >= 4 && q->D % 2 == 0) {
        q->n_stages = 2;
        q->st_fir[0].D = q->D / 2;
        fs_mid = c->sample_rate / q->st_fir[0].D;
        double trans = fs_mid - 2 * 0.85e6; /* Hz, passband edge to first alias edge */
        q->st_fir[0].nt = 2 * (int)ceil(3.3 * c->sample_rate / trans / 2) + 1;
        q->st_fir[1].D = 2;
        q->st_fir[1].nt = 4 * (int)lround(fs_mid / 1e6) + 1;
    } else {
        q->n_stages = 1;
        q->st_fir[0].D = q->D;
        q->st_fir[0].nt = 4 * mhz + 1;
    }
    q->max_pkt = (size_t)((c->extended ? BLE_EXT_PKT_MAX_BITS : BLE_PKT_MAX_BITS) + 2) *
                 (size_t)q->sps;
    q->cap = 4 * q->max_pkt;
    bool ok = true;
    for (int k = 0; ok && k < q->n_stages; k++) {
        q->st_fir[k].taps = malloc(sizeof *q->st_fir[k].taps * (size_t)q->st_fir[k].nt);
        ok = q->st_fir[k].taps != NULL;
    }
    for (int i = 0; ok && i < c->n_channels; i++) {
        chan *ch = &q->ch[i];
        for (int k = 0; ok && k < q->n_stages; k++) {
            ch->fs[k].hist = malloc(sizeof *ch->fs[k].hist * 2 * (size_t)q->st_fir[k].nt);
            ok = ch->fs[k].hist != NULL;
        }
        ch->d = malloc(sizeof *ch->d * q->cap);
        ch->pw = malloc(sizeof *ch->pw * q->cap);
        ok = ok && ch->d && ch->pw;
    }
    if (!ok) {
        ble_rx_destroy(q);
        sg_err_set(e, SG_ENOMEM, "ble_rx: out of memory");
        return NULL;
    }
    /* windowed-sinc low-pass, Hamming, unit DC gain; the first of two stages is cut at
     * half its output rate, its transition band centred between 0.85 MHz and the
     * first alias that would land on the channel */
    q->delay = 0.0;
    double rate = c->sample_rate, mult = 1.0;
    for (int st = 0; st < q->n_stages; st++) {
        fir_stage *f = &q->st_fir[st];
        ble_fir_design(f->taps, f->nt,
                       (q->n_stages == 2 && st == 0 ? fs_mid / 2 : CUTOFF_HZ) / rate);
        if (!c->prefiltered)
            q->delay += mult * (f->nt - 1) / 2.0;
        mult *= f->D;
        rate /= f->D;
    }
    for (int k = 0; k < BLE_SYNC_BITS; k++) {
        int bit = k < 8 ? (int)((BLE_AA_ADV & 1u) ^ (unsigned)(k & 1)) : (int)((BLE_AA_ADV >> (k - 8)) & 1u);
        q->pat[k] = bit ? 1.0f : -1.0f;
    }
    for (int i = 0; i < c->n_channels; i++) {
        chan *ch = &q->ch[i];
        ch->index = c->channels[i];
        ch->offset = NAN;
        memset(ch->wseq, 0, sizeof ch->wseq);
        ble_whiten_bits(ch->wseq, MAX_PDU_BITS, ch->index);
        chan_reset(q, ch);
    }
    return q;
}

void ble_rx_get_stats(const ble_rx *q, ble_rx_stats *s) { *s = q->st; }

/* ---- detector ------------------------------------------------------------------- */

static float corr_ratio(const ble_rx *q, const float *d, int from, int nbits)
{
    /* the window's mean is removed first: a carrier offset adds a constant to every
     * value, and the access-address bits alone are far from balanced */
    float v[BLE_SYNC_BITS], m = 0.0f;
    for (int k = 0; k < nbits; k++) {
        v[k] = d[(size_t)(from + k) * (size_t)q->sps];
        m += v[k];
    }
    m /= (float)nbits;
    float c = 0.0f, a = 1e-9f;
    for (int k = 0; k < nbits; k++) {
        c += q->pat[from + k] * (v[k] - m);
        a += fabsf(v[k] - m);
    }
    return c / a;
}

/* corr_ratio(d + i, PRE_BITS_FROM, PRE_BITS_N) >= thr for the nb (<= PRE_BATCH) positions
 * i = 0 .. nb - 1 at once: the same sums in the same order, laid out so that the
 * compiler runs them across positions in vector registers. */
static void precheck(const ble_rx *q, const float *d, int nb, float thr, uint8_t *pass)
{
    float m[PRE_BATCH], c[PRE_BATCH], a[PRE_BATCH];
    const size_t s = (size_t)q->sps;
    for (int i = 0; i < nb; i++)
        m[i] = 0.0f;
    for (int k = 0; k < PRE_BITS_N; k++) {
        const float *dk = d + (size_t)(PRE_BITS_FROM + k) * s;
        for (int i = 0; i < nb; i++)
            m[i] += dk[i];
    }
    for (int i = 0; i < nb; i++) {
        m[i] /= (float)PRE_BITS_N;
        c[i] = 0.0f;
        a[i] = 1e-9f;
    }
    for (int k = 0; k < PRE_BITS_N; k++) {
        const float *dk = d + (size_t)(PRE_BITS_FROM + k) * s;
        const float p = q->pat[PRE_BITS_FROM + k];
        for (int i = 0; i < nb; i++) {
            float v = dk[i] - m[i];
            c[i] += p * v;
            a[i] += fabsf(v);
        }
    }
    for (int i = 0; i < nb; i++)
        pass[i] = !(c[i] / a[i] < thr);
}

static float corr_raw(const ble_rx *q, const float *d)
{
    float c = 0.0f;
    for (int k = 0; k < BLE_SYNC_BITS; k++)
        c += q->pat[k] * d[(size_t)k * (size_t)q->sps];
    return c;
}

/* Soft value of bit k of the packet starting at n (sum over 2w+1 samples). */
static float soft_bit(const ble_rx *q, const float *d, size_t n, int k)
{
    size_t c = n + (size_t)k * (size_t)q->sps;
    float s = 0.0f;
    for (int j = -q->w; j <= q->w; j++)
        s += d[(ptrdiff_t)c + j];
    return s;
}

/* Tries a packet at position n. Returns 1 delivered (*adv = samples to skip),
 * 0 rejected, -1 more samples needed. */
static int try_packet(ble_rx *q, chan *ch, size_t n, bool final, ble_rx_cb cb, void *user,
                      size_t *adv)
{
    const float *d = ch->d;
    int sps = q->sps;
    double mp = 0, mn = 0;
    int np = 0, nn = 0;
    for (int k = 0; k < BLE_SYNC_BITS; k++) {
        double v = soft_bit(q, d, n, k);
        if (q->pat[k] > 0) {
            mp += v;
            np++;
        } else {
            mn += v;
            nn++;
        }
    }
    float thr = (float)((mp / np + mn / nn) / 2.0);
    uint8_t bits[MAX_PDU_BITS];
    size_t have = (ch->len - (size_t)q->w - 1 - n) / (size_t)sps + 1; /* bits available */
    if (have < BLE_SYNC_BITS + 16) {
        if (final)
            q->st.truncated++;
        return final ? 0 : -1;
    }
    for (int k = 0; k < 16; k++)
        bits[k] = (uint8_t)((soft_bit(q, d, n, BLE_SYNC_BITS + k) > thr) ^ ch->wseq[k]);
    int len = 0;
    for (int k = 0; k < 8; k++)
        len |= bits[8 + k] << k;
    if (len > (q->cfg.extended ? BLE_EXT_MAX_PAYLOAD : BLE_ADV_MAX_PAYLOAD)) {
        q->st.bad_length++;
        return 0;
    }
    int nb = 16 + 8 * len + 24;
    if (have < (size_t)(BLE_SYNC_BITS + nb)) {
        if (final) {
            q->st.truncated++;
            return 0;
        }
        return -1;
    }
    for (int k = 16; k < nb; k++)
        bits[k] = (uint8_t)((soft_bit(q, d, n, BLE_SYNC_BITS + k) > thr) ^ ch->wseq[k]);
    if (ble_crc24_bits(bits, (size_t)nb, BLE_CRC_INIT_ADV) != 0) {
        q->st.crc_fail++;
        return 0;
    }
    ble_rx_packet p;
    memset(&p, 0, sizeof p);
    p.pdu_len = (size_t)(2 + len);
    for (size_t b = 0; b < p.pdu_len; b++)
        for (int i = 0; i < 8; i++)
            p.pdu[b] |= (uint8_t)(bits[8 * b + i] << i);
    size_t span = (size_t)(BLE_SYNC_BITS + nb) * (size_t)sps;
    double pw = 0.0;
    for (size_t i = 0; i < span; i++)
        pw += ch->pw[n + i];
    p.power_dbfs = 10.0 * log10(pw / (double)span + 1e-30);
    p.cfo_hz = thr / (2 * q->w + 1) * DEV_HZ;
    p.channel = ch->index;
    /* output index -> input index: filter delay, half a discriminator step, half a bit */
    double in_idx = (double)ch->in0 + (double)(ch->base + n + 1) * q->D - q->delay -
                    q->D / 2.0 - (double)(sps * q->D) / 2.0;
    if (in_idx < 0)
        in_idx = 0;
    p.sample_index = (uint64_t)llround(in_idx);
    p.t = q->t0 + in_idx / q->cfg.sample_rate;
    bool ext = (p.pdu[0] & 15) == 7;
    p.adv_rc = ext ? SG_ENOTSUP : ble_adv_parse(p.pdu, p.pdu_len, &p.adv);
    if (ext)
        q->st.ext++;
    else if (p.adv_rc)
        q->st.bad_pdu++;
    else if (p.adv.has_odid)
        q->st.odid++;
    q->st.crc_ok++;
    if (cb)
        cb(user, &p);
    *adv = span;
    return 1;
}

static void chan_scan(ble_rx *q, chan *ch, bool final, ble_rx_cb cb, void *user)
{
    int sps = q->sps;
    size_t sync_span = (size_t)(BLE_SYNC_BITS - 1) * (size_t)sps + (size_t)q->w + 1;
    size_t need = final ? sync_span : q->max_pkt + (size_t)sps;
    float thr = (float)q->cfg.sync_threshold;
    size_t n = ch->scan;
    uint8_t pass[PRE_BATCH];
    size_t b0 = 0, bn = 0; /* pass[] holds positions b0 .. b0 + bn - 1 */
    while (n + need + (size_t)sps <= ch->len) {
        const float *d = ch->d + n;
        if (n < b0 || n >= b0 + bn) {
            size_t room = ch->len - (n + need + (size_t)sps) + 1;
            bn = room < PRE_BATCH ? room : PRE_BATCH;
            b0 = n;
            precheck(q, d, (int)bn, thr, pass);
        }
        if (!pass[n - b0] || corr_ratio(q, d, 0, BLE_SYNC_BITS) < thr) {
            n++;
            continue;
        }
        /* refine to the best sampling phase within one bit. The raw correlation, not
         * the ratio: the ratio is level-blind and would happily pick the bit edges,
         * where the discriminator output is small */
        size_t best = n;
        float bc = corr_raw(q, d);
        for (int j = 1; j < sps; j++) {
            float cj = corr_raw(q, d + j);
            if (cj > bc) {
                bc = cj;
                best = n + (size_t)j;
            }
        }
        q->st.syncs++;
        size_t skip = 0;
        int r = try_packet(q, ch, best, final, cb, user, &skip);
        if (r < 0)
            break; /* wait for more samples; n stays */
        n = r > 0 ? best + skip : best + (size_t)sps;
    }
    if (final && n + need + (size_t)sps > ch->len)
        n = ch->len;
    ch->scan = n;
    /* compact: keep what the detector still needs (w samples before scan) */
    size_t keep_from = ch->scan > (size_t)q->w ? ch->scan - (size_t)q->w : 0;
    if (ch->len > q->cap - q->cap / 4 || final) {
        if (keep_from > ch->len)
            keep_from = ch->len;
        memmove(ch->d, ch->d + keep_from, sizeof *ch->d * (ch->len - keep_from));
        memmove(ch->pw, ch->pw + keep_from, sizeof *ch->pw * (ch->len - keep_from));
        ch->len -= keep_from;
        ch->scan -= keep_from;
        ch->base += keep_from;
    }
}

/* ---- front end ------------------------------------------------------------------ */

static int set_offset(ble_rx *q, chan *ch, int i, const sg_iq_block *blk, sg_errinfo *e)
{
    double off = q->cfg.offsets_hz[i];
    if (isnan(off)) {
        if (!(blk->center_freq > 0))
            return sg_err_set(e, SG_ERANGE,
                              "ble_rx: channel %d: no offset configured and the block has no "
                              "center_freq", ch->index);
        off = ble_channel_freq(ch->index) - blk->center_freq;
    }
    if (!(fabs(off) <= q->cfg.sample_rate / 2 - CUTOFF_HZ + 1e-3))
        return sg_err_set(e, SG_ERANGE,
                          "ble_rx: channel %d is %.0f Hz from DC, outside the %.0f Hz wide capture",
                          ch->index, off, q->cfg.sample_rate);
    if (off != ch->offset) {
        ch->offset = off;
        ch->step = cexp(-I * 2.0 * M_PI * off / q->cfg.sample_rate);
        ch->rot = 1.0;
    }
    return SG_OK;
}

/* Pushes one sample through a decimating stage; true (and *y) when it outputs. */
static inline bool fir_push(const fir_stage *f, fir_state *s, float complex v, float complex *y)
{
    int nt = f->nt;
    s->hist[s->pos] = s->hist[s->pos + nt] = v;
    s->pos = s->pos + 1 == nt ? 0 : s->pos + 1;
    if (++s->count < f->D)
        return false;
    s->count = 0;
    /* window oldest..newest is hist[pos .. pos+nt-1]; complex-by-real dot product with
     * two partial sums for instruction-level parallelism */
    const float *wf = (const float *)(s->hist + s->pos); /* re, im interleaved */
    const float *h = f->taps;
    float re0 = 0.0f, im0 = 0.0f, re1 = 0.0f, im1 = 0.0f;
    int k = 0;
    for (; k + 1 < nt; k += 2) {
        re0 += h[k] * wf[2 * k];
        im0 += h[k] * wf[2 * k + 1];
        re1 += h[k + 1] * wf[2 * k + 2];
        im1 += h[k + 1] * wf[2 * k + 3];
    }
    for (; k < nt; k++) {
        re0 += h[k] * wf[2 * k];
        im0 += h[k] * wf[2 * k + 1];
    }
    *y = (re0 + re1) + I * (im0 + im1);
    return true;
}

/* Input already channel-filtered at 4 MHz (cfg.prefiltered), channel at DC: the
 * discriminator straight on the samples, in runs the compiler vectorises. */
static void feed_filtered(ble_rx *q, chan *ch, const float complex *x, size_t n, uint64_t idx0,
                          ble_rx_cb cb, void *user)
{
    const float dscale = (float)(2.0 * q->sps / M_PI);
    size_t i = 0;
    if (n && !ch->in0_set) {
        ch->in0 = idx0;
        ch->in0_set = true;
    }
    if (n && !ch->have_prev) {
        ch->prev = x[0];
        ch->have_prev = true;
        i = 1;
    }
    while (i < n) {
        if (ch->len == q->cap)
            chan_scan(q, ch, false, cb, user);
        if (ch->len == q->cap) { /* cannot happen: scan compacts; guard anyway */
            ch->len = 0;
            ch->scan = (size_t)q->w;
        }
        size_t m = n - i < q->cap - ch->len ? n - i : q->cap - ch->len;
        float *d = ch->d + ch->len, *pw = ch->pw + ch->len;
        const float complex *y = x + i;
        { /* the first sample's predecessor is prev */
            float complex z = y[0] * conjf(ch->prev);
            d[0] = sg_fast_atan2f(cimagf(z), crealf(z)) * dscale;
        }
        for (size_t k = 1; k < m; k++) {
            float re = crealf(y[k]) * crealf(y[k - 1]) + cimagf(y[k]) * cimagf(y[k - 1]);
            float im = cimagf(y[k]) * crealf(y[k - 1]) - crealf(y[k]) * cimagf(y[k - 1]);
            d[k] = sg_fast_atan2f(im, re) * dscale;
        }
        for (size_t k = 0; k < m; k++)
            pw[k] = crealf(y[k]) * crealf(y[k]) + cimagf(y[k]) * cimagf(y[k]);
        ch->prev = y[m - 1];
        ch->len += m;
        i += m;
    }
}

static void chan_feed(ble_rx *q, chan *ch, const float complex *x, size_t n, uint64_t idx0,
                      ble_rx_cb cb, void *user)
{
    const float dscale = (float)(2.0 * q->sps / M_PI); /* rad/sample -> +-1 at 250 kHz */
    /* float rotator, renormalised every 256 samples (drift stays < 1e-5) */
    float complex rot = (float complex)ch->rot, step = (float complex)ch->step;
    bool mix = ch->offset != 0.0;
    if (q->cfg.prefiltered && !mix) {
        feed_filtered(q, ch, x, n, idx0, cb, user);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        float complex v = x[i], y;
        if (mix) {
            v *= rot;
            rot *= step;
            if ((i & 255) == 255)
                rot /= cabsf(rot);
        }
        if (!fir_push(&q->st_fir[0], &ch->fs[0], v, &y))
            continue;
        if (q->n_stages == 2 && !fir_push(&q->st_fir[1], &ch->fs[1], y, &y))
            continue;
        if (!ch->in0_set) {
            ch->in0 = idx0 + i;
            ch->in0_set = true;
        }
        if (!ch->have_prev) {
            ch->prev = y;
            ch->have_prev = true;
            continue; /* output 0 has no discriminator value: the buffer starts at 1 */
        }
        float complex z = y * conjf(ch->prev);
        ch->prev = y;
        if (ch->len == q->cap)
            chan_scan(q, ch, false, cb, user);
        if (ch->len == q->cap) { /* cannot happen: scan compacts; guard anyway */
            ch->len = 0;
            ch->scan = (size_t)q->w;
        }
        ch->d[ch->len] = sg_fast_atan2f(cimagf(z), crealf(z)) * dscale;
        ch->pw[ch->len] = crealf(y) * crealf(y) + cimagf(y) * cimagf(y);
        ch->len++;
    }
    ch->rot = (double complex)(rot / cabsf(rot));
}

int ble_rx_execute(ble_rx *q, const sg_iq_block *blk, ble_rx_cb cb, void *user, sg_errinfo *e)
{
    if (!q || !blk || (!blk->x && blk->n))
        return sg_err_set(e, SG_EINVAL, "ble_rx: NULL receiver or block");
    if (fabs(blk->sample_rate - q->cfg.sample_rate) > 1e-6 * q->cfg.sample_rate)
        return sg_err_set(e, SG_EINVAL, "ble_rx: block sample rate %g Hz, receiver built for %g Hz",
                          blk->sample_rate, q->cfg.sample_rate);
    for (int i = 0; i < q->cfg.n_channels; i++) {
        int rc = set_offset(q, &q->ch[i], i, blk, e);
        if (rc)
            return rc;
    }
    if (q->started && (blk->discontinuity || blk->sample_index != q->next_index)) {
        q->st.discontinuities++;
        for (int i = 0; i < q->cfg.n_channels; i++) {
            chan_scan(q, &q->ch[i], true, cb, user);
            chan_reset(q, &q->ch[i]);
        }
    }
    q->started = true;
    q->t0 = blk->t0;
    q->next_index = blk->sample_index + blk->n;
    for (int i = 0; i < q->cfg.n_channels; i++) {
        chan_feed(q, &q->ch[i], blk->x, blk->n, blk->sample_index, cb, user);
        chan_scan(q, &q->ch[i], false, cb, user);
    }
    q->st.samples += blk->n;
    return SG_OK;
}

int ble_rx_flush(ble_rx *q, ble_rx_cb cb, void *user)
{
    if (!q)
        return SG_EINVAL;
    for (int i = 0; i < q->cfg.n_channels; i++) {
        chan_scan(q, &q->ch[i], true, cb, user);
        chan_reset(q, &q->ch[i]);
    }
    q->started = false;
    return SG_OK;
}

int ble_rx_packet_odid(const ble_rx_packet *p, odid_message *out, int cap, int *n, uint8_t mac[6])
{
    if (!p || !n || (cap > 0 && !out))
        return SG_EINVAL;
    *n = 0;
    if (p->adv_rc || !p->adv.has_odid || p->adv.odid_len < 1)
        return SG_ENOTFOUND;
    if (mac)
        for (int i = 0; i < 6; i++)
            mac[i] = p->adv.adva[5 - i];
    return odid_decode_payload(p->adv.odid, p->adv.odid_len, out, cap, n, NULL);
}
