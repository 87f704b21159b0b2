/* The fusion side's publication policy (see fusion_side.h, docs/feed-schema.md): after
 * each tracker step the tracks get their WGS84 fill, RF attach and alerts; a track goes
 * on the feed when its status changes or, with new data, at most once per
 * track_update_period_s; snapshots and the RF picture when due, and a late joiner's
 * snapshot; readable log lines about tracks and alerts; the pipeline latency. */
#include "fusion_state.h"
#include "sg_clock.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LOG_TRACK_PERIOD_S 2.0 /* s between readable lines about one track */

static track_slot *tslot(fusion_side *p, uint32_t id)
{
    track_slot *s = &p->tslots[id % TRACK_SLOTS];
    if (s->id != id) {
        memset(s, 0, sizeof *s);
        s->id = id;
        s->last_log = -INFINITY;
        s->pub_t = s->pub_t_last = -INFINITY;
        s->status = SG_TRACK_TENTATIVE;
    }
    return s;
}

void fusion_note_latency(fusion_side *p, const struct timespec *made, double t_data)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (made && made->tv_sec)
        nl_lat_add(&p->pipe_lat, sg_ms_between(made, &now));
    const nl_health *ph = p->primary >= 0 ? &p->hl[p->primary] : NULL;
    if (p->o.realtime && ph && !isnan(ph->t_first) && isfinite(t_data)) {
        /* Paced replay: the data's sample time maps to wall time from the first sample. */
        double wall_ms = sg_ms_between(&ph->wall_first, &now);
        nl_lat_add(&p->e2e_lat, wall_ms - (t_data - ph->t_first) * 1e3);
    }
}

static void publish_track(fusion_side *p, const sg_track *tr, bool snapshot)
{
    alerts_zone_state zs[16];
    feed_zone_ref zr[16];
    size_t nz = alerts_track_zones(p->al, tr->id, zs, 16);
    if (nz > 16)
        nz = 16;
    for (size_t i = 0; i < nz; i++) {
        zr[i].zone_id = zs[i].zone_id;
        zr[i].severity = zs[i].severity;
        zr[i].inside = zs[i].inside;
        zr[i].ttb_s = zs[i].time_to_breach;
    }
    feed_track(p->fd, tr, zr, nz, snapshot);
}

static bool track_public(const sg_track *tr, const track_slot *s)
{
    return tr->status == SG_TRACK_CONFIRMED || tr->status == SG_TRACK_COASTING ||
           (tr->status == SG_TRACK_DELETED && s->announced);
}

static void log_track(fusion_side *p, const sg_track *tr, const char *what)
{
    char tb[16];
    double speed = hypot(tr->x[3], tr->x[4]);
    double course = atan2(tr->x[3], tr->x[4]) * 180 / M_PI;
    if (course < 0)
        course += 360;
    fusion_logf(p, "%s TRACK %-5u %-9s %-16s %-18s %9.5f %10.5f alt %6.1f m  %5.1f m/s course "
                "%3.0f  %.0f m from origin%s",
                fusion_hms(tr->t, tb, sizeof tb), tr->id, sg_track_status_name(tr->status),
                tr->cls[0] ? tr->cls : "-", tr->identity[0] ? tr->identity : "-",
                tr->lat * 180 / M_PI, tr->lon * 180 / M_PI, tr->alt, speed, course,
                hypot(tr->x[0], tr->x[1]), what);
}

static void on_alert(const sg_alert *a, void *user)
{
    fusion_side *p = user;
    char tb[16], ttb[48] = "";
    feed_alert(p->fd, a, false);
    if (a->inside)
        snprintf(ttb, sizeof ttb, "inside");
    else if (isfinite(a->time_to_breach))
        snprintf(ttb, sizeof ttb, "breach in %.1f s (+/- %.1f)", a->time_to_breach,
                 a->time_to_breach_sd);
    fusion_logf(p, "%s ALERT %-7s %-8s zone %-18s track %-5u %-16s %s%s",
                fusion_hms(a->t, tb, sizeof tb), sg_alert_state_name(a->state),
                sg_severity_name(a->severity), a->zone_id, a->track_id,
                a->identity[0] ? a->identity : (a->cls[0] ? a->cls : "-"), ttb,
                a->allow_listed ? " [allow-listed: not alarmed]" : "");
}

void fusion_publish_snapshot(fusion_side *p, bool late_joiner)
{
    for (size_t i = 0; i < p->n_tracks; i++) {
        const sg_track *tr = &p->tracks[i];
        track_slot *s = tslot(p, tr->id);
        if (!track_public(tr, s) || tr->status == SG_TRACK_DELETED)
            continue;
        publish_track(p, tr, late_joiner);
        s->announced = true;
    }
    if (late_joiner) {
        sg_alert act[64];
        size_t n = alerts_active(p->al, act, 64);
        for (size_t i = 0; i < n && i < 64; i++)
            feed_alert(p->fd, &act[i], true);
        if (isfinite(p->t_now))
            fusion_publish_status(p, true); /* the latest status, as the schema promises */
    }
}

static void publish_rf_picture(fusion_side *p, double t)
{
    rf_presence pic[32];
    /* every emitter heard, bound to a track or not (track_id tells); the unbound ones
     * are the "RF presence, position unknown" picture */
    size_t n = registry_rf_picture(p->reg, t, true, pic, 32);
    for (size_t i = 0; i < n && i < 32; i++) {
        feed_rf r = {.sensor = pic[i].sensor, .cls = pic[i].cls, .cls_conf = pic[i].cls_conf,
                     .identity = pic[i].identity, .fc_hz = pic[i].fc_hz, .bw_hz = pic[i].bw_hz,
                     .first_t = pic[i].first_seen, .last_t = pic[i].last_seen, .t = t,
                     .track_id = pic[i].attached ? pic[i].track_id : 0,
                     .has_az = pic[i].has_az, .az_deg = pic[i].az * 180 / M_PI,
                     .az_sd_deg = pic[i].az_sd * 180 / M_PI};
        feed_rf_presence(p->fd, &r);
    }
}

static int copy_tracks(fusion_side *p)
{
    const sg_track *tr;
    size_t n;
    tracker_tracks(p->trk, &tr, &n);
    if (n > p->cap_tracks) {
        size_t cap = n * 2 + 16;
        sg_track *nt = realloc(p->tracks, cap * sizeof *nt);
        if (!nt)
            return SG_ENOMEM;
        p->tracks = nt;
        p->cap_tracks = cap;
    }
    if (n)
        memcpy(p->tracks, tr, n * sizeof *tr);
    p->n_tracks = n;
    return SG_OK;
}

int fusion_step(fusion_side *p, double t)
{
    int rc = copy_tracks(p);
    if (rc)
        return rc;
    fusion_fill_tracks_wgs84(&p->frame, p->tracks, p->n_tracks);
    registry_rf_attach(p->reg, t, p->tracks, p->n_tracks);
    alerts_update(p->al, t, p->tracks, p->n_tracks, on_alert, p);
    for (size_t i = 0; i < p->n_tracks; i++) {
        const sg_track *tr = &p->tracks[i];
        track_slot *s = tslot(p, tr->id);
        bool changed = tr->status != s->status;
        /* new data on a public track: on the feed now (at most one update per
         * track_update_period_s of sample time), not at the next snapshot */
        bool updated = tr->t_last > s->pub_t_last &&
                       t - s->pub_t >= p->site->track_update_period_s;
        if (changed && track_public(tr, s)) {
            /* confirmed, coasting, deleted: publish at once, not at the next snapshot */
            publish_track(p, tr, false);
            log_track(p, tr, tr->status == SG_TRACK_CONFIRMED && !s->announced ? "  [new]" : "");
            s->announced = true;
            s->last_log = t;
            s->pub_t = t, s->pub_t_last = tr->t_last;
        } else if (updated && track_public(tr, s) && tr->status != SG_TRACK_DELETED) {
            publish_track(p, tr, false);
            s->announced = true;
            s->pub_t = t, s->pub_t_last = tr->t_last;
        }
        if (!changed && track_public(tr, s) && t - s->last_log >= LOG_TRACK_PERIOD_S) {
            log_track(p, tr, "");
            s->last_log = t;
        }
        s->status = tr->status;
    }
    if (snapshot_due(&p->snap, t)) {
        fusion_publish_snapshot(p, false);
        publish_rf_picture(p, t);
    }
    p->t_last_step = t;
    return SG_OK;
}
