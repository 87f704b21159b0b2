/* Track WGS84 fill and the snapshot clock (see fusion.h). */
#include "fusion.h"

#include <math.h>

void fusion_fill_track_wgs84(const geo_frame *f, sg_track *tr)
{
    geo_frame_from_enu(f, tr->x, &tr->lat, &tr->lon, &tr->alt);
}

void fusion_fill_tracks_wgs84(const geo_frame *f, sg_track *tr, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fusion_fill_track_wgs84(f, &tr[i]);
}

int snapshot_sched_init(snapshot_sched *s, double rate_hz, sg_errinfo *e)
{
    if (!(rate_hz >= 1.0 / 3600 && rate_hz <= 100))
        return sg_err_set(e, SG_ERANGE, "snapshot rate must be in [1/3600, 100] Hz, got %g",
                          rate_hz);
    s->period = 1.0 / rate_hz;
    s->next = NAN;
    s->skipped = 0;
    return SG_OK;
}

bool snapshot_due(snapshot_sched *s, double t)
{
    if (!isfinite(t))
        return false;
    if (isnan(s->next) || t >= s->next) {
        /* Next grid instant strictly after t; count the instants a gap skipped. */
        double k = floor(t / s->period + 1e-9) + 1.0;
        double nxt = k * s->period;
        if (!isnan(s->next) && nxt - s->next > 1.5 * s->period)
            s->skipped += (unsigned long long)((nxt - s->next) / s->period + 0.5) - 1;
        s->next = nxt;
        return true;
    }
    return false;
}
