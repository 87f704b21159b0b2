/* The site (venue) configuration: one JSON file per venue naming the site origin,
 * the sensors with their positions, orientations and adapter settings, the zone
 * file, the allow-list, the tracker/alert settings and the outputs.
 *
 * The loader checks the structure it owns (site, sensors, allow-list, outputs,
 * file references) and keeps the module sections (a sensor's "adapter" and
 * "frontend", "tracker", "alerts", "feed.security", ...) as cJSON objects for the
 * owning module's *_cfg_from_json(), so each module validates its own keys and the
 * error still names the file and the key path. Paths inside the file are relative
 * to the file's directory. See docs/config.md for every key. */
#ifndef SG_SITE_H
#define SG_SITE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "sg_error.h"
#include "sg_types.h"

#define SG_PATH_LEN 1024

typedef enum {
    SG_SENSOR_RF = 0,          /* SDR or IQ replay: RF signatures, DroneID, BLE Remote ID */
    SG_SENSOR_CAMERA,          /* GStreamer video: bearings */
    SG_SENSOR_REMOTEID_WIFI,   /* Wi-Fi monitor interface or pcap: Remote ID */
    SG_SENSOR_SAPIENT,         /* a third-party SAPIENT sensor node reporting over TCP */
    SG_SENSOR_KIND_COUNT_
} sg_sensor_kind;

extern const char *const sg_sensor_kind_names[SG_SENSOR_KIND_COUNT_];

typedef struct {
    char id[SG_ID_LEN];        /* unique within the site */
    sg_sensor_kind kind;
    bool enabled;              /* disabled sensors are validated but not started */
    double lat_deg, lon_deg;   /* deg WGS84, [-90, 90] / [-180, 180] */
    double alt_m;              /* m above the ellipsoid (HAE) */
    double yaw_deg;            /* deg clockwise from true north, [-360, 360] */
    double pitch_deg;          /* deg up from horizontal, [-90, 90] */
    double roll_deg;           /* deg, [-180, 180] */
    double stale_after_s;      /* s without data before the sensor is "degraded", > 0 */
    char adapter_type[32];     /* adapter.type, e.g. "sigmf", "soapy", "gstreamer", "pcap" */
    char where[96];            /* "FILE: sensors[i]" for module error messages */
    const cJSON *adapter;      /* module-owned section (never NULL for enabled sensors) */
    const cJSON *frontend;     /* RF front-end section, NULL for defaults */
    const cJSON *ble;          /* rf only: BLE Remote ID receiver section, NULL = off */
    const cJSON *array;        /* rf only: antenna array for direction finding (docs/df.md),
                                  NULL = one antenna; parsed by doa_array_from_json */
    const cJSON *burst_thread; /* rf only: the burst thread's section (apps/node/sensor_build.c,
                                  docs/config.md), NULL for defaults */
    bool body_bearings;        /* camera: bearings relative to the boresight (default true) */
    double scan_range_m;       /* camera: m, [0, 1e5], range of its per-frame scan reports
                                  (docs/tracker.md); 0 (default) = none */
    const cJSON *json;         /* the whole sensor object (adapters that read sensor keys) */
} sg_sensor_cfg;

typedef enum { SG_ZONES_GEOJSON = 0, SG_ZONES_ED269 } sg_zones_format;

typedef struct {
    char identity[SG_ID_LEN];  /* Remote ID / DroneID serial or session id */
    char label[64];            /* who it is, e.g. "venue drone", "press" */
} sg_allow_entry;

typedef struct {
    char path[SG_PATH_LEN];    /* the config file itself */
    char name[128];            /* site name */
    double origin_lat_deg, origin_lon_deg, origin_alt_m; /* ENU origin (deg, deg, m HAE) */
    double ground_amsl_m;      /* m, ground height above mean sea level at the origin (AGL zones) */
    char time_zone[64];        /* IANA name of the venue's local time ("site.time_zone", checked
                                  against the tz database), "UTC" when absent */
    char zones_path[SG_PATH_LEN];       /* zone file, resolved; "" if none */
    sg_zones_format zones_format;       /* GeoJSON (default) or EUROCAE ED-269 */
    double geoid_undulation_m;          /* m, HAE - AMSL at the site (ED-269 AMSL limits); NAN =
                                         * absent: the daemon takes EGM96 at the origin */
    char signatures_path[SG_PATH_LEN];  /* signature library, resolved; "" = built-in default */
    char rid_trust_path[SG_PATH_LEN];   /* "remote_id_trust": DRIP keys file (odid_trust_load),
                                         * resolved; "" = none (signed Remote ID unverified) */
    sg_sensor_cfg *sensors;
    size_t n_sensors;
    sg_allow_entry *allow;
    size_t n_allow;
    char feed_endpoint[256];   /* ZeroMQ bind endpoint, e.g. "tcp://127.0.0.1:5556" */
    double snapshot_period_s;  /* s between full track-list snapshots (0 = only on change) */
    double track_update_period_s; /* s: least sample time between two updates of one track
                                     on the feed (0 = every update) */
    double status_period_s;    /* s between status messages, > 0 */
    const cJSON *feed_security; /* module-owned ("outputs.feed.security"), NULL = plaintext loopback */
    const cJSON *record;       /* module-owned ("outputs.record"), NULL = off */
    const cJSON *outputs;      /* the whole "outputs" object (sg_bridge's sinks), NULL = absent */
    const cJSON *web;          /* module-owned ("outputs.web", the operator map sg_web), NULL = defaults */
    const cJSON *tracker;      /* module-owned, NULL for defaults */
    const cJSON *alerts;       /* module-owned, NULL for defaults */
    const cJSON *nodes;        /* module-owned (apps/node/node_cfg.h), NULL = one machine */
    cJSON *doc;                /* owns the sections above */
} sg_site;

/* Loads and validates a site file. On error returns NULL and e names the file,
 * the key path and the problem. The result is freed with site_free(). */
sg_site *site_load(const char *path, sg_errinfo *e);
/* Same from text in memory; `name` stands for the file in messages and paths. */
sg_site *site_parse(const char *name, const char *text, size_t len, sg_errinfo *e);
void site_free(sg_site *s);

/* Index of the sensor with this id, -1 if none. */
int site_sensor_index(const sg_site *s, const char *id);
/* The time zone a display shows times in: its own override (sg_watch --tz, the map's
 * outputs.web.time_zone) when given (non-NULL, non-empty), else the venue's
 * site.time_zone; s may be NULL (no venue): "UTC". The one rule for every display. */
const char *site_time_zone(const sg_site *s, const char *override);
/* True if identity is on the allow-list (exact match). */
bool site_allowed(const sg_site *s, const char *identity, const char **label);

#endif
