/* Keccak-f[1600] sponge, SHA3-256, SHAKE128, cSHAKE128 (see sg_keccak.h), written
 * from FIPS 202 (steps theta, rho, pi, chi, iota; pad10*1; domain suffixes 01 for
 * SHA-3, 1111 for SHAKE, 00 for cSHAKE) and SP 800-185 (left_encode, encode_string,
 * bytepad). */
#include "sg_keccak.h"

#include <string.h>

static const uint64_t RC[24] = {
    0x0000000000000001ull, 0x0000000000008082ull, 0x800000000000808Aull, 0x8000000080008000ull,
    0x000000000000808Bull, 0x0000000080000001ull, 0x8000000080008081ull, 0x8000000000008009ull,
    0x000000000000008Aull, 0x0000000000000088ull, 0x0000000080008009ull, 0x000000008000000Aull,
    0x000000008000808Bull, 0x800000000000008Bull, 0x8000000000008089ull, 0x8000000000008003ull,
    0x8000000000008002ull, 0x8000000000000080ull, 0x000000000000800Aull, 0x800000008000000Aull,
    0x8000000080008081ull, 0x8000000000008080ull, 0x0000000080000001ull, 0x8000000080008008ull};

static uint64_t rol(uint64_t x, unsigned n) { return n ? (x << n) | (x >> (64 - n)) : x; }

void sg_keccak_f1600(uint64_t a[25])
{
    /* rotation offsets r[x + 5y] (FIPS 202 table 2) */
    static const unsigned r[25] = {0,  1,  62, 28, 27, 36, 44, 6,  55, 20, 3,  10, 43,
                                   25, 39, 41, 45, 15, 21, 8,  18, 2,  61, 56, 14};
    for (int round = 0; round < 24; round++) {
        uint64_t c[5], b[25];
        for (int x = 0; x < 5; x++)
            c[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20];
        for (int x = 0; x < 5; x++) {
            uint64_t d = c[(x + 4) % 5] ^ rol(c[(x + 1) % 5], 1);
            for (int y = 0; y < 25; y += 5)
                a[x + y] ^= d;
        }
        /* rho and pi: B[y, 2x + 3y] = rot(A[x, y], r[x, y]) */
        for (int x = 0; x < 5; x++)
            for (int y = 0; y < 5; y++)
                b[y + 5 * ((2 * x + 3 * y) % 5)] = rol(a[x + 5 * y], r[x + 5 * y]);
        for (int y = 0; y < 25; y += 5)
            for (int x = 0; x < 5; x++)
                a[x + y] = b[x + y] ^ (~b[(x + 1) % 5 + y] & b[(x + 2) % 5 + y]);
        a[0] ^= RC[round];
    }
}

typedef struct {
    uint64_t st[25];
    size_t rate;  /* bytes */
    size_t pos;   /* bytes absorbed into the current block */
} sponge;

static void sp_init(sponge *s, size_t rate)
{
    memset(s, 0, sizeof *s);
    s->rate = rate;
}

static void sp_byte(sponge *s, uint8_t v)
{
    s->st[s->pos / 8] ^= (uint64_t)v << (8 * (s->pos % 8));
    if (++s->pos == s->rate) {
        sg_keccak_f1600(s->st);
        s->pos = 0;
    }
}

static void sp_absorb(sponge *s, const uint8_t *in, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sp_byte(s, in[i]);
}

/* suffix: the domain bits followed by the first padding bit (SHA-3 0x06, SHAKE 0x1F,
 * cSHAKE 0x04), then pad10*1 ends the block with its last bit; then squeeze. */
static void sp_finish(sponge *s, uint8_t suffix, uint8_t *out, size_t outlen)
{
    s->st[s->pos / 8] ^= (uint64_t)suffix << (8 * (s->pos % 8));
    s->st[(s->rate - 1) / 8] ^= 0x80ull << (8 * ((s->rate - 1) % 8));
    sg_keccak_f1600(s->st);
    for (size_t i = 0, k = 0; i < outlen; i++, k++) {
        if (k == s->rate) {
            sg_keccak_f1600(s->st);
            k = 0;
        }
        out[i] = (uint8_t)(s->st[k / 8] >> (8 * (k % 8)));
    }
}

void sg_sha3_256(const uint8_t *in, size_t n, uint8_t out[32])
{
    sponge s;
    sp_init(&s, 136);
    sp_absorb(&s, in, n);
    sp_finish(&s, 0x06, out, 32);
}

void sg_shake128(const uint8_t *in, size_t n, uint8_t *out, size_t outlen)
{
    sponge s;
    sp_init(&s, 168);
    sp_absorb(&s, in, n);
    sp_finish(&s, 0x1F, out, outlen);
}

/* left_encode(x) of SP 800-185 2.3.1 into b (<= 9 bytes); returns its length. */
static size_t left_encode(uint64_t x, uint8_t b[9])
{
    size_t k = 1;
    while (k < 8 && (x >> (8 * k)))
        k++;
    b[0] = (uint8_t)k;
    for (size_t i = 0; i < k; i++)
        b[1 + i] = (uint8_t)(x >> (8 * (k - 1 - i)));
    return k + 1;
}

/* encode_string(S) = left_encode(bit length of S) || S, absorbed; returns bytes. */
static size_t absorb_string(sponge *s, const uint8_t *str, size_t n)
{
    uint8_t b[9];
    size_t k = left_encode((uint64_t)n * 8, b);
    sp_absorb(s, b, k);
    sp_absorb(s, str, n);
    return k + n;
}

void sg_cshake128(const uint8_t *in, size_t n, const uint8_t *name, size_t nn,
                  const uint8_t *cust, size_t ns, uint8_t *out, size_t outlen)
{
    if (nn == 0 && ns == 0) {
        sg_shake128(in, n, out, outlen);
        return;
    }
    sponge s;
    sp_init(&s, 168);
    /* bytepad(encode_string(N) || encode_string(S), 168) */
    uint8_t b[9];
    size_t k = left_encode(168, b), z;
    sp_absorb(&s, b, k);
    z = k + absorb_string(&s, name, nn) + absorb_string(&s, cust, ns);
    while (z % 168) {
        sp_byte(&s, 0);
        z++;
    }
    sp_absorb(&s, in, n);
    sp_finish(&s, 0x04, out, outlen);
}
