/* Double-precision assertions for cmocka tests. cmocka's assert_float_equal compares
 * in float (24-bit mantissa): at Unix times (~1.8e9 s) that is a 128 s resolution, and
 * it casts only the first operand of an unparenthesised expression. */
#ifndef SG_ASSERT_H
#define SG_ASSERT_H

#include <math.h>

#define assert_near(a, b, eps)                                                                 \
    do {                                                                                       \
        double a_ = (a), b_ = (b), e_ = (eps);                                                 \
        if (!(fabs(a_ - b_) <= e_))                                                            \
            fail_msg("%s = %.9g, expected %s = %.9g +- %g", #a, a_, #b, b_, e_);                \
    } while (0)

#endif
