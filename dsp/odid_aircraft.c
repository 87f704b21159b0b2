/* Remote ID per-aircraft merge, tracker measurement and aircraft table (see odid.h). */
#include "odid.h"
#include "odid_auth.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEG2RAD (M_PI / 180.0)
#define EARTH_R 6371008.8 /* m, mean radius: small-sigma conversion m -> rad */
#define H_ACC_WIDEST 18520.0 /* m: widest horizontal accuracy bound (code 1) */
#define V_ACC_WIDEST 150.0   /* m: widest vertical accuracy bound (code 1) */

/* ---- aircraft ----------------------------------------------------------------- */

void odid_aircraft_init(odid_aircraft *a, const uint8_t mac[6])
{
    memset(a, 0, sizeof *a);
    if (mac)
        memcpy(a->mac, mac, 6);
    a->t_first = a->t_last = a->t_location = a->t_system = NAN;
    a->rssi_dbm = NAN;
}

/* Collects authentication pages: a page 0 with a different auth type or timestamp
 * than the page 0 held starts a new set (the transmitter signed anew); pages of
 * another type than the held page 0 are ignored. auth_len is set once page 0 and every page up to its last page are in. */
static void odid_aircraft_add_auth(odid_aircraft *a, const odid_auth *A)
{
    if (A->page == 0) {
        bool same = a->auth_head.auth_type == A->auth_type &&
                    (a->auth_head.timestamp == A->timestamp ||
                     (isnan(a->auth_head.timestamp) && isnan(A->timestamp)));
        if ((a->auth_pages & 1u) && !same)
            a->auth_pages = 0;
        a->auth_head = *A;
        memcpy(a->auth_data, A->data, ODID_AUTH_PAGE0_DATA);
    } else if ((a->auth_pages & 1u) && A->auth_type != a->auth_head.auth_type) {
        return;
    } else {
        memcpy(a->auth_data + ODID_AUTH_PAGE0_DATA + (size_t)(A->page - 1) * ODID_AUTH_PAGEN_DATA,
               A->data, ODID_AUTH_PAGEN_DATA);
    }
    a->auth_pages |= 1u << A->page;
    a->auth_len = 0;
    if (a->auth_pages & 1u) {
        uint32_t need = (2u << a->auth_head.last_page) - 1u;
        if ((a->auth_pages & need) == need)
            a->auth_len = a->auth_head.length;
    }
    if (a->auth_state == SG_RID_AUTH_UNSIGNED && a->auth_head.auth_type != 0)
        a->auth_state = SG_RID_AUTH_UNVERIFIED; /* signed; verification decides further */
}

int odid_aircraft_update(odid_aircraft *a, const odid_message *m, double t)
{
    if (!a || !m)
        return SG_EINVAL;
    switch (m->type) {
    case ODID_MT_BASIC_ID: {
        /* keep one record per ID type: a second type (e.g. CAA reg next to the
         * serial) takes the second slot; a third replaces the second */
        const odid_basic_id *b = &m->u.basic_id;
        int slot = -1;
        for (int i = 0; i < a->n_basic_id; i++)
            if (a->basic_id[i].id_type == b->id_type)
                slot = i;
        if (slot < 0)
            slot = a->n_basic_id < 2 ? a->n_basic_id++ : 1;
        a->basic_id[slot] = *b;
        break;
    }
    case ODID_MT_LOCATION:
        a->location = m->u.location;
        a->has_location = true;
        a->t_location = t;
        break;
    case ODID_MT_AUTH:
        odid_aircraft_add_auth(a, &m->u.auth);
        break;
    case ODID_MT_SELF_ID:
        a->self_id = m->u.self_id;
        a->has_self_id = true;
        break;
    case ODID_MT_SYSTEM:
        a->system = m->u.system;
        a->has_system = true;
        a->t_system = t;
        break;
    case ODID_MT_OPERATOR_ID:
        a->operator_id = m->u.operator_id;
        a->has_operator_id = true;
        break;
    default:
        return SG_EINVAL;
    }
    if (isnan(a->t_first))
        a->t_first = t;
    a->t_last = t;
    a->n_messages++;
    a->warnings += m->warnings;
    a->proto_version = m->proto_version;
    return SG_OK;
}

const char *odid_aircraft_identity(const odid_aircraft *a)
{
    static const uint8_t pref[] = {ODID_IDT_SERIAL, ODID_IDT_CAA_REG, ODID_IDT_UTM_UUID,
                                   ODID_IDT_SESSION, ODID_IDT_NONE, ODID_RESERVED};
    for (size_t k = 0; k < sizeof pref; k++)
        for (int i = 0; i < a->n_basic_id; i++)
            if (a->basic_id[i].id_type == pref[k] && a->basic_id[i].uas_id[0])
                return a->basic_id[i].uas_id;
    return "";
}

int odid_to_measurement(const odid_aircraft *a, int sensor, sg_measurement *out)
{
    if (!a || !out)
        return SG_EINVAL;
    const odid_location *L = &a->location;
    if (!a->has_location || isnan(L->lat_deg) || isnan(L->lon_deg))
        return SG_ENOTFOUND;
    memset(out, 0, sizeof *out);
    out->t = a->t_location;
    out->sensor = sensor;
    out->type = SG_MEAS_POS_WGS84;
    double lat = L->lat_deg * DEG2RAD;
    out->z[0] = lat;
    out->z[1] = L->lon_deg * DEG2RAD;

    double hacc = odid_h_acc_m(L->h_acc);
    if (isnan(hacc))
        hacc = H_ACC_WIDEST;
    double sh = hacc / 2.45;
    double coslat = fmax(cos(lat), 1e-6);
    out->R[0] = (sh / EARTH_R) * (sh / EARTH_R);
    out->R[4] = (sh / (EARTH_R * coslat)) * (sh / (EARTH_R * coslat));

    double vacc = odid_v_acc_m(L->v_acc), sv;
    if (!isnan(L->alt_geo)) {
        out->z[2] = L->alt_geo;
        sv = (isnan(vacc) ? V_ACC_WIDEST : vacc) / 1.96;
    } else if (!isnan(L->alt_baro)) {
        double bacc = odid_v_acc_m(L->baro_acc);
        double sb = (isnan(bacc) ? V_ACC_WIDEST : bacc) / 1.96;
        out->z[2] = L->alt_baro;
        sv = sqrt(sb * sb + 30.0 * 30.0);
    } else {
        out->z[2] = 0.0;
        sv = 10000.0;
    }
    out->R[8] = sv * sv;

    if (!isnan(L->speed_h) && !isnan(L->direction_deg)) {
        double d = L->direction_deg * DEG2RAD;
        out->vel_enu[0] = L->speed_h * sin(d);
        out->vel_enu[1] = L->speed_h * cos(d);
        out->vel_enu[2] = isnan(L->speed_v) ? 0.0 : L->speed_v;
        out->has_vel = true;
    }
    strcpy(out->cls, "remote_id");
    out->cls_conf = 1.0;
    const char *id = odid_aircraft_identity(a);
    strncpy(out->identity, id, SG_ID_LEN - 1);
    out->identity[SG_ID_LEN - 1] = '\0';
    if (a->has_system && !isnan(a->system.op_lat_deg)) {
        out->has_operator = true;
        out->operator_lat = a->system.op_lat_deg * DEG2RAD;
        out->operator_lon = a->system.op_lon_deg * DEG2RAD;
        out->operator_alt = a->system.op_alt_geo;
    }
    odid_aircraft_rid_info(a, &out->rid);
    return SG_OK;
}

void odid_aircraft_rid_info(const odid_aircraft *a, sg_rid_info *r)
{
    memset(r, 0, sizeof *r);
    const odid_location *L = &a->location;
    r->valid = true;
    r->proto_version = a->proto_version;
    const char *id = odid_aircraft_identity(a);
    for (int i = 0; i < a->n_basic_id; i++)
        if (a->basic_id[i].uas_id == id) {
            r->id_type = a->basic_id[i].id_type;
            r->ua_type = a->basic_id[i].ua_type;
        }
    r->height_m = r->alt_baro_m = r->h_acc_m = r->v_acc_m = r->baro_acc_m = NAN;
    r->speed_acc_mps = r->loc_time_s = r->loc_time_acc_s = r->system_time = NAN;
    if (a->has_location) {
        r->status = L->status;
        r->height_type = L->height_type;
        r->height_m = L->height;
        r->alt_baro_m = L->alt_baro;
        r->h_acc_m = odid_h_acc_m(L->h_acc);
        r->v_acc_m = odid_v_acc_m(L->v_acc);
        r->baro_acc_m = odid_v_acc_m(L->baro_acc);
        r->speed_acc_mps = odid_speed_acc_ms(L->speed_acc);
        r->loc_time_s = L->timestamp_s;
        r->loc_time_acc_s = L->timestamp_acc_s;
    }
    if (a->has_system) {
        r->system_time = a->system.timestamp;
        r->classification = a->system.class_type;
        r->category_eu = a->system.category_eu;
        r->class_eu = a->system.class_eu;
        r->op_loc_type = a->system.op_loc_type;
    }
    if (a->has_self_id) {
        r->self_id_type = a->self_id.desc_type;
        snprintf(r->self_id, sizeof r->self_id, "%s", a->self_id.text);
    }
    if (a->has_operator_id)
        snprintf(r->operator_id, sizeof r->operator_id, "%s", a->operator_id.op_id);
    r->auth = a->auth_state;
    r->auth_type = (a->auth_pages & 1u) ? a->auth_head.auth_type : 0;
}

/* ---- table ---------------------------------------------------------------------- */

struct odid_table {
    odid_aircraft *ac;
    bool *used;
    int cap;
    double stale_s;
    double t_now;
    uint64_t evictions;
    uint64_t verdicts[4];      /* authentication sets judged, by sg_rid_auth state */
    odid_trust *trust;         /* keys for DRIP verification, or NULL */
};

odid_table *odid_table_create(int cap, double stale_s, sg_errinfo *e)
{
    if (cap < 1 || cap > 65536) {
        sg_err_set(e, SG_EINVAL, "odid_table: cap must be in [1, 65536], got %d", cap);
        return NULL;
    }
    if (!(stale_s > 0.0) || !isfinite(stale_s)) {
        sg_err_set(e, SG_EINVAL, "odid_table: stale_s must be > 0, got %g", stale_s);
        return NULL;
    }
    odid_table *tb = calloc(1, sizeof *tb);
    if (tb) {
        tb->ac = calloc((size_t)cap, sizeof *tb->ac);
        tb->used = calloc((size_t)cap, sizeof *tb->used);
    }
    if (!tb || !tb->ac || !tb->used) {
        odid_table_destroy(tb);
        sg_err_set(e, SG_ENOMEM, "odid_table: out of memory for %d aircraft", cap);
        return NULL;
    }
    tb->cap = cap;
    tb->stale_s = stale_s;
    tb->t_now = -INFINITY;
    return tb;
}

void odid_table_destroy(odid_table *tb)
{
    if (!tb)
        return;
    free(tb->ac);
    free(tb->used);
    free(tb);
}

int odid_table_update(odid_table *tb, const uint8_t mac[6], const odid_message *m, double t,
                      double rssi_dbm, odid_aircraft **out)
{
    if (!tb || !mac || !m || !isfinite(t))
        return SG_EINVAL;
    if (t > tb->t_now)
        tb->t_now = t;
    int slot = -1, free_slot = -1, oldest = -1;
    for (int i = 0; i < tb->cap; i++) {
        if (!tb->used[i]) {
            if (free_slot < 0)
                free_slot = i;
            continue;
        }
        if (memcmp(tb->ac[i].mac, mac, 6) == 0) {
            slot = i;
            break;
        }
        if (tb->t_now - tb->ac[i].t_last > tb->stale_s) { /* expired: reuse quietly */
            tb->used[i] = false;
            if (free_slot < 0)
                free_slot = i;
            continue;
        }
        if (oldest < 0 || tb->ac[i].t_last < tb->ac[oldest].t_last)
            oldest = i;
    }
    if (slot < 0) {
        if (free_slot < 0) {
            free_slot = oldest;
            tb->evictions++;
        }
        slot = free_slot;
        odid_aircraft_init(&tb->ac[slot], mac);
        tb->used[slot] = true;
    }
    int rc = odid_aircraft_update(&tb->ac[slot], m, t);
    if (rc)
        return rc;
    if (m->type == ODID_MT_AUTH && tb->ac[slot].auth_len > 0) { /* a complete set: judge it */
        int v = odid_auth_verify(tb->trust, &tb->ac[slot], t, NULL);
        tb->ac[slot].auth_state = (uint8_t)v;
        tb->verdicts[v & 3]++;
    }
    if (!isnan(rssi_dbm))
        tb->ac[slot].rssi_dbm = rssi_dbm;
    if (out)
        *out = &tb->ac[slot];
    return SG_OK;
}

int odid_table_count(const odid_table *tb)
{
    int n = 0;
    for (int i = 0; i < tb->cap; i++)
        n += tb->used[i] && tb->t_now - tb->ac[i].t_last <= tb->stale_s;
    return n;
}

const odid_aircraft *odid_table_get(const odid_table *tb, int k)
{
    for (int i = 0; i < tb->cap; i++)
        if (tb->used[i] && tb->t_now - tb->ac[i].t_last <= tb->stale_s && k-- == 0)
            return &tb->ac[i];
    return NULL;
}

uint64_t odid_table_evictions(const odid_table *tb) { return tb->evictions; }

uint64_t odid_table_verdicts(const odid_table *tb, int state)
{
    return tb && state >= 0 && state < 4 ? tb->verdicts[state] : 0;
}

void odid_table_set_trust(odid_table *tb, odid_trust *trust)
{
    if (tb)
        tb->trust = trust;
}
