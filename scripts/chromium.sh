#!/usr/bin/env bash
# Prints the path of the Chromium the browser tests drive (CHROMIUM_PATH when set), installing
# Debian's chromium first when there is none (that needs root). Messages go to stderr.
#
#   CHROMIUM_PATH=$(scripts/chromium.sh); export CHROMIUM_PATH
set -euo pipefail
if [ -n "${CHROMIUM_PATH:-}" ]; then
  echo "$CHROMIUM_PATH"
  exit 0
fi
if ! command -v chromium >/dev/null; then
  echo "chromium.sh: installing chromium (Debian package)" >&2
  if [ "$(id -u)" != 0 ]; then echo "chromium.sh: need root to apt-get install chromium" >&2; exit 1; fi
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
command -v chromium
