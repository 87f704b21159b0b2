/* The real over-the-air DJI Mavic Air 2 capture (DroneSecurity project, RUB-SysSec):
 * raw cf32 LE, 50 Msps, centre 2457.5 MHz, 3 full DroneID bursts + 1 partial, cut from
 * a longer recording and concatenated (so the spacing is not the real ~0.6 s period).
 * Regions of 7.5 MHz or more are found with the daemon's own front end (droneid_scan):
 * the capture's DroneID bursts and its drone's ~9-12 MHz video bursts. Each goes to the
 * decoder: the 3 full DroneID bursts must pass CRC-24A, the partial one and the video
 * bursts must be refused cleanly; the decoded ones feed the emitter classifier (must
 * say dji_droneid).
 * The decoded contents are printed (and recorded in docs/droneid-and-signatures.md).
 * Skipped when the fixture folder is absent. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "file_helpers.h"

#include "droneid.h"
#include "droneid_burst.h"
#include "emitter.h"
#include "siglib.h"

#define FIXTURE SG_FIXTURES_DIR "/rf/dji_mavic_air_2_droneid.cf32"
#define FS 50e6
#define FC 2457.5e6


static double dist_m(double la1, double lo1, double la2, double lo2)
{
    double k = M_PI / 180, dla = (la2 - la1) * k, dlo = (lo2 - lo1) * k * cos(la1 * k);
    return 6371e3 * sqrt(dla * dla + dlo * dlo);
}

static void test_real_capture(void **st)
{
    (void)st;
    size_t n = 0;
    float complex *x = load_cf32(FIXTURE, &n);
    if (!x) {
        printf("fixture %s absent: skipped\n", FIXTURE);
        skip();
    }
    assert_int_equal(n, 1802240 / 8);

    droneid_span sp[32];
    size_t ns;
    assert_int_equal(droneid_scan(x, n, FS, sp, 32, &ns), SG_OK);
    assert_true(ns >= 4 && ns < 32); /* 3 full + 1 partial DroneID, and video bursts */

    sg_errinfo e;
    siglib *lib = siglib_load(SG_SOURCE_DIR "/config/signatures.json", &e);
    assert_non_null(lib);
    emitters *em = emitters_create(lib, NULL, &e);
    assert_non_null(em);
    droneid_rx *rx = droneid_rx_create(FS, &e);
    assert_non_null(rx);

    int full = 0, decoded = 0, flight = 0;
    droneid_msg msgs[8];
    uint32_t eid = 0;
    for (size_t i = 0; i < ns; i++) {
        /* the span is padded by 20 us each side */
        sg_burst b = {.t_start = (double)sp[i].start / FS + 20e-6,
                      .duration = sp[i].duration_s,
                      .fc = FC + sp[i].freq_offset_hz,
                      .bandwidth = sp[i].bandwidth_hz,
                      .mean_snr_db = sp[i].snr_db,
                      .flags = sp[i].truncated ? SG_BURST_TRUNC_END : 0u,
                      .sensor = 0};
        printf("burst %zu: %.1f us at %.3f MHz, %.2f MHz wide, %.1f dB over floor%s\n", i,
               b.duration * 1e6, b.fc / 1e6, b.bandwidth / 1e6, b.mean_snr_db,
               sp[i].truncated ? " (truncated by the end of the file)" : "");
        droneid_msg m;
        droneid_diag d;
        int rc = droneid_rx_decode(rx, x + sp[i].start, sp[i].len, sp[i].freq_offset_hz, &m, &d);
        printf("  decode: %s, stage %d, %d symbols, CFO %.0f Hz, CP %.2f, ZC %.2f, "
               "SNR %.1f dB, EVM %.1f dB, known-symbol bit errors %d, turbo iterations %d\n",
               sg_strerror(rc), d.stage, d.nsym, d.cfo_hz, d.cp_metric, d.zc_metric, d.snr_db,
               d.evm_db, d.known_sym_errors, d.turbo_iters);
        if (sp[i].truncated) {
            /* the partial burst: refused cleanly, never a message */
            assert_int_not_equal(rc, SG_OK);
            continue;
        }
        if (sp[i].snr_db < 22) {
            /* the drone's video bursts (12-18 dB; DroneID is ~30 dB here): no message */
            assert_int_not_equal(rc, SG_OK);
            continue;
        }
        full++;
        /* the shape pre-check passes every full burst, and they feed the classifier */
        assert_true(droneid_burst_candidate(&b));
        assert_int_equal(emitters_add_burst(em, &b, &eid), SG_OK);
        assert_int_equal(rc, SG_OK);
        assert_true(d.crc24_ok);
        assert_int_equal(d.nsym, 9);
        assert_int_equal(d.known_sym_errors, 0); /* ~30 dB: no raw bit errors expected */
        msgs[decoded++] = m;
        printf("  block:");
        for (int k = 0; k < DRONEID_BLOCK_BYTES; k++)
            printf("%s%02x", k % 44 ? "" : "\n    ", d.block[k]);
        printf("\n");
        if (m.msg_type == DRONEID_MSG_FLIGHT) {
            flight++;
            assert_true(m.crc16_ok);
            printf("  flight v%d seq %u state 0x%04x serial %s product %d (%s)\n"
                   "    drone %.6f %.6f altitude %.0f m height %.0f m v(N,E,U) %.2f %.2f %.2f m/s "
                   "yaw %.2f deg\n    pilot %.6f %.6f home %.6f %.6f app time %llu ms "
                   "uuid(%d) %s\n",
                   m.version, m.seq, m.state_info, m.serial, m.product_type,
                   droneid_product_name(m.product_type), m.lat_deg, m.lon_deg, m.altitude_m,
                   m.height_m, m.v_north, m.v_east, m.v_up, m.yaw_deg, m.pilot_lat_deg,
                   m.pilot_lon_deg, m.home_lat_deg, m.home_lon_deg,
                   (unsigned long long)m.gps_time_ms, m.uuid_len, m.uuid);
            sg_measurement z;
            assert_int_equal(droneid_to_measurement(&m, b.t_start, 0, &z), SG_OK);
            assert_string_equal(z.identity, m.serial);
        } else {
            printf("  message type 0x%02x (length %d): serial %s\n", m.msg_type, m.pkt_len,
                   m.serial);
            sg_measurement z; /* no position: nothing for the tracker */
            assert_int_equal(droneid_to_measurement(&m, b.t_start, 0, &z), SG_EINVAL);
        }
    }
    assert_int_equal(full, 3);
    assert_int_equal(decoded, 3);
    assert_true(flight >= 2);
    /* consistency across bursts (facts of the capture, not of our code): one aircraft,
     * a Mavic Air 2 (product code 58), pilot and home within 100 m of the drone, the
     * serial identical in every message, the sequence number increasing */
    int prev_seq = -1;
    for (int i = 0; i < decoded; i++) {
        assert_string_equal(msgs[i].serial, msgs[0].serial);
        if (msgs[i].msg_type != DRONEID_MSG_FLIGHT)
            continue;
        assert_int_equal(msgs[i].product_type, 58);
        assert_true(dist_m(msgs[i].lat_deg, msgs[i].lon_deg, msgs[i].pilot_lat_deg,
                           msgs[i].pilot_lon_deg) < 100);
        assert_true(dist_m(msgs[i].lat_deg, msgs[i].lon_deg, msgs[i].home_lat_deg,
                           msgs[i].home_lon_deg) < 100);
        assert_true((int)msgs[i].seq > prev_seq);
        prev_seq = msgs[i].seq;
    }
    /* the classifier calls the bursts' emitter DJI DroneID (shape + band; the spliced
     * spacing fails the interval feature, the rest carries it) */
    const emitter *e0 = emitters_find(em, eid);
    assert_non_null(e0);
    printf("emitter %u: %s, confidence %.2f, %llu bursts, %d channels\n", e0->id, e0->cls,
           e0->cls_conf, (unsigned long long)e0->n_bursts, e0->hop_channels);
    assert_string_equal(e0->cls, "dji_droneid");
    assert_int_equal(e0->n_bursts, 3);
    droneid_rx_destroy(rx);
    emitters_destroy(em);
    siglib_destroy(lib);
    free(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_real_capture)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
