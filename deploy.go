// Package refundflow holds the deployment files at the root of the repository, embedded, so the local
// stack runs from any directory and reads exactly the template.yaml and state machine that SAM deploys,
// and the HTTP API's contract (docs/openapi.yaml), which the Web function serves.
package refundflow

import "embed"

// Files holds template.yaml and statemachine/*.asl.json, at their paths in the repository (the paths
// the template's DefinitionUri properties use).
//
//go:embed template.yaml statemachine/*.asl.json
var Files embed.FS

// OpenAPI is docs/openapi.yaml, the HTTP API's machine-readable contract. The Web function serves it
// at GET /openapi.yaml, so every deployment answers with the contract of the code it runs.
//
//go:embed docs/openapi.yaml
var OpenAPI []byte
