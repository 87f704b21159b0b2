/* A sensor's health record (nl_health): every counter the status shows for it, copied
 * from its adapter, front end, decoders and receivers (see sensor_runner.h). */
#include "sensor_runner.h"

#include <math.h>
#include <string.h>

void sensor_health_chain(runner *s, nl_health *h)
{
    if (s->ops) {
        h->bursts = atomic_load(&s->bursts);
        h->droneid_decoded = atomic_load(&s->decoded);
        h->droneid_failed = atomic_load(&s->decode_fail);
        h->droneid_rejected = atomic_load(&s->decode_rejected);
    }
    h->events_dropped = atomic_load(&s->events_dropped);
}

void sensor_health_fill(runner *s, nl_health *h)
{
    memset(h, 0, sizeof *h);
    h->progress = NAN;
    h->t_first = s->t_first;
    h->wall_first = s->wall_first;
    if (s->primary)
        h->groups |= NL_H_PRIMARY;
    if (s->ops) {
        sg_adapter_stats as;
        s->ops->stats(s->state, &as);
        h->groups |= NL_H_ADAPTER;
        h->samples = as.samples;
        h->samples_dropped = as.samples_dropped;
        h->bad_samples = as.bad_samples;
        if (s->fe) { /* the front end's NaN/overflow policy: disjoint from the adapter's */
            frontend_stats_t fst;
            frontend_stats(s->fe, &fst);
            h->bad_samples += fst.iq_limited;
        }
        h->blocks_dropped = as.blocks_dropped;
        h->progress = as.progress;
        if (s->chain) {
            sensor_chain_stats cs;
            sensor_chain_stats_get(s->chain, &cs);
            h->burst_queue_full = cs.full;
        }
        if (as.scan_channels) {
            h->groups |= NL_H_SCAN;
            h->scan_channels = as.scan_channels;
            h->scan_cycle_s = as.scan_cycle_s;
            h->scan_duty_min = as.scan_duty_min;
            h->scan_retunes = as.retunes;
            h->samples_settling = as.samples_settling;
        }
    }
    if (s->df) {
        dffe_stats ds;
        sensor_df_stats st;
        dffe_stats_get(sensor_df_fe(s->df), &ds);
        sensor_df_stats_get(s->df, &st);
        h->groups |= NL_H_DF;
        h->df_bursts = ds.bursts;
        h->df_doa_failed = ds.bursts - ds.bearings + st.failed;
        h->df_not_drone = st.not_drone;
        h->df_ambiguous = st.ambiguous;
        h->df_multi_peak = st.multi_peak;
        h->df_incoherent = st.incoherent;
        h->df_low_snr = st.low_snr;
        h->df_crowded = st.crowded;
        h->df_burst_bearings = st.used;
        h->df_bearings = st.bearings;
        h->df_evicted = st.evicted;
    }
    if (s->ble) {
        ble_scan_stats bs;
        ble_scan_get_stats(s->ble, &bs);
        h->groups |= NL_H_BLE;
        h->ble_packets = bs.packets_1m + bs.packets_s8 + bs.packets_s2;
        h->ble_crc_fail = bs.crc_fail_1m + bs.crc_fail_coded;
        h->ble_1m = bs.packets_1m;
        h->ble_coded_s8 = bs.packets_s8;
        h->ble_coded_s2 = bs.packets_s2;
        h->ble_crc_fail_1m = bs.crc_fail_1m;
        h->ble_crc_fail_coded = bs.crc_fail_coded;
        h->ble_aux_unheard = bs.aux_unheard;
        h->ble_chain_lost = bs.chain_lost;
        h->ble_rid_decoded = bs.rid_decoded;
        h->ble_rid_bad = bs.rid_bad;
        h->ble_secondary = (uint64_t)bs.n_secondary;
        h->ble_squelch_blocks = bs.squelch_blocks;
        h->ble_squelch_skipped = bs.squelch_skipped;
        h->ble_squelch_cut = bs.squelch_cut;
        h->ble_fft_blocks = bs.fft_blocks;
        h->ble_fft_skipped = bs.fft_skipped;
    }
#if SG_WITH_PCAP
    if (s->pcap) {
        rid_pcap_stats ps;
        rid_pcap_get_stats(s->pcap, &ps);
        uint64_t rej = 0;
        for (int r = 1; r < RID_WIFI_REASONS_; r++)
            rej += ps.rejected[r];
        h->groups |= NL_H_WIFI;
        h->wifi_frames = ps.frames;
        h->wifi_rid_frames = ps.decoded;
        h->wifi_rejected = rej;
        h->kernel_dropped = ps.kernel_dropped;
    }
#endif
    if (s->cam) {
        camera_stats cs;
        camera_get_stats(s->cam, &cs);
        h->groups |= NL_H_CAMERA;
        h->frames = cs.frames_processed;
        h->frames_dropped = cs.frames_dropped;
        h->frames_bad = cs.frames_bad;
        h->detections = cs.detections;
        h->bearings = cs.measurements;
        h->detections_masked = cs.detections_masked;
        h->blobs_dropped = cs.blobs_dropped;
        h->tracklets_dropped = cs.tracklets_dropped;
        h->blobs_below_horizon = cs.blobs_below_horizon;
        h->frames_warped = cs.frames_warped;
        h->motion_resets = cs.motion_resets;
        h->drone_reports = cs.drone_reports;
    }
#if SG_WITH_SAPIENT
    if (s->sap) {
        sapient_in_stats ss;
        sapient_in_get_stats(s->sap, &ss);
        h->groups |= NL_H_SAPIENT;
        h->sapient_connections = ss.connections;
        h->sapient_refused = ss.refused;
        h->sapient_registrations = ss.registrations;
        h->sapient_messages = ss.messages;
        h->sapient_detections = ss.detections;
        h->sapient_rejected = ss.rejected;
    }
#endif
    if (s->odid) {
        h->groups |= NL_H_RID;
        h->rid_messages = atomic_load(&s->rid_frames);
        h->rid_positions = atomic_load(&s->rid_positions);
        h->rid_evicted = odid_table_evictions(s->odid);
        h->rid_auth_verified = odid_table_verdicts(s->odid, SG_RID_AUTH_VERIFIED);
        h->rid_auth_failed = odid_table_verdicts(s->odid, SG_RID_AUTH_FAILED);
        h->rid_auth_unverified = odid_table_verdicts(s->odid, SG_RID_AUTH_UNVERIFIED);
    }
    sensor_health_chain(s, h);
    h->record_errors = atomic_load(&s->rec_errors);
    if (s->p->record_dir || h->record_errors)
        h->groups |= NL_H_RECORD;
    if (node_link_has_floor(s->p->link)) {
        nl_stats ls;
        node_link_stats(s->p->link, &ls);
        h->link_dropped = ls.dropped;
    }
    h->fe_p50_ms = nl_lat_quantile(&s->fe_lat, 0.5);
    h->fe_p99_ms = nl_lat_quantile(&s->fe_lat, 0.99);
}
