/* Clutter-density-aware confirmation. Per sensor, the tracker keeps a running mean of the
 * measurements per group that no track took and the box spanned by all of that sensor's
 * measurements (the watched volume); their ratio is the clutter density lambda (1/m^3 per
 * look). A track born from a measurement with covariance R has, half-way through N looks
 * dt apart, a gate of volume V = 4/3 pi g^(3/2) sqrt(det(S)), S = 2 R + (init_vel_sd N dt / 2)^2 I
 * (g: the 3-D gate; its velocity is unknown at birth), so a clutter-born track gets a false
 * hit per look with probability p = 1 - exp(-lambda V). It would be confirmed
 * by M-of-N with probability P(Binomial(N - 1, p) >= M - 1); the rule starts at
 * confirm_m-of-confirm_n and raises M and N together (one more hit required, same number of
 * misses allowed) until that probability is below confirm_false_prob, up to confirm_m + 4.
 * The estimate is used once a sensor has given 3 groups with at least 2 leftovers per
 * group on average (fewer measurements do not span the watched volume, and so little
 * clutter cannot confirm anything).
 * Position and range-bearing sensors only (bearing tracks are confirmed by two sensors). */
#include <math.h>
#include <string.h>

#include "tracker_int.h"

#define CLUTTER_MIN_GROUPS 3  /* looks before the estimate is used */
#define CLUTTER_MIN_LEFT 2.0  /* leftovers per look below which clutter is not a concern
                                 (and a few measurements do not span the watched box) */
#define CLUTTER_ALPHA 0.05    /* running-mean weight of one group */
#define CLUTTER_MIN_EXTENT 10 /* m, smallest side of the watched box */
#define CONFIRM_MAX_RAISE 4

static int slot(tracker *q, int sensor, bool create)
{
    for (int i = 0; i < q->n_clutter; i++)
        if (q->clutter[i].sensor == sensor)
            return i;
    if (!create || q->n_clutter == TRK_CLUTTER_SENSORS)
        return -1;
    int i = q->n_clutter++;
    memset(&q->clutter[i], 0, sizeof q->clutter[i]);
    q->clutter[i].sensor = sensor;
    for (int a = 0; a < 3; a++) {
        q->clutter[i].lo[a] = INFINITY;
        q->clutter[i].hi[a] = -INFINITY;
    }
    return i;
}

static void enu_of(const sg_measurement *m, double pos[3], double P[9])
{
    if (m->type == SG_MEAS_POS_ENU) {
        memcpy(pos, m->z, 3 * sizeof(double));
        memcpy(P, m->R, 9 * sizeof(double));
    } else {
        trk_rb_to_enu(m, pos, P);
    }
}

void trk_clutter_update(tracker *q, const sg_measurement *const *gm, int ng)
{
    if ((!q->cfg.confirm_adapt && q->cfg.association != TRACKER_ASSOC_JPDA) || ng < 1 ||
        gm[0]->type == SG_MEAS_BEARING)
        return;
    int i = slot(q, gm[0]->sensor, true);
    if (i < 0)
        return;
    int left = 0;
    double lo[3], hi[3]; /* the box in locals: no store per measurement */
    for (int a = 0; a < 3; a++) {
        lo[a] = q->clutter[i].lo[a];
        hi[a] = q->clutter[i].hi[a];
    }
    for (int j = 0; j < ng; j++) {
        double rb[3], P[9];
        const double *pos = gm[j]->z; /* a position: z itself (its R is not needed here) */
        if (gm[j]->type != SG_MEAS_POS_ENU) {
            trk_rb_to_enu(gm[j], rb, P);
            pos = rb;
        }
        for (int a = 0; a < 3; a++) {
            lo[a] = fmin(lo[a], pos[a]);
            hi[a] = fmax(hi[a], pos[a]);
        }
        left += q->mflag[j] != MF_DONE;
    }
    for (int a = 0; a < 3; a++) {
        q->clutter[i].lo[a] = lo[a];
        q->clutter[i].hi[a] = hi[a];
    }
    double t = gm[0]->t;
    if (q->clutter[i].groups > 0 && t > q->clutter[i].t_last) {
        double d = t - q->clutter[i].t_last;
        q->clutter[i].dt = q->clutter[i].groups == 1 ? d : q->clutter[i].dt + 0.1 * (d - q->clutter[i].dt);
    }
    q->clutter[i].t_last = t;
    double w = q->clutter[i].groups < 1 / CLUTTER_ALPHA ? 1.0 / (double)(q->clutter[i].groups + 1)
                                                         : CLUTTER_ALPHA;
    q->clutter[i].leftover += w * (left - q->clutter[i].leftover);
    q->clutter[i].groups++;
}

/* P(Binomial(n, p) >= k) */
static double binom_tail(int n, double p, int k)
{
    double s = 0, c = 1; /* c = C(n, i) */
    for (int i = 0; i <= n; i++) {
        if (i >= k)
            s += c * pow(p, i) * pow(1 - p, n - i);
        c = c * (n - i) / (i + 1);
    }
    return s;
}

void trk_confirm_rule(tracker *q, trk *tr, const sg_measurement *m)
{
    int mm = q->cfg.confirm_m, nn = q->cfg.confirm_n;
    tr->m_req = (uint32_t)mm;
    tr->n_req = (uint32_t)nn;
    if (!q->cfg.confirm_adapt || m->type == SG_MEAS_BEARING)
        return;
    int i = slot(q, m->sensor, false);
    if (i < 0 || q->clutter[i].groups < CLUTTER_MIN_GROUPS ||
        q->clutter[i].leftover < CLUTTER_MIN_LEFT)
        return;
    double vol = 1;
    for (int a = 0; a < 3; a++)
        vol *= fmax(q->clutter[i].hi[a] - q->clutter[i].lo[a], CLUTTER_MIN_EXTENT);
    double lambda = q->clutter[i].leftover / vol;
    double pos[3], P[9];
    enu_of(m, pos, P);
    for (int r = 0; r <= CONFIRM_MAX_RAISE && mm + r <= 32 && nn + r <= 32; r++) {
        double sv = q->cfg.init_vel_sd * (nn + r) * q->clutter[i].dt / 2, S[9];
        for (int k = 0; k < 9; k++)
            S[k] = 2 * P[k] + (k % 4 == 0 ? sv * sv : 0);
        double det = S[0] * (S[4] * S[8] - S[5] * S[7]) - S[1] * (S[3] * S[8] - S[5] * S[6]) +
                     S[2] * (S[3] * S[7] - S[4] * S[6]);
        double v_gate = 4.0 / 3.0 * M_PI * pow(q->gate[3], 1.5) * sqrt(fmax(det, 0));
        double p = 1 - exp(-lambda * v_gate);
        tr->m_req = (uint32_t)(mm + r);
        tr->n_req = (uint32_t)(nn + r);
        if (binom_tail(nn + r - 1, p, mm + r - 1) < q->cfg.confirm_false_prob)
            break;
    }
}

double trk_clutter_density(const tracker *q, int sensor, double fallback)
{
    for (int i = 0; i < q->n_clutter; i++) {
        if (q->clutter[i].sensor != sensor)
            continue;
        if (q->clutter[i].groups < CLUTTER_MIN_GROUPS)
            return fallback;
        double vol = 1;
        for (int a = 0; a < 3; a++)
            vol *= fmax(q->clutter[i].hi[a] - q->clutter[i].lo[a], CLUTTER_MIN_EXTENT);
        /* never below the configured floor: an empty look does not mean no clutter */
        return fmax(q->clutter[i].leftover / vol, fallback);
    }
    return fallback;
}
