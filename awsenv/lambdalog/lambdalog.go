// Package lambdalog is the functions' log format: one JSON object per line (log/slog), each carrying
// the Lambda request id of the invocation it was written in, so that every line of one request can
// be found with one CloudWatch Logs Insights filter (awsRequestId = "...").
//
// The request id comes from the context the Lambda runtime hands to the handler
// (lambdacontext.AwsRequestID), so it is added to records logged with a context: InfoContext(ctx, ...)
// and friends. The workflow steps add the refund request id and the execution ARN themselves
// (handler's task logger); an attribute the logger or the record already has is never added twice.
//
// What goes in the lines is the callers' business, and the rule is the design's: IDs, outcomes and
// error names; no email addresses, names, link codes or task tokens. The workflow log test
// (workflow_test.go) runs whole requests on the local stack and scans every line for them.
package lambdalog

import (
	"context"
	"io"
	"log/slog"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

// KeyAWSRequestID is the attribute holding the Lambda request id.
const KeyAWSRequestID = "awsRequestId"

// NewHandler returns a JSON handler writing to w (see slog.NewJSONHandler for opts) that adds the
// Lambda request id from each record's context.
func NewHandler(w io.Writer, opts *slog.HandlerOptions) slog.Handler {
	base := slog.NewJSONHandler(w, opts)
	return &handler{base: base, inner: base}
}

// handler adds the context's request id to records.
type handler struct {
	// base is the JSON handler without any With or WithGroup; inner is base with ops applied.
	base, inner slog.Handler
	// ops are the WithAttrs and WithGroup calls so far, in order, to rebuild inner on top of an
	// added attribute when a group is open (the attribute belongs at the top level).
	ops []func(slog.Handler) slog.Handler
	// has holds the keys of the top-level attributes added with WithAttrs.
	has map[string]bool
	// grouped reports whether a group is open.
	grouped bool
}

// Enabled reports whether the inner handler takes records of the level.
func (h *handler) Enabled(ctx context.Context, l slog.Level) bool { return h.inner.Enabled(ctx, l) }

// Handle adds the request id when the context has one and neither the logger nor the record carries
// it already, and writes the record.
func (h *handler) Handle(ctx context.Context, r slog.Record) error {
	lc, ok := lambdacontext.FromContext(ctx)
	if !ok || lc.AwsRequestID == "" || h.has[KeyAWSRequestID] || recordHas(r, KeyAWSRequestID) {
		return h.inner.Handle(ctx, r)
	}
	id := slog.String(KeyAWSRequestID, lc.AwsRequestID)
	if !h.grouped {
		r = r.Clone()
		r.AddAttrs(id)
		return h.inner.Handle(ctx, r)
	}
	// A group is open: record attributes would land inside it, so put the id on the base first and
	// replay the logger's attributes and groups on top.
	withID := h.base.WithAttrs([]slog.Attr{id})
	for _, op := range h.ops {
		withID = op(withID)
	}
	return withID.Handle(ctx, r)
}

// WithAttrs returns a handler whose records carry attrs.
func (h *handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	next := h.derive(func(in slog.Handler) slog.Handler { return in.WithAttrs(attrs) })
	if !h.grouped {
		for _, a := range attrs {
			next.has[a.Key] = true
		}
	}
	return next
}

// WithGroup returns a handler whose records' attributes go in the group name.
func (h *handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	next := h.derive(func(in slog.Handler) slog.Handler { return in.WithGroup(name) })
	next.grouped = true
	return next
}

// derive returns a copy of h with one more operation applied.
func (h *handler) derive(op func(slog.Handler) slog.Handler) *handler {
	next := &handler{base: h.base, inner: op(h.inner), grouped: h.grouped, has: map[string]bool{}}
	next.ops = append(append([]func(slog.Handler) slog.Handler(nil), h.ops...), op)
	for k := range h.has {
		next.has[k] = true
	}
	return next
}

// recordHas reports whether a record has a top-level attribute with the key.
func recordHas(r slog.Record, key string) bool {
	found := false
	r.Attrs(func(a slog.Attr) bool {
		found = a.Key == key
		return !found
	})
	return found
}
