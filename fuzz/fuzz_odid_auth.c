/* libFuzzer target: Remote ID authentication (dsp/odid_auth.c). The input is used two
 * ways: as a DRIP trust file (odid_trust_load through a memfd: every line parses into a
 * key or the load is refused with a message), and as authentication data joined from
 * pages into an aircraft and judged by odid_auth_verify against a store that knows the
 * DET at the position the data names, so the signature path runs on hostile bytes.
 * Properties: a verdict is one of the four states with a reason; only a verified DRIP
 * Link may add a key; nothing faults. */
#define _GNU_SOURCE
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "odid.h"
#include "odid_auth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fd = -1;
static char path[64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (fd < 0) {
        fd = memfd_create("sg_fuzz_trust", MFD_CLOEXEC);
        if (fd < 0)
            abort();
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    }
    sg_errinfo e = {0};
    odid_trust *t = odid_trust_create(8, &e);
    if (!t)
        abort();
    if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
        abort();
    int rc = odid_trust_load(t, path, &e);
    if (rc != SG_OK && !e.msg[0])
        abort();
    if (odid_trust_count(t) > 8)
        abort();
    /* the same bytes as authentication data of one set */
    size_t len = size > ODID_AUTH_DATA_MAX ? ODID_AUTH_DATA_MAX : size;
    if (len >= 1) {
        odid_message pages[ODID_AUTH_MAX_PAGES];
        int n = 0;
        if (odid_auth_paginate(ODID_AUTH_TYPE_SAM, ODID_EPOCH_2019 + 1e6, data, len, pages,
                               ODID_AUTH_MAX_PAGES, &n) != SG_OK)
            abort();
        odid_aircraft a;
        odid_aircraft_init(&a, NULL);
        for (int i = 0; i < n; i++)
            if (odid_aircraft_update(&a, &pages[i], 1.0) != SG_OK)
                abort();
        if (a.auth_len != len)
            abort();
        if (len >= ODID_DRIP_MIN) { /* make the signer known so the Ed25519 check runs */
            uint8_t key[ODID_ED25519_PK];
            memset(key, 0x42, sizeof key);
            odid_trust_add(t, data + len - ODID_ED25519_SIG - ODID_DET_LEN, key, true);
        }
        int before = odid_trust_count(t);
        odid_auth_verdict v;
        int st = odid_auth_verify(t, &a, ODID_EPOCH_2019 + 1e6, &v);
        if (st < SG_RID_AUTH_UNSIGNED || st > SG_RID_AUTH_FAILED || !v.reason ||
            (odid_trust_count(t) != before &&
             !(st == SG_RID_AUTH_VERIFIED && v.sam_type == ODID_SAM_DRIP_LINK)))
            abort();
    }
    odid_trust_destroy(t);
    return 0;
}
