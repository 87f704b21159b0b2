#!/bin/bash
# Daemon-level benchmark (issue 21): the whole skyguardd (front end, emitter grouping and
# classification, DroneID attempts, BLE, tracker, feed) on captures made by sg_gen with a
# busy 2.4 GHz scene, replayed as fast as the daemon reads them.
#
# Scene (one capture per rate, centre 2.43 GHz, ci8): DroneID-like OFDM every 20 ms at
# +2 MHz, FrSky- and ELRS-like hoppers, Wi-Fi-like bursts every 4 ms, BLE-like
# advertising every 20 ms (bench_frontend_mt's scene). Each configuration is one daemon
# run: N sensors replaying the same capture (one thread each), BLE on (legacy 1M on
# channel 38 = 2426 MHz, at the capture's rate; only where ble.sample_rate allows it,
# i.e. rate <= 64 Msps) or off, frontend.threads = T.
#
# Printed per run: wall s; real-time factor = capture seconds / (wall - start-up), where
# start-up is the wall time of the same venue on a 10 ms capture measured just before;
# cores used = CPU time (user + sys, all threads) / wall; MS/s per core = samples of all
# sensors / CPU s, both net of that 10 ms run's (start-up, FFTW planning, 10 ms of input);
# ratio to the FFT ceiling = MS/s per core / FFT-only MS/s per core
# (bench_frontend, 1024 bins, batch 16, FFTW_ESTIMATE, measured at the start and at the
# end of this run; the mean of the two); peak RSS.
# Checked per run (exit 1 on a failure): every sample processed, none dropped; per sensor
# a dji_droneid emitter reported, DroneID attempts (decoded + failed) >=
# the capture's DroneID truth bursts, front-end bursts >= the DroneID + ELRS truth; BLE on:
# the BLE receiver synced (ble_packets + ble_crc_fail + ble_squelch_cut > 0: the generator's
# BLE-like packets are random GFSK, so no good CRC is expected; the syncs they give are cut
# when the squelch closes after them), BLE off: its counters are 0.
#
#   usage: [RATES="20 50 100 200"] [SENSORS="1 2 4"] [BLE="off on"] [THREADS="1"]
#          [DUR=s] [SKYGUARDD=path] [SMOKE=1] bench/daemon_matrix.sh BUILD_DIR
# Captures are generated once into BUILD_DIR/daemon_bench/ (never committed); DUR is the
# capture length (default max(0.25 s, 25 M samples)). SKYGUARDD runs another build's daemon
# on the same captures (e.g. main's, for an alternated comparison). SMOKE=1 (ctest): one
# 20 Msps 0.15 s capture, 1 sensor, BLE on, no FFT ceiling.
set -euo pipefail
B=$(cd "$1" && pwd)
SRC=$(cd "$(dirname "$0")/.." && pwd)
D=${SKYGUARDD:-$B/skyguardd}
PY=/usr/bin/python3
if [ "${SMOKE:-0}" = 1 ]; then
  RATES=20; SENSORS=1; BLE=on; THREADS=1; DUR=${DUR:-0.15}; W="$B/daemon_bench_smoke"
else
  RATES=${RATES:-20 50 100 200}; SENSORS=${SENSORS:-1 2 4}; BLE=${BLE:-off on}
  THREADS=${THREADS:-1}; W="$B/daemon_bench"
fi
mkdir -p "$W"
cd "$W"
SCENE=(-s droneid:snr=18,offset=2e6,start=0.005,period=0.02 -s frsky:snr=15 -s elrs:snr=12
       -s wifi:snr=12,period=0.004 -s ble:snr=15,period=0.02)

dur_for() { # capture seconds at $1 Msps
  if [ -n "${DUR:-}" ]; then echo "$DUR"; else
    awk -v r="$1" 'BEGIN { d = 25 / r; if (d < 0.25) d = 0.25; print d }'; fi
}

capture() { # $1 Msps -> busy<R>.sigmf-meta (kept between runs)
  local r=$1 d
  d=$(dur_for "$r")
  if [ ! -f "busy$r.sigmf-meta" ] || [ "$(cat "busy$r.dur" 2>/dev/null)" != "$d" ]; then
    "$B/sg_gen" -q -o "busy$r" -r "${r}e6" -f 2.43e9 -d "$d" -t ci8 "${SCENE[@]}"
    echo "$d" > "busy$r.dur"
  fi
  if [ ! -f "tiny$r.sigmf-meta" ]; then
    "$B/sg_gen" -q -o "tiny$r" -r "${r}e6" -f 2.43e9 -d 0.01 -t ci8 -s frsky:snr=15
  fi
}

venue() { # $1 capture base, $2 sensors, $3 ble on/off, $4 Msps, $5 threads -> stdout
  local ble=""
  [ "$3" = on ] && ble=", \"ble\": {\"channels\": [38], \"sample_rate\": ${4}e6}"
  printf '{"version": 1, "site": {"name": "bench", "origin": {"lat_deg": 51.556, "lon_deg": -0.2796, "alt_m": 87},\n'
  printf ' "ground_amsl_m": 41}, "zones": "%s/testdata/zones/stadium.geojson",\n' "$SRC"
  printf ' "signatures": "%s/config/signatures.json", "sensors": [' "$SRC"
  for i in $(seq 0 $(($2 - 1))); do
    [ "$i" -gt 0 ] && printf ','
    printf '\n {"id": "rf%d", "kind": "rf", "position": {"lat_deg": 51.5573, "lon_deg": -0.2796, "alt_m": 135},' "$i"
    printf ' "adapter": {"type": "sigmf", "path": "%s.sigmf-meta"}, "frontend": {"threads": %s}%s}' "$1" "$5" "$ble"
  done
  printf ']}\n'
}

run() { # venue file, tag -> "wall user sys rss_kB" in $tag.time; exit status of the daemon
  /usr/bin/time -f "%e %U %S %M" -o "$2.time" "$D" -c "$1" --record-out "$2.jsonl" \
    --linger 0 -e 'tcp://127.0.0.1:*' > "$2.log" 2> "$2.err"
}

fft_ceiling() { # FFT-only MS/s per core and front end / FFT-only ratio, from bench_frontend
  local out
  out=$("$B/bench/bench_frontend" 1 2 2>&1 || true)
  FFT=$(awk '/^FFT only/ { print $(NF-3) }' <<< "$out")
  FE=$(awk '/^ratio front end/ { print $7 }' <<< "$out")
  echo "FFT ceiling (bench_frontend 1 2): FFT only $FFT MS/s per core, front end / FFT only $FE"
}

echo "daemon $D; machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg) (shared)"
FFT1=0; FFT2=0
if [ "${SMOKE:-0}" != 1 ]; then fft_ceiling; FFT1=$FFT; fi
for r in $RATES; do capture "$r"; done
printf '%-5s %-3s %-3s %-3s | %7s %7s %6s %7s %9s %8s | %s\n' Msps BLE N thr wall_s startup \
  xRT cores MS/s/core RSS_MB "checks"
fail=0
ROWS=()
for r in $RATES; do
  d=$(cat "busy$r.dur")
  for ble in $BLE; do
    if [ "$ble" = on ] && [ "$r" -gt 64 ]; then continue; fi
    for n in $SENSORS; do
      for th in $THREADS; do
        tag="r${r}_ble${ble}_n${n}_t${th}"
        venue "tiny$r" "$n" "$ble" "$r" "$th" > "$tag.tiny.json"
        venue "busy$r" "$n" "$ble" "$r" "$th" > "$tag.json"
        rc=0
        run "$tag.tiny.json" "$tag.tiny" || rc=$?
        run "$tag.json" "$tag" || rc=$?
        ROWS+=("$r $ble $n $th $d $rc $tag")
        $PY - "$W" "$r" "$ble" "$n" "$th" "$d" "$rc" "$tag" <<'EOT' || fail=1
import json, sys, collections
w, r, ble, n, th, d, rc, tag = sys.argv[1:]
n, d, rc = int(n), float(d), int(rc)
wall, user, sysc, rss = open(f'{w}/{tag}.time').read().split()[-4:]
wall, cpu, rss = float(wall), float(user) + float(sysc), int(rss)
tw, tu, ts, _ = open(f'{w}/{tag}.tiny.time').read().split()[-4:]
start, start_cpu = float(tw), float(tu) + float(ts)
meta = json.load(open(f'{w}/busy{r}.sigmf-meta'))
truth = collections.Counter(a['core:label'] for a in meta['annotations'])
samples = round(float(r) * 1e6 * d)
st = None
for line in open(f'{w}/{tag}.jsonl'):
    j = json.loads(line.split(' ', 1)[1])
    if j.get('type') == 'status':
        st = j
log = open(f'{w}/{tag}.log').read()
bad = []
if rc:
    bad.append(f'exit {rc}')
if st is None:
    bad.append('no status')
else:
    for s in st['sensors']:
        sid = s['id']
        if s['samples'] != samples or s['samples_dropped']:
            bad.append(f"{sid} samples {s['samples']}/{samples} dropped {s['samples_dropped']}")
        if s['droneid_decoded'] + s['droneid_failed'] < truth['droneid']:
            bad.append(f"{sid} DroneID attempts {s['droneid_decoded'] + s['droneid_failed']} < {truth['droneid']}")
        if s['bursts'] < truth['droneid'] + truth['elrs']:
            bad.append(f"{sid} bursts {s['bursts']}")
        heard = (s.get('ble_packets', 0) + s.get('ble_crc_fail', 0) +  # absent with BLE off
                 s.get('ble_squelch_cut', 0))
        if (ble == 'on') != (heard > 0):
            bad.append(f'{sid} BLE {heard} syncs with BLE {ble}')
        if not any(l.split()[2:4] == [sid, 'dji_droneid'] for l in log.splitlines()):
            bad.append(f'{sid} no dji_droneid emitter')
    if len(st['sensors']) != n:
        bad.append(f"{len(st['sensors'])} sensors")
net = wall - start
xrt = d / net if net > 0 else float('inf')
# per core, net of start-up: the 10 ms capture's CPU time and samples taken off
rate = n * (samples - round(float(r) * 1e4)) / max(cpu - start_cpu, 1e-3) / 1e6
print(f"{r:<5} {ble:<3} {n:<3} {th:<3} | {wall:7.2f} {start:7.2f} {xrt:6.2f} {cpu / wall:7.2f} "
      f"{rate:9.1f} {rss / 1024:8.1f} | {'ok' if not bad else 'FAILED: ' + '; '.join(bad)}")
open(f'{w}/{tag}.rate', 'w').write(f'{rate}\n')
sys.exit(1 if bad else 0)
EOT
      done
    done
  done
done
if [ "${SMOKE:-0}" != 1 ]; then
  fft_ceiling; FFT2=$FFT
  FFTM=$(awk -v a="$FFT1" -v b="$FFT2" 'BEGIN { print (a + b) / 2 }')
  echo "ratio to the FFT ceiling (MS/s per core / $FFTM MS/s per core FFT only):"
  for row in "${ROWS[@]}"; do
    read -r r ble n th d rc tag <<< "$row"
    [ -f "$tag.rate" ] || continue
    awk -v r="$r" -v b="$ble" -v n="$n" -v t="$th" -v f="$FFTM" -v x="$(cat "$tag.rate")" \
      'BEGIN { printf "  %s Msps BLE %s, %s sensors, %s threads: %.2f\n", r, b, n, t, x / f }'
  done
fi
rm -f ./*.jsonl
exit $fail
