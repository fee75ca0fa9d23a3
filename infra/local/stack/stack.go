// Package stack is "AWS in a box": it starts, in one process and on 127.0.0.1 only, stand-ins that
// speak the same APIs as the AWS services Refundflow uses, and wires the real handlers to them from
// template.yaml — the same file SAM deploys — so the local system cannot drift from the deployed one.
//
//   - DynamoDB: the local DynamoDB (infra/local/ddblocal) served over HTTP (or an external endpoint
//     such as dynalite or DynamoDB Local), with the template's tables created from their definitions
//     and TTL's background deletion run on the stack's clock (ttl.go).
//   - Step Functions: the local ASL engine (infra/local/stepfunctions) with the template's state
//     machines, their DefinitionSubstitutions resolved to the in-process functions.
//   - Lambda: every AWS::Serverless::Function built by its awsenv builder from the environment the
//     template gives it, invoked through aws-lambda-go's lambda.Handler exactly as in Lambda.
//   - API Gateway HTTP API: every HttpApi event becomes a route of the local gateway, with the JWT
//     authorizer backed by a local issuer.
//   - SES v2: the outbox, which keeps every email.
//   - Payments: the sandbox gateway, on the table, with a way to take card payments at it
//     (/_local/payments, payments.go).
//
// The function code has no local mode: it only gets other endpoints. With Config.DataDir the stack keeps
// its state (table, workflows, outbox, keys, clock) in a directory across restarts (persist.go).
package stack

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"refundflow"
	"refundflow/awsenv"
	"refundflow/awsenv/httpclient"
	"refundflow/infra/local/ddblocal"
	"refundflow/infra/local/gateway"
	"refundflow/infra/local/localpage"
	"refundflow/infra/local/outbox"
	"refundflow/infra/local/samtemplate"
	"refundflow/infra/local/secretslocal"
	"refundflow/infra/local/stepfunctions"
)

// The AWS account the stand-ins pretend to be.
const (
	Region    = "us-east-1"
	AccountID = "123456789012"
	stackName = "refundflow"
)

// Local values of the template's parameters that have no default or whose default is for AWS.
const (
	localMailFrom        = "refunds@refundflow.local"
	localStaffEmail      = "staff@refundflow.local"
	localSupervisorEmail = "supervisor@refundflow.local"
	localStaffDomain     = "refundflow-local"
	staffTokenTTL        = 400 * 24 * time.Hour // outlives any amount of time travel a person tries
)

// Config says how to start the stack. The zero value starts everything embedded on 127.0.0.1:8080.
type Config struct {
	// Addr is where the web pages and the HTTP API listen (default 127.0.0.1:8080; port 0 picks one).
	Addr string
	// DynamoDBEndpoint points at an external DynamoDB (DynamoDB Local, dynalite) instead of the
	// embedded one (infra/local/ddblocal); its tables are created if missing.
	DynamoDBEndpoint string
	// Files holds template.yaml and the state machine definitions it names (default: the copies
	// embedded in the binary, refundflow.Files).
	Files fs.FS
	// Parameters overrides template parameters (PublicBaseUrl defaults to the stack's own URL).
	Parameters map[string]string
	// Demo loads the demo orders.
	Demo bool
	// Logger receives the stack's and the functions' logs (default: discard).
	Logger *slog.Logger
	// DataDir keeps the stack's state across restarts (persist.go): created if missing, restored at
	// start, saved on Close and every SaveInterval while something changed. Empty: all in memory.
	DataDir string
	// SaveInterval is how often the state is saved while it changes (default DefaultSaveInterval).
	SaveInterval time.Duration
	// EventDelivery is how often the sandbox payment provider's waiting events are sent to
	// POST /webhooks/stripe (default DefaultEventDelivery; negative: never, and tests send them with
	// DeliverEvents). Changes made through the provider page are sent at once either way.
	EventDelivery time.Duration
}

// Stack is a running local system. Close stops it.
type Stack struct {
	// URL is the base URL of the web pages and the HTTP API, e.g. http://127.0.0.1:8080.
	URL string
	// DynamoDBURL, StepFunctionsURL, SESURL, SecretsManagerURL and LambdaURL are the endpoints outside
	// tools can use (aws --endpoint-url ...).
	DynamoDBURL, StepFunctionsURL, SESURL, SecretsManagerURL, LambdaURL string
	// TableName is the table the functions use.
	TableName string
	// External reports that DynamoDB is an outside endpoint (Config.DynamoDBEndpoint), which keeps its
	// items when the stack stops; ReusedTable, that the table was already there at start. Without a data
	// directory (Config.DataDir) the workflow executions are in memory only, so requests an earlier run
	// left open have no workflow.
	External, ReusedTable bool
	// StateMachineARN is the refund workflow's ARN on the local engine.
	StateMachineARN string
	// StaffToken is a bearer token the staff routes accept: a staff member's ID token.
	StaffToken string
	// SupervisorToken is a second staff member's token (the demo supervisor, subject local-supervisor):
	// a decision above the four-eyes limit made with StaffToken is confirmed with this one.
	SupervisorToken string
	// BillingToken is the billing system's bearer token: a client-credentials access token of the
	// billing app client, with the scope the order route requires (and no other route accepts).
	BillingToken string
	// StaffIssuer is the iss of both tokens (the user pool's issuer URL as the template builds it).
	StaffIssuer string
	// SignInURL is the stand-in of the staff user pool's hosted sign-in (signin.go), where the staff
	// console signs in: URL + SignInPath.
	SignInURL string
	// Demo lists the demo orders loaded at start (nil without Config.Demo).
	Demo []DemoOrder
	// Outbox holds every email sent.
	Outbox *outbox.Outbox
	// Engine is the Step Functions engine.
	Engine *stepfunctions.Engine
	// Clock is the stack's clock; Advance moves it forward (time travel).
	Clock *stepfunctions.AdjustableClock
	// DynamoDB is a client for the stack's DynamoDB.
	DynamoDB *dynamodb.Client
	// Routes lists the gateway's routes ("GET /requests/{id}" → function logical ID).
	Routes map[string]string
	// Functions lists the logical IDs of the functions the stack built.
	Functions []string
	// Substitutions holds the state machine's resolved DefinitionSubstitutions.
	Substitutions map[string]string
	// Environment holds each function's environment variables as the template resolves them locally
	// (function logical ID → name → value): what its builder read.
	Environment map[string]map[string]string
	// DataDir is Config.DataDir. Restored reports that the stack carried on from the state saved
	// there (at SavedAt, by a stack at PreviousURL, where the links of its emails point).
	DataDir     string
	Restored    bool
	SavedAt     time.Time
	PreviousURL string

	log       *slog.Logger
	persist   *persister       // the data directory, if any (persist.go)
	ddb       *ddblocal.Engine // the embedded DynamoDB (nil with an external endpoint)
	ttl       *ttlSweeper      // TTL's background deletion on the embedded DynamoDB (ttl.go)
	schedules *scheduler       // template Schedule events on Clock (schedule.go)
	gw        *gateway.Gateway
	signIn    *signIn // the hosted sign-in's stand-in (nil when the template has no console app client)
	listeners []net.Listener
	web       *http.Server
	backends  []*http.Server
	done      sync.WaitGroup

	webhookSecret string             // StripeWebhookSecret's value, which the sandbox signs with
	deliverMu     sync.Mutex         // one delivery of the sandbox's events at a time
	deliverFn     lambda.Handler     // the template's SandboxEventsFunction (provider.go), nil without it
	deliverer     *providerDeliverer // the background delivery (provider.go)
}

// Start builds and starts the stack. It returns once every listener is up and the demo data (if
// asked for) is loaded; the servers stop with Close.
func Start(ctx context.Context, cfg Config) (_ *Stack, err error) {
	s := &Stack{Clock: &stepfunctions.AdjustableClock{}, Outbox: outbox.New(), log: cfg.Logger}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	defer func() {
		if err != nil {
			for _, ln := range s.listeners {
				ln.Close() // the ones a server already owns are closed again, harmlessly
			}
			s.Close(context.Background())
		}
	}()
	if cfg.Files == nil {
		cfg.Files = refundflow.Files
	}
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:8080"
	}
	if err := s.openDataDir(cfg); err != nil {
		return nil, err
	}

	// Listeners first, so every URL is known before the template is resolved and a taken port is
	// reported before anything else happens. Until a server owns a listener, a failed start closes it.
	web, err := s.listen(cfg.Addr)
	if err != nil {
		return nil, err
	}
	s.URL = baseURL(web.Addr())
	s.SignInURL = s.URL + SignInPath
	sfnLn, err := s.listen("127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	sesLn, err := s.listen("127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	smLn, err := s.listen("127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	lambdaLn, err := s.listen("127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s.StepFunctionsURL = "http://" + sfnLn.Addr().String()
	s.SESURL = "http://" + sesLn.Addr().String()
	s.SecretsManagerURL = "http://" + smLn.Addr().String()
	s.LambdaURL = "http://" + lambdaLn.Addr().String()
	s.DynamoDBURL = strings.TrimRight(cfg.DynamoDBEndpoint, "/")
	s.External = s.DynamoDBURL != ""
	var ddbLn net.Listener
	if s.DynamoDBURL == "" {
		if ddbLn, err = s.listen("127.0.0.1:0"); err != nil {
			return nil, err
		}
		s.DynamoDBURL = "http://" + ddbLn.Addr().String()
	}

	tmpl, err := samtemplate.LoadFS(cfg.Files, "template.yaml")
	if err != nil {
		return nil, err
	}

	awsCfg := aws.Config{
		Region:      Region,
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
		HTTPClient:  httpclient.New(nil), // as in AWS (lambdaenv.LambdaConfig)
	}
	s.DynamoDB = dynamodb.NewFromConfig(awsCfg, func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String(s.DynamoDBURL)
		o.DisableValidateResponseChecksum = true
	})
	s.Outbox.Now = s.Clock.Now
	engineOpts := stepfunctions.Options{Clock: s.Clock, DynamoDB: s.DynamoDB, Region: Region, AccountID: AccountID, Logger: s.log}
	if s.persist != nil {
		engineOpts.Admit = s.admit // saves wait for the tasks running (persister.gate)
	}
	s.Engine = stepfunctions.New(engineOpts)

	if ddbLn != nil {
		s.ddb = ddblocal.New(ddblocal.Options{Region: Region, AccountID: AccountID})
		s.serve(ddbLn, s.countWrites(s.ddb), false)
	}
	s.serve(sfnLn, s.Engine.Handler(), false)
	s.serve(lambdaLn, s.Engine.LambdaHandler(), false)
	s.serve(sesLn, s.Outbox.SESHandler(), false)
	vault, err := s.secrets(tmpl)
	if err != nil {
		return nil, err
	}
	s.serve(smLn, vault, false)

	res := s.resolver(tmpl, s.parameters(cfg.Parameters))
	if err := res.Check(); err != nil {
		return nil, fmt.Errorf("template.yaml parameters: %w", err)
	}
	s.keepParameters(res.Parameters)
	if err := s.createTables(ctx, tmpl, res); err != nil {
		return nil, err
	}
	if err := s.createStateMachines(tmpl, res, cfg.Files); err != nil {
		return nil, err
	}
	handlers, err := s.buildFunctions(ctx, tmpl, res, awsCfg)
	if err != nil {
		return nil, err
	}
	s.serializeDelivery(handlers)
	if err := s.restoreData(ctx); err != nil {
		return nil, err
	}
	if s.gw, err = s.gateway(tmpl, res, handlers); err != nil {
		return nil, err
	}
	if err := s.startSchedules(tmpl, handlers); err != nil {
		return nil, err
	}

	mux := http.NewServeMux()
	mux.Handle(outbox.PagePath, s.Outbox.PageHandler())
	mux.Handle(outbox.PagePath+"/", s.Outbox.PageHandler())
	mux.HandleFunc("/_local/clock", s.clockHandler)
	mux.HandleFunc(PaymentsPath, s.paymentsHandler)
	mux.HandleFunc(PaymentsPath+"/", s.paymentsHandler)
	mux.Handle(localpage.StylePath, localpage.StyleHandler())
	if s.signIn != nil {
		mux.Handle(SignInPath+"/", s.signIn)
	}
	mux.HandleFunc(ProviderPath, s.providerHandler)
	mux.HandleFunc("/_local/", s.indexHandler)
	mux.Handle("/", s.gw)

	if err := s.loadDemo(ctx, cfg.Demo); err != nil {
		return nil, err
	}
	// Last, so that nobody can submit a form for a demo order that is not stored yet.
	s.serve(web, mux, true)
	s.startSaving(cfg.SaveInterval)
	s.startTTL()
	s.startDelivery(cfg.EventDelivery)
	return s, nil
}

// Endpoints points a function's AWS clients at the stack's stand-ins.
func (s *Stack) Endpoints() awsenv.Endpoints {
	return awsenv.Endpoints{DynamoDB: s.DynamoDBURL, StepFunctions: s.StepFunctionsURL, SES: s.SESURL, SecretsManager: s.SecretsManagerURL, Lambda: s.LambdaURL}
}

// baseURL is the URL of the web listener for links: a listener on every interface (-addr :8080) is
// reached through the loopback address, because "http://[::]:8080" is no address a browser can open
// from an email.
func baseURL(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "http://" + addr.String()
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// listen opens a TCP listener, turning "address already in use" into a message a person can act on,
// and remembers it so that a failed Start closes it.
func (s *Stack) listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		return nil, fmt.Errorf("%s is already in use (another Refundflow, or another program): stop it or pick another address with -addr", addr)
	}
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	s.listeners = append(s.listeners, ln)
	return ln, nil
}

// serve runs an HTTP server on ln until Close. The web server (the gateway and the local pages) is
// kept apart from the AWS stand-ins, because Close stops it first.
func (s *Stack) serve(ln net.Listener, h http.Handler, web bool) {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)}
	if web {
		s.web = srv
	} else {
		s.backends = append(s.backends, srv)
	}
	s.done.Add(1)
	go func() {
		defer s.done.Done()
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("server stopped", "addr", ln.Addr().String(), "error", err)
		}
	}()
}

// Close stops the stack in the order that loses no work in flight: first the web server (no new
// requests; requests in flight finish until ctx ends), then the engine (running task invocations
// are cancelled and awaited), and last the AWS stand-ins those invocations were still calling.
// Without a data directory everything is in memory, so what was stored is gone afterwards; with one,
// the workflows are first given until ctx ends to finish the tasks in flight, and the state is saved
// before the stand-ins stop (a task still running is saved as to be run again).
func (s *Stack) Close(ctx context.Context) error {
	s.stopSchedules() // no scheduled invocation starts or runs on while the rest stops
	s.stopTTL()
	s.stopDelivery() // before the web server, which it posts to
	var errs []error
	shutdown := func(srv *http.Server) {
		if err := srv.Shutdown(ctx); err != nil {
			errs = append(errs, err)
			srv.Close()
		}
	}
	if s.web != nil {
		shutdown(s.web)
	}
	s.stopSaving()
	if s.Engine != nil {
		s.drain(ctx)
		s.Engine.Close()
	}
	if err := s.saveOnClose(ctx); err != nil {
		errs = append(errs, err)
	}
	for _, srv := range s.backends {
		shutdown(srv)
	}
	s.done.Wait()
	return errors.Join(errs...)
}

// demoCompanyName is the local stack's demo company.
const demoCompanyName = "Northwind IT Services"

// resolver resolves the template as CloudFormation would for this stack: local values for the
// parameters that name AWS things, and names and ARNs of the local resources.
func (s *Stack) resolver(t *samtemplate.Template, overrides map[string]string) samtemplate.Resolver {
	params := map[string]string{}
	local := map[string]string{
		"PublicBaseUrl":           s.URL,
		"MailFrom":                localMailFrom,
		"StaffEmail":              localStaffEmail,
		"SiteOrigins":             s.URL,
		"StaffDomainPrefix":       localStaffDomain,
		"PaymentProvider":         "sandbox",
		"TableDeletionProtection": "false",
		// The demo company every local page and email shows (issue 14); a deployment names its own.
		"CompanyName":         demoCompanyName,
		"CompanySupportEmail": "support@northwind.example",
		"CompanyAddress":      "12 Harbour Street, 1000 Example City (a demo address)",
		"CompanyLogoUrl":      "/assets/demo-logo.svg",
	}
	for name, v := range local {
		if _, ok := t.Parameters[name]; ok {
			params[name] = v
		}
	}
	for name, v := range overrides {
		params[name] = v
	}
	res := samtemplate.Resolver{Template: t, Parameters: params, Region: Region, AccountID: AccountID, StackName: stackName}
	res.Ref = func(id string) (string, error) { return s.ref(t, res, id) }
	res.GetAtt = func(id, attr string) (string, error) { return s.getAtt(t, res, id, attr) }
	return res
}

// ref is Ref of a resource: a table's name, a function's name, a state machine's ARN, ... and of the
// alias SAM publishes for a function with AutoPublishAlias (X.Alias): the alias's ARN, which the
// engine invokes as the function itself (the local stack runs one version of each).
func (s *Stack) ref(t *samtemplate.Template, res samtemplate.Resolver, id string) (string, error) {
	if fnID, prop, ok := samtemplate.RefProperty(id); ok {
		if prop != "Alias" {
			//lint:ignore ST1005 a path into the template: Ref is CloudFormation's case-sensitive intrinsic
			return "", fmt.Errorf("Ref %s: the local stack knows the .Alias of functions only", id)
		}
		f, err := t.Function(fnID)
		if err != nil {
			//lint:ignore ST1005 a path into the template: Ref is CloudFormation's case-sensitive intrinsic
			return "", fmt.Errorf("Ref %s: %w", id, err)
		}
		if f.AutoPublishAlias == "" {
			//lint:ignore ST1005 a path into the template: Ref is CloudFormation's case-sensitive intrinsic
			return "", fmt.Errorf("Ref %s: function %s has no AutoPublishAlias", id, fnID)
		}
		return fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s:%s", Region, AccountID, fnID, f.AutoPublishAlias), nil
	}
	r, ok := t.Resources[id]
	if !ok {
		return "", fmt.Errorf("no resource %s", id)
	}
	switch r.Type {
	case "AWS::DynamoDB::Table":
		tb, err := t.Table(id)
		if err != nil {
			return "", err
		}
		return tb.Name(res)
	case "AWS::Serverless::Function":
		return id, nil
	case "AWS::Serverless::StateMachine":
		return fmt.Sprintf("arn:aws:states:%s:%s:stateMachine:%s", Region, AccountID, id), nil
	case "AWS::SecretsManager::Secret":
		return fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:%s", Region, AccountID, id), nil
	case "AWS::Serverless::HttpApi":
		return "local", nil
	case "AWS::Logs::LogGroup":
		return id, nil
	case "AWS::Cognito::UserPool":
		return Region + "_" + id, nil // a pool ID has the region's prefix
	}
	return id, nil
}

// getAtt is Fn::GetAtt of a resource's Arn (the only attribute the template uses).
func (s *Stack) getAtt(t *samtemplate.Template, res samtemplate.Resolver, id, attr string) (string, error) {
	r, ok := t.Resources[id]
	if !ok {
		return "", fmt.Errorf("no resource %s", id)
	}
	if attr != "Arn" {
		return "", fmt.Errorf("%s.%s: the local stack only knows Arn attributes", id, attr)
	}
	switch r.Type {
	case "AWS::Serverless::Function":
		return fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", Region, AccountID, id), nil
	case "AWS::DynamoDB::Table":
		name, err := s.ref(t, res, id)
		return fmt.Sprintf("arn:aws:dynamodb:%s:%s:table/%s", Region, AccountID, name), err
	case "AWS::Logs::LogGroup":
		return fmt.Sprintf("arn:aws:logs:%s:%s:log-group:%s", Region, AccountID, id), nil
	}
	return s.ref(t, res, id)
}

// secrets holds the template's Secrets Manager secrets: a fresh random value for each secret the
// template generates (GenerateSecretString), an empty one for secrets an operator fills in after
// deploying (the Stripe key, which the sandbox payment provider never reads).
func (s *Stack) secrets(t *samtemplate.Template) (*secretslocal.Store, error) {
	store := secretslocal.New()
	for _, r := range t.ResourcesOfType("AWS::SecretsManager::Secret") {
		value, saved := s.secretValue(r.LogicalID)
		if _, ok := r.Properties["GenerateSecretString"]; ok && !saved {
			b := make([]byte, 32)
			if _, err := rand.Read(b); err != nil {
				return nil, fmt.Errorf("generate secret %s: %w", r.LogicalID, err)
			}
			value = hex.EncodeToString(b)
		}
		s.keepSecret(r.LogicalID, value)
		if r.LogicalID == webhookSecretID {
			s.webhookSecret = value
		}
		store.Put(fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:%s", Region, AccountID, r.LogicalID), r.LogicalID, value)
	}
	return store, nil
}

// createTables creates the template's tables (skipping ones that exist on an external endpoint) and
// turns on their TTL where the backend supports it.
func (s *Stack) createTables(ctx context.Context, t *samtemplate.Template, res samtemplate.Resolver) error {
	tables, err := t.Tables()
	if err != nil {
		return err
	}
	for _, tb := range tables {
		in, err := tb.CreateTableInput(res)
		if err != nil {
			return err
		}
		s.TableName = aws.ToString(in.TableName)
		_, err = s.DynamoDB.CreateTable(ctx, in)
		var inUse *ddbtypes.ResourceInUseException
		if errors.As(err, &inUse) {
			s.ReusedTable = true
		} else if err != nil {
			return fmt.Errorf("create table %s at %s: %w", s.TableName, s.DynamoDBURL, err)
		}
		if err := s.waitActive(ctx, s.TableName); err != nil {
			return err
		}
		if ttl, err := tb.UpdateTimeToLiveInput(res); err == nil && ttl != nil {
			// dynalite has no TTL API; expiry is checked in code anyway, so TTL is only
			// housekeeping. The embedded DynamoDB and DynamoDB Local get it.
			if _, err := s.DynamoDB.UpdateTimeToLive(ctx, ttl); err != nil {
				s.log.Debug("TTL not set on the local table", "table", s.TableName, "error", err)
			}
		}
	}
	return nil
}

// waitActive waits until a table is ACTIVE; a backend that reports no status counts as ready.
func (s *Stack) waitActive(ctx context.Context, name string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		out, err := s.DynamoDB.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
		if err != nil {
			return fmt.Errorf("describe table %s: %w", name, err)
		}
		if st := out.Table.TableStatus; st == "" || st == ddbtypes.TableStatusActive {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("table %s did not become ACTIVE: %w", name, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// createStateMachines creates each state machine on the engine from its DefinitionUri with its
// substitutions resolved.
func (s *Stack) createStateMachines(t *samtemplate.Template, res samtemplate.Resolver, files fs.FS) error {
	sms, err := t.StateMachines()
	if err != nil {
		return err
	}
	for _, sm := range sms {
		if sm.DefinitionUri == "" {
			return fmt.Errorf("state machine %s: the local stack needs a DefinitionUri file", sm.LogicalID)
		}
		def, err := fs.ReadFile(files, sm.DefinitionUri)
		if err != nil {
			return fmt.Errorf("state machine %s: %w", sm.LogicalID, err)
		}
		subs, err := sm.ResolveSubstitutions(res)
		if err != nil {
			return fmt.Errorf("state machine %s: %w", sm.LogicalID, err)
		}
		arn, err := s.Engine.CreateStateMachine(sm.LogicalID, string(def), subs)
		if err != nil {
			return fmt.Errorf("state machine %s: %w", sm.LogicalID, err)
		}
		s.StateMachineARN = arn
		s.Substitutions = subs
	}
	return nil
}

// buildFunctions builds every function of the template with its awsenv builder and the environment
// the template gives it, and registers it with the engine under its name.
func (s *Stack) buildFunctions(ctx context.Context, t *samtemplate.Template, res samtemplate.Resolver, awsCfg aws.Config) (map[string]lambda.Handler, error) {
	fns, err := t.Functions()
	if err != nil {
		return nil, err
	}
	handlers := map[string]lambda.Handler{}
	s.Environment = map[string]map[string]string{}
	// Instances are built on demand for as long as the stack runs, not only while Start's ctx (which
	// may be a start-up deadline) lasts.
	coldStart := context.WithoutCancel(ctx)
	for _, f := range fns {
		if exists, err := resourceExists(f.Condition, res); err != nil {
			return nil, fmt.Errorf("function %s: %w", f.LogicalID, err)
		} else if !exists {
			continue // not in a stack with these parameters (a sandbox deployment's functions with Stripe)
		}
		build, ok := awsenv.Builders()[f.LogicalID]
		if !ok {
			return nil, fmt.Errorf("function %s is in template.yaml but awsenv has no builder for it", f.LogicalID)
		}
		vars, err := f.ResolveEnvironment(res)
		if err != nil {
			return nil, fmt.Errorf("function %s: %w", f.LogicalID, err)
		}
		if _, ok := vars[awsenv.VarStaffSignInURL]; ok {
			// The hosted sign-in is an endpoint like the others: the stack's stand-in (signin.go).
			vars[awsenv.VarStaffSignInURL] = s.SignInURL
		}
		env := awsenv.Env{
			Getenv:    func(name string) string { return vars[name] },
			AWS:       awsCfg,
			Endpoints: s.Endpoints(),
			Clock:     s.Clock.Now,
			Logger:    s.log.With("function", f.LogicalID),
		}
		s.Environment[f.LogicalID] = vars
		h := &instances{build: func() (lambda.Handler, error) { return build(coldStart, env) }}
		// Build one instance now, so a misconfigured function stops the stack at start.
		first, err := h.build()
		if err != nil {
			return nil, err
		}
		h.free = append(h.free, first)
		handlers[f.LogicalID] = h
		s.Engine.RegisterFunction(f.LogicalID, h)
		s.Functions = append(s.Functions, f.LogicalID)
	}
	sort.Strings(s.Functions)
	return handlers, nil
}

// resourceExists evaluates a resource's Condition as CloudFormation would with the stack's
// parameters: a resource without one always exists.
func resourceExists(condition string, res samtemplate.Resolver) (bool, error) {
	if condition == "" {
		return true, nil
	}
	return samtemplate.EvalCondition(condition, res)
}

// gateway builds the HTTP API from the template's HttpApi events, with a local issuer behind each JWT
// authorizer. The issuer signs two tokens, as the user pool would: a staff member's ID token for the
// first audience (the console's app client) and, when the template has an app client with the client
// credentials flow, that client's access token with its scopes (the billing system's).
func (s *Stack) gateway(t *samtemplate.Template, res samtemplate.Resolver, handlers map[string]lambda.Handler) (*gateway.Gateway, error) {
	routes, err := t.HttpRoutes()
	if err != nil {
		return nil, err
	}
	cfg := gateway.Config{Region: Region, AccountID: AccountID, Now: s.Clock.Now, Logger: s.log}
	authorizers := map[string]*gateway.JWTAuthorizer{}
	s.Routes = map[string]string{}
	for _, r := range routes {
		if _, built := handlers[r.Function]; !built {
			continue // its function's Condition is false with these parameters: no route either
		}
		api, err := t.HttpApi(r.API)
		if err != nil {
			return nil, err
		}
		if api.Cors != nil && cfg.CORS == nil {
			c, err := api.Cors.Resolve(res)
			if err != nil {
				return nil, fmt.Errorf("HTTP API %s CORS: %w", api.LogicalID, err)
			}
			cfg.CORS = &gateway.CORS{AllowOrigins: c.AllowOrigins, AllowMethods: c.AllowMethods, AllowHeaders: c.AllowHeaders,
				ExposeHeaders: c.ExposeHeaders, MaxAge: c.MaxAge, AllowCredentials: c.AllowCredentials}
		}
		route := gateway.Route{Method: r.Method, Path: r.Path, Name: r.Function, Handler: s.admitted(handlers[r.Function]), Scopes: r.Scopes}
		if route.Path == "" {
			route.Path = "$default"
		}
		if r.Authorizer != "" {
			key := r.API + "/" + r.Authorizer
			if authorizers[key] == nil {
				a, ok := api.Authorizers[r.Authorizer]
				if !ok {
					return nil, fmt.Errorf("route %s: no authorizer %s", r.RouteKey(), r.Authorizer)
				}
				issuer, audience, err := a.ResolveJWT(res)
				if err != nil {
					return nil, fmt.Errorf("authorizer %s: %w", r.Authorizer, err)
				}
				if len(audience) == 0 {
					return nil, fmt.Errorf("authorizer %s has no audience", r.Authorizer)
				}
				li, err := s.localIssuer(key, issuer, audience[0])
				if err != nil {
					return nil, err
				}
				li.TTL = staffTokenTTL
				li.Now = s.Clock.Now
				authorizer := li.Authorizer(r.Authorizer)
				authorizer.Audience = audience
				s.StaffIssuer = issuer
				if s.StaffToken, err = s.savedToken(s.persistedStaffToken(), authorizer, li, map[string]any{
					"sub": "local-staff", "email": localStaffEmail, "cognito:groups": []string{"staff"}, "token_use": "id",
				}); err != nil {
					return nil, err
				}
				if s.SupervisorToken, err = li.Sign(map[string]any{
					"sub": "local-supervisor", "email": localSupervisorEmail, "cognito:groups": []string{"staff"}, "token_use": "id",
				}); err != nil {
					return nil, err
				}
				if s.signIn, err = newSignIn(t, res, audience, li, s.Clock.Now); err != nil {
					return nil, err
				}
				if client, scopes, ok, err := clientCredentialsClient(t, res, audience); err != nil {
					return nil, err
				} else if ok {
					// Cognito's client-credentials token: no aud, the client as client_id and sub.
					if s.BillingToken, err = s.savedToken(s.persistedBillingToken(), authorizer, li, map[string]any{
						"aud": nil, "client_id": client, "sub": client, "token_use": "access", "scope": strings.Join(scopes, " "),
					}); err != nil {
						return nil, err
					}
				}
				authorizers[key] = authorizer
			}
			route.Authorizer = authorizers[key]
		}
		cfg.Routes = append(cfg.Routes, route)
		s.Routes[r.RouteKey()] = r.Function
	}
	return gateway.New(cfg)
}

// clientCredentialsClient finds, among an authorizer's audience, the app client of the template whose
// OAuth flow is client_credentials (a machine, not a person), and returns its ID and allowed scopes.
func clientCredentialsClient(t *samtemplate.Template, res samtemplate.Resolver, audience []string) (id string, scopes []string, ok bool, err error) {
	for _, r := range t.ResourcesOfType("AWS::Cognito::UserPoolClient") {
		v, err := samtemplate.ResolveValue(r.Properties, res)
		if err != nil {
			return "", nil, false, fmt.Errorf("app client %s: %w", r.LogicalID, err)
		}
		props, _ := v.(map[string]any)
		flows, _ := props["AllowedOAuthFlows"].([]any)
		if len(flows) != 1 || flows[0] != "client_credentials" {
			continue
		}
		ref, err := res.Ref(r.LogicalID)
		if err != nil || !slices.Contains(audience, ref) {
			continue
		}
		list, _ := props["AllowedOAuthScopes"].([]any)
		for _, s := range list {
			scopes = append(scopes, fmt.Sprint(s))
		}
		return ref, scopes, true, nil
	}
	return "", nil, false, nil
}

// instances runs a function the way Lambda scales one: each concurrent invocation gets an instance of
// its own, built on demand from the function's builder and reused when idle. aws-lambda-go's handlers
// return their output in a pooled buffer that the instance's next invocation overwrites, so one
// instance must never serve two invocations at once, and the output is copied before the instance
// goes back to the pool.
type instances struct {
	build func() (lambda.Handler, error)
	mu    sync.Mutex
	free  []lambda.Handler
}

// Invoke runs one invocation on an idle (or new) instance.
func (p *instances) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	p.mu.Lock()
	var h lambda.Handler
	if n := len(p.free); n > 0 {
		h, p.free = p.free[n-1], p.free[:n-1]
	}
	p.mu.Unlock()
	if h == nil {
		var err error
		if h, err = p.build(); err != nil {
			return nil, err
		}
	}
	out, err := h.Invoke(ctx, payload)
	out = bytes.Clone(out)
	p.mu.Lock()
	p.free = append(p.free, h)
	p.mu.Unlock()
	return out, err
}

// clockHandler is time travel: GET tells the clock, POST {"advance":"7d"} (or the form on the local
// page) moves it forward and returns once the workflows have caught up (reminders sent, offers expired).
//
// A JSON body is read as JSON whatever its Content-Type, because `curl -d '{"advance":"7d"}'` sends
// it as application/x-www-form-urlencoded. A POST from a page of another origin is refused: any web
// site could otherwise move the clock of a stack running on this machine. The check is Go's
// cross-origin protection (Sec-Fetch-Site, or Origin against Host), not Origin alone: the local page
// sends no referrer, so a browser posts its form with "Origin: null" and only Sec-Fetch-Site says
// that the form is the stack's own.
func (s *Stack) clockHandler(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
	case http.MethodPost:
		if err := http.NewCrossOriginProtection().Check(r); err != nil {
			writeJSON(w, http.StatusForbidden, map[string]string{"error": "time travel is only allowed from the stack's own pages"})
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<10))
		if err != nil {
			writeJSON(w, http.StatusRequestEntityTooLarge, map[string]string{"error": "the body is too large: send {\"advance\":\"7d\"}"})
			return
		}
		advance, form, err := readAdvance(r.Header.Get("Content-Type"), body)
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		d, err := ParseDuration(advance)
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		s.advance(r.Context(), d) // the clock, and the schedules due on the way (schedule.go)
		if err := s.Engine.WaitIdle(r.Context()); err != nil {
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "the workflows did not settle: " + err.Error()})
			return
		}
		if form {
			http.Redirect(w, r, "/_local/", http.StatusSeeOther)
			return
		}
	default:
		w.Header().Set("Allow", "GET, POST")
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "use GET or POST"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{
		"now":    s.Clock.Now().UTC().Format(time.RFC3339),
		"offset": s.Clock.Offset().Round(time.Second).String(),
	})
}

// readAdvance reads the amount of a time-travel POST: a JSON object {"advance": "..."} (whatever the
// Content-Type says), or the local page's form field. form reports the form, which is answered with a
// redirect back to the page.
func readAdvance(contentType string, body []byte) (advance string, form bool, err error) {
	usage := errors.New(`send {"advance":"7d"} (days d, hours h, minutes m, seconds s)`)
	mt, _, _ := mime.ParseMediaType(contentType)
	if trimmed := bytes.TrimSpace(body); len(trimmed) > 0 && trimmed[0] == '{' {
		var in struct {
			Advance string `json:"advance"`
		}
		dec := json.NewDecoder(bytes.NewReader(trimmed))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&in); err != nil || dec.More() {
			return "", false, usage
		}
		return in.Advance, false, nil
	}
	if mt == "application/x-www-form-urlencoded" {
		values, err := url.ParseQuery(string(body))
		if err != nil || !values.Has("advance") {
			return "", false, usage
		}
		return values.Get("advance"), true, nil
	}
	return "", false, usage
}

// ParseDuration reads a time-travel amount: a sequence of numbers with units d, h, m or s ("7d",
// "1d12h", "90m"), between 1 second and 400 days.
func ParseDuration(v string) (time.Duration, error) {
	bad := fmt.Errorf("%q is not an amount of time: use days, hours, minutes or seconds, like 7d, 1d12h or 90m", v)
	v = strings.TrimSpace(v)
	if v == "" || len(v) > 32 {
		return 0, bad
	}
	var total time.Duration
	num := 0
	digits := 0
	for _, c := range v {
		switch {
		case c >= '0' && c <= '9':
			num = num*10 + int(c-'0')
			digits++
			if digits > 6 {
				return 0, bad
			}
		case digits > 0 && strings.ContainsRune("dhms", c):
			unit := map[rune]time.Duration{'d': 24 * time.Hour, 'h': time.Hour, 'm': time.Minute, 's': time.Second}[c]
			total += time.Duration(num) * unit
			num, digits = 0, 0
		default:
			return 0, bad
		}
	}
	if digits > 0 || total < time.Second || total > 400*24*time.Hour {
		return 0, bad
	}
	return total, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// FormatOffset says how far time travel moved the clock, for people: "14 days", "1 day 12 hours",
// "90 minutes" reads "1 hour 30 minutes". An offset of an hour or more is rounded to the minute and a
// shorter one to the second: a jump also counts the moments the workflows took to catch up on the way,
// which no one asked for.
func FormatOffset(d time.Duration) string {
	if d >= time.Hour {
		d = d.Round(time.Minute)
	} else {
		d = d.Round(time.Second)
	}
	if d <= 0 {
		return "0 seconds"
	}
	var parts []string
	for _, u := range []struct {
		size      time.Duration
		one, many string
	}{{24 * time.Hour, "day", "days"}, {time.Hour, "hour", "hours"}, {time.Minute, "minute", "minutes"}, {time.Second, "second", "seconds"}} {
		if n := int(d / u.size); n > 0 {
			parts = append(parts, plural(n, u.one, u.many))
			d -= time.Duration(n) * u.size
		}
	}
	return strings.Join(parts, " ")
}
