/* Bluetooth LE GFSK modulator (see ble_tx.h): NRZ at sps samples per bit, Gaussian
 * filtered, integrated into phase with deviation h/2 * bit rate, then rotated to the
 * carrier offset. One idle bit (carrier with ramped amplitude) on each side keeps
 * the burst edges from splattering. */
#include "ble_tx.h"

#include <math.h>
#include <stdlib.h>

#include "ble_coded.h"
#include "ble_ll.h"

#define GAUSS_SPAN 3 /* bits covered by the Gaussian pulse */

void ble_tx_cfg_default(ble_tx_cfg *c)
{
    c->sample_rate = 4e6;
    c->offset_hz = 0.0;
    c->bt = 0.5;
    c->mod_index = 0.5;
    c->amplitude = 0.5;
    c->phase0 = 0.0;
}

static int check_cfg(const ble_tx_cfg *c, int *sps, sg_errinfo *e)
{
    if (!c)
        return sg_err_set(e, SG_EINVAL, "ble_tx: NULL configuration");
    double r = c->sample_rate / 1e6;
    if (!(r >= 2.0 && r <= 64.0) || fabs(r - round(r)) > 1e-9)
        return sg_err_set(e, SG_EINVAL,
                          "ble_tx: sample_rate must be a multiple of 1 MHz in [2, 64] MHz, got %g",
                          c->sample_rate);
    if (!(fabs(c->offset_hz) <= c->sample_rate / 2 - 0.5e6))
        return sg_err_set(e, SG_EINVAL, "ble_tx: |offset_hz| must be <= sample_rate/2 - 0.5 MHz, got %g",
                          c->offset_hz);
    if (!(c->bt > 0.2 && c->bt <= 1.0))
        return sg_err_set(e, SG_EINVAL, "ble_tx: bt must be in (0.2, 1], got %g", c->bt);
    if (!(c->mod_index > 0.45 && c->mod_index < 0.55))
        return sg_err_set(e, SG_EINVAL, "ble_tx: mod_index must be in (0.45, 0.55), got %g",
                          c->mod_index);
    if (!(c->amplitude > 0.0 && isfinite(c->amplitude)))
        return sg_err_set(e, SG_EINVAL, "ble_tx: amplitude must be > 0, got %g", c->amplitude);
    *sps = (int)lround(r);
    return SG_OK;
}

size_t ble_tx_samples(const ble_tx_cfg *c, size_t nbits)
{
    int sps = (int)lround(c->sample_rate / 1e6);
    return (nbits + 2) * (size_t)sps;
}

int ble_tx_modulate(const ble_tx_cfg *c, const uint8_t *bits, size_t nbits, float complex *out,
                    size_t cap, size_t *n, sg_errinfo *e)
{
    int sps = 0, rc = check_cfg(c, &sps, e);
    if (rc)
        return rc;
    if (!bits || !out || !n || nbits == 0)
        return sg_err_set(e, SG_EINVAL, "ble_tx: no bits or no output buffer");
    size_t ns = (nbits + 2) * (size_t)sps;
    if (cap < ns)
        return sg_err_set(e, SG_EOVERFLOW, "ble_tx: need %zu samples, buffer holds %zu", ns, cap);

    /* Gaussian taps over GAUSS_SPAN bits, unit sum so a run of equal bits reaches
     * the full deviation */
    int nt = GAUSS_SPAN * sps + 1, half = nt / 2;
    double *g = malloc(sizeof *g * (size_t)nt);
    if (!g)
        return sg_err_set(e, SG_ENOMEM, "ble_tx: out of memory");
    double sigma = sqrt(log(2.0)) / (2.0 * M_PI * c->bt), gs = 0.0;
    for (int k = 0; k < nt; k++) {
        double t = (double)(k - half) / sps;
        g[k] = exp(-t * t / (2 * sigma * sigma));
        gs += g[k];
    }
    for (int k = 0; k < nt; k++)
        g[k] /= gs;

    /* NRZ level at sample i: the first and last bit periods are idle (level 0) */
    double dphi_dev = M_PI * c->mod_index / sps; /* rad/sample at full deviation */
    double dphi_c = 2.0 * M_PI * c->offset_hz / c->sample_rate;
    double ph = c->phase0;
    for (size_t i = 0; i < ns; i++) {
        double f = 0.0;
        for (int k = 0; k < nt; k++) {
            long j = (long)i + half - k;
            if (j < sps || j >= (long)((nbits + 1) * (size_t)sps))
                continue;
            size_t b = (size_t)j / (size_t)sps - 1;
            f += g[k] * (bits[b] ? 1.0 : -1.0);
        }
        /* amplitude ramps over the idle bits (raised cosine) */
        double a = c->amplitude, pos = (double)i / sps;
        if (pos < 1.0)
            a *= 0.5 - 0.5 * cos(M_PI * pos);
        else if (pos > nbits + 1.0)
            a *= 0.5 - 0.5 * cos(M_PI * (nbits + 2.0 - pos));
        out[i] = (float)(a * cos(ph)) + I * (float)(a * sin(ph));
        ph = remainder(ph + dphi_dev * f + dphi_c, 2.0 * M_PI);
    }
    free(g);
    *n = ns;
    return SG_OK;
}

int ble_tx_pdu(const ble_tx_cfg *c, const uint8_t *pdu, size_t len, int channel,
               float complex *out, size_t cap, size_t *n, sg_errinfo *e)
{
    uint8_t bits[BLE_EXT_PKT_MAX_BITS];
    size_t nbits;
    int rc = ble_packet_bits(pdu, len, channel, bits, sizeof bits, &nbits);
    if (rc)
        return sg_err_set(e, rc, "ble_tx: cannot frame a %zu-byte PDU for channel %d", len,
                          channel);
    return ble_tx_modulate(c, bits, nbits, out, cap, n, e);
}

int ble_tx_odid(const ble_tx_cfg *c, const uint8_t adva[6], uint8_t counter,
                const uint8_t msg[25], int channel, float complex *out, size_t cap, size_t *n,
                sg_errinfo *e)
{
    uint8_t pdu[BLE_PDU_MAX];
    size_t plen;
    int rc = ble_adv_build_odid(adva, counter, msg, 25, pdu, sizeof pdu, &plen);
    if (rc)
        return sg_err_set(e, rc, "ble_tx: cannot build the PDU");
    return ble_tx_pdu(c, pdu, plen, channel, out, cap, n, e);
}

int ble_tx_coded(const ble_tx_cfg *c, const uint8_t *pdu, size_t len, int channel, int s,
                 float complex *out, size_t cap, size_t *n, sg_errinfo *e)
{
    uint8_t *sym = malloc(BLE_CODED_MAX_SYMBOLS);
    if (!sym)
        return sg_err_set(e, SG_ENOMEM, "ble_tx: out of memory");
    size_t ns = 0;
    int rc = ble_coded_symbols(pdu, len, channel, s, sym, BLE_CODED_MAX_SYMBOLS, &ns);
    if (rc)
        rc = sg_err_set(e, rc, "ble_tx: cannot frame a %zu-byte PDU on the Coded PHY (S=%d, "
                               "channel %d)", len, s, channel);
    else
        rc = ble_tx_modulate(c, sym, ns, out, cap, n, e);
    free(sym);
    return rc;
}

int ble_tx_place(const float complex *src, size_t n, double fs_src, float complex *dst,
                 size_t dn, double fs_dst, double t_at, double offset_hz)
{
    if (!src || !dst || !n || !(fs_src > 0) || !(fs_dst > 0) || !isfinite(t_at) ||
        !isfinite(offset_hz))
        return SG_EINVAL;
    const int half = 16; /* windowed sinc over 32 source samples */
    double dur = (double)n / fs_src;
    long i0 = (long)floor(t_at * fs_dst), i1 = (long)ceil((t_at + dur) * fs_dst);
    if (i0 < 0)
        i0 = 0;
    if (i1 > (long)dn)
        i1 = (long)dn;
    for (long i = i0; i < i1; i++) {
        double u = ((double)i / fs_dst - t_at) * fs_src;
        long k0 = (long)floor(u);
        double complex acc = 0;
        for (long k = k0 - half + 1; k <= k0 + half; k++) {
            if (k < 0 || k >= (long)n)
                continue;
            double d = u - (double)k;
            double s = fabs(d) < 1e-12 ? 1.0 : sin(M_PI * d) / (M_PI * d);
            double w = 0.5 + 0.5 * cos(M_PI * d / half);
            acc += src[k] * (s * w);
        }
        dst[i] += (float complex)(acc * cexp(I * 2 * M_PI * offset_hz * (double)i / fs_dst));
    }
    return SG_OK;
}
