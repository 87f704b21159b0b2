/* OSPA and GOSPA distances between a truth set and an estimate set of 3-D points (ENU m),
 * used by the scenario runner, the benchmark and the tracker tests to score tracks.
 *
 * With base distance d (Euclidean, m), cut-off c (m, > 0) and order p (>= 1):
 *   OSPA  = ( (min_pi sum_{i<=min(m,n)} min(d_i, c)^p + c^p |m - n|) / max(m, n) )^(1/p)
 *           (Schuhmacher, Vo & Vo 2008; 0 when both sets are empty);
 *   GOSPA = ( min over partial assignments of sum_{assigned} d^p + c^p/2 (#missed + #false) )^(1/p)
 *           with alpha = 2 (Rahmathullah, Garcia-Fernandez & Svensson 2017), where only pairs
 *           with d < c are ever assigned. It splits into localisation, missed and false parts.
 * c says how far off an estimate may be before it counts as a miss plus a false track; p
 * how strongly large errors weigh (p = 1: mean-like, p = 2: RMS-like). The optimal
 * assignment is computed exactly with assign_sparse (only pairs closer than c matter). */
#ifndef SG_OSPA_H
#define SG_OSPA_H

#include <stddef.h>

#include "assign.h"

typedef struct {
    double ospa;         /* m, in [0, c] */
    double gospa;        /* m (alpha = 2) */
    double gospa_loc;    /* m^p: sum of d^p over assigned pairs */
    double gospa_missed; /* m^p: c^p/2 * number of missed truths */
    double gospa_false;  /* m^p: c^p/2 * number of false estimates */
    size_t n_assigned, n_missed, n_false;
} ospa_result;

/* truth[m][3], est[n][3] (m, n may be 0). w: a workspace from assign_ws_create().
 * truth_to_est[m] (may be NULL) receives the estimate index assigned to each truth (pairs
 * closer than c) or -1. Returns 0, SG_EINVAL (c <= 0, p < 1, non-finite coordinates) or
 * SG_ENOMEM. */
int ospa_compute(assign_ws *w, const double (*truth)[3], size_t m, const double (*est)[3],
                 size_t n, double c, double p, ospa_result *out, int *truth_to_est);

#endif
