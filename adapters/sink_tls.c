/* The TLS-less build's sink_tls (see sink_tls.h): a "tls" block is refused clearly. */
#include "sink_tls.h"

#if !SG_WITH_OPENSSL
sink_tls *sink_tls_parse(const cJSON *block, const char *where, const char *base_file,
                         const char *host, sg_errinfo *e)
{
    (void)block;
    (void)base_file;
    (void)host;
    sg_err_set(e, SG_ENOTSUP, "%s: this build has no TLS (install libssl-dev and rebuild with "
               "-DSG_WITH_OPENSSL=ON)", where);
    return NULL;
}

void sink_tls_free(sink_tls *t)
{
    (void)t;
}

int sink_tls_connect(sink_tls *t, int fd, double timeout_s)
{
    (void)t;
    (void)fd;
    (void)timeout_s;
    return SG_ENOTSUP;
}

int sink_tls_send(sink_tls *t, const void *buf, size_t n, double timeout_s)
{
    (void)t;
    (void)buf;
    (void)n;
    (void)timeout_s;
    return SG_ENOTSUP;
}

bool sink_tls_poll_open(sink_tls *t)
{
    (void)t;
    return false;
}

void sink_tls_end(sink_tls *t)
{
    (void)t;
}
#endif
