/* File replay adapters "sigmf" and "raw" (sg_adapter.h interface).
 *
 * Reads a SigMF recording (or a headerless IQ file described by options) in blocks,
 * converts to float complex, and hands each block to the sink with the sample clock
 * of its capture segment (a block never straddles two captures). Replay runs as fast
 * as the sink takes blocks (lossless back-pressure) or, with "realtime": true, paced
 * to the sample rate with absolute CLOCK_MONOTONIC deadlines so pacing error never
 * accumulates. A partial trailing sample or data shorter than the meta describes is
 * reported by run() returning SG_ETRUNC after every complete sample was delivered.
 *
 * Read-ahead (option "read_ahead", blocks; default FILE_READ_AHEAD): a reader thread of
 * the adapter reads and converts the next blocks into a bounded ring of pre-allocated
 * slots while the sink (the sensor's RF chain) works on the current one, so the file
 * read and the conversion (~8 % of a 200 Msps sensor) leave the sensor thread. The
 * reader waits when the ring is full (nothing dropped; a file replay is lossless) and
 * the sink sees the same blocks in the same order; the counters (samples, bytes, bad)
 * move when a block is delivered, not when it is read, so progress and status are those
 * of a replay without it. A reader thread rather than mmap: the conversion has to leave
 * the sensor thread too, stdin and pipes work the same way, and a file truncated while
 * it is mapped would raise SIGBUS, which a library cannot catch without a process-wide
 * signal handler. 0 = read on the sink's thread. */
#define _GNU_SOURCE /* pthread_setname_np */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "iq_file.h"
#include "sg_clock.h"
#include "sg_json.h"
#include "sigmf.h"

#define FILE_READ_AHEAD 0     /* default: no reader thread (bench/README.md, "quiet machine") */
#define FILE_READ_AHEAD_MAX 64

/* One block read and converted (or, with `end`, how the data ended). */
typedef struct {
    unsigned char *raw;
    float complex *x;
    size_t n;            /* samples (of every channel) */
    size_t bytes;        /* read for them */
    size_t bad;          /* NaN/Inf samples made 0 */
    uint64_t idx;        /* stream index of x[0] */
    size_t ci;           /* its capture */
    bool end;            /* no block: the data ended (stray bytes, or a read error) */
    size_t stray;        /* end: bytes of a partial trailing sample */
    int read_errno;      /* end: errno of a read error, 0 = end of file */
} file_slot;

typedef struct {
    char data_path[1100];
    FILE *fp;
    bool own_fp;
    sigmf_meta meta;
    unsigned ch_in;      /* interleaved channels in the file */
    int ch_sel;          /* channel delivered, -1 = all (interleaved blocks) */
    bool realtime;
    size_t block;
    unsigned n_slots;    /* read_ahead + 1 with a reader thread, else 1 */
    bool reader;         /* a reader thread (read_ahead > 0) */
    file_slot slot[FILE_READ_AHEAD_MAX + 1];
    uint64_t idx;        /* reader: stream index of the next block */
    size_t ci;           /* reader: its capture */
    uint64_t file_bytes; /* 0 = unknown (stdin, pipe) */
    atomic_bool stop;
    atomic_uint_least64_t samples, blocks, bad, bytes;
    /* reader thread <-> run(): slots [r_tail, r_head) are filled, in order */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool sync_ok;
    uint64_t r_head, r_tail;
    bool r_quit;         /* run() is done: the reader stops */
} file_state;

static void file_close(void *st)
{
    file_state *s = st;
    if (!s)
        return;
    if (s->fp && s->own_fp)
        fclose(s->fp);
    sigmf_meta_free(&s->meta);
    for (unsigned i = 0; i < s->n_slots; i++) {
        free(s->slot[i].raw);
        free(s->slot[i].x);
    }
    if (s->sync_ok) {
        pthread_cond_destroy(&s->cv);
        pthread_mutex_destroy(&s->mu);
    }
    free(s);
}

/* Common tail of open: buffers and the data file. */
static int file_finish_open(file_state *s, const char *where, long block, long ahead,
                            sg_errinfo *e)
{
    s->block = (size_t)block;
    s->ch_in = s->meta.num_channels ? s->meta.num_channels : 1;
    if (s->ch_sel >= (int)s->ch_in)
        return sg_err_set(e, SG_EINVAL, "%s.channel: %d, but the recording has %u channel%s",
                          where, s->ch_sel, s->ch_in, s->ch_in == 1 ? "" : "s");
    s->reader = ahead > 0;
    s->n_slots = (unsigned)ahead + 1;
    for (unsigned i = 0; i < s->n_slots; i++) {
        file_slot *sl = &s->slot[i];
        sl->raw = malloc(s->block * sigmf_sample_bytes(s->meta.type) * s->ch_in);
        sl->x = malloc(s->block * s->ch_in * sizeof *sl->x);
        if (!sl->raw || !sl->x)
            return sg_err_set(e, SG_ENOMEM, "%s: out of memory for %u %zu-sample blocks", where,
                              s->n_slots, s->block);
    }
    if (s->reader) {
        s->sync_ok = pthread_mutex_init(&s->mu, NULL) == 0;
        if (s->sync_ok && pthread_cond_init(&s->cv, NULL) != 0) {
            pthread_mutex_destroy(&s->mu);
            s->sync_ok = false;
        }
        if (!s->sync_ok)
            return sg_err_set(e, SG_ENOMEM, "%s: cannot set up the reader thread", where);
    }
    if (strcmp(s->data_path, "-") == 0) {
        s->fp = stdin;
        s->own_fp = false;
        return SG_OK;
    }
    s->fp = fopen(s->data_path, "rb");
    if (!s->fp)
        return sg_err_set(e, SG_EIO, "%s: cannot open: %s", s->data_path, strerror(errno));
    s->own_fp = true;
    struct stat sb;
    if (fstat(fileno(s->fp), &sb) == 0 && S_ISREG(sb.st_mode))
        s->file_bytes = (uint64_t)sb.st_size;
    return SG_OK;
}

static int sigmf_open(void **out, const cJSON *o, const char *where, sg_errinfo *e)
{
    static const char *const keys[] = {"type", "path", "data", "sample_rate", "realtime",
                                       "block_samples", "channel", "read_ahead", NULL};
    char path[1024], data[1024];
    double rate;
    long block, ahead, chan = 0;
    bool rt;
    int rc;
    *out = NULL;
    if (!where)
        where = "sigmf";
    if ((rc = sgj_check_keys(o, where, keys, e)) ||
        (rc = sgj_string(o, where, "path", true, "", path, sizeof path, e)) ||
        (rc = sgj_string(o, where, "data", false, "", data, sizeof data, e)) ||
        (rc = sgj_number(o, where, "sample_rate", false, 0, 0, 1e11, &rate, e)) ||
        (rc = sgj_bool(o, where, "realtime", false, false, &rt, e)) ||
        (rc = sgj_int(o, where, "block_samples", false, 65536, 256, 1 << 24, &block, e)) ||
        (rc = sgj_int(o, where, "read_ahead", false, FILE_READ_AHEAD, 0, FILE_READ_AHEAD_MAX,
                      &ahead, e)))
        return rc;
    const cJSON *ch = cJSON_GetObjectItemCaseSensitive(o, "channel");
    if (ch && !(cJSON_IsString(ch) && !strcmp(ch->valuestring, "all")) &&
        (rc = sgj_int(o, where, "channel", false, 0, 0, 63, &chan, e)))
        return rc;
    if (ch && cJSON_IsString(ch))
        chan = -1;
    file_state *s = calloc(1, sizeof *s);
    if (!s)
        return sg_err_set(e, SG_ENOMEM, "%s: out of memory", where);
    s->ch_sel = (int)chan;
    /* accept "x", "x.sigmf-meta" or "x.sigmf-data" */
    char base[1024], meta[1100];
    snprintf(base, sizeof base, "%s", path);
    size_t L = strlen(base);
    if (L > 11 && (strcmp(base + L - 11, ".sigmf-meta") == 0 || strcmp(base + L - 11, ".sigmf-data") == 0))
        base[L - 11] = 0;
    snprintf(meta, sizeof meta, "%s.sigmf-meta", base);
    if (data[0])
        snprintf(s->data_path, sizeof s->data_path, "%s", data);
    else
        snprintf(s->data_path, sizeof s->data_path, "%s.sigmf-data", base);
    s->realtime = rt;
    rc = sigmf_meta_load(meta, rate, &s->meta, e);
    if (!rc)
        rc = file_finish_open(s, where, block, ahead, e);
    if (rc) {
        file_close(s);
        return rc;
    }
    *out = s;
    return SG_OK;
}

static int raw_open(void **out, const cJSON *o, const char *where, sg_errinfo *e)
{
    static const char *const keys[] = {"type", "path", "format", "sample_rate", "center_freq",
                                       "datetime", "realtime", "block_samples", "read_ahead",
                                       NULL};
    static const char *const fmts[] = {"cf32_le", "cf32_be", "ci16_le", "ci16_be", "ci8", "cu8"};
    char path[1024], dt[40];
    double rate, fc;
    long block, ahead;
    bool rt;
    int fmt, rc;
    *out = NULL;
    if (!where)
        where = "raw";
    if ((rc = sgj_check_keys(o, where, keys, e)) ||
        (rc = sgj_string(o, where, "path", true, "", path, sizeof path, e)) ||
        (rc = sgj_enum(o, where, "format", true, 0, fmts, 6, &fmt, e)) ||
        (rc = sgj_number(o, where, "sample_rate", true, 0, 1, 1e11, &rate, e)) ||
        (rc = sgj_number(o, where, "center_freq", false, 0, -1e12, 1e12, &fc, e)) ||
        (rc = sgj_string(o, where, "datetime", false, "", dt, sizeof dt, e)) ||
        (rc = sgj_bool(o, where, "realtime", false, false, &rt, e)) ||
        (rc = sgj_int(o, where, "block_samples", false, 65536, 256, 1 << 24, &block, e)) ||
        (rc = sgj_int(o, where, "read_ahead", false, FILE_READ_AHEAD, 0, FILE_READ_AHEAD_MAX,
                      &ahead, e)))
        return rc;
    double t0 = NAN;
    if (dt[0] && sigmf_parse_datetime(dt, &t0))
        return sg_err_set(e, SG_EINVAL,
                          "%s.datetime: \"%s\" is not ISO 8601 UTC (YYYY-MM-DDTHH:MM:SS.sssZ)",
                          where, dt);
    file_state *s = calloc(1, sizeof *s);
    if (!s)
        return sg_err_set(e, SG_ENOMEM, "%s: out of memory", where);
    snprintf(s->data_path, sizeof s->data_path, "%s", path);
    s->realtime = rt;
    s->meta.type = (sigmf_datatype)fmt;
    s->meta.sample_rate = rate;
    s->meta.captures = calloc(1, sizeof *s->meta.captures);
    s->meta.annotations = calloc(1, sizeof *s->meta.annotations);
    if (!s->meta.captures || !s->meta.annotations) {
        file_close(s);
        return sg_err_set(e, SG_ENOMEM, "%s: out of memory", where);
    }
    s->meta.n_captures = 1;
    s->meta.num_channels = 1;
    s->meta.captures[0].frequency = fc;
    s->meta.captures[0].t0 = t0;
    snprintf(s->meta.captures[0].datetime, sizeof s->meta.captures[0].datetime, "%s", dt);
    rc = file_finish_open(s, where, block, ahead, e);
    if (rc) {
        file_close(s);
        return rc;
    }
    *out = s;
    return SG_OK;
}

/* The next block of the data into sl (on the reader thread, or run()'s without one):
 * up to block_samples, never across a capture boundary; sl->end when the data ended. */
static void read_block(file_state *s, file_slot *sl)
{
    const sigmf_meta *m = &s->meta;
    const size_t sb = sigmf_sample_bytes(m->type) * s->ch_in; /* one sample of every channel */
    while (s->ci + 1 < m->n_captures && s->idx >= m->captures[s->ci + 1].sample_start)
        s->ci++;
    size_t want = s->block;
    if (s->ci + 1 < m->n_captures && m->captures[s->ci + 1].sample_start - s->idx < want)
        want = (size_t)(m->captures[s->ci + 1].sample_start - s->idx);
    size_t got = fread(sl->raw, 1, want * sb, s->fp);
    sl->n = got / sb;
    sl->bytes = got;
    sl->idx = s->idx;
    sl->ci = s->ci;
    sl->bad = 0;
    sl->end = false;
    if (sl->n) {
        sl->bad = sigmf_decode(m->type, sl->raw, sl->n * s->ch_in, sl->x);
        if (s->ch_in > 1 && s->ch_sel >= 0) /* one channel of a multi-channel file */
            for (size_t i = 0; i < sl->n; i++)
                sl->x[i] = sl->x[i * s->ch_in + (unsigned)s->ch_sel];
        s->idx += sl->n;
    }
    if (got < want * sb) { /* the end: after this block's samples, if any */
        sl->end = true;
        sl->read_errno = ferror(s->fp) ? (errno ? errno : EIO) : 0;
        sl->stray = got % sb;
    }
}

static void *reader_thread(void *arg)
{
    file_state *s = arg;
    pthread_setname_np(pthread_self(), "sg-read");
    pthread_mutex_lock(&s->mu);
    for (;;) {
        while (s->r_head - s->r_tail == s->n_slots && !s->r_quit)
            pthread_cond_wait(&s->cv, &s->mu);
        if (s->r_quit)
            break;
        file_slot *sl = &s->slot[s->r_head % s->n_slots];
        pthread_mutex_unlock(&s->mu); /* run() reads slots [r_tail, r_head) only */
        read_block(s, sl);
        pthread_mutex_lock(&s->mu);
        s->r_head++;
        pthread_cond_broadcast(&s->cv);
        if (sl->end)
            break;
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

/* The next block for the sink: the reader's oldest, waiting for it (never NULL). */
static file_slot *next_slot(file_state *s)
{
    if (!s->reader) {
        read_block(s, &s->slot[0]);
        return &s->slot[0];
    }
    pthread_mutex_lock(&s->mu);
    while (s->r_tail == s->r_head)
        pthread_cond_wait(&s->cv, &s->mu);
    file_slot *sl = &s->slot[s->r_tail % s->n_slots];
    pthread_mutex_unlock(&s->mu);
    return sl;
}

static void release_slot(file_state *s)
{
    if (!s->reader)
        return;
    pthread_mutex_lock(&s->mu);
    s->r_tail++;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

/* Hands sl's samples to the sink with their capture's clock and frequency (paced with
 * "realtime"); 1 when a stop came during the pacing wait. */
static int deliver_block(file_state *s, const file_slot *sl, sg_pacer *pace, sg_iq_sink sink,
                         void *user, int *sink_rc)
{
    const sigmf_meta *m = &s->meta;
    size_t ci = sl->ci, n = sl->n;
    uint64_t idx = sl->idx;
    const sigmf_capture *c = &m->captures[ci];
    sg_iq_block blk = {
        .x = sl->x,
        .n = n,
        .sample_index = idx,
        .sample_rate = m->sample_rate,
        .center_freq = c->frequency,
        .t0 = isfinite(c->t0) ? c->t0 - (double)c->sample_start / m->sample_rate : 0,
        .discontinuity = false,
        .channels = s->ch_sel < 0 ? s->ch_in : 1,
    };
    if (ci + 1 < m->n_captures && idx + n == m->captures[ci + 1].sample_start) {
        /* the last block of a segment: a new clock or frequency follows (what a
         * front end treats as a gap), so bursts need not wait for the next one */
        const sigmf_capture *nc = &m->captures[ci + 1];
        double nt0 = isfinite(nc->t0) ? nc->t0 - (double)nc->sample_start / m->sample_rate : 0;
        blk.gap_after = nt0 != blk.t0 || nc->frequency != c->frequency;
    }
    if (s->realtime) {
        /* Pace on the sample clock, so the gaps between the capture segments of
         * a triggered recording are waited out as they happened (up to
         * SG_PACE_MAX_GAP_S: a clock jump is not slept out). */
        if (sg_pacer_wait(pace, blk.t0 + (double)idx / m->sample_rate,
                          blk.t0 + (double)(idx + n) / m->sample_rate, &s->stop))
            return 1;
    }
    atomic_fetch_add(&s->bytes, sl->bytes);
    atomic_fetch_add(&s->bad, sl->bad);
    *sink_rc = sink(user, &blk);
    atomic_fetch_add(&s->samples, n);
    atomic_fetch_add(&s->blocks, 1);
    return 0;
}

static int file_run(void *st, sg_iq_sink sink, void *user, sg_errinfo *e)
{
    file_state *s = st;
    const sigmf_meta *m = &s->meta;
    const size_t sb = sigmf_sample_bytes(m->type) * s->ch_in;
    uint64_t idx = 0;
    size_t stray = 0;
    int rc = SG_OK, read_errno = 0;
    sg_pacer pace;
    sg_pacer_init(&pace);
    s->idx = 0;
    s->ci = 0;
    pthread_t th;
    if (s->reader) {
        s->r_head = s->r_tail = 0;
        s->r_quit = false;
        if (pthread_create(&th, NULL, reader_thread, s) != 0)
            return sg_err_set(e, SG_ENOMEM, "%s: cannot start the reader thread", s->data_path);
    }
    while (!atomic_load(&s->stop)) {
        file_slot *sl = next_slot(s);
        bool end = sl->end;
        if (end) {
            stray = sl->stray;
            read_errno = sl->read_errno;
        }
        if (sl->n && deliver_block(s, sl, &pace, sink, user, &rc)) {
            release_slot(s);
            break; /* stopped while pacing */
        }
        idx = sl->idx + sl->n;
        release_slot(s);
        if (rc || end)
            break;
    }
    if (s->reader) {
        pthread_mutex_lock(&s->mu);
        s->r_quit = true;
        pthread_cond_broadcast(&s->cv);
        pthread_mutex_unlock(&s->mu);
        pthread_join(th, NULL);
    }
    if (rc)
        return rc;
    if (read_errno)
        return sg_err_set(e, SG_EIO, "%s: read error after sample %llu: %s", s->data_path,
                          (unsigned long long)idx, strerror(read_errno));
    if (atomic_load(&s->stop))
        return SG_OK;
    if (stray)
        return sg_err_set(e, SG_ETRUNC,
                          "%s: ends with a partial sample (%zu of %zu bytes) after sample %llu",
                          s->data_path, stray, sb, (unsigned long long)idx);
    uint64_t need = m->captures[m->n_captures - 1].sample_start;
    for (size_t i = 0; i < m->n_annotations; i++) {
        uint64_t z = m->annotations[i].sample_start + m->annotations[i].sample_count;
        if (z > need)
            need = z;
    }
    if (need > idx)
        return sg_err_set(e, SG_ETRUNC,
                          "%s: data ends at sample %llu but the meta describes samples up to %llu",
                          s->data_path, (unsigned long long)idx, (unsigned long long)need);
    return SG_OK;
}

static void file_stop(void *st)
{
    atomic_store(&((file_state *)st)->stop, true);
}

static void file_stats(void *st, sg_adapter_stats *out)
{
    file_state *s = st;
    memset(out, 0, sizeof *out);
    out->samples = atomic_load(&s->samples);
    out->blocks = atomic_load(&s->blocks);
    out->bad_samples = atomic_load(&s->bad);
    out->channels = s->ch_sel < 0 ? s->ch_in : 1;
    uint64_t b = atomic_load(&s->bytes);
    out->progress = s->file_bytes ? (double)b / (double)s->file_bytes : NAN;
}

const sg_iq_adapter sg_adapter_sigmf = {
    .name = "sigmf",
    .help = "SigMF recording replay.\n"
            "  path           recording: base name, .sigmf-meta or .sigmf-data (required)\n"
            "  data           data file instead of <base>.sigmf-data; \"-\" = stdin\n"
            "  sample_rate    Hz; only needed when the meta lacks core:sample_rate\n"
            "  realtime       false = as fast as possible, true = paced to the sample rate\n"
            "  block_samples  samples per block, 256..16777216 (default 65536)\n"
            "  read_ahead     blocks a reader thread reads and converts ahead of the\n"
            "                 RF chain, 0..64 (default 0 = read on the chain's thread)\n"
            "  channel        multi-channel recordings (core:num_channels): the channel to\n"
            "                 replay, 0..n-1 (default 0), or \"all\" for interleaved blocks\n"
            "  datatypes: cf32_le cf32_be ci16_le ci16_be ci8 cu8; multiple captures and\n"
            "  annotations are read; NaN/Inf samples become 0 and are counted.\n",
    .live = false,
    .open = sigmf_open,
    .run = file_run,
    .stop = file_stop,
    .close = file_close,
    .stats = file_stats,
};

const sg_iq_adapter sg_adapter_raw = {
    .name = "raw",
    .help = "Headerless IQ file replay.\n"
            "  path           file, \"-\" = stdin (required)\n"
            "  format         cf32_le cf32_be ci16_le ci16_be ci8 cu8 (required)\n"
            "  sample_rate    Hz (required)\n"
            "  center_freq    Hz RF of DC (default 0 = unknown)\n"
            "  datetime       ISO 8601 UTC time of the first sample (default none: t0 = 0)\n"
            "  realtime       false = as fast as possible, true = paced to the sample rate\n"
            "  block_samples  samples per block, 256..16777216 (default 65536)\n"
            "  read_ahead     blocks read and converted ahead on a reader thread, 0..64\n"
            "                 (default 0 = read on the chain's thread)\n",
    .live = false,
    .open = raw_open,
    .run = file_run,
    .stop = file_stop,
    .close = file_close,
    .stats = file_stats,
};

const sigmf_meta *sg_adapter_file_meta(void *state)
{
    return state ? &((file_state *)state)->meta : NULL;
}

void sg_adapter_progress_format(const sg_adapter_stats *s, double sample_rate, double elapsed_s,
                                char *out, size_t cap)
{
    char pct[16] = "";
    if (isfinite(s->progress))
        snprintf(pct, sizeof pct, "%5.1f%% ", 100.0 * s->progress);
    double speed = elapsed_s > 0 && sample_rate > 0 ? (double)s->samples / sample_rate / elapsed_s : 0;
    snprintf(out, cap, "%s%8.2f Ms  %.1fx real time  %llu bad", pct, (double)s->samples / 1e6,
             speed, (unsigned long long)s->bad_samples);
}
