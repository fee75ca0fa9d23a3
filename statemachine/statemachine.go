// Package statemachine embeds the refund workflow's Amazon States Language definition, so the local
// stack and the tests run exactly the file that SAM deploys.
package statemachine

import _ "embed"

// RefundDefinition is statemachine/refund.asl.json with its ${...FunctionArn} placeholders still in
// place; they are filled from template.yaml's DefinitionSubstitutions.
//
//go:embed refund.asl.json
var RefundDefinition string
