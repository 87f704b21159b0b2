/* The fusion side of the daemon: pops the events of every sensor from a node link
 * (node_link.h) in order and owns the registry, tracker, alerts and the operator feed:
 * publication policy (tracks on change and by snapshot, RF presence, alerts), status
 * (from the latest health event of each sensor, so a sensor on another node reads the
 * same as a local one) and latency. Never prints: readable lines go to the log
 * callback. Single-threaded: every function runs on the caller's thread. */
#ifndef SG_FUSION_SIDE_H
#define SG_FUSION_SIDE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "node_link.h"
#include "pipeline.h"
#include "sg_error.h"
#include "site.h"

typedef struct fusion_side fusion_side;

typedef struct {
    bool replay;               /* a --replay recording stands in for node_replay_sensor() */
    bool realtime;             /* paced replay: sample-to-feed latency is measured */
    pipeline_log_fn progress;  /* replay progress lines, NULL = none (pipeline.h) */
    void *progress_user;
    double wait_subscriber_s;  /* s to wait for a first subscriber before starting, 0 = none */
    double linger_s;           /* s to keep the feed up after all inputs ended */
    bool nodes;                /* the sensors are on other nodes: node section in status,
                                  status by wall clock while no event arrives */
    pipeline_log_fn log;       /* NULL = silent */
    void *log_user;
    pipeline_log_fn warn;      /* non-fatal warnings when log is NULL (quiet), NULL = none */
    void *warn_user;
} fusion_side_opts;

/* Builds frame, zones, registry, tracker and alerts of `site` (kept by the caller
 * until destroy). Errors name the venue file and key. */
fusion_side *fusion_side_create(const sg_site *site, const fusion_side_opts *o, sg_errinfo *e);
/* Binds the operator feed: `endpoint` overrides the venue's (NULL = venue), every
 * published message also goes to `record_path` (JSONL, NULL = none). */
int fusion_side_open_feed(fusion_side *f, const char *endpoint, const char *record_path,
                          sg_errinfo *e);
/* The banner lines, then up to wait_subscriber_s for a first subscriber. */
void fusion_side_announce(fusion_side *f, const atomic_bool *stop);
/* Runs the fusion loop on `link` until `inputs` sensors sent NL_DONE or the link
 * ended. poll(user, why) runs every loop turn (<= 50 ms; may be NULL); true ends the
 * loop: a stop (why untouched), or sensors that will not end (stuck after a stop
 * request: why says which, the loop gives up on them with it as the error). Returns
 * `result` unless it is SG_OK and a sensor failed or was given up on (then e says which). */
int fusion_side_run(fusion_side *f, node_link *link, size_t inputs,
                    bool (*poll)(void *, sg_errinfo *), void *poll_user, int result,
                    sg_errinfo *e);
/* After the inputs' threads ended: drains `link`, a last step, snapshot and status,
 * the summary line, then lingers linger_s for subscribers. */
void fusion_side_finish(fusion_side *f, node_link *link, const atomic_bool *stop);
void fusion_side_destroy(fusion_side *f);

#endif
