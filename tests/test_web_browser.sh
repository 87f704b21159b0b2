#!/usr/bin/env bash
# ctest wrapper of the operator map's browser test (tests/web_browser.mjs): skips
# (exit 77) with a message where node, Chromium or the npm packages are missing.
# Usage: test_web_browser.sh SOURCE_DIR BINARY_DIR
set -euo pipefail
src=$1 bin=$2
chromium=${SG_CHROMIUM:-/usr/bin/chromium}
if ! command -v node >/dev/null; then
  echo "skip: node not installed (tools/install-deps.sh)"; exit 77
fi
if [[ ! -x "$chromium" ]]; then
  echo "skip: no Chromium at $chromium (apt-get install chromium, or set SG_CHROMIUM)"; exit 77
fi
if [[ ! -d "$src/web/node_modules/puppeteer-core" || ! -d "$src/web/node_modules/leaflet" ]]; then
  echo "skip: web/node_modules missing (run tools/install-deps.sh: npm ci in web/)"; exit 77
fi
exec node "$src/tests/web_browser.mjs" "$src" "$bin" "$chromium"
