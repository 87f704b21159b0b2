/* Front end on a real over-the-air capture: DJI Mavic Air 2 DroneID bursts
 * (../shared/fixtures/rf, raw cf32, 50 Msps, centre 2457.5 MHz). The fixture holds
 * 3 full bursts (~647 us, ~8.95 MHz, ~30 dB SNR) and one partial one cut by the
 * end or start of the file. Skipped when the fixture is absent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include <stdbool.h>

#include <cmocka.h>

#include "frontend.h"

#define DJI_PATH SG_FIXTURES_DIR "/rf/dji_mavic_air_2_droneid.cf32"
#define FS 50e6
#define FC 2457.5e6

typedef struct {
    sg_burst b[256];
    size_t n_iq[256];
    int n;
} found;

static void on_burst(void *user, const sg_burst *b, const float complex *iq, size_t n_iq)
{
    found *f = user;
    (void)iq;
    if (f->n < 256) {
        f->b[f->n] = *b;
        f->n_iq[f->n] = n_iq;
        f->n++;
    }
}

static void run(found *f, size_t block, const frontend_cfg *cfg)
{
    FILE *fp = fopen(DJI_PATH, "rb");
    assert_non_null(fp);
    sg_errinfo e = {0};
    frontend *fe = frontend_create(cfg, &e);
    assert_non_null(fe);
    float complex *buf = malloc(block * sizeof *buf);
    assert_non_null(buf);
    uint64_t idx = 0;
    size_t got;
    while ((got = fread(buf, sizeof *buf, block, fp)) > 0) {
        sg_iq_block blk = {.x = buf, .n = got, .sample_index = idx, .sample_rate = FS,
                           .center_freq = FC, .t0 = 1700000000.0};
        assert_int_equal(frontend_execute(fe, &blk, on_burst, f), 0);
        idx += got;
    }
    assert_int_equal(frontend_flush(fe, on_burst, f), 0);
    frontend_stats_t st;
    frontend_stats(fe, &st);
    assert_int_equal(st.samples, idx);
    frontend_destroy(fe);
    free(buf);
    fclose(fp);
}

/* The capture also holds the drone's other links (~1-3 MHz hops and ~9-12 MHz
 * OcuSync-like bursts 12-18 dB over the floor); DroneID bursts are the ~9 MHz ones
 * ~30 dB over it. Telling them apart by their ZC sync symbols is the decoder's job. */
static bool droneid_like(const sg_burst *b)
{
    return b->bandwidth > 7e6 && b->bandwidth < 11e6 && b->mean_snr_db > 22;
}

static void check(const found *f)
{
    int full = 0, partial = 0;
    int wide = 0;
    for (int i = 0; i < f->n; i++) {
        const sg_burst *b = &f->b[i];
        if (!droneid_like(b))
            continue;
        wide++;
        print_message("burst %d: t=%.1f us dur=%.1f us fc=%.3f MHz bw=%.3f MHz snr peak %.1f mean %.1f dB flags %u iq %zu\n",
                      i, (b->t_start - 1700000000.0) * 1e6, b->duration * 1e6, b->fc / 1e6,
                      b->bandwidth / 1e6, b->peak_snr_db, b->mean_snr_db, b->flags, f->n_iq[i]);
    }
    print_message("%d bursts, %d DroneID-like\n", f->n, wide);
    for (int i = 0; i < f->n; i++) {
        const sg_burst *b = &f->b[i];
        if (!droneid_like(b))
            continue;
        if (b->flags & (SG_BURST_TRUNC_START | SG_BURST_TRUNC_END)) {
            partial++;
            assert_true(b->duration < 647e-6 + 40e-6);
            continue;
        }
        full++;
        /* stated tolerances: duration 647 us +-30 us, bandwidth 8.95 MHz +-0.5 MHz */
        assert_true(fabs(b->duration - 647e-6) < 30e-6);
        assert_true(fabs(b->bandwidth - 8.95e6) < 0.5e6);
        assert_true(b->mean_snr_db > 15);
        assert_true(b->fc > FC - 25e6 && b->fc < FC + 25e6);
        assert_true(f->n_iq[i] >= b->sample_count);
    }
    assert_int_equal(full, 3);
    assert_int_equal(partial, 1);
    assert_int_equal(wide, 4);
}

static void test_dji_default(void **state)
{
    (void)state;
    found f = {0};
    frontend_cfg cfg;
    frontend_cfg_default(&cfg);
    run(&f, 65536, &cfg);
    check(&f);
}

/* Same answer with tiny odd-sized blocks, overlap and the rate known at create. */
static void test_dji_small_blocks_overlap(void **state)
{
    (void)state;
    found f = {0};
    frontend_cfg cfg;
    frontend_cfg_default(&cfg);
    cfg.overlap = 0.5;
    cfg.sample_rate = FS;
    run(&f, 1000, &cfg);
    check(&f);
}

int main(void)
{
    FILE *fp = fopen(DJI_PATH, "rb");
    if (!fp) {
        fprintf(stderr, "skipping: fixture %s not found\n", DJI_PATH);
        return 77;
    }
    fclose(fp);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dji_default),
        cmocka_unit_test(test_dji_small_blocks_overlap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
