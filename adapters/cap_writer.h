/* Capture file writer: classic pcap (version 2.4, microsecond times) or pcapng (one
 * section, one interface, enhanced packet blocks), little-endian, any link type.
 * Used by tools/sg_blecap.c and tests to make Bluetooth captures in each link type;
 * needs no libpcap (libpcap's dumper writes classic pcap only). */
#ifndef CAP_WRITER_H
#define CAP_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sg_error.h"

typedef struct cap_writer cap_writer;

/* Creates path ("-" = stdout). linktype 0..65535. NULL + e on failure. */
cap_writer *cap_writer_open(const char *path, int linktype, bool pcapng, sg_errinfo *e);

/* Appends one record captured at t (s UTC, >= 0). SG_EINVAL (bad t, len > 65535),
 * SG_EIO (write failed; text in e). */
int cap_writer_write(cap_writer *w, double t, const uint8_t *rec, size_t len, sg_errinfo *e);

/* Flushes and closes (NULL ok). SG_EIO if the data could not be written. */
int cap_writer_close(cap_writer *w, sg_errinfo *e);

#endif
