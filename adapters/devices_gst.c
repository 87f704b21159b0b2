/* Cameras for the device listing (see devices.h) through the GStreamer device monitor. */
#include <stdio.h>
#include <string.h>

#include <gst/gst.h>

#include "devices.h"

int sg_devices_gstreamer(sg_device_fn fn, void *user, sg_errinfo *e)
{
    GError *err = NULL;
    if (!gst_init_check(NULL, NULL, &err)) {
        sg_err_set(e, SG_EIO, "cameras: GStreamer does not start: %s", err ? err->message : "?");
        if (err)
            g_error_free(err);
        return SG_EIO;
    }
    GstDeviceMonitor *mon = gst_device_monitor_new();
    if (!mon)
        return sg_err_set(e, SG_ENOMEM, "cameras: out of memory");
    gst_device_monitor_add_filter(mon, "Video/Source", NULL);
    int found = 0;
    /* start() probes every provider once; FALSE = no provider for video on this machine */
    if (gst_device_monitor_start(mon)) {
        GList *devs = gst_device_monitor_get_devices(mon);
        for (GList *l = devs; l; l = l->next) {
            GstDevice *dev = l->data;
            sg_device d = {.source = "gstreamer"};
            gchar *nm = gst_device_get_display_name(dev);
            snprintf(d.name, sizeof d.name, "%s", nm ? nm : "camera");
            g_free(nm);
            GstStructure *props = gst_device_get_properties(dev);
            const gchar *path = props ? gst_structure_get_string(props, "device.path") : NULL;
            const gchar *api = props ? gst_structure_get_string(props, "device.api") : NULL;
            GstElement *el = gst_device_create_element(dev, NULL);
            GstElementFactory *fac = el ? gst_element_get_factory(el) : NULL;
            const gchar *fname = fac ? gst_plugin_feature_get_name(GST_PLUGIN_FEATURE(fac)) : NULL;
            if (fname && path)
                snprintf(d.open, sizeof d.open, "%s device=%s", fname, path);
            else
                snprintf(d.open, sizeof d.open, "%s", fname ? fname : "?");
            gchar *cls = gst_device_get_device_class(dev);
            snprintf(d.detail, sizeof d.detail, "%s%s%s", cls ? cls : "", api ? ", api " : "",
                     api ? api : "");
            g_free(cls);
            if (el)
                gst_object_unref(el);
            if (props)
                gst_structure_free(props);
            fn(user, &d);
            found++;
        }
        g_list_free_full(devs, gst_object_unref);
        gst_device_monitor_stop(mon);
    }
    gst_object_unref(mon);
    return found;
}
