/* Small DSP pieces shared by the BLE receivers (ble_rx, ble_coded): a fast float atan2
 * for the FM discriminators and their channel filter design. Pure, inline. */
#ifndef BLE_DSP_H
#define BLE_DSP_H

#include <math.h>

/* atan2 to ~1e-5 rad: a polynomial on [0, 1] plus octant folding, 0 for (0, 0). */
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

/* Windowed-sinc low-pass (Hamming), nt taps (odd), cutoff fc in cycles per sample, unit
 * DC gain. */
static inline void ble_fir_design(float *taps, int nt, double fc)
{
    double sum = 0.0;
    int half = nt / 2;
    for (int k = 0; k < nt; k++) {
        int m = k - half;
        double sn = m == 0 ? 2 * fc : sin(2 * M_PI * fc * m) / (M_PI * m);
        double wdw = nt > 1 ? 0.54 - 0.46 * cos(2 * M_PI * k / (nt - 1)) : 1.0;
        taps[k] = (float)(sn * wdw);
        sum += sn * wdw;
    }
    for (int k = 0; k < nt; k++)
        taps[k] = (float)(taps[k] / sum);
}

/* Zero-phase gain at f_hz of the 17-tap filter ble_fir_design makes at 4 MHz with cutoff
 * cutoff_hz (the receivers' channel filter at their 4 Msps input). */
static inline double ble_fir_gain_4m(double cutoff_hz, double f_hz)
{
    float taps[17];
    ble_fir_design(taps, 17, cutoff_hz / 4e6);
    double g = 0.0;
    for (int k = 0; k < 17; k++)
        g += taps[k] * cos(2 * M_PI * f_hz / 4e6 * (k - 8));
    return g;
}

#endif
