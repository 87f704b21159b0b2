/* Scenario CSV files: truth, measurements and scan reports, written and read back (see
 * scenario.h; split from scenario.c). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario.h"
#include "scenario_int.h"

/* ---- CSV --------------------------------------------------------------------------- */

static const char *TYPE_NAMES[] = {"wgs84", "pos", "bearing", "range_bearing", "rf"};

static void truth_line(FILE *f, const scenario *s, size_t i)
{
    const scen_truth *t = &s->truth[i];
    fprintf(f, "%.3f,%d,%.3f,%.3f,%.3f\n", t->t, t->id, t->p[0], t->p[1], t->p[2]);
}

static void meas_line(FILE *f, const scenario *s, size_t i)
{
    const sg_measurement *m = &s->meas[i];
    int d = sg_meas_dim(m->type);
    double sd[3] = {0, 0, 0};
    for (int k = 0; k < d; k++)
        sd[k] = sqrt(m->R[k * d + k]);
    bool ang = m->type != SG_MEAS_POS_ENU;
    fprintf(f, ang ? "%.3f,%d,%s,%.9g,%.9g,%.9g,%.6g,%.6g,%.6g,%.3f,%.3f,%.3f,%d,%s\n"
                   : "%.3f,%d,%s,%.3f,%.3f,%.3f,%.6g,%.6g,%.6g,%.3f,%.3f,%.3f,%d,%s\n",
            m->t, m->sensor, TYPE_NAMES[m->type], m->z[0], m->z[1], m->z[2], sd[0], sd[1], sd[2],
            m->sensor_enu[0], m->sensor_enu[1], m->sensor_enu[2],
            s->clutter ? (int)s->clutter[i] : 0, m->identity);
}

/* Writes header + n rows to path atomically (temp file + rename). */
static int write_csv(const scenario *s, const char *path, const char *header, size_t n,
                     void (*line)(FILE *, const scenario *, size_t), sg_errinfo *e)
{
    char tmp[4096];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp)
        return sg_err_set(e, SG_ERANGE, "%s: path too long", path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return sg_err_set(e, SG_EIO, "%s: cannot create: %s", tmp, strerror(errno));
    fprintf(f, "%s\n", header);
    for (size_t i = 0; i < n; i++)
        line(f, s, i);
    int bad = ferror(f);
    if (fclose(f) != 0 || bad) {
        remove(tmp);
        return sg_err_set(e, SG_EIO, "%s: write failed", path);
    }
    if (rename(tmp, path) != 0) {
        remove(tmp);
        return sg_err_set(e, SG_EIO, "%s: rename failed: %s", path, strerror(errno));
    }
    return SG_OK;
}

static void scan_line(FILE *f, const scenario *s, size_t i)
{
    const tracker_scan *c = &s->scans[i];
    fprintf(f, "%.6f,%.6f,%d,%s,%.3f,%.3f,%.3f,%.17g,%.17g,%.17g,%.17g,%.3f\n", c->t0, c->t1,
            c->sensor, c->cover == TRACKER_COVER_ALL ? "all" : "sector", c->sensor_enu[0],
            c->sensor_enu[1], c->sensor_enu[2], c->az_center, c->az_half, c->el_min, c->el_max,
            c->range_max);
}

#define TRUTH_HEADER "t,id,x,y,z"
#define MEAS_HEADER "t,sensor,type,z0,z1,z2,sd0,sd1,sd2,sx,sy,sz,clutter,identity"
#define SCANS_HEADER "t0,t1,sensor,cover,sx,sy,sz,az_center,az_half,el_min,el_max,range_max"

int scen_write_scans_csv(const scenario *s, const char *path, sg_errinfo *e)
{
    return write_csv(s, path, SCANS_HEADER, s->n_scans, scan_line, e);
}

int scen_write_truth_csv(const scenario *s, const char *path, sg_errinfo *e)
{
    return write_csv(s, path, TRUTH_HEADER, s->n_truth, truth_line, e);
}

int scen_write_meas_csv(const scenario *s, const char *path, sg_errinfo *e)
{
    return write_csv(s, path, MEAS_HEADER, s->n_meas, meas_line, e);
}

/* Splits line in place at commas into at most max fields; returns the count. */
static int split(char *line, char **f, int max)
{
    int n = 0;
    char *p = line;
    for (;;) {
        if (n == max)
            return max + 1;
        f[n++] = p;
        char *c = strchr(p, ',');
        if (!c)
            break;
        *c = 0;
        p = c + 1;
    }
    return n;
}

static int num(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

static int read_lines(const char *path, const char *header, int nfields, scenario *s,
                      int (*row)(scenario *, char **, const char *, long, sg_errinfo *),
                      sg_errinfo *e)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return sg_err_set(e, SG_EIO, "%s: cannot open: %s", path, strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    long ln = 0;
    bool seen_header = false;
    int rc = SG_OK;
    while (getline(&line, &cap, f) >= 0) {
        ln++;
        line[strcspn(line, "\r\n")] = 0;
        if (!line[0] || line[0] == '#')
            continue;
        if (!seen_header) {
            if (strcmp(line, header) != 0) {
                rc = sg_err_set(e, SG_EFORMAT, "%s:%ld: header must be \"%s\"", path, ln, header);
                break;
            }
            seen_header = true;
            continue;
        }
        char *fl[32];
        int n = split(line, fl, 31);
        if (n != nfields) {
            rc = sg_err_set(e, SG_EFORMAT, "%s:%ld: expected %d fields, got %d", path, ln,
                            nfields, n);
            break;
        }
        rc = row(s, fl, path, ln, e);
        if (rc)
            break;
    }
    if (rc == SG_OK && ferror(f))
        rc = sg_err_set(e, SG_EIO, "%s: read error", path);
    if (rc == SG_OK && !seen_header)
        rc = sg_err_set(e, SG_EFORMAT, "%s: empty file (no header)", path);
    free(line);
    fclose(f);
    return rc;
}

static int truth_row(scenario *s, char **f, const char *path, long ln, sg_errinfo *e)
{
    double v[5];
    for (int i = 0; i < 5; i++)
        if (num(f[i], &v[i]))
            return sg_err_set(e, SG_EFORMAT, "%s:%ld: field %d: not a finite number: \"%s\"",
                              path, ln, i + 1, f[i]);
    if (v[1] < -1 || v[1] > 1e7 || v[1] != floor(v[1]))
        return sg_err_set(e, SG_EFORMAT,
                          "%s:%ld: id must be a whole number in [0, 1e7] (or -1: empty scan)",
                          path, ln);
    double p[3] = {v[2], v[3], v[4]};
    if (scen_push_truth(s, v[0], (int)v[1], p))
        return sg_err_set(e, SG_ENOMEM, "%s: out of memory", path);
    return SG_OK;
}

static int meas_row(scenario *s, char **f, const char *path, long ln, sg_errinfo *e)
{
    sg_measurement m;
    memset(&m, 0, sizeof m);
    int type = -1;
    for (int k = 1; k < 4; k++)
        if (strcmp(f[2], TYPE_NAMES[k]) == 0)
            type = k;
    if (type < 0)
        return sg_err_set(e, SG_EFORMAT,
                          "%s:%ld: type must be pos, bearing or range_bearing, got \"%s\"", path,
                          ln, f[2]);
    m.type = (sg_meas_type)type;
    double v[13];
    static const int idx[] = {0, 1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    for (int k = 0; k < 12; k++)
        if (num(f[idx[k]], &v[idx[k]]))
            return sg_err_set(e, SG_EFORMAT, "%s:%ld: field %d: not a finite number: \"%s\"",
                              path, ln, idx[k] + 1, f[idx[k]]);
    if (v[1] != floor(v[1]) || fabs(v[1]) > 1e6)
        return sg_err_set(e, SG_EFORMAT, "%s:%ld: sensor must be a whole number", path, ln);
    m.t = v[0];
    m.sensor = (int)v[1];
    int d = sg_meas_dim(m.type);
    for (int k = 0; k < 3; k++) {
        m.z[k] = v[3 + k];
        m.sensor_enu[k] = v[9 + k];
    }
    for (int k = 0; k < d; k++) {
        if (!(v[6 + k] > 0))
            return sg_err_set(e, SG_EFORMAT, "%s:%ld: sd%d must be > 0", path, ln, k);
        m.R[k * d + k] = v[6 + k] * v[6 + k];
    }
    if (strlen(f[13]) >= SG_ID_LEN)
        return sg_err_set(e, SG_EFORMAT, "%s:%ld: identity longer than %d characters", path, ln,
                          SG_ID_LEN - 1);
    memcpy(m.identity, f[13], strlen(f[13]) + 1);
    if (scen_push_meas(s, &m, v[12] != 0))
        return sg_err_set(e, SG_ENOMEM, "%s: out of memory", path);
    return SG_OK;
}

static int scan_row(scenario *s, char **f, const char *path, long ln, sg_errinfo *e)
{
    tracker_scan c;
    memset(&c, 0, sizeof c);
    double v[12];
    for (int k = 0; k < 12; k++)
        if (k != 3 && num(f[k], &v[k]))
            return sg_err_set(e, SG_EFORMAT, "%s:%ld: field %d: not a finite number: \"%s\"",
                              path, ln, k + 1, f[k]);
    if (strcmp(f[3], "all") == 0)
        c.cover = TRACKER_COVER_ALL;
    else if (strcmp(f[3], "sector") == 0)
        c.cover = TRACKER_COVER_SECTOR;
    else
        return sg_err_set(e, SG_EFORMAT, "%s:%ld: cover must be all or sector, got \"%s\"",
                          path, ln, f[3]);
    if (v[2] != floor(v[2]) || fabs(v[2]) > 1e6)
        return sg_err_set(e, SG_EFORMAT, "%s:%ld: sensor must be a whole number", path, ln);
    if (v[0] > v[1])
        return sg_err_set(e, SG_EFORMAT, "%s:%ld: t0 must be <= t1", path, ln);
    c.t0 = v[0];
    c.t1 = v[1];
    c.sensor = (int)v[2];
    for (int k = 0; k < 3; k++)
        c.sensor_enu[k] = v[4 + k];
    c.az_center = v[7];
    c.az_half = v[8];
    c.el_min = v[9];
    c.el_max = v[10];
    c.range_max = v[11];
    if (c.cover == TRACKER_COVER_SECTOR &&
        (!(c.az_half >= 0 && c.az_half <= M_PI) || c.el_min > c.el_max ||
         c.el_min < -M_PI / 2 || c.el_max > M_PI / 2 || !(c.range_max > 0)))
        return sg_err_set(e, SG_EFORMAT,
                          "%s:%ld: sector needs 0 <= az_half <= pi, -pi/2 <= el_min <= el_max "
                          "<= pi/2, range_max > 0",
                          path, ln);
    if (scen_push_scan(s, &c))
        return sg_err_set(e, SG_ENOMEM, "%s: out of memory", path);
    return SG_OK;
}

static int cmp_scan_t1(const void *a, const void *b)
{
    double x = ((const tracker_scan *)a)->t1, y = ((const tracker_scan *)b)->t1;
    return (x > y) - (x < y);
}

int scen_read_scans_csv(scenario *s, const char *path, sg_errinfo *e)
{
    int rc = read_lines(path, SCANS_HEADER, 12, s, scan_row, e);
    if (rc == SG_OK && s->n_scans > 1)
        qsort(s->scans, s->n_scans, sizeof *s->scans, cmp_scan_t1);
    return rc;
}

int scen_read_truth_csv(scenario *s, const char *path, sg_errinfo *e)
{
    return read_lines(path, TRUTH_HEADER, 5, s, truth_row, e);
}

static int cmp_meas_t(const void *a, const void *b)
{
    double x = ((const sg_measurement *)a)->t, y = ((const sg_measurement *)b)->t;
    return (x > y) - (x < y);
}

int scen_read_meas_csv(scenario *s, const char *path, sg_errinfo *e)
{
    int rc = read_lines(path, MEAS_HEADER, 14, s, meas_row, e);
    if (rc)
        return rc;
    /* keep the clutter flags with their rows: sort only if out of order (rare) */
    for (size_t i = 1; i < s->n_meas; i++)
        if (s->meas[i].t < s->meas[i - 1].t) {
            free(s->clutter);
            s->clutter = NULL;
            qsort(s->meas, s->n_meas, sizeof *s->meas, cmp_meas_t);
            break;
        }
    return SG_OK;
}
