/* The daemon's pipeline: builds every stage from a venue configuration, runs one
 * thread per enabled sensor and the fusion loop on the calling thread, and
 * publishes tracks, alerts, RF presence and status on the operator feed. With a role
 * (docs/nodes.md) it runs only the sensors of one node, or only the fusion of all.
 * Used by apps/skyguardd.c; tests may run it in-process. Never prints: readable
 * event lines go to the log callback the app supplies. */
#ifndef SG_PIPELINE_H
#define SG_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>

#include "sg_error.h"

typedef struct pipeline pipeline;

/* Receives one readable line per event (no trailing newline). Called from the
 * thread running pipeline_run(). */
typedef void (*pipeline_log_fn)(void *user, const char *line);

/* What this process runs of the venue (docs/nodes.md). */
typedef enum {
    PIPELINE_STANDALONE = 0,   /* every enabled sensor and fusion, in one process */
    PIPELINE_SENSOR,           /* the sensors of node `node`, publishing to the fusion node */
    PIPELINE_FUSION,           /* tracker, fusion, alerts and feed for every sensor node */
} pipeline_role;

typedef struct {
    const char *replay_path;   /* SigMF recording replacing the first RF sensor's adapter, or NULL */
    double sample_rate;        /* Hz for a recording without core:sample_rate; 0 = from metadata */
    bool realtime;             /* pace replay to real time */
    const char *endpoint;      /* overrides outputs.feed.endpoint, or NULL */
    const char *record_out;    /* JSONL of every published message, or NULL */
    const char *record_dir;    /* incident recording: DIR/<sensor>.sigmf-* (cf32, bursts as
                                  annotations) + DIR/feed.jsonl; NULL = off. Replaying
                                  DIR/<sensor>.sigmf-meta reproduces the same tracks/alerts. */
    double wait_subscriber_s;  /* s to wait for a first subscriber before starting, 0 = none */
    double linger_s;           /* s to keep the feed up after all inputs ended */
    pipeline_log_fn progress;  /* replay progress lines (every 10 %), NULL = none; a callback of
                                  its own so the app keeps them off the event log (stdout) */
    void *progress_user;
    size_t event_queue;        /* events between sensor threads and fusion, > 0 */
    pipeline_role role;        /* standalone (default) */
    const char *node;          /* PIPELINE_SENSOR: the node's name in the venue's "nodes" */
    pipeline_log_fn log;       /* NULL = silent */
    void *log_user;
    pipeline_log_fn warn;      /* non-fatal warnings when log is NULL (quiet), NULL = none */
    void *warn_user;
} pipeline_opts;

void pipeline_opts_default(pipeline_opts *o);

/* Loads the venue file and builds every stage; errors name the input and key. */
pipeline *pipeline_create(const char *config_path, const pipeline_opts *o, sg_errinfo *e);
/* Runs until every input ended (replay) or pipeline_stop(). SG_OK on a normal end;
 * otherwise e says which sensor or output failed. */
int pipeline_run(pipeline *p, sg_errinfo *e);
/* Asks run() to finish soon. Thread-safe and async-signal-safe. */
void pipeline_stop(pipeline *p);
void pipeline_destroy(pipeline *p);

#endif
