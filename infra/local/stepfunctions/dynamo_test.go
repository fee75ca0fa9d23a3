package stepfunctions

import (
	"net/http/httptest"
	"testing"

	"refundflow/awsenv/httpclient"
	"refundflow/infra/local/ddblocal"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// newLocalDynamoDB starts the local DynamoDB (ddblocal) in process with one table keyed on pk.
func newLocalDynamoDB(t *testing.T) *dynamodb.Client {
	t.Helper()
	srv := httptest.NewServer(ddblocal.New(ddblocal.Options{}))
	t.Cleanup(srv.Close)
	client := dynamodb.New(dynamodb.Options{
		Region:                          "eu-west-1",
		BaseEndpoint:                    aws.String(srv.URL),
		Credentials:                     credentials.NewStaticCredentialsProvider("AKIDLOCAL", "local-secret", ""),
		DisableValidateResponseChecksum: true,
		HTTPClient:                      httpclient.New(nil),
		RetryMaxAttempts:                1,
	})
	_, err := client.CreateTable(t.Context(), &dynamodb.CreateTableInput{
		TableName:            aws.String("refunds"),
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: ddbtypes.KeyTypeHash}},
		BillingMode:          ddbtypes.BillingModePayPerRequest,
	})
	if err != nil {
		t.Fatalf("CreateTable: %v", err)
	}
	return client
}

func TestDynamoDBTasks(t *testing.T) {
	ddb := newLocalDynamoDB(t)
	v := newTestEnv(t, func(o *Options) { o.DynamoDB = ddb })
	sm := v.create("ddb", `{
	  "StartAt": "Put",
	  "States": {
	    "Put": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:putItem",
	            "Parameters": {"TableName": "refunds",
	                           "Item": {"pk": {"S.$": "$.id"}, "amount": {"N": "1500"}, "tags": {"SS": ["a"]},
	                                    "meta": {"M": {"ok": {"BOOL": true}, "none": {"NULL": true}, "list": {"L": [{"S": "x"}, {"N": "2"}]}}}},
	                           "ConditionExpression": "attribute_not_exists(pk)"},
	            "ResultPath": null,
	            "Next": "Update"},
	    "Update": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:updateItem",
	               "Parameters": {"TableName": "refunds", "Key": {"pk": {"S.$": "$.id"}},
	                              "UpdateExpression": "SET #s = :s", "ExpressionAttributeNames": {"#s": "status"},
	                              "ExpressionAttributeValues": {":s": {"S": "approved"}}, "ReturnValues": "ALL_NEW"},
	               "ResultSelector": {"status.$": "$.Attributes.status.S"},
	               "ResultPath": "$.update",
	               "Next": "Get"},
	    "Get": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:getItem",
	            "Parameters": {"TableName": "refunds", "Key": {"pk": {"S.$": "$.id"}}, "ConsistentRead": true},
	            "ResultSelector": {"item.$": "$.Item", "requestId.$": "$.SdkResponseMetadata.RequestId"},
	            "ResultPath": "$.got",
	            "Next": "PutAgain"},
	    "PutAgain": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:putItem",
	                 "Parameters": {"TableName": "refunds", "Item": {"pk": {"S.$": "$.id"}},
	                                "ConditionExpression": "attribute_not_exists(pk)"},
	                 "Catch": [{"ErrorEquals": ["DynamoDB.ConditionalCheckFailedException"], "ResultPath": "$.dup", "Next": "Done"}],
	                 "End": true},
	    "Done": {"Type": "Pass", "End": true}
	  }
	}`)
	exec := v.start(sm, "", `{"id": "refund-1"}`)
	d := v.wantStatus(exec, types.ExecutionStatusSucceeded)
	out := aws.ToString(d.Output)
	jsonEqual(t, jsonField(t, out, "update"), `{"status":"approved"}`)
	jsonEqual(t, jsonField(t, jsonField(t, out, "got"), "item"), `{
	  "pk": {"S": "refund-1"}, "amount": {"N": "1500"}, "status": {"S": "approved"}, "tags": {"SS": ["a"]},
	  "meta": {"M": {"ok": {"BOOL": true}, "none": {"NULL": true}, "list": {"L": [{"S": "x"}, {"N": "2"}]}}}}`)
	if got := jsonField(t, jsonField(t, out, "dup"), "Error"); got != `"DynamoDB.ConditionalCheckFailedException"` {
		t.Errorf("duplicate put error = %s", got)
	}
	sched := eventsOf(v.history(exec), types.HistoryEventTypeTaskScheduled)
	if got, want := aws.ToString(sched[0].TaskScheduledEventDetails.ResourceType)+":"+aws.ToString(sched[0].TaskScheduledEventDetails.Resource), "dynamodb:putItem"; got != want {
		t.Errorf("scheduled %s, want %s", got, want)
	}

	// A Parameters mistake is reported, not sent.
	bad := v.create("ddb-bad", `{"StartAt":"G","States":{"G":{"Type":"Task","Resource":"arn:aws:states:::dynamodb:getItem",
	  "Parameters":{"TableName":"refunds","Key":{"pk":{"S":"x"}},"Unknown":1},"End":true}}}`)
	d = v.wantStatus(v.start(bad, "", `{}`), types.ExecutionStatusFailed)
	if aws.ToString(d.Error) != "States.Runtime" {
		t.Errorf("error = %q, want States.Runtime", aws.ToString(d.Error))
	}
}

func TestDynamoDBWithoutClient(t *testing.T) {
	v := newTestEnv(t)
	sm := v.create("ddb", `{"StartAt":"G","States":{"G":{"Type":"Task","Resource":"arn:aws:states:::dynamodb:getItem",
	  "Parameters":{"TableName":"refunds","Key":{"pk":{"S":"x"}}},"End":true}}}`)
	d := v.wantStatus(v.start(sm, "", `{}`), types.ExecutionStatusFailed)
	if aws.ToString(d.Error) != "States.Runtime" {
		t.Errorf("error = %q, want States.Runtime", aws.ToString(d.Error))
	}
}
