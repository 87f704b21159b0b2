/* Cursor-on-Target event writer (see cot.h and docs/outputs.md for the mapping). */
#include "cot.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "sg_jsonw.h"

static const char *const uas_types[] = {"a-u-A-M-H-Q", "a-f-A-M-H-Q", "a-h-A-M-H-Q"};
static const char *const ground_types[] = {"a-u-G", "a-f-G", "a-h-G"};

const char *cot_type(sink_affiliation aff, cot_part part)
{
    unsigned a = (unsigned)aff < 3 ? (unsigned)aff : 0;
    return part == COT_UAS ? uas_types[a] : ground_types[a];
}

/* Length of the valid UTF-8 sequence at s, 0 if invalid. */
static size_t utf8_len(const unsigned char *s)
{
    size_t n;
    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xc2 && s[0] <= 0xdf)
        n = 2;
    else if (s[0] >= 0xe0 && s[0] <= 0xef)
        n = 3;
    else if (s[0] >= 0xf0 && s[0] <= 0xf4)
        n = 4;
    else
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    if ((n == 3 && s[0] == 0xe0 && s[1] < 0xa0) || (n == 3 && s[0] == 0xed && s[1] >= 0xa0) ||
        (n == 4 && s[0] == 0xf0 && s[1] < 0x90) || (n == 4 && s[0] == 0xf4 && s[1] >= 0x90))
        return 0; /* overlong, surrogate, beyond U+10FFFF */
    return n;
}

void cot_xml_escape(const char *s, char *out, size_t cap)
{
    size_t o = 0;
    if (!cap)
        return;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        char tmp[8];
        const char *rep = tmp;
        size_t n = 1;
        switch (*p) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&apos;"; break;
        default:
            if (*p < 0x20 || *p == 0x7f) {
                rep = "?"; /* control bytes are not allowed in XML 1.0 attributes */
            } else if ((n = utf8_len(p)) == 0) {
                rep = "?";
                n = 1;
            } else {
                memcpy(tmp, p, n);
                tmp[n] = '\0';
            }
        }
        size_t l = strlen(rep);
        if (o + l >= cap)
            break;
        memcpy(out + o, rep, l);
        o += l;
        p += n;
    }
    out[o] = '\0';
}

typedef struct {
    char *buf;
    size_t cap, len;
    bool overflow;
} wr;

__attribute__((format(printf, 2, 3))) static void put(wr *w, const char *fmt, ...)
{
    if (w->overflow)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(w->buf + w->len, w->cap - w->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= w->cap - w->len)
        w->overflow = true;
    else
        w->len += (size_t)n;
}

static double err_or_unknown(double sd)
{
    return isfinite(sd) && sd >= 0 && sd < COT_UNKNOWN_ERR ? sd : COT_UNKNOWN_ERR;
}

int cot_encode_track(const cot_opts *o, const sink_event *ev, cot_part part, double now,
                     char *buf, size_t cap)
{
    if (ev->type != FEED_MSG_TRACK || cap < 64)
        return SG_EINVAL;
    const feed_msg_track *t = &ev->u.track;
    double lat, lon, hae, ce, le;
    if (part == COT_UAS) {
        lat = t->lat;
        lon = t->lon;
        hae = t->alt_m;
        ce = err_or_unknown(t->pos_sd_h_m);
        le = err_or_unknown(t->pos_sd_v_m);
    } else if (part == COT_PILOT) {
        if (!t->has_operator || ev->operator_is_home)
            return 0; /* a take-off location is the home event, not a pilot */
        lat = t->op_lat;
        lon = t->op_lon;
        hae = t->op_alt_m;
        ce = le = COT_UNKNOWN_ERR; /* as reported by the drone: no error model */
    } else {
        if (!isfinite(ev->home_lat) || !isfinite(ev->home_lon))
            return 0;
        lat = ev->home_lat;
        lon = ev->home_lon;
        hae = ev->home_alt_m;
        ce = le = COT_UNKNOWN_ERR;
    }
    double stale = now + (t->status == SG_TRACK_COASTING ? o->coast_stale_s : o->stale_s);
    if (t->status == SG_TRACK_DELETED)
        stale = now;
    char ts[40], ss[40], uid[96], prefix[sizeof o->uid_prefix * 6], ident[SG_ID_LEN * 6],
        cls[SG_CLASS_LEN * 6];
    sg_time_iso8601(now, ts, sizeof ts);
    sg_time_iso8601(stale, ss, sizeof ss);
    cot_xml_escape(o->uid_prefix, prefix, sizeof prefix);
    cot_xml_escape(t->identity, ident, sizeof ident);
    cot_xml_escape(t->cls, cls, sizeof cls);
    snprintf(uid, sizeof uid, "%s.%u", prefix, (unsigned)t->id);
    static const char *const suffix[] = {"", "-pilot", "-home"};
    static const char *const what[] = {"UAS", "pilot of UAS", "home of UAS"};

    wr w = {buf, cap, 0, false};
    put(&w, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>"
            "<event version=\"2.0\" uid=\"%s%s\" type=\"%s\" how=\"m-g\" time=\"%s\" "
            "start=\"%s\" stale=\"%s\">", uid, suffix[part], cot_type(ev->affiliation, part),
        ts, ts, ss);
    /* CoT has no "unknown height": 9999999 is its convention for unknown values */
    put(&w, "<point lat=\"%.7f\" lon=\"%.7f\" hae=\"%.1f\" ce=\"%.1f\" le=\"%.1f\"/><detail>",
        lat, lon, isfinite(hae) ? hae : COT_UNKNOWN_ERR, ce, le);
    put(&w, "<contact callsign=\"%s %u%s%s\"/>", what[part], (unsigned)t->id,
        ident[0] ? " " : "", ident);
    if (part == COT_UAS) {
        if (isfinite(t->speed_mps))
            put(&w, "<track course=\"%.1f\" speed=\"%.2f\"/>",
                isfinite(t->course_deg) ? t->course_deg : 0.0, t->speed_mps);
        if (t->has_operator && !ev->operator_is_home)
            put(&w, "<link uid=\"%s-pilot\" type=\"%s\" relation=\"p-c\"/>", uid,
                cot_type(ev->affiliation, COT_PILOT));
        if (isfinite(ev->home_lat))
            put(&w, "<link uid=\"%s-home\" type=\"%s\" relation=\"p-c\"/>", uid,
                cot_type(ev->affiliation, COT_HOME));
        put(&w, "<remarks>%s track %u, %s%s%s%s%s, height %.1f m HAE (WGS84 ellipsoid)",
            sink_affiliation_name(ev->affiliation), (unsigned)t->id,
            sg_track_status_name(t->status), cls[0] ? ", class " : "", cls,
            ident[0] ? ", identity " : "", ident, t->alt_m);
        if (isfinite(ev->alt_amsl_m))
            put(&w, ", %.1f m AMSL (EGM96)", ev->alt_amsl_m);
        if (isfinite(ev->alt_agl_m))
            put(&w, ", %.1f m above the site's ground", ev->alt_agl_m);
        put(&w, "</remarks>");
    } else {
        put(&w, "<link uid=\"%s\" type=\"%s\" relation=\"p-p\"/>", uid,
            cot_type(ev->affiliation, COT_UAS));
        put(&w, "<remarks>%s of track %u, height HAE (WGS84 ellipsoid)%s</remarks>",
            part == COT_PILOT ? "pilot" : "home point", (unsigned)t->id,
            isfinite(hae) ? "" : " unknown");
    }
    char st[40];
    sg_time_iso8601(ev->t, st, sizeof st);
    put(&w, "<skyguard track=\"%u\" status=\"%s\" affiliation=\"%s\" sample_time=\"%s\"%s%s%s"
            "%s%s%s", (unsigned)t->id, sg_track_status_name(t->status),
        sink_affiliation_name(ev->affiliation), st, ident[0] ? " identity=\"" : "", ident,
        ident[0] ? "\"" : "", cls[0] ? " class=\"" : "", cls, cls[0] ? "\"" : "");
    if (part == COT_UAS && isfinite(ev->alt_amsl_m))
        put(&w, " amsl_m=\"%.1f\"", ev->alt_amsl_m);
    if (part == COT_UAS && isfinite(ev->alt_agl_m))
        put(&w, " agl_m=\"%.1f\"", ev->alt_agl_m);
    put(&w, "/></detail></event>");
    return w.overflow ? SG_EOVERFLOW : (int)w.len;
}

/* ARGB as CoT/ATAK write colours: a signed 32-bit integer. */
static int32_t argb(uint32_t v)
{
    return (int32_t)v;
}

int cot_encode_zone(const cot_opts *o, const zone *z, const geo_frame *f, size_t poly,
                    double now, double stale_s, char *buf, size_t cap)
{
    static const uint32_t stroke[] = {0xffffff00u, 0xffff8000u, 0xffff0000u};
    double c[2], r, lat, lon, h;
    bool circle = zone_circle(z, &c[0], &c[1], &r);
    size_t n = 0;
    const double *xy = circle ? NULL : zone_ring(z, poly, 0, &n); /* outer ring; holes not drawn */
    if ((circle && poly > 0) || (!circle && (!xy || n < 3)))
        return 0;
    int layer = (int)zone_severity(z) - 1; /* warning, alert, critical */
    if (layer < 0 || layer > 2)
        layer = 0;
    char ts[40], ss[40], id[SG_ID_LEN * 6], name[64 * 6], prefix[sizeof o->uid_prefix * 6],
        sfx[24] = "";
    sg_time_iso8601(now, ts, sizeof ts);
    sg_time_iso8601(now + stale_s, ss, sizeof ss);
    cot_xml_escape(o->uid_prefix, prefix, sizeof prefix);
    cot_xml_escape(zone_id(z), id, sizeof id);
    cot_xml_escape(zone_name(z)[0] ? zone_name(z) : zone_id(z), name, sizeof name);
    if (zone_poly_count(z) > 1)
        snprintf(sfx, sizeof sfx, ".%zu", poly);
    double anchor[3] = {circle ? c[0] : xy[0], circle ? c[1] : xy[1], 0};
    geo_frame_from_enu(f, anchor, &lat, &lon, &h);
    double fl, ce;
    zone_band_hae(z, &fl, &ce);
    wr w = {buf, cap, 0, false};
    put(&w, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>"
            "<event version=\"2.0\" uid=\"%s.zone.%s%s\" type=\"%s\" how=\"h-e\" "
            "time=\"%s\" start=\"%s\" stale=\"%s\"><point lat=\"%.7f\" lon=\"%.7f\" "
            "hae=\"%.1f\" ce=\"%.1f\" le=\"%.1f\"/><detail>", prefix, id, sfx,
        circle ? "u-d-c-c" : "u-d-f", ts, ts, ss, lat / GEO_DEG, lon / GEO_DEG,
        COT_UNKNOWN_ERR, COT_UNKNOWN_ERR, COT_UNKNOWN_ERR);
    put(&w, "<contact callsign=\"%s (%s)\"/>", name, sg_severity_name(zone_severity(z)));
    if (circle) {
        put(&w, "<shape><ellipse major=\"%.1f\" minor=\"%.1f\" angle=\"0\"/></shape>", r, r);
    } else {
        for (size_t i = 0; i <= n; i++) { /* closed: the first vertex again at the end */
            double p[3] = {xy[2 * (i % n)], xy[2 * (i % n) + 1], 0};
            geo_frame_from_enu(f, p, &lat, &lon, &h);
            put(&w, "<link point=\"%.7f,%.7f\"/>", lat / GEO_DEG, lon / GEO_DEG);
        }
    }
    put(&w, "<strokeColor value=\"%d\"/><strokeWeight value=\"3\"/><fillColor value=\"%d\"/>"
            "<labels_on value=\"true\"/><remarks>skyguard zone %s, layer %s",
        (int)argb(stroke[layer]), (int)argb((stroke[layer] & 0x00ffffffu) | 0x40000000u), id,
        sg_severity_name(zone_severity(z)));
    if (isfinite(fl))
        put(&w, ", floor %.0f m HAE", fl);
    if (isfinite(ce))
        put(&w, ", ceiling %.0f m HAE", ce);
    put(&w, "</remarks></detail></event>");
    return w.overflow ? SG_EOVERFLOW : (int)w.len;
}
