/* libFuzzer target: the node wire decoder (apps/node/node_wire.c), the code a fusion node
 * runs on every message a sensor node sends (after CURVE, so a compromised or buggy node
 * is the attacker), measurements with their Remote ID and DroneID details included.
 *
 * Beyond "no crash, no sanitizer report": a refusal always says why; an accepted
 * measurement has a finite time and geometry; an accepted event re-encodes to a message
 * that decodes again to the same kind and sensor, and never to more bytes than it came
 * in (the decoder never accepts what the encoder could not write). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    nw_header h, h2;
    sg_errinfo e = {0};
    if (nw_decode_header(data, size, &h, &e) != SG_OK) {
        if (!e.msg[0])
            abort();
        return 0;
    }
    uint8_t out[NW_MAX];
    int n = 0;
    if (h.kind == NW_PING || h.kind == NW_PONG) {
        nw_ping p;
        if (nw_decode_ping(data, size, &h, &p, &e) != SG_OK) {
            if (!e.msg[0])
                abort();
            return 0;
        }
        n = nw_encode_ping(out, sizeof out, &h, &p);
    } else if (h.kind == NW_CLOCK || h.kind == NW_ACK) {
        n = nw_encode_clock(out, sizeof out, &h);
    } else {
        nl_event ev;
        double wf;
        if (nw_decode_event(data, size, &h, &ev, &wf, &e) != SG_OK) {
            if (!e.msg[0])
                abort();
            return 0;
        }
        if (ev.kind == NL_MEAS) {
            bool ok = isfinite(ev.m.t);
            for (int i = 0; i < sg_meas_dim(ev.m.type); i++)
                ok = ok && isfinite(ev.m.z[i]);
            if (!ok)
                abort();
        }
        n = nw_encode_event(out, sizeof out, &h, &ev, wf);
        if (n > 0) { /* the re-encoding decodes again, to the same kind and sensor */
            nl_event ev2;
            if (nw_decode_header(out, (size_t)n, &h2, &e) != SG_OK ||
                nw_decode_event(out, (size_t)n, &h2, &ev2, &wf, &e) != SG_OK ||
                ev2.kind != ev.kind || ev2.sensor != ev.sensor) {
                fprintf(stderr, "re-encoded message refused: %s\n", e.msg);
                abort();
            }
        }
    }
    /* (a sender may set optional blocks it need not, or pad varints: never longer) */
    if (n < 0 || n > (int)size) {
        fprintf(stderr, "accepted %zu bytes, re-encoded to %d\n", size, n);
        abort();
    }
    return 0;
}
