/* The console's terminal: raw, non-blocking keyboard input on stdin, restored on exit.
 *
 * watch_term_raw() switches a terminal stdin to non-canonical, no-echo input and
 * registers an atexit restore; sg_watch also calls watch_term_restore() on its SIGINT /
 * SIGTERM path (the signal handler only sets a flag; the main loop restores). Restoring
 * twice is harmless. Not thread-safe (process-global terminal state). */
#ifndef SG_WATCH_TERM_H
#define SG_WATCH_TERM_H

#include <stdbool.h>

/* Returns true when stdin is a terminal now in raw mode; false (and nothing changed)
 * when stdin is not a terminal or tcsetattr failed. */
bool watch_term_raw(void);
void watch_term_restore(void);

/* Reads one key without blocking: an ASCII code, WATCH_KEY_UP / WATCH_KEY_DOWN
 * (watch_model.h) for the arrow keys (ESC [ A / ESC [ B, also ESC O A/B), or -1 when
 * no key is pending. Other escape sequences are consumed and ignored. */
int watch_term_key(void);

/* Terminal width in columns (stdout), or fallback when unknown. */
int watch_term_cols(int fallback);
int watch_term_rows(int fallback);

#endif
