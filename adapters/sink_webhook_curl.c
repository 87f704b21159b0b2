/* The webhook alert hook (outputs.webhook), through libcurl: each alert that passes the hook
 * filter (sink_hook.h) is POSTed as the feed's alert JSON to url. A failed attempt
 * (connection error, timeout, HTTP 429 or 5xx) is retried up to `retries` times after
 * backoff_s, 2 x backoff_s, 4 x ... (capped at max_backoff_s); other HTTP errors (4xx) are not
 * retried. The worker waits out the back-off, so a receiver that is down fills only this
 * sink's queue (drops counted); shutting down ends the waits at once. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "sg_json.h"
#include "sg_clock.h"
#include "sink.h"
#include "sink_hook.h"

typedef struct {
    CURL *c;
    struct curl_slist *headers;
    char url[1024], ca_file[1024];
    double timeout_s, backoff_s, max_backoff_s;
    long retries;
    hook_filter f;
    uint64_t posts, retried, http_errors, gave_up; /* atomics */
    long last_status;                              /* atomic: HTTP status of the last POST */
    int last_ok;                                   /* atomic: the last alert got through */
} webhook_sink;

static void bump(uint64_t *c)
{
    __atomic_add_fetch(c, 1, __ATOMIC_RELAXED);
}

static size_t discard(char *p, size_t size, size_t n, void *ud)
{
    (void)p;
    (void)ud;
    return size * n;
}

static int curl_refs;

static void webhook_close(void *state)
{
    webhook_sink *w = state;
    if (w->c)
        curl_easy_cleanup(w->c);
    curl_slist_free_all(w->headers);
    free(w);
}

static int webhook_open(void **state, const cJSON *b, const char *where, const sink_env *env,
                        sg_errinfo *e)
{
    static const char *const keys[] = {"url", "timeout_s", "retries", "backoff_s",
                                       "max_backoff_s", "ca_file", HOOK_FILTER_KEYS, NULL};
    if (__atomic_fetch_add(&curl_refs, 1, __ATOMIC_ACQ_REL) == 0)
        curl_global_init(CURL_GLOBAL_DEFAULT); /* first sink, before any worker runs */
    webhook_sink *w = calloc(1, sizeof *w);
    if (!w)
        return sg_err_set(e, SG_ENOMEM, "%s: out of memory", where);
    char ca[1024];
    int rc;
    if ((rc = sink_check_keys(b, where, keys, e)) ||
        (rc = sgj_string(b, where, "url", true, "", w->url, sizeof w->url, e)) ||
        (rc = sgj_number(b, where, "timeout_s", false, 5, 0.1, 300, &w->timeout_s, e)) ||
        (rc = sgj_int(b, where, "retries", false, 3, 0, 10, &w->retries, e)) ||
        (rc = sgj_number(b, where, "backoff_s", false, 1, 0.01, 600, &w->backoff_s, e)) ||
        (rc = sgj_number(b, where, "max_backoff_s", false, 30, 0.01, 3600, &w->max_backoff_s,
                         e)) ||
        (rc = sgj_string(b, where, "ca_file", false, "", ca, sizeof ca, e)) ||
        (rc = hook_filter_parse(&w->f, b, where, e)))
        goto fail;
    if (strncmp(w->url, "http://", 7) && strncmp(w->url, "https://", 8)) {
        rc = sg_err_set(e, SG_EINVAL, "%s.url: \"%s\" must start with http:// or https://", where,
                        w->url);
        goto fail;
    }
    if (ca[0] && sg_path_relative_to(env ? env->venue_path : NULL, ca, w->ca_file,
                                     sizeof w->ca_file)) {
        rc = sg_err_set(e, SG_ERANGE, "%s.ca_file: path too long", where);
        goto fail;
    }
    if (!(w->c = curl_easy_init()) ||
        !(w->headers = curl_slist_append(NULL, "Content-Type: application/json"))) {
        rc = sg_err_set(e, SG_ENOMEM, "%s: libcurl initialisation failed", where);
        goto fail;
    }
    curl_easy_setopt(w->c, CURLOPT_URL, w->url);
    curl_easy_setopt(w->c, CURLOPT_HTTPHEADER, w->headers);
    curl_easy_setopt(w->c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(w->c, CURLOPT_TIMEOUT_MS, (long)(w->timeout_s * 1000));
    curl_easy_setopt(w->c, CURLOPT_CONNECTTIMEOUT_MS, (long)(w->timeout_s * 1000));
    curl_easy_setopt(w->c, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(w->c, CURLOPT_USERAGENT, "skyguard-sg_bridge");
    curl_easy_setopt(w->c, CURLOPT_PROTOCOLS_STR, "http,https");
    if (w->ca_file[0])
        curl_easy_setopt(w->c, CURLOPT_CAINFO, w->ca_file);
    w->last_ok = 1;
    *state = w;
    return SG_OK;
fail:
    webhook_close(w);
    return rc;
}

/* One POST: 0 delivered, 1 retry, -1 give up. */
static int attempt(webhook_sink *w, const sink_event *ev)
{
    curl_easy_setopt(w->c, CURLOPT_POSTFIELDS, ev->json);
    curl_easy_setopt(w->c, CURLOPT_POSTFIELDSIZE, (long)ev->json_len);
    bump(&w->posts);
    CURLcode cr = curl_easy_perform(w->c);
    long status = 0;
    curl_easy_getinfo(w->c, CURLINFO_RESPONSE_CODE, &status);
    __atomic_store_n(&w->last_status, status, __ATOMIC_RELAXED);
    if (cr != CURLE_OK)
        return 1; /* connection refused, timeout, TLS: the receiver may come back */
    if (status >= 200 && status < 300)
        return 0;
    bump(&w->http_errors);
    return status == 429 || status >= 500 ? 1 : -1;
}

static int webhook_handle(void *state, const sink_event *ev, const int *stop)
{
    webhook_sink *w = state;
    hook_decision d = hook_filter_check(&w->f, ev, sg_clock_s(CLOCK_MONOTONIC));
    if (d == HOOK_FILTERED)
        return SG_OK;
    if (d == HOOK_RATE_LIMITED)
        return SG_EOVERFLOW; /* counted in failed and rate_limited */
    double wait = w->backoff_s;
    for (long k = 0;; k++) {
        int r = attempt(w, ev);
        if (r == 0) {
            __atomic_store_n(&w->last_ok, 1, __ATOMIC_RELAXED);
            return SG_OK;
        }
        if (r < 0 || k >= w->retries || !hook_sleep(wait, stop))
            break;
        bump(&w->retried);
        wait = fmin(wait * 2, w->max_backoff_s);
    }
    bump(&w->gave_up);
    __atomic_store_n(&w->last_ok, 0, __ATOMIC_RELAXED);
    return SG_EIO;
}

static void webhook_stats(void *state, sink_stats *out)
{
    webhook_sink *w = state;
    const struct {
        const char *n;
        uint64_t *v;
    } x[] = {{"posts", &w->posts},           {"retries", &w->retried},
             {"http_errors", &w->http_errors}, {"gave_up", &w->gave_up},
             {"filtered", &w->f.filtered},     {"rate_limited", &w->f.rate_limited}};
    for (size_t i = 0; i < sizeof x / sizeof x[0] && i < SINK_MAX_EXTRA; i++) {
        out->extra[i].name = x[i].n;
        out->extra[i].value = __atomic_load_n(x[i].v, __ATOMIC_RELAXED);
    }
    out->connected = __atomic_load_n(&w->last_ok, __ATOMIC_RELAXED);
}

const sink_ops sink_webhook_ops = {"webhook", webhook_open, webhook_handle, NULL, webhook_stats,
                                   webhook_close};
