/* Multi-threaded front end (frontend.h, cfg.threads > 1): one wideband stream on several
 * cores.
 *
 * Per sample, the front end copies into the IQ ring (with the input policy), windows,
 * transforms and takes |X|^2, then runs the detector. The copy and the transform are
 * independent per chunk or frame and are shared out. The detector is split as burst.h's
 * batches: its floor recursion (only the frames that update the floor) and its regions
 * (open regions over frames) stay on the caller's thread, in sample order; the cells of
 * each batch (p/floor, sums, wide and band detectors, hot runs) are a second job of the
 * batch, posted once the caller has run the batch's floor, and run on any thread.
 * A step: up to fe_mt_step_chunks() chunks of the block become jobs, each FFT batch one
 * job, and each chunk's ring copy goes with its first job (or a copy-only job). Workers
 * take cells jobs first (the oldest), then transforms from the front; the caller runs the
 * floor over the jobs in order as they are transformed, then the regions in order, and
 * while the job it needs is with a worker, takes work from the back. Before the floor is
 * warm (the first warmup_frames frames at a rate) a job is detected whole on the caller.
 * Frames read the block itself (limited on the fly exactly as the ring copy is) and the
 * ring only for samples of earlier blocks, so no job waits for another's copy; each
 * thread has its own spectro and FFTW plan (the same problem, so the same plan and the
 * same arithmetic).
 *
 * Frames, batches (batch frames counted from the segment start, the last one partial only
 * at a gap or the end) and the detector's view of the ring (head at each chunk's end,
 * what lies further ahead never read) are those of the one-thread path, so the bursts
 * and their IQ are bit-identical to it (tests/test_frontend.c checks this). Every step
 * completes before frontend_execute returns: a burst is delivered in the same call as
 * with one thread, and nothing is queued between calls (no added latency; the jobs of a
 * step are bounded; nothing is dropped inside the front end). */
#define _GNU_SOURCE /* pthread_setname_np */
#include "frontend_int.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <fftw3.h>

/* One job: a chunk's samples into the IQ ring and/or one FFT batch. */
typedef struct {
    uint64_t starts[256];  /* stream index of each frame's first sample */
    unsigned count;        /* frames, 0..batch (0: copy only) */
    uint64_t copy_from, copy_to; /* stream indices written into the ring (empty: none) */
    const float complex *copy_src; /* sample copy_from */
    uint64_t limited;      /* samples the copy set to 0 (input policy) */
    unsigned chunk;        /* index in the step of the chunk it belongs to */
    bool done;             /* transformed (guarded by the pool's mutex) */
    bool split;            /* detection split (burst.h batches): cells posted */
    bool cells_done;       /* the cells of a split job are done (mutex) */
    float *power;          /* count x nfft powers */
    burstdet_batch *bat;   /* its frames' floors, cells and runs */
} fe_job;

typedef struct {
    fe_pool *p;
    spectro *sp;
    pthread_t th;
    bool started;
} fe_worker;

struct fe_pool {
    unsigned nfft, batch, hop;
    unsigned n_workers;
    fe_worker *w;
    pthread_mutex_t mu;
    pthread_cond_t cv_work, cv_done;
    fe_job *jobs;
    unsigned cap_jobs, n_jobs;
    unsigned front, back;       /* unclaimed jobs are [front, back): workers take the front,
                                   the caller helps from the back (it needs the front next) */
    unsigned cq[256], cfront, cback; /* unclaimed cells jobs: jobs cq[cfront..cback), in
                                   order (workers take the front, the caller the back) */
    const burstdet *det;        /* of the current step (settings only, for the cells) */
    spectro_source src;         /* of the current step: ring, block, limit */
    float complex *ring;
    bool ring_stream;           /* written with streaming stores (frontend_int.h) */
    bool stop;
};

unsigned fe_mt_step_chunks(unsigned threads)
{
    /* a few jobs per thread keep every thread busy while the caller detects */
    return 4 * threads;
}

static void run_job(fe_pool *p, spectro *sp, fe_job *j)
{
    j->limited = 0;
    size_t first;
    if (j->copy_to > j->copy_from)
        j->limited = fe_ring_write(p->ring, p->src.ring_mask, j->copy_from, j->copy_src,
                                   (size_t)(j->copy_to - j->copy_from), p->ring_stream, &first);
    if (j->count) /* frames read the block itself (limited on the fly), not the copy */
        spectro_transform(sp, &p->src, j->starts, j->count, j->power);
}

/* Transforms job j (mutex held on entry and exit). */
static void run_fft(fe_pool *p, spectro *sp, fe_job *j)
{
    pthread_mutex_unlock(&p->mu);
    run_job(p, sp, j);
    pthread_mutex_lock(&p->mu);
    j->done = true;
    pthread_cond_broadcast(&p->cv_done);
}

/* Runs the cells of job j (mutex held on entry and exit). */
static void run_cells(fe_pool *p, fe_job *j)
{
    pthread_mutex_unlock(&p->mu);
    burstdet_batch_cells(p->det, j->bat);
    pthread_mutex_lock(&p->mu);
    j->cells_done = true;
    pthread_cond_broadcast(&p->cv_done);
}

static void *worker_main(void *arg)
{
    fe_worker *w = arg;
    fe_pool *p = w->p;
    pthread_setname_np(pthread_self(), "sg-fe-worker"); /* top -H, bench/daemon_pairs.py */
    pthread_mutex_lock(&p->mu);
    while (!p->stop) {
        if (p->cfront < p->cback) { /* the oldest cells first: the regions wait for them */
            run_cells(p, &p->jobs[p->cq[p->cfront++]]);
            continue;
        }
        if (p->front < p->back) {
            run_fft(p, w->sp, &p->jobs[p->front++]);
            continue;
        }
        pthread_cond_wait(&p->cv_work, &p->mu);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

fe_pool *fe_pool_create(unsigned threads, const spectro_cfg *cfg, sg_errinfo *e)
{
    fe_pool *p = calloc(1, sizeof *p);
    if (!p) {
        sg_err_set(e, SG_ENOMEM, "frontend: out of memory (thread pool)");
        return NULL;
    }
    p->nfft = cfg->nfft;
    p->batch = cfg->batch;
    p->hop = cfg->hop;
    p->n_workers = threads - 1;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv_work, NULL);
    pthread_cond_init(&p->cv_done, NULL);
    /* a chunk is max(hop * batch, nfft) samples: it completes at most
     * nfft / (hop * batch) + 1 batches */
    unsigned per_chunk = cfg->nfft / (cfg->hop * cfg->batch) + 2;
    p->cap_jobs = fe_mt_step_chunks(threads) * per_chunk;
    p->jobs = calloc(p->cap_jobs, sizeof *p->jobs);
    p->w = calloc(p->n_workers, sizeof *p->w);
    if (!p->jobs || !p->w) {
        sg_err_set(e, SG_ENOMEM, "frontend: out of memory (thread pool)");
        fe_pool_destroy(p);
        return NULL;
    }
    if (p->cap_jobs > 256) {
        sg_err_set(e, SG_EINVAL, "frontend: %u jobs per step (at most 256)", p->cap_jobs);
        fe_pool_destroy(p);
        return NULL;
    }
    for (unsigned i = 0; i < p->cap_jobs; i++)
        if (!(p->jobs[i].power = fftwf_alloc_real((size_t)cfg->nfft * cfg->batch)) ||
            !(p->jobs[i].bat = burstdet_batch_create(cfg->nfft, cfg->batch))) {
            sg_err_set(e, SG_ENOMEM, "frontend: out of memory (%u FFT batches of %u x %u)",
                       p->cap_jobs, cfg->batch, cfg->nfft);
            fe_pool_destroy(p);
            return NULL;
        }
    for (unsigned i = 0; i < p->n_workers; i++) {
        fe_worker *w = &p->w[i];
        w->p = p;
        if (!(w->sp = spectro_create(cfg, e))) {
            fe_pool_destroy(p);
            return NULL;
        }
        if (pthread_create(&w->th, NULL, worker_main, w) != 0) {
            sg_err_set(e, SG_ENOMEM, "frontend: cannot start worker thread %u of %u", i + 1,
                       p->n_workers);
            fe_pool_destroy(p);
            return NULL;
        }
        w->started = true;
    }
    return p;
}

void fe_pool_destroy(fe_pool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->stop = true;
    pthread_cond_broadcast(&p->cv_work);
    pthread_mutex_unlock(&p->mu);
    for (unsigned i = 0; p->w && i < p->n_workers; i++) {
        if (p->w[i].started)
            pthread_join(p->w[i].th, NULL);
        spectro_destroy(p->w[i].sp);
    }
    for (unsigned i = 0; p->jobs && i < p->cap_jobs; i++) {
        fftwf_free(p->jobs[i].power);
        burstdet_batch_destroy(p->jobs[i].bat);
    }
    free(p->jobs);
    free(p->w);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv_work);
    pthread_cond_destroy(&p->cv_done);
    free(p);
}

/* Waits until job k is transformed, transforming unclaimed jobs meanwhile: k itself if no
 * worker has it, else the last one (the workers go on from the front). */
static void wait_job(fe_pool *p, spectro *own, unsigned k)
{
    pthread_mutex_lock(&p->mu);
    while (!p->jobs[k].done) {
        if (p->front < p->back) {
            run_fft(p, own, &p->jobs[k == p->front ? p->front++ : --p->back]);
            continue;
        }
        if (p->cfront < p->cback) {
            run_cells(p, &p->jobs[p->cq[--p->cback]]);
            continue;
        }
        pthread_cond_wait(&p->cv_done, &p->mu);
    }
    pthread_mutex_unlock(&p->mu);
}

/* Waits until the cells of split job k are done, doing unclaimed ones meanwhile (k
 * itself first). */
static void wait_cells(fe_pool *p, spectro *own, unsigned k)
{
    pthread_mutex_lock(&p->mu);
    while (!p->jobs[k].cells_done) {
        if (p->cfront < p->cback) {
            unsigned c = p->cq[p->cfront] == k ? p->cq[p->cfront++] : p->cq[--p->cback];
            run_cells(p, &p->jobs[c]);
            continue;
        }
        if (p->front < p->back) { /* cannot happen: every job is transformed by now */
            run_fft(p, own, &p->jobs[--p->back]);
            continue;
        }
        pthread_cond_wait(&p->cv_done, &p->mu);
    }
    pthread_mutex_unlock(&p->mu);
}

/* Runs the detector over job j's frames. */
static void detect_job(frontend *q, const fe_job *j)
{
    const size_t n = q->cfg.nfft;
    for (unsigned b = 0; b < j->count; b++)
        burstdet_execute(q->det, j->power + b * n, j->starts[b], fe_on_region, q);
    q->mt_frames += j->count;
}

/* Adds job k to the step (jobs[k] cleared); NULL if the step is full (cannot happen:
 * cap_jobs covers the most a step can post). */
static fe_job *new_job(fe_pool *p, unsigned k, unsigned chunk)
{
    if (k >= p->cap_jobs)
        return NULL;
    fe_job *j = &p->jobs[k];
    j->count = 0;
    j->copy_from = j->copy_to = 0;
    j->chunk = chunk;
    j->done = false;
    j->split = false;
    j->cells_done = false;
    return j;
}

void fe_mt_samples(frontend *q, const sg_iq_block *blk)
{
    fe_pool *p = q->pool;
    const unsigned nfft = q->cfg.nfft, hop = q->hop, batch = q->cfg.batch;
    const unsigned step = fe_mt_step_chunks(q->cfg.threads);
    uint64_t ends[4 * FRONTEND_MAX_THREADS];
    if (!q->mt_primed) { /* segment start: framing starts at its first sample */
        q->next_frame = blk->sample_index;
        q->mt_primed = true;
    }
    p->ring = q->ring;
    p->ring_stream = q->ring_stream;
    p->src = (spectro_source){.ring = q->ring, .ring_mask = q->ring_mask, .x = blk->x,
                              .x_index = blk->sample_index, .limit = SG_IQ_MAX_MAG};
    size_t off = 0;
    while (off < blk->n) {
        /* a step: its jobs, then detection in order (no job of the last step is left) */
        unsigned nch = 0, nj = 0;
        const size_t step_off = off;
        while (off < blk->n && nch < step) {
            size_t n = blk->n - off;
            if (n > q->chunk)
                n = q->chunk;
            uint64_t idx = blk->sample_index + off, end = idx + n;
            fe_job *first = NULL, *j;
            while (q->next_frame + (uint64_t)(batch - 1) * hop + nfft <= end &&
                   (j = new_job(p, nj, nch))) {
                nj++;
                for (unsigned b = 0; b < batch; b++)
                    j->starts[b] = q->next_frame + (uint64_t)b * hop;
                j->count = batch;
                q->next_frame += (uint64_t)batch * hop;
                if (!first)
                    first = j;
            }
            if (!first && (first = new_job(p, nj, nch)))
                nj++;
            if (first) { /* the chunk's copy into the ring goes with its first job */
                first->copy_from = idx;
                first->copy_to = end;
                first->copy_src = blk->x + off;
            }
            ends[nch++] = end;
            off += n;
        }
        /* the step's chunks, [ends[0] - first chunk, ends[nch - 1]), go into the ring now */
        fe_ring_claim(q, blk->sample_index + step_off, ends[nch - 1]);
        pthread_mutex_lock(&p->mu);
        p->n_jobs = nj;
        p->front = 0;
        p->back = nj;
        p->cfront = p->cback = 0;
        p->det = q->det;
        pthread_cond_broadcast(&p->cv_work);
        pthread_mutex_unlock(&p->mu);
        /* the floor recursion in order as each batch is transformed, its cells posted to
         * the pool (burst.h batches; before the floor is warm the job is detected whole
         * below) */
        for (unsigned k = 0; k < nj; k++) {
            fe_job *j = &p->jobs[k];
            wait_job(p, q->sp, k);
            if (j->count && burstdet_batch_floor(q->det, j->bat, j->power, j->starts, j->count)) {
                pthread_mutex_lock(&p->mu);
                j->split = true;
                p->cq[p->cback++] = k;
                pthread_cond_broadcast(&p->cv_work);
                pthread_mutex_unlock(&p->mu);
            }
        }
        /* the regions in sample order, as one thread: head at each chunk's end, once the
         * chunk is in the ring */
        unsigned k = 0;
        for (unsigned c = 0; c < nch; c++) {
            q->head = ends[c];
            for (; k < nj && p->jobs[k].chunk == c; k++) {
                fe_job *j = &p->jobs[k];
                q->st.iq_limited += j->limited;
                if (j->split) {
                    wait_cells(p, q->sp, k);
                    burstdet_batch_regions(q->det, j->bat, fe_on_region, q);
                    q->mt_frames += j->count;
                } else if (j->count) {
                    detect_job(q, j);
                }
            }
            if (q->n_pending)
                fe_drain(q, false);
        }
        pthread_mutex_lock(&p->mu);
        p->n_jobs = p->front = p->back = p->cfront = p->cback = 0;
        pthread_mutex_unlock(&p->mu);
    }
}

void fe_mt_flush(frontend *q)
{
    fe_pool *p = q->pool;
    if (!q->mt_primed)
        return;
    fe_job *j = &p->jobs[0];
    j->count = 0;
    while (j->count < q->cfg.batch && q->next_frame + q->cfg.nfft <= q->head) {
        j->starts[j->count++] = q->next_frame;
        q->next_frame += q->hop;
    }
    if (!j->count)
        return;
    /* every sample is in the ring by now */
    spectro_source src = {.ring = q->ring, .ring_mask = q->ring_mask, .x = NULL,
                          .x_index = q->head, .limit = SG_IQ_MAX_MAG};
    spectro_transform(q->sp, &src, j->starts, j->count, j->power);
    detect_job(q, j);
}
