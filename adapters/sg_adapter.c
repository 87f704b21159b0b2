/* Registry of the IQ adapters compiled into this build (sg_adapter.h). */
#include <string.h>

#include "iq_file.h"
#include "sg_adapter.h"

extern const sg_iq_adapter sg_adapter_sim;
#if SG_WITH_SOAPY
extern const sg_iq_adapter sg_adapter_soapy;
#endif

static const sg_iq_adapter *const adapters[] = {
    &sg_adapter_sigmf,
    &sg_adapter_raw,
    &sg_adapter_sim,
#if SG_WITH_SOAPY
    &sg_adapter_soapy,
#endif
};

const sg_iq_adapter *sg_iq_adapter_find(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < sizeof adapters / sizeof adapters[0]; i++)
        if (strcmp(adapters[i]->name, name) == 0)
            return adapters[i];
    return NULL;
}

const char *sg_iq_adapter_missing(const char *name)
{
#if !SG_WITH_SOAPY
    if (name && strcmp(name, "soapy") == 0)
        return "live SDR input (\"soapy\") is not in this build: install libsoapysdr-dev "
               "(and the SoapySDR module for your device, e.g. soapysdr-module-rtlsdr), "
               "then reconfigure with -DSG_WITH_SOAPY=ON";
#else
    (void)name;
#endif
    return NULL;
}
