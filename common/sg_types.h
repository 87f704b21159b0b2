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
#define SG_MEAS_BURSTS 8    /* burst times a DF bearing carries (sg_measurement) */

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
    unsigned channels;       /* coherent channels interleaved in x (x[t * channels + c]) on
                                one sample clock, n samples each; 0 or 1 = one channel */
    bool gap_after;          /* the stream pauses here: the next block (if any) starts a new
                                capture segment (another clock or frequency; a triggered
                                recording), so what waits for more samples can be closed now */
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

/* Authentication state of a Remote ID transmitter (dsp/odid.h). */
typedef enum {
    SG_RID_AUTH_UNSIGNED = 0,  /* no authentication message heard */
    SG_RID_AUTH_UNVERIFIED,    /* signed, but not checkable here (method or key unknown) */
    SG_RID_AUTH_VERIFIED,      /* signature checked and good */
    SG_RID_AUTH_FAILED,        /* signature checked and bad */
} sg_rid_auth;

/* Remote ID fields beyond position/identity/operator, from the latest messages of a
 * transmitter (filled by odid_to_measurement, carried to the track). valid = false for
 * every other source. Unknown numbers are NAN, unknown strings "", enumerations as
 * decoded (0xFF: a reserved value was received). */
typedef struct {
    bool valid;
    uint8_t proto_version;     /* 0 F3411-19, 1 -20, 2 -22a */
    uint8_t id_type, ua_type;  /* Basic ID of the identity: ID type 0..4, UA type 0..15 */
    uint8_t status;            /* 0 undeclared, 1 ground, 2 airborne, 3 emergency, 4 RID failure */
    uint8_t height_type;       /* 0 above takeoff, 1 above ground level */
    double height_m;           /* m above takeoff / ground */
    double alt_baro_m;         /* m pressure altitude */
    double h_acc_m, v_acc_m, baro_acc_m; /* m, 95 % bounds of the accuracy codes */
    double speed_acc_mps;      /* m/s, 95 % bound */
    double loc_time_s;         /* s after the UTC hour of the Location message */
    double loc_time_acc_s;     /* s */
    double system_time;        /* s UTC of the System message */
    uint8_t classification;    /* 0 undeclared, 1 EU (System message) */
    uint8_t category_eu;       /* 0 undeclared, 1 open, 2 specific, 3 certified */
    uint8_t class_eu;          /* 0 undeclared, 1..7 = C0..C6 */
    uint8_t op_loc_type;       /* 0 takeoff, 1 live GNSS, 2 fixed */
    uint8_t self_id_type;      /* 0 text, 1 emergency, 2 extended status */
    char self_id[24];          /* Self-ID text */
    char operator_id[21];      /* CAA operator registration */
    uint8_t auth;              /* sg_rid_auth */
    uint8_t auth_type;         /* ASTM authentication type of the last set (0 none) */
} sg_rid_info;

/* DJI DroneID state flag bits (dsp/droneid.h, wire bytes 5..6). Meanings from public
 * DroneID reverse engineering (the Wi-Fi DroneID dissectors and the OcuSync DroneID
 * research, which agree); bits 12..15 are undocumented there. */
enum {
    SG_DJI_STATE_SERIAL_VALID = 1u << 0,  /* serial field holds the real serial */
    SG_DJI_STATE_PRIVACY_OFF = 1u << 1,   /* set = user privacy off; clear = privacy on
                                             (pilot/home may be withheld) */
    SG_DJI_STATE_HOME_SET = 1u << 2,      /* home point recorded */
    SG_DJI_STATE_UUID_SET = 1u << 3,      /* UUID field filled */
    SG_DJI_STATE_MOTOR_ON = 1u << 4,
    SG_DJI_STATE_IN_AIR = 1u << 5,
    SG_DJI_STATE_GPS_VALID = 1u << 6,     /* drone position is a GNSS fix */
    SG_DJI_STATE_ALT_VALID = 1u << 7,     /* altitude field valid */
    SG_DJI_STATE_HEIGHT_VALID = 1u << 8,  /* height above take-off valid */
    SG_DJI_STATE_HVEL_VALID = 1u << 9,    /* north/east velocity valid */
    SG_DJI_STATE_VUP_VALID = 1u << 10,    /* vertical velocity valid */
    SG_DJI_STATE_ATT_VALID = 1u << 11,    /* attitude (pitch/roll/yaw) valid */
};

/* DJI DroneID fields beyond position/identity/operator, from the latest message of a
 * drone (filled by droneid_to_measurement, carried to the track). valid = false for
 * every other source. Positions in radians; unknown numbers NAN, unknown strings "". */
typedef struct {
    bool valid;
    uint8_t msg_type;          /* 0x10 flight telemetry, 0x11 user info (serial only) */
    uint8_t nsym;              /* OFDM layout decoded: 9 (current), 8 (legacy), 0 unknown */
    uint8_t version;           /* payload version byte (2 on current firmware) */
    uint16_t seq;              /* message sequence number */
    uint16_t state;            /* raw state flags, SG_DJI_STATE_* */
    bool serial_valid, privacy_on, home_set, uuid_set, motor_on, in_air, gps_valid,
        alt_valid, height_valid, hvel_valid, vup_valid, att_valid; /* decoded state bits */
    double height_m;           /* m above the take-off point */
    double altitude_m;         /* m "altitude" field: reported above mean sea level
                                  (barometric/GNSS blend per public research; reference
                                  not confirmed by DJI) */
    double v_east, v_north, v_up; /* m/s */
    double yaw_deg;            /* deg, heading of the airframe as sent (-180..180) */
    bool has_home, has_pilot;  /* the positions below are nonzero on the wire */
    double home_lat, home_lon; /* rad, home (take-off / return) point */
    double pilot_lat, pilot_lon; /* rad, pilot app (remote controller / phone) position */
    double app_time;           /* s UTC, the pilot app's GPS time; NAN if not sent */
    char uuid[21];             /* app-side UUID, "" if none */
    uint8_t product;           /* DJI product code */
    char product_name[32];     /* droneid_product_name(product), "unknown" if not known */
} sg_droneid_info;

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
    /* The bursts behind a DF bearing (up to SG_MEAS_BURSTS, first first): start time
     * (s UTC, sample clock) and centre frequency (Hz, absolute RF), so bearings of one
     * emitter from several sites can be told from another emitter's; 0 = none */
    unsigned n_bursts;
    double burst_t[SG_MEAS_BURSTS], burst_fc[SG_MEAS_BURSTS];
    sg_rid_info rid;           /* Remote ID details (valid only for Remote ID) */
    sg_droneid_info droneid;   /* DJI DroneID details (valid only for DroneID) */
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
    sg_rid_info rid;           /* latest Remote ID details (rid.valid false if none) */
    sg_droneid_info droneid;   /* latest DJI DroneID details (droneid.valid false if none) */
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
    uint64_t scans;              /* sensor scan reports applied by the tracker */
    uint64_t scans_rejected;     /* scan reports refused (invalid coverage, too old) */
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
