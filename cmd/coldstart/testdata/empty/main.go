// Command empty is the smallest aws-lambda-go function: the baseline beside which coldstart reports
// the real functions (process start and the runtime client, nothing else).
package main

import "github.com/aws/aws-lambda-go/lambda"

func main() {
	lambda.Start(func() (string, error) { return "ok", nil })
}
