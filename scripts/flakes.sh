#!/usr/bin/env bash
# `make flakes`: runs the packages whose tests depend on timing (headless Chromium, the local Step
# Functions engine, concurrent writes, servers on 127.0.0.1) many times in random order, so that a
# flaky test shows up here rather than at random on main. Like the full run it sets
# REFUNDFLOW_REQUIRE_ALL=1, with Chromium and dynalite, so that no test skips.
#
#   scripts/flakes.sh            # 10 runs (FLAKES_COUNT=n for another number)
#   scripts/flakes.sh -race      # extra go test flags are passed on
#
# Run it before resolving an issue that touches these packages, and report its last line. The test
# timeout grows with the count (5 minutes a run): ten runs of the local stack take minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
export REFUNDFLOW_REQUIRE_ALL=1
count=${FLAKES_COUNT:-10}
packages=(./web ./internal/workflowtest ./internal/faulttest ./awsenv/lambdalog ./infra/local/stack
  ./infra/local/stepfunctions ./infra/local/outbox ./handler ./dynamo)

CHROMIUM_PATH=$(scripts/chromium.sh)
export CHROMIUM_PATH
scripts/poppler.sh
AXE_CORE_JS=$(scripts/axe.sh)
export AXE_CORE_JS
trap 'scripts/dynalite.sh stop || true' EXIT
DYNAMODB_ENDPOINT=$(scripts/dynalite.sh)
export DYNAMODB_ENDPOINT

mkdir -p .cache
out=.cache/flakes.log
start=$(date +%s)
status=0
go test -count="$count" -shuffle=on -timeout="$((count * 5))m" "$@" "${packages[@]}" 2>&1 | tee "$out" || status=$?
failures=$(grep -c '^--- FAIL' "$out" || true)
verdict=green
[ "$status" = 0 ] || verdict=FAILED
echo "flakes: $verdict: ${#packages[@]} packages x $count shuffled runs${*:+ ($*)}, $failures failed tests, $(($(date +%s) - start)) s wall (log: $out)"
exit "$status"
