/* Remote ID authentication (dsp/odid_auth.c): Ed25519 against the RFC 8032 test
 * vector 1 through our verifier path; a registry anchor endorses an aircraft with a
 * DRIP Link, the aircraft signs a DRIP Wrapper; the pages travel through encode ->
 * decode -> odid_table (any order) and the aircraft's state becomes verified; a flipped
 * byte, an expired validity, another DET than the Basic ID session ID give failed; an
 * unknown signer, auth types 1..4 and non-DRIP SAM types give unverified; no auth is
 * unsigned. DETs (RFC 9374): the HID layout of the RFC's example (RAA 10, HDA 20), a
 * published DET / key pair of an independent implementation, and a DET that is not the
 * hash of its key failing as signer, as endorsed key and in a trust file. Trust files:
 * good, malformed lines named, missing file. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <sodium.h>

#include "odid.h"
#include "odid_auth.h"

#define T0 (ODID_EPOCH_2019 + 200000000.0) /* s UTC of the test flight */

static void keypair(uint8_t seed_byte, uint8_t pk[32], uint8_t sk[64])
{
    uint8_t seed[32];
    memset(seed, seed_byte, sizeof seed);
    assert_int_equal(crypto_sign_seed_keypair(pk, sk, seed), 0);
}

/* the RFC 9374 DET of a key, under a test RAA / HDA */
static void det_of(const uint8_t pk[32], uint8_t det[16])
{
    assert_int_equal(odid_det_make(1000, 2000, pk, det), 0);
    assert_int_equal(odid_det_check(det, pk), 0);
}

/* Feeds auth data as pages through the codec and the table, page 0 first (or last:
 * the first set of an aircraft may arrive in any order). */
static odid_aircraft *feed_pages(odid_table *tb, const uint8_t mac[6], uint8_t auth_type,
                                 const uint8_t *data, size_t len, double t, bool reverse)
{
    odid_message pages[ODID_AUTH_MAX_PAGES];
    int n;
    assert_int_equal(odid_auth_paginate(auth_type, t, data, len, pages, ODID_AUTH_MAX_PAGES, &n),
                     0);
    odid_aircraft *a = NULL;
    for (int k = 0; k < n; k++) {
        int p = reverse ? n - 1 - k : k;
        uint8_t b[ODID_MSG_SIZE];
        odid_message d;
        assert_int_equal(odid_encode_message(&pages[p], b), 0);
        assert_int_equal(odid_decode_message(b, sizeof b, &d), 0);
        assert_int_equal(d.warnings, 0);
        assert_int_equal(odid_table_update(tb, mac, &d, t, NAN, &a), 0);
    }
    assert_int_equal(a->auth_len, len);
    assert_memory_equal(a->auth_data, data, len);
    return a;
}

static odid_aircraft *feed_auth(odid_table *tb, const uint8_t mac[6], uint8_t auth_type,
                                const uint8_t *data, size_t len, double t)
{
    return feed_pages(tb, mac, auth_type, data, len, t, false);
}

static void test_rfc8032_vector(void **state)
{
    (void)state;
    /* RFC 8032 section 7.1, TEST 1: empty message */
    static const char *pk_hex = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
    static const char *sig_hex =
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e3970"
        "1cf9b46bd25bf5f0595bbe24655141438e7a100b";
    uint8_t pk[32], sig[64];
    for (int i = 0; i < 32; i++)
        sscanf(pk_hex + 2 * i, "%2hhx", &pk[i]);
    for (int i = 0; i < 64; i++)
        sscanf(sig_hex + 2 * i, "%2hhx", &sig[i]);
    sg_errinfo e;
    odid_trust *t = odid_trust_create(4, &e); /* initialises libsodium */
    assert_non_null(t);
    assert_int_equal(crypto_sign_verify_detached(sig, (const uint8_t *)"", 0, pk), 0);
    sig[10] ^= 1;
    assert_int_not_equal(crypto_sign_verify_detached(sig, (const uint8_t *)"", 0, pk), 0);
    odid_trust_destroy(t);
}

static void test_drip_chain(void **state)
{
    (void)state;
    sg_errinfo e;
    odid_trust *trust = odid_trust_create(8, &e);
    assert_non_null(trust);
    uint8_t reg_pk[32], reg_sk[64], ua_pk[32], ua_sk[64], reg_det[16], ua_det[16];
    keypair(1, reg_pk, reg_sk);
    keypair(2, ua_pk, ua_sk);
    det_of(reg_pk, reg_det);
    det_of(ua_pk, ua_det);
    assert_int_equal(odid_trust_add(trust, reg_det, reg_pk, true), 0);
    odid_table *tb = odid_table_create(8, 60, &e);
    assert_non_null(tb);
    odid_table_set_trust(tb, trust);
    const uint8_t mac[6] = {1, 2, 3, 4, 5, 6};

    /* the aircraft announces its DET as a DRIP session ID (session ID type 1) */
    odid_message m;
    odid_message_init(&m, ODID_MT_BASIC_ID);
    m.u.basic_id.id_type = ODID_IDT_SESSION;
    char hex[41] = "01";
    for (int i = 0; i < 16; i++)
        snprintf(hex + 2 + 2 * i, 3, "%02x", ua_det[i]);
    strcpy(m.u.basic_id.uas_id, hex);
    uint8_t b[ODID_MSG_SIZE];
    odid_message d;
    assert_int_equal(odid_encode_message(&m, b), 0);
    assert_int_equal(odid_decode_message(b, sizeof b, &d), 0);
    odid_aircraft *a;
    assert_int_equal(odid_table_update(tb, mac, &d, T0, NAN, &a), 0);
    assert_int_equal(a->auth_state, SG_RID_AUTH_UNSIGNED);

    /* a Wrapper before the Link: the signer is unknown yet */
    odid_message loc;
    odid_message_init(&loc, ODID_MT_LOCATION);
    loc.u.location.lat_deg = 52.1;
    loc.u.location.lon_deg = 4.3;
    uint8_t wrapped[ODID_MSG_SIZE], wr[ODID_AUTH_DATA_MAX], link[ODID_AUTH_DATA_MAX];
    size_t wl, ll;
    assert_int_equal(odid_encode_message(&loc, wrapped), 0);
    assert_int_equal(odid_drip_sign(ODID_SAM_DRIP_WRAPPER, T0 - 10, T0 + 300, wrapped,
                                    sizeof wrapped, ua_det, ua_sk, wr, sizeof wr, &wl), 0);
    a = feed_pages(tb, mac, ODID_AUTH_TYPE_SAM, wr, wl, T0 + 1, true);
    assert_int_equal(a->auth_state, SG_RID_AUTH_UNVERIFIED);
    odid_auth_verdict v;
    assert_int_equal(odid_auth_verify(trust, a, T0 + 1, &v), SG_RID_AUTH_UNVERIFIED);
    assert_non_null(strstr(v.reason, "no key"));

    /* the registry's DRIP Link teaches the aircraft's key */
    uint8_t ev[48];
    memcpy(ev, ua_det, 16);
    memcpy(ev + 16, ua_pk, 32);
    assert_int_equal(odid_drip_sign(ODID_SAM_DRIP_LINK, T0 - 86400, T0 + 86400, ev, sizeof ev,
                                    reg_det, reg_sk, link, sizeof link, &ll), 0);
    a = feed_auth(tb, mac, ODID_AUTH_TYPE_SAM, link, ll, T0 + 2);
    assert_int_equal(a->auth_state, SG_RID_AUTH_VERIFIED);
    assert_int_equal(odid_trust_count(trust), 2);
    bool anchor = true;
    assert_non_null(odid_trust_find(trust, ua_det, &anchor));
    assert_false(anchor); /* learned keys do not endorse */

    /* now the Wrapper verifies; the state reaches the measurement */
    a = feed_auth(tb, mac, ODID_AUTH_TYPE_SAM, wr, wl, T0 + 3);
    assert_int_equal(a->auth_state, SG_RID_AUTH_VERIFIED);
    assert_int_equal(odid_table_update(tb, mac, &loc, T0 + 3, NAN, &a), 0);
    sg_measurement z;
    assert_int_equal(odid_to_measurement(a, 0, &z), 0);
    assert_int_equal(z.rid.auth, SG_RID_AUTH_VERIFIED);
    assert_int_equal(z.rid.auth_type, ODID_AUTH_TYPE_SAM);

    /* tampering: any flipped byte of the signed part or the signature fails */
    for (size_t k = 1; k < wl; k += 7) {
        uint8_t bad[ODID_AUTH_DATA_MAX];
        memcpy(bad, wr, wl);
        bad[k] ^= 0x20;
        a = feed_auth(tb, mac, ODID_AUTH_TYPE_SAM, bad, wl, T0 + 4 + k);
        int want = (k >= wl - 80 && k < wl - 64) ? SG_RID_AUTH_UNVERIFIED /* another DET */
                                                  : SG_RID_AUTH_FAILED;
        if (a->auth_state != want)
            fail_msg("byte %zu flipped: state %d, expected %d", k, a->auth_state, want);
    }
    /* received after its validity */
    a = feed_auth(tb, mac, ODID_AUTH_TYPE_SAM, wr, wl, T0 + 301);
    assert_int_equal(a->auth_state, SG_RID_AUTH_FAILED);
    assert_int_equal(odid_auth_verify(trust, a, T0 + 301, &v), SG_RID_AUTH_FAILED);
    assert_non_null(strstr(v.reason, "validity"));
    /* signed by a known key, but not the DET this aircraft claims */
    const uint8_t mac2[6] = {9, 9, 9, 9, 9, 9};
    d.u.basic_id.raw[3] ^= 1; /* another DRIP session ID (the decoded Basic ID, raw bytes) */
    assert_int_equal(odid_table_update(tb, mac2, &d, T0 + 5, NAN, &a), 0);
    a = feed_auth(tb, mac2, ODID_AUTH_TYPE_SAM, wr, wl, T0 + 5);
    assert_int_equal(a->auth_state, SG_RID_AUTH_FAILED);
    /* methods the standard leaves open: unverified, never verified */
    a = feed_auth(tb, mac2, 1, wr, wl, T0 + 6);
    assert_int_equal(a->auth_state, SG_RID_AUTH_UNVERIFIED);
    uint8_t other[ODID_AUTH_DATA_MAX];
    memcpy(other, wr, wl);
    other[0] = 0x80; /* private SAM type */
    a = feed_auth(tb, mac2, ODID_AUTH_TYPE_SAM, other, wl, T0 + 7);
    assert_int_equal(a->auth_state, SG_RID_AUTH_UNVERIFIED);
    /* shorter than the fixed DRIP fields */
    a = feed_auth(tb, mac2, ODID_AUTH_TYPE_SAM, wr, ODID_DRIP_MIN - 1, T0 + 8);
    assert_int_equal(a->auth_state, SG_RID_AUTH_FAILED);
    /* no table trust: signed stays unverified */
    odid_table_set_trust(tb, NULL);
    a = feed_auth(tb, mac, ODID_AUTH_TYPE_SAM, wr, wl, T0 + 9);
    assert_int_equal(a->auth_state, SG_RID_AUTH_UNVERIFIED);
    /* signer rejects */
    assert_int_equal(odid_drip_sign(9, T0, T0, NULL, 0, ua_det, ua_sk, wr, sizeof wr, &wl),
                     SG_EINVAL);
    assert_int_equal(odid_drip_sign(2, T0, T0 - 1, NULL, 0, ua_det, ua_sk, wr, sizeof wr, &wl),
                     SG_EINVAL);
    assert_int_equal(odid_drip_sign(2, T0, T0, wr, 200, ua_det, ua_sk, wr, sizeof wr, &wl),
                     SG_EINVAL);
    assert_int_equal(odid_drip_sign(2, T0, T0, NULL, 0, ua_det, ua_sk, wr, 20, &wl),
                     SG_EOVERFLOW);
    odid_table_destroy(tb);
    odid_trust_destroy(trust);
}

static void unhex(const char *h, uint8_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        assert_int_equal(sscanf(h + 2 * i, "%2x", &v), 1);
        out[i] = (uint8_t)v;
    }
}

static void test_det(void **state)
{
    (void)state;
    uint8_t pk[32], sk[64], det[16], want[16];
    keypair(3, pk, sk);
    /* RFC 9374 appendix B.1: RAA 10, HDA 20 -> 2001:0030:0280:1405 (then the hash) */
    assert_int_equal(odid_det_make(10, 20, pk, det), 0);
    unhex("2001003002801405", want, 8);
    assert_memory_equal(det, want, 8);
    assert_int_equal(odid_det_check(det, pk), 0);
    /* a DET / Ed25519 key pair published in an independent DRIP implementation's
     * identity table (its HID: RAA 255, HDA 14340) */
    unhex("a6278b299968fee58bbd7f57571c2118d0d3245d302cdb07f2c6735807958b8f", pk, 32);
    unhex("200100303ff80405a5c751d17b8c6526", want, 16);
    assert_int_equal(odid_det_make(255, 14340, pk, det), 0);
    assert_memory_equal(det, want, 16);
    assert_int_equal(odid_det_check(want, pk), 0);
    /* any changed bit of the key or of the hash: not its DET */
    for (int i = 0; i < 32 * 8; i += 13) {
        uint8_t k2[32];
        memcpy(k2, pk, 32);
        k2[i / 8] ^= (uint8_t)(1u << (i % 8));
        assert_int_equal(odid_det_check(want, k2), SG_EAUTH);
    }
    want[15] ^= 1;
    assert_int_equal(odid_det_check(want, pk), SG_EAUTH);
    /* other prefixes and suites: nothing to check */
    want[7] = 8;
    assert_int_equal(odid_det_check(want, pk), SG_ENOTSUP);
    want[7] = 5;
    want[3] = 0x20; /* 2001:20::/28, a HIT */
    assert_int_equal(odid_det_check(want, pk), SG_ENOTSUP);
    assert_int_equal(odid_det_make(16384, 0, pk, det), SG_EINVAL);
    assert_int_equal(odid_det_make(0, 16384, pk, det), SG_EINVAL);

    /* a DET that is not the hash of its key: as signer, as endorsed key, in a file */
    sg_errinfo e;
    odid_trust *trust = odid_trust_create(8, &e);
    uint8_t reg_pk[32], reg_sk[64], reg_det[16], ua_pk[32], ua_sk[64], ua_det[16];
    keypair(4, reg_pk, reg_sk);
    keypair(5, ua_pk, ua_sk);
    det_of(reg_pk, reg_det);
    det_of(ua_pk, ua_det);
    uint8_t bad_det[16];
    memcpy(bad_det, ua_det, 16);
    bad_det[9] ^= 0x40;
    assert_int_equal(odid_trust_add(trust, reg_det, reg_pk, true), 0);
    assert_int_equal(odid_trust_add(trust, bad_det, ua_pk, false), 0); /* forced in */
    odid_table *tb = odid_table_create(8, 60, &e);
    odid_table_set_trust(tb, trust);
    uint8_t ev[48], d[ODID_AUTH_DATA_MAX];
    size_t n;
    memcpy(ev, bad_det, 16);
    memcpy(ev + 16, ua_pk, 32);
    assert_int_equal(odid_drip_sign(ODID_SAM_DRIP_LINK, T0 - 10, T0 + 10, ev, 48, reg_det,
                                    reg_sk, d, sizeof d, &n), 0);
    const uint8_t mac[6] = {7, 7, 7, 7, 7, 7};
    odid_aircraft *a = feed_auth(tb, mac, ODID_AUTH_TYPE_SAM, d, n, T0);
    assert_int_equal(a->auth_state, SG_RID_AUTH_FAILED);
    odid_auth_verdict v;
    assert_int_equal(odid_auth_verify(trust, a, T0, &v), SG_RID_AUTH_FAILED);
    assert_non_null(strstr(v.reason, "endorsed DET is not the hash"));
    assert_int_equal(odid_drip_sign(ODID_SAM_DRIP_WRAPPER, T0 - 10, T0 + 10, NULL, 0, bad_det,
                                    ua_sk, d, sizeof d, &n), 0);
    a = feed_auth(tb, mac, ODID_AUTH_TYPE_SAM, d, n, T0 + 1);
    assert_int_equal(odid_auth_verify(trust, a, T0 + 1, &v), SG_RID_AUTH_FAILED);
    assert_non_null(strstr(v.reason, "signer's DET is not the hash"));
    /* a Link endorsing a DET of another suite verifies but teaches nothing */
    memcpy(ev, ua_det, 16);
    ev[7] = 9;
    assert_int_equal(odid_drip_sign(ODID_SAM_DRIP_LINK, T0 - 10, T0 + 10, ev, 48, reg_det,
                                    reg_sk, d, sizeof d, &n), 0);
    int before = odid_trust_count(trust);
    a = feed_auth(tb, mac, ODID_AUTH_TYPE_SAM, d, n, T0 + 2);
    assert_int_equal(a->auth_state, SG_RID_AUTH_VERIFIED);
    assert_int_equal(odid_trust_count(trust), before);
    odid_table_destroy(tb);
    odid_trust_destroy(trust);

    const char *path = SG_BINARY_DIR "/test_odid_auth_det.keys";
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "# a mismatched registry key\n");
    for (int i = 0; i < 16; i++)
        fprintf(f, "%02x", bad_det[i]);
    fputc(' ', f);
    for (int i = 0; i < 32; i++)
        fprintf(f, "%02x", ua_pk[i]);
    fputc('\n', f);
    fclose(f);
    trust = odid_trust_create(2, &e);
    assert_int_equal(odid_trust_load(trust, path, &e), SG_EFORMAT);
    assert_non_null(strstr(e.msg, ":2: the DET is not the hash of the key"));
    odid_trust_destroy(trust);
}

static void test_trust_file(void **state)
{
    (void)state;
    const char *path = SG_BINARY_DIR "/test_odid_auth.keys";
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "# registry keys\n\n2001003c0000000000000000000000aa "
               "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a\n");
    fclose(f);
    sg_errinfo e = {0};
    odid_trust *t = odid_trust_create(2, &e);
    assert_non_null(t);
    assert_int_equal(odid_trust_load(t, path, &e), 0);
    assert_int_equal(odid_trust_count(t), 1);
    f = fopen(path, "a");
    fprintf(f, "2001003c00000000000000000000 d75a98\n");
    fclose(f);
    assert_int_equal(odid_trust_load(t, path, &e), SG_EFORMAT);
    assert_non_null(strstr(e.msg, ":4:"));
    assert_int_equal(odid_trust_load(t, SG_BINARY_DIR "/no-such.keys", &e), SG_EIO);
    /* writable by others: anyone could add a key */
    assert_int_equal(chmod(path, 0666), 0);
    assert_int_equal(odid_trust_load(t, path, &e), SG_EAUTH);
    assert_non_null(strstr(e.msg, "writable by group/others"));
    assert_int_equal(chmod(path, 0644), 0);
    assert_null(odid_trust_create(0, &e));
    assert_int_equal(e.code, SG_EINVAL);
    odid_trust_destroy(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc8032_vector),
        cmocka_unit_test(test_drip_chain),
        cmocka_unit_test(test_det),
        cmocka_unit_test(test_trust_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
