/* Incident recording of an RF sensor's input (see sensor_runner.h): the samples from the
 * sensor thread, the burst annotations from whichever thread runs the burst chain (the
 * burst thread, sensor_chain.h, when there is one), both under the runner's rec_mu. */
#include "sensor_runner.h"

#include <stdio.h>

/* Appends a block to the incident recording; a new capture segment starts wherever
 * the stream's clock, frequency or continuity changes. The recording is crash-safe
 * (meta rewritten every REC_SYNC_S of its clock). Failure (disk full, I/O error)
 * stops the recording, keeping what was written, logs the file and cause once and
 * counts it, never stops the pipeline. */
#define REC_SYNC_S 1.0
static void record_block_locked(runner *s, const sg_iq_block *blk, char *note, size_t cap)
{
    sensor_side *p = s->p;
    sg_errinfo e = {0};
    double t_first = blk->t0 + (double)blk->sample_index / blk->sample_rate;
    if (!s->rec) {
        char base[SG_PATH_LEN];
        snprintf(base, sizeof base, "%s/%s", p->record_dir, p->site->sensors[s->idx].id);
        s->rec = sigmf_writer_create(base, SIGMF_CF32_LE, blk->sample_rate, blk->center_freq,
                                     t_first, "skyguard incident recording (input IQ)", &e);
        if (s->rec && ((blk->channels > 1 &&
                        sigmf_writer_set_channels(s->rec, blk->channels, &e) != SG_OK) ||
                       sigmf_writer_sync_every(s->rec, REC_SYNC_S, &e) != SG_OK)) {
            sigmf_writer_abort(s->rec);
            s->rec = NULL;
        }
        if (!s->rec) {
            s->rec_errors++;
            s->rec_off = true; /* reported in status as record_errors */
            sg_err_prefix(&e, "recording off");
            snprintf(note, cap, "%s", e.msg);
            return;
        }
        s->rec_t0 = blk->t0;
        s->rec_fc = blk->center_freq;
    } else if (blk->discontinuity || blk->t0 != s->rec_t0 || blk->center_freq != s->rec_fc ||
               (int64_t)blk->sample_index + s->rec_offset !=
                   (int64_t)sigmf_writer_samples(s->rec)) {
        if (sigmf_writer_capture(s->rec, blk->center_freq, t_first, &e))
            goto fail;
        s->rec_t0 = blk->t0;
        s->rec_fc = blk->center_freq;
    }
    s->rec_offset = (int64_t)sigmf_writer_samples(s->rec) - (int64_t)blk->sample_index;
    if (sigmf_writer_write(s->rec, blk->x, blk->n, &e) == SG_OK)
        return;
fail:
    s->rec_errors++;
    sg_errinfo ce = {0};
    sigmf_writer_close(s->rec, &ce); /* keeps the recording up to the failure */
    s->rec = NULL;
    s->rec_off = true;
    snprintf(note, cap, "recording stopped (kept up to the failure): %s", e.msg);
}

void sensor_record_block(runner *s, const sg_iq_block *blk, char *note, size_t cap)
{
    pthread_mutex_lock(&s->rec_mu);
    record_block_locked(s, blk, note, cap);
    pthread_mutex_unlock(&s->rec_mu);
}

void sensor_record_burst(runner *s, const chain_burst *cb, const emitter *em)
{
    const sg_burst *b = &cb->b;
    int64_t at = (int64_t)b->sample_start + cb->rec_offset;
    if (!s->p->record_dir || at < 0)
        return;
    sigmf_annotation a = {.sample_start = (uint64_t)at, .sample_count = b->sample_count,
                          .freq_lo = b->fc - b->bandwidth / 2, .freq_hi = b->fc + b->bandwidth / 2};
    snprintf(a.label, sizeof a.label, "%s", em && em->cls[0] ? em->cls : "burst");
    snprintf(a.comment, sizeof a.comment, "skyguard burst: peak %.1f dB, mean %.1f dB SNR%s%s",
             b->peak_snr_db, b->mean_snr_db, b->flags & SG_BURST_TRUNC_START ? ", truncated start" : "",
             b->flags & SG_BURST_TRUNC_END ? ", truncated end" : "");
    pthread_mutex_lock(&s->rec_mu);
    if (s->rec && sigmf_writer_annotate(s->rec, &a, NULL) != SG_OK)
        s->rec_errors++;
    pthread_mutex_unlock(&s->rec_mu);
}
