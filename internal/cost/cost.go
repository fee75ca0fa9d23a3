// Package cost turns what one refund request uses — state transitions, Lambda invocations and their
// duration, DynamoDB request units, emails, API calls — into dollars at AWS list prices. The prices
// are in prices.json with the date they were taken; the usage is measured on the local stack by this
// package's tests (go test ./internal/cost -run TestCostPerPath -v prints the table).
package cost

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"math"
	"strings"
)

//go:embed prices.json
var pricesJSON []byte

// Prices are AWS list prices in dollars per unit.
type Prices struct {
	// Date is when the prices were taken (YYYY-MM-DD); Region and Currency say where and in what.
	Date     string `json:"date"`
	Region   string `json:"region"`
	Currency string `json:"currency"`
	// Note and Sources say where the figures come from.
	Note    string            `json:"note"`
	Sources map[string]string `json:"sources"`

	StepFunctionsPerTransition float64 `json:"step_functions_per_transition"`
	LambdaPerGBSecond          float64 `json:"lambda_per_gb_second"`
	LambdaPerRequest           float64 `json:"lambda_per_request"`
	DynamoDBPerWriteUnit       float64 `json:"dynamodb_per_write_request_unit"`
	DynamoDBPerReadUnit        float64 `json:"dynamodb_per_read_request_unit"`
	SESPerEmail                float64 `json:"ses_per_email"`
	HTTPAPIPerRequest          float64 `json:"http_api_per_request"`
}

// ListPrices returns the prices of prices.json.
func ListPrices() (Prices, error) {
	var p Prices
	if err := json.Unmarshal(pricesJSON, &p); err != nil {
		return p, fmt.Errorf("read prices.json: %w", err)
	}
	if p.Date == "" || p.StepFunctionsPerTransition <= 0 || p.LambdaPerGBSecond <= 0 || p.LambdaPerRequest <= 0 ||
		p.DynamoDBPerWriteUnit <= 0 || p.DynamoDBPerReadUnit <= 0 || p.SESPerEmail <= 0 || p.HTTPAPIPerRequest <= 0 {
		return p, fmt.Errorf("prices.json: every price and the date must be set")
	}
	return p, nil
}

// Usage is what one request (or any stretch of work) used.
type Usage struct {
	// Transitions are billable Step Functions state transitions.
	Transitions int
	// Invocations are Lambda invocations (workflow tasks and HTTP functions).
	Invocations int
	// LambdaMillis is the billed Lambda duration: each invocation rounded up to a whole millisecond.
	LambdaMillis float64
	// MemoryMB is the functions' memory size (template.yaml).
	MemoryMB int
	// ReadUnits and WriteUnits are DynamoDB on-demand request units.
	ReadUnits, WriteUnits float64
	// Emails are emails sent through SES.
	Emails int
	// APIRequests are HTTP API requests.
	APIRequests int
}

// Add returns u + v (MemoryMB is u's, or v's when u has none).
func (u Usage) Add(v Usage) Usage {
	mem := u.MemoryMB
	if mem == 0 {
		mem = v.MemoryMB
	}
	return Usage{Transitions: u.Transitions + v.Transitions, Invocations: u.Invocations + v.Invocations,
		LambdaMillis: u.LambdaMillis + v.LambdaMillis, MemoryMB: mem, ReadUnits: u.ReadUnits + v.ReadUnits,
		WriteUnits: u.WriteUnits + v.WriteUnits, Emails: u.Emails + v.Emails, APIRequests: u.APIRequests + v.APIRequests}
}

// GBSeconds is the Lambda compute the usage bills.
func (u Usage) GBSeconds() float64 {
	return u.LambdaMillis / 1000 * float64(u.MemoryMB) / 1024
}

// Bill is a usage priced, in dollars, per service.
type Bill struct {
	StepFunctions, Lambda, DynamoDB, SES, APIGateway float64
}

// Total is the bill's sum.
func (b Bill) Total() float64 { return b.StepFunctions + b.Lambda + b.DynamoDB + b.SES + b.APIGateway }

// Times scales a bill (per request × 1,000 = per 1,000 requests).
func (b Bill) Times(n float64) Bill {
	return Bill{b.StepFunctions * n, b.Lambda * n, b.DynamoDB * n, b.SES * n, b.APIGateway * n}
}

// Price prices a usage.
func (p Prices) Price(u Usage) Bill {
	return Bill{
		StepFunctions: float64(u.Transitions) * p.StepFunctionsPerTransition,
		Lambda:        float64(u.Invocations)*p.LambdaPerRequest + u.GBSeconds()*p.LambdaPerGBSecond,
		DynamoDB:      u.ReadUnits*p.DynamoDBPerReadUnit + u.WriteUnits*p.DynamoDBPerWriteUnit,
		SES:           float64(u.Emails) * p.SESPerEmail,
		APIGateway:    float64(u.APIRequests) * p.HTTPAPIPerRequest,
	}
}

// BilledMillis rounds one invocation's duration up to Lambda's 1 ms billing granularity.
func BilledMillis(ms float64) float64 { return math.Max(1, math.Ceil(ms)) }

// Row is one path of the cost table.
type Row struct {
	Path  string
	Usage Usage
	// Per1000 is the bill of 1,000 requests that take this path.
	Per1000 Bill
}

// Table renders rows as a Markdown table: usage per request, dollars per 1,000 requests.
func Table(rows []Row) string {
	var b strings.Builder
	b.WriteString("| path | transitions | Lambda invocations | Lambda GB-s | DynamoDB RRU | DynamoDB WRU | emails | API calls | Step Functions | Lambda | DynamoDB | SES | API Gateway | **total per 1,000** |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range rows {
		u, c := r.Usage, r.Per1000
		fmt.Fprintf(&b, "| %s | %d | %d | %.4f | %.1f | %.1f | %d | %d | $%.4f | $%.4f | $%.4f | $%.4f | $%.4f | **$%.4f** |\n",
			r.Path, u.Transitions, u.Invocations, u.GBSeconds(), u.ReadUnits, u.WriteUnits, u.Emails, u.APIRequests,
			c.StepFunctions, c.Lambda, c.DynamoDB, c.SES, c.APIGateway, c.Total())
	}
	return b.String()
}
