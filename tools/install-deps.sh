#!/usr/bin/env bash
# Installs the Debian 12 packages skyguard needs to build, run and test (as root).
# Only packages that are missing are installed, so a second run is quick.
# Usage: tools/install-deps.sh [--fuzz] [--train]   (--fuzz adds clang + libFuzzer runtime,
# --train the camera classifier's training tools, see tools/train-camera.sh)
set -euo pipefail
pkgs=(build-essential cmake pkg-config git
      libliquid-dev libfftw3-dev libzmq3-dev libcjson-dev libcmocka-dev
      libsoapysdr-dev libpcap-dev tzdata
      libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev
      gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
      gstreamer1.0-libav)
for a in "$@"; do
  [[ "$a" == "--fuzz" ]] && pkgs+=(clang libclang-rt-14-dev)
  [[ "$a" == "--train" ]] && pkgs+=(python3 python3-numpy python3-sklearn)
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
