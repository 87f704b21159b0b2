/* libFuzzer target: Bluetooth LE capture records (dsp/ble_cap.c). The first byte picks
 * the link type (251, 256, 272, 187, 201, 254), the rest is the record. Parsed records
 * go through one long-lived chain reassembler, and complete advertisements through the
 * Remote ID service-data search and the F3411 payload decoder. Checked: every pointer
 * handed out stays inside the record (or the chain buffer), lengths stay within their
 * bounds, nothing faults. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ble_cap.h"
#include "odid.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static ble_chain chain;
static double t_now;

static void advert(int rc, const ble_adv_data *d)
{
    if (rc != SG_OK)
        return;
    if (d->adv_data_len > BLE_ADV_DATA_MAX)
        abort();
    ble_adv a;
    if (ble_ad_find_odid(d->adv_data, d->adv_data_len, &a) != SG_OK || !a.has_odid)
        return;
    if (a.odid < d->adv_data || a.odid + a.odid_len > d->adv_data + d->adv_data_len)
        abort();
    odid_message m[ODID_PACK_MAX];
    int n = 0;
    if (odid_decode_payload(a.odid, a.odid_len, m, ODID_PACK_MAX, &n, NULL) == SG_OK &&
        (n < 1 || n > ODID_PACK_MAX))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int lts[6] = {BLE_LT_LL, BLE_LT_LL_PHDR, BLE_LT_NORDIC, BLE_LT_HCI_H4,
                               BLE_LT_HCI_H4_PHDR, BLE_LT_MONITOR};
    if (size < 1)
        return 0;
    int lt = lts[data[0] % 6];
    const uint8_t *rec = data + 1;
    size_t len = size - 1;
    t_now += 0.01;
    ble_adv_data d;
    if (ble_cap_is_ll(lt)) {
        ble_ll_rec r;
        if (ble_cap_parse_ll(lt, rec, len, &r) != SG_OK)
            return 0;
        if (r.pdu < rec || r.pdu + r.pdu_len > rec + len || r.pdu_len > BLE_EXT_PDU_MAX)
            abort();
        advert(ble_chain_feed_ll(&chain, &r, t_now, &d), &d);
        return 0;
    }
    ble_hci_report rep[8];
    int n = 0;
    if (ble_cap_parse_hci(lt, rec, len, rep, 8, &n) != SG_OK)
        return 0;
    for (int i = 0; i < n; i++) {
        if (rep[i].data_len && (rep[i].data < rec || rep[i].data + rep[i].data_len > rec + len))
            abort();
        advert(ble_chain_feed_hci(&chain, &rep[i], t_now, &d), &d);
    }
    return 0;
}
