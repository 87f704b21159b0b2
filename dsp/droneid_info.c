/* DJI DroneID -> tracker: the measurement bridge, every decoded field as track
 * details, and the product-code table (see droneid.h). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "droneid.h"

#define DEG2RAD (M_PI / 180.0)

const char *droneid_product_name(uint8_t code)
{
    /* DroneID product codes. Sources (kinds, no code taken): the public Wi-Fi DroneID
     * dissector tables of open wireless monitoring tools (codes 1..70), which agree with
     * the OcuSync DroneID research captures (58 Mavic Air 2, 63 Mini 2) and with DJI
     * flight-log "drone type" tables published by log-viewer projects, which use the same
     * numbering and add 77..94. Codes 2/3 and 20 differ between sources (2/3 "Phantom 3
     * series" in one; 20 "N2" vs "N3"): the most specific name is used. A different DJI
     * numbering (SDK flight-record product types: Mavic Air 2 = 67) is not mixed in. */
    static const struct {
        uint8_t c;
        const char *n;
    } t[] = {
        {1, "Inspire 1"},           {2, "Phantom 3 Advanced"},
        {3, "Phantom 3 Professional"}, {4, "Phantom 3 Standard"},
        {5, "Matrice 100"},         {6, "ACE ONE"},
        {7, "WooKong-M"},           {8, "Naza-M V2"},
        {9, "A2"},                  {10, "A3"},
        {11, "Phantom 4"},          {12, "Agras MG-1"},
        {14, "Matrice 600"},        {15, "Phantom 3 4K"},
        {16, "Mavic Pro"},          {17, "Inspire 2"},
        {18, "Phantom 4 Pro"},      {20, "N3"},
        {21, "Spark"},              {23, "Matrice 600 Pro"},
        {24, "Mavic Air"},          {25, "Matrice 200"},
        {26, "Phantom 4 series"},   {27, "Phantom 4 Advanced"},
        {28, "Matrice 210"},        {29, "Phantom 3 SE"},
        {30, "Matrice 210 RTK"},    {31, "A3 Agras"},
        {32, "Agras MG-2"},         {34, "Agras MG-1A"},
        {35, "Phantom 4 RTK"},      {36, "Phantom 4 Pro V2.0"},
        {38, "Agras MG-1P"},        {40, "Agras MG-1P RTK"},
        {41, "Mavic 2"},            {44, "Matrice 200 V2 series"},
        {51, "Mavic 2 Enterprise"}, {53, "Mavic Mini"},
        {58, "Mavic Air 2"},        {59, "P4 Multispectral"},
        {60, "Matrice 300 RTK"},    {61, "DJI FPV"},
        {63, "Mini 2"},             {64, "Agras T10"},
        {65, "Agras T30"},          {66, "Air 2S"},
        {67, "Matrice 30"},         {68, "Mavic 3"},
        {69, "Mavic 2 Enterprise Advanced"}, {70, "Mini SE"},
        {77, "Mavic 3 Enterprise"}, {84, "Mavic 3 Pro"},
        {89, "Matrice 350 RTK"},    {93, "Mini 4 Pro"},
        {94, "Avata 2"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (t[i].c == code)
            return t[i].n;
    return "unknown";
}

void droneid_info_fill(const droneid_msg *m, sg_droneid_info *o)
{
    memset(o, 0, sizeof *o);
    o->valid = true;
    o->msg_type = m->msg_type;
    o->nsym = m->nsym;
    o->product = m->product_type;
    snprintf(o->product_name, sizeof o->product_name, "%s",
             m->msg_type == DRONEID_MSG_USER_INFO ? "unknown"
                                                  : droneid_product_name(m->product_type));
    o->app_time = NAN;
    o->home_lat = o->home_lon = o->pilot_lat = o->pilot_lon = NAN;
    if (m->msg_type == DRONEID_MSG_USER_INFO) {
        /* serial only: no telemetry to report */
        o->height_m = o->altitude_m = o->yaw_deg = NAN;
        o->v_east = o->v_north = o->v_up = NAN;
        return;
    }
    o->version = m->version;
    o->seq = m->seq;
    uint16_t s = m->state_info;
    o->state = s;
    o->serial_valid = s & SG_DJI_STATE_SERIAL_VALID;
    o->privacy_on = !(s & SG_DJI_STATE_PRIVACY_OFF);
    o->home_set = s & SG_DJI_STATE_HOME_SET;
    o->uuid_set = s & SG_DJI_STATE_UUID_SET;
    o->motor_on = s & SG_DJI_STATE_MOTOR_ON;
    o->in_air = s & SG_DJI_STATE_IN_AIR;
    o->gps_valid = s & SG_DJI_STATE_GPS_VALID;
    o->alt_valid = s & SG_DJI_STATE_ALT_VALID;
    o->height_valid = s & SG_DJI_STATE_HEIGHT_VALID;
    o->hvel_valid = s & SG_DJI_STATE_HVEL_VALID;
    o->vup_valid = s & SG_DJI_STATE_VUP_VALID;
    o->att_valid = s & SG_DJI_STATE_ATT_VALID;
    o->height_m = m->height_m;
    o->altitude_m = m->altitude_m;
    o->v_east = m->v_east, o->v_north = m->v_north, o->v_up = m->v_up;
    o->yaw_deg = m->yaw_deg;
    o->has_home = m->home_lat_deg != 0 || m->home_lon_deg != 0;
    if (o->has_home)
        o->home_lat = m->home_lat_deg * DEG2RAD, o->home_lon = m->home_lon_deg * DEG2RAD;
    o->has_pilot = m->pilot_lat_deg != 0 || m->pilot_lon_deg != 0;
    if (o->has_pilot)
        o->pilot_lat = m->pilot_lat_deg * DEG2RAD, o->pilot_lon = m->pilot_lon_deg * DEG2RAD;
    if (m->gps_time_ms)
        o->app_time = (double)m->gps_time_ms / 1000.0;
    snprintf(o->uuid, sizeof o->uuid, "%.*s", (int)sizeof o->uuid - 1, m->uuid);
}

int droneid_to_measurement(const droneid_msg *m, double t, int sensor, sg_measurement *out)
{
    if (!m || !out || !isfinite(t))
        return SG_EINVAL;
    if (m->msg_type == DRONEID_MSG_USER_INFO) {
        if (!m->serial[0])
            return SG_EINVAL;
        memset(out, 0, sizeof *out);
        out->t = t;
        out->sensor = sensor;
        out->type = SG_MEAS_RF_PRESENCE;
        snprintf(out->cls, sizeof out->cls, "dji_droneid");
        out->cls_conf = 1.0;
        snprintf(out->identity, sizeof out->identity, "%s", m->serial);
        out->operator_alt = NAN;
        droneid_info_fill(m, &out->droneid);
        return SG_OK;
    }
    if (!isfinite(m->lat_deg) || !isfinite(m->lon_deg) || fabs(m->lat_deg) > 90 ||
        fabs(m->lon_deg) > 180 || (m->lat_deg == 0 && m->lon_deg == 0))
        return SG_EINVAL;
    memset(out, 0, sizeof *out);
    out->t = t;
    out->sensor = sensor;
    out->type = SG_MEAS_POS_WGS84;
    double lat = m->lat_deg * DEG2RAD, lon = m->lon_deg * DEG2RAD;
    out->z[0] = lat, out->z[1] = lon, out->z[2] = m->altitude_m;
    /* 5 m horizontal, 10 m vertical (1 sigma): GNSS error dominates the wire
     * quantisation (1e-7 rad = 0.6 m) */
    const double re = 6378137.0, sh = 5.0, sv = 10.0;
    double cl = cos(lat);
    if (cl < 1e-3)
        cl = 1e-3;
    out->R[0] = (sh / re) * (sh / re);
    out->R[4] = (sh / (re * cl)) * (sh / (re * cl));
    out->R[8] = sv * sv;
    out->vel_enu[0] = m->v_east, out->vel_enu[1] = m->v_north, out->vel_enu[2] = m->v_up;
    out->has_vel = true;
    snprintf(out->cls, sizeof out->cls, "dji_droneid");
    out->cls_conf = 1.0;
    snprintf(out->identity, sizeof out->identity, "%s", m->serial);
    if (m->pilot_lat_deg != 0 || m->pilot_lon_deg != 0) {
        out->has_operator = true;
        out->operator_lat = m->pilot_lat_deg * DEG2RAD;
        out->operator_lon = m->pilot_lon_deg * DEG2RAD;
        out->operator_alt = NAN;
    }
    droneid_info_fill(m, &out->droneid);
    return SG_OK;
}
