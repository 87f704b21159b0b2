/* DJI DroneID physical layer constants and the pieces shared by the modulator
 * (droneid_enc.c) and the receiver (droneid.c): frame layouts, Zadoff-Chu sync
 * symbols, the LTE Gold scrambler, subcarrier mapping and a band-limited
 * fractional resampler (capture rate <-> 15.36 Msps).
 *
 * Format (public: proto17/dji_droneid, RUB-SysSec "DroneSecurity", NDSS 2023):
 *   15.36 Msps, 1024-point FFT, 15 kHz spacing, 600 data subcarriers on bins
 *   -300..-1 and +1..+300 (DC empty); 9 OFDM symbols (newer firmware) or 8
 *   (legacy); CP 80 samples on the first and last symbol, 72 on the others.
 *   9-symbol layout: symbol 0 = scrambler sequence c[0..1199] (known), ZC root 600 in
 *   symbol 3, ZC root 147 in symbol 5, data in 1, 2, 4, 6, 7, 8.
 *   8-symbol layout: ZC in symbols 2 and 4, data in 0, 1, 3, 5, 6, 7.
 *   Data: 91-byte payload + 82 filler bytes + CRC-24A = 176 bytes = K 1408 bits, LTE
 *   turbo code, rate matched (rv 0) to E = 7200 bits, XORed with the LTE Gold
 *   sequence (x2 init 0x12345678), QPSK (first bit -> I, second -> Q, 0 -> +). */
#ifndef SG_DRONEID_PHY_H
#define SG_DRONEID_PHY_H

#include <complex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sg_error.h"
#include "sg_types.h" /* CMPLXF */

#define DRONEID_FS 15.36e6       /* Hz, native sample rate */
#define DRONEID_NFFT 1024
#define DRONEID_NCARR 600        /* data subcarriers */
#define DRONEID_NZC 601          /* ZC length (bins -300..300, DC zeroed) */
#define DRONEID_CP_LONG 80
#define DRONEID_CP_SHORT 72
#define DRONEID_K 1408           /* turbo block: 176 bytes incl. CRC-24A */
#define DRONEID_BLOCK_BYTES 176
#define DRONEID_PAYLOAD_LEN 91   /* DroneID payload incl. its CRC-16 */
#define DRONEID_E 7200           /* coded bits per burst (6 data symbols x 1200) */
#define DRONEID_QPP_F1 43
#define DRONEID_QPP_F2 88
#define DRONEID_GOLD_SEED 0x12345678u
#define DRONEID_MAX_SYM 9

typedef struct {
    int nsym;                   /* 8 or 9 */
    int zc_sym[2];              /* symbol indices of ZC 600 and ZC 147 */
    int data_sym[6];            /* symbol indices carrying the 7200 coded bits */
    int known_sym;              /* symbol carrying c[0..1199] (9-symbol), -1 if none */
    int cp[DRONEID_MAX_SYM];    /* samples at 15.36 Msps */
    int start[DRONEID_MAX_SYM]; /* offset of each symbol's CP from the burst start */
    int len;                    /* total samples at 15.36 Msps */
} droneid_layout;

/* nsym 9 or 8; NULL otherwise. Constant tables, thread-safe. */
const droneid_layout *droneid_layout_get(int nsym);
/* SG_OK if the constant tables equal the ones derived from the CP rule (tests). */
int droneid_layout_check(void);

/* LTE pseudo-random (Gold) sequence, 36.211 7.2: x1 init 1, x2 init seed, Nc 1600.
 * Writes n bits (0/1). */
void droneid_gold(uint32_t seed, uint8_t *c, size_t n);

/* Frequency-domain ZC values for bins -300..+300 (index i = bin + 300), DC zeroed:
 * z[i] = exp(-j pi u i (i + 1) / 601). */
void droneid_zc(int root, float complex z[DRONEID_NZC]);

/* FFT bin index (0..1023) of data carrier j (0..599: bins -300..-1, +1..+300). */
static inline int droneid_carrier_bin(int j)
{
    int bin = j < 300 ? j - 300 : j - 299;
    return (bin + DRONEID_NFFT) % DRONEID_NFFT;
}

/* In-place radix-2 1024-point FFT (no normalisation either way). tw: the 512
 * twiddles from droneid_fft_twiddles(). Small and allocation-free so both the
 * modulator and the receiver can use it from any thread. */
void droneid_fft_twiddles(float complex tw[DRONEID_NFFT / 2]);
void droneid_fft(float complex *x, const float complex tw[DRONEID_NFFT / 2], int inverse);

/* DRONEID_LANES transforms at once, lane by lane the same as droneid_fft (bit for bit):
 * x[k].re[l], x[k].im[l] is element k of transform l, given in bit-reversed order (the
 * caller stores element i at x[rev[i]], rev from droneid_fft_bitrev), the result in
 * natural order. The receiver's integer-CFO search runs 66 inverse transforms per
 * hypothesis: lanes let them vectorise. */
#define DRONEID_LANES 4
typedef struct {
    float re[DRONEID_LANES], im[DRONEID_LANES];
} droneid_lanes;
void droneid_fft_bitrev(int rev[DRONEID_NFFT]);
void droneid_fft_lanes(droneid_lanes *x, const float complex tw[DRONEID_NFFT / 2], int inverse);
/* Forward FFTs of the n windows y[start[i] .. start[i] + NFFT) (samples outside [0, m)
 * read as 0) into X[i], DRONEID_LANES at a time (each bit for bit droneid_fft of its
 * window). work: NFFT lanes of scratch; rev from droneid_fft_bitrev. */
void droneid_fft_windows(const float complex *y, size_t m, const long *start, int n,
                         const float complex tw[DRONEID_NFFT / 2], const int rev[DRONEID_NFFT],
                         droneid_lanes *work, float complex *const *X);

/* a * conj(b) and |a|^2 (as crealf(a * conjf(a))): the very products and sums C's
 * complex multiply makes for finite values, bit for bit, written out so no NaN test
 * (and call) follows each one; such loops can then be vectorised. Finite inputs only
 * (the receiver's are: its input is limited to finite values). */
static inline float complex droneid_mulc(float complex a, float complex b)
{
    const float ar = crealf(a), ai = cimagf(a), br = crealf(b), bi = -cimagf(b);
    return CMPLXF(ar * br - ai * bi, ar * bi + ai * br);
}

static inline float droneid_norm2(float complex a)
{
    const float ar = crealf(a), ai = cimagf(a);
    return ar * ar - ai * -ai;
}

/* Band occupancy, shared by the receiver and its pre-test. P[0..2 NFFT]: P[k + 1] holds
 * the power of FFT bin k (k < NFFT; P[0] and the rest are overwritten); turned in place
 * into prefix sums over two periods, so a window may wrap around the spectrum. */
void droneid_power_prefix(double P[2 * DRONEID_NFFT + 1]);
/* Share of the energy of bins [a, a + w) (prefix sums from droneid_power_prefix,
 * 0 <= a < NFFT, 0 < w <= NFFT) in its strongest `top` bins (0 < top <= w); 1 if the
 * window holds no energy. */
double droneid_top_share(const double P[2 * DRONEID_NFFT + 1], int a, int w, int top);
/* true if no value of x[0..n) is Inf or NaN (real and imaginary parts). */
bool droneid_all_finite(const float complex *x, size_t n);

/* ---- band-limited fractional resampler ------------------------------------------
 * y(t_m) = sum_n x[n] g(t_m - n / fs_in), t_m = m / fs_out, with g a Blackman-windowed
 * sinc low-pass at cutoff_hz (tabulated 256 points per input sample, linearly
 * interpolated), applied to x mixed by exp(-j 2 pi shift_hz n / fs_in) (so the band
 * around +shift_hz comes out at DC). Used both ways:
 * capture rate -> 15.36 Msps (receiver) and 15.36 Msps -> capture rate (modulator). */
typedef struct droneid_resamp droneid_resamp;

/* fs_in, fs_out: Hz, 1e3..1e9; cutoff_hz: < min(fs_in, fs_out) / 2. */
droneid_resamp *droneid_resamp_create(double fs_in, double fs_out, double cutoff_hz,
                                      sg_errinfo *e);
void droneid_resamp_destroy(droneid_resamp *r);
/* Output length for n input samples. */
size_t droneid_resamp_out_len(const droneid_resamp *r, size_t n);
/* Eight outputs at a time in SSE registers (on by default where the build has SSE2) or
 * the scalar loop: the same output bit for bit (tests compare the two). SG_ENOTSUP for
 * on without SSE2, SG_EINVAL for NULL. */
int droneid_resamp_set_simd(droneid_resamp *r, bool on);
/* y[i] = x[i] e^(i w i), i < n (w in radians per sample; y may be x): the mixing of
 * droneid_resamp_run and of the receiver at 15.36 Msps: four recursive phasors a sample
 * apart, restarted from cos/sin every 512 samples. */
void droneid_mix(const float complex *x, float complex *y, size_t n, double w);
/* Writes min(cap, out_len(n)) samples; *ny = written. Time origin: y[0] is at x[0]. */
void droneid_resamp_run(const droneid_resamp *r, const float complex *x, size_t n,
                        double shift_hz, float complex *y, size_t cap, size_t *ny);

#endif
