/* SigMF recording writer (see sigmf.h): samples encoded into the data file, captures
 * and annotations into the metadata; written under temporary names and renamed when
 * closed, or live (data at its final name, metadata rewritten atomically as it grows).
 * The datatypes, the codec and the metadata reader are in sigmf.c. */
#include "sigmf.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "sg_json.h"

struct sigmf_writer_s {
    char base[1024];
    char tmp_data[1100], tmp_meta[1100];
    FILE *fp;
    sigmf_datatype type;
    double rate;
    char description[256];
    cJSON *caps, *anns;
    cJSON *last_cap;        /* last item of caps (list items are not indexed: O(n)) */
    uint64_t samples, clipped;
    unsigned channels; /* interleaved per sample, >= 1 */
    uint64_t n_anns;
    bool live;              /* data at its final name, meta rewritten as it grows */
    bool failed;            /* a write failed: nothing more is written */
    double sync_s;          /* s of recording clock between meta rewrites (live) */
    double synced_t;        /* recording clock at the last rewrite (s) */
    double cap_t0;          /* s UTC of the last capture's start; NAN = none */
    uint64_t cap_start;     /* its first sample */
    unsigned char buf[8 * 4096];
};

static cJSON *capture_obj(uint64_t start, double fc, double t0)
{
    cJSON *c = cJSON_CreateObject();
    if (!c)
        return NULL;
    cJSON_AddNumberToObject(c, "core:sample_start", (double)start);
    if (fc != 0)
        cJSON_AddNumberToObject(c, "core:frequency", fc);
    if (isfinite(t0)) {
        char dt[40];
        sigmf_format_datetime(t0, dt, sizeof dt);
        if (dt[0]) /* a time no 4-digit year can show is omitted, not faked */
            cJSON_AddStringToObject(c, "core:datetime", dt);
    }
    return c;
}

sigmf_writer *sigmf_writer_create(const char *base, sigmf_datatype type, double rate, double fc,
                                  double t0, const char *description, sg_errinfo *e)
{
    if (!base || !*base || strlen(base) >= 1000) {
        sg_err_set(e, SG_EINVAL, "sigmf writer: output name empty or too long");
        return NULL;
    }
    if ((unsigned)type >= SIGMF_TYPE_COUNT_ || !(rate > 0) || !isfinite(fc)) {
        sg_err_set(e, SG_EINVAL, "%s: bad datatype or sample rate (%g Hz)", base, rate);
        return NULL;
    }
    sigmf_writer *w = calloc(1, sizeof *w);
    if (!w) {
        sg_err_set(e, SG_ENOMEM, "%s: out of memory", base);
        return NULL;
    }
    snprintf(w->base, sizeof w->base, "%s", base);
    snprintf(w->tmp_data, sizeof w->tmp_data, "%s.sigmf-data.tmp", base);
    snprintf(w->tmp_meta, sizeof w->tmp_meta, "%s.sigmf-meta.tmp", base);
    snprintf(w->description, sizeof w->description, "%s", description ? description : "");
    w->type = type;
    w->rate = rate;
    w->channels = 1;
    w->caps = cJSON_CreateArray();
    w->anns = cJSON_CreateArray();
    cJSON *c = w->caps ? capture_obj(0, fc, t0) : NULL;
    if (!w->caps || !w->anns || !c) {
        cJSON_Delete(c);
        sg_err_set(e, SG_ENOMEM, "%s: out of memory", base);
        sigmf_writer_abort(w);
        return NULL;
    }
    cJSON_AddItemToArray(w->caps, c);
    w->last_cap = c;
    w->cap_t0 = t0;
    w->fp = fopen(w->tmp_data, "wb");
    if (!w->fp) {
        sg_err_set(e, SG_EIO, "%s: cannot create: %s", w->tmp_data, strerror(errno));
        sigmf_writer_abort(w);
        return NULL;
    }
    return w;
}

int sigmf_writer_set_channels(sigmf_writer *w, unsigned channels, sg_errinfo *e)
{
    if (channels < 1 || channels > 64)
        return sg_err_set(e, SG_EINVAL, "%s: channels must be in [1, 64], got %u", w->base,
                          channels);
    if (w->samples)
        return sg_err_set(e, SG_ESTATE, "%s: channel count set after samples were written",
                          w->base);
    w->channels = channels;
    return SG_OK;
}

/* The data file's current name. */
static const char *data_name(const sigmf_writer *w, char *buf, size_t cap)
{
    if (!w->live)
        return w->tmp_data;
    snprintf(buf, cap, "%s.sigmf-data", w->base);
    return buf;
}

/* A write failed (errno says why): the writer stops for good. */
static int write_failed(sigmf_writer *w, sg_errinfo *e)
{
    int er = errno;
    char b[1100];
    w->failed = true;
    return sg_err_set(e, SG_EIO, "%s: write failed: %s", data_name(w, b, sizeof b),
                      strerror(er));
}

static int write_meta(sigmf_writer *w, sg_errinfo *e);

int sigmf_writer_sync(sigmf_writer *w, sg_errinfo *e)
{
    if (w->failed)
        return sg_err_set(e, SG_ESTATE, "%s: recording stopped after a write error", w->base);
    /* the samples reach the disk before a meta that describes them */
    if (fflush(w->fp) || fdatasync(fileno(w->fp)))
        return write_failed(w, e);
    int rc = write_meta(w, e);
    if (rc)
        w->failed = true;
    return rc;
}

/* The recording's clock (s): capture datetime + samples since, or samples / rate. */
static double rec_clock(const sigmf_writer *w)
{
    double t = (double)(w->samples - w->cap_start) / w->rate;
    return isfinite(w->cap_t0) ? w->cap_t0 + t : (double)w->samples / w->rate;
}

int sigmf_writer_sync_every(sigmf_writer *w, double seconds, sg_errinfo *e)
{
    char path[1100];
    snprintf(path, sizeof path, "%s.sigmf-data", w->base);
    if (!w->live && rename(w->tmp_data, path))
        return sg_err_set(e, SG_EIO, "%s: cannot rename: %s", path, strerror(errno));
    w->live = true;
    w->sync_s = seconds > 0 ? seconds : 0;
    w->synced_t = rec_clock(w);
    return sigmf_writer_sync(w, e);
}

int sigmf_writer_write(sigmf_writer *w, const float complex *x, size_t n, sg_errinfo *e)
{
    if (w->failed)
        return sg_err_set(e, SG_ESTATE, "%s: recording stopped after a write error", w->base);
    size_t ch = w->channels, sb = sigmf_sample_bytes(w->type) * ch, per = sizeof w->buf / sb;
    while (n) {
        size_t k = n < per ? n : per;
        w->clipped += sigmf_encode(w->type, x, k * ch, w->buf);
        if (fwrite(w->buf, sb, k, w->fp) != k)
            return write_failed(w, e);
        w->samples += k;
        x += k * ch;
        n -= k;
    }
    /* a long annotation list makes each rewrite dearer: rewrite it less often, so the
     * meta costs O(1) per annotation over the recording */
    if (!w->live)
        return SG_OK;
    double t = rec_clock(w), every = w->sync_s * (double)(1 + w->n_anns / 20000);
    if (t - w->synced_t >= every || t < w->synced_t) { /* a clock going back: rewrite too */
        w->synced_t = t;
        return sigmf_writer_sync(w, e);
    }
    return SG_OK;
}

int sigmf_writer_capture(sigmf_writer *w, double fc, double t0, sg_errinfo *e)
{
    const cJSON *ss = cJSON_GetObjectItemCaseSensitive(w->last_cap, "core:sample_start");
    cJSON *c = capture_obj(w->samples, fc, t0);
    if (!c)
        return sg_err_set(e, SG_ENOMEM, "%s: out of memory", w->base);
    if (ss && (uint64_t)ss->valuedouble == w->samples) /* nothing written yet: replace */
        cJSON_ReplaceItemViaPointer(w->caps, w->last_cap, c);
    else
        cJSON_AddItemToArray(w->caps, c);
    w->last_cap = c;
    w->cap_t0 = t0;
    w->cap_start = w->samples;
    return SG_OK;
}

int sigmf_writer_annotate(sigmf_writer *w, const sigmf_annotation *a, sg_errinfo *e)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return sg_err_set(e, SG_ENOMEM, "%s: out of memory", w->base);
    cJSON_AddNumberToObject(o, "core:sample_start", (double)a->sample_start);
    if (a->sample_count)
        cJSON_AddNumberToObject(o, "core:sample_count", (double)a->sample_count);
    if (isfinite(a->freq_lo) && isfinite(a->freq_hi)) {
        cJSON_AddNumberToObject(o, "core:freq_lower_edge", a->freq_lo);
        cJSON_AddNumberToObject(o, "core:freq_upper_edge", a->freq_hi);
    }
    if (a->label[0])
        cJSON_AddStringToObject(o, "core:label", a->label);
    if (a->comment[0])
        cJSON_AddStringToObject(o, "core:comment", a->comment);
    cJSON_AddItemToArray(w->anns, o);
    w->n_anns++;
    return SG_OK;
}

uint64_t sigmf_writer_samples(const sigmf_writer *w) { return w->samples; }
uint64_t sigmf_writer_clipped(const sigmf_writer *w) { return w->clipped; }

void sigmf_writer_abort(sigmf_writer *w)
{
    if (!w)
        return;
    if (w->fp) {
        fclose(w->fp);
        remove(w->tmp_data);
    }
    remove(w->tmp_meta);
    cJSON_Delete(w->caps);
    cJSON_Delete(w->anns);
    free(w);
}

static int cmp_ann(const void *a, const void *b)
{
    const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
    double s = cJSON_GetObjectItemCaseSensitive(x, "core:sample_start")->valuedouble;
    double t = cJSON_GetObjectItemCaseSensitive(y, "core:sample_start")->valuedouble;
    return (s > t) - (s < t);
}

/* Writes <base>.sigmf-meta from the captures and annotations so far: to a temporary
 * name, synced, then renamed, so a reader (or a crash) sees the old meta or the new. */
static int write_meta(sigmf_writer *w, sg_errinfo *e)
{
    /* SigMF wants annotations sorted by sample_start */
    int na = cJSON_GetArraySize(w->anns);
    cJSON **v = calloc(na ? (size_t)na : 1, sizeof *v);
    cJSON *root = cJSON_CreateObject(), *g = cJSON_CreateObject();
    if (!root || !g || !v) {
        cJSON_Delete(root);
        cJSON_Delete(g);
        free(v);
        return sg_err_set(e, SG_ENOMEM, "%s: out of memory writing meta", w->base);
    }
    for (int i = 0; i < na; i++) /* the head each time: detaching by index is O(i) */
        v[i] = cJSON_DetachItemViaPointer(w->anns, w->anns->child);
    qsort(v, (size_t)na, sizeof *v, cmp_ann);
    for (int i = 0; i < na; i++)
        cJSON_AddItemToArray(w->anns, v[i]);
    free(v);
    cJSON_AddStringToObject(g, "core:datatype", sigmf_datatype_name(w->type));
    cJSON_AddNumberToObject(g, "core:sample_rate", w->rate);
    if (w->channels > 1)
        cJSON_AddNumberToObject(g, "core:num_channels", w->channels);
    cJSON_AddStringToObject(g, "core:version", "1.0.0");
    if (w->description[0])
        cJSON_AddStringToObject(g, "core:description", w->description);
    cJSON_AddStringToObject(g, "core:recorder", "skyguard");
    cJSON_AddItemToObject(root, "global", g);
    /* references: the lists stay the writer's */
    cJSON_AddItemReferenceToObject(root, "captures", w->caps);
    cJSON_AddItemReferenceToObject(root, "annotations", w->anns);
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    if (!text)
        return sg_err_set(e, SG_ENOMEM, "%s: out of memory writing meta", w->base);
    FILE *mf = fopen(w->tmp_meta, "w");
    bool ok = mf && fputs(text, mf) >= 0 && fputc('\n', mf) != EOF && fflush(mf) == 0 &&
              fsync(fileno(mf)) == 0;
    int er = errno;
    if (mf && fclose(mf) && ok) {
        ok = false;
        er = errno;
    }
    free(text);
    char path[1100];
    snprintf(path, sizeof path, "%s.sigmf-meta", w->base);
    if (ok && rename(w->tmp_meta, path)) {
        ok = false;
        er = errno;
    }
    if (!ok) {
        remove(w->tmp_meta);
        return sg_err_set(e, SG_EIO, "%s: cannot write meta: %s", path, strerror(er));
    }
    return SG_OK;
}

int sigmf_writer_close(sigmf_writer *w, sg_errinfo *e)
{
    int rc = SG_OK;
    char path[1100];
    FILE *fp = w->fp;
    w->fp = NULL;
    bool bad = w->failed || fflush(fp) || ferror(fp);
    int er = errno;
    if (w->live) {
        if (bad) {
            /* keep the whole samples that reached the file; the meta lists no more */
            size_t sb = sigmf_sample_bytes(w->type);
            struct stat st;
            if (fstat(fileno(fp), &st) == 0) {
                uint64_t keep = (uint64_t)st.st_size / sb * sb;
                if (keep > w->samples * sb)
                    keep = w->samples * sb;
                (void)!ftruncate(fileno(fp), (off_t)keep);
            }
            if (!w->failed)
                rc = sg_err_set(e, SG_EIO, "%s.sigmf-data: write failed: %s", w->base,
                                strerror(er));
            else
                rc = sg_err_set(e, SG_EIO, "%s: recording stopped after a write error",
                                w->base);
        }
        fclose(fp);
        int mrc = write_meta(w, rc ? NULL : e);
        sigmf_writer_abort(w); /* frees; the recording's files are not temporary */
        return rc ? rc : mrc;
    }
    if (bad) {
        rc = sg_err_set(e, SG_EIO, "%s: write failed: %s", w->tmp_data, strerror(er));
        fclose(fp);
        remove(w->tmp_data);
        sigmf_writer_abort(w);
        return rc;
    }
    fclose(fp);
    snprintf(path, sizeof path, "%s.sigmf-data", w->base);
    if (rename(w->tmp_data, path)) {
        rc = sg_err_set(e, SG_EIO, "%s: cannot rename: %s", path, strerror(errno));
        remove(w->tmp_data);
    } else if ((rc = write_meta(w, e))) {
        remove(path); /* data without its meta is no recording */
    }
    sigmf_writer_abort(w);
    return rc;
}
