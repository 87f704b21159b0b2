/* Detection of a batch of frames on several threads (burst.h "Detection of a batch"): the
 * floor recursion, the cells and the regions of a batch, with the cell steps of
 * burst_int.h, so the arithmetic is burstdet_execute's. */
/* as burst.c: the per-frame loops must vectorise (before burst_int.h's cell steps) */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O3", "no-trapping-math")
#endif

#include "burst_int.h"

#include <stdlib.h>
#include <string.h>

struct burstdet_batch {
    unsigned n, cap;          /* nfft, frames */
    unsigned count;
    const float *power;       /* count x n, the caller's */
    uint64_t starts[256];
    uint64_t f0;              /* frame number (ff) of the first frame */
    float *snap;              /* floors seen (1/floor), up to cap + 1 of n */
    unsigned which[256];      /* snapshot of each frame */
    float *r, *s, *grp, *bpk; /* per frame: n each (grp: the wide detector's 2 n_grp <= n) */
    bool marked[256];
    uint32_t *runs;           /* per frame n + 2 */
    unsigned n_runs[256];
    uint64_t hot_cells;
    double *pre;              /* band detector scratch (burst_band.h) */
    uint32_t *cnt;
    float *val;
    uint8_t *hot;
};

burstdet_batch *burstdet_batch_create(unsigned nfft, unsigned frames)
{
    if (frames < 1 || frames > 256 || nfft < 16)
        return NULL;
    burstdet_batch *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    const size_t n = nfft, f = frames;
    b->n = nfft;
    b->cap = frames;
    b->snap = malloc((f + 1) * n * sizeof(float));
    b->r = malloc(f * n * sizeof(float));
    b->s = calloc(f * n, sizeof(float)); /* edge bins stay 0 (as the detector's own s) */
    b->grp = malloc(f * n * sizeof(float));
    b->bpk = calloc(f * n, sizeof(float));
    b->runs = malloc(f * (n + 2) * sizeof(uint32_t));
    b->pre = malloc((n + 1) * sizeof(double));
    b->cnt = malloc((n + 1) * sizeof(uint32_t));
    b->val = malloc(BURSTBAND_VAL_FLOATS(n) * sizeof(float));
    b->hot = calloc(n + 8, 1);
    if (!b->snap || !b->r || !b->s || !b->grp || !b->bpk || !b->runs || !b->pre || !b->cnt ||
        !b->val || !b->hot) {
        burstdet_batch_destroy(b);
        return NULL;
    }
    return b;
}

void burstdet_batch_destroy(burstdet_batch *b)
{
    if (!b)
        return;
    free(b->snap);
    free(b->r);
    free(b->s);
    free(b->grp);
    free(b->bpk);
    free(b->runs);
    free(b->pre);
    free(b->cnt);
    free(b->val);
    free(b->hot);
    free(b);
}

BURST_CLONES bool burstdet_batch_floor(burstdet *q, burstdet_batch *b, const float *power,
                                       const uint64_t *starts, unsigned count)
{
    const size_t n = q->cfg.nfft;
    if (!q->warm || b->n != n || count > b->cap || !count)
        return false;
    b->count = count;
    b->power = power;
    b->f0 = q->ff;
    memcpy(b->starts, starts, count * sizeof *starts);
    unsigned k = 0;
    memcpy(b->snap, q->inv, n * sizeof(float));
    for (unsigned i = 0; i < count; i++) {
        b->which[i] = k;
        if (q->ff % q->cfg.noise_decim == 0) { /* the cells the update reads, then it */
            const float *p = power + i * n;
            (void)cells_pre(q, p, q->inv, q->r, q->s, q->grp);
            floor_update(q, p, q->s);
            memcpy(b->snap + (size_t)++k * n, q->inv, n * sizeof(float));
        }
        q->ff++;
    }
    return true;
}

BURST_CLONES void burstdet_batch_cells(const burstdet *q, burstdet_batch *b)
{
    const size_t n = b->n;
    burstband band = q->band, *bp = q->band.pk ? &band : NULL;
    band.pre = b->pre;
    band.cnt = b->cnt;
    band.val = b->val;
    b->hot_cells = 0;
    for (unsigned i = 0; i < b->count; i++) {
        float *r = b->r + i * n, *s = b->s + i * n, *grp = q->grp ? b->grp + i * n : NULL;
        unsigned hot = cells_pre(q, b->power + i * n, b->snap + b->which[i] * n, r, s, grp);
        band.pk = b->bpk + i * n;
        band.marked = b->marked[i];
        b->n_runs[i] = cells_post(q, bp, r, s, hot, b->hot, b->runs + i * (n + 2),
                                  &b->hot_cells);
        b->marked[i] = band.marked;
    }
}

void burstdet_batch_regions(burstdet *q, burstdet_batch *b, burstdet_fn fn, void *user)
{
    const size_t n = b->n;
    for (unsigned i = 0; i < b->count; i++) {
        frame_view v = {.r = b->r + i * n, .s = b->s + i * n,
                        .grp = q->grp ? b->grp + i * n : NULL, .bpk = b->bpk + i * n,
                        .marked = b->marked[i], .runs = b->runs + i * (n + 2),
                        .n_runs = b->n_runs[i]};
        burstdet_frame_regions(q, &v, b->starts[i], fn, user);
    }
    q->st.hot_cells += b->hot_cells;
    b->count = 0;
}
