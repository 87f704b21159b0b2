/* The venue as the operator map draws it (sg_web): the site file's origin, sensors
 * and zones (GeoJSON or ED-269, loaded with the daemon's own zone loader so the map
 * shows exactly the geometry the alert engine tests), the map settings of
 * "outputs.web" (time zone, optional tile source, listen address, TLS and login
 * files; docs/config.md) and the zones' schedule activity at a given time.
 *
 * Nothing secret goes into web_venue_json(): no key or token paths, no allow-list
 * identities (the server marks allow-listed tracks itself). Immutable after load:
 * thread-safe. */
#ifndef SG_WEB_VENUE_H
#define SG_WEB_VENUE_H

#include <cjson/cJSON.h>

#include "sg_error.h"
#include "site.h"

typedef struct {
    char listen[128];              /* "ADDR:PORT", ADDR an IPv4 literal or [IPv6]; 127.0.0.1:8080 */
    char time_zone[64];            /* IANA name for displayed times; "" from web_cfg_from_json
                                      when absent, the venue's (site_time_zone) after
                                      web_venue_load */
    char tiles_url[512];           /* XYZ template with {z} {x} {y}; "" = no tiles */
    char tiles_dir[SG_PATH_LEN];   /* local XYZ folder served at /tiles/ (resolved); "" = none */
    char tiles_attribution[256];
    long tiles_max_zoom;           /* 1..22 (19) */
    char tls_cert_file[SG_PATH_LEN], tls_key_file[SG_PATH_LEN]; /* PEM (resolved), "" = none */
    char token_file[SG_PATH_LEN];  /* login token file (resolved), "" = none */
    double feed_lost_s;            /* s without a feed message before "feed lost" (12) */
} web_cfg;

/* Reads "outputs.web" (j may be NULL: defaults); relative paths are resolved against
 * site_path. Unknown keys, a bad time zone name, a tile URL that is not http(s) with
 * {z}/{x}/{y}, both "url" and "dir", a missing directory: SG_EINVAL/SG_ENOTFOUND
 * naming `where` and the key. */
int web_cfg_from_json(web_cfg *c, const cJSON *j, const char *site_path, const char *where,
                      sg_errinfo *e);

typedef struct web_venue web_venue;

/* Loads the site file, its zones and its "outputs.web". NULL + e on any error. */
web_venue *web_venue_load(const char *site_path, sg_errinfo *e);
void web_venue_destroy(web_venue *v);
const sg_site *web_venue_site(const web_venue *v);
const web_cfg *web_venue_cfg(const web_venue *v);

/* The drawing with the effective map settings c (the venue's, after command-line
 * overrides; NULL = the venue's):
 * {"name", "origin": {lat, lon, alt_m}, "time_zone", "feed_lost_s", "tiles": {url,
 *  attribution, max_zoom} | null, "sensors": [{id, kind, enabled, lat, lon, alt_m, yaw_deg}],
 *  "zones": GeoJSON FeatureCollection (properties id, name, layer, severity,
 *  floor_hae_m, ceiling_hae_m (null when open); circles as Point + radius_m)}.
 * Malloc'd text, NULL on memory failure. */
char *web_venue_json(const web_venue *v, const web_cfg *c);

/* {"zone id": active at t (s UTC)} for every zone; NULL on memory failure. */
cJSON *web_venue_zone_activity(const web_venue *v, double t);

#endif
