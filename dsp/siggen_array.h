/* Multi-channel synthetic captures for direction finding: what the antenna array of
 * one DF site receives from moving emitters. The waveforms are siggen's (DroneID,
 * ExpressLRS, FrSky, Wi-Fi, ...; one noiseless siggen per emitter, seeded by the
 * emitter so every site sees the same bursts); this module adds the geometry:
 *
 *   - emitters move on straight lines (ENU position at t = 0 + velocity);
 *   - each path reaches element m with the steering of doa.h from the true direction
 *     in the site's body frame (ENU azimuth minus the mounting yaw), applied as a true
 *     time advance p_m.u / c (carrier phase plus a 16-tap windowed-sinc fractional
 *     delay of the envelope, so wideband bursts get the right phase in every bin);
 *   - a ground reflection (flat ground at ENU up = 0): the image emitter at -up, with a
 *     real reflection coefficient, its own direction and its extra path delay;
 *   - amplitude ~ 1 / range: the emitter's snr_db is the per-element in-band SNR at
 *     ref_range (free space); noise is white and independent per channel;
 *   - per-channel gain/phase errors multiply signal and noise of each channel (as an
 *     LNA/cable/ADC chain would), so doa_calibrate should find cal_m = g_0 / g_m.
 * Not modelled: Doppler, antenna patterns, mutual coupling, absolute propagation delay.
 * Geometry is evaluated every 1024 samples. Every output sample is delayed by
 * SGA_LATENCY samples (the fractional-delay filter's centre); the truth includes it.
 *
 * Not thread-safe: one object per site. */
#ifndef SG_SIGGEN_ARRAY_H
#define SG_SIGGEN_ARRAY_H

#include <complex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "doa.h"
#include "sg_error.h"
#include "siggen.h"

#define SGA_LATENCY 8       /* samples */
#define SGA_MAX_EMITTERS 16

typedef struct {
    siggen_signal sig;      /* waveform and schedule; sig.snr_db = per-element in-band SNR at
                               ref_range */
    double ref_range;       /* m, 1..1e6 */
    double pos[3];          /* m ENU at t = 0 (up above the ground) */
    double vel[3];          /* m/s ENU, |v| <= 300 */
    uint32_t seed;          /* waveform seed: the same emitter at every site */
    bool interferer;        /* labels the truth only */
} sga_emitter;

typedef struct {
    doa_array array;        /* element positions (body frame); its cal is ignored */
    double pos[3];          /* m ENU of the body origin, up > 0 (above the ground) */
    double yaw_deg;         /* body forward, deg clockwise from north, [-360, 360] */
    float complex gain[DOA_MAX_ELEMENTS]; /* channel errors (1 = none), |g| in [0.01, 100] */
    double ground_gamma;    /* ground reflection coefficient, [-1, 1], 0 = no reflection */
    double noise_power;     /* per channel and sample, (0, 1] (1e-4 = -40 dBFS) */
    uint32_t seed;          /* noise seed */
} sga_site;

/* One burst as this site sees it. */
typedef struct {
    siggen_truth burst;     /* from siggen; sample_start includes SGA_LATENCY */
    unsigned emitter;       /* index in the order added */
    bool interferer;
    double pos[3];          /* m ENU of the emitter at the burst's middle */
    double az, el;          /* rad, true direction from the site: az clockwise from north */
    double az_body;         /* rad, az - yaw wrapped to (-pi, pi] */
    double range;           /* m */
    double snr_db;          /* per-element in-band SNR here at the burst's middle */
} sga_truth;

typedef struct sga_s sga;

/* Fills site with defaults: no channel errors, no reflection, noise 1e-4, seed 1,
 * position (0, 0, 10), yaw 0; the array is left as given. */
void sga_site_default(sga_site *site);
/* Direction and range from the site to ENU point p: az clockwise from north, el up
 * (rad), az_body = az - yaw. */
void sga_bearing(const sga_site *s, const double p[3], double *az, double *el,
                 double *az_body, double *range);

/* fs: 1e5..1e9 Hz; duration: s; fc: Hz RF of baseband 0 (> 0). */
sga *sga_create(const sga_site *site, double fs, double duration, double fc, sg_errinfo *e);
void sga_destroy(sga *q);
int sga_add(sga *q, const sga_emitter *em, sg_errinfo *e);
unsigned sga_channels(const sga *q);
uint64_t sga_length(const sga *q);
/* Writes the next n samples of every channel, interleaved: out[t * channels + m]. */
int sga_generate(sga *q, float complex *out, size_t n, sg_errinfo *e);
/* Truth of every burst of every emitter, in start order; valid until the next add. */
const sga_truth *sga_truth_list(const sga *q, size_t *n);
/* The one truth burst that a detected burst (stream samples [start, start + count),
 * centre fc Hz) overlaps in time and within half its bandwidth in frequency; NULL when
 * none or several do (a collision: no single truth to score against). */
const sga_truth *sga_truth_match(const sga *q, uint64_t start, uint64_t count, double fc);

#endif
