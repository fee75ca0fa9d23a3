// Command coldstart measures each Lambda function's cold start: it builds every function of
// template.yaml as Lambda runs it (bootstrap, CGO_ENABLED=0, -tags lambda.norpc, -trimpath,
// -ldflags "-s -w"), for this machine's architecture, and runs each one as its own process under a
// small stand-in for the Lambda Runtime API (runtimeapi.go), with its environment pointing at a local
// stack started in this process. It reports, per function and beside the binary's size, the time from
// starting the process to its first GET .../invocation/next (init) and to its answer to the first
// invocation (cold start), the median of -runs runs. One function per process, invocations one at a
// time, everything on 127.0.0.1.
//
//	go run ./cmd/coldstart                 # 5 runs each
//	go run ./cmd/coldstart -runs 11
//
// The first invocation does real work against the stack (a DynamoDB read at least): a status page
// with a wrong code, a workflow step on a request that waits for consent, and so on. Each process
// reads its configuration from the environment like in Lambda (lambdaenv.FromProcess) and calls AWS's
// real endpoint names over TLS; HTTPS_PROXY sends those calls to a local proxy that answers for them
// with the stand-ins (proxy.go), so the TLS handshakes are part of the cold start. The functions'
// AWS clients trust the proxy's CA through AWS_CA_BUNDLE, a file holding it beside the Amazon Trust
// Services roots they embed, so they parse what they parse in Lambda plus one certificate. No
// SSL_CERT_FILE is set: code that fell back to the system's roots would fail the TLS handshake
// instead of hiding their cost.
//
//	go run ./cmd/coldstart -only 'Web|Notify'        # some functions only (a regexp on logical IDs)
//	go run ./cmd/coldstart -runs 1 -godebug inittrace=1,gctrace=1        # and their runtime traces
//	go run ./cmd/coldstart -runs 11 -before /tmp/main   # and each function as built from another tree
//
// -before DIR builds every measured function a second time from the module in DIR (a worktree or an
// export of the commit before a change) and starts both builds in the same rounds, so that a change
// is measured before and after under the same load; the rows of DIR's builds say "(before)". DIR's
// builds get this stack's variables, plus those only DIR's template sets: a secret only it declares
// (the CSRF secret before it was removed) gets a random value of its own, so they start as they did.
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
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"refundflow"
	"refundflow/cmd/loadtest/walk"
	"refundflow/handler"
	"refundflow/infra/local/ddblocal"
	"refundflow/infra/local/samtemplate"
	"refundflow/infra/local/secretslocal"
	"refundflow/infra/local/stack"
	"refundflow/mail"
	"refundflow/refund"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "coldstart:", err)
		}
		os.Exit(1)
	}
}

// target is the cold start the issue asks for.
const target = 15 * time.Millisecond

// beforeSuffix marks the builds from -before's tree in the results.
const beforeSuffix = " (before)"

// beforeBin is where the build of function id from -before's tree goes.
func beforeBin(dir, id string) string { return filepath.Join(dir, "before", id, "bootstrap") }

// result is one function's figures.
type result struct {
	id              string
	size            int64
	init, coldStart []time.Duration
	kinds           map[string]int
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fset := flag.NewFlagSet("coldstart", flag.ContinueOnError)
	fset.SetOutput(out)
	runs := fset.Int("runs", 5, "cold starts per function (the median is reported)")
	godebug := fset.String("godebug", "", "GODEBUG for the functions (e.g. inittrace=1,gctrace=1); each one's stderr of the last run is printed (the figures then include the tracing)")
	pkgs := map[string]string{}
	fset.Func("pkg", "`ID=./path`: build function ID from this main package instead of its own (an instrumented or older copy, for experiments); repeatable", func(v string) error {
		id, path, ok := strings.Cut(v, "=")
		if !ok || id == "" || path == "" {
			return errors.New("want ID=./path")
		}
		pkgs[id] = path
		return nil
	})
	only := fset.String("only", "", "measure only the functions whose logical ID matches this regexp (the baseline always runs)")
	before := fset.String("before", "", "`DIR` of another copy of the module (e.g. the commit before a change): also build each function from it and measure both in the same rounds")
	if err := fset.Parse(args); err != nil {
		return err
	}
	if *runs < 1 || *runs > 50 {
		return errors.New("-runs must be 1 to 50")
	}
	selected, err := regexp.Compile(*only)
	if err != nil {
		return fmt.Errorf("-only: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()

	root, err := moduleRoot()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "coldstart-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	// The functions, in template order, and their binaries.
	tmpl, err := samtemplate.LoadFS(refundflow.Files, "template.yaml")
	if err != nil {
		return err
	}
	all, err := tmpl.Functions()
	if err != nil {
		return err
	}
	var fns []samtemplate.Function
	for _, f := range all {
		if selected.MatchString(f.LogicalID) {
			fns = append(fns, f)
		}
	}
	fmt.Fprintf(out, "Building %d functions for linux/%s...\n", len(fns), runtime.GOARCH)
	sizes := map[string]int64{}
	for _, f := range fns {
		bin := filepath.Join(dir, f.LogicalID, "bootstrap")
		pkg, ok := pkgs[f.LogicalID]
		if !ok {
			pkg = "./functions/" + kebab(strings.TrimSuffix(f.LogicalID, "Function"))
		} else {
			fmt.Fprintf(out, "%s from %s\n", f.LogicalID, pkg)
		}
		if sizes[f.LogicalID], err = buildPath(ctx, root, pkg, bin); err != nil {
			return err
		}
		if *before != "" {
			if sizes[f.LogicalID+beforeSuffix], err = buildPath(ctx, *before, "./functions/"+kebab(strings.TrimSuffix(f.LogicalID, "Function")), beforeBin(dir, f.LogicalID)); err != nil {
				return fmt.Errorf("-before: %w", err)
			}
		}
	}

	// The baseline: an empty aws-lambda-go function, built the same way.
	emptyBin := filepath.Join(dir, "empty", "bootstrap")
	emptySize, err := buildPath(ctx, root, "./cmd/coldstart/testdata/empty", emptyBin)
	if err != nil {
		return err
	}

	// The stack the functions talk to, with a request waiting for consent for the workflow steps.
	s, requestID, markID, err := startStack(ctx)
	if err != nil {
		return err
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		s.Close(ctx)
	}()

	// -before's tree may read variables and secrets this template no longer has (an older version's
	// secret read at start): they get values of their own, and its other variables the stack's.
	secretsURL := s.SecretsManagerURL
	var beforeEnv map[string]map[string]string
	if *before != "" {
		secrets := &beforeSecrets{store: secretslocal.New(), ids: map[string]bool{}}
		if beforeEnv, err = beforeEnvironments(*before, s.Environment, secrets); err != nil {
			return err
		}
		router, err := secrets.router(s.SecretsManagerURL)
		if err != nil {
			return err
		}
		srv := httptest.NewServer(router)
		defer srv.Close()
		secretsURL = srv.URL
	}
	proxy, err := newAWSProxy(dir, map[string]string{
		"dynamodb": s.DynamoDBURL, "states": s.StepFunctionsURL, "email": s.SESURL, "secretsmanager": secretsURL,
	})
	if err != nil {
		return err
	}
	defer proxy.Close()
	// AWS_CA_BUNDLE replaces the roots the functions embed: give them those roots and the proxy's CA.
	bundle := filepath.Join(dir, "aws-ca-bundle.pem")
	if err := writeBundle(bundle, filepath.Join(root, "awsenv", "lambdaenv", "amazon-trust-services.pem"), proxy.caFile); err != nil {
		return err
	}

	// Every round starts each function once, the baseline first, so that the load of this shared
	// machine, which changes over a run, weighs on every function alike.
	type subject struct {
		f     samtemplate.Function
		bin   string
		env   map[string]string
		event []byte
		r     *result
	}
	subjects := []subject{{
		f: samtemplate.Function{LogicalID: "EmptyFunction", MemorySize: 128}, bin: emptyBin, event: []byte(`{}`),
		r: &result{id: "(baseline: empty aws-lambda-go function)", size: emptySize, kinds: map[string]int{}},
	}}
	for _, f := range fns {
		// MarkNeedsAttention moves its request out of the consent wait, so it gets a request of its own.
		id := requestID
		if f.LogicalID == "MarkNeedsAttentionFunction" {
			id = markID
		}
		ev, err := firstEvent(f.LogicalID, id)
		if err != nil {
			return err
		}
		subjects = append(subjects, subject{f: f, bin: filepath.Join(dir, f.LogicalID, "bootstrap"), env: s.Environment[f.LogicalID], event: ev,
			r: &result{id: f.LogicalID, size: sizes[f.LogicalID], kinds: map[string]int{}}})
		if *before != "" {
			subjects = append(subjects, subject{f: f, bin: beforeBin(dir, f.LogicalID), env: beforeEnv[f.LogicalID], event: ev,
				r: &result{id: f.LogicalID + beforeSuffix, size: sizes[f.LogicalID+beforeSuffix], kinds: map[string]int{}}})
		}
	}
	for i := 0; i < *runs; i++ {
		for _, sub := range subjects {
			init, cold, kind, stderr, err := coldStart(ctx, sub.bin, sub.f, sub.env, proxy, bundle, *godebug, sub.event)
			if err != nil {
				return fmt.Errorf("%s: %w\n%s", sub.f.LogicalID, err, stderr)
			}
			if *godebug != "" && i == *runs-1 {
				fmt.Fprintf(out, "\n%s, last run, stderr:\n%s", sub.r.id, stderr)
			}
			sub.r.init = append(sub.r.init, init)
			sub.r.coldStart = append(sub.r.coldStart, cold)
			sub.r.kinds[kind]++
		}
	}
	var results []result
	for _, sub := range subjects {
		results = append(results, *sub.r)
	}
	printResults(out, results, *runs)
	return nil
}

// moduleRoot finds the repository (go.mod of module refundflow).
func moduleRoot() (string, error) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}").Output()
	if err != nil {
		return "", fmt.Errorf("find the module root (run from inside the repository): %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

var upperAfterLower = regexp.MustCompile(`([a-z0-9])([A-Z])`)

// kebab turns a function name into its directory, as the Makefile does: SubmitRequest → submit-request.
func kebab(name string) string {
	return strings.ToLower(upperAfterLower.ReplaceAllString(name, "$1-$2"))
}

// buildPath builds the main package at pkg (relative to root) as a bootstrap.
func buildPath(ctx context.Context, root, pkg, out string) (int64, error) {
	cmd := exec.CommandContext(ctx, "go", "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags", "-s -w -buildid=", "-o", out, pkg)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
	if msg, err := cmd.CombinedOutput(); err != nil {
		return 0, fmt.Errorf("build %s: %v\n%s", pkg, err, msg)
	}
	st, err := os.Stat(out)
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}

// startStack starts the local stack (its DynamoDB, which sends the X-Amz-Crc32 header as DynamoDB
// does and the functions' SDK clients check, on an endpoint of its own) with the demo orders, and
// submits two requests that park for consent: one for the workflow steps, one for MarkNeedsAttention,
// which takes its request out of the wait.
func startStack(ctx context.Context) (s *stack.Stack, requestID, markID string, err error) {
	ddb := httptest.NewServer(ddblocal.New(ddblocal.Options{}))
	s, err = stack.Start(ctx, stack.Config{Addr: "127.0.0.1:0", DynamoDBEndpoint: ddb.URL, Demo: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		ddb.Close()
		return nil, "", "", err
	}
	fail := func(err error) (*stack.Stack, string, string, error) {
		s.Close(ctx)
		return nil, "", "", err
	}
	if len(s.Demo) < 2 {
		return fail(errors.New("the local stack's demo has fewer than two orders"))
	}
	c := walk.NewClient(s.URL, s.StaffToken, s.BillingToken)
	defer c.Close()
	var ids []string
	for _, d := range s.Demo[:2] {
		o := d.Order
		ans, _, err := c.NewVisitor().SubmitJSON(ctx, refund.Submission{OrderNumber: o.Number, PurchaseDate: o.PurchaseDate, Email: o.Email,
			Kind: string(refund.KindRefund), Reason: string(refund.ReasonChangedMind)}, "")
		if err != nil {
			return fail(err)
		}
		ids = append(ids, ans.RequestID)
	}
	if err := s.Engine.WaitIdle(ctx); err != nil {
		return fail(err)
	}
	return s, ids[0], ids[1], nil
}

// firstEvent is the first invocation's payload: a workflow step on the waiting request, or an HTTP
// request that reads the table.
func firstEvent(id, requestID string) ([]byte, error) {
	task := func(in handler.TaskInput) ([]byte, error) {
		in.RequestID = requestID
		in.ExecutionArn = "arn:aws:states:us-east-1:123456789012:execution:RefundWorkflow:" + requestID
		return json.Marshal(in)
	}
	httpEvent := func(method, routePath, path, query string, params map[string]string, body string) ([]byte, error) {
		e := events.APIGatewayV2HTTPRequest{
			Version: "2.0", RouteKey: method + " " + routePath, RawPath: path, RawQueryString: query, PathParameters: params,
			Headers: map[string]string{"host": "127.0.0.1", "user-agent": "coldstart", "accept": "text/html"},
			RequestContext: events.APIGatewayV2HTTPRequestContext{RouteKey: method + " " + routePath, RequestID: "coldstart", Stage: "$default",
				HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: method, Path: path, Protocol: "HTTP/1.1", SourceIP: "127.0.0.1", UserAgent: "coldstart"}},
		}
		if body != "" {
			e.Headers["content-type"] = "application/json"
			e.Body = body
		}
		if strings.HasPrefix(path, "/staff/api") {
			e.Headers["accept"] = "application/json"
			e.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
				JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: map[string]string{"sub": "staff-1", "cognito:groups": "[staff]"}},
			}
		}
		return json.Marshal(e)
	}
	wrongCode := "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	switch id {
	case "WebFunction":
		return httpEvent("GET", "/", "/", "", nil, "")
	case "SubmitRequestFunction":
		return httpEvent("POST", "/requests", "/requests", "", nil, `{"order_number":"RF-1001","purchase_date":"2025-01-01","email":"nobody@example.com","kind":"refund","reason":"changed_mind"}`)
	case "RequestStatusFunction":
		return httpEvent("GET", "/requests/{id}", "/requests/"+requestID, "t="+wrongCode, map[string]string{"id": requestID}, "")
	case "RecordConsentFunction":
		return httpEvent("GET", "/consent/{code}", "/consent/"+wrongCode, "", map[string]string{"code": wrongCode}, "")
	case "FeedbackFunction":
		return httpEvent("GET", "/feedback/{code}", "/feedback/"+wrongCode, "", map[string]string{"code": wrongCode}, "")
	case "StripeWebhookFunction":
		// An event with a signature that does not verify: answered 400 before the table is read
		// (the signing secret was read at init).
		return httpEvent("POST", "/webhooks/stripe", "/webhooks/stripe", "", nil, `{"id":"evt_coldstart","type":"refund.updated"}`)
	case "StaffApiFunction":
		return httpEvent("GET", "/staff/api/requests", "/staff/api/requests", "status=awaiting_consent", nil, "")
	case "VerifyConditionsFunction", "ProposeResolutionFunction", "ExecuteResolutionFunction":
		return task(handler.TaskInput{})
	case "RequestStaffReviewFunction":
		return task(handler.TaskInput{TaskToken: "coldstart-token"})
	case "RequestConsentFunction":
		return task(handler.TaskInput{TaskToken: "coldstart-token", Phase: handler.PhaseRemind})
	case "NotifyFunction":
		return task(handler.TaskInput{Event: handler.EventReceived})
	case "SendMailFunction":
		// A staff reply to a client's question, as StaffApi sends it: written and sent through SES.
		return json.Marshal(handler.SendMailInput{Kind: mail.KindReply, Data: mail.Data{To: "client@example.com", OrderNumber: "RF-1042",
			RequestID: requestID, StatusCode: wrongCode, StaffMessage: "Your refund is on its way."}})
	case "AgreementPdfFunction":
		// A PDF made from a consent as Notify sends it: the function's whole work.
		return json.Marshal(handler.AgreementPdfInput{
			Company: refund.Company{Name: "Northwind IT Services", SupportEmail: "support@northwind.example", Address: "12 Harbour Street"},
			Consent: refund.Consent{RequestID: requestID, Decision: refund.DecisionAccept, OfferID: "full_refund", AgreementText: "I accept a full refund of EUR 120.00.",
				TypedName: "Ana Lopez", IP: "203.0.113.7", UserAgent: "coldstart", At: time.Date(2025, 3, 3, 14, 5, 9, 0, time.UTC)},
			OrderNumber: "RF-1042", PolicyVersion: "2025-06-default"})
	case "MarkNeedsAttentionFunction":
		return task(handler.TaskInput{Error: "ColdStart"})
	case "ResumeDecisionsFunction", "SandboxEventsFunction":
		// The scheduled sweep lists the pending decisions, the sandbox's deliverer its outbox (a
		// DynamoDB query each), nothing in them here.
		return json.Marshal(events.EventBridgeEvent{Version: "0", ID: "coldstart", DetailType: "Scheduled Event", Source: "aws.events",
			AccountID: stack.AccountID, Region: stack.Region, Detail: json.RawMessage(`{}`)})
	case "SandboxPaymentsFunction":
		return httpEvent("GET", "/sandbox/payments", "/sandbox/payments", "", nil, "")
	}
	return nil, fmt.Errorf("no first event for %s", id)
}

// coldStart starts the function's process under a fresh Runtime API and returns the time to its
// first request for work (init) and to its answer to the first invocation.
func coldStart(ctx context.Context, bin string, f samtemplate.Function, vars map[string]string, proxy *awsProxy, caBundle, godebug string, event []byte) (init, cold time.Duration, kind, stderrText string, err error) {
	api := newRuntimeAPI(fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", stack.Region, stack.AccountID, f.LogicalID), event)
	srv := httptest.NewServer(api)
	defer srv.Close()
	memory := f.MemorySize
	if memory == 0 {
		memory = 128
	}
	env := []string{
		"AWS_LAMBDA_RUNTIME_API=" + strings.TrimPrefix(srv.URL, "http://"),
		"AWS_REGION=" + stack.Region, "AWS_DEFAULT_REGION=" + stack.Region,
		"AWS_ACCESS_KEY_ID=local", "AWS_SECRET_ACCESS_KEY=local", "AWS_SESSION_TOKEN=local",
		"AWS_LAMBDA_FUNCTION_NAME=" + f.LogicalID, "AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=" + strconv.Itoa(memory), "_HANDLER=bootstrap", "TZ=:UTC",
		"LAMBDA_TASK_ROOT=" + filepath.Dir(bin), "HOME=" + filepath.Dir(bin),
		"AWS_EC2_METADATA_DISABLED=true",
		// The function calls AWS's real endpoints over TLS; the proxy answers for them.
		"HTTPS_PROXY=" + proxy.URL(), "AWS_CA_BUNDLE=" + caBundle,
	}
	if godebug != "" {
		env = append(env, "GODEBUG="+godebug)
	}
	for k, v := range vars {
		env = append(env, k+"="+v)
	}
	cmd := exec.Command(bin)
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.Stdout = io.Discard
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, "", "", err
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
		stderrText = stderr.String() // complete once Wait has returned
	}()
	exited := make(chan struct{})
	go func() {
		cmd.Process.Wait()
		close(exited)
	}()
	select {
	case a := <-api.answers:
		if a.kind == "init/error" {
			return 0, 0, "", "", fmt.Errorf("init failed: %s", a.body)
		}
		return api.initDone().Sub(start), a.at.Sub(start), a.kind, "", nil
	case <-exited:
		return 0, 0, "", "", errors.New("the process exited before answering")
	case <-time.After(20 * time.Second):
		return 0, 0, "", "", errors.New("no answer within 20 s")
	case <-ctx.Done():
		return 0, 0, "", "", ctx.Err()
	}
}

// writeBundle writes the PEM files from into one bundle file at path.
func writeBundle(path string, from ...string) error {
	var b []byte
	for _, f := range from {
		pem, err := os.ReadFile(f)
		if err != nil {
			return fmt.Errorf("CA bundle: %w", err)
		}
		b = append(append(b, pem...), '\n')
	}
	return os.WriteFile(path, b, 0o600)
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func msf(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d)/float64(time.Millisecond)) }

// printResults prints the table (Markdown) and whether each function meets the target. The first
// result is the baseline; "above baseline" is each median cold start minus the baseline's, the part a
// function adds to what process start and the runtime client cost on this machine.
func printResults(out io.Writer, rs []result, runs int) {
	fmt.Fprintf(out, "\nlinux/%s, %d cold starts per function (median; min–max of the cold start):\n\n", runtime.GOARCH, runs)
	fmt.Fprintln(out, "| function | bootstrap size | init (start → first /next) | cold start (start → first answer) | min–max | above baseline | first answer | under 15 ms |")
	fmt.Fprintln(out, "|---|---:|---:|---:|---:|---:|---|---|")
	base := median(rs[0].coldStart)
	for i, r := range rs {
		lo, hi := slices.Min(r.coldStart), slices.Max(r.coldStart)
		kinds := make([]string, 0, len(r.kinds))
		for k, n := range r.kinds {
			kinds = append(kinds, fmt.Sprintf("%s×%d", k, n))
		}
		slices.Sort(kinds)
		ok := "yes"
		if median(r.coldStart) >= target {
			ok = "**no**"
		}
		above := "—"
		if i > 0 {
			above = fmt.Sprintf("+%s ms", msf(median(r.coldStart)-base))
		}
		fmt.Fprintf(out, "| %s | %.1f MB | %s ms | %s ms | %s–%s ms | %s | %s | %s |\n", r.id, float64(r.size)/(1<<20),
			msf(median(r.init)), msf(median(r.coldStart)), msf(lo), msf(hi), above, strings.Join(kinds, " "), ok)
	}
}
