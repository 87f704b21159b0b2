/* Channel plan for one SDR narrower than the bands it must watch: the SDR hops its
 * centre over a list of channels, staying dwell_s on each, losing settle_s after each
 * retune (the samples received while the tuner settles are not delivered: a counted gap,
 * and the next block is flagged discontinuous with its new centre, so the front end
 * closes open bursts and never joins two channels).
 *
 * Where it sits: an IQ adapter's "scan" option (adapters/sg_adapter.h). The "sim" adapter
 * follows it on its own sample clock; a replay of a recorded hop sequence (SigMF with one
 * capture segment per dwell, each with its core:frequency) needs no plan: the segments'
 * centres and gaps do the same. The schedule is a function of the sample clock alone, so
 * a run is reproducible.
 *
 * Config (JSON): {"channels": [{"center_freq": Hz, "dwell_s": s}, ...], "settle_s": s}
 *   channels: 1..SCAN_PLAN_MAX entries; center_freq 1e3..1e11 Hz; dwell_s 1e-3..60 s
 *   (default: the plan's "dwell_s", itself default 0.1 s); settle_s 0..0.1 s (default
 *   1e-3: SoapySDR tuners settle in 0.2-2 ms).
 *
 * What a plan gives a drone on channel i (docs/rf-frontend.md, "Channel plan"):
 *   cycle T = sum over channels of (dwell_s + settle_s): every channel is revisited every T;
 *   duty_i = dwell_i / T: the share of time channel i is received;
 *   a burst of length L (DroneID 0.65 ms) is received whole when it falls inside a dwell:
 *   p_i(L) = max(0, dwell_i - L) / T per burst, for bursts whose timing is unrelated to the
 *   plan's (a burst period commensurate with T can alias: see the docs);
 *   detection within time tau of a drone sending a burst every P s: at least one burst
 *   is received whole within tau = T - dwell_i + P + L when dwell_i >= P + L, else the
 *   expected count over tau is tau / P x p_i(L). */
#ifndef SG_SCAN_PLAN_H
#define SG_SCAN_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "sg_error.h"

#define SCAN_PLAN_MAX 64

typedef struct {
    double center_freq;   /* Hz */
    double dwell_s;       /* s received on the channel per visit */
} scan_channel;

typedef struct {
    scan_channel ch[SCAN_PLAN_MAX];
    unsigned n;           /* channels, 0 = no plan (the adapter stays on its centre) */
    double settle_s;      /* s lost after each retune */
} scan_plan;

/* Parses obj (NULL = no plan: n = 0). Unknown keys, empty or oversized channel lists
 * and values out of range are errors naming `where` and the key. */
int scan_plan_from_json(scan_plan *p, const cJSON *obj, const char *where, sg_errinfo *e);

/* Cycle time T (s): sum of dwell_s + settle_s; 0 for no plan. */
double scan_plan_cycle(const scan_plan *p);
/* Share of time channel i is received (dwell_i / T), 0..1; 0 if i is out of range. */
double scan_plan_duty(const scan_plan *p, unsigned i);
/* The least duty over the channels (sg_adapter_stats.scan_duty_min), 0 for no plan. */
double scan_plan_duty_min(const scan_plan *p);
/* SG_OK if p is a plan scan_plan_from_json could have made (n 0..SCAN_PLAN_MAX, every
 * value in its range), else SG_EINVAL naming `where` and the value. */
int scan_plan_check(const scan_plan *p, const char *where, sg_errinfo *e);
/* Probability that one burst of len_s seconds on channel i, at a time unrelated to the
 * plan, is received whole: max(0, dwell_i - len_s) / T. */
double scan_plan_p_burst(const scan_plan *p, unsigned i, double len_s);
/* Longest time (s) from any moment a drone is on channel i to the end of a burst of it
 * received whole, for a drone sending a burst of len_s every period_s:
 * T - dwell_i + period_s + len_s when the dwell holds a whole period
 * (dwell_i >= period_s + len_s), INFINITY otherwise (then only the probability above
 * holds). */
double scan_plan_revisit_bound(const scan_plan *p, unsigned i, double period_s, double len_s);

/* Where the plan is at time t (s since the start of the stream, >= 0). A cycle is, for
 * each channel in order, settle_s of retune (the stream starts with one) then dwell_s.
 * *ch the channel, *settling true while the tuner settles (those samples are dropped),
 * *until the time (s) the current state ends. */
void scan_plan_at(const scan_plan *p, double t, unsigned *ch, bool *settling, double *until);

#endif
