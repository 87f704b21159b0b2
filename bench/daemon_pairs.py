#!/usr/bin/python3
"""Two skyguardd builds alternated on daemon_matrix.sh's venues (issue 21).

daemon_matrix.sh measures CPU with /usr/bin/time (10 ms steps) on captures of 0.25-0.5 s,
so one run is +-10-20 % on a loaded machine. This runs NEW and OLD one after the other,
N pairs per configuration, and takes CPU time (user + sys, microseconds, from wait4) net
of the 10 ms start-up venue's, as the matrix does; it prints per configuration the median
MS/s per core of each build, the median and range of the per-pair ratio NEW / OLD, and
peak RSS. Exits 1 if a daemon fails.

Per run it also takes the wall-clock real-time factor (capture s / (wall - the start-up
venue's wall)) and, sampling /proc/PID/task/*/schedstat every 2 ms, the CPU of each thread
(ns, the last sample before the thread ended): printed as CPU seconds per second of input
of the busiest thread (on a machine with a free core per thread, real time needs this < 1),
of all threads together (schedstat, start-up included: unlike the wait4 figure it is not net
of the start-up venue, so work a build moves into set-up still counts),
and of the threads named sg-sensor / sg-burst / sg-read (this branch names them; an older
build's threads are all "skyguardd", so only the busiest is shown for it).

  usage: bench/daemon_pairs.py BUILD_DIR NEW_SKYGUARDD OLD_SKYGUARDD [N=7] [RATES=50,100,200]
         [THREADS=1,2]
BUILD_DIR/daemon_bench/ must hold the captures and venues of a daemon_matrix.sh run with
SENSORS=1 BLE=off and the same RATES and THREADS. A THREADS entry "Nb" runs NEW with
frontend.threads N and "burst_thread": {"enabled": true} (a venue written next to the
matrix's, *_b.json) and OLD with the plain threads-N venue (an older build refuses the key;
with OLD_B=1 in the environment OLD runs the *_b venue too: two builds that both have it).
"""
import json
import glob
import os
import statistics
import subprocess
import sys
import time


def threads_of(pid, seen):
    """Updates seen[tid] = (comm, ns on the CPU) from /proc."""
    for d in glob.glob(f'/proc/{pid}/task/*'):
        try:
            ns = int(open(f'{d}/schedstat').read().split()[0])
            comm = open(f'{d}/comm').read().strip()
        except (OSError, ValueError, IndexError):
            continue  # ended between the glob and the read
        seen[os.path.basename(d)] = (comm, ns)


def run(exe, venue, cwd, sample=False):
    t0 = time.monotonic()
    p = subprocess.Popen([exe, '-c', venue, '--linger', '0', '-e', 'tcp://127.0.0.1:*'],
                         cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seen = {}
    while True:
        pid, status, ru = os.wait4(p.pid, os.WNOHANG if sample else 0)
        if pid:
            break
        threads_of(p.pid, seen)
        time.sleep(0.002)
    wall = time.monotonic() - t0
    if status != 0:
        sys.exit(f'{exe} -c {venue}: exit status {status}')
    by = {}
    for comm, ns in seen.values():
        by[comm] = by.get(comm, 0) + ns / 1e9
    busiest = max((ns / 1e9 for _, ns in seen.values()), default=float('nan'))
    return ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024, wall, busiest, by


def burst_venue(w, tag):
    """The matrix's venue tag with the burst thread on every sensor, as tag_b."""
    for suffix in ('.json', '.tiny.json'):
        v = json.load(open(os.path.join(w, tag + suffix)))
        for sensor in v['sensors']:
            sensor['burst_thread'] = {'enabled': True}
        json.dump(v, open(os.path.join(w, tag + '_b' + suffix), 'w'))
    return tag + '_b'


def med(xs):
    return f'{statistics.median(xs):.2f} ({min(xs):.2f}-{max(xs):.2f})'


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    w = os.path.join(sys.argv[1], 'daemon_bench')
    builds = (('new', os.path.abspath(sys.argv[2])), ('old', os.path.abspath(sys.argv[3])))
    n = int(sys.argv[4]) if len(sys.argv) > 4 else 7
    rates = [int(r) for r in (sys.argv[5] if len(sys.argv) > 5 else '50,100,200').split(',')]
    threads = (sys.argv[6] if len(sys.argv) > 6 else '1,2').split(',')
    print(f'load {open("/proc/loadavg").read().strip()}', flush=True)
    for r in rates:
        for t in threads:
            tag = f'r{r}_bleoff_n1_t{t.rstrip("b")}'
            tags = {'new': burst_venue(w, tag) if t.endswith('b') else tag, 'old': tag}
            if t.endswith('b') and os.environ.get('OLD_B') == '1':
                tags['old'] = tags['new']
            d = float(open(os.path.join(w, f'busy{r}.dur')).read())
            samples = r * 1e6 * d - r * 1e4  # net of the 10 ms venue's
            got = {'new': [], 'old': []}
            for _ in range(n):
                for name, exe in builds:
                    c0, _, w0, _, _ = run(exe, f'{tags[name]}.tiny.json', w)
                    c1, rss, w1, busy, by = run(exe, f'{tags[name]}.json', w, sample=True)
                    got[name].append({'mss': samples / max(c1 - c0, 1e-6) / 1e6, 'rss': rss,
                                      'xrt': d / max(w1 - w0, 0.01), 'cores': (c1 - c0) / d,
                                      'ns': (c1 - c0) / samples * 1e9, 'busy': busy / d,
                                      'tsum': sum(by.values()) / d,
                                      'by': {k: v / d for k, v in by.items()}})
            a = [x['mss'] for x in got['new']]
            b = [x['mss'] for x in got['old']]
            q = [x / y for x, y in zip(a, b)]
            print(f'{r} Msps, threads {t}{" (new with the burst thread)" if t.endswith("b") else ""}: new {statistics.median(a):.1f} ({min(a):.1f}-{max(a):.1f}), '
                  f'old {statistics.median(b):.1f} ({min(b):.1f}-{max(b):.1f}) MS/s per core; '
                  f'new / old per pair: median {statistics.median(q):.2f} ({min(q):.2f}-{max(q):.2f}); '
                  f'peak RSS MB new {max(x["rss"] for x in got["new"]):.0f}, '
                  f'old {max(x["rss"] for x in got["old"]):.0f}', flush=True)
            for name in ('new', 'old'):
                g = got[name]
                names = sorted({k for x in g for k in x['by']})
                per = '; '.join(f'{k} {med([x["by"].get(k, 0) for x in g])}' for k in names)
                print(f'  {name}: x real time {med([x["xrt"] for x in g])}, cores (CPU s per s of '
                      f'input) {med([x["cores"] for x in g])}, ns CPU per sample '
                      f'{med([x["ns"] for x in g])}, busiest thread {med([x["busy"] for x in g])}, '
                      f'all threads {med([x["tsum"] for x in g])}'
                      f'{"; " + per if per else ""}', flush=True)
    print(f'load {open("/proc/loadavg").read().strip()}', flush=True)


if __name__ == '__main__':
    main()
