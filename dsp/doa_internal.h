/* Geometry helpers shared by doa.c and doa_array.c (not part of the public API). */
#ifndef SG_DOA_INTERNAL_H
#define SG_DOA_INTERNAL_H

#include "doa.h"

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
