/* Raw terminal input for sg_watch; see watch_term.h. */
#include "watch_term.h"

#include <poll.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "watch_model.h"

static struct termios saved;
static bool raw_on, atexit_done;

void watch_term_restore(void)
{
    if (raw_on) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
        raw_on = false;
    }
}

bool watch_term_raw(void)
{
    if (raw_on)
        return true;
    if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved) != 0)
        return false;
    struct termios t = saved;
    t.c_lflag &= (tcflag_t) ~(ICANON | ECHO); /* keep ISIG: Ctrl-C still sends SIGINT */
    t.c_iflag &= (tcflag_t) ~(IXON | ICRNL);
    t.c_cc[VMIN] = 0;
    t.c_cc[VTIME] = 0;
    if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &t) != 0)
        return false;
    raw_on = true;
    if (!atexit_done) {
        atexit(watch_term_restore);
        atexit_done = true;
    }
    return true;
}

static int read_byte(int wait_ms)
{
    struct pollfd p = {.fd = STDIN_FILENO, .events = POLLIN};
    unsigned char c;
    if (poll(&p, 1, wait_ms) != 1 || read(STDIN_FILENO, &c, 1) != 1)
        return -1;
    return c;
}

int watch_term_key(void)
{
    int c = read_byte(0);
    if (c != 0x1b)
        return c;
    int c1 = read_byte(20); /* the rest of an escape sequence arrives together */
    if (c1 != '[' && c1 != 'O')
        return c1 < 0 ? 0x1b : -1;
    int c2 = read_byte(20);
    if (c2 == 'A')
        return WATCH_KEY_UP;
    if (c2 == 'B')
        return WATCH_KEY_DOWN;
    while (c2 >= 0 && !(c2 >= 0x40 && c2 <= 0x7e)) /* skip to the final byte */
        c2 = read_byte(20);
    return -1;
}

int watch_term_cols(int fallback)
{
    struct winsize ws;
    return ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 ? ws.ws_col : fallback;
}

int watch_term_rows(int fallback)
{
    struct winsize ws;
    return ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 ? ws.ws_row : fallback;
}
