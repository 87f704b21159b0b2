/* Private to the scenario code (scenario.c: generation and runs; scenario_csv.c: files):
 * appending to a scenario's arrays. Each returns SG_OK or SG_ENOMEM (the scenario is left
 * valid). */
#ifndef SG_SCENARIO_INT_H
#define SG_SCENARIO_INT_H

#include "scenario.h"

int scen_push_truth(scenario *s, double t, int id, const double p[3]);
int scen_push_scan(scenario *s, const tracker_scan *sc);
int scen_push_meas(scenario *s, const sg_measurement *m, bool clutter);

#endif
