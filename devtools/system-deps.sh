#!/usr/bin/env bash
# Debian packages the tests and `make bench` need: Redis, Chromium (for Playwright), PostgreSQL 15,
# Node.js, the DejaVu fonts, wrk (the benchmarks' load generator).
# Installs only what is missing; needs root (CI and these machines run as root).
set -euo pipefail
missing=()
[ -x /usr/bin/redis-server ] || missing+=(redis-server)
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || missing+=(chromium)
[ -x /usr/lib/postgresql/15/bin/initdb ] || missing+=(postgresql-15)
command -v node >/dev/null || missing+=(nodejs npm)
# the DPA's PDF embeds DejaVu Sans (the demo's and the tests' SELFSERVICE_DPA_FONTS)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core)
[ -x /usr/bin/wrk ] || missing+=(wrk)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "Please install: ${missing[*]} (e.g. sudo apt-get install -y ${missing[*]})" >&2
  exit 1
fi
echo "Installing ${missing[*]} ..."
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
