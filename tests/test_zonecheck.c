/* sg_zonecheck tool: exit status 0 for the bundled venue (with its report naming the
 * zones), 1 with the loader's error for a malformed file, 2 for bad usage, 0 and the
 * usage on stdout for --help / -h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

/* Runs the tool with args; out gets its stdout, and its stderr too unless quiet_err. */
static int run_err(const char *args, bool quiet_err, char *out, size_t cap)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s/sg_zonecheck %s %s", SG_BINARY_DIR, args,
             quiet_err ? "2>/dev/null" : "2>&1");
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = 0;
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int run(const char *args, char *out, size_t cap) { return run_err(args, false, out, cap); }

static void test_tool(void **state)
{
    (void)state;
    if (access(SG_BINARY_DIR "/sg_zonecheck", X_OK) != 0)
        skip(); /* tool not built (e.g. only the tests were built) */
    static char out[16384];
    int rc = run("--origin 51.5560,-0.2796,87 " SG_SOURCE_DIR "/testdata/zones/stadium.geojson "
                 "--at 1784574000 --point 51.5561,-0.2795,120",
                 out, sizeof out);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "5 zones"));
    assert_non_null(strstr(out, "stadium-critical"));
    assert_non_null(strstr(out, "point 1: inside"));
    char bad[] = "/tmp/sg_zonecheck_bad_XXXXXX";
    int fd = mkstemp(bad);
    assert_true(fd >= 0);
    const char *doc = "{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\",\"id\":\"x\","
                      "\"properties\":{\"layer\":\"nope\"},\"geometry\":{\"type\":\"Point\",\"coordinates\":[0,0]}}]}";
    FILE *f = fdopen(fd, "w");
    fputs(doc, f);
    fclose(f);
    char args[256];
    snprintf(args, sizeof args, "--origin 51.5560,-0.2796,87 %s", bad);
    rc = run(args, out, sizeof out);
    remove(bad);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(out, "features[0] (id \"x\").properties.layer: must be one of"));
    assert_int_equal(run("--origin 91,0,0 x.geojson", out, sizeof out), 2);
    assert_int_equal(run("x.geojson", out, sizeof out), 2);
    assert_int_equal(run_err("x.geojson --origin 0,0", true, out, sizeof out), 2);
    assert_int_equal(run_err("--help", true, out, sizeof out), 0);
    assert_non_null(strstr(out, "usage: sg_zonecheck --origin"));
    assert_int_equal(run_err("-h", true, out, sizeof out), 0);
    assert_non_null(strstr(out, "usage: sg_zonecheck --origin"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_tool)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
