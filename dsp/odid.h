/* ASTM F3411 (F3411-19/-20/-22a) Remote ID message codec, per-aircraft merge, and the
 * conversion to tracker measurements.
 *
 * Remote ID transports (Wi-Fi beacon / NAN in rid_wifi.h, Bluetooth LE in ble_rx.h)
 * carry 25-byte messages, alone or in a Message Pack. This module decodes them into
 * plain structs with SI units, turning every "unknown" sentinel into NAN (or an
 * explicit "absent" enum value), and encodes them back (tests, synthetic captures),
 * writing the standard's own "unknown" encodings.
 * Decoding never reads outside the given length. It is tolerant, as the standard
 * asks of receivers: a reserved or out-of-range value makes that one field unknown
 * (NAN, accuracy code 0, or ODID_RESERVED for enumerations) and counts a warning in
 * odid_message.warnings; the other fields and the other messages of a pack survive.
 * So a corrupt field cannot put a drone at lat 200, and a transmitter of a newer
 * protocol version is still heard.
 *
 * Downstream: odid_table merges messages per transmitter (MAC address) into an
 * odid_aircraft, and odid_to_measurement() turns it into an SG_MEAS_POS_WGS84
 * measurement carrying identity, velocity and operator position (cls "remote_id").
 * All functions are pure and thread-safe on distinct objects; none prints. */
#ifndef ODID_H
#define ODID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sg_error.h"
#include "sg_types.h"

#define ODID_MSG_SIZE 25      /* bytes of every single message */
#define ODID_ID_LEN 20        /* characters of UAS ID / operator ID (no NUL on air) */
#define ODID_STR_LEN 23       /* characters of Self-ID text / auth page data */
#define ODID_PACK_MAX 9       /* messages in one Message Pack */
#define ODID_PACK_HDR 3       /* header, message size, count */
#define ODID_AUTH_MAX_PAGES 16
#define ODID_PROTO_MAX 2      /* highest protocol version understood (F3411-22a) */
#define ODID_EPOCH_2019 1546300800.0 /* s: 2019-01-01T00:00:00Z, base of F3411 timestamps */
#define ODID_RESERVED 0xFF    /* enumeration field that carried a reserved value (unknown) */
#define ODID_UAS_ID_TEXT 41   /* bytes of the rendered UAS ID: 40 hex characters + NUL */
#define ODID_AUTH_PAGE0_DATA 17 /* auth data bytes on page 0 */
#define ODID_AUTH_PAGEN_DATA 23 /* auth data bytes on pages 1..15 */

typedef enum {
    ODID_MT_BASIC_ID = 0,
    ODID_MT_LOCATION = 1,
    ODID_MT_AUTH = 2,
    ODID_MT_SELF_ID = 3,
    ODID_MT_SYSTEM = 4,
    ODID_MT_OPERATOR_ID = 5,
    ODID_MT_PACK = 15,
} odid_msg_type;

typedef enum {
    ODID_IDT_NONE = 0,       /* no ID (some transmitters still fill uas_id) */
    ODID_IDT_SERIAL = 1,     /* ANSI/CTA-2063-A serial number */
    ODID_IDT_CAA_REG = 2,    /* civil aviation authority registration */
    ODID_IDT_UTM_UUID = 3,
    ODID_IDT_SESSION = 4,    /* specific session ID */
} odid_id_type;

/* Basic ID. uas_id is the ID rendered as text by its type, and that text is the
 * aircraft identity (allow-list key):
 *   serial (1), CAA registration (2), none (0): the ASCII text, trailing NUL padding
 *     stripped; a field with a non-printable byte (or text after the padding) is
 *     rendered as lowercase hex of the whole 20 bytes instead, with a warning;
 *   UTM UUID (3): the first 16 bytes as canonical RFC 4122 text, lowercase
 *     "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (bytes 16..19 must be 0, else a warning);
 *   specific session ID (4) and reserved types: lowercase hex of the bytes up to the
 *     last non-zero one (byte 0 of a session ID is its session ID type, e.g. 1 DRIP).
 * The encoder reads uas_id back in the same form, so text round trips. raw holds the
 * 20 bytes as on air (decode only; the encoder ignores it). */
typedef struct {
    uint8_t id_type;               /* odid_id_type 0..4; ODID_RESERVED for 5..15 (raw in id_type_raw) */
    uint8_t id_type_raw;           /* the 4-bit value on air */
    uint8_t ua_type;               /* 0 none, 1 aeroplane, 2 rotorcraft ... 15 other (all defined) */
    char uas_id[ODID_UAS_ID_TEXT]; /* NUL-terminated rendering, see above */
    uint8_t raw[ODID_ID_LEN];      /* bytes as on air */
} odid_basic_id;

typedef enum {
    ODID_STATUS_UNDECLARED = 0,
    ODID_STATUS_GROUND = 1,
    ODID_STATUS_AIRBORNE = 2,
    ODID_STATUS_EMERGENCY = 3,
    ODID_STATUS_SYSTEM_FAILURE = 4,
} odid_status;

/* Location/Vector. Every double is NAN when the transmitter sent "unknown". */
typedef struct {
    uint8_t status;         /* odid_status 0..4; ODID_RESERVED for 5..15 */
    uint8_t height_type;    /* 0: height above takeoff, 1: above ground level */
    double direction_deg;   /* track over ground, deg clockwise from true north, [0, 360) */
    double speed_h;         /* m/s ground speed, [0, 254.25]; 255 m/s (raw 255, multiplier 1) is
                               "unknown"; raw 255 with multiplier 0 is 63.75 m/s */
    double speed_v;         /* m/s up positive, [-62, 62] */
    double lat_deg;         /* deg WGS84, [-90, 90]; NAN with lon when unknown */
    double lon_deg;         /* deg WGS84, [-180, 180] */
    double alt_baro;        /* m, pressure altitude (standard atmosphere), [-1000, 31767.5] */
    double alt_geo;         /* m, geodetic altitude above WGS84 ellipsoid (HAE) */
    double height;          /* m, above takeoff or ground (height_type) */
    uint8_t h_acc;          /* horizontal accuracy code 0..12 (0 unknown; reserved -> 0), odid_h_acc_m */
    uint8_t v_acc;          /* vertical accuracy code 0..6 (0 unknown; reserved -> 0), odid_v_acc_m */
    uint8_t baro_acc;       /* same codes as v_acc */
    uint8_t speed_acc;      /* speed accuracy code 0..4 (0 unknown; reserved -> 0), odid_speed_acc_ms */
    double timestamp_s;     /* s after the full UTC hour, [0, 3600], 0.1 s steps */
    double timestamp_acc_s; /* s, 0.1..1.5; NAN unknown */
} odid_location;

/* One authentication page. Page 0 carries the header fields. */
typedef struct {
    uint8_t auth_type;          /* 0 none, 1 UAS ID signature, 2 operator ID signature,
                                   3 message set signature, 4 network Remote ID,
                                   5 specific authentication method (SAM), 10..15 private;
                                   ODID_RESERVED for 6..9 */
    uint8_t page;               /* 0..15 */
    uint8_t last_page;          /* page 0 only: index of the last page, 0..15 (above: warning, 15) */
    uint8_t length;             /* page 0 only: total auth data bytes over all pages; more than
                                   the pages hold: warning, cut to what they hold */
    double timestamp;           /* page 0 only: s UTC (Unix); NAN if 0 on air */
    uint8_t data[ODID_STR_LEN]; /* 17 bytes on page 0, 23 on others */
    uint8_t data_len;           /* bytes valid in data */
} odid_auth;

typedef struct {
    uint8_t desc_type;              /* 0 text, 1 emergency, 2 extended status, 201..255 private;
                                       ODID_RESERVED for 3..200 */
    char text[ODID_STR_LEN + 1];    /* NUL-terminated; non-printable bytes become '?' (warning) */
} odid_self_id;

typedef struct {
    uint8_t op_loc_type;     /* 0 takeoff, 1 live GNSS, 2 fixed; ODID_RESERVED for 3 */
    uint8_t class_type;      /* 0 undeclared, 1 EU; ODID_RESERVED for 2..7 */
    double op_lat_deg;       /* deg; NAN unknown */
    double op_lon_deg;       /* deg; NAN unknown */
    uint16_t area_count;     /* aircraft in the group/area, >= 1 */
    double area_radius_m;    /* m, 0..2550 in 10 m steps */
    double area_ceiling;     /* m geodetic; NAN unknown */
    double area_floor;       /* m geodetic; NAN unknown */
    uint8_t category_eu;     /* 0 undeclared, 1 open, 2 specific, 3 certified; ODID_RESERVED for
                                4..15 (checked only when class_type is EU) */
    uint8_t class_eu;        /* 0 undeclared, 1..7 = C0..C6; ODID_RESERVED for 8..15 */
    double op_alt_geo;       /* m HAE; NAN unknown */
    double timestamp;        /* s UTC (Unix) of the message; NAN unknown */
} odid_system;

typedef struct {
    uint8_t op_id_type;             /* 0 CAA-issued operator ID, 201..255 private;
                                       ODID_RESERVED for 1..200 */
    char op_id[ODID_ID_LEN + 1];    /* NUL-terminated; non-printable bytes become '?' (warning) */
} odid_operator_id;

typedef struct {
    uint8_t type;           /* odid_msg_type (never ODID_MT_PACK here) */
    uint8_t proto_version;  /* 0 F3411-19, 1 F3411-20, 2 F3411-22a; higher values are decoded
                               with the -22a layout and counted as a warning */
    uint8_t warnings;       /* fields made unknown because their value was reserved or out of
                               range (and a protocol version above ODID_PROTO_MAX) */
    union {
        odid_basic_id basic_id;
        odid_location location;
        odid_auth auth;
        odid_self_id self_id;
        odid_system system;
        odid_operator_id operator_id;
    } u;
} odid_message;

/* ---- codec -------------------------------------------------------------------- */

/* Decodes one message from exactly ODID_MSG_SIZE bytes (len must be >= 25; bytes
 * beyond 25 are not read). Returns SG_OK (out->warnings counts fields made unknown),
 * SG_ETRUNC (len < 25), SG_ENOTSUP (message type 6..14 or a pack). */
int odid_decode_message(const uint8_t *buf, size_t len, odid_message *out);

/* What odid_decode_pack kept and dropped (all counts for one pack). */
typedef struct {
    int count;          /* messages announced by the pack header */
    int warnings;       /* sum of the kept messages' warnings (+1 for a header protocol > max) */
    int unknown_type;   /* messages of type 6..14 or nested packs: skipped */
    int duplicates;     /* dropped by the duplicate rule (see odid_decode_pack) */
} odid_pack_info;

/* Decodes a Message Pack (header 0xF?, message size 25, count 1..9). len must
 * cover the header and all count*25 bytes (strict: SG_ETRUNC otherwise). Writes the
 * kept messages to out (cap >= count needed), *n = kept. Duplicate rule, as a pack is
 * one snapshot of one aircraft: the first Location, System, Self-ID and Operator ID
 * are kept and later ones of the same type dropped; Basic ID: the first two with
 * different ID types are kept, any further Basic ID dropped; Authentication: the
 * first of each page number is kept. Every drop is counted in info (optional).
 * Returns SG_OK, SG_ETRUNC, SG_EFORMAT (header type not 15, size byte != 25, count 0
 * or > 9, or no message of the pack could be kept), SG_EOVERFLOW (cap < count). */
int odid_decode_pack(const uint8_t *buf, size_t len, odid_message *out, int cap, int *n,
                     odid_pack_info *info);

/* Decodes a transport payload: a Message Pack when its first byte says so (type 15),
 * else one message (*n = 1). info (optional) as for odid_decode_pack (a single
 * message: count 1, its warnings). Returns what those functions return, and
 * SG_EOVERFLOW for cap < 1. */
int odid_decode_payload(const uint8_t *buf, size_t len, odid_message *out, int cap, int *n,
                        odid_pack_info *info);

/* Encodes one message into out[25]. NAN fields become the standard's "unknown"
 * encoding (speed: 255 with the multiplier set; direction 361; vertical speed 63 m/s;
 * altitudes -1000 m; lat/lon 0,0; timestamp 0xFFFF); values outside the encodable
 * ranges give SG_ERANGE (nothing is clamped, except ground speed between 254.25 and
 * 255 m/s which has no code and becomes 254.25). The Basic ID text is read in the
 * form odid_basic_id documents (UUID text, hex) by its ID type: SG_EINVAL if it
 * does not parse. */
int odid_encode_message(const odid_message *m, uint8_t out[ODID_MSG_SIZE]);

/* Encodes n (1..9) messages as a Message Pack into out[cap]; *len = 3 + 25 n. */
int odid_encode_pack(const odid_message *msgs, int n, uint8_t *out, size_t cap, size_t *len);

/* Blank messages of a type with every field "unknown" (ready to fill and encode). */
void odid_message_init(odid_message *m, odid_msg_type type);

/* 95 % accuracy bounds of the accuracy codes; NAN for unknown/reserved codes. */
double odid_h_acc_m(uint8_t code);      /* m */
double odid_v_acc_m(uint8_t code);      /* m */
double odid_speed_acc_ms(uint8_t code); /* m/s */

const char *odid_msg_type_name(int type);

/* ---- per-aircraft merge --------------------------------------------------------- */

/* Everything heard from one transmitter. has_* say which parts were received;
 * t_* are the receive times (s UTC, sample clock or capture time) of each part. */
typedef struct {
    uint8_t mac[6];                /* transmitter address (BLE AdvA / Wi-Fi SA) */
    odid_basic_id basic_id[2];     /* F3411-22a allows two Basic IDs (e.g. serial + CAA) */
    int n_basic_id;                /* 0..2 */
    odid_location location;
    odid_system system;
    odid_self_id self_id;
    odid_operator_id operator_id;
    bool has_location, has_system, has_self_id, has_operator_id;
    uint32_t auth_pages;           /* bit i set: auth page i of the current set seen */
    odid_auth auth_head;           /* latest auth page 0 (type, last page, length, timestamp);
                                      pages 1.. count for the set of the page 0 held (before
                                      the first page 0: for the first set) */
    uint8_t auth_data[ODID_AUTH_PAGE0_DATA + (ODID_AUTH_MAX_PAGES - 1) * ODID_AUTH_PAGEN_DATA];
    uint16_t auth_len;             /* bytes of auth_data complete (page 0's length) once page 0
                                      and pages 1..last_page of one set are in; else 0 */
    uint8_t auth_state;            /* sg_rid_auth: UNSIGNED until an auth page of a type other
                                      than 0 arrives, then UNVERIFIED unless checked */
    uint8_t proto_version;         /* of the latest message */
    uint64_t warnings;             /* sum of the merged messages' warnings */
    double t_first, t_last;        /* s UTC: first and last message */
    double t_location, t_system;   /* s UTC of the latest location / system message */
    double rssi_dbm;               /* last signal level; NAN unknown */
    uint64_t n_messages;           /* merged */
} odid_aircraft;

void odid_aircraft_init(odid_aircraft *a, const uint8_t mac[6]);
/* Merges one decoded message received at t (s UTC). SG_EINVAL for a pack or an
 * unknown type. */
int odid_aircraft_update(odid_aircraft *a, const odid_message *m, double t);
/* Best identity: serial > CAA registration > UTM UUID > session ID > an untyped
 * (ID type 0) non-empty ID. "" if no Basic ID was heard. Points into a. */
const char *odid_aircraft_identity(const odid_aircraft *a);

/* Builds the tracker measurement from the aircraft's latest location.
 * z = {lat rad, lon rad, alt m HAE}: geodetic altitude, else pressure altitude with
 * an extra 30 m sigma (QNH/geoid unknown), else 0 with sigma 10 km (documented: the
 * tracker gets the horizontal fix, the vertical is uninformative).
 * R: per-axis sigma = 95 % bound / 2.45 (horizontal, 2-D) and / 1.96 (vertical);
 * unknown accuracy codes use the widest defined bound (18.52 km, 150 m).
 * Velocity: has_vel when speed and direction are known; vertical 0 when unknown.
 * Operator position from System when its lat/lon are known.
 * Returns SG_ENOTFOUND if no location with a valid lat/lon was heard. */
int odid_to_measurement(const odid_aircraft *a, int sensor, sg_measurement *out);

/* The aircraft's Remote ID details for the track (odid_to_measurement fills m.rid with
 * it): Basic ID types of the identity, status, heights, accuracy bounds, timestamps,
 * classification, Self-ID, operator ID, authentication state. */
void odid_aircraft_rid_info(const odid_aircraft *a, sg_rid_info *r);

/* ---- table of aircraft keyed by transmitter ---------------------------------- */

typedef struct odid_table odid_table;

/* cap: 1..65536 aircraft kept; stale_s > 0: an aircraft not heard for this long is
 * dropped (its slot reused). NULL + e on bad arguments or no memory. */
odid_table *odid_table_create(int cap, double stale_s, sg_errinfo *e);
void odid_table_destroy(odid_table *tb);
/* Merges m from transmitter mac at time t; *out (optional) = the aircraft record,
 * valid until the next call. When full, the least recently heard aircraft is
 * evicted and counted. Not thread-safe (one decoder thread owns a table). */
int odid_table_update(odid_table *tb, const uint8_t mac[6], const odid_message *m, double t,
                      double rssi_dbm, odid_aircraft **out);
/* Aircraft heard within stale_s of t, via index 0..count-1 (NULL past the end). */
int odid_table_count(const odid_table *tb);
const odid_aircraft *odid_table_get(const odid_table *tb, int i);
uint64_t odid_table_evictions(const odid_table *tb);
/* Authentication verdicts given (a complete set of pages judged, once per page of
 * it that arrives), for one sg_rid_auth state (UNVERIFIED, VERIFIED, FAILED). */
uint64_t odid_table_verdicts(const odid_table *tb, int state);

/* Keys for verifying signed Remote ID (odid_auth.h); NULL (default): signed sets stay
 * "unverified". Each complete authentication set merged by odid_table_update is judged
 * and its verdict becomes the aircraft's auth_state. The store is not owned. */
struct odid_trust;
void odid_table_set_trust(odid_table *tb, struct odid_trust *trust);

#endif
