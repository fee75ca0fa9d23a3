#!/usr/bin/env bash
# Runs every fuzz target in the module for a short time each (default 5s): `scripts/fuzz-all.sh 30s`.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${1:-5s}
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  targets=$(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' || true)
  for t in $targets; do
    echo "fuzz $pkg $t ($fuzztime)"
    out=$(go test -run '^$' -fuzz "^$t\$" -fuzztime "$fuzztime" -fuzzminimizetime 2s "$pkg" 2>&1) || { echo "$out"; exit 1; }
  done
done
