package stepfunctions

import (
	"fmt"
	"strings"

	"refundflow/infra/local/asl"
)

// resourceKind is what a Task state's Resource asks the engine to do.
type resourceKind int

const (
	resLambdaInvoke resourceKind = iota + 1 // arn:aws:states:::lambda:invoke
	resLambdaWait                           // arn:aws:states:::lambda:invoke.waitForTaskToken
	resLambdaARN                            // arn:aws:lambda:REGION:ACCOUNT:function:NAME
	resDynamoGet                            // arn:aws:states:::dynamodb:getItem
	resDynamoPut                            // arn:aws:states:::dynamodb:putItem
	resDynamoUpdate                         // arn:aws:states:::dynamodb:updateItem
)

// resource is a parsed Task resource.
type resource struct {
	kind resourceKind
	// typ and name are the resourceType and resource of Task* history
	// events ("lambda"/"invoke", "dynamodb"/"putItem").
	typ  string
	name string
}

// waitsForToken reports whether the task parks until SendTaskSuccess or
// SendTaskFailure.
func (r resource) waitsForToken() bool { return r.kind == resLambdaWait }

// serviceIntegrations maps "service:action" of arn:aws:states:::service:action.
var serviceIntegrations = map[string]resourceKind{
	"lambda:invoke":                  resLambdaInvoke,
	"lambda:invoke.waitForTaskToken": resLambdaWait,
	"dynamodb:getItem":               resDynamoGet,
	"dynamodb:putItem":               resDynamoPut,
	"dynamodb:updateItem":            resDynamoUpdate,
}

// parseResource recognises the Task resources this engine runs.
func parseResource(arn string) (resource, bool) {
	parts := strings.SplitN(arn, ":", 7)
	if len(parts) < 6 || parts[0] != "arn" {
		return resource{}, false
	}
	switch parts[2] {
	case "states":
		if parts[3] != "" || parts[4] != "" || len(parts) != 7 {
			return resource{}, false
		}
		svcAction := parts[5] + ":" + parts[6]
		k, ok := serviceIntegrations[svcAction]
		if !ok {
			return resource{}, false
		}
		return resource{kind: k, typ: parts[5], name: parts[6]}, true
	case "lambda":
		if len(parts) == 7 && parts[5] == "function" && parts[6] != "" {
			return resource{kind: resLambdaARN, typ: "lambda", name: arn}, true
		}
	}
	return resource{}, false
}

// checkSupported walks a parsed definition for what the local engine cannot
// run, so CreateStateMachine refuses it with a reason instead of an
// execution failing later: unknown Task resources, lambda:invoke without
// FunctionName, and Distributed Map.
func checkSupported(sm *asl.StateMachine, at string) []string {
	var problems []string
	for _, name := range sm.Order {
		st := sm.States[name]
		where := at + "/States/" + name
		switch st.Type {
		case asl.TypeTask:
			r, ok := parseResource(st.Resource)
			if !ok {
				problems = append(problems, fmt.Sprintf(
					"SCHEMA_VALIDATION_FAILED: The resource provided %s is not supported by the local Step Functions engine (it runs lambda:invoke[.waitForTaskToken], Lambda function ARNs and dynamodb:getItem/putItem/updateItem) at %s/Resource",
					st.Resource, where))
				continue
			}
			if r.kind == resLambdaInvoke || r.kind == resLambdaWait {
				p, _ := st.Parameters.(map[string]any)
				_, a := p["FunctionName"]
				_, b := p["FunctionName.$"]
				if !a && !b {
					problems = append(problems, fmt.Sprintf(
						"SCHEMA_VALIDATION_FAILED: The field 'FunctionName' is required but was missing at %s/Parameters", where))
				}
			}
		case asl.TypeParallel:
			for i, b := range st.Branches {
				problems = append(problems, checkSupported(b, fmt.Sprintf("%s/Branches[%d]", where, i))...)
			}
		case asl.TypeMap:
			if st.ItemProcessor != nil {
				field := "ItemProcessor"
				if _, legacy := st.Raw["Iterator"]; legacy {
					field = "Iterator"
				}
				if st.ItemProcessor.ProcessorMode == "DISTRIBUTED" {
					problems = append(problems, fmt.Sprintf(
						"SCHEMA_VALIDATION_FAILED: Distributed Map is not supported by the local Step Functions engine at %s/%s/ProcessorConfig", where, field))
				}
				problems = append(problems, checkSupported(st.ItemProcessor, where+"/"+field)...)
			}
		}
	}
	return problems
}
