/* Live SDR input through SoapySDR ("soapy" adapter, any device with a Soapy module).
 *
 * A device thread reads the stream straight into blocks of a pre-allocated pool
 * (iq_pool.h) and never waits for the consumer: with no free block it reads into a
 * scratch buffer and counts the samples dropped. Overflow is a counted gap, a
 * timeout is a retry. run() is the consumer: it hands queued blocks to the sink
 * (which must not block either) with the sample clock and discontinuity flags. */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <SoapySDR/Device.h>
#include <SoapySDR/Formats.h>

#include "iq_pool.h"
#include "sg_adapter.h"
#include "sg_json.h"

typedef struct {
    SoapySDRDevice *dev;
    SoapySDRStream *rx;
    iq_pool *pool;
    float complex *scratch;
    size_t block;
    double rate, fc, t0;
    char args[256];
    atomic_bool stop;
    atomic_bool dev_failed;
    char dev_err[256];
    atomic_uint_least64_t samples, blocks, overflows, timeouts, dev_samples_lost;
} soapy_state;

static void soapy_close(void *st)
{
    soapy_state *s = st;
    if (!s)
        return;
    if (s->rx)
        SoapySDRDevice_closeStream(s->dev, s->rx);
    if (s->dev)
        SoapySDRDevice_unmake(s->dev);
    iq_pool_destroy(s->pool);
    free(s->scratch);
    free(s);
}

static int soapy_open(void **out, const cJSON *o, const char *where, sg_errinfo *e)
{
    static const char *const keys[] = {"type", "args", "center_freq", "sample_rate", "gain",
                                       "bandwidth", "antenna", "channel", "pool_blocks",
                                       "block_samples", NULL};
    char args[256], ant[64];
    double fc, rate, gain, bw;
    long ch, pool, block;
    int rc;
    *out = NULL;
    if (!where)
        where = "soapy";
    if ((rc = sgj_check_keys(o, where, keys, e)) ||
        (rc = sgj_string(o, where, "args", false, "", args, sizeof args, e)) ||
        (rc = sgj_number(o, where, "center_freq", true, 0, 1e3, 1e11, &fc, e)) ||
        (rc = sgj_number(o, where, "sample_rate", true, 0, 1e3, 1e10, &rate, e)) ||
        (rc = sgj_number(o, where, "gain", false, NAN, -50, 200, &gain, e)) ||
        (rc = sgj_number(o, where, "bandwidth", false, 0, 0, 1e10, &bw, e)) ||
        (rc = sgj_string(o, where, "antenna", false, "", ant, sizeof ant, e)) ||
        (rc = sgj_int(o, where, "channel", false, 0, 0, 63, &ch, e)) ||
        (rc = sgj_int(o, where, "pool_blocks", false, 64, 2, 65536, &pool, e)) ||
        (rc = sgj_int(o, where, "block_samples", false, 65536, 256, 1 << 22, &block, e)))
        return rc;
    soapy_state *s = calloc(1, sizeof *s);
    if (!s)
        return sg_err_set(e, SG_ENOMEM, "%s: out of memory", where);
    snprintf(s->args, sizeof s->args, "%s", args);
    s->rate = rate;
    s->fc = fc;
    s->block = (size_t)block;
    s->pool = iq_pool_create((unsigned)pool, (size_t)block, e);
    s->scratch = malloc((size_t)block * sizeof *s->scratch);
    if (!s->pool || !s->scratch) {
        soapy_close(s);
        return e && e->code ? e->code : sg_err_set(e, SG_ENOMEM, "%s: out of memory", where);
    }
    s->dev = SoapySDRDevice_makeStrArgs(args);
    if (!s->dev) {
        rc = sg_err_set(e, SG_ENODEV, "%s.args: no SoapySDR device for \"%s\": %s", where, args,
                        SoapySDRDevice_lastError());
        soapy_close(s);
        return rc;
    }
    const size_t c = (size_t)ch;
    const char *what = NULL;
    if (SoapySDRDevice_setSampleRate(s->dev, SOAPY_SDR_RX, c, rate))
        what = "sample_rate";
    else if (SoapySDRDevice_setFrequency(s->dev, SOAPY_SDR_RX, c, fc, NULL))
        what = "center_freq";
    else if (isfinite(gain) && (SoapySDRDevice_setGainMode(s->dev, SOAPY_SDR_RX, c, false),
                                SoapySDRDevice_setGain(s->dev, SOAPY_SDR_RX, c, gain)))
        what = "gain";
    else if (bw > 0 && SoapySDRDevice_setBandwidth(s->dev, SOAPY_SDR_RX, c, bw))
        what = "bandwidth";
    else if (ant[0] && SoapySDRDevice_setAntenna(s->dev, SOAPY_SDR_RX, c, ant))
        what = "antenna";
    if (what) {
        rc = sg_err_set(e, SG_ENODEV, "%s.%s: device \"%s\" refused it: %s", where, what, args,
                        SoapySDRDevice_lastError());
        soapy_close(s);
        return rc;
    }
    s->rx = SoapySDRDevice_setupStream(s->dev, SOAPY_SDR_RX, SOAPY_SDR_CF32, &c, 1, NULL);
    if (!s->rx) {
        rc = sg_err_set(e, SG_ENODEV, "%s: cannot set up an RX stream on \"%s\": %s", where, args,
                        SoapySDRDevice_lastError());
        soapy_close(s);
        return rc;
    }
    *out = s;
    return SG_OK;
}

/* Device thread: never blocks on the consumer. */
static void *device_thread(void *arg)
{
    soapy_state *s = arg;
    iq_pool_block *b = NULL; /* kept across empty reads */
    bool have_next = false;  /* device time stamps: next_ns = expected time of the next sample */
    long long next_ns = 0;
    while (!atomic_load(&s->stop)) {
        if (!b)
            b = iq_pool_acquire(s->pool);
        float complex *dst = b ? b->x : s->scratch;
        void *buffs[1] = {dst};
        int flags = 0;
        long long tns = 0;
        int n = SoapySDRDevice_readStream(s->dev, s->rx, buffs, s->block, &flags, &tns, 100000);
        if (n == SOAPY_SDR_TIMEOUT) {
            atomic_fetch_add(&s->timeouts, 1);
            n = 0;
        } else if (n == SOAPY_SDR_OVERFLOW) {
            /* samples were lost in the driver: a gap, measured below from the next time
             * stamp if the device gives them, else of unknown length */
            atomic_fetch_add(&s->overflows, 1);
            iq_pool_drop(s->pool, 0);
            n = 0;
        } else if (n < 0) {
            snprintf(s->dev_err, sizeof s->dev_err, "readStream failed: %s",
                     SoapySDR_errToStr(n));
            atomic_store(&s->dev_failed, true);
            break;
        }
        if (n > 0 && (flags & SOAPY_SDR_HAS_TIME)) {
            /* keep the sample clock true across a gap: count the samples it swallowed */
            if (have_next && tns > next_ns) {
                long long lost = llround((double)(tns - next_ns) * s->rate / 1e9);
                if (lost > 0)
                    iq_pool_drop(s->pool, (size_t)lost);
            }
            next_ns = tns + llround(n * 1e9 / s->rate);
            have_next = true;
        } else if (n > 0) {
            have_next = false;
        }
        if (b && n) {
            b->n = (size_t)n;
            iq_pool_commit(s->pool, b);
            b = NULL;
        } else if (!b && n) {
            iq_pool_drop(s->pool, (size_t)n);
        }
    }
    iq_pool_halt(s->pool);
    return NULL;
}

static int soapy_run(void *st, sg_iq_sink sink, void *user, sg_errinfo *e)
{
    soapy_state *s = st;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    s->t0 = (double)now.tv_sec + now.tv_nsec * 1e-9; /* capture start: the only wall-clock use */
    if (SoapySDRDevice_activateStream(s->dev, s->rx, 0, 0, 0))
        return sg_err_set(e, SG_ENODEV, "soapy \"%s\": cannot start the stream: %s", s->args,
                          SoapySDRDevice_lastError());
    pthread_t th;
    if (pthread_create(&th, NULL, device_thread, s)) {
        SoapySDRDevice_deactivateStream(s->dev, s->rx, 0, 0);
        return sg_err_set(e, SG_ENOMEM, "soapy: cannot start the device thread");
    }
    sg_iq_block tmpl = {.sample_rate = s->rate, .center_freq = s->fc, .t0 = s->t0};
    int rc = iq_pool_pump(s->pool, sink, user, &tmpl, &s->stop, &s->dev_failed, &s->samples,
                          &s->blocks);
    atomic_store(&s->stop, true);
    pthread_join(th, NULL);
    SoapySDRDevice_deactivateStream(s->dev, s->rx, 0, 0);
    if (!rc && atomic_load(&s->dev_failed))
        rc = sg_err_set(e, SG_ENODEV, "soapy \"%s\": %s", s->args, s->dev_err);
    return rc;
}

static void soapy_stop(void *st)
{
    atomic_store(&((soapy_state *)st)->stop, true);
}

static void soapy_stats(void *st, sg_adapter_stats *out)
{
    soapy_state *s = st;
    iq_pool_adapter_stats(s->pool, atomic_load(&s->samples), atomic_load(&s->blocks), out);
    out->overflows = atomic_load(&s->overflows);
    out->timeouts = atomic_load(&s->timeouts);
}

const sg_iq_adapter sg_adapter_soapy = {
    .name = "soapy",
    .help = "Live SDR through SoapySDR (any device with a Soapy module).\n"
            "  args           device arguments, e.g. \"driver=rtlsdr\" (default: first device)\n"
            "  center_freq    Hz (required)\n"
            "  sample_rate    Hz (required)\n"
            "  gain           dB overall gain (default: device AGC/default)\n"
            "  bandwidth      Hz analog filter (default: device default)\n"
            "  antenna        antenna port name (default: device default)\n"
            "  channel        RX channel, 0..63 (default 0)\n"
            "  pool_blocks    pre-allocated blocks between device and processing, 2..65536 (64)\n"
            "  block_samples  samples per block, 256..4194304 (65536)\n"
            "  A full pool drops whole blocks (counted) and flags the next one discontinuous;\n"
            "  device overflow is a counted gap; read timeouts are retried.\n",
    .live = true,
    .open = soapy_open,
    .run = soapy_run,
    .stop = soapy_stop,
    .close = soapy_close,
    .stats = soapy_stats,
};
