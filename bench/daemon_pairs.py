#!/usr/bin/python3
"""Two skyguardd builds alternated on daemon_matrix.sh's venues (issue 21).

daemon_matrix.sh measures CPU with /usr/bin/time (10 ms steps) on captures of 0.25-0.5 s,
so one run is +-10-20 % on a loaded machine. This runs NEW and OLD one after the other,
N pairs per configuration, and takes CPU time (user + sys, microseconds, from wait4) net
of the 10 ms start-up venue's, as the matrix does; it prints per configuration the median
MS/s per core of each build, the median and range of the per-pair ratio NEW / OLD, and
peak RSS. Exits 1 if a daemon fails.

  usage: bench/daemon_pairs.py BUILD_DIR NEW_SKYGUARDD OLD_SKYGUARDD [N=7] [RATES=50,100,200]
         [THREADS=1,2]
BUILD_DIR/daemon_bench/ must hold the captures and venues of a daemon_matrix.sh run with
SENSORS=1 BLE=off and the same RATES and THREADS.
"""
import os
import statistics
import subprocess
import sys


def run(exe, venue, cwd):
    p = subprocess.Popen([exe, '-c', venue, '--linger', '0', '-e', 'tcp://127.0.0.1:*'],
                         cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
    if status != 0:
        sys.exit(f'{exe} -c {venue}: exit status {status}')
    return ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    w = os.path.join(sys.argv[1], 'daemon_bench')
    builds = (('new', os.path.abspath(sys.argv[2])), ('old', os.path.abspath(sys.argv[3])))
    n = int(sys.argv[4]) if len(sys.argv) > 4 else 7
    rates = [int(r) for r in (sys.argv[5] if len(sys.argv) > 5 else '50,100,200').split(',')]
    threads = [int(t) for t in (sys.argv[6] if len(sys.argv) > 6 else '1,2').split(',')]
    for r in rates:
        for t in threads:
            tag = f'r{r}_bleoff_n1_t{t}'
            d = float(open(os.path.join(w, f'busy{r}.dur')).read())
            samples = r * 1e6 * d - r * 1e4  # net of the 10 ms venue's
            got = {'new': [], 'old': []}
            for _ in range(n):
                for name, exe in builds:
                    c0, _ = run(exe, f'{tag}.tiny.json', w)
                    c1, rss = run(exe, f'{tag}.json', w)
                    got[name].append((samples / max(c1 - c0, 1e-6) / 1e6, rss))
            a = [x for x, _ in got['new']]
            b = [x for x, _ in got['old']]
            q = [x / y for x, y in zip(a, b)]
            print(f'{r} Msps, threads {t}: new {statistics.median(a):.1f} ({min(a):.1f}-{max(a):.1f}), '
                  f'old {statistics.median(b):.1f} ({min(b):.1f}-{max(b):.1f}) MS/s per core; '
                  f'new / old per pair: median {statistics.median(q):.2f} ({min(q):.2f}-{max(q):.2f}); '
                  f'peak RSS MB new {max(x for _, x in got["new"]):.0f}, '
                  f'old {max(x for _, x in got["old"]):.0f}', flush=True)


if __name__ == '__main__':
    main()
