/* Live RX stream of one device, one or several coherent channels (see iq_rx.h). */
#include "iq_rx.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "iq_pool.h"

#define READ_TIMEOUT_US 100000

struct iq_rx_s {
    const iq_rx_ops *ops;
    void *dev;
    iq_pool *pool;
    size_t nch, block;
    float complex *plane;   /* nch planes of `block` samples: the device's buffers */
    size_t have;            /* samples per channel accumulated in the planes */
    double rate, fc, t0;
    char name[128];
    atomic_bool stop, dev_failed;
    char dev_err[256];
    atomic_uint_least64_t samples, blocks, overflows, timeouts, clock_errors;
    scan_plan plan;         /* n = 0: no plan */
    double cur_fc;          /* Hz centre of the planned channel tuned (stamped on blocks) */
    atomic_uint_least64_t retunes, settling;
    atomic_uint_least64_t ch_bad[SG_ADAPTER_MAX_CH], ch_clip[SG_ADAPTER_MAX_CH];
};

static const char *dev_msg(iq_rx *r)
{
    const char *m = r->ops->error ? r->ops->error(r->dev) : NULL;
    return m && m[0] ? m : "no reason given";
}

void iq_rx_close(iq_rx *r)
{
    if (!r)
        return;
    if (r->dev)
        r->ops->close(r->dev);
    iq_pool_destroy(r->pool);
    free(r->plane);
    free(r);
}

static const char *const param_name[] = {"sample_rate", "center_freq", "gain", "bandwidth",
                                         "antenna"};

/* Every channel the same settings; then one rate and one LO across the channels. */
static int configure(iq_rx *r, const iq_rx_cfg *c, const char *where, sg_errinfo *e)
{
    size_t have = r->ops->num_channels(r->dev);
    for (size_t i = 0; i < c->n_chans; i++) {
        if (c->chans[i] >= have)
            return sg_err_set(e, SG_ENODEV, "%s.channels: device \"%s\" has %zu RX channel%s, "
                              "channel %zu requested (%zu channels needed)", where, r->name,
                              have, have == 1 ? "" : "s", c->chans[i], c->n_chans);
        for (size_t j = 0; j < i; j++)
            if (c->chans[j] == c->chans[i])
                return sg_err_set(e, SG_EINVAL, "%s.channels: channel %zu listed twice", where,
                                  c->chans[i]);
    }
    for (size_t i = 0; i < c->n_chans; i++) {
        size_t ch = c->chans[i];
        const struct {
            iq_rx_param p;
            bool on;
            double v;
        } set[] = {
            {IQ_RX_RATE, true, c->rate},
            {IQ_RX_FREQ, true, c->fc},
            {IQ_RX_GAIN, isfinite(c->gain), c->gain},
            {IQ_RX_BW, c->bandwidth > 0, c->bandwidth},
            {IQ_RX_ANTENNA, c->antenna && c->antenna[0], 0},
        };
        for (size_t k = 0; k < sizeof set / sizeof set[0]; k++)
            if (set[k].on && r->ops->set(r->dev, set[k].p, ch, set[k].v, c->antenna))
                return sg_err_set(e, SG_ENODEV, "%s.%s: device \"%s\" refused it on channel "
                                  "%zu: %s", where, param_name[set[k].p], r->name, ch,
                                  dev_msg(r));
    }
    if (c->n_chans < 2)
        return SG_OK;
    double rate0 = r->ops->get(r->dev, IQ_RX_RATE, c->chans[0]);
    double fc0 = r->ops->get(r->dev, IQ_RX_FREQ, c->chans[0]);
    for (size_t i = 1; i < c->n_chans; i++) {
        size_t ch = c->chans[i];
        double rate = r->ops->get(r->dev, IQ_RX_RATE, ch), fc = r->ops->get(r->dev, IQ_RX_FREQ, ch);
        if (isfinite(rate0) && isfinite(rate) && fabs(rate - rate0) > IQ_RX_RATE_TOL * rate0)
            return sg_err_set(e, SG_ENODEV, "%s: channels not coherent: channel %zu samples at "
                              "%.6g Hz, channel %zu at %.6g Hz (one sample clock needed)",
                              where, ch, rate, c->chans[0], rate0);
        if (isfinite(fc0) && isfinite(fc) && fabs(fc - fc0) > IQ_RX_FREQ_TOL_HZ)
            return sg_err_set(e, SG_ENODEV, "%s: channels not coherent: channel %zu tuned to "
                              "%.9g Hz, channel %zu to %.9g Hz (one LO needed)", where, ch, fc,
                              c->chans[0], fc0);
    }
    return SG_OK;
}

iq_rx *iq_rx_open(const iq_rx_ops *ops, void *dev, const iq_rx_cfg *c, const char *where,
                  sg_errinfo *e)
{
    if (!where)
        where = "rx";
    if (!c->n_chans || c->n_chans > SG_ADAPTER_MAX_CH || !c->chans || !(c->rate > 0) ||
        !(c->fc > 0) || c->block_samples < 16 || c->pool_blocks < 2) {
        sg_err_set(e, SG_EINVAL, "%s: invalid stream settings (%zu channels, 1..%d allowed; "
                   "rate and frequency > 0; block >= 16 samples)", where, c->n_chans,
                   SG_ADAPTER_MAX_CH);
        ops->close(dev);
        return NULL;
    }
    iq_rx *r = calloc(1, sizeof *r);
    if (!r) {
        ops->close(dev);
        sg_err_set(e, SG_ENOMEM, "%s: out of memory", where);
        return NULL;
    }
    r->ops = ops;
    r->dev = dev;
    r->nch = c->n_chans;
    r->block = c->block_samples;
    r->rate = c->rate;
    r->fc = c->fc;
    snprintf(r->name, sizeof r->name, "%s", c->name ? c->name : "");
    if (c->scan) {
        char w[300];
        snprintf(w, sizeof w, "%s.scan", where);
        if (scan_plan_check(c->scan, w, e) ||
            (c->scan->n && !ops->retune &&
             sg_err_set(e, SG_EINVAL, "%s: device \"%s\" cannot retune", w, r->name))) {
            iq_rx_close(r);
            return NULL;
        }
        r->plan = *c->scan;
    }
    r->pool = iq_pool_create(c->pool_blocks, r->block * r->nch, e);
    r->plane = malloc(r->block * r->nch * sizeof *r->plane);
    if (!r->pool || !r->plane) {
        if (!e || !e->code)
            sg_err_set(e, SG_ENOMEM, "%s: out of memory", where);
        iq_rx_close(r);
        return NULL;
    }
    if (configure(r, c, where, e)) {
        iq_rx_close(r);
        return NULL;
    }
    if (ops->setup(dev, c->chans, c->n_chans)) {
        sg_err_set(e, SG_ENODEV, "%s: cannot set up an RX stream of %zu channel%s on \"%s\": %s",
                   where, c->n_chans, c->n_chans == 1 ? "" : "s", r->name, dev_msg(r));
        iq_rx_close(r);
        return NULL;
    }
    return r;
}

/* Checks the n new samples of every plane from offset `at`: NaN/Inf to 0 and clipping,
 * per channel. */
static void screen(iq_rx *r, size_t at, size_t n)
{
    for (size_t c = 0; c < r->nch; c++) {
        float complex *x = r->plane + c * r->block + at;
        uint64_t bad = 0, clip = 0;
        for (size_t i = 0; i < n; i++) {
            float re = crealf(x[i]), im = cimagf(x[i]);
            if (!isfinite(re) || !isfinite(im)) {
                x[i] = 0;
                bad++;
            } else if (fabsf(re) >= IQ_RX_CLIP || fabsf(im) >= IQ_RX_CLIP) {
                clip++;
            }
        }
        if (bad)
            atomic_fetch_add(&r->ch_bad[c], bad);
        if (clip)
            atomic_fetch_add(&r->ch_clip[c], clip);
    }
}

/* Hands the accumulated samples to the pool as one interleaved block (or counts them
 * dropped when the consumer holds every block). */
static void flush(iq_rx *r)
{
    if (!r->have)
        return;
    iq_pool_block *b = iq_pool_acquire(r->pool);
    if (!b) {
        iq_pool_drop(r->pool, r->have);
    } else {
        for (size_t c = 0; c < r->nch; c++) {
            const float complex *p = r->plane + c * r->block;
            for (size_t t = 0; t < r->have; t++)
                b->x[t * r->nch + c] = p[t];
        }
        b->n = r->have;
        b->center_freq = r->plan.n ? r->cur_fc : 0;
        iq_pool_commit(r->pool, b);
    }
    r->have = 0;
}

/* The n samples just read at offset `have` follow a gap of `lost` samples: the ones
 * before it go out as their own block, the new ones start the next. */
static void gap(iq_rx *r, size_t n, size_t lost)
{
    size_t at = r->have;
    if (at) {
        flush(r);
        for (size_t c = 0; c < r->nch; c++)
            memmove(r->plane + c * r->block, r->plane + c * r->block + at, n * sizeof *r->plane);
    }
    iq_pool_drop(r->pool, lost);
    r->have = n;
}

/* Where the plan is at stream sample clk: the channel, whether it settles, and the
 * first sample past that state (sample k is in the state holding (k + 0.5) / rate). */
static void plan_state(const iq_rx *r, uint64_t clk, unsigned *ch, bool *settling,
                       uint64_t *end)
{
    double until;
    scan_plan_at(&r->plan, ((double)clk + 0.5) / r->rate, ch, settling, &until);
    double k = ceil(until * r->rate - 0.5);
    *end = isfinite(k) && k > (double)clk ? (uint64_t)k : clk + 1;
}

static void *device_thread(void *arg)
{
    iq_rx *r = arg;
    bool have_next = false; /* device time stamps: next_ns = expected time of the next sample */
    long long next_ns = 0;
    void *buffs[SG_ADAPTER_MAX_CH];
    uint64_t clk = 0;              /* stream sample clock: read, lost and settled samples */
    unsigned cur = SCAN_PLAN_MAX;  /* plan channel tuned (none yet) */
    while (!atomic_load(&r->stop)) {
        size_t at = r->have, want = r->block - at;
        bool settling = false;
        if (r->plan.n) {
            unsigned ch;
            uint64_t end;
            plan_state(r, clk, &ch, &settling, &end);
            if (settling || ch != cur) {
                flush(r); /* what the old channel received goes out first */
                at = 0;
                want = r->block;
            }
            if (ch != cur) {
                double hz = r->plan.ch[ch].center_freq;
                if (r->ops->retune(r->dev, hz)) {
                    snprintf(r->dev_err, sizeof r->dev_err, "retune to scan channel %u "
                             "(%.9g Hz) failed: %s", ch, hz, dev_msg(r));
                    atomic_store(&r->dev_failed, true);
                    break;
                }
                if (cur != SCAN_PLAN_MAX)
                    atomic_fetch_add(&r->retunes, 1);
                cur = ch;
                r->cur_fc = hz;
            }
            if (end - clk < want)
                want = (size_t)(end - clk);
        }
        for (size_t c = 0; c < r->nch; c++)
            buffs[c] = r->plane + c * r->block + at;
        bool has_time = false;
        long long tns = 0;
        int n = r->ops->read(r->dev, buffs, want, &has_time, &tns, READ_TIMEOUT_US);
        if (n == IQ_RX_TIMEOUT) {
            atomic_fetch_add(&r->timeouts, 1);
            continue; /* what was accumulated stays */
        }
        if (n == IQ_RX_OVERFLOW) {
            /* samples lost in the driver: the accumulated ones go out before the gap,
             * whose length the next time stamp gives if the device has them */
            atomic_fetch_add(&r->overflows, 1);
            flush(r);
            iq_pool_drop(r->pool, 0);
            continue;
        }
        if (n < 0 || (size_t)n > want) {
            snprintf(r->dev_err, sizeof r->dev_err, "read failed: %s",
                     n < 0 ? dev_msg(r) : "device returned more samples than asked");
            atomic_store(&r->dev_failed, true);
            break;
        }
        if (!n)
            continue;
        if (!settling)
            screen(r, at, (size_t)n);
        size_t lost = 0;
        bool jump = false;
        if (has_time) {
            long long half = llround(0.5e9 / r->rate);
            if (have_next && tns > next_ns + half) {
                lost = (size_t)llround((double)(tns - next_ns) * r->rate / 1e9);
                jump = lost > 0;
            } else if (have_next && tns < next_ns - half) {
                atomic_fetch_add(&r->clock_errors, 1);
                jump = true;
            }
            next_ns = tns + llround(n * 1e9 / r->rate);
            have_next = true;
        } else {
            have_next = false;
        }
        clk += lost + (size_t)n;
        if (settling) { /* the tuner settles: read and discarded, not a drop */
            if (jump)
                iq_pool_drop(r->pool, lost);
            iq_pool_skip(r->pool, (size_t)n);
            atomic_fetch_add(&r->settling, (uint64_t)n);
            continue;
        }
        if (jump)
            gap(r, (size_t)n, lost);
        else
            r->have += (size_t)n;
        if (r->have == r->block)
            flush(r);
    }
    iq_pool_halt(r->pool);
    return NULL;
}

int iq_rx_run(iq_rx *r, sg_iq_sink sink, void *user, sg_errinfo *e)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    r->t0 = (double)now.tv_sec + now.tv_nsec * 1e-9; /* capture start: the only wall-clock use */
    r->have = 0;
    if (r->ops->activate(r->dev))
        return sg_err_set(e, SG_ENODEV, "\"%s\": cannot start the stream: %s", r->name,
                          dev_msg(r));
    pthread_t th;
    if (pthread_create(&th, NULL, device_thread, r)) {
        r->ops->deactivate(r->dev);
        return sg_err_set(e, SG_ENOMEM, "\"%s\": cannot start the device thread", r->name);
    }
    sg_iq_block tmpl = {.sample_rate = r->rate, .center_freq = r->fc, .t0 = r->t0,
                        .channels = r->nch > 1 ? (unsigned)r->nch : 0};
    int rc = iq_pool_pump(r->pool, sink, user, &tmpl, &r->stop, &r->dev_failed, &r->samples,
                          &r->blocks);
    atomic_store(&r->stop, true);
    pthread_join(th, NULL);
    iq_pool_discard(r->pool); /* committed after the pump's last look: counted lost */
    r->ops->deactivate(r->dev);
    if (!rc && atomic_load(&r->dev_failed))
        rc = sg_err_set(e, SG_ENODEV, "\"%s\": %s", r->name, r->dev_err);
    return rc;
}

void iq_rx_stop(iq_rx *r)
{
    atomic_store(&r->stop, true);
}

void iq_rx_stats(iq_rx *r, sg_adapter_stats *out)
{
    iq_pool_adapter_stats(r->pool, atomic_load(&r->samples), atomic_load(&r->blocks), out);
    out->overflows = atomic_load(&r->overflows);
    out->timeouts = atomic_load(&r->timeouts);
    out->clock_errors = atomic_load(&r->clock_errors);
    out->channels = (unsigned)r->nch;
    out->retunes = atomic_load(&r->retunes);
    out->samples_settling = atomic_load(&r->settling);
    out->scan_channels = r->plan.n;
    out->scan_cycle_s = scan_plan_cycle(&r->plan);
    out->scan_duty_min = scan_plan_duty_min(&r->plan);
    for (size_t c = 0; c < r->nch; c++) {
        out->ch_bad_samples[c] = atomic_load(&r->ch_bad[c]);
        out->ch_clipped[c] = atomic_load(&r->ch_clip[c]);
        out->bad_samples += out->ch_bad_samples[c];
    }
}
