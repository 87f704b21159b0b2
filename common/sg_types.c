/* Names of the pipeline enums as they appear in config files and messages. */
#include "sg_types.h"

#include <string.h>

const char *const sg_severity_names[4] = {"info", "warning", "alert", "critical"};
const char *const sg_track_status_names[4] = {"tentative", "confirmed", "coasting", "deleted"};
const char *const sg_alert_state_names[3] = {"raised", "updated", "cleared"};

const char *sg_severity_name(sg_severity s)
{
    return (unsigned)s < 4 ? sg_severity_names[s] : "unknown";
}

const char *sg_track_status_name(sg_track_status s)
{
    return (unsigned)s < 4 ? sg_track_status_names[s] : "unknown";
}

const char *sg_alert_state_name(sg_alert_state s)
{
    return (unsigned)s < 3 ? sg_alert_state_names[s] : "unknown";
}

int sg_severity_parse(const char *name)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(name, sg_severity_names[i]) == 0)
            return i;
    return -1;
}
