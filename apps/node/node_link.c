/* The in-process node link (see node_link.h): the sensor threads and the fusion loop
 * of one process share a bounded common/sg_queue of events. */
#include "node_link.h"

#include <math.h>
#include <stdlib.h>

#include "sg_queue.h"

static int inproc_push(void *impl, const nl_event *ev, bool wait)
{
    return sgq_push(impl, ev, wait);
}

static int inproc_pop(void *impl, nl_event *ev, double timeout_s)
{
    return sgq_pop(impl, ev, timeout_s);
}

static void inproc_halt(void *impl) { sgq_halt(impl); }

static void inproc_stats(void *impl, nl_stats *out)
{
    sgq_stats qs;
    sgq_get_stats(impl, &qs);
    out->pushed = qs.pushed;
    out->dropped = qs.dropped;
    out->depth = qs.depth;
    out->capacity = qs.capacity;
    out->refused = out->malformed = 0;
}

static void inproc_destroy(void *impl) { sgq_destroy(impl); }

static const node_link_ops inproc_ops = {
    .push = inproc_push,
    .pop = inproc_pop,
    .halt = inproc_halt,
    .stats = inproc_stats,
    .destroy = inproc_destroy,
};

node_link *node_link_inproc_create(size_t capacity, sg_errinfo *e)
{
    node_link *l = malloc(sizeof *l);
    if (!l) {
        sg_err_set(e, SG_ENOMEM, "out of memory");
        return NULL;
    }
    l->ops = &inproc_ops;
    if (!(l->impl = sgq_create(capacity, sizeof(nl_event), e))) {
        free(l);
        return NULL;
    }
    return l;
}

void node_link_destroy(node_link *l)
{
    if (!l)
        return;
    l->ops->destroy(l->impl);
    free(l);
}

int node_replay_sensor(const sg_site *site)
{
    for (size_t i = 0; i < site->n_sensors; i++)
        if (site->sensors[i].kind == SG_SENSOR_RF)
            return (int)i;
    return -1;
}

void nl_lat_add(nl_lat *h, double ms)
{
    h->n++;
    if (!(ms >= 0))
        ms = 0;
    size_t b = (size_t)(ms * 10.0);
    if (b >= NL_LAT_BINS)
        h->over++;
    else
        h->bins[b]++;
}

double nl_lat_quantile(const nl_lat *h, double q)
{
    if (h->n == 0)
        return NAN;
    uint64_t want = (uint64_t)ceil(q * (double)h->n), acc = 0;
    for (size_t b = 0; b < NL_LAT_BINS; b++) {
        acc += h->bins[b];
        if (acc >= want)
            return (b + 0.5) / 10.0;
    }
    return INFINITY; /* beyond the histogram: reported as null */
}
