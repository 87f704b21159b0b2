/* Direction of arrival (DoA) from coherent multi-channel IQ: the direction-finding
 * stage of an RF sensor with an antenna array. It sits after the front end, which
 * gives each burst's time-frequency region; doa_execute turns the array's samples
 * over that region into a bearing with a variance and ambiguity flags.
 *
 * Frames and angles. Element positions are metres in the sensor body frame:
 * x = right, y = forward (the mounting azimuth, "boresight"), z = up (right-handed,
 * the body analogue of ENU). Azimuth az is clockwise from +y towards +x (so a
 * compass bearing is az + mounting yaw), elevation el is up from the xy plane. The
 * unit vector towards the emitter is u = (sin az cos el, cos az cos el, sin el).
 *
 * Signal model. A plane wave from u reaches element m tau_m = p_m.u / c earlier
 * than the origin, so at RF frequency f its complex sample carries the steering
 * factor a_m(f) = exp(+j 2 pi f p_m.u / c) (doa_steering). Channel m's raw sample
 * is g_m a_m s + noise with an unknown complex gain g_m (cable, LNA, ADC); the
 * calibration cal_m ~ g_0 / g_m is multiplied into the data before any estimate.
 *
 * Wideband processing. The burst's samples are cut into non-overlapping snapshot
 * windows of nfft samples (rectangular window, so noise is independent across bins)
 * and transformed per channel. Every FFT bin whose centre lies inside the burst band
 * [f_lo, f_hi] gets its own spatial covariance R_k = mean_w X_k,w X_k,w^H and its own
 * steering vectors at RF fc + f_k, so 9-20 MHz wide bursts (DroneID, Wi-Fi, OcuSync)
 * are not smeared by the phase slope across the band. Per-bin spectra are combined
 * incoherently:
 *   Bartlett  P(u) = sum_k w_k a_k^H R_k a_k / (M trace R_k)         (w_k = 1)
 *   MUSIC     P(u) = 1 / sum_k (a_k^H E_k E_k^H a_k) / M             (E_k: noise subspace)
 *   phase     2 channels only: the per-bin phase of R_k[1][0] gives the delay along
 *             the baseline (least squares over bins), then the two mirror bearings.
 * The spectrum is searched on an az grid (and an el grid for planar or 3-D arrays),
 * and the best peak is refined by successive halving of the step to 1/64 of it.
 *
 * Ambiguity is reported, never resolved by guessing (doa_result.flags):
 *   DOA_AMB_FRONT_BACK  the array is linear: a bearing and its mirror across the
 *                       array axis are indistinguishable; both are in peaks[0..1],
 *                       peaks[0] the one in front (|az - broadside| <= 90 deg).
 *   DOA_AMB_GRATING     the array's ambiguity function has another lobe >= 0.8 of the
 *                       main one (element spacing > lambda/2 at the band's frequencies);
 *                       the lobes are in peaks[].
 *   DOA_AMB_MULTI       another spectrum peak is within peak_ratio_db of the best (two
 *                       emitters, strong multipath or noise at low SNR).
 *   DOA_FLAG_NOT_RANK1  less than 70% of the signal power above the noise is in the
 *                       principal eigenvector: not one plane wave (incoherent channels,
 *                       multipath or several emitters). The noise level comes from the
 *                       detector's SNR (doa_input.snr) when given; without it (M >= 3
 *                       only) from the smallest eigenvalue, which sees several emitters
 *                       but not incoherent channels (their power looks like noise).
 *   DOA_FLAG_LOW_SNR    the estimated per-element SNR is below 0 dB in every bin.
 * Elevation of a planar horizontal array has a sign ambiguity (up/down); el is
 * searched in [0, el_max] only and DOA_AMB_UP_DOWN is set. A linear array gives no
 * elevation: el = 0 is assumed (a cone of bearings collapsed on the horizon).
 *
 * Bearing variance (Cramer-Rao). For one plane wave with per-element in-band SNR
 * rho_k in bin k, N windows and M elements, the stochastic CRB of azimuth is
 *   1 / var(az) = sum_k 2 N rho_k^2 M^2 k_k^2 s2_az / (1 + M rho_k),
 *   k_k = 2 pi (fc + f_k) / c,
 *   s2_az = (1/M) sum_m (p_m.du/daz)^2 - ((1/M) sum_m p_m.du/daz)^2
 * (the spread of the element positions along the direction of motion of u; for a
 * UCA of radius r at el = 0, s2_az = r^2 / 2 for M >= 3; for a ULA of spacing d it is
 * d^2 (M^2 - 1) / 12 times cos^2 of the angle off broadside). At high SNR this is
 * var = 1 / (2 N B rho M k^2 s2) with B bins: the ~1 / (SNR x snapshots) scale. The
 * same with du/del gives var(el). doa_execute reports the CRB at the estimated SNR
 * (rho_k from the eigenvalues of R_k), so it is a lower bound: MUSIC and Bartlett on
 * one source reach it within ~1.3x in sd above ~0 dB per element per bin with >= 50
 * windows (tests/test_doa.c measures the factor).
 *
 * Not thread-safe: one doa object per thread. create/destroy plan FFTs under the
 * shared FFTW planner lock (spectro_planner_lock). execute never allocates. */
#ifndef SG_DOA_H
#define SG_DOA_H

#include <complex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "sg_error.h"

#define DOA_MAX_ELEMENTS 16
#define DOA_MAX_PEAKS 6
#define DOA_C 299792458.0 /* m/s */

typedef struct {
    unsigned n;                         /* elements (= channels), 2..DOA_MAX_ELEMENTS */
    double pos[DOA_MAX_ELEMENTS][3];    /* m, body frame (x right, y forward, z up) */
    float complex cal[DOA_MAX_ELEMENTS]; /* multiplier per channel, cal[0] = 1; 1 = none */
    bool calibrated;                    /* cal came from a calibration (else all 1) */
} doa_array;

/* ULA of n elements spaced `spacing` m along body x, centred on the origin, so
 * broadside is forward (+y). Calibration reset to 1. */
int doa_array_ula(doa_array *a, unsigned n, double spacing, sg_errinfo *e);
/* UCA of n elements on a horizontal circle of `radius` m, element 0 forward (+y),
 * the others clockwise every 360/n deg. Calibration reset to 1. */
int doa_array_uca(doa_array *a, unsigned n, double radius, sg_errinfo *e);
/* Arbitrary positions pos[n][3] (m). Calibration reset to 1. */
int doa_array_set(doa_array *a, unsigned n, const double pos[][3], sg_errinfo *e);
/* Checks n, finite positions within 100 m, no two elements closer than 1 mm, finite
 * calibration with 1e-3 <= |cal| <= 1e3. */
int doa_array_validate(const doa_array *a, sg_errinfo *e);
/* Array from its JSON description (the "array" object of an RF sensor in the venue
 * file, docs/config.md):
 *   {"geometry": "ula" | "uca" | "custom", "elements": N (2..16),
 *    "spacing_m": d (ula), "radius_m": r (uca), "positions_m": [[x, y, z], ...] (custom),
 *    "calibration": {"phase_deg": [N], "gain_db": [N]}}   (optional)
 * The calibration lists each channel's measured error relative to channel 0 (what
 * doa_calibrate reports); the correction applied is its inverse. Errors name `where`
 * and the key. */
int doa_array_from_json(doa_array *a, const cJSON *o, const char *where, sg_errinfo *e);
/* {"phase_deg": [...], "gain_db": [...]} for n channels; NULL when out of memory. */
cJSON *doa_calibration_to_json(const double *phase_deg, const double *gain_db, unsigned n);
/* 1 = linear (collinear elements), 2 = planar, 3 = volumetric. */
unsigned doa_array_rank(const doa_array *a);
/* Largest distance between any two elements (m). */
double doa_array_aperture(const doa_array *a);

/* Steering vector out[n] at az, el (rad) and RF frequency f (Hz): a_m = exp(+j 2 pi f
 * p_m.u / c). Returns 0 or SG_EINVAL. */
int doa_steering(const doa_array *a, double az, double el, double f, float complex *out);
/* Stochastic CRB of azimuth (rad^2) for one bin of width: SNR rho (linear, per
 * element), `windows` snapshots, RF frequency f; at elevation el. Sum 1/var over bins
 * for a wideband burst. Returns INFINITY when az is unobservable. */
double doa_crb_var_az(const doa_array *a, double az, double el, double f, double rho,
                      double windows);

typedef enum {
    DOA_MUSIC = 0,
    DOA_BARTLETT,
    DOA_PHASE,              /* 2-channel phase interferometry */
} doa_method;

typedef struct {
    doa_method method;
    unsigned nfft;          /* snapshot window (samples), power of two 8..1024 */
    unsigned sources;       /* MUSIC signal-subspace dimension, 1..n-1 */
    double az_step_deg;     /* coarse grid step, 0.25..10 */
    bool elevation;         /* also search elevation (planar and 3-D arrays only) */
    double el_step_deg;     /* 1..15 */
    double el_max_deg;      /* search el in [0, el_max] (planar) or [-el_max, el_max], 0..90 */
    double peak_ratio_db;   /* peaks within this of the best are comparable, 0.5..20 */
    unsigned min_windows;   /* fewer snapshot windows in a burst: SG_ERANGE; >= 2 */
    unsigned max_bins;      /* bins used per burst (evenly spread if more), 1..nfft */
} doa_cfg;

/* One burst's samples. x holds `channels` interleaved streams: x[t * channels + m]. */
typedef struct {
    const float complex *x;
    size_t n;               /* samples per channel */
    unsigned channels;      /* must equal the array's n */
    double fs;              /* Hz, 1e3..1e9 */
    double fc;              /* Hz, RF of baseband 0, > 0 */
    double f_lo, f_hi;      /* Hz baseband, the burst band, -fs/2 <= f_lo < f_hi <= fs/2 */
    double snr;             /* linear in-band SNR per element from the detector, >= 0;
                               0 = unknown (the noise is then taken from the eigenvalues,
                               which cannot tell incoherent channels from noise) */
} doa_input;

typedef struct {
    double az, el;          /* rad, body frame */
    double level_db;        /* spectrum relative to the best peak (0 = best, <= 0) */
} doa_peak;

enum {
    DOA_AMB_FRONT_BACK = 1u << 0,
    DOA_AMB_GRATING = 1u << 1,
    DOA_AMB_MULTI = 1u << 2,
    DOA_AMB_UP_DOWN = 1u << 3,
    DOA_FLAG_NOT_RANK1 = 1u << 4,
    DOA_FLAG_LOW_SNR = 1u << 5,
};
/* Flags that make the azimuth unusable as a single bearing. */
#define DOA_AMB_AZIMUTH (DOA_AMB_FRONT_BACK | DOA_AMB_GRATING | DOA_AMB_MULTI)

typedef struct {
    double az, el;          /* rad, the best peak (el = 0 when not searched) */
    double var_az, var_el;  /* rad^2, CRB at the estimated SNR (var_el NAN if not searched) */
    double snr;             /* linear, mean per-element in-band SNR over the bins used */
    double rank1;           /* share of the signal power in the principal eigenvector, 0..1 */
    unsigned windows;       /* snapshot windows */
    unsigned bins;          /* frequency bins used */
    uint32_t flags;         /* DOA_AMB_* / DOA_FLAG_* */
    unsigned npeaks;        /* candidates, best first: mirror, grating lobes, other peaks */
    doa_peak peaks[DOA_MAX_PEAKS];
} doa_result;

/* Defaults: MUSIC, nfft 64, 1 source, az step 1 deg, elevation off, el step 5,
 * el max 60, peak ratio 3 dB, min 8 windows, max 64 bins. */
void doa_cfg_default(doa_cfg *cfg);

typedef struct doa_s doa;
/* Validates the array and the configuration (DOA_PHASE needs exactly 2 elements,
 * elevation needs a planar or 3-D array, sources < n). Copies the array. */
doa *doa_create(const doa_array *arr, const doa_cfg *cfg, sg_errinfo *e);
void doa_destroy(doa *q);
/* Replaces the calibration (cal[n], cal[0] is renormalised to 1). */
int doa_set_calibration(doa *q, const float complex *cal, sg_errinfo *e);
const doa_array *doa_get_array(const doa *q);

/* Estimates the bearing of the burst in `in`. Errors: SG_EINVAL (channel count or
 * band not matching), SG_ERANGE (fewer than min_windows windows or no bin in band),
 * SG_EFORMAT (a NaN or infinite sample: no bearing is made from it). */
int doa_execute(doa *q, const doa_input *in, doa_result *out, sg_errinfo *e);
/* The last spectrum (dB relative to its maximum) on the coarse grid: naz x nel values,
 * row-major by el; az from -180 deg in az_step, el from el_min in el_step. NULL
 * before the first execute. */
const float *doa_spectrum(const doa *q, unsigned *naz, unsigned *nel);

/* Calibration from a capture of one source at a known az, el (rad, body frame).
 * Ignores the stored calibration. */
typedef struct {
    float complex cal[DOA_MAX_ELEMENTS]; /* estimated multiplier per channel, cal[0] = 1 */
    double phase_deg[DOA_MAX_ELEMENTS];  /* arg(1/cal): the channel's phase error, deg */
    double gain_db[DOA_MAX_ELEMENTS];    /* 20 log10 |1/cal|: the channel's gain error */
    double spread_deg;      /* worst per-channel circular sd of the phase over bins, deg */
    double rank1;           /* as in doa_result: near 1 for a clean capture */
    double snr;             /* linear, mean per-element in-band SNR */
    unsigned bins, windows;
} doa_cal_report;
int doa_calibrate(doa *q, const doa_input *in, double az, double el, doa_cal_report *rep,
                  sg_errinfo *e);
/* Drift check: estimates the calibration as doa_calibrate and compares it with the
 * stored one; *max_dev_deg = the largest phase difference over channels (deg).
 * Returns SG_ESTATE when it exceeds tol_deg (the array needs recalibration). */
int doa_cal_check(doa *q, const doa_input *in, double az, double el, double tol_deg,
                  double *max_dev_deg, doa_cal_report *rep, sg_errinfo *e);

const char *doa_method_name(doa_method m);
int doa_method_parse(const char *s, doa_method *out);

#endif
