/* Signal synthesis for test captures: the drone and interferer waveforms the RF
 * front end must find, mixed into white Gaussian noise at a chosen in-band SNR, with
 * exact ground truth. Used by tools/sg_gen (SigMF writer) and by tests in memory.
 *
 * Waveforms (liquid-dsp resamplers, modulators and filters; fixed seeds):
 *   droneid   DJI DroneID-like OFDM burst: 15.36 Msps numerology resampled to the
 *             capture rate, 601 subcarriers at 15 kHz (9.015 MHz), 9 symbols with CP
 *             (~643 us), Zadoff-Chu symbols 4 and 6 (roots 600, 147), QPSK elsewhere;
 *             every ~600 ms. A payload hook (siggen_burst_fn) can supply the real
 *             DroneID baseband instead.
 *   frsky     FrSky ACCST D16-like FHSS: GFSK 76.8 kbps, 47-channel hop set
 *             2404.5-2473.5 MHz (1.5 MHz steps), one ~2.5 ms packet per 9 ms hop.
 *   elrs      ExpressLRS-like: LoRa SF6 at 812.5 kHz, 80 channels 2400.4-2479.4 MHz,
 *             250 Hz packets (~1.75 ms airtime), hop every 2 packets.
 *   lora      LoRa-like chirps on one channel: SF7, 500 kHz (bandwidth sets it),
 *             8-upchirp preamble + 2.25 downchirps + 20 symbols (~7.7 ms), every 1 s.
 *   fm_video  analog FPV video: continuous FM carrier, ~6 MHz occupied.
 *   wifi      802.11-like 20 MHz OFDM bursts (64-point, 52 used subcarriers,
 *             16.6 MHz): STF/LTF-like preamble + data symbols; random spacing, mean
 *             `period`.
 *   ble       Bluetooth LE-like advertising: GFSK 1 Mbps h=0.5, ~376 us on channels
 *             37/38/39 (2402/2426/2480 MHz) back to back, every ~100 ms.
 *
 * SNR is in-band: burst power / noise power in the signal's occupied bandwidth
 * (noise_power is the total over the sample rate). Hop sets are absolute RF; hops
 * outside the captured band are not generated and not in the truth. A signal wider
 * than the capture (Wi-Fi at < 18 Msps) is cut to 0.9 fs by the resampler and then
 * fits only near the centre; its truth bandwidth is the cut one.
 *
 * Not thread-safe: one object per thread. */
#ifndef SG_SIGGEN_H
#define SG_SIGGEN_H

#include <complex.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "sg_error.h"

typedef enum {
    SIGGEN_DRONEID = 0,
    SIGGEN_FRSKY,
    SIGGEN_ELRS,
    SIGGEN_LORA,
    SIGGEN_FM_VIDEO,
    SIGGEN_WIFI,
    SIGGEN_BLE,
    SIGGEN_KIND_COUNT_
} siggen_kind;

/* Supplies one burst's baseband at rate fs (Hz) into out[0..cap-1] and sets *n.
 * The level does not matter (siggen normalises it to the requested SNR). Returns 0
 * or an sg_err code. `index` counts the bursts of this signal from 0. */
typedef int (*siggen_burst_fn)(void *user, unsigned index, double fs, float complex *out,
                               size_t cap, size_t *n);

typedef struct {
    siggen_kind kind;
    double snr_db;          /* in-band SNR, -20..80 dB */
    double freq_offset;     /* Hz from the capture centre (hop sets: shift of the plan) */
    double t_start;         /* s of the first burst from capture start, >= 0 */
    double period;          /* s between bursts; 0 = the kind's default */
    double duration;        /* s per burst (droneid: 8 symbols if < 600 us); 0 = default */
    double bandwidth;       /* Hz: lora chirp bandwidth, fm_video occupied; 0 = default */
    siggen_burst_fn payload; /* droneid: external baseband; NULL = built-in OFDM */
    void *payload_user;
} siggen_signal;

typedef struct {
    double t_start;         /* s from capture start */
    double duration;        /* s */
    double fc;              /* Hz absolute (center_freq + offset) */
    double bandwidth;       /* Hz occupied */
    uint64_t sample_start;
    uint64_t sample_count;
    siggen_kind kind;
    double snr_db;
} siggen_truth;

typedef struct siggen_s siggen;

/* Noise level a noiseless capture's signals are scaled against: a signal of snr_db
 * has that SNR over noise of this total power per sample. */
#define SIGGEN_REF_NOISE 1e-4

const char *siggen_kind_name(siggen_kind k);
int siggen_kind_parse(const char *name, siggen_kind *out);
/* Default in-band occupied bandwidth of a kind (Hz). */
double siggen_kind_bandwidth(siggen_kind k);

/* Fills s from a JSON object {"kind", "snr_db" (default 20), "freq_offset",
 * "t_start", "period", "duration", "bandwidth"}; errors name `where` and the key. */
int siggen_signal_from_json(siggen_signal *s, const cJSON *o, const char *where,
                            sg_errinfo *e);

/* fs: sample rate (1e5..1e9 Hz); duration: s of capture; center_freq: Hz RF of DC
 * (hop sets are placed relative to it; 0 = 2.44 GHz); noise_power: total noise per
 * sample (e.g. 1e-4 = -40 dBFS; 0 = noiseless). */
siggen *siggen_create(double fs, double duration, double center_freq, double noise_power,
                      uint32_t seed, sg_errinfo *e);
void siggen_destroy(siggen *q);
/* Adds a signal; its bursts are scheduled now (ground truth available at once). */
int siggen_add(siggen *q, const siggen_signal *s, sg_errinfo *e);
/* Writes the next n samples (noise + all signals); returns 0 or an sg_err code. */
int siggen_generate(siggen *q, float complex *out, size_t n, sg_errinfo *e);
/* Total samples in the capture. */
uint64_t siggen_length(const siggen *q);
/* Ground truth in order of start time. Valid until the next siggen_add/destroy. */
const siggen_truth *siggen_truth_list(const siggen *q, size_t *n);

#endif
