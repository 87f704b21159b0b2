/* SDRs for the device listing (see devices.h) through SoapySDR's enumeration. */
#include <stdio.h>
#include <string.h>

#include <SoapySDR/Device.h>
#include <SoapySDR/Logger.h>

#include "devices.h"

static void quiet_log(const SoapySDRLogLevel level, const char *message)
{
    (void)level; /* module chatter on stderr would break the listing's one line per device */
    (void)message;
}

int sg_devices_soapy(sg_device_fn fn, void *user, sg_errinfo *e)
{
    (void)e;
    SoapySDR_registerLogHandler(quiet_log);
    size_t n = 0;
    SoapySDRKwargs *list = SoapySDRDevice_enumerate(NULL, &n);
    SoapySDR_registerLogHandler(NULL); /* back to SoapySDR's default */
    for (size_t i = 0; i < n; i++) {
        sg_device d = {.source = "soapy"};
        size_t off = 0;
        const char *label = NULL, *serial = NULL;
        for (size_t k = 0; k < list[i].size; k++) {
            const char *key = list[i].keys[k], *val = list[i].vals[k];
            if (!strcmp(key, "label"))
                label = val;
            else if (!strcmp(key, "serial"))
                serial = val;
            /* the args that select this device: driver plus its identifying keys */
            if (!strcmp(key, "driver") || !strcmp(key, "serial") || !strcmp(key, "device_id") ||
                !strcmp(key, "addr") || !strcmp(key, "uri"))
                off += (size_t)snprintf(d.open + off, off < sizeof d.open ? sizeof d.open - off : 0,
                                        "%s%s=%s", off ? "," : "", key, val);
        }
        snprintf(d.name, sizeof d.name, "%s", label ? label : "SoapySDR device");
        if (serial)
            snprintf(d.detail, sizeof d.detail, "serial %s", serial);
        fn(user, &d);
    }
    SoapySDRKwargsList_clear(list, n);
    return (int)n;
}
