/* LeakSanitizer suppressions (sanitizer builds) for leaks in Debian's libraries that are not ours
 * to fix; everything else is still checked. A program names its list once, in the file holding
 * main():  SG_LSAN_SUPPRESS(SG_LSAN_GLIB)  or  SG_LSAN_SUPPRESS(SG_LSAN_LIQUID SG_LSAN_GLIB). */
#ifndef SG_LSAN_H
#define SG_LSAN_H

/* GLib (loaded for GStreamer) allocates 16 KB in its own library constructor and never frees it. */
#define SG_LSAN_GLIB "leak:libglib-2.0.so\n"
/* liquid-dsp 1.5 leaks a few bytes inside its filter design search (qs1dsearch). */
#define SG_LSAN_LIQUID "leak:qs1dsearch_create\n"

/* defines the hook LeakSanitizer reads its built-in suppressions from */
#define SG_LSAN_SUPPRESS(list)                                                                     \
    const char *__lsan_default_suppressions(void);                                                 \
    const char *__lsan_default_suppressions(void) { return list; }

#endif
