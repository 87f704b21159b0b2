/* The venue's "nodes" section (docs/config.md, docs/nodes.md): which sensors run on
 * which sensor node, where the fusion node listens, the CURVE keys of every node and
 * the clock bound. One venue file deploys a whole site: each machine reads the same
 * file and opens only its own secret key file. */
#ifndef SG_NODE_CFG_H
#define SG_NODE_CFG_H

#include <stdbool.h>
#include <stddef.h>

#include "feed_auth.h"
#include "sg_error.h"
#include "site.h"

#define NODE_MAX 64            /* sensor nodes per venue (the fusion allow-list is inline) */

typedef struct {
    char name[SG_ID_LEN];      /* unique; also the ZeroMQ routing id */
    char key_file[SG_PATH_LEN];          /* its key pair with the secret (its machine only) */
    char public_key[FEED_KEY_Z85_LEN + 1]; /* Z85, for the fusion node's allow-list; "" plaintext */
} node_sensor_node;

typedef struct {
    char endpoint[256];        /* fusion.endpoint: where sensor nodes connect */
    char bind[256];            /* fusion.bind: where the fusion node binds (default endpoint) */
    bool plaintext;            /* fusion.security == "plaintext" (loopback only) */
    char key_file[SG_PATH_LEN];        /* fusion.key_file: its key pair (fusion machine only) */
    char public_key_file[SG_PATH_LEN]; /* fusion.public_key_file: its public key (every node) */
    double clock_bound_s;      /* s: a node whose clock is off by more is flagged, > 0 */
    double reorder_s;          /* s of wall clock the fusion node holds events to hand them
                                  on in time order across nodes, [0, 5], 0 = off */
    size_t queue;              /* events a sensor node buffers while the link is slow, > 0 */
    int hwm;                   /* ZeroMQ messages queued per peer before drops, > 0 */
    size_t n_nodes;
    node_sensor_node nodes[NODE_MAX];
    int *node_of;              /* [n_sensors]: node index of each sensor, -1 = on none */
} node_cfg;

/* Parses site->nodes. SG_ENOTFOUND if the venue has no "nodes" section; any other
 * error names the file and the key. Free with node_cfg_free. */
int node_cfg_from_site(node_cfg *c, const sg_site *site, sg_errinfo *e);
void node_cfg_free(node_cfg *c);
/* Index of the node called name, or -1. */
int node_cfg_find(const node_cfg *c, const char *name);

#endif
