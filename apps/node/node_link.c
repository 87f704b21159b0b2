/* The in-process node link (see node_link.h): the sensor threads and the fusion loop
 * of one process share a bounded common/sg_queue of events. */
#include "node_link.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>

#include "sg_queue.h"

#define NLC(g, field, key) {g, key, offsetof(nl_health, field)}
const nl_counter nl_counters[] = {
    NLC(NL_H_ADAPTER, samples, "samples"),
    NLC(NL_H_ADAPTER, samples_dropped, "samples_dropped"),
    NLC(NL_H_ADAPTER, bad_samples, "bad_samples"),
    NLC(NL_H_ADAPTER, blocks_dropped, NULL), /* in the totals (fusion_status.c) */
    NLC(NL_H_ADAPTER, bursts, "bursts"),
    NLC(NL_H_ADAPTER, droneid_decoded, "droneid_decoded"),
    NLC(NL_H_ADAPTER, droneid_failed, "droneid_failed"),
    NLC(NL_H_ADAPTER, droneid_rejected, "droneid_rejected"),
    NLC(NL_H_ADAPTER, burst_queue_full, "burst_queue_full"),
    NLC(NL_H_DF, df_bursts, "df_bursts"),
    NLC(NL_H_DF, df_doa_failed, "df_doa_failed"),
    NLC(NL_H_DF, df_not_drone, "df_not_drone"),
    NLC(NL_H_DF, df_ambiguous, "df_ambiguous"),
    NLC(NL_H_DF, df_multi_peak, "df_multi_peak"),
    NLC(NL_H_DF, df_incoherent, "df_incoherent"),
    NLC(NL_H_DF, df_low_snr, "df_low_snr"),
    NLC(NL_H_DF, df_crowded, "df_crowded"),
    NLC(NL_H_DF, df_burst_bearings, "df_burst_bearings"),
    NLC(NL_H_DF, df_bearings, "df_bearings"),
    NLC(NL_H_DF, df_evicted, "df_evicted"),
    NLC(NL_H_BLE, ble_packets, "ble_packets"),
    NLC(NL_H_BLE, ble_crc_fail, "ble_crc_fail"),
    NLC(NL_H_BLE, ble_1m, "ble_1m"),
    NLC(NL_H_BLE, ble_coded_s8, "ble_coded_s8"),
    NLC(NL_H_BLE, ble_coded_s2, "ble_coded_s2"),
    NLC(NL_H_BLE, ble_crc_fail_1m, "ble_crc_fail_1m"),
    NLC(NL_H_BLE, ble_crc_fail_coded, "ble_crc_fail_coded"),
    NLC(NL_H_BLE, ble_aux_unheard, "ble_aux_unheard"),
    NLC(NL_H_BLE, ble_chain_lost, "ble_chain_lost"),
    NLC(NL_H_BLE, ble_rid_decoded, "ble_rid_decoded"),
    NLC(NL_H_BLE, ble_rid_bad, "ble_rid_bad"),
    NLC(NL_H_BLE, ble_secondary, "ble_secondary_channels"),
    NLC(NL_H_BLE, ble_squelch_blocks, "ble_squelch_blocks"),
    NLC(NL_H_BLE, ble_squelch_skipped, "ble_squelch_skipped"),
    NLC(NL_H_BLE, ble_squelch_cut, "ble_squelch_cut"),
    NLC(NL_H_BLE, ble_fft_blocks, "ble_fft_blocks"),
    NLC(NL_H_BLE, ble_fft_skipped, "ble_fft_skipped"),
    NLC(NL_H_WIFI, wifi_frames, "wifi_frames"),
    NLC(NL_H_WIFI, wifi_rid_frames, "wifi_rid_frames"),
    NLC(NL_H_WIFI, wifi_rejected, "wifi_rejected"),
    NLC(NL_H_WIFI, kernel_dropped, "kernel_dropped"),
    NLC(NL_H_CAMERA, frames, "frames"),
    NLC(NL_H_CAMERA, frames_dropped, "frames_dropped"),
    NLC(NL_H_CAMERA, frames_bad, "frames_bad"),
    NLC(NL_H_CAMERA, detections, "detections"),
    NLC(NL_H_CAMERA, bearings, "bearings"),
    NLC(NL_H_CAMERA, detections_masked, "detections_masked"),
    NLC(NL_H_CAMERA, blobs_dropped, "blobs_dropped"),
    NLC(NL_H_CAMERA, tracklets_dropped, "tracklets_dropped"),
    NLC(NL_H_CAMERA, blobs_below_horizon, "blobs_below_horizon"),
    NLC(NL_H_CAMERA, frames_warped, "frames_warped"),
    NLC(NL_H_CAMERA, motion_resets, "motion_resets"),
    NLC(NL_H_CAMERA, drone_reports, "drone_reports"),
    NLC(NL_H_RID, rid_messages, "remote_id_messages"),
    NLC(NL_H_RID, rid_positions, "remote_id_positions"),
    NLC(NL_H_RID, rid_evicted, "remote_id_evicted"),
    NLC(NL_H_RID, rid_auth_verified, "remote_id_auth_verified"),
    NLC(NL_H_RID, rid_auth_failed, "remote_id_auth_failed"),
    NLC(NL_H_RID, rid_auth_unverified, "remote_id_auth_unverified"),
    NLC(NL_H_SAPIENT, sapient_connections, "sapient_connections"),
    NLC(NL_H_SAPIENT, sapient_refused, "sapient_refused"),
    NLC(NL_H_SAPIENT, sapient_registrations, "sapient_registrations"),
    NLC(NL_H_SAPIENT, sapient_messages, "sapient_messages"),
    NLC(NL_H_SAPIENT, sapient_detections, "sapient_detections"),
    NLC(NL_H_SAPIENT, sapient_rejected, "sapient_rejected"),
    NLC(0, events_dropped, "events_dropped"),
    NLC(NL_H_RECORD, record_errors, "record_errors"),
    NLC(0, link_dropped, NULL), /* node-wide: shown with the sensor's node (fusion_status.c) */
};
#undef NLC
const size_t nl_n_counters = sizeof nl_counters / sizeof nl_counters[0];

static int inproc_push(void *impl, const nl_event *ev, bool wait)
{
    return sgq_push(impl, ev, wait);
}

static int inproc_pop(void *impl, nl_event *ev, double timeout_s)
{
    return sgq_pop(impl, ev, timeout_s);
}

static void inproc_halt(void *impl) { sgq_halt(impl); }

static void inproc_stats(void *impl, nl_stats *out)
{
    sgq_stats qs;
    sgq_get_stats(impl, &qs);
    out->pushed = qs.pushed;
    out->dropped = qs.dropped;
    out->depth = qs.depth;
    out->capacity = qs.capacity;
    out->refused = out->malformed = 0;
}

static void inproc_destroy(void *impl) { sgq_destroy(impl); }

static const node_link_ops inproc_ops = {
    .push = inproc_push,
    .pop = inproc_pop,
    .halt = inproc_halt,
    .stats = inproc_stats,
    .destroy = inproc_destroy,
};

node_link *node_link_inproc_create(size_t capacity, sg_errinfo *e)
{
    node_link *l = malloc(sizeof *l);
    if (!l) {
        sg_err_set(e, SG_ENOMEM, "out of memory");
        return NULL;
    }
    l->ops = &inproc_ops;
    if (!(l->impl = sgq_create(capacity, sizeof(nl_event), e))) {
        free(l);
        return NULL;
    }
    return l;
}

void node_link_destroy(node_link *l)
{
    if (!l)
        return;
    l->ops->destroy(l->impl);
    free(l);
}

int node_replay_sensor(const sg_site *site)
{
    for (size_t i = 0; i < site->n_sensors; i++)
        if (site->sensors[i].kind == SG_SENSOR_RF)
            return (int)i;
    return -1;
}

void nl_lat_add(nl_lat *h, double ms)
{
    h->n++;
    if (!(ms >= 0))
        ms = 0;
    size_t b = (size_t)(ms * 10.0);
    if (b >= NL_LAT_BINS)
        h->over++;
    else
        h->bins[b]++;
}

double nl_lat_quantile(const nl_lat *h, double q)
{
    if (h->n == 0)
        return NAN;
    uint64_t want = (uint64_t)ceil(q * (double)h->n), acc = 0;
    for (size_t b = 0; b < NL_LAT_BINS; b++) {
        acc += h->bins[b];
        if (acc >= want)
            return (b + 0.5) / 10.0;
    }
    return INFINITY; /* beyond the histogram: reported as null */
}
