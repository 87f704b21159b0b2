/* LTE turbo encoder, max-log-MAP decoder and rate matching (see turbo.h). The
 * DroneID decoder spends most of its time here: the trellis is tiny (8 states), so
 * the code is plain scalar C over precomputed next-state/parity tables. */
#include "turbo.h"

#include <float.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "sg_simd.h"

#define NST 8
#define NEG (-1e30f)
#define EXT_SCALE 0.75f

struct turbo_codec {
    int K;
    int *pi;       /* QPP: interleaved[i] = natural[pi[i]] */
    float *alpha;  /* (K + 4) x NST */
    float *ls, *la, *lp, *lo, *le; /* K each: systematic, a-priori, parity, APP, extrinsic */
    float *le12, *le21;            /* extrinsic exchanged between the decoders */
    float *ls2;                    /* interleaved systematic */
    float *lp1, *lp2;
    uint8_t *dec;
    bool simd;     /* the SSE recursions (turbo_set_simd) */
    bool give_up;  /* stop a hopeless block early (turbo_set_give_up) */
};

/* Trellis of the LTE constituent encoder, state s = r1 | r2 << 1 | r3 << 2 (r1 = most
 * recent register): a = u ^ r2 ^ r3 (feedback 1 + D^2 + D^3), parity = a ^ r1 ^ r3
 * (1 + D + D^3), next = a | r1 << 1 | r2 << 2; the tail input u = r2 ^ r3 makes a = 0.
 * Written out (checked by the encoder tests) so no lazy init is shared between threads. */
static const int nxt[NST][2] = {{0, 1}, {2, 3}, {5, 4}, {7, 6}, {1, 0}, {3, 2}, {4, 5}, {6, 7}};
static const int par[NST][2] = {{0, 1}, {1, 0}, {1, 0}, {0, 1}, {0, 1}, {1, 0}, {1, 0}, {0, 1}};
static const int tail_u[NST] = {0, 0, 1, 1, 1, 1, 0, 0};

turbo_codec *turbo_create(int K, int f1, int f2, sg_errinfo *e)
{
    if (K < 40 || K > 6144 || f1 <= 0 || f2 <= 0) {
        sg_err_set(e, SG_EINVAL, "turbo: K %d / f1 %d / f2 %d out of range", K, f1, f2);
        return NULL;
    }
    turbo_codec *q = calloc(1, sizeof *q);
    if (!q) {
        sg_err_set(e, SG_ENOMEM, "turbo: out of memory");
        return NULL;
    }
    q->K = K;
#if defined(__SSE2__)
    q->simd = true;
#endif
    q->pi = malloc(sizeof(int) * (size_t)K);
    q->alpha = malloc(sizeof(float) * (size_t)(K + 4) * NST);
    float **fl[] = {&q->ls, &q->la, &q->lp, &q->lo, &q->le, &q->le12, &q->le21, &q->ls2,
                    &q->lp1, &q->lp2};
    int ok = q->pi && q->alpha;
    for (size_t i = 0; i < sizeof fl / sizeof fl[0]; i++) {
        *fl[i] = malloc(sizeof(float) * (size_t)K);
        ok = ok && *fl[i];
    }
    q->dec = malloc((size_t)K);
    uint8_t *seen = calloc((size_t)K, 1);
    if (!ok || !q->dec || !seen) {
        free(seen);
        turbo_destroy(q);
        sg_err_set(e, SG_ENOMEM, "turbo: out of memory");
        return NULL;
    }
    for (int i = 0; i < K; i++) {
        long long v = ((long long)f1 * i + (long long)f2 * i % K * i) % K;
        q->pi[i] = (int)v;
        if (seen[v]++) {
            free(seen);
            turbo_destroy(q);
            sg_err_set(e, SG_EINVAL, "turbo: f1 %d, f2 %d is not a permutation for K %d",
                       f1, f2, K);
            return NULL;
        }
    }
    free(seen);
    return q;
}

void turbo_destroy(turbo_codec *q)
{
    if (!q)
        return;
    free(q->pi);
    free(q->alpha);
    free(q->ls);
    free(q->la);
    free(q->lp);
    free(q->lo);
    free(q->le);
    free(q->le12);
    free(q->le21);
    free(q->ls2);
    free(q->lp1);
    free(q->lp2);
    free(q->dec);
    free(q);
}

int turbo_block_size(const turbo_codec *q)
{
    return q->K;
}

/* One constituent encoder over n inputs; writes parity; returns the final state. */
static int rsc_run(const uint8_t *u, int n, const int *perm, uint8_t *z, int s)
{
    for (int k = 0; k < n; k++) {
        int b = perm ? u[perm[k]] : u[k];
        z[k] = (uint8_t)par[s][b];
        s = nxt[s][b];
    }
    return s;
}

static void rsc_tail(int s, uint8_t x[3], uint8_t z[3])
{
    for (int k = 0; k < 3; k++) {
        int u = tail_u[s];
        x[k] = (uint8_t)u;
        z[k] = (uint8_t)par[s][u];
        s = nxt[s][u];
    }
}

void turbo_encode(const turbo_codec *q, const uint8_t *bits, uint8_t *d0, uint8_t *d1,
                  uint8_t *d2)
{
    int K = q->K;
    for (int k = 0; k < K; k++)
        d0[k] = bits[k] & 1;
    int s1 = rsc_run(d0, K, NULL, d1, 0);
    int s2 = rsc_run(d0, K, q->pi, d2, 0);
    uint8_t x[3], z[3], xp[3], zp[3];
    rsc_tail(s1, x, z);
    rsc_tail(s2, xp, zp);
    d0[K] = x[0], d0[K + 1] = z[1], d0[K + 2] = xp[0], d0[K + 3] = zp[1];
    d1[K] = z[0], d1[K + 1] = x[2], d1[K + 2] = zp[0], d1[K + 3] = xp[2];
    d2[K] = x[1], d2[K + 1] = z[2], d2[K + 2] = xp[1], d2[K + 3] = zp[2];
}

static inline float mx(float a, float b)
{
    return a > b ? a : b;
}

/* The forward (alpha) recursion over K steps from A[0..NST): A[(k + 1) NST ..] from
 * A[k NST ..] and the branch metrics of step k. */
static void alpha_scalar(float *A, int K, const float *ls, const float *la, const float *lp)
{
    for (int k = 0; k < K; k++) {
        const float *a = A + (size_t)k * NST;
        float *an = A + (size_t)(k + 1) * NST;
        for (int s = 0; s < NST; s++)
            an[s] = NEG;
        float gs = 0.5f * (ls[k] + la[k]), gp = 0.5f * lp[k];
        for (int s = 0; s < NST; s++) {
            for (int u = 0; u < 2; u++) {
                float g = (u ? -gs : gs) + (par[s][u] ? -gp : gp);
                int t = nxt[s][u];
                an[t] = mx(an[t], a[s] + g);
            }
        }
        float norm = an[0];
        for (int s = 0; s < NST; s++)
            an[s] -= norm;
    }
}

/* The backward recursion from the tail's b[] down to step 0 with the APP and extrinsic
 * outputs (b is overwritten). */
static void backward_scalar(const float *A, int K, const float *ls, const float *la,
                            const float *lp, float *b, float *lo, float *le)
{
    float bn[NST];
    for (int k = K - 1; k >= 0; k--) {
        const float *a = A + (size_t)k * NST;
        float gs = 0.5f * (ls[k] + la[k]), gp = 0.5f * lp[k];
        float m0 = NEG, m1 = NEG;
        for (int s = 0; s < NST; s++) {
            float g0 = gs + (par[s][0] ? -gp : gp);
            float g1 = -gs + (par[s][1] ? -gp : gp);
            float v0 = b[nxt[s][0]] + g0, v1 = b[nxt[s][1]] + g1;
            m0 = mx(m0, a[s] + v0);
            m1 = mx(m1, a[s] + v1);
            bn[s] = mx(v0, v1);
        }
        float norm = bn[0];
        for (int s = 0; s < NST; s++)
            b[s] = bn[s] - norm;
        lo[k] = m0 - m1;
        le[k] = lo[k] - ls[k] - la[k];
    }
}

#if defined(__SSE2__)
/* The same recursions with the 8 states in two SSE registers, for the trellis above: t's
 * predecessors are s1 = t / 2 and s2 = 4 + t / 2 (first and second in the scalar loop's
 * order), the branch metrics the four sums P = gs + gp, N = -gs + -gp, Q = gs + -gp,
 * R = -gs + gp; maxps(a, b) is a > b ? a : b, i.e. mx. Every value is the scalar loops',
 * bit for bit (test_turbo compares the two). */
static const float sgs_[4] = {0.0f, -0.0f, 0.0f, -0.0f}, sgp_[4] = {0.0f, -0.0f, -0.0f, 0.0f};

static void alpha_sse(float *A, int K, const float *ls, const float *la, const float *lp)
{
    const __m128 neg = _mm_set1_ps(NEG), sgs = _mm_loadu_ps(sgs_), sgp = _mm_loadu_ps(sgp_);
    __m128 a0 = _mm_loadu_ps(A), a1 = _mm_loadu_ps(A + 4);
    for (int k = 0; k < K; k++) {
        float gs = 0.5f * (ls[k] + la[k]), gp = 0.5f * lp[k];
        const __m128 G = _mm_add_ps(_mm_xor_ps(_mm_set1_ps(gs), sgs),
                                    _mm_xor_ps(_mm_set1_ps(gp), sgp)); /* P N Q R */
        const __m128 g1lo = G, g1hi = _mm_shuffle_ps(G, G, _MM_SHUFFLE(0, 1, 2, 3));
        const __m128 g2lo = _mm_shuffle_ps(G, G, _MM_SHUFFLE(2, 3, 0, 1));
        const __m128 g2hi = _mm_shuffle_ps(G, G, _MM_SHUFFLE(1, 0, 3, 2));
        __m128 n0 = _mm_max_ps(neg, _mm_add_ps(_mm_unpacklo_ps(a0, a0), g1lo));
        __m128 n1 = _mm_max_ps(neg, _mm_add_ps(_mm_unpackhi_ps(a0, a0), g1hi));
        n0 = _mm_max_ps(n0, _mm_add_ps(_mm_unpacklo_ps(a1, a1), g2lo));
        n1 = _mm_max_ps(n1, _mm_add_ps(_mm_unpackhi_ps(a1, a1), g2hi));
        const __m128 norm = _mm_shuffle_ps(n0, n0, 0);
        a0 = _mm_sub_ps(n0, norm);
        a1 = _mm_sub_ps(n1, norm);
        _mm_storeu_ps(A + (size_t)(k + 1) * NST, a0);
        _mm_storeu_ps(A + (size_t)(k + 1) * NST + 4, a1);
    }
}

/* b[nxt[s][0]] for s = 0..7 is b0 b2 b5 b7 | b1 b3 b4 b6, b[nxt[s][1]] the halves swapped;
 * g0 = P Q Q P, g1 = N R R N in either half; the APP maxima over the states in the scalar
 * loop's order */
static void backward_sse(const float *A, int K, const float *ls, const float *la,
                         const float *lp, float *b, float *lo, float *le)
{
    const __m128 sgs = _mm_loadu_ps(sgs_), sgp = _mm_loadu_ps(sgp_);
    __m128 b0 = _mm_loadu_ps(b), b1 = _mm_loadu_ps(b + 4);
    for (int k = K - 1; k >= 0; k--) {
        const float *a = A + (size_t)k * NST;
        float gs = 0.5f * (ls[k] + la[k]), gp = 0.5f * lp[k];
        const __m128 G = _mm_add_ps(_mm_xor_ps(_mm_set1_ps(gs), sgs),
                                    _mm_xor_ps(_mm_set1_ps(gp), sgp));
        const __m128 g0 = _mm_shuffle_ps(G, G, _MM_SHUFFLE(0, 2, 2, 0));
        const __m128 g1 = _mm_shuffle_ps(G, G, _MM_SHUFFLE(1, 3, 3, 1));
        const __m128 e = _mm_shuffle_ps(b0, b1, _MM_SHUFFLE(3, 1, 2, 0)); /* b0 b2 b5 b7 */
        const __m128 o = _mm_shuffle_ps(b0, b1, _MM_SHUFFLE(2, 0, 3, 1)); /* b1 b3 b4 b6 */
        const __m128 v0lo = _mm_add_ps(e, g0), v0hi = _mm_add_ps(o, g0);
        const __m128 v1lo = _mm_add_ps(o, g1), v1hi = _mm_add_ps(e, g1);
        const __m128 alo = _mm_loadu_ps(a), ahi = _mm_loadu_ps(a + 4);
        float x0[NST], x1[NST];
        _mm_storeu_ps(x0, _mm_add_ps(alo, v0lo));
        _mm_storeu_ps(x0 + 4, _mm_add_ps(ahi, v0hi));
        _mm_storeu_ps(x1, _mm_add_ps(alo, v1lo));
        _mm_storeu_ps(x1 + 4, _mm_add_ps(ahi, v1hi));
        float m0 = NEG, m1 = NEG;
        for (int s = 0; s < NST; s++) { /* in the scalar loop's order */
            m0 = mx(m0, x0[s]);
            m1 = mx(m1, x1[s]);
        }
        const __m128 n0 = _mm_max_ps(v0lo, v1lo), n1 = _mm_max_ps(v0hi, v1hi);
        const __m128 norm = _mm_shuffle_ps(n0, n0, 0);
        b0 = _mm_sub_ps(n0, norm);
        b1 = _mm_sub_ps(n1, norm);
        lo[k] = m0 - m1;
        le[k] = lo[k] - ls[k] - la[k];
    }
}
#endif

/* Max-log-MAP over K data steps + 3 tail steps (terminated in state 0).
 * ls/la/lp [K]; tx/tz [3] tail systematic/parity LLRs. Writes lo (APP) and
 * le (extrinsic = APP - ls - la). */
static void siso(turbo_codec *q, const float *ls, const float *la, const float *lp,
                 const float *tx, const float *tz, float *lo, float *le)
{
    int K = q->K;
    float *A = q->alpha;
    for (int s = 0; s < NST; s++)
        A[s] = NEG;
    A[0] = 0;
#if defined(__SSE2__)
    if (q->simd)
        alpha_sse(A, K, ls, la, lp);
    else
#endif
        alpha_scalar(A, K, ls, la, lp);
    /* beta through the tail, from state 0 at the end */
    float b[NST], bn[NST];
    for (int s = 0; s < NST; s++)
        b[s] = NEG;
    b[0] = 0;
    for (int k = 2; k >= 0; k--) {
        for (int s = 0; s < NST; s++) {
            int u = tail_u[s];
            float g = 0.5f * ((u ? -tx[k] : tx[k]) + (par[s][u] ? -tz[k] : tz[k]));
            bn[s] = b[nxt[s][u]] + g;
        }
        memcpy(b, bn, sizeof b);
    }
#if defined(__SSE2__)
    if (q->simd) {
        backward_sse(A, K, ls, la, lp, b, lo, le);
        return;
    }
#endif
    backward_scalar(A, K, ls, la, lp, b, lo, le);
}

int turbo_set_simd(turbo_codec *q, bool on)
{
    return q ? sg_simd_switch(&q->simd, on) : SG_EINVAL;
}

int turbo_set_give_up(turbo_codec *q, bool on)
{
    if (!q)
        return SG_EINVAL;
    q->give_up = on;
    return SG_OK;
}

int turbo_decode(turbo_codec *q, const float *l0, const float *l1, const float *l2,
                 int max_iter, turbo_check_fn check, void *arg, uint8_t *out, int *iters)
{
    int K = q->K;
    if (max_iter < 1)
        max_iter = 1;
    if (max_iter > 32)
        max_iter = 32;
    float tx1[3] = {l0[K], l2[K], l1[K + 1]}, tz1[3] = {l1[K], l0[K + 1], l2[K + 1]};
    float tx2[3] = {l0[K + 2], l2[K + 2], l1[K + 3]};
    float tz2[3] = {l1[K + 2], l0[K + 3], l2[K + 3]};
    for (int i = 0; i < K; i++) {
        q->ls2[i] = l0[q->pi[i]];
        q->le21[i] = 0;
    }
    int it = 0, accepted = 0, many_prev = 0;
    while (it < max_iter && !accepted) {
        it++;
        siso(q, l0, q->le21, l1, tx1, tz1, q->lo, q->le);
        for (int i = 0; i < K; i++)
            q->la[i] = EXT_SCALE * q->le[q->pi[i]];
        siso(q, q->ls2, q->la, l2, tx2, tz2, q->lo, q->le);
        int changed = 0;
        for (int i = 0; i < K; i++) {
            q->le21[q->pi[i]] = EXT_SCALE * q->le[i];
            const uint8_t b = q->lo[i] < 0;
            changed += out[q->pi[i]] != b;
            out[q->pi[i]] = b;
        }
        if (check)
            accepted = check(out, K, arg);
        /* hopeless: more than K / TURBO_GIVE_UP_DEN decisions changed in each of two
         * iterations in a row (iteration 1 has no previous decisions) */
        const int many = it > 1 && changed * TURBO_GIVE_UP_DEN > K;
        if (check && q->give_up && !accepted && many && many_prev)
            break;
        many_prev = many;
    }
    if (iters)
        *iters = it;
    return (!check || accepted) ? SG_OK : SG_ECRC;
}

/* ---- rate matching ---------------------------------------------------------------- */

struct turbo_rm {
    int D, E, ncb;
    int *map; /* ncb entries: stream * D + index, or -1 for a dummy bit */
    int k0;
};

static const int RM_PERM[32] = {0, 16, 8, 24, 4, 20, 12, 28, 2, 18, 10, 26, 6, 22, 14, 30,
                                1, 17, 9, 25, 5, 21, 13, 29, 3, 19, 11, 27, 7, 23, 15, 31};

turbo_rm *turbo_rm_create(int D, int E, int rv, sg_errinfo *e)
{
    if (D < 44 || D > 6148 || E < 1 || E > 1 << 20 || rv < 0 || rv > 3) {
        sg_err_set(e, SG_EINVAL, "turbo rate matching: D %d / E %d / rv %d out of range", D,
                   E, rv);
        return NULL;
    }
    turbo_rm *r = calloc(1, sizeof *r);
    int R = (D + 31) / 32, kpi = 32 * R, nd = kpi - D;
    if (r)
        r->map = malloc(sizeof(int) * 3 * (size_t)kpi);
    if (!r || !r->map) {
        free(r);
        sg_err_set(e, SG_ENOMEM, "turbo rate matching: out of memory");
        return NULL;
    }
    r->D = D, r->E = E, r->ncb = 3 * kpi;
    for (int k = 0; k < kpi; k++) {
        int col = k / R, row = k % R;
        int y01 = row * 32 + RM_PERM[col];                      /* streams 0 and 1 */
        int y2 = (RM_PERM[col] + 32 * row + 1) % kpi;           /* stream 2 */
        r->map[k] = y01 < nd ? -1 : y01 - nd;                   /* v0 */
        r->map[kpi + 2 * k] = y01 < nd ? -1 : D + y01 - nd;     /* v1 */
        r->map[kpi + 2 * k + 1] = y2 < nd ? -1 : 2 * D + y2 - nd; /* v2 */
    }
    int c8r = (r->ncb + 8 * R - 1) / (8 * R);
    r->k0 = R * (2 * c8r * rv + 2);
    return r;
}

void turbo_rm_destroy(turbo_rm *r)
{
    if (!r)
        return;
    free(r->map);
    free(r);
}

void turbo_rm_match(const turbo_rm *r, const uint8_t *d0, const uint8_t *d1,
                    const uint8_t *d2, uint8_t *eout)
{
    const uint8_t *d[3] = {d0, d1, d2};
    for (int k = 0, j = 0; k < r->E; j++) {
        int m = r->map[(r->k0 + j) % r->ncb];
        if (m >= 0)
            eout[k++] = d[m / r->D][m % r->D];
    }
}

void turbo_rm_dematch(const turbo_rm *r, const float *ein, float *l0, float *l1, float *l2)
{
    float *l[3] = {l0, l1, l2};
    for (int s = 0; s < 3; s++)
        memset(l[s], 0, sizeof(float) * (size_t)r->D);
    for (int k = 0, j = 0; k < r->E; j++) {
        int m = r->map[(r->k0 + j) % r->ncb];
        if (m >= 0)
            l[m / r->D][m % r->D] += ein[k++];
    }
}
