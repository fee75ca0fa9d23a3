#!/usr/bin/env bash
# The full test run: installs what the suite needs, then runs every test.
# Under REFUNDFLOW_REQUIRE_ALL=1 a test that would skip for a missing outside tool fails instead.
set -euo pipefail
cd "$(dirname "$0")/.."
export REFUNDFLOW_REQUIRE_ALL=1

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go'))
if [ -n "$unformatted" ]; then echo "gofmt would change: $unformatted"; exit 1; fi
echo "== go vet"
go vet ./...
echo "== go test -race"
go test -race -count=1 ./...
