/* Linear sum assignment (see assign.h). The dense solver is the shortest augmenting path
 * method with row/column potentials: each row in turn is inserted by a Dijkstra-like
 * search over reduced costs, then the path is flipped. The sparse solver splits the
 * allowed-edge graph into components and adds one private "stay unassigned" column per
 * row so every component is a square-or-wider dense problem. */
#include "assign.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "sg_error.h"

struct assign_ws {
    /* dense solver scratch (1-based, size c+1 / r+1) */
    double *u, *v, *minv, *mat;
    int *p, *way, *r2c;
    unsigned char *used;
    size_t cap_r, cap_c, cap_mat;
    /* sparse solver scratch */
    int *parent, *comp_rows, *comp_cols, *row_local, *col_local, *order, *start;
    size_t cap_nodes;
    size_t *edge_order;
    size_t cap_edges;
};

assign_ws *assign_ws_create(void)
{
    return calloc(1, sizeof(assign_ws));
}

void assign_ws_destroy(assign_ws *w)
{
    if (!w)
        return;
    free(w->u);
    free(w->v);
    free(w->minv);
    free(w->mat);
    free(w->p);
    free(w->way);
    free(w->r2c);
    free(w->used);
    free(w->parent);
    free(w->comp_rows);
    free(w->comp_cols);
    free(w->row_local);
    free(w->col_local);
    free(w->order);
    free(w->start);
    free(w->edge_order);
    free(w);
}

/* realloc-or-fail helper: grows *pp to n elements of size sz. */
static int grow(void **pp, size_t n, size_t sz)
{
    void *q = realloc(*pp, n * sz + 1);
    if (!q)
        return SG_ENOMEM;
    *pp = q;
    return SG_OK;
}

static int reserve_dense(assign_ws *w, size_t r, size_t c)
{
    if (r + 1 > w->cap_r) {
        size_t n = 2 * (r + 1);
        if (grow((void **)&w->u, n, sizeof(double)) || grow((void **)&w->r2c, n, sizeof(int)))
            return SG_ENOMEM;
        w->cap_r = n;
    }
    if (c + 1 > w->cap_c) {
        size_t n = 2 * (c + 1);
        if (grow((void **)&w->v, n, sizeof(double)) ||
            grow((void **)&w->minv, n, sizeof(double)) ||
            grow((void **)&w->p, n, sizeof(int)) || grow((void **)&w->way, n, sizeof(int)) ||
            grow((void **)&w->used, n, 1))
            return SG_ENOMEM;
        w->cap_c = n;
    }
    return SG_OK;
}

/* Core solver, nr <= nc, cost accessed as a(i, j) = cost[i*rs + j*cs]. */
static void solve_rows(assign_ws *w, const double *cost, int nr, int nc, size_t rs, size_t cs,
                       int *row_to_col)
{
    double *u = w->u, *v = w->v, *minv = w->minv;
    int *p = w->p, *way = w->way;
    unsigned char *used = w->used;
    for (int i = 0; i <= nr; i++)
        u[i] = 0;
    for (int j = 0; j <= nc; j++) {
        v[j] = 0;
        p[j] = 0;
        way[j] = 0;
    }
    for (int i = 1; i <= nr; i++) {
        p[0] = i;
        int j0 = 0;
        for (int j = 0; j <= nc; j++) {
            minv[j] = INFINITY;
            used[j] = 0;
        }
        do {
            used[j0] = 1;
            int i0 = p[j0], j1 = 0;
            double delta = INFINITY;
            const double *row = cost + (size_t)(i0 - 1) * rs;
            for (int j = 1; j <= nc; j++) {
                if (used[j])
                    continue;
                double cur = row[(size_t)(j - 1) * cs] - u[i0] - v[j];
                if (cur < minv[j]) {
                    minv[j] = cur;
                    way[j] = j0;
                }
                if (minv[j] < delta) {
                    delta = minv[j];
                    j1 = j;
                }
            }
            for (int j = 0; j <= nc; j++) {
                if (used[j]) {
                    u[p[j]] += delta;
                    v[j] -= delta;
                } else {
                    minv[j] -= delta;
                }
            }
            j0 = j1;
        } while (p[j0] != 0);
        do {
            int j1 = way[j0];
            p[j0] = p[j1];
            j0 = j1;
        } while (j0);
    }
    for (int i = 0; i < nr; i++)
        row_to_col[i] = -1;
    for (int j = 1; j <= nc; j++)
        if (p[j])
            row_to_col[p[j] - 1] = j - 1;
}

int assign_dense(assign_ws *w, const double *cost, int nr, int nc, int *row_to_col,
                 double *total)
{
    if (!w || nr < 0 || nc < 0 || (nr && !row_to_col) || (nr && nc && !cost))
        return SG_EINVAL;
    for (size_t k = 0; k < (size_t)nr * (size_t)nc; k++)
        if (!isfinite(cost[k]))
            return SG_EINVAL;
    if (total)
        *total = 0;
    if (nr == 0 || nc == 0) {
        for (int i = 0; i < nr; i++)
            row_to_col[i] = -1;
        return SG_OK;
    }
    if (nr <= nc) {
        if (reserve_dense(w, (size_t)nr, (size_t)nc))
            return SG_ENOMEM;
        solve_rows(w, cost, nr, nc, (size_t)nc, 1, row_to_col);
    } else {
        /* transpose view: columns become rows */
        if (reserve_dense(w, (size_t)nc, (size_t)nr))
            return SG_ENOMEM;
        solve_rows(w, cost, nc, nr, 1, (size_t)nc, w->r2c);
        for (int i = 0; i < nr; i++)
            row_to_col[i] = -1;
        for (int j = 0; j < nc; j++)
            if (w->r2c[j] >= 0)
                row_to_col[w->r2c[j]] = j;
    }
    if (total)
        for (int i = 0; i < nr; i++)
            if (row_to_col[i] >= 0)
                *total += cost[(size_t)i * (size_t)nc + (size_t)row_to_col[i]];
    return SG_OK;
}

static int uf_find(int *parent, int a)
{
    while (parent[a] != a) {
        parent[a] = parent[parent[a]];
        a = parent[a];
    }
    return a;
}

int assign_sparse(assign_ws *w, int nr, int nc, const assign_edge *edges, size_t ne,
                  int *row_to_col, int *col_to_row, double *total)
{
    if (!w || nr < 0 || nc < 0 || (ne && !edges))
        return SG_EINVAL;
    for (size_t k = 0; k < ne; k++)
        if (edges[k].row < 0 || edges[k].row >= nr || edges[k].col < 0 ||
            edges[k].col >= nc || !isfinite(edges[k].cost))
            return SG_EINVAL;
    size_t nn = (size_t)nr + (size_t)nc;
    if (nn + 1 > w->cap_nodes) {
        size_t n = 2 * (nn + 1);
        if (grow((void **)&w->parent, n, sizeof(int)) ||
            grow((void **)&w->comp_rows, n, sizeof(int)) ||
            grow((void **)&w->comp_cols, n, sizeof(int)) ||
            grow((void **)&w->row_local, n, sizeof(int)) ||
            grow((void **)&w->col_local, n, sizeof(int)) ||
            grow((void **)&w->order, n, sizeof(int)) || grow((void **)&w->start, n, sizeof(int)))
            return SG_ENOMEM;
        w->cap_nodes = n;
    }
    if (ne + 1 > w->cap_edges) {
        size_t n = 2 * (ne + 1);
        if (grow((void **)&w->edge_order, n, sizeof(size_t)))
            return SG_ENOMEM;
        w->cap_edges = n;
    }
    int *parent = w->parent;
    for (size_t k = 0; k < nn; k++)
        parent[k] = (int)k;
    if (row_to_col)
        for (int i = 0; i < nr; i++)
            row_to_col[i] = -1;
    if (col_to_row)
        for (int j = 0; j < nc; j++)
            col_to_row[j] = -1;
    if (total)
        *total = 0;
    /* only negative edges can improve on "unassigned"; nodes 0..nr-1 rows, nr.. cols */
    for (size_t k = 0; k < ne; k++) {
        if (!(edges[k].cost < 0))
            continue;
        int a = uf_find(parent, edges[k].row), b = uf_find(parent, nr + edges[k].col);
        if (a != b)
            parent[a < b ? b : a] = a < b ? a : b;
    }
    /* bucket edges by component root (counting sort on root = node index) */
    int *start = w->start;
    for (size_t k = 0; k <= nn; k++)
        start[k] = 0;
    for (size_t k = 0; k < ne; k++)
        if (edges[k].cost < 0)
            start[uf_find(parent, edges[k].row) + 1]++;
    for (size_t k = 0; k < nn; k++)
        start[k + 1] += start[k];
    int *fill = w->order; /* reuse as a write cursor per root */
    for (size_t k = 0; k < nn; k++)
        fill[k] = start[k];
    for (size_t k = 0; k < ne; k++)
        if (edges[k].cost < 0)
            w->edge_order[fill[uf_find(parent, edges[k].row)]++] = k;
    int *rl = w->row_local, *cl = w->col_local;
    for (int i = 0; i < nr; i++)
        rl[i] = -1;
    for (int j = 0; j < nc; j++)
        cl[j] = -1;
    for (size_t root = 0; root < nn; root++) {
        int e0 = start[root], e1 = start[root + 1];
        if (e0 == e1)
            continue;
        /* collect the component's rows and columns */
        int cr = 0, cc = 0;
        double sumabs = 0;
        for (int q = e0; q < e1; q++) {
            const assign_edge *e = &edges[w->edge_order[q]];
            if (rl[e->row] < 0) {
                rl[e->row] = cr;
                w->comp_rows[cr++] = e->row;
            }
            if (cl[e->col] < 0) {
                cl[e->col] = cc;
                w->comp_cols[cc++] = e->col;
            }
            sumabs += fabs(e->cost);
        }
        if (cr == 1 && cc == 1) {
            const assign_edge *e = &edges[w->edge_order[e0]];
            if (row_to_col)
                row_to_col[e->row] = e->col;
            if (col_to_row)
                col_to_row[e->col] = e->row;
            if (total)
                *total += e->cost;
        } else {
            /* dense cr x (cc + cr): forbidden entries cost more than any feasible sum,
             * so the private dummy column (cost 0) always beats them */
            int width = cc + cr;
            size_t need = (size_t)cr * (size_t)width;
            if (need > w->cap_mat) {
                if (grow((void **)&w->mat, 2 * need, sizeof(double)))
                    return SG_ENOMEM;
                w->cap_mat = 2 * need;
            }
            double big = 1 + 2 * sumabs;
            for (size_t k = 0; k < need; k++)
                w->mat[k] = big;
            for (int i = 0; i < cr; i++)
                w->mat[(size_t)i * (size_t)width + (size_t)(cc + i)] = 0;
            for (int q = e0; q < e1; q++) {
                const assign_edge *e = &edges[w->edge_order[q]];
                w->mat[(size_t)rl[e->row] * (size_t)width + (size_t)cl[e->col]] = e->cost;
            }
            if (reserve_dense(w, (size_t)cr, (size_t)width))
                return SG_ENOMEM;
            solve_rows(w, w->mat, cr, width, (size_t)width, 1, w->r2c);
            for (int i = 0; i < cr; i++) {
                int j = w->r2c[i];
                if (j >= 0 && j < cc) {
                    int row = w->comp_rows[i], col = w->comp_cols[j];
                    if (row_to_col)
                        row_to_col[row] = col;
                    if (col_to_row)
                        col_to_row[col] = row;
                    if (total)
                        *total += w->mat[(size_t)i * (size_t)width + (size_t)j];
                }
            }
        }
        for (int i = 0; i < cr; i++)
            rl[w->comp_rows[i]] = -1;
        for (int j = 0; j < cc; j++)
            cl[w->comp_cols[j]] = -1;
    }
    return SG_OK;
}
