#!/usr/bin/env bash
# Installs axe-core (the accessibility rules engine, npm package axe-core@4) into .cache/axe-core under
# the repository (gitignored) the first time, and prints the path of axe.min.js on stdout, which the
# browser tests inject into each page they check (localpagetest.AxeScript reads AXE_CORE_JS, or finds it there).
# Messages go to stderr.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="$root/.cache/axe-core"
js="$dir/node_modules/axe-core/axe.min.js"
if [ ! -f "$js" ]; then
  command -v npm >/dev/null || { echo "axe.sh: npm is not installed; axe-core is installed with npm" >&2; exit 1; }
  echo "axe.sh: installing axe-core@4 into $dir" >&2
  mkdir -p "$dir"
  npm install --prefix "$dir" --no-audit --no-fund --loglevel=error axe-core@4 >&2
fi
echo "$js"
