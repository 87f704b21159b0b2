/* skyguardd --check (apps/skyguardd.c): validates a venue without running it. The bundled
 * venue passes; each broken variant (zones file missing, replay input missing, plaintext
 * feed off loopback, a bad sg_bridge output, a bad outputs.bridge) exits 1 with a message
 * naming the file and the key or input; nothing is run (no feed output, quick exit). */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "sg_json.h"

#define DAEMON SG_BINARY_DIR "/skyguardd"
#define VENUE SG_BINARY_DIR "/test_daemon_check.json"
#define OUT SG_BINARY_DIR "/test_daemon_check.out"

/* The bundled venue with its relative paths made absolute, then edit(root) applied. */
static void write_variant(void (*edit)(cJSON *))
{
    sg_errinfo e = {0};
    cJSON *root = sgj_parse_file(SG_SOURCE_DIR "/config/default-venue.json", &e);
    assert_non_null(root);
    cJSON_ReplaceItemInObject(root, "zones",
                              cJSON_CreateString(SG_SOURCE_DIR "/testdata/zones/stadium.geojson"));
    cJSON_ReplaceItemInObject(root, "signatures",
                              cJSON_CreateString(SG_SOURCE_DIR "/config/signatures.json"));
    cJSON *ad = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(root, "sensors"), 0),
                                    "adapter");
    cJSON_ReplaceItemInObject(ad, "path",
                              cJSON_CreateString(SG_SOURCE_DIR "/testdata/demo-stadium.sigmf-meta"));
    /* a free port: a running daemon on 5556 must not make the check fail */
    cJSON_ReplaceItemInObject(cJSON_GetObjectItem(cJSON_GetObjectItem(root, "outputs"), "feed"),
                              "endpoint", cJSON_CreateString("tcp://127.0.0.1:*"));
    if (edit)
        edit(root);
    char *text = cJSON_Print(root);
    FILE *f = fopen(VENUE, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    free(text);
    cJSON_Delete(root);
}

static int run_check(char **out)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int fo = open(OUT, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fo < 0 || dup2(fo, 1) < 0 || dup2(fo, 2) < 0)
            _exit(99);
        execl(DAEMON, DAEMON, "--check", "-c", VENUE, (char *)NULL);
        _exit(98);
    }
    int st;
    waitpid(pid, &st, 0);
    sg_errinfo e;
    assert_int_equal(sg_read_file(OUT, 1 << 20, out, NULL, &e), SG_OK);
    assert_true(WIFEXITED(st));
    return WEXITSTATUS(st);
}

static cJSON *outputs(cJSON *root)
{
    return cJSON_GetObjectItem(root, "outputs");
}

static void no_zones(cJSON *r)
{
    cJSON_ReplaceItemInObject(r, "zones", cJSON_CreateString("/nonexistent/zones.geojson"));
}
static void no_input(cJSON *r)
{
    cJSON *ad = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(r, "sensors"), 0),
                                    "adapter");
    cJSON_ReplaceItemInObject(ad, "path", cJSON_CreateString("/nonexistent/x.sigmf-meta"));
}
static void plaintext_off_loopback(cJSON *r)
{
    cJSON_ReplaceItemInObject(cJSON_GetObjectItem(outputs(r), "feed"), "endpoint",
                              cJSON_CreateString("tcp://0.0.0.0:5599"));
}
static void bad_cot(cJSON *r)
{
    cJSON_AddItemToObject(outputs(r), "cot", cJSON_Parse("{\"udp\": {\"port\": 0}}"));
}
static void good_cot(cJSON *r)
{
    cJSON_AddItemToObject(outputs(r), "cot", cJSON_Parse("{\"udp\": {}}"));
}
static void bad_bridge(cJSON *r)
{
    cJSON_AddItemToObject(outputs(r), "bridge", cJSON_Parse("{\"conect\": \"x\"}"));
    cJSON_AddItemToObject(outputs(r), "cot", cJSON_Parse("{\"udp\": {}}"));
}
static void ed269_without_geoid(cJSON *r)
{
    /* ED-269 AMSL limits with N from EGM96: no hand-entered undulation needed */
    cJSON_ReplaceItemInObject(r, "zones",
                              cJSON_CreateString(SG_SOURCE_DIR "/testdata/zones/stadium.ed269.json"));
    cJSON_AddStringToObject(r, "zones_format", "ed269");
}
static void unknown_output(cJSON *r)
{
    cJSON_AddItemToObject(outputs(r), "tak", cJSON_Parse("{}"));
}

static void test_check(void **st)
{
    (void)st;
    const struct {
        void (*edit)(cJSON *);
        int rc;
        const char *needle;
    } cases[] = {
        {NULL, 0, "valid (0 sg_bridge outputs)"},
        {good_cot, 0, "valid (1 sg_bridge output)"},
        {no_zones, 1, "nonexistent/zones.geojson"},
        {no_input, 1, "nonexistent/x.sigmf-meta"},
        {plaintext_off_loopback, 1, "0.0.0.0"},
        {bad_cot, 1, "test_daemon_check.json: outputs.cot.udp.port"},
        {bad_bridge, 1, "test_daemon_check.json: outputs.bridge.conect: unknown key"},
        {unknown_output, 1, "test_daemon_check.json: outputs.tak: unknown key"},
#if SG_WITH_PROJ
        {ed269_without_geoid, 0, "valid"},
#else
        {ed269_without_geoid, 1, "geoid_undulation_m: not set and EGM96 not available"},
#endif
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        write_variant(cases[i].edit);
        char *out;
        int rc = run_check(&out);
        if (rc != cases[i].rc || !strstr(out, cases[i].needle))
            fail_msg("case %zu: exit %d (want %d), output \"%s\" lacks \"%s\"", i, rc,
                     cases[i].rc, out, cases[i].needle);
        assert_null(strstr(out, "TRACK")); /* nothing ran */
        free(out);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_check)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
