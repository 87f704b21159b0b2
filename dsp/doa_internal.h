/* Shared by the direction-of-arrival files (not part of the public API): the object's
 * state (doa.c owns it), the stages doa_execute and doa_calibrate run (doa_subspace.c,
 * doa_search.c), and the geometry helpers of doa_array.c. */
#ifndef SG_DOA_INTERNAL_H
#define SG_DOA_INTERNAL_H

#include <complex.h>
#include <stdbool.h>

#include <fftw3.h>

#include "doa.h"

#define DOA_MAXB 1024 /* bins (nfft <= 1024) */

struct doa_s {
    doa_array arr;
    doa_cfg cfg;
    unsigned m;                 /* elements */
    unsigned rank;              /* 1 linear, 2 planar, 3 */
    fftwf_complex *in, *out;    /* m x nfft */
    fftwf_plan plan;
    /* per-burst state */
    unsigned nb;                /* bins used */
    int kidx[DOA_MAXB];         /* FFT index of each */
    double fb[DOA_MAXB];        /* their baseband frequencies, Hz */
    double fc;                  /* RF of baseband 0 */
    double complex *R;          /* nb x m x m covariances */
    double complex *Q;          /* nb x m x m: MUSIC noise projector or normalised R */
    double complex *V;          /* nb x m x m eigenvectors (columns) */
    double *lam;                /* nb x m eigenvalues, descending */
    double *rho;                /* nb: per-element SNR */
    unsigned windows;
    /* grid */
    unsigned naz, nel;
    double el0;                 /* rad, first el row */
    float *spec;                /* naz x nel, dB */
    float *amb;                 /* naz x nel, ambiguity function */
    bool have_spec;
};

/* ---- doa_subspace.c ---- */
/* Checks a burst against the object (channels, rate, band, SNR, enough windows). */
int doa_check_input(const doa *q, const doa_input *in, sg_errinfo *e);
/* Picks the bins in the burst band and fills q->R (per bin) from the snapshot
 * windows; the stored calibration is applied when use_cal. SG_EFORMAT on a
 * non-finite sample. */
int doa_covariance(doa *q, const doa_input *in, bool use_cal, sg_errinfo *e);
/* Eigendecomposition per bin (q->V, q->lam); per-bin SNR q->rho, the mean SNR, the
 * rank-1 share and whether every bin is below 0 dB; q->Q for the method (the MUSIC
 * noise projector or the normalised R). snr_hint: the detector's SNR, 0 = unknown. */
void doa_subspaces(doa *q, double snr_hint, double *snr_mean, double *rank1, bool *low_snr);

/* ---- doa_search.c ---- */
/* Steering for every bin: a[b*m + i] at u(az, el) (a holds nb x m values). */
void doa_steer_bins(const doa *q, double az, double el, double complex *a);
/* MUSIC / Bartlett: the grid spectrum, the refined best peak and the ambiguity
 * flags and peaks into r. SG_ERANGE when the spectrum has no peak. */
int doa_spectral(doa *q, doa_result *r);
/* 2-channel interferometry into r. SG_ERANGE when no bearing fits the phases. */
int doa_phase_interf(doa *q, doa_result *r);
/* Cramer-Rao variances at (az, el), Fisher information summed over the bins. */
void doa_crb(const doa *q, double az, double el, double *var_az, double *var_el);

/* ---- doa_array.c ---- */

/* Unit vector towards az, el (body frame, see doa.h). */
void doa_unit(double az, double el, double u[3]);
/* Angle wrapped to (-pi, pi]. */
double doa_wrap_pi(double a);
/* Horizontal share (0..1) of a linear array's unit axis; the axis itself in axis[3]
 * (may be NULL). Meaningful for rank-1 arrays only. */
double doa_array_axis_h(const doa_array *a, double axis[3]);
/* Mirror of az across a linear array's axis (the front/back twin). */
double doa_mirror_az(const doa_array *a, double az);
/* az is on the front side of a linear array (its broadside nearest body forward). */
bool doa_in_front(const doa_array *a, double az);
/* CRB of elevation (rad^2), as doa_crb_var_az. */
double doa_crb_var_el(const doa_array *a, double az, double el, double f, double rho,
                      double windows);

#endif
