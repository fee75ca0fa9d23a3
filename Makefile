# Refundflow: build, test and run. `make test` is the one command CI runs (.ci/run calls it).
SHELL := /bin/bash

# Every Lambda function: logical ID <Name>Function in template.yaml, code in functions/<kebab-name>.
FUNCTIONS := Web SubmitRequest RequestStatus RecordConsent Feedback StaffApi \
	VerifyConditions ProposeResolution RequestStaffReview RequestConsent ExecuteResolution Notify MarkNeedsAttention \
	AgreementPdf SendMail ResumeDecisions StripeWebhook SandboxPayments SandboxEvents

# kebab turns a function name into its directory: SubmitRequest -> submit-request.
kebab = $(shell echo '$(1)' | sed -E 's/([a-z0-9])([A-Z])/\1-\2/g' | tr 'A-Z' 'a-z')

GOBUILD := GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go build -tags lambda.norpc -trimpath -ldflags "-s -w -buildid="
ARTIFACTS_DIR ?= dist/$*

# STATICCHECK is pinned and run through `go run`, so nothing needs installing and every machine (and
# CI) reports the same findings. From an empty staticcheck cache it takes 2 to 3 minutes on 2 cores
# (it analyses every dependency too); with the cache warm, 1 to 2 seconds (keep ~/.cache/staticcheck
# between CI runs to pay the first cost once).
STATICCHECK := go run honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: test test-go flakes run lint package clean

## test: install what the full suite needs (dynalite, chromium, ...) and run every test, after lint. CI runs this.
test:
	./scripts/test-all.sh

## flakes: the timing-sensitive packages 10 times in random order, browsers and dynalite included
## (FLAKES_COUNT=n, FLAKES_ARGS=-race). Run it before resolving an issue that touches them.
flakes:
	./scripts/flakes.sh $(FLAKES_ARGS)

## test-go: plain go test; tests that need an outside tool skip with the reason.
test-go:
	go test ./...

## run: the whole system on 127.0.0.1 (AWS in a box).
run:
	go run ./infra/local

## lint: formatting (gofmt), go vet, go.mod and go.sum as `go mod tidy` leaves them (-diff prints
## what it would change), and staticcheck (pinned; a new finding fails `make test` and CI).
lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted"; exit 1; fi
	go vet ./...
	go mod tidy -diff
	$(STATICCHECK) ./...

# build-<LogicalId>: what `sam build` calls (BuildMethod: makefile) for each function.
build-%Function:
	$(GOBUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/$(call kebab,$*)

## package: every function built for Lambda and zipped under dist/<Name>.zip, without SAM (and
## without the zip binary: cmd/lambdazip), then each bootstrap's size and the total.
package:
	@rm -rf dist && mkdir -p dist
	@for f in $(FUNCTIONS); do \
		$(MAKE) --no-print-directory build-$${f}Function ARTIFACTS_DIR=dist/$$f || exit 1; \
	done
	@go run ./cmd/lambdazip dist

clean:
	rm -rf dist .aws-sam
