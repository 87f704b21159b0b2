/* Device listing for `skyguardd --list-devices`: what a venue file could name as a live
 * input on this machine. SDRs through SoapySDR (SoapySDRDevice_enumerate: every device any
 * installed Soapy module finds, with the args string for an "adapter": {"type": "soapy",
 * "args": ...}); cameras through the GStreamer device monitor (class Video/Source: V4L2,
 * libcamera or PipeWire, with the source element that opens each) and V4L2 directly
 * (/dev/video0..63 that can capture, VIDIOC_QUERYCAP), for a "gstreamer" camera adapter's
 * pipeline ("v4l2src device=/dev/videoN ! ...").
 *
 * Library module: never prints (SoapySDR's own log goes to its log handler: it is set to
 * discard messages below errors for the listing). Each lister calls fn once per device
 * and returns how many it found (>= 0), or SG_ENOTSUP (with why in e) when this build has
 * no driver for it. Not thread-safe with an SDR being opened at the same time. */
#ifndef SG_DEVICES_H
#define SG_DEVICES_H

#include "sg_error.h"

typedef struct {
    const char *source;        /* "soapy", "gstreamer", "v4l2" */
    char name[256];            /* the device's own label (driver, model, card) */
    char open[384];            /* how to use it: Soapy args / source element / device path */
    char detail[256];          /* serial, bus, capabilities; "" when none */
} sg_device;

typedef void (*sg_device_fn)(void *user, const sg_device *d);

int sg_devices_soapy(sg_device_fn fn, void *user, sg_errinfo *e);
int sg_devices_gstreamer(sg_device_fn fn, void *user, sg_errinfo *e);
/* dir: where video device nodes are (NULL = /dev; tests pass an empty directory). */
int sg_devices_v4l2(const char *dir, sg_device_fn fn, void *user, sg_errinfo *e);

#endif
