package dynamo

import (
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// maxCursorLen bounds an incoming cursor before any decoding work.
const maxCursorLen = 4096

// cursorKeys are the attributes of a GSI1 LastEvaluatedKey: the index key plus the table key.
var cursorKeys = []string{AttrGSI1PK, AttrGSI1SK, AttrPK, AttrSK}

// encodeCursor turns a GSI1 LastEvaluatedKey into an opaque page token: URL-safe base64 of a JSON
// object of its string attributes. An empty key (last page) gives "".
func encodeCursor(lek map[string]types.AttributeValue) (string, error) {
	if len(lek) == 0 {
		return "", nil
	}
	m := make(map[string]string, len(lek))
	for k, v := range lek {
		s, ok := v.(*types.AttributeValueMemberS)
		if !ok {
			return "", fmt.Errorf("encode page cursor: key attribute %s is %T, not a string", k, v)
		}
		m[k] = s.Value
	}
	data, err := json.Marshal(m) // map keys marshal sorted, so the token is deterministic
	if err != nil {
		return "", fmt.Errorf("encode page cursor: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(data), nil
}

// decodeCursor validates a page token from a client and turns it back into an ExclusiveStartKey for
// the GSI1 partition wantPK. It accepts only what encodeCursor produces for that partition: exactly
// the four key attributes, non-empty strings of bounded length, and GSI1PK equal to wantPK. Anything
// else is CodeInvalid, so a forged token can neither reach another listing nor make DynamoDB fail.
// "" means the first page.
func decodeCursor(cursor, wantPK string) (map[string]types.AttributeValue, error) {
	if cursor == "" {
		return nil, nil
	}
	bad := invalid("cursor", "This page link is not valid any more; please start again from the first page.")
	if len(cursor) > maxCursorLen {
		return nil, bad
	}
	data, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return nil, bad
	}
	var m map[string]string
	if err := json.Unmarshal(data, &m); err != nil || len(m) != len(cursorKeys) {
		return nil, bad
	}
	for _, k := range cursorKeys {
		v, ok := m[k]
		if !ok || v == "" || len(v) > 1024 {
			return nil, bad
		}
	}
	if m[AttrGSI1PK] != wantPK {
		return nil, bad
	}
	out := make(map[string]types.AttributeValue, len(m))
	for k, v := range m {
		out[k] = str(v)
	}
	return out, nil
}
