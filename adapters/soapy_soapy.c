/* Live SDR input through SoapySDR ("soapy" adapter, any device with a Soapy module):
 * one RX channel, or several coherent channels of one device in one stream (DF
 * arrays). The stream logic (configuration checks, accumulation, interleaving, drop
 * and clock accounting, the never-blocking device thread) is iq_rx.c; this file only
 * parses the options and maps iq_rx_ops onto SoapySDR calls. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <SoapySDR/Device.h>
#include <SoapySDR/Formats.h>

#include "iq_rx.h"
#include "scan_plan.h"
#include "sg_adapter.h"
#include "sg_json.h"

typedef struct {
    SoapySDRDevice *dev;
    SoapySDRStream *rx;
    size_t chans[SG_ADAPTER_MAX_CH], n_chans; /* the stream's RX channels (retune) */
    char err[256];
} soapy_dev;

static const char *sd_error(void *d)
{
    soapy_dev *s = d;
    return s->err[0] ? s->err : SoapySDRDevice_lastError();
}

static size_t sd_num_channels(void *d)
{
    return SoapySDRDevice_getNumChannels(((soapy_dev *)d)->dev, SOAPY_SDR_RX);
}

static int sd_set(void *d, iq_rx_param p, size_t ch, double v, const char *ant)
{
    SoapySDRDevice *dev = ((soapy_dev *)d)->dev;
    switch (p) {
    case IQ_RX_RATE:
        return SoapySDRDevice_setSampleRate(dev, SOAPY_SDR_RX, ch, v);
    case IQ_RX_FREQ:
        return SoapySDRDevice_setFrequency(dev, SOAPY_SDR_RX, ch, v, NULL);
    case IQ_RX_GAIN:
        SoapySDRDevice_setGainMode(dev, SOAPY_SDR_RX, ch, false);
        return SoapySDRDevice_setGain(dev, SOAPY_SDR_RX, ch, v);
    case IQ_RX_BW:
        return SoapySDRDevice_setBandwidth(dev, SOAPY_SDR_RX, ch, v);
    case IQ_RX_ANTENNA:
        return SoapySDRDevice_setAntenna(dev, SOAPY_SDR_RX, ch, ant);
    }
    return -1;
}

static double sd_get(void *d, iq_rx_param p, size_t ch)
{
    SoapySDRDevice *dev = ((soapy_dev *)d)->dev;
    if (p == IQ_RX_RATE)
        return SoapySDRDevice_getSampleRate(dev, SOAPY_SDR_RX, ch);
    if (p == IQ_RX_FREQ)
        return SoapySDRDevice_getFrequency(dev, SOAPY_SDR_RX, ch);
    return NAN;
}

static int sd_setup(void *d, const size_t *chans, size_t n)
{
    soapy_dev *s = d;
    if (n > SG_ADAPTER_MAX_CH)
        return -1;
    memcpy(s->chans, chans, n * sizeof *chans);
    s->n_chans = n;
    s->rx = SoapySDRDevice_setupStream(s->dev, SOAPY_SDR_RX, SOAPY_SDR_CF32, chans, n, NULL);
    return s->rx ? 0 : -1;
}

static int sd_activate(void *d)
{
    soapy_dev *s = d;
    return SoapySDRDevice_activateStream(s->dev, s->rx, 0, 0, 0);
}

static void sd_deactivate(void *d)
{
    soapy_dev *s = d;
    SoapySDRDevice_deactivateStream(s->dev, s->rx, 0, 0);
}

static int sd_read(void *d, void *const *buffs, size_t n, bool *has_time, long long *tns,
                   long timeout_us)
{
    soapy_dev *s = d;
    int flags = 0;
    int r = SoapySDRDevice_readStream(s->dev, s->rx, buffs, n, &flags, tns, timeout_us);
    *has_time = r > 0 && (flags & SOAPY_SDR_HAS_TIME);
    if (r >= 0)
        return r;
    if (r == SOAPY_SDR_TIMEOUT)
        return IQ_RX_TIMEOUT;
    if (r == SOAPY_SDR_OVERFLOW)
        return IQ_RX_OVERFLOW;
    snprintf(s->err, sizeof s->err, "readStream: %s", SoapySDR_errToStr(r));
    return IQ_RX_FAILED;
}

/* A plan's retune: every channel of the stream to hz, so coherent channels stay on one
 * LO. */
static int sd_retune(void *d, double hz)
{
    soapy_dev *s = d;
    for (size_t i = 0; i < s->n_chans; i++) {
        int r = SoapySDRDevice_setFrequency(s->dev, SOAPY_SDR_RX, s->chans[i], hz, NULL);
        if (r) {
            snprintf(s->err, sizeof s->err, "setFrequency on RX channel %zu: %s", s->chans[i],
                     SoapySDRDevice_lastError());
            return r;
        }
    }
    return 0;
}

static void sd_close(void *d)
{
    soapy_dev *s = d;
    if (s->rx)
        SoapySDRDevice_closeStream(s->dev, s->rx);
    if (s->dev)
        SoapySDRDevice_unmake(s->dev);
    free(s);
}

static const iq_rx_ops soapy_ops = {
    .num_channels = sd_num_channels, .set = sd_set, .get = sd_get, .setup = sd_setup,
    .activate = sd_activate, .deactivate = sd_deactivate, .read = sd_read,
    .error = sd_error, .close = sd_close, .retune = sd_retune,
};

/* "channel": k (one channel) or "channels": N (0..N-1) or [k0, k1, ...]. */
static int parse_channels(const cJSON *o, const char *where, size_t *ch, size_t *n,
                          sg_errinfo *e)
{
    const cJSON *one = cJSON_GetObjectItemCaseSensitive(o, "channel");
    const cJSON *many = cJSON_GetObjectItemCaseSensitive(o, "channels");
    long k;
    int rc;
    if (one && many)
        return sg_err_set(e, SG_EINVAL, "%s.channels: give \"channel\" or \"channels\", not both",
                          where);
    if (!many) {
        if ((rc = sgj_int(o, where, "channel", false, 0, 0, 63, &k, e)))
            return rc;
        ch[0] = (size_t)k;
        *n = 1;
        return SG_OK;
    }
    if (cJSON_IsNumber(many)) {
        if ((rc = sgj_int(o, where, "channels", true, 1, 1, SG_ADAPTER_MAX_CH, &k, e)))
            return rc;
        for (long i = 0; i < k; i++)
            ch[i] = (size_t)i;
        *n = (size_t)k;
        return SG_OK;
    }
    int m = cJSON_IsArray(many) ? cJSON_GetArraySize(many) : 0;
    if (m < 1 || m > SG_ADAPTER_MAX_CH)
        return sg_err_set(e, SG_EINVAL, "%s.channels: a channel count or a list of 1..%d RX "
                          "channel indices", where, SG_ADAPTER_MAX_CH);
    for (int i = 0; i < m; i++) {
        const cJSON *it = cJSON_GetArrayItem(many, i);
        double v = cJSON_IsNumber(it) ? it->valuedouble : -1;
        if (!(v >= 0 && v <= 63 && v == floor(v)))
            return sg_err_set(e, SG_EINVAL, "%s.channels[%d]: an RX channel index 0..63", where,
                              i);
        ch[i] = (size_t)v;
    }
    *n = (size_t)m;
    return SG_OK;
}

static int soapy_open(void **out, const cJSON *o, const char *where, sg_errinfo *e)
{
    static const char *const keys[] = {"type", "args", "center_freq", "sample_rate", "gain",
                                       "bandwidth", "antenna", "channel", "channels",
                                       "pool_blocks", "block_samples", "scan", NULL};
    char args[256], ant[64];
    double fc, rate, gain, bw;
    long pool, block;
    size_t chans[SG_ADAPTER_MAX_CH], nch = 0;
    const cJSON *scan;
    scan_plan plan;
    char wscan[300];
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
        (rc = parse_channels(o, where, chans, &nch, e)) ||
        (rc = sgj_int(o, where, "pool_blocks", false, 64, 2, 65536, &pool, e)) ||
        (rc = sgj_int(o, where, "block_samples", false, 65536, 256, 1 << 22, &block, e)) ||
        (rc = sgj_object(o, where, "scan", false, &scan, e)))
        return rc;
    snprintf(wscan, sizeof wscan, "%s.scan", where);
    if ((rc = scan_plan_from_json(&plan, scan, wscan, e)))
        return rc;
    soapy_dev *d = calloc(1, sizeof *d);
    if (!d)
        return sg_err_set(e, SG_ENOMEM, "%s: out of memory", where);
    if (!(d->dev = SoapySDRDevice_makeStrArgs(args))) {
        rc = sg_err_set(e, SG_ENODEV, "%s.args: no SoapySDR device for \"%s\": %s", where, args,
                        SoapySDRDevice_lastError());
        free(d);
        return rc;
    }
    iq_rx_cfg c = {.rate = rate, .fc = fc, .gain = gain, .bandwidth = bw, .antenna = ant,
                   .chans = chans, .n_chans = nch, .pool_blocks = (unsigned)pool,
                   .block_samples = (size_t)block, .name = args, .scan = &plan};
    iq_rx *r = iq_rx_open(&soapy_ops, d, &c, where, e); /* owns d */
    if (!r)
        return e && e->code ? e->code : SG_ENODEV;
    *out = r;
    return SG_OK;
}

static int soapy_run(void *st, sg_iq_sink sink, void *user, sg_errinfo *e)
{
    int rc = iq_rx_run(st, sink, user, e);
    if (rc)
        sg_err_prefix(e, "soapy");
    return rc;
}

static void soapy_stop(void *st)
{
    iq_rx_stop(st);
}

static void soapy_close(void *st)
{
    iq_rx_close(st);
}

static void soapy_stats(void *st, sg_adapter_stats *out)
{
    iq_rx_stats(st, out);
}

const sg_iq_adapter sg_adapter_soapy = {
    .name = "soapy",
    .help = "Live SDR through SoapySDR (any device with a Soapy module).\n"
            "  args           device arguments, e.g. \"driver=rtlsdr\" (default: first device)\n"
            "  center_freq    Hz (required)\n"
            "  sample_rate    Hz (required)\n"
            "  gain           dB overall gain, every channel (default: device AGC/default)\n"
            "  bandwidth      Hz analog filter (default: device default)\n"
            "  antenna        antenna port name (default: device default)\n"
            "  channel        RX channel, 0..63 (default 0)\n"
            "  channels       coherent multi-channel RX in one stream: a count N (channels\n"
            "                 0..N-1) or a list of RX channel indices, up to 16; blocks carry\n"
            "                 the channels interleaved. A DF sensor (with an \"array\") gets\n"
            "                 one channel per array element unless given.\n"
            "  pool_blocks    pre-allocated blocks between device and processing, 2..65536 (64)\n"
            "  block_samples  samples per channel per block, 256..4194304 (65536)\n"
            "  scan           channel plan {\"channels\": [{\"center_freq\", \"dwell_s\"}],\n"
            "                 \"dwell_s\", \"settle_s\"}: retune every channel on the dwell\n"
            "                 clock, settling samples discarded (docs/rf-frontend.md)\n"
            "  A full pool drops whole blocks (counted) and flags the next one discontinuous;\n"
            "  device overflow is a counted gap (its length from the device time stamps when\n"
            "  the device has them); read timeouts are retried.\n",
    .live = true,
    .open = soapy_open,
    .run = soapy_run,
    .stop = soapy_stop,
    .close = soapy_close,
    .stats = soapy_stats,
};
