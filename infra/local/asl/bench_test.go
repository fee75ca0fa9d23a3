package asl

import (
	"testing"
)

func BenchmarkParse(b *testing.B) {
	def := []byte(fullDefinition)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(def); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEvalTemplate(b *testing.B) {
	tmpl, _ := Decode([]byte(`{"FunctionName": "arn:aws:lambda:us-east-1:123456789012:function:F",
	  "Payload": {"requestId.$": "$.requestId", "offer.$": "$.offer", "token.$": "$$.Task.Token",
	    "key.$": "States.Format('refund:{}:{}', $.requestId, $.attempt)"}}`))
	input, _ := Decode([]byte(`{"requestId": "r-123", "attempt": 2, "offer": {"amount": 12345, "currency": "EUR", "items": [1, 2, 3]}}`))
	ctx := Context{TaskToken: "token"}.Value()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := EvalTemplate(tmpl, input, ctx); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkChooseNext(b *testing.B) {
	st := MustParse(fullDefinition).States["Decide"]
	input, _ := Decode([]byte(`{"status": "pending", "n": 5, "min": 3}`))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := st.ChooseNext(input); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkApplyResultPath(b *testing.B) {
	input, _ := Decode([]byte(`{"requestId": "r-123", "data": {"a": 1, "b": 2}, "list": [1, 2, 3]}`))
	result := map[string]any{"ok": true}
	rp := PathOf("$.data.result")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ApplyResultPath(rp, input, result); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGetFilter(b *testing.B) {
	input, _ := Decode([]byte(`{"items": [{"id": 1, "n": 5}, {"id": 2, "n": 1}, {"id": 3, "n": 9}]}`))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Get(input, "$.items[?(@.n > 2)].id"); err != nil {
			b.Fatal(err)
		}
	}
}
