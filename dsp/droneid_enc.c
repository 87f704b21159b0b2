/* DJI DroneID modulator (see droneid_enc.h): builds the burst at 15.36 Msps exactly as
 * the receiver expects it, then resamples to the caller's rate. */
#include "droneid_enc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sg_crc.h"
#include "turbo.h"

size_t droneid_mod_len(double fs, int nsym)
{
    const droneid_layout *l = droneid_layout_get(nsym);
    if (!l || !(fs > 0))
        return 0;
    if (fs == DRONEID_FS)
        return (size_t)l->len;
    return (size_t)floor((double)(l->len - 1) * fs / DRONEID_FS) + 1;
}

int droneid_encode_bits(const uint8_t payload[DRONEID_PAYLOAD_LEN],
                        uint8_t block[DRONEID_BLOCK_BYTES], uint8_t coded[DRONEID_E])
{
    memset(block, 0, DRONEID_BLOCK_BYTES);
    memcpy(block, payload, DRONEID_PAYLOAD_LEN);
    uint32_t crc = sg_crc(&SG_CRC24A, block, DRONEID_BLOCK_BYTES - 3);
    block[DRONEID_BLOCK_BYTES - 3] = (uint8_t)(crc >> 16);
    block[DRONEID_BLOCK_BYTES - 2] = (uint8_t)(crc >> 8);
    block[DRONEID_BLOCK_BYTES - 1] = (uint8_t)crc;

    sg_errinfo e;
    turbo_codec *tc = turbo_create(DRONEID_K, DRONEID_QPP_F1, DRONEID_QPP_F2, &e);
    turbo_rm *rm = turbo_rm_create(DRONEID_K + 4, DRONEID_E, 0, &e);
    uint8_t *buf = malloc(DRONEID_K + 3 * (DRONEID_K + 4) + DRONEID_E);
    if (!tc || !rm || !buf) {
        turbo_destroy(tc);
        turbo_rm_destroy(rm);
        free(buf);
        return SG_ENOMEM;
    }
    uint8_t *bits = buf, *d0 = bits + DRONEID_K, *d1 = d0 + DRONEID_K + 4,
            *d2 = d1 + DRONEID_K + 4, *gold = d2 + DRONEID_K + 4;
    for (int i = 0; i < DRONEID_K; i++)
        bits[i] = (block[i / 8] >> (7 - i % 8)) & 1;
    turbo_encode(tc, bits, d0, d1, d2);
    turbo_rm_match(rm, d0, d1, d2, coded);
    droneid_gold(DRONEID_GOLD_SEED, gold, DRONEID_E);
    for (int i = 0; i < DRONEID_E; i++)
        coded[i] ^= gold[i];
    turbo_destroy(tc);
    turbo_rm_destroy(rm);
    free(buf);
    return SG_OK;
}

static float complex qpsk(int b0, int b1)
{
    const float a = (float)M_SQRT1_2;
    return (b0 ? -a : a) + I * (b1 ? -a : a);
}

int droneid_modulate_cfg(const droneid_msg *m, const droneid_mod_cfg *cfg, double fs,
                         double cfo_hz, float complex *out, size_t cap, size_t *n)
{
    droneid_mod_cfg c = {9, 0.1};
    if (cfg)
        c = *cfg;
    if (n)
        *n = 0;
    const droneid_layout *l = droneid_layout_get(c.nsym);
    if (!m || !out || !l || !(c.amplitude > 0) || !isfinite(c.amplitude))
        return SG_EINVAL;
    if (!(fs >= DRONEID_FS && fs <= 200e6) || !isfinite(cfo_hz) ||
        fabs(cfo_hz) >= fs / 2 - 5e6)
        return SG_ERANGE;
    size_t need = droneid_mod_len(fs, c.nsym);
    if (cap < need)
        return SG_EOVERFLOW;

    droneid_msg mm = *m;
    uint8_t payload[DRONEID_PAYLOAD_LEN], block[DRONEID_BLOCK_BYTES];
    int rc = droneid_pack(&mm, payload);
    if (rc)
        return rc;
    uint8_t *coded = malloc(DRONEID_E + 2 * DRONEID_NCARR);
    float complex *base = malloc(sizeof(float complex) * (size_t)(l->len + DRONEID_NFFT));
    float complex *tw = malloc(sizeof(float complex) * DRONEID_NFFT / 2);
    if (!coded || !base || !tw) {
        free(coded), free(base), free(tw);
        return SG_ENOMEM;
    }
    uint8_t *known = coded + DRONEID_E;
    rc = droneid_encode_bits(payload, block, coded);
    if (rc) {
        free(coded), free(base), free(tw);
        return rc;
    }
    droneid_gold(DRONEID_GOLD_SEED, known, 2 * DRONEID_NCARR);
    droneid_fft_twiddles(tw);

    float complex zc[2][DRONEID_NZC];
    droneid_zc(600, zc[0]);
    droneid_zc(147, zc[1]);
    float complex *X = base + l->len; /* scratch symbol */
    int dsym = 0;
    for (int s = 0; s < l->nsym; s++) {
        memset(X, 0, sizeof(float complex) * DRONEID_NFFT);
        int z = s == l->zc_sym[0] ? 0 : s == l->zc_sym[1] ? 1 : -1;
        if (z >= 0) {
            for (int i = 0; i < DRONEID_NZC; i++)
                X[(i - 300 + DRONEID_NFFT) % DRONEID_NFFT] = zc[z][i];
        } else {
            const uint8_t *b = s == l->known_sym ? known : coded + 2 * DRONEID_NCARR * dsym++;
            for (int j = 0; j < DRONEID_NCARR; j++)
                X[droneid_carrier_bin(j)] = qpsk(b[2 * j], b[2 * j + 1]);
        }
        droneid_fft(X, tw, 1);
        float complex *dst = base + l->start[s];
        memcpy(dst, X + DRONEID_NFFT - l->cp[s], sizeof(float complex) * (size_t)l->cp[s]);
        memcpy(dst + l->cp[s], X, sizeof(float complex) * DRONEID_NFFT);
    }

    size_t got = 0;
    if (fs == DRONEID_FS) {
        memcpy(out, base, sizeof(float complex) * (size_t)l->len);
        got = (size_t)l->len;
    } else {
        sg_errinfo e;
        droneid_resamp *r = droneid_resamp_create(DRONEID_FS, fs, 6.2e6, &e);
        if (!r) {
            free(coded), free(base), free(tw);
            return e.code;
        }
        droneid_resamp_run(r, base, (size_t)l->len, 0.0, out, cap, &got);
        droneid_resamp_destroy(r);
    }
    double p = 0;
    for (size_t k = 0; k < got; k++)
        p += (double)(crealf(out[k]) * crealf(out[k]) + cimagf(out[k]) * cimagf(out[k]));
    double g = p > 0 ? c.amplitude / sqrt(p / (double)got) : 0;
    double complex ph = 1, dph = cexp(2.0 * M_PI * I * cfo_hz / fs);
    for (size_t k = 0; k < got; k++) {
        out[k] = (float complex)(g * ph) * out[k];
        ph *= dph;
        if ((k & 1023) == 1023)
            ph /= cabs(ph); /* keep the recursive phasor on the unit circle */
    }
    free(coded), free(base), free(tw);
    if (n)
        *n = got;
    return SG_OK;
}

int droneid_modulate(const droneid_msg *m, double fs, double cfo_hz, float complex *out,
                     size_t cap, size_t *n)
{
    return droneid_modulate_cfg(m, NULL, fs, cfo_hz, out, cap, n);
}
