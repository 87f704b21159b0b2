/* RF front end (see frontend.h): IQ history ring + spectrogram + burst detector,
 * and the conversion of detector regions into sg_burst records with their IQ.
 *
 * Blocks are processed in chunks of batch * hop samples: each chunk is written to the
 * ring before the spectrogram sees it, so every region the chunk closes still has its
 * samples in the ring. A closed region waits in a small pending list until margin_s
 * of samples after it have arrived, then is delivered. The ring is sized so that the
 * longest burst plus margins plus the spectrogram latency always fits. */
#include "frontend_int.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <fftw3.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "sg_json.h"
#include "sg_mem.h"

void frontend_cfg_default(frontend_cfg *c)
{
    memset(c, 0, sizeof *c);
    c->nfft = 1024;
    c->overlap = 0;
    c->batch = 16;
    c->window = SPECTRO_WIN_HANN;
    /* the detector's own defaults (burst.c), where the front end has the same knob */
    burstdet_cfg bd;
    burstdet_cfg_default(&bd, c->nfft, c->nfft);
    c->threshold_db = bd.threshold_db;
    c->seed_db = bd.seed_db;
    c->smooth_bins = bd.smooth_bins;
    c->wide_bins = bd.wide_bins;
    c->wide_threshold_db = bd.wide_threshold_db;
    c->wide_seed_db = bd.wide_seed_db;
    c->band_sigma = bd.band_sigma;
    c->band_seed_sigma = bd.band_seed_sigma;
    c->gap_frames = bd.gap_frames;
    c->warmup_frames = bd.warmup_frames;
    c->noise_alpha = bd.noise_alpha;
    c->noise_alpha_busy = bd.noise_alpha_busy;
    c->noise_decim = bd.noise_decim;
    c->max_regions = bd.max_regions;
    /* front-end knobs in Hz and seconds, and a wider merge than the bare detector's 2 bins */
    c->band_hz = 8e6;
    c->merge_bins = 8;
    c->max_burst_s = 0.05;
    c->margin_s = 20e-6;
    c->deliver_iq = true;
    c->iq_max_s = 0;
    c->sample_rate = 0;
    c->sensor = -1;
    c->threads = 1;
}

int frontend_cfg_from_json(frontend_cfg *c, const cJSON *o, const char *where, sg_errinfo *e)
{
    static const char *const keys[] = {
        "nfft", "overlap", "batch", "window", "fftw_measure", "threshold_db", "seed_db", "smooth_bins", "wide_bins",
        "wide_threshold_db", "wide_seed_db", "band_hz", "band_sigma", "band_seed_sigma",
        "merge_bins", "gap_frames", "min_duration_s", "min_bandwidth_hz", "max_burst_s",
        "warmup_frames", "noise_alpha", "noise_alpha_busy", "noise_decim", "max_regions",
        "margin_s", "deliver_iq", "sample_rate", "threads", NULL};
    static const char *const wins[] = {"hann", "hamming", "blackman", "rect"};
    frontend_cfg_default(c);
    if (!o)
        return SG_OK;
    if (!where)
        where = "frontend";
    if (!cJSON_IsObject(o))
        return sg_err_set(e, SG_EINVAL, "%s: must be an object", where);
    int rc = sgj_check_keys(o, where, keys, e);
    long l;
    int w;
#define INT(key, field, lo, hi)                                                    \
    if (!rc && !(rc = sgj_int(o, where, key, false, (long)c->field, lo, hi, &l, e))) \
        c->field = (unsigned)l;
#define NUM(key, field, lo, hi) \
    if (!rc) rc = sgj_number(o, where, key, false, c->field, lo, hi, &c->field, e);
    INT("nfft", nfft, 64, 65536);
    NUM("overlap", overlap, 0, 0.75);
    INT("batch", batch, 1, 256);
    if (!rc && !(rc = sgj_enum(o, where, "window", false, (int)c->window, wins, 4, &w, e)))
        c->window = (spectro_window)w;
    if (!rc) rc = sgj_bool(o, where, "fftw_measure", false, c->fftw_measure, &c->fftw_measure, e);
    NUM("threshold_db", threshold_db, 1, 40);
    NUM("seed_db", seed_db, 1, 50);
    INT("smooth_bins", smooth_bins, 0, 16);
    INT("wide_bins", wide_bins, 0, 64);
    NUM("wide_threshold_db", wide_threshold_db, 0.5, 40);
    NUM("wide_seed_db", wide_seed_db, 0.5, 50);
    NUM("band_sigma", band_sigma, 2, 20);
    NUM("band_seed_sigma", band_seed_sigma, 2, 40);
    NUM("band_hz", band_hz, 0, 1e9);
    INT("merge_bins", merge_bins, 0, 64);
    INT("gap_frames", gap_frames, 0, 64);
    NUM("min_duration_s", min_duration_s, 0, 10);
    NUM("min_bandwidth_hz", min_bandwidth_hz, 0, 1e10);
    NUM("max_burst_s", max_burst_s, 1e-4, 10);
    INT("warmup_frames", warmup_frames, 8, 4096);
    NUM("noise_alpha", noise_alpha, 1e-9, 1);
    NUM("noise_alpha_busy", noise_alpha_busy, 0, 1);
    INT("noise_decim", noise_decim, 1, 64);
    INT("max_regions", max_regions, 1, 4096);
    NUM("margin_s", margin_s, 0, 0.01);
    if (!rc) rc = sgj_bool(o, where, "deliver_iq", false, c->deliver_iq, &c->deliver_iq, e);
    NUM("sample_rate", sample_rate, 0, 1e10);
    INT("threads", threads, 1, FRONTEND_MAX_THREADS);
#undef INT
#undef NUM
    if (rc)
        return rc;
    if (c->nfft & (c->nfft - 1))
        return sg_err_set(e, SG_EINVAL, "%s.nfft: must be a power of two, got %u", where, c->nfft);
    if (c->wide_bins && (c->wide_bins < 2 || (c->wide_bins & (c->wide_bins - 1)) ||
                         c->wide_bins * 4 >= c->nfft))
        return sg_err_set(e, SG_EINVAL,
                          "%s.wide_bins: must be 0 (off) or a power of two in [2, 64] below "
                          "nfft/4, got %u", where, c->wide_bins);
    if (c->wide_seed_db < c->wide_threshold_db)
        return sg_err_set(e, SG_ERANGE, "%s.wide_seed_db: must be at least wide_threshold_db (%g)",
                          where, c->wide_threshold_db);
    if (c->band_hz != 0 && c->band_hz < 1e6)
        return sg_err_set(e, SG_ERANGE, "%s.band_hz: must be 0 (off) or 1e6..1e9 Hz, got %g",
                          where, c->band_hz);
    if (c->band_seed_sigma < c->band_sigma)
        return sg_err_set(e, SG_ERANGE, "%s.band_seed_sigma: must be at least band_sigma (%g)",
                          where, c->band_sigma);
    if (c->seed_db < c->threshold_db)
        return sg_err_set(e, SG_ERANGE, "%s.seed_db: must be at least threshold_db (%g)", where,
                          c->threshold_db);
    if (c->noise_alpha_busy > c->noise_alpha)
        return sg_err_set(e, SG_ERANGE, "%s.noise_alpha_busy: must not exceed noise_alpha (%g)",
                          where, c->noise_alpha);
    return SG_OK;
}

static void release(frontend *q)
{
    if (q->ring && q->ring_wait) /* the caller's windows in the ring go with it */
        q->ring_wait(q->ring_wait_user, UINT64_MAX);
    q->ring_end = 0;
    spectro_destroy(q->sp);
    burstdet_destroy(q->det);
    free(q->ring);
    free(q->copy);
    q->sp = NULL;
    q->det = NULL;
    q->ring = NULL;
    q->copy = NULL;
    q->fs = 0;
}

/* Adds the counters of the current detector and spectrogram (those since the last
 * setup()) to *acc; returns whether the detector's floor is seeded (false without one). */
static bool det_counts_add(const frontend *q, fe_det_counts *acc)
{
    if (!q->det)
        return false;
    burstdet_stats bs;
    burstdet_stats_get(q->det, &bs);
    acc->small += bs.regions_small;
    acc->weak += bs.regions_weak;
    acc->dropped += bs.regions_dropped;
    acc->hot += bs.hot_cells;
    acc->frames += spectro_frames(q->sp);
    return bs.warm;
}

/* Allocates everything that depends on the sample rate. */
static int setup(frontend *q, double fs, sg_errinfo *e)
{
    const frontend_cfg *c = &q->cfg;
    det_counts_add(q, &q->base);
    release(q);
    unsigned hop = (unsigned)lround(c->nfft * (1.0 - c->overlap));
    if (hop < 1)
        hop = 1;
    spectro_cfg sc;
    spectro_cfg_default(&sc);
    sc.nfft = c->nfft;
    sc.hop = hop;
    sc.batch = c->batch;
    sc.window = c->window;
    sc.fftw_flags = c->fftw_measure ? FFTW_MEASURE : FFTW_ESTIMATE;
    q->sp = spectro_create(&sc, e);
    if (!q->sp)
        return e ? e->code : SG_EINVAL;
    if (c->threads > 1 && !q->pool && !(q->pool = fe_pool_create(c->threads, &sc, e)))
        return e ? e->code : SG_ENOMEM;
    float *cdf = malloc((c->nfft + 1) * sizeof(float));
    if (!cdf)
        return sg_err_set(e, SG_ENOMEM, "frontend: out of memory");
    spectro_window_cdf(q->sp, cdf);
    burstdet_cfg bc;
    burstdet_cfg_default(&bc, c->nfft, hop);
    bc.threshold_db = c->threshold_db;
    bc.seed_db = c->seed_db;
    bc.smooth_bins = c->smooth_bins;
    bc.wide_bins = c->wide_bins;
    bc.wide_threshold_db = c->wide_threshold_db;
    bc.wide_seed_db = c->wide_seed_db;
    bc.merge_bins = c->merge_bins;
    bc.gap_frames = c->gap_frames;
    /* a weak burst the band detector loses for up to 50 us (most of a DroneID symbol) stays
     * one region (burst.h band_gap_frames) */
    bc.band_gap_frames = (unsigned)fmin(64, ceil(50e-6 * fs / hop));
    double binw = fs / c->nfft;
    /* the band detector's window in bins: a multiple of 4 p (p the power of two nearest
     * below 1/32 of it, so its quarters fall on the grid of windows it tries, burst.c);
     * off where it would be under 16 bins or not fit the capture band */
    unsigned bb = c->band_hz > 0 ? (unsigned)floor(c->band_hz / binw) : 0, bp = 1;
    while (2 * bp <= bb / 32)
        bp *= 2;
    bb = bb / (4 * bp) * (4 * bp);
    bc.band_bins = bb >= 16 && bb + 8 <= c->nfft ? bb : 0;
    bc.band_sigma = c->band_sigma;
    bc.band_seed_sigma = c->band_seed_sigma;
    /* variance factor of a sum of neighbouring bins: 1 + 2 sum_d |rho_d|^2, rho_d the
     * correlation of bins d apart under the window (from its squared coefficients) */
    static const double kappa[] = {[SPECTRO_WIN_HANN] = 1.944, [SPECTRO_WIN_HAMMING] = 1.817,
                                   [SPECTRO_WIN_BLACKMAN] = 2.348, [SPECTRO_WIN_RECT] = 1.0};
    bc.band_kappa = (unsigned)c->window < sizeof kappa / sizeof kappa[0] ? kappa[c->window] : 2;
    double fpf = (double)hop / fs; /* s per frame */
    bc.min_frames = c->min_duration_s > 0 ? (unsigned)ceil(c->min_duration_s / fpf) : 1;
    if (bc.min_frames < 1)
        bc.min_frames = 1;
    bc.min_bins = c->min_bandwidth_hz > 0 ? (unsigned)ceil(c->min_bandwidth_hz / binw) : 3;
    if (bc.min_bins < 1)
        bc.min_bins = 1;
    if (bc.min_bins > c->nfft)
        bc.min_bins = c->nfft;
    double mf = ceil(c->max_burst_s / fpf);
    bc.max_frames = mf < 2 ? 2 : mf > 1e8 ? 100000000u : (unsigned)mf;
    if (bc.max_frames < bc.min_frames)
        bc.max_frames = bc.min_frames;
    bc.warmup_frames = c->warmup_frames;
    bc.noise_alpha = c->noise_alpha;
    bc.noise_alpha_busy = c->noise_alpha_busy;
    bc.noise_decim = c->noise_decim;
    bc.max_regions = c->max_regions;
    bc.window_cdf = cdf;
    q->det = burstdet_create(&bc, e);
    free(cdf);
    if (!q->det)
        return e ? e->code : SG_EINVAL;
    q->fs = fs;
    q->hop = hop;
    q->margin = (uint64_t)llround(c->margin_s * fs);
    q->chunk = (size_t)hop * c->batch;
    if (q->chunk < c->nfft)
        q->chunk = c->nfft;
    /* longest burst given IQ + margins + detector latency (gap, batch, chunk). With
       iq_max_s, room for four of its longest windows: a window that wraps around the
       ring's end is copied, and a ring just long enough would make that common */
    uint64_t longest = (uint64_t)bc.max_frames * hop, hist = longest;
    q->iq_max_n = UINT64_MAX;
    if (c->iq_max_s > 0 && ceil(c->iq_max_s * fs) < (double)longest) {
        longest = q->iq_max_n = (uint64_t)ceil(c->iq_max_s * fs);
        if (4 * longest < hist)
            hist = 4 * longest;
    }
    uint64_t need = hist + 2 * q->margin +
                    (uint64_t)(c->gap_frames + 4) * c->nfft + 2 * q->chunk +
                    (uint64_t)c->batch * hop;
    uint64_t cap = 1024;
    while (cap < need)
        cap <<= 1;
    q->ring_keep = cap;
    if (q->pool) { /* room for the step written ahead of the detector: in the rounding's
                      slack when it has room (the ring would double for a step), else more */
        uint64_t ahead = (uint64_t)fe_mt_step_chunks(c->threads) * q->chunk + c->nfft;
        /* kept beyond need: a region may close up to gap_frames + band_gap_frames frames
           after its end, so no window one thread reads from the ring is lost */
        uint64_t late = (uint64_t)(bc.band_gap_frames + c->gap_frames + 1) * hop + c->nfft;
        if (cap >= need + late + ahead)
            q->ring_keep = cap - ahead;
        while (cap < q->ring_keep + ahead)
            cap <<= 1;
    }
    if (cap > (1ull << 30))
        return sg_err_set(e, SG_ERANGE,
                          "frontend: max_burst_s %g s at %g Hz needs a %llu-sample ring (too big)",
                          c->max_burst_s, fs, (unsigned long long)cap);
    q->ring = sg_alloc_touched(cap * sizeof *q->ring); /* first pass without page faults */
    q->ring_mask = cap - 1;
    q->ring_stream = cap * sizeof *q->ring > FE_STREAM_BYTES;
    q->copy_cap = (size_t)(longest + 2 * c->nfft + 2 * q->margin + hop);
    q->copy = c->deliver_iq ? malloc(q->copy_cap * sizeof *q->copy) : NULL;
    if (!q->ring || (c->deliver_iq && !q->copy))
        return sg_err_set(e, SG_ENOMEM, "frontend: out of memory (IQ ring of %llu samples)",
                          (unsigned long long)cap);
    q->started = false;
    q->n_pending = 0;
    return SG_OK;
}

frontend *frontend_create(const frontend_cfg *cfg, sg_errinfo *e)
{
    frontend_cfg c = *cfg;
    if (c.threads < 1 || c.threads > FRONTEND_MAX_THREADS) {
        sg_err_set(e, SG_EINVAL, "frontend: threads must be in [1, %d], got %u",
                   FRONTEND_MAX_THREADS, c.threads);
        return NULL;
    }
    if (c.nfft < 64 || c.nfft > 65536 || (c.nfft & (c.nfft - 1))) {
        sg_err_set(e, SG_EINVAL, "frontend: nfft must be a power of two in [64, 65536], got %u",
                   c.nfft);
        return NULL;
    }
    if (!(c.overlap >= 0 && c.overlap <= 0.75)) {
        sg_err_set(e, SG_EINVAL, "frontend: overlap must be in [0, 0.75], got %g", c.overlap);
        return NULL;
    }
    if (!(c.max_burst_s >= 1e-4 && c.max_burst_s <= 10) || !(c.margin_s >= 0 && c.margin_s <= 0.01) ||
        !(c.min_duration_s >= 0) || !(c.min_bandwidth_hz >= 0) || !(c.sample_rate >= 0) ||
        !(c.band_hz >= 0 && c.band_hz <= 1e9)) {
        sg_err_set(e, SG_EINVAL,
                   "frontend: max_burst_s must be in [1e-4, 10], margin_s in [0, 0.01], "
                   "min_duration_s, min_bandwidth_hz and sample_rate >= 0, band_hz in [0, 1e9]");
        return NULL;
    }
    if (!(c.iq_max_s == 0 || (c.iq_max_s >= 1e-4 && c.iq_max_s <= 10))) {
        sg_err_set(e, SG_EINVAL, "frontend: iq_max_s must be 0 (off) or in [1e-4, 10] s, got %g",
                   c.iq_max_s);
        return NULL;
    }
    frontend *q = calloc(1, sizeof *q);
    if (!q) {
        sg_err_set(e, SG_ENOMEM, "frontend: out of memory");
        return NULL;
    }
    q->cfg = c;
    /* Validate the detector settings now even when the rate comes later. */
    int rc = setup(q, c.sample_rate > 0 ? c.sample_rate : 1e6, e);
    if (rc) {
        frontend_destroy(q);
        return NULL;
    }
    if (!(c.sample_rate > 0))
        release(q);
    return q;
}

void frontend_destroy(frontend *q)
{
    if (!q)
        return;
    q->ring_wait = NULL; /* no wait: the caller has released its windows (frontend.h) */
    release(q);
    fe_pool_destroy(q->pool);
    free(q);
}

/* Delivers one region as an sg_burst with its IQ. */
static void deliver(frontend *q, const burstdet_region *r)
{
    const double fs = q->fs, binw = fs / q->cfg.nfft;
    sg_burst b;
    memset(&b, 0, sizeof b);
    b.sample_start = r->sample_start;
    b.sample_count = r->sample_end - r->sample_start;
    b.t_start = q->t0 + (double)r->sample_start / fs;
    b.duration = (double)b.sample_count / fs;
    b.fc = q->fc + ((r->bin_lo + r->bin_hi) / 2.0 - q->cfg.nfft / 2.0) * binw;
    b.bandwidth = (r->bin_hi - r->bin_lo + 1) * binw;
    b.peak_snr_db = 10 * log10(r->peak_snr);
    b.mean_snr_db = 10 * log10(r->mean_snr);
    b.flags = r->flags;
    b.sensor = q->cfg.sensor;
    q->st.bursts++;
    const float complex *iq = NULL;
    size_t n = 0;
    if (q->copy && b.sample_count > q->iq_max_n) {
        q->st.iq_withheld++; /* no decoder of this caller takes a burst this long */
    } else if (q->copy) {
        /* fixed layout: [margin][burst][margin]; what the ring cannot give is zero */
        const uint64_t m = q->margin;
        n = (size_t)(b.sample_count + 2 * m);
        if (n > q->copy_cap) { /* cannot happen: regions are capped at max_frames */
            n = q->copy_cap;
            q->st.iq_clipped++;
        }
        /* stream index of copy[0] may be "negative" at stream start: work in offsets */
        uint64_t oldest = q->head > q->ring_keep ? q->head - q->ring_keep : 0;
        uint64_t lo = q->valid_from > oldest ? q->valid_from : oldest;
        uint64_t first = r->sample_start + 0; /* copy[m] */
        uint64_t a = first >= m ? first - m : 0;          /* first wanted index that exists */
        size_t off = (size_t)(m - (first - a));           /* its position in copy */
        uint64_t z = first - m + n;                       /* one past last wanted (offset math) */
        if (first < m)
            z = (uint64_t)n - (m - first);
        bool clipped = false;
        if (a < lo) {
            off += (size_t)(lo - a);
            clipped |= lo > r->sample_start;
            a = lo;
        }
        if (z > q->head) {
            clipped |= r->sample_end > q->head;
            z = q->head;
        }
        size_t cnt = z > a ? (size_t)(z - a) : 0;
        if (off > n)
            off = n;
        uint64_t i0 = a & q->ring_mask;
        size_t part = (size_t)(q->ring_mask + 1 - i0);
        if (part > cnt)
            part = cnt;
        if (off == 0 && cnt == n && part == cnt) {
            /* all of it exists, in one piece of the ring: hand out the ring itself */
            iq = q->ring + i0;
            q->ref_first = a;
            q->st.iq_referenced++;
        } else { /* zeros where the ring has nothing, or the ring wraps inside it */
            memset(q->copy, 0, off * sizeof *q->copy);
            memcpy(q->copy + off, q->ring + i0, part * sizeof *q->copy);
            memcpy(q->copy + off + part, q->ring, (cnt - part) * sizeof *q->copy);
            memset(q->copy + off + cnt, 0, (n - off - cnt) * sizeof *q->copy);
            iq = q->copy;
        }
        if (clipped)
            q->st.iq_clipped++;
    }
    if (q->cb)
        q->cb(q->user, &b, iq, n);
}

void fe_on_region(void *user, const burstdet_region *r)
{
    frontend *q = user;
    if (q->n_pending == PENDING_MAX) { /* never expected: deliver the oldest now */
        deliver(q, &q->pending[0]);
        memmove(q->pending, q->pending + 1, (PENDING_MAX - 1) * sizeof *q->pending);
        q->n_pending--;
    }
    q->pending[q->n_pending++] = *r;
}

/* Delivers pending regions whose trailing margin has arrived (all when `all`). */
void fe_drain(frontend *q, bool all)
{
    unsigned k = 0;
    for (unsigned i = 0; i < q->n_pending; i++) {
        if (all || q->pending[i].sample_end + q->margin <= q->head)
            deliver(q, &q->pending[i]);
        else
            q->pending[k++] = q->pending[i];
    }
    q->n_pending = k;
}

static void on_frame(void *user, const float *power, uint64_t start)
{
    frontend *q = user;
    burstdet_execute(q->det, power, start, fe_on_region, q);
}

/* Closes everything open: before a gap/retune, and at end of stream. */
static void close_all(frontend *q)
{
    if (q->pool)
        fe_mt_flush(q);
    else
        spectro_flush(q->sp, on_frame, q);
    burstdet_flush(q->det, fe_on_region, q);
    fe_drain(q, true);
    spectro_reset(q->sp);
    q->mt_primed = false;
}

/* The copy's pass: nf floats (n samples) from s to d. Returns nonzero when a component is
 * beyond the limit's bit pattern (|x| > limit, Inf and NaN all compare above it); nothing
 * is fixed yet. `stream`: d is written with streaming stores (no read for ownership, no
 * cache lines evicted for it; d is then read back from memory). */
static inline __attribute__((always_inline)) uint32_t
copy_pass(float *restrict d, const float *restrict s, size_t nf, uint32_t lim, const bool stream)
{
    uint32_t bad = 0;
    size_t i = 0;
#if defined(__SSE2__)
    /* streaming stores want d 16-byte aligned: a first sample on its own if not */
    if (stream && ((uintptr_t)d & 15))
        for (; i < 2 && i < nf; i++) {
            uint32_t v;
            memcpy(&v, &s[i], 4);
            d[i] = s[i];
            bad |= (v & 0x7fffffffu) > lim;
        }
    const __m128i absm = _mm_set1_epi32(0x7fffffff), limv = _mm_set1_epi32((int)lim);
    __m128i b = _mm_setzero_si128();
    for (; i + 4 <= nf; i += 4) {
        __m128 v = _mm_loadu_ps(s + i);
        if (stream)
            _mm_stream_ps(d + i, v);
        else
            _mm_storeu_ps(d + i, v);
        /* lim < 2^31, the masked patterns too: the signed compare is the unsigned one */
        b = _mm_or_si128(b, _mm_cmpgt_epi32(_mm_and_si128(_mm_castps_si128(v), absm), limv));
    }
    if (stream)
        _mm_sfence(); /* the stores are seen by other threads before what follows */
    bad |= (uint32_t)_mm_movemask_epi8(b);
#else
    (void)stream;
    /* blocks of a fixed 32 components: a loop of known length, vectorised at -O2 */
    for (; i + 32 <= nf; i += 32)
        for (size_t j = 0; j < 32; j++) {
            uint32_t v;
            memcpy(&v, &s[i + j], 4);
            d[i + j] = s[i + j];
            bad |= (v & 0x7fffffffu) > lim;
        }
#endif
    for (; i < nf; i++) {
        uint32_t v;
        memcpy(&v, &s[i], 4);
        d[i] = s[i];
        bad |= (v & 0x7fffffffu) > lim;
    }
    return bad;
}

/* Sets the samples of dst[0..n) that break the input policy to 0; returns how many. */
static uint64_t zero_bad(float complex *dst, size_t n, uint32_t lim)
{
    const uint32_t *d = (const uint32_t *)(const void *)dst;
    uint64_t zeroed = 0;
    for (size_t i = 0; i < n; i++)
        if ((d[2 * i] & 0x7fffffffu) > lim || (d[2 * i + 1] & 0x7fffffffu) > lim) {
            dst[i] = 0;
            zeroed++;
        }
    return zeroed;
}

static uint32_t limit_bits(void)
{
    uint32_t lim;
    const float limf = SG_IQ_MAX_MAG;
    memcpy(&lim, &limf, sizeof lim);
    return lim;
}

/* Copies n samples applying the input policy (frontend.h); returns the samples zeroed.
 * The copy and the check are one pass, so it costs what the memcpy did; only a block
 * with a bad sample is walked again. */
uint64_t fe_copy_limited(float complex *restrict dst, const float complex *restrict src,
                         size_t n, bool stream)
{
    const uint32_t lim = limit_bits();
    float *d = (float *)(void *)dst;
    const float *s = (const float *)(const void *)src;
    uint32_t bad = stream ? copy_pass(d, s, 2 * n, lim, true) : copy_pass(d, s, 2 * n, lim, false);
    return bad ? zero_bad(dst, n, lim) : 0;
}

void fe_ring_claim(frontend *q, uint64_t idx, uint64_t end)
{
    const uint64_t cap = q->ring_mask + 1;
    if (q->ring_wait) {
        /* going on from ring_end, [idx, end) overwrites the indices below end - cap; a
           stream that goes back overwrites windows of any index */
        uint64_t below = idx < q->ring_end ? UINT64_MAX : end > cap ? end - cap : 0;
        if (below)
            q->ring_wait(q->ring_wait_user, below);
    }
    q->ring_end = end;
}

void frontend_set_ring_wait(frontend *q, frontend_ring_wait fn, void *user)
{
    q->ring_wait = fn;
    q->ring_wait_user = user;
}

bool frontend_iq_in_ring(const frontend *q, const float complex *iq, uint64_t *first)
{
    if (!iq || !q->ring || iq != q->ring + (q->ref_first & q->ring_mask))
        return false;
    *first = q->ref_first;
    return true;
}

uint64_t fe_ring_write(float complex *ring, uint64_t mask, uint64_t idx,
                       const float complex *src, size_t n, bool stream, size_t *first)
{
    uint64_t i0 = idx & mask;
    size_t f = (size_t)(mask + 1 - i0);
    if (f > n)
        f = n;
    *first = f;
    return fe_copy_limited(ring + i0, src, f, stream) +
           fe_copy_limited(ring, src + f, n - f, stream);
}

int frontend_execute(frontend *q, const sg_iq_block *blk, frontend_burst_cb cb, void *user)
{
    if (!blk || (blk->n && !blk->x) || !(blk->sample_rate > 0) || !isfinite(blk->center_freq))
        return sg_err_set(&q->err, SG_EINVAL,
                          "frontend: bad IQ block (no samples, rate %g Hz or centre %g Hz)",
                          blk ? blk->sample_rate : 0.0, blk ? blk->center_freq : 0.0);
    if (blk->channels > 1) /* interleaved channels would be read as one: refuse (dffe.h) */
        return sg_err_set(&q->err, SG_EINVAL,
                          "frontend: block has %u interleaved channels; one channel expected "
                          "(multi-channel input goes through the DF front end)",
                          blk->channels);
    q->cb = cb;
    q->user = user;
    if (!q->sp || blk->sample_rate != q->fs) {
        if (q->sp) {
            close_all(q);
            q->st.discontinuities++;
        }
        int rc = setup(q, blk->sample_rate, &q->err);
        if (rc)
            return rc;
    }
    /* A new clock (t0: e.g. the next capture segment of a triggered recording) is a
     * gap too: bursts before it must be timed and closed with the old clock. */
    if (q->started && (blk->discontinuity || blk->sample_index != q->next_index ||
                       blk->center_freq != q->fc || blk->t0 != q->t0)) {
        close_all(q);
        q->st.discontinuities++;
        q->valid_from = blk->sample_index;
    }
    if (!q->started) {
        q->valid_from = blk->sample_index;
        q->started = true;
    }
    q->fc = blk->center_freq;
    q->t0 = blk->t0;
    size_t off = q->pool ? blk->n : 0;
    if (q->pool)
        fe_mt_samples(q, blk);
    while (off < blk->n) {
        size_t n = blk->n - off;
        if (n > q->chunk)
            n = q->chunk;
        uint64_t idx = blk->sample_index + off, i0 = idx & q->ring_mask;
        size_t first;
        fe_ring_claim(q, idx, idx + n);
        uint64_t lim = fe_ring_write(q->ring, q->ring_mask, idx, blk->x + off, n,
                                     q->ring_stream, &first);
        q->st.iq_limited += lim;
        q->head = idx + n;
        /* the spectrogram reads the limited samples: the block itself when the copy found
         * nothing to limit (still in the cache, while a streamed ring is not), else the
         * ring (two slices where it wraps) */
        if (!lim) {
            spectro_execute(q->sp, blk->x + off, n, idx, on_frame, q);
        } else {
            spectro_execute(q->sp, q->ring + i0, first, idx, on_frame, q);
            if (n > first)
                spectro_execute(q->sp, q->ring, n - first, idx + first, on_frame, q);
        }
        if (q->n_pending)
            fe_drain(q, false);
        off += n;
    }
    q->next_index = blk->sample_index + blk->n;
    q->st.samples += blk->n;
    q->st.blocks++;
    q->st.t = q->t0 + (double)q->next_index / q->fs;
    return SG_OK;
}

int frontend_flush(frontend *q, frontend_burst_cb cb, void *user)
{
    q->cb = cb;
    q->user = user;
    if (q->sp && q->started)
        close_all(q);
    return SG_OK;
}

void frontend_stats(const frontend *q, frontend_stats_t *out)
{
    *out = q->st;
    fe_det_counts n = q->base;
    out->warm = det_counts_add(q, &n);
    out->bursts_small = n.small;
    out->bursts_weak = n.weak;
    out->bursts_dropped = n.dropped;
    out->hot_cells = n.hot;
    out->frames = n.frames + q->mt_frames;
}

const char *frontend_error(const frontend *q)
{
    return q->err.msg;
}

float frontend_floor(const frontend *q, unsigned k)
{
    return q->det ? burstdet_floor(q->det, k) : NAN;
}
