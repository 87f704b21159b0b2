/* libFuzzer target: the ZAP/1.0 request decision of the feed's authentication handler
 * (feed_auth_zap_decide), which libzmq feeds with peer-controlled bytes (the address
 * and the client's CURVE key) on every connection attempt.
 *
 * Input: a sequence of frames, each a length byte followed by that many bytes (a short
 * last frame takes what is left). Properties: the status is always 200, 400 or 500; 200
 * only for a well-formed CURVE request in our domain carrying the one allowed key; the
 * counters always add up; the refusal ring never holds more than FEED_AUTH_RING. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "feed_auth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Fixed keys so runs are reproducible (generated once with sg_keygen). */
static const char server_secret[] = "*d(dSJ@*AZO@6=VehQ%C:Adum!s8huuyT$keIUmi";
static const char client_public[] = "rqg7d{k14p!buc:*+u0^2H4>icDYXlOTlNWWH6lY";
static feed_auth *auth;
static void *ctx;
static uint8_t allowed_bin[32];

static void setup(void)
{
    feed_auth_cfg cfg;
    sg_errinfo e;
    feed_auth_cfg_default(&cfg);
    memcpy(cfg.server_secret_z85, server_secret, sizeof server_secret);
    ctx = zmq_ctx_new();
    auth = ctx && feed_auth_cfg_add_client_key(&cfg, client_public, &e) == SG_OK
               ? feed_auth_create(ctx, &cfg, &e) : NULL;
    if (!auth || !zmq_z85_decode(allowed_bin, client_public))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!auth)
        setup();
    feed_auth_frame fr[16];
    size_t n = 0, i = 0;
    while (i < size && n < 16) {
        size_t len = data[i++];
        if (len > size - i)
            len = size - i;
        fr[n].data = data + i;
        fr[n].size = len;
        n++;
        i += len;
    }
    feed_auth_stats before, after;
    feed_auth_get_stats(auth, &before);
    feed_auth_zap_reply rep;
    feed_auth_zap_decide(auth, fr, n, &rep);
    feed_auth_get_stats(auth, &after);

    bool ok = strcmp(rep.status, "200") == 0;
    if (!ok && strcmp(rep.status, "400") != 0 && strcmp(rep.status, "500") != 0)
        abort();
    if (ok) {
        const char *dom = FEED_AUTH_ZAP_DOMAIN;
        if (n != 7 || fr[0].size != 3 || memcmp(fr[0].data, "1.0", 3) != 0 ||
            fr[2].size != strlen(dom) || memcmp(fr[2].data, dom, fr[2].size) != 0 ||
            fr[5].size != 5 || memcmp(fr[5].data, "CURVE", 5) != 0 || fr[6].size != 32 ||
            memcmp(fr[6].data, allowed_bin, 32) != 0 || strcmp(rep.user_id, client_public) != 0)
            abort();
    } else if (rep.user_id[0]) {
        abort();
    }
    if (after.requests != before.requests + 1 ||
        after.accepted + after.refused + after.malformed != after.requests)
        abort();
    if (after.requests % 97 == 0) {
        feed_auth_refusal r[FEED_AUTH_RING + 1];
        if (feed_auth_drain_refusals(auth, r, FEED_AUTH_RING + 1) > FEED_AUTH_RING)
            abort();
    }
    return 0;
}
