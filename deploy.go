// Package refundflow holds the deployment files at the root of the repository, embedded, so the local
// stack runs from any directory and reads exactly the template.yaml and state machine that SAM deploys.
package refundflow

import "embed"

// Files holds template.yaml and statemachine/*.asl.json, at their paths in the repository (the paths
// the template's DefinitionUri properties use).
//
//go:embed template.yaml statemachine/*.asl.json
var Files embed.FS
