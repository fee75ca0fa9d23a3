// Package asl is the pure language half of Refundflow's local Step Functions
// engine: it parses and validates Amazon States Language definitions
// (JSONPath query language) and evaluates everything that does not need time,
// I/O or concurrency — paths, payload templates, intrinsic functions, Choice
// rules, Wait targets, timeouts, retry delays and error matching.
//
// JSON values are plain Go values as decoded by encoding/json with
// UseNumber: nil, bool, string, json.Number, []any and map[string]any. The
// package never mutates a value it is given; functions that build a new value
// copy only what they change.
//
// The runtime (package stepfunctions) owns executions, clocks and I/O and calls
// into this package for every language rule, so the rules live in one place and
// are tested here without a server.
package asl
