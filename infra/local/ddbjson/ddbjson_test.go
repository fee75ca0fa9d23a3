package ddbjson

import (
	"encoding/json"
	"reflect"
	"testing"

	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func TestItemRoundTrip(t *testing.T) {
	item := map[string]ddbtypes.AttributeValue{
		"S":    &ddbtypes.AttributeValueMemberS{Value: "text é"},
		"N":    &ddbtypes.AttributeValueMemberN{Value: "-12.50"},
		"B":    &ddbtypes.AttributeValueMemberB{Value: []byte{0, 1, 255}},
		"BOOL": &ddbtypes.AttributeValueMemberBOOL{Value: true},
		"NULL": &ddbtypes.AttributeValueMemberNULL{Value: true},
		"SS":   &ddbtypes.AttributeValueMemberSS{Value: []string{"a", "b"}},
		"NS":   &ddbtypes.AttributeValueMemberNS{Value: []string{"1", "2.5"}},
		"BS":   &ddbtypes.AttributeValueMemberBS{Value: [][]byte{{1}, {2, 3}}},
		"L":    &ddbtypes.AttributeValueMemberL{Value: []ddbtypes.AttributeValue{&ddbtypes.AttributeValueMemberS{Value: "x"}, &ddbtypes.AttributeValueMemberN{Value: "1"}}},
		"M": &ddbtypes.AttributeValueMemberM{Value: map[string]ddbtypes.AttributeValue{
			"inner": &ddbtypes.AttributeValueMemberM{Value: map[string]ddbtypes.AttributeValue{"deep": &ddbtypes.AttributeValueMemberBOOL{Value: false}}},
		}},
	}
	data, err := json.Marshal(ItemToJSON(item))
	if err != nil {
		t.Fatal(err)
	}
	var raw any
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	back, err := ItemFromJSON(raw)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, item) {
		t.Errorf("round trip:\n got %#v\nwant %#v", back, item)
	}
}

func TestItemFromJSONRefuses(t *testing.T) {
	for _, bad := range []string{
		`"plain"`, `{"a":"plain"}`, `{"a":{}}`, `{"a":{"S":"x","N":"1"}}`, `{"a":{"N":1}}`, `{"a":{"B":"%%"}}`,
		`{"a":{"L":[{"Q":1}]}}`, `{"a":{"SS":[1]}}`, `{"a":{"BS":["%%"]}}`, `{"a":{"BOOL":"yes"}}`, `{"a":{"M":[]}}`,
	} {
		var raw any
		if err := json.Unmarshal([]byte(bad), &raw); err != nil {
			t.Fatal(err)
		}
		if _, err := ItemFromJSON(raw); err == nil {
			t.Errorf("ItemFromJSON(%s) accepted it", bad)
		}
	}
}
