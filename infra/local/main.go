// Command local runs the whole of Refundflow on this machine, AWS in a box: the web pages, the HTTP
// API, the Lambda handlers, the Step Functions workflow, DynamoDB and an email outbox, in one process
// on 127.0.0.1, built from template.yaml.
//
//	go run ./infra/local                      # http://127.0.0.1:8080
//	go run ./infra/local -addr 127.0.0.1:9000
//	go run ./infra/local -data .refundflow    # keep the state across restarts
//	go run ./infra/local -dynamodb-endpoint http://127.0.0.1:8000   # DynamoDB Local or dynalite
//
// Every flag has an environment variable equivalent (REFUNDFLOW_ADDR, REFUNDFLOW_DATA,
// REFUNDFLOW_DYNAMODB_ENDPOINT, REFUNDFLOW_LOG). Ctrl-C stops it cleanly.
//
// Without -data everything is in memory (the embedded DynamoDB, the workflow executions, the outbox)
// and a restart begins afresh. With -data DIR (created if missing) the stack keeps its state in
// DIR/refundflow-state.json: the table, the workflows with their waiting tasks, timers and history,
// the outbox, the generated secrets and the staff token's signing key, and the time-travel offset. It
// is saved when the stack stops and every few seconds while something changes, and the next start on
// the same directory carries on: links in old emails still work, the printed staff token is still
// valid, and a consent period that ended while the stack was down expires at once. A state file that
// cannot be read is reported in one line, with what to do; it is never overwritten.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"refundflow/infra/local/stack"
)

func main() {
	err := run(os.Args[1:], os.Stdout, os.Stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		// -h printed the usage; asking for help is not a failure.
	case err != nil:
		fmt.Fprintln(os.Stderr, "refundflow:", err)
		os.Exit(1)
	}
}

// run parses the flags, starts the stack, prints where to go and waits for Ctrl-C.
func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("local", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", envOr("REFUNDFLOW_ADDR", "127.0.0.1:8080"), "address of the web pages and the HTTP API (env REFUNDFLOW_ADDR)")
	data := fs.String("data", os.Getenv("REFUNDFLOW_DATA"), "keep the state in this directory across restarts, created if missing (env REFUNDFLOW_DATA)")
	ddb := fs.String("dynamodb-endpoint", os.Getenv("REFUNDFLOW_DYNAMODB_ENDPOINT"), "use this DynamoDB endpoint (DynamoDB Local, dynalite) instead of the embedded one (env REFUNDFLOW_DYNAMODB_ENDPOINT)")
	logLevel := fs.String("log", envOr("REFUNDFLOW_LOG", "warn"), "log level of the functions' JSON logs on stderr: debug, info, warn, error (env REFUNDFLOW_LOG)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (flags start with -; see -h)", fs.Arg(0))
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("-log: %w", err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	s, err := stack.Start(ctx, stack.Config{
		Addr:             *addr,
		DynamoDBEndpoint: *ddb,
		DataDir:          *data,
		Demo:             true,
		Logger:           slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level})),
	})
	if err != nil {
		return err
	}
	printBanner(ctx, stdout, s, *addr)
	<-ctx.Done()
	stop() // a second Ctrl-C during shutdown ends the process at once
	fmt.Fprintln(stdout, "\nStopping: finishing requests in flight (at most 5 s)...")
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Close(shutdown); err != nil {
		return fmt.Errorf("stop: %w", err)
	}
	switch {
	case s.DataDir != "" && s.External:
		fmt.Fprintf(stdout, "Stopped. The workflows, outbox and keys are saved in %s and the table %s at %s keeps its items: start with -data %[1]s to carry on.\n", s.DataDir, s.TableName, s.DynamoDBURL)
	case s.DataDir != "":
		fmt.Fprintf(stdout, "Stopped. Everything is saved in %s: start with -data %[1]s to carry on.\n", s.DataDir)
	case s.External:
		fmt.Fprintf(stdout, "Stopped. The table %s at %s keeps its items; the workflows were in memory and are gone.\n", s.TableName, s.DynamoDBURL)
	default:
		fmt.Fprintln(stdout, "Stopped. Everything was in memory: the next start begins afresh.")
	}
	return nil
}

// printBanner tells a person where everything is and what to try. The demo orders are described as
// they stand on the stack's clock now, which time travel kept in a data directory may have moved.
func printBanner(ctx context.Context, w io.Writer, s *stack.Stack, addr string) {
	fmt.Fprintf(w, "Refundflow is running (AWS in a box). Ctrl-C stops it.\n")
	switch {
	case s.Restored:
		fmt.Fprintf(w, "State kept in %s: carrying on from the state saved at %s.\n", s.DataDir, s.SavedAt.UTC().Format("2006-01-02 15:04:05 MST"))
	case s.DataDir != "":
		fmt.Fprintf(w, "State kept in %s (new): it is saved as it changes and on Ctrl-C.\n", s.DataDir)
	}
	if off := s.Clock.Offset(); off > 0 {
		fmt.Fprintf(w, "Time travel: the stack's clock is %s ahead of the wall clock, at %s.\n", stack.FormatOffset(off), s.Clock.Now().UTC().Format("2006-01-02 15:04 MST"))
	}
	fmt.Fprintf(w, `
  Request form      %[1]s/
  Email outbox      %[1]s/_local/outbox/
  Staff console     %[1]s/staff   (sign in as a demo agent or the supervisor)
  Local tools       %[1]s/_local/  (time travel, endpoints, demo orders)
  Payments          %[1]s/_local/payments  (take a card payment at the sandbox, then send its order)
  Payment provider  %[1]s/_local/provider/  (a refund failing later, a dispute, a dashboard refund)
`, s.URL)
	if demos := s.DemoStatus(ctx); len(demos) > 0 {
		fmt.Fprintf(w, `
Demo orders: fill the form with the order number, purchase date and email. Under each, what asking for a
refund because %q leads to on %s, the stack's today (Local tools keeps this up to date):
`, stack.DemoReason.Label(), demos[0].Today)
		for _, d := range demos {
			fmt.Fprintf(w, "  %-8s %-10s  %-22s %s\n", d.Order.Number, d.Order.PurchaseDate, d.Order.Email, d.About)
			fmt.Fprintf(w, "  %-8s %-10s  %-22s → %s\n", "", "", "", d.Outcome)
		}
	}
	fmt.Fprintf(w, `
Time travel: curl -X POST %[1]s/_local/clock -d '{"advance":"7d"}'

AWS endpoints for outside tools (any credentials do: export AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local):
  aws dynamodb scan --table-name %[3]s --region %[2]s --endpoint-url %[4]s
  aws stepfunctions list-executions --state-machine-arn %[5]s --region %[2]s --endpoint-url %[6]s
  aws stepfunctions get-execution-history --execution-arn <executionArn> --region %[2]s --endpoint-url %[6]s
  SES v2 (its mail is in the outbox): %[7]s

Staff bearer token, for the API with curl (the console signs in by itself): curl -H "Authorization: Bearer $TOKEN" %[1]s/staff/api/requests?status=in_review
%[8]s

Supervisor's bearer token (a second member of staff: confirms decisions above the four-eyes limit, EUR 2,000.00):
%[10]s

Billing system's bearer token (client credentials, scope refundflow/orders.write; only PUT %[1]s/staff/api/orders/{number} takes it):
%[9]s
`, s.URL, stack.Region, s.TableName, s.DynamoDBURL, s.StateMachineARN, s.StepFunctionsURL, s.SESURL, s.StaffToken, s.BillingToken, s.SupervisorToken)
	switch {
	case s.ReusedTable && !s.Restored:
		fmt.Fprintf(w, "\nNote: the table %s already existed at %s. Requests an earlier run left open have no\nworkflow any more (it kept its workflows in memory only; -data DIR keeps them): their links will not move\nthem on, and their orders take no new request. Delete the table for a clean start:\n  aws dynamodb delete-table --table-name %s --endpoint-url %s\n", s.TableName, s.DynamoDBURL, s.TableName, s.DynamoDBURL)
	case s.External && s.Restored && !s.ReusedTable:
		fmt.Fprintf(w, "\nNote: the table %s did not exist at %s, but %s holds workflows of an earlier run: their\nrequests are gone from the table, so those workflows will fail. Move %[3]s away for a clean start.\n", s.TableName, s.DynamoDBURL, s.DataDir)
	}
	if s.Restored && s.PreviousURL != "" && s.PreviousURL != s.URL {
		fmt.Fprintf(w, "\nNote: the earlier run was at %s; the links in its emails point there. Open them with %s instead\n(same path and query), or start with -addr %s.\n", s.PreviousURL, s.URL, strings.TrimPrefix(s.PreviousURL, "http://"))
	}
	if !loopback(addr) {
		fmt.Fprintf(w, "\nNote: -addr %s is reachable from other machines. The staff API needs the token, but the\nlocal pages (outbox, time travel) do not: use this only on a network you trust.\n", addr)
	}
}

// loopback reports whether addr (host:port) listens on this machine only.
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// envOr returns the environment variable name, or def when it is unset or empty.
func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
