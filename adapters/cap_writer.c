/* pcap / pcapng writer (see cap_writer.h). Block layouts: pcap file header and record
 * header (tcpdump.org "pcap" format), pcapng Section Header, Interface Description
 * and Enhanced Packet Blocks (pcapng draft), 32-bit aligned with zero padding. */
#include "cap_writer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SNAPLEN 65535u

struct cap_writer {
    FILE *f;
    bool pcapng;
    bool own;          /* close f (not stdout) */
    bool failed;
    char path[256];
};

static void put32(cap_writer *w, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    if (fwrite(b, 1, 4, w->f) != 4)
        w->failed = true;
}

static void put16(cap_writer *w, uint16_t v)
{
    uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    if (fwrite(b, 1, 2, w->f) != 2)
        w->failed = true;
}

static void put_bytes(cap_writer *w, const uint8_t *d, size_t n)
{
    static const uint8_t zero[4];
    if (n && fwrite(d, 1, n, w->f) != n)
        w->failed = true;
    if (w->pcapng && (n & 3) && fwrite(zero, 1, 4 - (n & 3), w->f) != 4 - (n & 3))
        w->failed = true;
}

cap_writer *cap_writer_open(const char *path, int linktype, bool pcapng, sg_errinfo *e)
{
    if (!path || linktype < 0 || linktype > 65535) {
        sg_err_set(e, SG_EINVAL, "cap_writer: need a path and a link type 0..65535");
        return NULL;
    }
    cap_writer *w = calloc(1, sizeof *w);
    if (!w) {
        sg_err_set(e, SG_ENOMEM, "%s: out of memory", path);
        return NULL;
    }
    snprintf(w->path, sizeof w->path, "%s", path);
    w->pcapng = pcapng;
    w->own = strcmp(path, "-") != 0;
    w->f = w->own ? fopen(path, "wb") : stdout;
    if (!w->f) {
        sg_err_set(e, SG_EIO, "%s: cannot create capture file", path);
        free(w);
        return NULL;
    }
    if (!pcapng) {
        put32(w, 0xA1B2C3D4u);
        put16(w, 2);
        put16(w, 4);
        put32(w, 0);
        put32(w, 0);
        put32(w, SNAPLEN);
        put32(w, (uint32_t)linktype);
    } else {
        put32(w, 0x0A0D0D0Au); /* section header block */
        put32(w, 28);
        put32(w, 0x1A2B3C4Du);
        put16(w, 1);
        put16(w, 0);
        put32(w, 0xFFFFFFFFu); /* section length unknown */
        put32(w, 0xFFFFFFFFu);
        put32(w, 28);
        put32(w, 1);           /* interface description block */
        put32(w, 20);
        put16(w, (uint16_t)linktype);
        put16(w, 0);
        put32(w, SNAPLEN);
        put32(w, 20);          /* default time resolution: microseconds */
    }
    if (w->failed) {
        sg_err_set(e, SG_EIO, "%s: cannot write the file header", path);
        cap_writer_close(w, NULL);
        return NULL;
    }
    return w;
}

int cap_writer_write(cap_writer *w, double t, const uint8_t *rec, size_t len, sg_errinfo *e)
{
    if (!w || (!rec && len) || !(t >= 0.0) || !isfinite(t) || len > SNAPLEN)
        return sg_err_set(e, SG_EINVAL, "cap_writer: bad record (time %g, %zu bytes)", t, len);
    uint64_t us = (uint64_t)llround(t * 1e6);
    if (!w->pcapng) {
        put32(w, (uint32_t)(us / 1000000u));
        put32(w, (uint32_t)(us % 1000000u));
        put32(w, (uint32_t)len);
        put32(w, (uint32_t)len);
        put_bytes(w, rec, len);
    } else {
        uint32_t total = 32 + (uint32_t)((len + 3) & ~(size_t)3);
        put32(w, 6); /* enhanced packet block */
        put32(w, total);
        put32(w, 0); /* interface 0 */
        put32(w, (uint32_t)(us >> 32));
        put32(w, (uint32_t)us);
        put32(w, (uint32_t)len);
        put32(w, (uint32_t)len);
        put_bytes(w, rec, len);
        put32(w, total);
    }
    if (w->failed)
        return sg_err_set(e, SG_EIO, "%s: write failed", w->path);
    return SG_OK;
}

int cap_writer_close(cap_writer *w, sg_errinfo *e)
{
    if (!w)
        return SG_OK;
    bool bad = w->failed || fflush(w->f) != 0;
    if (w->own && fclose(w->f) != 0)
        bad = true;
    char path[sizeof w->path];
    memcpy(path, w->path, sizeof path);
    free(w);
    return bad ? sg_err_set(e, SG_EIO, "%s: could not write the capture", path) : SG_OK;
}
