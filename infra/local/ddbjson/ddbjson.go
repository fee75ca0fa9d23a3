// Package ddbjson converts DynamoDB items between the SDK's attribute values and DynamoDB's JSON
// form ({"pk":{"S":"x"},"n":{"N":"5"}}), the form of the wire protocol, the AWS CLI and Step
// Functions' DynamoDB integration. The local Step Functions engine reads its task parameters and
// writes its results in it, and the local stack keeps the embedded table in it in its data directory.
package ddbjson

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// ItemFromJSON converts an item in DynamoDB's JSON form, as decoded by encoding/json, to SDK
// attribute values. Anything else (a value without exactly one type key, a number that is not a
// string, bad base64) is an error naming the attribute.
func ItemFromJSON(v any) (map[string]ddbtypes.AttributeValue, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("must be an object of attribute values, not %s", show(v))
	}
	out := make(map[string]ddbtypes.AttributeValue, len(m))
	for k, e := range m {
		av, err := ValueFromJSON(e)
		if err != nil {
			return nil, fmt.Errorf("attribute %q: %w", k, err)
		}
		out[k] = av
	}
	return out, nil
}

// ValueFromJSON converts one attribute value, e.g. {"N":"5"} or {"L":[...]}.
func ValueFromJSON(v any) (ddbtypes.AttributeValue, error) {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return nil, fmt.Errorf("an attribute value must be an object with exactly one type key, not %s", show(v))
	}
	for typ, val := range m {
		bad := fmt.Errorf("invalid %s attribute value %s", typ, show(val))
		switch typ {
		case "S", "N":
			s, ok := val.(string)
			if !ok {
				return nil, bad
			}
			if typ == "S" {
				return &ddbtypes.AttributeValueMemberS{Value: s}, nil
			}
			return &ddbtypes.AttributeValueMemberN{Value: s}, nil
		case "B":
			b, err := b64(val)
			if err != nil {
				return nil, bad
			}
			return &ddbtypes.AttributeValueMemberB{Value: b}, nil
		case "BOOL", "NULL":
			b, ok := val.(bool)
			if !ok {
				return nil, bad
			}
			if typ == "BOOL" {
				return &ddbtypes.AttributeValueMemberBOOL{Value: b}, nil
			}
			return &ddbtypes.AttributeValueMemberNULL{Value: b}, nil
		case "M":
			mm, err := ItemFromJSON(val)
			if err != nil {
				return nil, err
			}
			return &ddbtypes.AttributeValueMemberM{Value: mm}, nil
		case "L":
			arr, ok := val.([]any)
			if !ok {
				return nil, bad
			}
			l := make([]ddbtypes.AttributeValue, len(arr))
			for i, e := range arr {
				av, err := ValueFromJSON(e)
				if err != nil {
					//lint:ignore ST1005 a path to the bad element: L is DynamoDB JSON's case-sensitive list tag
					return nil, fmt.Errorf("L[%d]: %w", i, err)
				}
				l[i] = av
			}
			return &ddbtypes.AttributeValueMemberL{Value: l}, nil
		case "SS", "NS":
			arr, ok := val.([]any)
			if !ok {
				return nil, bad
			}
			ss := make([]string, len(arr))
			for i, e := range arr {
				if ss[i], ok = e.(string); !ok {
					return nil, bad
				}
			}
			if typ == "SS" {
				return &ddbtypes.AttributeValueMemberSS{Value: ss}, nil
			}
			return &ddbtypes.AttributeValueMemberNS{Value: ss}, nil
		case "BS":
			arr, ok := val.([]any)
			if !ok {
				return nil, bad
			}
			bs := make([][]byte, len(arr))
			for i, e := range arr {
				b, err := b64(e)
				if err != nil {
					return nil, bad
				}
				bs[i] = b
			}
			return &ddbtypes.AttributeValueMemberBS{Value: bs}, nil
		default:
			return nil, fmt.Errorf("unknown attribute value type %q", typ)
		}
	}
	return nil, errors.New("empty attribute value")
}

func b64(v any) ([]byte, error) {
	s, ok := v.(string)
	if !ok {
		return nil, errors.New("not a string")
	}
	return base64.StdEncoding.DecodeString(s)
}

// ItemToJSON converts SDK attribute values to DynamoDB's JSON form, ready for encoding/json.
func ItemToJSON(m map[string]ddbtypes.AttributeValue) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = ValueToJSON(v)
	}
	return out
}

// ValueToJSON converts one attribute value to DynamoDB's JSON form.
func ValueToJSON(av ddbtypes.AttributeValue) any {
	switch t := av.(type) {
	case *ddbtypes.AttributeValueMemberS:
		return map[string]any{"S": t.Value}
	case *ddbtypes.AttributeValueMemberN:
		return map[string]any{"N": t.Value}
	case *ddbtypes.AttributeValueMemberB:
		return map[string]any{"B": base64.StdEncoding.EncodeToString(t.Value)}
	case *ddbtypes.AttributeValueMemberBOOL:
		return map[string]any{"BOOL": t.Value}
	case *ddbtypes.AttributeValueMemberNULL:
		return map[string]any{"NULL": t.Value}
	case *ddbtypes.AttributeValueMemberM:
		return map[string]any{"M": ItemToJSON(t.Value)}
	case *ddbtypes.AttributeValueMemberL:
		l := make([]any, len(t.Value))
		for i, e := range t.Value {
			l[i] = ValueToJSON(e)
		}
		return map[string]any{"L": l}
	case *ddbtypes.AttributeValueMemberSS:
		return map[string]any{"SS": strSlice(t.Value)}
	case *ddbtypes.AttributeValueMemberNS:
		return map[string]any{"NS": strSlice(t.Value)}
	case *ddbtypes.AttributeValueMemberBS:
		l := make([]any, len(t.Value))
		for i, b := range t.Value {
			l[i] = base64.StdEncoding.EncodeToString(b)
		}
		return map[string]any{"BS": l}
	}
	// The SDK's union has no other members; an unknown one would be a new DynamoDB type.
	return map[string]any{"?": fmt.Sprintf("%T", av)}
}

func strSlice(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// show renders a value of decoded JSON for an error message.
func show(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%v", v)
	}
	return string(b)
}
