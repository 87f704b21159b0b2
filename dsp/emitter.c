/* Emitter grouping, running features and classification (see emitter.h). */
#include "emitter.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sg_json.h"

typedef struct {
    double t_hist[EMITTER_HIST]; /* burst start times, ring */
    int n_hist, pos;
    double chan[EMITTER_MAX_CHAN]; /* distinct centre frequencies */
    double dur_m2;               /* Welford accumulator */
    uint64_t since_classify;
} em_priv;

struct emitters {
    const siglib *lib;
    emitters_cfg cfg;
    emitter *pub;
    em_priv *priv;
    size_t n;
    uint32_t next_id;
    emitters_stats st;
};

void emitters_cfg_default(emitters_cfg *c)
{
    c->max_emitters = 64;
    c->max_age_s = 5.0;
    c->band_window_hz = 100e6;
    c->bw_ratio_gate = 1.4;
    c->duration_ratio_gate = 1.3;
    c->min_bursts = 3;
}

int emitters_cfg_from_json(const cJSON *obj, const char *where, emitters_cfg *c,
                           sg_errinfo *e)
{
    static const char *const keys[] = {"max_emitters", "max_age_s", "band_window_hz",
                                       "bw_ratio_gate", "duration_ratio_gate", "min_bursts",
                                       NULL};
    emitters_cfg d;
    emitters_cfg_default(&d);
    long me, mb;
    int rc;
    if ((rc = sgj_check_keys(obj, where, keys, e)) ||
        (rc = sgj_int(obj, where, "max_emitters", false, (long)d.max_emitters, 1, 4096, &me, e)) ||
        (rc = sgj_number(obj, where, "max_age_s", false, d.max_age_s, 0.01, 3600, &d.max_age_s, e)) ||
        (rc = sgj_number(obj, where, "band_window_hz", false, d.band_window_hz, 1e3, 10e9,
                         &d.band_window_hz, e)) ||
        (rc = sgj_number(obj, where, "bw_ratio_gate", false, d.bw_ratio_gate, 1.01, 100,
                         &d.bw_ratio_gate, e)) ||
        (rc = sgj_number(obj, where, "duration_ratio_gate", false, d.duration_ratio_gate, 1.01,
                         1000, &d.duration_ratio_gate, e)) ||
        (rc = sgj_int(obj, where, "min_bursts", false, d.min_bursts, 1, 1000, &mb, e)))
        return rc;
    d.max_emitters = (size_t)me;
    d.min_bursts = (int)mb;
    *c = d;
    return SG_OK;
}

emitters *emitters_create(const siglib *lib, const emitters_cfg *cfg, sg_errinfo *e)
{
    emitters_cfg c;
    if (cfg)
        c = *cfg;
    else
        emitters_cfg_default(&c);
    if (!lib || c.max_emitters < 1 || c.max_emitters > 4096 || !(c.max_age_s > 0) ||
        !(c.band_window_hz > 0) || !(c.bw_ratio_gate > 1) || !(c.duration_ratio_gate > 1) ||
        c.min_bursts < 1) {
        sg_err_set(e, SG_EINVAL, "emitters: invalid configuration or no signature library");
        return NULL;
    }
    emitters *q = calloc(1, sizeof *q);
    if (q) {
        q->pub = calloc(c.max_emitters, sizeof *q->pub);
        q->priv = calloc(c.max_emitters, sizeof *q->priv);
    }
    if (!q || !q->pub || !q->priv) {
        emitters_destroy(q);
        sg_err_set(e, SG_ENOMEM, "emitters: out of memory");
        return NULL;
    }
    q->lib = lib;
    q->cfg = c;
    q->next_id = 1;
    return q;
}

void emitters_destroy(emitters *q)
{
    if (!q)
        return;
    free(q->pub);
    free(q->priv);
    free(q);
}

static void remove_at(emitters *q, size_t i)
{
    q->n--;
    if (i != q->n) {
        q->pub[i] = q->pub[q->n];
        q->priv[i] = q->priv[q->n];
    }
}

void emitters_expire(emitters *q, double t)
{
    for (size_t i = 0; i < q->n;) {
        if (q->pub[i].t_last < t - q->cfg.max_age_s) {
            remove_at(q, i);
            q->st.expired++;
        } else {
            i++;
        }
    }
}

static int cmp_d2(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Interval statistics from the start-time history: median interval and a robust
 * spread (median absolute deviation / median, x1.4826 to read like a CV). */
static void interval_stats(const em_priv *p, double *med, double *cv)
{
    *med = NAN, *cv = NAN;
    if (p->n_hist < 3)
        return;
    double t[EMITTER_HIST], d[EMITTER_HIST];
    int n = p->n_hist;
    for (int i = 0; i < n; i++)
        t[i] = p->t_hist[i];
    qsort(t, (size_t)n, sizeof(double), cmp_d);
    for (int i = 0; i + 1 < n; i++)
        d[i] = t[i + 1] - t[i];
    int m = n - 1;
    qsort(d, (size_t)m, sizeof(double), cmp_d);
    double md = m % 2 ? d[m / 2] : 0.5 * (d[m / 2 - 1] + d[m / 2]);
    for (int i = 0; i < m; i++)
        d[i] = fabs(d[i] - md);
    qsort(d, (size_t)m, sizeof(double), cmp_d);
    double mad = m % 2 ? d[m / 2] : 0.5 * (d[m / 2 - 1] + d[m / 2]);
    *med = md;
    *cv = md > 0 ? 1.4826 * mad / md : NAN;
}

static void classify(emitters *q, size_t i)
{
    emitter *em = &q->pub[i];
    em_priv *p = &q->priv[i];
    sig_features *f = &em->feat;
    for (int k = 0; k < SIG_F_COUNT_; k++)
        f->v[k] = NAN;
    f->fc = 0.5 * (em->fc_min + em->fc_max);
    f->v[SIG_F_BANDWIDTH] = em->bw_mean;
    f->v[SIG_F_DURATION] = em->dur_mean;
    if (em->n_bursts >= 3)
        f->v[SIG_F_DURATION_CV] = em->dur_mean > 0 ? em->dur_sd / em->dur_mean : NAN;
    interval_stats(p, &f->v[SIG_F_INTERVAL], &f->v[SIG_F_INTERVAL_CV]);
    double span = em->t_last - em->t_first;
    if (em->n_bursts >= 3 && span > 0) {
        f->v[SIG_F_RATE] = (double)em->n_bursts / span;
        f->v[SIG_F_DUTY] = fmin(1.0, em->on_time / span);
    }
    f->v[SIG_F_HOPS] = em->hop_channels;
    f->v[SIG_F_SPREAD] = em->fc_max - em->fc_min;
    f->v[SIG_F_CONT] = (double)em->n_continuing / (double)em->n_bursts;

    p->since_classify = 0;
    if (em->decoded)
        return; /* a decoder proved the class: features do not overrule it */
    if (em->n_bursts < (uint64_t)q->cfg.min_bursts) {
        snprintf(em->cls, sizeof em->cls, "unknown");
        em->cls_conf = 0, em->is_drone = false, em->sig_index = -1;
        return;
    }
    double score, cov;
    int k = siglib_classify(q->lib, f, &score, &cov);
    /* evidence grows with bursts: full weight from 8 on */
    double maturity = fmin(1.0, (double)em->n_bursts / 8.0);
    if (k >= 0) {
        const signature *s = siglib_get(q->lib, (size_t)k);
        snprintf(em->cls, sizeof em->cls, "%s", s->cls);
        em->cls_conf = score * cov * maturity;
        em->is_drone = s->drone;
        em->sig_index = k;
    } else if (isfinite(f->v[SIG_F_INTERVAL_CV]) && f->v[SIG_F_INTERVAL_CV] < 0.25 &&
               em->n_bursts >= 4) {
        /* periodic but like nothing known: worth reporting, never silently dropped */
        snprintf(em->cls, sizeof em->cls, "unknown_periodic");
        em->cls_conf = (1.0 - f->v[SIG_F_INTERVAL_CV]) * maturity * 0.5;
        em->is_drone = true;
        em->sig_index = -1;
    } else {
        snprintf(em->cls, sizeof em->cls, "unknown");
        em->cls_conf = 0, em->is_drone = false, em->sig_index = -1;
    }
}

/* Durations proved constant (3+ bursts, CV < 0.12, which leaves room for the front
 * end's duration noise): one kind of packet. */
static bool is_stable(const emitter *em)
{
    return em->n_bursts >= 3 && em->dur_mean > 0 && em->dur_sd / em->dur_mean < 0.12;
}

/* Durations proved spread (3+ bursts, CV > 0.25): 802.11-like traffic. */
static bool is_spread(const emitter *em)
{
    return em->n_bursts >= 3 && em->dur_mean > 0 && em->dur_sd / em->dur_mean > 0.25;
}

static int cmp_d2(const void *a, const void *b);

/* src joins dst (summary statistics combined exactly: parallel Welford). */
static void merge_into(emitters *q, size_t di, size_t si)
{
    emitter *d = &q->pub[di];
    const emitter *s = &q->pub[si];
    em_priv *pd = &q->priv[di];
    const em_priv *ps = &q->priv[si];
    double n1 = (double)d->n_bursts, n2 = (double)s->n_bursts, n = n1 + n2;
    double delta = s->dur_mean - d->dur_mean;
    pd->dur_m2 += ps->dur_m2 + delta * delta * n1 * n2 / n;
    d->dur_mean = (n1 * d->dur_mean + n2 * s->dur_mean) / n;
    d->dur_sd = n > 1 ? sqrt(pd->dur_m2 / (n - 1)) : 0;
    d->bw_mean = (n1 * d->bw_mean + n2 * s->bw_mean) / n;
    d->snr_db = (n1 * d->snr_db + n2 * s->snr_db) / n;
    d->n_bursts += s->n_bursts;
    d->n_continuing += s->n_continuing;
    d->on_time += s->on_time;
    d->dur_min = fmin(d->dur_min, s->dur_min);
    d->dur_max = fmax(d->dur_max, s->dur_max);
    d->fc_min = fmin(d->fc_min, s->fc_min);
    d->fc_max = fmax(d->fc_max, s->fc_max);
    d->t_first = fmin(d->t_first, s->t_first);
    d->t_last = fmax(d->t_last, s->t_last);
    double res = fmax(0.5 * d->bw_mean, 10e3);
    for (int c = 0; c < s->hop_channels && d->hop_channels < EMITTER_MAX_CHAN; c++) {
        int seen = 0;
        for (int k = 0; k < d->hop_channels && !seen; k++)
            seen = fabs(pd->chan[k] - ps->chan[c]) < res;
        if (!seen)
            pd->chan[d->hop_channels++] = ps->chan[c];
    }
    /* keep the latest EMITTER_HIST start times of both */
    double t[2 * EMITTER_HIST];
    int nt = 0;
    for (int i = 0; i < pd->n_hist; i++)
        t[nt++] = pd->t_hist[i];
    for (int i = 0; i < ps->n_hist; i++)
        t[nt++] = ps->t_hist[i];
    qsort(t, (size_t)nt, sizeof(double), cmp_d2);
    int keep = nt < EMITTER_HIST ? nt : EMITTER_HIST;
    for (int i = 0; i < keep; i++)
        pd->t_hist[i] = t[nt - keep + i];
    pd->n_hist = keep;
    pd->pos = keep % EMITTER_HIST;
    if (s->decoded && !d->decoded) {
        d->decoded = true;
        memcpy(d->cls, s->cls, sizeof d->cls); /* d != s: distinct emitters */
        d->cls_conf = s->cls_conf;
        d->is_drone = s->is_drone;
        d->sig_index = s->sig_index;
        memcpy(d->identity, s->identity, sizeof d->identity);
    }
    q->st.merged++;
}

static bool fixed_channel(const emitter *em)
{
    return (em->n_bursts >= 8 && em->hop_channels == 1) || is_spread(em);
}

/* Fragments of one transmitter are folded together once the evidence allows: the
 * young-emitter duration gate, measurement noise and spread packet lengths can split
 * one link into pieces that then share its bursts (and dilute its rate, interval and
 * hop features). f joins e when they share the band and the bandwidth and
 *   - e is proved spread (802.11-like) and f is a non-hopping piece on e's channel, or
 *   - their duration ranges overlap and, if either is a fixed-channel emitter, they
 *     sit on the same channel.
 * DroneID (0.57-0.64 ms) and DJI video (~1 ms) never overlap, nor do Bluetooth packet
 * types; two links of the same kind in one band do merge (a known limit).
 * Returns the (possibly moved) index of emitter i. */
static size_t merge_related(emitters *q, size_t i)
{
    for (size_t k = 0; k < q->n;) {
        const emitter *e = &q->pub[i], *f = &q->pub[k];
        bool same_chan = fabs(f->fc_last - e->fc_last) < 0.5 * e->bw_mean;
        bool ok = k != i && fabs(log(f->bw_mean / e->bw_mean)) < log(q->cfg.bw_ratio_gate) &&
                  !(e->identity[0] && f->identity[0] && strcmp(e->identity, f->identity) != 0) &&
                  f->fc_max > e->fc_min - q->cfg.band_window_hz &&
                  f->fc_min < e->fc_max + q->cfg.band_window_hz;
        if (ok) {
            if (is_spread(e))
                ok = f->hop_channels <= 2 && same_chan;
            else
                ok = f->dur_min <= e->dur_max && f->dur_max >= e->dur_min &&
                     e->n_bursts >= 3 && f->n_bursts >= 3 && !is_spread(f) &&
                     (same_chan || (!fixed_channel(e) && !fixed_channel(f)));
        }
        if (!ok) {
            k++;
            continue;
        }
        merge_into(q, i, k);
        size_t last = q->n - 1;
        remove_at(q, k);
        if (i == last)
            i = k; /* the survivor was moved into the hole */
    }
    return i;
}

/* Matching cost of burst b against emitter i (< 0 = gated out). */
static double match_cost(const emitters *q, size_t i, const sg_burst *b)
{
    const emitter *em = &q->pub[i];
    if (b->fc < em->fc_min - q->cfg.band_window_hz || b->fc > em->fc_max + q->cfg.band_window_hz)
        return -1;
    /* an emitter that has stayed on one channel for 8+ bursts is a fixed-frequency
     * link (Wi-Fi AP, video downlink): other channels are other transmitters */
    if (em->n_bursts >= 8 && em->hop_channels == 1 &&
        fabs(b->fc - em->fc_last) > 0.5 * em->bw_mean)
        return -1;
    /* spread packet lengths mean 802.11-like traffic, which does not hop either */
    if (is_spread(em) && fabs(b->fc - em->fc_last) > 0.5 * em->bw_mean)
        return -1;
    double rb = fabs(log(b->bandwidth / em->bw_mean)) / log(q->cfg.bw_ratio_gate);
    if (rb >= 1)
        return -1;
    /* durations, measured from the emitter's observed [min, max] range: tight while
     * young (so a DJI video burst, ~1 ms, does not join a young DroneID emitter,
     * 0.64 ms) and once proved stable (OFDM bursts, hopping packets); loose once proved
     * spread (Wi-Fi-like traffic; its young fragments are merged, see merge_spread) */
    double gate = em->n_bursts < 3 ? fmax(q->cfg.duration_ratio_gate, 1.35)
                  : is_stable(em)  ? q->cfg.duration_ratio_gate
                                   : fmax(q->cfg.duration_ratio_gate, 20.0);
    double ld = log(b->duration);
    double out = ld < log(em->dur_min) ? log(em->dur_min) - ld
                 : ld > log(em->dur_max) ? ld - log(em->dur_max) : 0.0;
    double rd = out / log(gate);
    if (rd >= 1)
        return -1;
    rd += 0.1 * fabs(log(b->duration / em->dur_mean));
    /* prefer emitters already using this frequency */
    double rf = fabs(b->fc - em->fc_last) / q->cfg.band_window_hz;
    return rb + rd + 0.25 * rf;
}

int emitters_add_burst(emitters *q, const sg_burst *b, uint32_t *id)
{
    if (id)
        *id = 0;
    if (!q || !b || !isfinite(b->t_start) || !isfinite(b->fc) || !(b->duration > 0) ||
        !(b->bandwidth > 0) || !isfinite(b->duration) || !isfinite(b->bandwidth) || b->fc < 0) {
        if (q)
            q->st.invalid++;
        return SG_EINVAL;
    }
    emitters_expire(q, b->t_start);
    long best = -1;
    double bc = 1e300;
    for (size_t i = 0; i < q->n; i++) {
        double c = match_cost(q, i, b);
        if (c >= 0 && c < bc)
            bc = c, best = (long)i;
    }
    if (best < 0) {
        if (q->n == q->cfg.max_emitters) {
            size_t old = 0;
            for (size_t i = 1; i < q->n; i++)
                if (q->pub[i].t_last < q->pub[old].t_last)
                    old = i;
            remove_at(q, old);
            q->st.evicted++;
        }
        best = (long)q->n++;
        emitter *em = &q->pub[best];
        memset(em, 0, sizeof *em);
        memset(&q->priv[best], 0, sizeof q->priv[best]);
        em->id = q->next_id++;
        em->t_first = b->t_start;
        em->fc_min = em->fc_max = b->fc;
        em->bw_mean = b->bandwidth;
        em->dur_mean = b->duration;
        em->dur_min = em->dur_max = b->duration;
        em->sig_index = -1;
        snprintf(em->cls, sizeof em->cls, "unknown");
        q->st.created++;
    }
    emitter *em = &q->pub[best];
    em_priv *p = &q->priv[best];
    em->n_bursts++;
    double nb = (double)em->n_bursts;
    em->sensor = b->sensor;
    em->t_last = fmax(em->t_last, b->t_start + b->duration);
    em->bw_mean += (b->bandwidth - em->bw_mean) / nb;
    double dd = b->duration - em->dur_mean;
    em->dur_mean += dd / nb;
    p->dur_m2 += dd * (b->duration - em->dur_mean);
    em->dur_sd = nb > 1 ? sqrt(p->dur_m2 / (nb - 1)) : 0;
    em->on_time += b->duration;
    if (b->flags & SG_BURST_CONTINUING)
        em->n_continuing++;
    em->dur_min = fmin(em->dur_min, b->duration);
    em->dur_max = fmax(em->dur_max, b->duration);
    em->fc_min = fmin(em->fc_min, b->fc);
    em->fc_max = fmax(em->fc_max, b->fc);
    em->fc_last = b->fc;
    em->snr_db += (b->mean_snr_db - em->snr_db) / nb;
    if (em->hop_channels < EMITTER_MAX_CHAN) {
        double res = fmax(0.5 * em->bw_mean, 10e3);
        int seen = 0;
        for (int c = 0; c < em->hop_channels && !seen; c++)
            seen = fabs(p->chan[c] - b->fc) < res;
        if (!seen)
            p->chan[em->hop_channels++] = b->fc;
    }
    p->t_hist[p->pos] = b->t_start;
    p->pos = (p->pos + 1) % EMITTER_HIST;
    if (p->n_hist < EMITTER_HIST)
        p->n_hist++;
    q->st.bursts++;
    size_t bi = merge_related(q, (size_t)best);
    if (bi != (size_t)best) {
        best = (long)bi;
        em = &q->pub[best];
        p = &q->priv[best];
    }
    /* reclassify on every burst while young, then every 8th (bounded cost at
     * thousands of Wi-Fi bursts per second) */
    if (em->n_bursts <= 32 || ++p->since_classify >= 8)
        classify(q, (size_t)best);
    if (id)
        *id = em->id;
    return SG_OK;
}

void emitters_get(const emitters *q, const emitter **list, size_t *n)
{
    *list = q->pub;
    *n = q->n;
}

const emitter *emitters_find(const emitters *q, uint32_t id)
{
    for (size_t i = 0; i < q->n; i++)
        if (q->pub[i].id == id)
            return &q->pub[i];
    return NULL;
}

void emitters_get_stats(const emitters *q, emitters_stats *s)
{
    *s = q->st;
}

int emitters_pin_decoded(emitters *q, uint32_t id, const char *cls, const char *identity)
{
    if (!q || !cls || !cls[0])
        return SG_EINVAL;
    for (size_t i = 0; i < q->n; i++) {
        emitter *em = &q->pub[i];
        if (em->id != id)
            continue;
        em->decoded = true;
        snprintf(em->cls, sizeof em->cls, "%s", cls);
        em->cls_conf = 1.0;
        em->is_drone = true;
        int k = siglib_find(q->lib, cls);
        em->sig_index = k;
        if (k >= 0)
            em->is_drone = siglib_get(q->lib, (size_t)k)->drone;
        if (identity && identity[0]) {
            /* two transmitters on one emitter (same channel and shape): no serial is
             * better than a wrong one; the decoded messages carry their own */
            if (em->identity[0] && strcmp(em->identity, identity) != 0)
                em->identity_conflict = true;
            if (em->identity_conflict)
                em->identity[0] = '\0';
            else
                snprintf(em->identity, sizeof em->identity, "%s", identity);
        }
        return SG_OK;
    }
    return SG_ENOTFOUND;
}

int emitter_to_measurement(const emitter *em, double t, sg_measurement *out)
{
    if (!em || !out || !isfinite(t))
        return SG_EINVAL;
    if (!em->is_drone)
        return SG_ENOTFOUND;
    memset(out, 0, sizeof *out);
    out->t = t;
    out->sensor = em->sensor;
    out->type = SG_MEAS_RF_PRESENCE;
    snprintf(out->cls, sizeof out->cls, "%s", em->cls);
    out->cls_conf = em->cls_conf;
    snprintf(out->identity, sizeof out->identity, "%s", em->identity);
    out->operator_alt = NAN;
    return SG_OK;
}
