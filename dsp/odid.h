/* ASTM F3411 (F3411-19/-20/-22a) Remote ID message codec, per-aircraft merge, and the
 * conversion to tracker measurements.
 *
 * Remote ID transports (Wi-Fi beacon / NAN in rid_wifi.h, Bluetooth LE in ble_rx.h)
 * carry 25-byte messages, alone or in a Message Pack. This module decodes them into
 * plain structs with SI units, turning every "unknown" sentinel into NAN (or an
 * explicit "absent" enum value), and encodes them back (tests, synthetic captures).
 * Decoding never reads outside the given length and rejects messages whose fields
 * are out of their valid ranges, so a corrupt frame cannot put a drone at lat 200.
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

typedef struct {
    uint8_t id_type;               /* odid_id_type 0..15 (5..15 reserved) */
    uint8_t ua_type;               /* 0 none, 1 aeroplane, 2 rotorcraft ... 15 other */
    char uas_id[ODID_ID_LEN + 1];  /* NUL-terminated, trailing NULs stripped */
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
    uint8_t status;         /* odid_status 0..4 (5..15 reserved) */
    uint8_t height_type;    /* 0: height above takeoff, 1: above ground level */
    double direction_deg;   /* track over ground, deg clockwise from true north, [0, 360) */
    double speed_h;         /* m/s ground speed, [0, 254.25] */
    double speed_v;         /* m/s up positive, [-62, 62] */
    double lat_deg;         /* deg WGS84, [-90, 90]; NAN with lon when unknown */
    double lon_deg;         /* deg WGS84, [-180, 180] */
    double alt_baro;        /* m, pressure altitude (standard atmosphere), [-1000, 31767.5] */
    double alt_geo;         /* m, geodetic altitude above WGS84 ellipsoid (HAE) */
    double height;          /* m, above takeoff or ground (height_type) */
    uint8_t h_acc;          /* horizontal accuracy code 0..12 (0 unknown), see odid_h_acc_m */
    uint8_t v_acc;          /* vertical accuracy code 0..6 (0 unknown), see odid_v_acc_m */
    uint8_t baro_acc;       /* same codes as v_acc */
    uint8_t speed_acc;      /* speed accuracy code 0..4 (0 unknown), see odid_speed_acc_ms */
    double timestamp_s;     /* s after the full UTC hour, [0, 3600], 0.1 s steps */
    double timestamp_acc_s; /* s, 0.1..1.5; NAN unknown */
} odid_location;

/* One authentication page. Page 0 carries the header fields. */
typedef struct {
    uint8_t auth_type;          /* 0 none, 1 UAS ID signature, 2 operator ID sig, ... */
    uint8_t page;               /* 0..15 */
    uint8_t last_page;          /* page 0 only: index of the last page, 0..15 */
    uint8_t length;             /* page 0 only: total auth data bytes over all pages */
    double timestamp;           /* page 0 only: s UTC (Unix); NAN if 0 on air */
    uint8_t data[ODID_STR_LEN]; /* 17 bytes on page 0, 23 on others */
    uint8_t data_len;           /* bytes valid in data */
} odid_auth;

typedef struct {
    uint8_t desc_type;              /* 0 text, 1 emergency, 2 extended status, ... */
    char text[ODID_STR_LEN + 1];    /* NUL-terminated */
} odid_self_id;

typedef struct {
    uint8_t op_loc_type;     /* 0 takeoff, 1 live GNSS, 2 fixed */
    uint8_t class_type;      /* 0 undeclared, 1 EU */
    double op_lat_deg;       /* deg; NAN unknown */
    double op_lon_deg;       /* deg; NAN unknown */
    uint16_t area_count;     /* aircraft in the group/area, >= 1 */
    double area_radius_m;    /* m, 0..2550 in 10 m steps */
    double area_ceiling;     /* m geodetic; NAN unknown */
    double area_floor;       /* m geodetic; NAN unknown */
    uint8_t category_eu;     /* 0 undeclared, 1 open, 2 specific, 3 certified */
    uint8_t class_eu;        /* 0 undeclared, 1..7 = C0..C6 */
    double op_alt_geo;       /* m HAE; NAN unknown */
    double timestamp;        /* s UTC (Unix) of the message; NAN unknown */
} odid_system;

typedef struct {
    uint8_t op_id_type;             /* 0 CAA-issued operator ID */
    char op_id[ODID_ID_LEN + 1];    /* NUL-terminated */
} odid_operator_id;

typedef struct {
    uint8_t type;           /* odid_msg_type (never ODID_MT_PACK here) */
    uint8_t proto_version;  /* 0 F3411-19, 1 F3411-20, 2 F3411-22a */
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
 * beyond 25 are not read). Returns SG_OK, SG_ETRUNC (len < 25), SG_ENOTSUP (protocol
 * version > ODID_PROTO_MAX or unknown/pack type), SG_ERANGE (a field outside its
 * valid range that is not an "unknown" sentinel: corrupt). */
int odid_decode_message(const uint8_t *buf, size_t len, odid_message *out);

/* Decodes a Message Pack (header 0xF?, message size 25, count 1..9). len must
 * cover the header and all count*25 bytes. Writes up to cap messages to out;
 * *n = messages in the pack. Fails as a whole if any message fails (a pack is one
 * transmission; a bad message means a corrupt pack). Returns as above, and
 * SG_EFORMAT (size byte != 25, count 0 or > 9, nested pack), SG_EOVERFLOW (cap < count). */
int odid_decode_pack(const uint8_t *buf, size_t len, odid_message *out, int cap, int *n);

/* Encodes one message into out[25]. NAN fields become the "unknown" sentinel;
 * values outside the encodable ranges give SG_ERANGE (nothing is clamped). */
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
    uint32_t auth_pages;           /* bit i set: auth page i seen */
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

#endif
