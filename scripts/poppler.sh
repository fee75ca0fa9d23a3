#!/usr/bin/env bash
# Installs poppler-utils (pdftotext, pdftoppm), with which the tests read the signed agreement PDFs
# back, when they are missing (that needs root). Messages go to stderr.
set -euo pipefail
if command -v pdftotext >/dev/null && command -v pdftoppm >/dev/null; then
  exit 0
fi
echo "poppler.sh: installing poppler-utils (Debian package)" >&2
if [ "$(id -u)" != 0 ]; then echo "poppler.sh: need root to apt-get install poppler-utils" >&2; exit 1; fi
apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends poppler-utils >/dev/null
