/* Fast float atan2 for FM discriminators (BLE receivers): a polynomial on [0, 1]
 * plus octant folding, error ~1e-5 rad, 0 for (0, 0). Pure, inline. */
#ifndef FAST_ATAN_H
#define FAST_ATAN_H

#include <math.h>

static inline float sg_fast_atan2f(float y, float x)
{
    /* branch-free (selects only), so that loops over it vectorise; (0, 0) gives 0 */
    float ax = fabsf(x), ay = fabsf(y);
    float mx = ax > ay ? ax : ay, mn = ax > ay ? ay : ax;
    float a = mn / (mx == 0.0f ? 1.0f : mx), s = a * a;
    float r = a * (0.9998660f + s * (-0.3302995f + s * (0.1801410f + s * (-0.0851330f + s * 0.0208351f))));
    r = ay > ax ? 1.57079637f - r : r;
    r = x < 0.0f ? 3.14159274f - r : r;
    return y < 0.0f ? -r : r;
}

#endif
