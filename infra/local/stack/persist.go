package stack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"refundflow/infra/local/ddbjson"
	"refundflow/infra/local/gateway"
	"refundflow/infra/local/outbox"
)

// A data directory keeps the local stack's state across restarts (Config.DataDir). Everything is in
// one file, written whole to a temporary file and renamed over the old one, so a crash mid-save leaves
// the previous state intact and a reader never sees half a state:
//
//   - the embedded DynamoDB table's items (not the table of an external endpoint, which keeps itself);
//   - the Step Functions engine (stepfunctions.Engine.Snapshot): executions running and finished, parked
//     tasks and their tokens, timers;
//   - the outbox, so links in old emails can still be followed;
//   - the secrets the template generates (GenerateSecretString), the local JWT issuer's key, its issuer
//     name and the staff token (the printed token stays valid);
//   - the time-travel offset of the clock, and the demo orders as loaded on the first start.
//
// The stack saves on Close, after the workflows have drained, and every SaveInterval while something
// changed, so that a process killed without Close loses little.

// StateFile is the name of the state file in a data directory.
const StateFile = "refundflow-state.json"

// Identification of the state file's format. A file of another version is refused with a message
// rather than read wrongly.
const (
	stateFormat  = "refundflow-local-state"
	stateVersion = 1
)

// DefaultSaveInterval is how often a stack with a data directory checks for changes to save.
const DefaultSaveInterval = 2 * time.Second

// StateError reports a data directory whose saved state cannot be used: which file, what is wrong
// with it and what to do. Its message is one line, for a person.
type StateError struct {
	// Path is the state file (or the data directory when the problem is the directory).
	Path string
	// Problem says what is wrong.
	Problem string
	// Err is the underlying error, if any.
	Err error
}

// Error implements the error interface.
func (e *StateError) Error() string {
	return fmt.Sprintf("%s %s: move it away (or use another -data directory) to start afresh", e.Path, e.Problem)
}

// Unwrap returns the underlying error.
func (e *StateError) Unwrap() error { return e.Err }

// savedState is the state file.
type savedState struct {
	Format  string `json:"format"`
	Version int    `json:"version"`
	// SavedAt is the wall-clock time of the save.
	SavedAt time.Time `json:"savedAt"`
	// URL is the stack's base URL when it was saved; emails of that run link there.
	URL string `json:"url"`
	// ClockOffset is how far time travel had moved the clock, in nanoseconds.
	ClockOffset time.Duration `json:"clockOffset"`
	// Parameters holds the template parameters whose local values must not change between runs
	// (StaffIssuer: the staff token names it).
	Parameters map[string]string `json:"parameters,omitempty"`
	// Secrets holds the Secrets Manager secrets' values by logical ID.
	Secrets map[string]string `json:"secrets"`
	// Issuers holds the local JWT issuers by HTTP API and authorizer ("StaffApi/StaffAuthorizer").
	Issuers      map[string]savedIssuer `json:"issuers,omitempty"`
	StaffToken   string                 `json:"staffToken,omitempty"`
	BillingToken string                 `json:"billingToken,omitempty"`
	Demo         []DemoOrder            `json:"demo,omitempty"`
	DynamoDB     savedTable             `json:"dynamodb"`
	Outbox       []outbox.Message       `json:"outbox"`
	// StepFunctions is the engine's snapshot, in its own versioned format.
	StepFunctions json.RawMessage `json:"stepFunctions"`
}

type savedIssuer struct {
	Issuer   string `json:"issuer"`
	Audience string `json:"audience"`
	KeyID    string `json:"keyId"`
	Key      string `json:"key"` // PKCS #8 PEM
}

type savedTable struct {
	// Endpoint is the external DynamoDB endpoint, or "" for the embedded one.
	Endpoint string `json:"endpoint,omitempty"`
	Table    string `json:"table"`
	// Items holds the embedded table's items in DynamoDB's JSON form ({"S": "..."}).
	Items []map[string]any `json:"items,omitempty"`
}

// persister is the data directory of a running stack.
type persister struct {
	dir, path string
	saved     *savedState // what Start restored; nil for a new directory

	// gate keeps function invocations and a save apart, so that a save never sees one half done
	// (the consent stored in the table, its task token not yet sent to the workflow; an email sent,
	// its link code not yet stored). Every top-level invocation holds it shared while it runs: the
	// gateway's routes (Stack.admitted), the scheduled functions, and what the engine runs on its
	// own (task invocations, Event invocations, DynamoDB integrations: stepfunctions.Options.Admit).
	// A save holds it exclusively.
	//
	// A call a running function makes is not admitted again: a synchronous Lambda Invoke (Notify →
	// AgreementPdfFunction, StaffApi → SendMailFunction) runs inside its caller's admission. A
	// waiting save holds back new admissions, so a nested admission would wait for the save, and
	// the save for its caller. That is why the sandbox's deliverer (SandboxEventsFunction), which
	// POSTs the provider's events to the webhook route, is not admitted itself, only the route's
	// invocation is: what the deliverer writes (its marks of delivered events) is the provider's own
	// state, and an event delivered again after a restore is handled once. For the same reason the
	// local tool pages (/_local/clock, /_local/provider/, /_local/payments) are not admitted: they
	// wait for the workflows (Engine.WaitIdle), whose tasks a waiting save holds back. What they
	// change at the provider is one write each (with its events); what Refundflow does about it
	// runs in admitted functions.
	gate saveGate

	mu      sync.Mutex // serialises saves
	last    fingerprint
	started bool // Start succeeded: Close may save (a failed start must not overwrite the file)
	stop    chan struct{}
	stopped chan struct{}
	cancel  context.CancelFunc // cancels the periodic save in progress

	tableWrites atomicCounter

	// Values that Start decides and a save writes back.
	secrets    map[string]string
	issuers    map[string]savedIssuer
	parameters map[string]string
}

// fingerprint tells whether anything changed since the last save.
type fingerprint struct {
	engine, table, outbox uint64
	offset                time.Duration
}

type atomicCounter struct {
	mu sync.Mutex
	n  uint64
}

func (c *atomicCounter) add() {
	c.mu.Lock()
	c.n++
	c.mu.Unlock()
}

func (c *atomicCounter) get() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// openData creates the data directory if needed and reads its state file, if there is one.
func openData(dir string) (*persister, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, &StateError{Path: dir, Problem: fmt.Sprintf("cannot be created (%v)", err), Err: err}
	}
	p := &persister{dir: dir, path: filepath.Join(dir, StateFile), secrets: map[string]string{},
		issuers: map[string]savedIssuer{}, parameters: map[string]string{}}
	data, err := os.ReadFile(p.path)
	if errors.Is(err, fs.ErrNotExist) {
		return p, nil
	}
	if err != nil {
		return nil, &StateError{Path: p.path, Problem: fmt.Sprintf("cannot be read (%v)", err), Err: err}
	}
	var head struct {
		Format  string `json:"format"`
		Version int    `json:"version"`
	}
	if err := json.Unmarshal(data, &head); err != nil || head.Format != stateFormat {
		if err == nil {
			err = fmt.Errorf("format %q", head.Format)
		}
		return nil, &StateError{Path: p.path, Problem: fmt.Sprintf("is not a Refundflow state file (%v)", err), Err: err}
	}
	if head.Version != stateVersion {
		return nil, &StateError{Path: p.path, Problem: fmt.Sprintf(
			"was written by another version of Refundflow (state format %d; this one reads %d)", head.Version, stateVersion)}
	}
	var st savedState
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, &StateError{Path: p.path, Problem: fmt.Sprintf("is damaged (%v)", err), Err: err}
	}
	p.saved = &st
	return p, nil
}

// stateError wraps a problem found while restoring the saved state.
func (p *persister) stateError(what string, err error) error {
	return &StateError{Path: p.path, Problem: fmt.Sprintf("cannot be restored: %s: %s", what, oneLine(err.Error())), Err: err}
}

// oneLine keeps an error message on one line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// openDataDir is Start's first step with a data directory: it reads the saved state, checks that it
// fits this configuration and sets the clock where time travel had left it.
func (s *Stack) openDataDir(cfg Config) error {
	if cfg.DataDir == "" {
		return nil
	}
	p, err := openData(cfg.DataDir)
	if err != nil {
		return err
	}
	s.persist = p
	s.DataDir = cfg.DataDir
	if st := p.saved; st != nil {
		endpoint := strings.TrimRight(cfg.DynamoDBEndpoint, "/")
		switch {
		case st.DynamoDB.Endpoint == "" && endpoint != "":
			return &StateError{Path: p.path, Problem: "was saved with the embedded DynamoDB, so it cannot be used with -dynamodb-endpoint (the workflows would not match the table)"}
		case st.DynamoDB.Endpoint != endpoint:
			return &StateError{Path: p.path, Problem: fmt.Sprintf("was saved with the DynamoDB at %s, so it cannot be used with %s (the workflows would not match the table)",
				st.DynamoDB.Endpoint, orEmbedded(endpoint))}
		}
		s.Restored = true
		s.SavedAt = st.SavedAt
		s.PreviousURL = st.URL
		s.Clock.RestoreOffset(st.ClockOffset) // before the engine exists: no timer to fire yet
	}
	return nil
}

func orEmbedded(endpoint string) string {
	if endpoint == "" {
		return "the embedded DynamoDB"
	}
	return "the DynamoDB at " + endpoint
}

// parameters returns the template parameter overrides: the caller's, plus the saved values of the
// parameters that must stay the same across restarts.
func (s *Stack) parameters(overrides map[string]string) map[string]string {
	if s.persist == nil || s.persist.saved == nil {
		return overrides
	}
	out := map[string]string{}
	for k, v := range s.persist.saved.Parameters {
		out[k] = v
	}
	for k, v := range overrides {
		out[k] = v
	}
	return out
}

// keepParameters records the resolved values of the parameters a save must keep.
func (s *Stack) keepParameters(params map[string]string) {
	if s.persist == nil {
		return
	}
	if v, ok := params["StaffIssuer"]; ok {
		s.persist.parameters["StaffIssuer"] = v
	}
}

// secretValue returns the saved value of a secret, if there is one.
func (s *Stack) secretValue(logicalID string) (string, bool) {
	if s.persist == nil || s.persist.saved == nil {
		return "", false
	}
	v, ok := s.persist.saved.Secrets[logicalID]
	return v, ok
}

// keepSecret records a secret's value for the next save.
func (s *Stack) keepSecret(logicalID, value string) {
	if s.persist != nil {
		s.persist.secrets[logicalID] = value
	}
}

// localIssuer returns the JWT issuer behind an authorizer: the saved one when the data directory has
// it (same issuer and audience), otherwise a new key.
func (s *Stack) localIssuer(key, issuer, audience string) (*gateway.LocalIssuer, error) {
	if s.persist != nil && s.persist.saved != nil {
		if si, ok := s.persist.saved.Issuers[key]; ok && si.Issuer == issuer && si.Audience == audience {
			li, err := gateway.RestoreLocalIssuer(issuer, audience, si.KeyID, []byte(si.Key))
			if err != nil {
				return nil, s.persist.stateError("the staff token issuer", err)
			}
			s.persist.issuers[key] = si
			return li, nil
		}
	}
	li, err := gateway.NewLocalIssuer(issuer, audience)
	if err != nil {
		return nil, err
	}
	if s.persist != nil {
		pemKey, err := li.PrivateKeyPEM()
		if err != nil {
			return nil, err
		}
		s.persist.issuers[key] = savedIssuer{Issuer: issuer, Audience: audience, KeyID: li.KeyID, Key: string(pemKey)}
	}
	return li, nil
}

// savedToken returns a token printed by an earlier run (saved) when the authorizer still accepts it,
// so the token a person copied keeps working; otherwise it signs a new one.
func (s *Stack) savedToken(saved string, authorizer *gateway.JWTAuthorizer, li *gateway.LocalIssuer, claims map[string]any) (string, error) {
	if saved != "" {
		// A day of margin, so a token about to expire is replaced rather than printed.
		if _, err := authorizer.Verify(saved, s.Clock.Now().Add(24*time.Hour)); err == nil {
			return saved, nil
		}
	}
	return li.Sign(claims)
}

// persistedStaffToken and persistedBillingToken return the tokens the data directory kept, if any.
func (s *Stack) persistedStaffToken() string {
	if s.persist == nil || s.persist.saved == nil {
		return ""
	}
	return s.persist.saved.StaffToken
}

func (s *Stack) persistedBillingToken() string {
	if s.persist == nil || s.persist.saved == nil {
		return ""
	}
	return s.persist.saved.BillingToken
}

// restoreData loads the saved table items, the workflows and the outbox. It runs after the functions
// are registered (restored workflows start work at once) and before the web server serves.
func (s *Stack) restoreData(ctx context.Context) error {
	if s.persist == nil || s.persist.saved == nil {
		return nil
	}
	st := s.persist.saved
	if !s.External {
		if st.DynamoDB.Table != s.TableName {
			return s.persist.stateError("the table", fmt.Errorf("the saved table is %s, the template's is %s", st.DynamoDB.Table, s.TableName))
		}
		if err := s.loadItems(ctx, st.DynamoDB.Items); err != nil {
			return s.persist.stateError("the table", err)
		}
	}
	s.Outbox.Restore(st.Outbox)
	if len(st.StepFunctions) > 0 {
		if err := s.Engine.Restore(st.StepFunctions); err != nil {
			return s.persist.stateError("the workflows", err)
		}
	}
	return nil
}

// loadDemo stores the demo orders in a new table, or shows the ones the data directory kept.
func (s *Stack) loadDemo(ctx context.Context, demo bool) error {
	if s.persist != nil && s.persist.saved != nil {
		s.Demo = s.persist.saved.Demo
		return nil
	}
	if !demo {
		return nil
	}
	var err error
	s.Demo, err = s.loadDemoOrders(ctx, s.Clock.Now())
	return err
}

// admitted wraps a function so that each invocation is admitted through the save gate (see
// persister.gate): for the invocations that do not run inside another function's, the gateway's
// routes and the scheduled functions.
func (s *Stack) admitted(h lambda.Handler) lambda.Handler {
	if s.persist == nil {
		return h
	}
	return admittedHandler{g: &s.persist.gate, h: h}
}

// admit is the engine's stepfunctions.Options.Admit for a stack with a data directory.
func (s *Stack) admit() (done func()) { return s.persist.gate.admit() }

// admittedHandler is a function whose invocations a save waits for.
type admittedHandler struct {
	g *saveGate
	h lambda.Handler
}

// Invoke runs the invocation once no save is waiting or running.
func (a admittedHandler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	defer a.g.admit()()
	return a.h.Invoke(ctx, payload)
}

// saveGate is a readers-writer lock whose writer, a save, can give up waiting (sync.RWMutex cannot).
// Like sync.RWMutex, it admits nothing new while a save waits, so that saves are not starved by a
// steady stream of invocations.
type saveGate struct {
	mu      sync.Mutex
	running int           // invocations admitted and not done
	saving  bool          // a save holds the gate
	waiting int           // saves waiting for the running invocations to finish
	changed chan struct{} // closed, and dropped, when any of the above changes
}

// admit waits while a save waits or runs, then counts an invocation in until done is called.
func (g *saveGate) admit() (done func()) {
	g.mu.Lock()
	for g.saving || g.waiting > 0 {
		ch := g.wait()
		g.mu.Unlock()
		<-ch
		g.mu.Lock()
	}
	g.running++
	g.mu.Unlock()
	return func() {
		g.mu.Lock()
		g.running--
		g.signal()
		g.mu.Unlock()
	}
}

// lock waits until no invocation runs and takes the gate for a save, or gives up when ctx ends.
func (g *saveGate) lock(ctx context.Context) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.waiting++
	defer func() { g.waiting--; g.signal() }()
	for g.saving || g.running > 0 {
		ch := g.wait()
		g.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
		}
		g.mu.Lock()
		if (g.saving || g.running > 0) && ctx.Err() != nil {
			return fmt.Errorf("%w (%d): %w", errStillRunning, g.running, ctx.Err())
		}
	}
	g.saving = true
	return nil
}

// unlock ends a save: invocations are admitted again.
func (g *saveGate) unlock() {
	g.mu.Lock()
	g.saving = false
	g.signal()
	g.mu.Unlock()
}

// wait returns the channel that the next change closes. It is called with mu held.
func (g *saveGate) wait() <-chan struct{} {
	if g.changed == nil {
		g.changed = make(chan struct{})
	}
	return g.changed
}

// signal wakes whoever waits for a change. It is called with mu held.
func (g *saveGate) signal() {
	if g.changed != nil {
		close(g.changed)
		g.changed = nil
	}
}

// dynamoReads are the DynamoDB operations that change nothing; any other request to the embedded
// table counts as a change to save.
var dynamoReads = map[string]bool{
	"GetItem": true, "BatchGetItem": true, "Query": true, "Scan": true, "TransactGetItems": true,
	"DescribeTable": true, "ListTables": true, "DescribeTimeToLive": true, "DescribeEndpoints": true,
}

// countWrites wraps the embedded DynamoDB to count requests that may change the table.
func (s *Stack) countWrites(h http.Handler) http.Handler {
	if s.persist == nil {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, op, _ := strings.Cut(r.Header.Get("X-Amz-Target"), ".")
		if !dynamoReads[op] {
			s.persist.tableWrites.add()
		}
		h.ServeHTTP(w, r)
	})
}

// startSaving marks the start as complete and saves every interval while something changed.
func (s *Stack) startSaving(interval time.Duration) {
	p := s.persist
	if p == nil {
		return
	}
	if interval <= 0 {
		interval = DefaultSaveInterval
	}
	p.mu.Lock()
	p.started = true
	p.mu.Unlock()
	p.stop, p.stopped = make(chan struct{}), make(chan struct{})
	var base context.Context
	base, p.cancel = context.WithCancel(context.Background())
	go func() {
		defer close(p.stopped)
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-tick.C:
				if s.fingerprint() == p.lastSaved() {
					continue
				}
				ctx, cancel := context.WithTimeout(base, 30*time.Second)
				// A function that runs long holds a save back, and a waiting save every new
				// invocation: rather than stall the stack, try again at the next tick.
				gateCtx, cancelGate := context.WithTimeout(ctx, saveWait)
				err := s.save(ctx, gateCtx)
				cancelGate()
				cancel()
				switch {
				case errors.Is(err, errStillRunning):
					s.log.Debug("save put off: functions still running", "dir", p.dir, "error", err)
				case err != nil:
					s.log.Error("save the local state", "dir", p.dir, "error", err)
				}
			}
		}
	}()
}

// saveWait is how long a periodic save waits for the functions running to finish; a save waiting
// holds back new invocations (persister.gate).
const saveWait = 2 * time.Second

// stopSaving ends the periodic saves and waits for one in progress, which it cancels (a save on
// Close follows, once the engine has stopped).
func (s *Stack) stopSaving() {
	if p := s.persist; p != nil && p.stop != nil {
		p.cancel()
		close(p.stop)
		<-p.stopped
		p.stop = nil
	}
}

func (p *persister) isStarted() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.started
}

func (p *persister) lastSaved() fingerprint {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.last
}

func (s *Stack) fingerprint() fingerprint {
	return fingerprint{engine: s.Engine.Changes(), table: s.persist.tableWrites.get(), outbox: s.Outbox.Changes(), offset: s.Clock.Offset()}
}

// Save writes the stack's state to its data directory now (the stack also saves by itself: on Close
// and while it runs). It returns nil at once for a stack without a data directory.
//
// The state is taken while no function runs (persister.gate): first the workflows, then the table,
// then the outbox. Save waits for the functions running to finish, until ctx ends; meanwhile no
// other function starts. A task the engine has not recorded as done is saved as in flight and runs
// again after a restore (every task is safe to run twice).
func (s *Stack) Save(ctx context.Context) error { return s.save(ctx, ctx) }

// errStillRunning reports a save that gave up waiting for the functions running.
var errStillRunning = errors.New("function invocations still running")

// save is Save waiting for the gate until gateCtx ends.
func (s *Stack) save(ctx, gateCtx context.Context) error {
	p := s.persist
	if p == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.started {
		return errors.New("save the local state: the stack did not start")
	}
	fp := s.fingerprint() // before the copy: a change made during it is saved next time
	st := &savedState{Format: stateFormat, Version: stateVersion, URL: s.URL, Parameters: p.parameters,
		Secrets: p.secrets, Issuers: p.issuers, StaffToken: s.StaffToken, BillingToken: s.BillingToken, Demo: s.Demo,
		DynamoDB: savedTable{Table: s.TableName}}
	if s.External {
		st.DynamoDB.Endpoint = s.DynamoDBURL
	}
	err := func() error {
		if err := p.gate.lock(gateCtx); err != nil {
			return err
		}
		defer p.gate.unlock()
		st.SavedAt = time.Now().UTC() // the wall clock: when a person stopped it, whatever time travel did
		st.ClockOffset = s.Clock.Offset()
		engine, err := s.Engine.Snapshot()
		if err != nil {
			return err
		}
		st.StepFunctions = engine
		if !s.External {
			if st.DynamoDB.Items, err = s.dumpItems(ctx); err != nil {
				return err
			}
		}
		st.Outbox = s.Outbox.Messages()
		return nil
	}()
	if err != nil {
		return fmt.Errorf("save the local state to %s: %w", p.dir, err)
	}
	data, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("save the local state to %s: %w", p.dir, err)
	}
	if err := writeFileAtomic(p.path, data); err != nil {
		return fmt.Errorf("save the local state: %w", err)
	}
	p.last = fp
	return nil
}

// writeFileAtomic replaces path with data: a temporary file in the same directory, synced, then
// renamed over path, so that path holds either the old or the new content, whole.
func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // after the rename there is nothing left to remove
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("replace %s: %w", path, err)
	}
	// The rename is durable once the directory is synced; not every system can sync a directory.
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// dumpItems reads every item of the table, consistently, page by page.
func (s *Stack) dumpItems(ctx context.Context) ([]map[string]any, error) {
	items := []map[string]any{}
	pages := dynamodb.NewScanPaginator(s.DynamoDB, &dynamodb.ScanInput{TableName: aws.String(s.TableName), ConsistentRead: aws.Bool(true)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("scan table %s: %w", s.TableName, err)
		}
		for _, it := range page.Items {
			items = append(items, ddbjson.ItemToJSON(it))
		}
	}
	return items, nil
}

// loadItems writes saved items into the (new) table, 25 at a time.
func (s *Stack) loadItems(ctx context.Context, items []map[string]any) error {
	for start := 0; start < len(items); start += 25 {
		var reqs []ddbtypes.WriteRequest
		for i, raw := range items[start:min(start+25, len(items))] {
			it, err := ddbjson.ItemFromJSON(raw)
			if err != nil {
				return fmt.Errorf("item %d: %w", start+i+1, err)
			}
			reqs = append(reqs, ddbtypes.WriteRequest{PutRequest: &ddbtypes.PutRequest{Item: it}})
		}
		pending := map[string][]ddbtypes.WriteRequest{s.TableName: reqs}
		for attempt := 0; len(pending) > 0; attempt++ {
			if attempt == 10 {
				return fmt.Errorf("write items %d-%d: still unprocessed after %d attempts", start+1, start+len(reqs), attempt)
			}
			out, err := s.DynamoDB.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: pending})
			if err != nil {
				return fmt.Errorf("write items %d-%d: %w", start+1, start+len(reqs), err)
			}
			pending = out.UnprocessedItems
		}
	}
	return nil
}

// drain gives the tasks in flight until ctx ends to finish, so that a save on Close finds the
// workflows settled (what is still running then is saved as to be run again).
func (s *Stack) drain(ctx context.Context) {
	if s.persist == nil || !s.persist.isStarted() {
		return
	}
	if err := s.Engine.WaitIdle(ctx); err != nil {
		s.log.Warn("stopping with workflow tasks still running: they will run again on the next start", "error", err)
	}
}

// saveOnClose saves the state of a stack that started; a stack whose start failed saves nothing, so
// a state file it could not restore stays as it was.
func (s *Stack) saveOnClose(ctx context.Context) error {
	if s.persist == nil || !s.persist.isStarted() {
		return nil
	}
	if ctx.Err() != nil {
		// The drain used up the time; saving is quick and must not be skipped.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
	}
	err := s.Save(ctx)
	// Closed: a second Close saves nothing (another stack may have the directory by then).
	s.persist.mu.Lock()
	s.persist.started = false
	s.persist.mu.Unlock()
	return err
}
