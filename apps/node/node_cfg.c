/* Parsing of the venue's "nodes" section (see node_cfg.h). */
#include "node_cfg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sg_json.h"

static int path_key(const cJSON *obj, const char *where, const char *key, const sg_site *site,
                    char *out, sg_errinfo *e)
{
    char rel[SG_PATH_LEN];
    int rc = sgj_string(obj, where, key, false, "", rel, sizeof rel, e);
    if (rc)
        return rc;
    out[0] = '\0';
    if (rel[0] && sg_path_relative_to(site->path, rel, out, SG_PATH_LEN))
        return sg_err_set(e, SG_ERANGE, "%s.%s: path too long", where, key);
    return SG_OK;
}

static int parse_fusion(node_cfg *c, const cJSON *f, const sg_site *site, sg_errinfo *e)
{
    static const char *const keys[] = {"endpoint", "bind", "security", "key_file",
                                       "public_key_file", "clock_bound_s", "reorder_s", NULL};
    static const char *const modes[] = {"curve", "plaintext"};
    char where[SG_PATH_LEN + 32];
    int rc, mode;
    snprintf(where, sizeof where, "%s: nodes.fusion", site->path);
    if ((rc = sgj_check_keys(f, where, keys, e)) ||
        (rc = sgj_string(f, where, "endpoint", true, NULL, c->endpoint, sizeof c->endpoint, e)) ||
        (rc = sgj_string(f, where, "bind", false, c->endpoint, c->bind, sizeof c->bind, e)) ||
        (rc = sgj_enum(f, where, "security", true, 0, modes, 2, &mode, e)) ||
        (rc = path_key(f, where, "key_file", site, c->key_file, e)) ||
        (rc = path_key(f, where, "public_key_file", site, c->public_key_file, e)) ||
        (rc = sgj_number(f, where, "clock_bound_s", false, 0.5, 1e-3, 3600, &c->clock_bound_s,
                         e)) ||
        (rc = sgj_number(f, where, "reorder_s", false, 0, 0, 5, &c->reorder_s, e)))
        return rc;
    c->plaintext = mode == 1;
    if (!strstr(c->endpoint, "://") || !strstr(c->bind, "://"))
        return sg_err_set(e, SG_EINVAL, "%s: endpoint and bind are ZeroMQ endpoints "
                          "(tcp://host:port)", where);
    if (!c->plaintext && (!c->key_file[0] || !c->public_key_file[0]))
        return sg_err_set(e, SG_EINVAL, "%s: security \"curve\" needs key_file (the fusion "
                          "node's key pair) and public_key_file (its public key, for the sensor "
                          "nodes); see docs/nodes.md", where);
    return SG_OK;
}

static int parse_node(node_cfg *c, const cJSON *n, size_t k, const sg_site *site, sg_errinfo *e)
{
    static const char *const keys[] = {"name", "sensors", "key_file", "public_key", NULL};
    char where[SG_PATH_LEN + 48];
    node_sensor_node *nd = &c->nodes[k];
    const cJSON *sensors, *it;
    int rc;
    snprintf(where, sizeof where, "%s: nodes.sensor_nodes[%zu]", site->path, k);
    if (!cJSON_IsObject(n))
        return sg_err_set(e, SG_EINVAL, "%s: must be an object", where);
    if ((rc = sgj_check_keys(n, where, keys, e)) ||
        (rc = sgj_string(n, where, "name", true, NULL, nd->name, sizeof nd->name, e)) ||
        (rc = sgj_array(n, where, "sensors", true, &sensors, e)) ||
        (rc = path_key(n, where, "key_file", site, nd->key_file, e)) ||
        (rc = sgj_string(n, where, "public_key", !c->plaintext, "", nd->public_key,
                         sizeof nd->public_key, e)))
        return rc;
    if (nd->public_key[0] && !feed_key_z85_valid(nd->public_key))
        return sg_err_set(e, SG_EFORMAT, "%s.public_key: not a 40-character Z85 CURVE key", where);
    if (!c->plaintext && !nd->key_file[0])
        return sg_err_set(e, SG_EINVAL, "%s.key_file: required with security \"curve\"", where);
    for (size_t j = 0; j < k; j++)
        if (strcmp(c->nodes[j].name, nd->name) == 0)
            return sg_err_set(e, SG_EINVAL, "%s.name: \"%s\" is already used", where, nd->name);
    size_t i = 0;
    cJSON_ArrayForEach(it, sensors)
    {
        int si = cJSON_IsString(it) ? site_sensor_index(site, it->valuestring) : -2;
        if (si == -2)
            return sg_err_set(e, SG_EINVAL, "%s.sensors[%zu]: must be a sensor id", where, i);
        if (si < 0)
            return sg_err_set(e, SG_EINVAL, "%s.sensors[%zu]: no sensor \"%s\" in the venue",
                              where, i, it->valuestring);
        if (c->node_of[si] >= 0)
            return sg_err_set(e, SG_EINVAL, "%s.sensors[%zu]: \"%s\" already runs on node \"%s\"",
                              where, i, it->valuestring, c->nodes[c->node_of[si]].name);
        c->node_of[si] = (int)k;
        i++;
    }
    if (i == 0)
        return sg_err_set(e, SG_EINVAL, "%s.sensors: at least one sensor", where);
    return SG_OK;
}

int node_cfg_from_site(node_cfg *c, const sg_site *site, sg_errinfo *e)
{
    static const char *const keys[] = {"fusion", "sensor_nodes", "queue", "hwm", "comment", NULL};
    char where[SG_PATH_LEN + 32];
    const cJSON *fusion, *nodes, *it;
    long queue, hwm;
    int rc;
    memset(c, 0, sizeof *c);
    if (!site->nodes)
        return sg_err_set(e, SG_ENOTFOUND, "%s: no \"nodes\" section (needed by --role sensor "
                          "and --role fusion; see docs/nodes.md)", site->path);
    snprintf(where, sizeof where, "%s: nodes", site->path);
    if ((rc = sgj_check_keys(site->nodes, where, keys, e)) ||
        (rc = sgj_object(site->nodes, where, "fusion", true, &fusion, e)) ||
        (rc = sgj_array(site->nodes, where, "sensor_nodes", true, &nodes, e)) ||
        (rc = sgj_int(site->nodes, where, "queue", false, 4096, 16, 1 << 20, &queue, e)) ||
        (rc = sgj_int(site->nodes, where, "hwm", false, 1000, 1, 1 << 20, &hwm, e)))
        return rc;
    c->queue = (size_t)queue;
    c->hwm = (int)hwm;
    if ((rc = parse_fusion(c, fusion, site, e)))
        return rc;
    int n = cJSON_GetArraySize(nodes);
    if (n == 0 || n > NODE_MAX)
        return sg_err_set(e, SG_EINVAL, "%s.sensor_nodes: 1 to %d nodes", where, NODE_MAX);
    if (!(c->node_of = malloc(site->n_sensors * sizeof *c->node_of)))
        return sg_err_set(e, SG_ENOMEM, "out of memory");
    for (size_t i = 0; i < site->n_sensors; i++)
        c->node_of[i] = -1;
    size_t k = 0;
    cJSON_ArrayForEach(it, nodes)
    {
        if ((rc = parse_node(c, it, k, site, e))) {
            node_cfg_free(c);
            return rc;
        }
        c->n_nodes = ++k;
    }
    return SG_OK;
}

void node_cfg_free(node_cfg *c)
{
    free(c->node_of);
    c->node_of = NULL;
}

int node_cfg_find(const node_cfg *c, const char *name)
{
    for (size_t i = 0; i < c->n_nodes; i++)
        if (strcmp(c->nodes[i].name, name) == 0)
            return (int)i;
    return -1;
}
