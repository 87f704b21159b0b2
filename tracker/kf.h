/* Kalman filters for the tracker: motion models and measurement updates.
 *
 * Sits under tracker.c: one kf_state per track. State is ENU metres in the site frame,
 * ordered x y z vx vy vz [ax ay az]. Three motion models:
 *   - NCV: nearly constant velocity, 6 states, continuous white-noise acceleration with
 *     spectral density q = q_accel^2 * 1 s (so the velocity random walk grows by q_accel m/s
 *     over one second, independent of the update rate);
 *   - CA: nearly constant acceleration, 9 states, continuous white-noise jerk with
 *     q = q_jerk^2 * 1 s;
 *   - IMM: two modes in the 9-state space, NCV (acceleration held at zero) and CA, mixed by
 *     a Markov chain with mean sojourn time imm_sojourn_s in each mode; the output is the
 *     moment-matched combination;
 *   - CT: coordinated turn in the horizontal plane, 7 states x y z vx vy vz w, w the turn
 *     rate (rad/s, positive turning counter-clockwise seen from above: east towards north),
 *     nearly constant speed along a circle, vertical NCV; white acceleration q_accel on
 *     position/velocity and a turn-rate random walk q_turn (rad/s per sqrt(s)); predicted by
 *     the EKF (exact circle for the mean, Jacobian for P);
 *   - IMM_CT: NCV (turn rate held at zero) and CT in the 7-state space, mixed like IMM.
 * Measurement models (sg_types.h): 3-D position (linear), bearing az/el and range/az/el
 * (EKF, linearised at the predicted state; azimuth innovations wrapped to (-pi, pi]).
 * Updates use the Joseph form and re-symmetrise P so it stays symmetric positive definite.
 * All functions are pure (no globals), thread-safe on distinct states, never allocate. */
#ifndef SG_KF_H
#define SG_KF_H

#include <stdbool.h>
#include <stddef.h>

#include "sg_types.h"

#define KF_NMAX 9   /* largest state dimension */
#define KF_MODES 2  /* largest number of IMM modes */

typedef enum {
    KF_MODEL_NCV = 0, /* 6 states */
    KF_MODEL_CA,      /* 9 states */
    KF_MODEL_IMM,     /* NCV + CA in 9 states */
    KF_MODEL_CT,      /* coordinated turn, 7 states (turn rate estimated) */
    KF_MODEL_IMM_CT,  /* NCV + CT in 7 states */
} kf_model;

typedef struct {
    kf_model model;
    double q_accel;       /* m/s^2, NCV (and IMM NCV mode) acceleration noise, > 0 */
    double q_jerk;        /* m/s^3, CA (and IMM CA mode) jerk noise, > 0 */
    double imm_sojourn_s; /* s, mean time spent in one IMM mode before switching, > 0 */
    double q_turn;        /* rad/s per sqrt(s), CT turn-rate random walk, > 0 */
    double init_turn_sd;  /* rad/s, initial turn-rate sd (CT / IMM_CT), >= 0 */
    double init_acc_sd;   /* m/s^2, initial acceleration sd (CA / IMM), >= 0 */
    double vel_sd;        /* m/s, sd of a reported velocity (has_vel); 0 ignores it */
} kf_params;

typedef struct {
    double t;                      /* s, time of the state */
    int n;                         /* state dimension: 6 (NCV), 7 (CT, IMM_CT), 9 (CA, IMM) */
    int nmodes;                    /* 1, or 2 for IMM */
    double mu[KF_MODES];           /* mode probabilities, sum 1 */
    double x[KF_MODES][KF_NMAX];   /* per-mode state */
    double P[KF_MODES][KF_NMAX * KF_NMAX]; /* per-mode covariance, row-major n x n */
} kf_state;

/* Predicted measurement of the combined estimate, for gating and assignment cost. */
typedef struct {
    int dim;          /* 2 or 3 */
    double zhat[3];   /* predicted measurement */
    double HPHt[9];   /* H P H', dim x dim, add R to get the innovation covariance */
} kf_pred;

/* Sets a state at time t from a position (m) with covariance Ppos (3x3, m^2) and a
 * velocity (m/s) with covariance Pvel (3x3, (m/s)^2); acceleration starts at 0 with
 * init_acc_sd. */
void kf_init(const kf_params *p, kf_state *s, double t, const double pos[3],
             const double Ppos[9], const double vel[3], const double Pvel[9]);

/* Bytes of a kf_state, from its start, that a state of the model uses: no kf_ function
 * reads or writes past them, so a state may be stored in that many bytes (a track record
 * does, so that an NCV track is not 1 472 B): NCV 464 B, CT 568 B, CA 824 B, IMM_CT
 * 1 216 B, IMM 1 472 B = sizeof(kf_state). */
size_t kf_state_size(kf_model model);

/* Copies the used part of src into dst (dst's unused entries are left as they are): an
 * NCV state uses 42 of 180 numbers (a track's history packs states instead: kf_pack). */
void kf_copy(kf_state *dst, const kf_state *src);

/* A state as a track's history keeps it (kf_pack / kf_unpack, exact both ways): the used
 * numbers only, packed; per mode x[n] then P, whose upper triangle (row by row) suffices
 * when every mode's P is symmetric bit for bit (every predict and update leave it so),
 * otherwise all n x n. An NCV state is 27 numbers (kf_copy's used part: 42). */
typedef struct {
    double t;
    int n, nmodes;
    int sym;                       /* 1: v holds upper triangles */
    double mu[KF_MODES];
    double v[KF_MODES * (KF_NMAX + KF_NMAX * KF_NMAX)];
} kf_packed;

/* Bytes of dst that kf_pack writes for src (from the start of dst) when every P is
 * symmetric, as after any predict or update; with a non-symmetric P it writes more (whole
 * matrices). Only sizes a prefetch; never use it to copy an entry. */
static inline size_t kf_packed_used(const kf_state *src)
{ /* inline: the update pass calls it per track */
    size_t n = (size_t)src->n;
    return offsetof(kf_packed, v) + sizeof(double) * (size_t)src->nmodes * (n + n * (n + 1) / 2);
}
/* The most bytes of a kf_packed (from its start) that kf_pack writes for any state of the
 * model (whole matrices): storage sized to it holds every state of that model (an NCV state
 * 376 B, CT 488 B, CA 760 B, IMM_CT 936 B, IMM 1 480 B = sizeof(kf_packed)). */
size_t kf_packed_size(kf_model model);
void kf_pack(kf_packed *dst, const kf_state *src);
/* dst gets src's used part back bit for bit (its unused entries are zeroed). */
void kf_unpack(kf_state *dst, const kf_packed *src);

/* Advances the state to time t (t <= s->t is a no-op: the filter never runs backwards). */
void kf_predict(const kf_params *p, kf_state *s, double t);

/* Combined (moment-matched) estimate: x[n], P[n*n]. */
void kf_combined(const kf_state *s, double *x, double *P);

/* The same for the leading m <= n states only (x[m], P[m*m], row-major m x m): the same
 * numbers as those entries of kf_combined, without the rest (position: m = 3; the public
 * state: m = 6). */
void kf_combined_lead(const kf_state *s, int m, double *x, double *P);

/* Predicted measurement of type `type` seen from sensor position `sensor_enu` (m, bearing
 * types). Returns 0, or SG_ERANGE if the prediction is degenerate (target at the sensor). */
int kf_predict_meas(const kf_state *s, sg_meas_type type, const double sensor_enu[3],
                    kf_pred *out);

/* Squared Mahalanobis distance of z (with covariance R, dim x dim) from a prediction.
 * Returns SG_ERANGE if the innovation covariance is not positive definite. */
int kf_mahalanobis(const kf_pred *pr, sg_meas_type type, const double *z, const double *R,
                   double *d2);

/* Measurement update (sequential; the state must already be at m->t). A reported velocity
 * (m->has_vel) is applied as a second linear update with sd p->vel_sd. Returns 0, or
 * SG_ERANGE when the update is numerically impossible (state untouched). nis (may be NULL)
 * receives the squared Mahalanobis distance of the combined innovation. */
int kf_update(const kf_params *p, kf_state *s, const sg_measurement *m, double *nis);

/* Probabilistic data association update with nm measurements of one type from one sensor
 * (state at their time): beta[j] = probability that m[j] is the target's, beta0 that none
 * is (beta0 + sum beta = 1). Every mode is linearised at its own state; x moves by
 * K sum beta_j nu_j, P = P - (1 - beta0) K S K' + K (sum beta_j nu_j nu_j' - nu nu') K'
 * (Bar-Shalom's PDA), with S from m[0]'s R. pd (0, 1] and clutter (density in measurement
 * space, > 0) weigh the IMM mode likelihoods. Reported velocities are ignored. Returns 0,
 * SG_EINVAL (nm < 1) or SG_ERANGE (degenerate; state untouched). */
int kf_update_pda(const kf_params *p, kf_state *s, const sg_measurement *const *m,
                  const double *beta, int nm, double beta0, double pd, double clutter);

/* Angle wrapped to [-pi, pi) (rad). */
double kf_wrap_pi(double a);

/* Inverse of the chi-square CDF: the gate for probability pg (0 < pg < 1) in dim
 * dimensions (1..3). */
double kf_chi2_gate(double pg, int dim);

/* Cholesky test: true if the dim x dim symmetric matrix A is positive definite and finite. */
bool kf_is_pd(const double *A, int dim);

#endif
