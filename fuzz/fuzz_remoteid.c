/* libFuzzer target: Remote ID over the air (dsp/odid.c, dsp/rid_wifi.c, dsp/ble_ll.c):
 * the same bytes as a radiotap frame, a bare 802.11 frame, a BLE advertising PDU and an
 * F3411 message pack. Whatever decodes must turn into a measurement with finite values
 * or be refused; nothing may fault. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ble_ll.h"
#include "odid.h"
#include "rid_wifi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static odid_table *table;

static void feed(const uint8_t mac[6], const odid_message *m, int n)
{
    for (int i = 0; i < n; i++) {
        odid_aircraft *a = NULL;
        if (odid_table_update(table, mac, &m[i], 1784572200.0 + i, -50, &a) != SG_OK || !a)
            continue;
        sg_measurement meas;
        if (odid_to_measurement(a, 0, &meas) == SG_OK)
            for (int k = 0; k < 3; k++)
                if (!isfinite(meas.z[k]) || !isfinite(meas.R[4 * k]))
                    abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!table && !(table = odid_table_create(16, 30, NULL)))
        abort();
    rid_wifi_frame f;
    rid_wifi_reason why;
    if (rid_wifi_parse_radiotap(data, size, &f, &why) == SG_OK)
        feed(f.mac, f.msgs, f.n_msgs);
    if (rid_wifi_parse_80211(data, size, size & 1, &f, &why) == SG_OK)
        feed(f.mac, f.msgs, f.n_msgs);
    ble_adv adv;
    if (ble_adv_parse(data, size, &adv) == SG_OK && adv.has_odid) {
        odid_message m[1];
        if (adv.odid_len >= ODID_MSG_SIZE && odid_decode_message(adv.odid, adv.odid_len, &m[0]) == SG_OK)
            feed(adv.adva, m, 1);
    }
    odid_message m[ODID_PACK_MAX];
    int n = 0;
    if (odid_decode_pack(data, size, m, ODID_PACK_MAX, &n, NULL) == SG_OK)
        feed((const uint8_t *)"\x01\x02\x03\x04\x05\x06", m, n);
    return 0;
}
