/* Sensor registry: where every sensor of the site is and how it is pointed, and the
 * mapping of each sensor's measurements into the tracker's frame (site ENU).
 *
 * The daemon builds it from the site config's sensor list and calls registry_map on
 * every measurement before the tracker:
 *   - SG_MEAS_POS_WGS84 (DroneID / Remote ID decoded positions) -> SG_MEAS_POS_ENU;
 *     the covariance (given in the local east/north/up axes at the drone, or the
 *     sensor's default horizontal/vertical sd when R is all zero) is rotated into the
 *     site axes, and so is a reported velocity;
 *   - SG_MEAS_POS_ENU: checked, default R filled;
 *   - SG_MEAS_BEARING / SG_MEAS_RANGE_BEARING: sensor_enu filled from the registry;
 *     for sensors with body_bearings (cameras) az/el are relative to the boresight
 *     (az right-positive, el up-positive) and are rotated by the sensor's yaw / pitch /
 *     roll into true azimuth / elevation, the covariance through the Jacobian of that
 *     rotation; bearings outside the field of view (+5 %) are rejected;
 *   - SG_MEAS_RF_PRESENCE (heard, no geometry): recorded in the RF picture, keyed by
 *     (sensor, identity or class). registry_rf_attach then binds each element to a
 *     track with the same identity, or to the only identity-less / class-less track
 *     within the sensor's rf_range_m; what stays unattached is listed by
 *     registry_rf_picture as "RF presence, position unknown, heard by sensor X".
 * Invalid measurements (unknown sensor, NaN, out-of-range values) are rejected with
 * an error naming the sensor and counted.
 *
 * Not thread-safe: one thread maps, attaches and lists. */
#ifndef SG_FUSION_REGISTRY_H
#define SG_FUSION_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "geo.h"
#include "sg_error.h"
#include "sg_types.h"

#define REGISTRY_MAX_SENSORS 256
#define REGISTRY_MAX_PRESENCE 256 /* RF picture elements kept; the stalest is evicted (counted) */

typedef enum {
    FUSION_SENSOR_RF = 0,   /* SDR: signatures, DroneID positions, RF presence */
    FUSION_SENSOR_CAMERA,   /* bearings relative to boresight by default */
    FUSION_SENSOR_RADAR,    /* range-bearing in true az/el */
    FUSION_SENSOR_REMOTEID, /* BLE / Wi-Fi Remote ID receiver: positions, presence */
    FUSION_SENSOR_ACOUSTIC, /* bearings */
    FUSION_SENSOR_OTHER,
} fusion_sensor_kind;

typedef struct {
    char id[SG_ID_LEN];          /* unique, non-empty */
    fusion_sensor_kind kind;
    double lat, lon, alt;        /* rad [-pi/2, pi/2], rad [-pi, pi], m HAE [-1000, 1e5] */
    double yaw;                  /* rad: boresight azimuth, clockwise from true north */
    double pitch;                /* rad [-pi/2, pi/2]: boresight elevation, up positive */
    double roll;                 /* rad: about the boresight, right side down positive */
    double hfov, vfov;           /* rad (0, 2pi] / (0, pi]; 0 = no field-of-view check */
    bool body_bearings;          /* bearings are relative to the boresight (cameras) */
    double pos_sd_h, pos_sd_v;   /* m > 0: default 1-sigma of position fixes */
    double bearing_sd;           /* rad > 0: default 1-sigma of az and el */
    double range_sd;             /* m > 0: default 1-sigma of range */
    double rf_range_m;           /* m >= 0: detection range for RF attach; 0 = unlimited */
    double stale_s;              /* s > 0: RF presence elements expire after this silence */
} fusion_sensor;

/* Defaults for a kind: sd 10 m / 15 m, 1 deg bearings (cameras 0.1 deg, body bearings),
 * 5 m range, rf_range 3 km, stale 10 s; position and orientation 0. */
void fusion_sensor_default(fusion_sensor *s, fusion_sensor_kind kind);

/* Reads one sensor object of the site config. Keys (degrees in the file):
 *   id, kind ("rf"|"camera"|"radar"|"remoteid"|"acoustic"|"other"), lat, lon, alt_m (HAE),
 *   yaw_deg, pitch_deg, roll_deg, hfov_deg, vfov_deg, body_bearings, pos_sd_m,
 *   pos_sd_v_m, bearing_sd_deg, range_sd_m, rf_range_m, stale_s.
 * id, kind, lat, lon are required; others default per kind. Unknown keys are errors
 * (set extra_keys to a NULL-terminated list of keys the caller owns, or NULL). */
int fusion_sensor_from_json(const cJSON *obj, const char *where, const char *const *extra_keys,
                            fusion_sensor *s, sg_errinfo *e);

typedef struct registry registry;

/* Validates and copies n sensors (index i in measurements = s[i]). Errors name the
 * sensor: "sensors[2] (id \"cam-n\"): lat: must be in [-90, 90] deg, got 123". */
registry *registry_create(const geo_frame *f, const fusion_sensor *s, size_t n, sg_errinfo *e);
void registry_destroy(registry *r);

size_t registry_count(const registry *r);
const fusion_sensor *registry_sensor(const registry *r, size_t i); /* NULL if out of range */
/* Index of the sensor with this id, or SG_ENOTFOUND. */
int registry_find(const registry *r, const char *id);
/* Sensor position in the site frame, m. */
void registry_sensor_enu(const registry *r, size_t i, double enu[3]);

/* Maps one measurement (see top of file). On SG_OK *out is valid: for the tracker if
 * registry_for_tracker(out), else an RF presence that was recorded in the picture.
 * On error out is untouched, the rejection is counted and e says why. in == out is
 * allowed. */
int registry_map(registry *r, const sg_measurement *in, sg_measurement *out, sg_errinfo *e);

static inline bool registry_for_tracker(const sg_measurement *m)
{
    return sg_meas_dim(m->type) > 0;
}

/* One "RF presence, position unknown" picture element. */
typedef struct {
    uint32_t id;               /* unique per element, never reused */
    int sensor;                /* sensor index that heard it */
    char sensor_id[SG_ID_LEN];
    char cls[SG_CLASS_LEN];    /* signature class, "" unknown */
    double cls_conf;           /* 0..1 */
    char identity[SG_ID_LEN];  /* decoded serial, "" unknown */
    double first_seen, last_seen; /* s UTC */
    double expires;            /* s UTC: last_seen + the sensor's stale_s */
    uint32_t hits;             /* measurements merged into it */
    bool attached;             /* bound to a track by the last registry_rf_attach */
    uint32_t track_id;         /* that track, valid if attached */
    double fc_hz, bw_hz;       /* Hz: of the latest measurement that gave them, 0 unknown */
} rf_presence;

/* Drops expired elements, then binds the rest to tracks (identity match first, else
 * the only candidate track within the sensor's rf_range_m). A bound element fills the
 * track's empty identity, a better class, and adds the sensor to track->sensors.
 * Returns the number of elements attached. Tracks with status DELETED are ignored. */
size_t registry_rf_attach(registry *r, double t, sg_track *tracks, size_t n);

/* Unexpired elements at time t: the unattached ones (the "position unknown" picture),
 * and with_attached also those bound to a track (track_id says which); writes at most
 * cap, returns how many there are. */
size_t registry_rf_picture(const registry *r, double t, bool with_attached, rf_presence *out,
                           size_t cap);

typedef struct {
    uint64_t mapped;          /* measurements accepted */
    uint64_t rejected;        /* refused: bad sensor, NaN, out of range, outside FOV */
    uint64_t rf_presence;     /* RF presence measurements recorded */
    uint64_t rf_evicted;      /* picture elements dropped because the picture was full */
    uint64_t rf_expired;      /* picture elements that expired */
} registry_stats;

void registry_get_stats(const registry *r, registry_stats *s);

#endif
