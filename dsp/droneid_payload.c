/* DJI DroneID payload codec (see droneid.h): droneid_msg <-> the 91-byte payload, with
 * the wire's quantisation. */
#include "droneid.h"

#include <math.h>
#include <string.h>

#include "sg_crc.h"

#define RAD_E7 1e7 /* wire angles: radians x 1e7 */

/* ---- payload ------------------------------------------------------------------------ */

void droneid_msg_init(droneid_msg *m)
{
    memset(m, 0, sizeof *m);
    m->pkt_len = 88;
    m->msg_type = 0x10;
    m->version = 2;
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8);
}
static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}
static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int q_angle(double deg, double lim, int32_t *out)
{
    if (!isfinite(deg) || fabs(deg) > lim)
        return SG_ERANGE;
    *out = (int32_t)lround(deg * M_PI / 180.0 * RAD_E7);
    return SG_OK;
}

static int q_i16(double v, double scale, int16_t *out)
{
    double r = round(v * scale);
    if (!isfinite(r) || r < -32768 || r > 32767)
        return SG_ERANGE;
    *out = (int16_t)r;
    return SG_OK;
}

int droneid_pack(droneid_msg *m, uint8_t raw[DRONEID_PAYLOAD_LEN])
{
    uint8_t p[DRONEID_PAYLOAD_LEN] = {0};
    int32_t lat, lon, plat, plon, hlat, hlon;
    int16_t alt, hgt, vn, ve, vu, yaw;
    size_t sl = strnlen(m->serial, sizeof m->serial), ul = strnlen(m->uuid, sizeof m->uuid);
    if (sl > 16 || ul > 20 || q_angle(m->lat_deg, 90, &lat) || q_angle(m->lon_deg, 180, &lon) ||
        q_angle(m->pilot_lat_deg, 90, &plat) || q_angle(m->pilot_lon_deg, 180, &plon) ||
        q_angle(m->home_lat_deg, 90, &hlat) || q_angle(m->home_lon_deg, 180, &hlon) ||
        q_i16(m->altitude_m, 1, &alt) || q_i16(m->height_m, 1, &hgt) ||
        q_i16(m->v_north, 100, &vn) || q_i16(m->v_east, 100, &ve) ||
        q_i16(m->v_up, 100, &vu) || q_i16(m->yaw_deg, 100, &yaw))
        return SG_ERANGE;
    p[0] = m->pkt_len, p[1] = m->msg_type, p[2] = m->version;
    put16(p + 3, m->seq);
    put16(p + 5, m->state_info);
    memcpy(p + 7, m->serial, sl);
    put32(p + 23, (uint32_t)lon);
    put32(p + 27, (uint32_t)lat);
    put16(p + 31, (uint16_t)alt);
    put16(p + 33, (uint16_t)hgt);
    put16(p + 35, (uint16_t)vn);
    put16(p + 37, (uint16_t)ve);
    put16(p + 39, (uint16_t)vu);
    put16(p + 41, (uint16_t)yaw);
    put32(p + 43, (uint32_t)m->gps_time_ms);
    put32(p + 47, (uint32_t)(m->gps_time_ms >> 32));
    put32(p + 51, (uint32_t)plat);
    put32(p + 55, (uint32_t)plon);
    put32(p + 59, (uint32_t)hlon);
    put32(p + 63, (uint32_t)hlat);
    p[67] = m->product_type;
    p[68] = m->uuid_len ? m->uuid_len : (uint8_t)ul;
    memcpy(p + 69, m->uuid, ul);
    put16(p + 89, (uint16_t)sg_crc(&SG_CRC16_DJI, p, DRONEID_PAYLOAD_LEN - 2));
    memcpy(raw, p, sizeof p);
    memcpy(m->raw, p, sizeof p);
    m->crc16_ok = true;
    return SG_OK;
}

static double angle_deg(uint32_t w)
{
    return (double)(int32_t)w / RAD_E7 * 180.0 / M_PI;
}

void droneid_parse(const uint8_t raw[DRONEID_PAYLOAD_LEN], droneid_msg *m)
{
    memset(m, 0, sizeof *m);
    memcpy(m->raw, raw, DRONEID_PAYLOAD_LEN);
    const uint8_t *p = raw;
    m->pkt_len = p[0], m->msg_type = p[1], m->version = p[2];
    m->seq = get16(p + 3);
    m->state_info = get16(p + 5);
    memcpy(m->serial, p + 7, 16);
    m->serial[16] = 0;
    m->lon_deg = angle_deg(get32(p + 23));
    m->lat_deg = angle_deg(get32(p + 27));
    m->altitude_m = (int16_t)get16(p + 31);
    m->height_m = (int16_t)get16(p + 33);
    m->v_north = (int16_t)get16(p + 35) / 100.0;
    m->v_east = (int16_t)get16(p + 37) / 100.0;
    m->v_up = (int16_t)get16(p + 39) / 100.0;
    m->yaw_deg = (int16_t)get16(p + 41) / 100.0;
    m->gps_time_ms = (uint64_t)get32(p + 43) | (uint64_t)get32(p + 47) << 32;
    m->pilot_lat_deg = angle_deg(get32(p + 51));
    m->pilot_lon_deg = angle_deg(get32(p + 55));
    m->home_lon_deg = angle_deg(get32(p + 59));
    m->home_lat_deg = angle_deg(get32(p + 63));
    m->product_type = p[67];
    m->uuid_len = p[68];
    memcpy(m->uuid, p + 69, 20);
    m->uuid[20] = 0;
    /* non-printable bytes would poison JSON/log output downstream */
    for (int i = 0; i < 16; i++)
        if (m->serial[i] && (m->serial[i] < 0x20 || m->serial[i] > 0x7e))
            m->serial[i] = '?';
    for (int i = 0; i < 20; i++)
        if (m->uuid[i] && (m->uuid[i] < 0x20 || m->uuid[i] > 0x7e))
            m->uuid[i] = '?';
    m->crc16_ok = sg_crc(&SG_CRC16_DJI, p, DRONEID_PAYLOAD_LEN - 2) == get16(p + 89);
    if (m->msg_type == DRONEID_MSG_USER_INFO) {
        /* 0x11 carries the serial right after the type byte and no telemetry (its
         * own check is not the flight CRC-16; the turbo block CRC-24A covers it) */
        droneid_msg u;
        memset(&u, 0, sizeof u);
        memcpy(u.raw, raw, DRONEID_PAYLOAD_LEN);
        u.pkt_len = p[0], u.msg_type = p[1];
        memcpy(u.serial, p + 2, 16);
        for (int i = 0; i < 16; i++)
            if (u.serial[i] && (u.serial[i] < 0x20 || u.serial[i] > 0x7e))
                u.serial[i] = '?';
        *m = u;
    }
}
