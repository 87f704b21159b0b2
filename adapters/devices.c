/* Device listing (see devices.h): V4L2 capture nodes, and what a build without SoapySDR or
 * GStreamer says (their listers are devices_soapy.c and devices_gst.c). */
#include "devices.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/videodev2.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

int sg_devices_v4l2(const char *dir, sg_device_fn fn, void *user, sg_errinfo *e)
{
    (void)e;
    int found = 0;
    for (int i = 0; i < 64; i++) {
        char path[300];
        snprintf(path, sizeof path, "%s/video%d", dir ? dir : "/dev", i);
        int fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
            continue; /* absent, or not ours to open (listed by GStreamer if it can) */
        struct v4l2_capability cap;
        memset(&cap, 0, sizeof cap);
        int rc = ioctl(fd, VIDIOC_QUERYCAP, &cap);
        close(fd);
        if (rc != 0)
            continue; /* not a V4L2 node */
        uint32_t caps = cap.capabilities & V4L2_CAP_DEVICE_CAPS ? cap.device_caps : cap.capabilities;
        if (!(caps & (V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_VIDEO_CAPTURE_MPLANE)))
            continue; /* metadata or output node of a camera */
        sg_device d = {.source = "v4l2"};
        snprintf(d.name, sizeof d.name, "%.32s", (const char *)cap.card);
        snprintf(d.open, sizeof d.open, "v4l2src device=%s", path);
        snprintf(d.detail, sizeof d.detail, "driver %.16s, bus %.32s%s", (const char *)cap.driver,
                 (const char *)cap.bus_info, caps & V4L2_CAP_STREAMING ? ", streaming" : "");
        fn(user, &d);
        found++;
    }
    return found;
}

#if !SG_WITH_SOAPY
int sg_devices_soapy(sg_device_fn fn, void *user, sg_errinfo *e)
{
    (void)fn;
    (void)user;
    return sg_err_set(e, SG_ENOTSUP, "SDRs: this build has no SoapySDR (apt-get install "
                      "libsoapysdr-dev, then rebuild)");
}
#endif

#if !SG_WITH_GSTREAMER
int sg_devices_gstreamer(sg_device_fn fn, void *user, sg_errinfo *e)
{
    (void)fn;
    (void)user;
    return sg_err_set(e, SG_ENOTSUP, "cameras: this build has no GStreamer (apt-get install "
                      "libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev, then rebuild)");
}
#endif
