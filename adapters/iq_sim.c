/* "sim": a simulated live SDR. A device thread synthesises IQ (dsp/siggen.h: drone
 * links and interferers in noise) into the same pre-allocated pool and consumer loop
 * as the SoapySDR adapter, optionally paced to the sample rate like real hardware.
 * It lets the live path (never-blocking producer, counted drops, discontinuity
 * flags) run end to end without hardware: in tests, demos and the daemon.
 *
 * With a channel plan ("scan", scan_plan.h) it is one SDR hopping over the plan: the
 * signals are placed at their RF frequency (center_freq + freq_offset) and each channel
 * receives those whose centre lies in its band (a generator per channel, all running on
 * the one sample clock, so a signal is on air whether or not the SDR listens); the SDR
 * delivers the current channel's samples, stamped with its centre, loses settle_s after
 * each retune (counted, the next block flagged discontinuous). */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "iq_pool.h"
#include "scan_plan.h"
#include "sg_clock.h"
#include "sg_adapter.h"
#include "sg_json.h"
#include "siggen.h"
#include "sigmf.h"

typedef struct {
    siggen *gen;
    siggen *cgen[SCAN_PLAN_MAX]; /* with a plan: one generator per channel */
    scan_plan plan;
    atomic_uint_least64_t retunes, settling;
    iq_pool *pool;
    float complex *scratch;
    size_t block;
    double rate, fc, t0;
    bool realtime;
    uint64_t total;
    atomic_bool stop, done;
    atomic_uint_least64_t samples, blocks;
    char err[256];
} sim_state;

static void sim_close(void *st)
{
    sim_state *s = st;
    if (!s)
        return;
    siggen_destroy(s->gen);
    for (unsigned i = 0; i < s->plan.n; i++)
        siggen_destroy(s->cgen[i]);
    iq_pool_destroy(s->pool);
    free(s->scratch);
    free(s);
}

static int sim_open(void **out, const cJSON *o, const char *where, sg_errinfo *e)
{
    static const char *const keys[] = {"type", "sample_rate", "center_freq", "duration",
                                       "noise_dbfs", "seed", "datetime", "signals", "realtime",
                                       "pool_blocks", "block_samples", "scan", NULL};
    double rate, fc, dur, noise;
    long seed, pool, block;
    bool rt;
    char dt[40];
    const cJSON *sigs, *scan;
    int rc;
    *out = NULL;
    if (!where)
        where = "sim";
    if ((rc = sgj_check_keys(o, where, keys, e)) ||
        (rc = sgj_number(o, where, "sample_rate", true, 0, 1e5, 1e9, &rate, e)) ||
        (rc = sgj_number(o, where, "center_freq", false, 2.4415e9, 0, 1e11, &fc, e)) ||
        (rc = sgj_number(o, where, "duration", false, 10, 1e-3, 86400, &dur, e)) ||
        (rc = sgj_number(o, where, "noise_dbfs", false, -40, -150, 0, &noise, e)) ||
        (rc = sgj_int(o, where, "seed", false, 1, 0, 4294967295L, &seed, e)) ||
        (rc = sgj_string(o, where, "datetime", false, "", dt, sizeof dt, e)) ||
        (rc = sgj_array(o, where, "signals", false, &sigs, e)) ||
        (rc = sgj_bool(o, where, "realtime", false, true, &rt, e)) ||
        (rc = sgj_int(o, where, "pool_blocks", false, 64, 2, 65536, &pool, e)) ||
        (rc = sgj_int(o, where, "block_samples", false, 65536, 256, 1 << 22, &block, e)) ||
        (rc = sgj_object(o, where, "scan", false, &scan, e)))
        return rc;
    scan_plan plan;
    char wscan[300];
    snprintf(wscan, sizeof wscan, "%s.scan", where);
    if ((rc = scan_plan_from_json(&plan, scan, wscan, e)))
        return rc;
    double t0 = 0;
    if (dt[0] && sigmf_parse_datetime(dt, &t0))
        return sg_err_set(e, SG_EINVAL, "%s.datetime: \"%s\" is not ISO 8601 UTC", where, dt);
    sim_state *s = calloc(1, sizeof *s);
    if (!s)
        return sg_err_set(e, SG_ENOMEM, "%s: out of memory", where);
    s->rate = rate;
    s->fc = fc;
    s->t0 = t0;
    s->plan = plan;
    s->realtime = rt;
    s->block = (size_t)block;
    s->gen = siggen_create(rate, dur, fc, pow(10.0, noise / 10.0), (uint32_t)seed, e);
    bool gens_ok = s->gen != NULL;
    for (unsigned i = 0; gens_ok && i < plan.n; i++)
        gens_ok = (s->cgen[i] = siggen_create(rate, dur, plan.ch[i].center_freq,
                                              pow(10.0, noise / 10.0),
                                              (uint32_t)seed + 7919u * (i + 1), e)) != NULL;
    s->pool = gens_ok ? iq_pool_create((unsigned)pool, (size_t)block, e) : NULL;
    s->scratch = malloc((size_t)block * sizeof *s->scratch);
    if (!gens_ok || !s->pool || !s->scratch) {
        rc = e && e->code ? e->code : sg_err_set(e, SG_ENOMEM, "%s: out of memory", where);
        sim_close(s);
        return rc;
    }
    for (int i = 0; sigs && i < cJSON_GetArraySize(sigs); i++) {
        char w[600];
        siggen_signal g;
        snprintf(w, sizeof w, "%s.signals[%d]", where, i);
        if ((rc = siggen_signal_from_json(&g, cJSON_GetArrayItem(sigs, i), w, e)) ||
            (!plan.n && (rc = siggen_add(s->gen, &g, e)))) {
            if (e)
                sg_err_prefix(e, w);
            sim_close(s);
            return rc;
        }
        /* with a plan: on every channel whose band holds its centre */
        double f = fc + g.freq_offset;
        unsigned on = 0;
        for (unsigned c = 0; c < plan.n; c++) {
            siggen_signal gc = g;
            gc.freq_offset = f - plan.ch[c].center_freq;
            if (!(fabs(gc.freq_offset) < rate / 2))
                continue;
            on++;
            if ((rc = siggen_add(s->cgen[c], &gc, e))) {
                if (e)
                    sg_err_prefix(e, w);
                sim_close(s);
                return rc;
            }
        }
        if (plan.n && !on) {
            rc = sg_err_set(e, SG_EINVAL, "%s: at %.6g Hz, outside every channel of the scan plan",
                            w, f);
            sim_close(s);
            return rc;
        }
    }
    s->total = siggen_length(s->gen);
    *out = s;
    return SG_OK;
}

/* Generates the next n samples of the stream into dst: the one generator, or with a
 * plan every channel's (so all keep the sample clock) with channel ch's into dst. */
static int sim_generate(sim_state *s, unsigned ch, float complex *dst, size_t n, sg_errinfo *e)
{
    if (!s->plan.n)
        return siggen_generate(s->gen, dst, n, e);
    for (unsigned c = 0; c < s->plan.n; c++) {
        int rc = siggen_generate(s->cgen[c], c == ch ? dst : s->scratch, n, e);
        if (rc)
            return rc;
    }
    return SG_OK;
}

static void *sim_thread(void *arg)
{
    sim_state *s = arg;
    sg_pacer pace;
    sg_pacer_init(&pace);
    iq_pool_block *b = NULL;
    uint64_t made = 0;
    unsigned cur = SCAN_PLAN_MAX; /* channel tuned (none yet) */
    while (!atomic_load(&s->stop) && made < s->total) {
        size_t n = s->total - made < s->block ? (size_t)(s->total - made) : s->block;
        unsigned ch = 0;
        bool settling = false;
        if (s->plan.n) { /* blocks end where the plan changes state */
            double until;
            scan_plan_at(&s->plan, (double)made / s->rate, &ch, &settling, &until);
            double left = ceil(until * s->rate) - (double)made;
            if (left < 1)
                left = 1;
            if (left < (double)n)
                n = (size_t)left;
            if (ch != cur) {
                if (cur != SCAN_PLAN_MAX)
                    atomic_fetch_add(&s->retunes, 1);
                cur = ch;
            }
        }
        /* a device delivers a block once it has been received */
        if (s->realtime && sg_pacer_wait(&pace, (double)made / s->rate,
                                         (double)(made + n) / s->rate, &s->stop))
            break;
        sg_errinfo e = {0};
        if (settling) { /* the tuner settles: on air goes on, nothing is received */
            if (sim_generate(s, SCAN_PLAN_MAX, s->scratch, n, &e)) {
                snprintf(s->err, sizeof s->err, "%s", e.msg);
                break;
            }
            iq_pool_skip(s->pool, n);
            atomic_fetch_add(&s->settling, n);
            made += n;
            continue;
        }
        if (!b)
            b = iq_pool_acquire(s->pool);
        float complex *dst = b ? b->x : s->scratch;
        if (sim_generate(s, ch, dst, n, &e)) {
            snprintf(s->err, sizeof s->err, "%s", e.msg);
            break;
        }
        if (b) {
            b->n = n;
            if (s->plan.n)
                b->center_freq = s->plan.ch[ch].center_freq;
            iq_pool_commit(s->pool, b);
            b = NULL;
        } else {
            iq_pool_drop(s->pool, n); /* the consumer is behind: the samples are lost */
        }
        made += n;
    }
    atomic_store(&s->done, true);
    iq_pool_halt(s->pool);
    return NULL;
}

static int sim_run(void *st, sg_iq_sink sink, void *user, sg_errinfo *e)
{
    sim_state *s = st;
    pthread_t th;
    if (pthread_create(&th, NULL, sim_thread, s))
        return sg_err_set(e, SG_ENOMEM, "sim: cannot start the device thread");
    sg_iq_block tmpl = {.sample_rate = s->rate, .center_freq = s->fc, .t0 = s->t0};
    int rc = iq_pool_pump(s->pool, sink, user, &tmpl, &s->stop, &s->done, &s->samples, &s->blocks);
    atomic_store(&s->stop, true);
    pthread_join(th, NULL);
    iq_pool_discard(s->pool); /* committed after the pump's last look: counted lost */
    if (!rc && s->err[0])
        rc = sg_err_set(e, SG_EINVAL, "sim: %s", s->err);
    return rc;
}

static void sim_stop(void *st)
{
    atomic_store(&((sim_state *)st)->stop, true);
}

static void sim_stats(void *st, sg_adapter_stats *out)
{
    sim_state *s = st;
    iq_pool_adapter_stats(s->pool, atomic_load(&s->samples), atomic_load(&s->blocks), out);
    out->retunes = atomic_load(&s->retunes);
    out->samples_settling = atomic_load(&s->settling);
    out->scan_channels = s->plan.n;
    out->scan_cycle_s = scan_plan_cycle(&s->plan);
    out->scan_duty_min = scan_plan_duty_min(&s->plan);
}

const sg_iq_adapter sg_adapter_sim = {
    .name = "sim",
    .help = "Simulated live SDR: synthetic drone links and interferers in noise (see sg_gen).\n"
            "  sample_rate    Hz (required)\n"
            "  center_freq    Hz (default 2.4415e9)\n"
            "  duration       s of signal to produce (default 10)\n"
            "  noise_dbfs     total noise power, dB full scale (default -40)\n"
            "  seed           random seed (default 1)\n"
            "  datetime       ISO 8601 UTC of the first sample (default: t0 = 0)\n"
            "  signals        [{\"kind\", \"snr_db\", \"freq_offset\", \"t_start\", \"period\",\n"
            "                  \"duration\", \"bandwidth\"}] (kinds as sg_gen)\n"
            "  realtime       pace to the sample rate like hardware (default true)\n"
            "  pool_blocks    pre-allocated blocks, 2..65536 (64)\n"
            "  block_samples  samples per block, 256..4194304 (65536)\n"
            "  scan           channel plan {\"channels\": [{\"center_freq\", \"dwell_s\"}],\n"
            "                 \"dwell_s\", \"settle_s\"}: hop one SDR over the channels\n"
            "                 (signals at center_freq + freq_offset; docs/rf-frontend.md)\n"
            "  Like a device, it never waits for the consumer: a full pool drops whole\n"
            "  blocks (counted) and flags the next one discontinuous.\n",
    .live = true,
    .open = sim_open,
    .run = sim_run,
    .stop = sim_stop,
    .close = sim_close,
    .stats = sim_stats,
};
