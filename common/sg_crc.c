/* Bitwise CRC engine (see sg_crc.h): a left-shifting register for MSB-first CRCs
 * and a right-shifting one (reflected polynomial) for LSB-first CRCs, so that every
 * preset's init is quoted exactly as its reference implementation quotes it. */
#include "sg_crc.h"

const sg_crc_params SG_CRC24A = {24, 0x864CFBu, 0, false, false, 0};
const sg_crc_params SG_CRC16_DJI = {16, 0x1021u, 0x3692u, true, true, 0};
const sg_crc_params SG_CRC16_CCITT = {16, 0x1021u, 0xFFFFu, false, false, 0};
const sg_crc_params SG_CRC32 = {32, 0x04C11DB7u, 0xFFFFFFFFu, true, true, 0xFFFFFFFFu};

static uint32_t reflect(uint32_t v, int w)
{
    uint32_t r = 0;
    for (int i = 0; i < w; i++)
        if (v & (1u << i))
            r |= 1u << (w - 1 - i);
    return r;
}

static uint32_t mask_of(int w)
{
    return w >= 32 ? 0xFFFFFFFFu : (1u << w) - 1u;
}

static uint32_t step_msb(uint32_t reg, int bit, const sg_crc_params *p)
{
    uint32_t top = 1u << (p->width - 1);
    int fb = ((reg & top) ? 1 : 0) ^ (bit & 1);
    reg = (reg << 1) & mask_of(p->width);
    return fb ? reg ^ p->poly : reg;
}

uint32_t sg_crc(const sg_crc_params *p, const uint8_t *data, size_t n)
{
    uint32_t m = mask_of(p->width);
    uint32_t reg = p->init & m;
    if (p->refin) {
        uint32_t rpoly = reflect(p->poly, p->width);
        for (size_t i = 0; i < n; i++) {
            reg ^= data[i];
            for (int b = 0; b < 8; b++)
                reg = (reg & 1u) ? (reg >> 1) ^ rpoly : reg >> 1;
        }
    } else {
        for (size_t i = 0; i < n; i++)
            for (int b = 0; b < 8; b++)
                reg = step_msb(reg, (data[i] >> (7 - b)) & 1, p);
    }
    return (reg ^ p->xorout) & m;
}

uint32_t sg_crc_bits(const sg_crc_params *p, const uint8_t *bits, size_t nbits)
{
    if (p->refin)
        return 0;
    uint32_t reg = p->init & mask_of(p->width);
    for (size_t i = 0; i < nbits; i++)
        reg = step_msb(reg, bits[i], p);
    return (reg ^ p->xorout) & mask_of(p->width);
}
