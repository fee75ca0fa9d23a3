package checkout

import (
	"strings"
	"testing"
)

func TestParseNamesWhatIsWrong(t *testing.T) {
	c, err := Parse([]byte(`{"amount":180000,"currency":"eur","captured":false}`))
	if err != nil || c.Amount.Amount != 180000 || c.Amount.Currency != "EUR" || !c.AuthorizeOnly || c.WithoutThreeDSecure {
		t.Fatalf("a good request: %+v, %v", c, err)
	}
	for _, tc := range []struct{ body, want string }{
		{`{"amount":18.00,"currency":"EUR"}`, Usage},
		{`not json`, Usage},
		{`{"amount":100,"currency":"EUR","tip":5}`, Usage},
		{`{"amount":100,"currency":"EUR"} {}`, Usage},
		{`{"amount":100,"currency":"EURO"}`, `the currency must be an ISO 4217 code such as EUR, not "EURO"`},
		{`{"amount":0,"currency":"EUR"}`, "the amount must be a whole number of minor units from 1 to"},
		{`{"amount":-5,"currency":"EUR"}`, "not -5"},
	} {
		_, err := Parse([]byte(tc.body))
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), Usage) {
			t.Errorf("%s: %v, want %q and the usage", tc.body, err, tc.want)
		}
	}
}
