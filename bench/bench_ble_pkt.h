/* The BLE benchmarks' Remote ID payloads: a two-message pack (Basic ID with serial `id`,
 * Location 48.1 N 11.5 E) for extended advertising, and the Basic ID alone as a legacy
 * advertising PDU, from advertiser address 01:02:03:04:05:C5 (random). */
#ifndef SG_BENCH_BLE_PKT_H
#define SG_BENCH_BLE_PKT_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ble_ll.h"
#include "odid.h"

typedef struct {
    uint8_t adva[6];
    uint8_t pack[64];             /* the message pack */
    size_t plen;
    uint8_t leg[BLE_PDU_MAX];     /* the legacy PDU */
    size_t ll;
} bench_ble_pkt;

/* 0 or an encoder's error. */
static inline int bench_ble_pkt_make(bench_ble_pkt *p, const char *id)
{
    odid_message m[2];
    odid_message_init(&m[0], ODID_MT_BASIC_ID);
    m[0].u.basic_id.id_type = ODID_IDT_SERIAL;
    snprintf(m[0].u.basic_id.uas_id, sizeof m[0].u.basic_id.uas_id, "%s", id);
    odid_message_init(&m[1], ODID_MT_LOCATION);
    m[1].u.location.lat_deg = 48.1;
    m[1].u.location.lon_deg = 11.5;
    static const uint8_t adva[6] = {1, 2, 3, 4, 5, 0xC5};
    memcpy(p->adva, adva, 6);
    uint8_t raw[ODID_MSG_SIZE];
    int rc = odid_encode_pack(m, 2, p->pack, sizeof p->pack, &p->plen);
    if (!rc)
        rc = odid_encode_message(&m[0], raw);
    if (!rc)
        rc = ble_adv_build_odid(p->adva, 1, raw, 25, p->leg, sizeof p->leg, &p->ll);
    return rc;
}

#endif
