/* SigMF recordings (and raw IQ files): sample formats, metadata reader, writer.
 *
 * Used by the "sigmf" and "raw" replay adapters (sg_adapter.h) and by tools that
 * write captures (sg_gen). Metadata is parsed with the checked getters of sg_json.h,
 * so every error names the file and the key. Samples are converted to float complex
 * with full scale ~ |x| = 1; NaN/Inf input samples become 0 and are counted.
 * Thread-safety: functions on different objects may run in parallel; one object is
 * used by one thread. Nothing here prints. */
#ifndef SG_SIGMF_H
#define SG_SIGMF_H

#include <complex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sg_error.h"

typedef enum {
    SIGMF_CF32_LE = 0,
    SIGMF_CF32_BE,
    SIGMF_CI16_LE,
    SIGMF_CI16_BE,
    SIGMF_CI8,
    SIGMF_CU8,
    SIGMF_TYPE_COUNT_
} sigmf_datatype;

/* Parses a SigMF datatype name ("cf32_le", "ci16_le", "ci8", "cu8", ...). */
int sigmf_datatype_parse(const char *name, sigmf_datatype *out);
const char *sigmf_datatype_name(sigmf_datatype t);
/* Bytes per complex sample (2 for ci8/cu8 ... 8 for cf32). */
size_t sigmf_sample_bytes(sigmf_datatype t);
/* Converts n samples from raw to out; NaN/Inf become 0. Returns how many were bad. */
size_t sigmf_decode(sigmf_datatype t, const void *raw, size_t n, float complex *out);
/* Converts n samples to raw, clipping integer formats at full scale (|re|,|im| <= 1).
 * Returns how many components were clipped. */
size_t sigmf_encode(sigmf_datatype t, const float complex *in, size_t n, void *raw);

typedef struct {
    uint64_t sample_start;  /* first sample of this capture segment */
    double frequency;       /* Hz, RF centre; 0 if the meta has none */
    double t0;              /* s UTC of sample_start (from core:datetime); NAN if none */
    char datetime[40];      /* as written, "" if none */
} sigmf_capture;

typedef struct {
    uint64_t sample_start;
    uint64_t sample_count;  /* 0 if absent */
    double freq_lo, freq_hi; /* Hz absolute; NAN if absent */
    char label[64];
    char comment[160];
} sigmf_annotation;

typedef struct {
    sigmf_datatype type;
    double sample_rate;      /* Hz */
    unsigned num_channels;   /* core:num_channels, 1..64 (1 if absent): channels interleaved
                                sample by sample; sample indices count multi-channel samples */
    char description[256];
    sigmf_capture *captures; /* >= 1 (one at 0 with frequency 0 if the meta has none) */
    size_t n_captures;
    sigmf_annotation *annotations;
    size_t n_annotations;
} sigmf_meta;

/* Reads a .sigmf-meta file. rate_override > 0 replaces (or supplies) core:sample_rate;
 * a meta without a rate and no override is an error that says to give one. */
int sigmf_meta_load(const char *meta_path, double rate_override, sigmf_meta *out,
                    sg_errinfo *e);
/* Same from metadata text in memory; `name` stands for the file in errors. */
int sigmf_meta_parse(const char *name, const char *text, size_t len, double rate_override,
                     sigmf_meta *out, sg_errinfo *e);
void sigmf_meta_free(sigmf_meta *m);
/* Parses an ISO 8601 UTC time "YYYY-MM-DDTHH:MM:SS[.frac]Z" (years 0000..9999, fixed-width
 * fields, no sign) into s UTC; anything else is SG_EFORMAT. */
int sigmf_parse_datetime(const char *s, double *t);
/* Formats s UTC as "YYYY-MM-DDTHH:MM:SS.ffffffZ" into out[cap >= 32]; "" for a time
 * outside years 0000..9999 (or NaN). */
void sigmf_format_datetime(double t, char *out, size_t cap);

/* ---- writer ---- */
typedef struct sigmf_writer_s sigmf_writer;
/* Creates <base>.sigmf-data and, at close, <base>.sigmf-meta (both written to a
 * temporary name and renamed, so a reader never sees a half-written recording).
 * t0 = s UTC of sample 0 (NAN = no datetime). */
sigmf_writer *sigmf_writer_create(const char *base, sigmf_datatype type, double sample_rate,
                                  double center_freq, double t0, const char *description,
                                  sg_errinfo *e);
/* Multi-channel recording: channels (1..64) interleaved sample by sample, written as
 * core:num_channels. Only before the first write. */
int sigmf_writer_set_channels(sigmf_writer *w, unsigned channels, sg_errinfo *e);
/* Writes n samples; with C channels x holds n * C values, x[t * C + c]. */
int sigmf_writer_write(sigmf_writer *w, const float complex *x, size_t n, sg_errinfo *e);
/* Starts a new capture segment at the current sample (e.g. after a retune). */
int sigmf_writer_capture(sigmf_writer *w, double center_freq, double t0, sg_errinfo *e);
int sigmf_writer_annotate(sigmf_writer *w, const sigmf_annotation *a, sg_errinfo *e);
uint64_t sigmf_writer_samples(const sigmf_writer *w);
uint64_t sigmf_writer_clipped(const sigmf_writer *w);
/* Crash-safe recording (a live capture): renames the data into place now, writes the
 * meta now and rewrites it (data synced first; meta to a temporary name, fsync, rename)
 * whenever the recording's clock (capture datetime + samples / rate) has advanced by
 * `seconds` (> 0; 0 = after every write) since the last rewrite (stretched by one
 * `seconds` per 20000 annotations, so the rewrites stay a small cost). A recording cut
 * by kill -9 or power loss then replays up to its last rewrite at least. Call once,
 * right after create. */
int sigmf_writer_sync_every(sigmf_writer *w, double seconds, sg_errinfo *e);
/* Flushes the data and rewrites the meta now (after sigmf_writer_sync_every). */
int sigmf_writer_sync(sigmf_writer *w, sg_errinfo *e);
/* A failed write (disk full, I/O error) returns SG_EIO naming the file and the cause
 * (strerror); the writer then refuses everything (SG_ESTATE) until close. */

/* Writes the meta, renames both files into place and frees w (also on error). A live
 * writer (sigmf_writer_sync_every) that failed keeps the recording: the data is cut to
 * the whole samples that reached the file and the meta is rewritten if it can be (else
 * the last one stays); close then returns SG_EIO. */
int sigmf_writer_close(sigmf_writer *w, sg_errinfo *e);
/* Frees w and removes its temporary files (abandon a recording; a live writer's files
 * are kept as last synced). */
void sigmf_writer_abort(sigmf_writer *w);

#endif
