/* OSPA / GOSPA (see ospa.h). Both metrics reduce to the same optimal partial assignment:
 * assigning a pair with d < c changes the cost by d^p - c^p relative to leaving both
 * unassigned (OSPA: the pair would otherwise count c^p once in the cut-off or cardinality
 * term; GOSPA alpha=2: c^p/2 for each of the two), so we minimise sum (d^p - c^p) over
 * pairs with d < c with the sparse assignment solver. */
#include "ospa.h"

#include <math.h>
#include <stdlib.h>

#include "sg_error.h"

typedef struct {
    double x;
    size_t j;
} xkey;

static int cmp_xkey(const void *a, const void *b)
{
    double x = ((const xkey *)a)->x, y = ((const xkey *)b)->x;
    return (x > y) - (x < y);
}

int ospa_compute(assign_ws *w, const double (*truth)[3], size_t m, const double (*est)[3],
                 size_t n, double c, double p, ospa_result *out, int *truth_to_est)
{
    if (!w || !out || !(c > 0) || !isfinite(c) || !(p >= 1) || !isfinite(p) ||
        (m && !truth) || (n && !est) || m > (size_t)1 << 24 || n > (size_t)1 << 24)
        return SG_EINVAL;
    for (size_t i = 0; i < m; i++)
        for (int k = 0; k < 3; k++)
            if (!isfinite(truth[i][k]))
                return SG_EINVAL;
    for (size_t j = 0; j < n; j++)
        for (int k = 0; k < 3; k++)
            if (!isfinite(est[j][k]))
                return SG_EINVAL;
    double cp = pow(c, p);
    size_t cap = 64, ne = 0;
    assign_edge *edges = malloc(cap * sizeof *edges);
    int *r2c = malloc((m ? m : 1) * sizeof *r2c);
    xkey *order = malloc((n ? n : 1) * sizeof *order);
    if (!edges || !r2c || !order) {
        free(edges);
        free(r2c);
        free(order);
        return SG_ENOMEM;
    }
    /* estimates sorted by x: each truth only looks at those within c in x */
    for (size_t j = 0; j < n; j++)
        order[j] = (xkey){est[j][0], j};
    qsort(order, n, sizeof *order, cmp_xkey);
    int rc = SG_OK;
    for (size_t i = 0; i < m && rc == SG_OK; i++) {
        size_t lo = 0, hi = n;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (order[mid].x < truth[i][0] - c)
                lo = mid + 1;
            else
                hi = mid;
        }
        for (size_t k = lo; k < n && order[k].x <= truth[i][0] + c; k++) {
            size_t j = order[k].j;
            double dx = truth[i][0] - est[j][0], dy = truth[i][1] - est[j][1],
                   dz = truth[i][2] - est[j][2];
            double d2 = dx * dx + dy * dy + dz * dz;
            if (d2 >= c * c)
                continue;
            if (ne == cap) {
                assign_edge *q = realloc(edges, 2 * cap * sizeof *edges);
                if (!q) {
                    rc = SG_ENOMEM;
                    break;
                }
                edges = q;
                cap *= 2;
            }
            edges[ne++] = (assign_edge){(int)i, (int)j, pow(sqrt(d2), p) - cp};
        }
    }
    if (rc == SG_OK)
        rc = assign_sparse(w, (int)m, (int)n, edges, ne, r2c, NULL, NULL);
    if (rc == SG_OK) {
        double loc = 0;
        size_t k = 0;
        for (size_t i = 0; i < m; i++) {
            if (r2c[i] < 0)
                continue;
            const double *a = truth[i], *b = est[r2c[i]];
            double d = sqrt((a[0] - b[0]) * (a[0] - b[0]) + (a[1] - b[1]) * (a[1] - b[1]) +
                            (a[2] - b[2]) * (a[2] - b[2]));
            loc += pow(d, p);
            k++;
        }
        size_t mx = m > n ? m : n;
        out->n_assigned = k;
        out->n_missed = m - k;
        out->n_false = n - k;
        out->ospa = mx ? pow((loc + cp * (double)(mx - k)) / (double)mx, 1 / p) : 0;
        out->gospa_loc = loc;
        out->gospa_missed = cp / 2 * (double)(m - k);
        out->gospa_false = cp / 2 * (double)(n - k);
        out->gospa = pow(loc + out->gospa_missed + out->gospa_false, 1 / p);
        if (truth_to_est)
            for (size_t i = 0; i < m; i++)
                truth_to_est[i] = r2c[i];
    }
    free(edges);
    free(r2c);
    free(order);
    return rc;
}
