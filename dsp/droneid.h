/* DJI DroneID: message, receiver (burst IQ -> decoded message) and the bridge to the
 * tracker (message -> SG_MEAS_POS_WGS84 measurement with identity).
 *
 * Where it sits: the RF front end finds bursts (sg_burst); droneid_burst.h decides
 * which are worth decoding and hands each DroneID-length piece of a burst's IQ (a
 * contiguous copy at the capture rate, with its frequency offset from the capture
 * centre) to droneid_rx_decode(). A pre-test at the capture rate (droneid_pre.h) refuses
 * most non-DroneID bursts before any resampling. The receiver resamples to 15.36 Msps, finds the
 * symbol timing and coarse CFO from the cyclic prefixes (a layout whose CP metric is
 * below 0.2 stops there: the cheap rejection of non-DroneID bursts), finds the band's
 * centre in the burst's own spectrum (a layout whose band is not evenly occupied at
 * that timing, more than 0.4 of its energy in 1/8 of its bins, stops there too),
 * resolves the integer CFO and
 * refines timing on the Zadoff-Chu symbols, estimates the channel on both ZC symbols
 * (with the residual CFO from their phase difference), demodulates QPSK to soft bits,
 * descrambles, undoes rate matching, turbo-decodes (max-log-MAP, CRC-24A early stop)
 * and parses the 91-byte payload (with its own CRC-16). Physical details:
 * droneid_phy.h. The modulator (droneid_enc.h) is the exact inverse.
 *
 * Payload (little-endian, 91 bytes): len(1) type(1) version(1) seq(2) state(2)
 * serial(16) lon(4) lat(4) altitude(2) height(2) v_north(2) v_east(2) v_up(2) yaw(2)
 * gps_time(8) pilot_lat(4) pilot_lon(4) home_lon(4) home_lat(4) product(1)
 * uuid_len(1) uuid(20) crc16(2). Angles on the wire are int32 radians x 1e7. */
#ifndef SG_DRONEID_H
#define SG_DRONEID_H

#include <complex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "droneid_phy.h"
#include "sg_error.h"
#include "sg_types.h"

#define DRONEID_MSG_FLIGHT 0x10    /* telemetry: the layout above */
#define DRONEID_MSG_USER_INFO 0x11 /* serial at byte 2, no position (seen on air) */

typedef struct {
    uint8_t pkt_len;        /* byte 0: bytes after it excluding the CRC-16 (88) */
    uint8_t msg_type;       /* 0x10 = flight telemetry */
    uint8_t version;        /* 2 on current firmware */
    uint16_t seq;           /* sequence number */
    uint16_t state_info;    /* flag bits (motor on, in air, GPS valid, ...) */
    char serial[17];        /* drone serial number, NUL-terminated (16 chars max) */
    double lat_deg, lon_deg;            /* drone position, degrees (wire: rad x 1e7) */
    double altitude_m;      /* wire int16: altitude (barometric/AMSL-like), metres */
    double height_m;        /* wire int16: height above take-off, metres */
    double v_north, v_east, v_up;       /* m/s (wire int16 cm/s) */
    double yaw_deg;         /* wire int16 centidegrees */
    uint64_t gps_time_ms;   /* pilot app GPS time, ms since the Unix epoch */
    double pilot_lat_deg, pilot_lon_deg; /* operator (app) position, degrees */
    double home_lat_deg, home_lon_deg;   /* home point, degrees */
    uint8_t product_type;   /* DJI model code (58 = Mavic Air 2, 63 = Mini 2, ...) */
    uint8_t uuid_len;
    char uuid[21];          /* NUL-terminated (20 chars max) */
    bool crc16_ok;          /* payload CRC-16 matched (set by droneid_parse) */
    uint8_t nsym;           /* OFDM layout it came in: 9, 8 (legacy); 0 = not received
                               (set by droneid_rx_decode, 0 after droneid_parse) */
    uint8_t raw[DRONEID_PAYLOAD_LEN]; /* the payload bytes as sent/received */
} droneid_msg;

/* Sets the fixed header (len 88, type 0x10, version 2) and zeroes the rest. */
void droneid_msg_init(droneid_msg *m);
/* Quantises m into raw[91] (including the CRC-16) and also stores it in m->raw.
 * SG_ERANGE if a field does not fit its wire type (|lat| > 90, serial > 16 chars...). */
int droneid_pack(droneid_msg *m, uint8_t raw[DRONEID_PAYLOAD_LEN]);
/* Parses raw[91] into m (all fields, crc16_ok). For msg_type 0x11 only pkt_len,
 * msg_type, serial and raw are filled (crc16_ok false: that message has no flight
 * CRC-16). Non-printable serial/uuid bytes become '?'. Never fails. */
void droneid_parse(const uint8_t raw[DRONEID_PAYLOAD_LEN], droneid_msg *m);
/* Name of a DJI product code (dsp/droneid_info.c, 55 codes), "unknown" if not in the
 * table. */
const char *droneid_product_name(uint8_t code);

/* ---- receiver ---------------------------------------------------------------------- */

typedef struct droneid_rx droneid_rx;

typedef struct {
    int stage;              /* last stage reached: DRONEID_STAGE_* */
    int nsym;               /* layout found: 9 or 8 (0 if no sync) */
    double cp_metric;       /* 0..1 normalised CP correlation at the chosen timing */
    double zc_metric;       /* 0..1 normalised ZC correlation (both ZC symbols) */
    double occupancy;       /* 0.125..1: share of the band's energy in its strongest 1/8 of
                               the 601 bins (flat OFDM ~0.16; a narrow signal near 1); -1
                               if no layout passed the CP metric */
    bool rejected;          /* stopped by the cheap tests before the ZC search (SG_ENOTFOUND):
                               by the pre-test before resampling (pre_verdict != 0), or on
                               every layout CP metric < 0.2 or occupancy > 0.4 */
    int pre_verdict;        /* the pre-test's DRONEID_PRE_* (droneid_pre.h): 0 passed, 1 CP
                               metric, 2 occupancy */
    double pre_cp_metric;   /* 0..1, the pre-test's CP metric (at the capture rate); 0 if
                               the burst was too short to test or the pre-test is off */
    double pre_occupancy;   /* the pre-test's occupancy; -1 if no layout passed its CP test */
    double cfo_hz;          /* total carrier offset found (fractional + integer + fine) */
    double start_s;         /* s, burst start (first CP) from the start of the input IQ
                               (slightly negative if the input began inside the burst) */
    double snr_db;          /* from the ZC symbols (channel estimate consistency) */
    double evm_db;          /* data QPSK EVM, dB (after equalisation, hard decisions) */
    int known_sym_errors;   /* bit errors in the known symbol 0 (9-symbol), -1 if none */
    int turbo_iters;
    bool crc24_ok;          /* turbo block CRC */
    bool crc16_ok;          /* payload CRC */
    uint8_t block[DRONEID_BLOCK_BYTES]; /* decoded turbo block (valid if stage >= TURBO) */
} droneid_diag;

enum {
    DRONEID_STAGE_NONE = 0,
    DRONEID_STAGE_SYNC,     /* CP timing + coarse CFO found */
    DRONEID_STAGE_ZC,       /* ZC symbols found (integer CFO, timing refined) */
    DRONEID_STAGE_DEMOD,    /* soft bits produced */
    DRONEID_STAGE_TURBO,    /* turbo decoder ran */
    DRONEID_STAGE_CRC,      /* CRC-24A valid: message decoded */
};

/* fs: capture sample rate in Hz, 15.36e6 .. 200e6 (15.36e6 skips resampling).
 * NULL on bad fs or no memory. No FFTW (own small FFT), no globals: receivers on
 * different threads are independent; one receiver must not be shared by threads. */
droneid_rx *droneid_rx_create(double fs, sg_errinfo *e);
void droneid_rx_destroy(droneid_rx *q);
/* The capture rate (Hz) the receiver was made for. */
double droneid_rx_rate(const droneid_rx *q);
/* Occupancy (droneid_diag.occupancy) above which a sync hypothesis is refused before the
 * ZC search; default 0.4, range [0.125, 1] (1 turns the test off: benchmarks compare
 * with and without it). SG_EINVAL out of range or NaN. */
int droneid_rx_set_occupancy_max(droneid_rx *q, double occ_max);
/* The receiver's SSE paths (resampler, ZC timing search, turbo decoder; on by default
 * where the build has SSE2) or their scalar loops: the same messages and droneid_diag bit
 * for bit (test_droneid compares the two). SG_ENOTSUP for on without SSE2,
 * SG_EINVAL for NULL. */
int droneid_rx_set_simd(droneid_rx *q, bool on);
/* Thresholds of the pre-test before resampling (droneid_pre.h): a burst whose CP metric
 * there is below cp_min on both layouts, or whose occupancy there is above occ_max on every
 * layout reaching cp_min, is refused (diag.rejected, SG_ENOTFOUND) without being
 * resampled; a burst that passes is resampled and searched only around the pre-test's
 * timing (with 100 us on each side) when the region is longer. cp_min in [0, 1], occ_max
 * in [0.125, 1]; (0, 1) turns the pre-test off and with it that trimming (benchmarks and
 * tests compare with and without it). SG_EINVAL out of range or NaN. */
int droneid_rx_set_pretest(droneid_rx *q, double cp_min, double occ_max);
/* The turbo decoder's early stop of a hopeless block (turbo_set_give_up: more than 1/6 of
 * the decided bits changing in each of two iterations in a row), on by default; off runs
 * all 8 iterations on every block that fails the CRC (benchmarks and tests compare the
 * two). SG_EINVAL for NULL. */
int droneid_rx_set_turbo_give_up(droneid_rx *q, bool on);
/* Defaults of droneid_rx_set_pretest, set on the tuning seed of tests/test_droneid_burst
 * (real bursts it decodes, 15.36-61.44 Msps, 3 to -3 dB: pre-test CP metric >= 0.144,
 * occupancy <= 0.29) and the busy scene of bench_droneid seed 4242 (noise-like regions
 * 0.07-0.12, strong ELRS packets occupancy 0.65-0.95). */
#define DRONEID_PRE_CP_MIN 0.12
#define DRONEID_PRE_OCC_MAX 0.5

/* Decodes one burst. iq[n]: complex baseband at fs holding the burst (leading and
 * trailing noise allowed, up to ~10 ms; edges trimmed by up to ~6 us are tolerated);
 * freq_offset_hz: burst centre relative to DC
 * (|offset| < fs/2 - 5 MHz) as estimated by the front end; the receiver finds the
 * band's centre in the burst's own spectrum (up to +-1.65 MHz from the hint) and then
 * the integer carrier offset within +-240 kHz of that.
 * Returns SG_OK (out filled, CRC-24A valid; out->crc16_ok tells the payload CRC),
 * SG_ETRUNC (input shorter than a burst), SG_ENOTFOUND (no DroneID sync),
 * SG_ECRC (synced and decoded but CRC-24A failed), SG_EINVAL (bad args/NaN input).
 * diag (may be NULL) says how far it got. Never reads outside iq[0..n). */
int droneid_rx_decode(droneid_rx *q, const float complex *iq, size_t n,
                      double freq_offset_hz, droneid_msg *out, droneid_diag *diag);

/* Message -> tracker measurement.
 * Flight telemetry (0x10): SG_MEAS_POS_WGS84 (lat/lon rad, alt = altitude_m as m HAE:
 * the geoid separation, up to +-100 m, is not applied), R from the DroneID
 * quantisation and GNSS error (~5 m horizontal, 10 m vertical 1-sigma), velocity as
 * ENU (v_east, v_north, v_up), identity = serial, operator = pilot position
 * (has_operator if nonzero), cls "dji_droneid", conf 1; SG_EINVAL if the position is
 * absent (0,0) or out of range.
 * User info (0x11, serial but no position): SG_MEAS_RF_PRESENCE with identity =
 * serial and cls "dji_droneid" (fusion binds it to the track of that serial or keeps
 * it as an RF-picture element); SG_EINVAL if the serial is empty.
 * Both fill out->droneid (droneid_info_fill). */
int droneid_to_measurement(const droneid_msg *m, double t, int sensor, sg_measurement *out);
/* Every decoded field of m as the track carries it (sg_types.h sg_droneid_info):
 * state bits decoded, positions in radians, app time in s UTC (NAN if 0), product
 * name from droneid_product_name. valid = true. */
void droneid_info_fill(const droneid_msg *m, sg_droneid_info *out);

#endif
