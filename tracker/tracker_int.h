/* Internal state shared by the tracker's source files (not a public header): the track
 * record, the tracker object and the helpers each part offers the others.
 *   tracker.c         lifecycle, batch grouping, in-sequence and out-of-sequence groups
 *   tracker_cfg.c     configuration defaults, JSON parsing and range checks
 *   tracker_init.c    track initiation (position, range-bearing, bearing pair / ray)
 *   tracker_assoc.c   gating and assignment
 *   tracker_manage.c  track updates, M-of-N, coasting, deletion, the output list */
#ifndef SG_TRACKER_INT_H
#define SG_TRACKER_INT_H

#include "assign.h"
#include "tracker.h"

#define TRK_HIST 6    /* per-track updates kept for out-of-sequence re-filtering */
#define PEND_CAP 256  /* bearings waiting for a partner */
#define TRK_CLUTTER_SENSORS 64 /* sensors with a clutter density estimate */

/* What re-filtering needs of a measurement (its kinematic part; attributes such as class or
 * identity were absorbed when it was applied): kept per history entry instead of the whole
 * sg_measurement, which is mostly attribute text. */
typedef struct {
    double t;
    int sensor;
    sg_meas_type type;
    double z[3], R[9], sensor_enu[3], vel_enu[3];
    bool has_vel;
} hist_meas;

/* One update in a track's history. In the ring (trk.hist) an entry takes q->hist_esz bytes:
 * the struct cut after the part of post that the tracker's model can fill (kf_packed_size),
 * so copy ring entries by memcpy of hist_esz bytes, never by assignment. */
typedef struct {
    hist_meas m;
    kf_packed post;   /* filter state right after m was applied (kf_pack) */
} hist_entry;

/* A bearing's emitter features, what tracker_features_match compares (kept per sensor on a
 * track: a compact copy of those fields of the sg_measurement, not the whole of it). */
typedef struct {
    double t;                  /* s: the bearing's time */
    char cls[SG_CLASS_LEN];
    double fc_hz, bw_hz;
    unsigned n_bursts;         /* <= SG_MEAS_BURSTS */
    double burst_t[SG_MEAS_BURSTS], burst_fc[SG_MEAS_BURSTS];
} trk_feat;

void trk_feat_of(trk_feat *f, const sg_measurement *m);
bool trk_feat_match(const trk_feat *a, const trk_feat *b, double tol_s);

/* The out-of-line part of a track that only bearing feature tests read (a track's per-scan
 * passes never touch it). q->cold[i] belongs to q->trk[i]; trk.cold points at it
 * (trk_cold_reserve keeps the pointers right). The history ring, written on every update,
 * is a separate array (trk.hist), so scenes without bearing features never touch this one. */
typedef struct {
    trk_feat feat[SG_MAX_TRACK_SENSORS]; /* per last_hit slot, valid if its has_feat */
} trk_cold;

/* The per-scan (hot) part of a track: bookkeeping first, each sensor's last hit (read by
 * updates and scan reports), then the filter state, last, because a record is cut after
 * the part of it that the tracker's model uses (kf_state_size): records are q->trk_esz
 * bytes apart (an NCV record 768 B instead of sizeof(trk), 1 720 B), so get one with
 * trk_at and copy one by memcpy of trk_esz bytes, never by assignment. */
typedef struct {
    sg_track *pub;             /* always &tracker.out[index of this track]: the public records
                                  live in the list tracker_tracks returns, so no call copies
                                  them (trk_out_reserve keeps the pointers right) */
    trk_cold *cold;            /* always &tracker.cold[index of this track] */
    unsigned char *hist;       /* always tracker.hist + index * TRK_HIST * tracker.hist_esz:
                                  the ring of TRK_HIST history entries (trk_hist_at) */
    int hist_n, hist_head;     /* entries used in hist, oldest one */
    uint32_t opp, mhits;       /* M-of-N: batches seen / hits among them */
    uint32_t m_req, n_req;     /* this track's M-of-N (confirm_m/n, raised in clutter) */
    bool full_obs;             /* has had a position or range-bearing hit */
    bool tent;                 /* pub->status is SG_TRACK_TENTATIVE (a copy the per-scan
                                  passes read without touching the public record) */
    uint8_t post_sensors;      /* bit per pub.sensors slot: bearing hits after birth */
    uint64_t born_group, hit_group;
    uint32_t dup_of;           /* id of the track this one duplicates (0: none) */
    uint32_t dup_count;        /* consecutive groups found coincident with dup_of */
    uint32_t dup_apart;        /* consecutive groups found apart from dup_of */
    uint64_t dup_group;        /* group of the last duplicate test */
    int n_last;
    uint32_t miss_scans;       /* scan reports among the current run of misses (0: none) */
    double miss_t0, miss_t1;   /* s, first scan's t0 and last scan's t1 of those misses */
    struct {
        double t;              /* s, time of the newest update by that sensor */
        int sensor;
        bool has_feat;         /* that update was a bearing with emitter features
                                  (cold->feat[slot]), matched against other sensors' bearings */
    } last_hit[SG_MAX_TRACK_SENSORS]; /* for scan reports; n_last used, oldest replaced */
    kf_state kf;               /* last: only kf_state_size(model) bytes of it exist */
} trk;

/* A valid measurement of the current call with its sort key. */
typedef struct {
    const sg_measurement *m;
    size_t i;
} mref;

typedef struct {
    double key;
    int j;
} gkey;

struct tracker {
    tracker_cfg cfg;
    kf_params kp;
    double gate[4];       /* chi-square gate by measurement dimension */
    double pair_gate;     /* 1-dof gate for bearing ray miss distance */
    double min_sin2;      /* sin^2 of the smallest pairing angle */
    unsigned char *trks;  /* track records, trk_esz bytes apart (trk_at), 64-byte aligned */
    unsigned char *trks_mem; /* the block trks lies in (trk_reserve) */
    size_t n_trk, cap_trk;
    size_t trk_esz;       /* bytes of a track record for the model: offsetof(trk, kf) +
                             kf_state_size, rounded up to whole cache lines */
    trk_cold *cold;       /* out-of-line part of trk[i] (same index) */
    size_t cap_cold;
    unsigned char *hist;  /* history rings, TRK_HIST * hist_esz bytes per track (same index) */
    size_t cap_hist;
    size_t hist_esz;      /* bytes of a history entry for the model (8-aligned; an NCV entry
                             is 544 B, an IMM one sizeof(hist_entry), 1 648 B) */
    sg_track *out;
    size_t n_out, cap_out;
    sg_track *dead;
    size_t n_dead, cap_dead;
    sg_measurement pend[PEND_CAP];
    size_t n_pend;
    uint32_t next_id;
    double t_now;         /* newest batch time, -inf before the first */
    uint64_t group_seq;
    int *scan_sensors;    /* sensors that have sent a scan report */
    size_t n_scan_sensors, cap_scan_sensors;
    tracker_scan *scans;  /* this call's valid scans, sorted by t1 */
    struct {
        int sensor;
        uint64_t groups;  /* groups seen */
        double leftover;  /* running mean of measurements per group no track took */
        double lo[3], hi[3]; /* m, box of every measurement seen (the watched volume) */
        double t_last, dt;   /* s, last group time, running mean time between groups */
    } clutter[TRK_CLUTTER_SENSORS];
    int n_clutter;
    size_t cap_scans;
    tracker_counts st;
    assign_ws *ws;
    /* scratch */
    mref *refs;
    size_t cap_refs;
    const sg_measurement **gm;
    size_t cap_gm;
    kf_pred *pred;
    unsigned char *pred_ok;
    kf_state *retro;
    size_t cap_pred, cap_retro;
    gkey *keys;           /* open measurements of the group sorted by a key component */
    gkey *keys_tmp;       /* scratch of the sort */
    size_t cap_keys_tmp;
    int n_keys;
    int *kinv;            /* per open measurement: its index in keys */
    unsigned char *mflag;
    int *c2r, *held, *took;   /* per measurement: assigned track, held identity's track,
                                 track it updated in this group (-1) */
    size_t cap_group;
    int *r2c;
    size_t cap_r2c;
    assign_edge *edges;
    size_t cap_edges;
    assign_edge *edges_sel;
    size_t cap_edges_sel;
    size_t *victims;
    size_t cap_victims;
    int *grid_head, *grid_next; /* spatial index of a group's open measurements (by key
                                   index): hash buckets and chains */
    long *grid_cx, *grid_cy;    /* cell of each */
    double *grid_en;            /* m, east and north of each (2 per key index) */
    size_t cap_grid_head, cap_grid_next, cap_grid_cx, cap_grid_cy, cap_grid_en;
    int grid_mask;
    double grid_rmax;           /* m, largest east/north measurement sd of the group */
    int *uf;              /* JPDA: union-find over tracks and measurements */
    size_t cap_uf;
    void *jedges;         /* JPDA: edges with their cluster */
    size_t cap_jedges;
    double *jcost;
    size_t cap_jcost;
};

enum { MF_OPEN = 0, MF_GATED = 1, MF_DONE = 2, MF_INIT = 3 };

enum { SEL_ALL = 0, SEL_ESTABLISHED, SEL_TENTATIVE };

/* tracker.c */
int trk_grow(void **p, size_t *cap, size_t need, size_t sz);

/* Track record i (0 <= i < q->cap_trk). */
static inline trk *trk_at(const tracker *q, size_t i)
{
    return (trk *)(void *)(q->trks + i * q->trk_esz);
}

/* Asks for the cache lines of track record i that a pass reads (the whole record: its
 * bookkeeping, last hits and the model's filter state): passes over every track call it a
 * few tracks ahead, since a record spans ten or more lines. */
static inline void trk_prefetch(const tracker *q, size_t i)
{
    const char *a = (const char *)trk_at(q, i);
    for (size_t o = 0; o < q->trk_esz; o += 64)
        __builtin_prefetch(a + o);
}
#define TRK_AHEAD 4 /* tracks ahead that a pass prefetches */

/* Asks for what an in-sequence update of t by m reads besides the filter state: the
 * measurement's kinematics and attribute flags (measurements are taken in track order, so at
 * random) and the public record's bookkeeping. */
/* always_inline: GCC takes a function of prefetches alone for a const one and drops calls. */
static inline __attribute__((always_inline)) void trk_prefetch_update(const tracker *q,
                                                                      const trk *t,
                                                                      const sg_measurement *m)
{
    __builtin_prefetch(&m->t);
    __builtin_prefetch(&m->R[8]);
    __builtin_prefetch(&m->has_vel);
    __builtin_prefetch(&m->identity[0]);
    __builtin_prefetch(&m->has_operator);
    __builtin_prefetch(&m->rid.valid);
    __builtin_prefetch(&m->droneid.valid);
    __builtin_prefetch(&t->pub->cls[0], 1);
    __builtin_prefetch(&t->pub->identity[0], 1);
    __builtin_prefetch(&t->pub->sensors[0], 1);
    __builtin_prefetch(&t->pub->t_last, 1);
    /* the history entry the update writes (trk_hist_push): its measurement and the used part
     * of the packed state (kf_pack), with intent to write */
    int k = t->hist_n < TRK_HIST ? (t->hist_head + t->hist_n) % TRK_HIST : t->hist_head;
    const char *a = (const char *)t->hist + (size_t)k * q->hist_esz;
    size_t used = offsetof(hist_entry, post) + kf_packed_used(&t->kf);
    for (size_t o = 0; o < used; o += 64)
        __builtin_prefetch(a + o, 1);
}

/* q->pred_ok[i]: the prediction of track i for the current group failed, succeeded, or is
 * still to be made (in-sequence groups: trk_gate's pass over the tracks makes it). */
enum { PRED_FAIL = 0, PRED_OK = 1, PRED_TODO = 2 };

/* Predicts track i to the time of group measurement m0 and its measurement from m0's sensor
 * into q->pred[i], unless done already for this group. */
static inline void trk_predict_once(tracker *q, size_t i, const sg_measurement *m0)
{
    if (q->pred_ok[i] != PRED_TODO)
        return;
    kf_predict(&q->kp, &trk_at(q, i)->kf, m0->t);
    q->pred_ok[i] = kf_predict_meas(&trk_at(q, i)->kf, m0->type, m0->sensor_enu, &q->pred[i]) ==
                            SG_OK
                        ? PRED_OK
                        : PRED_FAIL;
}

/* A measurement stamped this close to a scan's [t0, t1] belongs to it (s): time stamps pass
 * through doubles of Unix time (~1e9 s, resolution ~2e-7 s). Also the slack of the max_miss_s
 * span test. */
#define TRK_SCAN_TOL_S 1e-4

/* tracker_cfg.c */
int trk_cfg_check(const tracker_cfg *cfg, const char *where, sg_errinfo *e);

/* tracker_manage.c */
/* Grows the track records to need; 0 or SG_ENOMEM. */
int trk_reserve(tracker *q, size_t need);
/* Grows the out-of-line parts (cold, hist) to need tracks, re-pointing every track's cold
 * and hist; 0 or SG_ENOMEM. */
int trk_cold_reserve(tracker *q, size_t need);
void trk_add_sensor(sg_track *t, int s);
bool trk_has_sensor(const sg_track *t, int s);
void trk_absorb_attrs(sg_track *t, const sg_measurement *m);
/* Entry k (0: oldest) of t's history ring; q->hist_esz bytes. */
static inline hist_entry *trk_hist_at(const tracker *q, const trk *t, int k)
{
    return (hist_entry *)(t->hist + (size_t)((t->hist_head + k) % TRK_HIST) * q->hist_esz);
}
void trk_hist_push(const tracker *q, trk *t, const sg_measurement *m);
void trk_hist_meas(hist_meas *h, const sg_measurement *m);
/* A measurement with h's kinematics and no attributes (for kf_update). */
void trk_hist_unpack(const hist_meas *h, sg_measurement *m);
int trk_find_identity(const tracker *q, const char *id);
void trk_fill_pub(trk *t);
/* Grows the output list to need records, re-pointing every track's pub; 0 or SG_ENOMEM. */
int trk_out_reserve(tracker *q, size_t need);
/* Largest position sd (m) of the public record (trk_fill_pub done). */
double trk_pos_sd(const trk *t);
void trk_apply_update(tracker *q, trk *tr, const sg_measurement *m);
void trk_note_hit(trk *tr, const sg_measurement *m);
/* False when bearing m's emitter features disagree with those of the track's recent
 * bearing from another sensor (tracker_features_match; on with bearing_pair_features). */
bool trk_features_ok(const tracker *q, const trk *tr, const sg_measurement *m);
/* Track bookkeeping of a hit by m after the filter was updated (hits, misses, times,
 * attributes, history; not the counters). */
void trk_record_hit(tracker *q, trk *tr, const sg_measurement *m);
bool trk_scanning(const tracker *q, int sensor);
int trk_scan_validate(tracker *q, const tracker_scan *s, double batch_t);
int trk_apply_scan(tracker *q, const tracker_scan *s);
/* trk_apply_scan in two parts: the scan's bookkeeping (0 or SG_ENOMEM), then one track. */
int trk_scan_begin(tracker *q, const tracker_scan *s);
void trk_scan_track(tracker *q, trk *tr, const tracker_scan *s);
int trk_maintain(tracker *q);
/* trk_maintain after applying the ns scans (trk_scan_begin done) to every track, in the same
 * pass over the tracks (a scan judged after the call's last group). */
int trk_maintain_scans(tracker *q, const tracker_scan *scans, size_t ns);
int trk_kill(tracker *q, size_t i);

/* tracker_clutter.c */
/* Updates the clutter density estimate of the group's sensor from the measurements of the
 * group that no track took (mflag != MF_DONE and took < 0 before initiation). */
void trk_clutter_update(tracker *q, const sg_measurement *const *gm, int ng);
/* Sets tr->m_req / n_req for a track born from m (confirm_m/n, raised by clutter). */
void trk_confirm_rule(tracker *q, trk *tr, const sg_measurement *m);

/* tracker_init.c */
int trk_new(tracker *q, const sg_measurement *m, double t, const double pos[3],
            const double Ppos[9], const double vel[3], const double Pvel[9]);
void trk_vel_prior(const tracker *q, const sg_measurement *m, double vel[3], double Pvel[9]);
void trk_rb_to_enu(const sg_measurement *m, double pos[3], double Ppos[9]);
void trk_initiate(tracker *q, const sg_measurement *m);
void trk_reinit_identity(tracker *q, trk *tr, const sg_measurement *m);

/* tracker_assoc.c */
int trk_gate_assign(tracker *q, const sg_measurement *const *gm, int ng, uint64_t skip_group,
                    int sel);
/* Gated edges (q->edges, cost = d2 - gate) between the open measurements of a group and the
 * tracks picked by sel with pred_ok, excluding tracks hit in skip_group (0: none); marks the
 * gated measurements MF_GATED. */
int trk_gate(tracker *q, const sg_measurement *const *gm, int ng, uint64_t skip_group, int sel,
             size_t *ne);
/* Assignment over the first ne of q->edges restricted to the tracks of sel not updated in
 * the current group and to measurements not MF_DONE; q->c2r / q->r2c receive the matching. */
int trk_assign_stage(tracker *q, int ng, size_t ne, int sel);

/* tracker_jpda.c */
/* Stage 1 (established tracks) by joint probabilistic data association over the first ne
 * of q->edges: updates tracks, marks the measurements it attributes (MF_DONE). Position and
 * range-bearing groups only. */
int trk_jpda_stage(tracker *q, const sg_measurement *const *gm, int ng, size_t ne);
/* tracker_clutter.c: clutter density (1/m^3) of a sensor, or fallback if not known yet */
double trk_clutter_density(const tracker *q, int sensor, double fallback);

/* tracker_dup.c */
/* Sorts the first ne of q->edges by measurement (then track); 0 or SG_ENOMEM. */
int trk_sort_edges(tracker *q, size_t ne, int ng);
/* true if the measurement at q->keys[k] lies within split_radius_m of one that updated or
 * started a track earlier in this group (position and range-bearing groups; k < 0: false). */
bool trk_is_split(const tracker *q, const sg_measurement *const *gm, int k);
/* Duplicate-track test over the tracks that gated a common measurement in group g (the
 * first ne of q->edges, sorted by trk_sort_edges); merges duplicates found dup_scans times in a row. */
int trk_duplicates(tracker *q, size_t ne, uint64_t g);

#endif
