/* DRIP authentication of Remote ID with Ed25519 (see odid_auth.h). */
#include "odid_auth.h"

#include "sg_keccak.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "sg_bytes.h"

typedef struct {
    uint8_t det[ODID_DET_LEN];
    uint8_t key[ODID_ED25519_PK];
    bool anchor;
} trust_entry;

struct odid_trust {
    trust_entry *e;
    int n, cap;
};

odid_trust *odid_trust_create(int cap, sg_errinfo *e)
{
    if (cap < 1 || cap > 4096) {
        sg_err_set(e, SG_EINVAL, "odid_trust: cap must be in [1, 4096], got %d", cap);
        return NULL;
    }
    if (sodium_init() < 0) {
        sg_err_set(e, SG_ENOTSUP, "odid_trust: libsodium could not be initialised");
        return NULL;
    }
    odid_trust *t = calloc(1, sizeof *t);
    if (t)
        t->e = calloc((size_t)cap, sizeof *t->e);
    if (!t || !t->e) {
        odid_trust_destroy(t);
        sg_err_set(e, SG_ENOMEM, "odid_trust: out of memory for %d keys", cap);
        return NULL;
    }
    t->cap = cap;
    return t;
}

void odid_trust_destroy(odid_trust *t)
{
    if (!t)
        return;
    free(t->e);
    free(t);
}

static trust_entry *find(const odid_trust *t, const uint8_t *det)
{
    for (int i = 0; i < t->n; i++)
        if (!memcmp(t->e[i].det, det, ODID_DET_LEN))
            return &t->e[i];
    return NULL;
}

int odid_trust_add(odid_trust *t, const uint8_t det[ODID_DET_LEN],
                   const uint8_t key[ODID_ED25519_PK], bool anchor)
{
    if (!t || !det || !key)
        return SG_EINVAL;
    trust_entry *x = find(t, det);
    if (!x) {
        if (t->n >= t->cap)
            return SG_EOVERFLOW;
        x = &t->e[t->n++];
        memcpy(x->det, det, ODID_DET_LEN);
    }
    memcpy(x->key, key, ODID_ED25519_PK);
    x->anchor = anchor;
    return SG_OK;
}

const uint8_t *odid_trust_find(const odid_trust *t, const uint8_t det[ODID_DET_LEN], bool *anchor)
{
    const trust_entry *x = t && det ? find(t, det) : NULL;
    if (anchor)
        *anchor = x && x->anchor;
    return x ? x->key : NULL;
}

int odid_trust_count(const odid_trust *t) { return t ? t->n : 0; }

static int hex_field(const char *s, size_t n, uint8_t *out)
{
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        if (sscanf(s + 2 * i, "%2x", &v) != 1)
            return -1;
        out[i] = (uint8_t)v;
    }
    return 0;
}

static const uint8_t DET_CONTEXT[16] = {0x00, 0xB5, 0xA6, 0x9C, 0x79, 0x5D, 0xF5, 0xD5,
                                        0xF0, 0x08, 0x7F, 0x56, 0x84, 0x3F, 0x2C, 0x40};

/* hash (last 64 bits) of the DET whose first 64 bits are hid64, for key */
static void det_hash(const uint8_t hid64[8], const uint8_t key[ODID_ED25519_PK], uint8_t h[8])
{
    uint8_t in[8 + ODID_ED25519_PK];
    memcpy(in, hid64, 8);
    memcpy(in + 8, key, ODID_ED25519_PK);
    sg_cshake128(in, sizeof in, NULL, 0, DET_CONTEXT, sizeof DET_CONTEXT, h, 8);
}

int odid_det_make(unsigned raa, unsigned hda, const uint8_t key[ODID_ED25519_PK],
                  uint8_t det[ODID_DET_LEN])
{
    if (!key || !det || raa > 0x3FFF || hda > 0x3FFF)
        return SG_EINVAL;
    uint64_t v = (uint64_t)0x2001003u << 36 | (uint64_t)raa << 22 | (uint64_t)hda << 8 |
                 ODID_DET_SUITE_EDDSA;
    for (int i = 0; i < 8; i++)
        det[i] = (uint8_t)(v >> (56 - 8 * i));
    det_hash(det, key, det + 8);
    return SG_OK;
}

int odid_det_check(const uint8_t det[ODID_DET_LEN], const uint8_t key[ODID_ED25519_PK])
{
    if (!det || !key)
        return SG_EINVAL;
    /* prefix 2001:30::/28: 0x20 0x01 0x00 then the high nibble 3 */
    if (det[0] != 0x20 || det[1] != 0x01 || det[2] != 0x00 || (det[3] & 0xF0) != 0x30 ||
        det[7] != ODID_DET_SUITE_EDDSA)
        return SG_ENOTSUP;
    uint8_t h[8];
    det_hash(det, key, h);
    return memcmp(h, det + 8, 8) ? SG_EAUTH : SG_OK;
}

int odid_trust_load(odid_trust *t, const char *path, sg_errinfo *e)
{
    if (!t || !path)
        return sg_err_set(e, SG_EINVAL, "odid_trust_load: NULL argument");
    FILE *f = fopen(path, "r");
    if (!f)
        return sg_err_set(e, SG_EIO, "%s: cannot open the Remote ID trust file", path);
    struct stat sb;
    if (fstat(fileno(f), &sb) == 0 && S_ISREG(sb.st_mode) && (sb.st_mode & (S_IWGRP | S_IWOTH))) {
        fclose(f); /* anyone could add a key and make their own signatures "verified" */
        return sg_err_set(e, SG_EAUTH, "%s: the Remote ID trust file is writable by group/others "
                          "(mode %04o): run chmod go-w %s", path, (unsigned)(sb.st_mode & 07777),
                          path);
    }
    char line[512];
    int ln = 0, rc = SG_OK;
    while (!rc && fgets(line, sizeof line, f)) {
        ln++;
        char *p = line + strspn(line, " \t");
        if (*p == '#' || *p == '\n' || *p == '\0')
            continue;
        char d[64], k[128];
        uint8_t det[ODID_DET_LEN], key[ODID_ED25519_PK];
        if (sscanf(p, "%63s %127s", d, k) != 2 || strlen(d) != 2 * ODID_DET_LEN ||
            strlen(k) != 2 * ODID_ED25519_PK || strspn(d, "0123456789abcdefABCDEF") != strlen(d) ||
            strspn(k, "0123456789abcdefABCDEF") != strlen(k) ||
            hex_field(d, ODID_DET_LEN, det) || hex_field(k, ODID_ED25519_PK, key)) {
            rc = sg_err_set(e, SG_EFORMAT,
                            "%s:%d: expected \"DET KEY\" as 32 and 64 hex digits", path, ln);
            break;
        }
        if (odid_det_check(det, key) == SG_EAUTH) {
            rc = sg_err_set(e, SG_EFORMAT, "%s:%d: the DET is not the hash of the key "
                            "(RFC 9374, suite 5)", path, ln);
            break;
        }
        if (odid_trust_add(t, det, key, true))
            rc = sg_err_set(e, SG_EOVERFLOW, "%s:%d: more keys than the store holds", path, ln);
    }
    fclose(f);
    return rc;
}


static int verdict(odid_auth_verdict *o, uint8_t state, const char *why)
{
    o->state = state;
    o->reason = why;
    return state;
}

/* The DRIP session ID (Basic ID type 4, session ID type 1) the aircraft sent, if any. */
static const uint8_t *claimed_det(const odid_aircraft *a)
{
    for (int i = 0; i < a->n_basic_id; i++)
        if (a->basic_id[i].id_type == ODID_IDT_SESSION && a->basic_id[i].raw[0] == 1)
            return a->basic_id[i].raw + 1;
    return NULL;
}

int odid_auth_verify(odid_trust *trust, const odid_aircraft *a, double t, odid_auth_verdict *o)
{
    odid_auth_verdict dummy;
    if (!o)
        o = &dummy;
    memset(o, 0, sizeof *o);
    if (!a || !(a->auth_pages & 1u) || a->auth_head.auth_type == 0)
        return verdict(o, SG_RID_AUTH_UNSIGNED, "no authentication heard");
    if (a->auth_len == 0)
        return verdict(o, SG_RID_AUTH_UNVERIFIED, "authentication pages missing");
    if (a->auth_head.auth_type != ODID_AUTH_TYPE_SAM)
        return verdict(o, SG_RID_AUTH_UNVERIFIED, "signature method of this auth type not defined");
    const uint8_t *d = a->auth_data;
    size_t n = a->auth_len;
    o->sam_type = d[0];
    if (d[0] < ODID_SAM_DRIP_LINK || d[0] > ODID_SAM_DRIP_FRAME)
        return verdict(o, SG_RID_AUTH_UNVERIFIED, "not a DRIP SAM type");
    if (n < ODID_DRIP_MIN)
        return verdict(o, SG_RID_AUTH_FAILED, "DRIP data shorter than its fixed fields");
    const uint8_t *sig = d + n - ODID_ED25519_SIG, *det = sig - ODID_DET_LEN;
    bool anchor = false;
    const uint8_t *key = odid_trust_find(trust, det, &anchor);
    if (!key)
        return verdict(o, SG_RID_AUTH_UNVERIFIED, "no key known for the signer's DET");
    if (odid_det_check(det, key) == SG_EAUTH)
        return verdict(o, SG_RID_AUTH_FAILED, "the signer's DET is not the hash of its key");
    if (crypto_sign_verify_detached(sig, d + 1, n - 1 - ODID_ED25519_SIG, key) != 0)
        return verdict(o, SG_RID_AUTH_FAILED, "Ed25519 signature does not verify");
    double vnb = ODID_EPOCH_2019 + sg_rd32le(d + 1), vna = ODID_EPOCH_2019 + sg_rd32le(d + 5);
    if (!(t >= vnb && t <= vna))
        return verdict(o, SG_RID_AUTH_FAILED, "received outside the signature's validity");
    const uint8_t *ev = d + 9;
    size_t nev = (size_t)(det - ev);
    if (d[0] == ODID_SAM_DRIP_LINK) {
        if (nev != ODID_DET_LEN + ODID_ED25519_PK)
            return verdict(o, SG_RID_AUTH_FAILED, "DRIP Link evidence is not a DET and a key");
        int dc = odid_det_check(ev, ev + ODID_DET_LEN);
        if (dc == SG_EAUTH)
            return verdict(o, SG_RID_AUTH_FAILED, "the endorsed DET is not the hash of its key");
        if (dc != SG_OK)
            return verdict(o, SG_RID_AUTH_VERIFIED,
                           "DRIP Link endorsement verified; the endorsed DET is not of suite 5 "
                           "(its binding cannot be checked): key not learned");
        if (anchor && trust)
            odid_trust_add(trust, ev, ev + ODID_DET_LEN, false); /* full store: not learned */
        return verdict(o, SG_RID_AUTH_VERIFIED, "DRIP Link endorsement verified");
    }
    const uint8_t *claim = claimed_det(a);
    if (claim && memcmp(claim, det, ODID_DET_LEN))
        return verdict(o, SG_RID_AUTH_FAILED, "signed by another DET than the aircraft's session ID");
    return verdict(o, SG_RID_AUTH_VERIFIED, "DRIP signature verified");
}

static int ts32(double t, uint8_t *p)
{
    double d = round(t - ODID_EPOCH_2019);
    if (!(d >= 0.0 && d <= 4294967295.0))
        return SG_EINVAL;
    uint32_t v = (uint32_t)d;
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
    return SG_OK;
}

int odid_drip_sign(uint8_t sam_type, double vnb, double vna, const uint8_t *evidence, size_t n,
                   const uint8_t det[ODID_DET_LEN], const uint8_t sk[ODID_ED25519_SK],
                   uint8_t *out, size_t cap, size_t *len)
{
    if (!det || !sk || !out || !len || (n && !evidence) || sam_type < ODID_SAM_DRIP_LINK ||
        sam_type > ODID_SAM_DRIP_FRAME || !(vna >= vnb))
        return SG_EINVAL;
    size_t need = ODID_DRIP_MIN + n;
    if (need > ODID_AUTH_DATA_MAX)
        return SG_EINVAL;
    if (cap < need)
        return SG_EOVERFLOW;
    out[0] = sam_type;
    if (ts32(vnb, out + 1) || ts32(vna, out + 5))
        return SG_EINVAL;
    if (n)
        memcpy(out + 9, evidence, n);
    memcpy(out + 9 + n, det, ODID_DET_LEN);
    if (sodium_init() < 0 ||
        crypto_sign_detached(out + need - ODID_ED25519_SIG, NULL, out + 1,
                             need - 1 - ODID_ED25519_SIG, sk) != 0)
        return SG_ENOTSUP;
    *len = need;
    return SG_OK;
}

int odid_auth_paginate(uint8_t auth_type, double ts, const uint8_t *data, size_t len,
                       odid_message *pages, int cap, int *n)
{
    if (!data || !pages || !n || len < 1 || len > ODID_AUTH_DATA_MAX || auth_type > 15)
        return SG_EINVAL;
    int np = len <= ODID_AUTH_PAGE0_DATA
                 ? 1
                 : 1 + (int)((len - ODID_AUTH_PAGE0_DATA + ODID_AUTH_PAGEN_DATA - 1) /
                             ODID_AUTH_PAGEN_DATA);
    if (np > cap)
        return SG_EOVERFLOW;
    size_t off = 0;
    for (int p = 0; p < np; p++) {
        odid_message_init(&pages[p], ODID_MT_AUTH);
        odid_auth *A = &pages[p].u.auth;
        A->auth_type = auth_type;
        A->page = (uint8_t)p;
        size_t room = p ? ODID_AUTH_PAGEN_DATA : ODID_AUTH_PAGE0_DATA;
        size_t k = len - off < room ? len - off : room;
        if (p == 0) {
            A->last_page = (uint8_t)(np - 1);
            A->length = (uint8_t)len;
            A->timestamp = ts;
        }
        memcpy(A->data, data + off, k);
        A->data_len = (uint8_t)room; /* zero padded */
        off += k;
    }
    *n = np;
    return SG_OK;
}
