/* Install rules (CMakeLists.txt, deploy/): `cmake --install` into a DESTDIR puts every
 * program of apps/ and tools/ in bin with its man page (each page formats without groff
 * warnings), the docs, the systemd units (dedicated user, hardening, --check before start)
 * and sysusers file, and an example venue that the installed daemon accepts with --check
 * once its paths are read under the DESTDIR. */
#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "sg_json.h"

static char dest[256], prefix[512], root[1024]; /* root = DESTDIR + prefix */

static int run(const char *out, char *const argv[], char *const envp[])
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int fo = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fo < 0 || dup2(fo, 1) < 0 || dup2(fo, 2) < 0)
            _exit(99);
        if (envp)
            execve(argv[0], argv, envp);
        else
            execv(argv[0], argv);
        _exit(98);
    }
    int st;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char *slurp(const char *path)
{
    char *t;
    sg_errinfo e = {0};
    if (sg_read_file(path, 1 << 22, &t, NULL, &e) != SG_OK)
        fail_msg("%s", e.msg);
    return t;
}

static bool is_file(const char *p, bool exec)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode) && (!exec || (st.st_mode & S_IXUSR));
}

static int setup(void **st)
{
    (void)st;
    /* the configured prefix, from the cache */
    char *cache = slurp(SG_BINARY_DIR "/CMakeCache.txt");
    const char *p = strstr(cache, "\nCMAKE_INSTALL_PREFIX:PATH=");
    assert_non_null(p);
    snprintf(prefix, sizeof prefix, "%.*s", (int)strcspn(p + 27, "\n"), p + 27);
    free(cache);
    snprintf(dest, sizeof dest, "%s/test_install_root", SG_BINARY_DIR);
    snprintf(root, sizeof root, "%s%s", dest, prefix);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dest);
    assert_int_equal(system(cmd), 0);
    char envd[300];
    snprintf(envd, sizeof envd, "DESTDIR=%s", dest);
    char *envp[] = {envd, "PATH=/usr/bin:/bin", NULL};
    char *argv[] = {"/usr/bin/cmake", "--install", SG_BINARY_DIR, NULL};
    int rc = run(SG_BINARY_DIR "/test_install.log", argv, envp);
    if (rc != 0) {
        char *log = slurp(SG_BINARY_DIR "/test_install.log");
        fail_msg("cmake --install failed (%d): %s", rc, log);
    }
    return 0;
}

/* Every program (one .c in apps/ and tools/) is installed with a man page. */
static void test_programs_and_man_pages(void **st)
{
    (void)st;
    const char *dirs[] = {SG_SOURCE_DIR "/apps", SG_SOURCE_DIR "/tools"};
    int n = 0;
    bool groff = access("/usr/bin/groff", X_OK) == 0;
    for (int d = 0; d < 2; d++) {
        DIR *dp = opendir(dirs[d]);
        assert_non_null(dp);
        struct dirent *de;
        while ((de = readdir(dp))) {
            size_t l = strlen(de->d_name);
            if (l < 3 || strcmp(de->d_name + l - 2, ".c"))
                continue;
            char name[256], bin[1400], man[1400];
            snprintf(name, sizeof name, "%.*s", (int)(l - 2), de->d_name);
            snprintf(bin, sizeof bin, "%s/bin/%s", root, name);
            snprintf(man, sizeof man, "%s/share/man/man1/%s.1", root, name);
            if (!is_file(bin, true))
                fail_msg("program %s not installed (%s)", name, bin);
            if (!is_file(man, false))
                fail_msg("program %s has no man page: add docs/man/%s.1", name, name);
            if (groff) {
                char *argv[] = {"/usr/bin/groff", "-man", "-ww", "-z", man, NULL};
                assert_int_equal(run(SG_BINARY_DIR "/test_install.groff", argv, NULL), 0);
                char *w = slurp(SG_BINARY_DIR "/test_install.groff");
                if (w[0])
                    fail_msg("%s.1: %s", name, w);
                free(w);
            }
            n++;
        }
        closedir(dp);
    }
    assert_true(n >= 3);
    char p[1400];
    snprintf(p, sizeof p, "%s/share/doc/skyguard/outputs.md", root);
    assert_true(is_file(p, false));
    snprintf(p, sizeof p, "%s/share/doc/skyguard/config.md", root);
    assert_true(is_file(p, false));
}

static void test_systemd_units(void **st)
{
    (void)st;
    const char *units[] = {"skyguardd", "skyguard-bridge"};
    const char *progs[] = {"skyguardd", "sg_bridge"};
    for (int i = 0; i < 2; i++) {
        char p[1400], want[1400];
        snprintf(p, sizeof p, "%s/lib/systemd/system/%s.service", root, units[i]);
        char *u = slurp(p);
        const char *must[] = {"User=skyguard\n", "NoNewPrivileges=yes\n",
                              "ProtectSystem=strict\n", "ProtectHome=yes\n",
                              "SystemCallFilter=@system-service\n", "[Install]\n"};
        for (size_t k = 0; k < sizeof must / sizeof must[0]; k++)
            if (!strstr(u, must[k]))
                fail_msg("%s.service lacks %s", units[i], must[k]);
        snprintf(want, sizeof want, "ExecStartPre=%s/bin/%s --check -c ", prefix, progs[i]);
        assert_non_null(strstr(u, want));
        snprintf(want, sizeof want, "ExecStart=%s/bin/%s ", prefix, progs[i]);
        assert_non_null(strstr(u, want));
        free(u);
    }
    char p[1400];
    snprintf(p, sizeof p, "%s/lib/sysusers.d/skyguard.conf", root);
    char *s = slurp(p);
    assert_non_null(strstr(s, "u skyguard "));
    free(s);
}

static char *replace_all(const char *text, const char *from, const char *to)
{
    char *out = malloc(strlen(text) * (strlen(to) + 1) + 1), *o = out;
    assert_non_null(out);
    size_t fl = strlen(from), tl = strlen(to);
    for (const char *p = text; *p;) {
        if (!strncmp(p, from, fl)) {
            memcpy(o, to, tl);
            o += tl;
            p += fl;
        } else {
            *o++ = *p++;
        }
    }
    *o = '\0';
    return out;
}

/* The installed venue: its paths point at <prefix>/share; read under DESTDIR they must make a
 * venue the installed daemon accepts. */
static void test_installed_venue_checks(void **st)
{
    (void)st;
    char venue[1400];
    if (!strcmp(prefix, "/usr"))
        snprintf(venue, sizeof venue, "%s/etc/skyguard/venue.json", dest);
    else
        snprintf(venue, sizeof venue, "%s/etc/skyguard/venue.json", root);
    char *text = slurp(venue);
    char from[600], to[1400];
    snprintf(from, sizeof from, "\"%s/share/", prefix);
    snprintf(to, sizeof to, "\"%s/share/", root);
    char *mid = replace_all(text, from, to);
    /* a free port, in case a daemon already listens on 5556 */
    char *out = replace_all(mid, "tcp://127.0.0.1:5556", "tcp://127.0.0.1:*");
    free(mid);
    char moved[1400];
    snprintf(moved, sizeof moved, "%s/venue-under-destdir.json", dest);
    FILE *f = fopen(moved, "w");
    assert_non_null(f);
    fputs(out, f);
    fclose(f);
    free(out);
    free(text);
    char bin[1400];
    snprintf(bin, sizeof bin, "%s/bin/skyguardd", root);
    char *argv[] = {bin, "--check", "-c", moved, NULL};
    int rc = run(SG_BINARY_DIR "/test_install.check", argv, NULL);
    char *log = slurp(SG_BINARY_DIR "/test_install.check");
    if (rc != 0 || !strstr(log, "valid"))
        fail_msg("installed skyguardd --check: exit %d: %s", rc, log);
    free(log);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_programs_and_man_pages),
        cmocka_unit_test(test_systemd_units),
        cmocka_unit_test(test_installed_venue_checks),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
