#!/usr/bin/env bash
# The full test run (`make test`, and so CI): installs what the suite needs, starts the outside
# services on 127.0.0.1, and runs every test. Under REFUNDFLOW_REQUIRE_ALL=1 a test that would skip
# because an outside tool is missing fails instead, so a green run means everything really ran.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export REFUNDFLOW_REQUIRE_ALL=1
# step prints a heading with the seconds since the run began, so a slow step shows in CI's log.
started=$SECONDS
step() { printf '\n== %s (at %ds)\n' "$*" $((SECONDS - started)); }
trap 'printf "\n== done in %ds\n" $((SECONDS - started))' EXIT

step "formatting, vet, go.mod and staticcheck (make lint)"
make --no-print-directory lint

step "outside tools"
CHROMIUM_PATH=$(scripts/chromium.sh)
export CHROMIUM_PATH
scripts/poppler.sh
AXE_CORE_JS=$(scripts/axe.sh)
export AXE_CORE_JS
if [ ! -x .cache/asl-validator/node_modules/.bin/asl-validator ]; then
  npm install --prefix .cache/asl-validator --no-audit --no-fund --loglevel=error asl-validator@4
fi

step "services: dynalite and stripe-mock on 127.0.0.1"
cleanup() { scripts/dynalite.sh stop || true; scripts/stripe-mock.sh --stop || true; }
trap 'cleanup; printf "\n== done in %ds\n" $((SECONDS - started))' EXIT
DYNAMODB_ENDPOINT=$(scripts/dynalite.sh)
STRIPE_MOCK_URL=$(scripts/stripe-mock.sh)
export DYNAMODB_ENDPOINT STRIPE_MOCK_URL
echo "dynalite: $DYNAMODB_ENDPOINT  stripe-mock: $STRIPE_MOCK_URL"

step "state machine: asl-validator on refund.asl.json (placeholders filled first)"
go run ./cmd/aslcheck statemachine/refund.asl.json >.cache/refund.asl.resolved.json
.cache/asl-validator/node_modules/.bin/asl-validator --json-path .cache/refund.asl.resolved.json

step "go test -race (every package; minidyn, dynalite, stripe-mock, chromium)"
go test -race -count=1 ./...

step "fuzz targets, briefly"
scripts/fuzz-all.sh 5s

step "build every function for linux/arm64"
make --no-print-directory package
