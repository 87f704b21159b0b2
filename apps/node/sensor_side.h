/* The sensor side of the daemon: builds the venue's sensors (RF chain: front end,
 * emitters, DroneID, BLE Remote ID; Wi-Fi Remote ID; cameras), runs one thread per
 * sensor, records incidents, keeps replayed sensors in step on the sample clock, and
 * pushes measurements, clock ticks, health and end of input into a node link
 * (node_link.h). Never prints.
 *
 * Replayed sensors push with back-pressure (lossless, deterministic); live sensors
 * never block and count what they drop. Health events go out every HEALTH_PERIOD_S
 * of the sensor's own clock and once more, complete, just before its NL_DONE. */
#ifndef SG_SENSOR_SIDE_H
#define SG_SENSOR_SIDE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "node_link.h"
#include "sg_error.h"
#include "site.h"

typedef struct sensor_side sensor_side;

typedef struct {
    const char *replay_path;   /* SigMF recording replacing the first rf sensor's adapter, or NULL */
    double sample_rate;        /* Hz for a recording without core:sample_rate; 0 = from metadata */
    bool realtime;             /* pace replays to real time */
    const int *node_of;        /* [n_sensors] node index of each sensor (node_cfg), NULL = all */
    int node;                  /* this node's index when node_of is set */
} sensor_side_opts;

/* Builds every enabled sensor of `site` (kept by the caller until destroy). Events go
 * to `link`; `stop` (owned by the caller) ends the inputs once set. Errors name the
 * venue key. */
sensor_side *sensor_side_create(const sg_site *site, const sensor_side_opts *o, node_link *link,
                                const atomic_bool *stop, sg_errinfo *e);
/* Incident recording into DIR/<sensor>.sigmf-* (NULL = off); before sensor_side_start. */
void sensor_side_set_record_dir(sensor_side *s, const char *dir);
/* Sensors built: the number of NL_DONE events the link will carry. */
size_t sensor_side_count(const sensor_side *s);
/* Sensors whose input ended (their NL_DONE is pushed). Thread-safe. */
size_t sensor_side_finished(sensor_side *s);
/* Starts the sensor threads. *started says how many run (each ends with NL_DONE);
 * on failure e names the sensor whose thread could not start. */
int sensor_side_start(sensor_side *s, size_t *started, sg_errinfo *e);
/* Watchdog: an RF sensor thread inside one block for more than SENSOR_WATCHDOG_S
 * (a stage making no progress) is reported stalled (NL_NOTE rc SG_ETIMEOUT, naming the
 * stage), and again when it moves on (rc SG_OK). */
#define SENSOR_WATCHDOG_S 5.0
/* After a stop request, threads that have not ended within this are abandoned. */
#define SENSOR_STOP_GRACE_S 2.0
/* Runs the watchdog; once *stop is set, asks every input to end (call from a loop, not
 * a signal handler). Returns how many sensors have not ended SENSOR_STOP_GRACE_S after
 * the stop request (0 otherwise); their names go to `why` (may be NULL). */
size_t sensor_side_poll(sensor_side *s, sg_errinfo *why);
/* Waits for the started threads that have ended (or end within the grace); returns how
 * many were abandoned (still running: their memory is then never freed). */
size_t sensor_side_join(sensor_side *s);
void sensor_side_destroy(sensor_side *s);

#endif
