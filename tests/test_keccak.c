/* Keccak / SHA-3 / SHAKE128 / cSHAKE128 (common/sg_keccak.c) against published
 * vectors: FIPS 202 examples (SHA3-256 of "" and "abc", SHAKE128 of ""), the NIST
 * SP 800-185 cSHAKE128 samples #1 and #2; block-boundary inputs (rate - 1, rate) and a
 * multi-block input with a 200-byte output (longer than the rate) against Python's
 * hashlib (OpenSSL), an independent implementation; cSHAKE with N = S = "" is SHAKE. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sg_keccak.h"

static void unhex(const char *h, uint8_t *out, size_t n)
{
    assert_int_equal(strlen(h), 2 * n);
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        assert_int_equal(sscanf(h + 2 * i, "%2x", &v), 1);
        out[i] = (uint8_t)v;
    }
}

static void expect(const uint8_t *got, const char *hex)
{
    size_t n = strlen(hex) / 2;
    uint8_t want[256];
    assert_true(n <= sizeof want);
    unhex(hex, want, n);
    assert_memory_equal(got, want, n);
}

static void test_sha3_shake(void **state)
{
    (void)state;
    uint8_t o[256], m[500];
    sg_sha3_256(NULL, 0, o);
    expect(o, "a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a");
    sg_sha3_256((const uint8_t *)"abc", 3, o);
    expect(o, "3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532");
    sg_shake128(NULL, 0, o, 32);
    expect(o, "7f9c2ba4e88f827d616045507605853ed73b8093f6efbc88eb1a6eacfa66ef26");
    for (int i = 0; i < 500; i++)
        m[i] = (uint8_t)i; /* bytes 0..255, 0.. */
    /* one byte short of the rate and exactly the rate (padding in a block of its own) */
    sg_sha3_256(m, 135, o);
    expect(o, "fded8fd9d6551c601eeb3b7c6bc5e5cfd8aad1d015b7e9aaa9c9b9475231d5e2");
    sg_sha3_256(m, 136, o);
    expect(o, "cf3ccff92480a29160c2d38317c430e14749bfee1788106957dfe73f8c4930e5");
    sg_shake128(m, 167, o, 16);
    expect(o, "1e552791cc4e93a0d4a8dc47ae49228c");
    sg_shake128(m, 168, o, 16);
    expect(o, "f15277eb61c4908d44a2853f3cde071a");
    for (int i = 0; i < 500; i++)
        m[i] = (uint8_t)(i % 251);
    sg_shake128(m, 500, o, 200);
    expect(o, "ed9a5f1ed895f8f7cbad5bf512be2d884ffc10ee917ab8d4188b846b8063f5334c84b81305d237c1"
              "7be1f2149a09c0bc2a0cac85cfe50337b3294f6930db25188e851f6244c320546335d3562c793149"
              "4f2743574a07ab2477caa51ee40f1511104f584052d6080214a6af2fca28ba3a961821da68011c0e"
              "b0c8b8ebb50b3e8da4b400dd529a21803534a24049fa3cc9e1ae36883e35d85acca8e924ca8f5138"
              "4c557f9592c4a4c1328fa09141f75b7c66ea7a156f1507126c9a1e7b87ea46fcd112130c315791c9");
    /* a shorter output is a prefix of a longer one (an XOF) */
    uint8_t p[40];
    sg_shake128(m, 500, p, 40);
    assert_memory_equal(p, o, 40);
}

static void test_cshake128(void **state)
{
    (void)state;
    static const uint8_t s[] = "Email Signature";
    uint8_t x[200], o[64];
    for (int i = 0; i < 200; i++)
        x[i] = (uint8_t)i;
    /* SP 800-185 cSHAKE samples: #1 X = 00 01 02 03, #2 X = 00 .. C7; N = "", L = 256 */
    sg_cshake128(x, 4, NULL, 0, s, 15, o, 32);
    expect(o, "c1c36925b6409a04f1b504fcbca9d82b4017277cb5ed2b2065fc1d3814d5aaf5");
    sg_cshake128(x, 200, NULL, 0, s, 15, o, 32);
    expect(o, "c5221d50e4f822d96a2e8881a961420f294b7b24fe3d2094baed2c6524cc166b");
    /* N = S = "": SHAKE128 */
    uint8_t sh[32];
    sg_cshake128(x, 200, NULL, 0, NULL, 0, o, 32);
    sg_shake128(x, 200, sh, 32);
    assert_memory_equal(o, sh, 32);
    /* the function name and the customization are separated (not concatenated) */
    uint8_t a[32], b[32];
    sg_cshake128(x, 4, (const uint8_t *)"Email", 5, (const uint8_t *)" Signature", 10, a, 32);
    sg_cshake128(x, 4, NULL, 0, s, 15, b, 32);
    assert_memory_not_equal(a, b, 32);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha3_shake),
        cmocka_unit_test(test_cshake128),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
