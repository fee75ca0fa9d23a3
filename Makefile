# Refundflow build and test entry points. `make test` is the one command CI runs.
SHELL := /bin/bash

.PHONY: test test-go run
test:
	CI=$${CI:-true} ./scripts/test-all.sh

test-go:
	go test ./...

run:
	go run ./infra/local
