package stepfunctions

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"

	"refundflow/infra/local/asl"
	"refundflow/infra/local/ddbjson"
)

// callDynamo runs a dynamodb:getItem/putItem/updateItem task through the
// configured client, on an invocation goroutine.
func (x *execution) callDynamo(tr *taskRun, params any) {
	e := x.e
	if e.dynamo == nil {
		x.taskFailed(tr, asl.ErrRuntime, "The local Step Functions engine has no DynamoDB client (Options.DynamoDB)")
		return
	}
	p, ok := params.(map[string]any)
	if !ok {
		x.taskFailed(tr, asl.ErrRuntime, "The Parameters of a DynamoDB task must be an object")
		return
	}
	call, err := dynamoRequest(tr.res.kind, p)
	if err != nil {
		x.taskFailed(tr, asl.ErrRuntime, fmt.Sprintf("Invalid parameters for dynamodb:%s: %v", tr.res.name, err))
		return
	}
	client := e.dynamo
	ctx := e.baseCtx
	e.spawn(func() func() {
		out, err := call(ctx, client)
		return func() {
			if tr.closed || x.status != statusRunning {
				return
			}
			if err != nil {
				name, cause := dynamoFailure(err)
				x.taskFailed(tr, name, cause)
				return
			}
			x.emitOn(tr.th, "TaskSucceeded", &taskOutputDetails{k: "taskSucceededEventDetails",
				ResourceType: tr.res.typ, Resource: tr.res.name, Output: encode(out)})
			x.closeTask(tr)
			x.complete(tr.th, out, true)
		}
	})
}

// dynamoFailure names a DynamoDB error as Step Functions does:
// "DynamoDB." + the service's error code, with the message as cause.
func dynamoFailure(err error) (name, cause string) {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		reqID := ""
		var re interface{ ServiceRequestID() string }
		if errors.As(err, &re) {
			reqID = re.ServiceRequestID()
		}
		return "DynamoDB." + ae.ErrorCode(), fmt.Sprintf("%s (Service: DynamoDb, Status Code: 400, Request ID: %s)", ae.ErrorMessage(), reqID)
	}
	return "DynamoDB.SdkClientException", err.Error()
}

type dynamoCall func(context.Context, *dynamodb.Client) (map[string]any, error)

// dynamoRequest builds the SDK call for a task's Parameters, which use the
// DynamoDB API's own field names and attribute-value JSON.
func dynamoRequest(kind resourceKind, p map[string]any) (dynamoCall, error) {
	r := paramReader{p: p, used: map[string]bool{}}
	table := r.str("TableName")
	names := r.strMap("ExpressionAttributeNames")
	values := r.avMap("ExpressionAttributeValues")
	cond := r.optStr("ConditionExpression")
	var call dynamoCall
	switch kind {
	case resDynamoGet:
		in := &dynamodb.GetItemInput{TableName: &table, Key: r.avMap("Key"),
			ExpressionAttributeNames: names, ProjectionExpression: r.optStr("ProjectionExpression"),
			ConsistentRead: r.optBool("ConsistentRead")}
		call = func(ctx context.Context, c *dynamodb.Client) (map[string]any, error) {
			out, err := c.GetItem(ctx, in)
			if err != nil {
				return nil, err
			}
			res := sdkMetadata(out.ResultMetadata)
			if out.Item != nil {
				res["Item"] = ddbjson.ItemToJSON(out.Item)
			}
			return res, nil
		}
	case resDynamoPut:
		in := &dynamodb.PutItemInput{TableName: &table, Item: r.avMap("Item"),
			ConditionExpression: cond, ExpressionAttributeNames: names, ExpressionAttributeValues: values,
			ReturnValues: ddbtypes.ReturnValue(r.plainStr("ReturnValues"))}
		call = func(ctx context.Context, c *dynamodb.Client) (map[string]any, error) {
			out, err := c.PutItem(ctx, in)
			if err != nil {
				return nil, err
			}
			res := sdkMetadata(out.ResultMetadata)
			if out.Attributes != nil {
				res["Attributes"] = ddbjson.ItemToJSON(out.Attributes)
			}
			return res, nil
		}
	case resDynamoUpdate:
		in := &dynamodb.UpdateItemInput{TableName: &table, Key: r.avMap("Key"),
			UpdateExpression: r.optStr("UpdateExpression"), ConditionExpression: cond,
			ExpressionAttributeNames: names, ExpressionAttributeValues: values,
			ReturnValues: ddbtypes.ReturnValue(r.plainStr("ReturnValues"))}
		call = func(ctx context.Context, c *dynamodb.Client) (map[string]any, error) {
			out, err := c.UpdateItem(ctx, in)
			if err != nil {
				return nil, err
			}
			res := sdkMetadata(out.ResultMetadata)
			if out.Attributes != nil {
				res["Attributes"] = ddbjson.ItemToJSON(out.Attributes)
			}
			return res, nil
		}
	default:
		return nil, errors.New("not a DynamoDB resource")
	}
	if err := r.finish(); err != nil {
		return nil, err
	}
	return call, nil
}

// sdkMetadata is the SdkHttpMetadata/SdkResponseMetadata pair that Step
// Functions adds to the result of an optimized DynamoDB integration.
func sdkMetadata(md middleware.Metadata) map[string]any {
	reqID, _ := awsmiddleware.GetRequestIDMetadata(md)
	return map[string]any{
		"SdkHttpMetadata": map[string]any{
			"HttpHeaders":    map[string]any{"Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": reqID},
			"HttpStatusCode": jsonInt(200),
		},
		"SdkResponseMetadata": map[string]any{"RequestId": reqID},
	}
}

// paramReader reads typed fields from Parameters, remembering the first
// problem and which fields were used so unknown ones can be reported.
type paramReader struct {
	p    map[string]any
	used map[string]bool
	err  error
}

func (r *paramReader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf(format, args...)
	}
}

func (r *paramReader) get(k string) (any, bool) {
	r.used[k] = true
	v, ok := r.p[k]
	return v, ok
}

func (r *paramReader) str(k string) string {
	v, ok := r.get(k)
	s, isStr := v.(string)
	if !ok || !isStr || s == "" {
		r.fail("%s must be a non-empty string", k)
	}
	return s
}

func (r *paramReader) optStr(k string) *string {
	v, ok := r.get(k)
	if !ok {
		return nil
	}
	s, isStr := v.(string)
	if !isStr {
		r.fail("%s must be a string", k)
		return nil
	}
	return &s
}

func (r *paramReader) plainStr(k string) string {
	if s := r.optStr(k); s != nil {
		return *s
	}
	return ""
}

func (r *paramReader) optBool(k string) *bool {
	v, ok := r.get(k)
	if !ok {
		return nil
	}
	b, isBool := v.(bool)
	if !isBool {
		r.fail("%s must be a boolean", k)
		return nil
	}
	return &b
}

func (r *paramReader) strMap(k string) map[string]string {
	v, ok := r.get(k)
	if !ok {
		return nil
	}
	m, isMap := v.(map[string]any)
	if !isMap {
		r.fail("%s must be an object", k)
		return nil
	}
	out := make(map[string]string, len(m))
	for name, val := range m {
		s, isStr := val.(string)
		if !isStr {
			r.fail("%s.%s must be a string", k, name)
			return nil
		}
		out[name] = s
	}
	return out
}

func (r *paramReader) avMap(k string) map[string]ddbtypes.AttributeValue {
	v, ok := r.get(k)
	if !ok {
		return nil
	}
	m, err := ddbjson.ItemFromJSON(v)
	if err != nil {
		r.fail("%s: %v", k, err)
	}
	return m
}

func (r *paramReader) finish() error {
	if r.err != nil {
		return r.err
	}
	var unknown []string
	for k := range r.p {
		if !r.used[k] {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return fmt.Errorf("unsupported field(s) %s", strings.Join(unknown, ", "))
	}
	return nil
}
