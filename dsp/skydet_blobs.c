/* Sky detector, blob and tracklet stage (see skydet.h, steps 4 and 5): firing row
 * runs joined by union-find into 8-connected blobs, fragments merged, size, texture
 * and horizon filters, then alpha-beta tracklets with the k-of-n persistence test. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "skydet_int.h"

static int uf_find(run *r, int i)
{
    while (r[i].parent != i) {
        r[i].parent = r[r[i].parent].parent;
        i = r[i].parent;
    }
    return i;
}

static int blob_find(blob_acc *b, int i)
{
    while (b[i].parent != i) {
        b[i].parent = b[b[i].parent].parent;
        i = b[i].parent;
    }
    return i;
}

int skydet_run_root(skydet *q, int i)
{
    return uf_find(q->runs, i);
}

void skydet_add_run(skydet *q, int y, int x0, int x1, int *prev_lo, int prev_hi)
{
    if (q->nruns >= q->c.max_runs) {
        q->st.runs_dropped++;
        return;
    }
    int me = q->nruns++;
    q->runs[me] = (run){y, x0, x1, me};
    /* previous row runs are sorted by x: skip those entirely left of us */
    while (*prev_lo < prev_hi && q->runs[*prev_lo].x1 < x0 - 1)
        (*prev_lo)++;
    for (int j = *prev_lo; j < prev_hi && q->runs[j].x0 <= x1 + 1; j++) {
        int a = uf_find(q->runs, me), b = uf_find(q->runs, j);
        if (a != b)
            q->runs[a > b ? a : b].parent = a < b ? a : b;
    }
}

/* ---- blobs and tracklets ---------------------------------------------------------- */

void skydet_make_blobs(skydet *q, const uint8_t *img, size_t stride)
{
    const float keep = 1.0f - q->a_clutter; /* residual = (d - bg_new) / keep */
    q->nblobs = 0;
    for (int i = 0; i < q->nruns; i++)
        q->run_blob[i] = -1;
    for (int i = 0; i < q->nruns; i++) {
        int root = uf_find(q->runs, i);
        int bi = q->run_blob[root];
        if (bi < 0) {
            if (q->nblobs >= q->c.max_blobs) {
                q->st.blobs_dropped++;
                q->run_blob[root] = -2;
                continue;
            }
            bi = q->run_blob[root] = q->nblobs++;
            q->blobs[bi] = (blob_acc){0, 0, 0, 0, 0, 0, 0, 0, q->w, q->h, -1, -1, bi};
        } else if (bi == -2) {
            continue;
        }
        blob_acc *b = &q->blobs[bi];
        const run *r = &q->runs[i];
        const uint8_t *row = img + (size_t)r->y * stride;
        int by = r->y / q->c.block;
        for (int x = r->x0; x <= r->x1; x++) {
            size_t px = (size_t)r->y * (size_t)q->w + (size_t)x;
            int pol, d = tophat(q, row[x], px, &pol);
            double s = ((float)d - q->bg[px]) / keep -
                       q->mean[(size_t)by * (size_t)q->nbx + (size_t)(x / q->c.block)];
            if (s <= 0)
                s = 1e-3;
            b->area++;
            b->sw += s;
            b->swx += s * x;
            b->swy += s * r->y;
            b->pol_sum += pol * s;
            if (s > b->peak) {
                b->peak = s;
                b->peak_block = by * q->nbx + x / q->c.block;
                b->peak_sd = sqrt(q->var[b->peak_block]);
            }
        }
        if (r->x0 < b->x0)
            b->x0 = r->x0;
        if (r->x1 > b->x1)
            b->x1 = r->x1;
        if (r->y < b->y0)
            b->y0 = r->y;
        if (r->y > b->y1)
            b->y1 = r->y;
    }
    /* merge fragments of one object (a drone's arms and body fire separately) */
    for (int i = 0; i < q->nblobs; i++)
        for (int j = i + 1; j < q->nblobs; j++) {
            blob_acc *a = &q->blobs[i], *b = &q->blobs[j];
            int la = a->x1 - a->x0 > a->y1 - a->y0 ? a->x1 - a->x0 : a->y1 - a->y0;
            int lb = b->x1 - b->x0 > b->y1 - b->y0 ? b->x1 - b->x0 : b->y1 - b->y0;
            int m = q->c.merge_px, mf = (int)(q->c.merge_frac * ((la > lb ? la : lb) + 1));
            m = mf > m ? mf : m;
            if (a->x0 - m <= b->x1 && b->x0 - m <= a->x1 && a->y0 - m <= b->y1 &&
                b->y0 - m <= a->y1) {
                int ra = blob_find(q->blobs, i), rb = blob_find(q->blobs, j);
                if (ra != rb)
                    q->blobs[ra > rb ? ra : rb].parent = ra < rb ? ra : rb;
            }
        }
    for (int i = 0; i < q->nblobs; i++) {
        int root = blob_find(q->blobs, i);
        if (root == i)
            continue;
        blob_acc *a = &q->blobs[root], *b = &q->blobs[i];
        a->area += b->area;
        a->sw += b->sw;
        a->swx += b->swx;
        a->swy += b->swy;
        a->pol_sum += b->pol_sum;
        if (b->peak > a->peak) {
            a->peak = b->peak;
            a->peak_sd = b->peak_sd;
            a->peak_block = b->peak_block;
        }
        if (b->x0 < a->x0)
            a->x0 = b->x0;
        if (b->x1 > a->x1)
            a->x1 = b->x1;
        if (b->y0 < a->y0)
            a->y0 = b->y0;
        if (b->y1 > a->y1)
            a->y1 = b->y1;
        b->area = 0; /* absorbed */
    }
    q->ncand = 0;
    for (int i = 0; i < q->nblobs; i++) {
        blob_acc *b = &q->blobs[i];
        if (b->area == 0 || blob_find(q->blobs, i) != i)
            continue;
        if (b->area < q->c.min_area)
            continue;
        if (b->x1 - b->x0 + 1 > q->c.max_size || b->y1 - b->y0 + 1 > q->c.max_size) {
            q->st.blobs_too_large++;
            continue;
        }
        double texture = q->tex[b->peak_block] - q->tex_med;
        if (q->c.sky_texture > 0 && texture > q->c.sky_texture) {
            q->st.blobs_textured++;
            continue;
        }
        if (q->sm && skymask_is_ground(q->sm, b->x0, b->x1, b->y0, q->c.sky_mask_margin_px)) {
            q->st.blobs_below_horizon++;
            continue;
        }
        skydet_det *d = &q->cand[q->ncand++];
        memset(d, 0, sizeof *d);
        d->texture = texture;
        d->x = b->swx / b->sw;
        d->y = b->swy / b->sw;
        d->x0 = b->x0;
        d->y0 = b->y0;
        d->x1 = b->x1;
        d->y1 = b->y1;
        d->area = b->area;
        d->contrast = b->peak;
        double sd = b->peak_sd > 0.25 ? b->peak_sd : 0.25; /* 8-bit quantisation floor */
        d->snr = b->peak / sd;
        d->polarity = b->pol_sum >= 0 ? 1 : -1;
    }
}

void skydet_track(skydet *q)
{
    const int nt = q->c.max_tracklets;
    /* established tracklets choose first: most hits in the window */
    for (int pass = 32; pass >= 0; pass--) {
        for (int t = 0; t < nt; t++) {
            tracklet *k = &q->trk[t];
            if (!k->used || __builtin_popcount(k->hist) != pass)
                continue;
            k->blob = -1;
            double px = k->x + k->vx, py = k->y + k->vy;
            double gate = q->c.gate_px + 0.5 * k->size, best = gate * gate;
            for (size_t i = 0; i < q->ncand; i++) {
                skydet_det *d = &q->cand[i];
                if (d->track_id)
                    continue;
                double dx = d->x - px, dy = d->y - py, d2 = dx * dx + dy * dy;
                if (d2 < best) {
                    best = d2;
                    k->blob = (int)i;
                }
            }
            if (k->blob >= 0)
                q->cand[k->blob].track_id = k->id;
        }
    }
    q->nout = 0;
    for (int t = 0; t < nt; t++) {
        tracklet *k = &q->trk[t];
        if (!k->used)
            continue;
        k->hist = (k->hist << 1) & q->hist_mask;
        if (k->blob < 0) {
            k->from_first = false;
            k->x += k->vx;
            k->y += k->vy;
            if (k->hist == 0)
                k->used = false;
            continue;
        }
        skydet_det *d = &q->cand[k->blob];
        k->hist |= 1u;
        double px = k->x + k->vx, py = k->y + k->vy;
        if (k->nhits_total == 1) {
            k->vx = d->x - k->x; /* first difference starts the velocity */
            k->vy = d->y - k->y;
        } else {
            k->vx += 0.4 * (d->x - px);
            k->vy += 0.4 * (d->y - py);
        }
        k->x = d->x;
        k->y = d->y;
        k->nhits_total++;
        k->size = skydet_det_size(d);
        int hits = __builtin_popcount(k->hist);
        d->vx = k->vx;
        d->vy = k->vy;
        d->hits = hits;
        d->confirmed = hits >= q->c.persist_k ||
                       (k->from_first && q->c.first_frame_persist_k > 0 &&
                        hits >= q->c.first_frame_persist_k);
        d->confidence = (double)hits / q->c.persist_n * (1.0 - exp(-d->snr / q->c.k_sigma));
        if (d->confirmed)
            q->out[q->nout++] = *d;
    }
    /* unclaimed blobs start tracklets */
    for (size_t i = 0; i < q->ncand; i++) {
        skydet_det *d = &q->cand[i];
        if (d->track_id)
            continue;
        int slot = -1;
        for (int t = 0; t < nt; t++)
            if (!q->trk[t].used) {
                slot = t;
                break;
            }
        if (slot < 0) {
            q->st.tracklets_dropped++;
            continue;
        }
        tracklet *k = &q->trk[slot];
        memset(k, 0, sizeof *k);
        k->used = true;
        k->id = q->next_id++;
        if (q->next_id == 0)
            q->next_id = 1;
        k->x = d->x;
        k->y = d->y;
        k->hist = 1u;
        k->nhits_total = 1;
        k->size = skydet_det_size(d);
        k->blob = (int)i;
        /* only frame 0 has blobs before the first skydet_process returns: the first-frame
         * objects of first_frame_report */
        k->from_first = q->st.frames == 0;
        d->track_id = k->id;
        d->hits = 1;
        d->confirmed = q->c.persist_k <= 1 || (k->from_first && q->c.first_frame_persist_k == 1);
        d->confidence = 1.0 / q->c.persist_n * (1.0 - exp(-d->snr / q->c.k_sigma));
        if (d->confirmed)
            q->out[q->nout++] = *d;
    }
    uint32_t live = 0;
    for (int t = 0; t < nt; t++)
        live += q->trk[t].used;
    q->st.tracklets = live;
}
