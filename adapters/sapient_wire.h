/* SAPIENT framing shared by the output sink (sink_sapient_pbc.c), the input
 * (sapient_in_pbc.c) and their tests: a SapientMessage stamped with a time and written with
 * its 4-byte little-endian length prefix (BSI Flex 335 v2.0 over TCP). protobuf-c builds
 * only (SG_WITH_SAPIENT). Pure, thread-safe. */
#ifndef SG_SAPIENT_WIRE_H
#define SG_SAPIENT_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "sapient.pb-c.h"

/* Sets m->timestamp to *ts filled from now (s UTC; ts must outlive the call) and writes
 * the length prefix and the packed message into buf[cap]. Returns the bytes written, or 0
 * when the message does not fit. */
size_t sapient_frame(SapientMsg__BsiFlex335V20__SapientMessage *m,
                     SapientMsg__BsiFlex335V20__Timestamp *ts, double now, uint8_t *buf,
                     size_t cap);

#endif
