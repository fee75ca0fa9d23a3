package cost

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"refundflow/awsenv"
	"refundflow/awsenv/httpclient"
	"refundflow/awsenv/sandboxfuncs"
	"refundflow/handler"
	"refundflow/infra/local/stack"
)

// sandboxRunsPerMonth is how often a sandbox deployment's SandboxEventsFunction runs:
// rate(2 minutes).
const sandboxRunsPerMonth = 30 * 24 * 60 / 2

// TestSandboxDeliveryCostPerMonth prices a month of a sandbox deployment's event delivery
// (SandboxEventsFunction, rate(2 minutes), only with PaymentProvider=sandbox) as it runs almost
// every time: nothing in the sandbox's outbox. It is built from the template's environment like the
// deployed function and invoked as EventBridge does; the DynamoDB calls and read units are counted at
// the table, the Lambda time is measured plus awsLatencyMillis per AWS call. A Stripe deployment has
// no such function, so this is no part of TestCostPerPath's paths.
func TestSandboxDeliveryCostPerMonth(t *testing.T) {
	prices, err := ListPrices()
	if err != nil {
		t.Fatal(err)
	}
	w := newWorld(t)
	vars := w.s.Environment[sandboxfuncs.FunctionSandboxEvents]
	if vars == nil {
		t.Fatal("the stack (PaymentProvider=sandbox) did not build SandboxEventsFunction")
	}
	fn, err := awsenv.Builders()[sandboxfuncs.FunctionSandboxEvents](w.ctx, awsenv.Env{
		Getenv:    func(name string) string { return vars[name] },
		AWS:       aws.Config{Region: stack.Region, Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""), HTTPClient: httpclient.New(nil)},
		Endpoints: awsenv.Endpoints{DynamoDB: w.s.DynamoDBURL, SecretsManager: w.s.SecretsManagerURL},
	})
	if err != nil {
		t.Fatal(err)
	}
	// Whatever the stack left in the outbox (the demo data makes no events) goes first.
	if _, err := w.s.DeliverEvents(w.ctx); err != nil {
		t.Fatal(err)
	}
	in, err := json.Marshal(events.EventBridgeEvent{Source: "aws.events", DetailType: "Scheduled Event", Detail: json.RawMessage("{}")})
	if err != nil {
		t.Fatal(err)
	}
	const runs = 50
	before := w.ddb.Usage()
	var millis float64
	for range runs {
		start := time.Now()
		out, err := fn.Invoke(w.ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		var rep handler.SandboxDelivery
		if err := json.Unmarshal(out, &rep); err != nil || rep != (handler.SandboxDelivery{}) {
			t.Fatalf("idle run: %s, %v", out, err)
		}
		millis += BilledMillis(float64(time.Since(start)) / float64(time.Millisecond))
	}
	d := w.ddb.Usage().Sub(before).Total()
	calls := float64(d.Calls) / runs
	if calls != 1 || d.WriteUnits != 0 {
		t.Errorf("DynamoDB per idle run: %v calls, %v write units; want one Query and no write", calls, d.WriteUnits/runs)
	}
	u := Usage{Invocations: sandboxRunsPerMonth, MemoryMB: w.memory, ReadUnits: d.ReadUnits / runs * sandboxRunsPerMonth,
		LambdaMillis: (millis/runs + calls*awsLatencyMillis) * sandboxRunsPerMonth}
	b := prices.Price(u)
	t.Logf("idle sandbox deliveries, %d a month (rate(2 minutes)), %d MB, prices of %s:\n"+
		"| run | Queries per run | RRU per run | Lambda ms per run | RRU per month | GB-s per month | requests | duration | DynamoDB | **per month** |\n"+
		"|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"+
		"| idle delivery | %.0f | %.1f | %.0f | %.1f | %.2f | $%.4f | $%.4f | $%.4f | **$%.4f** |",
		sandboxRunsPerMonth, w.memory, prices.Date, calls, u.ReadUnits/sandboxRunsPerMonth, u.LambdaMillis/sandboxRunsPerMonth,
		u.ReadUnits, u.GBSeconds(), float64(u.Invocations)*prices.LambdaPerRequest, u.GBSeconds()*prices.LambdaPerGBSecond, b.DynamoDB, b.Total())
	if got := b.Total(); got > 0.05 {
		t.Errorf("a sandbox deployment's idle delivery costs $%.4f a month, want a few cents at most", got)
	}
}
