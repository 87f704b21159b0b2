/* Device listing (adapters/devices.h, skyguardd --list-devices): V4L2 nodes that are not
 * capture devices (a regular file, /dev/null) are skipped; the SoapySDR and GStreamer
 * listers run without devices and every device they report has a name and an open string;
 * `skyguardd --list-devices` exits 0 with its three sections, one count (or "not in this
 * build") each, and nothing on stderr (no driver chatter), even with no device present. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "devices.h"
#include "file_helpers.h"
#include "sg_json.h"
#include "sg_lsan.h"

SG_LSAN_SUPPRESS(SG_LSAN_GLIB)

static int calls;

static void count(void *user, const sg_device *d)
{
    (void)user;
    assert_non_null(d->source);
    assert_true(d->name[0] != '\0');
    assert_true(d->open[0] != '\0');
    calls++;
}

static void test_v4l2_skips_non_capture_nodes(void **state)
{
    (void)state;
    char dir[64];
    assert_int_equal(scratch_dir_make(dir, sizeof dir, "devices"), 0);
    char p[64];
    snprintf(p, sizeof p, "%s/video0", dir);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs("not a device\n", f);
    fclose(f);
    snprintf(p, sizeof p, "%s/video1", dir);
    assert_int_equal(symlink("/dev/null", p), 0); /* a character device, not V4L2 */
    sg_errinfo e = {0};
    calls = 0;
    assert_int_equal(sg_devices_v4l2(dir, count, NULL, &e), 0);
    assert_int_equal(calls, 0);
    assert_int_equal(scratch_dir_remove(dir), 0);
}

static void test_listers_run(void **state)
{
    (void)state;
    int (*const fns[])(sg_device_fn, void *, sg_errinfo *) = {sg_devices_soapy,
                                                              sg_devices_gstreamer};
    for (size_t i = 0; i < 2; i++) {
        sg_errinfo e = {0};
        calls = 0;
        int n = fns[i](count, NULL, &e);
        if (n == SG_ENOTSUP) {
            assert_non_null(strstr(e.msg, "this build has no"));
            continue;
        }
        if (n < 0)
            fail_msg("lister %zu failed: %s", i, e.msg);
        assert_int_equal(n, calls);
    }
    sg_errinfo e = {0};
    calls = 0;
    int n = sg_devices_v4l2(NULL, count, NULL, &e);
    assert_true(n >= 0 && n == calls);
}

static void test_list_devices_command(void **state)
{
    (void)state;
    const char *out = SG_BINARY_DIR "/test_devices.out", *err = SG_BINARY_DIR "/test_devices.err";
    char cmd[600];
    /* sanitizer builds: no suppression report on stderr at exit (not the program's output) */
    snprintf(cmd, sizeof cmd, "LSAN_OPTIONS=print_suppressions=0 '%s/skyguardd' --list-devices "
             ">'%s' 2>'%s'", SG_BINARY_DIR, out, err);
    int st = system(cmd);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    char *o = NULL, *r = NULL;
    sg_errinfo e;
    assert_int_equal(sg_read_file(out, 1 << 20, &o, NULL, &e), SG_OK);
    assert_int_equal(sg_read_file(err, 1 << 20, &r, NULL, &e), SG_OK);
    if (r[0]) {
        print_message("stderr: %s\n", r);
        free(o);
        free(r);
        fail_msg("--list-devices wrote to stderr");
    }
    static const char *const sections[] = {"SDRs (SoapySDR", "cameras (GStreamer device monitor",
                                           "cameras (V4L2 capture nodes"};
    const char *p = o;
    for (size_t i = 0; i < 3; i++) {
        p = strstr(p, sections[i]);
        if (!p) {
            print_message("stdout:\n%s\n", o);
            free(o);
            free(r);
            fail_msg("section \"%s\" missing or out of order", sections[i]);
        }
        const char *next = i < 2 ? strstr(p, sections[i + 1]) : p + strlen(p);
        const char *found = strstr(p, " found\n"), *nib = strstr(p, "not in this build");
        if (!((found && found < next) || (nib && nib < next))) {
            print_message("stdout:\n%s\n", o);
            free(o);
            free(r);
            fail_msg("section \"%s\" has no count", sections[i]);
        }
    }
    free(o);
    free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_v4l2_skips_non_capture_nodes),
        cmocka_unit_test(test_listers_run),
        cmocka_unit_test(test_list_devices_command),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
