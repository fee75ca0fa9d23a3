// Command staff-api is the StaffApiFunction Lambda function: the staff JSON API. It is wiring only:
// the handler is handler.StaffApi, built by awsenv.BuildStaffApi from the environment template.yaml
// gives the function.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"refundflow/awsenv"
)

func main() {
	ctx := context.Background()
	env, err := awsenv.FromProcess(ctx)
	if err != nil {
		awsenv.Fail(env, "StaffApiFunction", err)
	}
	h, err := awsenv.BuildStaffApi(ctx, env)
	if err != nil {
		awsenv.Fail(env, "StaffApiFunction", err)
	}
	lambda.Start(h.Handle)
}
