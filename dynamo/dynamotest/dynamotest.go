// Package dynamotest gives tests a real DynamoDB API to talk to, through the real SDK client: the local
// stack's own DynamoDB (infra/local/ddblocal in an httptest server) by default, and the endpoint in
// DYNAMODB_ENDPOINT (dynalite in CI, see scripts/dynalite.sh) when it is set. Run, the contract suite's
// runner, also runs every test on minidyn (github.com/truora/minidyn), the local stack's DynamoDB
// before ddblocal: a second, independent in-process implementation, so that a test cannot pass only
// because ddblocal and the test agree on something DynamoDB does not do.
//
// Every call that makes a table makes a new one with a unique name, created from
// dynamo.TableDefinition by dynamo.EnsureTable, so tests can run in parallel against one shared
// endpoint and each starts empty.
//
// Backends differ in what they implement. ddblocal has transactions, the TTL API and DynamoDB's limits
// and validation; minidyn has transactions but no TTL API; dynalite has no TransactWriteItems and no
// TTL API, but enforces DynamoDB's limits and validation (item size, 1 MB pages, expression errors)
// that minidyn does not. Tests say what they need:
//
//   - A test that needs a capability the backend lacks (Backend.RequireTransactions on dynalite) is
//     skipped on that backend only, with the reason; it still runs on ddblocal and minidyn.
//   - Tests of other packages use New (or Default), which picks a backend with transactions, so they
//     run on ddblocal in CI rather than being skipped on dynalite.
//   - A test that needs a backend that is not there (the DYNAMODB_ENDPOINT backend of Run when the
//     variable is unset) is skipped with the reason under plain `go test`, and fails when
//     REFUNDFLOW_REQUIRE_ALL=1 (CI), so CI cannot pass by silently skipping.
package dynamotest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	miniserver "github.com/truora/minidyn/server"

	"refundflow/awsenv/httpclient"
	"refundflow/dynamo"
	"refundflow/infra/local/ddblocal"
	"refundflow/testenv"
)

// EndpointEnv names the environment variable that points the tests at an external DynamoDB-compatible
// endpoint such as dynalite, e.g. "http://127.0.0.1:41234".
const EndpointEnv = "DYNAMODB_ENDPOINT"

// RequireAllEnv names the environment variable that turns "skipped because a backend is missing" into
// a failure. CI sets it to 1.
const RequireAllEnv = testenv.RequireAllEnv

// Backend is one DynamoDB implementation that tests can make tables on.
type Backend struct {
	// Name is "local" (ddblocal), "minidyn" or "endpoint" (the DYNAMODB_ENDPOINT backend); it names
	// Run's subtests.
	Name string
	// Client talks to the backend through the real SDK.
	Client *dynamodb.Client
	// Transactions reports whether the backend implements TransactWriteItems. It is probed, not assumed.
	Transactions bool
}

// Local starts a fresh in-process ddblocal engine, the local stack's DynamoDB, for the test (closed by
// t.Cleanup) and returns it as a Backend.
func Local(t testing.TB) *Backend {
	t.Helper()
	srv := httptest.NewServer(ddblocal.New(ddblocal.Options{}))
	t.Cleanup(srv.Close)
	return &Backend{Name: "local", Client: NewClient(srv.URL), Transactions: true}
}

// Minidyn starts a fresh in-process minidyn server for the test (closed by t.Cleanup) and returns it as
// a Backend. minidyn implements transactions, so every Store method works on it.
func Minidyn(t testing.TB) *Backend {
	t.Helper()
	srv := httptest.NewServer(miniserver.NewServer())
	t.Cleanup(srv.Close)
	return &Backend{Name: "minidyn", Client: NewClient(srv.URL), Transactions: true}
}

// Endpoint returns the backend at DYNAMODB_ENDPOINT, probing once per test binary whether it
// implements transactions. ok is false when the variable is unset.
func Endpoint(t testing.TB) (b *Backend, ok bool) {
	t.Helper()
	url := strings.TrimSpace(os.Getenv(EndpointEnv))
	if url == "" {
		return nil, false
	}
	client := NewClient(url)
	probe := probeTransactions(url, client)
	if probe.err != nil {
		t.Fatalf("probe %s=%s: %v", EndpointEnv, url, probe.err)
	}
	return &Backend{Name: "endpoint", Client: client, Transactions: probe.transactions}, true
}

// NewClient returns a DynamoDB client for a local test endpoint: fixed region and dummy credentials
// (local backends accept any signature); no response checksum validation, because minidyn's HTTP
// server does not send the CRC32 header the SDK checks by default (ddblocal does); the HTTP client
// of every AWS client (awsenv/httpclient), as in production; and no SDK retries, because a retry
// hides exactly the transport failures that turn a successful conditional write into a false
// conflict (see awsenv/httpclient). Local servers have no throttling or transient failures to retry.
func NewClient(endpoint string) *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{
		BaseEndpoint:                    aws.String(endpoint),
		Region:                          "us-east-1",
		Credentials:                     credentials.NewStaticCredentialsProvider("test", "test", ""),
		DisableValidateResponseChecksum: true,
		HTTPClient:                      httpclient.New(nil),
		RetryMaxAttempts:                1,
	})
}

// probeResult caches what Endpoint learned about an endpoint.
type probeResult struct {
	transactions bool
	err          error
}

var probes sync.Map // endpoint URL -> *probeOnce

type probeOnce struct {
	once   sync.Once
	result probeResult
}

// probeTransactions asks the endpoint to run a transaction against a table that does not exist. A
// backend with transactions answers ResourceNotFoundException (or a validation error about the table);
// one without answers UnknownOperationException.
func probeTransactions(url string, client *dynamodb.Client) probeResult {
	v, _ := probes.LoadOrStore(url, &probeOnce{})
	p := v.(*probeOnce)
	p.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, err := client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{
			TransactItems: []types.TransactWriteItem{{ConditionCheck: &types.ConditionCheck{
				TableName:           aws.String("refundflow-probe-does-not-exist"),
				Key:                 map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: "x"}, "SK": &types.AttributeValueMemberS{Value: "x"}},
				ConditionExpression: aws.String("attribute_exists(PK)"),
			}}},
		})
		var apiErr smithy.APIError
		switch {
		case err == nil:
			p.result = probeResult{transactions: true}
		case dynamo.IsUnsupportedOperation(err):
			p.result = probeResult{transactions: false}
		case errors.As(err, &apiErr):
			// ResourceNotFound, ValidationException, TransactionCanceled: the operation exists.
			p.result = probeResult{transactions: true}
		default:
			p.result = probeResult{err: fmt.Errorf("is the endpoint running? %w", err)}
		}
	})
	return p.result
}

// Table creates a new, empty table with a unique name on the backend, using dynamo.EnsureTable, and
// deletes it when the test ends.
func (b *Backend) Table(t testing.TB) string {
	t.Helper()
	name := tableName(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := dynamo.EnsureTable(ctx, b.Client, name); err != nil {
		t.Fatalf("create table %s on %s: %v", name, b.Name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		// Freeing the table keeps a long-lived dynalite small; a failure here is not the test's fault.
		_, _ = b.Client.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(name)})
	})
	return name
}

// RequireTransactions skips the test on a backend without TransactWriteItems (dynalite). This is a
// capability skip, not a missing backend: the same test runs on minidyn, so it never fails CI.
func (b *Backend) RequireTransactions(t testing.TB) {
	t.Helper()
	if !b.Transactions {
		t.Skipf("%s has no TransactWriteItems; this test runs on the in-process backends", b.Name)
	}
}

// Run runs f once per backend as subtests named after the backend: "local" and "minidyn" always, and
// "endpoint" for DYNAMODB_ENDPOINT. When DYNAMODB_ENDPOINT is unset the "endpoint" subtest is skipped
// with the reason, or fails if REFUNDFLOW_REQUIRE_ALL=1.
func Run(t *testing.T, f func(t *testing.T, b *Backend)) {
	t.Helper()
	t.Run("local", func(t *testing.T) {
		f(t, Local(t))
	})
	t.Run("minidyn", func(t *testing.T) {
		f(t, Minidyn(t))
	})
	t.Run("endpoint", func(t *testing.T) {
		b, ok := Endpoint(t)
		if !ok {
			Missing(t, EndpointEnv+" is not set; start dynalite with scripts/dynalite.sh and set "+EndpointEnv+" to the URL it prints")
			return
		}
		f(t, b)
	})
}

// Missing reports that the test cannot run because a backend is missing: it skips with the reason, or
// fails under REFUNDFLOW_REQUIRE_ALL=1 (testenv.Missing).
func Missing(t testing.TB, reason string) {
	t.Helper()
	testenv.Missing(t, reason)
}

// New returns a client and a fresh table for tests outside this package (handlers, workflows) on the
// default backend (see Default), which always has the whole API the store uses.
func New(t testing.TB) (*dynamodb.Client, string) {
	t.Helper()
	b := Default(t)
	return b.Client, b.Table(t)
}

// Default returns the DYNAMODB_ENDPOINT backend when it implements transactions, and a fresh ddblocal
// otherwise. CI points DYNAMODB_ENDPOINT at dynalite, which has no TransactWriteItems: falling back to
// ddblocal keeps handler and workflow tests running there instead of skipping them all. dynalite
// itself is covered by package dynamo's contract suite, which runs every backend through Run.
func Default(t testing.TB) *Backend {
	t.Helper()
	if b, ok := Endpoint(t); ok && b.Transactions {
		return b
	}
	return Local(t)
}

// tableName builds a valid, unique table name from the test's name: DynamoDB allows 3–255 characters
// of [a-zA-Z0-9_.-].
func tableName(t testing.TB) string {
	var b strings.Builder
	for _, r := range t.Name() {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '-', r == '.':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	base := b.String()
	if len(base) > 200 {
		base = base[:200]
	}
	var suffix [6]byte
	if _, err := rand.Read(suffix[:]); err != nil {
		t.Fatalf("random table suffix: %v", err)
	}
	return "t-" + base + "-" + hex.EncodeToString(suffix[:])
}
