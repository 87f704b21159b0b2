/* Filter states stored in the model's part of a kf_state only (kf_state_size), as a track
 * record keeps them (tracker_int.h): every kf_ function a track's state goes through
 * (init, predict, predicted measurement, gate, update with and without a reported
 * velocity, range-bearing and bearing updates, the PDA update of JPDA, combined estimates,
 * copy, pack and unpack) must stay inside those bytes and give the same bits as on a whole
 * kf_state. A guard pattern after the bytes catches a write past them in any build; the
 * exact-size heap copy lets ASan catch a read. Then the tracker with every model, and with
 * JPDA, holding crossing targets while tracks are deleted (a deletion moves the last track
 * record into the freed slot, trk_esz bytes). The PDA update used to refuse every IMM
 * (NCV + CA) state, whose NCV mode holds the acceleration variance at zero: with JPDA such
 * tracks were never updated and started again. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kf.h"
#include "sg_error.h"
#include "tracker_helpers.h"

#define GUARD 256
#define GUARD_BYTE 0xa5

static const kf_model models[] = {KF_MODEL_NCV, KF_MODEL_CA, KF_MODEL_IMM, KF_MODEL_CT,
                                  KF_MODEL_IMM_CT};
static const char *const model_names[] = {"ncv", "ca", "imm", "ct", "imm_ct"};
#define N_MODELS (sizeof models / sizeof models[0])

static kf_params params(kf_model model)
{
    kf_params p = {.model = model, .q_accel = 2, .q_jerk = 1, .imm_sojourn_s = 5,
                   .q_turn = 0.05, .init_turn_sd = 0.3, .init_acc_sd = 2, .vel_sd = 1};
    return p;
}

static void test_state_sizes(void **st)
{
    (void)st;
    /* the documented sizes: t, n, nmodes, mu, x, then P (one n x n, or two at the 81-entry
     * stride of the second mode) */
    static const size_t want[] = {464, 824, 1472, 568, 1216};
    for (size_t k = 0; k < N_MODELS; k++) {
        size_t s = kf_state_size(models[k]);
        if (s != want[k])
            fail_msg("%s: kf_state_size %zu, want %zu", model_names[k], s, want[k]);
        assert_true(s <= sizeof(kf_state));
    }
    assert_int_equal(kf_state_size(KF_MODEL_IMM), sizeof(kf_state));
}

static sg_measurement meas(double t, sg_meas_type type, const double z[3], double sd0,
                           double sd1)
{
    sg_measurement m;
    memset(&m, 0, sizeof m);
    m.t = t;
    m.sensor = 1;
    m.type = type;
    memcpy(m.z, z, sizeof m.z);
    int dim = sg_meas_dim(type);
    for (int i = 0; i < dim; i++)
        m.R[i * dim + i] = i == 0 ? sd0 * sd0 : sd1 * sd1;
    m.sensor_enu[0] = -300;
    m.sensor_enu[1] = -200;
    return m;
}

/* The used bytes of two states agree bit for bit (x and P of every mode, t, mu). */
static void same_state(const kf_state *a, const kf_state *b, const char *what, const char *name)
{
    assert_int_equal(a->n, b->n);
    assert_int_equal(a->nmodes, b->nmodes);
    bool same = memcmp(&a->t, &b->t, sizeof a->t) == 0;
    for (int k = 0; k < a->nmodes; k++)
        same = same && memcmp(&a->mu[k], &b->mu[k], sizeof a->mu[k]) == 0 &&
               memcmp(a->x[k], b->x[k], sizeof(double) * (size_t)a->n) == 0 &&
               memcmp(a->P[k], b->P[k], sizeof(double) * (size_t)(a->n * a->n)) == 0;
    if (!same)
        fail_msg("%s, %s: the cut state differs from the whole one", name, what);
}

static void guard_intact(const unsigned char *buf, size_t used, const char *what,
                         const char *name)
{
    for (size_t i = 0; i < GUARD; i++)
        if (buf[used + i] != GUARD_BYTE)
            fail_msg("%s, %s: byte %zu past kf_state_size (%zu) written", name, what, i,
                     used);
}

/* Runs the same sequence on a whole state and on a cut one (cut, exactly used bytes on
 * the heap; guarded, used bytes then the guard), comparing after each step. */
static void run_model(size_t k)
{
    kf_params p = params(models[k]);
    const char *name = model_names[k];
    size_t used = kf_state_size(p.model);
    kf_state *whole = malloc(sizeof *whole);
    kf_state *cut = malloc(used); /* only the model's part exists: ASan sees a read past it */
    unsigned char *gbuf = malloc(used + GUARD);
    assert_non_null(whole);
    assert_non_null(cut);
    assert_non_null(gbuf);
    memset(gbuf, GUARD_BYTE, used + GUARD);
    kf_state *guarded = (kf_state *)(void *)gbuf;
    kf_state *all[3] = {whole, cut, guarded};

    const double pos[3] = {100, 50, 30}, vel[3] = {8, -3, 0.5};
    const double Ppos[9] = {25, 1, 0, 1, 25, 0, 0, 0, 36};
    const double Pvel[9] = {100, 0, 0, 0, 100, 0, 0, 0, 4};
    for (int s = 0; s < 3; s++)
        kf_init(&p, all[s], 10.0, pos, Ppos, vel, Pvel);
    same_state(whole, cut, "init", name);
    same_state(whole, guarded, "init", name);
    guard_intact(gbuf, used, "init", name);

    double t = 10.0;
    for (int step = 0; step < 12; step++) {
        t += 0.1 + 0.05 * (step % 3);
        /* a turning path, so CT and the IMMs move off their first mode */
        double a = 0.2 * step;
        double z[3] = {100 + 8 * (t - 10) + 20 * sin(a), 50 - 3 * (t - 10) + 20 * cos(a),
                       30 + 0.5 * (t - 10)};
        sg_meas_type type = step % 4 == 3 ? SG_MEAS_RANGE_BEARING : SG_MEAS_POS_ENU;
        sg_measurement m = meas(t, SG_MEAS_POS_ENU, z, 5, 5);
        if (type == SG_MEAS_RANGE_BEARING) {
            double d[3] = {z[0] - m.sensor_enu[0], z[1] - m.sensor_enu[1], z[2]};
            double rb[3] = {sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]), atan2(d[0], d[1]),
                            atan2(d[2], hypot(d[0], d[1]))};
            m = meas(t, type, rb, 5, 0.01);
            m.R[8] = 0.01 * 0.01;
        } else if (step % 4 == 1) {
            m.has_vel = true;
            m.vel_enu[0] = 8;
            m.vel_enu[1] = -3;
        }
        kf_pred pr[3];
        double d2[3], nis[3];
        int rc[3];
        for (int s = 0; s < 3; s++) {
            kf_predict(&p, all[s], t);
            assert_int_equal(kf_predict_meas(all[s], type, m.sensor_enu, &pr[s]), SG_OK);
            assert_int_equal(kf_mahalanobis(&pr[s], type, m.z, m.R, &d2[s]), SG_OK);
        }
        same_state(whole, cut, "predict", name);
        same_state(whole, guarded, "predict", name);
        assert_memory_equal(&d2[0], &d2[1], sizeof d2[0]);
        assert_memory_equal(pr[0].zhat, pr[2].zhat, sizeof pr[0].zhat);
        assert_memory_equal(pr[0].HPHt, pr[2].HPHt, sizeof pr[0].HPHt);
        if (step % 5 == 4) { /* JPDA's update with two candidate returns */
            sg_measurement m2 = m;
            if (type == SG_MEAS_POS_ENU)
                m2.z[0] += 4;
            else
                m2.z[1] += 0.004;
            const sg_measurement *ms[2] = {&m, &m2};
            const double beta[2] = {0.6, 0.3};
            for (int s = 0; s < 3; s++)
                rc[s] = kf_update_pda(&p, all[s], ms, beta, 2, 0.1, 0.9, 1e-6);
        } else {
            for (int s = 0; s < 3; s++)
                rc[s] = kf_update(&p, all[s], &m, &nis[s]);
        }
        if (rc[0] || rc[1] || rc[2])
            fail_msg("%s, step %d: update %d / %d / %d", name, step, rc[0], rc[1], rc[2]);
        same_state(whole, cut, "update", name);
        same_state(whole, guarded, "update", name);
        guard_intact(gbuf, used, "predict and update", name);
    }
    /* a bearing update (EKF, 2-D) */
    t += 0.1;
    double b[3] = {0.9, 0.05, 0};
    sg_measurement mb = meas(t, SG_MEAS_BEARING, b, 0.02, 0.02);
    for (int s = 0; s < 3; s++) {
        kf_predict(&p, all[s], t);
        (void)kf_update(&p, all[s], &mb, NULL); /* may gate out; must agree and stay inside */
    }
    same_state(whole, cut, "bearing update", name);
    same_state(whole, guarded, "bearing update", name);
    /* the estimates a track publishes */
    double xw[KF_NMAX], Pw[KF_NMAX * KF_NMAX], xc[KF_NMAX], Pc[KF_NMAX * KF_NMAX];
    kf_combined(whole, xw, Pw);
    kf_combined(cut, xc, Pc);
    assert_memory_equal(xw, xc, sizeof(double) * (size_t)whole->n);
    assert_memory_equal(Pw, Pc, sizeof(double) * (size_t)(whole->n * whole->n));
    kf_combined_lead(whole, 6, xw, Pw);
    kf_combined_lead(cut, 6, xc, Pc);
    assert_memory_equal(xw, xc, 6 * sizeof(double));
    assert_memory_equal(Pw, Pc, 36 * sizeof(double));
    /* history: pack from a cut state, unpack into a whole one, copy back into a cut one */
    kf_packed *pk = malloc(sizeof *pk);
    kf_state *back = malloc(sizeof *back);
    assert_non_null(pk);
    assert_non_null(back);
    kf_pack(pk, cut);
    kf_unpack(back, pk);
    same_state(whole, back, "pack / unpack", name);
    memset(gbuf, GUARD_BYTE, used + GUARD);
    kf_copy(guarded, back);
    same_state(whole, guarded, "copy", name);
    guard_intact(gbuf, used, "copy", name);
    free(pk);
    free(back);
    free(gbuf);
    free(cut);
    free(whole);
}

static void test_cut_states(void **st)
{
    (void)st;
    for (size_t k = 0; k < N_MODELS; k++)
        run_model(k);
}

/* Twelve targets on parallel east-bound lines 100 m apart, the odd ones disappearing at
 * 3 s: their tracks are deleted while the others go on, so records move into freed slots
 * (the last record into the first free one). The remaining six must stay held by the
 * tracks they started with, within 10 m, for every model and with JPDA. */
static void run_tracker(const char *json)
{
    tracker *q = mk_tracker(json);
    enum { N = 12 };
    uint32_t id_at_2s[N] = {0};
    for (int s = 0; s <= 60; s++) {
        double t = 0.1 * s;
        sg_measurement m[N];
        size_t n = 0;
        for (int i = 0; i < N; i++) {
            if ((i & 1) && t > 3.0)
                continue;
            /* a small deterministic jitter (sd ~1 m) */
            double jx = 0.7 * sin(1.3 * s + i), jy = 0.7 * cos(0.9 * s + 2 * i);
            m[n++] = mk_pos(t, 1, 10.0 * t + jx, 100.0 * i + jy, 50, 1, NULL);
        }
        tracker_scan sc;
        memset(&sc, 0, sizeof sc);
        sc.sensor = 1;
        sc.t0 = sc.t1 = t;
        sc.cover = TRACKER_COVER_ALL;
        assert_int_equal(tracker_process_scans(q, t, m, n, &sc, 1), SG_OK);
        if (s == 20) { /* every target held by one confirmed track */
            const sg_track *tk;
            size_t nt;
            tracker_tracks(q, &tk, &nt);
            for (size_t j = 0; j < nt; j++) {
                if (tk[j].status == SG_TRACK_TENTATIVE)
                    continue;
                int i = (int)lround(tk[j].x[1] / 100.0);
                assert_true(i >= 0 && i < N);
                assert_int_equal(id_at_2s[i], 0);
                id_at_2s[i] = tk[j].id;
            }
            for (int i = 0; i < N; i++)
                if (!id_at_2s[i])
                    fail_msg("%s: target %d not confirmed at 2 s", json, i);
        }
    }
    const sg_track *tk;
    size_t nt;
    tracker_tracks(q, &tk, &nt);
    for (int i = 0; i < N; i++) {
        const sg_track *a = find_id(q, id_at_2s[i]);
        if (i & 1) { /* gone for 3 s: deleted */
            if (a && a->status != SG_TRACK_DELETED)
                fail_msg("%s: track of vanished target %d still alive", json, i);
            continue;
        }
        if (!a || a->status == SG_TRACK_DELETED) {
            for (size_t j = 0; j < nt; j++)
                print_message("track %u: status %d at %.1f, %.1f m\n", tk[j].id, tk[j].status,
                              tk[j].x[0], tk[j].x[1]);
            fail_msg("%s: target %d lost its track %u", json, i, id_at_2s[i]);
        }
        double ex = a->x[0] - 60.0, ny = a->x[1] - 100.0 * i;
        if (hypot(ex, ny) > 10)
            fail_msg("%s: target %d off by %.1f m", json, i, hypot(ex, ny));
    }
    size_t live = 0;
    for (size_t j = 0; j < nt; j++)
        live += tk[j].status != SG_TRACK_DELETED;
    if (live != N / 2)
        fail_msg("%s: %zu live tracks, want %d", json, live, N / 2);
    tracker_counts c;
    tracker_stats(q, &c);
    assert_true(c.tracks_deleted >= N / 2);
    check_accounting(q);
    tracker_destroy(q);
}

static void test_tracker_models(void **st)
{
    (void)st;
    char json[96];
    for (size_t k = 0; k < N_MODELS; k++) {
        snprintf(json, sizeof json, "{\"model\": \"%s\"}", model_names[k]);
        run_tracker(json);
        snprintf(json, sizeof json, "{\"model\": \"%s\", \"association\": \"jpda\"}",
                 model_names[k]);
        run_tracker(json);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_state_sizes),
        cmocka_unit_test(test_cut_states),
        cmocka_unit_test(test_tracker_models),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
