/* The venue's "nodes" section (apps/node/node_cfg.h, docs/config.md): a valid section
 * gives each sensor its node, and every invalid one fails with the file and key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "node_cfg.h"

#define KEY_A "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"
#define KEY_B "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID"

static const char *const base =
    "{\"version\": 1, \"site\": {\"name\": \"t\", \"origin\": {\"lat_deg\": 51.5, "
    "\"lon_deg\": -0.2, \"alt_m\": 80}},\n"
    " \"sensors\": [{\"id\": \"rf-a\", \"kind\": \"rf\", \"position\": {\"lat_deg\": 51.5, "
    "\"lon_deg\": -0.2, \"alt_m\": 90}, \"adapter\": {\"type\": \"sigmf\", \"path\": \"x\"}},"
    " {\"id\": \"rf-b\", \"kind\": \"rf\", \"position\": {\"lat_deg\": 51.5, "
    "\"lon_deg\": -0.2, \"alt_m\": 90}, \"adapter\": {\"type\": \"sigmf\", \"path\": \"x\"}}],\n"
    " \"nodes\": %s}";

static int parse(const char *nodes, node_cfg *c, sg_errinfo *e)
{
    char text[4096];
    snprintf(text, sizeof text, base, nodes);
    sg_site *s = site_parse("/etc/venue.json", text, strlen(text), e);
    if (!s)
        return e->code ? e->code : -1;
    int rc = node_cfg_from_site(c, s, e);
    site_free(s);
    return rc;
}

static void test_valid(void **state)
{
    (void)state;
    node_cfg c;
    sg_errinfo e = {0};
    int rc = parse("{\"fusion\": {\"endpoint\": \"tcp://10.0.0.1:5570\", \"bind\": "
                   "\"tcp://0.0.0.0:5570\", \"security\": \"curve\", \"key_file\": \"k/f.key\", "
                   "\"public_key_file\": \"k/f.pub\", \"clock_bound_s\": 0.25, \"reorder_s\": 0.3},"
                   " \"queue\": 128, \"hwm\": 50, \"sensor_nodes\": ["
                   "{\"name\": \"north\", \"sensors\": [\"rf-b\"], \"key_file\": \"k/n.key\", "
                   "\"public_key\": \"" KEY_A "\"},"
                   "{\"name\": \"east\", \"sensors\": [\"rf-a\"], \"key_file\": \"/k/e.key\", "
                   "\"public_key\": \"" KEY_B "\"}]}",
                   &c, &e);
    if (rc)
        fail_msg("%s", e.msg);
    assert_string_equal(c.endpoint, "tcp://10.0.0.1:5570");
    assert_string_equal(c.bind, "tcp://0.0.0.0:5570");
    assert_false(c.plaintext);
    assert_string_equal(c.key_file, "/etc/k/f.key"); /* relative to the venue file */
    assert_string_equal(c.public_key_file, "/etc/k/f.pub");
    assert_true(c.clock_bound_s == 0.25 && c.reorder_s == 0.3);
    assert_int_equal(c.queue, 128);
    assert_int_equal(c.hwm, 50);
    assert_int_equal(c.n_nodes, 2);
    assert_int_equal(c.node_of[0], 1);
    assert_int_equal(c.node_of[1], 0);
    assert_string_equal(c.nodes[1].key_file, "/k/e.key");
    assert_int_equal(node_cfg_find(&c, "east"), 1);
    assert_int_equal(node_cfg_find(&c, "west"), -1);
    node_cfg_free(&c);
    /* plaintext: keys optional, bind defaults to the endpoint, a sensor may be on no node */
    rc = parse("{\"fusion\": {\"endpoint\": \"ipc:///tmp/f.ipc\", \"security\": \"plaintext\"},"
               " \"sensor_nodes\": [{\"name\": \"n\", \"sensors\": [\"rf-a\"]}]}",
               &c, &e);
    if (rc)
        fail_msg("%s", e.msg);
    assert_true(c.plaintext);
    assert_string_equal(c.bind, "ipc:///tmp/f.ipc");
    assert_true(c.clock_bound_s == 0.5 && c.queue == 4096 && c.hwm == 1000 && c.reorder_s == 0);
    assert_int_equal(c.node_of[1], -1);
    node_cfg_free(&c);
}

static void test_invalid(void **state)
{
    (void)state;
    static const char *const plain = "\"fusion\": {\"endpoint\": \"ipc:///f\", \"security\": "
                                     "\"plaintext\"}";
    struct {
        const char *nodes, *expect;
    } cases[] = {
        {"{\"sensor_nodes\": [{\"name\": \"n\", \"sensors\": [\"rf-a\"]}]}", "nodes.fusion: required"},
        {"{\"fusion\": {\"endpoint\": \"ipc:///f\"}, \"sensor_nodes\": []}", "security"},
        {"{\"fusion\": {\"endpoint\": \"ipc:///f\", \"security\": \"none\"}, \"sensor_nodes\": "
         "[{\"name\": \"n\", \"sensors\": [\"rf-a\"]}]}", "security"},
        {"{\"fusion\": {\"endpoint\": \"10.0.0.1:5570\", \"security\": \"plaintext\"}, "
         "\"sensor_nodes\": [{\"name\": \"n\", \"sensors\": [\"rf-a\"]}]}", "ZeroMQ endpoints"},
        {"{\"fusion\": {\"endpoint\": \"tcp://h:1\", \"security\": \"curve\"}, \"sensor_nodes\": "
         "[{\"name\": \"n\", \"sensors\": [\"rf-a\"]}]}", "key_file"},
        {"{%s, \"sensor_nodes\": []}", "1 to 64"},
        {"{%s}", "sensor_nodes"},
        {"{%s, \"sensor_nodes\": [{\"name\": \"n\", \"sensors\": [\"rf-z\"]}]}", "no sensor \"rf-z\""},
        {"{%s, \"sensor_nodes\": [{\"name\": \"n\", \"sensors\": [3]}]}", "must be a sensor id"},
        {"{%s, \"sensor_nodes\": [{\"name\": \"n\", \"sensors\": []}]}", "at least one sensor"},
        {"{%s, \"sensor_nodes\": [{\"name\": \"n\", \"sensors\": [\"rf-a\"]}, {\"name\": \"m\", "
         "\"sensors\": [\"rf-a\"]}]}", "already runs on node \"n\""},
        {"{%s, \"sensor_nodes\": [{\"name\": \"n\", \"sensors\": [\"rf-a\"]}, {\"name\": \"n\", "
         "\"sensors\": [\"rf-b\"]}]}", "\"n\" is already used"},
        {"{%s, \"sensor_nodes\": [{\"name\": \"n\", \"sensors\": [\"rf-a\"], \"public_key\": "
         "\"short\"}]}", "Z85"},
        {"{%s, \"sensor_nodes\": [{\"name\": \"n\", \"sensors\": [\"rf-a\"], \"colour\": 1}]}",
         "colour"},
        {"{%s, \"hwm\": 0, \"sensor_nodes\": [{\"name\": \"n\", \"sensors\": [\"rf-a\"]}]}", "hwm"},
        {"{\"fusion\": {\"endpoint\": \"tcp://h:1\", \"security\": \"curve\", \"key_file\": \"f\", "
         "\"public_key_file\": \"p\"}, \"sensor_nodes\": [{\"name\": \"n\", \"sensors\": "
         "[\"rf-a\"], \"public_key\": \"" KEY_B "\"}]}", "key_file"},
        {"{\"fusion\": {\"endpoint\": \"tcp://h:1\", \"security\": \"curve\", \"key_file\": \"f\", "
         "\"public_key_file\": \"p\"}, \"sensor_nodes\": [{\"name\": \"n\", \"sensors\": "
         "[\"rf-a\"], \"key_file\": \"k\"}]}", "public_key"},
        {"{%s, \"clock_bound_s\": 1, \"sensor_nodes\": []}", "clock_bound_s"},
        {"{\"fusion\": {\"endpoint\": \"ipc:///f\", \"security\": \"plaintext\", \"reorder_s\": 6}, "
         "\"sensor_nodes\": [{\"name\": \"n\", \"sensors\": [\"rf-a\"]}]}", "reorder_s"},
        {"{\"fusion\": {\"endpoint\": \"ipc:///f\", \"security\": \"plaintext\", \"reorder_s\": -0.1}, "
         "\"sensor_nodes\": [{\"name\": \"n\", \"sensors\": [\"rf-a\"]}]}", "reorder_s"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char nodes[1024];
        snprintf(nodes, sizeof nodes, cases[i].nodes, plain);
        node_cfg c;
        sg_errinfo e = {0};
        int rc = parse(nodes, &c, &e);
        if (rc == SG_OK)
            fail_msg("case %zu accepted: %s", i, nodes);
        if (!strstr(e.msg, cases[i].expect) || !strstr(e.msg, "venue.json"))
            fail_msg("case %zu: \"%s\" does not say \"%s\" and name the file", i, e.msg,
                     cases[i].expect);
    }
    /* no section at all */
    char text[4096];
    snprintf(text, sizeof text, base, "{}");
    char *cut = strstr(text, ",\n \"nodes\"");
    assert_non_null(cut);
    strcpy(cut, "}");
    sg_errinfo e = {0};
    sg_site *s = site_parse("venue.json", text, strlen(text), &e);
    if (!s)
        fail_msg("%s", e.msg);
    node_cfg c;
    assert_int_equal(node_cfg_from_site(&c, s, &e), SG_ENOTFOUND);
    assert_non_null(strstr(e.msg, "docs/nodes.md"));
    site_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_invalid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
