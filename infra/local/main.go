// Command local runs the whole of Refundflow on this machine, AWS in a box: the web pages, the HTTP
// API, the Lambda handlers, the Step Functions workflow, DynamoDB and an email outbox, in one process
// on 127.0.0.1, built from template.yaml.
//
//	go run ./infra/local                      # http://127.0.0.1:8080
//	go run ./infra/local -addr 127.0.0.1:9000
//	go run ./infra/local -dynamodb-endpoint http://127.0.0.1:8000   # DynamoDB Local or dynalite
//
// Every flag has an environment variable equivalent (REFUNDFLOW_ADDR, REFUNDFLOW_DYNAMODB_ENDPOINT,
// REFUNDFLOW_LOG). Ctrl-C stops it cleanly. Everything is kept in memory (the embedded DynamoDB, the
// workflow executions, the outbox), so a restart begins afresh: there is no data directory, because
// the local Step Functions engine cannot carry running executions over a restart, and a table without
// its executions would leave requests that nothing moves on.
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
		Demo:             true,
		Logger:           slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level})),
	})
	if err != nil {
		return err
	}
	printBanner(stdout, s, *addr)
	<-ctx.Done()
	stop() // a second Ctrl-C during shutdown ends the process at once
	fmt.Fprintln(stdout, "\nStopping: finishing requests in flight (at most 5 s)...")
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Close(shutdown); err != nil {
		return fmt.Errorf("stop: %w", err)
	}
	if s.External {
		fmt.Fprintf(stdout, "Stopped. The table %s at %s keeps its items; the workflows were in memory and are gone.\n", s.TableName, s.DynamoDBURL)
	} else {
		fmt.Fprintln(stdout, "Stopped. Everything was in memory: the next start begins afresh.")
	}
	return nil
}

// printBanner tells a person where everything is and what to try.
func printBanner(w io.Writer, s *stack.Stack, addr string) {
	fmt.Fprintf(w, `Refundflow is running (AWS in a box). Ctrl-C stops it.

  Request form      %[1]s/
  Email outbox      %[1]s/_local/outbox/
  Staff console     %[1]s/staff   (token below)
  Local tools       %[1]s/_local/  (time travel, endpoints, demo orders)

Demo orders (fill the form with the order number, purchase date and email):
`, s.URL)
	for _, d := range s.Demo {
		fmt.Fprintf(w, "  %-8s %s  %-22s %s\n", d.Order.Number, d.Order.PurchaseDate, d.Order.Email, d.Try)
	}
	fmt.Fprintf(w, `
Time travel: curl -X POST %[1]s/_local/clock -d '{"advance":"7d"}'

AWS endpoints for outside tools (any credentials do: export AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local):
  aws dynamodb scan --table-name %[3]s --region %[2]s --endpoint-url %[4]s
  aws stepfunctions list-executions --state-machine-arn %[5]s --region %[2]s --endpoint-url %[6]s
  aws stepfunctions get-execution-history --execution-arn <executionArn> --region %[2]s --endpoint-url %[6]s
  SES v2 (its mail is in the outbox): %[7]s

Staff bearer token (staff console, or: curl -H "Authorization: Bearer $TOKEN" %[1]s/staff/api/requests?status=in_review):
%[8]s
`, s.URL, stack.Region, s.TableName, s.DynamoDBURL, s.StateMachineARN, s.StepFunctionsURL, s.SESURL, s.StaffToken)
	if s.ReusedTable {
		fmt.Fprintf(w, "\nNote: the table %s already existed at %s. Requests an earlier run left open have no\nworkflow any more (executions live in memory only): their links will not move them on, and their orders\ntake no new request. Delete the table for a clean start:\n  aws dynamodb delete-table --table-name %s --endpoint-url %s\n", s.TableName, s.DynamoDBURL, s.TableName, s.DynamoDBURL)
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
