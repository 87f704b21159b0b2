#!/usr/bin/env bash
# Installs the Debian 12 packages skyguard needs to build, run and test (as root).
# Only packages that are missing are installed, so a second run is quick.
# Usage: tools/install-deps.sh [--fuzz] [--train]   (--fuzz adds clang + libFuzzer runtime,
# --train the camera classifier's training tools, see tools/train-camera.sh)
# It also installs the operator map's npm packages (web/package-lock.json: Leaflet,
# and puppeteer-core for the browser test; no browser is downloaded) into web/node_modules.
set -euo pipefail
pkgs=(build-essential cmake pkg-config git
      libliquid-dev libfftw3-dev libzmq3-dev libcjson-dev libcmocka-dev
      libsoapysdr-dev libpcap-dev libsodium-dev tzdata
      libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev
      gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
      gstreamer1.0-libav
      libxml2-dev libmosquitto-dev mosquitto mosquitto-clients
      libmicrohttpd-dev curl libcurl4-openssl-dev
      libproj-dev proj-data libprotobuf-c-dev protobuf-c-compiler
      libssl-dev openssl nodejs chromium tmux
      python3-jsonschema) # python3-jsonschema: tests/feed_schema_check.py (docs/feed-schema.json)
for a in "$@"; do
  [[ "$a" == "--fuzz" ]] && pkgs+=(clang libclang-rt-14-dev)
  [[ "$a" == "--train" ]] && pkgs+=(python3 python3-numpy python3-sklearn python3-torch)
done
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "install-deps: missing packages: ${missing[*]}; run as root (or with sudo)" >&2
    exit 1
  fi
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "install-deps: all packages present"
fi
# The operator map's JavaScript packages, exactly as pinned in web/package-lock.json.
# nodesource's nodejs bundles npm; Debian's nodejs needs the separate npm package
# (installing that one beside nodesource's nodejs would conflict, hence the check).
if ! command -v npm >/dev/null; then
  if [[ $(id -u) -ne 0 ]]; then
    echo "install-deps: npm missing; run as root (or with sudo)" >&2
    exit 1
  fi
  apt-get install -y -qq --no-install-recommends npm
fi
web_dir="$(cd "$(dirname "$0")/.." && pwd)/web"
stamp="$web_dir/node_modules/.sg-installed-lock"
if cmp -s "$web_dir/package-lock.json" "$stamp"; then
  echo "install-deps: web/node_modules up to date"
else
  echo "install-deps: npm ci in web/ (Leaflet, puppeteer-core; no browser download)"
  (cd "$web_dir" && PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund --ignore-scripts)
  cp "$web_dir/package-lock.json" "$stamp"
fi
