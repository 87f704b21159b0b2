/* Cyclic redundancy checks used by the protocol decoders (DJI DroneID, Remote ID).
 *
 * One general bitwise engine described by the usual Rocksoft parameters (width, poly,
 * init, reflect in/out, xorout) plus named presets for the CRCs the project meets:
 *   - CRC-24A (3GPP 36.212): DroneID turbo block check;
 *   - CRC-16 "DJI" (poly 0x1021 reflected, init 0x3692): DroneID payload check;
 *   - CRC-16/CCITT-FALSE, CRC-32 (IEEE) for general use.
 * Throughput is not critical (frames are < 256 bytes), so there are no tables.
 * All functions are pure and thread-safe. */
#ifndef SG_CRC_H
#define SG_CRC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    int width;        /* bits, 1..32 */
    uint32_t poly;    /* generator without the top bit, normal (MSB-first) form */
    uint32_t init;    /* register before the first bit, in the engine's own orientation:
                         normal form when !refin, bit-reversed (right-shifting register,
                         as crcmod's rev=True takes it) when refin */
    bool refin;       /* bytes enter LSB first */
    bool refout;      /* must equal refin (all CRCs in use are symmetric) */
    uint32_t xorout;  /* XORed onto the final value */
} sg_crc_params;

extern const sg_crc_params SG_CRC24A;       /* 0x864CFB, init 0, MSB first (LTE) */
extern const sg_crc_params SG_CRC16_DJI;    /* 0x1021 reflected, init 0x3692 */
extern const sg_crc_params SG_CRC16_CCITT;  /* 0x1021, init 0xFFFF (CCITT-FALSE) */
extern const sg_crc_params SG_CRC32;        /* 0x04C11DB7 reflected, init/xorout ~0 */

/* CRC of n bytes. */
uint32_t sg_crc(const sg_crc_params *p, const uint8_t *data, size_t n);

/* CRC of nbits bits given one per byte (0/1, first bit first), as LTE specifies
 * CRCs over bit sequences. Only for !refin parameter sets (returns 0 otherwise). */
uint32_t sg_crc_bits(const sg_crc_params *p, const uint8_t *bits, size_t nbits);

#endif
