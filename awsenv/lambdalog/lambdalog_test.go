package lambdalog

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

// logLines logs with f through a new handler and returns the lines as they were written.
func logLines(t *testing.T, f func(*slog.Logger)) []string {
	t.Helper()
	var buf bytes.Buffer
	f(slog.New(NewHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	return strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
}

func invocation(id string) context.Context {
	return lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: id})
}

func TestHandlerAddsTheRequestID(t *testing.T) {
	ctx := invocation("0f3c-req")
	tests := []struct {
		name string
		log  func(*slog.Logger)
		want string // the line without time
	}{
		{"context", func(l *slog.Logger) { l.InfoContext(ctx, "done", "outcome", "verified") },
			`"level":"INFO","msg":"done","outcome":"verified","awsRequestId":"0f3c-req"}`},
		{"no context", func(l *slog.Logger) { l.Info("done") },
			`"level":"INFO","msg":"done"}`},
		{"context without invocation", func(l *slog.Logger) { l.InfoContext(context.Background(), "done") },
			`"level":"INFO","msg":"done"}`},
		{"logger has it already", func(l *slog.Logger) { l.With(KeyAWSRequestID, "mine").WarnContext(ctx, "done") },
			`"level":"WARN","msg":"done","awsRequestId":"mine"}`},
		{"record has it already", func(l *slog.Logger) { l.ErrorContext(ctx, "done", KeyAWSRequestID, "mine") },
			`"level":"ERROR","msg":"done","awsRequestId":"mine"}`},
		{"with attrs", func(l *slog.Logger) { l.With("function", "Notify").DebugContext(ctx, "done") },
			`"level":"DEBUG","msg":"done","function":"Notify","awsRequestId":"0f3c-req"}`},
		{"in a group the id stays at the top", func(l *slog.Logger) {
			l.With("function", "Notify").WithGroup("mail").With("event", "received").InfoContext(ctx, "sent", "n", 1)
		}, `"level":"INFO","msg":"sent","awsRequestId":"0f3c-req","function":"Notify","mail":{"event":"received","n":1}}`},
		{"attrs inside a group do not count", func(l *slog.Logger) {
			l.WithGroup("g").With(KeyAWSRequestID, "inner").InfoContext(ctx, "x")
		}, `"level":"INFO","msg":"x","awsRequestId":"0f3c-req","g":{"awsRequestId":"inner"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lines := logLines(t, tt.log)
			if len(lines) != 1 {
				t.Fatalf("lines = %q", lines)
			}
			_, rest, ok := strings.Cut(lines[0], `Z",`)
			if !ok {
				_, rest, _ = strings.Cut(lines[0], `",`) // a local zone offset
			}
			if got := rest; got != tt.want {
				t.Errorf("line:\n got %s\nwant %s", got, tt.want)
			}
			var v map[string]any
			if err := json.Unmarshal([]byte(lines[0]), &v); err != nil {
				t.Errorf("not JSON: %v", err)
			}
		})
	}
}

func TestHandlerKeepsLevels(t *testing.T) {
	var buf bytes.Buffer
	l := slog.New(NewHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn}))
	l.InfoContext(invocation("a"), "dropped")
	l.WarnContext(invocation("a"), "kept")
	if got := strings.Count(buf.String(), "\n"); got != 1 || !strings.Contains(buf.String(), "kept") {
		t.Errorf("output %q, want only the warning", buf.String())
	}
	if l.Enabled(context.Background(), slog.LevelInfo) {
		t.Error("Info is enabled under a Warn level")
	}
}
