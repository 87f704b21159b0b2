/* Names of the pipeline enums as they appear in config files and messages. */
#include "sg_types.h"

#include <string.h>

static const char *const sev_names[] = {"info", "warning", "alert", "critical"};
static const char *const status_names[] = {"tentative", "confirmed", "coasting", "deleted"};
static const char *const state_names[] = {"raised", "updated", "cleared"};

const char *sg_severity_name(sg_severity s)
{
    return (unsigned)s < 4 ? sev_names[s] : "unknown";
}

const char *sg_track_status_name(sg_track_status s)
{
    return (unsigned)s < 4 ? status_names[s] : "unknown";
}

const char *sg_alert_state_name(sg_alert_state s)
{
    return (unsigned)s < 3 ? state_names[s] : "unknown";
}

int sg_severity_parse(const char *name)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(name, sev_names[i]) == 0)
            return i;
    return -1;
}
