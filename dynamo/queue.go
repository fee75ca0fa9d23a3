package dynamo

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"refundflow/refund"
)

// maxCountPages bounds the index pages one count reads (1 MB each), as a guard: the statuses the
// console counts are the open ones, whose partitions stay small.
const maxCountPages = 50

// CountRequestsByStatus returns how many requests have status, by counting its GSI1 partition (a
// Query with Select COUNT, following pages; no Scan). The index is eventually consistent, so a
// request that just moved may be counted under its old status for a moment. Meant for the open
// statuses: a terminal one's partition grows for ever and costs its size to count.
func (s *Store) CountRequestsByStatus(ctx context.Context, status refund.Status) (int, error) {
	if !status.Valid() {
		return 0, invalid("status", fmt.Sprintf("%q is not a request status.", refund.Truncate(string(status), 40)))
	}
	total := 0
	var start map[string]types.AttributeValue
	for range maxCountPages {
		x := &expr{}
		out, err := s.Client.Query(ctx, &dynamodb.QueryInput{
			TableName:                 aws.String(s.Table),
			IndexName:                 aws.String(IndexGSI1),
			KeyConditionExpression:    aws.String(x.n(AttrGSI1PK) + " = " + x.s(prefixStatus+string(status))),
			ExpressionAttributeNames:  x.Names(),
			ExpressionAttributeValues: x.Values(),
			Select:                    types.SelectCount,
			ExclusiveStartKey:         start,
		})
		if err != nil {
			return 0, fmt.Errorf("count %s requests: %w", status, err)
		}
		total += int(out.Count)
		if len(out.LastEvaluatedKey) == 0 {
			return total, nil
		}
		start = out.LastEvaluatedKey
	}
	return 0, fmt.Errorf("count %s requests: more than %d pages", status, maxCountPages)
}
