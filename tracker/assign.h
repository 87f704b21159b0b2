/* Optimal assignment (linear sum assignment) for the tracker's global nearest neighbour
 * step and for the OSPA/GOSPA scorer.
 *
 * assign_dense: rectangular r x c cost matrix, every row (if r <= c) or every column (if
 * r > c) assigned, minimum total cost. Shortest augmenting paths with dual potentials
 * (the Jonker-Volgenant / Kuhn-Munkres family), O(min^2 * max) time.
 * assign_sparse: partial assignment over a sparse list of allowed (row, col, cost) edges:
 * rows and columns may stay unassigned at cost 0, so only negative-cost edges are ever worth
 * taking (callers pass cost - cost_of_leaving_both_unassigned). The edge graph is split into
 * connected components (union-find) and each is solved densely, so thousands of well
 * separated targets cost about as much as their small clusters.
 * A workspace holds scratch memory; it grows on demand (the only allocation) and can be
 * reused across calls. Not thread-safe on a shared workspace. */
#ifndef SG_ASSIGN_H
#define SG_ASSIGN_H

#include <stddef.h>

typedef struct assign_ws assign_ws;

typedef struct {
    int row, col;  /* 0 <= row < nr, 0 <= col < nc; at most one edge per pair */
    double cost;   /* finite */
} assign_edge;

/* NULL on allocation failure. */
assign_ws *assign_ws_create(void);
void assign_ws_destroy(assign_ws *w);

/* cost: row-major nr x nc, finite. row_to_col[nr] receives the column of each row or -1.
 * total (may be NULL) receives the sum over assigned pairs. Returns 0, SG_EINVAL
 * (bad sizes, non-finite cost) or SG_ENOMEM. nr == 0 or nc == 0 is valid (nothing assigned). */
int assign_dense(assign_ws *w, const double *cost, int nr, int nc, int *row_to_col,
                 double *total);

/* Minimises the sum of edge costs over matchings (each row and column used at most once).
 * row_to_col[nr] and col_to_row[nc] (either may be NULL) receive the matching (-1 if
 * unassigned). Returns 0, SG_EINVAL or SG_ENOMEM. */
int assign_sparse(assign_ws *w, int nr, int nc, const assign_edge *edges, size_t ne,
                  int *row_to_col, int *col_to_row, double *total);

#endif
