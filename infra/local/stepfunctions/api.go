package stepfunctions

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"refundflow/infra/local/asl"
)

// Handler returns the Step Functions API (awsJson1_0 protocol: POST with
// X-Amz-Target "AWSStepFunctions.<Operation>") for the real sfn client,
// pointed at it through BaseEndpoint. Requests are not authenticated: any
// credentials and region are accepted.
func (e *Engine) Handler() http.Handler { return http.HandlerFunc(e.serveHTTP) }

// operation decodes a request body, runs the operation and returns the
// response value.
type operation func(e *Engine, body []byte) (any, error)

// op adapts a typed operation to the HTTP layer.
func op[I, O any](f func(*Engine, *I) (*O, error)) operation {
	return func(e *Engine, body []byte) (any, error) {
		in := new(I)
		if len(bytes.TrimSpace(body)) > 0 {
			if err := json.Unmarshal(body, in); err != nil {
				return nil, &APIError{Code: codeSerialization, Message: serializationMessage(err), Status: http.StatusBadRequest}
			}
		}
		return f(e, in)
	}
}

func serializationMessage(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("Unexpected value type for field '%s': expected %s", te.Field, te.Type)
	}
	return "Malformed request body: " + err.Error()
}

var operations = map[string]operation{
	"CreateStateMachine":   op((*Engine).apiCreateStateMachine),
	"DescribeStateMachine": op((*Engine).apiDescribeStateMachine),
	"DeleteStateMachine":   op((*Engine).apiDeleteStateMachine),
	"ListStateMachines":    op((*Engine).apiListStateMachines),
	"StartExecution":       op((*Engine).apiStartExecution),
	"DescribeExecution":    op((*Engine).apiDescribeExecution),
	"ListExecutions":       op((*Engine).apiListExecutions),
	"StopExecution":        op((*Engine).apiStopExecution),
	"GetExecutionHistory":  op((*Engine).apiGetExecutionHistory),
	"SendTaskSuccess":      op((*Engine).apiSendTaskSuccess),
	"SendTaskFailure":      op((*Engine).apiSendTaskFailure),
	"SendTaskHeartbeat":    op((*Engine).apiSendTaskHeartbeat),
}

// maxRequestBody bounds request bodies; AWS's largest field (a definition)
// is 1 MiB.
const maxRequestBody = 4 << 20

// serveHTTP answers one API call: it finds the operation named by X-Amz-Target, decodes the body,
// runs the operation and writes its result or error as the service does.
func (e *Engine) serveHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("x-amzn-RequestId", newUUID())
	name, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), "AWSStepFunctions.")
	f := operations[name]
	if !ok || f == nil || r.Method != http.MethodPost {
		writeError(w, &APIError{Code: codeUnknownOperation, Status: http.StatusBadRequest})
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody+1))
	if err != nil {
		writeError(w, &APIError{Code: codeSerialization, Message: "cannot read request body: " + err.Error(), Status: http.StatusBadRequest})
		return
	}
	if len(body) > maxRequestBody {
		writeError(w, &APIError{Code: codeValidation, Message: "Request body is too large", Status: http.StatusRequestEntityTooLarge})
		return
	}
	out, err := f(e, body)
	if err != nil {
		var ae *APIError
		if !errors.As(err, &ae) {
			e.log.Error("step functions API operation failed", "operation", name, "err", err)
			ae = &APIError{Code: codeInternalFailure, Message: "internal error", Status: http.StatusInternalServerError}
		}
		writeError(w, ae)
		return
	}
	b, err := json.Marshal(out)
	if err != nil {
		e.log.Error("encode step functions API response", "operation", name, "err", err)
		writeError(w, &APIError{Code: codeInternalFailure, Message: "internal error", Status: http.StatusInternalServerError})
		return
	}
	writeBody(w, http.StatusOK, b)
}

// writeBody sends a JSON response body.
func writeBody(w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func writeError(w http.ResponseWriter, ae *APIError) {
	w.Header().Set("X-Amzn-ErrorType", ae.Code)
	status := ae.Status
	if status == 0 {
		status = http.StatusBadRequest
	}
	body := map[string]any{"__type": ae.Code}
	if ae.Message != "" {
		body["message"] = ae.Message
	}
	b, _ := json.Marshal(body)
	writeBody(w, status, b)
}

// epochTime marshals as awsJson1_0 timestamps: epoch seconds.
type epochTime time.Time

// MarshalJSON implements json.Marshaler.
func (t epochTime) MarshalJSON() ([]byte, error) {
	return []byte(epochSeconds(time.Time(t))), nil
}

func epochPtr(t time.Time) *epochTime {
	if t.IsZero() {
		return nil
	}
	et := epochTime(t)
	return &et
}

// missing reports required members left out, in AWS's ValidationException
// wording.
func missing(fields ...any) error {
	var problems []string
	for i := 0; i+1 < len(fields); i += 2 {
		name := fields[i].(string)
		present := fields[i+1].(bool)
		if !present {
			problems = append(problems, fmt.Sprintf("Value null at '%s' failed to satisfy constraint: Member must not be null", name))
		}
	}
	switch len(problems) {
	case 0:
		return nil
	case 1:
		return apiErrorf(codeValidation, "1 validation error detected: %s", problems[0])
	}
	return apiErrorf(codeValidation, "%d validation errors detected: %s", len(problems), strings.Join(problems, "; "))
}

// validName checks a state machine or execution name as AWS does: 1-80
// characters, no whitespace, brackets, wildcards, special or control
// characters.
func validName(s string) bool {
	if s == "" || len([]rune(s)) > 80 {
		return false
	}
	for _, r := range s {
		switch {
		case r <= 0x20, r >= 0x7f && r <= 0x9f:
			return false
		case strings.ContainsRune("<>{}[]?*\"#%\\^|~`$&,;:/", r):
			return false
		}
	}
	return true
}

// ARN helpers.

func (e *Engine) stateMachineArn(name string) string {
	return fmt.Sprintf("arn:aws:states:%s:%s:stateMachine:%s", e.region, e.account, name)
}

func (e *Engine) executionArn(machine, name string) string {
	return fmt.Sprintf("arn:aws:states:%s:%s:execution:%s:%s", e.region, e.account, machine, name)
}

// checkArn validates an ARN's shape for a resource type ("stateMachine",
// "execution") so malformed ARNs get InvalidArn, not DoesNotExist.
func checkArn(arn, resourceType string) error {
	parts := strings.Split(arn, ":")
	want := 7
	if resourceType == "execution" {
		want = 8
	}
	if len(parts) < 6 || parts[0] != "arn" || parts[2] != "states" {
		return apiErrorf(codeInvalidArn, "Invalid Arn: 'Invalid ARN prefix: %s'", arn)
	}
	if parts[5] != resourceType {
		return apiErrorf(codeInvalidArn, "Invalid Arn: 'Resource type not valid in this context: %s'", parts[5])
	}
	if len(parts) != want {
		return apiErrorf(codeInvalidArn, "Invalid Arn: 'Invalid Arn resource name: %s'", arn)
	}
	return nil
}

// Paging tokens are opaque to clients: an offset bound to what is listed.

func pageToken(scope string, offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(scope + "\x00" + strconv.Itoa(offset)))
}

func pageOffset(scope string, token *string) (int, error) {
	if token == nil || *token == "" {
		return 0, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(*token)
	i := strings.LastIndexByte(string(b), 0)
	if err != nil || i < 0 {
		return 0, apiErrorf(codeInvalidToken, "Invalid Token: '%s'", *token)
	}
	off, convErr := strconv.Atoi(string(b[i+1:]))
	if string(b[:i]) != scope || convErr != nil || off < 0 {
		return 0, apiErrorf(codeInvalidToken, "Invalid Token: '%s'", *token)
	}
	return off, nil
}

func pageSize(maxResults *int, def int) (int, error) {
	if maxResults == nil || *maxResults == 0 {
		return def, nil
	}
	if *maxResults < 0 || *maxResults > 1000 {
		return 0, apiErrorf(codeValidation,
			"1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000", *maxResults)
	}
	return *maxResults, nil
}

// --- CreateStateMachine / DescribeStateMachine / ListStateMachines ---

type createStateMachineInput struct {
	Name       *string `json:"name"`
	Definition *string `json:"definition"`
	RoleArn    *string `json:"roleArn"`
	Type       *string `json:"type"`
}

type createStateMachineOutput struct {
	StateMachineArn string    `json:"stateMachineArn"`
	CreationDate    epochTime `json:"creationDate"`
}

func (e *Engine) apiCreateStateMachine(in *createStateMachineInput) (*createStateMachineOutput, error) {
	if err := missing("name", in.Name != nil, "definition", in.Definition != nil, "roleArn", in.RoleArn != nil); err != nil {
		return nil, err
	}
	typ := "STANDARD"
	if in.Type != nil && *in.Type != "" {
		typ = *in.Type
	}
	sm, err := e.createStateMachine(*in.Name, *in.Definition, *in.RoleArn, typ)
	if err != nil {
		return nil, err
	}
	return &createStateMachineOutput{StateMachineArn: sm.arn, CreationDate: epochTime(sm.created)}, nil
}

// CreateStateMachine creates a Standard state machine from Go, as the
// CreateStateMachine operation does, after replacing the definition's
// ${Name} placeholders with subs (nil for none; a placeholder without a
// value is an error naming it). It returns the state machine's ARN. Creating
// the same name with the same definition again returns the same ARN; a
// different definition gives StateMachineAlreadyExists. Errors are
// *APIError (InvalidDefinition carries the reasons).
func (e *Engine) CreateStateMachine(name, definition string, subs map[string]string) (string, error) {
	if subs != nil {
		d, err := asl.Substitute(definition, subs)
		if err != nil {
			return "", apiErrorf(codeInvalidDefinition, "substitute definition of %s: %v", name, err)
		}
		definition = d
	}
	sm, err := e.createStateMachine(name, definition, fmt.Sprintf("arn:aws:iam::%s:role/local-stepfunctions", e.account), "STANDARD")
	if err != nil {
		return "", err
	}
	return sm.arn, nil
}

func (e *Engine) createStateMachine(name, definition, roleArn, typ string) (*stateMachine, error) {
	if !validName(name) {
		return nil, apiErrorf(codeInvalidName, "Invalid Name: '%s'", name)
	}
	switch typ {
	case "STANDARD":
	case "EXPRESS":
		return nil, apiErrorf(codeStateMachineTypeNotSupp, "The local Step Functions engine runs STANDARD state machines only")
	default:
		return nil, apiErrorf(codeValidation,
			"1 validation error detected: Value '%s' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [STANDARD, EXPRESS]", typ)
	}
	machine, err := asl.Parse([]byte(definition))
	if err != nil {
		var ve *asl.ValidationError
		if errors.As(err, &ve) {
			return nil, apiErrorf(codeInvalidDefinition, "%s", ve.Error())
		}
		return nil, apiErrorf(codeInvalidDefinition, "Invalid State Machine Definition: '%v'", err)
	}
	if problems := checkSupported(machine, ""); len(problems) > 0 {
		return nil, apiErrorf(codeInvalidDefinition, "%s", (&asl.ValidationError{Problems: problems}).Error())
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	arn := e.stateMachineArn(name)
	if old, ok := e.machines[arn]; ok {
		if old.deleting {
			return nil, errDeleting(arn)
		}
		// CreateStateMachine is idempotent on name, definition and type;
		// the role is ignored, as on AWS.
		if old.definition == definition && old.typ == typ {
			return old, nil
		}
		return nil, apiErrorf(codeStateMachineAlreadyExists, "State Machine Already Exists: '%s'", arn)
	}
	sm := &stateMachine{arn: arn, name: name, definition: definition, roleArn: roleArn, typ: typ,
		created: e.clock.Now(), machine: machine}
	e.machines[arn] = sm
	e.changes++
	return sm, nil
}

type arnInput struct {
	StateMachineArn *string `json:"stateMachineArn"`
}

type describeStateMachineOutput struct {
	StateMachineArn      string         `json:"stateMachineArn"`
	Name                 string         `json:"name"`
	Status               string         `json:"status"`
	Definition           string         `json:"definition"`
	RoleArn              string         `json:"roleArn"`
	Type                 string         `json:"type"`
	CreationDate         epochTime      `json:"creationDate"`
	LoggingConfiguration map[string]any `json:"loggingConfiguration"`
	TracingConfiguration map[string]any `json:"tracingConfiguration"`
}

func (e *Engine) lookupMachine(arn *string) (*stateMachine, error) {
	if err := missing("stateMachineArn", arn != nil); err != nil {
		return nil, err
	}
	if err := checkArn(*arn, "stateMachine"); err != nil {
		return nil, err
	}
	sm, ok := e.machines[*arn]
	if !ok {
		return nil, apiErrorf(codeStateMachineDoesNotExist, "State Machine Does Not Exist: '%s'", *arn)
	}
	return sm, nil
}

func (e *Engine) apiDescribeStateMachine(in *arnInput) (*describeStateMachineOutput, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	sm, err := e.lookupMachine(in.StateMachineArn)
	if err != nil {
		return nil, err
	}
	status := "ACTIVE"
	if sm.deleting {
		status = "DELETING"
	}
	return &describeStateMachineOutput{
		StateMachineArn: sm.arn, Name: sm.name, Status: status, Definition: sm.definition,
		RoleArn: sm.roleArn, Type: sm.typ, CreationDate: epochTime(sm.created),
		LoggingConfiguration: map[string]any{"level": "OFF", "includeExecutionData": false},
		TracingConfiguration: map[string]any{"enabled": false},
	}, nil
}

func (e *Engine) apiDeleteStateMachine(in *arnInput) (*emptyOutput, error) {
	if err := missing("stateMachineArn", in.StateMachineArn != nil); err != nil {
		return nil, err
	}
	if err := e.DeleteStateMachine(*in.StateMachineArn); err != nil {
		return nil, err
	}
	return &emptyOutput{}, nil
}

// DeleteStateMachine deletes a state machine from Go, as the
// DeleteStateMachine operation does on AWS: the state machine's status
// becomes DELETING, and it goes once none of its executions runs any more —
// at once when none does. A running execution is not stopped by the call:
// it fails at its next state transition with States.Runtime, "State machine
// <name> has been deleted.", so one that waits for a task token or a long
// Wait state keeps the state machine DELETING until it moves on or is
// stopped (StopExecution). While DELETING, DescribeStateMachine answers with
// that status, and StartExecution and CreateStateMachine of the same name
// with StateMachineDeleting. Once gone, the state machine answers
// StateMachineDoesNotExist, and its executions go with it
// (ExecutionDoesNotExist), so that nothing of it stays in memory or in a
// snapshot. Deleting a state machine that does not exist succeeds, as on
// AWS; a malformed ARN is InvalidArn.
func (e *Engine) DeleteStateMachine(stateMachineArn string) error {
	if err := checkArn(stateMachineArn, "stateMachine"); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.unlock()
	sm, ok := e.machines[stateMachineArn]
	if !ok {
		return nil
	}
	sm.deleting = true
	e.finishDeletion(sm)
	return nil
}

// finishDeletion removes a DELETING state machine, and its executions, once
// none of them runs.
func (e *Engine) finishDeletion(sm *stateMachine) {
	if !sm.deleting || e.machines[sm.arn] != sm {
		return
	}
	for _, x := range sm.executions {
		if x.status == statusRunning {
			return
		}
	}
	delete(e.machines, sm.arn)
	for _, x := range sm.executions {
		delete(e.executions, x.arn)
	}
	sm.executions = nil
	e.changes++
}

// errDeleting is AWS's StateMachineDeleting error.
func errDeleting(arn string) error {
	return apiErrorf(codeStateMachineDeleting, "State Machine is being deleted: '%s'", arn)
}

type listInput struct {
	MaxResults *int    `json:"maxResults"`
	NextToken  *string `json:"nextToken"`
}

type stateMachineListItem struct {
	StateMachineArn string    `json:"stateMachineArn"`
	Name            string    `json:"name"`
	Type            string    `json:"type"`
	CreationDate    epochTime `json:"creationDate"`
}

type listStateMachinesOutput struct {
	StateMachines []stateMachineListItem `json:"stateMachines"`
	NextToken     string                 `json:"nextToken,omitempty"`
}

func (e *Engine) apiListStateMachines(in *listInput) (*listStateMachinesOutput, error) {
	size, err := pageSize(in.MaxResults, 100)
	if err != nil {
		return nil, err
	}
	off, err := pageOffset("stateMachines", in.NextToken)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	items := make([]stateMachineListItem, 0, len(e.machines))
	for _, sm := range e.machines {
		items = append(items, stateMachineListItem{sm.arn, sm.name, sm.typ, epochTime(sm.created)})
	}
	e.mu.Unlock()
	sort.Slice(items, func(i, j int) bool { return items[i].Name < items[j].Name })
	out := &listStateMachinesOutput{StateMachines: []stateMachineListItem{}}
	if off < len(items) {
		end := min(off+size, len(items))
		out.StateMachines = items[off:end]
		if end < len(items) {
			out.NextToken = pageToken("stateMachines", end)
		}
	}
	return out, nil
}

// --- StartExecution / DescribeExecution / ListExecutions / StopExecution ---

type startExecutionInput struct {
	StateMachineArn *string `json:"stateMachineArn"`
	Name            *string `json:"name"`
	Input           *string `json:"input"`
	TraceHeader     *string `json:"traceHeader"`
}

type startExecutionOutput struct {
	ExecutionArn string    `json:"executionArn"`
	StartDate    epochTime `json:"startDate"`
}

func (e *Engine) apiStartExecution(in *startExecutionInput) (*startExecutionOutput, error) {
	name := ""
	if in.Name != nil {
		name = *in.Name
	}
	input := "{}"
	if in.Input != nil {
		input = *in.Input
	}
	if err := missing("stateMachineArn", in.StateMachineArn != nil); err != nil {
		return nil, err
	}
	arn, start, err := e.StartExecution(*in.StateMachineArn, name, input)
	if err != nil {
		return nil, err
	}
	return &startExecutionOutput{ExecutionArn: arn, StartDate: epochTime(start)}, nil
}

// StartExecution starts an execution from Go, as the StartExecution
// operation does (name "" gets a random UUID; input "" means "{}"). With
// Standard idempotency, the same name and input as a running execution return
// that execution; any other reuse of a name gives ExecutionAlreadyExists.
// The execution runs until it first waits (for a Lambda handler, a timer or
// a task token) before StartExecution returns.
func (e *Engine) StartExecution(stateMachineArn, name, input string) (executionArn string, startDate time.Time, err error) {
	if name == "" {
		name = newUUID()
	}
	if input == "" {
		input = "{}"
	}
	if !validName(name) {
		return "", time.Time{}, apiErrorf(codeInvalidName, "Invalid Name: '%s'", name)
	}
	if len(input) > dataLimit {
		return "", time.Time{}, apiErrorf(codeInvalidExecutionInput,
			"Invalid Execution Input: 'The input exceeds the maximum size of %d bytes'", dataLimit)
	}
	v, err := asl.Decode([]byte(input))
	if err != nil {
		return "", time.Time{}, apiErrorf(codeInvalidExecutionInput, "Invalid State Machine Execution Input: '%v'", err)
	}
	e.mu.Lock()
	defer e.unlock()
	sm, err := e.lookupMachine(&stateMachineArn)
	if err != nil {
		return "", time.Time{}, err
	}
	if sm.deleting {
		return "", time.Time{}, errDeleting(sm.arn)
	}
	arn := e.executionArn(sm.name, name)
	if old, ok := e.executions[arn]; ok {
		if old.status == statusRunning && old.input == input {
			return old.arn, old.start, nil
		}
		return "", time.Time{}, apiErrorf(codeExecutionAlreadyExists, "Execution Already Exists: '%s'", arn)
	}
	x := &execution{e: e, arn: arn, name: name, sm: sm, definition: sm.definition, input: input, status: statusRunning, start: e.clock.Now()}
	e.executions[arn] = x
	sm.executions = append(sm.executions, x)
	e.log.Debug("execution started", "executionArn", arn)
	x.begin(v)
	return x.arn, x.start, nil
}

type executionInput struct {
	ExecutionArn *string `json:"executionArn"`
}

type describeExecutionOutput struct {
	ExecutionArn    string          `json:"executionArn"`
	StateMachineArn string          `json:"stateMachineArn"`
	Name            string          `json:"name"`
	Status          string          `json:"status"`
	StartDate       epochTime       `json:"startDate"`
	StopDate        *epochTime      `json:"stopDate,omitempty"`
	Input           string          `json:"input"`
	InputDetails    map[string]bool `json:"inputDetails"`
	Output          *string         `json:"output,omitempty"`
	OutputDetails   map[string]bool `json:"outputDetails,omitempty"`
	Error           *string         `json:"error,omitempty"`
	Cause           *string         `json:"cause,omitempty"`
	RedriveCount    int             `json:"redriveCount"`
	RedriveStatus   string          `json:"redriveStatus"`
}

func (e *Engine) lookupExecution(arn *string) (*execution, error) {
	if err := missing("executionArn", arn != nil); err != nil {
		return nil, err
	}
	if err := checkArn(*arn, "execution"); err != nil {
		return nil, err
	}
	x, ok := e.executions[*arn]
	if !ok {
		return nil, apiErrorf(codeExecutionDoesNotExist, "Execution Does Not Exist: '%s'", *arn)
	}
	return x, nil
}

func (e *Engine) apiDescribeExecution(in *executionInput) (*describeExecutionOutput, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	x, err := e.lookupExecution(in.ExecutionArn)
	if err != nil {
		return nil, err
	}
	out := &describeExecutionOutput{
		ExecutionArn: x.arn, StateMachineArn: x.sm.arn, Name: x.name, Status: x.status,
		StartDate: epochTime(x.start), StopDate: epochPtr(x.stop), Input: x.input,
		InputDetails: map[string]bool{"included": true}, RedriveStatus: "NOT_REDRIVABLE",
	}
	switch x.status {
	case statusSucceeded:
		o := x.output
		out.Output = &o
		out.OutputDetails = map[string]bool{"included": true}
	case statusFailed, statusTimedOut, statusAborted:
		if x.errName != "" {
			s := x.errName
			out.Error = &s
		}
		if x.cause != "" {
			s := x.cause
			out.Cause = &s
		}
	}
	return out, nil
}

type listExecutionsInput struct {
	StateMachineArn *string `json:"stateMachineArn"`
	StatusFilter    *string `json:"statusFilter"`
	MaxResults      *int    `json:"maxResults"`
	NextToken       *string `json:"nextToken"`
}

type executionListItem struct {
	ExecutionArn    string     `json:"executionArn"`
	StateMachineArn string     `json:"stateMachineArn"`
	Name            string     `json:"name"`
	Status          string     `json:"status"`
	StartDate       epochTime  `json:"startDate"`
	StopDate        *epochTime `json:"stopDate,omitempty"`
}

type listExecutionsOutput struct {
	Executions []executionListItem `json:"executions"`
	NextToken  string              `json:"nextToken,omitempty"`
}

func (e *Engine) apiListExecutions(in *listExecutionsInput) (*listExecutionsOutput, error) {
	size, err := pageSize(in.MaxResults, 100)
	if err != nil {
		return nil, err
	}
	filter := ""
	if in.StatusFilter != nil {
		filter = *in.StatusFilter
		switch filter {
		case statusRunning, statusSucceeded, statusFailed, statusTimedOut, statusAborted, "PENDING_REDRIVE":
		default:
			return nil, apiErrorf(codeValidation,
				"1 validation error detected: Value '%s' at 'statusFilter' failed to satisfy constraint: Member must satisfy enum value set: [SUCCEEDED, TIMED_OUT, PENDING_REDRIVE, ABORTED, FAILED, RUNNING]", filter)
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	sm, err := e.lookupMachine(in.StateMachineArn)
	if err != nil {
		return nil, err
	}
	off, err := pageOffset("executions\x00"+sm.arn+"\x00"+filter, in.NextToken)
	if err != nil {
		return nil, err
	}
	out := &listExecutionsOutput{Executions: []executionListItem{}}
	// Newest first, as AWS lists them.
	seen := 0
	for i := len(sm.executions) - 1; i >= 0; i-- {
		x := sm.executions[i]
		if filter != "" && x.status != filter {
			continue
		}
		seen++
		if seen <= off {
			continue
		}
		if len(out.Executions) == size {
			out.NextToken = pageToken("executions\x00"+sm.arn+"\x00"+filter, off+size)
			break
		}
		out.Executions = append(out.Executions, executionListItem{x.arn, sm.arn, x.name, x.status, epochTime(x.start), epochPtr(x.stop)})
	}
	return out, nil
}

type stopExecutionInput struct {
	ExecutionArn *string `json:"executionArn"`
	Error        *string `json:"error"`
	Cause        *string `json:"cause"`
}

type stopExecutionOutput struct {
	StopDate epochTime `json:"stopDate"`
}

func (e *Engine) apiStopExecution(in *stopExecutionInput) (*stopExecutionOutput, error) {
	e.mu.Lock()
	defer e.unlock()
	x, err := e.lookupExecution(in.ExecutionArn)
	if err != nil {
		return nil, err
	}
	if x.status == statusRunning {
		var errName, cause string
		if in.Error != nil {
			errName = *in.Error
		}
		if in.Cause != nil {
			cause = *in.Cause
		}
		x.finish(statusAborted, x.root.last, errName, cause)
	}
	return &stopExecutionOutput{StopDate: epochTime(x.stop)}, nil
}

// --- GetExecutionHistory ---

type getExecutionHistoryInput struct {
	ExecutionArn         *string `json:"executionArn"`
	MaxResults           *int    `json:"maxResults"`
	NextToken            *string `json:"nextToken"`
	ReverseOrder         bool    `json:"reverseOrder"`
	IncludeExecutionData *bool   `json:"includeExecutionData"`
}

type getExecutionHistoryOutput struct {
	Events    []json.RawMessage `json:"events"`
	NextToken string            `json:"nextToken,omitempty"`
}

func (e *Engine) apiGetExecutionHistory(in *getExecutionHistoryInput) (*getExecutionHistoryOutput, error) {
	size, err := pageSize(in.MaxResults, 100)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	x, err := e.lookupExecution(in.ExecutionArn)
	if err != nil {
		return nil, err
	}
	scope := "history\x00" + x.arn + "\x00" + strconv.FormatBool(in.ReverseOrder)
	off, err := pageOffset(scope, in.NextToken)
	if err != nil {
		return nil, err
	}
	include := in.IncludeExecutionData == nil || *in.IncludeExecutionData
	n := len(x.events)
	out := &getExecutionHistoryOutput{Events: []json.RawMessage{}}
	var buf bytes.Buffer
	for i := off; i < n && i < off+size; i++ {
		ev := &x.events[i]
		if in.ReverseOrder {
			ev = &x.events[n-1-i]
		}
		buf.Reset()
		if err := encodeEvent(&buf, ev, include); err != nil {
			return nil, fmt.Errorf("encode event %d of %s: %w", ev.id, x.arn, err)
		}
		out.Events = append(out.Events, json.RawMessage(bytes.Clone(buf.Bytes())))
	}
	if off+size < n {
		out.NextToken = pageToken(scope, off+size)
	}
	return out, nil
}

// --- SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat ---

type sendTaskSuccessInput struct {
	TaskToken *string `json:"taskToken"`
	Output    *string `json:"output"`
}

type sendTaskFailureInput struct {
	TaskToken *string `json:"taskToken"`
	Error     *string `json:"error"`
	Cause     *string `json:"cause"`
}

type sendTaskHeartbeatInput struct {
	TaskToken *string `json:"taskToken"`
}

type emptyOutput struct{}

// lookupToken finds the task a token belongs to, answering with AWS's error
// codes: InvalidToken for a string that cannot be a token, TaskTimedOut for a
// task that has ended (completed, failed, timed out or its execution
// stopped: "the task associated with the token has already been closed"),
// TaskDoesNotExist for a well-formed token this engine never issued (for
// example one from before a restart of the local stack).
func (e *Engine) lookupToken(token *string) (*taskRun, error) {
	if err := missing("taskToken", token != nil); err != nil {
		return nil, err
	}
	if !wellFormedToken(*token) {
		return nil, apiErrorf(codeInvalidToken, "Invalid Token: 'Invalid token'")
	}
	if tr, ok := e.tokens[*token]; ok {
		return tr, nil
	}
	if _, ok := e.closed[*token]; ok {
		return nil, apiErrorf(codeTaskTimedOut, "Task Timed Out: 'Provided task does not exist anymore'")
	}
	return nil, apiErrorf(codeTaskDoesNotExist, "Task Does Not Exist: 'Provided task does not exist'")
}

func (e *Engine) apiSendTaskSuccess(in *sendTaskSuccessInput) (*emptyOutput, error) {
	if err := missing("output", in.Output != nil, "taskToken", in.TaskToken != nil); err != nil {
		return nil, err
	}
	if len(*in.Output) > dataLimit {
		return nil, apiErrorf(codeValidation,
			"1 validation error detected: Value at 'output' failed to satisfy constraint: Member must have length less than or equal to %d", dataLimit)
	}
	e.mu.Lock()
	defer e.unlock()
	tr, err := e.lookupToken(in.TaskToken)
	if err != nil {
		return nil, err
	}
	v, err := asl.Decode([]byte(*in.Output))
	if err != nil {
		return nil, apiErrorf(codeInvalidOutput, "Invalid Output: '%v'", err)
	}
	tr.th.x.sendSuccess(tr, v)
	return &emptyOutput{}, nil
}

func (e *Engine) apiSendTaskFailure(in *sendTaskFailureInput) (*emptyOutput, error) {
	e.mu.Lock()
	defer e.unlock()
	tr, err := e.lookupToken(in.TaskToken)
	if err != nil {
		return nil, err
	}
	var name, cause string
	if in.Error != nil {
		name = *in.Error
	}
	if in.Cause != nil {
		cause = *in.Cause
	}
	tr.th.x.taskFailed(tr, name, cause)
	return &emptyOutput{}, nil
}

func (e *Engine) apiSendTaskHeartbeat(in *sendTaskHeartbeatInput) (*emptyOutput, error) {
	e.mu.Lock()
	defer e.unlock()
	tr, err := e.lookupToken(in.TaskToken)
	if err != nil {
		return nil, err
	}
	if tr.heartbeat != nil {
		tr.th.x.armHeartbeat(tr)
	}
	return &emptyOutput{}, nil
}
