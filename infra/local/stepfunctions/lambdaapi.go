package stepfunctions

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// maxInvokePayload is Lambda's limit on a synchronous invocation's request (and answer): 6 MB.
const maxInvokePayload = 6 * 1024 * 1024

// LambdaHandler serves the part of the Lambda API one function uses to call another: Invoke
// (POST /2015-03-31/functions/{FunctionName}/invocations) on the functions registered with the
// engine, which runs every function of the local stack. It answers as Lambda does:
//
//   - RequestResponse (the default): 200 with the function's answer; a function that failed is
//     200 too, with X-Amz-Function-Error: Unhandled and the runtime's error document as the body;
//   - Event: 202 at once, the function runs on its own (at least once, like the engine's other
//     Event invocations);
//   - DryRun: 204;
//   - an unknown function: 404 ResourceNotFoundException; a payload over 6 MB: 413
//     RequestTooLargeException; a payload that is not JSON: 400 InvalidRequestContentException.
//
// The qualifier (an alias or version in the name or the Qualifier parameter) is accepted and
// ignored: the local stack runs one version of each function.
func (e *Engine) LambdaHandler() http.Handler { return http.HandlerFunc(e.serveLambda) }

func (e *Engine) serveLambda(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/2015-03-31/functions/")
	name, ok2 := strings.CutSuffix(rest, "/invocations")
	if !ok || !ok2 || r.Method != http.MethodPost {
		lambdaError(w, http.StatusNotFound, "UnknownOperationException", "The local Lambda API serves Invoke only.")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxInvokePayload+1))
	if err != nil {
		lambdaError(w, http.StatusBadRequest, "InvalidRequestContentException", "Could not read the request payload.")
		return
	}
	if len(body) > maxInvokePayload {
		lambdaError(w, http.StatusRequestEntityTooLarge, "RequestTooLargeException", fmt.Sprintf("Request must be smaller than %d bytes for the InvokeFunction operation", maxInvokePayload))
		return
	}
	if len(body) == 0 {
		body = []byte("{}") // what Lambda hands a function invoked without a payload
	}
	if !json.Valid(body) {
		lambdaError(w, http.StatusBadRequest, "InvalidRequestContentException", "Could not parse request body into json: the payload is not JSON.")
		return
	}
	fnName := functionName(name)
	e.mu.Lock()
	fn, found := e.functions[fnName]
	e.mu.Unlock()
	fnArn := fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", e.region, e.account, fnName)
	if !found {
		lambdaError(w, http.StatusNotFound, "ResourceNotFoundException", "Function not found: "+fnArn)
		return
	}
	switch typ := r.Header.Get("X-Amz-Invocation-Type"); typ {
	case "", "RequestResponse":
	case "Event":
		e.mu.Lock()
		e.invokeAsync(fnName, body)
		e.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
		return
	case "DryRun":
		w.WriteHeader(http.StatusNoContent)
		return
	default:
		lambdaError(w, http.StatusBadRequest, "InvalidParameterValueException", fmt.Sprintf("Unsupported invocation type %q.", typ))
		return
	}
	out, _, cause, failed := invokeHandler(lambdaContext(r.Context(), newUUID(), fnArn), fn, body)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amz-Executed-Version", "$LATEST")
	if failed {
		w.Header().Set("X-Amz-Function-Error", "Unhandled")
		io.WriteString(w, cause)
		return
	}
	w.Write(out)
}

// lambdaError writes one of the Lambda API's own errors (not a function's).
func lambdaError(w http.ResponseWriter, status int, typ, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", typ)
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"Type": "User", "message": message})
}
