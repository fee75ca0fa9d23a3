package refund

import "testing"

func TestParseFourEyesLimits(t *testing.T) {
	tests := []struct {
		in      string
		want    map[string]int64
		wantErr bool
	}{
		{in: "", want: nil},
		{in: "policy", want: nil},
		{in: "EUR 2000.00", want: map[string]int64{"EUR": 200000}},
		{in: "eur 2000, JPY 300000", want: map[string]int64{"EUR": 200000, "JPY": 300000}},
		{in: "EUR", wantErr: true},
		{in: "EUR 1, EUR 2", wantErr: true},
		{in: "XXX1 2", wantErr: true},
	}
	for _, tt := range tests {
		got, err := ParseFourEyesLimits(tt.in)
		if gotErr := err != nil; gotErr != tt.wantErr {
			t.Errorf("ParseFourEyesLimits(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if len(got) != len(tt.want) {
			t.Errorf("ParseFourEyesLimits(%q) = %v, want %v", tt.in, got, tt.want)
		}
		for k, v := range tt.want {
			if got[k] != v {
				t.Errorf("ParseFourEyesLimits(%q)[%s] = %d, want %d", tt.in, k, got[k], v)
			}
		}
	}
}

func TestNeedsSecondStaff(t *testing.T) {
	limits := map[string]int64{"EUR": 200000}
	tests := []struct {
		amount Money
		want   bool
	}{
		{Money{Amount: 200000, Currency: "EUR"}, false},
		{Money{Amount: 200001, Currency: "EUR"}, true},
		{Money{Amount: 1, Currency: "USD"}, true}, // no limit set: two people
	}
	for _, tt := range tests {
		if got := NeedsSecondStaff(tt.amount, limits); got != tt.want {
			t.Errorf("NeedsSecondStaff(%s) = %v, want %v", tt.amount, got, tt.want)
		}
	}
}
