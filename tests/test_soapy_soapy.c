/* SoapySDR adapter without hardware: bad options and a device that does not exist
 * fail cleanly with a message naming the key or the device arguments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sg_adapter.h"

static int try_open(const char *json, sg_errinfo *e)
{
    const sg_iq_adapter *a = sg_iq_adapter_find("soapy");
    assert_non_null(a);
    assert_true(a->live);
    cJSON *o = cJSON_Parse(json);
    assert_non_null(o);
    void *st = NULL;
    int rc = a->open(&st, o, "sensors[0].adapter", e);
    cJSON_Delete(o);
    if (!rc)
        a->close(st);
    return rc;
}

static void test_no_such_device(void **state)
{
    (void)state;
    sg_errinfo e = {0};
    int rc = try_open("{\"args\": \"driver=skyguard_no_such_driver\", \"center_freq\": 2.44e9, "
                      "\"sample_rate\": 2e6}", &e);
    assert_int_equal(rc, SG_ENODEV);
    assert_non_null(strstr(e.msg, "skyguard_no_such_driver"));
    assert_non_null(strstr(e.msg, "sensors[0].adapter.args"));
}

static void test_bad_options(void **state)
{
    (void)state;
    static const struct {
        const char *json, *key;
    } cases[] = {
        {"{\"sample_rate\": 2e6}", "center_freq"},
        {"{\"center_freq\": 2.4e9}", "sample_rate"},
        {"{\"center_freq\": 2.4e9, \"sample_rate\": -1}", "sample_rate"},
        {"{\"center_freq\": 2.4e9, \"sample_rate\": 2e6, \"gain\": \"high\"}", "gain"},
        {"{\"center_freq\": 2.4e9, \"sample_rate\": 2e6, \"pool_blocks\": 1}", "pool_blocks"},
        {"{\"center_freq\": 2.4e9, \"sample_rate\": 2e6, \"channel\": 1.5}", "channel"},
        {"{\"center_freq\": 2.4e9, \"sample_rate\": 2e6, \"frequency\": 1}", "frequency"},
        {"{\"center_freq\": 2.4e9, \"sample_rate\": 2e6, \"scan\": {\"channels\": []}}",
         "sensors[0].adapter.scan.channels"},
        {"{\"center_freq\": 2.4e9, \"sample_rate\": 2e6, \"scan\": {\"channels\": "
         "[{\"center_freq\": 2.4e9}], \"settle_s\": 1}}", "sensors[0].adapter.scan.settle_s"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sg_errinfo e = {0};
        int rc = try_open(cases[i].json, &e);
        if (rc == 0 || !strstr(e.msg, cases[i].key))
            fail_msg("case %zu: rc %d msg \"%s\"", i, rc, e.msg);
    }
    assert_null(sg_iq_adapter_missing("soapy"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_such_device),
        cmocka_unit_test(test_bad_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
