/* The plain structs that cross every stage boundary of the pipeline:
 *
 *   IQ block -> burst -> emitter -> measurement -> track -> alert / status
 *
 * Conventions (everywhere in skyguard):
 *   - time: double seconds, UTC Unix epoch, derived from the input's sample clock
 *     (capture start + sample index / sample rate), never the wall clock;
 *   - local frame: ENU metres (x east, y north, z up) around the site origin in the
 *     site config; WGS84 positions are degrees and metres above the ellipsoid (HAE)
 *     unless a field says AMSL/AGL;
 *   - angles: radians in computations and structs, degrees only in config files and
 *     JSON output; azimuth is clockwise from true north, elevation up from horizontal;
 *   - frequency: Hz (absolute RF unless a field says "offset");
 *   - covariance matrices: row-major, in the units of the value they describe;
 *   - NAN means "unknown" in any double field that documents it. */
#ifndef SG_TYPES_H
#define SG_TYPES_H

#include <complex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* glibc's <complex.h> defines CMPLXF for gcc only; clang (fuzz builds) has the builtin. */
#ifndef CMPLXF
#define CMPLXF(x, y) __builtin_complex((float)(x), (float)(y))
#endif

#define SG_ID_LEN 48        /* sensor, zone, identity strings incl. NUL */
#define SG_CLASS_LEN 32     /* signature class names incl. NUL */
#define SG_MAX_TRACK_SENSORS 8

/* ---- IQ ---------------------------------------------------------------------- */

/* One block of complex baseband samples from an IQ adapter (SigMF replay, SDR). */
typedef struct {
    const float complex *x;  /* samples, normalised so full scale ~ |x| = 1 */
    size_t n;                /* number of samples */
    uint64_t sample_index;   /* index of x[0] since the stream started (gaps included) */
    double sample_rate;      /* Hz, > 0 */
    double center_freq;      /* Hz, RF frequency of DC; 0 if unknown */
    double t0;               /* s UTC of sample index 0 (capture start) */
    bool discontinuity;      /* samples were lost before x[0]: reset filter state */
} sg_iq_block;

/* ---- RF bursts and emitters -------------------------------------------------- */

enum {
    SG_BURST_TRUNC_START = 1u << 0, /* burst was already on when the stream/gap began */
    SG_BURST_TRUNC_END = 1u << 1,   /* stream ended or a gap began while the burst was on */
    SG_BURST_CONTINUING = 1u << 2,  /* reported at the max length; the emission goes on */
};

/* A connected time-frequency region above the noise floor (CFAR). */
typedef struct {
    double t_start;        /* s UTC */
    double duration;       /* s */
    double fc;             /* Hz, absolute centre frequency */
    double bandwidth;      /* Hz, occupied (-level defined by the detector) */
    double peak_snr_db;    /* dB above the per-bin noise floor */
    double mean_snr_db;    /* dB */
    uint64_t sample_start; /* stream sample index of the first sample of the burst */
    uint64_t sample_count; /* samples spanned */
    uint32_t flags;        /* SG_BURST_* */
    int sensor;            /* index into the site's sensors, -1 if none */
} sg_burst;

/* ---- Measurements: the one currency between sensors and the tracker ------------ */

typedef enum {
    SG_MEAS_POS_WGS84 = 0, /* z = {lat rad, lon rad, alt m HAE}; fusion converts it to ENU */
    SG_MEAS_POS_ENU,       /* z = {x, y, z} m in the site frame; R 3x3 m^2 */
    SG_MEAS_BEARING,       /* z = {az, el} rad from sensor_enu; R 2x2 rad^2 */
    SG_MEAS_RANGE_BEARING, /* z = {range m, az rad, el rad} from sensor_enu; R 3x3 */
    SG_MEAS_RF_PRESENCE,   /* no geometry: an emitter of class cls is heard by sensor */
} sg_meas_type;

typedef struct {
    double t;                  /* s UTC, sample-clock time of the observation */
    int sensor;                /* index into the site's sensors, -1 if none */
    sg_meas_type type;
    double z[3];               /* value, see sg_meas_type; unused entries 0 */
    double R[9];               /* covariance, row-major dim x dim (dim = 3, 3, 2, 3, 0) */
    double sensor_enu[3];      /* m, sensor position in site frame (bearing types) */
    double vel_enu[3];         /* m/s, reported velocity if has_vel (DroneID, Remote ID) */
    bool has_vel;
    char cls[SG_CLASS_LEN];    /* classification, "" if none (e.g. "dji_droneid") */
    double cls_conf;           /* 0..1 */
    char identity[SG_ID_LEN];  /* decoded serial / session id, "" if none */
    bool has_operator;         /* operator/pilot/home position known */
    double operator_lat, operator_lon, operator_alt; /* rad, rad, m HAE (NAN alt unknown) */
    double fc_hz, bw_hz;       /* Hz: centre (absolute RF) and occupied bandwidth of the
                                  emission behind it (RF sensors); 0 = unknown */
} sg_measurement;

/* Dimension of z for a measurement type (0 for RF presence). */
static inline int sg_meas_dim(sg_meas_type t)
{
    return t == SG_MEAS_BEARING ? 2 : t == SG_MEAS_RF_PRESENCE ? 0 : 3;
}

/* ---- Tracks ------------------------------------------------------------------- */

typedef enum {
    SG_TRACK_TENTATIVE = 0,
    SG_TRACK_CONFIRMED,
    SG_TRACK_COASTING,  /* no update recently; predicted only */
    SG_TRACK_DELETED,   /* reported once, then removed */
} sg_track_status;

typedef struct {
    uint32_t id;               /* unique for the life of the process, never reused */
    sg_track_status status;
    double t;                  /* s UTC of the state */
    double x[6];               /* ENU m and m/s: x y z vx vy vz */
    double P[36];              /* covariance of x, row-major 6x6 */
    double lat, lon, alt;      /* rad, rad, m HAE: x[0..2] in WGS84 (filled by fusion) */
    char cls[SG_CLASS_LEN];    /* best classification so far, "" if none */
    double cls_conf;           /* 0..1 */
    char identity[SG_ID_LEN];  /* bound identity, "" if none */
    bool has_operator;
    double operator_lat, operator_lon, operator_alt; /* rad, rad, m HAE */
    int sensors[SG_MAX_TRACK_SENSORS]; /* contributing sensor indices */
    int n_sensors;
    uint32_t hits, misses;     /* updates received / consecutive scans missed */
    double t_first, t_last;    /* s UTC: first and last update */
} sg_track;

/* ---- Zones and alerts --------------------------------------------------------- */

typedef enum {
    SG_SEV_INFO = 0,   /* reported, no alarm (e.g. allow-listed) */
    SG_SEV_WARNING,
    SG_SEV_ALERT,
    SG_SEV_CRITICAL,
} sg_severity;

typedef enum {
    SG_ALERT_RAISED = 0,
    SG_ALERT_UPDATED,
    SG_ALERT_CLEARED,
} sg_alert_state;

typedef struct {
    uint32_t id;                 /* unique per (track, zone) episode */
    sg_alert_state state;
    sg_severity severity;
    double t;                    /* s UTC of this event */
    uint32_t track_id;
    char zone_id[SG_ID_LEN];
    bool inside;                 /* track is inside the zone now */
    double time_to_breach;       /* s until predicted entry; 0 inside; NAN unknown/never */
    double time_to_breach_sd;    /* s, 1-sigma of time_to_breach; NAN unknown */
    bool allow_listed;           /* identity on the allow-list: reported, not alarmed */
    char identity[SG_ID_LEN];
    char cls[SG_CLASS_LEN];
    int sensors[SG_MAX_TRACK_SENSORS];
    int n_sensors;
} sg_alert;

/* ---- Status ------------------------------------------------------------------- */

typedef struct {
    double t;                    /* s UTC (sample clock) */
    uint64_t samples_processed;
    uint64_t samples_dropped;    /* lost to overload or device overflow */
    uint64_t blocks_dropped;
    uint64_t bursts;             /* detected */
    uint64_t measurements;       /* delivered to the tracker */
    uint64_t measurements_rejected; /* invalid (NaN, out of range) and counted */
    uint64_t messages_published;
    uint64_t messages_dropped;   /* by the publisher (HWM, errors) */
    uint32_t queue_depth;        /* current, blocks */
    uint32_t queue_capacity;     /* blocks */
    uint32_t n_tracks;
    uint32_t n_alerts_active;
} sg_status;

/* Lower-case names used in config files and JSON messages (tables indexed by value). */
extern const char *const sg_severity_names[4];
extern const char *const sg_track_status_names[4];
extern const char *const sg_alert_state_names[3];
const char *sg_severity_name(sg_severity s);        /* "info", "warning", "alert", "critical" */
const char *sg_track_status_name(sg_track_status s); /* "tentative", ... */
const char *sg_alert_state_name(sg_alert_state s);   /* "raised", "updated", "cleared" */
/* Parses a severity name; returns its value or -1. */
int sg_severity_parse(const char *name);

#endif
