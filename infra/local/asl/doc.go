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
//
// # Fidelity
//
// The rules follow what AWS does where it differs from the letter of the
// specification, as recorded from executions on AWS itself:
//
//   - Paths are evaluated as the Jayway JsonPath library that Step Functions
//     uses evaluates them. A backslash in a quoted member name only keeps the
//     next character from closing the name and stays part of it:
//     $['Test\""Name"'] selects the key Test\""Name".
//   - Runtime errors are worded as AWS words them: a missing InputPath,
//     OutputPath, TimeoutSecondsPath or HeartbeatSecondsPath is "Invalid path
//     '$.x' : No results for path: $['x']" (Jayway's message, with its
//     bracket form of the path); a missing path in a payload template,
//     ErrorPath, CausePath or ItemsPath is "The JSONPath '$.x' specified for
//     the field 'ErrorPath' could not be found in the input '{...}'"; a
//     Wait state's SecondsPath that is negative or not an integer, and a
//     MaxConcurrencyPath that is not an integer, name the path and the
//     value found ("... cannot be parsed as a long value: $.wait == 1.5").
//     The prefix AWS puts before these causes, naming the state and its
//     entry in the history, is the runtime's: the language does not know
//     the history.
//   - The context object's State has RetryCount only in the states that
//     can retry (Task, Parallel, Map; see State.Retries).
//   - States.StringToJson of an empty or blank string is null.
//   - A Map state's legacy Iterator takes ProcessorConfig, as ItemProcessor
//     does.
package asl
