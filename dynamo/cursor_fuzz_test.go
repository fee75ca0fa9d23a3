package dynamo

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"refundflow/refund"
)

// FuzzDecodeCursor feeds arbitrary page cursors (a staff client sends them back in ?cursor=). A cursor
// must decode only into a start key of the asked-for partition with exactly the four key attributes,
// re-encode to itself, and be refused otherwise with CodeInvalid.
func FuzzDecodeCursor(f *testing.F) {
	good, err := encodeCursor(map[string]types.AttributeValue{
		AttrGSI1PK: str("STATUS#in_review"), AttrGSI1SK: str("2025-03-10T09:00:00.000000000Z#req-1"),
		AttrPK: str("REQ#req-1"), AttrSK: str("REQ"),
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good, "STATUS#in_review")
	f.Add(good, "STATUS#completed")
	f.Add(base64.RawURLEncoding.EncodeToString([]byte(`{"PK":"ORDER#RF-1","SK":"ORDER"}`)), "STATUS#in_review")
	f.Add(base64.RawURLEncoding.EncodeToString([]byte(`{"GSI1PK":"FEEDBACK","GSI1SK":"x","PK":"a","SK":"b","X":"y"}`)), "FEEDBACK")
	f.Add("!!!", "FEEDBACK")
	f.Add(strings.Repeat("A", 5000), "FEEDBACK")
	f.Fuzz(func(t *testing.T, cursor, wantPK string) {
		key, err := decodeCursor(cursor, wantPK)
		if err != nil {
			if refund.ErrorCode(err) != refund.CodeInvalid {
				t.Fatalf("refused with %q: %v", refund.ErrorCode(err), err)
			}
			return
		}
		if cursor == "" {
			if key != nil {
				t.Fatalf("the empty cursor decoded to %v", key)
			}
			return
		}
		if len(key) != len(cursorKeys) {
			t.Fatalf("decoded %d attributes", len(key))
		}
		if pk, _ := key[AttrGSI1PK].(*types.AttributeValueMemberS); pk == nil || pk.Value != wantPK {
			t.Fatalf("a cursor reached partition %v, not %q", key[AttrGSI1PK], wantPK)
		}
		again, err := encodeCursor(key)
		if err != nil {
			t.Fatal(err)
		}
		if back, err := decodeCursor(again, wantPK); err != nil || len(back) != len(key) {
			t.Fatalf("re-encoded cursor does not decode: %v", err)
		}
	})
}

// FuzzHashCode hashes arbitrary link codes taken from URLs: the hash is always 64 hex digits, so it
// is a safe key whatever the code.
func FuzzHashCode(f *testing.F) {
	f.Add("Zm9vYmFyYmF6cXV4cXV1eHF1dXhxdXV4")
	f.Add("")
	f.Add("../../etc/passwd")
	f.Add("LINK#\x00\xff")
	f.Fuzz(func(t *testing.T, code string) {
		h := refund.HashCode(code)
		if len(h) != 64 || strings.Trim(h, "0123456789abcdef") != "" {
			t.Fatalf("refund.HashCode(%q) = %q", code, h)
		}
	})
}
