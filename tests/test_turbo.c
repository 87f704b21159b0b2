/* LTE turbo code, rate matching and CRC presets: known answers from the 3GPP
 * structure and the public DroneID references, plus decoding under noise. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sg_crc.h"
#include "turbo.h"

#define K 1408
#define D (K + 4)

static uint32_t rng = 12345u;
static uint32_t rnd(void)
{
    rng = rng * 1664525u + 1013904223u;
    return rng >> 8;
}
static double gauss(void)
{
    double u1 = ((rnd() & 0xFFFFFF) + 1.0) / 16777218.0, u2 = (rnd() & 0xFFFFFF) / 16777216.0;
    return sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
}

static void test_crc_known_answers(void **st)
{
    (void)st;
    const uint8_t s[] = "123456789";
    assert_int_equal(sg_crc(&SG_CRC32, s, 9), 0xCBF43926u);
    assert_int_equal(sg_crc(&SG_CRC16_CCITT, s, 9), 0x29B1u);
    assert_int_equal(sg_crc(&SG_CRC24A, s, 9), 0xCDE703u);
    /* bit-serial form agrees with the byte form */
    uint8_t bits[72];
    for (int i = 0; i < 72; i++)
        bits[i] = (s[i / 8] >> (7 - i % 8)) & 1;
    assert_int_equal(sg_crc_bits(&SG_CRC24A, bits, 72), 0xCDE703u);
    assert_int_equal(sg_crc_bits(&SG_CRC32, bits, 72), 0); /* reflected: refused */
    /* DJI CRC-16 (reflected, no xorout): appending it little-endian gives residue 0 */
    uint8_t buf[11];
    memcpy(buf, s, 9);
    uint16_t c = (uint16_t)sg_crc(&SG_CRC16_DJI, buf, 9);
    buf[9] = (uint8_t)c, buf[10] = (uint8_t)(c >> 8);
    assert_int_equal(sg_crc(&SG_CRC16_DJI, buf, 11), 0);
    /* and its init matters (0x3692, not 0) */
    sg_crc_params p0 = SG_CRC16_DJI;
    p0.init = 0;
    assert_int_not_equal(sg_crc(&p0, s, 9), c);
}

static void test_create_invalid(void **st)
{
    (void)st;
    sg_errinfo e;
    assert_null(turbo_create(39, 3, 10, &e));
    assert_int_equal(e.code, SG_EINVAL);
    assert_null(turbo_create(6145, 263, 480, &e));
    assert_null(turbo_create(1408, 42, 88, &e)); /* even f1: not a permutation */
    assert_int_equal(e.code, SG_EINVAL);
    assert_non_null(strstr(e.msg, "permutation"));
    assert_null(turbo_rm_create(10, 7200, 0, &e));
    assert_null(turbo_rm_create(D, 7200, 4, &e));
    assert_null(turbo_rm_create(D, 0, 0, &e));
}

/* The public DroneID receiver reads the systematic stream straight out of the
 * rate-matched buffer at offset 4148 (rv 0, E 7200): our rate matcher must put it
 * exactly there. With d0 = 1s and parity 0s: e[0..1323] and e[4148..5559] are the
 * systematic bits (the first two columns' start wraps to the end). */
static void test_rate_match_layout(void **st)
{
    (void)st;
    sg_errinfo e;
    turbo_rm *r = turbo_rm_create(D, 7200, 0, &e);
    assert_non_null(r);
    uint8_t d0[D], d1[D], d2[D], out[7200];
    memset(d0, 1, D), memset(d1, 0, D), memset(d2, 0, D);
    turbo_rm_match(r, d0, d1, d2, out);
    for (int k = 0; k < 7200; k++) {
        int sys = k < 1324 || (k >= 4148 && k < 4148 + 1412);
        if (out[k] != sys)
            fail_msg("e[%d] = %d, expected %d", k, out[k], sys);
    }
    /* dematch inverts match: every bit recovered with the right sign, repeats summed */
    for (int i = 0; i < D; i++)
        d0[i] = rnd() & 1, d1[i] = rnd() & 1, d2[i] = rnd() & 1;
    turbo_rm_match(r, d0, d1, d2, out);
    float llr[7200], l0[D], l1[D], l2[D];
    for (int k = 0; k < 7200; k++)
        llr[k] = out[k] ? -1.0f : 1.0f;
    turbo_rm_dematch(r, llr, l0, l1, l2);
    for (int i = 0; i < D; i++) {
        assert_true(fabsf(l0[i]) >= 1 && (l0[i] < 0) == d0[i]);
        assert_true(fabsf(l1[i]) >= 1 && (l1[i] < 0) == d1[i]);
        assert_true(fabsf(l2[i]) >= 1 && (l2[i] < 0) == d2[i]);
    }
    turbo_rm_destroy(r);
}

/* Encoder structure: RSC trellis terminates both constituents (re-encoding the
 * systematic + tail of stream 0 reproduces parity), and the code is linear. */
static void test_encoder_properties(void **st)
{
    (void)st;
    sg_errinfo e;
    turbo_codec *q = turbo_create(K, 43, 88, &e);
    assert_non_null(q);
    assert_int_equal(turbo_block_size(q), K);
    uint8_t a[K], b[K], c[K], da[3][D], db[3][D], dc[3][D];
    for (int i = 0; i < K; i++)
        a[i] = rnd() & 1, b[i] = rnd() & 1, c[i] = a[i] ^ b[i];
    turbo_encode(q, a, da[0], da[1], da[2]);
    turbo_encode(q, b, db[0], db[1], db[2]);
    turbo_encode(q, c, dc[0], dc[1], dc[2]);
    for (int s = 0; s < 3; s++)
        for (int i = 0; i < D; i++)
            assert_int_equal(dc[s][i], da[s][i] ^ db[s][i]);
    /* all-zero input gives all-zero output (terminated, linear) */
    memset(a, 0, K);
    turbo_encode(q, a, da[0], da[1], da[2]);
    for (int s = 0; s < 3; s++)
        for (int i = 0; i < D; i++)
            assert_int_equal(da[s][i], 0);
    turbo_destroy(q);
}

typedef struct {
    const uint8_t *ref;
} chk_t;
static int check_equal(const uint8_t *bits, int k, void *arg)
{
    return memcmp(bits, ((chk_t *)arg)->ref, (size_t)k) == 0;
}

/* Rate-1/3 BPSK over AWGN: at Eb/N0 = 1.0 dB (K 1408, 8 iterations) an LTE turbo
 * decoder is well past its waterfall (BLER ~1e-2 and below): require >= 18/20
 * blocks error-free. Noiseless: exact in 1 iteration. */
static void test_decode_awgn(void **st)
{
    (void)st;
    sg_errinfo e;
    turbo_codec *q = turbo_create(K, 43, 88, &e);
    assert_non_null(q);
    uint8_t u[K], d[3][D], out[K];
    float l[3][D];
    double ebn0 = pow(10, 1.0 / 10), R = (double)K / (3 * D);
    double sigma = sqrt(1 / (2 * R * ebn0));
    int good = 0, iters_total = 0;
    for (int blk = 0; blk < 20; blk++) {
        for (int i = 0; i < K; i++)
            u[i] = rnd() & 1;
        turbo_encode(q, u, d[0], d[1], d[2]);
        for (int s = 0; s < 3; s++)
            for (int i = 0; i < D; i++) {
                double y = (d[s][i] ? -1.0 : 1.0) + sigma * gauss();
                l[s][i] = (float)(2 * y / (sigma * sigma));
            }
        chk_t c = {u};
        int it = 0;
        int rc = turbo_decode(q, l[0], l[1], l[2], 8, check_equal, &c, out, &it);
        iters_total += it;
        if (rc == SG_OK && memcmp(out, u, K) == 0)
            good++;
    }
    printf("turbo AWGN Eb/N0 1.0 dB: %d/20 blocks ok, %.1f iterations mean\n", good,
           iters_total / 20.0);
    assert_true(good >= 18);
    /* noiseless, no check: exact */
    for (int s = 0; s < 3; s++)
        for (int i = 0; i < D; i++)
            l[s][i] = d[s][i] ? -4.0f : 4.0f;
    int it;
    assert_int_equal(turbo_decode(q, l[0], l[1], l[2], 1, NULL, NULL, out, &it), SG_OK);
    assert_int_equal(it, 1);
    assert_memory_equal(out, u, K);
    /* a check that never accepts -> SG_ECRC after max_iter */
    uint8_t other[K];
    memset(other, 2, K);
    chk_t c = {other};
    assert_int_equal(turbo_decode(q, l[0], l[1], l[2], 3, check_equal, &c, out, &it), SG_ECRC);
    assert_int_equal(it, 3);
    turbo_destroy(q);
}

/* The SSE recursions against the scalar loops (turbo_set_simd): the decisions after every
 * iteration, bit for bit, on blocks from noiseless to pure noise (a failed DroneID attempt
 * runs all 8 iterations on noise-like LLRs) and at LLR scales from 1e-3 to 1e4. */
typedef struct {
    uint64_t h;
} trace_t;

static int trace_bits(const uint8_t *bits, int k, void *arg)
{
    trace_t *t = arg;
    for (int i = 0; i < k; i++)
        t->h = (t->h ^ bits[i]) * 1099511628211ull;
    return 0; /* never accept: all iterations run */
}

static void test_simd_same_bits(void **st)
{
    (void)st;
    sg_errinfo e;
    turbo_codec *q = turbo_create(K, 43, 88, &e);
    assert_non_null(q);
    assert_int_equal(turbo_set_simd(NULL, true), SG_EINVAL);
    uint8_t u[K], d[3][D], out[2][K];
    static float l[3][D];
    const double ebn0_db[] = {99, 3, 1, 0.5, 0, -3, -99}; /* -99: noise only */
    const float scale[] = {1e-3f, 1, 1e4f};
    int blocks = 0;
    for (size_t c = 0; c < sizeof ebn0_db / sizeof ebn0_db[0]; c++)
        for (int blk = 0; blk < 6; blk++) {
            for (int i = 0; i < K; i++)
                u[i] = rnd() & 1;
            turbo_encode(q, u, d[0], d[1], d[2]);
            double R = (double)K / (3 * D), sigma = sqrt(1 / (2 * R * pow(10, ebn0_db[c] / 10)));
            for (int s = 0; s < 3; s++)
                for (int i = 0; i < D; i++) {
                    double y = (ebn0_db[c] < -50 ? 0 : d[s][i] ? -1.0 : 1.0) +
                               (ebn0_db[c] > 50 ? 0 : ebn0_db[c] < -50 ? 1 : sigma) * gauss();
                    l[s][i] = scale[blk % 3] * (float)y;
                }
            trace_t t[2] = {{1469598103934665603ull}, {1469598103934665603ull}};
            int it[2], rc[2];
            for (int v = 0; v < 2; v++) {
                int src = turbo_set_simd(q, v == 0);
                if (src == SG_ENOTSUP)
                    skip(); /* no SSE2 in this build: one path only */
                assert_int_equal(src, SG_OK);
                rc[v] = turbo_decode(q, l[0], l[1], l[2], 8, trace_bits, &t[v], out[v], &it[v]);
            }
            if (t[0].h != t[1].h || rc[0] != rc[1] || it[0] != it[1] ||
                memcmp(out[0], out[1], K) != 0)
                fail_msg("Eb/N0 %g dB block %d (LLR scale %g): SSE and scalar decisions differ",
                         ebn0_db[c], blk, scale[blk % 3]);
            blocks++;
        }
    printf("turbo SSE vs scalar: %d blocks, decisions of all 8 iterations identical\n", blocks);
    turbo_destroy(q);
}

/* turbo_set_give_up: off by default (8 iterations on a hopeless block); on, a block that
 * is no codeword (strong LLRs of random bits, as a DroneID-like burst with random data
 * gives) is given up within 4 iterations, and blocks near the waterfall that the CRC
 * accepts within 8 iterations (Eb/N0 0.3-1 dB) give the same result and the same
 * iteration count with it on as off. */
static void test_give_up(void **st)
{
    (void)st;
    sg_errinfo e;
    turbo_codec *q = turbo_create(K, 43, 88, &e);
    assert_non_null(q);
    assert_int_equal(turbo_set_give_up(NULL, true), SG_EINVAL);
    uint8_t u[K], d[3][D], out[K];
    static float l[3][D];
    /* hopeless: random bits on every stream, 10 dB per bit */
    for (int blk = 0; blk < 10; blk++) {
        for (int s = 0; s < 3; s++)
            for (int i = 0; i < D; i++)
                l[s][i] = (float)(((rnd() & 1) ? -1.0 : 1.0) + 0.3 * gauss()) * 20.0f;
        uint8_t other[K];
        memset(other, 2, K);
        chk_t c = {other};
        int it = 0;
        assert_int_equal(turbo_set_give_up(q, false), SG_OK);
        assert_int_equal(turbo_decode(q, l[0], l[1], l[2], 8, check_equal, &c, out, &it), SG_ECRC);
        assert_int_equal(it, 8);
        assert_int_equal(turbo_set_give_up(q, true), SG_OK);
        assert_int_equal(turbo_decode(q, l[0], l[1], l[2], 8, check_equal, &c, out, &it), SG_ECRC);
        assert_true(it >= 3 && it <= 4);
        /* without a check it never gives up (no way to tell success) */
        assert_int_equal(turbo_decode(q, l[0], l[1], l[2], 8, NULL, NULL, out, &it), SG_OK);
        assert_int_equal(it, 8);
    }
    /* decodable blocks: the same outcome with and without */
    const double ebn0_db[] = {0.3, 0.5, 0.7, 1.0};
    int ok = 0, slow = 0;
    for (size_t c = 0; c < sizeof ebn0_db / sizeof ebn0_db[0]; c++)
        for (int blk = 0; blk < 12; blk++) {
            for (int i = 0; i < K; i++)
                u[i] = rnd() & 1;
            turbo_encode(q, u, d[0], d[1], d[2]);
            double R = (double)K / (3 * D), sigma = sqrt(1 / (2 * R * pow(10, ebn0_db[c] / 10)));
            for (int s = 0; s < 3; s++)
                for (int i = 0; i < D; i++)
                    l[s][i] = (float)(2 * ((d[s][i] ? -1.0 : 1.0) + sigma * gauss()) /
                                      (sigma * sigma));
            chk_t ch = {u};
            int it[2], rc[2];
            for (int v = 0; v < 2; v++) {
                assert_int_equal(turbo_set_give_up(q, v == 1), SG_OK);
                rc[v] = turbo_decode(q, l[0], l[1], l[2], 8, check_equal, &ch, out, &it[v]);
            }
            if (rc[0] == SG_OK) {
                ok++;
                slow += it[0] >= 4;
                if (rc[1] != SG_OK || it[1] != it[0])
                    fail_msg("Eb/N0 %g dB block %d: decoded in %d iterations without the early "
                             "stop, rc %d after %d with it", ebn0_db[c], blk, it[0], rc[1], it[1]);
            }
        }
    printf("turbo give-up: %d decodable blocks (%d needing 4 or more iterations) unchanged\n", ok,
           slow);
    assert_true(ok >= 30 && slow >= 3);
    turbo_destroy(q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc_known_answers),
        cmocka_unit_test(test_create_invalid),
        cmocka_unit_test(test_rate_match_layout),
        cmocka_unit_test(test_encoder_properties),
        cmocka_unit_test(test_decode_awgn),
        cmocka_unit_test(test_simd_same_bits),
        cmocka_unit_test(test_give_up),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
