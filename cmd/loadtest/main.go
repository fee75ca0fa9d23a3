// Command loadtest puts Refundflow under load over HTTP and checks that it keeps money and consent
// safe while it does:
//
//	go run ./cmd/loadtest                         # 2,000 requests, 50 clients, stack in process
//	go run ./cmd/loadtest -n 500 -c 20
//	go run ./cmd/loadtest -url http://127.0.0.1:8080 -token $TOKEN -billing-token $BILLING \
//	    -dynamodb $DDB -table $TABLE -sfn $SFN -state-machine $ARN   # a stack started with go run ./infra/local
//
// It puts -n orders through the staff API (and captures their payments at the sandbox provider), then
// -c clients submit one request per order as JSON with an Idempotency-Key (a share of them sends the
// same POST again, as a client retrying after a lost answer does), waits for the options emails, and
// -c clients open every consent link and accept (a share of them posts the acceptance twice). Beside
// it, in the same run, a bare net/http handler takes the same number of POSTs from the same number of
// clients: the ratio of the two is the result, not the absolute figures.
//
// At the end it checks: requests submitted = requests stored = executions started; each request has
// one terminal outcome (completed, with one move into a final status in its audit trail); refunds
// issued = consents accepted; refunded <= paid for every payment, at the provider and in the ledger;
// and no answer was a 5xx. It exits 1 if any does not hold.
//
// In process it runs every request on one stack (gateway, functions, engine, table, outbox), as AWS
// keeps one table: the local DynamoDB (infra/local/ddblocal) indexes its tables as DynamoDB does, so
// the stack's cost does not grow with its data (BENCHMARKS.md, "Storage scaling"). -per-stack N
// spreads the requests over stacks of N each, which the clients load all at once; the tool ran stacks
// of 25 while the local DynamoDB was minidyn, which scanned every item on each Query and copied the
// whole table on each TransactWriteItems.
//
// It talks to 127.0.0.1 only and is bounded in count (-n <= 20,000) and time (-timeout).
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"refundflow/awsenv/httpclient"
	"refundflow/cmd/loadtest/walk"
	"refundflow/dynamo"
	"refundflow/infra/local/outbox"
	"refundflow/infra/local/stack"
	"refundflow/payment/sandbox"
	"refundflow/refund"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "loadtest:", err)
		}
		os.Exit(1)
	}
}

// config is the command line.
type config struct {
	n, c                   int
	retryShare, twiceShare float64
	timeout                time.Duration
	seed                   uint64
	url, token             string
	billingToken           string
	dynamoDB, table        string
	sfnURL, machine        string
	cpuProfile             string
	perStack               int
}

func parseFlags(args []string, out io.Writer) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.IntVar(&cfg.n, "n", 2000, "requests to submit (one order each), at most 20000")
	fs.IntVar(&cfg.c, "c", 50, "concurrent clients, at most 500")
	fs.IntVar(&cfg.perStack, "per-stack", 0, "requests per in-process stack (0: one stack for all); see the package doc")
	fs.Float64Var(&cfg.retryShare, "retry", 0.2, "share of submissions POSTed a second time with the same Idempotency-Key")
	fs.Float64Var(&cfg.twiceShare, "twice", 0.1, "share of acceptances POSTed twice")
	fs.DurationVar(&cfg.timeout, "timeout", 10*time.Minute, "give up after this long")
	fs.Uint64Var(&cfg.seed, "seed", 1, "chooses which requests are retried and accepted twice")
	fs.StringVar(&cfg.url, "url", "", "a running stack's URL (default: start one in this process)")
	fs.StringVar(&cfg.token, "token", "", "with -url: the staff bearer token the stack printed")
	fs.StringVar(&cfg.billingToken, "billing-token", "", "with -url: the billing system's bearer token the stack printed (for the orders)")
	fs.StringVar(&cfg.dynamoDB, "dynamodb", "", "with -url: the stack's DynamoDB endpoint")
	fs.StringVar(&cfg.table, "table", "", "with -url: the stack's table")
	fs.StringVar(&cfg.sfnURL, "sfn", "", "with -url: the stack's Step Functions endpoint")
	fs.StringVar(&cfg.machine, "state-machine", "", "with -url: the refund state machine's ARN")
	fs.StringVar(&cfg.cpuProfile, "cpuprofile", "", "write a CPU profile of the run (stack in process included) to this file")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	switch {
	case cfg.n < 1 || cfg.n > 20000:
		return cfg, errors.New("-n must be 1 to 20000")
	case cfg.c < 1 || cfg.c > 500:
		return cfg, errors.New("-c must be 1 to 500")
	case cfg.retryShare < 0 || cfg.retryShare > 1 || cfg.twiceShare < 0 || cfg.twiceShare > 1:
		return cfg, errors.New("-retry and -twice are shares from 0 to 1")
	case cfg.timeout <= 0 || cfg.timeout > time.Hour:
		return cfg, errors.New("-timeout must be positive and at most 1h")
	case cfg.perStack < 0:
		return cfg, errors.New("-per-stack must not be negative")
	}
	if cfg.url != "" {
		for name, v := range map[string]string{"-token": cfg.token, "-billing-token": cfg.billingToken, "-dynamodb": cfg.dynamoDB, "-table": cfg.table, "-sfn": cfg.sfnURL, "-state-machine": cfg.machine} {
			if v == "" {
				return cfg, fmt.Errorf("with -url, %s is needed too (go run ./infra/local prints it)", name)
			}
		}
		for _, u := range []string{cfg.url, cfg.dynamoDB, cfg.sfnURL} {
			if err := loopback(u); err != nil {
				return cfg, err
			}
		}
	}
	return cfg, nil
}

// loopback refuses URLs that leave this machine: the tool sends thousands of requests.
func loopback(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("%q is not a URL", raw)
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%s is not on this machine: the load tool only talks to loopback addresses", raw)
	}
	return nil
}

// target is the stack under load and what the checks need to read it.
type target struct {
	url, token string
	ddb        *dynamodb.Client
	table      string
	sfn        *sfn.Client
	machine    string
	now        func() time.Time
	// settle waits until the workflows have nothing to run (in process only; nil otherwise).
	settle func(context.Context) error
	// mail returns every email sent.
	mail  func(context.Context) ([]outbox.Message, error)
	close func()
	// client walks requests through this stack.
	client *walk.Client
}

func startTarget(ctx context.Context, cfg config, client func(base, staffToken, billingToken string) *walk.Client) (*target, error) {
	if cfg.url == "" {
		s, err := stack.Start(ctx, stack.Config{Addr: "127.0.0.1:0", Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			return nil, err
		}
		return &target{client: client(s.URL, s.StaffToken, s.BillingToken),
			url: s.URL, token: s.StaffToken, ddb: s.DynamoDB, table: s.TableName, machine: s.StateMachineARN, now: s.Clock.Now,
			sfn:    sfn.New(sfn.Options{Region: stack.Region, BaseEndpoint: aws.String(s.StepFunctionsURL), Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""), HTTPClient: httpclient.New(nil)}),
			settle: s.Engine.WaitIdle,
			mail:   func(context.Context) ([]outbox.Message, error) { return s.Outbox.Messages(), nil },
			close: func() {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				s.Close(ctx)
			},
		}, nil
	}
	creds := credentials.NewStaticCredentialsProvider("local", "local", "")
	c := client(cfg.url, cfg.token, cfg.billingToken)
	return &target{client: c,
		url: cfg.url, token: cfg.token, table: cfg.table, machine: cfg.machine, now: time.Now,
		ddb: dynamodb.New(dynamodb.Options{Region: stack.Region, BaseEndpoint: aws.String(cfg.dynamoDB), Credentials: creds,
			DisableValidateResponseChecksum: true, HTTPClient: httpclient.New(nil)}),
		sfn:   sfn.New(sfn.Options{Region: stack.Region, BaseEndpoint: aws.String(cfg.sfnURL), Credentials: creds, HTTPClient: httpclient.New(nil)}),
		mail:  c.Outbox,
		close: c.Close,
	}, nil
}

// job is one order and what happened to its request.
type job struct {
	tg         *target
	order      refund.Order
	id, status string // request ID and status link code
	retried    bool
	accepted   bool // the first acceptance was recorded (303)
	twice      bool
	secondCode int // status of the second acceptance
}

func run(ctx context.Context, args []string, out io.Writer) error {
	cfg, err := parseFlags(args, out)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()
	started := time.Now()
	if cfg.cpuProfile != "" {
		f, err := os.Create(cfg.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}

	var rec atomic.Pointer[recorder]
	rec.Store(newRecorder())
	newClient := func(base, staffToken, billingToken string) *walk.Client {
		c := walk.NewClient(base, staffToken, billingToken)
		c.Record = func(call walk.Call) { rec.Load().record(call) }
		return c
	}
	stacks := 1
	if cfg.url == "" && cfg.perStack > 0 {
		stacks = (cfg.n + cfg.perStack - 1) / cfg.perStack
	}
	fmt.Fprintf(out, "Starting %d stack(s)...\n", stacks)
	targets := make([]*target, stacks)
	for i := range targets {
		tg, err := startTarget(ctx, cfg, newClient)
		if err != nil {
			for _, t := range targets[:i] {
				t.close()
			}
			return err
		}
		targets[i] = tg
	}
	defer func() {
		for _, tg := range targets {
			tg.client.Close()
			tg.close()
		}
	}()
	rng := rand.New(rand.NewPCG(cfg.seed, cfg.seed+1))

	// 1. Card payments taken at the sandbox provider, then the orders, as the billing system sends them.
	jobs := make([]*job, cfg.n)
	for i := range jobs {
		tg := targets[i%len(targets)]
		jobs[i] = &job{tg: tg, order: loadOrder(i, cfg.seed, tg.now().UTC()), retried: rng.Float64() < cfg.retryShare, twice: rng.Float64() < cfg.twiceShare}
	}
	var firstErr atomic.Pointer[error]
	fail := func(err error) {
		e := err
		firstErr.CompareAndSwap(nil, &e)
		cancel()
	}
	fmt.Fprintf(out, "Putting %d orders through the staff API...\n", cfg.n)
	parallel(cfg.c, jobs, func(j *job) {
		// The checkout at the sandbox provider first: the order route checks each order against its
		// payment there.
		_, err := sandbox.New(j.tg.ddb, j.tg.table).TakePayment(ctx, sandbox.Checkout{Reference: j.order.Payment.Reference,
			Amount: refund.Money{Amount: j.order.Paid, Currency: j.order.Currency}, CardLast4: j.order.Payment.CardHint})
		if err != nil {
			fail(fmt.Errorf("take the payment %s: %w", j.order.Payment.Reference, err))
			return
		}
		if _, err := j.tg.client.PutOrder(ctx, j.order); err != nil {
			fail(fmt.Errorf("order %s: %w", j.order.Number, err))
		}
	})
	if p := firstErr.Load(); p != nil {
		return *p
	}
	ordersRoute := rec.Load().summaries()

	// 2. The bare handler, same calls, same clients, same body size.
	fmt.Fprintf(out, "Measuring a bare net/http handler with %d POSTs from %d clients...\n", cfg.n, cfg.c)
	bare, err := measureBare(ctx, cfg, jobs)
	if err != nil {
		return err
	}

	// 3. Submissions.
	fmt.Fprintf(out, "Submitting %d requests from %d clients (%.0f%% POSTed twice with the same Idempotency-Key)...\n", cfg.n, cfg.c, cfg.retryShare*100)
	rec.Store(newRecorder())
	var replayMismatch atomic.Int64
	submitStart := time.Now()
	parallel(cfg.c, jobs, func(j *job) {
		v := j.tg.client.NewVisitor()
		sub := refund.Submission{OrderNumber: j.order.Number, PurchaseDate: j.order.PurchaseDate, Email: j.order.Email, Name: j.order.CustomerName,
			Kind: string(refund.KindRefund), Reason: string(refund.ReasonChangedMind), Details: "Load test: please cancel."}
		key := fmt.Sprintf("loadtest-%d-%s", cfg.seed, j.order.Number)
		id, code, err := submitRetrying(ctx, v, sub, key)
		if err != nil {
			fail(fmt.Errorf("submit %s: %w", j.order.Number, err))
			return
		}
		j.id, j.status = id, code
		if j.retried {
			again, _, err := submitRetrying(ctx, v, sub, key)
			if err != nil {
				fail(fmt.Errorf("submit %s again: %w", j.order.Number, err))
				return
			}
			if again != id {
				replayMismatch.Add(1)
			}
		}
	})
	if p := firstErr.Load(); p != nil {
		return *p
	}
	submitTook := time.Since(submitStart)

	// 4. The options emails.
	fmt.Fprintln(out, "Waiting for every options email...")
	codes := map[string]string{}
	for _, tg := range targets {
		c, err := waitForOffers(ctx, tg, jobs)
		if err != nil {
			return err
		}
		for k, v := range c {
			codes[k] = v
		}
	}

	// 5. Acceptances.
	fmt.Fprintf(out, "Accepting %d offers from %d clients (%.0f%% posted twice)...\n", cfg.n, cfg.c, cfg.twiceShare*100)
	acceptStart := time.Now()
	parallel(cfg.c, jobs, func(j *job) {
		v := j.tg.client.NewVisitor()
		code := codes[j.order.Number]
		p, err := v.OpenConsent(ctx, code)
		if err != nil || p.Status != http.StatusOK {
			fail(fmt.Errorf("consent page of %s: %d %v", j.id, p.Status, err))
			return
		}
		choice := 0
		for i, c := range p.Choices {
			if strings.Contains(c, "-"+string(refund.OfferFullRefund)+"|") {
				choice = i
			}
		}
		st, err := v.Accept(ctx, code, p, choice, j.order.CustomerName)
		if err != nil {
			fail(fmt.Errorf("accept %s: %w", j.id, err))
			return
		}
		j.accepted = st == http.StatusSeeOther
		if j.twice {
			if j.secondCode, err = v.Accept(ctx, code, p, choice, j.order.CustomerName); err != nil {
				fail(fmt.Errorf("accept %s again: %w", j.id, err))
			}
		}
	})
	if p := firstErr.Load(); p != nil {
		return *p
	}
	acceptTook := time.Since(acceptStart)

	fmt.Fprintln(out, "Waiting for every refund...")
	for _, tg := range targets {
		if err := waitForOutcomes(ctx, tg, jobs); err != nil {
			return err
		}
	}

	// Report.
	fmt.Fprintf(out, "\n%d requests from %d clients on %d stack(s): submitted in %v (%.0f requests/s), accepted in %v (%.0f/s); %v in all.\n\n",
		cfg.n, cfg.c, len(targets), submitTook.Round(time.Millisecond), float64(cfg.n)/submitTook.Seconds(), acceptTook.Round(time.Millisecond),
		float64(cfg.n)/acceptTook.Seconds(), time.Since(started).Round(time.Millisecond))
	printTable(out, bare, append(ordersRoute, rec.Load().summaries()...))
	fmt.Fprintln(out)
	if !checkInvariants(ctx, out, targets, jobs, rec.Load(), replayMismatch.Load()) {
		return errors.New("an invariant does not hold")
	}
	return nil
}

// loadOrder is the i-th order of the run: a project bought three days ago, inside the cooling-off
// period, below the review threshold, so the policy offers a full refund at once.
func loadOrder(i int, seed uint64, today time.Time) refund.Order {
	n := fmt.Sprintf("LT%d-%05d", seed, i)
	return refund.Order{Number: n, CustomerName: "Load Tester", Email: strings.ToLower(n) + "@example.com",
		PurchaseDate: today.AddDate(0, 0, -3).Format(refund.DateLayout), Currency: "EUR", Paid: 180000, Status: refund.OrderActive,
		Payment: refund.Payment{Provider: sandbox.Provider, Reference: "pi_" + strings.ToLower(n), CardHint: "4242", ThreeDSecure: true, Captured: true},
		Service: refund.Service{Type: refund.ServiceProject, Project: &refund.Project{Milestones: []refund.Milestone{
			{Name: "Discovery", Price: 60000, Status: refund.MilestoneNotStarted},
			{Name: "Build", Price: 120000, Status: refund.MilestoneNotStarted},
		}}}}
}

// parallel runs f for every job on c workers.
func parallel(c int, jobs []*job, f func(*job)) {
	ch := make(chan *job)
	var wg sync.WaitGroup
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range ch {
				f(j)
			}
		}()
	}
	for _, j := range jobs {
		ch <- j
	}
	close(ch)
	wg.Wait()
}

// submitRetrying submits, sending the same POST again (same Idempotency-Key) after a 5xx, as the
// API's 503 answer asks; every 5xx still counts against the run.
func submitRetrying(ctx context.Context, v *walk.Visitor, sub refund.Submission, key string) (id, code string, err error) {
	for attempt := 1; ; attempt++ {
		a, c, err := v.SubmitJSON(ctx, sub, key)
		if err == nil {
			return a.RequestID, c, nil
		}
		if walk.StatusOf(err) < 500 || attempt == 5 {
			return "", "", err
		}
		select {
		case <-ctx.Done():
			return "", "", ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// measureBare sends n POSTs of a submission's size from c clients to a handler that only reads the
// body and answers like the API does.
func measureBare(ctx context.Context, cfg config, jobs []*job) (summary, error) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusAccepted)
		io.WriteString(w, `{"requestId":"req-00000000-aaaaaaaaaaaaaaaaaaaa","status":"submitted","statusUrl":"http://127.0.0.1/requests/x?t=y"}`)
	}))
	defer srv.Close()
	body, _ := json.Marshal(refund.Submission{OrderNumber: jobs[0].order.Number, PurchaseDate: jobs[0].order.PurchaseDate, Email: jobs[0].order.Email,
		Name: "Load Tester", Kind: "refund", Reason: "changed_mind", Details: "Load test: please cancel."})
	client := &http.Client{Transport: &http.Transport{Proxy: nil, MaxIdleConns: 1024, MaxIdleConnsPerHost: 1024}, Timeout: 30 * time.Second}
	defer client.CloseIdleConnections()
	var mu sync.Mutex
	var lat []time.Duration
	var failed error
	start := time.Now()
	parallel(cfg.c, jobs, func(*job) {
		t0 := time.Now()
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/requests", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		d := time.Since(t0)
		mu.Lock()
		defer mu.Unlock()
		if err != nil && failed == nil {
			failed = err
		}
		lat = append(lat, d)
	})
	if failed != nil {
		return summary{}, fmt.Errorf("bare handler: %w", failed)
	}
	return summarize("bare net/http handler (POST)", lat, time.Since(start), map[int]int{http.StatusAccepted: len(lat)}), nil
}

// waitForOffers waits until every request's options email was sent and returns the consent codes by
// order number.
func waitForOffers(ctx context.Context, tg *target, jobs []*job) (map[string]string, error) {
	if tg.settle != nil {
		if err := tg.settle(ctx); err != nil {
			return nil, fmt.Errorf("the workflows did not settle: %w", err)
		}
	}
	for {
		msgs, err := tg.mail(ctx)
		if err != nil {
			return nil, err
		}
		codes := map[string]string{}
		for _, m := range msgs {
			if number, ok := strings.CutPrefix(m.Subject, "Your options for order "); ok {
				codes[strings.Fields(number)[0]] = walk.ConsentCode(m)
			}
		}
		missing := 0
		for _, j := range jobs {
			if j.tg == tg && codes[j.order.Number] == "" {
				missing++
			}
		}
		if missing == 0 {
			return codes, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("%d requests got no options email: %w", missing, ctx.Err())
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// waitForOutcomes waits until every request reached a final status.
func waitForOutcomes(ctx context.Context, tg *target, jobs []*job) error {
	if tg.settle != nil {
		if err := tg.settle(ctx); err != nil {
			return fmt.Errorf("the workflows did not settle: %w", err)
		}
	}
	store := dynamo.New(tg.ddb, tg.table)
	for {
		open := 0
		for _, j := range jobs {
			if j.tg != tg {
				continue
			}
			r, err := store.GetRequest(ctx, j.id)
			if err != nil {
				return fmt.Errorf("read request %s: %w", j.id, err)
			}
			if !r.Status.Terminal() && r.Status != refund.StatusNeedsAttention {
				open++
			}
		}
		if open == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%d requests did not reach a final status: %w", open, ctx.Err())
		case <-time.After(250 * time.Millisecond):
		}
	}
}
