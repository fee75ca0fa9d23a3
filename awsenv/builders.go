package awsenv

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
)

// Builder builds one function's Lambda handler from an Env.
type Builder func(context.Context, Env) (lambda.Handler, error)

// Builders maps the logical ID of every function in template.yaml ("VerifyConditionsFunction") to its
// builder. The local stack builds every function from it, and the template-agreement test checks that
// it lists exactly the template's functions and that each builder reads exactly the variables of its
// function's Environment. tasks.go (the state machine tasks) and http.go (the HTTP functions) add
// their builders in init functions: registering a builder is wiring, it builds nothing.
var Builders = map[string]Builder{}

// Adapt turns a typed builder into a Builder: the handler's Handle method becomes a lambda.Handler
// through lambda.NewHandler, exactly as lambda.Start would serve it (same JSON decoding, same error
// names).
func Adapt[I, O any, H interface {
	Handle(context.Context, I) (O, error)
}](build func(context.Context, Env) (H, error)) Builder {
	return func(ctx context.Context, env Env) (lambda.Handler, error) {
		h, err := build(ctx, env)
		if err != nil {
			return nil, err
		}
		return lambda.NewHandler(h.Handle), nil
	}
}
