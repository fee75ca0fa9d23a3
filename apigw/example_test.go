package apigw_test

import (
	"context"
	"fmt"

	"github.com/aws/aws-lambda-go/events"

	"refundflow/apigw"
	"refundflow/refund"
)

// A handler's serve method returns a domain error; Handle turns it into the response for its code,
// with the security headers every response carries.
func ExampleHandle() {
	serve := func(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		return events.APIGatewayV2HTTPResponse{}, refund.Errorf(refund.CodeNotFound, "We could not find this request.")
	}
	req := events.APIGatewayV2HTTPRequest{Headers: map[string]string{"accept": "application/json"}}
	resp, err := apigw.Handle(serve)(context.Background(), req)
	fmt.Println(resp.StatusCode, err)
	fmt.Print(resp.Body)
	fmt.Println(resp.Headers["X-Content-Type-Options"])
	// Output:
	// 404 <nil>
	// {"error":{"code":"not_found","message":"We could not find this request."}}
	// nosniff
}
