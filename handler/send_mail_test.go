package handler_test

import (
	"context"
	"testing"

	"refundflow/handler"
	"refundflow/mail"
)

func TestSendMailWritesAndSends(t *testing.T) {
	links, err := mail.NewLinks("https://refunds.example.com")
	if err != nil {
		t.Fatal(err)
	}
	sender := &fakeSender{}
	h := handler.SendMail{Delivery: handler.RenderAndSend{Renderer: &mail.Renderer{Links: links, Company: "Northwind"}, Sender: sender}}
	reply := mail.Data{To: "ana@example.com", OrderNumber: "RF-1042", RequestID: "r1", StatusCode: "code", StaffMessage: "On its way."}

	out, err := h.Handle(context.Background(), handler.SendMailInput{Kind: mail.KindReply, Data: reply})
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if len(sender.msgs) != 1 || sender.msgs[0].Subject != out.Subject || out.Subject == "" || sender.msgs[0].To[0] != "ana@example.com" {
		t.Errorf("sent %+v with subject %q, want one reply to ana@example.com under the answered subject", sender.msgs, out.Subject)
	}

	// What it cannot write it refuses, sending nothing: an unknown kind, a kind without its data.
	for name, in := range map[string]handler.SendMailInput{
		"unknown kind":  {Kind: "postcard", Data: reply},
		"missing field": {Kind: mail.KindReply, Data: mail.Data{To: "ana@example.com"}},
	} {
		if _, err := h.Handle(context.Background(), in); err == nil {
			t.Errorf("%s: sent, want a refusal", name)
		}
	}
	// A failed send is an error the caller retries.
	sender.fail = 1
	if _, err := h.Handle(context.Background(), handler.SendMailInput{Kind: mail.KindReply, Data: reply}); err == nil {
		t.Error("a failed send answered no error")
	}
	if got := len(sender.msgs); got != 1 {
		t.Errorf("%d emails sent in all, want 1", got)
	}
}
