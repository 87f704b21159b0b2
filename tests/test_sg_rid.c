/* sg_rid CLI end to end: a SigMF pair (ci16_le, 8 MHz, centre 2400 MHz) written here
 * with our BLE modulator is decoded by the tool into JSON Lines, and the real Wi-Fi
 * capture gives one aircraft. Checks the tool's SigMF reading, sample conversion,
 * channel placement from core:frequency, and its output schema. */
#include <complex.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>

#include <cjson/cJSON.h>

#include "ble_tx.h"
#include "odid.h"

#define TOOL SG_BINARY_DIR "/sg_rid"
#define FIXTURE SG_FIXTURES_DIR "/remoteid/odid_wifi_bcn_sample.pcap"

typedef struct {
    int messages;
    int aircraft;
    cJSON *last_aircraft;
} out_t;

/* Runs cmd, parses every stdout line as JSON; returns the exit status. */
static int run_tool(const char *cmd, out_t *o)
{
    memset(o, 0, sizeof *o);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char line[8192];
    while (fgets(line, sizeof line, p)) {
        cJSON *j = cJSON_Parse(line);
        assert_non_null(j); /* every line is one JSON object */
        const cJSON *k = cJSON_GetObjectItemCaseSensitive(j, "kind");
        assert_true(cJSON_IsString(k));
        if (!strcmp(k->valuestring, "message")) {
            o->messages++;
            cJSON_Delete(j);
        } else {
            assert_string_equal(k->valuestring, "aircraft");
            o->aircraft++;
            cJSON_Delete(o->last_aircraft);
            o->last_aircraft = j;
        }
    }
    return pclose(p);
}

static double num(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    assert_true(cJSON_IsNumber(v));
    return v->valuedouble;
}

/* Skips the calling test when a needed file (tool, fixture) is absent. */
#define SKIP_UNLESS_EXISTS(path)                                                              \
    do {                                                                                      \
        FILE *t_ = fopen(path, "rb");                                                         \
        if (!t_)                                                                              \
            skip();                                                                           \
        fclose(t_);                                                                           \
    } while (0)

static void test_ble_sigmf(void **state)
{
    (void)state;
    SKIP_UNLESS_EXISTS(TOOL);
    const double fs = 8e6, fc = 2400e6;
    const size_t n = 300000;
    float complex *x = calloc(n, sizeof *x);
    assert_non_null(x);
    ble_tx_cfg tc;
    ble_tx_cfg_default(&tc);
    tc.sample_rate = fs;
    tc.offset_hz = 2402e6 - fc; /* channel 37 */
    const uint8_t adva[6] = {0x66, 0x55, 0x44, 0x33, 0x22, 0xC1};
    odid_message m[3];
    odid_message_init(&m[0], ODID_MT_BASIC_ID);
    m[0].u.basic_id.id_type = ODID_IDT_SERIAL;
    strcpy(m[0].u.basic_id.uas_id, "1581F5BKD223B00D0QXY");
    odid_message_init(&m[1], ODID_MT_LOCATION);
    m[1].u.location.lat_deg = 52.1;
    m[1].u.location.lon_deg = 4.3;
    m[1].u.location.alt_geo = 80;
    m[1].u.location.h_acc = 10;
    odid_message_init(&m[2], ODID_MT_SYSTEM);
    m[2].u.system.op_lat_deg = 52.099;
    m[2].u.system.op_lon_deg = 4.299;
    for (int k = 0; k < 3; k++) {
        uint8_t msg[25];
        size_t w;
        assert_int_equal(odid_encode_message(&m[k], msg), 0);
        assert_int_equal(ble_tx_odid(&tc, adva, (uint8_t)k, msg, 37, x + 1000 + (size_t)k * 90000,
                                     90000, &w, NULL), 0);
    }
    const char *data = SG_BINARY_DIR "/test_sg_rid.sigmf-data";
    const char *meta = SG_BINARY_DIR "/test_sg_rid.sigmf-meta";
    FILE *f = fopen(data, "wb");
    assert_non_null(f);
    for (size_t i = 0; i < n; i++) {
        int16_t iq[2] = {(int16_t)lrintf(crealf(x[i]) * 32767), (int16_t)lrintf(cimagf(x[i]) * 32767)};
        assert_int_equal(fwrite(iq, sizeof iq, 1, f), 1);
    }
    fclose(f);
    f = fopen(meta, "w");
    assert_non_null(f);
    fprintf(f, "{\"global\": {\"core:datatype\": \"ci16_le\", \"core:sample_rate\": %.0f, "
               "\"core:version\": \"1.0.0\"}, \"captures\": [{\"core:sample_start\": 0, "
               "\"core:frequency\": %.0f}], \"annotations\": []}\n", fs, fc);
    fclose(f);
    free(x);

    out_t o;
    assert_int_equal(run_tool(TOOL " --json --ble " SG_BINARY_DIR "/test_sg_rid.sigmf-meta 2>/dev/null", &o), 0);
    assert_int_equal(o.messages, 3);
    assert_int_equal(o.aircraft, 1);
    const cJSON *a = o.last_aircraft;
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(a, "identity")->valuestring,
                        "1581F5BKD223B00D0QXY");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(a, "mac")->valuestring, "c1:22:33:44:55:66");
    assert_true(fabs(num(a, "lat") - 52.1) < 1e-7);
    assert_true(fabs(num(a, "operator_lon") - 4.299) < 1e-7);
    /* packet times from the sample clock: first one ~1000 samples in */
    assert_true(fabs(num(a, "t_first") - 1000 / fs) < 3e-6);
    cJSON_Delete(o.last_aircraft);

    /* the wrong centre frequency puts channel 37 outside the capture: exit 1 */
    assert_int_not_equal(run_tool(TOOL " --json --ble " SG_BINARY_DIR "/test_sg_rid.sigmf-data -r 8e6 "
                                       "-t ci16 -f 2300e6 2>/dev/null", &o), 0);
    cJSON_Delete(o.last_aircraft);
    /* usage errors exit 2 */
    int st = run_tool(TOOL " --ble 2>/dev/null", &o);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 2);
    remove(data);
    remove(meta);
}

static void test_wifi_fixture(void **state)
{
    (void)state;
    SKIP_UNLESS_EXISTS(TOOL);
    SKIP_UNLESS_EXISTS(FIXTURE);
    out_t o;
    int st = run_tool(TOOL " --json " FIXTURE " 2>/dev/null", &o);
    if (WIFEXITED(st) && WEXITSTATUS(st) == 1 && o.messages == 0) {
        print_message("sg_rid built without libpcap: skipped\n");
        skip();
    }
    assert_int_equal(st, 0);
    assert_true(o.messages > 0);
    assert_int_equal(o.aircraft, 1);
    assert_true(num(o.last_aircraft, "messages") == o.messages);
    cJSON_Delete(o.last_aircraft);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ble_sigmf),
        cmocka_unit_test(test_wifi_fixture),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
