// Package lambdaenv is what every function's builder builds from: the environment, the AWS
// configuration, the DynamoDB client (every function's store), the Step Functions calls each function
// may make as the handlers' workflow (sfnworkflow.Client; the sfn package costs about 0.2 ms of init,
// so the functions that make none link it too) and the fail-fast checking of environment variables.
//
// It imports no other AWS service on purpose. Every package a binary imports runs its init at cold
// start, and an SDK service package costs up to a millisecond there (the DynamoDB and SES clients'
// generated schemas take 0.7–1 ms each on the benchmark machine; see BENCHMARKS.md, "Cold start").
// So the builders live in packages grouped by the clients they need (awsenv/basicfuncs, formfuncs,
// submitfuncs, mailfuncs, paymentfuncs, ...), each function's main imports only its own group, and
// package awsenv lists them all for the local stack.
//
// An Env holds everything a builder may read: the environment (Getenv), the AWS configuration,
// optional per-service endpoint overrides (set only by the local stack, which serves DynamoDB, Step
// Functions, SES and Secrets Manager stand-ins on local ports), the clock and the logger.
//
// A builder reads each environment variable its function's Environment in template.yaml declares, and
// only those. Missing variables do not stop the builder at the first one: Require records them, and the
// builder fails once with an error naming every missing variable, so a misconfigured deployment is
// fixed in one go.
package lambdaenv

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"refundflow/apigw"
	"refundflow/awsenv/httpclient"
	"refundflow/awsenv/lambdalog"
	"refundflow/dynamo"
	"refundflow/handler"
	"refundflow/refund"
	"refundflow/sfnworkflow"
	"refundflow/web"
)

// The environment variables the functions read. template.yaml sets them per function.
const (
	// VarTableName is the DynamoDB table's name.
	VarTableName = "TABLE_NAME"
	// VarStateMachineARN is the refund workflow's ARN (SubmitRequest starts executions of it, and the
	// sweeper those of requests left submitted).
	VarStateMachineARN = "STATE_MACHINE_ARN"
	// VarPublicBaseURL is the public https base URL that links in emails are built from; never a
	// request's Host header.
	VarPublicBaseURL = "PUBLIC_BASE_URL"
	// VarMailFrom is the verified SES identity emails are sent from.
	VarMailFrom = "MAIL_FROM"
	// VarMailConfigurationSet is the SES configuration set every email names, so that its bounces and
	// complaints are published (template.yaml's MailConfigurationSet).
	VarMailConfigurationSet = "MAIL_CONFIGURATION_SET"
	// VarStaffEmail is where staff notifications go; several addresses may be separated by commas.
	VarStaffEmail = "STAFF_EMAIL"
	// VarCompanyName names the company that signs the emails and heads the pages.
	VarCompanyName = "COMPANY_NAME"
	// VarCompanySupportEmail is where clients write with questions, on every page and email.
	VarCompanySupportEmail = "COMPANY_SUPPORT_EMAIL"
	// VarCompanyAddress is the company's postal address, on every page and email.
	VarCompanyAddress = "COMPANY_ADDRESS"
	// VarCompanyLogoURL is an optional logo shown on the pages (a site path or an https URL).
	VarCompanyLogoURL = "COMPANY_LOGO_URL"
	// VarCompanyPolicyURL optionally replaces the published policy page (/policy) in links.
	VarCompanyPolicyURL = "COMPANY_POLICY_URL"
	// VarStaffSignInURL is the staff user pool's hosted sign-in domain
	// (https://<prefix>.auth.<region>.amazoncognito.com), where the console signs staff in.
	VarStaffSignInURL = "STAFF_SIGNIN_URL"
	// VarStaffClientID is the console's app client (public: it has no secret).
	VarStaffClientID = "STAFF_CLIENT_ID"
	// VarStaffRedirectURI is where the sign-in returns with its authorization code (one of the app
	// client's callback URLs).
	VarStaffRedirectURI = "STAFF_REDIRECT_URI"
	// VarStaffSignOutURI is where the sign-out returns to (one of the app client's sign-out URLs).
	VarStaffSignOutURI = "STAFF_SIGNOUT_URI"
	// VarPaymentProvider is "sandbox" or "stripe".
	VarPaymentProvider = "PAYMENT_PROVIDER"
	// VarPaymentSecretARN is the Secrets Manager secret holding the Stripe API key.
	VarPaymentSecretARN = "PAYMENT_SECRET_ARN"
	// VarSiteOrigins lists the company's own websites (the SiteOrigins parameter, joined with commas):
	// besides the site itself (PUBLIC_BASE_URL), the origins whose pages may post to the client
	// routes (CrossOrigin), as API Gateway's CORS lets their scripts call them.
	VarSiteOrigins = "SITE_ORIGINS"
	// VarStripeWebhookSecretARN is the Secrets Manager secret holding the signing secret of the
	// webhook endpoint the payment provider sends its events to (POST /webhooks/stripe).
	VarStripeWebhookSecretARN = "STRIPE_WEBHOOK_SECRET_ARN"
	// VarFourEyesLimits sets the most money one member of staff may let a client receive alone, per
	// currency ("EUR 2000.00, USD 2500.00"); "policy" or empty means the policy's review thresholds.
	VarFourEyesLimits = "FOUR_EYES_LIMITS"
	// VarLookupKeySecretARN is the Secrets Manager secret whose value keys the hash of clients' emails
	// that staff find requests by (refund.EmailLookup); SubmitRequest and StaffApi read the same one.
	VarLookupKeySecretARN = "LOOKUP_KEY_SECRET_ARN"
	// VarAgreementPdfFunction names the function NotifyFunction asks for the signed agreement's PDF
	// (AgreementPdfFunction's live alias).
	VarAgreementPdfFunction = "AGREEMENT_PDF_FUNCTION"
	// VarSendMailFunction names the function StaffApi and StripeWebhook ask to write and send their
	// emails (SendMailFunction's live alias).
	VarSendMailFunction = "SEND_MAIL_FUNCTION"
)

// Endpoints overrides the endpoint of individual AWS services. The local stack sets them to its
// in-process stand-ins; in AWS they are all empty and the SDK resolves the real endpoints.
type Endpoints struct {
	// DynamoDB is the base URL of a DynamoDB-compatible endpoint (the local stack's ddblocal).
	DynamoDB string
	// StepFunctions is the base URL of the Step Functions API (the local ASL engine).
	StepFunctions string
	// SES is the base URL of the SES v2 API (the local outbox).
	SES string
	// SecretsManager is the base URL of the Secrets Manager API.
	SecretsManager string
	// Lambda is the base URL of the Lambda API (Invoke, served by the local ASL engine, which runs
	// every function).
	Lambda string
}

// Env is what builders build from. Its zero value is not usable: Getenv and Logger must be set
// (FromProcess does). Builders take an Env by value; Require records missing variables in that copy.
type Env struct {
	// Getenv reads an environment variable; os.Getenv in a Lambda function, a map in the local stack
	// and in tests.
	Getenv func(string) string
	// AWS is the SDK configuration (region, credentials, retries, HTTP client).
	AWS aws.Config
	// Endpoints optionally points services at local stand-ins.
	Endpoints Endpoints
	// Clock is the time source handed to handlers and the store; nil means the wall clock. The local
	// stack passes its adjustable clock so that time travel moves link expiry too.
	Clock handler.Clock
	// Logger receives structured logs; the functions log JSON to stderr.
	Logger *slog.Logger
	// Background, when set, runs the reads a builder may start in the background (the email lookup
	// key, secrets.LookupKey), so that they overlap the rest of the cold start; FromProcess sets it.
	// Nil (the local stack, tests): builders make such reads before they return, and a failure is the
	// builder's error.
	Background *Background

	// missing lists required variables that were empty, in the order they were asked for.
	missing []string
}

// FromProcess returns the Env of a Lambda function: the process environment, the AWS configuration of
// the Lambda runtime (LambdaConfig), the wall clock and a JSON logger on stderr (Lambda's JSON log
// format passes such lines through as they are) that adds the Lambda request id to every record
// logged with the invocation's context (awsenv/lambdalog).
func FromProcess(ctx context.Context) (Env, error) {
	logger := slog.New(lambdalog.NewHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	// Packages that log through the default logger (apigw's internal-error lines) write the same JSON.
	slog.SetDefault(logger)
	env := Env{Getenv: os.Getenv, Logger: logger}
	env.Background = &Background{Stop: func(function string, err error) { Fail(env, function, err) }}
	cfg, err := LambdaConfig(os.Getenv)
	if err != nil {
		return env, err
	}
	env.AWS = cfg
	return env, nil
}

// LambdaConfig builds the AWS configuration from the variables the Lambda runtime sets: the
// execution role's credentials and the region (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
// AWS_SESSION_TOKEN, AWS_REGION), and AWS_CA_BUNDLE when an operator sets it (see RootCAs).
//
// It reads those variables itself instead of calling config.LoadDefaultConfig, which in Lambda ends at
// the same environment credentials but links shared-config, SSO and IMDS code into every function
// (about 2 MB each) and parses files at cold start.
//
// The HTTP client is every AWS client's (awsenv/httpclient, which handles a race between the SDK and
// net/http that can turn a write that succeeded into a retried false conflict), trusting only the
// Amazon Trust Services roots (RootCAs), which saves loading the system's whole CA bundle on the first
// TLS handshake.
func LambdaConfig(getenv func(string) string) (aws.Config, error) {
	region := getenv("AWS_REGION")
	id, secret := getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY")
	var missing []string
	for name, v := range map[string]string{"AWS_REGION": region, "AWS_ACCESS_KEY_ID": id, "AWS_SECRET_ACCESS_KEY": secret} {
		if v == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return aws.Config{}, fmt.Errorf("the AWS configuration: %s not set (the Lambda runtime sets them)", strings.Join(missing, ", "))
	}
	roots, err := RootCAs(getenv)
	if err != nil {
		return aws.Config{}, fmt.Errorf("the AWS configuration: %w", err)
	}
	return aws.Config{
		Region:      region,
		Credentials: aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(id, secret, getenv("AWS_SESSION_TOKEN"))),
		HTTPClient:  httpclient.New(roots),
	}, nil
}

// Require returns the value of the environment variable name with surrounding spaces removed. An
// empty or unset variable is recorded as missing (see Missing) and "" is returned, so a builder can
// ask for all its variables before failing once.
func (e *Env) Require(name string) string {
	v := e.Optional(name)
	if v == "" {
		for _, m := range e.missing {
			if m == name {
				return ""
			}
		}
		e.missing = append(e.missing, name)
	}
	return v
}

// Optional returns the value of the environment variable name with surrounding spaces removed, ""
// when it is unset, without recording anything.
func (e *Env) Optional(name string) string {
	if e.Getenv == nil {
		return ""
	}
	return strings.TrimSpace(e.Getenv(name))
}

// Missing returns an error naming every variable Require found empty, or nil when there was none.
// function names the function being built, for the message.
func (e *Env) Missing(function string) error {
	if len(e.missing) == 0 {
		return nil
	}
	return &MissingError{Function: function, Names: append([]string(nil), e.missing...)}
}

// MissingError reports the environment variables a function needs and did not get.
type MissingError struct {
	// Function is the function being built.
	Function string
	// Names lists the missing variables in the order they were asked for.
	Names []string
}

// Error names the function and every missing variable.
func (m *MissingError) Error() string {
	noun := "variable"
	if len(m.Names) > 1 {
		noun = "variables"
	}
	return fmt.Sprintf("%s: missing environment %s %s (set in template.yaml)", m.Function, noun, strings.Join(m.Names, ", "))
}

// Done returns a builder's error: every missing variable (Missing) plus any other problems found,
// each prefixed with the function's name, or nil when there is none.
func (e *Env) Done(function string, problems ...error) error {
	errs := []error{e.Missing(function)}
	for _, p := range problems {
		if p != nil {
			errs = append(errs, fmt.Errorf("%s: %w", function, p))
		}
	}
	return errors.Join(errs...)
}

// Built returns h, or the zero value with err, so a builder's caller never holds a half-built
// handler.
func Built[H any](h H, err error) (H, error) {
	if err != nil {
		var zero H
		return zero, err
	}
	return h, nil
}

// Log returns the logger, or one that discards everything when none is set.
func (e *Env) Log() *slog.Logger {
	if e.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return e.Logger
}

// DynamoDB returns a DynamoDB client. With an endpoint override it also stops validating response
// checksums, because not every local DynamoDB sends the CRC32 header the SDK checks by default
// (minidyn did not; ddblocal and DynamoDB do).
func (e *Env) DynamoDB() *dynamodb.Client {
	ep := e.Endpoints.DynamoDB
	return dynamodb.NewFromConfig(e.AWS, func(o *dynamodb.Options) {
		if ep != "" {
			o.BaseEndpoint = aws.String(ep)
			o.DisableValidateResponseChecksum = true
		}
	})
}

// StepFunctions returns a Step Functions client.
func (e *Env) StepFunctions() *sfn.Client {
	ep := e.Endpoints.StepFunctions
	return sfn.NewFromConfig(e.AWS, func(o *sfn.Options) {
		if ep != "" {
			o.BaseEndpoint = aws.String(ep)
		}
	})
}

// Store requires TABLE_NAME and returns the table's store, on the Env's clock. When TABLE_NAME is
// missing the store has an empty table name; the builder's Missing check reports it before use.
func (e *Env) Store() *dynamo.Store {
	s := dynamo.New(e.DynamoDB(), e.Require(VarTableName))
	if e.Clock != nil {
		s.Now = e.Clock
	}
	return s
}

// PublicBaseURL requires PUBLIC_BASE_URL and returns it without a trailing slash. A value that is not
// an absolute http(s) URL is reported by CheckBaseURL.
func (e *Env) PublicBaseURL() string {
	return strings.TrimRight(e.Require(VarPublicBaseURL), "/")
}

// CheckBaseURL reports whether base (from PublicBaseURL) is an absolute http or https URL without a
// query or fragment; "" passes, because Require already reported it as missing.
func CheckBaseURL(base string) error {
	if base == "" {
		return nil
	}
	if !strings.HasPrefix(base, "https://") && !strings.HasPrefix(base, "http://") || strings.ContainsAny(base, "?# \t") {
		return fmt.Errorf("%s must be an absolute http(s) URL without query or fragment, got %q", VarPublicBaseURL, base)
	}
	return nil
}

// Company requires COMPANY_NAME, COMPANY_SUPPORT_EMAIL and COMPANY_ADDRESS, reads COMPANY_LOGO_URL and
// COMPANY_POLICY_URL, and returns the company's identity with any problem of its values (missing ones
// are left to Missing).
func (e *Env) Company() (refund.Company, error) {
	c := refund.Company{
		Name: e.Require(VarCompanyName), SupportEmail: e.Require(VarCompanySupportEmail),
		Address: e.Require(VarCompanyAddress), LogoURL: e.Optional(VarCompanyLogoURL),
		PolicyURL: e.Optional(VarCompanyPolicyURL),
	}
	if c.Name == "" || c.SupportEmail == "" || c.Address == "" {
		return c, nil // reported by Missing
	}
	if err := c.Validate(); err != nil {
		return c, fmt.Errorf("the company's identity (COMPANY_*): %w", err)
	}
	return c, nil
}

// CrossOrigin requires SITE_ORIGINS and returns the cross-origin check of the client routes that
// change something: it trusts the site itself (the origin of base, from PublicBaseURL) and each
// comma-separated origin of SITE_ORIGINS. A malformed origin is an error, so the function stops at
// start instead of refusing the company's own website at every post.
func (e *Env) CrossOrigin(base string) (apigw.CrossOrigin, error) {
	origins := strings.Split(e.Require(VarSiteOrigins), ",")
	if o, err := apigw.Origin(base); err == nil {
		origins = append([]string{o}, origins...)
	}
	c, err := apigw.NewCrossOrigin(origins...)
	if err != nil {
		return apigw.CrossOrigin{}, fmt.Errorf("%s: %w", VarSiteOrigins, err)
	}
	return c, nil
}

// Pages reads the company's identity (Company) and sets it as the one the pages show
// (web.SetCompany), for the functions that answer browsers.
func (e *Env) Pages() error {
	c, err := e.Company()
	if err == nil && c.Name != "" {
		web.SetCompany(c)
	}
	return err
}

// StaffSignIn requires STAFF_SIGNIN_URL, STAFF_CLIENT_ID, STAFF_REDIRECT_URI and STAFF_SIGNOUT_URI:
// what the staff console needs to sign staff in through the user pool's hosted sign-in. The three
// URLs must be https (http only on the loopback address, the local stack's): a sign-in over plain
// HTTP would show its codes and tokens to the network.
func (e *Env) StaffSignIn() (web.StaffSignIn, error) {
	si := web.StaffSignIn{
		URL: strings.TrimRight(e.Require(VarStaffSignInURL), "/"), ClientID: e.Require(VarStaffClientID),
		RedirectURI: e.Require(VarStaffRedirectURI), SignOutURI: e.Require(VarStaffSignOutURI),
	}
	var errs []error
	for name, v := range map[string]string{VarStaffSignInURL: si.URL, VarStaffRedirectURI: si.RedirectURI, VarStaffSignOutURI: si.SignOutURI} {
		if v != "" && !signInURL(v) {
			errs = append(errs, fmt.Errorf("%s=%q is not an https URL", name, v))
		}
	}
	return si, errors.Join(errs...)
}

// signInURL reports whether raw is an absolute https URL, or http on the loopback address.
func signInURL(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil {
		return false
	}
	if u.Scheme == "https" {
		return true
	}
	ip := net.ParseIP(u.Hostname())
	return u.Scheme == "http" && (u.Hostname() == "localhost" || ip != nil && ip.IsLoopback())
}

// StaffEmails requires STAFF_EMAIL and splits it at commas into addresses.
func (e *Env) StaffEmails() []string {
	var out []string
	for _, a := range strings.Split(e.Require(VarStaffEmail), ",") {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}

// FourEyesLimits reads FOUR_EYES_LIMITS (optional) as refund.ParseFourEyesLimits does; nil when it is
// empty or "policy".
func (e *Env) FourEyesLimits() (map[string]int64, error) {
	limits, err := refund.ParseFourEyesLimits(e.Optional(VarFourEyesLimits))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", VarFourEyesLimits, err)
	}
	return limits, nil
}

// Fail logs why a function could not start and exits, so Lambda reports an init error (and retries
// the cold start) instead of serving requests with a broken configuration. Only main packages call
// it, and Background.Stop: when a read started in the background at init fails after init has
// ended, the exit fails the invocation running (Runtime.ExitError), and Lambda starts the next one
// with a new init.
func Fail(env Env, function string, err error) {
	// Init has no invocation, so no Lambda request id for the log handler to add from a context.
	env.Log().ErrorContext(context.Background(), "function cannot start", "function", function, "error", err.Error())
	os.Exit(1)
}

// WorkflowStarter requires STATE_MACHINE_ARN and returns the workflow as SubmitRequest may use it:
// starting executions of that state machine (StartExecution) and nothing else. The adapter holds the
// one call as a method value rather than the *sfn.Client: a type that reaches an interface (directly
// or as a field of one) keeps every one of its exported methods in the binary, because
// html/template's reflection makes the linker keep all methods of such types — for the Step
// Functions client about 40 operations. Handing each function only the call its IAM policy grants
// also keeps the code and the template's permissions in step (the IAM test reads these calls).
func (e *Env) WorkflowStarter() sfnworkflow.Client {
	return sfnworkflow.Client{StateMachineARN: e.Require(VarStateMachineARN), StartExecution: e.StepFunctions().StartExecution}
}

// TaskCompleter returns the workflow as the functions that complete a parked wait may use it:
// SendTaskSuccess only; see WorkflowStarter.
func (e *Env) TaskCompleter() sfnworkflow.Client {
	return sfnworkflow.Client{SendTaskSuccess: e.StepFunctions().SendTaskSuccess}
}

// SweeperCalls requires STATE_MACHINE_ARN and returns the workflow as the scheduled sweeper
// (ResumeDecisions) may use it: SendTaskSuccess, to deliver recorded decisions, and StartExecution,
// to start the workflow of requests left submitted; see WorkflowStarter.
func (e *Env) SweeperCalls() sfnworkflow.Client {
	c := e.StepFunctions()
	return sfnworkflow.Client{StateMachineARN: e.Require(VarStateMachineARN), StartExecution: c.StartExecution, SendTaskSuccess: c.SendTaskSuccess}
}

// Background runs reads that builders start at init on goroutines of their own, alongside the rest
// of the cold start and the first invocation, which waits for what it needs (secrets.Key.Key).
//
// Lambda freezes the process once an invocation has answered, and a read frozen halfway could
// thaw minutes later on a dead connection and past its deadline. So no read may outlive the
// invocation running: every main serves its handler through Settled (awsenv's deps test checks).
type Background struct {
	// Stop ends the function with the reason when a read fails, as Fail ends one whose init failed,
	// so a function that cannot work still stops at start with the reason.
	Stop func(function string, err error)
	wg   sync.WaitGroup
}

// Go runs read on its own goroutine; if it fails, the function stops (Stop) with the error, named
// for function.
func (b *Background) Go(function string, read func() error) {
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		if err := read(); err != nil {
			b.Stop(function, err)
		}
	}()
}

// Wait waits for every read started to end.
func (b *Background) Wait() { b.wg.Wait() }

// Settled returns handle for lambda.Start, waiting after each invocation for the reads env's builder
// started in the background (Background), so that none is frozen halfway when Lambda freezes the
// process after the answer. Without Env.Background it is handle itself.
func Settled[I, O any](env Env, handle func(context.Context, I) (O, error)) func(context.Context, I) (O, error) {
	b := env.Background
	if b == nil {
		return handle
	}
	return func(ctx context.Context, in I) (O, error) {
		defer b.Wait()
		return handle(ctx, in)
	}
}
